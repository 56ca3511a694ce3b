//! Break the glass (破窗): one person read outside one's areas for an hour, with a reason, kept
//! in the append-only list headquarters reviews.

use chrono::{DateTime, Duration, Utc};
use cordon_domain::{AreaPath, PersonId, Right};
use cordon_store::{GlassBreak, NewGlassBreak, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::RegisterError;
use crate::AppState;

/// How long a broken glass lets its user read the person.
pub const GLASS_HOURS: i64 = 1;

/// A reason is a sentence a reviewer can judge, not a word.
const REASON_CHARS: std::ops::RangeInclusive<usize> = 10..=500;

/// Who may break the glass (`break_glass`): the roles that read people in their areas.
/// Headquarters' areas are the whole city (nothing lies outside them); a lab reads tubes.
pub fn may_break_glass(user: &User) -> bool {
    user.may(Right::BreakGlass)
}

/// The grant `user` holds on `id` now, with the person's record read outside their areas.
pub async fn granted(
    state: &AppState,
    user: &User,
    id: &PersonId,
) -> Result<Option<(GlassBreak, cordon_store::PersonRecord)>, RegisterError> {
    let Some(grant) = state.store.glass_break(user.id, id, state.now()).await? else { return Ok(None) };
    Ok(state.store.person(&AreaPath::root(), id).await?.map(|p| (grant, p)))
}

#[derive(Deserialize, ToSchema)]
pub struct BreakGlassRequest {
    /// Why this person must be read now, for headquarters to review (10 to 500 characters).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct GlassBreakView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Until when the person may be read under it.
    pub until: DateTime<Utc>,
    pub username: String,
    pub person_id: String,
    pub reason: String,
}

impl From<GlassBreak> for GlassBreakView {
    fn from(g: GlassBreak) -> Self {
        GlassBreakView {
            id: g.id,
            at: g.at,
            until: g.until,
            username: g.username,
            person_id: g.person_id,
            reason: g.reason,
        }
    }
}

/// Checks a reason and records the broken glass: `user` may read `id` for the next hour.
pub async fn break_glass(
    state: &AppState,
    user: &User,
    id: &str,
    reason: &str,
) -> Result<GlassBreak, RegisterError> {
    if !may_break_glass(user) {
        return Err(RegisterError::Forbidden(format!(
            "a {} user does not read people outside areas",
            user.role.as_str()
        )));
    }
    let reason = reason.trim();
    if !REASON_CHARS.contains(&reason.chars().count()) {
        return Err(RegisterError::invalid(
            "reason",
            format!(
                "say why this person must be read, in {} to {} characters, for headquarters to review",
                REASON_CHARS.start(),
                REASON_CHARS.end()
            ),
        ));
    }
    let id = PersonId::parse(id).map_err(|_| RegisterError::NotFound)?;
    let person = state.store.person(&AreaPath::root(), &id).await?.ok_or(RegisterError::NotFound)?;
    if user.scope_path.contains(&person.path) {
        return Err(RegisterError::Conflict(
            "the person is in your areas: read them without breaking the glass".into(),
        ));
    }
    let now = state.now();
    let grant = state
        .store
        .break_glass(&NewGlassBreak {
            at: now,
            until: now + Duration::hours(GLASS_HOURS),
            user,
            person: &id,
            reason,
        })
        .await?;
    // Headquarters sees it in the viewer; the log tells whoever watches the server now.
    tracing::warn!(user = %user.username, grant = grant.id, "a glass was broken: a person read outside the reader's areas");
    Ok(grant)
}
