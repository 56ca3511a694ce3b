//! 扫楼: what a sweep team records at each door of a round's list, and who is sampled at home.
//!
//! The sweep list is everyone registered in the round's area with no sample yet. At the door a
//! worker finds one of five things; each is an outcome recorded against the person and the round.
//! Three settle the person for the round (sampled at the door, moved out, refused): the list
//! leaves them out. Not at home keeps them on it, with the visits counted, to knock again. Someone
//! living there and not on the register is found: registered on the spot, then on the list until
//! sampled.
//!
//! 上门采样: people who cannot come down to a sampling point — the bedridden, the disabled, the
//! very old — are planned as home visits for the sampling team, not counted as missing. Who they
//! are is the profile's rule (tags the register holds, an age), data and not code.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Tag, Tags};

/// What a sweep team found at a door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DoorOutcome {
    /// 已上门采样: sampled at the door; the tube follows in the samples.
    Sampled,
    /// 不在家: nobody answered, or the person was out; visit again.
    NotHome,
    /// 已搬离: no longer living there.
    MovedOut,
    /// 拒绝采样: refused, with the reason they gave.
    Refused,
    /// 发现未登记人员: someone living there who is not on the register, registered on the spot.
    Found,
}

impl DoorOutcome {
    pub const ALL: [DoorOutcome; 5] = [
        DoorOutcome::Sampled,
        DoorOutcome::NotHome,
        DoorOutcome::MovedOut,
        DoorOutcome::Refused,
        DoorOutcome::Found,
    ];

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|o| o.as_str() == s.trim()).ok_or_else(|| {
            DomainError::invalid(
                "outcome",
                format!("unknown outcome {s:?}; expected sampled, not_home, moved_out, refused or found"),
            )
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DoorOutcome::Sampled => "sampled",
            DoorOutcome::NotHome => "not_home",
            DoorOutcome::MovedOut => "moved_out",
            DoorOutcome::Refused => "refused",
            DoorOutcome::Found => "found",
        }
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (DoorOutcome::Sampled, true) => "已上门采样",
            (DoorOutcome::NotHome, true) => "不在家",
            (DoorOutcome::MovedOut, true) => "已搬离",
            (DoorOutcome::Refused, true) => "拒绝采样",
            (DoorOutcome::Found, true) => "发现未登记",
            (DoorOutcome::Sampled, false) => "sampled at the door",
            (DoorOutcome::NotHome, false) => "not at home",
            (DoorOutcome::MovedOut, false) => "moved out",
            (DoorOutcome::Refused, false) => "refused",
            (DoorOutcome::Found, false) => "found unregistered",
        }
    }

    /// Whether the outcome takes the person off the round's list: nobody knocks again for one
    /// sampled, gone or refusing (a refusal is for the office to follow, not the team).
    pub fn settles(self) -> bool {
        matches!(self, DoorOutcome::Sampled | DoorOutcome::MovedOut | DoorOutcome::Refused)
    }

    /// Whether the outcome must say why: a refusal's reason is what the office follows up, and
    /// a move out is a claim at the door that the register's keeper checks.
    pub fn needs_reason(self) -> bool {
        matches!(self, DoorOutcome::MovedOut | DoorOutcome::Refused)
    }

    /// The reason as kept: trimmed, at most 200 characters, required where [`Self::needs_reason`].
    pub fn check_reason(self, reason: Option<&str>) -> Result<String, DomainError> {
        let r = reason.map(str::trim).unwrap_or_default();
        if r.chars().count() > 200 {
            return Err(DomainError::invalid("reason", "at most 200 characters"));
        }
        if r.is_empty() && self.needs_reason() {
            return Err(DomainError::invalid(
                "reason",
                format!("{} needs a reason (what was said at the door)", self.as_str()),
            ));
        }
        Ok(r.to_owned())
    }
}

/// 上门采样: who a profile has sampled at home instead of at the sampling point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HomeVisitRule {
    /// People with any of these tags (named `tagged`, not `tags`: a rule's list, not a
    /// person's).
    #[schema(value_type = Vec<String>)]
    pub tagged: Vec<Tag>,
    /// People this old or older in the round's year (none: age alone never does).
    #[serde(default)]
    pub age_from: Option<u32>,
}

