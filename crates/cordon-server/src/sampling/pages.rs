//! The round's team page (采样分工): the buildings of a round given to samplers, picked by
//! walking down the map; and the sampler's field page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::service::{ASSIGN, SAMPLE};
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::sampling::{self, RefusalView, TeamView};
use crate::web::picker::AreaPicker;
use crate::web::{Page, PageUser, back, error_page, render};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/rounds/{id}/team", crate::testing::FOLLOW),
    RouteNeed::post("/rounds/{id}/team", ASSIGN),
    RouteNeed::post("/rounds/{id}/team/remove", ASSIGN),
    RouteNeed::get("/rounds/{id}/samples/field", SAMPLE),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds/{id}/team", get(team_page).post(assign_submit))
        .route("/rounds/{id}/team/remove", post(remove_submit))
        .merge(super::field::routes())
}

#[derive(Deserialize, Default)]
struct TeamQuery {
    pick: Option<String>,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "round_team.html")]
struct TeamTemplate {
    page: Page,
    team: TeamView,
    picker: Option<AreaPicker>,
    saved: bool,
    /// What the round's phones took offline and the server refused (for whoever plans it).
    refusals: Vec<RefusalView>,
}

impl TeamTemplate {
    fn pick_base(&self) -> String {
        format!("/rounds/{}/team?pick=", self.team.round_id)
    }

    /// A building or compound is picked: it may be given.
    fn may_give(&self) -> bool {
        self.picker.as_ref().is_some_and(|p| {
            p.here.level >= cordon_domain::AreaLevel::Compound
                && p.here.level < cordon_domain::AreaLevel::Household
        })
    }
}

async fn team_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<TeamQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let team = match sampling::team(&state, user, id).await {
        Ok(t) => t,
        Err(e) => return error_page(page, jar, e),
    };
    let picker =
        match crate::web::picker::area_picker(&state, user, q.pick.as_deref().unwrap_or_default()).await {
            Ok(p) => p,
            Err(e) => return error_page(page, jar, ApiError::from(e)),
        };
    let saved = q.saved.is_some();
    let refusals = match user.may(cordon_domain::Right::PlanTesting) {
        true => match sampling::refusals(&state, user, id).await {
            Ok(r) => r,
            Err(e) => return error_page(page, jar, e),
        },
        false => Vec::new(),
    };
    let mut page = page;
    let by: Vec<String> = team.assignments.iter().map(|a| a.assigned_by.clone()).collect();
    page.know(&state, by.iter().map(String::as_str)).await;
    (jar, render(&TeamTemplate { page, team, picker, saved, refusals })).into_response()
}

#[derive(Deserialize)]
struct AssignForm {
    area: String,
    username: String,
}

async fn assign_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let r = sampling::give_building(&state, user, id, &f.area, &f.username)
        .await
        .map(|a| format!("/rounds/{id}/team?pick={}&saved=1", a.area_code))
        .map_err(ApiError::from);
    back(page, jar, r)
}

async fn remove_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let r = sampling::take_building(&state, user, id, &f.area, &f.username)
        .await
        .map(|()| format!("/rounds/{id}/team"))
        .map_err(ApiError::from);
    back(page, jar, r)
}
