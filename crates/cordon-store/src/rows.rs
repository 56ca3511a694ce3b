//! Turning rows into domain values, once for both backends. The columns and their types are the
//! same in both schemas (integers as 64-bit, text as text, booleans as booleans), so one function
//! per record reads a [`DbRow`] of SQLite or PostgreSQL alike.

use crate::db::DbRow;
use crate::*;
use cordon_domain::area::KnownArea;
use cordon_domain::{Area, AreaPath, AreaStats, PersonId, Tags};

/// The columns `area_node` reads, for `SELECT … FROM areas a`.
pub(crate) const AREA_COLUMNS: &str = "a.code, a.parent_code, a.level, a.name, a.path, a.residents, a.households, \
     a.vulnerable, a.shape IS NOT NULL AS has_shape, (SELECT count(*) FROM areas c WHERE c.parent_code = a.code) AS children";

/// The columns `person_record` reads.
pub(crate) const PERSON_COLUMNS: &str =
    "person_id, name, id_sealed, phone_sealed, birth_year, sex, household_code, tags, path, status";

/// The query `user` reads, to be followed by a WHERE or JOIN.
pub(crate) const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.role, u.scope_code, \
     u.password_hash, a.path AS scope_path, a.name AS scope_name, \
     (SELECT string_agg(r.right_name, ',') FROM role_rights r WHERE r.role = u.role AND r.granted) AS rights, \
     CAST(CASE WHEN u.totp_sealed IS NULL THEN 0 ELSE 1 END AS BIGINT) AS two_factor, \
     u.created_at, u.disabled_at, u.worker_id \
     FROM users u JOIN areas a ON a.code = u.scope_code";

pub(crate) fn area(r: &DbRow) -> Result<Area> {
    Ok(Area {
        code: code_of(r.try_get("code")?)?,
        parent: r.try_get::<Option<String>, _>("parent_code")?.map(code_of).transpose()?,
        level: level_of(&r.try_get::<String, _>("level")?)?,
        name: r.try_get("name")?,
        path: AreaPath::from_stored(r.try_get("path")?),
    })
}

pub(crate) fn known_area(r: &DbRow) -> Result<(AreaCode, KnownArea)> {
    let parent = r.try_get::<Option<String>, _>("parent_code")?.map(code_of).transpose()?;
    Ok((
        code_of(r.try_get("code")?)?,
        KnownArea { parent, level: level_of(&r.try_get::<String, _>("level")?)? },
    ))
}

pub(crate) fn placed_area(r: &DbRow) -> Result<(AreaCode, PlacedArea)> {
    let placed = PlacedArea {
        level: level_of(&r.try_get::<String, _>("level")?)?,
        path: AreaPath::from_stored(r.try_get("path")?),
        district: r.try_get::<Option<String>, _>("district_code")?.map(code_of).transpose()?,
    };
    Ok((code_of(r.try_get("code")?)?, placed))
}

pub(crate) fn area_node(r: &DbRow) -> Result<AreaNode> {
    Ok(AreaNode {
        area: area(r)?,
        stats: AreaStats {
            residents: r.try_get("residents")?,
            households: r.try_get("households")?,
            vulnerable: r.try_get("vulnerable")?,
        },
        children: r.try_get("children")?,
        has_shape: r.try_get("has_shape")?,
    })
}

/// A person, their ID number and phone opened with `keys`.
pub(crate) fn person_record(r: &DbRow, keys: &Keyring) -> Result<PersonRecord> {
    let person_id: String = r.try_get("person_id")?;
    let open = |col: &str, field: Field| -> Result<Option<String>> {
        let sealed: Option<Vec<u8>> = r.try_get(col)?;
        sealed.map(|s| keys.open(field, &person_id, &s)).transpose()
    };
    Ok(PersonRecord {
        id_number: open("id_sealed", Field::IdNumber)?,
        phone: open("phone_sealed", Field::Phone)?,
        person_id: PersonId::parse(&person_id)
            .map_err(|e| StoreError::Invalid(format!("stored person id: {e}")))?,
        name: r.try_get("name")?,
        birth_year: r.try_get("birth_year")?,
        sex: sex_of(&r.try_get::<String, _>("sex")?),
        household: code_of(r.try_get("household_code")?)?,
        tags: Tags::from_stored(&r.try_get::<String, _>("tags")?),
        path: AreaPath::from_stored(r.try_get("path")?),
        status: cordon_domain::PersonStatus::from_stored(&r.try_get::<String, _>("status")?),
    })
}

pub(crate) fn user(r: &DbRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: role_of(&r.try_get::<String, _>("role")?)?,
        scope: code_of(r.try_get("scope_code")?)?,
        scope_path: AreaPath::from_stored(r.try_get("scope_path")?),
        scope_name: r.try_get("scope_name")?,
        password_hash: r.try_get("password_hash")?,
        rights: cordon_domain::Rights::from_stored(
            &r.try_get::<Option<String>, _>("rights")?.unwrap_or_default(),
        ),
        two_factor: r.try_get::<i64, _>("two_factor")? == 1,
        created_at: r.try_get("created_at")?,
        disabled_at: r.try_get("disabled_at")?,
        worker_id: r.try_get("worker_id")?,
    })
}

pub(crate) fn user_change(r: &DbRow) -> Result<crate::UserChangeRecord> {
    Ok(crate::UserChangeRecord {
        at: r.try_get("at")?,
        by: r.try_get("by_user")?,
        username: r.try_get("username")?,
        change: r.try_get("change")?,
        before: r.try_get("before_value")?,
        after: r.try_get("after_value")?,
        reason: r.try_get("reason")?,
    })
}

pub(crate) fn audit_entry(r: &DbRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        at: r.try_get("at")?,
        username: r.try_get("username")?,
        person_id: r.try_get("person_id")?,
        route: r.try_get("route")?,
    })
}

/// One household's path with its residents and vulnerable residents, from
/// `SELECT path, count(*) AS n, sum(…) AS v FROM people GROUP BY path`.
pub(crate) fn household_group(r: &DbRow) -> Result<(AreaPath, i64, i64)> {
    Ok((AreaPath::from_stored(r.try_get("path")?), r.try_get("n")?, r.try_get("v")?))
}
