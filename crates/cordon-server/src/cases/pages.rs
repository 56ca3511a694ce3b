//! The case pages: the list with the transmission chain, a case with its tracing, trajectory,
//! contacts and notices, and the contacts under follow-up. Forms post, then redirect to the page
//! that shows the result.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use cordon_domain::cases::Phase;
use cordon_domain::notice::Transport;
use cordon_domain::{CaseClass, CaseOutcome, ContactKind, ContactSource, ContactStatus};
use cordon_store::{ContactQuery, User};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::cases::scan_index::IndexStatus;
use crate::cases::{
    self, CaseDetail, CaseView, Change, ClusterView, ContactView, OpenRequest, SegmentRequest,
};
use crate::http::error::ApiError;
use crate::web::i18n::Lang;
use crate::web::{Page, PageUser, error_page, render};
use crate::web::{back, local_time};
use cordon_domain::{Need, Right};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/cases", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/cases", Need::AnyOf(&[Right::ManageCases, Right::OpenCases])),
    RouteNeed::get("/cases/{id}", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/cases/{id}/trace", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/cases/{id}/changes", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/cases/{id}/segments", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/cases/{id}/segments/{segment}/remove", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/cases/{id}/notices", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/cases/{id}/notices/{notice}/publish", Need::AnyOf(&[Right::Publish])),
    RouteNeed::get("/contacts", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::get("/contacts/{id}", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/contacts/{id}", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/contacts/{id}/checks", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::get("/health-checks/field", Need::AnyOf(&[Right::ViewCases])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(cases_page).post(open_submit))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/trace", post(trace_submit))
        .route("/cases/{id}/changes", post(change_submit))
        .route("/cases/{id}/segments", post(segment_submit))
        .route("/cases/{id}/segments/{segment}/remove", post(segment_remove))
        .route("/cases/{id}/notices", post(notice_submit))
        .route("/cases/{id}/notices/{notice}/publish", post(publish_submit))
        .route("/contacts", get(contacts_page))
        .route("/contacts/{id}", get(contact_page).post(contact_submit))
        .route("/contacts/{id}/checks", post(check_submit))
        .merge(super::checks_field::routes())
}

/// Rows a page shows before it says how many it left out.
/// Contacts on a page of the contacts list: a phone's few screens.
const CONTACT_ROWS: usize = 25;
/// Contacts listed on a case's own page, grouped and folded; the rest are on the contacts page.
const CASE_ROWS: usize = 1000;

impl Page {
    pub fn can_view_cases(&self) -> bool {
        self.user.as_ref().is_some_and(cases::may_view)
    }

    pub fn can_manage_cases(&self) -> bool {
        self.user.as_ref().is_some_and(cases::may_manage)
    }

    pub fn class_name(&self, c: &CaseClass) -> &'static str {
        match c {
            CaseClass::Asymptomatic => self.c().asymptomatic,
            CaseClass::Confirmed => self.c().confirmed,
        }
    }

    pub fn case_label<'a>(&self, c: &'a CaseView) -> &'a str {
        match self.lang {
            Lang::Zh => &c.label_zh,
            Lang::En => &c.label_en,
        }
    }

    pub fn kind_name(&self, k: &ContactKind) -> &'static str {
        match k {
            ContactKind::Close => self.c().close,
            ContactKind::Secondary => self.c().secondary,
        }
    }

    pub fn contact_status(&self, s: &ContactStatus) -> &'static str {
        match s {
            ContactStatus::Identified => self.c().identified,
            ContactStatus::Quarantined => self.c().quarantined,
            ContactStatus::Released => self.c().released,
            ContactStatus::BecameCase => self.c().became_case,
            ContactStatus::Unreachable => self.c().unreachable,
        }
    }

    pub fn phase_name(&self, p: &Phase) -> &'static str {
        match p {
            Phase::NotStarted => self.c().phase_not_started,
            Phase::Central => self.c().phase_central,
            Phase::Home => self.c().phase_home,
            Phase::Ended => self.c().phase_ended,
        }
    }

    pub fn day_n(&self, d: &Option<u32>) -> String {
        d.map(|d| self.c().day_n.replace("{}", &d.to_string())).unwrap_or_default()
    }

    pub fn found_by(&self, c: &ContactView) -> String {
        match (c.source, &c.venue_name) {
            (ContactSource::Household, _) => self.c().household.to_owned(),
            (ContactSource::Venue, Some(v)) => v.clone(),
            (ContactSource::Venue, None) => c.venue_id.clone().unwrap_or_default(),
        }
    }

    /// An address from the compound down: what tells two doors apart within a street; the whole
    /// address stays in the cell's title.
    pub fn near_address(&self, address: &[String]) -> String {
        address[address.len().saturating_sub(3)..].join(" › ")
    }

    pub fn contact_name(&self, c: &ContactView) -> String {
        match (&c.name, c.in_register) {
            (Some(n), _) => n.clone(),
            (None, true) => format!("{} ({})", c.person_id, self.c().outside_areas),
            (None, false) => format!("{} ({})", c.person_id, self.c().not_in_register),
        }
    }

    pub fn transport_name(&self, t: &Option<Transport>) -> &'static str {
        match (t, self.lang) {
            (None, _) => "",
            (Some(t), Lang::Zh) => t.name_zh(),
            (Some(t), Lang::En) => t.name_en(),
        }
    }

    pub fn notice_status(&self, s: &str) -> &'static str {
        match s {
            "published" => self.c().published,
            "withdrawn" => self.c().withdrawn,
            _ => self.c().draft,
        }
    }

    pub fn dates(&self, ds: &[NaiveDate]) -> String {
        ds.iter().map(|d| d.format("%m-%d").to_string()).collect::<Vec<_>>().join(" ")
    }

    pub fn shown_first(&self, n: usize) -> String {
        self.c().shown_first.replace("{}", &n.to_string())
    }

    pub fn opt_time(&self, t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.as_ref().map_or_else(|| "—".into(), |t| self.time(t))
    }

    pub fn transports(&self) -> Vec<(&'static str, &'static str)> {
        Transport::ALL
            .iter()
            .map(|t| (t.as_str(), if self.lang == Lang::Zh { t.name_zh() } else { t.name_en() }))
            .collect()
    }

    pub fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        [
            ContactStatus::Identified,
            ContactStatus::Quarantined,
            ContactStatus::Released,
            ContactStatus::Unreachable,
        ]
        .iter()
        .map(|s| (s.as_str(), self.contact_status(s)))
        .collect()
    }
}

