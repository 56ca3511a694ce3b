//! 集中隔离与收治: the rooms of the quarantine hotels, cabin hospitals (方舱) and designated
//! hospitals, and the stays that fill them — the one record of where a person is isolated. A
//! site's occupancy is its open stays; a check-in is judged by the profile's rule of who goes
//! where and who shares a room (`cordon_domain::isolation`), in the store's transaction; a
//! check-out, a contact's release or a case's discharge frees the room, which goes to cleaning
//! (终末消毒) until someone marks it ready.
//!
//! Who sees what: the rooms and their counts with `view_workforce` (sites are units of 包联);
//! who is in them — a name and whether they are a case or a contact, which is health data — with
//! `view_cases` too, each person shown on the audit of reads. Moving people in and out takes
//! `manage_cases` and the person in one's areas (or the site, for its staff checking out).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cordon_domain::isolation::{Guest, IsolationRule, RoomState, SiteKind};
use cordon_domain::{AreaCode, Need, PersonId, Right};
use cordon_store::{NewStay, RoomRecord, SiteRecord, StayRecord, StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;

/// Seeing sites, their rooms and occupancy.
pub const VIEW: Need = Need::AnyOf(&[Right::ViewWorkforce]);
/// Adding rooms, marking them cleaned or out of service.
pub const MANAGE_ROOMS: Need = Need::AnyOf(&[Right::ManageWorkforce]);
/// Checking people in and out.
pub const MOVE_PEOPLE: Need = Need::AnyOf(&[Right::ManageCases]);

/// The most rooms one request adds (a large 方舱's beds).
const MOST_ROOMS: usize = 5_000;

/// Why an isolation request was refused.
#[derive(Debug, thiserror::Error)]
pub enum IsolationError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Not this user's to do.
    #[error("{0}")]
    Refused(String),
    /// Not now: the room or the stay as it stands refuses it (full, being cleaned, checked out).
    #[error("{0}")]
    Conflict(String),
    /// Refused by the gates' service, called on the way.
    #[error(transparent)]
    Gate(#[from] crate::gates::GateError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for IsolationError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => IsolationError::NotFound(format!("no {what}")),
            StoreError::Conflict(m) => IsolationError::Conflict(m),
            e => IsolationError::Store(e),
        }
    }
}

type Result<T> = std::result::Result<T, IsolationError>;

fn invalid(field: &'static str, message: impl Into<String>) -> IsolationError {
    IsolationError::Invalid { field, message: message.into() }
}

pub(super) fn refuse(user: &User, need: Need, what: &str) -> Result<()> {
    match need.met_by(user.rights) {
        true => Ok(()),
        false => Err(IsolationError::Refused(format!("{what} is not part of your role"))),
    }
}

/// Whether `user` sees who is in the rooms, not only how many.
pub fn may_see_occupants(user: &User) -> bool {
    user.may(Right::ViewCases)
}

pub fn may_move_people(user: &User) -> bool {
    MOVE_PEOPLE.met_by(user.rights)
}

pub fn may_manage_rooms(user: &User) -> bool {
    MANAGE_ROOMS.met_by(user.rights)
}

// ---- views ----

/// A site's occupancy at a glance: what headquarters compares across sites.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct SiteOccupancy {
    pub id: String,
    pub name: String,
    pub kind: SiteKind,
    pub area_name: String,
    pub rooms: i64,
    pub beds: i64,
    /// People staying now.
    pub occupied: i64,
    /// Beds free in rooms that are ready (neither taken nor held for a transfer on the way).
    pub free_beds: i64,
    /// Beds held for transfers on the way.
    pub held: i64,
    /// Rooms being cleaned, and out of service: not to be offered.
    pub cleaning: i64,
    pub out_of_service: i64,
    /// Stays planned to end by the end of tomorrow: the beds that free up next.
    pub leaving_by_tomorrow: i64,
}

/// Someone in a room.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct OccupantView {
    pub stay_id: i64,
    pub person_id: String,
    pub name: String,
    /// The household they came from: who shares a room is one household, unless in a ward.
    #[schema(value_type = String)]
    pub household: AreaCode,
    pub guest: Guest,
    pub checked_in_at: DateTime<Utc>,
    pub planned_out: Option<NaiveDate>,
}

