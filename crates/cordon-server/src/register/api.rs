//! `/api/v1` routes of the register: the reader's area and its children, an area's shape, the
//! search for people, a person, break-the-glass, the duplicates and their merge.

use super::RegisterError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cordon_domain::AreaCode;
use cordon_store::PeopleQuery;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::duplicates::*;
use super::entries::{self, EntryError, NewPersonRequest, PersonChangeView, PersonPatch};
use super::glass::*;
use super::service::*;
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::reads::{AreaDetail, area_detail};
use cordon_domain::{Need, Right};

/// The area the user answers for, with its children.
#[utoipa::path(get, path = "/api/v1/areas", tag = "areas", security(("bearer" = [])),
    responses((status = 200, body = AreaDetail), (status = 401, body = ErrorBody)))]
async fn scope_area(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<AreaDetail>, ApiError> {
    Ok(Json(area_detail(&state, &user, user.scope.as_str()).await?.ok_or(ApiError::NotFound)?))
}

/// An area inside the user's scope, its lineage and its children with their counts.
#[utoipa::path(get, path = "/api/v1/areas/{code}", tag = "areas", security(("bearer" = [])),
    params(("code" = String, Path, description = "area code")),
    responses((status = 200, body = AreaDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn area(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<AreaDetail>, ApiError> {
    Ok(Json(area_detail(&state, &user, &code).await?.ok_or(ApiError::NotFound)?))
}

/// The area's shape: a GeoJSON Polygon or MultiPolygon.
#[utoipa::path(get, path = "/api/v1/areas/{code}/shape", tag = "areas", security(("bearer" = [])),
    params(("code" = String, Path, description = "area code")),
    responses((status = 200, description = "a GeoJSON geometry", body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn area_shape(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let code = AreaCode::parse(&code).map_err(|_| ApiError::NotFound)?;
    let shape = state.store.shape(&user.scope_path, &code).await?.ok_or(ApiError::NotFound)?;
    serde_json::from_str(&shape).map(Json).map_err(|e| ApiError::Internal(format!("stored shape: {e}")))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A name prefix (王芳, 王), a whole phone number, or an 18-character ID number.
    #[serde(default)]
    pub q: String,
    /// Everyone of one household (a door-to-door visit), instead of `q`.
    pub household: Option<String>,
    /// At most this many people (1 to 200, default 50).
    pub limit: Option<u32>,
}

/// People in the user's scope by name prefix, phone digits or ID number. Every person returned
/// is recorded in the audit of reads.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = SearchResult), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn search_people(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResult>, ApiError> {
    let limit = params.limit.unwrap_or(50);
    let route = "GET /api/v1/people";
    if let Some(h) = params.household.as_deref() {
        let code = AreaCode::try_from(h.trim().to_owned())
            .map_err(|e| ApiError::invalid("household", e.to_string()))?;
        let query = PeopleQuery::Household(code);
        return Ok(Json(search_by(&state, &user, &query, limit, route).await?));
    }
    Ok(Json(search(&state, &user, &params.q, limit, route).await?))
}

/// One person in the user's scope, with their household. The read is audited; a person outside
/// the scope is 404, exactly like one who does not exist.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "person_id")),
    responses((status = 200, body = PersonView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn person(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(person_view(&state, &user, &id, "GET /api/v1/people/{id}").await?))
}

impl From<EntryError> for ApiError {
    fn from(e: EntryError) -> Self {
        match e {
            EntryError::NotFound(m) => ApiError::Missing(m),
            EntryError::Invalid { field, message } => ApiError::invalid(field, message),
            EntryError::Refused(m) => ApiError::Forbidden(m),
            EntryError::Duplicate { message, .. } => ApiError::Conflict(message),
            EntryError::Register(e) => ApiError::from(e),
            EntryError::Store(e) => ApiError::from(e),
        }
    }
}

/// 户籍登记: adds a person to a household of the caller's areas (born, arrived, found at the
/// door), numbered by Cordon (`R-…`, an id no import may use). Refused (409) when the ID number
/// is already registered, and when the same name and phone, or the same name and birth year in
/// the household, is — until sent again with `not_a_duplicate`. A household outside the
/// caller's areas is 404, as one that does not exist.
#[utoipa::path(post, path = "/api/v1/people", tag = "people", security(("bearer" = [])), request_body = NewPersonRequest,
    responses((status = 201, body = PersonView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such household in the caller's areas", body = ErrorBody),
        (status = 409, description = "the entry may repeat one registered (named in the message)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_person(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(b): ApiJson<NewPersonRequest>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let view = entries::add(&state, &user, &b, "POST /api/v1/people").await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Changes a person of the caller's areas — phone, tags, a move to another household, or the
/// standing (`moved_out`, `deceased`; `active` again undoes one recorded by mistake) — with a
/// reason kept in the person's history. A second death is refused (422); every attempt is on
/// the audit of reads.
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "person_id")), request_body = PersonPatch,
    responses((status = 200, body = PersonView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such person, or household to move to, in the caller's areas", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn change_person(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<PersonPatch>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(entries::change(&state, &user, &id, &b, "PATCH /api/v1/people/{id}").await?))
}

/// A person's history in the register, newest first: registered, phone, tags, household and
/// standing, each with who, when and why. A phone's numbers are never kept there.
#[utoipa::path(get, path = "/api/v1/people/{id}/history", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "person_id")),
    responses((status = 200, body = Vec<PersonChangeView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn person_history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<PersonChangeView>>, ApiError> {
    Ok(Json(entries::history(&state, &user, &id, "GET /api/v1/people/{id}/history").await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A search box takes any text: names of every length in any script, digits, ID numbers,
    /// junk. Each is classified or refused, never a panic.
    #[test]
    fn any_text_is_classified_or_refused() {
        for q in [
            "留存期测试人",       // 18 bytes, six characters
            "王五六七八九a",      // 19 bytes
            "1101051949123100人", // 17 digits and one wide character
            "11010519491231002X",
            "11010519491231002x",
            "110105194912310021",
            "13912345678",
            "+86 139-1234-5678",
            "1391234",
            "张",
            "   ",
            "",
            "\u{0}\u{1f600}\u{200b}",
            &"字".repeat(50),
            &"字".repeat(51),
        ] {
            let _ = classify_query(q);
        }
        assert!(matches!(classify_query("留存期测试人"), Ok(PeopleQuery::NamePrefix(_))));
        assert!(matches!(classify_query("11010519491231002x"), Ok(PeopleQuery::IdNumber(_))));
    }
}

/// Pairs of entries in the caller's areas that may be one person: the same ID number, the same
/// name and phone, or the same name and birth year in one household; strongest first. Every
/// person listed is audited.
#[utoipa::path(get, path = "/api/v1/people/duplicates", tag = "people", security(("bearer" = [])), params(DuplicatesParams),
    responses((status = 200, body = Vec<DuplicatePairView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(p): ApiQuery<DuplicatesParams>,
) -> Result<Json<Vec<DuplicatePairView>>, ApiError> {
    Ok(Json(find(&state, &user, p.limit.unwrap_or(100), "GET /api/v1/people/duplicates").await?))
}

/// Merges another entry into this one: the kept entry takes what it lacks (ID number, phone,
/// birth year, tags), every record of the other names it, the other goes. Refused (422) when
/// the two say different things a person cannot change, and (409) when both are cases.
#[utoipa::path(post, path = "/api/v1/people/{id}/merge", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person_id kept")), request_body = MergeRequest,
    responses((status = 200, body = MergeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge_api(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> Result<Json<MergeView>, ApiError> {
    Ok(Json(merge(&state, &user, &id, &req).await?))
}

/// What each route of this API asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/api/v1/areas", Need::SignedIn),
    RouteNeed::get("/api/v1/areas/{code}", Need::SignedIn),
    RouteNeed::get("/api/v1/areas/{code}/shape", Need::SignedIn),
    RouteNeed::get("/api/v1/people", crate::register::READ_PEOPLE),
    RouteNeed::get("/api/v1/people/{id}", crate::register::READ_PEOPLE),
    RouteNeed::post("/api/v1/people", Need::AnyOf(&[Right::KeepRegister])),
    RouteNeed::patch("/api/v1/people/{id}", Need::AnyOf(&[Right::KeepRegister])),
    RouteNeed::get("/api/v1/people/{id}/history", crate::register::READ_PEOPLE),
    RouteNeed::get("/api/v1/people/duplicates", Need::AnyOf(&[Right::MergePeople])),
    RouteNeed::post("/api/v1/people/{id}/merge", Need::AnyOf(&[Right::MergePeople])),
    RouteNeed::post("/api/v1/people/{id}/break-glass", Need::AnyOf(&[Right::BreakGlass])),
];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(break_glass_api))
        .routes(routes!(scope_area))
        .routes(routes!(area))
        .routes(routes!(area_shape))
        .routes(routes!(search_people, add_person))
        .routes(routes!(person, change_person))
        .routes(routes!(person_history))
        .routes(routes!(list))
        .routes(routes!(merge_api))
}

/// 破窗: reads one person outside the user's areas, stating why. The person may then be read
/// for an hour (not their household); every read is audited with the reason, and headquarters
/// reviews each glass broken.
#[utoipa::path(post, path = "/api/v1/people/{id}/break-glass", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "person_id")), request_body = BreakGlassRequest,
    responses((status = 201, body = PersonView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn break_glass_api(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<BreakGlassRequest>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    break_glass(&state, &user, &id, &b.reason).await?;
    let view = person_view(&state, &user, &id, "POST /api/v1/people/{id}/break-glass").await?;
    Ok((StatusCode::CREATED, Json(view)))
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::NotFound => ApiError::NotFound,
            RegisterError::Missing(m) => ApiError::Missing(m),
            RegisterError::Merged(m) => ApiError::Merged(m),
            RegisterError::Forbidden(m) => ApiError::Forbidden(m),
            RegisterError::Conflict(m) => ApiError::Conflict(m),
            RegisterError::Invalid { field, message } => ApiError::Invalid { field, message },
            RegisterError::Zone(e) => ApiError::from(e),
            RegisterError::Testing(e) => ApiError::from(e),
            RegisterError::Case(e) => ApiError::from(e),
            RegisterError::Isolation(e) => ApiError::from(e),
            RegisterError::Store(e) => ApiError::from(e),
        }
    }
}
