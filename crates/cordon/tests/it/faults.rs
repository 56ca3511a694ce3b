//! Faults under the server, which keeps running through them: PostgreSQL stopped and started
//! again in the middle of a load, and the disk under a SQLite file filling up. The server answers
//! 503 (or 507) with its JSON error, never 500 and never a dropped connection; it recovers by
//! itself, without a restart, once the database is back; and nothing it acknowledged is lost.
//!
//! The figures each run prints (with `-- --nocapture`) are those of BENCHMARKS.md "Faults".

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::support::{self, Db, Server, first_household};

/// What one request of the load got: when it was answered (since the start), and its status,
/// or 0 when no answer came at all.
#[derive(Clone, Copy, Debug)]
struct Outcome {
    at: Duration,
    status: u16,
}

/// Writers raising needs, and readers asking for the health check, until `stop`. Every need
/// acknowledged (201) is kept in `acked`; every outcome in `log`.
struct Load {
    /// When the load began: the origin of each outcome's `at`.
    start: Instant,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<i64>>>,
    log: Arc<Mutex<Vec<Outcome>>>,
    /// Refusals whose body was not the JSON error of their status.
    bad_bodies: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    async fn start(s: &Server, writers: usize) -> Load {
        let grid = s.login("gongzhufu").await;
        let (household, _) = first_household(s, &grid, "150102001001001").await;
        let start = Instant::now();
        let (stop, acked, log, bad_bodies) = Default::default();
        let mut load = Load { start, stop, acked, log, bad_bodies, tasks: Vec::new() };
        let client = support::builder().timeout(Duration::from_secs(20)).build().unwrap();
        for w in 0..writers {
            let (stop, acked, log, bad) =
                (load.stop.clone(), load.acked.clone(), load.log.clone(), load.bad_bodies.clone());
            let (client, base, grid, household) =
                (client.clone(), s.base.clone(), grid.clone(), household.clone());
            load.tasks.push(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = json!({
                        "household_code": household,
                        "category": "food",
                        "description": format!("fault load, writer {w}, request {i}"),
                    });
                    let sent = client
                        .post(format!("{base}/api/v1/needs"))
                        .bearer_auth(&grid)
                        .json(&body)
                        .send()
                        .await;
                    let status = match sent {
                        Err(_) => 0,
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let v: serde_json::Value = r.json().await.unwrap_or_default();
                            if status == 201 {
                                acked.lock().unwrap().push(v["need"]["id"].as_i64().unwrap());
                            } else if v["error"]["code"].as_str().is_none() {
                                bad.lock().unwrap().push(format!("{status}: {v}"));
                            }
                            status
                        }
                    };
                    log.lock().unwrap().push(Outcome { at: start.elapsed(), status });
                    if status != 201 {
                        // A refused writer waits a little, as a client backing off would.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }));
        }
        load
    }

    async fn stop(self) -> (Vec<i64>, Vec<Outcome>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        (take(&self.acked), take(&self.log), take(&self.bad_bodies))
    }
}

fn take<T>(kept: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *kept.lock().unwrap())
}

