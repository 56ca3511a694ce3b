//! Cases end to end on the demo: the seeded chain, tracing with quarantine plans, scans sent to
//! the server and found by the next tracing, notices with the person removed, scope and bad
//! input — on both backends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, client};

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

async fn upload(s: &Server, token: &str, name: &str, csv: &str) -> (u16, Value) {
    let r = client()
        .post(format!("{}/api/v1/scans?name={name}", s.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The server loads its scan index in the background after it starts; tracing waits for it.
async fn index_ready(s: &Server, token: &str) {
    for _ in 0..300 {
        let (status, st) = s.get(token, "/api/v1/scans").await;
        assert_eq!(status, 200, "{st}");
        if st["ready"] == true {
            assert!(st["scans"].as_i64().unwrap() > 10_000, "{st}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the scan index did not load in 30 s");
}

async fn casework(s: &Server) {
    let epi = s.login("epi").await;
    index_ready(s, &epi).await;
    let admin = s.login("admin").await;

    // The seeded chain: case 1 infected 2 and 3, 3 infected 4; 5 stands alone.
    let (status, cases) = s.get(&epi, "/api/v1/cases").await;
    assert_eq!(status, 200, "{cases}");
    // Case 6 is the demo's testing round: a positive single-tube retest of a pooled tube.
    assert_eq!(ids(&cases), [6, 4, 5, 3, 2, 1], "newest sample first");
    let case1 = cases.as_array().unwrap().iter().find(|c| c["id"] == 1).unwrap().clone();
    assert_eq!(case1["class"], "confirmed", "reclassified from asymptomatic");
    assert!(case1["close_contacts"].as_i64().unwrap() > 0);
    let (_, d) = s.get(&epi, "/api/v1/cases/1").await;
    let chain: Vec<i64> = d["chain"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(chain, [1, 2, 3, 4]);
    let kinds: Vec<&str> =
        d["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.starts_with(&["opened", "note", "isolated"]) && kinds.contains(&"reclassified"),
        "{kinds:?}"
    );
    assert_eq!((d["may_manage"].as_bool(), d["may_publish"].as_bool()), (Some(true), Some(false)));

    // Contacts: the household first, each with the 9th edition's plan.
    let (_, contacts) = s.get(&epi, "/api/v1/cases/1/contacts").await;
    let contacts = contacts.as_array().unwrap();
    let household = contacts.iter().find(|c| c["source"] == "household" && c["kind"] == "close").unwrap();
    let plan = &household["plan"];
    assert_eq!(plan["test_dates"].as_array().unwrap().len(), 5, "tests on days 1, 2, 3, 5, 7");
    let starts = chrono::NaiveDate::parse_from_str(plan["starts"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let ends = chrono::NaiveDate::parse_from_str(plan["ends"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!((ends - starts).num_days(), 10, "7 days central + 3 at home");
    let case_people: Vec<&str> =
        cases.as_array().unwrap().iter().map(|c| c["person_id"].as_str().unwrap()).collect();
    assert!(
        contacts.iter().all(|c| !case_people.contains(&c["person_id"].as_str().unwrap())),
        "a case is no contact"
    );
    let secondary = contacts.iter().find(|c| c["kind"] == "secondary").unwrap();
    assert_eq!(secondary["plan"]["central_until"], secondary["plan"]["starts"], "secondary: home only");

    // A person's page says what they are to the outbreak, to those who follow it up only.
    let (_, hp) = s.get(&epi, &format!("/api/v1/people/{}", household["person_id"].as_str().unwrap())).await;
    assert_eq!(hp["contact_of"][0]["case_id"], 1, "{hp}");
    assert!(hp["case_id"].is_null());
    let cadre = s.login("cadre").await;
    let (_, seen) =
        s.get(&cadre, &format!("/api/v1/people/{}", household["person_id"].as_str().unwrap())).await;
    assert_eq!(seen["contact_of"], json!([]), "a cadre is not shown the casework: {seen}");

    // The notice names no one: not the name, the ID, the phone, the flat.
    let notice = d["notices"].as_array().unwrap().iter().find(|n| n["status"] == "draft").unwrap().clone();
    let (_, person) = s.get(&epi, &format!("/api/v1/people/{}", case1["person_id"].as_str().unwrap())).await;
    assert_eq!(person["case_id"], 1);
    let text = format!("{}{}", notice["text_zh"], notice["text_en"]);
    let flat = case1["address"].as_array().unwrap().last().unwrap().as_str().unwrap();
    for private in [case1["name"].as_str().unwrap(), flat, case1["person_id"].as_str().unwrap()] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    assert!(!text.contains(&person["birth_year"].to_string()) && !text.contains("单元"), "{text}");
    assert!(
        text.contains("维多利购物中心") && text.contains("一带"),
        "the crowded mall named, the quiet place not: {text}"
    );
    assert!(notice["generalised"].as_i64().unwrap() >= 1);
    // Headquarters publishes; a draft is published once.
    let publish = format!("/api/v1/cases/1/notices/{}/publish", notice["id"]);
    assert_eq!(s.call(Method::POST, &epi, &publish, None).await.0, 403);
    let (status, n) = s.call(Method::POST, &admin, &publish, None).await;
    assert_eq!((status, n["status"].as_str()), (200, Some("published")), "{n}");
    assert_eq!(s.call(Method::POST, &admin, &publish, None).await.0, 409);

    // A close contact of case 4 tests positive: a new case linked to 4, and no longer a contact.
    let (_, c4) = s.get(&epi, "/api/v1/cases/4/contacts?kind=close").await;
    let next =
        c4.as_array().unwrap().iter().find(|c| c["source"] == "venue" && c["in_register"] == true).unwrap();
    let pid = next["person_id"].as_str().unwrap().to_owned();
    let sampled = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let (status, opened) = s
        .call(
            Method::POST,
            &epi,
            "/api/v1/cases",
            Some(json!({"person_id": pid, "class": "asymptomatic", "sampled_at": sampled, "source_case_id": 4})),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_i64().unwrap();
    let (_, c4) = s.get(&epi, "/api/v1/cases/4/contacts?kind=close").await;
    let was = c4.as_array().unwrap().iter().find(|c| c["person_id"] == pid.as_str()).unwrap();
    assert_eq!(was["status"], "became_case");
    assert_eq!(
        s.call(
            Method::POST,
            &epi,
            "/api/v1/cases",
            Some(json!({"person_id": pid, "class": "confirmed", "sampled_at": sampled}))
        )
        .await
        .0,
        409,
        "a person is a case once"
    );

    // Tracing it finds its household; a scan sent to the server joins the next tracing.
    let trace = format!("/api/v1/cases/{id}/trace");
    let (status, first) = s.call(Method::POST, &epi, &trace, None).await;
    assert_eq!(status, 200, "{first}");
    assert!(first["scans_indexed"].as_i64().unwrap() > 10_000);
    let (_, d) = s.get(&epi, &format!("/api/v1/cases/{id}")).await;
    assert!(d["chain"].as_array().unwrap().iter().any(|e| e["id"] == 4));
    // Where was it? Its latest scan; someone not in the register stood next to it.
    let at = (chrono::Utc::now() - chrono::Duration::hours(30)).to_rfc3339();
    let csv = format!("person_id,venue_id,scanned_at\n{pid},V-TEST-1,{at}\nVISITOR-1,V-TEST-1,{at}\n");
    let (status, up) = upload(s, &epi, "extra.csv", &csv).await;
    assert_eq!((status, up["new"].as_bool()), (200, Some(true)), "{up}");
    let (status, up) = upload(s, &epi, "extra.csv", &csv).await;
    assert_eq!((status, up["new"].as_bool()), (200, Some(false)), "the same file adds nothing: {up}");
    let (_, second) = s.call(Method::POST, &epi, &trace, None).await;
    assert_eq!(second["added"], 1, "{second}");
    assert_eq!(
        second["kept"].as_i64(),
        first["close"].as_i64().map(|c| c + first["secondary"].as_i64().unwrap())
    );
    let (_, contacts) = s.get(&epi, &format!("/api/v1/cases/{id}/contacts")).await;
    let visitor = contacts.as_array().unwrap().iter().find(|c| c["person_id"] == "VISITOR-1").unwrap();
    assert_eq!((visitor["kind"].as_str(), visitor["in_register"].as_bool()), (Some("close"), Some(false)));
    assert_eq!(visitor["venue_id"], "V-TEST-1");

    // Contacts by where they live: what an area's page and its community workers see.
    let (status, here) = s.get(&epi, "/api/v1/contacts?active=true&area=150102001001001").await;
    assert_eq!(status, 200, "{here}");
    let here = here.as_array().unwrap();
    assert!(!here.is_empty());
    assert!(here.iter().all(|c| c["address"].to_string().contains("呼铁佳园C区")), "{here:?}");
    assert_eq!(s.get(&epi, "/api/v1/contacts?area=no-such-area").await.0, 422);

    // Follow-up: placed in a hotel.
    let (status, placed) = s
        .call(
            Method::PATCH,
            &epi,
            &format!("/api/v1/contacts/{}", visitor["id"]),
            Some(json!({"status": "quarantined", "place": "如家酒店 305"})),
        )
        .await;
    assert_eq!((status, placed["status"].as_str()), (200, Some("quarantined")), "{placed}");

    // Bad input, each with a clear error and nothing written.
    let (status, e) =
        upload(s, &epi, "bad.csv", "person_id,venue_id,scanned_at\n,V1,2022-11-20T10:00:00+08:00\n").await;
    assert_eq!(status, 422);
    assert!(e["error"]["message"].as_str().unwrap().contains("bad.csv:2 (person_id): is empty"), "{e}");
    let future = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let (status, e) =
        upload(s, &epi, "future.csv", &format!("person_id,venue_id,scanned_at\nP1,V1,{future}\n")).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("scanned_at")), "{e}");
    let seg = json!({"starts_at": at, "venue_id": "NO-SUCH-VENUE"});
    let (status, e) = s.call(Method::POST, &epi, &format!("/api/v1/cases/{id}/segments"), Some(seg)).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("venue_id")), "{e}");
    let (status, e) = s
        .call(
            Method::POST,
            &epi,
            "/api/v1/cases/1/changes",
            Some(json!({"kind": "link", "source_case_id": 4})),
        )
        .await;
    assert_eq!(status, 422, "a loop in the chain: {e}");
    let (status, _) = s
        .call(
            Method::POST,
            &epi,
            "/api/v1/cases/1/changes",
            Some(json!({"kind": "reclassify", "to": "confirmed"})),
        )
        .await;
    assert_eq!(status, 422, "confirmed already");
    let (status, _) = s
        .call(
            Method::POST,
            &epi,
            "/api/v1/cases",
            Some(json!({"person_id": "NOBODY", "class": "asymptomatic", "sampled_at": sampled})),
        )
        .await;
    assert_eq!(status, 422);

    // Scope: the community worker of 公主府 sees its own cases only; a cadre none.
    let worker = s.login("gongzhufu").await;
    let (status, theirs) = s.get(&worker, "/api/v1/cases").await;
    assert_eq!(status, 200);
    let theirs = ids(&theirs);
    assert!(!theirs.is_empty() && theirs.len() < 6, "{theirs:?}");
    let outside = [4, 5, 3, 2, 1, id].into_iter().find(|c| !theirs.contains(c)).unwrap();
    assert_eq!(s.get(&worker, &format!("/api/v1/cases/{outside}")).await.0, 404);
    assert_eq!(s.call(Method::POST, &worker, "/api/v1/cases/1/trace", None).await.0, 403);
    assert_eq!(s.get(&cadre, "/api/v1/cases").await.0, 403);
    assert_eq!(s.get(&cadre, "/api/v1/chain").await.0, 403);
    let (_, chain) = s.get(&epi, "/api/v1/chain").await;
    assert!(chain["svg"].as_str().unwrap().starts_with("<svg"));
    assert_eq!(chain["clusters"][0]["cases"], 5, "the new case joined the first cluster");
}

async fn case_pages(s: &Server) {
    index_ready(s, &s.login("epi").await).await;
    let c = s.web_login("epi").await;
    let page = c.get(format!("{}/cases", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("传播链") && page.contains("<svg") && page.contains("确诊病例1"), "{page}");
    // A form's POST without the session's token (another site's page) is refused, and changes nothing.
    let r = c.post(format!("{}/cases/5/trace", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let forged = [("csrf", "0".repeat(32))];
    assert_eq!(c.post(format!("{}/cases/5/trace", s.base)).form(&forged).send().await.unwrap().status(), 403);
    let token = s.csrf(&c).await;
    let r = c.post(format!("{}/cases/5/trace", s.base)).form(&[("csrf", token)]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let h = r.headers();
    assert!(h["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    assert_eq!(
        (h["x-content-type-options"].to_str().unwrap(), h["x-frame-options"].to_str().unwrap()),
        ("nosniff", "DENY")
    );
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/cases/5?traced="), "{to}");
    let page = c.get(format!("{}{to}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("流调完成：密接") && page.contains("其中本次新增") && page.contains("集中隔离"),
        "{page}"
    );
    let page = c.get(format!("{}/contacts", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("待转运"), "{page}");
    let page = c.get(format!("{}/areas/150102001001001", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("跟进中") && page.contains("集中隔离"),
        "the compound's page lists its contacts: {page}"
    );
}

crate::support::on_both_backends!(casework, case_pages);
