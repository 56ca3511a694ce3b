//! The embedded backend: one SQLite file in WAL mode.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cordon_domain::area::KnownArea;
use cordon_domain::{Area, AreaCode, AreaLevel, AreaPath, AreaRow, AreaStats, PersonId, PersonRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};

use crate::rows::{self, AREA_COLUMNS, PERSON_COLUMNS, RecordRow, USER_SELECT};
use crate::*;

pub struct SqliteStore {
    pool: SqlitePool,
    /// The same pool, for the queries written once for both backends (`db.rs`).
    db: crate::db::Db,
    /// The database file, for the bulk reader (none in memory).
    file: Option<std::path::PathBuf>,
    keys: Arc<Keyring>,
}

/// The secondary indexes of `people`: made after migrations, dropped and rebuilt around a bulk
/// load into an empty table (building an index once, sorted, beats maintaining it per row).
const PEOPLE_INDEXES: [(&str, &str); 4] = [
    ("people_name", "CREATE INDEX IF NOT EXISTS people_name ON people (name, path)"),
    ("people_phone_index", "CREATE INDEX IF NOT EXISTS people_phone_index ON people (phone_index)"),
    ("people_id_index", "CREATE INDEX IF NOT EXISTS people_id_index ON people (id_index)"),
    ("people_place", "CREATE INDEX IF NOT EXISTS people_place ON people (path, person_id, vulnerable)"),
];

impl SqliteStore {
    pub async fn open(url: &str, keys: Arc<Keyring>) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            .pragma("cache_size", "-65536")
            // Worker threads for SQLite's sorter: CREATE INDEX over millions of rows (after a bulk
            // load) runs about three times faster with two.
            .pragma("threads", sorter_threads());
        let file = Some(options.get_filename().to_path_buf()).filter(|f| {
            !f.as_os_str().is_empty() && f.as_os_str() != ":memory:" && !url.contains("mode=memory")
        });
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
        crate::rights::seed(&crate::db::Db::Sqlite(pool.clone())).await?;
        let sealed = crate::sealing::sqlite::upgrade(&pool, &keys).await?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed the register's ID numbers and phones");
        }
        crate::sealing::sqlite::check_keys(&pool, &keys).await?;
        for (_, ddl) in PEOPLE_INDEXES {
            sqlx::query(ddl).execute(&pool).await?;
        }
        Ok(SqliteStore { db: crate::db::Db::Sqlite(pool.clone()), pool, file, keys })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn sorter_threads() -> String {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8)).to_string()
}

