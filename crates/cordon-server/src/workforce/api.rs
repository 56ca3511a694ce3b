//! `/api/v1` routes of the workforce and 包联: workers, reporting in, quarantine sites,
//! assignments, coverage and the suggestions that close its gaps.

use super::WorkforceError;
use super::duty::DutyError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::UploadParams;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::workforce::{
    self, AcceptOutcome, Accepted, AssignRequest, AssignmentView, CheckinView, CommandPostRequest,
    CommandPostView, CoverageView, SiteRequest, SiteView, SuggestionView, WorkerRequest, WorkerView,
};
use cordon_domain::{Need, Right};

#[derive(Serialize, ToSchema)]
pub struct WorkersImported {
    pub added: i64,
    pub updated: i64,
}

/// Sends a `workers.csv` (formats.md) as the body: every row good or nothing lands; a worker
/// already known is updated.
#[utoipa::path(post, path = "/api/v1/workers", tag = "workforce", security(("bearer" = [])), params(UploadParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = WorkersImported), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_workers(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<UploadParams>,
    body: Bytes,
) -> Result<Json<WorkersImported>, ApiError> {
    let name = p.name.unwrap_or_else(|| "workers.csv".into());
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
    let path = dir.path().join("workers.csv");
    tokio::fs::write(&path, &body).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let (added, updated) = workforce::import_workers(&state, &user, &path, &name).await?;
    Ok(Json(WorkersImported { added, updated }))
}

