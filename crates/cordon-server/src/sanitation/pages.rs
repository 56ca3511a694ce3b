//! The sanitation page: the community's board of disinfections (a team sent, a task marked
//! done) and of the sealed buildings' waste (a collection recorded).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::sanitation::DisinfectionKind;
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::sanitation::{
    self, CollectionRequest, DisinfectionRequest, DoneRequest, SanitationBoard, TeamRequest,
};
use crate::web::{Page, PageUser, back, error_page, render};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/sanitation", sanitation::VIEW),
    RouteNeed::post("/sanitation/disinfections", sanitation::ORDER),
    RouteNeed::post("/sanitation/disinfections/{id}/team", sanitation::WORK),
    RouteNeed::post("/sanitation/disinfections/{id}/done", sanitation::WORK),
    RouteNeed::post("/sanitation/collections", sanitation::WORK),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sanitation", get(board_page))
        .route("/sanitation/disinfections", post(order_submit))
        .route("/sanitation/disinfections/{id}/team", post(team_submit))
        .route("/sanitation/disinfections/{id}/done", post(done_submit))
        .route("/sanitation/collections", post(collect_submit))
}

#[derive(Template)]
#[template(path = "sanitation.html")]
struct BoardTemplate {
    page: Page,
    b: SanitationBoard,
    saved: bool,
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn board_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<SavedQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match sanitation::board(&state, user).await {
        Ok(b) => (jar, render(&BoardTemplate { page, b, saved: q.saved.is_some() })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct OrderForm {
    kind: String,
    area_code: String,
    reason: String,
}

async fn order_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<OrderForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = match DisinfectionKind::parse(&f.kind) {
        Some(kind) => {
            let req = DisinfectionRequest { kind, area_code: f.area_code, reason: f.reason, hours: None };
            sanitation::order(&state, &user, &req)
                .await
                .map(|t| format!("/sanitation?saved=1#task-{}", t.id))
                .map_err(ApiError::from)
        }
        None => Err(ApiError::invalid("kind", "home, stairs or area")),
    };
    back(page, jar, r)
}

#[derive(Deserialize)]
struct TeamForm {
    team: String,
}

async fn team_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<TeamForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = sanitation::assign(&state, &user, id, &TeamRequest { team: f.team })
        .await
        .map(|_| format!("/sanitation?saved=1#task-{id}"))
        .map_err(ApiError::from);
    back(page, jar, r)
}

#[derive(Deserialize)]
struct DoneForm {
    #[serde(default)]
    note: String,
}

async fn done_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DoneForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = sanitation::complete(&state, &user, id, &DoneRequest { at: None, note: f.note })
        .await
        .map(|_| format!("/sanitation?saved=1#task-{id}"))
        .map_err(ApiError::from);
    back(page, jar, r)
}

#[derive(Deserialize)]
struct CollectForm {
    building: String,
    team: String,
    bags: String,
    #[serde(default)]
    apart_bags: String,
    #[serde(default)]
    note: String,
}

fn bags(field: &'static str, s: &str) -> Result<u32, ApiError> {
    match s.trim() {
        "" => Ok(0),
        n => n.parse().map_err(|_| ApiError::invalid(field, "a whole number of bags")),
    }
}

async fn collect_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<CollectForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = match (bags("bags", &f.bags), bags("apart_bags", &f.apart_bags)) {
        (Ok(bags), Ok(apart_bags)) => {
            let req = CollectionRequest {
                building: f.building.clone(),
                collected_at: None,
                team: f.team,
                bags,
                apart_bags,
                note: f.note,
            };
            sanitation::collect(&state, &user, &req)
                .await
                .map(|c| format!("/sanitation?saved=1#building-{}", c.building))
                .map_err(ApiError::from)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    back(page, jar, r)
}
