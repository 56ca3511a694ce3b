//! 医学观察: a contact followed through their quarantine plan to its end — each test day of the
//! plan against the samples the person actually gave, the daily health checks, and the verdict
//! at the plan's end: released, or held with the reason a worker can act on.
//!
//! A test day is covered by the readable samples taken on that local day or after it, before
//! the next test day (a known result counts over one awaited, a positive over a negative): a
//! sample missed on its day and made up the next morning (补采) still counts, and the last test
//! day can be made up after the plan's end, which then waits for it. A day is flagged as missed
//! from the day after it: on the day itself it is due.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cases::{Schedule, local_midnight};
use crate::error::DomainError;
use crate::protocol::QuarantinePlan;
use crate::testing::TubeResult;

/// One sample the contact gave: when it was taken, its result once known and when that was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSample {
    pub collected_at: DateTime<Utc>,
    /// None: the lab has not reported.
    pub result: Option<TubeResult>,
    pub reported_at: Option<DateTime<Utc>>,
}

/// How a test day of the plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestDayState {
    /// Later than today.
    Ahead,
    /// Today, not sampled yet.
    Due,
    /// Passed without a sample: 漏采, to be made up.
    Missed,
    /// Sampled, no result yet.
    Pending,
    Negative,
    Positive,
}

/// One test day of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct TestDay {
    pub date: NaiveDate,
    pub state: TestDayState,
    /// The sample that covers it.
    pub sampled_at: Option<DateTime<Utc>>,
}

/// Why a contact whose plan has ended is not released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Hold {
    /// A test day has no sample: it must be made up.
    Missed { date: NaiveDate },
    /// A test day's sample has no result yet.
    Awaiting { date: NaiveDate },
    /// A sample came back positive: the contact is to be opened as a case.
    Positive { date: NaiveDate },
    /// The latest health check found a fever or a symptom.
    Unwell { at: DateTime<Utc> },
}

/// Where a contact stands in their plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The plan runs on.
    UnderWay,
    /// The plan is over with every test day negative: released at `at`, the later of the plan's
    /// end and the last result it rests on.
    Release { at: DateTime<Utc> },
    /// The plan is over (or a result is positive) and the contact cannot be released.
    Held { hold: Hold },
}

/// A contact's plan as it stands at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FollowUp {
    pub tests: Vec<TestDay>,
    pub verdict: Verdict,
}

impl FollowUp {
    /// Test days passed without a sample.
    pub fn missed(&self) -> usize {
        self.tests.iter().filter(|t| t.state == TestDayState::Missed).count()
    }
}

/// The lowest and highest body temperature a check may record, in tenths of a degree: a value
/// outside is a typing error, not a reading.
pub const TEMPERATURE_RANGE: (i32, i32) = (340, 430);
/// 发热: from 37.3 °C.
pub const FEVER_FROM: i32 = 373;

/// A symptom a health check asks about (the ninth edition's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Symptom {
    /// 咳嗽
    Cough,
    /// 咽痛
    SoreThroat,
    /// 乏力
    Fatigue,
    /// 嗅觉味觉减退
    LossOfSmell,
    /// 腹泻
    Diarrhoea,
    /// 呼吸困难
    Breathless,
}

impl Symptom {
    pub const ALL: [Symptom; 6] = [
        Symptom::Cough,
        Symptom::SoreThroat,
        Symptom::Fatigue,
        Symptom::LossOfSmell,
        Symptom::Diarrhoea,
        Symptom::Breathless,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Symptom::Cough => "cough",
            Symptom::SoreThroat => "sore_throat",
            Symptom::Fatigue => "fatigue",
            Symptom::LossOfSmell => "loss_of_smell",
            Symptom::Diarrhoea => "diarrhoea",
            Symptom::Breathless => "breathless",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Symptom::Cough => "咳嗽",
            Symptom::SoreThroat => "咽痛",
            Symptom::Fatigue => "乏力",
            Symptom::LossOfSmell => "嗅觉味觉减退",
            Symptom::Diarrhoea => "腹泻",
            Symptom::Breathless => "呼吸困难",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Symptom::Cough => "cough",
            Symptom::SoreThroat => "sore throat",
            Symptom::Fatigue => "fatigue",
            Symptom::LossOfSmell => "loss of smell or taste",
            Symptom::Diarrhoea => "diarrhoea",
            Symptom::Breathless => "short of breath",
        }
    }

    pub fn parse(s: &str) -> Result<Symptom, DomainError> {
        let s = s.trim();
        Symptom::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "symptoms",
                format!("unknown symptom {s:?}; expected {}", Symptom::ALL.map(Symptom::as_str).join(", ")),
            )
        })
    }
}