fn user_of(page: &Page) -> &User {
    page.user.as_ref().expect("signed in")
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesTemplate {
    page: Page,
    cases: Vec<CaseView>,
    /// More cases after this page.
    more: bool,
    chain_svg: String,
    clusters: Vec<ClusterView>,
    index: IndexStatus,
    /// The filters as asked: `open`, an outcome, or empty for every case; a local day or empty.
    state_shown: String,
    day: String,
    from: u32,
}

impl CasesTemplate {
    fn at(&self, from: u32) -> String {
        format!("/cases?state={}&day={}&from={from}", self.state_shown, self.day)
    }

    fn next(&self) -> Option<String> {
        self.more.then(|| self.at(self.from + CASE_LIST_ROWS as u32))
    }

    fn prev(&self) -> Option<String> {
        (self.from > 0).then(|| self.at(self.from.saturating_sub(CASE_LIST_ROWS as u32)))
    }

    /// The states a list narrows to: (value, its name).
    fn states(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = vec![("", self.page.c().all), ("open", self.page.c().open_cases)];
        out.extend(CaseOutcome::ALL.iter().map(|o| (o.as_str(), o.label(self.page.lang == Lang::Zh))));
        out
    }
}

#[derive(Deserialize)]
struct CasesQuery {
    state: Option<String>,
    day: Option<String>,
    from: Option<u32>,
}

/// Cases on a page of the list.
const CASE_LIST_ROWS: usize = 20;

async fn cases_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<CasesQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let state_shown = q.state.unwrap_or_default().trim().to_owned();
    let day = q.day.unwrap_or_default().trim().to_owned();
    let from = q.from.unwrap_or(0);
    let r = async {
        let user = user_of(&page);
        let filter = cases::CaseFilter {
            open_only: state_shown == "open",
            outcome: CaseOutcome::parse(&state_shown).ok(),
            sampled_on: match day.as_str() {
                "" => None,
                d => Some(
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map_err(|_| ApiError::invalid("day", "a day, YYYY-MM-DD"))?,
                ),
            },
            limit: CASE_LIST_ROWS as u32 + 1,
            offset: from,
        };
        let cases = cases::list_filtered(&state, user, &filter, "GET /cases").await?;
        let (chain_svg, clusters) = cases::chain(&state, user, None).await?;
        Ok::<_, ApiError>((cases, chain_svg, clusters))
    }
    .await;
    match r {
        Ok((mut cases, chain_svg, clusters)) => {
            let more = cases.len() > CASE_LIST_ROWS;
            cases.truncate(CASE_LIST_ROWS);
            let index = state.scans.status();
            let t = CasesTemplate { page, cases, more, chain_svg, clusters, index, state_shown, day, from };
            (jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct OpenForm {
    person_id: String,
    class: String,
    #[serde(default)]
    onset_date: String,
    #[serde(default)]
    sampled_at: String,
    #[serde(default)]
    isolated_at: String,
    #[serde(default)]
    isolation_place: String,
    #[serde(default)]
    source_case_id: String,
    #[serde(default)]
    note: String,
}

fn opt_id(field: &str, s: &str) -> Result<Option<i64>, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| ApiError::invalid(field, "expected a case number"))
}

async fn open_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<OpenForm>) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let onset = match f.onset_date.trim() {
            "" => None,
            s => Some(
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| ApiError::invalid("onset_date", "expected a day such as 2022-03-03"))?,
            ),
        };
        let req = OpenRequest {
            person_id: f.person_id.trim().to_owned(),
            class: CaseClass::parse(&f.class)?,
            onset,
            sampled_at: local_time(&f.sampled_at, &state)?.unwrap_or_else(chrono::Utc::now),
            isolated_at: local_time(&f.isolated_at, &state)?,
            isolation_place: f.isolation_place,
            source_case_id: opt_id("source_case_id", &f.source_case_id)?,
            note: f.note,
        };
        let c = cases::open(&state, user_of(&page), req).await?;
        Ok(format!("/cases/{}", c.id))
    }
    .await;
    back(page, jar, r)
}

