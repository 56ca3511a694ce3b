//! 权限: what a role may do and see. A role's rights are data (the store keeps them, an operator
//! grants and revokes them with `cordon roles`); the table below is only what a new command starts
//! with, and what a right added by a later version starts as for each role.
//!
//! Rights come in two kinds. Most open a task (keep a gate, plan a round). Three open fields: a
//! gate cadre reads a resident's name and standing, and without `see_id_number` and `see_health`
//! never their ID number, their tubes or their case.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// A person's ID number (masked in the middle even then).
    SeeIdNumber,
    /// A person's phone (masked in the middle even then).
    SeePhone,
    /// 健康信息: tubes and results, cases, contacts: what is diagnosed of a person.
    SeeHealth,
    /// The command dashboard and the daily figures.
    ViewDashboard,
    /// Publishing the daily briefing and a case's public trajectory notice.
    Publish,
    /// 指挥部决策: approving a zone's lifting, the protocol in force, the tracing rules.
    Command,
    /// Drawing, extending and proposing zones.
    ManageZones,
    /// Recording a positive against the zones around a household.
    ReportPositive,
    /// Planning mass-testing rounds and closing them.
    PlanTesting,
    /// Sending the tubes sampled.
    SendSamples,
    /// Sending lab results.
    ReportResults,
    /// Cases, contacts and the chains between them.
    ViewCases,
    /// Opening cases and changing them.
    ManageCases,
    /// Opening a case from a lab result without managing cases otherwise.
    OpenCases,
    /// 守门: checking who goes in and out at a gate.
    KeepGate,
    /// Gates, passes and exceptions.
    ManageGates,
    /// Residents' needs: taking, acknowledging, delivering.
    HandleNeeds,
    /// Deciding a need's way out (an escort, a transfer).
    DecideNeeds,
    /// 包联: the workforce and who answers for which area.
    ViewWorkforce,
    /// Assigning workers and their areas.
    ManageWorkforce,
    /// Exporting lists (the sweep, the vulnerable, residents).
    Export,
    /// Exporting the list of contacts.
    ExportContacts,
    /// 破窗: reading one person outside one's areas, stating why.
    BreakGlass,
    /// The audit of reads, the glass broken, the server's metrics.
    ReviewAudit,
    /// 合并重复登记: finding the register's duplicates and merging them.
    MergePeople,
    /// 用户管理: adding, re-scoping and disabling the sign-ins of one's areas, and resetting
    /// their passwords; never to a role holding a right the manager lacks.
    ManageUsers,
    /// 户籍维护: adding people to households of one's areas, and recording their moves, phones,
    /// tags and standing (moved out, deceased).
    KeepRegister,
}

