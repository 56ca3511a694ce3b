//! The SQL of the testing store, written once for both backends.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cordon_domain::outbox::MessageKind;
use cordon_domain::testing::{Pooling, check_tube, stricter};
use cordon_domain::{AreaPath, TubeResult};

use crate::cases::ScanFile;
use crate::db::{Backed, DbRow, Query, Tx, query};
use crate::testing::*;
use crate::zones::scope_params;
use crate::{PersonRecord, Rejected, Result, StoreError, code_of};

const ROUND_SELECT: &str = "SELECT r.*, a.name AS area_name, a.residents FROM test_rounds r \
     JOIN areas a ON a.code = r.area_code";
const TASK_SELECT: &str = "SELECT t.*, p.name, p.household_code FROM test_tasks t \
     JOIN people p ON p.person_id = t.person_id";

fn round_record(r: &DbRow) -> Result<RoundRecord> {
    Ok(RoundRecord {
        id: r.try_get("id")?,
        round_key: r.try_get("round_key")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        area: code_of(r.try_get("area_code")?)?,
        area_name: r.try_get("area_name")?,
        path: AreaPath::from_stored(r.try_get("path")?),
        residents: r.try_get("residents")?,
        starts_at: r.try_get("starts_at")?,
        deadline: r.try_get("deadline")?,
        profile_key: r.try_get("profile_key")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        closed_at: r.try_get("closed_at")?,
        closed_by: r.try_get("closed_by")?,
    })
}

fn tube_record(r: &DbRow) -> Result<TubeRecord> {
    let result: Option<String> = r.try_get("result")?;
    Ok(TubeRecord {
        tube_id: r.try_get("tube_id")?,
        round_id: r.try_get("round_id")?,
        site: r.try_get("site")?,
        collected_at: r.try_get("collected_at")?,
        size: r.try_get("size")?,
        result: result.as_deref().map(result_of).transpose()?,
        reported_at: r.try_get("reported_at")?,
        lab: r.try_get("lab")?,
    })
}

fn task_record(r: &DbRow) -> Result<TaskRecord> {
    let kind: String = r.try_get("kind")?;
    let outcome: Option<String> = r.try_get("outcome")?;
    Ok(TaskRecord {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        name: r.try_get("name")?,
        household: code_of(r.try_get("household_code")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        round_id: r.try_get("round_id")?,
        kind: TaskKind::parse(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("stored task kind {kind:?}")))?,
        tube_id: r.try_get("tube_id")?,
        created_at: r.try_get("created_at")?,
        done_at: r.try_get("done_at")?,
        done_tube_id: r.try_get("done_tube_id")?,
        outcome: outcome.as_deref().map(result_of).transpose()?,
    })
}

fn file_record(r: &DbRow) -> Result<TestFileRecord> {
    Ok(TestFileRecord {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        file: ScanFile {
            sha256: r.try_get("sha256")?,
            name: r.try_get("name")?,
            at: r.try_get("imported_at")?,
            by: r.try_get("imported_by")?,
        },
        rows: r.try_get("rows")?,
    })
}

/// How the backend's driver writes an instant (SQLite keeps it as this text).
fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Rows of up to this many go into one JSON batch.
const JSON_BATCH: usize = 20_000;

fn in_list(n: usize, first: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

async fn known_file(tx: &mut Tx, kind: &str, sha: &str) -> Result<Option<TestFileRecord>> {
    query("SELECT * FROM test_files WHERE kind = $1 AND sha256 = $2")
        .bind(kind)
        .bind(sha)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(file_record)
        .transpose()
}

async fn new_file(tx: &mut Tx, kind: &str, f: &ScanFile) -> Result<i64> {
    Ok(query(
        "INSERT INTO test_files (sha256, kind, name, rows, imported_at, imported_by) \
         VALUES ($1, $2, $3, 0, $4, $5) RETURNING id",
    )
    .bind(&f.sha256)
    .bind(kind)
    .bind(&f.name)
    .bind(f.at)
    .bind(&f.by)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?)
}

async fn set_rows(tx: &mut Tx, id: i64, rows: i64) -> Result<TestFileRecord> {
    query("UPDATE test_files SET rows = $1 WHERE id = $2").bind(rows).bind(id).execute(&mut *tx).await?;
    file_record(&query("SELECT * FROM test_files WHERE id = $1").bind(id).fetch_one(&mut *tx).await?)
}

fn reject(line: i64, column: &'static str, reason: String) -> Rejected {
    Rejected { index: usize::try_from(line).unwrap_or(0), column, reason }
}

pub(crate) struct Load {
    tx: Tx,
    /// The pool, for what runs after the commit.
    db: crate::db::Db,
    file_id: i64,
    staged: i64,
}

/// The staged rows naming someone not in the register, the first 50 by line.
async fn unknown_in(tx: &mut Tx) -> Result<Vec<Rejected>> {
    query(
        // An anti-join, not NOT EXISTS: Citus plans no subquery that refers to a table of
        // the coordinator's from the register's shards.
        "SELECT s.line, s.person_id FROM sample_stage s LEFT JOIN people p ON p.person_id = s.person_id \
         WHERE p.person_id IS NULL ORDER BY s.line LIMIT 50",
    )
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| {
        let id: String = r.try_get("person_id")?;
        Ok(reject(r.try_get("line")?, "person_id", format!("{id} is not in the register")))
    })
    .collect()
}

