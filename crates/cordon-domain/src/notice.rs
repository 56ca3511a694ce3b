//! The public trajectory notice (活动轨迹): where a case went, in the form cities published, with
//! the person removed (只提轨迹不提人).
//!
//! [`write_notice`] never sees the person: it takes a label ("无症状感染者3"), the segments'
//! times, places and transport, and how many people each place saw in the segment's window. A
//! place seen by fewer than `k` people, and any private place (a home), is given as its street
//! only, so no notice can point at one person — the Chengdu notice of December 2020 is what a
//! careless one does.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

/// One timed stop or trip of a trajectory, as the notice needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeSegment {
    pub starts: DateTime<Utc>,
    pub ends: Option<DateTime<Utc>>,
    /// The venue's public name (a shop, a hospital, a bus line), or empty for a private place.
    pub place: String,
    /// The street (街道) or township the place is in, with its district: what a generalised
    /// place shows.
    pub street: String,
    /// People who scanned the place's code in the segment's window; None: not known (no venue
    /// code), which counts as too few.
    pub visitors: Option<u64>,
    /// How the case travelled to it.
    pub transport: Option<Transport>,
    /// The line or number of public transport (公交1路, K1234次): public, so shown.
    pub transport_detail: String,
}

/// How a case travelled between places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Walk,
    Bicycle,
    Bus,
    Metro,
    Taxi,
    PrivateCar,
    Train,
    Flight,
}

impl Transport {
    pub const ALL: [Transport; 8] = [
        Transport::Walk,
        Transport::Bicycle,
        Transport::Bus,
        Transport::Metro,
        Transport::Taxi,
        Transport::PrivateCar,
        Transport::Train,
        Transport::Flight,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Walk => "walk",
            Transport::Bicycle => "bicycle",
            Transport::Bus => "bus",
            Transport::Metro => "metro",
            Transport::Taxi => "taxi",
            Transport::PrivateCar => "private_car",
            Transport::Train => "train",
            Transport::Flight => "flight",
        }
    }

    pub fn parse(s: &str) -> Result<Self, crate::DomainError> {
        let s = s.trim();
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            crate::DomainError::invalid(
                "transport",
                format!("unknown transport {s:?}; expected walk, bicycle, bus, metro, taxi, private_car, train or flight"),
            )
        })
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Transport::Walk => "步行",
            Transport::Bicycle => "骑自行车",
            Transport::Bus => "乘坐公交车",
            Transport::Metro => "乘坐地铁",
            Transport::Taxi => "乘坐出租车",
            Transport::PrivateCar => "驾驶私家车",
            Transport::Train => "乘坐火车",
            Transport::Flight => "乘坐航班",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Transport::Walk => "on foot",
            Transport::Bicycle => "by bicycle",
            Transport::Bus => "by bus",
            Transport::Metro => "by metro",
            Transport::Taxi => "by taxi",
            Transport::PrivateCar => "by private car",
            Transport::Train => "by train",
            Transport::Flight => "by air",
        }
    }
}

/// A notice ready for review.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NoticeText {
    pub text_zh: String,
    pub text_en: String,
    /// Segments whose place was given as its street only.
    pub generalised: usize,
}

/// Whether a segment's place may be named: a public place seen by at least `k` people.
pub fn may_name(segment: &NoticeSegment, k: u64) -> bool {
    !segment.place.trim().is_empty() && segment.visitors.is_some_and(|v| v >= k)
}

/// Writes the notice in Chinese and English. Segments are sorted by time; each day gets a
/// heading.
pub fn write_notice(
    label_zh: &str,
    label_en: &str,
    segments: &[NoticeSegment],
    k: u64,
    tz: Tz,
) -> NoticeText {
    let mut sorted: Vec<&NoticeSegment> = segments.iter().collect();
    sorted.sort_by_key(|s| (s.starts, s.ends));
    let mut zh = format!("{label_zh}活动轨迹\n");
    let mut en = format!("Movements of {label_en}\n");
    let mut generalised = 0;
    let mut last_day = None;
    for s in sorted {
        let start = s.starts.with_timezone(&tz);
        let day = start.date_naive();
        if last_day != Some(day) {
            last_day = Some(day);
            let _ = write!(zh, "\n{}\n", start.format("%-m月%-d日"));
            let _ = write!(en, "\n{}\n", start.format("%-d %B"));
        }
        let times = match s.ends {
            Some(end) => {
                let end = end.with_timezone(&tz);
                if end.date_naive() == day {
                    format!("{}—{}", start.format("%H:%M"), end.format("%H:%M"))
                } else {
                    format!("{}—{}", start.format("%H:%M"), end.format("%-m月%-d日%H:%M"))
                }
            }
            None => start.format("%H:%M").to_string(),
        };
        let times_en = times.replace('—', "–").replace('月', "/").replace('日', " ");
        let (place_zh, place_en) = if may_name(s, k) {
            (format!("{}（{}）", s.place.trim(), s.street), format!("{} ({})", s.place.trim(), s.street))
        } else {
            generalised += 1;
            (format!("{}一带", s.street), format!("the area of {}", s.street))
        };
        let detail = s.transport_detail.trim();
        match s.transport {
            None => {
                let _ = writeln!(zh, "{times}  {place_zh}");
                let _ = writeln!(en, "{times_en}  {place_en}");
            }
            Some(t) if detail.is_empty() => {
                let _ = writeln!(zh, "{times}  {}前往{place_zh}", t.name_zh());
                let _ = writeln!(en, "{times_en}  {place_en}, {}", t.name_en());
            }
            Some(t) => {
                let _ = writeln!(zh, "{times}  {}（{detail}）前往{place_zh}", t.name_zh());
                let _ = writeln!(en, "{times_en}  {place_en}, {} ({detail})", t.name_en());
            }
        }
    }
    zh.push_str(
        "\n请上述时间段与其活动轨迹有交集的人员，立即向所在社区（村）、单位或所住酒店报告，\
         配合落实核酸检测等防控措施。\n",
    );
    en.push_str(
        "\nAnyone who was at these places at these times: report to your community (village), \
         employer or hotel at once, and follow the testing and other measures.\n",
    );
    NoticeText { text_zh: zh, text_en: en, generalised }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(
        start: &str,
        end: Option<&str>,
        place: &str,
        visitors: Option<u64>,
        transport: Option<Transport>,
    ) -> NoticeSegment {
        NoticeSegment {
            starts: start.parse().unwrap(),
            ends: end.map(|e| e.parse().unwrap()),
            place: place.into(),
            street: "新城区海拉尔东路街道".into(),
            visitors,
            transport,
            transport_detail: if transport == Some(Transport::Bus) { "1路".into() } else { String::new() },
        }
    }

    #[test]
    fn places_seen_by_fewer_than_k_people_show_their_street_only() {
        let segments = [
            seg(
                "2022-11-17T01:10:00Z",
                Some("2022-11-17T01:40:00Z"),
                "维多利购物中心",
                Some(120),
                Some(Transport::Bus),
            ),
            seg("2022-11-17T00:30:00Z", Some("2022-11-17T00:50:00Z"), "刘记牛肉面馆", Some(3), None),
            seg("2022-11-18T12:00:00Z", None, "", None, Some(Transport::Walk)),
        ];
        let n = write_notice("无症状感染者3", "asymptomatic case 3", &segments, 5, chrono_tz::Asia::Shanghai);
        assert_eq!(n.generalised, 2);
        assert!(!n.text_zh.contains("刘记牛肉面馆"));
        insta::assert_snapshot!(n.text_zh);
        insta::assert_snapshot!(n.text_en);
    }
}
