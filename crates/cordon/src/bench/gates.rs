//! `cordon bench gates`: gate decisions over HTTP at a steady rate, as the cadres of a city's
//! gates would send them, against a server in its own process on the same database; and, in
//! the same run at the same rate, the server's health check (one database round trip), the
//! floor any request pays. Latency is measured from each request's scheduled start, so a slow
//! answer cannot hide the requests queued behind it (no coordinated omission).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_domain::{AreaCode, AreaLevel, AreaPath};
use cordon_store::{PeopleQuery, Store};
use rand::{RngExt, SeedableRng};
use sha2::{Digest, Sha256};

use crate::bench::report::{Job, Report};
use crate::bench::stats::quantile;

#[derive(Args)]
pub struct GatesBench {
    /// A demo database (`cordon demo --no-serve --db URL`): its story compound, gates and users.
    #[arg(long)]
    db: String,
    /// Requests per second, sent at a steady pace whatever the answers take.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Seconds of load for each of the two runs.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    #[arg(long, default_value_t = 2022)]
    seed: u64,
}

/// The story compound of the demo and its sealed building (see `cordon_demo::demo_gates`).
const COMPOUND: &str = "150102001001001";
const SEALED: &str = "15010200100100103";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(db: &str) -> Result<Server> {
    let exe = std::env::current_exe()?;
    let mut child = std::process::Command::new(exe)
        .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        .env("CORDON_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the server")?;
    let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
    let base = loop {
        let Some(line) = lines.next() else { bail!("the server exited before serving") };
        if let Some(rest) = line?.strip_prefix("Cordon is serving on ") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok(Server { child, base })
}

/// People of an area's households, walking down the tree (at most `max`).
/// How each person is named at the gate: by register id (the compound's own residents, whom the
/// cadre's list holds) or by the ID number on their card (a visitor from elsewhere).
async fn residents(store: &dyn Store, code: &str, max: usize, by_card: bool) -> Result<Vec<String>> {
    let root = AreaPath::root();
    let mut stack = vec![AreaCode::parse(code)?];
    let mut out = Vec::new();
    while let Some(c) = stack.pop() {
        if out.len() >= max {
            break;
        }
        let node =
            store.area(&root, &c).await?.with_context(|| format!("no area {c}: is this a demo database?"))?;
        if node.area.level == AreaLevel::Household {
            for p in store.search_people(&root, &PeopleQuery::Household(c), 20).await? {
                match (by_card, p.id_number) {
                    (true, Some(card)) => out.push(card),
                    (true, None) => {}
                    (false, _) => out.push(p.person_id.as_str().to_owned()),
                }
            }
        } else {
            stack.extend(store.children(&root, &c).await?.into_iter().map(|n| n.area.code));
        }
    }
    out.truncate(max);
    Ok(out)
}

/// A session for `username`, written straight into the store (the bench knows no password).
async fn session(store: &dyn Store, username: &str) -> Result<String> {
    let user = store
        .user_by_name(username)
        .await?
        .with_context(|| format!("no user {username}: seed a demo first"))?;
    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    let token = hex::encode(secret);
    let now = chrono::Utc::now();
    store
        .create_session(
            &hex::encode(Sha256::digest(token.as_bytes())),
            user.id,
            now,
            now + chrono::Duration::hours(2),
        )
        .await?;
    Ok(token)
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

/// Sends `bodies` (or GETs when None) at `rate` per second; each latency from its scheduled start.
async fn run(
    client: &reqwest::Client,
    token: &str,
    urls: Vec<(String, Option<serde_json::Value>)>,
    rate: u32,
) -> Outcome {
    let started = Instant::now();
    let period = Duration::from_secs_f64(1.0 / f64::from(rate));
    let mut tasks = Vec::with_capacity(urls.len());
    for (i, (url, body)) in urls.into_iter().enumerate() {
        let due = started + period * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let client = client.clone();
        let token = token.to_owned();
        tasks.push(tokio::spawn(async move {
            let req = match body {
                Some(b) => client.post(url).json(&b),
                None => client.get(url),
            };
            let ok = match req.bearer_auth(token).send().await {
                Ok(r) => {
                    let good = r.status().is_success();
                    let _ = r.bytes().await;
                    good
                }
                Err(_) => false,
            };
            (due.elapsed(), ok)
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut errors = 0;
    for t in tasks {
        let (d, ok) = t.await.expect("request task");
        latencies.push(d);
        errors += usize::from(!ok);
    }
    latencies.sort();
    Outcome { latencies, errors, elapsed: started.elapsed() }
}

fn print_outcome(name: &str, o: &Outcome) {
    let n = o.latencies.len();
    println!(
        "{name:<16} {n:>7} requests in {:>5.1} s ({:>5.0}/s)  p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  p99.9 {:>6.2} ms  max {:>7.2} ms  errors {}",
        o.elapsed.as_secs_f64(),
        n as f64 / o.elapsed.as_secs_f64(),
        quantile(&o.latencies, 0.5),
        quantile(&o.latencies, 0.9),
        quantile(&o.latencies, 0.99),
        quantile(&o.latencies, 0.999),
        quantile(&o.latencies, 1.0),
        o.errors
    );
}

pub async fn bench(b: &GatesBench, report: &mut Report) -> Result<()> {
    let store: Arc<dyn Store> = crate::common::open(&b.db).await?;
    let totals = store.totals().await?;
    let root = AreaPath::root();
    let gates = store.gates(&root, 100).await?;
    if gates.is_empty() {
        bail!("{} has no gates: seed it with `cordon demo --no-serve --db {}` first", b.db, b.db);
    }
    let compound = residents(&*store, COMPOUND, 300, false).await?;
    let sealed = residents(&*store, SEALED, 100, false).await?;
    let elsewhere = residents(&*store, "150102001002", 200, true).await?;
    let cadre = session(&*store, "cadre").await?;
    // A delivery pass, issued as the community's worker would, through the service.
    let state = cordon_server::AppState::new(store.clone(), cordon_server::Config::default());
    let worker = store.user_by_name("gongzhufu").await?.context("no user gongzhufu")?;
    let pass = cordon_server::gates::issue_pass(
        &state,
        &worker,
        cordon_server::gates::PassRequest {
            kind: cordon_domain::gates::PassKind::Delivery,
            person: None,
            holder: Some("bench 配送".into()),
            area_code: COMPOUND.into(),
            gate_ids: Vec::new(),
            valid_from: None,
            valid_until: chrono::Utc::now() + chrono::Duration::hours(2),
            one_time: false,
            reason: "cordon bench gates".into(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let mut tampered = pass.token.clone().into_bytes();
    tampered[12] = if tampered[12] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered)?;
    drop(state);

    let server = start_server(&b.db)?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let n = (b.rate * b.seconds) as usize;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(b.seed);
    let mut pick = |v: &[String]| v[rng.random_range(0..v.len())].clone();
    let mut decisions = Vec::with_capacity(n);
    let mut mix = rand_chacha::ChaCha8Rng::seed_from_u64(b.seed ^ 1);
    for _ in 0..n {
        let gate = &gates[mix.random_range(0..gates.len())];
        let direction = if mix.random_range(0..2) == 0 { "in" } else { "out" };
        let roll = mix.random_range(0..100);
        let body = match roll {
            0..50 => serde_json::json!({"direction": direction, "person": pick(&compound)}),
            50..60 => serde_json::json!({"direction": direction, "person": pick(&sealed)}),
            60..65 => serde_json::json!({"direction": "in", "person": pick(&elsewhere)}),
            65..85 => serde_json::json!({"direction": direction, "pass": pass.token}),
            85..90 => serde_json::json!({"direction": direction, "subject": "ambulance"}),
            90..95 => serde_json::json!({"direction": direction, "pass": tampered}),
            _ => serde_json::json!({"direction": "in", "person": "150102199001011234"}),
        };
        decisions.push((format!("{}/api/v1/gates/{}/decisions", server.base, gate.id), Some(body)));
    }
    let health: Vec<_> = (0..n).map(|_| (format!("{}/healthz", server.base), None)).collect();
    // Warm the connection pool and the server's snapshot of the zones.
    let _ = run(&client, &cadre, decisions.iter().take(50).cloned().collect(), 100).await;
    println!(
        "cordon bench gates: {} ({} people, {} areas), {} gates, {} rps for {} s each, server in its own process",
        store.backend(),
        totals.people,
        totals.areas,
        gates.len(),
        b.rate,
        b.seconds
    );
    let floor = run(&client, &cadre, health, b.rate).await;
    print_outcome("GET /healthz", &floor);
    let decided = run(&client, &cadre, decisions, b.rate).await;
    print_outcome("POST decisions", &decided);
    println!(
        "p99 over the floor: {:.2} ms; decision p99 / health p99 = {:.1}×",
        quantile(&decided.latencies, 0.99) - quantile(&floor.latencies, 0.99),
        quantile(&decided.latencies, 0.99) / quantile(&floor.latencies, 0.99).max(1e-9)
    );
    let p99 = |o: &Outcome| Duration::from_secs_f64(quantile(&o.latencies, 0.99) / 1e3);
    report.push(
        Job::new("gate decision p99", store.backend(), totals.people as u64, p99(&decided))
            .peer("GET /healthz p99 at the same rate", p99(&floor))
            .with("rate", b.rate)
            .runs(decided.latencies.len())
            .with("errors", decided.errors)
            .with("p50_ms", quantile(&decided.latencies, 0.5)),
    );
    drop(server);
    Ok(())
}
