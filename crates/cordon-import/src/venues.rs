//! `venues.csv`: `venue_id,name,area_code,kind` — the places with a venue code (场所码), and the
//! area each stands in (what a public notice shows when it may not name the place).

use std::collections::HashSet;
use std::path::Path;

use cordon_domain::AreaCode;

use crate::error::RowErrors;
use crate::{ImportError, Limits, Progress, Table, TextFile};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueRow {
    /// The line it came from.
    pub line: u64,
    pub venue_id: String,
    pub name: String,
    pub area: AreaCode,
    pub kind: String,
}

/// Reads a whole venues file; every bad row is reported, and none is returned unless all are
/// good.
pub fn read_venues(path: &Path, limits: Limits, progress: &Progress) -> Result<Vec<VenueRow>, ImportError> {
    let text = TextFile::open(path, limits)?;
    let mut table = Table::new(path, text.reader(progress)?, &["venue_id", "name", "area_code"])?;
    let mut errors = RowErrors::default();
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    while let Some(row) = table.next_row() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let id = row.get("venue_id").trim();
        if id.is_empty() || id.len() > 64 {
            errors.push(row.error("venue_id", "must be 1 to 64 characters"));
            continue;
        }
        if !seen.insert(id.to_owned()) {
            errors.push(row.error("venue_id", format!("{id} appears twice in the file")));
            continue;
        }
        let name = row.get("name").trim();
        if name.is_empty() {
            errors.push(row.error("name", "is empty"));
            continue;
        }
        let area = match row.parse("area_code", AreaCode::parse) {
            Ok(a) => a,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        rows.push(VenueRow {
            line: row.line,
            venue_id: id.to_owned(),
            name: name.to_owned(),
            area,
            kind: row.get("kind").trim().to_owned(),
        });
    }
    errors.into_result(path)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_row_is_named_and_nothing_is_returned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("venues.csv");
        std::fs::write(
            &path,
            "venue_id,name,area_code,kind\nV1,维多利超市,150102001,shop\nV1,again,150102001,\nV2,,150102001,\n",
        )
        .unwrap();
        let err = read_venues(&path, Limits::default(), &Progress::default()).unwrap_err().to_string();
        assert!(err.contains("2 bad rows"), "{err}");
        assert!(err.contains(":3:1 (venue_id): V1 appears twice"), "{err}");
        assert!(err.contains(":4:2 (name): is empty"), "{err}");
        std::fs::write(&path, "name,venue_id,area_code\n超市,V1,150102001\n").unwrap();
        let rows = read_venues(&path, Limits::default(), &Progress::default()).unwrap();
        assert_eq!((rows[0].venue_id.as_str(), rows[0].line), ("V1", 2));
    }
}
