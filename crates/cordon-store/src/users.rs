//! 用户管理: users made and changed, each in one transaction with the line it leaves in the
//! user's changes, and the sessions a change must end ended in the same transaction — a user
//! disabled or moved to other areas holds no session that still shows the old ones.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cordon_domain::AreaPath;

use crate::db::{Db, Query, Tx, query};
use crate::rows::{self, USER_SELECT};
use crate::{NewUser, Result, StoreError, User, UserChange, UserChangeRecord};

const INSERT: &str = "INSERT INTO users (username, display_name, role, scope_code, password_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
const RECORD: &str = "INSERT INTO user_changes (at, by_user, username, change, before_value, after_value, reason) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const END_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
const CHANGES: &str = "SELECT at, by_user, username, change, before_value, after_value, reason \
     FROM user_changes WHERE username = $1 ORDER BY id DESC LIMIT $2";

/// One line of a user's changes.
struct Line<'a> {
    change: &'static str,
    before: Option<String>,
    after: Option<String>,
    reason: Option<&'a str>,
}

async fn record(tx: &mut Tx, at: DateTime<Utc>, by: &str, username: &str, l: Line<'_>) -> Result<()> {
    query(RECORD)
        .bind(at)
        .bind(by)
        .bind(username)
        .bind(l.change)
        .bind(l.before)
        .bind(l.after)
        .bind(l.reason)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A database refusal of a user's row, said in the user's words.
fn refusal(e: StoreError, username: &str, scope: &str) -> StoreError {
    match e {
        StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
            StoreError::Conflict(format!("the user {username} already exists"))
        }
        StoreError::Database(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
            StoreError::Invalid(format!("the scope area {scope} does not exist"))
        }
        e => e,
    }
}

/// Makes a user and the first line of their changes.
pub(crate) async fn create(db: &Db, u: &NewUser, at: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin().await?;
    query(INSERT)
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(u.scope.as_str())
        .bind(&u.password_hash)
        .bind(at)
        .execute(&mut tx)
        .await
        .map_err(|e| refusal(e, &u.username, u.scope.as_str()))?;
    let after = format!("{} @ {}", u.role.as_str(), u.scope);
    let line = Line { change: "created", before: None, after: Some(after), reason: None };
    record(&mut tx, at, &u.created_by, &u.username, line).await?;
    tx.commit().await
}

/// The users whose areas lie inside `scope`.
pub(crate) async fn in_scope(db: &Db, scope: &AreaPath) -> Result<Vec<User>> {
    let (lo, hi) = scope.subtree_range();
    let sql = format!("{USER_SELECT} WHERE a.path >= $1 AND a.path < $2 ORDER BY u.username");
    Query::dynamic(sql).bind(lo).bind(hi).fetch_all(db).await?.iter().map(rows::user).collect()
}

async fn read(tx: &mut Tx, username: &str) -> Result<Option<User>> {
    let sql = format!("{USER_SELECT} WHERE u.username = $1");
    let row = Query::dynamic(sql).bind(username).fetch_optional(&mut *tx).await?;
    row.as_ref().map(rows::user).transpose()
}

/// Applies `c` whole, or nothing of it.
pub(crate) async fn change(db: &Db, c: &UserChange<'_>) -> Result<Option<User>> {
    let mut tx = db.begin().await?;
    // The row is locked first (PostgreSQL; SQLite's transaction holds the write lock), so two
    // managers changing one user write one after the other, each against what the other left.
    let lock = format!("SELECT id FROM users WHERE username = $1{}", tx.dialect().for_update);
    if Query::dynamic(lock).bind(c.username).fetch_optional(&mut tx).await?.is_none() {
        tx.rollback().await?;
        return Ok(None);
    }
    let Some(old) = read(&mut tx, c.username).await? else { return Ok(None) };
    let mut lines = Vec::new();
    let mut end_sessions = false;
    if let Some(name) = c.display_name.filter(|n| *n != old.display_name) {
        query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(name)
            .bind(old.id)
            .execute(&mut tx)
            .await?;
        lines.push(("display_name", Some(old.display_name.clone()), Some(name.to_owned())));
    }
    if let Some(role) = c.role.filter(|r| *r != old.role) {
        query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(old.id)
            .execute(&mut tx)
            .await?;
        lines.push(("role", Some(old.role.as_str().to_owned()), Some(role.as_str().to_owned())));
        end_sessions = true;
    }
    if let Some(scope) = c.scope.filter(|s| **s != old.scope) {
        query("UPDATE users SET scope_code = $1 WHERE id = $2")
            .bind(scope.as_str())
            .bind(old.id)
            .execute(&mut tx)
            .await
            .map_err(|e| refusal(e, c.username, scope.as_str()))?;
        lines.push(("scope", Some(old.scope.to_string()), Some(scope.to_string())));
        end_sessions = true;
    }
    match c.disabled {
        Some(true) if old.disabled_at.is_none() => {
            query("UPDATE users SET disabled_at = $1 WHERE id = $2")
                .bind(c.at)
                .bind(old.id)
                .execute(&mut tx)
                .await?;
            lines.push(("disabled", None, None));
            end_sessions = true;
        }
        Some(false) if old.disabled_at.is_some() => {
            query("UPDATE users SET disabled_at = NULL WHERE id = $1").bind(old.id).execute(&mut tx).await?;
            lines.push(("enabled", None, None));
        }
        _ => {}
    }
    if let Some(worker) = c.worker.filter(|w| *w != old.worker_id.as_deref()) {
        query("UPDATE users SET worker_id = $1 WHERE id = $2")
            .bind(worker)
            .bind(old.id)
            .execute(&mut tx)
            .await
            .map_err(|e| {
                let w = worker.unwrap_or_default();
                match e {
                    StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                        StoreError::Conflict(format!(
                            "worker {w} is another sign-in's already: unlink it there first"
                        ))
                    }
                    StoreError::Database(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                        StoreError::Invalid(format!("no worker {w}"))
                    }
                    e => e,
                }
            })?;
        lines.push(("worker", old.worker_id.clone(), worker.map(str::to_owned)));
    }
    if let Some(hash) = c.password_hash {
        query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(old.id)
            .execute(&mut tx)
            .await?;
        lines.push(("password_reset", None, None));
        end_sessions = true;
    }
    if end_sessions {
        query(END_SESSIONS).bind(old.id).execute(&mut tx).await?;
    }
    for (change, before, after) in lines {
        let line = Line { change, before, after, reason: c.reason };
        record(&mut tx, c.at, c.by, c.username, line).await?;
    }
    let new = read(&mut tx, c.username).await?;
    tx.commit().await?;
    Ok(new)
}

/// A user's changes, newest first.
pub(crate) async fn changes(db: &Db, username: &str, limit: u32) -> Result<Vec<UserChangeRecord>> {
    let q = query(CHANGES).bind(username).bind(i64::from(limit));
    q.fetch_all(db).await?.iter().map(rows::user_change).collect()
}

/// The display names of the users named, by username.
pub(crate) async fn display_names(db: &Db, usernames: &[String]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::with_capacity(usernames.len());
    for chunk in usernames.chunks(crate::ROWS_PER_STATEMENT) {
        let q =
            query("SELECT username, display_name FROM users WHERE username IN (").push_list(chunk).push(")");
        for r in q.fetch_all(db).await? {
            out.insert(r.try_get("username")?, r.try_get("display_name")?);
        }
    }
    Ok(out)
}
