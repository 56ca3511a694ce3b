//! Cases and contacts as the users work them (流调): opening a case, tracing its close and
//! secondary contacts from its household and the scan index, following the contacts up, the
//! transmission chain, and the public notice with the person removed.
//!
//! The rules are the domain's (`cases`, `notice`, `chain`) and the engine's (`cordon_trace`);
//! this module fetches, decides who may do what, and audits every person it shows.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::cases::{Phase, infectious_from, quarantine_start};
use cordon_domain::chain::{ChainCase, chain_of};
use cordon_domain::notice::{NoticeSegment, Transport, write_notice};
use cordon_domain::{
    AreaCode, AreaLevel, AreaPath, CaseClass, ContactKind, ContactSource, ContactStatus, PersonId, Right,
    Schedule,
};
use cordon_store::{
    CaseChange, CaseRecord, ChainRow, ContactQuery, ContactRecord, NewCase, NewContact, NewNotice,
    NewSegment, NoticeRecord, PeopleQuery, ScanFile, ScanRow, SegmentRecord, User,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::CaseError;
use crate::AppState;
use crate::reads::addresses;
use crate::zones::{check_note, check_time, profile_in_force, profiles};

/// The setting that holds k: a place seen by fewer people in a segment's window is given as its
/// street in a public notice.
pub const NOTICE_K_SETTING: &str = "notice_k";
pub const DEFAULT_NOTICE_K: i32 = 10;
/// The setting that holds the tracing window in minutes (formats.md: default 30).
pub const WINDOW_SETTING: &str = "trace_window_minutes";
pub const DEFAULT_WINDOW_MINUTES: i64 = 30;

// ---- permissions ----

/// Seeing cases and their contacts, and following contacts up (`view_cases`).
pub fn may_view(user: &User) -> bool {
    user.may(Right::ViewCases)
}

/// Opening, tracing and editing cases (`manage_cases`).
pub fn may_manage(user: &User) -> bool {
    user.may(Right::ManageCases)
}

pub(crate) fn require_view(user: &User) -> Result<(), CaseError> {
    if may_view(user) {
        Ok(())
    } else {
        Err(CaseError::Forbidden(
            "cases and contacts are for the offices, epidemiologists and community workers".into(),
        ))
    }
}

pub(super) fn require_manage(user: &User) -> Result<(), CaseError> {
    if may_manage(user) {
        Ok(())
    } else {
        Err(CaseError::Forbidden("cases are opened and traced by epidemiologists and the offices".into()))
    }
}

// ---- views ----

#[derive(Serialize, ToSchema, Clone)]
pub struct CaseView {
    pub id: i64,
    /// The public label: 无症状感染者12 / 确诊病例12.
    pub label_zh: String,
    pub label_en: String,
    pub person_id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub household: AreaCode,
    /// From the district down to the household.
    pub address: Vec<String>,
    pub class: CaseClass,
    pub onset: Option<NaiveDate>,
    pub sampled_at: DateTime<Utc>,
    /// From the profile: days before onset (or sampling).
    pub infectious_from: DateTime<Utc>,
    pub isolated_at: Option<DateTime<Utc>>,
    pub isolation_place: String,
    pub source_case_id: Option<i64>,
    pub profile: String,
    pub traced_at: Option<DateTime<Utc>>,
    pub close_contacts: i64,
    pub secondary_contacts: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// 转归: the last outcome recorded; none while none is.
    pub outcome: Option<cordon_domain::CaseOutcome>,
    pub outcome_at: Option<DateTime<Utc>>,
    /// Which hospital, which site and bed, as the stay named them when it was recorded.
    pub outcome_place: String,
    /// The stay that holds the case admitted or isolated (for a recovery, the last one).
    pub outcome_stay_id: Option<i64>,
    /// A recovered case's health monitoring at home ends then.
    pub monitoring_until: Option<DateTime<Utc>>,
}

pub fn labels(id: i64, class: CaseClass) -> (String, String) {
    let en = match class {
        CaseClass::Asymptomatic => format!("asymptomatic case {id}"),
        CaseClass::Confirmed => format!("confirmed case {id}"),
    };
    (format!("{}{id}", class.name_zh()), en)
}

#[derive(Serialize, ToSchema)]
pub struct CaseEventView {
    pub at: DateTime<Utc>,
    pub kind: String,
    /// What happened, in Chinese and English.
    pub text_zh: String,
    pub text_en: String,
    pub by: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct SegmentView {
    pub id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub venue_id: Option<String>,
    pub place: String,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area: Vec<String>,
    pub transport: Option<Transport>,
    pub transport_detail: String,
    /// People who scanned the venue in the segment's window (none without a venue).
    pub visitors: Option<u64>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ScheduleView {
    pub starts: NaiveDate,
    pub central_until: NaiveDate,
    pub ends: NaiveDate,
    pub test_dates: Vec<NaiveDate>,
    pub phase: Phase,
    /// Day of quarantine today (1 on the first).
    pub day: Option<u32>,
    pub next_test: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ContactView {
    pub id: i64,
    pub case_id: i64,
    pub person_id: String,
    /// The name when the contact lives in the reader's areas; none otherwise (or not in the
    /// register).
    pub name: Option<String>,
    pub address: Vec<String>,
    pub in_register: bool,
    pub kind: ContactKind,
    pub source: ContactSource,
    pub via_person_id: String,
    /// The name of whom they were found through, when that person lives in the reader's areas
    /// (the read audited like any other); else only the id.
    pub via_name: Option<String>,
    pub venue_id: Option<String>,
    pub venue_name: Option<String>,
    pub exposure_at: DateTime<Utc>,
    pub identified_at: DateTime<Utc>,
    pub status: ContactStatus,
    pub place: String,
    /// The quarantine under the case's profile; none when the profile does not identify this
    /// kind of contact.
    pub plan: Option<ScheduleView>,
    /// 应检未检: the first test day of the plan that passed without a sample, while not made up
    /// (marked the night after it).
    pub missed_test_day: Option<chrono::NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub status: String,
    pub k: i32,
    pub text_zh: String,
    pub text_en: String,
    /// Places given as their street only.
    pub generalised: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<String>,
}

impl NoticeView {
    fn of(n: &NoticeRecord) -> Self {
        NoticeView {
            id: n.id,
            status: n.status.as_str().to_owned(),
            k: n.k,
            text_zh: n.text_zh.clone(),
            text_en: n.text_en.clone(),
            generalised: n.generalised,
            created_at: n.created_at,
            created_by: n.created_by.clone(),
            published_at: n.published_at,
            published_by: n.published_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChainEntry {
    pub id: i64,
    pub label_zh: String,
    pub label_en: String,
    pub class: CaseClass,
    pub source_case_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    pub case: CaseView,
    pub history: Vec<CaseEventView>,
    pub trajectory: Vec<SegmentView>,
    /// Its sources, the case, and everyone it passed the infection on to.
    pub chain: Vec<ChainEntry>,
    pub notices: Vec<NoticeView>,
    pub may_manage: bool,
    pub may_publish: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TraceOutcome {
    pub close: usize,
    pub secondary: usize,
    /// Of the close contacts, household members.
    pub household: usize,
    /// New to this case (the others were found before and keep their follow-up).
    pub added: i64,
    pub kept: i64,
    /// Scans in the index searched.
    pub scans_indexed: usize,
    /// Time spent in the engine.
    pub engine_micros: u64,
}

// ---- reading ----

pub(super) async fn case_views(
    state: &AppState,
    user: &User,
    cases: &[CaseRecord],
    route: &str,
) -> Result<Vec<CaseView>, CaseError> {
    if cases.is_empty() {
        return Ok(vec![]);
    }
    let paths: Vec<AreaPath> = cases.iter().map(|c| c.path.clone()).collect();
    let addr = addresses(state, &paths).await?;
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let counts: HashMap<i64, cordon_store::ContactCounts> =
        state.store.contact_counts(&ids).await?.into_iter().collect();
    let people: Vec<PersonId> = cases.iter().filter_map(|c| PersonId::parse(&c.person_id).ok()).collect();
    state.store.audit_reads(user, &people, route, state.now()).await?;
    Ok(cases
        .iter()
        .zip(addr)
        .map(|(c, address)| {
            let (label_zh, label_en) = labels(c.id, c.class);
            let n = counts.get(&c.id).copied().unwrap_or_default();
            CaseView {
                id: c.id,
                label_zh,
                label_en,
                person_id: c.person_id.clone(),
                name: c.name.clone(),
                household: c.household.clone(),
                address,
                class: c.class,
                onset: c.onset,
                sampled_at: c.sampled_at,
                infectious_from: c.infectious_from,
                isolated_at: c.isolated_at,
                isolation_place: c.isolation_place.clone(),
                source_case_id: c.source_case_id,
                profile: c.profile_key.clone(),
                traced_at: c.traced_at,
                close_contacts: n.close,
                secondary_contacts: n.secondary,
                created_at: c.created_at,
                created_by: c.created_by.clone(),
                outcome: c.outcome,
                outcome_at: c.outcome_at,
                outcome_place: c.outcome_place.clone(),
                outcome_stay_id: c.outcome_stay_id,
                monitoring_until: c.monitoring_until,
            }
        })
        .collect())
}

pub async fn list(
    state: &AppState,
    user: &User,
    limit: u32,
    route: &str,
) -> Result<Vec<CaseView>, CaseError> {
    require_view(user)?;
    let cases = state.store.cases(&user.scope_path, limit).await?;
    case_views(state, user, &cases, route).await
}

pub(super) async fn visible_case(state: &AppState, user: &User, id: i64) -> Result<CaseRecord, CaseError> {
    require_view(user)?;
    state.store.case(&user.scope_path, id).await?.ok_or(CaseError::NotFound)
}

pub async fn detail(state: &AppState, user: &User, id: i64, route: &str) -> Result<CaseDetail, CaseError> {
    Ok(detail_and_chain(state, user, id, route).await?.0)
}

/// A case's detail and every case of the chain, fetched once, for a page that also draws the
/// chain (`chain_picture`).
pub async fn detail_and_chain(
    state: &AppState,
    user: &User,
    id: i64,
    route: &str,
) -> Result<(CaseDetail, Vec<ChainRow>), CaseError> {
    let case = visible_case(state, user, id).await?;
    let view = case_views(state, user, std::slice::from_ref(&case), route).await?.remove(0);
    let history = state
        .store
        .case_events(id)
        .await?
        .into_iter()
        .map(|e| {
            let (text_zh, text_en) = super::words::event_texts(&e.change);
            CaseEventView { at: e.at, kind: e.change.kind().to_owned(), text_zh, text_en, by: e.recorded_by }
        })
        .collect();
    let trajectory = segment_views(state, &state.store.segments(id).await?).await?;
    let rows = state.store.chain().await?;
    let chain_cases: Vec<ChainCase> =
        rows.iter().map(|r| ChainCase { id: r.id, source: r.source_case_id }).collect();
    let by_id: HashMap<i64, &ChainRow> = rows.iter().map(|r| (r.id, r)).collect();
    let chain = chain_of(&chain_cases, id)
        .into_iter()
        .filter_map(|cid| by_id.get(&cid))
        .map(|r| {
            let (label_zh, label_en) = labels(r.id, r.class);
            ChainEntry { id: r.id, label_zh, label_en, class: r.class, source_case_id: r.source_case_id }
        })
        .collect();
    let notices = state.store.notices(id).await?.iter().map(NoticeView::of).collect();
    let detail = CaseDetail {
        case: view,
        history,
        trajectory,
        chain,
        notices,
        may_manage: may_manage(user),
        may_publish: user.may(Right::Publish),
    };
    Ok((detail, rows))
}

async fn segment_views(state: &AppState, segments: &[SegmentRecord]) -> Result<Vec<SegmentView>, CaseError> {
    let paths: Vec<AreaPath> = segments.iter().map(|s| s.path.clone()).collect();
    let addr = addresses(state, &paths).await?;
    let index = state.scans.current();
    Ok(segments
        .iter()
        .zip(addr)
        .map(|(s, area)| SegmentView {
            id: s.id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            venue_id: s.venue_id.clone(),
            place: s.place.clone(),
            area_code: s.area.clone(),
            area,
            transport: s.transport,
            transport_detail: s.transport_detail.clone(),
            visitors: visitors(index.as_deref(), s),
        })
        .collect())
}

/// People at a segment's venue during it (an open segment counts one hour).
fn visitors(index: Option<&cordon_trace::engine::Scans>, s: &SegmentRecord) -> Option<u64> {
    let (index, venue) = (index?, s.venue_id.as_ref()?);
    let until = s.ends_at.unwrap_or(s.starts_at + chrono::Duration::hours(1));
    Some(index.visitors(venue.as_bytes(), s.starts_at.timestamp_micros(), until.timestamp_micros()))
}

// ---- opening and changing cases ----

pub struct OpenRequest {
    pub person_id: String,
    pub class: CaseClass,
    pub onset: Option<NaiveDate>,
    pub sampled_at: DateTime<Utc>,
    pub isolated_at: Option<DateTime<Utc>>,
    pub isolation_place: String,
    pub source_case_id: Option<i64>,
    pub note: String,
}

/// Opens a case under the profile in force, and records the positive in every zone around the
/// household (which proposes the zones the profile calls for).
pub async fn open(state: &AppState, user: &User, req: OpenRequest) -> Result<CaseView, CaseError> {
    if !(may_manage(user) || user.may(Right::OpenCases)) {
        return Err(CaseError::Forbidden("cases are opened by epidemiologists, labs and the offices".into()));
    }
    let now = state.now();
    let person_id = PersonId::parse(&req.person_id)
        .map_err(|e| CaseError::invalid("person_id", e.reason().to_owned()))?;
    let sampled_at = check_time("sampled_at", Some(req.sampled_at), now)?;
    let isolated_at = req.isolated_at.map(|t| check_time("isolated_at", Some(t), now)).transpose()?;
    if let Some(onset) = req.onset
        && onset > now.with_timezone(&state.config.tz).date_naive()
    {
        return Err(CaseError::invalid("onset_date", "is in the future"));
    }
    let note = check_note("note", &req.note, false)?;
    let place = check_note("isolation_place", &req.isolation_place, false)?;
    let key = profile_in_force(state).await?;
    let profiles = profiles(state).await?;
    let profile =
        profiles.get(&key).ok_or_else(|| CaseError::Internal(format!("profile in force {key} missing")))?;
    let new = NewCase {
        person_id: person_id.clone(),
        class: req.class,
        onset: req.onset,
        sampled_at,
        infectious_from: infectious_from(profile, req.onset, sampled_at, state.config.tz),
        isolated_at,
        isolation_place: place,
        source_case_id: req.source_case_id,
        profile_key: key,
        note,
        at: now,
        by: user.username.clone(),
    };
    let rec = state.store.open_case(&user.scope_path, &new).await.map_err(|e| match e {
        cordon_store::StoreError::NotFound(m) if m.starts_with("person") => {
            CaseError::invalid("person_id", format!("{person_id}: no such person in your areas"))
        }
        cordon_store::StoreError::NotFound(m) => {
            CaseError::invalid("source_case_id", format!("{m} not found"))
        }
        cordon_store::StoreError::Invalid(m) => CaseError::invalid("source_case_id", m),
        other => other.into(),
    })?;
    let (label, _) = labels(rec.id, rec.class);
    crate::zones::record_positive(
        state,
        user,
        Some(person_id.as_str()),
        None,
        Some(sampled_at),
        &format!("{label}（#{}）", rec.id),
    )
    .await?;
    Ok(case_views(state, user, std::slice::from_ref(&rec), "POST /api/v1/cases").await?.remove(0))
}

pub enum Change {
    Reclassify { to: CaseClass },
    Isolate { at: Option<DateTime<Utc>>, place: String },
    Link { source_case_id: Option<i64> },
    Note { text: String },
}

pub async fn change(state: &AppState, user: &User, id: i64, change: Change) -> Result<(), CaseError> {
    require_manage(user)?;
    let case = visible_case(state, user, id).await?;
    let now = state.now();
    let change = match change {
        Change::Reclassify { to } => CaseChange::Reclassified { from: case.class, to },
        Change::Isolate { at, place } => {
            let place = check_note("place", &place, true)?;
            CaseChange::Isolated { at: check_time("at", at, now)?, place }
        }
        Change::Link { source_case_id } => {
            if let Some(s) = source_case_id
                && state.store.case(&AreaPath::root(), s).await?.is_none()
            {
                return Err(CaseError::invalid("source_case_id", format!("no case {s}")));
            }
            CaseChange::Linked { source_case_id }
        }
        Change::Note { text } => CaseChange::Note { text: check_note("text", &text, true)? },
    };
    state.store.change_case(id, &change, now, &user.username).await.map_err(|e| match e {
        cordon_store::StoreError::Invalid(m) => CaseError::invalid(change.kind(), m),
        other => other.into(),
    })?;
    Ok(())
}

// ---- tracing ----

async fn setting_i64(state: &AppState, key: &str, default: i64) -> Result<i64, CaseError> {
    Ok(state.store.setting(key).await?.and_then(|v| v.parse().ok()).unwrap_or(default))
}

/// Traces a case: its household members and whoever scanned a venue code within the window of
/// its scans during its infectious period are close contacts; secondary contacts (when the
/// case's profile identifies them) come from the close contacts' later scans and households.
/// Each contact's quarantine starts today under the case's profile.
pub async fn trace(state: &AppState, user: &User, id: i64) -> Result<TraceOutcome, CaseError> {
    require_manage(user)?;
    let case = visible_case(state, user, id).await?;
    let index = state.scans.current().ok_or_else(|| {
        CaseError::NotReady("the scan index is still loading; try again in a minute".into())
    })?;
    let profiles = profiles(state).await?;
    let profile = profiles.get(&case.profile_key).ok_or_else(|| {
        CaseError::Internal(format!("case governed by missing profile {}", case.profile_key))
    })?;
    let window = setting_i64(state, WINDOW_SETTING, DEFAULT_WINDOW_MINUTES).await?;
    let case_people: HashSet<String> = state.store.case_people().await?.into_iter().map(|c| c.0).collect();
    let now = state.now();
    let tz = state.config.tz;
    let start = quarantine_start(now, tz);

    let secondary_wanted = profile.secondary_contact.is_some();
    let engine_case = cordon_trace::engine::Case {
        person: case.person_id.clone().into_bytes(),
        from: case.infectious_from.timestamp_micros(),
        until: case.isolated_at.map(|t| t.timestamp_micros()),
    };
    let engine_index = index.clone();
    let (found, engine_micros) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let (found, _) = cordon_trace::engine::trace(
            &engine_index,
            std::slice::from_ref(&engine_case),
            window * 60_000_000,
            secondary_wanted,
        );
        (found, started.elapsed().as_micros() as u64)
    })
    .await
    .map_err(|e| CaseError::Internal(format!("tracing: {e}")))?;

    let mut contacts: Vec<NewContact> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    seen.insert(case.person_id.clone());
    // The household first: living together is the closest contact there is.
    let exposure = case.isolated_at.unwrap_or(now).min(now);
    let household = state
        .store
        .search_people(&AreaPath::root(), &PeopleQuery::Household(case.household.clone()), 500)
        .await?;
    for p in &household {
        let pid = p.person_id.as_str().to_owned();
        if case_people.contains(&pid) || !seen.insert(pid.clone()) {
            continue;
        }
        contacts.push(NewContact {
            person_id: pid,
            kind: ContactKind::Close,
            source: ContactSource::Household,
            via_person_id: case.person_id.clone(),
            venue_id: None,
            exposure_at: exposure,
            quarantine_from: start,
            plan_ends: None,
        });
    }
    let household_count = contacts.len();
    let name = |id: u32| String::from_utf8_lossy(&index.people.name(id)).into_owned();
    let micros = |t: i64| DateTime::from_timestamp_micros(t).unwrap_or(now);
    // The engine lists close contacts before secondary ones, so a person found both ways (or in
    // the household above) keeps the closer kind.
    for c in &found {
        let pid = name(c.person);
        if case_people.contains(&pid) || !seen.insert(pid.clone()) {
            continue;
        }
        contacts.push(NewContact {
            person_id: pid,
            kind: match c.kind {
                cordon_trace::engine::Kind::Close => ContactKind::Close,
                cordon_trace::engine::Kind::Secondary => ContactKind::Secondary,
            },
            source: ContactSource::Venue,
            via_person_id: name(c.via),
            venue_id: Some(String::from_utf8_lossy(&index.venues.name(c.venue)).into_owned()),
            exposure_at: micros(c.exposure),
            quarantine_from: start,
            plan_ends: None,
        });
    }
    if secondary_wanted {
        let close: Vec<(String, DateTime<Utc>)> = contacts
            .iter()
            .filter(|c| c.kind == ContactKind::Close)
            .map(|c| (c.person_id.clone(), c.exposure_at))
            .collect();
        // The households of close contacts in the register.
        for (pid, exposed) in close {
            let Ok(id) = PersonId::parse(&pid) else { continue };
            let Some(p) = state.store.person(&AreaPath::root(), &id).await? else { continue };
            let members = state
                .store
                .search_people(&AreaPath::root(), &PeopleQuery::Household(p.household.clone()), 500)
                .await?;
            for m in members {
                let mid = m.person_id.as_str().to_owned();
                if case_people.contains(&mid) || !seen.insert(mid.clone()) {
                    continue;
                }
                contacts.push(NewContact {
                    person_id: mid,
                    kind: ContactKind::Secondary,
                    source: ContactSource::Household,
                    via_person_id: pid.clone(),
                    venue_id: None,
                    exposure_at: exposed,
                    quarantine_from: start,
                    plan_ends: None,
                });
            }
        }
    }
    // Each plan's end is kept with the contact, so the release finds those due on an index.
    for c in &mut contacts {
        c.plan_ends = c.kind.plan(profile).map(|plan| Schedule::new(plan, c.quarantine_from).ends);
    }
    let saved = state.store.save_contacts(id, &contacts, now, &user.username).await?;
    let close = contacts.iter().filter(|c| c.kind == ContactKind::Close).count();
    Ok(TraceOutcome {
        close,
        secondary: contacts.len() - close,
        household: household_count,
        added: saved.added,
        kept: saved.kept,
        scans_indexed: index.len(),
        engine_micros,
    })
}

// ---- contacts ----

fn schedule_view(plan: Option<Schedule>, today: NaiveDate) -> Option<ScheduleView> {
    plan.map(|s| ScheduleView {
        phase: s.phase(today),
        day: s.day(today),
        next_test: s.next_test(today),
        starts: s.starts,
        central_until: s.central_until,
        ends: s.ends,
        test_dates: s.test_dates,
    })
}

pub async fn contact_views(
    state: &AppState,
    user: &User,
    rows: &[ContactRecord],
    route: &str,
) -> Result<Vec<ContactView>, CaseError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let profiles = profiles(state).await?;
    let paths: Vec<AreaPath> = rows.iter().filter_map(|r| r.path.clone()).collect();
    let addr = addresses(state, &paths).await?;
    let mut addr = addr.into_iter();
    let today = state.now().with_timezone(&state.config.tz).date_naive();
    let mut read = Vec::new();
    // Whom they were found through, named in one read: only those living inside the reader's
    // areas, and each of them audited as read.
    let mut asked: Vec<String> = rows.iter().map(|r| r.via_person_id.clone()).collect();
    asked.sort_unstable();
    asked.dedup();
    let via = state.store.names_in(&user.scope_path, &asked).await?;
    read.extend(via.keys().filter_map(|v| PersonId::parse(v).ok()));
    let views = rows
        .iter()
        .map(|r| {
            let address = if r.path.is_some() { addr.next().unwrap_or_default() } else { vec![] };
            let mine = r.path.as_ref().is_some_and(|p| user.scope_path.contains(p));
            if mine && let Ok(id) = PersonId::parse(&r.person_id) {
                read.push(id);
            }
            let plan = profiles
                .get(&r.case_profile_key)
                .and_then(|p| r.kind.plan(p))
                .map(|plan| Schedule::new(plan, r.quarantine_from));
            ContactView {
                id: r.id,
                case_id: r.case_id,
                person_id: r.person_id.clone(),
                name: if mine { r.name.clone() } else { None },
                address: if mine { address } else { address.into_iter().take(2).collect() },
                in_register: r.path.is_some(),
                kind: r.kind,
                source: r.source,
                via_person_id: r.via_person_id.clone(),
                via_name: via.get(&r.via_person_id).cloned(),
                venue_id: r.venue_id.clone(),
                venue_name: r.venue_name.clone(),
                exposure_at: r.exposure_at,
                identified_at: r.identified_at,
                status: r.status,
                place: r.place.clone(),
                plan: schedule_view(plan, today),
                missed_test_day: r
                    .overdue_since
                    .filter(|_| matches!(r.status, ContactStatus::Identified | ContactStatus::Quarantined))
                    .map(|t| t.with_timezone(&state.config.tz).date_naive()),
            }
        })
        .collect();
    state.store.audit_reads(user, &read, route, state.now()).await?;
    Ok(views)
}

pub async fn contacts(
    state: &AppState,
    user: &User,
    query: &ContactQuery,
    route: &str,
) -> Result<Vec<ContactView>, CaseError> {
    require_view(user)?;
    if let Some(id) = query.case_id {
        visible_case(state, user, id).await?;
    }
    let rows = state.store.contacts(&user.scope_path, query).await?;
    contact_views(state, user, &rows, route).await
}

/// A contact's follow-up: placed in quarantine (and where), released, unreachable.
pub async fn update_contact(
    state: &AppState,
    user: &User,
    id: i64,
    status: ContactStatus,
    place: &str,
) -> Result<ContactView, CaseError> {
    require_view(user)?;
    let current = state.store.contact(&user.scope_path, id).await?.ok_or(CaseError::NotFound)?;
    // A contact is seen from the case's areas too, but changed only by the areas they live in:
    // their own community quarantines and releases them. One not in the register (a visitor)
    // is followed up by the case's team.
    if current.path.as_ref().is_some_and(|home| !user.scope_path.contains(home)) {
        return Err(CaseError::Forbidden(
            "this contact lives outside your areas: the team of the area they live in follows them up".into(),
        ));
    }
    if status == ContactStatus::BecameCase {
        return Err(CaseError::invalid("status", "a contact becomes a case when a case is opened for them"));
    }
    if current.status == ContactStatus::BecameCase {
        return Err(CaseError::Conflict("this contact is a case now: follow the case".into()));
    }
    if status == ContactStatus::Released && current.status != ContactStatus::Released {
        super::followup::check_release(state, &current).await?;
    }
    let place = check_note("place", place, status == ContactStatus::Quarantined && current.place.is_empty())?;
    let rec = state.store.update_contact(id, status, &place, state.now(), &user.username).await?;
    Ok(contact_views(state, user, std::slice::from_ref(&rec), "PATCH /api/v1/contacts/{id}").await?.remove(0))
}

// ---- trajectory and notices ----

pub struct SegmentRequest {
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub venue_id: Option<String>,
    pub area_code: Option<String>,
    pub place: String,
    pub transport: Option<Transport>,
    pub transport_detail: String,
}

pub async fn add_segment(
    state: &AppState,
    user: &User,
    id: i64,
    req: SegmentRequest,
) -> Result<SegmentView, CaseError> {
    require_manage(user)?;
    visible_case(state, user, id).await?;
    let now = state.now();
    let starts_at = check_time("starts_at", Some(req.starts_at), now)?;
    let ends_at = req.ends_at.map(|t| check_time("ends_at", Some(t), now)).transpose()?;
    let venue_id = req.venue_id.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let area = req
        .area_code
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .map(|a| AreaCode::parse(&a).map_err(|e| CaseError::invalid("area_code", e.reason().to_owned())))
        .transpose()?;
    if venue_id.is_none() && area.is_none() {
        return Err(CaseError::invalid("venue_id", "name the venue, or the area for a place without a code"));
    }
    let seg = NewSegment {
        starts_at,
        ends_at,
        venue_id,
        area,
        place: check_note("place", &req.place, false)?,
        transport: req.transport,
        transport_detail: check_note("transport_detail", &req.transport_detail, false)?,
        by: user.username.clone(),
    };
    let rec = state.store.add_segment(id, &seg).await.map_err(|e| match e {
        cordon_store::StoreError::NotFound(m) => CaseError::invalid("venue_id", format!("{m} not found")),
        cordon_store::StoreError::Invalid(m) => CaseError::invalid("ends_at", m),
        other => other.into(),
    })?;
    Ok(segment_views(state, std::slice::from_ref(&rec)).await?.remove(0))
}

pub async fn remove_segment(state: &AppState, user: &User, id: i64, segment: i64) -> Result<(), CaseError> {
    require_manage(user)?;
    visible_case(state, user, id).await?;
    state.store.remove_segment(id, segment).await.map_err(|e| match e {
        cordon_store::StoreError::NotFound(_) => CaseError::NotFound,
        other => other.into(),
    })
}

/// The street (and district) of an area, for a place that may not be named.
fn street_of(lineage: &[String], levels: &[AreaLevel]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for (name, level) in lineage.iter().zip(levels) {
        if matches!(level, AreaLevel::District | AreaLevel::Street) {
            parts.push(name);
        }
    }
    if parts.is_empty() { lineage.first().cloned().unwrap_or_default() } else { parts.concat() }
}

/// Drafts the public notice from the case's trajectory: the person removed, places seen by
/// fewer than k people given as their street.
pub async fn draft_notice(state: &AppState, user: &User, id: i64) -> Result<NoticeView, CaseError> {
    require_manage(user)?;
    let case = visible_case(state, user, id).await?;
    let segments = state.store.segments(id).await?;
    if segments.is_empty() {
        return Err(CaseError::invalid(
            "trajectory",
            "the case has no trajectory yet: add its movements first",
        ));
    }
    let k = setting_i64(state, NOTICE_K_SETTING, i64::from(DEFAULT_NOTICE_K)).await?.clamp(1, 10_000);
    let paths: Vec<AreaPath> = segments.iter().map(|s| s.path.clone()).collect();
    let areas = state.store.areas_on(&paths).await?;
    let index = state.scans.current();
    let notice_segments: Vec<NoticeSegment> = segments
        .iter()
        .map(|s| {
            let lineage: Vec<&cordon_domain::Area> = cordon_store::lineage(&areas, &s.path);
            let names: Vec<String> = lineage.iter().map(|a| a.name.clone()).collect();
            let levels: Vec<AreaLevel> = lineage.iter().map(|a| a.level).collect();
            NoticeSegment {
                starts: s.starts_at,
                ends: s.ends_at,
                // Only a venue with a code is a public place; a place typed by hand (a home, a
                // workplace) is never named.
                place: if s.venue_id.is_some() { s.place.clone() } else { String::new() },
                street: street_of(&names, &levels),
                visitors: visitors(index.as_deref(), s),
                transport: s.transport,
                transport_detail: s.transport_detail.clone(),
            }
        })
        .collect();
    let (label_zh, label_en) = labels(case.id, case.class);
    let text = write_notice(&label_zh, &label_en, &notice_segments, k as u64, state.config.tz);
    let rec = state
        .store
        .add_notice(&NewNotice {
            case_id: id,
            k: k as i32,
            text_zh: text.text_zh,
            text_en: text.text_en,
            generalised: text.generalised as i32,
            at: state.now(),
            by: user.username.clone(),
        })
        .await?;
    Ok(NoticeView::of(&rec))
}

pub async fn publish_notice(
    state: &AppState,
    user: &User,
    id: i64,
    notice: i64,
) -> Result<NoticeView, CaseError> {
    let case = visible_case(state, user, id).await?;
    if !user.may(Right::Publish) || !user.scope_path.contains(&case.path) {
        return Err(CaseError::Forbidden("headquarters reviews and publishes notices".into()));
    }
    let rec =
        state.store.publish_notice(id, notice, state.now(), &user.username).await.map_err(|e| match e {
            cordon_store::StoreError::NotFound(_) => CaseError::NotFound,
            other => other.into(),
        })?;
    Ok(NoticeView::of(&rec))
}

// ---- the chain ----

#[derive(Serialize, ToSchema)]
pub struct ClusterView {
    pub root: ChainEntry,
    pub cases: usize,
    pub confirmed: usize,
    pub asymptomatic: usize,
}

// ---- scans and venues ----

/// Lands a CSV of scans (`person_id,venue_id,scanned_at`) sent to the server, then extends the
/// index. The whole file or nothing; the same file twice adds nothing.
pub async fn upload_scans(
    state: &AppState,
    user: &User,
    name: &str,
    body: &[u8],
) -> Result<ScanUpload, CaseError> {
    require_manage(user)?;
    let sha = crate::http::auth::sha256_hex(body);
    let tz = state.config.tz;
    let name = name.to_owned();
    let bytes = body.to_vec();
    let file_name = name.clone();
    let builder = tokio::task::spawn_blocking(move || {
        let mut b = cordon_trace::engine::ScansBuilder::default();
        cordon_trace::read::read_scans(&file_name, &bytes[..], tz, &mut b).map(|()| b)
    })
    .await
    .map_err(|e| CaseError::Internal(e.to_string()))?
    .map_err(|e| CaseError::invalid("file", e.to_string()))?;
    let now = state.now();
    check_scan_times(&builder, now).map_err(|m| CaseError::invalid("scanned_at", m))?;
    let file = ScanFile { sha256: sha, name, at: now, by: user.username.clone() };
    let (rec, new) = state.store.add_scans(&file, &mut scan_rows(&builder)).await?;
    if new {
        state.scans.refresh(&state.store).await?;
    }
    Ok(ScanUpload { file_id: rec.id, rows: rec.rows, new, index: state.scans.status() })
}

/// Refuses a file with a scan more than a day in the future: a clock or a file gone wrong.
pub fn check_scan_times(b: &cordon_trace::engine::ScansBuilder, now: DateTime<Utc>) -> Result<(), String> {
    let limit = (now + chrono::Duration::days(1)).timestamp_micros();
    match b.named_rows().enumerate().find(|(_, r)| r.2 > limit) {
        Some((i, r)) => Err(format!(
            "data row {} is more than a day in the future ({})",
            i + 1,
            DateTime::from_timestamp_micros(r.2).unwrap_or(now).to_rfc3339()
        )),
        None => Ok(()),
    }
}

/// The builder's rows as store rows, made as they are taken.
pub fn scan_rows(b: &cordon_trace::engine::ScansBuilder) -> impl Iterator<Item = ScanRow> + Send + '_ {
    b.named_rows().map(|(p, v, t)| ScanRow {
        person_id: String::from_utf8_lossy(&p).into_owned(),
        venue_id: String::from_utf8_lossy(&v).into_owned(),
        scanned_at: DateTime::from_timestamp_micros(t).unwrap_or_default(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ScanUpload {
    pub file_id: i64,
    pub rows: i64,
    /// False when the same file was sent before: nothing was added.
    pub new: bool,
    pub index: crate::cases::scan_index::IndexStatus,
}
