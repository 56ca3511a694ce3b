//! 医学观察: what following contacts to the end of their plans reads and writes — the samples
//! each contact gave, their daily health checks, the contacts whose plan has ended, and the
//! release. The plan's rules are the domain's (`followup`): the store finds the rows on indexes
//! and writes what the server decided, each release still conditional on the contact being
//! under follow-up when it lands (a contact opened as a case meanwhile stays a case).

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::AreaPath;
use cordon_domain::followup::{HealthCheck, PlanSample, Symptom};
use cordon_domain::testing::TubeResult;

use crate::cases::records::{CONTACT_SELECT, ContactRecord, parse_col};
use crate::cases::sql::contact_record;
use crate::db::{Backed, DbRow, Query, query};
use crate::{ROWS_PER_STATEMENT, Result, StoreError};

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
    /// Records a health check of a contact.
    async fn add_check(&self, contact_id: i64, check: &HealthCheck, by: &str) -> Result<CheckRecord>;
    /// The health checks of these contacts, oldest first.
    async fn checks(&self, contact_ids: &[i64]) -> Result<Vec<CheckRecord>>;
    /// Contacts under follow-up (identified or quarantined) whose plan ended by `today` or whose
    /// end is not recorded, with ids above `after`, by id.
    async fn due_contacts(&self, today: NaiveDate, after: i64, limit: u32) -> Result<Vec<ContactRecord>>;
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
}

fn check_record(r: &DbRow) -> Result<CheckRecord> {
    let symptoms: String = r.try_get("symptoms")?;
    let symptoms = symptoms
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| parse_col("symptom", s, Symptom::parse))
        .collect::<Result<Vec<_>>>()?;
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
                let result: Option<String> = r.try_get("result")?;
                let result = result.map(|s| parse_col("tube result", &s, TubeResult::parse)).transpose()?;
                out.push(PersonSample {
                    person_id: r.try_get("person_id")?,
                    sample: PlanSample {
                        collected_at: r.try_get("collected_at")?,
                        result,
                        reported_at: r.try_get("reported_at")?,
                    },
                });
            }
        }
        out.sort_by_key(|s| s.sample.collected_at);
        Ok(out)
    }

    async fn add_check(&self, contact_id: i64, check: &HealthCheck, by: &str) -> Result<CheckRecord> {
        let symptoms: Vec<&str> = check.symptoms.iter().map(|s| s.as_str()).collect();
        let row = query(
            "INSERT INTO contact_checks (contact_id, at, temperature, symptoms, unwell, recorded_by) \
             SELECT id, $2, $3, $4, $5, $6 FROM contacts WHERE id = $1 RETURNING *",
        )
        .bind(contact_id)
        .bind(check.at)
        .bind(check.temperature)
        .bind(symptoms.join(","))
        .bind(check.is_unwell())
        .bind(by)
        .fetch_optional(self.db())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("contact {contact_id}")))?;
        check_record(&row)
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

    async fn due_contacts(&self, today: NaiveDate, after: i64, limit: u32) -> Result<Vec<ContactRecord>> {
        let sql = format!(
            "{CONTACT_SELECT} WHERE t.status IN ('identified', 'quarantined') \
             AND (t.plan_ends <= $1 OR t.plan_ends IS NULL) AND t.id > $2 ORDER BY t.id LIMIT $3"
        );
        Query::dynamic(sql)
            .bind(today)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(contact_record)
            .collect()
    }

    async fn set_plan_ends(&self, ends: &[(i64, NaiveDate)]) -> Result<()> {
        let mut tx = self.db().begin().await?;
        for (id, day) in ends {
            query("UPDATE contacts SET plan_ends = $1 WHERE id = $2 AND plan_ends IS NULL")
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
        // per contact.
        let sql = format!(
            "UPDATE contacts SET status = 'released', released_at = $2, updated_at = $2, updated_by = $3 \
             WHERE id IN (SELECT CAST(value ->> 0 AS BIGINT) FROM {}) \
             AND status IN ('identified', 'quarantined')",
            tx.dialect().json_rows
        );
        let mut released = 0;
        for chunk in ids.chunks(50_000) {
            let rows: Vec<[i64; 1]> = chunk.iter().map(|id| [*id]).collect();
            let json = serde_json::to_string(&rows).map_err(|e| StoreError::Invalid(e.to_string()))?;
            released +=
                Query::dynamic(&sql).bind(json).bind(at).bind(by).execute(&mut tx).await?.rows_affected();
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
        let row = query(
            "SELECT \
             coalesce(sum(CASE WHEN status IN ('identified', 'quarantined') THEN 1 ELSE 0 END), 0) AS managed, \
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
        Ok(FollowUpCounts { managed: row.try_get("managed")?, released_in_window: row.try_get("released")? })
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
}