/// Households have no stored counts: their members are counted when they are shown. A
/// household's members are the people whose path is the household's, so the path index answers.
async fn fill_household_stats(pool: &SqlitePool, nodes: &mut [AreaNode]) -> Result<()> {
    let codes: Vec<&str> =
        nodes.iter().filter(|n| n.area.level == AreaLevel::Household).map(|n| n.area.path.as_str()).collect();
    if codes.is_empty() {
        return Ok(());
    }
    let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
    for chunk in codes.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT path, count(*) AS n, sum(vulnerable) AS v FROM people WHERE path IN (",
        );
        let mut sep = q.separated(", ");
        for c in chunk {
            sep.push_bind(*c);
        }
        q.push(") GROUP BY path");
        for r in q.build().fetch_all(pool).await? {
            counts.insert(r.text("path")?, (r.int("n")?, r.int("v")?));
        }
    }
    for n in nodes.iter_mut().filter(|n| n.area.level == AreaLevel::Household) {
        let (residents, vulnerable) = counts.get(n.area.path.as_str()).copied().unwrap_or_default();
        n.stats = AreaStats { residents, households: 1, vulnerable };
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_state(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn totals(&self) -> Result<Totals> {
        let r = sqlx::query(
            "SELECT (SELECT count(*) FROM areas) AS areas, (SELECT count(*) FROM people) AS people, \
             (SELECT count(*) FROM users) AS users",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Totals { areas: r.try_get("areas")?, people: r.try_get("people")?, users: r.try_get("users")? })
    }

    async fn known_areas(&self, codes: &[AreaCode]) -> Result<HashMap<AreaCode, KnownArea>> {
        let mut out = HashMap::new();
        for chunk in codes.chunks(ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT code, parent_code, level FROM areas WHERE code IN (");
            let mut sep = q.separated(", ");
            for c in chunk {
                sep.push_bind(c.as_str());
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await? {
                let (code, known) = rows::known_area(&r)?;
                out.insert(code, known);
            }
        }
        Ok(out)
    }

    async fn area(&self, scope: &AreaPath, code: &AreaCode) -> Result<Option<AreaNode>> {
        let (lo, hi) = scope.subtree_range();
        let sql =
            format!("SELECT {AREA_COLUMNS} FROM areas a WHERE a.code = ? AND a.path >= ? AND a.path < ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(code.as_str())
            .bind(lo)
            .bind(hi)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut nodes = [rows::area_node(&row)?];
        fill_household_stats(&self.pool, &mut nodes).await?;
        let [node] = nodes;
        Ok(Some(node))
    }

    async fn children(&self, scope: &AreaPath, code: &AreaCode) -> Result<Vec<AreaNode>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!(
            "SELECT {AREA_COLUMNS} FROM areas a WHERE a.parent_code = ? AND a.path >= ? AND a.path < ? ORDER BY a.code"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(code.as_str())
            .bind(lo)
            .bind(hi)
            .fetch_all(&self.pool)
            .await?;
        let mut nodes = rows.iter().map(rows::area_node).collect::<Result<Vec<_>>>()?;
        fill_household_stats(&self.pool, &mut nodes).await?;
        Ok(nodes)
    }

    async fn areas_on(&self, paths: &[AreaPath]) -> Result<HashMap<i64, Area>> {
        let mut ids: Vec<i64> = paths.iter().flat_map(AreaPath::ids).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT id, code, parent_code, level, name, path FROM areas WHERE id IN (",
            );
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await? {
                out.insert(r.try_get("id")?, rows::area(&r)?);
            }
        }
        Ok(out)
    }

    async fn shape(&self, scope: &AreaPath, code: &AreaCode) -> Result<Option<String>> {
        let (lo, hi) = scope.subtree_range();
        let shape: Option<Option<String>> =
            sqlx::query_scalar("SELECT shape FROM areas WHERE code = ? AND path >= ? AND path < ?")
                .bind(code.as_str())
                .bind(lo)
                .bind(hi)
                .fetch_optional(&self.pool)
                .await?;
        Ok(shape.flatten())
    }

    async fn search_people(
        &self,
        scope: &AreaPath,
        query: &PeopleQuery,
        limit: u32,
    ) -> Result<Vec<PersonRecord>> {
        let (lo, hi) = scope.subtree_range();
        // ID numbers and phones are sealed: found by their blind index, under each key.
        let sealed = match query {
            PeopleQuery::IdNumber(n) => Some(("id_index", Field::IdNumber, n)),
            PeopleQuery::Phone(p) => Some(("phone_index", Field::Phone, p)),
            _ => None,
        };
        if let Some((column, field, value)) = sealed {
            let sql = format!(
                "SELECT {PERSON_COLUMNS} FROM people WHERE {column} = ? AND path >= ? AND path < ? \
                 ORDER BY person_id LIMIT ?"
            );
            let mut found = Vec::new();
            for blind in self.keys.blinds(field, value) {
                for r in sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(blind)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
                {
                    found.push(rows::person_record(&r, &self.keys)?);
                }
            }
            found.truncate(limit as usize);
            return Ok(found);
        }
        let rows = match query {
            PeopleQuery::NamePrefix(p) => {
                let sql = format!(
                    "SELECT {PERSON_COLUMNS} FROM people WHERE name >= ? AND name < ? AND path >= ? AND path < ? \
                     ORDER BY name, person_id LIMIT ?"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(p.as_str()).bind(prefix_end(p))
            }
            PeopleQuery::IdNumber(_) | PeopleQuery::Phone(_) => unreachable!("answered above"),
            PeopleQuery::Household(h) => {
                let sql = format!(
                    "SELECT {PERSON_COLUMNS} FROM people WHERE path = (SELECT path FROM areas WHERE code = ?) \
                     AND path >= ? AND path < ? ORDER BY birth_year, person_id LIMIT ?"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(h.as_str())
            }
        }
        .bind(lo)
        .bind(hi)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| rows::person_record(r, &self.keys)).collect()
    }

    async fn person(&self, scope: &AreaPath, id: &PersonId) -> Result<Option<PersonRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql =
            format!("SELECT {PERSON_COLUMNS} FROM people WHERE person_id = ? AND path >= ? AND path < ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .bind(lo)
            .bind(hi)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| rows::person_record(r, &self.keys)).transpose()
    }

    async fn duplicate_people(&self, scope: &AreaPath, limit: u32) -> Result<Vec<crate::DuplicatePair>> {
        crate::merge::sqlite::duplicates(&self.pool, &self.keys, scope, limit).await
    }

    async fn merge_people(&self, m: &crate::PersonMerge<'_>) -> Result<crate::MergeRecord> {
        crate::merge::sqlite::merge(&self.pool, &self.keys, m).await
    }

    async fn person_merges(&self, person: &PersonId) -> Result<Vec<crate::MergeRecord>> {
        crate::merge::sqlite::merges(&self.pool, person).await
    }

    async fn begin_import(&self, bulk: bool) -> Result<Box<dyn Import>> {
        // IMMEDIATE takes the write lock now: two imports queue instead of failing halfway.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let next_id: i64 =
            sqlx::query_scalar("SELECT coalesce(max(id), 0) + 1 FROM areas").fetch_one(&mut *tx).await?;
        let people_empty: bool =
            sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM people)").fetch_one(&mut *tx).await?;
        let dropped = bulk && people_empty;
        if dropped {
            for (name, _) in PEOPLE_INDEXES {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX IF EXISTS {name}")))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(Box::new(SqliteImport {
            tx,
            placed: Placed { by_code: HashMap::new(), next_id },
            dropped_indexes: dropped,
            people_were_empty: people_empty,
            keys: self.keys.clone(),
        }))
    }

    async fn create_user(&self, u: &NewUser) -> Result<User> {
        let r = sqlx::query(
            "INSERT INTO users (username, display_name, role, scope_code, password_hash, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(u.scope.as_str())
        .bind(&u.password_hash)
        .bind(Utc::now())
        .execute(&self.pool)
        .await;
        match r {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!("the user {} already exists", u.username)));
            }
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                return Err(StoreError::Invalid(format!("the scope area {} does not exist", u.scope)));
            }
            r => r?,
        };
        self.user_by_name(&u.username)
            .await?
            .ok_or_else(|| StoreError::Invalid("the new user vanished".into()))
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("{USER_SELECT} WHERE u.username = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(&self.pool).await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE username = ?")
            .bind(password_hash)
            .bind(username)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        // A new password ends every session opened with the old one.
        sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)")
            .bind(username)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("{USER_SELECT} ORDER BY u.id");
        sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?.iter().map(rows::user).collect()
    }

    async fn set_totp_secret(&self, user_id: i64, secret: Option<&str>) -> Result<bool> {
        crate::second_factor::set(&self.db, &self.keys, user_id, secret).await
    }

    async fn totp_secret(&self, user_id: i64) -> Result<Option<(String, Option<i64>)>> {
        crate::second_factor::get(&self.db, &self.keys, user_id).await
    }

    async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        crate::second_factor::use_step(&self.db, user_id, step).await
    }

    async fn role_rights(&self) -> Result<Vec<crate::RoleRight>> {
        crate::rights::all(&self.db).await
    }

    async fn set_role_right(
        &self,
        role: Role,
        right: cordon_domain::Right,
        granted: bool,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        crate::rights::set(&self.db, role, right, granted, by, at).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let sql = format!(
            "{USER_SELECT} JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = ? AND s.expires_at > ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn audit_reads(
        &self,
        user: &User,
        people: &[PersonId],
        route: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let reads = crate::audit::reads(user, people, route, at);
        let mut tx = self.pool.begin().await?;
        crate::audit::sqlite::append(&mut tx, &reads).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, q: &crate::AuditQuery) -> Result<Vec<crate::AuditLogEntry>> {
        crate::audit::sqlite::log(&self.pool, q).await
    }

    async fn break_glass(&self, b: &crate::NewGlassBreak<'_>) -> Result<crate::GlassBreak> {
        crate::audit::sqlite::break_glass(&self.pool, b).await
    }

    async fn glass_break(
        &self,
        user_id: i64,
        person: &PersonId,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::GlassBreak>> {
        crate::audit::sqlite::glass_break(&self.pool, user_id, person, now).await
    }

    async fn glass_breaks(&self, scope: &AreaPath, limit: u32) -> Result<Vec<crate::GlassBreak>> {
        crate::audit::sqlite::glass_breaks(&self.pool, scope, limit).await
    }

    async fn link_audit(&self) -> Result<usize> {
        crate::audit::sqlite::link(&self.pool).await
    }

    async fn verify_audit(&self) -> Result<cordon_domain::ChainReport> {
        crate::audit::sqlite::verify(&self.pool).await
    }

    async fn rotate_keys(&self) -> Result<Resealed> {
        crate::sealing::sqlite::rotate(&self.pool, &self.keys).await
    }

    async fn purge_personal_data(&self, apply: bool) -> Result<Vec<crate::PurgeStep>> {
        crate::retention::sqlite::purge(&self.pool, &PEOPLE_INDEXES, apply).await
    }

    async fn reads_of(&self, person: &PersonId, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT at, username, person_id, route FROM audit_reads WHERE person_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(person.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::audit_entry).collect()
    }

    async fn pseudonymised_people_csv(
        &self,
        scope: &AreaPath,
        names: &cordon_domain::Pseudonyms,
    ) -> Result<Option<futures::stream::BoxStream<'static, Result<bytes::Bytes>>>> {
        Ok(self
            .file
            .clone()
            .map(|file| crate::bulk::sqlite_people_csv(file, scope, names, self.keys.clone())))
    }
}

struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    placed: Placed,
    dropped_indexes: bool,
    people_were_empty: bool,
    keys: Arc<Keyring>,
}

impl SqliteImport {
    /// Finds the areas of these codes not yet in `placed`, in the store.
    async fn place_known(&mut self, codes: Vec<&AreaCode>) -> Result<()> {
        let missing: Vec<&str> = codes
            .into_iter()
            .filter(|c| !self.placed.by_code.contains_key(*c))
            .map(AreaCode::as_str)
            .collect();
        for chunk in missing.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT code, level, path, district_code FROM areas WHERE code IN (",
            );
            let mut sep = q.separated(", ");
            for c in chunk {
                sep.push_bind(*c);
            }
            q.push(")");
            for r in q.build().fetch_all(&mut *self.tx).await? {
                let (code, placed) = rows::placed_area(&r)?;
                self.placed.by_code.insert(code, placed);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Import for SqliteImport {
    async fn areas(&mut self, rows: &[AreaRow]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut codes: Vec<&AreaCode> = chunk.iter().map(|r| &r.code).collect();
            codes.extend(chunk.iter().filter_map(|r| r.parent.as_ref()));
            self.place_known(codes).await?;
            let (existing, new_rows) = self.placed.place(chunk)?;
            for r in existing {
                sqlx::query("UPDATE areas SET name = ?, shape = coalesce(?, shape) WHERE code = ?")
                    .bind(&r.name)
                    .bind(r.shape.as_deref())
                    .bind(r.code.as_str())
                    .execute(&mut *self.tx)
                    .await?;
            }
            if new_rows.is_empty() {
                continue;
            }
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO areas (id, code, parent_code, level, depth, name, path, district_code, shape) ",
            );
            q.push_values(&new_rows, |mut b, NewArea { id, row: r, path, district }| {
                b.push_bind(*id)
                    .push_bind(r.code.as_str())
                    .push_bind(r.parent.as_ref().map(AreaCode::as_str))
                    .push_bind(r.level.as_str())
                    .push_bind(r.level as i64)
                    .push_bind(r.name.as_str())
                    .push_bind(path.as_str())
                    .push_bind(district.as_ref().map(AreaCode::as_str))
                    .push_bind(r.shape.as_deref());
            });
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn people(&mut self, rows: &[PersonRow]) -> Result<Vec<Rejected>> {
        let mut rejected = Vec::new();
        for (chunk_no, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
            let base = chunk_no * ROWS_PER_STATEMENT;
            self.place_known(chunk.iter().map(|p| &p.household).collect()).await?;
            let existing: std::collections::HashSet<String> = if self.people_were_empty {
                Default::default()
            } else {
                let mut q = QueryBuilder::<Sqlite>::new("SELECT person_id FROM people WHERE person_id IN (");
                let mut sep = q.separated(", ");
                for p in chunk {
                    sep.push_bind(p.person_id.as_str());
                }
                q.push(")");
                q.build()
                    .fetch_all(&mut *self.tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get(0))
                    .collect::<Result<_, _>>()?
            };
            let good = self.placed.sort_people(base, chunk, &existing, &mut rejected);
            if good.is_empty() {
                continue;
            }
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO people (person_id, name, id_sealed, id_index, phone_sealed, phone_index, birth_year, sex, \
                household_code, tags, vulnerable, district_code, path) ",
            );
            let keys = &self.keys;
            q.push_values(&good, |mut b, (p, h)| {
                let id = p.id_number.as_ref().map(|n| n.as_str());
                let phone = p.phone.as_ref().map(|n| n.as_str());
                let row = p.person_id.as_str();
                b.push_bind(row)
                    .push_bind(p.name.as_str())
                    .push_bind(id.map(|n| keys.seal(Field::IdNumber, row, n)))
                    .push_bind(id.map(|n| keys.blind(Field::IdNumber, n)))
                    .push_bind(phone.map(|n| keys.seal(Field::Phone, row, n)))
                    .push_bind(phone.map(|n| keys.blind(Field::Phone, n)))
                    .push_bind(p.birth_year)
                    .push_bind(p.sex.as_str())
                    .push_bind(p.household.as_str())
                    .push_bind(p.tags.to_stored())
                    .push_bind(!p.tags.is_empty())
                    .push_bind(h.district.as_ref().map(AreaCode::as_str))
                    .push_bind(h.path.as_str());
            });
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(rejected)
    }

    async fn commit(mut self: Box<Self>) -> Result<Totals> {
        if self.dropped_indexes {
            for (_, ddl) in PEOPLE_INDEXES {
                sqlx::query(ddl).execute(&mut *self.tx).await?;
            }
        }
        refresh_stats(&mut self.tx).await?;
        sqlx::query(crate::BUMP_AREAS_VERSION).execute(&mut *self.tx).await?;
        let r = sqlx::query("SELECT (SELECT count(*) FROM areas), (SELECT count(*) FROM people)")
            .fetch_one(&mut *self.tx)
            .await?;
        let totals = Totals { areas: r.try_get(0)?, people: r.try_get(1)?, users: 0 };
        self.tx.commit().await?;
        Ok(totals)
    }
}

/// Recounts every area's subtree from the people's paths: one pass over the path index.
async fn refresh_stats(tx: &mut Transaction<'static, Sqlite>) -> Result<()> {
    let rows = sqlx::query("SELECT path, count(*) AS n, sum(vulnerable) AS v FROM people GROUP BY path")
        .fetch_all(&mut **tx)
        .await?;
    let groups = rows.iter().map(rows::household_group).collect::<Result<Vec<_>>>()?;
    let stats = cordon_domain::area::roll_up_households(&groups);
    sqlx::query("UPDATE areas SET residents = 0, households = 0, vulnerable = 0 WHERE residents <> 0")
        .execute(&mut **tx)
        .await?;
    for (id, s) in stats {
        sqlx::query("UPDATE areas SET residents = ?, households = ?, vulnerable = ? WHERE id = ?")
            .bind(s.residents)
            .bind(s.households)
            .bind(s.vulnerable)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

crate::zones::zone_store!(SqliteStore, sqlx::Sqlite, |pool| pool.begin_with("BEGIN IMMEDIATE"));
crate::cases::case_store!(SqliteStore, sqlx::Sqlite, |pool| pool.begin_with("BEGIN IMMEDIATE"));
crate::testing::testing_store!(SqliteStore, sqlx::Sqlite, false, "TEXT", "TEXT", "json_each($1)", |pool| {
    pool.begin_with("BEGIN IMMEDIATE")
});
crate::gates::gate_store!(SqliteStore, sqlx::Sqlite, "substr(at, 1, 13)", |pool| pool
    .begin_with("BEGIN IMMEDIATE"));
crate::workforce::workforce_store!(SqliteStore, sqlx::Sqlite, |pool| pool.begin_with("BEGIN IMMEDIATE"));
crate::needs::needs_store!(SqliteStore, sqlx::Sqlite, |pool| pool.begin_with("BEGIN IMMEDIATE"));
crate::figures::figures_store!(SqliteStore, sqlx::Sqlite, |pool| pool.begin_with("BEGIN IMMEDIATE"));
