//! Oversight of reads: break-the-glass access (破窗) to one person outside the reader's areas,
//! with a stated reason, and headquarters' viewer of the audit (who read whom, when, through
//! what, and why when a glass was broken).

use chrono::{DateTime, Utc};
use cordon_domain::Right;
use cordon_store::{AuditQuery, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::OversightError;
use crate::AppState;

pub use crate::register::glass::GlassBreakView;

/// Rows of the viewer per page.
const PAGE: u32 = 200;

/// Who may read the audit (`review_audit`).
pub fn may_review(user: &User) -> bool {
    user.may(Right::ReviewAudit)
}

#[derive(Serialize, ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub username: String,
    pub person_id: String,
    pub route: String,
    /// The reason of the broken glass the read was made under; none for a read in the reader's
    /// own areas.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditRow>,
    /// Pass as `before` for the next page; none on the last.
    pub next_before: Option<i64>,
}

/// One page of the audit of reads of people in the user's areas, newest first, filtered by
/// reader or person.
pub async fn audit_page(state: &AppState, user: &User, p: &ReadsParams) -> Result<AuditPage, OversightError> {
    if !may_review(user) {
        return Err(OversightError::Forbidden("the audit of reads is for headquarters".into()));
    }
    let limit = p.limit.unwrap_or(PAGE).clamp(1, PAGE);
    let user_id = match p.username.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(name) => match state.store.user_by_name(name).await? {
            Some(u) => Some(u.id),
            None => return Err(OversightError::invalid("username", format!("no user {name:?}"))),
        },
    };
    let person_id = p.person_id.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
    let rows = state
        .store
        .audit_log(&AuditQuery {
            scope: user.scope_path.clone(),
            user_id,
            person_id,
            before_id: p.before,
            limit: limit + 1,
        })
        .await?;
    let more = rows.len() > limit as usize;
    let entries: Vec<AuditRow> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| AuditRow {
            id: r.id,
            at: r.at,
            username: r.username,
            person_id: r.person_id,
            route: r.route,
            reason: r.reason,
        })
        .collect();
    let next_before = if more { entries.last().map(|e| e.id) } else { None };
    Ok(AuditPage { entries, next_before })
}

/// The glasses broken, newest first, for headquarters to review.
pub async fn glass_breaks(state: &AppState, user: &User) -> Result<Vec<GlassBreakView>, OversightError> {
    if !may_review(user) {
        return Err(OversightError::Forbidden("the glasses broken are for headquarters to review".into()));
    }
    Ok(state
        .store
        .glass_breaks(&user.scope_path, PAGE)
        .await?
        .into_iter()
        .map(GlassBreakView::from)
        .collect())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadsParams {
    /// Reads by this user.
    pub username: Option<String>,
    /// Reads of this person.
    pub person_id: Option<String>,
    /// The page after the last one: entries older than this id.
    pub before: Option<i64>,
    /// At most this many (default and limit 200).
    pub limit: Option<u32>,
}
