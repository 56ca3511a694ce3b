//! The sender: takes the messages due, opens each recipient's phones, writes the words and hands
//! them to the gateway; then settles each message in one transaction. A message is marked sent
//! only after the gateway took it, so a server killed in between sends it again — under the same
//! idempotency key, which a gateway that honours it sends once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cordon_domain::outbox::{Delivery, MessageKind, RecipientKind, retry_at};
use cordon_store::{MessageRecord, Settle};
use futures::StreamExt;
use serde::Serialize;

use super::error::OutboxError;
use super::words;
use crate::AppState;

/// Messages taken at a time.
const BATCH: u32 = 2_000;
/// Posts in flight to an HTTP gateway at once.
const IN_FLIGHT: usize = 64;
/// How long one post may take before it counts as failed (and is tried again).
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where messages go (`--sms`, `CORDON_SMS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gateway {
    /// `http://…` or `https://…`: each message posted as JSON to an SMS gateway adapter.
    Http(String),
    /// `file:PATH`: each message appended as a JSON line (development, the demo).
    File(PathBuf),
}

impl Gateway {
    pub fn parse(s: &str) -> Result<Gateway, String> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("file:") {
            if path.is_empty() {
                return Err("--sms file: needs a path, as in file:./outbox.jsonl".into());
            }
            return Ok(Gateway::File(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("http://").or_else(|| s.strip_prefix("https://")) {
            if rest.is_empty() || rest.starts_with('/') {
                return Err(format!("--sms {s}: the URL names no host"));
            }
            return Ok(Gateway::Http(s.to_owned()));
        }
        Err(format!("--sms {s:?}: give http(s)://HOST[:PORT]/PATH (a gateway adapter) or file:PATH"))
    }
}

/// What one pass of the sender did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SendRun {
    /// Messages taken from the outbox.
    pub taken: usize,
    pub sent: usize,
    /// Failed this time, to be tried again.
    pub retried: usize,
    pub failed: usize,
    pub unreachable: usize,
    pub expired: u64,
}

/// One line to the gateway: what `formats.md` promises.
#[derive(Debug, Serialize)]
struct Outgoing<'a> {
    id: String,
    to: &'a str,
    kind: &'static str,
    text: &'a str,
    created_at: DateTime<Utc>,
}

/// One pass: the expired closed, up to a batch of due messages sent and settled.
pub async fn send_due(
    state: &AppState,
    gateway: &Gateway,
    client: &reqwest::Client,
    now: DateTime<Utc>,
) -> Result<SendRun, OutboxError> {
    let mut run = SendRun::default();
    for kind in MessageKind::ALL {
        run.expired += state.store.expire_messages(kind, now - kind.shelf_life()).await?;
    }
    let due = state.store.due_messages(now, BATCH).await?;
    run.taken = due.len();
    if due.is_empty() {
        return Ok(run);
    }
    let recipients: Vec<(RecipientKind, String)> = due
        .iter()
        .filter(|m| m.recipient_kind != RecipientKind::User)
        .map(|m| (m.recipient_kind, m.recipient.clone()))
        .collect();
    let phones = state.store.phones_of(&recipients).await?;
    let mut settled = Vec::with_capacity(due.len());
    // Each message's lines, and which message each line is of.
    let mut texts: Vec<(usize, String)> = Vec::new();
    let mut lines: Vec<(usize, Outgoing)> = Vec::new();
    for (i, m) in due.iter().enumerate() {
        // A worker's message is in their inbox once written; one queued by an older build is
        // delivered there, not to a gateway.
        if m.recipient_kind == RecipientKind::User {
            settled.push(Settle::Sent { id: m.id, at: now });
            run.sent += 1;
            continue;
        }
        let Some(text) = words::text(m.kind, &m.params, state.config.tz) else {
            settled.push(Settle::Closed { id: m.id, state: Delivery::Expired });
            run.expired += 1;
            continue;
        };
        texts.push((i, text));
    }
    let no_phone: Vec<String> = Vec::new();
    for (i, text) in &texts {
        let m = &due[*i];
        let to: Vec<&str> = phones
            .get(&(m.recipient_kind, m.recipient.clone()))
            .unwrap_or(&no_phone)
            .iter()
            .map(String::as_str)
            .collect();
        if to.is_empty() {
            settled.push(Settle::Closed { id: m.id, state: Delivery::Unreachable });
            run.unreachable += 1;
            continue;
        }
        for (n, phone) in to.into_iter().enumerate() {
            // One key per phone: the first is the message's id, as the gateway expects.
            let id = if n == 0 { m.id.to_string() } else { format!("{}.{}", m.id, n + 1) };
            lines.push((
                *i,
                Outgoing { id, to: phone, kind: m.kind.as_str(), text, created_at: m.created_at },
            ));
        }
    }
    // Whether every line of a message went; the first error of one that did not.
    let mut outcome: HashMap<usize, Result<(), Failure>> = HashMap::new();
    match gateway {
        Gateway::File(path) => {
            let mut body = Vec::new();
            for (_, line) in &lines {
                serde_json::to_writer(&mut body, line).map_err(|e| OutboxError::Internal(e.to_string()))?;
                body.push(b'\n');
            }
            let written = append(path, &body).await;
            for (i, _) in &lines {
                outcome.insert(*i, written.clone().map_err(Failure::Retry));
            }
        }
        Gateway::Http(url) => {
            // Each post owns what it sends, so the stream of them is 'static.
            let mut posts = Vec::with_capacity(lines.len());
            for (i, line) in &lines {
                let body = serde_json::to_vec(line).map_err(|e| OutboxError::Internal(e.to_string()))?;
                let (client, url, key, i) = (client.clone(), url.clone(), line.id.clone(), *i);
                posts.push(async move { (i, post(&client, &url, &key, body).await) });
            }
            let results: Vec<(usize, Result<(), Failure>)> =
                futures::stream::iter(posts).buffer_unordered(IN_FLIGHT).collect().await;
            for (i, r) in results {
                let e = outcome.entry(i).or_insert(Ok(()));
                if e.is_ok() {
                    *e = r;
                }
            }
        }
    }
    let sent_at = now;
    for (i, _) in &texts {
        let m: &MessageRecord = &due[*i];
        match outcome.remove(i) {
            None => {}
            Some(Ok(())) => {
                settled.push(Settle::Sent { id: m.id, at: sent_at });
                run.sent += 1;
            }
            Some(Err(Failure::Refused(error))) => {
                settled.push(Settle::Failed { id: m.id, attempts: m.attempts + 1, error });
                run.failed += 1;
            }
            Some(Err(Failure::Retry(error))) => {
                let attempts = m.attempts + 1;
                match retry_at(attempts, now) {
                    Some(next) => {
                        settled.push(Settle::Retry { id: m.id, attempts, next, error });
                        run.retried += 1;
                    }
                    None => {
                        settled.push(Settle::Failed { id: m.id, attempts, error });
                        run.failed += 1;
                    }
                }
            }
        }
    }
    state.store.settle_messages(&settled).await?;
    Ok(run)
}

