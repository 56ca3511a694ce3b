//! The outbox's sender against an SMS gateway that fails: a community's notice tells every
//! household in it, the gateway answers its first posts 500 (tried again with back-off), and the server is killed
//! (SIGKILL) while it sends and started again. In the end every message is settled, every message
//! marked sent reached the gateway under its own idempotency key, and none is lost.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{self, Server};

/// What the fake gateway saw: each post's idempotency key, in order.
#[derive(Default)]
struct Seen {
    keys: Vec<String>,
}

/// A gateway on a local port: one request a connection; the first `failing` posts get 500.
async fn gateway(failing: usize) -> (String, Arc<Mutex<Seen>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let kept = seen.clone();
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (kept, answered) = (kept.clone(), answered.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then as much body as Content-Length says.
                let (head_end, length) = loop {
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while request.len() < head_end + length {
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
                let key = head
                    .lines()
                    .find_map(|l| l.strip_prefix("idempotency-key:"))
                    .map(|k| k.trim().to_owned());
                let n = answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let status = if n < failing { "500 Internal Server Error" } else { "200 OK" };
                if status.starts_with("200") {
                    kept.lock().unwrap().keys.push(key.unwrap_or_default());
                }
                let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

async fn figures(s: &Server) -> Value {
    let admin = s.login("admin").await;
    s.get(&admin, "/api/v1/outbox/figures").await.1
}

#[tokio::test]
async fn no_message_is_lost_to_a_failing_gateway_or_a_crash() {
    let (url, seen) = gateway(40).await;
    let sms = ["--history-days", "0", "--sms", &url];
    let mut s = support::demo_with(support::sqlite(), &sms);
    // A notice to a community: a message to each of its households, written now.
    let grid = s.login("gongzhufu").await;
    let notice = serde_json::json!({"area": "150102001001", "text": "核酸检测 明早7:00 东门"});
    let (status, body) = s.call(reqwest::Method::POST, &grid, "/api/v1/announcements", Some(notice)).await;
    assert_eq!(status, 201, "{body}");
    // Kill the server once the gateway has taken some, mid-stream.
    for _ in 0..300 {
        if seen.lock().unwrap().keys.len() >= 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen.lock().unwrap().keys.len() >= 200, "the sender posts to the gateway");
    let db = std::mem::replace(&mut s.db, support::sqlite());
    unsafe_kill(&s);
    drop(s);
    let s = support::demo_with(db, &sms);

    // Everything settles: nothing queued, nothing failed (500s were tried again).
    let mut total = Value::Null;
    for _ in 0..300 {
        total = figures(&s).await["total"].clone();
        if total["queued"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(total["queued"], 0, "{total}");
    assert_eq!(total["failed"], 0, "{total}");
    let sent = total["sent"].as_i64().unwrap();
    assert!(sent > 0, "{total}");
    // Every message marked sent reached the gateway: its first phone's key is the message's id.
    let keys = seen.lock().unwrap().keys.clone();
    let messages: HashSet<&str> = keys.iter().map(|k| k.split('.').next().unwrap()).collect();
    assert_eq!(messages.len() as i64, sent, "distinct messages the gateway took, against those marked sent");
    // A message the crash cut short is sent again under the same key; none under a new one.
    assert!(keys.len() >= messages.len());
}

/// SIGKILL: no shutdown, no flush.
fn unsafe_kill(s: &Server) {
    let status = std::process::Command::new("kill").args(["-9", &s.pid().to_string()]).status().unwrap();
    assert!(status.success());
}
