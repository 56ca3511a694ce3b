//! The span of time a deployment accepts: no time before its records begin (a zone event on
//! 0001-01-01, a trajectory in the year −262143) and none far ahead. Checked once for every
//! body the server is sent (`guard::inputs`), so no route can forget it.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use crate::AppState;
use crate::http::error::ApiError;

/// How far ahead a time may be: a pass, a round or an assignment is planned within a year.
const AHEAD: Duration = Duration::days(366);
/// Before the first zone or case, how far back a record may reach: a case's infectious period
/// and its contacts' exposures begin before anyone recorded it.
const LEEWAY: Duration = Duration::days(30);
/// How far back the first records of an empty deployment may reach.
const FIRST_RECORDS: Duration = Duration::days(90);
/// How long the earliest record is trusted before it is read again.
const FRESH: StdDuration = StdDuration::from_secs(60);

/// The earliest record (none: an empty store) and when it was read.
type ReadEarliest = Option<(Instant, Option<DateTime<Utc>>)>;

/// The earliest record, as last read.
#[derive(Clone, Default)]
pub struct EarliestCell(std::sync::Arc<std::sync::Mutex<ReadEarliest>>);

#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub earliest: DateTime<Utc>,
    pub latest: DateTime<Utc>,
}

impl Bounds {
    /// The configured start of the deployment (`--since`), else its first zone or case less a
    /// month's leeway, else 90 days back; a year ahead.
    pub async fn of(state: &AppState) -> Result<Bounds, ApiError> {
        let now = state.now();
        let earliest = match state.config.since {
            Some(since) => since,
            None => {
                let cached = *state.earliest.0.lock().unwrap_or_else(|e| e.into_inner());
                let first = match cached {
                    Some((read, first)) if read.elapsed() < FRESH => first,
                    _ => {
                        let first = state.store.earliest_record().await?;
                        *state.earliest.0.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some((Instant::now(), first));
                        first
                    }
                };
                first.map_or(now - FIRST_RECORDS, |f| (f - LEEWAY).min(now - LEEWAY))
            }
        };
        Ok(Bounds { earliest, latest: now + AHEAD })
    }

    /// Refuses `at` outside the span, naming the field.
    pub fn check(&self, field: &str, at: DateTime<Utc>) -> Result<(), ApiError> {
        let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        if at < self.earliest {
            return Err(ApiError::invalid(
                field,
                format!(
                    "{} is before this deployment's records begin ({}; set --since for older records)",
                    day(at),
                    day(self.earliest)
                ),
            ));
        }
        if at > self.latest {
            return Err(ApiError::invalid(
                field,
                format!("{} is more than a year ahead (at most {})", day(at), day(self.latest)),
            ));
        }
        Ok(())
    }
}

/// The time a string of a body states, if it is one: an RFC 3339 time (as the API's JSON
/// reads it, signed years too), a form's `datetime-local` or a date.
pub fn time_in(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    // A time has digits and a '-' within its first characters; most text is ruled out at once.
    if s.len() < 10 || s.len() > 40 || !s.as_bytes().iter().take(8).any(u8::is_ascii_digit) {
        return None;
    }
    if let Ok(t) = s.parse::<DateTime<Utc>>() {
        return Some(t);
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(12, 0, 0)).map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_found_in_text() {
        assert!(time_in("2022-04-01T08:00:00+08:00").is_some());
        assert!(time_in("2022-04-01T08:00").is_some());
        assert!(time_in("2022-04-01").is_some());
        assert_eq!(time_in("0001-01-01T00:00:00Z").map(|t| t.format("%Y").to_string()), Some("0001".into()));
        assert!(time_in("-262143-01-01T00:00:00Z").is_some());
        for text in ["楼下有人发烧", "13900000000", "dialysis", "2022 was a year", ""] {
            assert_eq!(time_in(text), None, "{text}");
        }
    }
}
