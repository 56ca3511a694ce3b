//! `cordon import`: a file of areas, people, venues, scans, samples or results, all or nothing.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::Datelike;
use clap::{Args, ValueEnum};
use cordon_domain::AreaCode;
use cordon_import::{Limits, PeopleReader, Progress};

use crate::common::{DEFAULT_DB, DbArg, acting_user, api_error, open, sha256_file};
use crate::progress::Bar;
use crate::round::ActingArg;

#[derive(Args)]
pub(crate) struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub(crate) kind: ImportKind,
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) db: DbArg,
    /// Refuse files larger than this.
    #[arg(long, default_value_t = Limits::default().max_file_bytes)]
    pub(crate) max_file_bytes: u64,
    /// Refuse lines longer than this.
    #[arg(long, default_value_t = Limits::default().max_line_bytes)]
    pub(crate) max_line_bytes: usize,
    /// Samples and results are sent as this user.
    #[command(flatten)]
    pub(crate) acting: ActingArg,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ImportKind {
    Areas,
    People,
    /// Places with a venue code: venue_id,name,area_code,kind.
    Venues,
    /// Venue-code scans (formats.md): the server's scan index is built from them.
    Scans,
    /// Tubes and their members (samples.csv): every round planned first (`cordon round open`).
    Samples,
    /// A lab's results (results.csv): positive pools held for retests, positive single tubes
    /// opened as cases.
    Results,
    /// Cadres, party members and volunteers (workers.csv): added, or updated by worker_id.
    Workers,
}

