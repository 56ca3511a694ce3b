//! The store itself: one [`Store`] over either backend ([`Db`]), its own methods (areas, people,
//! users, sessions, the audit's entry points) written once here; the capabilities' methods are
//! in their modules (`zones.rs`, `cases/`, …), implemented for every [`Backed`] store. What a
//! backend opens with is in `sqlite.rs` and `postgres.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cordon_domain::area::KnownArea;
use cordon_domain::{Area, AreaCode, AreaLevel, AreaPath, AreaStats, PersonId, Role};

use crate::db::{Backed, Db, Query, query};
use crate::import::PEOPLE_INDEXES;
use crate::rows::{self, AREA_COLUMNS, PERSON_COLUMNS, USER_SELECT};
use crate::*;

/// A store over either backend.
pub(crate) struct SqlStore {
    db: Db,
    keys: Arc<Keyring>,
    /// The SQLite database file, for the bulk reader (none in memory, none on PostgreSQL).
    file: Option<std::path::PathBuf>,
}

impl SqlStore {
    /// The store over a migrated database: fills the rights it lacks, seals a register from
    /// before sealing, checks the key file against the keys values are sealed under, and makes
    /// the register's indexes.
    pub(crate) async fn ready(db: Db, keys: Arc<Keyring>, file: Option<std::path::PathBuf>) -> Result<Self> {
        crate::rights::seed(&db).await?;
        let sealed = crate::sealing::upgrade(&db, &keys).await?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed the register's ID numbers and phones");
        }
        crate::sealing::check_keys(&db, &keys).await?;
        for (_, ddl) in PEOPLE_INDEXES {
            query(ddl).execute(&db).await?;
        }
        Ok(SqlStore { db, keys, file })
    }
}

impl Backed for SqlStore {
    fn db(&self) -> &Db {
        &self.db
    }

    fn keys(&self) -> &Keyring {
        &self.keys
    }
}

