//! The words of the case and contact pages, in Chinese and English; the pages ask for them by name.

use cordon_store::CaseChange;

/// The texts of the case and contact pages.
pub struct CaseTexts {
    pub person_name: &'static str,
    pub cases: &'static str,
    pub contacts: &'static str,
    pub chain: &'static str,
    pub clusters: &'static str,
    pub open_case: &'static str,
    pub class: &'static str,
    pub asymptomatic: &'static str,
    pub confirmed: &'static str,
    pub onset: &'static str,
    pub sampled: &'static str,
    pub infectious_from: &'static str,
    pub isolated: &'static str,
    pub not_isolated: &'static str,
    pub outcome: &'static str,
    pub in_course: &'static str,
    pub record_outcome: &'static str,
    pub outcome_at: &'static str,
    pub outcome_place: &'static str,
    pub monitoring_until: &'static str,
    pub discharge_hint: &'static str,
    pub isolation_place: &'static str,
    pub source_case: &'static str,
    pub source_unknown: &'static str,
    pub close: &'static str,
    pub secondary: &'static str,
    pub traced: &'static str,
    pub not_traced: &'static str,
    pub trace: &'static str,
    pub trace_again: &'static str,
    pub trace_done: &'static str,
    /// What a trace found: `{close}`, `{secondary}`, `{added}`.
    pub trace_counts: &'static str,
    pub reclassify: &'static str,
    pub isolate: &'static str,
    pub link: &'static str,
    pub add_note: &'static str,
    pub trajectory: &'static str,
    pub add_segment: &'static str,
    pub starts: &'static str,
    pub ends: &'static str,
    pub venue: &'static str,
    pub place_without_code: &'static str,
    pub place: &'static str,
    pub transport: &'static str,
    pub transport_detail: &'static str,
    pub visitors: &'static str,
    pub remove: &'static str,
    pub notices: &'static str,
    pub draft_notice: &'static str,
    pub publish: &'static str,
    pub draft: &'static str,
    pub published: &'static str,
    pub withdrawn: &'static str,
    pub generalised: &'static str,
    pub notice_help: &'static str,
    pub no_trajectory: &'static str,
    pub kind: &'static str,
    pub found_by: &'static str,
    pub household: &'static str,
    pub via: &'static str,
    pub exposure: &'static str,
    pub status: &'static str,
    pub plan: &'static str,
    pub central_until: &'static str,
    pub ends_on: &'static str,
    pub next_test: &'static str,
    pub day_n: &'static str,
    pub phase_central: &'static str,
    pub phase_home: &'static str,
    pub phase_ended: &'static str,
    pub phase_not_started: &'static str,
    pub no_plan: &'static str,
    pub identified: &'static str,
    pub quarantined: &'static str,
    pub released: &'static str,
    pub became_case: &'static str,
    pub unreachable: &'static str,
    pub follow_up: &'static str,
    pub save: &'static str,
    pub outside_areas: &'static str,
    pub not_in_register: &'static str,
    pub none_yet: &'static str,
    pub shown_first: &'static str,
    /// Under a case's contacts, when it has more than its page lists.
    pub more_on_contacts: &'static str,
    pub prev_rows: &'static str,
    pub open_cases: &'static str,
    pub sampled_on: &'static str,
    pub narrow: &'static str,
    pub next_rows: &'static str,
    pub active_only: &'static str,
    pub overdue_only: &'static str,
    pub missed_on: &'static str,
    pub all: &'static str,
    pub scan_index: &'static str,
    pub loading: &'static str,
    pub legend_chain: &'static str,
    pub cases_in_cluster: &'static str,
    pub test_dates: &'static str,
}

