//! The messages page: a worker's inbox, newest first, the unread marked, and one button that
//! marks them read (a message is read when the worker says so, not when a page flashed by).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::words::{EN, InboxTexts, Tongue, ZH};
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::inbox::{self, MessageView, ReadRequest};
use crate::web::i18n::Lang;
use crate::web::*;
use cordon_domain::Need;

pub const NEEDS: &[RouteNeed] =
    &[RouteNeed::get("/messages", Need::SignedIn), RouteNeed::post("/messages/read", Need::SignedIn)];

pub fn routes() -> Router<AppState> {
    Router::new().route("/messages", get(messages_page)).route("/messages/read", post(read_submit))
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesTemplate {
    page: Page,
    w: &'static InboxTexts,
    messages: Vec<MessageView>,
    newest: i64,
}

impl MessagesTemplate {
    fn when(&self, m: &MessageView) -> String {
        m.created_at.with_timezone(&self.page.tz).format("%m-%d %H:%M").to_string()
    }
}

fn tongue(lang: Lang) -> (Tongue, &'static InboxTexts) {
    match lang {
        Lang::Zh => (Tongue::Zh, &ZH),
        Lang::En => (Tongue::En, &EN),
    }
}

async fn messages_page(State(state): State<AppState>, PageUser { page, jar }: PageUser) -> Response {
    let Some(user) = page.user.clone() else { return Redirect::to("/login").into_response() };
    let (t, w) = tongue(page.lang);
    match inbox::inbox(&state, &user, 100, t).await {
        Ok(v) => {
            let newest = v.messages.first().map_or(0, |m| m.id);
            (jar, render(&MessagesTemplate { page, w, messages: v.messages, newest })).into_response()
        }
        Err(e) => error_page(page, jar, ApiError::from(e)),
    }
}

#[derive(Deserialize)]
struct ReadForm {
    up_to: i64,
}

async fn read_submit(
    State(state): State<AppState>,
    PageUser { page, jar }: PageUser,
    Form(f): Form<ReadForm>,
) -> Response {
    let Some(user) = page.user.clone() else { return Redirect::to("/login").into_response() };
    match inbox::mark_read(&state, &user, ReadRequest { up_to: f.up_to }, state.now()).await {
        Ok(_) => (jar, Redirect::to("/messages")).into_response(),
        Err(e) => error_page(page, jar, ApiError::from(e)),
    }
}
