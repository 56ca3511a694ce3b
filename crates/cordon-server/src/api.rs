//! The JSON API under `/api/v1`, described by utoipa into `/api/openapi.json`.

use axum::Json;
use axum::extract::State;
use chrono::{Datelike, Utc};
use cordon_domain::Right;
use cordon_domain::format::mask_middle;
use cordon_domain::{Area, AreaCode, AreaLevel, PersonId, Role, Sex};
use cordon_store::{AreaNode, PeopleQuery, PersonRecord, User};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, CurrentUser};
use crate::error::{ApiError, ApiPath, ApiQuery, ErrorBody};
use crate::{
    AppState, cases_api, dashboard_api, gates_api, needs_api, testing_api, workforce_api, zones_api,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Cordon API", description = "The operations system of an outbreak-containment command."),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "areas"), (name = "people"), (name = "zones"), (name = "cases"), (name = "testing"), (name = "gates"), (name = "workforce"), (name = "needs"), (name = "dashboard"), (name = "audit"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Any operation can be sent a request that does not parse (a path segment that is no number,
/// a query string or a body that is not what it takes): each answers 400 with the error body.
/// Said once here, after the routes are in the document, rather than on every route.
pub fn document_bad_requests(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let bad = ResponseBuilder::new()
        .description("The request does not parse: a path segment, the query string or the body")
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
        )
        .build();
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            op.responses.responses.entry("400".to_owned()).or_insert_with(|| RefOr::T(bad.clone()));
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::api_login))
        .routes(routes!(auth::api_logout))
        .routes(routes!(auth::api_change_password))
        .routes(routes!(crate::second_factor::setup_api))
        .routes(routes!(crate::second_factor::confirm_api))
        .routes(routes!(me))
        .routes(routes!(scope_area))
        .routes(routes!(area))
        .routes(routes!(area_shape))
        .routes(routes!(search_people))
        .routes(routes!(person))
        .routes(routes!(crate::oversight::break_glass_api))
        .routes(routes!(crate::oversight::audit_reads))
        .routes(routes!(crate::oversight::glass_breaks_api))
        .routes(routes!(crate::duplicates::list))
        .routes(routes!(crate::duplicates::merge_api))
        .routes(routes!(crate::roles::list))
        .routes(routes!(crate::roles::put))
        .routes(routes!(zones_api::list_zones, zones_api::draw_zone))
        .routes(routes!(zones_api::zone_figures))
        .routes(routes!(zones_api::get_zone))
        .routes(routes!(zones_api::record_event))
        .routes(routes!(zones_api::lift_zone))
        .routes(routes!(zones_api::raise_zone))
        .routes(routes!(zones_api::record_positive))
        .routes(routes!(zones_api::list_proposals))
        .routes(routes!(zones_api::decide_proposal))
        .routes(routes!(zones_api::list_profiles))
        .routes(routes!(zones_api::put_profile))
        .routes(routes!(zones_api::set_in_force))
        .routes(routes!(cases_api::list_cases, cases_api::open_case))
        .routes(routes!(cases_api::get_case))
        .routes(routes!(cases_api::change_case))
        .routes(routes!(cases_api::trace_case))
        .routes(routes!(cases_api::case_contacts))
        .routes(routes!(cases_api::list_contacts))
        .routes(routes!(cases_api::update_contact))
        .routes(routes!(cases_api::add_segment))
        .routes(routes!(cases_api::remove_segment))
        .routes(routes!(cases_api::draft_notice))
        .routes(routes!(cases_api::publish_notice))
        .routes(routes!(cases_api::chain))
        .routes({
            // A file of scans is far larger than any other body.
            let (schemas, paths, method) = routes!(cases_api::upload_scans, cases_api::scan_status);
            (schemas, paths, method.layer(axum::extract::DefaultBodyLimit::max(SCAN_UPLOAD_LIMIT)))
        })
        .routes(routes!(cases_api::list_venues, cases_api::put_venues))
        .routes(routes!(testing_api::list_rounds, testing_api::create_round))
        .routes(routes!(testing_api::get_round))
        .routes(routes!(testing_api::close_round))
        .routes(routes!(testing_api::sweep))
        .routes(routes!(testing_api::record_tube))
        .routes({
            // Files of samples and results are far larger than any other body.
            let (schemas, paths, method) = routes!(testing_api::upload_samples);
            (schemas, paths, method.layer(axum::extract::DefaultBodyLimit::max(SCAN_UPLOAD_LIMIT)))
        })
        .routes({
            let (schemas, paths, method) = routes!(testing_api::upload_results);
            (schemas, paths, method.layer(axum::extract::DefaultBodyLimit::max(SCAN_UPLOAD_LIMIT)))
        })
        .routes(routes!(testing_api::list_tasks))
        .routes(routes!(testing_api::pool_size))
        .routes(routes!(gates_api::list_gates, gates_api::create_gate))
        .routes(routes!(gates_api::get_gate))
        .routes(routes!(gates_api::decide))
        .routes(routes!(gates_api::gate_log))
        .routes(routes!(gates_api::gate_traffic))
        .routes(routes!(gates_api::gate_presence))
        .routes(routes!(gates_api::list_passes, gates_api::issue_pass))
        .routes(routes!(gates_api::public_key))
        .routes(routes!(gates_api::get_pass))
        .routes(routes!(gates_api::pass_qr))
        .routes(routes!(gates_api::revoke_pass))
        .routes({
            // A roster of tens of thousands of workers is larger than any form.
            let (schemas, paths, method) = routes!(workforce_api::import_workers);
            (schemas, paths, method.layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024)))
        })
        .routes(routes!(workforce_api::put_worker))
        .routes(routes!(workforce_api::list_checkins, workforce_api::check_in))
        .routes(routes!(workforce_api::list_sites, workforce_api::create_site))
        .routes(routes!(workforce_api::list_assignments, workforce_api::assign))
        .routes(routes!(workforce_api::end_assignment))
        .routes(routes!(workforce_api::coverage))
        .routes(routes!(workforce_api::suggestions))
        .routes(routes!(workforce_api::accept))
        .routes(routes!(workforce_api::list_command_posts, workforce_api::create_command_post))
        .routes(routes!(cases_api::put_tracing_settings))
        .routes(routes!(needs_api::board, needs_api::raise))
        .routes(routes!(needs_api::figures))
        .routes(routes!(needs_api::inbox))
        .routes(routes!(needs_api::get_need))
        .routes(routes!(needs_api::act))
        .routes(routes!(dashboard_api::get_dashboard))
        .routes(routes!(dashboard_api::draft))
        .routes(routes!(dashboard_api::list, dashboard_api::publish))
        .routes(routes!(dashboard_api::get_briefing))
        .routes(routes!(dashboard_api::export))
}

