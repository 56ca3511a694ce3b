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
use cordon_domain::cases::local_midnight;
use cordon_domain::followup::{
    FollowUp, HealthCheck, Hold, PlanSample, Symptom, TestDay, Verdict, first_missed, follow_up, testing_on,
};
use cordon_domain::{ContactKind, ContactStatus, Profile, Schedule};
use cordon_store::{CheckRecord, ContactRecord, Missed, StoreError, TestWindow, User};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{ContactView, contact_views, require_view};
use crate::AppState;
use crate::zones::{check_time, profiles};

/// Who releases contacts when their plans end.
pub const RELEASED_BY: &str = "cordon (plan ended)";
/// Contacts examined per read of the release.
const PAGE: u32 = 5_000;
/// Pages of the release read at once, ahead of the one being decided and written: two keep two
/// cores busy reading while a third thread writes.
const READS_AHEAD: usize = 2;

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
    /// Refused by the cases' service, called on the way.
    #[error(transparent)]
    Case(Box<super::CaseError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<cordon_domain::DomainError> for FollowUpError {
    fn from(e: cordon_domain::DomainError) -> Self {
        FollowUpError::Invalid { field: e.field(), message: e.reason().to_owned() }
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
    schedule_of(profiles, &c.case_profile_key, c.kind, c.quarantine_from)
}

/// The plan of a contact of `kind` whose case is under `profile_key`, begun on `starts`.
fn schedule_of(
    profiles: &HashMap<String, Profile>,
    profile_key: &str,
    kind: ContactKind,
    starts: chrono::NaiveDate,
) -> Option<Schedule> {
    let plan = profiles.get(profile_key).and_then(|p| kind.plan(p))?;
    Some(Schedule::new(plan, starts))
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
    let c = write_check(state, user, id, req, None).await?;
    view(state, user, c, route).await
}

/// Writes the check under the same rules, with the id a phone made for it when it took it
/// offline; returns the contact.
pub(super) async fn write_check(
    state: &AppState,
    user: &User,
    id: i64,
    req: &HealthCheckRequest,
    action: Option<&str>,
) -> Result<ContactRecord> {
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
    state.store.add_check(c.id, &check, &user.username, action).await?;
    Ok(c)
}

/// Whether the rule allows releasing `c` by hand now: the plan over, every test day negative,
/// the last check well. A contact with no plan under their case's profile is released by
/// judgement alone.
pub(super) async fn check_release(state: &AppState, c: &ContactRecord) -> Result<()> {
    let profiles = profiles(state).await?;
    let (verdicts, _) = assess(state, &profiles, std::slice::from_ref(c), state.now()).await?;
    match verdicts.into_iter().next().flatten().map(|f| f.verdict) {
        None | Some(Verdict::Release { .. }) => Ok(()),
        Some(Verdict::UnderWay) => {
            let ends = plan_of(&profiles, c).map(|p| p.ends.to_string()).unwrap_or_default();
            Err(FollowUpError::Conflict(format!("the plan is not over: it ends on {ends}")))
        }
        Some(Verdict::Held { hold }) => Err(FollowUpError::Conflict(format!("held: {}", hold_reason(&hold)))),
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
/// well, as of `now`: first records the end of plans traced before ends were kept, then reads
/// the contacts due on the plan-end index a page at a time — one row a contact, with their latest
/// check and all their samples as one JSON text — decides each by the domain's rule and
/// releases each page's in one statement, while the next two pages are read. The nightly task
/// and `cordon bench` call it; running it twice releases nobody twice.
pub async fn release_due(state: &AppState, now: DateTime<Utc>) -> Result<ReleaseRun> {
    let profiles = profiles(state).await?;
    let tz = state.config.tz;
    let today = now.with_timezone(&tz).date_naive();
    let mut run = ReleaseRun::default();
    let mut after = 0;
    loop {
        let page = state.store.unplanned_contacts(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let ends: Vec<(i64, chrono::NaiveDate)> = page
            .iter()
            .filter_map(|c| {
                Some((c.id, schedule_of(&profiles, &c.case_profile_key, c.kind, c.quarantine_from)?.ends))
            })
            .collect();
        if !ends.is_empty() {
            state.store.set_plan_ends(&ends).await?;
            run.plans_recorded += ends.len() as u64;
        }
    }
    // The contacts due are cut in stretches of a page, read side by side (each read on its own
    // connection, in its own thread on SQLite, and turned into plans in a task of its own, so
    // on a worker thread of its own) while the pages already read are decided and released: the
    // writes only take contacts out of pages read, so the stretches still ahead hold what they
    // held.
    let stretches = state.store.due_stretches(today, PAGE).await?;
    let (pages_tx, pages_rx) = tokio::sync::mpsc::channel(READS_AHEAD);
    let read = async {
        let pages_tx = pages_tx; // owned: dropped when the reads end, however they end
        let reads = stretches.into_iter().map(|range| {
            let store = state.store.clone();
            let page = tokio::spawn(async move { store.due_plans(today, now, range).await });
            async move { page.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())) }
        });
        let mut reads = futures::stream::iter(reads).buffered(READS_AHEAD);
        while let Some(page) = reads.next().await {
            if pages_tx.send(page?).await.is_err() {
                break;
            }
        }
        Ok::<_, StoreError>(())
    };
    let release = async {
        let mut pages = pages_rx; // owned: dropped when the writes end, however they end
        while let Some(page) = pages.recv().await {
            run.examined += page.len() as u64;
            let mut release = Vec::new();
            for p in &page {
                let c = &p.contact;
                let Some(plan) = schedule_of(&profiles, &c.case_profile_key, c.kind, c.quarantine_from)
                else {
                    // No plan under the case's profile (its rules changed since): a person decides.
                    continue;
                };
                match follow_up(&plan, &p.samples, p.last_check.as_slice(), now, tz).verdict {
                    Verdict::Release { .. } => release.push(c.id),
                    Verdict::Held { hold: Hold::Missed { .. } } => run.held_missed += 1,
                    Verdict::Held { hold: Hold::Awaiting { .. } } => run.held_awaiting += 1,
                    Verdict::Held { hold: Hold::Positive { .. } } => run.held_positive += 1,
                    Verdict::Held { hold: Hold::Unwell { .. } } => run.held_unwell += 1,
                    // The recorded end is later than the rule's (its rules changed since).
                    Verdict::UnderWay => {}
                }
            }
            if !release.is_empty() {
                run.released += state.store.release_contacts(&release, now, RELEASED_BY).await?;
            }
        }
        Ok::<_, StoreError>(())
    };
    // A failed write drops the receiver, which stops the reads; a failed read closes the
    // channel, which ends the writes after the pages already read.
    let (read, release) = tokio::join!(read, release);
    release?;
    read?;
    Ok(run)
}

/// What one pass over the test days missed did.
#[derive(Serialize, ToSchema, Debug, Default, Clone, PartialEq, Eq)]
pub struct OverdueRun {
    /// The local days whose test days were examined (none when they were already).
    pub days: Vec<chrono::NaiveDate>,
    /// Contacts newly marked as having missed a test day.
    pub marked: u64,
    /// Contacts marked earlier who gave a sample in the missed day's window since, looked at
    /// again: made up (cleared, or moved on to a later day missed) or not.
    pub looked_again: u64,
    pub cleared: u64,
}

/// The window in which a sample makes up the test day `day`: until the next test day begins.
fn missed_window(day: chrono::NaiveDate, next: Option<chrono::NaiveDate>, tz: chrono_tz::Tz) -> Missed {
    Missed { from: local_midnight(day, tz), until: next.map(|n| local_midnight(n, tz)) }
}

/// 应检未检: keeps each contact's first test day missed, as of `now`. Marks, for every local day
/// after `through` (the last day already marked; none: since the earliest quarantine followed)
/// and before today, the contacts of each plan that tested that day who gave no readable sample
/// before their next test day — found by the day their quarantine began, one statement per
/// plan, test day and start, never reading a contact's plan — then looks again at those marked
/// who have since given a sample in that window. Returns the last day marked through, for the
/// next call.
pub async fn keep_overdue(
    state: &AppState,
    now: DateTime<Utc>,
    through: Option<chrono::NaiveDate>,
) -> Result<(OverdueRun, chrono::NaiveDate)> {
    let profiles = profiles(state).await?;
    let tz = state.config.tz;
    let yesterday = now.with_timezone(&tz).date_naive() - chrono::Duration::days(1);
    let first = match through {
        Some(d) => d + chrono::Duration::days(1),
        None => state.store.earliest_followed().await?.unwrap_or(yesterday + chrono::Duration::days(1)),
    };
    let mut run = OverdueRun::default();
    let mut day = first;
    while day <= yesterday {
        for (key, profile) in &profiles {
            for kind in [ContactKind::Close, ContactKind::Secondary] {
                let Some(plan) = kind.plan(profile) else { continue };
                for (quarantine_from, next) in testing_on(plan, day) {
                    let window = TestWindow {
                        profile_key: key.clone(),
                        kind,
                        quarantine_from,
                        window: missed_window(day, next, tz),
                    };
                    run.marked += state.store.mark_overdue(&window).await?;
                }
            }
        }
        run.days.push(day);
        day += chrono::Duration::days(1);
    }
    let mut after = 0;
    loop {
        let page = state.store.made_up_plans(now, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.contact.id;
        run.looked_again += page.len() as u64;
        let marks: Vec<(i64, Option<Missed>)> = page
            .iter()
            .map(|p| {
                let c = &p.contact;
                let missed = schedule_of(&profiles, &c.case_profile_key, c.kind, c.quarantine_from)
                    .and_then(|plan| first_missed(&follow_up(&plan, &p.samples, &[], now, tz).tests))
                    .map(|(d, next)| missed_window(d, next, tz));
                (c.id, missed)
            })
            .collect();
        run.cleared += marks.iter().filter(|(_, m)| m.is_none()).count() as u64;
        state.store.set_overdue(&marks).await?;
    }
    Ok((run, yesterday.max(first - chrono::Duration::days(1))))
}

impl From<super::CaseError> for FollowUpError {
    fn from(e: super::CaseError) -> Self {
        FollowUpError::Case(Box::new(e))
    }
}
