//! The notices page: what was posted to the user's areas and above them, and — for those who
//! serve residents — the form that posts one. It calls the same service as the API.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::words::{NoticeTexts, texts};
use crate::AppState;
use crate::access::RouteNeed;
use crate::announcements::{self, AnnouncementRequest, AnnouncementView};
use crate::http::error::ApiError;
use crate::web::i18n::Lang;
use crate::web::*;
use cordon_domain::{Need, Right};

pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/announcements", Need::SignedIn),
    RouteNeed::post("/announcements", Need::AnyOf(&[Right::HandleNeeds])),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/announcements", get(notices_page).post(post_submit))
}

impl Page {
    pub fn can_post_notices(&self) -> bool {
        self.user.as_ref().is_some_and(announcements::may_post)
    }
}

#[derive(Template)]
#[template(path = "announcements.html")]
struct NoticesTemplate {
    page: Page,
    w: &'static NoticeTexts,
    notices: Vec<AnnouncementView>,
    /// The form as sent, when it was refused; the user's own area otherwise.
    area: String,
    text: String,
    text_en: String,
    error: Option<String>,
    /// Households the last notice was texted to.
    posted: Option<i64>,
}

impl NoticesTemplate {
    fn when(&self, n: &AnnouncementView) -> String {
        n.created_at.with_timezone(&self.page.tz).format("%m-%d %H:%M").to_string()
    }
}

#[derive(Deserialize)]
struct PostedQuery {
    posted: Option<i64>,
}

async fn view(
    state: &AppState,
    page: Page,
    form: NoticeForm,
    error: Option<String>,
    posted: Option<i64>,
) -> Response {
    let Some(user) = page.user.clone() else { return Redirect::to("/login").into_response() };
    match announcements::list_for(state, &user.scope_path, 100).await {
        Ok(notices) => {
            let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let mut page = page;
            page.know(state, notices.iter().map(|n| n.created_by.as_str())).await;
            let t = NoticesTemplate {
                w: texts(page.lang),
                page,
                notices,
                area: if form.area.is_empty() { user.scope.as_str().to_owned() } else { form.area },
                text: form.text,
                text_en: form.text_en,
                error,
                posted,
            };
            (status, render(&t)).into_response()
        }
        Err(e) => error_page(page, axum_extra::extract::cookie::CookieJar::new(), e),
    }
}

async fn notices_page(
    State(state): State<AppState>,
    PageUser { page, jar }: PageUser,
    Query(q): Query<PostedQuery>,
) -> Response {
    (jar, view(&state, page, NoticeForm::default(), None, q.posted).await).into_response()
}

#[derive(Deserialize, Default)]
struct NoticeForm {
    #[serde(default)]
    area: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    text_en: String,
}

async fn post_submit(
    State(state): State<AppState>,
    PageUser { page, jar }: PageUser,
    Form(f): Form<NoticeForm>,
) -> Response {
    let Some(user) = page.user.clone() else { return Redirect::to("/login").into_response() };
    let req = AnnouncementRequest {
        area: f.area.clone(),
        text: f.text.clone(),
        text_en: Some(f.text_en.clone()).filter(|t| !t.trim().is_empty()),
    };
    match announcements::post(&state, &user, req, state.now()).await {
        Ok(v) => (jar, Redirect::to(&format!("/announcements?posted={}", v.households))).into_response(),
        Err(e) => {
            let why = ApiError::from(e).to_string();
            (jar, view(&state, page, f, Some(why), None).await).into_response()
        }
    }
}
