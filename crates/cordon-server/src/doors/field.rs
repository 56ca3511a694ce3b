//! The sweep's field page (扫楼离线): a building's list on the phone, each door recorded with a
//! tap whether the network is there or not, queued and sent once it is. The page holds no
//! resident: the script (`static/sweep-field.mjs`) reads the round's list through the sweep's
//! own API (audited as any read of it), keeps it sealed on the phone, and sends the doors to
//! `POST /api/v1/rounds/{id}/sweep/offline`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::doors;
use crate::web::{Page, PageUser, error_page, render};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/rounds/{id}/sweep/field", get(field_page))
}

#[derive(Deserialize)]
struct AreaQuery {
    area: Option<String>,
}

#[derive(Template)]
#[template(path = "sweep_field.html")]
struct SweepFieldTemplate {
    page: Page,
    round: i64,
    area: String,
    /// The words the script shows, as JSON (the page's language).
    words: String,
}

async fn field_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(round): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    if let Err(e) = doors::field_round(&state, user, round).await {
        return error_page(page, jar, e);
    }
    // Inside a script element: nothing in it may close the element.
    let words = words(&page).to_string().replace("</", "<\\/");
    let area = q.area.unwrap_or_default().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    (jar, render(&SweepFieldTemplate { page, round, area, words })).into_response()
}

fn words(page: &Page) -> Value {
    let outcomes: Map<String, Value> = page
        .door_choices()
        .iter()
        .map(|o| (o.as_str().to_owned(), Value::from(page.door_label(o))))
        .collect();
    // In the list's order, not at home first: a slip of the thumb keeps the person listed.
    let choices: Vec<[&str; 2]> =
        page.door_choices().iter().map(|o| [o.as_str(), page.door_label(o)]).collect();
    let mut words = json!({
        "outcomes": outcomes, "choices": choices, "reason": page.door_texts().reason, "home_visit": page.door_texts().home_visit,
        "not_home_n": page.door_texts().not_home_n,
    });
    words.as_object_mut().expect("an object").extend(page.field_words().script_words());
    words
}
