//! `/metrics`: the command's figures and the server's own for Prometheus, to its scraper (by token)
//! or to headquarters.

use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::metrics::handle;

fn same(a: &str, b: &str) -> bool {
    // Compared as digests: equal length, and no early exit on the first differing byte.
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter().zip(y.iter()).fold(0u8, |acc, (p, q)| acc | (p ^ q)) == 0
}

async fn allowed(state: &AppState, parts: &axum::http::request::Parts) -> Result<(), ApiError> {
    if let Some(token) = &state.config.metrics_token {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given.is_some_and(|g| same(g.trim(), token)) {
            return Ok(());
        }
    }
    match crate::http::auth::session_user(parts, state).await? {
        Some(u) if crate::http::auth::must_enrol(state, &u) => Err(ApiError::TwoFactorRequired),
        Some(u) if u.may(cordon_domain::Right::ReviewAudit) => Ok(()),
        Some(_) => Err(ApiError::Forbidden("the metrics are for headquarters and the scraper".into())),
        None => Err(ApiError::Unauthorized),
    }
}

pub async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if let Err(e) = allowed(&state, &parts).await {
        return e.into_response();
    }
    let h = handle();
    let (size, idle) = state.store.pool_state();
    metrics::gauge!("cordon_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("cordon_db_pool_connections", "state" => "busy")
        .set(size.saturating_sub(idle as u32) as f64);
    match state.dashboards.kept_root() {
        Some(d) => {
            let t = &d.today;
            for (i, tier) in ["sealed", "controlled", "precaution"].into_iter().enumerate() {
                metrics::gauge!("cordon_residents_under_tier", "tier" => tier)
                    .set(t.residents_by_tier[i] as f64);
                metrics::gauge!("cordon_zones_in_force", "tier" => tier).set(t.zones_by_tier[i] as f64);
            }
            let n = &t.needs;
            for (what, v) in [
                ("open", n.open_now),
                ("overdue", n.overdue_now),
                ("emergencies_overdue", n.emergencies_overdue_now),
            ] {
                metrics::gauge!("cordon_needs_waiting", "state" => what).set(v.unwrap_or(0) as f64);
            }
            metrics::gauge!("cordon_positives_today", "class" => "confirmed")
                .set(t.positives.confirmed as f64);
            metrics::gauge!("cordon_positives_today", "class" => "asymptomatic")
                .set(t.positives.asymptomatic as f64);
            let age = (chrono::Utc::now() - t.as_of).num_milliseconds() as f64 / 1000.0;
            metrics::gauge!("cordon_dashboard_age_seconds").set(age.max(0.0));
            if age > crate::dashboard::FRESH.as_secs_f64() {
                crate::dashboard::warm_root(&state);
            }
        }
        None => crate::dashboard::warm_root(&state),
    }
    h.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], h.render()).into_response()
}
