//! The workforce and 包联: cadres and party members who report in (报到), the units each answers
//! for, the coverage rules every unit is held to, and suggestions that close the gaps.
//!
//! Coverage is a pure function of the units (areas at a level, quarantine sites), the tier over
//! each, the leaders answering for each now, and the rules (data in the profile: which units
//! need a responsible leader, of what rank, for how many residents at most). Suggestions match
//! gaps to workers on hand by a minimum-cost assignment (Kuhn–Munkres), street by street: the
//! nearest community first, the least loaded among equals, each worker once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::area::{AreaLevel, AreaPath};
use crate::error::DomainError;
use crate::protocol::Tier;
pub use crate::protocol::coverage::{CoverageRule, Rank, check_rules, default_rules};

/// A worker as `workers.csv` gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRow {
    pub worker_id: String,
    pub name: String,
    pub phone: Option<crate::Phone>,
    pub organisation: String,
    pub party_member: bool,
    pub rank: Rank,
}

/// Checks a worker id: what a roster system would print (letters, digits, `-`, `_`).
pub fn check_worker_id(s: &str) -> Result<String, DomainError> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(DomainError::invalid("worker_id", "1 to 64 letters, digits, '-' or '_'"));
    }
    Ok(s.to_owned())
}

/// Checks a worker's name: 1 to 50 characters once trimmed.
pub fn check_worker_name(s: &str) -> Result<String, DomainError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 50 {
        return Err(DomainError::invalid("name", "must be 1 to 50 characters"));
    }
    Ok(s.to_owned())
}

/// `true`/`false` as formats.md writes it, and what a spreadsheet in Chinese writes.
/// 值班电话: a post's official line as written on a notice — a mobile (13812345678), a landline
/// with its area code (0471-6961234) or a hotline (12345) — kept as typed, with its digits
/// checked. A string, not a number: the dash is how people read it.
pub fn duty_phone(s: &str) -> Result<String, String> {
    let s = s.trim();
    if !s.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')')) {
        return Err(format!("{s:?}: digits, and - + ( ) or spaces between them"));
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if !(5..=15).contains(&digits) {
        return Err(format!("{s:?} has {digits} digits: a phone number has 5 to 15"));
    }
    Ok(s.to_owned())
}

pub fn parse_bool(field: &'static str, s: &str) -> Result<bool, DomainError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "是" | "y" => Ok(true),
        "false" | "0" | "no" | "否" | "n" | "" => Ok(false),
        other => Err(DomainError::invalid(field, format!("{other:?} is neither true nor false"))),
    }
}

/// What a worker is for a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Post {
    /// 包联负责人: answers for the unit.
    Leader,
    /// A member of the unit's team (a temporary party branch's member, a gate's cadre).
    Member,
}

impl Post {
    pub fn as_str(self) -> &'static str {
        match self {
            Post::Leader => "leader",
            Post::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Post> {
        match s {
            "leader" => Some(Post::Leader),
            "member" => Some(Post::Member),
            _ => None,
        }
    }
}

/// A spell of a worker answering for a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spell {
    pub worker_id: String,
    pub post: Post,
    pub from: DateTime<Utc>,
    /// None: until further notice.
    pub until: Option<DateTime<Utc>>,
}

impl Spell {
    pub fn overlaps(&self, other: &Spell) -> bool {
        let ends_after = |end: Option<DateTime<Utc>>, start: DateTime<Utc>| end.is_none_or(|e| e > start);
        ends_after(self.until, other.from) && ends_after(other.until, self.from)
    }

    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && self.until.is_none_or(|u| at < u)
    }
}

/// Checks a new spell against the unit's spells: an end after its start, and not a second
/// spell of the same worker, nor a second leader, over the same time.
pub fn check_spell(new: &Spell, unit_spells: &[Spell], unit: &str) -> Result<(), DomainError> {
    if new.until.is_some_and(|u| u <= new.from) {
        return Err(DomainError::invalid("until", "an assignment ends after it starts"));
    }
    for s in unit_spells.iter().filter(|s| s.overlaps(new)) {
        if s.worker_id == new.worker_id {
            return Err(DomainError::invalid(
                "worker_id",
                format!("{} already answers for {unit} over that time", new.worker_id),
            ));
        }
        if s.post == Post::Leader && new.post == Post::Leader {
            return Err(DomainError::invalid(
                "post",
                format!(
                    "{unit} has a responsible leader over that time ({}); end that assignment first",
                    s.worker_id
                ),
            ));
        }
    }
    Ok(())
}

