//! 合并重复登记: the register's likely duplicates, and the merge of two entries into one in one
//! transaction. The entry kept takes what it lacks from the other (sealed again under its own
//! row), and every record that named the other — scans, cases, contacts, tubes, tasks, passes,
//! gate decisions, needs, zones — names the kept one; where both had a record the table allows
//! once (a contact of one case, a member of one tube), the kept one's stays. The audit of reads
//! and the glasses broken keep the old id: they are what happened. The merge itself is kept in
//! `person_merges`, so the kept person's page tells where their history came from.

use chrono::{DateTime, Utc};
use cordon_domain::duplicates::{DuplicateReason, PersonFacts, merge_facts};
use cordon_domain::{AreaPath, PersonId};

use crate::{PersonRecord, Result};

/// Two entries that may be one person.
#[derive(Debug, Clone)]
pub struct DuplicatePair {
    pub a: PersonRecord,
    pub b: PersonRecord,
    pub reason: DuplicateReason,
}

/// A merge asked for: `duplicate` goes into `keep`; both must be inside `scope`.
#[derive(Debug, Clone)]
pub struct PersonMerge<'a> {
    pub scope: &'a AreaPath,
    pub keep: &'a PersonId,
    pub duplicate: &'a PersonId,
    pub by: &'a str,
    pub reason: &'a str,
    pub at: DateTime<Utc>,
}

/// A merge done (or, read back, one of the kept person's history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
    pub kept_id: String,
    pub merged_id: String,
    /// The records that now name the kept entry, by table: `samples 3, needs 1`.
    pub moved: String,
}

/// Where a merge moves references: (table, column), and the `DELETE`s that first drop the
/// duplicate's rows a unique key allows only once per person ($1 kept, $2 duplicate).
const MOVES: &[(&str, &str, &[&str])] = &[
    ("scans", "person_id", &[]),
    ("cases", "person_id", &[]),
    (
        "contacts",
        "person_id",
        &[
            "DELETE FROM followups WHERE contact_id IN (SELECT id FROM contacts WHERE person_id = $2 \
             AND case_id IN (SELECT case_id FROM contacts WHERE person_id = $1))",
            "DELETE FROM contacts WHERE person_id = $2 AND case_id IN (SELECT case_id FROM contacts WHERE person_id = $1)",
        ],
    ),
    ("contacts", "via_person_id", &[]),
    (
        "samples",
        "person_id",
        &[
            "DELETE FROM samples WHERE person_id = $2 AND tube_id IN (SELECT tube_id FROM samples WHERE person_id = $1)",
        ],
    ),
    (
        "test_tasks",
        "person_id",
        &["DELETE FROM test_tasks WHERE person_id = $2 AND EXISTS (SELECT 1 FROM test_tasks k \
             WHERE k.person_id = $1 AND k.tube_id = test_tasks.tube_id AND k.kind = test_tasks.kind)"],
    ),
    ("gate_passes", "person_id", &[]),
    ("gate_passages", "person_id", &[]),
    ("needs", "person_id", &[]),
    ("zones", "case_person_id", &[]),
    ("zone_events", "person_id", &[]),
    ("proposals", "case_person_id", &[]),
];

