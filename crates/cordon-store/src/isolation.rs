//! 集中隔离与收治 in the store: a site's rooms (or beds) and the stays in them. Occupancy is the
//! stays open, counted when read. A check-in is judged by the domain's rule (`admit`) inside the
//! transaction that writes it, with the room's row held, so two people cannot take its last bed;
//! a check-out, a contact's release or a case's discharge closes the stay and, when the room is
//! left empty, puts it to cleaning (终末消毒) in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::isolation::{Guest, IsolationRule, Occupant, RoomAt, RoomState, SiteKind, admit};
use cordon_domain::{AreaCode, AreaPath, PersonStatus};

use crate::db::{Backed, DbRow, Query, Tx, query};
use crate::{Result, StoreError, code_of};

/// A room with the stays open in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRecord {
    pub id: i64,
    pub site_id: String,
    pub label: String,
    pub beds: i64,
    pub state: RoomState,
    pub occupants: Vec<StayRecord>,
    /// Beds a transfer on the way holds.
    pub held: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// A person's stay at a site: where they are isolated or treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StayRecord {
    pub id: i64,
    pub person_id: String,
    pub name: String,
    pub household: AreaCode,
    /// The household's path at check-in: what scopes the stay.
    pub path: AreaPath,
    pub site_id: String,
    pub site_name: String,
    pub site_kind: SiteKind,
    /// The path of the area the site is in.
    pub site_path: AreaPath,
    pub room_id: i64,
    pub room_label: String,
    pub guest: Guest,
    pub case_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub checked_in_at: DateTime<Utc>,
    /// From the case's or the quarantine's plan, when it has one.
    pub planned_out: Option<NaiveDate>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub out_reason: Option<String>,
    pub created_by: String,
    pub checked_out_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewStay {
    pub person_id: String,
    pub site_id: String,
    pub room_label: String,
    pub guest: Guest,
    pub case_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub planned_out: Option<NaiveDate>,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A room as the transfer planner reads it: its beds, its state and the guests in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSlot {
    pub site_id: String,
    pub label: String,
    pub beds: i64,
    pub state: RoomState,
    /// The guests staying in it, with the household each came from.
    pub occupants: Vec<(Guest, String)>,
}

/// Someone the planner would move: where they live, and whether they are staying somewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoverRecord {
    pub person_id: String,
    pub household: String,
    pub path: AreaPath,
    /// The site of their open stay, if any.
    pub staying_at: Option<String>,
}

/// People of an area staying at each kind of site now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StayCounts {
    pub hotel: i64,
    pub cabin_hospital: i64,
    pub hospital: i64,
}

