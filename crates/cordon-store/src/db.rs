//! Where the two backends meet, so that a query is written once. A [`Db`] is a pool of either
//! backend; a [`Query`] is SQL with `$n` placeholders (both drivers read them) and the values it
//! binds; rows come back as types deriving `sqlx::FromRow`, which reads a row of either backend.
//! What truly differs between the dialects is named here and nowhere else.
//!
//! A query runs on the pool or inside a transaction ([`Tx`]) alike: its `fetch_*` methods take
//! either ([`Ex`]). A row read without a `FromRow` type is a [`DbRow`], whose `try_get` reads a
//! column of either backend.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{ColumnIndex, Decode, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Type};

use crate::Result;

/// A pool of either backend. Cloning it clones the pool's handle.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    /// A PostgreSQL server, plain ([`POSTGRES`]) or a Citus coordinator ([`CITUS`]).
    Postgres(PgPool, &'static Dialect),
}

/// A value a query binds: the Rust types the store binds, each sent as its driver sends it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Bool(bool),
    OptBool(Option<bool>),
    Int(Option<i64>),
    /// Bound as a 32-bit integer: PostgreSQL's `integer` columns.
    Int32(Option<i32>),
    Float(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
}

impl From<Option<bool>> for Value {
    fn from(v: Option<bool>) -> Self {
        Value::OptBool(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int32(Some(v))
    }
}

impl From<Option<i32>> for Value {
    fn from(v: Option<i32>) -> Self {
        Value::Int32(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(Some(v))
    }
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        Value::Float(v)
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}

impl From<Option<&String>> for Value {
    fn from(v: Option<&String>) -> Self {
        Value::Text(v.cloned())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(Some(v.to_vec()))
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(Some(v))
    }
}

impl From<Option<DateTime<Utc>>> for Value {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Value::Time(v)
    }
}

impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Value::Date(Some(v))
    }
}

impl From<Option<NaiveDate>> for Value {
    fn from(v: Option<NaiveDate>) -> Self {
        Value::Date(v)
    }
}

/// A value bound by reference binds a copy of it.
impl<T: Clone + Into<Value>> From<&T> for Value {
    fn from(v: &T) -> Self {
        v.clone().into()
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}

impl From<Option<Vec<u8>>> for Value {
    fn from(v: Option<Vec<u8>>) -> Self {
        Value::Bytes(v)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Self {
        Value::Time(Some(v))
    }
}

/// SQL and the values it binds, in order. Its text is made only of the store's constants and
/// numbered placeholders (`query` and `insert_values` take `&'static str`), never of a value:
/// that is what makes it safe to hand to the driver as it is.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    sql: String,
    args: Vec<Value>,
}

/// A query of `sql`, binding nothing yet.
pub(crate) fn query(sql: &'static str) -> Query {
    Query { sql: sql.to_owned(), args: Vec::new() }
}

impl Query {
    /// A query whose text was put together at run time: from the store's constants, the
    /// dialect's words ([`Dialect`]) and numbered placeholders only, never from a value.
    pub(crate) fn dynamic(sql: impl AsRef<str>) -> Query {
        Query { sql: sql.as_ref().to_owned(), args: Vec::new() }
    }

    /// Binds the next `$n`.
    pub(crate) fn bind(mut self, v: impl Into<Value>) -> Self {
        self.args.push(v.into());
        self
    }

    /// Appends SQL text: a constant of the store's or a dialect's word.
    pub(crate) fn push(mut self, sql: &'static str) -> Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends the next placeholder (`$n`), binding `v` to it.
    pub(crate) fn push_bind(mut self, v: impl Into<Value>) -> Self {
        self.args.push(v.into());
        self.sql.push_str(&format!("${}", self.args.len()));
        self
    }

    /// Appends a placeholder per value, comma-separated (`$4, $5, $6`), binding each: the
    /// inside of an `IN (…)`.
    pub(crate) fn push_list<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.args.push(v.into());
            self.sql.push_str(&format!("${}", self.args.len()));
        }
        self
    }

