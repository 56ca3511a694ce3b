//! Residents' needs (居民诉求): requests from or for a household — food, medicine, medical care,
//! a treatment trip, childbirth, mental health, a family emergency, leaving a zone — each with a
//! priority, an owner on the chain of command, deadlines from its category's rule (profile
//! data) and a timeline of events. A need's state is a pure function of that timeline and the
//! rule, as a zone's is: one that nobody acknowledges in time climbs the chain — the cadre who
//! answers for the building, the community, the street, the district, headquarters — one rung
//! per interval, each step an event with the moment it was due.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;
pub use crate::protocol::need_rules::{
    CareRule, EMERGENCY, NeedCategory, NeedRule, Priority, check_need_rules, default_care_rules,
    default_need_rules,
};

/// A rung of the chain a need climbs, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rung {
    /// The cadre who answers for the household's building or compound (包联).
    Cadre,
    Community,
    Street,
    District,
    Headquarters,
}

impl Rung {
    pub const ALL: [Rung; 5] =
        [Rung::Cadre, Rung::Community, Rung::Street, Rung::District, Rung::Headquarters];

    pub fn as_str(self) -> &'static str {
        match self {
            Rung::Cadre => "cadre",
            Rung::Community => "community",
            Rung::Street => "street",
            Rung::District => "district",
            Rung::Headquarters => "headquarters",
        }
    }

    pub fn parse(s: &str) -> Option<Rung> {
        Rung::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Rung::Cadre => "包联干部",
            Rung::Community => "社区",
            Rung::Street => "街道",
            Rung::District => "区指挥部",
            Rung::Headquarters => "市指挥部",
        }
    }

    /// The next rung up; none above headquarters.
    pub fn up(self) -> Option<Rung> {
        Rung::ALL.into_iter().find(|r| *r > self)
    }
}

/// The rule a need follows: the emergency rule when flagged, else its category's, else `other`'s.
pub fn rule_for(rules: &[NeedRule], category: NeedCategory, emergency: bool) -> Option<&NeedRule> {
    let key = if emergency { EMERGENCY } else { category.as_str() };
    rules.iter().find(|r| r.category == key).or_else(|| rules.iter().find(|r| r.category == "other"))
}

/// The care a person with these tags is due on `day`, by the rules.
pub fn care_due<'a>(tags: &crate::Tags, rules: &'a [CareRule], day: chrono::NaiveDate) -> Vec<&'a CareRule> {
    use chrono::Datelike;
    rules
        .iter()
        .filter(|r| r.every_days > 0 && day.num_days_from_ce() % r.every_days as i32 == 0)
        .filter(|r| tags.iter().any(|t| t.as_str() == r.tag))
        .collect()
}

/// What happened to a need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NeedEventKind {
    /// Raised, owned at this rung.
    Created {
        rung: Rung,
    },
    /// Someone took it on: the climb stops.
    Acknowledged,
    /// Given to a worker to carry out.
    Assigned {
        to: String,
    },
    Note,
    /// Nobody acknowledged it in time: the next rung owns it.
    Escalated {
        to: Rung,
    },
    /// The emergency pass issued with it (the green channel).
    PassIssued {
        pass_id: String,
    },
    /// A request to leave a zone decided: granted, or refused with the alternative arranged.
    Decided {
        granted: bool,
        alternative: Option<String>,
    },
    Resolved,
    Reopened,
}

