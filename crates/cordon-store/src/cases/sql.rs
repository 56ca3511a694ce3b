//! The SQL of the case store, written once for both backends.

use chrono::{DateTime, Utc};
use cordon_domain::notice::Transport;
use cordon_domain::{AreaPath, CaseClass, ContactKind, ContactSource, ContactStatus};

use crate::cases::*;
use crate::db::{Backed, DbRow, Query, Tx, query};
use crate::{Result, StoreError, code_of};

fn venue_record(r: &DbRow) -> Result<VenueRecord> {
    Ok(VenueRecord {
        venue: Venue {
            venue_id: r.try_get("venue_id")?,
            name: r.try_get("name")?,
            area: code_of(r.try_get("area_code")?)?,
            kind: r.try_get("kind")?,
        },
        area_name: r.try_get("area_name")?,
        path: AreaPath::from_stored(r.try_get("path")?),
    })
}

fn case_record(r: &DbRow) -> Result<CaseRecord> {
    Ok(CaseRecord {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        name: r.try_get("name")?,
        household: code_of(r.try_get("household_code")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        class: parse_col("class", r.try_get("class")?, CaseClass::parse)?,
        onset: r.try_get("onset_date")?,
        sampled_at: r.try_get("sampled_at")?,
        infectious_from: r.try_get("infectious_from")?,
        isolated_at: r.try_get("isolated_at")?,
        isolation_place: r.try_get("isolation_place")?,
        source_case_id: r.try_get("source_case_id")?,
        profile_key: r.try_get("profile_key")?,
        traced_at: r.try_get("traced_at")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        outcome: r
            .try_get::<Option<String>, _>("outcome")?
            .map(|o| parse_col("outcome", &o, cordon_domain::CaseOutcome::parse))
            .transpose()?,
        outcome_at: r.try_get("outcome_at")?,
        outcome_place: r.try_get("outcome_place")?,
        outcome_stay_id: r.try_get("outcome_stay_id")?,
        monitoring_until: r.try_get("monitoring_until")?,
    })
}

fn event_record(r: &DbRow) -> Result<CaseEventRecord> {
    let detail: String = r.try_get("detail")?;
    Ok(CaseEventRecord {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        at: r.try_get("at")?,
        change: serde_json::from_str(&detail)
            .map_err(|e| StoreError::Invalid(format!("stored case event: {e}")))?,
        recorded_by: r.try_get("recorded_by")?,
    })
}

fn segment_record(r: &DbRow) -> Result<SegmentRecord> {
    let transport: Option<String> = r.try_get("transport")?;
    Ok(SegmentRecord {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        venue_id: r.try_get("venue_id")?,
        area: code_of(r.try_get("area_code")?)?,
        area_name: r.try_get("area_name")?,
        path: AreaPath::from_stored(r.try_get("path")?),
        place: r.try_get("place")?,
        transport: transport.as_deref().map(|t| parse_col("transport", t, Transport::parse)).transpose()?,
        transport_detail: r.try_get("transport_detail")?,
    })
}

pub(crate) fn contact_record(r: &DbRow) -> Result<ContactRecord> {
    let path: Option<String> = r.try_get("path")?;
    Ok(ContactRecord {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        case_profile_key: r.try_get("case_profile_key")?,
        person_id: r.try_get("person_id")?,
        name: r.try_get("name")?,
        path: path.map(AreaPath::from_stored),
        kind: parse_col("contact kind", r.try_get("kind")?, ContactKind::parse)?,
        source: parse_col("contact source", r.try_get("source")?, ContactSource::parse)?,
        via_person_id: r.try_get("via_person_id")?,
        venue_id: r.try_get("venue_id")?,
        venue_name: r.try_get("venue_name")?,
        exposure_at: r.try_get("exposure_at")?,
        identified_at: r.try_get("identified_at")?,
        quarantine_from: r.try_get("quarantine_from")?,
        status: parse_col("contact status", r.try_get("status")?, ContactStatus::parse)?,
        place: r.try_get("place")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
        plan_ends: r.try_get("plan_ends")?,
        became_case_id: r.try_get("became_case_id")?,
        released_at: r.try_get("released_at")?,
        overdue_since: r.try_get("overdue_since")?,
    })
}

fn notice_record(r: &DbRow) -> Result<NoticeRecord> {
    let status: String = r.try_get("status")?;
    Ok(NoticeRecord {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        status: NoticeStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("stored notice status {status:?}")))?,
        k: r.try_get("k")?,
        text_zh: r.try_get("text_zh")?,
        text_en: r.try_get("text_en")?,
        generalised: r.try_get("generalised")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        published_at: r.try_get("published_at")?,
        published_by: r.try_get("published_by")?,
    })
}

