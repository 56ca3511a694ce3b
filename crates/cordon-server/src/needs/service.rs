//! The residents' needs service: raising a need for a household of one's areas (its owner the
//! cadre who answers for the building, else the community; its deadlines from the profile in
//! force; a medical emergency carries an emergency pass at once), what people do with it
//! (acknowledge, assign, note, decide a request to leave, resolve, reopen), the board, and the
//! sweep that climbs the chain when nobody acknowledges in time — run by a task of the server
//! every half minute, its state all in the store, so a restart loses nothing and catches up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cordon_domain::needs::{
    NeedCategory, NeedEvent, NeedEventKind, NeedRule, NeedStatus, Priority, Rung, rule_for,
};
use cordon_domain::workforce::Post;
use cordon_domain::{AreaCode, AreaPath, Phone, Profile, Right, Role};
use cordon_store::{NeedQuery, NeedRecord, NewNeed, NewNeedEvent, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::NeedError;
use crate::{AppState, zones};

/// Who signs the steps up the chain.
pub const SWEEPER: &str = cordon_domain::user::SYSTEM_ACTOR;
/// Needs escalated per transaction of a sweep.
const SWEEP_BATCH: u32 = 1_000;

/// Reading needs and raising them (`handle_needs`).
pub fn may_handle(user: &User) -> bool {
    user.may(Right::HandleNeeds)
}

/// Deciding a request to leave a zone (`decide_needs`).
pub fn may_decide(user: &User) -> bool {
    user.may(Right::DecideNeeds)
}

fn forbid(what: &str) -> NeedError {
    NeedError::Forbidden(format!("{what} is not part of your role"))
}

fn invalid(field: &str, message: impl Into<String>) -> NeedError {
    NeedError::Invalid { field: field.into(), message: message.into() }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct NeedView {
    pub id: i64,
    #[schema(value_type = String)]
    pub household_code: AreaCode,
    /// Large to small: 新城区 › 公主府社区 › 呼铁佳园C区 › 3号楼 › 501.
    pub address: String,
    pub person_id: Option<String>,
    pub category: NeedCategory,
    pub category_zh: String,
    pub category_en: String,
    pub emergency: bool,
    pub priority: Priority,
    /// Masked: 139****0001.
    pub contact_phone: Option<String>,
    pub description: String,
    pub owner_worker: Option<String>,
    /// The owning worker's name, as the workforce register has it.
    pub owner_name: Option<String>,
    pub status: NeedStatus,
    pub rung: Rung,
    /// The next deadline: to acknowledge (open) or to handle (acknowledged).
    pub due: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub escalations: i64,
    pub pass_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct NeedEventView {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: NeedEventKind,
    pub note: String,
    pub by: String,
    pub recorded_at: DateTime<Utc>,
    /// The name of the worker it was given to, for an assignment.
    pub to_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NeedDetail {
    pub need: NeedView,
    pub timeline: Vec<NeedEventView>,
}

fn mask(phone: Option<&str>) -> Option<String> {
    phone.map(|p| Phone::parse(p).map_or_else(|_| "***".into(), |p| p.masked()))
}

async fn views(
    state: &AppState,
    needs: &[NeedRecord],
    now: DateTime<Utc>,
) -> Result<Vec<NeedView>, NeedError> {
    let paths: Vec<AreaPath> = needs.iter().map(|n| n.path.clone()).collect();
    let areas = state.store.areas_on(&paths).await?;
    let mut owners: Vec<String> = needs.iter().filter_map(|n| n.owner_worker.clone()).collect();
    owners.sort_unstable();
    owners.dedup();
    let workers = state.store.workers_by_id(&owners).await?;
    Ok(needs
        .iter()
        .map(|n| {
            // From the district down: the city is the same for everyone.
            let address = cordon_store::lineage(&areas, &n.path)
                .iter()
                .skip(1)
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(" › ");
            NeedView {
                id: n.id,
                household_code: n.household.clone(),
                address,
                person_id: n.person_id.clone(),
                category: n.category,
                category_zh: n.category.name_zh().into(),
                category_en: n.category.name_en().into(),
                emergency: n.emergency,
                priority: n.priority,
                contact_phone: mask(n.contact_phone.as_deref()),
                description: n.description.clone(),
                owner_worker: n.owner_worker.clone(),
                owner_name: n.owner_worker.as_ref().and_then(|w| workers.get(w)).map(|w| w.name.clone()),
                status: n.status,
                rung: n.rung,
                due: n.due,
                overdue: n.due.is_some_and(|d| d < now),
                escalations: n.escalations,
                pass_id: n.pass_id.clone(),
                created_at: n.created_at,
                created_by: n.created_by.clone(),
            }
        })
        .collect())
}

/// The rule a need follows under its profile.
fn rule_of(
    profiles: &HashMap<String, Profile>,
    key: &str,
    category: NeedCategory,
    emergency: bool,
) -> Option<NeedRule> {
    profiles.get(key).and_then(|p| rule_for(&p.needs, category, emergency)).cloned()
}

// ---- raising ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedRequest {
    /// The household it is from or for.
    pub household_code: String,
    /// The resident it is for (a medical emergency names one: the pass is theirs).
    pub person_id: Option<String>,
    /// food, medicine, medical_care, treatment, childbirth, mental_health, family_emergency,
    /// daily_check, leave_zone, other.
    pub category: String,
    /// A medical emergency: the highest priority and the green channel.
    #[serde(default)]
    pub emergency: bool,
    /// How to reach them (an emergency must give one).
    pub contact_phone: Option<String>,
    pub description: String,
}

/// Raises a need at `now`; a medical emergency gets its emergency pass in the same breath.
pub async fn raise(
    state: &AppState,
    user: &User,
    req: NeedRequest,
    now: DateTime<Utc>,
) -> Result<NeedDetail, NeedError> {
    if !may_handle(user) {
        return Err(forbid("raising residents' needs"));
    }
    let category = NeedCategory::parse(&req.category).map_err(|e| invalid("category", e.to_string()))?;
    let description = req.description.trim();
    if description.is_empty() || description.chars().count() > 1000 {
        return Err(invalid("description", "say what is needed (1 to 1,000 characters)"));
    }
    if req.emergency && !category.is_medical() {
        return Err(invalid(
            "emergency",
            "a medical emergency is medical care, a treatment, childbirth or medicine; raise the rest as urgent",
        ));
    }
    let contact_phone = match req.contact_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            Some(Phone::parse(p).map_err(|e| invalid("contact_phone", e.to_string()))?.as_str().to_owned())
        }
        None if req.emergency => {
            return Err(invalid(
                "contact_phone",
                "an emergency gives a phone the ambulance and the owner can call",
            ));
        }
        None => None,
    };
    let code = AreaCode::try_from(req.household_code.trim().to_owned())
        .map_err(|e| invalid("household_code", e.to_string()))?;
    let node = state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| invalid("household_code", format!("no household {code} in your areas")))?;
    let person_id = req.person_id.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
    if let Some(p) = &person_id {
        // The resident is read from the register (and the read audited): they live there.
        let id = cordon_domain::PersonId::parse(p).map_err(|e| invalid("person_id", e.to_string()))?;
        let found = state.store.person(&user.scope_path, &id).await?.filter(|r| r.household == code);
        if found.is_none() {
            return Err(invalid(
                "person_id",
                format!("nobody with register id {p} lives in household {code}"),
            ));
        }
        state.store.audit_reads(user, std::slice::from_ref(&id), "POST /api/v1/needs", now).await?;
    }
    if req.emergency && person_id.is_none() {
        return Err(invalid("person_id", "a medical emergency names the resident the emergency pass is for"));
    }
    let profile_key = zones::profile_in_force(state).await?;
    let profiles = zones::profiles(state).await?;
    let rule = rule_of(&profiles, &profile_key, category, req.emergency).ok_or_else(|| {
        invalid("category", format!("the profile {profile_key} has no rule for {}", category.as_str()))
    })?;
    let (rung, owner_worker) = owners(state, std::slice::from_ref(&node.area.path), now)
        .await?
        .remove(&node.area.path)
        .unwrap_or((Rung::Community, None));
    let pass_id = if req.emergency {
        let reason = format!("绿色通道：{}", category.name_zh());
        let person = person_id.as_deref().unwrap_or_default();
        let pass = crate::gates::issue_emergency_pass(state, user, person, &reason, now).await.map_err(
            |e| match e {
                crate::gates::GateError::Invalid { field, message } if field == "person" => {
                    invalid("person_id", message)
                }
                other => NeedError::Gate(other),
            },
        )?;
        Some(pass.id)
    } else {
        None
    };
    let need = NewNeed {
        household: code,
        person_id,
        category,
        emergency: req.emergency,
        contact_phone,
        description: description.to_owned(),
        rung,
        owner_worker,
        profile_key,
        pass_id,
        plan_key: None,
        at: now,
        by: user.username.clone(),
    };
    let r = state.store.create_need(&user.scope_path, &need, &rule).await.map_err(|e| match e {
        cordon_store::StoreError::Invalid(m) | cordon_store::StoreError::NotFound(m) => {
            invalid("household_code", m)
        }
        other => other.into(),
    })?;
    detail_of(state, r, now).await
}

