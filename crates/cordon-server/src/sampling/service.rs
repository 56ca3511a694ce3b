//! 采样分工: the buildings of a round each sampler answers for, given on the round's team page by
//! whoever plans the round; and the sampler's post — the people of those buildings still to
//! sample, with the pooling each may share a tube under — that their phone keeps to sample
//! without the network.

use chrono::{DateTime, Duration, Utc};
use cordon_domain::testing::{DILUTION_LIMIT, stricter};
use cordon_domain::{AreaCode, AreaLevel, Need, Right};
use cordon_store::{NewRoundAssignment, RoundAssignment, RoundRecord, StoreError, User};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::testing::{self, TestingError};
use crate::zones::{profile_in_force, profiles};

/// Giving buildings of a round to samplers: who plans the round.
pub const ASSIGN: Need = Need::AnyOf(&[Right::PlanTesting]);
/// A sampler's own post and the tubes their phone sends.
pub const SAMPLE: Need = Need::AnyOf(&[Right::SendSamples]);

/// Most people a post holds: a team's buildings for a round many times over; past it the
/// planner gives the buildings to more samplers.
pub const MOST_IN_POST: u32 = 20_000;

/// Why the sampling service refused.
#[derive(Debug, thiserror::Error)]
pub enum SamplingError {
    #[error("no round {0} in your areas")]
    NoRound(i64),
    /// A sampler or an area not found where it must be.
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Not this user's to do.
    #[error("{0}")]
    Refused(String),
    /// Not now: the round is closed.
    #[error("{0}")]
    Conflict(String),
    /// Refused by mass testing's service, called on the way.
    #[error(transparent)]
    Testing(#[from] TestingError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SamplingError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => SamplingError::NotFound(m),
            e => SamplingError::Store(e),
        }
    }
}

pub(super) fn invalid(field: &str, message: impl Into<String>) -> SamplingError {
    SamplingError::Invalid { field: field.to_owned(), message: message.into() }
}

/// A building (or any area) of a round and a sampler who answers for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GivenBuilding {
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub area_level: AreaLevel,
    pub username: String,
    pub display_name: String,
    pub assigned_at: DateTime<Utc>,
    pub assigned_by: String,
}

impl GivenBuilding {
    fn of(a: RoundAssignment) -> Self {
        GivenBuilding {
            area_code: a.area_code,
            area_name: a.area_name,
            area_level: a.area_level,
            username: a.username,
            display_name: a.display_name,
            assigned_at: a.assigned_at,
            assigned_by: a.assigned_by,
        }
    }
}

/// A sampler who may be given buildings: their areas hold the round's (part).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SamplerChoice {
    pub username: String,
    pub display_name: String,
    pub scope_name: String,
}

/// The round's team: who answers for which buildings, and who else could.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamView {
    pub round_id: i64,
    pub round_name: String,
    pub closed: bool,
    pub assignments: Vec<GivenBuilding>,
    pub samplers: Vec<SamplerChoice>,
}

async fn open_round(state: &AppState, user: &User, round_id: i64) -> Result<RoundRecord, SamplingError> {
    state.store.round(&user.scope_path, round_id).await?.ok_or(SamplingError::NoRound(round_id))
}

/// The round's assignments inside the reader's areas, and the samplers to choose from.
pub async fn team(state: &AppState, user: &User, round_id: i64) -> Result<TeamView, SamplingError> {
    if !user.meets(testing::FOLLOW) {
        return Err(SamplingError::Refused("the round's team needs a testing right".into()));
    }
    let round = open_round(state, user, round_id).await?;
    let area = testing::round_area(state, user, &round).await?;
    let assignments = state.store.round_team(round_id, &area).await?;
    // Who sends samples and whose areas hold the round's part here, or lie inside it.
    let samplers = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.scope_path.contains(&area) || area.contains(&u.scope_path))
        .filter(|u| u.disabled_at.is_none() && u.may(Right::SendSamples))
        .map(|u| SamplerChoice {
            username: u.username,
            display_name: u.display_name,
            scope_name: u.scope_name,
        })
        .collect();
    Ok(TeamView {
        round_id,
        round_name: round.name.clone(),
        closed: round.closed_at.is_some(),
        assignments: assignments.into_iter().map(GivenBuilding::of).collect(),
        samplers,
    })
}

