//! The resident's own channel end to end on the demo, sending to a file: a phone of the sealed
//! building of 呼铁佳园C区 asks for a code and reads it from the outbox file as their SMS; a
//! stranger's phone gets the same answer and no message; a wrong code is refused, the right one
//! opens the household — its sealed zone with the countdown, its members — and nothing else: no
//! staff route answers the resident, no resident route answers staff. A food request from home
//! lands in the community's needs with its owner and deadline, capped per category; a request
//! for someone outside the household is refused. Signing out ends the token. And a zone drawn
//! over a building writes one message per household in it. A relative's phone added by the
//! worker signs in too, and is signed out when removed; the page shows whom to call and the
//! members' passes; an emergency from home reaches the community worker's inbox — on both
//! backends.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{self, Server, client};

const COMPOUND: &str = "150102001001001";

/// Phones registered in households of a sealed building of the story compound (one a
/// household), with the household, read from the store as the demo wrote it.
async fn sealed_phones(s: &Server) -> Vec<(String, String)> {
    let store = support::connect(&s.db.url).await;
    let root = cordon_domain::AreaPath::root();
    let compound =
        store.area(&root, &cordon_domain::AreaCode::parse(COMPOUND).unwrap()).await.unwrap().unwrap();
    let sealed =
        cordon_store::ZoneQuery { include_ended: false, tier: Some(cordon_domain::Tier::Sealed), limit: 20 };
    let mut found = Vec::new();
    for zone in store.zones(&compound.area.path, &sealed).await.unwrap() {
        for household in store.children(&root, &zone.area).await.unwrap() {
            let q = cordon_store::PeopleQuery::Household(household.area.code.clone());
            let people = store.search_people(&root, &q, 20).await.unwrap();
            if let Some(phone) = people.into_iter().find_map(|p| p.phone) {
                found.push((phone, household.area.code.as_str().to_owned()));
            }
        }
    }
    assert!(found.len() >= 2, "the demo seals a building of {COMPOUND} with residents who have phones");
    found
}

/// The lines of the outbox file, once one matches `wanted` (the sender runs every second).
async fn wait_line(path: &std::path::Path, wanted: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) =
            text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|l| wanted(l))
        {
            return line;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no such message in {} within 10 s", path.display());
}

/// The six digits of a sign-in code's text message.
fn code_in(sms: &Value) -> String {
    let text = sms["text"].as_str().unwrap();
    let at = text.find("验证码为").expect("the code in the text") + "验证码为".len();
    let code: String = text[at..].chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{text}");
    code
}

