//! `samples.csv` (`tube_id,person_id,collected_at,round_id,site`: one row per person in a tube)
//! and `results.csv` (`tube_id,result,reported_at,lab`).
//!
//! A samples file can hold tens of millions of rows, so it is read in batches; what must hold
//! across the whole file (a tube stays in one round, within the pool limit) is kept per tube,
//! which is ten to twenty times fewer than rows.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cordon_domain::{PersonId, TubeResult};

use crate::error::RowErrors;
use crate::{ImportError, Limits, Progress, RowError, Table, TextFile, parse_time};

/// One good row of a samples file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleLine {
    pub line: u64,
    pub tube_id: String,
    pub person_id: String,
    /// An index into [`SampleReader::rounds`].
    pub round: usize,
}

/// A tube as the whole file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TubeLine {
    /// Its first line.
    pub line: u64,
    pub tube_id: String,
    pub round: usize,
    pub site: String,
    /// The earliest collection time among its rows.
    pub collected_at: DateTime<Utc>,
    pub size: u32,
}

fn check_id(row: &crate::table::Row<'_>, column: &str) -> Result<String, RowError> {
    let s = row.get(column).trim();
    if s.is_empty() || s.len() > 64 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(row.error(column, "must be 1 to 64 characters without spaces"));
    }
    Ok(s.to_owned())
}

