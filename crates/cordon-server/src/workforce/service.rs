//! The workforce service: workers and their reporting in (报到), quarantine sites, 包联
//! assignments, the coverage of the user's areas under the rules of the profile in force (every
//! unit that breaks a rule, worst first, with the residents affected), and suggestions that
//! close the gaps with the workers on hand (the domain's minimum-cost assignment), which the
//! user accepts one by one or all at once.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::duty::DutyState;
use cordon_domain::isolation::SiteKind;
use cordon_domain::workforce::{
    Answering, Candidate, CoverageRule, Gap, GapKind, Post, Rank, Unit, coverage as coverage_of,
    covered_share, leader_floor, suggest,
};
use cordon_domain::{AreaCode, AreaLevel, AreaPath, Phone, Right, Tier};
use cordon_import::{Limits, Progress, read_workers};
use cordon_store::{
    AssignmentRecord, CheckinRecord, NewAssignment, NewSite, SiteRecord, Staffing, UnitRef, User,
    WorkerRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::WorkforceError;
use super::units::{rules_in_force, whole_levels, zoned_key, zoned_units};
use crate::{AppState, zones};

/// Reading the workforce of one's areas (`view_workforce`).
pub fn may_view(user: &User) -> bool {
    user.may(Right::ViewWorkforce)
}

/// Importing workers, recording reporting in, assigning (`manage_workforce`).
pub fn may_manage(user: &User) -> bool {
    user.may(Right::ManageWorkforce)
}

fn forbid(what: &str) -> WorkforceError {
    WorkforceError::Forbidden(format!("{what} is not part of your role"))
}

fn invalid(field: &str, message: impl Into<String>) -> WorkforceError {
    WorkforceError::Invalid { field: field.into(), message: message.into() }
}

// ---- views ----

#[derive(Serialize, ToSchema, Clone)]
pub struct WorkerView {
    pub worker_id: String,
    pub name: String,
    /// Masked: 139****0001.
    pub phone: Option<String>,
    pub organisation: String,
    pub party_member: bool,
    pub rank: Rank,
}

impl WorkerView {
    pub(super) fn of(w: &WorkerRecord) -> Self {
        WorkerView {
            worker_id: w.worker_id.clone(),
            name: w.name.clone(),
            phone: w.phone.as_deref().map(|p| Phone::parse(p).map_or_else(|_| "***".into(), |p| p.masked())),
            organisation: w.organisation.clone(),
            party_member: w.party_member,
            rank: w.rank,
        }
    }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct CheckinView {
    pub worker: WorkerView,
    #[schema(value_type = String)]
    pub community_code: AreaCode,
    pub community_name: String,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    /// 值班: on duty since, overdue for rest, resting until — or off (no shift on record).
    pub duty: DutyState,
}

impl CheckinView {
    fn of(c: &CheckinRecord) -> Self {
        CheckinView {
            worker: WorkerView::of(&c.worker),
            community_code: c.community.clone(),
            community_name: c.community_name.clone(),
            day: c.day,
            at: c.at,
            duty: DutyState::Off,
        }
    }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct SiteView {
    pub id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    /// hotel, cabin_hospital (方舱) or hospital.
    pub kind: SiteKind,
    /// Its rooms (or beds), counted.
    pub rooms: i64,
    /// The people staying there now: its open stays.
    pub occupied: i64,
}

impl SiteView {
    fn of(s: &SiteRecord) -> Self {
        SiteView {
            id: s.id.clone(),
            name: s.name.clone(),
            area_code: s.area.clone(),
            area_name: s.area_name.clone(),
            kind: s.kind,
            rooms: s.rooms,
            occupied: s.occupied,
        }
    }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct AssignmentView {
    pub id: i64,
    pub worker: WorkerView,
    /// area or site
    pub unit_kind: String,
    pub unit_key: String,
    pub unit_name: String,
    /// The area the unit lies in (a building's compound): two 1号楼 of one list told apart.
    pub unit_within: String,
    pub post: Post,
    pub title: String,
    pub duty_phone: Option<String>,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub created_by: String,
}

impl AssignmentView {
    fn of(a: &AssignmentRecord) -> Self {
        AssignmentView {
            id: a.id,
            worker: WorkerView::of(&a.worker),
            unit_kind: a.unit.kind().into(),
            unit_key: a.unit.key().into(),
            unit_name: a.unit_name.clone(),
            unit_within: String::new(),
            post: a.post,
            title: a.title.clone(),
            duty_phone: a.duty_phone.clone(),
            from: a.from,
            until: a.until,
            created_by: a.created_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct GapView {
    /// area or site
    pub unit_kind: String,
    pub unit_key: String,
    pub unit_name: String,
    /// None: a quarantine site.
    pub level: Option<AreaLevel>,
    pub tier: Option<Tier>,
    pub residents: i64,
    pub rule: String,
    pub rule_zh: String,
    pub rule_en: String,
    pub kind: GapKind,
    /// A leader (1), or the workers the residents call for; and those in post.
    pub needed: u32,
    pub have: u32,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct TierShare {
    pub tier: Option<Tier>,
    pub units: i64,
    pub covered: i64,
    pub covered_pct: f64,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct LoadView {
    pub worker: WorkerView,
    pub units: i64,
    pub residents: i64,
}

#[derive(Serialize, ToSchema, Clone, Default)]
pub struct WorkforceFigures {
    /// Workers who reported in today.
    pub on_hand: i64,
    pub party_members_on_hand: i64,
    /// Organisations the workers on hand come from.
    pub organisations: i64,
    /// Workers answering for a unit now, as leaders and as members.
    pub leaders: i64,
    pub members: i64,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct CoverageView {
    pub at: DateTime<Utc>,
    /// The profile whose rules these are, and its names.
    pub profile_key: String,
    pub profile_name_zh: String,
    pub profile_name_en: String,
    /// Units some rule holds.
    pub units: i64,
    /// Every unit that breaks a rule, worst first.
    pub gaps: Vec<GapView>,
    pub by_tier: Vec<TierShare>,
    pub figures: WorkforceFigures,
    /// The most loaded leaders first.
    pub load: Vec<LoadView>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct SuggestionView {
    pub gap: GapView,
    /// Leader for a unit without one; member for one short of workers.
    pub post: Post,
    pub worker: WorkerView,
    pub community_name: String,
    /// Steps on the area tree between the community they reported to and the unit.
    pub distance: u32,
    /// Residents of the units they lead already.
    pub load: i64,
}

// ---- workers, reporting in, sites ----

pub async fn import_workers(
    state: &AppState,
    user: &User,
    path: &Path,
    name: &str,
) -> Result<(i64, i64), WorkforceError> {
    if !may_manage(user) {
        return Err(forbid("importing workers"));
    }
    let rows = read_workers(path, Limits::default(), &Progress::default())
        .map_err(|e| invalid("file", e.to_string().replace(&path.display().to_string(), name)))?;
    Ok(state.store.put_workers(&rows, state.now()).await?)
}

/// One worker, added or brought up to date (the form of a community office; a roster comes as
/// `workers.csv`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerRequest {
    pub name: String,
    pub phone: Option<String>,
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub party_member: bool,
    /// bureau, division, section, staff, volunteer, or 厅局级, 处级, 科级, 科员, 志愿者.
    pub rank: String,
}

pub async fn put_worker(
    state: &AppState,
    user: &User,
    worker_id: &str,
    req: WorkerRequest,
) -> Result<(bool, WorkerView), WorkforceError> {
    use cordon_domain::workforce::{WorkerRow, check_worker_id, check_worker_name};
    if !may_manage(user) {
        return Err(forbid("adding workers"));
    }
    let domain = |e: cordon_domain::DomainError| invalid(e.field(), e.to_string());
    let organisation = req.organisation.trim();
    if organisation.chars().count() > 100 {
        return Err(invalid("organisation", "at most 100 characters"));
    }
    let row = WorkerRow {
        worker_id: check_worker_id(worker_id).map_err(domain)?,
        name: check_worker_name(&req.name).map_err(domain)?,
        phone: match req.phone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => Some(Phone::parse(p).map_err(domain)?),
        },
        organisation: organisation.to_owned(),
        party_member: req.party_member,
        rank: Rank::parse(&req.rank).map_err(domain)?,
    };
    let (added, _) = state.store.put_workers(std::slice::from_ref(&row), state.now()).await?;
    let w = state.store.worker(&row.worker_id).await?.ok_or(WorkforceError::NotFound)?;
    Ok((added == 1, WorkerView::of(&w)))
}

pub(super) fn local_today(state: &AppState) -> NaiveDate {
    state.now().with_timezone(&state.config.tz).date_naive()
}

pub async fn check_in(
    state: &AppState,
    user: &User,
    worker_id: &str,
    community: &str,
    day: Option<NaiveDate>,
) -> Result<CheckinView, WorkforceError> {
    if !may_manage(user) {
        return Err(forbid("recording reporting in"));
    }
    let code = AreaCode::try_from(community.trim().to_owned())
        .map_err(|e| invalid("community_code", e.to_string()))?;
    state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| invalid("community_code", format!("no area {code} in your areas")))?;
    if state.store.worker(worker_id.trim()).await?.is_none() {
        return Err(invalid("worker_id", format!("no worker {}", worker_id.trim())));
    }
    let day = day.unwrap_or_else(|| local_today(state));
    let c = state.store.check_in(worker_id.trim(), &code, day, state.now(), &user.username).await.map_err(
        |e| match e {
            cordon_store::StoreError::Invalid(m) => invalid("community_code", m),
            other => other.into(),
        },
    )?;
    Ok(CheckinView::of(&c))
}

pub async fn on_hand(
    state: &AppState,
    user: &User,
    day: Option<NaiveDate>,
) -> Result<Vec<CheckinView>, WorkforceError> {
    if !may_view(user) {
        return Err(forbid("the workforce"));
    }
    let day = day.unwrap_or_else(|| local_today(state));
    let mut out: Vec<CheckinView> =
        state.store.on_hand(&user.scope_path, day).await?.iter().map(CheckinView::of).collect();
    let ids: Vec<String> = out.iter().map(|c| c.worker.worker_id.clone()).collect();
    let states = super::duty_states(state, &ids).await?;
    for c in &mut out {
        if let Some(s) = states.get(&c.worker.worker_id) {
            c.duty = *s;
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteRequest {
    /// Default: generated.
    pub id: Option<String>,
    pub name: String,
    /// The area the site is in.
    pub area_code: String,
    /// hotel (default), cabin_hospital (方舱) or hospital.
    #[serde(default)]
    pub kind: Option<SiteKind>,
    /// Rooms made with it, labelled 1 to N with a bed each (the rooms API adds others).
    pub rooms: i64,
}

pub async fn create_site(
    state: &AppState,
    user: &User,
    req: SiteRequest,
) -> Result<SiteView, WorkforceError> {
    if !may_manage(user) {
        return Err(forbid("adding quarantine sites"));
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "1 to 100 characters"));
    }
    if !(0..=100_000).contains(&req.rooms) {
        return Err(invalid("rooms", "0 to 100,000 rooms (a 方舱's halls of beds are added after)"));
    }
    let code = AreaCode::try_from(req.area_code.trim().to_owned())
        .map_err(|e| invalid("area_code", e.to_string()))?;
    state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| invalid("area_code", format!("no area {code} in your areas")))?;
    let id = match req.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => cordon_domain::workforce::check_worker_id(id)
            .map_err(|_| invalid("id", "letters, digits, '-' or '_'"))?,
        None => {
            let mut b = [0u8; 4];
            rand::fill(&mut b);
            format!("QS{}", hex::encode_upper(b))
        }
    };
    let site = NewSite {
        id,
        name: name.to_owned(),
        area: code,
        kind: req.kind.unwrap_or(SiteKind::Hotel),
        rooms: req.rooms,
        at: state.now(),
        by: user.username.clone(),
    };
    Ok(SiteView::of(&state.store.create_site(&site).await?))
}

pub async fn sites(state: &AppState, user: &User) -> Result<Vec<SiteView>, WorkforceError> {
    if !may_view(user) {
        return Err(forbid("the workforce"));
    }
    Ok(state.store.sites(&user.scope_path).await?.iter().map(SiteView::of).collect())
}

// ---- assignments ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub worker_id: String,
    /// The area it is for (a township, street, community, compound, building)…
    pub area_code: Option<String>,
    /// …or the quarantine site.
    pub site_id: Option<String>,
    #[serde(default = "leader")]
    pub post: Post,
    /// 临时党支部书记, 楼长, 门岗 …
    #[serde(default)]
    pub title: String,
    /// 值班电话: the post's official line (a duty mobile or the desk's landline, 0471-6961234),
    /// which the households under the unit see under "whom to call". Never the worker's own.
    #[serde(default)]
    pub duty_phone: Option<String>,
    /// Default: now.
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

fn leader() -> Post {
    Post::Leader
}

/// The unit an assignment names, inside `user`'s areas, with what the coverage rules read of it
/// (its level, and the strictest tier over it now).
async fn unit_in_scope(
    state: &AppState,
    user: &User,
    area: Option<&str>,
    site: Option<&str>,
) -> Result<(UnitRef, Unit), WorkforceError> {
    let tiers = zones::zone_tiers(state).await?;
    let tier_at = |p: &AreaPath| {
        p.lineage().iter().filter_map(|a| tiers.get(a)).copied().max_by_key(|t| t.strictness())
    };
    match (area.map(str::trim).filter(|s| !s.is_empty()), site.map(str::trim).filter(|s| !s.is_empty())) {
        (Some(a), None) => {
            let code = AreaCode::try_from(a.to_owned()).map_err(|e| invalid("area_code", e.to_string()))?;
            let node = state
                .store
                .area(&user.scope_path, &code)
                .await?
                .ok_or_else(|| invalid("area_code", format!("no area {code} in your areas")))?;
            let unit = Unit {
                key: code.to_string(),
                name: node.area.name.clone(),
                level: Some(node.area.level),
                tier: tier_at(&node.area.path),
                path: node.area.path.clone(),
                residents: node.stats.residents,
            };
            Ok((UnitRef::Area(code), unit))
        }
        (None, Some(s)) => {
            let site = state.store.sites(&user.scope_path).await?.into_iter().find(|x| x.id == s);
            let Some(site) = site else {
                return Err(invalid("site_id", format!("no quarantine site {s} in your areas")));
            };
            let unit = Unit {
                key: site.id.clone(),
                name: site.name.clone(),
                level: None,
                tier: tier_at(&site.path),
                path: site.path.clone(),
                residents: site.occupied,
            };
            Ok((UnitRef::Site(s.to_owned()), unit))
        }
        _ => Err(invalid("area_code", "name one unit: an area_code or a site_id")),
    }
}

pub async fn assign(
    state: &AppState,
    user: &User,
    req: AssignRequest,
) -> Result<AssignmentView, WorkforceError> {
    if !may_manage(user) {
        return Err(forbid("assigning workers"));
    }
    let (unit, about) = unit_in_scope(state, user, req.area_code.as_deref(), req.site_id.as_deref()).await?;
    let worker = req.worker_id.trim();
    let Some(record) = state.store.worker(worker).await? else {
        return Err(invalid("worker_id", format!("no worker {worker}")));
    };
    if req.post == Post::Leader {
        // 包联负责人: the profile's rule says who may lead the unit as it stands now (its level,
        // its tier), so a volunteer is not made the leader of a sealed compound by hand either.
        let (profile, rules) = rules_in_force(state).await?;
        let (floor, rule) = leader_floor(&rules, &about);
        if !record.rank.at_least(floor) {
            let why = rule.map_or_else(
                || "no rule holds this unit, and a volunteer leads only where a rule says so".to_owned(),
                |r| format!("rule {} of profile {profile}: {}", r.key, r.name_en),
            );
            return Err(invalid(
                "worker_id",
                format!(
                    "{} ({worker}) is {}; the leader of {} must be {} or above ({why})",
                    record.name,
                    record.rank.as_str(),
                    about.name,
                    floor.as_str()
                ),
            ));
        }
    }
    if req.title.chars().count() > 50 {
        return Err(invalid("title", "at most 50 characters"));
    }
    let duty_phone = match req.duty_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(cordon_domain::workforce::duty_phone(p).map_err(|e| invalid("duty_phone", e))?),
    };
    let now = state.now();
    let a = NewAssignment {
        worker_id: worker.to_owned(),
        unit,
        post: req.post,
        title: req.title.trim().to_owned(),
        duty_phone,
        from: req.from.unwrap_or(now),
        until: req.until,
        at: now,
        by: user.username.clone(),
    };
    state.store.assign(&a).await.map(|r| AssignmentView::of(&r)).map_err(|e| match e {
        cordon_store::StoreError::Invalid(m) => {
            let field = if m.contains("ends after") { "until" } else { "worker_id" };
            invalid(field, m)
        }
        other => other.into(),
    })
}

pub async fn end_assignment(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<AssignmentView, WorkforceError> {
    if !may_manage(user) {
        return Err(forbid("ending assignments"));
    }
    let a = state
        .store
        .end_assignment(&user.scope_path, id, state.now())
        .await?
        .ok_or(WorkforceError::NotFound)?;
    Ok(AssignmentView::of(&a))
}

/// Whether a worker answers to what was typed to find them: part of their name, or their id.
pub fn answers_to(w: &WorkerView, who: &str) -> bool {
    let who = who.trim();
    who.is_empty() || w.name.contains(who) || w.worker_id.eq_ignore_ascii_case(who)
}

/// 选人: who reported in today in the user's areas and answers to `who` (part of a name, or an
/// id): the workers a form offers to pick by name.
pub async fn find_on_hand(
    state: &AppState,
    user: &User,
    who: &str,
) -> Result<Vec<CheckinView>, WorkforceError> {
    let mut found = on_hand(state, user, None).await?;
    found.retain(|c| answers_to(&c.worker, who));
    Ok(found)
}

pub async fn assignments(
    state: &AppState,
    user: &User,
    current: bool,
) -> Result<Vec<AssignmentView>, WorkforceError> {
    if !may_view(user) {
        return Err(forbid("the workforce"));
    }
    let records = state.store.assignments(&user.scope_path, current.then(|| state.now())).await?;
    let addresses =
        crate::reads::addresses(state, &records.iter().map(|a| a.path.clone()).collect::<Vec<_>>()).await?;
    Ok(records
        .iter()
        .zip(addresses)
        .map(|(a, mut address)| {
            // An area's own name ends its address; a site lies in the last area named.
            if a.unit.kind() == "area" {
                address.pop();
            }
            AssignmentView { unit_within: address.pop().unwrap_or_default(), ..AssignmentView::of(a) }
        })
        .collect())
}

// ---- command posts ----

#[derive(Serialize, ToSchema, Clone)]
pub struct CommandPostView {
    pub id: i64,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub name: String,
    /// 临时党支部
    pub branch: String,
    /// Who answers for the compound now, each with their title.
    pub team: Vec<AssignmentView>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandPostRequest {
    /// The compound.
    pub area_code: String,
    /// Default: the compound's name and 现场指挥部.
    pub name: Option<String>,
    /// Default: the compound's name and 临时党支部.
    pub branch: Option<String>,
}

/// 现场指挥部: a command post for a compound of the user's; its team is the compound's
/// assignments (add members with their titles through `assign`).
pub async fn create_command_post(
    state: &AppState,
    user: &User,
    req: CommandPostRequest,
) -> Result<CommandPostView, WorkforceError> {
    if !may_manage(user) {
        return Err(forbid("setting up command posts"));
    }
    let code = AreaCode::try_from(req.area_code.trim().to_owned())
        .map_err(|e| invalid("area_code", e.to_string()))?;
    let node = state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| invalid("area_code", format!("no area {code} in your areas")))?;
    let text = |v: Option<String>, suffix: &str| {
        let v = v
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{}{suffix}", node.area.name));
        if v.chars().count() > 100 { Err(invalid("name", "at most 100 characters")) } else { Ok(v) }
    };
    let (name, branch) = (text(req.name, "现场指挥部")?, text(req.branch, "临时党支部")?);
    let p =
        state.store.create_command_post(&code, &name, &branch, state.now(), &user.username).await.map_err(
            |e| match e {
                cordon_store::StoreError::Invalid(m) => invalid("area_code", m),
                other => other.into(),
            },
        )?;
    Ok(CommandPostView {
        id: p.id,
        area_code: p.area,
        area_name: p.area_name,
        name: p.name,
        branch: p.branch,
        team: Vec::new(),
        created_at: p.created_at,
        created_by: p.created_by,
    })
}

pub async fn command_posts(state: &AppState, user: &User) -> Result<Vec<CommandPostView>, WorkforceError> {
    if !may_view(user) {
        return Err(forbid("the workforce"));
    }
    let posts = state.store.command_posts(&user.scope_path).await?;
    let mut out = Vec::with_capacity(posts.len());
    for p in posts {
        let team = state
            .store
            .assignments(&p.path, Some(state.now()))
            .await?
            .iter()
            .filter(|a| a.unit == UnitRef::Area(p.area.clone()))
            .map(AssignmentView::of)
            .collect();
        out.push(CommandPostView {
            id: p.id,
            area_code: p.area,
            area_name: p.area_name,
            name: p.name,
            branch: p.branch,
            team,
            created_at: p.created_at,
            created_by: p.created_by,
        });
    }
    Ok(out)
}

// ---- coverage ----

/// The units, gaps and leaders of the user's areas now.
struct Report {
    rules: Vec<CoverageRule>,
    profile_key: String,
    units: Vec<Unit>,
    kinds: Vec<&'static str>,
    gaps: Vec<Gap>,
    current: Vec<Staffing>,
}

async fn report(state: &AppState, user: &User, now: DateTime<Utc>) -> Result<Report, WorkforceError> {
    let (profile_key, rules) = rules_in_force(state).await?;
    let tiers = zones::zone_tiers(state).await?;
    let tier_at = |p: &AreaPath| {
        p.lineage().iter().filter_map(|a| tiers.get(a)).copied().max_by_key(|t| t.strictness())
    };
    // Rules for every unit at a level read those levels whole; rules for zoned units read only
    // the areas inside zones of their tiers.
    let whole = whole_levels(&rules);
    // The reads do not depend on each other: run them together (SQLite reads in parallel under
    // WAL; PostgreSQL on separate connections).
    let scope = &user.scope_path;
    let sites =
        async { if rules.iter().any(|r| r.sites) { state.store.sites(scope).await } else { Ok(Vec::new()) } };
    let (mut areas, zoned, sites, current) = tokio::try_join!(
        async { Ok::<_, WorkforceError>(state.store.areas_at(scope, &whole).await?) },
        zoned_units(state, scope, zoned_key(&rules)),
        async { Ok(sites.await?) },
        async { Ok(state.store.staffing(scope, now).await?) }
    )?;
    areas.extend(zoned.iter().cloned());
    areas.sort_by(|a, b| a.path.cmp(&b.path));
    areas.dedup_by(|a, b| a.path == b.path);
    let mut units = Vec::new();
    let mut kinds = Vec::new();
    for a in areas {
        let unit = Unit {
            key: a.code.as_str().to_owned(),
            name: a.name,
            level: Some(a.level),
            tier: tier_at(&a.path),
            path: a.path,
            residents: a.residents,
        };
        if rules.iter().any(|r| r.holds(&unit)) {
            units.push(unit);
            kinds.push("area");
        }
    }
    for s in sites {
        units.push(Unit {
            key: s.id,
            name: s.name,
            level: None,
            tier: tier_at(&s.path),
            path: s.path,
            residents: s.occupied,
        });
        kinds.push("site");
    }
    let mut answering: HashMap<&str, Vec<Answering>> = HashMap::new();
    for a in &current {
        answering.entry(a.unit.key()).or_default().push(Answering { rank: a.rank, post: a.post });
    }
    let gaps = coverage_of(&units, &answering, &rules);
    Ok(Report { rules, profile_key, units, kinds, gaps, current })
}

fn gap_view(r: &Report, g: &Gap) -> GapView {
    let u = &r.units[g.unit];
    let rule = r.rules.iter().find(|x| x.key == g.rule);
    GapView {
        unit_kind: r.kinds[g.unit].into(),
        unit_key: u.key.clone(),
        unit_name: u.name.clone(),
        level: u.level,
        tier: u.tier,
        residents: u.residents,
        rule: g.rule.clone(),
        rule_zh: rule.map_or_else(String::new, |x| x.name_zh.clone()),
        rule_en: rule.map_or_else(String::new, |x| x.name_en.clone()),
        kind: g.kind,
        needed: g.needed,
        have: g.have,
    }
}

fn pct(n: i64, of: i64) -> f64 {
    if of <= 0 { 100.0 } else { (n as f64 * 1000.0 / of as f64).round() / 10.0 }
}

pub async fn coverage(state: &AppState, user: &User) -> Result<CoverageView, WorkforceError> {
    if !may_view(user) {
        return Err(forbid("the workforce"));
    }
    let now = state.now();
    let counts = async { Ok(state.store.on_hand_counts(&user.scope_path, local_today(state)).await?) };
    let (r, (on_hand, party, organisations)) = tokio::try_join!(report(state, user, now), counts)?;
    let leaders: HashSet<&str> =
        r.current.iter().filter(|a| a.post == Post::Leader).map(|a| a.worker_id.as_str()).collect();
    let members: HashSet<&str> =
        r.current.iter().filter(|a| a.post == Post::Member).map(|a| a.worker_id.as_str()).collect();
    let figures = WorkforceFigures {
        on_hand,
        party_members_on_hand: party,
        organisations,
        leaders: leaders.len() as i64,
        members: members.len() as i64,
    };
    // The most loaded leaders, named once chosen.
    let mut load = leader_load(&r);
    load.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
    load.truncate(50);
    let ids: Vec<String> = load.iter().map(|(id, _)| (*id).to_owned()).collect();
    let named = state.store.workers_by_id(&ids).await?;
    let load = load
        .into_iter()
        .filter_map(|(id, (units, residents))| {
            named.get(id).map(|w| LoadView { worker: WorkerView::of(w), units, residents })
        })
        .collect();
    let by_tier = covered_share(&r.units, &r.gaps)
        .into_iter()
        .map(|(tier, units, covered)| TierShare { tier, units, covered, covered_pct: pct(covered, units) })
        .collect();
    let profiles = zones::profiles(state).await?;
    let (profile_name_zh, profile_name_en) = profiles.get(&r.profile_key).map_or_else(
        || (r.profile_key.clone(), r.profile_key.clone()),
        |p| (p.name_zh.clone(), p.name_en.clone()),
    );
    Ok(CoverageView {
        at: now,
        profile_key: r.profile_key.clone(),
        profile_name_zh,
        profile_name_en,
        units: r.units.len() as i64,
        gaps: r.gaps.iter().map(|g| gap_view(&r, g)).collect(),
        by_tier,
        figures,
        load,
    })
}

/// Each leader's units and the residents of those units.
fn leader_load(r: &Report) -> Vec<(&str, (i64, i64))> {
    let residents: HashMap<&str, i64> = r.units.iter().map(|u| (u.key.as_str(), u.residents)).collect();
    let mut load: HashMap<&str, (i64, i64)> = HashMap::new();
    for a in r.current.iter().filter(|a| a.post == Post::Leader) {
        let e = load.entry(a.worker_id.as_str()).or_default();
        e.0 += 1;
        e.1 += residents.get(a.unit.key()).copied().unwrap_or(0);
    }
    load.into_iter().collect()
}

/// Leaders proposed for the gaps from the workers on hand today (none is written).
pub async fn suggestions(state: &AppState, user: &User) -> Result<Vec<SuggestionView>, WorkforceError> {
    if !may_manage(user) {
        return Err(forbid("assigning workers"));
    }
    let now = state.now();
    let on_hand = async { Ok(state.store.candidates(&user.scope_path, local_today(state)).await?) };
    let (r, on_hand) = tokio::try_join!(report(state, user, now), on_hand)?;
    let load: HashMap<&str, i64> = leader_load(&r).into_iter().map(|(id, (_, res))| (id, res)).collect();
    // Nobody resting, nor on duty past the shift rule's hours, is proposed for more.
    let ids: Vec<String> = on_hand.iter().map(|c| c.worker_id.clone()).collect();
    let duty = super::duty_states(state, &ids).await?;
    let tired = |id: &str| {
        matches!(duty.get(id), Some(DutyState::Resting { .. } | DutyState::OnDuty { overdue: true, .. }))
    };
    let candidates: Vec<Candidate> = on_hand
        .iter()
        .filter(|c| !tired(&c.worker_id))
        .map(|c| Candidate {
            worker_id: c.worker_id.clone(),
            rank: c.rank,
            community: c.community.clone(),
            load: load.get(c.worker_id.as_str()).copied().unwrap_or(0),
        })
        .collect();
    let leaderless: HashSet<usize> =
        r.gaps.iter().filter(|g| g.kind == GapKind::NoLeader).map(|g| g.unit).collect();
    let wanted: Vec<(AreaPath, Option<Rank>, u32)> = r
        .gaps
        .iter()
        .map(|g| {
            let path = r.units[g.unit].path.clone();
            match g.kind {
                GapKind::NoLeader => {
                    (path, r.rules.iter().find(|x| x.key == g.rule).map(|x| x.min_leader_rank()), 1)
                }
                // The leader proposed for the same unit counts towards its team.
                GapKind::Understaffed => (path, None, g.missing() - u32::from(leaderless.contains(&g.unit))),
            }
        })
        .collect();
    let street_of = |p: &AreaPath| p.lineage().get(2).cloned();
    let picked = suggest(&wanted, &candidates, street_of);
    // Only those proposed are named: a city has tens of thousands on hand.
    let ids: Vec<String> = picked.iter().map(|s| candidates[s.worker].worker_id.clone()).collect();
    let paths: Vec<AreaPath> = picked.iter().map(|s| candidates[s.worker].community.clone()).collect();
    let (named, places) = tokio::try_join!(state.store.workers_by_id(&ids), state.store.areas_on(&paths))?;
    let community_name = |p: &AreaPath| {
        p.ids().last().and_then(|id| places.get(&id)).map_or_else(String::new, |a| a.name.clone())
    };
    Ok(picked
        .iter()
        .filter_map(|s| {
            let c = &candidates[s.worker];
            named.get(&c.worker_id).map(|w| SuggestionView {
                gap: gap_view(&r, &r.gaps[s.gap]),
                post: if r.gaps[s.gap].kind == GapKind::NoLeader { Post::Leader } else { Post::Member },
                worker: WorkerView::of(w),
                community_name: community_name(&c.community),
                distance: s.distance,
                load: c.load,
            })
        })
        .collect())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    pub worker_id: String,
    /// area or site
    pub unit_kind: String,
    pub unit_key: String,
    /// Default: leader.
    #[serde(default = "leader")]
    pub post: Post,
}

#[derive(Serialize, ToSchema)]
pub struct AcceptOutcome {
    pub assigned: Vec<AssignmentView>,
    /// What could not be assigned, and why (someone else took the unit meanwhile …).
    pub refused: Vec<String>,
}

/// Assigns each accepted suggestion (a leader, or a member of a team short of workers) from
/// now; each stands or fails alone.
pub async fn accept(
    state: &AppState,
    user: &User,
    picks: Vec<Accepted>,
) -> Result<AcceptOutcome, WorkforceError> {
    if !may_manage(user) {
        return Err(forbid("assigning workers"));
    }
    if picks.len() > 5_000 {
        return Err(invalid("assignments", "at most 5,000 at once"));
    }
    let mut out = AcceptOutcome { assigned: Vec::new(), refused: Vec::new() };
    for p in picks {
        let (area, site) = match p.unit_kind.as_str() {
            "site" => (None, Some(p.unit_key.clone())),
            _ => (Some(p.unit_key.clone()), None),
        };
        let req = AssignRequest {
            worker_id: p.worker_id.clone(),
            area_code: area,
            site_id: site,
            post: p.post,
            title: if p.post == Post::Leader { "包联负责人".into() } else { String::new() },
            duty_phone: None,
            from: None,
            until: None,
        };
        match assign(state, user, req).await {
            Ok(a) => out.assigned.push(a),
            Err(e) => out.refused.push(format!("{} → {}: {e}", p.worker_id, p.unit_key)),
        }
    }
    Ok(out)
}
