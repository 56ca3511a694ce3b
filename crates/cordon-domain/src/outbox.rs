//! 消息通知: what the system tells people, and the rules of a resident's sign-in by phone.
//!
//! A message names its recipient — a household, a person or a user — never a number: phones are
//! sealed and their key is not in the database, so the sender opens the number only when it
//! sends. A message holds its kind and the facts it tells (`params`); its words are written in
//! the recipient's language when it is sent, and it carries no ID number and no health detail.

use chrono::{DateTime, Duration, Utc};

use crate::DomainError;

/// What a message tells, and so how long it is worth sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// 登录验证码: a resident's sign-in code.
    SignInCode,
    /// A zone drawn over the household.
    ZoneDrawn,
    /// 升级: the zone over the household raised.
    ZoneRaised,
    /// 降级: stepped down.
    ZoneSteppedDown,
    /// 解封: lifted.
    ZoneLifted,
    /// A request from home acknowledged by its owner.
    NeedAcknowledged,
    /// A request from home resolved.
    NeedResolved,
    /// 通知公告: a notice a worker posted to the area.
    Announcement,
    /// 核酸检测安排: a testing round scheduled over the household.
    RoundScheduled,
    /// 上门复核: a person to be sampled again at their door (their pool was positive, or their
    /// tube could not be read), told to stay in.
    DoorRetest,
    /// 结果已出: a person's own single-tube result is in. The text says only that, and where to
    /// read it: a phone's screen is read by others, and a pooled negative is not news worth a
    /// text to millions.
    ResultReady,
    /// 诉求上报 (to workers): a request nobody acknowledged in time climbed to the rung the
    /// recipient answers for.
    NeedEscalated,
    /// 紧急诉求 (to workers): a medical emergency raised where the recipient answers; it waits
    /// on no gate, and on no one's page being open.
    NeedEmergency,
}

impl MessageKind {
    pub const ALL: [MessageKind; 13] = [
        MessageKind::SignInCode,
        MessageKind::ZoneDrawn,
        MessageKind::ZoneRaised,
        MessageKind::ZoneSteppedDown,
        MessageKind::ZoneLifted,
        MessageKind::NeedAcknowledged,
        MessageKind::NeedResolved,
        MessageKind::Announcement,
        MessageKind::RoundScheduled,
        MessageKind::DoorRetest,
        MessageKind::ResultReady,
        MessageKind::NeedEscalated,
        MessageKind::NeedEmergency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::SignInCode => "sign_in_code",
            MessageKind::ZoneDrawn => "zone_drawn",
            MessageKind::ZoneRaised => "zone_raised",
            MessageKind::ZoneSteppedDown => "zone_stepped_down",
            MessageKind::ZoneLifted => "zone_lifted",
            MessageKind::NeedAcknowledged => "need_acknowledged",
            MessageKind::NeedResolved => "need_resolved",
            MessageKind::Announcement => "announcement",
            MessageKind::RoundScheduled => "round_scheduled",
            MessageKind::DoorRetest => "door_retest",
            MessageKind::ResultReady => "result_ready",
            MessageKind::NeedEscalated => "need_escalated",
            MessageKind::NeedEmergency => "need_emergency",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        MessageKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::invalid("kind", format!("{s:?} is no kind of message")))
    }

    /// How long after it was written a message is still worth sending: a code dies with its
    /// validity, and a zone's news a day later only confuses (the household's page has it).
    pub fn shelf_life(self) -> Duration {
        match self {
            MessageKind::SignInCode => SIGN_IN.valid_for,
            _ => Duration::hours(24),
        }
    }

    /// Whether its facts are a secret once sent (a code): the sender blanks them.
    pub fn secret(self) -> bool {
        self == MessageKind::SignInCode
    }

    /// Whether it is for a worker's inbox (the top bar, the messages page) rather than a phone:
    /// staff phones are not kept, and a worker on duty has the product open.
    pub fn to_workers(self) -> bool {
        matches!(self, MessageKind::NeedEscalated | MessageKind::NeedEmergency)
    }
}

/// Whom a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientKind {
    /// Every distinct phone registered in the household.
    Household,
    /// The phone of one person in the register.
    Person,
    /// A staff sign-in (shown in the top bar; phones of staff are not kept).
    User,
    /// 亲属电话: a phone a worker added to a household that has none of its own (by its id).
    Relative,
}

impl RecipientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientKind::Household => "household",
            RecipientKind::Person => "person",
            RecipientKind::User => "user",
            RecipientKind::Relative => "relative",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        [RecipientKind::Household, RecipientKind::Person, RecipientKind::User, RecipientKind::Relative]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::invalid("recipient_kind", format!("{s:?} is no kind of recipient")))
    }
}

/// A message's delivery as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    Queued,
    Sent,
    /// The gateway refused it, or it kept failing until its tries ran out.
    Failed,
    /// Nobody to send it to: no phone registered (the worker reaches them).
    Unreachable,
    /// Its shelf life passed before it could be sent.
    Expired,
}