    /// An `INSERT … VALUES (…), (…)` of `rows`, each a row's values (all of one length), between
    /// `head` (the statement up to `VALUES`) and `tail` (what follows the last row).
    pub(crate) fn insert_values(head: &'static str, rows: Vec<Vec<Value>>, tail: &'static str) -> Self {
        let mut sql = format!("{head} VALUES ");
        let mut args = Vec::new();
        for (i, row) in rows.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let first = args.len() + 1;
            let marks: Vec<String> = (first..first + row.len()).map(|n| format!("${n}")).collect();
            sql.push_str(&format!("({})", marks.join(", ")));
            args.extend(row);
        }
        sql.push(' ');
        sql.push_str(tail);
        Query { sql, args }
    }

    fn sqlite(&self) -> sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
        let q = match self.args.len() {
            n if n >= POSITIONAL_FROM => positional(&self.sql, n),
            _ => None,
        }
        .map_or_else(
            || sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str())),
            |sql| sqlx::query(sqlx::AssertSqlSafe(sql)),
        );
        self.args.iter().fold(q, |q, v| match v {
            Value::Bool(b) => q.bind(*b),
            Value::OptBool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Int32(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::Text(t) => q.bind(t.clone()),
            Value::Bytes(b) => q.bind(b.clone()),
            Value::Time(t) => q.bind(*t),
            Value::Date(d) => q.bind(*d),
        })
    }

    fn postgres(&self) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
        self.args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str())), |q, v| match v {
            Value::Bool(b) => q.bind(*b),
            Value::OptBool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Int32(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::Text(t) => q.bind(t.clone()),
            Value::Bytes(b) => q.bind(b.clone()),
            Value::Time(t) => q.bind(*t),
            Value::Date(d) => q.bind(*d),
        })
    }
}

/// Placeholders from which a SQLite statement is sent with `?` rather than `$n` (see
/// [`positional`]); below it, the text is sent as written, so the driver's statement cache
/// keeps the same key.
const POSITIONAL_FROM: usize = 64;

/// The statement with its `$1 … $n` written `?`, when they stand in that order, each once (as
/// [`Query::insert_values`] and [`Query::push_list`] write them); otherwise none.
///
/// Why: SQLite keeps a statement's named parameters (`$1` is a name to it) in a list it searches
/// from the start, once per parameter as it parses the statement and again for each value sqlx
/// binds, since sqlx asks every parameter's name. A bulk insert of 500 people binds 6,500 values:
/// 21 M steps a statement, a quarter of a tiny demo's load. Anonymous `?` parameters are kept in
/// no list. A `$n` inside a string literal is left alone.
fn positional(sql: &str, n: usize) -> Option<String> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut next, mut quoted, mut copied) = (1usize, false, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'$' if !quoted => {
                let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if digits > 0 {
                    let number: usize = sql[i + 1..i + 1 + digits].parse().ok()?;
                    if number != next {
                        return None;
                    }
                    next += 1;
                    out.push_str(&sql[copied..i]);
                    out.push('?');
                    i += 1 + digits;
                    copied = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    (next == n + 1).then_some(out)
}

/// A transaction of either backend. Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>, &'static Dialect),
}

impl Tx {
    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx, _) => tx.rollback().await?,
        }
        Ok(())
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx, _) => tx.commit().await?,
        }
        Ok(())
    }

    pub(crate) fn dialect(&self) -> &'static Dialect {
        match self {
            Tx::Sqlite(_) => &SQLITE,
            Tx::Postgres(_, dialect) => dialect,
        }
    }
}

/// Where a query runs: on the pool (a connection of its own) or inside a transaction.
pub(crate) enum Ex<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl Ex<'_> {
    /// The same place again, for one more statement.
    pub(crate) fn again(&mut self) -> Ex<'_> {
        match self {
            Ex::Db(db) => Ex::Db(db),
            Ex::Tx(tx) => Ex::Tx(tx),
        }
    }
}

