//! 转运: orders to move a household's people — a case to a 方舱, a family of contacts to a
//! hotel — into rooms held for them, followed step by step: a vehicle assigned (with a one-time
//! gate pass for it and its passengers), picked up, arrived (every passenger checked in, in the
//! arrival's transaction), or cancelled (the rooms freed, the pass revoked). The profile's rule
//! gives each order its deadlines; one past them climbs from the district's transfer team to
//! headquarters, by a sweep of the server, as a resident's need does.
//!
//! Who does what: ordering and every step takes `manage_cases` and the household in one's
//! areas; the passengers' names are health data, shown with `view_cases`, each on the audit of
//! reads; the pass's token only to those who may read passes.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cordon_domain::format::mask_name;
use cordon_domain::gates::PassKind;
use cordon_domain::isolation::Guest;
use cordon_domain::needs::Rung;
use cordon_domain::transfer::{TransferEvent, TransferEventKind, TransferRule, TransferStage, rule_for};
use cordon_domain::{AreaCode, AreaLevel, Need, PersonId, Right};
use cordon_store::{
    NewDisinfection, NewPass, NewPassenger, NewTransfer, NewTransferEvent, TransferRecord, User,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{IsolationError, MOVE_PEOPLE, refuse, rule};
use crate::AppState;

/// Seeing the orders and who is on them.
pub const VIEW_TRANSFERS: Need = Need::AnyOf(&[Right::ViewCases]);

/// The most people one order moves (a household).
const MOST_PASSENGERS: usize = 20;
/// Orders climbed per transaction of a sweep.
const SWEEP_BATCH: u32 = 200;
/// Who the sweep writes steps as.
const SWEEPER: &str = "system:transfer-sweep";
/// How long a transfer's pass opens the gates.
const PASS_HOURS: i64 = 24;

type Result<T> = std::result::Result<T, IsolationError>;

fn invalid(field: &'static str, message: impl Into<String>) -> IsolationError {
    IsolationError::Invalid { field, message: message.into() }
}

// ---- views ----

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct PassengerView {
    pub person_id: String,
    /// None without `view_cases`.
    pub name: Option<String>,
    pub guest: Guest,
    pub room: String,
    /// held (a bed held on the way), in (checked in), off (cancelled).
    pub state: String,
    pub stay_id: Option<i64>,
}

/// 转运单: an order as its board and page show it.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct TransferView {
    pub id: i64,
    #[schema(value_type = String)]
    pub household: AreaCode,
    pub site_id: String,
    pub site_name: String,
    pub stage: TransferStage,
    /// Who owns it now.
    pub rung: Rung,
    /// The next deadline: a vehicle, or arrival; none once arrived or cancelled.
    pub due: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub escalations: i64,
    pub vehicle: Option<String>,
    /// The one-time gate pass of the vehicle and its passengers.
    pub pass_id: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub passengers: Vec<PassengerView>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct TransferStepView {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: TransferEventKind,
    pub note: String,
    pub by: String,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct TransferDetail {
    pub transfer: TransferView,
    pub timeline: Vec<TransferStepView>,
    /// The pass's QR content, for those who may read passes (`keep_gate`, `manage_gates`).
    pub pass_token: Option<String>,
}

// ---- requests ----

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct TransferPassenger {
    pub person_id: String,
    pub guest: Guest,
    /// The room (or 方舱 bed) to hold for them, as the planner proposed or the officer chose.
    pub room: String,
    /// The person's case (a case's transfer).
    #[serde(default)]
    pub case_id: Option<i64>,
    /// The person's contact record (a contact's quarantine).
    #[serde(default)]
    pub contact_id: Option<i64>,
}

/// An order: people of one household, to one site.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub site_id: String,
    pub people: Vec<TransferPassenger>,
    /// Why: a new case to the 方舱, a family of close contacts to a hotel …
    pub reason: String,
}

#[derive(Deserialize, Serialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// A vehicle on the way (`vehicle`): its one-time gate pass is issued with it.
    Assigned,
    PickedUp,
    /// At the site: every passenger is checked in to the room held for them.
    Arrived,
    /// Called off (`reason`): the rooms are freed and the pass revoked.
    Cancelled,
    Note,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct TransferStepRequest {
    pub kind: StepKind,
    /// The vehicle: its plate, or the team's name (assigned).
    #[serde(default)]
    pub vehicle: Option<String>,
    /// Why it is cancelled.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// When it happened; default now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

// ---- use cases ----

async fn transfer_rule(state: &AppState, profile_key: &str, guests: &[Guest]) -> Result<TransferRule> {
    let profiles = crate::zones::profiles(state).await?;
    let rules = profiles.get(profile_key).map(|p| p.transfers.clone()).unwrap_or_default();
    rule_for(&rules, guests.iter().copied())
        .ok_or_else(|| invalid("people", format!("the profile {profile_key} has no transfer rule for them")))
}

fn view(state: &AppState, user: &User, t: &TransferRecord) -> TransferView {
    let see = user.may(Right::ViewCases);
    TransferView {
        id: t.id,
        household: t.household.clone(),
        site_id: t.site_id.clone(),
        site_name: t.site_name.clone(),
        stage: t.stage,
        rung: t.rung,
        due: t.due,
        overdue: t.due.is_some_and(|d| d < state.now()),
        escalations: t.escalations,
        vehicle: t.vehicle.clone(),
        pass_id: t.pass_id.clone(),
        reason: t.reason.clone(),
        created_at: t.created_at,
        created_by: t.created_by.clone(),
        passengers: t
            .passengers
            .iter()
            .map(|p| PassengerView {
                person_id: p.person_id.clone(),
                name: see.then(|| p.name.clone()),
                guest: p.guest,
                room: p.room_label.clone(),
                state: p.state.clone(),
                stay_id: p.stay_id,
            })
            .collect(),
    }
}

/// Puts the passengers shown on the audit of reads.
async fn audit(state: &AppState, user: &User, list: &[TransferRecord], route: &str) -> Result<()> {
    if !user.may(Right::ViewCases) {
        return Ok(());
    }
    let shown: Vec<PersonId> =
        list.iter().flat_map(|t| &t.passengers).filter_map(|p| PersonId::parse(&p.person_id).ok()).collect();
    if !shown.is_empty() {
        state.store.audit_reads(user, &shown, route, state.now()).await?;
    }
    Ok(())
}

/// Orders a transfer of people of one household of the user's areas to a site, holding a room
/// for each; refused (nothing written) when a room does not admit them by the profile's rule.
pub async fn order(
    state: &AppState,
    user: &User,
    req: &TransferRequest,
    route: &str,
) -> Result<TransferView> {
    refuse(user, MOVE_PEOPLE, "ordering transfers")?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid("reason", "say why they are moved (1 to 500 characters)"));
    }
    if req.people.is_empty() || req.people.len() > MOST_PASSENGERS {
        return Err(invalid("people", format!("1 to {MOST_PASSENGERS} people of one household")));
    }
    let now = state.now();
    let mut household: Option<AreaCode> = None;
    let mut passengers = Vec::with_capacity(req.people.len());
    let mut ids = Vec::with_capacity(req.people.len());
    for (i, p) in req.people.iter().enumerate() {
        let id = PersonId::parse(p.person_id.trim())
            .map_err(|e| invalid("people", format!("people[{i}].person_id: {e}")))?;
        if ids.contains(&id) {
            return Err(invalid("people", format!("people[{i}]: {id} is named twice")));
        }
        let person = state
            .store
            .person(&user.scope_path, &id)
            .await?
            .ok_or_else(|| IsolationError::NotFound(format!("no person {id} in your areas")))?;
        match &household {
            None => household = Some(person.household.clone()),
            Some(h) if *h != person.household => {
                return Err(invalid(
                    "people",
                    format!(
                        "people[{i}]: {id} lives in {}, not {h}: order one transfer a household",
                        person.household
                    ),
                ));
            }
            Some(_) => {}
        }
        let planned_out = linked(state, user, &id, p).await.map_err(|e| match e {
            IsolationError::Invalid { message, .. } => invalid("people", format!("people[{i}].{message}")),
            e => e,
        })?;
        ids.push(id.clone());
        passengers.push(NewPassenger {
            person_id: id.to_string(),
            room_label: p.room.trim().to_owned(),
            guest: p.guest,
            case_id: p.case_id,
            contact_id: p.contact_id,
            planned_out,
        });
    }
    state.store.audit_reads(user, &ids, route, now).await?;
    let profile_key = crate::zones::profile_in_force(state).await?;
    let guests: Vec<Guest> = passengers.iter().map(|p| p.guest).collect();
    let t_rule = transfer_rule(state, &profile_key, &guests).await?;
    let site_id = req.site_id.trim().to_owned();
    let sites = state.store.sites(&user.scope_path).await?;
    if !sites.iter().any(|s| s.id == site_id) {
        return Err(IsolationError::NotFound(format!("no site {site_id} in your areas")));
    }
    let t = NewTransfer {
        household: household.expect("one person at least"),
        site_id,
        passengers,
        profile_key,
        reason: reason.to_owned(),
        rung: Rung::District,
        at: now,
        by: user.username.clone(),
    };
    let record = state.store.create_transfer(&user.scope_path, &t, &t_rule, &rule(state).await?).await?;
    tracing::info!(transfer = record.id, site = %record.site_id, people = record.passengers.len(), by = %user.username, "transfer ordered");
    Ok(view(state, user, &record))
}