/// 健康监测: one daily check, temperature in tenths of a degree Celsius.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub at: DateTime<Utc>,
    pub temperature: i32,
    pub symptoms: Vec<Symptom>,
}

impl HealthCheck {
    /// A check as typed: the temperature in °C (one decimal kept), the symptoms each once.
    pub fn new(
        at: DateTime<Utc>,
        celsius: f64,
        mut symptoms: Vec<Symptom>,
    ) -> Result<HealthCheck, DomainError> {
        let tenths = (celsius * 10.0).round();
        let (lo, hi) = TEMPERATURE_RANGE;
        if !tenths.is_finite() || tenths < f64::from(lo) || tenths > f64::from(hi) {
            return Err(DomainError::invalid(
                "temperature",
                format!("{celsius} °C is not a body temperature: a reading lies between 34.0 and 43.0"),
            ));
        }
        symptoms.sort();
        symptoms.dedup();
        // In range, so it fits.
        Ok(HealthCheck { at, temperature: tenths as i32, symptoms })
    }

    /// A fever or any symptom: the check is flagged and holds a release.
    pub fn is_unwell(&self) -> bool {
        self.temperature >= FEVER_FROM || !self.symptoms.is_empty()
    }
}

/// The plan of `schedule` at `now` against the samples the person gave and their health checks
/// (in any order). Samples before the plan's start, and invalid ones, cover no test day.
pub fn follow_up(
    schedule: &Schedule,
    samples: &[PlanSample],
    checks: &[HealthCheck],
    now: DateTime<Utc>,
    tz: Tz,
) -> FollowUp {
    let today = now.with_timezone(&tz).date_naive();
    // A result is known from its report on; until then the sample is pending.
    let known: Vec<PlanSample> = samples
        .iter()
        .filter(|s| s.collected_at <= now)
        .map(|s| match s.reported_at {
            Some(r) if r > now => PlanSample { result: None, reported_at: None, ..*s },
            _ => *s,
        })
        .collect();
    let mut usable: Vec<(NaiveDate, &PlanSample)> = known
        .iter()
        .filter(|s| s.result != Some(TubeResult::Invalid))
        .map(|s| (s.collected_at.with_timezone(&tz).date_naive(), s))
        .filter(|(d, _)| *d >= schedule.starts)
        .collect();
    usable.sort_by_key(|(_, s)| s.collected_at);
    let mut dates = schedule.test_dates.clone();
    dates.sort();
    dates.dedup();
    // A day's samples: a result known beats one awaited, a positive beats a negative.
    let covers: Vec<Option<PlanSample>> = dates
        .iter()
        .enumerate()
        .map(|(i, &date)| {
            let next = dates.get(i + 1).copied();
            let mut window =
                usable.iter().filter(|(d, _)| *d >= date && next.is_none_or(|n| *d < n)).map(|(_, s)| **s);
            let all: Vec<PlanSample> = window.by_ref().collect();
            let of = |r: TubeResult| all.iter().find(|s| s.result == Some(r)).copied();
            of(TubeResult::Positive).or_else(|| of(TubeResult::Negative)).or_else(|| all.first().copied())
        })
        .collect();
    let tests: Vec<TestDay> = dates
        .iter()
        .zip(&covers)
        .map(|(&date, cover)| {
            let state = match cover {
                Some(s) => match s.result {
                    Some(TubeResult::Positive) => TestDayState::Positive,
                    Some(_) => TestDayState::Negative,
                    None => TestDayState::Pending,
                },
                None if date > today => TestDayState::Ahead,
                None if date == today => TestDayState::Due,
                None => TestDayState::Missed,
            };
            TestDay { date, state, sampled_at: cover.map(|s| s.collected_at) }
        })
        .collect();
    // Any positive sample in the plan, on a test day or not, holds at once.
    if let Some((d, _)) = usable.iter().find(|(_, s)| s.result == Some(TubeResult::Positive)) {
        return FollowUp { tests, verdict: Verdict::Held { hold: Hold::Positive { date: *d } } };
    }
    if today < schedule.ends {
        return FollowUp { tests, verdict: Verdict::UnderWay };
    }
    let hold = tests.iter().find_map(|t| match t.state {
        TestDayState::Missed | TestDayState::Due | TestDayState::Ahead => Some(Hold::Missed { date: t.date }),
        TestDayState::Pending => Some(Hold::Awaiting { date: t.date }),
        TestDayState::Negative | TestDayState::Positive => None,
    });
    let hold = hold.or_else(|| {
        let last = checks.iter().filter(|c| c.at <= now).max_by_key(|c| c.at)?;
        last.is_unwell().then_some(Hold::Unwell { at: last.at })
    });
    if let Some(hold) = hold {
        return FollowUp { tests, verdict: Verdict::Held { hold } };
    }
    // Released when the last of its grounds is in: the plan's end, each covering result.
    let mut at = local_midnight(schedule.ends, tz);
    for s in covers.iter().flatten() {
        at = at.max(s.reported_at.unwrap_or(s.collected_at)).max(s.collected_at);
    }
    FollowUp { tests, verdict: Verdict::Release { at } }
}

