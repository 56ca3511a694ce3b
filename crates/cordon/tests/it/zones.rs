//! Zones end to end: draw, record a positive, watch the countdown reset, approve the step down
//! the rules allow and read the history — on both backends.

use serde_json::{Value, json};

use crate::support::{Server, client};

impl Server {
    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = client()
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn zone_on<'a>(zones: &'a Value, area: &str) -> &'a Value {
    zones
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["area_code"] == area)
        .unwrap_or_else(|| panic!("no zone on {area}"))
}

/// 呼铁佳园C区's sealed 3号楼 and the ready 1号楼 of 赛马场社区 (see cordon-demo's zones).
const BUILDING_3: &str = "15010200100100103";
const READY_BUILDING: &str = "15010200100200101";

async fn zone_lifecycle(s: &Server) {
    let admin = s.login("admin").await;

    // The demo's figures: every resident counted once, at the strictest zone above them.
    let (status, f) = s.get(&admin, "/api/v1/zones/figures").await;
    assert_eq!(status, 200);
    let r = &f["residents"];
    let total =
        r["sealed"].as_i64().unwrap() + r["controlled"].as_i64().unwrap() + r["precaution"].as_i64().unwrap();
    assert_eq!(
        total,
        f["residents_in_scope"].as_i64().unwrap(),
        "新城区 is a precaution district: all of tiny is zoned"
    );
    assert_eq!(f["sealed_or_controlled"], r["sealed"].as_i64().unwrap() + r["controlled"].as_i64().unwrap());
    assert_eq!(f["zones"], json!({"sealed": 3, "controlled": 2, "precaution": 1}));
    assert_eq!((f["ready_today"].as_i64(), f["round_overdue"].as_i64()), (Some(1), Some(1)));

    // Bad input: an unknown area, an overlap, a tier the profile lacks, an unknown field.
    let draw = |area: &str, tier: &str| json!({"area_code": area, "tier": tier, "reason": "测试"});
    let (status, body) = s.post(&admin, "/api/v1/zones", draw("150102999999", "sealed")).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("area_code")), "{body}");
    let (status, body) = s.post(&admin, "/api/v1/zones", draw(BUILDING_3, "controlled")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    let (status, body) = s.post(&admin, "/api/v1/zones", draw("150102", "precaution")).await;
    assert_eq!(status, 409, "{body}");
    let mut twenty = draw("15010200100100101", "controlled");
    twenty["profile"] = json!("twenty-measures-2022-11");
    let (status, body) = s.post(&admin, "/api/v1/zones", twenty).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("tier")), "{body}");
    let mut extra = draw("15010200100100101", "sealed");
    extra["colour"] = json!("red");
    assert_eq!(s.post(&admin, "/api/v1/zones", extra).await.0, 400);

    // Only offices draw, only inside their areas.
    let cadre = s.login("cadre").await;
    assert_eq!(s.post(&cadre, "/api/v1/zones", draw("15010200100100101", "sealed")).await.0, 403);
    let street = s.login("hailaer").await;
    let (status, drawn) = s.post(&street, "/api/v1/zones", draw("15010200100100101", "sealed")).await;
    assert_eq!(status, 201, "{drawn}");
    assert_eq!(
        (drawn["tier_name_zh"].as_str(), drawn["state"]["days_clean"].as_i64()),
        (Some("高风险区"), Some(0))
    );
    let id = drawn["id"].as_i64().unwrap();

    // A positive in 3号楼 resets its clock and its compound's; no new zone is needed (the
    // building is sealed, the compound controlled already).
    let (_, zones) = s.get(&admin, "/api/v1/zones").await;
    let before = zone_on(&zones, BUILDING_3)["state"]["days_clean"].as_i64().unwrap();
    assert!(before >= 5, "{before}");
    let (status, out) =
        s.post(&admin, "/api/v1/positives", json!({"area_code": BUILDING_3, "note": "单管复核阳性"})).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["zones_reset"].as_array().unwrap().len(), 3, "building, compound and district: {out}");
    assert!(out["proposals"].as_array().unwrap().is_empty(), "{out}");
    let (_, zones) = s.get(&admin, "/api/v1/zones").await;
    let z3 = zone_on(&zones, BUILDING_3);
    assert_eq!(z3["state"]["days_clean"], 0);
    assert_eq!(z3["state"]["blockers"][0]["kind"], "clean_days");

    // A positive in an unzoned building of another compound proposes the zones the profile
    // calls for: its building sealed and its compound controlled.
    let (status, out) = s.post(&admin, "/api/v1/positives", json!({"area_code": "15010200100100201"})).await;
    assert_eq!(status, 200, "{out}");
    let kinds: Vec<_> = out["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["kind"].clone(), p["tier_to"].clone()))
        .collect();
    assert_eq!(kinds, vec![(json!("designate"), json!("sealed")), (json!("designate"), json!("controlled"))]);

    // The ready building's step down: approved, checked against the rules at that moment.
    let (_, pending) = s.get(&admin, "/api/v1/proposals").await;
    let step = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["area_code"] == READY_BUILDING && p["kind"] == "step_down")
        .unwrap_or_else(|| panic!("{pending}"));
    let pid = step["id"].as_i64().unwrap();
    let (status, _) =
        s.post(&street, &format!("/api/v1/proposals/{pid}/decision"), json!({"approve": true})).await;
    assert_eq!(status, 403, "only headquarters decides");
    let (status, decided) = s
        .post(&admin, &format!("/api/v1/proposals/{pid}/decision"), json!({"approve": true, "note": "同意"}))
        .await;
    assert_eq!((status, decided["status"].as_str()), (200, Some("approved")), "{decided}");
    let zid = step["zone_id"].as_i64().unwrap();
    let (_, zone) = s.get(&admin, &format!("/api/v1/zones/{zid}")).await;
    assert_eq!(zone["zone"]["tier"], "controlled");
    let history: Vec<_> =
        zone["history"].as_array().unwrap().iter().map(|e| e["event"]["kind"].clone()).collect();
    assert_eq!(history.first(), Some(&json!("designated")));
    assert!(history.contains(&json!("positive")));
    assert_eq!(history.last(), Some(&json!("stepped_down")));
    let (status, again) =
        s.post(&admin, &format!("/api/v1/proposals/{pid}/decision"), json!({"approve": true})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("conflict")));

    // The rules forbid: lifting a sealed zone on its first day; raising to a laxer tier.
    let (status, body) = s.post(&admin, &format!("/api/v1/zones/{id}/lift"), json!({"note": "试试"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("clean days"), "{body}");
    let (status, _) = s
        .post(&admin, &format!("/api/v1/zones/{zid}/raise"), json!({"tier": "precaution", "note": "x"}))
        .await;
    assert_eq!(status, 422);
    // A round recorded through the API lands in the history.
    let (status, z) = s
        .post(&street, &format!("/api/v1/zones/{id}/events"), json!({"kind": "round", "all_negative": true}))
        .await;
    assert_eq!(status, 200, "{z}");
    assert_eq!(z["history"].as_array().unwrap().len(), 2);

    // A district sees its own zones and the city's, never another district's.
    let xincheng = s.login("xincheng").await;
    let (_, mine) = s.get(&xincheng, "/api/v1/zones").await;
    assert!(mine.as_array().unwrap().iter().all(|z| z["address"][0] == "新城区"), "{mine}");
    assert_eq!(
        s.get(&s.login("gongzhufu").await, &format!("/api/v1/zones/{zid}")).await.0,
        404,
        "赛马场 is not 公主府's"
    );

    // Profiles are data: a profile with a cycle is refused, a good one is stored.
    let (_, profiles) = s.get(&admin, "/api/v1/profiles").await;
    // The profile as listed goes back as it is.
    let mut shanghai = profiles
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["profile"]["key"] == "shanghai-2022-05")
        .unwrap()["profile"]
        .clone();
    shanghai["key"] = json!("hohhot-2022-11");
    shanghai["tiers"][1]["step_down"]["to"] = json!("sealed");
    let put = |body: Value| {
        client()
            .put(format!("{}/api/v1/profiles/hohhot-2022-11", s.base))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let r = put(shanghai.clone()).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("cycle"));
    shanghai["tiers"][1]["step_down"]["to"] = json!("precaution");
    assert_eq!(put(shanghai).await.unwrap().status(), 200);
    let (_, profiles) = s.get(&admin, "/api/v1/profiles").await;
    assert_eq!(profiles.as_array().unwrap().len(), 5);
}

