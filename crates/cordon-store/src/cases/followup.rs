//! 医学观察: what following contacts to the end of their plans reads and writes — the samples
//! each contact gave, their daily health checks, the contacts whose plan has ended, the test
//! days missed, and the release. The plan's rules are the domain's (`followup`): the store finds
//! the rows on indexes and writes what the server decided, each release still conditional on the
//! contact being under follow-up when it lands (a contact opened as a case meanwhile stays a case).

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::followup::{HealthCheck, PlanSample, Symptom};
use cordon_domain::testing::TubeResult;
use cordon_domain::{AreaPath, ContactKind};

use crate::cases::records::parse_col;
use crate::db::{Backed, Db, DbRow, Query, query};
use crate::{ROWS_PER_STATEMENT, Result, StoreError};

/// What the plan of a contact under follow-up is made from, and nothing else: no name, venue
/// or place, which a release at a million contacts would read for nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanContact {
    pub id: i64,
    pub person_id: String,
    /// The profile of the contact's case: what the plan comes from.
    pub case_profile_key: String,
    pub kind: ContactKind,
    pub quarantine_from: NaiveDate,
    pub plan_ends: Option<NaiveDate>,
}

/// A contact under follow-up with what the rule decides on: every sample the person gave, with
/// its tube's result, and their latest health check up to the moment asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRead {
    pub contact: PlanContact,
    pub samples: Vec<PlanSample>,
    pub last_check: Option<HealthCheck>,
}

/// A stretch of the contacts due, in the order of (plan end, id): those after `after` (none:
/// from the first) through `through` (none: through the last whose plan ended by the day
/// asked about). The stretches [`FollowUps::due_stretches`] cuts are read side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DueRange {
    pub after: Option<(NaiveDate, i64)>,
    pub through: Option<(NaiveDate, i64)>,
}

/// 应检未检: a test day missed, as the window in which a sample still makes it up — from the
/// start of the test day to the start of the next (none: it was the plan's last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missed {
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// One test day for the contacts of one plan who began it on one day: a contact of
/// `profile_key`'s `kind` whose quarantine began on `quarantine_from` and who gave no usable
/// sample in the window missed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestWindow {
    pub profile_key: String,
    pub kind: ContactKind,
    pub quarantine_from: NaiveDate,
    pub window: Missed,
}

/// A sample a person gave, as a plan reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSample {
    pub person_id: String,
    pub sample: PlanSample,
}

/// One daily health check as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    pub id: i64,
    pub contact_id: i64,
    pub check: HealthCheck,
    pub recorded_by: String,
}

/// The follow-up's figures for an area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowUpCounts {
    /// Identified or quarantined: under management.
    pub managed: i64,
    /// Under management with a test day passed without a sample.
    pub overdue: i64,
    pub released_in_window: i64,
}

/// The cases of an area recorded by a moment, and of them recovered and died by then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseTotals {
    pub cases: i64,
    pub recovered: i64,
    pub died: i64,
}

