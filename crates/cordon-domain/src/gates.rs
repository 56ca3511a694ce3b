//! Gates (卡口): who may pass a checkpoint, which way, and the rule that decided.
//!
//! The decision is a pure function of what the gate knows — the tier of the area the gate guards,
//! the person's home tier and status, the pass shown — and of the profile's gate rules (data:
//! what each tier lets out and in). It names the rule that decided, so the log can say why.
//! Two things hold whatever the rules say: an emergency pass is always let through (a medical
//! emergency never waits on a gate or a test result), and nobody leaves a zone whose tier keeps
//! people in without a pass.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::protocol::Tier;

/// Which way through the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Into the guarded area.
    In,
    /// Out of it.
    Out,
}

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

/// The person's standing as the register, the cases and the testing know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Clear,
    /// 待复核: in a positive pool, their single tube not read yet: held where they are.
    HeldForRetest,
    /// 密接 or 次密接 under quarantine.
    Contact,
    /// A case (阳性).
    Positive,
}

/// What pass the person shows, as the server found it (the server checks the signature, the
/// window, the gates and revocation; the decision only needs the outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PassShown {
    None,
    /// Valid here and now, of this kind.
    Valid(PassKind),
    Expired,
    Revoked,
    /// Valid, but not for this gate.
    OtherGate,
    /// The signature does not match: forged or altered.
    Forged,
    /// A one-time pass already used.
    Replayed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PassKind {
    /// 工作证: cadres, volunteers, medical staff on duty.
    Worker,
    /// 保供: deliveries.
    Delivery,
    /// A planned medical trip (dialysis, chemotherapy, childbirth).
    Medical,
    /// An exception decided with a reason (a dying parent, an exam).
    Exception,
    /// 绿色通道: a medical emergency. No gate may refuse it; it needs no test result.
    Emergency,
}

/// Everything a gate decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passage {
    pub direction: Direction,
    /// The tier of the area the gate guards (none: not in a zone).
    pub gate_tier: Option<Tier>,
    pub standing: Standing,
    pub pass: PassShown,
    /// The person confirmed they know they cannot come back out.
    pub confirmed: bool,
}

/// The rule that decided: kept in the log with the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    EmergencyPass,
    PassRefused,
    PositiveStaysIsolated,
    HeldWhereTheyAre,
    ContactInQuarantine,
    TierKeepsIn,
    TierKeepsOut,
    ConfirmStaying,
    ConfirmedStaying,
    PassAdmits,
    Free,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Refused,
    /// Ask the question, then decide again with `confirmed`.
    AskConfirmation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateDecision {
    pub outcome: Outcome,
    pub rule: RuleId,
}

impl RuleId {
    /// What the cadre at the gate reads, in Chinese and English.
    pub fn reason(self) -> (&'static str, &'static str) {
        match self {
            RuleId::EmergencyPass => {
                ("急危重症绿色通道，任何卡口不得阻拦", "emergency pass: no gate may refuse it")
            }
            RuleId::PassRefused => ("通行证无效", "the pass is not valid"),
            RuleId::PositiveStaysIsolated => ("阳性感染者须隔离治疗", "a positive case stays in isolation"),
            RuleId::HeldWhereTheyAre => {
                ("混管阳性待单管复核，原地管控", "held where they are until their single-tube retest")
            }
            RuleId::ContactInQuarantine => ("密接/次密接隔离期内", "a contact in quarantine"),
            RuleId::TierKeepsIn => ("管控区域内人员凭证出入", "this zone lets nobody out without a pass"),
            RuleId::TierKeepsOut => ("管控区域凭证进入", "this zone lets nobody in without a pass"),
            RuleId::ConfirmStaying => {
                ("您进去就不能再出来了，确定好了吧？", "Once you go in you cannot come out. Are you sure?")
            }
            RuleId::ConfirmedStaying => ("已确认进入后不再外出", "confirmed: will stay inside"),
            RuleId::PassAdmits => ("凭有效通行证通行", "a valid pass"),
            RuleId::Free => ("正常通行", "free to pass"),
        }
    }
}