/// Households have no stored counts: their members are counted when they are shown. A
/// household's members are the people whose path is the household's, so the path index answers.
async fn fill_household_stats(db: &Db, nodes: &mut [AreaNode]) -> Result<()> {
    let codes: Vec<&str> =
        nodes.iter().filter(|n| n.area.level == AreaLevel::Household).map(|n| n.area.path.as_str()).collect();
    if codes.is_empty() {
        return Ok(());
    }
    let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
    for chunk in codes.chunks(ROWS_PER_STATEMENT) {
        let q = query(
            "SELECT path, count(*) AS n, sum(CASE WHEN vulnerable THEN 1 ELSE 0 END) AS v FROM people \
             WHERE status = 'active' AND path IN (",
        )
        .push_list(chunk.iter().copied())
        .push(") GROUP BY path");
        for r in q.fetch_all(db).await? {
            counts.insert(r.try_get("path")?, (r.try_get("n")?, r.try_get("v")?));
        }
    }
    for n in nodes.iter_mut().filter(|n| n.area.level == AreaLevel::Household) {
        let (residents, vulnerable) = counts.get(n.area.path.as_str()).copied().unwrap_or_default();
        n.stats = AreaStats { residents, households: 1, vulnerable };
    }
    Ok(())
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(..) => "postgres",
        }
    }

    fn pool_state(&self) -> (u32, usize) {
        match &self.db {
            Db::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Db::Postgres(pool, _) => (pool.size(), pool.num_idle()),
        }
    }

    async fn ping(&self) -> Result<()> {
        query("SELECT 1").execute(&self.db).await?;
        Ok(())
    }

    async fn totals(&self) -> Result<Totals> {
        let r = query(
            "SELECT (SELECT count(*) FROM areas) AS areas, (SELECT count(*) FROM people) AS people, \
             (SELECT count(*) FROM users) AS users",
        )
        .fetch_one(&self.db)
        .await?;
        Ok(Totals { areas: r.try_get("areas")?, people: r.try_get("people")?, users: r.try_get("users")? })
    }

    async fn known_areas(&self, codes: &[AreaCode]) -> Result<HashMap<AreaCode, KnownArea>> {
        let mut out = HashMap::new();
        for chunk in codes.chunks(ROWS_PER_STATEMENT) {
            let q = query("SELECT code, parent_code, level FROM areas WHERE code IN (")
                .push_list(chunk.iter().map(|c| c.as_str()))
                .push(")");
            for r in q.fetch_all(&self.db).await? {
                let (code, known) = rows::known_area(&r)?;
                out.insert(code, known);
            }
        }
        Ok(out)
    }

    async fn area(&self, scope: &AreaPath, code: &AreaCode) -> Result<Option<AreaNode>> {
        let (lo, hi) = scope.subtree_range();
        let sql =
            format!("SELECT {AREA_COLUMNS} FROM areas a WHERE a.code = $1 AND a.path >= $2 AND a.path < $3");
        let row = Query::dynamic(sql).bind(code.as_str()).bind(lo).bind(hi).fetch_optional(&self.db).await?;
        let Some(row) = row else { return Ok(None) };
        let mut nodes = [rows::area_node(&row)?];
        fill_household_stats(&self.db, &mut nodes).await?;
        let [node] = nodes;
        Ok(Some(node))
    }

    async fn children(&self, scope: &AreaPath, code: &AreaCode) -> Result<Vec<AreaNode>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!(
            "SELECT {AREA_COLUMNS} FROM areas a WHERE a.parent_code = $1 AND a.path >= $2 AND a.path < $3 ORDER BY a.code"
        );
        let rows = Query::dynamic(sql).bind(code.as_str()).bind(lo).bind(hi).fetch_all(&self.db).await?;
        let mut nodes = rows.iter().map(rows::area_node).collect::<Result<Vec<_>>>()?;
        fill_household_stats(&self.db, &mut nodes).await?;
        Ok(nodes)
    }

    async fn areas_on(&self, paths: &[AreaPath]) -> Result<HashMap<i64, Area>> {
        let mut ids: Vec<i64> = paths.iter().flat_map(AreaPath::ids).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let q = query("SELECT id, code, parent_code, level, name, path FROM areas WHERE id IN (")
                .push_list(chunk.iter().copied())
                .push(")");
            for r in q.fetch_all(&self.db).await? {
                out.insert(r.try_get("id")?, rows::area(&r)?);
            }
        }
        Ok(out)
    }

    async fn shape(&self, scope: &AreaPath, code: &AreaCode) -> Result<Option<String>> {
        let (lo, hi) = scope.subtree_range();
        let shape: Option<Option<String>> =
            query("SELECT shape FROM areas WHERE code = $1 AND path >= $2 AND path < $3")
                .bind(code.as_str())
                .bind(lo)
                .bind(hi)
                .scalar_optional(&self.db)
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
                "SELECT {PERSON_COLUMNS} FROM people WHERE {column} = $1 AND path >= $2 AND path < $3 \
                 ORDER BY person_id LIMIT $4"
            );
            let mut found = Vec::new();
            for blind in self.keys.blinds(field, value) {
                for r in Query::dynamic(sql.clone())
                    .bind(blind)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(i64::from(limit))
                    .fetch_all(&self.db)
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
                    "SELECT {PERSON_COLUMNS} FROM people WHERE name >= $1 AND name < $2 AND path >= $3 AND path < $4 \
                     ORDER BY name, person_id LIMIT $5"
                );
                Query::dynamic(sql).bind(p.as_str()).bind(prefix_end(p))
            }
            PeopleQuery::IdNumber(_) | PeopleQuery::Phone(_) => unreachable!("answered above"),
            PeopleQuery::Household(h) => {
                let sql = format!(
                    "SELECT {PERSON_COLUMNS} FROM people WHERE path = (SELECT path FROM areas WHERE code = $1) \
                     AND path >= $2 AND path < $3 ORDER BY birth_year, person_id LIMIT $4"
                );
                Query::dynamic(sql).bind(h.as_str())
            }
        }
        .bind(lo)
        .bind(hi)
        .bind(i64::from(limit))
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(|r| rows::person_record(r, &self.keys)).collect()
    }

    async fn person(&self, scope: &AreaPath, id: &PersonId) -> Result<Option<PersonRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql =
            format!("SELECT {PERSON_COLUMNS} FROM people WHERE person_id = $1 AND path >= $2 AND path < $3");
        let row = Query::dynamic(sql).bind(id.as_str()).bind(lo).bind(hi).fetch_optional(&self.db).await?;
        row.as_ref().map(|r| rows::person_record(r, &self.keys)).transpose()
    }

    async fn names_in(&self, scope: &AreaPath, ids: &[String]) -> Result<HashMap<String, String>> {
        let (lo, hi) = scope.subtree_range();
        let mut out = HashMap::with_capacity(ids.len());
        // The scope's range takes two of a statement's places.
        for chunk in ids.chunks(crate::ROWS_PER_STATEMENT - 2) {
            let q =
                query("SELECT person_id, name FROM people WHERE path >= $1 AND path < $2 AND person_id IN (")
                    .bind(lo.clone())
                    .bind(hi.clone())
                    .push_list(chunk)
                    .push(")");
            for r in q.fetch_all(&self.db).await? {
                out.insert(r.try_get("person_id")?, r.try_get("name")?);
            }
        }
        Ok(out)
    }

    async fn duplicate_people(&self, scope: &AreaPath, limit: u32) -> Result<Vec<crate::DuplicatePair>> {
        crate::merge::duplicates(&self.db, &self.keys, scope, limit).await
    }

    async fn merge_people(&self, m: &crate::PersonMerge<'_>) -> Result<crate::MergeRecord> {
        crate::merge::merge(&self.db, &self.keys, m).await
    }

    async fn person_merges(&self, person: &PersonId) -> Result<Vec<crate::MergeRecord>> {
        crate::merge::merges(&self.db, person).await
    }

    async fn register_person(&self, p: &crate::NewPerson<'_>) -> Result<PersonRecord> {
        crate::register::register(&self.db, &self.keys, p).await
    }

    async fn change_person(&self, c: &crate::PersonChange<'_>) -> Result<Option<PersonRecord>> {
        crate::register::change(&self.db, &self.keys, c).await
    }

    async fn person_changes(&self, person: &PersonId, limit: u32) -> Result<Vec<crate::PersonChangeRecord>> {
        crate::register::changes(&self.db, person, limit).await
    }

    async fn look_alikes(&self, p: &crate::LookAlike<'_>) -> Result<Vec<crate::Match>> {
        crate::register::look_alikes(&self.db, &self.keys, p).await
    }

    async fn begin_import(&self, bulk: bool) -> Result<Box<dyn Import>> {
        Ok(Box::new(crate::import::SqlImport::begin(&self.db, self.keys.clone(), bulk).await?))
    }

    async fn create_user(&self, u: &NewUser) -> Result<User> {
        crate::users::create(&self.db, u, Utc::now()).await?;
        self.user_by_name(&u.username)
            .await?
            .ok_or_else(|| StoreError::Invalid("the new user vanished".into()))
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("{USER_SELECT} WHERE u.username = $1");
        let row = Query::dynamic(sql).bind(username).fetch_optional(&self.db).await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let done = query("UPDATE users SET password_hash = $1 WHERE username = $2")
            .bind(password_hash)
            .bind(username)
            .execute(&mut tx)
            .await?
            .rows_affected()
            == 1;
        // A new password ends every session opened with the old one.
        query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)")
            .bind(username)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("{USER_SELECT} ORDER BY u.id");
        Query::dynamic(sql).fetch_all(&self.db).await?.iter().map(rows::user).collect()
    }

    async fn users_in(&self, scope: &AreaPath) -> Result<Vec<User>> {
        crate::users::in_scope(&self.db, scope).await
    }

    async fn display_names(&self, usernames: &[String]) -> Result<HashMap<String, String>> {
        crate::users::display_names(&self.db, usernames).await
    }

    async fn change_user(&self, change: &crate::UserChange<'_>) -> Result<Option<User>> {
        crate::users::change(&self.db, change).await
    }

    async fn user_changes(&self, username: &str, limit: u32) -> Result<Vec<crate::UserChangeRecord>> {
        crate::users::changes(&self.db, username, limit).await
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
        query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let sql = format!(
            "{USER_SELECT} JOIN sessions s ON s.user_id = u.id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
        );
        let row = Query::dynamic(sql).bind(token_hash).bind(now).fetch_optional(&self.db).await?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.db).await?;
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
        let mut tx = self.db.begin().await?;
        crate::audit::append(&mut tx, &reads).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, q: &crate::AuditQuery) -> Result<Vec<crate::AuditLogEntry>> {
        crate::audit::log(&self.db, q).await
    }

    async fn break_glass(&self, b: &crate::NewGlassBreak<'_>) -> Result<crate::GlassBreak> {
        crate::audit::break_glass(&self.db, b).await
    }

    async fn glass_break(
        &self,
        user_id: i64,
        person: &PersonId,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::GlassBreak>> {
        crate::audit::glass_break(&self.db, user_id, person, now).await
    }

    async fn glass_breaks(&self, scope: &AreaPath, limit: u32) -> Result<Vec<crate::GlassBreak>> {
        crate::audit::glass_breaks(&self.db, scope, limit).await
    }

    async fn link_audit(&self) -> Result<usize> {
        crate::audit::link(&self.db).await
    }

    async fn verify_audit(&self) -> Result<cordon_domain::ChainReport> {
        crate::audit::verify(&self.db).await
    }

    async fn rotate_keys(&self) -> Result<Resealed> {
        crate::sealing::rotate(&self.db, &self.keys).await
    }

    async fn purge_personal_data(&self, apply: bool) -> Result<Vec<crate::PurgeStep>> {
        crate::retention::purge(&self.db, &PEOPLE_INDEXES, apply).await
    }

    async fn reads_of(&self, person: &PersonId, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = query(
            "SELECT at, username, person_id, route FROM audit_reads WHERE person_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(person.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(rows::audit_entry).collect()
    }

    async fn pseudonymised_people_csv(
        &self,
        scope: &AreaPath,
        names: &cordon_domain::Pseudonyms,
    ) -> Result<Option<futures::stream::BoxStream<'static, Result<bytes::Bytes>>>> {
        match &self.db {
            Db::Postgres(pool, _) => {
                crate::bulk::postgres_people_csv(pool, scope, names, self.keys.clone()).await.map(Some)
            }
            Db::Sqlite(_) => Ok(self
                .file
                .clone()
                .map(|file| crate::bulk::sqlite_people_csv(file, scope, names, self.keys.clone()))),
        }
    }
}
