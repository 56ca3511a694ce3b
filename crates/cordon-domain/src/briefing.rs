//! 疫情防控工作通报: the figures of an area for one local day, and the briefing a command posts
//! at its press conference, written from them in Chinese and in English, each figure with its
//! definition. Pure: the server gathers the figures, this turns them into text; the text of a
//! day depends on its figures alone, so the published text can always be traced to them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::format::{count_en, count_zh};
use crate::lifecycle::{EventKind, ZoneEvent};
use crate::protocol::Tier;

/// Positives of a day, by the class a case was opened with; reclassifications on their own day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PositiveDay {
    pub asymptomatic: i64,
    pub confirmed: i64,
    /// 无症状感染者转确诊.
    pub reclassified: i64,
}

impl PositiveDay {
    pub fn new_positives(&self) -> i64 {
        self.asymptomatic + self.confirmed
    }
}

/// Progress of the testing round under way on the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RoundProgress {
    pub round_id: i64,
    pub name: String,
    /// The name in English; empty where `name` serves both (and in briefings kept before rounds
    /// had one).
    #[serde(default)]
    pub name_en: String,
    /// Residents the round is for (its area's register).
    pub expected: i64,
    /// Distinct people sampled so far.
    pub sampled: i64,
    pub positive_tubes: i64,
    pub pending_tubes: i64,
}

impl RoundProgress {
    /// The name an English text gives the round.
    pub fn name_in_english(&self) -> &str {
        if self.name_en.is_empty() { &self.name } else { &self.name_en }
    }

    /// Sampled as a share of expected, in percent with one decimal.
    pub fn percent(&self) -> f64 {
        if self.expected == 0 {
            0.0
        } else {
            (self.sampled as f64 * 1000.0 / self.expected as f64).round() / 10.0
        }
    }
}

/// The needs of a day, and (for today) those still waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeedsDay {
    /// Raised by or for residents.
    pub opened: i64,
    pub emergencies: i64,
    /// Care planned ahead for the tagged residents (dialysis trips, daily checks).
    pub care_planned: i64,
    /// Resolved, planned care included.
    pub resolved: i64,
    /// Not resolved at the moment the figures were taken (today only).
    pub open_now: Option<i64>,
    pub overdue_now: Option<i64>,
    pub emergencies_overdue_now: Option<i64>,
}

/// 医学观察 and 转归: the contacts followed up and released, and the cases' course to its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CourseFigures {
    /// Close and secondary contacts living in the area still under management at the moment the
    /// figures were taken (today only).
    pub contacts_managed: Option<i64>,
    /// Of them, those with a test day of their plan passed without a sample (应检未检; today
    /// only).
    #[serde(default)]
    pub contacts_overdue: Option<i64>,
    /// Contacts released that day.
    pub contacts_released: i64,
    /// 集中隔离与收治: people living in the area staying at a quarantine hotel, a cabin hospital
    /// (方舱) and a designated hospital at the moment the figures were taken (today only),
    /// counted from the stays.
    #[serde(default)]
    pub in_hotels: Option<i64>,
    #[serde(default)]
    pub in_cabin_hospitals: Option<i64>,
    #[serde(default)]
    pub in_hospitals: Option<i64>,
    /// 转运: orders not arrived and not cancelled, and of them those past their deadline (today
    /// only).
    #[serde(default)]
    pub transfers_open: Option<i64>,
    #[serde(default)]
    pub transfers_overdue: Option<i64>,
    /// 保供: deliveries of the rounds still to be done, and households of sealed and controlled
    /// zones that nothing reached for longer than the profile allows (today only).
    #[serde(default)]
    pub deliveries_open: Option<i64>,
    #[serde(default)]
    pub households_supplies_overdue: Option<i64>,
    /// 消杀清运: disinfections not done, and of them those past their deadline; buildings of
    /// sealed zones not collected within the profile's interval (today only).
    #[serde(default)]
    pub disinfections_open: Option<i64>,
    #[serde(default)]
    pub disinfections_overdue: Option<i64>,
    #[serde(default)]
    pub buildings_waste_overdue: Option<i64>,
    /// Cases living in the area recorded by `as_of`, and of them recovered and discharged, and died.
    pub cases_total: i64,
    pub recovered_total: i64,
    pub died_total: i64,
}

