//! 扫楼: the sweep list of a round — who in an area has not been sampled yet, door by door, each
//! marked as a home visit under the round's profile and with the visits that found nobody home —
//! and the round's figures of the doors.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Utc};
use cordon_domain::door::{DoorOutcome, HomeVisitRule};
use cordon_domain::{AreaCode, AreaLevel, AreaPath, PersonId};
use cordon_store::{DoorCounts, RoundRecord, User};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::TestingError;
use super::service::{CoverageRow, RoundView, base_of, coverage_rows, focus_of, forbid, may_follow};
use crate::AppState;
use crate::reads::AreaRef;
use crate::zones::profiles;

/// A round's doors in an area, each person counted once.
#[derive(Serialize, ToSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DoorFigures {
    /// Sampled at the door (their tube may not be in yet).
    pub sampled_at_door: i64,
    /// Not at home at the last visit: to visit again.
    pub not_home: i64,
    pub moved_out: i64,
    pub refused: i64,
    /// Found unregistered and registered at the door.
    pub found: i64,
    /// 上门采样: still to sample, planned as home visits under the round's profile.
    pub home_visits: i64,
}

impl From<DoorCounts> for DoorFigures {
    fn from(c: DoorCounts) -> Self {
        DoorFigures {
            sampled_at_door: c.sampled,
            not_home: c.not_home,
            moved_out: c.moved_out,
            refused: c.refused,
            found: c.found,
            home_visits: c.home_visits,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SweepView {
    pub round: RoundView,
    #[schema(value_type = String)]
    pub area_code: AreaCode,
    pub area_name: String,
    pub area_level: AreaLevel,
    /// The way down to the area from where the reader's view of the round starts (their areas or
    /// the round's), the area itself left out: to go back up.
    pub trail: Vec<AreaRef>,
    /// Everyone to knock for in the area, of whom `people` are one page.
    pub total: i64,
    pub people: Vec<SweepPerson>,
    /// The last person of this page, to pass as `after` for the next; none on the last page.
    pub next_after: Option<String>,
}

impl SweepView {
    /// The households of the people listed, door by door, each once, with its address: where
    /// someone unregistered may be found.
    pub fn households(&self) -> Vec<(String, String)> {
        let mut seen = BTreeSet::new();
        self.people
            .iter()
            .filter(|p| seen.insert(p.household.as_str().to_owned()))
            .map(|p| (p.household.to_string(), p.address.join(" › ")))
            .collect()
    }
}

#[derive(Serialize, ToSchema)]
pub struct SweepPerson {
    pub person_id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub household: AreaCode,
    /// Street › community › compound › building › household.
    pub address: Vec<String>,
    pub phone: Option<String>,
    pub tags: Vec<String>,
    /// 上门采样: sampled at home under the round's profile, not asked to come down.
    pub home_visit: bool,
    /// Visits that found nobody at home, and the last of them.
    pub not_home: u32,
    pub last_visit: Option<DateTime<Utc>>,
}

/// The round's home-visit rule: its profile's, or the default if the profile is gone.
pub async fn home_visit_rule(state: &AppState, round: &RoundRecord) -> Result<HomeVisitRule, TestingError> {
    let profiles = profiles(state).await?;
    Ok(profiles.get(&round.profile_key).map(|p| p.home_visits.clone()).unwrap_or_default())
}

/// The round's doors in `area`.
pub async fn door_figures(
    state: &AppState,
    round: &RoundRecord,
    area: &AreaPath,
) -> Result<DoorFigures, TestingError> {
    let rule = home_visit_rule(state, round).await?;
    let year = state.now().with_timezone(&state.config.tz).year();
    Ok(state.store.door_counts(round.id, area, &rule, year).await?.into())
}

/// A page of the sweep: `limit` people, the first or those after the person `after`.
#[derive(Clone, Copy, Debug)]
pub struct SweepPage<'a> {
    pub after: Option<&'a str>,
    pub limit: u32,
}

/// 扫楼: who in `area` (inside the round and the reader's areas) has not been sampled in the
/// round, door by door (the store leaves out who is away), a page at a time. Every person listed
/// is audited.
pub async fn sweep(
    state: &AppState,
    user: &User,
    round_id: i64,
    area: Option<&str>,
    page: SweepPage<'_>,
) -> Result<SweepView, TestingError> {
    if !may_follow(user) {
        return Err(forbid("the sweep list"));
    }
    let round = state.store.round(&user.scope_path, round_id).await?.ok_or(TestingError::NotFound)?;
    let focus = focus_of(state, user, &round, area).await?.area;
    let (code, name, path) = (focus.code, focus.name, focus.path);
    let after = match page.after.map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => Some(PersonId::parse(a).map_err(|e| TestingError::invalid("after", e.reason()))?),
        None => None,
    };
    let (people, total) =
        state.store.sweep(round_id, &path, after.as_ref().map(PersonId::as_str), page.limit).await?;
    let next_after = (people.len() as u32 == page.limit && page.limit > 0)
        .then(|| people.last().map(|p| p.person_id.as_str().to_owned()))
        .flatten();
    let trail = trail(state, base_of(user, &round), &path).await?;

    let rule = home_visit_rule(state, &round).await?;
    let year = state.now().with_timezone(&state.config.tz).year();
    let home: HashMap<&str, bool> =
        people.iter().map(|p| (p.person_id.as_str(), rule.applies(&p.tags, p.birth_year, year))).collect();
    let ids: Vec<String> = people.iter().map(|p| p.person_id.as_str().to_owned()).collect();
    let mut visits: HashMap<String, (u32, Option<DateTime<Utc>>)> = HashMap::new();
    for v in
        state.store.doors_of(round_id, &ids).await?.into_iter().filter(|v| v.outcome == DoorOutcome::NotHome)
    {
        let e = visits.entry(v.person_id).or_default();
        e.0 += 1;
        e.1 = Some(v.at);
    }
    let summaries = crate::reads::summaries(state, user, &people, "GET /api/v1/rounds/{id}/sweep").await?;
    Ok(SweepView {
        round: RoundView::of(&round),
        area_code: code,
        area_name: name,
        area_level: focus.level,
        trail,
        total,
        next_after,
        people: summaries
            .into_iter()
            .map(|s| SweepPerson {
                person_id: s.person_id.as_str().to_owned(),
                name: s.name,
                household: s.household,
                address: s.address,
                home_visit: home.get(s.person_id.as_str()).copied().unwrap_or_default(),
                not_home: visits.get(s.person_id.as_str()).map_or(0, |v| v.0),
                last_visit: visits.get(s.person_id.as_str()).and_then(|v| v.1),
                phone: s.phone,
                tags: s.tags.into_iter().map(|t| t.label_zh).collect(),
            })
            .collect(),
    })
}

/// The areas from `base` down to `path`'s parent, largest first.
async fn trail(state: &AppState, base: &AreaPath, path: &AreaPath) -> Result<Vec<AreaRef>, TestingError> {
    let areas = state.store.areas_on(std::slice::from_ref(path)).await?;
    let mut way: Vec<AreaRef> = cordon_store::lineage(&areas, path)
        .into_iter()
        .filter(|a| base.contains(&a.path))
        .map(AreaRef::of)
        .collect();
    way.pop();
    Ok(way)
}

/// Where the sweep of `area` narrows to: each child area above the households where people live,
/// with the round's coverage of it, most still to sample first. Empty at a building, whose doors are the list.
pub async fn sweep_places(
    state: &AppState,
    user: &User,
    round_id: i64,
    area: Option<&str>,
) -> Result<Vec<CoverageRow>, TestingError> {
    if !may_follow(user) {
        return Err(forbid("the sweep list"));
    }
    let round = state.store.round(&user.scope_path, round_id).await?.ok_or(TestingError::NotFound)?;
    let focus = focus_of(state, user, &round, area).await?.area;
    if focus.level >= AreaLevel::Building {
        return Ok(Vec::new());
    }
    let mut rows = coverage_rows(state, round_id, &focus.path, &focus.code).await?;
    // An area nobody lives in has no door to knock.
    rows.retain(|r| r.residents > 0);
    rows.sort_by(|a, b| b.missing.cmp(&a.missing).then_with(|| a.name.cmp(&b.name)));
    Ok(rows)
}
