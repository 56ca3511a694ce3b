//! The PostgreSQL backend on a Citus cluster (a coordinator and workers): which tables are
//! spread over the workers, by what, and what of the schema Citus cannot keep.
//!
//! Migrations stay plain PostgreSQL. Distribution is a step of its own, [`distribute`], run when
//! a store opens a database that has the `citus` extension (and by `cordon citus distribute`):
//! it re-runs safely, doing only what is not done yet.
//!
//! The plan ([`PLAN`]) places venue-code scans by venue (a venue's scans on one shard, read by
//! every worker at once when the server loads its trace index), the log of gate decisions by the
//! gate's district, and the area tree and the other small tables every query joins as reference
//! tables, a copy on every node. Everything else stays on the coordinator for now: the register
//! and what hangs off a household go by district once the reads that Citus cannot yet plan on
//! them are rewritten (ARCHITECTURE.md, "Citus and the store", lists them).
//!
//! What Citus cannot keep, and what the step does instead (each named in the plan's entry):
//! - a primary key without the distribution column: the key gains it (`Table::key`; the scans'
//!   id alone was their key);
//! - a foreign key into a distributed table from a table not beside it, or a unique index
//!   without the distribution column: dropped or rebuilt with it (`Table::adapt`);
//! - a row with no value in the distribution column: refused (the column is made `NOT NULL`).

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool};

use crate::{Result, StoreError};

/// Where a table lives on the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A copy on every node: small, read by joins everywhere, written rarely.
    Reference,
    /// Hash-distributed by `column`, its shards beside those of `colocate_with` (its first
    /// table when none).
    By { column: &'static str, colocate_with: Option<&'static str> },
}

/// One table of the plan.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub name: &'static str,
    pub placement: Placement,
    /// Its primary key on the cluster, when it must gain the distribution column.
    pub key: Option<&'static [&'static str]>,
    /// Constraints and indexes Citus refuses, dropped before the table is distributed (each
    /// statement re-runs safely).
    pub adapt: &'static [&'static str],
}

const fn reference(name: &'static str) -> Table {
    Table { name, placement: Placement::Reference, key: None, adapt: &[] }
}

/// The tables Cordon spreads over a cluster; every table not named stays on the coordinator.
pub const PLAN: &[Table] = &[
    reference("areas"),
    reference("profiles"),
    reference("role_rights"),
    reference("workers"),
    reference("users"),
    reference("gates"),
    reference("venues"),
    reference("test_rounds"),
    reference("scan_files"),
    // The log of gate decisions, by the district of the gate: three or more rows a resident a
    // day while a city is sealed, written at every gate at once and read by gate, by area or
    // by person. The register it names stays on the coordinator for now (ARCHITECTURE.md,
    // "Citus and the store", says what keeps it there).
    Table {
        name: "gate_passages",
        placement: Placement::By { column: "district_code", colocate_with: None },
        key: Some(&["district_code", "id"]),
        adapt: &[
            "ALTER TABLE gate_presence DROP CONSTRAINT IF EXISTS gate_presence_passage_id_fkey",
            "DROP INDEX IF EXISTS gate_passages_device_action",
            "CREATE UNIQUE INDEX gate_passages_device_action ON gate_passages (district_code, device_action)",
        ],
    },
    Table {
        name: "scans",
        placement: Placement::By { column: "venue_id", colocate_with: None },
        key: Some(&["venue_id", "id"]),
        adapt: &[],
    },
];

/// Whether the database `pool` opens has the Citus extension.
pub(crate) async fn present(pool: &PgPool) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_extension WHERE extname = 'citus'")
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// What [`distribute`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distributed {
    /// Tables made reference or distributed tables now (none when it ran before).
    pub placed: Vec<&'static str>,
    /// How each of the plan's tables lives on the cluster: name, `reference` or
    /// `distributed`, and its distribution column.
    pub tables: Vec<(String, String, String)>,
}

