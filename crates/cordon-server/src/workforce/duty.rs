//! 报到与值班: a worker's own sign-in. A sign-in linked to a worker of the roster (by the office
//! that manages it) reports in (报到) at a community from the worker's own phone, goes off duty
//! and back on, under the profile's shift rule: at most so many hours on duty in one go, so many
//! hours of rest after. The office sees each worker's state on the workforce page; the coverage's
//! suggestions propose no one resting or overdue for rest.

use chrono::{DateTime, Utc};
use cordon_domain::duty::{DutyState, ShiftRule};
use cordon_domain::{AreaCode, AreaLevel, AreaPath};
use cordon_store::{StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{WorkerView, local_today};
use crate::AppState;

/// Why a worker's own reporting in or shift was refused.
#[derive(Debug, thiserror::Error)]
pub enum DutyError {
    #[error("your sign-in is not linked to a worker of the roster: ask the office that manages your sign-in")]
    NotLinked,
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Not now: on duty already, resting, not reported in, one community a day.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DutyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => DutyError::Conflict(m),
            StoreError::Invalid(m) => DutyError::Invalid { field: "community_code", message: m },
            e => DutyError::Store(e),
        }
    }
}

type Result<T> = std::result::Result<T, DutyError>;

/// Where the signed-in worker stands.
#[derive(Serialize, ToSchema, Clone)]
pub struct DutyView {
    pub worker: WorkerView,
    /// The community reported to today, if any.
    #[schema(value_type = Option<String>)]
    pub reported_to: Option<AreaCode>,
    pub duty: DutyState,
    /// The profile's shift rule in force.
    pub rule: ShiftRule,
    /// The communities the worker may report to: the one of their areas, or those inside them.
    pub communities: Vec<CommunityChoice>,
}

/// A community a worker may report to.
#[derive(Serialize, ToSchema, Clone)]
pub struct CommunityChoice {
    #[schema(value_type = String)]
    pub code: AreaCode,
    pub name: String,
}

/// What the worker does: report in at a community (and so go on duty), go off, or back on.
#[derive(Deserialize, ToSchema, Debug, Default, Clone)]
pub struct DutyRequest {
    /// report_in, off or on.
    pub action: String,
    /// report_in: the community reported to (the one of one's areas, or one inside them).
    #[serde(default)]
    pub community_code: Option<String>,
}

/// The shift rule of the profile in force.
pub async fn shift_rule(state: &AppState) -> std::result::Result<ShiftRule, StoreError> {
    let key = crate::zones::profile_in_force(state).await?;
    Ok(crate::zones::profiles(state).await?.get(&key).map(|p| p.shifts).unwrap_or_default())
}

/// Each of these workers' state now, by the rule in force (none: off).
pub async fn duty_states(
    state: &AppState,
    worker_ids: &[String],
) -> std::result::Result<std::collections::HashMap<String, DutyState>, StoreError> {
    let rule = shift_rule(state).await?;
    let now = state.now();
    let latest = state.store.latest_shifts(worker_ids).await?;
    Ok(latest.into_iter().map(|(w, s)| (w, rule.state(Some(s.span()), now))).collect())
}

async fn linked(state: &AppState, user: &User) -> Result<cordon_store::WorkerRecord> {
    let id = user.worker_id.as_deref().ok_or(DutyError::NotLinked)?;
    state.store.worker(id).await?.ok_or(DutyError::NotLinked)
}

/// The community above the user's areas, or the communities just inside them (a street's).
async fn communities(state: &AppState, user: &User) -> Result<Vec<CommunityChoice>> {
    let areas = state.store.areas_on(std::slice::from_ref(&user.scope_path)).await?;
    let above = cordon_store::lineage(&areas, &user.scope_path)
        .into_iter()
        .find(|a| a.level == AreaLevel::Community)
        .map(|a| CommunityChoice { code: a.code.clone(), name: a.name.clone() });
    if let Some(c) = above {
        return Ok(vec![c]);
    }
    Ok(state
        .store
        .children(&user.scope_path, &user.scope)
        .await?
        .into_iter()
        .filter(|n| n.area.level == AreaLevel::Community)
        .map(|n| CommunityChoice { code: n.area.code, name: n.area.name })
        .collect())
}

