//! The workforce and 包联 end to end on the demo: the coverage page's gaps with their residents,
//! suggestions accepted and the gap gone, a zone sealed and its gap opened at once, reporting in,
//! a roster file, bad input named, roles — on both backends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, client};

/// The sealed building of the second community the demo leaves without a leader.
const LEFT_OPEN: &str = "15010200100200104";

fn gaps_of(c: &Value) -> Vec<(String, String)> {
    c["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["unit_key"].as_str().unwrap().to_owned(), g["kind"].as_str().unwrap().to_owned()))
        .collect()
}

async fn coverage_gaps_and_suggestions(s: &Server) {
    let office = s.login("xincheng").await;
    let (status, c) = s.get(&office, "/api/v1/coverage").await;
    assert_eq!(status, 200, "{c}");
    let gaps = gaps_of(&c);
    assert!(gaps.contains(&(LEFT_OPEN.into(), "no_leader".into())), "{gaps:?}");
    assert!(gaps.contains(&("QS-RUJIA".into(), "no_leader".into())), "{gaps:?}");
    // Worst first: the gaps without a leader come by residents, most first.
    let residents: Vec<i64> = c["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "no_leader")
        .map(|g| g["residents"].as_i64().unwrap())
        .collect();
    assert!(residents.windows(2).all(|w| w[0] >= w[1]), "{residents:?}");
    let f = &c["figures"];
    assert!(f["on_hand"].as_i64().unwrap() > 10 && f["leaders"].as_i64().unwrap() > 5, "{f}");
    assert!(
        c["by_tier"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tier"] == "sealed" && t["covered_pct"].as_f64().unwrap() < 100.0)
    );

    // The suggestions include the open sealed building; accepted, its gap closes.
    let (status, sugg) = s.get(&office, "/api/v1/coverage/suggestions").await;
    assert_eq!(status, 200, "{sugg}");
    let pick = sugg
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["gap"]["unit_key"] == LEFT_OPEN)
        .unwrap_or_else(|| panic!("a suggestion for {LEFT_OPEN}: {sugg}"))
        .clone();
    assert_eq!(pick["post"], "leader");
    let body = json!({"assignments": [{"worker_id": pick["worker"]["worker_id"], "unit_kind": "area", "unit_key": LEFT_OPEN}]});
    let (status, out) = s.call(Method::POST, &office, "/api/v1/coverage/accept", Some(body.clone())).await;
    assert_eq!((status, out["assigned"].as_array().unwrap().len()), (200, 1), "{out}");
    let (_, c) = s.get(&office, "/api/v1/coverage").await;
    assert!(!gaps_of(&c).iter().any(|(k, _)| k == LEFT_OPEN), "the gap is closed");
    // Accepted twice: refused with its reason, nothing else changes.
    let (_, again) = s.call(Method::POST, &office, "/api/v1/coverage/accept", Some(body)).await;
    assert!(again["refused"][0].as_str().unwrap().contains("already answers"), "{again}");

    // A building sealed now opens a gap at once.
    let building = "15010200100100201";
    let (_, before) = s.get(&office, "/api/v1/coverage").await;
    assert!(!gaps_of(&before).iter().any(|(k, _)| k == building));
    let (status, z) = s
        .call(
            Method::POST,
            &office,
            "/api/v1/zones",
            Some(json!({"area_code": building, "tier": "sealed", "reason": "新阳性"})),
        )
        .await;
    assert_eq!(status, 201, "{z}");
    let (_, after) = s.get(&office, "/api/v1/coverage").await;
    assert!(gaps_of(&after).contains(&(building.into(), "no_leader".into())), "{:?}", gaps_of(&after));
    // The district is a precaution zone, which asks for no leader; raised to controlled, every
    // building in it does at once (the zone holds the office's whole scope).
    let other = "15010200100100202";
    assert!(!gaps_of(&after).iter().any(|(k, _)| k == other));
    let admin = s.login("admin").await;
    let (_, zones) = s.get(&admin, "/api/v1/zones?tier=precaution").await;
    let district =
        zones.as_array().unwrap().iter().find(|z| z["area_code"] == "150102").expect("the district's zone");
    let raise = json!({"tier": "controlled", "note": "社区传播风险上升"});
    let (status, r) =
        s.call(Method::POST, &admin, &format!("/api/v1/zones/{}/raise", district["id"]), Some(raise)).await;
    assert_eq!(status, 200, "{r}");
    let (_, c) = s.get(&office, "/api/v1/coverage").await;
    let gaps = gaps_of(&c);
    assert!(gaps.contains(&(other.into(), "no_leader".into())), "{gaps:?}");
    assert!(gaps.contains(&(building.into(), "no_leader".into())), "the earlier gap is kept: {gaps:?}");

    // The district office reads only its district; a cadre reads, a sampler does not.
    let (status, _) = s.get(&s.login("cadre").await, "/api/v1/coverage").await;
    assert_eq!(status, 200);
    let (status, _) = s.get(&s.login("sampler").await, "/api/v1/coverage").await;
    assert_eq!(status, 403);
}

async fn rosters_reporting_in_and_bad_input(s: &Server) {
    let office = s.login("xincheng").await;
    let send = |body: &'static str| {
        client()
            .post(format!("{}/api/v1/workers?name=roster.csv", s.base))
            .bearer_auth(&office)
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let r = send("worker_id,name,phone,organisation,party_member,rank\nX1,周敏,,市卫健委,true,科级\nX1,重复,,x,true,staff\n")
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"]["message"].as_str().unwrap().contains("roster.csv:3:1 (worker_id): X1 appears twice"),
        "{e}"
    );
    let r = send("worker_id,name,phone,organisation,party_member,rank\nX1,周敏,,市卫健委,true,科级\nX2,吴刚,13904719999,市卫健委,false,staff\n")
        .await
        .unwrap();
    let ok: Value = r.json().await.unwrap();
    assert_eq!((ok["added"].as_i64(), ok["updated"].as_i64()), (Some(2), Some(0)), "{ok}");

    // Reporting in: one community a day.
    let checkin = |c: &str| json!({"worker_id": "X1", "community_code": c});
    let (status, c) = s.call(Method::POST, &office, "/api/v1/checkins", Some(checkin("150102001001"))).await;
    assert_eq!(status, 201, "{c}");
    let (status, e) = s.call(Method::POST, &office, "/api/v1/checkins", Some(checkin("150102001002"))).await;
    assert_eq!(status, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("one community a day"));
    let (status, e) =
        s.call(Method::POST, &office, "/api/v1/checkins", Some(checkin("150102001001001"))).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("community_code")),
        "a compound is not a community: {e}"
    );
    let (_, hand) = s.get(&office, "/api/v1/checkins").await;
    assert!(hand.as_array().unwrap().iter().any(|c| c["worker"]["worker_id"] == "X1"));
    assert!(!hand.to_string().contains("13904719999"), "phones masked");

    // Assignments: unknown unit, an end before the start, a second leader.
    let assign = |body: Value| s.call(Method::POST, &office, "/api/v1/assignments", Some(body));
    let (status, e) = assign(json!({"worker_id": "X1", "area_code": "150102999999"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("area_code")), "{e}");
    let day = |d: i64| (chrono::Utc::now() - chrono::Duration::days(d)).to_rfc3339();
    let (status, e) =
        assign(json!({"worker_id": "X1", "area_code": "150102001001001", "from": day(1), "until": day(2)}))
            .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("until")), "{e}");
    let (status, e) = assign(json!({"worker_id": "X1", "area_code": "150102001001001"})).await;
    assert_eq!(status, 422, "the compound has a leader from the demo: {e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("responsible leader"), "{e}");
    let (status, a) =
        assign(json!({"worker_id": "X1", "area_code": "150102001001001", "post": "member", "title": "门岗"}))
            .await;
    assert_eq!(status, 201, "{a}");
    let (status, ended) =
        s.call(Method::POST, &office, &format!("/api/v1/assignments/{}/end", a["id"]), None).await;
    assert_eq!(status, 200);
    assert!(!ended["until"].is_null());
    let (status, e) = assign(json!({"worker_id": "NOBODY", "site_id": "QS-RUJIA"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("worker_id")), "{e}");
    // The story compound's command post and its temporary party branch, with their team.
    let (status, posts) = s.get(&office, "/api/v1/command-posts").await;
    assert_eq!(status, 200, "{posts}");
    let post = &posts[0];
    assert_eq!(
        (post["name"].as_str(), post["branch"].as_str()),
        (Some("呼铁佳园C区现场指挥部"), Some("呼铁佳园C区临时党支部"))
    );
    assert!(post["team"].to_string().contains("临时党支部书记"), "{post}");
    let (status, e) = s
        .call(Method::POST, &office, "/api/v1/command-posts", Some(json!({"area_code": "150102001001001"})))
        .await;
    assert_eq!(status, 409, "one post a compound: {e}");
    let (status, e) =
        s.call(Method::POST, &office, "/api/v1/command-posts", Some(json!({"area_code": LEFT_OPEN}))).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("area_code")), "a building: {e}");
    // 包联负责人 by rank: a volunteer leads no sealed building unless the profile says so (the
    // ninth edition's rule asks staff or above); they serve in its team.
    let volunteer =
        json!({"name": "志愿者赵晨", "organisation": "团市委", "party_member": false, "rank": "volunteer"});
    let (status, w) = s.call(Method::PUT, &office, "/api/v1/workers/V1", Some(volunteer)).await;
    assert_eq!(status, 201, "{w}");
    let (status, e) = assign(json!({"worker_id": "V1", "area_code": LEFT_OPEN})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("worker_id")), "{e}");
    let said = e["error"]["message"].as_str().unwrap();
    assert!(said.contains("volunteer") && said.contains("staff or above") && said.contains("zones"), "{e}");
    let (status, a) =
        assign(json!({"worker_id": "V1", "area_code": LEFT_OPEN, "post": "member", "title": "楼栋志愿者"}))
            .await;
    assert_eq!(status, 201, "{a}");

    // A cadre reads but does not assign.
    let cadre = s.login("cadre").await;
    let (status, _) = s
        .call(
            Method::POST,
            &cadre,
            "/api/v1/assignments",
            Some(json!({"worker_id": "X1", "area_code": "150102001001001"})),
        )
        .await;
    assert_eq!(status, 403);

    // One worker by the form's route: added (201), then updated (200); bad fields named.
    let one = json!({"name": "郑洁", "phone": "13904710202", "organisation": "市妇联", "party_member": true, "rank": "科级"});
    let (status, w) = s.call(Method::PUT, &office, "/api/v1/workers/X9", Some(one.clone())).await;
    assert_eq!(
        (status, w["rank"].as_str(), w["phone"].as_str()),
        (201, Some("section"), Some("139****0202")),
        "{w}"
    );
    let mut changed = one.clone();
    changed["organisation"] = json!("市总工会");
    let (status, w) = s.call(Method::PUT, &office, "/api/v1/workers/X9", Some(changed)).await;
    assert_eq!((status, w["organisation"].as_str()), (200, Some("市总工会")), "{w}");
    for (path, body, field) in [
        ("/api/v1/workers/X9", json!({"name": "郑洁", "rank": "将军"}), "rank"),
        ("/api/v1/workers/X9", json!({"name": "郑洁", "rank": "staff", "phone": "12345"}), "phone"),
        ("/api/v1/workers/X9", json!({"name": "  ", "rank": "staff"}), "name"),
        ("/api/v1/workers/X%209", json!({"name": "郑洁", "rank": "staff"}), "worker_id"),
    ] {
        let (status, e) = s.call(Method::PUT, &office, path, Some(body)).await;
        assert_eq!((status, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (status, _) = s.call(Method::PUT, &cadre, "/api/v1/workers/X9", Some(one)).await;
    assert_eq!(status, 403);
}

/// 报到与值班 from the worker's own phone: the demo's cadre is linked to the compound's leader and
/// on duty; they go off and may not come back inside the profile's rest; a sign-in linked to no
/// worker reports nothing; a worker is one sign-in's; the office sees each worker's duty.
async fn reporting_in_from_ones_phone(s: &Server) {
    let cadre = s.login("cadre").await;
    let (status, d) = s.get(&cadre, "/api/v1/me/duty").await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["duty"]["state"].as_str(), d["reported_to"].as_str()),
        (Some("on_duty"), Some("150102001001")),
        "{d}"
    );
    let worker = d["worker"]["worker_id"].as_str().unwrap().to_owned();
    let duty = |body: Value| s.call(Method::POST, &cadre, "/api/v1/me/duty", Some(body));
    // Reporting in again at the same community: the same shift.
    let (status, again) = duty(json!({"action": "report_in", "community_code": "150102001001"})).await;
    assert_eq!((status, &again["duty"]["since"]), (200, &d["duty"]["since"]), "{again}");
    let (status, off) = duty(json!({"action": "off"})).await;
    assert_eq!((status, off["duty"]["state"].as_str()), (200, Some("resting")), "{off}");
    let (status, e) = duty(json!({"action": "on"})).await;
    assert_eq!(status, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("resting until"), "{e}");
    let (status, e) = duty(json!({"action": "off"})).await;
    assert_eq!(status, 409, "not on duty: {e}");
    let (status, e) = duty(json!({"action": "nap"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("action")), "{e}");

    // The office sees the worker resting.
    let office = s.login("xincheng").await;
    let (_, hand) = s.get(&office, "/api/v1/checkins").await;
    let row = hand.as_array().unwrap().iter().find(|c| c["worker"]["worker_id"] == worker.as_str()).unwrap();
    assert_eq!(row["duty"]["state"], "resting", "{row}");

    // A sign-in linked to no worker: 403 naming why; linking it to the cadre's worker: 409.
    let grid = s.login("gongzhufu").await;
    let (status, e) = s.get(&grid, "/api/v1/me/duty").await;
    assert_eq!(status, 403, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("not linked"), "{e}");
    let link = |w: &str| json!({"worker_id": w, "reason": "本人报到"});
    let (status, e) = s.call(Method::PATCH, &office, "/api/v1/users/gongzhufu", Some(link(&worker))).await;
    assert_eq!(status, 409, "one sign-in a worker: {e}");
    let (status, e) = s.call(Method::PATCH, &office, "/api/v1/users/gongzhufu", Some(link("NOBODY"))).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("worker_id")), "{e}");
    let volunteer =
        json!({"name": "网格员本人", "organisation": "公主府社区", "party_member": true, "rank": "staff"});
    let (status, _) = s.call(Method::PUT, &office, "/api/v1/workers/G1", Some(volunteer)).await;
    assert_eq!(status, 201);
    let (status, u) = s.call(Method::PATCH, &office, "/api/v1/users/gongzhufu", Some(link("G1"))).await;
    assert_eq!((status, u["worker_id"].as_str()), (200, Some("G1")), "{u}");
    // Only a community of one's own areas.
    let grid_duty = |body: Value| s.call(Method::POST, &grid, "/api/v1/me/duty", Some(body));
    let (status, e) = grid_duty(json!({"action": "report_in", "community_code": "150102001002"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("community_code")), "{e}");
    let (status, d) = grid_duty(json!({"action": "report_in", "community_code": "150102001001"})).await;
    assert_eq!((status, d["duty"]["state"].as_str()), (200, Some("on_duty")), "{d}");

    // The phone page: the cadre resting sees when; the sampler, linked to nobody, why not.
    let web = s.web_login("cadre").await;
    let page = web.get(format!("{}/duty", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("轮休中") && page.contains("重新上岗"), "{page:.2000}");
    let web = s.web_login("sampler").await;
    let page = web.get(format!("{}/duty", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("尚未关联"), "{page:.2000}");
}

crate::support::on_both_backends!(
    coverage_gaps_and_suggestions,
    rosters_reporting_in_and_bad_input,
    reporting_in_from_ones_phone
);
