//! Effective tiers: zones nest, and a person lives under the strictest zone on their household
//! and its ancestors. From the active zones alone (tens of thousands) and the resident counts
//! the areas keep, the figures of a briefing — "共封控、管控 N 人" — come out without touching
//! the people; the per-person sweep is there for lists and for checking the figures.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::protocol::{Escalation, Tier};
use crate::{AreaCode, AreaLevel, AreaPath};

/// An active zone as the figures need it: where, how strict, and how many live under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneCover {
    pub path: AreaPath,
    pub tier: Tier,
    /// Residents of the zone's whole area.
    pub residents: i64,
}

/// People and zones by tier, indexed by [`Tier::index`] (sealed, controlled, precaution).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TierFigures {
    /// Residents whose effective tier is each tier: every person counted once, at the
    /// strictest zone above them.
    pub residents: [i64; 3],
    /// Zones drawn at each tier that cover some of the scope.
    pub zones: [i64; 3],
}

impl TierFigures {
    /// Sealed and controlled together: the figure briefings quote.
    pub fn sealed_or_controlled(&self) -> i64 {
        self.residents[Tier::Sealed.index()] + self.residents[Tier::Controlled.index()]
    }
}

/// The figures of `scope` (with `scope_residents` living in it) from the active zones, in
/// O(zones · log zones). A zone on the scope or above it covers the whole scope; zones outside
/// it are left out. Nested zones are counted once, at the stricter tier.
pub fn tier_figures(zones: &[ZoneCover], scope: &AreaPath, scope_residents: i64) -> TierFigures {
    let mut figures = TierFigures::default();
    let mut above: Option<Tier> = None;
    let mut inside: Vec<&ZoneCover> = Vec::new();
    for z in zones {
        if z.path.contains(scope) {
            above = Tier::strictest(above, Some(z.tier));
            figures.zones[z.tier.index()] += 1;
        } else if scope.contains(&z.path) {
            inside.push(z);
            figures.zones[z.tier.index()] += 1;
        }
    }
    inside.sort_by(|a, b| a.path.cmp(&b.path));

    // Each zone owns its residents minus those of the zones directly inside it; what it owns
    // is counted at its effective tier (its own or the stricter one above).
    struct Open {
        end: usize,
        tier: Option<Tier>,
        owned: i64,
    }
    let mut stack: Vec<Open> = Vec::new();
    fn settle(open: Open, figures: &mut TierFigures) {
        if let Some(t) = open.tier {
            figures.residents[t.index()] += open.owned;
        }
    }
    // The scope itself is the outermost "zone", at the tier of the zones above it (or none).
    let mut outer = Open { end: inside.len(), tier: above, owned: scope_residents };
    for (i, z) in inside.iter().enumerate() {
        while let Some(top) = stack.last() {
            if i < top.end {
                break;
            }
            let top = stack.pop().unwrap();
            settle(top, &mut figures);
        }
        let parent = stack.last_mut().unwrap_or(&mut outer);
        parent.owned -= z.residents;
        let tier = Tier::strictest(parent.tier, Some(z.tier));
        let end = i + 1 + inside[i + 1..].iter().take_while(|d| z.path.contains(&d.path)).count();
        stack.push(Open { end, tier, owned: z.residents });
    }
    while let Some(top) = stack.pop() {
        settle(top, &mut figures);
    }
    settle(outer, &mut figures);
    figures
}

/// The effective tier of every path in `paths` (sorted in byte order, as the store returns
/// households) under `zones` (any order): one merge pass, O(paths + zones · log zones).
pub fn effective_tiers<'a>(
    zones: &[ZoneCover],
    paths: impl IntoIterator<Item = &'a AreaPath>,
) -> Vec<Option<Tier>> {
    let mut sorted: Vec<&ZoneCover> = zones.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut next = 0;
    let mut stack: Vec<(&AreaPath, Option<Tier>)> = Vec::new();
    let mut out = Vec::new();
    for p in paths {
        // Every ancestor of p sorts at or before p; open the zones up to p.
        while next < sorted.len() && sorted[next].path.as_str() <= p.as_str() {
            let z = sorted[next];
            while stack.last().is_some_and(|(open, _)| !open.contains(&z.path)) {
                stack.pop();
            }
            let tier = Tier::strictest(stack.last().and_then(|(_, t)| *t), Some(z.tier));
            stack.push((&z.path, tier));
            next += 1;
        }
        while stack.last().is_some_and(|(open, _)| !open.contains(p)) {
            stack.pop();
        }
        out.push(stack.last().and_then(|(_, t)| *t));
    }
    out
}

