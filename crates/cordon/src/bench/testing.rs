//! `cordon bench testing`: a round's samples and results files landed through the same import a
//! lab's go through (read, checked against the register and the zones, linked, tasks written),
//! against the bare load of the same file into an unindexed table by the database's own tool
//! (`sqlite3 .import`, PostgreSQL `\copy`), in the same run; then the sweep of a district.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_demo::{City, Scale};
use cordon_domain::{AreaCode, AreaPath, Role};
use cordon_import::{Limits, Progress};
use cordon_store::NewUser;
use rand::{RngExt, SeedableRng};

use crate::bench::report::{Job, Report};

#[derive(Args)]
pub struct TestingBench {
    /// The database to fill: sqlite://PATH or postgres://USER@HOST/DB (empty, or filled by an
    /// earlier run of this bench with the same scale and seed).
    #[arg(long)]
    db: String,
    /// The register: district (新城区, about 450,000 residents) or city (about 3.5 million).
    #[arg(long, default_value = "district")]
    scale: String,
    /// Tubes each sampled resident is in: the rows of the samples file are this times the
    /// residents sampled (a 10 M-row file from a million people at 10).
    #[arg(long, default_value_t = 1)]
    passes: u32,
    /// People per tube.
    #[arg(long, default_value_t = 10)]
    pool: u32,
    /// Share of residents left unsampled, in per cent (the sweep's length).
    #[arg(long, default_value_t = 10)]
    unsampled_pct: u32,
    #[arg(long, default_value_t = 2022)]
    seed: u64,
    /// Where the generated files go (default: a temporary folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub async fn run(b: &TestingBench, report: &mut Report) -> Result<()> {
    let scale = Scale::parse(&b.scale).context("--scale: district or city")?;
    let store = crate::common::open(&b.db).await?;
    let now = chrono::Utc::now();
    if store.totals().await?.people == 0 {
        let t = Instant::now();
        crate::demo::seed_demo(&*store, b.seed, scale).await?;
        eprintln!("register seeded in {:.1} s", t.elapsed().as_secs_f64());
    }
    let user = match store.user_by_name("bench").await? {
        Some(u) => u,
        None => {
            let hash = cordon_server::hash_password(crate::common::random_password()).await?;
            let new = NewUser {
                username: "bench".into(),
                display_name: "bench".into(),
                role: Role::Headquarters,
                scope: AreaCode::parse("150100")?,
                password_hash: hash,
                created_by: "bench".into(),
            };
            store.create_user(&new).await?;
            store.user_by_name("bench").await?.context("the bench user")?
        }
    };
    let dir_guard;
    let dir: PathBuf = match &b.out {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            dir_guard = tempfile::tempdir()?;
            dir_guard.path().to_owned()
        }
    };
    let key = format!("BENCH-{}", now.timestamp());
    let (rows, tubes, residents) = write_files(b, scale, &key, &dir)?;
    eprintln!("files: {rows} sample rows in {tubes} tubes for {residents} residents ({})", dir.display());

    let state = cordon_server::AppState::new(store.clone(), cordon_server::Config::default());
    let req = cordon_server::testing::RoundRequest {
        round_key: Some(key.clone()),
        name: "bench".into(),
        name_en: None,
        area_code: "150100".into(),
        starts_at: Some(now - chrono::Duration::hours(30)),
        deadline: now + chrono::Duration::hours(1),
    };
    let round =
        cordon_server::testing::create_round(&state, &user, req).await.map_err(crate::common::api_error)?;
    let progress = Progress::default();
    let samples = dir.join("samples.csv");
    let results = dir.join("results.csv");

    let t = Instant::now();
    let sha = crate::common::sha256_file(&samples)?;
    let s =
        cordon_server::testing::import_samples(&state, &user, &samples, sha, Limits::default(), &progress)
            .await
            .map_err(crate::common::api_error)?;
    let cordon_samples = t.elapsed().as_secs_f64();
    if !s.new {
        bail!("the samples file was imported before");
    }
    let t = Instant::now();
    let sha = crate::common::sha256_file(&results)?;
    let r =
        cordon_server::testing::import_results(&state, &user, &results, sha, Limits::default(), &progress)
            .await
            .map_err(crate::common::api_error)?;
    let cordon_results = t.elapsed().as_secs_f64();

    let (bare_samples, bare_results, tool) = bare_load(&b.db, &samples, &results)?;
    println!("backend              {}", store.backend());
    println!(
        "samples file         {rows} rows, {tubes} tubes ({} MB)",
        std::fs::metadata(&samples)?.len() >> 20
    );
    println!(
        "cordon import        samples {cordon_samples:.2} s ({:.0} rows/s), results {cordon_results:.2} s ({:.0} rows/s)",
        rows as f64 / cordon_samples,
        tubes as f64 / cordon_results
    );
    println!(
        "bare {tool:<15} samples {bare_samples:.2} s ({:.0} rows/s), results {bare_results:.2} s ({:.0} rows/s)",
        rows as f64 / bare_samples,
        tubes as f64 / bare_results
    );
    println!(
        "ratio                samples {:.2}x, results {:.2}x the bare load",
        cordon_samples / bare_samples,
        cordon_results / bare_results
    );
    println!(
        "results applied      {} positive pools, {} held, {} invalid, {} tasks",
        r.positive_pools.len(),
        r.held,
        r.invalid,
        r.tasks_opened
    );

    let backend = store.backend();
    let secs = Duration::from_secs_f64;
    report.push(
        Job::new("samples import", backend, rows, secs(cordon_samples))
            .peer(format!("bare {tool}"), secs(bare_samples))
            .with("tubes", tubes),
    );
    report.push(
        Job::new("results import", backend, tubes, secs(cordon_results))
            .peer(format!("bare {tool}"), secs(bare_results)),
    );

    // The sweep of the populated district, and of one building, repeated.
    let district =
        store.area(&AreaPath::root(), &AreaCode::parse(cordon_demo::XINCHENG)?).await?.context("新城区")?;
    for (what, path) in [("district", district.area.path.clone())] {
        let mut times = Vec::new();
        let mut total = 0;
        let mut runs = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let (_, n) = store.sweep(round.id, &path, None, 2000).await?;
            let took = t.elapsed();
            runs.push(took);
            times.push(took.as_secs_f64() * 1000.0);
            total = n;
        }
        report.push(
            Job::median(
                format!("sweep of a {what}, first page and count"),
                backend,
                district.stats.residents as u64,
                &runs,
            )
            .with("left", total),
        );
        times.sort_by(f64::total_cmp);
        println!(
            "sweep ({what}, {} residents)  {total} to knock for: first 2,000 and the count in {:.0} ms median ({:.0}–{:.0})",
            district.stats.residents, times[2], times[0], times[4]
        );
    }
    Ok(())
}