/// The case or contact named with a passenger must be theirs; a contact's plan is their stay's
/// planned end. A case moves with its case named, a contact with its contact record.
async fn linked(
    state: &AppState,
    user: &User,
    id: &PersonId,
    p: &TransferPassenger,
) -> Result<Option<NaiveDate>> {
    let mut planned_out = None;
    if let Some(c) = p.contact_id {
        let contact = state.store.contact(&user.scope_path, c).await?;
        let contact = contact
            .filter(|x| x.person_id == id.as_str())
            .ok_or_else(|| invalid("contact_id", format!("contact_id: contact {c} is not {id}'s")))?;
        planned_out = contact.plan_ends;
    }
    if let Some(c) = p.case_id {
        let case = state.store.case(&user.scope_path, c).await?;
        case.filter(|x| x.person_id == id.as_str())
            .ok_or_else(|| invalid("case_id", format!("case_id: case {c} is not {id}'s")))?;
    }
    match (p.guest, p.case_id, p.contact_id) {
        (Guest::Case, None, _) => Err(invalid("case_id", "case_id: a case's transfer names the case")),
        (Guest::CloseContact | Guest::SecondaryContact, _, None) => {
            Err(invalid("contact_id", "contact_id: a contact's transfer names the contact"))
        }
        _ => Ok(planned_out),
    }
}

