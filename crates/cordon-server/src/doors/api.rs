//! `/api/v1` route of the sweep's doors: what a team found at each door of a round's list.

use super::service::DoorError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::doors::{self, DoorsReport, DoorsRequest, OfflineDoors, SyncedDoor};
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody};

/// 扫楼: records what the team found at doors of the round's list — sampled at the door, not
/// at home, moved out, refused (with why), or someone found and registered on the spot — all of
/// the request or none of it. A settled door leaves the list; not at home stays, counted. A
/// person outside the round's area (or the caller's) is 404 naming the entry; registering
/// someone found, or writing a move out of the city to the register, needs keep_register.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/sweep/outcomes", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")), request_body = DoorsRequest,
    responses((status = 201, body = DoorsReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such round, or a person or household not in the round's area", body = ErrorBody),
        (status = 409, description = "the round is closed, or a person found may already be registered", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn record_doors(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DoorsRequest>,
) -> Result<(StatusCode, Json<DoorsReport>), ApiError> {
    let report =
        doors::record_doors(&state, &user, id, &b, "POST /api/v1/rounds/{id}/sweep/outcomes").await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// 扫楼离线: doors a phone recorded without the network, sent when it returns. Each is written on
/// its own and kept once under the id the phone made, however often it is sent; one that cannot
/// be kept (the round closed meanwhile, the person no longer in its area) is answered `refused`
/// with why, and the rest are kept.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/sweep/offline", tag = "testing", security(("bearer" = [])),
    params(("id" = i64, Path, description = "round id")), request_body = OfflineDoors,
    responses((status = 200, body = [SyncedDoor]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn sync_doors(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<OfflineDoors>,
) -> Result<Json<Vec<SyncedDoor>>, ApiError> {
    Ok(Json(doors::sync_doors(&state, &user, id, &b, "POST /api/v1/rounds/{id}/sweep/offline").await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::post("/api/v1/rounds/{id}/sweep/outcomes", doors::DOORS),
    RouteNeed::post("/api/v1/rounds/{id}/sweep/offline", doors::DOORS),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record_doors)).routes(routes!(sync_doors))
}

impl From<DoorError> for ApiError {
    fn from(e: DoorError) -> Self {
        match e {
            DoorError::NoRound(_) => ApiError::NotFound,
            DoorError::NotFound(m) => ApiError::Missing(m),
            DoorError::Invalid { field, message } => ApiError::Invalid { field, message },
            DoorError::Refused(m) => ApiError::Forbidden(m),
            DoorError::Conflict(m) => ApiError::Conflict(m),
            DoorError::Entry { index, error } => match ApiError::from(error) {
                ApiError::Invalid { field, message } => {
                    ApiError::Invalid { field: format!("entries[{index}].person.{field}"), message }
                }
                ApiError::Missing(m) => ApiError::Missing(format!("entries[{index}]: {m}")),
                ApiError::Forbidden(m) => ApiError::Forbidden(format!("entries[{index}]: {m}")),
                ApiError::Conflict(m) => ApiError::Conflict(format!("entries[{index}]: {m}")),
                other => other,
            },
            DoorError::Testing(e) => ApiError::from(e),
            DoorError::Store(e) => ApiError::from(e),
        }
    }
}
