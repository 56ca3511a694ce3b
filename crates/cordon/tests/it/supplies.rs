//! 保供 end to end on the demo: the round over 呼铁佳园C区 lists every household once, building
//! by building, the vulnerable first; the cadre marks a door (a closed one is 409, someone
//! without the right 403); the households nothing reached are overdue on the board and leave it
//! once reached; a round the stock cannot cover, or a stock taken below zero, writes nothing.
//! On both backends.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::on_both_backends;

const COMPOUND: &str = "150102001001001";

async fn a_round_reaches_every_door(s: &crate::support::Server) {
    let cadre = s.login("cadre").await;
    let office = s.login("xincheng").await;
    let sampler = s.login("sampler").await;
    let post = |token: &str, url: &str, body: Value| {
        let (token, url) = (token.to_owned(), url.to_owned());
        async move { s.call(reqwest::Method::POST, &token, &url, Some(body)).await }
    };

    // The demo's round: every household of the compound once, the vulnerable first in each list.
    let (status, rounds) = s.get(&cadre, "/api/v1/distributions").await;
    assert_eq!(status, 200, "{rounds}");
    let round = rounds
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area_code"] == COMPOUND)
        .expect("the compound's round")
        .clone();
    let (status, detail) = s.get(&cadre, &format!("/api/v1/distributions/{}", round["id"])).await;
    assert_eq!(status, 200, "{detail}");
    let mut seen = HashSet::new();
    let mut open = Vec::new();
    for b in detail["buildings"].as_array().unwrap() {
        let list = b["deliveries"].as_array().unwrap();
        let flags: Vec<bool> = list.iter().map(|d| d["vulnerable"].as_bool().unwrap()).collect();
        assert!(flags.windows(2).all(|w| w[0] || !w[1]), "the vulnerable first: {b}");
        for d in list {
            assert!(
                seen.insert(d["household"].as_str().unwrap().to_owned()),
                "one delivery a household: {d}"
            );
            if d["outcome"].is_null() {
                open.push(d.clone());
            }
        }
    }
    assert_eq!(seen.len() as i64, round["households"].as_i64().unwrap());
    assert!(!open.is_empty() && round["delivered"].as_i64().unwrap() > 0, "{round}");
    // The first door's call for vegetables was fulfilled by its package, and is resolved.
    let doors =
        detail["buildings"].as_array().unwrap().iter().flat_map(|b| b["deliveries"].as_array().unwrap());
    let fulfilled: Vec<i64> = doors.filter_map(|d| d["fulfilled"].as_i64()).collect();
    assert_eq!(fulfilled.len(), 1, "{detail}");
    let (_, need) = s.get(&cadre, &format!("/api/v1/needs/{}", fulfilled[0])).await;
    assert_eq!(
        (need["need"]["status"].as_str(), need["need"]["category"].as_str()),
        (Some("resolved"), Some("food")),
        "{need}"
    );

    // The board: the households nothing reached in the compound's zones, drawn days ago.
    let (status, board) = s.get(&cadre, "/api/v1/supplies/overdue").await;
    assert_eq!(status, 200, "{board}");
    let before = board["count"].as_i64().unwrap();
    assert!(before > 0, "{board}");
    let (_, d) = s.get(&s.login("admin").await, "/api/v1/dashboard?fresh=true").await;
    assert!(d["today"]["course"]["households_supplies_overdue"].as_i64().unwrap() >= before, "{d}");
    assert!(d["today"]["course"]["deliveries_open"].as_i64().unwrap() >= open.len() as i64, "{d}");

    // A door reached: closed after; off the board.
    let door = &open[0];
    let url = format!("/api/v1/deliveries/{}/outcome", door["id"]);
    let (status, e) = post(&sampler, &url, json!({"outcome": "delivered"})).await;
    assert_eq!(status, 403, "{e}");
    let (status, e) = post(&cadre, &url, json!({"outcome": "left_at_door"})).await;
    assert_eq!(status, 400, "{e}");
    let (status, done) =
        post(&cadre, &url, json!({"outcome": "delivered", "note": "放门口，已电话告知"})).await;
    assert_eq!((status, done["outcome"].as_str()), (200, Some("delivered")), "{done}");
    let (status, e) = post(&cadre, &url, json!({"outcome": "refused"})).await;
    assert_eq!(status, 409, "{e}");
    let (status, e) =
        post(&cadre, "/api/v1/deliveries/999999/outcome", json!({"outcome": "delivered"})).await;
    assert_eq!(status, 404, "{e}");
    let (_, board) = s.get(&cadre, "/api/v1/supplies/overdue").await;
    let listed: Vec<&str> =
        board["households"].as_array().unwrap().iter().map(|h| h["household"].as_str().unwrap()).collect();
    assert!(!listed.contains(&door["household"].as_str().unwrap()), "{board}");
    assert!(board["count"].as_i64().unwrap() <= before);

    // A household asks for food: the round's list shows its request by the door, and the
    // delivery that reaches it resolves it. A refused delivery or another household's request
    // cannot.
    let next = &open[2];
    let (status, need) = post(
        &cadre,
        "/api/v1/needs",
        json!({"household_code": next["household"], "category": "food", "description": "家里没有蔬菜了"}),
    )
    .await;
    assert_eq!(status, 201, "{need}");
    let need_id = need["need"]["id"].as_i64().unwrap();
    let (reader, round_url) = (&cadre, format!("/api/v1/distributions/{}", round["id"]));
    let door_now = |id: Value| {
        let url = round_url.clone();
        async move {
            let (_, detail) = s.get(reader, &url).await;
            let doors = detail["buildings"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|b| b["deliveries"].as_array().unwrap());
            doors.into_iter().find(|d| d["id"] == id).unwrap().clone()
        }
    };
    let listed = door_now(next["id"].clone()).await;
    assert_eq!(listed["open_request"].as_i64(), Some(need_id), "{listed}");
    let url = format!("/api/v1/deliveries/{}/outcome", next["id"]);
    let (status, e) = post(&cadre, &url, json!({"outcome": "refused", "fulfils": need_id})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("fulfils")), "{e}");
    let other = format!("/api/v1/deliveries/{}/outcome", open[3]["id"]);
    let (status, e) = post(&cadre, &other, json!({"outcome": "delivered", "fulfils": need_id})).await;
    assert_eq!(status, 409, "another household's request: {e}");
    let still = door_now(open[3]["id"].clone()).await;
    assert!(still["outcome"].is_null(), "nothing written: {still}");
    let (status, done) = post(&cadre, &url, json!({"outcome": "delivered", "fulfils": need_id})).await;
    assert_eq!((status, done["fulfilled"].as_i64()), (200, Some(need_id)), "{done}");
    let (_, need) = s.get(&cadre, &format!("/api/v1/needs/{need_id}")).await;
    assert_eq!(need["need"]["status"], "resolved", "{need}");

    // Stock: never below zero; a round the stock cannot cover writes nothing.
    let (_, points) = s.get(&office, "/api/v1/supply-points").await;
    let point = points[0]["id"].as_str().unwrap().to_owned();
    let stock = format!("/api/v1/supply-points/{point}/stock");
    let (status, e) =
        post(&office, &stock, json!({"item": "baby_formula", "quantity": -100000, "reason": "x"})).await;
    assert_eq!(status, 409, "{e}");
    let (status, e) =
        post(&cadre, &stock, json!({"item": "baby_formula", "quantity": 10, "reason": "x"})).await;
    assert_eq!(status, 403, "planning is the office's: {e}");
    let (_, all) = s.get(&office, "/api/v1/distributions").await;
    let (status, e) = post(
        &office,
        "/api/v1/distributions",
        json!({"area_code": "150102", "point_id": point, "item": "medicine_kit"}),
    )
    .await;
    assert_eq!(status, 409, "the district's households outnumber the medicine kits: {e}");
    let (_, after) = s.get(&office, "/api/v1/distributions").await;
    assert_eq!(after.as_array().unwrap().len(), all.as_array().unwrap().len());
    // Formula over the whole district reaches the young children only: in the demo's register
    // (its ages are of 2022) that is the baby registered this year, one package.
    let (status, f) = post(
        &office,
        "/api/v1/distributions",
        json!({"area_code": "150102", "point_id": point, "item": "baby_formula"}),
    )
    .await;
    assert_eq!((status, f["households"].as_i64(), f["packages"].as_i64()), (201, Some(1), Some(1)), "{f}");
    let (status, r) = post(
        &office,
        "/api/v1/distributions",
        json!({"area_code": "15010200100100103", "point_id": point, "item": "medicine_kit"}),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    assert!(r["households"].as_i64().unwrap() > 0 && r["open"] == r["households"], "{r}");

    // The pages.
    let web = s.web_login("cadre").await;
    let page = web.get(format!("{}/supplies", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("id=\"overdue\"") && page.contains(&format!("/supplies/rounds/{}", round["id"])),
        "{page}"
    );
    let page = web
        .get(format!("{}/supplies/rounds/{}", s.base, round["id"]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("id=\"delivery-{}\"", open[1]["id"])), "{page}");
}

on_both_backends!(a_round_reaches_every_door);
