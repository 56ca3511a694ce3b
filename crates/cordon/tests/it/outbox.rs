//! The outbox's sender against an SMS gateway that fails: a community's notice tells every
//! household in it, the gateway answers its first posts 500 (tried again with back-off), and the server is killed
//! (SIGKILL) while it sends and started again. In the end every message is settled, every message
//! marked sent reached the gateway under its own idempotency key, and none is lost. And an
//! `https://` gateway is posted to only once its certificate is trusted: by the system's roots
//! or the deployment's own CA (`--sms-ca`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::support::{self, Server};

/// What the fake gateway saw: each post's idempotency key, in order.
#[derive(Default)]
struct Seen {
    keys: Vec<String>,
}

/// A gateway on a local port: one request a connection; the first `failing` posts get 500.
async fn gateway(failing: usize) -> (String, Arc<Mutex<Seen>>) {
    gateway_on(failing, None).await
}

/// The same gateway, speaking TLS with `tls` when given (its URL then `https://`).
async fn gateway_on(failing: usize, tls: Option<Arc<rustls::ServerConfig>>) -> (String, Arc<Mutex<Seen>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}/sms", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let kept = seen.clone();
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (kept, answered, acceptor) = (kept.clone(), answered.clone(), acceptor.clone());
            tokio::spawn(async move {
                match acceptor {
                    // A client that does not trust the certificate ends the handshake: no post.
                    Some(a) => {
                        if let Ok(tls) = a.accept(socket).await {
                            answer(tls, failing, &kept, &answered).await;
                        }
                    }
                    None => answer(socket, failing, &kept, &answered).await,
                }
            });
        }
    });
    (url, seen)
}

/// Reads one post from `socket` and answers it: 500 while `failing` are not yet answered.
async fn answer(
    mut socket: impl AsyncRead + AsyncWrite + Unpin,
    failing: usize,
    kept: &Mutex<Seen>,
    answered: &std::sync::atomic::AtomicUsize,
) {
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
    let key = head.lines().find_map(|l| l.strip_prefix("idempotency-key:")).map(|k| k.trim().to_owned());
    let n = answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let status = if n < failing { "500 Internal Server Error" } else { "200 OK" };
    if status.starts_with("200") {
        kept.lock().unwrap().keys.push(key.unwrap_or_default());
    }
    let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let _ = socket.write_all(answer.as_bytes()).await;
    let _ = socket.shutdown().await;
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
    // Sent to phones: a worker's message is delivered to their inbox, never to the gateway.
    let kinds = figures(&s).await["kinds"].clone();
    let sent: i64 = kinds
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| !["need_escalated", "need_emergency"].contains(&k["kind"].as_str().unwrap()))
        .map(|k| k["sent"].as_i64().unwrap())
        .sum();
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

/// A CA of the deployment's own and the gateway's certificate it signed for 127.0.0.1: the CA
/// as PEM, and the gateway's TLS configuration.
fn private_ca() -> (String, Arc<rustls::ServerConfig>) {
    cordon_server::install_tls();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap()).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().signed_by(&key, &ca).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    (ca.pem(), Arc::new(config))
}

#[tokio::test]
async fn an_https_gateway_is_posted_to_once_trusted() {
    let (ca, tls) = private_ca();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("gateway-ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let (url, seen) = gateway_on(0, Some(tls)).await;
    assert!(url.starts_with("https://"));

    // Its certificate unknown to the system: nothing is posted, and the messages wait.
    let untrusted = ["--history-days", "0", "--sms", &url];
    let mut s = support::demo_with(support::sqlite(), &untrusted);
    let grid = s.login("gongzhufu").await;
    let notice = serde_json::json!({"area": "150102001001", "text": "核酸检测 明早7:00 东门"});
    let (status, body) = s.call(reqwest::Method::POST, &grid, "/api/v1/announcements", Some(notice)).await;
    assert_eq!(status, 201, "{body}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(seen.lock().unwrap().keys.is_empty(), "a gateway the server cannot verify is sent nothing");
    let total = figures(&s).await["total"].clone();
    assert!(total["queued"].as_i64().unwrap() > 0, "{total}");
    let db = std::mem::replace(&mut s.db, support::sqlite());
    unsafe_kill(&s);
    drop(s);

    // With the deployment's CA: everything queued goes, over TLS.
    let ca_arg = ca_file.display().to_string();
    let trusted = ["--history-days", "0", "--sms", &url, "--sms-ca", &ca_arg];
    let s = support::demo_with(db, &trusted);
    let mut total = Value::Null;
    for _ in 0..400 {
        total = figures(&s).await["total"].clone();
        if total["queued"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!((total["queued"].as_i64(), total["failed"].as_i64()), (Some(0), Some(0)), "{total}");
    assert!(!seen.lock().unwrap().keys.is_empty(), "the gateway took the messages");

    // A CA file that is not one is refused at start, naming the file.
    let bad = dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let out = support::cordon()
        .args(["serve", "--db", &s.db.url, "--listen", "127.0.0.1:0", "--sms", &url, "--sms-ca"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not-a-ca.pem") && err.contains("CERTIFICATE"), "{err}");
}
