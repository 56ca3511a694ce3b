//! 转运方案: for a list of people to move, a proposed site and room each, by the profile's rule
//! (`cordon_domain::isolation::plan_transfers`: households kept together, the smallest room
//! that fits, a site of the mover's own district first). Nothing is written: the officer accepts
//! the proposal, or edits it, by checking people in.

use std::collections::HashMap;

use cordon_domain::isolation::{Guest, Mover, Occupant, RoomAt, SiteRooms, plan_transfers};
use cordon_domain::{AreaPath, PersonId};
use cordon_store::User;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{IsolationError, MOVE_PEOPLE, refuse, rule};
use crate::AppState;

/// The most people one proposal places.
const MOST_PEOPLE: usize = 10_000;

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    pub people: Vec<PlanPerson>,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct PlanPerson {
    pub person_id: String,
    pub guest: Guest,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct PlannedStay {
    pub person_id: String,
    pub site_id: String,
    pub site_name: String,
    pub room: String,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct NotPlaced {
    pub person_id: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct TransferProposal {
    pub placed: Vec<PlannedStay>,
    pub unplaced: Vec<NotPlaced>,
}

/// The district a path lies in (its second level under the city), as the planner's key.
fn district(path: &AreaPath) -> String {
    path.lineage().get(1).map(|p| p.as_str().to_owned()).unwrap_or_default()
}

/// Proposes a room for each person, among the sites of the user's areas as they stand; every
/// person named in the user's areas is on the audit of reads.
pub async fn plan(
    state: &AppState,
    user: &User,
    req: &PlanRequest,
    route: &str,
) -> Result<TransferProposal, IsolationError> {
    refuse(user, MOVE_PEOPLE, "planning transfers")?;
    if req.people.is_empty() || req.people.len() > MOST_PEOPLE {
        return Err(IsolationError::Invalid {
            field: "people",
            message: format!("1 to {MOST_PEOPLE} people a proposal"),
        });
    }
    let mut ids = Vec::with_capacity(req.people.len());
    for (i, p) in req.people.iter().enumerate() {
        let id = PersonId::parse(p.person_id.trim()).map_err(|e| IsolationError::Invalid {
            field: "people",
            message: format!("people[{i}].person_id: {e}"),
        })?;
        ids.push(id.to_string());
    }
    let found = state.store.movers(&user.scope_path, &ids).await?;
    let shown: Vec<PersonId> = found.iter().filter_map(|m| PersonId::parse(&m.person_id).ok()).collect();
    if !shown.is_empty() {
        state.store.audit_reads(user, &shown, route, state.now()).await?;
    }
    let found: HashMap<&str, &cordon_store::MoverRecord> =
        found.iter().map(|m| (m.person_id.as_str(), m)).collect();
    let mut unplaced = Vec::new();
    let mut movers = Vec::with_capacity(ids.len());
    for (id, p) in ids.iter().zip(&req.people) {
        match found.get(id.as_str()) {
            None => unplaced
                .push(NotPlaced { person_id: id.clone(), reason: format!("no person {id} in your areas") }),
            Some(m) if m.staying_at.is_some() => unplaced.push(NotPlaced {
                person_id: id.clone(),
                reason: format!("staying at {} already", m.staying_at.as_deref().unwrap_or_default()),
            }),
            Some(m) => movers.push(Mover {
                person_id: id.clone(),
                guest: p.guest,
                household: m.household.clone(),
                district: district(&m.path),
            }),
        }
    }
    let sites = state.store.sites(&user.scope_path).await?;
    let names: HashMap<&str, &str> = sites.iter().map(|s| (s.id.as_str(), s.name.as_str())).collect();
    let mut rooms: HashMap<&str, SiteRooms> = sites
        .iter()
        .map(|s| {
            let site = SiteRooms {
                site_id: s.id.clone(),
                kind: s.kind,
                district: district(&s.path),
                rooms: Vec::new(),
            };
            (s.id.as_str(), site)
        })
        .collect();
    for slot in state.store.room_slots(&user.scope_path).await? {
        if let Some(site) = rooms.get_mut(slot.site_id.as_str()) {
            let occupants =
                slot.occupants.into_iter().map(|(guest, household)| Occupant { guest, household }).collect();
            let room =
                RoomAt { site: site.kind, state: slot.state, beds: slot.beds.max(0) as u32, occupants };
            site.rooms.push((slot.label, room));
        }
    }
    // The sites in a fixed order, so one request gets one proposal.
    let mut sites_rooms: Vec<SiteRooms> = rooms.into_values().collect();
    sites_rooms.sort_by(|a, b| a.site_id.cmp(&b.site_id));
    let plan = plan_transfers(&rule(state).await?, &sites_rooms, &movers);
    let placed = plan
        .placed
        .into_iter()
        .map(|p| PlannedStay {
            site_name: names.get(p.site_id.as_str()).copied().unwrap_or_default().to_owned(),
            person_id: p.person_id,
            site_id: p.site_id,
            room: p.room,
        })
        .collect();
    unplaced.extend(plan.unplaced.into_iter().map(|(person_id, reason)| NotPlaced { person_id, reason }));
    Ok(TransferProposal { placed, unplaced })
}
