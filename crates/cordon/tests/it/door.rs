//! 扫楼入户: the sweep team's doors through the API and the pages — not at home (still listed,
//! counted), refused (off the list, with why), someone found registered on the spot and then
//! sampled, the very old planned as home visits — and what a worker meets when a door is wrong:
//! a reason missing, a person outside the round's area, a sampler registering someone. A request
//! refused is refused whole.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, on_both_backends};

/// The community the demo's 网格员 (gongzhufu) keeps, inside the demo round's street.
const COMMUNITY: &str = "150102001001";
/// The next community of the street: inside the round, outside the 网格员's areas.
const NEXT_COMMUNITY: &str = "150102001002";

async fn sweep(s: &Server, token: &str, area: &str) -> Value {
    let (status, body) = s.get(token, &format!("/api/v1/rounds/1/sweep?area={area}&limit=5000")).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn listed<'a>(sweep: &'a Value, id: &str) -> Option<&'a Value> {
    sweep["people"].as_array().unwrap().iter().find(|p| p["person_id"] == id)
}

async fn doors(s: &Server, token: &str, entries: Value) -> (u16, Value) {
    s.call(Method::POST, token, "/api/v1/rounds/1/sweep/outcomes", Some(json!({ "entries": entries }))).await
}

/// The round's doors in the 网格员's community, as the round's page counts them.
async fn figures(s: &Server, token: &str) -> Value {
    let (status, round) = s.get(token, "/api/v1/rounds/1").await;
    assert_eq!(status, 200, "{round}");
    round["doors"].clone()
}

/// How much each figure grew since `before`.
fn grown(now: &Value, before: &Value, figure: &str) -> i64 {
    now[figure].as_i64().unwrap() - before[figure].as_i64().unwrap()
}

