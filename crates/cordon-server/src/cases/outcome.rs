//! 转归: a case's course recorded to its end — admitted to a hospital, isolated at a site,
//! recovered and discharged, or died. A recovery is checked against the discharge rule of the
//! case's own profile (出院标准: so many negative tests so many hours apart after the positive,
//! read from the person's tubes), and starts the health monitoring at home the rule sets. A
//! case recovered or dead no longer makes its person positive at a gate; a death is the person's
//! too, in the register, in the same transaction.

use chrono::{DateTime, Utc};
use cordon_domain::CaseOutcome;
use cordon_store::{CaseChange, StoreError, User};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::CaseError;
use crate::AppState;
use crate::cases::{CaseDetail, detail};
use crate::zones::{check_time, profiles};

/// An outcome to record. Admitted and isolated name no place: they are the case's stay at a
/// hospital or a 方舱, recorded by its check-in (or here, for a stay checked in without the case).
#[derive(Deserialize, ToSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    /// hospitalised, isolated, recovered or died.
    pub outcome: String,
    /// When it happened; now when none. Not before the case's positive sample, nor (for a
    /// recovery) before the last negative test the discharge rests on.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// For a recovery: negative tests the hospital reports (when each was sampled), checked
    /// with those in Cordon's own results against the discharge rule and kept in the history.
    #[serde(default)]
    pub negative_tests: Vec<DateTime<Utc>>,
}

/// Records an outcome of a case of `user`'s areas and returns the case as its page shows it.
pub async fn record_outcome(
    state: &AppState,
    user: &User,
    id: i64,
    req: &OutcomeRequest,
    route: &str,
) -> Result<CaseDetail, CaseError> {
    record(state, user, id, req).await?;
    detail(state, user, id, route).await
}

/// Records an outcome of a case of `user`'s areas.
pub async fn record(state: &AppState, user: &User, id: i64, req: &OutcomeRequest) -> Result<(), CaseError> {
    super::service::require_manage(user)?;
    let case = super::service::visible_case(state, user, id).await?;
    let outcome = CaseOutcome::parse(&req.outcome)?;
    let now = state.now();
    let at = check_time("at", req.at, now)?;
    if at < case.sampled_at {
        return Err(CaseError::invalid("at", "is before the case's positive sample"));
    }
    cordon_domain::outcome::check_outcome(case.outcome, outcome)?;
    // Admitted or isolated is where the person stays: the open stay at a hospital or a 方舱
    // (a check-in there records it by itself; this names a stay checked in without the case).
    let (place, stay_id) = if outcome.needs_place() {
        let stays = state.store.stays_of(&case.person_id).await?;
        let stay = stays.into_iter().find(|y| y.checked_out_at.is_none()).ok_or_else(|| {
            CaseError::Conflict(format!(
                "{} stays at no site: check them in at the hospital or the 方舱 first, or order a transfer",
                case.person_id
            ))
        })?;
        outcome.check_site(stay.site_kind)?;
        if case.outcome == Some(outcome) && case.outcome_stay_id == Some(stay.id) {
            return Err(CaseError::Conflict(format!(
                "case {id} is {} at {} {} already",
                outcome.as_str(),
                stay.site_name,
                stay.room_label
            )));
        }
        (format!("{} {}", stay.site_name, stay.room_label), Some(stay.id))
    } else {
        (String::new(), None)
    };
    let (monitoring_until, tests) = match outcome {
        CaseOutcome::Recovered => {
            let profiles = profiles(state).await?;
            let rule = profiles.get(&case.profile_key).map(|p| p.discharge).unwrap_or_default();
            let mut negatives = state.store.negative_tests(&case.person_id).await?;
            for t in &req.negative_tests {
                negatives.push(check_time("negative_tests", Some(*t), now)?);
            }
            let chain = rule.met_by(case.sampled_at, &negatives)?;
            let last = *chain.last().expect("a rule needs at least one negative");
            if at < last {
                return Err(CaseError::invalid(
                    "at",
                    format!("is before the last negative test the discharge rests on ({last})"),
                ));
            }
            (Some(rule.monitoring_until(at)), chain)
        }
        _ => (None, vec![]),
    };
    let change =
        CaseChange::Outcome { from: case.outcome, outcome, at, place, monitoring_until, tests, stay_id };
    state.store.change_case(id, &change, now, &user.username).await.map_err(|e| match e {
        StoreError::Rule(d) => CaseError::from(d),
        other => other.into(),
    })?;
    tracing::info!(by = %user.username, case = id, outcome = outcome.as_str(), "a case's outcome was recorded");
    Ok(())
}
