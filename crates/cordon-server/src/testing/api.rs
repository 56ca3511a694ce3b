//! `/api/v1` routes of mass testing: rounds, their coverage and sweep, files of samples and
//! results, single tubes from a phone, tasks, and the pool-size advisor.

use super::TestingError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use cordon_domain::testing::Scheme;
use cordon_import::{Limits, Progress};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::http::{SCAN_UPLOAD_LIMIT, UploadParams};
use crate::testing::{
    self, ResultsImport, RoundDetail, RoundRequest, RoundView, SamplesImport, SweepView, TaskView, Upload,
};
use cordon_domain::{Need, Right};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundListParams {
    /// Closed rounds too (default: open ones only).
    pub include_closed: Option<bool>,
}

/// Testing rounds over the user's areas or above them, open first, newest first.
#[utoipa::path(get, path = "/api/v1/rounds", tag = "testing", security(("bearer" = [])), params(RoundListParams),
    responses((status = 200, body = [RoundView]), (status = 401, body = ErrorBody)))]
pub async fn list_rounds(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<RoundListParams>,
) -> Result<Json<Vec<RoundView>>, ApiError> {
    Ok(Json(testing::rounds(&state, &user, p.include_closed.unwrap_or(false)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundBody {
    /// The `round_id` samples files will carry; generated when absent.
    pub round_key: Option<String>,
    pub name: String,
    /// The name in English, for pages and messages in English; default: `name` serves both.
    #[serde(default)]
    pub name_en: Option<String>,
    pub area_code: String,
    /// Default: now.
    pub starts_at: Option<DateTime<Utc>>,
    pub deadline: DateTime<Utc>,
}

/// 全员核酸: plans a round over an area of the user's, under the profile in force.
#[utoipa::path(post, path = "/api/v1/rounds", tag = "testing", security(("bearer" = [])), request_body = RoundBody,
    responses((status = 201, body = RoundView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_round(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<RoundBody>,
) -> Result<(StatusCode, Json<RoundView>), ApiError> {
    let req = RoundRequest {
        round_key: b.round_key,
        name: b.name,
        name_en: b.name_en,
        area_code: b.area_code,
        starts_at: b.starts_at,
        deadline: b.deadline,
    };
    Ok((StatusCode::CREATED, Json(testing::create_round(&state, &user, req).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaParams {
    /// An area inside the round and the user's areas (default: the larger of the two).
    pub area: Option<String>,
}

/// A round's progress: totals, coverage per child area (lowest first), positive pools with
/// their members' retests, open tasks, and the pooling advised per zone. Members read are audited.
#[utoipa::path(get, path = "/api/v1/rounds/{id}", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), AreaParams),
    responses((status = 200, body = RoundDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn get_round(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<AreaParams>,
) -> Result<Json<RoundDetail>, ApiError> {
    Ok(Json(testing::round_detail(&state, &user, id, p.area.as_deref()).await?))
}

/// Closes a round: every active zone inside it records whether the round came back all negative.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/close", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")),
    responses((status = 200, body = RoundView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close_round(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RoundView>, ApiError> {
    Ok(Json(testing::close_round(&state, &user, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SweepParams {
    /// An area inside the round and the user's areas (default: the larger of the two).
    pub area: Option<String>,
    /// At most this many people (1 to 10,000, default 2,000).
    pub limit: Option<u32>,
    /// The next page: the people after this one (a page's `next_after`).
    pub after: Option<String>,
}

/// 扫楼: registered residents with no sample in the round, door by door, leaving out cases,
/// contacts in a central quarantine site and people tagged hospitalised or away. Every person
/// listed is audited.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/sweep", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), SweepParams),
    responses((status = 200, body = SweepView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sweep(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<SweepParams>,
) -> Result<Json<SweepView>, ApiError> {
    let limit = p.limit.unwrap_or(2000).clamp(1, 10_000);
    let page = testing::SweepPage { after: p.after.as_deref(), limit };
    Ok(Json(testing::sweep(&state, &user, id, p.area.as_deref(), page).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TubeBody {
    /// The tube's barcode.
    pub tube_id: String,
    /// The people in it, by person_id (one: a single tube).
    pub person_ids: Vec<String>,
    #[serde(default)]
    pub site: String,
    /// Default: now.
    pub collected_at: Option<DateTime<Utc>>,
}

/// 采样: records one tube of the round from a sampler's phone, under the same checks as a file.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/tubes", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")), request_body = TubeBody,
    responses((status = 201, body = SamplesImport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_tube(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TubeBody>,
) -> Result<(StatusCode, Json<SamplesImport>), ApiError> {
    if b.person_ids.len() > 50 {
        return Err(ApiError::invalid("person_ids", "a tube holds at most 50 people"));
    }
    let out =
        testing::record_tube(&state, &user, id, &b.tube_id, &b.site, &b.person_ids, b.collected_at).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Sends a samples file (`samples.csv` of formats.md, as the body): every round open and in
/// the user's areas, every person registered, every tube new and within the pooling of its
/// members' zones — or nothing lands, and every bad row is named. The same file twice changes
/// nothing.
#[utoipa::path(post, path = "/api/v1/samples", tag = "testing", security(("bearer" = [])), params(UploadParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = SamplesImport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_samples(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<UploadParams>,
    body: Bytes,
) -> Result<Json<SamplesImport>, ApiError> {
    let upload = Upload::write(p.name.as_deref().unwrap_or("samples.csv"), &body).await?;
    let out = testing::import_samples(
        &state,
        &user,
        &upload.path,
        upload.sha256.clone(),
        Limits::default(),
        &Progress::default(),
    )
    .await?;
    Ok(Json(out))
}

/// Sends a lab's results file (`results.csv` of formats.md, as the body). A positive pool holds
/// its members for a single-tube retest and proposes the zones around them; a positive single
/// tube opens a case; an invalid tube asks for new samples. Whole or nothing; the same file
/// twice changes nothing.
#[utoipa::path(post, path = "/api/v1/results", tag = "testing", security(("bearer" = [])), params(UploadParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ResultsImport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_results(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<UploadParams>,
    body: Bytes,
) -> Result<Json<ResultsImport>, ApiError> {
    let upload = Upload::write(p.name.as_deref().unwrap_or("results.csv"), &body).await?;
    let out = testing::import_results(
        &state,
        &user,
        &upload.path,
        upload.sha256.clone(),
        Limits::default(),
        &Progress::default(),
    )
    .await?;
    Ok(Json(out))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    pub round_id: Option<i64>,
    /// Done tasks too (default: open ones only).
    pub include_done: Option<bool>,
    /// At most this many (1 to 5,000, default 500).
    pub limit: Option<u32>,
}

/// Retests (people held until their single tube reads) and resamples in the user's areas.
#[utoipa::path(get, path = "/api/v1/testing-tasks", tag = "testing", security(("bearer" = [])), params(TaskParams),
    responses((status = 200, body = [TaskView]), (status = 401, body = ErrorBody)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<TaskParams>,
) -> Result<Json<Vec<TaskView>>, ApiError> {
    let limit = p.limit.unwrap_or(500).clamp(1, 5000);
    Ok(Json(testing::tasks(&state, &user, p.round_id, !p.include_done.unwrap_or(false), limit).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PoolSizeParams {
    /// The expected share of positives, 0 to 1.
    pub prevalence: f64,
    /// The largest tube (default 20, the dilution limit).
    pub max_pool: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct PoolSize {
    pub prevalence: f64,
    /// Dorfman's best pool size.
    pub pool_size: u32,
    pub tests_per_person: f64,
    /// Every scheme at its best, cheapest first.
    pub schemes: Vec<Scheme>,
}

/// The pool-size advisor: Dorfman's best pool for a prevalence, and the other schemes.
#[utoipa::path(get, path = "/api/v1/pool-size", tag = "testing", security(("bearer" = [])), params(PoolSizeParams),
    responses((status = 200, body = PoolSize), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pool_size(
    CurrentUser(_user): CurrentUser,
    ApiQuery(p): ApiQuery<PoolSizeParams>,
) -> Result<Json<PoolSize>, ApiError> {
    let (pool_size, tests_per_person, schemes) = testing::advise(p.prevalence, p.max_pool.unwrap_or(20))?;
    Ok(Json(PoolSize { prevalence: p.prevalence, pool_size, tests_per_person, schemes }))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/rounds", Need::SignedIn),
    RouteNeed::post("/api/v1/rounds", Need::AnyOf(&[Right::PlanTesting])),
    RouteNeed::get("/api/v1/rounds/{id}", crate::testing::FOLLOW),
    RouteNeed::post("/api/v1/rounds/{id}/close", Need::AnyOf(&[Right::PlanTesting])),
    RouteNeed::get("/api/v1/rounds/{id}/sweep", crate::testing::FOLLOW),
    RouteNeed::post("/api/v1/rounds/{id}/tubes", Need::AnyOf(&[Right::SendSamples])),
    RouteNeed::post("/api/v1/samples", Need::AnyOf(&[Right::SendSamples])),
    RouteNeed::post("/api/v1/results", Need::AnyOf(&[Right::ReportResults])),
    RouteNeed::get("/api/v1/testing-tasks", crate::testing::FOLLOW),
    RouteNeed::get("/api/v1/pool-size", Need::SignedIn),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rounds, create_round))
        .routes(routes!(get_round))
        .routes(routes!(close_round))
        .routes(routes!(sweep))
        .routes(routes!(record_tube))
        .routes({
            // Files of samples and results are far larger than any other body.
            let (schemas, paths, method) = routes!(upload_samples);
            (schemas, paths, method.layer(axum::extract::DefaultBodyLimit::max(SCAN_UPLOAD_LIMIT)))
        })
        .routes({
            let (schemas, paths, method) = routes!(upload_results);
            (schemas, paths, method.layer(axum::extract::DefaultBodyLimit::max(SCAN_UPLOAD_LIMIT)))
        })
        .routes(routes!(list_tasks))
        .routes(routes!(pool_size))
}

impl From<TestingError> for ApiError {
    fn from(e: TestingError) -> Self {
        match e {
            TestingError::NotFound => ApiError::NotFound,
            TestingError::Forbidden(m) => ApiError::Forbidden(m),
            TestingError::Invalid { field, message } => ApiError::Invalid { field, message },
            e @ TestingError::Member { .. } => {
                let said = e.to_string();
                ApiError::invalid("person_ids", said.trim_start_matches("person_ids: "))
            }
            TestingError::Internal(m) => ApiError::Internal(m),
            TestingError::Zone(e) => ApiError::from(e),
            TestingError::Store(e) => ApiError::from(e),
        }
    }
}
