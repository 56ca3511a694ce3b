//! Oversight of reads: break-the-glass access (破窗) to one person outside the reader's areas,
//! with a stated reason, and headquarters' viewer of the audit (who read whom, when, through
//! what, and why when a glass was broken).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use cordon_domain::Right;
use cordon_domain::{AreaPath, PersonId};
use cordon_store::{AuditQuery, GlassBreak, NewGlassBreak, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{PersonView, person_view};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};

/// How long a broken glass lets its user read the person.
pub const GLASS_HOURS: i64 = 1;
/// A reason is a sentence a reviewer can judge, not a word.
const REASON_CHARS: std::ops::RangeInclusive<usize> = 10..=500;
/// Rows of the viewer per page.
const PAGE: u32 = 200;

/// Who may break the glass (`break_glass`): the roles that read people in their areas.
/// Headquarters' areas are the whole city (nothing lies outside them); a lab reads tubes.
pub fn may_break_glass(user: &User) -> bool {
    user.may(Right::BreakGlass)
}

/// Who may read the audit (`review_audit`).
pub fn may_review(user: &User) -> bool {
    user.may(Right::ReviewAudit)
}

/// The grant `user` holds on `id` now, with the person's record read outside their areas.
pub async fn granted(
    state: &AppState,
    user: &User,
    id: &PersonId,
) -> Result<Option<(GlassBreak, cordon_store::PersonRecord)>, ApiError> {
    let Some(grant) = state.store.glass_break(user.id, id, Utc::now()).await? else { return Ok(None) };
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
) -> Result<GlassBreak, ApiError> {
    if !may_break_glass(user) {
        return Err(ApiError::Forbidden(format!(
            "a {} user does not read people outside areas",
            user.role.as_str()
        )));
    }
    let reason = reason.trim();
    if !REASON_CHARS.contains(&reason.chars().count()) {
        return Err(ApiError::invalid(
            "reason",
            format!(
                "say why this person must be read, in {} to {} characters, for headquarters to review",
                REASON_CHARS.start(),
                REASON_CHARS.end()
            ),
        ));
    }
    let id = PersonId::parse(id).map_err(|_| ApiError::NotFound)?;
    let person = state.store.person(&AreaPath::root(), &id).await?.ok_or(ApiError::NotFound)?;
    if user.scope_path.contains(&person.path) {
        return Err(ApiError::Conflict(
            "the person is in your areas: read them without breaking the glass".into(),
        ));
    }
    let now = Utc::now();
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

/// 破窗: reads one person outside the user's areas, stating why. The person may then be read
/// for an hour (not their household); every read is audited with the reason, and headquarters
/// reviews each glass broken.
#[utoipa::path(post, path = "/api/v1/people/{id}/break-glass", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "person_id")), request_body = BreakGlassRequest,
    responses((status = 201, body = PersonView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn break_glass_api(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<BreakGlassRequest>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    break_glass(&state, &user, &id, &b.reason).await?;
    let view = person_view(&state, &user, &id, "POST /api/v1/people/{id}/break-glass").await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Deserialize, IntoParams)]
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
pub async fn audit_page(state: &AppState, user: &User, p: &ReadsParams) -> Result<AuditPage, ApiError> {
    if !may_review(user) {
        return Err(ApiError::Forbidden("the audit of reads is for headquarters".into()));
    }
    let limit = p.limit.unwrap_or(PAGE).clamp(1, PAGE);
    let user_id = match p.username.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(name) => match state.store.user_by_name(name).await? {
            Some(u) => Some(u.id),
            None => return Err(ApiError::invalid("username", format!("no user {name:?}"))),
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

/// The audit of reads, for headquarters: who read whom, when, through which route, and why when
/// the read was made under a broken glass.
#[utoipa::path(get, path = "/api/v1/audit/reads", tag = "audit", security(("bearer" = [])), params(ReadsParams),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn audit_reads(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<ReadsParams>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(audit_page(&state, &user, &p).await?))
}

/// The glasses broken, newest first, for headquarters to review.
pub async fn glass_breaks(state: &AppState, user: &User) -> Result<Vec<GlassBreakView>, ApiError> {
    if !may_review(user) {
        return Err(ApiError::Forbidden("the glasses broken are for headquarters to review".into()));
    }
    Ok(state
        .store
        .glass_breaks(&user.scope_path, PAGE)
        .await?
        .into_iter()
        .map(GlassBreakView::from)
        .collect())
}

/// Every glass broken (the latest 200), newest first: who read whom outside their areas, why,
/// and until when.
#[utoipa::path(get, path = "/api/v1/audit/glass-breaks", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Vec<GlassBreakView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn glass_breaks_api(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<GlassBreakView>>, ApiError> {
    Ok(Json(glass_breaks(&state, &user).await?))
}
