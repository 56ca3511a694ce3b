//! A stay's end in the store: a check-out, a contact's release, a case's discharge or a transfer's
//! arrival closes the stays open and, when a room is left empty, puts it to cleaning (终末消毒) —
//! in the transaction of the change that ends them. Its own module so that the case's course and
//! the sites' check-ins can each use it without importing each other.

use chrono::{DateTime, Utc};

use crate::Result;
use crate::db::{Query, Tx, query};

/// Checks an open stay out inside `tx`, at `at` (at its check-in, if that came later); the
/// room left empty goes to cleaning. A transfer's arrival checks the passengers out of where
/// they were.
pub(crate) async fn close_stay_of(
    tx: &mut Tx,
    person_id: &str,
    at: DateTime<Utc>,
    reason: &str,
    by: &str,
) -> Result<()> {
    close_open_stays(tx, Whose::Person(person_id), at, reason, by).await
}

/// Closes the open stays of the contacts in `contact_ids` (a JSON array of one-element arrays)
/// that are released, and puts each room left empty to cleaning: a release's share of the
/// isolation, in the release's transaction.
pub(crate) async fn close_released_stays(
    tx: &mut Tx,
    contact_ids: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<()> {
    let sql = format!(
        "UPDATE stays SET checked_out_at = $2, out_reason = 'released', checked_out_by = $3 \
         WHERE checked_out_at IS NULL AND contact_id IN (SELECT c.id FROM contacts c \
             WHERE c.id IN (SELECT CAST(value ->> 0 AS BIGINT) FROM {}) AND c.status = 'released') \
         RETURNING room_id",
        tx.dialect().json_rows
    );
    let rows = Query::dynamic(sql).bind(contact_ids).bind(at).bind(by).fetch_all(&mut *tx).await?;
    let rooms: Vec<i64> = rows.iter().map(|r| r.try_get("room_id")).collect::<std::result::Result<_, _>>()?;
    clean_if_empty(tx, &rooms, at, by).await
}

/// Closes the open stays of a case recovered and discharged, or dead, at `at` (at its check-in,
/// if that came later), and puts each room left empty to cleaning: in the transaction that
/// records the outcome.
pub(crate) async fn close_case_stays(
    tx: &mut Tx,
    case_id: i64,
    at: DateTime<Utc>,
    reason: &str,
    by: &str,
) -> Result<()> {
    close_open_stays(tx, Whose::Case(case_id), at, reason, by).await
}

/// Whose open stays to close.
enum Whose<'a> {
    Case(i64),
    Person(&'a str),
}

/// Closes open stays at `at` (at their check-in, if that came later), and puts each room left
/// empty to cleaning.
async fn close_open_stays(
    tx: &mut Tx,
    whose: Whose<'_>,
    at: DateTime<Utc>,
    reason: &str,
    by: &str,
) -> Result<()> {
    let column = match whose {
        Whose::Case(_) => "case_id",
        Whose::Person(_) => "person_id",
    };
    let sql = format!(
        "UPDATE stays SET checked_out_at = CASE WHEN checked_in_at > $2 THEN checked_in_at ELSE $2 END, \
         out_reason = $3, checked_out_by = $4 WHERE checked_out_at IS NULL AND {column} = $1 RETURNING room_id"
    );
    let q = match whose {
        Whose::Case(id) => Query::dynamic(sql).bind(id),
        Whose::Person(id) => Query::dynamic(sql).bind(id),
    };
    let rows = q.bind(at).bind(reason).bind(by).fetch_all(&mut *tx).await?;
    let rooms: Vec<i64> = rows.iter().map(|r| r.try_get("room_id")).collect::<std::result::Result<_, _>>()?;
    clean_if_empty(tx, &rooms, at, by).await
}

/// Puts each of `rooms` that no open stay is left in to cleaning.
pub(crate) async fn clean_if_empty(tx: &mut Tx, rooms: &[i64], at: DateTime<Utc>, by: &str) -> Result<()> {
    for chunk in rooms.chunks(crate::ROWS_PER_STATEMENT) {
        let q = query(
            "UPDATE site_rooms SET state = 'cleaning', updated_at = $1, updated_by = $2 \
             WHERE NOT EXISTS (SELECT 1 FROM stays y WHERE y.room_id = site_rooms.id AND y.checked_out_at IS NULL) \
             AND id IN (",
        )
        .bind(at)
        .bind(by)
        .push_list(chunk.iter().copied())
        .push(")");
        q.execute(&mut *tx).await?;
    }
    Ok(())
}