async fn zone_pages(s: &Server) {
    let c = s.web_login("admin").await;
    let page = c.get(format!("{}/zones", s.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(page.matches("<path class=\"area\"").count(), 9, "the districts with shapes are on the map");
    assert!(page.contains("共封控、管控") && page.contains("含封控区"), "{page}");
    let token = s.csrf(&c).await;
    let r = c
        .post(format!("{}/zones", s.base))
        .form(&[
            ("csrf", token.as_str()),
            ("area_code", "15010200100100101"),
            ("tier", "sealed"),
            ("reason", "页面划定"),
            ("profile", "ninth-edition"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/zones/"), "{to}");
    let page = c.get(format!("{}{to}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("页面划定") && page.contains("高风险区") && page.contains("尚不能降级"), "{page}");

    // A decision on a proposal is shown back first, and decides nothing until confirmed.
    let admin = s.login("admin").await;
    // The queue's page files what the rules allow today first.
    assert_eq!(c.get(format!("{}/proposals", s.base)).send().await.unwrap().status(), 200);
    let (_, pending) = s.get(&admin, "/api/v1/proposals?status=pending").await;
    let p =
        pending.as_array().unwrap().iter().find(|p| p["kind"] == "step_down").expect("the demo's step down");
    let id = p["id"].as_i64().unwrap();
    let decide = |confirmed: bool| {
        let mut form =
            vec![("csrf", token.clone()), ("decision", "approve".into()), ("note", "核验无误".into())];
        if confirmed {
            form.push(("confirmed", "yes".into()));
        }
        c.post(format!("{}/proposals/{id}/decision", s.base)).form(&form).send()
    };
    let r = decide(false).await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("确认批准") && page.contains("核验无误") && page.contains("name=\"confirmed\""),
        "{page}"
    );
    let (_, still) = s.get(&admin, "/api/v1/proposals?status=pending").await;
    assert!(still.as_array().unwrap().iter().any(|q| q["id"] == id), "not decided by the first tap");
    let r = decide(true).await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.contains("decided=approved"), "{to}");
    let page = c.get(format!("{}{to}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已批准：") && page.contains("降为"), "{page}");
    // The address alone says nothing: a proposal not decided so is not announced.
    let page = c
        .get(format!("{}/proposals?decided=rejected&proposal={id}", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("已驳回："), "{page}");
}

crate::support::on_both_backends!(zone_lifecycle, zone_pages);

/// The demo's month of zones, told under `profile` (`cordon demo --profile`), read back from
/// the database it seeded, replayed step by step through the lifecycle engine: every zone was
/// drawn under that profile, and every step down and every lift was one it allowed at its
/// moment, on the events before it.
async fn seeded_zone_history_follows_the_rules(db: crate::support::Db, profile: &str) {
    use cordon_domain::{AreaPath, EventKind};
    let s = crate::support::demo_with(db, &["--history-days", "30", "--profile", profile]);
    let store = crate::support::connect(&s.db.url).await;
    assert_eq!(store.setting("profile").await.unwrap().as_deref(), Some(profile), "the profile in force");
    let profiles = cordon_domain::protocol::builtin();
    let query = cordon_store::ZoneQuery { include_ended: true, tier: None, limit: 10_000 };
    let zones = store.zones(&AreaPath::root(), &query).await.unwrap();
    let (mut steps, mut lifted) = (0, 0);
    for z in &zones {
        assert_eq!(z.profile_key, profile, "zone {} on {}", z.id, z.area);
        let profile = profiles.iter().find(|p| p.key == z.profile_key).expect("a shipped profile");
        let mut events: Vec<_> =
            store.zone_events(&[z.id]).await.unwrap().into_iter().map(|e| e.event).collect();
        events.sort();
        let refused = cordon_demo::first_refused_step(profile, &events, chrono_tz::Asia::Shanghai);
        assert_eq!(refused, None, "zone {} on {} went down against the rules", z.id, z.area);
        for e in &events {
            match e.kind {
                EventKind::SteppedDown { .. } => steps += 1,
                EventKind::Lifted => lifted += 1,
                _ => {}
            }
        }
    }
    // Under the three-zone profile a building takes four weeks to be lifted: a month holds few.
    assert!(
        zones.len() > 10 && steps > 10 && lifted >= 1,
        "{} zones, {steps} steps down, {lifted} lifted",
        zones.len()
    );
}

// The default profile's story is seeded by every other test; these tell it under the two other
// shipped profiles with its three tiers, one on each backend.
#[tokio::test]
async fn seeded_zone_history_follows_the_rules_on_sqlite() {
    seeded_zone_history_follows_the_rules(crate::support::sqlite(), "three-zone-2021").await;
}

#[tokio::test]
async fn seeded_zone_history_follows_the_rules_on_postgres() {
    if let Some(db) = crate::support::postgres() {
        seeded_zone_history_follows_the_rules(db, "shanghai-2022-05").await;
    }
}

/// A profile without the story's tiers is refused before anything is written, saying why.
#[test]
fn a_profile_without_the_storys_tiers_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let out = crate::support::cordon()
        .args(["demo", "--scale", "tiny", "--no-serve", "--profile", "twenty-measures-2022-11", "--db"])
        .arg(format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("twenty-measures-2022-11") && err.contains("no controlled or precaution tier"),
        "{err}"
    );
    assert!(!db.exists(), "nothing written");
    let out = crate::support::cordon()
        .args(["demo", "--no-serve", "--profile", "tenth-edition", "--db"])
        .arg(format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("ninth-edition, "), "{err}");
}
