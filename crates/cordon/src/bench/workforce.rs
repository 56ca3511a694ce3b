//! `cordon bench workforce`: the coverage report and the suggestions of a city, through the same
//! service the API calls, on a demo city grown to the sizes: zones on buildings (sealed
//! and controlled), workers reporting in across the communities, leaders for most units and
//! gaps for the rest. The first run on a database adds what is missing; later runs measure only.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_domain::workforce::{Post, Rank, WorkerRow};
use cordon_domain::{AreaCode, AreaLevel, AreaPath, Tier};
use cordon_store::{NewAssignment, NewZone, Store, UnitRef};
use rand::SeedableRng;
use rand::seq::SliceRandom;

use crate::bench::report::{Job, Report};
use crate::bench::stats::{median, ms};

#[derive(Args)]
pub struct WorkforceBench {
    /// A demo database (`cordon demo --no-serve --scale city --db URL`).
    #[arg(long)]
    db: String,
    /// Zones to have, each on a building (half sealed, half controlled).
    #[arg(long, default_value_t = 20_000)]
    zones: usize,
    /// Workers to have, reporting in today across the communities.
    #[arg(long, default_value_t = 60_000)]
    workers: usize,
    /// Share of units given a leader, in per cent (the rest are the gaps).
    #[arg(long, default_value_t = 95)]
    covered_pct: u32,
    /// Timed runs of each measure.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    #[arg(long, default_value_t = 2022)]
    seed: u64,
}