async fn doors_through_the_api(s: &Server) {
    let grid = s.login("gongzhufu").await;
    // The demo's own doors of the morning are counted already.
    let before = figures(s, &grid).await;
    assert!(
        before["found"].as_i64().unwrap() >= 1 && before["home_visits"].as_i64().unwrap() >= 1,
        "{before}"
    );
    let list = sweep(s, &grid, COMMUNITY).await;
    let total = list["total"].as_i64().unwrap();
    let people = list["people"].as_array().unwrap();
    assert!(people.len() >= 3, "the demo leaves people to sweep: {list:.500}");
    let id = |i: usize| people[i]["person_id"].as_str().unwrap().to_owned();
    let (away, refusing, third) = (id(0), id(1), id(2));

    // A move out without its reason: the whole request refused, naming the entry and field.
    let (status, body) = doors(
        s,
        &grid,
        json!([{ "person_id": away, "outcome": "not_home" }, { "person_id": third, "outcome": "moved_out" }]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "entries[1].reason", "{body}");
    assert_eq!(listed(&sweep(s, &grid, COMMUNITY).await, &away).unwrap()["not_home"], 0, "nothing written");

    // Someone of the next community: not the 网格员's to record, 404 naming the entry.
    let other = sweep(s, &s.login("admin").await, NEXT_COMMUNITY).await;
    let outsider = other["people"][0]["person_id"].as_str().expect("someone next door").to_owned();
    let (status, body) = doors(s, &grid, json!([{ "person_id": outsider, "outcome": "not_home" }])).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("entries[0]"), "{body}");

    // Not at home, twice; a refusal with its reason.
    for _ in 0..2 {
        let (status, body) = doors(
            s,
            &grid,
            json!([{ "person_id": away, "outcome": "not_home" },
                   { "person_id": refusing, "outcome": "refused", "reason": "称已在单位采过" }]),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(grown(&body["figures"], &before, "refused"), 1, "{body}");
        assert_eq!(grown(&body["figures"], &before, "not_home"), 1, "each person once: {body}");
    }
    let after = sweep(s, &grid, COMMUNITY).await;
    assert!(listed(&after, &refusing).is_none(), "a refusal leaves the list");
    let again = listed(&after, &away).expect("not at home: knocked for again");
    assert_eq!(again["not_home"], 2, "{again}");
    assert!(again["last_visit"].is_string(), "{again}");
    assert_eq!(after["total"].as_i64().unwrap(), total - 1);

    // Someone found at the door, born in 1936: registered on the spot, listed, a home visit.
    let household = people[0]["household"].as_str().unwrap().to_owned();
    let found = json!([{ "outcome": "found", "sampled": false,
        "person": { "household": household, "name": "门后老人", "birth_year": 1936, "sex": "女" } }]);
    let (status, body) = doors(s, &grid, found).await;
    assert_eq!(status, 201, "{body}");
    let new_id = body["registered"][0].as_str().unwrap().to_owned();
    assert!(new_id.starts_with("R-"), "{body}");
    assert_eq!(grown(&body["figures"], &before, "found"), 1, "{body}");
    let with = sweep(s, &grid, COMMUNITY).await;
    assert_eq!(with["total"].as_i64().unwrap(), total, "one found, one refused");
    assert_eq!(listed(&with, &new_id).expect("the person found is on the list")["home_visit"], true);
    let (_, history) = s.get(&grid, &format!("/api/v1/people/{new_id}/history")).await;
    assert!(history.to_string().contains("扫楼入户发现"), "{history}");

    // Sampled by the team: a tube with them in it, and they leave the list.
    let sampler = s.login("sampler").await;
    let tube = json!({ "tube_id": "DOOR-1", "person_ids": [new_id], "site": "上门" });
    let (status, body) = s.call(Method::POST, &sampler, "/api/v1/rounds/1/tubes", Some(tube)).await;
    assert_eq!(status, 201, "{body}");
    assert!(listed(&sweep(s, &grid, COMMUNITY).await, &new_id).is_none(), "sampled: off the list");

    // A sampler records doors, but registers no one: that is the register's keeper's.
    let found = json!([{ "outcome": "found",
        "person": { "household": household, "name": "另一人", "birth_year": 1990, "sex": "male" } }]);
    let (status, body) = doors(s, &sampler, found).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = doors(s, &sampler, json!([{ "person_id": third, "outcome": "sampled" }])).await;
    assert_eq!(status, 201, "{body}");
    // A cadre keeps a gate, not a sweep.
    let cadre = s.login("cadre").await;
    let (status, _) = doors(s, &cadre, json!([{ "person_id": third, "outcome": "not_home" }])).await;
    assert_eq!(status, 403);

    // The round's page of figures counts each outcome.
    let d = figures(s, &grid).await;
    let growth: Vec<i64> =
        ["not_home", "refused", "found", "sampled_at_door"].iter().map(|f| grown(&d, &before, f)).collect();
    assert_eq!(growth, [1, 1, 1, 1], "{d}");
}

/// The list's row forms and the form for someone found, as the 网格员 uses them on a phone.
async fn doors_from_the_pages(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let first = sweep(s, &grid, COMMUNITY).await["people"][0].clone();
    let (id, household) = (first["person_id"].as_str().unwrap(), first["household"].as_str().unwrap());
    let web = s.web_login("gongzhufu").await;
    let url = format!("{}/rounds/1/sweep?area={COMMUNITY}", s.base);
    let page = web.get(&url).send().await.unwrap().text().await.unwrap();
    // Each form carries the page's CSRF token, or a browser's post is refused.
    for form in ["door", "found"] {
        let opened = format!("class=\"{form}\"><input type=\"hidden\" name=\"csrf\"");
        assert!(page.contains(&opened), "the {form} form with its token: {page:.3000}");
    }
    assert!(page.contains(&format!("<option value=\"{household}\">")), "the households to pick from");

    let csrf = s.csrf(&web).await;
    let form = [("csrf", csrf.as_str()), ("person_id", id), ("outcome", "not_home"), ("area", COMMUNITY)];
    let r = web.post(format!("{}/rounds/1/sweep/outcomes", s.base)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("/rounds/1/sweep?area={COMMUNITY}&saved=1")), "{to}");
    let page = web.get(format!("{}{to}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已记录") && page.contains("不在家 1 次"), "{page:.3000}");

    let found = [
        ("csrf", csrf.as_str()),
        ("outcome", "found"),
        ("area", COMMUNITY),
        ("household", household),
        ("name", "门口新面孔"),
        ("birth_year", "1988"),
        ("sex", "male"),
        ("phone", ""),
        ("sampled", "on"),
    ];
    let before = figures(s, &grid).await;
    let r = web.post(format!("{}/rounds/1/sweep/outcomes", s.base)).form(&found).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let after = figures(s, &grid).await;
    assert_eq!((grown(&after, &before, "found"), grown(&after, &before, "sampled_at_door")), (1, 1));

    // A year that is no year: the error page names the field, nothing registered.
    let bad = [
        ("csrf", csrf.as_str()),
        ("outcome", "found"),
        ("household", household),
        ("name", "某"),
        ("birth_year", "八十"),
    ];
    let r = web.post(format!("{}/rounds/1/sweep/outcomes", s.base)).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("birth_year"));
}

on_both_backends!(doors_through_the_api, doors_from_the_pages);
