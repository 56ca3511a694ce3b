//! `cordon serve`: the web pages and the API on a socket, until a signal stops it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use cordon_store::Store;

use crate::common::DbArg;
use crate::retention;

#[derive(Args, Clone)]
pub(crate) struct ListenArgs {
    /// Address to listen on.
    #[arg(long, env = "CORDON_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Mark cookies Secure: set this when users reach Cordon over HTTPS.
    #[arg(long, env = "CORDON_SECURE_COOKIES")]
    pub(crate) secure_cookies: bool,
    /// A file holding the secret passes are signed with: 64 hex digits (e.g. from
    /// `openssl rand -hex 32`). Without it, a key is made and kept in the database.
    #[arg(long, env = "CORDON_PASS_KEY_FILE")]
    pub(crate) pass_key_file: Option<PathBuf>,
    /// A file holding the token Prometheus scrapes /metrics with (`Authorization: Bearer …`),
    /// at least 16 characters. Without it, only a signed-in headquarters user reads /metrics.
    #[arg(long, env = "CORDON_METRICS_TOKEN_FILE")]
    pub(crate) metrics_token_file: Option<PathBuf>,
    /// Served behind a reverse proxy that appends the client's address to X-Forwarded-For:
    /// failed sign-ins are counted by that address. Without it the header is ignored.
    #[arg(long, env = "CORDON_BEHIND_PROXY")]
    pub(crate) behind_proxy: bool,
    /// Whether headquarters (the holders of `command` or `review_audit`) must sign in with a
    /// second factor (TOTP): `required` keeps such a user to enrolling one until they have it.
    /// `cordon serve` requires it unless told `optional`; the demo leaves it optional.
    #[arg(long, env = "CORDON_TWO_FACTOR", value_parser = ["required", "optional"])]
    pub(crate) two_factor: Option<String>,
    /// The first day of this deployment's records (YYYY-MM-DD): no time before it is accepted.
    /// Without it, the first zone or case less a month.
    #[arg(long, env = "CORDON_SINCE", value_parser = parse_since)]
    pub(crate) since: Option<chrono::DateTime<chrono::Utc>>,
    /// Where messages to residents go: http(s)://HOST[:PORT]/PATH posts each as JSON to an SMS
    /// gateway adapter (with an Idempotency-Key), file:PATH appends each as a JSON line.
    /// Without it they wait in the outbox (the demo writes file: beside its database).
    #[arg(long, env = "CORDON_SMS", value_parser = cordon_server::outbox::Gateway::parse)]
    pub(crate) sms: Option<cordon_server::outbox::Gateway>,
    /// A PEM file of CA certificates an https:// gateway's certificate is also checked against,
    /// beside the system's roots (an adapter on a private network with its own CA).
    #[arg(long, env = "CORDON_SMS_CA", requires = "sms")]
    pub(crate) sms_ca: Option<std::path::PathBuf>,
}

/// Reads the gateway's CA file: PEM certificates, at least one.
pub(crate) fn read_sms_ca(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let pem = std::fs::read(path).with_context(|| format!("reading the gateway's CA {}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .with_context(|| format!("{}: not PEM certificates", path.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no CERTIFICATE block in it", path.display());
    }
    Ok(certs)
}

fn parse_since(s: &str) -> std::result::Result<chrono::DateTime<chrono::Utc>, String> {
    let day = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date: write YYYY-MM-DD"))?;
    Ok(day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(14))
}

/// Reads the metrics token file: one line of at least 16 characters.
pub(crate) fn read_metrics_token(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the metrics token {}", path.display()))?;
    let token = text.trim();
    if token.chars().count() < 16 || token.contains(char::is_whitespace) {
        anyhow::bail!("{}: a metrics token is one word of at least 16 characters", path.display());
    }
    Ok(token.to_owned())
}

/// Reads a pass key file: 32 bytes as 64 hex digits, surrounding blanks allowed.
pub(crate) fn read_pass_key(path: &std::path::Path) -> Result<cordon_server::Secret> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the pass key {}", path.display()))?;
    let bytes = hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| anyhow::anyhow!("{}: a pass key is 64 hex digits (32 bytes)", path.display()))?;
    Ok(cordon_server::Secret(bytes))
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) db: DbArg,
    #[command(flatten)]
    pub(crate) listen: ListenArgs,
}

/// Serves the app; `two_factor_by_default`: whether headquarters needs a second factor when
/// `--two-factor` is not given.
pub(crate) async fn serve(
    store: Arc<dyn Store>,
    listen: &ListenArgs,
    two_factor_by_default: bool,
) -> Result<()> {
    let pass_secret = listen.pass_key_file.as_deref().map(read_pass_key).transpose()?;
    let metrics_token = listen.metrics_token_file.as_deref().map(read_metrics_token).transpose()?;
    let config = cordon_server::Config {
        secure_cookies: listen.secure_cookies,
        pass_secret,
        metrics_token,
        behind_proxy: listen.behind_proxy,
        two_factor_required: listen.two_factor.as_deref().map_or(two_factor_by_default, |t| t == "required"),
        since: listen.since,
        sms: listen.sms.clone(),
        sms_roots: listen.sms_ca.as_deref().map(read_sms_ca).transpose()?.unwrap_or_default(),
        ..Default::default()
    };
    retention::warn_if_due(&*store).await?;
    let app = cordon_server::router(store.clone(), config);
    let listener = tokio::net::TcpListener::bind(listen.listen)
        .await
        .with_context(|| format!("listening on {}", listen.listen))?;
    let addr = listener.local_addr()?;
    eprintln!("Cordon is serving on http://{addr}/");
    tracing::info!(%addr, "serving");
    cordon_server::serve(listener, app, shutdown_signal()).await?;
    // The background jobs end with the process; each works in transactions, so one cut short
    // rolls back. The audit entries the last reads queued are linked before the end.
    // The next start links what is left: a stop is not refused for it.
    if let Err(e) = store.link_audit().await {
        tracing::warn!(error = %e, "linking the audit at the stop failed; the next start links it");
    }
    tracing::info!("stopped");
    Ok(())
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