/// An active zone near a new one: on one of its ancestors, on the area itself, or inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearbyZone {
    pub id: i64,
    pub path: AreaPath,
    pub tier: Tier,
}

/// Why a zone cannot be drawn where it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// The area has an active zone already: raise, step down or lift that one instead.
    SameArea(i64),
    /// A zone of the same tier is drawn around the area already.
    InsideSameTier(i64),
    /// A zone of the same tier is drawn inside the area already.
    AroundSameTier(i64),
}

/// Whether a zone at `tier` on `path` would overlap an active one: one zone per area, and no
/// zone of one tier inside or around another of the same tier (it would say nothing new, and two
/// countdowns for one place would disagree).
pub fn find_overlap(path: &AreaPath, tier: Tier, nearby: &[NearbyZone]) -> Option<Overlap> {
    let mut sorted: Vec<&NearbyZone> = nearby.iter().collect();
    sorted.sort_by_key(|z| z.id);
    if let Some(z) = sorted.iter().find(|z| z.path == *path) {
        return Some(Overlap::SameArea(z.id));
    }
    let same = |z: &&&NearbyZone| z.tier == tier;
    if let Some(z) = sorted.iter().filter(same).find(|z| z.path.contains(path)) {
        return Some(Overlap::InsideSameTier(z.id));
    }
    sorted.iter().filter(same).find(|z| path.contains(&z.path)).map(|z| Overlap::AroundSameTier(z.id))
}

/// An area on the way from a case's household up to the city, with the active zone drawn on
/// it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageArea {
    pub code: AreaCode,
    pub level: AreaLevel,
    /// The zone on this area: its id and tier.
    pub zone: Option<(i64, Tier)>,
}

/// A zone a new positive calls for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EscalationProposal {
    #[schema(value_type = String)]
    pub area: AreaCode,
    pub level: AreaLevel,
    pub tier: Tier,
    /// The zone already on that area, to be raised; none: a new zone is drawn.
    pub raise_zone: Option<i64>,
}

