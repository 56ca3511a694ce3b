//! 用户管理: the use cases of managing sign-ins. Headquarters and district offices (the
//! `manage_users` right) add users under their own areas, change their names, roles and areas,
//! disable and enable them, and reset their passwords; every change is kept with who made it,
//! when and why (the store writes the line in the change's own transaction).
//!
//! The rules, each because a manager must not be able to widen their own reach through
//! another's sign-in: a manager sees and changes only users whose areas lie inside theirs
//! (anyone else is "no such user", as a person outside one's areas is); the areas they give lie
//! inside theirs; the role they give, and the role of the user they change, holds no right they
//! lack (`cordon_domain::may_hand_over`); and nobody changes their own role, areas or standing,
//! so headquarters can never lock itself out.

use chrono::{DateTime, Utc};
use cordon_domain::{AreaCode, Right, Rights, Role, Username};
use cordon_store::{NewUser, RoleRight, StoreError, User, UserChange, UserChangeRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;

/// How many of a user's changes a page shows.
const CHANGES_SHOWN: u32 = 200;

/// Why a use case of this capability was refused.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// No user of that name inside the manager's areas (or none at all: the two look alike).
    #[error("no user {0} in your areas")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The rules above: outside one's areas, a role beyond one's rights, oneself.
    #[error("{0}")]
    Refused(String),
    #[error("the user {0} already exists")]
    Exists(String),
    #[error(transparent)]
    Store(StoreError),
    /// The password could not be hashed.
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for UsersError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => UsersError::Invalid { field: "scope", message: m },
            e => UsersError::Store(e),
        }
    }
}

impl From<cordon_domain::DomainError> for UsersError {
    fn from(e: cordon_domain::DomainError) -> Self {
        UsersError::Invalid { field: e.field(), message: e.reason().to_owned() }
    }
}

type Result<T> = std::result::Result<T, UsersError>;

/// Whether `user` manages sign-ins at all.
pub fn may_manage(user: &User) -> bool {
    user.may(Right::ManageUsers)
}

/// A user as a manager sees them: never the password's hash.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ManagedUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The area whose subtree the user sees.
    pub scope: AreaCode,
    pub scope_name: String,
    pub two_factor: bool,
    pub created_at: DateTime<Utc>,
    /// 停用: set when the sign-in is disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// The worker record this sign-in is: its holder reports in (报到) from their own phone.
    pub worker_id: Option<String>,
}

impl From<&User> for ManagedUser {
    fn from(u: &User) -> Self {
        ManagedUser {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            scope: u.scope.clone(),
            scope_name: u.scope_name.clone(),
            two_factor: u.two_factor,
            created_at: u.created_at,
            disabled_at: u.disabled_at,
            worker_id: u.worker_id.clone(),
        }
    }
}

/// One line of a user's changes.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct UserChangeView {
    pub at: DateTime<Utc>,
    /// Who made it: a username, `cli:<operator>` or `demo`.
    pub by: String,
    /// created, display_name, role, scope, disabled, enabled or password_reset.
    pub change: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
}

impl From<UserChangeRecord> for UserChangeView {
    fn from(r: UserChangeRecord) -> Self {
        UserChangeView {
            at: r.at,
            by: r.by,
            change: r.change,
            before: r.before,
            after: r.after,
            reason: r.reason,
        }
    }
}

/// A user to add.
#[derive(Deserialize, ToSchema, Debug, Default)]
pub struct NewUserRequest {
    /// 3–32 lowercase letters, digits, `.`, `_` or `-`.
    pub username: String,
    /// The name shown; the username when empty.
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: String,
    /// The code of the area whose subtree the user will see: inside the manager's.
    pub scope: String,
}

