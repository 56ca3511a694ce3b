//! 采样分工: which sampler answers for which buildings of a round. A sampler's phone keeps the
//! round's list of those buildings (their post), to sample without the network; samplers given
//! the same buildings are the round's team there.

use chrono::{DateTime, Utc};
use cordon_domain::{AreaCode, AreaLevel, AreaPath};

use crate::db::{Backed, DbRow, Query, query};
use crate::{Result, StoreError, code_of, level_of};

/// A building (or any area inside the round) a sampler answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundAssignment {
    pub round_id: i64,
    pub area_code: AreaCode,
    pub area_name: String,
    pub area_level: AreaLevel,
    pub path: AreaPath,
    pub username: String,
    pub display_name: String,
    pub assigned_at: DateTime<Utc>,
    pub assigned_by: String,
}

/// An assignment to make: the area must lie inside `inside` (the round's area within the
/// assigner's), else `NotFound`.
#[derive(Debug, Clone)]
pub struct NewRoundAssignment<'a> {
    pub round_id: i64,
    pub area: &'a AreaCode,
    pub inside: &'a AreaPath,
    pub user_id: i64,
    pub by: &'a str,
    pub at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait RoundAssignments: Send + Sync {
    /// Gives the area to the sampler; giving it again keeps the first (its time and assigner).
    async fn give_building(&self, a: &NewRoundAssignment<'_>) -> Result<RoundAssignment>;
    /// Takes the area from the sampler; false if it was not theirs.
    async fn take_building(&self, round_id: i64, area: &AreaCode, user_id: i64) -> Result<bool>;
    /// The round's assignments of areas inside `scope`, by area then sampler.
    async fn round_team(&self, round_id: i64, scope: &AreaPath) -> Result<Vec<RoundAssignment>>;
    /// What the user answers for in the round, by area.
    async fn round_team_of(&self, round_id: i64, user_id: i64) -> Result<Vec<RoundAssignment>>;
    /// The round's tubes holding someone whose home is under `area`: barcodes a phone must not use.
    async fn tubes_under(&self, round_id: i64, area: &AreaPath) -> Result<Vec<String>>;
}

const SELECT: &str = "SELECT x.round_id, x.area_code, a.name AS area_name, a.level AS area_level, x.path, \
     u.username, u.display_name, x.assigned_at, x.assigned_by \
     FROM round_assignments x JOIN areas a ON a.code = x.area_code JOIN users u ON u.id = x.user_id";

fn record(r: &DbRow) -> Result<RoundAssignment> {
    Ok(RoundAssignment {
        round_id: r.try_get("round_id")?,
        area_code: code_of(r.try_get("area_code")?)?,
        area_name: r.try_get("area_name")?,
        area_level: level_of(&r.try_get::<String, _>("area_level")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        assigned_at: r.try_get("assigned_at")?,
        assigned_by: r.try_get("assigned_by")?,
    })
}

#[async_trait::async_trait]
impl<S: Backed> RoundAssignments for S {
    async fn give_building(&self, a: &NewRoundAssignment<'_>) -> Result<RoundAssignment> {
        let mut tx = self.db().begin().await?;
        let (lo, hi) = a.inside.subtree_range();
        let path: String = query("SELECT path FROM areas WHERE code = $1 AND path >= $2 AND path < $3")
            .bind(a.area.as_str())
            .bind(lo)
            .bind(hi)
            .fetch_optional(&mut tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("area {} inside the round's area", a.area)))?
            .try_get("path")?;
        query(
            "INSERT INTO round_assignments (round_id, area_code, path, user_id, assigned_at, assigned_by) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (round_id, area_code, user_id) DO NOTHING",
        )
        .bind(a.round_id)
        .bind(a.area.as_str())
        .bind(path)
        .bind(a.user_id)
        .bind(a.at)
        .bind(a.by)
        .execute(&mut tx)
        .await?;
        let sql = format!("{SELECT} WHERE x.round_id = $1 AND x.area_code = $2 AND x.user_id = $3");
        let row = Query::dynamic(sql)
            .bind(a.round_id)
            .bind(a.area.as_str())
            .bind(a.user_id)
            .fetch_one(&mut tx)
            .await?;
        tx.commit().await?;
        record(&row)
    }

    async fn take_building(&self, round_id: i64, area: &AreaCode, user_id: i64) -> Result<bool> {
        let done =
            query("DELETE FROM round_assignments WHERE round_id = $1 AND area_code = $2 AND user_id = $3")
                .bind(round_id)
                .bind(area.as_str())
                .bind(user_id)
                .execute(self.db())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn round_team(&self, round_id: i64, scope: &AreaPath) -> Result<Vec<RoundAssignment>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!(
            "{SELECT} WHERE x.round_id = $1 AND x.path >= $2 AND x.path < $3 ORDER BY x.path, u.username"
        );
        Query::dynamic(sql)
            .bind(round_id)
            .bind(lo)
            .bind(hi)
            .fetch_all(self.db())
            .await?
            .iter()
            .map(record)
            .collect()
    }

    async fn round_team_of(&self, round_id: i64, user_id: i64) -> Result<Vec<RoundAssignment>> {
        let sql = format!("{SELECT} WHERE x.round_id = $1 AND x.user_id = $2 ORDER BY x.path");
        Query::dynamic(sql)
            .bind(round_id)
            .bind(user_id)
            .fetch_all(self.db())
            .await?
            .iter()
            .map(record)
            .collect()
    }

    async fn tubes_under(&self, round_id: i64, area: &AreaPath) -> Result<Vec<String>> {
        let (lo, hi) = area.subtree_range();
        query("SELECT DISTINCT tube_id FROM samples WHERE round_id = $1 AND path >= $2 AND path < $3 ORDER BY tube_id")
            .bind(round_id)
            .bind(lo)
            .bind(hi)
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| Ok(r.try_get("tube_id")?))
            .collect()
    }
}
