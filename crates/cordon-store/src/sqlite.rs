//! The embedded backend: one SQLite file in WAL mode. What differs from PostgreSQL beyond how
//! it opens is named in `db.rs` (its dialect) and nowhere else.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::db::Db;
use crate::store::SqlStore;
use crate::{Keyring, Result};

/// Opens (creating it if need be) the SQLite database `url` names and migrates it.
pub(crate) async fn open(url: &str, keys: Arc<Keyring>) -> Result<SqlStore> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true)
        .pragma("cache_size", "-65536")
        // Reads straight from the file's pages in the kernel's cache rather than a copy of each
        // into every connection's own cache (the most SQLite allows, 2 GB): the nightly release's
        // index look-ups over a million contacts spent a third of their time in the copies.
        .pragma("mmap_size", "2147418112")
        // Worker threads for SQLite's sorter: CREATE INDEX over millions of rows (after a bulk
        // load) runs about three times faster with two.
        .pragma("threads", sorter_threads());
    let file = Some(options.get_filename().to_path_buf())
        .filter(|f| !f.as_os_str().is_empty() && f.as_os_str() != ":memory:" && !url.contains("mode=memory"));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // On some errors (a full disk: SQLITE_FULL) SQLite rolls the transaction back itself;
        // the ROLLBACK sqlx then sends fails, and sqlx keeps counting the connection as in a
        // transaction, so every later BEGIN on it fails. Such a connection is closed when it
        // comes back (the ping lets a rollback still queued on it land first).
        .after_release(|conn, _| {
            Box::pin(async move {
                sqlx::Connection::ping(&mut *conn).await?;
                Ok(!sqlx::Connection::is_in_transaction(&*conn))
            })
        })
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    SqlStore::ready(Db::Sqlite(pool), keys, file).await
}

fn sorter_threads() -> String {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8)).to_string()
}
