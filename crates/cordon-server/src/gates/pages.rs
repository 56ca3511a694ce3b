//! The gate pages: the gates of one's areas with today's counts, the console of one gate (a
//! phone page: scan or type, the decision and its reason in large type, confirm, next), the log,
//! the whereabouts lists, and passes with their QR codes.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::gates::{Direction, Movement, Outcome, PassKind, Standing, Subject};
use cordon_store::User;
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::gates::{
    self, DecisionRequest, DecisionView, GateError, GateRequest, GateView, LogQuery, PassRequest, PassView,
    PassageView, PresenceLists, TrafficView,
};
use crate::http::error::ApiError;
use crate::web::i18n::Lang;
use crate::web::{Page, PageUser, error_page, render};
use crate::web::{back, local_time};
use cordon_domain::{Need, Right};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/gates", Need::SignedIn),
    RouteNeed::post("/gates", Need::AnyOf(&[Right::ManageGates])),
    RouteNeed::get("/gates/{id}", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::post("/gates/{id}", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/gates/{id}/field", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/gate-log", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/gate-presence", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/passes", crate::gates::READ_PASSES),
    RouteNeed::post("/passes", Need::AnyOf(&[Right::ManageGates])),
    RouteNeed::get("/passes/{id}", crate::gates::READ_PASSES),
    RouteNeed::get("/passes/{id}/qr.svg", crate::gates::READ_PASSES),
    RouteNeed::post("/passes/{id}/revoke", Need::AnyOf(&[Right::ManageGates])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/gates", get(gates_page).post(gate_submit))
        .route("/gates/{id}", get(console_page).post(decide_submit))
        .route("/gate-log", get(log_page))
        .route("/gate-presence", get(presence_page))
        .route("/passes", get(passes_page).post(pass_submit))
        .route("/passes/{id}", get(pass_page))
        .route("/passes/{id}/qr.svg", get(pass_qr))
        .route("/passes/{id}/revoke", post(revoke_submit))
        .merge(super::field::routes())
}

impl Page {
    pub fn can_keep_gates(&self) -> bool {
        self.user.as_ref().is_some_and(gates::may_keep_gate)
    }

    pub fn can_manage_gates(&self) -> bool {
        self.user.as_ref().is_some_and(gates::may_manage)
    }

    pub fn movement(&self, m: &Option<Movement>) -> &'static str {
        match m {
            None | Some(Movement::Free) => self.g().move_free,
            Some(Movement::PassOnly) => self.g().move_pass,
            Some(Movement::Confirm) => self.g().move_confirm,
        }
    }

    pub fn outcome_name(&self, o: &Outcome) -> &'static str {
        match o {
            Outcome::Allowed => self.g().allowed,
            Outcome::Refused => self.g().refused,
            Outcome::AskConfirmation => self.g().ask,
        }
    }

    pub fn outcome_class(&self, o: &Outcome) -> &'static str {
        o.as_str()
    }

    pub fn direction_name(&self, d: &Direction) -> &'static str {
        match d {
            Direction::In => self.g().going_in,
            Direction::Out => self.g().going_out,
        }
    }

    pub fn subject_name(&self, s: &Subject) -> &'static str {
        match s {
            Subject::Resident => self.g().resident,
            Subject::Worker => self.g().worker,
            Subject::Delivery => self.g().delivery,
            Subject::Ambulance => self.g().ambulance,
        }
    }

    pub fn standing_name(&self, s: &Standing) -> &'static str {
        match s {
            Standing::Clear => self.g().st_clear,
            Standing::HeldForRetest => self.g().st_held,
            Standing::Contact => self.g().st_contact,
            Standing::Positive => self.g().st_positive,
        }
    }

    pub fn pass_kind_name(&self, k: &PassKind) -> &'static str {
        match k {
            PassKind::Worker => self.g().k_worker,
            PassKind::Delivery => self.g().k_delivery,
            PassKind::Medical => self.g().k_medical,
            PassKind::Exception => self.g().k_exception,
            PassKind::Emergency => self.g().k_emergency,
            PassKind::Transfer => self.g().k_transfer,
        }
    }

    pub fn pass_kinds(&self) -> Vec<(&'static str, &'static str)> {
        // A transfer's pass is issued with its order, never from this form.
        PassKind::ALL
            .iter()
            .filter(|k| **k != PassKind::Transfer)
            .map(|k| (k.as_str(), self.pass_kind_name(k)))
            .collect()
    }

    /// What a gate decision's reason reads in this page's language.
    pub fn reason<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn pass_state(&self, p: &PassView) -> &'static str {
        let now = chrono::Utc::now();
        if p.revoked_at.is_some() {
            self.g().s_revoked
        } else if p.one_time && p.used_at.is_some() {
            self.g().s_used
        } else if now >= p.valid_until {
            self.g().s_expired
        } else if now < p.valid_from {
            self.g().s_pending
        } else {
            self.g().s_valid
        }
    }

    pub fn clock(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%H:%M").to_string()
    }
}

