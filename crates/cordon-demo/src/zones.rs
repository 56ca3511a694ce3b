//! The demo's zones, with history, so the map and the countdowns are alive on first start: the
//! article's 呼铁佳园C区 with one sealed building inside a controlled compound, a building whose
//! step down waits for headquarters, one that stepped down, one overdue for its round, a lifted
//! one, and 新城区 as a precaution district. Days are counted back from the day the demo is
//! seeded, so the countdowns always read as an outbreak in progress.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use cordon_domain::lifecycle::zone_state;
use cordon_domain::{AreaCode, EventKind, Profile, Tier, ZoneEvent};

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

/// A positive reported at noon: after the morning's drawing of a zone it caused (the pooled
/// tube sealed the building; the single-tube retest confirms it), so it reaches the zones around.
fn positive(days_ago: u32, note: &str) -> DemoEvent {
    DemoEvent { days_ago, hour: 12, kind: EventKind::Positive, note: note.into() }
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

impl DemoZone {
    /// The moment `days_ago` days before `today` at `hour` local time, never later than a minute
    /// before `now` (a story's "today at 12:00" seeded at 9:00 happens a minute ago).
    pub fn moment(today: NaiveDate, days_ago: u32, hour: u32, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let day = today - Duration::days(days_ago.into());
        let local = day.and_hms_opt(hour, 0, 0).expect("an hour of the day");
        let t = tz.from_local_datetime(&local).earliest().map_or(now, |t| t.with_timezone(&Utc));
        t.min(now - Duration::minutes(1))
    }

    /// The zone's story on the clock, seeded at `now`: drawn, then each event at its moment.
    pub fn timeline(&self, now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, Vec<(DateTime<Utc>, &DemoEvent)>) {
        let today = now.with_timezone(&tz).date_naive();
        let drawn = Self::moment(today, self.days_ago, self.hour, now, tz);
        let events =
            self.events.iter().map(|e| (Self::moment(today, e.days_ago, e.hour, now, tz), e)).collect();
        (drawn, events)
    }
}

/// The first step of a zone's history the profile's rules refuse on its day, in words: each step
/// down and lift is judged by the lifecycle engine on the events before it, as headquarters'
/// approval is (`ZoneState::allows`). `events` in time order, the zone's designation first;
/// `None`: every step was allowed.
pub fn first_refused_step(profile: &Profile, events: &[ZoneEvent], tz: Tz) -> Option<String> {
    events.iter().enumerate().find_map(|(i, e)| {
        let to = match e.kind {
            EventKind::SteppedDown { tier } => Some(tier),
            EventKind::Lifted => None,
            _ => return None,
        };
        let before = zone_state(profile, &events[..i], e.at, tz);
        (!before.allows(to)).then(|| format!("{:?} at {} is refused: {:?}", e.kind, e.at, before.blockers))
    })
}

/// A story as the events the zone service writes: the designation at `drawn`, then each event.
pub fn story_events(
    tier: Tier,
    drawn: DateTime<Utc>,
    events: &[(DateTime<Utc>, EventKind)],
) -> Vec<ZoneEvent> {
    std::iter::once(ZoneEvent { at: drawn, kind: EventKind::Designated { tier } })
        .chain(events.iter().map(|(at, kind)| ZoneEvent { at: *at, kind: kind.clone() }))
        .collect()
}

/// The zone the month's history draws over the building of each day's first case: sealed the
/// same day, an all-negative round on its seventh day and a step down to controlled the next
/// hour, three more clean days and a step down to precaution, then lifted by hand the next
/// morning. Offsets from the moment it is drawn.
pub fn history_zone_story() -> Vec<(Duration, EventKind, &'static str)> {
    vec![
        (
            Duration::days(7) - Duration::hours(4),
            EventKind::Round { all_negative: true },
            "第7天全员核酸，结果全部阴性",
        ),
        (
            Duration::days(7),
            EventKind::SteppedDown { tier: Tier::Controlled },
            "连续7天无新增，第7天全员核酸全阴，降为管控区",
        ),
        (
            Duration::days(10),
            EventKind::SteppedDown { tier: Tier::Precaution },
            "管控区连续3天无新增，降为防范区",
        ),
        (Duration::days(11), EventKind::Lifted, "解除防范区管理"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Scale, XINCHENG};

    fn story(z: &DemoZone, now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, Vec<(DateTime<Utc>, EventKind)>) {
        let (drawn, events) = z.timeline(now, tz);
        (drawn, events.into_iter().map(|(at, e)| (at, e.kind.clone())).collect())
    }

    /// Every step down and lift of the demo's zones is one the profile the demo draws them
    /// under allows on its day, whatever the day and hour the demo is seeded.
    #[test]
    fn every_step_of_the_demo_zones_is_allowed_on_its_day() {
        let tz = chrono_tz::Asia::Shanghai;
        let profile = cordon_domain::protocol::builtin()
            .into_iter()
            .find(|p| p.key == cordon_domain::protocol::DEFAULT_PROFILE)
            .expect("the default profile ships");
        let populated: Vec<AreaCode> =
            ["150103001001", "150104001001", "150105001001"].iter().map(|c| code(c)).collect();
        let zones = demo_zones(Scale::City, &populated);
        assert!(
            zones.iter().any(|z| z.events.iter().any(|e| matches!(e.kind, EventKind::SteppedDown { .. })))
        );
        assert!(zones.iter().any(|z| z.area.as_str() == XINCHENG));
        for now in
            ["2022-04-20T01:30:00Z", "2022-04-20T09:00:00Z", "2022-04-20T15:59:00Z", "2022-12-31T23:00:00Z"]
        {
            let now: DateTime<Utc> = now.parse().unwrap();
            for z in &zones {
                let (drawn, events) = story(z, now, tz);
                assert_eq!(
                    first_refused_step(&profile, &story_events(z.tier, drawn, &events), tz),
                    None,
                    "{} seeded at {now}",
                    z.area
                );
            }
            let drawn = now - Duration::days(20);
            let events: Vec<_> = history_zone_story().into_iter().map(|(d, k, _)| (drawn + d, k)).collect();
            assert_eq!(
                first_refused_step(&profile, &story_events(Tier::Sealed, drawn, &events), tz),
                None,
                "the history's zone"
            );
        }
    }

    /// The check refuses what the rules refuse: a step down with no round on the seventh day,
    /// and a lift straight from a sealed tier.
    #[test]
    fn a_step_the_rules_refuse_is_named() {
        let tz = chrono_tz::Asia::Shanghai;
        let profile = cordon_domain::protocol::builtin()
            .into_iter()
            .find(|p| p.key == cordon_domain::protocol::DEFAULT_PROFILE)
            .unwrap();
        let drawn: DateTime<Utc> = "2022-04-01T02:00:00Z".parse().unwrap();
        let early = [(drawn + Duration::days(8), EventKind::SteppedDown { tier: Tier::Controlled })];
        let refused = first_refused_step(&profile, &story_events(Tier::Sealed, drawn, &early), tz).unwrap();
        assert!(refused.contains("RoundRequired"), "{refused}");
        let lifted = [(drawn + Duration::days(30), EventKind::Lifted)];
        assert!(first_refused_step(&profile, &story_events(Tier::Sealed, drawn, &lifted), tz).is_some());
    }
}