/// Places the tables of [`PLAN`] on the cluster the database belongs to: what is placed already
/// is left as it is.
pub(crate) async fn distribute(pool: &PgPool) -> Result<Distributed> {
    if !present(pool).await? {
        return Err(StoreError::Invalid(
            "this database has no Citus extension: CREATE EXTENSION citus on a Citus coordinator first"
                .into(),
        ));
    }
    let mut done = Distributed::default();
    for table in PLAN {
        if placed(pool, table).await? {
            continue;
        }
        // Statement by statement, not in one transaction: Citus will not distribute a table in
        // a transaction that has changed the tables around it (each step re-runs safely, so a
        // step stopped half-way is finished by the next run).
        let mut conn = pool.acquire().await?;
        for ddl in table.adapt {
            sqlx::query(AssertSqlSafe(*ddl)).execute(&mut *conn).await?;
        }
        if let Placement::By { column, .. } = table.placement {
            let sql = format!("ALTER TABLE {} ALTER COLUMN {column} SET NOT NULL", table.name);
            sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await?;
        }
        if let Some(key) = table.key {
            rekey(&mut conn, table.name, key).await?;
        }
        let place = match table.placement {
            Placement::Reference => format!("SELECT create_reference_table('{}')", table.name),
            Placement::By { column, colocate_with } => format!(
                "SELECT create_distributed_table('{}', '{column}', colocate_with => '{}')",
                table.name,
                colocate_with.unwrap_or("none")
            ),
        };
        sqlx::query(AssertSqlSafe(place)).execute(&mut *conn).await?;
        if let Placement::By { .. } = table.placement {
            // A table placed with rows in it (a database restored from a dump, say) has them
            // copied to its shards; the coordinator's own copy goes. Not for a reference table:
            // truncating it would cascade to the tables that refer to it.
            let sql = format!("SELECT truncate_local_data_after_distributing_table('{}')", table.name);
            sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await?;
        }
        tracing::info!(table = table.name, "placed on the Citus cluster");
        done.placed.push(table.name);
    }
    done.tables = sqlx::query_as(
        "SELECT table_name::text, citus_table_type, distribution_column FROM citus_tables \
         WHERE citus_table_type <> 'local' ORDER BY 2, 1",
    )
    .fetch_all(pool)
    .await?;
    Ok(done)
}

/// Whether `table` is placed as the plan says. A table joined by a foreign key to a reference
/// table is in Citus's metadata already, as a "Citus local" table on the coordinator: that is
/// not placed.
async fn placed(pool: &PgPool, table: &Table) -> Result<bool> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT partmethod::text, repmodel::text FROM pg_dist_partition WHERE logicalrelid = $1::regclass",
    )
    .bind(table.name)
    .fetch_optional(pool)
    .await?;
    Ok(match (row, table.placement) {
        (Some((method, model)), Placement::Reference) => method == "n" && model == "t",
        (Some((method, _)), Placement::By { .. }) => method == "h",
        (None, _) => false,
    })
}

/// Makes `key` the table's primary key, unless it is already.
async fn rekey(conn: &mut sqlx::PgConnection, table: &str, key: &[&str]) -> Result<()> {
    let current: Option<(String, Vec<String>)> = sqlx::query_as(
        "SELECT c.conname::text, array_agg(a.attname::text ORDER BY k.ord) \
         FROM pg_constraint c \
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         WHERE c.conrelid = $1::regclass AND c.contype = 'p' GROUP BY c.conname",
    )
    .bind(table)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((name, columns)) = &current {
        if columns.iter().map(String::as_str).eq(key.iter().copied()) {
            return Ok(());
        }
        let sql = format!("ALTER TABLE {table} DROP CONSTRAINT {name}");
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await?;
    }
    let sql = format!("ALTER TABLE {table} ADD PRIMARY KEY ({})", key.join(", "));
    sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await?;
    Ok(())
}

/// Makes `name` on a Citus coordinator a database of the cluster: the database on every worker
/// (Citus propagates `CREATE DATABASE` when `citus.enable_create_database_propagation` is on,
/// which `scripts/citus-up.sh` sets), the extension in it on every node, and the workers
/// registered in it. `admin` is the coordinator's maintenance database; `server` its URL.
pub(crate) async fn create_database(admin: &PgPool, server: &str, name: &str) -> Result<()> {
    let workers: Vec<(String, i32)> = sqlx::query_as(
        "SELECT nodename::text, nodeport FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 \
         ORDER BY nodeid",
    )
    .fetch_all(admin)
    .await?;
    let coordinator: Option<(String, i32)> =
        sqlx::query_as("SELECT nodename::text, nodeport FROM pg_dist_node WHERE groupid = 0")
            .fetch_optional(admin)
            .await?;
    let mut conn = admin.acquire().await?;
    sqlx::query("SET citus.enable_create_database_propagation = on").execute(&mut *conn).await?;
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut *conn).await?;
    drop(conn);

    let base = format!("{}/{name}", server.trim_end_matches('/'));
    let options: PgConnectOptions = base.parse()?;
    for (host, port) in &workers {
        let worker = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().host(host).port(*port as u16))
            .await?;
        sqlx::query("CREATE EXTENSION IF NOT EXISTS citus").execute(&worker).await?;
        worker.close().await;
    }
    let db = PgPoolOptions::new().max_connections(1).connect_with(options).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS citus").execute(&db).await?;
    if let Some((host, port)) = coordinator {
        sqlx::query("SELECT citus_set_coordinator_host($1, $2)").bind(host).bind(port).execute(&db).await?;
    }
    for (host, port) in workers {
        sqlx::query("SELECT citus_add_node($1, $2)").bind(host).bind(port).execute(&db).await?;
    }
    db.close().await;
    Ok(())
}
