//! 亲属电话: a household with no phone of its own — an elderly person alone — is reached through
//! its worker, who may add a relative's phone to it with the reason. That phone receives the
//! household's messages and may sign in to its page; removing it ends the sessions it opened.

use chrono::{DateTime, Utc};
use cordon_domain::{AreaCode, Phone, Right};
use cordon_store::{HouseholdPhoneRecord, NewHouseholdPhone, StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;

/// Why a household's phone was refused.
#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Refused(String),
    #[error("no such phone on this household")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PhoneError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => {
                PhoneError::Invalid { field: "household", message: format!("no {m} in your areas") }
            }
            StoreError::Conflict(m) => PhoneError::Conflict(m),
            e => PhoneError::Store(e),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> PhoneError {
    PhoneError::Invalid { field, message: message.into() }
}

/// Who may: those who serve residents' needs in their areas.
pub fn may_manage(user: &User) -> bool {
    user.may(Right::HandleNeeds)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPhoneRequest {
    /// A mobile number: 13812345678.
    pub phone: String,
    /// Who it is to the household: 女儿, 邻居, 楼长 … (up to 20 characters).
    pub relation: String,
    /// Why the household is reached through it (up to 200 characters).
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdPhoneView {
    pub id: i64,
    pub household_code: String,
    /// Masked: 138****5678 for those who may see phones, the last four digits for the rest.
    pub phone: String,
    pub relation: String,
    pub reason: String,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

fn view(user: &User, r: HouseholdPhoneRecord) -> HouseholdPhoneView {
    let phone = if user.may(Right::SeePhone) {
        cordon_domain::format::mask_middle(&r.phone, 3, 4)
    } else {
        cordon_domain::format::mask_middle(&r.phone, 0, 4)
    };
    HouseholdPhoneView {
        id: r.id,
        household_code: r.household.as_str().to_owned(),
        phone,
        relation: r.relation,
        reason: r.reason,
        added_at: r.added_at,
        added_by: r.added_by,
    }
}

fn household_code(s: &str) -> Result<AreaCode, PhoneError> {
    AreaCode::try_from(s.trim().to_owned()).map_err(|e| invalid("household", e.to_string()))
}

fn check(user: &User) -> Result<(), PhoneError> {
    if may_manage(user) {
        Ok(())
    } else {
        Err(PhoneError::Refused("reaching households is not part of your role".into()))
    }
}

/// Adds a relative's phone to a household of `user`'s.
pub async fn add(
    state: &AppState,
    user: &User,
    household: &str,
    req: HouseholdPhoneRequest,
    now: DateTime<Utc>,
) -> Result<HouseholdPhoneView, PhoneError> {
    check(user)?;
    let household = household_code(household)?;
    let phone = Phone::parse(&req.phone).map_err(|e| invalid("phone", e.to_string()))?;
    let relation = req.relation.trim();
    if relation.is_empty() || relation.chars().count() > 20 {
        return Err(invalid("relation", "who it is to the household (女儿, 邻居 …), 1 to 20 characters"));
    }
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(invalid("reason", "why the household is reached through it, 1 to 200 characters"));
    }
    let new = NewHouseholdPhone {
        household,
        phone: phone.as_str().to_owned(),
        relation: relation.to_owned(),
        reason: reason.to_owned(),
        at: now,
        by: user.username.clone(),
    };
    Ok(view(user, state.store.add_household_phone(&user.scope_path, &new).await?))
}

/// The phones added to a household of `user`'s.
pub async fn list(
    state: &AppState,
    user: &User,
    household: &str,
) -> Result<Vec<HouseholdPhoneView>, PhoneError> {
    check(user)?;
    let household = household_code(household)?;
    let rows = state.store.household_phones(&user.scope_path, &household).await?;
    Ok(rows.into_iter().map(|r| view(user, r)).collect())
}

/// Removes one; whoever signed in with it is signed out.
pub async fn remove(
    state: &AppState,
    user: &User,
    household: &str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<HouseholdPhoneView, PhoneError> {
    check(user)?;
    let household = household_code(household)?;
    let r = state
        .store
        .remove_household_phone(&user.scope_path, &household, id, now, &user.username)
        .await?
        .ok_or(PhoneError::NotFound)?;
    Ok(view(user, r))
}