/// The candidate pairs, at most $3, strongest reason first; inside the path range ($1, $2) when
/// `scoped` (a reader below the city), else the whole register. Pairs whose ID numbers both exist
/// and differ are two people, whatever else they share; so are a man and a woman.
///
/// Each reason groups first (one pass over the range) and joins back only the keys held twice,
/// never person by person: common names recur by the thousand in a city. Name and birth year
/// are compared within one household, where a second registration lands; across a district the
/// same name and year is as often two people as one. For the whole register `scan` is what makes
/// the database read the table straight through rather than look each row up from an index that
/// lacks the grouped columns (SQLite's `NOT INDEXED`: 3.6 s instead of 21 s on 3.75 M people).
fn candidates(scoped: bool, scan: &str) -> String {
    let (range, pair_range) = if scoped {
        ("AND path >= $1 AND path < $2", "AND a.path >= $1 AND a.path < $2 AND b.path >= $1 AND b.path < $2")
    } else {
        ("", "")
    };
    format!(
        "SELECT a.person_id AS a_id, b.person_id AS b_id, 0 AS strength FROM ( \
            SELECT id_index FROM people WHERE id_index IS NOT NULL {range} \
             GROUP BY id_index HAVING count(*) > 1) g \
          JOIN people a ON a.id_index = g.id_index \
          JOIN people b ON b.id_index = g.id_index AND b.person_id > a.person_id \
         WHERE 1 = 1 {pair_range} \
        UNION ALL \
        SELECT a.person_id, b.person_id, 1 FROM ( \
            SELECT phone_index, name FROM people{scan} WHERE phone_index IS NOT NULL {range} \
             GROUP BY phone_index, name HAVING count(*) > 1) g \
          JOIN people a ON a.phone_index = g.phone_index AND a.name = g.name \
          JOIN people b ON b.phone_index = g.phone_index AND b.name = g.name AND b.person_id > a.person_id \
         WHERE (a.id_index IS NULL OR b.id_index IS NULL) {pair_range} \
        UNION ALL \
        SELECT a.person_id, b.person_id, 2 FROM ( \
            SELECT path, name, birth_year FROM people{scan} WHERE birth_year IS NOT NULL {range} \
             GROUP BY path, name, birth_year HAVING count(*) > 1) g \
          JOIN people a ON a.path = g.path AND a.name = g.name AND a.birth_year = g.birth_year \
          JOIN people b ON b.path = g.path AND b.name = g.name AND b.birth_year = g.birth_year \
                       AND b.person_id > a.person_id \
         WHERE (a.id_index IS NULL OR b.id_index IS NULL) \
           AND (a.sex = b.sex OR a.sex = 'unknown' OR b.sex = 'unknown') \
        ORDER BY strength, a_id, b_id LIMIT $3"
    )
}

fn facts(p: &PersonRecord) -> PersonFacts {
    PersonFacts {
        id_number: p.id_number.clone(),
        phone: p.phone.clone(),
        birth_year: p.birth_year,
        sex: p.sex,
        tags: p.tags.clone(),
    }
}

/// The pairs of the candidate rows, each pair once under its strongest reason.
fn pairs(rows: Vec<(String, String, i64)>) -> Vec<(String, String, DuplicateReason)> {
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|(a, b, _)| seen.insert((a.clone(), b.clone())))
        .map(|(a, b, s)| {
            let reason = usize::try_from(s).ok().and_then(|s| DuplicateReason::ALL.get(s).copied());
            (a, b, reason.unwrap_or(DuplicateReason::NameAndBirthYear))
        })
        .collect()
}

use crate::db::{Db, Query, Tx, query};
use crate::seal::{Field, Keyring};
use crate::{StoreError, rows};

async fn record(
    tx: &mut Tx,
    keys: &Keyring,
    scope: &AreaPath,
    id: &PersonId,
) -> Result<Option<PersonRecord>> {
    let (lo, hi) = scope.subtree_range();
    let sql = format!(
        "SELECT {} FROM people WHERE person_id = $1 AND path >= $2 AND path < $3{}",
        rows::PERSON_COLUMNS,
        tx.dialect().for_update
    );
    let row = Query::dynamic(sql).bind(id.as_str()).bind(lo).bind(hi).fetch_optional(&mut *tx).await?;
    row.as_ref().map(|r| rows::person_record(r, keys)).transpose()
}

