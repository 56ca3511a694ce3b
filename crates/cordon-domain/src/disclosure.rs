//! 信息披露: what of a person leaves the server for a reader with these rights.
//!
//! Every view of a person — an API answer, a page, an export, a gate's answer — takes its fields
//! through one [`Disclosure`], so a new route cannot show more than its reader's rights open:
//!
//! - the name in full for people of the reader's areas, masked (`李**`) for someone they face
//!   at their gate from elsewhere, and none for anyone else;
//! - the ID number and the phone only with `see_id_number` / `see_phone`, and masked in the
//!   middle even then (the rights say so): a full number never leaves, not in a file either;
//! - health tags (dialysis, chemotherapy, pregnant, chronic illness, disability, and any tag a
//!   deployment added, which Cordon cannot judge) only with `see_health`: without it they fold
//!   into one [`CARE_NEEDED`] flag, which tells the gate and the sweep that this person needs
//!   care without saying why; the social flags (elderly alone, a minor alone) stay.

use crate::format::{mask_middle, mask_name};
use crate::{Right, Rights, Tag, Tags};

/// The one flag a reader without `see_health` sees in place of health tags: 需关照.
pub const CARE_NEEDED: &str = "care_needed";

/// The tags anyone who may see the person sees: they say how the person lives, not what ails
/// them, and the gate and the sweep must know them to serve the person.
pub const SOCIAL_TAGS: [&str; 2] = ["elderly_alone", "minor_alone"];

/// How a person stands to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The person lives in the reader's areas (or the reader broke the glass for them).
    Inside,
    /// The person lives elsewhere and stands at the reader's gate (or came through it).
    Faced,
    /// The person lives elsewhere: a contact of a case, a name in a file.
    Outside,
}

/// What a reader with these rights may see of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disclosure {
    rights: Rights,
}

impl Disclosure {
    pub fn new(rights: Rights) -> Self {
        Disclosure { rights }
    }

    pub fn name(&self, name: &str, reach: Reach) -> Option<String> {
        match reach {
            Reach::Inside => Some(name.to_owned()),
            Reach::Faced => Some(mask_name(name)),
            Reach::Outside => None,
        }
    }

    /// `1501**********1234`, with `see_id_number`.
    pub fn id_number(&self, id_number: Option<&str>) -> Option<String> {
        id_number.filter(|_| self.rights.has(Right::SeeIdNumber)).map(|s| mask_middle(s, 4, 4))
    }

    /// `139****0000`, with `see_phone`.
    pub fn phone(&self, phone: Option<&str>) -> Option<String> {
        phone.filter(|_| self.rights.has(Right::SeePhone)).map(|s| mask_middle(s, 3, 4))
    }

    /// Tubes, results, cases and contacts: what is diagnosed of a person.
    pub fn health(&self) -> bool {
        self.rights.has(Right::SeeHealth)
    }

    /// The tags this reader sees, sorted: every tag with `see_health`; else the social ones,
    /// and [`CARE_NEEDED`] once if any other was there.
    pub fn tags(&self, tags: &Tags) -> Vec<Tag> {
        if self.health() {
            return tags.iter().cloned().collect();
        }
        let mut out: Vec<Tag> = tags.iter().filter(|t| is_social(t)).cloned().collect();
        if tags.iter().any(|t| !is_social(t)) {
            out.push(Tag::parse(CARE_NEEDED).expect("a tag's form"));
            out.sort();
        }
        out
    }
}

/// Whether a tag says how a person lives rather than what ails them.
pub fn is_social(tag: &Tag) -> bool {
    SOCIAL_TAGS.contains(&tag.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEALTH: [&str; 5] = ["dialysis", "chemotherapy", "pregnant", "chronic", "disabled"];

    fn rights() -> impl Strategy<Value = Rights> {
        proptest::collection::vec(proptest::sample::select(Right::ALL.to_vec()), 0..8)
            .prop_map(|r| Rights::of(&r))
    }

    fn tags() -> impl Strategy<Value = Tags> {
        let words: Vec<&str> =
            HEALTH.iter().chain(&SOCIAL_TAGS).copied().chain(["wheelchair", "hiv"]).collect();
        proptest::collection::vec(proptest::sample::select(words), 0..5)
            .prop_map(|w| Tags::parse(&w.join(";")).unwrap())
    }

    proptest! {
        #[test]
        fn no_health_tag_without_see_health(r in rights(), t in tags()) {
            let d = Disclosure::new(r.without(Right::SeeHealth));
            let shown = d.tags(&t);
            prop_assert!(shown.iter().all(|t| is_social(t) || t.as_str() == CARE_NEEDED));
            // The flag is there exactly when something was folded into it.
            let folded = t.iter().any(|t| !is_social(t));
            prop_assert_eq!(shown.iter().any(|t| t.as_str() == CARE_NEEDED), folded);
            // The social flags are never lost.
            for s in t.iter().filter(|t| is_social(t)) {
                prop_assert!(shown.contains(s));
            }
        }

        #[test]
        fn see_health_shows_every_tag(r in rights(), t in tags()) {
            let d = Disclosure::new(r.with(Right::SeeHealth));
            prop_assert_eq!(d.tags(&t), t.iter().cloned().collect::<Vec<_>>());
        }

        #[test]
        fn numbers_never_leave_whole(r in rights(), digits in "[0-9]{11,18}") {
            let d = Disclosure::new(r);
            for shown in [d.id_number(Some(&digits)), d.phone(Some(&digits))].into_iter().flatten() {
                prop_assert_ne!(&shown, &digits);
                prop_assert!(shown.contains('*'));
            }
            prop_assert_eq!(d.id_number(Some(&digits)).is_some(), r.has(Right::SeeIdNumber));
            prop_assert_eq!(d.phone(Some(&digits)).is_some(), r.has(Right::SeePhone));
        }

        #[test]
        fn names_by_reach(r in rights(), name in "[\u{4e00}-\u{9fa5}]{2,4}") {
            let d = Disclosure::new(r);
            prop_assert_eq!(d.name(&name, Reach::Inside), Some(name.clone()));
            let faced = d.name(&name, Reach::Faced).unwrap();
            prop_assert_ne!(&faced, &name);
            prop_assert!(faced.starts_with(name.chars().next().unwrap()));
            prop_assert_eq!(d.name(&name, Reach::Outside), None);
        }
    }
}