/// The largest file of scans one request may send; larger files go through `cordon import scans`.
pub const SCAN_UPLOAD_LIMIT: usize = 256 << 20;

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

#[derive(Serialize, ToSchema)]
pub struct AreaView {
    pub code: AreaCode,
    pub name: String,
    pub level: AreaLevel,
    pub parent: Option<AreaCode>,
    pub residents: i64,
    pub households: i64,
    pub vulnerable: i64,
    pub children: i64,
    pub has_shape: bool,
}

impl AreaView {
    fn of(n: &AreaNode) -> Self {
        AreaView {
            code: n.area.code.clone(),
            name: n.area.name.clone(),
            level: n.area.level,
            parent: n.area.parent.clone(),
            residents: n.stats.residents,
            households: n.stats.households,
            vulnerable: n.stats.vulnerable,
            children: n.children,
            has_shape: n.has_shape,
        }
    }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct AreaRef {
    pub code: AreaCode,
    pub name: String,
    pub level: AreaLevel,
}

impl AreaRef {
    fn of(a: &Area) -> Self {
        AreaRef { code: a.code.clone(), name: a.name.clone(), level: a.level }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AreaDetail {
    pub area: AreaView,
    /// From the root down to the area's parent.
    pub lineage: Vec<AreaRef>,
    pub children: Vec<AreaView>,
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn me(CurrentUser(user): CurrentUser) -> Json<UserView> {
    Json(UserView::of(&user))
}

pub async fn area_detail(state: &AppState, user: &User, code: &str) -> Result<AreaDetail, ApiError> {
    let code = AreaCode::parse(code).map_err(|_| ApiError::NotFound)?;
    let node = state.store.area(&user.scope_path, &code).await?.ok_or(ApiError::NotFound)?;
    let children = state.store.children(&user.scope_path, &code).await?;
    let areas = state.store.areas_on(std::slice::from_ref(&node.area.path)).await?;
    let mut lineage: Vec<AreaRef> =
        cordon_store::lineage(&areas, &node.area.path).into_iter().map(AreaRef::of).collect();
    lineage.pop();
    Ok(AreaDetail {
        area: AreaView::of(&node),
        lineage,
        children: children.iter().map(AreaView::of).collect(),
    })
}

/// The area the user answers for, with its children.
#[utoipa::path(get, path = "/api/v1/areas", tag = "areas", security(("bearer" = [])),
    responses((status = 200, body = AreaDetail), (status = 401, body = ErrorBody)))]
async fn scope_area(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<AreaDetail>, ApiError> {
    Ok(Json(area_detail(&state, &user, user.scope.as_str()).await?))
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
    Ok(Json(area_detail(&state, &user, &code).await?))
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
pub struct SearchParams {
    /// A name prefix (王芳, 王), a whole phone number, or an 18-character ID number.
    #[serde(default)]
    pub q: String,
    /// Everyone of one household (a door-to-door visit), instead of `q`.
    pub household: Option<String>,
    /// At most this many people (1 to 200, default 50).
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonSummary {
    pub person_id: PersonId,
    pub name: String,
    pub sex: Sex,
    pub birth_year: Option<i32>,
    pub age: Option<i32>,
    /// Masked: 139****0000; none without the `see_phone` right.
    pub phone: Option<String>,
    pub household: AreaCode,
    /// From the district down to the household: 新城区 › 海拉尔东路街道 › … › 501.
    pub address: Vec<String>,
    pub tags: Vec<TagView>,
}

#[derive(Serialize, ToSchema)]
pub struct TagView {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    pub people: Vec<PersonSummary>,
    /// True when more people match than were returned.
    pub truncated: bool,
}

/// What a search box's text means: an ID number, phone digits, or the start of a name.
pub fn classify_query(q: &str) -> Result<PeopleQuery, ApiError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(ApiError::invalid("q", "type a name, a phone number or an ID number"));
    }
    if q.chars().count() > 50 {
        return Err(ApiError::invalid("q", "is longer than 50 characters"));
    }
    let upper = q.to_ascii_uppercase();
    // Bytes, not a str slice: 18 bytes of a name may end inside a character (六个汉字 are 18).
    if upper.len() == 18 && upper.as_bytes()[..17].iter().all(u8::is_ascii_digit) {
        let id = cordon_domain::IdNumber::parse(&upper)?;
        return Ok(PeopleQuery::IdNumber(id.as_str().to_owned()));
    }
    let digits: String = q.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits.strip_prefix("+86").unwrap_or(&digits);
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        // Phones are sealed at rest: only a whole number has a blind index to look up.
        let phone = cordon_domain::Phone::parse(digits).map_err(|_| {
            ApiError::invalid(
                "q",
                "give the whole phone number (11 digits for a mobile, with the area code for a landline)",
            )
        })?;
        return Ok(PeopleQuery::Phone(phone.as_str().to_owned()));
    }
    Ok(PeopleQuery::NamePrefix(q.to_owned()))
}

pub fn tag_views(p: &PersonRecord) -> Vec<TagView> {
    p.tags
        .iter()
        .map(|t| TagView {
            code: t.as_str().to_owned(),
            label_zh: t.label(true).to_owned(),
            label_en: t.label(false).to_owned(),
        })
        .collect()
}

/// An address read from large to small, the city left out, from a map `areas_on` filled.
pub fn address(areas: &std::collections::HashMap<i64, Area>, path: &cordon_domain::AreaPath) -> Vec<String> {
    cordon_store::lineage(areas, path)
        .into_iter()
        .filter(|a| a.level > AreaLevel::City)
        .map(|a| a.name.clone())
        .collect()
}

/// The addresses of these paths, from one store query.
pub async fn addresses(
    state: &AppState,
    paths: &[cordon_domain::AreaPath],
) -> Result<Vec<Vec<String>>, ApiError> {
    let areas = state.store.areas_on(paths).await?;
    Ok(paths.iter().map(|p| address(&areas, p)).collect())
}

/// Summaries of people, with their addresses from one store query, and the read audited.
pub async fn summaries(
    state: &AppState,
    user: &User,
    people: &[PersonRecord],
    route: &str,
) -> Result<Vec<PersonSummary>, ApiError> {
    if people.is_empty() {
        return Ok(vec![]);
    }
    let paths: Vec<_> = people.iter().map(|p| p.path.clone()).collect();
    let areas = state.store.areas_on(&paths).await?;
    let ids: Vec<PersonId> = people.iter().map(|p| p.person_id.clone()).collect();
    state.store.audit_reads(user, &ids, route, Utc::now()).await?;
    let this_year = Utc::now().year();
    Ok(people
        .iter()
        .map(|p| PersonSummary {
            person_id: p.person_id.clone(),
            name: p.name.clone(),
            sex: p.sex,
            birth_year: p.birth_year,
            age: p.birth_year.map(|y| this_year - y),
            phone: p.phone.as_deref().filter(|_| user.may(Right::SeePhone)).map(|s| mask_middle(s, 3, 4)),
            household: p.household.clone(),
            address: address(&areas, &p.path),
            tags: tag_views(p),
        })
        .collect())
}

pub async fn search(
    state: &AppState,
    user: &User,
    q: &str,
    limit: u32,
    route: &str,
) -> Result<SearchResult, ApiError> {
    search_by(state, user, &classify_query(q)?, limit, route).await
}

async fn search_by(
    state: &AppState,
    user: &User,
    query: &PeopleQuery,
    limit: u32,
    route: &str,
) -> Result<SearchResult, ApiError> {
    let limit = limit.clamp(1, 200);
    let mut found = state.store.search_people(&user.scope_path, query, limit + 1).await?;
    let truncated = found.len() > limit as usize;
    found.truncate(limit as usize);
    Ok(SearchResult { people: summaries(state, user, &found, route).await?, truncated })
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

#[derive(Serialize, ToSchema)]
pub struct PersonView {
    #[serde(flatten)]
    pub summary: PersonSummary,
    /// Masked: 1501**********1234; none without the `see_id_number` right.
    pub id_number: Option<String>,
    /// The strictest zone over the person's household and its ancestors; none outside zones.
    pub effective_tier: Option<cordon_domain::Tier>,
    pub household_members: Vec<PersonSummary>,
    /// The case this person is, for readers of cases.
    pub case_id: Option<i64>,
    /// The person as a close or secondary contact still followed up, for readers of cases.
    pub contact_of: Vec<crate::cases::ContactView>,
    /// Held for a retest, tasks and the last tubes the person was in; none without the
    /// `see_health` right (a cadre at a gate learns the person's standing there instead).
    pub testing: Option<crate::testing::PersonTesting>,
    /// The broken glass this person is read under, outside the reader's areas (their household
    /// is not shown then); none for a person of the reader's areas.
    pub glass_break: Option<crate::oversight::GlassBreakView>,
    /// The entries merged into this one (重复登记), oldest first.
    pub merges: Vec<crate::duplicates::MergeView>,
}

pub async fn person_view(
    state: &AppState,
    user: &User,
    id: &str,
    route: &str,
) -> Result<PersonView, ApiError> {
    let id = PersonId::parse(id).map_err(|_| ApiError::NotFound)?;
    let (person, glass_break) = match state.store.person(&user.scope_path, &id).await? {
        Some(person) => (person, None),
        // Outside the user's areas: a 404, as for nobody, unless they broke the glass for them.
        None => match crate::oversight::granted(state, user, &id).await? {
            Some((grant, person)) => (person, Some(grant)),
            None => match crate::duplicates::merged_into(state, user, &id).await? {
                Some(kept) => return Err(ApiError::Merged(kept)),
                None => return Err(ApiError::NotFound),
            },
        },
    };
    let others: Vec<PersonRecord> = if glass_break.is_some() {
        Vec::new()
    } else {
        let household = state
            .store
            .search_people(&user.scope_path, &PeopleQuery::Household(person.household.clone()), 50)
            .await?;
        household.into_iter().filter(|p| p.person_id != person.person_id).collect()
    };
    let id_number =
        person.id_number.as_deref().filter(|_| user.may(Right::SeeIdNumber)).map(|s| mask_middle(s, 4, 4));
    let effective_tier =
        crate::zones::marks_of(state, std::slice::from_ref(&person.path)).await?.remove(0).covering;
    // One address look-up and one audit insert for the person and their household together.
    let mut everyone = Vec::with_capacity(others.len() + 1);
    everyone.push(person);
    everyone.extend(others);
    let mut all = summaries(state, user, &everyone, route).await?;
    let household_members = all.split_off(1);
    let summary = all.remove(0);
    let (case_id, contact_of) = if crate::cases::may_view(user) && user.may(Right::SeeHealth) {
        let query = cordon_store::ContactQuery {
            active_only: true,
            person_id: Some(summary.person_id.as_str().to_owned()),
            limit: 50,
            ..Default::default()
        };
        let rows = state.store.contacts(&user.scope_path, &query).await?;
        (
            state.store.case_of_person(summary.person_id.as_str()).await?,
            crate::cases::contact_views(state, user, &rows, route).await?,
        )
    } else {
        (None, vec![])
    };
    let testing = match user.may(Right::SeeHealth) {
        true => Some(crate::testing::person_testing(state, user, summary.person_id.as_str()).await?),
        false => None,
    };
    let merges = state
        .store
        .person_merges(&summary.person_id)
        .await?
        .into_iter()
        .filter(|m| m.kept_id == summary.person_id.as_str())
        .map(Into::into)
        .collect();
    Ok(PersonView {
        summary,
        id_number,
        effective_tier,
        household_members,
        case_id,
        contact_of,
        testing,
        glass_break: glass_break.map(Into::into),
        merges,
    })
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
