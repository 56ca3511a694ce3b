//! 卫生保洁、消杀: "containment and cleaning, both hands firm". Two kinds of work keep a sealed
//! area clean and safe:
//!
//! - **Disinfection** (消杀): when a case leaves home for a site, their home needs terminal
//!   disinfection (终末消毒), and — where the profile says — the stairs and lift they used
//!   (公共区域消杀); an officer may also order one for a place (a venue, a compound's public
//!   areas). Each is a task with a deadline, a team and a record of when it was done.
//! - **Waste collection** (垃圾清运): the waste of a sealed building is collected on a schedule;
//!   the waste of homes with a case or a contact at home is kept apart (double-bagged and
//!   disinfected, collected as medical waste), so a collection from a building that has such
//!   homes says how many bags of it were taken, or why none.
//!
//! A disinfection past its deadline, or a sealed building not collected for longer than the
//! profile allows, is overdue on the community's board.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{AreaCode, DomainError};

/// What a disinfection is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisinfectionKind {
    /// 终末消毒: a case's home, after they left it.
    Home,
    /// 公共区域消杀: the stairs, lift and hall of a case's building.
    Stairs,
    /// 消杀 of a place an officer names: a venue, a compound's public areas.
    Area,
}

impl DisinfectionKind {
    pub const ALL: [DisinfectionKind; 3] =
        [DisinfectionKind::Home, DisinfectionKind::Stairs, DisinfectionKind::Area];

    pub fn as_str(self) -> &'static str {
        match self {
            DisinfectionKind::Home => "home",
            DisinfectionKind::Stairs => "stairs",
            DisinfectionKind::Area => "area",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (DisinfectionKind::Home, true) => "终末消毒",
            (DisinfectionKind::Home, false) => "terminal disinfection of a home",
            (DisinfectionKind::Stairs, true) => "公共区域消杀",
            (DisinfectionKind::Stairs, false) => "stairs and lift",
            (DisinfectionKind::Area, true) => "区域消杀",
            (DisinfectionKind::Area, false) => "disinfection of a place",
        }
    }
}

/// 消杀与清运规则 of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SanitationRule {
    /// Hours from a case's pick-up to the terminal disinfection of their home.
    pub disinfect_hours: u32,
    /// Whether a case's pick-up also calls for the disinfection of their building's stairs and
    /// lift (the 20 measures ask for it in a building with shared stairs).
    pub stairs: bool,
    /// Hours a sealed building may go without its waste collected.
    pub waste_hours: u32,
}

impl Default for SanitationRule {
    fn default() -> Self {
        SanitationRule { disinfect_hours: 12, stairs: true, waste_hours: 24 }
    }
}

/// A disinfection a step calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDisinfection {
    pub kind: DisinfectionKind,
    /// The household (home), the building (stairs).
    pub area: AreaCode,
    pub due: DateTime<Utc>,
}

impl SanitationRule {
    pub fn check(&self) -> Result<(), DomainError> {
        if self.disinfect_hours == 0 || self.disinfect_hours > 72 {
            return Err(DomainError::invalid("sanitation", "disinfect_hours is 1 to 72"));
        }
        if self.waste_hours == 0 || self.waste_hours > 168 {
            return Err(DomainError::invalid("sanitation", "waste_hours is 1 to 168 (a week)"));
        }
        Ok(())
    }

    /// What a case's pick-up from `household` at `at` calls for: the home's terminal
    /// disinfection, and its building's stairs where the rule says and the home is in a
    /// building.
    pub fn after_pickup(
        &self,
        household: &AreaCode,
        building: Option<&AreaCode>,
        at: DateTime<Utc>,
    ) -> Vec<PlannedDisinfection> {
        let due = at + Duration::hours(self.disinfect_hours.into());
        let mut out =
            vec![PlannedDisinfection { kind: DisinfectionKind::Home, area: household.clone(), due }];
        if let (true, Some(b)) = (self.stairs, building) {
            out.push(PlannedDisinfection { kind: DisinfectionKind::Stairs, area: b.clone(), due });
        }
        out
    }