/// A unit as coverage sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// An area code or a quarantine site's id.
    pub key: String,
    pub name: String,
    /// None: a quarantine site.
    pub level: Option<AreaLevel>,
    /// The area's path, or the path of the area a site is in.
    pub path: AreaPath,
    /// The strictest tier over the unit now.
    pub tier: Option<Tier>,
    pub residents: i64,
}

/// One worker answering for a unit now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answering {
    pub rank: Rank,
    pub post: Post,
}

/// How a unit breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// No responsible leader (of the rank the rule asks for).
    NoLeader,
    /// Fewer workers than its residents call for.
    Understaffed,
}

/// A unit that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Gap {
    /// Index into the units given.
    pub unit: usize,
    pub rule: String,
    pub kind: GapKind,
    pub residents: i64,
    /// A leader (1), or the team the residents call for; and what the unit has.
    pub needed: u32,
    pub have: u32,
}

impl Gap {
    pub fn missing(&self) -> u32 {
        self.needed.saturating_sub(self.have)
    }
}

impl CoverageRule {
    pub fn holds(&self, u: &Unit) -> bool {
        match u.level {
            None => self.sites,
            Some(level) => {
                self.levels.contains(&level)
                    && (self.tiers.is_empty() || u.tier.is_some_and(|t| self.tiers.contains(&t)))
            }
        }
    }

    /// Workers (leader and members) the unit needs under this rule.
    pub fn team(&self, u: &Unit) -> u32 {
        match self.residents_per_worker {
            Some(per) if u.residents > 0 => {
                u32::try_from((u.residents + i64::from(per) - 1) / i64::from(per)).unwrap_or(u32::MAX)
            }
            _ => 1,
        }
    }
}

/// The least rank that may lead `unit`: the strictest of the rules that hold it, with the rule
/// that asks it; staff where no rule holds it (a volunteer never leads by default).
pub fn leader_floor<'r>(rules: &'r [CoverageRule], unit: &Unit) -> (Rank, Option<&'r CoverageRule>) {
    rules
        .iter()
        .filter(|r| r.holds(unit))
        .map(|r| (r.min_leader_rank(), Some(r)))
        // Ranks order most senior first: the strictest is the least.
        .min_by_key(|(rank, _)| *rank)
        .unwrap_or((Rank::Staff, None))
}

/// Every unit that breaks a rule now, worst first: most residents without a leader, then the
/// larger shortfall, then by key.
pub fn coverage(
    units: &[Unit],
    answering: &HashMap<&str, Vec<Answering>>,
    rules: &[CoverageRule],
) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let none = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let team = answering.get(u.key.as_str()).unwrap_or(&none);
        for r in rules.iter().filter(|r| r.holds(u)) {
            let led = team.iter().any(|a| a.post == Post::Leader && a.rank.at_least(r.min_leader_rank()));
            let gap = |kind, needed, have| Gap {
                unit: i,
                rule: r.key.clone(),
                kind,
                residents: u.residents,
                needed,
                have,
            };
            if !led {
                gaps.push(gap(GapKind::NoLeader, 1, 0));
            }
            let needed = r.team(u);
            let have = u32::try_from(team.len()).unwrap_or(u32::MAX);
            if needed > 1 && have < needed {
                gaps.push(gap(GapKind::Understaffed, needed, have));
            }
        }
    }
    gaps.sort_by(|a, b| {
        let uncovered = |g: &Gap| if g.kind == GapKind::NoLeader { g.residents } else { 0 };
        uncovered(b)
            .cmp(&uncovered(a))
            .then(b.missing().cmp(&a.missing()))
            .then(b.residents.cmp(&a.residents))
            .then(units[a.unit].key.cmp(&units[b.unit].key))
            .then(a.rule.cmp(&b.rule))
    });
    gaps
}