/// A change to a user: each field given is changed.
#[derive(Deserialize, ToSchema, Debug, Default)]
pub struct UserPatch {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    /// true disables the sign-in (a reason is required), false enables it again.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Links the sign-in to a worker of the roster (报到 from one's own phone); an empty text
    /// unlinks it. One sign-in a worker.
    #[serde(default)]
    pub worker_id: Option<String>,
    /// Why: kept with each line of the change.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A user just made, or a password just reset: the password is shown this once.
#[derive(Serialize, ToSchema, Debug)]
pub struct IssuedPassword {
    pub user: ManagedUser,
    /// Hand it to the user in person; it is kept only as a hash.
    pub password: String,
}

/// The users under `manager`'s areas, by username.
pub async fn list(state: &AppState, manager: &User) -> Result<Vec<ManagedUser>> {
    refuse_unless_manager(manager)?;
    Ok(state.store.users_in(&manager.scope_path).await?.iter().map(ManagedUser::from).collect())
}

/// One user under `manager`'s areas, with their changes, newest first.
pub async fn one(
    state: &AppState,
    manager: &User,
    username: &str,
) -> Result<(ManagedUser, Vec<UserChangeView>)> {
    refuse_unless_manager(manager)?;
    let held = state.store.role_rights().await?;
    let user = managed(state, manager, username, &held).await?;
    let changes = state.store.user_changes(&user.username, CHANGES_SHOWN).await?;
    Ok((ManagedUser::from(&user), changes.into_iter().map(UserChangeView::from).collect()))
}

/// Adds a user under `manager`'s areas with a password made here, shown once.
pub async fn create(state: &AppState, manager: &User, req: &NewUserRequest) -> Result<IssuedPassword> {
    refuse_unless_manager(manager)?;
    let username = Username::parse(&req.username)?;
    let role = Role::parse(&req.role)?;
    let scope = scope_inside(state, manager, &req.scope).await?;
    hand_over(manager, role, &state.store.role_rights().await?)?;
    let display_name =
        display_name(req.display_name.as_deref())?.unwrap_or_else(|| username.as_str().to_owned());
    let password = crate::account::random_password();
    let password_hash = crate::account::hash_password(password.clone())
        .await
        .map_err(|e| UsersError::Internal(format!("{e:?}")))?;
    let new = NewUser {
        username: username.as_str().to_owned(),
        display_name,
        role,
        scope,
        password_hash,
        created_by: manager.username.clone(),
    };
    let user = match state.store.create_user(&new).await {
        Err(StoreError::Conflict(_)) => return Err(UsersError::Exists(new.username)),
        r => r?,
    };
    tracing::warn!(by = %manager.username, username = %user.username, role = role.as_str(), scope = %user.scope, "a user was added");
    Ok(IssuedPassword { user: ManagedUser::from(&user), password })
}

/// Changes a user under `manager`'s areas; the sessions a change of role, areas or standing
/// must end are ended with it.
pub async fn change(
    state: &AppState,
    manager: &User,
    username: &str,
    patch: &UserPatch,
) -> Result<ManagedUser> {
    refuse_unless_manager(manager)?;
    let held = state.store.role_rights().await?;
    let target = managed(state, manager, username, &held).await?;
    let role = patch.role.as_deref().map(Role::parse).transpose()?;
    let scope = match patch.scope.as_deref() {
        Some(s) => Some(scope_inside(state, manager, s).await?),
        None => None,
    };
    let display_name = display_name(patch.display_name.as_deref())?;
    let reason = reason(patch.reason.as_deref())?;
    let worker = match patch.worker_id.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(w) => Some(Some(cordon_domain::workforce::check_worker_id(w)?)),
    };
    let touches_standing = role.is_some_and(|r| r != target.role)
        || scope.as_ref().is_some_and(|s| *s != target.scope)
        || patch.disabled.is_some_and(|d| d != target.disabled_at.is_some());
    if target.id == manager.id && touches_standing {
        return Err(UsersError::Refused(
            "you cannot change your own role, areas or sign-in: another officer must".into(),
        ));
    }
    if let Some(role) = role {
        hand_over(manager, role, &held)?;
    }
    if patch.disabled == Some(true) && target.disabled_at.is_none() && reason.is_none() {
        return Err(UsersError::Invalid {
            field: "reason",
            message: "say why the sign-in is disabled".into(),
        });
    }
    let c = UserChange {
        username: &target.username,
        by: &manager.username,
        at: state.now(),
        reason: reason.as_deref(),
        display_name: display_name.as_deref(),
        role,
        scope: scope.as_ref(),
        disabled: patch.disabled,
        password_hash: None,
        worker: worker.as_ref().map(|w| w.as_deref()),
    };
    let user = match state.store.change_user(&c).await {
        Err(StoreError::Invalid(m)) if worker.is_some() => {
            return Err(UsersError::Invalid { field: "worker_id", message: m });
        }
        r => r?.ok_or_else(|| UsersError::NotFound(username.to_owned()))?,
    };
    if touches_standing {
        tracing::warn!(by = %manager.username, username = %user.username, role = user.role.as_str(),
            scope = %user.scope, disabled = user.disabled_at.is_some(), "a user was changed; their sessions are closed");
    }
    Ok(ManagedUser::from(&user))
}