/// Why a line did not go.
#[derive(Debug, Clone)]
enum Failure {
    /// The gateway refused it for good (a 4xx other than 408 and 429).
    Refused(String),
    /// Down, slow or busy: try again later.
    Retry(String),
}

async fn append(path: &std::path::Path, body: &[u8]) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let mut f = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(body).await.map_err(|e| format!("{}: {e}", path.display()))?;
    f.flush().await.map_err(|e| format!("{}: {e}", path.display()))
}

async fn post(client: &reqwest::Client, url: &str, key: &str, body: Vec<u8>) -> Result<(), Failure> {
    let answer = client
        .post(url)
        .timeout(POST_TIMEOUT)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body)
        .send()
        .await
        .map_err(|e| Failure::Retry(format!("gateway: {e}")))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
        Err(Failure::Refused(format!("gateway answered {status}")))
    } else {
        Err(Failure::Retry(format!("gateway answered {status}")))
    }
}

/// Sends what is due while the server runs: at once after a start (what a stopped server left
/// queued goes first), then whenever a pass found work, else every second.
pub fn spawn(state: AppState, gateway: Gateway) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    crate::install_tls();
    // The system's roots, and the deployment's own CA when it named one; an unusable set is
    // said at once, and nothing is sent rather than sent unchecked.
    let client = match reqwest::Client::builder().tls_certs_merge(state.config.sms_roots.clone()).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the sender's HTTPS client cannot be built: no message will be sent");
            return;
        }
    };
    runtime.spawn(async move {
        loop {
            let outcome = send_due(&state, &gateway, &client, Utc::now()).await;
            crate::http::metrics::job("outbox_send", outcome.is_ok());
            let busy = match outcome {
                Ok(run) => {
                    if run.sent + run.failed + run.unreachable > 0 {
                        tracing::info!(
                            sent = run.sent,
                            failed = run.failed,
                            unreachable = run.unreachable,
                            retried = run.retried,
                            "messages sent"
                        );
                    }
                    run.taken as u32 >= BATCH
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sending messages failed");
                    false
                }
            };
            if !busy {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateways_parse_or_say_why() {
        assert_eq!(Gateway::parse("file:/tmp/o.jsonl"), Ok(Gateway::File("/tmp/o.jsonl".into())));
        assert_eq!(
            Gateway::parse("http://127.0.0.1:9000/sms"),
            Ok(Gateway::Http("http://127.0.0.1:9000/sms".into()))
        );
        assert!(Gateway::parse("file:").unwrap_err().contains("needs a path"));
        assert_eq!(
            Gateway::parse("https://sms.example/send"),
            Ok(Gateway::Http("https://sms.example/send".into()))
        );
        assert!(Gateway::parse("https://").unwrap_err().contains("no host"));
        assert!(Gateway::parse("smtp://x").unwrap_err().contains("http(s)://"));
    }
}