async fn health(base: &str) -> u16 {
    let client = support::builder().timeout(Duration::from_secs(10)).build().unwrap();
    match client.get(format!("{base}/healthz")).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Polls the health check until it answers `want`; how long that took.
async fn until_health(base: &str, want: u16, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if health(base).await == want {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "the health check did not answer {want} within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn every_acknowledged_need_is_there(s: &Server, acked: &[i64]) {
    let grid = s.login("gongzhufu").await;
    for id in acked {
        let (status, need) = s.call(Method::GET, &grid, &format!("/api/v1/needs/{id}"), None).await;
        assert_eq!(status, 200, "need {id} was acknowledged, then lost: {need}");
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// A PostgreSQL cluster of this test's own, so stopping it harms no other test: made with
/// `initdb` in a temporary folder, served on a free port, stopped (immediately) on drop.
struct Cluster {
    bin: std::path::PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    fn new() -> Cluster {
        let out = Command::new("pg_config").arg("--bindir").output().expect("pg_config");
        let bin = std::path::PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        let dir = tempfile::tempdir().unwrap();
        // The server refuses to run as root: the cluster belongs to the postgres user.
        let chown = Command::new("chown").args(["postgres"]).arg(dir.path()).status().unwrap();
        assert!(chown.success(), "chown postgres (the test runs as root, as CI does)");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { bin, dir, port };
        let data = cluster.data();
        cluster.as_postgres(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn as_postgres(&self, program: &str, args: &[&str]) {
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program))
            .args(args)
            .output()
            .expect("runuser");
        assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn start(&self) {
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.path().display());
        let log = self.dir.path().join("log").display().to_string();
        self.as_postgres("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
    }

    /// A fast shutdown: sessions are ended (their queries get 57P01), as in a restart for an
    /// upgrade or a fail-over.
    fn stop(&self) {
        self.as_postgres("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

/// PostgreSQL stopped for 7 s under a load of writes and started again: the health check says
/// so, the writes are refused with 503, and the server serves again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_under_load() {
    if support::postgres().is_none() {
        return;
    }
    // The cluster's commands and the server's start block: on a worker of their own.
    let cluster = tokio::task::block_in_place(Cluster::new);
    let s =
        tokio::task::block_in_place(|| support::demo(Db::at(cluster.url(), tempfile::tempdir().unwrap())));
    let load = Load::start(&s, 4).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let stopped_at = Instant::now();
    tokio::task::block_in_place(|| cluster.stop());
    let noticed = until_health(&s.base, 503, Duration::from_secs(10)).await;
    // Longer than the pool's wait for a connection (5 s): a write that starts while the database
    // is down waits that long for a connection, then is refused. With a shorter outage only a
    // write caught mid-query at the stop is refused, and whether one is depends on the moment.
    let down_for = Duration::from_secs(7);
    tokio::time::sleep(down_for.saturating_sub(stopped_at.elapsed())).await;
    let started_at = Instant::now();
    tokio::task::block_in_place(|| cluster.start());
    let healthy_after = until_health(&s.base, 200, Duration::from_secs(30)).await;
    let pg_up = started_at.duration_since(load.start);
    // Let the writers find their way back, then stop them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (acked, log, bad_bodies) = load.stop().await;

    let back = log.iter().any(|o| o.status == 201 && o.at > pg_up);
    let count = |status: u16| log.iter().filter(|o| o.status == status).count();
    let (ok, refused) = (count(201), count(503));
    println!(
        "faults: PostgreSQL stopped for {} ms under {} writers: the health check said 503 after {} ms; \
         healthy again {} ms after PostgreSQL was up; writes: {ok} acknowledged, {refused} refused with 503, \
         {} other",
        ms(started_at.duration_since(stopped_at)),
        4,
        ms(noticed),
        ms(healthy_after),
        log.len() - ok - refused,
    );
    let others: Vec<_> = log.iter().filter(|o| o.status != 201 && o.status != 503).collect();
    assert!(others.is_empty(), "only 201 or 503, never a 500 or a dropped connection: {others:?}");
    assert!(bad_bodies.is_empty(), "each refusal carries its JSON error: {bad_bodies:?}");
    assert!(refused > 0, "the writers were refused while PostgreSQL was down");
    assert!(back, "the writers were acknowledged again after PostgreSQL was back");
    assert!(
        healthy_after < Duration::from_secs(10),
        "healthy again within seconds of PostgreSQL's start, not {healthy_after:?}"
    );
    every_acknowledged_need_is_there(&s, &acked).await;
    assert!(!s.log.lock().unwrap().contains("panicked"), "no panic in the server's log");
    drop(s);
}

/// A tmpfs of `size` mounted on a temporary folder, unmounted on drop; None (the test skipped)
/// where the tests may not mount, which CI may (it runs as root).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("mount");
        if out.status.success() {
            return Some(Tmpfs { dir });
        }
        assert!(
            std::env::var("CI").is_err(),
            "CI mounts a small disk for the full-disk test: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("the full-disk test is skipped: mounting a tmpfs needs root");
        None
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// The disk under a SQLite file fills up while writers write: each write is refused whole with
/// 507, reads go on, the server serves writes again as soon as space is freed, and the file
/// passes its integrity check with every acknowledged write in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_on_a_full_disk() {
    let Some(disk) = Tmpfs::mount("96m") else { return };
    let url = format!("sqlite://{}", disk.dir.path().join("t.db").display());
    let s = tokio::task::block_in_place(|| support::demo(Db::at(url, tempfile::tempdir().unwrap())));
    let load = Load::start(&s, 4).await;
    // Signed in before the disk fills: a sign-in writes its session.
    let grid = s.login("gongzhufu").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Fill the disk to its last byte.
    let filler = disk.dir.path().join("filler");
    tokio::task::block_in_place(|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // The last block may fit in part: fill the rest byte by byte.
        while f.write_all(&[0]).is_ok() {}
    });
    // Writes already in the WAL's free pages may still land; wait for the refusals.
    let refused_after = {
        let start = Instant::now();
        loop {
            let refused = load.log.lock().unwrap().iter().any(|o| o.status == 507);
            if refused {
                break start.elapsed();
            }
            assert!(start.elapsed() < Duration::from_secs(30), "no write was refused on a full disk");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    // The server still reads, and says it is up (its database answers).
    let read = *load.acked.lock().unwrap().first().expect("writes were acknowledged before the disk filled");
    let (status, _) = s.get(&grid, &format!("/api/v1/needs/{read}")).await;
    assert_eq!(status, 200, "reads go on on a full disk");
    assert_eq!(health(&s.base).await, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;

    std::fs::remove_file(&filler).unwrap();
    let freed_at = Instant::now();
    let freed = freed_at.duration_since(load.start);
    let writes_again = loop {
        let acked_since = load.log.lock().unwrap().iter().any(|o| o.status == 201 && o.at > freed);
        if acked_since {
            break freed_at.elapsed();
        }
        if freed_at.elapsed() > Duration::from_secs(10) {
            let log = load.log.lock().unwrap();
            let since: Vec<u16> = log.iter().filter(|o| o.at > freed).map(|o| o.status).collect();
            panic!(
                "writes did not resume once space was freed: {since:?}; {:?}; the server's log: {}",
                load.bad_bodies.lock().unwrap(),
                s.log.lock().unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (acked, log, bad_bodies) = load.stop().await;

    let count = |status: u16| log.iter().filter(|o| o.status == status).count();
    let (ok, refused) = (count(201), count(507));
    println!(
        "faults: SQLite's disk filled under 4 writers: writes refused with 507 within {} ms; acknowledged \
         again {} ms after space was freed; writes: {ok} acknowledged, {refused} refused with 507, {} other",
        ms(refused_after),
        ms(writes_again),
        log.len() - ok - refused,
    );
    let others: Vec<_> = log.iter().filter(|o| o.status != 201 && o.status != 507).collect();
    assert!(others.is_empty(), "only 201 or 507, never a 500 or a dropped connection: {others:?}");
    assert!(bad_bodies.is_empty(), "each refusal carries its JSON error: {bad_bodies:?}");
    every_acknowledged_need_is_there(&s, &acked).await;
    assert!(!s.log.lock().unwrap().contains("panicked"), "no panic in the server's log");
    let file = s.db.url.strip_prefix("sqlite://").unwrap().to_owned();
    drop(s);
    let out = Command::new("sqlite3").arg(&file).arg("PRAGMA integrity_check").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok", "{}", String::from_utf8_lossy(&out.stderr));
}
