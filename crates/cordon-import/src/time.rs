//! The two time formats of `formats.md`: RFC 3339 with an offset, or what Excel writes
//! (`YYYY-MM-DD HH:MM:SS`, read in the deployment's time zone).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

pub const DEFAULT_TZ: Tz = chrono_tz::Asia::Shanghai;

const LOCAL_FORMATS: [&str; 4] =
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"];

/// An instant from either format. The error says what was expected.
pub fn parse_time(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in LOCAL_FORMATS {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, f) {
            return tz
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| format!("{s:?} does not exist in {tz} (a clock change)"));
        }
    }
    Err(format!("{s:?} is not a time; use 2022-02-17T16:30:00+08:00 or 2022-02-17 16:30:00 (read in {tz})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_give_the_same_instant() {
        let a = parse_time("2022-02-17T16:30:00+08:00", DEFAULT_TZ).unwrap();
        let b = parse_time("2022-02-17 16:30:00", DEFAULT_TZ).unwrap();
        let c = parse_time("2022/02/17 16:30", DEFAULT_TZ).unwrap();
        let d = parse_time("2022-02-17T08:30:00Z", DEFAULT_TZ).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a, d);
        assert_eq!(a.to_rfc3339(), "2022-02-17T08:30:00+00:00");
    }

    #[test]
    fn local_times_follow_the_zone() {
        let t = parse_time("2022-02-17 16:30:00", chrono_tz::Europe::Paris).unwrap();
        assert_eq!(t.to_rfc3339(), "2022-02-17T15:30:00+00:00");
        assert!(
            parse_time("2022-03-27 02:30:00", chrono_tz::Europe::Paris)
                .unwrap_err()
                .contains("does not exist")
        );
    }

    #[test]
    fn nonsense_is_explained() {
        let e = parse_time("17/02/2022", DEFAULT_TZ).unwrap_err();
        assert!(e.contains("is not a time"), "{e}");
    }
}
