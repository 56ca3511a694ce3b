//! The demo's casework: venues with codes in the article's street, twelve days of scans by the
//! people of its first communities, and five cases — a cluster of four around 呼铁佳园C区
//! (the index case, reclassified from asymptomatic to confirmed; a household member; a shopper
//! who met it at the supermarket; and someone that shopper met at the market) and one case of
//! unknown source. Times are minutes before the moment of seeding, so the demo always shows an
//! outbreak in progress.

use cordon_domain::notice::Transport;
use cordon_domain::{AreaCode, CaseClass, PersonRow};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::fnv;

pub struct DemoVenue {
    pub venue_id: String,
    pub name: String,
    pub area: AreaCode,
    pub kind: String,
}

/// One scan, `minutes_ago` before seeding.
pub struct DemoScan {
    pub person_id: String,
    pub venue: usize,
    pub minutes_ago: i64,
}

pub struct DemoSegment {
    pub minutes_ago: i64,
    pub minutes: i64,
    pub venue: Option<usize>,
    /// For a place without a code: its area.
    pub area: Option<AreaCode>,
    pub place: String,
    pub transport: Option<Transport>,
    pub transport_detail: String,
}

pub struct DemoCase {
    pub person_id: String,
    /// The class it was opened with.
    pub class: CaseClass,
    /// Reclassified to confirmed this many minutes ago (无症状感染者转确诊).
    pub confirmed_minutes_ago: Option<i64>,
    pub onset_days_ago: Option<i64>,
    pub sampled_minutes_ago: i64,
    pub isolated_minutes_ago: Option<i64>,
    pub isolation_place: String,
    /// The case (by index in the list) it caught it from.
    pub source: Option<usize>,
    pub note: String,
    pub segments: Vec<DemoSegment>,
}

pub struct DemoCasework {
    pub venues: Vec<DemoVenue>,
    pub scans: Vec<DemoScan>,
    pub cases: Vec<DemoCase>,
}

const DAY: i64 = 24 * 60;

/// Minutes before seeding of `hh:mm` local time `days_ago` days back, given the local time of
/// day at seeding (`now_minute`, minutes since local midnight).
fn ago(days_ago: i64, hh: i64, mm: i64, now_minute: i64) -> i64 {
    days_ago * DAY + now_minute - (hh * 60 + mm)
}

