//! 值班与轮休: a worker's shifts — on duty from reporting in (报到) until they go off, then
//! resting. The rule is the profile's data: at most so many hours on duty in one go, and so many
//! hours of rest before the next shift. The article's cadres worked through nights for weeks; a
//! command that sees who has been on duty too long can send them home before they fall.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;

/// The shift rule of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftRule {
    /// On duty longer than this in one go is overdue for rest: shown, and proposed for nothing.
    pub max_hours: u32,
    /// Hours of rest after a shift before the next may start.
    pub rest_hours: u32,
}

/// Twelve hours on, eight off.
impl Default for ShiftRule {
    fn default() -> Self {
        ShiftRule { max_hours: 12, rest_hours: 8 }
    }
}

/// Where a worker stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum DutyState {
    /// No shift on record: neither on duty nor resting (the roster's reporting in alone).
    Off,
    /// On duty since `since`; `overdue` past the rule's hours.
    OnDuty { since: DateTime<Utc>, overdue: bool },
    /// Went off at `since`; may start again at `until`.
    Resting { since: DateTime<Utc>, until: DateTime<Utc> },
}

impl ShiftRule {
    pub fn check(&self) -> Result<(), DomainError> {
        if !(4..=24).contains(&self.max_hours) || !(4..=24).contains(&self.rest_hours) {
            return Err(DomainError::invalid("shifts", "max_hours and rest_hours are between 4 and 24"));
        }
        Ok(())
    }

    /// The state of a worker whose latest shift started at `started` and ended at `ended`.
    pub fn state(
        &self,
        latest: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
        now: DateTime<Utc>,
    ) -> DutyState {
        match latest {
            None => DutyState::Off,
            Some((since, None)) => {
                DutyState::OnDuty { since, overdue: now - since > Duration::hours(i64::from(self.max_hours)) }
            }
            Some((_, Some(ended))) => {
                let until = ended + Duration::hours(i64::from(self.rest_hours));
                if now < until { DutyState::Resting { since: ended, until } } else { DutyState::Off }
            }
        }
    }

    /// Whether a shift may start at `now`: `Err` says until when the worker rests, or since when
    /// they are on duty already.
    pub fn may_start(
        &self,
        latest: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.may_start_from(self.state(latest, now))
    }

    /// [`Self::may_start`] for a worker whose state is known already.
    pub fn may_start_from(&self, state: DutyState) -> Result<(), DomainError> {
        match state {
            DutyState::Off => Ok(()),
            DutyState::OnDuty { since, .. } => {
                Err(DomainError::invalid("shift", format!("on duty already since {}", since.to_rfc3339())))
            }
            DutyState::Resting { until, .. } => Err(DomainError::invalid(
                "shift",
                format!(
                    "resting until {} ({} hours of rest after a shift, the profile's rule)",
                    until.to_rfc3339(),
                    self.rest_hours
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_650_000_000, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn twelve_on_eight_off() {
        let r = ShiftRule::default();
        r.check().unwrap();
        assert_eq!(r.state(None, t(0)), DutyState::Off);
        assert_eq!(r.state(Some((t(0), None)), t(12)), DutyState::OnDuty { since: t(0), overdue: false });
        assert_eq!(r.state(Some((t(0), None)), t(13)), DutyState::OnDuty { since: t(0), overdue: true });
        assert_eq!(
            r.state(Some((t(0), Some(t(10)))), t(17)),
            DutyState::Resting { since: t(10), until: t(18) }
        );
        assert!(
            r.may_start(Some((t(0), Some(t(10)))), t(17)).unwrap_err().to_string().contains("resting until")
        );
        assert!(r.may_start(Some((t(0), Some(t(10)))), t(18)).is_ok());
        assert!(r.may_start(Some((t(0), None)), t(1)).is_err());
        assert!(ShiftRule { max_hours: 30, rest_hours: 8 }.check().is_err());
    }

    proptest! {
        /// A shift never starts inside the rest after the last one, and always may once the
        /// rest is over; nobody rests for ever.
        #[test]
        fn rest_is_kept_and_ends(
            max_hours in 4u32..=24, rest_hours in 4u32..=24,
            length in 0i64..30, after in 0i64..40,
        ) {
            let r = ShiftRule { max_hours, rest_hours };
            let latest = Some((t(0), Some(t(length))));
            let ok = r.may_start(latest, t(length + after)).is_ok();
            prop_assert_eq!(ok, after >= i64::from(rest_hours));
        }
    }
}
