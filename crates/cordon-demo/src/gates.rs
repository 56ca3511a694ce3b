//! The demo's gates and a day of traffic at 呼铁佳园C区 (a controlled compound with its sealed
//! building 3): the compound's two gates and the building's door, passes for volunteers, a
//! cadre, two delivery firms (one pass revoked), a dialysis trip, a family emergency and an
//! exception, and what a cadre on duty would have met since dawn — deliveries in and out,
//! residents turned back, an ambulance, a relative who chose to stay in the sealed building, a
//! tampered code, a replayed one, an ID number nobody in the register has (a mistyped one is
//! said at the console and logged nowhere). Only who came, when and with what is generated:
//! the server decides each passage by the rules, as it would at the gate.

use cordon_domain::gates::{Direction, PassKind, Subject};
use cordon_domain::{AreaCode, PersonRow};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub struct DemoGate {
    pub area: AreaCode,
    pub name: &'static str,
}

pub struct DemoPass {
    pub kind: PassKind,
    /// The resident it is for (medical, exception, emergency).
    pub person: Option<String>,
    /// The holder when it names nobody in the register.
    pub holder: Option<&'static str>,
    pub area: AreaCode,
    /// Valid from this many minutes before the seeding moment, for this many minutes.
    pub from_minutes_ago: i64,
    pub minutes: i64,
    pub one_time: bool,
    pub reason: &'static str,
    /// Revoked after issue, with this reason.
    pub revoked: Option<&'static str>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PassUse {
    /// The pass's code as issued.
    Shown(usize),
    /// The pass's code with one character changed (an edited screenshot).
    Tampered(usize),
}

#[derive(Clone, Debug)]
pub struct DemoPassage {
    pub minutes_ago: i64,
    /// Index into `DemoGates::gates`.
    pub gate: usize,
    pub direction: Direction,
    pub subject: Option<Subject>,
    pub person: Option<String>,
    pub pass: Option<PassUse>,
    pub confirmed: bool,
    pub note: &'static str,
}

pub struct DemoGates {
    pub gates: Vec<DemoGate>,
    pub passes: Vec<DemoPass>,
    /// Oldest first.
    pub passages: Vec<DemoPassage>,
}

const SOUTH: usize = 0;
const NORTH: usize = 1;
const DOOR: usize = 2;

fn at(
    out: &mut Vec<DemoPassage>,
    minutes_ago: i64,
    gate: usize,
    direction: Direction,
    person: Option<&PersonRow>,
    pass: Option<PassUse>,
    note: &'static str,
) {
    out.push(DemoPassage {
        minutes_ago,
        gate,
        direction,
        subject: None,
        person: person.map(|p| p.person_id.as_str().to_owned()),
        pass,
        confirmed: false,
        note,
    });
}

