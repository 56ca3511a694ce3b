//! A synthetic city on Hohhot's real divisions: the city, its 10 districts, 99 streets and
//! 1,396 communities and villages are real (with district shapes); the compounds, buildings,
//! households and people below them are generated, deterministically from a seed.
//!
//! Each community has its own random stream (seed and community code), so a community looks the
//! same whatever else is generated and in whatever order.

mod cases;
mod gates;
mod history;
mod testing;
mod workforce;
mod zones;

use std::collections::HashMap;

use cordon_domain::{AreaCode, AreaLevel, AreaRow, IdNumber, PersonId, PersonRow, Phone, Sex, Tags};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use cases::{DemoCase, DemoCasework, DemoScan, DemoSegment, DemoVenue, demo_casework};
pub use gates::{DemoGate, DemoGates, DemoPass, DemoPassage, PassUse, demo_gates};
pub use history::{HistoryDay, demo_history};
pub use testing::{DemoTesting, demo_testing};
pub use workforce::{DemoWorkforce, demo_workforce};
pub use zones::{
    DemoEvent, DemoZone, demo_zones, first_refused_step, going_down, history_zone_story, story_events,
    story_refused,
};

const AREAS_CSV: &str = include_str!("../../../data/hohhot/areas.csv");
const DISTRICTS_GEOJSON: &str = include_str!("../../../data/hohhot/districts.geojson");

/// The year the demo's people are as old as: the outbreak of the source article, February 2022.
pub const REFERENCE_YEAR: i32 = 2022;

/// How much of the city gets people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Three communities of 新城区 (about 6,000 people): for tests.
    Tiny,
    /// 新城区 in full (about 450,000 people); the other districts as areas only. Up in seconds.
    District,
    /// The whole city: about 3.5 million residents.
    City,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "tiny" => Some(Scale::Tiny),
            "district" => Some(Scale::District),
            "city" => Some(Scale::City),
            _ => None,
        }
    }
}

/// The district of the source article.
pub const XINCHENG: &str = "150102";
/// 公主府社区, where the demo puts the article's 呼铁佳园C区.
pub const GONGZHUFU: &str = "150102001001";

pub struct City {
    /// City, districts, streets, communities (with shapes), parents first.
    pub divisions: Vec<AreaRow>,
    /// The communities that get people, in code order.
    pub populated: Vec<AreaCode>,
    seed: u64,
    id_sequence: HashMap<(String, i32, u32), u32>,
    people: u64,
}

/// What one community adds: its compounds, buildings and households, and its people.
pub struct Community {
    pub areas: Vec<AreaRow>,
    pub people: Vec<PersonRow>,
}

impl City {
    pub fn new(seed: u64, scale: Scale) -> City {
        let shapes = district_shapes();
        let mut divisions = Vec::new();
        let mut reader = csv::Reader::from_reader(AREAS_CSV.as_bytes());
        for rec in reader.records() {
            let rec = rec.expect("embedded areas.csv is valid");
            let code = AreaCode::parse(&rec[0]).expect("embedded code");
            let parent = (!rec[1].is_empty()).then(|| AreaCode::parse(&rec[1]).expect("embedded parent"));
            let level = AreaLevel::parse(&rec[2]).expect("embedded level");
            let shape = shapes.get(code.as_str()).cloned();
            divisions.push(AreaRow { code, parent, level, name: rec[3].to_owned(), shape });
        }
        divisions.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
        let populated = divisions
            .iter()
            .filter(|a| a.level == AreaLevel::Community)
            .filter(|a| match scale {
                Scale::City => true,
                Scale::District => a.code.as_str().starts_with(XINCHENG),
                Scale::Tiny => a.code.as_str().starts_with("150102001") && a.code.as_str() <= "150102001003",
            })
            .map(|a| a.code.clone())
            .collect();
        City { divisions, populated, seed, id_sequence: HashMap::new(), people: 0 }
    }

