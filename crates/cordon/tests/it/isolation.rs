//! 集中隔离 end to end on the demo: the story's index case in the 方舱 and its close contacts in
//! the hotel, a household to a room; a check-in judged by the profile's rule (another household,
//! a case at a hotel, a room being cleaned: refused, naming why); a check-out freeing the room to
//! cleaning until it is marked ready; occupancy counted from the stays on the site, the
//! dashboard and the site's page; a site outside one's areas not there. On both backends.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::support::on_both_backends;

const HOTEL: &str = "QS-JINJIANG";

async fn stays_fill_and_free_rooms(s: &crate::support::Server) {
    let office = s.login("xincheng").await;
    let epi = s.login("epi").await;

    // The demo: occupancy from the stays — the index case in the 方舱 with the story's earlier
    // asymptomatic cases, each isolated by its stay there — and two rooms kept for staff.
    let (status, sites) = s.get(&office, "/api/v1/isolation/sites").await;
    assert_eq!(status, 200, "{sites}");
    let site = |id: &str| sites.as_array().unwrap().iter().find(|x| x["id"] == id).cloned().unwrap();
    let (hotel, cabin) = (site(HOTEL), site("QS-FANGCANG"));
    let (_, cases) = s.get(&epi, "/api/v1/cases?limit=1000").await;
    let isolated = cases.as_array().unwrap().iter().filter(|c| c["outcome"] == "isolated").count();
    assert!(isolated >= 1, "{cases}");
    assert_eq!(
        (cabin["kind"].as_str(), cabin["occupied"].as_i64()),
        (Some("cabin_hospital"), Some(isolated as i64)),
        "{cabin}"
    );
    assert!(hotel["occupied"].as_i64().unwrap() > 0, "{hotel}");
    assert_eq!(hotel["out_of_service"], 2, "{hotel}");
    let (_, legacy) = s.get(&office, "/api/v1/sites").await;
    let listed = legacy.as_array().unwrap().iter().find(|x| x["id"] == HOTEL).unwrap().clone();
    assert_eq!(listed["occupied"], hotel["occupied"], "one count, from the stays: {listed}");

    // Each room holds one household; a family shares a family room.
    let rooms_url = format!("/api/v1/sites/{HOTEL}/rooms");
    let (status, r) = s.get(&office, &rooms_url).await;
    assert_eq!(status, 200, "{r}");
    let rooms = r["rooms"].as_array().unwrap().clone();
    for room in &rooms {
        let households: HashSet<&str> =
            room["occupants"].as_array().unwrap().iter().map(|o| o["household"].as_str().unwrap()).collect();
        assert!(households.len() <= 1, "one household a room: {room}");
        assert!(room["occupied"].as_i64().unwrap() <= room["beds"].as_i64().unwrap(), "{room}");
    }
    // A family room with a bed left: another household may still not share it.
    let taken = rooms
        .iter()
        .find(|r| r["occupied"].as_i64().unwrap() > 1 && r["occupied"].as_i64() < r["beds"].as_i64())
        .expect("a family in a family room, a bed left")
        .clone();
    let taken_label = taken["label"].as_str().unwrap().to_owned();
    let free = |rooms: &[Value]| {
        rooms
            .iter()
            .find(|r| r["state"] == "ready" && r["occupied"] == 0 && r["held"] == 0 && r["beds"] == 1)
            .map(|r| r["label"].as_str().unwrap().to_owned())
    };
    let single = free(&rooms).expect("a free single room");

    // A close contact not placed yet (another case's), checked in by the rule.
    let (_, list) = s.get(&epi, "/api/v1/contacts?active=true&kind=close&limit=5000").await;
    let placed: HashSet<String> = rooms
        .iter()
        .flat_map(|r| {
            r["occupants"].as_array().unwrap().iter().map(|o| o["person_id"].as_str().unwrap().to_owned())
        })
        .collect();
    let contact = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["in_register"] == true && !placed.contains(c["person_id"].as_str().unwrap()))
        .expect("a close contact at home")
        .clone();
    let person = contact["person_id"].as_str().unwrap();
    let stay = |room: &str, guest: &str| json!({ "person_id": person, "site_id": HOTEL, "room": room, "guest": guest, "contact_id": contact["id"] });
    let post = |body: Value| s.call(reqwest::Method::POST, &epi, "/api/v1/stays", Some(body));

    let (status, e) = post(stay(&taken_label, "close_contact")).await;
    assert_eq!(status, 409, "another household's room: {e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("another household"), "{e}");
    let (status, e) =
        post(json!({ "person_id": person, "site_id": HOTEL, "room": single, "guest": "case" })).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("case_id")), "{e}");
    let (status, e) = post(stay("no-such-room", "close_contact")).await;
    assert_eq!(status, 404, "{e}");
    let (status, e) = post(json!({ "person_id": person, "site_id": HOTEL, "room": single, "guest": "close_contact", "contact_id": 999_999 })).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("contact_id")), "{e}");

    let (status, st) = post(stay(&single, "close_contact")).await;
    assert_eq!(status, 201, "{st}");
    assert_eq!(st["planned_out"], contact["plan"]["ends"], "the stay ends with the quarantine: {st}");
    let (status, e) = post(stay(&single, "close_contact")).await;
    assert_eq!(status, 409, "one open stay a person: {e}");
    let (_, seen) = s.get(&epi, &format!("/api/v1/people/{person}")).await;
    assert_eq!(
        (seen["stay"]["site_id"].as_str(), seen["stay"]["room"].as_str()),
        (Some(HOTEL), Some(single.as_str())),
        "{seen}"
    );

    // Out: not before the check-in; the room goes to cleaning and takes nobody until ready.
    let id = st["id"].as_i64().unwrap();
    let out_url = format!("/api/v1/stays/{id}/check-out");
    let out = |body: Value| s.call(reqwest::Method::POST, &epi, &out_url, Some(body));
    let checked_in: chrono::DateTime<chrono::Utc> = st["checked_in_at"].as_str().unwrap().parse().unwrap();
    let before = (checked_in - chrono::Duration::hours(1)).to_rfc3339();
    let (status, e) = out(json!({ "reason": "x", "at": before })).await;
    assert_eq!(status, 409, "{e}");
    let (status, e) = out(json!({ "reason": " " })).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("reason")), "{e}");
    let (status, done) = out(json!({ "reason": "转至方舱" })).await;
    assert_eq!((status, done["out_reason"].as_str()), (200, Some("转至方舱")), "{done}");
    let (status, e) = out(json!({ "reason": "again" })).await;
    assert_eq!(status, 409, "{e}");
    let (status, e) = post(stay(&single, "close_contact")).await;
    assert_eq!(status, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("cleaned"), "{e}");
    let room_url = format!("{rooms_url}/{single}");
    let patch = |who: &str, url: &str, state: &str| {
        let (who, url) = (who.to_owned(), url.to_owned());
        let body = json!({ "state": state });
        async move { s.call(reqwest::Method::PATCH, &who, &url, Some(body)).await }
    };
    let (status, e) = patch(&office, &format!("{rooms_url}/{taken_label}"), "out_of_service").await;
    assert_eq!(status, 409, "an occupied room stays in service: {e}");
    let (status, e) = patch(&epi, &room_url, "ready").await;
    assert_eq!(status, 403, "rooms are the site's managers': {e}");
    let (status, ready) = patch(&office, &room_url, "ready").await;
    assert_eq!((status, ready["state"].as_str()), (200, Some("ready")), "{ready}");
    let (status, st) = post(stay(&single, "close_contact")).await;
    assert_eq!(status, 201, "{st}");

    // 转运方案: someone staying already is not placed again; another contact gets a hotel room
    // by the rule; nothing is written.
    let other = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person_id"].as_str().unwrap())
        .find(|p| *p != person && !placed.contains(*p))
        .expect("another close contact at home");
    let staying = taken["occupants"][0]["person_id"].as_str().unwrap();
    let people = json!({ "people": [
        { "person_id": staying, "guest": "close_contact" },
        { "person_id": other, "guest": "close_contact" },
        { "person_id": "P999999999", "guest": "close_contact" },
    ] });
    let (_, before_plan) = s.get(&office, "/api/v1/isolation/sites").await;
    let (status, plan) = s.call(reqwest::Method::POST, &epi, "/api/v1/transfers/plan", Some(people)).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["placed"].as_array().unwrap().len(), 1, "{plan}");
    assert_eq!(plan["placed"][0]["person_id"], other, "{plan}");
    assert!(plan["placed"][0]["site_id"].as_str().unwrap().starts_with("QS-"), "{plan}");
    let reasons: Vec<&str> =
        plan["unplaced"].as_array().unwrap().iter().map(|u| u["reason"].as_str().unwrap()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("staying at")) && reasons.iter().any(|r| r.contains("no person")),
        "{plan}"
    );
    let (_, after) = s.get(&office, "/api/v1/isolation/sites").await;
    let occupied =
        |v: &Value| v.as_array().unwrap().iter().map(|x| x["occupied"].as_i64().unwrap()).sum::<i64>();
    assert_eq!(occupied(&after), occupied(&before_plan), "a proposal writes nothing");

    // Rooms added: a label twice is refused whole.
    let add = json!({ "rooms": [{ "label": "901", "beds": 2 }, { "label": "902" }] });
    let (status, r) = s.call(reqwest::Method::POST, &office, &rooms_url, Some(add.clone())).await;
    assert_eq!(status, 201, "{r}");
    let (status, e) = s.call(reqwest::Method::POST, &office, &rooms_url, Some(add)).await;
    assert_eq!(status, 409, "{e}");
    let slash = json!({ "rooms": [{ "label": "A/1" }] });
    let (status, e) = s.call(reqwest::Method::POST, &office, &rooms_url, Some(slash)).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("rooms")),
        "a label is part of an address: {e}"
    );

    // The figures: the dashboard's, from the stays; the site's page; outside one's areas, none.
    let admin = s.login("admin").await;
    let (_, d) = s.get(&admin, "/api/v1/dashboard?fresh=true").await;
    let course = &d["today"]["course"];
    assert!(course["in_hotels"].as_i64().unwrap() >= hotel["occupied"].as_i64().unwrap(), "{course}");
    assert!(course["in_cabin_hospitals"].as_i64().unwrap() >= 1, "{course}");
    let web = s.web_login("xincheng").await;
    let page = web.get(format!("{}/sites/{HOTEL}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("id=\"room-{single}\"")) && page.contains("room full"), "{page}");
    let cadre = s.login("cadre").await;
    let (status, e) = s.get(&cadre, &rooms_url).await;
    assert_eq!(status, 404, "a site outside the cadre's compound: {e}");
}