async fn view(state: &AppState, user: &User, worker: &cordon_store::WorkerRecord) -> Result<DutyView> {
    let rule = shift_rule(state).await?;
    let latest = state.store.latest_shifts(std::slice::from_ref(&worker.worker_id)).await?;
    Ok(DutyView {
        worker: WorkerView::of(worker),
        reported_to: state.store.reported_to(&worker.worker_id, local_today(state)).await?,
        duty: rule.state(latest.get(&worker.worker_id).map(|s| s.span()), state.now()),
        rule,
        communities: communities(state, user).await?,
    })
}

/// The signed-in worker's standing.
pub async fn my_duty(state: &AppState, user: &User) -> Result<DutyView> {
    let worker = linked(state, user).await?;
    view(state, user, &worker).await
}

/// A community the worker may report to: the community of their areas, or one inside them.
async fn community_of(state: &AppState, user: &User, code: Option<&str>) -> Result<AreaCode> {
    let invalid = |m: String| DutyError::Invalid { field: "community_code", message: m };
    let code =
        code.map(str::trim).filter(|c| !c.is_empty()).ok_or_else(|| invalid("name the community".into()))?;
    let code = AreaCode::parse(code).map_err(|e| invalid(e.reason().to_owned()))?;
    let node = state.store.area(&AreaPath::root(), &code).await?;
    let near = |p: &AreaPath| p.contains(&user.scope_path) || user.scope_path.contains(p);
    match node {
        Some(n) if near(&n.area.path) && n.area.level == AreaLevel::Community => Ok(code),
        Some(n) if near(&n.area.path) => Err(invalid(format!(
            "{} is a {}: workers report to a community",
            n.area.name,
            n.area.level.as_str()
        ))),
        _ => Err(invalid(format!("no community {code} of your areas"))),
    }
}

/// The worker's duty now under the rule in force.
async fn duty_now(state: &AppState, worker: &str, now: DateTime<Utc>) -> Result<(ShiftRule, DutyState)> {
    let rule = shift_rule(state).await?;
    let latest = state.store.latest_shifts(&[worker.to_owned()]).await?;
    Ok((rule, rule.state(latest.get(worker).map(|s| s.span()), now)))
}

/// Refuses a shift that would break the rule: on duty already, or resting still.
fn check_rest(rule: ShiftRule, duty: DutyState) -> Result<()> {
    rule.may_start_from(duty).map_err(|e| DutyError::Conflict(e.reason().to_owned()))
}

/// Reports in, goes off or back on, as the signed-in worker.
pub async fn act(state: &AppState, user: &User, req: &DutyRequest) -> Result<DutyView> {
    let worker = linked(state, user).await?;
    let (id, now, today) = (worker.worker_id.as_str(), state.now(), local_today(state));
    match req.action.trim() {
        "report_in" => {
            let community = community_of(state, user, req.community_code.as_deref()).await?;
            let (rule, duty) = duty_now(state, id, now).await?;
            let on_duty = matches!(duty, DutyState::OnDuty { .. });
            // Resting: refused before anything is written. On duty: the report alone.
            if !on_duty {
                check_rest(rule, duty)?;
            }
            state.store.check_in(id, &community, today, now, &user.username).await?;
            if !on_duty {
                state.store.start_shift(id, &community, now, &user.username).await?;
            }
            tracing::info!(worker = id, community = %community, "a worker reported in from their phone");
        }
        "off" => {
            if state.store.end_shift(id, now).await?.is_none() {
                return Err(DutyError::Conflict("not on duty".into()));
            }
        }
        "on" => {
            let Some(community) = state.store.reported_to(id, today).await? else {
                return Err(DutyError::Conflict("report in first: today's community is not known".into()));
            };
            let (rule, duty) = duty_now(state, id, now).await?;
            check_rest(rule, duty)?;
            state.store.start_shift(id, &community, now, &user.username).await?;
        }
        other => {
            return Err(DutyError::Invalid {
                field: "action",
                message: format!("unknown action {other:?}; expected report_in, off or on"),
            });
        }
    }
    view(state, user, &worker).await
}