fn user_of(page: &Page) -> &User {
    page.user.as_ref().expect("signed in")
}

// ---- the gates ----

#[derive(Template)]
#[template(path = "gates.html")]
struct GatesTemplate {
    page: Page,
    gates: Vec<(GateView, Option<TrafficView>)>,
}

fn today(state: &AppState) -> NaiveDate {
    state.now().with_timezone(&state.config.tz).date_naive()
}

async fn gates_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    let user = user_of(&page);
    let r = async {
        let all = gates::gates(&state, user).await?;
        let traffic = if gates::may_keep_gate(user) {
            gates::traffic(&state, user, today(&state), None).await?
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>(
            all.into_iter()
                .map(|g| {
                    let t = traffic.iter().find(|t| t.gate_id == g.id).cloned();
                    (g, t)
                })
                .collect(),
        )
    }
    .await;
    match r {
        Ok(gates) => (jar, render(&GatesTemplate { page, gates })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct GateForm {
    area_code: String,
    name: String,
}

async fn gate_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<GateForm>) -> Response {
    let PageUser { page, jar } = pu;
    let req = GateRequest { area_code: f.area_code, name: f.name };
    let r = gates::create_gate(&state, user_of(&page), req).await.map(|g| format!("/gates/{}", g.id));
    back(page, jar, r.map_err(ApiError::from))
}

// ---- the console ----

#[derive(Template)]
#[template(path = "gate.html")]
struct ConsoleTemplate {
    page: Page,
    gate: GateView,
    decision: Option<DecisionView>,
    /// What was sent, to send again with the confirmation.
    sent: DecisionForm,
    recent: Vec<PassageView>,
    /// Why what was typed must be typed again (a mistyped ID number), kept in the form.
    retype: Option<&'static str>,
}

impl ConsoleTemplate {
    /// The latest passages by local day, newest first, each day under its date: a log that
    /// crosses midnight shows yesterday's apart from today's.
    fn recent_by_day(&self) -> Vec<(String, Vec<&PassageView>)> {
        let mut recent: Vec<&PassageView> = self.recent.iter().collect();
        recent.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        let mut days: Vec<(chrono::NaiveDate, Vec<&PassageView>)> = Vec::new();
        for e in recent {
            let day = e.at.with_timezone(&self.page.tz).date_naive();
            match days.last_mut() {
                Some((d, list)) if *d == day => list.push(e),
                _ => days.push((day, vec![e])),
            }
        }
        days.into_iter().map(|(d, list)| (crate::web::i18n::date(self.page.lang, d), list)).collect()
    }
}

#[derive(Deserialize, Default, Clone)]
struct DecisionForm {
    #[serde(default)]
    direction: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    pass: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirmed: Option<String>,
}

async fn console(
    state: &AppState,
    page: Page,
    jar: axum_extra::extract::cookie::CookieJar,
    id: i64,
    decision: Option<DecisionView>,
    sent: DecisionForm,
    retype: Option<&'static str>,
) -> Response {
    let user = user_of(&page);
    let r = async {
        let gate = gates::gate(state, user, id).await?;
        let q = LogQuery { gate_id: Some(id), limit: 8, ..Default::default() };
        let recent = gates::log(state, user, &q).await?;
        Ok::<_, ApiError>((gate, recent))
    }
    .await;
    match r {
        Ok((gate, recent)) => {
            (jar, render(&ConsoleTemplate { page, gate, decision, sent, recent, retype })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

async fn console_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    let sent = DecisionForm { direction: "in".into(), ..Default::default() };
    console(&state, page, jar, id, None, sent, None).await
}

async fn decide_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let req = DecisionRequest {
        direction: Direction::parse(&f.direction),
        subject: Subject::parse(&f.subject),
        person: opt(&f.person),
        pass: opt(&f.pass),
        confirmed: f.confirmed.is_some(),
        note: f.note.clone(),
    };
    match gates::decide_at_gate(&state, user_of(&page), id, req).await {
        Ok(d) => console(&state, page, jar, id, Some(d), f, None).await,
        // A typo in an ID number: the form again with it, to read off the card once more.
        Err(GateError::IdNumberMistyped) => {
            let why = page.g().id_mistyped;
            console(&state, page, jar, id, None, f, Some(why)).await
        }
        Err(e) => error_page(page, jar, e),
    }
}

// ---- the log and the lists ----

#[derive(Deserialize)]
struct LogForm {
    gate: Option<i64>,
    date: Option<String>,
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "gate_log.html")]
struct LogTemplate {
    page: Page,
    gates: Vec<GateView>,
    gate: Option<i64>,
    date: NaiveDate,
    entries: Vec<PassageView>,
    traffic: Vec<TrafficView>,
}

impl LogTemplate {
    fn is_gate(&self, id: &i64) -> bool {
        self.gate == Some(*id)
    }
}

async fn log_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<LogForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = user_of(&page);
    let r = async {
        let date = match q.date.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid("date", "a day such as 2022-03-03"))?,
            None => today(&state),
        };
        let query = LogQuery { gate_id: q.gate, date: Some(date), before_id: q.before, limit: 200 };
        let entries = gates::log(&state, user, &query).await?;
        let traffic = gates::traffic(&state, user, date, q.gate).await?;
        let gates = gates::gates(&state, user).await?;
        Ok::<_, ApiError>((gates, date, entries, traffic))
    }
    .await;
    match r {
        Ok((gates, date, entries, traffic)) => {
            let mut page = page;
            page.know(&state, entries.iter().map(|e| e.decided_by.as_str())).await;
            let t = LogTemplate { page, gates, gate: q.gate, date, entries, traffic };
            (jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "gate_presence.html")]
struct PresenceTemplate {
    page: Page,
    lists: PresenceLists,
}

impl PresenceTemplate {
    fn sections(&self) -> [(&'static str, &Vec<crate::gates::PresenceView>); 2] {
        [
            (self.page.g().out_of_zone, &self.lists.out_of_their_zone),
            (self.page.g().inside_without, &self.lists.inside_without_standing),
        ]
    }
}

async fn presence_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    match gates::presence(&state, user_of(&page)).await {
        Ok(lists) => (jar, render(&PresenceTemplate { page, lists })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

// ---- passes ----

#[derive(Template)]
#[template(path = "passes.html")]
struct PassesTemplate {
    page: Page,
    passes: Vec<PassView>,
}

async fn passes_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    match gates::passes(&state, user_of(&page)).await {
        Ok(passes) => (jar, render(&PassesTemplate { page, passes })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct PassForm {
    kind: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    holder: String,
    area_code: String,
    #[serde(default)]
    valid_from: String,
    valid_until: String,
    #[serde(default)]
    one_time: Option<String>,
    reason: String,
}

async fn pass_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<PassForm>) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let kind =
            PassKind::parse(&f.kind).ok_or_else(|| ApiError::invalid("kind", "choose a kind of pass"))?;
        let until = local_time(&f.valid_until, &state)?
            .ok_or_else(|| ApiError::invalid("valid_until", "when the pass ends"))?;
        let req = PassRequest {
            kind,
            person: Some(f.person.clone()).filter(|p| !p.trim().is_empty()),
            holder: Some(f.holder.clone()).filter(|p| !p.trim().is_empty()),
            area_code: f.area_code.clone(),
            gate_ids: Vec::new(),
            valid_from: local_time(&f.valid_from, &state)?,
            valid_until: until,
            one_time: f.one_time.is_some(),
            reason: f.reason.clone(),
        };
        Ok(format!("/passes/{}", gates::issue_pass(&state, user_of(&page), req).await?.id))
    }
    .await;
    back(page, jar, r)
}

#[derive(Template)]
#[template(path = "pass.html")]
struct PassTemplate {
    page: Page,
    pass: PassView,
}

async fn pass_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<String>) -> Response {
    let PageUser { page, jar } = pu;
    match gates::pass(&state, user_of(&page), &id).await {
        Ok(pass) => {
            let mut page = page;
            page.know(&state, [pass.issued_by.as_str()]).await;
            (jar, render(&PassTemplate { page, pass })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

async fn pass_qr(State(state): State<AppState>, pu: PageUser, Path(id): Path<String>) -> Response {
    let PageUser { page, jar } = pu;
    match gates::pass_qr(&state, user_of(&page), &id).await {
        Ok(svg) => ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], svg)
            .into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    reason: String,
}

async fn revoke_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r =
        gates::revoke_pass(&state, user_of(&page), &id, &f.reason).await.map(|p| format!("/passes/{}", p.id));
    back(page, jar, r.map_err(ApiError::from))
}
