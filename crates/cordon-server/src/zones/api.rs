//! `/api/v1` routes of zones, profiles, proposals and their figures.

use super::ZoneError;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::Tier;
use cordon_domain::protocol::Profile;
use cordon_store::ZoneQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::zones::{
    self, DrawRequest, PositiveOutcome, ProposalView, Recorded, ZoneDetail, ZoneFigures, ZoneView,
    parse_status,
};
use cordon_domain::{Need, Right};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ZoneListParams {
    /// Only zones of this tier.
    pub tier: Option<Tier>,
    /// Lifted zones too.
    #[serde(default)]
    pub include_lifted: bool,
    /// At most this many (1 to 5,000, default 500).
    pub limit: Option<u32>,
}

/// Zones in the user's areas (and those drawn above them), strictest first, each with its state
/// today: clean days, the round it needs, the earliest step down and what blocks it.
#[utoipa::path(get, path = "/api/v1/zones", tag = "zones", security(("bearer" = [])), params(ZoneListParams),
    responses((status = 200, body = [ZoneView]), (status = 401, body = ErrorBody)))]
pub async fn list_zones(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<ZoneListParams>,
) -> Result<Json<Vec<ZoneView>>, ApiError> {
    let query = ZoneQuery {
        include_ended: p.include_lifted,
        tier: p.tier,
        limit: p.limit.unwrap_or(500).clamp(1, 5000),
    };
    Ok(Json(zones::list(&state, &user, &query).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    /// The area the zone is drawn on: any level from a building up.
    pub area_code: String,
    pub tier: Tier,
    /// Why: kept in the zone's history.
    pub reason: String,
    /// The profile that governs it; default: the one in force.
    pub profile: Option<String>,
    /// The case that caused it.
    pub case_person_id: Option<String>,
    /// When it took effect; default: now.
    pub started_at: Option<DateTime<Utc>>,
}

/// 划定: draws a zone. Refused when the area is outside the user's areas, already has an active
/// zone, or lies inside (or around) a zone of the same tier.
#[utoipa::path(post, path = "/api/v1/zones", tag = "zones", security(("bearer" = [])), request_body = DrawBody,
    responses((status = 201, body = ZoneView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draw_zone(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<DrawBody>,
) -> Result<(axum::http::StatusCode, Json<ZoneView>), ApiError> {
    let req = DrawRequest {
        area: b.area_code,
        tier: b.tier,
        reason: b.reason,
        profile: b.profile,
        case_person_id: b.case_person_id,
        at: b.started_at,
    };
    Ok((axum::http::StatusCode::CREATED, Json(zones::draw(&state, &user, req).await?)))
}

/// A zone with its countdown, its blocking reasons, its whole history and its proposals.
#[utoipa::path(get, path = "/api/v1/zones/{id}", tag = "zones", security(("bearer" = [])),
    params(("id" = i64, Path, description = "zone id")),
    responses((status = 200, body = ZoneDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_zone(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ZoneDetail>, ApiError> {
    Ok(Json(zones::detail(&state, &user, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventBody {
    /// A full testing round of the zone, sampled at `at`.
    Round {
        all_negative: bool,
        at: Option<DateTime<Utc>>,
        #[serde(default)]
        note: String,
    },
    /// The last exposure of a close contact of a case inside.
    ContactExposure {
        at: Option<DateTime<Utc>>,
        #[serde(default)]
        note: String,
    },
    /// Headquarters holds the zone at its tier until this day.
    Extension { until: NaiveDate, note: String },
}

/// Records a round, a contact's exposure or an extension in the zone's history. (Positives go
/// through `/api/v1/positives`, which finds every zone around the case.)
#[utoipa::path(post, path = "/api/v1/zones/{id}/events", tag = "zones", security(("bearer" = [])),
    params(("id" = i64, Path, description = "zone id")), request_body = EventBody,
    responses((status = 200, body = ZoneDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_event(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<EventBody>,
) -> Result<Json<ZoneDetail>, ApiError> {
    let (what, at, note) = match b {
        EventBody::Round { all_negative, at, note } => (Recorded::Round { all_negative }, at, note),
        EventBody::ContactExposure { at, note } => (Recorded::ContactExposure, at, note),
        EventBody::Extension { until, note } => (Recorded::Extension { until }, None, note),
    };
    Ok(Json(zones::record(&state, &user, id, what, at, &note).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub note: String,
}

/// 解封 by hand: headquarters lifts a zone whose tier has no step down in its profile, or one
/// the rules allow lifting now.
#[utoipa::path(post, path = "/api/v1/zones/{id}/lift", tag = "zones", security(("bearer" = [])),
    params(("id" = i64, Path, description = "zone id")), request_body = NoteBody,
    responses((status = 200, body = ZoneDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn lift_zone(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<ZoneDetail>, ApiError> {
    Ok(Json(zones::lift(&state, &user, id, &b.note).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseBody {
    pub tier: Tier,
    pub note: String,
}

/// Raises a zone to a stricter tier; its clean days start again.
#[utoipa::path(post, path = "/api/v1/zones/{id}/raise", tag = "zones", security(("bearer" = [])),
    params(("id" = i64, Path, description = "zone id")), request_body = RaiseBody,
    responses((status = 200, body = ZoneDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn raise_zone(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RaiseBody>,
) -> Result<Json<ZoneDetail>, ApiError> {
    Ok(Json(zones::raise(&state, &user, id, b.tier, &b.note).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositiveBody {
    /// The positive person (their household is where the zones are found)…
    pub person_id: Option<String>,
    /// …or a household or building, when the person is not registered.
    pub area_code: Option<String>,
    /// When the positive sample was taken; default: now.
    pub sampled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub note: String,
}

/// A new positive: every active zone around the household starts its clean days again, and the
/// zones the profile in force calls for are proposed to headquarters.
#[utoipa::path(post, path = "/api/v1/positives", tag = "zones", security(("bearer" = [])), request_body = PositiveBody,
    responses((status = 200, body = PositiveOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn record_positive(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<PositiveBody>,
) -> Result<Json<PositiveOutcome>, ApiError> {
    let outcome = zones::record_positive(
        &state,
        &user,
        b.person_id.as_deref(),
        b.area_code.as_deref(),
        b.sampled_at,
        &b.note,
    )
    .await?;
    Ok(Json(outcome))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalParams {
    /// pending (default), approved, rejected, withdrawn or all.
    pub status: Option<String>,
}

/// The proposals queue: step downs the rules allow and zones new positives call for.
#[utoipa::path(get, path = "/api/v1/proposals", tag = "zones", security(("bearer" = [])), params(ProposalParams),
    responses((status = 200, body = [ProposalView]), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_proposals(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<ProposalParams>,
) -> Result<Json<Vec<ProposalView>>, ApiError> {
    let status = parse_status(p.status.as_deref())?;
    let found = state.store.proposals(&user.scope_path, status, 500).await?;
    Ok(Json(found.iter().map(ProposalView::of).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub approve: bool,
    /// Why; required to reject.
    #[serde(default)]
    pub note: String,
}

/// Headquarters approves or rejects a proposal. An approved step down is checked against the
/// rules again at that moment.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/decision", tag = "zones", security(("bearer" = [])),
    params(("id" = i64, Path, description = "proposal id")), request_body = DecisionBody,
    responses((status = 200, body = ProposalView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_proposal(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<ProposalView>, ApiError> {
    Ok(Json(zones::decide(&state, &user, id, b.approve, &b.note).await?))
}

/// People and zones by tier in the user's areas, zones ready to step down today and zones
/// overdue for a round: from the state kept in memory, not a query over the people.
#[utoipa::path(get, path = "/api/v1/zones/figures", tag = "zones", security(("bearer" = [])),
    responses((status = 200, body = ZoneFigures), (status = 401, body = ErrorBody)))]
pub async fn zone_figures(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<ZoneFigures>, ApiError> {
    Ok(Json(zones::figures(&state, &user).await?))
}

/// A profile as stored, beside what the register knows of it. The profile is a field of its own,
/// so it can be sent back to `PUT /api/v1/profiles/{key}` as it is.
#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    pub profile: Profile,
    pub builtin: bool,
    /// True for the profile new zones are drawn under.
    pub in_force: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// The protocol profiles: each tier's names, movement rule, tests and step down.
#[utoipa::path(get, path = "/api/v1/profiles", tag = "zones", security(("bearer" = [])),
    responses((status = 200, body = [ProfileView]), (status = 401, body = ErrorBody)))]
pub async fn list_profiles(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Result<Json<Vec<ProfileView>>, ApiError> {
    let in_force = zones::profile_in_force(&state).await?;
    let all = state.store.profiles().await?;
    Ok(Json(
        all.into_iter()
            .map(|r| ProfileView {
                in_force: r.profile.key == in_force,
                builtin: r.builtin,
                updated_at: r.updated_at,
                updated_by: r.updated_by,
                profile: r.profile,
            })
            .collect(),
    ))
}

/// Adds or replaces a profile. It is checked first: each tier once, every step to a less strict
/// tier the profile has, every round inside its clean period. Zones drawn under it follow the
/// new rules from now on; their history is not rewritten.
#[utoipa::path(put, path = "/api/v1/profiles/{key}", tag = "zones", security(("bearer" = [])),
    params(("key" = String, Path, description = "profile key")), request_body = Object,
    responses((status = 200, body = ProfileView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_profile(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(key): ApiPath<String>,
    ApiJson(profile): ApiJson<Profile>,
) -> Result<Json<ProfileView>, ApiError> {
    let (r, in_force) = zones::put_profile(&state, &user, &key, &profile).await?;
    Ok(Json(ProfileView {
        in_force,
        builtin: r.builtin,
        updated_at: r.updated_at,
        updated_by: r.updated_by,
        profile: r.profile,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InForceBody {
    pub profile: String,
}

/// Chooses the profile new zones are drawn under and escalations follow. Zones already drawn
/// keep theirs.
#[utoipa::path(put, path = "/api/v1/profiles-in-force", tag = "zones", security(("bearer" = [])),
    request_body = InForceBody,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_in_force(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<InForceBody>,
) -> Result<axum::http::StatusCode, ApiError> {
    zones::choose_profile(&state, &user, &b.profile).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/zones", Need::SignedIn),
    RouteNeed::post("/api/v1/zones", Need::AnyOf(&[Right::ManageZones])),
    RouteNeed::get("/api/v1/zones/figures", Need::SignedIn),
    RouteNeed::get("/api/v1/zones/{id}", Need::SignedIn),
    RouteNeed::post("/api/v1/zones/{id}/events", Need::AnyOf(&[Right::ManageZones, Right::Command])),
    RouteNeed::post("/api/v1/zones/{id}/lift", Need::AnyOf(&[Right::Command])),
    RouteNeed::post("/api/v1/zones/{id}/raise", Need::AnyOf(&[Right::Command])),
    RouteNeed::post("/api/v1/positives", Need::AnyOf(&[Right::ReportPositive])),
    RouteNeed::get("/api/v1/proposals", Need::SignedIn),
    RouteNeed::post("/api/v1/proposals/{id}/decision", Need::AnyOf(&[Right::Command])),
    RouteNeed::get("/api/v1/profiles", Need::SignedIn),
    RouteNeed::put("/api/v1/profiles/{key}", Need::AnyOf(&[Right::Command])),
    RouteNeed::put("/api/v1/profiles-in-force", Need::AnyOf(&[Right::Command])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_zones, draw_zone))
        .routes(routes!(zone_figures))
        .routes(routes!(get_zone))
        .routes(routes!(record_event))
        .routes(routes!(lift_zone))
        .routes(routes!(raise_zone))
        .routes(routes!(record_positive))
        .routes(routes!(list_proposals))
        .routes(routes!(decide_proposal))
        .routes(routes!(list_profiles))
        .routes(routes!(put_profile))
        .routes(routes!(set_in_force))
}

impl From<ZoneError> for ApiError {
    fn from(e: ZoneError) -> Self {
        match e {
            ZoneError::NotFound => ApiError::NotFound,
            ZoneError::Forbidden(m) => ApiError::Forbidden(m),
            ZoneError::Conflict(m) => ApiError::Conflict(m),
            ZoneError::Invalid { field, message } => ApiError::Invalid { field, message },
            ZoneError::Internal(m) => ApiError::Internal(m),
            ZoneError::Store(e) => ApiError::from(e),
        }
    }
}
