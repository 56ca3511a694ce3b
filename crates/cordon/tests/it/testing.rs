//! Mass testing end to end on the demo: the seeded round in progress, a lab's file with a
//! positive pool (members held, retests, the zones proposed), single tubes that open a case,
//! the sweep, pooling refused by a sealed zone, bad files named by row, scope and roles — on
//! both backends; and `cordon pool-size` against Dorfman's formula.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, client, cordon};

async fn send(s: &Server, token: &str, kind: &str, name: &str, body: Vec<u8>) -> (u16, Value) {
    let r = client()
        .post(format!("{}/api/v1/{kind}?name={name}", s.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn message(v: &Value) -> String {
    v["error"]["message"].as_str().unwrap_or_default().to_owned()
}

fn now_local() -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(30))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

async fn seeded_round(s: &Server) {
    let admin = s.login("admin").await;
    let (status, rounds) = s.get(&admin, "/api/v1/rounds").await;
    assert_eq!(status, 200, "{rounds}");
    assert_eq!(rounds.as_array().unwrap().len(), 1);
    let (status, d) = s.get(&admin, "/api/v1/rounds/1").await;
    assert_eq!(status, 200, "{d}");
    let t = &d["totals"];
    assert_eq!(t["positive"], 3, "two pools and one retest: {t}");
    assert!(t["sampled"].as_i64().unwrap() > 100 && t["pending"].as_i64().unwrap() > 0, "{t}");
    let pools = d["positive_pools"].as_array().unwrap();
    assert_eq!(pools.len(), 2);
    let held: Vec<bool> = pools
        .iter()
        .map(|p| p["members"].as_array().unwrap().iter().all(|m| m["done_at"].is_null()))
        .collect();
    assert!(held.contains(&true) && held.contains(&false), "one pool held, one retested: {held:?}");
    assert!(t["open_retests"].as_i64().unwrap() > 0);
    // The positive retest opened a case; the pools proposed zones around their members.
    let (_, cases) = s.get(&admin, "/api/v1/cases").await;
    assert_eq!(cases.as_array().unwrap().len(), 6, "five seeded and one from the retest");
    let (_, proposals) = s.get(&admin, "/api/v1/proposals").await;
    assert!(proposals.to_string().contains("混管阳性"), "{proposals}");
    // The sweep lists who was not sampled, door by door, and never a case.
    let (status, sweep) = s.get(&admin, "/api/v1/rounds/1/sweep?limit=50").await;
    assert_eq!(status, 200);
    assert!(sweep["total"].as_i64().unwrap() > 0);
    let addresses: Vec<String> = sweep["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["household"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(addresses.len(), 50);
    // The cadre of a compound keeps its gate, not its testing: the round's figures, its sweep
    // and its tasks (who is held for a retest) are refused.
    let cadre = s.login("cadre").await;
    for url in ["/api/v1/rounds/1", "/api/v1/rounds/1/sweep", "/api/v1/testing-tasks"] {
        assert_eq!(s.get(&cadre, url).await.0, 403, "{url}");
    }
    // A sampler sees only their own: the round is above them, the figures are theirs.
    let sampler = s.login("sampler").await;
    let (status, mine) = s.get(&sampler, "/api/v1/rounds/1").await;
    assert_eq!(status, 200);
    assert!(mine["totals"]["residents"].as_i64().unwrap() <= t["residents"].as_i64().unwrap());
    let (status, _) =
        send(s, &cadre, "results", "results.csv", b"tube_id,result,reported_at\n".to_vec()).await;
    assert_eq!(status, 403, "a cadre sends no results");
}

/// A new round over the street, and the residents of a sealed building door by door.
async fn sealed_people(s: &Server, token: &str) -> (i64, Vec<Value>) {
    let (status, r) = s
        .call(
            Method::POST,
            token,
            "/api/v1/rounds",
            Some(json!({"name": "第四轮", "round_key": "R-test", "area_code": "150102001",
                "deadline": (chrono::Utc::now() + chrono::Duration::hours(20)).to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let round = r["id"].as_i64().unwrap();
    let (_, zones) = s.get(token, "/api/v1/zones").await;
    let sealed = zones
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["tier"] == "sealed" && z["level"] == "building")
        .expect("the demo seals a building")
        .clone();
    let code = sealed["area_code"].as_str().unwrap();
    let (status, sweep) = s.get(token, &format!("/api/v1/rounds/{round}/sweep?area={code}&limit=100")).await;
    assert_eq!(status, 200, "{sweep}");
    (round, sweep["people"].as_array().unwrap().clone())
}

async fn lab_file(s: &Server) {
    let admin = s.login("admin").await;
    let lab = s.login("lab").await;
    let (round, people) = sealed_people(s, &admin).await;
    let a = &people[0];
    let other = people.iter().find(|p| p["household"] != a["household"]).expect("two households");
    let at = now_local();
    let row = |tube: &str, p: &Value| {
        format!("{tube},{},{at},R-test,3号楼门口\n", p["person_id"].as_str().unwrap())
    };
    let head = "tube_id,person_id,collected_at,round_id,site\n";

    // Two households in one tube, in a sealed building: refused, nothing lands.
    let mixed = format!("{head}{}{}", row("X1", a), row("X1", other));
    let (status, e) = send(s, &lab, "samples", "samples.csv", mixed.into_bytes()).await;
    assert_eq!(status, 422, "{e}");
    let m = message(&e);
    assert!(m.contains("samples.csv:2 (tube_id): tube X1 holds people from 2 households"), "{m}");
    assert!(m.contains("nothing was imported"), "{m}");
    // An unknown person and an unknown round, in GB18030 as Excel writes it, named by row.
    let bad = format!(
        "{head}{}Y1,P999999999,{at},R-test,门口\nY2,{},{at},R-nowhere,门口\n",
        row("Y0", a),
        a["person_id"].as_str().unwrap()
    );
    let (gb, _, _) = encoding_rs::GB18030.encode(&bad);
    let (status, e) = send(s, &lab, "samples", "samples.csv", gb.into_owned()).await;
    assert_eq!(status, 422, "{e}");
    let m = message(&e);
    assert!(
        m.contains("samples.csv:4 (round_id): round R-nowhere is not an open round in your areas"),
        "{m}"
    );
    // A file cut off mid-row.
    let cut = format!("{head}{}Z2,{}", row("Z1", a), a["person_id"].as_str().unwrap());
    let (status, e) = send(s, &lab, "samples", "samples.csv", cut.into_bytes()).await;
    assert_eq!(status, 422, "{e}");
    assert!(message(&e).contains("samples.csv:3"), "{e}");

    // A household's own tube is fine in a sealed building; a pooled tube of two elsewhere.
    let household: Vec<&Value> = people.iter().filter(|p| p["household"] == a["household"]).collect();
    let mut good = String::from(head);
    for p in &household {
        good.push_str(&row("H1", p));
    }
    good.push_str(&row("H2", other));
    let (status, added) = send(s, &lab, "samples", "samples.csv", good.clone().into_bytes()).await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["tubes"], 2);
    let (status, again) = send(s, &lab, "samples", "samples.csv", good.into_bytes()).await;
    assert_eq!((status, &again["new"]), (200, &json!(false)), "the same file twice adds nothing");

    // The lab's results: the household's tube is positive, the other negative.
    let t = now_local();
    let results = format!("tube_id,result,reported_at,lab\nH1,阳性,{t},金域\nH2,negative,{t},金域\n");
    let (status, r) = send(s, &lab, "results", "results.csv", results.clone().into_bytes()).await;
    assert_eq!(status, 200, "{r}");
    let size = household.len() as i64;
    if size > 1 {
        assert_eq!((r["held"].as_i64(), r["positive_pools"].clone()), (Some(size), json!(["H1"])), "{r}");
        let (_, person) =
            s.get(&admin, &format!("/api/v1/people/{}", a["person_id"].as_str().unwrap())).await;
        assert_eq!(person["testing"]["held"], true, "{person}");
    } else {
        assert_eq!(r["cases_opened"].as_array().unwrap().len(), 1, "a single tube opens a case: {r}");
    }
    // A second result for a tube, an unknown tube: named, nothing changed.
    let (status, e) = send(
        s,
        &lab,
        "results",
        "results2.csv",
        format!("tube_id,result,reported_at,lab\nH2,positive,{t},乙\nQ9,negative,{t},乙\n").into_bytes(),
    )
    .await;
    assert_eq!(status, 422);
    let m = message(&e);
    assert!(
        m.contains("results2.csv:2 (tube_id): tube H2 has a result already (negative, from 金域)"),
        "{m}"
    );
    assert!(m.contains("results2.csv:3 (tube_id): tube Q9 was never sampled"), "{m}");
    let (status, again) = send(s, &lab, "results", "results.csv", results.into_bytes()).await;
    assert_eq!((status, &again["new"]), (200, &json!(false)));

    // A sampler records single tubes at the door from a phone: the household's retests.
    if size > 1 {
        let sampler = s.login("sampler").await;
        for (i, p) in household.iter().enumerate() {
            let (status, out) = s
                .call(
                    Method::POST,
                    &sampler,
                    &format!("/api/v1/rounds/{round}/tubes"),
                    Some(json!({"tube_id": format!("S{i}"), "person_ids": [p["person_id"]], "site": "上门"})),
                )
                .await;
            assert_eq!(status, 201, "{out}");
        }
        let mut retest = String::from("tube_id,result,reported_at,lab\n");
        for i in 0..household.len() {
            let result = if i == 0 { "positive" } else { "negative" };
            retest.push_str(&format!("S{i},{result},{},金域\n", chrono::Utc::now().to_rfc3339()));
        }
        let (status, r) = send(s, &lab, "results", "retest.csv", retest.into_bytes()).await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["cases_opened"].as_array().unwrap().len(), 1, "{r}");
        assert_eq!(r["tasks_closed"].as_i64(), Some(size), "{r}");
        let (_, person) =
            s.get(&admin, &format!("/api/v1/people/{}", a["person_id"].as_str().unwrap())).await;
        assert_eq!(person["testing"]["held"], false, "{person}");
        assert!(person["case_id"].is_i64(), "the positive retest is a case: {person}");
    }

    // Closing the round records it in every zone inside the street.
    let (status, closed) = s.call(Method::POST, &admin, &format!("/api/v1/rounds/{round}/close"), None).await;
    assert_eq!(status, 200, "{closed}");
    let (_, zones) = s.get(&admin, "/api/v1/zones").await;
    let id = zones[0]["id"].as_i64().unwrap();
    let (_, z) = s.get(&admin, &format!("/api/v1/zones/{id}")).await;
    assert!(z["history"].to_string().contains("第四轮"), "{z}");
    let (status, _) = s.call(Method::POST, &admin, &format!("/api/v1/rounds/{round}/close"), None).await;
    assert_eq!(status, 409);
}

async fn round_pages(s: &Server) {
    let c = s.web_login("admin").await;
    let page = c.get(format!("{}/rounds", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("第三轮全员核酸"), "{page}");
    let page = c.get(format!("{}/rounds/1", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("混管阳性") && page.contains("原地管控待复核") && page.contains("扫楼名单"),
        "{page}"
    );
    let page = c.get(format!("{}/rounds/1/sweep", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("☐") && page.contains("本轮尚未采样"), "{page}");
    // A lab file through the page's form.
    let form = reqwest::multipart::Form::new().text("kind", "results").part(
        "file",
        reqwest::multipart::Part::bytes(
            b"tube_id,result,reported_at,lab\nNOPE,negative,2022-04-10 10:00:00,x\n".to_vec(),
        )
        .file_name("lab.csv"),
    );
    let token = s.csrf(&c).await;
    let page = c
        .post(format!("{}/rounds/1/upload?csrf={token}", s.base))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("lab.csv:2") && page.contains("NOPE"), "{page}");

    // A sampler's tube with one person mistyped comes back as typed, the person named by their
    // place in the tube, and nothing of the server's files in it; fixed, it is saved.
    let sampler = s.web_login("sampler").await;
    let token = s.csrf(&sampler).await;
    let (_, found) = s.get(&s.login("sampler").await, "/api/v1/people?q=%E7%8E%8B&limit=1").await;
    let someone = found["people"][0]["person_id"].as_str().expect("someone called 王").to_owned();
    let send = |members: String| {
        sampler
            .post(format!("{}/rounds/1/tube", s.base))
            .form(&[
                ("csrf", token.as_str()),
                ("tube_id", "T-KEPT-1"),
                ("person_ids", &members),
                ("site", "东门"),
            ])
            .send()
    };
    let typed = format!("{someone}\nP00000000O1");
    let r = send(typed.clone()).await.unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("第2位（P00000000O1）") && page.contains("T-KEPT-1") && page.contains("东门"),
        "{page}"
    );
    assert!(page.contains(&someone) && !page.contains("/tmp") && !page.contains(".csv"), "{page}");
    let r = send(format!("{someone}\nP999999999")).await.unwrap();
    assert!(r.text().await.unwrap().contains("第2位（P999999999）：登记中查无此人"));
    let r = send(someone.clone()).await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().contains("saved=T-KEPT-1"));
}

crate::support::on_both_backends!(seeded_round, lab_file, round_pages);

#[test]
fn pool_size_is_dorfman() {
    let out = cordon().args(["pool-size", "--prevalence", "0.02", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k = v["pool_size"].as_u64().unwrap() as i32;
    let e = v["tests_per_person"].as_f64().unwrap();
    let dorfman = |k: i32| 1.0 / f64::from(k) + 1.0 - 0.98f64.powi(k);
    assert!((e - dorfman(k)).abs() < 1e-12);
    assert!((1..=20).all(|j| dorfman(j) >= e - 1e-12), "k = {k} is the best");
    assert_eq!(k, 8);
    assert_eq!(v["prevalence"], 0.02);
    let out = cordon().args(["pool-size", "--prevalence", "0.4", "--max-pool", "10"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("pool 1, 1.0000 tests per person"));
    let out = cordon().args(["pool-size", "--prevalence", "1.5"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a proportion"));
}