/// The zones a positive in the household at the end of `lineage` (root first) calls for under
/// `rules`: for each rule, the area at its level, unless the area already lives under that tier
/// or a stricter one.
pub fn escalations(rules: &[Escalation], lineage: &[LineageArea]) -> Vec<EscalationProposal> {
    let mut out = Vec::new();
    for rule in rules {
        let Some(pos) = lineage.iter().position(|a| a.level == rule.level) else { continue };
        let effective =
            lineage[..=pos].iter().filter_map(|a| a.zone.map(|(_, t)| t)).max_by_key(|t| t.strictness());
        if effective.is_some_and(|t| t.strictness() >= rule.tier.strictness()) {
            continue;
        }
        let area = &lineage[pos];
        out.push(EscalationProposal {
            area: area.code.clone(),
            level: area.level,
            tier: rule.tier,
            raise_zone: area.zone.map(|(id, _)| id),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn path(ids: &[i64]) -> AreaPath {
        ids.iter().fold(AreaPath::root(), |p, id| p.child(*id))
    }

    /// A small tree: a city, 3 districts, 3 compounds each, 3 buildings each, 4 households
    /// each with 1–3 residents.
    fn tree() -> Vec<(AreaPath, i64)> {
        let mut households = Vec::new();
        for d in 0..3 {
            for c in 0..3 {
                for b in 0..3 {
                    for h in 0..4 {
                        let id = 1000 + d * 100 + c * 30 + b * 5 + h;
                        households.push((
                            path(&[1, 10 + d, 20 + d * 3 + c, 40 + d * 9 + c * 3 + b, id]),
                            1 + (id % 3),
                        ));
                    }
                }
            }
        }
        households.sort();
        households
    }

    fn residents_under(tree: &[(AreaPath, i64)], p: &AreaPath) -> i64 {
        tree.iter().filter(|(h, _)| p.contains(h)).map(|(_, n)| n).sum()
    }

    /// The figures counted person by person, for comparison.
    fn by_household(tree: &[(AreaPath, i64)], zones: &[ZoneCover], scope: &AreaPath) -> [i64; 3] {
        let tiers = effective_tiers(zones, tree.iter().map(|(p, _)| p));
        let mut out = [0; 3];
        for ((p, n), t) in tree.iter().zip(tiers) {
            if let (Some(t), true) = (t, scope.contains(p)) {
                out[t.index()] += n;
            }
        }
        out
    }

    fn candidate_areas(tree: &[(AreaPath, i64)]) -> Vec<AreaPath> {
        let mut all = BTreeMap::new();
        for (h, _) in tree {
            let ids: Vec<i64> = h.ids().collect();
            for k in 1..=ids.len() {
                all.insert(path(&ids[..k]), ());
            }
        }
        all.into_keys().collect()
    }

    proptest! {
        #[test]
        fn figures_from_zones_match_counting_every_household(
            picks in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(Tier::ALL.to_vec())), 0..25),
            scope_pick in any::<prop::sample::Index>(),
        ) {
            let tree = tree();
            let areas = candidate_areas(&tree);
            let zones: Vec<ZoneCover> = picks
                .iter()
                .map(|(i, tier)| {
                    let p = i.get(&areas).clone();
                    ZoneCover { residents: residents_under(&tree, &p), path: p, tier: *tier }
                })
                .collect();
            let scope = scope_pick.get(&areas).clone();
            let f = tier_figures(&zones, &scope, residents_under(&tree, &scope));
            prop_assert_eq!(f.residents, by_household(&tree, &zones, &scope));
        }
    }

    #[test]
    fn a_sealed_building_inside_a_controlled_compound_counts_once_as_sealed() {
        let tree = tree();
        let compound = path(&[1, 10, 20]);
        let building = path(&[1, 10, 20, 40]);
        let zones = vec![
            ZoneCover {
                path: compound.clone(),
                tier: Tier::Controlled,
                residents: residents_under(&tree, &compound),
            },
            ZoneCover {
                path: building.clone(),
                tier: Tier::Sealed,
                residents: residents_under(&tree, &building),
            },
        ];
        let city = path(&[1]);
        let f = tier_figures(&zones, &city, residents_under(&tree, &city));
        assert_eq!(f.residents[Tier::Sealed.index()], residents_under(&tree, &building));
        assert_eq!(
            f.sealed_or_controlled(),
            residents_under(&tree, &compound),
            "the building's people are not counted twice"
        );
        assert_eq!(f.zones, [1, 1, 0]);
    }

    #[test]
    fn escalation_skips_areas_already_as_strict_and_raises_a_zone_in_place() {
        let code = |s: &str| AreaCode::parse(s).unwrap();
        let rules = [
            Escalation { level: AreaLevel::Building, tier: Tier::Sealed },
            Escalation { level: AreaLevel::Compound, tier: Tier::Controlled },
        ];
        let lineage = |compound_zone, building_zone| {
            vec![
                LineageArea { code: code("1501"), level: AreaLevel::City, zone: None },
                LineageArea { code: code("150102"), level: AreaLevel::District, zone: None },
                LineageArea { code: code("c1"), level: AreaLevel::Compound, zone: compound_zone },
                LineageArea { code: code("b1"), level: AreaLevel::Building, zone: building_zone },
                LineageArea { code: code("h1"), level: AreaLevel::Household, zone: None },
            ]
        };
        let fresh = escalations(&rules, &lineage(None, None));
        assert_eq!(fresh.len(), 2);
        assert_eq!((fresh[0].area.as_str(), fresh[0].tier, fresh[0].raise_zone), ("b1", Tier::Sealed, None));

        // The building stepped down to controlled: it is raised; the compound is sealed already.
        let again = escalations(&rules, &lineage(Some((7, Tier::Sealed)), Some((9, Tier::Controlled))));
        assert!(again.is_empty(), "a sealed compound already seals its buildings: {again:?}");
        let raised = escalations(&rules, &lineage(Some((7, Tier::Controlled)), Some((9, Tier::Controlled))));
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].raise_zone, Some(9));
    }
}
