//! 权限: the rights of each role, one row per (role, right), granted or not. The store fills the
//! pairs it lacks when it opens, from `Role::default_rights`, and never overwrites a pair: what
//! an operator changed stays changed.

use chrono::{DateTime, Utc};
use cordon_domain::{Right, Role};

use crate::Result;

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

const SEED: &str = "INSERT INTO role_rights (role, right_name, granted) ";
const SELECT: &str =
    "SELECT role, right_name, granted, changed_at, changed_by FROM role_rights ORDER BY role, right_name";
const SET: &str = "UPDATE role_rights SET granted = $1, changed_at = $2, changed_by = $3 \
     WHERE role = $4 AND right_name = $5 AND granted <> $1";

macro_rules! backend {
    ($name:ident, $db:ty, $pool:ty) => {
        pub(crate) mod $name {
            use super::*;
            use sqlx::Row;

            pub(crate) async fn seed(pool: &$pool) -> Result<()> {
                let mut q = sqlx::QueryBuilder::<$db>::new(SEED);
                q.push_values(defaults(), |mut b, (role, right, granted)| {
                    b.push_bind(role.as_str()).push_bind(right.as_str()).push_bind(granted);
                });
                q.push(" ON CONFLICT (role, right_name) DO NOTHING");
                q.build().execute(pool).await?;
                Ok(())
            }

            pub(crate) async fn all(pool: &$pool) -> Result<Vec<RoleRight>> {
                let rows = sqlx::query(SELECT).fetch_all(pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let Some((role, right)) = known(r.try_get("role")?, r.try_get("right_name")?) else {
                        continue;
                    };
                    out.push(RoleRight {
                        role,
                        right,
                        granted: r.try_get("granted")?,
                        changed_at: r.try_get("changed_at")?,
                        changed_by: r.try_get("changed_by")?,
                    });
                }
                Ok(out)
            }

            pub(crate) async fn set(
                pool: &$pool,
                role: Role,
                right: Right,
                granted: bool,
                by: &str,
                at: DateTime<Utc>,
            ) -> Result<bool> {
                let done = sqlx::query(SET)
                    .bind(granted)
                    .bind(at)
                    .bind(by)
                    .bind(role.as_str())
                    .bind(right.as_str())
                    .execute(pool)
                    .await?
                    .rows_affected();
                Ok(done == 1)
            }
        }
    };
}

backend!(sqlite, sqlx::Sqlite, sqlx::SqlitePool);
backend!(postgres, sqlx::Postgres, sqlx::PgPool);