pub(crate) async fn import(args: ImportArgs) -> Result<()> {
    let store = open(&args.db.url(DEFAULT_DB)).await?;
    let limits = Limits { max_file_bytes: args.max_file_bytes, max_line_bytes: args.max_line_bytes };
    let progress = Progress::default();
    let size = std::fs::metadata(&args.file).with_context(|| args.file.display().to_string())?.len();
    let bar = Bar::bytes("reading", size, progress.clone());
    let started = std::time::Instant::now();
    let totals = match args.kind {
        ImportKind::Areas => {
            let lines = cordon_import::read_areas(&args.file, limits, &progress)?;
            let mut codes: Vec<AreaCode> = lines.rows.iter().map(|r| r.code.clone()).collect();
            codes.extend(lines.rows.iter().filter_map(|r| r.parent.clone()));
            let known = store.known_areas(&codes).await?;
            let planned =
                cordon_domain::plan_areas(lines.rows.clone(), |c| known.get(c).cloned()).map_err(|p| {
                    lines.problems(p).map_or_else(
                        || anyhow::anyhow!("{}: the areas could not be placed", args.file.display()),
                        anyhow::Error::from,
                    )
                })?;
            lines.check()?;
            let mut import = store.begin_import(false).await?;
            import.areas(&planned).await?;
            bar.finish();
            import.commit().await?
        }
        ImportKind::Workers => {
            let rows = cordon_import::read_workers(&args.file, limits, &progress)?;
            bar.finish();
            let (added, updated) = store.put_workers(&rows, chrono::Utc::now()).await?;
            eprintln!(
                "imported {} workers from {} ({added} new, {updated} updated) in {:.1} s",
                rows.len(),
                args.file.display(),
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        ImportKind::Venues => {
            let rows = cordon_import::read_venues(&args.file, limits, &progress)?;
            let venues: Vec<cordon_store::Venue> = rows
                .iter()
                .map(|r| cordon_store::Venue {
                    venue_id: r.venue_id.clone(),
                    name: r.name.clone(),
                    area: r.area.clone(),
                    kind: r.kind.clone(),
                })
                .collect();
            bar.finish();
            let n = store.put_venues(&venues).await.map_err(|e| match e {
                // The store counts rows of the batch; the reader knows their lines.
                cordon_store::StoreError::NotFound(m) => {
                    anyhow::anyhow!(
                        "{}: {m} is not in the register; nothing was imported",
                        args.file.display()
                    )
                }
                other => other.into(),
            })?;
            eprintln!(
                "imported {n} venues from {} in {:.1} s",
                args.file.display(),
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        ImportKind::Scans => {
            if size > limits.max_file_bytes {
                bail!(
                    "{}: the file is {size} bytes; the limit is {} bytes (see --max-file-bytes)",
                    args.file.display(),
                    limits.max_file_bytes
                );
            }
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let tz = cordon_import::DEFAULT_TZ;
            let parquet = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
            let builder = if parquet {
                cordon_trace::columnar::read_scans_parquet(&args.file, tz, threads)?
            } else {
                cordon_trace::read::read_scans_file(&args.file, tz, threads)?
            };
            bar.finish();
            let now = chrono::Utc::now();
            cordon_server::check_scan_times(&builder, now)
                .map_err(|m| anyhow::anyhow!("{}: {m}", args.file.display()))?;
            let sha = sha256_file(&args.file)?;
            let name = args.file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let file = cordon_store::ScanFile { sha256: sha, name, at: now, by: "cordon import".into() };
            let rows = builder.len() as u64;
            let landing = Bar::new("landing", rows);
            let mut done = 0u64;
            let mut counted = cordon_server::scan_rows(&builder).inspect(|_| {
                done += 1;
                if done.is_multiple_of(100_000) {
                    landing.set(done);
                }
            });
            let (rec, new) = store.add_scans(&file, &mut counted).await?;
            landing.finish();
            if new {
                eprintln!(
                    "imported {} scans from {} in {:.1} s (file {}); a running server picks them up on restart",
                    rec.rows,
                    args.file.display(),
                    started.elapsed().as_secs_f64(),
                    rec.id
                );
            } else {
                eprintln!(
                    "{} was imported before (file {}, {} scans): nothing added",
                    args.file.display(),
                    rec.id,
                    rec.rows
                );
            }
            return Ok(());
        }
        ImportKind::Samples | ImportKind::Results => {
            let state = cordon_server::AppState::new(store.clone(), cordon_server::Config::default());
            let user = acting_user(&store, &args.acting.acting).await?;
            let sha = sha256_file(&args.file)?;
            let path = args.file.clone();
            let summary = if matches!(args.kind, ImportKind::Samples) {
                let out =
                    cordon_server::testing::import_samples(&state, &user, &path, sha, limits, &progress)
                        .await
                        .map_err(api_error)?;
                if out.new {
                    format!("imported {} samples in {} tubes", out.rows, out.tubes)
                } else {
                    format!("{} was imported before (file {}): nothing added", path.display(), out.file_id)
                }
            } else {
                let out =
                    cordon_server::testing::import_results(&state, &user, &path, sha, limits, &progress)
                        .await
                        .map_err(api_error)?;
                if out.new {
                    let mut s = format!(
                        "imported {} results: {} negative, {} positive ({} pools, {} people held for a retest), \
                         {} invalid; {} tasks opened, {} settled; {} cases opened; {} zones proposed",
                        out.rows,
                        out.negative,
                        out.positive,
                        out.positive_pools.len(),
                        out.held,
                        out.invalid,
                        out.tasks_opened,
                        out.tasks_closed,
                        out.cases_opened.len(),
                        out.proposals.len()
                    );
                    for w in &out.warnings {
                        s.push_str(&format!("\nwarning: {w}"));
                    }
                    s
                } else {
                    format!("{} was imported before (file {}): nothing changed", path.display(), out.file_id)
                }
            };
            bar.finish();
            eprintln!("{summary} ({:.1} s)", started.elapsed().as_secs_f64());
            return Ok(());
        }
        ImportKind::People => {
            let this_year = chrono::Utc::now().year();
            let mut reader = PeopleReader::open(&args.file, limits, &progress, this_year)?;
            let mut import = store.begin_import(true).await?;
            loop {
                let batch = reader.next_batch(20_000);
                if batch.rows.is_empty() {
                    break;
                }
                // Rows that read well are placed even once the file is sure to be refused (the
                // import is then dropped, nothing lands): an unknown household on line 4 is named
                // with the bad year on line 3, in one pass, not after the clerk fixes the first.
                for r in import.people(&batch.rows).await? {
                    reader.reject(batch.lines[r.index], r.column, r.reason);
                }
            }
            bar.finish();
            reader.finish()?;
            import.commit().await?
        }
    };
    eprintln!(
        "imported {} in {:.1} s; the register now holds {} areas and {} people",
        args.file.display(),
        started.elapsed().as_secs_f64(),
        totals.areas,
        totals.people
    );
    Ok(())
}
