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
    let connect = |options: PgConnectOptions| {
        PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(5)).connect_with(options)
    };
    let mut pool = connect(options.clone()).await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    // On a Citus coordinator the tables are placed on the cluster before anything is written
    // (a no-op once done), and every transaction runs its statements over many shards one
    // connection per worker: Citus refuses, in a transaction that has touched several shards
    // of a table at once, to write a table tied to a reference table (the register's change
    // and its outbox message, say), and Cordon's transactions do both. A read that joins two
    // tables on a person's id rather than on their district (a person moved since the sample)
    // is repartitioned between the workers rather than refused.
    let mut dialect = &crate::db::POSTGRES;
    if crate::citus::present(&pool).await? {
        dialect = &crate::db::CITUS;
        crate::citus::distribute(&pool).await?;
        pool.close().await;
        pool = connect(options.options([
            ("citus.multi_shard_modify_mode", "sequential"),
            ("citus.enable_repartition_joins", "on"),
        ]))
        .await?;
    }
    SqlStore::ready(Db::Postgres(pool, dialect), keys, None).await
}

/// Migrates the PostgreSQL database `url` names and places its tables on the Citus cluster it
/// belongs to (`cordon citus distribute`): re-runnable, it does only what is not done yet.
pub async fn distribute(url: &str) -> Result<crate::citus::Distributed> {
    let pool = PgPoolOptions::new().max_connections(2).connect_with(PgConnectOptions::from_str(url)?).await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    let done = crate::citus::distribute(&pool).await;
    pool.close().await;
    done
}

/// A connection to a PostgreSQL server's maintenance database, for making databases (tests,
/// `cordon demo` on a server without the database yet).
pub struct PgAdmin {
    pool: PgPool,
    server: String,
}

impl PgAdmin {
    /// Connects to `server` (a URL without a database name) through its `postgres` database.
    pub async fn connect(server: &str) -> Result<PgAdmin> {
        let url = format!("{}/postgres", server.trim_end_matches('/'));
        let pool = PgPoolOptions::new().max_connections(1).connect(&url).await?;
        Ok(PgAdmin { pool, server: server.trim_end_matches('/').to_owned() })
    }

    pub async fn create_database(&self, name: &str) -> Result<()> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(StoreError::Invalid(format!("{name:?} is not a database name Cordon makes")));
        }
        // On a Citus coordinator, a database is the cluster's only with the extension and the
        // workers in it: without them its tables would all stay on the coordinator.
        if crate::citus::present(&self.pool).await? {
            return crate::citus::create_database(&self.pool, &self.server, name).await;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&self.pool).await?;
        Ok(())
    }
}

/// A fresh database on the test server (`CORDON_TEST_PG`), named `{prefix}_{random}`: its URL,
/// or none where no server is given (never in CI).
#[cfg(test)]
pub(crate) async fn scratch_database(prefix: &str) -> Option<String> {
    let Ok(server) = std::env::var("CORDON_TEST_PG") else {
        assert!(std::env::var("CI").is_err(), "CI must set CORDON_TEST_PG");
        return None;
    };
    let name = format!("{prefix}_{}", rand::random::<u64>());
    PgAdmin::connect(&server).await.unwrap().create_database(&name).await.unwrap();
    Some(format!("{}/{name}", server.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use crate::db::{Backed, query};

    /// Every connection of the pool runs without JIT: with it, a page of the nightly release of
    /// contacts spent 1.3 s compiling, once the tables had statistics.
    #[tokio::test]
    async fn connections_run_without_jit() {
        let Some(url) = super::scratch_database("cordon_jit").await else { return };
        let store = super::open(&url, std::sync::Arc::new(crate::Keyring::generate())).await.unwrap();
        // Statements at once, so that they take several of the pool's connections.
        let shows = (0..4).map(|_| async { query("SHOW jit").fetch_one(store.db()).await.unwrap() });
        for row in futures::future::join_all(shows).await {
            assert_eq!(row.try_get::<String, _>(0).unwrap(), "off");
        }
    }
}