/// 转运 end to end: the demo's family waiting past its deadline climbs to headquarters; a new
/// case in 呼铁佳园C区 is ordered to a free 方舱 bed (a second order, or a hotel, refused); the
/// vehicle's pass opens the compound's gate once and is refused the second time; the arrival
/// checks them in; nothing follows the arrival.
async fn transfers_reach_the_site(s: &crate::support::Server) {
    let epi = s.login("epi").await;
    let admin = s.login("admin").await;
    let cadre = s.login("cadre").await;
    let post = |token: &str, url: &str, body: Value| {
        let (token, url) = (token.to_owned(), url.to_owned());
        async move { s.call(reqwest::Method::POST, &token, &url, Some(body)).await }
    };

    // The demo's waiting family: overdue, and the sweep has climbed it to headquarters.
    s.job_ran(&admin, "transfer_sweep").await;
    let (status, board) = s.get(&epi, "/api/v1/transfers?open=true").await;
    assert_eq!(status, 200, "{board}");
    let waiting = board
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["stage"] == "requested")
        .unwrap_or_else(|| panic!("a family waiting: {board}"))
        .clone();
    assert_eq!(
        (waiting["overdue"].as_bool(), waiting["rung"].as_str()),
        (Some(true), Some("headquarters")),
        "{waiting}"
    );
    assert!(waiting["passengers"][0]["name"].is_string(), "names with view_cases: {waiting}");
    let (_, d) = s.get(&admin, "/api/v1/dashboard?fresh=true").await;
    assert!(d["today"]["course"]["transfers_overdue"].as_i64().unwrap() >= 1, "{d}");

    // A new case in the compound.
    let (_, residents) = crate::support::first_household(s, &epi, "150102001001001").await;
    let mut person = None;
    for id in residents {
        let (_, p) = s.get(&epi, &format!("/api/v1/people/{id}")).await;
        if p["case_id"].is_null() && p["contact_of"].as_array().unwrap().is_empty() && p["stay"].is_null() {
            person = Some(id);
            break;
        }
    }
    let person = person.expect("a resident with no case, contact or stay");
    let sampled = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
    let (status, case) = post(
        &epi,
        "/api/v1/cases",
        json!({"person_id": person, "class": "asymptomatic", "sampled_at": sampled}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let (status, rooms) = s.get(&admin, "/api/v1/sites/QS-FANGCANG/rooms").await;
    assert_eq!(status, 200, "{rooms}");
    let bed = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "ready" && r["occupied"] == 0)
        .expect("a free bed")["label"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = |site: &str, room: &str| {
        json!({
            "site_id": site, "reason": "新增阳性转运",
            "people": [{ "person_id": person, "guest": "case", "room": room, "case_id": case["id"] }],
        })
    };
    let (status, e) = post(&epi, "/api/v1/transfers", order(HOTEL, "801")).await;
    assert_eq!(status, 409, "a case is not placed in a hotel: {e}");
    let (status, t) = post(&epi, "/api/v1/transfers", order("QS-FANGCANG", &bed)).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(
        (t["stage"].as_str(), t["rung"].as_str(), t["overdue"].as_bool()),
        (Some("requested"), Some("district"), Some(false)),
        "{t}"
    );
    let (status, e) = post(&epi, "/api/v1/transfers", order("QS-FANGCANG", &bed)).await;
    assert_eq!(status, 409, "one open order a person: {e}");
    let id = t["id"].as_i64().unwrap();
    let events = format!("/api/v1/transfers/{id}/events");
    let (status, e) = post(&epi, &events, json!({"kind": "arrived"})).await;
    assert_eq!(status, 409, "an arrival follows the pick-up: {e}");
    let (status, e) = post(&epi, &events, json!({"kind": "assigned"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("vehicle")), "{e}");
    let (status, t) = post(&epi, &events, json!({"kind": "assigned", "vehicle": "蒙A·D7121"})).await;
    assert_eq!((status, t["stage"].as_str()), (200, Some("assigned")), "{t}");

    // The pass opens the compound's gate for the vehicle once.
    let (status, detail) = s.get(&admin, &format!("/api/v1/transfers/{id}")).await;
    assert_eq!(status, 200, "{detail}");
    let token = detail["pass_token"].as_str().expect("the pass for those who read passes").to_owned();
    let (_, epi_view) = s.get(&epi, &format!("/api/v1/transfers/{id}")).await;
    assert!(epi_view["pass_token"].is_null(), "no token without a pass right: {epi_view}");
    let (_, gates) = s.get(&cadre, "/api/v1/gates").await;
    let south =
        gates.as_array().unwrap().iter().find(|g| g["name"] == "南门").unwrap()["id"].as_i64().unwrap();
    let gate = format!("/api/v1/gates/{south}/decisions");
    let (status, d) = post(&cadre, &gate, json!({"direction": "out", "pass": token})).await;
    assert_eq!(
        (status, d["outcome"].as_str(), d["rule"].as_str()),
        (200, Some("allowed"), Some("transfer_pass")),
        "{d}"
    );
    let (_, d) = post(&cadre, &gate, json!({"direction": "out", "pass": token})).await;
    assert_eq!(
        (d["outcome"].as_str(), d["rule"].as_str()),
        (Some("refused"), Some("pass_refused")),
        "used once: {d}"
    );
    let (status, e) = post(&admin, "/api/v1/passes", json!({"kind": "transfer", "holder": "x", "area_code": "150102001001001", "valid_until": (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339(), "reason": "x"})).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("kind")),
        "a transfer pass comes with its order: {e}"
    );

    // Picked up, arrived: checked in to the bed held; nothing after but a note.
    let (status, _) = post(&epi, &events, json!({"kind": "picked_up"})).await;
    assert_eq!(status, 200);
    let (status, t) = post(&epi, &events, json!({"kind": "arrived"})).await;
    assert_eq!((status, t["stage"].as_str(), t["due"].is_null()), (200, Some("arrived"), true), "{t}");
    let (_, seen) = s.get(&epi, &format!("/api/v1/people/{person}")).await;
    assert_eq!(
        (seen["stay"]["site_id"].as_str(), seen["stay"]["room"].as_str()),
        (Some("QS-FANGCANG"), Some(bed.as_str())),
        "{seen}"
    );
    let (status, e) = post(&epi, &events, json!({"kind": "cancelled", "reason": "x"})).await;
    assert_eq!(status, 409, "{e}");
    let (status, _) = post(&epi, &events, json!({"kind": "note", "note": "入舱顺利"})).await;
    assert_eq!(status, 200);
    let (_, detail) = s.get(&epi, &format!("/api/v1/transfers/{id}")).await;
    let kinds: Vec<&str> =
        detail["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["requested", "assigned", "picked_up", "arrived", "note"]);

    // The board's page; a cadre without view_cases sees no orders.
    let web = s.web_login("epi").await;
    let page = web.get(format!("{}/transfers/{id}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("蒙A·D7121") && page.contains(&bed), "{page}");
    let (status, _) = s.get(&cadre, "/api/v1/transfers").await;
    assert_eq!(status, 403);
}

on_both_backends!(stays_fill_and_free_rooms);

/// The family waiting for its transfer is an earlier case's: the demo with some history.
mod transfers {
    #[tokio::test]
    async fn on_sqlite() {
        let s = crate::support::demo_with(crate::support::sqlite(), &["--history-days", "10"]);
        super::transfers_reach_the_site(&s).await;
    }

    #[tokio::test]
    async fn on_postgres() {
        if let Some(db) = crate::support::postgres() {
            let s = crate::support::demo_with(db, &["--history-days", "10"]);
            super::transfers_reach_the_site(&s).await;
        }
    }
}