impl NeedEventKind {
    pub fn key(&self) -> &'static str {
        match self {
            NeedEventKind::Created { .. } => "created",
            NeedEventKind::Acknowledged => "acknowledged",
            NeedEventKind::Assigned { .. } => "assigned",
            NeedEventKind::Note => "note",
            NeedEventKind::Escalated { .. } => "escalated",
            NeedEventKind::PassIssued { .. } => "pass_issued",
            NeedEventKind::Decided { .. } => "decided",
            NeedEventKind::Resolved => "resolved",
            NeedEventKind::Reopened => "reopened",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeedEvent {
    /// When it happened (an escalation: when it was due).
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: NeedEventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NeedStatus {
    /// Waiting for someone to take it on.
    Open,
    Acknowledged,
    Resolved,
}

impl NeedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NeedStatus::Open => "open",
            NeedStatus::Acknowledged => "acknowledged",
            NeedStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<NeedStatus> {
        [NeedStatus::Open, NeedStatus::Acknowledged, NeedStatus::Resolved]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A need now, from its timeline and rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NeedState {
    pub status: NeedStatus,
    /// Who owns it: where it was raised, or the rung it climbed to.
    pub rung: Rung,
    /// The next deadline: to acknowledge (open) or to handle (acknowledged); none once resolved.
    pub due: Option<DateTime<Utc>>,
    /// Whether the next step up happens at `due` (none above headquarters).
    pub escalates: bool,
    /// Steps it climbed.
    pub escalations: u32,
}

/// The state of a need whose timeline (in the order written) is `events`.
pub fn need_state(events: &[NeedEvent], rule: &NeedRule) -> NeedState {
    let mut status = NeedStatus::Open;
    let mut rung = Rung::Community;
    // The clock of the current deadline: raised or reopened (handle-by), last step (ack-by).
    let mut started = events.first().map_or(DateTime::<Utc>::MIN_UTC, |e| e.at);
    let mut ack_from = started;
    let mut ack_minutes = rule.acknowledge_minutes;
    let mut escalations = 0;
    for e in events {
        match &e.kind {
            NeedEventKind::Created { rung: r } => {
                rung = *r;
                started = e.at;
                ack_from = e.at;
                ack_minutes = rule.acknowledge_minutes;
            }
            NeedEventKind::Acknowledged => {
                if status == NeedStatus::Open {
                    status = NeedStatus::Acknowledged;
                }
            }
            NeedEventKind::Escalated { to } => {
                rung = rung.max(*to);
                escalations += 1;
                // Taken up by the next rung, it waits for their acknowledgement.
                if status != NeedStatus::Resolved {
                    status = NeedStatus::Open;
                }
                ack_from = e.at;
                ack_minutes = rule.escalate_minutes;
            }
            // A request to leave is done once decided: granted, or refused with the alternative.
            NeedEventKind::Resolved | NeedEventKind::Decided { .. } => status = NeedStatus::Resolved,
            NeedEventKind::Reopened => {
                status = NeedStatus::Open;
                started = e.at;
                ack_from = e.at;
                ack_minutes = rule.acknowledge_minutes;
            }
            NeedEventKind::Assigned { .. } | NeedEventKind::Note | NeedEventKind::PassIssued { .. } => {}
        }
    }
    let due = match status {
        NeedStatus::Open => Some(ack_from + Duration::minutes(ack_minutes.into())),
        NeedStatus::Acknowledged => Some(started + Duration::minutes(rule.resolve_minutes.into())),
        NeedStatus::Resolved => None,
    };
    NeedState { status, rung, due, escalates: due.is_some() && rung.up().is_some(), escalations }
}

/// The steps up the chain due by `now` that the timeline does not hold yet, each at the moment it
/// was due (or at the last event, if that came later): none twice, and a sweep after a restart
/// catches up with every step missed meanwhile.
pub fn escalations_due(events: &[NeedEvent], rule: &NeedRule, now: DateTime<Utc>) -> Vec<NeedEvent> {
    let mut timeline = events.to_vec();
    let mut out = Vec::new();
    loop {
        let s = need_state(&timeline, rule);
        let (Some(due), Some(to)) = (s.due, s.rung.up()) else { break };
        if due > now {
            break;
        }
        let last = timeline.last().map_or(due, |e| e.at);
        let e = NeedEvent { at: due.max(last), kind: NeedEventKind::Escalated { to } };
        timeline.push(e.clone());
        out.push(e);
    }
    out
}

/// Why a change to a need is refused, if it is.
pub fn check_change(state: &NeedState, kind: &NeedEventKind) -> Result<(), DomainError> {
    let closed = state.status == NeedStatus::Resolved;
    match kind {
        NeedEventKind::Acknowledged if closed => {
            Err(DomainError::invalid("event", "it is resolved: reopen it first"))
        }
        NeedEventKind::Acknowledged if state.status == NeedStatus::Acknowledged => {
            Err(DomainError::invalid("event", "it is acknowledged already"))
        }
        NeedEventKind::Assigned { .. } | NeedEventKind::Decided { .. } | NeedEventKind::Resolved
            if closed =>
        {
            Err(DomainError::invalid("event", "it is resolved already"))
        }
        NeedEventKind::Reopened if !closed => Err(DomainError::invalid("event", "it is not resolved")),
        NeedEventKind::Decided { granted: false, alternative }
            if alternative.as_deref().is_none_or(|a| a.trim().is_empty()) =>
        {
            Err(DomainError::invalid(
                "alternative",
                "a refusal records the alternative arranged (a video call, an escort later …)",
            ))
        }
        NeedEventKind::Created { .. }
        | NeedEventKind::Escalated { .. }
        | NeedEventKind::PassIssued { .. } => {
            Err(DomainError::invalid("event", "recorded by the system only"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(min: i64) -> DateTime<Utc> {
        "2022-02-12T08:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(min)
    }

    fn ev(min: i64, kind: NeedEventKind) -> NeedEvent {
        NeedEvent { at: t(min), kind }
    }

    fn emergency() -> NeedRule {
        rule_for(&default_need_rules(), NeedCategory::Childbirth, true).unwrap().clone()
    }

    fn rungs(es: &[NeedEvent]) -> Vec<(i64, Rung)> {
        es.iter()
            .map(|e| match e.kind {
                NeedEventKind::Escalated { to } => ((e.at - t(0)).num_minutes(), to),
                _ => panic!("not an escalation"),
            })
            .collect()
    }

    #[test]
    fn the_default_rules_hold() {
        check_need_rules(&default_need_rules()).unwrap();
        let mut no_emergency = default_need_rules();
        no_emergency.retain(|r| r.category != EMERGENCY);
        assert!(check_need_rules(&no_emergency).is_err());
        let mut twice = default_need_rules();
        twice.push(twice[1].clone());
        assert!(check_need_rules(&twice).unwrap_err().to_string().contains("two rules"));
        let mut unknown = default_need_rules();
        unknown[1].category = "spaceflight".into();
        assert!(check_need_rules(&unknown).unwrap_err().to_string().contains("spaceflight"));
    }

    #[test]
    fn an_emergency_nobody_acknowledges_climbs_to_headquarters_on_schedule() {
        let created = [ev(0, NeedEventKind::Created { rung: Rung::Cadre })];
        let r = emergency();
        assert!(escalations_due(&created, &r, t(4)).is_empty(), "not before five minutes");
        assert_eq!(rungs(&escalations_due(&created, &r, t(5))), [(5, Rung::Community)]);
        assert_eq!(
            rungs(&escalations_due(&created, &r, t(60))),
            [(5, Rung::Community), (10, Rung::Street), (15, Rung::District), (20, Rung::Headquarters)],
            "a sweep after a restart catches up, each step at its moment"
        );
        let mut all = created.to_vec();
        all.extend(escalations_due(&created, &r, t(60)));
        assert!(escalations_due(&all, &r, t(600)).is_empty(), "nothing above headquarters, nothing twice");
        let s = need_state(&all, &r);
        assert_eq!(
            (s.rung, s.status, s.escalates, s.escalations),
            (Rung::Headquarters, NeedStatus::Open, false, 4)
        );
        assert_eq!(s.due, Some(t(25)), "overdue at headquarters");
    }

    #[test]
    fn an_acknowledgement_stops_the_climb_until_the_handling_deadline() {
        let r = emergency();
        let mut es = vec![ev(0, NeedEventKind::Created { rung: Rung::Cadre })];
        es.extend(escalations_due(&es, &r, t(7)));
        es.push(ev(8, NeedEventKind::Acknowledged));
        let s = need_state(&es, &r);
        assert_eq!((s.status, s.rung, s.due), (NeedStatus::Acknowledged, Rung::Community, Some(t(30))));
        assert!(escalations_due(&es, &r, t(29)).is_empty());
        // Not handled in 30 minutes: the street takes it, and it waits for their acknowledgement.
        assert_eq!(rungs(&escalations_due(&es, &r, t(31))), [(30, Rung::Street)]);
        es.push(ev(31, NeedEventKind::Resolved));
        assert!(escalations_due(&es, &r, t(600)).is_empty());
        assert_eq!(need_state(&es, &r).due, None);
    }

    #[test]
    fn an_acknowledgement_after_a_missed_deadline_does_not_predate_it() {
        let r = emergency();
        let es = [ev(0, NeedEventKind::Created { rung: Rung::Cadre }), ev(40, NeedEventKind::Acknowledged)];
        // Acknowledged at 40 with the 30-minute handling deadline gone: the step is at 40.
        assert_eq!(rungs(&escalations_due(&es, &r, t(41))), [(40, Rung::Community)]);
    }

    #[test]
    fn reopening_starts_the_clocks_again() {
        let r = rule_for(&default_need_rules(), NeedCategory::Food, false).unwrap().clone();
        let es = [
            ev(0, NeedEventKind::Created { rung: Rung::Community }),
            ev(10, NeedEventKind::Acknowledged),
            ev(20, NeedEventKind::Resolved),
            ev(500, NeedEventKind::Reopened),
        ];
        let s = need_state(&es, &r);
        assert_eq!((s.status, s.due), (NeedStatus::Open, Some(t(620))));
        assert_eq!(rungs(&escalations_due(&es, &r, t(620))), [(620, Rung::Street)]);
    }

    #[test]
    fn care_is_planned_by_tag_and_cadence() {
        let rules = default_care_rules();
        let day = chrono::NaiveDate::from_ymd_opt(2022, 2, 14).unwrap();
        let next = day.succ_opt().unwrap();
        let tags = crate::Tags::parse("dialysis;elderly_alone").unwrap();
        let on = |d| care_due(&tags, &rules, d).iter().map(|r| r.tag.as_str()).collect::<Vec<_>>();
        // Every day the check; the dialysis trip every other day, on one of the two.
        assert!(on(day).contains(&"elderly_alone") && on(next).contains(&"elderly_alone"));
        assert_eq!(on(day).contains(&"dialysis"), !on(next).contains(&"dialysis"));
        assert!(care_due(&crate::Tags::parse("pregnant").unwrap(), &rules, day).is_empty());
    }

    #[test]
    fn changes_a_need_refuses() {
        let r = emergency();
        let open = need_state(&[ev(0, NeedEventKind::Created { rung: Rung::Cadre })], &r);
        assert!(check_change(&open, &NeedEventKind::Acknowledged).is_ok());
        assert!(check_change(&open, &NeedEventKind::Reopened).is_err());
        assert!(check_change(&open, &NeedEventKind::Escalated { to: Rung::Street }).is_err());
        let refused = NeedEventKind::Decided { granted: false, alternative: None };
        assert_eq!(check_change(&open, &refused).unwrap_err().field(), "alternative");
        let with_call = NeedEventKind::Decided { granted: false, alternative: Some("视频通话".into()) };
        assert!(check_change(&open, &with_call).is_ok());
        let decided =
            need_state(&[ev(0, NeedEventKind::Created { rung: Rung::Cadre }), ev(1, with_call.clone())], &r);
        assert_eq!((decided.status, decided.due), (NeedStatus::Resolved, None), "a decision closes it");
        assert!(check_change(&decided, &with_call).is_err(), "decided once");
        let closed = need_state(
            &[ev(0, NeedEventKind::Created { rung: Rung::Cadre }), ev(1, NeedEventKind::Resolved)],
            &r,
        );
        assert!(
            check_change(&closed, &NeedEventKind::Acknowledged).unwrap_err().to_string().contains("resolved")
        );
        assert!(check_change(&closed, &NeedEventKind::Reopened).is_ok());
    }

    fn kinds() -> impl Strategy<Value = NeedEventKind> {
        prop_oneof![
            Just(NeedEventKind::Acknowledged),
            Just(NeedEventKind::Note),
            Just(NeedEventKind::Resolved),
            Just(NeedEventKind::Reopened),
        ]
    }

    proptest! {
        /// Whatever happened, a sweep every minute climbs each rung once, never above
        /// headquarters, never before a step is due, and leaves nothing due; with nobody acting,
        /// one sweep late (a restart) records exactly the steps the minute-by-minute sweep did.
        #[test]
        fn the_climb_is_the_same_whenever_the_sweep_runs(
            acts in proptest::collection::vec((1i64..400, kinds()), 0..8),
            category in proptest::sample::select(NeedCategory::ALL.to_vec()),
            emergency in any::<bool>(),
            end in 1i64..2000,
        ) {
            let rules = default_need_rules();
            let r = rule_for(&rules, category, emergency).unwrap();
            let mut acts = acts;
            acts.sort_by_key(|a| a.0);
            let mut base = vec![ev(0, NeedEventKind::Created { rung: Rung::Cadre })];
            base.extend(acts.into_iter().map(|(m, k)| ev(m, k)));
            // Sweeping every minute, merging the human events as they come.
            let mut often: Vec<NeedEvent> = Vec::new();
            let mut human = base.iter().peekable();
            for minute in 0..=end {
                while human.peek().is_some_and(|e| e.at <= t(minute)) {
                    often.push(human.next().unwrap().clone());
                }
                let due = escalations_due(&often, r, t(minute));
                often.extend(due);
            }
            let steps_often: Vec<_> = often.iter().filter(|e| matches!(e.kind, NeedEventKind::Escalated { .. })).cloned().collect();
            for w in steps_often.windows(2) {
                prop_assert!(w[0].at <= w[1].at);
            }
            let mut last = Rung::Cadre;
            for e in &steps_often {
                if let NeedEventKind::Escalated { to } = e.kind {
                    prop_assert!(to > last, "each rung once, climbing");
                    last = to;
                }
                prop_assert!(e.at <= t(end));
            }
            prop_assert!(escalations_due(&often, r, t(end)).is_empty(), "nothing twice");
            if base.len() == 1 {
                let late = escalations_due(&base, r, t(end));
                prop_assert_eq!(late, steps_often);
            }
        }
    }
}
