//! The audit of reads as a hash chain (migrations 0013 and 0015).
//!
//! A read appends its entries and queues them in `audit_pending`, in the reader's transaction
//! and with no lock: readers never wait on one another. The linker ([`link`]) takes the queue in
//! order under the chain's lock (an `UPDATE` of its one row, so one linker at a time), and keeps
//! each entry's link, with its place `seq`, in `audit_links`; the head and the count of linked entries stay in `audit_chain`. The server
//! links every second, and `cordon audit verify` links what is queued before it checks.
//!
//! Before 0015 the link was made in the reader's transaction, with the chain's row locked to
//! its end: every reader in the city took turns on that row (about 450 reads a second on
//! PostgreSQL). Those entries keep their link, and their id as their place.

use chrono::{DateTime, SubsecRound, Utc};
use cordon_domain::{AreaPath, AuditRead, ChainCheck, ChainReport, PersonId, audit_link};

use crate::db::{Db, DbRow, Query, Tx, query};
use crate::{AuditLogEntry, AuditQuery, GlassBreak, NewGlassBreak, ROWS_PER_STATEMENT, Result, User};

/// Entries read per page by the check.
const CHECK_PAGE: i64 = 10_000;

/// Entries linked per transaction: the chain's lock is held for one batch at a time.
const LINK_BATCH: i64 = 5_000;

/// The entries of `user` reading `people` through `route` at `at`.
pub(crate) fn reads<'a>(
    user: &'a User,
    people: &'a [PersonId],
    route: &'a str,
    at: DateTime<Utc>,
) -> Vec<AuditRead<'a>> {
    people
        .iter()
        .map(|p| AuditRead {
            at,
            user_id: user.id,
            username: user.username.as_str(),
            person_id: p.as_str(),
            route,
        })
        .collect()
}

/// Appends `reads` and queues them for their link, within the caller's transaction.
pub(crate) async fn append(tx: &mut Tx, reads: &[AuditRead<'_>]) -> Result<()> {
    let mut ids: Vec<i64> = Vec::with_capacity(reads.len());
    for chunk in reads.chunks(ROWS_PER_STATEMENT) {
        // Both backends keep microseconds: an entry hashes as it will be read back.
        let rows = chunk.iter().map(|r| {
            vec![
                r.at.trunc_subsecs(6).into(),
                r.user_id.into(),
                r.username.into(),
                r.person_id.into(),
                r.route.into(),
            ]
        });
        let q = Query::insert_values(
            "INSERT INTO audit_reads (at, user_id, username, person_id, route)",
            rows.collect(),
            "RETURNING id",
        );
        for row in q.fetch_all(&mut *tx).await? {
            ids.push(row.try_get("id")?);
        }
    }
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let rows = chunk.iter().map(|id| vec![(*id).into()]).collect();
        Query::insert_values("INSERT INTO audit_pending (entry_id)", rows, "").execute(&mut *tx).await?;
    }
    Ok(())
}

/// Links the whole queue, a batch per transaction (the chain's lock is held for one
/// batch at a time); how many entries it linked.
pub(crate) async fn link(pool: &Db) -> Result<usize> {
    let mut linked = 0;
    loop {
        match link_batch(pool).await? {
            0 => return Ok(linked),
            n => linked += n,
        }
    }
}

