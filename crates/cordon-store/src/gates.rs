//! Gates (卡口) in the store: checkpoints, passes, the log of every decision and the presence
//! it leaves (who was last let through where, which way).
//!
//! A decision is written in one transaction with what follows from it: a one-time pass marked
//! used (only if nobody used it first: a replay that races the first use still loses), the
//! presence of the person or pass, and the audit of the person read at the gate. As with
//! zones, the SQL is written once for both backends; only the hour bucket of the traffic counts
//! differs, and `db.rs` names it ([`Dialect`](crate::db::Dialect)).

use chrono::{DateTime, Utc};
use cordon_domain::gates::{Direction, Finding, Outcome, PassKind, RuleId, Standing, Subject};
use cordon_domain::{AreaCode, AreaPath, Tier};

use crate::{PersonRecord, Result, User};

#[derive(Debug, Clone)]
pub struct NewGate {
    pub area: AreaCode,
    pub name: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRecord {
    pub id: i64,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// What a gate needs to know of a person: who, where they live, and their standing.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSubject {
    pub person: PersonRecord,
    /// A case (阳性).
    pub positive: bool,
    /// 密接 or 次密接 under follow-up.
    pub contact: bool,
    /// In a positive pool, their single tube not read yet.
    pub held: bool,
    /// Where they went into a sealed zone to stay: the area of that gate.
    pub staying_in: Option<AreaPath>,
}

impl GateSubject {
    pub fn standing(&self) -> Standing {
        if self.positive {
            Standing::Positive
        } else if self.held {
            Standing::HeldForRetest
        } else if self.contact {
            Standing::Contact
        } else {
            Standing::Clear
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewPass {
    pub id: String,
    pub kind: PassKind,
    pub person_id: Option<String>,
    pub holder: String,
    pub area: AreaCode,
    pub gate_ids: Vec<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub one_time: bool,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassRecord {
    pub id: String,
    pub kind: PassKind,
    pub person_id: Option<String>,
    pub holder: String,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    pub gate_ids: Vec<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub one_time: bool,
    pub used_at: Option<DateTime<Utc>>,
    pub used_gate_id: Option<i64>,
    pub reason: String,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

/// One decision to keep.
#[derive(Debug, Clone)]
pub struct NewPassage {
    /// None: the gate named does not exist (or is not the cadre's); `path` is then the cadre's scope.
    pub gate_id: Option<i64>,
    pub path: AreaPath,
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub subject: Subject,
    pub person_id: Option<String>,
    pub pass_id: Option<String>,
    pub outcome: Outcome,
    pub rule: RuleId,
    pub gate_tier: Option<Tier>,
    pub home_tier: Option<Tier>,
    pub standing: Standing,
    pub lives_inside: bool,
    pub confirmed: bool,
    /// What the cadre typed (and, for someone nobody in the register is, what was typed masked).
    pub note: String,
    /// What the server found of the pass or the person, worded by the page.
    pub finding: Option<Finding>,
    /// The finding's particulars as stored data: a revoked pass's reason, the area another
    /// gate's pass was issued for.
    pub finding_detail: String,
    /// Decided on a gate device without the network and synced now (离线判定).
    pub offline: Option<OfflineStamp>,
}

/// What a passage decided offline carries besides the decision: the device's own id for it, kept
/// once however often it is sent, and what the server found on taking the decision again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineStamp {
    /// Made on the device when the cadre decided; unique over all gates.
    pub action: String,
    /// When the server received it (`at` is the device's clock).
    pub received_at: DateTime<Utc>,
    /// Where the server's decision differs from the device's, why (none: they agree).
    pub conflict: Option<String>,
}

impl NewPassage {
    /// Whom presence is kept for: the person, else the pass.
    pub fn subject_key(&self) -> Option<String> {
        match (&self.person_id, &self.pass_id) {
            (Some(p), _) => Some(format!("person:{p}")),
            (None, Some(p)) => Some(format!("pass:{p}")),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PassageRecord {
    pub id: i64,
    pub gate_id: Option<i64>,
    pub gate_name: Option<String>,
    pub path: AreaPath,
    pub at: DateTime<Utc>,
    pub direction: Direction,
    pub subject: Subject,
    pub person_id: Option<String>,
    /// The person's name and household path, when they are in the register.
    pub name: Option<String>,
    pub home: Option<AreaPath>,
    pub pass_id: Option<String>,
    pub outcome: Outcome,
    pub rule: RuleId,
    pub gate_tier: Option<Tier>,
    pub home_tier: Option<Tier>,
    pub standing: Standing,
    pub lives_inside: bool,
    pub confirmed: bool,
    pub note: String,
    pub finding: Option<Finding>,
    pub finding_detail: String,
    pub decided_by: String,
    /// When the server received a passage decided offline (none: decided by the server).
    pub received_at: Option<DateTime<Utc>>,
    /// Where the server's own decision differed from the device's offline one, why.
    pub conflict: Option<String>,
}

/// What `record_passage` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Kept(Box<PassageRecord>),
    /// An offline passage whose device id was kept before (a retry, a second tab): nothing was
    /// written; this is the one kept.
    Already(Box<PassageRecord>),
    /// The one-time pass to consume was used meanwhile: nothing was written; decide again.
    PassUsed,
}

#[derive(Debug, Clone, Default)]
pub struct PassageQuery {
    pub gate_id: Option<i64>,
    pub person_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only ids below this (paging back through the log).
    pub before_id: Option<i64>,
}

/// Decisions at one gate in one hour (the hour's start, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCount {
    pub gate_id: i64,
    pub hour: DateTime<Utc>,
    pub allowed_in: i64,
    pub allowed_out: i64,
    pub refused: i64,
}

/// Where a person or pass was last let through.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceRecord {
    pub passage_id: i64,
    pub person_id: Option<String>,
    pub name: Option<String>,
    /// The person's household path, when they are in the register.
    pub home: Option<AreaPath>,
    pub pass_id: Option<String>,
    pub pass_kind: Option<PassKind>,
    pub pass_holder: Option<String>,
    pub pass_until: Option<DateTime<Utc>>,
    pub pass_revoked: bool,
    pub gate_id: i64,
    pub gate_name: String,
    pub path: AreaPath,
    pub direction: Direction,
    pub lives_inside: bool,
    pub confirmed: bool,
    pub at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait Gates {
    /// A gate on an area; a second gate of the same name on the same area is a conflict.
    async fn create_gate(&self, gate: &NewGate) -> Result<GateRecord>;
    async fn gate(&self, id: i64) -> Result<Option<GateRecord>>;
    /// Gates on areas inside `scope`, by area then name.
    async fn gates(&self, scope: &AreaPath, limit: u32) -> Result<Vec<GateRecord>>;

    /// A person by register id or ID number, anywhere in the city (a gate decides on whoever
    /// comes; the caller audits the read), with their standing.
    async fn gate_subject(&self, key: &str) -> Result<Option<GateSubject>>;
    /// What a gate device keeps to decide without the network (离线判定): everyone living inside
    /// `scope` and everyone from elsewhere who went in to stay, with their standing, by register
    /// id. Each is audited as read by `reader` through `route`, in the same transaction.
    async fn gate_post(
        &self,
        scope: &AreaPath,
        reader: &User,
        route: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<GateSubject>>;
    /// The passes issued for one of these areas (a gate's own and those above it: the passes
    /// that may open it), still inside their window at `at`, revoked and used ones included.
    async fn passes_over(&self, lineage: &[AreaPath], at: DateTime<Utc>) -> Result<Vec<PassRecord>>;

    async fn issue_pass(&self, pass: &NewPass) -> Result<PassRecord>;
    async fn pass(&self, id: &str) -> Result<Option<PassRecord>>;
    /// Passes for areas inside `scope`, newest first.
    async fn passes(&self, scope: &AreaPath, limit: u32) -> Result<Vec<PassRecord>>;
    /// The passes issued to these people, still valid at `at` (not revoked, not used up), by
    /// the passes' person index: a household's, wherever they were issued.
    async fn live_passes_of(&self, people: &[String], at: DateTime<Utc>) -> Result<Vec<PassRecord>>;
    /// Revokes a pass not revoked yet; None if there is no such pass.
    async fn revoke_pass(
        &self,
        id: &str,
        at: DateTime<Utc>,
        by: &str,
        reason: &str,
    ) -> Result<Option<PassRecord>>;

    /// Keeps a decision with what follows from it, in one transaction: the one-time pass
    /// `consume` marked used (or nothing at all, if it was used first), the presence of an
    /// allowed passage, and the audit of the person read by `reader` through `route`.
    async fn record_passage(
        &self,
        passage: &NewPassage,
        consume: Option<&str>,
        reader: &User,
        route: &str,
    ) -> Result<Recorded>;
    /// The log inside `scope`, newest first.
    async fn passages(
        &self,
        scope: &AreaPath,
        query: &PassageQuery,
        limit: u32,
    ) -> Result<Vec<PassageRecord>>;
    /// Decisions per gate per hour inside `scope`, between two instants.
    async fn gate_traffic(
        &self,
        scope: &AreaPath,
        gate_id: Option<i64>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<HourCount>>;
    /// The last passage let through of everyone whose last one was at a gate inside `scope`,
    /// newest first.
    async fn presence(&self, scope: &AreaPath, limit: u32) -> Result<Vec<PresenceRecord>>;
}

pub(crate) use gate_sql::insert_pass;

mod gate_sql {
    use chrono::{DateTime, Utc};
    use cordon_domain::AreaPath;
    use cordon_domain::gates::{Direction, Finding, Outcome, PassKind, RuleId, Standing, Subject};

    use crate::db::{Backed, DbRow, Query, query};
    use crate::gates::*;
    use crate::rows::person_record;
    use crate::zones::tier_of;
    use crate::{Result, StoreError, User, code_of};

    /// Writes a pass inside `tx`: one issued by hand, or with the transfer order it opens the way for.
    pub(crate) async fn insert_pass(tx: &mut crate::db::Tx, pass: &NewPass) -> Result<PassRecord> {
        let path: String = query("SELECT path FROM areas WHERE code = $1")
            .bind(pass.area.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("area {}", pass.area)))?
            .try_get("path")?;
        let gates = pass.gate_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        query(
            "INSERT INTO gate_passes (id, kind, person_id, holder, area_code, path, gate_ids, \
             valid_from, valid_until, one_time, reason, issued_at, issued_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&pass.id)
        .bind(pass.kind.as_str())
        .bind(&pass.person_id)
        .bind(&pass.holder)
        .bind(pass.area.as_str())
        .bind(&path)
        .bind(&gates)
        .bind(pass.valid_from)
        .bind(pass.valid_until)
        .bind(pass.one_time)
        .bind(&pass.reason)
        .bind(pass.at)
        .bind(&pass.by)
        .execute(&mut *tx)
        .await?;
        let sql = format!("{PASS_SELECT} WHERE p.id = $1");
        pass_record(&Query::dynamic(sql).bind(&pass.id).fetch_one(&mut *tx).await?)
    }

    const GATE_SELECT: &str =
        "SELECT g.*, a.name AS area_name FROM gates g JOIN areas a ON a.code = g.area_code";
    const PASS_SELECT: &str =
        "SELECT p.*, a.name AS area_name FROM gate_passes p JOIN areas a ON a.code = p.area_code";
    /// A passage with its gate's name; the person's name and home are read after, by id
    /// ([`named`]). On a Citus cluster the log is spread by the gate's district and the
    /// register is not beside it: Citus would answer the join by copying one of the two whole.
    const PASSAGE_SELECT: &str =
        "SELECT x.*, g.name AS gate_name FROM gate_passages x LEFT JOIN gates g ON g.id = x.gate_id";

    /// `passages` with the name and home of the person each is about.
    async fn named(
        mut ex: crate::db::Ex<'_>,
        mut passages: Vec<PassageRecord>,
    ) -> Result<Vec<PassageRecord>> {
        let mut ids: Vec<&str> = passages.iter().filter_map(|p| p.person_id.as_deref()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut found = std::collections::HashMap::new();
        for chunk in ids.chunks(crate::ROWS_PER_STATEMENT) {
            let q = query("SELECT person_id, name, path FROM people WHERE person_id IN (")
                .push_list(chunk.iter().copied())
                .push(")");
            for r in q.fetch_all(ex.again()).await? {
                let id: String = r.try_get("person_id")?;
                found.insert(id, (r.try_get::<String, _>("name")?, r.try_get::<String, _>("path")?));
            }
        }
        for p in &mut passages {
            if let Some((name, path)) = p.person_id.as_ref().and_then(|id| found.get(id)) {
                p.name = Some(name.clone());
                p.home = Some(AreaPath::from_stored(path.clone()));
            }
        }
        Ok(passages)
    }

    /// One passage, named.
    async fn named_one(ex: crate::db::Ex<'_>, r: &DbRow) -> Result<PassageRecord> {
        let mut one = named(ex, vec![passage_record(r)?]).await?;
        Ok(one.pop().expect("one passage in, one out"))
    }

    const SUBJECT_SELECT: &str = "SELECT p.*, \
         EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.person_id \
                 AND (c.outcome IS NULL OR c.outcome NOT IN ('recovered', 'died'))) AS positive, \
         EXISTS (SELECT 1 FROM contacts k WHERE k.person_id = p.person_id \
                 AND k.status IN ('identified', 'quarantined', 'unreachable')) AS contact, \
         EXISTS (SELECT 1 FROM test_tasks t WHERE t.person_id = p.person_id \
                 AND t.kind = 'retest' AND t.done_at IS NULL) AS held, \
         (SELECT s.path FROM gate_presence s WHERE s.subject_key = 'person:' || p.person_id \
                 AND s.direction = 'in' AND s.confirmed AND NOT s.lives_inside) AS staying_in \
         FROM people p";

    fn subject_of(r: &DbRow, keys: &crate::Keyring) -> Result<GateSubject> {
        let staying: Option<String> = r.try_get("staying_in")?;
        Ok(GateSubject {
            person: person_record(r, keys)?,
            positive: r.try_get("positive")?,
            contact: r.try_get("contact")?,
            held: r.try_get("held")?,
            staying_in: staying.map(AreaPath::from_stored),
        })
    }

    fn invalid(what: &str, s: &str) -> StoreError {
        StoreError::Invalid(format!("stored {what} {s:?}"))
    }

    fn gate_record(r: &DbRow) -> Result<GateRecord> {
        Ok(GateRecord {
            id: r.try_get("id")?,
            area: code_of(r.try_get("area_code")?)?,
            area_name: r.try_get("area_name")?,
            path: AreaPath::from_stored(r.try_get("path")?),
            name: r.try_get("name")?,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
        })
    }

    fn kind_of(s: &str) -> Result<PassKind> {
        PassKind::parse(s).ok_or_else(|| invalid("pass kind", s))
    }

    fn pass_record(r: &DbRow) -> Result<PassRecord> {
        let kind: String = r.try_get("kind")?;
        let gates: String = r.try_get("gate_ids")?;
        Ok(PassRecord {
            id: r.try_get("id")?,
            kind: kind_of(&kind)?,
            person_id: r.try_get("person_id")?,
            holder: r.try_get("holder")?,
            area: code_of(r.try_get("area_code")?)?,
            area_name: r.try_get("area_name")?,
            path: AreaPath::from_stored(r.try_get("path")?),
            gate_ids: gates
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().map_err(|_| invalid("gate ids", &gates)))
                .collect::<Result<_>>()?,
            valid_from: r.try_get("valid_from")?,
            valid_until: r.try_get("valid_until")?,
            one_time: r.try_get("one_time")?,
            used_at: r.try_get("used_at")?,
            used_gate_id: r.try_get("used_gate_id")?,
            reason: r.try_get("reason")?,
            issued_at: r.try_get("issued_at")?,
            issued_by: r.try_get("issued_by")?,
            revoked_at: r.try_get("revoked_at")?,
            revoked_by: r.try_get("revoked_by")?,
            revoke_reason: r.try_get("revoke_reason")?,
        })
    }

    fn opt_tier(s: Option<String>) -> Result<Option<cordon_domain::Tier>> {
        s.as_deref().map(tier_of).transpose()
    }

    fn passage_record(r: &DbRow) -> Result<PassageRecord> {
        let direction: String = r.try_get("direction")?;
        let subject: String = r.try_get("subject")?;
        let outcome: String = r.try_get("outcome")?;
        let rule: String = r.try_get("rule")?;
        let standing: String = r.try_get("standing")?;
        Ok(PassageRecord {
            id: r.try_get("id")?,
            gate_id: r.try_get("gate_id")?,
            gate_name: r.try_get("gate_name")?,
            path: AreaPath::from_stored(r.try_get("path")?),
            at: r.try_get("at")?,
            direction: Direction::parse(&direction).ok_or_else(|| invalid("direction", &direction))?,
            subject: Subject::parse(&subject).ok_or_else(|| invalid("subject", &subject))?,
            person_id: r.try_get("person_id")?,
            name: None,
            home: None,
            pass_id: r.try_get("pass_id")?,
            outcome: Outcome::parse(&outcome).ok_or_else(|| invalid("outcome", &outcome))?,
            rule: RuleId::parse(&rule).ok_or_else(|| invalid("rule", &rule))?,
            gate_tier: opt_tier(r.try_get("gate_tier")?)?,
            home_tier: opt_tier(r.try_get("home_tier")?)?,
            standing: Standing::parse(&standing).ok_or_else(|| invalid("standing", &standing))?,
            lives_inside: r.try_get("lives_inside")?,
            confirmed: r.try_get("confirmed")?,
            note: r.try_get("note")?,
            finding: r
                .try_get::<Option<String>, _>("finding")?
                .map(|f| Finding::parse(&f).ok_or_else(|| invalid("finding", &f)))
                .transpose()?,
            finding_detail: r.try_get("finding_detail")?,
            decided_by: r.try_get("decided_by")?,
            received_at: r.try_get("received_at")?,
            conflict: r.try_get("conflict")?,
        })
    }

    #[async_trait::async_trait]
    impl<S: Backed> Gates for S {
        async fn create_gate(&self, gate: &NewGate) -> Result<GateRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let area = query("SELECT path, district_code FROM areas WHERE code = $1")
                .bind(gate.area.as_str())
                .fetch_optional(&mut tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("area {}", gate.area)))?;
            let path: String = area.try_get("path")?;
            let district: Option<String> = area.try_get("district_code")?;
            let inserted = query(
                "INSERT INTO gates (area_code, path, district_code, name, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(gate.area.as_str())
            .bind(&path)
            .bind(&district)
            .bind(&gate.name)
            .bind(gate.at)
            .bind(&gate.by)
            .fetch_one(&mut tx)
            .await;
            let id: i64 = match inserted {
                Ok(r) => r.try_get("id")?,
                Err(crate::StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict(format!(
                        "{} already has a gate named {:?}",
                        gate.area, gate.name
                    )));
                }
                Err(e) => return Err(e),
            };
            let sql = format!("{GATE_SELECT} WHERE g.id = $1");
            let r = gate_record(&Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?)?;
            tx.commit().await?;
            Ok(r)
        }

        async fn gate(&self, id: i64) -> Result<Option<GateRecord>> {
            let sql = format!("{GATE_SELECT} WHERE g.id = $1");
            Query::dynamic(sql)
                .bind(id)
                .fetch_optional(self.db())
                .await?
                .as_ref()
                .map(gate_record)
                .transpose()
        }

        async fn gates(&self, scope: &AreaPath, limit: u32) -> Result<Vec<GateRecord>> {
            let (lo, hi) = scope.subtree_range();
            let sql =
                format!("{GATE_SELECT} WHERE g.path >= $1 AND g.path < $2 ORDER BY g.path, g.name LIMIT $3");
            Query::dynamic(sql)
                .bind(lo)
                .bind(hi)
                .bind(i64::from(limit))
                .fetch_all(self.db())
                .await?
                .iter()
                .map(gate_record)
                .collect()
        }

        async fn gate_subject(&self, key: &str) -> Result<Option<GateSubject>> {
            // By register id first; an ID number otherwise.
            let sql = format!("{SUBJECT_SELECT} WHERE p.person_id = $1");
            let mut row = Query::dynamic(sql.clone()).bind(key).fetch_optional(self.db()).await?;
            if row.is_none() {
                // ID numbers are sealed: found by their blind index under each key.
                let by_number = sql.replace("p.person_id = $1", "p.id_index = $1");
                // Only a valid ID number can have been sealed: anything else is not looked up.
                let number = cordon_domain::IdNumber::parse(key).ok();
                let blinds = number.map(|n| self.keys().blinds(crate::Field::IdNumber, n.as_str()));
                for blind in blinds.into_iter().flatten() {
                    row = Query::dynamic(by_number.clone()).bind(blind).fetch_optional(self.db()).await?;
                    if row.is_some() {
                        break;
                    }
                }
            }
            row.map(|r| subject_of(&r, self.keys())).transpose()
        }

        async fn gate_post(
            &self,
            scope: &AreaPath,
            reader: &User,
            route: &str,
            at: DateTime<Utc>,
        ) -> Result<Vec<GateSubject>> {
            let (lo, hi) = scope.subtree_range();
            // Those who live inside, and those from elsewhere who went in to stay.
            let sql = format!(
                "{SUBJECT_SELECT} WHERE (p.path >= $1 AND p.path < $2) OR p.person_id IN \
                 (SELECT s.person_id FROM gate_presence s WHERE s.path >= $1 AND s.path < $2 \
                  AND s.direction = 'in' AND s.confirmed AND NOT s.lives_inside AND s.person_id IS NOT NULL) \
                 ORDER BY p.person_id"
            );
            let mut tx = self.db().begin().await?;
            let people = Query::dynamic(sql)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(&mut tx)
                .await?
                .iter()
                .map(|r| subject_of(r, self.keys()))
                .collect::<Result<Vec<_>>>()?;
            let reads: Vec<_> = people
                .iter()
                .map(|s| cordon_domain::AuditRead {
                    at,
                    user_id: reader.id,
                    username: &reader.username,
                    person_id: s.person.person_id.as_str(),
                    route,
                })
                .collect();
            crate::audit::append(&mut tx, &reads).await?;
            tx.commit().await?;
            Ok(people)
        }

        async fn passes_over(&self, lineage: &[AreaPath], at: DateTime<Utc>) -> Result<Vec<PassRecord>> {
            if lineage.is_empty() {
                return Ok(Vec::new());
            }
            Query::dynamic(format!("{PASS_SELECT} WHERE p.path IN ("))
                .push_list(lineage.iter().map(|p| p.as_str().to_owned()))
                .push(") AND p.valid_until > ")
                .push_bind(at)
                .push(" ORDER BY p.id")
                .fetch_all(self.db())
                .await?
                .iter()
                .map(pass_record)
                .collect()
        }

        async fn issue_pass(&self, pass: &NewPass) -> Result<PassRecord> {
            let mut tx = self.db().begin().await?;
            let r = insert_pass(&mut tx, pass).await?;
            tx.commit().await?;
            Ok(r)
        }

        async fn pass(&self, id: &str) -> Result<Option<PassRecord>> {
            let sql = format!("{PASS_SELECT} WHERE p.id = $1");
            Query::dynamic(sql)
                .bind(id)
                .fetch_optional(self.db())
                .await?
                .as_ref()
                .map(pass_record)
                .transpose()
        }

        async fn passes(&self, scope: &AreaPath, limit: u32) -> Result<Vec<PassRecord>> {
            let (lo, hi) = scope.subtree_range();
            let sql = format!(
                "{PASS_SELECT} WHERE p.path >= $1 AND p.path < $2 ORDER BY p.issued_at DESC, p.id LIMIT $3"
            );
            Query::dynamic(sql)
                .bind(lo)
                .bind(hi)
                .bind(i64::from(limit))
                .fetch_all(self.db())
                .await?
                .iter()
                .map(pass_record)
                .collect()
        }

        async fn live_passes_of(&self, people: &[String], at: DateTime<Utc>) -> Result<Vec<PassRecord>> {
            if people.is_empty() {
                return Ok(Vec::new());
            }
            Query::dynamic(format!("{PASS_SELECT} WHERE p.person_id IN ("))
                .push_list(people.iter().cloned())
                .push(") AND p.revoked_at IS NULL AND p.valid_until > ")
                .push_bind(at)
                .push(" AND NOT (p.one_time AND p.used_at IS NOT NULL) ORDER BY p.valid_until, p.id")
                .fetch_all(self.db())
                .await?
                .iter()
                .map(pass_record)
                .collect()
        }

        async fn revoke_pass(
            &self,
            id: &str,
            at: DateTime<Utc>,
            by: &str,
            reason: &str,
        ) -> Result<Option<PassRecord>> {
            query(
                "UPDATE gate_passes SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
                 WHERE id = $4 AND revoked_at IS NULL",
            )
            .bind(at)
            .bind(by)
            .bind(reason)
            .bind(id)
            .execute(self.db())
            .await?;
            self.pass(id).await
        }

        async fn record_passage(
            &self,
            p: &NewPassage,
            consume: Option<&str>,
            reader: &User,
            route: &str,
        ) -> Result<Recorded> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            // The district the passage is kept under: the gate's, else that of the area it was
            // decided in; an area above every district (the city) stands for itself. Never
            // empty, as a Citus cluster spreads the log by it.
            let district: String = match p.gate_id {
                Some(g) => {
                    query("SELECT COALESCE(district_code, area_code) AS d FROM gates WHERE id = $1").bind(g)
                }
                None => query("SELECT COALESCE(district_code, code) AS d FROM areas WHERE path = $1")
                    .bind(p.path.as_str()),
            }
            .fetch_optional(&mut tx)
            .await?
            .map(|r| r.try_get("d"))
            .transpose()?
            .unwrap_or_default();
            let by_action = format!("{PASSAGE_SELECT} WHERE x.district_code = $1 AND x.device_action = $2");
            if let Some(o) = &p.offline
                && let Some(r) = Query::dynamic(by_action.clone())
                    .bind(&district)
                    .bind(&o.action)
                    .fetch_optional(&mut tx)
                    .await?
            {
                return Ok(Recorded::Already(Box::new(named_one((&mut tx).into(), &r).await?)));
            }
            if let Some(pass) = consume {
                let used = query(
                    "UPDATE gate_passes SET used_at = $1, used_gate_id = $2 \
                     WHERE id = $3 AND used_at IS NULL",
                )
                .bind(p.at)
                .bind(p.gate_id)
                .bind(pass)
                .execute(&mut tx)
                .await?;
                if used.rows_affected() == 0 {
                    return Ok(Recorded::PassUsed);
                }
            }
            let key = p.subject_key();
            let id = query(
                "INSERT INTO gate_passages (gate_id, path, district_code, at, direction, subject, \
                 subject_key, person_id, pass_id, outcome, rule, gate_tier, home_tier, standing, \
                 lives_inside, confirmed, note, decided_by, device_action, received_at, conflict, \
                 finding, finding_detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                 $19, $20, $21, $22, $23) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(p.gate_id)
            .bind(p.path.as_str())
            .bind(&district)
            .bind(p.at)
            .bind(p.direction.as_str())
            .bind(p.subject.as_str())
            .bind(&key)
            .bind(&p.person_id)
            .bind(&p.pass_id)
            .bind(p.outcome.as_str())
            .bind(p.rule.as_str())
            .bind(p.gate_tier.map(|t| t.as_str()))
            .bind(p.home_tier.map(|t| t.as_str()))
            .bind(p.standing.as_str())
            .bind(p.lives_inside)
            .bind(p.confirmed)
            .bind(&p.note)
            .bind(&reader.username)
            .bind(p.offline.as_ref().map(|o| o.action.as_str()))
            .bind(p.offline.as_ref().map(|o| o.received_at))
            .bind(p.offline.as_ref().and_then(|o| o.conflict.as_deref()))
            .bind(p.finding.map(Finding::as_str))
            .bind(&p.finding_detail)
            .fetch_optional(&mut tx)
            .await?;
            let id: i64 = match (id, &p.offline) {
                (Some(r), _) => r.try_get("id")?,
                // Two tabs sent the same action at once, and the other one's insert won: keep
                // nothing of this one (not the pass it consumed), and say which was kept.
                (None, Some(o)) => {
                    drop(tx);
                    let r = Query::dynamic(by_action).bind(&district).bind(&o.action).fetch_one(pool).await?;
                    return Ok(Recorded::Already(Box::new(named_one(pool.into(), &r).await?)));
                }
                (None, None) => return Err(StoreError::Invalid("a passage was not kept".into())),
            };
            if let (Outcome::Allowed, Some(key), Some(gate)) = (p.outcome, &key, p.gate_id) {
                query(
                    "INSERT INTO gate_presence (subject_key, passage_id, person_id, pass_id, gate_id, \
                     path, direction, lives_inside, confirmed, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (subject_key) DO UPDATE SET passage_id = excluded.passage_id, \
                     person_id = excluded.person_id, pass_id = excluded.pass_id, \
                     gate_id = excluded.gate_id, path = excluded.path, direction = excluded.direction, \
                     lives_inside = excluded.lives_inside, confirmed = excluded.confirmed, at = excluded.at",
                )
                .bind(key)
                .bind(id)
                .bind(&p.person_id)
                .bind(&p.pass_id)
                .bind(gate)
                .bind(p.path.as_str())
                .bind(p.direction.as_str())
                .bind(p.lives_inside)
                .bind(p.confirmed)
                .bind(p.at)
                .execute(&mut tx)
                .await?;
            }
            if let Some(person) = &p.person_id {
                let read = cordon_domain::AuditRead {
                    at: p.at,
                    user_id: reader.id,
                    username: &reader.username,
                    person_id: person,
                    route,
                };
                crate::audit::append(&mut tx, &[read]).await?;
            }
            let sql = format!("{PASSAGE_SELECT} WHERE x.district_code = $1 AND x.id = $2");
            let r = Query::dynamic(sql).bind(&district).bind(id).fetch_one(&mut tx).await?;
            let r = named_one((&mut tx).into(), &r).await?;
            tx.commit().await?;
            Ok(Recorded::Kept(Box::new(r)))
        }

        async fn passages(
            &self,
            scope: &AreaPath,
            q: &PassageQuery,
            limit: u32,
        ) -> Result<Vec<PassageRecord>> {
            let (lo, hi) = scope.subtree_range();
            let sql = format!(
                "{PASSAGE_SELECT} WHERE x.path >= $1 AND x.path < $2 \
                 AND ($3 IS NULL OR x.gate_id = $3) AND ($4 IS NULL OR x.person_id = $4) \
                 AND ($5 IS NULL OR x.at >= $5) AND ($6 IS NULL OR x.at < $6) \
                 AND ($7 IS NULL OR x.id < $7) \
                 ORDER BY x.id DESC LIMIT $8"
            );
            let passages = Query::dynamic(sql)
                .bind(lo)
                .bind(hi)
                .bind(q.gate_id)
                .bind(&q.person_id)
                .bind(q.since)
                .bind(q.until)
                .bind(q.before_id)
                .bind(i64::from(limit))
                .fetch_all(self.db())
                .await?
                .iter()
                .map(passage_record)
                .collect::<Result<Vec<_>>>()?;
            named(self.db().into(), passages).await
        }

        async fn gate_traffic(
            &self,
            scope: &AreaPath,
            gate_id: Option<i64>,
            since: DateTime<Utc>,
            until: DateTime<Utc>,
        ) -> Result<Vec<HourCount>> {
            let (lo, hi) = scope.subtree_range();
            let sql = format!(
                "SELECT gate_id, {hour} AS hour, \
                 SUM(CASE WHEN outcome = 'allowed' AND direction = 'in' THEN 1 ELSE 0 END) AS allowed_in, \
                 SUM(CASE WHEN outcome = 'allowed' AND direction = 'out' THEN 1 ELSE 0 END) AS allowed_out, \
                 SUM(CASE WHEN outcome = 'refused' THEN 1 ELSE 0 END) AS refused \
                 FROM gate_passages WHERE path >= $1 AND path < $2 AND gate_id IS NOT NULL \
                 AND ($3 IS NULL OR gate_id = $3) AND at >= $4 AND at < $5 \
                 GROUP BY gate_id, {hour} ORDER BY gate_id, hour",
                hour = self.db().dialect().hour_of_at
            );
            let rows = Query::dynamic(sql)
                .bind(lo)
                .bind(hi)
                .bind(gate_id)
                .bind(since)
                .bind(until)
                .fetch_all(self.db())
                .await?;
            rows.iter()
                .map(|r| {
                    let hour: String = r.try_get("hour")?;
                    let hour = DateTime::parse_from_rfc3339(&format!("{hour}:00:00Z"))
                        .map_err(|_| invalid("hour", &hour))?
                        .with_timezone(&Utc);
                    let n = |c: &str| -> Result<i64> { Ok(r.try_get::<Option<i64>, _>(c)?.unwrap_or(0)) };
                    Ok(HourCount {
                        gate_id: r.try_get("gate_id")?,
                        hour,
                        allowed_in: n("allowed_in")?,
                        allowed_out: n("allowed_out")?,
                        refused: n("refused")?,
                    })
                })
                .collect()
        }

        async fn presence(&self, scope: &AreaPath, limit: u32) -> Result<Vec<PresenceRecord>> {
            let (lo, hi) = scope.subtree_range();
            let rows = query(
                "SELECT s.*, g.name AS gate_name, pe.name AS person_name, pe.path AS home, \
                 ps.kind AS pass_kind, ps.holder AS pass_holder, ps.valid_until AS pass_until, \
                 ps.revoked_at AS pass_revoked_at \
                 FROM gate_presence s JOIN gates g ON g.id = s.gate_id \
                 LEFT JOIN people pe ON pe.person_id = s.person_id \
                 LEFT JOIN gate_passes ps ON ps.id = s.pass_id \
                 WHERE s.path >= $1 AND s.path < $2 ORDER BY s.at DESC LIMIT $3",
            )
            .bind(lo)
            .bind(hi)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?;
            rows.iter()
                .map(|r| {
                    let direction: String = r.try_get("direction")?;
                    let kind: Option<String> = r.try_get("pass_kind")?;
                    let home: Option<String> = r.try_get("home")?;
                    let revoked: Option<DateTime<Utc>> = r.try_get("pass_revoked_at")?;
                    Ok(PresenceRecord {
                        passage_id: r.try_get("passage_id")?,
                        person_id: r.try_get("person_id")?,
                        name: r.try_get("person_name")?,
                        home: home.map(AreaPath::from_stored),
                        pass_id: r.try_get("pass_id")?,
                        pass_kind: kind.as_deref().map(kind_of).transpose()?,
                        pass_holder: r.try_get("pass_holder")?,
                        pass_until: r.try_get("pass_until")?,
                        pass_revoked: revoked.is_some(),
                        gate_id: r.try_get("gate_id")?,
                        gate_name: r.try_get("gate_name")?,
                        path: AreaPath::from_stored(r.try_get("path")?),
                        direction: Direction::parse(&direction)
                            .ok_or_else(|| invalid("direction", &direction))?,
                        lives_inside: r.try_get("lives_inside")?,
                        confirmed: r.try_get("confirmed")?,
                        at: r.try_get("at")?,
                    })
                })
                .collect()
        }
    }
}
