use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// A problem with one row: its line in the file (1-based, the header is line 1; 0 for a GeoJSON
/// feature, which names itself in the reason), the column by position (1-based; 0 when the file
/// lacks it) and name, and why. Shown after the file name as `file:line:column (name): reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: Option<(usize, String)>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (0, Some((_, name))) => write!(f, " ({name}) {}", self.reason),
            (0, None) => write!(f, " {}", self.reason),
            (line, Some((0, name))) => write!(f, "{line} ({name}): {}", self.reason),
            (line, Some((i, name))) => write!(f, "{line}:{i} ({name}): {}", self.reason),
            (line, None) => write!(f, "{line}: {}", self.reason),
        }
    }
}

/// Why a file could not be imported. Its `Display` is what the person who ran the import reads.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{file}: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{file}: the file is {size} bytes; the limit is {limit} bytes (see --max-file-bytes)")]
    TooLarge { file: PathBuf, size: u64, limit: u64 },
    #[error("{file}:{line}: the line is longer than {limit} bytes")]
    LineTooLong { file: PathBuf, line: u64, limit: usize },
    #[error("{file}:{line}: {reason}")]
    Encoding { file: PathBuf, line: u64, reason: String },
    #[error("{file}: {reason}")]
    Header { file: PathBuf, reason: String },
    #[error("{file}:{line}:{column}: {reason}")]
    Json { file: PathBuf, line: usize, column: usize, reason: String },
    #[error("{}", rows_message(file, errors, *more))]
    Rows { file: PathBuf, errors: Vec<RowError>, more: usize },
}

fn rows_message(file: &std::path::Path, errors: &[RowError], more: usize) -> String {
    let mut s = format!(
        "{}: {} bad row{}; nothing was imported",
        file.display(),
        errors.len() + more,
        if errors.len() + more == 1 { "" } else { "s" }
    );
    for e in errors {
        s.push_str(&format!("\n  {}:{e}", file.display()));
    }
    if more > 0 {
        s.push_str(&format!("\n  … and {more} more"));
    }
    s
}

/// Gathers row errors up to a cap, so one bad file yields a useful list rather than the first
/// problem or a million lines.
#[derive(Debug, Default)]
pub struct RowErrors {
    pub errors: Vec<RowError>,
    pub more: usize,
}

impl RowErrors {
    pub const CAP: usize = 50;

    pub fn push(&mut self, e: RowError) {
        if self.errors.len() < Self::CAP { self.errors.push(e) } else { self.more += 1 }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors, in the order of the file's lines (a row's reading and its placing in the
    /// register are found at different times).
    pub fn into_result(mut self, file: &std::path::Path) -> Result<(), ImportError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            self.errors.sort_by_key(|e| e.line);
            Err(ImportError::Rows { file: file.to_owned(), errors: self.errors, more: self.more })
        }
    }
}
