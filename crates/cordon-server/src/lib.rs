//! Cordon's HTTP server: the JSON API under `/api/v1`, its OpenAPI document, and the web pages
//! rendered on the server. The only crate that knows HTTP.
//!
//! Every route but `/healthz`, the login and the static files goes through an extractor that
//! resolves the session to a [`cordon_store::User`]; handlers pass that user's scope to every
//! store call, and record every read of a person in the audit table.

// Plumbing and layout, shared by every capability.
pub mod access;
mod enforce;
mod http;
mod web;

// A folder per capability: its service (the use cases), its `api.rs` and `pages.rs` (each with
// `routes()`), and its words. A capability never reaches into another's `api` or `pages`.
mod account;
pub mod announcements;
pub mod cases;
pub mod dashboard;
pub mod doors;
pub mod gates;
mod inbox;
pub mod isolation;
pub mod needs;
pub mod outbox;
mod oversight;
mod reads;
pub mod register;
pub mod resident;
pub mod sampling;
pub mod sanitation;
pub mod supplies;
pub mod testing;
pub mod users;
pub mod workforce;
pub mod zones;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use cordon_store::Store;

pub use dashboard::{briefing, exports};

pub use account::{hash_password, random_password, verify_password};
pub use cases::{check_scan_times, scan_rows};
pub use http::error::ApiError;

/// Settings of the server that are not the database.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (set when Cordon is served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    pub session_ttl: Duration,
    /// The deployment's time zone: what "a day" means for the zones' clean days.
    pub tz: chrono_tz::Tz,
    /// The secret of the key passes are signed with (a key file); none: one kept in the database.
    pub pass_secret: Option<Secret>,
    /// The token Prometheus scrapes `/metrics` with (none: only headquarters may read it).
    pub metrics_token: Option<String>,
    /// Served behind a reverse proxy that appends the client's address to `X-Forwarded-For`:
    /// sign-ins are counted by that address instead of the proxy's. Off, the header is ignored
    /// (anyone could write it).
    pub behind_proxy: bool,
    /// Headquarters (the holders of `command` or `review_audit`) must sign in with a second
    /// factor: until they enrol one they may only enrol it.
    pub two_factor_required: bool,
    /// When the deployment's records begin: no time before it is accepted. None: its first
    /// zone or case, less a month (`http::bounds`).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Where the outbox's messages go (`--sms`); none: they wait in the outbox.
    pub sms: Option<outbox::Gateway>,
    /// Certificates an `https://` gateway's is also checked against (`--sms-ca`), beside the
    /// system's roots: a gateway adapter on a private network with its own CA.
    pub sms_roots: Vec<reqwest::Certificate>,
}

