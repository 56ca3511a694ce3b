//! The field console of a gate (离线可用): the same decision as the console, taken by the server
//! while the network is there and on the device when it is not, with what waits to sync in
//! view. The page itself holds no resident: the device keeps the gate's post, encrypted, and
//! the script (`static/field.mjs`) decides on it. The service worker keeps this page for the
//! gate, so it opens with no network at all.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cordon_domain::gates::{
    Direction, Finding, OfflineConflict, Outcome, PassKind, RuleId, Standing, Subject,
};
use serde_json::{Map, Value, json};

use super::words::FieldTexts;
use crate::AppState;
use crate::gates::{self, GateView};
use crate::web::{Page, PageUser, error_page, render};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/gates/{id}/field", get(field_page))
}

#[derive(Template)]
#[template(path = "gate_field.html")]
struct FieldTemplate {
    page: Page,
    gate: GateView,
    /// The words the script shows, as JSON (the page's language).
    words: String,
}

impl Page {
    /// The words of the field console, in the page's language.
    pub fn f(&self) -> &'static FieldTexts {
        self.lang.pick(&super::words::ZH_FIELD, &super::words::EN_FIELD)
    }

    /// What the server found of a pass or a person, in the page's language, with its particulars
    /// (a revocation's reason, the area another gate's pass is for) as they were stored.
    pub fn finding_text(&self, finding: &Option<Finding>, detail: &str) -> String {
        let Some(f) = finding else { return String::new() };
        let w = self.f();
        let text = match f {
            Finding::NotCordon => w.pass_not_cordon,
            Finding::BadSignature => w.pass_forged,
            Finding::NoSuchPass => w.pass_unknown,
            Finding::Revoked => w.pass_revoked,
            Finding::Expired => w.pass_expired,
            Finding::OtherGate => w.pass_other_gate,
            Finding::Replayed => w.pass_replayed,
            Finding::FromElsewhere => w.from_elsewhere,
        };
        if detail.is_empty() { text.to_owned() } else { format!("{text}: {detail}") }
    }

    /// How the log words a conflict between a device's offline decision and the server's.
    pub fn conflict_text(&self, c: &OfflineConflict) -> String {
        let mut parts = Vec::new();
        if let (Some(o), Some(r)) = (c.server_outcome, c.server_rule) {
            let (zh, en) = r.reason();
            parts.push(format!(
                "{}: {} · {}",
                self.f().server_said,
                self.outcome_name(&o),
                self.reason(zh, en)
            ));
        }
        if let Some(m) = c.clock_ahead_minutes {
            parts.push(self.f().clock_ahead.replace("{n}", &m.to_string()));
        }
        parts.join(" · ")
    }
}

async fn field_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match gates::gate(&state, user, id).await {
        Ok(gate) => {
            // Inside a script element: nothing in it may close the element.
            let words = words(&page).to_string().replace("</", "<\\/");
            (jar, render(&FieldTemplate { page, gate, words })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

/// Everything the script words: outcomes, reasons, standings, the state of the device.
fn words(page: &Page) -> Value {
    let name = |key: &str, text: &str| (key.to_owned(), Value::from(text));
    let mut reasons = Map::new();
    for r in RuleId::ALL {
        let (zh, en) = r.reason();
        reasons.insert(r.as_str().to_owned(), Value::from(page.reason(zh, en)));
    }
    let outcomes: Map<String, Value> = [Outcome::Allowed, Outcome::Refused, Outcome::AskConfirmation]
        .iter()
        .map(|o| name(o.as_str(), page.outcome_name(o)))
        .collect();
    let standings: Map<String, Value> =
        [Standing::Clear, Standing::HeldForRetest, Standing::Contact, Standing::Positive]
            .iter()
            .map(|s| name(s.as_str(), page.standing_name(s)))
            .collect();
    let directions: Map<String, Value> =
        [Direction::In, Direction::Out].iter().map(|d| name(d.as_str(), page.direction_name(d))).collect();
    let subjects: Map<String, Value> =
        [Subject::Resident, Subject::Worker, Subject::Delivery, Subject::Ambulance]
            .iter()
            .map(|s| name(s.as_str(), page.subject_name(s)))
            .collect();
    let kinds: Map<String, Value> =
        PassKind::ALL.iter().map(|k| name(k.as_str(), page.pass_kind_name(k))).collect();
    let f = page.f();
    let mut words = json!({
        "reasons": reasons, "outcomes": outcomes, "standings": standings, "directions": directions,
        "subjects": subjects, "kinds": kinds,
        "decided_offline": f.decided_offline, "decided_online": f.decided_online,
        "conflicts": f.conflicts, "server_said": f.server_said, "clock_ahead": f.clock_ahead,
        "not_in_post": f.not_in_post, "confirm_in": page.g().confirm_in,
        "declined": page.g().declined, "next": page.g().next, "pass_notes": {
            "not_cordon": f.pass_not_cordon, "bad_signature": f.pass_forged, "revoked": f.pass_revoked,
            "expired": f.pass_expired, "other_gate": f.pass_other_gate, "replayed": f.pass_replayed,
            "no_such_pass": f.pass_unknown, "from_elsewhere": f.from_elsewhere,
        },
    });
    words.as_object_mut().expect("an object").extend(page.field_words().script_words());
    words
}
