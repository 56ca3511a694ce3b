//! 卫生保洁、消杀 in the store: disinfection tasks and the waste collections of sealed
//! buildings. A case's pick-up writes the disinfections it calls for in its own transaction
//! (`plan_disinfections`); one place has at most one open task of a kind (a unique partial
//! index), so a second case leaving the same building does not double the stairs. Which
//! buildings are sealed, when they were last collected and which of their homes have a case or
//! a contact at home are read from the zones, the collections, the cases, the contacts and the
//! stays: nothing is counted by hand.

use chrono::{DateTime, Utc};
use cordon_domain::sanitation::DisinfectionKind;
use cordon_domain::{AreaCode, AreaPath};

use crate::db::{Backed, DbRow, Query, Tx, query};
use crate::{Result, StoreError, code_of};

#[derive(Debug, Clone)]
pub struct NewDisinfection {
    pub kind: DisinfectionKind,
    /// The household (home), the building (stairs), any place (area).
    pub area: AreaCode,
    /// The case's transfer that called for it.
    pub transfer_id: Option<i64>,
    pub reason: String,
    pub due: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisinfectionRecord {
    pub id: i64,
    pub kind: DisinfectionKind,
    pub area: AreaCode,
    pub path: AreaPath,
    pub transfer_id: Option<i64>,
    pub reason: String,
    pub due: DateTime<Utc>,
    pub team: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone)]
pub struct NewCollection {
    pub building: AreaCode,
    pub collected_at: DateTime<Utc>,
    pub team: String,
    pub bags: u32,
    pub apart_bags: u32,
    /// The homes of the building whose waste was kept apart, when it was collected.
    pub apart_homes: u32,
    pub note: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRecord {
    pub id: i64,
    pub building: AreaCode,
    pub path: AreaPath,
    pub collected_at: DateTime<Utc>,
    pub team: String,
    pub bags: i64,
    pub apart_bags: i64,
    pub apart_homes: i64,
    pub note: String,
    pub recorded_by: String,
}

/// A building of a sealed zone, and where its waste stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasteBuilding {
    pub building: AreaCode,
    pub path: AreaPath,
    /// When the earliest sealed zone around it in force was drawn.
    pub sealed_at: DateTime<Utc>,
    pub last_collected: Option<DateTime<Utc>>,
    /// Homes with a case or a contact at home (not in a site): their waste is kept apart.
    pub apart_homes: i64,
}

/// The sanitation of an area at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SanitationCounts {
    pub disinfections_open: i64,
    /// Open and past their deadline.
    pub disinfections_overdue: i64,
    /// Sealed buildings not collected since the rule's interval.
    pub waste_overdue: i64,
}

#[async_trait::async_trait]
pub trait Sanitation {
    /// Orders a disinfection of a place inside `scope`. None: no such place in scope. An open
    /// task of the kind for the place already is a conflict.
    async fn create_disinfection(
        &self,
        scope: &AreaPath,
        d: &NewDisinfection,
    ) -> Result<Option<DisinfectionRecord>>;
    /// The tasks of `scope`: the open ones by deadline, then (unless `open_only`) the newest
    /// done.
    async fn disinfections(
        &self,
        scope: &AreaPath,
        open_only: bool,
        limit: u32,
    ) -> Result<Vec<DisinfectionRecord>>;
    /// Sends a team to an open task (or another team). A done task is a conflict.
    async fn assign_disinfection(
        &self,
        scope: &AreaPath,
        id: i64,
        team: &str,
    ) -> Result<Option<DisinfectionRecord>>;
    /// Records a task done at `at`; done already, or before it was ordered, is a conflict.
    async fn complete_disinfection(
        &self,
        scope: &AreaPath,
        id: i64,
        at: DateTime<Utc>,
        note: &str,
        by: &str,
    ) -> Result<Option<DisinfectionRecord>>;
    /// The buildings of `scope` inside a sealed zone in force: their number, and the first
    /// `limit`, those longest uncollected first.
    async fn waste_buildings(&self, scope: &AreaPath, limit: u32) -> Result<(i64, Vec<WasteBuilding>)>;
    /// The homes under `within` with a case or a contact at home, whose waste is kept apart.
    async fn apart_homes(&self, within: &AreaPath) -> Result<Vec<AreaCode>>;
    /// Records a collection from a building inside `scope`. None: no such building in scope.
    async fn record_collection(
        &self,
        scope: &AreaPath,
        c: &NewCollection,
    ) -> Result<Option<CollectionRecord>>;
    /// The collections of `scope`, the newest first.
    async fn collections(&self, scope: &AreaPath, limit: u32) -> Result<Vec<CollectionRecord>>;
    /// Open and overdue tasks at `now`, and the sealed buildings of `scope` with nothing
    /// collected since `waste_since` (that were sealed by then).
    async fn sanitation_counts(
        &self,
        scope: &AreaPath,
        now: DateTime<Utc>,
        waste_since: DateTime<Utc>,
    ) -> Result<SanitationCounts>;
}

