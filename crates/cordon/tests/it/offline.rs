//! A gate that decides without the network (离线判定), end to end on the demo: the post a
//! gate's phone keeps (the sealed building's people and nothing about them it does not need,
//! each read audited), passages synced twice and kept once, a pass revoked while the gate was
//! offline shown as a conflict in the answer and in the log, a clock from the future flagged, a
//! gate no longer yours refused without losing the rest, on both backends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, on_both_backends};

const SEALED: &str = "15010200100100103";
const COMPOUND: &str = "150102001001001";

fn at(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339()
}

async fn html(web: &reqwest::Client, s: &Server, path: &str) -> String {
    let r = web.get(format!("{}{path}", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

async fn door_gate(s: &Server, token: &str) -> i64 {
    let (_, gates) = s.get(token, "/api/v1/gates").await;
    gates.as_array().unwrap().iter().find(|g| g["name"] == "单元门").expect("the sealed door's gate")["id"]
        .as_i64()
        .unwrap()
}

async fn sync(s: &Server, token: &str, passages: Value) -> (u16, Value) {
    s.call(Method::POST, token, "/api/v1/gates/passages/offline", Some(json!({ "passages": passages }))).await
}

/// A passage as the phone sends it: decided `minutes` from now by its clock, sent now.
fn offline(id: &str, gate: i64, minutes: i64, body: Value) -> Value {
    let mut p = json!({"id": id, "gate_id": gate, "at": at(minutes), "sent_at": at(0)});
    p.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    p
}

async fn the_post_and_sync(s: &Server) {
    let cadre = s.login("cadre").await;
    let worker = s.login("gongzhufu").await;
    let door = door_gate(s, &cadre).await;

    // What the phone keeps: the sealed building's people with their standing and the rules.
    let (status, post) = s.get(&cadre, &format!("/api/v1/gates/{door}/post")).await;
    assert_eq!(status, 200, "{post}");
    assert_eq!(post["rule"]["tier"], "sealed", "{}", post["rule"]);
    let areas: Vec<&str> = post["areas"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(areas.contains(&SEALED) && areas.contains(&COMPOUND), "{areas:?}");
    assert_eq!(areas.last(), Some(&SEALED), "root first, the gate's own area last: {areas:?}");
    let people = post["people"].as_array().unwrap();
    assert!(!people.is_empty());
    assert!(
        people.iter().all(|p| p["inside"] == true && p["id_hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    let (_, key) = s.get(&cadre, "/api/v1/passes/public-key").await;
    assert_eq!(post["public_key"], key["public_key"]);
    let hours = (chrono::DateTime::parse_from_rfc3339(post["expires_at"].as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(post["issued_at"].as_str().unwrap()).unwrap())
    .num_hours();
    assert_eq!(hours, 12, "the profile's offline hours");
    // Nothing the gate does not need: no ID number, no phone.
    let resident = people[0]["id"].as_str().unwrap().to_owned();
    let store = crate::support::connect(&s.db.url).await;
    let person = store
        .person(&cordon_domain::AreaPath::root(), &cordon_domain::PersonId::parse(&resident).unwrap())
        .await
        .unwrap()
        .unwrap();
    let text = post.to_string();
    for secret in [person.id_number.clone().unwrap(), person.phone.clone().unwrap()] {
        assert!(!text.contains(&secret), "the post carries {secret}");
    }
    // The hash the phone computes of the card's number finds them.
    let salt = post["salt"].as_str().unwrap();
    let hash = cordon_server::gates::id_hash(salt, &person.id_number.clone().unwrap());
    assert!(people.iter().any(|p| p["id_hash"] == hash.as_str() && p["id"] == resident.as_str()));
    // Every person kept on the phone is a read, audited.
    let reads = store.reads_of(&person.person_id, 20).await.unwrap();
    assert!(
        reads.iter().any(|r| r.route == "GET /api/v1/gates/{id}/post" && r.username == "cadre"),
        "{reads:?}"
    );

    // Two passages decided offline, sent, then sent again (the page closed before the answer).
    let out = offline(
        "gate-test-0001",
        door,
        -30,
        json!({"direction": "out", "person": resident,
        "outcome": "refused", "rule": "tier_keeps_in"}),
    );
    let ambulance = offline(
        "gate-test-0002",
        door,
        -20,
        json!({"direction": "in", "subject": "ambulance",
        "note": "120", "outcome": "allowed", "rule": "ambulance"}),
    );
    let (status, first) = sync(s, &cadre, json!([out, ambulance])).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first.as_array().unwrap().iter().map(|r| r["state"].as_str().unwrap()).collect::<Vec<_>>(),
        ["kept", "kept"]
    );
    assert!(first[0]["conflict"].is_null(), "the server agrees: {first}");
    let (_, again) = sync(s, &cadre, json!([out, ambulance])).await;
    assert_eq!(again[0]["state"], "already");
    assert_eq!(again[0]["passage_id"], first[0]["passage_id"]);
    let (_, log) = s.get(&cadre, &format!("/api/v1/gate-log?gate={door}&limit=1000")).await;
    let synced: Vec<&Value> =
        log.as_array().unwrap().iter().filter(|e| !e["received_at"].is_null()).collect();
    assert_eq!(synced.len(), 2, "each passage kept once: {synced:?}");
    let kept = synced.iter().find(|e| e["id"] == first[0]["passage_id"]).unwrap();
    assert_eq!((kept["rule"].as_str(), kept["decided_by"].as_str()), (Some("tier_keeps_in"), Some("cadre")));
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(kept["at"].as_str().unwrap()).unwrap().timestamp(),
        chrono::DateTime::parse_from_rfc3339(out["at"].as_str().unwrap()).unwrap().timestamp(),
        "the log keeps the phone's time"
    );

    // A pass revoked while the gate was offline: the phone let its holder through; the log keeps
    // that, and the server's refusal beside it, for the cadre and the supervisor.
    let (status, pass) = s
        .call(
            Method::POST,
            &worker,
            "/api/v1/passes",
            Some(json!({"kind": "delivery", "holder": "盒马配送", "area_code": COMPOUND,
                "valid_from": at(-60), "valid_until": at(600), "reason": "保供"})),
        )
        .await;
    assert_eq!(status, 201, "{pass}");
    let id = pass["id"].as_str().unwrap();
    let (status, _) = s
        .call(Method::POST, &worker, &format!("/api/v1/passes/{id}/revoke"), Some(json!({"reason": "lost"})))
        .await;
    assert_eq!(status, 200);
    // The courier comes a minute after the revocation; the phone does not know of it yet.
    let let_in = offline(
        "gate-test-0003",
        door,
        0,
        json!({"direction": "in", "pass": pass["token"],
        "outcome": "allowed", "rule": "pass_admits"}),
    );
    // A phone whose clock runs 40 minutes ahead.
    let future = offline(
        "gate-test-0004",
        door,
        40,
        json!({"direction": "in", "subject": "ambulance",
        "outcome": "allowed", "rule": "ambulance"}),
    );
    let elsewhere = offline(
        "gate-test-0005",
        999_999,
        -5,
        json!({"direction": "in", "subject": "ambulance",
        "outcome": "allowed", "rule": "ambulance"}),
    );
    let (status, r) = sync(s, &cadre, json!([let_in, future, elsewhere])).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r[0]["state"], "kept");
    assert_eq!(
        (r[0]["conflict"]["server_outcome"].as_str(), r[0]["conflict"]["server_rule"].as_str()),
        (Some("refused"), Some("pass_refused")),
        "{r}"
    );
    let ahead = r[1]["conflict"]["clock_ahead_minutes"].as_i64().unwrap();
    assert!((38..=40).contains(&ahead), "{r}");
    assert!(r[1]["conflict"]["server_outcome"].is_null(), "an ambulance is let through either way: {r}");
    assert_eq!(r[2]["state"], "refused", "a gate not of the cadre's areas: {r}");
    assert!(r[2]["error"].as_str().unwrap().contains("999999"), "{r}");
    let (_, log) = s.get(&cadre, &format!("/api/v1/gate-log?gate={door}&limit=1000")).await;
    let entry = log.as_array().unwrap().iter().find(|e| e["id"] == r[0]["passage_id"]).unwrap();
    assert_eq!(
        (entry["outcome"].as_str(), entry["conflict"]["server_rule"].as_str()),
        (Some("allowed"), Some("pass_refused"))
    );
    // The supervisor's log page shows it.
    let web = s.web_login("cadre").await;
    let page = html(&web, s, &format!("/gate-log?gate={door}")).await;
    assert!(page.contains("⚠") && page.contains("离线判定"), "{page}");

    // The field console opens with the gate's words and no resident in it.
    let page = html(&web, s, &format!("/gates/{door}/field")).await;
    assert!(page.contains("field-words") && page.contains("/static/field.mjs"), "{page}");
    assert!(!page.contains(&person.name), "the page holds no resident");
}

async fn bad_syncs_and_roles(s: &Server) {
    let cadre = s.login("cadre").await;
    let sampler = s.login("sampler").await;
    let door = door_gate(s, &cadre).await;
    // Too many in one sync: refused whole, nothing kept.
    let many: Vec<Value> = (0..201)
        .map(|i| {
            offline(
                &format!("gate-many-{i:04}"),
                door,
                -1,
                json!({"direction": "in",
            "subject": "ambulance", "outcome": "allowed", "rule": "ambulance"}),
            )
        })
        .collect();
    let (status, e) = sync(s, &cadre, json!(many)).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("passages")), "{e}");
    // A malformed id: that one refused, the other kept.
    let bad = offline(
        "x",
        door,
        -1,
        json!({"direction": "in", "subject": "ambulance", "outcome": "allowed",
        "rule": "ambulance"}),
    );
    let good = offline(
        "gate-good-0001",
        door,
        -1,
        json!({"direction": "in", "subject": "ambulance",
        "outcome": "allowed", "rule": "ambulance"}),
    );
    let (status, r) = sync(s, &cadre, json!([bad, good])).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!((r[0]["state"].as_str(), r[1]["state"].as_str()), (Some("refused"), Some("kept")));
    // An unknown field or rule: the whole request is malformed.
    let (status, e) = sync(
        s,
        &cadre,
        json!([{"id": "gate-bad-00001", "gate_id": door, "at": at(0),
        "sent_at": at(0), "direction": "in", "outcome": "allowed", "rule": "no_such_rule"}]),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("no_such_rule"), "{e}");
    let (_, log) = s.get(&cadre, &format!("/api/v1/gate-log?gate={door}&limit=1000")).await;
    let synced = log.as_array().unwrap().iter().filter(|e| !e["received_at"].is_null()).count();
    assert_eq!(synced, 1, "only the good one of all these was kept");
    // Someone who does not keep a gate neither keeps its post nor syncs.
    let (status, _) = s.get(&sampler, &format!("/api/v1/gates/{door}/post")).await;
    assert_eq!(status, 403);
    let (status, _) = sync(s, &sampler, json!([good])).await;
    assert_eq!(status, 403);
    // Signed out: nothing.
    let (status, _) = s.get("", &format!("/api/v1/gates/{door}/post")).await;
    assert_eq!(status, 401);

    // What a phone installs from, open to it before anyone signs in: the manifest, and the
    // service worker named by the files it keeps, every one of them served here.
    let c = crate::support::client();
    let manifest: Value =
        c.get(format!("{}/manifest.webmanifest", s.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (manifest["start_url"].as_str(), manifest["display"].as_str()),
        (Some("/gates"), Some("standalone"))
    );
    let sw = c.get(format!("{}/sw.js", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!sw.contains("__VERSION__") && sw.contains("cordon-static-"), "{sw:.300}");
    let files = sw.split("const FILES = [").nth(1).unwrap().split("];").next().unwrap();
    for path in files.split(',').map(|f| f.trim().trim_matches('\'')).filter(|f| !f.is_empty()) {
        let r = c.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}, kept by the service worker");
    }
}

/// The sweep's doors recorded on a phone without the network: each kept once, each on its own.
async fn doors_synced_once(s: &Server) {
    let worker = s.login("gongzhufu").await;
    let cadre = s.login("cadre").await;
    let (status, list) = s.get(&worker, &format!("/api/v1/rounds/1/sweep?area={COMPOUND}&limit=50")).await;
    assert_eq!(status, 200, "{list}");
    let people = list["people"].as_array().unwrap();
    let (away, done) = (people[0]["person_id"].as_str().unwrap(), people[1]["person_id"].as_str().unwrap());
    let was = people[0]["not_home"].as_i64().unwrap();
    let door = |id: &str, outcome: &str, person: &str| json!({"id": id, "at": at(-10), "sent_at": at(0), "outcome": outcome, "person_id": person});
    let send = |doors: Value| {
        let worker = worker.clone();
        async move {
            s.call(Method::POST, &worker, "/api/v1/rounds/1/sweep/offline", Some(json!({ "doors": doors })))
                .await
        }
    };
    let batch = json!([
        door("door-test-0001", "not_home", away),
        door("door-test-0002", "sampled", done),
        door("door-test-0003", "refused", done),
        door("door-test-0004", "found", done),
        door("x", "not_home", away),
        door("door-test-0005", "not_home", "P999999999"),
    ]);
    let (status, r) = send(batch.clone()).await;
    assert_eq!(status, 200, "{r}");
    let states: Vec<&str> = r.as_array().unwrap().iter().map(|x| x["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["kept", "kept", "refused", "refused", "refused", "refused"], "{r}");
    assert!(r[2]["error"].as_str().unwrap().contains("reason"), "a refusal needs its reason: {r}");
    // Sent again (the page closed before the answer): nothing new.
    let (_, again) = send(batch).await;
    assert_eq!((again[0]["state"].as_str(), again[1]["state"].as_str()), (Some("already"), Some("already")));
    assert_eq!(again[0]["visit_id"], r[0]["visit_id"]);
    let (_, list) = s.get(&worker, &format!("/api/v1/rounds/1/sweep?area={COMPOUND}&limit=5000")).await;
    let listed = list["people"].as_array().unwrap();
    assert_eq!(listed.iter().find(|p| p["person_id"] == away).unwrap()["not_home"].as_i64(), Some(was + 1));
    assert!(!listed.iter().any(|p| p["person_id"] == done), "sampled at the door: off the list");
    // Whoever plans the round sees the refused doors, each once.
    let office = s.login("hailaer").await;
    let (status, refused) = s.get(&office, "/api/v1/rounds/1/refusals").await;
    assert_eq!(status, 200, "{refused}");
    let mut ids: Vec<&str> = refused.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["door-test-0003", "door-test-0004", "door-test-0005"], "{refused}");
    assert!(refused.as_array().unwrap().iter().all(|r| r["kind"] == "door" && r["username"] == "gongzhufu"));
    // Too many at once; someone who does not record doors.
    let many: Vec<Value> = (0..201).map(|i| door(&format!("door-many-{i:04}"), "not_home", away)).collect();
    let (status, _) = send(json!(many)).await;
    assert_eq!(status, 422);
    let (status, _) =
        s.call(Method::POST, &cadre, "/api/v1/rounds/1/sweep/offline", Some(json!({"doors": []}))).await;
    assert_eq!(status, 403);
    // The field page holds no resident; the list page leads to it.
    let web = s.web_login("gongzhufu").await;
    let page = html(&web, s, &format!("/rounds/1/sweep/field?area={COMPOUND}")).await;
    assert!(
        page.contains("/static/sweep-field.mjs")
            && !page.contains(list["people"][0]["name"].as_str().unwrap())
    );
    let page = html(&web, s, &format!("/rounds/1/sweep?area={COMPOUND}")).await;
    assert!(
        page.contains(&format!("/rounds/1/sweep/field?area={COMPOUND}")),
        "the sweep list leads to its field page"
    );
}

async fn checks_synced_once(s: &Server) {
    let epi = s.login("epi").await;
    let (status, list) = s.get(&epi, "/api/v1/contacts?active=true&limit=5000").await;
    assert_eq!(status, 200, "{list}");
    let home = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["place"] == "" && c["in_register"] == true)
        .expect("a contact followed at home");
    let id = home["id"].as_i64().unwrap();
    let (_, before) = s.get(&epi, &format!("/api/v1/contacts/{id}")).await;
    let was = before["checks"].as_array().unwrap().len();
    // Taken now: the demo's contacts were traced minutes ago, and a check is never before that.
    let check = |key: &str, contact: i64, t: f64, symptoms: Value| json!({"id": key, "contact_id": contact, "temperature": t, "symptoms": symptoms, "at": at(0), "sent_at": at(0)});
    let batch = json!([
        check("check-test-0001", id, 36.6, json!([])),
        check("check-test-0002", id, 38.1, json!(["cough"])),
        check("check-test-0003", id, 3.66, json!([])),
        check("x", id, 36.6, json!([])),
        check("check-test-0005", 999_999, 36.6, json!([])),
    ]);
    let send = |checks: Value| {
        let epi = epi.clone();
        async move {
            s.call(Method::POST, &epi, "/api/v1/health-checks/offline", Some(json!({ "checks": checks })))
                .await
        }
    };
    let (status, r) = send(batch.clone()).await;
    assert_eq!(status, 200, "{r}");
    let states: Vec<&str> = r.as_array().unwrap().iter().map(|x| x["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["kept", "kept", "refused", "refused", "refused"], "{r}");
    assert!(r[2]["error"].as_str().unwrap().contains("temperature"), "{r}");
    // Sent again (the page closed before the answer): nothing new.
    let (_, again) = send(batch).await;
    assert_eq!((again[0]["state"].as_str(), again[1]["state"].as_str()), (Some("already"), Some("already")));
    assert_eq!(again[0]["check_id"], r[0]["check_id"]);
    let (_, after) = s.get(&epi, &format!("/api/v1/contacts/{id}")).await;
    let checks = after["checks"].as_array().unwrap();
    assert_eq!(checks.len(), was + 2, "{after}");
    assert!(checks.iter().any(|c| c["unwell"] == true), "the fever is kept: {after}");
    // Too many at once; someone who follows no contacts.
    let many: Vec<Value> =
        (0..201).map(|i| check(&format!("check-many-{i:04}"), id, 36.6, json!([]))).collect();
    assert_eq!(send(json!(many)).await.0, 422);
    let sampler = s.login("sampler").await;
    let (status, _) =
        s.call(Method::POST, &sampler, "/api/v1/health-checks/offline", Some(json!({"checks": []}))).await;
    assert_eq!(status, 403);
    // The field page holds no resident; the contacts page leads to it.
    let web = s.web_login("epi").await;
    let page = html(&web, s, "/health-checks/field").await;
    assert!(page.contains("/static/checks-field.mjs") && !page.contains(home["name"].as_str().unwrap()));
    assert!(html(&web, s, "/contacts").await.contains("/health-checks/field"));
}

on_both_backends!(the_post_and_sync, bad_syncs_and_roles, doors_synced_once, checks_synced_once);