#[async_trait::async_trait]
pub trait Isolation {
    /// The site's rooms by label, each with its open stays.
    async fn rooms(&self, site_id: &str) -> Result<Vec<RoomRecord>>;
    /// Adds rooms (label, beds) to a site; a label it has already is a conflict, and nothing is
    /// added.
    async fn add_rooms(
        &self,
        site_id: &str,
        rooms: &[(String, i64)],
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<u64>;
    /// Sets a room's state: cleaned (ready), or out of service; an occupied room stays ready.
    async fn set_room_state(
        &self,
        site_id: &str,
        label: &str,
        state: RoomState,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<RoomRecord>;
    /// Checks a person in, if the rule admits them to the room as it stands in the transaction.
    async fn check_in_stay(&self, stay: &NewStay, rule: &IsolationRule) -> Result<StayRecord>;
    /// Checks a stay out; the room left empty goes to cleaning.
    async fn check_out_stay(&self, id: i64, at: DateTime<Utc>, reason: &str, by: &str) -> Result<StayRecord>;
    async fn stay(&self, id: i64) -> Result<Option<StayRecord>>;
    /// A person's stays, the latest first.
    async fn stays_of(&self, person_id: &str) -> Result<Vec<StayRecord>>;
    /// People living in `scope` staying at each kind of site now.
    async fn stay_counts(&self, scope: &AreaPath) -> Result<StayCounts>;
    /// Every room of the sites in `scope`, with the guests in each: two statements, whatever
    /// the rooms.
    async fn room_slots(&self, scope: &AreaPath) -> Result<Vec<RoomSlot>>;
    /// The active people of `ids` living in `scope` (the others are not returned), with their
    /// open stay's site.
    async fn movers(&self, scope: &AreaPath, ids: &[String]) -> Result<Vec<MoverRecord>>;
}

const STAY_SELECT: &str = "SELECT y.*, p.name, r.label AS room_label, s.name AS site_name, \
     s.kind AS site_kind, s.path AS site_path FROM stays y JOIN people p ON p.person_id = y.person_id \
     JOIN site_rooms r ON r.id = y.room_id JOIN quarantine_sites s ON s.id = y.site_id";

fn stored<T>(what: &str, parsed: std::result::Result<T, cordon_domain::DomainError>) -> Result<T> {
    parsed.map_err(|e| StoreError::Invalid(format!("stored {what}: {e}")))
}

fn stay_of(r: &DbRow) -> Result<StayRecord> {
    Ok(StayRecord {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        name: r.try_get("name")?,
        household: code_of(r.try_get("household_code")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        site_id: r.try_get("site_id")?,
        site_name: r.try_get("site_name")?,
        site_kind: stored("site kind", SiteKind::parse(r.try_get("site_kind")?))?,
        site_path: AreaPath::from_stored(r.try_get("site_path")?),
        room_id: r.try_get("room_id")?,
        room_label: r.try_get("room_label")?,
        guest: stored("guest", Guest::parse(r.try_get("guest")?))?,
        case_id: r.try_get("case_id")?,
        contact_id: r.try_get("contact_id")?,
        checked_in_at: r.try_get("checked_in_at")?,
        planned_out: r.try_get("planned_out")?,
        checked_out_at: r.try_get("checked_out_at")?,
        out_reason: r.try_get("out_reason")?,
        created_by: r.try_get("created_by")?,
        checked_out_by: r.try_get("checked_out_by")?,
    })
}

fn room_of(r: &DbRow) -> Result<RoomRecord> {
    Ok(RoomRecord {
        id: r.try_get("id")?,
        site_id: r.try_get("site_id")?,
        label: r.try_get("label")?,
        beds: r.try_get("beds")?,
        state: stored("room state", RoomState::parse(r.try_get("state")?))?,
        occupants: Vec::new(),
        held: 0,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
    })
}

/// Adds rooms to a site inside `tx`: the rooms a site is created with, and those added after.
pub(crate) async fn insert_rooms(
    tx: &mut Tx,
    site_id: &str,
    rooms: &[(String, i64)],
    at: DateTime<Utc>,
    by: &str,
) -> Result<u64> {
    let sql = format!(
        "INSERT INTO site_rooms (site_id, label, beds, state, updated_at, updated_by) \
         SELECT $2, CAST(value ->> 0 AS TEXT), CAST(value ->> 1 AS BIGINT), 'ready', $3, $4 FROM {}",
        tx.dialect().json_rows
    );
    let mut added = 0;
    for chunk in rooms.chunks(10_000) {
        let json = serde_json::to_string(chunk).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let done = Query::dynamic(&sql).bind(json).bind(site_id).bind(at).bind(by).execute(&mut *tx).await;
        match done {
            Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!(
                    "site {site_id} has a room of one of these labels already"
                )));
            }
            other => added += other?.rows_affected(),
        }
    }
    Ok(added)
}

async fn stay_in(tx: &mut Tx, id: i64) -> Result<StayRecord> {
    stay_of(&Query::dynamic(format!("{STAY_SELECT} WHERE y.id = $1")).bind(id).fetch_one(&mut *tx).await?)
}

pub(crate) async fn room_in(tx: &mut Tx, site_id: &str, label: &str) -> Result<RoomRecord> {
    let lock =
        format!("SELECT * FROM site_rooms WHERE site_id = $1 AND label = $2{}", tx.dialect().for_update);
    let row = Query::dynamic(lock)
        .bind(site_id)
        .bind(label)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("room {label} of site {site_id}")))?;
    room_of(&row)
}

/// The guests in a room as a check-in or an order judges it: those staying, and those a transfer
/// on the way holds a bed for (but `except`'s own, arriving now).
pub(crate) async fn room_guests(tx: &mut Tx, room_id: i64, except: Option<i64>) -> Result<Vec<Occupant>> {
    query(
        "SELECT guest, household_code FROM stays WHERE room_id = $1 AND checked_out_at IS NULL \
         UNION ALL SELECT guest, household_code FROM transfer_people \
         WHERE room_id = $1 AND state = 'held' AND transfer_id <> $2",
    )
    .bind(room_id)
    .bind(except.unwrap_or(-1))
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| {
        Ok(Occupant {
            guest: stored("guest", Guest::parse(r.try_get("guest")?))?,
            household: r.try_get("household_code")?,
        })
    })
    .collect()
}