/// The case as it stands, its row held first (PostgreSQL; SQLite's transaction holds the write
/// lock): two changes to one case are written one after the other, each against what the other
/// left.
pub(super) async fn locked_case(tx: &mut Tx, id: i64) -> Result<CaseRecord> {
    let lock = format!("SELECT id FROM cases WHERE id = $1{}", tx.dialect().for_update);
    Query::dynamic(lock).bind(id).fetch_optional(&mut *tx).await?;
    case_by_id(tx, id).await
}

async fn case_by_id(tx: &mut Tx, id: i64) -> Result<CaseRecord> {
    let sql = format!("{CASE_SELECT} WHERE c.id = $1");
    let r = Query::dynamic(sql).bind(id).fetch_optional(&mut *tx).await?;
    case_record(&r.ok_or_else(|| StoreError::NotFound(format!("case {id}")))?)
}

pub(super) async fn append(
    tx: &mut Tx,
    case_id: i64,
    change: &CaseChange,
    at: DateTime<Utc>,
    by: &str,
) -> Result<CaseEventRecord> {
    let r = query(
        "INSERT INTO case_events (case_id, at, kind, detail, recorded_by) VALUES ($1, $2, $3, $4, $5) \
         RETURNING *",
    )
    .bind(case_id)
    .bind(at)
    .bind(change.kind())
    .bind(serde_json::to_string(change).expect("a case change always serialises"))
    .bind(by)
    .fetch_one(&mut *tx)
    .await?;
    event_record(&r)
}

