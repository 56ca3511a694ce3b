//! Zones as the users work them: drawing, recording what happens inside, the proposals the
//! rules produce and headquarters decides, and the figures. The rules are the domain's
//! (`lifecycle`, `tiers`); this module fetches, decides who may do what, and keeps a snapshot
//! of every active zone's state for the figures.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::gates::GateRule;
use cordon_domain::lifecycle::{local_day, zone_state};
use cordon_domain::protocol::Profile;
use cordon_domain::tiers::{LineageArea, escalations, tier_figures};
use cordon_domain::{
    AreaCode, AreaPath, EventKind, PersonId, Right, Tier, TierFigures, ZoneEvent, ZoneState,
};
use cordon_store::{
    Decision, NewProposal, NewZone, NewZoneEvent, ProposalKind, ProposalRecord, ProposalStatus, User,
    ZoneChange, ZoneEventRecord, ZoneQuery, ZoneRecord,
};
use serde::Serialize;
use tokio::sync::RwLock;
use utoipa::ToSchema;

use super::error::ZoneError;
use super::profiles::{profile_in_force, profiles};
use crate::AppState;

/// Who signs what the rules do by themselves.
pub const SYSTEM: &str = cordon_domain::user::SYSTEM_ACTOR;

/// Every active zone's state at one moment, kept so the figures answer without the database.
#[derive(Default)]
pub struct Snapshot {
    pub at: Option<DateTime<Utc>>,
    /// Bumped by every change, so a review that read the zones before a change does not store
    /// what it computed over the change.
    pub generation: u64,
    pub zones: Vec<SnapZone>,
}

pub struct SnapZone {
    pub id: i64,
    pub path: AreaPath,
    pub tier: Tier,
    pub residents: i64,
    pub ready: bool,
    pub overdue: bool,
    /// What its gates let out and in, under the zone's own profile.
    pub gate: GateRule,
}

pub type SnapshotCell = Arc<RwLock<Snapshot>>;

// ---- permissions ----

/// Drawing zones and recording what happens in them, inside one's own areas (`manage_zones`).
pub fn may_manage(user: &User) -> bool {
    user.may(Right::ManageZones)
}

/// Recording a positive (`report_positive`).
pub fn may_report_positive(user: &User) -> bool {
    user.may(Right::ReportPositive)
}

fn require_manage(user: &User, path: &AreaPath) -> Result<(), ZoneError> {
    if !may_manage(user) {
        return Err(ZoneError::Forbidden(
            "only headquarters, district and street offices manage zones".into(),
        ));
    }
    if !user.scope_path.contains(path) {
        return Err(ZoneError::Forbidden(
            "this zone is drawn above your areas: ask the level that drew it".into(),
        ));
    }
    Ok(())
}

fn require_headquarters(user: &User, path: &AreaPath) -> Result<(), ZoneError> {
    if !user.may(Right::Command) || !user.scope_path.contains(path) {
        return Err(ZoneError::Forbidden("only headquarters decides this".into()));
    }
    Ok(())
}

// ---- profiles ----

fn profile_of<'a>(profiles: &'a HashMap<String, Profile>, key: &str) -> Result<&'a Profile, ZoneError> {
    profiles.get(key).ok_or_else(|| ZoneError::Internal(format!("zone governed by missing profile {key}")))
}

// ---- views ----

