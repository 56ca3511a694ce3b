//! The pages' two languages. Chinese is the default; English by `?lang=en` (remembered in a
//! cookie) or by the browser's Accept-Language.

use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::CookieJar;
use cordon_domain::Blocker;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const COOKIE: &'static str = "cordon_lang";

    pub fn detect(query: Option<&str>, jar: &CookieJar, headers: &HeaderMap) -> Lang {
        let pick = |s: &str| match s {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        };
        if let Some(l) = query.and_then(pick) {
            return l;
        }
        if let Some(l) = jar.get(Self::COOKIE).and_then(|c| pick(c.value())) {
            return l;
        }
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let first = accept.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
        if first.starts_with("en") { Lang::En } else { Lang::Zh }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// A count as people of this language read it in a table: exact, grouped in English.
    pub fn count(self, n: i64) -> String {
        match self {
            Lang::Zh => n.to_string(),
            Lang::En => cordon_domain::format::count_en(n),
        }
    }
}

/// A day as people of this language write it: 2022年3月3日 / 2022-03-03.
pub fn date(lang: Lang, d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    match lang {
        Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    }
}

/// Why a zone may not step down, in words.
pub fn blocker(lang: Lang, b: &Blocker) -> String {
    let d = |x: chrono::NaiveDate| date(lang, x);
    match (lang, b) {
        (Lang::Zh, Blocker::ManualOnly) => "本级无降级条件，由指挥部手动解除".into(),
        (Lang::En, Blocker::ManualOnly) => {
            "no step down under this profile: headquarters lifts it by hand".into()
        }
        (Lang::Zh, Blocker::CleanDays { have, need, since }) => {
            format!("连续无新增 {have}/{need} 天（自{}起）", d(*since))
        }
        (Lang::En, Blocker::CleanDays { have, need, since }) => {
            format!("{have} of {need} clean days (since {})", d(*since))
        }
        (Lang::Zh, Blocker::RoundRequired { due, overdue }) => format!(
            "需{}或之后完成一轮全员核酸且全部阴性{}",
            d(*due),
            if *overdue { "（已逾期）" } else { "" }
        ),
        (Lang::En, Blocker::RoundRequired { due, overdue }) => format!(
            "needs an all-negative full testing round on or after {}{}",
            d(*due),
            if *overdue { " (overdue)" } else { "" }
        ),
        (Lang::Zh, Blocker::ContactExposure { last, need_days }) => {
            format!("最后一名密接于{}暴露，须超过 {need_days} 天", d(*last))
        }
        (Lang::En, Blocker::ContactExposure { last, need_days }) => {
            format!(
                "the last close contact was exposed on {}; more than {need_days} days must pass",
                d(*last)
            )
        }
        (Lang::Zh, Blocker::Extended { until }) => format!("指挥部决定维持至{}", d(*until)),
        (Lang::En, Blocker::Extended { until }) => format!("held by headquarters until {}", d(*until)),
    }
}

/// The blockers joined, in English (for API error messages).
pub fn blockers_en(bs: &[Blocker]) -> String {
    bs.iter().map(|b| blocker(Lang::En, b)).collect::<Vec<_>>().join("; ")
}

