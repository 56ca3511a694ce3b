//! The demo's story, seeded at each day's moments: the city, its zones, cases, testing, gates,
//! workforce, needs and the month behind today.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use cordon_demo::Scale;
use cordon_domain::AreaCode;
use cordon_import::{Limits, Progress};
use cordon_store::Store;

use crate::common::{TestFile, acting_user, api_error, send_test_file};

/// A month behind today (`cordon_demo::demo_history`): cases opened and reclassified on their
/// days, a sealed zone around each day's first case stepped down and lifted as the rules go,
/// requests raised and handled, residents through the gates, workers reporting in. Written
/// through the store and the services at each record's own past moment.
pub(crate) async fn seed_history(
    store: &Arc<dyn Store>,
    seed: u64,
    scale: Scale,
    communities: &[AreaCode],
    days: u32,
    profile: &cordon_domain::Profile,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use cordon_domain::{CaseClass, EventKind, Tier};
    use cordon_server::gates::{self, DecisionRequest};
    use cordon_server::needs::{self, NeedAction, NeedRequest};
    use cordon_store::{CaseChange, NewCase};
    let Some(first) = communities.first() else { return Ok(()) };
    let started = std::time::Instant::now();
    let tz = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let root = cordon_domain::AreaPath::root();
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let grid = acting_user(store, "gongzhufu").await?;
    let cadre = acting_user(store, "cadre").await?;
    let admin = acting_user(store, "admin").await?;
    // The zones' steps are taken through their service on a clock set to each step's moment.
    let zone_clock = cordon_server::Clock::set_at(now);
    let zone_state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() })
            .with_clock(zone_clock.clone());
    let story = cordon_demo::history_zone_story(profile, tz);
    let profile = profile.key.as_str();

    // Who can fall ill: the residents of the communities, not already a case.
    let mut pool = Vec::new();
    for c in communities {
        if let Some(node) = store.area(&root, c).await? {
            pool.extend(store.people_page(&node.area.path, None, 20_000).await?.into_iter().map(|(p, _)| p));
        }
    }
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed ^ 0x6869_7374);
    rand::seq::SliceRandom::shuffle(pool.as_mut_slice(), &mut rng);
    let first_path = store.area(&root, first).await?.map(|n| n.area.path);
    let households: Vec<String> = pool
        .iter()
        .filter(|p| first_path.as_ref().is_some_and(|f| f.contains(&p.path)))
        .map(|p| p.household.to_string())
        .collect();
    let compound = format!("{first}001");
    let residents: Vec<String> = pool
        .iter()
        .filter(|p| p.household.as_str().starts_with(&compound))
        .map(|p| p.person_id.as_str().to_owned())
        .collect();
    let gate_ids: Vec<i64> = store.gates(&root, 10).await?.iter().map(|g| g.id).collect();
    let workers = store.on_hand(&root, today).await?;

    let mut next = pool.iter();
    let mut asymptomatic_cases: Vec<i64> = Vec::new();
    let (mut cases, mut zones, mut requests, mut passages, mut checkins) = (0, 0, 0, 0, 0);
    for day in cordon_demo::demo_history(seed, scale, days) {
        let date = today - Duration::days(day.days_ago.into());
        let midnight = gates::day_bounds(&state, date).0;
        let at = |minutes: i64| midnight + Duration::minutes(minutes);
        // Positives, found in the morning's testing, each opened as it was confirmed.
        let mut first_building = None;
        for i in 0..day.asymptomatic + day.confirmed {
            let Some(p) = next.next() else { break };
            if store.case_of_person(p.person_id.as_str()).await?.is_some() {
                continue;
            }
            let class = if i < day.confirmed { CaseClass::Confirmed } else { CaseClass::Asymptomatic };
            let opened = at(9 * 60 + 20 * i64::from(i));
            let case = store
                .open_case(
                    &root,
                    &NewCase {
                        person_id: p.person_id.clone(),
                        class,
                        onset: None,
                        sampled_at: opened - Duration::hours(8),
                        infectious_from: opened - Duration::days(2),
                        isolated_at: Some(opened + Duration::hours(2)),
                        isolation_place: "集中隔离点".into(),
                        source_case_id: None,
                        profile_key: profile.into(),
                        note: "混管阳性，单管复核阳性".into(),
                        at: opened,
                        by: "epi".into(),
                    },
                )
                .await?;
            cases += 1;
            if class == CaseClass::Asymptomatic {
                asymptomatic_cases.push(case.id);
            }
            if first_building.is_none() {
                first_building = store.area(&root, &p.household).await?.and_then(|h| h.area.parent);
            }
        }
        for _ in 0..day.reclassified {
            if asymptomatic_cases.len() < 4 {
                break;
            }
            let id = asymptomatic_cases.remove(0);
            let change = CaseChange::Reclassified { from: CaseClass::Asymptomatic, to: CaseClass::Confirmed };
            store.change_case(id, &change, at(15 * 60), "epi").await?;
        }
        // The first case's building sealed the same day, and its story told through the zone
        // service on the clock of each step: a round, stepped down, stepped down, lifted.
        if let Some(building) = first_building
            && store.zones_on(std::slice::from_ref(&building)).await?.iter().all(|z| z.ended_at.is_some())
        {
            let drawn = at(11 * 60);
            zone_clock.set(drawn);
            let request = cordon_server::zones::DrawRequest {
                area: building.to_string(),
                tier: Tier::Sealed,
                reason: "本土阳性感染者居住楼栋".into(),
                profile: Some(profile.into()),
                case_person_id: None,
                at: None,
            };
            let zone = cordon_server::zones::draw(&zone_state, &admin, request).await.map_err(api_error)?;
            zones += 1;
            for (after, kind, note) in &story {
                let (kind, note) = (kind.clone(), note.as_str());
                let when = drawn + *after;
                if when >= now {
                    break;
                }
                zone_clock.set(when);
                let done = match kind {
                    EventKind::Round { all_negative } => cordon_server::zones::record(
                        &zone_state,
                        &admin,
                        zone.id,
                        cordon_server::zones::Recorded::Round { all_negative },
                        None,
                        note,
                    )
                    .await
                    .map(drop),
                    EventKind::SteppedDown { tier } => {
                        step_down(&zone_state, &admin, zone.id, Some(tier), note).await
                    }
                    EventKind::Lifted => step_down(&zone_state, &admin, zone.id, None, note).await,
                    other => bail!("the history's zone records no {other:?}"),
                };
                done.map_err(api_error)
                    .with_context(|| format!("the history's zone on {building}: {kind:?} at {when}"))?;
            }
        }
        // Requests raised through the day, taken on within the hour, handled in a few.
        for i in 0..day.requests as usize {
            let Some(household) =
                households.get((day.days_ago as usize * 31 + i * 7) % households.len().max(1))
            else {
                break;
            };
            let (category, what) = [
                ("food", "生活物资配送"),
                ("medicine", "代购常用药"),
                ("medical_care", "慢病复诊"),
                ("other", "快递代收"),
            ][i % 4];
            let raised = at(8 * 60 + 37 * i as i64);
            let req = NeedRequest {
                household_code: household.clone(),
                person_id: None,
                category: category.into(),
                emergency: false,
                contact_phone: None,
                description: what.into(),
            };
            let need = needs::raise(&state, &grid, req, raised).await.map_err(api_error)?;
            let id = need.need.id;
            let ack = NeedAction::Acknowledge { note: String::new() };
            needs::act(&state, &grid, id, ack, raised + Duration::minutes(25)).await.map_err(api_error)?;
            let done = NeedAction::Resolve { note: "已办结".into() };
            needs::act(&state, &grid, id, done, raised + Duration::minutes(150)).await.map_err(api_error)?;
            requests += 1;
        }
        // Residents out and back in at the compound's gates.
        if !gate_ids.is_empty() && !residents.is_empty() {
            for i in 0..day.gate_decisions as usize {
                let person = &residents[(i * 13 + day.days_ago as usize) % residents.len()];
                let req = DecisionRequest {
                    direction: Some(if i % 2 == 0 {
                        cordon_domain::gates::Direction::Out
                    } else {
                        cordon_domain::gates::Direction::In
                    }),
                    subject: None,
                    person: Some(person.clone()),
                    pass: None,
                    confirmed: false,
                    note: String::new(),
                };
                let when = at(7 * 60 + 41 * i as i64);
                gates::decide_at(&state, &cadre, gate_ids[i % gate_ids.len()], req, when)
                    .await
                    .map_err(api_error)?;
                passages += 1;
            }
        }
        // The workers who reported in that day.
        let reporting = (workers.len() as f64 * day.on_hand_share) as usize;
        for w in workers.iter().take(reporting) {
            store.check_in(&w.worker.worker_id, &w.community, date, at(7 * 60 + 30), "demo").await?;
            checkins += 1;
        }
    }
    eprintln!(
        "seeded {days} days of history: {cases} cases, {zones} zones, {requests} requests, {passages} gate decisions, \
         {checkins} check-ins in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Seeds the demo's venues, scans and cases with their history and trajectories, then has the
/// server trace them and draft their notices (the last case's published), as `epi` and `admin`.
pub(crate) async fn seed_cases(
    store: &Arc<dyn Store>,
    seed: u64,
    people: &[cordon_domain::PersonRow],
    communities: &[AreaCode],
    profile: &cordon_domain::Profile,
) -> Result<()> {
    use chrono::{Duration, Timelike, Utc};
    use cordon_store::{CaseChange, NewCase, NewSegment, ScanFile, ScanRow, Venue};
    if communities.is_empty() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let tz = chrono_tz::Asia::Shanghai;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    let local = now.with_timezone(&tz);
    let work =
        cordon_demo::demo_casework(seed, people, communities, i64::from(local.hour() * 60 + local.minute()));
    let venues: Vec<Venue> = work
        .venues
        .iter()
        .map(|v| Venue {
            venue_id: v.venue_id.clone(),
            name: v.name.clone(),
            area: v.area.clone(),
            kind: v.kind.clone(),
        })
        .collect();
    store.put_venues(&venues).await?;
    let at = |minutes_ago: i64| now - Duration::minutes(minutes_ago);
    let file = ScanFile {
        sha256: format!("demo-{seed}"),
        name: "demo scans".into(),
        at: now,
        by: "cordon demo".into(),
    };
    let mut rows = work.scans.iter().map(|s| ScanRow {
        person_id: s.person_id.clone(),
        venue_id: work.venues[s.venue].venue_id.clone(),
        scanned_at: at(s.minutes_ago),
    });
    store.add_scans(&file, &mut rows).await?;
    let root = cordon_domain::AreaPath::root();
    let mut ids: Vec<i64> = Vec::new();
    for c in &work.cases {
        let sampled_at = at(c.sampled_minutes_ago);
        let onset = c.onset_days_ago.map(|d| (now - Duration::days(d)).with_timezone(&tz).date_naive());
        let opened = store
            .open_case(
                &root,
                &NewCase {
                    person_id: cordon_domain::PersonId::parse(&c.person_id)?,
                    class: c.class,
                    onset,
                    sampled_at,
                    infectious_from: cordon_domain::cases::infectious_from(profile, onset, sampled_at, tz),
                    isolated_at: c.isolated_minutes_ago.map(at),
                    isolation_place: c.isolation_place.clone(),
                    source_case_id: c.source.map(|i| ids[i]),
                    profile_key: profile.key.clone(),
                    note: c.note.clone(),
                    at: sampled_at + Duration::hours(3),
                    by: "epi".into(),
                },
            )
            .await?;
        if let Some(m) = c.confirmed_minutes_ago {
            let change = CaseChange::Reclassified { from: c.class, to: cordon_domain::CaseClass::Confirmed };
            store.change_case(opened.id, &change, at(m), "epi").await?;
        }
        for s in &c.segments {
            let segment = NewSegment {
                starts_at: at(s.minutes_ago),
                ends_at: Some(at(s.minutes_ago - s.minutes)),
                venue_id: s.venue.map(|v| work.venues[v].venue_id.clone()),
                area: s.area.clone(),
                place: s.place.clone(),
                transport: s.transport,
                transport_detail: s.transport_detail.clone(),
                by: "epi".into(),
            };
            store.add_segment(opened.id, &segment).await?;
        }
        ids.push(opened.id);
    }
    let publish: Vec<i64> = ids.last().copied().into_iter().collect();
    let config = cordon_server::Config { tz, ..Default::default() };
    let (traced, drafted) = cordon_server::complete_casework(store.clone(), config, "epi", "admin", &publish)
        .await
        .map_err(|e| match e {
            // At a terminal the cause is shown: a client of the API sees "internal error" only.
            cordon_server::ApiError::Internal(detail) => anyhow::anyhow!("internal error: {detail}"),
            e => e.into(),
        })?;
    eprintln!(
        "seeded {} venues, {} scans and {} cases ({traced} traced, {drafted} notices) in {:.1} s",
        venues.len(),
        work.scans.len(),
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Seeds a testing round in progress over the street of the story's communities: the samples
/// and results files the demo generates land through the same import a lab's would, as `admin`
/// (so positive pools hold their members and propose zones, and a positive retest opens a case).
pub(crate) async fn seed_testing(
    store: &Arc<dyn Store>,
    seed: u64,
    people: &[cordon_domain::PersonRow],
    community: Option<&AreaCode>,
    profile: &cordon_domain::Profile,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use std::collections::{HashMap, HashSet};
    let Some(community) = community else { return Ok(()) };
    let started = std::time::Instant::now();
    let root = cordon_domain::AreaPath::root();
    let street = store
        .area(&root, community)
        .await?
        .and_then(|n| n.area.parent)
        .ok_or_else(|| anyhow::anyhow!("demo community {community} has no street"))?;
    let tz = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let admin = acting_user(store, "admin").await?;
    let key = format!("R{}", now.with_timezone(&tz).format("%m%d"));
    let round = cordon_server::testing::RoundRequest {
        round_key: Some(key.clone()),
        name: "第三轮全员核酸".into(),
        name_en: Some("Third city-wide round".into()),
        area_code: street.to_string(),
        starts_at: Some(now - Duration::hours(10)),
        deadline: now + Duration::hours(14),
    };
    cordon_server::testing::create_round(&state, &admin, round).await.map_err(api_error)?;
    // Each household's pooling: the strictest zone over it, under the profile in force.
    let zones = store.zone_covers().await?;
    let mut pooling: HashMap<AreaCode, cordon_domain::Pooling> = HashMap::new();
    let mut communities: HashMap<AreaCode, String> = HashMap::new();
    for p in people {
        if pooling.contains_key(&p.household) {
            continue;
        }
        let Some(node) = store.area(&root, &p.household).await? else { continue };
        let tier = zones
            .iter()
            .filter(|z| z.path.contains(&node.area.path))
            .map(|z| z.tier)
            .max_by_key(|t| t.strictness());
        pooling.insert(p.household.clone(), profile.pooling(tier));
        let areas = store.areas_on(std::slice::from_ref(&node.area.path)).await?;
        let name = cordon_store::lineage(&areas, &node.area.path)
            .into_iter()
            .find(|a| a.level == cordon_domain::AreaLevel::Community)
            .map_or_else(String::new, |a| a.name.clone());
        communities.insert(p.household.clone(), name);
    }
    let cases: HashSet<String> = store.case_people().await?.into_iter().map(|c| c.0).collect();
    let limit = profile.pool_limit;
    let work = cordon_demo::demo_testing(
        seed,
        &key,
        people,
        |h| pooling.get(h).copied().unwrap_or(cordon_domain::Pooling { max: limit, household: false }),
        |id| cases.contains(id),
        |p| format!("{}采样点", communities.get(&p.household).map_or("", String::as_str)),
        now.with_timezone(&tz).naive_local(),
    );
    let dir = tempfile::tempdir()?;
    let files = [
        ("samples.csv", &work.samples, TestFile::Samples),
        ("results.csv", &work.results, TestFile::Results),
        ("retest-samples.csv", &work.retest_samples, TestFile::Samples),
        ("retest-results.csv", &work.retest_results, TestFile::Results),
    ];
    let mut opened = 0;
    for (name, text, kind) in files {
        opened += send_test_file(&state, &admin, dir.path(), name, text, kind).await?;
    }
    eprintln!(
        "seeded testing round {key}: {} tubes, {} residents left for the sweep, {opened} case opened by a retest, in {:.1} s",
        work.tubes,
        work.unsampled,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Sets up the story compound's gates and passes, and sends a day of traffic through the gate
/// decision as its cadre on duty would: the server decides each passage by the rules.
pub(crate) async fn seed_gates(
    store: &Arc<dyn Store>,
    seed: u64,
    people: &[cordon_domain::PersonRow],
    community: Option<&AreaCode>,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use cordon_server::gates::{self, DecisionRequest, GateRequest, PassRequest};
    let Some(community) = community else { return Ok(()) };
    let started = std::time::Instant::now();
    let compound = AreaCode::parse(&format!("{community}001"))?;
    let sealed = AreaCode::parse(&format!("{compound}03"))?;
    let root = cordon_domain::AreaPath::root();
    if store.area(&root, &sealed).await?.is_none() {
        return Ok(());
    }
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let worker = acting_user(store, "gongzhufu").await?;
    let cadre = acting_user(store, "cadre").await?;
    let mut clear = std::collections::HashSet::new();
    for p in people.iter().filter(|p| p.household.as_str().starts_with(compound.as_str())) {
        let standing = store.gate_subject(p.person_id.as_str()).await?.map(|s| s.standing());
        if standing == Some(cordon_domain::gates::Standing::Clear) {
            clear.insert(p.person_id.as_str().to_owned());
        }
    }
    let plan = cordon_demo::demo_gates(seed, &compound, &sealed, people, |id| clear.contains(id));
    let now = Utc::now();
    let mut gate_ids = Vec::new();
    for g in &plan.gates {
        let req = GateRequest { area_code: g.area.to_string(), name: g.name.into() };
        gate_ids.push(gates::create_gate(&state, &worker, req).await.map_err(api_error)?.id);
    }
    let mut tokens = Vec::new();
    for p in &plan.passes {
        let from = now - Duration::minutes(p.from_minutes_ago);
        let req = PassRequest {
            kind: p.kind,
            person: p.person.clone(),
            holder: p.holder.map(str::to_owned),
            area_code: p.area.to_string(),
            gate_ids: Vec::new(),
            valid_from: Some(from),
            valid_until: from + Duration::minutes(p.minutes),
            one_time: p.one_time,
            reason: p.reason.into(),
        };
        let issued = gates::issue_pass_at(&state, &worker, req, from).await.map_err(api_error)?;
        if let Some(reason) = p.revoked {
            let at = from + Duration::hours(1);
            gates::revoke_pass_at(&state, &worker, &issued.id, reason, at).await.map_err(api_error)?;
        }
        tokens.push(issued.token);
    }
    let mut refused = 0;
    for p in &plan.passages {
        let pass = p.pass.map(|u| match u {
            cordon_demo::PassUse::Shown(i) => tokens[i].clone(),
            cordon_demo::PassUse::Tampered(i) => {
                // One character of the claims changed, as an edited screenshot would.
                let mut t = tokens[i].clone().into_bytes();
                t[12] = if t[12] == b'A' { b'B' } else { b'A' };
                String::from_utf8(t).expect("ASCII token")
            }
        });
        let req = DecisionRequest {
            direction: Some(p.direction),
            subject: p.subject,
            person: p.person.clone(),
            pass,
            confirmed: p.confirmed,
            note: p.note.into(),
        };
        let at = now - Duration::minutes(p.minutes_ago);
        let d = gates::decide_at(&state, &cadre, gate_ids[p.gate], req, at).await.map_err(api_error)?;
        if d.outcome == cordon_domain::gates::Outcome::Refused {
            refused += 1;
        }
    }
    eprintln!(
        "seeded {} gates, {} passes and {} gate decisions ({refused} refused) in {:.1} s",
        plan.gates.len(),
        plan.passes.len(),
        plan.passages.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Seeds the workforce of 新城区: a roster of dispatched cadres, party members and volunteers per
/// populated community (through the workers.csv reader), most reporting in today, two
/// quarantine hotels, and 包联 leaders taken from the coverage's own suggestions for every gap
/// but two (a sealed building and a hotel left for the district office to fill), and the team
/// of 呼铁佳园C区's command post.
pub(crate) async fn seed_workforce(store: &Arc<dyn Store>, seed: u64, populated: &[AreaCode]) -> Result<()> {
    use cordon_server::workforce::{self, Accepted, AssignRequest, SiteRequest};
    let started = std::time::Instant::now();
    let district = AreaCode::parse(cordon_demo::XINCHENG)?;
    let communities: Vec<AreaCode> =
        populated.iter().filter(|c| c.as_str().starts_with(district.as_str())).cloned().collect();
    let Some(story) = communities.first().cloned() else { return Ok(()) };
    let plan = cordon_demo::demo_workforce(seed, &communities, 12);
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("workers.csv");
    std::fs::write(&file, &plan.workers_csv)?;
    let rows = cordon_import::read_workers(&file, Limits::default(), &Progress::default())?;
    store.put_workers(&rows, chrono::Utc::now()).await?;
    let tz = chrono_tz::Asia::Shanghai;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    for (worker, community) in &plan.checkins {
        store.check_in(worker, community, today, chrono::Utc::now(), "xincheng").await?;
    }
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let office = acting_user(store, "xincheng").await?;
    let street = &story.as_str()[..9];
    let hotels = [
        ("QS-JINJIANG", "锦江之星（海拉尔东路店）隔离点", 120),
        ("QS-RUJIA", "如家酒店（新华大街店）隔离点", 80),
    ];
    for (id, name, rooms) in hotels {
        let req = SiteRequest {
            id: Some(id.into()),
            name: name.into(),
            area_code: street.into(),
            kind: None,
            rooms,
        };
        workforce::create_site(&state, &office, req).await.map_err(api_error)?;
    }
    // The gaps left on purpose: a sealed building of the second community and one hotel.
    let left = |key: &str| key == "QS-RUJIA" || key == "15010200100200104";
    let picks: Vec<Accepted> = workforce::suggestions(&state, &office)
        .await
        .map_err(api_error)?
        .into_iter()
        .filter(|s| !left(&s.gap.unit_key))
        .map(|s| Accepted {
            worker_id: s.worker.worker_id,
            unit_kind: s.gap.unit_kind,
            unit_key: s.gap.unit_key,
            post: s.post,
        })
        .collect();
    let accepted = workforce::accept(&state, &office, picks).await.map_err(api_error)?;
    // 呼铁佳园C区's command post (现场指挥部): its temporary party branch and gate team.
    let post = workforce::CommandPostRequest { area_code: format!("{story}001"), name: None, branch: None };
    workforce::create_command_post(&state, &office, post).await.map_err(api_error)?;
    // Anyone on hand in the community but the compound's own leader.
    let compound_code = format!("{story}001");
    let leading: std::collections::HashSet<String> = accepted
        .assigned
        .iter()
        .filter(|a| a.unit_key == compound_code)
        .map(|a| a.worker.worker_id.clone())
        .collect();
    let team: Vec<&String> = plan
        .checkins
        .iter()
        .filter(|(w, c)| *c == story && !leading.contains(w))
        .map(|(w, _)| w)
        .take(3)
        .collect();
    // Each post with its duty line, which the compound's households see under "whom to call".
    let posts = [("临时党支部书记", "0471-6900101"), ("门岗", "0471-6900102"), ("物资保障", "0471-6900103")];
    for (worker, (title, phone)) in team.into_iter().zip(posts) {
        let req = AssignRequest {
            worker_id: worker.clone(),
            area_code: Some(format!("{story}001")),
            site_id: None,
            post: cordon_domain::workforce::Post::Member,
            title: title.into(),
            duty_phone: Some(phone.into()),
            from: None,
            until: None,
        };
        workforce::assign(&state, &office, req).await.map_err(api_error)?;
    }
    let gaps = workforce::coverage(&state, &office).await.map_err(api_error)?.gaps.len();
    eprintln!(
        "seeded {} workers ({} on hand), {} 包联 assignments and {gaps} gaps left in {:.1} s",
        rows.len(),
        plan.checkins.len(),
        accepted.assigned.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Seeds the residents' needs of 公主府社区 as its grid worker, the compound's cadre and the
/// offices raised and handled them over the last hours: an emergency nobody acknowledged (swept
/// up to headquarters, carrying its emergency pass), a dialysis trip taken on, food overdue and
/// climbing, requests to leave refused with a video call arranged and granted for an exam, and
/// the rest open, acknowledged or done.
pub(crate) async fn seed_needs(
    store: &Arc<dyn Store>,
    people: &[cordon_domain::PersonRow],
    community: Option<&AreaCode>,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use cordon_server::needs::{self, NeedAction, NeedRequest};
    let Some(community) = community else { return Ok(()) };
    let started = std::time::Instant::now();
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let grid = acting_user(store, "gongzhufu").await?;
    let cadre = acting_user(store, "cadre").await?;
    let office = acting_user(store, "xincheng").await?;
    let here: Vec<&cordon_domain::PersonRow> =
        people.iter().filter(|p| p.household.as_str().starts_with(community.as_str())).collect();
    let compound = format!("{community}001");
    let tagged = |tag: &str, skip: usize| {
        here.iter()
            .filter(|p| p.tags.iter().any(|t| t.as_str() == tag))
            .nth(skip)
            .or_else(|| here.get(skip))
            .copied()
    };
    let in_compound = |skip: usize| {
        here.iter()
            .filter(|p| p.household.as_str().starts_with(&compound))
            .nth(skip)
            .or_else(|| here.get(skip))
            .copied()
    };
    let now = Utc::now();
    let ago = |m: i64| now - Duration::minutes(m);
    // (minutes ago, who, category, emergency, what) and what was done after, minutes ago.
    type Step = (i64, &'static str, NeedAction);
    type Planned<'a> = (i64, Option<&'a cordon_domain::PersonRow>, &'a str, bool, &'a str, Vec<Step>);
    let note = |s: &str| s.to_owned();
    let plan: Vec<Planned> = vec![
        (26, tagged("pregnant", 0), "childbirth", true, "孕38周，腹痛见红，需立即送医", vec![]),
        (
            50,
            tagged("dialysis", 0),
            "treatment",
            false,
            "每周一三五血液透析，今日14:00市第一医院",
            vec![
                (44, "cadre", NeedAction::Acknowledge { note: note("已联系医院透析室") }),
                (40, "cadre", NeedAction::Note { note: note("社区专车13:20在楼下等候，全程闭环") }),
            ],
        ),
        (
            12,
            tagged("elderly_alone", 0),
            "medical_care",
            true,
            "独居老人胸闷气短，血压180/110",
            vec![(9, "gongzhufu", NeedAction::Acknowledge { note: note("已拨打120，网格员在门口等候") })],
        ),
        (190, in_compound(3), "food", false, "家中米面已吃完，需配送生活物资", vec![]),
        (30, in_compound(5), "medicine", false, "需代购降压药（硝苯地平缓释片）", vec![]),
        (
            300,
            in_compound(7),
            "food",
            false,
            "蔬菜包一份",
            vec![
                (290, "cadre", NeedAction::Acknowledge { note: String::new() }),
                (60, "cadre", NeedAction::Resolve { note: note("已送到门口") }),
            ],
        ),
        (
            130,
            in_compound(9),
            "leave_zone",
            false,
            "父亲在市医院病危，申请前往探视",
            vec![
                (120, "gongzhufu", NeedAction::Acknowledge { note: note("已报街道、区指挥部") }),
                (
                    95,
                    "xincheng",
                    NeedAction::Decide {
                        granted: false,
                        alternative: Some(note("协调医院安排每日两次视频通话，病情变化即时通知")),
                        note: note("病房为封闭管理区域，禁止探视"),
                    },
                ),
            ],
        ),
        (
            400,
            tagged("minor_alone", 0),
            "family_emergency",
            false,
            "父母均在集中隔离，孩子独自在家",
            vec![(395, "gongzhufu", NeedAction::Acknowledge { note: note("已安排网格员每日两次上门") })],
        ),
        (
            240,
            in_compound(11),
            "leave_zone",
            false,
            "孩子明日参加中考，需出小区赴考点",
            vec![
                (230, "gongzhufu", NeedAction::Acknowledge { note: String::new() }),
                (
                    200,
                    "xincheng",
                    NeedAction::Decide {
                        granted: true,
                        alternative: None,
                        note: note("专车点对点接送，考后闭环返回"),
                    },
                ),
            ],
        ),
        (20, in_compound(13), "mental_health", false, "居家隔离第10天，情绪低落失眠", vec![]),
        (70, tagged("elderly_alone", 1), "daily_check", false, "独居老人每日探访", vec![]),
    ];
    let mut raised = 0;
    for (minutes, person, category, emergency, what, steps) in plan {
        let Some(person) = person else { continue };
        let req = NeedRequest {
            household_code: person.household.as_str().to_owned(),
            person_id: Some(person.person_id.as_str().to_owned()),
            category: category.into(),
            emergency,
            contact_phone: Some(person.phone.as_ref().map_or("13904710000", |p| p.as_str()).to_owned()),
            description: what.into(),
        };
        let raiser = if category == "treatment" { &cadre } else { &grid };
        let d = needs::raise(&state, raiser, req, ago(minutes)).await.map_err(api_error)?;
        // Steps up the chain due before what was done next are recorded in their turn.
        for (at, who, action) in steps {
            needs::sweep(&state, ago(at)).await.map_err(api_error)?;
            let actor = match who {
                "cadre" => &cadre,
                "xincheng" => &office,
                _ => &grid,
            };
            needs::act(&state, actor, d.need.id, action, ago(at)).await.map_err(api_error)?;
        }
        raised += 1;
    }
    let steps = needs::sweep(&state, now).await.map_err(api_error)?;
    eprintln!(
        "seeded {raised} residents' needs ({steps} steps up the chain) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Draws the demo's zones and tells their history, days back from today, through the zone
/// service as headquarters (`admin`) does, on a clock set to each step's moment: a zone drawn,
/// a round recorded, a positive reported (which resets every zone around it), and each step
/// down taken by approving the proposal the rules filed, or refused with the reason.
/// Puts `profile` in force, as headquarters does, before anything is drawn under it.
pub(crate) async fn choose_profile(store: &Arc<dyn Store>, profile: &cordon_domain::Profile) -> Result<()> {
    let state = cordon_server::AppState::new(store.clone(), cordon_server::Config::default());
    let admin = acting_user(store, "admin").await?;
    cordon_server::zones::choose_profile(&state, &admin, &profile.key).await.map_err(api_error)
}

pub(crate) async fn seed_zones(
    store: &Arc<dyn Store>,
    scale: Scale,
    populated: &[AreaCode],
    profile: &cordon_domain::Profile,
) -> Result<()> {
    use chrono::Utc;
    use cordon_domain::EventKind;
    use cordon_server::zones::{self, DrawRequest, Recorded};
    let tz = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let clock = cordon_server::Clock::set_at(now);
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() })
            .with_clock(clock.clone());
    let admin = acting_user(store, "admin").await?;
    let root = cordon_domain::AreaPath::root();
    // Every step of every zone, in the order they happened: a positive reaches the zones drawn
    // before it, whichever story it belongs to.
    enum Step<'a> {
        Draw(&'a cordon_demo::DemoZone),
        Event(&'a cordon_demo::DemoEvent),
    }
    let stories = cordon_demo::demo_zones(scale, populated, profile, tz);
    let mut steps = Vec::new();
    for (i, z) in stories.iter().enumerate() {
        if store.area(&root, &z.area).await?.is_none() {
            eprintln!("demo zone on {} skipped: this seed made no such area", z.area);
            continue;
        }
        let (drawn, events) = z.timeline(now, tz);
        steps.push((drawn, i, 0, Step::Draw(z)));
        steps.extend(events.into_iter().enumerate().map(|(k, (at, e))| (at, i, k + 1, Step::Event(e))));
    }
    steps.sort_by_key(|(at, i, k, _)| (*at, *i, *k));
    let mut ids = std::collections::HashMap::new();
    for (at, i, _, step) in steps {
        clock.set(at);
        match step {
            Step::Draw(z) => {
                let request = DrawRequest {
                    area: z.area.to_string(),
                    tier: z.tier,
                    reason: z.reason.clone(),
                    profile: Some(profile.key.clone()),
                    case_person_id: None,
                    at: None,
                };
                let drawn = zones::draw(&state, &admin, request)
                    .await
                    .map_err(api_error)
                    .with_context(|| format!("demo zone on {}", z.area))?;
                ids.insert(z.area.clone(), drawn.id);
            }
            Step::Event(e) => {
                let z = &stories[i];
                let Some(&id) = ids.get(&z.area) else {
                    bail!("demo zone on {}: {:?} at {at} comes before the zone is drawn", z.area, e.kind)
                };
                let done = match &e.kind {
                    EventKind::Round { all_negative } => zones::record(
                        &state,
                        &admin,
                        id,
                        Recorded::Round { all_negative: *all_negative },
                        None,
                        &e.note,
                    )
                    .await
                    .map(drop),
                    EventKind::Positive => {
                        zones::record_positive(&state, &admin, None, Some(z.area.as_str()), None, &e.note)
                            .await
                            .map(drop)
                    }
                    EventKind::SteppedDown { tier } => {
                        step_down(&state, &admin, id, Some(*tier), &e.note).await
                    }
                    EventKind::Lifted => step_down(&state, &admin, id, None, &e.note).await,
                    other => bail!("the demo's zone stories record no {other:?}"),
                };
                done.map_err(api_error)
                    .with_context(|| format!("demo zone on {}: {:?} at {at}", z.area, e.kind))?;
            }
        }
    }
    eprintln!("drew {} zones with their history", ids.len());
    Ok(())
}

/// Takes a zone down to `to` (`None`: lifted) as headquarters does: the proposal the rules
/// filed, approved; or a lift by hand where the profile has no step down from the zone's tier.
/// Refused, with the rules' reason, when they do not allow it now.
pub(crate) async fn step_down(
    state: &cordon_server::AppState,
    hq: &cordon_store::User,
    zone: i64,
    to: Option<cordon_domain::Tier>,
    note: &str,
) -> Result<(), cordon_server::zones::ZoneError> {
    use cordon_server::zones;
    zones::review(state, Some(zone)).await?;
    let detail = zones::detail(state, hq, zone).await?;
    let s = &detail.zone.state;
    if s.step.is_none() && to.is_none() {
        return zones::lift(state, hq, zone, note).await.map(drop);
    }
    let filed = detail.proposals.iter().find(|p| {
        p.status == cordon_store::ProposalStatus::Pending
            && matches!(p.kind, cordon_store::ProposalKind::StepDown | cordon_store::ProposalKind::Lift)
            && p.tier_to == to
    });
    match filed {
        Some(p) => zones::decide(state, hq, p.id, true, note).await.map(drop),
        None => Err(cordon_server::zones::ZoneError::Conflict(format!(
            "the rules do not take zone {zone} to {to:?} now: {:?}",
            s.blockers
        ))),
    }
}