#[derive(Serialize, ToSchema, Clone)]
pub struct ZoneView {
    pub id: i64,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub level: cordon_domain::AreaLevel,
    pub tier: Tier,
    /// The tier's name under the zone's profile: 封控区, or 高风险区 under the 9th edition.
    pub tier_name_zh: String,
    pub tier_name_en: String,
    pub movement_zh: String,
    pub movement_en: String,
    /// Days of the zone on which everyone inside is tested (day 1: the day it was drawn).
    pub test_days: Vec<u32>,
    pub profile: String,
    pub profile_name_zh: String,
    pub profile_name_en: String,
    pub reason: String,
    pub case_person_id: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub residents: i64,
    pub state: ZoneState,
    /// What it steps down to when the rules allow: a tier, or none for lifting.
    pub steps_down_to: Option<Tier>,
    /// True when the zone has a step down at all (false: lifted by hand only).
    pub has_step_down: bool,
    /// Names from the root down to the zone's area.
    pub address: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub event: EventKind,
    pub note: String,
    pub person_id: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ZoneDetail {
    pub zone: ZoneView,
    /// Oldest first.
    pub history: Vec<HistoryEntry>,
    pub proposals: Vec<ProposalView>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ProposalView {
    pub id: i64,
    /// designate, raise, step_down or lift.
    #[schema(value_type = String)]
    pub kind: ProposalKind,
    pub zone_id: Option<i64>,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub tier_from: Option<Tier>,
    pub tier_to: Option<Tier>,
    pub profile: String,
    pub reason: String,
    pub case_person_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// pending, approved, rejected or withdrawn (overtaken by a new positive).
    #[schema(value_type = String)]
    pub status: ProposalStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

impl ProposalView {
    pub fn of(p: &ProposalRecord) -> Self {
        ProposalView {
            id: p.id,
            kind: p.kind,
            zone_id: p.zone_id,
            area_code: p.area.clone(),
            area_name: p.area_name.clone(),
            tier_from: p.tier_from,
            tier_to: p.tier_to,
            profile: p.profile_key.clone(),
            reason: p.reason.clone(),
            case_person_id: p.case_person_id.clone(),
            created_at: p.created_at,
            created_by: p.created_by.clone(),
            status: p.status,
            decided_by: p.decided_by.clone(),
            decided_at: p.decided_at,
            decision_note: p.decision_note.clone(),
        }
    }
}

fn events_by_zone(events: Vec<ZoneEventRecord>) -> HashMap<i64, Vec<ZoneEventRecord>> {
    let mut out: HashMap<i64, Vec<ZoneEventRecord>> = HashMap::new();
    for e in events {
        out.entry(e.zone_id).or_default().push(e);
    }
    out
}

fn view(
    z: &ZoneRecord,
    profile: &Profile,
    events: &[ZoneEventRecord],
    now: DateTime<Utc>,
    state: &AppState,
    address: Vec<String>,
) -> ZoneView {
    let plain: Vec<ZoneEvent> = events.iter().map(|e| e.event.clone()).collect();
    let s = zone_state(profile, &plain, now, state.config.tz);
    let rule = profile.rule(z.tier);
    let pick =
        |f: fn(&cordon_domain::protocol::TierRule) -> &String| rule.map(f).cloned().unwrap_or_default();
    ZoneView {
        id: z.id,
        area_code: z.area.clone(),
        area_name: z.area_name.clone(),
        level: z.level,
        tier: z.tier,
        tier_name_zh: pick(|r| &r.name_zh),
        tier_name_en: pick(|r| &r.name_en),
        movement_zh: pick(|r| &r.movement_zh),
        movement_en: pick(|r| &r.movement_en),
        test_days: rule.map(|r| r.test_days.clone()).unwrap_or_default(),
        profile: profile.key.clone(),
        profile_name_zh: profile.name_zh.clone(),
        profile_name_en: profile.name_en.clone(),
        reason: z.reason.clone(),
        case_person_id: z.case_person_id.clone(),
        started_at: z.started_at,
        ended_at: z.ended_at,
        created_by: z.created_by.clone(),
        residents: z.residents,
        steps_down_to: s.step.and_then(|st| st.to),
        has_step_down: s.step.is_some(),
        state: s,
        address,
    }
}

async fn addresses(state: &AppState, zones: &[ZoneRecord]) -> Result<Vec<Vec<String>>, ZoneError> {
    let paths: Vec<AreaPath> = zones.iter().map(|z| z.path.clone()).collect();
    Ok(crate::reads::addresses(state, &paths).await?)
}

/// Zones visible to the user, with their states computed now.
pub async fn list(state: &AppState, user: &User, query: &ZoneQuery) -> Result<Vec<ZoneView>, ZoneError> {
    list_in(state, &user.scope_path, query).await
}

/// Zones over and inside one area; the caller has checked the area is the user's.
pub async fn list_in(
    state: &AppState,
    area: &AreaPath,
    query: &ZoneQuery,
) -> Result<Vec<ZoneView>, ZoneError> {
    let zones = state.store.zones(area, query).await?;
    let ids: Vec<i64> = zones.iter().map(|z| z.id).collect();
    let mut events = events_by_zone(state.store.zone_events(&ids).await?);
    let profiles = profiles(state).await?;
    let addresses = addresses(state, &zones).await?;
    let now = state.now();
    zones
        .iter()
        .zip(addresses)
        .map(|(z, address)| {
            let ev = events.remove(&z.id).unwrap_or_default();
            Ok(view(z, profile_of(&profiles, &z.profile_key)?, &ev, now, state, address))
        })
        .collect()
}

pub async fn detail(state: &AppState, user: &User, id: i64) -> Result<ZoneDetail, ZoneError> {
    let z = state.store.zone(&user.scope_path, id).await?.ok_or(ZoneError::NotFound)?;
    let events = state.store.zone_events(&[id]).await?;
    let profiles = profiles(state).await?;
    let address = addresses(state, std::slice::from_ref(&z)).await?.remove(0);
    let zone = view(&z, profile_of(&profiles, &z.profile_key)?, &events, state.now(), state, address);
    let proposals = state.store.zone_proposals(id).await?.iter().map(ProposalView::of).collect();
    let history = events
        .into_iter()
        .map(|e| HistoryEntry {
            at: e.event.at,
            event: e.event.kind,
            note: e.note,
            person_id: e.person_id,
            recorded_by: e.recorded_by,
            recorded_at: e.recorded_at,
        })
        .collect();
    Ok(ZoneDetail { zone, history, proposals })
}

// ---- changes ----

pub struct DrawRequest {
    pub area: String,
    pub tier: Tier,
    pub reason: String,
    pub profile: Option<String>,
    pub case_person_id: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// A note kept in a history: trimmed, said when `required`, at most 2,000 characters.
pub(crate) fn check_note(
    field: &'static str,
    text: &str,
    required: bool,
) -> Result<String, cordon_domain::DomainError> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(cordon_domain::DomainError::invalid(field, "say why: it is kept in the zone's history"));
    }
    if t.chars().count() > 2000 {
        return Err(cordon_domain::DomainError::invalid(field, "is longer than 2,000 characters"));
    }
    Ok(t.to_owned())
}

pub(crate) fn check_time(
    field: &'static str,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, cordon_domain::DomainError> {
    let at = at.unwrap_or(now);
    if at > now + chrono::Duration::minutes(5) {
        return Err(cordon_domain::DomainError::invalid(field, "is in the future"));
    }
    Ok(at)
}

pub async fn draw(state: &AppState, user: &User, req: DrawRequest) -> Result<ZoneView, ZoneError> {
    if !may_manage(user) {
        return Err(ZoneError::Forbidden("only headquarters, district and street offices draw zones".into()));
    }
    let area = AreaCode::parse(&req.area).map_err(|e| ZoneError::invalid("area_code", e.reason()))?;
    let reason = check_note("reason", &req.reason, true)?;
    let profiles = profiles(state).await?;
    let key = match req.profile {
        Some(k) => k,
        None => profile_in_force(state).await?,
    };
    let profile = profiles
        .get(&key)
        .ok_or_else(|| ZoneError::invalid("profile", format!("no profile {key:?}; see /api/v1/profiles")))?;
    if profile.rule(req.tier).is_none() {
        return Err(ZoneError::invalid(
            "tier",
            format!("the profile {} has no {} tier", profile.name_en, req.tier),
        ));
    }
    let now = state.now();
    let zone = NewZone {
        area: area.clone(),
        tier: req.tier,
        profile_key: key,
        reason,
        case_person_id: req.case_person_id.filter(|s| !s.trim().is_empty()),
        at: check_time("started_at", req.at, now)?,
        by: user.username.clone(),
    };
    let z = state.store.create_zone(&user.scope_path, &zone).await.map_err(|e| match e {
        cordon_store::StoreError::NotFound(m) if m.starts_with("area") => {
            ZoneError::invalid("area_code", format!("{area}: no such area in your areas"))
        }
        e => e.into(),
    })?;
    refresh_zones(state, &[z.id]).await?;
    detail(state, user, z.id).await.map(|d| d.zone)
}

/// The kinds of event a user records on a zone directly.
pub enum Recorded {
    Round { all_negative: bool },
    ContactExposure,
    Extension { until: NaiveDate },
}

pub async fn record(
    state: &AppState,
    user: &User,
    id: i64,
    what: Recorded,
    at: Option<DateTime<Utc>>,
    note: &str,
) -> Result<ZoneDetail, ZoneError> {
    let z = state.store.zone(&user.scope_path, id).await?.ok_or(ZoneError::NotFound)?;
    require_manage(user, &z.path)?;
    let now = state.now();
    let kind = match what {
        Recorded::Round { all_negative } => EventKind::Round { all_negative },
        Recorded::ContactExposure => EventKind::ContactExposure,
        Recorded::Extension { until } => {
            require_headquarters(user, &z.path)?;
            if until <= local_day(now, state.config.tz) {
                return Err(ZoneError::invalid("until", "an extension ends on a day after today"));
            }
            EventKind::Extended { until }
        }
    };
    let required = matches!(kind, EventKind::Extended { .. });
    let event = NewZoneEvent {
        event: ZoneEvent { at: check_time("at", at, now)?, kind },
        note: check_note("note", note, required)?,
        person_id: None,
        by: user.username.clone(),
        recorded_at: now,
    };
    state.store.record_zone_event(id, &event).await?;
    review(state, Some(id)).await?;
    detail(state, user, id).await
}

#[derive(Serialize, ToSchema)]
pub struct PositiveOutcome {
    /// The zones whose clocks the positive reset.
    pub zones_reset: Vec<i64>,
    /// The zones the profile calls for around the case, filed for headquarters.
    pub proposals: Vec<ProposalView>,
}

/// A positive in a household (by person or household): every active zone around it starts its
/// clean days again, and the profile in force proposes the zones it calls for.
pub async fn record_positive(
    state: &AppState,
    user: &User,
    person: Option<&str>,
    area: Option<&str>,
    at: Option<DateTime<Utc>>,
    note: &str,
) -> Result<PositiveOutcome, ZoneError> {
    if !may_report_positive(user) {
        return Err(ZoneError::Forbidden(
            "recording a positive is for offices, labs and epidemiologists".into(),
        ));
    }
    let now = state.now();
    let at = check_time("at", at, now)?;
    let note = check_note("note", note, false)?;
    let (path, person_id) = match (person, area) {
        (Some(p), _) if !p.trim().is_empty() => {
            let id = PersonId::parse(p.trim()).map_err(|e| ZoneError::invalid("person_id", e.reason()))?;
            let rec = state.store.person(&user.scope_path, &id).await?.ok_or_else(|| {
                ZoneError::invalid("person_id", format!("{id}: no such person in your areas"))
            })?;
            state.store.audit_reads(user, std::slice::from_ref(&id), "POST /api/v1/positives", now).await?;
            (rec.path, Some(id.as_str().to_owned()))
        }
        (_, Some(a)) if !a.trim().is_empty() => {
            let code = AreaCode::parse(a.trim()).map_err(|e| ZoneError::invalid("area_code", e.reason()))?;
            let node = state.store.area(&user.scope_path, &code).await?.ok_or_else(|| {
                ZoneError::invalid("area_code", format!("{code}: no such area in your areas"))
            })?;
            (node.area.path, None)
        }
        _ => return Err(ZoneError::invalid("person_id", "name the person, or the household or building")),
    };
    let areas = state.store.areas_on(std::slice::from_ref(&path)).await?;
    let lineage: Vec<cordon_domain::Area> =
        cordon_store::lineage(&areas, &path).into_iter().cloned().collect();
    let codes: Vec<AreaCode> = lineage.iter().map(|a| a.code.clone()).collect();
    let zones = state.store.zones_on(&codes).await?;
    let who = person_id.clone().unwrap_or_else(|| lineage.last().map(|a| a.name.clone()).unwrap_or_default());
    let mut zones_reset = Vec::new();
    for z in &zones {
        let event = NewZoneEvent {
            event: ZoneEvent { at, kind: EventKind::Positive },
            note: if note.is_empty() { format!("阳性：{who}") } else { note.clone() },
            person_id: person_id.clone(),
            by: user.username.clone(),
            recorded_at: now,
        };
        state.store.record_zone_event(z.id, &event).await?;
        zones_reset.push(z.id);
    }

    let proposals = propose_around(state, &lineage, &zones, &who, "阳性病例", person_id, now).await?;
    invalidate(state).await;
    Ok(PositiveOutcome { zones_reset, proposals })
}

/// Files, for headquarters, the zones the profile in force calls for around a household
/// (`lineage`: its areas, root first; `zones`: the active zones on them), with the reason in the
/// command's working language, as the system writes its records.
#[allow(clippy::too_many_arguments)]
pub async fn propose_around(
    state: &AppState,
    lineage: &[cordon_domain::Area],
    zones: &[ZoneRecord],
    who: &str,
    reason_zh: &str,
    person_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<Vec<ProposalView>, ZoneError> {
    let key = profile_in_force(state).await?;
    let profiles = profiles(state).await?;
    let profile = profile_of(&profiles, &key)?;
    let with_zones: Vec<LineageArea> = lineage
        .iter()
        .map(|a| LineageArea {
            code: a.code.clone(),
            level: a.level,
            zone: zones.iter().find(|z| z.area == a.code).map(|z| (z.id, z.tier)),
        })
        .collect();
    let mut proposals = Vec::new();
    for e in escalations(&profile.escalation, &with_zones) {
        let from = e.raise_zone.and_then(|id| zones.iter().find(|z| z.id == id)).map(|z| z.tier);
        let p = NewProposal {
            kind: if e.raise_zone.is_some() { ProposalKind::Raise } else { ProposalKind::Designate },
            zone_id: e.raise_zone,
            area: e.area,
            tier_from: from,
            tier_to: Some(e.tier),
            profile_key: key.clone(),
            reason: format!("{reason_zh} {who}（{}）", profile.name_zh),
            case_person_id: person_id.clone(),
            at: now,
            by: SYSTEM.to_owned(),
        };
        let (rec, _) = state.store.propose(&p).await?;
        proposals.push(ProposalView::of(&rec));
    }
    Ok(proposals)
}

/// Files the step-down (or lift) proposals the rules allow now, for one zone or all; a profile
/// with `auto_step_down` applies them at once. Returns how many were filed or applied.
pub async fn review(state: &AppState, only: Option<i64>) -> Result<usize, ZoneError> {
    let generation = state.zones.read().await.generation;
    let zones: Vec<ZoneRecord> = match only {
        // After one zone's event, only that zone can have become ready.
        Some(id) => state
            .store
            .zone(&AreaPath::root(), id)
            .await?
            .filter(|z| z.ended_at.is_none())
            .into_iter()
            .collect(),
        None => {
            let all = ZoneQuery { include_ended: false, tier: None, limit: u32::MAX / 2 };
            state.store.zones(&AreaPath::root(), &all).await?
        }
    };
    let ids: Vec<i64> = zones.iter().map(|z| z.id).collect();
    let mut events = events_by_zone(state.store.zone_events(&ids).await?);
    let profiles = profiles(state).await?;
    let now = state.now();
    let mut count = 0;
    let mut snapshot = Vec::with_capacity(zones.len());
    for z in &zones {
        let profile = profile_of(&profiles, &z.profile_key)?;
        let ev: Vec<ZoneEvent> =
            events.remove(&z.id).unwrap_or_default().into_iter().map(|e| e.event).collect();
        let s = zone_state(profile, &ev, now, state.config.tz);
        snapshot.push(SnapZone {
            id: z.id,
            path: z.path.clone(),
            tier: z.tier,
            residents: z.residents,
            ready: s.ready,
            overdue: s.round_overdue,
            gate: profile.gate_rule(z.tier),
        });
        if !s.ready {
            continue;
        }
        let to = s.step.and_then(|st| st.to);
        let reason = step_reason(&s, to);
        if profile.auto_step_down {
            let event = NewZoneEvent {
                event: ZoneEvent { at: now, kind: step_kind(to) },
                note: reason,
                person_id: None,
                by: SYSTEM.to_owned(),
                recorded_at: now,
            };
            state.store.record_zone_event(z.id, &event).await?;
            count += 1;
        } else {
            let p = NewProposal {
                kind: if to.is_some() { ProposalKind::StepDown } else { ProposalKind::Lift },
                zone_id: Some(z.id),
                area: z.area.clone(),
                tier_from: Some(z.tier),
                tier_to: to,
                profile_key: z.profile_key.clone(),
                reason,
                case_person_id: None,
                at: now,
                by: SYSTEM.to_owned(),
            };
            if state.store.propose(&p).await?.1 {
                count += 1;
            }
        }
    }
    if only.is_none() && count == 0 {
        let mut kept = state.zones.write().await;
        if kept.generation == generation {
            *kept = Snapshot { at: Some(now), generation, zones: snapshot };
        }
    } else {
        invalidate(state).await;
    }
    Ok(count)
}

fn step_kind(to: Option<Tier>) -> EventKind {
    match to {
        Some(tier) => EventKind::SteppedDown { tier },
        None => EventKind::Lifted,
    }
}

/// Why the rules step a zone down, as the system writes it into the zone's record: in the
/// command's working language, like every record the system keeps (a page in English words its
/// own labels, not the records).
fn step_reason(s: &ZoneState, to: Option<Tier>) -> String {
    let round = s.round_done.map(|d| format!("，{d} 全员核酸全阴")).unwrap_or_default();
    let to = to.map_or("解除管控".to_owned(), |t| format!("降为{}", t.name_zh()));
    format!("连续 {} 天无新增{round}，{to}", s.days_clean)
}

/// Decides a proposal. Approving a step down or a lift checks the rules again at this moment:
/// a new positive since the proposal was filed forbids it.
/// A proposal inside the user's areas.
pub async fn proposal(state: &AppState, user: &User, id: i64) -> Result<ProposalView, ZoneError> {
    let p = state.store.proposal(&user.scope_path, id).await?.ok_or(ZoneError::NotFound)?;
    Ok(ProposalView::of(&p))
}

pub async fn decide(
    state: &AppState,
    user: &User,
    id: i64,
    approve: bool,
    note: &str,
) -> Result<ProposalView, ZoneError> {
    let p = state.store.proposal(&user.scope_path, id).await?.ok_or(ZoneError::NotFound)?;
    require_headquarters(user, &p.path)?;
    if p.status != ProposalStatus::Pending {
        return Err(ZoneError::Conflict(format!("proposal {id} is {} already", p.status.as_str())));
    }
    let now = state.now();
    let note = check_note("note", note, !approve)?;
    let change = if approve { Some(change_for(state, &p, user, now, &note).await?) } else { None };
    let decided = state
        .store
        .decide(id, &Decision { approve, by: user.username.clone(), at: now, note, change })
        .await?;
    invalidate(state).await;
    Ok(ProposalView::of(&decided))
}

async fn change_for(
    state: &AppState,
    p: &ProposalRecord,
    user: &User,
    now: DateTime<Utc>,
    note: &str,
) -> Result<ZoneChange, ZoneError> {
    let event = |kind| NewZoneEvent {
        event: ZoneEvent { at: now, kind },
        note: if note.is_empty() { p.reason.clone() } else { note.to_owned() },
        person_id: p.case_person_id.clone(),
        by: user.username.clone(),
        recorded_at: now,
    };
    Ok(match p.kind {
        ProposalKind::Designate => ZoneChange::Draw(NewZone {
            area: p.area.clone(),
            tier: p.tier_to.unwrap_or(Tier::Sealed),
            profile_key: p.profile_key.clone(),
            reason: p.reason.clone(),
            case_person_id: p.case_person_id.clone(),
            at: now,
            by: user.username.clone(),
        }),
        ProposalKind::Raise => {
            let zone_id = p.zone_id.ok_or_else(|| ZoneError::Internal("raise without a zone".into()))?;
            ZoneChange::Event {
                zone_id,
                event: event(EventKind::Raised { tier: p.tier_to.unwrap_or(Tier::Sealed) }),
            }
        }
        ProposalKind::StepDown | ProposalKind::Lift => {
            let zone_id = p.zone_id.ok_or_else(|| ZoneError::Internal("step down without a zone".into()))?;
            let detail = detail(state, user, zone_id).await?;
            let s = &detail.zone.state;
            if !s.ready {
                return Err(ZoneError::Conflict(format!(
                    "the rules do not allow this step down now: {}",
                    super::words::blockers_en(&s.blockers)
                )));
            }
            if !s.allows(p.tier_to) {
                return Err(ZoneError::Conflict("the zone's tier changed since this was proposed".into()));
            }
            ZoneChange::Event { zone_id, event: event(step_kind(p.tier_to)) }
        }
    })
}

/// Headquarters lifts a zone by hand: allowed where the profile has no step down for its tier
/// (a precaution zone under the 9th edition), or when the rules allow it now.
pub async fn lift(state: &AppState, user: &User, id: i64, note: &str) -> Result<ZoneDetail, ZoneError> {
    let d = detail(state, user, id).await?;
    let z = state.store.zone(&user.scope_path, id).await?.ok_or(ZoneError::NotFound)?;
    require_headquarters(user, &z.path)?;
    let note = check_note("note", note, true)?;
    let s = &d.zone.state;
    if !s.is_active() {
        return Err(ZoneError::Conflict(format!("zone {id} was lifted already")));
    }
    if !s.allows(None) {
        return Err(ZoneError::Conflict(format!(
            "the rules do not allow lifting this zone now: {}",
            super::words::blockers_en(&s.blockers)
        )));
    }
    let now = state.now();
    let event = NewZoneEvent {
        event: ZoneEvent { at: now, kind: EventKind::Lifted },
        note,
        person_id: None,
        by: user.username.clone(),
        recorded_at: now,
    };
    state.store.record_zone_event(id, &event).await?;
    refresh_zones(state, &[id]).await?;
    detail(state, user, id).await
}

/// Headquarters raises a zone to a stricter tier (a new case inside a zone that stepped down).
pub async fn raise(
    state: &AppState,
    user: &User,
    id: i64,
    tier: Tier,
    note: &str,
) -> Result<ZoneDetail, ZoneError> {
    let z = state.store.zone(&user.scope_path, id).await?.ok_or(ZoneError::NotFound)?;
    require_headquarters(user, &z.path)?;
    if z.ended_at.is_some() {
        return Err(ZoneError::Conflict(format!("zone {id} was lifted: draw a new one")));
    }
    if !tier.is_stricter_than(z.tier) {
        return Err(ZoneError::invalid("tier", format!("{tier} is not stricter than the zone's {}", z.tier)));
    }
    let profiles = profiles(state).await?;
    if profile_of(&profiles, &z.profile_key)?.rule(tier).is_none() {
        return Err(ZoneError::invalid("tier", format!("the zone's profile has no {tier} tier")));
    }
    let now = state.now();
    let event = NewZoneEvent {
        event: ZoneEvent { at: now, kind: EventKind::Raised { tier } },
        note: check_note("note", note, true)?,
        person_id: None,
        by: user.username.clone(),
        recorded_at: now,
    };
    state.store.record_zone_event(id, &event).await?;
    refresh_zones(state, &[id]).await?;
    detail(state, user, id).await
}

// ---- figures ----

#[derive(Serialize, ToSchema)]
pub struct ZoneFigures {
    /// Residents under each tier, each person once at the strictest zone above them:
    /// sealed, controlled, precaution.
    pub residents: TierCounts,
    /// "共封控、管控 N 人".
    pub sealed_or_controlled: i64,
    pub zones: TierCounts,
    /// Zones the rules allow to step down today.
    pub ready_today: i64,
    /// Zones whose required round is overdue.
    pub round_overdue: i64,
    /// Residents of the user's areas.
    pub residents_in_scope: i64,
    pub as_of: DateTime<Utc>,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
pub struct TierCounts {
    pub sealed: i64,
    pub controlled: i64,
    pub precaution: i64,
}

impl TierCounts {
    fn of(a: [i64; 3]) -> Self {
        TierCounts { sealed: a[0], controlled: a[1], precaution: a[2] }
    }
}

/// Brings these zones' entries in the snapshot up to date after a change to them (drawn, an
/// event, raised, lifted), the rest kept: rebuilding every zone of a city (20,000 zones with
/// their histories) after each change costs a third of a second. Without a snapshot, nothing to
/// do: the next read builds it whole.
pub async fn refresh_zones(state: &AppState, ids: &[i64]) -> Result<(), ZoneError> {
    if state.zones.read().await.at.is_none() {
        return Ok(());
    }
    let mut fresh = Vec::with_capacity(ids.len());
    let mut events = events_by_zone(state.store.zone_events(ids).await?);
    let profiles = profiles(state).await?;
    let now = state.now();
    for &id in ids {
        let Some(z) = state.store.zone(&AreaPath::root(), id).await? else { continue };
        if z.ended_at.is_some() {
            continue;
        }
        let profile = profile_of(&profiles, &z.profile_key)?;
        let ev: Vec<ZoneEvent> =
            events.remove(&id).unwrap_or_default().into_iter().map(|e| e.event).collect();
        let s = zone_state(profile, &ev, now, state.config.tz);
        fresh.push(SnapZone {
            id,
            path: z.path.clone(),
            tier: z.tier,
            residents: z.residents,
            ready: s.ready,
            overdue: s.round_overdue,
            gate: profile.gate_rule(z.tier),
        });
    }
    let mut kept = state.zones.write().await;
    // A full review that read the zones before this change must not store what it computed.
    kept.generation += 1;
    if kept.at.is_some() {
        kept.zones.retain(|z| !ids.contains(&z.id));
        kept.zones.extend(fresh);
    }
    Ok(())
}

pub async fn invalidate(state: &AppState) {
    let mut kept = state.zones.write().await;
    kept.at = None;
    kept.generation += 1;
}

/// The figures of the user's areas, from the snapshot (rebuilt when a change made it stale).
pub async fn figures(state: &AppState, user: &User) -> Result<ZoneFigures, ZoneError> {
    let residents = state.store.area(&AreaPath::root(), &user.scope).await?.map_or(0, |n| n.stats.residents);
    figures_in(state, &user.scope_path, residents).await
}

/// The figures of one area with `scope_residents` residents; the caller has checked the area
/// is the user's.
pub async fn figures_in(
    state: &AppState,
    scope: &AreaPath,
    scope_residents: i64,
) -> Result<ZoneFigures, ZoneError> {
    if state.zones.read().await.at.is_none() {
        refresh(state).await?;
    }
    let snap = state.zones.read().await;
    let covers: Vec<cordon_domain::ZoneCover> = snap
        .zones
        .iter()
        .map(|z| cordon_domain::ZoneCover { path: z.path.clone(), tier: z.tier, residents: z.residents })
        .collect();
    let f: TierFigures = tier_figures(&covers, scope, scope_residents);
    let visible = |z: &&SnapZone| scope.contains(&z.path) || z.path.contains(scope);
    Ok(ZoneFigures {
        residents: TierCounts::of(f.residents),
        sealed_or_controlled: f.sealed_or_controlled(),
        zones: TierCounts::of(f.zones),
        ready_today: snap.zones.iter().filter(visible).filter(|z| z.ready).count() as i64,
        round_overdue: snap.zones.iter().filter(visible).filter(|z| z.overdue).count() as i64,
        residents_in_scope: scope_residents,
        as_of: snap.at.unwrap_or_else(Utc::now),
    })
}

/// How the zones touch an area: the strictest zone over it (on it or above: everyone inside
/// lives under it) and the strictest zone anywhere inside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZoneMark {
    pub covering: Option<Tier>,
    pub inside: Option<Tier>,
}

impl ZoneMark {
    /// The tier to colour the area by: the strictest zone that touches it.
    pub fn strictest(&self) -> Option<Tier> {
        Tier::strictest(self.covering, self.inside)
    }

    /// True when only part of the area is under its strictest tier.
    pub fn partial(&self) -> bool {
        self.inside.is_some_and(|i| self.covering.is_none_or(|c| i.is_stricter_than(c)))
    }
}

/// The marks of these areas, from the snapshot.
pub async fn marks_of(state: &AppState, paths: &[AreaPath]) -> Result<Vec<ZoneMark>, ZoneError> {
    if state.zones.read().await.at.is_none() {
        refresh(state).await?;
    }
    let snap = state.zones.read().await;
    let strictest = |it: &mut dyn Iterator<Item = Tier>| it.max_by_key(|t| t.strictness());
    Ok(paths
        .iter()
        .map(|p| ZoneMark {
            covering: strictest(&mut snap.zones.iter().filter(|z| z.path.contains(p)).map(|z| z.tier)),
            inside: strictest(
                &mut snap.zones.iter().filter(|z| p.contains(&z.path) && z.path != *p).map(|z| z.tier),
            ),
        })
        .collect())
}

/// The gate rule over each of these paths: that of the strictest zone on the area or above
/// it (everyone inside lives under it), from the snapshot; none outside every zone.
pub async fn gate_rules_of(
    state: &AppState,
    paths: &[&AreaPath],
) -> Result<Vec<Option<GateRule>>, ZoneError> {
    if state.zones.read().await.at.is_none() {
        refresh(state).await?;
    }
    let snap = state.zones.read().await;
    Ok(paths
        .iter()
        .map(|p| {
            snap.zones
                .iter()
                .filter(|z| z.path.contains(p))
                .max_by_key(|z| z.tier.strictness())
                .map(|z| z.gate)
        })
        .collect())
}

/// The strictest tier of the active zones drawn on each area, from the snapshot.
pub async fn zone_tiers(state: &AppState) -> Result<HashMap<AreaPath, Tier>, ZoneError> {
    if state.zones.read().await.at.is_none() {
        refresh(state).await?;
    }
    let snap = state.zones.read().await;
    let mut out: HashMap<AreaPath, Tier> = HashMap::with_capacity(snap.zones.len());
    for z in &snap.zones {
        let t = out.entry(z.path.clone()).or_insert(z.tier);
        if z.tier.is_stricter_than(*t) {
            *t = z.tier;
        }
    }
    Ok(out)
}

/// Rebuilds the snapshot. A review that filed proposals leaves it stale (they change nothing
/// of the figures, but the review cannot know); the second finds nothing new and keeps it.
async fn refresh(state: &AppState) -> Result<(), ZoneError> {
    review(state, None).await?;
    if state.zones.read().await.at.is_none() {
        review(state, None).await?;
    }
    Ok(())
}

pub fn parse_status(s: Option<&str>) -> Result<Option<ProposalStatus>, ZoneError> {
    match s.unwrap_or("pending") {
        "all" => Ok(None),
        s => ProposalStatus::parse(s).map(Some).ok_or_else(|| {
            ZoneError::invalid("status", "expected pending, approved, rejected, withdrawn or all")
        }),
    }
}