impl Right {
    pub const ALL: [Right; 27] = [
        Right::SeeIdNumber,
        Right::SeePhone,
        Right::SeeHealth,
        Right::ViewDashboard,
        Right::Publish,
        Right::Command,
        Right::ManageZones,
        Right::ReportPositive,
        Right::PlanTesting,
        Right::SendSamples,
        Right::ReportResults,
        Right::ViewCases,
        Right::ManageCases,
        Right::OpenCases,
        Right::KeepGate,
        Right::ManageGates,
        Right::HandleNeeds,
        Right::DecideNeeds,
        Right::ViewWorkforce,
        Right::ManageWorkforce,
        Right::Export,
        Right::ExportContacts,
        Right::BreakGlass,
        Right::ReviewAudit,
        Right::MergePeople,
        Right::ManageUsers,
        Right::KeepRegister,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Right::SeeIdNumber => "see_id_number",
            Right::SeePhone => "see_phone",
            Right::SeeHealth => "see_health",
            Right::ViewDashboard => "view_dashboard",
            Right::Publish => "publish",
            Right::Command => "command",
            Right::ManageZones => "manage_zones",
            Right::ReportPositive => "report_positive",
            Right::PlanTesting => "plan_testing",
            Right::SendSamples => "send_samples",
            Right::ReportResults => "report_results",
            Right::ViewCases => "view_cases",
            Right::ManageCases => "manage_cases",
            Right::OpenCases => "open_cases",
            Right::KeepGate => "keep_gate",
            Right::ManageGates => "manage_gates",
            Right::HandleNeeds => "handle_needs",
            Right::DecideNeeds => "decide_needs",
            Right::ViewWorkforce => "view_workforce",
            Right::ManageWorkforce => "manage_workforce",
            Right::Export => "export",
            Right::ExportContacts => "export_contacts",
            Right::BreakGlass => "break_glass",
            Right::ReviewAudit => "review_audit",
            Right::MergePeople => "merge_people",
            Right::ManageUsers => "manage_users",
            Right::KeepRegister => "keep_register",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
            DomainError::invalid("right", format!("unknown right {s:?}; the rights are {}", known.join(", ")))
        })
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Right::SeeIdNumber => "看证件号",
            Right::SeePhone => "看电话",
            Right::SeeHealth => "看健康信息（检测、病例）",
            Right::ViewDashboard => "看指挥大屏",
            Right::Publish => "发布日报与轨迹通告",
            Right::Command => "指挥部决策（解封、方案、流调规则、权限）",
            Right::ManageZones => "划定与调整风险区",
            Right::ReportPositive => "报告阳性",
            Right::PlanTesting => "安排核酸轮次",
            Right::SendSamples => "上传采样",
            Right::ReportResults => "上报检测结果",
            Right::ViewCases => "看病例与密接",
            Right::ManageCases => "管理病例",
            Right::OpenCases => "确诊立案",
            Right::KeepGate => "卡口值守",
            Right::ManageGates => "管理卡口与通行证",
            Right::HandleNeeds => "处理居民诉求",
            Right::DecideNeeds => "审批外出",
            Right::ViewWorkforce => "看包联力量",
            Right::ManageWorkforce => "调配包联力量",
            Right::Export => "导出名单",
            Right::ExportContacts => "导出密接名单",
            Right::BreakGlass => "破窗查看",
            Right::ReviewAudit => "审计查阅",
            Right::MergePeople => "合并重复登记",
            Right::ManageUsers => "管理用户账号",
            Right::KeepRegister => "维护户籍登记",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Right::SeeIdNumber => "see ID numbers",
            Right::SeePhone => "see phones",
            Right::SeeHealth => "see health data (tests, cases)",
            Right::ViewDashboard => "view the dashboard",
            Right::Publish => "publish briefings and notices",
            Right::Command => "command decisions (lifting, protocol, tracing rules, rights)",
            Right::ManageZones => "draw and change zones",
            Right::ReportPositive => "report a positive",
            Right::PlanTesting => "plan testing rounds",
            Right::SendSamples => "send samples",
            Right::ReportResults => "report results",
            Right::ViewCases => "view cases and contacts",
            Right::ManageCases => "manage cases",
            Right::OpenCases => "open cases",
            Right::KeepGate => "keep a gate",
            Right::ManageGates => "manage gates and passes",
            Right::HandleNeeds => "handle residents' needs",
            Right::DecideNeeds => "decide requests to leave",
            Right::ViewWorkforce => "view the workforce",
            Right::ManageWorkforce => "manage the workforce",
            Right::Export => "export lists",
            Right::ExportContacts => "export contact lists",
            Right::BreakGlass => "break the glass",
            Right::ReviewAudit => "review the audit",
            Right::MergePeople => "merge duplicate entries",
            Right::ManageUsers => "manage users' sign-ins",
            Right::KeepRegister => "keep the register",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of rights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Rights(u32);

impl Rights {
    pub const NONE: Rights = Rights(0);

    pub fn of(rights: &[Right]) -> Rights {
        Rights(rights.iter().fold(0, |bits, r| bits | r.bit()))
    }

    pub fn has(self, right: Right) -> bool {
        self.0 & right.bit() != 0
    }

    pub fn with(self, right: Right) -> Rights {
        Rights(self.0 | right.bit())
    }

    pub fn without(self, right: Right) -> Rights {
        Rights(self.0 & !right.bit())
    }