async fn post(s: &Server, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
    let mut r = client().post(format!("{}{path}", s.base)).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn a_resident_signs_in_and_asks_from_home(s: &Server, outbox: &std::path::Path) {
    let phones = sealed_phones(s).await;
    let (phone, household) = phones[0].clone();

    // The same answer for a registered phone and a stranger's; only the resident is texted.
    let (status, asked) = post(s, None, "/api/v1/resident/code", json!({"phone": phone})).await;
    assert_eq!((status, asked["status"].as_str()), (202, Some("sent")), "{asked}");
    let (status, stranger) = post(s, None, "/api/v1/resident/code", json!({"phone": "13700000000"})).await;
    assert_eq!((status, stranger["status"].as_str()), (202, Some("sent")), "{stranger}");
    let (status, again) = post(s, None, "/api/v1/resident/code", json!({"phone": phone})).await;
    assert_eq!((status, again["status"].as_str()), (202, Some("wait")), "{again}");
    let (status, bad) = post(s, None, "/api/v1/resident/code", json!({"phone": "12"})).await;
    assert_eq!((status, bad["error"]["field"].as_str()), (422, Some("phone")), "{bad}");

    let sms = wait_line(outbox, |l| l["to"] == phone.as_str() && l["kind"] == "sign_in_code").await;
    let code = code_in(&sms);
    assert!(sms["id"].is_string() && sms["created_at"].is_string(), "{sms}");
    let lines = std::fs::read_to_string(outbox).unwrap();
    assert!(!lines.contains("13700000000"), "a stranger's phone is never texted");

    // A wrong code, then the right one.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body) =
        post(s, None, "/api/v1/resident/login", json!({"phone": phone, "code": wrong})).await;
    assert_eq!(status, 401, "{body}");
    let (status, login) =
        post(s, None, "/api/v1/resident/login", json!({"phone": phone, "code": code})).await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["household_code"], household.as_str());
    let token = login["token"].as_str().unwrap().to_owned();

    // The household: its sealed zone with the countdown, its members.
    let (status, home) = s.get(&token, "/api/v1/resident/household").await;
    assert_eq!(status, 200, "{home}");
    assert_eq!(home["household_code"], household.as_str());
    assert_eq!(home["zone"]["tier"], "sealed", "{home}");
    assert!(home["zone"]["earliest_step_down"].is_string(), "{home}");
    assert!(!home["zone"]["blockers_zh"].as_array().unwrap().is_empty(), "{home}");
    assert!(!home["members"].as_array().unwrap().is_empty(), "{home}");
    assert!(home["address"].as_str().unwrap().contains("呼铁佳园C区"), "{home}");
    let member = home["members"][0]["person_id"].as_str().unwrap().to_owned();

    // Nothing else: no staff route answers a resident, no resident route answers staff.
    for path in
        ["/api/v1/people?name=王", "/api/v1/needs", "/api/v1/me", "/api/v1/zones", "/api/v1/outbox/figures"]
    {
        let (status, body) = s.get(&token, path).await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    // Every route of the table: a resident's token opens only the resident's routes.
    for need in cordon_server::route_needs() {
        if matches!(need.need, cordon_domain::Need::Open | cordon_domain::Need::Resident)
            || !need.path.starts_with("/api/")
        {
            continue;
        }
        let url = support::any_object(need.path);
        let (status, body) = s.call(need.method.parse().unwrap(), &token, &url, Some(json!({}))).await;
        assert_eq!(status, 403, "{} {url}: {body}", need.method);
    }
    let admin = s.login("admin").await;
    assert_eq!(s.get(&admin, "/api/v1/resident/household").await.0, 403);
    assert_eq!(
        client().get(format!("{}/api/v1/resident/household", s.base)).send().await.unwrap().status(),
        401
    );

    // A food request from home: the community's needs, with an owner and a deadline.
    let food = json!({"category": "food", "description": "家里没有米和菜了", "person_id": member});
    let (status, raised) = post(s, Some(&token), "/api/v1/resident/requests", food.clone()).await;
    assert_eq!(status, 201, "{raised}");
    let need = &raised["need"];
    assert_eq!(need["household_code"], household.as_str());
    assert!(need["due"].is_string(), "{need}");
    assert!(need["owner_worker"].is_string() || need["rung"] == "community", "{need}");
    let id = need["id"].as_i64().unwrap();
    let grid = s.login("gongzhufu").await;
    let (_, board) = s.get(&grid, "/api/v1/needs").await;
    assert!(board.as_array().unwrap().iter().any(|n| n["id"] == id), "the community sees it");
    let (_, mine) = s.get(&token, "/api/v1/resident/requests").await;
    assert!(mine.as_array().unwrap().iter().any(|n| n["id"] == id), "{mine}");
    // The worker acknowledges it: the household is told, and sees it on its page.
    let ack = json!({"action": "acknowledge"});
    let (status, d) = s.call(Method::POST, &grid, &format!("/api/v1/needs/{id}/actions"), Some(ack)).await;
    assert_eq!(status, 200, "{d}");
    let told = wait_line(outbox, |l| l["kind"] == "need_acknowledged" && l["to"] == phone.as_str()).await;
    assert!(told["text"].as_str().unwrap().contains("已受理"), "{told}");
    let (_, mine) = s.get(&token, "/api/v1/resident/requests").await;
    let acknowledged = mine.as_array().unwrap().iter().find(|n| n["id"] == id).unwrap();
    assert_eq!(acknowledged["status"], "acknowledged", "{acknowledged}");
    // Its timeline: when, and what — not who, nor the workers' notes.
    let (status, detail) = s.get(&token, &format!("/api/v1/resident/requests/{id}")).await;
    assert_eq!(status, 200, "{detail}");
    let steps: Vec<&str> =
        detail["steps"].as_array().unwrap().iter().map(|x| x["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["created", "acknowledged"], "{detail}");
    assert!(detail["steps"][1].get("by").is_none(), "{detail}");
    // Another household's request is not theirs to read.
    let (_, board) = s.get(&grid, "/api/v1/needs").await;
    let other = board.as_array().unwrap().iter().find(|n| n["household_code"] != household.as_str()).unwrap();
    let (status, _) = s.get(&token, &format!("/api/v1/resident/requests/{}", other["id"])).await;
    assert_eq!(status, 404);

    // A notice the community worker posts to the compound: on the household's page and texted.
    let notice = json!({"area": COMPOUND, "text": "核酸检测 明早7:00 东门", "text_en": "Testing at 7:00 tomorrow, east gate"});
    let (status, posted) = s.call(Method::POST, &grid, "/api/v1/announcements", Some(notice)).await;
    assert_eq!(status, 201, "{posted}");
    assert!(posted["households"].as_i64().unwrap() > 0, "{posted}");
    let (_, notices) = s.get(&token, "/api/v1/resident/notices").await;
    assert_eq!(notices[0]["text"], "核酸检测 明早7:00 东门", "{notices}");
    let texted = wait_line(outbox, |l| l["kind"] == "announcement" && l["to"] == phone.as_str()).await;
    assert!(texted["text"].as_str().unwrap().contains("明早7:00"), "{texted}");
    // Outside the poster's areas, or to one household: refused, naming the field.
    let (status, body) = s
        .call(Method::POST, &grid, "/api/v1/announcements", Some(json!({"area": "150105", "text": "x"})))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("area")), "{body}");
    let (status, body) = s
        .call(Method::POST, &grid, "/api/v1/announcements", Some(json!({"area": household, "text": "x"})))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("area")), "{body}");
    // Headquarters sees what was posted where.
    let (_, all) = s.get(&admin, "/api/v1/announcements").await;
    assert!(all.as_array().unwrap().iter().any(|n| n["id"] == posted["id"]), "{all}");

    // Capped per category while open; someone outside the household is refused.
    for _ in 0..2 {
        assert_eq!(post(s, Some(&token), "/api/v1/resident/requests", food.clone()).await.0, 201);
    }
    let (status, capped) = post(s, Some(&token), "/api/v1/resident/requests", food).await;
    assert_eq!((status, capped["error"]["code"].as_str()), (409, Some("conflict")), "{capped}");
    let outsider = json!({"category": "medicine", "description": "降压药", "person_id": "R-NOBODY-1"});
    let (status, body) = post(s, Some(&token), "/api/v1/resident/requests", outsider).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("person_id")), "{body}");

    // Signing out ends the token.
    let r =
        client().post(format!("{}/api/v1/resident/logout", s.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(s.get(&token, "/api/v1/resident/household").await.0, 401);

    // A neighbour signs in; a worker of the household's areas ends its residents' sessions.
    let (phone, household) = phones[1].clone();
    assert_eq!(post(s, None, "/api/v1/resident/code", json!({"phone": phone})).await.0, 202);
    let sms = wait_line(outbox, |l| l["to"] == phone.as_str() && l["kind"] == "sign_in_code").await;
    let code = code_in(&sms);
    let (status, login) =
        post(s, None, "/api/v1/resident/login", json!({"phone": phone, "code": code})).await;
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    assert_eq!(s.get(&token, "/api/v1/resident/household").await.0, 200);
    let revoke = json!({"household": household});
    let lab = s.login("lab").await;
    let (status, _) =
        s.call(Method::POST, &lab, "/api/v1/resident-sessions/revoke", Some(revoke.clone())).await;
    assert_eq!(status, 403, "a lab does not handle needs");
    let (status, body) = s
        .call(Method::POST, &grid, "/api/v1/resident-sessions/revoke", Some(json!({"household": "150105"})))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("household")), "{body}");
    let (status, ended) = s.call(Method::POST, &grid, "/api/v1/resident-sessions/revoke", Some(revoke)).await;
    assert_eq!((status, ended["ended"].as_u64()), (200, Some(1)), "{ended}");
    assert_eq!(s.get(&token, "/api/v1/resident/household").await.0, 401);
}