    fn name_of(&self, code: &AreaCode) -> &str {
        self.divisions.iter().find(|a| &a.code == code).map_or("", |a| a.name.as_str())
    }

    /// Generates one community's compounds, buildings, households and people.
    pub fn community(&mut self, code: &AreaCode) -> Community {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ fnv(code.as_str()));
        let name = self.name_of(code).to_owned();
        // 社区 are urban; villages (村, 嘎查) and the rest are small and low-rise. Sizes are set so
        // the whole city comes to Hohhot's 3.5 M residents.
        let village = !name.contains("社区");
        let district = code.as_str()[..6].to_owned();
        let target: u32 = if village { rng.random_range(600..1200) } else { rng.random_range(4200..7000) };
        let mut out = Community { areas: Vec::new(), people: Vec::new() };
        let mut residents = 0u32;
        let mut compound_no = 0u32;
        while residents < target {
            compound_no += 1;
            let compound_code = AreaCode::parse(&format!("{code}{compound_no:03}")).expect("generated code");
            let compound_name = if code.as_str() == GONGZHUFU && compound_no == 1 {
                "呼铁佳园C区".to_owned()
            } else if village {
                format!("{}组", chinese_number(compound_no))
            } else {
                compound_name(&mut rng)
            };
            out.areas.push(area(&compound_code, code, AreaLevel::Compound, compound_name));
            let buildings = if village { rng.random_range(3..8) } else { rng.random_range(4..16) };
            for b in 1..=buildings {
                let building_code =
                    AreaCode::parse(&format!("{compound_code}{b:02}")).expect("generated code");
                let building_name = if village { format!("{b}巷") } else { format!("{b}号楼") };
                out.areas.push(area(&building_code, &compound_code, AreaLevel::Building, building_name));
                let (units, floors, doors) = if village {
                    (1, 1, rng.random_range(8..20))
                } else {
                    (rng.random_range(2..5), rng.random_range(6..19), 2)
                };
                for unit in 1..=units {
                    for floor in 1..=floors {
                        for door in 1..=doors {
                            // About one flat in eight stands empty.
                            if rng.random_ratio(1, 8) {
                                continue;
                            }
                            let (hh_code, hh_name) = if village {
                                (format!("{building_code}{door:04}"), format!("{door}号"))
                            } else {
                                (
                                    format!("{building_code}{unit}{floor:02}{door}"),
                                    format!("{unit}单元{floor}{door:02}"),
                                )
                            };
                            let hh_code = AreaCode::parse(&hh_code).expect("generated code");
                            out.areas.push(area(&hh_code, &building_code, AreaLevel::Household, hh_name));
                            residents += self.household(&mut rng, &hh_code, &district, &mut out.people);
                        }
                    }
                }
            }
        }
        out
    }

    fn household(
        &mut self,
        rng: &mut ChaCha8Rng,
        household: &AreaCode,
        district: &str,
        people: &mut Vec<PersonRow>,
    ) -> u32 {
        let size = pick(rng, &[(1, 15), (2, 30), (3, 28), (4, 16), (5, 11)]);
        let surname = surname(rng);
        let mut members: Vec<(i32, Sex)> = Vec::new();
        let head_age = if size == 1 { rng.random_range(20..92) } else { rng.random_range(26..80) };
        let head_sex = if rng.random_bool(0.5) { Sex::Male } else { Sex::Female };
        members.push((head_age, head_sex));
        if size >= 2 {
            let other = if head_sex == Sex::Male { Sex::Female } else { Sex::Male };
            members.push(((head_age + rng.random_range(-4..5)).clamp(20, 95), other));
        }
        for i in 2..size {
            if i == 4 && head_age < 60 {
                // A grandparent.
                members.push(((head_age + rng.random_range(24..32)).min(98), random_sex(rng)));
            } else {
                let child = (head_age - rng.random_range(22..34)).max(0);
                members.push((child, random_sex(rng)));
            }
        }
        // Now and then a child is alone at home (the article's "my son has been alone").
        let minor_alone = size == 1 && rng.random_ratio(1, 400);
        if minor_alone {
            members[0].0 = rng.random_range(13..18);
        }
        for (i, (age, sex)) in members.iter().copied().enumerate() {
            self.people += 1;
            let birth_year = REFERENCE_YEAR - age;
            // Children take the head's surname; a spouse or grandparent has their own.
            let family = if i == 0 || (i >= 2 && age < 40) { surname } else { self::surname(rng) };
            let name = full_name(rng, family, sex);
            let mut tags = Vec::new();
            if size == 1 && age >= 70 {
                tags.push("elderly_alone");
            }
            if minor_alone {
                tags.push("minor_alone");
            }
            if sex == Sex::Female && (20..41).contains(&age) && rng.random_ratio(3, 100) {
                tags.push("pregnant");
            }
            if rng.random_ratio(1, 1000) && age > 30 {
                tags.push("dialysis");
            }
            if rng.random_ratio(2, 1000) && age > 30 {
                tags.push("chemotherapy");
            }
            if rng.random_ratio(15, 1000) {
                tags.push("disabled");
            }
            if age >= 60 && rng.random_ratio(12, 100) {
                tags.push("chronic");
            }
            let id_number = self.id_number(rng, district, birth_year, sex);
            let phone = (age >= 14).then(|| mobile(rng));
            let person = PersonRow {
                person_id: PersonId::parse(&format!("P{:09}", self.people)).expect("generated id"),
                name,
                id_number: Some(id_number),
                phone,
                birth_year: Some(birth_year),
                sex,
                household: household.clone(),
                tags: Tags::parse(&tags.join(";")).expect("known tags"),
            };
            let twice = registered_twice(&person);
            people.push(person);
            people.extend(twice);
        }
        members.len() as u32
    }

    /// A valid ID number, unique within the demo: the sequence digits count up per district and
    /// birth date, odd for men and even for women as GB 11643 says.
    fn id_number(&mut self, rng: &mut ChaCha8Rng, district: &str, year: i32, sex: Sex) -> IdNumber {
        let month = rng.random_range(1..=12u32);
        let day = rng.random_range(1..=28u32);
        let n = self.id_sequence.entry((district.to_owned(), year, month * 100 + day)).or_insert(0);
        *n += 1;
        let seq = (*n * 2 - u32::from(sex == Sex::Male)) % 1000;
        let first17 = format!("{district}{year:04}{month:02}{day:02}{seq:03}");
        let full = format!("{first17}{}", IdNumber::check_char(first17.as_bytes()));
        IdNumber::parse(&full).expect("generated ID numbers are valid")
    }
}

