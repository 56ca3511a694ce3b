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

    // ---- the Citus plan (citus.rs), checked here: citus.rs names no backend ----

    use crate::citus::{PLAN, Placement};
    use crate::db::Db;

    async fn open(prefix: &str) -> Option<(crate::store::SqlStore, sqlx::PgPool)> {
        let url = super::scratch_database(prefix).await?;
        let store = super::open(&url, std::sync::Arc::new(crate::Keyring::generate())).await.unwrap();
        let Db::Postgres(pool, _) = store.db() else { unreachable!("a PostgreSQL URL") };
        let pool = pool.clone();
        Some((store, pool))
    }

    /// A column of the schema: `None` when the table has no such column, else its collation.
    async fn column(pool: &sqlx::PgPool, table: &str, column: &str) -> Option<Option<String>> {
        sqlx::query_scalar(
            "SELECT collation_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
        )
        .bind(table)
        .bind(column)
        .fetch_optional(pool)
        .await
        .unwrap()
    }

    /// Every table the plan places, and every column it distributes by, is in the schema the
    /// migrations make, the column byte-ordered as every code column is: a table renamed or a
    /// column retyped would otherwise be found on a cluster only.
    #[tokio::test]
    async fn the_plan_names_what_the_schema_has() {
        let Some((_store, pool)) = open("cordon_citus_plan").await else { return };
        for table in PLAN {
            let found: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1",
            )
            .bind(table.name)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(found, 1, "the plan places {}, which the migrations do not make", table.name);
            for key in table.key.unwrap_or(&[]) {
                assert!(column(&pool, table.name, key).await.is_some(), "{}.{key}", table.name);
            }
            if let Placement::By { column: by, colocate_with } = table.placement {
                let collation = column(&pool, table.name, by).await;
                assert_eq!(collation, Some(Some("C".to_owned())), "{}.{by}", table.name);
                if let Some(beside) = colocate_with {
                    assert!(PLAN.iter().any(|t| t.name == beside), "{} beside {beside}", table.name);
                }
            }
        }
    }

    /// On a Citus coordinator (`CORDON_TEST_PG` naming one, as CI's cluster step does): the
    /// store placed every table of the plan as it says when it opened, and placing again changes
    /// nothing. On a plain server there is nothing to place, and `distribute` says why.
    #[tokio::test]
    async fn placed_as_planned_and_placing_again_changes_nothing() {
        let Some((_store, pool)) = open("cordon_citus_placed").await else { return };
        let again = crate::citus::distribute(&pool).await;
        if !crate::citus::present(&pool).await.unwrap() {
            let e = again.unwrap_err().to_string();
            assert!(e.contains("no Citus extension"), "{e}");
            return;
        }
        let again = again.unwrap();
        assert!(again.placed.is_empty(), "placed again: {:?}", again.placed);
        for table in PLAN {
            let (kind, by) = match table.placement {
                Placement::Reference => ("reference", "<none>"),
                Placement::By { column, .. } => ("distributed", column),
            };
            assert!(
                again.tables.iter().any(|(t, k, c)| t == table.name && k == kind && c == by),
                "{} is not {kind} by {by}: {:?}",
                table.name,
                again.tables
            );
        }
    }
}
