//! The demo's testing round in progress: most residents sampled in tubes pooled as each home's
//! zone allows, the lab's results for most tubes, two positive pools (one already retested at
//! the door, one whose members are still held), an invalid tube, and people not yet sampled
//! for the sweep. Times are minutes before the seeding moment; files are written as a sampler's
//! system and a lab would send them (formats.md), so they land through the same import.

use cordon_domain::testing::{Pooling, plan_tubes};
use cordon_domain::{AreaCode, PersonRow};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Files of one round: `samples.csv` and `results.csv` for the first pass, then the retests'.
pub struct DemoTesting {
    pub round_key: String,
    pub samples: String,
    pub results: String,
    pub retest_samples: String,
    pub retest_results: String,
    /// Tubes sampled, and people left for the sweep.
    pub tubes: usize,
    pub unsampled: usize,
}

fn time(now_local: chrono::NaiveDateTime, minutes_ago: i64) -> String {
    (now_local - chrono::Duration::minutes(minutes_ago)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `people` door by door (as generated), `pooling` of each person's household, `skip` the
/// people not to sample (cases, already isolated). `site` names each community's sampling point.
pub fn demo_testing(
    seed: u64,
    round_key: &str,
    people: &[PersonRow],
    pooling: impl Fn(&AreaCode) -> Pooling,
    skip: impl Fn(&str) -> bool,
    site: impl Fn(&PersonRow) -> String,
    now_local: chrono::NaiveDateTime,
) -> DemoTesting {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7e57);
    // About nine in ten sampled: a whole household comes down together, or not at all.
    let mut chosen: Vec<&PersonRow> = Vec::new();
    let mut unsampled = 0;
    let mut i = 0;
    while i < people.len() {
        let h = &people[i].household;
        let mut j = i;
        while j < people.len() && people[j].household == *h {
            j += 1;
        }
        let come = rng.random_range(0..100) < 88;
        for p in &people[i..j] {
            if skip(p.person_id.as_str()) {
                continue;
            }
            if come {
                chosen.push(p);
            } else {
                unsampled += 1;
            }
        }
        i = j;
    }
    let homes: Vec<(&AreaCode, Pooling)> =
        chosen.iter().map(|p| (&p.household, pooling(&p.household))).collect();
    let tubes = plan_tubes(&homes);
    let n = tubes.len().max(1);
    let mut samples = String::from("tube_id,person_id,collected_at,round_id,site\n");
    let mut results = String::from("tube_id,result,reported_at,lab\n");
    // Pools of more than one person at a quarter and at two thirds of the way turn positive; one
    // tube is invalid; the last tenth is still at the lab.
    let pooled: Vec<usize> = (0..tubes.len()).filter(|&t| tubes[t].len() > 1).collect();
    let positive = [pooled.get(pooled.len() / 4).copied(), pooled.get(pooled.len() * 2 / 3).copied()];
    let invalid = pooled.get(pooled.len() / 2).copied();
    let reported = n - n / 10;
    for (t, members) in tubes.iter().enumerate() {
        // Sampling from 10 hours ago to 1 hour ago, in order.
        let collected = 600 - (t as i64 * 540 / n as i64);
        let tube_id = format!("{round_key}-{:06}", t + 1);
        for &m in members {
            let p = chosen[m];
            samples.push_str(&format!(
                "{tube_id},{},{},{round_key},{}\n",
                p.person_id,
                time(now_local, collected),
                site(p)
            ));
        }
        if t < reported {
            let result = if positive.contains(&Some(t)) {
                "positive"
            } else if invalid == Some(t) {
                "invalid"
            } else {
                "negative"
            };
            let lab =
                if t % 3 == 0 { "金域医学检验所" } else { "内蒙古自治区人民医院检验科" };
            results.push_str(&format!(
                "{tube_id},{result},{},{lab}\n",
                time(now_local, (collected - 240).max(20))
            ));
        }
    }
    // The first positive pool's members were retested at their doors; one of them is positive.
    let mut retest_samples = String::from("tube_id,person_id,collected_at,round_id,site\n");
    let mut retest_results = String::from("tube_id,result,reported_at,lab\n");
    if let Some(Some(t)) = positive.first() {
        for (k, &m) in tubes[*t].iter().enumerate() {
            let p = chosen[m];
            let tube_id = format!("{round_key}-S{:04}", k + 1);
            retest_samples.push_str(&format!(
                "{tube_id},{},{},{round_key},上门复核\n",
                p.person_id,
                time(now_local, 15)
            ));
            let result = if k == 0 { "positive" } else { "negative" };
            retest_results.push_str(&format!("{tube_id},{result},{},金域医学检验所\n", time(now_local, 5)));
        }
    }
    DemoTesting {
        round_key: round_key.to_owned(),
        samples,
        results,
        retest_samples,
        retest_results,
        tubes: tubes.len(),
        unsampled,
    }
}
