//! 转归: a case's course to its end — admitted to a hospital, isolated at a site, recovered and
//! discharged under the profile's discharge rule (出院标准), or died. A case recovered or dead is
//! closed: it no longer makes its person positive at a gate or in the figures of open cases.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;
use crate::isolation::SiteKind;

/// Where a case's course stands, as its last outcome recorded says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseOutcome {
    /// 收治入院: admitted to a designated hospital (which one is recorded).
    Hospitalised,
    /// 集中隔离: isolated at a site (a cabin hospital, a hotel; which one is recorded).
    Isolated,
    /// 治愈出院: recovered and discharged, under the profile's discharge rule.
    Recovered,
    /// 死亡.
    Died,
}

impl CaseOutcome {
    pub const ALL: [CaseOutcome; 4] =
        [CaseOutcome::Hospitalised, CaseOutcome::Isolated, CaseOutcome::Recovered, CaseOutcome::Died];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseOutcome::Hospitalised => "hospitalised",
            CaseOutcome::Isolated => "isolated",
            CaseOutcome::Recovered => "recovered",
            CaseOutcome::Died => "died",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|o| o.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "outcome",
                format!("unknown outcome {s:?}; it is hospitalised, isolated, recovered or died"),
            )
        })
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (CaseOutcome::Hospitalised, true) => "收治入院",
            (CaseOutcome::Hospitalised, false) => "hospitalised",
            (CaseOutcome::Isolated, true) => "集中隔离",
            (CaseOutcome::Isolated, false) => "isolated at a site",
            (CaseOutcome::Recovered, true) => "治愈出院",
            (CaseOutcome::Recovered, false) => "recovered and discharged",
            (CaseOutcome::Died, true) => "死亡",
            (CaseOutcome::Died, false) => "died",
        }
    }

    /// The course is over: the case no longer counts as an open one.
    pub fn closes(self) -> bool {
        matches!(self, CaseOutcome::Recovered | CaseOutcome::Died)
    }

    /// A place must be named: which hospital, which site — by the stay that holds the case.
    pub fn needs_place(self) -> bool {
        matches!(self, CaseOutcome::Hospitalised | CaseOutcome::Isolated)
    }

    /// What a case staying at a site of `kind` is: a designated hospital's bed admits it, a
    /// cabin hospital's isolates it. A hotel holds contacts in quarantine, not cases: no outcome.
    pub fn at_site(kind: SiteKind) -> Option<CaseOutcome> {
        match kind {
            SiteKind::Hospital => Some(CaseOutcome::Hospitalised),
            SiteKind::CabinHospital => Some(CaseOutcome::Isolated),
            SiteKind::Hotel => None,
        }
    }

    /// Checks that a stay at a site of `kind` is where this outcome is: admitted is in a
    /// hospital, isolated in a cabin hospital.
    pub fn check_site(self, kind: SiteKind) -> Result<(), DomainError> {
        if Self::at_site(kind) == Some(self) {
            return Ok(());
        }
        let fits = match self {
            CaseOutcome::Hospitalised => "a designated hospital",
            _ => "a cabin hospital (方舱)",
        };
        Err(DomainError::invalid(
            "outcome",
            format!("a case {} stays at {fits}; this stay is at a {}", self.label(false), kind.label(false)),
        ))
    }
}

impl fmt::Display for CaseOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 出院标准: when a case may be discharged, and the home health monitoring that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DischargeRule {
    /// Negative tests needed after the positive…
    pub negatives: u32,
    /// …each sampled at least this many hours after the one before.
    pub hours_apart: u32,
    /// Days of health monitoring at home after discharge.
    pub monitoring_days: u32,
}

/// The ninth edition's: two negative tests 24 hours apart, then seven days of monitoring at home.
impl Default for DischargeRule {
    fn default() -> Self {
        DischargeRule { negatives: 2, hours_apart: 24, monitoring_days: 7 }
    }
}

impl DischargeRule {
    pub fn check(&self) -> Result<(), DomainError> {
        if !(1..=5).contains(&self.negatives) {
            return Err(DomainError::invalid("discharge", "a discharge needs 1 to 5 negative tests"));
        }
        if self.hours_apart > 240 || self.monitoring_days > 60 {
            return Err(DomainError::invalid(
                "discharge",
                "tests at most 240 hours apart, at most 60 days of monitoring",
            ));
        }
        Ok(())
    }

