//! 扫楼: what the store keeps of a sweep team's doors — each visit's outcome, the person found and
//! registered there, a move out of the city written to the register with it — all of one
//! request in one transaction, and the figures a round reads back.
//!
//! The rules of an outcome (which settle a person, which need a reason, who is a home visit) are
//! the domain's (`door`); here each person is checked, inside the transaction, to be living in
//! the round's area, so a visit is never recorded against someone moved away meanwhile.

use chrono::{DateTime, Utc};
use cordon_domain::door::{DoorOutcome, HomeVisitRule};
use cordon_domain::{AreaPath, PersonId, PersonStatus};

use crate::db::{Backed, DbRow, Query, Tx, query};
use crate::register::{NewPerson, mark_gone, register_in};
use crate::testing::records::SETTLED;
use crate::{Result, StoreError};

/// One door of a request.
#[derive(Debug, Clone)]
pub enum DoorEntry<'a> {
    /// A person on the register, living in the round's area.
    Listed {
        person: &'a PersonId,
        outcome: DoorOutcome,
        reason: &'a str,
        /// A move out of the city, written to the register too (`moved_out` only).
        left_city: bool,
    },
    /// Someone living there and not on the register: registered now (the person's `scope` is
    /// the round's area, so their household is there), with a `found` visit, and a `sampled` one when sampled on the spot.
    Found { person: NewPerson<'a>, sampled: bool },
}

/// The doors of one request, all or none.
#[derive(Debug, Clone)]
pub struct DoorWrite<'a> {
    pub round_id: i64,
    /// The round's area inside the recorder's areas: every person must live there.
    pub area: &'a AreaPath,
    pub by: &'a str,
    pub at: DateTime<Utc>,
    pub entries: &'a [DoorEntry<'a>],
    /// A door sent from a phone's queue (one listed entry): the id the phone made for it, kept
    /// once: a second write under it fails on the unique index ([`Doors::door_by_action`] finds
    /// the first, which a caller asks before writing).
    pub action: Option<&'a str>,
}

/// One visit as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoorRecord {
    pub id: i64,
    pub round_id: i64,
    pub person_id: String,
    pub outcome: DoorOutcome,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub recorded_by: String,
}

/// A round's doors in an area, each person counted once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DoorCounts {
    /// Sampled at the door (their tube may not be in yet).
    pub sampled: i64,
    /// Not at home at their last visit, and not settled since: to visit again.
    pub not_home: i64,
    pub moved_out: i64,
    pub refused: i64,
    /// Found unregistered and registered at the door.
    pub found: i64,
    /// Still to sample, and to be sampled at home under the profile's rule.
    pub home_visits: i64,
}

#[async_trait::async_trait]
pub trait Doors: Send + Sync {
    /// Records the doors of `w` in one transaction: every visit, the people found registered,
    /// the moves out of the city written to the register. `NotFound` names the first entry (by
    /// its index) whose person does not live in `w.area` or whose household is not there.
    async fn record_doors(&self, w: &DoorWrite<'_>) -> Result<Vec<DoorRecord>>;
    /// The visit a phone sent under `action`, if it was kept.
    async fn door_by_action(&self, action: &str) -> Result<Option<DoorRecord>>;
    /// The visits of these people in a round, oldest first.
    async fn doors_of(&self, round_id: i64, person_ids: &[String]) -> Result<Vec<DoorRecord>>;
    /// The round's doors in `area`, and its home visits still to make under `rule` in `year`.
    async fn door_counts(
        &self,
        round_id: i64,
        area: &AreaPath,
        rule: &HomeVisitRule,
        year: i32,
    ) -> Result<DoorCounts>;
}

/// The columns a visit is read back from (`door_record`).
const DOOR_COLUMNS: &str = "id, round_id, person_id, outcome, reason, at, recorded_by";

fn door_record(r: &DbRow) -> Result<DoorRecord> {
    let outcome: String = r.try_get("outcome")?;
    Ok(DoorRecord {
        id: r.try_get("id")?,
        round_id: r.try_get("round_id")?,
        person_id: r.try_get("person_id")?,
        outcome: DoorOutcome::parse(&outcome)
            .map_err(|e| StoreError::Invalid(format!("stored door outcome: {e}")))?,
        reason: r.try_get("reason")?,
        at: r.try_get("at")?,
        recorded_by: r.try_get("recorded_by")?,
    })
}

/// The path of an active person living in `area`, or `NotFound` naming the entry.
async fn living_in(tx: &mut Tx, area: &AreaPath, person: &PersonId, entry: usize) -> Result<String> {
    let (lo, hi) = area.subtree_range();
    let path: Option<String> = query(
        "SELECT path FROM people WHERE person_id = $1 AND status = 'active' AND path >= $2 AND path < $3",
    )
    .bind(person.as_str())
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.try_get("path"))
    .transpose()?;
    path.ok_or_else(|| {
        StoreError::NotFound(format!("entries[{entry}]: person {person} living in the round's area"))
    })
}

async fn visit(
    tx: &mut Tx,
    w: &DoorWrite<'_>,
    person: &str,
    path: &str,
    outcome: DoorOutcome,
    reason: &str,
) -> Result<DoorRecord> {
    let sql = format!(
        "INSERT INTO door_outcomes (round_id, person_id, path, outcome, reason, at, recorded_by, \
         device_action) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {DOOR_COLUMNS}"
    );
    let row = Query::dynamic(sql)
        .bind(w.round_id)
        .bind(person)
        .bind(path)
        .bind(outcome.as_str())
        .bind(reason)
        .bind(w.at)
        .bind(w.by)
        .bind(w.action)
        .fetch_one(&mut *tx)
        .await?;
    door_record(&row)
}

