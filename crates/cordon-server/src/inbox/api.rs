//! `/api/v1/messages`: the signed-in worker's inbox.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::words::Tongue;
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::inbox::{self, InboxError, InboxView, ReadRequest, ReadView};
use cordon_domain::Need;

impl From<InboxError> for ApiError {
    fn from(e: InboxError) -> Self {
        match e {
            InboxError::Store(e) => ApiError::from(e),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// At most this many, newest first (default 100, at most 500).
    pub limit: Option<u32>,
    /// `zh` (default) or `en`.
    pub lang: Option<String>,
}

/// The signed-in user's messages, newest first, and how many are unread.
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages", security(("bearer" = [])),
    params(InboxParams),
    responses((status = 200, body = InboxView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<InboxParams>,
) -> Result<Json<InboxView>, ApiError> {
    let tongue = match p.lang.as_deref() {
        None | Some("zh") => Tongue::Zh,
        Some("en") => Tongue::En,
        Some(other) => return Err(ApiError::invalid("lang", format!("{other:?}: give zh or en"))),
    };
    Ok(Json(inbox::inbox(&state, &user, p.limit.unwrap_or(100), tongue).await?))
}

/// Marks the signed-in user's messages read, up to an id.
#[utoipa::path(post, path = "/api/v1/messages/read", tag = "messages", security(("bearer" = [])),
    request_body = ReadRequest,
    responses((status = 200, body = ReadView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(req): ApiJson<ReadRequest>,
) -> Result<Json<ReadView>, ApiError> {
    Ok(Json(inbox::mark_read(&state, &user, req, state.now()).await?))
}

pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/messages", Need::SignedIn),
    RouteNeed::post("/api/v1/messages/read", Need::SignedIn),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(read))
}
