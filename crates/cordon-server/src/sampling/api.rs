//! `/api/v1` routes of sampling's teams and posts: which sampler answers for which buildings of
//! a round, the post a sampler's phone keeps, and the tubes it sends after sampling offline.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{ASSIGN, SAMPLE, SamplingError};
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::sampling::{self, GivenBuilding, OfflineTubes, RefusalView, SamplerPost, SyncedTube, TeamView};

/// 采样分工: the round's buildings given to samplers (inside the reader's areas), and the
/// samplers who could be given more.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/team", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")),
    responses((status = 200, body = TeamView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn team(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(sampling::team(&state, &user, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// A building (or any area) inside the round's area and yours.
    pub area: String,
    /// A user who sends samples, whose areas hold it.
    pub username: String,
}

/// Gives a building of the round to a sampler; their phone's post holds its people still to
/// sample. Giving it again changes nothing.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/team", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")), request_body = AssignBody,
    responses((status = 201, body = GivenBuilding), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such round, or the area not inside it", body = ErrorBody),
        (status = 409, description = "the round is closed", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<(StatusCode, Json<GivenBuilding>), ApiError> {
    let a = sampling::give_building(&state, &user, id, &b.area, &b.username).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Takes a building of the round from a sampler.
#[utoipa::path(delete, path = "/api/v1/rounds/{id}/team/{area}/{username}", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), ("area" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unassign(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, area, username)): ApiPath<(i64, String, String)>,
) -> Result<StatusCode, ApiError> {
    sampling::take_building(&state, &user, id, &area, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 采样岗: what a sampler's phone keeps for the round — the people of their buildings still to
/// sample, each with the pooling of their home, and the barcodes already used there. Every
/// person is audited. It expires after the profile's offline hours.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/samples/post", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")),
    responses((status = 200, body = SamplerPost), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "the round is closed", body = ErrorBody)))]
pub async fn post(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SamplerPost>, ApiError> {
    Ok(Json(sampling::post(&state, &user, id).await?))
}

/// 离线采样: tubes a phone took without the network, sent when it returns. Each lands on its own
/// under the same checks as a samples file and is kept once: sent again holding the same people
/// it is `already`; a barcode holding others, a person outside the sampler's buildings or a round
/// closed meanwhile is `refused` with why, and the rest land.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/tubes/offline", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")), request_body = OfflineTubes,
    responses((status = 200, body = [SyncedTube]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sync_tubes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<OfflineTubes>,
) -> Result<Json<Vec<SyncedTube>>, ApiError> {
    Ok(Json(sampling::sync_tubes(&state, &user, id, &b).await?))
}

/// 离线未入库: what the round's phones took offline (tubes, doors) and the server refused on
/// arrival, taken inside the caller's areas, newest 200 first — for whoever plans the round.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/refusals", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")),
    responses((status = 200, body = [RefusalView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn refusals(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RefusalView>>, ApiError> {
    Ok(Json(sampling::refusals(&state, &user, id).await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/rounds/{id}/team", crate::testing::FOLLOW),
    RouteNeed::post("/api/v1/rounds/{id}/team", ASSIGN),
    RouteNeed::delete("/api/v1/rounds/{id}/team/{area}/{username}", ASSIGN),
    RouteNeed::get("/api/v1/rounds/{id}/samples/post", SAMPLE),
    RouteNeed::post("/api/v1/rounds/{id}/tubes/offline", SAMPLE),
    RouteNeed::get("/api/v1/rounds/{id}/refusals", ASSIGN),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(team, assign))
        .routes(routes!(unassign))
        .routes(routes!(post))
        .routes(routes!(sync_tubes))
        .routes(routes!(refusals))
}

impl From<SamplingError> for ApiError {
    fn from(e: SamplingError) -> Self {
        match e {
            SamplingError::NoRound(_) => ApiError::NotFound,
            SamplingError::NotFound(m) => ApiError::Missing(m),
            SamplingError::Invalid { field, message } => ApiError::Invalid { field, message },
            SamplingError::Refused(m) => ApiError::Forbidden(m),
            SamplingError::Conflict(m) => ApiError::Conflict(m),
            SamplingError::Testing(e) => ApiError::from(e),
            SamplingError::Store(e) => ApiError::from(e),
        }
    }
}
