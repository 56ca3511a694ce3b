//! 卫生保洁、消杀: disinfection tasks and the waste of sealed buildings. A case's pick-up orders
//! the terminal disinfection of their home and their building's stairs (written by the transfer
//! step, in its transaction); an officer may order one of any place. A team is sent, and the
//! task is marked done with when and how. Every building of a sealed zone has its waste
//! collected on the profile's schedule; the waste of its homes with a case or a contact at home
//! is collected apart, so a collection from such a building says how many bags of it, or why
//! none. A task past its deadline, and a building not collected in time, are overdue on the
//! community's board and the dashboard.
//!
//! Who does what: the board with `handle_needs` (the community's workers) or `view_workforce`;
//! sending a team, marking a task done and recording a collection with `handle_needs` or
//! `manage_workforce`; ordering a disinfection by hand with `manage_workforce` or
//! `decide_needs`. Everything is scoped to the user's areas; a task names a place, never a
//! person.

use chrono::{DateTime, Duration, Utc};
use cordon_domain::sanitation::{DisinfectionKind, SanitationRule, check_collection};
use cordon_domain::{AreaCode, AreaLevel, AreaPath, Need, Right};
use cordon_store::{
    CollectionRecord, DisinfectionRecord, NewCollection, NewDisinfection, SanitationCounts, StoreError, User,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;

/// Seeing the board.
pub const VIEW: Need = Need::AnyOf(&[Right::HandleNeeds, Right::ViewWorkforce]);
/// Sending a team, marking a task done, recording a collection.
pub const WORK: Need = Need::AnyOf(&[Right::HandleNeeds, Right::ManageWorkforce]);
/// Ordering a disinfection of a place by hand.
pub const ORDER: Need = Need::AnyOf(&[Right::ManageWorkforce, Right::DecideNeeds]);

/// The most tasks and buildings a board lists (all are counted).
const BOARD_ROWS: u32 = 500;
/// The most bags one collection takes from one building.
const MOST_BAGS: u32 = 10_000;

/// Why a sanitation request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SanitationError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Refused(String),
    /// Not now: done already, ordered already.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SanitationError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => SanitationError::NotFound(format!("no {what}")),
            StoreError::Conflict(m) => SanitationError::Conflict(m),
            e => SanitationError::Store(e),
        }
    }
}

type Result<T> = std::result::Result<T, SanitationError>;

fn invalid(field: &'static str, message: impl Into<String>) -> SanitationError {
    SanitationError::Invalid { field, message: message.into() }
}

fn refuse(user: &User, need: Need, what: &str) -> Result<()> {
    match need.met_by(user.rights) {
        true => Ok(()),
        false => Err(SanitationError::Refused(format!("{what} is not part of your role"))),
    }
}

pub fn may_work(user: &User) -> bool {
    WORK.met_by(user.rights)
}

pub fn may_order(user: &User) -> bool {
    ORDER.met_by(user.rights)
}

// ---- views ----

/// 消杀任务: a disinfection, and where it stands.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct DisinfectionView {
    pub id: i64,
    pub kind: DisinfectionKind,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    /// Below the district: 呼铁佳园C区 › 3号楼 › 501.
    pub address: String,
    pub reason: String,
    /// The transfer of the case whose leaving called for it.
    pub transfer_id: Option<i64>,
    pub due: DateTime<Utc>,
    /// Open and past its deadline.
    pub overdue: bool,
    pub team: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A building of a sealed zone, and where its waste stands.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct WasteBuildingView {
    #[schema(value_type = String)]
    pub building: AreaCode,
    pub address: String,
    pub sealed_at: DateTime<Utc>,
    pub last_collected: Option<DateTime<Utc>>,
    /// When the next collection is due: the interval after the later of both.
    pub due: DateTime<Utc>,
    pub overdue: bool,
    /// Homes with a case or a contact at home: their waste is collected apart.
    pub apart_homes: i64,
}

/// 垃圾清运: a collection from a building.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct CollectionView {
    pub id: i64,
    #[schema(value_type = String)]
    pub building: AreaCode,
    pub address: String,
    pub collected_at: DateTime<Utc>,
    pub team: String,
    pub bags: i64,
    /// Bags from homes with a case or a contact, collected apart.
    pub apart_bags: i64,
    pub apart_homes: i64,
    pub note: String,
    pub recorded_by: String,
}

