//! 消杀清运 end to end on the demo: the index case's pick-up left their home and their
//! building's stairs to disinfect (the stairs done, the home with a team on the way); a task is
//! done once; a place with an open task of the kind is not ordered twice; the compound's sealed
//! building, collected only yesterday, is overdue until the cadre records this morning's
//! collection — which must say the bags of its homes with a case or a contact at home. The
//! dashboard counts both. On both backends.

use serde_json::{Value, json};

use crate::support::on_both_backends;

const COMPOUND: &str = "150102001001001";

async fn a_case_leaves_a_home_to_disinfect_and_sealed_waste_is_collected(s: &crate::support::Server) {
    let office = s.login("xincheng").await;
    let cadre = s.login("cadre").await;
    let sampler = s.login("sampler").await;
    let post = |token: &str, url: &str, body: Value| {
        let (token, url) = (token.to_owned(), url.to_owned());
        async move { s.call(reqwest::Method::POST, &token, &url, Some(body)).await }
    };

    // The index case's pick-up: home and stairs, both from its transfer.
    let (status, tasks) = s.get(&office, "/api/v1/disinfections").await;
    assert_eq!(status, 200, "{tasks}");
    let tasks = tasks.as_array().unwrap();
    let of = |kind: &str| tasks.iter().find(|t| t["kind"] == kind && !t["transfer_id"].is_null());
    let home = of("home").expect("the case's home").clone();
    let stairs = of("stairs").expect("the case's stairs");
    assert!(home["done_at"].is_null() && home["team"] == "新城区消杀一队", "{home}");
    assert!(!stairs["done_at"].is_null(), "{stairs}");
    assert!(home["area_code"].as_str().unwrap().starts_with(stairs["area_code"].as_str().unwrap()));
    let (status, e) = s.get(&sampler, "/api/v1/disinfections").await;
    assert_eq!(status, 403, "{e}");

    // Done once, with how.
    let url = format!("/api/v1/disinfections/{}/done", home["id"]);
    let (status, done) = post(&office, &url, json!({"note": "过氧乙酸喷雾，密闭 1 小时"})).await;
    assert_eq!(status, 200, "{done}");
    assert!(!done["done_at"].is_null() && done["overdue"] == false, "{done}");
    let (status, e) = post(&office, &url, json!({})).await;
    assert_eq!(status, 409, "{e}");
    let (status, e) = post(&office, "/api/v1/disinfections/999999/done", json!({})).await;
    assert_eq!(status, 404, "{e}");

    // By hand: the compound's public areas are ordered already; a building is not.
    let order = |area: &str| json!({"kind": "area", "area_code": area, "reason": "预防性消杀"});
    let (status, e) = post(&office, "/api/v1/disinfections", order(COMPOUND)).await;
    assert_eq!(status, 409, "{e}");
    let (status, e) = post(&cadre, "/api/v1/disinfections", order("15010200100100103")).await;
    assert_eq!(status, 403, "ordering is the office's: {e}");
    let (status, t) = post(&office, "/api/v1/disinfections", order("15010200100100103")).await;
    assert_eq!(status, 201, "{t}");
    let (status, e) = post(&office, "/api/v1/disinfections", order("150105")).await;
    assert_eq!(status, 422, "another district: {e}");

    // Waste: the compound's sealed building, collected yesterday, is overdue.
    let (status, board) = s.get(&cadre, "/api/v1/waste").await;
    assert_eq!(status, 200, "{board}");
    let before = board["overdue"].as_i64().unwrap();
    let building = board["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["overdue"] == true)
        .unwrap_or_else(|| panic!("an overdue building: {board}"))
        .clone();
    let (_, d) = s.get(&s.login("admin").await, "/api/v1/dashboard?fresh=true").await;
    let course = &d["today"]["course"];
    assert!(course["buildings_waste_overdue"].as_i64().unwrap() >= before, "{d}");
    assert!(course["disinfections_open"].as_i64().unwrap() >= 1, "{d}");

    let code = building["building"].as_str().unwrap();
    let apart = building["apart_homes"].as_i64().unwrap();
    assert!(apart > 0, "the demo's sealed building has contacts at home: {building}");
    let collect = |apart_bags: i64, note: &str| json!({"building": code, "team": "环卫二班", "bags": 9, "apart_bags": apart_bags, "note": note});
    let (status, e) = post(&cadre, "/api/v1/waste/collections", collect(0, "")).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "apart_bags", "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("{apart} home")), "{e}");
    let (status, e) = post(&sampler, "/api/v1/waste/collections", collect(3, "")).await;
    assert_eq!(status, 403, "{e}");
    let (status, e) =
        post(&cadre, "/api/v1/waste/collections", json!({"building": COMPOUND, "team": "x", "bags": 1}))
            .await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("building")),
        "a compound is not a building: {e}"
    );
    let (status, c) = post(&cadre, "/api/v1/waste/collections", collect(apart, "")).await;
    assert_eq!(status, 201, "{c}");
    assert_eq!((c["apart_bags"].as_i64(), c["apart_homes"].as_i64()), (Some(apart), Some(apart)), "{c}");
    let (_, board) = s.get(&cadre, "/api/v1/waste").await;
    assert_eq!(board["overdue"].as_i64().unwrap(), before - 1, "{board}");
    let now = board["buildings"].as_array().unwrap().iter().find(|b| b["building"] == code).unwrap().clone();
    assert_eq!(now["overdue"], false, "{now}");

    // The page.
    let web = s.web_login("cadre").await;
    let page = web.get(format!("{}/sanitation", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"waste\"") && page.contains(&format!("id=\"building-{code}\"")), "{page}");
}

on_both_backends!(a_case_leaves_a_home_to_disinfect_and_sealed_waste_is_collected);
