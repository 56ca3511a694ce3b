//! `/api/v1` routes of residents' needs: the board, raising one (a medical emergency gets its
//! emergency pass at once), one need with its timeline, what people do with it, and the counts.

use super::NeedError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::needs::{self, NeedAction, NeedDetail, NeedRequest, NeedView};
use cordon_domain::{Need, Right};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    /// Resolved needs too, after the rest (default false).
    pub resolved: Option<bool>,
    /// At most this many (default 500, at most 5,000).
    pub limit: Option<u32>,
}

/// The needs of the user's areas: not resolved first, the most overdue first, then the highest
/// priority.
#[utoipa::path(get, path = "/api/v1/needs", tag = "needs", security(("bearer" = [])), params(BoardParams),
    responses((status = 200, body = [NeedView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn board(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<BoardParams>,
) -> Result<Json<Vec<NeedView>>, ApiError> {
    let (resolved, limit) = (p.resolved.unwrap_or(false), p.limit.unwrap_or(500));
    Ok(Json(needs::board(&state, &user, resolved, limit, state.now()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// At most this many (default 500, at most 5,000).
    pub limit: Option<u32>,
}

/// What waits for the user's office: the needs of its areas at its rung of the chain (raised
/// there, or climbed to it) that nobody has acknowledged — how an escalation reaches the next office.
#[utoipa::path(get, path = "/api/v1/needs/inbox", tag = "needs", security(("bearer" = [])), params(InboxParams),
    responses((status = 200, body = [NeedView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<InboxParams>,
) -> Result<Json<Vec<NeedView>>, ApiError> {
    Ok(Json(needs::inbox(&state, &user, p.limit.unwrap_or(500), state.now()).await?))
}

/// Raises a need for a household of the user's areas. Its owner is the cadre who leads for the
/// building (else the community); its deadlines come from the profile in force.
#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", security(("bearer" = [])), request_body = NeedRequest,
    responses((status = 201, body = NeedDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn raise(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<NeedRequest>,
) -> Result<(StatusCode, Json<NeedDetail>), ApiError> {
    Ok((StatusCode::CREATED, Json(needs::raise(&state, &user, b, state.now()).await?)))
}

/// One need of the user's areas with its whole timeline.
#[utoipa::path(get, path = "/api/v1/needs/{id}", tag = "needs", security(("bearer" = [])),
    params(("id" = i64, Path, description = "need id")),
    responses((status = 200, body = NeedDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_need(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NeedDetail>, ApiError> {
    Ok(Json(needs::detail(&state, &user, id, state.now()).await?))
}

/// Acknowledge, assign, note, decide (a request to leave a zone), resolve, reopen. A change the
/// need's state does not allow (acknowledging a resolved need …) is 409.
#[utoipa::path(post, path = "/api/v1/needs/{id}/actions", tag = "needs", security(("bearer" = [])),
    params(("id" = i64, Path, description = "need id")), request_body = NeedAction,
    responses((status = 200, body = NeedDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NeedAction>,
) -> Result<Json<NeedDetail>, ApiError> {
    Ok(Json(needs::act(&state, &user, id, b, state.now()).await?))
}

#[derive(Serialize, ToSchema)]
pub struct NeedFigures {
    pub open: i64,
    pub acknowledged: i64,
    pub overdue: i64,
    pub emergencies_overdue: i64,
}

/// The needs of the user's areas now, for the dashboard.
#[utoipa::path(get, path = "/api/v1/needs/figures", tag = "needs", security(("bearer" = [])),
    responses((status = 200, body = NeedFigures), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<NeedFigures>, ApiError> {
    let c = needs::counts(&state, &user, state.now()).await?;
    Ok(Json(NeedFigures {
        open: c.open,
        acknowledged: c.acknowledged,
        overdue: c.overdue,
        emergencies_overdue: c.emergencies_overdue,
    }))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/needs", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::post("/api/v1/needs", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::get("/api/v1/needs/figures", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::get("/api/v1/needs/inbox", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::get("/api/v1/needs/{id}", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::post("/api/v1/needs/{id}/actions", Need::AnyOf(&[Right::HandleNeeds])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(board, raise))
        .routes(routes!(figures))
        .routes(routes!(inbox))
        .routes(routes!(get_need))
        .routes(routes!(act))
}

impl From<NeedError> for ApiError {
    fn from(e: NeedError) -> Self {
        match e {
            NeedError::NotFound => ApiError::NotFound,
            NeedError::Forbidden(m) => ApiError::Forbidden(m),
            NeedError::Conflict(m) => ApiError::Conflict(m),
            NeedError::Invalid { field, message } => ApiError::Invalid { field, message },
            NeedError::Zone(e) => ApiError::from(e),
            NeedError::Gate(e) => ApiError::from(e),
            NeedError::Store(e) => ApiError::from(e),
        }
    }
}