/// The casework over `people` (the first communities of the demo, in their generated order),
/// `communities` their codes, `street` the street they belong to. `now_minute` is the local
/// time of day at seeding.
pub fn demo_casework(
    seed: u64,
    people: &[PersonRow],
    communities: &[AreaCode],
    now_minute: i64,
) -> DemoCasework {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ fnv("casework"));
    let mut venues = Vec::new();
    // (venue, weight) per community: where its residents scan their codes.
    let mut local: Vec<Vec<(usize, u32)>> = Vec::new();
    // The first is the supermarket and the fifth the noodle shop of the story; the shop is
    // quiet, so a notice may not name it.
    const KINDS: [(&str, &str, u32); 12] = [
        ("便民超市", "shop", 12),
        ("菜市场", "market", 12),
        ("大药房", "pharmacy", 8),
        ("社区卫生服务站", "clinic", 4),
        ("家常面馆", "restaurant", 1),
        ("生鲜店", "shop", 10),
        ("便利店", "shop", 10),
        ("烧麦馆", "restaurant", 6),
        ("理发店", "service", 4),
        ("快递驿站", "service", 10),
        ("银行网点", "service", 5),
        ("早餐店", "restaurant", 8),
    ];
    for (ci, c) in communities.iter().enumerate() {
        let prefix = ["公主府", "海拉尔", "东风"].get(ci).copied().unwrap_or("社区");
        let mut mine = Vec::new();
        for (k, (name, kind, weight)) in KINDS.iter().enumerate() {
            mine.push((venues.len(), *weight));
            venues.push(DemoVenue {
                venue_id: format!("V{c}{k:02}"),
                name: format!("{prefix}{name}"),
                area: c.clone(),
                kind: (*kind).into(),
            });
        }
        local.push(mine);
    }
    let street = AreaCode::parse(&communities[0].as_str()[..9]).expect("a street code");
    let mall = venues.len();
    venues.push(DemoVenue {
        venue_id: format!("V{street}M1"),
        name: "维多利购物中心".into(),
        area: street.clone(),
        kind: "mall".into(),
    });
    let bus = venues.len();
    venues.push(DemoVenue {
        venue_id: format!("V{street}B1"),
        name: "1路公交车".into(),
        area: street.clone(),
        kind: "bus".into(),
    });

    // Twelve days of everyday scans.
    let community_of =
        |p: &PersonRow| communities.iter().position(|c| p.household.as_str().starts_with(c.as_str()));
    let mut scans = Vec::new();
    for p in people {
        let Some(ci) = community_of(p) else { continue };
        let weights = &local[ci];
        let total: u32 = weights.iter().map(|w| w.1).sum();
        for day in 0..12 {
            if !rng.random_ratio(1, 4) {
                continue;
            }
            for _ in 0..rng.random_range(1..=2) {
                let venue = if rng.random_ratio(1, 12) {
                    if rng.random_bool(0.5) { mall } else { bus }
                } else {
                    let mut r = rng.random_range(0..total);
                    let mut v = weights[0].0;
                    for &(id, w) in weights {
                        if r < w {
                            v = id;
                            break;
                        }
                        r -= w;
                    }
                    v
                };
                let minute = rng.random_range(7 * 60..21 * 60);
                let minutes_ago = ago(day, minute / 60, minute % 60, now_minute);
                if minutes_ago > 0 {
                    scans.push(DemoScan { person_id: p.person_id.as_str().to_owned(), venue, minutes_ago });
                }
            }
        }
    }

    // The story. The index case lives in 呼铁佳园C区 (the first compound of the first community).
    let in_compound = |p: &&PersonRow| p.household.as_str().starts_with(&format!("{}001", communities[0]));
    let adult = |p: &&PersonRow| p.birth_year.is_some_and(|y| y <= 2000);
    let a = people
        .iter()
        .filter(in_compound)
        .filter(adult)
        .find(|p| people.iter().filter(|q| q.household == p.household).count() >= 3)
        .or_else(|| people.iter().find(adult))
        .expect("the demo has adults");
    let a_home = people.iter().find(|q| q.household == a.household && q.person_id != a.person_id);
    let in_community = |ci: usize| {
        people
            .iter()
            .filter(move |p| {
                communities.get(ci).is_some_and(|c| p.household.as_str().starts_with(c.as_str()))
            })
            .filter(adult)
    };
    let b = in_community(1).nth(17).or_else(|| in_community(0).nth(40)).expect("a second adult");
    let d = in_community(1).nth(230).or_else(|| in_community(0).nth(90)).expect("a third adult");
    let e = in_community(2).nth(55).or_else(|| in_community(0).nth(140)).expect("a fourth adult");
    let noodles = local[0][4].0;
    let supermarket = local[0][0].0;
    let market_b = local.get(1).map_or(local[0][1].0, |l| l[1].0);
    let scan = |scans: &mut Vec<DemoScan>, p: &PersonRow, venue: usize, minutes_ago: i64| {
        scans.push(DemoScan { person_id: p.person_id.as_str().to_owned(), venue, minutes_ago });
    };
    // A, seven days ago: noodles, the bus, the mall with a crowd; six days ago the supermarket,
    // where B shopped five minutes later.
    scan(&mut scans, a, noodles, ago(7, 8, 30, now_minute));
    scan(&mut scans, a, bus, ago(7, 9, 12, now_minute));
    scan(&mut scans, a, mall, ago(7, 10, 2, now_minute));
    scan(&mut scans, a, supermarket, ago(6, 18, 5, now_minute));
    scan(&mut scans, b, supermarket, ago(6, 18, 10, now_minute));
    for p in people.iter().skip(300).step_by(97).take(45) {
        scan(&mut scans, p, mall, ago(7, 10, rng.random_range(0..85), now_minute));
    }
    // B, four days ago at its own market, with D right behind.
    scan(&mut scans, b, market_b, ago(4, 9, 0, now_minute));
    scan(&mut scans, d, market_b, ago(4, 9, 20, now_minute));
    let pharmacy_e = local.get(2).map_or(local[0][2].0, |l| l[2].0);
    scan(&mut scans, e, pharmacy_e, ago(3, 18, 35, now_minute));

    let minutes = |days: i64, hh: i64, mm: i64| ago(days, hh, mm, now_minute);
    let seg = |start: i64, len: i64, venue: Option<usize>, transport: Option<Transport>, detail: &str| {
        DemoSegment {
            minutes_ago: start,
            minutes: len,
            venue,
            area: None,
            place: String::new(),
            transport,
            transport_detail: detail.into(),
        }
    };
    let hospital = "呼和浩特市第二医院（定点医院）".to_owned();
    let mut cases = vec![DemoCase {
        person_id: a.person_id.as_str().to_owned(),
        class: CaseClass::Asymptomatic,
        confirmed_minutes_ago: Some(minutes(3, 16, 0)),
        onset_days_ago: Some(4),
        sampled_minutes_ago: minutes(5, 7, 40),
        isolated_minutes_ago: Some(minutes(5, 14, 0)),
        isolation_place: hospital.clone(),
        source: None,
        note: "区域核酸筛查10合1混管阳性，单管复核阳性".into(),
        segments: vec![
            DemoSegment {
                minutes_ago: minutes(7, 7, 30),
                minutes: 50,
                venue: None,
                area: Some(a.household.clone()),
                place: "居家".into(),
                transport: None,
                transport_detail: String::new(),
            },
            seg(minutes(7, 8, 25), 25, Some(noodles), Some(Transport::Walk), ""),
            seg(minutes(7, 9, 10), 35, Some(bus), None, ""),
            seg(minutes(7, 10, 0), 90, Some(mall), Some(Transport::Walk), ""),
            seg(minutes(6, 18, 0), 30, Some(supermarket), Some(Transport::Walk), ""),
        ],
    }];
    if let Some(h) = a_home {
        cases.push(DemoCase {
            person_id: h.person_id.as_str().to_owned(),
            class: CaseClass::Confirmed,
            confirmed_minutes_ago: None,
            onset_days_ago: Some(4),
            sampled_minutes_ago: minutes(4, 8, 10),
            isolated_minutes_ago: Some(minutes(4, 15, 0)),
            isolation_place: hospital.clone(),
            source: Some(0),
            note: "密接集中隔离期间第1天检测阳性（同住家庭成员）".into(),
            segments: vec![],
        });
    }
    let b_index = cases.len();
    cases.push(DemoCase {
        person_id: b.person_id.as_str().to_owned(),
        class: CaseClass::Asymptomatic,
        confirmed_minutes_ago: None,
        onset_days_ago: None,
        sampled_minutes_ago: minutes(3, 9, 0),
        isolated_minutes_ago: Some(minutes(3, 18, 0)),
        isolation_place: "方舱医院（会展中心）".into(),
        source: Some(0),
        note: "密接（超市同时段扫码），隔离第2天检测阳性".into(),
        segments: vec![seg(minutes(4, 8, 50), 40, Some(market_b), Some(Transport::Walk), "")],
    });
    cases.push(DemoCase {
        person_id: d.person_id.as_str().to_owned(),
        class: CaseClass::Asymptomatic,
        confirmed_minutes_ago: None,
        onset_days_ago: None,
        sampled_minutes_ago: minutes(1, 8, 0),
        isolated_minutes_ago: None,
        isolation_place: String::new(),
        source: Some(b_index),
        note: "次密接转运前检测阳性，待转运".into(),
        segments: vec![],
    });
    cases.push(DemoCase {
        person_id: e.person_id.as_str().to_owned(),
        class: CaseClass::Asymptomatic,
        confirmed_minutes_ago: None,
        onset_days_ago: None,
        sampled_minutes_ago: minutes(2, 7, 30),
        isolated_minutes_ago: Some(minutes(2, 13, 0)),
        isolation_place: "方舱医院（会展中心）".into(),
        source: None,
        note: "社区主动筛查发现，感染来源调查中".into(),
        segments: vec![seg(minutes(3, 18, 30), 30, Some(pharmacy_e), None, "")],
    });
    DemoCasework { venues, scans, cases }
}
