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

/// The zones of the demo at `scale`: in the two communities of the tiny scale always (their
/// first compounds, which every seed generates, and buildings 1–4, which every urban compound
/// has), and one sealed building with its controlled compound in three more districts at city
/// scale.
///
/// The stories follow `profile`: how long a building waits for its step down, when its round is
/// due, when it may be lifted, are the profile's, found by its lifecycle engine (`going_down`).
pub fn demo_zones(scale: Scale, populated: &[AreaCode], profile: &Profile, tz: Tz) -> Vec<DemoZone> {
    let c1 = GONGZHUFU; // 公主府社区: 呼铁佳园C区 is its compound 001
    let c2 = "150102001002";
    // The day after drawing a sealed building's first step down is allowed, the day it was
    // lifted at the end of its whole story, and the day its first round is due.
    let whole = going_down(profile, Tier::Sealed, 60, 22, usize::MAX, tz);
    let first_step = whole.iter().find(|e| e.is_step()).map_or(7, |e| 60 - e.days_ago);
    let lifted = whole.iter().find(|e| e.kind == EventKind::Lifted).map_or(20, |e| 60 - e.days_ago);
    let round_due = profile.rule(Tier::Sealed).and_then(|r| r.step_down).and_then(|s| s.round_on_day);
    let waiting = first_step + 2;
    let stepped_once = first_step + 2;
    let overdue = round_due.unwrap_or(first_step) + 3;
    let done = lifted + 8;
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
        // Clean since the day after it was drawn, long enough: its step down waits for
        // headquarters.
        DemoZone {
            area: code(&format!("{c2}00101")),
            tier: Tier::Sealed,
            reason: "密接者居住楼栋".into(),
            days_ago: waiting,
            hour: 10,
            events: [vec![positive(waiting - 1, "密接者转阳")], rounds(waiting - 2, 1)].concat(),
        },
        // Stepped down two days ago, the first day it could, and on its way down.
        DemoZone {
            area: code(&format!("{c2}00102")),
            tier: Tier::Sealed,
            reason: "一例确诊病例居住楼栋".into(),
            days_ago: stepped_once,
            hour: 9,
            events: going_down(profile, Tier::Sealed, stepped_once, 9, 1, tz),
        },
        // No round since it was drawn: its round is overdue (or, under a profile that asks for
        // none, its step down waits for headquarters).
        DemoZone {
            area: code(&format!("{c2}00104")),
            tier: Tier::Sealed,
            reason: "次密接者核酸初筛阳性所在楼栋".into(),
            days_ago: overdue,
            hour: 16,
            events: vec![],
        },
        // The whole story: down each step the first day it could, lifted, a week ago.
        DemoZone {
            area: code(&format!("{c2}00103")),
            tier: Tier::Sealed,
            reason: "首例病例居住楼栋".into(),
            days_ago: done,
            hour: 22,
            events: going_down(profile, Tier::Sealed, done, 22, usize::MAX, tz),
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

/// Why the demo's story cannot be told under `profile`, if it cannot: the story seals buildings
/// inside controlled compounds inside a precaution district, and steps them down through each.
pub fn story_refused(profile: &Profile) -> Option<String> {
    let missing: Vec<&str> =
        Tier::ALL.iter().filter(|t| profile.rule(**t).is_none()).map(|t| t.as_str()).collect();
    (!missing.is_empty()).then(|| {
        format!(
            "the demo's story draws sealed, controlled and precaution zones; the profile {} has no {} tier",
            profile.key,
            missing.join(" or ")
        )
    })
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

/// How a zone drawn at `tier`, `days_ago` days before today at `hour` local time, goes down
/// under `profile` when nothing new is found: an all-negative round every morning at 8, and
/// each step down taken at noon on the first day the profile's lifecycle engine allows it — up
/// to `steps` of them —, a tier with no step down lifted by hand the next noon. The rounds stop
/// at yesterday's, or at the lift. Found by the engine itself, so that whatever a profile's
/// numbers (7 clean days or 14, a round due on day 7 or 12, none), every step of the story is
/// one it allows on its day.
pub fn going_down(
    profile: &Profile,
    tier: Tier,
    days_ago: u32,
    hour: u32,
    steps: usize,
    tz: Tz,
) -> Vec<DemoEvent> {
    // Any day serves: the rules count local days, and the demo's zone has no summer time.
    let today = NaiveDate::from_ymd_opt(2022, 4, 1).expect("a day");
    let at = |days_ago: u32, hour: u32| {
        let day = today - Duration::days(days_ago.into());
        tz.from_local_datetime(&day.and_hms_opt(hour, 0, 0).expect("an hour"))
            .earliest()
            .expect("a local time")
            .with_timezone(&Utc)
    };
    let mut seen = vec![ZoneEvent { at: at(days_ago, hour), kind: EventKind::Designated { tier } }];
    let mut out = Vec::new();
    let mut taken = 0;
    for d in (1..days_ago).rev() {
        let round = DemoEvent {
            days_ago: d,
            hour: 8,
            kind: EventKind::Round { all_negative: true },
            note: "全员核酸检测，结果全部阴性".into(),
        };
        seen.push(ZoneEvent { at: at(d, round.hour), kind: round.kind.clone() });
        out.push(round);
        if taken == steps {
            continue;
        }
        let state = zone_state(profile, &seen, at(d, 12), tz);
        let to = match state.next_tier() {
            Some(to) if state.ready => to,
            Some(_) => continue,
            // No step down from here: lifted by hand, the day after it came into this tier.
            None if state.tier_since.is_some_and(|t| t < at(d, 0)) => None,
            None => continue,
        };
        let (kind, note) = match to {
            Some(t) => (
                EventKind::SteppedDown { tier: t },
                format!("连续{}天无新增，降为{}", state.days_clean, tier_name(profile, t)),
            ),
            None => (
                EventKind::Lifted,
                format!("解除{}管理", state.tier.map_or(String::new(), |t| tier_name(profile, t))),
            ),
        };
        seen.push(ZoneEvent { at: at(d, 12), kind: kind.clone() });
        out.push(DemoEvent { days_ago: d, hour: 12, kind, note });
        taken += 1;
        if to.is_none() {
            break;
        }
    }
    out
}

fn tier_name(profile: &Profile, tier: Tier) -> String {
    profile.rule(tier).map_or_else(|| tier.to_string(), |r| r.name_zh.clone())
}

/// The zone the month's history draws over the building of each day's first case, sealed at
/// 11:00: its whole way down under `profile` (`going_down`), as offsets from the moment it is
/// drawn.
pub fn history_zone_story(profile: &Profile, tz: Tz) -> Vec<(Duration, EventKind, String)> {
    const DRAWN: u32 = 11;
    let story = going_down(profile, Tier::Sealed, 60, DRAWN, usize::MAX, tz);
    story
        .into_iter()
        .map(|e| {
            let after = Duration::days((60 - e.days_ago).into())
                + Duration::hours(i64::from(e.hour) - i64::from(DRAWN));
            (after, e.kind, e.note)
        })
        .collect()
}

impl DemoEvent {
    fn is_step(&self) -> bool {
        matches!(self.kind, EventKind::SteppedDown { .. } | EventKind::Lifted)
    }
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
    /// under allows on its day, whatever the day and hour the demo is seeded, under each
    /// shipped profile with the story's three tiers.
    #[test]
    fn every_step_of_the_demo_zones_is_allowed_on_its_day() {
        let tz = chrono_tz::Asia::Shanghai;
        let mut told = 0;
        for profile in cordon_domain::protocol::builtin() {
            if story_refused(&profile).is_some() {
                continue;
            }
            told += 1;
            every_step_allowed(&profile, tz);
        }
        assert!(told >= 3, "the story is told under {told} profiles");
    }

    fn every_step_allowed(profile: &Profile, tz: Tz) {
        let populated: Vec<AreaCode> =
            ["150103001001", "150104001001", "150105001001"].iter().map(|c| code(c)).collect();
        let zones = demo_zones(Scale::City, &populated, profile, tz);
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
                    first_refused_step(profile, &story_events(z.tier, drawn, &events), tz),
                    None,
                    "{} seeded at {now} under {}",
                    z.area,
                    profile.key
                );
            }
            let drawn = now - Duration::days(40);
            let story = history_zone_story(profile, tz);
            let events: Vec<_> = story.iter().map(|(d, k, _)| (drawn + *d, k.clone())).collect();
            assert_eq!(
                first_refused_step(profile, &story_events(Tier::Sealed, drawn, &events), tz),
                None,
                "the history's zone under {}",
                profile.key
            );
            // The whole way down, each tier in turn, and lifted at the end.
            let kinds: Vec<_> =
                story.iter().filter(|(_, k, _)| !matches!(k, EventKind::Round { .. })).collect();
            assert_eq!(
                kinds.iter().map(|(_, k, _)| k.clone()).collect::<Vec<_>>(),
                vec![
                    EventKind::SteppedDown { tier: Tier::Controlled },
                    EventKind::SteppedDown { tier: Tier::Precaution },
                    EventKind::Lifted
                ],
                "under {}",
                profile.key
            );
        }
    }

    /// The stories' days are the profile's: 7 clean days under the 9th edition, 14 under the
    /// three-zone profile of 2021.
    #[test]
    fn the_stories_take_as_long_as_the_profile_says() {
        let tz = chrono_tz::Asia::Shanghai;
        let first_step = |key: &str| {
            let profile = cordon_domain::protocol::builtin().into_iter().find(|p| p.key == key).unwrap();
            let story = history_zone_story(&profile, tz);
            story.iter().find(|(_, k, _)| matches!(k, EventKind::SteppedDown { .. })).unwrap().0.num_days()
        };
        assert_eq!(first_step("ninth-edition"), 7);
        assert_eq!(first_step("three-zone-2021"), 14);
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
        assert_eq!(story_refused(&profile), None);
        let drawn: DateTime<Utc> = "2022-04-01T02:00:00Z".parse().unwrap();
        let early = [(drawn + Duration::days(8), EventKind::SteppedDown { tier: Tier::Controlled })];
        let refused = first_refused_step(&profile, &story_events(Tier::Sealed, drawn, &early), tz).unwrap();
        assert!(refused.contains("RoundRequired"), "{refused}");
        let lifted = [(drawn + Duration::days(30), EventKind::Lifted)];
        assert!(first_refused_step(&profile, &story_events(Tier::Sealed, drawn, &lifted), tz).is_some());
    }
}
