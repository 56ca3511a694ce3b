//! Cordon's trace engine: close and secondary contacts derived from venue-code scans (场所码),
//! at city scale, in memory. Scans are held as columns sorted by (venue, time) with people and
//! venues interned; a case's counting scans find who was together with them by binary search
//! inside the venue's block. The rules are `formats.md`'s (`cordon trace`); `read` reads the
//! files; `write_contacts` writes `contacts.csv`.

pub mod columnar;
pub mod engine;
pub mod read;

use std::io::Write;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use thiserror::Error;

pub use engine::{Case, Contact, Kind, Scans, ScansBuilder, TraceStats, trace};

#[derive(Debug, Error)]
pub enum TraceError {
    #[error("{file}:{line}{} {reason}", if column.is_empty() { ":".to_owned() } else { format!(" ({column}):") })]
    Row { file: String, line: usize, column: String, reason: String },
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
}

pub type Result<T, E = TraceError> = std::result::Result<T, E>;

/// Runs `read(k)` for each part k on a thread of its own and joins the builders in part order.
pub(crate) fn read_in_parts(
    parts: usize,
    read: impl Fn(usize) -> Result<ScansBuilder> + Sync,
) -> Result<ScansBuilder> {
    let read = &read;
    let built: Vec<Result<ScansBuilder>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..parts.max(1)).map(|k| scope.spawn(move || read(k))).collect();
        handles.into_iter().map(|h| h.join().expect("a reading thread panicked")).collect()
    });
    let mut built = built.into_iter();
    let mut all = built.next().expect("at least one part")?;
    for b in built {
        all.append(b?);
    }
    Ok(all)
}

/// An instant (microseconds since the epoch) as RFC 3339 in `tz`, with its offset; fractions of
/// a second only when there are any.
pub fn format_time(us: i64, tz: Tz) -> String {
    let t = Utc.timestamp_micros(us).single().expect("a time read from a file").with_timezone(&tz);
    if us.rem_euclid(1_000_000) == 0 {
        t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string()
    }
}

/// Writes `contacts.csv` (formats.md): `person_id,kind,via_person_id,venue_id,exposure_at`.
pub fn write_contacts(
    out: &mut impl Write,
    scans: &Scans,
    contacts: &[Contact],
    tz: Tz,
) -> std::io::Result<()> {
    out.write_all(b"person_id,kind,via_person_id,venue_id,exposure_at\n")?;
    for c in contacts {
        scans.people.write_name(out, c.person)?;
        out.write_all(b",")?;
        out.write_all(c.kind.as_str().as_bytes())?;
        out.write_all(b",")?;
        scans.people.write_name(out, c.via)?;
        out.write_all(b",")?;
        scans.venues.write_name(out, c.venue)?;
        out.write_all(b",")?;
        out.write_all(format_time(c.exposure, tz).as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
