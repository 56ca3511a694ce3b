//! 医学观察: contacts followed to the end of their plans — each test day of the plan checked
//! against the samples the person gave, the daily health check a worker records, and the
//! release: automatic (a task every few minutes releases each contact whose plan is over with
//! every test day negative), or by hand, which the same rule allows or refuses. A contact held
//! shows why: a test day to make up, a result awaited, a positive, a fever.
//!
//! The rules are the domain's (`followup`); this module reads the plans' samples and checks in
//! one statement per few hundred contacts, decides who may do what, and audits every person it
//! shows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cordon_domain::followup::{
    FollowUp, HealthCheck, Hold, PlanSample, Symptom, TestDay, Verdict, follow_up,
};
use cordon_domain::{ContactStatus, Profile, Schedule};
use cordon_store::{CheckRecord, ContactRecord, StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{ContactView, contact_views, require_view};
use crate::AppState;
use crate::http::error::ApiError;
use crate::zones::{check_time, profiles};

/// Who releases contacts when their plans end.
pub const RELEASED_BY: &str = "cordon (plan ended)";
/// Contacts examined per read of the release.
const PAGE: u32 = 5_000;

/// What following a contact up can refuse.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    #[error("no contact {0} in your areas")]
    NotFound(i64),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Not this user's to do.
    #[error("{0}")]
    Refused(String),
    /// Not now: the contact's state does not allow it.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Read(ApiError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for FollowUpError {
    fn from(e: StoreError) -> Self {
        FollowUpError::Store(e)
    }
}

impl From<ApiError> for FollowUpError {
    fn from(e: ApiError) -> Self {
        FollowUpError::Read(e)
    }
}

impl From<cordon_domain::DomainError> for FollowUpError {
    fn from(e: cordon_domain::DomainError) -> Self {
        FollowUpError::Invalid { field: e.field(), message: e.reason().to_owned() }
    }
}

impl From<FollowUpError> for ApiError {
    fn from(e: FollowUpError) -> Self {
        match e {
            FollowUpError::NotFound(id) => ApiError::Missing(format!("no contact {id} in your areas")),
            FollowUpError::Invalid { field, message } => ApiError::invalid(field, message),
            FollowUpError::Refused(m) => ApiError::Forbidden(m),
            FollowUpError::Conflict(m) => ApiError::Conflict(m),
            FollowUpError::Read(e) => e,
            FollowUpError::Store(e) => ApiError::from(e),
        }
    }
}

type Result<T> = std::result::Result<T, FollowUpError>;

/// 健康监测: one daily check as a worker (or the resident) records it.
#[derive(Deserialize, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckRequest {
    /// Body temperature in °C, one decimal (36.6).
    pub temperature: f64,
    /// cough, sore_throat, fatigue, loss_of_smell, diarrhoea, breathless; none when well.
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// When it was taken; now when none.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct HealthCheckView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// °C.
    pub temperature: f64,
    pub symptoms: Vec<Symptom>,
    /// A fever (from 37.3 °C) or a symptom.
    pub unwell: bool,
    pub recorded_by: String,
}

impl HealthCheckView {
    fn of(c: &CheckRecord) -> Self {
        HealthCheckView {
            id: c.id,
            at: c.check.at,
            temperature: f64::from(c.check.temperature) / 10.0,
            symptoms: c.check.symptoms.clone(),
            unwell: c.check.is_unwell(),
            recorded_by: c.recorded_by.clone(),
        }
    }
}

/// A contact with their plan day by day, the checks and where they stand.
#[derive(Serialize, ToSchema)]
pub struct ContactFollowUp {
    pub contact: ContactView,
    /// Each test day of the plan: ahead, due today, missed, pending, negative or positive.
    pub tests: Vec<TestDay>,
    /// Test days passed without a sample.
    pub missed: usize,
    /// Under way, to release, or held with the reason; none when the plan does not apply (no
    /// plan under the case's profile, or the contact is no longer followed).
    pub verdict: Option<Verdict>,
    pub checks: Vec<HealthCheckView>,
    /// The case this contact became.
    pub became_case_id: Option<i64>,
    pub released_at: Option<DateTime<Utc>>,
}

