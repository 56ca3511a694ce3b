//! `cordon bench duplicates`: the register's likely duplicates found for a community, a district
//! and the whole city, through the store as the API calls it, against the floor any tool must
//! pay: the database's own `GROUP BY` of the ID numbers' blind index (the one reason that needs
//! no join), run by its own shell (`sqlite3`, `psql`) on the same file in the same run.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_domain::{AreaCode, AreaPath};

use crate::bench::report::{self, Job, Report};
use crate::bench::stats::median;

#[derive(Args)]
pub struct DuplicatesBench {
    /// A demo database (`cordon demo --no-serve --db URL`).
    #[arg(long)]
    db: String,
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Pairs asked for, as the page asks.
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

const FLOOR: &str = "SELECT count(*) FROM (SELECT id_index FROM people WHERE id_index IS NOT NULL GROUP BY id_index HAVING count(*) > 1) d";

/// The floor's times by the database's own shell, and its answer.
fn floor(db: &str, repeat: usize) -> Result<(Vec<std::time::Duration>, String)> {
    let mut times = Vec::with_capacity(repeat);
    let mut answer = String::new();
    for _ in 0..repeat {
        let mut cmd = match db.strip_prefix("sqlite://") {
            Some(path) => {
                let mut c = std::process::Command::new("sqlite3");
                c.arg(path.split('?').next().unwrap_or(path)).arg(FLOOR);
                c
            }
            None => {
                let mut c = std::process::Command::new("psql");
                c.args([db, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", FLOOR]);
                c
            }
        };
        let t = Instant::now();
        let out = cmd.output().context("running the database's shell")?;
        times.push(t.elapsed());
        if !out.status.success() {
            bail!("the floor query failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        answer = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    }
    Ok((times, answer))
}

pub async fn bench(b: &DuplicatesBench, report: &mut Report) -> Result<()> {
    if b.repeat == 0 {
        bail!("--repeat: at least 1");
    }
    let store = crate::common::open(&b.db).await?;
    let totals = store.totals().await?;
    println!("{} people on {}", totals.people, store.backend());
    let path_of = |code: &str| {
        let store = store.clone();
        let code = code.to_owned();
        async move {
            let area = store.area(&AreaPath::root(), &AreaCode::parse(&code)?).await?;
            Ok::<_, anyhow::Error>(area.with_context(|| format!("no area {code} in the demo"))?.area.path)
        }
    };
    let scopes = [
        ("community 公主府社区", path_of(cordon_demo::GONGZHUFU).await?),
        ("district 新城区", path_of(cordon_demo::XINCHENG).await?),
        ("city", AreaPath::root()),
    ];
    let (floor_times, n) = floor(&b.db, b.repeat)?;
    for (name, scope) in &scopes {
        let mut times = Vec::with_capacity(b.repeat);
        let mut found = 0;
        for _ in 0..b.repeat {
            let t = Instant::now();
            found = store.duplicate_people(scope, b.limit).await?.len();
            times.push(t.elapsed());
        }
        let mut job =
            Job::median(format!("duplicates of the {name}"), store.backend(), totals.people as u64, &times)
                .with("pairs", found);
        if *name == "city" {
            job = job.peer("shell GROUP BY of the blind index", report::median(&floor_times));
        }
        report.push(job);
        let (med, lo, hi) = median(times);
        println!(
            "duplicates of the {name}: {found} pairs (limit {}), median {med:.1} ms ({lo:.1}–{hi:.1})",
            b.limit
        );
    }
    let (med, lo, hi) = median(floor_times);
    println!(
        "floor (the city's ID numbers grouped by the database's own shell, process start included): \
         {n} numbers twice, median {med:.1} ms ({lo:.1}–{hi:.1})"
    );
    Ok(())
}
