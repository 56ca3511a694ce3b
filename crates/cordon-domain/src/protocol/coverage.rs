//! Which units need whom (包联): the profile's coverage rules and the ranks they name, which
//! `workforce::coverage` reads.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Tier;
use crate::DomainError;
use crate::area::AreaLevel;

/// A worker's rank (职级), most senior first. 573 division-level cadres answered for every
/// township, street, quarantine hotel and sealed compound of Hohhot in February 2022.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rank {
    /// 厅局级
    Bureau,
    /// 县处级
    Division,
    /// 乡科级
    Section,
    /// 科员、一般干部
    Staff,
    /// 志愿者 (and party members reporting in without a post)
    Volunteer,
}

impl Rank {
    pub const ALL: [Rank; 5] = [Rank::Bureau, Rank::Division, Rank::Section, Rank::Staff, Rank::Volunteer];

    pub fn as_str(self) -> &'static str {
        match self {
            Rank::Bureau => "bureau",
            Rank::Division => "division",
            Rank::Section => "section",
            Rank::Staff => "staff",
            Rank::Volunteer => "volunteer",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Rank::Bureau => "厅局级",
            Rank::Division => "县处级",
            Rank::Section => "乡科级",
            Rank::Staff => "科员",
            Rank::Volunteer => "志愿者",
        }
    }

    /// English or Chinese, as a workers.csv may write it.
    pub fn parse(s: &str) -> Result<Rank, DomainError> {
        let s = s.trim();
        let found = match s.to_ascii_lowercase().as_str() {
            "bureau" | "厅局级" | "厅级" | "局级" | "副厅级" => Some(Rank::Bureau),
            "division" | "县处级" | "处级" | "副处级" | "正处级" => Some(Rank::Division),
            "section" | "乡科级" | "科级" | "副科级" | "正科级" => Some(Rank::Section),
            "staff" | "科员" | "办事员" | "一般干部" | "干部" => Some(Rank::Staff),
            "volunteer" | "志愿者" | "党员" | "" => Some(Rank::Volunteer),
            _ => None,
        };
        found.ok_or_else(|| {
            DomainError::invalid(
                "rank",
                format!("{s:?} is not a rank: bureau (厅局级), division (处级), section (科级), staff (科员) or volunteer"),
            )
        })
    }

    /// At least as senior as `other`.
    pub fn at_least(self, other: Rank) -> bool {
        self <= other
    }
}

/// Which units a coverage rule holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageRule {
    /// A stable key, e.g. `streets`.
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// Areas at these levels…
    #[serde(default)]
    pub levels: Vec<AreaLevel>,
    /// …under one of these tiers (empty: whatever the tier, in a zone or not).
    #[serde(default)]
    pub tiers: Vec<Tier>,
    /// And every quarantine site.
    #[serde(default)]
    pub sites: bool,
    /// The responsible leader's rank at least (every unit a rule holds has one leader). None:
    /// staff or above — a volunteer leads a unit only where a rule says `volunteer`.
    #[serde(default)]
    pub leader_rank: Option<Rank>,
    /// At most this many residents per worker answering for the unit, leader and members
    /// together (one cadre per 6,000 residents: Manzhouli).
    #[serde(default)]
    pub residents_per_worker: Option<u32>,
}

/// The rules of a profile that says none: every street has a division-level leader and a
/// cadre per 6,000 residents; every sealed or controlled compound and building has a leader; every
/// quarantine site has one.
pub fn default_rules() -> Vec<CoverageRule> {
    vec![
        CoverageRule {
            key: "streets".into(),
            name_zh: "街道（乡镇）有处级包联负责人，每6000名居民至少一名包联干部".into(),
            name_en: "every street or township has a division-level leader, and a cadre per 6,000 residents"
                .into(),
            levels: vec![AreaLevel::Street],
            tiers: vec![],
            sites: false,
            leader_rank: Some(Rank::Division),
            residents_per_worker: Some(6000),
        },
        CoverageRule {
            key: "zones".into(),
            name_zh: "封控、管控的小区和楼栋有包联负责人".into(),
            name_en: "every sealed or controlled compound and building has a leader".into(),
            levels: vec![AreaLevel::Compound, AreaLevel::Building],
            tiers: vec![Tier::Sealed, Tier::Controlled],
            sites: false,
            leader_rank: None,
            residents_per_worker: None,
        },
        CoverageRule {
            key: "sites".into(),
            name_zh: "隔离点有包联负责人".into(),
            name_en: "every quarantine site has a leader".into(),
            levels: vec![],
            tiers: vec![],
            sites: true,
            leader_rank: None,
            residents_per_worker: None,
        },
    ]
}

impl CoverageRule {
    /// The least rank that may lead a unit this rule holds: the rule's, or staff. A volunteer
    /// (or a party member reporting in without a post) is appointed 包联负责人 only where the
    /// profile names `volunteer` itself.
    pub fn min_leader_rank(&self) -> Rank {
        self.leader_rank.unwrap_or(Rank::Staff)
    }
}

/// Checks rules as a profile carries them.
pub fn check_rules(rules: &[CoverageRule]) -> Result<(), DomainError> {
    for (i, r) in rules.iter().enumerate() {
        if r.key.is_empty() || rules[..i].iter().any(|o| o.key == r.key) {
            return Err(DomainError::invalid(
                "coverage",
                format!("rule keys are given once each ({:?})", r.key),
            ));
        }
        if r.levels.is_empty() && !r.sites {
            return Err(DomainError::invalid(
                "coverage",
                format!("{}: holds no unit (no levels, no sites)", r.key),
            ));
        }
        if r.levels.contains(&AreaLevel::Household) {
            return Err(DomainError::invalid("coverage", format!("{}: a household is not a unit", r.key)));
        }
        if r.residents_per_worker == Some(0) {
            return Err(DomainError::invalid(
                "coverage",
                format!("{}: residents per worker is at least 1", r.key),
            ));
        }
    }
    Ok(())
}
