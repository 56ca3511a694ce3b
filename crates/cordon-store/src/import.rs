//! An import: areas and people landed in one transaction of the store's own, whole at
//! [`Import::commit`] or not at all. Into an empty register the people's indexes are dropped for
//! the load and built once at the end.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use cordon_domain::{AreaCode, AreaRow, PersonRow};

use crate::db::{Db, Query, Tx, Value, query};
use crate::rows;
use crate::seal::{Field, Keyring};
use crate::{Import, NewArea, Placed, ROWS_PER_STATEMENT, Rejected, Result, StoreError, Totals};

/// The secondary indexes of `people`: made after migrations, dropped and rebuilt around a bulk
/// load into an empty table (building an index once, sorted, beats maintaining it per row).
pub(crate) const PEOPLE_INDEXES: [(&str, &str); 4] = [
    ("people_name", "CREATE INDEX IF NOT EXISTS people_name ON people (name, path)"),
    ("people_phone_index", "CREATE INDEX IF NOT EXISTS people_phone_index ON people (phone_index)"),
    ("people_id_index", "CREATE INDEX IF NOT EXISTS people_id_index ON people (id_index)"),
    ("people_place", "CREATE INDEX IF NOT EXISTS people_place ON people (path, person_id, vulnerable)"),
];

pub(crate) struct SqlImport {
    tx: Tx,
    /// The pool, for what runs after the commit.
    db: Db,
    placed: Placed,
    dropped_indexes: bool,
    people_were_empty: bool,
    /// Into an empty map every area is one this import placed: a code missing from `placed`
    /// is missing from the store too, and is not looked for there (a city's load would
    /// otherwise probe the index for each of its 1.4 M new areas, and find none).
    areas_were_empty: bool,
    keys: Arc<Keyring>,
}

impl SqlImport {
    /// Opens the import's transaction. Imports queue one behind the other (they number areas
    /// from max(id)): SQLite's write transaction holds the database, PostgreSQL locks the two
    /// tables against other writers while readers go on.
    pub(crate) async fn begin(db: &Db, keys: Arc<Keyring>, bulk: bool) -> Result<Self> {
        let mut tx = db.begin().await?;
        if !tx.dialect().bulk_load.is_empty() {
            query(tx.dialect().bulk_load).execute(&mut tx).await?;
        }
        if tx.dialect().postgres {
            query("LOCK TABLE areas, people IN EXCLUSIVE MODE").execute(&mut tx).await?;
        }
        let next_id: i64 = query("SELECT coalesce(max(id), 0) + 1 FROM areas").scalar_one(&mut tx).await?;
        let people_empty: bool =
            query("SELECT NOT EXISTS (SELECT 1 FROM people)").scalar_one(&mut tx).await?;
        let areas_empty: bool = query("SELECT NOT EXISTS (SELECT 1 FROM areas)").scalar_one(&mut tx).await?;
        let dropped = bulk && people_empty;
        if dropped {
            for (name, _) in PEOPLE_INDEXES {
                Query::dynamic(format!("DROP INDEX IF EXISTS {name}")).execute(&mut tx).await?;
            }
        }
        Ok(SqlImport {
            tx,
            db: db.clone(),
            placed: Placed { by_code: HashMap::new(), next_id },
            dropped_indexes: dropped,
            people_were_empty: people_empty,
            areas_were_empty: areas_empty,
            keys,
        })
    }

