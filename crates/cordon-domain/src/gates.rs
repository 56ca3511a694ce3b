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

pub use crate::protocol::gate_rule::{GateRule, Movement, OfflineRule, default_rule};

/// Which way through the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Into the guarded area.
    In,
    /// Out of it.
    Out,
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
    /// Good, but it names someone else.
    NotTheirs,
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
    /// 转运: the vehicle of a transfer order and its passengers, once, on the way to a site.
    /// Issued only with the order: it lets out a case or a contact, whom no other pass does.
    Transfer,
}

/// Who comes to the gate, as the cadre sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Someone in the register (by ID number or a pass that names them).
    Resident,
    /// On a worker's pass: cadres, volunteers, medical staff.
    Worker,
    /// On a delivery pass.
    Delivery,
    /// A 120 ambulance: the crew is never stopped.
    Ambulance,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Resident => "resident",
            Subject::Worker => "worker",
            Subject::Delivery => "delivery",
            Subject::Ambulance => "ambulance",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Subject::Resident, Subject::Worker, Subject::Delivery, Subject::Ambulance]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// What the server found of the pass shown or the person named, beside the rule that decided
/// (查验所见): kept typed in the log, so each page words it in its own language. The keys are the
/// ones a gate device offline words its own checks with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// What the QR code holds is not a pass of this system.
    NotCordon,
    /// The signature does not match the content: forged or altered.
    BadSignature,
    /// Signed here, but the register has no such pass (the database was replaced).
    NoSuchPass,
    /// Revoked; the detail keeps the reason given.
    Revoked,
    /// Outside the window it was issued for.
    Expired,
    /// Issued for another area or other gates; the detail names the area.
    OtherGate,
    /// A one-time pass used already.
    Replayed,
    /// Someone who lives outside the cadre's areas named by a register id, which a gate never
    /// answers for: they show their ID card or their pass.
    FromElsewhere,
}

