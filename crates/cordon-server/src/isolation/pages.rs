//! Isolation's pages: every site's occupancy for headquarters, and one site's rooms at a glance
//! with the forms its staff use — check in, check out, a room cleaned, rooms added — and the
//! transfers: the board of orders, an order's page with its steps.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::isolation::{Guest, RoomState};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::isolation::{
    self, CheckOutRequest, RoomSpec, RoomStateRequest, RoomsRequest, SiteOccupancy, SiteRooms, StayRequest,
    StepKind, TransferDetail, TransferPassenger, TransferRequest, TransferStepRequest, TransferView,
};
use crate::web::{Page, PageUser, back, error_page, render, urlencode};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/sites", isolation::VIEW),
    RouteNeed::get("/sites/{id}", isolation::VIEW),
    RouteNeed::post("/sites/{id}/rooms", isolation::MANAGE_ROOMS),
    RouteNeed::post("/sites/{id}/rooms/{room}", isolation::MANAGE_ROOMS),
    RouteNeed::post("/sites/{id}/stays", isolation::MOVE_PEOPLE),
    RouteNeed::post("/sites/{id}/stays/{stay}/check-out", isolation::MOVE_PEOPLE),
    RouteNeed::get("/transfers", isolation::VIEW_TRANSFERS),
    RouteNeed::post("/transfers", isolation::MOVE_PEOPLE),
    RouteNeed::get("/transfers/{id}", isolation::VIEW_TRANSFERS),
    RouteNeed::post("/transfers/{id}/events", isolation::MOVE_PEOPLE),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sites", get(sites_page))
        .route("/sites/{id}", get(site_page))
        .route("/sites/{id}/rooms", post(rooms_submit))
        .route("/sites/{id}/rooms/{room}", post(room_submit))
        .route("/sites/{id}/stays", post(check_in_submit))
        .route("/sites/{id}/stays/{stay}/check-out", post(check_out_submit))
        .route("/transfers", get(transfers_page).post(order_submit))
        .route("/transfers/{id}", get(transfer_page))
        .route("/transfers/{id}/events", post(step_submit))
}

#[derive(Template)]
#[template(path = "sites.html")]
struct SitesTemplate {
    page: Page,
    sites: Vec<SiteOccupancy>,
}

async fn sites_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match isolation::sites(&state, user).await {
        Ok(sites) => (jar, render(&SitesTemplate { page, sites })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "site.html")]
struct SiteTemplate {
    page: Page,
    s: SiteRooms,
    saved: bool,
}

#[derive(Deserialize)]
struct SiteQuery {
    saved: Option<String>,
}

async fn site_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<String>,
    Query(q): Query<SiteQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match isolation::rooms(&state, user, &id, "GET /sites/{id}").await {
        Ok(s) => {
            let mut page = page;
            let by: Vec<String> = s.rooms.iter().map(|r| r.updated_by.clone()).collect();
            page.know(&state, by.iter().map(String::as_str)).await;
            (jar, render(&SiteTemplate { page, s, saved: q.saved.is_some() })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

fn saved(id: &str, anchor: &str) -> String {
    format!("/sites/{}?saved=1{anchor}", urlencode(id))
}

#[derive(Deserialize)]
struct RoomsForm {
    labels: String,
    beds: Option<i64>,
}

async fn rooms_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<String>,
    Form(f): Form<RoomsForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let rooms = f
        .labels
        .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
        .filter(|l| !l.is_empty())
        .map(|l| RoomSpec { label: l.to_owned(), beds: f.beds })
        .collect();
    let r = isolation::add_rooms(&state, &user, &id, &RoomsRequest { rooms }).await;
    back(page, jar, r.map(|_| saved(&id, "")).map_err(ApiError::from))
}

#[derive(Deserialize)]
struct RoomForm {
    state: String,
}

async fn room_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path((id, room)): Path<(String, String)>,
    Form(f): Form<RoomForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = match RoomState::parse(&f.state) {
        Ok(s) => isolation::set_room(&state, &user, &id, &room, &RoomStateRequest { state: s })
            .await
            .map(|_| saved(&id, &format!("#room-{}", urlencode(&room))))
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::invalid("state", e.to_string())),
    };
    back(page, jar, r)
}

#[derive(Deserialize)]
struct StayForm {
    person_id: String,
    room: String,
    guest: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    case_id: String,
}

/// An optional number from a form's field: empty is none.
fn number(field: &'static str, v: &str) -> Result<Option<i64>, ApiError> {
    match v.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| ApiError::invalid(field, format!("{v:?} is not a number"))),
    }
}

