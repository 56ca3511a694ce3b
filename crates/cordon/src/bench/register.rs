//! `cordon bench register`: the register kept at a city's size — each edit through the same
//! service the API calls (`POST /api/v1/people`, `PATCH /api/v1/people/{id}`), one after another
//! as clerks' requests arrive, each timed from the request to the answer the clerk sees: the
//! checks, the duplicate look-ups, the write with its line of history and the household counts
//! above it, the audit, and the person read back. A mix of what a day brings: a baby born or a
//! tenant arrived (a new entry), a phone or tags changed, a move to another household, a move
//! out of the city recorded and then taken back as a mistake.
//!
//! The peer, in the same run on the same file: the database's own shell (`sqlite3`, `psql`)
//! committing the same number of bare one-row changes — a person's phone column updated by
//! primary key, one transaction each — the floor of a durable edit, as a mean.
//!
//! The edits stay in the register: run it on a copy of the demo database you can lose.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use cordon_domain::AreaPath;
use cordon_server::register::entries::{NewPersonRequest, PersonPatch, add, change};
use rand::{RngExt, SeedableRng};

use crate::bench::report::{Job, Report};
use crate::bench::stats::{ms, quantile};

#[derive(Args)]
pub struct RegisterBench {
    /// A demo database (`cordon demo --scale city --no-serve --db URL`).
    #[arg(long)]
    db: String,
    /// Edits to time.
    #[arg(long, default_value_t = 2_000)]
    edits: usize,
    /// One person in this many is a candidate for an edit (read once, at the start).
    #[arg(long, default_value_t = 20)]
    sample: usize,
    #[arg(long, default_value_t = 2022)]
    seed: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Add,
    Phone,
    Tags,
    Move,
    MoveOut,
    Undo,
}

impl Kind {
    const ALL: [Kind; 6] = [Kind::Add, Kind::Phone, Kind::Tags, Kind::Move, Kind::MoveOut, Kind::Undo];

    fn name(self) -> &'static str {
        match self {
            Kind::Add => "add a person (born, arrived)",
            Kind::Phone => "change a phone",
            Kind::Tags => "change tags",
            Kind::Move => "move to another household",
            Kind::MoveOut => "record a move out of the city",
            Kind::Undo => "take a move out back",
        }
    }
}

fn refused(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("the register refused an edit: {e}")
}

