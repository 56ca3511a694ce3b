//! `cordon bench contacts`: the nightly release of contacts whose plans are over, through the
//! same service the server's task calls, over a demo grown to a million contacts under
//! management — their quarantines begun over the last ten days, so each night a tenth of them
//! reach the end of their plan, with negative tests on every test day (a few with one missed,
//! held). Each timed run is one night: the release reads the contacts due on the plan-end index
//! with their samples and checks, decides each by the rule, and releases them in one statement
//! per 50,000.
//!
//! The peer, in the same run on the same rows: the database's own shell (`sqlite3`, `psql`)
//! reading the join the release decides on (the contacts due, their samples and tubes), counted
//! without deciding or writing anything — the floor of the read.
//!
//! Before the nights, the nightly marking of the test days missed the day before is timed too.
//!
//! The release consumes what it releases: run it on a fresh demo database each time.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Args;
use cordon_domain::cases::local_midnight;
use cordon_domain::{AreaPath, CaseClass, ContactKind, ContactSource, PersonId, Schedule};
use cordon_store::{NewCase, NewContact, Store};
use rand::{RngExt, SeedableRng};

use crate::bench::report::{Job, Report, median};
use crate::bench::stats::ms;
use crate::common::{TestFile, send_test_file};

#[derive(Args)]
pub struct ContactsBench {
    /// A fresh demo database (`cordon demo --no-serve --db URL`).
    #[arg(long)]
    db: String,
    /// Contacts under management to have.
    #[arg(long, default_value_t = 1_000_000)]
    contacts: usize,
    /// Contacts per case.
    #[arg(long, default_value_t = 1_000)]
    per_case: usize,
    /// Nights to release (each a tenth of the contacts), each timed.
    #[arg(long, default_value_t = 3)]
    nights: usize,
    #[arg(long, default_value_t = 2022)]
    seed: u64,
    /// Stop once the demo is grown (to copy it and time the nights on copies).
    #[arg(long)]
    grow_only: bool,
    /// The database was grown by `--grow-only` the same day: time the nights only.
    #[arg(long)]
    grown: bool,
}

fn api(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!(e.to_string())
}

pub async fn bench(b: &ContactsBench, report: &mut Report) -> Result<()> {
    if b.nights == 0 || b.nights > 4 {
        bail!(
            "--nights: 1 to 4 (a tenth of the contacts ends each night; later nights would need tests not yet taken)"
        );
    }
    let store: Arc<dyn Store> = crate::common::open(&b.db).await?;
    let tz = chrono_tz::Asia::Shanghai;
    let root = AreaPath::root();
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let local =
        |d: NaiveDate, h: u32| -> DateTime<Utc> { local_midnight(d, tz) + Duration::hours(i64::from(h)) };
    if !b.grown {
        grow(b, &store, &state, today).await?;
    }
    if b.grow_only {
        return Ok(());
    }
    let managed = store.followup_counts(&root, now, now).await?.managed;

    println!(
        "cordon bench contacts: {} ({managed} contacts under management), {} nights",
        store.backend(),
        b.nights
    );
    let (mut nights, mut peers) = (Vec::new(), Vec::new());
    for night in 0..b.nights {
        let at = local(today + Duration::days(night as i64), 0) + Duration::minutes(30);
        let day = today + Duration::days(night as i64);
        let peer = peer_read(&b.db, day);
        let t = Instant::now();
        let run = cordon_server::cases::release_due(&state, at).await.map_err(api)?;
        let took = t.elapsed();
        nights.push(took);
        let peer = match peer {
            Ok((rows, d)) => {
                peers.push(d);
                format!(
                    "peer read of the same join: {rows} rows in {:.0} ms (ratio {:.1})",
                    ms(d),
                    ms(took) / ms(d)
                )
            }
            Err(e) => format!("peer not run: {e}"),
        };
        println!(
            "night {}: {} examined, {} released, {} held (missed {}, awaiting {}, positive {}, unwell {}) in {:.0} ms; {peer}",
            night + 1,
            run.examined,
            run.released,
            run.held_missed + run.held_awaiting + run.held_positive + run.held_unwell,
            run.held_missed,
            run.held_awaiting,
            run.held_positive,
            run.held_unwell,
            ms(took),
        );
    }
    let backend = store.backend().to_string();
    let peer = (peers.len() == nights.len()).then(|| median(&peers));
    report.push(
        Job::median("contacts nightly release", &backend, managed as u64, &nights)
            .peer_if("shell read of the join it decides on", peer),
    );
    // The nightly marking of the test days missed (应检未检): yesterday's test days of every
    // plan, by the day each quarantine began. Only the nights released have their tests, so
    // the contacts of the other slices tested yesterday are all marked: the pass at its worst.
    let at = local(today + Duration::days(b.nights as i64), 0) + Duration::minutes(30);
    let t = Instant::now();
    let (run, _) =
        cordon_server::cases::keep_overdue(&state, at, Some(today + Duration::days(b.nights as i64 - 2)))
            .await
            .map_err(api)?;
    let marking = t.elapsed();
    println!(
        "tests missed on {}: {} contacts marked in {:.0} ms",
        today + Duration::days(b.nights as i64 - 1),
        run.marked,
        ms(marking)
    );
    report.push(
        Job::new("contacts missed tests marked", &backend, managed as u64, marking)
            .with("marked", run.marked),
    );
    Ok(())
}

