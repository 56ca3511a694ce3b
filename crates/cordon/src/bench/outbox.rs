//! `cordon bench outbox`: what a mass message costs. A district's zone raised and stepped down
//! through the store's own call (the one the zones service makes), each writing one message per
//! household under it in the change's transaction, beside the database's shell running the bare
//! `INSERT … SELECT` of the same rows (rolled back); then the sender draining those messages to a
//! fake gateway on this machine (every post answered 200 at once), beside the same number of
//! bare posts to it at the same concurrency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Args;
use cordon_domain::{AreaCode, AreaPath, EventKind, Tier, ZoneEvent};
use cordon_server::outbox::Gateway;
use cordon_store::{NewZoneEvent, Store};
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::bench::report::{Job, Report, median};

#[derive(Args)]
pub struct OutboxBench {
    /// A district demo database (`cordon demo --no-serve --db URL`): 新城区 with its precaution zone.
    #[arg(long)]
    db: String,
    /// The district whose zone is raised and stepped down.
    #[arg(long, default_value = "150102")]
    district: String,
    /// Raises and step downs, each timed.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Messages the sender drains to the fake gateway.
    #[arg(long, default_value_t = 20_000)]
    send: usize,
}

pub async fn bench(b: &OutboxBench, report: &mut Report) -> Result<()> {
    let store: Arc<dyn Store> = crate::common::open(&b.db).await?;
    let root = AreaPath::root();
    let district = AreaCode::parse(&b.district)?;
    let zone = store
        .zones_on(std::slice::from_ref(&district))
        .await?
        .into_iter()
        .find(|z| z.ended_at.is_none() && z.area == district)
        .with_context(|| format!("no active zone on {district}: seed a district demo first"))?;
    let households = store.area(&root, &district).await?.context("the district")?.stats.households;
    println!(
        "outbox: {} zone on {} ({households} households), {}",
        zone.tier,
        zone.area_name,
        store.backend()
    );
    let (lo, hi) = zone.path.subtree_range();
    let mut tier = zone.tier;
    let (mut changes, mut peers) = (Vec::new(), Vec::new());
    for i in 0..b.repeat {
        for up in [true, false] {
            let kind = match (up, tier) {
                (true, Tier::Precaution) => EventKind::Raised { tier: Tier::Controlled },
                (true, _) => EventKind::Raised { tier: Tier::Sealed },
                (false, Tier::Sealed) => EventKind::SteppedDown { tier: Tier::Controlled },
                (false, _) => EventKind::SteppedDown { tier: Tier::Precaution },
            };
            let now = Utc::now();
            let event = NewZoneEvent {
                event: ZoneEvent { at: now, kind: kind.clone() },
                note: "cordon bench outbox".into(),
                person_id: None,
                by: "bench".into(),
                recorded_at: now,
            };
            let t = Instant::now();
            store.record_zone_event(zone.id, &event).await?;
            let cordon = t.elapsed();
            changes.push(cordon);
            tier = match kind {
                EventKind::Raised { tier } | EventKind::SteppedDown { tier } => tier,
                _ => tier,
            };
            let peer = match peer_insert(&b.db, &lo, &hi) {
                Ok(p) => {
                    peers.push(p);
                    format!(
                        "peer bare INSERT … SELECT {:.0} ms (ratio {:.2})",
                        p.as_secs_f64() * 1e3,
                        cordon.as_secs_f64() / p.as_secs_f64()
                    )
                }
                Err(e) => format!("peer not run: {e}"),
            };
            println!(
                "  {} {}: {households} messages written with the change in {:.0} ms; {peer}",
                i + 1,
                if up { "raise" } else { "step down" },
                cordon.as_secs_f64() * 1e3
            );
        }
    }

    let backend = store.backend();
    let peer = (peers.len() == changes.len()).then(|| median(&peers));
    report.push(
        Job::median("zone change told to every household", backend, households as u64, &changes)
            .peer_if("shell bare INSERT … SELECT of the same rows", peer),
    );

    // The sender, against a gateway that answers at once.
    let (url, received) = fake_gateway().await?;
    let state = cordon_server::AppState::new(store.clone(), cordon_server::Config::default());
    let client = reqwest::Client::new();
    let gateway = Gateway::Http(url.clone());
    let t = Instant::now();
    let mut sent = 0;
    while sent < b.send {
        let run = cordon_server::outbox::send_due(&state, &gateway, &client, Utc::now()).await?;
        if run.taken == 0 {
            bail!("the outbox ran dry after {sent} messages: raise --repeat or lower --send");
        }
        sent += run.sent + run.unreachable;
    }
    let cordon = t.elapsed();
    let posts = received.load(Ordering::Relaxed);
    let t = Instant::now();
    let bare = posts as usize;
    futures::stream::iter((0..bare).map(|i| {
        let (client, url) = (client.clone(), url.clone());
        async move { client.post(&url).header("idempotency-key", i.to_string()).body("{}").send().await }
    }))
    .buffer_unordered(64)
    .for_each(|_| async {})
    .await;
    let peer = t.elapsed();
    println!(
        "  sender: {sent} messages ({posts} posts: one a phone) in {:.2} s = {:.0} messages/s, {:.0} posts/s; \
         peer {bare} bare posts in {:.2} s = {:.0} posts/s (ratio {:.2})",
        cordon.as_secs_f64(),
        sent as f64 / cordon.as_secs_f64(),
        posts as f64 / cordon.as_secs_f64(),
        peer.as_secs_f64(),
        bare as f64 / peer.as_secs_f64(),
        cordon.as_secs_f64() / peer.as_secs_f64()
    );
    report.push(
        Job::new("outbox sender", backend, sent as u64, cordon)
            .peer("bare posts to the same gateway", peer)
            .with("messages_per_s", (sent as f64 / cordon.as_secs_f64()).round())
            .with("posts", posts),
    );
    Ok(())
}

/// The database's shell writing the same rows bare, in a transaction it rolls back.
fn peer_insert(db: &str, lo: &str, hi: &str) -> Result<std::time::Duration> {
    let now = Utc::now().to_rfc3339();
    let sql = format!(
        "BEGIN; INSERT INTO outbox (kind, recipient_kind, recipient, params, district_code, created_at, state, \
         attempts, next_at) SELECT 'zone_raised', 'household', code, '{{}}', district_code, '{now}', 'queued', 0, \
         '{now}' FROM areas WHERE level = 'household' AND path >= '{lo}' AND path < '{hi}'; ROLLBACK;"
    );
    let (program, args): (&str, Vec<String>) = match db.strip_prefix("sqlite://") {
        Some(path) => ("sqlite3", vec![path.into(), sql]),
        None => ("psql", vec![db.to_owned(), "-qc".into(), sql]),
    };
    let t = Instant::now();
    let out = std::process::Command::new(program).args(&args).output()?;
    let took = t.elapsed();
    if !out.status.success() {
        bail!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(took)
}

/// An SMS gateway on this machine that answers every post 200 at once, keeping connections
/// alive; its URL and the count of posts it took.
async fn fake_gateway() -> Result<(String, Arc<AtomicU64>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/sms", listener.local_addr()?);
    let count = Arc::new(AtomicU64::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0u8; length];
                    if read.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    counted.fetch_add(1, Ordering::Relaxed);
                    if write.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok((url, count))
}