/// 重复登记: about one resident in three hundred is registered a second time, by another hand and
/// with less: once from an ID card with no phone, once by phone with no ID number, once by name
/// and birth year alone. Decided by the person's id (not the community's random stream, so the
/// rest of the city is the same with or without them).
fn registered_twice(p: &PersonRow) -> Option<PersonRow> {
    let h = fnv(p.person_id.as_str());
    if !h.is_multiple_of(300) {
        return None;
    }
    let person_id = PersonId::parse(&format!("{}-2", p.person_id.as_str())).expect("generated id");
    let mut again = PersonRow { person_id, tags: Tags::default(), ..p.clone() };
    match (h / 300) % 3 {
        0 => again.phone = None,
        1 if p.phone.is_some() => (again.id_number, again.birth_year) = (None, None),
        _ => (again.id_number, again.phone) = (None, None),
    }
    Some(again)
}

fn area(code: &AreaCode, parent: &AreaCode, level: AreaLevel, name: String) -> AreaRow {
    AreaRow { code: code.clone(), parent: Some(parent.clone()), level, name, shape: None }
}

/// FNV-1a: a stable hash for seeding (std's hasher may change between releases).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}

fn pick(rng: &mut ChaCha8Rng, weighted: &[(usize, u32)]) -> usize {
    let total: u32 = weighted.iter().map(|w| w.1).sum();
    let mut r = rng.random_range(0..total);
    for &(v, w) in weighted {
        if r < w {
            return v;
        }
        r -= w;
    }
    weighted[0].0
}