async fn a_zone_tells_each_household(s: &Server, outbox: &std::path::Path) {
    let admin = s.login("admin").await;
    let building = "15010200100100101";
    let (_, area) = s.get(&admin, &format!("/api/v1/areas/{building}")).await;
    let households: Vec<String> =
        area["children"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_owned()).collect();
    assert!(!households.is_empty(), "{area}");
    let drawn_before = |f: &Value| {
        f["kinds"].as_array().unwrap().iter().find(|k| k["kind"] == "zone_drawn").map_or(0, |k| {
            ["queued", "sent", "failed", "unreachable", "expired"]
                .iter()
                .map(|s| k[s].as_i64().unwrap())
                .sum::<i64>()
        })
    };
    let (status, before) = s.get(&admin, "/api/v1/outbox/figures").await;
    assert_eq!(status, 200, "{before}");
    let (status, drawn) = s
        .call(
            Method::POST,
            &admin,
            "/api/v1/zones",
            Some(json!({"area_code": building, "tier": "sealed", "reason": "测试"})),
        )
        .await;
    assert_eq!(status, 201, "{drawn}");
    let (_, after) = s.get(&admin, "/api/v1/outbox/figures").await;
    assert_eq!(drawn_before(&after) - drawn_before(&before), households.len() as i64, "{after}");
    // Sent to the households' phones, in the words of the change.
    let line = wait_line(outbox, |l| l["kind"] == "zone_drawn").await;
    assert!(line["text"].as_str().unwrap().contains("封控区"), "{line}");
    // Headquarters only: a community worker does not read the outbox's figures.
    let grid = s.login("gongzhufu").await;
    assert_eq!(s.get(&grid, "/api/v1/outbox/figures").await.0, 403);
}

