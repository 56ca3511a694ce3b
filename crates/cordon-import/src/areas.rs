//! `areas.csv` (`code,parent_code,level,name`) and GeoJSON FeatureCollections with the same
//! four properties.

use std::io::Read;
use std::path::Path;

use cordon_domain::area::RowProblem;
use cordon_domain::{AreaCode, AreaLevel, AreaRow};
use serde_json::Value;

use crate::error::RowErrors;
use crate::{ImportError, Limits, Progress, RowError, Table, TextFile};

/// The rows of an areas file that could be read, each with the line (CSV) or feature number
/// (GeoJSON) it came from, so problems found later against the store still point into the
/// file — and the rows that could not be read, told with those: a clerk meets every bad row of
/// every kind in one pass.
#[derive(Debug)]
pub struct AreaLines {
    pub file: std::path::PathBuf,
    pub rows: Vec<AreaRow>,
    lines: Vec<u64>,
    geojson: bool,
    unread: RowErrors,
}

impl AreaLines {
    /// The rows that could not be read, as an error; none: `Ok`. For when the rows read have
    /// been planned without a problem.
    pub fn check(&self) -> Result<(), ImportError> {
        self.problems(Vec::new()).map_or(Ok(()), Err)
    }

    /// The rows that could not be read and the domain's problems with the rows that could, as
    /// one error naming their lines in order; `None` when there are none.
    pub fn problems(&self, problems: Vec<RowProblem>) -> Option<ImportError> {
        let mut errors = RowErrors { errors: self.unread.errors.clone(), more: self.unread.more };
        for p in problems {
            let reason =
                if self.geojson { format!("feature {}: {}", self.lines[p.row], p.reason) } else { p.reason };
            errors.push(RowError {
                line: if self.geojson { 0 } else { self.lines[p.row] },
                column: Some((csv_column(p.field), p.field.to_owned())),
                reason,
            });
        }
        errors.into_result(&self.file).err()
    }
}

fn csv_column(field: &str) -> usize {
    ["code", "parent_code", "level", "name"].iter().position(|f| *f == field).map_or(0, |i| i + 1)
}

pub fn read_areas(path: &Path, limits: Limits, progress: &Progress) -> Result<AreaLines, ImportError> {
    let text = TextFile::open(path, limits)?;
    let mut reader = text.reader(progress)?;
    let is_json =
        path.extension().is_some_and(|e| e.eq_ignore_ascii_case("geojson") || e.eq_ignore_ascii_case("json"));
    if is_json {
        let mut s = String::new();
        reader.read_to_string(&mut s).map_err(|source| ImportError::Io { file: path.to_owned(), source })?;
        return read_geojson(path, &s);
    }
    let mut table = Table::new(path, reader, &["code", "level", "name"])?;
    let (mut rows, mut lines, mut errors) = (Vec::new(), Vec::new(), RowErrors::default());
    while let Some(row) = table.next_row() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let parsed = (|| {
            let code = row.parse("code", AreaCode::parse)?;
            let parent = match row.get("parent_code") {
                "" => None,
                p => Some(AreaCode::parse(p).map_err(|e| row.domain("parent_code", e))?),
            };
            let level = row.parse("level", AreaLevel::parse)?;
            let name = row.parse("name", AreaRow::parse_name)?;
            Ok::<_, RowError>(AreaRow { code, parent, level, name, shape: None })
        })();
        match parsed {
            Ok(r) => {
                lines.push(row.line);
                rows.push(r);
            }
            Err(e) => errors.push(e),
        }
    }
    Ok(AreaLines { file: path.to_owned(), rows, lines, geojson: false, unread: errors })
}

fn read_geojson(path: &Path, text: &str) -> Result<AreaLines, ImportError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ImportError::Json {
        file: path.to_owned(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })?;
    let header = |reason: &str| ImportError::Header { file: path.to_owned(), reason: reason.to_owned() };
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(header("not a GeoJSON FeatureCollection (its \"type\" must be \"FeatureCollection\")"));
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| header("the FeatureCollection has no \"features\" array"))?;
    let (mut rows, mut lines, mut errors) = (Vec::new(), Vec::new(), RowErrors::default());
    for (i, f) in features.iter().enumerate() {
        let n = i as u64 + 1;
        let err = |field: &str, reason: String| RowError {
            line: 0,
            column: Some((csv_column(field), field.to_owned())),
            reason: format!("feature {n}: {reason}"),
        };
        let prop = |k: &str| {
            f.get("properties").and_then(|p| p.get(k)).map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
        };
        let parsed = (|| {
            let code = AreaCode::parse(&prop("code").unwrap_or_default())
                .map_err(|e| err("code", e.reason().into()))?;
            let parent = match prop("parent_code").unwrap_or_default().trim() {
                "" => None,
                p => Some(AreaCode::parse(p).map_err(|e| err("parent_code", e.reason().into()))?),
            };
            let level = AreaLevel::parse(&prop("level").unwrap_or_default())
                .map_err(|e| err("level", e.reason().into()))?;
            let name = AreaRow::parse_name(&prop("name").unwrap_or_default())
                .map_err(|e| err("name", e.reason().into()))?;
            let shape = match f.get("geometry") {
                None | Some(Value::Null) => None,
                Some(g)
                    if matches!(g.get("type").and_then(Value::as_str), Some("Polygon" | "MultiPolygon")) =>
                {
                    Some(g.to_string())
                }
                Some(_) => {
                    return Err(err("geometry", "the geometry must be a Polygon or a MultiPolygon".into()));
                }
            };
            Ok::<_, RowError>(AreaRow { code, parent, level, name, shape })
        })();
        match parsed {
            Ok(r) => {
                lines.push(n);
                rows.push(r);
            }
            Err(e) => errors.push(e),
        }
    }
    Ok(AreaLines { file: path.to_owned(), rows, lines, geojson: true, unread: errors })
}