#[async_trait::async_trait]
impl SampleLoad for Load {
    async fn unknown_people(&mut self) -> Result<Vec<Rejected>> {
        unknown_in(&mut self.tx).await
    }

    async fn rows(&mut self, rows: &[SampleRow]) -> Result<()> {
        let sql = format!(
            "INSERT INTO sample_stage (line, tube_id, person_id, round_id) \
             SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, value ->> 2, CAST(value ->> 3 AS BIGINT) FROM {}",
            self.tx.dialect().json_rows
        );
        for chunk in rows.chunks(JSON_BATCH) {
            let batch: Vec<(i64, &str, &str, i64)> = chunk
                .iter()
                .map(|r| (r.line as i64, r.tube_id.as_str(), r.person_id.as_str(), r.round_id))
                .collect();
            let json = serde_json::to_string(&batch).map_err(|e| StoreError::Invalid(e.to_string()))?;
            Query::dynamic(sql.as_str()).bind(json).execute(&mut self.tx).await?;
            self.staged += chunk.len() as i64;
        }
        Ok(())
    }

    async fn finish(
        self: Box<Self>,
        tubes: &[NewTube],
        zones: &[ZonePooling],
    ) -> Result<std::result::Result<SamplesAdded, Vec<Rejected>>> {
        let Load { tx: mut owned, db, file_id, staged } = *self;
        let tx = &mut owned;
        let large = tx.dialect().postgres && staged >= 10_000;
        if large {
            query("ANALYZE sample_stage").execute(&mut *tx).await?;
        }
        // Everyone named must be registered; what else is wrong is named with them.
        let mut refused = unknown_in(tx).await?;
        // Every tube is new.

        let insert = format!(
            "INSERT INTO tubes (tube_id, round_id, site, collected_at, size, file_id) \
             SELECT value ->> 0, CAST(value ->> 1 AS BIGINT), value ->> 2, CAST(value ->> 3 AS {ts}), \
             CAST(value ->> 4 AS BIGINT), $2 FROM {} WHERE true ON CONFLICT (tube_id) DO NOTHING RETURNING 1",
            tx.dialect().json_rows,
            ts = tx.dialect().time_type
        );
        for chunk in tubes.chunks(JSON_BATCH) {
            let batch: Vec<(&str, i64, &str, String, u32)> = chunk
                .iter()
                .map(|t| (t.tube_id.as_str(), t.round_id, t.site.as_str(), instant(t.collected_at), t.size))
                .collect();
            let json = serde_json::to_string(&batch).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let q = Query::dynamic(insert.as_str()).bind(json).bind(file_id);
            // Counted by the rows returned: Citus reports an INSERT … SELECT's rows as the rows
            // selected, those a conflict skipped included.
            let added = q.fetch_all(&mut *tx).await?.len() as u64;
            if added < chunk.len() as u64 {
                let sql = format!(
                    "SELECT t.tube_id, t.collected_at FROM tubes t WHERE t.file_id <> $1 AND t.tube_id IN \
                     (SELECT value ->> 0 FROM {})",
                    tx.dialect().json_rows.replace("$1", "$2")
                );
                let ids: Vec<[&str; 1]> = chunk.iter().map(|t| [t.tube_id.as_str()]).collect();
                let json = serde_json::to_string(&ids).map_err(|e| StoreError::Invalid(e.to_string()))?;
                let q = Query::dynamic(sql).bind(file_id).bind(json);
                for r in q.fetch_all(&mut *tx).await? {
                    let id: String = r.try_get("tube_id")?;
                    let at: DateTime<Utc> = r.try_get("collected_at")?;
                    let line = chunk.iter().find(|t| t.tube_id == id).map_or(0, |t| t.line);
                    refused.push(reject(
                        line as i64,
                        "tube_id",
                        format!("tube {id} was recorded already (collected {})", at.to_rfc3339()),
                    ));
                }
            }
        }
        if !refused.is_empty() {
            return Ok(Err(refused));
        }
        // A plain insert: a person twice in a tube is rare, so it is found by the
        // insert failing (and then named) rather than checked row by row.
        query("SAVEPOINT samples_insert").execute(&mut *tx).await?;
        let inserted = query(
            "INSERT INTO samples (tube_id, person_id, round_id, household_code, path, district_code, file_id) \
             SELECT s.tube_id, s.person_id, s.round_id, p.household_code, p.path, p.district_code, $1 \
             FROM sample_stage s JOIN people p ON p.person_id = s.person_id",
        )
        .bind(file_id)
        .execute(&mut *tx)
        .await;
        let added = match inserted {
            Ok(done) => done.rows_affected() as i64,
            Err(crate::StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                query("ROLLBACK TO SAVEPOINT samples_insert").execute(&mut *tx).await?;
                0
            }
            Err(e) => return Err(e),
        };
        if added < staged {
            return query(
                "SELECT MAX(line) AS line, tube_id, person_id FROM sample_stage \
                 GROUP BY tube_id, person_id HAVING COUNT(*) > 1 ORDER BY 1 LIMIT 50",
            )
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| {
                let tube: String = r.try_get("tube_id")?;
                let person: String = r.try_get("person_id")?;
                Ok(reject(r.try_get("line")?, "person_id", format!("{person} appears twice in tube {tube}")))
            })
            .collect::<Result<Vec<_>>>()
            .map(Err);
        }
        // Tubes holding someone whose home is under a stricter pooling than the
        // file's own limit: find the strictest rule per tube, then its households.
        let rounds: Vec<i64> = {
            let mut r: Vec<i64> = tubes.iter().map(|t| t.round_id).collect();
            r.sort_unstable();
            r.dedup();
            r
        };
        let by_tube: HashMap<&str, &NewTube> = if zones.is_empty() {
            HashMap::new()
        } else {
            tubes.iter().map(|t| (t.tube_id.as_str(), t)).collect()
        };
        let mut strictest: HashMap<String, (Pooling, &str)> = HashMap::new();
        for z in zones {
            let (lo, hi) = z.path.subtree_range();
            for &round in &rounds {
                let rows = query(
                    "SELECT DISTINCT tube_id FROM samples WHERE round_id = $1 AND path >= $2 \
                     AND path < $3 AND file_id = $4",
                )
                .bind(round)
                .bind(&lo)
                .bind(&hi)
                .bind(file_id)
                .fetch_all(&mut *tx)
                .await?;
                for r in rows {
                    let tube: String = r.try_get("tube_id")?;
                    let Some(t) = by_tube.get(tube.as_str()) else { continue };
                    if t.size <= z.pooling.max {
                        continue;
                    }
                    strictest
                        .entry(tube)
                        .and_modify(|(p, label)| {
                            let s = stricter(*p, z.pooling);
                            if s != *p {
                                *p = s;
                                *label = &z.label;
                            }
                        })
                        .or_insert((z.pooling, &z.label));
                }
            }
        }
        let flagged: Vec<&String> = strictest.keys().collect();
        for chunk in flagged.chunks(crate::ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT tube_id, COUNT(DISTINCT household_code) AS households FROM samples \
                 WHERE tube_id IN ({}) GROUP BY tube_id",
                in_list(chunk.len(), 1)
            );
            let mut q = Query::dynamic(sql);
            for t in chunk {
                q = q.bind(t.as_str());
            }
            for r in q.fetch_all(&mut *tx).await? {
                let tube: String = r.try_get("tube_id")?;
                let households: i64 = r.try_get("households")?;
                let (Some(t), Some((rule, label))) = (by_tube.get(tube.as_str()), strictest.get(&tube))
                else {
                    continue;
                };
                if let Err(problem) = check_tube(t.size, households as u32, *rule) {
                    refused.push(reject(
                        t.line as i64,
                        "tube_id",
                        format!("tube {tube} {problem} ({label})"),
                    ));
                }
            }
        }
        if !refused.is_empty() {
            refused.sort_by_key(|r| r.index);
            refused.truncate(50);
            return Ok(Err(refused));
        }
        query("DROP TABLE sample_stage").execute(&mut *tx).await?;
        if large && tx.dialect().analyze_in_load {
            query("ANALYZE samples, tubes").execute(&mut *tx).await?;
        }
        let file = set_rows(tx, file_id, staged).await?;
        let analyze_after = large && db.dialect().postgres && !db.dialect().analyze_in_load;
        owned.commit().await?;
        if analyze_after {
            query("ANALYZE samples, tubes").execute(&db).await?;
        }
        Ok(Ok(SamplesAdded { file, tubes: tubes.len() as i64, people: added }))
    }
}