/// Gives `area` of the round to the sampler `username`: the area inside the round and the
/// assigner's areas, the sampler one who sends samples and whose areas hold it. Giving it again
/// changes nothing.
pub async fn give_building(
    state: &AppState,
    user: &User,
    round_id: i64,
    area: &str,
    username: &str,
) -> Result<GivenBuilding, SamplingError> {
    if !user.may(Right::PlanTesting) {
        return Err(SamplingError::Refused("giving buildings to samplers needs plan_testing".into()));
    }
    let round = open_round(state, user, round_id).await?;
    if round.closed_at.is_some() {
        return Err(SamplingError::Conflict(format!("round {} is closed", round.name)));
    }
    let code = AreaCode::parse(area.trim()).map_err(|e| invalid("area", e.reason()))?;
    let inside = testing::round_area(state, user, &round).await?;
    let sampler = state
        .store
        .user_by_name(username.trim())
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or_else(|| invalid("username", format!("no user {}", username.trim())))?;
    if !sampler.may(Right::SendSamples) {
        return Err(invalid("username", format!("{} does not send samples", sampler.username)));
    }
    // A sampler whose areas do not hold the building could not read its people: refused
    // before anything is written.
    let node = state
        .store
        .area(&inside, &code)
        .await?
        .ok_or_else(|| SamplingError::NotFound(format!("area {code} inside the round's area")))?;
    if !sampler.scope_path.contains(&node.area.path) {
        return Err(invalid(
            "username",
            format!("{}'s areas ({}) do not hold {}", sampler.username, sampler.scope_name, node.area.name),
        ));
    }
    let a = state
        .store
        .give_building(&NewRoundAssignment {
            round_id,
            area: &code,
            inside: &inside,
            user_id: sampler.id,
            by: &user.username,
            at: state.now(),
        })
        .await?;
    Ok(GivenBuilding::of(a))
}

/// Takes `area` of the round from the sampler; `NotFound` if it was not theirs.
pub async fn take_building(
    state: &AppState,
    user: &User,
    round_id: i64,
    area: &str,
    username: &str,
) -> Result<(), SamplingError> {
    if !user.may(Right::PlanTesting) {
        return Err(SamplingError::Refused("giving buildings to samplers needs plan_testing".into()));
    }
    let round = open_round(state, user, round_id).await?;
    let inside = testing::round_area(state, user, &round).await?;
    let code = AreaCode::parse(area.trim()).map_err(|e| invalid("area", e.reason()))?;
    let sampler = state.store.user_by_name(username.trim()).await?;
    let mine = state.store.round_team(round_id, &inside).await?;
    let found = sampler.filter(|s| mine.iter().any(|a| a.area_code == code && a.username == s.username));
    match found {
        Some(s) if state.store.take_building(round_id, &code, s.id).await? => Ok(()),
        _ => Err(SamplingError::NotFound(format!("{} is not given {} in this round", username.trim(), code))),
    }
}

/// What a sampler's phone keeps for a round: the people of their buildings still to sample.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SamplerPost {
    pub round_id: i64,
    pub round_name: String,
    pub issued_at: DateTime<Utc>,
    /// After this, without a newer post, the phone stops taking samples (the profile's offline
    /// hours).
    pub expires_at: DateTime<Utc>,
    /// Most people in any tube whatever the pooling (a household's own tube included).
    pub dilution_limit: u32,
    pub buildings: Vec<SamplerBuilding>,
    /// The round's tubes already holding people of these buildings: their barcodes are used.
    pub tubes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SamplerBuilding {
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    /// Community › compound › building.
    pub name: String,
    pub people: Vec<SamplerPerson>,
}

/// Someone still to sample, and the pooling of their home.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SamplerPerson {
    pub person_id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub household: AreaCode,
    /// The household's door (its name under the building).
    pub door: String,
    /// Most people this person may share a tube with, counting themself.
    pub pool_max: u32,
    /// Their household may share a tube of its own whatever `pool_max` says.
    pub household_tube: bool,
}

pub(super) const POST_ROUTE: &str = "GET /api/v1/rounds/{id}/samples/post";

/// The round and the user's buildings in it, if they sample and it is open.
pub(super) async fn my_round(
    state: &AppState,
    user: &User,
    round_id: i64,
) -> Result<(RoundRecord, Vec<RoundAssignment>), SamplingError> {
    if !user.may(Right::SendSamples) {
        return Err(SamplingError::Refused("sampling needs send_samples".into()));
    }
    let round = open_round(state, user, round_id).await?;
    if round.closed_at.is_some() {
        return Err(SamplingError::Conflict(format!("round {} is closed", round.name)));
    }
    let mine = state.store.round_team_of(round_id, user.id).await?;
    Ok((round, mine.into_iter().filter(|a| user.scope_path.contains(&a.path)).collect()))
}

