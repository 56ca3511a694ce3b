//! `/api/v1` routes of gates: checkpoints, the decision at a gate, passes and their QR codes,
//! the log, traffic per hour and who is where they should not be.

use super::GateError;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::gates::{
    self, DecisionRequest, DecisionView, GatePost, GateRequest, GateView, LogQuery, OfflineSync, PassRequest,
    PassView, PassageView, PresenceLists, SyncedPassage, TrafficView,
};
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use cordon_domain::{Need, Right};

/// The gates (卡口) of the user's areas, with what each lets out and in now.
#[utoipa::path(get, path = "/api/v1/gates", tag = "gates", security(("bearer" = [])),
    responses((status = 200, body = [GateView]), (status = 401, body = ErrorBody)))]
pub async fn list_gates(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<GateView>>, ApiError> {
    Ok(Json(gates::gates(&state, &user).await?))
}

/// Sets up a gate on an area of the user's (a compound's gate, a building's door).
#[utoipa::path(post, path = "/api/v1/gates", tag = "gates", security(("bearer" = [])), request_body = GateRequest,
    responses((status = 201, body = GateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_gate(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<GateRequest>,
) -> Result<(StatusCode, Json<GateView>), ApiError> {
    Ok((StatusCode::CREATED, Json(gates::create_gate(&state, &user, b).await?)))
}

#[utoipa::path(get, path = "/api/v1/gates/{id}", tag = "gates", security(("bearer" = [])),
    params(("id" = i64, Path, description = "gate id")),
    responses((status = 200, body = GateView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_gate(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<GateView>, ApiError> {
    Ok(Json(gates::gate(&state, &user, id).await?))
}

/// Decides one passage at a gate and keeps it in the log: allowed, refused, or a question to
/// ask (entering a sealed zone: ask, then send again with `confirmed`). A refusal is an answer
/// (200), not an error; a gate outside the user's areas is 404, and that refusal is logged too.
#[utoipa::path(post, path = "/api/v1/gates/{id}/decisions", tag = "gates", security(("bearer" = [])),
    params(("id" = i64, Path, description = "gate id")), request_body = DecisionRequest,
    responses((status = 200, body = DecisionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionRequest>,
) -> Result<Json<DecisionView>, ApiError> {
    Ok(Json(gates::decide_at_gate(&state, &user, id, b).await?))
}

/// What a gate device keeps to decide without the network (离线判定): the people living or
/// staying inside the gate's area with their standing (names as the cadre may see them, ID
/// numbers only as salted hashes), the passes that may open the gate with their revocations, the
/// rules in force and the public key passes are checked with. Each person kept is audited.
#[utoipa::path(get, path = "/api/v1/gates/{id}/post", tag = "gates", security(("bearer" = [])),
    params(("id" = i64, Path, description = "gate id")),
    responses((status = 200, body = GatePost), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn gate_post(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<GatePost>, ApiError> {
    Ok(Json(gates::gate_post(&state, &user, id).await?))
}

/// Passages a gate device decided without the network, sent when it returns. Each is kept once
/// under the id the device made, however often it is sent; the device's decision is what the
/// log keeps, and where the server's own decision differs the answer and the log say so. A
/// passage that cannot be kept (a gate no longer yours) is answered `refused`, the rest kept.
#[utoipa::path(post, path = "/api/v1/gates/passages/offline", tag = "gates", security(("bearer" = [])),
    request_body = OfflineSync,
    responses((status = 200, body = [SyncedPassage]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn sync_offline(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<OfflineSync>,
) -> Result<Json<Vec<SyncedPassage>>, ApiError> {
    Ok(Json(gates::sync_offline(&state, &user, b).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    pub gate_id: Option<i64>,
    /// A local day, YYYY-MM-DD.
    pub date: Option<NaiveDate>,
    /// Entries older than this id (the next page).
    pub before_id: Option<i64>,
    /// 1 to 1,000 (default 200).
    pub limit: Option<u32>,
}

/// The gate log of the user's areas, newest first: every decision with the rule that decided.
#[utoipa::path(get, path = "/api/v1/gate-log", tag = "gates", security(("bearer" = [])), params(LogParams),
    responses((status = 200, body = [PassageView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn gate_log(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<LogParams>,
) -> Result<Json<Vec<PassageView>>, ApiError> {
    let q =
        LogQuery { gate_id: p.gate_id, date: p.date, before_id: p.before_id, limit: p.limit.unwrap_or(200) };
    Ok(Json(gates::log(&state, &user, &q).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrafficParams {
    /// A local day, YYYY-MM-DD (default: today).
    pub date: Option<NaiveDate>,
    pub gate_id: Option<i64>,
}

/// Passages in and out and refusals per gate per local hour of a day.
#[utoipa::path(get, path = "/api/v1/gate-traffic", tag = "gates", security(("bearer" = [])), params(TrafficParams),
    responses((status = 200, body = [TrafficView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn gate_traffic(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<TrafficParams>,
) -> Result<Json<Vec<TrafficView>>, ApiError> {
    let day = p.date.unwrap_or_else(|| state.now().with_timezone(&state.config.tz).date_naive());
    Ok(Json(gates::traffic(&state, &user, day, p.gate_id).await?))
}

/// Who left a zone they live in and has not come back, and who is inside a zone they do not
/// live in with no pass covering them.
#[utoipa::path(get, path = "/api/v1/gate-presence", tag = "gates", security(("bearer" = [])),
    responses((status = 200, body = PresenceLists), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn gate_presence(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<PresenceLists>, ApiError> {
    Ok(Json(gates::presence(&state, &user).await?))
}

/// Passes (通行证) for the user's areas, newest first, each with its QR code's content.
#[utoipa::path(get, path = "/api/v1/passes", tag = "gates", security(("bearer" = [])),
    responses((status = 200, body = [PassView]), (status = 401, body = ErrorBody)))]
pub async fn list_passes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<PassView>>, ApiError> {
    Ok(Json(gates::passes(&state, &user).await?))
}

/// Issues a pass for the gates of an area, for a window; its `token` is what the QR code carries,
/// signed by the server.
#[utoipa::path(post, path = "/api/v1/passes", tag = "gates", security(("bearer" = [])), request_body = PassRequest,
    responses((status = 201, body = PassView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn issue_pass(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<PassRequest>,
) -> Result<(StatusCode, Json<PassView>), ApiError> {
    Ok((StatusCode::CREATED, Json(gates::issue_pass(&state, &user, b).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct PublicKeyView {
    pub algorithm: &'static str,
    /// 32 bytes, unpadded base64url.
    pub public_key: String,
    /// How a token is laid out and what is signed.
    pub format: &'static str,
}

/// The key gate devices check passes with offline.
#[utoipa::path(get, path = "/api/v1/passes/public-key", tag = "gates", security(("bearer" = [])),
    responses((status = 200, body = PublicKeyView), (status = 401, body = ErrorBody)))]
pub async fn public_key(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Result<Json<PublicKeyView>, ApiError> {
    Ok(Json(PublicKeyView {
        algorithm: "Ed25519",
        public_key: gates::pass_key(&state).await?.public_base64(),
        format: "CP1.<base64url(JSON claims)>.<base64url(signature over \"CP1.<base64url(JSON claims)>\")>; \
                 claims: i id, k kind, a area code, g gate ids (absent: all), f from and u until (Unix seconds), \
                 o one-time, h holder",
    }))
}

#[utoipa::path(get, path = "/api/v1/passes/{id}", tag = "gates", security(("bearer" = [])),
    params(("id" = String, Path, description = "pass id")),
    responses((status = 200, body = PassView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_pass(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PassView>, ApiError> {
    Ok(Json(gates::pass(&state, &user, &id).await?))
}

/// The pass's QR code as SVG, to print or show on a phone.
#[utoipa::path(get, path = "/api/v1/passes/{id}/qr", tag = "gates", security(("bearer" = [])),
    params(("id" = String, Path, description = "pass id")),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn pass_qr(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    let svg = gates::pass_qr(&state, &user, &id).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], svg))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    pub reason: String,
}

/// Revokes a pass: every gate refuses it from now on.
#[utoipa::path(post, path = "/api/v1/passes/{id}/revoke", tag = "gates", security(("bearer" = [])),
    params(("id" = String, Path, description = "pass id")), request_body = RevokeBody,
    responses((status = 200, body = PassView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke_pass(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<RevokeBody>,
) -> Result<Json<PassView>, ApiError> {
    Ok(Json(gates::revoke_pass(&state, &user, &id, &b.reason).await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/gates", Need::SignedIn),
    RouteNeed::post("/api/v1/gates", Need::AnyOf(&[Right::ManageGates])),
    RouteNeed::get("/api/v1/gates/{id}", Need::SignedIn),
    RouteNeed::post("/api/v1/gates/{id}/decisions", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/api/v1/gates/{id}/post", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::post("/api/v1/gates/passages/offline", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/api/v1/gate-log", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/api/v1/gate-traffic", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/api/v1/gate-presence", Need::AnyOf(&[Right::KeepGate])),
    RouteNeed::get("/api/v1/passes", crate::gates::READ_PASSES),
    RouteNeed::post("/api/v1/passes", Need::AnyOf(&[Right::ManageGates])),
    RouteNeed::get("/api/v1/passes/public-key", Need::SignedIn),
    RouteNeed::get("/api/v1/passes/{id}", crate::gates::READ_PASSES),
    RouteNeed::get("/api/v1/passes/{id}/qr", crate::gates::READ_PASSES),
    RouteNeed::post("/api/v1/passes/{id}/revoke", Need::AnyOf(&[Right::ManageGates])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_gates, create_gate))
        .routes(routes!(get_gate))
        .routes(routes!(decide))
        .routes(routes!(gate_post))
        .routes(routes!(sync_offline))
        .routes(routes!(gate_log))
        .routes(routes!(gate_traffic))
        .routes(routes!(gate_presence))
        .routes(routes!(list_passes, issue_pass))
        .routes(routes!(public_key))
        .routes(routes!(get_pass))
        .routes(routes!(pass_qr))
        .routes(routes!(revoke_pass))
}

impl From<GateError> for ApiError {
    fn from(e: GateError) -> Self {
        match e {
            GateError::NotFound => ApiError::NotFound,
            GateError::Missing(m) => ApiError::Missing(m),
            GateError::Forbidden(m) => ApiError::Forbidden(m),
            GateError::Conflict(m) => ApiError::Conflict(m),
            GateError::Invalid { field, message } => ApiError::Invalid { field, message },
            GateError::IdNumberMistyped => ApiError::invalid(
                "person",
                "the ID number's check character does not match: read it off the card again",
            ),
            GateError::TooManyAttempts(s) => ApiError::TooManyAttempts(s),
            GateError::Internal(m) => ApiError::Internal(m),
            GateError::Zone(e) => ApiError::from(e),
            GateError::Store(e) => ApiError::from(e),
        }
    }
}