#[async_trait::async_trait]
pub trait FollowUps: Send + Sync {
    /// The samples of these people, oldest first, with their tubes' results.
    async fn samples_of(&self, person_ids: &[String]) -> Result<Vec<PersonSample>>;
    /// Records a health check of a contact; `action`, the id a phone made for a check it took
    /// offline, is kept once (a second write under it fails on the unique index:
    /// [`FollowUps::check_by_action`] finds the first, which a caller asks before writing).
    async fn add_check(
        &self,
        contact_id: i64,
        check: &HealthCheck,
        by: &str,
        action: Option<&str>,
    ) -> Result<CheckRecord>;
    /// The check a phone sent under `action`, if it was kept.
    async fn check_by_action(&self, action: &str) -> Result<Option<CheckRecord>>;
    /// The health checks of these contacts, oldest first.
    async fn checks(&self, contact_ids: &[i64]) -> Result<Vec<CheckRecord>>;
    /// Contacts under follow-up (identified or quarantined) whose plan's end is not recorded
    /// (traced before it was kept, or no plan under their case's profile), ids above `after`.
    async fn unplanned_contacts(&self, after: i64, limit: u32) -> Result<Vec<PlanContact>>;
    /// The contacts under follow-up whose plan ended by `today`, cut into consecutive stretches
    /// of `size` (the last one shorter, maybe empty), to be read apart and side by side.
    async fn due_stretches(&self, today: NaiveDate, size: u32) -> Result<Vec<DueRange>>;
    /// Contacts under follow-up whose plan ended by `today`, within `range`, by (end, id), each
    /// with their samples and their latest check up to `now`: one row a contact.
    async fn due_plans(&self, today: NaiveDate, now: DateTime<Utc>, range: DueRange)
    -> Result<Vec<PlanRead>>;
    /// Contacts under follow-up marked overdue who since gave a sample in the missed day's
    /// window, ids above `after`, each with their samples and latest check up to `now`: whom
    /// the task looks at again.
    async fn made_up_plans(&self, now: DateTime<Utc>, after: i64, limit: u32) -> Result<Vec<PlanRead>>;
    /// The day the earliest quarantine still followed began.
    async fn earliest_followed(&self) -> Result<Option<NaiveDate>>;
    /// Marks each contact of the window not marked yet who gave no usable sample in it as
    /// having missed it; returns how many.
    async fn mark_overdue(&self, window: &TestWindow) -> Result<u64>;
    /// Sets (or clears) each contact's first missed test day.
    async fn set_overdue(&self, marks: &[(i64, Option<Missed>)]) -> Result<()>;
    /// Records the end of each contact's plan where it was not.
    async fn set_plan_ends(&self, ends: &[(i64, NaiveDate)]) -> Result<()>;
    /// Releases those of `ids` still under follow-up, at `at`; returns how many were.
    async fn release_contacts(&self, ids: &[i64], at: DateTime<Utc>, by: &str) -> Result<u64>;
    /// Contacts living in `scope` under management now, and released in `[from, to)`.
    async fn followup_counts(
        &self,
        scope: &AreaPath,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<FollowUpCounts>;
    /// The cases living in `scope` opened by `at`, and those recovered or dead by then.
    async fn case_totals(&self, scope: &AreaPath, at: DateTime<Utc>) -> Result<CaseTotals>;
    /// Contacts whose row in `followups` disagrees with their status — followed without one,
    /// or one without being followed. None, always: the tests check it after every change of
    /// a contact's status (a full scan; not for a request's path).
    async fn followups_out_of_step(&self) -> Result<i64>;
}

/// What a plan is made of ([`PlanContact`]), with the joins it needs: a contact under
/// follow-up is one with a row in `followups` (migration 0037/0038 says why).
const PLAN_COLUMNS: &str = "t.id AS id, t.person_id, t.kind, t.quarantine_from, f.plan_ends AS plan_ends, \
     k.profile_key AS case_profile_key";
const PLAN_FROM: &str =
    "FROM followups f JOIN contacts t ON t.id = f.contact_id JOIN cases k ON k.id = t.case_id";

/// A tube that counts for a test day: its result readable or not in yet.
const READABLE: &str = "(u.result IS NULL OR u.result <> 'invalid')";

/// [`PLAN_COLUMNS`] with the contact's latest check up to `$1` (the moment the plan is read at)
/// and every sample the person gave — as three arrays where the backend has them
/// (`Dialect::arrays`: a quarter less of the database's time than a JSON text, and nothing to
/// parse here), else as one JSON text: a page of plans is one statement of one row a contact,
/// whatever the samples.
fn plan_check_select(db: &Db) -> String {
    let of_person = "FROM samples s JOIN tubes u ON u.tube_id = s.tube_id WHERE s.person_id = t.person_id";
    let (samples, lateral) = if db.dialect().arrays {
        (
            "x.sample_at, x.sample_result, x.sample_reported".to_owned(),
            format!(
                "LEFT JOIN LATERAL (SELECT array_agg(u.collected_at) AS sample_at, \
                 array_agg(u.result) AS sample_result, array_agg(u.reported_at) AS sample_reported \
                 {of_person}) x ON true"
            ),
        )
    } else {
        let json = db.dialect().json_group.replace("{}", "u.collected_at, u.result, u.reported_at");
        (format!("(SELECT {json} {of_person}) AS samples"), String::new())
    };
    format!(
        "SELECT {PLAN_COLUMNS}, c.at AS check_at, c.temperature, c.symptoms, {samples} \
         {PLAN_FROM} {lateral} LEFT JOIN contact_checks c ON c.id = (SELECT c2.id FROM contact_checks c2 \
             WHERE c2.contact_id = t.id AND c2.at <= $1 ORDER BY c2.at DESC, c2.id DESC LIMIT 1)"
    )
}

fn plan_contact(r: &DbRow) -> Result<PlanContact> {
    Ok(PlanContact {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        case_profile_key: r.try_get("case_profile_key")?,
        kind: parse_col("contact kind", r.try_get("kind")?, ContactKind::parse)?,
        quarantine_from: r.try_get("quarantine_from")?,
        plan_ends: r.try_get("plan_ends")?,
    })
}

fn symptoms_of(stored: &str) -> Result<Vec<Symptom>> {
    stored.split(',').filter(|s| !s.is_empty()).map(|s| parse_col("symptom", s, Symptom::parse)).collect()
}

/// A sample from its cells as read, however read: when taken, the result, when reported.
fn plan_sample(
    collected_at: DateTime<Utc>,
    result: Option<&str>,
    reported_at: Option<DateTime<Utc>>,
) -> Result<PlanSample> {
    Ok(PlanSample {
        collected_at,
        result: result.map(|s| parse_col("tube result", s, TubeResult::parse)).transpose()?,
        reported_at,
    })
}

/// The samples [`plan_check_select`] aggregates, read from its JSON text. The cells are borrowed
/// and the times parsed as RFC 3339 (both backends write them so): a night's release reads
/// about a million, and the general parser behind `DateTime`'s `Deserialize` took a quarter of
/// its time in this process.
fn samples_of_json(json: &str) -> Result<Vec<PlanSample>> {
    let invalid =
        |e: &dyn std::fmt::Display| StoreError::Invalid(format!("stored samples of a contact: {e}"));
    let time =
        |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| invalid(&e));
    let cells: Vec<(&str, Option<&str>, Option<&str>)> =
        serde_json::from_str(json).map_err(|e| invalid(&e))?;
    cells
        .into_iter()
        .map(|(collected_at, result, reported_at)| {
            plan_sample(time(collected_at)?, result, reported_at.map(time).transpose()?)
        })
        .collect()
}

