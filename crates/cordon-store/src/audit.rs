//! The audit of reads as a hash chain (migration 0013): every entry carries its link
//! (`cordon_domain::audit_link`), and the head and the count of linked entries are kept in
//! `audit_chain`.
//!
//! Appending locks the chain's one row first (an `UPDATE`), so appenders take turns: links
//! follow the ids, and an entry committed after another has the higher id. The lock is held to
//! the end of the caller's transaction; an audit entry is a few rows, so the turn is short.

use chrono::{DateTime, SubsecRound, Utc};
use cordon_domain::{AuditRead, ChainCheck, ChainReport, PersonId, audit_link};
use futures::future::BoxFuture;
use sqlx::{QueryBuilder, Row};

use crate::{ROWS_PER_STATEMENT, Result, User};

/// Entries read per page by the check.
const CHECK_PAGE: i64 = 10_000;

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

/// The backends' appenders, for code written once for both (`gates.rs`).
pub(crate) trait Chained: sqlx::Database {
    fn append<'c>(conn: &'c mut Self::Connection, reads: &'c [AuditRead<'c>]) -> BoxFuture<'c, Result<()>>;
}

impl Chained for sqlx::Sqlite {
    fn append<'c>(conn: &'c mut Self::Connection, reads: &'c [AuditRead<'c>]) -> BoxFuture<'c, Result<()>> {
        Box::pin(sqlite::append(conn, reads))
    }
}

impl Chained for sqlx::Postgres {
    fn append<'c>(conn: &'c mut Self::Connection, reads: &'c [AuditRead<'c>]) -> BoxFuture<'c, Result<()>> {
        Box::pin(postgres::append(conn, reads))
    }
}

macro_rules! audit_sql {
    ($name:ident, $db:ty) => {
        pub(crate) mod $name {
            use super::*;

            type Db = $db;

            /// Appends `reads`, linked, within the caller's transaction.
            pub(crate) async fn append(
                conn: &mut <Db as sqlx::Database>::Connection,
                reads: &[AuditRead<'_>],
            ) -> Result<()> {
                if reads.is_empty() {
                    return Ok(());
                }
                let row =
                    sqlx::query("UPDATE audit_chain SET linked = linked + $1 WHERE id = 1 RETURNING head")
                        .bind(reads.len() as i64)
                        .fetch_one(&mut *conn)
                        .await?;
                let mut head: String = row.try_get("head")?;
                // Both backends keep microseconds: an entry hashes as it will be read back.
                let reads: Vec<AuditRead<'_>> =
                    reads.iter().map(|r| AuditRead { at: r.at.trunc_subsecs(6), ..*r }).collect();
                let mut links = Vec::with_capacity(reads.len());
                for r in &reads {
                    head = audit_link(&head, r);
                    links.push(head.clone());
                }
                for (chunk, links) in reads.chunks(ROWS_PER_STATEMENT).zip(links.chunks(ROWS_PER_STATEMENT)) {
                    let mut q = QueryBuilder::<Db>::new(
                        "INSERT INTO audit_reads (at, user_id, username, person_id, route, link) ",
                    );
                    q.push_values(chunk.iter().zip(links), |mut b, (r, link)| {
                        b.push_bind(r.at)
                            .push_bind(r.user_id)
                            .push_bind(r.username)
                            .push_bind(r.person_id)
                            .push_bind(r.route)
                            .push_bind(link.as_str());
                    });
                    q.build().execute(&mut *conn).await?;
                }
                sqlx::query("UPDATE audit_chain SET head = $1 WHERE id = 1")
                    .bind(&head)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Checks the chain from the first entry to the head kept when the check began
            /// (entries appended meanwhile are the next check's).
            pub(crate) async fn verify(pool: &sqlx::Pool<Db>) -> Result<ChainReport> {
                let kept =
                    sqlx::query("SELECT head, linked FROM audit_chain WHERE id = 1").fetch_one(pool).await?;
                let (kept_head, kept_linked): (String, i64) =
                    (kept.try_get("head")?, kept.try_get("linked")?);
                let mut check = ChainCheck::default();
                let (mut after, mut linked) = (0i64, 0i64);
                'pages: loop {
                    let rows = sqlx::query(
                        "SELECT id, at, user_id, username, person_id, route, link FROM audit_reads \
                         WHERE id > $1 ORDER BY id LIMIT $2",
                    )
                    .bind(after)
                    .bind(CHECK_PAGE)
                    .fetch_all(pool)
                    .await?;
                    if rows.is_empty() {
                        break;
                    }
                    for r in &rows {
                        if linked == kept_linked && kept_linked > 0 {
                            break 'pages;
                        }
                        after = r.try_get("id")?;
                        let (username, person_id, route): (String, String, String) =
                            (r.try_get("username")?, r.try_get("person_id")?, r.try_get("route")?);
                        let link: Option<String> = r.try_get("link")?;
                        linked += i64::from(link.is_some());
                        let entry = AuditRead {
                            at: r.try_get("at")?,
                            user_id: r.try_get("user_id")?,
                            username: &username,
                            person_id: &person_id,
                            route: &route,
                        };
                        check.entry(after, &entry, link.as_deref());
                    }
                }
                Ok(check.finish(&kept_head, kept_linked as u64))
            }
        }
    };
}

audit_sql!(sqlite, sqlx::Sqlite);
audit_sql!(postgres, sqlx::Postgres);