/// The orders of the user's areas: open first, the most overdue first.
pub async fn transfers(
    state: &AppState,
    user: &User,
    open_only: bool,
    route: &str,
) -> Result<Vec<TransferView>> {
    refuse(user, VIEW_TRANSFERS, "seeing transfers")?;
    let list = state.store.transfers(&user.scope_path, open_only, 500).await?;
    audit(state, user, &list, route).await?;
    Ok(list.iter().map(|t| view(state, user, t)).collect())
}

/// One order with its timeline.
pub async fn transfer(state: &AppState, user: &User, id: i64, route: &str) -> Result<TransferDetail> {
    refuse(user, VIEW_TRANSFERS, "seeing transfers")?;
    let t = state
        .store
        .transfer(&user.scope_path, id)
        .await?
        .ok_or_else(|| IsolationError::NotFound(format!("no transfer {id} in your areas")))?;
    audit(state, user, std::slice::from_ref(&t), route).await?;
    let timeline = state
        .store
        .transfer_events(id)
        .await?
        .into_iter()
        .map(|e| TransferStepView { at: e.event.at, kind: e.event.kind, note: e.note, by: e.by })
        .collect();
    let pass_token = match (&t.pass_id, crate::gates::may_read_passes(user)) {
        (Some(p), true) => Some(crate::gates::pass(state, user, p).await?.token),
        _ => None,
    };
    Ok(TransferDetail { transfer: view(state, user, &t), timeline, pass_token })
}

