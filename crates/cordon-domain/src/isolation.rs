//! 集中隔离与收治: the sites people are isolated or treated at — quarantine hotels, cabin
//! hospitals (方舱) and designated hospitals — their rooms (or beds), and the stays that fill
//! them. A room's occupancy is never typed in: it is the stays open in it. Who may go where, and
//! who may share a room, is the profile's rule ([`IsolationRule`]); [`admit`] applies it to one
//! person arriving in one room.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;

/// What kind of site: where a rule sends whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// 隔离酒店: a hotel whose rooms hold contacts in quarantine.
    Hotel,
    /// 方舱医院: a hall of beds for mild and asymptomatic cases.
    CabinHospital,
    /// 定点医院: a designated hospital.
    Hospital,
}

impl SiteKind {
    pub const ALL: [SiteKind; 3] = [SiteKind::Hotel, SiteKind::CabinHospital, SiteKind::Hospital];

    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Hotel => "hotel",
            SiteKind::CabinHospital => "cabin_hospital",
            SiteKind::Hospital => "hospital",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "kind",
                format!("unknown site kind {s:?}; it is hotel, cabin_hospital or hospital"),
            )
        })
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (SiteKind::Hotel, true) => "隔离酒店",
            (SiteKind::Hotel, false) => "quarantine hotel",
            (SiteKind::CabinHospital, true) => "方舱医院",
            (SiteKind::CabinHospital, false) => "cabin hospital",
            (SiteKind::Hospital, true) => "定点医院",
            (SiteKind::Hospital, false) => "designated hospital",
        }
    }
}

impl fmt::Display for SiteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A room's state as people set it; whether it is occupied comes from its stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomState {
    /// In service: free or occupied, as its stays say.
    Ready,
    /// 终末消毒: being cleaned after its last guest left; nobody checks in until it is ready.
    Cleaning,
    /// Out of service (repairs, staff quarters).
    OutOfService,
}

impl RoomState {
    pub const ALL: [RoomState; 3] = [RoomState::Ready, RoomState::Cleaning, RoomState::OutOfService];

    pub fn as_str(self) -> &'static str {
        match self {
            RoomState::Ready => "ready",
            RoomState::Cleaning => "cleaning",
            RoomState::OutOfService => "out_of_service",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "state",
                format!("unknown room state {s:?}; it is ready, cleaning or out_of_service"),
            )
        })
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (RoomState::Ready, true) => "可用",
            (RoomState::Ready, false) => "ready",
            (RoomState::Cleaning, true) => "消毒中",
            (RoomState::Cleaning, false) => "being cleaned",
            (RoomState::OutOfService, true) => "停用",
            (RoomState::OutOfService, false) => "out of service",
        }
    }
}

/// Who a stay is for: what the rule places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Guest {
    /// 病例 (or an asymptomatic infection): treated or isolated.
    Case,
    /// 密接: a close contact in quarantine.
    CloseContact,
    /// 次密接: a secondary contact in quarantine.
    SecondaryContact,
    /// 陪护: a household member who stays with a child or an elderly person needing care.
    Companion,
}

impl Guest {
    pub const ALL: [Guest; 4] = [Guest::Case, Guest::CloseContact, Guest::SecondaryContact, Guest::Companion];

    pub fn as_str(self) -> &'static str {
        match self {
            Guest::Case => "case",
            Guest::CloseContact => "close_contact",
            Guest::SecondaryContact => "secondary_contact",
            Guest::Companion => "companion",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "guest",
                format!("unknown guest {s:?}; it is case, close_contact, secondary_contact or companion"),
            )
        })
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Guest::Case, true) => "病例",
            (Guest::Case, false) => "case",
            (Guest::CloseContact, true) => "密接",
            (Guest::CloseContact, false) => "close contact",
            (Guest::SecondaryContact, true) => "次密接",
            (Guest::SecondaryContact, false) => "secondary contact",
            (Guest::Companion, true) => "陪护",
            (Guest::Companion, false) => "companion",
        }
    }
}

/// Whom a guest may share a room with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sharing {
    /// A room alone (单人单间).
    Alone,
    /// Only with members of the same household (a family kept together).
    Household,
    /// Anyone placed there by the same rule (the beds of a ward or a 方舱 hall).
    Ward,
}

/// Where one kind of guest goes, and whom they may share with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    pub guest: Guest,
    /// The kinds of site that take them.
    pub sites: Vec<SiteKind>,
    pub sharing: Sharing,
}