/// Gives a user under `manager`'s areas a new password, made here and shown once; their
/// sessions end. One's own password is changed on one's account page, proving the old one.
pub async fn reset_password(
    state: &AppState,
    manager: &User,
    username: &str,
    why: Option<&str>,
) -> Result<IssuedPassword> {
    refuse_unless_manager(manager)?;
    let held = state.store.role_rights().await?;
    let target = managed(state, manager, username, &held).await?;
    if target.id == manager.id {
        return Err(UsersError::Refused("change your own password on your account page (/account)".into()));
    }
    let why = reason(why)?;
    let password = crate::account::random_password();
    let hash = crate::account::hash_password(password.clone())
        .await
        .map_err(|e| UsersError::Internal(format!("{e:?}")))?;
    let c = UserChange {
        username: &target.username,
        by: &manager.username,
        at: state.now(),
        reason: why.as_deref(),
        password_hash: Some(&hash),
        ..Default::default()
    };
    let user = state.store.change_user(&c).await?.ok_or_else(|| UsersError::NotFound(username.to_owned()))?;
    tracing::warn!(by = %manager.username, username = %user.username, "a user's password was reset; their sessions are closed");
    Ok(IssuedPassword { user: ManagedUser::from(&user), password })
}

/// The roles `manager` may give (the pages offer only those).
pub async fn roles_given(state: &AppState, manager: &User) -> Result<Vec<Role>> {
    let held = state.store.role_rights().await?;
    Ok(Role::ALL.into_iter().filter(|r| hand_over(manager, *r, &held).is_ok()).collect())
}

fn refuse_unless_manager(user: &User) -> Result<()> {
    if may_manage(user) {
        Ok(())
    } else {
        Err(UsersError::Refused("managing users needs the right manage_users".into()))
    }
}

/// The user named, if their areas lie inside the manager's, and their role holds nothing the
/// manager lacks (a district officer cannot disable headquarters).
async fn managed(state: &AppState, manager: &User, username: &str, held: &[RoleRight]) -> Result<User> {
    let found = state.store.user_by_name(username).await?;
    let Some(user) = found.filter(|u| manager.scope_path.contains(&u.scope_path)) else {
        return Err(UsersError::NotFound(username.to_owned()));
    };
    if user.id != manager.id {
        hand_over(manager, user.role, held)?;
    }
    Ok(user)
}

/// The area code given, if the area lies inside the manager's areas.
async fn scope_inside(state: &AppState, manager: &User, code: &str) -> Result<AreaCode> {
    let code = AreaCode::parse(code)
        .map_err(|e| UsersError::Invalid { field: "scope", message: e.reason().into() })?;
    match state.store.area(&manager.scope_path, &code).await? {
        Some(_) => Ok(code),
        None => Err(UsersError::Refused(format!(
            "the area {code} is not inside your areas ({}): you may give only areas of your own",
            manager.scope_name
        ))),
    }
}

/// Refused when `role` holds a right the manager lacks (by the roles' rights `held`), naming them.
fn hand_over(manager: &User, role: Role, held: &[RoleRight]) -> Result<()> {
    cordon_domain::may_hand_over(manager.rights, whole_city(manager), rights_of(held, role)).map_err(
        |beyond| {
            let names: Vec<&str> = beyond.iter().map(Right::as_str).collect();
            UsersError::Refused(format!(
                "the role {} holds rights you do not: {}; only an office holding them may give it",
                role.as_str(),
                names.join(", ")
            ))
        },
    )
}

/// Whether the manager's areas are the whole city (the root of the map).
fn whole_city(manager: &User) -> bool {
    manager.scope_path.ids().count() == 1
}

fn rights_of(held: &[RoleRight], role: Role) -> Rights {
    held.iter().filter(|h| h.role == role && h.granted).fold(Rights::NONE, |r, h| r.with(h.right))
}

fn display_name(name: Option<&str>) -> Result<Option<String>> {
    match name.map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) if n.chars().count() > 64 => {
            Err(UsersError::Invalid { field: "display_name", message: "is longer than 64 characters".into() })
        }
        Some(n) => Ok(Some(n.to_owned())),
    }
}

fn reason(why: Option<&str>) -> Result<Option<String>> {
    match why.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) if r.chars().count() > 500 => {
            Err(UsersError::Invalid { field: "reason", message: "is longer than 500 characters".into() })
        }
        Some(r) => Ok(Some(r.to_owned())),
    }
}
