//! 消息通知 in the store: the outbox. A message is written by the change that causes it, in that
//! change's transaction (`enqueue_in`, `enqueue_households_in`), so a change is never told
//! without happening nor happens untold; the sender takes what is due, opens the phones of each
//! recipient as it sends, and settles each message's delivery.
//!
//! A zone raised over a district writes one message per household as one `INSERT … SELECT`
//! over the areas' (level, path) index, not a loop of inserts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cordon_domain::outbox::{Delivery, MessageKind, RecipientKind};
use cordon_domain::{AreaLevel, AreaPath};

use crate::db::{Backed, DbRow, Query, Tx, query};
use crate::seal::Field;
use crate::{ROWS_PER_STATEMENT, Result, StoreError};

/// A message to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub recipient_kind: RecipientKind,
    pub recipient: String,
    /// The facts it tells, as a JSON object.
    pub params: serde_json::Value,
    pub district: Option<String>,
    pub at: DateTime<Utc>,
}

/// A message as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub id: i64,
    pub kind: MessageKind,
    pub recipient_kind: RecipientKind,
    pub recipient: String,
    pub params: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub state: Delivery,
    pub attempts: i64,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// When a worker opened it in their inbox.
    pub read_at: Option<DateTime<Utc>>,
}

/// How one send of a message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// Every phone took it.
    Sent { id: i64, at: DateTime<Utc> },
    /// Try again at `next` (this was try `attempts`).
    Retry { id: i64, attempts: i64, next: DateTime<Utc>, error: String },
    /// Given up, or refused by the gateway.
    Failed { id: i64, attempts: i64, error: String },
    /// Nobody to send it to, or too late to.
    Closed { id: i64, state: Delivery },
}

/// The outbox's figures: messages by kind and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxCount {
    pub kind: MessageKind,
    pub state: Delivery,
    pub count: i64,
}

