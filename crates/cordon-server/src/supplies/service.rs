//! 保供: food and medicine to every sealed door. Distribution points keep stocks, moved in and
//! out with a reason and never below zero; a round over an area gives each household one
//! delivery of a kind of package, sized by its members by the profile's rule, the vulnerable
//! first, listed building by building for the volunteers who answer for them; each delivery is
//! marked delivered, refused or nobody home. A household of a sealed or controlled zone that
//! nothing reached for longer than the profile allows is overdue on its community's board.
//!
//! Who does what: the board and the lists with `handle_needs` (the community's workers) or
//! `view_workforce`; marking a door with `handle_needs`; points, stock and rounds with
//! `manage_workforce` or `decide_needs`. Everything is scoped to the user's areas. A delivery
//! names a household and its address, never a person.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, Utc};
use cordon_domain::needs::{NeedEvent, NeedEventKind, rule_for};
use cordon_domain::supplies::{DeliveryOutcome, SupplyItem, SupplyRule};
use cordon_domain::{AreaCode, AreaLevel, AreaPath, Need, Right};
use cordon_store::{
    DeliveryMark, DeliveryRecord, DistributionRecord, Fulfilment, NeedQuery, NewDistribution, NewNeedEvent,
    NewSupplyPoint, StoreError, User,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;

/// Seeing points, rounds, lists and the overdue board.
pub const VIEW: Need = Need::AnyOf(&[Right::HandleNeeds, Right::ViewWorkforce]);
/// Marking how a delivery ended at the door.
pub const DELIVER: Need = Need::AnyOf(&[Right::HandleNeeds]);
/// Points, stock and rounds.
pub const PLAN: Need = Need::AnyOf(&[Right::ManageWorkforce, Right::DecideNeeds]);

/// The most a single stock move carries (a lorry of vegetable bundles).
const MOST_MOVED: u64 = 1_000_000;
/// The most overdue households a board lists (all are counted).
const BOARD_ROWS: u32 = 500;

/// Why a supplies request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SuppliesError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Refused(String),
    /// Not now: the stock is short, the delivery was closed.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SuppliesError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => SuppliesError::NotFound(format!("no {what}")),
            StoreError::Conflict(m) => SuppliesError::Conflict(m),
            e => SuppliesError::Store(e),
        }
    }
}

type Result<T> = std::result::Result<T, SuppliesError>;

fn invalid(field: &'static str, message: impl Into<String>) -> SuppliesError {
    SuppliesError::Invalid { field, message: message.into() }
}

fn refuse(user: &User, need: Need, what: &str) -> Result<()> {
    match need.met_by(user.rights) {
        true => Ok(()),
        false => Err(SuppliesError::Refused(format!("{what} is not part of your role"))),
    }
}

pub fn may_plan(user: &User) -> bool {
    PLAN.met_by(user.rights)
}

pub fn may_deliver(user: &User) -> bool {
    DELIVER.met_by(user.rights)
}

// ---- views ----

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct StockLevel {
    pub item: SupplyItem,
    pub quantity: i64,
}

/// 保供点: a distribution point and what it holds.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct SupplyPointView {
    pub id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub stock: Vec<StockLevel>,
}

/// 配送轮次: a round and how far it has got.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DistributionView {
    pub id: i64,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub point_id: String,
    pub item: SupplyItem,
    pub households: i64,
    pub packages: i64,
    pub delivered: i64,
    pub refused: i64,
    /// Not tried yet, or nobody was home.
    pub open: i64,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl DistributionView {
    fn of(d: &DistributionRecord) -> Self {
        DistributionView {
            id: d.id,
            area_code: d.area.clone(),
            area_name: d.area_name.clone(),
            point_id: d.point_id.clone(),
            item: d.item,
            households: d.households,
            packages: d.packages,
            delivered: d.delivered,
            refused: d.refused,
            open: d.open,
            note: d.note.clone(),
            created_at: d.created_at,
            created_by: d.created_by.clone(),
        }
    }
}

/// A door on a volunteer's list.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DeliveryView {
    pub id: i64,
    #[schema(value_type = String)]
    pub household: AreaCode,
    /// The household's address below its building: 3单元 501.
    pub door: String,
    pub members: i64,
    pub packages: i64,
    /// Someone in it is flagged (dialysis, pregnancy, elderly or a child alone): first.
    pub vulnerable: bool,
    pub outcome: Option<DeliveryOutcome>,
    pub outcome_at: Option<DateTime<Utc>>,
    pub outcome_by: Option<String>,
    pub note: String,
    /// The resident's request it fulfilled.
    pub fulfilled: Option<i64>,
    /// An open request of the household this round's package would fulfil (food, or medicine
    /// for a medicine kit): the volunteer resolves it with the delivery.
    pub open_request: Option<i64>,
}