/// The sampler's post: every person still to sample in their buildings of the round, each read
/// audited. A sampler given no building gets an empty post, not an error: the page says so.
pub async fn post(state: &AppState, user: &User, round_id: i64) -> Result<SamplerPost, SamplingError> {
    let (round, mine) = my_round(state, user, round_id).await?;
    let profiles = profiles(state).await?;
    let in_force = profile_in_force(state).await?;
    let outside = profiles.get(&in_force).map_or(DILUTION_LIMIT, |p| p.pool_limit);
    let hours = profiles.get(&round.profile_key).map_or(12, |p| p.offline.hours);
    let zones = testing::zone_poolings(state, &profiles, outside).await?;
    let base = cordon_domain::testing::Pooling { max: outside, household: false };
    let mut buildings = Vec::with_capacity(mine.len());
    let mut tubes = std::collections::BTreeSet::new();
    let mut held = 0u32;
    for a in &mine {
        let (people, total) = state.store.sweep(round_id, &a.path, None, MOST_IN_POST - held).await?;
        if total > i64::from(MOST_IN_POST - held) {
            return Err(SamplingError::Conflict(format!(
                "your buildings hold more than {MOST_IN_POST} people to sample: ask for fewer"
            )));
        }
        held += people.len() as u32;
        let summaries = crate::reads::summaries(state, user, &people, POST_ROUTE).await?;
        let trail = state.store.areas_on(std::slice::from_ref(&a.path)).await?;
        let name: Vec<String> = cordon_store::lineage(&trail, &a.path)
            .into_iter()
            .filter(|x| x.level >= AreaLevel::Community)
            .map(|x| x.name.clone())
            .collect();
        let people = summaries
            .into_iter()
            .zip(&people)
            .map(|(s, p)| {
                let rule = zones
                    .iter()
                    .filter(|z| z.path.contains(&p.path))
                    .fold(base, |r, z| stricter(r, z.pooling));
                SamplerPerson {
                    person_id: s.person_id.as_str().to_owned(),
                    name: s.name,
                    household: s.household,
                    door: s.address.last().cloned().unwrap_or_default(),
                    pool_max: rule.max.max(1),
                    household_tube: rule.household,
                }
            })
            .collect();
        buildings.push(SamplerBuilding { area_code: a.area_code.clone(), name: name.join(" › "), people });
        tubes.extend(state.store.tubes_under(round_id, &a.path).await?);
    }
    let now = state.now();
    Ok(SamplerPost {
        round_id,
        round_name: round.name,
        issued_at: now,
        expires_at: now + Duration::hours(i64::from(hours)),
        dilution_limit: DILUTION_LIMIT,
        buildings,
        tubes: tubes.into_iter().collect(),
    })
}

/// The round a sampler's phone samples in, if they sample and it is open: its name.
pub async fn field_round(state: &AppState, user: &User, round_id: i64) -> Result<String, SamplingError> {
    Ok(my_round(state, user, round_id).await?.0.name)
}

/// An action a phone took offline that was refused on arrival (离线未入库).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefusalView {
    /// The id the phone made for it.
    pub id: String,
    /// tube or door.
    pub kind: String,
    pub username: String,
    /// The tube's barcode, or the person.
    pub subject: String,
    /// tube_used, not_on_list, round_closed, malformed, refused (tubes); refused (doors).
    pub reason: String,
    pub error: String,
    /// When it was taken, by the phone's clock corrected by the server's.
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// Most refusals a page or a call shows: the newest.
pub const MOST_REFUSALS: u32 = 200;

/// What the round's phones took offline and the server refused, taken inside the reader's
/// areas, newest first: for whoever plans the round, so nothing taken in the field is dropped
/// unseen.
pub async fn refusals(
    state: &AppState,
    user: &User,
    round_id: i64,
) -> Result<Vec<RefusalView>, SamplingError> {
    if !user.may(Right::PlanTesting) {
        return Err(SamplingError::Refused("the round's refused field records need plan_testing".into()));
    }
    let round = open_round(state, user, round_id).await?;
    let area = testing::round_area(state, user, &round).await?;
    Ok(state
        .store
        .field_refusals(round_id, &area, MOST_REFUSALS)
        .await?
        .into_iter()
        .map(|r| RefusalView {
            id: r.device_action,
            kind: r.kind,
            username: r.username,
            subject: r.subject,
            reason: r.reason,
            error: r.error,
            at: r.at,
            received_at: r.received_at,
        })
        .collect())
}
