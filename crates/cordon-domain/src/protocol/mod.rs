//! Protocol profiles: the published rules a zone lives by, kept as data.
//!
//! Rules differed by city and changed every few months (三区划分, Shanghai's May 2022 rules, the 9th
//! edition, the 20 measures), so none of their numbers is a constant here: a [`Profile`] is read
//! from TOML or JSON, checked by [`Profile::check`], and every zone records the profile that
//! governs it. The four published profiles ship in `data/profiles/` and come back from
//! [`builtin`].

pub mod coverage;
pub mod gate_rule;
pub mod need_rules;
pub mod pooling;
pub mod transfer_rules;

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{AreaLevel, DomainError};

/// 风险等级: the three tiers of zone, from the strictest. The 9th edition's 高/中/低风险区 are the
/// same three tiers under other names; a profile names them.
/// The derived order is the declaration order, for sorting only; strictness is
/// [`Tier::strictness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 封控区 (高风险区): nobody leaves home.
    Sealed,
    /// 管控区 (中风险区): nobody leaves the zone.
    Controlled,
    /// 防范区 (低风险区): gatherings limited.
    Precaution,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Sealed, Tier::Controlled, Tier::Precaution];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Sealed => "sealed",
            Tier::Controlled => "controlled",
            Tier::Precaution => "precaution",
        }
    }

    /// The tier's name in the command's working language, as the system writes it into the
    /// records it keeps (a step's reason, a resident's text message).
    pub fn name_zh(self) -> &'static str {
        match self {
            Tier::Sealed => "封控区",
            Tier::Controlled => "管控区",
            Tier::Precaution => "防范区",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            DomainError::invalid(
                "tier",
                format!("unknown tier {s:?}; expected sealed, controlled or precaution"),
            )
        })
    }

    /// 3 for sealed down to 1 for precaution: larger is stricter.
    pub fn strictness(self) -> u8 {
        match self {
            Tier::Sealed => 3,
            Tier::Controlled => 2,
            Tier::Precaution => 1,
        }
    }

    pub fn is_stricter_than(self, other: Tier) -> bool {
        self.strictness() > other.strictness()
    }

    /// The index of this tier in [`Tier::ALL`], for arrays of per-tier figures.
    pub fn index(self) -> usize {
        (3 - self.strictness()) as usize
    }

    /// The stricter of two optional tiers.
    pub fn strictest(a: Option<Tier>, b: Option<Tier>) -> Option<Tier> {
        match (a, b) {
            (Some(x), Some(y)) => Some(if y.is_stricter_than(x) { y } else { x }),
            (x, None) => x,
            (None, y) => y,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One protocol: how each tier is named, lived in, tested and stepped down, which zones a new
/// positive calls for, and how contacts are quarantined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A stable key zones refer to, e.g. `ninth-edition`.
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// The document the rules come from.
    #[serde(default)]
    pub source: String,
    /// When true a zone steps down as soon as the rules allow; otherwise headquarters approves
    /// each step-down proposal.
    #[serde(default)]
    pub auto_step_down: bool,
    /// The tiers this profile uses, strictest first. The 20 measures have no medium tier.
    pub tiers: Vec<TierRule>,
    /// Zones a new positive calls for, around the case's household.
    #[serde(default)]
    pub escalation: Vec<Escalation>,
    /// 密接: the quarantine of a close contact.
    #[serde(default)]
    pub close_contact: Option<QuarantinePlan>,
    /// 次密接: the quarantine of a secondary contact (none: not identified).
    #[serde(default)]
    pub secondary_contact: Option<QuarantinePlan>,
    /// A case is infectious from this many days before its onset (or, with no symptoms, its
    /// sampling day): the start of the period whose scans and contacts count.
    #[serde(default = "default_infectious_days")]
    pub infectious_days_before: u32,
    /// People in one tube outside every zone, and the most any tier may pool.
    #[serde(default = "default_pool_limit")]
    pub pool_limit: u32,
    /// 包联 coverage: which units need a responsible leader, of what rank, for how many residents.
    #[serde(default = "crate::protocol::coverage::default_rules")]
    pub coverage: Vec<crate::protocol::coverage::CoverageRule>,
    /// Residents' needs: each category's deadlines to acknowledge and handle, and how fast one
    /// nobody acknowledges climbs the chain.
    #[serde(default = "crate::protocol::need_rules::default_need_rules")]
    pub needs: Vec<crate::protocol::need_rules::NeedRule>,
    /// Proactive care: the needs planned ahead for people with a tag.
    #[serde(default = "crate::protocol::need_rules::default_care_rules")]
    pub care: Vec<crate::protocol::need_rules::CareRule>,
    /// 出院标准: when a case may be discharged, and its monitoring at home after.
    #[serde(default)]
    pub discharge: crate::outcome::DischargeRule,
    /// 上门采样: who the sweep plans as home visits rather than counting as missing.
    #[serde(default)]
    pub home_visits: crate::door::HomeVisitRule,
    /// 值班与轮休: how long a worker stays on duty in one go, and rests after.
    #[serde(default)]
    pub shifts: crate::duty::ShiftRule,
    /// 隔离收治: which sites take whom, and who may share a room.
    #[serde(default)]
    pub isolation: crate::isolation::IsolationRule,
    /// 转运时限: how fast a transfer of each kind of guest must go.
    #[serde(default = "transfer_rules::default_transfer_rules")]
    pub transfers: Vec<transfer_rules::TransferRule>,
    /// 保供: how packages are sized, and when a household without a delivery is overdue.
    #[serde(default)]
    pub supplies: crate::supplies::SupplyRule,
    /// 消杀与清运: how soon a case's home is disinfected, and how often sealed buildings' waste
    /// is collected.
    #[serde(default)]
    pub sanitation: crate::sanitation::SanitationRule,
    /// 离线判定: how long a gate device may go on deciding without the network.
    #[serde(default)]
    pub offline: gate_rule::OfflineRule,
}

fn default_pool_limit() -> u32 {
    crate::protocol::pooling::DILUTION_LIMIT
}

fn default_infectious_days() -> u32 {
    4
}

/// How one tier works under a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    pub tier: Tier,
    /// The name the public saw: 封控区, or 高风险区 under the 9th edition.
    pub name_zh: String,
    pub name_en: String,
    /// The movement rule in words: 足不出户、服务上门 …
    pub movement_zh: String,
    pub movement_en: String,
    /// Days of the zone (day 1 = the day it was drawn) on which everyone inside is tested.
    #[serde(default)]
    pub test_days: Vec<u32>,
    /// How a zone that was drawn (or raised) at this tier steps down. None: only headquarters
    /// lifts it, by hand.
    #[serde(default)]
    pub step_down: Option<StepDown>,
    /// How a zone that stepped down into this tier goes on down, when that differs ("3 more
    /// clean days → low").
    #[serde(default)]
    pub continue_down: Option<StepDown>,
    /// How many people share a tube in a testing round (none: the profile's `pool_limit`).
    #[serde(default)]
    pub pooling: Option<crate::protocol::pooling::Pooling>,
    /// What the tier's gates let out and in (none: [`gate_rule::default_rule`]).
    #[serde(default)]
    pub gates: Option<GateMovement>,
}

