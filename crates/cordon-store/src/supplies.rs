//! 保供 in the store: distribution points with their stock (the sum of its moves, kept on a row
//! that a CHECK keeps from going below zero), and distribution rounds. A round is written in one
//! transaction: a delivery for every household of its area with someone living in it, sized by
//! its members and flagged when someone in it is vulnerable — one set-based statement whatever
//! the households — and its packages taken out of the point's stock, or nothing at all.

use chrono::{DateTime, Utc};
use cordon_domain::supplies::{DeliveryOutcome, Sizing, SupplyItem};
use cordon_domain::{AreaCode, AreaPath};

use cordon_domain::needs::NeedRule;

use crate::db::{Backed, DbRow, Query, Tx, query};
use crate::needs::{NewNeedEvent, step_need};
use crate::{Result, StoreError, code_of};

#[derive(Debug, Clone)]
pub struct NewSupplyPoint {
    pub id: String,
    pub name: String,
    pub area: AreaCode,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplyPointRecord {
    pub id: String,
    pub name: String,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    /// What it holds of each item (items never stocked are left out).
    pub stock: Vec<(SupplyItem, i64)>,
}

#[derive(Debug, Clone)]
pub struct NewDistribution {
    /// The area whose households it covers (a building, a compound, a community).
    pub area: AreaCode,
    pub point_id: String,
    pub item: SupplyItem,
    /// Who it is for and how its packages are counted (the profile's rule for the item).
    pub sizing: Sizing,
    pub note: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionRecord {
    pub id: i64,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    pub point_id: String,
    pub item: SupplyItem,
    pub households: i64,
    pub packages: i64,
    pub delivered: i64,
    pub refused: i64,
    /// Not tried yet, or nobody was home.
    pub open: i64,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub distribution_id: i64,
    pub household: AreaCode,
    pub path: AreaPath,
    pub members: i64,
    pub packages: i64,
    pub vulnerable: bool,
    pub outcome: Option<DeliveryOutcome>,
    pub outcome_at: Option<DateTime<Utc>>,
    pub outcome_by: Option<String>,
    pub note: String,
    /// The resident's request it fulfilled.
    pub need_id: Option<i64>,
}

/// How a delivery ended at the door, who says so, and the request it fulfils.
#[derive(Debug, Clone)]
pub struct DeliveryMark {
    pub outcome: DeliveryOutcome,
    pub note: String,
    pub at: DateTime<Utc>,
    pub by: String,
    pub fulfils: Option<Fulfilment>,
}

/// A resident's request (a need for food or medicine) a delivery fulfils.
#[derive(Debug, Clone)]
pub struct Fulfilment {
    pub need_id: i64,
    /// The request's resolution.
    pub event: NewNeedEvent,
    pub rule: NeedRule,
}

/// A household of a sealed or controlled zone with nothing delivered for too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueHousehold {
    pub household: AreaCode,
    pub path: AreaPath,
    /// The last delivery that reached it, if any did.
    pub last_delivered: Option<DateTime<Utc>>,
}

#[async_trait::async_trait]
pub trait Supplies {
    async fn create_supply_point(&self, p: &NewSupplyPoint) -> Result<SupplyPointRecord>;
    /// The points of `scope`, with their stock.
    async fn supply_points(&self, scope: &AreaPath) -> Result<Vec<SupplyPointRecord>>;
    /// Moves stock in (positive) or out (negative); one that would take it below zero is a
    /// conflict naming what is there. Returns the new level.
    async fn move_stock(
        &self,
        point_id: &str,
        item: SupplyItem,
        quantity: i64,
        reason: &str,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<i64>;
    /// Plans a round over `d.area` (inside `scope`): a delivery for every household with
    /// someone living in it, the packages taken out of the point's stock. A stock short of the
    /// round's packages is a conflict, and nothing is written.
    async fn create_distribution(&self, scope: &AreaPath, d: &NewDistribution) -> Result<DistributionRecord>;
    async fn distribution(&self, scope: &AreaPath, id: i64) -> Result<Option<DistributionRecord>>;
    /// The rounds of `scope`, the newest first.
    async fn distributions(&self, scope: &AreaPath, limit: u32) -> Result<Vec<DistributionRecord>>;
    /// A round's deliveries inside `within` (a building's, for its volunteers), the vulnerable
    /// first, then by address.
    async fn deliveries(&self, distribution_id: i64, within: &AreaPath) -> Result<Vec<DeliveryRecord>>;
    /// Records how a delivery inside `scope` ended. One delivered or refused is closed (a
    /// conflict); nobody at home may be tried again. A delivery that fulfils a request of its
    /// household resolves it in the same transaction (a request of another household, or one
    /// resolved already, is a conflict and nothing is written). None: no such delivery in scope.
    async fn record_delivery(
        &self,
        scope: &AreaPath,
        id: i64,
        mark: &DeliveryMark,
    ) -> Result<Option<DeliveryRecord>>;
    /// Deliveries of `scope` still to be done: not tried, or nobody was home.
    async fn open_deliveries(&self, scope: &AreaPath) -> Result<i64>;
    /// The households of `scope` inside a sealed or controlled zone (drawn by `since`), with
    /// someone living in them, that nothing reached since `since`: their number, and the first
    /// `limit` by address.
    async fn overdue_households(
        &self,
        scope: &AreaPath,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<(i64, Vec<OverdueHousehold>)>;
}

fn item_of(s: &str) -> Result<SupplyItem> {
    SupplyItem::parse(s).map_err(|e| StoreError::Invalid(format!("stored supply item: {e}")))
}

const POINT_SELECT: &str =
    "SELECT p.*, a.name AS area_name FROM supply_points p JOIN areas a ON a.code = p.area_code";

const DISTRIBUTION_SELECT: &str =
    "SELECT d.*, a.name AS area_name FROM distributions d JOIN areas a ON a.code = d.area_code";

fn distribution_of(r: &DbRow) -> Result<DistributionRecord> {
    let households: i64 = r.try_get("households")?;
    let delivered: i64 = r.try_get("delivered")?;
    let refused: i64 = r.try_get("refused")?;
    Ok(DistributionRecord {
        id: r.try_get("id")?,
        area: code_of(r.try_get("area_code")?)?,
        area_name: r.try_get("area_name")?,
        path: AreaPath::from_stored(r.try_get("path")?),
        point_id: r.try_get("point_id")?,
        item: item_of(r.try_get("item")?)?,
        households,
        packages: r.try_get("packages")?,
        delivered,
        refused,
        open: households - delivered - refused,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

fn delivery_of(r: &DbRow) -> Result<DeliveryRecord> {
    let outcome: Option<String> = r.try_get("outcome")?;
    Ok(DeliveryRecord {
        id: r.try_get("id")?,
        distribution_id: r.try_get("distribution_id")?,
        household: code_of(r.try_get("household_code")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        members: r.try_get::<i32, _>("members")?.into(),
        packages: r.try_get::<i32, _>("packages")?.into(),
        vulnerable: r.try_get("vulnerable")?,
        outcome: outcome
            .map(|o| {
                DeliveryOutcome::parse(&o).ok_or_else(|| StoreError::Invalid(format!("stored outcome {o:?}")))
            })
            .transpose()?,
        outcome_at: r.try_get("outcome_at")?,
        outcome_by: r.try_get("outcome_by")?,
        note: r.try_get("note")?,
        need_id: r.try_get("need_id")?,
    })
}

/// Takes `quantity` (negative: out) on the point's stock inside `tx`, with the move that says
/// why; below zero is a conflict.
async fn take(
    tx: &mut Tx,
    point_id: &str,
    item: SupplyItem,
    quantity: i64,
    reason: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<i64> {
    let have: i64 = query("SELECT quantity FROM supply_stock WHERE point_id = $1 AND item = $2")
        .bind(point_id)
        .bind(item.as_str())
        .scalar_optional(&mut *tx)
        .await?
        .unwrap_or(0);
    if have + quantity < 0 {
        return Err(StoreError::Conflict(format!(
            "{point_id} holds {have} of {}: {} cannot be taken out",
            item.as_str(),
            -quantity
        )));
    }
    // An update first: the CHECK judges an insert's own row before any conflict would be
    // resolved, so a stock taken out is never written as an insert.
    let updated = query("UPDATE supply_stock SET quantity = quantity + $3 WHERE point_id = $1 AND item = $2")
        .bind(point_id)
        .bind(item.as_str())
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        query("INSERT INTO supply_stock (point_id, item, quantity) VALUES ($1, $2, $3)")
            .bind(point_id)
            .bind(item.as_str())
            .bind(quantity)
            .execute(&mut *tx)
            .await?;
    }
    query("INSERT INTO supply_moves (point_id, item, quantity, reason, at, by_user) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(point_id)
        .bind(item.as_str())
        .bind(quantity)
        .bind(reason)
        .bind(at)
        .bind(by)
        .execute(&mut *tx)
        .await?;
    Ok(have + quantity)
}

#[async_trait::async_trait]
impl<S: Backed> Supplies for S {
    async fn create_supply_point(&self, p: &NewSupplyPoint) -> Result<SupplyPointRecord> {
        let mut tx = self.db().begin().await?;
        let path: String = query("SELECT path FROM areas WHERE code = $1")
            .bind(p.area.as_str())
            .scalar_optional(&mut tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("area {}", p.area)))?;
        query("INSERT INTO supply_points (id, name, area_code, path, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&p.id)
            .bind(&p.name)
            .bind(p.area.as_str())
            .bind(&path)
            .bind(p.at)
            .bind(&p.by)
            .execute(&mut tx)
            .await
            .map_err(|e| match e {
                StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                    StoreError::Conflict(format!("a distribution point {} exists already", p.id))
                }
                e => e,
            })?;
        let row =
            Query::dynamic(format!("{POINT_SELECT} WHERE p.id = $1")).bind(&p.id).fetch_one(&mut tx).await?;
        let record = SupplyPointRecord {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            area: code_of(row.try_get("area_code")?)?,
            area_name: row.try_get("area_name")?,
            path: AreaPath::from_stored(row.try_get("path")?),
            stock: Vec::new(),
        };
        tx.commit().await?;
        Ok(record)
    }

    async fn supply_points(&self, scope: &AreaPath) -> Result<Vec<SupplyPointRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!("{POINT_SELECT} WHERE p.path >= $1 AND p.path < $2 ORDER BY p.id");
        let rows = Query::dynamic(sql).bind(&lo).bind(&hi).fetch_all(self.db()).await?;
        // The stock of every point in one read, not one a point (and no write lock for it).
        let stock = query(
            "SELECT k.point_id, k.item, k.quantity FROM supply_stock k JOIN supply_points p ON p.id = k.point_id \
             WHERE p.path >= $1 AND p.path < $2 ORDER BY k.point_id, k.item",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.db())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get("id")?;
            let mut held = Vec::new();
            for k in &stock {
                if k.try_get::<&str, _>("point_id")? == id {
                    held.push((item_of(k.try_get("item")?)?, k.try_get("quantity")?));
                }
            }
            out.push(SupplyPointRecord {
                id,
                name: r.try_get("name")?,
                area: code_of(r.try_get("area_code")?)?,
                area_name: r.try_get("area_name")?,
                path: AreaPath::from_stored(r.try_get("path")?),
                stock: held,
            });
        }
        Ok(out)
    }

    async fn move_stock(
        &self,
        point_id: &str,
        item: SupplyItem,
        quantity: i64,
        reason: &str,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<i64> {
        let mut tx = self.db().begin().await?;
        // Held for the transaction, so two moves cannot both read the same level.
        let held = query("UPDATE supply_points SET name = name WHERE id = $1 RETURNING id")
            .bind(point_id)
            .fetch_optional(&mut tx)
            .await?;
        if held.is_none() {
            return Err(StoreError::NotFound(format!("distribution point {point_id}")));
        }
        let level = take(&mut tx, point_id, item, quantity, reason, at, by).await?;
        tx.commit().await?;
        Ok(level)
    }

    async fn create_distribution(&self, scope: &AreaPath, d: &NewDistribution) -> Result<DistributionRecord> {
        let (lo, hi) = scope.subtree_range();
        let mut tx = self.db().begin().await?;
        let path: String = query("SELECT path FROM areas WHERE code = $1 AND path >= $2 AND path < $3")
            .bind(d.area.as_str())
            .bind(&lo)
            .bind(&hi)
            .scalar_optional(&mut tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("area {}", d.area)))?;
        let point = query("UPDATE supply_points SET name = name WHERE id = $1 RETURNING id")
            .bind(&d.point_id)
            .fetch_optional(&mut tx)
            .await?;
        if point.is_none() {
            return Err(StoreError::NotFound(format!("distribution point {}", d.point_id)));
        }
        let id: i64 = query(
            "INSERT INTO distributions (area_code, path, point_id, item, households, packages, note, created_at, created_by) \
             VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7) RETURNING id",
        )
        .bind(d.area.as_str())
        .bind(&path)
        .bind(&d.point_id)
        .bind(d.item.as_str())
        .bind(&d.note)
        .bind(d.at)
        .bind(&d.by)
        .scalar_one(&mut tx)
        .await?;
        let (area_lo, area_hi) = AreaPath::from_stored(path.clone()).subtree_range();
        // One statement over the register: a delivery per household, its packages by the
        // sizing — a round of formula only where a child is young enough, a package a child.
        // A household is one area: grouped by its path, the register's path index hands the
        // members over household by household, in the order the round's index keeps.
        let (per, children, born_since) = match d.sizing {
            Sizing::PerMembers(per) => (i64::from(per.max(1)), 0_i64, 0_i64),
            Sizing::PerChildBornSince(year) => (1, 1, i64::from(year)),
        };
        query(
            "INSERT INTO deliveries (distribution_id, household_code, path, members, packages, vulnerable) \
             SELECT $1, min(p.household_code), p.path, count(*), \
             CASE WHEN $5 = 1 THEN sum(CASE WHEN p.birth_year >= $6 THEN 1 ELSE 0 END) \
                  ELSE (count(*) + $4 - 1) / $4 END, \
             CASE WHEN max(CASE WHEN p.tags <> '' THEN 1 ELSE 0 END) = 1 THEN TRUE ELSE FALSE END \
             FROM people p WHERE p.status = 'active' AND p.path >= $2 AND p.path < $3 GROUP BY p.path \
             HAVING $5 = 0 OR sum(CASE WHEN p.birth_year >= $6 THEN 1 ELSE 0 END) > 0",
        )
        .bind(id)
        .bind(area_lo)
        .bind(area_hi)
        .bind(per)
        .bind(children)
        .bind(born_since)
        .execute(&mut tx)
        .await?;
        let totals = query("SELECT count(*) AS n, COALESCE(sum(packages), 0) AS p FROM deliveries WHERE distribution_id = $1")
            .bind(id)
            .fetch_one(&mut tx)
            .await?;
        let (households, packages): (i64, i64) = (totals.try_get("n")?, totals.try_get("p")?);
        if households == 0 {
            let whom = match d.sizing {
                Sizing::PerMembers(_) => "nobody lives",
                Sizing::PerChildBornSince(_) => "no young child lives",
            };
            return Err(StoreError::Conflict(format!("{whom} in {} to deliver to", d.area)));
        }
        take(
            &mut tx,
            &d.point_id,
            d.item,
            -packages,
            &format!("distribution #{id} over {}", d.area),
            d.at,
            &d.by,
        )
        .await?;
        query("UPDATE distributions SET households = $1, packages = $2 WHERE id = $3")
            .bind(households)
            .bind(packages)
            .bind(id)
            .execute(&mut tx)
            .await?;
        let row = Query::dynamic(format!("{DISTRIBUTION_SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_one(&mut tx)
            .await?;
        let record = distribution_of(&row)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn distribution(&self, scope: &AreaPath, id: i64) -> Result<Option<DistributionRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!("{DISTRIBUTION_SELECT} WHERE d.id = $1 AND d.path >= $2 AND d.path < $3");
        Query::dynamic(sql)
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_optional(self.db())
            .await?
            .as_ref()
            .map(distribution_of)
            .transpose()
    }

    async fn distributions(&self, scope: &AreaPath, limit: u32) -> Result<Vec<DistributionRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!(
            "{DISTRIBUTION_SELECT} WHERE d.path >= $1 AND d.path < $2 ORDER BY d.created_at DESC, d.id DESC LIMIT $3"
        );
        let rows = Query::dynamic(sql).bind(lo).bind(hi).bind(i64::from(limit)).fetch_all(self.db()).await?;
        rows.iter().map(distribution_of).collect()
    }

    async fn deliveries(&self, distribution_id: i64, within: &AreaPath) -> Result<Vec<DeliveryRecord>> {
        let (lo, hi) = within.subtree_range();
        let rows = query(
            "SELECT * FROM deliveries WHERE distribution_id = $1 AND path >= $2 AND path < $3 \
             ORDER BY CASE WHEN vulnerable THEN 0 ELSE 1 END, path, household_code",
        )
        .bind(distribution_id)
        .bind(lo)
        .bind(hi)
        .fetch_all(self.db())
        .await?;
        rows.iter().map(delivery_of).collect()
    }

    async fn record_delivery(
        &self,
        scope: &AreaPath,
        id: i64,
        mark: &DeliveryMark,
    ) -> Result<Option<DeliveryRecord>> {
        let DeliveryMark { outcome, note, at, by, fulfils } = mark;
        let outcome = *outcome;
        let (lo, hi) = scope.subtree_range();
        let mut tx = self.db().begin().await?;
        let row =
            query("UPDATE deliveries SET note = note WHERE id = $1 AND path >= $2 AND path < $3 RETURNING *")
                .bind(id)
                .bind(lo)
                .bind(hi)
                .fetch_optional(&mut tx)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let before = delivery_of(&row)?;
        if let (Some(done), Some(when)) = (before.outcome.filter(|o| o.closes()), before.outcome_at) {
            return Err(StoreError::Conflict(format!(
                "delivery {id} was {} at {}",
                done.as_str(),
                when.format("%F %H:%M UTC")
            )));
        }
        let row = query("UPDATE deliveries SET outcome = $1, outcome_at = $2, outcome_by = $3, note = $4 WHERE id = $5 RETURNING *")
            .bind(outcome.as_str())
            .bind(at)
            .bind(by)
            .bind(note)
            .bind(id)
            .fetch_one(&mut tx)
            .await?;
        let mut record = delivery_of(&row)?;
        // The round's counts move with the door: a closed one is delivered or refused.
        if outcome.closes() {
            let column = match outcome {
                DeliveryOutcome::Delivered => "delivered",
                _ => "refused",
            };
            Query::dynamic(format!("UPDATE distributions SET {column} = {column} + 1 WHERE id = $1"))
                .bind(before.distribution_id)
                .execute(&mut tx)
                .await?;
        }
        if let Some(f) = fulfils {
            if outcome != DeliveryOutcome::Delivered {
                return Err(StoreError::Conflict("only a delivery delivered fulfils a request".into()));
            }
            let item: String = query("SELECT item FROM distributions WHERE id = $1")
                .bind(before.distribution_id)
                .scalar_one(&mut tx)
                .await?;
            let item = item_of(&item)?;
            let category: Option<String> = query("SELECT category FROM needs WHERE id = $1")
                .bind(f.need_id)
                .scalar_optional(&mut tx)
                .await?;
            if category.as_deref() != Some(cordon_domain::needs::NeedCategory::answered_by(item).as_str()) {
                return Err(StoreError::Conflict(format!(
                    "request {} is not for {}: a {} does not fulfil it",
                    f.need_id,
                    cordon_domain::needs::NeedCategory::answered_by(item).as_str(),
                    item.as_str()
                )));
            }
            // Inside the household's own path: a request of another household is not found.
            step_need(&mut tx, self.keys(), &before.path, f.need_id, &f.event, &f.rule).await?.ok_or_else(
                || {
                    StoreError::Conflict(format!(
                        "request {} is not of household {}",
                        f.need_id, before.household
                    ))
                },
            )?;
            query("UPDATE deliveries SET need_id = $1 WHERE id = $2")
                .bind(f.need_id)
                .bind(id)
                .execute(&mut tx)
                .await?;
            record.need_id = Some(f.need_id);
        }
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn open_deliveries(&self, scope: &AreaPath) -> Result<i64> {
        let (lo, hi) = scope.subtree_range();
        // Rounds inside the scope answer from their counts; a round over an area holding the
        // scope (a district's round, read by a community) counts the scope's own doors of it.
        query(
            "SELECT CAST((SELECT COALESCE(sum(d.households - d.delivered - d.refused), 0) FROM distributions d \
                     WHERE d.path >= $1 AND d.path < $2) AS BIGINT) \
                  + (SELECT count(*) FROM distributions d JOIN deliveries x ON x.distribution_id = d.id \
                     WHERE d.path < $1 AND substr($1, 1, length(d.path)) = d.path \
                     AND x.path >= $1 AND x.path < $2 AND (x.outcome IS NULL OR x.outcome = 'nobody_home'))",
        )
        .bind(lo)
        .bind(hi)
        .scalar_one(self.db())
        .await
    }

    async fn overdue_households(
        &self,
        scope: &AreaPath,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<(i64, Vec<OverdueHousehold>)> {
        let (lo, hi) = scope.subtree_range();
        // The zones that reach into the scope: inside it, or around it.
        let within = "FROM areas h WHERE h.level = 'household' AND h.path >= $1 AND h.path < $2 \
             AND EXISTS (SELECT 1 FROM zones z WHERE z.ended_at IS NULL AND z.tier IN ('sealed', 'controlled') \
                 AND z.started_at <= $3 \
                 AND h.path >= z.path AND h.path < substr(z.path, 1, length(z.path) - 1) || '0') \
             AND EXISTS (SELECT 1 FROM people p WHERE p.household_code = h.code AND p.status = 'active') \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.household_code = h.code \
                 AND d.outcome = 'delivered' AND d.outcome_at >= $3)";
        let count: i64 = Query::dynamic(format!("SELECT count(*) {within}"))
            .bind(&lo)
            .bind(&hi)
            .bind(since)
            .scalar_one(self.db())
            .await?;
        let rows = Query::dynamic(format!(
            "SELECT h.code, h.path, (SELECT max(d.outcome_at) FROM deliveries d WHERE d.household_code = h.code \
             AND d.outcome = 'delivered') AS last_delivered {within} ORDER BY h.path LIMIT $4"
        ))
        .bind(lo)
        .bind(hi)
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(self.db())
        .await?;
        let list = rows
            .iter()
            .map(|r| {
                Ok(OverdueHousehold {
                    household: code_of(r.try_get("code")?)?,
                    path: AreaPath::from_stored(r.try_get("path")?),
                    last_delivered: r.try_get("last_delivered")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((count, list))
    }
}