/// 隔离收治规则 of a profile: a placement for each kind of guest. (A room is always cleaned —
/// 终末消毒 — when its last guest leaves, before the next checks in: no profile waives it.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IsolationRule {
    pub placements: Vec<Placement>,
}

/// Cases to a 方舱 or a hospital, the beds of a hall shared; contacts to hotel rooms, a
/// household kept together; a companion with the person they care for, wherever that is.
impl Default for IsolationRule {
    fn default() -> Self {
        use SiteKind::*;
        let p = |guest, sites: &[SiteKind], sharing| Placement { guest, sites: sites.to_vec(), sharing };
        IsolationRule {
            placements: vec![
                p(Guest::Case, &[CabinHospital, Hospital], Sharing::Ward),
                p(Guest::CloseContact, &[Hotel], Sharing::Household),
                p(Guest::SecondaryContact, &[Hotel], Sharing::Household),
                p(Guest::Companion, &[Hotel, CabinHospital, Hospital], Sharing::Household),
            ],
        }
    }
}

impl IsolationRule {
    pub fn placement(&self, guest: Guest) -> Option<&Placement> {
        self.placements.iter().find(|p| p.guest == guest)
    }

    pub fn check(&self) -> Result<(), DomainError> {
        for (i, p) in self.placements.iter().enumerate() {
            if p.sites.is_empty() {
                return Err(DomainError::invalid(
                    "isolation",
                    format!("the placement of {} names no site", p.guest.as_str()),
                ));
            }
            if self.placements[..i].iter().any(|q| q.guest == p.guest) {
                return Err(DomainError::invalid(
                    "isolation",
                    format!("{} is placed twice", p.guest.as_str()),
                ));
            }
        }
        Ok(())
    }
}

/// Someone in a room, or arriving: what sharing is decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupant {
    pub guest: Guest,
    /// The household code they came from.
    pub household: String,
}

/// The room someone would check in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomAt {
    pub site: SiteKind,
    pub state: RoomState,
    pub beds: u32,
    /// The stays open in it now.
    pub occupants: Vec<Occupant>,
}

/// Why a person may not check in to a room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the room is {}: nobody checks in until it is ready", .0.label(false))]
    NotReady(RoomState),
    #[error("the room's {0} beds are taken")]
    Full(u32),
    #[error("a {} is not placed at a {} under the profile", .guest.label(false), .site.label(false))]
    WrongSite { guest: Guest, site: SiteKind },
    #[error("a {} has a room alone under the profile", .0.label(false))]
    Alone(Guest),
    #[error("the room holds another household: a {} shares only with their own", .0.label(false))]
    OtherHousehold(Guest),
    #[error("the room holds someone placed by another rule (a {})", .0.label(false))]
    OtherGuests(Guest),
}

