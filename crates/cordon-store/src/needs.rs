//! Residents' needs in the store: each need with its timeline, and what the timeline comes to
//! (status, rung, next deadline — the domain's `need_state`) kept on the row in the transaction
//! of every event, so the board reads one index range and the escalation sweep reads only what is
//! due. A change is checked against the need's state inside the transaction that writes it (the
//! domain's `check_change`): acknowledging a need twice, or one already resolved, cannot land.

use chrono::{DateTime, Utc};
use cordon_domain::needs::{NeedCategory, NeedEvent, NeedRule, NeedStatus, Priority, Rung};
use cordon_domain::{AreaCode, AreaPath};

use crate::Result;

#[derive(Debug, Clone)]
pub struct NewNeed {
    pub household: AreaCode,
    pub person_id: Option<String>,
    pub category: NeedCategory,
    pub emergency: bool,
    pub contact_phone: Option<String>,
    pub description: String,
    /// Who owns it first: the cadre answering for the household's building, else the community.
    pub rung: Rung,
    pub owner_worker: Option<String>,
    pub profile_key: String,
    /// The emergency pass issued with it, recorded in its timeline.
    pub pass_id: Option<String>,
    /// Care planned ahead: a key a need is written under once (a second is skipped).
    pub plan_key: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedRecord {
    pub id: i64,
    pub household: AreaCode,
    pub path: AreaPath,
    pub person_id: Option<String>,
    pub category: NeedCategory,
    pub emergency: bool,
    pub priority: Priority,
    pub contact_phone: Option<String>,
    pub description: String,
    pub owner_worker: Option<String>,
    pub profile_key: String,
    pub pass_id: Option<String>,
    pub status: NeedStatus,
    pub rung: Rung,
    pub due: Option<DateTime<Utc>>,
    pub escalates: bool,
    pub escalations: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedEventRecord {
    pub id: i64,
    pub need_id: i64,
    pub event: NeedEvent,
    pub note: String,
    pub by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewNeedEvent {
    pub event: NeedEvent,
    pub note: String,
    pub by: String,
    pub recorded_at: DateTime<Utc>,
}

/// Which needs a board shows.
#[derive(Debug, Clone)]
pub struct NeedQuery {
    /// Resolved ones too (the newest first after the rest).
    pub include_resolved: bool,
    pub limit: u32,
    /// Skip this many first (a later page): the unresolved, then the resolved.
    pub offset: u32,
    /// The moment that says which are overdue.
    pub now: DateTime<Utc>,
    /// Only those waiting for this rung to acknowledge them (an office's inbox: what climbed to
    /// it, or was raised there, and nobody took on).
    pub waiting_on: Option<Rung>,
}

/// The needs of an area at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeedCounts {
    pub open: i64,
    pub acknowledged: i64,
    /// Not resolved and past their next deadline.
    pub overdue: i64,
    pub emergencies_overdue: i64,
}

/// A need whose next step up the chain is due: what picking its rule takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueNeed {
    pub id: i64,
    pub profile_key: String,
    pub category: NeedCategory,
    pub emergency: bool,
}

#[async_trait::async_trait]
pub trait Needs {
    /// Writes a need with its first events (created; the pass, if any) under `rule`. The
    /// household must be one, inside `scope`.
    async fn create_need(&self, scope: &AreaPath, need: &NewNeed, rule: &NeedRule) -> Result<NeedRecord>;
    /// Writes many needs in one transaction, each as `create_need` would (a day's planned
    /// treatment trips and daily checks; a hotline's export): all land or none. A need whose
    /// plan key was written before is skipped. Returns the ids written.
    async fn create_needs(&self, scope: &AreaPath, needs: &[(NewNeed, NeedRule)]) -> Result<Vec<i64>>;
    /// One need, if it is inside `scope`.
    async fn need(&self, scope: &AreaPath, id: i64) -> Result<Option<NeedRecord>>;
    /// Its timeline, in the order written.
    async fn need_events(&self, id: i64) -> Result<Vec<NeedEventRecord>>;
    /// Records what someone did (acknowledged, assigned, a note, decided, resolved, reopened),
    /// checked against the need's state in the writing transaction. None: no such need in scope.
    async fn record_need_event(
        &self,
        scope: &AreaPath,
        id: i64,
        event: &NewNeedEvent,
        rule: &NeedRule,
    ) -> Result<Option<NeedRecord>>;
    /// The needs of `scope`: not resolved first; of those, the overdue first; each part by
    /// priority (an emergency first), then the soonest deadline (the most overdue).
    async fn needs_board(&self, scope: &AreaPath, q: &NeedQuery) -> Result<Vec<NeedRecord>>;
    async fn need_counts(&self, scope: &AreaPath, now: DateTime<Utc>) -> Result<NeedCounts>;
    /// People inside `scope` with at least one tag (whom care may be planned for): register id,
    /// household, its path, tags.
    async fn tagged_people(
        &self,
        scope: &AreaPath,
    ) -> Result<Vec<(String, AreaCode, AreaPath, cordon_domain::Tags)>>;
    /// Needs whose next step up the chain is due by `now`, the most overdue first.
    async fn needs_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DueNeed>>;
    /// Writes, in one transaction, the steps up the chain due by `now` for each need with its
    /// rule (the domain's `escalations_due`: none twice, each at the moment it was due); returns
    /// each need that climbed with its steps.
    async fn escalate_needs(
        &self,
        due: &[(i64, NeedRule)],
        now: DateTime<Utc>,
        by: &str,
    ) -> Result<Vec<(NeedRecord, Vec<NeedEvent>)>>;
}

pub(crate) fn kind_of(json: &str) -> Result<cordon_domain::needs::NeedEventKind> {
    serde_json::from_str(json).map_err(|e| crate::StoreError::Invalid(format!("stored need event: {e}")))
}

pub(crate) fn kind_json(kind: &cordon_domain::needs::NeedEventKind) -> String {
    serde_json::to_string(kind).expect("a need event always serialises")
}

pub(crate) fn priority_rank(p: Priority) -> i32 {
    match p {
        Priority::Emergency => 0,
        Priority::Urgent => 1,
        Priority::Normal => 2,
    }
}

pub(crate) use needs_sql::step_need;

mod needs_sql {
    use chrono::{DateTime, Utc};
    use cordon_domain::needs::{
        NeedCategory, NeedEvent, NeedEventKind, NeedRule, NeedStatus, Priority, Rung, check_change,
        escalations_due, need_state,
    };
    use cordon_domain::{AreaLevel, AreaPath};

