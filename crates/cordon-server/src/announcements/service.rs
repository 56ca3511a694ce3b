//! Posting a notice to an area and reading those that concern an area. The store texts it to
//! every household under the area in the posting's transaction.

use chrono::{DateTime, Utc};
use cordon_domain::{AreaCode, AreaLevel, AreaPath, Right};
use cordon_store::{AnnouncementRecord, NewAnnouncement, StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;

/// The longest notice in Chinese: two SMS at most, so it is read.
pub const MAX_CHARS_ZH: usize = 140;
pub const MAX_CHARS_EN: usize = 300;

/// Why a notice was refused.
#[derive(Debug, thiserror::Error)]
pub enum AnnouncementError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AnnouncementError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => {
                AnnouncementError::Invalid { field: "area", message: format!("no {m}") }
            }
            e => AnnouncementError::Store(e),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> AnnouncementError {
    AnnouncementError::Invalid { field, message: message.into() }
}

/// Who may post: those who serve residents' needs in their areas.
pub fn may_post(user: &User) -> bool {
    user.may(Right::HandleNeeds)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementRequest {
    /// The area it is for: a district, street, community, compound or building of the poster's.
    pub area: String,
    /// In Chinese, up to 140 characters: 核酸检测 明早7:00 东门.
    pub text: String,
    /// In English, optional.
    pub text_en: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub id: i64,
    pub area_code: String,
    pub area_name: String,
    /// Large to small, the area's address.
    pub address: String,
    pub text: String,
    pub text_en: Option<String>,
    /// Households it was texted to.
    pub households: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

async fn views(
    state: &AppState,
    records: Vec<AnnouncementRecord>,
) -> Result<Vec<AnnouncementView>, AnnouncementError> {
    let paths: Vec<AreaPath> = records.iter().map(|r| r.path.clone()).collect();
    let addresses = crate::reads::addresses(state, &paths).await?;
    Ok(records
        .into_iter()
        .zip(addresses)
        .map(|(r, address)| AnnouncementView {
            id: r.id,
            area_code: r.area.as_str().to_owned(),
            area_name: r.area_name,
            address: address.join(" › "),
            text: r.text_zh,
            text_en: r.text_en,
            households: r.households,
            created_at: r.created_at,
            created_by: r.created_by,
        })
        .collect())
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<String, AnnouncementError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(invalid(field, format!("say it in 1 to {max} characters")));
    }
    Ok(t.to_owned())
}

/// Posts a notice to an area of the user's: texted to every household under it at once.
pub async fn post(
    state: &AppState,
    user: &User,
    req: AnnouncementRequest,
    now: DateTime<Utc>,
) -> Result<AnnouncementView, AnnouncementError> {
    if !may_post(user) {
        return Err(AnnouncementError::Refused("posting notices to residents needs handle_needs".into()));
    }
    let code = AreaCode::try_from(req.area.trim().to_owned()).map_err(|e| invalid("area", e.to_string()))?;
    let text_zh = check_text("text", &req.text, MAX_CHARS_ZH)?;
    let text_en = match req.text_en.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(check_text("text_en", t, MAX_CHARS_EN)?),
        None => None,
    };
    let node = state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| invalid("area", format!("no area {code} in your areas")))?;
    match node.area.level {
        AreaLevel::Household => {
            return Err(invalid("area", "a notice goes to an area; reach one household through its worker"));
        }
        AreaLevel::City => {
            return Err(invalid(
                "area",
                "a notice to the whole city is headquarters' announcement: post it to a district",
            ));
        }
        _ => {}
    }
    let new = NewAnnouncement { area: code, text_zh, text_en, at: now, by: user.username.clone() };
    let record = state.store.post_announcement(&user.scope_path, &new).await?;
    Ok(views(state, vec![record]).await?.remove(0))
}

/// The notices on areas inside `area` or above it, newest first: what the user posted or
/// oversees, or what a household's residents were sent.
pub async fn list_for(
    state: &AppState,
    area: &AreaPath,
    limit: u32,
) -> Result<Vec<AnnouncementView>, AnnouncementError> {
    let records = state.store.announcements(area, limit.clamp(1, 500)).await?;
    views(state, records).await
}