/// Coverage in per cent of the units a rule holds, by tier (None: outside every zone).
pub fn covered_share(units: &[Unit], gaps: &[Gap]) -> Vec<(Option<Tier>, i64, i64)> {
    let mut by: Vec<(Option<Tier>, i64, i64)> = Vec::new();
    let gapped: std::collections::HashSet<usize> = gaps.iter().map(|g| g.unit).collect();
    for (i, u) in units.iter().enumerate() {
        let slot = match by.iter_mut().find(|(t, _, _)| *t == u.tier) {
            Some(s) => s,
            None => {
                by.push((u.tier, 0, 0));
                by.last_mut().expect("just pushed")
            }
        };
        slot.1 += 1;
        if !gapped.contains(&i) {
            slot.2 += 1;
        }
    }
    by.sort_by_key(|(t, _, _)| std::cmp::Reverse(t.map_or(0, |t| t.strictness())));
    by
}

/// A worker who could take a gap: reported in to a community today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub worker_id: String,
    pub rank: Rank,
    /// The community they reported to.
    pub community: AreaPath,
    /// Residents of the units they already lead.
    pub load: i64,
}

/// A proposed assignment: candidate `worker` (index) as leader of gap `gap` (index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suggestion {
    pub gap: usize,
    pub worker: usize,
    /// Steps up and down the area tree from their community to the unit (0: the same).
    pub distance: u32,
}

/// Steps between two areas through their lowest common ancestor.
pub fn tree_distance(a: &AreaPath, b: &AreaPath) -> u32 {
    let (x, y): (Vec<i64>, Vec<i64>) = (a.ids().collect(), b.ids().collect());
    let common = x.iter().zip(&y).take_while(|(p, q)| p == q).count();
    u32::try_from(x.len() + y.len() - 2 * common).unwrap_or(u32::MAX)
}

/// Farther than this (in tree steps) is not proposed: a worker answers for a unit near where
/// they reported (their community's street and below, from a community: up 2, down 3).
pub const MAX_DISTANCE: u32 = 6;