    use crate::db::{Backed, DbRow, Tx, query};
    use crate::needs::*;
    use crate::outbox::{NewMessage, Workers, enqueue_in, enqueue_workers_in};
    use crate::{Result, StoreError, code_of, level_of};
    use cordon_domain::outbox::{MessageKind, RecipientKind};

    /// A need's timeline, in the order written.
    const TIMELINE: &str = "SELECT * FROM need_events WHERE need_id = $1 ORDER BY id";

    fn invalid(what: &str, s: &str) -> StoreError {
        StoreError::Invalid(format!("stored {what} {s:?}"))
    }

    fn need_of(r: &DbRow, keys: &crate::Keyring) -> Result<NeedRecord> {
        let household: String = r.try_get("household_code")?;
        let contact: Option<Vec<u8>> = r.try_get("contact_sealed")?;
        let category: String = r.try_get("category")?;
        let priority: String = r.try_get("priority")?;
        let status: String = r.try_get("status")?;
        let rung: String = r.try_get("rung")?;
        Ok(NeedRecord {
            id: r.try_get("id")?,
            contact_phone: contact
                .map(|c| keys.open(crate::Field::ContactPhone, &household, &c))
                .transpose()?,
            household: code_of(household)?,
            path: AreaPath::from_stored(r.try_get("path")?),
            person_id: r.try_get("person_id")?,
            category: NeedCategory::parse(&category).map_err(|_| invalid("category", &category))?,
            emergency: r.try_get("emergency")?,
            priority: Priority::parse(&priority).ok_or_else(|| invalid("priority", &priority))?,
            description: r.try_get("description")?,
            owner_worker: r.try_get("owner_worker")?,
            profile_key: r.try_get("profile_key")?,
            pass_id: r.try_get("pass_id")?,
            status: NeedStatus::parse(&status).ok_or_else(|| invalid("status", &status))?,
            rung: Rung::parse(&rung).ok_or_else(|| invalid("rung", &rung))?,
            due: r.try_get("due_at")?,
            escalates: r.try_get("escalates")?,
            escalations: r.try_get::<i32, _>("escalations")?.into(),
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
        })
    }

