//! `workers.csv`: `worker_id,name,phone,organisation,party_member,rank` — the cadres, party
//! members and volunteers a command can assign (formats.md).

use std::collections::HashSet;
use std::path::Path;

use cordon_domain::Phone;
use cordon_domain::workforce::{Rank, WorkerRow, check_worker_id, check_worker_name, parse_bool};

use crate::error::RowErrors;
use crate::{ImportError, Limits, Progress, Table, TextFile};

/// Reads a whole workers file; every bad row is reported, and none is returned unless all are good.
pub fn read_workers(path: &Path, limits: Limits, progress: &Progress) -> Result<Vec<WorkerRow>, ImportError> {
    let text = TextFile::open(path, limits)?;
    let mut table = Table::new(
        path,
        text.reader(progress)?,
        &["worker_id", "name", "phone", "organisation", "party_member", "rank"],
    )?;
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
        let parsed = (|| {
            let id = row.parse("worker_id", check_worker_id)?;
            if !seen.insert(id.clone()) {
                return Err(row.error("worker_id", format!("{id} appears twice in the file")));
            }
            let name = row.parse("name", check_worker_name)?;
            let phone = match row.get("phone").trim() {
                "" => None,
                _ => Some(row.parse("phone", Phone::parse)?),
            };
            Ok(WorkerRow {
                worker_id: id,
                name,
                phone,
                organisation: row.get("organisation").trim().to_owned(),
                party_member: row.parse("party_member", |s| parse_bool("party_member", s))?,
                rank: row.parse("rank", Rank::parse)?,
            })
        })();
        match parsed {
            Ok(w) => rows.push(w),
            Err(e) => errors.push(e),
        }
    }
    errors.into_result(path)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_read_and_every_bad_row_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("workers.csv");
        std::fs::write(
            &path,
            "worker_id,name,phone,organisation,party_member,rank\n\
             W001,王建国,13904710001,市委组织部,true,处级\n\
             W002,李娜,,团市委,false,volunteer\n",
        )
        .unwrap();
        let rows = read_workers(&path, Limits::default(), &Progress::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].rank, rows[0].party_member, rows[1].phone.is_none()),
            (Rank::Division, true, true)
        );
        std::fs::write(
            &path,
            "worker_id,name,phone,organisation,party_member,rank\n\
             W001,王建国,13904710001,市委组织部,maybe,处级\n\
             W001,李娜,,团市委,false,volunteer\n\
             W 3,张三,,x,true,staff\n\
             W004,赵四,,x,true,general\n",
        )
        .unwrap();
        let e = read_workers(&path, Limits::default(), &Progress::default()).unwrap_err().to_string();
        for want in [
            "workers.csv:2:5 (party_member)",
            "workers.csv:3:1 (worker_id): W001 appears twice",
            "workers.csv:4:1 (worker_id)",
            "workers.csv:5:6 (rank)",
        ] {
            assert!(e.contains(want), "{want} in {e}");
        }
    }
}
