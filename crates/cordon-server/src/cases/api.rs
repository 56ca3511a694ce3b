//! `/api/v1` routes of cases, contacts, trajectories, notices, the chain, scans and venues.

use super::CaseError;
use super::followup::FollowUpError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::notice::Transport;
use cordon_domain::{AreaCode, CaseClass, ContactKind, ContactStatus};
use cordon_store::{ContactQuery, Venue};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::cases::scan_index::IndexStatus;
use crate::cases::{
    self, CaseDetail, CaseView, Change, ClusterView, ContactFollowUp, ContactView, HealthCheckRequest,
    NoticeView, OpenRequest, ScanUpload, SegmentRequest, SegmentView, TraceOutcome,
};
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::http::{SCAN_UPLOAD_LIMIT, UploadParams};
use cordon_domain::{Need, Right};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// At most this many (1 to 5,000, default 500).
    pub limit: Option<u32>,
}

/// Cases in the user's areas, newest first, with their contact counts. Every case's person read
/// is audited.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), params(LimitParams),
    responses((status = 200, body = [CaseView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_cases(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<LimitParams>,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    let limit = p.limit.unwrap_or(500).clamp(1, 5000);
    Ok(Json(cases::list(&state, &user, limit, "GET /api/v1/cases").await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    pub person_id: String,
    pub class: CaseClass,
    /// Day symptoms began (none: asymptomatic).
    pub onset_date: Option<NaiveDate>,
    /// When the positive sample was taken.
    pub sampled_at: DateTime<Utc>,
    pub isolated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub isolation_place: String,
    /// The case this one caught it from, when known.
    pub source_case_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// 立案: opens a case for a person in the user's areas under the profile in force. Its
/// infectious period starts the profile's days before onset (or sampling); the positive is
/// recorded in every zone around the household.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), request_body = OpenBody,
    responses((status = 201, body = CaseView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_case(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<OpenBody>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let req = OpenRequest {
        person_id: b.person_id,
        class: b.class,
        onset: b.onset_date,
        sampled_at: b.sampled_at,
        isolated_at: b.isolated_at,
        isolation_place: b.isolation_place,
        source_case_id: b.source_case_id,
        note: b.note,
    };
    Ok((StatusCode::CREATED, Json(cases::open(&state, &user, req).await?)))
}

/// A case with its history, trajectory, chain and notices.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CaseDetail>, ApiError> {
    Ok(Json(cases::detail(&state, &user, id, "GET /api/v1/cases/{id}").await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChangeBody {
    /// 无症状感染者转确诊 (or a corrected diagnosis).
    Reclassify {
        to: CaseClass,
    },
    Isolate {
        at: Option<DateTime<Utc>>,
        place: String,
    },
    /// The case it caught it from; none: unknown.
    Link {
        source_case_id: Option<i64>,
    },
    Note {
        text: String,
    },
}

/// Records a change in the case's history.
#[utoipa::path(post, path = "/api/v1/cases/{id}/changes", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id")), request_body = ChangeBody,
    responses((status = 200, body = CaseDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_case(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ChangeBody>,
) -> Result<Json<CaseDetail>, ApiError> {
    let change = match b {
        ChangeBody::Reclassify { to } => Change::Reclassify { to },
        ChangeBody::Isolate { at, place } => Change::Isolate { at, place },
        ChangeBody::Link { source_case_id } => Change::Link { source_case_id },
        ChangeBody::Note { text } => Change::Note { text },
    };
    cases::change(&state, &user, id, change).await?;
    Ok(Json(cases::detail(&state, &user, id, "POST /api/v1/cases/{id}/changes").await?))
}

/// 转归: records where a case's course stands — `hospitalised` or `isolated` (with the place),
/// `recovered` (refused, 422, unless the case's profile's discharge rule is met by the person's
/// negative tests after the positive; starts the health monitoring at home it sets) or `died`
/// (the person's death in the register too). A recovered or dead case is closed: it takes no
/// further outcome, and its person is no longer positive at a gate.
#[utoipa::path(post, path = "/api/v1/cases/{id}/outcome", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id")), request_body = cases::OutcomeRequest,
    responses((status = 200, body = CaseDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "another outcome was recorded meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn case_outcome(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<cases::OutcomeRequest>,
) -> Result<Json<CaseDetail>, ApiError> {
    Ok(Json(cases::record_outcome(&state, &user, id, &b, "POST /api/v1/cases/{id}/outcome").await?))
}

/// 流调: derives the case's close and secondary contacts from its household and the scan index,
/// and saves them with their quarantine plans. Tracing again keeps each contact's follow-up.
#[utoipa::path(post, path = "/api/v1/cases/{id}/trace", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = TraceOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn trace_case(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TraceOutcome>, ApiError> {
    Ok(Json(cases::trace(&state, &user, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseContactParams {
    pub kind: Option<ContactKind>,
    /// Only those still followed up.
    #[serde(default)]
    pub active: bool,
    pub limit: Option<u32>,
    /// Skip this many first: the next page is at `offset + limit`.
    pub offset: Option<u32>,
}

/// The contacts of one case, each with its quarantine plan day by day.
#[utoipa::path(get, path = "/api/v1/cases/{id}/contacts", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id"), CaseContactParams),
    responses((status = 200, body = [ContactView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_contacts(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<CaseContactParams>,
) -> Result<Json<Vec<ContactView>>, ApiError> {
    let q = ContactQuery {
        case_id: Some(id),
        active_only: p.active,
        kind: p.kind,
        living_in: None,
        person_id: None,
        overdue_only: false,
        limit: p.limit.unwrap_or(5000).clamp(1, 50_000),
        offset: p.offset.unwrap_or(0),
    };
    Ok(Json(cases::contacts(&state, &user, &q, "GET /api/v1/cases/{id}/contacts").await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactListParams {
    pub kind: Option<ContactKind>,
    /// Only those still followed up.
    #[serde(default)]
    pub active: bool,
    /// Only those living in this area (a community, a building …).
    pub area: Option<String>,
    /// Only those followed up with a test day missed (应检未检), to chase today.
    #[serde(default)]
    pub overdue: bool,
    pub limit: Option<u32>,
    /// Skip this many first: the next page is at `offset + limit`.
    pub offset: Option<u32>,
}

/// Contacts living in the user's areas or traced from their cases.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "cases", security(("bearer" = [])), params(ContactListParams),
    responses((status = 200, body = [ContactView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_contacts(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<ContactListParams>,
) -> Result<Json<Vec<ContactView>>, ApiError> {
    let living_in = match p.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            let code = AreaCode::parse(a).map_err(|e| ApiError::invalid("area", e.reason()))?;
            let node = state.store.area(&user.scope_path, &code).await?;
            Some(
                node.ok_or_else(|| ApiError::invalid("area", format!("{code}: no such area in your areas")))?
                    .area
                    .path,
            )
        }
    };
    let q = ContactQuery {
        case_id: None,
        active_only: p.active,
        kind: p.kind,
        living_in,
        person_id: None,
        overdue_only: p.overdue,
        limit: p.limit.unwrap_or(500).clamp(1, 5000),
        offset: p.offset.unwrap_or(0),
    };
    Ok(Json(cases::contacts(&state, &user, &q, "GET /api/v1/contacts").await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub status: ContactStatus,
    /// Where the contact is quarantined (a hotel and room, or 居家).
    #[serde(default)]
    pub place: String,
}

/// A contact's follow-up: placed (where), released, unreachable.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")), request_body = ContactBody,
    responses((status = 200, body = ContactView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_contact(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ContactBody>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(cases::update_contact(&state, &user, id, b.status, &b.place).await?))
}

/// 医学观察: a contact with their plan day by day (each test day ahead, due, missed, pending,
/// negative or positive), their health checks, and where they stand: under way, to release, or
/// held with the reason.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")),
    responses((status = 200, body = ContactFollowUp), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_contact(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ContactFollowUp>, ApiError> {
    Ok(Json(cases::followup(&state, &user, id, "GET /api/v1/contacts/{id}").await?))
}

/// 健康监测: records a contact's daily health check (temperature, symptoms); a fever or a
/// symptom holds the release.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/checks", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")), request_body = HealthCheckRequest,
    responses((status = 201, body = ContactFollowUp), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_check(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<HealthCheckRequest>,
) -> Result<(StatusCode, Json<ContactFollowUp>), ApiError> {
    let view = cases::record_check(&state, &user, id, &b, "POST /api/v1/contacts/{id}/checks").await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// 健康监测离线: checks a phone took door to door without the network, sent when it returns.
/// Each is written on its own and kept once under the id the phone made, however often it is
/// sent; one that cannot be kept (the contact released meanwhile, outside the worker's areas)
/// is answered `refused` with why, and the rest are kept.
#[utoipa::path(post, path = "/api/v1/health-checks/offline", tag = "cases", security(("bearer" = [])),
    request_body = cases::OfflineChecks,
    responses((status = 200, body = [cases::SyncedCheck]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn sync_checks(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<cases::OfflineChecks>,
) -> Result<Json<Vec<cases::SyncedCheck>>, ApiError> {
    Ok(Json(cases::sync_checks(&state, &user, &b).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// A venue with a code (its name is taken from the venues).
    pub venue_id: Option<String>,
    /// Or the area of a place without one (a home, a workplace): never named in a notice.
    pub area_code: Option<String>,
    #[serde(default)]
    pub place: String,
    pub transport: Option<Transport>,
    /// The line or number: 公交1路, K1234次.
    #[serde(default)]
    pub transport_detail: String,
}

/// Adds a stop or trip to the case's trajectory.
#[utoipa::path(post, path = "/api/v1/cases/{id}/segments", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id")), request_body = SegmentBody,
    responses((status = 201, body = SegmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_segment(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SegmentBody>,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    let req = SegmentRequest {
        starts_at: b.starts_at,
        ends_at: b.ends_at,
        venue_id: b.venue_id,
        area_code: b.area_code,
        place: b.place,
        transport: b.transport,
        transport_detail: b.transport_detail,
    };
    Ok((StatusCode::CREATED, Json(cases::add_segment(&state, &user, id, req).await?)))
}

/// Removes a segment typed in error.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/segments/{segment}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id"), ("segment" = i64, Path, description = "segment id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn remove_segment(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, segment)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    cases::remove_segment(&state, &user, id, segment).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 活动轨迹: drafts the public notice from the trajectory, with the person removed and every
/// place seen by fewer than k people given as its street.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notices", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id")),
    responses((status = 201, body = NoticeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft_notice(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<NoticeView>), ApiError> {
    Ok((StatusCode::CREATED, Json(cases::draft_notice(&state, &user, id).await?)))
}

/// Headquarters publishes a draft; the published text is kept (an earlier one is withdrawn).
#[utoipa::path(post, path = "/api/v1/cases/{id}/notices/{notice}/publish", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "case id"), ("notice" = i64, Path, description = "notice id")),
    responses((status = 200, body = NoticeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish_notice(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, notice)): ApiPath<(i64, i64)>,
) -> Result<Json<NoticeView>, ApiError> {
    Ok(Json(cases::publish_notice(&state, &user, id, notice).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ChainView {
    /// The chain drawn as SVG.
    pub svg: String,
    pub clusters: Vec<ClusterView>,
}

/// The transmission chain of every case, and its clusters, largest first.
#[utoipa::path(get, path = "/api/v1/chain", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = ChainView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn chain(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<ChainView>, ApiError> {
    let (svg, clusters) = cases::chain(&state, &user, None).await?;
    Ok(Json(ChainView { svg, clusters }))
}

/// Sends a file of venue-code scans (`scans.csv` of formats.md, as the body, up to 256 MB): it
/// lands whole or not at all, the same file twice adds nothing, and the index is extended.
#[utoipa::path(post, path = "/api/v1/scans", tag = "cases", security(("bearer" = [])), params(UploadParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ScanUpload), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_scans(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<UploadParams>,
    body: Bytes,
) -> Result<Json<ScanUpload>, ApiError> {
    let name = p.name.unwrap_or_else(|| "upload.csv".into());
    Ok(Json(cases::upload_scans(&state, &user, &name, &body).await?))
}

/// What the scan index holds.
#[utoipa::path(get, path = "/api/v1/scans", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = IndexStatus), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn scan_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<IndexStatus>, ApiError> {
    if !cases::may_view(&user) {
        return Err(ApiError::Forbidden("the scan index is for the offices and epidemiologists".into()));
    }
    Ok(Json(state.scans.status()))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueBody {
    pub venue_id: String,
    pub name: String,
    pub area_code: String,
    #[serde(default)]
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct VenueView {
    pub venue_id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub kind: String,
}

/// Venues standing in the user's areas.
#[utoipa::path(get, path = "/api/v1/venues", tag = "cases", security(("bearer" = [])), params(LimitParams),
    responses((status = 200, body = [VenueView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_venues(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<LimitParams>,
) -> Result<Json<Vec<VenueView>>, ApiError> {
    if !cases::may_view(&user) {
        return Err(ApiError::Forbidden("venues are for the offices and epidemiologists".into()));
    }
    let rows = state.store.venues_in(&user.scope_path, p.limit.unwrap_or(500).clamp(1, 5000)).await?;
    Ok(Json(
        rows.into_iter()
            .map(|v| VenueView {
                venue_id: v.venue.venue_id,
                name: v.venue.name,
                area_code: v.venue.area,
                area_name: v.area_name,
                kind: v.venue.kind,
            })
            .collect(),
    ))
}

/// Adds or updates venues (all or none), each inside the user's areas.
#[utoipa::path(put, path = "/api/v1/venues", tag = "cases", security(("bearer" = [])), request_body = [VenueBody],
    responses((status = 200, body = usize, content_type = "application/json", description = "how many venues were added or updated"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_venues(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<Vec<VenueBody>>,
) -> Result<Json<usize>, ApiError> {
    if !cases::may_manage(&user) {
        return Err(ApiError::Forbidden("venues are registered by the offices and epidemiologists".into()));
    }
    let mut venues = Vec::with_capacity(b.len());
    for (i, v) in b.into_iter().enumerate() {
        let field = |f: &str| format!("[{i}].{f}");
        let id = v.venue_id.trim();
        if id.is_empty() || id.len() > 64 {
            return Err(ApiError::invalid(&field("venue_id"), "1 to 64 characters"));
        }
        if v.name.trim().is_empty() {
            return Err(ApiError::invalid(&field("name"), "is empty"));
        }
        let area =
            AreaCode::parse(&v.area_code).map_err(|e| ApiError::invalid(&field("area_code"), e.reason()))?;
        if state.store.area(&user.scope_path, &area).await?.is_none() {
            return Err(ApiError::invalid(
                &field("area_code"),
                format!("{area}: no such area in your areas"),
            ));
        }
        venues.push(Venue { venue_id: id.to_owned(), name: v.name.trim().to_owned(), area, kind: v.kind });
    }
    Ok(Json(state.store.put_venues(&venues).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TracingSettings {
    /// Minutes two scans at one venue may lie apart and count as together (formats.md: 30).
    pub window_minutes: Option<i64>,
    /// A public notice names a place only when at least k people scanned it in the window.
    pub notice_k: Option<i32>,
}

/// Headquarters sets the tracing window and the k of public notices.
#[utoipa::path(put, path = "/api/v1/tracing-settings", tag = "cases", security(("bearer" = [])),
    request_body = TracingSettings,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_tracing_settings(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<TracingSettings>,
) -> Result<StatusCode, ApiError> {
    if !user.may(cordon_domain::Right::Command) {
        return Err(ApiError::Forbidden("only headquarters sets the tracing rules".into()));
    }
    if let Some(w) = b.window_minutes {
        if !(1..=24 * 60).contains(&w) {
            return Err(ApiError::invalid("window_minutes", "between 1 and 1,440 minutes"));
        }
        state.store.set_setting(cases::WINDOW_SETTING, &w.to_string()).await?;
    }
    if let Some(k) = b.notice_k {
        if !(2..=10_000).contains(&k) {
            return Err(ApiError::invalid("notice_k", "between 2 and 10,000 people"));
        }
        state.store.set_setting(cases::NOTICE_K_SETTING, &k.to_string()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/cases", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/api/v1/cases", Need::AnyOf(&[Right::ManageCases, Right::OpenCases])),
    RouteNeed::get("/api/v1/cases/{id}", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/api/v1/cases/{id}/changes", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/api/v1/cases/{id}/outcome", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/api/v1/cases/{id}/trace", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::get("/api/v1/cases/{id}/contacts", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::get("/api/v1/contacts", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::get("/api/v1/contacts/{id}", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::patch("/api/v1/contacts/{id}", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/api/v1/contacts/{id}/checks", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/api/v1/health-checks/offline", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/api/v1/cases/{id}/segments", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::delete("/api/v1/cases/{id}/segments/{segment}", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/api/v1/cases/{id}/notices", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::post("/api/v1/cases/{id}/notices/{notice}/publish", Need::AnyOf(&[Right::Publish])),
    RouteNeed::get("/api/v1/chain", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::post("/api/v1/scans", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::get("/api/v1/scans", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::get("/api/v1/venues", Need::AnyOf(&[Right::ViewCases])),
    RouteNeed::put("/api/v1/venues", Need::AnyOf(&[Right::ManageCases])),
    RouteNeed::put("/api/v1/tracing-settings", Need::AnyOf(&[Right::Command])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, open_case))
        .routes(routes!(get_case))
        .routes(routes!(change_case))
        .routes(routes!(case_outcome))
        .routes(routes!(trace_case))
        .routes(routes!(case_contacts))
        .routes(routes!(list_contacts))
        .routes(routes!(get_contact, update_contact))
        .routes(routes!(add_check))
        .routes(routes!(sync_checks))
        .routes(routes!(add_segment))
        .routes(routes!(remove_segment))
        .routes(routes!(draft_notice))
        .routes(routes!(publish_notice))
        .routes(routes!(chain))
        .routes({
            // A file of scans is far larger than any other body.
            let (schemas, paths, method) = routes!(upload_scans, scan_status);
            (schemas, paths, method.layer(axum::extract::DefaultBodyLimit::max(SCAN_UPLOAD_LIMIT)))
        })
        .routes(routes!(list_venues, put_venues))
        .routes(routes!(put_tracing_settings))
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::NotFound => ApiError::NotFound,
            CaseError::Forbidden(m) => ApiError::Forbidden(m),
            CaseError::Conflict(m) => ApiError::Conflict(m),
            CaseError::Invalid { field, message } => ApiError::Invalid { field, message },
            CaseError::NotReady(m) => ApiError::NotReady(m),
            CaseError::Internal(m) => ApiError::Internal(m),
            CaseError::Zone(e) => ApiError::from(e),
            CaseError::FollowUp(e) => ApiError::from(e),
            CaseError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<FollowUpError> for ApiError {
    fn from(e: FollowUpError) -> Self {
        match e {
            FollowUpError::NotFound(id) => ApiError::Missing(format!("no contact {id} in your areas")),
            FollowUpError::Invalid { field, message } => ApiError::invalid(field, message),
            FollowUpError::Refused(m) => ApiError::Forbidden(m),
            FollowUpError::Conflict(m) => ApiError::Conflict(m),
            FollowUpError::Case(e) => ApiError::from(*e),
            FollowUpError::Store(e) => ApiError::from(e),
        }
    }
}