    fn event_of(r: &DbRow) -> Result<NeedEventRecord> {
        let json: String = r.try_get("event")?;
        Ok(NeedEventRecord {
            id: r.try_get("id")?,
            need_id: r.try_get("need_id")?,
            event: NeedEvent { at: r.try_get("at")?, kind: kind_of(&json)? },
            note: r.try_get("note")?,
            by: r.try_get("recorded_by")?,
            recorded_at: r.try_get("recorded_at")?,
        })
    }

    /// Takes the need's row for this transaction (PostgreSQL: a row lock; SQLite writes
    /// one at a time already), so two writers cannot both judge the same timeline. None:
    /// no such need inside the range.
    async fn lock(tx: &mut Tx, id: i64, lo: &str, hi: &str) -> Result<Option<i64>> {
        Ok(query(
            "UPDATE needs SET escalations = escalations WHERE id = $1 AND path >= $2 AND path < $3 RETURNING id",
        )
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?)
    }

    async fn timeline(tx: &mut Tx, id: i64) -> Result<Vec<NeedEvent>> {
        query(TIMELINE)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| event_of(r).map(|e| e.event))
            .collect()
    }

    async fn append(tx: &mut Tx, id: i64, e: &NewNeedEvent) -> Result<()> {
        query(
            "INSERT INTO need_events (need_id, at, event, note, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(e.event.at)
        .bind(kind_json(&e.event.kind))
        .bind(&e.note)
        .bind(&e.by)
        .bind(e.recorded_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Records a step of the need `id` inside `scope` within `tx`, checked against its state
    /// there (a delivery that fulfils a request resolves it in the delivery's transaction).
    /// None: no such need in scope.
    pub(crate) async fn step_need(
        tx: &mut Tx,
        keys: &crate::Keyring,
        scope: &AreaPath,
        id: i64,
        event: &NewNeedEvent,
        rule: &NeedRule,
    ) -> Result<Option<NeedRecord>> {
        let (lo, hi) = scope.subtree_range();
        if lock(tx, id, &lo, &hi).await?.is_none() {
            return Ok(None);
        }
        let mut events = timeline(tx, id).await?;
        check_change(&need_state(&events, rule), &event.event.kind)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        append(tx, id, event).await?;
        events.push(event.event.clone());
        let record = settle(tx, keys, id, &events, rule).await?;
        tell_household(tx, &record, event).await?;
        Ok(Some(record))
    }

    /// A request acknowledged or resolved is told to its household, in the step's transaction;
    /// the day's planned check on a vulnerable resident is routine, and told to nobody.
    async fn tell_household(tx: &mut Tx, need: &NeedRecord, event: &NewNeedEvent) -> Result<()> {
        let kind = match event.event.kind {
            NeedEventKind::Acknowledged => MessageKind::NeedAcknowledged,
            NeedEventKind::Resolved => MessageKind::NeedResolved,
            _ => return Ok(()),
        };
        if need.category == NeedCategory::DailyCheck {
            return Ok(());
        }
        let message = NewMessage {
            kind,
            recipient_kind: RecipientKind::Household,
            recipient: need.household.as_str().to_owned(),
            params: serde_json::json!({
                "need": need.id,
                "category": need.category.as_str(),
                "category_zh": need.category.name_zh(),
            }),
            district: None,
            at: event.recorded_at,
        };
        enqueue_in(tx, &message).await
    }

    /// Tells the workers of `rung` over the need — its cadre, or the users answering for its
    /// community, street, district or the city — in the transaction that gave it to them: an
    /// escalation that lands on nobody's screen is no escalation.
    async fn tell_rung(
        tx: &mut Tx,
        need: &NeedRecord,
        rung: Rung,
        kind: MessageKind,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let params = serde_json::json!({
            "need": need.id,
            "category": need.category.as_str(),
            "rung": rung.as_str(),
            "emergency": need.emergency,
        });
        let to = match rung {
            Rung::Cadre => match &need.owner_worker {
                Some(worker) => Workers::Worker(worker),
                // No cadre answers for it: the community does.
                None => Workers::Over { path: &need.path, level: AreaLevel::Community },
            },
            Rung::Community => Workers::Over { path: &need.path, level: AreaLevel::Community },
            Rung::Street => Workers::Over { path: &need.path, level: AreaLevel::Street },
            Rung::District => Workers::Over { path: &need.path, level: AreaLevel::District },
            Rung::Headquarters => Workers::Over { path: &need.path, level: AreaLevel::City },
        };
        enqueue_workers_in(tx, to, kind, &params, at).await
    }

    /// Keeps what the timeline comes to on the row.
    async fn settle(
        tx: &mut Tx,
        keys: &crate::Keyring,
        id: i64,
        events: &[NeedEvent],
        rule: &NeedRule,
    ) -> Result<NeedRecord> {
        let s = need_state(events, rule);
        let resolved_at = (s.status == NeedStatus::Resolved)
            .then(|| events.iter().rev().find(|e| e.kind == NeedEventKind::Resolved).map(|e| e.at))
            .flatten();
        let row = query(
            "UPDATE needs SET status = $1, rung = $2, due_at = $3, escalates = $4, escalations = $5, \
             resolved_at = $7 WHERE id = $6 RETURNING *",
        )
        .bind(s.status.as_str())
        .bind(s.rung.as_str())
        .bind(s.due)
        .bind(s.escalates)
        .bind(s.escalations as i32)
        .bind(id)
        .bind(resolved_at)
        .fetch_one(&mut *tx)
        .await?;
        need_of(&row, keys)
    }

    /// Writes one need and its first events, keeping what they come to on the row.
    async fn insert_need(
        tx: &mut Tx,
        keys: &crate::Keyring,
        scope: &AreaPath,
        need: &NewNeed,
        rule: &NeedRule,
    ) -> Result<Option<NeedRecord>> {
        let (lo, hi) = scope.subtree_range();
        let area = query("SELECT path, level FROM areas WHERE code = $1 AND path >= $2 AND path < $3")
            .bind(need.household.as_str())
            .bind(&lo)
            .bind(&hi)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("household {}", need.household)))?;
        let level: String = area.try_get("level")?;
        if level_of(&level)? != AreaLevel::Household {
            return Err(StoreError::Invalid(format!(
                "{} is a {level}: a need is raised for a household",
                need.household
            )));
        }
        let path: String = area.try_get("path")?;
        let id = query(
            "INSERT INTO needs (household_code, path, person_id, category, emergency, priority, priority_rank, \
             contact_sealed, description, owner_worker, profile_key, pass_id, status, rung, due_at, escalates, \
             escalations, created_at, created_by, plan_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, NULL, $14, 0, $15, $16, $17) \
             ON CONFLICT (plan_key) DO NOTHING RETURNING id",
        )
        .bind(need.household.as_str())
        .bind(&path)
        .bind(&need.person_id)
        .bind(need.category.as_str())
        .bind(need.emergency)
        .bind(rule.priority.as_str())
        .bind(priority_rank(rule.priority))
        .bind(need.contact_phone.as_deref().map(|p| keys.seal(crate::Field::ContactPhone, need.household.as_str(), p)))
        .bind(&need.description)
        .bind(&need.owner_worker)
        .bind(&need.profile_key)
        .bind(&need.pass_id)
        .bind(need.rung.as_str())
        .bind(false)
        .bind(need.at)
        .bind(&need.by)
        .bind(&need.plan_key)
        .fetch_optional(&mut *tx)
        .await?;
        // Planned under a key written before: nothing to do.
        let Some(id) = id else { return Ok(None) };
        let id: i64 = id.try_get("id")?;
        let mut events = vec![NeedEvent { at: need.at, kind: NeedEventKind::Created { rung: need.rung } }];
        if let Some(pass_id) = &need.pass_id {
            events.push(NeedEvent {
                at: need.at,
                kind: NeedEventKind::PassIssued { pass_id: pass_id.clone() },
            });
        }
        for e in &events {
            let e = NewNeedEvent {
                event: e.clone(),
                note: String::new(),
                by: need.by.clone(),
                recorded_at: need.at,
            };
            append(tx, id, &e).await?;
        }
        let record = settle(tx, keys, id, &events, rule).await?;
        if record.emergency {
            tell_rung(tx, &record, need.rung, MessageKind::NeedEmergency, need.at).await?;
            // A building's cadre may be at another door: their community hears of it too.
            if need.rung == Rung::Cadre && need.owner_worker.is_some() {
                tell_rung(tx, &record, Rung::Community, MessageKind::NeedEmergency, need.at).await?;
            }
        }
        Ok(Some(record))
    }

    #[async_trait::async_trait]
    impl<S: Backed> Needs for S {
        async fn create_need(&self, scope: &AreaPath, need: &NewNeed, rule: &NeedRule) -> Result<NeedRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let r = insert_need(&mut tx, self.keys(), scope, need, rule).await?.ok_or_else(|| {
                StoreError::Conflict(format!("{} is planned already", need.plan_key.as_deref().unwrap_or("")))
            })?;
            tx.commit().await?;
            Ok(r)
        }

        async fn create_needs(&self, scope: &AreaPath, needs: &[(NewNeed, NeedRule)]) -> Result<Vec<i64>> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let mut ids = Vec::with_capacity(needs.len());
            for (i, (need, rule)) in needs.iter().enumerate() {
                let r = insert_need(&mut tx, self.keys(), scope, need, rule).await.map_err(|e| match e {
                    StoreError::Invalid(m) => StoreError::Invalid(format!("need {}: {m}", i + 1)),
                    StoreError::NotFound(m) => StoreError::NotFound(format!("need {}: {m}", i + 1)),
                    other => other,
                })?;
                ids.extend(r.map(|r| r.id));
            }
            tx.commit().await?;
            Ok(ids)
        }

