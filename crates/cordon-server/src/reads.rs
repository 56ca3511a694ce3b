//! Reading the register, for every capability that shows it: an area with its children, the
//! audited summaries of people (each person shown is written to the audit of reads before the
//! answer leaves) and the addresses of households. No capability lists people without going
//! through here.

use chrono::Datelike;
use cordon_domain::{Area, AreaCode, AreaLevel, PersonId, Sex};
use cordon_store::{AreaNode, PersonRecord, StoreError, User};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

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
    /// 人员状态: active, moved_out or deceased.
    pub status: cordon_domain::PersonStatus,
}

#[derive(Serialize, ToSchema)]
pub struct TagView {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
}

/// The person's tags as this user may see them (`cordon_domain::disclosure`).
pub fn tag_views(user: &User, p: &PersonRecord) -> Vec<TagView> {
    user.disclosure()
        .tags(&p.tags)
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
) -> Result<Vec<Vec<String>>, StoreError> {
    let areas = state.store.areas_on(paths).await?;
    Ok(paths.iter().map(|p| address(&areas, p)).collect())
}

/// Summaries of people, with their addresses from one store query, and the read audited.
pub async fn summaries(
    state: &AppState,
    user: &User,
    people: &[PersonRecord],
    route: &str,
) -> Result<Vec<PersonSummary>, StoreError> {
    if people.is_empty() {
        return Ok(vec![]);
    }
    let paths: Vec<_> = people.iter().map(|p| p.path.clone()).collect();
    let areas = state.store.areas_on(&paths).await?;
    let ids: Vec<PersonId> = people.iter().map(|p| p.person_id.clone()).collect();
    state.store.audit_reads(user, &ids, route, state.now()).await?;
    let this_year = state.now().year();
    let shown = user.disclosure();
    Ok(people
        .iter()
        .map(|p| PersonSummary {
            person_id: p.person_id.clone(),
            name: p.name.clone(),
            sex: p.sex,
            birth_year: p.birth_year,
            age: p.birth_year.map(|y| this_year - y),
            phone: shown.phone(p.phone.as_deref()),
            household: p.household.clone(),
            address: address(&areas, &p.path),
            tags: tag_views(user, p),
            status: p.status,
        })
        .collect())
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

// An area named; the dashboard names its area with it too (one schema `AreaRef`, not two).
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct AreaRef {
    pub code: AreaCode,
    pub name: String,
    pub level: AreaLevel,
}

impl AreaRef {
    pub fn of(a: &Area) -> Self {
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

/// An area inside the user's areas, with the way down to it and its children; none when the
/// code is no area's, or not one the user sees.
pub async fn area_detail(
    state: &AppState,
    user: &User,
    code: &str,
) -> Result<Option<AreaDetail>, StoreError> {
    let Ok(code) = AreaCode::parse(code) else { return Ok(None) };
    let Some(node) = state.store.area(&user.scope_path, &code).await? else { return Ok(None) };
    let children = state.store.children(&user.scope_path, &code).await?;
    let areas = state.store.areas_on(std::slice::from_ref(&node.area.path)).await?;
    let mut lineage: Vec<AreaRef> =
        cordon_store::lineage(&areas, &node.area.path).into_iter().map(AreaRef::of).collect();
    lineage.pop();
    Ok(Some(AreaDetail {
        area: AreaView::of(&node),
        lineage,
        children: children.iter().map(AreaView::of).collect(),
    }))
}