/// The figures of one area on one local day: what a briefing quotes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DayFigures {
    pub area_code: String,
    pub area_name: String,
    pub day: NaiveDate,
    /// When they were taken: the end of the day for a past day, the moment for today.
    pub as_of: DateTime<Utc>,
    /// The deployment's time zone (IANA name): what a day is.
    pub time_zone: String,
    /// True while the day is not over: the figures are "so far".
    pub partial: bool,
    pub positives: PositiveDay,
    /// Residents under each tier at `as_of` (sealed, controlled, precaution), each counted once
    /// at the strictest zone above them.
    pub residents_by_tier: [i64; 3],
    /// Zones in force at `as_of`, by tier.
    pub zones_by_tier: [i64; 3],
    /// Zones the rules allow to step down (today only).
    pub zones_ready: Option<i64>,
    pub residents_in_area: i64,
    /// Workers who reported in that day, party members among them, and their organisations.
    pub workers_on_hand: i64,
    pub party_members_on_hand: i64,
    pub organisations: i64,
    pub round: Option<RoundProgress>,
    pub needs: NeedsDay,
    pub gate_let_through: i64,
    pub gate_refused: i64,
    /// Figures kept before these were counted read as zero.
    #[serde(default)]
    pub course: CourseFigures,
}

impl DayFigures {
    /// "共封控、管控 N 人".
    pub fn sealed_or_controlled(&self) -> i64 {
        self.residents_by_tier[Tier::Sealed.index()] + self.residents_by_tier[Tier::Controlled.index()]
    }
}

/// The tier a zone had at `at`, from its events in the order recorded: the last tier it was
/// drawn, raised or stepped down to at or before `at`; none before it was drawn or once lifted.
pub fn tier_at(events: &[ZoneEvent], at: DateTime<Utc>) -> Option<Tier> {
    let mut tier = None;
    for e in events.iter().filter(|e| e.at <= at) {
        match e.kind {
            EventKind::Designated { tier: t }
            | EventKind::Raised { tier: t }
            | EventKind::SteppedDown { tier: t } => tier = Some(t),
            EventKind::Lifted => tier = None,
            _ => {}
        }
    }
    tier
}

/// The briefing's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Press briefings quote exact counts: 22598人, not 2.3万.
fn zh_count(n: i64) -> String {
    count_zh(n, true)
}

/// The briefing of `f` as Markdown in `lang`: the headline figures as sentences, then the
/// definitions of every figure quoted.
pub fn briefing_markdown(f: &DayFigures, lang: Lang) -> String {
    match lang {
        Lang::Zh => zh(f),
        Lang::En => en(f),
    }
}