/// 32 secret bytes that never show in a log or a debug print.
#[derive(Clone, Copy)]
pub struct Secret(pub [u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            tz: chrono_tz::Asia::Shanghai,
            pass_secret: None,
            metrics_token: None,
            behind_proxy: false,
            two_factor_required: false,
            since: None,
            sms: None,
            sms_roots: Vec::new(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Every active zone's state, for the figures; emptied by each change to a zone.
    pub zones: zones::SnapshotCell,
    /// Every venue-code scan ingested, indexed by the trace engine.
    pub scans: cases::scan_index::ScanIndex,
    /// The key passes are signed with, loaded on first use.
    pub pass_key: gates::PassKeyCell,
    /// The units of coverage under zones, kept while the areas and zones stay the same.
    pub units: workforce::UnitsCell,
    /// Failed sign-ins per account, for the lockout.
    pub logins: Arc<account::LoginThrottle>,
    /// The dashboards of the areas asked for, computed in the background.
    pub dashboards: dashboard::DashboardCell,
    /// The key of the exports' pseudonyms, loaded (or made) on first use.
    pub pseudonym_key: Arc<tokio::sync::OnceCell<[u8; 32]>>,
    /// What time it is for the services.
    pub clock: Clock,
    /// Look-ups of people from elsewhere at gates, for their throttle.
    pub gate_lookups: gates::GateLookups,
    /// The deployment's earliest record, for the bounds on times sent.
    pub earliest: http::bounds::EarliestCell,
    /// Sign-in codes asked per address, for the flood guard.
    pub residents: Arc<resident::Throttle>,
}

/// What time it is for the services: the system's clock when serving; a clock the caller sets
/// when the demo tells its month of history, so that every step is taken by the same use case
/// a user's action takes, on the day the story says, under the rules of that day.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>>);

impl Clock {
    /// A clock that stands at `at` until it is set again.
    pub fn set_at(at: chrono::DateTime<chrono::Utc>) -> Self {
        Clock(Some(Arc::new(std::sync::Mutex::new(at))))
    }

    /// Moves a set clock to `at`; the system's clock cannot be moved.
    pub fn set(&self, at: chrono::DateTime<chrono::Utc>) {
        if let Some(t) = &self.0 {
            *t.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        match &self.0 {
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
            None => chrono::Utc::now(),
        }
    }
}

/// Request bodies above this are refused with 413 before any handler runs.
const BODY_LIMIT: usize = 64 * 1024;

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        AppState {
            store,
            config: Arc::new(config),
            zones: Default::default(),
            scans: Default::default(),
            pass_key: Default::default(),
            units: Default::default(),
            logins: Default::default(),
            dashboards: Default::default(),
            pseudonym_key: Default::default(),
            clock: Clock::default(),
            earliest: Default::default(),
            gate_lookups: Default::default(),
            residents: Default::default(),
        }
    }

    /// The same state on another clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Now, by the state's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Every capability's API, described by utoipa into one OpenAPI document.
fn api_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    http::openapi::router()
        .merge(account::api::routes())
        .merge(register::api::routes())
        .merge(oversight::api::routes())
        .merge(zones::api::routes())
        .merge(cases::api::routes())
        .merge(testing::api::routes())
        .merge(doors::api::routes())
        .merge(sampling::api::routes())
        .merge(gates::api::routes())
        .merge(workforce::api::routes())
        .merge(needs::api::routes())
        .merge(isolation::api::routes())
        .merge(supplies::api::routes())
        .merge(sanitation::api::routes())
        .merge(dashboard::api::routes())
        .merge(users::api::routes())
        .merge(resident::api::routes())
        .merge(outbox::api::routes())
        .merge(announcements::api::routes())
        .merge(inbox::api::routes())
}

/// Every capability's pages, and the layout's own.
fn page_routes() -> Router<AppState> {
    web::routes()
        .merge(account::pages::routes())
        .merge(register::pages::routes())
        .merge(oversight::pages::routes())
        .merge(zones::pages::routes())
        .merge(cases::pages::routes())
        .merge(testing::pages::routes())
        .merge(doors::pages::routes())
        .merge(sampling::pages::routes())
        .merge(gates::pages::routes())
        .merge(workforce::pages::routes())
        .merge(needs::pages::routes())
        .merge(isolation::pages::routes())
        .merge(supplies::pages::routes())
        .merge(sanitation::pages::routes())
        .merge(dashboard::pages::routes())
        .merge(users::pages::routes())
        .merge(resident::pages::routes())
        .merge(inbox::pages::routes())
        .merge(outbox::pages::routes())
        .merge(announcements::pages::routes())
}

/// The routes `router` adds itself: the API's description is public, and the metrics check
/// their own credential (the scraper's token, or a session with `review_audit`).
const OWN_NEEDS: &[access::RouteNeed] = &[
    access::RouteNeed::get("/api/openapi.json", cordon_domain::Need::Open),
    access::RouteNeed::get("/metrics", cordon_domain::Need::Open),
];

/// What every route asks of its caller, as each capability declares it beside its routes.
pub fn route_needs() -> Vec<access::RouteNeed> {
    [
        OWN_NEEDS,
        web::NEEDS,
        account::api::NEEDS,
        account::pages::NEEDS,
        register::api::NEEDS,
        register::pages::NEEDS,
        register::duplicates_pages::NEEDS,
        register::glass_pages::NEEDS,
        register::entries_pages::NEEDS,
        oversight::api::NEEDS,
        oversight::pages::NEEDS,
        zones::api::NEEDS,
        zones::pages::NEEDS,
        cases::api::NEEDS,
        cases::pages::NEEDS,
        testing::api::NEEDS,
        testing::pages::NEEDS,
        doors::api::NEEDS,
        doors::pages::NEEDS,
        sampling::api::NEEDS,
        sampling::pages::NEEDS,
        gates::api::NEEDS,
        gates::pages::NEEDS,
        workforce::api::NEEDS,
        workforce::pages::NEEDS,
        needs::api::NEEDS,
        needs::pages::NEEDS,
        isolation::api::NEEDS,
        isolation::pages::NEEDS,
        supplies::api::NEEDS,
        supplies::pages::NEEDS,
        sanitation::api::NEEDS,
        sanitation::pages::NEEDS,
        dashboard::api::NEEDS,
        dashboard::pages::NEEDS,
        users::api::NEEDS,
        users::pages::NEEDS,
        resident::api::NEEDS,
        resident::pages::NEEDS,
        outbox::api::NEEDS,
        outbox::pages::NEEDS,
        announcements::api::NEEDS,
        announcements::pages::NEEDS,
        inbox::api::NEEDS,
        inbox::pages::NEEDS,
    ]
    .concat()
}

/// The API's OpenAPI document, as `/api/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut openapi) = api_routes().split_for_parts();
    http::openapi::document_bad_requests(&mut openapi);
    openapi
}