/// What one run of the release did.
#[derive(Serialize, ToSchema, Debug, Default, Clone, PartialEq, Eq)]
pub struct ReleaseRun {
    /// Contacts under follow-up whose plan had ended (or whose end was not recorded yet).
    pub examined: u64,
    pub released: u64,
    /// Held: a test day without a sample, a result awaited, a positive, a fever.
    pub held_missed: u64,
    pub held_awaiting: u64,
    pub held_positive: u64,
    pub held_unwell: u64,
    /// Plans whose end was recorded in this run (traced before ends were kept).
    pub plans_recorded: u64,
}

fn plan_of(profiles: &HashMap<String, Profile>, c: &ContactRecord) -> Option<Schedule> {
    let plan = profiles.get(&c.case_profile_key).and_then(|p| c.kind.plan(p))?;
    Some(Schedule::new(plan, c.quarantine_from))
}

/// Each contact's plan at `now` against their samples and checks, read in one pass for all.
async fn assess(
    state: &AppState,
    profiles: &HashMap<String, Profile>,
    contacts: &[ContactRecord],
    now: DateTime<Utc>,
) -> Result<(Vec<Option<FollowUp>>, HashMap<i64, Vec<CheckRecord>>)> {
    let mut people: Vec<String> = contacts.iter().map(|c| c.person_id.clone()).collect();
    people.sort();
    people.dedup();
    let ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
    let (samples, checks) = tokio::try_join!(state.store.samples_of(&people), state.store.checks(&ids))?;
    let mut by_person: HashMap<&str, Vec<PlanSample>> = HashMap::new();
    for s in &samples {
        by_person.entry(s.person_id.as_str()).or_default().push(s.sample);
    }
    let mut by_contact: HashMap<i64, Vec<CheckRecord>> = HashMap::new();
    for c in checks {
        by_contact.entry(c.contact_id).or_default().push(c);
    }
    let tz = state.config.tz;
    let verdicts = contacts
        .iter()
        .map(|c| {
            let plan = plan_of(profiles, c)?;
            let samples = by_person.get(c.person_id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let checks: Vec<HealthCheck> = by_contact
                .get(&c.id)
                .map(|v| v.iter().map(|r| r.check.clone()).collect())
                .unwrap_or_default();
            Some(follow_up(&plan, samples, &checks, now, tz))
        })
        .collect();
    Ok((verdicts, by_contact))
}

async fn visible_contact(state: &AppState, user: &User, id: i64) -> Result<ContactRecord> {
    require_view(user)?;
    state.store.contact(&user.scope_path, id).await?.ok_or(FollowUpError::NotFound(id))
}

/// A contact of `user`'s areas with their plan day by day and their checks.
pub async fn followup(state: &AppState, user: &User, id: i64, route: &str) -> Result<ContactFollowUp> {
    let c = visible_contact(state, user, id).await?;
    view(state, user, c, route).await
}

/// The follow-up of `c`, a contact `user` may see, as of now.
async fn view(state: &AppState, user: &User, c: ContactRecord, route: &str) -> Result<ContactFollowUp> {
    let profiles = profiles(state).await?;
    let (mut verdicts, mut checks) = assess(state, &profiles, std::slice::from_ref(&c), state.now()).await?;
    let view = contact_views(state, user, std::slice::from_ref(&c), route).await?.remove(0);
    let f = verdicts.pop().flatten();
    let following = matches!(c.status, ContactStatus::Identified | ContactStatus::Quarantined);
    Ok(ContactFollowUp {
        contact: view,
        missed: f.as_ref().map_or(0, FollowUp::missed),
        verdict: f.as_ref().filter(|_| following).map(|f| f.verdict),
        tests: f.map(|f| f.tests).unwrap_or_default(),
        checks: checks.remove(&c.id).unwrap_or_default().iter().map(HealthCheckView::of).collect(),
        became_case_id: c.became_case_id,
        released_at: c.released_at,
    })
}

/// Records a health check of a contact living in `user`'s areas who is still followed up.
pub async fn record_check(
    state: &AppState,
    user: &User,
    id: i64,
    req: &HealthCheckRequest,
    route: &str,
) -> Result<ContactFollowUp> {
    let c = visible_contact(state, user, id).await?;
    if c.path.as_ref().is_some_and(|home| !user.scope_path.contains(home)) {
        return Err(FollowUpError::Refused(
            "this contact lives outside your areas: the team of the area they live in checks on them".into(),
        ));
    }
    if !matches!(c.status, ContactStatus::Identified | ContactStatus::Quarantined) {
        return Err(FollowUpError::Conflict(format!(
            "this contact is {} now: checks are recorded while a contact is followed up",
            c.status.as_str().replace('_', " ")
        )));
    }
    let now = state.now();
    let at = check_time("at", req.at, now)?;
    if at < c.identified_at {
        return Err(FollowUpError::Invalid {
            field: "at",
            message: "is before the contact was identified".into(),
        });
    }
    let symptoms =
        req.symptoms.iter().map(|s| Symptom::parse(s)).collect::<std::result::Result<Vec<_>, _>>()?;
    let check = HealthCheck::new(at, req.temperature, symptoms)?;
    state.store.add_check(c.id, &check, &user.username).await?;
    view(state, user, c, route).await
}

/// Whether the rule allows releasing `c` by hand now: the plan over, every test day negative,
/// the last check well. A contact with no plan under their case's profile is released by
/// judgement alone.
pub(super) async fn check_release(state: &AppState, c: &ContactRecord) -> std::result::Result<(), ApiError> {
    let profiles = profiles(state).await?;
    let (verdicts, _) =
        assess(state, &profiles, std::slice::from_ref(c), state.now()).await.map_err(ApiError::from)?;
    match verdicts.into_iter().next().flatten().map(|f| f.verdict) {
        None | Some(Verdict::Release { .. }) => Ok(()),
        Some(Verdict::UnderWay) => {
            let ends = plan_of(&profiles, c).map(|p| p.ends.to_string()).unwrap_or_default();
            Err(ApiError::Conflict(format!("the plan is not over: it ends on {ends}")))
        }
        Some(Verdict::Held { hold }) => Err(ApiError::Conflict(format!("held: {}", hold_reason(&hold)))),
    }
}

/// Why a contact is held, in a sentence.
pub fn hold_reason(h: &Hold) -> String {
    match h {
        Hold::Missed { date } => format!("no sample on test day {date}: make it up"),
        Hold::Awaiting { date } => format!("the result of test day {date} is not in"),
        Hold::Positive { date } => format!("the sample of {date} is positive: open a case"),
        Hold::Unwell { at } => {
            format!("the check of {} found a fever or a symptom", at.format("%F %H:%M UTC"))
        }
    }
}

/// Releases every contact whose plan is over with every test day negative and the last check
/// well, as of `now`: reads the contacts due on an index, a page at a time, with their samples
/// and checks, and releases each page's in one statement. The nightly task and `cordon bench`
/// call it; running it twice releases nobody twice.
pub async fn release_due(state: &AppState, now: DateTime<Utc>) -> Result<ReleaseRun> {
    let profiles = profiles(state).await?;
    let today = now.with_timezone(&state.config.tz).date_naive();
    let mut run = ReleaseRun::default();
    let mut after = 0;
    loop {
        let page = state.store.due_contacts(today, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        run.examined += page.len() as u64;
        let unrecorded: Vec<(i64, chrono::NaiveDate)> = page
            .iter()
            .filter(|c| c.plan_ends.is_none())
            .filter_map(|c| Some((c.id, plan_of(&profiles, c)?.ends)))
            .collect();
        if !unrecorded.is_empty() {
            state.store.set_plan_ends(&unrecorded).await?;
            run.plans_recorded += unrecorded.len() as u64;
        }
        let (verdicts, _) = assess(state, &profiles, &page, now).await?;
        let mut release = Vec::new();
        for (c, f) in page.iter().zip(verdicts) {
            match f.map(|f| f.verdict) {
                Some(Verdict::Release { .. }) => release.push(c.id),
                Some(Verdict::Held { hold: Hold::Missed { .. } }) => run.held_missed += 1,
                Some(Verdict::Held { hold: Hold::Awaiting { .. } }) => run.held_awaiting += 1,
                Some(Verdict::Held { hold: Hold::Positive { .. } }) => run.held_positive += 1,
                Some(Verdict::Held { hold: Hold::Unwell { .. } }) => run.held_unwell += 1,
                // Not over yet (a plan whose end was just recorded), or no plan at all: a
                // person decides.
                Some(Verdict::UnderWay) | None => {}
            }
        }
        if !release.is_empty() {
            run.released += state.store.release_contacts(&release, now, RELEASED_BY).await?;
        }
    }
    Ok(run)
}