impl<'a> From<&'a Db> for Ex<'a> {
    fn from(db: &'a Db) -> Self {
        Ex::Db(db)
    }
}

impl<'a> From<&'a mut Tx> for Ex<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Ex::Tx(tx)
    }
}

/// A value both backends decode.
pub(crate) trait Both:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Both for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A row of either backend, read column by column.
#[derive(Debug)]
pub(crate) enum DbRow {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl DbRow {
    /// The whole row as a `T` (a `sqlx::FromRow` type).
    pub(crate) fn read<T: Row>(&self) -> Result<T> {
        Ok(match self {
            DbRow::Sqlite(r) => T::from_row(r)?,
            DbRow::Postgres(r) => T::from_row(r)?,
        })
    }

    /// The array in a column, which only PostgreSQL has (`Dialect::arrays`): a group's column
    /// read in the binary form, with no text built or parsed. On SQLite, an error.
    pub(crate) fn try_get_array<'r, T>(&'r self, index: &str) -> Result<Option<Vec<T>>, sqlx::Error>
    where
        Vec<T>: Decode<'r, Postgres> + Type<Postgres>,
    {
        use sqlx::Row as _;
        match self {
            DbRow::Postgres(r) => r.try_get(index),
            DbRow::Sqlite(_) => {
                Err(sqlx::Error::Decode(format!("column {index}: SQLite has no arrays").into()))
            }
        }
    }

    /// The value of a column (by name or index) as `T`, which both backends decode.
    /// (`T` may borrow from the row: a `&str` reads a text column without a copy.)
    pub(crate) fn try_get<'r, T, I>(&'r self, index: I) -> Result<T, sqlx::Error>
    where
        I: ColumnIndex<SqliteRow> + ColumnIndex<PgRow>,
        T: Decode<'r, Sqlite> + Type<Sqlite> + Decode<'r, Postgres> + Type<Postgres>,
    {
        use sqlx::Row as _;
        match self {
            DbRow::Sqlite(r) => r.try_get(index),
            DbRow::Postgres(r) => r.try_get(index),
        }
    }
}

impl Query {
    /// Runs the query; the rows it changed.
    pub(crate) async fn execute<'a>(self, ex: impl Into<Ex<'a>>) -> Result<Done> {
        let n = match ex.into() {
            Ex::Db(Db::Sqlite(pool)) => self.sqlite().execute(pool).await?.rows_affected(),
            Ex::Db(Db::Postgres(pool, _)) => self.postgres().execute(pool).await?.rows_affected(),
            Ex::Tx(Tx::Sqlite(tx)) => self.sqlite().execute(&mut **tx).await?.rows_affected(),
            Ex::Tx(Tx::Postgres(tx, _)) => self.postgres().execute(&mut **tx).await?.rows_affected(),
        };
        Ok(Done(n))
    }

    /// Every row.
    pub(crate) async fn fetch_all<'a>(self, ex: impl Into<Ex<'a>>) -> Result<Vec<DbRow>> {
        Ok(match ex.into() {
            Ex::Db(Db::Sqlite(pool)) => sqlite_rows(self.sqlite().fetch_all(pool).await?),
            Ex::Db(Db::Postgres(pool, _)) => pg_rows(self.postgres().fetch_all(pool).await?),
            Ex::Tx(Tx::Sqlite(tx)) => sqlite_rows(self.sqlite().fetch_all(&mut **tx).await?),
            Ex::Tx(Tx::Postgres(tx, _)) => pg_rows(self.postgres().fetch_all(&mut **tx).await?),
        })
    }

    /// The first row, if any.
    pub(crate) async fn fetch_optional<'a>(self, ex: impl Into<Ex<'a>>) -> Result<Option<DbRow>> {
        Ok(match ex.into() {
            Ex::Db(Db::Sqlite(pool)) => self.sqlite().fetch_optional(pool).await?.map(DbRow::Sqlite),
            Ex::Db(Db::Postgres(pool, _)) => self.postgres().fetch_optional(pool).await?.map(DbRow::Postgres),
            Ex::Tx(Tx::Sqlite(tx)) => self.sqlite().fetch_optional(&mut **tx).await?.map(DbRow::Sqlite),
            Ex::Tx(Tx::Postgres(tx, _)) => {
                self.postgres().fetch_optional(&mut **tx).await?.map(DbRow::Postgres)
            }
        })
    }

    /// The first row; an error when there is none.
    pub(crate) async fn fetch_one<'a>(self, ex: impl Into<Ex<'a>>) -> Result<DbRow> {
        self.fetch_optional(ex).await?.ok_or(crate::StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// The first column of the first row, if any.
    pub(crate) async fn scalar_optional<'a, T>(self, ex: impl Into<Ex<'a>>) -> Result<Option<T>>
    where
        T: Both,
    {
        Ok(self.fetch_optional(ex).await?.map(|r| r.try_get(0)).transpose()?)
    }

    /// The first column of the first row; an error when there is none.
    pub(crate) async fn scalar_one<'a, T>(self, ex: impl Into<Ex<'a>>) -> Result<T>
    where
        T: Both,
    {
        Ok(self.fetch_one(ex).await?.try_get(0)?)
    }
}