fn check_time(
    row: &crate::table::Row<'_>,
    column: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, RowError> {
    let t = parse_time(row.get(column), tz).map_err(|e| row.error(column, e))?;
    if t > now + chrono::Duration::days(1) {
        return Err(row.error(column, "is more than a day in the future"));
    }
    Ok(t)
}

/// Reads a samples file in batches. Problems are gathered as it goes and reported by `finish`;
/// the caller holds what it lands in a transaction until then.
pub struct SampleReader {
    file: PathBuf,
    table: Table,
    errors: RowErrors,
    tz: Tz,
    now: DateTime<Utc>,
    max_pool: u32,
    /// The round keys seen, in order of first appearance.
    pub rounds: Vec<String>,
    round_index: HashMap<String, usize>,
    tubes: HashMap<String, TubeLine>,
    rows: u64,
}

impl SampleReader {
    pub const REQUIRED: [&'static str; 4] = ["tube_id", "person_id", "collected_at", "round_id"];

    pub fn open(
        path: &Path,
        limits: Limits,
        progress: &Progress,
        tz: Tz,
        now: DateTime<Utc>,
        max_pool: u32,
    ) -> Result<Self, ImportError> {
        let text = TextFile::open(path, limits)?;
        let table = Table::new(path, text.reader(progress)?, &Self::REQUIRED)?;
        Ok(SampleReader {
            file: path.to_owned(),
            table,
            errors: RowErrors::default(),
            tz,
            now,
            max_pool,
            rounds: Vec::new(),
            round_index: HashMap::new(),
            tubes: HashMap::new(),
            rows: 0,
        })
    }

    /// Up to `n` good rows; an empty batch at the end of the file.
    pub fn next_batch(&mut self, n: usize) -> Vec<SampleLine> {
        let mut batch = Vec::with_capacity(n);
        while batch.len() < n {
            let Some(row) = self.table.next_row() else { break };
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            let parsed = (|| {
                let tube_id = check_id(&row, "tube_id")?;
                let person_id = row.parse("person_id", PersonId::parse)?;
                let collected_at = check_time(&row, "collected_at", self.tz, self.now)?;
                let round_key = check_id(&row, "round_id")?;
                let site = row.get("site").trim().to_owned();
                Ok::<_, RowError>((tube_id, person_id, collected_at, round_key, site))
            })();
            let (tube_id, person_id, collected_at, round_key, site) = match parsed {
                Ok(p) => p,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            let next = self.rounds.len();
            let round = *self.round_index.entry(round_key.clone()).or_insert_with(|| {
                self.rounds.push(round_key.clone());
                next
            });
            match self.tubes.entry(tube_id.clone()) {
                Entry::Vacant(v) => {
                    v.insert(TubeLine {
                        line: row.line,
                        tube_id: tube_id.clone(),
                        round,
                        site,
                        collected_at,
                        size: 1,
                    });
                }
                Entry::Occupied(mut o) => {
                    let t = o.get_mut();
                    if t.round != round {
                        let e = row.error(
                            "round_id",
                            format!("tube {tube_id} is in round {} on line {}", self.rounds[t.round], t.line),
                        );
                        self.errors.push(e);
                        continue;
                    }
                    t.size += 1;
                    if t.size > self.max_pool {
                        let e = row.error(
                            "tube_id",
                            format!(
                                "tube {tube_id} holds more than {} people (the pool limit)",
                                self.max_pool
                            ),
                        );
                        self.errors.push(e);
                        continue;
                    }
                    t.collected_at = t.collected_at.min(collected_at);
                }
            }
            self.rows += 1;
            batch.push(SampleLine {
                line: row.line,
                tube_id,
                person_id: person_id.as_str().to_owned(),
                round,
            });
        }
        batch
    }

    /// Adds a problem found outside the file (an unknown round or person).
    pub fn reject(&mut self, line: u64, column: &str, reason: String) {
        self.errors.push(RowError { line, column: Some((0, column.to_owned())), reason });
    }

    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// Good rows read so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The file's problems, if any; else its tubes, by first line.
    pub fn finish(self) -> Result<Vec<TubeLine>, ImportError> {
        self.errors.into_result(&self.file)?;
        let mut tubes: Vec<TubeLine> = self.tubes.into_values().collect();
        tubes.sort_unstable_by_key(|t| t.line);
        Ok(tubes)
    }

    pub fn file(&self) -> &Path {
        &self.file
    }
}

/// One row of a results file.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultLine {
    pub line: u64,
    pub tube_id: String,
    pub result: TubeResult,
    pub reported_at: DateTime<Utc>,
    pub lab: String,
}

/// Reads a whole results file (one row per tube: a tenth of the samples or less); every bad
/// row is reported, and none is returned unless all are good.
pub fn read_results(
    path: &Path,
    limits: Limits,
    progress: &Progress,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<ResultLine>, ImportError> {
    let text = TextFile::open(path, limits)?;
    let mut table = Table::new(path, text.reader(progress)?, &["tube_id", "result", "reported_at"])?;
    let mut errors = RowErrors::default();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    while let Some(row) = table.next_row() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let parsed = (|| {
            let tube_id = check_id(&row, "tube_id")?;
            let result = row.parse("result", TubeResult::parse)?;
            let reported_at = check_time(&row, "reported_at", tz, now)?;
            Ok::<_, RowError>((tube_id, result, reported_at))
        })();
        let (tube_id, result, reported_at) = match parsed {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Some(first) = seen.insert(tube_id.clone(), row.line) {
            errors.push(
                row.error("tube_id", format!("tube {tube_id} has a second result (first on line {first})")),
            );
            continue;
        }
        rows.push(ResultLine {
            line: row.line,
            tube_id,
            result,
            reported_at,
            lab: row.get("lab").trim().to_owned(),
        });
    }
    errors.into_result(path)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2022-04-10T12:00:00Z".parse().unwrap()
    }

    fn write(name: &str, text: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn tubes_are_gathered_across_the_file() {
        let (_d, path) = write(
            "samples.csv",
            b"tube_id,person_id,collected_at,round_id,site\n\
              T1,P1,2022-04-10 08:00:00,R1,gate\n\
              T2,P3,2022-04-10 08:05:00,R1,gate\n\
              T1,P2,2022-04-10T00:01:00Z,R1,gate\n",
        );
        let mut r =
            SampleReader::open(&path, Limits::default(), &Progress::default(), crate::DEFAULT_TZ, now(), 20)
                .unwrap();
        let rows = r.next_batch(2);
        assert_eq!(rows.len(), 2);
        assert_eq!(r.next_batch(10).len(), 1);
        assert!(r.next_batch(10).is_empty());
        assert_eq!(r.rounds, vec!["R1".to_owned()]);
        let tubes = r.finish().unwrap();
        assert_eq!(tubes.len(), 2);
        assert_eq!((tubes[0].tube_id.as_str(), tubes[0].size, tubes[0].line), ("T1", 2, 2));
        // 08:00 Shanghai is 00:00 UTC: the earliest of the two.
        assert_eq!(tubes[0].collected_at, "2022-04-10T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }

    #[test]
    fn every_bad_sample_row_is_named() {
        let (_d, path) = write(
            "samples.csv",
            b"tube_id,person_id,collected_at,round_id,site\n\
              T1,P1,2022-04-10 08:00:00,R1,gate\n\
              T1,P2,2022-04-10 08:00:00,R2,gate\n\
              T 2,P3,2022-04-10 08:00:00,R1,gate\n\
              T3,P4,2030-01-01 08:00:00,R1,gate\n\
              T4,P5,yesterday,R1,gate\n\
              T5,P6,2022-04-10 08:00:00,R1,gate\n\
              T5,P7,2022-04-10 08:00:00,R1,gate\n\
              T5,P8,2022-04-10 08:00:00,R1,gate\n",
        );
        let mut r =
            SampleReader::open(&path, Limits::default(), &Progress::default(), crate::DEFAULT_TZ, now(), 2)
                .unwrap();
        while !r.next_batch(100).is_empty() {}
        let msg = r.finish().unwrap_err().to_string();
        assert!(msg.contains("5 bad rows; nothing was imported"), "{msg}");
        assert!(msg.contains(":3:4 (round_id): tube T1 is in round R1 on line 2"), "{msg}");
        assert!(msg.contains(":4:1 (tube_id): must be 1 to 64 characters without spaces"), "{msg}");
        assert!(msg.contains(":5:3 (collected_at): is more than a day in the future"), "{msg}");
        assert!(msg.contains(":6:3 (collected_at)"), "{msg}");
        assert!(msg.contains(":9:1 (tube_id): tube T5 holds more than 2 people"), "{msg}");
    }

    #[test]
    fn results_refuse_a_second_result_and_unknown_words() {
        let (_d, path) = write(
            "results.csv",
            "tube_id,result,reported_at,lab\nT1,阴性,2022-04-10 18:00:00,Lab A\nT2,maybe,2022-04-10 18:00:00,Lab A\n\
             T1,positive,2022-04-10 19:00:00,Lab B\n"
                .as_bytes(),
        );
        let msg = read_results(&path, Limits::default(), &Progress::default(), crate::DEFAULT_TZ, now())
            .unwrap_err()
            .to_string();
        assert!(msg.contains(":3:2 (result): \"maybe\" is not a result"), "{msg}");
        assert!(msg.contains(":4:1 (tube_id): tube T1 has a second result (first on line 2)"), "{msg}");
        let (_d, path) =
            write("results.csv", b"tube_id,result,reported_at\nT1,negative,2022-04-10 18:00:00\n");
        let rows =
            read_results(&path, Limits::default(), &Progress::default(), crate::DEFAULT_TZ, now()).unwrap();
        assert_eq!(rows[0].result, TubeResult::Negative);
        assert_eq!(rows[0].lab, "");
    }

    #[test]
    fn a_file_cut_off_mid_row_names_its_last_line() {
        let (_d, path) = write(
            "samples.csv",
            b"tube_id,person_id,collected_at,round_id,site\nT1,P1,2022-04-10 08:00:00,R1,gate\nT2,P2,2022-04",
        );
        let mut r =
            SampleReader::open(&path, Limits::default(), &Progress::default(), crate::DEFAULT_TZ, now(), 20)
                .unwrap();
        while !r.next_batch(100).is_empty() {}
        let msg = r.finish().unwrap_err().to_string();
        assert!(msg.contains(":3"), "{msg}");
    }
}
