//! 扫楼 in the store: the page of a round's sweep list and its count, without reading every
//! resident of the area (see `Testing::sweep`).

use cordon_domain::AreaPath;

use super::records::{CENTRAL, SETTLED, SWEEP_AWAY};
use crate::PersonRecord;
use crate::Result;
use crate::db::{Backed, Query, query};

pub(super) async fn sweep<B: Backed + ?Sized>(
    b: &B,
    round_id: i64,
    area: &AreaPath,
    after: Option<&str>,
    limit: u32,
) -> Result<(Vec<PersonRecord>, i64)> {
    let (lo, hi) = area.subtree_range();
    // The page goes on after this person, in the list's order: its door's path is where the
    // index range starts, so a late page costs what the first does.
    let cursor: (String, String, String) = match after {
        None => (lo.clone(), String::new(), String::new()),
        Some(id) => {
            let r = query("SELECT path, name, person_id FROM people WHERE person_id = $1")
                .bind(id)
                .fetch_optional(b.db())
                .await?
                .ok_or_else(|| crate::StoreError::NotFound(format!("after: person {id}")))?;
            (r.try_get("path")?, r.try_get("name")?, r.try_get("person_id")?)
        }
    };
    let start = if cursor.0 > lo { cursor.0.clone() } else { lo.clone() };
    let columns =
        crate::rows::PERSON_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {columns} FROM people p WHERE p.path >= $1 AND p.path < $2 AND p.status = 'active' \
         AND (p.path, p.name, p.person_id) > ($5, $6, $7) \
         AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.person_id = p.person_id AND s.round_id = $3) \
         AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.person_id) \
         AND NOT EXISTS (SELECT 1 FROM contacts k WHERE k.person_id = p.person_id AND {CENTRAL}) \
         AND NOT EXISTS (SELECT 1 FROM door_outcomes d WHERE d.round_id = $3 AND d.person_id = p.person_id \
           AND {SETTLED}) \
         AND NOT ({}) ORDER BY p.path, p.name, p.person_id LIMIT $4",
        SWEEP_AWAY.replace("tags", "p.tags")
    );
    let people = Query::dynamic(sql)
        .bind(&start)
        .bind(&hi)
        .bind(round_id)
        .bind(i64::from(limit))
        .bind(&cursor.0)
        .bind(&cursor.1)
        .bind(&cursor.2)
        .fetch_all(b.db())
        .await?
        .iter()
        .map(|r| crate::rows::person_record(r, b.keys()))
        .collect::<Result<Vec<_>>>()?;
    if after.is_none() && (people.len() as u32) < limit {
        let n = people.len() as i64;
        return Ok((people, n));
    }
    // Counted without reading every resident: the area's residents (those living there),
    // less those sampled (an index range), less the few living there left out and not
    // sampled (cases, contacts away, people away, doors settled).
    // The root is no area: its residents are those of the top areas.
    let residents: i64 = query(
        "SELECT CAST(COALESCE(SUM(residents), 0) AS BIGINT) AS n FROM areas \
         WHERE path = $1 OR ($1 = $2 AND parent_code IS NULL)",
    )
    .bind(area.as_str())
    .bind(AreaPath::root().as_str())
    .fetch_one(b.db())
    .await?
    .try_get("n")?;
    let sampled: i64 = query(
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT person_id FROM samples \
         WHERE round_id = $1 AND path >= $2 AND path < $3) x",
    )
    .bind(round_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_one(b.db())
    .await?
    .try_get("n")?;
    let left_out: i64 = Query::dynamic(format!(
        "SELECT COUNT(*) AS n FROM (SELECT person_id FROM cases WHERE path >= $1 AND path < $2 \
         UNION SELECT person_id FROM contacts k WHERE path >= $1 AND path < $2 AND {CENTRAL} \
         UNION SELECT person_id FROM people WHERE path >= $1 AND path < $2 AND ({SWEEP_AWAY}) \
         UNION SELECT person_id FROM door_outcomes d WHERE round_id = $3 AND path >= $1 AND path < $2 \
           AND {SETTLED}) x \
         WHERE NOT EXISTS (SELECT 1 FROM samples s WHERE s.person_id = x.person_id AND s.round_id = $3) \
         AND EXISTS (SELECT 1 FROM people q WHERE q.person_id = x.person_id AND q.status = 'active')"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(round_id)
    .fetch_one(b.db())
    .await?
    .try_get("n")?;
    // Samples are counted where they were taken; the few whose person has left the area, or
    // died, since (the register's changes say who) are added back, and those living here now
    // but sampled elsewhere taken off.
    let moved: i64 = query(
        "SELECT (SELECT COUNT(DISTINCT s.person_id) FROM samples s JOIN people p ON p.person_id = s.person_id \
           WHERE s.round_id = $3 AND s.path >= $1 AND s.path < $2 \
           AND s.person_id IN (SELECT person_id FROM person_changes) \
           AND (p.status <> 'active' OR p.path < $1 OR p.path >= $2)) \
         - (SELECT COUNT(*) FROM people p WHERE p.person_id IN (SELECT person_id FROM person_changes) \
           AND p.status = 'active' AND p.path >= $1 AND p.path < $2 \
           AND EXISTS (SELECT 1 FROM samples s WHERE s.person_id = p.person_id AND s.round_id = $3) \
           AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.person_id = p.person_id AND s.round_id = $3 \
             AND s.path >= $1 AND s.path < $2)) AS n",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(round_id)
    .fetch_one(b.db())
    .await?
    .try_get("n")?;
    let shown = people.len() as i64;
    Ok((people, (residents - sampled - left_out + moved).max(shown)))
}