/// Leaders for the gaps: each gap's missing leaders from the candidates of the rank it needs,
/// each candidate at most once, minimising the total distance and then the load (so the nearest
/// and least loaded go first), solved exactly per street by Kuhn–Munkres. `streets` gives each
/// gap's street path (the partition), `rank` the rank a gap needs.
pub fn suggest(
    gaps: &[(AreaPath, Option<Rank>, u32)],
    candidates: &[Candidate],
    street_of: impl Fn(&AreaPath) -> Option<AreaPath>,
) -> Vec<Suggestion> {
    use pathfinding::prelude::{Matrix, kuhn_munkres_min};
    // Partition gaps and candidates by street.
    let mut streets: HashMap<AreaPath, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (i, (path, _, _)) in gaps.iter().enumerate() {
        if let Some(s) = street_of(path) {
            streets.entry(s).or_default().0.push(i);
        }
    }
    for (j, c) in candidates.iter().enumerate() {
        if let Some(s) = street_of(&c.community)
            && let Some(e) = streets.get_mut(&s)
        {
            e.1.push(j);
        }
    }
    let mut keys: Vec<&AreaPath> = streets.keys().collect();
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        let (gap_ids, cand_ids) = &streets[key];
        // A gap short of k leaders is k slots.
        let slots: Vec<usize> =
            gap_ids.iter().flat_map(|&g| std::iter::repeat_n(g, gaps[g].2 as usize)).collect();
        if slots.is_empty() || cand_ids.is_empty() {
            continue;
        }
        // Rows: the smaller side, as the algorithm wants.
        let rows_are_slots = slots.len() <= cand_ids.len();
        let (nr, nc) =
            if rows_are_slots { (slots.len(), cand_ids.len()) } else { (cand_ids.len(), slots.len()) };
        // Not allowed pairs cost more than any allowed set of pairs, so they are taken only
        // when nothing else fills the row, and are dropped afterwards.
        let forbidden: i64 = 1 << 40;
        let mut m = Matrix::new(nr, nc, forbidden);
        let max_load = cand_ids.iter().map(|&j| candidates[j].load).max().unwrap_or(0).max(1);
        for (si, &g) in slots.iter().enumerate() {
            let (path, rank, _) = &gaps[g];
            for (ci, &j) in cand_ids.iter().enumerate() {
                let c = &candidates[j];
                if rank.is_some_and(|r| !c.rank.at_least(r)) {
                    continue;
                }
                let d = tree_distance(&c.community, path);
                if d > MAX_DISTANCE {
                    continue;
                }
                // Distance first; load breaks ties (scaled below one step).
                let cost = i64::from(d) * 1_000_000 + c.load * 999_999 / max_load;
                if rows_are_slots {
                    m[(si, ci)] = cost;
                } else {
                    m[(ci, si)] = cost;
                }
            }
        }
        let (_, assignment) = kuhn_munkres_min(&m);
        for (r, &c) in assignment.iter().enumerate() {
            let (si, ci) = if rows_are_slots { (r, c) } else { (c, r) };
            let cost = m[(r, c)];
            if cost >= forbidden {
                continue;
            }
            let g = slots[si];
            let j = cand_ids[ci];
            out.push(Suggestion {
                gap: g,
                worker: j,
                distance: tree_distance(&candidates[j].community, &gaps[g].0),
            });
        }
    }
    out.sort_by_key(|s| (s.gap, s.worker));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duty_phones_are_read_as_written() {
        assert_eq!(duty_phone(" 0471-6961234 ").unwrap(), "0471-6961234");
        assert_eq!(duty_phone("12345").unwrap(), "12345");
        assert!(duty_phone("1234").unwrap_err().contains("4 digits"));
        assert!(duty_phone("call 110").unwrap_err().contains("digits"));
    }
    use proptest::prelude::*;

    fn path(ids: &[i64]) -> AreaPath {
        ids.iter().fold(AreaPath::root(), |p, &i| p.child(i))
    }

    fn unit(key: &str, level: Option<AreaLevel>, ids: &[i64], tier: Option<Tier>, residents: i64) -> Unit {
        Unit { key: key.into(), name: key.into(), level, path: path(ids), tier, residents }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn ranks_read_in_both_languages() {
        assert_eq!(Rank::parse("处级").unwrap(), Rank::Division);
        assert_eq!(Rank::parse(" Division ").unwrap(), Rank::Division);
        assert_eq!(Rank::parse("").unwrap(), Rank::Volunteer);
        assert!(Rank::parse("general").unwrap_err().to_string().contains("not a rank"));
        assert!(Rank::Bureau.at_least(Rank::Division) && !Rank::Section.at_least(Rank::Division));
        assert!(parse_bool("party_member", "是").unwrap());
        assert!(parse_bool("party_member", "maybe").is_err());
    }

    #[test]
    fn spells_refuse_a_second_leader_and_an_end_before_the_start() {
        let a = Spell {
            worker_id: "W1".into(),
            post: Post::Leader,
            from: t("2022-02-10T00:00:00Z"),
            until: None,
        };
        let b = Spell { worker_id: "W2".into(), ..a.clone() };
        assert!(
            check_spell(&b, std::slice::from_ref(&a), "3号楼")
                .unwrap_err()
                .to_string()
                .contains("responsible leader")
        );
        let member = Spell { post: Post::Member, ..b.clone() };
        assert!(check_spell(&member, std::slice::from_ref(&a), "3号楼").is_ok());
        let twice = Spell { post: Post::Member, ..a.clone() };
        assert!(
            check_spell(&twice, std::slice::from_ref(&a), "3号楼")
                .unwrap_err()
                .to_string()
                .contains("already answers")
        );
        let ended = Spell { until: Some(t("2022-02-12T00:00:00Z")), ..a.clone() };
        let after = Spell { from: t("2022-02-12T00:00:00Z"), ..b.clone() };
        assert!(
            check_spell(&after, std::slice::from_ref(&ended), "3号楼").is_ok(),
            "a handover at the same instant"
        );
        let backwards = Spell { until: Some(t("2022-02-09T00:00:00Z")), ..b };
        assert!(check_spell(&backwards, &[], "3号楼").unwrap_err().to_string().contains("ends after"));
    }

    #[test]
    fn each_default_rule_opens_its_gaps() {
        let rules = default_rules();
        check_rules(&rules).unwrap();
        let units = vec![
            unit("street", Some(AreaLevel::Street), &[1, 2], None, 13_000),
            unit("sealed-building", Some(AreaLevel::Building), &[1, 2, 3, 4, 5], Some(Tier::Sealed), 120),
            unit("open-building", Some(AreaLevel::Building), &[1, 2, 3, 4, 6], Some(Tier::Precaution), 90),
            unit("hotel", None, &[1, 2], None, 40),
        ];
        let mut leaders: HashMap<&str, Vec<Answering>> = HashMap::new();
        // The street is led by a section chief, with one member: it needs a division-level
        // leader, and three workers for 13,000 residents.
        let a = |rank, post| Answering { rank, post };
        leaders.insert("street", vec![a(Rank::Section, Post::Leader), a(Rank::Staff, Post::Member)]);
        let gaps = coverage(&units, &leaders, &rules);
        let keys: Vec<(&str, GapKind, u32, u32)> =
            gaps.iter().map(|g| (units[g.unit].key.as_str(), g.kind, g.needed, g.have)).collect();
        use GapKind::{NoLeader, Understaffed};
        assert_eq!(
            keys,
            [
                ("street", NoLeader, 1, 0),
                ("sealed-building", NoLeader, 1, 0),
                ("hotel", NoLeader, 1, 0),
                ("street", Understaffed, 3, 2)
            ]
        );
        let team = vec![
            a(Rank::Division, Post::Leader),
            a(Rank::Staff, Post::Member),
            a(Rank::Volunteer, Post::Member),
        ];
        leaders.insert("street", team);
        assert!(coverage(&units, &leaders, &rules).iter().all(|g| units[g.unit].key != "street"));
        // A zone that becomes sealed opens a gap at once; a leader closes it.
        let mut sealed_now = units.clone();
        sealed_now[2].tier = Some(Tier::Sealed);
        assert_eq!(coverage(&sealed_now, &leaders, &rules).len(), 3);
        // A volunteer made its leader does not close it (the rule asks staff or above).
        leaders.insert("open-building", vec![a(Rank::Volunteer, Post::Leader)]);
        assert_eq!(coverage(&sealed_now, &leaders, &rules).len(), 3);
        leaders.insert("open-building", vec![a(Rank::Staff, Post::Leader)]);
        assert_eq!(coverage(&sealed_now, &leaders, &rules).len(), 2);
        let shares = covered_share(&units, &gaps);
        assert_eq!(shares[0], (Some(Tier::Sealed), 1, 0));
    }

    #[test]
    fn rules_are_checked() {
        let mut r = default_rules();
        r.push(r[0].clone());
        assert!(check_rules(&r).is_err());
        let mut r = default_rules();
        r[0].levels = vec![AreaLevel::Household];
        assert!(check_rules(&r).is_err());
    }

    #[test]
    fn suggestions_take_the_nearest_then_the_least_loaded() {
        let street = |p: &AreaPath| p.ids().nth(1).map(|_| path(&p.ids().take(2).collect::<Vec<_>>()));
        let gaps = vec![(path(&[1, 2, 3, 10]), None, 1), (path(&[1, 2, 4, 11]), Some(Rank::Division), 1)];
        let cand = |id: &str, rank, c: &[i64], load| Candidate {
            worker_id: id.into(),
            rank,
            community: path(c),
            load,
        };
        let candidates = vec![
            cand("far", Rank::Division, &[1, 2, 4], 0),
            cand("near-busy", Rank::Staff, &[1, 2, 3], 5000),
            cand("near-idle", Rank::Staff, &[1, 2, 3], 100),
            cand("other-street", Rank::Bureau, &[1, 9, 3], 0),
        ];
        let s = suggest(&gaps, &candidates, street);
        let picked: Vec<(usize, &str)> =
            s.iter().map(|s| (s.gap, candidates[s.worker].worker_id.as_str())).collect();
        assert_eq!(picked, [(0, "near-idle"), (1, "far")]);
    }

    #[test]
    fn a_volunteer_leads_only_where_the_profile_says_so() {
        let rules = default_rules();
        let sealed = unit("c1", Some(AreaLevel::Compound), &[1, 2, 3, 4], Some(Tier::Sealed), 800);
        let (floor, rule) = leader_floor(&rules, &sealed);
        assert_eq!((floor, rule.map(|r| r.key.as_str())), (Rank::Staff, Some("zones")));
        let led_by = |rank| {
            let team = HashMap::from([("c1", vec![Answering { rank, post: Post::Leader }])]);
            coverage(std::slice::from_ref(&sealed), &team, &rules).is_empty()
        };
        assert!(led_by(Rank::Staff) && !led_by(Rank::Volunteer), "a volunteer leader leaves the gap open");
        let street = unit("s1", Some(AreaLevel::Street), &[1, 2], None, 100);
        assert_eq!(leader_floor(&rules, &street).0, Rank::Division);
        // A unit no rule holds: staff or above all the same.
        let quiet = unit("c2", Some(AreaLevel::Compound), &[1, 2, 3, 5], None, 10);
        assert_eq!(leader_floor(&rules, &quiet), (Rank::Staff, None));
        // A profile that lets volunteers lead sealed compounds says so in its rule.
        let mut lenient = rules.clone();
        lenient[1].leader_rank = Some(Rank::Volunteer);
        assert_eq!(leader_floor(&lenient, &sealed).0, Rank::Volunteer);
    }

    proptest! {
        /// The floor is the strictest rule's: whoever meets it meets every rule that holds the
        /// unit, and someone below it fails one of them (or the staff default).
        #[test]
        fn the_leader_floor_meets_every_rule(
            ranks in prop::collection::vec(prop::option::of(0usize..5), 1..4),
            level in 0usize..3,
            sealed in any::<bool>(),
            rank in 0usize..5,
        ) {
            let levels = [AreaLevel::Street, AreaLevel::Compound, AreaLevel::Building];
            let rules: Vec<CoverageRule> = ranks.iter().enumerate().map(|(i, r)| CoverageRule {
                key: format!("r{i}"),
                leader_rank: r.map(|r| Rank::ALL[r]),
                levels: vec![levels[(level + i) % 3]],
                tiers: if i % 2 == 1 { vec![Tier::Sealed] } else { vec![] },
                ..default_rules()[0].clone()
            }).collect();
            let u = unit("u", Some(levels[level]), &[1, 2, 3], sealed.then_some(Tier::Sealed), 100);
            let (floor, _) = leader_floor(&rules, &u);
            let rank = Rank::ALL[rank];
            let meets_all = rules.iter().filter(|r| r.holds(&u)).all(|r| rank.at_least(r.min_leader_rank()));
            let holds_any = rules.iter().any(|r| r.holds(&u));
            prop_assert_eq!(rank.at_least(floor), if holds_any { meets_all } else { rank.at_least(Rank::Staff) });
        }

        /// Whatever the input: each worker at most once, no gap over its missing count, every
        /// pair allowed (rank, distance, same street), and no gap left open while an unused
        /// candidate could have filled it.
        #[test]
        fn suggestions_are_valid_and_maximal(
            gaps in prop::collection::vec((0i64..3, 0i64..4, 0u32..2, 1u32..3), 0..12),
            cands in prop::collection::vec((0i64..3, 0i64..4, 0usize..5, 0i64..10_000), 0..15),
        ) {
            let street = |p: &AreaPath| Some(path(&p.ids().take(2).collect::<Vec<_>>()));
            let gaps: Vec<(AreaPath, Option<Rank>, u32)> = gaps
                .into_iter()
                .map(|(s, c, r, k)| (path(&[1, s, c, 100]), (r == 1).then_some(Rank::Division), k))
                .collect();
            let candidates: Vec<Candidate> = cands
                .into_iter()
                .enumerate()
                .map(|(i, (s, c, r, load))| Candidate { worker_id: format!("W{i}"), rank: Rank::ALL[r], community: path(&[1, s, c]), load })
                .collect();
            let out = suggest(&gaps, &candidates, street);
            let mut used = std::collections::HashSet::new();
            let mut filled = vec![0u32; gaps.len()];
            for s in &out {
                prop_assert!(used.insert(s.worker), "worker {} twice", s.worker);
                filled[s.gap] += 1;
                let (p, rank, _) = &gaps[s.gap];
                let c = &candidates[s.worker];
                prop_assert!(rank.is_none_or(|r| c.rank.at_least(r)));
                prop_assert!(tree_distance(&c.community, p) <= MAX_DISTANCE);
                prop_assert_eq!(street(p), street(&c.community));
            }
            for (g, (p, rank, k)) in gaps.iter().enumerate() {
                prop_assert!(filled[g] <= *k);
                if filled[g] < *k {
                    let could = candidates.iter().enumerate().any(|(j, c)| !used.contains(&j)
                        && rank.is_none_or(|r| c.rank.at_least(r)) && street(p) == street(&c.community)
                        && tree_distance(&c.community, p) <= MAX_DISTANCE);
                    prop_assert!(!could, "gap {} left open beside a free candidate", g);
                }
            }
        }
    }
}