/// A case's contacts found the same way: the household, or one venue; close or secondary.
struct ContactGroup {
    kind: ContactKind,
    /// Where they were found, as `found_by` says it.
    by: String,
    contacts: Vec<ContactView>,
}

impl ContactGroup {
    /// A short group is shown open; a long one folds, so the case reads in a few screens.
    fn open(&self) -> bool {
        self.contacts.len() <= 3
    }
}

/// Groups contacts by kind (close first) and by where they were found, the largest group first.
fn contact_groups(page: &Page, contacts: Vec<ContactView>) -> Vec<ContactGroup> {
    let mut groups: Vec<ContactGroup> = Vec::new();
    for c in contacts {
        let by = page.found_by(&c);
        match groups.iter_mut().find(|g| g.kind == c.kind && g.by == by) {
            Some(g) => g.contacts.push(c),
            None => groups.push(ContactGroup { kind: c.kind, by, contacts: vec![c] }),
        }
    }
    let rank = |k: ContactKind| if k == ContactKind::Close { 0 } else { 1 };
    groups.sort_by(|a, b| {
        rank(a.kind).cmp(&rank(b.kind)).then(b.contacts.len().cmp(&a.contacts.len())).then(a.by.cmp(&b.by))
    });
    groups
}

#[derive(Template)]
#[template(path = "case.html")]
struct CaseTemplate {
    page: Page,
    d: CaseDetail,
    groups: Vec<ContactGroup>,
    more_contacts: bool,
    venues: Vec<(String, String)>,
    chain_svg: String,
    traced: Option<String>,
}