/// The area whose gates a transfer's pass opens: the household's compound (else the nearest
/// area above the household).
async fn pass_area(state: &AppState, t: &TransferRecord) -> Result<AreaCode> {
    let on = state.store.areas_on(std::slice::from_ref(&t.path)).await?;
    let mut above: Vec<_> = on.into_values().filter(|a| a.level != AreaLevel::Household).collect();
    above.sort_by_key(|a| std::cmp::Reverse(a.path.as_str().len()));
    above
        .iter()
        .find(|a| a.level == AreaLevel::Compound)
        .or(above.iter().find(|a| a.level != AreaLevel::Building))
        .map(|a| a.code.clone())
        .ok_or_else(|| IsolationError::NotFound(format!("no area above household {}", t.household)))
}

/// Records a step of an order of the user's areas.
pub async fn step(
    state: &AppState,
    user: &User,
    id: i64,
    req: &TransferStepRequest,
    route: &str,
) -> Result<TransferView> {
    refuse(user, MOVE_PEOPLE, "moving people")?;
    let now = state.now();
    let at = req.at.unwrap_or(now);
    if at > now + Duration::minutes(5) {
        return Err(invalid("at", "a step cannot be in the future"));
    }
    let note = req.note.as_deref().map(str::trim).unwrap_or("").to_owned();
    if note.chars().count() > 500 {
        return Err(invalid("note", "at most 500 characters"));
    }
    let t = state
        .store
        .transfer(&user.scope_path, id)
        .await?
        .ok_or_else(|| IsolationError::NotFound(format!("no transfer {id} in your areas")))?;
    let mut pass = None;
    let mut disinfections = Vec::new();
    let kind = match req.kind {
        StepKind::Assigned => {
            let vehicle = req.vehicle.as_deref().map(str::trim).unwrap_or("");
            if vehicle.is_empty() || vehicle.chars().count() > 40 {
                return Err(invalid("vehicle", "the vehicle's plate or the team's name, 1 to 40 characters"));
            }
            let mut bytes = [0u8; 6];
            rand::fill(&mut bytes);
            let pass_id = format!("P{}", hex::encode_upper(bytes));
            let names: Vec<String> = t.passengers.iter().map(|p| mask_name(&p.name)).collect();
            pass = Some(NewPass {
                id: pass_id.clone(),
                kind: PassKind::Transfer,
                person_id: None,
                holder: format!("转运 {vehicle} · {}人: {}", names.len(), names.join("、")),
                area: pass_area(state, &t).await?,
                gate_ids: Vec::new(),
                valid_from: now,
                valid_until: now + Duration::hours(PASS_HOURS),
                one_time: true,
                reason: format!("转运 #{} → {}", t.id, t.site_name),
                at: now,
                by: user.username.clone(),
            });
            TransferEventKind::Assigned { vehicle: vehicle.to_owned(), pass_id: Some(pass_id) }
        }
        StepKind::PickedUp => {
            disinfections = after_pickup(state, user, &t, at).await?;
            TransferEventKind::PickedUp
        }
        StepKind::Arrived => TransferEventKind::Arrived,
        StepKind::Cancelled => {
            let reason = req.reason.as_deref().map(str::trim).unwrap_or("");
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(invalid("reason", "say why the transfer is cancelled (1 to 500 characters)"));
            }
            TransferEventKind::Cancelled { reason: reason.to_owned() }
        }
        StepKind::Note if note.is_empty() => return Err(invalid("note", "a note says something")),
        StepKind::Note => TransferEventKind::Note,
    };
    let guests: Vec<Guest> = t.passengers.iter().map(|p| p.guest).collect();
    let t_rule = transfer_rule(state, &t.profile_key, &guests).await?;
    let event = NewTransferEvent {
        event: TransferEvent { at, kind },
        note,
        by: user.username.clone(),
        recorded_at: now,
        pass,
        disinfections,
    };
    let record = state
        .store
        .record_transfer_event(&user.scope_path, id, &event, &t_rule, &rule(state).await?)
        .await?
        .ok_or_else(|| IsolationError::NotFound(format!("no transfer {id} in your areas")))?;
    audit(state, user, std::slice::from_ref(&record), route).await?;
    tracing::info!(transfer = id, step = req.kind.key(), by = %user.username, "transfer step");
    Ok(view(state, user, &record))
}

