//! The courses of the month's cases: each admitted to the designated hospital's wards
//! (confirmed) or isolated in a bed of the cabin hospital (asymptomatic) when it was found —
//! checked in there, so the case's outcome is its stay — and discharged once the hospital's two
//! negative tests a day apart came in, the bed cleaned for the next. All through the services
//! the site's page and the case page call: each stay is one the rule admits, each recovery meets
//! the discharge rule of its profile, and the gate lets a recovered resident through by the rules
//! of where they live.

use std::collections::VecDeque;
use std::sync::Arc;

use anyhow::Result;
use chrono::{Duration, Utc};
use cordon_domain::isolation::{Guest, RoomState, SiteKind};
use cordon_domain::{AreaPath, CaseClass};
use cordon_server::cases::{self, OutcomeRequest};
use cordon_server::isolation::{
    self, CheckOutRequest, RoomSpec, RoomStateRequest, RoomsRequest, StayRequest,
};
use cordon_server::{AppState, workforce};
use cordon_store::{Store, User};

use super::isolation::CABIN;
use crate::common::{acting_user, api_error};

/// The designated hospital (定点医院) the confirmed cases are admitted to.
const HOSPITAL: &str = "QS-HOSPITAL-2";

/// A site's beds free for the next case, and how it opens more when none is: a new ward of the
/// hospital, a new hall of the 方舱, as the outbreak grows.
struct Beds {
    site: &'static str,
    free: VecDeque<String>,
    /// Wards or halls opened so far, named by letter.
    opened: u8,
    per_ward: u32,
}

impl Beds {
    async fn of(store: &Arc<dyn Store>, site: &'static str, opened: u8, per_ward: u32) -> Result<Self> {
        let free = store
            .rooms(site)
            .await?
            .into_iter()
            .filter(|r| r.occupants.is_empty() && r.held == 0 && r.state == RoomState::Ready)
            .map(|r| r.label)
            .collect();
        Ok(Beds { site, free, opened, per_ward })
    }

    async fn take(&mut self, state: &AppState, office: &User) -> Result<String> {
        if self.free.is_empty() {
            let ward = char::from(b'A' + self.opened);
            self.opened += 1;
            let rooms: Vec<RoomSpec> = (1..=self.per_ward)
                .map(|n| RoomSpec { label: format!("{ward}-{n:02}"), beds: Some(1) })
                .collect();
            isolation::add_rooms(state, office, self.site, &RoomsRequest { rooms: rooms.clone() })
                .await
                .map_err(api_error)?;
            self.free.extend(rooms.into_iter().map(|r| r.label));
        }
        Ok(self.free.pop_front().expect("a ward was just opened"))
    }
}

pub(crate) async fn seed_outcomes(store: &Arc<dyn Store>) -> Result<()> {
    let started = std::time::Instant::now();
    let tz = chrono_tz::Asia::Shanghai;
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let epi = acting_user(store, "epi").await?;
    let office = acting_user(store, "xincheng").await?;
    let api = |e: isolation::IsolationError| api_error(e);
    let Some(cabin) = store.sites(&office.scope_path).await?.into_iter().find(|s| s.id == CABIN) else {
        return Ok(());
    };
    let hospital = workforce::SiteRequest {
        id: Some(HOSPITAL.into()),
        name: "呼和浩特市第二医院（定点医院）".into(),
        area_code: cabin.area.to_string(),
        kind: Some(SiteKind::Hospital),
        rooms: 0,
    };
    workforce::create_site(&state, &office, hospital).await.map_err(api_error)?;
    // The 方舱 opened with halls A and B; the hospital opens its wards as cases come.
    let mut wards = Beds::of(store, HOSPITAL, 0, 20).await?;
    let mut halls = Beds::of(store, CABIN, 2, 40).await?;

    let now = Utc::now();
    let mut cases = store.cases(&AreaPath::root(), 100_000).await?;
    cases.sort_by_key(|c| (c.sampled_at, c.id));
    let (mut placed, mut recovered) = (0, 0);
    for case in cases {
        // Today's cases are still being handled: the story of the demo's own day.
        if case.outcome.is_some() || now - case.sampled_at < Duration::days(2) {
            continue;
        }
        let (beds, stay) = match case.class {
            CaseClass::Confirmed => (&mut wards, 10),
            CaseClass::Asymptomatic => (&mut halls, 7),
        };
        let mut at = case.isolated_at.unwrap_or(case.sampled_at + Duration::hours(4)).min(now);
        // Someone quarantined as a contact when the test came back leaves the hotel for the bed.
        if let Some(open) =
            store.stays_of(&case.person_id).await?.into_iter().find(|y| y.checked_out_at.is_none())
        {
            at = at.max(open.checked_in_at);
            let out = CheckOutRequest { reason: "确诊阳性，转出隔离酒店".into(), at: Some(at) };
            isolation::check_out(&state, &epi, open.id, &out, "demo").await.map_err(api)?;
        }
        let room = beds.take(&state, &office).await?;
        let check_in = StayRequest {
            person_id: case.person_id.clone(),
            site_id: beds.site.into(),
            room: room.clone(),
            guest: Guest::Case,
            case_id: Some(case.id),
            contact_id: None,
            at: Some(at),
        };
        // The check-in records the case admitted or isolated, naming the stay.
        isolation::check_in(&state, &epi, &check_in, "demo").await.map_err(api)?;
        placed += 1;
        let discharged = case.sampled_at + Duration::days(stay) + Duration::hours(10);
        if discharged > now {
            continue;
        }
        let req = OutcomeRequest {
            outcome: "recovered".into(),
            at: Some(discharged),
            negative_tests: vec![discharged - Duration::hours(30), discharged - Duration::hours(4)],
        };
        cases::record(&state, &epi, case.id, &req).await.map_err(api_error)?;
        // The discharge sent the bed to cleaning; cleaned, it takes the next case.
        let ready = RoomStateRequest { state: RoomState::Ready };
        isolation::set_room(&state, &office, beds.site, &room, &ready).await.map_err(api)?;
        beds.free.push_back(room);
        recovered += 1;
    }
    eprintln!(
        "seeded the courses of {placed} cases ({recovered} discharged; {} hospital wards, {} 方舱 halls) in {:.1} s",
        wards.opened,
        halls.opened,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
