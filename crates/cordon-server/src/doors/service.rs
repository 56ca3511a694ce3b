//! 扫楼: the sweep team's doors. For each address on a round's list a worker records what they
//! found — sampled at the door, not at home (visit again), moved out, refused (why), or someone
//! living there and not on the register, who is registered on the spot — and the list shrinks
//! as the outcomes come in. People the profile has sampled at home (the bedridden, the disabled,
//! the very old) are marked on the list as home visits and counted as planned, not missing.
//!
//! A request is checked whole before anything is written, and written in one transaction: a
//! door outside the round's area, an outcome without its reason or a person found who may
//! already be registered refuses all of it, naming the entry. Once its entries pass those
//! checks, every person a request names is on the audit of reads, whether the write lands or is
//! refused (a person found outside the round's area).

use chrono::{DateTime, Utc};
use cordon_domain::door::DoorOutcome;
use cordon_domain::{Need, PersonId, Right};
use cordon_store::{DoorEntry, DoorRecord, DoorWrite, StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::register::entries::{EntryError, NewPersonRequest, VettedPerson, vet};
use crate::testing::{DoorFigures, door_figures, round_area};

/// The need of recording doors: the sampling team (`send_samples`) or who plans the round.
pub const DOORS: Need = Need::AnyOf(&[Right::SendSamples, Right::PlanTesting]);

/// The most doors one request records (a floor's worth many times over; a phone back in the
/// network sends its queue in several).
const MOST_ENTRIES: usize = 500;

/// Why the doors of a request were refused.
#[derive(Debug, thiserror::Error)]
pub enum DoorError {
    #[error("no round {0} in your areas")]
    NoRound(i64),
    /// A person or household of an entry is not in the round's area (or the caller's).
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Not this user's to do.
    #[error("{0}")]
    Refused(String),
    /// Not now: the round is closed.
    #[error("{0}")]
    Conflict(String),
    /// A person found at the door, refused by the register (a look-alike, a household unknown).
    #[error("entries[{index}]: {error}")]
    Entry { index: usize, error: EntryError },
    /// Refused by mass testing's service, called on the way.
    #[error(transparent)]
    Testing(#[from] crate::testing::TestingError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DoorError {
    fn from(e: StoreError) -> Self {
        match e {
            // The store names the entry first: "entries[2]: person P1 living in the round's area".
            StoreError::NotFound(what) => DoorError::NotFound(match what.split_once(": ") {
                Some((entry, rest)) if entry.starts_with("entries[") => format!("{entry}: no {rest}"),
                _ => format!("no {what}"),
            }),
            e => DoorError::Store(e),
        }
    }
}

type Result<T> = std::result::Result<T, DoorError>;

/// Whether `user` records doors at all.
pub fn may_record_doors(user: &User) -> bool {
    DOORS.met_by(user.rights)
}

/// The doors of one visit round of a team: each entry a person of the list, or someone found.
#[derive(Deserialize, ToSchema, Debug, Default, Clone)]
pub struct DoorsRequest {
    pub entries: Vec<DoorEntryRequest>,
}

/// One door.
#[derive(Deserialize, ToSchema, Debug, Default, Clone)]
pub struct DoorEntryRequest {
    /// sampled, not_home, moved_out, refused, or found (with `person`).
    pub outcome: String,
    /// The person on the list (every outcome but found).
    #[serde(default)]
    pub person_id: Option<String>,
    /// What was said at the door: required for refused and moved_out.
    #[serde(default)]
    pub reason: Option<String>,
    /// moved_out: out of the city, so the register marks them moved out too (keep_register).
    /// Otherwise the move is for the register's keeper to record.
    #[serde(default)]
    pub left_city: bool,
    /// found: who was found, registered on the spot into a household of the round's area
    /// (keep_register); the reason defaults to "found at the door".
    #[serde(default)]
    pub person: Option<NewPersonRequest>,
    /// found: sampled on the spot as well.
    #[serde(default)]
    pub sampled: bool,
}

/// One visit as recorded.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DoorVisitView {
    pub id: i64,
    pub person_id: String,
    /// sampled, not_home, moved_out, refused or found.
    pub outcome: DoorOutcome,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub recorded_by: String,
}

impl From<DoorRecord> for DoorVisitView {
    fn from(r: DoorRecord) -> Self {
        DoorVisitView {
            id: r.id,
            person_id: r.person_id,
            outcome: r.outcome,
            reason: r.reason,
            at: r.at,
            recorded_by: r.recorded_by,
        }
    }
}

/// What a request recorded.
#[derive(Serialize, ToSchema, Debug)]
pub struct DoorsReport {
    pub visits: Vec<DoorVisitView>,
    /// The ids of the people found and registered, in the order of their entries.
    pub registered: Vec<String>,
    /// The round's doors in its area (inside the caller's) after this request.
    pub figures: DoorFigures,
}

/// A listed entry, checked.
struct Listed {
    person: PersonId,
    outcome: DoorOutcome,
    reason: String,
    left_city: bool,
}

enum Checked {
    Listed(Listed),
    Found { person: Box<VettedPerson>, sampled: bool },
}

fn invalid(i: usize, field: &str, message: impl Into<String>) -> DoorError {
    DoorError::Invalid { field: format!("entries[{i}].{field}"), message: message.into() }
}

/// Records the doors of `req` in round `round_id`, all or none (see the module).
pub async fn record_doors(
    state: &AppState,
    user: &User,
    round_id: i64,
    req: &DoorsRequest,
    route: &str,
) -> Result<DoorsReport> {
    record_doors_at(state, user, round_id, req, route, state.now(), None).await
}

/// Records the doors of `req` as found at `at`; `action`: the id a phone made for a door it
/// recorded without the network (`offline`), kept once.
pub(super) async fn record_doors_at(
    state: &AppState,
    user: &User,
    round_id: i64,
    req: &DoorsRequest,
    route: &str,
    at: DateTime<Utc>,
    action: Option<&str>,
) -> Result<DoorsReport> {
    if !may_record_doors(user) {
        return Err(DoorError::Refused(
            "recording the sweep's doors needs send_samples or plan_testing".into(),
        ));
    }
    let round = state.store.round(&user.scope_path, round_id).await?.ok_or(DoorError::NoRound(round_id))?;
    if let Some(closed) = round.closed_at {
        return Err(DoorError::Conflict(format!(
            "round {} was closed at {closed}: its list is final",
            round.name
        )));
    }
    let area = round_area(state, user, &round).await?;
    if req.entries.is_empty() || req.entries.len() > MOST_ENTRIES {
        return Err(DoorError::Invalid {
            field: "entries".into(),
            message: format!("1 to {MOST_ENTRIES} doors a request"),
        });
    }
    let keeper = user.may(Right::KeepRegister);
    let mut checked = Vec::with_capacity(req.entries.len());
    let mut named = Vec::new();
    for (i, e) in req.entries.iter().enumerate() {
        let outcome = DoorOutcome::parse(&e.outcome).map_err(|d| invalid(i, "outcome", d.reason()))?;
        if outcome == DoorOutcome::Found {
            let Some(p) = &e.person else { return Err(invalid(i, "person", "found needs the person found")) };
            if !keeper {
                return Err(DoorError::Refused(format!(
                    "entries[{i}]: registering someone found needs keep_register: ask the community worker"
                )));
            }
            let mut p = p.clone();
            if p.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                p.reason = Some("扫楼入户发现 found at the door".into());
            }
            let vetted =
                vet(state, user, &p, route).await.map_err(|error| DoorError::Entry { index: i, error })?;
            checked.push(Checked::Found { person: Box::new(vetted), sampled: e.sampled });
            continue;
        }
        let id = e.person_id.as_deref().map(str::trim).unwrap_or_default();
        let person = PersonId::parse(id).map_err(|d| invalid(i, "person_id", d.reason()))?;
        let reason =
            outcome.check_reason(e.reason.as_deref()).map_err(|d| invalid(i, "reason", d.reason()))?;
        if e.left_city && outcome != DoorOutcome::MovedOut {
            return Err(invalid(i, "left_city", "only a move out leaves the city"));
        }
        if e.left_city && !keeper {
            return Err(DoorError::Refused(format!(
                "entries[{i}]: writing a move out of the city to the register needs keep_register"
            )));
        }
        named.push(person.clone());
        checked.push(Checked::Listed(Listed { person, outcome, reason, left_city: e.left_city }));
    }
    // Every person named is on the audit before anything is written: a refused request touched
    // them as much as one that lands.
    state.store.audit_reads(user, &named, route, state.now()).await?;
    let by = user.username.as_str();
    let entries: Vec<DoorEntry> = checked
        .iter()
        .map(|c| match c {
            Checked::Listed(l) => DoorEntry::Listed {
                person: &l.person,
                outcome: l.outcome,
                reason: &l.reason,
                left_city: l.left_city,
            },
            Checked::Found { person, sampled } => {
                DoorEntry::Found { person: person.entry(&area, by, at), sampled: *sampled }
            }
        })
        .collect();
    let visits = state
        .store
        .record_doors(&DoorWrite { round_id, area: &area, by, at, entries: &entries, action })
        .await?;
    let registered: Vec<String> =
        visits.iter().filter(|v| v.outcome == DoorOutcome::Found).map(|v| v.person_id.clone()).collect();
    let ids: Vec<PersonId> = registered.iter().filter_map(|r| PersonId::parse(r).ok()).collect();
    state.store.audit_reads(user, &ids, route, state.now()).await?;
    tracing::info!(
        by,
        round = round_id,
        doors = visits.len(),
        found = registered.len(),
        "the sweep's doors were recorded"
    );
    Ok(DoorsReport {
        visits: visits.into_iter().map(DoorVisitView::from).collect(),
        registered,
        figures: door_figures(state, &round, &area).await?,
    })
}
