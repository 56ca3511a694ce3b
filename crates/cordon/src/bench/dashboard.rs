//! `cordon bench dashboard`: the command's figures and its largest export on a demo database,
//! through the same service the API calls.
//!
//! - The city's dashboard computed from nothing (what the background refresh costs).
//! - The dashboard as headquarters reads it, request after request for a stated time, while the
//!   kept figures age past their freshness and are recomputed behind the requests: p50, p99, max.
//! - The people of the whole city exported as CSV, streamed and read to the end: rows per second
//!   and the process's resident memory before, at its highest during, and after; pseudonymised
//!   (one audit entry) and named (every person's read in the audit).
//! - The peer on the same rows: PostgreSQL's `COPY … TO STDOUT (FORMAT csv)` through psql, or
//!   SQLite's own `sqlite3 -csv`, of the same columns in the same order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Args;
use cordon_store::Store;
use futures::StreamExt;

use crate::bench::report::{self, Job, Report};
use crate::bench::stats::{median, ms, quantile};

#[derive(Args)]
pub struct DashboardBench {
    /// A demo database (`cordon demo --no-serve --db URL`).
    #[arg(long)]
    db: String,
    /// Seconds to read the dashboard for (one read every 20 ms).
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Cold computations of the city's dashboard to time, and exports of the city (each
    /// alternated with the peer's).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Also export with names (every person read is written to the audit: it grows by the
    /// city's population each run).
    #[arg(long)]
    named: bool,
}

/// The resident memory of this process, in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub async fn bench(b: &DashboardBench, report: &mut Report) -> Result<()> {
    if b.repeat == 0 {
        bail!("--repeat: at least 1");
    }
    let store: Arc<dyn Store> = crate::common::open(&b.db).await?;
    let admin = store.user_by_name("admin").await?.context("no user admin: seed a demo first")?;
    let totals = store.totals().await?;
    let config = cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() };
    let state = cordon_server::AppState::new(store.clone(), config);
    let root = cordon_domain::AreaPath::root();
    let city = store.area(&root, &admin.scope).await?.context("the city")?;
    println!(
        "{} ({}): {} residents, {} areas",
        city.area.name,
        store.backend(),
        city.stats.residents,
        totals.areas
    );

    // Cold: the whole computation, as the background refresh does it.
    let mut cold = Vec::new();
    let mut last = None;
    for _ in 0..b.repeat {
        let t = Instant::now();
        let d = cordon_server::dashboard::compute(&state, &city, Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        cold.push(t.elapsed());
        last = Some(d);
    }
    let d = last.context("at least one run")?;
    let backend = store.backend();
    let residents = city.stats.residents as u64;
    report.push(Job::median("dashboard computed", backend, residents, &cold));
    let (cold_median, cold_best, cold_worst) = median(cold);
    let history: i64 = d.days.iter().map(|p| p.positives.new_positives()).sum();
    println!(
        "dashboard computed from nothing: median {:.0} ms of {} (best {:.0}, worst {:.0}; 30 days: {} positives, {} zones in force today)",
        cold_median,
        b.repeat,
        cold_best,
        cold_worst,
        history,
        d.today.zones_by_tier.iter().sum::<i64>()
    );

    // Served: reads for `seconds`, the kept figures recomputed behind them every FRESH.
    let mut served = Vec::new();
    let until = Instant::now() + Duration::from_secs(b.seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    while Instant::now() < until {
        tick.tick().await;
        let t = Instant::now();
        let d = cordon_server::dashboard::dashboard(&state, &admin, None, false)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        served.push(t.elapsed());
        std::hint::black_box(d);
    }
    served.sort();
    println!(
        "dashboard served for {} s ({} reads, recomputed every {} s behind them): p50 {:.3} ms, p99 {:.3} ms, max {:.1} ms",
        b.seconds,
        served.len(),
        cordon_server::dashboard::FRESH.as_secs(),
        quantile(&served, 0.5),
        quantile(&served, 0.99),
        quantile(&served, 1.0)
    );
    report.push(
        Job::new(
            "dashboard read p99",
            backend,
            residents,
            Duration::from_secs_f64(quantile(&served, 0.99) / 1e3),
        )
        .runs(served.len())
        .with("p50_ms", quantile(&served, 0.5)),
    );

    // The export of the city's people, each run alternated with the peer's.
    let modes: &[bool] = if b.named { &[true, false] } else { &[true] };
    for &pseudonymise in modes {
        let (mut runs, mut peers) = (Vec::new(), Vec::new());
        for _ in 0..b.repeat {
            runs.push(export(&state, &admin, pseudonymise, city.stats.residents).await?);
            peers.extend(peer(&b.db));
        }
        let job = if pseudonymise { "export pseudonymised" } else { "export named" };
        let took = report::median(&runs);
        let peer = (peers.len() == runs.len()).then(|| report::median(&peers));
        report.push(
            Job::median(job, backend, residents, &runs)
                .peer_if("the database's CSV writer", peer)
                .with("rows_per_s", (residents as f64 / took.as_secs_f64()).round()),
        );
    }
    Ok(())
}

/// One export of the city's people as CSV, streamed and read to the end; its time.
async fn export(
    state: &cordon_server::AppState,
    admin: &cordon_store::User,
    pseudonymise: bool,
    residents: i64,
) -> Result<Duration> {
    let before = rss_mb();
    let t = Instant::now();
    let params = cordon_server::exports::ExportParams {
        list: cordon_server::exports::List::People,
        format: Some(cordon_server::exports::Format::Csv),
        area: None,
        pseudonymise: Some(pseudonymise),
    };
    let response =
        cordon_server::exports::export(state, admin, params).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = t.elapsed();
    let mut body = response.into_body().into_data_stream();
    let (mut bytes, mut lines, mut peak) = (0usize, 0usize, before);
    let mut chunks = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| anyhow::anyhow!("export cut off: {e}"))?;
        bytes += chunk.len();
        lines += chunk.iter().filter(|&&c| c == b'\n').count();
        chunks += 1;
        if chunks.is_multiple_of(16) {
            peak = peak.max(rss_mb());
        }
    }
    let took = t.elapsed();
    let rows = lines.saturating_sub(1);
    if rows as i64 != residents {
        bail!("the export held {rows} rows, the city {} residents", residents);
    }
    println!(
        "export of the city's people as CSV ({}): {rows} rows, {:.0} MB in {:.2} s = {:.0} rows/s; \
         first bytes after {:.0} ms; resident memory {:.0} MB before, {:.0} MB at most during, {:.0} MB after",
        if pseudonymise { "pseudonymised" } else { "named, every read audited" },
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        ms(first),
        before,
        peak,
        rss_mb()
    );
    Ok(took)
}

