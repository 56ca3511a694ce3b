//! The demo's zones, with history, so the map and the countdowns are alive on first start: the
//! article's 呼铁佳园C区 with one sealed building inside a controlled compound, a building whose
//! step down waits for headquarters, one that stepped down, one overdue for its round, a lifted
//! one, and 新城区 as a precaution district. Days are counted back from the day the demo is
//! seeded, so the countdowns always read as an outbreak in progress.

use cordon_domain::{AreaCode, EventKind, Tier};

use crate::{GONGZHUFU, Scale, XINCHENG};

pub struct DemoZone {
    pub area: AreaCode,
    pub tier: Tier,
    pub reason: String,
    /// Drawn this many days before today, at `hour` local time.
    pub days_ago: u32,
    pub hour: u32,
    /// Oldest first.
    pub events: Vec<DemoEvent>,
}

#[derive(Clone)]
pub struct DemoEvent {
    pub days_ago: u32,
    pub hour: u32,
    pub kind: EventKind,
    pub note: String,
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).expect("demo zone code")
}

fn rounds(from_days_ago: u32, to_days_ago: u32) -> Vec<DemoEvent> {
    (to_days_ago..=from_days_ago)
        .rev()
        .map(|d| DemoEvent {
            days_ago: d,
            hour: 8,
            kind: EventKind::Round { all_negative: true },
            note: "全员核酸检测，结果全部阴性".into(),
        })
        .collect()
}

fn positive(days_ago: u32, note: &str) -> DemoEvent {
    DemoEvent { days_ago, hour: 7, kind: EventKind::Positive, note: note.into() }
}

fn step(days_ago: u32, kind: EventKind, note: &str) -> DemoEvent {
    DemoEvent { days_ago, hour: 12, kind, note: note.into() }
}

/// The zones of the demo at `scale`: in the two communities of the tiny scale always (their
/// first compounds, which every seed generates, and buildings 1–4, which every urban compound
/// has), and one sealed building with its controlled compound in three more districts at city
/// scale.
pub fn demo_zones(scale: Scale, populated: &[AreaCode]) -> Vec<DemoZone> {
    let c1 = GONGZHUFU; // 公主府社区: 呼铁佳园C区 is its compound 001
    let c2 = "150102001002";
    let mut out = vec![
        DemoZone {
            area: code(&format!("{c1}00103")),
            tier: Tier::Sealed,
            reason: "3号楼发现一例无症状感染者，划为封控区".into(),
            days_ago: 5,
            hour: 9,
            events: [vec![positive(5, "无症状感染者（单管复核阳性）")], rounds(4, 1)].concat(),
        },
        DemoZone {
            area: code(&format!("{c1}001")),
            tier: Tier::Controlled,
            reason: "呼铁佳园C区：3号楼所在小区，划为管控区".into(),
            days_ago: 5,
            hour: 9,
            events: rounds(4, 1),
        },
        DemoZone {
            area: code(&format!("{c2}00101")),
            tier: Tier::Sealed,
            reason: "密接者居住楼栋".into(),
            days_ago: 9,
            hour: 10,
            events: [vec![positive(8, "密接者转阳")], rounds(7, 1)].concat(),
        },
        DemoZone {
            area: code(&format!("{c2}00102")),
            tier: Tier::Sealed,
            reason: "一例确诊病例居住楼栋".into(),
            days_ago: 12,
            hour: 9,
            events: [
                rounds(11, 3),
                vec![step(
                    2,
                    EventKind::SteppedDown { tier: Tier::Controlled },
                    "连续7天无新增，第7天全员核酸全阴，降为管控区",
                )],
                rounds(1, 1),
            ]
            .concat(),
        },
        DemoZone {
            area: code(&format!("{c2}00104")),
            tier: Tier::Sealed,
            reason: "次密接者核酸初筛阳性所在楼栋".into(),
            days_ago: 10,
            hour: 16,
            events: vec![],
        },
        DemoZone {
            area: code(&format!("{c2}00103")),
            tier: Tier::Sealed,
            reason: "首例病例居住楼栋".into(),
            days_ago: 20,
            hour: 22,
            events: [
                rounds(19, 13),
                vec![step(13, EventKind::SteppedDown { tier: Tier::Controlled }, "降为管控区")],
                rounds(12, 10),
                vec![step(10, EventKind::SteppedDown { tier: Tier::Precaution }, "降为防范区")],
                vec![step(8, EventKind::Lifted, "解除防范区管理")],
            ]
            .concat(),
        },
        DemoZone {
            area: code(XINCHENG),
            tier: Tier::Precaution,
            reason: "新城区全域划为防范区，严格限制人员聚集".into(),
            days_ago: 6,
            hour: 20,
            events: vec![],
        },
    ];
    if scale == Scale::City {
        // One community in each of three more districts: its first compound's first building.
        for district in ["150103", "150104", "150105"] {
            let Some(community) = populated.iter().find(|c| c.as_str().starts_with(district)) else {
                continue;
            };
            out.push(DemoZone {
                area: code(&format!("{community}00101")),
                tier: Tier::Sealed,
                reason: "发现阳性感染者，所在楼栋划为封控区".into(),
                days_ago: 3,
                hour: 11,
                events: [vec![positive(3, "社区筛查阳性")], rounds(2, 1)].concat(),
            });
            out.push(DemoZone {
                area: code(&format!("{community}001")),
                tier: Tier::Controlled,
                reason: "阳性感染者所在小区".into(),
                days_ago: 3,
                hour: 11,
                events: rounds(2, 1),
            });
        }
    }
    out
}
