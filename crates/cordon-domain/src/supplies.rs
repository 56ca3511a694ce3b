//! 保供: food and medicine to households that cannot leave. Stocks are kept at distribution
//! points, moved in and out with a reason; a distribution round over an area gives every
//! household in it a delivery of one kind of package, sized by its members, the vulnerable
//! first; each delivery ends delivered, refused or with nobody home. A household of a sealed or
//! controlled zone that has had nothing delivered for longer than the profile allows is overdue
//! on its community's board.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;

/// What a package holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupplyItem {
    /// 蔬菜包.
    Vegetables,
    /// 米面油.
    RiceOil,
    /// 药品包: the common medicines a household runs out of.
    MedicineKit,
    /// 婴幼儿奶粉.
    BabyFormula,
}

impl SupplyItem {
    pub const ALL: [SupplyItem; 4] =
        [SupplyItem::Vegetables, SupplyItem::RiceOil, SupplyItem::MedicineKit, SupplyItem::BabyFormula];

    pub fn as_str(self) -> &'static str {
        match self {
            SupplyItem::Vegetables => "vegetables",
            SupplyItem::RiceOil => "rice_oil",
            SupplyItem::MedicineKit => "medicine_kit",
            SupplyItem::BabyFormula => "baby_formula",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "item",
                format!("unknown item {s:?}; it is vegetables, rice_oil, medicine_kit or baby_formula"),
            )
        })
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (SupplyItem::Vegetables, true) => "蔬菜包",
            (SupplyItem::Vegetables, false) => "vegetable bundle",
            (SupplyItem::RiceOil, true) => "米面油",
            (SupplyItem::RiceOil, false) => "rice and oil",
            (SupplyItem::MedicineKit, true) => "药品包",
            (SupplyItem::MedicineKit, false) => "medicine kit",
            (SupplyItem::BabyFormula, true) => "婴幼儿奶粉",
            (SupplyItem::BabyFormula, false) => "baby formula",
        }
    }
}

/// How a delivery ended at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Delivered,
    /// The household did not want it (they have enough, they buy their own).
    Refused,
    /// Nobody answered: the delivery stays open for another try.
    NobodyHome,
}

impl DeliveryOutcome {
    pub const ALL: [DeliveryOutcome; 3] =
        [DeliveryOutcome::Delivered, DeliveryOutcome::Refused, DeliveryOutcome::NobodyHome];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Refused => "refused",
            DeliveryOutcome::NobodyHome => "nobody_home",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the delivery is done: a household that was not home is tried again.
    pub fn closes(self) -> bool {
        self != DeliveryOutcome::NobodyHome
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (DeliveryOutcome::Delivered, true) => "已送达",
            (DeliveryOutcome::Delivered, false) => "delivered",
            (DeliveryOutcome::Refused, true) => "拒收",
            (DeliveryOutcome::Refused, false) => "refused",
            (DeliveryOutcome::NobodyHome, true) => "无人应答",
            (DeliveryOutcome::NobodyHome, false) => "nobody home",
        }
    }
}

/// 保供规则 of a profile: how packages are sized, who baby formula is for, and how long a
/// household of a sealed or controlled zone may go without a delivery before it is overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplyRule {
    /// One package for every so many members (a household of 1 to 3 gets one, of 4 to 6 two).
    pub people_per_package: u32,
    /// Days without anything delivered after which a household of a sealed or controlled zone
    /// is overdue.
    pub overdue_days: u32,
    /// 婴幼儿奶粉 goes only to households with a child under this many years old (by the birth
    /// year the register holds), a package a child.
    #[serde(default = "SupplyRule::default_formula_years")]
    pub formula_under_years: u32,
}

impl Default for SupplyRule {
    fn default() -> Self {
        SupplyRule { people_per_package: 3, overdue_days: 3, formula_under_years: 3 }
    }
}

/// Who a round is for and how its packages are counted, by the item and the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sizing {
    /// Every household with someone living in it, a package per so many members.
    PerMembers(u32),
    /// Only the households with a child born in this year or later, a package a child.
    PerChildBornSince(i32),
}

impl SupplyRule {
    fn default_formula_years() -> u32 {
        3
    }

    pub fn check(&self) -> Result<(), DomainError> {
        if self.people_per_package == 0 || self.people_per_package > 20 {
            return Err(DomainError::invalid("supplies", "people_per_package is 1 to 20"));
        }
        if self.overdue_days == 0 || self.overdue_days > 30 {
            return Err(DomainError::invalid("supplies", "overdue_days is 1 to 30"));
        }
        if self.formula_under_years == 0 || self.formula_under_years > 6 {
            return Err(DomainError::invalid("supplies", "formula_under_years is 1 to 6"));
        }
        Ok(())
    }

    /// The packages a household of `members` gets: one at least, one more for each further
    /// `people_per_package`.
    pub fn packages_for(&self, members: u32) -> u32 {
        members.max(1).div_ceil(self.people_per_package.max(1))
    }

    /// How a round of `item` planned in `year` is sized: formula for the children under the
    /// rule's age (born this year or in the `formula_under_years - 1` before), the rest for
    /// every household by its members.
    pub fn sizing(&self, item: SupplyItem, year: i32) -> Sizing {
        match item {
            SupplyItem::BabyFormula => {
                let years = i32::try_from(self.formula_under_years.max(1)).unwrap_or(i32::MAX);
                Sizing::PerChildBornSince(year.saturating_sub(years - 1))
            }
            _ => Sizing::PerMembers(self.people_per_package.max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_household_gets_a_package_per_three_members_and_one_at_least() {
        let r = SupplyRule::default();
        assert_eq!([0, 1, 3, 4, 6, 7].map(|m| r.packages_for(m)), [1, 1, 1, 2, 2, 3]);
        assert!(SupplyRule { people_per_package: 0, ..SupplyRule::default() }.check().is_err());
        assert!(SupplyRule { formula_under_years: 0, ..SupplyRule::default() }.check().is_err());
        for k in SupplyItem::ALL {
            assert_eq!(SupplyItem::parse(k.as_str()).unwrap(), k);
        }
    }

    #[test]
    fn formula_is_for_the_children_under_the_rule() {
        let r = SupplyRule::default();
        assert_eq!(r.sizing(SupplyItem::BabyFormula, 2026), Sizing::PerChildBornSince(2024));
        assert_eq!(r.sizing(SupplyItem::Vegetables, 2026), Sizing::PerMembers(3));
        let one = SupplyRule { formula_under_years: 1, ..r };
        assert_eq!(one.sizing(SupplyItem::BabyFormula, 2026), Sizing::PerChildBornSince(2026));
    }

    proptest! {
        /// A child counts for formula exactly while under the rule's age by birth year: born
        /// in the planning year counts, born `formula_under_years` years before does not.
        #[test]
        fn formula_counts_a_child_for_its_years(years in 1u32..=6, year in 2000i32..2100, age in 0i32..10) {
            let r = SupplyRule { formula_under_years: years, ..SupplyRule::default() };
            let Sizing::PerChildBornSince(since) = r.sizing(SupplyItem::BabyFormula, year) else {
                panic!("formula is counted by children");
            };
            prop_assert_eq!(year - age >= since, age < years as i32);
        }


        /// Packages never fall short of the members they are for, nor run a package over.
        #[test]
        fn packages_cover_the_members_with_less_than_a_package_spare(members in 1u32..200, per in 1u32..20) {
            let r = SupplyRule { people_per_package: per, ..SupplyRule::default() };
            let p = r.packages_for(members);
            prop_assert!(p * per >= members);
            prop_assert!((p - 1) * per < members);
        }
    }
}