pub(crate) async fn duplicates(
    pool: &Db,
    keys: &Keyring,
    scope: &AreaPath,
    limit: u32,
) -> Result<Vec<DuplicatePair>> {
    let (lo, hi) = scope.subtree_range();
    // A pair can come from two branches: a few more rows than asked, then each once.
    let scoped = scope != &AreaPath::root();
    let sql = candidates(scoped, if scoped { "" } else { pool.dialect().not_indexed });
    let rows = Query::dynamic(sql).bind(&lo).bind(&hi).bind(i64::from(limit) * 2).fetch_all(pool).await?;
    let rows: Vec<(String, String, i64)> = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, i64::from(r.try_get::<i32, _>(2)?))))
        .collect::<Result<_>>()?;
    let mut found = pairs(rows);
    found.truncate(limit as usize);
    let mut ids: Vec<&str> = found.iter().flat_map(|(a, b, _)| [a.as_str(), b.as_str()]).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut people = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!("SELECT {} FROM people WHERE person_id IN (", rows::PERSON_COLUMNS);
        for r in Query::dynamic(sql).push_list(chunk.iter().copied()).push(")").fetch_all(pool).await? {
            let p = rows::person_record(&r, keys)?;
            people.insert(p.person_id.as_str().to_owned(), p);
        }
    }
    Ok(found
        .into_iter()
        .filter_map(|(a, b, reason)| {
            Some(DuplicatePair { a: people.get(&a)?.clone(), b: people.get(&b)?.clone(), reason })
        })
        .collect())
}

