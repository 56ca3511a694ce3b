//! 医学观察 over the month: each case of the month's history traced on the day it was found
//! (its household, and whoever shared a venue with it, quarantined from that day), the close
//! contacts taken to the quarantine site, their test days sampled there and reported by the lab through
//! the same imports a lab's files take, and the release run each night on that night's clock —
//! so the month holds contacts released when their plans ended, a few held (a test day missed,
//! a fever at the last check), and the latest ones still under management.

use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use cordon_domain::cases::local_midnight;
use cordon_domain::{AreaPath, ContactStatus, Schedule};
use cordon_server::cases::{self, HealthCheckRequest};
use cordon_server::{AppState, Clock};
use cordon_store::{ContactQuery, ContactRecord, Store};

use crate::common::{TestFile, acting_user, api_error, send_test_file};

/// The quarantine site of the month's contacts.
const SITE: &str = "呼和浩特市集中隔离点（如家酒店）";

pub(crate) async fn seed_followup(
    store: &Arc<dyn Store>,
    community: Option<&cordon_domain::AreaCode>,
) -> Result<()> {
    let Some(community) = community else { return Ok(()) };
    let started = std::time::Instant::now();
    let root = AreaPath::root();
    let Some(site) = site_community(store, community).await? else { return Ok(()) };
    let tz = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let clock = Clock::set_at(now);
    let state = AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() })
        .with_clock(clock.clone());
    state.scans.refresh(&state.store).await?;
    let epi = acting_user(store, "epi").await?;
    let admin = acting_user(store, "admin").await?;
    let lab = acting_user(store, "lab").await?;

    // Each case of the month traced two hours after it was opened, oldest first.
    let mut history: Vec<_> =
        store.cases(&root, 100_000).await?.into_iter().filter(|c| c.traced_at.is_none()).collect();
    history.sort_by_key(|c| (c.created_at, c.id));
    for c in &history {
        clock.set((c.created_at + Duration::hours(2)).min(now));
        cases::trace(&state, &epi, c.id).await.map_err(api_error)?;
    }
    let traced: Vec<i64> = history.iter().map(|c| c.id).collect();
    let mut contacts: Vec<ContactRecord> = Vec::new();
    for id in &traced {
        let q = ContactQuery { case_id: Some(*id), limit: 10_000, ..Default::default() };
        contacts.extend(store.contacts(&root, &q).await?);
    }
    let profiles = cordon_server::zones::profiles(&state).await.map_err(api_error)?;
    let plan = |c: &ContactRecord| {
        let p = profiles.get(&c.case_profile_key).and_then(|p| c.kind.plan(p))?;
        Some(Schedule::new(p, c.quarantine_from))
    };

    // Taken to the site the evening they were found; a plan with no central days (a secondary
    // contact's) is kept at home, where the sweep still knocks.
    for c in contacts.iter().filter(|c| c.status == ContactStatus::Identified) {
        if plan(c).is_none_or(|s| s.central_until <= s.starts) {
            continue;
        }
        clock.set((c.identified_at + Duration::hours(4)).min(now));
        cases::update_contact(&state, &epi, c.id, ContactStatus::Quarantined, SITE)
            .await
            .map_err(api_error)?;
    }

    // The test days before today, sampled at 08:00 and reported at 16:00: every 19th contact
    // misses its third test day, every 13th has its last made up the day after.
    let mut samples = Vec::new();
    for (i, c) in contacts.iter().enumerate() {
        let Some(s) = plan(c) else { continue };
        let last = s.test_dates.len().saturating_sub(1);
        for (k, &day) in s.test_dates.iter().enumerate() {
            if i % 19 == 7 && k == 2 {
                continue;
            }
            let day = if i % 13 == 5 && k == last { day + Duration::days(1) } else { day };
            if day >= today {
                continue;
            }
            samples.push((c.person_id.clone(), day));
        }
    }
    let weeks = import_tests(&state, &admin, &lab, &site, &samples, today, tz, &clock).await?;

    // This morning's health check of each contact still under management in the story's
    // community, by its grid worker; one has a fever.
    let grid = acting_user(store, "gongzhufu").await?;
    let morning = local_midnight(today, tz) + Duration::minutes(8 * 60 + 30);
    let mut checks = 0;
    if morning < now {
        clock.set(morning);
        let mine: Vec<&ContactRecord> = contacts
            .iter()
            .filter(|c| c.path.as_ref().is_some_and(|p| grid.scope_path.contains(p)))
            .filter(|c| plan(c).is_some_and(|s| s.ends > today) && c.identified_at < morning)
            .collect();
        for (i, c) in mine.iter().enumerate() {
            let (temperature, symptoms) =
                if i == 1 { (37.8, vec!["sore_throat".into()]) } else { (36.4, vec![]) };
            let req = HealthCheckRequest { temperature, symptoms, at: None };
            cases::record_check(&state, &grid, c.id, &req, "demo").await.map_err(api_error)?;
            checks += 1;
        }
    }

    // The release and the marking of the test days missed, each night of the month on that
    // night's clock, as the server's task runs them.
    let first = contacts.iter().map(|c| c.quarantine_from).min().unwrap_or(today);
    let mut released = 0;
    let mut marked = None;
    let mut day = first;
    while day <= today {
        let night = local_midnight(day, tz) + Duration::minutes(30);
        if night > now {
            break;
        }
        clock.set(night);
        released += cases::release_due(&state, night).await.map_err(api_error)?.released;
        let (_, through) = cases::keep_overdue(&state, night, marked).await.map_err(api_error)?;
        marked = Some(through);
        day += Duration::days(1);
    }
    clock.set(now);
    let run = cases::release_due(&state, now).await.map_err(api_error)?;
    released += run.released;
    cases::keep_overdue(&state, now, marked).await.map_err(api_error)?;
    let overdue = state.store.followup_counts(&AreaPath::root(), now, now).await?.overdue;
    eprintln!(
        "seeded the follow-up of {} cases' {} contacts: {} tests in {weeks} rounds, {checks} checks, {released} released, {} held, {overdue} with a test day missed, in {:.1} s",
        traced.len(),
        contacts.len(),
        samples.len(),
        run.held_missed + run.held_awaiting + run.held_positive + run.held_unwell,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The contacts' tests as the site's sampling team and the lab send them: a round over the
/// site's community for each week (closed once its week is over), a samples file and a results
/// file.
#[allow(clippy::too_many_arguments)]
async fn import_tests(
    state: &AppState,
    admin: &cordon_store::User,
    lab: &cordon_store::User,
    site: &cordon_domain::AreaCode,
    samples: &[(String, NaiveDate)],
    today: NaiveDate,
    tz: chrono_tz::Tz,
    clock: &Clock,
) -> Result<usize> {
    let Some(first) = samples.iter().map(|s| s.1).min() else { return Ok(0) };
    let local =
        |d: NaiveDate, h: u32| -> DateTime<Utc> { local_midnight(d, tz) + Duration::hours(i64::from(h)) };
    let dir = tempfile::tempdir()?;
    let mut weeks = 0;
    let mut start = first;
    let mut n = 0;
    while start < today {
        let end = (start + Duration::days(7)).min(today);
        let week: Vec<&(String, NaiveDate)> = samples.iter().filter(|s| s.1 >= start && s.1 < end).collect();
        if !week.is_empty() {
            weeks += 1;
            clock.set(local(start, 0));
            let key = format!("Q{}", start.format("%m%d"));
            let round = cordon_server::testing::RoundRequest {
                round_key: Some(key.clone()),
                name: format!("隔离观察人员核酸 {}", start.format("%m-%d")),
                name_en: Some(format!("Tests of contacts in quarantine {}", start.format("%m-%d"))),
                area_code: site.to_string(),
                starts_at: Some(local(start, 0)),
                deadline: local(end, 0),
            };
            let r = cordon_server::testing::create_round(state, admin, round).await.map_err(api_error)?;
            let mut sampled = String::from("tube_id,person_id,collected_at,round_id,site\n");
            let mut results = String::from("tube_id,result,reported_at,lab\n");
            for (person, day) in &week {
                n += 1;
                let tube = format!("GL{n:07}");
                let at = local(*day, 8) + Duration::minutes((n % 90) as i64);
                let reported = local(*day, 16);
                sampled += &format!("{tube},{person},{},{key},{SITE}\n", at.to_rfc3339());
                results += &format!("{tube},negative,{},金域医学\n", reported.to_rfc3339());
            }
            clock.set(local(end, 0));
            send_test_file(
                state,
                admin,
                dir.path(),
                &format!("{key}-samples.csv"),
                &sampled,
                TestFile::Samples,
            )
            .await?;
            send_test_file(
                state,
                lab,
                dir.path(),
                &format!("{key}-results.csv"),
                &results,
                TestFile::Results,
            )
            .await?;
            cordon_server::testing::close_round(state, admin, r.id).await.map_err(api_error)?;
        }
        start = end;
    }
    Ok(weeks)
}

/// The community the quarantine site stands in: one of the district's with no zone in force
/// inside it, so that closing the contacts' rounds records no round on any zone — the tests of
/// people in quarantine are not the mass testing a zone's step down waits for.
async fn site_community(
    store: &Arc<dyn Store>,
    community: &cordon_domain::AreaCode,
) -> Result<Option<cordon_domain::AreaCode>> {
    let root = AreaPath::root();
    let Some(street) = store.area(&root, community).await?.and_then(|n| n.area.parent) else {
        return Ok(None);
    };
    let Some(district) = store.area(&root, &street).await?.and_then(|n| n.area.parent) else {
        return Ok(None);
    };
    let Some(district) = store.area(&root, &district).await? else { return Ok(None) };
    let zones = store.zone_covers().await?;
    let communities = store.areas_at(&district.area.path, &[cordon_domain::AreaLevel::Community]).await?;
    Ok(communities
        .into_iter()
        .rev()
        .find(|c| !zones.iter().any(|z| c.path.contains(&z.path)))
        .map(|c| c.code))
}
