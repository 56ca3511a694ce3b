//! The zones' words: why a zone may not step down, in Chinese and English.

use crate::web::i18n::{Lang, date};
use cordon_domain::Blocker;

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