pub(crate) async fn merge(pool: &Db, keys: &Keyring, m: &PersonMerge<'_>) -> Result<MergeRecord> {
    if m.keep == m.duplicate {
        return Err(StoreError::Invalid("duplicate_id: is the person kept".into()));
    }
    let mut tx: Tx = pool.begin().await?;
    let keep = record(&mut tx, keys, m.scope, m.keep).await?;
    let dup = record(&mut tx, keys, m.scope, m.duplicate).await?;
    let (Some(keep), Some(dup)) = (keep, dup) else {
        return Err(StoreError::NotFound("person".into()));
    };
    let merged = merge_facts(&facts(&keep), &facts(&dup)).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let cases: i64 = query("SELECT count(*) FROM cases WHERE person_id IN ($1, $2)")
        .bind(m.keep.as_str())
        .bind(m.duplicate.as_str())
        .scalar_one(&mut tx)
        .await?;
    if cases == 2 {
        return Err(StoreError::Conflict("both entries are cases: two cases are not merged here".into()));
    }
    let mut moved = Vec::new();
    for (table, column, first) in MOVES {
        for delete in *first {
            query(delete).bind(m.keep.as_str()).bind(m.duplicate.as_str()).execute(&mut tx).await?;
        }
        let sql = format!("UPDATE {table} SET {column} = $1 WHERE {column} = $2");
        let n = Query::dynamic(sql)
            .bind(m.keep.as_str())
            .bind(m.duplicate.as_str())
            .execute(&mut tx)
            .await?
            .rows_affected();
        if n > 0 {
            moved.push(format!("{table} {n}"));
        }
    }
    // Who is in or out at the gates: the later of the two stands, under the kept key.
    let (k, d) = (format!("person:{}", m.keep.as_str()), format!("person:{}", m.duplicate.as_str()));
    query(
        "DELETE FROM gate_presence WHERE subject_key IN ($1, $2) \
         AND at < (SELECT max(at) FROM gate_presence WHERE subject_key IN ($1, $2))",
    )
    .bind(&k)
    .bind(&d)
    .execute(&mut tx)
    .await?;
    query("DELETE FROM gate_presence WHERE subject_key = $2 AND EXISTS (SELECT 1 FROM gate_presence WHERE subject_key = $1)")
        .bind(&k)
        .bind(&d)
        .execute(&mut tx)
        .await?;
    query("UPDATE gate_presence SET subject_key = $1, person_id = $3 WHERE subject_key = $2")
        .bind(&k)
        .bind(&d)
        .bind(m.keep.as_str())
        .execute(&mut tx)
        .await?;
    query("UPDATE gate_passages SET subject_key = $1 WHERE subject_key = $2")
        .bind(&k)
        .bind(&d)
        .execute(&mut tx)
        .await?;

    // The kept entry, filled, sealed under its own row.
    let row = m.keep.as_str();
    let seal = |field: Field, v: Option<&str>| {
        (v.map(|v| keys.seal(field, row, v)), v.map(|v| keys.blind(field, v)))
    };
    let (id_sealed, id_index) = seal(Field::IdNumber, merged.id_number.as_deref());
    let (phone_sealed, phone_index) = seal(Field::Phone, merged.phone.as_deref());
    query(
        "UPDATE people SET id_sealed = $1, id_index = $2, phone_sealed = $3, phone_index = $4, \
         birth_year = $5, sex = $6, tags = $7, vulnerable = $8 WHERE person_id = $9",
    )
    .bind(id_sealed)
    .bind(id_index)
    .bind(phone_sealed)
    .bind(phone_index)
    .bind(merged.birth_year)
    .bind(merged.sex.as_str())
    .bind(merged.tags.to_stored())
    .bind(!merged.tags.is_empty())
    .bind(row)
    .execute(&mut tx)
    .await?;
    query("DELETE FROM people WHERE person_id = $1").bind(m.duplicate.as_str()).execute(&mut tx).await?;

    // The counts above each household (a household's own are read live), where the entry
    // gone was counted: only a person living in the register is.
    let left: i64 = query("SELECT count(*) FROM people WHERE path = $1 AND status = 'active'")
        .bind(dup.path.as_str())
        .scalar_one(&mut tx)
        .await?;
    let above =
        |p: &AreaPath| p.ids().collect::<Vec<_>>().split_last().map(|(_, a)| a.to_vec()).unwrap_or_default();
    let dup_vulnerable = i64::from(!dup.tags.is_empty());
    for id in above(&dup.path).into_iter().filter(|_| dup.status.is_active()) {
        query("UPDATE areas SET residents = residents - 1, vulnerable = vulnerable - $1, households = households - $2 WHERE id = $3")
            .bind(dup_vulnerable)
            .bind(i64::from(left == 0))
            .bind(id)
            .execute(&mut tx)
            .await?;
    }
    let gained = i64::from(!merged.tags.is_empty()) - i64::from(!keep.tags.is_empty());
    if gained != 0 && keep.status.is_active() {
        for id in above(&keep.path) {
            query("UPDATE areas SET vulnerable = vulnerable + $1 WHERE id = $2")
                .bind(gained)
                .bind(id)
                .execute(&mut tx)
                .await?;
        }
    }
    query(crate::BUMP_AREAS_VERSION).execute(&mut tx).await?;
    let moved = moved.join(", ");
    let id: i64 = query(
        "INSERT INTO person_merges (at, by_user, reason, kept_id, merged_id, moved) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(m.at)
    .bind(m.by)
    .bind(m.reason)
    .bind(m.keep.as_str())
    .bind(m.duplicate.as_str())
    .bind(&moved)
    .scalar_one(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(MergeRecord {
        id,
        at: m.at,
        by: m.by.to_owned(),
        reason: m.reason.to_owned(),
        kept_id: m.keep.as_str().to_owned(),
        merged_id: m.duplicate.as_str().to_owned(),
        moved,
    })
}

/// The merges into `kept`, and the one `merged` went into: a person's history.
pub(crate) async fn merges(pool: &Db, person: &PersonId) -> Result<Vec<MergeRecord>> {
    let rows = query(
        "SELECT id, at, by_user, reason, kept_id, merged_id, moved FROM person_merges \
         WHERE kept_id = $1 OR merged_id = $1 ORDER BY id",
    )
    .bind(person.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MergeRecord {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                by: r.try_get("by_user")?,
                reason: r.try_get("reason")?,
                kept_id: r.try_get("kept_id")?,
                merged_id: r.try_get("merged_id")?,
                moved: r.try_get("moved")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_found_twice_is_listed_once_under_its_strongest_reason() {
        let rows = vec![
            ("a".into(), "b".into(), 0),
            ("a".into(), "c".into(), 1),
            ("a".into(), "b".into(), 2),
            ("d".into(), "e".into(), 2),
        ];
        let p = pairs(rows);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].2, DuplicateReason::SameIdNumber);
        assert_eq!(p[2], ("d".into(), "e".into(), DuplicateReason::NameAndBirthYear));
    }
}
