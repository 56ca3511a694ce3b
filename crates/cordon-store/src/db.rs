//! Where the two backends meet, so that a query is written once. A [`Db`] is a pool of either
//! backend; a [`Query`] is SQL with `$n` placeholders (both drivers read them) and the values it
//! binds; rows come back as types deriving `sqlx::FromRow`, which reads a row of either backend.
//! What truly differs between the dialects is named here and nowhere else.
//!
//! The modules written this way (`rights`, `second_factor`) call it; the others still expand a
//! macro per backend, and move here one by one.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, PgPool, SqlitePool};

use crate::Result;

/// A pool of either backend. Cloning it clones the pool's handle.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A value a query binds: the Rust types the store binds, each sent as its driver sends it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Bool(bool),
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Time(Option<DateTime<Utc>>),
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
    /// Binds the next `$n`.
    pub(crate) fn bind(mut self, v: impl Into<Value>) -> Self {
        self.args.push(v.into());
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
        self.args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str())), |q, v| match v {
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Text(t) => q.bind(t.clone()),
            Value::Bytes(b) => q.bind(b.clone()),
            Value::Time(t) => q.bind(*t),
        })
    }

    fn postgres(&self) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
        self.args.iter().fold(sqlx::query(sqlx::AssertSqlSafe(self.sql.as_str())), |q, v| match v {
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Text(t) => q.bind(t.clone()),
            Value::Bytes(b) => q.bind(b.clone()),
            Value::Time(t) => q.bind(*t),
        })
    }
}

/// A row type either backend reads.
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl Db {
    /// Runs `q`; the rows it changed.
    pub(crate) async fn execute(&self, q: Query) -> Result<u64> {
        Ok(match self {
            Db::Sqlite(pool) => q.sqlite().execute(pool).await?.rows_affected(),
            Db::Postgres(pool) => q.postgres().execute(pool).await?.rows_affected(),
        })
    }

    /// The first row of `q`, if any.
    pub(crate) async fn fetch_optional<T: Row>(&self, q: Query) -> Result<Option<T>> {
        Ok(match self {
            Db::Sqlite(pool) => {
                q.sqlite().fetch_optional(pool).await?.map(|r| T::from_row(&r)).transpose()?
            }
            Db::Postgres(pool) => {
                q.postgres().fetch_optional(pool).await?.map(|r| T::from_row(&r)).transpose()?
            }
        })
    }

    /// Every row of `q`.
    pub(crate) async fn fetch_all<T: Row>(&self, q: Query) -> Result<Vec<T>> {
        Ok(match self {
            Db::Sqlite(pool) => {
                q.sqlite().fetch_all(pool).await?.iter().map(T::from_row).collect::<Result<_, _>>()?
            }
            Db::Postgres(pool) => {
                q.postgres().fetch_all(pool).await?.iter().map(T::from_row).collect::<Result<_, _>>()?
            }
        })
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
}