    /// The rights held here and not in `other`: what a manager holding `other` could not hand
    /// over by giving a role holding `self`.
    pub fn beyond(self, other: Rights) -> Rights {
        Rights(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Right> {
        Right::ALL.into_iter().filter(move |r| self.has(*r))
    }

    /// The rights named in a stored list (`see_phone,keep_gate`). A name this version does not
    /// know (written by a later one) grants nothing.
    pub fn from_stored(list: &str) -> Rights {
        list.split(',').filter_map(|s| Right::parse(s).ok()).fold(Rights::NONE, Rights::with)
    }
}

/// What a route asks of its caller before it does anything: declared once, beside the route,
/// and checked for every request before the handler runs. It is the floor, not the whole rule:
/// a service still checks what depends on the object (whose area, which kind of event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nobody signed in: signing in, health, the static files.
    Open,
    /// Any signed-in user; what they see is cut to their areas by the service.
    SignedIn,
    /// A signed-in user holding at least one of these rights.
    AnyOf(&'static [Right]),
    /// A resident signed in by phone (居民): their own household's routes, which no staff
    /// sign-in answers, as no staff route answers a resident.
    Resident,
}

impl Need {
    /// Whether `rights` meet the need (a signed-in user's; `Open` and `SignedIn` always do).
    pub fn met_by(self, rights: Rights) -> bool {
        match self {
            Need::Open | Need::SignedIn => true,
            Need::AnyOf(any) => any.iter().any(|r| rights.has(*r)),
            Need::Resident => false,
        }
    }

    /// The rights that meet it, as stored names (`keep_gate, manage_gates`); empty when any
    /// signed-in user does.
    pub fn names(self) -> String {
        match self {
            Need::Open | Need::SignedIn => String::new(),
            Need::Resident => "a resident's sign-in".into(),
            Need::AnyOf(any) => any.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
        }
    }
}

/// 用户管理: whether a manager holding `manager` may give a user a role holding `role`, or
/// change a user who holds it: only when the role holds nothing the manager lacks, so no one
/// makes or unmakes a sign-in stronger than their own. `Err` holds the rights beyond theirs.
///
/// Breaking the glass reads a person outside one's areas: a manager of the whole city
/// (`whole_city`) has no outside, so they hand that right over without holding it.
pub fn may_hand_over(manager: Rights, whole_city: bool, role: Rights) -> Result<(), Rights> {
    let manager = if whole_city { manager.with(Right::BreakGlass) } else { manager };
    let beyond = role.beyond(manager);
    if beyond.is_empty() { Ok(()) } else { Err(beyond) }
}

impl Role {
    /// Rights a role cannot lose: headquarters keeps `command` (which grants and revokes
    /// rights) and `review_audit`, so no change leaves the command unable to undo it, or blind to
    /// who read whom.
    pub fn keeps(self, right: Right) -> bool {
        self == Role::Headquarters && matches!(right, Right::Command | Right::ReviewAudit)
    }

    /// What a role starts with. Each office sees the whole of a person inside its areas; the
    /// cadre at a gate and the sampler on a sweep see whom they face by name, with a phone to
    /// call them back, never with an ID number or a diagnosis; the lab sees tubes.
    pub fn default_rights(self) -> Rights {
        use Right::*;
        let offices = [
            SeeIdNumber,
            SeePhone,
            SeeHealth,
            ViewDashboard,
            ManageZones,
            ReportPositive,
            PlanTesting,
            SendSamples,
            ReportResults,
            ViewCases,
            ManageCases,
            OpenCases,
            KeepGate,
            ManageGates,
            HandleNeeds,
            DecideNeeds,
            ViewWorkforce,
            ManageWorkforce,
            Export,
            ExportContacts,
            MergePeople,
            KeepRegister,
        ];
        match self {
            Role::Headquarters => {
                Rights::of(&offices).with(Publish).with(Command).with(ReviewAudit).with(ManageUsers)
            }
            // The district office runs the sign-ins of its district (the brief: headquarters
            // and district officers add, disable and re-scope users under their scope).
            Role::District => Rights::of(&offices).with(BreakGlass).with(ManageUsers),
            Role::Street => Rights::of(&offices).with(BreakGlass),
            Role::CommunityWorker => Rights::of(&[
                SeeIdNumber,
                SeePhone,
                SeeHealth,
                ViewDashboard,
                PlanTesting,
                SendSamples,
                ViewCases,
                KeepGate,
                ManageGates,
                HandleNeeds,
                ViewWorkforce,
                ManageWorkforce,
                Export,
                ExportContacts,
                BreakGlass,
                MergePeople,
                // The community worker is the one at the door who finds the newborn, the
                // tenant, the neighbour who died: they record it there.
                KeepRegister,
            ]),
            Role::Cadre => Rights::of(&[SeePhone, KeepGate, HandleNeeds, ViewWorkforce, BreakGlass]),
            Role::Sampler => Rights::of(&[SeePhone, SendSamples, BreakGlass]),
            Role::Lab => Rights::of(&[SendSamples, ReportResults, OpenCases, ReportPositive]),
            Role::Epidemiologist => Rights::of(&[
                SeeIdNumber,
                SeePhone,
                SeeHealth,
                ViewDashboard,
                ReportPositive,
                ReportResults,
                ViewCases,
                ManageCases,
                OpenCases,
                ExportContacts,
                BreakGlass,
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_right_has_its_own_bit_and_name() {
        let all = Rights::of(&Right::ALL);
        assert_eq!(all.iter().count(), Right::ALL.len());
        for r in Right::ALL {
            assert_eq!(Right::parse(r.as_str()).unwrap(), r);
            assert!(all.has(r) && !all.without(r).has(r));
        }
        assert!(Right::ALL.windows(2).all(|w| w[0] < w[1]), "ALL is in declaration order");
    }

    #[test]
    fn a_stored_list_round_trips_and_unknown_names_grant_nothing() {
        for role in Role::ALL {
            let rights = role.default_rights();
            let stored: Vec<&str> = rights.iter().map(Right::as_str).collect();
            assert_eq!(Rights::from_stored(&stored.join(",")), rights);
        }
        assert_eq!(Rights::from_stored("see_phone,fly_drones,"), Rights::of(&[Right::SeePhone]));
        assert_eq!(Rights::from_stored(""), Rights::NONE);
        assert!(Right::parse("fly").unwrap_err().to_string().contains("keep_gate"));
    }

    /// The brief's example of least privilege: the cadre at a gate sees name and standing only.
    #[test]
    fn a_gate_cadre_sees_no_id_number_and_no_diagnosis() {
        let cadre = Role::Cadre.default_rights();
        assert!(cadre.has(Right::KeepGate));
        assert!(!cadre.has(Right::SeeIdNumber) && !cadre.has(Right::SeeHealth));
        assert!(!Role::Sampler.default_rights().has(Right::SeeHealth));
        assert!(Role::Headquarters.default_rights().has(Right::ReviewAudit));
    }

    proptest::proptest! {
        /// A route's need is met exactly when the user holds one of its rights; signing in is
        /// met by any set, even none.
        #[test]
        fn a_need_is_met_by_any_one_of_its_rights(held in proptest::collection::vec(0..Right::ALL.len(), 0..8),
            asked in proptest::sample::subsequence(Right::ALL.to_vec(), 1..4)) {
            let rights = held.iter().fold(Rights::NONE, |r, i| r.with(Right::ALL[*i]));
            let asked: &'static [Right] = asked.leak();
            let need = Need::AnyOf(asked);
            proptest::prop_assert_eq!(need.met_by(rights), asked.iter().any(|r| rights.has(*r)));
            proptest::prop_assert!(Need::SignedIn.met_by(rights) && Need::Open.met_by(rights));
            proptest::prop_assert!(!need.met_by(Rights::NONE));
        }
    }

    proptest::proptest! {
        /// A manager hands over a role exactly when they hold every right of it, and a refusal
        /// names exactly the rights they lack.
        #[test]
        fn no_one_hands_over_a_right_they_lack(manager in proptest::collection::vec(0..Right::ALL.len(), 0..26),
            role in proptest::collection::vec(0..Right::ALL.len(), 0..26), whole_city: bool) {
            let set = |v: &[usize]| v.iter().fold(Rights::NONE, |r, i| r.with(Right::ALL[*i]));
            let (manager, role) = (set(&manager), set(&role));
            let holds = |r: Right| manager.has(r) || (whole_city && r == Right::BreakGlass);
            match may_hand_over(manager, whole_city, role) {
                Ok(()) => proptest::prop_assert!(role.iter().all(holds)),
                Err(beyond) => {
                    proptest::prop_assert!(!beyond.is_empty());
                    for r in Right::ALL {
                        proptest::prop_assert_eq!(beyond.has(r), role.has(r) && !holds(r));
                    }
                }
            }
            proptest::prop_assert!(may_hand_over(manager, whole_city, manager).is_ok());
        }
    }

    /// The city's headquarters may make any role; a district office cannot make headquarters.
    #[test]
    fn a_district_cannot_make_headquarters() {
        let district = Role::District.default_rights();
        assert!(district.has(Right::ManageUsers));
        let lacks = may_hand_over(district, false, Role::Headquarters.default_rights()).unwrap_err();
        assert!(lacks.has(Right::Command) && lacks.has(Right::Publish));
        for role in Role::ALL {
            let hq = Role::Headquarters.default_rights();
            assert!(may_hand_over(hq, true, role.default_rights()).is_ok(), "{role:?}");
        }
        assert!(may_hand_over(district, false, Role::Cadre.default_rights()).is_ok());
    }

    #[test]
    fn a_need_names_its_rights() {
        assert_eq!(Need::AnyOf(&[Right::KeepGate, Right::ManageGates]).names(), "keep_gate, manage_gates");
        assert_eq!(Need::SignedIn.names(), "");
    }

    #[test]
    fn what_a_role_keeps_it_starts_with() {
        for role in Role::ALL {
            for right in Right::ALL.into_iter().filter(|r| role.keeps(*r)) {
                assert!(role.default_rights().has(right), "{role:?} keeps {right} it never had");
            }
        }
    }
}