/// A room as its site's page shows it.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct RoomView {
    pub label: String,
    pub beds: i64,
    pub state: RoomState,
    /// How many are in it.
    pub occupied: i64,
    /// Beds held for a transfer on the way.
    pub held: i64,
    /// Who: none without `view_cases` (then only the count shows).
    pub occupants: Vec<OccupantView>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl RoomView {
    /// free, partly, full, cleaning or out_of_service: the colour of its tile.
    pub fn status(&self) -> &'static str {
        match self.state {
            RoomState::Cleaning => "cleaning",
            RoomState::OutOfService => "out_of_service",
            RoomState::Ready if self.occupied + self.held == 0 => "free",
            RoomState::Ready if self.occupied + self.held < self.beds => "partly",
            RoomState::Ready => "full",
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct SiteRooms {
    pub site: SiteOccupancy,
    pub rooms: Vec<RoomView>,
}

/// 隔离/收治记录: a person's stay.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct StayView {
    pub id: i64,
    pub person_id: String,
    pub name: String,
    pub site_id: String,
    pub site_name: String,
    pub site_kind: SiteKind,
    pub room: String,
    pub guest: Guest,
    pub case_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub checked_in_at: DateTime<Utc>,
    pub planned_out: Option<NaiveDate>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub out_reason: Option<String>,
}

impl StayView {
    fn of(s: &StayRecord) -> Self {
        StayView {
            id: s.id,
            person_id: s.person_id.clone(),
            name: s.name.clone(),
            site_id: s.site_id.clone(),
            site_name: s.site_name.clone(),
            site_kind: s.site_kind,
            room: s.room_label.clone(),
            guest: s.guest,
            case_id: s.case_id,
            contact_id: s.contact_id,
            checked_in_at: s.checked_in_at,
            planned_out: s.planned_out,
            checked_out_at: s.checked_out_at,
            out_reason: s.out_reason.clone(),
        }
    }
}

// ---- requests ----

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RoomSpec {
    /// As on the door: 301, A-12 (a 方舱's bed).
    pub label: String,
    /// Default 1.
    #[serde(default)]
    pub beds: Option<i64>,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RoomsRequest {
    pub rooms: Vec<RoomSpec>,
}

#[derive(Deserialize, Serialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct RoomStateRequest {
    /// ready (cleaned), cleaning or out_of_service.
    pub state: RoomState,
}

/// A check-in: who, where, as what, and the case or contact the stay is for.
#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct StayRequest {
    pub person_id: String,
    pub site_id: String,
    pub room: String,
    pub guest: Guest,
    /// The person's case (a case's stay).
    #[serde(default)]
    pub case_id: Option<i64>,
    /// The person's contact record (a contact's quarantine): the stay ends with its plan, and
    /// the contact's release checks them out.
    #[serde(default)]
    pub contact_id: Option<i64>,
    /// When they arrived; default now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct CheckOutRequest {
    /// Why: released, discharged, transferred to …
    pub reason: String,
    /// When they left; default now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

// ---- use cases ----

pub(super) async fn rule(state: &AppState) -> Result<IsolationRule> {
    let key = crate::zones::profile_in_force(state).await?;
    Ok(crate::zones::profiles(state).await?.get(&key).map(|p| p.isolation.clone()).unwrap_or_default())
}

/// The site, if it lies in the user's areas.
async fn site_in_scope(state: &AppState, user: &User, id: &str) -> Result<SiteRecord> {
    let sites = state.store.sites(&user.scope_path).await?;
    sites
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| IsolationError::NotFound(format!("no site {id} in your areas")))
}

fn occupancy(site: &SiteRecord, rooms: &[RoomRecord], tomorrow: NaiveDate) -> SiteOccupancy {
    let ready = |r: &&RoomRecord| r.state == RoomState::Ready;
    let count = |state| rooms.iter().filter(|r| r.state == state).count() as i64;
    SiteOccupancy {
        id: site.id.clone(),
        name: site.name.clone(),
        kind: site.kind,
        area_name: site.area_name.clone(),
        rooms: rooms.len() as i64,
        beds: rooms.iter().map(|r| r.beds).sum(),
        occupied: rooms.iter().map(|r| r.occupants.len() as i64).sum(),
        free_beds: rooms
            .iter()
            .filter(ready)
            .map(|r| (r.beds - r.occupants.len() as i64 - r.held).max(0))
            .sum(),
        held: rooms.iter().map(|r| r.held).sum(),
        cleaning: count(RoomState::Cleaning),
        out_of_service: count(RoomState::OutOfService),
        leaving_by_tomorrow: rooms
            .iter()
            .flat_map(|r| &r.occupants)
            .filter(|o| o.planned_out.is_some_and(|d| d <= tomorrow))
            .count() as i64,
    }
}

