//! 双因素登录 where the server requires it of headquarters: signed in with a password alone,
//! headquarters may only enrol a second factor; once enrolled, every sign-in takes a code, each
//! code counts once, the secret is nowhere in clear, and an operator resets a lost phone.

use reqwest::Method;
use serde_json::{Value, json};
use totp_rs::{Builder, Secret};

use crate::support::{PASSWORD, Server, client, cordon, database_bytes, demo_with, holds, postgres, sqlite};

const ARGS: [&str; 4] = ["--history-days", "0", "--two-factor", "required"];

fn code(secret: &str, at: i64) -> String {
    let t = Builder::new().with_secret(Secret::try_from_base32(secret).unwrap()).build().unwrap();
    t.generate(u64::try_from(at).unwrap()).to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn api_login(s: &Server, body: Value) -> (u16, Value) {
    let r = client().post(format!("{}/api/v1/auth/login", s.base)).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn headquarters_signs_in_with_a_code(s: &Server) {
    // A password alone: a session that may only enrol.
    let admin = s.login("admin").await;
    let (status, e) = s.get(&admin, "/api/v1/zones").await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["error"]["code"], "two_factor_required");
    let (status, me) = s.get(&admin, "/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["two_factor"], false);
    assert_eq!(s.get(&admin, "/metrics").await.0, 403, "the metrics too");
    let web = s.web_login("admin").await;
    let r = web.get(format!("{}/zones", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/two-factor");
    // Other roles go on as before.
    let cadre = s.login("cadre").await;
    assert_eq!(s.get(&cadre, "/api/v1/gates").await.0, 200);

    // The enrolment page shows a QR code and the key.
    let page = web.get(format!("{}/account/two-factor", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<svg") && page.contains("id=\"two-factor-secret\""), "{page:.1500}");

    // Enrolling: a fresh secret, confirmed by a code and the password.
    let (status, setup) = s.call(Method::POST, &admin, "/api/v1/auth/two-factor", None).await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(setup["url"].as_str().unwrap().starts_with("otpauth://totp/Cordon:admin?"), "{setup}");
    let confirm =
        |code: String, password: &str| json!({"secret": secret, "code": code, "password": password});
    let path = "/api/v1/auth/two-factor/confirm";
    let (status, e) = s.call(Method::POST, &admin, path, Some(confirm("000000".into(), PASSWORD))).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "code");
    let (status, e) =
        s.call(Method::POST, &admin, path, Some(confirm(code(&secret, now()), "not-the-password"))).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "password");
    let first = code(&secret, now());
    let (status, e) = s.call(Method::POST, &admin, path, Some(confirm(first.clone(), PASSWORD))).await;
    assert_eq!(status, 204, "{e}");
    // The session that enrolled goes on; a second enrolment is refused.
    assert_eq!(s.get(&admin, "/api/v1/zones").await.0, 200);
    assert_eq!(s.call(Method::POST, &admin, "/api/v1/auth/two-factor", None).await.0, 409);

    // Signing in: the password alone asks for the code; the code that confirmed is spent.
    let (status, e) = api_login(s, json!({"username": "admin", "password": PASSWORD})).await;
    assert_eq!(status, 401, "{e}");
    assert_eq!(e["error"]["code"], "two_factor_code");
    let (status, e) = api_login(s, json!({"username": "admin", "password": PASSWORD, "code": first})).await;
    assert_eq!(status, 401, "{e}");
    assert_eq!(e["error"]["code"], "unauthorized");
    // The next step's code (a clock a step ahead) signs in, once.
    let next = code(&secret, now() + 30);
    let (status, ok) = api_login(s, json!({"username": "admin", "password": PASSWORD, "code": next})).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["user"]["two_factor"], true);
    let token = ok["token"].as_str().unwrap();
    assert_eq!(s.get(token, "/api/v1/zones").await.0, 200);
    let (status, _) = api_login(s, json!({"username": "admin", "password": PASSWORD, "code": next})).await;
    assert_eq!(status, 401, "a code counts once");
    // A wrong password with a code is the wrong password.
    let (status, e) =
        api_login(s, json!({"username": "admin", "password": "wrong-password", "code": "123456"})).await;
    assert_eq!((status, e["error"]["message"].as_str()), (401, Some("wrong username or password")));

    // The web form asks for the code, keeping the name.
    let c = client();
    let csrf = s.login_csrf(&c).await;
    let r = c
        .post(format!("{}/login", s.base))
        .form(&[("username", "admin"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"code-asked\"") && page.contains("value=\"admin\""), "{page:.1500}");

    // The secret is sealed: not in the database in clear.
    assert!(!holds(&database_bytes(&s.db.url), &secret), "the TOTP secret is in the database in clear");

    // A phone lost: the operator resets it; the old sessions end, and the next sign-in enrols again.
    let out = cordon()
        .args(["user", "two-factor", "admin", "--reset", "--db", &s.db.url])
        .env("CORDON_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(s.get(token, "/api/v1/zones").await.0, 401);
    let (status, ok) = api_login(s, json!({"username": "admin", "password": PASSWORD})).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["user"]["two_factor"], false);
    let token = ok["token"].as_str().unwrap();
    assert_eq!(s.get(token, "/api/v1/zones").await.0, 403);
}

#[tokio::test]
async fn headquarters_signs_in_with_a_code_on_sqlite() {
    headquarters_signs_in_with_a_code(&demo_with(sqlite(), &ARGS)).await;
}

#[tokio::test]
async fn headquarters_signs_in_with_a_code_on_postgres() {
    if let Some(db) = postgres() {
        headquarters_signs_in_with_a_code(&demo_with(db, &ARGS)).await;
    }
}