/// Checks a person in inside `tx`, if the rule admits them to the room as it stands (the beds a
/// transfer holds counted as taken, but those of `transfer`, which is arriving): a check-in by
/// hand, or a transfer's arrival. A case checked in at a hospital or a 方舱 is admitted or
/// isolated there, a contact quarantined there, in the same transaction. Returns the stay's id.
pub(crate) async fn check_in(
    tx: &mut Tx,
    stay: &NewStay,
    rule: &IsolationRule,
    transfer: Option<i64>,
) -> Result<i64> {
    let site = query("SELECT kind, name FROM quarantine_sites WHERE id = $1")
        .bind(&stay.site_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("site {}", stay.site_id)))?;
    let site_kind = stored("site kind", SiteKind::parse(site.try_get("kind")?))?;
    let room = room_in(tx, &stay.site_id, &stay.room_label).await?;
    let person = query("SELECT household_code, path, status FROM people WHERE person_id = $1")
        .bind(&stay.person_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("person {}", stay.person_id)))?;
    let status: String = person.try_get("status")?;
    if status != PersonStatus::Active.as_str() {
        return Err(StoreError::Conflict(format!("{} is {status} in the register", stay.person_id)));
    }
    let household: String = person.try_get("household_code")?;
    let path: String = person.try_get("path")?;
    let open = Query::dynamic(format!("{STAY_SELECT} WHERE y.person_id = $1 AND y.checked_out_at IS NULL"))
        .bind(&stay.person_id)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(open) = open {
        let open = stay_of(&open)?;
        return Err(StoreError::Conflict(format!(
            "{} is staying at {} room {} since {}: check that stay out first",
            stay.person_id,
            open.site_name,
            open.room_label,
            open.checked_in_at.format("%F %H:%M UTC")
        )));
    }
    let occupants = room_guests(tx, room.id, transfer).await?;
    let at = RoomAt { site: site_kind, state: room.state, beds: room.beds.max(0) as u32, occupants };
    admit(rule, &at, &Occupant { guest: stay.guest, household: household.clone() })
        .map_err(|refusal| StoreError::Conflict(format!("room {}: {refusal}", room.label)))?;
    let id: i64 = query(
        "INSERT INTO stays (person_id, household_code, path, site_id, room_id, guest, case_id, contact_id, \
         checked_in_at, planned_out, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&stay.person_id)
    .bind(household)
    .bind(path)
    .bind(&stay.site_id)
    .bind(room.id)
    .bind(stay.guest.as_str())
    .bind(stay.case_id)
    .bind(stay.contact_id)
    .bind(stay.at)
    .bind(stay.planned_out)
    .bind(&stay.by)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e {
        // Two check-ins of one person at once, to two rooms: the unique open stay refuses the
        // second.
        StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => StoreError::Conflict(
            format!("{} was checked in elsewhere just now: check that stay out first", stay.person_id),
        ),
        e => e,
    })?
    .try_get("id")?;
    let site_name: String = site.try_get("name")?;
    let place = format!("{site_name} {}", room.label);
    if let Some(case_id) = stay.case_id {
        crate::cases::admit_case(tx, case_id, (id, site_kind, &place), stay.at, &stay.by).await?;
    }
    if let Some(contact_id) = stay.contact_id {
        crate::cases::quarantine_at(tx, contact_id, &place, stay.at, &stay.by).await?;
    }
    Ok(id)
}

#[async_trait::async_trait]
impl<S: Backed> Isolation for S {
    async fn rooms(&self, site_id: &str) -> Result<Vec<RoomRecord>> {
        let rows =
            query("SELECT * FROM site_rooms WHERE site_id = $1").bind(site_id).fetch_all(self.db()).await?;
        let mut rooms = rows.iter().map(room_of).collect::<Result<Vec<_>>>()?;
        // Labels as people read them: 2 before 10, then A-101 after 99.
        rooms.sort_by(|a, b| {
            let key =
                |l: &str| (l.parse::<u64>().map_or(1, |_| 0), l.parse::<u64>().unwrap_or(0), l.to_owned());
            key(&a.label).cmp(&key(&b.label))
        });
        let sql = format!(
            "{STAY_SELECT} WHERE y.site_id = $1 AND y.checked_out_at IS NULL ORDER BY y.checked_in_at, y.id"
        );
        // A site's rooms are thousands in a 方舱: each stay finds its room by id, not by a scan.
        let at: std::collections::HashMap<i64, usize> =
            rooms.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        for r in Query::dynamic(sql).bind(site_id).fetch_all(self.db()).await? {
            let stay = stay_of(&r)?;
            if let Some(&i) = at.get(&stay.room_id) {
                rooms[i].occupants.push(stay);
            }
        }
        let held = query(
            "SELECT h.room_id, count(*) AS n FROM transfer_people h JOIN site_rooms r ON r.id = h.room_id \
             WHERE r.site_id = $1 AND h.state = 'held' GROUP BY h.room_id",
        )
        .bind(site_id)
        .fetch_all(self.db())
        .await?;
        for r in held {
            if let Some(&i) = at.get(&r.try_get::<i64, _>("room_id")?) {
                rooms[i].held = r.try_get("n")?;
            }
        }
        Ok(rooms)
    }