#[derive(Deserialize)]
struct CaseQuery {
    /// Set by the redirect after tracing: "close,secondary,added".
    traced: Option<String>,
}

async fn case_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<CaseQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let user = user_of(&page);
        let (d, chain) = cases::detail_and_chain(&state, user, id, "GET /cases/{id}").await?;
        let query = ContactQuery { case_id: Some(id), limit: CASE_ROWS as u32 + 1, ..Default::default() };
        let mut contacts = cases::contacts(&state, user, &query, "GET /cases/{id}").await?;
        let more_contacts = contacts.len() > CASE_ROWS;
        contacts.truncate(CASE_ROWS);
        let venues = if d.may_manage {
            state
                .store
                .venues_in(&user.scope_path, 2000)
                .await?
                .into_iter()
                .map(|v| (v.venue.venue_id, format!("{}（{}）", v.venue.name, v.area_name)))
                .collect()
        } else {
            vec![]
        };
        let (chain_svg, _) = cases::chain_picture(&chain, user, Some(id));
        Ok::<_, ApiError>((d, contacts, more_contacts, venues, chain_svg))
    }
    .await;
    match r {
        Ok((d, contacts, more_contacts, venues, chain_svg)) => {
            let groups = contact_groups(&page, contacts);
            let mut page = page;
            let by = d
                .history
                .iter()
                .map(|e| e.by.as_str())
                .chain(d.notices.iter().map(|n| n.created_by.as_str()));
            page.know(&state, by).await;
            let t = CaseTemplate { page, d, groups, more_contacts, venues, chain_svg, traced: q.traced };
            (jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

async fn trace_submit(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    let r = cases::trace(&state, user_of(&page), id)
        .await
        .map(|o| format!("/cases/{id}?traced={},{},{}", o.close, o.secondary, o.added));
    back(page, jar, r.map_err(ApiError::from))
}

#[derive(Deserialize)]
struct ChangeForm {
    kind: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    source_case_id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    outcome: String,
}

async fn change_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let change = match f.kind.as_str() {
            "reclassify" => Change::Reclassify { to: CaseClass::Confirmed },
            "isolate" => Change::Isolate { at: local_time(&f.at, &state)?, place: f.place },
            "link" => Change::Link { source_case_id: opt_id("source_case_id", &f.source_case_id)? },
            "note" => Change::Note { text: f.text },
            "outcome" => {
                let req = cases::OutcomeRequest {
                    outcome: f.outcome,
                    at: local_time(&f.at, &state)?,
                    negative_tests: vec![],
                };
                cases::record_outcome(&state, user_of(&page), id, &req, "POST /cases/{id}/changes").await?;
                return Ok(format!("/cases/{id}"));
            }
            other => return Err(ApiError::invalid("kind", format!("unknown change {other:?}"))),
        };
        cases::change(&state, user_of(&page), id, change).await?;
        Ok(format!("/cases/{id}"))
    }
    .await;
    back(page, jar, r)
}

#[derive(Deserialize)]
struct SegmentForm {
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    venue_id: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    transport: String,
    #[serde(default)]
    transport_detail: String,
}

async fn segment_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<SegmentForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let starts_at = local_time(&f.starts_at, &state)?
            .ok_or_else(|| ApiError::invalid("starts_at", "when did it start?"))?;
        let transport = match f.transport.trim() {
            "" => None,
            t => Some(Transport::parse(t)?),
        };
        let req = SegmentRequest {
            starts_at,
            ends_at: local_time(&f.ends_at, &state)?,
            venue_id: Some(f.venue_id),
            area_code: Some(f.area_code),
            place: f.place,
            transport,
            transport_detail: f.transport_detail,
        };
        cases::add_segment(&state, user_of(&page), id, req).await?;
        Ok(format!("/cases/{id}#trajectory"))
    }
    .await;
    back(page, jar, r)
}

