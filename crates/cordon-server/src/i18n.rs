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
    pub areas: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
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
    pub address: &'static str,
    pub household_members: &'static str,
    pub male: &'static str,
    pub female: &'static str,
    pub unknown: &'static str,
    pub not_found: &'static str,
    pub back_home: &'static str,
    pub audited: &'static str,
    pub scope: &'static str,
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
    areas: "区域",
    search: "人员查询",
    search_hint: "姓名、手机号或身份证号",
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
    address: "住址",
    household_members: "同户人员",
    male: "男",
    female: "女",
    unknown: "未知",
    not_found: "没有找到，或不在您的管辖范围内",
    back_home: "返回首页",
    audited: "本次查阅已记录在案",
    scope: "管辖范围",
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
    areas: "Areas",
    search: "Find a person",
    search_hint: "Name, phone or ID number",
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
    address: "Address",
    household_members: "Household members",
    male: "male",
    female: "female",
    unknown: "unknown",
    not_found: "Not found, or not in your area",
    back_home: "Back to the start",
    audited: "This read has been recorded",
    scope: "Scope",
};