impl DeliveryView {
    /// Not tried yet, or nobody was home: still to be done.
    pub fn is_open(&self) -> bool {
        self.outcome.is_none_or(|o| !o.closes())
    }
}

/// A building's list, for the volunteers who answer for it.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct BuildingList {
    /// The building (or the nearest area above its households).
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    /// The address down to the building: 呼铁佳园C区 › 3号楼.
    pub address: String,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DistributionDetail {
    pub distribution: DistributionView,
    pub buildings: Vec<BuildingList>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct OverdueHouseholdView {
    #[schema(value_type = String)]
    pub household: AreaCode,
    pub address: String,
    pub last_delivered: Option<DateTime<Utc>>,
}

/// 保供超时: households of sealed and controlled zones that nothing reached for too long.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct OverdueBoard {
    /// Days without a delivery after which a household is here (the profile's).
    pub overdue_days: u32,
    pub count: i64,
    /// The first 500 by address.
    pub households: Vec<OverdueHouseholdView>,
}

// ---- requests ----

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct SupplyPointRequest {
    /// A code of the deployment's: SP-XINCHENG-01.
    pub id: String,
    pub name: String,
    pub area_code: String,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct StockMoveRequest {
    pub item: SupplyItem,
    /// In: positive; out: negative. Never below what is there.
    pub quantity: i64,
    /// Where from or to: a supplier's delivery, a spoiled batch …
    pub reason: String,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct DistributionRequest {
    /// The area it covers: a building, a compound, a community.
    pub area_code: String,
    pub point_id: String,
    pub item: SupplyItem,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct DeliveryOutcomeRequest {
    pub outcome: DeliveryOutcome,
    #[serde(default)]
    pub note: String,
    /// The household's request (a need for food, or for medicine with a medicine kit) this
    /// delivery fulfils: resolved with it.
    #[serde(default)]
    pub fulfils: Option<i64>,
}

// ---- use cases ----

async fn rule(state: &AppState) -> Result<SupplyRule> {
    let key = crate::zones::profile_in_force(state).await?;
    Ok(crate::zones::profiles(state).await?.get(&key).map(|p| p.supplies.clone()).unwrap_or_default())
}

fn area_code(field: &'static str, s: &str) -> Result<AreaCode> {
    AreaCode::parse(s).map_err(|e| invalid(field, e.to_string()))
}

/// The distribution points of the user's areas with their stock.
pub async fn points(state: &AppState, user: &User) -> Result<Vec<SupplyPointView>> {
    refuse(user, VIEW, "seeing supplies")?;
    Ok(state
        .store
        .supply_points(&user.scope_path)
        .await?
        .into_iter()
        .map(|p| SupplyPointView {
            id: p.id,
            name: p.name,
            area_code: p.area,
            area_name: p.area_name,
            stock: p.stock.into_iter().map(|(item, quantity)| StockLevel { item, quantity }).collect(),
        })
        .collect())
}

/// Opens a distribution point in an area of the user's.
pub async fn create_point(
    state: &AppState,
    user: &User,
    req: &SupplyPointRequest,
) -> Result<SupplyPointView> {
    refuse(user, PLAN, "opening distribution points")?;
    let id = req.id.trim();
    if id.is_empty()
        || id.len() > 40
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid("id", "1 to 40 letters, digits, '-' or '_'"));
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "1 to 100 characters"));
    }
    let code = area_code("area_code", &req.area_code)?;
    state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| invalid("area_code", format!("no area {code} in your areas")))?;
    let p = NewSupplyPoint {
        id: id.to_owned(),
        name: name.to_owned(),
        area: code,
        at: state.now(),
        by: user.username.clone(),
    };
    state.store.create_supply_point(&p).await?;
    points(state, user)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or_else(|| SuppliesError::NotFound(format!("no point {id}")))
}

/// A point of the user's areas.
async fn point_in_scope(state: &AppState, user: &User, id: &str) -> Result<()> {
    let found = state.store.supply_points(&user.scope_path).await?.iter().any(|p| p.id == id);
    match found {
        true => Ok(()),
        false => Err(SuppliesError::NotFound(format!("no distribution point {id} in your areas"))),
    }
}

/// Moves stock in or out of a point; never below zero. Returns the new level.
pub async fn move_stock(
    state: &AppState,
    user: &User,
    point_id: &str,
    req: &StockMoveRequest,
) -> Result<StockLevel> {
    refuse(user, PLAN, "moving stock")?;
    // `unsigned_abs`: the most negative number has no positive twin.
    if req.quantity == 0 || req.quantity.unsigned_abs() > MOST_MOVED {
        return Err(invalid("quantity", format!("a non-zero number up to {MOST_MOVED} either way")));
    }
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(invalid("reason", "where from or to (1 to 200 characters)"));
    }
    point_in_scope(state, user, point_id).await?;
    let level =
        state.store.move_stock(point_id, req.item, req.quantity, reason, state.now(), &user.username).await?;
    Ok(StockLevel { item: req.item, quantity: level })
}