async fn segment_remove(
    State(state): State<AppState>,
    pu: PageUser,
    Path((id, segment)): Path<(i64, i64)>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = cases::remove_segment(&state, user_of(&page), id, segment)
        .await
        .map(|()| format!("/cases/{id}#trajectory"));
    back(page, jar, r.map_err(ApiError::from))
}

async fn notice_submit(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    let r = cases::draft_notice(&state, user_of(&page), id).await.map(|_| format!("/cases/{id}#notices"));
    back(page, jar, r.map_err(ApiError::from))
}

async fn publish_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path((id, notice)): Path<(i64, i64)>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = cases::publish_notice(&state, user_of(&page), id, notice)
        .await
        .map(|_| format!("/cases/{id}#notices"));
    back(page, jar, r.map_err(ApiError::from))
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsTemplate {
    page: Page,
    contacts: Vec<ContactView>,
    more: bool,
    /// `active`, `overdue` or `all`.
    show: &'static str,
    /// Where this page starts in the list.
    from: u32,
}

impl ContactsTemplate {
    fn next(&self) -> Option<String> {
        self.more.then(|| format!("/contacts?show={}&from={}", self.show, self.from + CONTACT_ROWS as u32))
    }

    fn prev(&self) -> Option<String> {
        (self.from > 0).then(|| {
            format!("/contacts?show={}&from={}", self.show, self.from.saturating_sub(CONTACT_ROWS as u32))
        })
    }
}

#[derive(Deserialize)]
struct ContactsQuery {
    /// `all` for every contact, released ones too; `overdue` for those with a test day missed.
    show: Option<String>,
    from: Option<u32>,
}

async fn contacts_page(
    State(state): State<AppState>,
    pu: PageUser,
    Query(q): Query<ContactsQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let show = match q.show.as_deref() {
        Some("all") => "all",
        Some("overdue") => "overdue",
        _ => "active",
    };
    let from = q.from.unwrap_or(0);
    let query = ContactQuery {
        active_only: show != "all",
        overdue_only: show == "overdue",
        limit: CONTACT_ROWS as u32 + 1,
        offset: from,
        ..Default::default()
    };
    match cases::contacts(&state, user_of(&page), &query, "GET /contacts").await {
        Ok(mut contacts) => {
            let more = contacts.len() > CONTACT_ROWS;
            contacts.truncate(CONTACT_ROWS);
            (jar, render(&ContactsTemplate { page, contacts, more, show, from })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactTemplate {
    page: Page,
    c: ContactView,
    f: cases::ContactFollowUp,
}

async fn contact_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    match cases::followup(&state, user_of(&page), id, "GET /contacts/{id}").await {
        Ok(f) => (jar, render(&ContactTemplate { page, c: f.contact.clone(), f })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

/// The health check form: the temperature, and a box per symptom (`symptom` once per box ticked).
async fn check_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let value = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned());
        let typed = value("temperature").unwrap_or_default();
        let temperature = typed.parse::<f64>().map_err(|_| {
            ApiError::invalid("temperature", format!("{typed:?} is not a temperature such as 36.6"))
        })?;
        let symptoms = fields.iter().filter(|(n, _)| n == "symptom").map(|(_, v)| v.clone()).collect();
        let req = cases::HealthCheckRequest { temperature, symptoms, at: None };
        cases::record_check(&state, user_of(&page), id, &req, "POST /contacts/{id}/checks").await?;
        Ok(format!("/contacts/{id}#checks"))
    }
    .await;
    back(page, jar, r)
}

#[derive(Deserialize)]
struct ContactForm {
    status: String,
    #[serde(default)]
    place: String,
}

async fn contact_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ContactForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let status = ContactStatus::parse(&f.status)?;
        cases::update_contact(&state, user_of(&page), id, status, &f.place).await?;
        Ok(format!("/contacts/{id}"))
    }
    .await;
    back(page, jar, r)
}
