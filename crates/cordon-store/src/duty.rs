//! 值班与轮休 in the store: a worker's shifts, at most one open at a time (a unique index holds
//! it, so two phones starting a shift at once start one), and the latest shift of each worker a
//! page shows. The rest rule is the domain's (`duty`); the server checks it before a shift
//! starts.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::AreaCode;

use crate::db::{Backed, DbRow, Query, query};
use crate::{ROWS_PER_STATEMENT, Result, StoreError, code_of};

/// One shift of a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftRecord {
    pub id: i64,
    pub worker_id: String,
    pub community: AreaCode,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub recorded_by: String,
}

impl ShiftRecord {
    /// As the domain's rule reads it.
    pub fn span(&self) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        (self.started_at, self.ended_at)
    }
}

#[async_trait::async_trait]
pub trait Duty: Send + Sync {
    /// Starts a shift of `worker_id` at `community`; `Conflict` when one is open already.
    async fn start_shift(
        &self,
        worker_id: &str,
        community: &AreaCode,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<ShiftRecord>;
    /// Ends the open shift of `worker_id` at `at`; `None` when none is open.
    async fn end_shift(&self, worker_id: &str, at: DateTime<Utc>) -> Result<Option<ShiftRecord>>;
    /// The latest shift of each of these workers that has one.
    async fn latest_shifts(&self, worker_ids: &[String]) -> Result<HashMap<String, ShiftRecord>>;
    /// The community `worker_id` reported to on `day` (local date), if they did.
    async fn reported_to(&self, worker_id: &str, day: NaiveDate) -> Result<Option<AreaCode>>;
}

const SHIFT_COLUMNS: &str = "id, worker_id, community_code, started_at, ended_at, recorded_by";

fn shift_of(r: &DbRow) -> Result<ShiftRecord> {
    Ok(ShiftRecord {
        id: r.try_get("id")?,
        worker_id: r.try_get("worker_id")?,
        community: code_of(r.try_get("community_code")?)?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        recorded_by: r.try_get("recorded_by")?,
    })
}

#[async_trait::async_trait]
impl<S: Backed> Duty for S {
    async fn start_shift(
        &self,
        worker_id: &str,
        community: &AreaCode,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<ShiftRecord> {
        let sql = format!(
            "INSERT INTO worker_shifts (worker_id, community_code, started_at, recorded_by) \
             VALUES ($1, $2, $3, $4) RETURNING {SHIFT_COLUMNS}"
        );
        let row = Query::dynamic(sql)
            .bind(worker_id)
            .bind(community.as_str())
            .bind(at)
            .bind(by)
            .fetch_one(self.db())
            .await
            .map_err(|e| match e {
                StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                    StoreError::Conflict(format!("{worker_id} is on duty already"))
                }
                e => e,
            })?;
        shift_of(&row)
    }

    async fn end_shift(&self, worker_id: &str, at: DateTime<Utc>) -> Result<Option<ShiftRecord>> {
        let sql = format!(
            "UPDATE worker_shifts SET ended_at = $2 WHERE worker_id = $1 AND ended_at IS NULL \
             RETURNING {SHIFT_COLUMNS}"
        );
        Query::dynamic(sql)
            .bind(worker_id)
            .bind(at)
            .fetch_optional(self.db())
            .await?
            .as_ref()
            .map(shift_of)
            .transpose()
    }

    async fn latest_shifts(&self, worker_ids: &[String]) -> Result<HashMap<String, ShiftRecord>> {
        let mut out = HashMap::new();
        for chunk in worker_ids.chunks(ROWS_PER_STATEMENT) {
            // The newest of each worker's: the one no later shift of theirs follows.
            let q = query(
                "SELECT s.id, s.worker_id, s.community_code, s.started_at, s.ended_at, s.recorded_by \
                 FROM worker_shifts s WHERE NOT EXISTS (SELECT 1 FROM worker_shifts t \
                 WHERE t.worker_id = s.worker_id AND t.started_at > s.started_at) AND s.worker_id IN (",
            )
            .push_list(chunk.iter().map(String::as_str))
            .push(")");
            for r in q.fetch_all(self.db()).await? {
                let s = shift_of(&r)?;
                out.insert(s.worker_id.clone(), s);
            }
        }
        Ok(out)
    }

    async fn reported_to(&self, worker_id: &str, day: NaiveDate) -> Result<Option<AreaCode>> {
        let code: Option<String> =
            query("SELECT community_code FROM checkins WHERE worker_id = $1 AND day = $2")
                .bind(worker_id)
                .bind(day.format("%Y-%m-%d").to_string())
                .fetch_optional(self.db())
                .await?
                .map(|r| r.try_get("community_code"))
                .transpose()?;
        code.map(code_of).transpose()
    }
}