/// A tier's gate rule as a profile writes it: `gates = { leave = "pass_only", enter = "confirm" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GateMovement {
    pub leave: crate::protocol::gate_rule::Movement,
    pub enter: crate::protocol::gate_rule::Movement,
}

/// The conditions of one step down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDown {
    /// Days in this tier with no new positive inside.
    pub clean_days: u32,
    /// An all-negative full testing round sampled on or after this day of the clean period.
    #[serde(default)]
    pub round_on_day: Option<u32>,
    /// The last close contact's exposure must be more than this many days past.
    #[serde(default)]
    pub contact_clear_days: Option<u32>,
    /// The tier it steps down to; none: the zone is lifted.
    #[serde(default)]
    pub to: Option<Tier>,
}

/// A zone a new positive calls for: the area at `level` above the case's household, at `tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub level: AreaLevel,
    pub tier: Tier,
}

/// The quarantine of a contact: days in a central site, then at home, and the days tested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarantinePlan {
    pub central_days: u32,
    pub home_days: u32,
    pub test_days: Vec<u32>,
}

impl Profile {
    /// Reads a profile from TOML and checks it.
    pub fn from_toml(text: &str) -> Result<Profile, DomainError> {
        let p: Profile = toml::from_str(text).map_err(|e| DomainError::invalid("profile", e.to_string()))?;
        p.check()?;
        Ok(p)
    }