/// What a statement did: the rows it changed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done(u64);

impl Done {
    pub(crate) fn rows_affected(&self) -> u64 {
        self.0
    }
}

fn sqlite_rows(rows: Vec<SqliteRow>) -> Vec<DbRow> {
    rows.into_iter().map(DbRow::Sqlite).collect()
}

fn pg_rows(rows: Vec<PgRow>) -> Vec<DbRow> {
    rows.into_iter().map(DbRow::Postgres).collect()
}

/// What the two dialects write differently, named once. Everything else is the same SQL.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// PostgreSQL: the rows a statement takes are locked with `FOR UPDATE`; SQLite holds the
    /// whole database from `BEGIN IMMEDIATE` and has no such clause.
    pub postgres: bool,
    /// A text column that compares byte by byte, as the area paths' ranges need.
    pub text_c: &'static str,
    /// A column type for a moment.
    pub time_type: &'static str,
    /// The rows of a JSON array bound as `$1`, each as `value`.
    pub json_rows: &'static str,
    /// The rows of a group as the text of one JSON array, each row an array of the columns put
    /// in place of `{}` (none when the group is empty: `[]` on SQLite, NULL on PostgreSQL).
    /// Times come out as RFC 3339 on both.
    pub json_group: &'static str,
    /// Whether a group's columns can come back as arrays, one a column (PostgreSQL, in its
    /// binary form: read with `DbRow::try_get_array`, no text built or parsed) — where a read
    /// of a million grouped rows wants them so; SQLite has none, and sends `json_group`.
    pub arrays: bool,
    /// Run first in a read transaction whose statement goes side by side with others of its
    /// kind, so the database does not also split it across workers of its own (PostgreSQL's
    /// parallel query: on the release's pages, worker start-ups for a few thousand rows and
    /// more processes than cores); nothing on SQLite, which has no such workers (and where a
    /// transaction would take the write lock).
    pub serial_read: &'static str,
    /// Run first in a bulk load's transaction, when not empty. A Citus coordinator then reaches
    /// its own copies of the reference tables over a connection, as it does the workers'
    /// shards: a load that wrote the area tree in-process could not then write it on every node
    /// at once.
    pub bulk_load: &'static str,
    /// Whether a load analyses the tables it filled before it commits, so that its own next
    /// statements are planned for the rows it wrote (PostgreSQL). A Citus coordinator will not
    /// analyse in a transaction that has written its own tables in-process: there the load
    /// analyses them just after it commits. Not on SQLite, whose planner reads no such
    /// statistics mid-load.
    pub analyze_in_load: bool,
    /// The hour of `at` as `YYYY-MM-DDTHH` (UTC).
    pub hour_of_at: &'static str,
    /// Appended to a SELECT whose rows a transaction then changes.
    pub for_update: &'static str,
    /// Appended to a table name to keep the planner off its indexes (SQLite's `NOT INDEXED`).
    pub not_indexed: &'static str,
    /// A new random identifier, as text.
    pub new_id: &'static str,
    /// False, as a literal.
    pub no: &'static str,
    /// The purge's maps of old to new ids and fine to coarse places (`retention.rs`), made in
    /// its transaction, and what drops them after (PostgreSQL's go at the commit).
    pub purge_maps: &'static str,
    pub purge_drop_maps: &'static str,
    /// Rewrites the files after the purge, so deleted values leave the pages they were in.
    pub purge_vacuum: &'static str,
    /// Counts the clear ID-number column of a register from before migration 0014 (`sealing.rs`).
    pub has_clear_columns: &'static str,
    /// Drops the clear columns once their values are sealed.
    pub drop_clear_columns: &'static [&'static str],
    /// Rewrites the files after the sealing, so clear values leave the pages they were in.
    pub seal_vacuum: &'static str,
}

