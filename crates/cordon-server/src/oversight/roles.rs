//! 权限: each role's rights, read and changed by the city headquarters. The rights are data in
//! the store; every check in the server asks the user's rights (read with their session), so a
//! change holds from each user's next request.

use chrono::{DateTime, Utc};
use cordon_domain::{Right, Role};
use cordon_store::{RoleRight, User};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::OversightError;
use crate::AppState;

/// Reading and changing the rights: headquarters of the whole city, whose `command` right
/// decides for everyone.
pub fn may_change(user: &User) -> bool {
    user.may(Right::Command) && user.scope_path.ids().count() == 1
}

#[derive(Serialize, ToSchema, Clone)]
pub struct RightHold {
    pub right: Right,
    pub name_zh: String,
    pub name_en: String,
    pub granted: bool,
    /// The role cannot lose it (headquarters' `command` and `review_audit`).
    pub kept: bool,
    pub changed_at: Option<DateTime<Utc>>,
    pub changed_by: Option<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct RoleRights {
    pub role: Role,
    pub name_zh: String,
    pub name_en: String,
    /// Every right this version knows, in the order of `Right::ALL`.
    pub rights: Vec<RightHold>,
}

fn hold(h: &RoleRight) -> RightHold {
    RightHold {
        right: h.right,
        name_zh: h.right.name_zh().to_owned(),
        name_en: h.right.name_en().to_owned(),
        granted: h.granted,
        kept: h.role.keeps(h.right),
        changed_at: h.changed_at,
        changed_by: h.changed_by.clone(),
    }
}

pub async fn all(state: &AppState, user: &User) -> Result<Vec<RoleRights>, OversightError> {
    if !may_change(user) {
        return Err(OversightError::Forbidden("the rights of the roles are the city headquarters'".into()));
    }
    let held = state.store.role_rights().await?;
    Ok(Role::ALL
        .into_iter()
        .map(|role| {
            let mut rights: Vec<RightHold> = held.iter().filter(|h| h.role == role).map(hold).collect();
            rights.sort_by_key(|h| h.right);
            RoleRights { role, name_zh: role.name_zh().into(), name_en: role.name_en().into(), rights }
        })
        .collect())
}

/// Grants or revokes one right of one role, as `user`.
pub async fn set(
    state: &AppState,
    user: &User,
    role: &str,
    right: &str,
    granted: bool,
) -> Result<RightHold, OversightError> {
    if !may_change(user) {
        return Err(OversightError::Forbidden("the rights of the roles are the city headquarters'".into()));
    }
    let role = Role::parse(role).map_err(|e| OversightError::invalid("role", e.reason().to_owned()))?;
    let right = Right::parse(right).map_err(|e| OversightError::invalid("right", e.reason().to_owned()))?;
    if !granted && role.keeps(right) {
        return Err(OversightError::Conflict(format!(
            "{} keeps {right}: without it no one could undo a change or see who read whom",
            role.as_str()
        )));
    }
    if state.store.set_role_right(role, right, granted, &user.username, state.now()).await? {
        tracing::warn!(by = %user.username, role = role.as_str(), right = right.as_str(), granted, "a role's rights changed");
    }
    let held = state.store.role_rights().await?;
    held.iter().find(|h| h.role == role && h.right == right).map(hold).ok_or_else(|| {
        OversightError::Internal(format!("the right {right} of {} is not stored", role.as_str()))
    })
}
