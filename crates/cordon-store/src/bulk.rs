//! The register in bulk: a pseudonymised people export written at the speed of the disk, on
//! both backends, with flat memory.
//!
//! Two things made the straightforward way slow. sqlx hands every row across a channel as an
//! owned value, which tops out near 400,000 rows a second on SQLite before a cell is written;
//! and an address is six areas above a household, which a join looks up person by person (on
//! PostgreSQL the planner then sorts millions of joined rows before the first leaves). So:
//!
//! - The people are read in (path, register id) order, which the `people_place` index gives
//!   without a sort: on SQLite through a read-only connection of rusqlite's (the same SQLite
//!   library, linked once) that borrows each cell; on PostgreSQL as `COPY … TO STDOUT`.
//! - Their addresses come from a second cursor over the subtree's areas in path order, walked
//!   beside the people ([`AreaWalk`]): a path sorts before every path below it, so the order
//!   is depth first, and the areas above the current household are a stack.
//! - Reading and writing run on two threads, batch by batch ([`Batch`]): the database's
//!   stepping and the ID number's pseudonym on one, the register id's pseudonym and the CSV
//!   on the other. The ID number is sealed (`seal.rs`): opening it (0.4 µs) and keying its
//!   pseudonym is the costliest step of a row, so it goes to the thread with less to do.
//!
//! The export reads one snapshot: on SQLite one statement's read transaction (in WAL mode it
//! holds no writer back); on PostgreSQL two repeatable-read transactions, the second importing
//! the first's exported snapshot.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

use bytes::Bytes;
use cordon_domain::format::spreadsheet_cell;
use cordon_domain::{AreaPath, Pseudonyms};
use futures::stream::BoxStream;
use rusqlite::{OpenFlags, OptionalExtension, types::ValueRef};

use crate::{Field, Keyring, Result, StoreError};

/// Bytes per chunk sent on: large enough that the channel is not the cost, small enough that
/// the first bytes leave at once.
const CHUNK: usize = 256 * 1024;
/// Cells per person in a batch: register id, the ID number's pseudonym, birth year, sex,
/// household, tags, address.
const CELLS: usize = 7;
/// Rows per batch.
const BATCH: usize = 4096;

/// The order both readers read in; the `people_place` index serves it. Those living in the
/// register only, as every list of residents: the moved out and the deceased are not exported.
const PEOPLE: &str = "SELECT person_id, id_sealed, birth_year, sex, household_code, tags, path FROM people \
                      WHERE path >= $1 AND path < $2 AND status = 'active' ORDER BY path, person_id";
const AREAS: &str = "SELECT path, level, name FROM areas WHERE path >= $1 AND path < $2 ORDER BY path";

type Chunks = tokio::sync::mpsc::Sender<Result<Bytes>>;

fn csv_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("writing the register as CSV: {e}"))
}

/// The CSV chunks as a stream, from `run` on a blocking thread sending them.
fn chunk_stream(
    run: impl FnOnce(&Chunks) -> Result<()> + Send + 'static,
) -> BoxStream<'static, Result<Bytes>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = run(&tx) {
            tracing::warn!(error = %e, "the register's bulk export stopped");
            // The receiver may be gone (the client left): then nobody is waiting for the error.
            let _ = tx.blocking_send(Err(e));
        }
    });
    Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) }))
}

/// Rows read and not yet written: each row's [`CELLS`] cells one after another in `text`,
/// each ending at its offset in `ends`.
#[derive(Default)]
struct Batch {
    text: String,
    ends: Vec<usize>,
}

impl Batch {
    fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    fn rows(&self) -> impl Iterator<Item = [&str; CELLS]> {
        self.ends.chunks_exact(CELLS).scan(0, |start, ends| {
            let mut row = [""; CELLS];
            for (cell, &end) in row.iter_mut().zip(ends) {
                *cell = &self.text[*start..end];
                *start = end;
            }
            Some(row)
        })
    }
}

/// Where a reader puts its batches, and gets back the written ones to fill again.
struct Batches<'a> {
    full: &'a SyncSender<Result<Batch>>,
    empty: &'a Receiver<Batch>,
    batch: Batch,
}

impl Batches<'_> {
    /// The batch to push a row into; false when the writer has stopped.
    fn row_done(&mut self) -> bool {
        if self.batch.ends.len() < BATCH * CELLS {
            return true;
        }
        let next = self.empty.try_recv().unwrap_or_default();
        self.full.send(Ok(std::mem::replace(&mut self.batch, next))).is_ok()
    }

    fn finish(self) {
        if !self.batch.ends.is_empty() {
            let _ = self.full.send(Ok(self.batch));
        }
    }
}