/// Every fixed text of the pages. A field per text, so a missing translation does not compile.
pub struct Texts {
    pub product: &'static str,
    pub command: &'static str,
    pub switch_to: &'static str,
    pub login_title: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub bad_login: &'static str,
    pub bad_code: &'static str,
    pub code_asked: &'static str,
    pub two_factor: &'static str,
    pub two_factor_code: &'static str,
    pub two_factor_hint: &'static str,
    pub two_factor_on: &'static str,
    pub two_factor_setup: &'static str,
    pub two_factor_steps: &'static str,
    pub two_factor_key: &'static str,
    pub two_factor_confirm: &'static str,
    pub areas: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub duplicates: &'static str,
    pub duplicates_hint: &'static str,
    pub no_duplicates: &'static str,
    pub merge_reason: &'static str,
    pub keep_this: &'static str,
    pub merged_from: &'static str,
    pub search_button: &'static str,
    pub residents: &'static str,
    pub households: &'static str,
    pub vulnerable: &'static str,
    pub subareas: &'static str,
    pub name: &'static str,
    pub no_children: &'static str,
    pub no_results: &'static str,
    pub more_results: &'static str,
    pub sex: &'static str,
    pub age: &'static str,
    pub birth_year: &'static str,
    pub phone: &'static str,
    pub id_number: &'static str,
    /// A field the reader's role is not shown.
    pub withheld: &'static str,
    pub address: &'static str,
    pub household_members: &'static str,
    pub male: &'static str,
    pub female: &'static str,
    pub unknown: &'static str,
    pub not_found: &'static str,
    pub back_home: &'static str,
    pub audited: &'static str,
    pub scope: &'static str,
    pub zones: &'static str,
    pub zone_map: &'static str,
    pub legend: &'static str,
    pub no_zone: &'static str,
    pub tier_sealed: &'static str,
    pub tier_controlled: &'static str,
    pub tier_precaution: &'static str,
    pub people_sealed_controlled: &'static str,
    pub people_unit: &'static str,
    pub ready_today: &'static str,
    pub rounds_overdue: &'static str,
    pub proposals: &'static str,
    pub pending_proposals: &'static str,
    pub days_clean: &'static str,
    pub earliest: &'static str,
    pub next_round: &'static str,
    pub blocked_by: &'static str,
    pub ready: &'static str,
    pub steps_to: &'static str,
    pub lift_word: &'static str,
    pub lifted: &'static str,
    pub history: &'static str,
    pub draw: &'static str,
    pub area_code: &'static str,
    pub tier: &'static str,
    pub reason: &'static str,
    pub profile: &'static str,
    pub submit: &'static str,
    pub record_round: &'static str,
    pub all_negative: &'static str,
    pub sampled_at: &'static str,
    pub record_positive: &'static str,
    pub person_id: &'static str,
    pub or_area: &'static str,
    pub contact_exposure: &'static str,
    pub extend: &'static str,
    pub until: &'static str,
    pub lift: &'static str,
    pub raise: &'static str,
    pub note: &'static str,
    pub approve: &'static str,
    pub reject: &'static str,
    pub status: &'static str,
    pub no_zones: &'static str,
    pub no_proposals: &'static str,
    pub movement: &'static str,
    pub drawn_by: &'static str,
    pub started: &'static str,
    pub residents_in_zone: &'static str,
    pub no_map: &'static str,
    pub proposal_kind: &'static str,
    pub decided: &'static str,
    pub by_system: &'static str,
    pub all: &'static str,
    pub actions: &'static str,
    pub case: &'static str,
    pub in_force: &'static str,
    pub effective_tier: &'static str,
    pub testing: &'static str,
    pub break_glass: &'static str,
    pub break_glass_hint: &'static str,
    pub glass_reason: &'static str,
    pub glass_note: &'static str,
    pub account: &'static str,
    pub change_password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub password_rule: &'static str,
    pub password_changed_hint: &'static str,
}

