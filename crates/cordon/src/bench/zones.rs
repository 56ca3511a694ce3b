//! `cordon bench zones`: effective tiers and tier counts on a generated city of a stated size,
//! timed, and written out so `bench/zones_peer.py` can run the same job in SQL on the same data.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Args;
use cordon_domain::tiers::{effective_tiers, tier_figures};
use cordon_domain::{AreaPath, Tier, ZoneCover};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::bench::report::{Job, Report};

#[derive(Args)]
pub struct ZonesBench {
    /// Residents of the generated city.
    #[arg(long, default_value_t = 3_500_000)]
    residents: u64,
    /// Active zones drawn on it (Shanghai's first list had 17,649).
    #[arg(long, default_value_t = 20_000)]
    zones: usize,
    #[arg(long, default_value_t = 2022)]
    seed: u64,
    /// Write households.csv (path, residents) and zones.csv (path, tier) here for the peer.
    #[arg(long)]
    export: Option<PathBuf>,
}

/// A city shaped like the demo's: 10 districts, 10 streets each, 14 communities a street,
/// compounds of ~8 buildings, households of 1–4 people.
struct Generated {
    /// Sorted by path, as the store returns them.
    households: Vec<(AreaPath, i64)>,
    /// Areas above households, with their residents, by level (district = 0 … building = 4).
    areas: Vec<(AreaPath, usize, i64)>,
}

fn generate(residents: u64, rng: &mut ChaCha8Rng) -> Generated {
    let mut households = Vec::new();
    let mut areas = Vec::new();
    let mut next_id = 2i64;
    let mut id = || {
        next_id += 1;
        next_id
    };
    let city = AreaPath::root().child(1);
    let per_community = (residents / 1400).max(1) as i64;
    for _ in 0..10 {
        let d = city.child(id());
        let d_at = areas.len();
        areas.push((d.clone(), 0, 0));
        for _ in 0..10 {
            let s = d.child(id());
            let s_at = areas.len();
            areas.push((s.clone(), 1, 0));
            for _ in 0..14 {
                let c = s.child(id());
                let c_at = areas.len();
                areas.push((c.clone(), 2, 0));
                let mut left = per_community;
                while left > 0 {
                    let k = c.child(id());
                    let k_at = areas.len();
                    areas.push((k.clone(), 3, 0));
                    for _ in 0..8 {
                        if left <= 0 {
                            break;
                        }
                        let b = k.child(id());
                        let b_at = areas.len();
                        areas.push((b.clone(), 4, 0));
                        for _ in 0..rng.random_range(20..60) {
                            let n = rng.random_range(1..5).min(left);
                            if n <= 0 {
                                break;
                            }
                            left -= n;
                            households.push((b.child(id()), n));
                            for at in [d_at, s_at, c_at, k_at, b_at] {
                                areas[at].2 += n;
                            }
                        }
                    }
                }
            }
        }
    }
    households.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Generated { households, areas }
}

/// Zones on distinct areas: most on buildings, some compounds, a few communities and streets,
/// and one district on precaution.
fn draw(g: &Generated, n: usize, rng: &mut ChaCha8Rng) -> Vec<ZoneCover> {
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    let by_level = |lvl: usize| g.areas.iter().filter(move |a| a.1 == lvl).collect::<Vec<_>>();
    let levels: Vec<Vec<&(AreaPath, usize, i64)>> = (0..5).map(by_level).collect();
    if let Some(d) = levels[0].first() {
        taken.insert(d.0.clone());
        out.push(ZoneCover { path: d.0.clone(), tier: Tier::Precaution, residents: d.2 });
    }
    while out.len() < n {
        let level = match rng.random_range(0..100) {
            0..2 => 1,
            2..8 => 2,
            8..30 => 3,
            _ => 4,
        };
        let pool = &levels[level];
        let a = pool[rng.random_range(0..pool.len())];
        if !taken.insert(a.0.clone()) {
            continue;
        }
        let tier = match (level, rng.random_range(0..10)) {
            (4, 0..7) | (3, 0..2) => Tier::Sealed,
            (_, 0..6) => Tier::Controlled,
            _ => Tier::Precaution,
        };
        out.push(ZoneCover { path: a.0.clone(), tier, residents: a.2 });
    }
    out
}