/// 应检未检: the quarantines under `plan` that test on `day` — each day such a quarantine began,
/// with the plan's next test day after `day` (none: `day` is its last), which closes the window
/// in which a sample still counts for `day`. A contact of one of them who gave no readable
/// sample from `day` until that next test day has missed `day` (see [`follow_up`]): the task
/// marking overdue tests asks for them by these days, never reading a contact's plan.
pub fn testing_on(plan: &QuarantinePlan, day: NaiveDate) -> Vec<(NaiveDate, Option<NaiveDate>)> {
    let mut out = Vec::new();
    for &n in &plan.test_days {
        let Some(starts) = day.checked_sub_days(chrono::Days::new(u64::from(n.saturating_sub(1)))) else {
            continue;
        };
        let mut dates = Schedule::new(plan, starts).test_dates;
        dates.sort();
        dates.dedup();
        if let Some(i) = dates.iter().position(|&d| d == day) {
            let entry = (starts, dates.get(i + 1).copied());
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
    }
    out
}

/// The first test day missed in a follow-up's `tests`, with the next test day after it (none:
/// it was the last): the window in which a sample still makes it up.
pub fn first_missed(tests: &[TestDay]) -> Option<(NaiveDate, Option<NaiveDate>)> {
    let i = tests.iter().position(|t| t.state == TestDayState::Missed)?;
    Some((tests[i].date, tests.get(i + 1).map(|t| t.date)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::ContactKind;
    use crate::protocol::builtin;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    fn close_plan(starts: &str) -> Schedule {
        let p = builtin().into_iter().find(|p| p.key == "ninth-edition").unwrap();
        Schedule::new(ContactKind::Close.plan(&p).unwrap(), starts.parse().unwrap())
    }

    /// 09:00 local on a day of November 2022.
    fn morning(day: u32) -> DateTime<Utc> {
        TZ.with_ymd_and_hms(2022, 11, day, 9, 0, 0).unwrap().with_timezone(&Utc)
    }

    fn negative(day: u32) -> PlanSample {
        PlanSample {
            collected_at: morning(day),
            result: Some(TubeResult::Negative),
            reported_at: Some(morning(day) + Duration::hours(8)),
        }
    }

    #[test]
    fn every_test_day_negative_releases_at_the_end_of_the_plan() {
        // 7 + 3 from the 20th: tests on 20, 21, 22, 24, 26; free from the 30th.
        let s = close_plan("2022-11-20");
        let samples: Vec<_> = [20, 21, 22, 24, 26].map(negative).to_vec();
        let f = follow_up(&s, &samples, &[], morning(29), TZ);
        assert_eq!(f.verdict, Verdict::UnderWay);
        let f = follow_up(&s, &samples, &[], morning(30), TZ);
        assert_eq!(f.verdict, Verdict::Release { at: local_midnight(s.ends, TZ) });
        assert!(f.tests.iter().all(|t| t.state == TestDayState::Negative));
    }

    #[test]
    fn a_day_without_a_sample_is_due_on_the_day_missed_after_and_holds_the_release() {
        let s = close_plan("2022-11-20");
        let samples: Vec<_> = [20, 21, 24, 26].map(negative).to_vec();
        let f = follow_up(&s, &samples, &[], morning(22), TZ);
        assert_eq!(f.tests[2].state, TestDayState::Due);
        let f = follow_up(&s, &samples, &[], morning(23), TZ);
        assert_eq!(f.tests[2].state, TestDayState::Missed);
        assert_eq!(f.missed(), 1);
        let f = follow_up(&s, &samples, &[], morning(30), TZ);
        assert_eq!(f.verdict, Verdict::Held { hold: Hold::Missed { date: "2022-11-22".parse().unwrap() } });
        // Made up on the 23rd, before the next test day: covered.
        let mut made_up = samples.clone();
        made_up.push(negative(23));
        let f = follow_up(&s, &made_up, &[], morning(30), TZ);
        assert!(matches!(f.verdict, Verdict::Release { .. }));
    }

    #[test]
    fn a_late_last_result_holds_then_releases_when_it_comes() {
        let s = close_plan("2022-11-20");
        let mut samples: Vec<_> = [20, 21, 22, 24].map(negative).to_vec();
        // The last test day made up after the plan's end, reported that evening.
        samples.push(PlanSample { collected_at: morning(30), result: None, reported_at: None });
        let f = follow_up(&s, &samples, &[], morning(30) + Duration::hours(1), TZ);
        assert_eq!(f.verdict, Verdict::Held { hold: Hold::Awaiting { date: "2022-11-26".parse().unwrap() } });
        samples[4] = negative(30);
        let f = follow_up(&s, &samples, &[], morning(30) + Duration::hours(9), TZ);
        assert_eq!(f.verdict, Verdict::Release { at: morning(30) + Duration::hours(8) });
    }

    #[test]
    fn a_positive_holds_at_once_and_a_fever_holds_the_release() {
        let s = close_plan("2022-11-20");
        let mut samples: Vec<_> = [20, 21, 22, 24, 26].map(negative).to_vec();
        let well = HealthCheck::new(morning(29), 36.6, vec![]).unwrap();
        let fever = HealthCheck::new(morning(29) + Duration::hours(2), 37.8, vec![]).unwrap();
        let f = follow_up(&s, &samples, &[well.clone(), fever.clone()], morning(30), TZ);
        assert_eq!(f.verdict, Verdict::Held { hold: Hold::Unwell { at: fever.at } });
        let f = follow_up(&s, &samples, &[well], morning(30), TZ);
        assert!(matches!(f.verdict, Verdict::Release { .. }));
        samples[1].result = Some(TubeResult::Positive);
        let f = follow_up(&s, &samples, &[], morning(23), TZ);
        assert_eq!(f.verdict, Verdict::Held { hold: Hold::Positive { date: "2022-11-21".parse().unwrap() } });
    }

    #[test]
    fn a_reading_outside_a_body_temperature_is_refused() {
        assert!(HealthCheck::new(morning(1), 3.7, vec![]).is_err());
        assert!(HealthCheck::new(morning(1), f64::NAN, vec![]).is_err());
        let c = HealthCheck::new(morning(1), 37.25, vec![Symptom::Cough, Symptom::Cough]).unwrap();
        assert_eq!((c.temperature, c.symptoms.len()), (373, 1));
        assert!(c.is_unwell());
        assert_eq!(Symptom::parse("sore_throat").unwrap(), Symptom::SoreThroat);
        assert!(Symptom::parse("headache").unwrap_err().to_string().contains("cough"));
    }

    proptest! {
        /// A contact counts as having missed a test day exactly when the plan tests them that
        /// day (by the day their quarantine began) and they gave no readable sample between it
        /// and the next test day: the task's marking by `testing_on` agrees with `follow_up`.
        #[test]
        fn a_missed_day_is_found_by_the_day_the_quarantine_began(
            start in 0u32..8,
            kind in 0u8..2,
            samples in proptest::collection::vec((0i64..22 * 24, 0u8..3), 0..10),
            day in 0u32..22,
        ) {
            let p = builtin().into_iter().find(|p| p.key == "ninth-edition").unwrap();
            let kind = [ContactKind::Close, ContactKind::Secondary][kind as usize];
            let plan = kind.plan(&p).unwrap();
            let starts = NaiveDate::from_ymd_opt(2022, 11, 10 + start).unwrap();
            let s = Schedule::new(plan, starts);
            let base = TZ.with_ymd_and_hms(2022, 11, 10, 0, 0, 0).unwrap().with_timezone(&Utc);
            let now = base + Duration::days(23);
            let samples: Vec<PlanSample> = samples
                .iter()
                .map(|&(h, r)| {
                    let collected_at = base + Duration::hours(h);
                    let result = [None, Some(TubeResult::Negative), Some(TubeResult::Invalid)][r as usize];
                    PlanSample { collected_at, result, reported_at: result.map(|_| collected_at + Duration::hours(6)) }
                })
                .collect();
            let f = follow_up(&s, &samples, &[], now, TZ);
            let day = NaiveDate::from_ymd_opt(2022, 11, 10).unwrap() + Duration::days(i64::from(day));
            let missed = f.tests.iter().any(|t| t.date == day && t.state == TestDayState::Missed);
            let by_start = testing_on(plan, day).into_iter().find(|(q, _)| *q == starts);
            let marked = by_start.is_some_and(|(_, next)| {
                let (from, until) = (local_midnight(day, TZ), next.map(|n| local_midnight(n, TZ)));
                !samples.iter().any(|x| {
                    x.collected_at >= from
                        && until.is_none_or(|u| x.collected_at < u)
                        && x.result != Some(TubeResult::Invalid)
                })
            });
            prop_assert_eq!(missed, marked);
            if let Some((d, next)) = first_missed(&f.tests) {
                prop_assert!(testing_on(plan, d).contains(&(starts, next)));
            }
        }

        /// A release never comes before the plan's end, nor before any result it rests on, nor
        /// while a test day lacks its negative.
        #[test]
        fn a_release_never_precedes_the_plan_end_or_its_last_negative(
            start in 0u32..5,
            samples in proptest::collection::vec((0i64..20 * 24, 0u8..4, 0i64..48), 0..14),
            at_hours in 0i64..24 * 24,
        ) {
            let s = close_plan(&format!("2022-11-{:02}", 10 + start));
            let base = TZ.with_ymd_and_hms(2022, 11, 10, 0, 0, 0).unwrap().with_timezone(&Utc);
            let samples: Vec<PlanSample> = samples
                .iter()
                .map(|&(h, r, lag)| {
                    let collected_at = base + Duration::hours(h);
                    let result = [None, Some(TubeResult::Negative), Some(TubeResult::Positive), Some(TubeResult::Invalid)][r as usize];
                    PlanSample { collected_at, result, reported_at: result.map(|_| collected_at + Duration::hours(lag)) }
                })
                .collect();
            let now = base + Duration::hours(at_hours);
            let f = follow_up(&s, &samples, &[], now, TZ);
            if let Verdict::Release { at } = f.verdict {
                prop_assert!(at >= local_midnight(s.ends, TZ));
                prop_assert!(at <= now);
                prop_assert!(f.tests.iter().all(|t| t.state == TestDayState::Negative));
                for t in &f.tests {
                    let sample = samples.iter().find(|x| Some(x.collected_at) == t.sampled_at && x.result == Some(TubeResult::Negative) && x.reported_at.unwrap() <= now).unwrap();
                    prop_assert!(at >= sample.reported_at.unwrap() && sample.reported_at.unwrap() <= now);
                }
                prop_assert!(!samples.iter().any(|x| x.result == Some(TubeResult::Positive) && x.collected_at <= now && x.collected_at.with_timezone(&TZ).date_naive() >= s.starts));
            }
        }
    }
}