/// A household reached through a relative's phone, added by its worker with the reason: the
/// relative signs in, sees whom to call (the posts' duty lines, no one's own phone) and, after
/// an emergency from home, the member's green-channel pass with its QR; the community worker is
/// told of the emergency in their inbox, with the count in the top bar; removing the phone signs
/// the relative out. The sign-in form answers only the browser that loaded it.
async fn relatives_passes_and_inboxes(s: &Server, outbox: &std::path::Path) {
    let (_, household) = sealed_phones(s).await[0].clone();
    let grid = s.login("gongzhufu").await;
    let relative = "13712345678";
    let path = format!("/api/v1/households/{household}/phones");
    let add = json!({"phone": relative, "relation": "女儿", "reason": "独居老人，无手机"});
    let (status, added) = s.call(Method::POST, &grid, &path, Some(add.clone())).await;
    assert_eq!(status, 201, "{added}");
    assert!(!added["phone"].as_str().unwrap().contains(relative), "shown masked: {added}");
    assert_eq!(s.call(Method::POST, &grid, &path, Some(add.clone())).await.0, 409);
    let bad = json!({"phone": relative, "relation": "女儿", "reason": " "});
    let (status, body) = s.call(Method::POST, &grid, &path, Some(bad)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("reason")), "{body}");
    let (status, body) =
        s.call(Method::POST, &grid, "/api/v1/households/150105/phones", Some(add.clone())).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("household")), "{body}");
    let lab = s.login("lab").await;
    assert_eq!(s.call(Method::POST, &lab, &path, Some(add)).await.0, 403);
    let (_, listed) = s.get(&grid, &path).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    // The relative signs in with the code texted to their phone.
    assert_eq!(post(s, None, "/api/v1/resident/code", json!({"phone": relative})).await.0, 202);
    let sms = wait_line(outbox, |l| l["to"] == relative && l["kind"] == "sign_in_code").await;
    let (status, login) =
        post(s, None, "/api/v1/resident/login", json!({"phone": relative, "code": code_in(&sms)})).await;
    assert_eq!((status, login["household_code"].as_str()), (200, Some(household.as_str())), "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    let (_, home) = s.get(&token, "/api/v1/resident/household").await;
    // Whom to call: the compound's posts with their duty lines, nearest first.
    let contacts = home["contacts"].as_array().unwrap();
    assert!(
        contacts.iter().any(|c| c["duty_phone"] == "0471-6900101" && c["title"] == "临时党支部书记"),
        "{home}"
    );
    assert!(contacts.iter().all(|c| c.get("worker").is_none() && c.get("name").is_none()), "{home}");
    let member = home["members"][0]["person_id"].as_str().unwrap().to_owned();

    // An emergency from home: a green-channel pass on the page, the community told at once.
    let (_, before) = s.get(&grid, "/api/v1/messages").await;
    let unread_before = before["unread"].as_i64().unwrap();
    let urgent = json!({"category": "medical_care", "emergency": true, "person_id": member,
        "contact_phone": relative, "description": "透析中断，需要马上去医院"});
    let (status, raised) = post(s, Some(&token), "/api/v1/resident/requests", urgent).await;
    assert_eq!(status, 201, "{raised}");
    let id = raised["need"]["id"].as_i64().unwrap();
    let (_, home) = s.get(&token, "/api/v1/resident/household").await;
    let pass = home["passes"].as_array().unwrap().iter().find(|p| p["kind"] == "emergency").cloned();
    let pass = pass.unwrap_or_else(|| panic!("the emergency pass on the page: {home}"));
    assert!(pass["token"].as_str().unwrap().starts_with("CP1."), "{pass}");
    let (_, inbox) = s.get(&grid, "/api/v1/messages").await;
    let told = inbox["messages"].as_array().unwrap().iter().find(|m| m["need"] == id).cloned();
    let told = told.unwrap_or_else(|| panic!("the emergency in the worker's inbox: {inbox}"));
    assert_eq!(told["kind"], "need_emergency");
    assert!(told["text"].as_str().unwrap().contains("紧急诉求"), "{told}");
    assert!(inbox["unread"].as_i64().unwrap() > unread_before, "{inbox}");
    // The top bar counts it on every page; the messages page lists it, and reads it.
    let web = s.web_login("gongzhufu").await;
    let page = web.get(format!("{}/needs", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("class=\"unread-count\""), "the top bar's count");
    let page = web.get(format!("{}/messages", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("href=\"/needs/{id}\"")), "{page}");
    let csrf = s.csrf(&web).await;
    let newest = inbox["messages"][0]["id"].as_i64().unwrap().to_string();
    let r = web
        .post(format!("{}/messages/read", s.base))
        .form(&[("csrf", csrf.as_str()), ("up_to", newest.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, inbox) = s.get(&grid, "/api/v1/messages").await;
    assert_eq!(inbox["unread"], 0, "{inbox}");
    // The notices page posts as the API does, and refuses an area outside the poster's.
    let r = web
        .post(format!("{}/announcements", s.base))
        .form(&[("csrf", csrf.as_str()), ("area", "150105"), ("text", "核酸检测")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("150105"), "the refusal names the area");
    let r = web
        .post(format!("{}/announcements", s.base))
        .form(&[("csrf", csrf.as_str()), ("area", COMPOUND), ("text", "明早7:00 东门核酸")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // Headquarters' page of the outbox counts it among the workers' messages.
    let hq = s.web_login("admin").await;
    let page = hq.get(format!("{}/outbox", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-kind=\"need_emergency\""), "{page}");
    assert_eq!(web.get(format!("{}/outbox", s.base)).send().await.unwrap().status(), 403);

    // Removed: the relative is signed out.
    let pid = added["id"].as_i64().unwrap();
    let (status, _) = s.call(Method::DELETE, &grid, &format!("{path}/{pid}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(s.get(&token, "/api/v1/resident/household").await.0, 401);
    assert_eq!(s.call(Method::DELETE, &grid, &format!("{path}/{pid}"), None).await.0, 404);

    // The sign-in form's post answers only the browser that loaded the form.
    let stranger = client();
    let forged = stranger
        .post(format!("{}/home/code", s.base))
        .form(&[("phone", relative), ("csrf", "0123456789abcdef0123456789abcdef")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let browser = client();
    let form = browser.get(format!("{}/home/sign-in", s.base)).send().await.unwrap().text().await.unwrap();
    let mark = "name=\"csrf\" value=\"";
    let at = form.find(mark).expect("the form's token") + mark.len();
    let csrf = &form[at..at + 32];
    let r = browser
        .post(format!("{}/home/code", s.base))
        .form(&[("phone", "13700000001"), ("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn on(db: support::Db) {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox.jsonl");
    let sms = format!("file:{}", outbox.display());
    let s = support::demo_with(db, &["--history-days", "0", "--sms", &sms]);
    a_resident_signs_in_and_asks_from_home(&s, &outbox).await;
    a_zone_tells_each_household(&s, &outbox).await;
    relatives_passes_and_inboxes(&s, &outbox).await;
}

#[tokio::test]
async fn on_sqlite() {
    on(support::sqlite()).await;
}

#[tokio::test]
async fn on_postgres() {
    if let Some(db) = support::postgres() {
        on(db).await;
    }
}
