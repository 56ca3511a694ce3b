//! The testing service: rounds, files of samples and results, what a result calls for, the
//! coverage of a round and the sweep.
//!
//! A samples file is checked against the pooling of every zone it touches (data from each
//! zone's profile); a results file holds every member of a positive pool for a single-tube
//! retest, files the zones the profile calls for around them as proposals, opens a case for a
//! positive single tube and asks for a new sample from every member of an invalid tube. A
//! round closed records, in every zone inside it, whether it came back all negative: the
//! figure a zone needs to step down.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use cordon_domain::testing::{Scheme, best_dorfman, schemes};
use cordon_domain::{
    AreaCode, AreaLevel, AreaPath, CaseClass, EventKind, Need, PersonId, Right, Tier, TubeResult, ZoneEvent,
};
use cordon_import::{ImportError, Limits, Progress, SampleReader, read_results};
use cordon_store::{
    AreaNode, Begun, NewRound, NewTube, NewZoneEvent, Rejected, ResultRow, RoundRecord, RoundTotals,
    SampleRow, ScanFile, TaskKind, TaskQuery, TaskRecord, TubeRecord, User, ZonePooling, ZoneQuery,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::TestingError;
use super::sweep::{DoorFigures, door_figures};
use crate::AppState;
use crate::cases::{self, OpenRequest};
use crate::zones::{self, ProposalView, check_note, profile_in_force, profiles};

/// Planning rounds and closing them, in one's areas (`plan_testing`).
pub fn may_plan(user: &User) -> bool {
    user.may(Right::PlanTesting)
}

/// Sending samples (`send_samples`).
pub fn may_sample(user: &User) -> bool {
    user.may(Right::SendSamples)
}

/// Sending results, which opens cases (`report_results`).
pub fn may_report(user: &User) -> bool {
    user.may(Right::ReportResults)
}

/// Reading a round's figures, its sweep list and its tasks (who is held for a retest): a testing
/// right of any kind. The round list (the schedule) is open to every signed-in worker.
pub fn may_follow(user: &User) -> bool {
    user.meets(FOLLOW)
}

/// The need of a round's figures, its sweep list and the testing tasks.
pub const FOLLOW: Need = Need::AnyOf(&[Right::PlanTesting, Right::SendSamples, Right::ReportResults]);

pub(super) fn forbid(what: &str) -> TestingError {
    TestingError::Forbidden(format!("{what} is not part of your role"))
}

// ---- views ----

#[derive(Serialize, ToSchema, Clone)]
pub struct RoundView {
    pub id: i64,
    /// The `round_id` of samples files.
    pub round_key: String,
    pub name: String,
    /// The name in English; none where `name` serves both languages.
    pub name_en: Option<String>,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub residents: i64,
    pub starts_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub profile_key: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub created_by: String,
}

impl RoundView {
    pub fn of(r: &RoundRecord) -> Self {
        RoundView {
            id: r.id,
            round_key: r.round_key.clone(),
            name: r.name.clone(),
            name_en: Some(r.name_en.clone()).filter(|n| !n.is_empty()),
            area_code: r.area.clone(),
            area_name: r.area_name.clone(),
            residents: r.residents,
            starts_at: r.starts_at,
            deadline: r.deadline,
            profile_key: r.profile_key.clone(),
            closed_at: r.closed_at,
            closed_by: r.closed_by.clone(),
            created_by: r.created_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Copy, Default)]
pub struct TotalsView {
    /// Registered residents of the area.
    pub residents: i64,
    /// Distinct people sampled in the round.
    pub sampled: i64,
    /// sampled / residents, in per cent (one decimal).
    pub coverage_pct: f64,
    pub tubes: i64,
    pub negative: i64,
    pub positive: i64,
    pub invalid: i64,
    pub pending: i64,
    /// People held for a single-tube retest.
    pub open_retests: i64,
    pub open_resamples: i64,
}

impl TotalsView {
    fn of(residents: i64, t: RoundTotals) -> Self {
        TotalsView {
            residents,
            sampled: t.people,
            coverage_pct: pct(t.people, residents),
            tubes: t.tubes,
            negative: t.negative,
            positive: t.positive,
            invalid: t.invalid,
            pending: t.pending,
            open_retests: t.open_retests,
            open_resamples: t.open_resamples,
        }
    }
}

fn pct(n: i64, of: i64) -> f64 {
    if of <= 0 { 0.0 } else { (n as f64 * 1000.0 / of as f64).round() / 10.0 }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct CoverageRow {
    #[schema(value_type = String)]
    pub code: AreaCode,
    pub name: String,
    pub level: AreaLevel,
    pub residents: i64,
    pub sampled: i64,
    pub coverage_pct: f64,
    /// Residents not sampled yet (the sweep's length, before those away are left out).
    pub missing: i64,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct TaskView {
    pub id: i64,
    pub person_id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub household: AreaCode,
    pub address: Vec<String>,
    /// retest (held until a single tube reads) or resample.
    pub kind: String,
    pub tube_id: String,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_tube_id: Option<String>,
    pub outcome: Option<TubeResult>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct TubeView {
    pub tube_id: String,
    pub round_id: i64,
    pub site: String,
    pub collected_at: DateTime<Utc>,
    pub size: i64,
    pub result: Option<TubeResult>,
    pub reported_at: Option<DateTime<Utc>>,
    pub lab: Option<String>,
}

impl TubeView {
    pub fn of(t: &TubeRecord) -> Self {
        TubeView {
            tube_id: t.tube_id.clone(),
            round_id: t.round_id,
            site: t.site.clone(),
            collected_at: t.collected_at,
            size: t.size,
            result: t.result,
            reported_at: t.reported_at,
            lab: t.lab.clone(),
        }
    }
}

/// A positive pool and what became of its members (those in the reader's areas).
#[derive(Serialize, ToSchema, Clone)]
pub struct PositivePool {
    pub tube: TubeView,
    pub members: Vec<TaskView>,
}

/// The pooling a zone inside the round gets, and what the advisor says for its prevalence.
#[derive(Serialize, ToSchema, Clone)]
pub struct ZonePlan {
    pub zone_id: i64,
    pub area_name: String,
    pub tier: Tier,
    pub tier_name: String,
    pub residents: i64,
    /// People per tube the tier allows.
    pub pool_max: u32,
    /// One tube per household allowed whatever pool_max says.
    pub household_tubes: bool,
    /// Cases among its residents over the last 14 days, per resident.
    pub prevalence: f64,
    /// Dorfman's best pool within the tier's limit, and its expected tests per person.
    pub advised_pool: u32,
    pub tests_per_person: f64,
    /// Tubes to prepare at the advised pool.
    pub tubes: i64,
    /// Every scheme at its best, cheapest first.
    pub schemes: Vec<Scheme>,
}

#[derive(Serialize, ToSchema)]
pub struct RoundDetail {
    pub round: RoundView,
    /// The area the figures are for: the round's, or the reader's own if it lies inside.
    #[schema(value_type = String)]
    pub focus_code: AreaCode,
    pub focus_name: String,
    pub totals: TotalsView,
    /// One row per child of the focus area, lowest coverage first.
    pub coverage: Vec<CoverageRow>,
    /// Positive pools with their members' retests.
    pub positive_pools: Vec<PositivePool>,
    /// Invalid tubes' members to sample again, and retests still open.
    pub open_tasks: Vec<TaskView>,
    pub plan: Vec<ZonePlan>,
    /// The sweep's doors in the focus area, and the home visits still to make.
    pub doors: DoorFigures,
}

#[derive(Serialize, ToSchema)]
pub struct SamplesImport {
    pub file_id: i64,
    /// False when the same file was sent before: nothing changed.
    pub new: bool,
    pub rows: i64,
    pub tubes: i64,
}

#[derive(Serialize, ToSchema, Default)]
pub struct ResultsImport {
    pub file_id: i64,
    /// False when the same file was sent before: nothing changed.
    pub new: bool,
    pub rows: i64,
    pub negative: i64,
    pub positive: i64,
    pub invalid: i64,
    pub positive_pools: Vec<String>,
    /// People held for a single-tube retest by this file.
    pub held: i64,
    pub tasks_opened: i64,
    pub tasks_closed: i64,
    /// Cases opened for positive single tubes.
    pub cases_opened: Vec<i64>,
    /// Positive single tubes whose person already had a case.
    pub cases_existing: Vec<i64>,
    /// Zones proposed around positive pools, for headquarters.
    pub proposals: Vec<ProposalView>,
    /// What could not be done automatically, for a person to do.
    pub warnings: Vec<String>,
}

/// A person's testing as the gate and the person page see it.
#[derive(Serialize, ToSchema, Clone, Default)]
pub struct PersonTesting {
    /// Held where they are: a pool they were in is positive and their single tube has not read.
    pub held: bool,
    pub tasks: Vec<TaskView>,
    pub tubes: Vec<TubeView>,
}

// ---- rounds ----

pub struct RoundRequest {
    pub round_key: Option<String>,
    pub name: String,
    /// The name in English, for pages and messages in English; none: `name` serves both.
    pub name_en: Option<String>,
    pub area_code: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub deadline: DateTime<Utc>,
}

pub async fn create_round(
    state: &AppState,
    user: &User,
    req: RoundRequest,
) -> Result<RoundView, TestingError> {
    if !may_plan(user) {
        return Err(forbid("planning a testing round"));
    }
    let now = state.now();
    let area =
        AreaCode::parse(req.area_code.trim()).map_err(|e| TestingError::invalid("area_code", e.reason()))?;
    let starts_at = req.starts_at.unwrap_or(now);
    if req.deadline <= starts_at {
        return Err(TestingError::invalid("deadline", "must come after the start"));
    }
    if req.deadline - starts_at > chrono::Duration::days(7) {
        return Err(TestingError::invalid("deadline", "a round lasts at most 7 days"));
    }
    let name = check_note("name", &req.name, true)?;
    let name_en = check_note("name_en", req.name_en.as_deref().unwrap_or(""), false)?;
    let local = starts_at.with_timezone(&state.config.tz);
    let key = match req.round_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => {
            if k.len() > 64 || k.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(TestingError::invalid("round_key", "must be 1 to 64 characters without spaces"));
            }
            k.to_owned()
        }
        None => format!("R{}-{area}-{}", local.format("%Y%m%d"), local.format("%H%M")),
    };
    let round = NewRound {
        round_key: key,
        name,
        name_en,
        area: area.clone(),
        starts_at,
        deadline: req.deadline,
        profile_key: profile_in_force(state).await?,
        at: now,
        by: user.username.clone(),
    };
    let rec = state.store.create_round(&user.scope_path, &round).await.map_err(|e| match e {
        cordon_store::StoreError::NotFound(_) => {
            TestingError::invalid("area_code", format!("{area}: no such area in your areas"))
        }
        e => e.into(),
    })?;
    Ok(RoundView::of(&rec))
}

pub async fn rounds(
    state: &AppState,
    user: &User,
    include_closed: bool,
) -> Result<Vec<RoundView>, TestingError> {
    Ok(state.store.rounds(&user.scope_path, include_closed, 500).await?.iter().map(RoundView::of).collect())
}

/// The round's area inside `user`'s: where its doors are.
pub async fn round_area(
    state: &AppState,
    user: &User,
    round: &RoundRecord,
) -> Result<AreaPath, TestingError> {
    Ok(focus_of(state, user, round, None).await?.area.path)
}

/// The area a reader's figures of a round are for: the round's area, or the reader's own scope
/// when it lies inside it; `focus` narrows to an area inside both.
/// Where a reader's view of a round starts: their own areas where they lie inside the round's,
/// else the round's area.
pub(super) fn base_of<'a>(user: &'a User, round: &'a RoundRecord) -> &'a AreaPath {
    if round.path.contains(&user.scope_path) { &user.scope_path } else { &round.path }
}

pub(super) async fn focus_of(
    state: &AppState,
    user: &User,
    round: &RoundRecord,
    focus: Option<&str>,
) -> Result<AreaNode, TestingError> {
    let base = base_of(user, round).clone();
    let code = match focus.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => AreaCode::parse(c).map_err(|e| TestingError::invalid("area", e.reason()))?,
        None if base == round.path => round.area.clone(),
        None => user.scope.clone(),
    };
    state.store.area(&base, &code).await?.ok_or(TestingError::NotFound)
}

/// The round's coverage of each child of an area, in the children's order (by name).
pub(super) async fn coverage_rows(
    state: &AppState,
    round_id: i64,
    path: &AreaPath,
    code: &AreaCode,
) -> Result<Vec<CoverageRow>, TestingError> {
    let children = state.store.children(path, code).await?;
    let child_paths: Vec<AreaPath> = children.iter().map(|c| c.area.path.clone()).collect();
    let sampled = state.store.sampled_under(round_id, &child_paths).await?;
    Ok(children
        .iter()
        .zip(sampled)
        .map(|(c, n)| CoverageRow {
            code: c.area.code.clone(),
            name: c.area.name.clone(),
            level: c.area.level,
            residents: c.stats.residents,
            sampled: n,
            coverage_pct: pct(n, c.stats.residents),
            missing: (c.stats.residents - n).max(0),
        })
        .collect())
}

pub async fn round_detail(
    state: &AppState,
    user: &User,
    id: i64,
    focus: Option<&str>,
) -> Result<RoundDetail, TestingError> {
    if !may_follow(user) {
        return Err(forbid("following a testing round"));
    }
    let round = state.store.round(&user.scope_path, id).await?.ok_or(TestingError::NotFound)?;
    let node = focus_of(state, user, &round, focus).await?;
    let (focus_code, focus_name, focus_path, residents) =
        (node.area.code, node.area.name, node.area.path, node.stats.residents);
    let totals = TotalsView::of(residents, state.store.round_totals(id, &focus_path).await?);
    let mut coverage = coverage_rows(state, id, &focus_path, &focus_code).await?;
    coverage.sort_by(|a, b| a.coverage_pct.total_cmp(&b.coverage_pct).then_with(|| a.name.cmp(&b.name)));

    let mut positive_pools = Vec::new();
    let open = state
        .store
        .test_tasks(&focus_path, &TaskQuery { round_id: Some(id), open_only: false, limit: 2000 })
        .await?;
    let views = task_views(state, user, &open, "GET /api/v1/rounds/{id}").await?;
    for tube in state.store.tubes_with(id, TubeResult::Positive, 200).await? {
        if tube.size <= 1 {
            continue;
        }
        let members: Vec<TaskView> = views.iter().filter(|t| t.tube_id == tube.tube_id).cloned().collect();
        if !members.is_empty() {
            positive_pools.push(PositivePool { tube: TubeView::of(&tube), members });
        }
    }
    // Retests shown with their pool above are not listed twice.
    let shown: BTreeSet<&str> = positive_pools.iter().map(|p| p.tube.tube_id.as_str()).collect();
    let open_tasks = views
        .iter()
        .filter(|t| t.done_at.is_none() && !(t.kind == "retest" && shown.contains(t.tube_id.as_str())))
        .cloned()
        .collect();
    let plan = zone_plans(state, &focus_path).await?;
    let doors = door_figures(state, &round, &focus_path).await?;
    Ok(RoundDetail {
        round: RoundView::of(&round),
        focus_code,
        focus_name,
        totals,
        coverage,
        positive_pools,
        open_tasks,
        plan,
        doors,
    })
}

/// The pooling of every active zone inside `area`, with the advisor's pool for the zone's
/// recent prevalence.
async fn zone_plans(state: &AppState, area: &AreaPath) -> Result<Vec<ZonePlan>, TestingError> {
    let profiles = profiles(state).await?;
    let zones = state.store.zones(area, &ZoneQuery { include_ended: false, tier: None, limit: 200 }).await?;
    let since = state.now() - chrono::Duration::days(14);
    let cases = state.store.cases(area, 100_000).await?;
    let mut out = Vec::new();
    for z in zones.iter().filter(|z| area.contains(&z.path)) {
        let Some(profile) = profiles.get(&z.profile_key) else { continue };
        let pooling = profile.pooling(Some(z.tier));
        let recent = cases.iter().filter(|c| c.sampled_at >= since && z.path.contains(&c.path)).count();
        let residents = z.residents.max(0);
        let prevalence = if residents > 0 { recent as f64 / residents as f64 } else { 0.0 };
        let (k, e) = best_dorfman(prevalence, pooling.max);
        let tubes = if k <= 1 { residents } else { (residents + i64::from(k) - 1) / i64::from(k) };
        out.push(ZonePlan {
            zone_id: z.id,
            area_name: z.area_name.clone(),
            tier: z.tier,
            tier_name: profile.rule(z.tier).map(|r| r.name_zh.clone()).unwrap_or_default(),
            residents,
            pool_max: pooling.max,
            household_tubes: pooling.household,
            prevalence,
            advised_pool: k,
            tests_per_person: e,
            tubes,
            schemes: schemes(prevalence, pooling.max),
        });
    }
    Ok(out)
}

/// Closes a round and records, in every active zone inside its area, whether the round came
/// back all negative there (every tube read, none positive, nobody left to retest or resample).
pub async fn close_round(state: &AppState, user: &User, id: i64) -> Result<RoundView, TestingError> {
    if !may_plan(user) {
        return Err(forbid("closing a testing round"));
    }
    let round = state.store.round(&user.scope_path, id).await?.ok_or(TestingError::NotFound)?;
    if !user.scope_path.contains(&round.path) {
        return Err(TestingError::Forbidden(
            "this round was planned above your areas: ask the level that planned it".into(),
        ));
    }
    let now = state.now();
    let closed = state.store.close_round(id, now, &user.username).await?;
    let zones = state
        .store
        .zones(&round.path, &ZoneQuery { include_ended: false, tier: None, limit: 10_000 })
        .await?;
    for z in zones.iter().filter(|z| round.path.contains(&z.path)) {
        let t = state.store.round_totals(id, &z.path).await?;
        let all_negative =
            t.tubes > 0 && t.positive == 0 && t.pending == 0 && t.open_retests == 0 && t.open_resamples == 0;
        let note = format!(
            "全员核酸 {}：{} 人 {} 管，阳性 {}，待出 {}",
            round.name, t.people, t.tubes, t.positive, t.pending
        );
        let event = NewZoneEvent {
            event: ZoneEvent { at: round.starts_at, kind: EventKind::Round { all_negative } },
            note,
            person_id: None,
            by: user.username.clone(),
            recorded_at: now,
        };
        state.store.record_zone_event(z.id, &event).await?;
        zones::review(state, Some(z.id)).await?;
    }
    zones::invalidate(state).await;
    Ok(RoundView::of(&closed))
}

// ---- files ----

/// Where an upload is written so the readers name it in their errors.
fn upload_path(dir: &Path, name: &str) -> std::path::PathBuf {
    let base: String = Path::new(name)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(100)
        .collect();
    dir.join(if base.is_empty() || base.starts_with('.') { "upload.csv".to_owned() } else { base })
}

fn file_error(e: ImportError) -> TestingError {
    TestingError::invalid("file", e.to_string())
}

/// Lands a samples file (from the command line or an upload): rounds resolved by key (each
/// visible to the sender and open), every person registered, every tube new and within the
/// pooling of the zones its members live in. Whole or nothing.
pub async fn import_samples(
    state: &AppState,
    user: &User,
    path: &Path,
    sha256: String,
    limits: Limits,
    progress: &Progress,
) -> Result<SamplesImport, TestingError> {
    if !may_sample(user) {
        return Err(forbid("sending samples"));
    }
    let now = state.now();
    let profiles = profiles(state).await?;
    let in_force = profile_in_force(state).await?;
    let limit = profiles.get(&in_force).map_or(cordon_domain::testing::DILUTION_LIMIT, |p| p.pool_limit);
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let file = ScanFile { sha256, name, at: now, by: user.username.clone() };
    let mut load = match state.store.begin_samples(&file).await? {
        Begun::Known(rec) => {
            return Ok(SamplesImport { file_id: rec.id, new: false, rows: rec.rows, tubes: 0 });
        }
        Begun::Load(load) => load,
    };
    let mut reader =
        SampleReader::open(path, limits, progress, state.config.tz, now, limit).map_err(file_error)?;
    // Round keys resolve once each; rows of an unknown or closed round are refused.
    let mut rounds: Vec<Option<i64>> = Vec::new();
    loop {
        let batch = reader.next_batch(20_000);
        if batch.is_empty() {
            break;
        }
        if rounds.len() < reader.rounds.len() {
            let keys: Vec<String> = reader.rounds[rounds.len()..].to_vec();
            let found = state.store.rounds_by_key(&keys).await?;
            for k in keys {
                let r = found.iter().find(|r| r.round_key == k);
                let usable = r.filter(|r| {
                    r.closed_at.is_none()
                        && (user.scope_path.contains(&r.path) || r.path.contains(&user.scope_path))
                });
                rounds.push(usable.map(|r| r.id));
            }
        }
        let mut rows = Vec::with_capacity(batch.len());
        for s in batch {
            match rounds[s.round] {
                Some(round_id) => rows.push(SampleRow {
                    line: s.line,
                    tube_id: s.tube_id,
                    person_id: s.person_id,
                    round_id,
                }),
                None => reader.reject(
                    s.line,
                    "round_id",
                    format!("round {} is not an open round in your areas", reader.rounds[s.round]),
                ),
            }
        }
        // Staged even from a file already refused: the register's check names its unknown
        // people with the rest, so the sender fixes every kind of problem in one pass.
        load.rows(&rows).await?;
    }
    if !reader.is_clean() {
        for r in load.unknown_people().await? {
            reader.reject(r.index as u64, r.column, r.reason);
        }
    }
    let tubes: Vec<NewTube> = reader
        .finish()
        .map_err(file_error)?
        .into_iter()
        .filter_map(|t| {
            Some(NewTube {
                line: t.line,
                round_id: rounds[t.round]?,
                tube_id: t.tube_id,
                site: t.site,
                collected_at: t.collected_at,
                size: t.size,
            })
        })
        .collect();
    let zones = zone_poolings(state, &profiles, limit).await?;
    match load.finish(&tubes, &zones).await? {
        Ok(added) => {
            Ok(SamplesImport { file_id: added.file.id, new: true, rows: added.people, tubes: added.tubes })
        }
        Err(rejected) => Err(file_error(rejected_error(path, rejected))),
    }
}

fn rejected_error(path: &Path, rejected: Vec<Rejected>) -> ImportError {
    let errors = rejected
        .into_iter()
        .map(|r| cordon_import::RowError {
            line: r.index as u64,
            column: Some((0, r.column.to_owned())),
            reason: r.reason,
        })
        .collect();
    ImportError::Rows { file: path.to_owned(), errors, more: 0 }
}

/// The zones whose pooling is stricter than the file's limit, for the samples check.
pub async fn zone_poolings(
    state: &AppState,
    profiles: &HashMap<String, cordon_domain::Profile>,
    limit: u32,
) -> Result<Vec<ZonePooling>, TestingError> {
    let zones = state
        .store
        .zones(&AreaPath::root(), &ZoneQuery { include_ended: false, tier: None, limit: 1_000_000 })
        .await?;
    Ok(zones
        .iter()
        .filter_map(|z| {
            let profile = profiles.get(&z.profile_key)?;
            let pooling = profile.pooling(Some(z.tier));
            let name = profile.rule(z.tier).map(|r| r.name_zh.as_str()).unwrap_or("");
            (pooling.max < limit).then(|| ZonePooling {
                path: z.path.clone(),
                pooling,
                label: format!("a member lives in {name} {}", z.area_name),
            })
        })
        .collect())
}

/// Lands a results file and acts on it: positive pools' members held with a retest each and
/// the zones around them proposed, a case for each positive single tube, a new sample for each
/// member of an invalid tube.
pub async fn import_results(
    state: &AppState,
    user: &User,
    path: &Path,
    sha256: String,
    limits: Limits,
    progress: &Progress,
) -> Result<ResultsImport, TestingError> {
    if !may_report(user) {
        return Err(forbid("sending results"));
    }
    let now = state.now();
    let lines = read_results(path, limits, progress, state.config.tz, now).map_err(file_error)?;
    let rows: Vec<ResultRow> = lines
        .into_iter()
        .map(|l| ResultRow {
            line: l.line,
            tube_id: l.tube_id,
            result: l.result,
            reported_at: l.reported_at,
            lab: l.lab,
        })
        .collect();
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let file = ScanFile { sha256, name, at: now, by: user.username.clone() };
    let applied = match state.store.add_results(&file, &rows, now).await? {
        Ok(a) => a,
        Err(rejected) => return Err(file_error(rejected_error(path, rejected))),
    };
    let rec = applied.file.clone();
    let mut out = ResultsImport {
        file_id: rec.as_ref().map_or(0, |f| f.id),
        new: applied.new,
        rows: rec.as_ref().map_or(0, |f| f.rows),
        negative: applied.negative,
        positive: applied.positive,
        invalid: applied.invalid,
        positive_pools: applied.positive_pools.clone(),
        tasks_opened: applied.tasks_opened,
        tasks_closed: applied.tasks_closed,
        ..Default::default()
    };
    if !applied.new {
        return Ok(out);
    }
    // Positive pools: members held (their retests are open), zones proposed around each home.
    // The zones called for are drawn on buildings and above: one look per building, not per home.
    let mut homes: BTreeSet<AreaPath> = BTreeSet::new();
    for tube in &applied.positive_pools {
        for m in state.store.tube_members(&AreaPath::root(), tube).await? {
            out.held += 1;
            let mut lineage = m.path.lineage();
            lineage.pop();
            homes.insert(lineage.pop().unwrap_or(m.path));
        }
    }
    let homes: Vec<AreaPath> = homes.into_iter().collect();
    if !homes.is_empty() {
        let areas = state.store.areas_on(&homes).await?;
        let mut seen = BTreeSet::new();
        for h in &homes {
            let lineage: Vec<cordon_domain::Area> =
                cordon_store::lineage(&areas, h).into_iter().cloned().collect();
            let codes: Vec<AreaCode> = lineage.iter().map(|a| a.code.clone()).collect();
            let zones = state.store.zones_on(&codes).await?;
            let who = lineage.last().map(|a| a.name.clone()).unwrap_or_default();
            for p in zones::propose_around(state, &lineage, &zones, &who, "混管阳性", None, now).await? {
                if seen.insert(p.id) {
                    out.proposals.push(p);
                }
            }
        }
    }
    // Positive single tubes: a case each, unless the person has one.
    for s in &applied.positive_singles {
        if let Some(id) = state.store.case_of_person(&s.person_id).await? {
            out.cases_existing.push(id);
            continue;
        }
        let req = OpenRequest {
            person_id: s.person_id.clone(),
            class: CaseClass::Asymptomatic,
            onset: None,
            sampled_at: s.collected_at,
            isolated_at: None,
            isolation_place: String::new(),
            source_case_id: None,
            note: format!("单管阳性：{}", s.tube_id),
        };
        match cases::open(state, user, req).await {
            Ok(c) => out.cases_opened.push(c.id),
            Err(e) => out.warnings.push(format!(
                "tube {} is positive but no case could be opened for its person: {e}; open it by hand",
                s.tube_id
            )),
        }
    }
    Ok(out)
}

/// An upload, written to a private temporary folder under its own name so the readers name it
/// in their errors; the folder goes when this is dropped.
pub struct Upload {
    _dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
    pub sha256: String,
}

impl Upload {
    pub async fn write(name: &str, body: &[u8]) -> Result<Upload, TestingError> {
        use tokio::io::AsyncWriteExt;
        let (mut file, mut upload) = Upload::create(name).await?;
        file.write_all(body).await.map_err(|e| TestingError::Internal(e.to_string()))?;
        file.flush().await.map_err(|e| TestingError::Internal(e.to_string()))?;
        upload.sha256 = crate::http::auth::sha256_hex(body);
        Ok(upload)
    }

    /// An empty file to stream an upload into; its `sha256` is the caller's to fill.
    pub async fn create(name: &str) -> Result<(tokio::fs::File, Upload), TestingError> {
        let dir = tempfile::tempdir().map_err(|e| TestingError::Internal(e.to_string()))?;
        let path = upload_path(dir.path(), name);
        let file = tokio::fs::File::create(&path).await.map_err(|e| TestingError::Internal(e.to_string()))?;
        Ok((file, Upload { _dir: dir, path, sha256: String::new() }))
    }
}

/// 采样: one tube recorded from the sampler's phone — its barcode, the people in it, the site —
/// landed as a samples file of its own, under the same checks.
pub async fn record_tube(
    state: &AppState,
    user: &User,
    round_id: i64,
    tube_id: &str,
    site: &str,
    people: &[String],
    collected_at: Option<DateTime<Utc>>,
) -> Result<SamplesImport, TestingError> {
    let round = state.store.round(&user.scope_path, round_id).await?.ok_or(TestingError::NotFound)?;
    let at = crate::zones::check_time("collected_at", collected_at, state.now())?;
    let people: Vec<&str> = people.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
    if people.is_empty() {
        return Err(TestingError::invalid("person_ids", "name at least one person"));
    }
    // Each person checked here first, so that a mistyped one is named by its place in the tube,
    // not by a row of the file the tube becomes. The import checks them again, and as it does:
    // anyone in the register, wherever they live (people are sampled where they are).
    for (index, p) in people.iter().enumerate() {
        let member =
            |unknown, reason: String| TestingError::Member { index, id: (*p).to_owned(), unknown, reason };
        let id = cordon_domain::PersonId::parse(p).map_err(|e| member(false, e.reason().to_owned()))?;
        if state.store.person(&AreaPath::root(), &id).await?.is_none() {
            return Err(member(true, String::new()));
        }
    }
    let internal = |e: csv::Error| TestingError::Internal(e.to_string());
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["tube_id", "person_id", "collected_at", "round_id", "site"]).map_err(internal)?;
    let at_text = at.to_rfc3339();
    for p in &people {
        csv.write_record([tube_id.trim(), p, &at_text, &round.round_key, site.trim()]).map_err(internal)?;
    }
    let body = csv.into_inner().map_err(|e| TestingError::Internal(e.to_string()))?;
    let name: String =
        tube_id.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect();
    let upload = Upload::write(&format!("tube-{name}.csv"), &body).await?;
    import_samples(state, user, &upload.path, upload.sha256.clone(), Limits::default(), &Progress::default())
        .await
}

// ---- people ----

async fn task_views(
    state: &AppState,
    user: &User,
    tasks: &[TaskRecord],
    route: &str,
) -> Result<Vec<TaskView>, TestingError> {
    if tasks.is_empty() {
        return Ok(vec![]);
    }
    let paths: Vec<AreaPath> = tasks.iter().map(|t| t.path.clone()).collect();
    let addresses = crate::reads::addresses(state, &paths).await?;
    let ids: Vec<PersonId> = tasks.iter().filter_map(|t| PersonId::parse(&t.person_id).ok()).collect();
    state.store.audit_reads(user, &ids, route, state.now()).await?;
    Ok(tasks
        .iter()
        .zip(addresses)
        .map(|(t, address)| TaskView {
            id: t.id,
            person_id: t.person_id.clone(),
            name: t.name.clone(),
            household: t.household.clone(),
            address,
            kind: t.kind.as_str().to_owned(),
            tube_id: t.tube_id.clone(),
            created_at: t.created_at,
            done_at: t.done_at,
            done_tube_id: t.done_tube_id.clone(),
            outcome: t.outcome,
        })
        .collect())
}

/// Open tasks (or all) in the reader's areas, for one round or every round.
pub async fn tasks(
    state: &AppState,
    user: &User,
    round_id: Option<i64>,
    open_only: bool,
    limit: u32,
) -> Result<Vec<TaskView>, TestingError> {
    if !may_follow(user) {
        return Err(forbid("reading testing tasks"));
    }
    let t = state.store.test_tasks(&user.scope_path, &TaskQuery { round_id, open_only, limit }).await?;
    task_views(state, user, &t, "GET /api/v1/testing-tasks").await
}

/// A person's testing (the caller has read the person inside the reader's scope).
pub async fn person_testing(
    state: &AppState,
    user: &User,
    person_id: &str,
) -> Result<PersonTesting, TestingError> {
    let tasks = state.store.tasks_of(&[person_id.to_owned()]).await?;
    let held = tasks.iter().any(|t| t.kind == TaskKind::Retest && t.done_at.is_none());
    let tubes = state.store.tubes_of(person_id, 20).await?;
    Ok(PersonTesting {
        held,
        tasks: task_views(state, user, &tasks, "GET /api/v1/people/{id}").await?,
        tubes: tubes.iter().map(TubeView::of).collect(),
    })
}

/// The pool-size advisor for a prevalence, for the command line and the API.
pub fn advise(prevalence: f64, max_pool: u32) -> Result<(u32, f64, Vec<Scheme>), TestingError> {
    let p = cordon_domain::testing::check_prevalence(prevalence)
        .map_err(|e| TestingError::invalid("prevalence", e.reason()))?;
    if max_pool == 0 || max_pool > 50 {
        return Err(TestingError::invalid("max_pool", "a tube holds 1 to 50 people"));
    }
    let (k, e) = best_dorfman(p, max_pool);
    Ok((k, e, schemes(p, max_pool)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_named_by_its_base_name_only() {
        let d = Path::new("/tmp/x");
        assert_eq!(upload_path(d, "../../etc/passwd"), d.join("passwd"));
        assert_eq!(upload_path(d, ""), d.join("upload.csv"));
        assert_eq!(upload_path(d, ".hidden"), d.join("upload.csv"));
        assert_eq!(upload_path(d, "结果 4月10日.csv"), d.join("结果 4月10日.csv"));
    }

    #[test]
    fn coverage_is_rounded_to_a_tenth() {
        assert_eq!(pct(1, 3), 33.3);
        assert_eq!(pct(0, 0), 0.0);
        assert_eq!(pct(5, 5), 100.0);
    }
}
