//! `people.csv`: `person_id,name,id_number,phone,birth_year,sex,household_code,tags`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cordon_domain::{AreaCode, IdNumber, PersonId, PersonRow, Phone, Sex, Tags};

use crate::error::RowErrors;
use crate::{ImportError, Limits, Progress, RowError, Table, TextFile};

/// Rows of a people file, each with the line it came from (`lines[i]` is the line of `rows[i]`).
pub struct PeopleBatch {
    pub lines: Vec<u64>,
    pub rows: Vec<PersonRow>,
}

/// Reads people in batches, so a file of millions never sits in memory whole. Problems are
/// gathered as it goes; `finish` reports them. A caller that lands batches as they come must
/// therefore hold them in a transaction it only commits after `finish` says the file was clean.
pub struct PeopleReader {
    file: PathBuf,
    table: Table,
    errors: RowErrors,
    seen: HashSet<PersonId>,
    this_year: i32,
}

impl PeopleReader {
    pub const REQUIRED: [&'static str; 3] = ["person_id", "name", "household_code"];

    pub fn open(
        path: &Path,
        limits: Limits,
        progress: &Progress,
        this_year: i32,
    ) -> Result<Self, ImportError> {
        let text = TextFile::open(path, limits)?;
        let table = Table::new(path, text.reader(progress)?, &Self::REQUIRED)?;
        Ok(PeopleReader {
            file: path.to_owned(),
            table,
            errors: RowErrors::default(),
            seen: HashSet::new(),
            this_year,
        })
    }

    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// Up to `n` good rows; an empty batch at the end of the file.
    pub fn next_batch(&mut self, n: usize) -> PeopleBatch {
        let mut batch = PeopleBatch { lines: Vec::with_capacity(n), rows: Vec::with_capacity(n) };
        while batch.rows.len() < n {
            let Some(row) = self.table.next_row() else { break };
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            let line = row.line;
            let parsed = (|| {
                let person_id = row.parse("person_id", PersonId::parse)?;
                if person_id.is_registered_here() {
                    return Err(row.error(
                        "person_id",
                        format!(
                            "{person_id}: ids starting {} are given by Cordon to the people it registers; \
                             give this person an id of the file's own",
                            cordon_domain::register::REGISTERED_HERE
                        ),
                    ));
                }
                let name = row.parse("name", PersonRow::parse_name)?;
                let id_number = match row.get("id_number") {
                    "" => None,
                    s => Some(IdNumber::parse(s).map_err(|e| row.domain("id_number", e))?),
                };
                let phone = match row.get("phone") {
                    "" => None,
                    s => Some(Phone::parse(s).map_err(|e| row.domain("phone", e))?),
                };
                let birth_year =
                    row.parse("birth_year", |s| PersonRow::parse_birth_year(s, self.this_year))?;
                let sex = row.parse("sex", Sex::parse)?;
                let household = row.parse("household_code", AreaCode::parse)?;
                let tags = row.parse("tags", Tags::parse)?;
                let p = PersonRow { person_id, name, id_number, phone, birth_year, sex, household, tags };
                p.check_consistency().map_err(|e| row.domain(e.field(), e))?;
                Ok::<_, RowError>(p)
            })();
            match parsed {
                Ok(p) => {
                    if !self.seen.insert(p.person_id.clone()) {
                        let e = row.error("person_id", format!("{} appears twice in the file", p.person_id));
                        self.errors.push(e);
                    } else {
                        batch.lines.push(line);
                        batch.rows.push(p);
                    }
                }
                Err(e) => self.errors.push(e),
            }
        }
        batch
    }

    /// Adds a problem found outside the file (an unknown household, a person already
    /// registered), so it is reported with the file's own.
    pub fn reject(&mut self, line: u64, column: &str, reason: String) {
        let e = self.table.error_at(line, column, reason);
        self.errors.push(e);
    }

    pub fn finish(self) -> Result<(), ImportError> {
        self.errors.into_result(&self.file)
    }

    pub fn file(&self) -> &Path {
        &self.file
    }
}