/// The pseudonym of a person's sealed ID number, written to `out` (left empty when there is
/// none).
fn id_pseudonym(
    names: &Pseudonyms,
    keys: &Keyring,
    person: &str,
    sealed: &[u8],
    out: &mut String,
) -> Result<()> {
    out.clear();
    if !sealed.is_empty() {
        names.write("ID-", &keys.open(Field::IdNumber, person, sealed)?, out);
    }
    Ok(())
}

/// Runs `read` on a thread of its own and writes what it reads as pseudonymised CSV; `read`
/// gives each ID number as its pseudonym already.
fn write_people(
    names: &Pseudonyms,
    tx: &Chunks,
    read: impl FnOnce(&mut Batches<'_>) -> Result<()> + Send,
) -> Result<()> {
    let (full_tx, full) = std::sync::mpsc::sync_channel::<Result<Batch>>(2);
    let (empty_tx, empty) = std::sync::mpsc::channel::<Batch>();
    std::thread::scope(|threads| {
        threads.spawn(move || {
            let mut batches = Batches { full: &full_tx, empty: &empty, batch: Batch::default() };
            match read(&mut batches) {
                Ok(()) => batches.finish(),
                Err(e) => {
                    let _ = full_tx.send(Err(e));
                }
            }
        });
        let writer = || csv::Writer::from_writer(Vec::with_capacity(CHUNK + 64 * 1024));
        let mut w = writer();
        let mut pid = String::new();
        // Ends when the reader has read the last row (or failed, or stopped for the client).
        for batch in full {
            let mut batch = batch?;
            for [person, idn, year, sex, household, tags, address] in batch.rows() {
                pid.clear();
                names.write("P-", person, &mut pid);
                let record = [
                    &*pid,
                    &pid,
                    idn,
                    "",
                    year,
                    sex,
                    household,
                    &spreadsheet_cell(address),
                    &spreadsheet_cell(tags),
                ];
                w.write_record(record).map_err(csv_error)?;
            }
            if w.get_ref().len() >= CHUNK {
                let chunk = std::mem::replace(&mut w, writer()).into_inner().map_err(csv_error)?;
                if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                    return Ok(()); // the client left; the reader stops at its next batch
                }
            }
            batch.text.clear();
            batch.ends.clear();
            let _ = empty_tx.send(batch);
        }
        let rest = w.into_inner().map_err(csv_error)?;
        if !rest.is_empty() {
            let _ = tx.blocking_send(Ok(Bytes::from(rest)));
        }
        Ok(())
    })
}

/// An area on the way down to a household.
struct Place {
    path: String,
    /// Below the city: named in an address.
    named: bool,
    name: String,
}

impl Place {
    fn new(path: String, level: &str, name: String) -> Self {
        Place { path, named: level != "city", name }
    }
}

/// The prefixes of a subtree's path that end at a slash: the paths of the areas above it.
fn paths_above(lo: &str) -> impl Iterator<Item = &str> {
    lo.match_indices('/').skip(1).map(move |(i, _)| &lo[..=i]).filter(move |p| p.len() < lo.len())
}

/// The addresses of the people in a subtree, read in path order, without a join per person.
struct AreaWalk<'s> {
    /// The subtree's areas in path order.
    next_place: Box<dyn FnMut() -> Result<Option<Place>> + 's>,
    /// The next area not yet walked into.
    next: Option<Place>,
    /// The areas from the top down to the last one walked into.
    above: Vec<Place>,
    /// The household last asked for, and its address.
    household: String,
    address: String,
}

impl<'s> AreaWalk<'s> {
    /// `above`: the areas above the subtree; `next_place`: the subtree's, in path order.
    fn new(
        above: Vec<Place>,
        mut next_place: Box<dyn FnMut() -> Result<Option<Place>> + 's>,
    ) -> Result<Self> {
        let next = next_place()?;
        Ok(AreaWalk { next_place, next, above, household: String::new(), address: String::new() })
    }

    /// The address of the household whose path is `path`: the names of the areas above it and
    /// its own (the door), below the city. Paths come in order.
    fn address_of(&mut self, path: &str) -> Result<&str> {
        if path == self.household {
            return Ok(&self.address);
        }
        // Walk into every area up to this path, keeping those it lies in.
        while self.next.as_ref().is_some_and(|n| n.path.as_str() <= path) {
            let Some(next) = self.next.take() else { break };
            while self.above.last().is_some_and(|a| !next.path.starts_with(a.path.as_str())) {
                self.above.pop();
            }
            self.above.push(next);
            self.next = (self.next_place)()?;
        }
        self.household.clear();
        self.household.push_str(path);
        self.address.clear();
        for place in self.above.iter().filter(|p| p.named && path.starts_with(p.path.as_str())) {
            if !self.address.is_empty() {
                self.address.push(' ');
            }
            self.address.push_str(&place.name);
        }
        Ok(&self.address)
    }
}

