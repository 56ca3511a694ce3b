//! The glass's pages: the form offered on the 404 of a person's page, and its answer.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use cordon_domain::PersonId;
use serde::Deserialize;

use super::glass;
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::web::back;
use crate::web::{Page, PageUser, error_page, render};
use cordon_domain::{Need, Right};

#[derive(Template)]
#[template(path = "glass.html")]
struct GlassTemplate {
    page: Page,
    id: String,
}

/// Where a person's page would be, for a person outside the user's areas (or nobody): a 404
/// that offers to break the glass, to those who may.
pub(crate) fn not_in_areas(page: Page, jar: axum_extra::extract::CookieJar, id: &str) -> Response {
    let may = page.user.as_ref().is_some_and(glass::may_break_glass);
    match PersonId::parse(id) {
        Ok(id) if may => {
            let id = id.as_str().to_owned();
            (axum::http::StatusCode::NOT_FOUND, jar, render(&GlassTemplate { page, id })).into_response()
        }
        _ => error_page(page, jar, ApiError::NotFound),
    }
}

#[derive(Deserialize)]
struct GlassForm {
    reason: String,
}

async fn break_glass_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<String>,
    Form(f): Form<GlassForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r =
        glass::break_glass(&state, &user, &id, &f.reason).await.map(|g| format!("/people/{}", g.person_id));
    back(page, jar, r.map_err(ApiError::from))
}

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] =
    &[RouteNeed::post("/people/{id}/break-glass", Need::AnyOf(&[Right::BreakGlass]))];

/// The glass's form.
pub fn routes() -> Router<AppState> {
    Router::new().route("/people/{id}/break-glass", post(break_glass_submit))
}