    /// Checks that the rules can be followed: each tier once, every step goes to a less strict
    /// tier the profile has (so there is no cycle and no missing step), every required round
    /// falls inside its clean period, every escalation names a tier of the profile.
    pub fn check(&self) -> Result<(), DomainError> {
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 64
            && self.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !key_ok {
            return Err(DomainError::invalid(
                "key",
                "a profile key is 1 to 64 lowercase letters, digits and hyphens",
            ));
        }
        if self.name_zh.trim().is_empty() || self.name_en.trim().is_empty() {
            return Err(DomainError::invalid("name", "a profile needs a Chinese and an English name"));
        }
        if self.tiers.is_empty() {
            return Err(DomainError::invalid("tiers", "a profile needs at least one tier"));
        }
        for (i, rule) in self.tiers.iter().enumerate() {
            if self.tiers[..i].iter().any(|r| r.tier == rule.tier) {
                return Err(DomainError::invalid("tiers", format!("tier {} appears twice", rule.tier)));
            }
            for step in [rule.step_down, rule.continue_down].into_iter().flatten() {
                self.check_step(rule.tier, step)?;
            }
        }
        for e in &self.escalation {
            if self.rule(e.tier).is_none() {
                return Err(DomainError::invalid(
                    "escalation",
                    format!("escalation to {} at {} names a tier the profile does not have", e.tier, e.level),
                ));
            }
            if e.level == AreaLevel::Household {
                return Err(DomainError::invalid("escalation", "a zone is drawn on a building or above"));
            }
        }
        if self.pool_limit == 0 || self.pool_limit > 50 {
            return Err(DomainError::invalid("pool_limit", "a tube holds 1 to 50 people"));
        }
        if !(1..=72).contains(&self.offline.hours) {
            return Err(DomainError::invalid(
                "offline.hours",
                "a gate phone decides offline for 1 to 72 hours after its last sync",
            ));
        }
        for rule in &self.tiers {
            if let Some(p) = rule.pooling
                && (p.max == 0 || p.max > self.pool_limit)
            {
                return Err(DomainError::invalid(
                    "pooling",
                    format!("{}: a tube holds 1 to {} people (the pool limit)", rule.tier, self.pool_limit),
                ));
            }
        }
        for rule in &self.tiers {
            if let Some(g) = rule.gates {
                if g.leave == crate::protocol::gate_rule::Movement::Confirm {
                    return Err(DomainError::invalid(
                        "gates",
                        format!(
                            "{}: leaving is free or by pass; only entering asks for a confirmation",
                            rule.tier
                        ),
                    ));
                }
                if rule.tier == Tier::Sealed && g.leave != crate::protocol::gate_rule::Movement::PassOnly {
                    return Err(DomainError::invalid(
                        "gates",
                        "sealed: nobody leaves a sealed zone without a pass (leave = \"pass_only\")",
                    ));
                }
            }
        }
        crate::protocol::coverage::check_rules(&self.coverage)?;
        crate::protocol::need_rules::check_need_rules(&self.needs)?;
        self.discharge.check()?;
        self.home_visits.check()?;
        self.shifts.check()?;
        self.isolation.check()?;
        self.supplies.check()?;
        self.sanitation.check()?;
        transfer_rules::check_transfer_rules(&self.transfers)?;
        if self.infectious_days_before > 28 {
            return Err(DomainError::invalid(
                "infectious_days_before",
                "a case is infectious at most 28 days before onset",
            ));
        }
        for (field, plan) in
            [("close_contact", &self.close_contact), ("secondary_contact", &self.secondary_contact)]
        {
            if let Some(plan) = plan {
                let days = plan.central_days + plan.home_days;
                if days == 0 {
                    return Err(DomainError::invalid(field, "a quarantine lasts at least one day"));
                }
                if let Some(d) = plan.test_days.iter().find(|&&d| d == 0 || d > days) {
                    return Err(DomainError::invalid(
                        field,
                        format!("test day {d} falls outside the {days} days of quarantine"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_step(&self, from: Tier, step: StepDown) -> Result<(), DomainError> {
        if let Some(to) = step.to {
            if !from.is_stricter_than(to) {
                return Err(DomainError::invalid(
                    "step_down",
                    format!("{from} steps down to {to}, which is not less strict: the rules would cycle"),
                ));
            }
            if self.rule(to).is_none() {
                return Err(DomainError::invalid(
                    "step_down",
                    format!("{from} steps down to {to}, a tier the profile does not define (missing step)"),
                ));
            }
        }
        if step.clean_days == 0 {
            return Err(DomainError::invalid("step_down", format!("{from}: clean_days must be at least 1")));
        }
        if let Some(day) = step.round_on_day
            && (day == 0 || day > step.clean_days)
        {
            return Err(DomainError::invalid(
                "step_down",
                format!("{from}: the round on day {day} must fall within the {} clean days", step.clean_days),
            ));
        }
        Ok(())
    }

    pub fn rule(&self, tier: Tier) -> Option<&TierRule> {
        self.tiers.iter().find(|r| r.tier == tier)
    }

    /// What the gates of a zone at this tier let out and in under this profile.
    pub fn gate_rule(&self, tier: Tier) -> crate::protocol::gate_rule::GateRule {
        match self.rule(tier).and_then(|r| r.gates) {
            Some(g) => crate::protocol::gate_rule::GateRule { tier, leave: g.leave, enter: g.enter },
            None => crate::protocol::gate_rule::default_rule(tier),
        }
    }

    /// The strictest tier of the profile: what a zone is drawn at when nothing else is said.
    pub fn top_tier(&self) -> Tier {
        self.tiers.iter().map(|r| r.tier).max_by_key(|t| t.strictness()).unwrap_or(Tier::Sealed)
    }
}

/// The four published profiles, as shipped in `data/profiles/`.
pub fn builtin() -> Vec<Profile> {
    const FILES: [(&str, &str); 4] = [
        ("three-zone-2021.toml", include_str!("../../../../data/profiles/three-zone-2021.toml")),
        ("shanghai-2022-05.toml", include_str!("../../../../data/profiles/shanghai-2022-05.toml")),
        ("ninth-edition.toml", include_str!("../../../../data/profiles/ninth-edition.toml")),
        (
            "twenty-measures-2022-11.toml",
            include_str!("../../../../data/profiles/twenty-measures-2022-11.toml"),
        ),
    ];
    FILES
        .iter()
        .map(|(name, text)| {
            Profile::from_toml(text).unwrap_or_else(|e| panic!("shipped profile {name}: {e}"))
        })
        .collect()
}

/// The profile a new deployment governs its zones by until headquarters chooses another.
pub const DEFAULT_PROFILE: &str = "ninth-edition";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_profiles_pass_their_checks() {
        let all = builtin();
        assert_eq!(all.len(), 4);
        assert!(all.iter().any(|p| p.key == DEFAULT_PROFILE));
        let twenty = all.iter().find(|p| p.key == "twenty-measures-2022-11").unwrap();
        assert!(twenty.rule(Tier::Controlled).is_none());
        assert_eq!(twenty.rule(Tier::Sealed).unwrap().step_down.unwrap().to, None);
    }

    fn ninth() -> Profile {
        builtin().into_iter().find(|p| p.key == "ninth-edition").unwrap()
    }

    #[test]
    fn a_step_up_is_a_cycle() {
        let mut p = ninth();
        p.tiers[1].step_down.as_mut().unwrap().to = Some(Tier::Sealed);
        assert!(p.check().unwrap_err().to_string().contains("cycle"));
    }

    #[test]
    fn a_step_to_a_tier_the_profile_lacks_is_missing() {
        let mut p = ninth();
        p.tiers.retain(|r| r.tier != Tier::Precaution);
        let err = p.check().unwrap_err().to_string();
        assert!(err.contains("missing step"), "{err}");
    }

    #[test]
    fn a_round_after_the_clean_period_is_refused() {
        let mut p = ninth();
        p.tiers[0].step_down.as_mut().unwrap().round_on_day = Some(8);
        assert!(p.check().unwrap_err().to_string().contains("within the 7 clean days"));
    }

    #[test]
    fn a_sealed_tier_that_lets_people_out_is_refused() {
        use crate::protocol::gate_rule::Movement;
        let mut p = ninth();
        assert_eq!(p.gate_rule(Tier::Sealed).enter, Movement::Confirm);
        p.tiers[0].gates = Some(GateMovement { leave: Movement::Free, enter: Movement::Confirm });
        assert!(p.check().unwrap_err().to_string().contains("nobody leaves a sealed zone"));
        p.tiers[0].gates = None;
        p.tiers[1].gates = Some(GateMovement { leave: Movement::Confirm, enter: Movement::Free });
        assert!(p.check().unwrap_err().to_string().contains("only entering asks"));
    }

    #[test]
    fn unknown_fields_and_repeated_tiers_are_refused() {
        let text = include_str!("../../../../data/profiles/shanghai-2022-05.toml");
        assert!(Profile::from_toml(&format!("{text}\nclean_dayz = 3\n")).is_err());
        let mut p = Profile::from_toml(text).unwrap();
        p.tiers.push(p.tiers[0].clone());
        assert!(p.check().unwrap_err().to_string().contains("twice"));
    }
}