/// Plans a round over an area of the user's: a delivery for every household with someone
/// living in it, its packages out of the point's stock.
pub async fn plan_round(
    state: &AppState,
    user: &User,
    req: &DistributionRequest,
) -> Result<DistributionView> {
    refuse(user, PLAN, "planning distribution rounds")?;
    let code = area_code("area_code", &req.area_code)?;
    let area = state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| invalid("area_code", format!("no area {code} in your areas")))?;
    if area.area.level == AreaLevel::Household {
        return Err(invalid(
            "area_code",
            "a round covers a building or more: a household's need is a request",
        ));
    }
    if req.note.chars().count() > 500 {
        return Err(invalid("note", "at most 500 characters"));
    }
    point_in_scope(state, user, req.point_id.trim()).await?;
    let now = state.now();
    let year = now.with_timezone(&state.config.tz).year();
    let d = NewDistribution {
        area: code,
        point_id: req.point_id.trim().to_owned(),
        item: req.item,
        sizing: rule(state).await?.sizing(req.item, year),
        note: req.note.trim().to_owned(),
        at: now,
        by: user.username.clone(),
    };
    let record = state.store.create_distribution(&user.scope_path, &d).await?;
    tracing::info!(round = record.id, households = record.households, packages = record.packages, by = %user.username, "distribution round planned");
    Ok(DistributionView::of(&record))
}

/// The rounds of the user's areas, the newest first.
pub async fn rounds(state: &AppState, user: &User) -> Result<Vec<DistributionView>> {
    refuse(user, VIEW, "seeing supplies")?;
    Ok(state.store.distributions(&user.scope_path, 200).await?.iter().map(DistributionView::of).collect())
}

/// A round with its deliveries building by building (inside `within`, when given: one
/// building's list), the vulnerable first in each.
pub async fn round(
    state: &AppState,
    user: &User,
    id: i64,
    within: Option<&str>,
) -> Result<DistributionDetail> {
    refuse(user, VIEW, "seeing supplies")?;
    let missing = || SuppliesError::NotFound(format!("no distribution round {id} in your areas"));
    let d = state.store.distribution(&user.scope_path, id).await?.ok_or_else(missing)?;
    let path = match within.map(str::trim).filter(|w| !w.is_empty()) {
        Some(code) => {
            let code = area_code("area", code)?;
            state
                .store
                .area(&user.scope_path, &code)
                .await?
                .ok_or_else(|| invalid("area", format!("no area {code} in your areas")))?
                .area
                .path
        }
        None => user.scope_path.clone(),
    };
    let deliveries = state.store.deliveries(d.id, &path).await?;
    let requests = open_requests(state, &path, d.item).await?;
    Ok(DistributionDetail {
        distribution: DistributionView::of(&d),
        buildings: by_building(state, &deliveries, &requests).await?,
    })
}

/// The open requests inside `within` that a package of `item` fulfils, the oldest of each
/// household's.
async fn open_requests(
    state: &AppState,
    within: &AreaPath,
    item: SupplyItem,
) -> Result<HashMap<String, i64>> {
    let q =
        NeedQuery { include_resolved: false, limit: 5_000, offset: 0, now: state.now(), waiting_on: None };
    let mut needs = state.store.needs_board(within, &q).await?;
    needs.retain(|n| n.category == cordon_domain::needs::NeedCategory::answered_by(item) && !n.emergency);
    needs.sort_by_key(|n| (n.created_at, n.id));
    let mut out = HashMap::new();
    for n in needs {
        out.entry(n.household.as_str().to_owned()).or_insert(n.id);
    }
    Ok(out)
}

/// The area a household's door list is kept under: its building, else the area above it.
fn list_area(line: &[&cordon_domain::Area]) -> usize {
    line.iter().rposition(|a| a.level == AreaLevel::Building).unwrap_or(line.len().saturating_sub(2))
}

