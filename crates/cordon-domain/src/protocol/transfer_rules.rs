//! 转运时限: how fast a transfer of each kind of guest must go, as a profile writes it
//! (`[[transfers]]`), and the rule a transfer of several guests follows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;
use crate::isolation::Guest;

/// How fast a transfer of one kind of guest must go: the profile's `[[transfers]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRule {
    pub guest: Guest,
    /// From the order to a vehicle assigned.
    pub assign_minutes: u32,
    /// From the order to arrival at the site.
    pub arrive_minutes: u32,
    /// How long each rung an overdue order climbed to has, before the next.
    pub escalate_minutes: u32,
}

/// A case within four hours of the order, a close contact within twelve, a secondary contact
/// within a day; a companion goes with the person they care for, so never sets the pace.
pub fn default_transfer_rules() -> Vec<TransferRule> {
    let r = |guest, assign_minutes, arrive_minutes| TransferRule {
        guest,
        assign_minutes,
        arrive_minutes,
        escalate_minutes: 60,
    };
    vec![
        r(Guest::Case, 60, 240),
        r(Guest::CloseContact, 240, 720),
        r(Guest::SecondaryContact, 480, 1440),
        r(Guest::Companion, 480, 1440),
    ]
}

/// Checks a profile's transfer rules: each guest once, deadlines in order.
pub fn check_transfer_rules(rules: &[TransferRule]) -> Result<(), DomainError> {
    for (i, r) in rules.iter().enumerate() {
        let name = r.guest.as_str();
        if rules[..i].iter().any(|q| q.guest == r.guest) {
            return Err(DomainError::invalid("transfers", format!("{name} has two transfer rules")));
        }
        if r.assign_minutes == 0 || r.arrive_minutes < r.assign_minutes || r.escalate_minutes == 0 {
            return Err(DomainError::invalid(
                "transfers",
                format!("{name}: 0 < assign_minutes <= arrive_minutes, and escalate_minutes > 0"),
            ));
        }
    }
    Ok(())
}

/// The rule a transfer of these guests follows: the fastest of theirs (a family with a case in
/// it goes at the case's pace). None when no guest has a rule.
pub fn rule_for(rules: &[TransferRule], guests: impl IntoIterator<Item = Guest>) -> Option<TransferRule> {
    guests
        .into_iter()
        .filter_map(|g| rules.iter().find(|r| r.guest == g))
        .min_by_key(|r| (r.arrive_minutes, r.assign_minutes))
        .cloned()
}