/// Writes samples.csv and results.csv for the populated part of the demo city: residents door
/// by door, `unsampled_pct` of them left out, pooled `pool` to a tube, `passes` tubes each.
fn write_files(b: &TestingBench, scale: Scale, key: &str, dir: &Path) -> Result<(u64, u64, u64)> {
    let mut city = City::new(b.seed, scale);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(b.seed ^ 0x5a);
    let mut samples =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("samples.csv"))?);
    let mut results =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("results.csv"))?);
    writeln!(samples, "tube_id,person_id,collected_at,round_id,site")?;
    writeln!(results, "tube_id,result,reported_at,lab")?;
    let now = chrono::Utc::now();
    let at = (now - chrono::Duration::hours(20)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let reported = (now - chrono::Duration::hours(10)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut chosen: Vec<String> = Vec::new();
    let mut residents = 0u64;
    for code in city.populated.clone() {
        for p in city.community(&code).people {
            residents += 1;
            if rng.random_range(0..100) >= b.unsampled_pct {
                chosen.push(p.person_id.as_str().to_owned());
            }
        }
    }
    let (mut rows, mut tubes) = (0u64, 0u64);
    for pass in 0..b.passes {
        for group in chosen.chunks(b.pool.max(1) as usize) {
            tubes += 1;
            let tube = format!("{key}-{pass}-{tubes:08}");
            for p in group {
                writeln!(samples, "{tube},{p},{at},{key},bench")?;
                rows += 1;
            }
            let result = match tubes % 2000 {
                0 => "positive",
                1000 => "invalid",
                _ => "negative",
            };
            writeln!(results, "{tube},{result},{reported},bench lab")?;
        }
    }
    samples.flush()?;
    results.flush()?;
    Ok((rows, tubes, residents))
}

/// The same files loaded by the database's own bulk tool into fresh unindexed tables.
fn bare_load(db: &str, samples: &Path, results: &Path) -> Result<(f64, f64, &'static str)> {
    let run = |cmd: &mut std::process::Command| -> Result<f64> {
        let t = Instant::now();
        let out = cmd.output().context("running the bare load")?;
        run_check(out)?;
        Ok(t.elapsed().as_secs_f64())
    };
    let run_script = |db: &Path, script: String| -> Result<f64> {
        use std::process::Stdio;
        let t = Instant::now();
        let mut child = std::process::Command::new("sqlite3")
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running sqlite3")?;
        child.stdin.take().context("sqlite3's input")?.write_all(script.as_bytes())?;
        run_check(child.wait_with_output()?)?;
        Ok(t.elapsed().as_secs_f64())
    };
    fn run_check(out: std::process::Output) -> Result<()> {
        if !out.status.success() || !out.stderr.is_empty() {
            bail!("bare load failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }
    if let Some(path) = db.strip_prefix("sqlite://") {
        let bare = PathBuf::from(format!("{path}.bare"));
        let _ = std::fs::remove_file(&bare);
        let sql = |table: &str, cols: &str, file: &Path| {
            format!(
                "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nCREATE TABLE {table} ({cols});\n.import --csv --skip 1 {} {table}\n",
                file.display()
            )
        };
        let s = run_script(
            &bare,
            sql(
                "samples",
                "tube_id TEXT, person_id TEXT, collected_at TEXT, round_id TEXT, site TEXT",
                samples,
            ),
        )?;
        let r = run_script(
            &bare,
            sql("results", "tube_id TEXT, result TEXT, reported_at TEXT, lab TEXT", results),
        )?;
        let _ = std::fs::remove_file(&bare);
        let _ = std::fs::remove_file(format!("{}-wal", bare.display()));
        let _ = std::fs::remove_file(format!("{}-shm", bare.display()));
        Ok((s, r, "sqlite3 .import"))
    } else {
        let psql = |sql: String| {
            let mut c = std::process::Command::new("psql");
            c.args([db, "-v", "ON_ERROR_STOP=1", "-q", "-c", &sql])
                .env("PGOPTIONS", "-c client_min_messages=warning");
            c
        };
        run(&mut psql("DROP TABLE IF EXISTS bare_samples, bare_results; CREATE TABLE bare_samples (tube_id TEXT, person_id TEXT, collected_at TIMESTAMPTZ, round_id TEXT, site TEXT); CREATE TABLE bare_results (tube_id TEXT, result TEXT, reported_at TIMESTAMPTZ, lab TEXT)".into()))?;
        let s = run(&mut psql(format!("\\copy bare_samples FROM '{}' CSV HEADER", samples.display())))?;
        let r = run(&mut psql(format!("\\copy bare_results FROM '{}' CSV HEADER", results.display())))?;
        run(&mut psql("DROP TABLE bare_samples, bare_results".into()))?;
        Ok((s, r, "psql \\copy"))
    }
}
