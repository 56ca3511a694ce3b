//! Cases and their contacts (流调): how a case is classed, when it was infectious, what a
//! contact's quarantine looks like day by day.
//!
//! The numbers (days before onset, quarantine days, test days) come from the [`Profile`] in
//! force; nothing here is a protocol constant.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;
use crate::protocol::{Profile, QuarantinePlan};

/// How a positive person is classed. A case may be reclassified (无症状感染者转确诊); the history
/// keeps both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseClass {
    /// 无症状感染者: positive without symptoms.
    Asymptomatic,
    /// 确诊病例: a confirmed case.
    Confirmed,
}

impl CaseClass {
    pub const ALL: [CaseClass; 2] = [CaseClass::Asymptomatic, CaseClass::Confirmed];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseClass::Asymptomatic => "asymptomatic",
            CaseClass::Confirmed => "confirmed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            DomainError::invalid("class", format!("unknown class {s:?}; expected asymptomatic or confirmed"))
        })
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            CaseClass::Asymptomatic => "无症状感染者",
            CaseClass::Confirmed => "确诊病例",
        }
    }
}

/// The start of a case's infectious period: `days_before` days before the local day of onset,
/// or of sampling when the case has no onset (asymptomatic), at local midnight.
pub fn infectious_from(
    profile: &Profile,
    onset: Option<NaiveDate>,
    sampled_at: DateTime<Utc>,
    tz: Tz,
) -> DateTime<Utc> {
    let sampled_day = sampled_at.with_timezone(&tz).date_naive();
    // An onset after sampling is a typing slip or a later symptom: the earlier day governs.
    let day = onset.map_or(sampled_day, |o| o.min(sampled_day));
    let start = day.checked_sub_days(Days::new(u64::from(profile.infectious_days_before))).unwrap_or(day);
    local_midnight(start, tz)
}

/// The first instant of a local day.
pub fn local_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    // A day that starts in a DST gap starts at the gap's end; China has none since 1991.
    tz.from_local_datetime(&naive).earliest().map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

/// 密接 or 次密接.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// 密接: with a case during its infectious period.
    Close,
    /// 次密接: with a close contact after that contact's exposure.
    Secondary,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Close => "close",
            ContactKind::Secondary => "secondary",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "close" => Ok(ContactKind::Close),
            "secondary" => Ok(ContactKind::Secondary),
            other => Err(DomainError::invalid("kind", format!("unknown contact kind {other:?}"))),
        }
    }

    /// The quarantine the profile gives this kind of contact; none: not identified under it.
    pub fn plan(self, profile: &Profile) -> Option<&QuarantinePlan> {
        match self {
            ContactKind::Close => profile.close_contact.as_ref(),
            ContactKind::Secondary => profile.secondary_contact.as_ref(),
        }
    }
}

/// Where a contact was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactSource {
    /// A member of the same household.
    Household,
    /// A venue-code scan (场所码) together with the case or close contact.
    Venue,
}

impl ContactSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactSource::Household => "household",
            ContactSource::Venue => "venue",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "household" => Ok(ContactSource::Household),
            "venue" => Ok(ContactSource::Venue),
            other => Err(DomainError::invalid("source", format!("unknown contact source {other:?}"))),
        }
    }
}

/// A contact's follow-up status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Found, not yet placed in quarantine.
    Identified,
    /// In quarantine (central or at home, as the plan's day says).
    Quarantined,
    /// The plan ran its course with every test negative.
    Released,
    /// Tested positive: now a case of its own.
    BecameCase,
    /// Could not be reached (a wrong number, away from the city); followed up by the police.
    Unreachable,
}

impl ContactStatus {
    pub const ALL: [ContactStatus; 5] = [
        ContactStatus::Identified,
        ContactStatus::Quarantined,
        ContactStatus::Released,
        ContactStatus::BecameCase,
        ContactStatus::Unreachable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Identified => "identified",
            ContactStatus::Quarantined => "quarantined",
            ContactStatus::Released => "released",
            ContactStatus::BecameCase => "became_case",
            ContactStatus::Unreachable => "unreachable",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "status",
                format!("unknown status {s:?}; expected identified, quarantined, released, became_case or unreachable"),
            )
        })
    }

    /// Still under follow-up: held at the gate, counted on the dashboard.
    pub fn is_active(self) -> bool {
        matches!(self, ContactStatus::Identified | ContactStatus::Quarantined | ContactStatus::Unreachable)
    }
}