    /// Finds the areas of these codes not yet in `placed`, in the store.
    async fn place_known(&mut self, codes: Vec<&AreaCode>) -> Result<()> {
        if self.areas_were_empty {
            return Ok(());
        }
        let missing: Vec<&str> = codes
            .into_iter()
            .filter(|c| !self.placed.by_code.contains_key(*c))
            .map(AreaCode::as_str)
            .collect();
        for chunk in missing.chunks(ROWS_PER_STATEMENT) {
            let q = query("SELECT code, level, path, district_code FROM areas WHERE code IN (")
                .push_list(chunk.iter().copied())
                .push(")");
            for r in q.fetch_all(&mut self.tx).await? {
                let (code, placed) = rows::placed_area(&r)?;
                self.placed.by_code.insert(code, placed);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Import for SqlImport {
    async fn areas(&mut self, rows: &[AreaRow]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut codes: Vec<&AreaCode> = chunk.iter().map(|r| &r.code).collect();
            codes.extend(chunk.iter().filter_map(|r| r.parent.as_ref()));
            self.place_known(codes).await?;
            let (existing, new_rows) = self.placed.place(chunk)?;
            for r in existing {
                query("UPDATE areas SET name = $1, shape = coalesce($2, shape) WHERE code = $3")
                    .bind(&r.name)
                    .bind(r.shape.clone())
                    .bind(r.code.as_str())
                    .execute(&mut self.tx)
                    .await?;
            }
            if new_rows.is_empty() {
                continue;
            }
            let values = new_rows
                .iter()
                .map(|NewArea { id, row: r, path, district }| -> Vec<Value> {
                    vec![
                        (*id).into(),
                        r.code.as_str().into(),
                        r.parent.as_ref().map(AreaCode::as_str).into(),
                        r.level.as_str().into(),
                        (r.level as i32).into(),
                        r.name.as_str().into(),
                        path.as_str().into(),
                        district.as_ref().map(AreaCode::as_str).into(),
                        r.shape.as_deref().into(),
                    ]
                })
                .collect();
            Query::insert_values(
                "INSERT INTO areas (id, code, parent_code, level, depth, name, path, district_code, shape)",
                values,
                "",
            )
            .execute(&mut self.tx)
            .await?;
        }
        Ok(())
    }

    async fn people(&mut self, rows: &[PersonRow]) -> Result<Vec<Rejected>> {
        let mut rejected = Vec::new();
        for (chunk_no, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
            let base = chunk_no * ROWS_PER_STATEMENT;
            self.place_known(chunk.iter().map(|p| &p.household).collect()).await?;
            let existing: HashSet<String> = if self.people_were_empty {
                Default::default()
            } else {
                query("SELECT person_id FROM people WHERE person_id IN (")
                    .push_list(chunk.iter().map(|p| p.person_id.as_str()))
                    .push(")")
                    .fetch_all(&mut self.tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get(0))
                    .collect::<Result<_, _>>()?
            };
            let good = self.placed.sort_people(base, chunk, &existing, &mut rejected);
            if good.is_empty() {
                continue;
            }
            let keys = &self.keys;
            let values = good
                .iter()
                .map(|(p, h)| -> Vec<Value> {
                    let id = p.id_number.as_ref().map(|n| n.as_str());
                    let phone = p.phone.as_ref().map(|n| n.as_str());
                    let row = p.person_id.as_str();
                    vec![
                        row.into(),
                        p.name.as_str().into(),
                        id.map(|n| keys.seal(Field::IdNumber, row, n)).into(),
                        id.map(|n| keys.blind(Field::IdNumber, n)).into(),
                        phone.map(|n| keys.seal(Field::Phone, row, n)).into(),
                        phone.map(|n| keys.blind(Field::Phone, n)).into(),
                        p.birth_year.into(),
                        p.sex.as_str().into(),
                        p.household.as_str().into(),
                        p.tags.to_stored().into(),
                        (!p.tags.is_empty()).into(),
                        h.district.as_ref().map(AreaCode::as_str).into(),
                        h.path.as_str().into(),
                    ]
                })
                .collect();
            Query::insert_values(
                "INSERT INTO people (person_id, name, id_sealed, id_index, phone_sealed, phone_index, birth_year, \
                 sex, household_code, tags, vulnerable, district_code, path)",
                values,
                "",
            )
            .execute(&mut self.tx)
            .await?;
        }
        Ok(rejected)
    }

    async fn commit(mut self: Box<Self>) -> Result<Totals> {
        if self.dropped_indexes {
            for (_, ddl) in PEOPLE_INDEXES {
                query(ddl).execute(&mut self.tx).await?;
            }
        }
        refresh_stats(&mut self.tx).await?;
        query(crate::BUMP_AREAS_VERSION).execute(&mut self.tx).await?;
        if self.tx.dialect().analyze_in_load {
            // The planner's statistics of a table just filled are those of an empty one: without
            // this a range of a district's people is planned as a couple of thousand rows.
            query("ANALYZE areas, people").execute(&mut self.tx).await?;
        }
        let r = query("SELECT (SELECT count(*) FROM areas), (SELECT count(*) FROM people)")
            .fetch_one(&mut self.tx)
            .await?;
        let totals = Totals { areas: r.try_get(0)?, people: r.try_get(1)?, users: 0 };
        self.tx.commit().await?;
        let dialect = self.db.dialect();
        if dialect.postgres && !dialect.analyze_in_load {
            query("ANALYZE areas, people").execute(&self.db).await?;
        }
        Ok(totals)
    }
}

/// Recounts every area's subtree from the people's paths: one pass over the path index, and
/// one UPDATE for all areas (their new counts sent as one JSON array).
async fn refresh_stats(tx: &mut Tx) -> Result<()> {
    let rows = query(
        "SELECT path, count(*) AS n, sum(CASE WHEN vulnerable THEN 1 ELSE 0 END) AS v FROM people \
         WHERE status = 'active' GROUP BY path",
    )
    .fetch_all(&mut *tx)
    .await?;
    let groups = rows.iter().map(rows::household_group).collect::<Result<Vec<_>>>()?;
    let stats = cordon_domain::area::roll_up_households(&groups);
    query("UPDATE areas SET residents = 0, households = 0, vulnerable = 0 WHERE residents <> 0")
        .execute(&mut *tx)
        .await?;
    let update = format!(
        "UPDATE areas SET residents = CAST(value ->> 1 AS BIGINT), households = CAST(value ->> 2 AS BIGINT), \
         vulnerable = CAST(value ->> 3 AS BIGINT) FROM {} WHERE areas.id = CAST(value ->> 0 AS BIGINT)",
        tx.dialect().json_rows
    );
    let stats: Vec<(i64, i64, i64, i64)> =
        stats.into_iter().map(|(id, s)| (id, s.residents, s.households, s.vulnerable)).collect();
    for chunk in stats.chunks(50_000) {
        let json = serde_json::to_string(chunk).map_err(|e| StoreError::Invalid(e.to_string()))?;
        Query::dynamic(&update).bind(json).execute(&mut *tx).await?;
    }
    Ok(())
}