pub static ZH: Texts = Texts {
    product: "Cordon 疫情防控指挥系统",
    command: "疫情防控指挥部",
    switch_to: "English",
    login_title: "登录",
    username: "用户名",
    password: "密码",
    sign_in: "登录",
    sign_out: "退出",
    bad_login: "用户名或密码错误",
    bad_code: "验证码错误或已用过，请等下一个验证码",
    code_asked: "此账号开启了双因素登录：请再输入密码，并填写身份验证器上的六位验证码。",
    two_factor: "双因素登录",
    two_factor_code: "验证码（身份验证器）",
    two_factor_hint: "登录时除密码外，还需手机身份验证器上的六位验证码。指挥部账号必须开启。",
    two_factor_on: "已开启：每次登录都需输入身份验证器上的验证码。手机丢失时请运维人员重置。",
    two_factor_setup: "开启双因素登录",
    two_factor_steps: "用手机身份验证器（如 Google Authenticator、Microsoft Authenticator、FreeOTP）扫描二维码，或手动输入密钥；再填入它显示的六位验证码和当前密码。",
    two_factor_key: "密钥：",
    two_factor_confirm: "确认开启",
    areas: "区域",
    search: "人员查询",
    search_hint: "姓名、手机号或身份证号",
    duplicates: "重复登记",
    duplicates_hint: "可能是同一人的两条登记：身份证号相同，或姓名和电话相同，或同户姓名和出生年份相同。核实后保留一条：另一条的信息补入、记录（检测、病例、诉求、卡口等）转入，然后删除；合并记录保留。",
    no_duplicates: "辖区内没有疑似重复登记。",
    merge_reason: "核实情况",
    keep_this: "保留这一条，并入另一条",
    merged_from: "合并记录",
    search_button: "查询",
    residents: "人口",
    households: "户数",
    vulnerable: "重点人群",
    subareas: "下级区域",
    name: "名称",
    no_children: "没有下级区域",
    no_results: "没有找到符合条件的人员",
    more_results: "结果较多，仅显示前面部分；请输入更完整的姓名或号码",
    sex: "性别",
    age: "年龄",
    birth_year: "出生年份",
    phone: "电话",
    id_number: "身份证号",
    withheld: "按权限不显示",
    address: "住址",
    household_members: "同户人员",
    male: "男",
    female: "女",
    unknown: "未知",
    not_found: "没有找到，或不在您的管辖范围内",
    back_home: "返回首页",
    audited: "本次查阅已记录在案",
    scope: "管辖范围",
    zones: "风险区域",
    zone_map: "区域图",
    legend: "图例",
    no_zone: "无风险区",
    tier_sealed: "封控区",
    tier_controlled: "管控区",
    tier_precaution: "防范区",
    people_sealed_controlled: "共封控、管控",
    people_unit: "人",
    ready_today: "今日可降级",
    rounds_overdue: "全员核酸逾期",
    proposals: "审批",
    pending_proposals: "待审批",
    days_clean: "连续无新增天数",
    earliest: "最早可降级日期",
    next_round: "需完成全员核酸",
    blocked_by: "尚不能降级：",
    ready: "已满足降级条件，等待指挥部审批",
    steps_to: "降为",
    lift_word: "解除",
    lifted: "已解除",
    history: "历史记录",
    draw: "划定风险区域",
    area_code: "区域编码",
    tier: "等级",
    reason: "原因",
    profile: "防控方案",
    submit: "提交",
    record_round: "登记全员核酸结果",
    all_negative: "全部阴性",
    sampled_at: "采样时间",
    record_positive: "登记新增阳性",
    person_id: "人员编号",
    or_area: "或户、楼编码",
    contact_exposure: "登记密接末次暴露",
    extend: "延长管控",
    until: "至",
    lift: "解除",
    raise: "升级",
    note: "说明",
    approve: "批准",
    reject: "驳回",
    status: "状态",
    no_zones: "没有风险区域",
    no_proposals: "没有审批事项",
    movement: "管控要求",
    drawn_by: "划定人",
    started: "划定时间",
    residents_in_zone: "区域人口",
    no_map: "此级区域没有边界数据，以列表显示",
    proposal_kind: "事项",
    decided: "处理",
    by_system: "系统按规则生成",
    all: "全部",
    actions: "操作",
    case: "病例",
    in_force: "现行",
    effective_tier: "风险等级",
    testing: "检测安排",
    break_glass: "破窗查阅",
    break_glass_hint: "此人不在您的辖区内，或不存在。确需查阅（如紧急救治），请说明事由：授权一小时，仅限此人，事由和每次查阅都会报指挥部复核。",
    glass_reason: "事由",
    glass_note: "您正在辖区以外查阅此人（破窗），有效至",
    account: "我的账户",
    change_password: "修改密码",
    current_password: "当前密码",
    new_password: "新密码",
    password_rule: "至少10个字符，其中至少5个不同；不能含用户名，不能只是数字（生日、手机号），不能是键盘上连续的字母，也不能是最常被猜中的词加数字。",
    password_changed_hint: "修改后您在所有设备上的登录都将结束，请用新密码重新登录。",
};