impl Finding {
    pub const ALL: [Finding; 8] = [
        Finding::NotCordon,
        Finding::BadSignature,
        Finding::NoSuchPass,
        Finding::Revoked,
        Finding::Expired,
        Finding::OtherGate,
        Finding::Replayed,
        Finding::FromElsewhere,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Finding::NotCordon => "not_cordon",
            Finding::BadSignature => "bad_signature",
            Finding::NoSuchPass => "no_such_pass",
            Finding::Revoked => "revoked",
            Finding::Expired => "expired",
            Finding::OtherGate => "other_gate",
            Finding::Replayed => "replayed",
            Finding::FromElsewhere => "from_elsewhere",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Finding::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Everything a gate decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passage {
    pub direction: Direction,
    pub subject: Subject,
    /// The gate rule of the tier over the area the gate guards (none: not in a zone).
    pub gate: Option<GateRule>,
    /// The gate rule of the tier over where the person lives — or stays, having gone into a
    /// sealed zone (none: not in a zone, or not in the register).
    pub home: Option<GateRule>,
    /// The person lives (or stays) inside the area the gate guards.
    pub lives_inside: bool,
    pub standing: Standing,
    pub pass: PassShown,
    /// The person confirmed they know they cannot come back out.
    pub confirmed: bool,
}

/// The rule that decided: kept in the log with the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    Ambulance,
    EmergencyPass,
    PassRefused,
    /// The pass names someone else.
    PassOfAnother,
    PositiveStaysIsolated,
    HeldWhereTheyAre,
    ContactInQuarantine,
    TierKeepsIn,
    /// The person's home zone lets nobody out, and here they are outside it without a pass.
    HomeKeepsIn,
    TierKeepsOut,
    ConfirmStaying,
    ConfirmedStaying,
    PassAdmits,
    Free,
    /// Refused before any rule: the gate is not one the cadre's areas hold.
    UnknownGate,
    /// Refused before any rule: nobody in the register has that ID number.
    UnknownPerson,
    /// Nobody named and no pass: there is nothing to decide on.
    NobodyNamed,
    /// A transfer's vehicle on its one-time pass.
    TransferPass,
}

impl RuleId {
    pub const ALL: [RuleId; 18] = [
        RuleId::Ambulance,
        RuleId::EmergencyPass,
        RuleId::PassRefused,
        RuleId::PassOfAnother,
        RuleId::PositiveStaysIsolated,
        RuleId::HeldWhereTheyAre,
        RuleId::ContactInQuarantine,
        RuleId::TierKeepsIn,
        RuleId::HomeKeepsIn,
        RuleId::TierKeepsOut,
        RuleId::ConfirmStaying,
        RuleId::ConfirmedStaying,
        RuleId::PassAdmits,
        RuleId::Free,
        RuleId::UnknownGate,
        RuleId::UnknownPerson,
        RuleId::NobodyNamed,
        RuleId::TransferPass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::Ambulance => "ambulance",
            RuleId::EmergencyPass => "emergency_pass",
            RuleId::PassRefused => "pass_refused",
            RuleId::PassOfAnother => "pass_of_another",
            RuleId::PositiveStaysIsolated => "positive_stays_isolated",
            RuleId::HeldWhereTheyAre => "held_where_they_are",
            RuleId::ContactInQuarantine => "contact_in_quarantine",
            RuleId::TierKeepsIn => "tier_keeps_in",
            RuleId::HomeKeepsIn => "home_keeps_in",
            RuleId::TierKeepsOut => "tier_keeps_out",
            RuleId::ConfirmStaying => "confirm_staying",
            RuleId::ConfirmedStaying => "confirmed_staying",
            RuleId::PassAdmits => "pass_admits",
            RuleId::Free => "free",
            RuleId::UnknownGate => "unknown_gate",
            RuleId::UnknownPerson => "unknown_person",
            RuleId::NobodyNamed => "nobody_named",
            RuleId::TransferPass => "transfer_pass",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        RuleId::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Refused,
    /// Ask the question, then decide again with `confirmed`.
    AskConfirmation,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Refused => "refused",
            Outcome::AskConfirmation => "ask_confirmation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Outcome::Allowed, Outcome::Refused, Outcome::AskConfirmation].into_iter().find(|o| o.as_str() == s)
    }
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Clear => "clear",
            Standing::HeldForRetest => "held_for_retest",
            Standing::Contact => "contact",
            Standing::Positive => "positive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Standing::Clear, Standing::HeldForRetest, Standing::Contact, Standing::Positive]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

impl PassKind {
    pub const ALL: [PassKind; 6] = [
        PassKind::Worker,
        PassKind::Delivery,
        PassKind::Medical,
        PassKind::Exception,
        PassKind::Emergency,
        PassKind::Transfer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PassKind::Worker => "worker",
            PassKind::Delivery => "delivery",
            PassKind::Medical => "medical",
            PassKind::Exception => "exception",
            PassKind::Emergency => "emergency",
            PassKind::Transfer => "transfer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        PassKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The subject a pass of this kind brings to the gate.
    pub fn subject(self) -> Subject {
        match self {
            PassKind::Worker => Subject::Worker,
            PassKind::Delivery => Subject::Delivery,
            PassKind::Medical | PassKind::Exception | PassKind::Emergency | PassKind::Transfer => {
                Subject::Resident
            }
        }
    }
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
            RuleId::Ambulance => ("救护车急救通行，任何卡口不得阻拦", "an ambulance: no gate may stop it"),
            RuleId::EmergencyPass => {
                ("急危重症绿色通道，任何卡口不得阻拦", "emergency pass: no gate may refuse it")
            }
            RuleId::PassRefused => ("通行证无效", "the pass is not valid"),
            RuleId::PassOfAnother => ("通行证不属于本人", "the pass belongs to someone else"),
            RuleId::PositiveStaysIsolated => ("阳性感染者须隔离治疗", "a positive case stays in isolation"),
            RuleId::HeldWhereTheyAre => {
                ("混管阳性待单管复核，原地管控", "held where they are until their single-tube retest")
            }
            RuleId::ContactInQuarantine => ("密接/次密接隔离期内", "a contact in quarantine"),
            RuleId::TierKeepsIn => ("管控区域内人员凭证出入", "this zone lets nobody out without a pass"),
            RuleId::HomeKeepsIn => {
                ("居住地处于管控区域，无证不得外出", "their home zone lets nobody out without a pass")
            }
            RuleId::TierKeepsOut => ("管控区域凭证进入", "this zone lets nobody in without a pass"),
            RuleId::ConfirmStaying => {
                ("您进去就不能再出来了，确定好了吧？", "Once you go in you cannot come out. Are you sure?")
            }
            RuleId::ConfirmedStaying => ("已确认进入后不再外出", "confirmed: will stay inside"),
            RuleId::PassAdmits => ("凭有效通行证通行", "a valid pass"),
            RuleId::Free => ("正常通行", "free to pass"),
            RuleId::UnknownGate => ("卡口不存在或不在您的辖区", "no such gate in your areas"),
            RuleId::UnknownPerson => ("查无此人", "nobody in the register has that ID number"),
            RuleId::NobodyNamed => ("请扫码或输入证件号", "scan a code or type an ID number"),
            RuleId::TransferPass => {
                ("转运车辆凭一次性转运通行证通行", "a transfer vehicle on its one-time transfer pass")
            }
        }
    }
}

fn allow(rule: RuleId) -> GateDecision {
    GateDecision { outcome: Outcome::Allowed, rule }
}

fn refuse(rule: RuleId) -> GateDecision {
    GateDecision { outcome: Outcome::Refused, rule }
}

/// Decides one passage. The gate rules come with the passage (`gate`, `home`): the server looks
/// them up in the profile of the zones concerned.
pub fn decide(p: &Passage) -> GateDecision {
    // A medical emergency never waits on a gate, a status or a test result.
    if p.subject == Subject::Ambulance {
        return allow(RuleId::Ambulance);
    }
    if p.pass == PassShown::Valid(PassKind::Emergency) {
        return allow(RuleId::EmergencyPass);
    }
    // A transfer takes cases and contacts out, which is its purpose: the order was decided by
    // whoever issued it, and the pass opens the way once.
    if p.pass == PassShown::Valid(PassKind::Transfer) {
        return allow(RuleId::TransferPass);
    }
    let pass = match p.pass {
        PassShown::Valid(kind) => Some(kind),
        PassShown::None => None,
        PassShown::NotTheirs => return refuse(RuleId::PassOfAnother),
        // A pass shown but not good is refused as such, even where none is needed: the cadre
        // must know the paper in front of them is bad.
        _ => return refuse(RuleId::PassRefused),
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
    let home_keeps_in = p.home.is_some_and(|h| h.leave != Movement::Free);
    match p.direction {
        Direction::Out => {
            // Leaving: the gate's rule, and the home's when home is inside (a sealed building
            // inside a controlled compound keeps its people in at the compound's gate too).
            let gate_keeps_in = p.gate.is_some_and(|g| g.leave != Movement::Free);
            match pass {
                Some(_) if gate_keeps_in || (home_keeps_in && p.lives_inside) => allow(RuleId::PassAdmits),
                None if gate_keeps_in => refuse(RuleId::TierKeepsIn),
                None if home_keeps_in && p.lives_inside => refuse(RuleId::HomeKeepsIn),
                _ => allow(RuleId::Free),
            }
        }
        Direction::In => {
            // Someone whose home zone keeps them in, met outside it with no pass, went out
            // without one: they are not let into somewhere else.
            if home_keeps_in && !p.lives_inside && pass.is_none() {
                return refuse(RuleId::HomeKeepsIn);
            }
            match (p.gate.map_or(Movement::Free, |g| g.enter), pass) {
                (Movement::Free, _) => allow(RuleId::Free),
                (Movement::PassOnly, Some(_)) => allow(RuleId::PassAdmits),
                (Movement::PassOnly, None) => refuse(RuleId::TierKeepsOut),
                // Workers and deliveries go in and out on their pass; everyone else is asked.
                (Movement::Confirm, Some(PassKind::Worker | PassKind::Delivery)) => allow(RuleId::PassAdmits),
                (Movement::Confirm, _) if p.confirmed => allow(RuleId::ConfirmedStaying),
                (Movement::Confirm, _) => {
                    GateDecision { outcome: Outcome::AskConfirmation, rule: RuleId::ConfirmStaying }
                }
            }
        }
    }
}

/// Where the server, taking an offline passage's decision again on what it knows when the
/// passage arrives, differs from what the device decided: shown to the cadre and kept in the
/// log for the supervisor, never settled silently either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OfflineConflict {
    /// The server's own decision, when it differs from the device's.
    pub server_outcome: Option<Outcome>,
    pub server_rule: Option<RuleId>,
    /// Minutes the device's stamp was ahead of the server's clock when it arrived: a passage
    /// from the future, which a device's wrong clock (or a forged one) gives.
    pub clock_ahead_minutes: Option<i64>,
}

impl OfflineConflict {
    /// As the log keeps it.
    pub fn stored(&self) -> String {
        serde_json::to_string(self).expect("a conflict serialises")
    }