/// Installs the process's TLS provider (rustls on ring), once: an HTTPS client (the sender's
/// gateway, a test's) needs one, and a second call changes nothing.
pub fn install_tls() {
    // ring has no post-quantum key exchange (hence rustls's deprecation); aws-lc-rs has, at the
    // price of a C library built with cmake on every machine that builds Cordon. The one TLS
    // client here posts texts to an SMS adapter: classical key exchange is enough for it.
    // Err only when one is installed already, which is what was asked.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn router(store: Arc<dyn Store>, config: Config) -> Router {
    http::metrics::install();
    let state = AppState::new(store, config);
    spawn_reviewer(state.clone());
    spawn_index_load(state.clone());
    spawn_units_warm(state.clone());
    spawn_need_sweeper(state.clone());
    spawn_transfer_sweeper(state.clone());
    spawn_contact_release(state.clone());
    spawn_audit_linker(state.clone());
    if let Some(gateway) = state.config.sms.clone() {
        outbox::spawn_sender(state.clone(), gateway);
    }
    let needs = access::Table::new(&route_needs()).expect("every route is declared once");
    let (api, _) = api_routes().split_for_parts();
    let openapi = openapi();
    // The document never changes while the server runs: serialise it once.
    let openapi =
        axum::body::Bytes::from(serde_json::to_vec(&openapi).expect("the OpenAPI document serialises"));
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let body = openapi.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }
            }),
        )
        .merge(page_routes())
        .route("/metrics", axum::routing::get(dashboard::metrics_api::scrape))
        // Every route's need, checked once the route is known (and only then: a path that
        // matches none stays a 404).
        .route_layer(axum::middleware::from_fn_with_state((state.clone(), needs), enforce::enforce))
        .fallback(|| async { ApiError::NotFound })
        .layer(axum::middleware::from_fn_with_state(state.clone(), http::guard::inputs))
        .layer(axum::middleware::from_fn(http::metrics::track))
        .layer(axum::middleware::from_fn(http::guard::csrf_check))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(http::guard::security_headers))
        .with_state(state)
}

/// Links the entries that reads of people queued to the audit's hash chain, every second (and
/// at once after a start: what a stopped server left queued is linked first). Readers never
/// wait on the chain; `cordon audit verify` links what is queued before it checks.
fn spawn_audit_linker(state: AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let outcome = state.store.link_audit().await;
            http::metrics::job("audit_link", outcome.is_ok());
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "linking the audit failed");
            }
        }
    });
}

/// Files the step downs the rules allow as days pass, once a minute, and keeps the zones'
/// snapshot fresh. The task ends with the runtime.
fn spawn_reviewer(state: AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let outcome = zones::review(&state, None).await;
            http::metrics::job("zone_review", outcome.is_ok());
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "zone review failed");
            }
        }
    });
}

/// Releases the contacts whose plans are over, and keeps the test days they missed, every five
/// minutes (and at once after a start): a plan ends at local midnight, and a result that a held
/// contact waited for, or a sample that makes up a missed day, can come in at any hour. The
/// days missed are marked once a local day has passed (and, after a start, for every day since
/// the earliest quarantine followed: marking is idempotent).
fn spawn_contact_release(state: AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut marked: Option<chrono::NaiveDate> = None;
        loop {
            tick.tick().await;
            let outcome = cases::release_due(&state, state.now()).await;
            http::metrics::job("contact_release", outcome.is_ok());
            match outcome {
                Ok(run) if run.released > 0 => tracing::info!(released = run.released, "contacts released"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "releasing contacts failed"),
            }
            let outcome = cases::keep_overdue(&state, state.now(), marked).await;
            http::metrics::job("contact_overdue", outcome.is_ok());
            match outcome {
                Ok((run, through)) => {
                    marked = Some(through);
                    if run.marked + run.cleared > 0 {
                        tracing::info!(marked = run.marked, cleared = run.cleared, "tests overdue kept");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "keeping the tests overdue failed"),
            }
        }
    });
}