fn random_sex(rng: &mut ChaCha8Rng) -> Sex {
    if rng.random_bool(0.5) { Sex::Male } else { Sex::Female }
}

/// The commonest surnames, weighted roughly by frequency.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 72),
    ("李", 70),
    ("张", 66),
    ("刘", 54),
    ("陈", 46),
    ("杨", 34),
    ("赵", 22),
    ("黄", 17),
    ("周", 16),
    ("吴", 15),
    ("徐", 13),
    ("孙", 12),
    ("胡", 10),
    ("朱", 10),
    ("高", 10),
    ("林", 9),
    ("何", 9),
    ("郭", 9),
    ("马", 12),
    ("罗", 7),
    ("梁", 7),
    ("宋", 6),
    ("郑", 6),
    ("谢", 5),
    ("韩", 5),
    ("唐", 5),
    ("冯", 5),
    ("于", 5),
    ("董", 5),
    ("萧", 4),
    ("程", 4),
    ("曹", 4),
    ("袁", 4),
    ("邓", 4),
    ("许", 4),
    ("傅", 3),
    ("沈", 3),
    ("曾", 3),
    ("彭", 3),
    ("吕", 3),
    ("苏", 3),
    ("卢", 3),
    ("蒋", 3),
    ("蔡", 3),
    ("贾", 3),
    ("丁", 3),
    ("魏", 3),
    ("薛", 3),
    ("云", 3),
    ("白", 3),
    ("乔", 2),
    ("欧阳", 1),
    ("呼", 1),
];

const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫",
    "波", "建国", "建华", "志强", "志明", "海涛", "晓东", "俊杰", "浩然", "子轩", "宇航", "文博", "国庆",
    "振华", "永刚",
];
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂英", "玉兰", "淑珍", "丽华", "晓燕", "雪梅",
    "海燕", "婷婷", "欣怡", "梓涵", "诗琪", "雨桐", "佳怡", "慧敏", "春梅", "丽娟", "文静", "晓红", "美玲",
    "凤英", "红霞",
];
/// Mongolian names, written in Chinese without a surname, as many in Hohhot are.
const MONGOLIAN_MALE: &[&str] = &["巴特尔", "额尔敦", "那日苏", "朝鲁", "毕力格", "巴音", "苏和", "图门"];
const MONGOLIAN_FEMALE: &[&str] = &["其其格", "乌兰", "萨仁", "斯琴", "托娅", "乌日娜", "塔娜", "高娃"];

fn surname(rng: &mut ChaCha8Rng) -> &'static str {
    let total: u32 = SURNAMES.iter().map(|s| s.1).sum();
    let mut r = rng.random_range(0..total);
    for &(s, w) in SURNAMES {
        if r < w {
            return s;
        }
        r -= w;
    }
    "王"
}

/// A name as the register would hold one, with a surname drawn by frequency.
pub(crate) fn random_name(rng: &mut ChaCha8Rng, sex: Sex) -> String {
    let s = surname(rng);
    full_name(rng, s, sex)
}

fn full_name(rng: &mut ChaCha8Rng, surname: &str, sex: Sex) -> String {
    if rng.random_ratio(4, 100) {
        let list = if sex == Sex::Male { MONGOLIAN_MALE } else { MONGOLIAN_FEMALE };
        return list[rng.random_range(0..list.len())].to_owned();
    }
    let list = if sex == Sex::Male { GIVEN_MALE } else { GIVEN_FEMALE };
    format!("{surname}{}", list[rng.random_range(0..list.len())])
}