#[async_trait::async_trait]
impl<S: Backed> Doors for S {
    async fn door_by_action(&self, action: &str) -> Result<Option<DoorRecord>> {
        let sql = format!("SELECT {DOOR_COLUMNS} FROM door_outcomes WHERE device_action = $1");
        Query::dynamic(sql)
            .bind(action)
            .fetch_optional(self.db())
            .await?
            .as_ref()
            .map(door_record)
            .transpose()
    }

    async fn record_doors(&self, w: &DoorWrite<'_>) -> Result<Vec<DoorRecord>> {
        let mut tx = self.db().begin().await?;
        let mut out = Vec::with_capacity(w.entries.len());
        for (i, e) in w.entries.iter().enumerate() {
            match e {
                DoorEntry::Listed { person, outcome, reason, left_city } => {
                    let path = living_in(&mut tx, w.area, person, i).await?;
                    out.push(visit(&mut tx, w, person.as_str(), &path, *outcome, reason).await?);
                    if *left_city && *outcome == DoorOutcome::MovedOut {
                        let why = format!("扫楼: {reason}");
                        mark_gone(&mut tx, person.as_str(), PersonStatus::MovedOut, w.by, w.at, &why).await?;
                    }
                }
                DoorEntry::Found { person, sampled } => {
                    let new = register_in(&mut tx, self.keys(), person).await.map_err(|e| match e {
                        StoreError::NotFound(what) => StoreError::NotFound(format!("entries[{i}]: {what}")),
                        e => e,
                    })?;
                    let (id, path) = (new.person_id.as_str(), new.path.as_str());
                    out.push(visit(&mut tx, w, id, path, DoorOutcome::Found, person.reason).await?);
                    if *sampled {
                        out.push(visit(&mut tx, w, id, path, DoorOutcome::Sampled, "").await?);
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn doors_of(&self, round_id: i64, person_ids: &[String]) -> Result<Vec<DoorRecord>> {
        let mut out = Vec::new();
        for chunk in person_ids.chunks(crate::ROWS_PER_STATEMENT) {
            let q = Query::dynamic(format!(
                "SELECT {DOOR_COLUMNS} FROM door_outcomes WHERE round_id = $1 AND person_id IN ("
            ))
            .bind(round_id)
            .push_list(chunk.iter().map(String::as_str))
            .push(")");
            for r in q.fetch_all(self.db()).await? {
                out.push(door_record(&r)?);
            }
        }
        out.sort_by_key(|d| (d.at, d.id));
        Ok(out)
    }

    async fn door_counts(
        &self,
        round_id: i64,
        area: &AreaPath,
        rule: &HomeVisitRule,
        year: i32,
    ) -> Result<DoorCounts> {
        let (lo, hi) = area.subtree_range();
        let mut c = DoorCounts::default();
        for r in query(
            "SELECT outcome, COUNT(DISTINCT person_id) AS n FROM door_outcomes \
             WHERE round_id = $1 AND path >= $2 AND path < $3 AND outcome <> 'not_home' GROUP BY outcome",
        )
        .bind(round_id)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.db())
        .await?
        {
            let n: i64 = r.try_get("n")?;
            match DoorOutcome::parse(&r.try_get::<String, _>("outcome")?) {
                Ok(DoorOutcome::Sampled) => c.sampled = n,
                Ok(DoorOutcome::MovedOut) => c.moved_out = n,
                Ok(DoorOutcome::Refused) => c.refused = n,
                Ok(DoorOutcome::Found) => c.found = n,
                _ => {}
            }
        }
        c.not_home = Query::dynamic(format!(
            "SELECT COUNT(DISTINCT x.person_id) FROM door_outcomes x \
             WHERE x.round_id = $1 AND x.path >= $2 AND x.path < $3 AND x.outcome = 'not_home' \
             AND NOT EXISTS (SELECT 1 FROM door_outcomes d WHERE d.round_id = x.round_id \
               AND d.person_id = x.person_id AND {SETTLED}) \
             AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.round_id = x.round_id AND s.person_id = x.person_id)"
        ))
        .bind(round_id)
        .bind(&lo)
        .bind(&hi)
        .scalar_one(self.db())
        .await?;
        // The home visits still to make: people living in the area, not sampled and not settled
        // at a door, whom the rule visits — one predicate per tag (a tag is a whole word of the
        // stored list) and one on the birth year.
        let mut q = Query::dynamic(format!(
            "SELECT COUNT(*) FROM people p WHERE p.path >= $1 AND p.path < $2 AND p.status = 'active' \
             AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.person_id = p.person_id AND s.round_id = $3) \
             AND NOT EXISTS (SELECT 1 FROM door_outcomes d WHERE d.round_id = $3 AND d.person_id = p.person_id \
               AND {SETTLED}) AND (p.birth_year <= "
        ))
        .bind(&lo)
        .bind(&hi)
        .bind(round_id)
        // No age rule: a year nobody was born in.
        .push_bind(i64::from(rule.born_by(year).unwrap_or(0)));
        for t in &rule.tagged {
            q = q.push(" OR (';' || p.tags || ';') LIKE ").push_bind(format!("%;{};%", t.as_str()));
        }
        c.home_visits = q.push(")").scalar_one(self.db()).await?;
        Ok(c)
    }
}
