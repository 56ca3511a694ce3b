//! 重复登记: one resident registered twice (by two grid workers, at home and at a relative's, once
//! with an ID number and once with a phone). Two entries are taken for one person on the same ID
//! number (by its blind index: the number itself is never compared in clear), or on the same name
//! with the same phone, or with the same birth year in the same household. A merge keeps one entry,
//! fills what it lacks from the other, and moves the other's history onto it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Sex, Tags};

/// Why two entries may be one person, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same ID number: the same person, bar a typing error.
    SameIdNumber,
    /// The same name and phone (a household's shared phone has other names).
    NameAndPhone,
    /// The same name and birth year in the same household (across a district the same name and
    /// year is as often two people as one).
    NameAndBirthYear,
}

impl DuplicateReason {
    pub const ALL: [DuplicateReason; 3] =
        [DuplicateReason::SameIdNumber, DuplicateReason::NameAndPhone, DuplicateReason::NameAndBirthYear];

    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateReason::SameIdNumber => "same_id_number",
            DuplicateReason::NameAndPhone => "name_and_phone",
            DuplicateReason::NameAndBirthYear => "name_and_birth_year",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (DuplicateReason::SameIdNumber, true) => "身份证号相同",
            (DuplicateReason::NameAndPhone, true) => "姓名和电话相同",
            (DuplicateReason::NameAndBirthYear, true) => "同户姓名和出生年份相同",
            (DuplicateReason::SameIdNumber, false) => "same ID number",
            (DuplicateReason::NameAndPhone, false) => "same name and phone",
            (DuplicateReason::NameAndBirthYear, false) => "same name and birth year, same household",
        }
    }
}

/// What an entry says of a person, besides their name and place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub birth_year: Option<i32>,
    pub sex: Sex,
    pub tags: Tags,
}

/// The entry kept after a merge: its own values, what it lacks from the duplicate, the tags of
/// both. Refused when the two say different things a person cannot change (two ID numbers, two
/// sexes, two birth years): those are two people, or an entry to correct first.
pub fn merge_facts(keep: &PersonFacts, duplicate: &PersonFacts) -> Result<PersonFacts, DomainError> {
    if let (Some(a), Some(b)) = (&keep.id_number, &duplicate.id_number)
        && a != b
    {
        return Err(DomainError::invalid(
            "duplicate_id",
            "the two entries have different ID numbers: they are two people",
        ));
    }
    if keep.sex != Sex::Unknown && duplicate.sex != Sex::Unknown && keep.sex != duplicate.sex {
        return Err(DomainError::invalid(
            "duplicate_id",
            "the two entries are of different sexes: correct one first",
        ));
    }
    if let (Some(a), Some(b)) = (keep.birth_year, duplicate.birth_year)
        && a != b
    {
        return Err(DomainError::invalid(
            "duplicate_id",
            format!("the two entries were born in different years ({a}, {b}): correct one first"),
        ));
    }
    Ok(PersonFacts {
        id_number: keep.id_number.clone().or_else(|| duplicate.id_number.clone()),
        phone: keep.phone.clone().or_else(|| duplicate.phone.clone()),
        birth_year: keep.birth_year.or(duplicate.birth_year),
        sex: if keep.sex == Sex::Unknown { duplicate.sex } else { keep.sex },
        tags: keep.tags.union(&duplicate.tags),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(id: Option<&str>, phone: Option<&str>, year: Option<i32>, sex: Sex, tags: &str) -> PersonFacts {
        PersonFacts {
            id_number: id.map(str::to_owned),
            phone: phone.map(str::to_owned),
            birth_year: year,
            sex,
            tags: Tags::parse(tags).unwrap(),
        }
    }

    #[test]
    fn the_kept_entry_is_filled_from_the_other() {
        let keep = facts(None, Some("13900000001"), None, Sex::Unknown, "elderly_alone");
        let dup = facts(Some("11010519491231002X"), Some("13900000002"), Some(1949), Sex::Female, "dialysis");
        let m = merge_facts(&keep, &dup).unwrap();
        assert_eq!(m.id_number.as_deref(), Some("11010519491231002X"));
        assert_eq!(m.phone.as_deref(), Some("13900000001"), "the kept entry's own phone stays");
        assert_eq!((m.birth_year, m.sex), (Some(1949), Sex::Female));
        assert_eq!(m.tags.to_stored(), "dialysis;elderly_alone");
    }

    #[test]
    fn contradictions_are_refused_naming_them() {
        let a = facts(Some("11010519491231002X"), None, Some(1949), Sex::Female, "");
        let b = facts(Some("110105194912310021"), None, Some(1949), Sex::Female, "");
        let e = merge_facts(&a, &b).unwrap_err().to_string();
        assert!(e.contains("different ID numbers") && !e.contains("1101"), "{e}");
        let c = facts(None, None, Some(1950), Sex::Female, "");
        assert!(merge_facts(&a, &c).unwrap_err().to_string().contains("1949, 1950"));
        let d = facts(None, None, None, Sex::Male, "");
        assert!(merge_facts(&a, &d).is_err());
    }

    fn any_facts() -> impl Strategy<Value = PersonFacts> {
        (
            proptest::option::of(prop_oneof![Just("11010519491231002X"), Just("110105194912310021")]),
            proptest::option::of(prop_oneof![Just("13900000001"), Just("13900000002")]),
            proptest::option::of(1940..1945i32),
            prop_oneof![Just(Sex::Male), Just(Sex::Female), Just(Sex::Unknown)],
            prop_oneof![Just(""), Just("dialysis"), Just("pregnant;elderly_alone")],
        )
            .prop_map(|(id, phone, year, sex, tags)| facts(id, phone, year, sex, tags))
    }

    proptest! {
        /// A merge loses nothing either entry knew and contradicts neither: every value of the
        /// result is the kept entry's or, where it had none, the duplicate's; merging again
        /// changes nothing.
        #[test]
        fn a_merge_keeps_what_both_knew(keep in any_facts(), dup in any_facts()) {
            if let Ok(m) = merge_facts(&keep, &dup) {
                prop_assert_eq!(&m.id_number, if keep.id_number.is_some() { &keep.id_number } else { &dup.id_number });
                prop_assert_eq!(&m.phone, if keep.phone.is_some() { &keep.phone } else { &dup.phone });
                prop_assert_eq!(m.birth_year, keep.birth_year.or(dup.birth_year));
                for t in keep.tags.iter().chain(dup.tags.iter()) {
                    prop_assert!(m.tags.iter().any(|x| x == t));
                }
                prop_assert_eq!(merge_facts(&m, &dup).unwrap(), m.clone());
                prop_assert_eq!(merge_facts(&m, &m).unwrap(), m);
            } else {
                prop_assert!(
                    (keep.id_number.is_some() && dup.id_number.is_some() && keep.id_number != dup.id_number)
                        || (keep.birth_year.is_some() && dup.birth_year.is_some() && keep.birth_year != dup.birth_year)
                        || (keep.sex != Sex::Unknown && dup.sex != Sex::Unknown && keep.sex != dup.sex)
                );
            }
        }
    }
}
