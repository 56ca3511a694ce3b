//! The leaks found by probing the demo as each role (issue 31), each request replayed: the
//! sign-in redirect, CSRF where a cookie authenticates, hidden characters and times out of
//! bounds in what is sent, a contact changed from outside their areas, personal data cached,
//! and the pass key rotated. (What each role may see of a person is the matrix's: `matrix.rs`.)

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, client, cordon, on_both_backends};

async fn replayed(s: &Server) {
    // 5. The redirect after sign-in: a path on this site, whatever `next` holds.
    for (next, led) in [("/\t/evil.example/x", "/"), ("/\nX", "/"), ("/zones", "/zones")] {
        let c = client();
        let csrf = s.login_csrf(&c).await;
        let r = c
            .post(format!("{}/login", s.base))
            .form(&[
                ("username", "xincheng"),
                ("password", crate::support::PASSWORD),
                ("next", next),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, led), "{next:?}");
    }

    // 6. Login CSRF: a sign-in not from this site's form is refused, and signs no one in.
    let r = client()
        .post(format!("{}/login", s.base))
        .form(&[("username", "xincheng"), ("password", crate::support::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("set-cookie").is_none_or(|c| !c.to_str().unwrap().contains("cordon_session=")));

    // 6. The session cookie on the API: a state change needs the session's token in a header.
    let web = s.web_login("xincheng").await;
    let csrf = s.csrf(&web).await;
    let r = web
        .post(format!("{}/api/v1/auth/logout", s.base))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a cookie-authenticated API call without the token");
    assert_eq!(web.get(format!("{}/zones", s.base)).send().await.unwrap().status(), 200, "still signed in");
    let r = web
        .post(format!("{}/api/v1/auth/logout", s.base))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "with the token it is the user's own call");

    // 6. Any Authorization header does not skip the pages' check while the cookie signs in;
    // another origin (another port of the same host) is refused whatever it sends.
    let web = s.web_login("xincheng").await;
    let csrf = s.csrf(&web).await;
    let r =
        web.post(format!("{}/logout", s.base)).header("authorization", "Basic eDp5").send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = web
        .post(format!("{}/logout", s.base))
        .header("origin", "http://127.0.0.1:1")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "another origin");
    assert_eq!(web.get(format!("{}/zones", s.base)).send().await.unwrap().status(), 200, "still signed in");

    // 7. No cache keeps personal data: pages, API answers, exports.
    let admin = s.login("admin").await;
    for url in ["/people?q=%E7%8E%8B", "/api/v1/people?q=%E7%8E%8B", "/api/v1/exports?list=people"] {
        let r = if url.starts_with("/api/") {
            client().get(format!("{}{url}", s.base)).bearer_auth(&admin).send().await.unwrap()
        } else {
            web.get(format!("{}{url}", s.base)).send().await.unwrap()
        };
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{url}");
    }

    // 7. Times out of bounds and hidden characters in free text are refused, naming the field.
    let (_, zones) = s.get(&admin, "/api/v1/zones").await;
    let zone = zones.as_array().unwrap()[0]["id"].as_i64().unwrap();
    let url = format!("/api/v1/zones/{zone}/events");
    let event = |body: Value| s.call(Method::POST, &admin, &url, Some(body));
    for at in ["0001-01-01T00:00:00Z", "-262143-01-01T00:00:00Z", "9999-01-01T00:00:00Z"] {
        let (status, e) = event(json!({"kind": "round", "all_negative": true, "at": at})).await;
        assert_eq!((status, e["error"]["field"].as_str()), (422, Some("at")), "{at}: {e}");
    }
    for text in ["a\u{0}b", "\u{1b}[2J", "exe.\u{202e}txt"] {
        let (status, e) = event(json!({"kind": "round", "all_negative": true, "note": text})).await;
        assert_eq!((status, e["error"]["field"].as_str()), (422, Some("note")), "{text:?}: {e}");
    }
    let (_, detail) = s.get(&admin, &format!("/api/v1/zones/{zone}")).await;
    assert!(!detail.to_string().contains("0001-01-01"), "nothing half-written: {detail:.300}");

    // 7. A community worker changes the contacts living in their community, not one living
    // elsewhere whom they see because the case is theirs.
    let worker = s.login("gongzhufu").await;
    let (_, cases) = s.get(&worker, "/api/v1/cases").await;
    let mut outsider = None;
    for c in cases.as_array().into_iter().flatten() {
        let (_, contacts) = s.get(&worker, &format!("/api/v1/cases/{}/contacts", c["id"])).await;
        outsider = contacts
            .as_array()
            .into_iter()
            .flatten()
            .find(|k| k["name"].is_null() && k["in_register"] == true)
            .cloned();
        if outsider.is_some() {
            break;
        }
    }
    if let Some(k) = outsider {
        let (status, e) = s
            .call(
                Method::PATCH,
                &worker,
                &format!("/api/v1/contacts/{}", k["id"]),
                Some(json!({"status": "released", "place": ""})),
            )
            .await;
        assert_eq!(status, 403, "{e}");
    }
}

/// Headquarters rotates the pass key: every token read before is refused, offline too.
async fn pass_key_rotates(s: &Server) {
    let admin = s.login("admin").await;
    let (status, passes) = s.get(&admin, "/api/v1/passes").await;
    assert_eq!(status, 200, "{passes}");
    let before = passes[0]["token"].as_str().unwrap().to_owned();
    let out = cordon().args(["keys", "passes", "--db", &s.db.url]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("active passes reissued"), "{said}");
    let public = said.split_whitespace().last().unwrap();
    let out = cordon().args(["verify-pass", "--public-key", public, &before]).output().unwrap();
    assert!(!out.status.success(), "the old token under the new key");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("signature"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

on_both_backends!(replayed, pass_key_rotates);
