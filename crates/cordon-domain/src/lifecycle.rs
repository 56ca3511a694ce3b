//! The lifecycle engine: from a zone's events and its profile, where the zone stands today —
//! its tier, its clean days, the round it still needs, the earliest day it may step down and
//! what blocks it.
//!
//! The state is a pure function of the events, whatever order they arrived in: events are
//! sorted into one order before they are folded, so a lab result that arrives late changes
//! nothing but what it says. Days are calendar days in the deployment's time zone.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::protocol::{Profile, StepDown, Tier};

/// Something that happened to a zone. `at` is when it happened (a sample's time for a positive
/// or a round), not when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct ZoneEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// 划定: the zone was drawn at this tier.
    Designated { tier: Tier },
    /// Raised to a stricter tier (a positive inside a zone that had stepped down).
    Raised { tier: Tier },
    /// 降级: stepped down to a less strict tier.
    SteppedDown { tier: Tier },
    /// 解封: lifted; the zone has ended.
    Lifted,
    /// A new positive inside: the clean days start again.
    Positive,
    /// A full testing round, sampled at `at`.
    Round { all_negative: bool },
    /// A close contact of a case inside was last exposed at `at`.
    ContactExposure,
    /// Headquarters holds the zone at its tier until this day, whatever the rules allow.
    Extended { until: NaiveDate },
}

/// Why a zone may not step down today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Blocker {
    /// The profile has no step down from this tier: headquarters lifts it by hand.
    ManualOnly,
    /// Not enough days without a new positive.
    CleanDays { have: i64, need: u32, since: NaiveDate },
    /// An all-negative full round on or after `due` has not been recorded.
    RoundRequired { due: NaiveDate, overdue: bool },
    /// The last close contact was exposed too recently.
    ContactExposure { last: NaiveDate, need_days: u32 },
    /// Held by headquarters until this day.
    Extended { until: NaiveDate },
}

/// Where a zone stands on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ZoneState {
    /// The tier now; none once lifted.
    pub tier: Option<Tier>,
    /// When it entered this tier (or was lifted).
    pub tier_since: Option<DateTime<Utc>>,
    /// True when it came into this tier by stepping down, which may change the rule.
    pub stepped_down_into: bool,
    pub positives: u32,
    pub last_positive: Option<DateTime<Utc>>,
    /// The first day of the current clean period: the later of the last positive's day and the
    /// day the zone entered its tier.
    pub clean_since: Option<NaiveDate>,
    pub days_clean: i64,
    /// The rule that takes the zone down from here, if any.
    pub step: Option<StepDown>,
    /// The day of the all-negative round that counts, once there is one.
    pub round_done: Option<NaiveDate>,
    /// The day the required round is due, while it is still needed.
    pub round_due: Option<NaiveDate>,
    pub round_overdue: bool,
    /// The first day the rules allow the step down, were every round to come back negative.
    pub earliest_step_down: Option<NaiveDate>,
    pub ready: bool,
    pub blockers: Vec<Blocker>,
}

impl ZoneState {
    /// What the zone steps down to: `Some(None)` means it would be lifted.
    pub fn next_tier(&self) -> Option<Option<Tier>> {
        self.step.map(|s| s.to)
    }

