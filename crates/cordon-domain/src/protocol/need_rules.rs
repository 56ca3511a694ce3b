//! What each kind of need is owed (诉求): the profile's need and care rules and the categories and
//! priorities they name, which `needs::need_state` reads.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;

/// What a resident needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NeedCategory {
    /// 生活物资
    Food,
    /// 药品
    Medicine,
    /// 就医
    MedicalCare,
    /// 透析、放化疗: a recurring treatment trip
    Treatment,
    /// 分娩、孕检
    Childbirth,
    /// 心理疏导
    MentalHealth,
    /// 家庭紧急情况 (a relative dying, a child alone)
    FamilyEmergency,
    /// 每日探访: the daily check on someone alone (elderly, a child)
    DailyCheck,
    /// 外出申请: leaving a zone (a funeral, a parent in hospital, an exam) — decided with a reason
    LeaveZone,
    Other,
}

impl NeedCategory {
    /// The kind of resident's request a package of `item` fulfils: a medicine kit a request
    /// for medicine, any other package one for food.
    pub fn answered_by(item: crate::supplies::SupplyItem) -> NeedCategory {
        match item {
            crate::supplies::SupplyItem::MedicineKit => NeedCategory::Medicine,
            _ => NeedCategory::Food,
        }
    }

    pub const ALL: [NeedCategory; 10] = [
        NeedCategory::Food,
        NeedCategory::Medicine,
        NeedCategory::MedicalCare,
        NeedCategory::Treatment,
        NeedCategory::Childbirth,
        NeedCategory::MentalHealth,
        NeedCategory::FamilyEmergency,
        NeedCategory::DailyCheck,
        NeedCategory::LeaveZone,
        NeedCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NeedCategory::Food => "food",
            NeedCategory::Medicine => "medicine",
            NeedCategory::MedicalCare => "medical_care",
            NeedCategory::Treatment => "treatment",
            NeedCategory::Childbirth => "childbirth",
            NeedCategory::MentalHealth => "mental_health",
            NeedCategory::FamilyEmergency => "family_emergency",
            NeedCategory::DailyCheck => "daily_check",
            NeedCategory::LeaveZone => "leave_zone",
            NeedCategory::Other => "other",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            NeedCategory::Food => "生活物资",
            NeedCategory::Medicine => "药品",
            NeedCategory::MedicalCare => "就医",
            NeedCategory::Treatment => "透析/放化疗",
            NeedCategory::Childbirth => "孕产",
            NeedCategory::MentalHealth => "心理疏导",
            NeedCategory::FamilyEmergency => "家庭紧急情况",
            NeedCategory::DailyCheck => "每日探访",
            NeedCategory::LeaveZone => "外出申请",
            NeedCategory::Other => "其他",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            NeedCategory::Food => "food",
            NeedCategory::Medicine => "medicine",
            NeedCategory::MedicalCare => "medical care",
            NeedCategory::Treatment => "dialysis / chemotherapy",
            NeedCategory::Childbirth => "childbirth",
            NeedCategory::MentalHealth => "mental health",
            NeedCategory::FamilyEmergency => "family emergency",
            NeedCategory::DailyCheck => "daily check",
            NeedCategory::LeaveZone => "leaving the zone",
            NeedCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<NeedCategory, DomainError> {
        let s = s.trim();
        NeedCategory::ALL.into_iter().find(|c| c.as_str() == s || c.name_zh() == s).ok_or_else(|| {
            let known: Vec<&str> = NeedCategory::ALL.iter().map(|c| c.as_str()).collect();
            DomainError::invalid(
                "category",
                format!("{s:?} is not a category the rules know: {}", known.join(", ")),
            )
        })
    }

    /// Care that may be a medical emergency (the green channel: a pass no gate refuses).
    pub fn is_medical(self) -> bool {
        matches!(
            self,
            NeedCategory::MedicalCare
                | NeedCategory::Treatment
                | NeedCategory::Childbirth
                | NeedCategory::Medicine
        )
    }
}

/// How soon: a medical emergency is always the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Emergency,
    Urgent,
    Normal,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "emergency",
            Priority::Urgent => "urgent",
            Priority::Normal => "normal",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        [Priority::Emergency, Priority::Urgent, Priority::Normal].into_iter().find(|p| p.as_str() == s)
    }
}

