//! `/api/v1` routes of the outbox: its figures, for headquarters.

use super::OutboxError;
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OutboxFigures;
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ErrorBody};
use cordon_domain::{Need, Right};

/// How the messages stand: queued, sent, failed, unreachable and expired, by kind. Counts only:
/// no recipient, no text.
#[utoipa::path(get, path = "/api/v1/outbox/figures", tag = "outbox", security(("bearer" = [])),
    responses((status = 200, body = OutboxFigures), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Result<Json<OutboxFigures>, ApiError> {
    Ok(Json(super::figures(&state).await?))
}

pub const NEEDS: &[RouteNeed] = &[RouteNeed::get("/api/v1/outbox/figures", Need::AnyOf(&[Right::Command]))];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(figures))
}

impl From<OutboxError> for ApiError {
    fn from(e: OutboxError) -> Self {
        match e {
            OutboxError::Invalid { field, message } => ApiError::Invalid { field, message },
            OutboxError::Internal(m) => ApiError::Internal(m),
            OutboxError::Store(e) => ApiError::from(e),
        }
    }
}