pub static ZH_CASES: CaseTexts = CaseTexts {
    person_name: "姓名",
    cases: "病例",
    contacts: "密接",
    chain: "传播链",
    clusters: "聚集性疫情",
    open_case: "新增病例",
    class: "类型",
    asymptomatic: "无症状感染者",
    confirmed: "确诊病例",
    onset: "发病日期",
    sampled: "采样时间",
    infectious_from: "传染期起",
    isolated: "隔离时间",
    not_isolated: "尚未隔离",
    outcome: "转归",
    in_course: "治疗中",
    record_outcome: "登记转归",
    outcome_at: "时间",
    outcome_place: "入院、隔离以入住为准：在定点医院或方舱登记入住（或转运到达）时自动记录；此处只为已入住者补记。",
    monitoring_until: "居家健康监测至",
    discharge_hint: "治愈出院须满足本病例所执行方案的出院标准（如间隔24小时两次核酸阴性），系统按其检测结果核验。",
    isolation_place: "隔离地点",
    source_case: "传染源",
    source_unknown: "感染来源调查中",
    close: "密接",
    secondary: "次密接",
    traced: "已流调",
    not_traced: "未流调",
    trace: "开展流调（推算密接、次密接）",
    trace_again: "重新推算",
    trace_done: "流调完成",
    trace_counts: "密接 {close} 人，次密接 {secondary} 人，其中本次新增 {added} 人",
    reclassify: "转为确诊",
    isolate: "登记隔离",
    link: "关联传染源",
    add_note: "添加记录",
    trajectory: "活动轨迹",
    add_segment: "添加轨迹",
    starts: "开始",
    ends: "结束",
    venue: "场所（场所码）",
    place_without_code: "或无场所码的地点所在区域编码",
    place: "地点",
    transport: "交通方式",
    transport_detail: "线路/车次",
    visitors: "同时段扫码人数",
    remove: "删除",
    notices: "轨迹公告",
    draft_notice: "生成公告草稿",
    publish: "审核发布",
    draft: "草稿",
    published: "已发布",
    withdrawn: "已撤下",
    generalised: "处地点仅公布到街道",
    notice_help: "公告只提轨迹不提人：不含姓名、年龄、性别、身份证号、电话、门牌号；同时段扫码人数少于 k 的场所只公布到街道。",
    no_trajectory: "尚未登记活动轨迹",
    kind: "类别",
    found_by: "发现途径",
    household: "同住家庭成员",
    via: "关联人员",
    exposure: "暴露时间",
    status: "状态",
    plan: "管控方案",
    central_until: "集中隔离至",
    ends_on: "解除日期",
    next_test: "下次核酸",
    day_n: "第{}天",
    phase_central: "集中隔离",
    phase_home: "居家健康监测",
    phase_ended: "期满",
    phase_not_started: "未开始",
    no_plan: "本方案不判定",
    identified: "待转运",
    quarantined: "隔离中",
    released: "已解除",
    became_case: "已转为病例",
    unreachable: "联系不上",
    follow_up: "跟进",
    save: "保存",
    outside_areas: "辖区外",
    not_in_register: "非本市登记人员",
    none_yet: "暂无",
    shown_first: "仅显示前 {} 条",
    more_on_contacts: "本案密接较多，此处只列出前 1000 人；全部见密接名单。",
    prev_rows: "← 上一页",
    open_cases: "未结案",
    sampled_on: "采样日期",
    narrow: "筛选",
    next_rows: "下一页 →",
    active_only: "跟进中",
    overdue_only: "应检未检",
    missed_on: "漏检",
    all: "全部",
    scan_index: "场所码扫码记录",
    loading: "加载中",
    legend_chain: "● 确诊病例　◆ 无症状感染者　空心：辖区外病例　箭头：传播方向",
    cases_in_cluster: "例",
    test_dates: "核酸检测日",
};

pub static EN_CASES: CaseTexts = CaseTexts {
    person_name: "Name",
    cases: "Cases",
    contacts: "Contacts",
    chain: "Transmission chain",
    clusters: "Clusters",
    open_case: "Open a case",
    class: "Class",
    asymptomatic: "asymptomatic",
    confirmed: "confirmed",
    onset: "Onset",
    sampled: "Sampled",
    infectious_from: "Infectious from",
    isolated: "Isolated",
    not_isolated: "not isolated yet",
    outcome: "Outcome",
    in_course: "in treatment",
    record_outcome: "Record an outcome",
    outcome_at: "When",
    outcome_place: "Admitted or isolated follows the stay: recorded by itself when the case is checked in at a hospital or a 方舱 (or a transfer arrives); here only for one checked in already.",
    monitoring_until: "health monitoring at home until",
    discharge_hint: "A discharge must meet the discharge rule of the case's profile (e.g. two negative tests 24 hours apart); the case's test results are checked.",
    isolation_place: "Isolation place",
    source_case: "Source",
    source_unknown: "source under investigation",
    close: "close",
    secondary: "secondary",
    traced: "traced",
    not_traced: "not traced",
    trace: "Trace (derive close and secondary contacts)",
    trace_again: "Trace again",
    trace_done: "Traced",
    trace_counts: "{close} close and {secondary} secondary contacts, {added} of them new",
    reclassify: "Reclassify as confirmed",
    isolate: "Record isolation",
    link: "Link to source",
    add_note: "Add a note",
    trajectory: "Trajectory",
    add_segment: "Add a segment",
    starts: "From",
    ends: "To",
    venue: "Venue (venue code)",
    place_without_code: "or the area code of a place without one",
    place: "Place",
    transport: "Transport",
    transport_detail: "Line or number",
    visitors: "People scanned then",
    remove: "Remove",
    notices: "Public notices",
    draft_notice: "Draft a notice",
    publish: "Review and publish",
    draft: "draft",
    published: "published",
    withdrawn: "withdrawn",
    generalised: "places given as their street only",
    notice_help: "A notice gives the movements, never the person: no name, age, sex, ID number, phone or door number; a place scanned by fewer than k people at the time is given as its street.",
    no_trajectory: "No trajectory recorded yet",
    kind: "Kind",
    found_by: "Found by",
    household: "same household",
    via: "Via",
    exposure: "Exposure",
    status: "Status",
    plan: "Quarantine",
    central_until: "Central until",
    ends_on: "Ends",
    next_test: "Next test",
    day_n: "day {}",
    phase_central: "central quarantine",
    phase_home: "home monitoring",
    phase_ended: "completed",
    phase_not_started: "not started",
    no_plan: "not identified under this profile",
    identified: "to be placed",
    quarantined: "in quarantine",
    released: "released",
    became_case: "became a case",
    unreachable: "unreachable",
    follow_up: "Follow-up",
    save: "Save",
    outside_areas: "outside your areas",
    not_in_register: "not in the city's register",
    none_yet: "none yet",
    shown_first: "showing the first {}",
    more_on_contacts: "This case has many contacts: the first 1,000 are listed here, all of them on the contacts list.",
    prev_rows: "← Previous",
    open_cases: "Open",
    sampled_on: "Sampled on",
    narrow: "Show",
    next_rows: "Next →",
    active_only: "under follow-up",
    overdue_only: "test missed",
    missed_on: "missed",
    all: "all",
    scan_index: "Venue-code scans",
    loading: "loading",
    legend_chain: "● confirmed  ◆ asymptomatic  hollow: outside your areas  arrows: who infected whom",
    cases_in_cluster: "cases",
    test_dates: "Test days",
};

