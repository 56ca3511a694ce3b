//! 转运: an order to move a household's people (a case, contacts, a companion) from home or one
//! site to another site, into rooms held for them. Its stage — requested, vehicle assigned,
//! picked up, arrived, or cancelled — is a pure function of its timeline, as a need's is, and so
//! is its next deadline under the profile's rule: a vehicle within so many minutes of the order,
//! arrival within so many. An order past its deadline climbs the chain one rung at a time, each
//! step an event at the moment it was due (the shape of a resident's need, for the same reason:
//! in Shanghai a transfer that nobody owned waited days).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;
use crate::needs::Rung;
pub use crate::protocol::transfer_rules::{
    TransferRule, check_transfer_rules, default_transfer_rules, rule_for,
};

/// Where a transfer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferStage {
    /// Ordered; no vehicle yet.
    Requested,
    /// A vehicle and crew on the way, with the gate pass.
    Assigned,
    /// The people are in the vehicle.
    PickedUp,
    /// At the site, checked in to their rooms.
    Arrived,
    Cancelled,
}

impl TransferStage {
    pub const ALL: [TransferStage; 5] = [
        TransferStage::Requested,
        TransferStage::Assigned,
        TransferStage::PickedUp,
        TransferStage::Arrived,
        TransferStage::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferStage::Requested => "requested",
            TransferStage::Assigned => "assigned",
            TransferStage::PickedUp => "picked_up",
            TransferStage::Arrived => "arrived",
            TransferStage::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Not arrived and not cancelled: the rooms are held, the clock runs.
    pub fn is_open(self) -> bool {
        !matches!(self, TransferStage::Arrived | TransferStage::Cancelled)
    }

    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (TransferStage::Requested, true) => "待派车",
            (TransferStage::Requested, false) => "waiting for a vehicle",
            (TransferStage::Assigned, true) => "已派车",
            (TransferStage::Assigned, false) => "vehicle assigned",
            (TransferStage::PickedUp, true) => "已接上",
            (TransferStage::PickedUp, false) => "picked up",
            (TransferStage::Arrived, true) => "已送达",
            (TransferStage::Arrived, false) => "arrived",
            (TransferStage::Cancelled, true) => "已取消",
            (TransferStage::Cancelled, false) => "cancelled",
        }
    }
}

/// What happened to a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferEventKind {
    /// Ordered, owned at this rung.
    Requested {
        rung: Rung,
    },
    /// A vehicle (its plate, or the team's name) is on the way, with a one-time gate pass.
    Assigned {
        vehicle: String,
        pass_id: Option<String>,
    },
    PickedUp,
    /// At the site: every passenger checked in to the room held for them.
    Arrived,
    Cancelled {
        reason: String,
    },
    /// Past its deadline: the next rung owns it.
    Escalated {
        to: Rung,
    },
    Note,
}

