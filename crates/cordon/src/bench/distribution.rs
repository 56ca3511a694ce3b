//! `cordon bench distribution`: a distribution round (保供配送) over the area with the most
//! households, through the service `POST /api/v1/distributions` calls — every household with
//! someone living in it given one delivery sized by its members and flagged when someone in it
//! is vulnerable, the packages taken out of the point's stock, all in one transaction — timed
//! from the request to the round written.
//!
//! The peer, in the same run on the same database: its own shell (`sqlite3`, `psql`) running the
//! plain SQL that lists the same households with their members and whether anyone in them is
//! flagged, which is what a round is made of.
//!
//! It adds a point and its rounds to the database: run it on a copy of the demo you can lose.

use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use cordon_domain::supplies::SupplyItem;
use cordon_domain::{AreaCode, AreaPath};
use cordon_server::supplies::{self, DistributionRequest, StockMoveRequest, SupplyPointRequest};

use crate::bench::report::{Job, Report};
use crate::bench::stats::{median, ms};

#[derive(Args)]
pub struct DistributionBench {
    /// A demo database (`cordon demo --no-serve --db URL`).
    #[arg(long)]
    db: String,
    /// The area the rounds cover; default: the district with the most households.
    #[arg(long)]
    area: Option<String>,
    /// Rounds to time.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    runs: u16,
}

pub(crate) async fn bench(b: &DistributionBench, report: &mut Report) -> Result<()> {
    let store = crate::common::open(&b.db).await?;
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let admin = store.user_by_name("admin").await?.context("no user admin: seed a demo first")?;
    let root = AreaPath::root();
    let area = match &b.area {
        Some(code) => {
            store.area(&root, &AreaCode::parse(code)?).await?.with_context(|| format!("no area {code}"))?
        }
        None => {
            let city = AreaCode::parse(&format!("{}00", &cordon_demo::XINCHENG[..4]))?;
            store
                .children(&root, &city)
                .await?
                .into_iter()
                .max_by_key(|d| d.stats.households)
                .context("no district: seed a demo first")?
        }
    };
    let point = format!("BENCH-SP-{}", chrono::Utc::now().timestamp());
    let api = |e: supplies::SuppliesError| anyhow!("{e}");
    let req = SupplyPointRequest {
        id: point.clone(),
        name: "测试保供点".into(),
        area_code: area.area.code.to_string(),
    };
    supplies::create_point(&state, &admin, &req).await.map_err(api)?;
    let stock =
        StockMoveRequest { item: SupplyItem::Vegetables, quantity: 1_000_000, reason: "bench".into() };
    supplies::move_stock(&state, &admin, &point, &stock).await.map_err(api)?;

    let round = DistributionRequest {
        area_code: area.area.code.to_string(),
        point_id: point.clone(),
        item: SupplyItem::Vegetables,
        note: "cordon bench distribution".into(),
    };
    let mut times = Vec::with_capacity(usize::from(b.runs));
    let mut households = 0;
    let mut packages = 0;
    for _ in 0..b.runs {
        // Enough for the round (never more packages than residents), untimed.
        let mut stocked = 0;
        while stocked < area.stats.residents {
            let stock = StockMoveRequest {
                item: SupplyItem::Vegetables,
                quantity: 1_000_000,
                reason: "bench".into(),
            };
            supplies::move_stock(&state, &admin, &point, &stock).await.map_err(api)?;
            stocked += 1_000_000;
        }
        let t = Instant::now();
        let r = supplies::plan_round(&state, &admin, &round).await.map_err(api)?;
        times.push(t.elapsed());
        (households, packages) = (r.households, r.packages);
    }
    let peer = peer(&b.db, &area.area.path);
    println!(
        "cordon bench distribution: {} ({}, {} residents): {households} households, {packages} packages a round",
        store.backend(),
        area.area.name,
        area.stats.residents
    );
    report.push(
        Job::median("distribution round", store.backend(), households as u64, &times)
            .peer_if("shell read of the households", peer.as_ref().ok().copied())
            .with("packages", packages),
    );
    let (p50, best, worst) = median(times);
    match peer {
        Ok(d) => println!(
            "round: median {p50:.0} ms (best {best:.0}, worst {worst:.0}) over {} runs; peer (the households with their members and flags) {:.0} ms; ratio {:.1}",
            b.runs,
            ms(d),
            p50 / ms(d)
        ),
        Err(e) => {
            println!(
                "round: median {p50:.0} ms (best {best:.0}, worst {worst:.0}) over {} runs; peer not run: {e}",
                b.runs
            )
        }
    }
    if households == 0 {
        bail!("nobody lives in {}", area.area.name);
    }
    Ok(())
}

/// The database's own shell listing the households of the area with their members and whether
/// anyone in them is flagged.
fn peer(db: &str, path: &AreaPath) -> Result<std::time::Duration> {
    let (lo, hi) = path.subtree_range();
    let sql = format!(
        "SELECT count(*), sum(n) FROM (SELECT household_code, count(*) AS n, \
           max(CASE WHEN tags <> '' THEN 1 ELSE 0 END) AS flagged \
         FROM people WHERE status = 'active' AND path >= '{lo}' AND path < '{hi}' GROUP BY household_code) AS h;\n"
    );
    crate::bench::stats::shell(db, &sql)
}
