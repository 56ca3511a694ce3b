//! `cordon bench trace`: the server's warm tracing on scans loaded once.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use cordon_trace::columnar::read_scans_parquet;
use cordon_trace::read::{read_cases, read_scans_file};
use cordon_trace::trace;

use crate::bench::report::{Job, Report};

/// `cordon bench trace`: the server's warm case — the scans loaded once, as the server holds them
/// — timed for a batch of cases, for one new case at a time, and for the full self-join.
#[derive(Args)]
pub struct TraceBench {
    /// Scans, as for `cordon trace` (generate them with ../shared/peer-bench/gen_scans.py).
    #[arg(long)]
    scans: PathBuf,
    #[arg(long)]
    cases: PathBuf,
    #[arg(long, default_value_t = 30)]
    window: u32,
    /// Timed runs of each job; the best and the median are printed.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    #[arg(long, env = "CORDON_TZ", default_value = "Asia/Shanghai")]
    time_zone: chrono_tz::Tz,
}

pub fn bench(a: &TraceBench, report: &mut Report) -> Result<()> {
    let name = |p: &PathBuf| p.display().to_string();
    let cases_file = std::fs::File::open(&a.cases).with_context(|| format!("opening {}", name(&a.cases)))?;
    let cases = read_cases(&name(&a.cases), std::io::BufReader::new(cases_file), a.time_zone)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let builder = if a.scans.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        read_scans_parquet(&a.scans, a.time_zone, threads)?
    } else {
        read_scans_file(&a.scans, a.time_zone, threads)?
    };
    let scans = builder.finish();
    // As the server holds them: every person's scans indexed.
    scans.index_people();
    let loaded = started.elapsed();
    let n = scans.len() as u64;
    report.push(Job::new("trace scans loaded and indexed", "memory", n, loaded));
    let ms_to = |ms: f64| Duration::from_secs_f64(ms / 1e3);
    println!(
        "loaded {} scans ({} people, {} venues) in {:.2} s; {} cases",
        scans.len(),
        scans.people_count(),
        scans.venues.len(),
        loaded.as_secs_f64(),
        cases.len()
    );
    let w = i64::from(a.window) * 60_000_000;
    let runs = a.repeat.max(1);
    let time = |f: &mut dyn FnMut()| {
        let mut ms: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        (ms[0], ms[ms.len() / 2])
    };
    for secondary in [false, true] {
        let mut found = (0, 0);
        let (best, median) = time(&mut || {
            let (_, s) = trace(&scans, &cases, w, secondary);
            found = (s.close, s.secondary);
        });
        println!(
            "warm: {} cases, close{}: best {best:.1} ms, median {median:.1} ms (close {}, secondary {})",
            cases.len(),
            if secondary { " and secondary" } else { "" },
            found.0,
            found.1
        );
        let job = if secondary { "trace warm, close and secondary" } else { "trace warm, close" };
        report.push(
            Job::new(job, "memory", n, ms_to(median))
                .runs(runs)
                .with("cases", cases.len())
                .with("close", found.0)
                .with("secondary", found.1),
        );
    }
    let mut singles: Vec<f64> = cases
        .iter()
        .take(200)
        .map(|c| {
            let t = Instant::now();
            let _ = trace(&scans, std::slice::from_ref(c), w, true);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    singles.sort_by(f64::total_cmp);
    if !singles.is_empty() {
        println!(
            "warm: one new case at a time, close and secondary ({} cases): median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            singles.len(),
            singles[singles.len() / 2],
            singles[(singles.len() * 99 / 100).min(singles.len() - 1)],
            singles[singles.len() - 1]
        );
        report.push(
            Job::new("trace one new case", "memory", n, ms_to(singles[singles.len() / 2]))
                .runs(singles.len())
                .with("p99_ms", singles[(singles.len() * 99 / 100).min(singles.len() - 1)]),
        );
    }
    let mut pairs = 0;
    let (best, median) = time(&mut || pairs = scans.pairs_within(w));
    println!(
        "self-join: {pairs} pairs within {} minutes: best {best:.0} ms, median {median:.0} ms",
        a.window
    );
    report.push(Job::new("trace self-join", "memory", n, ms_to(median)).runs(runs).with("pairs", pairs));
    Ok(())
}