    pub fn parse(stored: &str) -> Option<Self> {
        serde_json::from_str(stored).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Tier;
    use proptest::prelude::*;

    /// A passage at a gate of a zone of `gate_tier`: going out, by someone living inside it;
    /// coming in, by someone from outside every zone.
    fn passage(
        direction: Direction,
        gate_tier: Option<Tier>,
        standing: Standing,
        pass: PassShown,
    ) -> Passage {
        let subject = match pass {
            PassShown::Valid(k) => k.subject(),
            _ => Subject::Resident,
        };
        Passage {
            direction,
            subject,
            gate: gate_tier.map(default_rule),
            home: gate_tier.filter(|_| direction == Direction::Out).map(default_rule),
            lives_inside: direction == Direction::Out,
            standing,
            pass,
            confirmed: false,
        }
    }

    /// The table of the issue: tiers × standings × passes × directions, each with its outcome
    /// and the rule that decided.
    #[test]
    fn the_decision_table() {
        use Direction::{In, Out};
        use Outcome::{Allowed, AskConfirmation, Refused};
        use PassShown::{Expired, Forged, None as NoPass, NotTheirs, Replayed, Revoked, Valid};
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
            // An emergency pass always; a bad pass never.
            (Out, sealed, Positive, Valid(PassKind::Emergency), Allowed, RuleId::EmergencyPass),
            (In, sealed, Clear, Valid(PassKind::Emergency), Allowed, RuleId::EmergencyPass),
            (Out, sealed, Positive, Valid(PassKind::Transfer), Allowed, RuleId::TransferPass),
            (Out, sealed, Contact, Valid(PassKind::Transfer), Allowed, RuleId::TransferPass),
            (Out, precaution, Clear, Expired, Refused, RuleId::PassRefused),
            (Out, None, Clear, Revoked, Refused, RuleId::PassRefused),
            (In, controlled, Clear, Forged, Refused, RuleId::PassRefused),
            (Out, controlled, Clear, Replayed, Refused, RuleId::PassRefused),
            (Out, sealed, Clear, NotTheirs, Refused, RuleId::PassOfAnother),
        ];
        for (i, (d, t, s, p, outcome, rule)) in rows.into_iter().enumerate() {
            let got = decide(&passage(d, t, s, p));
            assert_eq!((got.outcome, got.rule), (outcome, rule), "row {i}: {d:?} {t:?} {s:?} {p:?}");
        }
        let confirmed = Passage { confirmed: true, ..passage(In, sealed, Clear, NoPass) };
        assert_eq!(decide(&confirmed), allow(RuleId::ConfirmedStaying));
        // An ambulance is let through whoever it carries.
        let ambulance = Passage { subject: Subject::Ambulance, ..passage(Out, sealed, Positive, NoPass) };
        assert_eq!(decide(&ambulance), allow(RuleId::Ambulance));
    }

