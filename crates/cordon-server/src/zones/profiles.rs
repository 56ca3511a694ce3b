//! The protocol profiles (防控方案): the rules each zone follows, stored as data, and the one in
//! force for new zones and cases. Only the city's headquarters edits them or chooses.

use std::collections::HashMap;

use cordon_domain::Right;
use cordon_domain::protocol::{DEFAULT_PROFILE, Profile};
use cordon_store::{ProfileRecord, StoreError, User};

use super::ZoneError;
use crate::AppState;

/// The setting that names the profile in force.
pub const PROFILE_SETTING: &str = "profile";

/// The protocol profiles stored, by key.
pub async fn profiles(state: &AppState) -> Result<HashMap<String, Profile>, StoreError> {
    Ok(state.store.profiles().await?.into_iter().map(|r| (r.profile.key.clone(), r.profile)).collect())
}

/// The key of the profile in force for new zones and cases.
pub async fn profile_in_force(state: &AppState) -> Result<String, StoreError> {
    Ok(state.store.setting(PROFILE_SETTING).await?.unwrap_or_else(|| DEFAULT_PROFILE.to_owned()))
}

/// The protocol is the city's: a district's command follows it, never edits it.
fn require_city_headquarters(user: &User) -> Result<(), ZoneError> {
    if !user.may(Right::Command) || user.scope_path.ids().count() > 1 {
        return Err(ZoneError::Forbidden("only the city headquarters edits the protocol".into()));
    }
    Ok(())
}

/// Chooses the profile new zones are drawn under and escalations follow. Zones already drawn
/// keep theirs.
pub async fn choose_profile(state: &AppState, user: &User, key: &str) -> Result<(), ZoneError> {
    require_city_headquarters(user)?;
    if !profiles(state).await?.contains_key(key) {
        return Err(ZoneError::invalid("profile", format!("no profile {key:?}")));
    }
    state.store.set_setting(PROFILE_SETTING, key).await?;
    Ok(())
}

/// Adds or replaces the profile `key`, checked first; whether it is the one in force. Zones
/// drawn under it follow the new rules from now on; their history is not rewritten.
pub async fn put_profile(
    state: &AppState,
    user: &User,
    key: &str,
    profile: &Profile,
) -> Result<(ProfileRecord, bool), ZoneError> {
    require_city_headquarters(user)?;
    if profile.key != key {
        return Err(ZoneError::invalid(
            "key",
            format!("the body's key {:?} is not the path's {key:?}", profile.key),
        ));
    }
    profile.check()?;
    let r = state.store.put_profile(profile, &user.username, state.now()).await?;
    let in_force = profile_in_force(state).await? == key;
    super::invalidate(state).await;
    Ok((r, in_force))
}
