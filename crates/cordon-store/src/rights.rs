//! 权限: the rights of each role, one row per (role, right), granted or not. The store fills the
//! pairs it lacks when it opens, from `Role::default_rights`, and never overwrites a pair: what
//! an operator changed stays changed.

use chrono::{DateTime, Utc};
use cordon_domain::{Right, Role};

use crate::Result;
use crate::db::{Db, Query, query};

/// One role's hold on one right, with who changed it last (none: as the store began).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRight {
    pub role: Role,
    pub right: Right,
    pub granted: bool,
    pub changed_at: Option<DateTime<Utc>>,
    pub changed_by: Option<String>,
}

/// Every pair, as a new store starts it.
fn defaults() -> impl Iterator<Item = (Role, Right, bool)> {
    Role::ALL.into_iter().flat_map(|role| {
        Right::ALL.into_iter().map(move |right| (role, right, role.default_rights().has(right)))
    })
}

/// A stored row, or none for a role or right this version does not know.
fn known(role: &str, right: &str) -> Option<(Role, Right)> {
    Some((Role::parse(role).ok()?, Right::parse(right).ok()?))
}

const SEED: &str = "INSERT INTO role_rights (role, right_name, granted)";
const SELECT: &str =
    "SELECT role, right_name, granted, changed_at, changed_by FROM role_rights ORDER BY role, right_name";
const SET: &str = "UPDATE role_rights SET granted = $1, changed_at = $2, changed_by = $3 \
     WHERE role = $4 AND right_name = $5 AND granted <> $1";

/// A row of `role_rights` as stored.
#[derive(sqlx::FromRow)]
struct Stored {
    role: String,
    right_name: String,
    granted: bool,
    changed_at: Option<DateTime<Utc>>,
    changed_by: Option<String>,
}

/// Adds the pairs the table lacks, each as a new store starts it; changes none.
pub(crate) async fn seed(db: &Db) -> Result<()> {
    let rows = defaults()
        .map(|(role, right, granted)| vec![role.as_str().into(), right.as_str().into(), granted.into()]);
    db.execute(Query::insert_values(SEED, rows.collect(), "ON CONFLICT (role, right_name) DO NOTHING"))
        .await?;
    Ok(())
}

/// Every pair this version knows, by role then right.
pub(crate) async fn all(db: &Db) -> Result<Vec<RoleRight>> {
    let rows: Vec<Stored> = db.fetch_all(query(SELECT)).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let (role, right) = known(&r.role, &r.right_name)?;
            Some(RoleRight {
                role,
                right,
                granted: r.granted,
                changed_at: r.changed_at,
                changed_by: r.changed_by,
            })
        })
        .collect())
}

/// Grants or revokes one right of one role; false when it was so already.
pub(crate) async fn set(
    db: &Db,
    role: Role,
    right: Right,
    granted: bool,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let q = query(SET).bind(granted).bind(at).bind(by).bind(role.as_str()).bind(right.as_str());
    Ok(db.execute(q).await? == 1)
}
