//! `/api/v1` routes of the outbox: its figures, for headquarters.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, ErrorBody};
use cordon_domain::outbox::Delivery;
use cordon_domain::{Need, Right};

/// The messages of one kind, by state.
#[derive(Debug, Serialize, ToSchema, Default)]
pub struct KindFigures {
    /// sign_in_code, zone_drawn, zone_raised, zone_stepped_down, zone_lifted, need_acknowledged,
    /// need_resolved, announcement, round_scheduled, door_retest.
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

/// How the messages stand: queued, sent, failed, unreachable and expired, by kind. Counts only:
/// no recipient, no text.
#[utoipa::path(get, path = "/api/v1/outbox/figures", tag = "outbox", security(("bearer" = [])),
    responses((status = 200, body = OutboxFigures), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Result<Json<OutboxFigures>, ApiError> {
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
    Ok(Json(OutboxFigures { kinds, total }))
}

pub const NEEDS: &[RouteNeed] = &[RouteNeed::get("/api/v1/outbox/figures", Need::AnyOf(&[Right::Command]))];

/// The routes of this capability's API, with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(figures))
}