pub static EN: Texts = Texts {
    product: "Cordon outbreak command",
    command: "Outbreak command",
    switch_to: "中文",
    login_title: "Sign in",
    username: "Username",
    password: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    bad_login: "Wrong username or password",
    bad_code: "Wrong code, or a code used already: wait for the next one",
    code_asked: "This account signs in with two factors: give the password again and the six digits of your authenticator app.",
    two_factor: "Two-factor sign-in",
    two_factor_code: "Code (authenticator app)",
    two_factor_hint: "Signing in takes the six digits of an authenticator app on your phone besides the password. Headquarters accounts must have it.",
    two_factor_on: "On: every sign-in takes the code of your authenticator app. If the phone is lost, an operator resets it.",
    two_factor_setup: "Set up two-factor sign-in",
    two_factor_steps: "Scan the QR code with an authenticator app (Google Authenticator, Microsoft Authenticator, FreeOTP…) or type the key; then give the six digits it shows and your current password.",
    two_factor_key: "Key:",
    two_factor_confirm: "Turn it on",
    areas: "Areas",
    search: "Find a person",
    search_hint: "Name, phone or ID number",
    duplicates: "Duplicate entries",
    duplicates_hint: "Two entries that may be one person: the same ID number, or the same name and phone, or the same name and birth year in one household. Once checked, keep one: it takes what it lacks from the other and all the other's records (tests, cases, needs, gates…), and the other goes; the merge is kept.",
    no_duplicates: "No likely duplicates in your areas.",
    merge_reason: "What was checked",
    keep_this: "Keep this one, merge the other into it",
    merged_from: "Merged entries",
    search_button: "Search",
    residents: "Residents",
    households: "Households",
    vulnerable: "Vulnerable",
    subareas: "Sub-areas",
    name: "Name",
    no_children: "No sub-areas",
    no_results: "Nobody matches",
    more_results: "Many matches; only the first are shown. Type more of the name or number.",
    sex: "Sex",
    age: "Age",
    birth_year: "Born",
    phone: "Phone",
    id_number: "ID number",
    withheld: "not shown to your role",
    address: "Address",
    household_members: "Household members",
    male: "male",
    female: "female",
    unknown: "unknown",
    not_found: "Not found, or not in your area",
    back_home: "Back to the start",
    audited: "This read has been recorded",
    scope: "Scope",
    zones: "Zones",
    zone_map: "Map",
    legend: "Legend",
    no_zone: "no zone",
    tier_sealed: "sealed zone",
    tier_controlled: "controlled zone",
    tier_precaution: "precaution zone",
    people_sealed_controlled: "Sealed or controlled",
    people_unit: "people",
    ready_today: "Ready to step down",
    rounds_overdue: "Rounds overdue",
    proposals: "Proposals",
    pending_proposals: "Pending",
    days_clean: "Clean days",
    earliest: "Earliest step down",
    next_round: "Required round",
    blocked_by: "Not yet, because:",
    ready: "The rules allow the step down: awaiting headquarters",
    steps_to: "Steps down to",
    lift_word: "lifted",
    lifted: "Lifted",
    history: "History",
    draw: "Draw a zone",
    area_code: "Area code",
    tier: "Tier",
    reason: "Reason",
    profile: "Protocol",
    submit: "Submit",
    record_round: "Record a testing round",
    all_negative: "All negative",
    sampled_at: "Sampled at",
    record_positive: "Record a positive",
    person_id: "Person ID",
    or_area: "or household / building code",
    contact_exposure: "Record a close contact's last exposure",
    extend: "Hold the zone",
    until: "Until",
    lift: "Lift",
    raise: "Raise",
    note: "Note",
    approve: "Approve",
    reject: "Reject",
    status: "Status",
    no_zones: "No zones",
    no_proposals: "Nothing here",
    movement: "Movement rule",
    drawn_by: "Drawn by",
    started: "Drawn",
    residents_in_zone: "Residents",
    no_map: "No shapes at this level: shown as a list",
    proposal_kind: "Proposal",
    decided: "Decision",
    by_system: "filed by the rules",
    all: "All",
    actions: "Actions",
    case: "Case",
    in_force: "in force",
    effective_tier: "Zone",
    testing: "Testing",
    break_glass: "Break the glass",
    break_glass_hint: "This person is outside your areas, or does not exist. If you must read them (an emergency, say), state why: you may read this person alone for an hour, and the reason and every read go to headquarters for review.",
    glass_reason: "Reason",
    glass_note: "You are reading this person outside your areas (glass broken), until",
    account: "My account",
    change_password: "Change password",
    current_password: "Current password",
    new_password: "New password",
    password_rule: "At least 10 characters, 5 of them different; not holding your username, not only digits (a birthday, a phone number), not letters along the keyboard, not one of the words guessed first with digits added.",
    password_changed_hint: "Changing it signs you out everywhere: sign in again with the new password.",
};
