//! The production backend: PostgreSQL (15 and later). What differs from SQLite beyond how it
//! opens is named in `db.rs` (its dialect) and nowhere else.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::db::Db;
use crate::store::SqlStore;
use crate::{Keyring, Result, StoreError};

/// Connects to the PostgreSQL database `url` names and migrates it.
pub(crate) async fn open(url: &str, keys: Arc<Keyring>) -> Result<SqlStore> {
    // No JIT compiling: Cordon's statements are index seeks over a few thousand rows, whose
    // estimated cost still crosses `jit_above_cost` once the tables are analysed, and compiling
    // then costs more than the statement (1.3 s against 0.46 s for a page of the nightly release
    // of contacts, measured; 21 s a night instead of a few).
    let options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    SqlStore::ready(Db::Postgres(pool), keys, None).await
}

/// A connection to a PostgreSQL server's maintenance database, for making databases (tests,
/// `cordon demo` on a server without the database yet).
pub struct PgAdmin {
    pool: PgPool,
}

impl PgAdmin {
    /// Connects to `server` (a URL without a database name) through its `postgres` database.
    pub async fn connect(server: &str) -> Result<PgAdmin> {
        let url = format!("{}/postgres", server.trim_end_matches('/'));
        let pool = PgPoolOptions::new().max_connections(1).connect(&url).await?;
        Ok(PgAdmin { pool })
    }

    pub async fn create_database(&self, name: &str) -> Result<()> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(StoreError::Invalid(format!("{name:?} is not a database name Cordon makes")));
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&self.pool).await?;
        Ok(())
    }
}