fn zh(f: &DayFigures) -> String {
    let d = f.day;
    let (m, day) = (d.month(), d.day());
    let p = &f.positives;
    let [rs, rc, rp] = f.residents_by_tier;
    let [zs, zc, zp] = f.zones_by_tier;
    let span = if f.partial {
        format!("{m}月{day}日0时至发布时")
    } else {
        format!("{m}月{day}日0时至24时")
    };
    let until = if f.partial { "截至发布时".to_owned() } else { format!("截至{m}月{day}日24时") };
    let mut s = format!("# {}疫情防控工作通报（{}年{m}月{day}日）\n\n", f.area_name, d.year());
    s += &format!(
        "{span}，{}新增本土阳性感染者{}例，其中确诊病例{}例、无症状感染者{}例；另有{}例无症状感染者转为确诊病例。\n\n",
        f.area_name,
        zh_count(p.new_positives()),
        zh_count(p.confirmed),
        zh_count(p.asymptomatic),
        zh_count(p.reclassified)
    );
    s += &format!(
        "{until}，共划定封控区{zs}个、管控区{zc}个、防范区{zp}个；共封控、管控{}人，其中封控区{}人、管控区{}人，防范区{}人",
        zh_count(f.sealed_or_controlled()),
        zh_count(rs),
        zh_count(rc),
        zh_count(rp)
    );
    if let Some(ready) = f.zones_ready {
        s += &format!("；{ready}个区域已符合降级条件");
    }
    s += "。\n\n";
    s += &format!(
        "当日报到下沉党员干部和工作人员{}名，其中党员{}名，来自{}个单位和基层党组织。\n\n",
        zh_count(f.workers_on_hand),
        zh_count(f.party_members_on_hand),
        zh_count(f.organisations)
    );
    match &f.round {
        Some(r) => {
            s += &format!(
                "全员核酸检测“{}”已采样{}人，占应检人数{}人的{:.1}%；阳性混管{}管，待出结果{}管。\n\n",
                r.name,
                zh_count(r.sampled),
                zh_count(r.expected),
                r.percent(),
                zh_count(r.positive_tubes),
                zh_count(r.pending_tubes)
            )
        }
        None => s += "当日无进行中的全员核酸检测。\n\n",
    }
    let c = &f.course;
    s += &format!("当日解除密切接触者医学观察{}人", zh_count(c.contacts_released));
    if let Some(managed) = c.contacts_managed {
        s += &format!("，目前在管{}人", zh_count(managed));
    }
    if let Some(overdue) = c.contacts_overdue.filter(|n| *n > 0) {
        s += &format!("（其中应检未检{}人）", zh_count(overdue));
    }
    s += &format!(
        "。{until}，累计报告病例{}例，其中治愈出院{}例、死亡{}例。\n\n",
        zh_count(c.cases_total),
        zh_count(c.recovered_total),
        zh_count(c.died_total)
    );
    let n = &f.needs;
    s += &format!(
        "当日受理群众诉求{}件（其中急症{}件），安排重点人群关怀服务{}人次，办结{}件",
        zh_count(n.opened),
        zh_count(n.emergencies),
        zh_count(n.care_planned),
        zh_count(n.resolved)
    );
    if let (Some(open), Some(overdue), Some(eo)) = (n.open_now, n.overdue_now, n.emergencies_overdue_now) {
        s += &format!(
            "；目前待办{}件，其中超时{}件、超时急症{}件",
            zh_count(open),
            zh_count(overdue),
            zh_count(eo)
        );
    }
    s += "。\n\n";
    s += &format!(
        "各卡口当日放行{}人次，劝返{}人次。\n\n",
        zh_count(f.gate_let_through),
        zh_count(f.gate_refused)
    );
    s += "## 指标说明\n\n";
    s += &format!(
        "- **新增阳性感染者**：当日（{}时区0时至24时）新确认的病例，按确认时的分类（确诊病例、无症状感染者）计；无症状感染者转为确诊病例的，按转归当日计入“转为确诊”，不重复计入新增。\n",
        f.time_zone
    );
    s += "- **封控、管控人数**：在封控区、管控区内登记居住的人数。每位居民只计一次，按其所在最严格的区域计；统计时点为";
    s += if f.partial { "发布时。\n" } else { "当日24时。\n" };
    s += "- **区域数**：该时点仍在管控中的封控区、管控区、防范区，含部分位于本辖区内的区域。\n";
    s += "- **报到人数**：当日在社区报到的下沉党员干部和工作人员，每人每日计一次。\n";
    s += "- **核酸检测进度**：已采样人数为本轮已采样的不同人数；应检人数为本轮区域内的登记居民。\n";
    s += "- **密接医学观察**：解除人数为当日观察期满、各检测日核酸均为阴性且健康监测正常后解除的密切接触者和次密接；在管人数为发布时仍在观察的人数，按居住地计。\n";
    s += "- **累计病例**：居住在本辖区、截至该时点报告的病例；治愈出院按出院时间计，死亡按死亡时间计。\n";
    s += "- **群众诉求**：当日新受理的居民诉求；急症为需立即开具绿色通道通行证的医疗急症。关怀服务为按规程为透析、化疗、独居老人、独自在家儿童等重点人群提前安排的服务；办结和待办均含关怀服务。\n";
    s += "- **卡口数据**：辖区内各卡口的放行与劝返判定人次。\n";
    s
}