#[async_trait::async_trait]
pub trait Outbox: Send + Sync {
    /// Writes messages on their own (those no other change writes in its transaction).
    async fn enqueue(&self, messages: &[NewMessage]) -> Result<()>;
    /// The queued messages due by `now`, oldest first.
    async fn due_messages(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<MessageRecord>>;
    /// The distinct phones of each recipient, opened: a household's every registered member
    /// still living there, a person's own; a user has none.
    async fn phones_of(
        &self,
        recipients: &[(RecipientKind, String)],
    ) -> Result<HashMap<(RecipientKind, String), Vec<String>>>;
    /// Settles what the sender did, in one transaction. A sign-in code's facts are blanked once
    /// it is no longer queued ([`MessageKind::secret`]): the code is a secret only while it may
    /// be sent, and the table keeps only its hash.
    async fn settle_messages(&self, settled: &[Settle]) -> Result<()>;
    /// Closes as expired every queued message of `kind` written before `before` (its shelf
    /// life over), as one statement; how many.
    async fn expire_messages(&self, kind: MessageKind, before: DateTime<Utc>) -> Result<u64>;
    /// The messages to one recipient, newest first.
    async fn messages_to(
        &self,
        kind: RecipientKind,
        recipient: &str,
        limit: u32,
    ) -> Result<Vec<MessageRecord>>;
    /// Every message counted by kind and state.
    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>>;
    /// How many messages in `user`'s inbox are unread (the top bar's count), counted up to
    /// [`UNREAD_COUNTED`] at most: headquarters may have thousands, and every page asks.
    async fn unread_messages(&self, user: &str) -> Result<i64>;
    /// Marks `user`'s messages up to `up_to` (an id) read at `at`; how many were unread.
    async fn mark_messages_read(&self, user: &str, up_to: i64, at: DateTime<Utc>) -> Result<u64>;
}

/// The most unread messages counted: a page shows "99+" past it, and never counts further.
pub const UNREAD_COUNTED: i64 = 100;

const MESSAGE_COLUMNS: &str =
    "id, kind, recipient_kind, recipient, params, created_at, state, attempts, sent_at, last_error, read_at";

fn message_of(r: &DbRow) -> Result<MessageRecord> {
    let bad = |e: cordon_domain::DomainError| StoreError::Invalid(format!("stored message: {e}"));
    let params: String = r.try_get("params")?;
    Ok(MessageRecord {
        id: r.try_get("id")?,
        kind: MessageKind::parse(&r.try_get::<String, _>("kind")?).map_err(bad)?,
        recipient_kind: RecipientKind::parse(&r.try_get::<String, _>("recipient_kind")?).map_err(bad)?,
        recipient: r.try_get("recipient")?,
        params: serde_json::from_str(&params)
            .map_err(|e| StoreError::Invalid(format!("stored message's params: {e}")))?,
        created_at: r.try_get("created_at")?,
        state: Delivery::parse(&r.try_get::<String, _>("state")?).map_err(bad)?,
        attempts: r.try_get("attempts")?,
        sent_at: r.try_get("sent_at")?,
        last_error: r.try_get("last_error")?,
        read_at: r.try_get("read_at")?,
    })
}

/// Writes one message in the caller's transaction. A message to a user is in their inbox once
/// written: it is delivered (`sent`) at once, and never waits on the sender.
pub(crate) async fn enqueue_in(tx: &mut Tx, m: &NewMessage) -> Result<()> {
    let (state, sent_at) = match m.recipient_kind {
        RecipientKind::User => (Delivery::Sent, Some(m.at)),
        _ => (Delivery::Queued, None),
    };
    query(
        "INSERT INTO outbox (kind, recipient_kind, recipient, params, district_code, created_at, state, \
         attempts, next_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $6, $8)",
    )
    .bind(m.kind.as_str())
    .bind(m.recipient_kind.as_str())
    .bind(m.recipient.as_str())
    .bind(m.params.to_string())
    .bind(m.district.clone())
    .bind(m.at)
    .bind(state.as_str())
    .bind(sent_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whom a message to workers reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Workers<'a> {
    /// The users whose scope is the area of `level` on `path`'s line (the community, the street,
    /// the district above a household, or the city for headquarters).
    Over { path: &'a AreaPath, level: AreaLevel },
    /// The users signed in as this worker of the workforce (a building's cadre).
    Worker(&'a str),
}

/// Writes one message to each enabled user `to` names, delivered to their inbox at once, in the
/// caller's transaction, as one statement; the messages written.
pub(crate) async fn enqueue_workers_in(
    tx: &mut Tx,
    to: Workers<'_>,
    kind: MessageKind,
    params: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<u64> {
    let head = "INSERT INTO outbox (kind, recipient_kind, recipient, params, district_code, created_at, state, \
                attempts, next_at, sent_at) SELECT $1, 'user', u.username, $2, NULL, $3, 'sent', 0, $3, $3 FROM users u ";
    // The head's three values first: they are `$1`…`$3`.
    let q = query(head).bind(kind.as_str()).bind(params.to_string()).bind(at);
    let q = match to {
        Workers::Over { path, level } => q
            .push("JOIN areas a ON a.code = u.scope_code WHERE u.disabled_at IS NULL AND a.level = ")
            .push_bind(level.as_str())
            .push(" AND a.path IN (")
            .push_list(path.lineage().into_iter().map(|p| p.as_str().to_owned()))
            .push(")"),
        Workers::Worker(worker) => {
            q.push("WHERE u.disabled_at IS NULL AND u.worker_id = ").push_bind(worker.to_owned())
        }
    };
    let done = q.execute(&mut *tx).await?;
    Ok(done.rows_affected())
}

/// Writes one message to every household under `area` (itself, when it is one), in the
/// caller's transaction, as one statement; the messages written.
pub(crate) async fn enqueue_households_in(
    tx: &mut Tx,
    area: &AreaPath,
    kind: MessageKind,
    params: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<u64> {
    let (lo, hi) = area.subtree_range();
    let done = query(
        "INSERT INTO outbox (kind, recipient_kind, recipient, params, district_code, created_at, state, \
         attempts, next_at) SELECT $1, 'household', code, $2, district_code, $3, 'queued', 0, $3 \
         FROM areas WHERE level = 'household' AND path >= $4 AND path < $5",
    )
    .bind(kind.as_str())
    .bind(params.to_string())
    .bind(at)
    .bind(lo)
    .bind(hi)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
}

#[async_trait::async_trait]
impl<S: Backed> Outbox for S {
    async fn enqueue(&self, messages: &[NewMessage]) -> Result<()> {
        let mut tx = self.db().begin().await?;
        for m in messages {
            enqueue_in(&mut tx, m).await?;
        }
        tx.commit().await
    }

    async fn due_messages(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<MessageRecord>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE state = 'queued' AND next_at <= $1 \
             ORDER BY next_at, id LIMIT $2"
        );
        Query::dynamic(sql)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(message_of)
            .collect()
    }

    async fn phones_of(
        &self,
        recipients: &[(RecipientKind, String)],
    ) -> Result<HashMap<(RecipientKind, String), Vec<String>>> {
        let mut out: HashMap<(RecipientKind, String), Vec<String>> = HashMap::new();
        let households: Vec<&str> = recipients
            .iter()
            .filter(|(k, _)| *k == RecipientKind::Household)
            .map(|(_, r)| r.as_str())
            .collect();
        let people: Vec<&str> =
            recipients.iter().filter(|(k, _)| *k == RecipientKind::Person).map(|(_, r)| r.as_str()).collect();
        let relatives: Vec<i64> = recipients
            .iter()
            .filter(|(k, _)| *k == RecipientKind::Relative)
            .filter_map(|(_, r)| r.parse().ok())
            .collect();
        let mut rows = Vec::new();
        // A relative's phone is sealed under its household's code: (recipient kind, recipient,
        // the row it is sealed under, sealed).
        let mut added: Vec<(RecipientKind, String, String, Vec<u8>)> = Vec::new();
        for chunk in households.chunks(ROWS_PER_STATEMENT) {
            let q = query(
                "SELECT household_code, phone_sealed FROM household_phones WHERE removed_at IS NULL \
                 AND household_code IN (",
            )
            .push_list(chunk.iter().copied())
            .push(") ORDER BY id");
            for r in q.fetch_all(self.db()).await? {
                let household: String = r.try_get("household_code")?;
                added.push((
                    RecipientKind::Household,
                    household.clone(),
                    household,
                    r.try_get("phone_sealed")?,
                ));
            }
        }
        for chunk in relatives.chunks(ROWS_PER_STATEMENT) {
            let q = query(
                "SELECT id, household_code, phone_sealed FROM household_phones WHERE removed_at IS NULL AND id IN (",
            )
            .push_list(chunk.iter().copied())
            .push(")");
            for r in q.fetch_all(self.db()).await? {
                let id: i64 = r.try_get("id")?;
                added.push((
                    RecipientKind::Relative,
                    id.to_string(),
                    r.try_get("household_code")?,
                    r.try_get("phone_sealed")?,
                ));
            }
        }
        for chunk in households.chunks(ROWS_PER_STATEMENT) {
            // By the household's path, so the people's (path, …) index finds its members.
            let q = query(
                "SELECT a.code AS recipient, 'household' AS recipient_kind, p.person_id, p.phone_sealed \
                 FROM areas a JOIN people p ON p.path = a.path WHERE p.phone_sealed IS NOT NULL \
                 AND p.status = 'active' AND a.code IN (",
            )
            .push_list(chunk.iter().copied())
            .push(") ORDER BY p.person_id");
            rows.extend(q.fetch_all(self.db()).await?);
        }
        for chunk in people.chunks(ROWS_PER_STATEMENT) {
            let q = query(
                "SELECT person_id AS recipient, 'person' AS recipient_kind, person_id, phone_sealed \
                 FROM people WHERE phone_sealed IS NOT NULL AND status = 'active' AND person_id IN (",
            )
            .push_list(chunk.iter().copied())
            .push(")");
            rows.extend(q.fetch_all(self.db()).await?);
        }
        for r in rows {
            let kind = RecipientKind::parse(&r.try_get::<String, _>("recipient_kind")?)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let person: String = r.try_get("person_id")?;
            let sealed: Vec<u8> = r.try_get("phone_sealed")?;
            let phone = self.keys().open(Field::Phone, &person, &sealed)?;
            let phones = out.entry((kind, r.try_get("recipient")?)).or_default();
            if !phones.contains(&phone) {
                phones.push(phone);
            }
        }
        // After the members' own: a relative's phone is the household's last resort.
        for (kind, recipient, row, sealed) in added {
            let phone = self.keys().open(Field::Phone, &row, &sealed)?;
            let phones = out.entry((kind, recipient)).or_default();
            if !phones.contains(&phone) {
                phones.push(phone);
            }
        }
        Ok(out)
    }

    async fn settle_messages(&self, settled: &[Settle]) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let sent: Vec<(i64, DateTime<Utc>)> = settled
            .iter()
            .filter_map(|s| match s {
                Settle::Sent { id, at } => Some((*id, *at)),
                _ => None,
            })
            .collect();
        // Sent at one moment a batch: grouped, so a batch of thousands is a few statements.
        let mut by_moment: HashMap<DateTime<Utc>, Vec<i64>> = HashMap::new();
        for (id, at) in sent {
            by_moment.entry(at).or_default().push(id);
        }
        for (at, ids) in by_moment {
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                query(
                    "UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL, \
                     params = CASE WHEN kind = 'sign_in_code' THEN '{}' ELSE params END \
                     WHERE state = 'queued' AND id IN (",
                )
                .bind(at)
                .push_list(chunk.iter().copied())
                .push(")")
                .execute(&mut tx)
                .await?;
            }
        }
        let mut closed: HashMap<Delivery, Vec<i64>> = HashMap::new();
        for s in settled {
            if let Settle::Closed { id, state } = s {
                closed.entry(*state).or_default().push(*id);
            }
        }
        for (state, ids) in closed {
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                query(
                    "UPDATE outbox SET state = $1, \
                     params = CASE WHEN kind = 'sign_in_code' THEN '{}' ELSE params END \
                     WHERE state = 'queued' AND id IN (",
                )
                .bind(state.as_str())
                .push_list(chunk.iter().copied())
                .push(")")
                .execute(&mut tx)
                .await?;
            }
        }
        for s in settled {
            match s {
                Settle::Sent { .. } => {}
                Settle::Retry { id, attempts, next, error } => {
                    query(
                        "UPDATE outbox SET attempts = $1, next_at = $2, last_error = $3 \
                         WHERE id = $4 AND state = 'queued'",
                    )
                    .bind(*attempts)
                    .bind(*next)
                    .bind(error.as_str())
                    .bind(*id)
                    .execute(&mut tx)
                    .await?;
                }
                Settle::Failed { id, attempts, error } => {
                    query(
                        "UPDATE outbox SET state = 'failed', attempts = $1, last_error = $2, \
                         params = CASE WHEN kind = 'sign_in_code' THEN '{}' ELSE params END \
                         WHERE id = $3 AND state = 'queued'",
                    )
                    .bind(*attempts)
                    .bind(error.as_str())
                    .bind(*id)
                    .execute(&mut tx)
                    .await?;
                }
                Settle::Closed { .. } => {}
            }
        }
        tx.commit().await
    }

    async fn expire_messages(&self, kind: MessageKind, before: DateTime<Utc>) -> Result<u64> {
        // `next_at` is never before `created_at`: bounding it too lets the due index find them.
        let done = query(
            "UPDATE outbox SET state = 'expired', \
             params = CASE WHEN kind = 'sign_in_code' THEN '{}' ELSE params END \
             WHERE state = 'queued' AND next_at < $1 AND created_at < $1 AND kind = $2",
        )
        .bind(before)
        .bind(kind.as_str())
        .execute(self.db())
        .await?;
        Ok(done.rows_affected())
    }

    async fn messages_to(
        &self,
        kind: RecipientKind,
        recipient: &str,
        limit: u32,
    ) -> Result<Vec<MessageRecord>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE recipient_kind = $1 AND recipient = $2 \
             ORDER BY id DESC LIMIT $3"
        );
        Query::dynamic(sql)
            .bind(kind.as_str())
            .bind(recipient)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(message_of)
            .collect()
    }