/// Grows the demo to `b.contacts` contacts under management with their tests, as of `today`.
async fn grow(
    b: &ContactsBench,
    store: &Arc<dyn Store>,
    state: &cordon_server::AppState,
    today: NaiveDate,
) -> Result<()> {
    let tz = state.config.tz;
    let root = AreaPath::root();
    let admin = store.user_by_name("admin").await?.context("no user admin: seed a demo first")?;
    let lab = store.user_by_name("lab").await?.context("no user lab: seed a demo first")?;
    let profiles = cordon_domain::protocol::builtin();
    let profile =
        profiles.iter().find(|p| p.key == cordon_domain::protocol::DEFAULT_PROFILE).context("profile")?;
    let plan = ContactKind::Close.plan(profile).context("the profile's close-contact plan")?;
    let length = i64::from(plan.central_days + plan.home_days);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(b.seed);
    let local =
        |d: NaiveDate, h: u32| -> DateTime<Utc> { local_midnight(d, tz) + Duration::hours(i64::from(h)) };

    // The people: every resident of the demo, read once.
    let started = Instant::now();
    let mut people: Vec<String> = Vec::new();
    let mut after: Option<(cordon_domain::AreaPath, String)> = None;
    loop {
        let page = store.people_page(&root, after.as_ref().map(|(p, id)| (p, id.as_str())), 50_000).await?;
        let Some((last, _)) = page.last() else { break };
        after = Some((last.path.clone(), last.person_id.as_str().to_owned()));
        people.extend(page.iter().map(|(p, _)| p.person_id.as_str().to_owned()));
    }
    let cases_now: std::collections::HashSet<String> =
        store.case_people().await?.into_iter().map(|c| c.0).collect();
    let free: Vec<&String> = people.iter().filter(|p| !cases_now.contains(*p)).collect();
    let cases = b.contacts.div_ceil(b.per_case);
    if free.len() < cases + b.per_case {
        bail!("{} has {} residents: too few for {cases} cases of {} contacts", b.db, free.len(), b.per_case);
    }

    // The cases, one per slice of quarantine start, and their contacts: case k's quarantine began
    // `length - k % 10` days before today, so its plan ends on night k % 10.
    let mut due_people: Vec<Vec<(String, NaiveDate)>> = vec![Vec::new(); b.nights];
    let mut added = 0;
    for k in 0..cases {
        let person = free[k];
        let slice = (k % 10) as i64;
        let starts = today - Duration::days(length - slice);
        let found = local(starts, 9);
        let case = NewCase {
            person_id: PersonId::parse(person)?,
            class: CaseClass::Asymptomatic,
            onset: None,
            sampled_at: found - Duration::hours(8),
            infectious_from: found - Duration::days(4),
            isolated_at: Some(found),
            isolation_place: "集中隔离点".into(),
            source_case_id: None,
            profile_key: profile.key.clone(),
            note: "cordon bench contacts".into(),
            at: found,
            by: "bench".into(),
        };
        let opened = store.open_case(&root, &case).await?;
        let n = b.per_case.min(b.contacts - added);
        let mut chosen = std::collections::HashSet::new();
        while chosen.len() < n {
            let p = free[cases + rng.random_range(0..free.len() - cases)];
            chosen.insert(p.clone());
        }
        let schedule = Schedule::new(plan, starts);
        let contacts: Vec<NewContact> = chosen
            .iter()
            .map(|p| NewContact {
                person_id: p.clone(),
                kind: ContactKind::Close,
                source: ContactSource::Household,
                via_person_id: person.clone(),
                venue_id: None,
                exposure_at: found - Duration::hours(20),
                quarantine_from: starts,
                plan_ends: Some(schedule.ends),
            })
            .collect();
        store.save_contacts(opened.id, &contacts, found, "bench").await?;
        if (slice as usize) < b.nights {
            for (i, p) in chosen.into_iter().enumerate() {
                for (t, d) in schedule.test_dates.iter().enumerate() {
                    // One contact in fifty misses its second test: held.
                    if i % 50 == 7 && t == 1 {
                        continue;
                    }
                    due_people[slice as usize].push((p.clone(), *d));
                }
            }
        }
        added += n;
        if k % 100 == 99 {
            eprintln!("… {added} contacts in {:.0} s", started.elapsed().as_secs_f64());
        }
    }

    // Their tests, sent as a site's sampling team and a lab would: one round and one pair of
    // files per night's slice.
    let dir = tempfile::tempdir()?;
    let mut tubes = 0usize;
    for (night, tests) in due_people.iter().enumerate() {
        let Some(first) = tests.iter().map(|t| t.1).min() else { continue };
        let key = format!("BENCH-Q{night}-{}", b.seed);
        let round = cordon_server::testing::RoundRequest {
            round_key: Some(key.clone()),
            name: format!("bench contacts night {night}"),
            name_en: None,
            area_code: admin.scope.to_string(),
            starts_at: Some(local(first, 0)),
            deadline: local(first, 0) + Duration::days(7),
        };
        cordon_server::testing::create_round(state, &admin, round).await.map_err(api)?;
        let mut samples = String::from("tube_id,person_id,collected_at,round_id,site\n");
        let mut results = String::from("tube_id,result,reported_at,lab\n");
        for (person, day) in tests {
            tubes += 1;
            let tube = format!("BQ{}-{tubes:08}", b.seed);
            samples += &format!("{tube},{person},{},{key},隔离点\n", local(*day, 8).to_rfc3339());
            results += &format!("{tube},negative,{},金域医学\n", local(*day, 16).to_rfc3339());
        }
        send_test_file(state, &admin, dir.path(), &format!("{key}-samples.csv"), &samples, TestFile::Samples)
            .await?;
        send_test_file(state, &lab, dir.path(), &format!("{key}-results.csv"), &results, TestFile::Results)
            .await?;
    }
    eprintln!(
        "set up in {:.1} s: {added} contacts of {cases} cases, {tubes} negative tests",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The database's own shell reading the join the release decides on for `day`: the contacts
/// due, with their samples' tubes; how many rows, and how long.
fn peer_read(db: &str, day: NaiveDate) -> Result<(usize, std::time::Duration)> {
    let sql = format!(
        "SELECT count(*) FROM followups f JOIN contacts t ON t.id = f.contact_id \
         JOIN samples s ON s.person_id = t.person_id JOIN tubes u ON u.tube_id = s.tube_id \
         WHERE f.plan_ends <= '{day}'"
    );
    let (program, args): (&str, Vec<String>) = match db.strip_prefix("sqlite://") {
        Some(path) => ("sqlite3", vec!["-readonly".into(), path.into(), sql]),
        None => ("psql", vec![db.to_owned(), "-Atqc".into(), sql]),
    };
    let t = Instant::now();
    let out = std::process::Command::new(program).args(&args).output()?;
    let took = t.elapsed();
    if !out.status.success() {
        bail!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let rows = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    Ok((rows, took))
}