fn tomorrow(state: &AppState) -> NaiveDate {
    state.now().with_timezone(&state.config.tz).date_naive() + Duration::days(1)
}

/// Every site of the user's areas with its occupancy, from the stays.
pub async fn sites(state: &AppState, user: &User) -> Result<Vec<SiteOccupancy>> {
    refuse(user, VIEW, "the isolation sites")?;
    let tomorrow = tomorrow(state);
    let mut out = Vec::new();
    for site in state.store.sites(&user.scope_path).await? {
        let rooms = state.store.rooms(&site.id).await?;
        out.push(occupancy(&site, &rooms, tomorrow));
    }
    Ok(out)
}

/// A site's rooms at a glance; who is in them for those who may see it, audited.
pub async fn rooms(state: &AppState, user: &User, site_id: &str, route: &str) -> Result<SiteRooms> {
    refuse(user, VIEW, "the isolation sites")?;
    let site = site_in_scope(state, user, site_id).await?;
    let rooms = state.store.rooms(&site.id).await?;
    let see = may_see_occupants(user);
    if see {
        let shown: Vec<PersonId> = rooms
            .iter()
            .flat_map(|r| &r.occupants)
            .filter_map(|o| PersonId::parse(&o.person_id).ok())
            .collect();
        if !shown.is_empty() {
            state.store.audit_reads(user, &shown, route, state.now()).await?;
        }
    }
    let views = rooms
        .iter()
        .map(|r| RoomView {
            label: r.label.clone(),
            beds: r.beds,
            state: r.state,
            occupied: r.occupants.len() as i64,
            held: r.held,
            occupants: match see {
                true => r
                    .occupants
                    .iter()
                    .map(|o| OccupantView {
                        stay_id: o.id,
                        person_id: o.person_id.clone(),
                        name: o.name.clone(),
                        household: o.household.clone(),
                        guest: o.guest,
                        checked_in_at: o.checked_in_at,
                        planned_out: o.planned_out,
                    })
                    .collect(),
                false => Vec::new(),
            },
            updated_at: r.updated_at,
            updated_by: r.updated_by.clone(),
        })
        .collect();
    Ok(SiteRooms { site: occupancy(&site, &rooms, tomorrow(state)), rooms: views })
}

/// Adds rooms (or beds) to a site of the user's areas: all of them, or none.
pub async fn add_rooms(state: &AppState, user: &User, site_id: &str, req: &RoomsRequest) -> Result<u64> {
    refuse(user, MANAGE_ROOMS, "adding rooms")?;
    let site = site_in_scope(state, user, site_id).await?;
    if req.rooms.is_empty() || req.rooms.len() > MOST_ROOMS {
        return Err(invalid("rooms", format!("1 to {MOST_ROOMS} rooms a request")));
    }
    let mut seen = HashMap::new();
    let mut rooms = Vec::with_capacity(req.rooms.len());
    for (i, r) in req.rooms.iter().enumerate() {
        let label = r.label.trim();
        if label.is_empty() || label.chars().count() > 32 {
            return Err(invalid("rooms", format!("rooms[{i}].label: 1 to 32 characters")));
        }
        // A label is a segment of the room's address (`/sites/{id}/rooms/{room}`).
        if label.contains(['/', '?', '#', '%', '\\']) || label.chars().any(char::is_whitespace) {
            return Err(invalid("rooms", format!("rooms[{i}].label: no space, '/', '?', '#', '%' or '\\'")));
        }
        if let Some(first) = seen.insert(label.to_owned(), i) {
            return Err(invalid("rooms", format!("rooms[{i}].label: {label} is rooms[{first}] already")));
        }
        let beds = r.beds.unwrap_or(1);
        if !(1..=500).contains(&beds) {
            return Err(invalid("rooms", format!("rooms[{i}].beds: 1 to 500")));
        }
        rooms.push((label.to_owned(), beds));
    }
    Ok(state.store.add_rooms(&site.id, &rooms, state.now(), &user.username).await?)
}