async fn by_building(
    state: &AppState,
    deliveries: &[DeliveryRecord],
    requests: &HashMap<String, i64>,
) -> Result<Vec<BuildingList>> {
    let paths: Vec<AreaPath> = deliveries.iter().map(|d| d.path.clone()).collect();
    let areas = state.store.areas_on(&paths).await?;
    let mut lists: BTreeMap<String, BuildingList> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for d in deliveries {
        let line = cordon_store::lineage(&areas, &d.path);
        let at = list_area(&line);
        let Some(list_area) = line.get(at) else { continue };
        let key = list_area.path.as_str().to_owned();
        let door = line[at + 1..].iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(" ");
        let view = DeliveryView {
            id: d.id,
            household: d.household.clone(),
            door,
            members: d.members,
            packages: d.packages,
            vulnerable: d.vulnerable,
            outcome: d.outcome,
            outcome_at: d.outcome_at,
            outcome_by: d.outcome_by.clone(),
            note: d.note.clone(),
            fulfilled: d.need_id,
            open_request: requests.get(d.household.as_str()).copied(),
        };
        let list = lists.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            // Below the district: the compound and the building are what a volunteer reads.
            let address = line[..=at].iter().skip(3).map(|a| a.name.as_str()).collect::<Vec<_>>().join(" › ");
            BuildingList { area_code: list_area.code.clone(), address, deliveries: Vec::new() }
        });
        list.deliveries.push(view);
    }
    // Buildings by address; inside each, the store's order (the vulnerable first).
    let mut out: Vec<BuildingList> = lists.into_values().collect();
    out.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(out)
}

/// Records how a delivery of the user's areas ended at the door.
pub async fn record(
    state: &AppState,
    user: &User,
    id: i64,
    req: &DeliveryOutcomeRequest,
) -> Result<DeliveryView> {
    refuse(user, DELIVER, "marking deliveries")?;
    let note = req.note.trim();
    if note.chars().count() > 500 {
        return Err(invalid("note", "at most 500 characters"));
    }
    let now = state.now();
    let fulfils = match req.fulfils {
        None => None,
        Some(_) if req.outcome != DeliveryOutcome::Delivered => {
            return Err(invalid("fulfils", "only a delivery delivered fulfils a request"));
        }
        Some(need_id) => {
            let need = state
                .store
                .need(&user.scope_path, need_id)
                .await?
                .ok_or_else(|| invalid("fulfils", format!("no request {need_id} in your areas")))?;
            let profiles = crate::zones::profiles(state).await?;
            let rule = profiles
                .get(&need.profile_key)
                .and_then(|p| rule_for(&p.needs, need.category, need.emergency))
                .cloned()
                .ok_or_else(|| {
                    SuppliesError::Conflict(format!(
                        "the profile {} has no rule for this request",
                        need.profile_key
                    ))
                })?;
            let event = NewNeedEvent {
                event: NeedEvent { at: now, kind: NeedEventKind::Resolved },
                note: format!("配送 #{id} 送达 delivered"),
                by: user.username.clone(),
                recorded_at: now,
            };
            Some(Fulfilment { need_id, event, rule })
        }
    };
    let d = state
        .store
        .record_delivery(
            &user.scope_path,
            id,
            &DeliveryMark {
                outcome: req.outcome,
                note: note.to_owned(),
                at: now,
                by: user.username.clone(),
                fulfils,
            },
        )
        .await?
        .ok_or_else(|| SuppliesError::NotFound(format!("no delivery {id} in your areas")))?;
    let list = by_building(state, std::slice::from_ref(&d), &HashMap::new()).await?;
    list.into_iter()
        .flat_map(|b| b.deliveries)
        .next()
        .ok_or_else(|| SuppliesError::NotFound(format!("no delivery {id} in your areas")))
}

/// The households of the user's areas in sealed or controlled zones that nothing reached for
/// longer than the profile allows.
pub async fn overdue(state: &AppState, user: &User) -> Result<OverdueBoard> {
    refuse(user, VIEW, "seeing supplies")?;
    let rule = rule(state).await?;
    let since = state.now() - Duration::days(rule.overdue_days.into());
    let (count, list) = state.store.overdue_households(&user.scope_path, since, BOARD_ROWS).await?;
    let paths: Vec<AreaPath> = list.iter().map(|h| h.path.clone()).collect();
    let areas = state.store.areas_on(&paths).await?;
    let households = list
        .into_iter()
        .map(|h| {
            let line = cordon_store::lineage(&areas, &h.path);
            let address = line.iter().skip(3).map(|a| a.name.as_str()).collect::<Vec<_>>().join(" › ");
            OverdueHouseholdView { household: h.household, address, last_delivered: h.last_delivered }
        })
        .collect();
    Ok(OverdueBoard { overdue_days: rule.overdue_days, count, households })
}

/// Households of `scope` overdue for supplies at `now`: the dashboard's figure.
pub async fn overdue_count(
    state: &AppState,
    scope: &AreaPath,
    now: DateTime<Utc>,
) -> std::result::Result<i64, SuppliesError> {
    let key = crate::zones::profile_in_force(state).await?;
    let days = crate::zones::profiles(state).await?.get(&key).map(|p| p.supplies.overdue_days).unwrap_or(3);
    let (count, _) = state.store.overdue_households(scope, now - Duration::days(days.into()), 0).await?;
    Ok(count)
}