fn allow(rule: RuleId) -> GateDecision {
    GateDecision { outcome: Outcome::Allowed, rule }
}

fn refuse(rule: RuleId) -> GateDecision {
    GateDecision { outcome: Outcome::Refused, rule }
}

/// Decides one passage under `rules` (the profile's gate rules, one per tier it uses).
pub fn decide(p: &Passage, rules: &[GateRule]) -> GateDecision {
    // A medical emergency never waits on a gate, a status or a test result.
    if p.pass == PassShown::Valid(PassKind::Emergency) {
        return allow(RuleId::EmergencyPass);
    }
    let pass = match p.pass {
        PassShown::Valid(kind) => Some(kind),
        PassShown::None => None,
        // A pass shown but not good is refused as such, even where none is needed: the cadre
        // must know the paper in front of them is bad.
        _ => return refuse(RuleId::PassRefused),
    };
    let rule = p.gate_tier.and_then(|t| rules.iter().find(|r| r.tier == t)).copied();
    let movement = |r: Option<GateRule>| match (r, p.direction) {
        (None, _) => Movement::Free,
        (Some(r), Direction::Out) => r.leave,
        (Some(r), Direction::In) => r.enter,
    };
    // The person's standing first: it follows them whatever the gate.
    match (p.standing, p.direction, pass) {
        (Standing::Positive, _, Some(PassKind::Medical)) => return allow(RuleId::PassAdmits),
        (Standing::Positive, _, _) => return refuse(RuleId::PositiveStaysIsolated),
        (Standing::HeldForRetest, Direction::Out, Some(PassKind::Medical)) => {
            return allow(RuleId::PassAdmits);
        }
        (Standing::HeldForRetest, Direction::Out, _) => return refuse(RuleId::HeldWhereTheyAre),
        (Standing::Contact, Direction::Out, Some(PassKind::Medical | PassKind::Exception)) => {
            return allow(RuleId::PassAdmits);
        }
        (Standing::Contact, Direction::Out, _) => return refuse(RuleId::ContactInQuarantine),
        _ => {}
    }
    match (movement(rule), p.direction, pass) {
        (Movement::Free, _, _) => allow(RuleId::Free),
        (Movement::PassOnly, _, Some(_)) => allow(RuleId::PassAdmits),
        (Movement::PassOnly, Direction::Out, None) => refuse(RuleId::TierKeepsIn),
        (Movement::PassOnly, Direction::In, None) => refuse(RuleId::TierKeepsOut),
        // Workers and deliveries go in and out on their pass; everyone else is asked.
        (Movement::Confirm, _, Some(PassKind::Worker | PassKind::Delivery)) => allow(RuleId::PassAdmits),
        (Movement::Confirm, _, _) if p.confirmed => allow(RuleId::ConfirmedStaying),
        (Movement::Confirm, _, _) => {
            GateDecision { outcome: Outcome::AskConfirmation, rule: RuleId::ConfirmStaying }
        }
    }
}

