//! 居民登录 in the store: codes asked for by phone, and residents' sessions.
//!
//! Every ask is kept by the phone's blind index, registered or not, so the limits (the domain's
//! `SignInRule`) answer a stranger's phone exactly as a resident's; only a registered phone's
//! ask writes a message, in the same transaction. A code is kept as a hash, a session as its
//! token's hash.

use chrono::{DateTime, Utc};
use cordon_domain::outbox::{MessageKind, RecipientKind, SignInRule};
use cordon_domain::{AreaCode, AreaPath};
use sha2::{Digest, Sha256};

use crate::db::{Backed, DbRow, query};
use crate::outbox::{NewMessage, enqueue_in};
use crate::seal::Field;
use crate::{Result, StoreError, code_of};

/// What came of asking for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeAsked {
    /// Kept (and sent, if the phone is registered).
    Kept,
    /// The phone asked too often: nothing kept or sent before this moment.
    Wait(DateTime<Utc>),
}

/// A resident signed in: the household they see, and who they are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentSession {
    pub household: AreaCode,
    pub household_path: AreaPath,
    pub household_name: String,
    pub district: Option<String>,
    pub person_id: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait Residents: Send + Sync {
    /// Keeps an ask for a sign-in code from `phone` (digits, as the domain's `Phone` gives them)
    /// and, when the register holds the phone for someone living at a household, writes the
    /// code's message to them in the same transaction.
    async fn ask_code(
        &self,
        phone: &str,
        code: &str,
        rule: &SignInRule,
        now: DateTime<Utc>,
    ) -> Result<CodeAsked>;
    /// Spends `code` for `phone`: on a match opens a session under `token_hash`; a wrong code
    /// counts a try (the code is spent at the rule's last). `None` on any miss, alike.
    async fn redeem_code(
        &self,
        phone: &str,
        code: &str,
        token_hash: &str,
        rule: &SignInRule,
        now: DateTime<Utc>,
    ) -> Result<Option<ResidentSession>>;
    /// The live session of `token_hash`.
    async fn resident_session(&self, token_hash: &str, now: DateTime<Utc>)
    -> Result<Option<ResidentSession>>;
    /// Ends a session (signing out).
    async fn end_resident_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()>;
    /// Ends every session of a household (a worker revokes them); how many were live.
    async fn end_household_sessions(&self, household: &AreaCode, now: DateTime<Utc>) -> Result<u64>;

    /// Adds a relative's phone to a household inside `scope`: it receives the household's
    /// messages and may sign in to its page. `NotFound` when there is no such household there.
    async fn add_household_phone(
        &self,
        scope: &AreaPath,
        p: &NewHouseholdPhone,
    ) -> Result<HouseholdPhoneRecord>;
    /// The phones added to a household inside `scope` and not removed, opened (the caller masks
    /// them for display).
    async fn household_phones(
        &self,
        scope: &AreaPath,
        household: &AreaCode,
    ) -> Result<Vec<HouseholdPhoneRecord>>;
    /// Removes one, and ends the sessions it opened, in one transaction; `None` when there is no
    /// such phone on that household inside `scope`.
    async fn remove_household_phone(
        &self,
        scope: &AreaPath,
        household: &AreaCode,
        id: i64,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Option<HouseholdPhoneRecord>>;
}

/// 亲属电话: a phone a worker adds to a household that has none of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHouseholdPhone {
    pub household: AreaCode,
    /// Digits, as the domain's `Phone` gives them.
    pub phone: String,
    /// 女儿, 邻居, 楼长 …
    pub relation: String,
    /// Why the household is reached through it (an elderly person alone without a phone …).
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdPhoneRecord {
    pub id: i64,
    pub household: AreaCode,
    /// Opened: the caller masks it.
    pub phone: String,
    pub relation: String,
    pub reason: String,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

/// Who a session signed in by a relative's phone is, as sessions and codes name them.
pub fn relative_principal(id: i64) -> String {
    format!("relative:{id}")
}

/// A code's hash, bound to the phone it was sent to.
fn code_hash(blind: &[u8], code: &str) -> String {
    hex::encode(Sha256::digest([blind, b"\0", code.as_bytes()].concat()))
}

const SESSION_SELECT: &str = "SELECT s.household_code, s.person_id, s.expires_at, a.path, a.name, a.district_code \
     FROM resident_sessions s JOIN areas a ON a.code = s.household_code";

fn session_of(r: &DbRow) -> Result<ResidentSession> {
    Ok(ResidentSession {
        household: code_of(r.try_get("household_code")?)?,
        household_path: AreaPath::from_stored(r.try_get("path")?),
        household_name: r.try_get("name")?,
        district: r.try_get("district_code")?,
        person_id: r.try_get("person_id")?,
        expires_at: r.try_get("expires_at")?,
    })
}

#[async_trait::async_trait]
impl<S: Backed> Residents for S {
    async fn ask_code(
        &self,
        phone: &str,
        code: &str,
        rule: &SignInRule,
        now: DateTime<Utc>,
    ) -> Result<CodeAsked> {
        let blind = self.keys().blind(Field::Phone, phone);
        let mut tx = self.db().begin().await?;
        let asked: Vec<DateTime<Utc>> =
            query("SELECT created_at FROM resident_codes WHERE phone_index = $1 AND created_at > $2")
                .bind(blind.clone())
                .bind(now - rule.window)
                .fetch_all(&mut tx)
                .await?
                .iter()
                .map(|r| r.try_get("created_at"))
                .collect::<std::result::Result<_, _>>()?;
        if let Err(next) = rule.may_ask(&asked, now) {
            tx.rollback().await?;
            return Ok(CodeAsked::Wait(next));
        }
        // The phone's holder living at a household, found under every key (rows not yet
        // re-sealed under a new one are found too); the lowest register id when several share it.
        // (who signed in, household, district)
        let mut holder: Option<(String, String, Option<String>)> = None;
        for b in self.keys().blinds(Field::Phone, phone) {
            let found = query(
                "SELECT person_id, household_code, district_code FROM people \
                 WHERE phone_index = $1 AND status = 'active' ORDER BY person_id LIMIT 1",
            )
            .bind(b)
            .fetch_optional(&mut tx)
            .await?;
            if let Some(r) = found {
                let candidate =
                    (r.try_get("person_id")?, r.try_get("household_code")?, r.try_get("district_code")?);
                if holder.as_ref().is_none_or(|h: &(String, String, Option<String>)| candidate.0 < h.0) {
                    holder = Some(candidate);
                }
            }
        }
        // Else a relative's phone a worker added to a household (the first added, if several).
        let mut relative: Option<i64> = None;
        if holder.is_none() {
            for b in self.keys().blinds(Field::Phone, phone) {
                let found = query(
                    "SELECT h.id, h.household_code, a.district_code FROM household_phones h \
                     JOIN areas a ON a.code = h.household_code \
                     WHERE h.phone_index = $1 AND h.removed_at IS NULL ORDER BY h.id LIMIT 1",
                )
                .bind(b)
                .fetch_optional(&mut tx)
                .await?;
                if let Some(r) = found {
                    let id: i64 = r.try_get("id")?;
                    if relative.is_none_or(|r| id < r) {
                        relative = Some(id);
                        holder = Some((
                            relative_principal(id),
                            r.try_get("household_code")?,
                            r.try_get("district_code")?,
                        ));
                    }
                }
            }
        }
        query(
            "INSERT INTO resident_codes (phone_index, household_code, person_id, code_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(blind.clone())
        .bind(holder.as_ref().map(|h| h.1.clone()))
        .bind(holder.as_ref().map(|h| h.0.clone()))
        .bind(code_hash(&blind, code))
        .bind(now)
        .bind(now + rule.valid_for)
        .execute(&mut tx)
        .await?;
        if let Some((person, _, district)) = holder {
            let (recipient_kind, recipient) = match relative {
                Some(id) => (RecipientKind::Relative, id.to_string()),
                None => (RecipientKind::Person, person),
            };
            let message = NewMessage {
                kind: MessageKind::SignInCode,
                recipient_kind,
                recipient,
                params: serde_json::json!({ "code": code, "minutes": rule.valid_for.num_minutes() }),
                district,
                at: now,
            };
            enqueue_in(&mut tx, &message).await?;
        }
        tx.commit().await?;
        Ok(CodeAsked::Kept)
    }

    async fn redeem_code(
        &self,
        phone: &str,
        code: &str,
        token_hash: &str,
        rule: &SignInRule,
        now: DateTime<Utc>,
    ) -> Result<Option<ResidentSession>> {
        let blind = self.keys().blind(Field::Phone, phone);
        let mut tx = self.db().begin().await?;
        // Only the newest code counts: asking again retires the one before.
        let sql = format!(
            "SELECT id, household_code, person_id, code_hash, tries, expires_at, spent_at FROM resident_codes \
             WHERE phone_index = $1 ORDER BY created_at DESC, id DESC LIMIT 1{}",
            self.db().dialect().for_update
        );
        let Some(r) = crate::db::Query::dynamic(sql).bind(blind.clone()).fetch_optional(&mut tx).await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let id: i64 = r.try_get("id")?;
        let spent: Option<DateTime<Utc>> = r.try_get("spent_at")?;
        let expires: DateTime<Utc> = r.try_get("expires_at")?;
        let household: Option<String> = r.try_get("household_code")?;
        let person: Option<String> = r.try_get("person_id")?;
        let tries: i64 = r.try_get("tries")?;
        let stored: String = r.try_get("code_hash")?;
        if spent.is_some() || expires <= now {
            tx.rollback().await?;
            return Ok(None);
        }
        let (Some(household), Some(person), true) = (household, person, stored == code_hash(&blind, code))
        else {
            let tries = tries + 1;
            query("UPDATE resident_codes SET tries = $1, spent_at = $2 WHERE id = $3")
                .bind(tries)
                .bind(if tries >= rule.tries { Some(now) } else { None })
                .bind(id)
                .execute(&mut tx)
                .await?;
            tx.commit().await?;
            return Ok(None);
        };
        query("UPDATE resident_codes SET spent_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut tx)
            .await?;
        query(
            "INSERT INTO resident_sessions (token_hash, household_code, person_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(household)
        .bind(person)
        .bind(now)
        .bind(now + rule.session)
        .execute(&mut tx)
        .await?;
        let sql = format!("{SESSION_SELECT} WHERE s.token_hash = $1");
        let session = session_of(&crate::db::Query::dynamic(sql).bind(token_hash).fetch_one(&mut tx).await?)?;
        tx.commit().await?;
        Ok(Some(session))
    }

    async fn resident_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ResidentSession>> {
        let sql = format!(
            "{SESSION_SELECT} WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2"
        );
        crate::db::Query::dynamic(sql)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(self.db())
            .await?
            .as_ref()
            .map(session_of)
            .transpose()
    }

    async fn end_resident_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        query("UPDATE resident_sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(token_hash)
            .execute(self.db())
            .await?;
        Ok(())
    }

    async fn end_household_sessions(&self, household: &AreaCode, now: DateTime<Utc>) -> Result<u64> {
        let done = query(
            "UPDATE resident_sessions SET revoked_at = $1 WHERE household_code = $2 AND revoked_at IS NULL \
             AND expires_at > $1",
        )
        .bind(now)
        .bind(household.as_str())
        .execute(self.db())
        .await?;
        Ok(done.rows_affected())
    }

    async fn add_household_phone(
        &self,
        scope: &AreaPath,
        p: &NewHouseholdPhone,
    ) -> Result<HouseholdPhoneRecord> {
        let (lo, hi) = scope.subtree_range();
        let mut tx = self.db().begin().await?;
        let found = query(
            "SELECT code FROM areas WHERE code = $1 AND level = 'household' AND path >= $2 AND path < $3",
        )
        .bind(p.household.as_str())
        .bind(lo)
        .bind(hi)
        .fetch_optional(&mut tx)
        .await?;
        if found.is_none() {
            tx.rollback().await?;
            return Err(StoreError::NotFound(format!("household {}", p.household)));
        }
        let blind = self.keys().blind(Field::Phone, &p.phone);
        let twice = query(
            "SELECT id FROM household_phones WHERE household_code = $1 AND phone_index = $2 AND removed_at IS NULL",
        )
        .bind(p.household.as_str())
        .bind(blind.clone())
        .fetch_optional(&mut tx)
        .await?;
        if twice.is_some() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!("this phone is on household {} already", p.household)));
        }
        let id: i64 = query(
            "INSERT INTO household_phones (household_code, phone_sealed, phone_index, relation, reason, added_at, \
             added_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(p.household.as_str())
        .bind(self.keys().seal(Field::Phone, p.household.as_str(), &p.phone))
        .bind(blind)
        .bind(p.relation.as_str())
        .bind(p.reason.as_str())
        .bind(p.at)
        .bind(p.by.as_str())
        .fetch_one(&mut tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(HouseholdPhoneRecord {
            id,
            household: p.household.clone(),
            phone: p.phone.clone(),
            relation: p.relation.clone(),
            reason: p.reason.clone(),
            added_at: p.at,
            added_by: p.by.clone(),
        })
    }

    async fn household_phones(
        &self,
        scope: &AreaPath,
        household: &AreaCode,
    ) -> Result<Vec<HouseholdPhoneRecord>> {
        let (lo, hi) = scope.subtree_range();
        let rows = query(
            "SELECT h.* FROM household_phones h JOIN areas a ON a.code = h.household_code \
             WHERE h.household_code = $1 AND h.removed_at IS NULL AND a.path >= $2 AND a.path < $3 ORDER BY h.id",
        )
        .bind(household.as_str())
        .bind(lo)
        .bind(hi)
        .fetch_all(self.db())
        .await?;
        rows.iter().map(|r| household_phone_of(self.keys(), r)).collect()
    }

    async fn remove_household_phone(
        &self,
        scope: &AreaPath,
        household: &AreaCode,
        id: i64,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Option<HouseholdPhoneRecord>> {
        let (lo, hi) = scope.subtree_range();
        let mut tx = self.db().begin().await?;
        let row = query(
            "UPDATE household_phones SET removed_at = $1, removed_by = $2 WHERE id = $3 AND household_code = $4 \
             AND removed_at IS NULL AND household_code IN (SELECT code FROM areas WHERE path >= $5 AND path < $6) \
             RETURNING *",
        )
        .bind(at)
        .bind(by)
        .bind(id)
        .bind(household.as_str())
        .bind(lo)
        .bind(hi)
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        // Whoever signed in with it sees the household no more.
        query("UPDATE resident_sessions SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(relative_principal(id))
            .execute(&mut tx)
            .await?;
        let record = household_phone_of(self.keys(), &row)?;
        tx.commit().await?;
        Ok(Some(record))
    }
}

fn household_phone_of(keys: &crate::Keyring, r: &DbRow) -> Result<HouseholdPhoneRecord> {
    let household: String = r.try_get("household_code")?;
    let sealed: Vec<u8> = r.try_get("phone_sealed")?;
    Ok(HouseholdPhoneRecord {
        id: r.try_get("id")?,
        phone: keys.open(Field::Phone, &household, &sealed)?,
        household: code_of(household)?,
        relation: r.try_get("relation")?,
        reason: r.try_get("reason")?,
        added_at: r.try_get("added_at")?,
        added_by: r.try_get("added_by")?,
    })
}