    /// The negatives that meet the rule after a positive sampled at `positive_at`, earliest
    /// first: the last one is when the case may be discharged. `Err` says what is missing.
    ///
    /// Taking each earliest negative that is far enough from the one before gives the longest
    /// chain there is, so a case that meets the rule is never refused.
    pub fn met_by(
        &self,
        positive_at: DateTime<Utc>,
        negatives: &[DateTime<Utc>],
    ) -> Result<Vec<DateTime<Utc>>, DomainError> {
        let mut after: Vec<DateTime<Utc>> = negatives.iter().copied().filter(|t| *t > positive_at).collect();
        after.sort();
        let gap = Duration::hours(i64::from(self.hours_apart));
        let mut chain: Vec<DateTime<Utc>> = Vec::new();
        for t in after {
            if chain.last().is_none_or(|last| t - *last >= gap) {
                chain.push(t);
            }
            if chain.len() as u32 == self.negatives {
                return Ok(chain);
            }
        }
        Err(DomainError::invalid(
            "outcome",
            format!(
                "a recovery needs {} negative tests sampled at least {} hours apart after the positive; {} found",
                self.negatives,
                self.hours_apart,
                chain.len()
            ),
        ))
    }

    /// The end of the health monitoring at home of a case discharged at `at`.
    pub fn monitoring_until(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        at + Duration::days(i64::from(self.monitoring_days))
    }
}

/// Whether a case whose last outcome is `current` may be given `next`. A closed course (recovered,
/// died) takes nothing more; a hospital or a site may follow either (a transfer, a step down).
pub fn check_outcome(current: Option<CaseOutcome>, next: CaseOutcome) -> Result<(), DomainError> {
    match current {
        Some(done) if done.closes() => Err(DomainError::invalid(
            "outcome",
            format!("the case is closed ({}): it is not {} as well", done.label(false), next.label(false)),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_650_000_000, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn two_negatives_a_day_apart_after_the_positive() {
        let rule = DischargeRule::default();
        assert!(rule.met_by(at(0), &[at(30), at(40)]).is_err(), "ten hours apart");
        assert_eq!(rule.met_by(at(0), &[at(40), at(30), at(60)]).unwrap(), [at(30), at(60)]);
        assert!(rule.met_by(at(100), &[at(30), at(60)]).is_err(), "before the positive");
        let e = rule.met_by(at(0), &[at(30)]).unwrap_err();
        assert!(e.reason().contains("1 found"), "{e}");
    }

    #[test]
    fn a_stay_says_what_a_case_is() {
        assert_eq!(CaseOutcome::at_site(SiteKind::Hospital), Some(CaseOutcome::Hospitalised));
        assert_eq!(CaseOutcome::at_site(SiteKind::CabinHospital), Some(CaseOutcome::Isolated));
        assert_eq!(CaseOutcome::at_site(SiteKind::Hotel), None);
        assert!(CaseOutcome::Isolated.check_site(SiteKind::CabinHospital).is_ok());
        assert!(CaseOutcome::Hospitalised.check_site(SiteKind::CabinHospital).is_err());
        assert!(CaseOutcome::Isolated.check_site(SiteKind::Hotel).is_err());
    }

    #[test]
    fn a_closed_course_takes_nothing_more() {
        assert!(check_outcome(None, CaseOutcome::Hospitalised).is_ok());
        assert!(check_outcome(Some(CaseOutcome::Isolated), CaseOutcome::Hospitalised).is_ok());
        assert!(
            check_outcome(Some(CaseOutcome::Hospitalised), CaseOutcome::Hospitalised).is_ok(),
            "a transfer"
        );
        assert!(check_outcome(Some(CaseOutcome::Died), CaseOutcome::Died).is_err(), "a second death");
        assert!(check_outcome(Some(CaseOutcome::Recovered), CaseOutcome::Isolated).is_err());
    }

    proptest! {
        /// A discharge is allowed exactly when some chain of the rule's length exists among the
        /// negatives after the positive (checked by brute force), and never before its last
        /// required negative.
        #[test]
        fn discharge_exactly_when_a_chain_exists(
            hours in proptest::collection::vec(-48i64..400, 0..7),
            negatives in 1u32..4,
            apart in 0u32..72,
        ) {
            let rule = DischargeRule { negatives, hours_apart: apart, monitoring_days: 7 };
            let times: Vec<DateTime<Utc>> = hours.iter().map(|h| at(*h)).collect();
            let mut after: Vec<i64> = hours.iter().copied().filter(|h| *h > 0).collect();
            after.sort();
            // Brute force: any subset, in order, of the rule's length, each far enough apart.
            let n = after.len();
            let exists = (0u32..(1 << n)).any(|mask| {
                let pick: Vec<i64> = (0..n).filter(|i| mask & (1 << i) != 0).map(|i| after[i]).collect();
                pick.len() as u32 == negatives && pick.windows(2).all(|w| w[1] - w[0] >= i64::from(apart))
            });
            let got = rule.met_by(at(0), &times);
            prop_assert_eq!(got.is_ok(), exists);
            if let Ok(chain) = got {
                prop_assert_eq!(chain.len() as u32, negatives);
                prop_assert!(chain.iter().all(|t| *t > at(0)));
                prop_assert!(chain.windows(2).all(|w| w[1] - w[0] >= Duration::hours(i64::from(apart))));
            }
        }
    }
}
