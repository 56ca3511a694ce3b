//! Mass testing (全员核酸): tube results, the pooling a tier allows, and the pool-size advisor.
//!
//! Pooling is data: each tier of a [`Profile`] says how many people one tube may hold and
//! whether a household may share a tube whatever that number (单管单检 / 一户一管 in sealed zones,
//! 10 混 1 in controlled, 20 混 1 in precaution). The advisor compares the classic schemes on
//! expected tests per person, so a command can choose the pool size from a zone's prevalence.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;
pub use crate::protocol::pooling::{DILUTION_LIMIT, Pooling};
use crate::protocol::{Profile, Tier};

/// What a lab reported for one tube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TubeResult {
    /// 阴性
    Negative,
    /// 阳性 (a pooled tube: 混管阳性, every member is retested alone)
    Positive,
    /// 无效: the sample cannot be read; everyone in it is sampled again.
    Invalid,
}

impl TubeResult {
    pub fn as_str(self) -> &'static str {
        match self {
            TubeResult::Negative => "negative",
            TubeResult::Positive => "positive",
            TubeResult::Invalid => "invalid",
        }
    }

    /// The file's word for it, in English or Chinese.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "negative" | "阴性" | "neg" => Ok(TubeResult::Negative),
            "positive" | "阳性" | "pos" => Ok(TubeResult::Positive),
            "invalid" | "无效" => Ok(TubeResult::Invalid),
            other => Err(DomainError::invalid(
                "result",
                format!("{other:?} is not a result: use negative, positive or invalid"),
            )),
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            TubeResult::Negative => "阴性",
            TubeResult::Positive => "阳性",
            TubeResult::Invalid => "无效",
        }
    }
}

impl Profile {
    /// The pooling for people whose home is under `tier` (none: outside every zone).
    pub fn pooling(&self, tier: Option<Tier>) -> Pooling {
        let outside = Pooling { max: self.pool_limit, household: false };
        match tier.and_then(|t| self.rule(t)) {
            Some(rule) => rule.pooling.unwrap_or(outside),
            None => outside,
        }
    }
}

/// Why a tube breaks the pooling of its strictest member's tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TubeProblem {
    TooMany { size: u32, max: u32 },
    Households { households: u32, max: u32 },
}

impl std::fmt::Display for TubeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TubeProblem::TooMany { size, max } => {
                write!(f, "holds {size} people where at most {max} may share a tube")
            }
            TubeProblem::Households { households, max: 1 } => write!(
                f,
                "holds people from {households} households where each household is tested in its own tube"
            ),
            TubeProblem::Households { households, max } => {
                write!(f, "holds people from {households} households where at most {max} may share a tube")
            }
        }
    }
}

/// Checks one tube of `size` people from `households` households against `rule`, the pooling
/// of the strictest tier among its members' homes.
pub fn check_tube(size: u32, households: u32, rule: Pooling) -> Result<(), TubeProblem> {
    if size <= rule.max.max(1) {
        return Ok(());
    }
    if rule.household {
        if households <= 1 {
            return if size <= DILUTION_LIMIT {
                Ok(())
            } else {
                Err(TubeProblem::TooMany { size, max: DILUTION_LIMIT })
            };
        }
        return Err(TubeProblem::Households { households, max: rule.max });
    }
    Err(TubeProblem::TooMany { size, max: rule.max })
}

/// The stricter of two poolings: the smaller tube, and a household exception only if both allow it.
pub fn stricter(a: Pooling, b: Pooling) -> Pooling {
    Pooling { max: a.max.min(b.max), household: a.household && b.household }
}