impl TransferEventKind {
    pub fn key(&self) -> &'static str {
        match self {
            TransferEventKind::Requested { .. } => "requested",
            TransferEventKind::Assigned { .. } => "assigned",
            TransferEventKind::PickedUp => "picked_up",
            TransferEventKind::Arrived => "arrived",
            TransferEventKind::Cancelled { .. } => "cancelled",
            TransferEventKind::Escalated { .. } => "escalated",
            TransferEventKind::Note => "note",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransferEvent {
    /// When it happened (an escalation: when it was due).
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: TransferEventKind,
}

/// A transfer now, from its timeline and rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TransferState {
    pub stage: TransferStage,
    /// Who owns it: where it was ordered, or the rung it climbed to.
    pub rung: Rung,
    /// The next deadline: a vehicle (requested), arrival (assigned, picked up), or the rung's
    /// (after a climb); none once arrived or cancelled.
    pub due: Option<DateTime<Utc>>,
    /// Whether a step up happens at `due` (none above headquarters).
    pub escalates: bool,
    pub escalations: u32,
}

/// The state of a transfer whose timeline (in the order written) is `events`.
pub fn transfer_state(events: &[TransferEvent], rule: &TransferRule) -> TransferState {
    let minutes = |m: u32| Duration::minutes(m.into());
    let mut stage = TransferStage::Requested;
    let mut rung = Rung::District;
    let ordered = events.first().map_or(DateTime::<Utc>::MIN_UTC, |e| e.at);
    let mut due = ordered + minutes(rule.assign_minutes);
    let mut escalations = 0;
    for e in events {
        match &e.kind {
            TransferEventKind::Requested { rung: r } => rung = *r,
            // A step forward sets the stage's own deadline, counted from the order: a vehicle
            // sent late leaves the arrival deadline where it was.
            TransferEventKind::Assigned { .. } if stage.is_open() => {
                stage = TransferStage::Assigned;
                due = ordered + minutes(rule.arrive_minutes);
            }
            TransferEventKind::PickedUp if stage.is_open() => stage = TransferStage::PickedUp,
            TransferEventKind::Arrived if stage.is_open() => stage = TransferStage::Arrived,
            TransferEventKind::Cancelled { .. } if stage.is_open() => stage = TransferStage::Cancelled,
            TransferEventKind::Escalated { to } => {
                rung = rung.max(*to);
                escalations += 1;
                // The rung it climbed to has its own time to act, from when the step was due.
                due = e.at + minutes(rule.escalate_minutes);
            }
            _ => {}
        }
    }
    let due = stage.is_open().then_some(due);
    TransferState { stage, rung, due, escalates: due.is_some() && rung.up().is_some(), escalations }
}

/// The steps up the chain due by `now` that the timeline does not hold yet, each at the moment
/// it was due (or at the last event, if that came later): none twice, and a sweep after a
/// restart catches up with every step missed meanwhile.
pub fn escalations_due(
    events: &[TransferEvent],
    rule: &TransferRule,
    now: DateTime<Utc>,
) -> Vec<TransferEvent> {
    let mut timeline = events.to_vec();
    let mut out = Vec::new();
    loop {
        let s = transfer_state(&timeline, rule);
        let (Some(due), true, Some(to)) = (s.due, s.escalates, s.rung.up()) else { break };
        if due > now {
            break;
        }
        let at = timeline.last().map_or(due, |e| e.at).max(due);
        let step = TransferEvent { at, kind: TransferEventKind::Escalated { to } };
        timeline.push(step.clone());
        out.push(step);
    }
    out
}

/// Why a step is refused in the transfer's state, if it is: steps go forward one at a time (a
/// vehicle may be replaced before pick-up), and nothing follows arrival or cancellation but a
/// note.
pub fn check_step(state: &TransferState, kind: &TransferEventKind) -> Result<(), DomainError> {
    use TransferStage::*;
    let stage = state.stage;
    let refuse = |what: &str| {
        Err(DomainError::invalid("kind", format!("{what}: the transfer is {}", stage.label(false))))
    };
    match kind {
        TransferEventKind::Note => Ok(()),
        TransferEventKind::Requested { .. } | TransferEventKind::Escalated { .. } => {
            refuse("only the system writes that step")
        }
        TransferEventKind::Assigned { .. } if matches!(stage, Requested | Assigned) => Ok(()),
        TransferEventKind::Assigned { .. } => refuse("a vehicle is assigned before pick-up"),
        TransferEventKind::PickedUp if stage == Assigned => Ok(()),
        TransferEventKind::PickedUp => refuse("a pick-up follows a vehicle assigned"),
        TransferEventKind::Arrived if stage == PickedUp => Ok(()),
        TransferEventKind::Arrived => refuse("an arrival follows the pick-up"),
        TransferEventKind::Cancelled { reason } if stage.is_open() => match reason.trim().is_empty() {
            true => Err(DomainError::invalid("reason", "say why the transfer is cancelled")),
            false => Ok(()),
        },
        TransferEventKind::Cancelled { .. } => refuse("only an open transfer is cancelled"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isolation::Guest;
    use proptest::prelude::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_650_000_000, 0).unwrap() + Duration::minutes(minute)
    }

    fn case_rule() -> TransferRule {
        default_transfer_rules().remove(0)
    }

    fn ordered() -> Vec<TransferEvent> {
        vec![TransferEvent { at: at(0), kind: TransferEventKind::Requested { rung: Rung::District } }]
    }

    #[test]
    fn a_family_with_a_case_goes_at_the_case_s_pace() {
        let rules = default_transfer_rules();
        let r = rule_for(&rules, [Guest::Companion, Guest::Case, Guest::CloseContact]).unwrap();
        assert_eq!(r.guest, Guest::Case);
        assert_eq!(
            rule_for(&rules, [Guest::SecondaryContact, Guest::CloseContact]).unwrap().guest,
            Guest::CloseContact
        );
        assert!(rule_for(&rules, []).is_none());
        assert!(check_transfer_rules(&rules).is_ok());
        let twice = [rules[0].clone(), rules[0].clone()];
        assert!(check_transfer_rules(&twice).is_err());
    }

    #[test]
    fn an_order_without_a_vehicle_climbs_once_and_then_waits_on_headquarters() {
        let rule = case_rule();
        let s = transfer_state(&ordered(), &rule);
        assert_eq!((s.stage, s.rung, s.due), (TransferStage::Requested, Rung::District, Some(at(60))));
        assert!(escalations_due(&ordered(), &rule, at(59)).is_empty());
        let steps = escalations_due(&ordered(), &rule, at(600));
        assert_eq!(
            steps,
            vec![TransferEvent { at: at(60), kind: TransferEventKind::Escalated { to: Rung::Headquarters } }]
        );
        let mut t = ordered();
        t.extend(steps);
        let s = transfer_state(&t, &rule);
        // Headquarters owns it, still due: overdue, with nobody above to climb to.
        assert_eq!(
            (s.rung, s.due, s.escalates, s.escalations),
            (Rung::Headquarters, Some(at(120)), false, 1)
        );
        assert!(escalations_due(&t, &rule, at(10_000)).is_empty());
    }

    #[test]
    fn a_vehicle_moves_the_deadline_to_arrival_and_arrival_stops_the_clock() {
        let rule = case_rule();
        let mut t = ordered();
        t.push(TransferEvent {
            at: at(30),
            kind: TransferEventKind::Assigned { vehicle: "蒙A·12345".into(), pass_id: None },
        });
        assert_eq!(transfer_state(&t, &rule).due, Some(at(240)));
        for (kind, ok) in [(TransferEventKind::Arrived, false), (TransferEventKind::PickedUp, true)] {
            assert_eq!(check_step(&transfer_state(&t, &rule), &kind).is_ok(), ok, "{kind:?}");
        }
        t.push(TransferEvent { at: at(90), kind: TransferEventKind::PickedUp });
        t.push(TransferEvent { at: at(150), kind: TransferEventKind::Arrived });
        let s = transfer_state(&t, &rule);
        assert_eq!((s.stage, s.due, s.escalates), (TransferStage::Arrived, None, false));
        assert!(check_step(&s, &TransferEventKind::Cancelled { reason: "x".into() }).is_err());
        assert!(check_step(&s, &TransferEventKind::Note).is_ok());
        assert!(escalations_due(&t, &rule, at(100_000)).is_empty());
    }

    fn step() -> impl Strategy<Value = TransferEventKind> {
        prop_oneof![
            Just(TransferEventKind::Assigned { vehicle: "v".into(), pass_id: None }),
            Just(TransferEventKind::PickedUp),
            Just(TransferEventKind::Arrived),
            Just(TransferEventKind::Cancelled { reason: "r".into() }),
            Just(TransferEventKind::Note),
        ]
    }

    proptest! {
        /// Whatever people do and whenever the sweep runs: every step up comes at or after the
        /// deadline it answers, one rung at a time; none once arrived or cancelled; a sweep
        /// run twice writes nothing the second time.
        #[test]
        fn escalations_answer_deadlines_and_are_written_once(
            steps in prop::collection::vec((step(), 0i64..600), 0..8),
            sweeps in prop::collection::vec(0i64..3000, 1..5),
        ) {
            let rule = case_rule();
            let mut t = ordered();
            let mut clock = 0;
            let mut sweeps = sweeps;
            sweeps.sort();
            let mut sweeps = sweeps.into_iter().peekable();
            for (kind, gap) in steps {
                clock += gap;
                while let Some(&s) = sweeps.peek() && s <= clock {
                    let due = escalations_due(&t, &rule, at(s));
                    t.extend(due);
                    sweeps.next();
                }
                let state = transfer_state(&t, &rule);
                if check_step(&state, &kind).is_ok() {
                    t.push(TransferEvent { at: at(clock).max(t.last().unwrap().at), kind });
                }
            }
            for s in sweeps {
                let due = escalations_due(&t, &rule, at(s));
                t.extend(due);
            }
            let mut seen = t[..1].to_vec();
            for e in &t[1..] {
                if let TransferEventKind::Escalated { to } = e.kind {
                    let before = transfer_state(&seen, &rule);
                    prop_assert!(before.stage.is_open());
                    prop_assert_eq!(Some(to), before.rung.up());
                    prop_assert!(before.due.is_some_and(|d| d <= e.at));
                }
                seen.push(e.clone());
            }
            let again = escalations_due(&t, &rule, at(3000));
            let mut once = t.clone();
            once.extend(again);
            prop_assert!(escalations_due(&once, &rule, at(3000)).is_empty());
        }
    }
}