/// `compound` and its `sealed` building; `people` of the story's communities (residents of the
/// compound among them, and a few from elsewhere to visit); `clear` tells who is neither a case
/// nor a contact (those given a pass for a trip out).
pub fn demo_gates(
    seed: u64,
    compound: &AreaCode,
    sealed: &AreaCode,
    people: &[PersonRow],
    clear: impl Fn(&str) -> bool,
) -> DemoGates {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6a7e);
    let inside = |p: &&PersonRow| p.household.as_str().starts_with(compound.as_str());
    let in_sealed: Vec<&PersonRow> =
        people.iter().filter(|p| p.household.as_str().starts_with(sealed.as_str())).collect();
    let in_compound: Vec<&PersonRow> =
        people.iter().filter(inside).filter(|p| !p.household.as_str().starts_with(sealed.as_str())).collect();
    let clear_in_compound: Vec<&PersonRow> =
        in_compound.iter().copied().filter(|p| clear(p.person_id.as_str())).collect();
    let outsiders: Vec<&PersonRow> = people.iter().filter(|p| !inside(p)).collect();
    let gates = vec![
        DemoGate { area: compound.clone(), name: "南门" },
        DemoGate { area: compound.clone(), name: "北门" },
        DemoGate { area: sealed.clone(), name: "单元门" },
    ];
    let mut passes = vec![
        DemoPass {
            kind: PassKind::Worker,
            person: None,
            holder: Some("公主府社区志愿者 张*"),
            area: compound.clone(),
            from_minutes_ago: 2 * 24 * 60,
            minutes: 7 * 24 * 60,
            one_time: false,
            reason: "志愿者：物资分发、上门核酸引导",
            revoked: None,
        },
        DemoPass {
            kind: PassKind::Delivery,
            person: None,
            holder: Some("美团买菜配送站"),
            area: compound.clone(),
            from_minutes_ago: 3 * 24 * 60,
            minutes: 7 * 24 * 60,
            one_time: false,
            reason: "保供：生活物资配送到楼",
            revoked: None,
        },
        DemoPass {
            kind: PassKind::Delivery,
            person: None,
            holder: Some("京东物流 海拉尔东路站"),
            area: compound.clone(),
            from_minutes_ago: 3 * 24 * 60,
            minutes: 7 * 24 * 60,
            one_time: false,
            reason: "保供：快递送达",
            revoked: Some("配送员更换，原通行证作废"),
        },
    ];
    // A dialysis trip from the sealed building (a resident tagged for it, else the first one).
    let patient = in_sealed
        .iter()
        .filter(|p| clear(p.person_id.as_str()))
        .find(|p| p.tags.iter().any(|t| t.as_str() == "dialysis"))
        .or_else(|| in_sealed.iter().find(|p| clear(p.person_id.as_str())));
    if let Some(p) = patient {
        passes.push(DemoPass {
            kind: PassKind::Medical,
            person: Some(p.person_id.as_str().to_owned()),
            holder: None,
            area: compound.clone(),
            from_minutes_ago: 11 * 60,
            minutes: 10 * 60,
            one_time: false,
            reason: "血液透析（每周二、四、六），社区专车接送",
            revoked: None,
        });
    }
    let exception = clear_in_compound.get(3);
    if let Some(p) = exception {
        passes.push(DemoPass {
            kind: PassKind::Exception,
            person: Some(p.person_id.as_str().to_owned()),
            holder: None,
            area: compound.clone(),
            from_minutes_ago: 9 * 60,
            minutes: 20 * 60,
            one_time: true,
            reason: "父亲病危，经指挥部批准前往医院，全程闭环",
            revoked: None,
        });
    }
    let emergency = clear_in_compound.get(7);
    if let Some(p) = emergency {
        passes.push(DemoPass {
            kind: PassKind::Emergency,
            person: Some(p.person_id.as_str().to_owned()),
            holder: None,
            area: compound.clone(),
            from_minutes_ago: 3 * 60,
            minutes: 6 * 60,
            one_time: false,
            reason: "孕晚期腹痛，120急救绿色通道",
            revoked: None,
        });
    }

    let mut out: Vec<DemoPassage> = Vec::new();
    // Since 06:00-ish (16 hours back at most): deliveries and volunteers come and go.
    for _ in 0..36 {
        let m = rng.random_range(20..16 * 60);
        let gate = if rng.random_range(0..3) == 0 { NORTH } else { SOUTH };
        at(&mut out, m, gate, Direction::In, None, Some(PassUse::Shown(1)), "");
        at(&mut out, m - rng.random_range(8..25), gate, Direction::Out, None, Some(PassUse::Shown(1)), "");
    }
    for _ in 0..8 {
        let m = rng.random_range(60..15 * 60);
        at(&mut out, m, DOOR, Direction::In, None, Some(PassUse::Shown(0)), "送药上门");
        at(&mut out, m - 20, DOOR, Direction::Out, None, Some(PassUse::Shown(0)), "");
    }
    // Residents of the compound trying to go out: turned back (人不出区).
    for _ in 0..24 {
        if in_compound.is_empty() {
            break;
        }
        let p = in_compound[rng.random_range(0..in_compound.len())];
        let gate = if rng.random_range(0..2) == 0 { NORTH } else { SOUTH };
        at(&mut out, rng.random_range(10..15 * 60), gate, Direction::Out, Some(p), None, "");
    }
    // Residents of the sealed building at its door.
    for p in in_sealed.iter().take(4) {
        at(&mut out, rng.random_range(30..12 * 60), DOOR, Direction::Out, Some(p), None, "");
    }
    // The revoked courier pass and a tampered screenshot of a good one.
    at(&mut out, 6 * 60 + 10, SOUTH, Direction::In, None, Some(PassUse::Shown(2)), "京东快递员");
    at(&mut out, 4 * 60 + 45, NORTH, Direction::In, None, Some(PassUse::Tampered(1)), "截图有涂改");
    // A visitor whose ID number (a well-formed one) is in no register of the city.
    out.push(DemoPassage {
        minutes_ago: 2 * 60 + 5,
        gate: SOUTH,
        direction: Direction::In,
        subject: None,
        person: Some("150102198807150008".into()),
        pass: None,
        confirmed: false,
        note: "",
    });
    // The dialysis trip: out through the door and the south gate, back by noon, asked at the
    // door like anyone entering a sealed building.
    if let Some(p) = patient {
        let medical = Some(PassUse::Shown(3));
        at(&mut out, 10 * 60 + 40, DOOR, Direction::Out, Some(p), medical, "社区专车");
        at(&mut out, 10 * 60 + 36, SOUTH, Direction::Out, Some(p), medical, "社区专车");
        at(&mut out, 5 * 60 + 50, SOUTH, Direction::In, Some(p), medical, "透析返回");
        at(&mut out, 5 * 60 + 46, DOOR, Direction::In, Some(p), None, "透析返回");
        out.push(DemoPassage {
            minutes_ago: 5 * 60 + 45,
            confirmed: true,
            ..out.last().cloned().expect("just pushed")
        });
    }
    // The exception: out once; the same code shown again later is a replay.
    if let Some(p) = exception {
        let i = passes.iter().position(|x| x.kind == PassKind::Exception).expect("pushed above");
        at(&mut out, 8 * 60 + 30, SOUTH, Direction::Out, Some(p), Some(PassUse::Shown(i)), "家属陪同");
        at(&mut out, 60 + 20, NORTH, Direction::Out, None, Some(PassUse::Shown(i)), "他人出示同一通行证");
    }
    // The ambulance and the emergency it came for.
    out.push(DemoPassage {
        minutes_ago: 2 * 60 + 40,
        gate: SOUTH,
        direction: Direction::In,
        subject: Some(Subject::Ambulance),
        person: None,
        pass: None,
        confirmed: false,
        note: "120急救车 蒙A·1207X",
    });
    if let Some(p) = emergency {
        let i = passes.iter().position(|x| x.kind == PassKind::Emergency).expect("pushed above");
        at(
            &mut out,
            2 * 60 + 25,
            SOUTH,
            Direction::Out,
            Some(p),
            Some(PassUse::Shown(i)),
            "随120急救车前往内蒙古妇幼保健院",
        );
    }
    // A relative from elsewhere chooses to stay in the sealed building with an elderly parent;
    // another visitor walks into the compound and has not left.
    // Someone from elsewhere is known at a gate by the ID card they show, not a register id.
    let by_card = |out: &mut Vec<DemoPassage>, v: &PersonRow| {
        if let (Some(last), Some(card)) = (out.last_mut(), &v.id_number) {
            last.person = Some(card.as_str().to_owned());
        }
    };
    if let Some(v) = outsiders.first() {
        at(&mut out, 7 * 60 + 15, DOOR, Direction::In, Some(v), None, "照顾独居老人");
        by_card(&mut out, v);
        out.push(DemoPassage {
            minutes_ago: 7 * 60 + 14,
            confirmed: true,
            ..out.last().cloned().expect("just pushed")
        });
    }
    if let Some(v) = outsiders.get(1) {
        at(&mut out, 3 * 60 + 30, NORTH, Direction::In, Some(v), None, "探亲");
        by_card(&mut out, v);
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.minutes_ago));
    DemoGates { gates, passes, passages: out }
}