pub fn run(b: &ZonesBench, report: &mut Report) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(b.seed);
    let t = Instant::now();
    let g = generate(b.residents, &mut rng);
    let drawable = g.areas.iter().filter(|a| a.1 > 0).count();
    ensure!(
        b.zones < drawable / 2,
        "{} zones need a bigger city: {} residents give {drawable} streets, communities, compounds and buildings",
        b.zones,
        b.residents
    );
    let zones = draw(&g, b.zones, &mut rng);
    let total: i64 = g.households.iter().map(|h| h.1).sum();
    eprintln!(
        "generated {total} residents in {} households, {} areas above them, {} zones in {:.1} s",
        g.households.len(),
        g.areas.len(),
        zones.len(),
        t.elapsed().as_secs_f64()
    );

    // Everything from scratch: every household's effective tier, summed by tier.
    let runs = 5;
    let mut full = Vec::new();
    let mut counted = [0i64; 3];
    for _ in 0..runs {
        let t = Instant::now();
        let tiers = effective_tiers(&zones, g.households.iter().map(|h| &h.0));
        counted = [0; 3];
        for (t, (_, n)) in tiers.iter().zip(&g.households) {
            if let Some(t) = t {
                counted[t.index()] += n;
            }
        }
        full.push(t.elapsed().as_secs_f64());
    }

    // From what is kept up to date: the zones with their areas' resident counts.
    let root = AreaPath::root();
    let reps = 200;
    let t = Instant::now();
    let mut figures = tier_figures(&zones, &root, total);
    for _ in 1..reps {
        figures = tier_figures(&zones, &root, total);
    }
    let kept = t.elapsed().as_secs_f64() / f64::from(reps);
    ensure!(figures.residents == counted, "the two ways disagree: {:?} vs {counted:?}", figures.residents);

    full.sort_by(f64::total_cmp);
    println!("residents            {total}");
    println!("households           {}", g.households.len());
    println!(
        "zones                {} (sealed {}, controlled {}, precaution {})",
        zones.len(),
        figures.zones[0],
        figures.zones[1],
        figures.zones[2]
    );
    println!(
        "people by tier       sealed {}, controlled {}, precaution {}",
        counted[0], counted[1], counted[2]
    );
    println!(
        "recompute everything {:.1} ms (median of {runs}; every household's effective tier)",
        full[runs / 2] * 1e3
    );
    println!("figures from zones   {:.3} ms (mean of {reps})", kept * 1e3);
    let secs = Duration::from_secs_f64;
    report.push(
        Job::new("every household's effective tier", "memory", total as u64, secs(full[runs / 2]))
            .runs(runs)
            .with("zones", zones.len())
            .with("households", g.households.len()),
    );
    report.push(
        Job::new("tier figures from the zones", "memory", total as u64, secs(kept))
            .runs(reps as usize)
            .with("zones", zones.len()),
    );

    if let Some(dir) = &b.export {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut h = std::io::BufWriter::new(std::fs::File::create(dir.join("households.csv"))?);
        writeln!(h, "path,residents")?;
        for (p, n) in &g.households {
            writeln!(h, "{},{n}", p.as_str())?;
        }
        h.flush()?;
        let mut z = std::io::BufWriter::new(std::fs::File::create(dir.join("zones.csv"))?);
        writeln!(z, "path,tier")?;
        for c in &zones {
            writeln!(z, "{},{}", c.path.as_str(), c.tier)?;
        }
        z.flush()?;
        eprintln!("wrote households.csv and zones.csv to {}", dir.display());
    }
    Ok(())
}
