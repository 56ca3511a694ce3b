//! The workforce in the store: workers, reporting in, quarantine sites, assignments (包联) and
//! the areas coverage looks at. An assignment is checked against the unit's other assignments
//! inside the transaction that writes it (the domain's `check_spell`), so two leaders for the
//! same unit and time cannot both land. The SQL is the same on both backends.

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::isolation::SiteKind;
use cordon_domain::workforce::{Post, Rank, WorkerRow};
use cordon_domain::{AreaCode, AreaLevel, AreaPath};

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRecord {
    pub worker_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub organisation: String,
    pub party_member: bool,
    pub rank: Rank,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinRecord {
    pub worker: WorkerRecord,
    pub community: AreaCode,
    pub community_name: String,
    pub path: AreaPath,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewSite {
    pub id: String,
    pub name: String,
    pub area: AreaCode,
    pub kind: SiteKind,
    /// Rooms (or beds) numbered from 1, one bed each; more are added by the isolation API.
    pub rooms: i64,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRecord {
    pub id: String,
    pub name: String,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    pub kind: SiteKind,
    /// Its rooms (or beds), and the people in them: the stays open there.
    pub rooms: i64,
    pub occupied: i64,
}

/// What a worker answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitRef {
    Area(AreaCode),
    Site(String),
}

impl UnitRef {
    pub fn kind(&self) -> &'static str {
        match self {
            UnitRef::Area(_) => "area",
            UnitRef::Site(_) => "site",
        }
    }

    pub fn key(&self) -> &str {
        match self {
            UnitRef::Area(c) => c.as_str(),
            UnitRef::Site(s) => s,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub worker_id: String,
    pub unit: UnitRef,
    pub post: Post,
    pub title: String,
    /// 值班电话: the post's official line, which households under the unit are shown.
    pub duty_phone: Option<String>,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRecord {
    pub id: i64,
    pub worker: WorkerRecord,
    pub unit: UnitRef,
    pub unit_name: String,
    pub path: AreaPath,
    pub post: Post,
    pub title: String,
    pub duty_phone: Option<String>,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub created_by: String,
}

/// Who answers for a unit now, as coverage counts them: the unit, the post and the worker's rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staffing {
    pub worker_id: String,
    pub unit: UnitRef,
    pub post: Post,
    pub rank: Rank,
}

/// Where the units of coverage stand: `units` moves with every change to the areas, their
/// residents or the zones; `areas` with the areas and residents alone (a change of zones leaves
/// it, so a reader reads again only under those zones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitsVersion {
    pub units: i64,
    pub areas: i64,
}

/// A worker on hand as the suggestions weigh them: the community they reported to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnHand {
    pub worker_id: String,
    pub rank: Rank,
    pub community: AreaPath,
}

/// 现场指挥部: a compound's temporary command post and its temporary party branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandPostRecord {
    pub id: i64,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    pub name: String,
    pub branch: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// An area coverage looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitArea {
    pub code: AreaCode,
    pub name: String,
    pub level: AreaLevel,
    pub path: AreaPath,
    pub residents: i64,
}