/// Marks a room cleaned (ready), being cleaned, or out of service; an occupied room stays ready.
pub async fn set_room(
    state: &AppState,
    user: &User,
    site_id: &str,
    label: &str,
    req: &RoomStateRequest,
) -> Result<RoomState> {
    refuse(user, MANAGE_ROOMS, "marking rooms")?;
    let site = site_in_scope(state, user, site_id).await?;
    let room = state.store.set_room_state(&site.id, label, req.state, state.now(), &user.username).await?;
    Ok(room.state)
}

/// Checks a person of the user's areas in to a room, if the profile's rule admits them; the
/// person is on the audit of reads whether it lands or not.
pub async fn check_in(state: &AppState, user: &User, req: &StayRequest, route: &str) -> Result<StayView> {
    refuse(user, MOVE_PEOPLE, "checking people in")?;
    let person_id = PersonId::parse(req.person_id.trim()).map_err(|e| invalid("person_id", e.to_string()))?;
    let person = state
        .store
        .person(&user.scope_path, &person_id)
        .await?
        .ok_or_else(|| IsolationError::NotFound(format!("no person {person_id} in your areas")))?;
    let now = state.now();
    state.store.audit_reads(user, std::slice::from_ref(&person_id), route, now).await?;
    let at = req.at.unwrap_or(now);
    if at > now + Duration::minutes(5) {
        return Err(invalid("at", "a check-in cannot be in the future"));
    }
    // The case or contact named must be this person's; a contact's plan sets the planned end.
    let mut planned_out = None;
    if let Some(id) = req.contact_id {
        let contact = state.store.contact(&user.scope_path, id).await?;
        let contact = contact
            .filter(|c| c.person_id == person.person_id.as_str())
            .ok_or_else(|| invalid("contact_id", format!("contact {id} is not {person_id}'s")))?;
        planned_out = contact.plan_ends;
    }
    if let Some(id) = req.case_id {
        let case = state.store.case(&user.scope_path, id).await?;
        case.filter(|c| c.person_id == person.person_id.as_str())
            .ok_or_else(|| invalid("case_id", format!("case {id} is not {person_id}'s")))?;
    }
    match (req.guest, req.case_id, req.contact_id) {
        (Guest::Case, None, _) => return Err(invalid("case_id", "a case's stay names the case")),
        (Guest::CloseContact | Guest::SecondaryContact, _, None) => {
            return Err(invalid("contact_id", "a contact's stay names the contact"));
        }
        _ => {}
    }
    let stay = NewStay {
        person_id: person_id.to_string(),
        site_id: req.site_id.trim().to_owned(),
        room_label: req.room.trim().to_owned(),
        guest: req.guest,
        case_id: req.case_id,
        contact_id: req.contact_id,
        planned_out,
        at,
        by: user.username.clone(),
    };
    let record = state.store.check_in_stay(&stay, &rule(state).await?).await?;
    tracing::info!(stay = record.id, site = %record.site_id, room = %record.room_label, by = %user.username, "checked in");
    Ok(StayView::of(&record))
}

/// Checks a stay out: its person in the user's areas, or its site (the site's own staff).
pub async fn check_out(
    state: &AppState,
    user: &User,
    id: i64,
    req: &CheckOutRequest,
    route: &str,
) -> Result<StayView> {
    refuse(user, MOVE_PEOPLE, "checking people out")?;
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(invalid("reason", "1 to 200 characters: released, discharged, transferred to …"));
    }
    let missing = || IsolationError::NotFound(format!("no stay {id} in your areas"));
    let stay = state.store.stay(id).await?.ok_or_else(missing)?;
    if !user.scope_path.contains(&stay.path) && !user.scope_path.contains(&stay.site_path) {
        return Err(missing());
    }
    let now = state.now();
    if let Ok(p) = PersonId::parse(&stay.person_id) {
        state.store.audit_reads(user, &[p], route, now).await?;
    }
    let at = req.at.unwrap_or(now);
    if at > now + Duration::minutes(5) {
        return Err(invalid("at", "a check-out cannot be in the future"));
    }
    let record = state.store.check_out_stay(id, at, reason, &user.username).await?;
    Ok(StayView::of(&record))
}

/// Where a person is isolated or treated now, if anywhere: their open stay. The caller has
/// shown the person and decides who may see it (it is health data).
pub async fn current_stay(state: &AppState, person_id: &str) -> Result<Option<StayView>> {
    let stays = state.store.stays_of(person_id).await?;
    Ok(stays.iter().find(|s| s.checked_out_at.is_none()).map(StayView::of))
}
