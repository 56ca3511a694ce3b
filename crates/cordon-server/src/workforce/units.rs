//! The units of coverage (包联) kept between reports: the areas under zones of each scope,
//! read again only when the store's units version moves, and the rules in force that say which.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cordon_domain::workforce::CoverageRule;
use cordon_domain::{AreaLevel, AreaPath, Tier};
use cordon_store::{UnitArea, UnitsVersion};

use super::error::WorkforceError;
use crate::{AppState, zones};

/// Which zoned units a report reads: per rule, the levels it holds and the tiers of the zones.
pub(super) type ZonedKey = Vec<(Vec<AreaLevel>, Vec<Tier>)>;

/// The units under zones of each scope asked for, kept while the store's units version (the
/// areas, their residents, the zones) stays: a city's are tens of thousands of rows read by one
/// seek per zone, the same for every report until a zone or an import changes them. After a
/// change of zones only the areas under the zones changed are read again; after an import, all.
/// The assignments and reporting in, which change all day, are read fresh each time.
#[derive(Default)]
pub struct UnitsCache {
    /// Each scope's units with the version they were read or brought up to.
    by_scope: HashMap<(AreaPath, ZonedKey), KeptUnits>,
}

pub type UnitsCell = Arc<Mutex<UnitsCache>>;

type KeptUnits = (UnitsVersion, Arc<Vec<UnitArea>>);

/// Scopes kept at once; past it the cache starts again (a city has a few hundred offices).
const SCOPES_KEPT: usize = 512;
/// Zones changed since the version kept past which every unit is read again instead.
const CHANGED_ZONES_MERGED: usize = 200;

pub(super) async fn read_zoned(
    state: &AppState,
    scope: &AreaPath,
    key: &ZonedKey,
) -> Result<Vec<UnitArea>, WorkforceError> {
    let mut out = Vec::new();
    for (levels, tiers) in key {
        out.extend(state.store.areas_in_zones(scope, levels, tiers).await?);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

/// The units inside `scope` under zones of the key's tiers: kept, merged with what the zones
/// changed since, or read whole.
pub(super) async fn zoned_units(
    state: &AppState,
    scope: &AreaPath,
    key: ZonedKey,
) -> Result<Arc<Vec<UnitArea>>, WorkforceError> {
    // The version is read before the units: what is kept under a version is never older.
    let version = state.store.units_version().await?;
    let slot = (scope.clone(), key);
    let (kept, whole_city) = {
        let cache = state.units.lock().unwrap_or_else(|e| e.into_inner());
        let root = (AreaPath::root(), slot.1.clone());
        (cache.by_scope.get(&slot).cloned(), cache.by_scope.get(&root).cloned())
    };
    let units = match (kept, whole_city) {
        (Some((v, units)), _) if v == version => return Ok(units),
        // The whole city's, kept at this version, holds this scope's.
        (_, Some((v, all))) if v == version => {
            all.iter().filter(|u| scope.contains(&u.path)).cloned().collect()
        }
        // Only zones changed: read again under those inside the scope, keep the rest.
        (Some((v, units)), _) if v.areas == version.areas => {
            let changed = state.store.zones_changed_since(v.units).await?;
            if changed.len() > CHANGED_ZONES_MERGED {
                read_zoned(state, scope, &slot.1).await?
            } else {
                // A zone's subtree meets the scope in the smaller of the two.
                let mut under: Vec<AreaPath> = changed
                    .into_iter()
                    .filter_map(|z| {
                        if scope.contains(&z) { Some(z) } else { z.contains(scope).then(|| scope.clone()) }
                    })
                    .collect();
                under.sort();
                under.dedup();
                let mut merged: Vec<UnitArea> =
                    units.iter().filter(|u| !under.iter().any(|p| p.contains(&u.path))).cloned().collect();
                for p in &under {
                    merged.extend(read_zoned(state, p, &slot.1).await?);
                }
                merged.sort_by(|a, b| a.path.cmp(&b.path));
                merged.dedup_by(|a, b| a.path == b.path);
                merged
            }
        }
        _ => read_zoned(state, scope, &slot.1).await?,
    };
    let units = Arc::new(units);
    let mut cache = state.units.lock().unwrap_or_else(|e| e.into_inner());
    if cache.by_scope.len() >= SCOPES_KEPT {
        cache.by_scope.clear();
    }
    // Two requests racing store either: each is at least as new as its version.
    cache.by_scope.insert(slot, (version, units.clone()));
    Ok(units)
}

/// Reads the whole city's units under zones into the cache, so that the first report after a
/// start (of any scope) does not read them: run in the background when the server starts.
pub async fn warm(state: &AppState) -> Result<usize, WorkforceError> {
    let rules = rules_in_force(state).await?.1;
    Ok(zoned_units(state, &AreaPath::root(), zoned_key(&rules)).await?.len())
}

pub(super) async fn rules_in_force(state: &AppState) -> Result<(String, Vec<CoverageRule>), WorkforceError> {
    let profile_key = zones::profile_in_force(state).await?;
    let profiles = zones::profiles(state).await?;
    let rules = profiles.get(&profile_key).map(|p| p.coverage.clone()).unwrap_or_default();
    Ok((profile_key, rules))
}

/// Levels every unit of which some rule holds (streets: a hundred in a city).
pub(super) fn whole_levels(rules: &[CoverageRule]) -> Vec<AreaLevel> {
    let mut whole: Vec<AreaLevel> =
        rules.iter().filter(|r| r.tiers.is_empty()).flat_map(|r| r.levels.iter().copied()).collect();
    whole.sort();
    whole.dedup();
    whole
}

/// For the rules on zoned units, the levels (not read whole already) and the tiers.
pub(super) fn zoned_key(rules: &[CoverageRule]) -> ZonedKey {
    let whole = whole_levels(rules);
    rules
        .iter()
        .filter(|r| !r.tiers.is_empty())
        .map(|r| (r.levels.iter().copied().filter(|l| !whole.contains(l)).collect(), r.tiers.clone()))
        .collect()
}
