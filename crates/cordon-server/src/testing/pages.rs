//! The testing pages: rounds, a round's progress (coverage, positive pools and their members,
//! open tasks, the pooling per zone), the sweep list narrowed to a building and its printable
//! door sheet, the sampler's phone page for
//! one tube, and the upload of samples and results files.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::{AreaLevel, TubeResult};
use cordon_import::{Limits, Progress};
use cordon_store::User;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::testing::{
    self, CoverageRow, ResultsImport, RoundDetail, RoundRequest, RoundView, SamplesImport, SweepPerson,
    SweepView, TestingError,
};
use crate::web::{Page, PageUser, error_page, render, urlencode};
use crate::web::{back, local_time};
use cordon_domain::{Need, Right};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/rounds", Need::SignedIn),
    RouteNeed::post("/rounds", Need::AnyOf(&[Right::PlanTesting])),
    RouteNeed::get("/rounds/{id}", crate::testing::FOLLOW),
    RouteNeed::post("/rounds/{id}/close", Need::AnyOf(&[Right::PlanTesting])),
    RouteNeed::get("/rounds/{id}/sweep", crate::testing::FOLLOW),
    RouteNeed::get("/rounds/{id}/sweep/sheet", crate::testing::FOLLOW),
    RouteNeed::get("/rounds/{id}/tube", Need::AnyOf(&[Right::SendSamples])),
    RouteNeed::post("/rounds/{id}/tube", Need::AnyOf(&[Right::SendSamples])),
    RouteNeed::post("/rounds/{id}/upload", Need::AnyOf(&[Right::SendSamples, Right::ReportResults])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rounds", get(rounds_page).post(plan_submit))
        .route("/rounds/{id}", get(round_page))
        .route("/rounds/{id}/close", post(close_submit))
        .route("/rounds/{id}/sweep", get(sweep_page))
        .route("/rounds/{id}/sweep/sheet", get(sheet_page))
        .route("/rounds/{id}/tube", get(tube_page).post(tube_submit))
        .route(
            "/rounds/{id}/upload",
            post(upload_submit).layer(axum::extract::DefaultBodyLimit::max(crate::http::SCAN_UPLOAD_LIMIT)),
        )
}

impl Page {
    pub fn can_plan_rounds(&self) -> bool {
        self.user.as_ref().is_some_and(testing::may_plan)
    }

    pub fn can_sample(&self) -> bool {
        self.user.as_ref().is_some_and(testing::may_sample)
    }

    pub fn can_report(&self) -> bool {
        self.user.as_ref().is_some_and(testing::may_report)
    }

    /// The files this user may send: (kind, title).
    pub fn upload_forms(&self) -> Vec<(&'static str, &'static str)> {
        let mut forms = Vec::new();
        if self.can_sample() {
            forms.push(("samples", self.x().upload_samples));
        }
        if self.can_report() {
            forms.push(("results", self.x().upload_results));
        }
        forms
    }

    pub fn result_name(&self, r: &Option<TubeResult>) -> &'static str {
        match r {
            None => self.x().pending,
            Some(TubeResult::Negative) => self.x().negative,
            Some(TubeResult::Positive) => self.x().positive,
            Some(TubeResult::Invalid) => self.x().invalid,
        }
    }

    pub fn result_class(&self, r: &Option<TubeResult>) -> &'static str {
        r.map_or("pending", |r| r.as_str())
    }

    pub fn task_name(&self, kind: &str) -> &'static str {
        if kind == "retest" { self.x().retest } else { self.x().resample }
    }

    pub fn percent(&self, p: &f64) -> String {
        format!("{p:.1}%")
    }

    pub fn ratio(&self, p: &f64) -> String {
        if *p == 0.0 { "0".into() } else { format!("{:.3}‰", p * 1000.0) }
    }

    pub fn per_person(&self, e: &f64) -> String {
        format!("{e:.3}")
    }

    pub fn sweep_total(&self, n: &i64) -> String {
        self.x().sweep_total.replace("{}", &self.count(n))
    }

    /// A round's name in the page's language, where it has one in English.
    pub fn round_name<'a>(&self, r: &'a RoundView) -> &'a str {
        match (&r.name_en, self.lang) {
            (Some(en), crate::web::i18n::Lang::En) => en,
            _ => &r.name,
        }
    }

    pub fn this_page(&self, n: usize) -> String {
        self.x().this_page.replace("{}", &self.count(&(n as i64)))
    }

    pub fn sheet_cut(&self, n: &usize) -> String {
        self.x().sheet_cut.replace("{}", &self.count(&(*n as i64)))
    }

    pub fn tube_saved(&self, t: &str) -> String {
        self.x().tube_saved.replace("{}", t)
    }

    /// Why a tube was refused, in the page's language: which person, and what is wrong with them.
    fn tube_refusal(&self, e: &TestingError) -> String {
        match e {
            TestingError::Member { index, id, unknown, .. } => {
                let said = if *unknown { self.x().member_unknown } else { self.x().member_malformed };
                said.replace("{n}", &(index + 1).to_string()).replace("{id}", id)
            }
            _ => self.x().tube_refused.to_owned(),
        }
    }

    pub fn round_state(&self, r: &RoundView) -> &'static str {
        if r.closed_at.is_some() { self.x().state_closed } else { self.x().state_open }
    }
}

