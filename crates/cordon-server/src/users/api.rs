//! The users of one's areas over the API: list, add (the password made by the server, shown
//! once), change (name, role, areas, disabled), the changes kept, and a password reset.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cordon_domain::{Need, Right};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::users::{
    self, IssuedPassword, ManagedUser, NewUserRequest, UserChangeView, UserPatch, UsersError,
};

impl From<UsersError> for ApiError {
    fn from(e: UsersError) -> Self {
        match e {
            UsersError::NotFound(_) => ApiError::Missing(e.to_string()),
            UsersError::Invalid { field, message } => ApiError::invalid(field, message),
            UsersError::Refused(m) => ApiError::Forbidden(m),
            UsersError::Exists(_) => ApiError::Conflict(e.to_string()),
            UsersError::Store(e) => ApiError::from(e),
            UsersError::Internal(m) => ApiError::Internal(m),
        }
    }
}

/// The users whose areas lie inside the caller's, by username.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<ManagedUser>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<ManagedUser>>, ApiError> {
    Ok(Json(users::list(&state, &user).await?))
}

/// Adds a user under the caller's areas, with a role holding no right the caller lacks. The
/// password is made by the server and shown in this answer only.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = NewUserRequest,
    responses((status = 201, body = IssuedPassword), (status = 401, body = ErrorBody),
        (status = 403, description = "an area outside the caller's, or a role beyond their rights", body = ErrorBody),
        (status = 409, description = "the username is taken", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<IssuedPassword>), ApiError> {
    Ok((StatusCode::CREATED, Json(users::create(&state, &user, &b).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct UserDetail {
    pub user: ManagedUser,
    /// Newest first: who changed what, when and why.
    pub changes: Vec<UserChangeView>,
}

/// One user of the caller's areas, with their changes.
#[utoipa::path(get, path = "/api/v1/users/{name}", tag = "users", security(("bearer" = [])),
    params(("name" = String, Path, description = "username")),
    responses((status = 200, body = UserDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<UserDetail>, ApiError> {
    let (user, changes) = users::one(&state, &user, &name).await?;
    Ok(Json(UserDetail { user, changes }))
}

/// Changes a user of the caller's areas: each field given. A new role, new areas or a
/// disabling ends the user's sessions; disabling needs a reason; nobody changes their own role,
/// areas or standing (403).
#[utoipa::path(patch, path = "/api/v1/users/{name}", tag = "users", security(("bearer" = [])),
    params(("name" = String, Path, description = "username")), request_body = UserPatch,
    responses((status = 200, body = ManagedUser), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the worker named is another sign-in's already", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(b): ApiJson<UserPatch>,
) -> Result<Json<ManagedUser>, ApiError> {
    Ok(Json(users::change(&state, &user, &name, &b).await?))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct PasswordReset {
    /// Why: kept with the change.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Gives a user of the caller's areas a new password, made by the server and shown in this
/// answer only; their sessions end.
#[utoipa::path(post, path = "/api/v1/users/{name}/password", tag = "users", security(("bearer" = [])),
    params(("name" = String, Path, description = "username")), request_body = PasswordReset,
    responses((status = 200, body = IssuedPassword), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(b): ApiJson<PasswordReset>,
) -> Result<Json<IssuedPassword>, ApiError> {
    Ok(Json(users::reset_password(&state, &user, &name, b.reason.as_deref()).await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/users", Need::AnyOf(&[Right::ManageUsers])),
    RouteNeed::post("/api/v1/users", Need::AnyOf(&[Right::ManageUsers])),
    RouteNeed::get("/api/v1/users/{name}", Need::AnyOf(&[Right::ManageUsers])),
    RouteNeed::patch("/api/v1/users/{name}", Need::AnyOf(&[Right::ManageUsers])),
    RouteNeed::post("/api/v1/users/{name}/password", Need::AnyOf(&[Right::ManageUsers])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_user, patch))
        .routes(routes!(reset_password))
}