/// Plans the day's care and climbs the needs nobody acknowledged in time, every half minute
/// (and at once after a start: a restart catches up with the steps missed meanwhile).
fn spawn_need_sweeper(state: AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The day's care is planned once a local day (at the first tick of the day); the plan's
        // keys make a second planning of the same day write nothing.
        let mut planned: Option<chrono::NaiveDate> = None;
        loop {
            tick.tick().await;
            let now = chrono::Utc::now();
            let today = now.with_timezone(&state.config.tz).date_naive();
            if planned != Some(today) {
                let outcome = needs::plan_care(&state, now).await;
                http::metrics::job("care_planning", outcome.is_ok());
                match outcome {
                    Ok(_) => planned = Some(today),
                    Err(e) => tracing::warn!(error = %e, "planning the day's care failed"),
                }
            }
            let outcome = needs::sweep(&state, now).await;
            http::metrics::job("need_sweep", outcome.is_ok());
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "the needs' sweep failed");
            }
        }
    });
}

/// Climbs the transfers past their deadlines, every half minute (and at once after a start: a
/// restart catches up with the steps missed meanwhile).
fn spawn_transfer_sweeper(state: AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let outcome = isolation::sweep_transfers(&state, state.now()).await;
            http::metrics::job("transfer_sweep", outcome.is_ok());
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "the transfers' sweep failed");
            }
        }
    });
}

/// Finishes the casework of seeded cases as `epidemiologist` and `headquarters` would: traces
/// every case not traced yet (oldest first) against the scans in the store, drafts a notice for
/// every case with a trajectory and none, and publishes the drafts of `publish` (case ids).
/// What the demo does after seeding its cases. Returns (cases traced, notices drafted).
pub async fn complete_casework(
    store: Arc<dyn Store>,
    config: Config,
    epidemiologist: &str,
    headquarters: &str,
    publish: &[i64],
) -> Result<(usize, usize), ApiError> {
    let state = AppState::new(store, config);
    state.scans.refresh(&state.store).await?;
    let user = |name: &str| {
        let store = state.store.clone();
        let name = name.to_owned();
        async move {
            store.user_by_name(&name).await?.ok_or_else(|| ApiError::Internal(format!("no user {name}")))
        }
    };
    let epi = user(epidemiologist).await?;
    let hq = user(headquarters).await?;
    let mut all = state.store.cases(&epi.scope_path, 100_000).await?;
    all.sort_by_key(|c| c.id);
    let (mut traced, mut drafted) = (0, 0);
    for c in &all {
        if c.traced_at.is_none() {
            cases::trace(&state, &epi, c.id).await?;
            traced += 1;
        }
        if !state.store.segments(c.id).await?.is_empty() && state.store.notices(c.id).await?.is_empty() {
            let n = cases::draft_notice(&state, &epi, c.id).await?;
            drafted += 1;
            if publish.contains(&c.id) {
                cases::publish_notice(&state, &hq, c.id, n.id).await?;
            }
        }
    }
    Ok((traced, drafted))
}

/// Loads the scan index in the background: the server answers meanwhile, and tracing says the
/// index is loading until it is ready.
fn spawn_index_load(state: AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let started = std::time::Instant::now();
        let outcome = state.scans.refresh(&state.store).await;
        http::metrics::job("scan_index_load", outcome.is_ok());
        match outcome {
            Ok(n) => {
                tracing::info!(scans = n, ms = started.elapsed().as_millis() as u64, "scan index loaded")
            }
            Err(e) => tracing::error!(error = %e, "loading the scan index failed"),
        }
    });
}

/// Reads the city's units of coverage under zones in the background, as the scan index.
fn spawn_units_warm(state: AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let started = std::time::Instant::now();
        let outcome = workforce::warm(&state).await;
        http::metrics::job("coverage_units_warm", outcome.is_ok());
        match outcome {
            Ok(n) => {
                tracing::info!(units = n, ms = started.elapsed().as_millis() as u64, "coverage units read")
            }
            Err(e) => tracing::warn!(error = %e, "reading the coverage units failed"),
        }
    });
}

/// Serves until `shutdown` resolves; requests in flight finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer's address goes with each request, for the sign-in throttle (`auth::ClientAddr`).
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    /// The API is a contract: a change to a path, an operation or a schema shows here as a
    /// snapshot to review, never by accident (a reorganisation of the code must leave it alone).
    #[test]
    fn the_openapi_document_is_the_reviewed_one() {
        let doc = serde_json::to_value(super::openapi()).expect("the document serialises");
        insta::assert_json_snapshot!("openapi", doc);
    }
}