/// The gate rules a profile without its own uses: what the three-zone scheme and the 9th
/// edition say — sealed: nobody out, entering means staying; controlled: nobody out without a
/// pass, in freely; precaution: free.
pub fn default_rules() -> Vec<GateRule> {
    vec![
        GateRule { tier: Tier::Sealed, leave: Movement::PassOnly, enter: Movement::Confirm },
        GateRule { tier: Tier::Controlled, leave: Movement::PassOnly, enter: Movement::Free },
        GateRule { tier: Tier::Precaution, leave: Movement::Free, enter: Movement::Free },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn passage(
        direction: Direction,
        gate_tier: Option<Tier>,
        standing: Standing,
        pass: PassShown,
    ) -> Passage {
        Passage { direction, gate_tier, standing, pass, confirmed: false }
    }

    /// The table of the issue: tiers × standings × passes × directions, each with its outcome
    /// and the rule that decided.
    #[test]
    fn the_decision_table() {
        use Direction::{In, Out};
        use Outcome::{Allowed, AskConfirmation, Refused};
        use PassShown::{Expired, Forged, None as NoPass, Replayed, Revoked, Valid};
        use Standing::{Clear, Contact, HeldForRetest, Positive};
        let sealed = Some(Tier::Sealed);
        let controlled = Some(Tier::Controlled);
        let precaution = Some(Tier::Precaution);
        let rows: Vec<(Direction, Option<Tier>, Standing, PassShown, Outcome, RuleId)> = vec![
            // A resident of a sealed building is turned back; a pass lets them out.
            (Out, sealed, Clear, NoPass, Refused, RuleId::TierKeepsIn),
            (Out, sealed, Clear, Valid(PassKind::Exception), Allowed, RuleId::PassAdmits),
            (Out, controlled, Clear, NoPass, Refused, RuleId::TierKeepsIn),
            (Out, precaution, Clear, NoPass, Allowed, RuleId::Free),
            (Out, None, Clear, NoPass, Allowed, RuleId::Free),
            // Entering a sealed zone asks first; workers and deliveries go in on their pass.
            (In, sealed, Clear, NoPass, AskConfirmation, RuleId::ConfirmStaying),
            (In, sealed, Clear, Valid(PassKind::Delivery), Allowed, RuleId::PassAdmits),
            (In, sealed, Clear, Valid(PassKind::Exception), AskConfirmation, RuleId::ConfirmStaying),
            (In, controlled, Clear, NoPass, Allowed, RuleId::Free),
            // Standing follows the person.
            (Out, precaution, HeldForRetest, NoPass, Refused, RuleId::HeldWhereTheyAre),
            (Out, None, HeldForRetest, Valid(PassKind::Medical), Allowed, RuleId::PassAdmits),
            (In, precaution, HeldForRetest, NoPass, Allowed, RuleId::Free),
            (Out, None, Contact, NoPass, Refused, RuleId::ContactInQuarantine),
            (Out, None, Contact, Valid(PassKind::Worker), Refused, RuleId::ContactInQuarantine),
            (Out, None, Contact, Valid(PassKind::Exception), Allowed, RuleId::PassAdmits),
            (In, None, Positive, NoPass, Refused, RuleId::PositiveStaysIsolated),
            (Out, sealed, Positive, Valid(PassKind::Medical), Allowed, RuleId::PassAdmits),
            // An ambulance (emergency pass) always; a bad pass never.
            (Out, sealed, Positive, Valid(PassKind::Emergency), Allowed, RuleId::EmergencyPass),
            (In, sealed, Clear, Valid(PassKind::Emergency), Allowed, RuleId::EmergencyPass),
            (Out, precaution, Clear, Expired, Refused, RuleId::PassRefused),
            (Out, None, Clear, Revoked, Refused, RuleId::PassRefused),
            (In, controlled, Clear, Forged, Refused, RuleId::PassRefused),
            (Out, controlled, Clear, Replayed, Refused, RuleId::PassRefused),
        ];
        let rules = default_rules();
        for (i, (d, t, s, p, outcome, rule)) in rows.into_iter().enumerate() {
            let got = decide(&passage(d, t, s, p), &rules);
            assert_eq!((got.outcome, got.rule), (outcome, rule), "row {i}: {d:?} {t:?} {s:?} {p:?}");
        }
        let confirmed = Passage { confirmed: true, ..passage(In, sealed, Clear, NoPass) };
        assert_eq!(decide(&confirmed, &rules), allow(RuleId::ConfirmedStaying));
    }

    fn any_tier() -> impl Strategy<Value = Option<Tier>> {
        prop_oneof![
            Just(None),
            Just(Some(Tier::Sealed)),
            Just(Some(Tier::Controlled)),
            Just(Some(Tier::Precaution))
        ]
    }

    fn any_movement() -> impl Strategy<Value = Movement> {
        prop_oneof![Just(Movement::Free), Just(Movement::PassOnly), Just(Movement::Confirm)]
    }

    fn any_standing() -> impl Strategy<Value = Standing> {
        prop_oneof![
            Just(Standing::Clear),
            Just(Standing::HeldForRetest),
            Just(Standing::Contact),
            Just(Standing::Positive)
        ]
    }

    fn any_pass() -> impl Strategy<Value = PassShown> {
        let kind = prop_oneof![
            Just(PassKind::Worker),
            Just(PassKind::Delivery),
            Just(PassKind::Medical),
            Just(PassKind::Exception),
            Just(PassKind::Emergency)
        ];
        prop_oneof![
            Just(PassShown::None),
            kind.prop_map(PassShown::Valid),
            Just(PassShown::Expired),
            Just(PassShown::Revoked),
            Just(PassShown::OtherGate),
            Just(PassShown::Forged),
            Just(PassShown::Replayed)
        ]
    }

    fn any_rules() -> impl Strategy<Value = Vec<GateRule>> {
        (any_movement(), any_movement(), any_movement(), any_movement()).prop_map(|(a, b, c, d)| {
            vec![
                GateRule { tier: Tier::Sealed, leave: Movement::PassOnly, enter: a },
                GateRule { tier: Tier::Controlled, leave: b, enter: c },
                GateRule { tier: Tier::Precaution, leave: d, enter: Movement::Free },
            ]
        })
    }

    proptest! {
        #[test]
        fn an_emergency_pass_is_always_let_through(
            out: bool, tier in any_tier(), standing in any_standing(), confirmed: bool, rules in any_rules()
        ) {
            let direction = if out { Direction::Out } else { Direction::In };
            let p = Passage { direction, gate_tier: tier, standing, pass: PassShown::Valid(PassKind::Emergency), confirmed };
            prop_assert_eq!(decide(&p, &rules).outcome, Outcome::Allowed);
        }

        #[test]
        fn nobody_leaves_a_sealed_zone_without_a_pass(
            standing in any_standing(), pass in any_pass(), confirmed: bool, rules in any_rules()
        ) {
            let p = Passage { direction: Direction::Out, gate_tier: Some(Tier::Sealed), standing, pass, confirmed };
            let d = decide(&p, &rules);
            if d.outcome == Outcome::Allowed {
                prop_assert!(matches!(pass, PassShown::Valid(_)), "{:?} let out by {:?}", pass, d.rule);
            }
        }

        #[test]
        fn a_bad_pass_is_never_accepted(
            out: bool, tier in any_tier(), standing in any_standing(), confirmed: bool, rules in any_rules(),
            pass in prop_oneof![Just(PassShown::Expired), Just(PassShown::Revoked), Just(PassShown::OtherGate), Just(PassShown::Forged), Just(PassShown::Replayed)]
        ) {
            let direction = if out { Direction::Out } else { Direction::In };
            let p = Passage { direction, gate_tier: tier, standing, pass, confirmed };
            prop_assert_eq!(decide(&p, &rules), refuse(RuleId::PassRefused));
        }

        #[test]
        fn a_positive_case_passes_only_for_medical_care(
            out: bool, tier in any_tier(), pass in any_pass(), confirmed: bool, rules in any_rules()
        ) {
            let direction = if out { Direction::Out } else { Direction::In };
            let p = Passage { direction, gate_tier: tier, standing: Standing::Positive, pass, confirmed };
            if decide(&p, &rules).outcome == Outcome::Allowed {
                prop_assert!(matches!(pass, PassShown::Valid(PassKind::Medical | PassKind::Emergency)));
            }
        }
    }
}
