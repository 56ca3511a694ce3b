//! `/metrics` in the Prometheus text format: requests and their latencies by route, the database
//! pool, the background jobs, and the command's own gauges (people under each tier, requests
//! waiting) from the city's dashboard as it is kept.
//!
//! Prometheus scrapes with the token of `--metrics-token-file` (`Authorization: Bearer …`); a
//! signed-in headquarters user may read it too. Without either the answer is 401, as for every
//! route but the login and the health check.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Installs the process's recorder (once, however many routers a process builds): before it,
/// what the macros record goes nowhere.
pub fn install() {
    handle();
}

/// The process's recorder, installed on first use.
pub(crate) fn handle() -> &'static PrometheusHandle {
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
