//! 户籍维护: the register kept up to date — a person added to a household, a phone, tags, a
//! move or a standing changed — each in one transaction with the lines it leaves in the person's
//! changes and the counts of the areas above the households it touched. A phone's values never
//! reach the changes: the line says it changed, the number stays sealed in `people` alone.
//!
//! The rules that depend on the row as it stands (a second death) are checked here, inside the
//! transaction that holds the row, so two clerks writing at once cannot both pass them.

use chrono::{DateTime, Utc};
use cordon_domain::duplicates::DuplicateReason;
use cordon_domain::register::check_status_change;
use cordon_domain::{AreaCode, AreaPath, IdNumber, PersonId, PersonStatus, Phone, Sex, Tags};

use crate::db::{Db, Query, Tx, query};
use crate::rows::{self, PERSON_COLUMNS};
use crate::seal::{Field, Keyring};
use crate::{PersonRecord, Result, StoreError};

/// A person to add to a household of `scope`; the store gives them their id (`R-…`).
#[derive(Debug, Clone)]
pub struct NewPerson<'a> {
    pub scope: &'a AreaPath,
    pub name: &'a str,
    pub id_number: Option<&'a IdNumber>,
    pub phone: Option<&'a Phone>,
    pub birth_year: Option<i32>,
    pub sex: Sex,
    pub household: &'a AreaCode,
    pub tags: &'a Tags,
    pub by: &'a str,
    pub reason: &'a str,
    pub at: DateTime<Utc>,
}

/// A change to one person of `scope`: each field given is changed; the same reason is kept on
/// each line it leaves.
#[derive(Debug, Clone)]
pub struct PersonChange<'a> {
    pub scope: &'a AreaPath,
    pub person: &'a PersonId,
    /// `Some(None)` removes the phone.
    pub phone: Option<Option<&'a Phone>>,
    pub tags: Option<&'a Tags>,
    /// Another household of `scope`.
    pub household: Option<&'a AreaCode>,
    pub status: Option<PersonStatus>,
    pub by: &'a str,
    pub reason: &'a str,
    pub at: DateTime<Utc>,
}

/// One line of a person's changes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonChangeRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    #[sqlx(rename = "by_user")]
    pub by: String,
    pub person_id: String,
    /// registered, phone, tags, household or status.
    pub change: String,
    #[sqlx(rename = "before_value")]
    pub before: Option<String>,
    #[sqlx(rename = "after_value")]
    pub after: Option<String>,
    pub reason: String,
}

/// What a new entry is checked against: the duplicate detector's own keys for one person.
#[derive(Debug, Clone)]
pub struct LookAlike<'a> {
    pub scope: &'a AreaPath,
    pub name: &'a str,
    pub id_number: Option<&'a IdNumber>,
    pub phone: Option<&'a Phone>,
    pub birth_year: Option<i32>,
    pub household: &'a AreaCode,
}

/// An entry already in the register that a new one may repeat.
#[derive(Debug, Clone)]
pub enum Match {
    /// Inside the clerk's areas: shown.
    Seen(PersonRecord, DuplicateReason),
    /// The same ID number, outside the clerk's areas: said, not shown.
    Elsewhere,
}

const RECORD: &str = "INSERT INTO person_changes (at, by_user, person_id, change, before_value, after_value, reason) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const CHANGES: &str = "SELECT id, at, by_user, person_id, change, before_value, after_value, reason \
     FROM person_changes WHERE person_id = $1 ORDER BY id DESC LIMIT $2";

/// One line of a change.
struct Line {
    change: &'static str,
    before: Option<String>,
    after: Option<String>,
}