/// Whether `arriving` may check in to `room` under `rule`: the room ready with a bed free, the
/// site one the guest's placement names, and everyone already in the room someone each may
/// share with under their own placement.
pub fn admit(rule: &IsolationRule, room: &RoomAt, arriving: &Occupant) -> Result<(), Refusal> {
    if room.state != RoomState::Ready {
        return Err(Refusal::NotReady(room.state));
    }
    if room.occupants.len() as u64 >= u64::from(room.beds) {
        return Err(Refusal::Full(room.beds));
    }
    let placement = rule.placement(arriving.guest);
    if !placement.is_some_and(|p| p.sites.contains(&room.site)) {
        return Err(Refusal::WrongSite { guest: arriving.guest, site: room.site });
    }
    // Sharing is mutual: each side's rule must allow the other.
    for present in &room.occupants {
        for (me, other) in [(arriving, present), (present, arriving)] {
            match rule.placement(me.guest).map(|p| p.sharing) {
                Some(Sharing::Alone) | None => return Err(Refusal::Alone(me.guest)),
                Some(Sharing::Household) if me.household != other.household => {
                    return Err(Refusal::OtherHousehold(me.guest));
                }
                // A ward is shared with guests of the same placement, or one's own household.
                Some(Sharing::Ward) if me.guest != other.guest && me.household != other.household => {
                    return Err(Refusal::OtherGuests(other.guest));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn occ(guest: Guest, household: &str) -> Occupant {
        Occupant { guest, household: household.into() }
    }

    fn room(site: SiteKind, beds: u32, occupants: Vec<Occupant>) -> RoomAt {
        RoomAt { site, state: RoomState::Ready, beds, occupants }
    }

    #[test]
    fn a_family_is_kept_together_and_apart_from_others() {
        let rule = IsolationRule::default();
        let family = room(SiteKind::Hotel, 3, vec![occ(Guest::CloseContact, "h1")]);
        assert_eq!(admit(&rule, &family, &occ(Guest::CloseContact, "h1")), Ok(()));
        assert_eq!(admit(&rule, &family, &occ(Guest::Companion, "h1")), Ok(()));
        assert_eq!(
            admit(&rule, &family, &occ(Guest::CloseContact, "h2")),
            Err(Refusal::OtherHousehold(Guest::CloseContact))
        );
        assert_eq!(
            admit(&rule, &family, &occ(Guest::Case, "h1")),
            Err(Refusal::WrongSite { guest: Guest::Case, site: SiteKind::Hotel })
        );
    }

    #[test]
    fn a_hall_takes_cases_to_its_beds_and_no_contacts() {
        let rule = IsolationRule::default();
        let hall = room(SiteKind::CabinHospital, 2, vec![occ(Guest::Case, "h1")]);
        assert_eq!(admit(&rule, &hall, &occ(Guest::Case, "h2")), Ok(()));
        assert!(matches!(
            admit(&rule, &hall, &occ(Guest::CloseContact, "h2")),
            Err(Refusal::WrongSite { .. })
        ));
        let full = room(SiteKind::CabinHospital, 2, vec![occ(Guest::Case, "h1"), occ(Guest::Case, "h3")]);
        assert_eq!(admit(&rule, &full, &occ(Guest::Case, "h2")), Err(Refusal::Full(2)));
        let cleaning = RoomAt { state: RoomState::Cleaning, ..room(SiteKind::CabinHospital, 2, vec![]) };
        assert_eq!(
            admit(&rule, &cleaning, &occ(Guest::Case, "h2")),
            Err(Refusal::NotReady(RoomState::Cleaning))
        );
    }

    #[test]
    fn a_strict_profile_gives_each_contact_a_room_alone() {
        let mut rule = IsolationRule::default();
        rule.placements[1].sharing = Sharing::Alone;
        let taken = room(SiteKind::Hotel, 2, vec![occ(Guest::CloseContact, "h1")]);
        assert_eq!(
            admit(&rule, &taken, &occ(Guest::CloseContact, "h1")),
            Err(Refusal::Alone(Guest::CloseContact))
        );
        // The companion of a child shares with them; the child's rule says alone.
        assert_eq!(
            admit(&rule, &taken, &occ(Guest::Companion, "h1")),
            Err(Refusal::Alone(Guest::CloseContact))
        );
        assert_eq!(admit(&rule, &room(SiteKind::Hotel, 1, vec![]), &occ(Guest::CloseContact, "h1")), Ok(()));
    }

    fn guest() -> impl Strategy<Value = Guest> {
        prop::sample::select(Guest::ALL.to_vec())
    }

    fn site() -> impl Strategy<Value = SiteKind> {
        prop::sample::select(SiteKind::ALL.to_vec())
    }

    proptest! {
        /// Filling rooms one arrival at a time through `admit` never puts more people in a room
        /// than its beds, never a guest at a site their placement does not name, and never two
        /// households together unless both are placed in a ward.
        #[test]
        fn rooms_filled_through_admit_keep_the_rule(
            site in site(),
            beds in 1u32..6,
            arrivals in prop::collection::vec((guest(), 0u8..3), 0..12),
        ) {
            let rule = IsolationRule::default();
            let mut r = room(site, beds, vec![]);
            for (g, h) in arrivals {
                let o = occ(g, &format!("h{h}"));
                if admit(&rule, &r, &o).is_ok() {
                    r.occupants.push(o);
                }
            }
            prop_assert!(r.occupants.len() <= beds as usize);
            for a in &r.occupants {
                prop_assert!(rule.placement(a.guest).unwrap().sites.contains(&site));
                for b in &r.occupants {
                    let ward = |o: &Occupant| rule.placement(o.guest).unwrap().sharing == Sharing::Ward;
                    prop_assert!(a.household == b.household || (ward(a) && ward(b) && a.guest == b.guest));
                }
            }
        }
    }
}