/// Forms tubes from people in the order given (door by door), each with the pooling of their
/// home: a household allowed its own tube gets one (split at the dilution limit); everyone else
/// fills tubes up to their pooling's size, a tube never mixing poolings. Returns the tubes as
/// indexes into `people`.
pub fn plan_tubes<H: PartialEq>(people: &[(H, Pooling)]) -> Vec<Vec<usize>> {
    let mut tubes: Vec<Vec<usize>> = Vec::new();
    let mut open: Vec<(Pooling, usize)> = Vec::new(); // pooling -> index of its open tube
    let mut i = 0;
    while i < people.len() {
        let (home, rule) = &people[i];
        if rule.household {
            let mut j = i;
            while j < people.len() && people[j].0 == *home && people[j].1 == *rule {
                j += 1;
            }
            for chunk in (i..j).collect::<Vec<_>>().chunks(DILUTION_LIMIT as usize) {
                tubes.push(chunk.to_vec());
            }
            i = j;
            continue;
        }
        let max = rule.max.max(1) as usize;
        match open.iter_mut().find(|(p, _)| p == rule) {
            Some((_, t)) if tubes[*t].len() < max => tubes[*t].push(i),
            Some((_, t)) => {
                tubes.push(vec![i]);
                *t = tubes.len() - 1;
            }
            None => {
                tubes.push(vec![i]);
                open.push((*rule, tubes.len() - 1));
            }
        }
        i += 1;
    }
    tubes
}

// ---- the pool-size advisor ----

/// One testing scheme at its best parameters for a prevalence.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Scheme {
    /// `individual`, `dorfman`, `three_stage`, `matrix`, `hypercube`.
    pub scheme: &'static str,
    /// People in one first-stage tube.
    pub pool_size: u32,
    /// Second-stage sub-pool (three-stage only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_pool: Option<u32>,
    /// Expected tests per person.
    pub tests_per_person: f64,
    /// Stages before a positive person is known (turnaround).
    pub stages: u32,
}

/// Dorfman two-stage pooling: a pool of `k`, and every member of a positive pool alone.
/// Expected tests per person `1/k + 1 − (1−p)^k`; `k = 1` is individual testing (1 test).
pub fn dorfman(p: f64, k: u32) -> f64 {
    if k <= 1 {
        return 1.0;
    }
    1.0 / f64::from(k) + 1.0 - (1.0 - p).powi(k as i32)
}

/// The k in 1..=max_pool with the fewest expected Dorfman tests per person (the smallest k on a
/// tie), and that figure.
pub fn best_dorfman(p: f64, max_pool: u32) -> (u32, f64) {
    let mut best = (1, 1.0);
    for k in 2..=max_pool.max(1) {
        let e = dorfman(p, k);
        if e < best.1 {
            best = (k, e);
        }
    }
    best
}

/// Three-stage hierarchical pooling: a pool of `k1`; a positive one is split into sub-pools of
/// `k2`; members of a positive sub-pool alone.
pub fn three_stage(p: f64, k1: u32, k2: u32) -> f64 {
    let q = 1.0 - p;
    1.0 / f64::from(k1) + (1.0 - q.powi(k1 as i32)) / f64::from(k2) + (1.0 - q.powi(k2 as i32))
}

/// Square array (matrix) testing of `n × n` people: one tube per row and per column (each of `n`
/// people), then everyone at a positive row and a positive column alone.
pub fn matrix(p: f64, n: u32) -> f64 {
    let q = 1.0 - p;
    let n_i = n as i32;
    2.0 / f64::from(n) + p + q * (1.0 - q.powi(n_i - 1)).powi(2)
}

/// Hypercube pooling (Mutesa et al., Nature 2021) of `3^d` people: `3d` tubes, each holding
/// `3^(d−1)`; one positive is identified by the pools alone. With two or more, this estimate
/// retests the whole cube, an upper bound.
pub fn hypercube(p: f64, d: u32) -> f64 {
    let n = 3f64.powi(d as i32);
    let q = 1.0 - p;
    let at_most_one = q.powf(n) + n * p * q.powf(n - 1.0);
    (3.0 * f64::from(d) + (1.0 - at_most_one) * n) / n
}