#[async_trait::async_trait]
impl<S: Backed> Testing for S {
    async fn create_round(&self, scope: &AreaPath, n: &NewRound) -> Result<RoundRecord> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        let (lo, hi) = scope.subtree_range();
        let area = query("SELECT path, name FROM areas WHERE code = $1 AND path >= $2 AND path < $3")
            .bind(n.area.as_str())
            .bind(lo)
            .bind(hi)
            .fetch_optional(&mut tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("area {}", n.area)))?;
        let path: String = area.try_get("path")?;
        let area_name: String = area.try_get("name")?;
        let taken = query("SELECT id FROM test_rounds WHERE round_key = $1")
            .bind(&n.round_key)
            .fetch_optional(&mut tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!("a round with the key {} exists already", n.round_key)));
        }
        let id: i64 = query(
            "INSERT INTO test_rounds (round_key, name, area_code, path, starts_at, deadline, profile_key, \
             created_at, created_by, name_en) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&n.round_key)
        .bind(&n.name)
        .bind(n.area.as_str())
        .bind(path)
        .bind(n.starts_at)
        .bind(n.deadline)
        .bind(&n.profile_key)
        .bind(n.at)
        .bind(&n.by)
        .bind(&n.name_en)
        .fetch_one(&mut tx)
        .await?
        .try_get("id")?;
        let sql = format!("{ROUND_SELECT} WHERE r.id = $1");
        let rec = round_record(&Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?)?;
        // Every household under the round's area is told when and until when, in this transaction.
        let params = serde_json::json!({
            "round": n.name,
            "area": area_name,
            "starts_at": n.starts_at,
            "deadline": n.deadline,
        });
        crate::outbox::enqueue_households_in(&mut tx, &rec.path, MessageKind::RoundScheduled, &params, n.at)
            .await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn round(&self, scope: &AreaPath, id: i64) -> Result<Option<RoundRecord>> {
        let (lo, hi, lineage) = scope_params(scope);
        let sql = format!("{ROUND_SELECT} WHERE {} AND r.id = $10", crate::zones::in_scope("r"));
        let mut q = Query::dynamic(sql).bind(lo).bind(hi);
        for p in lineage {
            q = q.bind(p);
        }
        q.bind(id).fetch_optional(self.db()).await?.as_ref().map(round_record).transpose()
    }

    async fn rounds_by_key(&self, keys: &[String]) -> Result<Vec<RoundRecord>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(crate::ROWS_PER_STATEMENT) {
            let sql = format!("{ROUND_SELECT} WHERE r.round_key IN ({})", in_list(chunk.len(), 1));
            let mut q = Query::dynamic(sql);
            for k in chunk {
                q = q.bind(k);
            }
            for r in q.fetch_all(self.db()).await? {
                out.push(round_record(&r)?);
            }
        }
        Ok(out)
    }

    async fn rounds(&self, scope: &AreaPath, include_closed: bool, limit: u32) -> Result<Vec<RoundRecord>> {
        let (lo, hi, lineage) = scope_params(scope);
        let sql = format!(
            "{ROUND_SELECT} WHERE {} AND ($10 OR r.closed_at IS NULL) \
             ORDER BY r.closed_at IS NOT NULL, r.starts_at DESC, r.id DESC LIMIT $11",
            crate::zones::in_scope("r")
        );
        let mut q = Query::dynamic(sql).bind(lo).bind(hi);
        for p in lineage {
            q = q.bind(p);
        }
        q.bind(include_closed)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(round_record)
            .collect()
    }

    async fn close_round(&self, id: i64, at: DateTime<Utc>, by: &str) -> Result<RoundRecord> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        let done = query(
            "UPDATE test_rounds SET closed_at = $1, closed_by = $2 WHERE id = $3 AND closed_at IS NULL",
        )
        .bind(at)
        .bind(by)
        .bind(id)
        .execute(&mut tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(format!("round {id} is closed already, or unknown")));
        }
        let sql = format!("{ROUND_SELECT} WHERE r.id = $1");
        let rec = round_record(&Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?)?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn begin_samples(&self, file: &ScanFile) -> Result<Begun> {
        let pool = self.db();
        let mut tx: Tx = pool.begin().await?;
        if let Some(known) = known_file(&mut tx, "samples", &file.sha256).await? {
            return Ok(Begun::Known(known));
        }
        let file_id = new_file(&mut tx, "samples", file).await?;
        let sql = format!(
            "CREATE TEMP TABLE sample_stage (line BIGINT NOT NULL, tube_id {t} NOT NULL, \
             person_id {t} NOT NULL, round_id BIGINT NOT NULL)",
            t = pool.dialect().text_c
        );
        Query::dynamic(sql).execute(&mut tx).await?;
        Ok(Begun::Load(Box::new(Load { tx, db: pool.clone(), file_id, staged: 0 })))
    }

    async fn add_results(
        &self,
        file: &ScanFile,
        rows: &[ResultRow],
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<ResultsApplied, Vec<Rejected>>> {
        let pool = self.db();
        let mut tx: Tx = pool.begin().await?;
        if let Some(known) = known_file(&mut tx, "results", &file.sha256).await? {
            return Ok(Ok(ResultsApplied { file: Some(known), new: false, ..Default::default() }));
        }
        let file_id = new_file(&mut tx, "results", file).await?;
        let sql = format!(
            "CREATE TEMP TABLE result_stage (line BIGINT NOT NULL, tube_id {t} NOT NULL, \
             result TEXT NOT NULL, reported_at {ts} NOT NULL, lab TEXT NOT NULL)",
            t = pool.dialect().text_c,
            ts = pool.dialect().time_type
        );
        Query::dynamic(sql).execute(&mut tx).await?;
        let insert = format!(
            "INSERT INTO result_stage (line, tube_id, result, reported_at, lab) \
             SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, value ->> 2, CAST(value ->> 3 AS {ts}), value ->> 4 \
             FROM {}",
            pool.dialect().json_rows,
            ts = pool.dialect().time_type
        );
        for chunk in rows.chunks(JSON_BATCH) {
            let batch: Vec<(i64, &str, &str, String, &str)> = chunk
                .iter()
                .map(|r| {
                    (
                        r.line as i64,
                        r.tube_id.as_str(),
                        r.result.as_str(),
                        instant(r.reported_at),
                        r.lab.as_str(),
                    )
                })
                .collect();
            let json = serde_json::to_string(&batch).map_err(|e| StoreError::Invalid(e.to_string()))?;
            Query::dynamic(insert.as_str()).bind(json).execute(&mut tx).await?;
        }
        if pool.dialect().postgres && rows.len() >= 10_000 {
            query("ANALYZE result_stage").execute(&mut tx).await?;
        }
        let mut refused = Vec::new();
        for r in query(
            "SELECT s.line, s.tube_id FROM result_stage s WHERE NOT EXISTS \
             (SELECT 1 FROM tubes t WHERE t.tube_id = s.tube_id) ORDER BY s.line LIMIT 50",
        )
        .fetch_all(&mut tx)
        .await?
        {
            let id: String = r.try_get("tube_id")?;
            refused.push(reject(r.try_get("line")?, "tube_id", format!("tube {id} was never sampled")));
        }
        for r in query(
            "SELECT s.line, s.tube_id, t.result, t.lab FROM result_stage s JOIN tubes t ON t.tube_id = s.tube_id \
             WHERE t.result IS NOT NULL ORDER BY s.line LIMIT 50",
        )
        .fetch_all(&mut tx)
        .await?
        {
            let id: String = r.try_get("tube_id")?;
            let result: String = r.try_get("result")?;
            let lab: Option<String> = r.try_get("lab")?;
            refused.push(reject(
                r.try_get("line")?,
                "tube_id",
                format!("tube {id} has a result already ({result}, from {})", lab.unwrap_or_default()),
            ));
        }
        for r in query(
            "SELECT s.line, s.tube_id FROM result_stage s JOIN tubes t ON t.tube_id = s.tube_id \
             WHERE s.reported_at < t.collected_at ORDER BY s.line LIMIT 50",
        )
        .fetch_all(&mut tx)
        .await?
        {
            let id: String = r.try_get("tube_id")?;
            refused.push(reject(
                r.try_get("line")?,
                "reported_at",
                format!("is before tube {id} was collected"),
            ));
        }
        if !refused.is_empty() {
            refused.sort_by_key(|r| r.index);
            refused.truncate(50);
            return Ok(Err(refused));
        }
        query(
            "UPDATE tubes SET result = s.result, reported_at = s.reported_at, lab = s.lab, \
             result_file_id = $1 FROM result_stage s WHERE tubes.tube_id = s.tube_id",
        )
        .bind(file_id)
        .execute(&mut tx)
        .await?;
        query("DROP TABLE result_stage").execute(&mut tx).await?;
        // The tasks a result settles: a single tube with a reading settles every
        // open task of its person in the round that an earlier tube called for; a
        // negative pool settles its members' resampling.
        // Driven from the open tasks (few), not from the file's tubes (many).
        let settled = query(
            // Joined on the district too: a task and its person's samples sit on one shard of
            // a Citus cluster, and Citus joins two such tables only on their district.
            "SELECT k.id, t.tube_id, t.result FROM test_tasks k \
             JOIN samples m ON m.district_code = k.district_code AND m.person_id = k.person_id \
             AND m.round_id = k.round_id \
             JOIN tubes t ON t.tube_id = m.tube_id \
             JOIN tubes c ON c.tube_id = k.tube_id \
             WHERE k.done_at IS NULL AND t.result_file_id = $1 AND t.tube_id <> k.tube_id \
             AND ((t.size = 1 AND t.result <> 'invalid') OR (t.result = 'negative' AND k.kind = 'resample')) \
             AND t.collected_at >= c.collected_at ORDER BY k.id, t.collected_at",
        )
        .bind(file_id)
        .fetch_all(&mut tx)
        .await?;
        let mut tasks_closed = 0i64;
        let mut last = None;
        for r in settled {
            let id: i64 = r.try_get("id")?;
            if last == Some(id) {
                continue;
            }
            last = Some(id);
            let tube: String = r.try_get("tube_id")?;
            let result: String = r.try_get("result")?;
            tasks_closed +=
                query("UPDATE test_tasks SET done_at = $1, done_tube_id = $2, outcome = $3 WHERE id = $4")
                    .bind(now)
                    .bind(tube)
                    .bind(result)
                    .bind(id)
                    .execute(&mut tx)
                    .await?
                    .rows_affected() as i64;
        }
        let retests = query(
            "INSERT INTO test_tasks (person_id, round_id, kind, tube_id, path, district_code, created_at) \
             SELECT m.person_id, m.round_id, 'retest', m.tube_id, m.path, m.district_code, $1 \
             FROM tubes t JOIN samples m ON m.tube_id = t.tube_id \
             WHERE t.result_file_id = $2 AND t.result = 'positive' AND t.size > 1 \
             ON CONFLICT DO NOTHING RETURNING 1",
        )
        .bind(now)
        .bind(file_id)
        .fetch_all(&mut tx)
        .await?
        .len() as i64;
        let resamples = query(
            "INSERT INTO test_tasks (person_id, round_id, kind, tube_id, path, district_code, created_at) \
             SELECT m.person_id, m.round_id, 'resample', m.tube_id, m.path, m.district_code, $1 \
             FROM tubes t JOIN samples m ON m.tube_id = t.tube_id \
             WHERE t.result_file_id = $2 AND t.result = 'invalid' \
             ON CONFLICT DO NOTHING RETURNING 1",
        )
        .bind(now)
        .bind(file_id)
        .fetch_all(&mut tx)
        .await?
        .len() as i64;
        // Each person the file sends a sampler to is told to stay in, in this transaction: one
        // message a person (a pool's and an unreadable tube's alike, so the words say no more).
        query(
            "INSERT INTO outbox (kind, recipient_kind, recipient, params, district_code, created_at, state, \
             attempts, next_at) SELECT DISTINCT 'door_retest', 'person', m.person_id, '{}', m.district_code, \
             $1, 'queued', 0, $1 FROM tubes t JOIN samples m ON m.tube_id = t.tube_id \
             WHERE t.result_file_id = $2 AND ((t.result = 'positive' AND t.size > 1) OR t.result = 'invalid')",
        )
        .bind(now)
        .bind(file_id)
        .execute(&mut tx)
        .await?;
        // A single tube's reader is told their own result is in — not what it is: the household
        // page says that to whoever signs in, and an SMS is read over shoulders. A pool's
        // negative is no one's news (a round is millions of people).
        query(
            "INSERT INTO outbox (kind, recipient_kind, recipient, params, district_code, created_at, state, \
             attempts, next_at) SELECT DISTINCT 'result_ready', 'person', m.person_id, '{}', m.district_code, \
             $1, 'queued', 0, $1 FROM tubes t JOIN samples m ON m.tube_id = t.tube_id \
             WHERE t.result_file_id = $2 AND t.size = 1 AND t.result IN ('negative', 'positive')",
        )
        .bind(now)
        .bind(file_id)
        .execute(&mut tx)
        .await?;
        let mut out = ResultsApplied {
            new: true,
            tasks_opened: retests + resamples,
            tasks_closed,
            ..Default::default()
        };
        for r in query("SELECT result, COUNT(*) AS n FROM tubes WHERE result_file_id = $1 GROUP BY result")
            .bind(file_id)
            .fetch_all(&mut tx)
            .await?
        {
            let n: i64 = r.try_get("n")?;
            match result_of(&r.try_get::<String, _>("result")?)? {
                TubeResult::Negative => out.negative = n,
                TubeResult::Positive => out.positive = n,
                TubeResult::Invalid => out.invalid = n,
            }
        }
        if out.positive > 0 {
            for r in query(
                "SELECT t.tube_id, t.size, t.round_id, t.collected_at, m.person_id FROM tubes t \
                 JOIN samples m ON m.tube_id = t.tube_id \
                 WHERE t.result_file_id = $1 AND t.result = 'positive' ORDER BY t.tube_id, m.person_id",
            )
            .bind(file_id)
            .fetch_all(&mut tx)
            .await?
            {
                let tube_id: String = r.try_get("tube_id")?;
                let size: i64 = r.try_get("size")?;
                if size > 1 {
                    if out.positive_pools.last() != Some(&tube_id) {
                        out.positive_pools.push(tube_id);
                    }
                } else {
                    out.positive_singles.push(PositiveSingle {
                        tube_id,
                        person_id: r.try_get("person_id")?,
                        round_id: r.try_get("round_id")?,
                        collected_at: r.try_get("collected_at")?,
                    });
                }
            }
        }
        out.file = Some(set_rows(&mut tx, file_id, rows.len() as i64).await?);
        tx.commit().await?;
        Ok(Ok(out))
    }

    async fn test_files(&self, limit: u32) -> Result<Vec<TestFileRecord>> {
        query("SELECT * FROM test_files ORDER BY id DESC LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(file_record)
            .collect()
    }

    async fn tube(&self, tube_id: &str) -> Result<Option<TubeRecord>> {
        query("SELECT * FROM tubes WHERE tube_id = $1")
            .bind(tube_id)
            .fetch_optional(self.db())
            .await?
            .as_ref()
            .map(tube_record)
            .transpose()
    }

    async fn tube_members(&self, scope: &AreaPath, tube_id: &str) -> Result<Vec<TubeMember>> {
        let (lo, hi) = scope.subtree_range();
        query(
            "SELECT m.person_id, p.name, m.household_code, m.path FROM samples m \
             JOIN people p ON p.person_id = m.person_id \
             WHERE m.tube_id = $1 AND m.path >= $2 AND m.path < $3 ORDER BY m.path, m.person_id",
        )
        .bind(tube_id)
        .bind(lo)
        .bind(hi)
        .fetch_all(self.db())
        .await?
        .iter()
        .map(|r| {
            Ok(TubeMember {
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                household: code_of(r.try_get("household_code")?)?,
                path: AreaPath::from_stored(r.try_get("path")?),
            })
        })
        .collect()
    }

    async fn tubes_of(&self, person_id: &str, limit: u32) -> Result<Vec<TubeRecord>> {
        query(
            "SELECT t.* FROM samples m JOIN tubes t ON t.tube_id = m.tube_id WHERE m.person_id = $1 \
             ORDER BY t.collected_at DESC LIMIT $2",
        )
        .bind(person_id)
        .bind(i64::from(limit))
        .fetch_all(self.db())
        .await?
        .iter()
        .map(tube_record)
        .collect()
    }

    async fn tubes_with(&self, round_id: i64, result: TubeResult, limit: u32) -> Result<Vec<TubeRecord>> {
        query(
            "SELECT * FROM tubes WHERE round_id = $1 AND result = $2 \
             ORDER BY reported_at DESC, tube_id LIMIT $3",
        )
        .bind(round_id)
        .bind(result.as_str())
        .bind(i64::from(limit))
        .fetch_all(self.db())
        .await?
        .iter()
        .map(tube_record)
        .collect()
    }

    async fn round_totals(&self, round_id: i64, area: &AreaPath) -> Result<RoundTotals> {
        let (lo, hi) = area.subtree_range();
        let people = query(
            "SELECT COUNT(DISTINCT person_id) AS n FROM samples WHERE round_id = $1 AND path >= $2 AND path < $3",
        )
        .bind(round_id)
        .bind(&lo)
        .bind(&hi)
        .fetch_one(self.db())
        .await?
        .try_get("n")?;
        let mut totals = RoundTotals { people, ..Default::default() };
        for r in query(
            "SELECT t.result, COUNT(*) AS n FROM tubes t WHERE t.round_id = $1 AND t.tube_id IN \
             (SELECT m.tube_id FROM samples m WHERE m.round_id = $1 AND m.path >= $2 AND m.path < $3) \
             GROUP BY t.result",
        )
        .bind(round_id)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.db())
        .await?
        {
            let n: i64 = r.try_get("n")?;
            let result: Option<String> = r.try_get("result")?;
            totals.tubes += n;
            match result.as_deref().map(result_of).transpose()? {
                None => totals.pending = n,
                Some(TubeResult::Negative) => totals.negative = n,
                Some(TubeResult::Positive) => totals.positive = n,
                Some(TubeResult::Invalid) => totals.invalid = n,
            }
        }
        for r in query(
            "SELECT kind, COUNT(*) AS n FROM test_tasks WHERE done_at IS NULL AND round_id = $1 \
             AND path >= $2 AND path < $3 GROUP BY kind",
        )
        .bind(round_id)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.db())
        .await?
        {
            let n: i64 = r.try_get("n")?;
            match TaskKind::parse(&r.try_get::<String, _>("kind")?) {
                Some(TaskKind::Retest) => totals.open_retests = n,
                Some(TaskKind::Resample) => totals.open_resamples = n,
                None => {}
            }
        }
        Ok(totals)
    }

    async fn sampled_under(&self, round_id: i64, areas: &[AreaPath]) -> Result<Vec<i64>> {
        let mut out = Vec::with_capacity(areas.len());
        for a in areas {
            let (lo, hi) = a.subtree_range();
            out.push(
                query(
                    "SELECT COUNT(DISTINCT person_id) AS n FROM samples \
                     WHERE round_id = $1 AND path >= $2 AND path < $3",
                )
                .bind(round_id)
                .bind(lo)
                .bind(hi)
                .fetch_one(self.db())
                .await?
                .try_get("n")?,
            );
        }
        Ok(out)
    }

    async fn sweep(
        &self,
        round_id: i64,
        area: &AreaPath,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<PersonRecord>, i64)> {
        super::sweep::sweep(self, round_id, area, after, limit).await
    }

    async fn test_tasks(&self, scope: &AreaPath, q: &TaskQuery) -> Result<Vec<TaskRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!(
            "{TASK_SELECT} WHERE t.path >= $1 AND t.path < $2 AND ($3 = 0 OR t.round_id = $3) \
             AND ($4 = false OR t.done_at IS NULL) \
             ORDER BY t.done_at IS NOT NULL, t.kind DESC, t.path, p.name LIMIT $5"
        );
        Query::dynamic(sql)
            .bind(lo)
            .bind(hi)
            .bind(q.round_id.unwrap_or(0))
            .bind(q.open_only)
            .bind(i64::from(q.limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(task_record)
            .collect()
    }

    async fn tasks_of(&self, person_ids: &[String]) -> Result<Vec<TaskRecord>> {
        let mut out = Vec::new();
        for chunk in person_ids.chunks(crate::ROWS_PER_STATEMENT) {
            let sql = format!(
                "{TASK_SELECT} WHERE t.person_id IN ({}) ORDER BY t.done_at IS NOT NULL, t.created_at DESC",
                in_list(chunk.len(), 1)
            );
            let mut q = Query::dynamic(sql);
            for p in chunk {
                q = q.bind(p);
            }
            for r in q.fetch_all(self.db()).await? {
                out.push(task_record(&r)?);
            }
        }
        Ok(out)
    }
}
