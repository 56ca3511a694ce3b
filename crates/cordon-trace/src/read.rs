//! Reading `scans.csv` and `cases.csv` (formats.md) fast: the file is read in large blocks and
//! each line split by hand, because 20 M scans is a gigabyte of text; times in the usual
//! RFC 3339 shape are parsed without allocation. Errors name the file, line and column.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::engine::{Case, ScansBuilder};
use crate::{Result, TraceError};

const BLOCK: usize = 8 << 20;

/// The positions of the named columns in a header line.
fn columns<const N: usize>(file: &str, header: &[u8], names: [&str; N]) -> Result<[usize; N]> {
    let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(header);
    let cols: Vec<&[u8]> = header.split(|&b| b == b',').map(trim).collect();
    let mut out = [0; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = cols.iter().position(|c| *c == name.as_bytes()).ok_or_else(|| TraceError::Row {
            file: file.to_owned(),
            line: 1,
            column: name.to_owned(),
            reason: format!("the header has no {name} column (it has: {})", header_list(&cols)),
        })?;
    }
    Ok(out)
}

/// The columns a header has, for a message: the first 20, and none of the bytes of a file that
/// is not text (an archive or a spreadsheet named .csv, UTF-16 text) sent to the terminal.
fn header_list(cols: &[&[u8]]) -> String {
    const SHOWN: usize = 20;
    let text = |c: &&[u8]| match std::str::from_utf8(c) {
        Ok(s) if !s.chars().any(char::is_control) => s.to_owned(),
        _ => "(not text)".to_owned(),
    };
    let shown: Vec<String> = cols.iter().take(SHOWN).map(text).collect();
    if cols.len() <= SHOWN {
        shown.join(",")
    } else {
        format!("{},… ({} columns in all)", shown.join(","), cols.len())
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let s = s.strip_suffix(b"\r").unwrap_or(s);
    let start = s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
    let s = &s[start..end];
    s.strip_prefix(b"\"").and_then(|s| s.strip_suffix(b"\"")).unwrap_or(s)
}

/// Calls `f` with each line (without its newline) and its number, header included.
fn lines(file: &str, mut input: impl Read, mut f: impl FnMut(usize, &[u8]) -> Result<()>) -> Result<()> {
    let io = |e: std::io::Error| TraceError::Io { file: file.to_owned(), source: e };
    let mut buf = vec![0u8; BLOCK];
    let mut filled = 0;
    let mut line_no = 0;
    loop {
        let n = input.read(&mut buf[filled..]).map_err(io)?;
        let at_end = n == 0;
        filled += n;
        let mut start = 0;
        while let Some(nl) = buf[start..filled].iter().position(|&b| b == b'\n') {
            line_no += 1;
            f(line_no, &buf[start..start + nl])?;
            start += nl + 1;
        }
        if at_end {
            if start < filled {
                line_no += 1;
                f(line_no, &buf[start..filled])?;
            }
            return Ok(());
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        if filled == buf.len() {
            return Err(TraceError::Row {
                file: file.to_owned(),
                line: line_no + 1,
                column: String::new(),
                reason: format!("a line longer than {} MiB: is this a CSV file?", BLOCK >> 20),
            });
        }
    }
}

fn digits(s: &[u8]) -> Option<i64> {
    let mut n = 0i64;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Some(n)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SS±HH:MM` (or a space for the T, or Z), the shape every tool writes, in
/// microseconds since the epoch; anything else goes to chrono.
fn fast_time(s: &[u8]) -> Option<i64> {
    if s.len() < 20 || s[4] != b'-' || s[7] != b'-' || !(s[10] == b'T' || s[10] == b' ') || s[13] != b':' {
        return None;
    }
    let (y, mo, d) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    let (h, mi, sec) = (digits(&s[11..13])?, digits(&s[14..16])?, digits(&s[17..19])?);
    if s[16] != b':' || !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let offset = match &s[19..] {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let o = digits(&[*h1, *h2])? * 3600 + digits(&[*m1, *m2])? * 60;
            if *sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    if d > 28 && chrono::NaiveDate::from_ymd_opt(y as i32, mo as u32, d as u32).is_none() {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset;
    Some(secs * 1_000_000)
}

/// A time in either format of formats.md, in microseconds since the epoch.
pub fn parse_time(s: &[u8], tz: Tz) -> std::result::Result<i64, String> {
    if let Some(t) = fast_time(s) {
        return Ok(t);
    }
    let text = std::str::from_utf8(s).map_err(|_| "is not text".to_owned())?;
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    for f in
        ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"]
    {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, f) {
            return tz
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.timestamp_micros())
                .ok_or_else(|| format!("{text:?} does not exist in {tz} (a clock change)"));
        }
    }
    Err(format!(
        "{text:?} is not a time; use 2022-02-17T16:30:00+08:00 or 2022-02-17 16:30:00 (read in {tz})"
    ))
}

/// The fields at these positions of a line (empty when the line is short).
fn pick<const N: usize>(line: &[u8], at: [usize; N]) -> [&[u8]; N] {
    let mut out: [&[u8]; N] = [&[]; N];
    for (i, f) in line.split(|&b| b == b',').enumerate() {
        for (slot, &want) in out.iter_mut().zip(&at) {
            if want == i {
                *slot = trim(f);
            }
        }
    }
    out
}

fn field<'a>(fields: &[&'a [u8]], i: usize) -> &'a [u8] {
    fields.get(i).copied().map(trim).unwrap_or_default()
}

/// Reads scans (`person_id,venue_id,scanned_at`, any column order, more columns ignored).
pub fn read_scans(file: &str, input: impl Read, tz: Tz, into: &mut ScansBuilder) -> Result<()> {
    let mut cols: Option<[usize; 3]> = None;
    let mut result = Ok(());
    lines(file, input, |n, line| {
        match cols {
            None => cols = Some(columns(file, line, ["person_id", "venue_id", "scanned_at"])?),
            Some(c) => result = scan_row(file, n, line, c, tz, into),
        }
        std::mem::replace(&mut result, Ok(()))
    })?;
    if cols.is_none() {
        return Err(row_error(file, 1, "", "the file is empty: a header line is needed".into()));
    }
    Ok(())
}

fn row_error(file: &str, line: usize, column: &str, reason: String) -> TraceError {
    TraceError::Row { file: file.to_owned(), line, column: column.to_owned(), reason }
}

fn scan_row(
    file: &str,
    n: usize,
    line: &[u8],
    [p, v, t]: [usize; 3],
    tz: Tz,
    into: &mut ScansBuilder,
) -> Result<()> {
    if line.is_empty() || line == b"\r" {
        return Ok(());
    }
    let [person, venue, time] = pick(line, [p, v, t]);
    if person.is_empty() {
        return Err(row_error(file, n, "person_id", "is empty".into()));
    }
    if venue.is_empty() {
        return Err(row_error(file, n, "venue_id", "is empty".into()));
    }
    let t = parse_time(time, tz).map_err(|e| row_error(file, n, "scanned_at", e))?;
    into.push(person, venue, t);
    Ok(())
}

/// Reads a scans file on `threads` threads: the file is cut at line ends into parts of about
/// equal size, each part read into a builder of its own, and the builders joined in file order.
/// Errors name the line in the whole file.
pub fn read_scans_file(path: &Path, tz: Tz, threads: usize) -> Result<ScansBuilder> {
    read_scans_parts(path, tz, threads, 64 << 20)
}

fn read_scans_parts(path: &Path, tz: Tz, threads: usize, parallel_from: u64) -> Result<ScansBuilder> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| TraceError::Io { file: file.clone(), source: e };
    let mut f = File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if threads < 2 || len < parallel_from {
        let mut b = ScansBuilder::with_capacity((len / 48) as usize);
        read_scans(&file, BufReader::new(f), tz, &mut b)?;
        return Ok(b);
    }
    // The header, and where the rows start.
    let mut head = vec![0u8; 1 << 16];
    let got = f.read(&mut head).map_err(io)?;
    let nl = head[..got]
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| row_error(&file, 1, "", "the header line is missing or longer than 64 KiB".into()))?;
    let cols = columns(&file, &head[..nl], ["person_id", "venue_id", "scanned_at"])?;
    let mut cuts = vec![nl as u64 + 1];
    for k in 1..threads as u64 {
        let at = len * k / threads as u64;
        f.seek(SeekFrom::Start(at)).map_err(io)?;
        let mut probe = vec![0u8; 1 << 16];
        let got = f.read(&mut probe).map_err(io)?;
        if let Some(p) = probe[..got].iter().position(|&b| b == b'\n') {
            let cut = at + p as u64 + 1;
            if cut > *cuts.last().unwrap() && cut < len {
                cuts.push(cut);
            }
        }
    }
    cuts.push(len);
    let (file, cuts) = (&file, &cuts);
    crate::read_in_parts(cuts.len() - 1, |k| {
        let (start, end) = (cuts[k], cuts[k + 1]);
        let io = |e: std::io::Error| TraceError::Io { file: file.clone(), source: e };
        let mut f = File::open(path).map_err(io)?;
        f.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut b = ScansBuilder::for_rows(((end - start) / 48) as usize, (len / 48) as usize);
        let mut result = Ok(());
        lines(file, f.take(end - start), |n, line| {
            result = scan_row(file, n, line, cols, tz, &mut b);
            std::mem::replace(&mut result, Ok(()))
        })
        .map_err(|e| relocate(e, path, start))?;
        Ok(b)
    })
}

/// An error of a part starting at byte `start`: its line number counted from the file's start.
fn relocate(e: TraceError, path: &Path, start: u64) -> TraceError {
    match e {
        TraceError::Row { file, line, column, reason } => {
            let before = File::open(path)
                .map(|f| {
                    let mut count = 0usize;
                    let _ = lines(&file, f.take(start), |_, _| {
                        count += 1;
                        Ok(())
                    });
                    count
                })
                .unwrap_or(0);
            TraceError::Row { file, line: before + line, column, reason }
        }
        other => other,
    }
}

/// Reads cases (`person_id,infectious_from,isolated_at`; an empty isolated_at: not isolated).
pub fn read_cases(file: &str, input: impl Read, tz: Tz) -> Result<Vec<Case>> {
    let mut cols: Option<[usize; 3]> = None;
    let mut out = Vec::new();
    let mut seen = rustc_hash::FxHashMap::default();
    let bad = |line: usize, column: &str, reason: String| TraceError::Row {
        file: file.to_owned(),
        line,
        column: column.to_owned(),
        reason,
    };
    lines(file, input, |n, line| {
        let Some([p, f, i]) = cols else {
            cols = Some(columns(file, line, ["person_id", "infectious_from", "isolated_at"])?);
            return Ok(());
        };
        if line.is_empty() || line == b"\r" {
            return Ok(());
        }
        let fields: Vec<&[u8]> = line.split(|&b| b == b',').collect();
        let person = field(&fields, p);
        if person.is_empty() {
            return Err(bad(n, "person_id", "is empty".into()));
        }
        if let Some(first) = seen.insert(person.to_vec(), n) {
            return Err(bad(
                n,
                "person_id",
                format!("{} is a case already (line {first})", String::from_utf8_lossy(person)),
            ));
        }
        let from = parse_time(field(&fields, f), tz).map_err(|e| bad(n, "infectious_from", e))?;
        let until = match field(&fields, i) {
            b"" => None,
            s => Some(parse_time(s, tz).map_err(|e| bad(n, "isolated_at", e))?),
        };
        if until.is_some_and(|u| u <= from) {
            return Err(bad(n, "isolated_at", "is not after infectious_from".into()));
        }
        out.push(Case { person: person.to_vec(), from, until });
        Ok(())
    })?;
    if cols.is_none() {
        return Err(bad(1, "", "the file is empty: a header line is needed".into()));
    }
    if out.is_empty() {
        return Err(bad(2, "", "names no case".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn the_fast_path_and_chrono_agree() {
        for s in [
            "2022-03-03T17:09:51+08:00",
            "2022-03-03 17:09:51+08:00",
            "2022-02-28T23:59:59Z",
            "2024-02-29T00:00:00-05:30",
            "1999-12-31T16:00:00+08:00",
        ] {
            let fast = fast_time(s.as_bytes()).unwrap();
            let slow = DateTime::parse_from_rfc3339(&s.replace(' ', "T")).unwrap().timestamp_micros();
            assert_eq!(fast, slow, "{s}");
        }
        assert_eq!(fast_time(b"2022-02-30T00:00:00+08:00"), None);
        assert_eq!(parse_time(b"2022-03-03 17:09:51", TZ), parse_time(b"2022-03-03T17:09:51+08:00", TZ));
        assert!(parse_time(b"yesterday", TZ).unwrap_err().contains("not a time"));
    }

    #[test]
    fn parts_read_on_threads_equal_one_read_and_errors_keep_their_line() {
        let dir = std::env::temp_dir().join(format!("cordon-trace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scans.csv");
        let mut text = String::from("venue_id,scanned_at,person_id\n");
        for i in 0..5000 {
            text.push_str(&format!(
                "V{},2022-03-0{}T10:{:02}:00+08:00,{}\n",
                i % 37,
                1 + i % 9,
                i % 60,
                if i % 11 == 0 { format!("X{i}") } else { format!("P{:05}", i % 701) }
            ));
        }
        std::fs::write(&path, &text).unwrap();
        let names = |b: &ScansBuilder| {
            let mut out = Vec::new();
            let s = b.clone_rows();
            for (p, v, t) in s {
                out.push((b.people.name(p).to_vec(), b.venues.name(v).to_vec(), t));
            }
            out
        };
        let one = read_scans_parts(&path, TZ, 1, 0).unwrap();
        let four = read_scans_parts(&path, TZ, 4, 0).unwrap();
        assert_eq!(names(&four), names(&one));

        text.push_str("V1,2022-03-01T10:00:00+08:00,\n");
        std::fs::write(&path, &text).unwrap();
        let Err(e) = read_scans_parts(&path, TZ, 4, 0) else { panic!("an empty person_id was read") };
        let e = e.to_string();
        assert!(e.ends_with(":5002 (person_id): is empty"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_rows_name_file_line_and_column() {
        let mut b = ScansBuilder::default();
        let text = "venue_id,person_id,scanned_at\r\nV1,P1,2022-03-03T17:09:51+08:00\r\nV1,,2022-03-03T17:09:51+08:00\n";
        let e = read_scans("scans.csv", text.as_bytes(), TZ, &mut b).unwrap_err().to_string();
        assert_eq!(e, "scans.csv:3 (person_id): is empty");
        let e = read_scans("s.csv", "person_id,venue\n".as_bytes(), TZ, &mut b).unwrap_err().to_string();
        assert!(e.starts_with("s.csv:1 (venue_id): the header has no venue_id column"), "{e}");
        let e = read_cases("c.csv", "person_id,infectious_from,isolated_at\nP1,2022-03-03,\n".as_bytes(), TZ)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.csv:2 (infectious_from):"), "{e}");
        let e = read_cases("c.csv", "person_id,infectious_from,isolated_at\n".as_bytes(), TZ)
            .unwrap_err()
            .to_string();
        assert!(e.contains("names no case"), "{e}");
    }
}