/// Who owns a need of each household: the cadre who leads for its building, else its compound,
/// now; else the community. One read of the running assignments per compound.
async fn owners(
    state: &AppState,
    households: &[AreaPath],
    now: DateTime<Utc>,
) -> Result<HashMap<AreaPath, (Rung, Option<String>)>, NeedError> {
    let areas = state.store.areas_on(households).await?;
    let code_at =
        |p: &AreaPath| p.ids().last().and_then(|id| areas.get(&id)).map(|a| a.code.as_str().to_owned());
    let mut staffing: HashMap<AreaPath, Vec<cordon_store::Staffing>> = HashMap::new();
    let mut out = HashMap::with_capacity(households.len());
    for household in households {
        let lineage = household.lineage();
        // City › district › street › community › compound › building › household.
        let owner = match (lineage.get(4), lineage.get(5)) {
            (Some(compound), Some(building)) => {
                if !staffing.contains_key(compound) {
                    staffing.insert(compound.clone(), state.store.staffing(compound, now).await?);
                }
                let running = &staffing[compound];
                [building, compound]
                    .into_iter()
                    .filter_map(&code_at)
                    .find_map(|code| {
                        running
                            .iter()
                            .find(|s| s.post == Post::Leader && s.unit.key() == code)
                            .map(|s| s.worker_id.clone())
                    })
                    .map_or((Rung::Community, None), |w| (Rung::Cadre, Some(w)))
            }
            _ => (Rung::Community, None),
        };
        out.insert(household.clone(), owner);
    }
    Ok(out)
}