impl Delivery {
    pub const ALL: [Delivery; 5] =
        [Delivery::Queued, Delivery::Sent, Delivery::Failed, Delivery::Unreachable, Delivery::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Failed => "failed",
            Delivery::Unreachable => "unreachable",
            Delivery::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Delivery::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::invalid("state", format!("{s:?} is no state of delivery")))
    }
}

/// How a failed send is tried again: after 2, 4, 8 … seconds, at most ten minutes apart, and
/// given up after `MAX_TRIES`.
pub const MAX_TRIES: i64 = 8;

/// When to try again after `tries` failed sends; `None` once the tries are spent.
pub fn retry_at(tries: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if tries >= MAX_TRIES {
        return None;
    }
    let wait = 2i64.saturating_pow(tries.clamp(1, 20) as u32).min(600);
    Some(now + Duration::seconds(wait))
}

/// The rules of a sign-in code sent to a phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInRule {
    /// How long a code opens a session.
    pub valid_for: Duration,
    /// Wrong codes before the code is spent.
    pub tries: i64,
    /// Codes a phone may ask for within `window`…
    pub per_window: usize,
    pub window: Duration,
    /// …and never two within this.
    pub spacing: Duration,
    /// How long a resident's session lasts.
    pub session: Duration,
}

/// 验证码: six digits, valid five minutes, five tries; five codes an hour a phone, one a minute.
pub const SIGN_IN: SignInRule = SignInRule {
    valid_for: Duration::minutes(5),
    tries: 5,
    per_window: 5,
    window: Duration::hours(1),
    spacing: Duration::minutes(1),
    session: Duration::hours(2),
};

impl SignInRule {
    /// Whether a phone that asked for codes at `asked` (any order) may have another at `now`:
    /// `Err` holds the first moment it may. The same answer whether or not the phone is
    /// registered, since every ask is counted.
    pub fn may_ask(&self, asked: &[DateTime<Utc>], now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let mut recent: Vec<DateTime<Utc>> =
            asked.iter().copied().filter(|t| *t > now - self.window && *t <= now).collect();
        recent.sort();
        let mut next = now;
        if let Some(last) = recent.last() {
            next = next.max(*last + self.spacing);
        }
        if recent.len() >= self.per_window {
            // The window must slide past enough asks to leave room for one more.
            let oldest_kept = recent[recent.len() - self.per_window];
            next = next.max(oldest_kept + self.window);
        }
        if next <= now { Ok(()) } else { Err(next) }
    }
}

/// A resident's six-digit code, from 20 random bits' worth of a uniform draw the caller makes
/// (`draw` below 1,000,000).
pub fn code_text(draw: u32) -> String {
    format!("{:06}", draw % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn kinds_and_states_read_back() {
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()).unwrap(), k);
        }
        for d in Delivery::ALL {
            assert_eq!(Delivery::parse(d.as_str()).unwrap(), d);
        }
        assert!(MessageKind::parse("gossip").is_err());
    }

    #[test]
    fn a_phone_waits_a_minute_and_five_an_hour() {
        let r = SIGN_IN;
        assert_eq!(r.may_ask(&[], at(0)), Ok(()));
        assert_eq!(r.may_ask(&[at(0)], at(30)), Err(at(60)));
        assert_eq!(r.may_ask(&[at(0)], at(60)), Ok(()));
        let five: Vec<_> = (0..5).map(|i| at(i * 120)).collect();
        assert_eq!(r.may_ask(&five, at(700)), Err(at(3600)));
        assert_eq!(r.may_ask(&five, at(3600)), Ok(()));
    }

    #[test]
    fn retries_back_off_and_end() {
        assert_eq!(retry_at(1, at(0)), Some(at(2)));
        assert_eq!(retry_at(3, at(0)), Some(at(8)));
        assert_eq!(retry_at(7, at(0)), Some(at(128)));
        assert_eq!(retry_at(MAX_TRIES, at(0)), None);
        assert_eq!(code_text(42), "000042");
        assert_eq!(code_text(1_234_567), "234567");
    }

    proptest! {
        /// Asking only when allowed, a phone never gets more than `per_window` codes in any
        /// window, nor two within the spacing; and the moment it is told is one it may ask.
        #[test]
        fn allowed_asks_keep_the_limits(gaps in proptest::collection::vec(0i64..2000, 1..60)) {
            let r = SIGN_IN;
            let mut asked: Vec<DateTime<Utc>> = Vec::new();
            let mut t = at(0);
            for g in gaps {
                t += Duration::seconds(g);
                match r.may_ask(&asked, t) {
                    Ok(()) => asked.push(t),
                    Err(next) => {
                        prop_assert!(next > t);
                        prop_assert_eq!(r.may_ask(&asked, next), Ok(()));
                    }
                }
            }
            for (i, a) in asked.iter().enumerate() {
                let in_window = asked.iter().filter(|b| **b >= *a && **b < *a + r.window).count();
                prop_assert!(in_window <= r.per_window);
                if i > 0 {
                    prop_assert!(*a - asked[i - 1] >= r.spacing);
                }
            }
        }
    }
}