/// Every scheme at its best parameters with tubes of at most `max_pool` people, cheapest first.
pub fn schemes(p: f64, max_pool: u32) -> Vec<Scheme> {
    let max_pool = max_pool.max(1);
    let (k, e) = best_dorfman(p, max_pool);
    let mut out = vec![
        Scheme { scheme: "individual", pool_size: 1, sub_pool: None, tests_per_person: 1.0, stages: 1 },
        Scheme { scheme: "dorfman", pool_size: k, sub_pool: None, tests_per_person: e, stages: 2 },
    ];
    let mut three: Option<Scheme> = None;
    for k1 in 3..=max_pool {
        for k2 in 2..k1 {
            let e = three_stage(p, k1, k2);
            if three.as_ref().is_none_or(|s| e < s.tests_per_person) {
                three = Some(Scheme {
                    scheme: "three_stage",
                    pool_size: k1,
                    sub_pool: Some(k2),
                    tests_per_person: e,
                    stages: 3,
                });
            }
        }
    }
    out.extend(three);
    let mut square: Option<Scheme> = None;
    for n in 2..=max_pool {
        let e = matrix(p, n);
        if square.as_ref().is_none_or(|s| e < s.tests_per_person) {
            square = Some(Scheme {
                scheme: "matrix",
                pool_size: n,
                sub_pool: None,
                tests_per_person: e,
                stages: 2,
            });
        }
    }
    out.extend(square);
    let mut cube: Option<Scheme> = None;
    for d in 2..=6u32 {
        let tube = 3u32.pow(d - 1);
        if tube > max_pool {
            break;
        }
        let e = hypercube(p, d);
        if cube.as_ref().is_none_or(|s| e < s.tests_per_person) {
            cube = Some(Scheme {
                scheme: "hypercube",
                pool_size: tube,
                sub_pool: None,
                tests_per_person: e,
                stages: 2,
            });
        }
    }
    out.extend(cube);
    out.sort_by(|a, b| a.tests_per_person.total_cmp(&b.tests_per_person));
    out
}