/// Links one batch of the queue, oldest entry first, after the chain's head; how
/// many it linked (0: the queue is empty).
async fn link_batch(pool: &Db) -> Result<usize> {
    // Looked at before the lock is taken: an idle server's linker writes nothing.
    let queued: Option<i64> =
        query("SELECT entry_id FROM audit_pending LIMIT 1").scalar_optional(pool).await?;
    if queued.is_none() {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    let row = query("UPDATE audit_chain SET linked = linked WHERE id = 1 RETURNING head")
        .fetch_one(&mut tx)
        .await?;
    let mut head: String = row.try_get("head")?;
    let rows = query(
        "SELECT r.id, r.at, r.user_id, r.username, r.person_id, r.route \
         FROM audit_pending p JOIN audit_reads r ON r.id = p.entry_id ORDER BY p.entry_id LIMIT $1",
    )
    .bind(LINK_BATCH)
    .fetch_all(&mut tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let next: i64 = query("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_links").scalar_one(&mut tx).await?;
    let mut links: Vec<(i64, i64, String)> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let (username, person_id, route): (String, String, String) =
            (r.try_get("username")?, r.try_get("person_id")?, r.try_get("route")?);
        let entry = AuditRead {
            at: r.try_get("at")?,
            user_id: r.try_get("user_id")?,
            username: &username,
            person_id: &person_id,
            route: &route,
        };
        head = audit_link(&head, &entry);
        links.push((next + i as i64, r.try_get("id")?, head.clone()));
    }
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        let rows = chunk.iter().map(|(seq, id, link)| vec![(*seq).into(), (*id).into(), link.into()]);
        Query::insert_values("INSERT INTO audit_links (seq, entry_id, link)", rows.collect(), "")
            .execute(&mut tx)
            .await?;
        query("DELETE FROM audit_pending WHERE entry_id IN (")
            .push_list(chunk.iter().map(|(_, id, _)| *id))
            .push(")")
            .execute(&mut tx)
            .await?;
    }
    query("UPDATE audit_chain SET head = $1, linked = linked + $2 WHERE id = 1")
        .bind(&head)
        .bind(links.len() as i64)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(links.len())
}

const GLASS_COLUMNS: &str = "id, at, until, user_id, username, person_id, reason";

fn glass(r: &DbRow) -> Result<GlassBreak> {
    Ok(GlassBreak {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        until: r.try_get("until")?,
        user_id: r.try_get("user_id")?,
        username: r.try_get("username")?,
        person_id: r.try_get("person_id")?,
        reason: r.try_get("reason")?,
    })
}

pub(crate) async fn break_glass(pool: &Db, b: &NewGlassBreak<'_>) -> Result<GlassBreak> {
    let sql = format!(
        "INSERT INTO glass_breaks (at, until, user_id, username, person_id, reason) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {GLASS_COLUMNS}"
    );
    let row = Query::dynamic(sql)
        .bind(b.at.trunc_subsecs(0))
        .bind(b.until.trunc_subsecs(0))
        .bind(b.user.id)
        .bind(&b.user.username)
        .bind(b.person.as_str())
        .bind(b.reason)
        .fetch_one(pool)
        .await?;
    glass(&row)
}

pub(crate) async fn glass_break(
    pool: &Db,
    user_id: i64,
    person: &PersonId,
    now: DateTime<Utc>,
) -> Result<Option<GlassBreak>> {
    let sql = format!(
        "SELECT {GLASS_COLUMNS} FROM glass_breaks \
         WHERE user_id = $1 AND person_id = $2 AND at <= $3 AND until > $3 ORDER BY id DESC LIMIT 1"
    );
    let row = Query::dynamic(sql).bind(user_id).bind(person.as_str()).bind(now).fetch_optional(pool).await?;
    row.as_ref().map(glass).transpose()
}

pub(crate) async fn glass_breaks(pool: &Db, scope: &AreaPath, limit: u32) -> Result<Vec<GlassBreak>> {
    let (lo, hi) = scope.subtree_range();
    let sql = format!(
        "SELECT {GLASS_COLUMNS} FROM glass_breaks g WHERE EXISTS \
         (SELECT 1 FROM people p WHERE p.person_id = g.person_id AND p.path >= $1 AND p.path < $2) \
         ORDER BY id DESC LIMIT $3"
    );
    let rows = Query::dynamic(sql).bind(lo).bind(hi).bind(i64::from(limit)).fetch_all(pool).await?;
    rows.iter().map(glass).collect()
}

