//! 扫楼离线: doors recorded on a phone without the network (a stairwell, a basement), sent when
//! it returns. The phone keeps the round's list for its building (the sweep's own API, audited
//! as any read of it) and queues each door under an id it made; here each door is written on
//! its own — one refused (the round closed meanwhile, the person moved) never takes the rest
//! with it — and kept once, however often the phone sends it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{DoorEntryRequest, DoorError, DoorsRequest, may_record_doors, record_doors_at};
use crate::AppState;
use cordon_domain::{AreaPath, PersonId};
use cordon_store::{NewFieldRefusal, User};

/// Most doors one sync carries: a phone sends what waits in batches of this.
pub const DOOR_SYNC_BATCH: usize = 200;

/// A door the phone recorded.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineDoor {
    /// Made by the phone when the door was recorded: 8 to 64 letters, digits, `-` or `_`.
    pub id: String,
    /// When, by the phone's clock.
    pub at: DateTime<Utc>,
    /// When the phone sent it, by the same clock: how far that clock is off.
    pub sent_at: DateTime<Utc>,
    /// sampled, not_home, moved_out or refused: someone found is registered with the network.
    pub outcome: String,
    pub person_id: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineDoors {
    /// At most 200.
    pub doors: Vec<OfflineDoor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DoorSyncState {
    /// Kept now.
    Kept,
    /// Kept before under the same id: nothing written.
    Already,
    /// Not kept: `error` says why (shown to the worker, who settles it with the network).
    Refused,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncedDoor {
    pub id: String,
    pub state: DoorSyncState,
    /// The visit kept.
    pub visit_id: Option<i64>,
    pub error: Option<String>,
}

/// The round a phone records doors of, if it is one of the user's and they record doors: its
/// name (the field page shows nothing else of it before the phone reads the list).
pub async fn field_round(state: &AppState, user: &User, round_id: i64) -> Result<String, DoorError> {
    if !may_record_doors(user) {
        return Err(DoorError::Refused(
            "recording the sweep's doors needs send_samples or plan_testing".into(),
        ));
    }
    let round = state.store.round(&user.scope_path, round_id).await?.ok_or(DoorError::NoRound(round_id))?;
    Ok(round.name)
}

/// Keeps the doors a phone recorded offline, each once, each on its own.
pub async fn sync_doors(
    state: &AppState,
    user: &User,
    round_id: i64,
    sync: &OfflineDoors,
    route: &str,
) -> Result<Vec<SyncedDoor>, DoorError> {
    if !may_record_doors(user) {
        return Err(DoorError::Refused(
            "recording the sweep's doors needs send_samples or plan_testing".into(),
        ));
    }
    if sync.doors.len() > DOOR_SYNC_BATCH {
        return Err(DoorError::Invalid {
            field: "doors".into(),
            message: format!("at most {DOOR_SYNC_BATCH} a sync; send the rest after"),
        });
    }
    let mut out = Vec::with_capacity(sync.doors.len());
    for d in &sync.doors {
        let synced = sync_one(state, user, round_id, d, route).await?;
        if synced.state == DoorSyncState::Refused && cordon_domain::format::is_device_id(&d.id) {
            keep_refusal(state, user, round_id, d, synced.error.as_deref().unwrap_or("")).await?;
        }
        out.push(synced);
    }
    Ok(out)
}

/// Keeps a refused door for whoever plans the round, under the person's home (else the round's
/// area); nothing when the round is not the user's to see.
async fn keep_refusal(
    state: &AppState,
    user: &User,
    round_id: i64,
    d: &OfflineDoor,
    error: &str,
) -> Result<(), DoorError> {
    let Some(round) = state.store.round(&user.scope_path, round_id).await? else { return Ok(()) };
    let home = match PersonId::parse(d.person_id.trim()) {
        Ok(id) => state.store.person(&AreaPath::root(), &id).await?.map(|p| p.path),
        Err(_) => None,
    };
    let path = home.filter(|h| round.path.contains(h)).unwrap_or_else(|| round.path.clone());
    let now = state.now();
    state
        .store
        .keep_refusal(&NewFieldRefusal {
            device_action: &d.id,
            kind: "door",
            round_id,
            path: &path,
            username: &user.username,
            subject: d.person_id.trim(),
            reason: "refused",
            error: &format!("{}: {error}", d.outcome),
            at: cordon_domain::format::device_time(d.at, d.sent_at, now),
            received_at: now,
        })
        .await?;
    Ok(())
}

async fn sync_one(
    state: &AppState,
    user: &User,
    round_id: i64,
    d: &OfflineDoor,
    route: &str,
) -> Result<SyncedDoor, DoorError> {
    let refused = |error: String| SyncedDoor {
        id: d.id.clone(),
        state: DoorSyncState::Refused,
        visit_id: None,
        error: Some(error),
    };
    if !cordon_domain::format::is_device_id(&d.id) {
        return Ok(refused("id: 8 to 64 letters, digits, '-' or '_', made on the phone".into()));
    }
    if let Some(v) = state.store.door_by_action(&d.id).await? {
        return Ok(SyncedDoor {
            id: d.id.clone(),
            state: DoorSyncState::Already,
            visit_id: Some(v.id),
            error: None,
        });
    }
    if d.outcome == "found" {
        return Ok(refused(
            "someone found at the door is registered with the network, not from the queue".into(),
        ));
    }
    let now = state.now();
    let at = cordon_domain::format::device_time(d.at, d.sent_at, now);
    let req = DoorsRequest {
        entries: vec![DoorEntryRequest {
            outcome: d.outcome.clone(),
            person_id: Some(d.person_id.clone()),
            reason: d.reason.clone(),
            ..Default::default()
        }],
    };
    match record_doors_at(state, user, round_id, &req, route, at, Some(&d.id)).await {
        Ok(report) => Ok(SyncedDoor {
            id: d.id.clone(),
            state: DoorSyncState::Kept,
            visit_id: report.visits.first().map(|v| v.id),
            error: None,
        }),
        Err(e) => {
            // Two tabs sent it at once, and the other one's write won.
            if let Some(v) = state.store.door_by_action(&d.id).await? {
                return Ok(SyncedDoor {
                    id: d.id.clone(),
                    state: DoorSyncState::Already,
                    visit_id: Some(v.id),
                    error: None,
                });
            }
            match e {
                DoorError::Store(e) => Err(DoorError::Store(e)),
                DoorError::Testing(e) => Err(DoorError::Testing(e)),
                e => Ok(refused(e.to_string().replacen("entries[0]", "door", 1))),
            }
        }
    }
}
