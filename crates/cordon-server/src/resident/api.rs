//! `/api/v1/resident` routes: a code to the phone, signing in with it, and — with the resident's
//! token — the household, its requests, signing out. No staff route answers a resident's token
//! and none of these answers a staff sign-in (the `enforce` layer).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::announcements::AnnouncementView;
use crate::http::auth::CurrentUser;
use crate::http::auth::{ClientAddr, CurrentResident, bearer};
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::needs::{NeedDetail, NeedView};
use crate::resident::{
    self, CodeReply, HomeRequest, HomeRequestDetail, HouseholdPhoneRequest, HouseholdPhoneView,
    HouseholdView, PhoneError, ResidentError,
};
use cordon_domain::{Need, Right};

impl From<ResidentError> for ApiError {
    fn from(e: ResidentError) -> Self {
        match e {
            ResidentError::Invalid { field, message } => ApiError::invalid(field, message),
            ResidentError::BadCode => ApiError::WrongCode,
            ResidentError::Flood(seconds) => ApiError::TooManyRequests(seconds),
            ResidentError::TooManyOpen(m) => ApiError::Conflict(m),
            ResidentError::NotFound => ApiError::NotFound,
            ResidentError::Zone(e) => ApiError::from(e),
            ResidentError::Gate(e) => ApiError::from(e),
            ResidentError::Need(e) => ApiError::from(e),
            ResidentError::Announcement(e) => ApiError::from(e),
            ResidentError::Store(e) => ApiError::from(e),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CodeRequest {
    /// The mobile number the register holds for someone in the household.
    pub phone: String,
}

/// Send a sign-in code to a phone. The answer is the same whether or not the register holds the
/// phone; a phone that asked too often is told when it may ask again, and nothing is sent.
#[utoipa::path(post, path = "/api/v1/resident/code", tag = "resident", request_body = CodeRequest,
    responses((status = 202, body = CodeReply), (status = 422, body = ErrorBody),
        (status = 429, description = "too many requests from the address; Retry-After says when to try again", body = ErrorBody)))]
pub async fn code(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<(StatusCode, Json<CodeReply>), ApiError> {
    let reply = resident::ask_code(&state, &req.phone, from, state.now()).await?;
    Ok((StatusCode::ACCEPTED, Json(reply)))
}

#[derive(Deserialize, ToSchema)]
pub struct ResidentLogin {
    pub phone: String,
    /// The six digits of the text message.
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResidentToken {
    /// Send as `Authorization: Bearer <token>` to the `/api/v1/resident` routes.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub household_code: String,
}

/// Sign in with the code sent to the phone: a short session over the household.
#[utoipa::path(post, path = "/api/v1/resident/login", tag = "resident", request_body = ResidentLogin,
    responses((status = 200, body = ResidentToken),
        (status = 401, description = "a wrong, spent or expired code (five wrong tries spend it)", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<ResidentLogin>,
) -> Result<Json<ResidentToken>, ApiError> {
    let (token, s) = resident::sign_in(&state, &req.phone, &req.code, from, state.now()).await?;
    Ok(Json(ResidentToken {
        token,
        expires_at: s.expires_at,
        household_code: s.household.as_str().to_owned(),
    }))
}

/// Sign out: the token opens nothing any more.
#[utoipa::path(post, path = "/api/v1/resident/logout", tag = "resident", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    CurrentResident(_s): CurrentResident,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    if let Some(token) = bearer(&headers) {
        resident::sign_out(&state, token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The household: its zone in plain words with the countdown and what still holds it, each
/// member's latest test of their own, the rounds open over it, and its requests.
#[utoipa::path(get, path = "/api/v1/resident/household", tag = "resident", security(("bearer" = [])),
    responses((status = 200, body = HouseholdView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn household(
    State(state): State<AppState>,
    CurrentResident(s): CurrentResident,
) -> Result<Json<HouseholdView>, ApiError> {
    Ok(Json(resident::household(&state, &s, state.now()).await?))
}

/// The household's requests, open first, each with its status, owner and deadline.
#[utoipa::path(get, path = "/api/v1/resident/requests", tag = "resident", security(("bearer" = [])),
    responses((status = 200, body = [NeedView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn requests(
    State(state): State<AppState>,
    CurrentResident(s): CurrentResident,
) -> Result<Json<Vec<NeedView>>, ApiError> {
    Ok(Json(resident::requests(&state, &s, state.now()).await?))
}

/// A request from home, into the same needs flow as a worker's form: an owner, a deadline and
/// the chain of escalation; a medical emergency takes the green channel at once.
#[utoipa::path(post, path = "/api/v1/resident/requests", tag = "resident", security(("bearer" = [])),
    request_body = HomeRequest,
    responses((status = 201, body = NeedDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "the household has as many open requests of this kind as it may", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn raise(
    State(state): State<AppState>,
    CurrentResident(s): CurrentResident,
    ApiJson(req): ApiJson<HomeRequest>,
) -> Result<(StatusCode, Json<NeedDetail>), ApiError> {
    Ok((StatusCode::CREATED, Json(resident::raise(&state, &s, req, state.now()).await?)))
}

/// One of the household's requests with its timeline: when it was taken up, escalated,
/// resolved (not who, nor the workers' notes).
#[utoipa::path(get, path = "/api/v1/resident/requests/{id}", tag = "resident", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = HomeRequestDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn request(
    State(state): State<AppState>,
    CurrentResident(s): CurrentResident,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<HomeRequestDetail>, ApiError> {
    Ok(Json(resident::request(&state, &s, id, state.now()).await?))
}

/// The notices posted to the household's building, compound, community, street or district,
/// newest first.
#[utoipa::path(get, path = "/api/v1/resident/notices", tag = "resident", security(("bearer" = [])),
    responses((status = 200, body = [AnnouncementView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn notices(
    State(state): State<AppState>,
    CurrentResident(s): CurrentResident,
) -> Result<Json<Vec<AnnouncementView>>, ApiError> {
    Ok(Json(resident::notices(&state, &s).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The household whose residents' sessions end.
    pub household: String,
}

#[derive(Serialize, ToSchema)]
pub struct Revoked {
    /// Sessions that were live.
    pub ended: u64,
}

/// End every resident's session over a household of yours: each phone signs in again with a
/// new code.
#[utoipa::path(post, path = "/api/v1/resident-sessions/revoke", tag = "resident", security(("bearer" = [])),
    request_body = RevokeRequest,
    responses((status = 200, body = Revoked), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> Result<Json<Revoked>, ApiError> {
    let ended = resident::revoke_sessions(&state, &user, &req.household, state.now()).await?;
    Ok(Json(Revoked { ended }))
}

impl From<PhoneError> for ApiError {
    fn from(e: PhoneError) -> Self {
        match e {
            PhoneError::Invalid { field, message } => ApiError::invalid(field, message),
            PhoneError::Refused(m) => ApiError::Forbidden(m),
            PhoneError::NotFound => ApiError::NotFound,
            PhoneError::Conflict(m) => ApiError::Conflict(m),
            PhoneError::Store(e) => ApiError::from(e),
        }
    }
}

/// The relatives' phones added to a household of yours (masked).
#[utoipa::path(get, path = "/api/v1/households/{code}/phones", tag = "resident", security(("bearer" = [])),
    params(("code" = String, Path, description = "The household's area code")),
    responses((status = 200, body = [HouseholdPhoneView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn phones(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<Vec<HouseholdPhoneView>>, ApiError> {
    Ok(Json(resident::phones::list(&state, &user, &code).await?))
}

/// Add a relative's phone to a household of yours that has none of its own, with the reason: it
/// receives the household's messages and may sign in to its page.
#[utoipa::path(post, path = "/api/v1/households/{code}/phones", tag = "resident", security(("bearer" = [])),
    params(("code" = String, Path, description = "The household's area code")),
    request_body = HouseholdPhoneRequest,
    responses((status = 201, body = HouseholdPhoneView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "the phone is on this household already", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_phone(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<HouseholdPhoneRequest>,
) -> Result<(StatusCode, Json<HouseholdPhoneView>), ApiError> {
    let added = resident::phones::add(&state, &user, &code, req, state.now()).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Remove a relative's phone from a household of yours: whoever signed in with it is signed out.
#[utoipa::path(delete, path = "/api/v1/households/{code}/phones/{id}", tag = "resident", security(("bearer" = [])),
    params(("code" = String, Path, description = "The household's area code"), ("id" = i64, Path)),
    responses((status = 200, body = HouseholdPhoneView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "the household's code is malformed", body = ErrorBody)))]
pub async fn remove_phone(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((code, id)): ApiPath<(String, i64)>,
) -> Result<Json<HouseholdPhoneView>, ApiError> {
    Ok(Json(resident::phones::remove(&state, &user, &code, id, state.now()).await?))
}

pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::post("/api/v1/resident/code", Need::Open),
    RouteNeed::post("/api/v1/resident/login", Need::Open),
    RouteNeed::post("/api/v1/resident/logout", Need::Resident),
    RouteNeed::get("/api/v1/resident/household", Need::Resident),
    RouteNeed::get("/api/v1/resident/requests", Need::Resident),
    RouteNeed::post("/api/v1/resident/requests", Need::Resident),
    RouteNeed::get("/api/v1/resident/requests/{id}", Need::Resident),
    RouteNeed::get("/api/v1/resident/notices", Need::Resident),
    RouteNeed::post("/api/v1/resident-sessions/revoke", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::get("/api/v1/households/{code}/phones", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::post("/api/v1/households/{code}/phones", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::delete("/api/v1/households/{code}/phones/{id}", Need::AnyOf(&[Right::HandleNeeds])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(code))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(household))
        .routes(routes!(requests, raise))
        .routes(routes!(request))
        .routes(routes!(notices))
        .routes(routes!(revoke))
        .routes(routes!(phones, add_phone))
        .routes(routes!(remove_phone))
}