        async fn need(&self, scope: &AreaPath, id: i64) -> Result<Option<NeedRecord>> {
            let (lo, hi) = scope.subtree_range();
            query("SELECT * FROM needs WHERE id = $1 AND path >= $2 AND path < $3")
                .bind(id)
                .bind(lo)
                .bind(hi)
                .fetch_optional(self.db())
                .await?
                .as_ref()
                .map(|r| need_of(r, self.keys()))
                .transpose()
        }

        async fn need_events(&self, id: i64) -> Result<Vec<NeedEventRecord>> {
            query(TIMELINE).bind(id).fetch_all(self.db()).await?.iter().map(event_of).collect()
        }

        async fn record_need_event(
            &self,
            scope: &AreaPath,
            id: i64,
            event: &NewNeedEvent,
            rule: &NeedRule,
        ) -> Result<Option<NeedRecord>> {
            let mut tx = self.db().begin().await?;
            let r = step_need(&mut tx, self.keys(), scope, id, event, rule).await?;
            tx.commit().await?;
            Ok(r)
        }

        async fn needs_board(&self, scope: &AreaPath, q: &NeedQuery) -> Result<Vec<NeedRecord>> {
            let (lo, hi) = scope.subtree_range();
            let limit = i64::from(q.limit.max(1));
            let mut out: Vec<NeedRecord> = query(
                "SELECT * FROM needs WHERE path >= $1 AND path < $2 AND status <> 'resolved' \
                 AND ($5 IS NULL OR (status = 'open' AND rung = $5)) \
                 ORDER BY CASE WHEN due_at < $4 THEN 0 ELSE 1 END, priority_rank, due_at, id LIMIT $3 OFFSET $6",
            )
            .bind(&lo)
            .bind(&hi)
            .bind(limit)
            .bind(q.now)
            .bind(q.waiting_on.map(|r| r.as_str()))
            .bind(i64::from(q.offset))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| need_of(r, self.keys()))
            .collect::<Result<_>>()?;
            if q.include_resolved && q.waiting_on.is_none() && (out.len() as i64) < limit {
                // The resolved follow the unresolved: a page past those starts inside them.
                let unresolved: i64 = query(
                    "SELECT COUNT(*) AS n FROM needs WHERE path >= $1 AND path < $2 AND status <> 'resolved'",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_one(self.db())
                .await?
                .try_get("n")?;
                let skip = (i64::from(q.offset) - unresolved).max(0);
                let rest = query(
                    "SELECT * FROM needs WHERE path >= $1 AND path < $2 AND status = 'resolved' \
                     ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(limit - out.len() as i64)
                .bind(skip)
                .fetch_all(self.db())
                .await?;
                for r in &rest {
                    out.push(need_of(r, self.keys())?);
                }
            }
            Ok(out)
        }

        async fn need_counts(&self, scope: &AreaPath, now: DateTime<Utc>) -> Result<NeedCounts> {
            let (lo, hi) = scope.subtree_range();
            let r = query(
                "SELECT COUNT(CASE WHEN status = 'open' THEN 1 END) AS open, \
                 COUNT(CASE WHEN status = 'acknowledged' THEN 1 END) AS acknowledged, \
                 COUNT(CASE WHEN due_at < $3 THEN 1 END) AS overdue, \
                 COUNT(CASE WHEN due_at < $3 AND emergency THEN 1 END) AS emergencies_overdue \
                 FROM needs WHERE path >= $1 AND path < $2 AND status <> 'resolved'",
            )
            .bind(lo)
            .bind(hi)
            .bind(now)
            .fetch_one(self.db())
            .await?;
            Ok(NeedCounts {
                open: r.try_get("open")?,
                acknowledged: r.try_get("acknowledged")?,
                overdue: r.try_get("overdue")?,
                emergencies_overdue: r.try_get("emergencies_overdue")?,
            })
        }

        async fn tagged_people(
            &self,
            scope: &AreaPath,
        ) -> Result<Vec<(String, cordon_domain::AreaCode, AreaPath, cordon_domain::Tags)>> {
            let (lo, hi) = scope.subtree_range();
            query(
                "SELECT person_id, household_code, path, tags FROM people WHERE path >= $1 AND path < $2 AND vulnerable",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| {
                let tags: String = r.try_get("tags")?;
                Ok((
                    r.try_get("person_id")?,
                    code_of(r.try_get("household_code")?)?,
                    AreaPath::from_stored(r.try_get("path")?),
                    cordon_domain::Tags::from_stored(&tags),
                ))
            })
            .collect()
        }

        async fn needs_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DueNeed>> {
            query(
                "SELECT id, profile_key, category, emergency FROM needs WHERE escalates AND due_at <= $1 \
                 ORDER BY due_at LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| {
                let category: String = r.try_get("category")?;
                Ok(DueNeed {
                    id: r.try_get("id")?,
                    profile_key: r.try_get("profile_key")?,
                    category: NeedCategory::parse(&category).map_err(|_| invalid("category", &category))?,
                    emergency: r.try_get("emergency")?,
                })
            })
            .collect()
        }

