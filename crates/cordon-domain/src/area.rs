//! The map of areas: city › district › street › community › compound › building › household.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;

/// The level of a node in the area tree. The order of the variants is the order of the tree:
/// a parent is always at a level above (less than) its child's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// 市
    City,
    /// 区 / 县 / 旗
    District,
    /// 街道 / 乡镇
    Street,
    /// 社区 / 村
    Community,
    /// 小区
    Compound,
    /// 楼
    Building,
    /// 户
    Household,
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 7] = [
        AreaLevel::City,
        AreaLevel::District,
        AreaLevel::Street,
        AreaLevel::Community,
        AreaLevel::Compound,
        AreaLevel::Building,
        AreaLevel::Household,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::City => "city",
            AreaLevel::District => "district",
            AreaLevel::Street => "street",
            AreaLevel::Community => "community",
            AreaLevel::Compound => "compound",
            AreaLevel::Building => "building",
            AreaLevel::Household => "household",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s) || l.name_zh() == s)
            .ok_or_else(|| {
                DomainError::invalid(
                    "level",
                    format!(
                        "unknown level {s:?}; expected one of city, district, street, community, compound, building, household"
                    ),
                )
            })
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            AreaLevel::City => "市",
            AreaLevel::District => "区县",
            AreaLevel::Street => "街道乡镇",
            AreaLevel::Community => "社区村",
            AreaLevel::Compound => "小区",
            AreaLevel::Building => "楼栋",
            AreaLevel::Household => "户",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            AreaLevel::City => "city",
            AreaLevel::District => "district",
            AreaLevel::Street => "street / township",
            AreaLevel::Community => "community / village",
            AreaLevel::Compound => "compound",
            AreaLevel::Building => "building",
            AreaLevel::Household => "household",
        }
    }
}

impl fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An area's official or generated code (GB/T 2260 and the statistics codes below it, or any
/// code the deployment uses). Parsed, not validated: once built it is known to be safe to put
/// in a URL path segment and a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    pub const MAX_LEN: usize = 40;

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("code", "is empty"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(DomainError::invalid(
                "code",
                format!("is {} characters long; at most {} are allowed", s.len(), Self::MAX_LEN),
            ));
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(DomainError::invalid(
                "code",
                format!("contains {c:?}; only ASCII letters, digits, '-', '_' and '.' are allowed"),
            ));
        }
        Ok(AreaCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AreaCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        AreaCode::parse(&s)
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> String {
        c.0
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A materialized path: the ids of an area's ancestors and its own, root first, each in base 36
/// and each followed by `/` (`/1/2s/9kq/`). A subtree is one contiguous range of paths, so
/// "everything under this area" is an index range scan, never a recursive walk.
///
/// The range trick rests on `/` sorting just below `0`: every path that starts with `/1/2s/`
/// sorts in `[/1/2s/, /1/2s0)`. Backends must compare paths byte by byte (PostgreSQL: `COLLATE "C"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AreaPath(String);

impl AreaPath {
    pub fn root() -> Self {
        AreaPath("/".to_owned())
    }

    /// Rebuilds a path read back from the store. Stored paths were made by [`AreaPath::child`].
    pub fn from_stored(s: String) -> Self {
        debug_assert!(s.starts_with('/') && s.ends_with('/'));
        AreaPath(s)
    }

    pub fn child(&self, id: i64) -> Self {
        let mut s = self.0.clone();
        push_base36(&mut s, id);
        s.push('/');
        AreaPath(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `[lo, hi)` such that a path is in this subtree (itself included) exactly when
    /// `lo <= path < hi`.
    pub fn subtree_range(&self) -> (String, String) {
        let lo = self.0.clone();
        let mut hi = self.0[..self.0.len() - 1].to_owned();
        hi.push('0');
        (lo, hi)
    }

    pub fn contains(&self, other: &AreaPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// This path and every path above it, root first.
    pub fn lineage(&self) -> Vec<AreaPath> {
        self.0.match_indices('/').skip(1).map(|(i, _)| AreaPath(self.0[..=i].to_owned())).collect()
    }

    /// The ids on the path, root first.
    pub fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.0.split('/').filter(|s| !s.is_empty()).filter_map(|s| i64::from_str_radix(s, 36).ok())
    }
}

fn push_base36(out: &mut String, mut n: i64) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    assert!(n >= 0, "area ids are never negative");
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(n % 36) as usize];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).expect("ascii digits"));
}

/// One row of `areas.csv` (or one GeoJSON feature), parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRow {
    pub code: AreaCode,
    pub parent: Option<AreaCode>,
    pub level: AreaLevel,
    pub name: String,
    /// A GeoJSON geometry object, as JSON text.
    pub shape: Option<String>,
}

impl AreaRow {
    pub fn parse_name(s: &str) -> Result<String, DomainError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("name", "is empty"));
        }
        if s.chars().count() > 100 {
            return Err(DomainError::invalid("name", "is longer than 100 characters"));
        }
        Ok(s.to_owned())
    }
}

