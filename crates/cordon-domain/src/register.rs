//! 户籍维护: the register kept up to date after its first import. A person is added (born,
//! arrived, found at the door), their phone or tags change, they move to another household,
//! or they leave the register's life — moved out of the city, or deceased — each with a reason.
//! Nothing is deleted: a person who left keeps their row (their tubes, case and gate history
//! name them), with a standing that takes them off the sweep lists and out of the counts.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, PersonId};

/// 人员状态: where a person stands in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    /// 在册: lives at their household.
    #[default]
    Active,
    /// 迁出: moved out of the city; no longer swept or counted.
    MovedOut,
    /// 死亡: deceased.
    Deceased,
}

impl PersonStatus {
    pub const ALL: [PersonStatus; 3] = [PersonStatus::Active, PersonStatus::MovedOut, PersonStatus::Deceased];

    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::MovedOut => "moved_out",
            PersonStatus::Deceased => "deceased",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "status",
                format!("unknown status {s:?}; it is active, moved_out or deceased"),
            )
        })
    }

    /// A stored value; an unknown one (written by a later version) reads as active, so the person
    /// stays on the lists rather than silently vanishing from them.
    pub fn from_stored(s: &str) -> Self {
        Self::parse(s).unwrap_or_default()
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (PersonStatus::Active, true) => "在册",
            (PersonStatus::Active, false) => "registered",
            (PersonStatus::MovedOut, true) => "已迁出",
            (PersonStatus::MovedOut, false) => "moved out",
            (PersonStatus::Deceased, true) => "已死亡",
            (PersonStatus::Deceased, false) => "deceased",
        }
    }

    /// Lives in the register: swept, counted, sampled.
    pub fn is_active(self) -> bool {
        self == PersonStatus::Active
    }
}

impl fmt::Display for PersonStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a person standing `from` may be given `to`. Any standing may follow any other — a
/// death recorded by mistake is undone by making the person active again, with the reason —
/// but never itself: a second death, a second move out, are mistakes the clerk must see.
pub fn check_status_change(from: PersonStatus, to: PersonStatus) -> Result<(), DomainError> {
    if from == to {
        return Err(DomainError::invalid("status", format!("the person is already {}", to.label(false))));
    }
    Ok(())
}

/// Why a change to the register was made: required, one line a reviewer can read.
pub fn reason(s: Option<&str>) -> Result<String, DomainError> {
    let s = s.map(str::trim).unwrap_or_default();
    if s.is_empty() {
        return Err(DomainError::invalid("reason", "say why: every change to the register keeps its reason"));
    }
    if s.chars().count() > 500 {
        return Err(DomainError::invalid("reason", "is longer than 500 characters"));
    }
    Ok(s.to_owned())
}

/// The prefix of the ids Cordon gives the people it registers itself (`R-00000042`). An import's
/// `people.csv` may not use it, so a file loaded later never collides with a person added here.
pub const REGISTERED_HERE: &str = "R-";

impl PersonId {
    /// The id of the `n`th person registered in Cordon.
    pub fn registered(n: i64) -> PersonId {
        PersonId::parse(&format!("{REGISTERED_HERE}{n:08}")).expect("a prefix and digits make an id")
    }

    /// Whether the id is of the kind Cordon gives (see [`REGISTERED_HERE`]).
    pub fn is_registered_here(&self) -> bool {
        self.as_str().starts_with(REGISTERED_HERE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_status_round_trips_and_an_unknown_one_reads_active() {
        for s in PersonStatus::ALL {
            assert_eq!(PersonStatus::parse(s.as_str()), Ok(s));
        }
        assert_eq!(PersonStatus::from_stored("emigrated_to_mars"), PersonStatus::Active);
        assert_eq!(PersonStatus::parse("dead").unwrap_err().field(), "status");
    }

    #[test]
    fn ids_registered_here_carry_the_prefix_and_sort_in_order() {
        let (a, b) = (PersonId::registered(9), PersonId::registered(10));
        assert!(a.is_registered_here() && b.is_registered_here());
        assert!(a < b, "{a} < {b}");
        assert!(!PersonId::parse("P000000001").unwrap().is_registered_here());
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert!(reason(None).is_err());
        assert!(reason(Some("  ")).is_err());
        assert!(reason(Some(&"字".repeat(501))).is_err());
        assert_eq!(reason(Some(" 出生登记 ")).unwrap(), "出生登记");
    }

    proptest! {
        /// A standing may change to any other, never to itself (a second death is refused).
        #[test]
        fn a_status_changes_to_any_other_never_to_itself(a in 0..3usize, b in 0..3usize) {
            let (from, to) = (PersonStatus::ALL[a], PersonStatus::ALL[b]);
            prop_assert_eq!(check_status_change(from, to).is_ok(), from != to);
        }
    }
}