pub async fn bench(b: &RegisterBench, report: &mut Report) -> Result<()> {
    if b.edits == 0 || b.sample == 0 {
        bail!("--edits and --sample: at least 1");
    }
    let store = crate::common::open(&b.db).await?;
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let user = store.user_by_name("admin").await?.context("no user admin: seed a demo first")?;
    let totals = store.totals().await?;

    // The candidates: one person in `sample`, from every district, read once.
    let started = Instant::now();
    let root = AreaPath::root();
    let mut people: Vec<(String, String)> = Vec::new();
    let mut after: Option<(AreaPath, String)> = None;
    let mut seen = 0usize;
    loop {
        let page = store.people_page(&root, after.as_ref().map(|(p, id)| (p, id.as_str())), 50_000).await?;
        let Some((last, _)) = page.last() else { break };
        after = Some((last.path.clone(), last.person_id.as_str().to_owned()));
        for (p, _) in &page {
            if seen.is_multiple_of(b.sample) && p.status == cordon_domain::PersonStatus::Active {
                people.push((p.person_id.as_str().to_owned(), p.household.to_string()));
            }
            seen += 1;
        }
    }
    if people.len() < 2 {
        bail!("{} has too few people to edit", b.db);
    }
    eprintln!(
        "{} candidates of {seen} people read in {:.1} s",
        people.len(),
        started.elapsed().as_secs_f64()
    );

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(b.seed);
    let mut times: Vec<(Kind, Duration)> = Vec::with_capacity(b.edits);
    let mut moved_out: Vec<String> = Vec::new();
    let route = "cordon bench register";
    let reason = |s: &str| Some(s.to_owned());
    for n in 0..b.edits {
        let roll = rng.random_range(0..100);
        let kind = match roll {
            _ if !moved_out.is_empty() && roll < 10 => Kind::Undo,
            0..25 => Kind::Add,
            25..50 => Kind::Phone,
            50..65 => Kind::Tags,
            65..85 => Kind::Move,
            _ => Kind::MoveOut,
        };
        let (person, household) = people[rng.random_range(0..people.len())].clone();
        // The change each kind asks for, made before the clock starts: one call is timed.
        let change_of = |status: Option<&str>, why: &str| PersonPatch {
            status: status.map(str::to_owned),
            reason: reason(why),
            ..Default::default()
        };
        let (who, patch) = match kind {
            Kind::Add => (person, PersonPatch::default()),
            Kind::Phone => (
                person,
                PersonPatch {
                    phone: Some(format!("139{:08}", rng.random_range(0..100_000_000u32))),
                    ..change_of(None, "a new number, told at the door")
                },
            ),
            Kind::Tags => {
                let tags = if n % 2 == 0 { vec!["elderly_alone".to_owned()] } else { Vec::new() };
                (person, PersonPatch { tags: Some(tags), ..change_of(None, "seen at the door") })
            }
            Kind::Move => {
                let to = people[rng.random_range(0..people.len())].1.clone();
                (person, PersonPatch { household: Some(to), ..change_of(None, "moved in with family") })
            }
            Kind::MoveOut => {
                people.retain(|(p, _)| *p != person);
                moved_out.push(person.clone());
                (person, change_of(Some("moved_out"), "left the city"))
            }
            Kind::Undo => {
                let back = moved_out.swap_remove(rng.random_range(0..moved_out.len()));
                (back, change_of(Some("active"), "recorded by mistake"))
            }
        };
        let t = Instant::now();
        if kind == Kind::Add {
            let req = NewPersonRequest {
                household,
                name: format!("新生{n:05}"),
                birth_year: 2022,
                sex: ["male", "female"][n % 2].into(),
                reason: reason("born"),
                not_a_duplicate: true,
                ..Default::default()
            };
            add(&state, &user, &req, route).await.map_err(refused)?;
        } else {
            change(&state, &user, &who, &patch, route).await.map_err(refused)?;
        }
        times.push((kind, t.elapsed()));
    }

    let peer = peer_edits(&b.db, &people, b.edits.min(people.len()));
    println!(
        "cordon bench register: {} ({} people, {} areas), {} edits, one at a time",
        store.backend(),
        totals.people,
        totals.areas,
        times.len()
    );
    let line = |name: &str, mut d: Vec<Duration>| {
        d.sort();
        println!(
            "  {name}: {} edits, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            d.len(),
            quantile(&d, 0.5),
            quantile(&d, 0.95),
            quantile(&d, 0.99),
            d.last().map_or(0.0, |x| ms(*x))
        );
    };
    line("all", times.iter().map(|(_, d)| *d).collect());
    for kind in Kind::ALL {
        let d: Vec<Duration> = times.iter().filter(|(k, _)| *k == kind).map(|(_, d)| *d).collect();
        if !d.is_empty() {
            line(kind.name(), d);
        }
    }
    match &peer {
        &Ok((n, took)) => println!(
            "  peer: {n} bare one-row updates by primary key, one transaction each, by the database's shell: {:.0} ms, mean {:.2} ms",
            ms(took),
            ms(took) / n as f64
        ),
        Err(e) => println!("  peer not run: {e}"),
    }
    let mut all: Vec<Duration> = times.iter().map(|(_, d)| *d).collect();
    all.sort();
    let p99 = Duration::from_secs_f64(quantile(&all, 0.99) / 1e3);
    report.push(
        Job::new("register edit p99", store.backend(), totals.people as u64, p99)
            .runs(all.len())
            .peer_if(
                "shell bare one-row update, mean",
                peer.as_ref().ok().map(|(n, took)| took.div_f64((*n).max(1) as f64)),
            )
            .with("p50_ms", quantile(&all, 0.5)),
    );
    Ok(())
}

/// The database's own shell committing `n` one-row updates of people's phone column by primary
/// key, each its own transaction (setting it to what it is, so nothing changes): how long.
fn peer_edits(db: &str, people: &[(String, String)], n: usize) -> Result<(usize, Duration)> {
    // The store's own settings for SQLite: write-ahead log, synchronous at NORMAL.
    let mut sql = String::from(if db.starts_with("sqlite://") {
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n"
    } else {
        ""
    });
    for (id, _) in people.iter().take(n) {
        sql += &format!(
            "BEGIN; UPDATE people SET phone_index = phone_index WHERE person_id = '{id}'; COMMIT;\n"
        );
    }
    let (program, args): (&str, Vec<String>) = match db.strip_prefix("sqlite://") {
        Some(path) => {
            let path = path.split('?').next().unwrap_or(path).to_owned();
            ("sqlite3", vec![path])
        }
        None => ("psql", vec![db.to_owned(), "-qAt".into(), "-v".into(), "ON_ERROR_STOP=1".into()]),
    };
    use std::io::Write;
    let t = Instant::now();
    let mut child = std::process::Command::new(program)
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    child.stdin.take().context("the shell's input")?.write_all(sql.as_bytes())?;
    let out = child.wait_with_output()?;
    let took = t.elapsed();
    if !out.status.success() {
        bail!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok((n, took))
}
