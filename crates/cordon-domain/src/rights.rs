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
}

impl Right {
    pub const ALL: [Right; 25] = [
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

    pub fn iter(self) -> impl Iterator<Item = Right> {
        Right::ALL.into_iter().filter(move |r| self.has(*r))
    }

    /// The rights named in a stored list (`see_phone,keep_gate`). A name this version does not
    /// know (written by a later one) grants nothing.
    pub fn from_stored(list: &str) -> Rights {
        list.split(',').filter_map(|s| Right::parse(s).ok()).fold(Rights::NONE, Rights::with)
    }
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
        ];
        match self {
            Role::Headquarters => Rights::of(&offices).with(Publish).with(Command).with(ReviewAudit),
            Role::District | Role::Street => Rights::of(&offices).with(BreakGlass),
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

    #[test]
    fn what_a_role_keeps_it_starts_with() {
        for role in Role::ALL {
            for right in Right::ALL.into_iter().filter(|r| role.keeps(*r)) {
                assert!(role.default_rights().has(right), "{role:?} keeps {right} it never had");
            }
        }
    }
}
