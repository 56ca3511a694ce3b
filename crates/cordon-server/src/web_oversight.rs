//! Oversight pages: headquarters' audit viewer (the glasses broken, then the reads, filtered by
//! reader or person, a page at a time), and the form that breaks the glass for a person outside
//! one's areas (shown where their page would be).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::PersonId;
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::oversight::{self, AuditPage, GlassBreakView, ReadsParams};
use crate::web::{Page, PageUser, error_page, render};
use crate::web_zones::back;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page)).route("/people/{id}/break-glass", post(break_glass_submit))
}

impl Page {
    pub fn can_review_reads(&self) -> bool {
        self.user.as_ref().is_some_and(oversight::may_review)
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTemplate {
    page: Page,
    breaks: Vec<GlassBreakView>,
    reads: AuditPage,
    username: String,
    person_id: String,
}

impl AuditTemplate {
    /// The link to the next page, keeping the filter.
    fn older(&self, before: &i64) -> String {
        let q = serde_urlencoded::to_string([
            ("username", self.username.as_str()),
            ("person_id", self.person_id.as_str()),
            ("before", &before.to_string()),
        ])
        .unwrap_or_default();
        format!("/audit?{q}")
    }
}

async fn audit_page(State(state): State<AppState>, pu: PageUser, Query(p): Query<ReadsParams>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let shown = async {
        let breaks = oversight::glass_breaks(&state, &user).await?;
        let reads = oversight::audit_page(&state, &user, &p).await?;
        Ok::<_, ApiError>((breaks, reads))
    };
    match shown.await {
        Ok((breaks, reads)) => {
            let username = p.username.unwrap_or_default();
            let person_id = p.person_id.unwrap_or_default();
            (jar, render(&AuditTemplate { page, breaks, reads, username, person_id })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "glass.html")]
struct GlassTemplate {
    page: Page,
    id: String,
}

/// Where a person's page would be, for a person outside the user's areas (or nobody): a 404
/// that offers to break the glass, to those who may.
pub(crate) fn not_in_areas(page: Page, jar: axum_extra::extract::CookieJar, id: &str) -> Response {
    let may = page.user.as_ref().is_some_and(oversight::may_break_glass);
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
    let r = oversight::break_glass(&state, &user, &id, &f.reason)
        .await
        .map(|g| format!("/people/{}", g.person_id));
    back(page, jar, r)
}
