//! `/metrics` in the Prometheus text format: requests and their latencies by route, the database
//! pool, the background jobs, and the command's own gauges (people under each tier, requests
//! waiting) from the city's dashboard as it is kept.
//!
//! Prometheus scrapes with the token of `--metrics-token-file` (`Authorization: Bearer …`); a
//! signed-in headquarters user may read it too. Without either the answer is 401, as for every
//! route but the login and the health check.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// Installs the process's recorder (once, however many routers a process builds): before it,
/// what the macros record goes nowhere.
pub fn install() {
    handle();
}

/// The process's recorder, installed on first use.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("_seconds".into()),
                &[0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0],
            )
            .expect("buckets are given")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed: /metrics shows only what it records");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        "cordon_http_requests_total",
        "HTTP requests answered, by method, route and status"
    );
    metrics::describe_histogram!("cordon_http_request_duration_seconds", "Time to answer an HTTP request");
    metrics::describe_counter!("cordon_job_runs_total", "Runs of a background job, by job and outcome");
    metrics::describe_gauge!(
        "cordon_job_last_success_timestamp_seconds",
        "When a background job last succeeded"
    );
    metrics::describe_gauge!("cordon_db_pool_connections", "Database connections held, by state");
    metrics::describe_gauge!(
        "cordon_residents_under_tier",
        "Residents of the city under each tier (each once)"
    );
    metrics::describe_gauge!("cordon_zones_in_force", "Zones in force, by tier");
    metrics::describe_gauge!(
        "cordon_needs_waiting",
        "Residents' requests not resolved, overdue, emergencies overdue"
    );
    metrics::describe_gauge!("cordon_positives_today", "New positives today, by class");
    metrics::describe_gauge!(
        "cordon_dashboard_age_seconds",
        "Age of the city's figures these gauges come from"
    );
}

/// Counts and times every request by the route it matched (the pattern, never the raw path:
/// ids and codes would make a series per record).
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    if route != "/metrics" {
        let status = response.status().as_u16().to_string();
        metrics::counter!("cordon_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
            .increment(1);
        metrics::histogram!("cordon_http_request_duration_seconds", "method" => method, "route" => route)
            .record(started.elapsed().as_secs_f64());
    }
    response
}

/// Records a run of a background job.
pub fn job(name: &'static str, ok: bool) {
    metrics::counter!("cordon_job_runs_total", "job" => name, "outcome" => if ok { "ok" } else { "failed" })
        .increment(1);
    if ok {
        let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        metrics::gauge!("cordon_job_last_success_timestamp_seconds", "job" => name).set(now);
    }
}

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
    match crate::auth::session_user(parts, state).await? {
        Some(u) if crate::second_factor::must_enrol(state, &u) => Err(ApiError::TwoFactorRequired),
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
