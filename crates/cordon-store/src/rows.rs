//! Turning rows into domain values, once for both backends. The columns and their types are the
//! same in both schemas (integers as 64-bit, text as text, booleans as booleans), so one generic
//! function per record serves SQLite and PostgreSQL alike; only the SQL that fetches differs.

use cordon_domain::area::KnownArea;
use cordon_domain::{Area, AreaPath, AreaStats, PersonId, Tags};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Postgres, Row, Sqlite, Type};

use crate::db::DbRow;

use crate::*;

/// The columns `area_node` reads, for `SELECT … FROM areas a`.
pub(crate) const AREA_COLUMNS: &str = "a.code, a.parent_code, a.level, a.name, a.path, a.residents, a.households, \
     a.vulnerable, a.shape IS NOT NULL AS has_shape, (SELECT count(*) FROM areas c WHERE c.parent_code = a.code) AS children";

/// The columns `person_record` reads.
pub(crate) const PERSON_COLUMNS: &str =
    "person_id, name, id_sealed, phone_sealed, birth_year, sex, household_code, tags, path";

/// The query `user` reads, to be followed by a WHERE or JOIN.
pub(crate) const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.role, u.scope_code, \
     u.password_hash, a.path AS scope_path, a.name AS scope_name, \
     (SELECT string_agg(r.right_name, ',') FROM role_rights r WHERE r.role = u.role AND r.granted) AS rights, \
     CAST(CASE WHEN u.totp_sealed IS NULL THEN 0 ELSE 1 END AS BIGINT) AS two_factor \
     FROM users u JOIN areas a ON a.code = u.scope_code";

/// A value both backends decode.
pub(crate) trait Both:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Both for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A row of either backend from which the record types below can be read.
pub(crate) trait RecordRow {
    /// The value of column `col`.
    fn col<T: Both>(&self, col: &str) -> Result<T>;
}

impl RecordRow for SqliteRow {
    fn col<T: Both>(&self, col: &str) -> Result<T> {
        Ok(self.try_get(col)?)
    }
}

impl RecordRow for PgRow {
    fn col<T: Both>(&self, col: &str) -> Result<T> {
        Ok(self.try_get(col)?)
    }
}

impl RecordRow for DbRow {
    fn col<T: Both>(&self, col: &str) -> Result<T> {
        Ok(self.try_get(col)?)
    }
}

pub(crate) fn area(r: &impl RecordRow) -> Result<Area> {
    Ok(Area {
        code: code_of(r.col("code")?)?,
        parent: r.col::<Option<String>>("parent_code")?.map(code_of).transpose()?,
        level: level_of(&r.col::<String>("level")?)?,
        name: r.col("name")?,
        path: AreaPath::from_stored(r.col("path")?),
    })
}

pub(crate) fn known_area(r: &impl RecordRow) -> Result<(AreaCode, KnownArea)> {
    let parent = r.col::<Option<String>>("parent_code")?.map(code_of).transpose()?;
    Ok((code_of(r.col("code")?)?, KnownArea { parent, level: level_of(&r.col::<String>("level")?)? }))
}

pub(crate) fn placed_area(r: &impl RecordRow) -> Result<(AreaCode, PlacedArea)> {
    let placed = PlacedArea {
        level: level_of(&r.col::<String>("level")?)?,
        path: AreaPath::from_stored(r.col("path")?),
        district: r.col::<Option<String>>("district_code")?.map(code_of).transpose()?,
    };
    Ok((code_of(r.col("code")?)?, placed))
}

pub(crate) fn area_node(r: &impl RecordRow) -> Result<AreaNode> {
    Ok(AreaNode {
        area: area(r)?,
        stats: AreaStats {
            residents: r.col("residents")?,
            households: r.col("households")?,
            vulnerable: r.col("vulnerable")?,
        },
        children: r.col("children")?,
        has_shape: r.col("has_shape")?,
    })
}

/// A person, their ID number and phone opened with `keys`.
pub(crate) fn person_record(r: &impl RecordRow, keys: &Keyring) -> Result<PersonRecord> {
    let person_id: String = r.col("person_id")?;
    let open = |col: &str, field: Field| -> Result<Option<String>> {
        let sealed: Option<Vec<u8>> = r.col(col)?;
        sealed.map(|s| keys.open(field, &person_id, &s)).transpose()
    };
    Ok(PersonRecord {
        id_number: open("id_sealed", Field::IdNumber)?,
        phone: open("phone_sealed", Field::Phone)?,
        person_id: PersonId::parse(&person_id)
            .map_err(|e| StoreError::Invalid(format!("stored person id: {e}")))?,
        name: r.col("name")?,
        birth_year: r.col("birth_year")?,
        sex: sex_of(&r.col::<String>("sex")?),
        household: code_of(r.col("household_code")?)?,
        tags: Tags::from_stored(&r.col::<String>("tags")?),
        path: AreaPath::from_stored(r.col("path")?),
    })
}

pub(crate) fn user(r: &impl RecordRow) -> Result<User> {
    Ok(User {
        id: r.col("id")?,
        username: r.col("username")?,
        display_name: r.col("display_name")?,
        role: role_of(&r.col::<String>("role")?)?,
        scope: code_of(r.col("scope_code")?)?,
        scope_path: AreaPath::from_stored(r.col("scope_path")?),
        scope_name: r.col("scope_name")?,
        password_hash: r.col("password_hash")?,
        rights: cordon_domain::Rights::from_stored(&r.col::<Option<String>>("rights")?.unwrap_or_default()),
        two_factor: r.col::<i64>("two_factor")? == 1,
    })
}

pub(crate) fn audit_entry(r: &impl RecordRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        at: r.col("at")?,
        username: r.col("username")?,
        person_id: r.col("person_id")?,
        route: r.col("route")?,
    })
}

/// One household's path with its residents and vulnerable residents, from
/// `SELECT path, count(*) AS n, sum(…) AS v FROM people GROUP BY path`.
pub(crate) fn household_group(r: &impl RecordRow) -> Result<(AreaPath, i64, i64)> {
    Ok((AreaPath::from_stored(r.col("path")?), r.col("n")?, r.col("v")?))
}
