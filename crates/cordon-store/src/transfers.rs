//! 转运 in the store: an order to move a household's people to a site, each into a room held
//! for them, with its timeline. What the timeline comes to (the domain's `transfer_state`) is
//! kept on the row in the transaction of every event, as a need's is. The beds an open order
//! holds count as taken for every other order and check-in (`isolation::room_guests`), so two
//! orders cannot send two families to one room; the arrival writes every passenger's stay in
//! its own transaction (all of them or none), and the vehicle's gate pass is written with the
//! step that assigns it.

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::isolation::{Guest, IsolationRule, Occupant, RoomAt, SiteKind, admit};
use cordon_domain::needs::Rung;
use cordon_domain::transfer::{
    TransferEvent, TransferEventKind, TransferRule, TransferStage, check_step, escalations_due,
    transfer_state,
};
use cordon_domain::{AreaCode, AreaPath, PersonStatus};

use crate::db::{Backed, DbRow, Ex, Query, Tx, query};
use crate::gates::{NewPass, insert_pass};
use crate::isolation::{NewStay, check_in, room_guests, room_in};
use crate::sanitation::{NewDisinfection, plan_disinfections};
use crate::stays::close_stay_of;
use crate::{Result, StoreError, code_of};

/// Someone to move, and the room held for them.
#[derive(Debug, Clone)]
pub struct NewPassenger {
    pub person_id: String,
    pub room_label: String,
    pub guest: Guest,
    pub case_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// The end of their quarantine or treatment plan, when it has one: the stay's planned end.
    pub planned_out: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct NewTransfer {
    pub household: AreaCode,
    pub site_id: String,
    pub passengers: Vec<NewPassenger>,
    pub profile_key: String,
    pub reason: String,
    /// Who owns it first.
    pub rung: Rung,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassengerRecord {
    pub person_id: String,
    pub name: String,
    pub guest: Guest,
    pub room_label: String,
    pub case_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// held (on the way), in (checked in: `stay_id`), off (the order was cancelled).
    pub state: String,
    pub stay_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub id: i64,
    pub household: AreaCode,
    /// The household's path: what scopes the order.
    pub path: AreaPath,
    pub site_id: String,
    pub site_name: String,
    pub site_kind: SiteKind,
    /// The passenger whose rule sets the pace.
    pub guest: Guest,
    pub profile_key: String,
    pub stage: TransferStage,
    pub rung: Rung,
    pub due: Option<DateTime<Utc>>,
    pub escalates: bool,
    pub escalations: i64,
    pub vehicle: Option<String>,
    pub pass_id: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub passengers: Vec<PassengerRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferEventRecord {
    pub id: i64,
    pub event: TransferEvent,
    pub note: String,
    pub by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewTransferEvent {
    pub event: TransferEvent,
    pub note: String,
    pub by: String,
    pub recorded_at: DateTime<Utc>,
    /// The vehicle's one-time gate pass, written with the step that assigns the vehicle.
    pub pass: Option<NewPass>,
    /// What a case's pick-up calls for (their home's terminal disinfection, the stairs),
    /// written with the step.
    pub disinfections: Vec<NewDisinfection>,
}

/// An order whose next step up the chain is due: what picking its rule takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTransfer {
    pub id: i64,
    pub profile_key: String,
    pub guest: Guest,
}

/// The orders of an area at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferCounts {
    /// Not arrived and not cancelled.
    pub open: i64,
    /// Open and past their next deadline.
    pub overdue: i64,
}

#[async_trait::async_trait]
pub trait Transfers {
    /// Orders a transfer of people of one household inside `scope`, holding a room for each if
    /// `isolation` admits them there as the room stands (its stays, the beds other orders hold,
    /// and the passengers placed before them in this order). All held, or nothing written.
    async fn create_transfer(
        &self,
        scope: &AreaPath,
        t: &NewTransfer,
        rule: &TransferRule,
        isolation: &IsolationRule,
    ) -> Result<TransferRecord>;
    /// One order, if its household is inside `scope`.
    async fn transfer(&self, scope: &AreaPath, id: i64) -> Result<Option<TransferRecord>>;
    /// The orders of `scope`: the open ones first, the soonest deadline (the most overdue)
    /// first; then the closed, the newest first.
    async fn transfers(&self, scope: &AreaPath, open_only: bool, limit: u32) -> Result<Vec<TransferRecord>>;
    /// Its timeline, in the order written.
    async fn transfer_events(&self, id: i64) -> Result<Vec<TransferEventRecord>>;
    /// Records a step (a vehicle with its pass, picked up, arrived, cancelled, a note), checked
    /// against the order's state in the writing transaction. The arrival checks every passenger
    /// in to their room (out of where they stayed before), the cancellation frees the rooms and
    /// revokes the pass. None: no such order in scope.
    async fn record_transfer_event(
        &self,
        scope: &AreaPath,
        id: i64,
        event: &NewTransferEvent,
        rule: &TransferRule,
        isolation: &IsolationRule,
    ) -> Result<Option<TransferRecord>>;
    /// Orders whose next step up the chain is due by `now`, the most overdue first.
    async fn transfers_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DueTransfer>>;
    /// Writes, in one transaction, the steps up the chain due by `now` for each order with its
    /// rule; returns each order that climbed with its steps.
    async fn escalate_transfers(
        &self,
        due: &[(i64, TransferRule)],
        now: DateTime<Utc>,
        by: &str,
    ) -> Result<Vec<(TransferRecord, Vec<TransferEvent>)>>;
    async fn transfer_counts(&self, scope: &AreaPath, now: DateTime<Utc>) -> Result<TransferCounts>;
}

const TRANSFER_SELECT: &str = "SELECT t.*, s.name AS site_name, s.kind AS site_kind \
     FROM transfers t JOIN quarantine_sites s ON s.id = t.site_id";

const OPEN: &str = "t.stage NOT IN ('arrived', 'cancelled')";

fn stored<T>(what: &str, parsed: Option<T>, s: &str) -> Result<T> {
    parsed.ok_or_else(|| StoreError::Invalid(format!("stored {what} {s:?}")))
}

fn guest_of(s: String) -> Result<Guest> {
    Guest::parse(&s).map_err(|e| StoreError::Invalid(format!("stored guest: {e}")))
}

fn transfer_of(r: &DbRow) -> Result<TransferRecord> {
    let kind: String = r.try_get("site_kind")?;
    let stage: String = r.try_get("stage")?;
    let rung: String = r.try_get("rung")?;
    Ok(TransferRecord {
        id: r.try_get("id")?,
        household: code_of(r.try_get("household_code")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        site_id: r.try_get("site_id")?,
        site_name: r.try_get("site_name")?,
        site_kind: SiteKind::parse(&kind)
            .map_err(|e| StoreError::Invalid(format!("stored site kind: {e}")))?,
        guest: guest_of(r.try_get("guest")?)?,
        profile_key: r.try_get("profile_key")?,
        stage: stored("stage", TransferStage::parse(&stage), &stage)?,
        rung: stored("rung", Rung::parse(&rung), &rung)?,
        due: r.try_get("due_at")?,
        escalates: r.try_get("escalates")?,
        escalations: r.try_get::<i32, _>("escalations")?.into(),
        vehicle: r.try_get("vehicle")?,
        pass_id: r.try_get("pass_id")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        passengers: Vec::new(),
    })
}

fn event_of(r: &DbRow) -> Result<TransferEventRecord> {
    let json: String = r.try_get("event")?;
    let kind: TransferEventKind = serde_json::from_str(&json)
        .map_err(|e| StoreError::Invalid(format!("stored transfer event: {e}")))?;
    Ok(TransferEventRecord {
        id: r.try_get("id")?,
        event: TransferEvent { at: r.try_get("at")?, kind },
        note: r.try_get("note")?,
        by: r.try_get("recorded_by")?,
        recorded_at: r.try_get("recorded_at")?,
    })
}

/// Fills in the passengers of `transfers`, in one statement a chunk.
async fn with_passengers<'c>(
    exec: impl Into<Ex<'c>>,
    mut transfers: Vec<TransferRecord>,
) -> Result<Vec<TransferRecord>> {
    let mut exec: Ex = exec.into();
    let ids: Vec<i64> = transfers.iter().map(|t| t.id).collect();
    let at: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for chunk in ids.chunks(crate::ROWS_PER_STATEMENT) {
        let q = query(
            "SELECT h.*, p.name, r.label AS room_label FROM transfer_people h \
             JOIN people p ON p.person_id = h.person_id JOIN site_rooms r ON r.id = h.room_id \
             WHERE h.transfer_id IN (",
        )
        .push_list(chunk.iter().copied())
        .push(") ORDER BY h.transfer_id, r.label, h.person_id");
        let again = match &mut exec {
            Ex::Db(db) => Ex::Db(db),
            Ex::Tx(tx) => Ex::Tx(tx),
        };
        for r in q.fetch_all(again).await? {
            let id: i64 = r.try_get("transfer_id")?;
            let Some(&i) = at.get(&id) else { continue };
            transfers[i].passengers.push(PassengerRecord {
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                guest: guest_of(r.try_get("guest")?)?,
                room_label: r.try_get("room_label")?,
                case_id: r.try_get("case_id")?,
                contact_id: r.try_get("contact_id")?,
                state: r.try_get("state")?,
                stay_id: r.try_get("stay_id")?,
            });
        }
    }
    Ok(transfers)
}

async fn transfer_in(tx: &mut Tx, id: i64) -> Result<TransferRecord> {
    let row =
        Query::dynamic(format!("{TRANSFER_SELECT} WHERE t.id = $1")).bind(id).fetch_one(&mut *tx).await?;
    let t = transfer_of(&row)?;
    Ok(with_passengers(&mut *tx, vec![t]).await?.remove(0))
}

/// Takes the order's row for this transaction (a row lock on PostgreSQL; SQLite writes one at
/// a time already). None: no such order inside the range.
async fn lock(tx: &mut Tx, id: i64, scope: &AreaPath) -> Result<Option<i64>> {
    let (lo, hi) = scope.subtree_range();
    Ok(query(
        "UPDATE transfers SET escalations = escalations WHERE id = $1 AND path >= $2 AND path < $3 RETURNING id",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.try_get("id"))
    .transpose()?)
}

async fn timeline(tx: &mut Tx, id: i64) -> Result<Vec<TransferEvent>> {
    query("SELECT * FROM transfer_events WHERE transfer_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| event_of(r).map(|e| e.event))
        .collect()
}

async fn append(
    tx: &mut Tx,
    id: i64,
    event: &TransferEvent,
    note: &str,
    by: &str,
    recorded_at: DateTime<Utc>,
) -> Result<()> {
    let json = serde_json::to_string(&event.kind).expect("a transfer event always serialises");
    query(
        "INSERT INTO transfer_events (transfer_id, at, event, note, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(event.at)
    .bind(json)
    .bind(note)
    .bind(by)
    .bind(recorded_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Keeps what the timeline comes to on the row.
async fn settle(tx: &mut Tx, id: i64, events: &[TransferEvent], rule: &TransferRule) -> Result<()> {
    let s = transfer_state(events, rule);
    query("UPDATE transfers SET stage = $1, rung = $2, due_at = $3, escalates = $4, escalations = $5 WHERE id = $6")
        .bind(s.stage.as_str())
        .bind(s.rung.as_str())
        .bind(s.due)
        .bind(s.escalates)
        .bind(s.escalations as i32)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Revokes the order's pass, if it has one not used: the vehicle replaced, or the order off.
async fn revoke_pass(tx: &mut Tx, id: i64, at: DateTime<Utc>, by: &str, reason: &str) -> Result<()> {
    query(
        "UPDATE gate_passes SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 \
         WHERE id = (SELECT pass_id FROM transfers WHERE id = $1) AND revoked_at IS NULL AND used_at IS NULL",
    )
    .bind(id)
    .bind(at)
    .bind(by)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The arrival: every passenger held on the order checked out of where they stayed, and in to
/// the room held for them.
async fn arrive(
    tx: &mut Tx,
    t: &TransferRecord,
    at: DateTime<Utc>,
    by: &str,
    isolation: &IsolationRule,
) -> Result<()> {
    let rows =
        query("SELECT * FROM transfer_people WHERE transfer_id = $1 AND state = 'held' ORDER BY person_id")
            .bind(t.id)
            .fetch_all(&mut *tx)
            .await?;
    for r in rows {
        let person_id: String = r.try_get("person_id")?;
        let room_id: i64 = r.try_get("room_id")?;
        let label: String =
            query("SELECT label FROM site_rooms WHERE id = $1").bind(room_id).scalar_one(&mut *tx).await?;
        close_stay_of(tx, &person_id, at, &format!("transferred to {}", t.site_name), by).await?;
        let stay = NewStay {
            person_id: person_id.clone(),
            site_id: t.site_id.clone(),
            room_label: label,
            guest: guest_of(r.try_get("guest")?)?,
            case_id: r.try_get("case_id")?,
            contact_id: r.try_get("contact_id")?,
            planned_out: r.try_get("planned_out")?,
            at,
            by: by.to_owned(),
        };
        let stay_id = check_in(tx, &stay, isolation, Some(t.id)).await?;
        query(
            "UPDATE transfer_people SET state = 'in', stay_id = $1 WHERE transfer_id = $2 AND person_id = $3",
        )
        .bind(stay_id)
        .bind(t.id)
        .bind(&person_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl<S: Backed> Transfers for S {
    async fn create_transfer(
        &self,
        scope: &AreaPath,
        t: &NewTransfer,
        rule: &TransferRule,
        isolation: &IsolationRule,
    ) -> Result<TransferRecord> {
        let (lo, hi) = scope.subtree_range();
        let mut tx = self.db().begin().await?;
        let path: String = query(
            "SELECT path FROM areas WHERE code = $1 AND level = 'household' AND path >= $2 AND path < $3",
        )
        .bind(t.household.as_str())
        .bind(&lo)
        .bind(&hi)
        .fetch_optional(&mut tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("household {}", t.household)))?
        .try_get("path")?;
        let kind: String = query("SELECT kind FROM quarantine_sites WHERE id = $1")
            .bind(&t.site_id)
            .fetch_optional(&mut tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("site {}", t.site_id)))?
            .try_get("kind")?;
        let site =
            SiteKind::parse(&kind).map_err(|e| StoreError::Invalid(format!("stored site kind: {e}")))?;
        let guest = t.passengers.iter().map(|p| p.guest).find(|g| *g == rule.guest).ok_or_else(|| {
            StoreError::Invalid(format!("the rule for {} fits no passenger", rule.guest.as_str()))
        })?;
        let first = TransferEvent { at: t.at, kind: TransferEventKind::Requested { rung: t.rung } };
        let s = transfer_state(std::slice::from_ref(&first), rule);
        let id: i64 = query(
            "INSERT INTO transfers (household_code, path, site_id, guest, profile_key, stage, rung, due_at, escalates, \
             escalations, reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12) \
             RETURNING id",
        )
        .bind(t.household.as_str())
        .bind(&path)
        .bind(&t.site_id)
        .bind(guest.as_str())
        .bind(&t.profile_key)
        .bind(s.stage.as_str())
        .bind(s.rung.as_str())
        .bind(s.due)
        .bind(s.escalates)
        .bind(&t.reason)
        .bind(t.at)
        .bind(&t.by)
        .fetch_one(&mut tx)
        .await?
        .try_get("id")?;
        for p in &t.passengers {
            let person = query("SELECT household_code, status FROM people WHERE person_id = $1")
                .bind(&p.person_id)
                .fetch_optional(&mut tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("person {}", p.person_id)))?;
            let status: String = person.try_get("status")?;
            if status != PersonStatus::Active.as_str() {
                return Err(StoreError::Conflict(format!("{} is {status} in the register", p.person_id)));
            }
            let household: String = person.try_get("household_code")?;
            if household != t.household.as_str() {
                return Err(StoreError::Conflict(format!(
                    "{} lives in household {household}, not {}: a transfer moves one household",
                    p.person_id, t.household
                )));
            }
            let other =
                query("SELECT transfer_id FROM transfer_people WHERE person_id = $1 AND state = 'held'")
                    .bind(&p.person_id)
                    .fetch_optional(&mut tx)
                    .await?;
            if let Some(other) = other {
                let other: i64 = other.try_get("transfer_id")?;
                return Err(StoreError::Conflict(format!(
                    "{} is on transfer {other} already: cancel it first",
                    p.person_id
                )));
            }
            let room = room_in(&mut tx, &t.site_id, &p.room_label).await?;
            // Those in the room, those other orders hold it for, and this order's passengers
            // placed in it already (held by the rows written above).
            let occupants = room_guests(&mut tx, room.id, None).await?;
            let at = RoomAt { site, state: room.state, beds: room.beds.max(0) as u32, occupants };
            admit(isolation, &at, &Occupant { guest: p.guest, household: household.clone() })
                .map_err(|refusal| StoreError::Conflict(format!("room {}: {refusal}", room.label)))?;
            query(
                "INSERT INTO transfer_people (transfer_id, person_id, household_code, room_id, guest, case_id, \
                 contact_id, planned_out, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'held')",
            )
            .bind(id)
            .bind(&p.person_id)
            .bind(&household)
            .bind(room.id)
            .bind(p.guest.as_str())
            .bind(p.case_id)
            .bind(p.contact_id)
            .bind(p.planned_out)
            .execute(&mut tx)
            .await
            .map_err(|e| match e {
                StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                    StoreError::Conflict(format!("{} is on another transfer ordered just now", p.person_id))
                }
                e => e,
            })?;
        }
        append(&mut tx, id, &first, &t.reason, &t.by, t.at).await?;
        let record = transfer_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn transfer(&self, scope: &AreaPath, id: i64) -> Result<Option<TransferRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!("{TRANSFER_SELECT} WHERE t.id = $1 AND t.path >= $2 AND t.path < $3");
        let Some(row) = Query::dynamic(sql).bind(id).bind(lo).bind(hi).fetch_optional(self.db()).await?
        else {
            return Ok(None);
        };
        Ok(with_passengers(self.db(), vec![transfer_of(&row)?]).await?.pop())
    }

    async fn transfers(&self, scope: &AreaPath, open_only: bool, limit: u32) -> Result<Vec<TransferRecord>> {
        let (lo, hi) = scope.subtree_range();
        let only = if open_only { format!(" AND {OPEN}") } else { String::new() };
        let sql = format!(
            "{TRANSFER_SELECT} WHERE t.path >= $1 AND t.path < $2{only} \
             ORDER BY CASE WHEN {OPEN} THEN 0 ELSE 1 END, \
             CASE WHEN {OPEN} THEN t.due_at END, t.created_at DESC, t.id DESC LIMIT $3"
        );
        let rows = Query::dynamic(sql).bind(lo).bind(hi).bind(i64::from(limit)).fetch_all(self.db()).await?;
        let list = rows.iter().map(transfer_of).collect::<Result<Vec<_>>>()?;
        with_passengers(self.db(), list).await
    }

    async fn transfer_events(&self, id: i64) -> Result<Vec<TransferEventRecord>> {
        query("SELECT * FROM transfer_events WHERE transfer_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(self.db())
            .await?
            .iter()
            .map(event_of)
            .collect()
    }

    async fn record_transfer_event(
        &self,
        scope: &AreaPath,
        id: i64,
        e: &NewTransferEvent,
        rule: &TransferRule,
        isolation: &IsolationRule,
    ) -> Result<Option<TransferRecord>> {
        let mut tx = self.db().begin().await?;
        if lock(&mut tx, id, scope).await?.is_none() {
            return Ok(None);
        }
        let mut events = timeline(&mut tx, id).await?;
        check_step(&transfer_state(&events, rule), &e.event.kind)
            .map_err(|x| StoreError::Conflict(x.to_string()))?;
        if let Some(last) = events.last()
            && e.event.at < last.at
        {
            return Err(StoreError::Conflict(format!(
                "a step at {} comes before the last one, at {}",
                e.event.at.format("%F %H:%M UTC"),
                last.at.format("%F %H:%M UTC")
            )));
        }
        let before = transfer_in(&mut tx, id).await?;
        match &e.event.kind {
            TransferEventKind::Assigned { vehicle, .. } => {
                revoke_pass(&mut tx, id, e.recorded_at, &e.by, "another vehicle was assigned").await?;
                let pass = match &e.pass {
                    Some(p) => Some(insert_pass(&mut tx, p).await?.id),
                    None => None,
                };
                query("UPDATE transfers SET vehicle = $1, pass_id = $2 WHERE id = $3")
                    .bind(vehicle)
                    .bind(pass)
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
            }
            TransferEventKind::PickedUp => plan_disinfections(&mut tx, &e.disinfections).await?,
            TransferEventKind::Arrived => arrive(&mut tx, &before, e.event.at, &e.by, isolation).await?,
            TransferEventKind::Cancelled { reason } => {
                query("UPDATE transfer_people SET state = 'off' WHERE transfer_id = $1 AND state = 'held'")
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
                revoke_pass(&mut tx, id, e.recorded_at, &e.by, &format!("transfer cancelled: {reason}"))
                    .await?;
            }
            _ => {}
        }
        append(&mut tx, id, &e.event, &e.note, &e.by, e.recorded_at).await?;
        events.push(e.event.clone());
        settle(&mut tx, id, &events, rule).await?;
        let record = transfer_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    async fn transfers_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DueTransfer>> {
        query("SELECT id, profile_key, guest FROM transfers WHERE escalates AND due_at <= $1 ORDER BY due_at, id LIMIT $2")
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| {
                Ok(DueTransfer {
                    id: r.try_get("id")?,
                    profile_key: r.try_get("profile_key")?,
                    guest: guest_of(r.try_get("guest")?)?,
                })
            })
            .collect()
    }

    async fn escalate_transfers(
        &self,
        due: &[(i64, TransferRule)],
        now: DateTime<Utc>,
        by: &str,
    ) -> Result<Vec<(TransferRecord, Vec<TransferEvent>)>> {
        let mut tx = self.db().begin().await?;
        let mut out = Vec::new();
        for (id, rule) in due {
            if lock(&mut tx, *id, &AreaPath::root()).await?.is_none() {
                continue;
            }
            let mut events = timeline(&mut tx, *id).await?;
            let steps = escalations_due(&events, rule, now);
            if steps.is_empty() {
                continue;
            }
            for step in &steps {
                append(&mut tx, *id, step, "", by, now).await?;
            }
            events.extend(steps.iter().cloned());
            settle(&mut tx, *id, &events, rule).await?;
            out.push((transfer_in(&mut tx, *id).await?, steps));
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn transfer_counts(&self, scope: &AreaPath, now: DateTime<Utc>) -> Result<TransferCounts> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!(
            "SELECT count(*) AS open, COALESCE(sum(CASE WHEN t.due_at < $3 THEN 1 ELSE 0 END), 0) AS overdue \
             FROM transfers t WHERE t.path >= $1 AND t.path < $2 AND {OPEN}"
        );
        let r = Query::dynamic(sql).bind(lo).bind(hi).bind(now).fetch_one(self.db()).await?;
        Ok(TransferCounts { open: r.try_get("open")?, overdue: r.try_get("overdue")? })
    }
}