    async fn add_rooms(
        &self,
        site_id: &str,
        rooms: &[(String, i64)],
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<u64> {
        let mut tx = self.db().begin().await?;
        if query("SELECT id FROM quarantine_sites WHERE id = $1")
            .bind(site_id)
            .fetch_optional(&mut tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(format!("site {site_id}")));
        }
        let added = insert_rooms(&mut tx, site_id, rooms, at, by).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn set_room_state(
        &self,
        site_id: &str,
        label: &str,
        state: RoomState,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<RoomRecord> {
        let mut tx = self.db().begin().await?;
        let room = room_in(&mut tx, site_id, label).await?;
        let open: i64 = query("SELECT count(*) FROM stays WHERE room_id = $1 AND checked_out_at IS NULL")
            .bind(room.id)
            .scalar_one(&mut tx)
            .await?;
        if open > 0 && state != RoomState::Ready {
            return Err(StoreError::Conflict(format!(
                "room {label} has {open} people in it: it can be {} only once they have left",
                state.label(false)
            )));
        }
        // A bed held for a transfer on the way: its people arrive to a room they can enter.
        let held: i64 = query("SELECT count(*) FROM transfer_people WHERE room_id = $1 AND state = 'held'")
            .bind(room.id)
            .scalar_one(&mut tx)
            .await?;
        if held > 0 && state != RoomState::Ready {
            return Err(StoreError::Conflict(format!(
                "room {label} is held for {held} people of a transfer on the way: cancel or move it first"
            )));
        }
        query("UPDATE site_rooms SET state = $1, updated_at = $2, updated_by = $3 WHERE id = $4")
            .bind(state.as_str())
            .bind(at)
            .bind(by)
            .bind(room.id)
            .execute(&mut tx)
            .await?;
        let room = room_in(&mut tx, site_id, label).await?;
        tx.commit().await?;
        Ok(room)
    }

    async fn check_in_stay(&self, stay: &NewStay, rule: &IsolationRule) -> Result<StayRecord> {
        let mut tx = self.db().begin().await?;
        let id = check_in(&mut tx, stay, rule, None).await?;
        let record = stay_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn check_out_stay(&self, id: i64, at: DateTime<Utc>, reason: &str, by: &str) -> Result<StayRecord> {
        let mut tx = self.db().begin().await?;
        let lock = format!("SELECT id FROM stays WHERE id = $1{}", tx.dialect().for_update);
        if Query::dynamic(lock).bind(id).fetch_optional(&mut tx).await?.is_none() {
            return Err(StoreError::NotFound(format!("stay {id}")));
        }
        let stay = stay_in(&mut tx, id).await?;
        if let Some(out) = stay.checked_out_at {
            return Err(StoreError::Conflict(format!(
                "stay {id} was checked out at {}",
                out.format("%F %H:%M UTC")
            )));
        }
        if at < stay.checked_in_at {
            return Err(StoreError::Conflict(format!(
                "a check-out at {} is before the check-in at {}",
                at.format("%F %H:%M UTC"),
                stay.checked_in_at.format("%F %H:%M UTC")
            )));
        }
        query("UPDATE stays SET checked_out_at = $1, out_reason = $2, checked_out_by = $3 WHERE id = $4")
            .bind(at)
            .bind(reason)
            .bind(by)
            .bind(id)
            .execute(&mut tx)
            .await?;
        crate::stays::clean_if_empty(&mut tx, &[stay.room_id], at, by).await?;
        let record = stay_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn stay(&self, id: i64) -> Result<Option<StayRecord>> {
        let sql = format!("{STAY_SELECT} WHERE y.id = $1");
        Query::dynamic(sql).bind(id).fetch_optional(self.db()).await?.as_ref().map(stay_of).transpose()
    }

    async fn stays_of(&self, person_id: &str) -> Result<Vec<StayRecord>> {
        let sql = format!("{STAY_SELECT} WHERE y.person_id = $1 ORDER BY y.checked_in_at DESC, y.id DESC");
        Query::dynamic(sql).bind(person_id).fetch_all(self.db()).await?.iter().map(stay_of).collect()
    }

    async fn stay_counts(&self, scope: &AreaPath) -> Result<StayCounts> {
        let (lo, hi) = scope.subtree_range();
        let rows = query(
            "SELECT s.kind, count(*) AS n FROM stays y JOIN quarantine_sites s ON s.id = y.site_id \
             WHERE y.checked_out_at IS NULL AND y.path >= $1 AND y.path < $2 GROUP BY s.kind",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.db())
        .await?;
        let mut counts = StayCounts::default();
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match stored("site kind", SiteKind::parse(r.try_get("kind")?))? {
                SiteKind::Hotel => counts.hotel = n,
                SiteKind::CabinHospital => counts.cabin_hospital = n,
                SiteKind::Hospital => counts.hospital = n,
            }
        }
        Ok(counts)
    }

    async fn room_slots(&self, scope: &AreaPath) -> Result<Vec<RoomSlot>> {
        let (lo, hi) = scope.subtree_range();
        let rows = query(
            "SELECT r.id, r.site_id, r.label, r.beds, r.state FROM site_rooms r \
             JOIN quarantine_sites s ON s.id = r.site_id WHERE s.path >= $1 AND s.path < $2 ORDER BY r.site_id, r.id",
        )
        .bind(lo.as_str())
        .bind(hi.as_str())
        .fetch_all(self.db())
        .await?;
        let mut at = std::collections::HashMap::with_capacity(rows.len());
        let mut slots = Vec::with_capacity(rows.len());
        for r in &rows {
            at.insert(r.try_get::<i64, _>("id")?, slots.len());
            slots.push(RoomSlot {
                site_id: r.try_get("site_id")?,
                label: r.try_get("label")?,
                beds: r.try_get("beds")?,
                state: stored("room state", RoomState::parse(r.try_get("state")?))?,
                occupants: Vec::new(),
            });
        }
        // Those staying, and those a transfer on the way holds a bed for.
        let guests = query(
            "SELECT y.room_id, y.guest, y.household_code FROM stays y JOIN quarantine_sites s ON s.id = y.site_id \
             WHERE y.checked_out_at IS NULL AND s.path >= $1 AND s.path < $2 \
             UNION ALL SELECT h.room_id, h.guest, h.household_code FROM transfer_people h \
             JOIN site_rooms r ON r.id = h.room_id JOIN quarantine_sites s ON s.id = r.site_id \
             WHERE h.state = 'held' AND s.path >= $1 AND s.path < $2",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.db())
        .await?;
        for g in &guests {
            if let Some(&i) = at.get(&g.try_get::<i64, _>("room_id")?) {
                let guest = stored("guest", Guest::parse(g.try_get("guest")?))?;
                slots[i].occupants.push((guest, g.try_get("household_code")?));
            }
        }
        Ok(slots)
    }

    async fn movers(&self, scope: &AreaPath, ids: &[String]) -> Result<Vec<MoverRecord>> {
        let (lo, hi) = scope.subtree_range();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(crate::ROWS_PER_STATEMENT) {
            let q = query(
                "SELECT p.person_id, p.household_code, p.path, \
                 (SELECT y.site_id FROM stays y WHERE y.person_id = p.person_id AND y.checked_out_at IS NULL) AS staying_at \
                 FROM people p WHERE p.status = 'active' AND p.path >= $1 AND p.path < $2 AND p.person_id IN (",
            )
            .bind(lo.as_str())
            .bind(hi.as_str())
            .push_list(chunk.iter().map(String::as_str))
            .push(")");
            for r in q.fetch_all(self.db()).await? {
                out.push(MoverRecord {
                    person_id: r.try_get("person_id")?,
                    household: r.try_get("household_code")?,
                    path: AreaPath::from_stored(r.try_get("path")?),
                    staying_at: r.try_get("staying_at")?,
                });
            }
        }
        Ok(out)
    }
}