impl crate::web::Page {
    /// The words of the case and contact pages, in the page's language.
    pub fn c(&self) -> &'static CaseTexts {
        self.lang.pick(&ZH_CASES, &EN_CASES)
    }

    /// What the trace just done found, from the page's address (`close,secondary,added`),
    /// each number named.
    pub fn trace_counts(&self, traced: &str) -> String {
        let n: Vec<i64> = traced.split(',').map(|x| x.trim().parse().unwrap_or(0)).collect();
        let at = |i: usize| self.count(n.get(i).unwrap_or(&0));
        self.c()
            .trace_counts
            .replace("{close}", &at(0))
            .replace("{secondary}", &at(1))
            .replace("{added}", &at(2))
    }

    /// An outcome in the page's language.
    pub fn case_outcome_name(&self, o: &cordon_domain::CaseOutcome) -> &'static str {
        o.label(matches!(self.lang, crate::web::i18n::Lang::Zh))
    }

    /// The outcomes a form offers.
    pub fn outcomes(&self) -> &'static [cordon_domain::CaseOutcome] {
        &cordon_domain::CaseOutcome::ALL
    }

    /// A case whose course is over takes no further outcome.
    pub fn case_closed(&self, case: &crate::cases::CaseView) -> bool {
        case.outcome.is_some_and(cordon_domain::CaseOutcome::closes)
    }
}

/// A line of a case's history in Chinese and in English: the API sends both, the page shows one.
pub(super) fn event_texts(change: &CaseChange) -> (String, String) {
    match change {
        CaseChange::Opened { class } => {
            (format!("立案：{}", class.name_zh()), format!("opened as {}", class.as_str()))
        }
        CaseChange::Reclassified { from, to } => (
            format!("{}转{}", from.name_zh(), to.name_zh()),
            format!("reclassified from {} to {}", from.as_str(), to.as_str()),
        ),
        CaseChange::Isolated { at, place } => (
            format!("隔离：{place}（{}）", at.format("%Y-%m-%d %H:%M UTC")),
            format!("isolated at {place} ({})", at.format("%Y-%m-%d %H:%M UTC")),
        ),
        CaseChange::Linked { source_case_id: Some(s) } => {
            (format!("关联传染源：病例{s}"), format!("linked to source case {s}"))
        }
        CaseChange::Linked { source_case_id: None } => ("传染源未明".into(), "source unknown".into()),
        CaseChange::Traced { close, secondary, added } => (
            format!("流调：密接{close}人，次密接{secondary}人（新增{added}人）"),
            format!("traced: {close} close, {secondary} secondary ({added} new)"),
        ),
        CaseChange::Note { text } => (text.clone(), text.clone()),
        CaseChange::Outcome { outcome, at, place, monitoring_until, tests, .. } => {
            let when = at.format("%Y-%m-%d %H:%M UTC");
            let (mut zh, mut en) =
                (format!("{}（{when}）", outcome.label(true)), format!("{} ({when})", outcome.label(false)));
            if !place.is_empty() {
                zh.push_str(&format!("：{place}"));
                en.push_str(&format!(": {place}"));
            }
            if !tests.is_empty() {
                let list: Vec<String> =
                    tests.iter().map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).collect();
                zh.push_str(&format!("，依据核酸阴性（采样于{}）", list.join("、")));
                en.push_str(&format!(", on negative tests sampled {}", list.join(", ")));
            }
            if let Some(until) = monitoring_until {
                zh.push_str(&format!("，居家健康监测至{}", until.format("%Y-%m-%d %H:%M UTC")));
                en.push_str(&format!(
                    ", health monitoring at home until {}",
                    until.format("%Y-%m-%d %H:%M UTC")
                ));
            }
            (zh, en)
        }
    }
}
