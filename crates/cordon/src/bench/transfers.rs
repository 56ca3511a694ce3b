//! `cordon bench transfers`: a transfer plan (转运方案) for thousands of people into a hundred
//! hotels, through the service `POST /api/v1/transfers/plan` calls — the people read and
//! audited, every room of the sites in scope read with its guests, the plan by the profile's
//! rule — timed from the request to the proposal.
//!
//! The peer, in the same run on the same database: its own shell (`sqlite3`, `psql`) running the
//! plain SQL that lists the same rooms with their free beds and the same people with their
//! households, which is what a planner without the rule would start from.
//!
//! It adds its sites to the database: run it on a copy of the demo you can lose.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_domain::isolation::{Guest, SiteKind};
use cordon_domain::{AreaCode, AreaPath};
use cordon_server::isolation::{self, PlanPerson, PlanRequest};
use cordon_store::NewSite;

use crate::bench::report::{Job, Report};
use crate::bench::stats::{median, ms};

#[derive(Args)]
pub struct TransfersBench {
    /// A demo database (`cordon demo --no-serve --db URL`).
    #[arg(long)]
    db: String,
    /// Hotels to add, spread over the city's districts.
    #[arg(long, default_value_t = 100)]
    sites: usize,
    /// Rooms a hotel: a quarter of them family rooms of four beds, the rest single.
    #[arg(long, default_value_t = 200)]
    rooms: usize,
    /// People to place, whole households from the register.
    #[arg(long, default_value_t = 5_000)]
    people: usize,
    /// Plans to time.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    runs: u16,
}

pub(crate) async fn bench(b: &TransfersBench, report: &mut Report) -> Result<()> {
    let store = crate::common::open(&b.db).await?;
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let admin = store.user_by_name("admin").await?.context("no user admin: seed a demo first")?;
    let root = AreaPath::root();
    let now = chrono::Utc::now();

    // The hotels, over the districts that have people, a quarter of each one's rooms for families.
    let city = AreaCode::parse(&format!("{}00", &cordon_demo::XINCHENG[..4]))?;
    let districts: Vec<AreaCode> = store
        .children(&root, &city)
        .await?
        .into_iter()
        .filter(|d| d.stats.residents > 0)
        .map(|d| d.area.code)
        .collect();
    if districts.is_empty() {
        bail!("no district with people: seed a demo first");
    }
    let families = b.rooms / 4;
    let t = Instant::now();
    for i in 0..b.sites {
        let site = NewSite {
            id: format!("BENCH-{i:03}"),
            name: format!("测试隔离酒店 {i}"),
            area: districts[i % districts.len()].clone(),
            kind: SiteKind::Hotel,
            rooms: (b.rooms - families) as i64,
            at: now,
            by: "bench".into(),
        };
        store
            .create_site(&site)
            .await
            .with_context(|| format!("site {} (a copy of the demo, once)", site.id))?;
        let family: Vec<(String, i64)> = (1..=families).map(|n| (format!("F{n:03}"), 4)).collect();
        store.add_rooms(&site.id, &family, now, "bench").await?;
    }
    println!(
        "set up {} hotels of {} rooms ({} family rooms of 4 beds each) in {:.1} s",
        b.sites,
        b.rooms,
        families,
        t.elapsed().as_secs_f64()
    );

    // Whole households, in the register's order, until there are enough people.
    let mut people: Vec<(String, String)> = Vec::new();
    let mut after: Option<(AreaPath, String)> = None;
    while people.len() < b.people {
        let page = store.people_page(&root, after.as_ref().map(|(p, id)| (p, id.as_str())), 2_000).await?;
        let Some((last, _)) = page.last() else { break };
        after = Some((last.path.clone(), last.person_id.to_string()));
        for (p, _) in &page {
            if people.len() >= b.people && people.last().is_none_or(|(_, h)| *h != p.household.as_str()) {
                break;
            }
            people.push((p.person_id.to_string(), p.household.as_str().to_owned()));
        }
    }
    let households = {
        let mut h: Vec<&str> = people.iter().map(|(_, h)| h.as_str()).collect();
        h.dedup();
        h.len()
    };
    let req = PlanRequest {
        people: people
            .iter()
            .map(|(id, _)| PlanPerson { person_id: id.clone(), guest: Guest::CloseContact })
            .collect(),
    };

    let mut times = Vec::with_capacity(usize::from(b.runs));
    let mut placed = 0;
    let mut unplaced = 0;
    for _ in 0..b.runs {
        let t = Instant::now();
        let plan = isolation::plan(&state, &admin, &req, "cordon bench transfers")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(t.elapsed());
        (placed, unplaced) = (plan.placed.len(), plan.unplaced.len());
    }
    let peer = peer(&b.db, &people);
    let total_rooms = store.room_slots(&root).await?.len();
    println!(
        "cordon bench transfers: {} ({} people in {households} households into {} sites, {total_rooms} rooms in scope): {placed} placed, {unplaced} not",
        store.backend(),
        people.len(),
        b.sites
    );
    report.push(
        Job::median("transfer plan", store.backend(), people.len() as u64, &times)
            .peer_if("shell read of the rooms and people", peer.as_ref().ok().copied())
            .with("placed", placed)
            .with("sites", b.sites),
    );
    let (p50, best, worst) = median(times);
    match peer {
        Ok(d) => println!(
            "plan: median {p50:.0} ms (best {best:.0}, worst {worst:.0}) over {} runs; peer (the rooms with their free beds and the people with their households) {:.0} ms; ratio {:.1}",
            b.runs,
            ms(d),
            p50 / ms(d)
        ),
        Err(e) => println!(
            "plan: median {p50:.0} ms (best {best:.0}, worst {worst:.0}) over {} runs; peer not run: {e}",
            b.runs
        ),
    }
    Ok(())
}

/// The database's own shell listing the rooms with free beds and the people with their
/// households: the SQL is sent on standard input (thousands of ids).
fn peer(db: &str, people: &[(String, String)]) -> Result<std::time::Duration> {
    let ids: Vec<String> = people.iter().map(|(id, _)| format!("'{id}'")).collect();
    let sql = format!(
        "SELECT count(*) FROM (SELECT r.site_id, r.label, r.beds - (SELECT count(*) FROM stays y \
           WHERE y.room_id = r.id AND y.checked_out_at IS NULL) AS free FROM site_rooms r WHERE r.state = 'ready') AS f \
         WHERE free > 0;\n\
         SELECT count(*) FROM (SELECT person_id, household_code, path FROM people WHERE person_id IN ({})) AS p;\n",
        ids.join(",")
    );
    crate::bench::stats::shell(db, &sql)
}