/// 终末消毒: a case picked up from home leaves it (and, where the profile says, their
/// building's stairs) to be disinfected by the rule's deadline. Nothing for an order of
/// contacts only.
async fn after_pickup(
    state: &AppState,
    user: &User,
    t: &TransferRecord,
    at: DateTime<Utc>,
) -> Result<Vec<NewDisinfection>> {
    if t.passengers.iter().all(|p| p.case_id.is_none()) {
        return Ok(Vec::new());
    }
    let profiles = crate::zones::profiles(state).await?;
    let rule = profiles.get(&t.profile_key).map(|p| p.sanitation.clone()).unwrap_or_default();
    let areas = state.store.areas_on(std::slice::from_ref(&t.path)).await?;
    let line = cordon_store::lineage(&areas, &t.path);
    let building = line.iter().rfind(|a| a.level == AreaLevel::Building).map(|a| a.code.clone());
    Ok(rule
        .after_pickup(&t.household, building.as_ref(), at)
        .into_iter()
        .map(|p| NewDisinfection {
            kind: p.kind,
            area: p.area,
            transfer_id: Some(t.id),
            // The record's own words; the board words it in the reader's language from
            // the transfer's number.
            reason: format!("病例转运离家，转运单 #{}", t.id),
            due: p.due,
            at: state.now(),
            by: user.username.clone(),
        })
        .collect())
}

impl StepKind {
    pub fn key(self) -> &'static str {
        match self {
            StepKind::Assigned => "assigned",
            StepKind::PickedUp => "picked_up",
            StepKind::Arrived => "arrived",
            StepKind::Cancelled => "cancelled",
            StepKind::Note => "note",
        }
    }
}

/// Climbs every order due by `now` one rung per interval missed, in batches; returns the steps
/// written.
pub async fn sweep_transfers(state: &AppState, now: DateTime<Utc>) -> Result<usize> {
    let profiles = crate::zones::profiles(state).await?;
    let mut steps = 0;
    loop {
        let due = state.store.transfers_due(now, SWEEP_BATCH).await?;
        if due.is_empty() {
            break;
        }
        let batch: Vec<(i64, TransferRule)> = due
            .iter()
            .filter_map(|d| {
                let rules = &profiles.get(&d.profile_key)?.transfers;
                rule_for(rules, [d.guest]).map(|r| (d.id, r))
            })
            .collect();
        let climbed = state.store.escalate_transfers(&batch, now, SWEEPER).await?;
        for (t, events) in &climbed {
            steps += events.len();
            tracing::warn!(
                transfer = t.id,
                rung = t.rung.as_str(),
                stage = t.stage.as_str(),
                "a transfer past its deadline climbed the chain"
            );
        }
        if climbed.is_empty() || (due.len() as u32) < SWEEP_BATCH {
            break;
        }
    }
    Ok(steps)
}