/// An area as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Area {
    pub code: AreaCode,
    pub parent: Option<AreaCode>,
    pub level: AreaLevel,
    pub name: String,
    #[serde(skip)]
    pub path: AreaPath,
}

/// Counts kept per area for its whole subtree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AreaStats {
    pub residents: i64,
    pub households: i64,
    /// Residents with at least one vulnerability tag.
    pub vulnerable: i64,
}

impl std::ops::AddAssign for AreaStats {
    fn add_assign(&mut self, o: Self) {
        self.residents += o.residents;
        self.households += o.households;
        self.vulnerable += o.vulnerable;
    }
}

/// What the store knows of an area that a batch refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownArea {
    pub parent: Option<AreaCode>,
    pub level: AreaLevel,
}

/// A problem with one row of a batch of areas; `row` is the row's index in the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: usize,
    pub field: &'static str,
    pub reason: String,
}

/// Checks a batch of areas against itself and against what the store already has, and orders
/// it parents first. Parents may come after their children in the batch (`formats.md`).
///
/// Refused: a code twice in the batch, a parent that exists nowhere, a parent at the same level
/// or below, a cycle, and a change of an existing area's parent or level (moving a subtree
/// would rewrite the paths of everything under it; that is a deliberate operation, not an
/// import side effect).
pub fn plan_areas(
    rows: Vec<AreaRow>,
    known: impl Fn(&AreaCode) -> Option<KnownArea>,
) -> Result<Vec<AreaRow>, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let mut index: HashMap<&AreaCode, usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        if let Some(first) = index.insert(&r.code, i) {
            // Keep the first occurrence; the second is the problem.
            index.insert(&r.code, first);
            problems.push(RowProblem {
                row: i,
                field: "code",
                reason: format!("{} appears more than once", r.code),
            });
        }
    }
    for (i, r) in rows.iter().enumerate() {
        if let Some(k) = known(&r.code) {
            if k.level != r.level {
                problems.push(RowProblem {
                    row: i,
                    field: "level",
                    reason: format!("{} is already a {}; its level cannot change", r.code, k.level),
                });
            }
            if k.parent != r.parent {
                problems.push(RowProblem {
                    row: i,
                    field: "parent_code",
                    reason: format!(
                        "{} is already under {}; moving an area is not done by import",
                        r.code,
                        k.parent.as_ref().map_or("no parent", |p| p.as_str())
                    ),
                });
            }
        }
        let Some(parent) = &r.parent else { continue };
        if parent == &r.code {
            problems.push(RowProblem {
                row: i,
                field: "parent_code",
                reason: format!("{} is its own parent", r.code),
            });
            continue;
        }
        let parent_level = match index.get(parent) {
            Some(&j) => Some(rows[j].level),
            None => known(parent).map(|k| k.level),
        };
        match parent_level {
            None => problems.push(RowProblem {
                row: i,
                field: "parent_code",
                reason: format!("unknown parent code {parent}"),
            }),
            Some(pl) if pl >= r.level => problems.push(RowProblem {
                row: i,
                field: "level",
                reason: format!("a {} cannot be under a {} ({parent})", r.level, pl),
            }),
            Some(_) => {}
        }
    }
    // Levels strictly increase from parent to child, so the checks above already rule out
    // cycles; this walk names a cycle as such when rows also break the level rule.
    let mut on_cycle = HashSet::new();
    for (i, r) in rows.iter().enumerate() {
        let mut seen = HashSet::from([i]);
        let mut cur = r.parent.as_ref().and_then(|p| index.get(p).copied());
        while let Some(j) = cur {
            if !seen.insert(j) {
                if j == i && on_cycle.insert(i) {
                    problems.push(RowProblem {
                        row: i,
                        field: "parent_code",
                        reason: format!("{} is part of a cycle in the area tree", r.code),
                    });
                }
                break;
            }
            cur = rows[j].parent.as_ref().and_then(|p| index.get(p).copied());
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.row);
        return Err(problems);
    }
    drop(index);
    let mut rows = rows;
    rows.sort_by_key(|r| r.level);
    Ok(rows)
}

