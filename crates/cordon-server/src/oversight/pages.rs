//! Oversight pages: headquarters' audit viewer (the glasses broken, then the reads, filtered by
//! reader or person, a page at a time), and the roles' rights; the form that breaks the glass for a
//! person outside
//! one's areas (shown where their page would be).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::{Right, Role};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::oversight::roles::{self, RightHold, RoleRights};
use crate::oversight::{self, AuditPage, GlassBreakView, ReadsParams};
use crate::web::back;
use crate::web::i18n::Lang;
use crate::web::{Page, PageUser, error_page, render};
use cordon_domain::Need;

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/audit", Need::AnyOf(&[Right::ReviewAudit])),
    RouteNeed::get("/roles", Need::AnyOf(&[Right::Command])),
    RouteNeed::post("/roles/{role}/{right}", Need::AnyOf(&[Right::Command])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(audit_page))
        .route("/roles", get(roles_page))
        .route("/roles/{role}/{right}", post(role_right_submit))
}

impl Page {
    pub fn can_review_reads(&self) -> bool {
        self.user.as_ref().is_some_and(oversight::may_review)
    }

    pub fn can_change_rights(&self) -> bool {
        self.user.as_ref().is_some_and(roles::may_change)
    }
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesTemplate {
    page: Page,
    roles: Vec<RoleRights>,
}

impl RolesTemplate {
    /// The rights in their order, with each role's hold on each (a row of the table).
    fn rows(&self) -> Vec<(Right, Vec<(Role, RightHold)>)> {
        Right::ALL
            .into_iter()
            .map(|right| {
                let cells = self
                    .roles
                    .iter()
                    .filter_map(|r| r.rights.iter().find(|h| h.right == right).map(|h| (r.role, h.clone())))
                    .collect();
                (right, cells)
            })
            .collect()
    }

    fn right_name(&self, r: &Right) -> &'static str {
        match self.page.lang {
            Lang::Zh => r.name_zh(),
            Lang::En => r.name_en(),
        }
    }

    fn changed(&self, h: &RightHold) -> String {
        match (&h.changed_by, h.changed_at) {
            (Some(by), Some(at)) => format!("{by} · {}", self.page.time(&at)),
            _ => String::new(),
        }
    }
}

async fn roles_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    match roles::all(&state, &user).await {
        Ok(roles) => (jar, render(&RolesTemplate { page, roles })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct RightForm {
    granted: String,
}

async fn role_right_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path((role, right)): Path<(String, String)>,
    Form(f): Form<RightForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = match f.granted.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::invalid("granted", "true or false")),
    };
    let r = match r {
        Ok(granted) => roles::set(&state, &user, &role, &right, granted)
            .await
            .map(|h| format!("/roles#{}", h.right))
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    back(page, jar, r)
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
