//! The audit of reads, the glasses broken and the roles' rights, over the API.

use super::OversightError;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::roles::*;
use super::service::*;
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use cordon_domain::{Need, Right};

/// The audit of reads, for headquarters: who read whom, when, through which route, and why when
/// the read was made under a broken glass.
#[utoipa::path(get, path = "/api/v1/audit/reads", tag = "audit", security(("bearer" = [])), params(ReadsParams),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn audit_reads(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<ReadsParams>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(audit_page(&state, &user, &p).await?))
}

/// Every glass broken (the latest 200), newest first: who read whom outside their areas, why,
/// and until when.
#[utoipa::path(get, path = "/api/v1/audit/glass-breaks", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Vec<GlassBreakView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn glass_breaks_api(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<GlassBreakView>>, ApiError> {
    Ok(Json(glass_breaks(&state, &user).await?))
}

/// Every role with every right, granted or not, and who changed it last.
#[utoipa::path(get, path = "/api/v1/roles", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<RoleRights>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<RoleRights>>, ApiError> {
    Ok(Json(all(&state, &user).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct SetRight {
    pub granted: bool,
}

/// Grants (`granted: true`) or revokes one right of a role. It holds from each user's next
/// request. Headquarters keeps `command` and `review_audit` (409).
#[utoipa::path(put, path = "/api/v1/roles/{role}/rights/{right}", tag = "users", security(("bearer" = [])),
    params(("role" = String, Path, description = "a role: headquarters, cadre, …"),
        ("right" = String, Path, description = "a right: see_id_number, keep_gate, …")),
    request_body = SetRight,
    responses((status = 200, body = RightHold), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((role, right)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<SetRight>,
) -> Result<Json<RightHold>, ApiError> {
    Ok(Json(set(&state, &user, &role, &right, b.granted).await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/audit/reads", Need::AnyOf(&[Right::ReviewAudit])),
    RouteNeed::get("/api/v1/audit/glass-breaks", Need::AnyOf(&[Right::ReviewAudit])),
    RouteNeed::get("/api/v1/roles", Need::AnyOf(&[Right::Command])),
    RouteNeed::put("/api/v1/roles/{role}/rights/{right}", Need::AnyOf(&[Right::Command])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(audit_reads))
        .routes(routes!(glass_breaks_api))
        .routes(routes!(list))
        .routes(routes!(put))
}

impl From<OversightError> for ApiError {
    fn from(e: OversightError) -> Self {
        match e {
            OversightError::Forbidden(m) => ApiError::Forbidden(m),
            OversightError::Conflict(m) => ApiError::Conflict(m),
            OversightError::Invalid { field, message } => ApiError::Invalid { field, message },
            OversightError::Internal(m) => ApiError::Internal(m),
            OversightError::Store(e) => ApiError::from(e),
        }
    }
}
