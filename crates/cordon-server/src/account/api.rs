//! The account's routes: sign-in, sign-out, a change of password, the second factor, who am I.

use super::AccountError;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use cordon_domain::{AreaCode, Right, Role};
use cordon_store::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::second_factor::*;
use super::service::*;
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::{ClientAddr, CurrentUser, *};
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use cordon_domain::Need;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The six digits of the authenticator app, for an account with two-factor sign-in.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub user: UserView,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// 10 characters or more, 5 of them different; not the username, not only digits, not a
    /// run along the keyboard, not one of the words guessed first.
    pub new_password: String,
}

/// Change one's own password. Every session of the user ends, this one too: sign in again.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "too many wrong current passwords; Retry-After says when to try again", body = ErrorBody)))]
pub async fn api_change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<impl IntoResponse, ApiError> {
    change_password(&state, &user, &req.current_password, &req.new_password, from).await?;
    Ok((jar.add(removal_cookie()), axum::http::StatusCode::NO_CONTENT))
}

/// Sign in: a bearer token for the API and a session cookie for the pages.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 403, description = "the password was right but the sign-in is disabled (`disabled`)", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 429, description = "too many failed sign-ins for the account or from the address; Retry-After says when to try again", body = ErrorBody)))]
pub async fn api_login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (token, user) = login(&state, &req.username, &req.password, req.code.as_deref(), from).await?;
    let expires_at = Utc::now() + state.config.session_ttl;
    let jar = jar.add(session_cookie(&state, token.clone()));
    Ok((jar, axum::Json(LoginResponse { token, expires_at, user: UserView::of(&user) })))
}

/// End the session of this token or cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn api_logout(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
    parts: HeaderMap,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    let token =
        bearer(&parts).map(str::to_owned).or_else(|| jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()));
    if let Some(t) = token {
        state.store.delete_session(&token_hash(&t)).await?;
    }
    Ok((jar.add(removal_cookie()), axum::http::StatusCode::NO_CONTENT))
}

/// A new secret to enrol: shown once, kept only when confirmed with a code.
#[utoipa::path(post, path = "/api/v1/auth/two-factor", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TwoFactorSetup), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn setup_api(CurrentUser(user): CurrentUser) -> Result<Json<TwoFactorSetup>, ApiError> {
    Ok(Json(setup(&user)?))
}

/// Turns two-factor sign-in on with the secret given, proven by a code and the password. From
/// then on every sign-in takes a code as well.
#[utoipa::path(post, path = "/api/v1/auth/two-factor/confirm", tag = "auth", security(("bearer" = [])),
    request_body = TwoFactorConfirm,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn confirm_api(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<TwoFactorConfirm>,
) -> Result<StatusCode, ApiError> {
    confirm(&state, &user, &req, from).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: AreaCode,
    pub scope_name: String,
    /// What the user's role may do and see, as stored now.
    pub rights: Vec<Right>,
    /// The user signs in with a second factor.
    pub two_factor: bool,
}

impl UserView {
    pub fn of(u: &User) -> Self {
        UserView {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            scope: u.scope.clone(),
            scope_name: u.scope_name.clone(),
            rights: u.rights.iter().collect(),
            two_factor: u.two_factor,
        }
    }
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn me(CurrentUser(user): CurrentUser) -> Json<UserView> {
    Json(UserView::of(&user))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::post("/api/v1/auth/login", Need::Open),
    RouteNeed::post("/api/v1/auth/logout", Need::SignedIn),
    RouteNeed::post("/api/v1/auth/password", Need::SignedIn),
    RouteNeed::post("/api/v1/auth/two-factor", Need::SignedIn),
    RouteNeed::post("/api/v1/auth/two-factor/confirm", Need::SignedIn),
    RouteNeed::get("/api/v1/me", Need::SignedIn),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_login))
        .routes(routes!(api_logout))
        .routes(routes!(api_change_password))
        .routes(routes!(setup_api))
        .routes(routes!(confirm_api))
        .routes(routes!(me))
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Conflict(m) => ApiError::Conflict(m),
            AccountError::Invalid { field, message } => ApiError::Invalid { field, message },
            AccountError::BadLogin => ApiError::BadLogin,
            AccountError::TwoFactorCode => ApiError::TwoFactorCode,
            AccountError::BadCode => ApiError::BadCode,
            AccountError::Disabled => ApiError::Disabled,
            AccountError::TooManyAttempts(s) => ApiError::TooManyAttempts(s),
            AccountError::Internal(m) => ApiError::Internal(m),
            AccountError::Store(e) => ApiError::from(e),
        }
    }
}