    /// Home and gate differ: a sealed building inside a compound that is not sealed.
    #[test]
    fn home_keeps_its_people_in_at_every_gate() {
        let sealed = Some(default_rule(Tier::Sealed));
        let base = Passage {
            direction: Direction::Out,
            subject: Subject::Resident,
            gate: None,
            home: sealed,
            lives_inside: true,
            standing: Standing::Clear,
            pass: PassShown::None,
            confirmed: false,
        };
        assert_eq!(decide(&base), refuse(RuleId::HomeKeepsIn));
        let with_pass = Passage { pass: PassShown::Valid(PassKind::Medical), ..base };
        assert_eq!(decide(&with_pass), allow(RuleId::PassAdmits));
        // Met outside their sealed home, going into another compound: refused without a pass.
        let elsewhere = Passage { direction: Direction::In, lives_inside: false, ..base };
        assert_eq!(decide(&elsewhere), refuse(RuleId::HomeKeepsIn));
        let on_a_pass = Passage { pass: PassShown::Valid(PassKind::Exception), ..elsewhere };
        assert_eq!(decide(&on_a_pass), allow(RuleId::Free));
        // Going home into the sealed building is asked like anyone.
        let back_home = Passage { direction: Direction::In, gate: sealed, lives_inside: true, ..base };
        assert_eq!(decide(&back_home).outcome, Outcome::AskConfirmation);
    }

