//! `cordon bench needs`: the board of a community with thousands of open needs, and the
//! escalation sweep over a million, through the same service the API and the server's task
//! call, on a demo grown to those sizes. The first run on a database adds what is missing; later
//! runs measure only (each timed sweep first raises the needs it will find due).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Args;
use cordon_domain::needs::{NeedCategory, Rung, default_need_rules, rule_for};
use cordon_domain::{AreaCode, AreaLevel, AreaPath};
use cordon_store::{NewNeed, Store};
use rand::{RngExt, SeedableRng};

use crate::bench::report::{Job, Report};
use crate::bench::stats::median;

#[derive(Args)]
pub struct NeedsBench {
    /// A demo database (`cordon demo --no-serve --db URL`).
    #[arg(long)]
    db: String,
    /// Needs to have across the demo's households, open, their deadlines ahead.
    #[arg(long, default_value_t = 1_000_000)]
    needs: usize,
    /// Of them, open in the story community (公主府社区): its board.
    #[arg(long, default_value_t = 5_000)]
    community_open: usize,
    /// Needs past their deadline at each timed sweep.
    #[arg(long, default_value_t = 1_000)]
    due: usize,
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    #[arg(long, default_value_t = 2022)]
    seed: u64,
}

pub async fn bench(b: &NeedsBench, report: &mut Report) -> Result<()> {
    let store: Arc<dyn Store> = crate::common::open(&b.db).await?;
    let root = AreaPath::root();
    let grid = store.user_by_name("gongzhufu").await?.context("no user gongzhufu: seed a demo first")?;
    let profile = cordon_domain::protocol::DEFAULT_PROFILE.to_owned();
    let rules = default_need_rules();
    let food = rule_for(&rules, NeedCategory::Food, false).context("a food rule")?.clone();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(b.seed);
    let now = Utc::now();
    let need = |household: &AreaCode, minutes_ago: i64| NewNeed {
        household: household.clone(),
        person_id: None,
        category: NeedCategory::Food,
        emergency: false,
        contact_phone: None,
        description: "cordon bench needs".into(),
        rung: Rung::Community,
        owner_worker: None,
        profile_key: profile.clone(),
        pass_id: None,
        plan_key: None,
        at: now - chrono::Duration::minutes(minutes_ago),
        by: "bench".into(),
    };

    let started = Instant::now();
    let households = store.areas_at(&root, &[AreaLevel::Household]).await?;
    // The community's households, and the rest of the city's (where the other needs go, so
    // that the community's board holds what it is asked to).
    let (community, households): (Vec<_>, Vec<_>) =
        households.into_iter().partition(|h| grid.scope_path.contains(&h.path));
    let community: Vec<AreaCode> = community.into_iter().map(|h| h.code).collect();
    if households.is_empty() || community.is_empty() {
        bail!("{} has no households: seed a demo first", b.db);
    }
    // Open needs, raised within the last hour and a half: every deadline still ahead.
    let counts = store.need_counts(&root, now).await?;
    let have = (counts.open + counts.acknowledged) as usize;
    let have_here = store.need_counts(&grid.scope_path, now).await?.open as usize;
    let mut added = 0;
    let mut batch = Vec::with_capacity(5_000);
    let flush = |batch: &mut Vec<(NewNeed, cordon_domain::needs::NeedRule)>| {
        let batch = std::mem::take(batch);
        let store = store.clone();
        async move { store.create_needs(&AreaPath::root(), &batch).await.map(|ids| ids.len()) }
    };
    for _ in have_here..b.community_open {
        let h = &community[rng.random_range(0..community.len())];
        batch.push((need(h, rng.random_range(0..90)), food.clone()));
        if batch.len() == 5_000 {
            added += flush(&mut batch).await?;
        }
    }
    for _ in (have + b.community_open.saturating_sub(have_here)).min(b.needs)..b.needs {
        let h = &households[rng.random_range(0..households.len())].code;
        batch.push((need(h, rng.random_range(0..90)), food.clone()));
        if batch.len() == 5_000 {
            added += flush(&mut batch).await?;
            if added % 100_000 < 5_000 {
                eprintln!("… {added} needs added");
            }
        }
    }
    added += flush(&mut batch).await?;
    eprintln!("set up in {:.1} s: {added} needs added", started.elapsed().as_secs_f64());

    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let total = store.need_counts(&root, Utc::now()).await?;
    let here = store.need_counts(&grid.scope_path, Utc::now()).await?;
    // The board as the page reads it: the figures and the first thousand.
    let mut board = Vec::new();
    let mut shown = 0;
    for _ in 0..b.repeat {
        let t = Instant::now();
        let now = Utc::now();
        let (_, list) = tokio::try_join!(
            cordon_server::needs::counts(&state, &grid, now),
            cordon_server::needs::board(&state, &grid, false, 1_000, now)
        )
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        board.push(t.elapsed());
        shown = list.len();
    }
    // The figures of the whole city, as headquarters' page reads them.
    let hq = store.user_by_name("admin").await?.context("no user admin")?;
    let mut city = Vec::new();
    for _ in 0..b.repeat {
        let t = Instant::now();
        cordon_server::needs::counts(&state, &hq, Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        city.push(t.elapsed());
    }
    // The sweep with nothing due (every half minute, most of the time)…
    let mut idle = Vec::new();
    for _ in 0..b.repeat {
        let t = Instant::now();
        let steps = cordon_server::needs::sweep(&state, Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        idle.push(t.elapsed());
        if steps != 0 {
            eprintln!("(the idle sweep found {steps} steps due: the set-up left some)");
        }
    }
    // …and with `due` needs past their deadline, each climbing one rung.
    let mut busy = Vec::new();
    let mut climbed = 0;
    for _ in 0..b.repeat {
        let due: Vec<_> = (0..b.due)
            .map(|_| (need(&households[rng.random_range(0..households.len())].code, 125), food.clone()))
            .collect();
        store.create_needs(&root, &due).await?;
        let t = Instant::now();
        climbed = cordon_server::needs::sweep(&state, Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        busy.push(t.elapsed());
    }
    println!(
        "cordon bench needs: {} ({} needs not resolved, {} of them in {}), {} runs",
        store.backend(),
        total.open + total.acknowledged,
        here.open + here.acknowledged,
        grid.scope_name,
        b.repeat
    );
    let unresolved = (total.open + total.acknowledged) as u64;
    let backend = store.backend();
    report.push(Job::median(
        "needs board of a community",
        backend,
        (here.open + here.acknowledged) as u64,
        &board,
    ));
    report.push(Job::median("needs figures of the city", backend, unresolved, &city));
    report.push(Job::median("needs sweep, nothing due", backend, unresolved, &idle));
    report.push(
        Job::median("needs sweep, due", backend, unresolved, &busy).with("due", b.due).with("steps", climbed),
    );
    let (m, lo, hi) = median(board);
    println!(
        "board of the community ({shown} shown, with its figures): median {m:.1} ms, best {lo:.1}, worst {hi:.1}"
    );
    let (m, lo, hi) = median(city);
    println!("figures of the whole city (headquarters): median {m:.1} ms, best {lo:.1}, worst {hi:.1}");
    let (m, lo, hi) = median(idle);
    println!("sweep, nothing due: median {m:.1} ms, best {lo:.1}, worst {hi:.1}");
    let (m, lo, hi) = median(busy);
    println!("sweep, {} due ({climbed} steps written): median {m:.1} ms, best {lo:.1}, worst {hi:.1}", b.due);
    Ok(())
}
