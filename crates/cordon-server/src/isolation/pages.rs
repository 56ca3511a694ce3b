//! Isolation's pages: every site's occupancy for headquarters, and one site's rooms at a glance
//! with the forms its staff use — check in, check out, a room cleaned, rooms added.

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
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sites", get(sites_page))
        .route("/sites/{id}", get(site_page))
        .route("/sites/{id}/rooms", post(rooms_submit))
        .route("/sites/{id}/rooms/{room}", post(room_submit))
        .route("/sites/{id}/stays", post(check_in_submit))
        .route("/sites/{id}/stays/{stay}/check-out", post(check_out_submit))
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
        Err(e) => error_page(page, jar, e.into()),
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
        Ok(s) => (jar, render(&SiteTemplate { page, s, saved: q.saved.is_some() })).into_response(),
        Err(e) => error_page(page, jar, e.into()),
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
