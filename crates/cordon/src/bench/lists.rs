//! `cordon bench lists`: the first page of each long list a worker opens on a phone — the sweep
//! of the round's street, of one building and its next page; the needs board; the cases; the
//! contacts; who reported in — through the same services the pages call, as each role that
//! opens it, on a demo database. The peer: the database's own shell reading the sweep's page of
//! people bare (the same index range and order, none of the round's checks), in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use cordon_domain::AreaPath;
use cordon_server::{AppState, Config, cases, needs, testing, workforce};
use cordon_store::{ContactQuery, Store, User};

use crate::bench::report::{Job, Report};
use crate::bench::stats::{quantile, shell};

#[derive(Args)]
pub struct ListsBench {
    /// A demo database (`cordon demo --no-serve --db URL`, any scale).
    #[arg(long)]
    db: String,
    /// Timed reads of each list's first page.
    #[arg(long, default_value_t = 50)]
    runs: usize,
}

/// One list's page read `runs` times: p50 and p99 in milliseconds, and the rows of its page.
async fn timed<F, Fut>(runs: usize, mut read: F) -> Result<(f64, f64, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize>>,
{
    let rows = read().await?; // warm: the first read of a cold cache is not a page a worker waits on twice
    let mut took: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        read().await?;
        took.push(t.elapsed());
    }
    took.sort();
    Ok((quantile(&took, 0.5), quantile(&took, 0.99), rows))
}

async fn user(store: &Arc<dyn Store>, name: &str) -> Result<User> {
    store.user_by_name(name).await?.with_context(|| format!("no user {name}: seed a demo first"))
}

pub async fn bench(b: &ListsBench, report: &mut Report) -> Result<()> {
    let store: Arc<dyn Store> = crate::common::open(&b.db).await?;
    let state = AppState::new(store.clone(), Config::default());
    let (sampler, grid, epi, office) = (
        user(&store, "sampler").await?,
        user(&store, "gongzhufu").await?,
        user(&store, "epi").await?,
        user(&store, "xincheng").await?,
    );
    let round = testing::rounds(&state, &sampler, true)
        .await?
        .into_iter()
        .next()
        .context("no testing round: seed a demo")?;
    let area = store.area(&AreaPath::root(), &round.area_code).await?.context("the round's area")?;
    let residents = area.stats.residents;
    let first = testing::SweepPage { after: None, limit: 25 };
    let street = testing::sweep(&state, &sampler, round.id, None, first).await?;
    let building = street
        .people
        .first()
        .map(|p| p.household.as_str()[..17].to_owned())
        .context("nobody left to sweep")?;
    let after = street.next_after.clone();
    println!(
        "lists: round {} over {} ({residents} residents, {} left to sweep), {} timed reads of each first page",
        round.round_key, street.area_name, street.total, b.runs
    );
    let now = state.now();
    let mut rows: Vec<(&str, (f64, f64, usize))> = Vec::new();
    rows.push((
        "sweep of the round's street (25)",
        timed(b.runs, || async {
            Ok(testing::sweep(&state, &sampler, round.id, None, first).await?.people.len())
        })
        .await?,
    ));
    rows.push((
        "sweep of one building (25)",
        timed(b.runs, || async {
            Ok(testing::sweep(&state, &sampler, round.id, Some(&building), first).await?.people.len())
        })
        .await?,
    ));
    let next = testing::SweepPage { after: after.as_deref(), limit: 25 };
    rows.push((
        "sweep of the street, next page (25)",
        timed(b.runs, || async {
            Ok(testing::sweep(&state, &sampler, round.id, None, next).await?.people.len())
        })
        .await?,
    ));
    rows.push((
        "places to narrow the street's sweep to",
        timed(b.runs, || async { Ok(testing::sweep_places(&state, &sampler, round.id, None).await?.len()) })
            .await?,
    ));
    let board = needs::BoardPage { include_resolved: false, limit: 31, offset: 0 };
    rows.push((
        "needs board of a community (30) and its inbox",
        timed(b.runs, || async {
            let (_, list) = needs::board_in(&state, &grid, None, board, now).await?;
            Ok(list.len() + needs::inbox(&state, &grid, 200, now).await?.len())
        })
        .await?,
    ));
    let filter = cases::CaseFilter { limit: 21, ..Default::default() };
    rows.push((
        "cases of the city (20)",
        timed(b.runs, || async { Ok(cases::list_filtered(&state, &epi, &filter, "bench").await?.len()) })
            .await?,
    ));
    let query = ContactQuery { active_only: true, limit: 26, ..Default::default() };
    rows.push((
        "contacts under follow-up (25)",
        timed(b.runs, || async { Ok(cases::contacts(&state, &epi, &query, "bench").await?.len()) }).await?,
    ));
    rows.push((
        "who reported in, in a district",
        timed(b.runs, || async { Ok(workforce::find_on_hand(&state, &office, "").await?.len()) }).await?,
    ));

    // The peer: the sweep's page of people read bare by the database's shell.
    let (lo, hi) = area.area.path.subtree_range();
    let sql = format!(
        "SELECT person_id, name FROM people WHERE path >= '{lo}' AND path < '{hi}' AND status = 'active' \
         ORDER BY path, name, person_id LIMIT 25;\n"
    );
    let mut peer: Vec<Duration> =
        (0..b.runs.clamp(1, 20)).map(|_| shell(&b.db, &sql)).collect::<Result<_>>()?;
    peer.sort();
    println!("{:<48} {:>9} {:>9} {:>6}", "first page", "p50 ms", "p99 ms", "rows");
    for (name, (p50, p99, n)) in &rows {
        println!("{name:<48} {p50:>9.1} {p99:>9.1} {n:>6}");
    }
    println!(
        "{:<48} {:>9.1} {:>9.1} {:>6}",
        "peer: the street's page of people, bare, in the shell",
        quantile(&peer, 0.5),
        quantile(&peer, 0.99),
        25
    );
    let peer_p99 = Duration::from_secs_f64(quantile(&peer, 0.99) / 1e3);
    for (name, (p50, p99, n)) in &rows {
        let mut job = Job::new(
            format!("{name} p99"),
            store.backend(),
            residents as u64,
            Duration::from_secs_f64(p99 / 1e3),
        )
        .runs(b.runs)
        .with("p50_ms", *p50)
        .with("page_rows", *n);
        if name.starts_with("sweep of the round's street") {
            job = job.peer("shell read of the street's page p99", peer_p99);
        }
        report.push(job);
    }
    Ok(())
}
