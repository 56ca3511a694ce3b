//! `/api/v1` routes of sanitation: disinfection tasks and the waste of sealed buildings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::sanitation::{
    self, CollectionRequest, CollectionView, DisinfectionRequest, DisinfectionView, DoneRequest,
    SanitationError, TeamRequest, WasteBoard,
};

impl From<SanitationError> for ApiError {
    fn from(e: SanitationError) -> Self {
        match e {
            SanitationError::NotFound(m) => ApiError::Missing(m),
            SanitationError::Invalid { field, message } => ApiError::invalid(field, message),
            SanitationError::Refused(m) => ApiError::Forbidden(m),
            SanitationError::Conflict(m) => ApiError::Conflict(m),
            SanitationError::Store(e) => ApiError::from(e),
        }
    }
}

#[derive(serde::Deserialize, utoipa::IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    /// Only the tasks not done.
    #[serde(default)]
    pub open: Option<bool>,
}

/// 消杀任务: the disinfections of the caller's areas, the open by deadline (each flagged
/// overdue past it), then the latest done.
#[utoipa::path(get, path = "/api/v1/disinfections", tag = "sanitation", security(("bearer" = [])),
    params(TasksQuery),
    responses((status = 200, body = Vec<DisinfectionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<TasksQuery>,
) -> Result<Json<Vec<DisinfectionView>>, ApiError> {
    Ok(Json(sanitation::disinfections(&state, &user, q.open.unwrap_or(false)).await?))
}

/// Orders a disinfection of a place of the caller's areas, due in `hours` (default the
/// profile's `[sanitation] disinfect_hours`). A place with an open task of the kind is 409.
/// A case's home and stairs need no order: the case's pick-up writes them.
#[utoipa::path(post, path = "/api/v1/disinfections", tag = "sanitation", security(("bearer" = [])),
    request_body = DisinfectionRequest,
    responses((status = 201, body = DisinfectionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn order(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<DisinfectionRequest>,
) -> Result<(StatusCode, Json<DisinfectionView>), ApiError> {
    Ok((StatusCode::CREATED, Json(sanitation::order(&state, &user, &b).await?)))
}

/// Sends a team to an open task (or another team); a task done is 409.
#[utoipa::path(post, path = "/api/v1/disinfections/{id}/team", tag = "sanitation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id")), request_body = TeamRequest,
    responses((status = 200, body = DisinfectionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TeamRequest>,
) -> Result<Json<DisinfectionView>, ApiError> {
    Ok(Json(sanitation::assign(&state, &user, id, &b).await?))
}

/// Marks a task done, with when and how; done already, or before it was ordered, is 409.
#[utoipa::path(post, path = "/api/v1/disinfections/{id}/done", tag = "sanitation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "task id")), request_body = DoneRequest,
    responses((status = 200, body = DisinfectionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn done(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DoneRequest>,
) -> Result<Json<DisinfectionView>, ApiError> {
    Ok(Json(sanitation::complete(&state, &user, id, &b).await?))
}

/// 垃圾清运: the buildings of sealed zones of the caller's areas, those longest uncollected
/// first (overdue past the profile's `[sanitation] waste_hours`), with their homes whose waste
/// is kept apart, and the latest collections.
#[utoipa::path(get, path = "/api/v1/waste", tag = "sanitation", security(("bearer" = [])),
    responses((status = 200, body = WasteBoard), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn waste(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<WasteBoard>, ApiError> {
    Ok(Json(sanitation::waste(&state, &user).await?))
}

/// Records a collection from a building. When homes of it have a case or a contact at home,
/// `apart_bags` says how many bags of their waste were collected apart, or `note` why none:
/// otherwise 422 on `apart_bags`, naming how many such homes there are.
#[utoipa::path(post, path = "/api/v1/waste/collections", tag = "sanitation", security(("bearer" = [])),
    request_body = CollectionRequest,
    responses((status = 201, body = CollectionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn collect(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<CollectionRequest>,
) -> Result<(StatusCode, Json<CollectionView>), ApiError> {
    Ok((StatusCode::CREATED, Json(sanitation::collect(&state, &user, &b).await?)))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/disinfections", sanitation::VIEW),
    RouteNeed::post("/api/v1/disinfections", sanitation::ORDER),
    RouteNeed::post("/api/v1/disinfections/{id}/team", sanitation::WORK),
    RouteNeed::post("/api/v1/disinfections/{id}/done", sanitation::WORK),
    RouteNeed::get("/api/v1/waste", sanitation::VIEW),
    RouteNeed::post("/api/v1/waste/collections", sanitation::WORK),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, order))
        .routes(routes!(assign))
        .routes(routes!(done))
        .routes(routes!(waste))
        .routes(routes!(collect))
}