async fn record(tx: &mut Tx, at: DateTime<Utc>, by: &str, person: &str, reason: &str, l: Line) -> Result<()> {
    query(RECORD)
        .bind(at)
        .bind(by)
        .bind(person)
        .bind(l.change)
        .bind(l.before)
        .bind(l.after)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A household of `scope` (its path and district), or `NotFound("household …")`: one outside the
/// caller's areas is as unknown as one that does not exist.
async fn household(tx: &mut Tx, scope: &AreaPath, code: &AreaCode) -> Result<(AreaPath, Option<String>)> {
    let (lo, hi) = scope.subtree_range();
    let row = query(
        "SELECT path, district_code FROM areas WHERE code = $1 AND level = 'household' AND path >= $2 AND path < $3",
    )
    .bind(code.as_str())
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = row else { return Err(StoreError::NotFound(format!("household {code}"))) };
    Ok((AreaPath::from_stored(r.try_get("path")?), r.try_get("district_code")?))
}

/// Active people living at `path` other than `person`.
async fn others_living_at(tx: &mut Tx, path: &AreaPath, person: &str) -> Result<i64> {
    query("SELECT count(*) FROM people WHERE path = $1 AND status = 'active' AND person_id <> $2")
        .bind(path.as_str())
        .bind(person)
        .scalar_one(&mut *tx)
        .await
}

/// Adds to the stored counts of the areas above a household (a household's own are read live):
/// residents, the vulnerable among them, and households with anyone living in them.
async fn count_above(
    tx: &mut Tx,
    path: &AreaPath,
    residents: i64,
    vulnerable: i64,
    households: i64,
) -> Result<()> {
    if residents == 0 && vulnerable == 0 && households == 0 {
        return Ok(());
    }
    let ids: Vec<i64> = path.ids().collect();
    let Some((_, above)) = ids.split_last() else { return Ok(()) };
    for id in above {
        query(
            "UPDATE areas SET residents = residents + $1, vulnerable = vulnerable + $2, \
             households = households + $3 WHERE id = $4",
        )
        .bind(residents)
        .bind(vulnerable)
        .bind(households)
        .bind(*id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Counts `person` in (`sign` 1) or out (-1) of the areas above the household at `path`, the
/// household itself counted in with its first living person and out with its last.
async fn count(tx: &mut Tx, path: &AreaPath, tags: &Tags, person: &str, sign: i64) -> Result<()> {
    let alone = others_living_at(tx, path, person).await? == 0;
    count_above(tx, path, sign, sign * i64::from(!tags.is_empty()), sign * i64::from(alone)).await
}

async fn locked(
    tx: &mut Tx,
    keys: &Keyring,
    scope: &AreaPath,
    id: &PersonId,
) -> Result<Option<PersonRecord>> {
    let (lo, hi) = scope.subtree_range();
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM people WHERE person_id = $1 AND path >= $2 AND path < $3{}",
        tx.dialect().for_update
    );
    let row = Query::dynamic(sql).bind(id.as_str()).bind(lo).bind(hi).fetch_optional(&mut *tx).await?;
    row.as_ref().map(|r| rows::person_record(r, keys)).transpose()
}

async fn read(tx: &mut Tx, keys: &Keyring, id: &str) -> Result<PersonRecord> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE person_id = $1");
    let row = Query::dynamic(sql).bind(id).fetch_one(&mut *tx).await?;
    rows::person_record(&row, keys)
}

/// Adds a person, with their id from the register's own numbering, the first line of their
/// changes and the counts above their household, all or nothing.
pub(crate) async fn register(db: &Db, keys: &Keyring, p: &NewPerson<'_>) -> Result<PersonRecord> {
    let mut tx = db.begin().await?;
    let person = register_in(&mut tx, keys, p).await?;
    tx.commit().await?;
    Ok(person)
}

/// [`register`] inside another write's transaction (someone found at a door, with the visit).
pub(crate) async fn register_in(tx: &mut Tx, keys: &Keyring, p: &NewPerson<'_>) -> Result<PersonRecord> {
    // The numbering's row first: a write, so SQLite takes its lock now, and two clerks adding at
    // once take numbers one after the other.
    let n: i64 = query("UPDATE register_ids SET last = last + 1 RETURNING last").scalar_one(&mut *tx).await?;
    let (path, district) = household(tx, p.scope, p.household).await?;
    let id = PersonId::registered(n);
    let row = id.as_str();
    let id_number = p.id_number.map(IdNumber::as_str);
    let phone = p.phone.map(Phone::as_str);
    query(
        "INSERT INTO people (person_id, name, id_sealed, id_index, phone_sealed, phone_index, birth_year, sex, \
         household_code, tags, vulnerable, district_code, path, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'active')",
    )
    .bind(row)
    .bind(p.name)
    .bind(id_number.map(|v| keys.seal(Field::IdNumber, row, v)))
    .bind(id_number.map(|v| keys.blind(Field::IdNumber, v)))
    .bind(phone.map(|v| keys.seal(Field::Phone, row, v)))
    .bind(phone.map(|v| keys.blind(Field::Phone, v)))
    .bind(p.birth_year)
    .bind(p.sex.as_str())
    .bind(p.household.as_str())
    .bind(p.tags.to_stored())
    .bind(!p.tags.is_empty())
    .bind(district)
    .bind(path.as_str())
    .execute(&mut *tx)
    .await?;
    count(tx, &path, p.tags, row, 1).await?;
    query(crate::BUMP_AREAS_VERSION).execute(&mut *tx).await?;
    let line = Line { change: "registered", before: None, after: Some(p.household.to_string()) };
    record(tx, p.at, p.by, row, p.reason, line).await?;
    read(tx, keys, row).await
}

/// Applies `c` whole, or nothing of it; `None` when the person is not in `c.scope`.
pub(crate) async fn change(db: &Db, keys: &Keyring, c: &PersonChange<'_>) -> Result<Option<PersonRecord>> {
    let mut tx = db.begin().await?;
    let Some(old) = locked(&mut tx, keys, c.scope, c.person).await? else {
        tx.rollback().await?;
        return Ok(None);
    };
    let row = c.person.as_str();
    let mut lines = Vec::new();
    let new_status = c.status.filter(|s| *s != old.status);
    if let Some(status) = c.status {
        check_status_change(old.status, status)?;
    }
    let new_household = c.household.filter(|h| **h != old.household);
    let new_tags = c.tags.filter(|t| **t != old.tags);
    // The person leaves the counts where they stood, and is counted again where they stand.
    if old.status.is_active() && (new_status.is_some() || new_household.is_some() || new_tags.is_some()) {
        count(&mut tx, &old.path, &old.tags, row, -1).await?;
    }
    if let Some(code) = new_household {
        let (path, district) = household(&mut tx, c.scope, code).await?;
        query("UPDATE people SET household_code = $1, path = $2, district_code = $3 WHERE person_id = $4")
            .bind(code.as_str())
            .bind(path.as_str())
            .bind(district)
            .bind(row)
            .execute(&mut tx)
            .await?;
        // What follows a person home: their open retests and their follow-up as a contact are
        // done by the workers of the household they live in now. Tubes, scans and gate records
        // stay where they happened.
        for table in ["contacts", "test_tasks"] {
            let open = match table {
                "contacts" => "status NOT IN ('released', 'became_case')",
                _ => "done_at IS NULL",
            };
            Query::dynamic(format!("UPDATE {table} SET path = $1 WHERE person_id = $2 AND {open}"))
                .bind(path.as_str())
                .bind(row)
                .execute(&mut tx)
                .await?;
        }
        lines.push(Line {
            change: "household",
            before: Some(old.household.to_string()),
            after: Some(code.to_string()),
        });
    }
    if let Some(tags) = new_tags {
        query("UPDATE people SET tags = $1, vulnerable = $2 WHERE person_id = $3")
            .bind(tags.to_stored())
            .bind(!tags.is_empty())
            .bind(row)
            .execute(&mut tx)
            .await?;
        lines.push(Line {
            change: "tags",
            before: Some(old.tags.to_stored()),
            after: Some(tags.to_stored()),
        });
    }
    if let Some(phone) = c.phone.filter(|p| p.map(Phone::as_str) != old.phone.as_deref()) {
        let phone = phone.map(Phone::as_str);
        query("UPDATE people SET phone_sealed = $1, phone_index = $2 WHERE person_id = $3")
            .bind(phone.map(|v| keys.seal(Field::Phone, row, v)))
            .bind(phone.map(|v| keys.blind(Field::Phone, v)))
            .bind(row)
            .execute(&mut tx)
            .await?;
        let said = |p: Option<&str>| Some(if p.is_some() { "set" } else { "none" }.to_owned());
        lines.push(Line { change: "phone", before: said(old.phone.as_deref()), after: said(phone) });
    }
    let status = new_status.unwrap_or(old.status);
    if let Some(s) = new_status {
        query("UPDATE people SET status = $1 WHERE person_id = $2")
            .bind(s.as_str())
            .bind(row)
            .execute(&mut tx)
            .await?;
        lines.push(Line {
            change: "status",
            before: Some(old.status.to_string()),
            after: Some(s.to_string()),
        });
    }
    let new = read(&mut tx, keys, row).await?;
    if status.is_active() && (!old.status.is_active() || new_household.is_some() || new_tags.is_some()) {
        count(&mut tx, &new.path, &new.tags, row, 1).await?;
    }
    if lines.is_empty() {
        tx.rollback().await?;
        return Ok(Some(old));
    }
    query(crate::BUMP_AREAS_VERSION).execute(&mut tx).await?;
    for l in lines {
        record(&mut tx, c.at, c.by, row, c.reason, l).await?;
    }
    tx.commit().await?;
    Ok(Some(new))
}

/// Records a person's death inside another change's transaction (a case that died): their
/// standing, its line and the counts, as a clerk's change would. Nothing when they are not living
/// in the register.
pub(crate) async fn mark_deceased(
    tx: &mut Tx,
    person: &str,
    by: &str,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<()> {
    mark_gone(tx, person, PersonStatus::Deceased, by, at, reason).await
}

/// Records that a person is no longer living in the register (`status` not active) inside
/// another write's transaction: their standing, its line and the counts. Nothing when they
/// already are not.
pub(crate) async fn mark_gone(
    tx: &mut Tx,
    person: &str,
    status: PersonStatus,
    by: &str,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<()> {
    debug_assert!(!status.is_active());
    let sql =
        format!("SELECT status, path, tags FROM people WHERE person_id = $1{}", tx.dialect().for_update);
    let Some(r) = Query::dynamic(sql).bind(person).fetch_optional(&mut *tx).await? else { return Ok(()) };
    let was = PersonStatus::from_stored(&r.try_get::<String, _>("status")?);
    if !was.is_active() {
        return Ok(());
    }
    let path = AreaPath::from_stored(r.try_get("path")?);
    let tags = Tags::from_stored(&r.try_get::<String, _>("tags")?);
    query("UPDATE people SET status = $1 WHERE person_id = $2")
        .bind(status.as_str())
        .bind(person)
        .execute(&mut *tx)
        .await?;
    count(tx, &path, &tags, person, -1).await?;
    query(crate::BUMP_AREAS_VERSION).execute(&mut *tx).await?;
    let line = Line { change: "status", before: Some(was.to_string()), after: Some(status.to_string()) };
    record(tx, at, by, person, reason, line).await
}

/// A person's changes, newest first.
pub(crate) async fn changes(db: &Db, person: &PersonId, limit: u32) -> Result<Vec<PersonChangeRecord>> {
    db.fetch_all(query(CHANGES).bind(person.as_str()).bind(i64::from(limit))).await
}

/// The entries a new one may repeat, by the detector's keys for this one person, each a look-up
/// on an index: the same ID number anywhere in the register (one number is one person), the
/// same name and phone in the clerk's areas, the same name and birth year in the household.
pub(crate) async fn look_alikes(db: &Db, keys: &Keyring, p: &LookAlike<'_>) -> Result<Vec<Match>> {
    let (lo, hi) = p.scope.subtree_range();
    let mut found: Vec<Match> = Vec::new();
    let seen = |found: &Vec<Match>, r: &PersonRecord| {
        found.iter().any(|m| matches!(m, Match::Seen(s, _) if s.person_id == r.person_id))
    };
    if let Some(id) = p.id_number {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE id_index = $1");
        for blind in keys.blinds(Field::IdNumber, id.as_str()) {
            for r in Query::dynamic(sql.clone()).bind(blind).fetch_all(db).await? {
                let r = rows::person_record(&r, keys)?;
                found.push(match p.scope.contains(&r.path) {
                    true => Match::Seen(r, DuplicateReason::SameIdNumber),
                    false => Match::Elsewhere,
                });
            }
        }
    }
    if let Some(phone) = p.phone {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE phone_index = $1 AND name = $2 AND path >= $3 AND path < $4"
        );
        for blind in keys.blinds(Field::Phone, phone.as_str()) {
            let q = Query::dynamic(sql.clone()).bind(blind).bind(p.name).bind(&lo).bind(&hi);
            for r in q.fetch_all(db).await? {
                let r = rows::person_record(&r, keys)?;
                if !seen(&found, &r) {
                    found.push(Match::Seen(r, DuplicateReason::NameAndPhone));
                }
            }
        }
    }
    if let Some(year) = p.birth_year {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE path = (SELECT path FROM areas WHERE code = $1) \
             AND name = $2 AND birth_year = $3 AND path >= $4 AND path < $5"
        );
        let q = Query::dynamic(sql).bind(p.household.as_str()).bind(p.name).bind(year).bind(&lo).bind(&hi);
        for r in q.fetch_all(db).await? {
            let r = rows::person_record(&r, keys)?;
            if !seen(&found, &r) {
                found.push(Match::Seen(r, DuplicateReason::NameAndBirthYear));
            }
        }
    }
    Ok(found)
}