    /// When a sealed building's waste is next due: an interval after the later of the sealing
    /// and the last collection.
    pub fn waste_due(
        &self,
        sealed_at: DateTime<Utc>,
        last_collected: Option<DateTime<Utc>>,
    ) -> DateTime<Utc> {
        let from = last_collected.map_or(sealed_at, |l| l.max(sealed_at));
        from + Duration::hours(self.waste_hours.into())
    }
}

/// A collection from a building with `apart_homes` homes whose waste is kept apart: it says how
/// many bags of that waste it took, or, with none, why (the homes put nothing out).
pub fn check_collection(apart_homes: usize, apart_bags: u32, note: &str) -> Result<(), DomainError> {
    if apart_homes > 0 && apart_bags == 0 && note.trim().is_empty() {
        return Err(DomainError::invalid(
            "apart_bags",
            format!(
                "{apart_homes} home(s) of this building have a case or a contact at home: their waste is \
                 collected apart; say how many bags, or in the note why there were none"
            ),
        ));
    }
    if apart_homes == 0 && apart_bags > 0 {
        return Err(DomainError::invalid(
            "apart_bags",
            "no home of this building has a case or a contact at home: its waste is ordinary",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn code(s: &str) -> AreaCode {
        AreaCode::parse(s).unwrap()
    }

    #[test]
    fn a_pickup_calls_for_the_home_and_the_stairs_where_the_rule_says() {
        let at = Utc.with_ymd_and_hms(2022, 4, 10, 8, 0, 0).unwrap();
        let home = code("150102001001001001001");
        let building = code("150102001001001001");
        let r = SanitationRule::default();
        let plan = r.after_pickup(&home, Some(&building), at);
        assert_eq!(
            plan.iter().map(|p| p.kind).collect::<Vec<_>>(),
            [DisinfectionKind::Home, DisinfectionKind::Stairs]
        );
        assert!(plan.iter().all(|p| p.due == at + Duration::hours(12)));
        let no_stairs = SanitationRule { stairs: false, ..r.clone() };
        assert_eq!(no_stairs.after_pickup(&home, Some(&building), at).len(), 1);
        assert_eq!(r.after_pickup(&home, None, at).len(), 1);
        assert!(SanitationRule { waste_hours: 0, ..r }.check().is_err());
        for k in DisinfectionKind::ALL {
            assert_eq!(DisinfectionKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn kept_apart_waste_is_counted_or_explained() {
        assert!(check_collection(0, 0, "").is_ok());
        assert!(check_collection(2, 3, "").is_ok());
        let e = check_collection(2, 0, " ").unwrap_err();
        assert_eq!(e.field(), "apart_bags");
        assert!(e.to_string().contains("2 home"));
        assert!(check_collection(2, 0, "nothing put out").is_ok());
        assert!(check_collection(0, 1, "").is_err());
    }

    proptest! {
        /// A building is due one interval after the later of its sealing and its last
        /// collection: never before either, and a collection never brings it forward.
        #[test]
        fn waste_is_due_an_interval_after_the_later_of_sealing_and_collection(
            sealed in 0i64..1_000_000, last in proptest::option::of(0i64..1_000_000), hours in 1u32..168,
        ) {
            let t0 = Utc.with_ymd_and_hms(2022, 4, 1, 0, 0, 0).unwrap();
            let r = SanitationRule { waste_hours: hours, ..SanitationRule::default() };
            let sealed_at = t0 + Duration::seconds(sealed);
            let last_at = last.map(|l| t0 + Duration::seconds(l));
            let due = r.waste_due(sealed_at, last_at);
            let interval = Duration::hours(hours.into());
            prop_assert!(due >= sealed_at + interval);
            if let Some(l) = last_at {
                prop_assert!(due >= l + interval);
            }
            prop_assert!(due >= r.waste_due(sealed_at, None));
            prop_assert!(due == sealed_at + interval || last_at.is_some_and(|l| due == l + interval));
        }
    }
}
