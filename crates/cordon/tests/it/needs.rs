//! Residents' needs end to end on the demo: raising (the owner from 包联, a medical emergency
//! with its pass), bad input named, acknowledging and resolving with every change in the
//! timeline, a request to leave refused with the alternative arranged, scope and roles; and the
//! climb of an emergency nobody acknowledges, swept in process at chosen moments (the clock under
//! the test's control) across a restart — on both backends.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{self, Server, first_household};

fn kinds(d: &Value) -> Vec<String> {
    d["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

async fn raising_acting_and_bad_input(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let (household, people) = first_household(s, &grid, "150102001001001").await;
    let g = &grid;
    let raise = move |body: Value| async move { s.call(Method::POST, g, "/api/v1/needs", Some(body)).await };

    // Food for a household of the story compound: its building's cadre owns it.
    let (status, food) =
        raise(json!({"household_code": household, "category": "food", "description": "米面油和蔬菜"})).await;
    assert_eq!(status, 201, "{food}");
    let n = &food["need"];
    assert_eq!(
        (n["status"].as_str(), n["rung"].as_str(), n["priority"].as_str()),
        (Some("open"), Some("cadre"), Some("normal"))
    );
    assert!(n["owner_worker"].is_string() && n["address"].as_str().unwrap().contains("呼铁佳园C区"), "{n}");
    assert_eq!(kinds(&food), ["created"]);

    // Bad input: each refused, naming the field, nothing written.
    // Counted by who raised them: the server plans the day's care alongside.
    let mine = |v: &Value| v.as_array().unwrap().iter().filter(|n| n["created_by"] == "gongzhufu").count();
    let (_, before) = s.get(&grid, "/api/v1/needs?resolved=true&limit=5000").await;
    for (body, field) in [
        (json!({"household_code": household, "category": "spaceflight", "description": "x"}), "category"),
        (json!({"household_code": "nowhere", "category": "food", "description": "x"}), "household_code"),
        (
            json!({"household_code": "150102001001001", "category": "food", "description": "x"}),
            "household_code",
        ),
        (json!({"household_code": household, "category": "food", "description": "  "}), "description"),
        (
            json!({"household_code": household, "category": "childbirth", "emergency": true, "person_id": people[0], "description": "临产"}),
            "contact_phone",
        ),
        (
            json!({"household_code": household, "category": "childbirth", "emergency": true, "contact_phone": "13904711111", "description": "临产"}),
            "person_id",
        ),
        (
            json!({"household_code": household, "category": "food", "emergency": true, "contact_phone": "13904711111", "person_id": people[0], "description": "x"}),
            "emergency",
        ),
        (
            json!({"household_code": household, "category": "food", "contact_phone": "12345", "description": "x"}),
            "contact_phone",
        ),
        (
            json!({"household_code": household, "category": "food", "person_id": "NOBODY", "description": "x"}),
            "person_id",
        ),
    ] {
        let (status, e) = raise(body).await;
        assert_eq!((status, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (_, after) = s.get(&grid, "/api/v1/needs?resolved=true&limit=5000").await;
    assert_eq!(mine(&before), mine(&after), "nothing half-written");

    // A medical emergency: the highest priority, and an emergency pass at once.
    let (status, e) =
        raise(json!({"household_code": household, "person_id": people[0], "category": "childbirth",
        "emergency": true, "contact_phone": "13904711111", "description": "孕37周，见红"}))
        .await;
    assert_eq!(status, 201, "{e}");
    assert_eq!(
        (e["need"]["priority"].as_str(), e["need"]["contact_phone"].as_str()),
        (Some("emergency"), Some("139****1111"))
    );
    assert_eq!(kinds(&e), ["created", "pass_issued"]);
    let pass = e["need"]["pass_id"].as_str().expect("a pass");
    let (status, p) = s.get(&grid, &format!("/api/v1/passes/{pass}")).await;
    assert_eq!((status, p["kind"].as_str()), (200, Some("emergency")), "{p}");
    let (_, board) = s.get(&grid, "/api/v1/needs?limit=5000").await;
    let board = board.as_array().unwrap();
    let at = board.iter().position(|n| n["id"] == e["need"]["id"]).expect("on the board");
    assert!(board[..at].iter().all(|n| n["overdue"] == true), "only the overdue before a new emergency");
    assert!(board[at + 1..].iter().all(|n| n["priority"] != "emergency" || n["overdue"] == false));

    // Acknowledged, resolved; a closed need refuses an acknowledgement; every change kept.
    let id = food["need"]["id"].as_i64().unwrap();
    let act = move |body: Value| async move {
        s.call(Method::POST, g, &format!("/api/v1/needs/{id}/actions"), Some(body)).await
    };
    let (status, d) = act(json!({"action": "acknowledge"})).await;
    assert_eq!((status, d["need"]["status"].as_str()), (200, Some("acknowledged")), "{d}");
    let (status, _) = act(json!({"action": "acknowledge"})).await;
    assert_eq!(status, 409);
    let (status, d) = act(json!({"action": "note", "note": "已联系物业，下午送达"})).await;
    assert_eq!(status, 200, "{d}");
    let (status, d) = act(json!({"action": "resolve", "note": "已送达"})).await;
    assert_eq!((status, d["need"]["status"].as_str()), (200, Some("resolved")));
    let (status, e409) = act(json!({"action": "acknowledge"})).await;
    assert!(status == 409 && e409["error"]["message"].as_str().unwrap().contains("resolved"), "{e409}");
    let (status, e422) = act(json!({"action": "reopen", "note": ""})).await;
    assert_eq!((status, e422["error"]["field"].as_str()), (422, Some("note")));
    let (_, d) = s.get(&grid, &format!("/api/v1/needs/{id}")).await;
    assert_eq!(kinds(&d), ["created", "acknowledged", "note", "resolved"]);

    // A request to leave the zone: refused with the alternative arranged, by the district.
    let (_, leave) =
        raise(json!({"household_code": household, "person_id": people[0], "category": "leave_zone",
        "description": "父亲病危，申请前往医院探视"}))
        .await;
    let lid = leave["need"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/needs/{lid}/actions");
    let refuse = json!({"action": "decide", "granted": false, "note": "院内感染风险，病房禁止探视"});
    let (status, _) = s.call(Method::POST, &grid, &path, Some(refuse.clone())).await;
    assert_eq!(status, 403, "a community worker does not decide");
    let office = s.login("xincheng").await;
    let (status, e) = s.call(Method::POST, &office, &path, Some(refuse)).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("alternative")),
        "nothing is refused silently: {e}"
    );
    let with_call = json!({"action": "decide", "granted": false, "alternative": "安排与病房视频通话，每日两次",
        "note": "院内感染风险，病房禁止探视"});
    let (status, d) = s.call(Method::POST, &office, &path, Some(with_call)).await;
    assert_eq!(status, 200, "{d}");
    let last = d["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["granted"].as_bool()), (Some("decided"), Some(false)));
    assert!(last["alternative"].as_str().unwrap().contains("视频通话"));
    let (status, _) = s
        .call(
            Method::POST,
            &grid,
            &format!("/api/v1/needs/{id}/actions"),
            Some(json!({"action": "decide", "granted": true, "note": "x"})),
        )
        .await;
    assert_eq!(status, 403);

    // Scope and roles: the compound's cadre sees its needs and not the next compound's; a
    // sampler reads no needs.
    let (elsewhere, _) = first_household(s, &grid, "150102001001002").await;
    let (status, other) =
        raise(json!({"household_code": elsewhere, "category": "medicine", "description": "降压药"})).await;
    assert_eq!(
        (status, other["need"]["rung"].as_str()),
        (201, Some("community")),
        "no cadre leads there: {other}"
    );
    let cadre = s.login("cadre").await;
    let (status, _) = s.get(&cadre, &format!("/api/v1/needs/{id}")).await;
    assert_eq!(status, 200);
    let (status, _) = s.get(&cadre, &format!("/api/v1/needs/{}", other["need"]["id"])).await;
    assert_eq!(status, 404);
    let (status, _) = s.get(&s.login("sampler").await, "/api/v1/needs").await;
    assert_eq!(status, 403);
    let (status, f) = s.get(&office, "/api/v1/needs/figures").await;
    assert_eq!(status, 200);
    assert!(f["open"].as_i64().unwrap() >= 2, "{f}");
}

async fn an_emergency_nobody_acknowledges_climbs_on_schedule(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let (household, people) = first_household(s, &grid, "150102001001001").await;
    let store = support::connect(&s.db.url).await;
    let config = || cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() };
    let state = cordon_server::AppState::new(store.clone(), config());
    let user = store.user_by_name("gongzhufu").await.unwrap().unwrap();
    // Raised two days ahead, so that the server's own sweep (on the real clock) has nothing to do:
    // the moments are the test's.
    let t0 = chrono::SubsecRound::trunc_subsecs(Utc::now() + Duration::days(2), 0);
    let m = |n: i64| t0 + Duration::minutes(n);
    let req = cordon_server::needs::NeedRequest {
        household_code: household,
        person_id: Some(people[0].clone()),
        category: "medical_care".into(),
        emergency: true,
        contact_phone: Some("13904712222".into()),
        description: "突发胸痛".into(),
    };
    let d = cordon_server::needs::raise(&state, &user, req, t0).await.unwrap();
    let id = d.need.id;
    assert_eq!(d.need.rung, cordon_domain::needs::Rung::Cadre, "owned by the building's cadre");
    // The sweep is the whole city's (the demo's own needs climb too): the need's own steps count.
    let steps_after = |state: &cordon_server::AppState, at| {
        let (state, store) = (state.clone(), store.clone());
        async move {
            cordon_server::needs::sweep(&state, at).await.unwrap();
            store.need(&cordon_domain::AreaPath::root(), id).await.unwrap().unwrap().escalations
        }
    };
    assert_eq!(steps_after(&state, m(4)).await, 0, "not before five minutes");
    assert_eq!(steps_after(&state, m(5)).await, 1, "the next rung at five");
    assert_eq!(steps_after(&state, m(5)).await, 1, "never twice");
    // The server restarts; the sweep after it catches up with what it missed.
    drop(state);
    let state = cordon_server::AppState::new(store.clone(), config());
    assert_eq!(steps_after(&state, m(17)).await, 3);
    assert_eq!(steps_after(&state, m(60)).await, 4, "headquarters at twenty");
    assert_eq!(steps_after(&state, m(600)).await, 4, "nothing above headquarters");
    let admin = s.login("admin").await;
    let (_, d) = s.get(&admin, &format!("/api/v1/needs/{id}")).await;
    assert_eq!(d["need"]["rung"].as_str(), Some("headquarters"), "{d}");
    // The step reached headquarters: it waits in its inbox, not the district's any more.
    let (_, inbox) = s.get(&admin, "/api/v1/needs/inbox?limit=5000").await;
    assert!(inbox.as_array().unwrap().iter().any(|n| n["id"] == id), "in headquarters' inbox");
    let (_, inbox) = s.get(&s.login("xincheng").await, "/api/v1/needs/inbox?limit=5000").await;
    assert!(!inbox.as_array().unwrap().iter().any(|n| n["id"] == id));
    let steps: Vec<(String, String)> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .map(|e| (e["at"].as_str().unwrap().to_owned(), e["to"].as_str().unwrap().to_owned()))
        .collect();
    let expected: Vec<(String, String)> =
        [(5, "community"), (10, "street"), (15, "district"), (20, "headquarters")]
            .iter()
            .map(|(n, r)| (m(*n).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true), (*r).to_owned()))
            .collect();
    assert_eq!(steps, expected, "each step at the moment it was due");
    assert_eq!(kinds(&d)[..2], ["created", "pass_issued"], "it carried its emergency pass from the start");
    // Care planned ahead for a day: the tagged get their needs, once however often it runs.
    // At nine in the morning, local time: "an hour later" must be the same local day whatever
    // the hour the test runs at (run near midnight in Shanghai, it once was not).
    let local = m(3 * 24 * 60).with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let day = local
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_local_timezone(chrono_tz::Asia::Shanghai)
        .unwrap()
        .with_timezone(&Utc);
    let planned = cordon_server::needs::plan_care(&state, day).await.unwrap();
    assert!(planned > 10, "{planned}");
    assert_eq!(
        cordon_server::needs::plan_care(&state, day + Duration::hours(1)).await.unwrap(),
        0,
        "once a day"
    );
    // Headquarters acknowledges: the climb is over, the timeline has the whole story.
    let (status, d) = s
        .call(
            Method::POST,
            &admin,
            &format!("/api/v1/needs/{id}/actions"),
            Some(json!({"action": "acknowledge", "note": "已派120"})),
        )
        .await;
    assert_eq!((status, d["need"]["status"].as_str()), (200, Some("acknowledged")));
}

/// A request the service refuses comes back as it was typed, the reason beside the field, in
/// the page's language; nothing is raised.
async fn a_refused_request_keeps_what_was_typed(s: &Server) {
    let c = s.web_login("gongzhufu").await;
    let token = s.csrf(&c).await;
    let send = |household: &str, lang: &str| {
        c.post(format!("{}/needs?lang={lang}", s.base))
            .form(&[
                ("csrf", token.as_str()),
                ("household_code", household),
                ("category", "medicine"),
                ("person_id", ""),
                ("contact_phone", "13900000001"),
                ("description", "降压药两盒，药名见照片"),
            ])
            .send()
    };
    let r = send("150102001001001019999", "zh").await.unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    for kept in
        ["150102001001001019999", "降压药两盒，药名见照片", "13900000001", "value=\"medicine\" selected"]
    {
        assert!(page.contains(kept), "{kept} kept:\n{page}");
    }
    assert!(page.contains("请核对户编码"), "{page}");
    assert!(!page.contains("no household"), "one language on the page:\n{page}");
    let page = send("150102001001001019999", "en").await.unwrap().text().await.unwrap();
    assert!(page.contains("no household 150102001001001019999 in your areas"), "{page}");
    // Nothing raised. (Counting the board would race the care planner, which raises the day's
    // checks in the background as the server starts.)
    let board = s.get(&s.login("gongzhufu").await, "/api/v1/needs?limit=5000").await.1;
    let raised =
        board.as_array().unwrap().iter().filter(|n| n["description"] == "降压药两盒，药名见照片").count();
    assert_eq!(raised, 0, "nothing raised: {board:.500}");
}

crate::support::on_both_backends!(
    raising_acting_and_bad_input,
    an_emergency_nobody_acknowledges_climbs_on_schedule,
    a_refused_request_keeps_what_was_typed
);
