//! The words of the worker's own duty page (报到与值班), in Chinese and English.

use cordon_domain::duty::DutyState;

use crate::web::Page;

pub struct DutyTexts {
    pub title: &'static str,
    pub not_linked: &'static str,
    pub reported_to: &'static str,
    pub not_reported: &'static str,
    pub community: &'static str,
    pub report_in: &'static str,
    pub go_off: &'static str,
    pub go_on: &'static str,
    pub off: &'static str,
    pub on_duty_since: &'static str,
    pub overdue: &'static str,
    pub resting_until: &'static str,
    pub rule: &'static str,
}

pub static ZH_DUTY: DutyTexts = DutyTexts {
    title: "报到与值班",
    not_linked: "你的账号尚未关联花名册中的人员，无法在此报到。请联系管理你账号的区、街道防控办。",
    reported_to: "今日报到社区",
    not_reported: "今日尚未报到",
    community: "报到社区",
    report_in: "报到并上岗",
    go_off: "下岗休息",
    go_on: "重新上岗",
    off: "未在岗",
    on_duty_since: "在岗，自 {} 起",
    overdue: "已超过连续在岗时限，请安排轮休",
    resting_until: "轮休中，{} 后可再上岗",
    rule: "连续在岗不超过 {max} 小时，下岗后休息 {rest} 小时（现行防控方案）。",
};

pub static EN_DUTY: DutyTexts = DutyTexts {
    title: "Reporting in and shifts",
    not_linked: "Your sign-in is not linked to a worker of the roster, so you cannot report in here. Ask the office that manages your sign-in.",
    reported_to: "Reported in today at",
    not_reported: "Not reported in today",
    community: "Community",
    report_in: "Report in and go on duty",
    go_off: "Go off duty",
    go_on: "Back on duty",
    off: "Off duty",
    on_duty_since: "On duty since {}",
    overdue: "On duty longer than the rule allows: time to rest",
    resting_until: "Resting: back on duty from {}",
    rule: "At most {max} hours on duty in one go, then {rest} hours of rest (the protocol in force).",
};

impl Page {
    pub fn duty_texts(&self) -> &'static DutyTexts {
        self.lang.pick(&ZH_DUTY, &EN_DUTY)
    }

    /// A worker's duty in words.
    pub fn duty_text(&self, d: &DutyState) -> String {
        let w = self.duty_texts();
        match d {
            DutyState::Off => w.off.to_owned(),
            DutyState::OnDuty { since, .. } => w.on_duty_since.replace("{}", &self.time(since)),
            DutyState::Resting { until, .. } => w.resting_until.replace("{}", &self.time(until)),
        }
    }

    pub fn duty_overdue(&self, d: &DutyState) -> bool {
        matches!(d, DutyState::OnDuty { overdue: true, .. })
    }

    pub fn shift_rule_text(&self, r: &cordon_domain::duty::ShiftRule) -> String {
        self.duty_texts()
            .rule
            .replace("{max}", &r.max_hours.to_string())
            .replace("{rest}", &r.rest_hours.to_string())
    }
}
