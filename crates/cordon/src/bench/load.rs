//! `cordon bench load`: the city's load — generated, its ID numbers and phones sealed, areas and
//! people written, indexes built and every subtree counted — against the database's own bare
//! bulk load of the same people rows into an unindexed table (`sqlite3 .import`, `psql \copy`),
//! the sealed columns as hex text so that the bare load writes as many bytes of them.
//!
//! Each run starts from nothing (a new file, or a new PostgreSQL database), and the runs
//! alternate with the peer's, so both see the same machine. The people rows the peer loads are
//! read back from the first run's database: the same rows, not a second generator.
//!
//! This is the load `cordon demo` does before its story (the story's month of history is
//! timed by nothing here).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_demo::Scale;
use cordon_store::Keyring;

use crate::bench::report::{Job, Report, median};

#[derive(Args)]
pub struct LoadBench {
    /// tiny, district (新城区, ~450,000 people) or city (3.5 M residents).
    #[arg(long, default_value = "city", value_parser = ["tiny", "district", "city"])]
    scale: String,
    /// Where the databases go: a folder for SQLite's files, or a PostgreSQL server's URL
    /// (`postgres://user@host:port`), on which a database is made and dropped per run.
    #[arg(long, default_value = "/tmp/cordon-bench-load")]
    at: String,
    /// Runs of each, alternated; the medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    #[arg(long, default_value_t = 2022)]
    seed: u64,
}

/// The people columns as the bare load takes them: the sealed ones as hex text.
const PEOPLE_COLUMNS: &str = "person_id TEXT, name TEXT, id_sealed TEXT, id_index TEXT, \
     phone_sealed TEXT, phone_index TEXT, birth_year INTEGER, sex TEXT, household_code TEXT, \
     tags TEXT, vulnerable TEXT, district_code TEXT, path TEXT";

enum Place {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Place {
    fn parse(at: &str) -> Place {
        if at.starts_with("postgres://") || at.starts_with("postgresql://") {
            Place::Postgres(at.trim_end_matches('/').to_owned())
        } else {
            Place::Sqlite(PathBuf::from(at.strip_prefix("sqlite://").unwrap_or(at)))
        }
    }

    fn backend(&self) -> &'static str {
        match self {
            Place::Sqlite(_) => "sqlite",
            Place::Postgres(_) => "postgres",
        }
    }

    /// A database with nothing in it, named `name`, and its URL.
    async fn fresh(&self, name: &str) -> Result<String> {
        match self {
            Place::Sqlite(dir) => {
                std::fs::create_dir_all(dir).with_context(|| format!("--at {}", dir.display()))?;
                let file = dir.join(format!("{name}.db"));
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let f = PathBuf::from(format!("{}{suffix}", file.display()));
                    if f.exists() {
                        std::fs::remove_file(&f).with_context(|| format!("removing {}", f.display()))?;
                    }
                }
                Ok(format!("sqlite://{}", file.display()))
            }
            Place::Postgres(server) => {
                psql(&format!("{server}/postgres"), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
                // The store's own, so that on a Citus coordinator the database has the
                // extension and the workers, as a deployment's has.
                cordon_store::PgAdmin::connect(server).await?.create_database(name).await?;
                Ok(format!("{server}/{name}"))
            }
        }
    }

