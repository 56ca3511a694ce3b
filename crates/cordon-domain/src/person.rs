//! People: the household register, with the vulnerable flagged.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{AreaCode, DomainError};

/// A person's identifier in the register (not their ID card number).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct PersonId(String);

impl PersonId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("person_id", "is empty"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(DomainError::invalid(
                "person_id",
                format!("is longer than {} characters", Self::MAX_LEN),
            ));
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(DomainError::invalid(
                "person_id",
                format!("contains {c:?}; only ASCII letters, digits, '-', '_' and '.' are allowed"),
            ));
        }
        Ok(PersonId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PersonId::parse(&s)
    }
}

impl From<PersonId> for String {
    fn from(p: PersonId) -> String {
        p.0
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resident identity card number (居民身份证号码), GB 11643-1999: six digits of area, eight of
/// birth date, three of sequence (odd for men), and an ISO 7064 MOD 11-2 check character.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

    /// Parses and checks an ID number. The error says which part is wrong and never repeats the
    /// number itself, so it is safe to log.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_ascii_uppercase();
        if s.chars().count() != 18 {
            return Err(DomainError::invalid(
                "id_number",
                format!("has {} characters; 18 are needed", s.chars().count()),
            ));
        }
        let bytes = s.as_bytes();
        if let Some(pos) = bytes[..17].iter().position(|b| !b.is_ascii_digit()) {
            return Err(DomainError::invalid("id_number", format!("character {} is not a digit", pos + 1)));
        }
        let last = bytes[17] as char;
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(DomainError::invalid("id_number", "the check character must be a digit or X"));
        }
        let year: i32 = s[6..10].parse().expect("digits");
        let month: u32 = s[10..12].parse().expect("digits");
        let day: u32 = s[12..14].parse().expect("digits");
        if NaiveDate::from_ymd_opt(year, month, day).is_none() || !(1900..=2100).contains(&year) {
            return Err(DomainError::invalid(
                "id_number",
                format!("the birth date (characters 7-14) {year:04}-{month:02}-{day:02} is not a valid date"),
            ));
        }
        let expected = Self::check_char(&bytes[..17]);
        if expected != last {
            return Err(DomainError::invalid(
                "id_number",
                "the check character (the 18th) does not match the other 17",
            ));
        }
        Ok(IdNumber(s))
    }

    /// The ISO 7064 MOD 11-2 check character for the first 17 digits.
    pub fn check_char(first17: &[u8]) -> char {
        let sum: u32 = first17.iter().zip(Self::WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
        Self::CHECK[(sum % 11) as usize]
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked at parse")
    }

    /// Odd sequence digit: male.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `1501**********1234`: the first four and last four characters.
    pub fn masked(&self) -> String {
        crate::format::mask_middle(&self.0, 4, 4)
    }
}

