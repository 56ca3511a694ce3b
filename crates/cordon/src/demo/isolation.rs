//! The demo's isolation: the district's two quarantine hotels (made with the workforce) get
//! family rooms and two rooms kept for staff, a cabin hospital (方舱) opens with two halls of
//! beds, the story's index case is transferred to the 方舱 and its close contacts are checked in
//! to the hotel (one family still waiting for its transfer, overdue) — each household in one room, as the profile allows — through the same service
//! the site's page calls, so every stay is one the rule admits.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Result;
use chrono::{Duration, Utc};
use cordon_domain::isolation::{Guest, RoomState};
use cordon_domain::{AreaPath, ContactKind};
use cordon_server::isolation::{
    self, RoomSpec, RoomStateRequest, RoomsRequest, StayRequest, StepKind, TransferPassenger,
    TransferRequest, TransferStepRequest,
};
use cordon_server::workforce::{self, SiteRequest};
use cordon_store::{ContactQuery, Store};

use crate::common::{acting_user, api_error};

/// The hotel the story's contacts go to (made by the workforce's seeding).
const HOTEL: &str = "QS-JINJIANG";
pub(super) const CABIN: &str = "QS-FANGCANG";

pub(crate) async fn seed_isolation(store: &Arc<dyn Store>) -> Result<()> {
    let started = std::time::Instant::now();
    let tz = chrono_tz::Asia::Shanghai;
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let office = acting_user(store, "xincheng").await?;
    let epi = acting_user(store, "epi").await?;
    let Some(hotel) = store.sites(&office.scope_path).await?.into_iter().find(|s| s.id == HOTEL) else {
        return Ok(());
    };
    // Family rooms on the top floor, and two rooms the staff keep.
    let family: Vec<RoomSpec> =
        (801..=830).map(|n| RoomSpec { label: n.to_string(), beds: Some(4) }).collect();
    let api = |e: isolation::IsolationError| api_error(e);
    isolation::add_rooms(&state, &office, HOTEL, &RoomsRequest { rooms: family }).await.map_err(api)?;
    for room in ["1", "2"] {
        let out = RoomStateRequest { state: RoomState::OutOfService };
        isolation::set_room(&state, &office, HOTEL, room, &out).await.map_err(api)?;
    }
    let cabin = SiteRequest {
        id: Some(CABIN.into()),
        name: "呼和浩特会展中心方舱医院".into(),
        area_code: hotel.area.to_string(),
        kind: Some(cordon_domain::isolation::SiteKind::CabinHospital),
        rooms: 0,
    };
    workforce::create_site(&state, &office, cabin).await.map_err(api_error)?;
    let beds = |hall: &str| -> Vec<RoomSpec> {
        (1..=40).map(|n| RoomSpec { label: format!("{hall}-{n:02}"), beds: Some(1) }).collect()
    };
    for hall in ["A", "B"] {
        isolation::add_rooms(&state, &office, CABIN, &RoomsRequest { rooms: beds(hall) })
            .await
            .map_err(api)?;
    }

    // The story: today's first case, and its close contacts still followed.
    let now = Utc::now();
    let root = AreaPath::root();
    let mut cases = store.cases(&root, 100_000).await?;
    cases.sort_by_key(|c| c.id);
    let Some(index) = cases.into_iter().find(|c| now - c.sampled_at < Duration::days(2)) else {
        return Ok(());
    };
    // The index case went by a transfer order: ordered, a vehicle with its gate pass, picked up,
    // arrived and checked in to the 方舱's first bed — each step on its own moment.
    let admitted = index.isolated_at.unwrap_or(index.sampled_at + Duration::hours(4)).min(now);
    let ordered = (admitted - Duration::hours(3)).max(index.sampled_at);
    let clock = cordon_server::Clock::set_at(ordered);
    let timed = state.clone().with_clock(clock.clone());
    let order = TransferRequest {
        site_id: CABIN.into(),
        people: vec![TransferPassenger {
            person_id: index.person_id.clone(),
            guest: Guest::Case,
            room: "A-01".into(),
            case_id: Some(index.id),
            contact_id: None,
        }],
        reason: "新增阳性病例转运至方舱".into(),
    };
    let t = isolation::order(&timed, &epi, &order, "demo").await.map_err(api)?;
    let span = admitted - ordered;
    for (kind, at) in [
        (StepKind::Assigned, ordered + span / 6),
        (StepKind::PickedUp, ordered + span * 2 / 3),
        (StepKind::Arrived, admitted),
    ] {
        clock.set(at);
        let step = TransferStepRequest {
            kind,
            vehicle: (kind == StepKind::Assigned).then(|| "蒙A·D7120 负压救护车".to_owned()),
            reason: None,
            note: None,
            at: Some(at),
        };
        isolation::step(&timed, &epi, t.id, &step, "demo").await.map_err(api)?;
    }
    let q = ContactQuery {
        case_id: Some(index.id),
        active_only: true,
        kind: Some(ContactKind::Close),
        limit: 10_000,
        ..Default::default()
    };
    let mut households: BTreeMap<String, Vec<cordon_store::ContactRecord>> = BTreeMap::new();
    for c in store.contacts(&root, &q).await? {
        if let Some(path) = &c.path {
            households.entry(path.as_str().to_owned()).or_default().push(c);
        }
    }
    // A household of one to a room of its own; a family to a family room, four to a room.
    let mut singles = (3..=120).map(|n| n.to_string());
    let mut families = (801..=830).map(|n| n.to_string());
    let (mut placed, mut rooms) = (0, 0);
    'households: for members in households.values() {
        for group in members.chunks(4) {
            let room = match group.len() {
                1 => singles.next(),
                _ => families.next(),
            };
            let Some(room) = room else { break 'households };
            rooms += 1;
            for c in group {
                let stay = StayRequest {
                    person_id: c.person_id.clone(),
                    site_id: HOTEL.into(),
                    room: room.clone(),
                    guest: Guest::CloseContact,
                    case_id: None,
                    contact_id: Some(c.id),
                    at: Some((c.identified_at + Duration::hours(6)).min(now)),
                };
                isolation::check_in(&state, &epi, &stay, "demo").await.map_err(api)?;
                placed += 1;
            }
        }
    }
    eprintln!(
        "seeded isolation: the index case transferred to the 方舱, {placed} close contacts in {rooms} hotel rooms, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A family of an earlier case's close contacts waits for its transfer to the hotel: ordered
/// hours ago, no vehicle yet, past its deadline — the board shows it overdue, and the server's
/// sweep climbs it to headquarters. Seeded after the month's history, whose cases they are.
pub(crate) async fn seed_waiting_transfer(store: &Arc<dyn Store>) -> Result<()> {
    let tz = chrono_tz::Asia::Shanghai;
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let epi = acting_user(store, "epi").await?;
    let api = |e: isolation::IsolationError| api_error(e);
    let now = Utc::now();
    let root = AreaPath::root();
    let mut families = {
        let rooms = store.rooms(HOTEL).await?;
        rooms
            .into_iter()
            .filter(|r| r.beds >= 4 && r.occupants.is_empty() && r.held == 0 && r.state == RoomState::Ready)
            .map(|r| r.label)
            .collect::<Vec<_>>()
            .into_iter()
    };
    let mut earlier = store.cases(&root, 100_000).await?;
    earlier.sort_by_key(|c| std::cmp::Reverse(c.sampled_at));
    let mut waiting = 0;
    'cases: for case in earlier.iter().filter(|c| c.sampled_at < now - Duration::hours(6)) {
        let q = ContactQuery {
            case_id: Some(case.id),
            active_only: true,
            kind: Some(ContactKind::Close),
            limit: 10_000,
            ..Default::default()
        };
        let mut homes: BTreeMap<String, Vec<cordon_store::ContactRecord>> = BTreeMap::new();
        for c in store.contacts(&root, &q).await? {
            if let Some(path) = &c.path {
                homes.entry(path.as_str().to_owned()).or_default().push(c);
            }
        }
        for members in homes.values().filter(|m| m.len() > 1) {
            let found = members.iter().map(|c| c.identified_at).max().unwrap_or(now);
            let ordered = (found + Duration::hours(1)).max(now - Duration::hours(14));
            if ordered > now - Duration::hours(5) {
                continue;
            }
            let Some(room) = families.next() else { break 'cases };
            let people: Vec<TransferPassenger> = members
                .iter()
                .take(4)
                .map(|c| TransferPassenger {
                    person_id: c.person_id.clone(),
                    guest: Guest::CloseContact,
                    room: room.clone(),
                    case_id: None,
                    contact_id: Some(c.id),
                })
                .collect();
            waiting = people.len();
            let late = state.clone().with_clock(cordon_server::Clock::set_at(ordered));
            let order =
                TransferRequest { site_id: HOTEL.into(), people, reason: "密接家庭集中隔离".into() };
            isolation::order(&late, &epi, &order, "demo").await.map_err(api)?;
            break 'cases;
        }
    }
    eprintln!("seeded a transfer overdue: a family of {waiting} waiting for its vehicle");
    Ok(())
}