async fn detail_of(state: &AppState, r: NeedRecord, now: DateTime<Utc>) -> Result<NeedDetail, NeedError> {
    let events = state.store.need_events(r.id).await?;
    let need = views(state, std::slice::from_ref(&r), now).await?.remove(0);
    let given: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            NeedEventKind::Assigned { to } => Some(to.clone()),
            _ => None,
        })
        .collect();
    let workers = state.store.workers_by_id(&given).await?;
    let timeline = events
        .into_iter()
        .map(|e| {
            let to_name = match &e.event.kind {
                NeedEventKind::Assigned { to } => workers.get(to).map(|w| w.name.clone()),
                _ => None,
            };
            NeedEventView {
                at: e.event.at,
                kind: e.event.kind,
                note: e.note,
                by: e.by,
                recorded_at: e.recorded_at,
                to_name,
            }
        })
        .collect();
    Ok(NeedDetail { need, timeline })
}

pub async fn detail(
    state: &AppState,
    user: &User,
    id: i64,
    now: DateTime<Utc>,
) -> Result<NeedDetail, NeedError> {
    if !may_handle(user) {
        return Err(forbid("residents' needs"));
    }
    let r = state.store.need(&user.scope_path, id).await?.ok_or(NeedError::NotFound)?;
    detail_of(state, r, now).await
}