    /// Whether the rules allow the zone to go to `to` now (`None`: lifted): a step down the
    /// profile has from this tier once it is ready, or a lift by hand from a tier the profile
    /// has no step down from (a precaution zone under the 9th edition).
    pub fn allows(&self, to: Option<Tier>) -> bool {
        if !self.is_active() {
            return false;
        }
        match self.step {
            Some(step) => self.ready && step.to == to,
            None => to.is_none(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.tier.is_some()
    }
}

/// The local calendar day of an instant.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

fn plus_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_days(Days::new(u64::from(n))).unwrap_or(NaiveDate::MAX)
}

/// The state of a zone at `now`, from its events in any order. Events after `now` are not yet
/// known and are left out, so the same call replays any past day.
pub fn zone_state(profile: &Profile, events: &[ZoneEvent], now: DateTime<Utc>, tz: Tz) -> ZoneState {
    let mut sorted: Vec<&ZoneEvent> = events.iter().filter(|e| e.at <= now).collect();
    sorted.sort();

    let mut tier: Option<Tier> = None;
    let mut tier_since = None;
    let mut stepped_down_into = false;
    let mut positives = 0;
    let mut last_positive = None;
    let mut rounds: Vec<NaiveDate> = Vec::new();
    let mut last_exposure: Option<NaiveDate> = None;
    let mut held_until: Option<NaiveDate> = None;
    for e in sorted {
        match &e.kind {
            EventKind::Designated { tier: t } | EventKind::Raised { tier: t } => {
                tier = Some(*t);
                tier_since = Some(e.at);
                stepped_down_into = false;
            }
            EventKind::SteppedDown { tier: t } => {
                tier = Some(*t);
                tier_since = Some(e.at);
                stepped_down_into = true;
            }
            EventKind::Lifted => {
                tier = None;
                tier_since = Some(e.at);
            }
            EventKind::Positive => {
                positives += 1;
                last_positive = Some(e.at);
            }
            EventKind::Round { all_negative: true } => rounds.push(local_day(e.at, tz)),
            EventKind::Round { all_negative: false } => {}
            EventKind::ContactExposure => {
                last_exposure = last_exposure.max(Some(local_day(e.at, tz)));
            }
            EventKind::Extended { until } => held_until = held_until.max(Some(*until)),
        }
    }

    let today = local_day(now, tz);
    let mut state = ZoneState {
        tier,
        tier_since,
        stepped_down_into,
        positives,
        last_positive,
        clean_since: None,
        days_clean: 0,
        step: None,
        round_done: None,
        round_due: None,
        round_overdue: false,
        earliest_step_down: None,
        ready: false,
        blockers: Vec::new(),
    };
    let (Some(tier), Some(since)) = (tier, tier_since) else { return state };

    let clean_since = local_day(since.max(last_positive.unwrap_or(since)), tz);
    state.clean_since = Some(clean_since);
    state.days_clean = (today - clean_since).num_days().max(0);

    let rule = profile.rule(tier);
    let step =
        rule.and_then(|r| if stepped_down_into { r.continue_down.or(r.step_down) } else { r.step_down });
    state.step = step;
    let Some(step) = step else {
        state.blockers.push(Blocker::ManualOnly);
        return state;
    };

    let mut earliest = plus_days(clean_since, step.clean_days);
    if state.days_clean < i64::from(step.clean_days) {
        state.blockers.push(Blocker::CleanDays {
            have: state.days_clean,
            need: step.clean_days,
            since: clean_since,
        });
    }
    if let Some(day) = step.round_on_day {
        let due = plus_days(clean_since, day);
        state.round_done = rounds.iter().copied().filter(|d| *d >= due && *d <= today).max();
        if state.round_done.is_none() {
            state.round_due = Some(due);
            state.round_overdue = today > due;
            state.blockers.push(Blocker::RoundRequired { due, overdue: state.round_overdue });
            earliest = earliest.max(due.max(today));
        }
    }
    if let (Some(need), Some(last)) = (step.contact_clear_days, last_exposure) {
        let clear = plus_days(last, need + 1);
        earliest = earliest.max(clear);
        if today < clear {
            state.blockers.push(Blocker::ContactExposure { last, need_days: need });
        }
    }
    if let Some(until) = held_until
        && today < until
    {
        earliest = earliest.max(until);
        state.blockers.push(Blocker::Extended { until });
    }
    state.earliest_step_down = Some(earliest);
    state.ready = state.blockers.is_empty();
    state
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::protocol::builtin;

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    fn profile(key: &str) -> Profile {
        builtin().into_iter().find(|p| p.key == key).unwrap()
    }

    /// 10:00 local on day `d` of March 2022 (day 0 = 1 March).
    fn day(d: u32) -> DateTime<Utc> {
        TZ.with_ymd_and_hms(2022, 3, 1, 10, 0, 0).unwrap().with_timezone(&Utc)
            + chrono::Duration::days(d.into())
    }

    fn date(d: u32) -> NaiveDate {
        local_day(day(d), TZ)
    }

    fn ev(d: u32, kind: EventKind) -> ZoneEvent {
        ZoneEvent { at: day(d), kind }
    }

    /// Applies the step down whenever the state allows it, day by day, as an approving
    /// headquarters would at noon, and returns the day each tier was left.
    fn replay(p: &Profile, mut events: Vec<ZoneEvent>, last_day: u32) -> Vec<(u32, Option<Tier>)> {
        let mut steps = Vec::new();
        for d in 0..=last_day {
            let noon = day(d) + chrono::Duration::hours(2);
            let s = zone_state(p, &events, noon, TZ);
            if s.ready {
                let to = s.next_tier().unwrap();
                steps.push((d, to));
                let kind = match to {
                    Some(tier) => EventKind::SteppedDown { tier },
                    None => EventKind::Lifted,
                };
                events.push(ZoneEvent { at: noon, kind });
            }
        }
        steps
    }

    fn daily_rounds(from: u32, to: u32) -> impl Iterator<Item = ZoneEvent> {
        (from..=to).map(|d| ev(d, EventKind::Round { all_negative: true }))
    }

    #[test]
    fn ninth_edition_high_to_medium_on_day_7_then_low_3_days_later() {
        let p = profile("ninth-edition");
        let mut events =
            vec![ev(0, EventKind::Positive), ev(0, EventKind::Designated { tier: Tier::Sealed })];
        events.extend(daily_rounds(1, 20));
        assert_eq!(replay(&p, events, 20), vec![(7, Some(Tier::Controlled)), (10, Some(Tier::Precaution))]);
    }

    #[test]
    fn ninth_edition_a_medium_area_drawn_as_such_needs_7_days_and_a_round_on_day_7() {
        let p = profile("ninth-edition");
        let mut events = vec![ev(0, EventKind::Designated { tier: Tier::Controlled })];
        events.extend(daily_rounds(8, 9));
        // No round on day 7: the round of day 8 is the first that counts.
        assert_eq!(replay(&p, events, 12), vec![(8, Some(Tier::Precaution))]);
    }

    #[test]
    fn ninth_edition_low_risk_is_lifted_only_by_hand() {
        let p = profile("ninth-edition");
        let s = zone_state(&p, &[ev(0, EventKind::Designated { tier: Tier::Precaution })], day(30), TZ);
        assert_eq!(s.blockers, vec![Blocker::ManualOnly]);
        assert!(!s.ready);
    }

    #[test]
    fn shanghai_seven_clean_days_then_three_more() {
        let p = profile("shanghai-2022-05");
        let events = vec![ev(0, EventKind::Designated { tier: Tier::Sealed }), ev(2, EventKind::Positive)];
        // Clean from day 2: controlled on day 9, precaution on day 12; no round needed.
        assert_eq!(replay(&p, events, 20), vec![(9, Some(Tier::Controlled)), (12, Some(Tier::Precaution))]);
    }

    #[test]
    fn twenty_measures_lift_on_day_5_after_the_round() {
        let p = profile("twenty-measures-2022-11");
        let mut events = vec![ev(0, EventKind::Designated { tier: Tier::Sealed })];
        events.extend(daily_rounds(1, 10));
        assert_eq!(replay(&p, events, 10), vec![(5, None)]);
    }

    #[test]
    fn three_zone_waits_for_the_last_contact_and_a_late_round() {
        let p = profile("three-zone-2021");
        let mut events = vec![
            ev(0, EventKind::Designated { tier: Tier::Sealed }),
            ev(0, EventKind::Positive),
            // A close contact exposed on day 3: clear when more than 14 days have passed.
            ev(3, EventKind::ContactExposure),
        ];
        events.extend(daily_rounds(12, 40));
        // Sealed: 14 clean days (day 14), contact clear on day 18 → controlled on day 18.
        // Controlled: 14 clean days from day 18 → precaution on day 32.
        assert_eq!(replay(&p, events, 40), vec![(18, Some(Tier::Controlled)), (32, Some(Tier::Precaution))]);
    }

    #[test]
    fn a_positive_resets_the_clock_and_the_round_that_counts() {
        let p = profile("ninth-edition");
        let mut events = vec![ev(0, EventKind::Designated { tier: Tier::Sealed })];
        events.extend(daily_rounds(1, 20));
        events.push(ev(6, EventKind::Positive));
        let s = zone_state(&p, &events, day(8), TZ);
        assert_eq!(s.days_clean, 2);
        assert_eq!(s.clean_since, Some(date(6)));
        assert_eq!(s.earliest_step_down, Some(date(13)));
        assert!(matches!(s.blockers[0], Blocker::CleanDays { have: 2, need: 7, .. }));
        assert_eq!(replay(&p, events, 20), vec![(13, Some(Tier::Controlled)), (16, Some(Tier::Precaution))]);
    }

    #[test]
    fn an_overdue_round_is_flagged_and_an_extension_holds() {
        let p = profile("ninth-edition");
        let events = vec![
            ev(0, EventKind::Designated { tier: Tier::Sealed }),
            ev(1, EventKind::Extended { until: date(12) }),
        ];
        let s = zone_state(&p, &events, day(9), TZ);
        assert!(s.round_overdue);
        assert_eq!(s.round_due, Some(date(7)));
        assert!(s.blockers.contains(&Blocker::Extended { until: date(12) }));
        assert_eq!(s.earliest_step_down, Some(date(12)));
    }

    #[test]
    fn events_after_now_are_not_known_yet() {
        let p = profile("ninth-edition");
        let events = vec![ev(0, EventKind::Designated { tier: Tier::Sealed }), ev(5, EventKind::Lifted)];
        assert_eq!(zone_state(&p, &events, day(4), TZ).tier, Some(Tier::Sealed));
        assert_eq!(zone_state(&p, &events, day(6), TZ).tier, None);
    }

    fn arb_kind() -> impl Strategy<Value = EventKind> {
        prop_oneof![
            3 => Just(EventKind::Positive),
            4 => any::<bool>().prop_map(|all_negative| EventKind::Round { all_negative }),
            1 => Just(EventKind::ContactExposure),
            1 => (0u32..30).prop_map(|d| EventKind::Extended { until: date(d) }),
        ]
    }

    fn arb_events() -> impl Strategy<Value = (String, Vec<ZoneEvent>, u32)> {
        let keys = prop::sample::select(vec![
            "three-zone-2021",
            "shanghai-2022-05",
            "ninth-edition",
            "twenty-measures-2022-11",
        ]);
        let tier = prop::sample::select(Tier::ALL.to_vec());
        (keys, tier, prop::collection::vec((0u32..30, 0u32..24, arb_kind()), 0..40), 0u32..40).prop_map(
            |(key, tier, raw, today)| {
                let mut events = vec![ev(0, EventKind::Designated { tier })];
                events.extend(raw.into_iter().map(|(d, h, kind)| ZoneEvent {
                    at: day(d) + chrono::Duration::hours(h.into()) - chrono::Duration::hours(10),
                    kind,
                }));
                (key.to_owned(), events, today)
            },
        )
    }

    proptest! {
        #[test]
        fn the_same_events_in_any_order_give_the_same_state(
            (key, events, today) in arb_events(),
            seed in any::<u64>(),
        ) {
            let p = profile(&key);
            let mut shuffled = events.clone();
            // A deterministic shuffle from the seed.
            let n = shuffled.len();
            let mut s = seed;
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            prop_assert_eq!(zone_state(&p, &events, day(today), TZ), zone_state(&p, &shuffled, day(today), TZ));
        }

        #[test]
        fn never_ready_while_a_positive_is_inside_the_window((key, events, today) in arb_events()) {
            let p = profile(&key);
            let now = day(today);
            let s = zone_state(&p, &events, now, TZ);
            if s.ready {
                let step = s.step.unwrap();
                let window_start = local_day(now, TZ) - chrono::Duration::days(step.clean_days.into());
                for e in events.iter().filter(|e| e.kind == EventKind::Positive && e.at <= now) {
                    prop_assert!(local_day(e.at, TZ) <= window_start, "positive on {} inside the window", e.at);
                }
            }
        }

        #[test]
        fn clean_days_never_exceed_the_days_since_the_last_positive((key, events, today) in arb_events()) {
            let p = profile(&key);
            let now = day(today);
            let s = zone_state(&p, &events, now, TZ);
            if let Some(last) = s.last_positive {
                prop_assert!(s.days_clean <= (local_day(now, TZ) - local_day(last, TZ)).num_days());
            }
            prop_assert!(s.days_clean >= 0);
        }
    }
}