/// The samples [`plan_check_select`] aggregates as arrays, one a column, in the same order.
fn samples_of_arrays(r: &DbRow) -> Result<Vec<PlanSample>> {
    let at: Vec<DateTime<Utc>> = r.try_get_array("sample_at")?.unwrap_or_default();
    let result: Vec<Option<String>> = r.try_get_array("sample_result")?.unwrap_or_default();
    let reported: Vec<Option<DateTime<Utc>>> = r.try_get_array("sample_reported")?.unwrap_or_default();
    if result.len() != at.len() || reported.len() != at.len() {
        return Err(StoreError::Invalid("stored samples of a contact: arrays of different lengths".into()));
    }
    at.into_iter()
        .zip(result)
        .zip(reported)
        .map(|((at, result), reported)| plan_sample(at, result.as_deref(), reported))
        .collect()
}

/// A row of [`plan_check_select`] (`arrays`: as the backend's dialect reads it).
fn plan_read(r: &DbRow, arrays: bool) -> Result<PlanRead> {
    let at: Option<DateTime<Utc>> = r.try_get("check_at")?;
    let last_check = match at {
        Some(at) => Some(HealthCheck {
            at,
            temperature: r.try_get("temperature")?,
            symptoms: symptoms_of(&r.try_get::<String, _>("symptoms")?)?,
        }),
        None => None,
    };
    let samples = if arrays {
        samples_of_arrays(r)?
    } else {
        let json: Option<&str> = r.try_get("samples")?;
        samples_of_json(json.unwrap_or("[]"))?
    };
    Ok(PlanRead { contact: plan_contact(r)?, samples, last_check })
}

