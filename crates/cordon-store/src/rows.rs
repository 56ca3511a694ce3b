//! Turning rows into domain values, once for both backends. The columns and their types are the
//! same in both schemas (integers as 64-bit, text as text, booleans as booleans), so one generic
//! function per record serves SQLite and PostgreSQL alike; only the SQL that fetches differs.

use cordon_domain::area::KnownArea;
use cordon_domain::{Area, AreaPath, AreaStats, PersonId, Tags};
use sqlx::{ColumnIndex, Decode, Row, Type};

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

/// A row of either backend from which the record types below can be read.
pub(crate) trait RecordRow: Row
where
    for<'a> &'a str: ColumnIndex<Self>,
{
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<i64>;
}

impl<R> RecordRow for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.try_get(col)?)
    }

    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }

    fn int(&self, col: &str) -> Result<i64> {
        Ok(self.try_get(col)?)
    }
}

pub(crate) fn area<R: RecordRow>(r: &R) -> Result<Area>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(Area {
        code: code_of(r.text("code")?)?,
        parent: r.opt_text("parent_code")?.map(code_of).transpose()?,
        level: level_of(&r.text("level")?)?,
        name: r.text("name")?,
        path: AreaPath::from_stored(r.text("path")?),
    })
}

pub(crate) fn known_area<R: RecordRow>(r: &R) -> Result<(AreaCode, KnownArea)>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    let parent = r.opt_text("parent_code")?.map(code_of).transpose()?;
    Ok((code_of(r.text("code")?)?, KnownArea { parent, level: level_of(&r.text("level")?)? }))
}

pub(crate) fn placed_area<R: RecordRow>(r: &R) -> Result<(AreaCode, PlacedArea)>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    let placed = PlacedArea {
        level: level_of(&r.text("level")?)?,
        path: AreaPath::from_stored(r.text("path")?),
        district: r.opt_text("district_code")?.map(code_of).transpose()?,
    };
    Ok((code_of(r.text("code")?)?, placed))
}

pub(crate) fn area_node<R>(r: &R) -> Result<AreaNode>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(AreaNode {
        area: area(r)?,
        stats: AreaStats {
            residents: r.int("residents")?,
            households: r.int("households")?,
            vulnerable: r.int("vulnerable")?,
        },
        children: r.int("children")?,
        has_shape: r.try_get("has_shape")?,
    })
}

/// A person, their ID number and phone opened with `keys`.
pub(crate) fn person_record<R>(r: &R, keys: &Keyring) -> Result<PersonRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> i32: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    let person_id = r.text("person_id")?;
    let open = |col: &str, field: Field| -> Result<Option<String>> {
        let sealed: Option<Vec<u8>> = r.try_get(col)?;
        sealed.map(|s| keys.open(field, &person_id, &s)).transpose()
    };
    Ok(PersonRecord {
        id_number: open("id_sealed", Field::IdNumber)?,
        phone: open("phone_sealed", Field::Phone)?,
        person_id: PersonId::parse(&person_id)
            .map_err(|e| StoreError::Invalid(format!("stored person id: {e}")))?,
        name: r.text("name")?,
        birth_year: r.try_get("birth_year")?,
        sex: sex_of(&r.text("sex")?),
        household: code_of(r.text("household_code")?)?,
        tags: Tags::from_stored(&r.text("tags")?),
        path: AreaPath::from_stored(r.text("path")?),
    })
}

pub(crate) fn user<R: RecordRow>(r: &R) -> Result<User>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok(User {
        id: r.int("id")?,
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        role: role_of(&r.text("role")?)?,
        scope: code_of(r.text("scope_code")?)?,
        scope_path: AreaPath::from_stored(r.text("scope_path")?),
        scope_name: r.text("scope_name")?,
        password_hash: r.text("password_hash")?,
        rights: cordon_domain::Rights::from_stored(&r.opt_text("rights")?.unwrap_or_default()),
        two_factor: r.int("two_factor")? == 1,
    })
}

pub(crate) fn audit_entry<R>(r: &R) -> Result<AuditEntry>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(AuditEntry {
        at: r.try_get("at")?,
        username: r.text("username")?,
        person_id: r.text("person_id")?,
        route: r.text("route")?,
    })
}

/// One household's path with its residents and vulnerable residents, from
/// `SELECT path, count(*) AS n, sum(…) AS v FROM people GROUP BY path`.
pub(crate) fn household_group<R: RecordRow>(r: &R) -> Result<(AreaPath, i64, i64)>
where
    for<'a> &'a str: ColumnIndex<R>,
{
    Ok((AreaPath::from_stored(r.text("path")?), r.int("n")?, r.int("v")?))
}