/// Adds up households into every ancestor. Each group is one household's path with its
/// residents and how many of them are vulnerable; the result is keyed by area id and leaves the
/// households themselves out (their counts are their members, read live).
pub fn roll_up_households(groups: &[(AreaPath, i64, i64)]) -> HashMap<i64, AreaStats> {
    let mut out: HashMap<i64, AreaStats> = HashMap::new();
    for (path, residents, vulnerable) in groups {
        let ids: Vec<i64> = path.ids().collect();
        let stats = AreaStats { residents: *residents, households: 1, vulnerable: *vulnerable };
        for id in &ids[..ids.len().saturating_sub(1)] {
            *out.entry(*id).or_default() += stats;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(code: &str, parent: Option<&str>, level: AreaLevel) -> AreaRow {
        AreaRow {
            code: AreaCode::parse(code).unwrap(),
            parent: parent.map(|p| AreaCode::parse(p).unwrap()),
            level,
            name: code.to_owned(),
            shape: None,
        }
    }

    #[test]
    fn children_before_parents_are_reordered() {
        let rows = vec![
            row("150102001", Some("150102"), AreaLevel::Street),
            row("150102", Some("150100"), AreaLevel::District),
            row("150100", None, AreaLevel::City),
        ];
        let planned = plan_areas(rows, |_| None).unwrap();
        let codes: Vec<_> = planned.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["150100", "150102", "150102001"]);
    }

    #[test]
    fn problems_name_the_row_and_field() {
        let rows = vec![
            row("1", None, AreaLevel::City),
            row("2", Some("9"), AreaLevel::District),
            row("3", Some("1"), AreaLevel::City),
            row("1", None, AreaLevel::City),
        ];
        let problems = plan_areas(rows, |_| None).unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.row, p.field)).collect();
        assert_eq!(got, [(1, "parent_code"), (2, "level"), (3, "code")]);
        assert_eq!(problems[0].reason, "unknown parent code 9");
    }

    #[test]
    fn a_cycle_is_named() {
        let rows = vec![row("a", Some("b"), AreaLevel::Street), row("b", Some("a"), AreaLevel::Street)];
        let problems = plan_areas(rows, |_| None).unwrap_err();
        assert!(problems.iter().any(|p| p.reason.contains("cycle")), "{problems:?}");
    }

    #[test]
    fn existing_areas_cannot_move() {
        let rows = vec![row("2", Some("3"), AreaLevel::District)];
        let known = |c: &AreaCode| match c.as_str() {
            "2" => {
                Some(KnownArea { parent: Some(AreaCode::parse("1").unwrap()), level: AreaLevel::District })
            }
            "3" => Some(KnownArea { parent: None, level: AreaLevel::City }),
            _ => None,
        };
        let problems = plan_areas(rows, known).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].reason.contains("already under 1"));
    }

    #[test]
    fn codes_are_checked() {
        assert!(AreaCode::parse("150102001001").is_ok());
        assert!(AreaCode::parse("").is_err());
        assert!(AreaCode::parse("a/b").is_err());
        assert!(AreaCode::parse("../x").is_err());
        assert!(AreaCode::parse(&"9".repeat(41)).is_err());
    }

    #[test]
    fn levels_parse_in_english_and_chinese() {
        assert_eq!(AreaLevel::parse("Building").unwrap(), AreaLevel::Building);
        assert_eq!(AreaLevel::parse("小区").unwrap(), AreaLevel::Compound);
        assert!(AreaLevel::parse("province").is_err());
    }

    #[test]
    fn roll_up_adds_households_into_every_ancestor() {
        let city = AreaPath::root().child(1);
        let building = city.child(2).child(3);
        let groups =
            [(building.child(10), 3, 1), (building.child(11), 2, 0), (city.child(4).child(12), 1, 1)];
        let out = roll_up_households(&groups);
        assert_eq!(out[&1], AreaStats { residents: 6, households: 3, vulnerable: 2 });
        assert_eq!(out[&3], AreaStats { residents: 5, households: 2, vulnerable: 1 });
        assert!(!out.contains_key(&10), "households are not rolled into themselves");
    }

    proptest! {
        /// A path's lineage is every path that contains it, root first.
        #[test]
        fn lineage_is_every_ancestor(a in proptest::collection::vec(0i64..5000, 1..6)) {
            let p = a.iter().fold(AreaPath::root(), |p, id| p.child(*id));
            let lineage = p.lineage();
            prop_assert_eq!(lineage.len(), a.len());
            prop_assert_eq!(lineage.last(), Some(&p));
            for (i, l) in lineage.iter().enumerate() {
                prop_assert!(l.contains(&p));
                prop_assert_eq!(l.ids().count(), i + 1);
            }
        }

        /// A path's subtree range holds exactly the paths that descend from it.
        #[test]
        fn subtree_range_is_exactly_the_descendants(
            a in proptest::collection::vec(0i64..5000, 1..5),
            b in proptest::collection::vec(0i64..5000, 1..5),
        ) {
            let build = |ids: &[i64]| ids.iter().fold(AreaPath::root(), |p, &id| p.child(id));
            let (pa, pb) = (build(&a), build(&b));
            let (lo, hi) = pa.subtree_range();
            let in_range = lo.as_str() <= pb.as_str() && pb.as_str() < hi.as_str();
            prop_assert_eq!(in_range, b.starts_with(&a));
            prop_assert_eq!(pa.contains(&pb), b.starts_with(&a));
            prop_assert_eq!(pb.ids().collect::<Vec<_>>(), b);
        }
    }
}
