//! 重复登记: the register's likely duplicates in the reader's areas, and their merge (the store's
//! `merge.rs` says what moves). Both entries must be inside the reader's areas; every person
//! listed is audited as read.

use chrono::{DateTime, Utc};
use cordon_domain::duplicates::DuplicateReason;
use cordon_domain::{PersonId, Right};
use cordon_store::{MergeRecord, PersonMerge, PersonRecord, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::RegisterError;
use crate::AppState;
use crate::reads::{PersonSummary, summaries};

/// Finding and merging duplicates (`merge_people`).
pub fn may_merge(user: &User) -> bool {
    user.may(Right::MergePeople)
}

fn forbid() -> RegisterError {
    RegisterError::Forbidden("merging the register's entries is not part of your role".into())
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateSide {
    #[serde(flatten)]
    pub summary: PersonSummary,
    /// Masked; none without the `see_id_number` right.
    pub id_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DuplicatePairView {
    pub reason: DuplicateReason,
    pub reason_zh: String,
    pub reason_en: String,
    pub a: DuplicateSide,
    pub b: DuplicateSide,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuplicatesParams {
    /// At most this many pairs (default 100, at most 500).
    pub limit: Option<u32>,
}

pub async fn find(
    state: &AppState,
    user: &User,
    limit: u32,
    route: &str,
) -> Result<Vec<DuplicatePairView>, RegisterError> {
    if !may_merge(user) {
        return Err(forbid());
    }
    let pairs = state.store.duplicate_people(&user.scope_path, limit.clamp(1, 500)).await?;
    let people: Vec<PersonRecord> = pairs.iter().flat_map(|p| [p.a.clone(), p.b.clone()]).collect();
    let ids: Vec<Option<String>> =
        people.iter().map(|p| user.disclosure().id_number(p.id_number.as_deref())).collect();
    let shown = summaries(state, user, &people, route).await?;
    let mut sides =
        shown.into_iter().zip(ids).map(|(summary, id_number)| DuplicateSide { summary, id_number });
    Ok(pairs
        .iter()
        .filter_map(|p| {
            let (a, b) = (sides.next()?, sides.next()?);
            Some(DuplicatePairView {
                reason: p.reason,
                reason_zh: p.reason.label(true).to_owned(),
                reason_en: p.reason.label(false).to_owned(),
                a,
                b,
            })
        })
        .collect())
}

#[derive(Serialize, ToSchema, Clone)]
pub struct MergeView {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
    pub kept_id: String,
    pub merged_id: String,
    /// The records that came over, by table: `samples 3, needs 1`.
    pub moved: String,
}

impl From<MergeRecord> for MergeView {
    fn from(m: MergeRecord) -> Self {
        MergeView {
            at: m.at,
            by: m.by,
            reason: m.reason,
            kept_id: m.kept_id,
            merged_id: m.merged_id,
            moved: m.moved,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct MergeRequest {
    /// The entry merged into this one (it goes).
    pub duplicate_id: String,
    /// Why they are one person: what was checked.
    pub reason: String,
}

/// Merges `req.duplicate_id` into `keep`, both in the user's areas.
pub async fn merge(
    state: &AppState,
    user: &User,
    keep: &str,
    req: &MergeRequest,
) -> Result<MergeView, RegisterError> {
    if !may_merge(user) {
        return Err(forbid());
    }
    let keep = PersonId::parse(keep).map_err(|_| RegisterError::NotFound)?;
    let duplicate = PersonId::parse(req.duplicate_id.trim())
        .map_err(|e| RegisterError::invalid("duplicate_id", e.reason().to_owned()))?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(RegisterError::invalid(
            "reason",
            "say in 1 to 500 characters what shows they are one person",
        ));
    }
    let done = state
        .store
        .merge_people(&PersonMerge {
            scope: &user.scope_path,
            keep: &keep,
            duplicate: &duplicate,
            by: &user.username,
            reason,
            at: state.now(),
        })
        .await
        .map_err(|e| match e {
            cordon_store::StoreError::NotFound(_) => RegisterError::Missing(format!(
                "{} or {} is not an entry of your areas",
                keep.as_str(),
                duplicate.as_str()
            )),
            cordon_store::StoreError::Invalid(m) => {
                RegisterError::invalid("duplicate_id", m.trim_start_matches("duplicate_id: ").to_owned())
            }
            other => other.into(),
        })?;
    tracing::info!(by = %user.username, merge = done.id, "two register entries merged");
    // The scans the trace engine holds in memory name the old id: read them again.
    if done.moved.contains("scans") {
        let (state, store) = (state.clone(), state.store.clone());
        tokio::spawn(async move {
            if let Err(e) = state.scans.refresh(&store).await {
                tracing::error!(error = %e, "the scan index was not read again after a merge");
            }
        });
    }
    state.store.audit_reads(user, &[keep, duplicate], "POST /api/v1/people/{id}/merge", state.now()).await?;
    Ok(done.into())
}

/// The entry an id was merged into, when that entry is inside the user's areas.
pub async fn merged_into(
    state: &AppState,
    user: &User,
    id: &PersonId,
) -> Result<Option<String>, RegisterError> {
    for m in state.store.person_merges(id).await? {
        if m.merged_id == id.as_str()
            && let Ok(kept) = PersonId::parse(&m.kept_id)
            && state.store.person(&user.scope_path, &kept).await?.is_some()
        {
            return Ok(Some(m.kept_id));
        }
    }
    Ok(None)
}