/// Never printed in full by accident.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// A phone number: a mainland mobile (11 digits, starting 1) or a landline with its area code.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let trimmed = s.trim();
        let digits: String = trimmed
            .strip_prefix("+86")
            .unwrap_or(trimmed)
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        if digits.is_empty() {
            return Err(DomainError::invalid("phone", "is empty"));
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::invalid("phone", "may hold only digits, spaces, '-' and a leading +86"));
        }
        let ok = if digits.starts_with('1') { digits.len() == 11 } else { (7..=12).contains(&digits.len()) };
        if !ok {
            return Err(DomainError::invalid(
                "phone",
                format!("has {} digits; a mobile number has 11, a landline 7 to 12", digits.len()),
            ));
        }
        Ok(Phone(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `139****0000`.
    pub fn masked(&self) -> String {
        crate::format::mask_middle(&self.0, 3, 4)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Unknown,
}

impl Sex {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "m" | "male" | "男" | "1" => Ok(Sex::Male),
            "f" | "female" | "女" | "2" => Ok(Sex::Female),
            "" | "u" | "unknown" | "未知" | "0" | "9" => Ok(Sex::Unknown),
            other => Err(DomainError::invalid(
                "sex",
                format!("unknown value {other:?}; expected male, female or unknown (男/女)"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Unknown => "unknown",
        }
    }
}

/// A flag on a person that changes how they are served in a lockdown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

impl Tag {
    /// The tags of `formats.md`, with their labels. A deployment may use more (any lowercase
    /// word); these are the ones the product knows how to treat.
    pub const KNOWN: [(&'static str, &'static str, &'static str); 9] = [
        ("dialysis", "透析", "dialysis"),
        ("chemotherapy", "化疗", "chemotherapy"),
        ("pregnant", "孕妇", "pregnant"),
        ("elderly_alone", "独居老人", "elderly living alone"),
        ("disabled", "残障", "disabled"),
        // Cannot leave their bed: sampled at home (`door`), never counted as missing.
        ("bedridden", "卧床", "bedridden"),
        ("minor_alone", "无监护未成年人", "minor without a guardian"),
        ("chronic", "慢性病", "chronic illness"),
        // What a reader without `see_health` sees in place of the health tags (`disclosure`).
        ("care_needed", "需关照", "needs care"),
    ];

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if let Some((code, ..)) = Self::KNOWN.iter().find(|(code, zh, _)| *code == s || *zh == s) {
            return Ok(Tag((*code).to_owned()));
        }
        if s.is_empty()
            || s.len() > 32
            || !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(DomainError::invalid(
                "tags",
                format!(
                    "{s:?} is not a tag: use lowercase letters, digits and '_' (e.g. dialysis, elderly_alone)"
                ),
            ));
        }
        Ok(Tag(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn label(&self, zh: bool) -> &str {
        Self::KNOWN
            .iter()
            .find(|(code, ..)| *code == self.0)
            .map_or(self.0.as_str(), |(_, l_zh, l_en)| if zh { l_zh } else { l_en })
    }
}

impl TryFrom<String> for Tag {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Tag::parse(&s)
    }
}

impl From<Tag> for String {
    fn from(t: Tag) -> String {
        t.0
    }
}

/// A person's tags, sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Tags(Vec<Tag>);

impl Tags {
    /// Parses the `;`-separated tags column. Empty parts are skipped.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let mut tags = s
            .split([';', '；'])
            .filter(|t| !t.trim().is_empty())
            .map(Tag::parse)
            .collect::<Result<Vec<_>, _>>()?;
        tags.sort();
        tags.dedup();
        Ok(Tags(tags))
    }

    pub fn from_stored(s: &str) -> Self {
        Tags(s.split(';').filter(|t| !t.is_empty()).map(|t| Tag(t.to_owned())).collect())
    }

    pub fn to_stored(&self) -> String {
        self.0.iter().map(Tag::as_str).collect::<Vec<_>>().join(";")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tags of both, sorted, without repeats.
    pub fn union(&self, other: &Tags) -> Tags {
        let mut all: Vec<Tag> = self.0.iter().chain(&other.0).cloned().collect();
        all.sort();
        all.dedup();
        Tags(all)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }
}

/// One row of `people.csv`, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub person_id: PersonId,
    pub name: String,
    pub id_number: Option<IdNumber>,
    pub phone: Option<Phone>,
    pub birth_year: Option<i32>,
    pub sex: Sex,
    pub household: AreaCode,
    pub tags: Tags,
}

impl PersonRow {
    pub fn parse_name(s: &str) -> Result<String, DomainError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("name", "is empty"));
        }
        if s.chars().count() > 50 {
            return Err(DomainError::invalid("name", "is longer than 50 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(DomainError::invalid("name", "contains a control character"));
        }
        Ok(s.to_owned())
    }

    pub fn parse_birth_year(s: &str, this_year: i32) -> Result<Option<i32>, DomainError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let y: i32 =
            s.parse().map_err(|_| DomainError::invalid("birth_year", format!("{s:?} is not a year")))?;
        if !(1880..=this_year).contains(&y) {
            return Err(DomainError::invalid(
                "birth_year",
                format!("{y} is not between 1880 and {this_year}"),
            ));
        }
        Ok(Some(y))
    }

    /// Where the ID number and the other columns disagree, the row is refused: one of them is
    /// mistyped and nobody can tell which.
    pub fn check_consistency(&self) -> Result<(), DomainError> {
        check_consistency(self.id_number.as_ref(), self.birth_year, self.sex)
    }
}

/// Where an ID number and the birth year or sex given beside it disagree, the entry is refused:
/// one of them is mistyped and nobody can tell which.
pub fn check_consistency(
    id: Option<&IdNumber>,
    birth_year: Option<i32>,
    sex: Sex,
) -> Result<(), DomainError> {
    let Some(id) = id else { return Ok(()) };
    if let Some(y) = birth_year
        && y != id.birth_date().year()
    {
        return Err(DomainError::invalid(
            "birth_year",
            format!("{y} does not match the birth year in the ID number ({})", id.birth_date().year()),
        ));
    }
    if sex != Sex::Unknown && sex != id.sex() {
        return Err(DomainError::invalid("sex", "does not match the sex digit (17th) of the ID number"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds a valid ID number from its first 17 digits.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", IdNumber::check_char(first17.as_bytes()))
    }

    #[test]
    fn id_numbers_are_checked_part_by_part() {
        // The GB 11643 worked example.
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        let e = |s: &str| IdNumber::parse(s).unwrap_err().reason().to_owned();
        assert_eq!(e("11010519491231002"), "has 17 characters; 18 are needed");
        assert_eq!(e("110105194912310021"), "the check character (the 18th) does not match the other 17");
        assert!(e(&with_check("15010219490231002")).contains("1949-02-31 is not a valid date"));
        assert_eq!(e("1101051949123100AX"), "character 17 is not a digit");
    }

    #[test]
    fn id_number_errors_never_repeat_the_number() {
        let bad = "150102199001011235";
        let err = IdNumber::parse(bad).unwrap_err();
        assert!(!err.to_string().contains(bad));
        assert!(!format!("{:?}", IdNumber::parse("11010519491231002X").unwrap()).contains("19491231"));
    }

    #[test]
    fn id_number_gives_birth_date_and_sex() {
        let id = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "1101**********002X");
    }

    #[test]
    fn phones_parse_and_mask() {
        assert_eq!(Phone::parse("+86 139-0000-0000").unwrap().masked(), "139****0000");
        assert_eq!(Phone::parse("0471-6965432").unwrap().as_str(), "04716965432");
        assert!(Phone::parse("1390000000").is_err());
        assert!(Phone::parse("13900000000x").is_err());
    }

    #[test]
    fn tags_parse_known_chinese_and_new() {
        let t = Tags::parse("dialysis;孕妇;;dialysis;wheelchair").unwrap();
        assert_eq!(t.to_stored(), "dialysis;pregnant;wheelchair");
        assert!(Tags::parse("Dialysis!").is_err());
    }

    #[test]
    fn consistency_between_id_and_columns() {
        let row = PersonRow {
            person_id: PersonId::parse("p1").unwrap(),
            name: "王芳".into(),
            id_number: Some(IdNumber::parse("11010519491231002X").unwrap()),
            phone: None,
            birth_year: Some(1950),
            sex: Sex::Female,
            household: AreaCode::parse("h1").unwrap(),
            tags: Tags::default(),
        };
        assert_eq!(row.check_consistency().unwrap_err().field(), "birth_year");
        let row = PersonRow { birth_year: Some(1949), sex: Sex::Male, ..row };
        assert_eq!(row.check_consistency().unwrap_err().field(), "sex");
    }

    proptest! {
        /// Every 17 digits with a valid date and their computed check character parse; any other
        /// check character is refused.
        #[test]
        fn check_character_is_iso7064(area in 110000u32..660000, days in 0i64..40000, seq in 0u32..1000, other in 0usize..11) {
            let date = NaiveDate::from_ymd_opt(1920, 1, 1).unwrap() + chrono::Duration::days(days);
            let first17 = format!("{area:06}{}{seq:03}", date.format("%Y%m%d"));
            let good = with_check(&first17);
            prop_assert!(IdNumber::parse(&good).is_ok());
            let c = IdNumber::CHECK[other];
            if c != good.chars().last().unwrap() {
                let bad = format!("{first17}{c}");
                prop_assert!(IdNumber::parse(&bad).is_err());
            }
        }
    }
}