/// Adds one worker, or brings one already known up to date: 201 when added, 200 when updated.
#[utoipa::path(put, path = "/api/v1/workers/{worker_id}", tag = "workforce", security(("bearer" = [])),
    params(("worker_id" = String, Path, description = "letters, digits, '-' or '_'")), request_body = WorkerRequest,
    responses((status = 200, body = WorkerView), (status = 201, body = WorkerView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_worker(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<WorkerRequest>,
) -> Result<(StatusCode, Json<WorkerView>), ApiError> {
    let (added, w) = workforce::put_worker(&state, &user, &id, b).await?;
    Ok((if added { StatusCode::CREATED } else { StatusCode::OK }, Json(w)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayParams {
    /// A local day, YYYY-MM-DD (default: today).
    pub date: Option<NaiveDate>,
}

/// Who reported in (报到) to a community of the user's areas on a day.
#[utoipa::path(get, path = "/api/v1/checkins", tag = "workforce", security(("bearer" = [])), params(DayParams),
    responses((status = 200, body = [CheckinView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_checkins(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<DayParams>,
) -> Result<Json<Vec<CheckinView>>, ApiError> {
    Ok(Json(workforce::on_hand(&state, &user, p.date).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinBody {
    pub worker_id: String,
    pub community_code: String,
    /// Default: today.
    pub date: Option<NaiveDate>,
}

/// 报到: a worker reports to a community for a day; to a second one the same day is a conflict.
#[utoipa::path(post, path = "/api/v1/checkins", tag = "workforce", security(("bearer" = [])), request_body = CheckinBody,
    responses((status = 201, body = CheckinView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<CheckinBody>,
) -> Result<(StatusCode, Json<CheckinView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(workforce::check_in(&state, &user, &b.worker_id, &b.community_code, b.date).await?),
    ))
}

/// Quarantine sites (隔离点) in the user's areas.
#[utoipa::path(get, path = "/api/v1/sites", tag = "workforce", security(("bearer" = [])),
    responses((status = 200, body = [SiteView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_sites(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<SiteView>>, ApiError> {
    Ok(Json(workforce::sites(&state, &user).await?))
}

#[utoipa::path(post, path = "/api/v1/sites", tag = "workforce", security(("bearer" = [])), request_body = SiteRequest,
    responses((status = 201, body = SiteView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_site(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<SiteRequest>,
) -> Result<(StatusCode, Json<SiteView>), ApiError> {
    Ok((StatusCode::CREATED, Json(workforce::create_site(&state, &user, b).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentParams {
    /// Only those running now (default true).
    pub current: Option<bool>,
}

/// 包联 assignments of units in the user's areas.
#[utoipa::path(get, path = "/api/v1/assignments", tag = "workforce", security(("bearer" = [])), params(AssignmentParams),
    responses((status = 200, body = [AssignmentView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_assignments(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<AssignmentParams>,
) -> Result<Json<Vec<AssignmentView>>, ApiError> {
    Ok(Json(workforce::assignments(&state, &user, p.current.unwrap_or(true)).await?))
}

/// A worker answers for a unit (an area or a quarantine site) as its leader or a member; a
/// second leader for the same time, or an end before the start, is refused.
#[utoipa::path(post, path = "/api/v1/assignments", tag = "workforce", security(("bearer" = [])), request_body = AssignRequest,
    responses((status = 201, body = AssignmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<AssignRequest>,
) -> Result<(StatusCode, Json<AssignmentView>), ApiError> {
    Ok((StatusCode::CREATED, Json(workforce::assign(&state, &user, b).await?)))
}

/// Ends an assignment now.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/end", tag = "workforce", security(("bearer" = [])),
    params(("id" = i64, Path, description = "assignment id")),
    responses((status = 200, body = AssignmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn end_assignment(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AssignmentView>, ApiError> {
    Ok(Json(workforce::end_assignment(&state, &user, id).await?))
}

/// Coverage of the user's areas now: every unit that breaks a rule of the profile in force,
/// worst first, with the residents affected; coverage by tier; the workforce figures; the load.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "workforce", security(("bearer" = [])),
    responses((status = 200, body = CoverageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn coverage(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<CoverageView>, ApiError> {
    Ok(Json(workforce::coverage(&state, &user).await?))
}

/// Leaders proposed for the gaps from the workers on hand today: the nearest, then the least
/// loaded, each worker once (a minimum-cost assignment per street). Nothing is written.
#[utoipa::path(get, path = "/api/v1/coverage/suggestions", tag = "workforce", security(("bearer" = [])),
    responses((status = 200, body = [SuggestionView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn suggestions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<SuggestionView>>, ApiError> {
    Ok(Json(workforce::suggestions(&state, &user).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    pub assignments: Vec<Accepted>,
}

/// Accepts suggestions (as given, or edited): each becomes the unit's leader from now, or is
/// refused with its reason while the others stand.
#[utoipa::path(post, path = "/api/v1/coverage/accept", tag = "workforce", security(("bearer" = [])), request_body = AcceptBody,
    responses((status = 200, body = AcceptOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<AcceptBody>,
) -> Result<Json<AcceptOutcome>, ApiError> {
    Ok(Json(workforce::accept(&state, &user, b.assignments).await?))
}

/// 现场指挥部 in the user's areas, each with its temporary party branch and its team now.
#[utoipa::path(get, path = "/api/v1/command-posts", tag = "workforce", security(("bearer" = [])),
    responses((status = 200, body = [CommandPostView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_command_posts(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<CommandPostView>>, ApiError> {
    Ok(Json(workforce::command_posts(&state, &user).await?))
}

/// Sets up a command post for a compound (one each); its team is the compound's assignments.
#[utoipa::path(post, path = "/api/v1/command-posts", tag = "workforce", security(("bearer" = [])),
    request_body = CommandPostRequest,
    responses((status = 201, body = CommandPostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_command_post(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<CommandPostRequest>,
) -> Result<(StatusCode, Json<CommandPostView>), ApiError> {
    Ok((StatusCode::CREATED, Json(workforce::create_command_post(&state, &user, b).await?)))
}

/// 报到与值班: where the signed-in worker stands — their record, the community reported to today,
/// on duty (since when, overdue for rest), resting (until when) or off, and the shift rule.
/// 403 when the sign-in is linked to no worker of the roster.
#[utoipa::path(get, path = "/api/v1/me/duty", tag = "workforce", security(("bearer" = [])),
    responses((status = 200, body = workforce::DutyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn my_duty(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<workforce::DutyView>, ApiError> {
    Ok(Json(workforce::my_duty(&state, &user).await?))
}

/// The signed-in worker reports in at a community of their areas (and goes on duty), goes off,
/// or back on: `report_in` (with `community_code`), `off`, `on`. A shift inside the rest the
/// profile asks after the last one is refused (409, saying until when).
#[utoipa::path(post, path = "/api/v1/me/duty", tag = "workforce", security(("bearer" = [])),
    request_body = workforce::DutyRequest,
    responses((status = 200, body = workforce::DutyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "on duty already, resting, not reported in, or another community today", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn act_on_duty(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<workforce::DutyRequest>,
) -> Result<Json<workforce::DutyView>, ApiError> {
    Ok(Json(workforce::act(&state, &user, &b).await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::post("/api/v1/workers", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::put("/api/v1/workers/{worker_id}", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::get("/api/v1/checkins", Need::AnyOf(&[Right::ViewWorkforce])),
    RouteNeed::post("/api/v1/checkins", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::get("/api/v1/sites", Need::AnyOf(&[Right::ViewWorkforce])),
    RouteNeed::post("/api/v1/sites", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::get("/api/v1/assignments", Need::AnyOf(&[Right::ViewWorkforce])),
    RouteNeed::post("/api/v1/assignments", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::post("/api/v1/assignments/{id}/end", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::get("/api/v1/coverage", Need::AnyOf(&[Right::ViewWorkforce])),
    RouteNeed::get("/api/v1/coverage/suggestions", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::post("/api/v1/coverage/accept", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::get("/api/v1/command-posts", Need::AnyOf(&[Right::ViewWorkforce])),
    RouteNeed::post("/api/v1/command-posts", Need::AnyOf(&[Right::ManageWorkforce])),
    // A worker's own: any signed-in user whose sign-in is linked to a worker.
    RouteNeed::get("/api/v1/me/duty", Need::SignedIn),
    RouteNeed::post("/api/v1/me/duty", Need::SignedIn),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes({
            // A roster of tens of thousands of workers is larger than any form.
            let (schemas, paths, method) = routes!(import_workers);
            (schemas, paths, method.layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024)))
        })
        .routes(routes!(put_worker))
        .routes(routes!(list_checkins, check_in))
        .routes(routes!(list_sites, create_site))
        .routes(routes!(list_assignments, assign))
        .routes(routes!(end_assignment))
        .routes(routes!(coverage))
        .routes(routes!(suggestions))
        .routes(routes!(accept))
        .routes(routes!(list_command_posts, create_command_post))
        .routes(routes!(my_duty, act_on_duty))
}

impl From<WorkforceError> for ApiError {
    fn from(e: WorkforceError) -> Self {
        match e {
            WorkforceError::NotFound => ApiError::NotFound,
            WorkforceError::Forbidden(m) => ApiError::Forbidden(m),
            WorkforceError::Invalid { field, message } => ApiError::Invalid { field, message },
            WorkforceError::Zone(e) => ApiError::from(e),
            WorkforceError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<DutyError> for ApiError {
    fn from(e: DutyError) -> Self {
        match e {
            DutyError::NotLinked => ApiError::Forbidden(DutyError::NotLinked.to_string()),
            DutyError::Invalid { field, message } => ApiError::invalid(field, message),
            DutyError::Conflict(m) => ApiError::Conflict(m),
            DutyError::Store(e) => ApiError::from(e),
        }
    }
}