/// Checks a prevalence given on the command line or in a form.
pub fn check_prevalence(p: f64) -> Result<f64, DomainError> {
    if p.is_finite() && (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(DomainError::invalid("prevalence", format!("{p} is not a proportion between 0 and 1")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dorfman_matches_the_formula_and_the_known_optimum() {
        // Dorfman (1943): at 1 % prevalence the best pool is 11, about 0.196 tests per person.
        let (k, e) = best_dorfman(0.01, 20);
        assert_eq!(k, 11);
        assert!((e - (1.0 / 11.0 + 1.0 - 0.99f64.powi(11))).abs() < 1e-12);
        assert!((e - 0.1956).abs() < 1e-3);
        // Above about 30 % pooling never pays.
        assert_eq!(best_dorfman(0.35, 20), (1, 1.0));
        // At no prevalence the largest pool wins.
        assert_eq!(best_dorfman(0.0, 20).0, 20);
    }

    #[test]
    fn the_tiers_pool_as_the_profile_says() {
        let p = crate::protocol::builtin().into_iter().find(|p| p.key == "ninth-edition").unwrap();
        assert_eq!(p.pooling(Some(Tier::Sealed)), Pooling { max: 1, household: true });
        assert_eq!(p.pooling(Some(Tier::Controlled)).max, 10);
        assert_eq!(p.pooling(Some(Tier::Precaution)).max, 20);
        assert_eq!(p.pooling(None).max, 20);
    }

    #[test]
    fn a_tube_is_checked_against_its_strictest_member() {
        let sealed = Pooling { max: 1, household: true };
        assert_eq!(check_tube(1, 1, sealed), Ok(()));
        assert_eq!(check_tube(4, 1, sealed), Ok(()), "one tube per household");
        assert_eq!(check_tube(2, 2, sealed), Err(TubeProblem::Households { households: 2, max: 1 }));
        let controlled = Pooling { max: 10, household: false };
        assert_eq!(check_tube(10, 10, controlled), Ok(()));
        assert_eq!(check_tube(11, 3, controlled), Err(TubeProblem::TooMany { size: 11, max: 10 }));
        assert_eq!(stricter(sealed, controlled), Pooling { max: 1, household: false });
        assert_eq!(
            TubeProblem::Households { households: 2, max: 1 }.to_string(),
            "holds people from 2 households where each household is tested in its own tube"
        );
    }

    #[test]
    fn the_schemes_beat_dorfman_where_they_should() {
        let s = schemes(0.001, 20);
        assert_eq!(s.len(), 5);
        let get = |name: &str| s.iter().find(|x| x.scheme == name).unwrap().tests_per_person;
        // At low prevalence three stages and arrays save tests over two.
        assert!(get("three_stage") < get("dorfman"));
        assert!(get("dorfman") < get("individual"));
        // A hypercube needs 3^(d-1) <= 20: d <= 3.
        assert!(s.iter().find(|x| x.scheme == "hypercube").unwrap().pool_size <= 20);
        // Sorted cheapest first.
        assert!(s.windows(2).all(|w| w[0].tests_per_person <= w[1].tests_per_person));
    }

    #[test]
    fn tubes_are_planned_by_each_home_s_pooling() {
        let sealed = Pooling { max: 1, household: true };
        let ten = Pooling { max: 10, household: false };
        let twenty = Pooling { max: 20, household: false };
        let mut people = vec![("h1", sealed), ("h1", sealed), ("h2", sealed)];
        people.extend((0..12).map(|_| ("h3", ten)));
        people.extend((0..25).map(|_| ("h4", twenty)));
        let tubes = plan_tubes(&people);
        let sizes: Vec<usize> = tubes.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![2, 1, 10, 2, 20, 5]);
    }

    proptest! {
        #[test]
        fn planned_tubes_keep_to_every_member_s_pooling(
            homes in proptest::collection::vec((0u8..6, 0u8..3), 0..200)
        ) {
            let rules = [Pooling { max: 1, household: true }, Pooling { max: 10, household: false }, Pooling { max: 20, household: false }];
            let mut people: Vec<(u8, Pooling)> = homes.iter().map(|(h, r)| (*h, rules[*r as usize])).collect();
            // Door by door: a household's people together.
            people.sort_by_key(|(h, p)| (*h, p.max));
            let tubes = plan_tubes(&people);
            let mut seen: Vec<usize> = tubes.iter().flatten().copied().collect();
            seen.sort_unstable();
            prop_assert_eq!(seen, (0..people.len()).collect::<Vec<_>>());
            for t in &tubes {
                let size = t.len() as u32;
                let households = { let mut h: Vec<u8> = t.iter().map(|&i| people[i].0).collect(); h.dedup(); h.len() as u32 };
                let rule = t.iter().map(|&i| people[i].1).reduce(stricter).unwrap();
                prop_assert!(check_tube(size, households, rule).is_ok(), "{:?}", t);
            }
        }

        #[test]
        fn best_dorfman_is_the_minimum(p in 0.0f64..0.5, max in 1u32..40) {
            let (k, e) = best_dorfman(p, max);
            prop_assert!(k >= 1 && k <= max);
            for j in 1..=max {
                prop_assert!(e <= dorfman(p, j) + 1e-12);
            }
            prop_assert!(e <= 1.0);
        }

        #[test]
        fn expected_tests_grow_with_prevalence(p in 0.0f64..0.49, k in 2u32..30) {
            prop_assert!(dorfman(p, k) <= dorfman(p + 0.01, k) + 1e-12);
            prop_assert!(dorfman(p, k) >= 1.0 / f64::from(k) - 1e-12);
        }

        #[test]
        fn a_tube_within_the_limit_is_always_allowed(max in 1u32..21, size in 1u32..21, households in 1u32..21, household: bool) {
            let households = households.min(size);
            let rule = Pooling { max, household };
            let ok = check_tube(size, households, rule).is_ok();
            prop_assert_eq!(ok, size <= max || (household && households == 1));
        }
    }
}
