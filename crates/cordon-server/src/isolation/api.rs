//! `/api/v1` routes of isolation: a site's rooms, rooms added and marked, stays checked in and
//! out, transfers planned, ordered and followed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::isolation::{
    self, CheckOutRequest, IsolationError, PlanRequest, RoomStateRequest, RoomsRequest, SiteOccupancy,
    SiteRooms, StayRequest, StayView, TransferDetail, TransferProposal, TransferRequest, TransferStepRequest,
    TransferView,
};

impl From<IsolationError> for ApiError {
    fn from(e: IsolationError) -> Self {
        match e {
            IsolationError::NotFound(m) => ApiError::Missing(m),
            IsolationError::Invalid { field, message } => ApiError::invalid(field, message),
            IsolationError::Refused(m) => ApiError::Forbidden(m),
            IsolationError::Conflict(m) => ApiError::Conflict(m),
            IsolationError::Gate(e) => ApiError::from(e),
            IsolationError::Store(e) => ApiError::from(e),
        }
    }
}

/// Every site of the caller's areas with its occupancy, counted from the stays: rooms, beds,
/// people in them, beds free, rooms being cleaned, and stays planned to end by tomorrow.
#[utoipa::path(get, path = "/api/v1/isolation/sites", tag = "isolation", security(("bearer" = [])),
    responses((status = 200, body = Vec<SiteOccupancy>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_sites(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<SiteOccupancy>>, ApiError> {
    Ok(Json(isolation::sites(&state, &user).await?))
}

/// A site's rooms at a glance, each with its state and how many are in it; who is in it (name,
/// case or contact, planned end) with `view_cases`, each person shown on the audit of reads.
#[utoipa::path(get, path = "/api/v1/sites/{id}/rooms", tag = "isolation", security(("bearer" = [])),
    params(("id" = String, Path, description = "site id")),
    responses((status = 200, body = SiteRooms), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such site in the caller's areas", body = ErrorBody)))]
pub async fn site_rooms(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SiteRooms>, ApiError> {
    Ok(Json(isolation::rooms(&state, &user, &id, "GET /api/v1/sites/{id}/rooms").await?))
}

/// Adds rooms (or a 方舱's beds) to a site: all of them or none; a label the site has already
/// is 409.
#[utoipa::path(post, path = "/api/v1/sites/{id}/rooms", tag = "isolation", security(("bearer" = [])),
    params(("id" = String, Path, description = "site id")), request_body = RoomsRequest,
    responses((status = 201, body = SiteRooms), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_rooms(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<RoomsRequest>,
) -> Result<(StatusCode, Json<SiteRooms>), ApiError> {
    isolation::add_rooms(&state, &user, &id, &b).await?;
    let rooms = isolation::rooms(&state, &user, &id, "POST /api/v1/sites/{id}/rooms").await?;
    Ok((StatusCode::CREATED, Json(rooms)))
}

/// Marks a room cleaned (`ready`), being cleaned, or out of service. An occupied room cannot be
/// taken out of service or put to cleaning (409).
#[utoipa::path(patch, path = "/api/v1/sites/{id}/rooms/{room}", tag = "isolation", security(("bearer" = [])),
    params(("id" = String, Path, description = "site id"), ("room" = String, Path, description = "room label")),
    request_body = RoomStateRequest,
    responses((status = 200, body = RoomStateRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_room(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, room)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<RoomStateRequest>,
) -> Result<Json<RoomStateRequest>, ApiError> {
    let state_now = isolation::set_room(&state, &user, &id, &room, &b).await?;
    Ok(Json(RoomStateRequest { state: state_now }))
}

/// 入住: checks a person of the caller's areas in to a room. The profile's rule decides: the
/// site must take their kind of guest (cases to a 方舱 or hospital, contacts to a hotel), the
/// room be ready with a bed free, and whoever is in it someone they may share with (a household
/// together). A refusal is 409 naming the rule; a person with an open stay is 409; a contact's
/// stay ends with its plan, and the contact's release checks them out.
#[utoipa::path(post, path = "/api/v1/stays", tag = "isolation", security(("bearer" = [])), request_body = StayRequest,
    responses((status = 201, body = StayView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such person in the caller's areas, or no such site or room", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<StayRequest>,
) -> Result<(StatusCode, Json<StayView>), ApiError> {
    Ok((StatusCode::CREATED, Json(isolation::check_in(&state, &user, &b, "POST /api/v1/stays").await?)))
}

/// 离开: checks a stay out, with why; the room left empty goes to cleaning. A check-out before
/// the check-in, or of a stay already out, is 409.
#[utoipa::path(post, path = "/api/v1/stays/{id}/check-out", tag = "isolation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "stay id")), request_body = CheckOutRequest,
    responses((status = 200, body = StayView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_out(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CheckOutRequest>,
) -> Result<Json<StayView>, ApiError> {
    Ok(Json(isolation::check_out(&state, &user, id, &b, "POST /api/v1/stays/{id}/check-out").await?))
}

/// 转运方案: proposes a site and room for each person to move, by the profile's rule — a
/// household together, the smallest room that fits, a site of the person's own district first —
/// among the sites of the caller's areas as they stand. Nothing is written: check people in to
/// accept it. Someone not in the caller's areas, or staying somewhere already, is listed as not
/// placed, with why.
#[utoipa::path(post, path = "/api/v1/transfers/plan", tag = "isolation", security(("bearer" = [])),
    request_body = PlanRequest,
    responses((status = 200, body = TransferProposal), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn plan_transfers(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<PlanRequest>,
) -> Result<Json<TransferProposal>, ApiError> {
    Ok(Json(isolation::plan(&state, &user, &b, "POST /api/v1/transfers/plan").await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams, Debug, Default)]
#[into_params(parameter_in = Query)]
pub struct TransfersQuery {
    /// Only the orders not arrived and not cancelled.
    #[serde(default)]
    pub open: bool,
}

/// 转运单: the orders of the caller's areas — open first, the most overdue first, then the
/// closed, newest first (500 at most). Passengers' names with `view_cases`, on the audit.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "isolation", security(("bearer" = [])),
    params(TransfersQuery),
    responses((status = 200, body = Vec<TransferView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_transfers(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    crate::http::error::ApiQuery(q): crate::http::error::ApiQuery<TransfersQuery>,
) -> Result<Json<Vec<TransferView>>, ApiError> {
    Ok(Json(isolation::transfers(&state, &user, q.open, "GET /api/v1/transfers").await?))
}

/// Orders a transfer of people of one household to a site, holding the room named for each. The
/// profile's rule decides, as at a check-in, counting the beds other orders hold as taken: a
/// full room, a room being cleaned, a site that does not take that guest, or someone on another
/// open order is 409 with the reason, and nothing is held. The order's deadlines come from the
/// profile (`[[transfers]]`); past them it climbs to headquarters.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "isolation", security(("bearer" = [])),
    request_body = TransferRequest,
    responses((status = 201, body = TransferView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such person, site or room in the caller's areas", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_transfer(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<TransferRequest>,
) -> Result<(StatusCode, Json<TransferView>), ApiError> {
    let t = isolation::order(&state, &user, &b, "POST /api/v1/transfers").await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// One order with its timeline, and its gate pass's token for those who may read passes.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "isolation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "transfer id")),
    responses((status = 200, body = TransferDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_transfer(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TransferDetail>, ApiError> {
    Ok(Json(isolation::transfer(&state, &user, id, "GET /api/v1/transfers/{id}").await?))
}

/// A step of an order: `assigned` (a vehicle; its one-time gate pass is issued with it, and a
/// vehicle replaced before pick-up revokes the old pass), `picked_up`, `arrived` (every
/// passenger checked in to the room held for them, all or none), `cancelled` (the rooms freed,
/// the pass revoked), or a `note`. A step out of order is 409.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/events", tag = "isolation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "transfer id")), request_body = TransferStepRequest,
    responses((status = 200, body = TransferView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer_step(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TransferStepRequest>,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(isolation::step(&state, &user, id, &b, "POST /api/v1/transfers/{id}/events").await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/isolation/sites", isolation::VIEW),
    RouteNeed::get("/api/v1/sites/{id}/rooms", isolation::VIEW),
    RouteNeed::post("/api/v1/sites/{id}/rooms", isolation::MANAGE_ROOMS),
    RouteNeed::patch("/api/v1/sites/{id}/rooms/{room}", isolation::MANAGE_ROOMS),
    RouteNeed::post("/api/v1/stays", isolation::MOVE_PEOPLE),
    RouteNeed::post("/api/v1/stays/{id}/check-out", isolation::MOVE_PEOPLE),
    RouteNeed::post("/api/v1/transfers/plan", isolation::MOVE_PEOPLE),
    RouteNeed::get("/api/v1/transfers", isolation::VIEW_TRANSFERS),
    RouteNeed::post("/api/v1/transfers", isolation::MOVE_PEOPLE),
    RouteNeed::get("/api/v1/transfers/{id}", isolation::VIEW_TRANSFERS),
    RouteNeed::post("/api/v1/transfers/{id}/events", isolation::MOVE_PEOPLE),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sites))
        .routes(routes!(site_rooms, add_rooms))
        .routes(routes!(set_room))
        .routes(routes!(check_in))
        .routes(routes!(check_out))
        .routes(routes!(plan_transfers))
        .routes(routes!(list_transfers, create_transfer))
        .routes(routes!(get_transfer))
        .routes(routes!(transfer_step))
}
