//! `/api/v1` routes of supplies: points and stock, rounds and their deliveries, the overdue
//! board.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::supplies::{
    self, DeliveryOutcomeRequest, DeliveryView, DistributionDetail, DistributionRequest, DistributionView,
    OverdueBoard, StockLevel, StockMoveRequest, SuppliesError, SupplyPointRequest, SupplyPointView,
};

impl From<SuppliesError> for ApiError {
    fn from(e: SuppliesError) -> Self {
        match e {
            SuppliesError::NotFound(m) => ApiError::Missing(m),
            SuppliesError::Invalid { field, message } => ApiError::invalid(field, message),
            SuppliesError::Refused(m) => ApiError::Forbidden(m),
            SuppliesError::Conflict(m) => ApiError::Conflict(m),
            SuppliesError::Store(e) => ApiError::from(e),
        }
    }
}

/// 保供点: the distribution points of the caller's areas with their stock.
#[utoipa::path(get, path = "/api/v1/supply-points", tag = "supplies", security(("bearer" = [])),
    responses((status = 200, body = Vec<SupplyPointView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_points(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<SupplyPointView>>, ApiError> {
    Ok(Json(supplies::points(&state, &user).await?))
}

/// Opens a distribution point in an area of the caller's; an id taken is 409.
#[utoipa::path(post, path = "/api/v1/supply-points", tag = "supplies", security(("bearer" = [])),
    request_body = SupplyPointRequest,
    responses((status = 201, body = SupplyPointView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_point(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<SupplyPointRequest>,
) -> Result<(StatusCode, Json<SupplyPointView>), ApiError> {
    Ok((StatusCode::CREATED, Json(supplies::create_point(&state, &user, &b).await?)))
}

/// Stock in (positive) or out (negative) of a point, with where from or to; a move that would
/// take it below zero is 409 naming what is there.
#[utoipa::path(post, path = "/api/v1/supply-points/{id}/stock", tag = "supplies", security(("bearer" = [])),
    params(("id" = String, Path, description = "point id")), request_body = StockMoveRequest,
    responses((status = 200, body = StockLevel), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn move_stock(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<StockMoveRequest>,
) -> Result<Json<StockLevel>, ApiError> {
    Ok(Json(supplies::move_stock(&state, &user, &id, &b).await?))
}

/// 配送轮次: the rounds of the caller's areas, the newest first, with how far each has got.
#[utoipa::path(get, path = "/api/v1/distributions", tag = "supplies", security(("bearer" = [])),
    responses((status = 200, body = Vec<DistributionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_rounds(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<DistributionView>>, ApiError> {
    Ok(Json(supplies::rounds(&state, &user).await?))
}

/// Plans a round over an area: one delivery for every household with someone living in it,
/// sized by its members (the profile's `[supplies] people_per_package`), the vulnerable first;
/// its packages leave the point's stock in the same transaction. A stock short of them is 409,
/// and nothing is written.
#[utoipa::path(post, path = "/api/v1/distributions", tag = "supplies", security(("bearer" = [])),
    request_body = DistributionRequest,
    responses((status = 201, body = DistributionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn plan_round(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<DistributionRequest>,
) -> Result<(StatusCode, Json<DistributionView>), ApiError> {
    Ok((StatusCode::CREATED, Json(supplies::plan_round(&state, &user, &b).await?)))
}

#[derive(serde::Deserialize, utoipa::IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    /// Only the lists inside this area (a building's, for its volunteers).
    #[serde(default)]
    pub area: Option<String>,
}

/// A round's delivery lists, building by building, the vulnerable first in each.
#[utoipa::path(get, path = "/api/v1/distributions/{id}", tag = "supplies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id"), RoundQuery),
    responses((status = 200, body = DistributionDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_round(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RoundQuery>,
) -> Result<Json<DistributionDetail>, ApiError> {
    Ok(Json(supplies::round(&state, &user, id, q.area.as_deref()).await?))
}

/// How a delivery ended at the door: delivered, refused, or nobody home (tried again later). A
/// delivery delivered or refused is closed: 409. A delivery outside the caller's areas is 404.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/outcome", tag = "supplies", security(("bearer" = [])),
    params(("id" = i64, Path, description = "delivery id")), request_body = DeliveryOutcomeRequest,
    responses((status = 200, body = DeliveryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delivery_outcome(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeliveryOutcomeRequest>,
) -> Result<Json<DeliveryView>, ApiError> {
    Ok(Json(supplies::record(&state, &user, id, &b).await?))
}

/// 保供超时: the households of the caller's areas in sealed or controlled zones that nothing
/// reached for longer than the profile allows (`[supplies] overdue_days`).
#[utoipa::path(get, path = "/api/v1/supplies/overdue", tag = "supplies", security(("bearer" = [])),
    responses((status = 200, body = OverdueBoard), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn overdue(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<OverdueBoard>, ApiError> {
    Ok(Json(supplies::overdue(&state, &user).await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/supply-points", supplies::VIEW),
    RouteNeed::post("/api/v1/supply-points", supplies::PLAN),
    RouteNeed::post("/api/v1/supply-points/{id}/stock", supplies::PLAN),
    RouteNeed::get("/api/v1/distributions", supplies::VIEW),
    RouteNeed::post("/api/v1/distributions", supplies::PLAN),
    RouteNeed::get("/api/v1/distributions/{id}", supplies::VIEW),
    RouteNeed::post("/api/v1/deliveries/{id}/outcome", supplies::DELIVER),
    RouteNeed::get("/api/v1/supplies/overdue", supplies::VIEW),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_points, create_point))
        .routes(routes!(move_stock))
        .routes(routes!(list_rounds, plan_round))
        .routes(routes!(get_round))
        .routes(routes!(delivery_outcome))
        .routes(routes!(overdue))
}