fn check_record(r: &DbRow) -> Result<CheckRecord> {
    let symptoms = symptoms_of(&r.try_get::<String, _>("symptoms")?)?;
    Ok(CheckRecord {
        id: r.try_get("id")?,
        contact_id: r.try_get("contact_id")?,
        check: HealthCheck { at: r.try_get("at")?, temperature: r.try_get("temperature")?, symptoms },
        recorded_by: r.try_get("recorded_by")?,
    })
}

#[async_trait::async_trait]
impl<S: Backed> FollowUps for S {
    async fn samples_of(&self, person_ids: &[String]) -> Result<Vec<PersonSample>> {
        let mut out = Vec::new();
        for chunk in person_ids.chunks(ROWS_PER_STATEMENT) {
            let q = Query::dynamic(
                "SELECT s.person_id, t.collected_at, t.result, t.reported_at FROM samples s \
                 JOIN tubes t ON t.tube_id = s.tube_id WHERE s.person_id IN (",
            )
            .push_list(chunk.iter().map(String::as_str))
            .push(")");
            for r in q.fetch_all(self.db()).await? {
                let sample =
                    plan_sample(r.try_get("collected_at")?, r.try_get("result")?, r.try_get("reported_at")?)?;
                out.push(PersonSample { person_id: r.try_get("person_id")?, sample });
            }
        }
        out.sort_by_key(|s| s.sample.collected_at);
        Ok(out)
    }

