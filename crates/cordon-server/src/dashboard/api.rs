//! `/api/v1` routes of the command dashboard and the daily briefing.

use super::DashboardError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::dashboard::briefing::{self, BriefingView, Draft, PublishRequest};
use crate::dashboard::{self, Dashboard};
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use cordon_domain::{Need, Right};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// An area of the user's (default: the user's own).
    pub area: Option<String>,
    /// Wait for figures of this moment instead of those kept (at most ten seconds old).
    pub fresh: Option<bool>,
}

/// The figures of a press briefing, live, with the last 30 days behind the charts.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", security(("bearer" = [])), params(DashboardParams),
    responses((status = 200, body = Dashboard), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> Result<Json<Dashboard>, ApiError> {
    let d = dashboard::dashboard(&state, &user, p.area.as_deref(), p.fresh.unwrap_or(false)).await?;
    Ok(Json((*d).clone()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DraftParams {
    /// The local day, YYYY-MM-DD.
    pub date: String,
    /// An area of the user's (default: the user's own).
    pub area: Option<String>,
}

/// The draft of a day's briefing: its figures and the texts in Chinese and English (Markdown).
#[utoipa::path(get, path = "/api/v1/briefings/draft", tag = "dashboard", security(("bearer" = [])), params(DraftParams),
    responses((status = 200, body = Draft), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<DraftParams>,
) -> Result<Json<Draft>, ApiError> {
    let day = briefing::parse_date(&p.date)?;
    Ok(Json(briefing::draft(&state, &user, p.area.as_deref(), day, state.now()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<u32>,
}

/// The briefings published for the user's areas, newest day first.
#[utoipa::path(get, path = "/api/v1/briefings", tag = "dashboard", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = [BriefingView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Vec<BriefingView>>, ApiError> {
    Ok(Json(briefing::list(&state, &user, p.limit.unwrap_or(100)).await?))
}

/// Publishes a day's briefing (headquarters): the texts as reviewed, or as drafted when none
/// are given. A second publication of the same day is its next revision; all are kept.
#[utoipa::path(post, path = "/api/v1/briefings", tag = "dashboard", security(("bearer" = [])), request_body = PublishRequest,
    responses((status = 201, body = BriefingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<PublishRequest>,
) -> Result<(StatusCode, Json<BriefingView>), ApiError> {
    Ok((StatusCode::CREATED, Json(briefing::publish(&state, &user, b, state.now()).await?)))
}

/// One published briefing.
#[utoipa::path(get, path = "/api/v1/briefings/{id}", tag = "dashboard", security(("bearer" = [])),
    params(("id" = i64, Path, description = "briefing id")),
    responses((status = 200, body = BriefingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_briefing(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BriefingView>, ApiError> {
    Ok(Json(briefing::get(&state, &user, id).await?))
}

/// A list of the user's areas as CSV (streamed as it is read) or XLSX, audited; with
/// `pseudonymise`, names, ID numbers, register ids and phones are replaced by pseudonyms.
#[utoipa::path(get, path = "/api/v1/exports", tag = "dashboard", security(("bearer" = [])),
    params(crate::dashboard::exports::ExportParams),
    responses((status = 200, description = "the file: CSV, or XLSX with `format=xlsx`",
            content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<crate::dashboard::exports::ExportParams>,
) -> Result<axum::response::Response, ApiError> {
    Ok(crate::dashboard::exports::export(&state, &user, p).await?)
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/dashboard", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::get("/api/v1/briefings/draft", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::get("/api/v1/briefings", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::post("/api/v1/briefings", Need::AnyOf(&[Right::Publish])),
    RouteNeed::get("/api/v1/briefings/{id}", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::get("/api/v1/exports", Need::AnyOf(&[Right::Export, Right::ExportContacts])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_dashboard))
        .routes(routes!(draft))
        .routes(routes!(list, publish))
        .routes(routes!(get_briefing))
        .routes(routes!(export))
}

impl From<DashboardError> for ApiError {
    fn from(e: DashboardError) -> Self {
        match e {
            DashboardError::NotFound => ApiError::NotFound,
            DashboardError::Missing(m) => ApiError::Missing(m),
            DashboardError::Forbidden(m) => ApiError::Forbidden(m),
            DashboardError::Invalid { field, message } => ApiError::Invalid { field, message },
            DashboardError::Internal(m) => ApiError::Internal(m),
            DashboardError::Zone(e) => ApiError::from(e),
            DashboardError::Supplies(e) => ApiError::from(e),
            DashboardError::Sanitation(e) => ApiError::from(e),
            DashboardError::Store(e) => ApiError::from(e),
        }
    }
}
