//! The sampler's field page (离线采样): their buildings' people on the phone, a tube's barcode
//! scanned (Code 128 with the camera, or typed), people added with a tap, the tube sealed and
//! queued, and sent once the network is there. The page holds no resident: the script
//! (`static/sample-field.mjs`) reads the post (`GET /api/v1/rounds/{id}/samples/post`, audited),
//! keeps it sealed on the phone and sends the tubes to `POST /api/v1/rounds/{id}/tubes/offline`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::AppState;
use crate::sampling;
use crate::web::{Page, PageUser, error_page, render};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/rounds/{id}/samples/field", get(field_page))
}

#[derive(Template)]
#[template(path = "sample_field.html")]
struct SampleFieldTemplate {
    page: Page,
    round: i64,
    /// The words the script shows, as JSON (the page's language).
    words: String,
}

async fn field_page(State(state): State<AppState>, pu: PageUser, Path(round): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    // The round must be one the sampler may sample; what is in it the script reads itself.
    if let Err(e) = sampling::field_round(&state, user, round).await {
        return error_page(page, jar, e);
    }
    // Inside a script element: nothing in it may close the element.
    let words = words(&page).to_string().replace("</", "<\\/");
    (jar, render(&SampleFieldTemplate { page, round, words })).into_response()
}

fn words(page: &Page) -> Value {
    let s = page.sampling_texts();
    let mut words = json!({
        "scan": s.scan, "scan_stop": s.scan_stop, "add": s.add, "in_tube": s.in_tube,
        "no_buildings": s.no_buildings, "tube_used": s.tube_used, "tube_empty": s.tube_empty,
        "tube_full": s.tube_full, "not_on_list": s.not_on_list, "closed": s.closed,
        "refusals": {
            "tube_used": s.tube_used, "not_on_list": s.not_on_list, "round_closed": s.round_closed,
        },
    });
    words.as_object_mut().expect("an object").extend(page.field_words().script_words());
    words
}