    async fn add_check(
        &self,
        contact_id: i64,
        check: &HealthCheck,
        by: &str,
        action: Option<&str>,
    ) -> Result<CheckRecord> {
        let symptoms: Vec<&str> = check.symptoms.iter().map(|s| s.as_str()).collect();
        let row = query(
            "INSERT INTO contact_checks (contact_id, at, temperature, symptoms, unwell, recorded_by, device_action) \
             SELECT id, $2, $3, $4, $5, $6, $7 FROM contacts WHERE id = $1 RETURNING *",
        )
        .bind(contact_id)
        .bind(check.at)
        .bind(check.temperature)
        .bind(symptoms.join(","))
        .bind(check.is_unwell())
        .bind(by)
        .bind(action)
        .fetch_optional(self.db())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("contact {contact_id}")))?;
        check_record(&row)
    }

    async fn check_by_action(&self, action: &str) -> Result<Option<CheckRecord>> {
        query("SELECT * FROM contact_checks WHERE device_action = $1")
            .bind(action)
            .fetch_optional(self.db())
            .await?
            .as_ref()
            .map(check_record)
            .transpose()
    }

    async fn checks(&self, contact_ids: &[i64]) -> Result<Vec<CheckRecord>> {
        let mut out = Vec::new();
        for chunk in contact_ids.chunks(ROWS_PER_STATEMENT) {
            let q = Query::dynamic("SELECT * FROM contact_checks WHERE contact_id IN (")
                .push_list(chunk.iter().copied())
                .push(")");
            for r in q.fetch_all(self.db()).await? {
                out.push(check_record(&r)?);
            }
        }
        out.sort_by_key(|c| (c.check.at, c.id));
        Ok(out)
    }

    async fn unplanned_contacts(&self, after: i64, limit: u32) -> Result<Vec<PlanContact>> {
        let sql = format!(
            "SELECT {PLAN_COLUMNS} {PLAN_FROM} WHERE f.plan_ends IS NULL AND f.contact_id > $1 \
             ORDER BY f.contact_id LIMIT $2"
        );
        let rows = Query::dynamic(sql).bind(after).bind(i64::from(limit)).fetch_all(self.db()).await?;
        rows.iter().map(plan_contact).collect()
    }

    async fn due_stretches(&self, today: NaiveDate, size: u32) -> Result<Vec<DueRange>> {
        // Every size-th key, counted on the index alone: the ends of the stretches.
        let sql = "SELECT plan_ends, contact_id AS id FROM (SELECT plan_ends, contact_id, \
                 row_number() OVER (ORDER BY plan_ends, contact_id) AS n \
                 FROM followups WHERE plan_ends <= $1) AS due \
             WHERE n % $2 = 0 ORDER BY plan_ends, contact_id";
        let rows = Query::dynamic(sql).bind(today).bind(i64::from(size.max(1))).fetch_all(self.db()).await?;
        let mut after = None;
        let mut out = Vec::with_capacity(rows.len() + 1);
        for r in &rows {
            let end = Some((r.try_get("plan_ends")?, r.try_get("id")?));
            out.push(DueRange { after, through: end });
            after = end;
        }
        out.push(DueRange { after, through: None });
        Ok(out)
    }

    async fn due_plans(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        range: DueRange,
    ) -> Result<Vec<PlanRead>> {
        // Three ranges of the index, each an exact seek bounded at both ends: the rest of the
        // first day after its id (through the last id when the stretch ends on the same day),
        // the days between, the first of the last day through its id (none when it is the first
        // day). A bound left open, or one given as `(plan_ends < $4 OR id <= $5)`, walked every
        // entry of the day after the stretch's start: a night whose contacts all end on one day
        // read its index twenty times over. (A row comparison `(plan_ends, id) > (…)` is not a
        // seek on SQLite either: it walks the day's entries from its first.)
        // Before any plan; `NaiveDate::MIN` is outside PostgreSQL's dates.
        let first = NaiveDate::from_ymd_opt(1, 1, 1).expect("a date");
        let (from, after) = range.after.unwrap_or((first, i64::MIN));
        let (to, through) = range.through.unwrap_or((today, i64::MAX));
        let (first_through, last_after) = if from == to { (through, i64::MAX) } else { (i64::MAX, i64::MIN) };
        let select = plan_check_select(self.db());
        let sql = format!(
            "{select} WHERE f.plan_ends = $2 AND f.contact_id > $3 AND f.contact_id <= $6 \
             UNION ALL {select} WHERE f.plan_ends > $2 AND f.plan_ends < $4 \
             UNION ALL {select} WHERE f.plan_ends = $4 AND f.contact_id > $7 AND f.contact_id <= $5 \
             ORDER BY plan_ends, id"
        );
        let q = Query::dynamic(sql)
            .bind(now)
            .bind(from)
            .bind(after)
            .bind(to)
            .bind(through)
            .bind(first_through)
            .bind(last_after);
        // Two pages are read side by side already: each on one process, not split further
        // (a transaction only where there is something to set: SQLite's would take the lock).
        let serial = self.db().dialect().serial_read;
        let rows = if serial.is_empty() {
            q.fetch_all(self.db()).await?
        } else {
            let mut tx = self.db().begin().await?;
            Query::dynamic(serial).execute(&mut tx).await?;
            let rows = q.fetch_all(&mut tx).await?;
            tx.commit().await?;
            rows
        };
        let arrays = self.db().dialect().arrays;
        rows.iter().map(|r| plan_read(r, arrays)).collect()
    }

    async fn made_up_plans(&self, now: DateTime<Utc>, after: i64, limit: u32) -> Result<Vec<PlanRead>> {
        let sql = format!(
            "{} WHERE f.overdue_since IS NOT NULL AND f.contact_id > $2 \
             AND EXISTS (SELECT 1 FROM samples s JOIN tubes u ON u.tube_id = s.tube_id \
                 WHERE s.person_id = t.person_id AND u.collected_at >= f.overdue_since \
                 AND (f.overdue_until IS NULL OR u.collected_at < f.overdue_until) \
                 AND {READABLE}) ORDER BY f.contact_id LIMIT $3",
            plan_check_select(self.db())
        );
        let rows =
            Query::dynamic(sql).bind(now).bind(after).bind(i64::from(limit)).fetch_all(self.db()).await?;
        let arrays = self.db().dialect().arrays;
        rows.iter().map(|r| plan_read(r, arrays)).collect()
    }

    async fn earliest_followed(&self) -> Result<Option<NaiveDate>> {
        let sql = "SELECT min(t.quarantine_from) FROM followups f JOIN contacts t ON t.id = f.contact_id";
        Query::dynamic(sql).scalar_one(self.db()).await
    }

    async fn mark_overdue(&self, w: &TestWindow) -> Result<u64> {
        let sql = format!(
            "UPDATE followups SET overdue_since = $4, overdue_until = $5 WHERE contact_id IN (SELECT t.id {PLAN_FROM} \
             WHERE t.quarantine_from = $1 AND t.kind = $2 AND k.profile_key = $3 \
             AND f.overdue_since IS NULL \
             AND NOT EXISTS (SELECT 1 FROM samples s JOIN tubes u ON u.tube_id = s.tube_id \
                 WHERE s.person_id = t.person_id AND u.collected_at >= $4 \
                 AND ($5 IS NULL OR u.collected_at < $5) \
                 AND {READABLE}))"
        );
        let done = Query::dynamic(sql)
            .bind(w.quarantine_from)
            .bind(w.kind.as_str())
            .bind(w.profile_key.as_str())
            .bind(w.window.from)
            .bind(w.window.until)
            .execute(self.db())
            .await?;
        Ok(done.rows_affected())
    }

    async fn set_overdue(&self, marks: &[(i64, Option<Missed>)]) -> Result<()> {
        let mut tx = self.db().begin().await?;
        for (id, missed) in marks {
            query("UPDATE followups SET overdue_since = $1, overdue_until = $2 WHERE contact_id = $3")
                .bind(missed.map(|m| m.from))
                .bind(missed.and_then(|m| m.until))
                .bind(*id)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_plan_ends(&self, ends: &[(i64, NaiveDate)]) -> Result<()> {
        let mut tx = self.db().begin().await?;
        for (id, day) in ends {
            query("UPDATE followups SET plan_ends = $1 WHERE contact_id = $2 AND plan_ends IS NULL")
                .bind(*day)
                .bind(*id)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn release_contacts(&self, ids: &[i64], at: DateTime<Utc>, by: &str) -> Result<u64> {
        let mut tx = self.db().begin().await?;
        // The ids go as one JSON array per statement: one UPDATE for a night's releases, not one
        // per contact. The follow-up ends with the status, in the same transaction.
        let ids_of = format!("SELECT CAST(value ->> 0 AS BIGINT) FROM {}", tx.dialect().json_rows);
        let sql = format!(
            "UPDATE contacts SET status = 'released', released_at = $2, updated_at = $2, updated_by = $3 \
             WHERE id IN ({ids_of}) AND status IN ('identified', 'quarantined')"
        );
        let unfollow = format!("DELETE FROM followups WHERE contact_id IN ({ids_of})");
        let mut released = 0;
        for chunk in ids.chunks(50_000) {
            let rows: Vec<[i64; 1]> = chunk.iter().map(|id| [*id]).collect();
            let json = serde_json::to_string(&rows).map_err(|e| StoreError::Invalid(e.to_string()))?;
            released +=
                Query::dynamic(&sql).bind(&json).bind(at).bind(by).execute(&mut tx).await?.rows_affected();
            Query::dynamic(&unfollow).bind(&json).execute(&mut tx).await?;
            crate::stays::close_released_stays(&mut tx, &json, at, by).await?;
        }
        tx.commit().await?;
        Ok(released)
    }

    async fn followup_counts(
        &self,
        scope: &AreaPath,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<FollowUpCounts> {
        let (lo, hi) = scope.subtree_range();
        // The overdue are few: found on their own index, then placed by their contact's path.
        let row = query(
            "SELECT \
             coalesce(sum(CASE WHEN status IN ('identified', 'quarantined') THEN 1 ELSE 0 END), 0) AS managed, \
             (SELECT count(*) FROM followups f JOIN contacts o ON o.id = f.contact_id \
                 WHERE f.overdue_since IS NOT NULL AND o.path >= $1 AND o.path < $2) AS overdue, \
             coalesce(sum(CASE WHEN status = 'released' AND released_at >= $3 AND released_at < $4 \
                 THEN 1 ELSE 0 END), 0) AS released \
             FROM contacts WHERE path >= $1 AND path < $2",
        )
        .bind(lo)
        .bind(hi)
        .bind(from)
        .bind(to)
        .fetch_one(self.db())
        .await?;
        Ok(FollowUpCounts {
            managed: row.try_get("managed")?,
            overdue: row.try_get("overdue")?,
            released_in_window: row.try_get("released")?,
        })
    }

    async fn case_totals(&self, scope: &AreaPath, at: DateTime<Utc>) -> Result<CaseTotals> {
        let (lo, hi) = scope.subtree_range();
        let row = query(
            "SELECT count(*) AS cases, \
             coalesce(sum(CASE WHEN outcome = 'recovered' AND outcome_at <= $3 THEN 1 ELSE 0 END), 0) AS recovered, \
             coalesce(sum(CASE WHEN outcome = 'died' AND outcome_at <= $3 THEN 1 ELSE 0 END), 0) AS died \
             FROM cases WHERE path >= $1 AND path < $2 AND created_at <= $3",
        )
        .bind(lo)
        .bind(hi)
        .bind(at)
        .fetch_one(self.db())
        .await?;
        Ok(CaseTotals {
            cases: row.try_get("cases")?,
            recovered: row.try_get("recovered")?,
            died: row.try_get("died")?,
        })
    }

    async fn followups_out_of_step(&self) -> Result<i64> {
        query(
            "SELECT (SELECT count(*) FROM contacts t WHERE t.status IN ('identified', 'quarantined') \
                 AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.contact_id = t.id)) \
             + (SELECT count(*) FROM followups f JOIN contacts t ON t.id = f.contact_id \
                 WHERE t.status NOT IN ('identified', 'quarantined'))",
        )
        .scalar_one(self.db())
        .await
    }
}

/// A contact checked in at a site is quarantined there, in the check-in's transaction: the
/// contact's place is the stay's site and room, not a name typed apart from it. A contact
/// released, or a case now, keeps its standing.
pub(crate) async fn quarantine_at(
    tx: &mut crate::db::Tx,
    contact_id: i64,
    place: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<()> {
    query(
        "UPDATE contacts SET status = 'quarantined', place = $1, updated_at = $2, updated_by = $3 \
         WHERE id = $4 AND status IN ('identified', 'quarantined', 'unreachable')",
    )
    .bind(place)
    .bind(at)
    .bind(by)
    .bind(contact_id)
    .execute(&mut *tx)
    .await?;
    follow_as_status(tx, contact_id).await
}

/// Keeps `followups` true to a contact's status after a change of it, in the change's
/// transaction: a row while identified or quarantined (the plan's end found again by the
/// release's run when the row is new), none otherwise.
pub(crate) async fn follow_as_status(tx: &mut crate::db::Tx, contact_id: i64) -> Result<()> {
    query(
        "DELETE FROM followups WHERE contact_id = $1 AND NOT EXISTS (SELECT 1 FROM contacts \
         WHERE id = $1 AND status IN ('identified', 'quarantined'))",
    )
    .bind(contact_id)
    .execute(&mut *tx)
    .await?;
    query(
        "INSERT INTO followups (contact_id) SELECT id FROM contacts \
         WHERE id = $1 AND status IN ('identified', 'quarantined') ON CONFLICT (contact_id) DO NOTHING",
    )
    .bind(contact_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