pub(crate) static SQLITE: Dialect = Dialect {
    postgres: false,
    text_c: "TEXT",
    time_type: "TEXT",
    json_rows: "json_each($1)",
    json_group: "json_group_array(json_array({}))",
    arrays: false,
    serial_read: "",
    bulk_load: "",
    analyze_in_load: false,
    hour_of_at: "substr(at, 1, 13)",
    for_update: "",
    not_indexed: " NOT INDEXED",
    new_id: "'x' || lower(hex(randomblob(16)))",
    no: "0",
    purge_maps: "CREATE TEMP TABLE purge_people (old TEXT PRIMARY KEY, new TEXT NOT NULL); \
           CREATE TEMP TABLE purge_places (fine TEXT PRIMARY KEY, coarse TEXT NOT NULL, code TEXT NOT NULL)",
    purge_drop_maps: "DROP TABLE temp.purge_people; DROP TABLE temp.purge_places",
    purge_vacuum: "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE)",
    has_clear_columns: "SELECT count(*) FROM pragma_table_info('people') WHERE name = 'id_number'",
    drop_clear_columns: &[
        "ALTER TABLE people DROP COLUMN id_number",
        "ALTER TABLE people DROP COLUMN phone",
        "ALTER TABLE needs DROP COLUMN contact_phone",
    ],
    seal_vacuum: "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE)",
};

pub(crate) static POSTGRES: Dialect = POSTGRES_FIELDS;

const POSTGRES_FIELDS: Dialect = Dialect {
    postgres: true,
    text_c: "TEXT COLLATE \"C\"",
    time_type: "TIMESTAMPTZ",
    json_rows: "json_array_elements($1::json) AS j(value)",
    json_group: "CAST(json_agg(json_build_array({})) AS TEXT)",
    arrays: true,
    serial_read: "SET LOCAL max_parallel_workers_per_gather = 0",
    bulk_load: "",
    analyze_in_load: true,
    hour_of_at: "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')",
    for_update: " FOR UPDATE",
    not_indexed: "",
    new_id: "'x' || replace(gen_random_uuid()::text, '-', '')",
    no: "false",
    purge_maps: "CREATE TEMP TABLE purge_people (old TEXT COLLATE \"C\" PRIMARY KEY, \
           new TEXT COLLATE \"C\" NOT NULL) ON COMMIT DROP; \
           CREATE TEMP TABLE purge_places (fine TEXT COLLATE \"C\" PRIMARY KEY, coarse TEXT COLLATE \"C\" NOT NULL, \
           code TEXT NOT NULL) ON COMMIT DROP",
    purge_drop_maps: "",
    purge_vacuum: "VACUUM FULL people; VACUUM FULL scans; VACUUM FULL case_segments; VACUUM FULL gate_presence; \
             VACUUM FULL gate_passages; VACUUM FULL gate_passes; VACUUM FULL needs; VACUUM FULL need_events; \
             VACUUM FULL case_events; VACUUM FULL cases; VACUUM FULL contacts; VACUUM FULL samples; \
             VACUUM FULL test_tasks; VACUUM FULL zones; VACUUM FULL zone_events; VACUUM FULL proposals",
    has_clear_columns: "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = 'people' AND column_name = 'id_number'",
    drop_clear_columns: &[
        "ALTER TABLE people DROP COLUMN id_number, DROP COLUMN phone",
        "ALTER TABLE needs DROP COLUMN contact_phone",
    ],
    seal_vacuum: "VACUUM FULL people; VACUUM FULL needs",
};

