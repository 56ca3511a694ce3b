//! 健康监测离线: the daily health checks a worker takes door to door without the network, sent
//! when it returns. The phone keeps the contacts followed up at home in an area (read through
//! the contacts' own audited API) and queues each check under an id it made; here each is
//! written on its own under the same rules as one taken online — the contact still followed,
//! living in the worker's areas, the check not before they were identified — and kept once
//! (`contact_checks.device_action`), however often the phone sends it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::followup::{FollowUpError, HealthCheckRequest, write_check};
use crate::AppState;
use cordon_store::User;

/// Most checks one sync carries: a phone sends what waits in batches of this.
pub const CHECK_SYNC_BATCH: usize = 200;

/// A check the phone took.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineCheck {
    /// Made by the phone when the check was taken: 8 to 64 letters, digits, `-` or `_`.
    pub id: String,
    pub contact_id: i64,
    /// Body temperature in °C, one decimal.
    pub temperature: f64,
    /// cough, sore_throat, fatigue, loss_of_smell, diarrhoea, breathless; none when well.
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// When, by the phone's clock.
    pub at: DateTime<Utc>,
    /// When the phone sent it, by the same clock: how far that clock is off.
    pub sent_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineChecks {
    /// At most 200.
    pub checks: Vec<OfflineCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckSyncState {
    /// Kept now.
    Kept,
    /// Kept before under the same id: nothing written.
    Already,
    /// Not kept: `error` says why (the contact released meanwhile, a temperature no thermometer
    /// reads); shown to the worker.
    Refused,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncedCheck {
    pub id: String,
    pub state: CheckSyncState,
    /// The check kept.
    pub check_id: Option<i64>,
    pub error: Option<String>,
}

/// Keeps the checks a phone took offline, each once, each on its own.
pub async fn sync_checks(
    state: &AppState,
    user: &User,
    sync: &OfflineChecks,
) -> Result<Vec<SyncedCheck>, FollowUpError> {
    super::service::require_view(user).map_err(|e| FollowUpError::Refused(e.to_string()))?;
    if sync.checks.len() > CHECK_SYNC_BATCH {
        return Err(FollowUpError::Invalid {
            field: "checks",
            message: format!("at most {CHECK_SYNC_BATCH} a sync; send the rest after"),
        });
    }
    let mut out = Vec::with_capacity(sync.checks.len());
    for c in &sync.checks {
        out.push(sync_one(state, user, c).await?);
    }
    Ok(out)
}

async fn sync_one(state: &AppState, user: &User, c: &OfflineCheck) -> Result<SyncedCheck, FollowUpError> {
    let answer = |state: CheckSyncState, check_id: Option<i64>, error: Option<String>| SyncedCheck {
        id: c.id.clone(),
        state,
        check_id,
        error,
    };
    if !cordon_domain::format::is_device_id(&c.id) {
        let why = "id: 8 to 64 letters, digits, '-' or '_', made on the phone";
        return Ok(answer(CheckSyncState::Refused, None, Some(why.into())));
    }
    if let Some(kept) = state.store.check_by_action(&c.id).await? {
        return Ok(answer(CheckSyncState::Already, Some(kept.id), None));
    }
    let now = state.now();
    let req = HealthCheckRequest {
        temperature: c.temperature,
        symptoms: c.symptoms.clone(),
        at: Some(cordon_domain::format::device_time(c.at, c.sent_at, now)),
    };
    match write_check(state, user, c.contact_id, &req, Some(&c.id)).await {
        Ok(_) => {
            let kept = state.store.check_by_action(&c.id).await?.map(|k| k.id);
            Ok(answer(CheckSyncState::Kept, kept, None))
        }
        Err(e) => {
            // Two tabs sent it at once, and the other one's write won.
            if let Some(kept) = state.store.check_by_action(&c.id).await? {
                return Ok(answer(CheckSyncState::Already, Some(kept.id), None));
            }
            match e {
                FollowUpError::Store(e) => Err(FollowUpError::Store(e)),
                e => Ok(answer(CheckSyncState::Refused, None, Some(e.to_string()))),
            }
        }
    }
}