    async fn unread_messages(&self, user: &str) -> Result<i64> {
        let r = query(
            "SELECT count(*) AS n FROM (SELECT 1 FROM outbox WHERE recipient_kind = 'user' AND recipient = $1 \
             AND read_at IS NULL LIMIT $2) unread",
        )
        .bind(user)
        .bind(UNREAD_COUNTED)
        .fetch_one(self.db())
        .await?;
        Ok(r.try_get("n")?)
    }

    async fn mark_messages_read(&self, user: &str, up_to: i64, at: DateTime<Utc>) -> Result<u64> {
        let done = query(
            "UPDATE outbox SET read_at = $1 WHERE recipient_kind = 'user' AND recipient = $2 \
             AND read_at IS NULL AND id <= $3",
        )
        .bind(at)
        .bind(user)
        .bind(up_to)
        .execute(self.db())
        .await?;
        Ok(done.rows_affected())
    }

    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>> {
        let rows =
            query("SELECT kind, state, count(*) AS n FROM outbox GROUP BY kind, state ORDER BY kind, state")
                .fetch_all(self.db())
                .await?;
        let bad = |e: cordon_domain::DomainError| StoreError::Invalid(format!("stored message: {e}"));
        rows.iter()
            .map(|r| {
                Ok(OutboxCount {
                    kind: MessageKind::parse(&r.try_get::<String, _>("kind")?).map_err(bad)?,
                    state: Delivery::parse(&r.try_get::<String, _>("state")?).map_err(bad)?,
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }
}
