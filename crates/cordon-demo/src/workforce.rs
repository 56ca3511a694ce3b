//! The demo's workforce: cadres of the city's organs, party members and volunteers dispatched
//! to the story's communities (下沉干部), most of them reporting in today, as a roster system
//! would write `workers.csv`. Who answers for what is left to the binary, which takes the
//! suggestions of coverage for all but a few gaps, so the coverage page opens with work to do.

use cordon_domain::workforce::Rank;
use cordon_domain::{AreaCode, Sex};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Where dispatched cadres come from in Hohhot (the article: city organs, enterprises, schools).
const ORGANISATIONS: &[&str] = &[
    "市委组织部",
    "市财政局",
    "市教育局",
    "市住建局",
    "市税务局",
    "新城区人民政府",
    "呼和浩特铁路局",
    "内蒙古电力公司",
    "内蒙古大学",
    "团市委",
    "市第一医院",
];

pub struct DemoWorkforce {
    /// `workers.csv` (formats.md).
    pub workers_csv: String,
    /// (worker_id, community) of those who reported in today.
    pub checkins: Vec<(String, AreaCode)>,
}

/// `per_community` workers for each community; nine in ten report in today.
pub fn demo_workforce(seed: u64, communities: &[AreaCode], per_community: usize) -> DemoWorkforce {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x3a11);
    let mut csv = String::from("worker_id,name,phone,organisation,party_member,rank\n");
    let mut checkins = Vec::new();
    let mut n = 0;
    for c in communities {
        for i in 0..per_community {
            n += 1;
            let id = format!("W{n:06}");
            let sex = if rng.random_range(0..2) == 0 { Sex::Male } else { Sex::Female };
            let name = crate::random_name(&mut rng, sex);
            // One division-level cadre for every few communities (the street's leaders come
            // from them), section chiefs, staff, and volunteers.
            let rank = match (i, rng.random_range(0..10)) {
                (0, _) => Rank::Division,
                (_, 0..=2) => Rank::Section,
                (_, 3..=7) => Rank::Staff,
                _ => Rank::Volunteer,
            };
            let party = rank != Rank::Volunteer || rng.random_range(0..3) == 0;
            let org = if rank == Rank::Volunteer {
                "社区志愿者"
            } else {
                ORGANISATIONS[rng.random_range(0..ORGANISATIONS.len())]
            };
            let phone = format!("139{:08}", rng.random_range(0..100_000_000u32));
            csv.push_str(&format!("{id},{name},{phone},{org},{party},{}\n", rank.as_str()));
            if rng.random_range(0..10) < 9 {
                checkins.push((id, c.clone()));
            }
        }
    }
    DemoWorkforce { workers_csv: csv, checkins }
}
