//! The outbox's figures: how the messages stand, by kind and state. Counts only: no recipient,
//! no text.

use cordon_domain::outbox::Delivery;
use cordon_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

/// The messages of one kind, by state.
#[derive(Debug, Serialize, ToSchema, Default)]
pub struct KindFigures {
    /// sign_in_code, zone_drawn, zone_raised, zone_stepped_down, zone_lifted, need_acknowledged,
    /// need_resolved, announcement, round_scheduled, door_retest, result_ready (to residents);
    /// need_escalated, need_emergency (to workers' inboxes, delivered when written).
    pub kind: String,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    /// No phone registered: the household's worker reaches them.
    pub unreachable: i64,
    /// Too old to send by the time the sender came to it.
    pub expired: i64,
}

/// The outbox's figures: every kind of message, by state, and their totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxFigures {
    pub kinds: Vec<KindFigures>,
    pub total: KindFigures,
}

/// Every kind of message by state, and their totals.
pub async fn figures(state: &AppState) -> Result<OutboxFigures, StoreError> {
    let counts = state.store.outbox_counts().await?;
    let mut kinds: Vec<KindFigures> = Vec::new();
    let mut total = KindFigures { kind: "all".into(), ..Default::default() };
    for c in counts {
        if kinds.last().is_none_or(|k| k.kind != c.kind.as_str()) {
            kinds.push(KindFigures { kind: c.kind.as_str().into(), ..Default::default() });
        }
        let k = kinds.last_mut().expect("pushed above");
        for f in [&mut *k, &mut total] {
            let slot = match c.state {
                Delivery::Queued => &mut f.queued,
                Delivery::Sent => &mut f.sent,
                Delivery::Failed => &mut f.failed,
                Delivery::Unreachable => &mut f.unreachable,
                Delivery::Expired => &mut f.expired,
            };
            *slot += c.count;
        }
    }
    Ok(OutboxFigures { kinds, total })
}
