//! What a tier's gates let out and in: the profile's gate rules, which `gates::decide` reads.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Tier;

/// What a tier allows through its gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// Anyone may pass.
    Free,
    /// Only with a pass (足不出户 / 人不出区).
    PassOnly,
    /// Allowed once the person confirms they know they cannot come back out
    /// ("您进去就不能再出来了，确定好了吧？").
    Confirm,
}

/// The gate rules of one tier, from the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GateRule {
    pub tier: Tier,
    /// Leaving the area.
    pub leave: Movement,
    /// Entering it.
    pub enter: Movement,
}

/// The gate rule a tier has when its profile does not say: what the three-zone scheme and the
/// 9th edition say — sealed: nobody out, entering means staying; controlled: nobody out without
/// a pass, in freely; precaution: free.
pub fn default_rule(tier: Tier) -> GateRule {
    let (leave, enter) = match tier {
        Tier::Sealed => (Movement::PassOnly, Movement::Confirm),
        Tier::Controlled => (Movement::PassOnly, Movement::Free),
        Tier::Precaution => (Movement::Free, Movement::Free),
    };
    GateRule { tier, leave, enter }
}

/// 离线判定: how long a gate device that lost the network may go on deciding on the data it
/// keeps. Past it the device stops deciding and says why: a standing, a revocation or a zone
/// may have changed since, and a lost phone's data should not stay readable for long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineRule {
    /// Hours after the last successful sync.
    pub hours: u32,
}

impl Default for OfflineRule {
    fn default() -> Self {
        OfflineRule { hours: 12 }
    }
}