/// Writes the disinfections a step calls for inside its transaction; a place with an open task
/// of the kind already keeps that one.
pub(crate) async fn plan_disinfections(tx: &mut Tx, tasks: &[NewDisinfection]) -> Result<()> {
    for d in tasks {
        insert_disinfection(tx, d).await?;
    }
    Ok(())
}

/// Writes a task unless its place has an open one of the kind: its id, or None.
async fn insert_disinfection(tx: &mut Tx, d: &NewDisinfection) -> Result<Option<i64>> {
    query(
        "INSERT INTO disinfections (kind, area_code, path, transfer_id, reason, due_at, created_at, created_by) \
         SELECT $1, a.code, a.path, $3, $4, $5, $6, $7 FROM areas a WHERE a.code = $2 \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(d.kind.as_str())
    .bind(d.area.as_str())
    .bind(d.transfer_id)
    .bind(&d.reason)
    .bind(d.due)
    .bind(d.at)
    .bind(&d.by)
    .scalar_optional(&mut *tx)
    .await
}

/// A household `h` with someone at home who is an open case or a contact in quarantine: not
/// in a site (an open stay), so their waste is in the building.
const APART_HOME: &str = "(EXISTS (SELECT 1 FROM cases c WHERE c.path = h.path AND c.outcome IS NULL \
       AND NOT EXISTS (SELECT 1 FROM stays s WHERE s.person_id = c.person_id AND s.checked_out_at IS NULL)) \
     OR EXISTS (SELECT 1 FROM contacts k WHERE k.path = h.path AND k.status IN ('identified', 'quarantined') \
       AND NOT EXISTS (SELECT 1 FROM stays s WHERE s.person_id = k.person_id AND s.checked_out_at IS NULL)))";

/// The buildings of the scope (`$1`..`$2`) inside a sealed zone in force, with when the
/// earliest was drawn and their last collection. A sealed zone is drawn on a building or an
/// area above it.
const SEALED_BUILDINGS: &str = "SELECT b.code, b.path, min(z.started_at) AS sealed_at, \
       (SELECT max(w.collected_at) FROM waste_collections w WHERE w.area_code = b.code) AS last_collected \
     FROM zones z JOIN areas b ON b.level = 'building' \
       AND b.path >= z.path AND b.path < substr(z.path, 1, length(z.path) - 1) || '0' \
     WHERE z.ended_at IS NULL AND z.tier = 'sealed' AND b.path >= $1 AND b.path < $2 \
     GROUP BY b.code, b.path";

fn disinfection_of(r: &DbRow) -> Result<DisinfectionRecord> {
    let kind: String = r.try_get("kind")?;
    Ok(DisinfectionRecord {
        id: r.try_get("id")?,
        kind: DisinfectionKind::parse(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("stored disinfection kind {kind:?}")))?,
        area: code_of(r.try_get("area_code")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        transfer_id: r.try_get("transfer_id")?,
        reason: r.try_get("reason")?,
        due: r.try_get("due_at")?,
        team: r.try_get("team")?,
        done_at: r.try_get("done_at")?,
        done_by: r.try_get("done_by")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

fn collection_of(r: &DbRow) -> Result<CollectionRecord> {
    Ok(CollectionRecord {
        id: r.try_get("id")?,
        building: code_of(r.try_get("area_code")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        collected_at: r.try_get("collected_at")?,
        team: r.try_get("team")?,
        bags: r.try_get::<i32, _>("bags")?.into(),
        apart_bags: r.try_get::<i32, _>("apart_bags")?.into(),
        apart_homes: r.try_get::<i32, _>("apart_homes")?.into(),
        note: r.try_get("note")?,
        recorded_by: r.try_get("recorded_by")?,
    })
}

/// A count for an INTEGER column.
fn small(n: u32, what: &str) -> Result<i32> {
    i32::try_from(n).map_err(|_| StoreError::Invalid(format!("{what}: {n} is too many")))
}

/// The task `id` if it is inside `scope`, held for the transaction.
async fn task_in(tx: &mut Tx, scope: &AreaPath, id: i64) -> Result<Option<DisinfectionRecord>> {
    let (lo, hi) = scope.subtree_range();
    // An update that changes nothing: it holds the row against a second writer on both backends.
    let row =
        query("UPDATE disinfections SET note = note WHERE id = $1 AND path >= $2 AND path < $3 RETURNING *")
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_optional(&mut *tx)
            .await?;
    row.as_ref().map(disinfection_of).transpose()
}

async fn task_by_id(tx: &mut Tx, id: i64) -> Result<DisinfectionRecord> {
    disinfection_of(&query("SELECT * FROM disinfections WHERE id = $1").bind(id).fetch_one(&mut *tx).await?)
}

#[async_trait::async_trait]
impl<S: Backed> Sanitation for S {
    async fn create_disinfection(
        &self,
        scope: &AreaPath,
        d: &NewDisinfection,
    ) -> Result<Option<DisinfectionRecord>> {
        let (lo, hi) = scope.subtree_range();
        let mut tx = self.db().begin().await?;
        let inside: Option<String> =
            query("SELECT path FROM areas WHERE code = $1 AND path >= $2 AND path < $3")
                .bind(d.area.as_str())
                .bind(lo)
                .bind(hi)
                .scalar_optional(&mut tx)
                .await?;
        if inside.is_none() {
            return Ok(None);
        }
        let id = insert_disinfection(&mut tx, d).await?;
        let Some(id) = id else {
            return Err(StoreError::Conflict(format!(
                "{} of {} is ordered already and not done",
                d.kind.as_str(),
                d.area
            )));
        };
        let record = task_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn disinfections(
        &self,
        scope: &AreaPath,
        open_only: bool,
        limit: u32,
    ) -> Result<Vec<DisinfectionRecord>> {
        let (lo, hi) = scope.subtree_range();
        let mut out: Vec<DisinfectionRecord> = query(
            "SELECT * FROM disinfections WHERE done_at IS NULL AND path >= $1 AND path < $2 \
             ORDER BY due_at, id LIMIT $3",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(i64::from(limit))
        .fetch_all(self.db())
        .await?
        .iter()
        .map(disinfection_of)
        .collect::<Result<_>>()?;
        let left = i64::from(limit) - out.len() as i64;
        if !open_only && left > 0 {
            let done = query(
                "SELECT * FROM disinfections WHERE done_at IS NOT NULL AND path >= $1 AND path < $2 \
                 ORDER BY done_at DESC, id DESC LIMIT $3",
            )
            .bind(lo)
            .bind(hi)
            .bind(left)
            .fetch_all(self.db())
            .await?;
            for r in &done {
                out.push(disinfection_of(r)?);
            }
        }
        Ok(out)
    }

    async fn assign_disinfection(
        &self,
        scope: &AreaPath,
        id: i64,
        team: &str,
    ) -> Result<Option<DisinfectionRecord>> {
        let mut tx = self.db().begin().await?;
        let Some(task) = task_in(&mut tx, scope, id).await? else {
            return Ok(None);
        };
        if task.done_at.is_some() {
            return Err(StoreError::Conflict(format!("disinfection {id} is done already")));
        }
        query("UPDATE disinfections SET team = $1 WHERE id = $2")
            .bind(team)
            .bind(id)
            .execute(&mut tx)
            .await?;
        let record = task_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn complete_disinfection(
        &self,
        scope: &AreaPath,
        id: i64,
        at: DateTime<Utc>,
        note: &str,
        by: &str,
    ) -> Result<Option<DisinfectionRecord>> {
        let mut tx = self.db().begin().await?;
        let Some(task) = task_in(&mut tx, scope, id).await? else {
            return Ok(None);
        };
        if task.done_at.is_some() {
            return Err(StoreError::Conflict(format!("disinfection {id} is done already")));
        }
        if at < task.created_at {
            return Err(StoreError::Conflict(format!(
                "done at {} is before it was ordered, at {}",
                at.format("%F %H:%M UTC"),
                task.created_at.format("%F %H:%M UTC")
            )));
        }
        query("UPDATE disinfections SET done_at = $1, done_by = $2, note = $3 WHERE id = $4")
            .bind(at)
            .bind(by)
            .bind(note)
            .bind(id)
            .execute(&mut tx)
            .await?;
        let record = task_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn waste_buildings(&self, scope: &AreaPath, limit: u32) -> Result<(i64, Vec<WasteBuilding>)> {
        let (lo, hi) = scope.subtree_range();
        let count: i64 = Query::dynamic(format!("SELECT count(*) FROM ({SEALED_BUILDINGS}) s"))
            .bind(&lo)
            .bind(&hi)
            .scalar_one(self.db())
            .await?;
        // Longest uncollected first: from the later of the sealing and the last collection.
        let rows = Query::dynamic(format!(
            "SELECT s.*, (SELECT count(*) FROM areas h WHERE h.level = 'household' AND h.path >= s.path \
               AND h.path < substr(s.path, 1, length(s.path) - 1) || '0' AND {APART_HOME}) AS apart_homes \
             FROM ({SEALED_BUILDINGS}) s \
             ORDER BY CASE WHEN s.last_collected > s.sealed_at THEN s.last_collected ELSE s.sealed_at END, s.path \
             LIMIT $3"
        ))
        .bind(lo)
        .bind(hi)
        .bind(i64::from(limit))
        .fetch_all(self.db())
        .await?;
        let list = rows
            .iter()
            .map(|r| {
                Ok(WasteBuilding {
                    building: code_of(r.try_get("code")?)?,
                    path: AreaPath::from_stored(r.try_get("path")?),
                    sealed_at: r.try_get("sealed_at")?,
                    last_collected: r.try_get("last_collected")?,
                    apart_homes: r.try_get("apart_homes")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((count, list))
    }

    async fn apart_homes(&self, within: &AreaPath) -> Result<Vec<AreaCode>> {
        let (lo, hi) = within.subtree_range();
        Query::dynamic(format!(
            "SELECT h.code FROM areas h WHERE h.level = 'household' AND h.path >= $1 AND h.path < $2 \
             AND {APART_HOME} ORDER BY h.path"
        ))
        .bind(lo)
        .bind(hi)
        .fetch_all(self.db())
        .await?
        .iter()
        .map(|r| code_of(r.try_get("code")?))
        .collect()
    }

    async fn record_collection(
        &self,
        scope: &AreaPath,
        c: &NewCollection,
    ) -> Result<Option<CollectionRecord>> {
        let (lo, hi) = scope.subtree_range();
        let mut tx = self.db().begin().await?;
        let path: Option<String> = query(
            "SELECT path FROM areas WHERE code = $1 AND level = 'building' AND path >= $2 AND path < $3",
        )
        .bind(c.building.as_str())
        .bind(lo)
        .bind(hi)
        .scalar_optional(&mut tx)
        .await?;
        let Some(path) = path else {
            return Ok(None);
        };
        let row = query(
            "INSERT INTO waste_collections (area_code, path, collected_at, team, bags, apart_bags, apart_homes, \
             note, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        )
        .bind(c.building.as_str())
        .bind(path)
        .bind(c.collected_at)
        .bind(&c.team)
        .bind(small(c.bags, "bags")?)
        .bind(small(c.apart_bags, "apart_bags")?)
        .bind(small(c.apart_homes, "apart_homes")?)
        .bind(&c.note)
        .bind(c.at)
        .bind(&c.by)
        .fetch_one(&mut tx)
        .await?;
        let record = collection_of(&row)?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn collections(&self, scope: &AreaPath, limit: u32) -> Result<Vec<CollectionRecord>> {
        let (lo, hi) = scope.subtree_range();
        query(
            "SELECT * FROM waste_collections WHERE path >= $1 AND path < $2 ORDER BY collected_at DESC, id DESC \
             LIMIT $3",
        )
        .bind(lo)
        .bind(hi)
        .bind(i64::from(limit))
        .fetch_all(self.db())
        .await?
        .iter()
        .map(collection_of)
        .collect()
    }

    async fn sanitation_counts(
        &self,
        scope: &AreaPath,
        now: DateTime<Utc>,
        waste_since: DateTime<Utc>,
    ) -> Result<SanitationCounts> {
        let (lo, hi) = scope.subtree_range();
        let row = query(
            "SELECT count(*) AS open, coalesce(sum(CASE WHEN due_at < $3 THEN 1 ELSE 0 END), 0) AS overdue \
             FROM disinfections \
             WHERE done_at IS NULL AND path >= $1 AND path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(now)
        .fetch_one(self.db())
        .await?;
        let waste_overdue: i64 = Query::dynamic(format!(
            "SELECT count(*) FROM ({SEALED_BUILDINGS}) s WHERE s.sealed_at <= $3 \
             AND (s.last_collected IS NULL OR s.last_collected < $3)"
        ))
        .bind(lo)
        .bind(hi)
        .bind(waste_since)
        .scalar_one(self.db())
        .await?;
        Ok(SanitationCounts {
            disinfections_open: row.try_get("open")?,
            disinfections_overdue: row.try_get("overdue")?,
            waste_overdue,
        })
    }
}
