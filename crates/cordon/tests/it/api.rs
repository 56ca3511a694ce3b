use serde_json::Value;

use crate::support::{self, Server, client, demo};

async fn health_openapi_and_auth_everywhere(s: &Server) {
    let r = client().get(format!("{}/healthz", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let doc: Value =
        client().get(format!("{}/api/openapi.json", s.base)).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/people/{id}"));
    // Every route of the document except login refuses a request without a session, with
    // the JSON error body of formats.md.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            if ["/api/v1/auth/login", "/api/v1/resident/code", "/api/v1/resident/login"]
                .contains(&path.as_str())
            {
                continue;
            }
            let url = format!("{}{}", s.base, path.replace("{code}", "150100").replace("{id}", "P000000001"));
            let r = client().request(method.to_uppercase().parse().unwrap(), &url).send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthorized", "{method} {path}");
            let r = client()
                .request(method.to_uppercase().parse().unwrap(), &url)
                .bearer_auth("0".repeat(64))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "a made-up token: {method} {path}");
        }
    }
}

async fn bad_logins(s: &Server) {
    let login = |body: Value| client().post(format!("{}/api/v1/auth/login", s.base)).json(&body).send();
    let r = login(serde_json::json!({"username": "admin", "password": "wrong"})).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["message"], "wrong username or password");
    let r = login(serde_json::json!({"username": "nobody", "password": "wrong"})).await.unwrap();
    assert_eq!(r.status(), 401);
    let r = login(serde_json::json!({"username": "admin", "password": "x".repeat(1 << 20)})).await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "too_large");
    let r = client()
        .post(format!("{}/api/v1/auth/login", s.base))
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "bad_request");
    // A flood of guesses at one account: after five failures it is refused (429, with when to
    // come back), even with the right password; other accounts are not.
    for _ in 0..4 {
        let r = login(serde_json::json!({"username": "sampler", "password": "guess"})).await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = login(serde_json::json!({"username": "SAMPLER", "password": "guess"})).await.unwrap();
    assert_eq!(r.status(), 401, "the fifth, the name in capitals");
    let r = login(serde_json::json!({"username": "sampler", "password": support::PASSWORD})).await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "too_many_attempts");
    let r = login(serde_json::json!({"username": "lab", "password": support::PASSWORD})).await.unwrap();
    assert_eq!(r.status(), 200, "another account signs in");
    // And the server is still serving.
    assert_eq!(client().get(format!("{}/healthz", s.base)).send().await.unwrap().status(), 200);
}

