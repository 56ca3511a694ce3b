//! The gates service: checkpoints on areas, passes signed by the server, and the decision at a
//! gate with everything it looks at — the person's standing and home, the tiers over the home
//! and over the gate (each under its zone's profile), the pass — kept in the log with the rule
//! that decided.
//!
//! A gate decides on whoever comes to it, so the person is looked up city-wide; the cadre sees
//! their full name only when they live inside the cadre's areas (a masked one otherwise), never
//! an ID number, and every such read is audited with the decision.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cordon_domain::format::mask_name;
use cordon_domain::gates::{
    Direction, Finding, GateRule, Movement, OfflineConflict, Outcome, PassKind, RuleId, Standing, Subject,
};
use cordon_domain::{AreaCode, AreaPath, Need, Reach, Right, Tier};
use cordon_store::{GateRecord, NewGate, NewPass, PassRecord, PassageQuery, PassageRecord, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::decision::faced;
use super::error::GateError;
use super::keys::{claims_of, pass_key, qr_svg};
use crate::{AppState, zones};

/// The longest a pass may run.
const LONGEST_PASS_DAYS: i64 = 31;

/// Keeping a gate (the `keep_gate` right).
pub fn may_keep_gate(user: &User) -> bool {
    user.may(Right::KeepGate)
}

/// Setting up gates and issuing passes (`manage_gates`).
pub fn may_manage(user: &User) -> bool {
    user.may(Right::ManageGates)
}

/// Reading passes and their signed tokens: a token shown at a gate opens it, so only the roles
/// that check passes (`keep_gate`) or issue them (`manage_gates`) may hold one.
pub fn may_read_passes(user: &User) -> bool {
    user.meets(READ_PASSES)
}

/// The need of every route that shows a pass's token.
pub const READ_PASSES: Need = Need::AnyOf(&[Right::KeepGate, Right::ManageGates]);

fn refuse_passes() -> GateError {
    GateError::Forbidden("reading passes needs the keep_gate or manage_gates right".into())
}

// ---- views ----

#[derive(Serialize, ToSchema, Clone)]
pub struct GateView {
    pub id: i64,
    pub name: String,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    /// The tier over the gate's area now (none: not in a zone).
    pub tier: Option<Tier>,
    /// What the gate lets out and in now.
    pub leave: Option<Movement>,
    pub enter: Option<Movement>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl GateView {
    pub(super) fn of(g: &GateRecord, rule: Option<GateRule>) -> Self {
        GateView {
            id: g.id,
            name: g.name.clone(),
            area_code: g.area.clone(),
            area_name: g.area_name.clone(),
            tier: rule.map(|r| r.tier),
            leave: rule.map(|r| r.leave),
            enter: rule.map(|r| r.enter),
            created_at: g.created_at,
            created_by: g.created_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct PassView {
    pub id: String,
    pub kind: PassKind,
    /// The register id of the person it is for, when it is for one.
    pub person_id: Option<String>,
    pub holder: String,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    /// Only these gates (empty: every gate of the area and inside it).
    pub gate_ids: Vec<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub one_time: bool,
    pub used_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    /// The QR code's content: `CP1.<claims>.<signature>` (see `GET /api/v1/passes/public-key`).
    pub token: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct GatePersonView {
    /// Full inside the reader's areas, masked outside them.
    pub name: String,
    pub standing: Standing,
    /// The tier over their home (or where they went in to stay).
    pub home_tier: Option<Tier>,
    pub lives_inside: bool,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct PassBrief {
    pub id: String,
    pub kind: PassKind,
    pub holder: String,
    pub valid_until: DateTime<Utc>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct DecisionView {
    /// The log entry.
    pub id: i64,
    pub at: DateTime<Utc>,
    pub gate_id: Option<i64>,
    pub gate_name: Option<String>,
    pub direction: Direction,
    pub subject: Subject,
    pub outcome: Outcome,
    pub rule: RuleId,
    pub reason_zh: String,
    pub reason_en: String,
    pub person: Option<GatePersonView>,
    pub pass: Option<PassBrief>,
    pub gate_tier: Option<Tier>,
    pub confirmed: bool,
    /// What the cadre typed (for someone nobody in the register is, what was typed, masked).
    pub note: String,
    /// What the server found of the pass or the person, beside the rule (none: nothing to say).
    pub finding: Option<Finding>,
    /// The finding's particulars, as stored: a revoked pass's reason, the area another gate's
    /// pass was issued for.
    pub finding_detail: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct PassageView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub gate_id: Option<i64>,
    pub gate_name: Option<String>,
    pub direction: Direction,
    pub subject: Subject,
    /// Full inside the reader's areas, masked outside them.
    pub name: Option<String>,
    pub pass_id: Option<String>,
    pub outcome: Outcome,
    pub rule: RuleId,
    pub reason_zh: String,
    pub reason_en: String,
    pub gate_tier: Option<Tier>,
    pub home_tier: Option<Tier>,
    pub standing: Standing,
    pub confirmed: bool,
    /// What the cadre typed.
    pub note: String,
    /// What the server found of the pass or the person, beside the rule (none: nothing to say).
    pub finding: Option<Finding>,
    /// The finding's particulars, as stored: a revoked pass's reason, the area another gate's
    /// pass was issued for.
    pub finding_detail: String,
    pub decided_by: String,
    /// When the server received it, for a passage decided on a gate device without the network
    /// (离线判定; none: decided by the server at `at`).
    pub received_at: Option<DateTime<Utc>>,
    /// Where the server's decision, taken again on arrival, differs from the device's.
    pub conflict: Option<OfflineConflict>,
}

impl PassageView {
    fn of(p: &PassageRecord, reader: &User) -> Self {
        let (zh, en) = p.rule.reason();
        let inside = p.home.as_ref().is_some_and(|h| reader.scope_path.contains(h));
        PassageView {
            id: p.id,
            at: p.at,
            gate_id: p.gate_id,
            gate_name: p.gate_name.clone(),
            direction: p.direction,
            subject: p.subject,
            name: p.name.as_deref().and_then(|n| reader.disclosure().name(n, faced(inside))),
            pass_id: p.pass_id.clone(),
            outcome: p.outcome,
            rule: p.rule,
            reason_zh: zh.to_owned(),
            reason_en: en.to_owned(),
            gate_tier: p.gate_tier,
            home_tier: p.home_tier,
            standing: p.standing,
            confirmed: p.confirmed,
            note: p.note.clone(),
            finding: p.finding,
            finding_detail: p.finding_detail.clone(),
            decided_by: p.decided_by.clone(),
            received_at: p.received_at,
            conflict: p.conflict.as_deref().and_then(OfflineConflict::parse),
        }
    }
}

// ---- gates ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GateRequest {
    /// The area the gate guards: a compound's gate, a building's door.
    pub area_code: String,
    pub name: String,
}

pub async fn create_gate(state: &AppState, user: &User, req: GateRequest) -> Result<GateView, GateError> {
    if !may_manage(user) {
        return Err(GateError::Forbidden("setting up gates is not part of your role".into()));
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(GateError::Invalid {
            field: "name".into(),
            message: "a gate's name is 1 to 60 characters".into(),
        });
    }
    let code = AreaCode::try_from(req.area_code.trim().to_owned())
        .map_err(|e| GateError::Invalid { field: "area_code".into(), message: e.to_string() })?;
    state.store.area(&user.scope_path, &code).await?.ok_or_else(|| GateError::Invalid {
        field: "area_code".into(),
        message: format!("no area {code} in your areas"),
    })?;
    let g = state
        .store
        .create_gate(&NewGate {
            area: code,
            name: name.to_owned(),
            at: state.now(),
            by: user.username.clone(),
        })
        .await?;
    let rule = zones::gate_rules_of(state, &[&g.path]).await?[0];
    Ok(GateView::of(&g, rule))
}

pub async fn gates(state: &AppState, user: &User) -> Result<Vec<GateView>, GateError> {
    let all = state.store.gates(&user.scope_path, 10_000).await?;
    let paths: Vec<&AreaPath> = all.iter().map(|g| &g.path).collect();
    let rules = zones::gate_rules_of(state, &paths).await?;
    Ok(all.iter().zip(rules).map(|(g, r)| GateView::of(g, r)).collect())
}

/// A gate inside the user's areas.
pub(super) async fn gate_in_scope(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<Option<GateRecord>, GateError> {
    Ok(state.store.gate(id).await?.filter(|g| user.scope_path.contains(&g.path)))
}

pub async fn gate(state: &AppState, user: &User, id: i64) -> Result<GateView, GateError> {
    let g = gate_in_scope(state, user, id).await?.ok_or(GateError::NotFound)?;
    let rule = zones::gate_rules_of(state, &[&g.path]).await?[0];
    Ok(GateView::of(&g, rule))
}

// ---- passes ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassRequest {
    pub kind: PassKind,
    /// The resident it is for (register id or ID number): medical, exception and emergency
    /// passes name one.
    pub person: Option<String>,
    /// Who holds it when it names nobody in the register: a worker, a delivery company.
    pub holder: Option<String>,
    /// The area whose gates it opens.
    pub area_code: String,
    /// Only these gates of the area (default: all).
    #[serde(default)]
    pub gate_ids: Vec<i64>,
    /// Default: now.
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: DateTime<Utc>,
    /// Good for one passage (an exception, a trip to hospital).
    #[serde(default)]
    pub one_time: bool,
    pub reason: String,
}

pub(super) fn invalid(field: &str, message: impl Into<String>) -> GateError {
    GateError::Invalid { field: field.into(), message: message.into() }
}

pub async fn issue_pass(state: &AppState, user: &User, req: PassRequest) -> Result<PassView, GateError> {
    issue_pass_at(state, user, req, state.now()).await
}

pub async fn issue_pass_at(
    state: &AppState,
    user: &User,
    req: PassRequest,
    now: DateTime<Utc>,
) -> Result<PassView, GateError> {
    if !may_manage(user) {
        return Err(GateError::Forbidden("issuing passes is not part of your role".into()));
    }
    if req.kind == PassKind::Transfer {
        return Err(invalid("kind", "a transfer pass is issued with its transfer order's vehicle"));
    }
    issue(state, user, req, now).await
}

/// 绿色通道: the emergency pass a medical emergency carries, whoever raised it (a cadre too):
/// for the resident, through every gate of the raiser's areas, for a day, needing no test result.
pub async fn issue_emergency_pass(
    state: &AppState,
    user: &User,
    person_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<PassView, GateError> {
    let req = PassRequest {
        kind: PassKind::Emergency,
        person: Some(person_id.to_owned()),
        holder: None,
        area_code: user.scope.as_str().to_owned(),
        gate_ids: Vec::new(),
        valid_from: Some(now),
        valid_until: now + Duration::hours(24),
        one_time: false,
        reason: reason.to_owned(),
    };
    issue(state, user, req, now).await
}

async fn issue(
    state: &AppState,
    user: &User,
    req: PassRequest,
    now: DateTime<Utc>,
) -> Result<PassView, GateError> {
    let code = AreaCode::try_from(req.area_code.trim().to_owned())
        .map_err(|e| invalid("area_code", e.to_string()))?;
    let area = state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| invalid("area_code", format!("no area {code} in your areas")))?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid("reason", "say why the pass is issued (1 to 500 characters)"));
    }
    let from = req.valid_from.unwrap_or(now);
    if req.valid_until <= from {
        return Err(invalid("valid_until", "a pass ends after it starts"));
    }
    if req.valid_until - from > Duration::days(LONGEST_PASS_DAYS) {
        return Err(invalid(
            "valid_until",
            format!("a pass runs at most {LONGEST_PASS_DAYS} days; issue a new one"),
        ));
    }
    if req.valid_until <= now {
        return Err(invalid("valid_until", "the pass would have ended already"));
    }
    for id in &req.gate_ids {
        let ok = state.store.gate(*id).await?.is_some_and(|g| area.area.path.contains(&g.path));
        if !ok {
            return Err(invalid("gate_ids", format!("gate {id} is not a gate of {}", area.area.name)));
        }
    }
    let needs_person = matches!(req.kind, PassKind::Medical | PassKind::Exception | PassKind::Emergency);
    let (person_id, holder) =
        match (req.person.as_deref().map(str::trim).filter(|p| !p.is_empty()), needs_person) {
            (Some(key), _) => {
                let s = state
                    .store
                    .gate_subject(key)
                    .await?
                    .filter(|s| user.scope_path.contains(&s.person.path))
                    .ok_or_else(|| invalid("person", "nobody with that id lives in your areas"))?;
                let read = std::slice::from_ref(&s.person.person_id);
                state.store.audit_reads(user, read, "POST /api/v1/passes", now).await?;
                (Some(s.person.person_id.as_str().to_owned()), mask_name(&s.person.name))
            }
            (None, true) => {
                return Err(invalid(
                    "person",
                    format!("a {} pass is for a resident: name them", req.kind.as_str()),
                ));
            }
            (None, false) => {
                let holder = req.holder.as_deref().map(str::trim).unwrap_or("");
                if holder.is_empty() || holder.chars().count() > 60 {
                    return Err(invalid(
                        "holder",
                        "who holds the pass: a name or an organisation, 1 to 60 characters",
                    ));
                }
                (None, holder.to_owned())
            }
        };
    let mut id_bytes = [0u8; 6];
    rand::fill(&mut id_bytes);
    let record = state
        .store
        .issue_pass(&NewPass {
            id: format!("P{}", hex::encode_upper(id_bytes)),
            kind: req.kind,
            person_id,
            holder,
            area: code,
            gate_ids: req.gate_ids,
            valid_from: from,
            valid_until: req.valid_until,
            one_time: req.one_time,
            reason: reason.to_owned(),
            at: now,
            by: user.username.clone(),
        })
        .await?;
    pass_view(state, &record).await
}

pub(super) async fn pass_view(state: &AppState, p: &PassRecord) -> Result<PassView, GateError> {
    let token = pass_key(state).await?.sign(&claims_of(p));
    Ok(PassView {
        id: p.id.clone(),
        kind: p.kind,
        person_id: p.person_id.clone(),
        holder: p.holder.clone(),
        area_code: p.area.clone(),
        area_name: p.area_name.clone(),
        gate_ids: p.gate_ids.clone(),
        valid_from: p.valid_from,
        valid_until: p.valid_until,
        one_time: p.one_time,
        used_at: p.used_at,
        reason: p.reason.clone(),
        issued_at: p.issued_at,
        issued_by: p.issued_by.clone(),
        revoked_at: p.revoked_at,
        revoked_by: p.revoked_by.clone(),
        revoke_reason: p.revoke_reason.clone(),
        token,
    })
}

pub async fn passes(state: &AppState, user: &User) -> Result<Vec<PassView>, GateError> {
    if !may_read_passes(user) {
        return Err(refuse_passes());
    }
    let mut out = Vec::new();
    for p in state.store.passes(&user.scope_path, 500).await? {
        out.push(pass_view(state, &p).await?);
    }
    Ok(out)
}

pub async fn pass(state: &AppState, user: &User, id: &str) -> Result<PassView, GateError> {
    if !may_read_passes(user) {
        return Err(refuse_passes());
    }
    let p = state
        .store
        .pass(id)
        .await?
        .filter(|p| user.scope_path.contains(&p.path))
        .ok_or(GateError::NotFound)?;
    pass_view(state, &p).await
}

pub async fn revoke_pass(
    state: &AppState,
    user: &User,
    id: &str,
    reason: &str,
) -> Result<PassView, GateError> {
    revoke_pass_at(state, user, id, reason, state.now()).await
}

pub async fn revoke_pass_at(
    state: &AppState,
    user: &User,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<PassView, GateError> {
    if !may_manage(user) {
        return Err(GateError::Forbidden("revoking passes is not part of your role".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid("reason", "say why the pass is revoked (1 to 500 characters)"));
    }
    pass(state, user, id).await?;
    let p = state.store.revoke_pass(id, now, &user.username, reason).await?.ok_or(GateError::NotFound)?;
    pass_view(state, &p).await
}

/// The QR code of a pass, as SVG.
pub async fn pass_qr(state: &AppState, user: &User, id: &str) -> Result<String, GateError> {
    let p = pass(state, user, id).await?;
    qr_svg(&p.token)
}

// ---- the log ----

#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub gate_id: Option<i64>,
    pub date: Option<NaiveDate>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// The instants a local day runs between.
pub fn day_bounds(state: &AppState, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        state
            .config
            .tz
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .earliest()
            .map_or_else(|| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(), |t| t.with_timezone(&Utc))
    };
    (start(day), start(day.succ_opt().unwrap_or(day)))
}

pub async fn log(state: &AppState, user: &User, q: &LogQuery) -> Result<Vec<PassageView>, GateError> {
    if !may_keep_gate(user) {
        return Err(GateError::Forbidden("the gate log is not part of your role".into()));
    }
    let (since, until) = match q.date {
        Some(d) => {
            let (a, b) = day_bounds(state, d);
            (Some(a), Some(b))
        }
        None => (None, None),
    };
    let query = PassageQuery { gate_id: q.gate_id, person_id: None, since, until, before_id: q.before_id };
    let rows = state.store.passages(&user.scope_path, &query, q.limit.clamp(1, 1000)).await?;
    Ok(rows.iter().map(|r| PassageView::of(r, user)).collect())
}

#[derive(Serialize, ToSchema, Clone)]
pub struct TrafficView {
    pub gate_id: i64,
    pub gate_name: String,
    pub area_name: String,
    pub allowed_in: i64,
    pub allowed_out: i64,
    pub refused: i64,
    /// 24 local hours from midnight of the day asked.
    pub hours: Vec<HourView>,
}

#[derive(Serialize, ToSchema, Clone, Copy, Default)]
pub struct HourView {
    /// Local hour, 0 to 23.
    pub hour: u32,
    pub allowed_in: i64,
    pub allowed_out: i64,
    pub refused: i64,
}

/// Counts in and out per gate per local hour of a day.
pub async fn traffic(
    state: &AppState,
    user: &User,
    day: NaiveDate,
    gate_id: Option<i64>,
) -> Result<Vec<TrafficView>, GateError> {
    if !may_keep_gate(user) {
        return Err(GateError::Forbidden("gate traffic is not part of your role".into()));
    }
    let (since, until) = day_bounds(state, day);
    let counts = state.store.gate_traffic(&user.scope_path, gate_id, since, until).await?;
    let gates = state.store.gates(&user.scope_path, 10_000).await?;
    let mut out: Vec<TrafficView> = gates
        .iter()
        .filter(|g| gate_id.is_none_or(|id| id == g.id))
        .map(|g| TrafficView {
            gate_id: g.id,
            gate_name: g.name.clone(),
            area_name: g.area_name.clone(),
            allowed_in: 0,
            allowed_out: 0,
            refused: 0,
            hours: (0..24).map(|hour| HourView { hour, ..Default::default() }).collect(),
        })
        .collect();
    for c in counts {
        let Some(t) = out.iter_mut().find(|t| t.gate_id == c.gate_id) else { continue };
        let hour = ((c.hour - since).num_hours()).clamp(0, 23) as usize;
        let h = &mut t.hours[hour];
        h.allowed_in += c.allowed_in;
        h.allowed_out += c.allowed_out;
        h.refused += c.refused;
        t.allowed_in += c.allowed_in;
        t.allowed_out += c.allowed_out;
        t.refused += c.refused;
    }
    Ok(out)
}

#[derive(Serialize, ToSchema, Clone)]
pub struct PresenceView {
    /// Full inside the reader's areas, masked outside them; a pass's holder for a worker or delivery.
    pub name: String,
    pub subject: Subject,
    pub gate_id: i64,
    pub gate_name: String,
    pub at: DateTime<Utc>,
    pub pass_id: Option<String>,
    pub pass_kind: Option<PassKind>,
    pub pass_until: Option<DateTime<Utc>>,
    /// No pass covers them now: none shown, or it ended or was revoked.
    pub overdue: bool,
}

#[derive(Serialize, ToSchema, Clone, Default)]
pub struct PresenceLists {
    /// Left a zone they live in and have not come back.
    pub out_of_their_zone: Vec<PresenceView>,
    /// Went into a zone they do not live in, did not confirm staying, and have not left.
    pub inside_without_standing: Vec<PresenceView>,
}

pub async fn presence(state: &AppState, user: &User) -> Result<PresenceLists, GateError> {
    presence_at(state, user, state.now()).await
}

pub async fn presence_at(
    state: &AppState,
    user: &User,
    now: DateTime<Utc>,
) -> Result<PresenceLists, GateError> {
    if !may_keep_gate(user) {
        return Err(GateError::Forbidden("the gate lists are not part of your role".into()));
    }
    let rows = state.store.presence(&user.scope_path, 5_000).await?;
    let mut paths: Vec<&AreaPath> = Vec::with_capacity(rows.len() * 2);
    for r in &rows {
        paths.push(&r.path);
        paths.push(r.home.as_ref().unwrap_or(&r.path));
    }
    let rules = zones::gate_rules_of(state, &paths).await?;
    let keeps_in = |r: Option<GateRule>| r.is_some_and(|r| r.leave != Movement::Free);
    let mut out = PresenceLists::default();
    for (i, r) in rows.iter().enumerate() {
        let (gate_rule, home_rule) = (rules[2 * i], rules[2 * i + 1]);
        let covered = r.pass_until.is_some_and(|u| u > now) && !r.pass_revoked;
        let name = match (&r.name, &r.home, &r.pass_holder) {
            (Some(n), Some(h), _) if user.scope_path.contains(h) => n.clone(),
            (Some(n), _, _) => user.disclosure().name(n, Reach::Faced).unwrap_or_default(),
            (None, _, Some(holder)) => holder.clone(),
            _ => String::new(),
        };
        let v = PresenceView {
            name,
            subject: r.pass_kind.map_or(Subject::Resident, PassKind::subject),
            gate_id: r.gate_id,
            gate_name: r.gate_name.clone(),
            at: r.at,
            pass_id: r.pass_id.clone(),
            pass_kind: r.pass_kind,
            pass_until: r.pass_until,
            overdue: !covered,
        };
        match r.direction {
            Direction::Out if r.lives_inside && keeps_in(home_rule.or(gate_rule)) => {
                out.out_of_their_zone.push(v)
            }
            Direction::In if !r.lives_inside && !r.confirmed && gate_rule.is_some() && !covered => {
                out.inside_without_standing.push(v)
            }
            _ => {}
        }
    }
    Ok(out)
}