#[async_trait::async_trait]
pub trait Workforce {
    /// Adds or updates workers by `worker_id`, all in one transaction: (added, updated).
    async fn put_workers(&self, rows: &[WorkerRow], at: DateTime<Utc>) -> Result<(i64, i64)>;
    async fn worker(&self, id: &str) -> Result<Option<WorkerRecord>>;
    /// 报到: a worker reports to a community for a local day. Again to the same one changes
    /// nothing; to another the same day is a conflict.
    async fn check_in(
        &self,
        worker_id: &str,
        community: &AreaCode,
        day: NaiveDate,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<CheckinRecord>;
    /// Who reported to a community inside `scope` on `day`.
    async fn on_hand(&self, scope: &AreaPath, day: NaiveDate) -> Result<Vec<CheckinRecord>>;

    async fn create_site(&self, site: &NewSite) -> Result<SiteRecord>;
    async fn sites(&self, scope: &AreaPath) -> Result<Vec<SiteRecord>>;

    /// Writes an assignment unless it overlaps another of the same worker for the unit, or a
    /// second leader (checked in the writing transaction).
    async fn assign(&self, a: &NewAssignment) -> Result<AssignmentRecord>;
    /// Ends an assignment of a unit inside `scope` at `at` (not before it started); None if
    /// there is no such one there.
    async fn end_assignment(
        &self,
        scope: &AreaPath,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<AssignmentRecord>>;
    /// Assignments of units inside `scope`, those running at `at` only when given.
    async fn assignments(&self, scope: &AreaPath, at: Option<DateTime<Utc>>)
    -> Result<Vec<AssignmentRecord>>;

    /// The assignments of units inside `scope` running at `at`, as coverage counts them: no
    /// names, titles or unit names (a city has tens of thousands).
    async fn staffing(&self, scope: &AreaPath, at: DateTime<Utc>) -> Result<Vec<Staffing>>;
    /// Who reported in inside `scope` on `day`, as the suggestions weigh them.
    async fn candidates(&self, scope: &AreaPath, day: NaiveDate) -> Result<Vec<OnHand>>;
    /// These workers, by id (those the store knows).
    async fn workers_by_id(&self, ids: &[String]) -> Result<std::collections::HashMap<String, WorkerRecord>>;
    /// The versions of what the units of coverage are made of, bumped in the transaction of
    /// every change to them.
    async fn units_version(&self) -> Result<UnitsVersion>;
    /// The areas of the zones drawn, raised, stepped down or lifted after units version `since`.
    async fn zones_changed_since(&self, since: i64) -> Result<Vec<AreaPath>>;

    /// Areas at these levels inside `scope` (with their subtree's residents), by path.
    async fn areas_at(&self, scope: &AreaPath, levels: &[AreaLevel]) -> Result<Vec<UnitArea>>;

    /// Areas at these levels inside `scope` and inside an active zone of one of these tiers
    /// (on the zone's area or below it), by path: the units the zones' rules hold, without
    /// reading every building of a city.
    async fn areas_in_zones(
        &self,
        scope: &AreaPath,
        levels: &[AreaLevel],
        tiers: &[cordon_domain::Tier],
    ) -> Result<Vec<UnitArea>>;
    /// Workers who reported in inside `scope` on `day`: (all, party members, organisations).
    async fn on_hand_counts(&self, scope: &AreaPath, day: NaiveDate) -> Result<(i64, i64, i64)>;

    /// A command post for a compound (one each: a second is a conflict).
    async fn create_command_post(
        &self,
        area: &AreaCode,
        name: &str,
        branch: &str,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<CommandPostRecord>;
    async fn command_posts(&self, scope: &AreaPath) -> Result<Vec<CommandPostRecord>>;
}

mod workforce_sql {
    use chrono::{DateTime, NaiveDate, Utc};
    use cordon_domain::isolation::SiteKind;
    use cordon_domain::workforce::{Post, Rank, Spell, WorkerRow, check_spell};
    use cordon_domain::{AreaCode, AreaLevel, AreaPath};

    use crate::db::{Backed, DbRow, Query, query};
    use crate::workforce::*;
    use crate::{Result, StoreError, code_of, level_of};

    const ASSIGNMENT_SELECT: &str = "SELECT x.*, w.name AS worker_name, w.phone, w.organisation, \
         w.party_member, w.rank, COALESCE(a.name, s.name) AS unit_name \
         FROM assignments x JOIN workers w ON w.worker_id = x.worker_id \
         LEFT JOIN areas a ON x.unit_kind = 'area' AND a.code = x.unit_key \
         LEFT JOIN quarantine_sites s ON x.unit_kind = 'site' AND s.id = x.unit_key";
    const CHECKIN_SELECT: &str = "SELECT c.*, w.name AS worker_name, w.phone, w.organisation, \
         w.party_member, w.rank, a.name AS community_name \
         FROM checkins c JOIN workers w ON w.worker_id = c.worker_id JOIN areas a ON a.code = c.community_code";
    /// Rooms and occupancy are counted from the rooms and the stays open: never a number kept.
    const SITE_SELECT: &str = "SELECT s.id, s.name, s.area_code, s.path, s.kind, a.name AS area_name, \
         (SELECT count(*) FROM site_rooms r WHERE r.site_id = s.id) AS rooms, \
         (SELECT count(*) FROM stays y WHERE y.site_id = s.id AND y.checked_out_at IS NULL) AS occupied \
         FROM quarantine_sites s JOIN areas a ON a.code = s.area_code";

    const POST_SELECT: &str =
        "SELECT c.*, a.name AS area_name FROM command_posts c JOIN areas a ON a.code = c.area_code";

    fn command_post_of(r: &DbRow) -> Result<CommandPostRecord> {
        Ok(CommandPostRecord {
            id: r.try_get("id")?,
            area: code_of(r.try_get("area_code")?)?,
            area_name: r.try_get("area_name")?,
            path: AreaPath::from_stored(r.try_get("path")?),
            name: r.try_get("name")?,
            branch: r.try_get("branch")?,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
        })
    }

    fn unit_area_of(r: &DbRow) -> Result<UnitArea> {
        let level: String = r.try_get("level")?;
        Ok(UnitArea {
            code: code_of(r.try_get("code")?)?,
            name: r.try_get("name")?,
            level: level_of(&level)?,
            path: AreaPath::from_stored(r.try_get("path")?),
            residents: r.try_get("residents")?,
        })
    }

    fn rank_of(s: &str) -> Result<Rank> {
        Rank::parse(s).map_err(|e| StoreError::Invalid(format!("stored rank: {e}")))
    }

    fn post_of(s: &str) -> Result<Post> {
        Post::parse(s).ok_or_else(|| StoreError::Invalid(format!("stored post {s:?}")))
    }

    fn unit_of(kind: &str, key: String) -> Result<UnitRef> {
        Ok(if kind == "site" { UnitRef::Site(key) } else { UnitRef::Area(code_of(key)?) })
    }

    fn worker_of(r: &DbRow, name: &str) -> Result<WorkerRecord> {
        Ok(WorkerRecord {
            worker_id: r.try_get("worker_id")?,
            name: r.try_get(name)?,
            phone: r.try_get("phone")?,
            organisation: r.try_get("organisation")?,
            party_member: r.try_get("party_member")?,
            rank: rank_of(r.try_get("rank")?)?,
        })
    }

    fn day_of(s: &str) -> Result<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Invalid(format!("stored day {s:?}")))
    }

    fn checkin_of(r: &DbRow) -> Result<CheckinRecord> {
        let day: String = r.try_get("day")?;
        Ok(CheckinRecord {
            worker: worker_of(r, "worker_name")?,
            community: code_of(r.try_get("community_code")?)?,
            community_name: r.try_get("community_name")?,
            path: AreaPath::from_stored(r.try_get("path")?),
            day: day_of(&day)?,
            at: r.try_get("at")?,
        })
    }

    fn site_of(r: &DbRow) -> Result<SiteRecord> {
        Ok(SiteRecord {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            area: code_of(r.try_get("area_code")?)?,
            area_name: r.try_get("area_name")?,
            path: AreaPath::from_stored(r.try_get("path")?),
            kind: SiteKind::parse(r.try_get("kind")?)
                .map_err(|e| StoreError::Invalid(format!("stored site: {e}")))?,
            rooms: r.try_get("rooms")?,
            occupied: r.try_get("occupied")?,
        })
    }

    fn assignment_of(r: &DbRow) -> Result<AssignmentRecord> {
        Ok(AssignmentRecord {
            id: r.try_get("id")?,
            worker: worker_of(r, "worker_name")?,
            unit: unit_of(r.try_get("unit_kind")?, r.try_get("unit_key")?)?,
            unit_name: r.try_get::<Option<String>, _>("unit_name")?.unwrap_or_default(),
            path: AreaPath::from_stored(r.try_get("path")?),
            post: post_of(r.try_get("post")?)?,
            title: r.try_get("title")?,
            duty_phone: r.try_get("duty_phone")?,
            from: r.try_get("from_at")?,
            until: r.try_get("until_at")?,
            created_by: r.try_get("created_by")?,
        })
    }

    #[async_trait::async_trait]
    impl<S: Backed> Workforce for S {
        async fn put_workers(&self, rows: &[WorkerRow], at: DateTime<Utc>) -> Result<(i64, i64)> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let (mut added, mut updated) = (0, 0);
            for w in rows {
                let known = query("SELECT 1 AS one FROM workers WHERE worker_id = $1")
                    .bind(&w.worker_id)
                    .fetch_optional(&mut tx)
                    .await?
                    .is_some();
                query(
                    "INSERT INTO workers (worker_id, name, phone, organisation, party_member, rank, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (worker_id) DO UPDATE SET \
                     name = excluded.name, phone = excluded.phone, organisation = excluded.organisation, \
                     party_member = excluded.party_member, rank = excluded.rank, updated_at = excluded.updated_at",
                )
                .bind(&w.worker_id)
                .bind(&w.name)
                .bind(w.phone.as_ref().map(|p| p.as_str().to_owned()))
                .bind(&w.organisation)
                .bind(w.party_member)
                .bind(w.rank.as_str())
                .bind(at)
                .execute(&mut tx)
                .await?;
                if known { updated += 1 } else { added += 1 }
            }
            tx.commit().await?;
            Ok((added, updated))
        }

        async fn worker(&self, id: &str) -> Result<Option<WorkerRecord>> {
            query("SELECT * FROM workers WHERE worker_id = $1")
                .bind(id)
                .fetch_optional(self.db())
                .await?
                .as_ref()
                .map(|r| worker_of(r, "name"))
                .transpose()
        }

        async fn check_in(
            &self,
            worker_id: &str,
            community: &AreaCode,
            day: NaiveDate,
            at: DateTime<Utc>,
            by: &str,
        ) -> Result<CheckinRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            if query("SELECT 1 AS one FROM workers WHERE worker_id = $1")
                .bind(worker_id)
                .fetch_optional(&mut tx)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("worker {worker_id}")));
            }
            let area = query("SELECT path, level FROM areas WHERE code = $1")
                .bind(community.as_str())
                .fetch_optional(&mut tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("area {community}")))?;
            let level: String = area.try_get("level")?;
            if level_of(&level)? != AreaLevel::Community {
                return Err(StoreError::Invalid(format!(
                    "{community} is a {level}: workers report to a community"
                )));
            }
            let path: String = area.try_get("path")?;
            let day_s = day.format("%Y-%m-%d").to_string();
            let sql = format!("{CHECKIN_SELECT} WHERE c.worker_id = $1 AND c.day = $2");
            let existing =
                Query::dynamic(sql.clone()).bind(worker_id).bind(&day_s).fetch_optional(&mut tx).await?;
            if let Some(r) = existing {
                let c = checkin_of(&r)?;
                if c.community != *community {
                    return Err(StoreError::Conflict(format!(
                        "{worker_id} reported to {} ({}) on {day}: one community a day",
                        c.community_name, c.community
                    )));
                }
                return Ok(c);
            }
            query(
                "INSERT INTO checkins (worker_id, community_code, path, day, at, recorded_by, worker_party_member, \
                 worker_organisation) SELECT $1, $2, $3, $4, $5, $6, w.party_member, w.organisation \
                 FROM workers w WHERE w.worker_id = $1",
            )
            .bind(worker_id)
            .bind(community.as_str())
            .bind(&path)
            .bind(&day_s)
            .bind(at)
            .bind(by)
            .execute(&mut tx)
            .await?;
            let c = checkin_of(&Query::dynamic(sql).bind(worker_id).bind(&day_s).fetch_one(&mut tx).await?)?;
            tx.commit().await?;
            Ok(c)
        }

        async fn on_hand(&self, scope: &AreaPath, day: NaiveDate) -> Result<Vec<CheckinRecord>> {
            let (lo, hi) = scope.subtree_range();
            let sql = format!(
                "{CHECKIN_SELECT} WHERE c.day = $1 AND c.path >= $2 AND c.path < $3 ORDER BY c.path, w.name"
            );
            Query::dynamic(sql)
                .bind(day.format("%Y-%m-%d").to_string())
                .bind(lo)
                .bind(hi)
                .fetch_all(self.db())
                .await?
                .iter()
                .map(checkin_of)
                .collect()
        }

        async fn create_site(&self, site: &NewSite) -> Result<SiteRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let path: String = query("SELECT path FROM areas WHERE code = $1")
                .bind(site.area.as_str())
                .fetch_optional(&mut tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("area {}", site.area)))?
                .try_get("path")?;
            let inserted = query(
                "INSERT INTO quarantine_sites (id, name, area_code, path, rooms, kind, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&site.id)
            .bind(&site.name)
            .bind(site.area.as_str())
            .bind(&path)
            .bind(site.rooms)
            .bind(site.kind.as_str())
            .bind(site.at)
            .bind(&site.by)
            .execute(&mut tx)
            .await;
            match inserted {
                Err(crate::StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict(format!(
                        "a quarantine site {} exists already",
                        site.id
                    )));
                }
                other => {
                    other?;
                }
            }
            let labels: Vec<(String, i64)> = (1..=site.rooms).map(|i| (i.to_string(), 1)).collect();
            crate::isolation::insert_rooms(&mut tx, &site.id, &labels, site.at, &site.by).await?;
            let sql = format!("{SITE_SELECT} WHERE s.id = $1");
            let r = site_of(&Query::dynamic(sql).bind(&site.id).fetch_one(&mut tx).await?)?;
            tx.commit().await?;
            Ok(r)
        }

        async fn sites(&self, scope: &AreaPath) -> Result<Vec<SiteRecord>> {
            let (lo, hi) = scope.subtree_range();
            let sql = format!("{SITE_SELECT} WHERE s.path >= $1 AND s.path < $2 ORDER BY s.path, s.name");
            Query::dynamic(sql).bind(lo).bind(hi).fetch_all(self.db()).await?.iter().map(site_of).collect()
        }

        async fn assign(&self, a: &NewAssignment) -> Result<AssignmentRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            if query("SELECT 1 AS one FROM workers WHERE worker_id = $1")
                .bind(&a.worker_id)
                .fetch_optional(&mut tx)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("worker {}", a.worker_id)));
            }
            let unit = match &a.unit {
                UnitRef::Area(c) => {
                    query("SELECT path, name, level FROM areas WHERE code = $1").bind(c.as_str())
                }
                UnitRef::Site(s) => {
                    query("SELECT path, name, 'site' AS level FROM quarantine_sites WHERE id = $1")
                        .bind(s.as_str())
                }
            }
            .fetch_optional(&mut tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("unit {}", a.unit.key())))?;
            let level: String = unit.try_get("level")?;
            if level == "household" {
                return Err(StoreError::Invalid(format!(
                    "{} is a household: a worker answers for a building or above",
                    a.unit.key()
                )));
            }
            let path: String = unit.try_get("path")?;
            let name: String = unit.try_get("name")?;
            let others = query(
                "SELECT worker_id, post, from_at, until_at FROM assignments WHERE unit_kind = $1 AND unit_key = $2",
            )
            .bind(a.unit.kind())
            .bind(a.unit.key())
            .fetch_all(&mut tx)
            .await?;
            let spells = others
                .iter()
                .map(|r| {
                    let post: String = r.try_get("post")?;
                    Ok(Spell {
                        worker_id: r.try_get("worker_id")?,
                        post: Post::parse(&post).unwrap_or(Post::Member),
                        from: r.try_get("from_at")?,
                        until: r.try_get("until_at")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let new = Spell { worker_id: a.worker_id.clone(), post: a.post, from: a.from, until: a.until };
            check_spell(&new, &spells, &format!("{name} ({})", a.unit.key()))
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let id: i64 = query(
                "INSERT INTO assignments (worker_id, unit_kind, unit_key, path, post, title, from_at, until_at, created_at, \
                 created_by, duty_phone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(&a.worker_id)
            .bind(a.unit.kind())
            .bind(a.unit.key())
            .bind(&path)
            .bind(a.post.as_str())
            .bind(&a.title)
            .bind(a.from)
            .bind(a.until)
            .bind(a.at)
            .bind(&a.by)
            .bind(a.duty_phone.clone())
            .fetch_one(&mut tx)
            .await?
            .try_get("id")?;
            let sql = format!("{ASSIGNMENT_SELECT} WHERE x.id = $1");
            let r = assignment_of(&Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?)?;
            tx.commit().await?;
            Ok(r)
        }

        async fn end_assignment(
            &self,
            scope: &AreaPath,
            id: i64,
            at: DateTime<Utc>,
        ) -> Result<Option<AssignmentRecord>> {
            let (lo, hi) = scope.subtree_range();
            query(
                "UPDATE assignments SET until_at = $1 WHERE id = $2 AND path >= $3 AND path < $4 \
                 AND from_at <= $1 AND (until_at IS NULL OR until_at > $1)",
            )
            .bind(at)
            .bind(id)
            .bind(&lo)
            .bind(&hi)
            .execute(self.db())
            .await?;
            let sql = format!("{ASSIGNMENT_SELECT} WHERE x.id = $1 AND x.path >= $2 AND x.path < $3");
            Query::dynamic(sql)
                .bind(id)
                .bind(lo)
                .bind(hi)
                .fetch_optional(self.db())
                .await?
                .as_ref()
                .map(assignment_of)
                .transpose()
        }

        async fn assignments(
            &self,
            scope: &AreaPath,
            at: Option<DateTime<Utc>>,
        ) -> Result<Vec<AssignmentRecord>> {
            let (lo, hi) = scope.subtree_range();
            let sql = format!(
                "{ASSIGNMENT_SELECT} WHERE x.path >= $1 AND x.path < $2 \
                 AND ($3 IS NULL OR (x.from_at <= $3 AND (x.until_at IS NULL OR x.until_at > $3))) \
                 ORDER BY x.path, x.post, w.name"
            );
            Query::dynamic(sql)
                .bind(lo)
                .bind(hi)
                .bind(at)
                .fetch_all(self.db())
                .await?
                .iter()
                .map(assignment_of)
                .collect()
        }

        async fn create_command_post(
            &self,
            area: &AreaCode,
            name: &str,
            branch: &str,
            at: DateTime<Utc>,
            by: &str,
        ) -> Result<CommandPostRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let row = query("SELECT path, level FROM areas WHERE code = $1")
                .bind(area.as_str())
                .fetch_optional(&mut tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("area {area}")))?;
            let level: String = row.try_get("level")?;
            if level_of(&level)? != AreaLevel::Compound {
                return Err(StoreError::Invalid(format!(
                    "{area} is a {level}: a command post is for a compound"
                )));
            }
            let path: String = row.try_get("path")?;
            let inserted = query(
                "INSERT INTO command_posts (area_code, path, name, branch, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(area.as_str())
            .bind(&path)
            .bind(name)
            .bind(branch)
            .bind(at)
            .bind(by)
            .fetch_one(&mut tx)
            .await;
            let id: i64 = match inserted {
                Ok(r) => r.try_get("id")?,
                Err(crate::StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict(format!("{area} has a command post already")));
                }
                Err(e) => return Err(e),
            };
            let sql = format!("{POST_SELECT} WHERE c.id = $1");
            let r = command_post_of(&Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?)?;
            tx.commit().await?;
            Ok(r)
        }

        async fn command_posts(&self, scope: &AreaPath) -> Result<Vec<CommandPostRecord>> {
            let (lo, hi) = scope.subtree_range();
            let sql = format!("{POST_SELECT} WHERE c.path >= $1 AND c.path < $2 ORDER BY c.path");
            Query::dynamic(sql)
                .bind(lo)
                .bind(hi)
                .fetch_all(self.db())
                .await?
                .iter()
                .map(command_post_of)
                .collect()
        }

        async fn areas_in_zones(
            &self,
            scope: &AreaPath,
            levels: &[AreaLevel],
            tiers: &[cordon_domain::Tier],
        ) -> Result<Vec<UnitArea>> {
            let (lo, hi) = scope.subtree_range();
            let mut out = Vec::new();
            for level in levels {
                for tier in tiers {
                    // A zone's subtree is [path, path with its closing '/' made '0').
                    let rows = query(
                        // CROSS JOIN: SQLite walks the zones and seeks each one's
                        // range in the areas' (level, path) index, never the reverse.
                        "SELECT DISTINCT a.code, a.name, a.level, a.path, a.residents FROM zones z \
                         CROSS JOIN areas a WHERE z.ended_at IS NULL AND z.tier = $1 AND a.level = $2 \
                         AND a.path >= z.path AND a.path < substr(z.path, 1, length(z.path) - 1) || '0' \
                         AND a.path >= $3 AND a.path < $4",
                    )
                    .bind(tier.as_str())
                    .bind(level.as_str())
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_all(self.db())
                    .await?;
                    for r in &rows {
                        out.push(unit_area_of(r)?);
                    }
                }
            }
            out.sort_by(|a, b| a.path.cmp(&b.path));
            out.dedup_by(|a, b| a.path == b.path);
            Ok(out)
        }

        async fn on_hand_counts(&self, scope: &AreaPath, day: NaiveDate) -> Result<(i64, i64, i64)> {
            let (lo, hi) = scope.subtree_range();
            let r = query(
                "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN worker_party_member THEN 1 ELSE 0 END), 0) AS party, \
                 COUNT(DISTINCT worker_organisation) AS orgs \
                 FROM checkins WHERE day = $1 AND path >= $2 AND path < $3",
            )
            .bind(day.format("%Y-%m-%d").to_string())
            .bind(lo)
            .bind(hi)
            .fetch_one(self.db())
            .await?;
            Ok((r.try_get("n")?, r.try_get("party")?, r.try_get("orgs")?))
        }

        async fn staffing(&self, scope: &AreaPath, at: DateTime<Utc>) -> Result<Vec<Staffing>> {
            let (lo, hi) = scope.subtree_range();
            let rows = query(
                "SELECT x.worker_id, x.unit_kind, x.unit_key, x.post, w.rank FROM assignments x \
                 JOIN workers w ON w.worker_id = x.worker_id WHERE x.path >= $1 AND x.path < $2 \
                 AND x.from_at <= $3 AND (x.until_at IS NULL OR x.until_at > $3)",
            )
            .bind(lo)
            .bind(hi)
            .bind(at)
            .fetch_all(self.db())
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Staffing {
                        worker_id: r.try_get("worker_id")?,
                        unit: unit_of(r.try_get("unit_kind")?, r.try_get("unit_key")?)?,
                        post: post_of(r.try_get("post")?)?,
                        rank: rank_of(r.try_get("rank")?)?,
                    })
                })
                .collect()
        }

        async fn candidates(&self, scope: &AreaPath, day: NaiveDate) -> Result<Vec<OnHand>> {
            let (lo, hi) = scope.subtree_range();
            let rows = query(
                "SELECT c.worker_id, c.path, w.rank FROM checkins c JOIN workers w ON w.worker_id = c.worker_id \
                 WHERE c.day = $1 AND c.path >= $2 AND c.path < $3",
            )
            .bind(day.format("%Y-%m-%d").to_string())
            .bind(lo)
            .bind(hi)
            .fetch_all(self.db())
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(OnHand {
                        worker_id: r.try_get("worker_id")?,
                        rank: rank_of(r.try_get("rank")?)?,
                        community: AreaPath::from_stored(r.try_get("path")?),
                    })
                })
                .collect()
        }

        async fn workers_by_id(
            &self,
            ids: &[String],
        ) -> Result<std::collections::HashMap<String, WorkerRecord>> {
            let mut out = std::collections::HashMap::with_capacity(ids.len());
            for chunk in ids.chunks(crate::ROWS_PER_STATEMENT) {
                let q = query("SELECT * FROM workers WHERE worker_id IN (").push_list(chunk).push(")");
                for r in q.fetch_all(self.db()).await? {
                    let w = worker_of(&r, "name")?;
                    out.insert(w.worker_id.clone(), w);
                }
            }
            Ok(out)
        }

        async fn units_version(&self) -> Result<UnitsVersion> {
            let r = query(
                "SELECT (SELECT n FROM versions WHERE name = 'units') AS units, \
                 (SELECT n FROM versions WHERE name = 'areas') AS areas",
            )
            .fetch_one(self.db())
            .await?;
            Ok(UnitsVersion { units: r.try_get("units")?, areas: r.try_get("areas")? })
        }

        async fn zones_changed_since(&self, since: i64) -> Result<Vec<AreaPath>> {
            let rows = query("SELECT DISTINCT path FROM zones WHERE units_version > $1")
                .bind(since)
                .fetch_all(self.db())
                .await?;
            rows.iter().map(|r| Ok(AreaPath::from_stored(r.try_get("path")?))).collect()
        }

        async fn areas_at(&self, scope: &AreaPath, levels: &[AreaLevel]) -> Result<Vec<UnitArea>> {
            let (lo, hi) = scope.subtree_range();
            let mut out = Vec::new();
            for level in levels {
                let rows = query(
                    "SELECT code, name, level, path, residents FROM areas WHERE level = $1 AND path >= $2 AND path < $3",
                )
                .bind(level.as_str())
                .bind(&lo)
                .bind(&hi)
                .fetch_all(self.db())
                .await?;
                for r in &rows {
                    out.push(unit_area_of(r)?);
                }
            }
            out.sort_by(|a, b| a.path.cmp(&b.path));
            Ok(out)
        }
    }
}