/// Guesses spread over many names from one address: after 30 failures within the window the
/// address is refused (429) even for a right password, and `X-Forwarded-For` does not move it
/// elsewhere unless the server is told it sits behind a proxy.
async fn a_flood_from_one_address(s: &Server) {
    let login = |name: String, password: &str, forwarded: Option<String>| {
        let mut r = client()
            .post(format!("{}/api/v1/auth/login", s.base))
            .json(&serde_json::json!({"username": name, "password": password}));
        if let Some(f) = forwarded {
            r = r.header("x-forwarded-for", f);
        }
        r.send()
    };
    for i in 0..30 {
        // Each name guessed once, each claiming another address: neither the account's limit
        // nor a header saves the flood.
        let r = login(format!("nobody{i}"), "guess", Some(format!("10.0.0.{i}"))).await.unwrap();
        assert_eq!(r.status(), 401, "guess {i}");
    }
    let r = login("admin".into(), support::PASSWORD, None).await.unwrap();
    assert_eq!(r.status(), 429, "the right password, from the flooding address");
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "too_many_attempts");
    // The web form is the same door.
    let c = client();
    let csrf = s.login_csrf(&c).await;
    let r = c
        .post(format!("{}/login", s.base))
        .form(&[("username", "admin"), ("password", support::PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Sessions opened before go on.
    assert_eq!(client().get(format!("{}/healthz", s.base)).send().await.unwrap().status(), 200);
}

async fn scoped_search_and_audited_reads(s: &Server) {
    let admin = s.login("admin").await;
    let (status, me) = s.get(&admin, "/api/v1/me").await;
    assert_eq!((status, me["role"].as_str()), (200, Some("headquarters")));

    let (status, city) = s.get(&admin, "/api/v1/areas").await;
    assert_eq!(status, 200);
    assert_eq!(city["area"]["name"], "呼和浩特市");
    assert!(city["area"]["residents"].as_i64().unwrap() > 3000);
    assert_eq!(city["children"].as_array().unwrap().len(), 10);

    let (status, found) = s.get(&admin, "/api/v1/people?q=%E7%8E%8B&limit=200").await;
    assert_eq!(status, 200);
    let people = found["people"].as_array().unwrap();
    assert!(!people.is_empty());
    assert!(people.iter().all(|p| p["name"].as_str().unwrap().starts_with('王')));
    assert!(people.iter().all(|p| p["phone"].is_null() || p["phone"].as_str().unwrap().contains("****")));

    // The community worker of 公主府 sees only 公主府's people: a person of the next community is 404.
    let worker = s.login("gongzhufu").await;
    let (_, mine) = s.get(&worker, "/api/v1/people?q=%E7%8E%8B&limit=200").await;
    let mine = mine["people"].as_array().unwrap();
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|p| p["address"][2] == "公主府社区居委会"), "{mine:?}");
    let outsider = people.iter().find(|p| p["address"][2] != "公主府社区居委会").expect("someone elsewhere");
    let id = outsider["person_id"].as_str().unwrap();
    let (status, body) = s.get(&worker, &format!("/api/v1/people/{id}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, _) = s.get(&worker, "/api/v1/areas/150102001002").await;
    assert_eq!(status, 404);

    // A full read: masked ID number, the household, and the read in the audit.
    let (status, person) = s.get(&admin, &format!("/api/v1/people/{id}")).await;
    assert_eq!(status, 200);
    let masked = person["id_number"].as_str().unwrap();
    assert_eq!(masked.len(), 18);
    assert!(masked.starts_with("1501") && masked.contains("**********"));
    let store = support::connect(&s.db.url).await;
    let reads = store.reads_of(&cordon_domain::PersonId::parse(id).unwrap(), 10).await.unwrap();
    assert!(reads.iter().any(|r| r.username == "admin" && r.route == "GET /api/v1/people/{id}"), "{reads:?}");
    assert!(reads.iter().all(|r| r.username != "gongzhufu"), "a refused read reads nothing");

    // Logout ends the token.
    let r = client().post(format!("{}/api/v1/auth/logout", s.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(s.get(&admin, "/api/v1/me").await.0, 401);
}

async fn pages_need_a_session(s: &Server) {
    let c = client();
    let r = c.get(format!("{}/areas/150100", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=/areas/150100");
    let csrf = s.login_csrf(&c).await;
    let r = c
        .post(format!("{}/login", s.base))
        .form(&[
            ("username", "xincheng"),
            ("password", support::PASSWORD),
            ("next", "//evil.example/"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/", "never an open redirect");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let page = c.get(format!("{}/areas/150102", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("新城区") && page.contains("海拉尔东路街道"), "{page}");
    let r = c.get(format!("{}/areas/150103", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 404, "回民区 is outside 新城区's scope");
    let page =
        c.get(format!("{}/people?q=%E7%8E%8B&lang=en", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Find a person") && page.contains("This read has been recorded"));
}

/// A user changes their own password, through the API and through the page: the current one
/// proven, the rule followed, every session ended; a wrong current password counts as a failed
/// sign-in.
async fn own_password_changed(s: &Server) {
    use reqwest::Method;
    let token = s.login("sampler").await;
    let other = s.login("sampler").await;
    let change =
        |current: &str, new: &str| serde_json::json!({"current_password": current, "new_password": new});
    let path = "/api/v1/auth/password";
    let (status, body) =
        s.call(Method::POST, &token, path, Some(change("wrong-password-1", "采样点的新口令-秋天到了"))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("current_password")), "{body}");
    let (status, body) =
        s.call(Method::POST, &token, path, Some(change(support::PASSWORD, "sampler-2026-x"))).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("password")),
        "holds the username: {body}"
    );
    let (status, body) =
        s.call(Method::POST, &token, path, Some(change(support::PASSWORD, support::PASSWORD))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("new_password")), "{body}");
    assert_eq!(s.get(&token, "/api/v1/me").await.0, 200, "a refused change ends nothing");
    let (status, _) =
        s.call(Method::POST, &token, path, Some(change(support::PASSWORD, "采样点的新口令-秋天到了"))).await;
    assert_eq!(status, 204);
    assert_eq!(s.get(&token, "/api/v1/me").await.0, 401, "this session ended");
    assert_eq!(s.get(&other, "/api/v1/me").await.0, 401, "and every other");
    let r = client()
        .post(format!("{}/api/v1/auth/login", s.base))
        .json(&serde_json::json!({"username": "sampler", "password": "采样点的新口令-秋天到了"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The page: a refusal says why, a change signs out.
    let web = s.web_login("lab").await;
    assert!(
        web.get(format!("{}/account", s.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("id=\"password\"")
    );
    let csrf = s.csrf(&web).await;
    let post = |current: &'static str, new: &'static str| {
        let (web, csrf) = (web.clone(), csrf.clone());
        async move {
            web.post(format!("{}/account/password", s.base))
                .form(&[("csrf", csrf.as_str()), ("current_password", current), ("new_password", new)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = post(support::PASSWORD, "woaini1314520").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("guessed first"));
    let r = post(support::PASSWORD, "检测机构的新口令-冬").await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/login"));
    assert_eq!(web.get(format!("{}/account", s.base)).send().await.unwrap().status(), 303, "signed out");

    // Guessing the current password through a stolen session is throttled like a sign-in.
    let token = s.login("epi").await;
    let mut statuses = Vec::new();
    for i in 0..12 {
        let body = change(&format!("guess-number-{i}"), "流调人员的新口令-夏");
        statuses.push(s.call(Method::POST, &token, path, Some(body)).await.0);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { let s = super::demo(super::support::sqlite()); super::$name(&s).await; })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() {
                if let Some(db) = super::support::postgres() { let s = super::demo(db); super::$name(&s).await; }
            })*
        }
    };
}

both!(
    health_openapi_and_auth_everywhere,
    bad_logins,
    a_flood_from_one_address,
    scoped_search_and_audited_reads,
    pages_need_a_session,
    own_password_changed
);

/// Behind a proxy Cordon is told to trust, failed sign-ins count against the address the proxy
/// last added to `X-Forwarded-For` (the client's), not the proxy's own: a flood from one client
/// locks that client out and nobody else behind the same proxy.
async fn behind_a_proxy_the_client_is_counted(s: &Server) {
    let login = |name: String, chain: &str| {
        client()
            .post(format!("{}/api/v1/auth/login", s.base))
            .header("x-forwarded-for", chain)
            .json(&serde_json::json!({"username": name, "password": "guess"}))
            .send()
    };
    // Each name guessed once (no account's own limit is reached); what the client wrote first is
    // its own claim, the proxy's addition last.
    for i in 0..30 {
        let r = login(format!("nobody{i}"), &format!("192.0.2.{i}, 203.0.113.7")).await.unwrap();
        assert_eq!(r.status(), 401, "guess {i}");
    }
    let r = login("somebody".into(), "203.0.113.7").await.unwrap();
    assert_eq!(r.status(), 429, "the flooding client, whatever it claims first");
    // Another client behind the same proxy signs in.
    let r = client()
        .post(format!("{}/api/v1/auth/login", s.base))
        .header("x-forwarded-for", "203.0.113.8")
        .json(&serde_json::json!({"username": "admin", "password": support::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn behind_a_proxy_the_client_is_counted_on_sqlite() {
    let s = support::demo_with(support::sqlite(), &["--history-days", "0", "--behind-proxy"]);
    behind_a_proxy_the_client_is_counted(&s).await;
}