async fn check_source(tx: &mut Tx, case_id: Option<i64>, source: Option<i64>) -> Result<()> {
    let Some(source) = source else { return Ok(()) };
    if Some(source) == case_id {
        return Err(StoreError::Invalid("a case cannot be its own source".into()));
    }
    let found = query("SELECT id FROM cases WHERE id = $1").bind(source).fetch_optional(&mut *tx).await?;
    if found.is_none() {
        return Err(StoreError::NotFound(format!("source case {source}")));
    }
    // Walking up from the source must not reach this case: the chain is a tree.
    let mut at = Some(source);
    let mut steps = 0;
    while let Some(id) = at {
        if Some(id) == case_id {
            return Err(StoreError::Invalid(format!(
                "case {source} caught it from this case already: the chain would loop"
            )));
        }
        steps += 1;
        if steps > 10_000 {
            break;
        }
        at = query("SELECT source_case_id FROM cases WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("source_case_id")?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl<S: Backed> Cases for S {
    async fn put_venues(&self, venues: &[Venue]) -> Result<usize> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        for (i, v) in venues.iter().enumerate() {
            let area = query("SELECT code FROM areas WHERE code = $1")
                .bind(v.area.as_str())
                .fetch_optional(&mut tx)
                .await?;
            if area.is_none() {
                return Err(StoreError::NotFound(format!(
                    "area {} of venue {} (row {})",
                    v.area,
                    v.venue_id,
                    i + 1
                )));
            }
            query(
                "INSERT INTO venues (venue_id, name, area_code, kind) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (venue_id) DO UPDATE SET name = excluded.name, \
                 area_code = excluded.area_code, kind = excluded.kind",
            )
            .bind(&v.venue_id)
            .bind(&v.name)
            .bind(v.area.as_str())
            .bind(&v.kind)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(venues.len())
    }

    async fn venues(&self, ids: &[String]) -> Result<Vec<VenueRecord>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(crate::ROWS_PER_STATEMENT) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT v.*, a.name AS area_name, a.path FROM venues v JOIN areas a ON a.code = v.area_code \
                 WHERE v.venue_id IN ({})",
                params.join(", ")
            );
            let mut q = Query::dynamic(sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(self.db()).await? {
                out.push(venue_record(&r)?);
            }
        }
        Ok(out)
    }

    async fn venues_in(&self, scope: &AreaPath, limit: u32) -> Result<Vec<VenueRecord>> {
        let (lo, hi) = scope.subtree_range();
        query(
            "SELECT v.*, a.name AS area_name, a.path FROM venues v JOIN areas a ON a.code = v.area_code \
             WHERE a.path >= $1 AND a.path < $2 ORDER BY v.name, v.venue_id LIMIT $3",
        )
        .bind(lo)
        .bind(hi)
        .bind(i64::from(limit))
        .fetch_all(self.db())
        .await?
        .iter()
        .map(venue_record)
        .collect()
    }

    async fn add_scans(
        &self,
        file: &ScanFile,
        rows: &mut (dyn Iterator<Item = ScanRow> + Send),
    ) -> Result<(ScanFileRecord, bool)> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        let earlier = query("SELECT id, rows FROM scan_files WHERE sha256 = $1")
            .bind(&file.sha256)
            .fetch_optional(&mut tx)
            .await?;
        if let Some(r) = earlier {
            let rec = ScanFileRecord { id: r.try_get("id")?, file: file.clone(), rows: r.try_get("rows")? };
            return Ok((rec, false));
        }
        let id: i64 = query(
            "INSERT INTO scan_files (sha256, name, rows, imported_at, imported_by) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&file.sha256)
        .bind(&file.name)
        .bind(0i64)
        .bind(file.at)
        .bind(&file.by)
        .fetch_one(&mut tx)
        .await?
        .try_get("id")?;
        // Four parameters a row, well under both backends' limits.
        let mut count = 0i64;
        loop {
            let chunk: Vec<ScanRow> = (&mut *rows).take(crate::ROWS_PER_STATEMENT).collect();
            if chunk.is_empty() {
                break;
            }
            count += chunk.len() as i64;
            let mut sql =
                String::from("INSERT INTO scans (person_id, venue_id, scanned_at, file_id) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = i * 4;
                sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
            }
            let mut q = Query::dynamic(sql);
            for r in chunk {
                q = q.bind(r.person_id).bind(r.venue_id).bind(r.scanned_at).bind(id);
            }
            q.execute(&mut tx).await?;
        }
        query("UPDATE scan_files SET rows = $1 WHERE id = $2").bind(count).bind(id).execute(&mut tx).await?;
        tx.commit().await?;
        Ok((ScanFileRecord { id, file: file.clone(), rows: count }, true))
    }

    async fn scans_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, ScanRow)>> {
        query("SELECT id, person_id, venue_id, scanned_at FROM scans WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    ScanRow {
                        person_id: r.try_get("person_id")?,
                        venue_id: r.try_get("venue_id")?,
                        scanned_at: r.try_get("scanned_at")?,
                    },
                ))
            })
            .collect()
    }

    async fn scan_files(&self, limit: u32) -> Result<Vec<ScanFileRecord>> {
        query("SELECT * FROM scan_files ORDER BY id DESC LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| {
                Ok(ScanFileRecord {
                    id: r.try_get("id")?,
                    file: ScanFile {
                        sha256: r.try_get("sha256")?,
                        name: r.try_get("name")?,
                        at: r.try_get("imported_at")?,
                        by: r.try_get("imported_by")?,
                    },
                    rows: r.try_get("rows")?,
                })
            })
            .collect()
    }

    async fn open_case(&self, scope: &AreaPath, c: &NewCase) -> Result<CaseRecord> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        let (lo, hi) = scope.subtree_range();
        let person =
            query("SELECT path, district_code FROM people WHERE person_id = $1 AND path >= $2 AND path < $3")
                .bind(c.person_id.as_str())
                .bind(&lo)
                .bind(&hi)
                .fetch_optional(&mut tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("person {}", c.person_id)))?;
        let path: String = person.try_get("path")?;
        let district: Option<String> = person.try_get("district_code")?;
        let earlier = query("SELECT id FROM cases WHERE person_id = $1")
            .bind(c.person_id.as_str())
            .fetch_optional(&mut tx)
            .await?;
        if let Some(r) = earlier {
            let id: i64 = r.try_get("id")?;
            return Err(StoreError::Conflict(format!(
                "person {} is case {id} already: reclassify that one",
                c.person_id
            )));
        }
        check_source(&mut tx, None, c.source_case_id).await?;
        let id: i64 = query(
            "INSERT INTO cases (person_id, path, district_code, class, onset_date, sampled_at, \
             infectious_from, isolated_at, isolation_place, source_case_id, profile_key, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(c.person_id.as_str())
        .bind(&path)
        .bind(district)
        .bind(c.class.as_str())
        .bind(c.onset)
        .bind(c.sampled_at)
        .bind(c.infectious_from)
        .bind(c.isolated_at)
        .bind(&c.isolation_place)
        .bind(c.source_case_id)
        .bind(&c.profile_key)
        .bind(c.at)
        .bind(&c.by)
        .fetch_one(&mut tx)
        .await?
        .try_get("id")?;
        append(&mut tx, id, &CaseChange::Opened { class: c.class }, c.at, &c.by).await?;
        if !c.note.trim().is_empty() {
            append(&mut tx, id, &CaseChange::Note { text: c.note.clone() }, c.at, &c.by).await?;
        }
        if let Some(at) = c.isolated_at {
            let change = CaseChange::Isolated { at, place: c.isolation_place.clone() };
            append(&mut tx, id, &change, c.at, &c.by).await?;
        }
        if c.source_case_id.is_some() {
            let change = CaseChange::Linked { source_case_id: c.source_case_id };
            append(&mut tx, id, &change, c.at, &c.by).await?;
        }
        // A contact who became a case is no longer followed as a contact.
        query(
            "DELETE FROM followups WHERE contact_id IN (SELECT id FROM contacts WHERE person_id = $1 \
             AND status IN ('identified', 'quarantined'))",
        )
        .bind(c.person_id.as_str())
        .execute(&mut tx)
        .await?;
        query(
            "UPDATE contacts SET status = 'became_case', became_case_id = $4, updated_at = $1, updated_by = $2 \
             WHERE person_id = $3 AND status <> 'became_case'",
        )
        .bind(c.at)
        .bind(&c.by)
        .bind(c.person_id.as_str())
        .bind(id)
        .execute(&mut tx)
        .await?;
        let rec = case_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn case(&self, scope: &AreaPath, id: i64) -> Result<Option<CaseRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!("{CASE_SELECT} WHERE c.id = $1 AND c.path >= $2 AND c.path < $3");
        Query::dynamic(sql)
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_optional(self.db())
            .await?
            .as_ref()
            .map(case_record)
            .transpose()
    }

    async fn cases(&self, scope: &AreaPath, limit: u32) -> Result<Vec<CaseRecord>> {
        self.case_list(scope, &CaseListQuery { limit, ..Default::default() }).await
    }

    async fn case_list(&self, scope: &AreaPath, q: &CaseListQuery) -> Result<Vec<CaseRecord>> {
        // Only the filters asked for are in the statement, as for contacts.
        let (lo, hi) = scope.subtree_range();
        let mut sql =
            Query::dynamic(CASE_SELECT).push(" WHERE c.path >= $1 AND c.path < $2").bind(lo).bind(hi);
        if q.open_only {
            sql = sql.push(" AND (c.outcome IS NULL OR c.outcome NOT IN ('recovered', 'died'))");
        }
        if let Some(outcome) = q.outcome {
            sql = sql.push(" AND c.outcome = ").push_bind(outcome.as_str());
        }
        if let Some(from) = q.sampled_from {
            sql = sql.push(" AND c.sampled_at >= ").push_bind(from);
        }
        if let Some(before) = q.sampled_before {
            sql = sql.push(" AND c.sampled_at < ").push_bind(before);
        }
        sql.push(" ORDER BY c.sampled_at DESC, c.id DESC LIMIT ")
            .push_bind(i64::from(q.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(q.offset))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(case_record)
            .collect()
    }

    async fn case_of_person(&self, person_id: &str) -> Result<Option<i64>> {
        query("SELECT id FROM cases WHERE person_id = $1")
            .bind(person_id)
            .fetch_optional(self.db())
            .await?
            .map(|r| r.try_get("id"))
            .transpose()
            .map_err(Into::into)
    }

    async fn chain(&self) -> Result<Vec<ChainRow>> {
        query("SELECT id, source_case_id, class, path, sampled_at FROM cases ORDER BY id")
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| {
                Ok(ChainRow {
                    id: r.try_get("id")?,
                    source_case_id: r.try_get("source_case_id")?,
                    class: parse_col("class", r.try_get("class")?, CaseClass::parse)?,
                    path: AreaPath::from_stored(r.try_get("path")?),
                    sampled_at: r.try_get("sampled_at")?,
                })
            })
            .collect()
    }

    async fn case_people(&self) -> Result<Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)>> {
        query("SELECT person_id, infectious_from, isolated_at FROM cases")
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("person_id")?, r.try_get("infectious_from")?, r.try_get("isolated_at")?)))
            .collect()
    }

    async fn change_case(
        &self,
        case_id: i64,
        change: &CaseChange,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<CaseEventRecord> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        let case = locked_case(&mut tx, case_id).await?;
        match change {
            CaseChange::Reclassified { from, to } => {
                if *from != case.class {
                    return Err(StoreError::Conflict(format!(
                        "case {case_id} is {} now, not {}",
                        case.class.as_str(),
                        from.as_str()
                    )));
                }
                if from == to {
                    return Err(StoreError::Invalid(format!("case {case_id} is {} already", to.as_str())));
                }
                query("UPDATE cases SET class = $1 WHERE id = $2")
                    .bind(to.as_str())
                    .bind(case_id)
                    .execute(&mut tx)
                    .await?;
            }
            CaseChange::Isolated { at: when, place } => {
                query("UPDATE cases SET isolated_at = $1, isolation_place = $2 WHERE id = $3")
                    .bind(*when)
                    .bind(place)
                    .bind(case_id)
                    .execute(&mut tx)
                    .await?;
            }
            CaseChange::Linked { source_case_id } => {
                check_source(&mut tx, Some(case_id), *source_case_id).await?;
                query("UPDATE cases SET source_case_id = $1 WHERE id = $2")
                    .bind(*source_case_id)
                    .bind(case_id)
                    .execute(&mut tx)
                    .await?;
            }
            CaseChange::Traced { .. } => {
                query("UPDATE cases SET traced_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(case_id)
                    .execute(&mut tx)
                    .await?;
            }
            CaseChange::Opened { .. } => {
                return Err(StoreError::Invalid("a case is opened once".into()));
            }
            CaseChange::Note { .. } => {}
            CaseChange::Outcome { .. } => super::outcome::set_outcome(&mut tx, &case, change, at, by).await?,
        }
        let e = append(&mut tx, case_id, change, at, by).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn negative_tests(&self, person_id: &str) -> Result<Vec<DateTime<Utc>>> {
        let rows = query(
            "SELECT t.collected_at FROM samples s JOIN tubes t ON t.tube_id = s.tube_id \
             WHERE s.person_id = $1 AND t.result = 'negative' ORDER BY t.collected_at",
        )
        .bind(person_id)
        .fetch_all(self.db())
        .await?;
        rows.iter().map(|r| Ok(r.try_get("collected_at")?)).collect()
    }

    async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEventRecord>> {
        query("SELECT * FROM case_events WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(self.db())
            .await?
            .iter()
            .map(event_record)
            .collect()
    }

    async fn add_segment(&self, case_id: i64, s: &NewSegment) -> Result<SegmentRecord> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        case_by_id(&mut tx, case_id).await?;
        let (area, place): (String, String) = match (&s.venue_id, &s.area) {
            (Some(v), _) => {
                let r = query("SELECT area_code, name FROM venues WHERE venue_id = $1")
                    .bind(v)
                    .fetch_optional(&mut tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("venue {v}")))?;
                let name: String = r.try_get("name")?;
                (r.try_get("area_code")?, if s.place.trim().is_empty() { name } else { s.place.clone() })
            }
            (None, Some(a)) => {
                let r = query("SELECT code FROM areas WHERE code = $1")
                    .bind(a.as_str())
                    .fetch_optional(&mut tx)
                    .await?;
                if r.is_none() {
                    return Err(StoreError::NotFound(format!("area {a}")));
                }
                (a.as_str().to_owned(), s.place.clone())
            }
            (None, None) => {
                return Err(StoreError::Invalid("a segment needs a venue or an area".into()));
            }
        };
        if s.ends_at.is_some_and(|e| e < s.starts_at) {
            return Err(StoreError::Invalid("a segment ends before it starts".into()));
        }
        let id: i64 = query(
            "INSERT INTO case_segments (case_id, starts_at, ends_at, venue_id, area_code, place, transport, \
             transport_detail, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(case_id)
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(&s.venue_id)
        .bind(&area)
        .bind(&place)
        .bind(s.transport.map(|t| t.as_str()))
        .bind(&s.transport_detail)
        .bind(&s.by)
        .fetch_one(&mut tx)
        .await?
        .try_get("id")?;
        let sql = format!("{SEGMENT_SELECT} WHERE s.id = $1");
        let r = Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?;
        let rec = segment_record(&r)?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn remove_segment(&self, case_id: i64, segment_id: i64) -> Result<()> {
        let done = query("DELETE FROM case_segments WHERE id = $1 AND case_id = $2")
            .bind(segment_id)
            .bind(case_id)
            .execute(self.db())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("segment {segment_id} of case {case_id}")));
        }
        Ok(())
    }

    async fn segments(&self, case_id: i64) -> Result<Vec<SegmentRecord>> {
        let sql = format!("{SEGMENT_SELECT} WHERE s.case_id = $1 ORDER BY s.starts_at, s.id");
        Query::dynamic(sql).bind(case_id).fetch_all(self.db()).await?.iter().map(segment_record).collect()
    }

    async fn save_contacts(
        &self,
        case_id: i64,
        contacts: &[NewContact],
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Saved> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        case_by_id(&mut tx, case_id).await?;
        let mut saved = Saved::default();
        for c in contacts {
            // The household's path, when the contact is in the register. Read apart, not as a
            // subquery of the insert: Citus takes no subquery in an INSERT's values.
            let path: Option<String> = query("SELECT path FROM people WHERE person_id = $1")
                .bind(&c.person_id)
                .scalar_optional(&mut tx)
                .await?;
            let r = query(
                "INSERT INTO contacts (case_id, person_id, path, kind, source, via_person_id, venue_id, \
                 exposure_at, identified_at, quarantine_from, status, place, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'identified', '', $9, $11) \
                 ON CONFLICT (case_id, person_id) DO NOTHING RETURNING id",
            )
            .bind(case_id)
            .bind(&c.person_id)
            .bind(path)
            .bind(c.kind.as_str())
            .bind(c.source.as_str())
            .bind(&c.via_person_id)
            .bind(&c.venue_id)
            .bind(c.exposure_at)
            .bind(at)
            .bind(c.quarantine_from)
            .bind(by)
            .fetch_optional(&mut tx)
            .await?;
            if let Some(r) = r {
                saved.added += 1;
                // Identified: followed from now, until the plan's end.
                query("INSERT INTO followups (contact_id, plan_ends) VALUES ($1, $2)")
                    .bind(r.try_get::<i64, _>("id")?)
                    .bind(c.plan_ends)
                    .execute(&mut tx)
                    .await?;
            } else {
                saved.kept += 1;
                // A later tracing can find an earlier exposure, or a secondary contact
                // who turns out to be close; the follow-up status stays. A close contact's
                // plan is not a secondary one's: its end is found again by the release's run.
                query(
                    "UPDATE followups SET plan_ends = NULL WHERE contact_id IN (SELECT id FROM contacts \
                     WHERE case_id = $2 AND person_id = $3 AND kind = 'secondary' AND $1 = 'close')",
                )
                .bind(c.kind.as_str())
                .bind(case_id)
                .bind(&c.person_id)
                .execute(&mut tx)
                .await?;
                query(
                    "UPDATE contacts SET kind = $1, source = $2, via_person_id = $3, venue_id = $4, \
                     exposure_at = $5 WHERE case_id = $6 AND person_id = $7 \
                     AND (kind = 'secondary' AND $1 = 'close' OR exposure_at > $5 AND kind = $1)",
                )
                .bind(c.kind.as_str())
                .bind(c.source.as_str())
                .bind(&c.via_person_id)
                .bind(&c.venue_id)
                .bind(c.exposure_at)
                .bind(case_id)
                .bind(&c.person_id)
                .execute(&mut tx)
                .await?;
            }
        }
        let close = contacts.iter().filter(|c| c.kind == ContactKind::Close).count() as i64;
        let change =
            CaseChange::Traced { close, secondary: contacts.len() as i64 - close, added: saved.added };
        query("UPDATE cases SET traced_at = $1 WHERE id = $2")
            .bind(at)
            .bind(case_id)
            .execute(&mut tx)
            .await?;
        append(&mut tx, case_id, &change, at, by).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn contacts(&self, scope: &AreaPath, q: &ContactQuery) -> Result<Vec<ContactRecord>> {
        // Only the filters asked for are in the statement, so a person's or a case's contacts
        // are found on their index rather than by reading every contact of the scope (a clause
        // like `($n = '' OR t.person_id = $n)` keeps the planner off the index).
        let (lo, hi) = scope.subtree_range();
        let mut sql = Query::dynamic(CONTACT_SELECT)
            .push(" WHERE ((t.path >= $1 AND t.path < $2) OR (k.path >= $1 AND k.path < $2))")
            .bind(lo)
            .bind(hi);
        if let Some(case_id) = q.case_id {
            sql = sql.push(" AND t.case_id = ").push_bind(case_id);
        }
        if let Some(kind) = q.kind {
            sql = sql.push(" AND t.kind = ").push_bind(kind.as_str());
        }
        if q.active_only {
            sql = sql.push(" AND t.status IN ('identified', 'quarantined', 'unreachable')");
        }
        if let Some(area) = &q.living_in {
            let (in_lo, in_hi) = area.subtree_range();
            sql = sql.push(" AND t.path >= ").push_bind(in_lo).push(" AND t.path < ").push_bind(in_hi);
        }
        if let Some(person) = &q.person_id {
            sql = sql.push(" AND t.person_id = ").push_bind(person.as_str());
        }
        if q.overdue_only {
            sql = sql.push(" AND f.overdue_since IS NOT NULL");
        }
        sql.push(" ORDER BY t.case_id, CASE t.kind WHEN 'close' THEN 0 ELSE 1 END, t.person_id, t.id LIMIT ")
            .push_bind(i64::from(q.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(q.offset))
            .fetch_all(self.db())
            .await?
            .iter()
            .map(contact_record)
            .collect()
    }

    async fn contact(&self, scope: &AreaPath, id: i64) -> Result<Option<ContactRecord>> {
        let (lo, hi) = scope.subtree_range();
        let sql = format!(
            "{CONTACT_SELECT} WHERE t.id = $3 AND ((t.path >= $1 AND t.path < $2) OR (k.path >= $1 AND k.path < $2))"
        );
        Query::dynamic(sql)
            .bind(lo)
            .bind(hi)
            .bind(id)
            .fetch_optional(self.db())
            .await?
            .as_ref()
            .map(contact_record)
            .transpose()
    }

    async fn update_contact(
        &self,
        id: i64,
        status: ContactStatus,
        place: &str,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<ContactRecord> {
        let mut tx = self.db().begin().await?;
        let done = query(
            "UPDATE contacts SET status = $1, place = $2, updated_at = $3, updated_by = $4, \
             released_at = CASE WHEN $1 <> 'released' THEN NULL WHEN status = 'released' THEN released_at \
             ELSE $3 END WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(place)
        .bind(at)
        .bind(by)
        .bind(id)
        .execute(&mut tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("contact {id}")));
        }
        crate::cases::followup::follow_as_status(&mut tx, id).await?;
        // Released: out of the hotel room too, which goes to cleaning.
        crate::stays::close_released_stays(&mut tx, &format!("[[{id}]]"), at, by).await?;
        let sql = format!("{CONTACT_SELECT} WHERE t.id = $1");
        let record = contact_record(&Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn contact_counts(&self, case_ids: &[i64]) -> Result<Vec<(i64, ContactCounts)>> {
        let mut out: Vec<(i64, ContactCounts)> = Vec::new();
        for chunk in case_ids.chunks(crate::ROWS_PER_STATEMENT) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT case_id, kind, COUNT(*) AS n FROM contacts WHERE case_id IN ({}) \
                 GROUP BY case_id, kind ORDER BY case_id",
                params.join(", ")
            );
            let mut q = Query::dynamic(sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.db()).await? {
                let id: i64 = r.try_get("case_id")?;
                let kind: String = r.try_get("kind")?;
                let n: i64 = r.try_get("n")?;
                if out.last().is_none_or(|l| l.0 != id) {
                    out.push((id, ContactCounts::default()));
                }
                let c = &mut out.last_mut().expect("pushed above").1;
                if kind == "close" {
                    c.close = n;
                } else {
                    c.secondary = n;
                }
            }
        }
        Ok(out)
    }

    async fn add_notice(&self, n: &NewNotice) -> Result<NoticeRecord> {
        let r = query(
            "INSERT INTO notices (case_id, status, k, text_zh, text_en, generalised, created_at, created_by) \
             VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(n.case_id)
        .bind(n.k)
        .bind(&n.text_zh)
        .bind(&n.text_en)
        .bind(n.generalised)
        .bind(n.at)
        .bind(&n.by)
        .fetch_one(self.db())
        .await?;
        notice_record(&r)
    }

    async fn notices(&self, case_id: i64) -> Result<Vec<NoticeRecord>> {
        query("SELECT * FROM notices WHERE case_id = $1 ORDER BY id DESC")
            .bind(case_id)
            .fetch_all(self.db())
            .await?
            .iter()
            .map(notice_record)
            .collect()
    }

    async fn publish_notice(
        &self,
        case_id: i64,
        id: i64,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<NoticeRecord> {
        let pool = self.db();
        let mut tx = pool.begin().await?;
        let r = query("SELECT status FROM notices WHERE id = $1 AND case_id = $2")
            .bind(id)
            .bind(case_id)
            .fetch_optional(&mut tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("notice {id} of case {case_id}")))?;
        let status: String = r.try_get("status")?;
        if status != "draft" {
            return Err(StoreError::Conflict(format!("notice {id} is {status}, not a draft")));
        }
        query("UPDATE notices SET status = 'withdrawn' WHERE case_id = $1 AND status = 'published'")
            .bind(case_id)
            .execute(&mut tx)
            .await?;
        let r = query(
            "UPDATE notices SET status = 'published', published_at = $1, published_by = $2 WHERE id = $3 \
             RETURNING *",
        )
        .bind(at)
        .bind(by)
        .bind(id)
        .fetch_one(&mut tx)
        .await?;
        let rec = notice_record(&r)?;
        tx.commit().await?;
        Ok(rec)
    }
}
