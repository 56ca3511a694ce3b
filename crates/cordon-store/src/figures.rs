//! What the command's figures are counted from: the day-by-day counts of an area (positives,
//! needs opened and closed, gate passages), the daily briefings headquarters published, and the
//! register read page by page for an export. The same SQL on both backends.
//!
//! Counts per day are counted by the database in one statement: the caller gives the instants
//! that bound its (local) days, and each row falls in the bucket a `CASE` over those instants
//! gives it, so a month of a city's needs is one index range and no row leaves the database.

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::{AreaCode, AreaPath};

use crate::{PersonRecord, Result};

/// Positives of one day: new ones by class, and asymptomatic cases reclassified as confirmed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PositiveCounts {
    pub asymptomatic: i64,
    pub confirmed: i64,
    /// 无症状感染者转确诊.
    pub reclassified: i64,
}

/// Needs of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeedDayCounts {
    /// Raised by or for residents (care planned ahead not counted).
    pub opened: i64,
    pub emergencies: i64,
    /// Care planned ahead for the tagged residents (dialysis trips, daily checks).
    pub care_planned: i64,
    /// Resolved, planned care included.
    pub resolved: i64,
}

/// Gate decisions of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassageCounts {
    pub let_through: i64,
    pub refused: i64,
}

/// A briefing to publish.
#[derive(Debug, Clone)]
pub struct NewBriefing {
    pub area: AreaCode,
    pub day: NaiveDate,
    pub text_zh: String,
    pub text_en: String,
    /// The figures it was written from (JSON), kept with it.
    pub figures: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A published briefing: one revision of an area's day.
#[derive(Debug, Clone, PartialEq)]
pub struct BriefingRecord {
    pub id: i64,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    pub day: NaiveDate,
    pub revision: i32,
    pub text_zh: String,
    pub text_en: String,
    pub figures: String,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
}

/// An export starting: who takes which list of which area.
#[derive(Debug, Clone)]
pub struct NewExport {
    pub user_id: i64,
    pub username: String,
    /// people, zones, needs, …
    pub list: String,
    pub area: AreaCode,
    /// csv, xlsx
    pub format: String,
    pub pseudonymised: bool,
    pub at: DateTime<Utc>,
}

/// An export as the audit keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub username: String,
    pub list: String,
    pub area: String,
    pub format: String,
    pub pseudonymised: bool,
    pub rows: i64,
    /// False while it runs, and for good when the reader went away before the end.
    pub finished: bool,
}