/// The waste of the sealed buildings of the caller's areas.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct WasteBoard {
    /// Hours a sealed building may go uncollected (the profile's).
    pub waste_hours: u32,
    /// Buildings of sealed zones.
    pub count: i64,
    pub overdue: i64,
    /// The first 500, longest uncollected first.
    pub buildings: Vec<WasteBuildingView>,
    /// The latest collections.
    pub recent: Vec<CollectionView>,
}

/// The community's sanitation board.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct SanitationBoard {
    /// Open tasks by deadline, then the latest done.
    pub disinfections: Vec<DisinfectionView>,
    pub disinfections_open: i64,
    pub disinfections_overdue: i64,
    pub waste: WasteBoard,
}

// ---- requests ----

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct DisinfectionRequest {
    pub kind: DisinfectionKind,
    /// The place: a household, a building, a compound, any area.
    pub area_code: String,
    /// Why: a venue a case visited, a compound's public areas …
    pub reason: String,
    /// Hours to do it in; default the profile's `[sanitation] disinfect_hours`.
    #[serde(default)]
    pub hours: Option<u32>,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct TeamRequest {
    /// The team sent: 消杀一队.
    pub team: String,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct DoneRequest {
    /// When it was done; default now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// How: the disinfectant and its strength, what was covered.
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct CollectionRequest {
    /// The building collected from.
    pub building: String,
    /// When; default now.
    #[serde(default)]
    pub collected_at: Option<DateTime<Utc>>,
    pub team: String,
    pub bags: u32,
    /// Bags from homes with a case or a contact at home, collected apart.
    #[serde(default)]
    pub apart_bags: u32,
    /// Why none, when such homes put nothing out.
    #[serde(default)]
    pub note: String,
}

// ---- use cases ----

async fn rule(state: &AppState) -> Result<SanitationRule> {
    let key = crate::zones::profile_in_force(state).await?;
    Ok(crate::zones::profiles(state).await?.get(&key).map(|p| p.sanitation.clone()).unwrap_or_default())
}

fn when(field: &'static str, at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let at = at.unwrap_or(now);
    if at > now + Duration::minutes(5) {
        return Err(invalid(field, "that is in the future"));
    }
    Ok(at)
}

/// The addresses below the district of each path, in one read.
async fn addresses(state: &AppState, paths: &[AreaPath]) -> Result<Vec<String>> {
    let areas = state.store.areas_on(paths).await?;
    Ok(paths
        .iter()
        .map(|p| {
            cordon_store::lineage(&areas, p)
                .iter()
                .skip(3)
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(" › ")
        })
        .collect())
}

async fn disinfection_views(
    state: &AppState,
    tasks: &[DisinfectionRecord],
    now: DateTime<Utc>,
) -> Result<Vec<DisinfectionView>> {
    let paths: Vec<AreaPath> = tasks.iter().map(|t| t.path.clone()).collect();
    let addresses = addresses(state, &paths).await?;
    Ok(tasks
        .iter()
        .zip(addresses)
        .map(|(t, address)| DisinfectionView {
            id: t.id,
            kind: t.kind,
            area_code: t.area.clone(),
            address,
            reason: t.reason.clone(),
            transfer_id: t.transfer_id,
            due: t.due,
            overdue: t.done_at.is_none() && t.due < now,
            team: t.team.clone(),
            done_at: t.done_at,
            done_by: t.done_by.clone(),
            note: t.note.clone(),
            created_at: t.created_at,
            created_by: t.created_by.clone(),
        })
        .collect())
}

async fn one(state: &AppState, t: Option<DisinfectionRecord>, id: i64) -> Result<DisinfectionView> {
    let t = t.ok_or_else(|| SanitationError::NotFound(format!("no disinfection {id} in your areas")))?;
    let views = disinfection_views(state, std::slice::from_ref(&t), state.now()).await?;
    views.into_iter().next().ok_or_else(|| SanitationError::NotFound(format!("no disinfection {id}")))
}

/// The tasks of the user's areas: the open by deadline, then (unless `open_only`) the latest
/// done.
pub async fn disinfections(state: &AppState, user: &User, open_only: bool) -> Result<Vec<DisinfectionView>> {
    refuse(user, VIEW, "seeing sanitation")?;
    let tasks = state.store.disinfections(&user.scope_path, open_only, BOARD_ROWS).await?;
    disinfection_views(state, &tasks, state.now()).await
}

/// Orders a disinfection of a place of the user's areas.
pub async fn order(state: &AppState, user: &User, req: &DisinfectionRequest) -> Result<DisinfectionView> {
    refuse(user, ORDER, "ordering disinfections")?;
    let code = AreaCode::parse(&req.area_code).map_err(|e| invalid("area_code", e.to_string()))?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid("reason", "why it is needed (1 to 500 characters)"));
    }
    let hours = match req.hours {
        Some(h) if h == 0 || h > 168 => return Err(invalid("hours", "1 to 168 hours")),
        Some(h) => h,
        None => rule(state).await?.disinfect_hours,
    };
    let now = state.now();
    let d = NewDisinfection {
        kind: req.kind,
        area: code.clone(),
        transfer_id: None,
        reason: reason.to_owned(),
        due: now + Duration::hours(hours.into()),
        at: now,
        by: user.username.clone(),
    };
    let t = state.store.create_disinfection(&user.scope_path, &d).await?;
    if t.is_none() {
        return Err(invalid("area_code", format!("no area {code} in your areas")));
    }
    tracing::info!(kind = req.kind.as_str(), area = %code, by = %user.username, "disinfection ordered");
    one(state, t, 0).await
}

/// Sends a team to an open task of the user's areas.
pub async fn assign(state: &AppState, user: &User, id: i64, req: &TeamRequest) -> Result<DisinfectionView> {
    refuse(user, WORK, "sending sanitation teams")?;
    let team = req.team.trim();
    if team.is_empty() || team.chars().count() > 60 {
        return Err(invalid("team", "the team's name, 1 to 60 characters"));
    }
    let t = state.store.assign_disinfection(&user.scope_path, id, team).await?;
    one(state, t, id).await
}

/// Marks a task of the user's areas done.
pub async fn complete(state: &AppState, user: &User, id: i64, req: &DoneRequest) -> Result<DisinfectionView> {
    refuse(user, WORK, "recording disinfections")?;
    let at = when("at", req.at, state.now())?;
    let note = req.note.trim();
    if note.chars().count() > 500 {
        return Err(invalid("note", "at most 500 characters"));
    }
    let t = state.store.complete_disinfection(&user.scope_path, id, at, note, &user.username).await?;
    tracing::info!(disinfection = id, by = %user.username, "disinfection done");
    one(state, t, id).await
}

/// The sealed buildings of the user's areas and where their waste stands.
pub async fn waste(state: &AppState, user: &User) -> Result<WasteBoard> {
    refuse(user, VIEW, "seeing sanitation")?;
    let (rule, counts) = rule_and_counts(state, &user.scope_path).await?;
    waste_of(state, &user.scope_path, &rule, counts.waste_overdue).await
}

/// The profile's rule, and the counts of `scope` now by it.
async fn rule_and_counts(state: &AppState, scope: &AreaPath) -> Result<(SanitationRule, SanitationCounts)> {
    let rule = rule(state).await?;
    let now = state.now();
    let since = now - Duration::hours(rule.waste_hours.into());
    let counts = state.store.sanitation_counts(scope, now, since).await?;
    Ok((rule, counts))
}

async fn waste_of(
    state: &AppState,
    scope: &AreaPath,
    rule: &SanitationRule,
    overdue: i64,
) -> Result<WasteBoard> {
    let now = state.now();
    let (count, buildings) = state.store.waste_buildings(scope, BOARD_ROWS).await?;
    let recent = state.store.collections(scope, 20).await?;
    let paths: Vec<AreaPath> =
        buildings.iter().map(|b| b.path.clone()).chain(recent.iter().map(|c| c.path.clone())).collect();
    let mut names = addresses(state, &paths).await?.into_iter();
    let buildings = buildings
        .iter()
        .map(|b| {
            let due = rule.waste_due(b.sealed_at, b.last_collected);
            WasteBuildingView {
                building: b.building.clone(),
                address: names.next().unwrap_or_default(),
                sealed_at: b.sealed_at,
                last_collected: b.last_collected,
                due,
                overdue: due < now,
                apart_homes: b.apart_homes,
            }
        })
        .collect();
    let recent = recent.iter().map(|c| collection_view(c, names.next().unwrap_or_default())).collect();
    Ok(WasteBoard { waste_hours: rule.waste_hours, count, overdue, buildings, recent })
}

fn collection_view(c: &CollectionRecord, address: String) -> CollectionView {
    CollectionView {
        id: c.id,
        building: c.building.clone(),
        address,
        collected_at: c.collected_at,
        team: c.team.clone(),
        bags: c.bags,
        apart_bags: c.apart_bags,
        apart_homes: c.apart_homes,
        note: c.note.clone(),
        recorded_by: c.recorded_by.clone(),
    }
}

/// Records a collection from a building of the user's areas: its homes with a case or a
/// contact at home, read now, say whether bags were to be kept apart.
pub async fn collect(state: &AppState, user: &User, req: &CollectionRequest) -> Result<CollectionView> {
    refuse(user, WORK, "recording waste collections")?;
    let code = AreaCode::parse(&req.building).map_err(|e| invalid("building", e.to_string()))?;
    let area = state
        .store
        .area(&user.scope_path, &code)
        .await?
        .filter(|a| a.area.level == AreaLevel::Building)
        .ok_or_else(|| invalid("building", format!("no building {code} in your areas")))?;
    let team = req.team.trim();
    if team.is_empty() || team.chars().count() > 60 {
        return Err(invalid("team", "the team's name, 1 to 60 characters"));
    }
    if req.bags > MOST_BAGS || req.apart_bags > MOST_BAGS {
        return Err(invalid("bags", format!("at most {MOST_BAGS} bags")));
    }
    let note = req.note.trim();
    if note.chars().count() > 500 {
        return Err(invalid("note", "at most 500 characters"));
    }
    let collected_at = when("collected_at", req.collected_at, state.now())?;
    let homes = state.store.apart_homes(&area.area.path).await?;
    check_collection(homes.len(), req.apart_bags, note).map_err(|e| invalid(e.field(), e.to_string()))?;
    let c = NewCollection {
        building: code.clone(),
        collected_at,
        team: team.to_owned(),
        bags: req.bags,
        apart_bags: req.apart_bags,
        apart_homes: u32::try_from(homes.len()).unwrap_or(u32::MAX),
        note: note.to_owned(),
        at: state.now(),
        by: user.username.clone(),
    };
    let record = state
        .store
        .record_collection(&user.scope_path, &c)
        .await?
        .ok_or_else(|| invalid("building", format!("no building {code} in your areas")))?;
    tracing::info!(building = %code, bags = req.bags, apart = req.apart_bags, by = %user.username, "waste collected");
    let address = addresses(state, std::slice::from_ref(&record.path)).await?.pop().unwrap_or_default();
    Ok(collection_view(&record, address))
}

/// The whole board: tasks and waste.
pub async fn board(state: &AppState, user: &User) -> Result<SanitationBoard> {
    let disinfections = disinfections(state, user, false).await?;
    let (rule, counts) = rule_and_counts(state, &user.scope_path).await?;
    let waste = waste_of(state, &user.scope_path, &rule, counts.waste_overdue).await?;
    Ok(SanitationBoard {
        disinfections,
        disinfections_open: counts.disinfections_open,
        disinfections_overdue: counts.disinfections_overdue,
        waste,
    })
}

/// The sanitation of `scope` at `now`: the dashboard's figures.
pub async fn counts(
    state: &AppState,
    scope: &AreaPath,
    now: DateTime<Utc>,
) -> std::result::Result<SanitationCounts, SanitationError> {
    let hours = rule(state).await?.waste_hours;
    Ok(state.store.sanitation_counts(scope, now, now - Duration::hours(hours.into())).await?)
}