fn en(f: &DayFigures) -> String {
    let d = f.day;
    let date = d.format("%-d %B %Y");
    let p = &f.positives;
    let [rs, rc, rp] = f.residents_by_tier;
    let [zs, zc, zp] = f.zones_by_tier;
    let span =
        if f.partial { format!("From 00:00 on {date} until this briefing") } else { format!("On {date}") };
    let until = if f.partial { "As of this briefing".to_owned() } else { format!("At 24:00 on {date}") };
    let plural = |n: i64, one: &str, many: &str| if n == 1 { one.to_owned() } else { many.to_owned() };
    let mut s = format!("# {}: COVID-19 prevention and control briefing, {date}\n\n", f.area_name);
    s += &format!(
        "{span}, {} reported {} new local {}: {} confirmed and {} asymptomatic. {} asymptomatic {} reclassified as confirmed.\n\n",
        f.area_name,
        count_en(p.new_positives()),
        plural(p.new_positives(), "positive", "positives"),
        count_en(p.confirmed),
        count_en(p.asymptomatic),
        count_en(p.reclassified),
        plural(p.reclassified, "case was", "cases were")
    );
    s += &format!(
        "{until}, {zs} sealed, {zc} controlled and {zp} precaution {} were in force; {} people were sealed or controlled ({} in sealed zones, {} in controlled zones), and {} lived in precaution zones",
        plural(zs + zc + zp, "zone", "zones"),
        count_en(f.sealed_or_controlled()),
        count_en(rs),
        count_en(rc),
        count_en(rp)
    );
    if let Some(ready) = f.zones_ready {
        s += &format!("; {ready} {} met the conditions to step down", plural(ready, "zone", "zones"));
    }
    s += ".\n\n";
    s += &format!(
        "{} party members, cadres and staff reported for duty in the communities, {} of them party members, from {} {}.\n\n",
        count_en(f.workers_on_hand),
        count_en(f.party_members_on_hand),
        count_en(f.organisations),
        plural(f.organisations, "organisation", "organisations")
    );
    match &f.round {
        Some(r) => {
            s += &format!(
                "The testing round “{}” has sampled {} of the {} residents it covers ({:.1}%); {} pooled {} positive and {} {} awaiting results.\n\n",
                r.name_in_english(),
                count_en(r.sampled),
                count_en(r.expected),
                r.percent(),
                count_en(r.positive_tubes),
                plural(r.positive_tubes, "tube was", "tubes were"),
                count_en(r.pending_tubes),
                plural(r.pending_tubes, "is", "are")
            )
        }
        None => s += "No mass testing round was under way.\n\n",
    }
    let c = &f.course;
    s += &format!(
        "{} {} released from quarantine",
        count_en(c.contacts_released),
        plural(c.contacts_released, "contact was", "contacts were")
    );
    if let Some(managed) = c.contacts_managed {
        s += &format!("; {} {} under management", count_en(managed), plural(managed, "remains", "remain"));
    }
    if let Some(overdue) = c.contacts_overdue.filter(|n| *n > 0) {
        s += &format!(" ({} with a test day missed)", count_en(overdue));
    }
    s += &format!(
        ". {until}, {} {} had been reported in all, {} of them recovered and discharged and {} died.\n\n",
        count_en(c.cases_total),
        plural(c.cases_total, "case", "cases"),
        count_en(c.recovered_total),
        count_en(c.died_total)
    );
    let n = &f.needs;
    s += &format!(
        "Residents raised {} {} ({} medical {}), {} care {} planned for vulnerable residents, and {} {} resolved",
        count_en(n.opened),
        plural(n.opened, "request", "requests"),
        count_en(n.emergencies),
        plural(n.emergencies, "emergency", "emergencies"),
        count_en(n.care_planned),
        plural(n.care_planned, "visit was", "visits were"),
        count_en(n.resolved),
        plural(n.resolved, "was", "were")
    );
    if let (Some(open), Some(overdue), Some(eo)) = (n.open_now, n.overdue_now, n.emergencies_overdue_now) {
        s += &format!(
            "; {} remain open, {} of them overdue, {} of those emergencies",
            count_en(open),
            count_en(overdue),
            count_en(eo)
        );
    }
    s += ".\n\n";
    s += &format!(
        "The gates let {} passages through and turned {} back.\n\n",
        count_en(f.gate_let_through),
        count_en(f.gate_refused)
    );
    s += "## Definitions\n\n";
    s += &format!(
        "- **New positives**: cases confirmed during the day (00:00–24:00, {}), by the class they were confirmed with (confirmed case or asymptomatic infection). An asymptomatic infection reclassified as confirmed counts as a reclassification on that day, not as a new positive.\n",
        f.time_zone
    );
    s += "- **Sealed and controlled**: residents registered in sealed and controlled zones, each counted once at the strictest zone over their home, ";
    s += if f.partial { "as of the briefing.\n" } else { "at 24:00.\n" };
    s += "- **Zones**: sealed, controlled and precaution zones in force at that moment, including those partly inside the area.\n";
    s += "- **Reported for duty**: party members, cadres and staff who reported to a community that day, each counted once a day.\n";
    s += "- **Testing progress**: distinct people sampled in the round, against the registered residents of its area.\n";
    s += "- **Contacts**: close and secondary contacts released during the day once their plan was over with a negative test on every test day and the latest health check well; under management: those still followed up at the briefing, by where they live.\n";
    s += "- **Cases in all**: cases living in the area reported by that moment; recoveries counted at discharge, deaths when they occurred.\n";
    s += "- **Requests**: residents' requests raised during the day; an emergency is a medical emergency given an emergency pass at once. Care visits are planned ahead by the protocol for tagged residents (dialysis, chemotherapy, elderly living alone, children alone); resolved and open counts include them.\n";
    s += "- **Gates**: decisions to let through and to turn back at the gates of the area.\n";
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn figures(partial: bool) -> DayFigures {
        DayFigures {
            area_code: "150102".into(),
            area_name: "新城区".into(),
            day: NaiveDate::from_ymd_opt(2022, 10, 5).unwrap(),
            as_of: Utc.with_ymd_and_hms(2022, 10, 5, 16, 0, 0).unwrap(),
            time_zone: "Asia/Shanghai".into(),
            partial,
            positives: PositiveDay { asymptomatic: 94, confirmed: 7, reclassified: 1 },
            residents_by_tier: [15_240, 7_358, 120_004],
            zones_by_tier: [31, 12, 4],
            zones_ready: partial.then_some(3),
            residents_in_area: 711_600,
            workers_on_hand: 64_000,
            party_members_on_hand: 41_200,
            organisations: 6_712,
            round: Some(RoundProgress {
                round_id: 9,
                name: "10月5日全员核酸".into(),
                name_en: String::new(),
                expected: 711_600,
                sampled: 688_412,
                positive_tubes: 3,
                pending_tubes: 1_204,
            }),
            needs: NeedsDay {
                opened: 412,
                emergencies: 6,
                care_planned: 1_830,
                resolved: 398,
                open_now: partial.then_some(57),
                overdue_now: partial.then_some(4),
                emergencies_overdue_now: partial.then_some(0),
            },
            gate_let_through: 18_420,
            gate_refused: 311,
            course: CourseFigures {
                contacts_managed: partial.then_some(8_210),
                contacts_overdue: partial.then_some(37),
                contacts_released: 1_466,
                in_hotels: partial.then_some(612),
                in_cabin_hospitals: partial.then_some(240),
                in_hospitals: partial.then_some(31),
                transfers_open: partial.then_some(44),
                transfers_overdue: partial.then_some(3),
                deliveries_open: partial.then_some(1_204),
                households_supplies_overdue: partial.then_some(17),
                disinfections_open: partial.then_some(26),
                disinfections_overdue: partial.then_some(2),
                buildings_waste_overdue: partial.then_some(5),
                cases_total: 2_087,
                recovered_total: 1_530,
                died_total: 0,
            },
        }
    }

    #[test]
    fn a_past_day_in_chinese_quotes_the_press_figures() {
        let text = briefing_markdown(&figures(false), Lang::Zh);
        assert!(text.contains(
            "10月5日0时至24时，新城区新增本土阳性感染者101例，其中确诊病例7例、无症状感染者94例；另有1例"
        ));
        assert!(text.contains("共封控、管控22598人"), "{text}");
        assert!(!text.contains("降级条件"), "a past day quotes no 'ready' figure");
        insta::assert_snapshot!("briefing_zh_past_day", text);
    }

    #[test]
    fn today_in_english_is_so_far_and_counts_what_waits() {
        let text = briefing_markdown(&figures(true), Lang::En);
        assert!(text.contains("From 00:00 on 5 October 2022 until this briefing"));
        assert!(text.contains("22,598 people were sealed or controlled"));
        assert!(text.contains("57 remain open, 4 of them overdue"));
        assert!(text.contains("(96.7%)"));
        insta::assert_snapshot!("briefing_en_today", text);
    }

    #[test]
    fn one_of_a_kind_reads_in_the_singular() {
        let mut f = figures(false);
        f.positives = PositiveDay { asymptomatic: 0, confirmed: 1, reclassified: 1 };
        f.round = None;
        let text = briefing_markdown(&f, Lang::En);
        assert!(text.contains("reported 1 new local positive: 1 confirmed"), "{text}");
        assert!(text.contains("1 asymptomatic case was reclassified"));
        assert!(text.contains("No mass testing round was under way."));
    }

    #[test]
    fn a_zone_has_the_tier_of_its_last_change_and_none_once_lifted() {
        let t = |h: u32| Utc.with_ymd_and_hms(2022, 10, 1, h, 0, 0).unwrap();
        let events = vec![
            ZoneEvent { at: t(2), kind: EventKind::Designated { tier: Tier::Sealed } },
            ZoneEvent { at: t(4), kind: EventKind::Positive },
            ZoneEvent { at: t(6), kind: EventKind::SteppedDown { tier: Tier::Controlled } },
            ZoneEvent { at: t(8), kind: EventKind::Lifted },
        ];
        assert_eq!(tier_at(&events, t(1)), None);
        assert_eq!(tier_at(&events, t(2)), Some(Tier::Sealed));
        assert_eq!(tier_at(&events, t(5)), Some(Tier::Sealed));
        assert_eq!(tier_at(&events, t(7)), Some(Tier::Controlled));
        assert_eq!(tier_at(&events, t(9)), None);
    }
}