pub async fn bench(b: &WorkforceBench, out: &mut Report) -> Result<()> {
    let store: Arc<dyn Store> = crate::common::open(&b.db).await?;
    let totals = store.totals().await?;
    let root = AreaPath::root();
    let hq = store.user_by_name("admin").await?.context("no user admin: seed a demo first")?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(b.seed);
    let now = chrono::Utc::now();
    let tz = chrono_tz::Asia::Shanghai;
    let today = now.with_timezone(&tz).date_naive();

    // Zones on buildings, spread over the city.
    let started = Instant::now();
    let active = store
        .zones(&root, &cordon_store::ZoneQuery { include_ended: false, tier: None, limit: u32::MAX / 2 })
        .await?;
    let buildings = store.areas_at(&root, &[AreaLevel::Building]).await?;
    if buildings.is_empty() {
        bail!("{} has no buildings: seed a demo first", b.db);
    }
    let zoned: std::collections::HashSet<&AreaPath> = active.iter().map(|z| &z.path).collect();
    let mut added_zones = 0;
    let step = (buildings.len() / b.zones.max(1)).max(1);
    for (i, bld) in buildings.iter().enumerate().step_by(step) {
        if active.len() + added_zones >= b.zones {
            break;
        }
        if zoned.contains(&bld.path) {
            continue;
        }
        let zone = NewZone {
            area: bld.code.clone(),
            tier: if i % 2 == 0 { Tier::Sealed } else { Tier::Controlled },
            profile_key: cordon_domain::protocol::DEFAULT_PROFILE.into(),
            reason: "cordon bench workforce".into(),
            case_person_id: None,
            at: now,
            by: "bench".into(),
        };
        store.create_zone(&root, &zone).await?;
        added_zones += 1;
    }
    // Workers, reporting in to communities round the city.
    let communities = store.areas_at(&root, &[AreaLevel::Community]).await?;
    let known = store.on_hand(&root, today).await?.len();
    if known < b.workers {
        let rows: Vec<WorkerRow> = (known..b.workers)
            .map(|i| WorkerRow {
                worker_id: format!("B{i:07}"),
                name: format!("干部{i}"),
                phone: None,
                organisation: format!("单位{}", i % 300),
                party_member: i % 5 != 0,
                rank: match i % 20 {
                    0 => Rank::Division,
                    1..=5 => Rank::Section,
                    6..=14 => Rank::Staff,
                    _ => Rank::Volunteer,
                },
            })
            .collect();
        store.put_workers(&rows, now).await?;
        for (i, w) in rows.iter().enumerate() {
            let c = &communities[i % communities.len()];
            store.check_in(&w.worker_id, &c.code, today, now, "bench").await?;
        }
    }
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    // Leaders for most units: each gap taken by a worker on hand in its own community, if any.
    let first =
        cordon_server::workforce::coverage(&state, &hq).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let on_hand = store.on_hand(&root, today).await?;
    let mut by_community: std::collections::HashMap<&AreaPath, Vec<usize>> = std::collections::HashMap::new();
    for (i, c) in on_hand.iter().enumerate() {
        by_community.entry(&c.path).or_default().push(i);
    }
    let mut used = std::collections::HashSet::new();
    let mut assigned = 0;
    let mut leaderless: Vec<_> =
        first.gaps.iter().filter(|g| g.kind == cordon_domain::workforce::GapKind::NoLeader).collect();
    // Leaders for all but the share of units left open, chosen at random; a later run finds
    // the share open already and adds none.
    let open = (first.units as f64 * (100 - b.covered_pct.min(100)) as f64 / 100.0) as usize;
    if leaderless.len() > open {
        leaderless.shuffle(&mut rng);
        let wanted = leaderless.len() - open;
        for g in &leaderless {
            if assigned >= wanted {
                break;
            }
            let unit = if g.unit_kind == "site" {
                UnitRef::Site(g.unit_key.clone())
            } else {
                UnitRef::Area(AreaCode::parse(&g.unit_key)?)
            };
            let Some(node) = (match &unit {
                UnitRef::Area(c) => store.area(&root, c).await?.map(|n| n.area.path),
                UnitRef::Site(_) => None,
            }) else {
                continue;
            };
            let lineage = node.lineage();
            let pool = lineage.iter().rev().find_map(|p| by_community.get(p));
            let Some(w) = pool.and_then(|p| {
                p.iter().find(|i| {
                    !used.contains(*i) && (g.rule != "streets" || on_hand[**i].worker.rank <= Rank::Division)
                })
            }) else {
                continue;
            };
            used.insert(*w);
            let a = NewAssignment {
                worker_id: on_hand[*w].worker.worker_id.clone(),
                unit,
                post: Post::Leader,
                title: String::new(),
                duty_phone: None,
                from: now,
                until: None,
                at: now,
                by: "bench".into(),
            };
            if store.assign(&a).await.is_ok() {
                assigned += 1;
            }
        }
    }
    eprintln!(
        "set up in {:.1} s: {added_zones} zones and {assigned} leaders added",
        started.elapsed().as_secs_f64()
    );

    let zones_now = store
        .zones(&root, &cordon_store::ZoneQuery { include_ended: false, tier: None, limit: u32::MAX / 2 })
        .await?
        .len();
    // Cold: a server just started (or just after a zone or an import changed the units), the
    // units under zones not kept yet. Warm: every report after it until the next such change.
    let fresh =
        || cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let t = Instant::now();
    cordon_server::workforce::coverage(&fresh(), &hq).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let cold_cov = t.elapsed();
    let t = Instant::now();
    cordon_server::workforce::suggestions(&fresh(), &hq).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let cold_sug = t.elapsed();
    let mut cov = Vec::new();
    let mut report = None;
    for _ in 0..b.repeat {
        let t = Instant::now();
        let c = cordon_server::workforce::coverage(&state, &hq)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        cov.push(t.elapsed());
        report = Some(c);
    }
    let report = report.context("--repeat 0")?;
    let mut sug = Vec::new();
    let mut proposed = 0;
    for _ in 0..b.repeat {
        let t = Instant::now();
        proposed = cordon_server::workforce::suggestions(&state, &hq)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?
            .len();
        sug.push(t.elapsed());
    }
    // After a change of zones: a building sealed (its units read again, the rest kept), then
    // the zone lifted, each followed by the report.
    let free =
        buildings.iter().rev().find(|bld| !zoned.contains(&bld.path)).context("every building zoned")?;
    let zone = NewZone {
        area: free.code.clone(),
        tier: Tier::Sealed,
        profile_key: cordon_domain::protocol::DEFAULT_PROFILE.into(),
        reason: "cordon bench workforce: a change".into(),
        case_person_id: None,
        at: chrono::Utc::now(),
        by: "bench".into(),
    };
    // As the server does after a change: the zone's entry in its snapshot brought up to date
    // (in the time measured).
    let drawn = store.create_zone(&root, &zone).await?;
    let t = Instant::now();
    cordon_server::zones::refresh_zones(&state, &[drawn.id])
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let c =
        cordon_server::workforce::coverage(&state, &hq).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let after_draw = t.elapsed();
    if !c.gaps.iter().any(|g| g.unit_key == free.code.as_str()) {
        bail!("the building sealed is not among the gaps");
    }
    let lifted = cordon_store::NewZoneEvent {
        event: cordon_domain::ZoneEvent { at: chrono::Utc::now(), kind: cordon_domain::EventKind::Lifted },
        note: "cordon bench workforce: the change undone".into(),
        person_id: None,
        by: "bench".into(),
        recorded_at: chrono::Utc::now(),
    };
    store.record_zone_event(drawn.id, &lifted).await?;
    let t = Instant::now();
    cordon_server::zones::refresh_zones(&state, &[drawn.id])
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    cordon_server::workforce::coverage(&state, &hq).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let after_lift = t.elapsed();
    let runs = cov.len();
    let units = report.units as u64;
    out.push(
        Job::median("coverage report, city scope", store.backend(), units, &cov)
            .with("cold_ms", ms(cold_cov)),
    );
    out.push(
        Job::median("suggestions, city scope", store.backend(), units, &sug)
            .with("cold_ms", ms(cold_sug))
            .with("proposed", proposed),
    );
    let (cov_m, cov_lo, cov_hi) = median(cov);
    let (sug_m, sug_lo, sug_hi) = median(sug);
    println!(
        "cordon bench workforce: {} ({} people, {} areas), {zones_now} active zones, {} workers on hand, {} units, {} gaps ({} without a leader)",
        store.backend(),
        totals.people,
        totals.areas,
        report.figures.on_hand,
        report.units,
        report.gaps.len(),
        report.gaps.iter().filter(|g| g.kind == cordon_domain::workforce::GapKind::NoLeader).count()
    );
    println!(
        "coverage report (city scope): median {:.1} ms, best {:.1} ms, worst {:.1} ms over {} runs; cold {:.1} ms",
        cov_m,
        cov_lo,
        cov_hi,
        runs,
        ms(cold_cov)
    );
    println!(
        "coverage report after a building sealed: {:.1} ms; after it is lifted: {:.1} ms",
        ms(after_draw),
        ms(after_lift)
    );
    println!(
        "suggestions: {proposed} proposed, median {:.1} ms, best {:.1} ms, worst {:.1} ms; cold {:.1} ms",
        sug_m,
        sug_lo,
        sug_hi,
        ms(cold_sug)
    );
    Ok(())
}
