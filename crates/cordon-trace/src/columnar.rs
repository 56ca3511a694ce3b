//! Reading `scans.parquet` (formats.md: two strings and a timestamp column), row groups shared
//! out among threads, each into a builder of its own, joined in file order.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
};
use arrow_array::{Array, RecordBatch};
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{LogicalType, TimeUnit, Type as PhysicalType};
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;

use crate::engine::ScansBuilder;
use crate::{Result, TraceError};

const BATCH: usize = 64 * 1024;

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

/// The bytes of a string column of a batch, whatever Arrow type the reader chose for it; a null
/// is an error naming its row.
fn strings<'a>(
    file: &str,
    col: &'a dyn Array,
    first_row: usize,
    name: &str,
) -> Result<Box<dyn Fn(usize) -> &'a [u8] + 'a>> {
    if col.null_count() > 0
        && let Some(i) = (0..col.len()).find(|&i| col.is_null(i))
    {
        return Err(err(file, Some(first_row + i), name, "is empty (null)".into()));
    }
    let get: Box<dyn Fn(usize) -> &'a [u8] + 'a> = if let Some(a) = col.as_string_opt::<i32>() {
        Box::new(move |i| a.value(i).as_bytes())
    } else if let Some(a) = col.as_string_opt::<i64>() {
        Box::new(move |i| a.value(i).as_bytes())
    } else if let Some(a) = col.as_binary_opt::<i32>() {
        Box::new(move |i| a.value(i))
    } else if let Some(a) = col.as_binary_opt::<i64>() {
        Box::new(move |i| a.value(i))
    } else if let Some(a) = col.as_string_view_opt() {
        Box::new(move |i| a.value(i).as_bytes())
    } else if let Some(a) = col.as_binary_view_opt() {
        Box::new(move |i| a.value(i))
    } else {
        return Err(err(file, None, name, format!("is {}, not a string column", col.data_type())));
    };
    Ok(get)
}

/// The raw 64-bit values of the time column of a batch, in the unit the schema says.
fn times<'a>(file: &str, col: &'a dyn Array, first_row: usize) -> Result<&'a [i64]> {
    if col.null_count() > 0
        && let Some(i) = (0..col.len()).find(|&i| col.is_null(i))
    {
        return Err(err(file, Some(first_row + i), "scanned_at", "is empty (null)".into()));
    }
    let values: Option<&[i64]> = col
        .as_primitive_opt::<TimestampMicrosecondType>()
        .map(|a| &a.values()[..])
        .or_else(|| col.as_primitive_opt::<TimestampMillisecondType>().map(|a| &a.values()[..]))
        .or_else(|| col.as_primitive_opt::<TimestampNanosecondType>().map(|a| &a.values()[..]))
        .or_else(|| col.as_primitive_opt::<Int64Type>().map(|a| &a.values()[..]));
    values.ok_or_else(|| err(file, None, "scanned_at", format!("is {}, not a timestamp", col.data_type())))
}

/// Adds one batch of rows (the file's rows from `first_row`) to the builder.
fn read_batch(
    file: &str,
    batch: &RecordBatch,
    first_row: usize,
    time: TimeColumn,
    tz: Tz,
    into: &mut ScansBuilder,
) -> Result<()> {
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .ok_or_else(|| err(file, None, name, format!("the file has no {name} column")))
    };
    let (people, venues, raw) = (column("person_id")?, column("venue_id")?, column("scanned_at")?);
    let person = strings(file, people.as_ref(), first_row, "person_id")?;
    let venue = strings(file, venues.as_ref(), first_row, "venue_id")?;
    let raw = times(file, raw.as_ref(), first_row)?;
    for (i, &raw) in raw.iter().enumerate() {
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
        let (p, v) = (person(i), venue(i));
        if p.is_empty() {
            return Err(err(file, Some(first_row + i), "person_id", "is empty".into()));
        }
        if v.is_empty() {
            return Err(err(file, Some(first_row + i), "venue_id", "is empty".into()));
        }
        into.push(p, v, us);
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
    let (file, first_rows) = (&file, &first_rows);
    crate::read_in_parts(threads, |k| {
        let f = File::open(path).map_err(|e| TraceError::Io { file: file.clone(), source: e })?;
        let lo = groups * k / threads;
        let hi = groups * (k + 1) / threads;
        let first = first_rows.get(lo).copied().unwrap_or(total);
        let rows = first_rows.get(hi).copied().unwrap_or(total) - first;
        let mut b = ScansBuilder::for_rows(rows, total);
        if lo == hi {
            return Ok(b);
        }
        let builder = ParquetRecordBatchReaderBuilder::try_new(f).map_err(parquet_err(file))?;
        let mask = ProjectionMask::leaves(builder.parquet_schema(), cols);
        let reader = builder
            .with_row_groups((lo..hi).collect())
            .with_projection(mask)
            .with_batch_size(BATCH)
            .build()
            .map_err(parquet_err(file))?;
        let mut at = first;
        for batch in reader {
            let batch =
                batch.map_err(|e| err(file, Some(at), "", format!("not a readable Parquet file: {e}")))?;
            read_batch(file, &batch, at, time, tz, &mut b)?;
            at += batch.num_rows();
        }
        Ok(b)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, StringArray, TimestampMillisecondArray};
    use parquet::arrow::ArrowWriter;

    use super::*;

    fn write(path: &Path, people: Vec<Option<&str>>, venues: Vec<Option<&str>>, ms: Vec<i64>) {
        let batch = RecordBatch::try_from_iter([
            ("venue_id", Arc::new(StringArray::from(venues)) as ArrayRef),
            ("scanned_at", Arc::new(TimestampMillisecondArray::from(ms).with_timezone("UTC")) as ArrayRef),
            ("person_id", Arc::new(StringArray::from(people)) as ArrayRef),
        ])
        .unwrap();
        let mut w = ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn columns_in_any_order_and_units_are_read_and_bad_rows_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scans.parquet");
        let tz = chrono_tz::Asia::Shanghai;
        write(&path, vec![Some("P1"), Some("P2")], vec![Some("V1"), Some("V1")], vec![1_000, 61_000]);
        let b = read_scans_parquet(&path, tz, 2).unwrap();
        let rows: Vec<(Vec<u8>, Vec<u8>, i64)> =
            b.named_rows().map(|(p, v, t)| (p.to_vec(), v.to_vec(), t)).collect();
        assert_eq!(
            rows,
            [(b"P1".to_vec(), b"V1".to_vec(), 1_000_000), (b"P2".to_vec(), b"V1".to_vec(), 61_000_000)]
        );

        write(&path, vec![Some("P1"), None], vec![Some("V1"), Some("V1")], vec![0, 0]);
        let e = read_scans_parquet(&path, tz, 1).err().expect("refused").to_string();
        assert!(e.contains(":2 (person_id): is empty (null)"), "{e}");
        write(&path, vec![Some("P1"), Some("P2")], vec![Some("V1"), Some("")], vec![0, 0]);
        let e = read_scans_parquet(&path, tz, 1).err().expect("refused").to_string();
        assert!(e.contains(":2 (venue_id): is empty"), "{e}");
    }
}