/// Someone a need can be handed to, picked by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignable {
    pub worker_id: String,
    pub name: String,
    /// What they answer for now in the need's community: each unit's name, with the title of
    /// their post where it has one.
    pub answers_for: Vec<String>,
}

/// Whom a need can be handed to: the workers answering now (包联) for a unit of the need's
/// community — its buildings, its compounds, the community itself — each once, by name.
pub async fn assignable(
    state: &AppState,
    user: &User,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Assignable>, NeedError> {
    if !may_handle(user) {
        return Err(forbid("residents' needs"));
    }
    let r = state.store.need(&user.scope_path, id).await?.ok_or(NeedError::NotFound)?;
    // city › district › street › community: the fourth area on a household's path.
    let community = r.path.lineage().get(3).cloned().unwrap_or_else(|| r.path.clone());
    let mut out: Vec<Assignable> = Vec::new();
    for a in state.store.assignments(&community, Some(now)).await? {
        let unit =
            if a.title.is_empty() { a.unit_name.clone() } else { format!("{} {}", a.unit_name, a.title) };
        match out.iter_mut().find(|o| o.worker_id == a.worker.worker_id) {
            Some(seen) => seen.answers_for.push(unit),
            None => out.push(Assignable {
                worker_id: a.worker.worker_id.clone(),
                name: a.worker.name.clone(),
                answers_for: vec![unit],
            }),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.worker_id.cmp(&b.worker_id)));
    Ok(out)
}

/// The rung a user's office sits on: where the chain notifies them.
pub fn rung_of(user: &User) -> Option<Rung> {
    match user.role {
        Role::Headquarters => Some(Rung::Headquarters),
        Role::District => Some(Rung::District),
        Role::Street => Some(Rung::Street),
        Role::CommunityWorker => Some(Rung::Community),
        Role::Cadre => Some(Rung::Cadre),
        _ => None,
    }
}

pub async fn board(
    state: &AppState,
    user: &User,
    include_resolved: bool,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Vec<NeedView>, NeedError> {
    let page = BoardPage { include_resolved, limit, offset: 0 };
    board_of(state, user, &user.scope_path, page, None, now).await
}

/// A page of a board: the resolved too or not, `limit` needs from `offset`.
#[derive(Debug, Clone, Copy)]
pub struct BoardPage {
    pub include_resolved: bool,
    pub limit: u32,
    pub offset: u32,
}

/// The board of one area inside the user's (their own when `area` is none), a page at a time,
/// with the area's counts: what a worker answering for one compound or building looks at.
pub async fn board_in(
    state: &AppState,
    user: &User,
    area: Option<&str>,
    page: BoardPage,
    now: DateTime<Utc>,
) -> Result<(cordon_store::NeedCounts, Vec<NeedView>), NeedError> {
    if !may_handle(user) {
        return Err(forbid("residents' needs"));
    }
    let path = match area.map(str::trim).filter(|a| !a.is_empty()) {
        None => user.scope_path.clone(),
        Some(code) => {
            let code = AreaCode::parse(code).map_err(|e| NeedError::invalid("area", e.reason()))?;
            state.store.area(&user.scope_path, &code).await?.ok_or(NeedError::NotFound)?.area.path
        }
    };
    let counts = state.store.need_counts(&path, now).await?;
    Ok((counts, board_of(state, user, &path, page, None, now).await?))
}

/// What waits for the user's office to acknowledge it: raised at its rung or climbed to it —
/// how a step up the chain reaches the next office (its inbox, first on its board).
pub async fn inbox(
    state: &AppState,
    user: &User,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Vec<NeedView>, NeedError> {
    let Some(rung) = rung_of(user) else { return Err(forbid("residents' needs")) };
    let page = BoardPage { include_resolved: false, limit, offset: 0 };
    board_of(state, user, &user.scope_path, page, Some(rung), now).await
}

async fn board_of(
    state: &AppState,
    user: &User,
    path: &AreaPath,
    page: BoardPage,
    waiting_on: Option<Rung>,
    now: DateTime<Utc>,
) -> Result<Vec<NeedView>, NeedError> {
    if !may_handle(user) {
        return Err(forbid("residents' needs"));
    }
    let q = NeedQuery {
        include_resolved: page.include_resolved,
        limit: page.limit.clamp(1, 5_000),
        offset: page.offset,
        now,
        waiting_on,
    };
    let needs = state.store.needs_board(path, &q).await?;
    views(state, &needs, now).await
}

pub async fn counts(
    state: &AppState,
    user: &User,
    now: DateTime<Utc>,
) -> Result<cordon_store::NeedCounts, NeedError> {
    if !may_handle(user) {
        return Err(forbid("residents' needs"));
    }
    Ok(state.store.need_counts(&user.scope_path, now).await?)
}

// ---- what people do ----

/// What someone does with a need.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum NeedAction {
    Acknowledge {
        #[serde(default)]
        note: String,
    },
    /// Given to a worker to carry out.
    Assign {
        worker_id: String,
        #[serde(default)]
        note: String,
    },
    Note {
        note: String,
    },
    /// A request to leave a zone: granted, or refused with the alternative arranged; the reason
    /// is the note.
    Decide {
        granted: bool,
        alternative: Option<String>,
        note: String,
    },
    Resolve {
        #[serde(default)]
        note: String,
    },
    Reopen {
        note: String,
    },
}

pub async fn act(
    state: &AppState,
    user: &User,
    id: i64,
    action: NeedAction,
    now: DateTime<Utc>,
) -> Result<NeedDetail, NeedError> {
    if !may_handle(user) {
        return Err(forbid("residents' needs"));
    }
    let need = state.store.need(&user.scope_path, id).await?.ok_or(NeedError::NotFound)?;
    let text = |field: &str, note: String, required: bool| {
        let note = note.trim().to_owned();
        if required && note.is_empty() {
            return Err(invalid(field, "say why"));
        }
        if note.chars().count() > 1000 {
            return Err(invalid(field, "at most 1,000 characters"));
        }
        Ok(note)
    };
    let (kind, note) = match action {
        NeedAction::Acknowledge { note } => (NeedEventKind::Acknowledged, text("note", note, false)?),
        NeedAction::Assign { worker_id, note } => {
            let worker = worker_id.trim();
            if state.store.worker(worker).await?.is_none() {
                return Err(invalid("worker_id", format!("no worker {worker}")));
            }
            (NeedEventKind::Assigned { to: worker.to_owned() }, text("note", note, false)?)
        }
        NeedAction::Note { note } => (NeedEventKind::Note, text("note", note, true)?),
        NeedAction::Decide { granted, alternative, note } => {
            if !may_decide(user) {
                return Err(forbid("deciding a request to leave a zone"));
            }
            if need.category != NeedCategory::LeaveZone {
                return Err(invalid("action", "only a request to leave a zone is decided"));
            }
            let alternative = alternative.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
            (NeedEventKind::Decided { granted, alternative }, text("note", note, true)?)
        }
        NeedAction::Resolve { note } => (NeedEventKind::Resolved, text("note", note, false)?),
        NeedAction::Reopen { note } => (NeedEventKind::Reopened, text("note", note, true)?),
    };
    let profiles = zones::profiles(state).await?;
    let rule = rule_of(&profiles, &need.profile_key, need.category, need.emergency).ok_or_else(|| {
        NeedError::Conflict(format!("the profile {} has no rule for this need", need.profile_key))
    })?;
    let event = NewNeedEvent {
        event: NeedEvent { at: now, kind },
        note,
        by: user.username.clone(),
        recorded_at: now,
    };
    let r = state
        .store
        .record_need_event(&user.scope_path, id, &event, &rule)
        .await
        .map_err(|e| match e {
            cordon_store::StoreError::Conflict(m) if m.starts_with("alternative") => {
                invalid("alternative", m)
            }
            other => other.into(),
        })?
        .ok_or(NeedError::NotFound)?;
    detail_of(state, r, now).await
}

// ---- care planned ahead ----

/// Plans the day's care for everyone tagged in the city by the profile in force — a dialysis
/// patient's trip, the daily check on someone living alone — as needs raised by the system, each
/// once a day whoever runs the planner and however often. Returns the needs written.
pub async fn plan_care(state: &AppState, now: DateTime<Utc>) -> Result<usize, NeedError> {
    use cordon_domain::needs::care_due;
    let day = now.with_timezone(&state.config.tz).date_naive();
    let profile_key = zones::profile_in_force(state).await?;
    let profiles = zones::profiles(state).await?;
    let Some(profile) = profiles.get(&profile_key) else { return Ok(0) };
    let people = state.store.tagged_people(&AreaPath::root()).await?;
    let mut planned: Vec<(&str, &AreaCode, &AreaPath, &cordon_domain::needs::CareRule)> = Vec::new();
    for (person, household, path, tags) in &people {
        for rule in care_due(tags, &profile.care, day) {
            planned.push((person, household, path, rule));
        }
    }
    let mut paths: Vec<AreaPath> = planned.iter().map(|p| p.2.clone()).collect();
    paths.sort();
    paths.dedup();
    let owner_of = owners(state, &paths, now).await?;
    let mut written = 0;
    for chunk in planned.chunks(2_000) {
        let batch: Vec<(NewNeed, NeedRule)> = chunk
            .iter()
            .filter_map(|(person, household, path, care)| {
                let rule = rule_for(&profile.needs, care.category, false)?.clone();
                let (rung, owner_worker) = owner_of.get(*path).cloned().unwrap_or((Rung::Community, None));
                let need = NewNeed {
                    household: (*household).clone(),
                    person_id: Some((*person).to_owned()),
                    category: care.category,
                    emergency: false,
                    contact_phone: None,
                    description: care.description.clone(),
                    rung,
                    owner_worker,
                    profile_key: profile_key.clone(),
                    pass_id: None,
                    plan_key: Some(format!("care:{person}:{}:{day}", care.category.as_str())),
                    at: now,
                    by: SWEEPER.to_owned(),
                };
                Some((need, rule))
            })
            .collect();
        written += state.store.create_needs(&AreaPath::root(), &batch).await?.len();
    }
    if written > 0 {
        tracing::info!(needs = written, %day, "care planned for the day");
    }
    Ok(written)
}

// ---- the sweep ----

/// Climbs every need due by `now` one rung per interval missed, in batches; returns the steps
/// written. Each step is recorded in the need's timeline and logged for whoever watches.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> Result<usize, NeedError> {
    let profiles = zones::profiles(state).await?;
    let mut steps = 0;
    loop {
        let due = state.store.needs_due(now, SWEEP_BATCH).await?;
        if due.is_empty() {
            break;
        }
        let batch: Vec<(i64, NeedRule)> = due
            .iter()
            .filter_map(|d| rule_of(&profiles, &d.profile_key, d.category, d.emergency).map(|r| (d.id, r)))
            .collect();
        let climbed = state.store.escalate_needs(&batch, now, SWEEPER).await?;
        for (need, events) in &climbed {
            steps += events.len();
            // An emergency nobody answers is an alarm; the rest are the day's work, counted below.
            if need.emergency {
                tracing::warn!(
                    need = need.id,
                    rung = need.rung.as_str(),
                    steps = events.len(),
                    "an emergency nobody acknowledged climbed the chain"
                );
            }
        }
        // A batch that moved nothing (no rule for it, or another sweep took it): stop.
        if climbed.is_empty() || (due.len() as u32) < SWEEP_BATCH {
            break;
        }
    }
    if steps > 0 {
        tracing::info!(steps, "needs nobody acknowledged climbed the chain");
    }
    Ok(steps)
}
