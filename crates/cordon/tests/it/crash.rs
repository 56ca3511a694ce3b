//! Crashes, repeatedly, on both backends: the server killed outright (SIGKILL) in the middle of
//! a burst of writes, and an import killed in the middle of a large file. After each kill the
//! database opens, every write the server acknowledged is there, and the import is either all
//! there or not at all; a SQLite file passes `PRAGMA integrity_check`. And a stop asked for
//! (SIGTERM): the request in flight is answered first.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::support::{self, Db, Server, cordon, first_household};

/// Writers raising needs at once until the server stops answering.
const WRITERS: usize = 6;

fn integrity_ok(db: &Db) {
    if let Some(file) = db.url.strip_prefix("sqlite://") {
        let out =
            std::process::Command::new("sqlite3").arg(file).arg("PRAGMA integrity_check").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "ok",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

async fn acknowledged_writes_survive_kills(mut s: Server) {
    for round in 0..3 {
        let grid = s.login("gongzhufu").await;
        let (household, _) = first_household(&s, &grid, "150102001001001").await;
        let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
        let base = s.base.clone();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (acked, base, grid, household) =
                    (acked.clone(), base.clone(), grid.clone(), household.clone());
                tokio::spawn(async move {
                    for i in 0.. {
                        let body = json!({
                            "household_code": household,
                            "category": "medicine",
                            "description": format!("crash round {round}, writer {w}, request {i}"),
                        });
                        let sent = support::client()
                            .post(format!("{base}/api/v1/needs"))
                            .bearer_auth(&grid)
                            .json(&body)
                            .send()
                            .await;
                        // The server is gone: what it answered before is what it promised.
                        let Ok(r) = sent else { break };
                        if r.status() != 201 {
                            break;
                        }
                        let Ok(v) = r.json::<serde_json::Value>().await else { break };
                        acked.lock().unwrap().push(v["need"]["id"].as_i64().unwrap());
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(400 + 300 * round)).await;
        s = tokio::task::spawn_blocking(move || s.crash_and_restart()).await.unwrap();
        for w in writers {
            w.await.unwrap();
        }
        integrity_ok(&s.db);
        let acked = acked.lock().unwrap().clone();
        assert!(acked.len() >= WRITERS, "round {round}: the burst was under way when the server died");
        let grid = s.login("gongzhufu").await;
        for id in &acked {
            let (status, need) = s.call(Method::GET, &grid, &format!("/api/v1/needs/{id}"), None).await;
            assert_eq!(status, 200, "round {round}: need {id} was acknowledged, then lost: {need}");
        }
    }
}

async fn an_import_killed_lands_whole_or_not_at_all(s: Server) {
    let admin = s.login("admin").await;
    let (household, _) = first_household(&s, &admin, "150102").await;
    let rows = 60_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    let mut csv = String::from("person_id,name,id_number,phone,birth_year,sex,household_code,tags\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "crash-{i},压测{i},,,1980,{},{household},\n",
            if i % 2 == 0 { "f" } else { "m" }
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let store = support::connect(&s.db.url).await;
    let before = store.totals().await.unwrap().people;

    let mut landed = false;
    for delay in [100, 300, 700, 1_500, 3_000] {
        let mut child = cordon()
            .args(["import", "people"])
            .arg(&file)
            .args(["--db", &s.db.url])
            .env("CORDON_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let _ = child.kill();
        let _ = child.wait();
        integrity_ok(&s.db);
        let now = store.totals().await.unwrap().people;
        assert!(
            now == before || now == before + rows,
            "killed after {delay} ms: {} of {rows} rows landed",
            now - before
        );
        if now == before + rows {
            landed = true; // it committed before the kill
            break;
        }
    }
    if !landed {
        let out = cordon().args(["import", "people"]).arg(&file).args(["--db", &s.db.url]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(store.totals().await.unwrap().people, before + rows);
    // And the server, which served throughout, still does.
    let (status, _) = s.get(&admin, "/api/v1/people?q=压测59999").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn acknowledged_writes_survive_kills_on_sqlite() {
    acknowledged_writes_survive_kills(support::demo(support::sqlite())).await;
}

#[tokio::test]
async fn acknowledged_writes_survive_kills_on_postgres() {
    if let Some(db) = support::postgres() {
        acknowledged_writes_survive_kills(support::demo(db)).await;
    }
}

#[tokio::test]
async fn an_import_killed_lands_whole_or_not_at_all_on_sqlite() {
    an_import_killed_lands_whole_or_not_at_all(support::demo(support::sqlite())).await;
}

#[tokio::test]
async fn an_import_killed_lands_whole_or_not_at_all_on_postgres() {
    if let Some(db) = support::postgres() {
        an_import_killed_lands_whole_or_not_at_all(support::demo(db)).await;
    }
}

/// SIGTERM while a request is arriving: the server stops taking connections, answers that
/// request in full, writes it, and exits 0.
async fn a_stop_lets_the_request_in_flight_finish(mut s: Server) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let grid = s.login("gongzhufu").await;
    let (household, _) = first_household(&s, &grid, "150102001001001").await;
    let body = json!({"household_code": household, "category": "medicine", "description": "在停机时提交"})
        .to_string();
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/needs HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {grid}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // The request is under way (its head and half its body sent) when the stop is asked for.
    conn.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    conn.write_all(first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kill = std::process::Command::new("kill").args(["-TERM", &s.pid().to_string()]).status().unwrap();
    assert!(kill.success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "a stopping server takes no new connection"
    );
    conn.write_all(rest).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "the request in flight is answered: {answer}");
    let id =
        serde_json::from_str::<serde_json::Value>(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap()["need"]
            ["id"]
            .as_i64()
            .unwrap();
    let status = tokio::task::spawn_blocking(move || {
        let status = s.wait_exit(Duration::from_secs(20));
        (status, s)
    })
    .await
    .unwrap();
    let (status, s) = status;
    assert!(status.success(), "a stop asked for is a clean exit: {status:?}");
    assert!(s.log.lock().unwrap().contains("stopped"), "{}", s.log.lock().unwrap());
    let s = tokio::task::spawn_blocking(move || s.crash_and_restart()).await.unwrap();
    let grid = s.login("gongzhufu").await;
    let (status, need) = s.get(&grid, &format!("/api/v1/needs/{id}")).await;
    assert_eq!(status, 200, "the answered request was written: {need}");
}

#[tokio::test]
async fn a_stop_lets_the_request_in_flight_finish_on_sqlite() {
    a_stop_lets_the_request_in_flight_finish(support::demo(support::sqlite())).await;
}