#[async_trait::async_trait]
pub trait Figures {
    /// Positives of cases inside `scope` per bucket: the buckets are `[bounds[i], bounds[i+1])`,
    /// so `bounds.len() - 1` of them. A case counts on the day it was opened, by the class it
    /// was opened with; a reclassification counts on its own day.
    async fn positives_per_bucket(
        &self,
        scope: &AreaPath,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<PositiveCounts>>;
    /// Needs of households inside `scope` per bucket: raised (emergencies among them), care
    /// planned, resolved.
    async fn needs_per_bucket(
        &self,
        scope: &AreaPath,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<NeedDayCounts>>;
    /// Gate decisions at gates inside `scope` per bucket.
    async fn passages_per_bucket(
        &self,
        scope: &AreaPath,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<PassageCounts>>;

    /// Publishes a briefing as the next revision of its area's day; the area must be inside
    /// `scope`.
    async fn publish_briefing(&self, scope: &AreaPath, b: &NewBriefing) -> Result<BriefingRecord>;
    /// The briefings of areas inside `scope`, newest day first, latest revision first.
    async fn briefings(&self, scope: &AreaPath, limit: u32) -> Result<Vec<BriefingRecord>>;
    async fn briefing(&self, scope: &AreaPath, id: i64) -> Result<Option<BriefingRecord>>;

    /// Records an export as it starts; its rows are counted with [`Figures::export_progress`].
    async fn begin_export(&self, e: &NewExport) -> Result<i64>;
    async fn export_progress(&self, id: i64, rows: i64, finished: bool) -> Result<()>;
    /// The exports, newest first.
    async fn exports(&self, limit: u32) -> Result<Vec<ExportRecord>>;

    /// One page of the people inside `scope` in the order of (household path, register id),
    /// starting after the person `after` (their household's path and their id; none: from the
    /// first): keyset paging that stays on the path index however large the export. Each with
    /// their household's name (the door number of an address).
    async fn people_page(
        &self,
        scope: &AreaPath,
        after: Option<(&AreaPath, &str)>,
        limit: u32,
    ) -> Result<Vec<(PersonRecord, String)>>;
}

/// The bucket of `col` among `buckets` buckets: `CASE WHEN col < $first THEN 0 WHEN … ELSE
/// buckets - 1 END`, the inner bounds numbered from `$first`.
pub(crate) fn bucket_case(col: &str, buckets: usize, first: usize) -> String {
    if buckets <= 1 {
        return "0".into();
    }
    let mut sql = String::from("CASE");
    for i in 1..buckets {
        sql.push_str(&format!(" WHEN {col} < ${} THEN {}", first + i - 1, i - 1));
    }
    sql.push_str(&format!(" ELSE {} END", buckets - 1));
    sql
}

mod figures_sql {
    use chrono::{DateTime, NaiveDate, Utc};
    use cordon_domain::AreaPath;

    use crate::db::{Backed, Db, DbRow, Query, query};
    use crate::figures::*;
    use crate::{PersonRecord, Result, StoreError, code_of};

    const BRIEFING_SELECT: &str =
        "SELECT b.*, a.name AS area_name FROM briefings b JOIN areas a ON a.code = b.area_code";

    fn briefing_of(r: &DbRow) -> Result<BriefingRecord> {
        let day: String = r.try_get("day")?;
        Ok(BriefingRecord {
            id: r.try_get("id")?,
            area: code_of(r.try_get("area_code")?)?,
            area_name: r.try_get("area_name")?,
            path: AreaPath::from_stored(r.try_get("path")?),
            day: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|_| StoreError::Invalid(format!("stored briefing day {day:?}")))?,
            revision: r.try_get("revision")?,
            text_zh: r.try_get("text_zh")?,
            text_en: r.try_get("text_en")?,
            figures: r.try_get("figures")?,
            published_at: r.try_get("published_at")?,
            published_by: r.try_get("published_by")?,
        })
    }

    /// Sums per bucket over the rows of `from` (a FROM … WHERE with the scope's range as
    /// $1 and $2) whose `col` falls between the bounds.
    async fn per_bucket(
        pool: &Db,
        from: &str,
        col: &str,
        sums: &[&str],
        scope: &AreaPath,
        bounds: &[DateTime<Utc>],
    ) -> Result<Vec<Vec<i64>>> {
        let n = bounds.len().saturating_sub(1);
        let mut out = vec![vec![0i64; sums.len()]; n];
        if n == 0 {
            return Ok(out);
        }
        let (lo, hi) = scope.subtree_range();
        // $1, $2: the scope; $3, $4: the first and last bound; $5…: the inner bounds.
        let columns: Vec<String> =
            sums.iter().enumerate().map(|(i, s)| format!("SUM({s}) AS s{i}")).collect();
        let sql = format!(
            "SELECT {} AS bucket, {} {from} AND {col} >= $3 AND {col} < $4 GROUP BY 1",
            bucket_case(col, n, 5),
            columns.join(", "),
        );
        let mut q = Query::dynamic(sql).bind(lo).bind(hi).bind(bounds[0]).bind(bounds[n]);
        for b in &bounds[1..n] {
            q = q.bind(*b);
        }
        for r in q.fetch_all(pool).await? {
            let bucket: i32 = r.try_get("bucket")?;
            let i = (bucket as usize).min(n - 1);
            for (k, slot) in out[i].iter_mut().enumerate() {
                let v: Option<i64> = r.try_get(format!("s{k}").as_str())?;
                *slot += v.unwrap_or(0);
            }
        }
        Ok(out)
    }

    #[async_trait::async_trait]
    impl<S: Backed> Figures for S {
        async fn positives_per_bucket(
            &self,
            scope: &AreaPath,
            bounds: &[DateTime<Utc>],
        ) -> Result<Vec<PositiveCounts>> {
            let rows = per_bucket(
                self.db(),
                "FROM case_events e JOIN cases c ON c.id = e.case_id \
                 WHERE c.path >= $1 AND c.path < $2 AND e.kind IN ('opened', 'reclassified')",
                "e.at",
                &[
                    "CASE WHEN e.kind = 'opened' AND e.detail LIKE '%\"asymptomatic\"%' THEN 1 ELSE 0 END",
                    "CASE WHEN e.kind = 'opened' AND e.detail LIKE '%\"confirmed\"%' THEN 1 ELSE 0 END",
                    "CASE WHEN e.kind = 'reclassified' AND e.detail LIKE '%\"to\":\"confirmed\"%' THEN 1 ELSE 0 END",
                ],
                scope,
                bounds,
            )
            .await?;
            Ok(rows
                .into_iter()
                .map(|v| PositiveCounts { asymptomatic: v[0], confirmed: v[1], reclassified: v[2] })
                .collect())
        }

        async fn needs_per_bucket(
            &self,
            scope: &AreaPath,
            bounds: &[DateTime<Utc>],
        ) -> Result<Vec<NeedDayCounts>> {
            let raised = per_bucket(
                self.db(),
                "FROM needs WHERE path >= $1 AND path < $2",
                "created_at",
                &[
                    "CASE WHEN plan_key IS NULL THEN 1 ELSE 0 END",
                    "CASE WHEN emergency THEN 1 ELSE 0 END",
                    "CASE WHEN plan_key IS NULL THEN 0 ELSE 1 END",
                ],
                scope,
                bounds,
            )
            .await?;
            let resolved = per_bucket(
                self.db(),
                "FROM needs WHERE path >= $1 AND path < $2 AND resolved_at IS NOT NULL",
                "resolved_at",
                &["1"],
                scope,
                bounds,
            )
            .await?;
            Ok(raised
                .into_iter()
                .zip(resolved)
                .map(|(r, s)| NeedDayCounts {
                    opened: r[0],
                    emergencies: r[1],
                    care_planned: r[2],
                    resolved: s[0],
                })
                .collect())
        }

        async fn passages_per_bucket(
            &self,
            scope: &AreaPath,
            bounds: &[DateTime<Utc>],
        ) -> Result<Vec<PassageCounts>> {
            let rows = per_bucket(
                self.db(),
                "FROM gate_passages WHERE path >= $1 AND path < $2",
                "at",
                &[
                    "CASE WHEN outcome = 'allowed' THEN 1 ELSE 0 END",
                    "CASE WHEN outcome = 'refused' THEN 1 ELSE 0 END",
                ],
                scope,
                bounds,
            )
            .await?;
            Ok(rows.into_iter().map(|v| PassageCounts { let_through: v[0], refused: v[1] }).collect())
        }

        async fn publish_briefing(&self, scope: &AreaPath, b: &NewBriefing) -> Result<BriefingRecord> {
            let (lo, hi) = scope.subtree_range();
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let path: Option<String> =
                query("SELECT path FROM areas WHERE code = $1 AND path >= $2 AND path < $3")
                    .bind(b.area.as_str())
                    .bind(&lo)
                    .bind(&hi)
                    .scalar_optional(&mut tx)
                    .await?;
            let Some(path) = path else {
                return Err(StoreError::NotFound(format!("area {}", b.area)));
            };
            let day = b.day.format("%Y-%m-%d").to_string();
            let revision: Option<i32> =
                query("SELECT MAX(revision) FROM briefings WHERE area_code = $1 AND day = $2")
                    .bind(b.area.as_str())
                    .bind(&day)
                    .scalar_one(&mut tx)
                    .await?;
            let id: i64 = query(
                "INSERT INTO briefings (area_code, path, day, revision, text_zh, text_en, figures, \
                 published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(b.area.as_str())
            .bind(&path)
            .bind(&day)
            .bind(revision.unwrap_or(0) + 1)
            .bind(&b.text_zh)
            .bind(&b.text_en)
            .bind(&b.figures)
            .bind(b.at)
            .bind(&b.by)
            .scalar_one(&mut tx)
            .await?;
            let row = Query::dynamic(format!("{BRIEFING_SELECT} WHERE b.id = $1"))
                .bind(id)
                .fetch_one(&mut tx)
                .await?;
            tx.commit().await?;
            briefing_of(&row)
        }

        async fn briefings(&self, scope: &AreaPath, limit: u32) -> Result<Vec<BriefingRecord>> {
            let (lo, hi) = scope.subtree_range();
            Query::dynamic(format!(
                "{BRIEFING_SELECT} WHERE b.path >= $1 AND b.path < $2 \
                 ORDER BY b.day DESC, b.path, b.revision DESC LIMIT $3"
            ))
            .bind(lo)
            .bind(hi)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(briefing_of)
            .collect()
        }

        async fn briefing(&self, scope: &AreaPath, id: i64) -> Result<Option<BriefingRecord>> {
            let (lo, hi) = scope.subtree_range();
            Query::dynamic(format!("{BRIEFING_SELECT} WHERE b.id = $1 AND b.path >= $2 AND b.path < $3"))
                .bind(id)
                .bind(lo)
                .bind(hi)
                .fetch_optional(self.db())
                .await?
                .as_ref()
                .map(briefing_of)
                .transpose()
        }

        async fn begin_export(&self, e: &NewExport) -> Result<i64> {
            Ok(query(
                "INSERT INTO audit_exports (at, user_id, username, list, area_code, format, pseudonymised, \
                 rows_written, finished) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, FALSE) RETURNING id",
            )
            .bind(e.at)
            .bind(e.user_id)
            .bind(&e.username)
            .bind(&e.list)
            .bind(e.area.as_str())
            .bind(&e.format)
            .bind(e.pseudonymised)
            .scalar_one(self.db())
            .await?)
        }

        async fn export_progress(&self, id: i64, rows: i64, finished: bool) -> Result<()> {
            query("UPDATE audit_exports SET rows_written = $1, finished = $2 WHERE id = $3")
                .bind(rows)
                .bind(finished)
                .bind(id)
                .execute(self.db())
                .await?;
            Ok(())
        }

        async fn exports(&self, limit: u32) -> Result<Vec<ExportRecord>> {
            query("SELECT * FROM audit_exports ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(self.db())
                .await?
                .iter()
                .map(|r| {
                    Ok(ExportRecord {
                        id: r.try_get("id")?,
                        at: r.try_get("at")?,
                        username: r.try_get("username")?,
                        list: r.try_get("list")?,
                        area: r.try_get("area_code")?,
                        format: r.try_get("format")?,
                        pseudonymised: r.try_get("pseudonymised")?,
                        rows: r.try_get("rows_written")?,
                        finished: r.try_get("finished")?,
                    })
                })
                .collect()
        }

        async fn people_page(
            &self,
            scope: &AreaPath,
            after: Option<(&AreaPath, &str)>,
            limit: u32,
        ) -> Result<Vec<(PersonRecord, String)>> {
            let (lo, hi) = scope.subtree_range();
            // From the household of the last person of the page before, past that person:
            // the range starts on the path index and drops at most that household's first
            // rows, however large the export.
            let (from, last) = match after {
                Some((path, person)) => (path.as_str().to_owned(), person.to_owned()),
                None => (lo, String::new()),
            };
            let people = Query::dynamic(format!(
                "SELECT {} FROM people WHERE path >= $1 AND path < $2 AND NOT (path = $1 AND person_id <= $3) \
                 AND status = 'active' \
                 ORDER BY path, person_id LIMIT $4",
                crate::rows::PERSON_COLUMNS
            ))
            .bind(from)
            .bind(hi)
            .bind(last)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| crate::rows::person_record(r, self.keys()))
            .collect::<Result<Vec<_>>>()?;
            // The households' names, each read once (a page holds a few people a household).
            let mut codes: Vec<&str> = people.iter().map(|p| p.household.as_str()).collect();
            codes.dedup();
            let mut names = std::collections::HashMap::with_capacity(codes.len());
            for chunk in codes.chunks(5000) {
                let q = query("SELECT code, name FROM areas WHERE code IN (")
                    .push_list(chunk.iter().copied())
                    .push(")");
                for r in q.fetch_all(self.db()).await? {
                    names.insert(r.try_get::<String, _>("code")?, r.try_get::<String, _>("name")?);
                }
            }
            Ok(people
                .into_iter()
                .map(|p| {
                    let door = names.get(p.household.as_str()).cloned().unwrap_or_default();
                    (p, door)
                })
                .collect())
        }
    }
}