// ---- SQLite ----

fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::Invalid(format!("reading the register: {e}"))
}

fn text(v: ValueRef<'_>) -> &str {
    match v {
        ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or(""),
        _ => "",
    }
}

/// The people inside `scope`, pseudonymised, as CSV rows (see
/// `Store::pseudonymised_people_csv`), read from the SQLite database at `file`.
pub(crate) fn sqlite_people_csv(
    file: PathBuf,
    scope: &AreaPath,
    names: &Pseudonyms,
    keys: Arc<Keyring>,
) -> BoxStream<'static, Result<Bytes>> {
    let (lo, hi) = scope.subtree_range();
    let names = names.clone();
    chunk_stream(move |tx| {
        let read = |batches: &mut Batches<'_>| sqlite_read(&file, &lo, &hi, &names, &keys, batches);
        write_people(&names, tx, read)
    })
}

fn sqlite_read(
    file: &std::path::Path,
    lo: &str,
    hi: &str,
    names: &Pseudonyms,
    keys: &Keyring,
    batches: &mut Batches<'_>,
) -> Result<()> {
    let e = sqlite_error;
    let conn = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(e)?;
    conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(e)?;
    let mut above = vec![];
    let mut one = conn.prepare("SELECT level, name FROM areas WHERE path = ?1").map_err(e)?;
    for path in paths_above(lo) {
        let place = one
            .query_row([path], |r| Ok(Place::new(path.to_owned(), text(r.get_ref(0)?), r.get(1)?)))
            .optional()
            .map_err(e)?;
        above.extend(place);
    }
    let mut areas_stmt = conn.prepare(AREAS).map_err(e)?;
    let mut area_rows = areas_stmt.query([lo, hi]).map_err(e)?;
    let mut areas = AreaWalk::new(
        above,
        Box::new(move || match area_rows.next().map_err(e)? {
            Some(r) => Ok(Some(Place::new(
                r.get(0).map_err(e)?,
                text(r.get_ref(1).map_err(e)?),
                r.get(2).map_err(e)?,
            ))),
            None => Ok(None),
        }),
    )?;
    let mut stmt = conn.prepare(PEOPLE).map_err(e)?;
    let mut rows = stmt.query([lo, hi]).map_err(e)?;
    let mut year = String::new();
    let mut idn = String::new();
    while let Some(r) = rows.next().map_err(e)? {
        let b = &mut batches.batch;
        let person = text(r.get_ref(0).map_err(e)?);
        b.push(person);
        let sealed = match r.get_ref(1).map_err(e)? {
            ValueRef::Blob(blob) => blob,
            _ => &[],
        };
        id_pseudonym(names, keys, person, sealed, &mut idn)?;
        b.push(&idn);
        year.clear();
        if let ValueRef::Integer(y) = r.get_ref(2).map_err(e)? {
            use std::fmt::Write;
            let _ = write!(year, "{y}");
        }
        b.push(&year);
        for i in [3, 4, 5] {
            b.push(text(r.get_ref(i).map_err(e)?));
        }
        b.push(areas.address_of(text(r.get_ref(6).map_err(e)?))?);
        if !batches.row_done() {
            return Ok(()); // the writer stopped
        }
    }
    Ok(())
}

// ---- PostgreSQL ----

/// A `Read` over the chunks of a COPY, for the CSV reader on a blocking thread.
struct CopyReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes>>,
    chunk: Bytes,
}

