//! Reading `scans.parquet` (formats.md: two strings and a timestamp column), row groups shared
//! out among threads, each into a builder of its own, joined in file order.

use std::fs::File;
use std::path::Path;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use parquet::basic::{LogicalType, TimeUnit, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType};
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedFileReader;

use crate::engine::ScansBuilder;
use crate::{Result, TraceError};

const BATCH: usize = 16 * 1024;

/// What the schema says of the time column.
#[derive(Clone, Copy)]
struct TimeColumn {
    /// Multiply by this and divide by `to_micros_div` to get microseconds.
    to_micros_mul: i64,
    to_micros_div: i64,
    /// False: wall-clock times, read in the deployment's time zone.
    utc: bool,
}

fn err(file: &str, row: Option<usize>, column: &str, reason: String) -> TraceError {
    TraceError::Row {
        file: file.to_owned(),
        line: row.map_or(0, |r| r + 1),
        column: column.to_owned(),
        reason,
    }
}

fn parquet_err(file: &str) -> impl Fn(parquet::errors::ParquetError) -> TraceError + '_ {
    move |e| err(file, None, "", format!("not a readable Parquet file: {e}"))
}

/// The positions of the three columns and the time column's unit, or an error naming what is
/// wrong with the schema.
fn schema(file: &str, reader: &SerializedFileReader<File>) -> Result<([usize; 3], TimeColumn)> {
    let descr = reader.metadata().file_metadata().schema_descr();
    let find = |name: &str| descr.columns().iter().position(|c| c.name() == name);
    let mut at = [0; 3];
    for (slot, name) in at.iter_mut().zip(["person_id", "venue_id", "scanned_at"]) {
        *slot = find(name).ok_or_else(|| {
            let have: Vec<&str> = descr.columns().iter().map(|c| c.name()).collect();
            err(file, None, name, format!("the file has no {name} column (it has: {})", have.join(", ")))
        })?;
    }
    for (i, name) in [(at[0], "person_id"), (at[1], "venue_id")] {
        if descr.column(i).physical_type() != PhysicalType::BYTE_ARRAY {
            return Err(err(
                file,
                None,
                name,
                format!("is {}, not a string", descr.column(i).physical_type()),
            ));
        }
    }
    let t = descr.column(at[2]);
    let time = match (t.physical_type(), t.logical_type_ref()) {
        (PhysicalType::INT64, Some(LogicalType::Timestamp { is_adjusted_to_u_t_c, unit })) => {
            let (mul, div) = match unit {
                TimeUnit::MILLIS => (1000, 1),
                TimeUnit::MICROS => (1, 1),
                TimeUnit::NANOS => (1, 1000),
            };
            TimeColumn { to_micros_mul: mul, to_micros_div: div, utc: *is_adjusted_to_u_t_c }
        }
        (p, l) => {
            return Err(err(file, None, "scanned_at", format!("is {p} {l:?}, not a timestamp")));
        }
    };
    Ok((at, time))
}

/// All values of one column of a row group; a null is an error naming its row.
fn column<T: DataType>(
    file: &str,
    mut r: ColumnReaderImpl<T>,
    first_row: usize,
    name: &str,
    optional: bool,
) -> Result<Vec<T::T>> {
    let mut values = Vec::new();
    let mut levels = Vec::new();
    loop {
        let before = values.len();
        let (records, _, _) = r
            .read_records(BATCH, optional.then_some(&mut levels), None, &mut values)
            .map_err(parquet_err(file))?;
        if records == 0 {
            break;
        }
        if optional && values.len() - before < records {
            let at = levels.iter().position(|&l| l == 0).unwrap_or(0);
            return Err(err(file, Some(first_row + before + at), name, "is empty (null)".into()));
        }
        levels.clear();
    }
    Ok(values)
}

fn read_group(
    file: &str,
    group: &dyn RowGroupReader,
    first_row: usize,
    [p, v, t]: [usize; 3],
    time: TimeColumn,
    tz: Tz,
    into: &mut ScansBuilder,
) -> Result<()> {
    let optional = |i: usize| group.metadata().column(i).column_descr().max_def_level() > 0;
    let strings = |i: usize, name: &str| -> Result<Vec<ByteArray>> {
        match group.get_column_reader(i).map_err(parquet_err(file))? {
            ColumnReader::ByteArrayColumnReader(r) => column(file, r, first_row, name, optional(i)),
            _ => Err(err(file, None, name, "is not a string column".into())),
        }
    };
    let people = strings(p, "person_id")?;
    let venues = strings(v, "venue_id")?;
    let times = match group.get_column_reader(t).map_err(parquet_err(file))? {
        ColumnReader::Int64ColumnReader(r) => column(file, r, first_row, "scanned_at", optional(t))?,
        _ => return Err(err(file, None, "scanned_at", "is not a 64-bit timestamp column".into())),
    };
    if people.len() != venues.len() || people.len() != times.len() {
        return Err(err(file, Some(first_row), "", "the columns of a row group differ in length".into()));
    }
    for (i, ((person, venue), &raw)) in people.iter().zip(&venues).zip(&times).enumerate() {
        if person.data().is_empty() {
            return Err(err(file, Some(first_row + i), "person_id", "is empty".into()));
        }
        if venue.data().is_empty() {
            return Err(err(file, Some(first_row + i), "venue_id", "is empty".into()));
        }
        let mut us = raw.saturating_mul(time.to_micros_mul) / time.to_micros_div;
        if !time.utc {
            // Wall-clock time: what instant it was in the deployment's zone.
            let naive = Utc.timestamp_micros(us).single().map(|t| t.naive_utc());
            us = naive
                .and_then(|n| tz.from_local_datetime(&n).earliest())
                .map(|t| t.timestamp_micros())
                .ok_or_else(|| {
                    err(file, Some(first_row + i), "scanned_at", format!("does not exist in {tz}"))
                })?;
        }
        into.push(person.data(), venue.data(), us);
    }
    Ok(())
}

/// Reads scans from Parquet on `threads` threads. Errors name the row (counted from 1, as a
/// line would be without a header) and the column.
pub fn read_scans_parquet(path: &Path, tz: Tz, threads: usize) -> Result<ScansBuilder> {
    let file = path.display().to_string();
    let open = || -> Result<SerializedFileReader<File>> {
        let f = File::open(path).map_err(|e| TraceError::Io { file: file.clone(), source: e })?;
        SerializedFileReader::new(f).map_err(parquet_err(&file))
    };
    let reader = open()?;
    let (cols, time) = schema(&file, &reader)?;
    let groups = reader.num_row_groups();
    let mut first_rows = Vec::with_capacity(groups + 1);
    let mut total = 0usize;
    for g in 0..groups {
        first_rows.push(total);
        total += reader.metadata().row_group(g).num_rows() as usize;
    }
    let threads = threads.clamp(1, groups.max(1));
    let (file, first_rows, open) = (&file, &first_rows, &open);
    crate::read_in_parts(threads, |k| {
        let reader = open()?;
        let lo = groups * k / threads;
        let hi = groups * (k + 1) / threads;
        let rows =
            first_rows.get(hi).copied().unwrap_or(total) - first_rows.get(lo).copied().unwrap_or(total);
        let mut b = ScansBuilder::for_rows(rows, total);
        for (g, &first) in first_rows.iter().enumerate().take(hi).skip(lo) {
            let group = reader.get_row_group(g).map_err(parquet_err(file))?;
            read_group(file, &*group, first, cols, time, tz, &mut b)?;
        }
        Ok(b)
    })
}
