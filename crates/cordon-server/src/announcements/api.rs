//! `/api/v1/announcements`: posting a notice to an area, and the notices of the user's areas.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::announcements::{self, AnnouncementError, AnnouncementRequest, AnnouncementView};
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use cordon_domain::{Need, Right};

impl From<AnnouncementError> for ApiError {
    fn from(e: AnnouncementError) -> Self {
        match e {
            AnnouncementError::Invalid { field, message } => ApiError::invalid(field, message),
            AnnouncementError::Refused(m) => ApiError::Forbidden(m),
            AnnouncementError::Store(e) => ApiError::from(e),
        }
    }
}

/// Post a notice to an area of yours: residents under it see it on their page, and every
/// household under it is texted.
#[utoipa::path(post, path = "/api/v1/announcements", tag = "announcements", security(("bearer" = [])),
    request_body = AnnouncementRequest,
    responses((status = 201, body = AnnouncementView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn post(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<AnnouncementRequest>,
) -> Result<(StatusCode, Json<AnnouncementView>), ApiError> {
    Ok((StatusCode::CREATED, Json(announcements::post(&state, &user, req, state.now()).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// At most this many (default 100, at most 500).
    pub limit: Option<u32>,
}

/// The notices posted to the user's areas and to the areas above them, newest first: what was
/// posted where.
#[utoipa::path(get, path = "/api/v1/announcements", tag = "announcements", security(("bearer" = [])),
    params(ListParams),
    responses((status = 200, body = [AnnouncementView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Vec<AnnouncementView>>, ApiError> {
    Ok(Json(announcements::list_for(&state, &user.scope_path, p.limit.unwrap_or(100)).await?))
}

pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/announcements", Need::SignedIn),
    RouteNeed::post("/api/v1/announcements", Need::AnyOf(&[Right::HandleNeeds])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, post))
}
