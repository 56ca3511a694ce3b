//! How a tier's samples may be pooled: the profile's pooling rules, which `testing::check_tube`
//! reads.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How many people a tube may hold under one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pooling {
    /// People in one tube at most; 1 is single-tube testing (单管单检).
    pub max: u32,
    /// A household may share one tube whatever `max` says (一户一管).
    #[serde(default)]
    pub household: bool,
}

/// The dilution limit of the 2022 guides: no tube holds more than 20 people.
pub const DILUTION_LIMIT: u32 = 20;