/// The peer: the database's own CSV writer over the same rows, in the same order; its time
/// (none, said why, when it could not run).
fn peer(db: &str) -> Option<Duration> {
    // The ID number and phone are sealed: written as hex, as PostgreSQL writes a bytea.
    let columns = |hex: &str| {
        format!(
            "person_id, name, {hex}(id_sealed), {hex}(phone_sealed), birth_year, sex, household_code, path, tags"
        )
    };
    let (program, args): (&str, Vec<String>) = if let Some(path) = db.strip_prefix("sqlite://") {
        let sql = format!("SELECT {} FROM people ORDER BY path, person_id", columns("hex"));
        ("sqlite3", vec!["-csv".into(), "-readonly".into(), path.into(), sql])
    } else {
        let sql = format!("SELECT {} FROM people ORDER BY path, person_id", columns(""));
        ("psql", vec![db.to_owned(), "-qc".into(), format!("COPY ({sql}) TO STDOUT (FORMAT csv)")])
    };
    let t = Instant::now();
    let out = std::process::Command::new(program).args(&args).output();
    match out {
        Ok(out) if out.status.success() => {
            let rows = out.stdout.iter().filter(|&&c| c == b'\n').count();
            let took = t.elapsed();
            println!(
                "peer: {program} writing the same rows as CSV: {rows} rows, {:.0} MB in {:.2} s = {:.0} rows/s",
                out.stdout.len() as f64 / 1e6,
                took.as_secs_f64(),
                rows as f64 / took.as_secs_f64()
            );
            Some(took)
        }
        Ok(out) => {
            println!("peer: {program} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
            None
        }
        Err(e) => {
            println!("peer: {program} not run: {e}");
            None
        }
    }
}
