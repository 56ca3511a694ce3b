//! The words of a contact's follow-up (医学观察) on the contact page, in Chinese and English.

use cordon_domain::followup::{Hold, Symptom, TestDayState, Verdict};

use crate::web::Page;
use crate::web::i18n::Lang;

pub struct FollowUpTexts {
    pub test_days: &'static str,
    pub day: &'static str,
    pub sampled: &'static str,
    pub ahead: &'static str,
    pub due: &'static str,
    pub missed: &'static str,
    pub pending: &'static str,
    pub negative: &'static str,
    pub positive: &'static str,
    pub under_way: &'static str,
    pub to_release: &'static str,
    pub held: &'static str,
    pub checks: &'static str,
    pub no_checks: &'static str,
    pub temperature: &'static str,
    pub symptoms: &'static str,
    pub well: &'static str,
    pub unwell: &'static str,
    pub record_check: &'static str,
    pub released_at: &'static str,
    pub became: &'static str,
    pub missed_n: &'static str,
    pub hold_missed: &'static str,
    pub hold_awaiting: &'static str,
    pub hold_positive: &'static str,
    pub hold_unwell: &'static str,
    pub release_rule: &'static str,
    /// The field page of the day's checks, and its way from the contacts page.
    pub field: &'static str,
    /// "{t}" is the temperature taken.
    pub checked_today: &'static str,
    pub none_here: &'static str,
    /// "{n}" is the count.
    pub left_to_check: &'static str,
    pub all_checked: &'static str,
}

pub static ZH_FOLLOW_UP: FollowUpTexts = FollowUpTexts {
    test_days: "核酸检测日",
    day: "日期",
    sampled: "采样时间",
    ahead: "未到",
    due: "今日应采",
    missed: "漏采",
    pending: "待出结果",
    negative: "阴性",
    positive: "阳性",
    under_way: "观察中",
    to_release: "期满可解除",
    held: "暂不解除",
    checks: "健康监测",
    no_checks: "尚无健康监测记录。",
    temperature: "体温（℃）",
    symptoms: "症状",
    well: "正常",
    unwell: "异常",
    record_check: "记录健康监测",
    released_at: "解除时间",
    became: "已转为病例",
    missed_n: "漏采 {} 次",
    hold_missed: "{} 未采样，需补采",
    hold_awaiting: "{} 的样本尚未出结果",
    hold_positive: "{} 的样本阳性：请新增病例",
    hold_unwell: "{} 的健康监测发现发热或症状",
    release_rule: "观察期满、每个检测日均有阴性结果且最近一次健康监测正常时，系统自动解除。",
    field: "健康监测（断网可用）",
    checked_today: "今日已测 {t}℃",
    none_here: "本区域没有居家医学观察的人员。",
    left_to_check: "今日还有 {n} 人未测",
    all_checked: "今日都已测过",
};

pub static EN_FOLLOW_UP: FollowUpTexts = FollowUpTexts {
    test_days: "Test days",
    day: "Day",
    sampled: "Sampled",
    ahead: "ahead",
    due: "due today",
    missed: "missed",
    pending: "awaiting result",
    negative: "negative",
    positive: "positive",
    under_way: "under way",
    to_release: "plan over: to release",
    held: "held",
    checks: "Health checks",
    no_checks: "No health check recorded yet.",
    temperature: "Temperature (°C)",
    symptoms: "Symptoms",
    well: "well",
    unwell: "unwell",
    record_check: "Record a health check",
    released_at: "Released",
    became: "Became a case",
    missed_n: "{} test days missed",
    hold_missed: "no sample on {}: make it up",
    hold_awaiting: "the sample of {} has no result yet",
    hold_positive: "the sample of {} is positive: open a case",
    hold_unwell: "the check of {} found a fever or a symptom",
    release_rule: "Released automatically once the plan is over, every test day has a negative result and the latest health check is well.",
    field: "Health checks, offline-ready",
    checked_today: "checked today: {t} °C",
    none_here: "Nobody in this area is followed up at home.",
    left_to_check: "{n} still to check today",
    all_checked: "Everyone checked today",
};

impl Page {
    pub fn follow_texts(&self) -> &'static FollowUpTexts {
        self.lang.pick(&ZH_FOLLOW_UP, &EN_FOLLOW_UP)
    }

    pub fn test_day_state(&self, s: &TestDayState) -> &'static str {
        let w = self.follow_texts();
        match s {
            TestDayState::Ahead => w.ahead,
            TestDayState::Due => w.due,
            TestDayState::Missed => w.missed,
            TestDayState::Pending => w.pending,
            TestDayState::Negative => w.negative,
            TestDayState::Positive => w.positive,
        }
    }

    /// The class a test day's state is drawn with.
    pub fn test_day_class(&self, s: &TestDayState) -> &'static str {
        match s {
            TestDayState::Missed | TestDayState::Positive => "warn",
            TestDayState::Due | TestDayState::Pending => "due",
            TestDayState::Negative => "ok",
            TestDayState::Ahead => "muted",
        }
    }

    /// Where the contact stands, with the reason a held one is held.
    pub fn verdict_text(&self, v: &Verdict) -> String {
        let w = self.follow_texts();
        match v {
            Verdict::UnderWay => w.under_way.to_owned(),
            Verdict::Release { .. } => w.to_release.to_owned(),
            Verdict::Held { hold } => {
                let (text, when) = match hold {
                    Hold::Missed { date } => (w.hold_missed, date.format("%m-%d").to_string()),
                    Hold::Awaiting { date } => (w.hold_awaiting, date.format("%m-%d").to_string()),
                    Hold::Positive { date } => (w.hold_positive, date.format("%m-%d").to_string()),
                    Hold::Unwell { at } => (w.hold_unwell, self.time(at)),
                };
                format!("{}：{}", w.held, text.replace("{}", &when))
            }
        }
    }

    pub fn symptom_name(&self, s: &Symptom) -> &'static str {
        match self.lang {
            Lang::Zh => s.name_zh(),
            Lang::En => s.name_en(),
        }
    }

    /// Every symptom a check asks about, as (value, label).
    pub fn symptom_choices(&self) -> Vec<(&'static str, &'static str)> {
        Symptom::ALL.iter().map(|s| (s.as_str(), self.symptom_name(s))).collect()
    }

    pub fn missed_n(&self, n: &usize) -> String {
        self.follow_texts().missed_n.replace("{}", &n.to_string())
    }
}