        async fn escalate_needs(
            &self,
            due: &[(i64, NeedRule)],
            now: DateTime<Utc>,
            by: &str,
        ) -> Result<Vec<(NeedRecord, Vec<NeedEvent>)>> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let mut out = Vec::new();
            let (lo, hi) = AreaPath::root().subtree_range();
            for (id, rule) in due {
                if lock(&mut tx, *id, &lo, &hi).await?.is_none() {
                    continue;
                }
                let mut events = timeline(&mut tx, *id).await?;
                // Read in this transaction: a step another sweep wrote meanwhile is there.
                let steps = escalations_due(&events, rule, now);
                if steps.is_empty() {
                    continue;
                }
                for e in &steps {
                    let e = NewNeedEvent {
                        event: e.clone(),
                        note: String::new(),
                        by: by.to_owned(),
                        recorded_at: now,
                    };
                    append(&mut tx, *id, &e).await?;
                }
                events.extend(steps.iter().cloned());
                let record = settle(&mut tx, self.keys(), *id, &events, rule).await?;
                // Several rungs passed in one sweep (a server down for an hour): the one that
                // owns it now is told, not each it passed.
                if let Some(NeedEventKind::Escalated { to }) = steps.last().map(|e| &e.kind) {
                    tell_rung(&mut tx, &record, *to, MessageKind::NeedEscalated, now).await?;
                }
                out.push((record, steps));
            }
            tx.commit().await?;
            Ok(out)
        }
    }
}