const COMPOUND_PREFIX: &[&str] = &[
    "阳光",
    "锦绣",
    "和谐",
    "幸福",
    "滨河",
    "御景",
    "青城",
    "昭君",
    "大召",
    "金桥",
    "民族",
    "新华",
    "春华",
    "嘉和",
    "丽苑",
    "书香",
    "绿地",
    "万锦",
    "如意",
    "祥和",
    "东达",
    "维多利",
    "富力",
    "海亮",
    "学府",
    "草原",
    "敕勒川",
    "塞上",
];
const COMPOUND_SUFFIX: &[&str] = &["小区", "花园", "家园", "佳园", "苑", "嘉园", "新村", "公寓", "城"];

fn compound_name(rng: &mut ChaCha8Rng) -> String {
    let p = COMPOUND_PREFIX[rng.random_range(0..COMPOUND_PREFIX.len())];
    let s = COMPOUND_SUFFIX[rng.random_range(0..COMPOUND_SUFFIX.len())];
    if rng.random_ratio(1, 4) {
        format!("{p}{s}{}区", ["A", "B", "C", "D"][rng.random_range(0..4)])
    } else {
        format!("{p}{s}")
    }
}

fn chinese_number(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        _ => format!(
            "{}十{}",
            D[(n / 10) as usize],
            if n.is_multiple_of(10) { "" } else { D[(n % 10) as usize] }
        ),
    }
}

fn mobile(rng: &mut ChaCha8Rng) -> Phone {
    const PREFIXES: [&str; 12] =
        ["130", "131", "133", "135", "136", "138", "139", "150", "151", "158", "177", "186"];
    let p = PREFIXES[rng.random_range(0..PREFIXES.len())];
    Phone::parse(&format!("{p}{:08}", rng.random_range(0..100_000_000u32))).expect("generated phone")
}

fn district_shapes() -> HashMap<String, String> {
    let doc: serde_json::Value = serde_json::from_str(DISTRICTS_GEOJSON).expect("embedded GeoJSON");
    doc["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| Some((f["properties"]["code"].as_str()?.to_owned(), f["geometry"].to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_city_is_hohhot() {
        let city = City::new(1, Scale::District);
        let count = |l| city.divisions.iter().filter(|a| a.level == l).count();
        assert_eq!(
            (count(AreaLevel::City), count(AreaLevel::District), count(AreaLevel::Street)),
            (1, 10, 99)
        );
        assert_eq!(count(AreaLevel::Community), 1396);
        assert_eq!(city.divisions.iter().filter(|a| a.shape.is_some()).count(), 9);
        assert!(city.populated.iter().all(|c| c.as_str().starts_with(XINCHENG)));
    }

    #[test]
    fn generation_is_deterministic_and_valid() {
        let mut a = City::new(7, Scale::Tiny);
        let mut b = City::new(7, Scale::Tiny);
        let code = a.populated[0].clone();
        let (x, y) = (a.community(&code), b.community(&code));
        assert_eq!(x.people, y.people);
        assert_eq!(x.areas, y.areas);
        assert!(x.people.len() > 1000, "an urban community has thousands of residents");
        assert_eq!(x.areas[0].name, "呼铁佳园C区");
        for p in &x.people {
            p.check_consistency().unwrap();
        }
        let planned = cordon_domain::plan_areas(x.areas.clone(), |c| {
            (c == &code).then_some(cordon_domain::area::KnownArea {
                parent: Some(AreaCode::parse("150102001").unwrap()),
                level: AreaLevel::Community,
            })
        });
        assert!(planned.is_ok(), "generated areas form a valid tree");
        let c = City::new(8, Scale::Tiny).community(&code);
        assert_ne!(c.people, x.people, "another seed, another city");
    }

    #[test]
    fn chinese_numbers() {
        assert_eq!(chinese_number(3), "三");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(34), "三十四");
    }
}