    #[test]
    fn names_round_trip() {
        for r in RuleId::ALL {
            assert_eq!(RuleId::parse(r.as_str()), Some(r));
        }
        for k in PassKind::ALL {
            assert_eq!(PassKind::parse(k.as_str()), Some(k));
        }
        for f in Finding::ALL {
            assert_eq!(Finding::parse(f.as_str()), Some(f));
            // The log stores the name the API answers with.
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
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

    fn any_subject() -> impl Strategy<Value = Subject> {
        prop_oneof![Just(Subject::Resident), Just(Subject::Worker), Just(Subject::Delivery)]
    }

    fn any_pass() -> impl Strategy<Value = PassShown> {
        prop_oneof![
            Just(PassShown::None),
            proptest::sample::select(PassKind::ALL.to_vec()).prop_map(PassShown::Valid),
            Just(PassShown::Expired),
            Just(PassShown::Revoked),
            Just(PassShown::OtherGate),
            Just(PassShown::Forged),
            Just(PassShown::Replayed),
            Just(PassShown::NotTheirs)
        ]
    }

    /// A gate rule for a tier as any profile that passes `Profile::check` may have it: a
    /// sealed tier lets nobody out without a pass; leaving is never by confirmation.
    fn any_rule(tier: Option<Tier>) -> impl Strategy<Value = Option<GateRule>> {
        (any_movement(), any_movement()).prop_map(move |(leave, enter)| {
            tier.map(|tier| {
                let leave = match (tier, leave) {
                    (Tier::Sealed, _) | (_, Movement::Confirm) => Movement::PassOnly,
                    (_, l) => l,
                };
                GateRule { tier, leave, enter }
            })
        })
    }

    prop_compose! {
        fn any_passage()(
            out: bool, subject in any_subject(), gate in any_tier().prop_flat_map(any_rule),
            home in any_tier().prop_flat_map(any_rule), lives_inside: bool,
            standing in any_standing(), pass in any_pass(), confirmed: bool,
        ) -> Passage {
            let direction = if out { Direction::Out } else { Direction::In };
            Passage { direction, subject, gate, home, lives_inside, standing, pass, confirmed }
        }
    }

    proptest! {
        #[test]
        fn an_emergency_pass_is_always_let_through(p in any_passage()) {
            let p = Passage { pass: PassShown::Valid(PassKind::Emergency), ..p };
            prop_assert_eq!(decide(&p), allow(RuleId::EmergencyPass));
        }

        #[test]
        fn an_ambulance_is_always_let_through(p in any_passage()) {
            let p = Passage { subject: Subject::Ambulance, ..p };
            prop_assert_eq!(decide(&p).outcome, Outcome::Allowed);
        }

        #[test]
        fn nobody_leaves_a_sealed_zone_without_a_pass(p in any_passage()) {
            let sealed = Some(default_rule(Tier::Sealed));
            for p in [
                Passage { direction: Direction::Out, gate: sealed, ..p },
                Passage { direction: Direction::Out, home: sealed, lives_inside: true, ..p },
            ] {
                let d = decide(&p);
                if d.outcome == Outcome::Allowed {
                    prop_assert!(matches!(p.pass, PassShown::Valid(_)), "{:?} let out by {:?}", p.pass, d.rule);
                }
            }
        }

        #[test]
        fn a_bad_pass_is_never_accepted(
            p in any_passage(),
            pass in prop_oneof![Just(PassShown::Expired), Just(PassShown::Revoked), Just(PassShown::OtherGate), Just(PassShown::Forged), Just(PassShown::Replayed)]
        ) {
            prop_assert_eq!(decide(&Passage { pass, ..p }), refuse(RuleId::PassRefused));
        }

        #[test]
        fn a_positive_case_passes_only_for_medical_care_or_its_transfer(p in any_passage()) {
            let p = Passage { standing: Standing::Positive, ..p };
            if decide(&p).outcome == Outcome::Allowed {
                prop_assert!(matches!(
                    p.pass,
                    PassShown::Valid(PassKind::Medical | PassKind::Emergency | PassKind::Transfer)
                ));
            }
        }

        /// A transfer's vehicle goes through whoever it carries, on a good pass only.
        #[test]
        fn a_good_transfer_pass_always_opens_the_way(p in any_passage()) {
            let on_pass = Passage { pass: PassShown::Valid(PassKind::Transfer), ..p };
            prop_assert_eq!(decide(&on_pass), allow(RuleId::TransferPass));
        }
    }
}