/// The reads, newest first, each with the reason of the glass it was read under.
pub(crate) async fn log(pool: &Db, q: &AuditQuery) -> Result<Vec<AuditLogEntry>> {
    let b = query(
        "SELECT r.id, r.at, r.username, r.person_id, r.route, \
         (SELECT g.reason FROM glass_breaks g WHERE g.user_id = r.user_id AND g.person_id = r.person_id \
          AND g.at <= r.at AND g.until > r.at ORDER BY g.id DESC LIMIT 1) AS reason \
         FROM audit_reads r WHERE EXISTS (SELECT 1 FROM people p WHERE p.person_id = r.person_id \
         AND p.path >= ",
    );
    let (lo, hi) = q.scope.subtree_range();
    let mut b = b.push_bind(lo).push(" AND p.path < ").push_bind(hi).push(")");
    if let Some(user) = q.user_id {
        b = b.push(" AND r.user_id = ").push_bind(user);
    }
    if let Some(person) = &q.person_id {
        b = b.push(" AND r.person_id = ").push_bind(person.as_str());
    }
    if let Some(before) = q.before_id {
        b = b.push(" AND r.id < ").push_bind(before);
    }
    let rows = b.push(" ORDER BY r.id DESC LIMIT ").push_bind(i64::from(q.limit)).fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditLogEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                username: r.try_get("username")?,
                person_id: r.try_get("person_id")?,
                route: r.try_get("route")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// Links the whole queue, then checks the chain from its first link to the head kept
/// when the check began (links made meanwhile are the next check's), that every entry
/// since the chain began is linked or queued, and the entries before it.
pub(crate) async fn verify(pool: &Db) -> Result<ChainReport> {
    link(pool).await?;
    let kept =
        query("SELECT head, linked, queued_from FROM audit_chain WHERE id = 1").fetch_one(pool).await?;
    let (kept_head, kept_linked, queued_from): (String, i64, i64) =
        (kept.try_get("head")?, kept.try_get("linked")?, kept.try_get("queued_from")?);
    let mut check = ChainCheck::default();
    let unchained: i64 = query("SELECT COUNT(*) FROM audit_reads WHERE id < $1 AND link IS NULL")
        .bind(queued_from)
        .scalar_one(pool)
        .await?;
    check.unchained(unchained as u64);
    let (mut after, mut walked) = (0i64, 0i64);
    'pages: while walked < kept_linked {
        let rows = query(
            "SELECT l.seq, l.entry_id, l.link, r.at, r.user_id, r.username, r.person_id, r.route \
             FROM audit_links l LEFT JOIN audit_reads r ON r.id = l.entry_id \
             WHERE l.seq > $1 ORDER BY l.seq LIMIT $2",
        )
        .bind(after)
        .bind(CHECK_PAGE)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            if walked == kept_linked {
                break 'pages;
            }
            walked += 1;
            after = r.try_get("seq")?;
            let (entry_id, link): (i64, String) = (r.try_get("entry_id")?, r.try_get("link")?);
            let at: Option<DateTime<Utc>> = r.try_get("at")?;
            match at {
                None => check.link(entry_id, None, &link),
                Some(at) => {
                    let (username, person_id, route): (String, String, String) =
                        (r.try_get("username")?, r.try_get("person_id")?, r.try_get("route")?);
                    let entry = AuditRead {
                        at,
                        user_id: r.try_get("user_id")?,
                        username: &username,
                        person_id: &person_id,
                        route: &route,
                    };
                    check.link(entry_id, Some(&entry), &link);
                }
            }
        }
    }
    let stray: Option<i64> = query(
        "SELECT MIN(r.id) FROM audit_reads r WHERE r.id >= $1 \
         AND NOT EXISTS (SELECT 1 FROM audit_links l WHERE l.entry_id = r.id) \
         AND NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.entry_id = r.id)",
    )
    .bind(queued_from)
    .scalar_one(pool)
    .await?;
    if let Some(id) = stray {
        check.stray(id);
    }
    let pending: i64 = query("SELECT COUNT(*) FROM audit_pending").scalar_one(pool).await?;
    check.pending(pending as u64);
    Ok(check.finish(&kept_head, kept_linked as u64))
}