/// The bedridden, the disabled, and everyone 80 or older.
impl Default for HomeVisitRule {
    fn default() -> Self {
        let tag = |s: &str| Tag::parse(s).expect("a known tag");
        HomeVisitRule { tagged: vec![tag("bedridden"), tag("disabled")], age_from: Some(80) }
    }
}

impl HomeVisitRule {
    pub fn check(&self) -> Result<(), DomainError> {
        if self.age_from.is_some_and(|a| !(50..=120).contains(&a)) {
            return Err(DomainError::invalid("home_visits", "age_from is between 50 and 120"));
        }
        Ok(())
    }

    /// The latest birth year that is old enough in `year`, if age counts.
    pub fn born_by(&self, year: i32) -> Option<i32> {
        self.age_from.map(|a| year - a as i32)
    }

    /// Whether a person with these tags, born in `birth_year`, is visited at home in `year`.
    pub fn applies(&self, tags: &Tags, birth_year: Option<i32>, year: i32) -> bool {
        let old = matches!((birth_year, self.born_by(year)), (Some(b), Some(by)) if b <= by);
        old || tags.iter().any(|t| self.tagged.contains(t))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn outcomes_round_trip_and_say_what_they_need() {
        for o in DoorOutcome::ALL {
            assert_eq!(DoorOutcome::parse(o.as_str()).unwrap(), o);
        }
        assert_eq!(DoorOutcome::parse("gone").unwrap_err().field(), "outcome");
        assert!(DoorOutcome::Refused.check_reason(Some("  ")).is_err());
        assert_eq!(DoorOutcome::Refused.check_reason(Some(" 怕疼 ")).unwrap(), "怕疼");
        assert_eq!(DoorOutcome::NotHome.check_reason(None).unwrap(), "");
        assert!(DoorOutcome::NotHome.check_reason(Some(&"x".repeat(201))).is_err());
        assert!(!DoorOutcome::NotHome.settles() && !DoorOutcome::Found.settles());
    }

    #[test]
    fn the_default_rule_visits_the_bedridden_the_disabled_and_the_very_old() {
        let r = HomeVisitRule::default();
        r.check().unwrap();
        let none = Tags::default();
        assert!(r.applies(&none, Some(1942), 2022));
        assert!(!r.applies(&none, Some(1943), 2022));
        assert!(!r.applies(&none, None, 2022));
        assert!(r.applies(&Tags::parse("bedridden").unwrap(), Some(1990), 2022));
        assert!(r.applies(&Tags::parse("chronic;disabled").unwrap(), None, 2022));
        assert!(!r.applies(&Tags::parse("pregnant").unwrap(), Some(1990), 2022));
        assert!(HomeVisitRule { tagged: vec![], age_from: Some(30) }.check().is_err());
    }

    proptest! {
        /// Someone the rule visits is visited with any tag more, and in any later year: a
        /// person never drops off the home visits by growing older or by a tag added.
        #[test]
        fn a_home_visit_is_kept_as_people_age_and_gain_tags(
            age_from in proptest::option::of(50u32..=120),
            born in proptest::option::of(1900i32..2025),
            year in 2020i32..2030,
            later in 0i32..40,
            tags in proptest::sample::subsequence(vec!["bedridden", "disabled", "chronic", "pregnant"], 0..4),
            more in proptest::sample::select(vec!["bedridden", "disabled", "chronic", "dialysis"]),
        ) {
            let rule = HomeVisitRule { tagged: vec![Tag::parse("bedridden").unwrap()], age_from };
            let t = Tags::parse(&tags.join(";")).unwrap();
            let mut with = tags.clone();
            with.push(more);
            let t2 = Tags::parse(&with.join(";")).unwrap();
            if rule.applies(&t, born, year) {
                prop_assert!(rule.applies(&t, born, year + later));
                prop_assert!(rule.applies(&t2, born, year));
            }
            // And exactly: a listed tag, or old enough.
            let old = match (born, age_from) { (Some(b), Some(a)) => year - b >= a as i32, _ => false };
            prop_assert_eq!(rule.applies(&t, born, year), old || t.iter().any(|x| x.as_str() == "bedridden"));
        }
    }
}