async fn check_in_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<String>,
    Form(f): Form<StayForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = (|| {
        Ok::<_, ApiError>(StayRequest {
            person_id: f.person_id.clone(),
            site_id: id.clone(),
            room: f.room.clone(),
            guest: Guest::parse(&f.guest).map_err(|e| ApiError::invalid("guest", e.to_string()))?,
            contact_id: number("contact_id", &f.contact_id)?,
            case_id: number("case_id", &f.case_id)?,
            at: None,
        })
    })();
    let r = match req {
        Ok(req) => isolation::check_in(&state, &user, &req, "POST /sites/{id}/stays")
            .await
            .map(|s| saved(&id, &format!("#room-{}", urlencode(&s.room))))
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    back(page, jar, r)
}

#[derive(Deserialize)]
struct CheckOutForm {
    reason: String,
}

async fn check_out_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path((id, stay)): Path<(String, i64)>,
    Form(f): Form<CheckOutForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = CheckOutRequest { reason: f.reason, at: None };
    let r = isolation::check_out(&state, &user, stay, &req, "POST /sites/{id}/stays/{stay}/check-out")
        .await
        .map(|s| saved(&id, &format!("#room-{}", urlencode(&s.room))))
        .map_err(ApiError::from);
    back(page, jar, r)
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersTemplate {
    page: Page,
    list: Vec<TransferView>,
    sites: Vec<SiteOccupancy>,
}

#[derive(Deserialize)]
struct TransfersQuery {
    open: Option<String>,
}

async fn transfers_page(
    State(state): State<AppState>,
    pu: PageUser,
    Query(q): Query<TransfersQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let list = match isolation::transfers(&state, user, q.open.is_some(), "GET /transfers").await {
        Ok(l) => l,
        Err(e) => return error_page(page, jar, e),
    };
    // The sites an order may name, for those who order (sites need `view_workforce` too).
    let sites = match isolation::may_move_people(user) && page.can_view_isolation() {
        true => isolation::sites(&state, user).await.unwrap_or_default(),
        false => Vec::new(),
    };
    (jar, render(&TransfersTemplate { page, list, sites })).into_response()
}

#[derive(Deserialize)]
struct OrderForm {
    site_id: String,
    people: String,
    reason: String,
}

/// The people of an order as the form takes them: a line each, `person guest room [record]`,
/// the record being the case's id for a case, the contact record's for a contact.
fn passengers(text: &str) -> Result<Vec<TransferPassenger>, ApiError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let parts: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
            .filter(|p| !p.is_empty())
            .collect();
        let row = i + 1;
        let [person, guest, room, rest @ ..] = parts.as_slice() else {
            return Err(ApiError::invalid("people", format!("line {row}: person id, guest and room")));
        };
        let guest =
            Guest::parse(guest).map_err(|e| ApiError::invalid("people", format!("line {row}: {e}")))?;
        let record =
            match rest.first() {
                Some(v) => Some(v.parse::<i64>().map_err(|_| {
                    ApiError::invalid("people", format!("line {row}: {v:?} is not a record id"))
                })?),
                None => None,
            };
        let (case_id, contact_id) = match guest {
            Guest::Case => (record, None),
            _ => (None, record),
        };
        out.push(TransferPassenger {
            person_id: (*person).to_owned(),
            guest,
            room: (*room).to_owned(),
            case_id,
            contact_id,
        });
    }
    Ok(out)
}

async fn order_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<OrderForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = match passengers(&f.people) {
        Ok(people) => {
            let req = TransferRequest { site_id: f.site_id, people, reason: f.reason };
            isolation::order(&state, &user, &req, "POST /transfers")
                .await
                .map(|t| format!("/transfers/{}?saved=1", t.id))
                .map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    back(page, jar, r)
}

#[derive(Template)]
#[template(path = "transfer.html")]
struct TransferTemplate {
    page: Page,
    d: TransferDetail,
    saved: bool,
}

async fn transfer_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<SiteQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match isolation::transfer(&state, user, id, "GET /transfers/{id}").await {
        Ok(d) => {
            let mut page = page;
            page.know(&state, d.timeline.iter().map(|e| e.by.as_str())).await;
            (jar, render(&TransferTemplate { page, d, saved: q.saved.is_some() })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct StepForm {
    kind: StepKind,
    #[serde(default)]
    vehicle: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn step_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req =
        TransferStepRequest { kind: f.kind, vehicle: f.vehicle, reason: f.reason, note: f.note, at: None };
    let r = isolation::step(&state, &user, id, &req, "POST /transfers/{id}/events")
        .await
        .map(|_| format!("/transfers/{id}?saved=1"))
        .map_err(ApiError::from);
    back(page, jar, r)
}