/// PostgreSQL as a Citus coordinator: the same SQL, with what Citus's planner and executor
/// need of a transaction (`citus.rs` places the tables).
pub(crate) static CITUS: Dialect = Dialect {
    bulk_load: "SET LOCAL citus.enable_local_execution = off",
    analyze_in_load: false,
    ..POSTGRES_FIELDS
};

/// What a backend's store gives the capability stores, which are written once over [`Db`].
pub(crate) trait Backed: Send + Sync {
    fn db(&self) -> &Db;
    fn keys(&self) -> &crate::Keyring;
}

/// A row type either backend reads.
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl Db {
    /// Opens a write transaction. SQLite's takes the write lock at once (`BEGIN IMMEDIATE`):
    /// taken at the first write instead, two transactions that both read first would deadlock,
    /// one failing with SQLITE_BUSY mid-way.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool, dialect) => Tx::Postgres(pool.begin().await?, dialect),
        })
    }

    pub(crate) fn dialect(&self) -> &'static Dialect {
        match self {
            Db::Sqlite(_) => &SQLITE,
            Db::Postgres(_, dialect) => dialect,
        }
    }

    /// Runs `q`; the rows it changed.
    pub(crate) async fn execute(&self, q: Query) -> Result<u64> {
        Ok(q.execute(self).await?.rows_affected())
    }

    /// The first row of `q`, if any, as a `T`.
    pub(crate) async fn fetch_optional<T: Row>(&self, q: Query) -> Result<Option<T>> {
        q.fetch_optional(self).await?.as_ref().map(DbRow::read).transpose()
    }

    /// Every row of `q`, each as a `T`.
    pub(crate) async fn fetch_all<T: Row>(&self, q: Query) -> Result<Vec<T>> {
        q.fetch_all(self).await?.iter().map(DbRow::read).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_values_are_numbered_in_order() {
        let q = Query::insert_values(
            "INSERT INTO t (a, b)",
            vec![vec![1i64.into(), "x".into()], vec![2i64.into(), "y".into()]],
            "ON CONFLICT DO NOTHING",
        );
        assert_eq!(q.sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING");
        assert_eq!(q.args, vec![Value::Int(Some(1)), "x".into(), Value::Int(Some(2)), "y".into()]);
    }

    #[test]
    fn placeholders_in_order_each_once_become_positional_on_sqlite() {
        assert_eq!(
            positional("INSERT INTO t VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING", 4).as_deref(),
            Some("INSERT INTO t VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING")
        );
        assert_eq!(
            positional("SELECT '$9', x FROM t WHERE a IN ($1, $2) AND b = json_extract(c, '$.d')", 2)
                .as_deref(),
            Some("SELECT '$9', x FROM t WHERE a IN (?, ?) AND b = json_extract(c, '$.d')"),
            "a literal keeps its dollars"
        );
        assert_eq!(positional("SELECT $1 WHERE $1 = a", 1), None, "a placeholder used twice");
        assert_eq!(positional("SELECT $2, $1", 2), None, "out of order");
        assert_eq!(positional("SELECT $1, $2", 3), None, "fewer placeholders than values");
        let many = Query::dynamic("SELECT x FROM t WHERE a IN (").push_list(1..=70i64).push(")");
        let sql = positional(&many.sql, many.args.len()).unwrap();
        assert_eq!(sql.matches('?').count(), 70);
        assert!(!sql.contains('$'));
    }
}
