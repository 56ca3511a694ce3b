//! The health checks' field page (健康监测离线): the contacts followed up at home in an area on
//! the phone, each day's check — temperature and symptoms — taken at the door whether the
//! network is there or not, queued and sent once it is. The page holds no resident: the script
//! (`static/checks-field.mjs`) reads the contacts through their own API (audited as any read of
//! them), keeps them sealed on the phone, and sends the checks to
//! `POST /api/v1/health-checks/offline`.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::web::{Page, PageUser, render};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/health-checks/field", get(field_page))
}

#[derive(Deserialize)]
struct AreaQuery {
    area: Option<String>,
}

#[derive(Template)]
#[template(path = "checks_field.html")]
struct ChecksFieldTemplate {
    page: Page,
    /// The area whose contacts the phone keeps (the user's own when none).
    area: String,
    /// The words the script shows, as JSON (the page's language).
    words: String,
}

async fn field_page(pu: PageUser, State(_): State<AppState>, Query(q): Query<AreaQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let area = q.area.unwrap_or_default().chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>();
    let area = if area.is_empty() { user.scope.to_string() } else { area };
    // Inside a script element: nothing in it may close the element.
    let words = words(&page).to_string().replace("</", "<\\/");
    (jar, render(&ChecksFieldTemplate { page, area, words })).into_response()
}

fn words(page: &Page) -> Value {
    let f = page.follow_texts();
    let symptoms: Map<String, Value> =
        page.symptom_choices().into_iter().map(|(k, v)| (k.to_owned(), Value::from(v))).collect();
    let own = json!({
        "temperature": f.temperature, "symptoms": symptoms, "symptoms_label": f.symptoms, "record": f.record_check,
        "checked_today": f.checked_today, "none_here": f.none_here, "left": f.left_to_check,
        "all_done": f.all_checked,
    });
    // The device-state words every field page shares, this page's own over them.
    let mut words = page.field_words().script_words();
    words.extend(own.as_object().expect("an object").clone());
    Value::Object(words)
}