impl std::io::Read for CopyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(std::io::Error::other(e.to_string())),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// The people inside `scope`, pseudonymised, as CSV rows, from PostgreSQL: the people and the
/// areas each one `COPY … TO STDOUT (FORMAT csv)` on a connection of its own, both in one
/// snapshot.
pub(crate) async fn postgres_people_csv(
    pool: &sqlx::PgPool,
    scope: &AreaPath,
    names: &Pseudonyms,
    keys: Arc<Keyring>,
) -> Result<BoxStream<'static, Result<Bytes>>> {
    use futures::StreamExt;
    let (lo, hi) = scope.subtree_range();
    // COPY takes no parameters: the range is written into the statement. A path's characters
    // are base-36 digits and slashes only; anything else is refused.
    if !lo.bytes().chain(hi.bytes()).all(|b| b.is_ascii_alphanumeric() || b == b'/') {
        return Err(StoreError::Invalid(format!("an area path {lo:?}")));
    }
    let above: Vec<Place> = {
        let paths: Vec<&str> = paths_above(&lo).collect();
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT path, level, name FROM areas WHERE path = ANY($1) ORDER BY path")
                .bind(&paths)
                .fetch_all(pool)
                .await?;
        rows.into_iter().map(|(p, l, n)| Place::new(p, &l, n)).collect()
    };
    let copy = |select: &str| {
        format!(
            "COPY ({}) TO STDOUT (FORMAT csv)",
            select.replace("$1", &format!("'{lo}'")).replace("$2", &format!("'{hi}'"))
        )
    };
    let (people_stmt, areas_stmt) = (copy(PEOPLE), copy(AREAS));
    // Two connections in one snapshot: the first exports it, the second imports it.
    // The connections leave the pool: an export the client leaves half-way ends its COPY by
    // closing its connection, instead of handing the pool one that must first drain the rest.
    let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    let mut first = pool.acquire().await?.detach();
    sqlx::query(begin).execute(&mut first).await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut first).await?;
    let mut second = pool.acquire().await?.detach();
    sqlx::query(begin).execute(&mut second).await?;
    if !snapshot.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(StoreError::Invalid(format!("a snapshot name {snapshot:?}")));
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("SET TRANSACTION SNAPSHOT '{snapshot}'")))
        .execute(&mut second)
        .await?;

    let (people_tx, people_rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(16);
    let (areas_tx, areas_rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(16);
    for (mut conn, statement, tx) in [(first, people_stmt, people_tx), (second, areas_stmt, areas_tx)] {
        tokio::spawn(async move {
            let rows = match conn.copy_out_raw(&statement).await {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
            };
            // PostgreSQL sends a message a row: what has arrived goes on as one chunk, or the
            // channel's wake-ups would cost more than the rows.
            let mut ready = rows.ready_chunks(4096);
            while let Some(messages) = ready.next().await {
                let mut chunk =
                    bytes::BytesMut::with_capacity(messages.iter().flatten().map(Bytes::len).sum());
                let mut failed = None;
                for m in messages {
                    match m {
                        Ok(m) => chunk.extend_from_slice(&m),
                        Err(e) => failed = Some(e),
                    }
                }
                if tx.send(Ok(chunk.freeze())).await.is_err() {
                    return; // the export stopped: the connection closes as it is dropped
                }
                if let Some(e) = failed {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
            }
            drop(ready);
            let _ = sqlx::Connection::close(conn).await;
        });
    }
    let names = names.clone();
    Ok(chunk_stream(move |tx| {
        let read =
            |batches: &mut Batches<'_>| postgres_read(people_rx, areas_rx, above, &names, &keys, batches);
        write_people(&names, tx, read)
    }))
}

fn postgres_read(
    people: tokio::sync::mpsc::Receiver<Result<Bytes>>,
    areas: tokio::sync::mpsc::Receiver<Result<Bytes>>,
    above: Vec<Place>,
    names: &Pseudonyms,
    keys: &Keyring,
    batches: &mut Batches<'_>,
) -> Result<()> {
    let reader = |rx| {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(CopyReader { rx, chunk: Bytes::new() })
    };
    let e = |e: csv::Error| StoreError::Invalid(format!("reading the register: {e}"));
    let mut area_csv = reader(areas);
    let mut area = csv::StringRecord::new();
    let mut areas = AreaWalk::new(
        above,
        Box::new(move || {
            Ok(area_csv
                .read_record(&mut area)
                .map_err(e)?
                .then(|| Place::new(area[0].to_owned(), &area[1], area[2].to_owned())))
        }),
    )?;
    let mut people_csv = reader(people);
    let mut person = csv::StringRecord::new();
    let (mut sealed, mut idn) = (Vec::new(), String::new());
    while people_csv.read_record(&mut person).map_err(e)? {
        let b = &mut batches.batch;
        // COPY's CSV writes a bytea as `\x` and hex.
        let hex = person[1].strip_prefix("\\x").unwrap_or(&person[1]);
        sealed.resize(hex.len() / 2, 0);
        hex::decode_to_slice(hex, &mut sealed).map_err(|_| {
            StoreError::Sealed(format!("the ID number of {} is not a sealed value", &person[0]))
        })?;
        id_pseudonym(names, keys, &person[0], &sealed, &mut idn)?;
        b.push(&person[0]);
        b.push(&idn);
        for i in 2..6 {
            b.push(&person[i]);
        }
        b.push(areas.address_of(&person[6])?);
        if !batches.row_done() {
            return Ok(());
        }
    }
    Ok(())
}