/// The deadlines of a category (or of every medical emergency): profile data, never code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedRule {
    /// A category's key, or `emergency` for every need flagged a medical emergency.
    pub category: String,
    pub priority: Priority,
    /// Acknowledged within this many minutes of being raised (or reopened)…
    pub acknowledge_minutes: u32,
    /// …handled within this many…
    pub resolve_minutes: u32,
    /// …and, past a deadline, one rung up the chain every this many minutes until someone
    /// acknowledges it.
    pub escalate_minutes: u32,
}

/// The key of the rule every medical emergency follows, whatever its category.
pub const EMERGENCY: &str = "emergency";

/// The rules of a profile that says none: an emergency acknowledged within 5 minutes and handled
/// within 30, climbing a rung every 5; a treatment trip, childbirth or a family emergency within
/// 30 and 4 hours; medicine within an hour and 12 hours; food, the daily check and the rest
/// within 2 hours and a day.
pub fn default_need_rules() -> Vec<NeedRule> {
    let rule = |category: &str, priority, acknowledge_minutes, resolve_minutes, escalate_minutes| NeedRule {
        category: category.into(),
        priority,
        acknowledge_minutes,
        resolve_minutes,
        escalate_minutes,
    };
    vec![
        rule(EMERGENCY, Priority::Emergency, 5, 30, 5),
        rule("treatment", Priority::Urgent, 30, 240, 30),
        rule("childbirth", Priority::Urgent, 30, 240, 30),
        rule("family_emergency", Priority::Urgent, 30, 240, 30),
        rule("leave_zone", Priority::Urgent, 30, 240, 30),
        rule("medical_care", Priority::Urgent, 30, 240, 30),
        rule("medicine", Priority::Normal, 60, 720, 60),
        rule("mental_health", Priority::Normal, 60, 720, 60),
        rule("food", Priority::Normal, 120, 1440, 120),
        rule("daily_check", Priority::Normal, 120, 1440, 120),
        rule("other", Priority::Normal, 120, 1440, 120),
    ]
}

/// Refuses rules a need could not run by: a category twice or unknown, a zero interval, a
/// deadline to handle before the one to acknowledge, and the emergency rule missing or not the
/// highest priority.
pub fn check_need_rules(rules: &[NeedRule]) -> Result<(), DomainError> {
    let mut seen = std::collections::HashSet::new();
    for r in rules {
        if r.category != EMERGENCY {
            NeedCategory::parse(&r.category)?;
        }
        if !seen.insert(r.category.as_str()) {
            return Err(DomainError::invalid("needs", format!("{} has two rules", r.category)));
        }
        if r.acknowledge_minutes == 0 || r.escalate_minutes == 0 {
            return Err(DomainError::invalid(
                "needs",
                format!("{}: intervals must be at least a minute", r.category),
            ));
        }
        if r.resolve_minutes < r.acknowledge_minutes {
            return Err(DomainError::invalid(
                "needs",
                format!("{}: handled before it must be acknowledged", r.category),
            ));
        }
    }
    match rules.iter().find(|r| r.category == EMERGENCY) {
        Some(r) if r.priority == Priority::Emergency => Ok(()),
        Some(_) => Err(DomainError::invalid("needs", "the emergency rule must have the emergency priority")),
        None => Err(DomainError::invalid("needs", "no rule for medical emergencies")),
    }
}

/// Care planned ahead (proactive care): people with a tag get a need of a category every so many
/// days — a dialysis patient's trip, the daily check on an elderly person living alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareRule {
    /// A person's tag: dialysis, chemotherapy, elderly_alone, minor_alone …
    pub tag: String,
    pub category: NeedCategory,
    /// Every this many days (1: daily), counted from a fixed day, so every planner agrees.
    pub every_days: u32,
    pub description: String,
}

/// Dialysis every other day, chemotherapy weekly (both a trip to plan), and a daily check on the
/// elderly living alone and on a child left alone.
pub fn default_care_rules() -> Vec<CareRule> {
    let rule = |tag: &str, category, every_days, description: &str| CareRule {
        tag: tag.into(),
        category,
        every_days,
        description: description.into(),
    };
    vec![
        rule("dialysis", NeedCategory::Treatment, 2, "透析出行：安排闭环转运"),
        rule("chemotherapy", NeedCategory::Treatment, 7, "放化疗出行：安排闭环转运"),
        rule("elderly_alone", NeedCategory::DailyCheck, 1, "独居老人每日探访"),
        rule("minor_alone", NeedCategory::DailyCheck, 1, "无人照料未成年人每日探访"),
    ]
}
