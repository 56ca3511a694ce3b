//! The duplicates page (重复登记): pairs of entries that may be one person, side by side, each
//! with the form that merges one into the other.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::register::duplicates::{self, DuplicatePairView, DuplicateSide, MergeRequest};
use crate::web::back;
use crate::web::i18n::Lang;
use crate::web::{Page, PageUser, error_page, render};
use cordon_domain::{Need, Right};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/people/duplicates", Need::AnyOf(&[Right::MergePeople])),
    RouteNeed::post("/people/{id}/merge", Need::AnyOf(&[Right::MergePeople])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/people/duplicates", get(duplicates_page))
        .route("/people/{id}/merge", post(merge_submit))
}

impl Page {
    pub fn can_merge_people(&self) -> bool {
        self.user.as_ref().is_some_and(duplicates::may_merge)
    }
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesTemplate {
    page: Page,
    pairs: Vec<DuplicatePairView>,
}

impl DuplicatesTemplate {
    /// Each entry with the other: the form under an entry keeps it and merges the other.
    fn sides<'a>(&self, p: &'a DuplicatePairView) -> [(&'a DuplicateSide, &'a DuplicateSide); 2] {
        [(&p.a, &p.b), (&p.b, &p.a)]
    }

    fn reason(&self, p: &DuplicatePairView) -> String {
        match self.page.lang {
            Lang::Zh => p.reason_zh.clone(),
            Lang::En => p.reason_en.clone(),
        }
    }
}

async fn duplicates_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    match duplicates::find(&state, &user, 100, "GET /people/duplicates").await {
        Ok(pairs) => (jar, render(&DuplicatesTemplate { page, pairs })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct MergeForm {
    duplicate_id: String,
    reason: String,
}

async fn merge_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<String>,
    Form(f): Form<MergeForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = MergeRequest { duplicate_id: f.duplicate_id, reason: f.reason };
    let r = duplicates::merge(&state, &user, &id, &req).await.map(|m| format!("/people/{}", m.kept_id));
    back(page, jar, r.map_err(ApiError::from))
}
