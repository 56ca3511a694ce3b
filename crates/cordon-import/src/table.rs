//! A CSV table read by column name: columns in any order, unknown ones ignored, each value
//! reported with its line and column when it is wrong.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use cordon_domain::DomainError;

use crate::{ImportError, RowError};

pub struct Table {
    reader: csv::Reader<Box<dyn Read + Send>>,
    columns: HashMap<String, usize>,
    headers: Vec<String>,
    record: csv::StringRecord,
}

/// One row of a table, with the line it started on.
pub struct Row<'a> {
    table: &'a Table,
    pub line: u64,
}

impl Table {
    /// Reads the header row and checks that every `required` column is there.
    pub fn new(file: &Path, text: Box<dyn Read + Send>, required: &[&str]) -> Result<Self, ImportError> {
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text);
        let header_err = |reason: String| ImportError::Header { file: file.to_owned(), reason };
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| header_err(format!("the header row cannot be read: {e}")))?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let mut columns = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            if !h.is_empty() && columns.insert(h.clone(), i).is_some() {
                return Err(header_err(format!("column {h:?} appears twice in the header row")));
            }
        }
        let missing: Vec<&str> = required.iter().copied().filter(|c| !columns.contains_key(*c)).collect();
        if !missing.is_empty() {
            return Err(header_err(format!(
                "the header row lacks the column{} {}; it has {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                header_list(&headers)
            )));
        }
        Ok(Table { reader, columns, headers, record: csv::StringRecord::new() })
    }

    /// The next row, or None at the end. A row the CSV reader cannot split (a wrong number of
    /// fields, an unclosed quote) is a row error, not a fatal one, so the caller can go on
    /// collecting problems.
    /// An error about `column` on `line`, with the column's place in the file: for a row found
    /// wrong after it was read (a household the register does not hold).
    pub fn error_at(&self, line: u64, column: &str, reason: impl Into<String>) -> RowError {
        let position = self.columns.get(column).map(|&i| (i + 1, self.headers[i].clone()));
        RowError { line, column: position.or_else(|| Some((0, column.to_owned()))), reason: reason.into() }
    }

    pub fn next_row(&mut self) -> Option<Result<Row<'_>, RowError>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                Some(Ok(Row { table: self, line }))
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("has {len} fields; the header has {expected_len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "is not valid text".to_owned(),
                    _ => e.to_string(),
                };
                Some(Err(RowError { line, column: None, reason }))
            }
        }
    }
}

impl Row<'_> {
    /// The value of a column, trimmed; empty when the column is absent from the file.
    pub fn get(&self, column: &str) -> &str {
        self.table.columns.get(column).and_then(|&i| self.table.record.get(i)).map_or("", str::trim)
    }

    /// An error about `column` in this row. A `DomainError` names its own field; where the
    /// file's column has another name, `column` wins.
    pub fn error(&self, column: &str, reason: impl Into<String>) -> RowError {
        self.table.error_at(self.line, column, reason)
    }

    pub fn domain(&self, column: &str, e: DomainError) -> RowError {
        self.error(column, e.reason().to_owned())
    }

    /// Parses a column with a domain parser, turning its error into a row error.
    pub fn parse<T>(
        &self,
        column: &str,
        f: impl FnOnce(&str) -> Result<T, DomainError>,
    ) -> Result<T, RowError> {
        f(self.get(column)).map_err(|e| self.domain(column, e))
    }
}

/// The columns a header row has, for a message: the first 20, then how many more (a file of
/// 100,000 columns gives a message of one line, not of a megabyte).
fn header_list(headers: &[String]) -> String {
    const SHOWN: usize = 20;
    if headers.len() <= SHOWN {
        return headers.join(",");
    }
    format!("{},… ({} columns in all)", headers[..SHOWN].join(","), headers.len())
}