fn user_of(page: &Page) -> &User {
    page.user.as_ref().expect("signed in")
}

#[derive(Template)]
#[template(path = "rounds.html")]
struct RoundsTemplate {
    page: Page,
    rounds: Vec<RoundView>,
}

async fn rounds_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    match testing::rounds(&state, user_of(&page), true).await {
        Ok(rounds) => (jar, render(&RoundsTemplate { page, rounds })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct PlanForm {
    name: String,
    #[serde(default)]
    name_en: String,
    area_code: String,
    #[serde(default)]
    round_key: String,
    #[serde(default)]
    starts_at: String,
    deadline: String,
}

async fn plan_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<PlanForm>) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let deadline = local_time(&f.deadline, &state)?
            .ok_or_else(|| ApiError::invalid("deadline", "say when sampling must be done"))?;
        let req = RoundRequest {
            round_key: Some(f.round_key),
            name: f.name,
            name_en: Some(f.name_en),
            area_code: f.area_code,
            starts_at: local_time(&f.starts_at, &state)?,
            deadline,
        };
        let r = testing::create_round(&state, user_of(&page), req).await?;
        Ok(format!("/rounds/{}", r.id))
    }
    .await;
    back(page, jar, r)
}

#[derive(Deserialize)]
struct AreaQuery {
    area: Option<String>,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "round.html")]
struct RoundTemplate {
    page: Page,
    d: RoundDetail,
}