    fn drop(&self, name: &str) {
        if let Place::Postgres(server) = self {
            let _ =
                psql(&format!("{server}/postgres"), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }

    /// Writes the loaded people as CSV to `csv`, the sealed columns as hex; the rows written.
    fn export(&self, url: &str, csv: &Path) -> Result<u64> {
        match self {
            Place::Sqlite(_) => {
                let file = url.trim_start_matches("sqlite://");
                let sql = "SELECT person_id, name, hex(id_sealed), hex(id_index), hex(phone_sealed), \
                           hex(phone_index), birth_year, sex, household_code, tags, vulnerable, \
                           district_code, path FROM people";
                let out =
                    // The store's pool closes behind the load (its last connection checkpoints
                    // the log): wait for the lock rather than fail on it.
                    Command::new("sqlite3")
                        .args(["-cmd", ".timeout 60000", "-csv", file, sql])
                        .output()
                        .context("running sqlite3")?;
                if !out.status.success() {
                    bail!("sqlite3: {}", String::from_utf8_lossy(&out.stderr).trim());
                }
                std::fs::write(csv, &out.stdout).with_context(|| format!("writing {}", csv.display()))?;
            }
            Place::Postgres(_) => {
                psql(
                    url,
                    &format!(
                        "\\copy (SELECT person_id, name, encode(id_sealed, 'hex'), encode(id_index, 'hex'), \
                         encode(phone_sealed, 'hex'), encode(phone_index, 'hex'), birth_year, sex, \
                         household_code, tags, vulnerable, district_code, path FROM people) TO '{}' CSV",
                        csv.display()
                    ),
                )?;
            }
        }
        // One line a person: no column of these holds a line break.
        let text = std::fs::read(csv).with_context(|| format!("reading {}", csv.display()))?;
        Ok(text.iter().filter(|&&b| b == b'\n').count() as u64)
    }

    /// The peer: the CSV bulk-loaded into an unindexed table of a fresh database, timed.
    async fn bare(&self, name: &str, csv: &Path) -> Result<Duration> {
        let url = self.fresh(name).await?;
        let took = match self {
            Place::Sqlite(_) => {
                let file = url.trim_start_matches("sqlite://");
                let create = format!("CREATE TABLE people ({PEOPLE_COLUMNS})");
                let out =
                    Command::new("sqlite3").args([file, &create]).output().context("running sqlite3")?;
                if !out.status.success() {
                    bail!("sqlite3: {}", String::from_utf8_lossy(&out.stderr).trim());
                }
                let t = Instant::now();
                let out = Command::new("sqlite3")
                    .args([file, ".mode csv", &format!(".import {} people", csv.display())])
                    .output()
                    .context("running sqlite3")?;
                let took = t.elapsed();
                if !out.status.success() || !out.stderr.is_empty() {
                    bail!("sqlite3 .import: {}", String::from_utf8_lossy(&out.stderr).trim());
                }
                took
            }
            Place::Postgres(_) => {
                psql(&url, &format!("CREATE TABLE people ({PEOPLE_COLUMNS})"))?;
                let t = Instant::now();
                psql(&url, &format!("\\copy people FROM '{}' CSV", csv.display()))?;
                t.elapsed()
            }
        };
        self.drop(name);
        Ok(took)
    }
}

/// Runs `command` through `psql` on `url`; its output.
fn psql(url: &str, command: &str) -> Result<String> {
    let out = Command::new("psql")
        .args([url, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", command])
        .output()
        .context("running psql")?;
    if !out.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub async fn bench(b: &LoadBench, report: &mut Report) -> Result<()> {
    if b.runs == 0 {
        bail!("--runs: at least 1");
    }
    let place = Place::parse(&b.at);
    let scale = Scale::parse(&b.scale).expect("clap checked the scale");
    // The rows the peer loads: beside SQLite's files, or in a folder of this run's own.
    let scratch = tempfile::tempdir().context("making a folder for the people rows")?;
    let dir = match &place {
        Place::Sqlite(dir) => dir.clone(),
        Place::Postgres(_) => scratch.path().to_owned(),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("making {}", dir.display()))?;
    let csv = dir.join("people.csv");
    // Databases of this process's own, so two runs on one server never meet.
    let (name, bare) = (
        format!("cordon_bench_load_{}", std::process::id()),
        format!("cordon_bench_load_bare_{}", std::process::id()),
    );
    let (mut loads, mut bares) = (Vec::new(), Vec::new());
    let mut people = 0;
    for run in 0..b.runs {
        let url = place.fresh(&name).await?;
        // A key of the run's own: the sealing costs what it costs with any key.
        let store = cordon_store::connect(&url, Keyring::generate())
            .await
            .with_context(|| format!("opening {url}"))?;
        store.ensure_profiles(&cordon_domain::protocol::builtin(), chrono::Utc::now()).await?;
        let t = Instant::now();
        crate::demo::seed_demo(&*store, b.seed, scale).await?;
        loads.push(t.elapsed());
        people = store.totals().await?.people as u64;
        drop(store);
        if run == 0 {
            let exported = place.export(&url, &csv)?;
            if exported != people {
                bail!("the export holds {exported} people rows, the database {people}");
            }
        }
        place.drop(&name);
        bares.push(place.bare(&bare, &csv).await?);
        eprintln!(
            "run {}: load {:.1} s, bare {:.1} s",
            run + 1,
            loads[run].as_secs_f64(),
            bares[run].as_secs_f64()
        );
    }
    let peer = match place {
        Place::Sqlite(_) => "sqlite3 .import",
        Place::Postgres(_) => "psql \\copy",
    };
    let job = Job::median("city load", place.backend(), people, &loads).peer(peer, median(&bares));
    println!(
        "cordon bench load: {} people ({} scale) on {}, {} runs: load {:.1} s (median), {peer} of the same \
         rows {:.1} s; ratio {:.2} (goal ≤ 3)",
        people,
        b.scale,
        place.backend(),
        b.runs,
        median(&loads).as_secs_f64(),
        median(&bares).as_secs_f64(),
        job.ratio().unwrap_or(f64::NAN),
    );
    report.push(job.with("people_per_s", (people as f64 / median(&loads).as_secs_f64()).round()));
    Ok(())
}
