//! 离线未入库: what phones took offline and the server refused on arrival, kept for whoever
//! plans the round (the phone shows its own worker). One row per action the phone made: sent
//! again, it is refused again and the first row stays.

use chrono::{DateTime, Utc};
use cordon_domain::AreaPath;

use crate::Result;
use crate::db::{Backed, DbRow, query};

/// An action refused on arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRefusal {
    pub device_action: String,
    /// tube or door.
    pub kind: String,
    pub round_id: i64,
    pub username: String,
    /// The tube's barcode, or the person.
    pub subject: String,
    pub reason: String,
    pub error: String,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewFieldRefusal<'a> {
    pub device_action: &'a str,
    pub kind: &'a str,
    pub round_id: i64,
    /// Where it was taken: who may read it.
    pub path: &'a AreaPath,
    pub username: &'a str,
    pub subject: &'a str,
    pub reason: &'a str,
    pub error: &'a str,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait FieldRefusals: Send + Sync {
    /// Keeps a refusal; the same action refused again keeps the first.
    async fn keep_refusal(&self, r: &NewFieldRefusal<'_>) -> Result<()>;
    /// The round's refusals taken under `scope`, newest first.
    async fn field_refusals(&self, round_id: i64, scope: &AreaPath, limit: u32) -> Result<Vec<FieldRefusal>>;
}

fn record(r: &DbRow) -> Result<FieldRefusal> {
    Ok(FieldRefusal {
        device_action: r.try_get("device_action")?,
        kind: r.try_get("kind")?,
        round_id: r.try_get("round_id")?,
        username: r.try_get("username")?,
        subject: r.try_get("subject")?,
        reason: r.try_get("reason")?,
        error: r.try_get("error")?,
        at: r.try_get("at")?,
        received_at: r.try_get("received_at")?,
    })
}

#[async_trait::async_trait]
impl<S: Backed> FieldRefusals for S {
    async fn keep_refusal(&self, r: &NewFieldRefusal<'_>) -> Result<()> {
        query(
            "INSERT INTO field_refusals (device_action, kind, round_id, path, username, subject, reason, error, \
             at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (device_action) DO NOTHING",
        )
        .bind(r.device_action)
        .bind(r.kind)
        .bind(r.round_id)
        .bind(r.path.as_str())
        .bind(r.username)
        .bind(r.subject)
        .bind(r.reason)
        .bind(r.error)
        .bind(r.at)
        .bind(r.received_at)
        .execute(self.db())
        .await?;
        Ok(())
    }

    async fn field_refusals(&self, round_id: i64, scope: &AreaPath, limit: u32) -> Result<Vec<FieldRefusal>> {
        let (lo, hi) = scope.subtree_range();
        query(
            "SELECT device_action, kind, round_id, username, subject, reason, error, at, received_at \
             FROM field_refusals WHERE round_id = $1 AND path >= $2 AND path < $3 \
             ORDER BY received_at DESC, device_action LIMIT $4",
        )
        .bind(round_id)
        .bind(lo)
        .bind(hi)
        .bind(i64::from(limit))
        .fetch_all(self.db())
        .await?
        .iter()
        .map(record)
        .collect()
    }
}