/// A quarantine plan laid on the calendar: day 1 is the first day of quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Schedule {
    pub starts: NaiveDate,
    /// The first day no longer in a central site (equal to `starts` with no central days).
    pub central_until: NaiveDate,
    /// The first day free of any quarantine.
    pub ends: NaiveDate,
    pub test_dates: Vec<NaiveDate>,
}

/// Where a contact is in its plan on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    NotStarted,
    Central,
    Home,
    Ended,
}

impl Schedule {
    pub fn new(plan: &QuarantinePlan, starts: NaiveDate) -> Schedule {
        let add = |n: u32| starts.checked_add_days(Days::new(u64::from(n))).unwrap_or(NaiveDate::MAX);
        Schedule {
            starts,
            central_until: add(plan.central_days),
            ends: add(plan.central_days + plan.home_days),
            test_dates: plan.test_days.iter().map(|&d| add(d.saturating_sub(1))).collect(),
        }
    }

    pub fn phase(&self, today: NaiveDate) -> Phase {
        if today < self.starts {
            Phase::NotStarted
        } else if today < self.central_until {
            Phase::Central
        } else if today < self.ends {
            Phase::Home
        } else {
            Phase::Ended
        }
    }

    /// The day of quarantine `today` is (1 on the first), if it is one.
    pub fn day(&self, today: NaiveDate) -> Option<u32> {
        (self.starts <= today && today < self.ends)
            .then(|| u32::try_from((today - self.starts).num_days() + 1).unwrap_or(u32::MAX))
    }

    /// The next test on or after `today`.
    pub fn next_test(&self, today: NaiveDate) -> Option<NaiveDate> {
        self.test_dates.iter().copied().find(|&d| d >= today)
    }
}

/// The first day of a contact's quarantine: the day it was identified. Quarantine is counted from
/// the day a contact is placed, not from the exposure, which can lie days back.
pub fn quarantine_start(identified_at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    identified_at.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::builtin;

    fn ninth() -> Profile {
        builtin().into_iter().find(|p| p.key == "ninth-edition").unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn infectious_from_four_days_before_onset_or_sampling() {
        let tz = chrono_tz::Asia::Shanghai;
        // Sampled 2022-11-20 01:30 local (= 11-19 17:30 UTC).
        let sampled: DateTime<Utc> = "2022-11-19T17:30:00Z".parse().unwrap();
        let from = infectious_from(&ninth(), None, sampled, tz);
        assert_eq!(from, "2022-11-15T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
        let from = infectious_from(&ninth(), Some(day("2022-11-18")), sampled, tz);
        assert_eq!(from, "2022-11-13T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
        // An onset typed after the sampling day does not move the start later.
        let from = infectious_from(&ninth(), Some(day("2022-11-25")), sampled, tz);
        assert_eq!(from, "2022-11-15T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }

    #[test]
    fn a_close_contact_of_the_ninth_edition_is_seven_plus_three() {
        let p = ninth();
        let s = Schedule::new(ContactKind::Close.plan(&p).unwrap(), day("2022-11-20"));
        assert_eq!(s.central_until, day("2022-11-27"));
        assert_eq!(s.ends, day("2022-11-30"));
        let tests: Vec<String> = s.test_dates.iter().map(|d| d.format("%m-%d").to_string()).collect();
        assert_eq!(tests, ["11-20", "11-21", "11-22", "11-24", "11-26"]);
        assert_eq!(s.phase(day("2022-11-19")), Phase::NotStarted);
        assert_eq!(s.phase(day("2022-11-26")), Phase::Central);
        assert_eq!(s.phase(day("2022-11-27")), Phase::Home);
        assert_eq!(s.phase(day("2022-11-30")), Phase::Ended);
        assert_eq!(s.day(day("2022-11-29")), Some(10));
        assert_eq!(s.next_test(day("2022-11-23")), Some(day("2022-11-24")));
        let s = Schedule::new(ContactKind::Secondary.plan(&p).unwrap(), day("2022-11-20"));
        assert_eq!(s.phase(day("2022-11-20")), Phase::Home);
    }

    #[test]
    fn a_test_day_outside_the_quarantine_is_refused() {
        let mut p = ninth();
        p.close_contact.as_mut().unwrap().test_days.push(11);
        assert!(p.check().unwrap_err().to_string().contains("test day 11"));
    }
}