async fn round_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    match testing::round_detail(&state, user_of(&page), id, q.area.as_deref()).await {
        Ok(d) => (jar, render(&RoundTemplate { page, d })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

async fn close_submit(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    let r = testing::close_round(&state, user_of(&page), id).await.map(|r| format!("/rounds/{}", r.id));
    back(page, jar, r.map_err(ApiError::from))
}

/// People on one page of the sweep: a few screens of a phone, each row with its door's form.
const SWEEP_PAGE: u32 = 25;
/// The most people a printed door sheet holds (a large compound's worth).
const SHEET_MOST: u32 = 4000;

#[derive(Template)]
#[template(path = "sweep.html")]
struct SweepTemplate {
    page: Page,
    s: SweepView,
    /// The child areas to narrow to, most still to sample first.
    places: Vec<CoverageRow>,
    saved: bool,
    /// Not the first page.
    later: bool,
}

impl SweepTemplate {
    /// A door sheet prints a compound (a building a page) or a building.
    fn printable(&self) -> bool {
        matches!(self.s.area_level, AreaLevel::Compound | AreaLevel::Building)
    }

    /// A person's door said from the area in view down (a building's list says 301, not the
    /// street, community, compound and building again).
    fn door(&self, p: &SweepPerson) -> String {
        let below = (self.s.area_level as usize).min(p.address.len().saturating_sub(1));
        p.address[below..].join(" › ")
    }
}

#[derive(Deserialize)]
struct SweepQuery {
    area: Option<String>,
    saved: Option<String>,
    after: Option<String>,
}

async fn sweep_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<SweepQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = user_of(&page);
    let area = q.area.as_deref();
    let sweep_page = testing::SweepPage { after: q.after.as_deref(), limit: SWEEP_PAGE };
    let r = async {
        let s = testing::sweep(&state, user, id, area, sweep_page).await?;
        let places = testing::sweep_places(&state, user, id, Some(s.area_code.as_str())).await?;
        Ok::<_, TestingError>((s, places))
    }
    .await;
    match r {
        Ok((s, places)) => {
            let saved = q.saved.is_some_and(|v| !v.is_empty());
            let later = q.after.is_some_and(|v| !v.is_empty());
            (jar, render(&SweepTemplate { page, s, places, saved, later })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

/// One building's doors, each with the people still to sample behind it.
struct SheetBuilding {
    name: String,
    /// Street › community › compound, to tell two 7号楼 apart on paper.
    place: String,
    doors: Vec<SheetDoor>,
}

struct SheetDoor {
    name: String,
    people: Vec<SweepPerson>,
}

#[derive(Template)]
#[template(path = "sweep_sheet.html")]
struct SheetTemplate {
    page: Page,
    s: SweepView,
    buildings: Vec<SheetBuilding>,
    /// How many the sheet holds, when the list is longer.
    cut: Option<usize>,
}

/// Groups a sweep, already in door order, by building and door.
fn sheet_buildings(people: Vec<SweepPerson>) -> Vec<SheetBuilding> {
    let mut out: Vec<SheetBuilding> = Vec::new();
    for p in people {
        let n = p.address.len();
        let door = p.address.last().cloned().unwrap_or_default();
        let building = if n >= 2 { p.address[n - 2].clone() } else { String::new() };
        let place = if n >= 2 { p.address[..n - 2].join(" › ") } else { String::new() };
        if out.last().is_none_or(|b| b.name != building || b.place != place) {
            out.push(SheetBuilding { name: building, place, doors: Vec::new() });
        }
        let b = out.last_mut().expect("pushed");
        if b.doors.last().is_none_or(|d| d.name != door) {
            b.doors.push(SheetDoor { name: door, people: Vec::new() });
        }
        b.doors.last_mut().expect("pushed").people.push(p);
    }
    out
}

/// 敲门登记表: the sweep of a compound or a building printed, a building a sheet, with boxes for
/// each door's outcome, for teams that knock without a phone. Above a compound it is the sweep
/// page, to narrow first.
async fn sheet_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<SweepQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let whole = testing::SweepPage { after: None, limit: SHEET_MOST };
    match testing::sweep(&state, user_of(&page), id, q.area.as_deref(), whole).await {
        Ok(s) if s.area_level < AreaLevel::Compound => {
            (jar, Redirect::to(&format!("/rounds/{id}/sweep?area={}", s.area_code))).into_response()
        }
        Ok(mut s) => {
            let cut = (s.people.len() < s.total as usize).then_some(s.people.len());
            let buildings = sheet_buildings(std::mem::take(&mut s.people));
            (jar, render(&SheetTemplate { page, s, buildings, cut })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "tube.html")]
struct TubeTemplate {
    page: Page,
    round: RoundView,
    saved: Option<String>,
    /// What was typed, kept when the tube is refused, and why, in the page's language.
    f: TubeForm,
    refused: Option<String>,
}

async fn tube_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<AreaQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    match state.store.round(&user_of(&page).scope_path, id).await {
        Ok(Some(r)) => {
            let saved = q.saved.filter(|s| !s.is_empty());
            let t =
                TubeTemplate { page, round: RoundView::of(&r), saved, f: TubeForm::default(), refused: None };
            (jar, render(&t)).into_response()
        }
        Ok(None) => error_page(page, jar, ApiError::NotFound),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize, Default)]
struct TubeForm {
    tube_id: String,
    person_ids: String,
    #[serde(default)]
    site: String,
}

async fn tube_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<TubeForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let people: Vec<String> = f
        .person_ids
        .split(|c: char| c == '\n' || c == ',' || c == '，' || c.is_whitespace())
        .map(str::to_owned)
        .collect();
    match testing::record_tube(&state, user_of(&page), id, &f.tube_id, &f.site, &people, None).await {
        Ok(_) => (jar, Redirect::to(&format!("/rounds/{id}/tube?saved={}", urlencode(f.tube_id.trim()))))
            .into_response(),
        // Refused as typed: the form again with what was typed, the reason above it, and no
        // file or path of the server's in it.
        Err(e @ (TestingError::Member { .. } | TestingError::Invalid { .. })) => {
            let round = match state.store.round(&user_of(&page).scope_path, id).await {
                Ok(Some(r)) => RoundView::of(&r),
                Ok(None) => return error_page(page, jar, ApiError::NotFound),
                Err(e) => return error_page(page, jar, e),
            };
            let refused = Some(page.tube_refusal(&e));
            let t = TubeTemplate { page, round, saved: None, f, refused };
            (StatusCode::UNPROCESSABLE_ENTITY, jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "uploaded.html")]
struct UploadedTemplate {
    page: Page,
    round_id: i64,
    samples: Option<SamplesImport>,
    results: Option<ResultsImport>,
}

async fn upload_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let (kind, upload) = receive(multipart).await?;
        let user = user_of(&page);
        let progress = Progress::default();
        let (path, sha) = (upload.path.clone(), upload.sha256.clone());
        Ok::<_, ApiError>(if kind == "samples" {
            (
                Some(testing::import_samples(&state, user, &path, sha, Limits::default(), &progress).await?),
                None,
            )
        } else {
            (
                None,
                Some(testing::import_results(&state, user, &path, sha, Limits::default(), &progress).await?),
            )
        })
    }
    .await;
    match r {
        Ok((samples, results)) => {
            (jar, render(&UploadedTemplate { page, round_id: id, samples, results })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

/// Reads the form's `kind` and streams its `file` to a private temporary file.
async fn receive(mut multipart: Multipart) -> Result<(String, testing::Upload), ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::BadRequest(e.body_text());
    let mut kind = String::new();
    let mut upload = None;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("kind") => kind = field.text().await.map_err(bad)?,
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_owned();
                let (mut file, mut up) = testing::Upload::create(&name).await?;
                use sha2::Digest;
                let mut sha = sha2::Sha256::new();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    sha.update(&chunk);
                    file.write_all(&chunk).await.map_err(|e| ApiError::Internal(e.to_string()))?;
                }
                file.flush().await.map_err(|e| ApiError::Internal(e.to_string()))?;
                up.sha256 = hex::encode(sha.finalize());
                upload = Some(up);
            }
            _ => {}
        }
    }
    let upload = upload.ok_or_else(|| ApiError::invalid("file", "choose a file to upload"))?;
    match kind.as_str() {
        "samples" | "results" => Ok((kind, upload)),
        _ => Err(ApiError::invalid("kind", "samples or results")),
    }
}
