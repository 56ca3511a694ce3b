//! Retention (保留期): personal data gathered for an outbreak is kept while the outbreak lasts
//! and for a stated number of days after headquarters closes it; then it is pseudonymised or
//! deleted (`cordon purge`), and only aggregates and published texts stay.
//!
//! The rule is data: the closing date and the days kept are settings of the deployment, set
//! when the outbreak is closed, and the due date follows from them alone.

use chrono::{Days, NaiveDate};

use crate::DomainError;

/// The longest a deployment may keep personal data after an outbreak: ten years. A longer
/// period is a typo, not a policy.
pub const MAX_KEEP_DAYS: u32 = 3_650;

fn check_keep_days(keep_days: u32) -> Result<(), DomainError> {
    if keep_days > MAX_KEEP_DAYS {
        return Err(DomainError::invalid(
            "retention_days",
            format!("{keep_days} days is more than the {MAX_KEEP_DAYS} allowed"),
        ));
    }
    Ok(())
}

/// A closed outbreak and how long its personal data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The local date headquarters closed the outbreak (疫情结束).
    pub closed_on: NaiveDate,
    /// Days the personal data is kept after that date.
    pub keep_days: u32,
}

impl Retention {
    /// A closing on `closed_on`, recorded on `today`: a closing cannot be dated ahead.
    pub fn new(closed_on: NaiveDate, keep_days: u32, today: NaiveDate) -> Result<Self, DomainError> {
        if closed_on > today {
            return Err(DomainError::invalid(
                "closed_on",
                format!(
                    "{closed_on} is after today ({today}): an outbreak is closed on or before the day it is recorded"
                ),
            ));
        }
        check_keep_days(keep_days)?;
        Ok(Retention { closed_on, keep_days })
    }

    /// The first day the personal data may be purged.
    pub fn due_on(&self) -> NaiveDate {
        self.closed_on.checked_add_days(Days::new(self.keep_days.into())).unwrap_or(NaiveDate::MAX)
    }

    pub fn is_due(&self, today: NaiveDate) -> bool {
        today >= self.due_on()
    }

    /// Days left before it is due (0 once due).
    pub fn days_left(&self, today: NaiveDate) -> i64 {
        (self.due_on() - today).num_days().max(0)
    }

    /// The two settings that record it: the closing date and the days kept.
    pub fn to_settings(&self) -> (String, String) {
        (self.closed_on.to_string(), self.keep_days.to_string())
    }

    /// Reads the two settings back; a value that does not parse is named.
    pub fn from_settings(closed_on: &str, keep_days: &str) -> Result<Self, DomainError> {
        let closed_on = NaiveDate::parse_from_str(closed_on, "%Y-%m-%d").map_err(|_| {
            DomainError::invalid("outbreak_closed_on", format!("{closed_on:?} is not a date"))
        })?;
        let keep_days: u32 = keep_days.parse().map_err(|_| {
            DomainError::invalid("retention_days", format!("{keep_days:?} is not a number of days"))
        })?;
        check_keep_days(keep_days)?;
        Ok(Retention { closed_on, keep_days })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn due_after_the_days_kept() {
        let r = Retention::new(day("2022-12-07"), 30, day("2022-12-10")).unwrap();
        assert_eq!(r.due_on(), day("2023-01-06"));
        assert!(!r.is_due(day("2023-01-05")));
        assert_eq!(r.days_left(day("2023-01-05")), 1);
        assert!(r.is_due(day("2023-01-06")));
        assert_eq!(r.days_left(day("2023-02-01")), 0);
    }

    #[test]
    fn a_closing_dated_ahead_or_kept_too_long_is_refused() {
        let e = Retention::new(day("2022-12-11"), 30, day("2022-12-10")).unwrap_err();
        assert_eq!(e.field(), "closed_on");
        let e = Retention::new(day("2022-12-07"), MAX_KEEP_DAYS + 1, day("2022-12-10")).unwrap_err();
        assert_eq!(e.field(), "retention_days");
        assert_eq!(Retention::from_settings("2022-12-07", "x").unwrap_err().field(), "retention_days");
        assert_eq!(Retention::from_settings("7 Dec", "30").unwrap_err().field(), "outbreak_closed_on");
    }

    proptest! {
        /// Whatever the dates, the settings read back what was written, and the data is due
        /// exactly from the day `keep_days` after the closing.
        #[test]
        fn settings_round_trip_and_due_is_monotonic(
            closed in 0i64..20_000,
            keep in 0u32..=MAX_KEEP_DAYS,
            later in 0i64..8_000,
        ) {
            let closed_on = day("1990-01-01") + chrono::Duration::days(closed);
            let r = Retention::new(closed_on, keep, closed_on).unwrap();
            let (a, b) = r.to_settings();
            prop_assert_eq!(Retention::from_settings(&a, &b).unwrap(), r);
            let today = closed_on + chrono::Duration::days(later);
            prop_assert_eq!(r.is_due(today), later >= i64::from(keep));
            prop_assert_eq!(r.days_left(today), (i64::from(keep) - later).max(0));
        }
    }
}
