//! 离线采样: tubes taken on a sampler's phone without the network (a stairwell, a basement) and
//! sent when it returns. Each is landed on its own through mass testing's own tube — the same
//! checks as a file: the round open, every person registered, the barcode new, the pooling of
//! the members' homes kept — and kept once: a tube's barcode is unique, so the same tube sent
//! again (a retry, a second tab, a page closed mid-sync) is found holding the same people and
//! answered `already`; a barcode already holding others is refused as the conflict it is.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cordon_domain::{AreaPath, PersonId};
use cordon_store::{NewFieldRefusal, RoundRecord, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{SamplingError, invalid};
use crate::AppState;
use crate::testing;

/// Most tubes one sync carries: a phone sends what waits in batches of this.
pub const TUBE_SYNC_BATCH: usize = 200;

/// A tube the phone closed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineTube {
    /// Made by the phone when the tube was closed: 8 to 64 letters, digits, `-` or `_`.
    pub id: String,
    /// The barcode on the tube.
    pub tube_id: String,
    /// Who is in it, in the order sampled.
    pub person_ids: Vec<String>,
    /// When it was closed, by the phone's clock.
    pub at: DateTime<Utc>,
    /// When the phone sent it, by the same clock: how far that clock is off.
    pub sent_at: DateTime<Utc>,
    /// Where it was taken (the building).
    #[serde(default)]
    pub site: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineTubes {
    /// At most 200.
    pub tubes: Vec<OfflineTube>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TubeSyncState {
    /// Landed now.
    Kept,
    /// Landed before (this tube, these people): nothing written.
    Already,
    /// Not landed: `error` says why (shown to the sampler, who settles it with the network).
    Refused,
}

/// Why a tube was refused, for the phone to say in its sampler's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TubeRefusal {
    /// The id, the barcode or the people are not well formed.
    Malformed,
    /// The barcode holds other people already (a tube scanned twice, or used elsewhere).
    TubeUsed,
    /// Someone in it is not on the sampler's buildings' list.
    NotOnList,
    /// The round closed while the phone was offline.
    RoundClosed,
    /// Refused by mass testing's checks (a pooling broken, someone not registered): `error`.
    Refused,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncedTube {
    pub id: String,
    pub tube_id: String,
    pub state: TubeSyncState,
    /// Why, when refused.
    pub reason: Option<TubeRefusal>,
    pub error: Option<String>,
}

/// Lands the tubes a phone took offline, each once, each on its own.
pub async fn sync_tubes(
    state: &AppState,
    user: &User,
    round_id: i64,
    sync: &OfflineTubes,
) -> Result<Vec<SyncedTube>, SamplingError> {
    if sync.tubes.len() > TUBE_SYNC_BATCH {
        return Err(invalid("tubes", format!("at most {TUBE_SYNC_BATCH} a sync; send the rest after")));
    }
    if !user.may(cordon_domain::Right::SendSamples) {
        return Err(SamplingError::Refused("sampling needs send_samples".into()));
    }
    let round =
        state.store.round(&user.scope_path, round_id).await?.ok_or(SamplingError::NoRound(round_id))?;
    // A round closed while the phone was offline refuses each tube, not the sync: the phone
    // shows each to its sampler instead of trying for ever.
    let closed = round.closed_at.is_some().then(|| format!("round {} is closed", round.name));
    let mine: Vec<AreaPath> = state
        .store
        .round_team_of(round_id, user.id)
        .await?
        .into_iter()
        .filter(|a| user.scope_path.contains(&a.path))
        .map(|a| a.path)
        .collect();
    let mut out = Vec::with_capacity(sync.tubes.len());
    for t in &sync.tubes {
        let synced = match &closed {
            None => sync_one(state, user, round_id, &mine, t).await?,
            Some(closed) => refused(t, TubeRefusal::RoundClosed, closed.clone()),
        };
        // A refusal the phone can name again (its id well formed) is kept for the planner.
        if let (TubeSyncState::Refused, Some(reason), true) =
            (synced.state, synced.reason, cordon_domain::format::is_device_id(&t.id))
        {
            keep_refusal(state, user, &round, &mine, t, reason, synced.error.as_deref().unwrap_or(""))
                .await?;
        }
        out.push(synced);
    }
    Ok(out)
}

/// Keeps a refused tube for whoever plans the round, under the building it was taken in (the
/// first person's, if theirs is one of the sampler's; else the round's area).
async fn keep_refusal(
    state: &AppState,
    user: &User,
    round: &RoundRecord,
    mine: &[AreaPath],
    t: &OfflineTube,
    reason: TubeRefusal,
    error: &str,
) -> Result<(), SamplingError> {
    let home = match t.person_ids.first().and_then(|p| PersonId::parse(p.trim()).ok()) {
        Some(id) => state.store.person(&AreaPath::root(), &id).await?.map(|p| p.path),
        None => None,
    };
    let path = home
        .and_then(|h| mine.iter().find(|m| m.contains(&h)).cloned())
        .unwrap_or_else(|| round.path.clone());
    let now = state.now();
    let reason =
        serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    state
        .store
        .keep_refusal(&NewFieldRefusal {
            device_action: &t.id,
            kind: "tube",
            round_id: round.id,
            path: &path,
            username: &user.username,
            subject: t.tube_id.trim(),
            reason: &reason,
            error,
            at: cordon_domain::format::device_time(t.at, t.sent_at, now),
            received_at: now,
        })
        .await?;
    Ok(())
}

fn refused(t: &OfflineTube, reason: TubeRefusal, error: String) -> SyncedTube {
    SyncedTube {
        id: t.id.clone(),
        tube_id: t.tube_id.clone(),
        state: TubeSyncState::Refused,
        reason: Some(reason),
        error: Some(error),
    }
}

/// Whether `tube_id` of the round holds exactly `people`: the same tube sent before.
async fn landed(
    state: &AppState,
    round_id: i64,
    tube_id: &str,
    people: &BTreeSet<&str>,
) -> Result<Option<bool>, SamplingError> {
    let Some(tube) = state.store.tube(tube_id).await? else { return Ok(None) };
    let members = state.store.tube_members(&AreaPath::root(), tube_id).await?;
    let held: BTreeSet<&str> = members.iter().map(|m| m.person_id.as_str()).collect();
    Ok(Some(tube.round_id == round_id && held == *people))
}

async fn sync_one(
    state: &AppState,
    user: &User,
    round_id: i64,
    mine: &[AreaPath],
    t: &OfflineTube,
) -> Result<SyncedTube, SamplingError> {
    if !cordon_domain::format::is_device_id(&t.id) {
        return Ok(refused(
            t,
            TubeRefusal::Malformed,
            "id: 8 to 64 letters, digits, '-' or '_', made on the phone".into(),
        ));
    }
    let tube_id = t.tube_id.trim();
    if tube_id.is_empty() || tube_id.chars().count() > 64 {
        return Ok(refused(
            t,
            TubeRefusal::Malformed,
            "tube_id: the tube's barcode, 1 to 64 characters".into(),
        ));
    }
    let people: BTreeSet<&str> = t.person_ids.iter().map(|p| p.trim()).collect();
    if people.is_empty() || people.len() != t.person_ids.len() {
        return Ok(refused(t, TubeRefusal::Malformed, "person_ids: each person once, at least one".into()));
    }
    let already = |state: TubeSyncState| SyncedTube {
        id: t.id.clone(),
        tube_id: tube_id.to_owned(),
        state,
        reason: None,
        error: None,
    };
    match landed(state, round_id, tube_id, &people).await? {
        Some(true) => return Ok(already(TubeSyncState::Already)),
        Some(false) => {
            return Ok(refused(
                t,
                TubeRefusal::TubeUsed,
                format!("tube {tube_id} is already used: its barcode holds other people (scanned twice?)"),
            ));
        }
        None => {}
    }
    // Everyone in it must be of the sampler's buildings: the post they were taken from.
    for (i, p) in t.person_ids.iter().enumerate() {
        let outside = || {
            refused(
                t,
                TubeRefusal::NotOnList,
                format!("person {} of the tube, {}: not on your buildings' list", i + 1, p.trim()),
            )
        };
        let Ok(id) = PersonId::parse(p.trim()) else { return Ok(outside()) };
        match state.store.person(&AreaPath::root(), &id).await? {
            Some(rec) if mine.iter().any(|m| m.contains(&rec.path)) => {}
            _ => return Ok(outside()),
        }
    }
    let now = state.now();
    let at = cordon_domain::format::device_time(t.at, t.sent_at, now);
    match testing::record_tube(state, user, round_id, tube_id, &t.site, &t.person_ids, Some(at)).await {
        Ok(_) => Ok(already(TubeSyncState::Kept)),
        Err(e) => {
            // Two tabs sent it at once, and the other one's landed.
            if landed(state, round_id, tube_id, &people).await? == Some(true) {
                return Ok(already(TubeSyncState::Already));
            }
            match e {
                testing::TestingError::Store(e) => Err(SamplingError::Store(e)),
                testing::TestingError::Internal(m) => {
                    Err(SamplingError::Testing(testing::TestingError::Internal(m)))
                }
                e => Ok(refused(t, TubeRefusal::Refused, e.to_string())),
            }
        }
    }
}
