//! `cordon trace`: close and secondary contacts from venue scans, on files (formats.md).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_trace::columnar::read_scans_parquet;
use cordon_trace::read::{read_cases, read_scans_file};
use cordon_trace::{trace, write_contacts};

#[derive(Args)]
pub struct TraceArgs {
    /// Venue-code scans: person_id,venue_id,scanned_at (CSV, or Parquet when the name ends in .parquet).
    #[arg(long)]
    scans: PathBuf,
    /// Cases: person_id,infectious_from,isolated_at (empty isolated_at: not isolated yet).
    #[arg(long)]
    cases: PathBuf,
    /// Where contacts.csv goes: person_id,kind,via_person_id,venue_id,exposure_at.
    #[arg(long)]
    out: PathBuf,
    /// Two scans at one venue are together when at most this many minutes apart.
    #[arg(long, default_value_t = 30)]
    window: u32,
    /// Secondary contacts too: together with a close contact after their exposure.
    #[arg(long)]
    secondary: bool,
    /// The time zone of times written without an offset, and of the output.
    #[arg(long, env = "CORDON_TZ", default_value = "Asia/Shanghai")]
    time_zone: chrono_tz::Tz,
}

pub fn run(a: &TraceArgs) -> Result<()> {
    let started = Instant::now();
    let name = |p: &PathBuf| p.display().to_string();
    let cases_file = std::fs::File::open(&a.cases).with_context(|| format!("opening {}", name(&a.cases)))?;
    let cases = read_cases(&name(&a.cases), std::io::BufReader::new(cases_file), a.time_zone)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let builder = if a.scans.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        read_scans_parquet(&a.scans, a.time_zone, threads)?
    } else {
        read_scans_file(&a.scans, a.time_zone, threads)?
    };
    let loaded = started.elapsed();
    let n_scans = builder.len();
    let (scans, phases) = builder.finish_timed();
    let indexed = started.elapsed();
    let (contacts, stats) = trace(&scans, &cases, i64::from(a.window) * 60_000_000, a.secondary);
    let traced = started.elapsed();
    if stats.cases_without_scans == stats.cases {
        bail!("{}: none of its {} cases appears in {}", name(&a.cases), stats.cases, name(&a.scans));
    }
    let out = std::fs::File::create(&a.out).with_context(|| format!("creating {}", name(&a.out)))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    write_contacts(&mut out, &scans, &contacts, a.time_zone)
        .and_then(|()| out.flush())
        .with_context(|| format!("writing {}", name(&a.out)))?;
    let secs = |d: std::time::Duration| d.as_secs_f64();
    eprintln!(
        "cordon trace: {n_scans} scans, {} people, {} venues; {} cases ({} without scans, {} counting scans); \
         close={} secondary={}; read {:.2}s index {:.2}s (scatter {:.2}s, sort {:.2}s, people {:.2}s) \
         trace {:.2}s write {:.2}s total {:.2}s",
        scans.people_count(),
        scans.venues.len(),
        stats.cases,
        stats.cases_without_scans,
        stats.case_scans,
        stats.close,
        stats.secondary,
        secs(loaded),
        secs(indexed - loaded),
        secs(phases[0]),
        secs(phases[1]),
        secs(phases[2]),
        secs(traced - indexed),
        secs(started.elapsed() - traced),
        secs(started.elapsed()),
    );
    // The process ends next: handing 600 MB back page by page would only delay the exit.
    std::mem::forget(scans);
    std::mem::forget(contacts);
    Ok(())
}
