//! Sampling without the network (离线采样), end to end on the demo: the round's team — buildings
//! given to samplers, a second sampler making a team, refusals named — the post a sampler's
//! phone keeps (their buildings' people still to sample, nobody else's), tubes synced twice and
//! landed once, a barcode used twice and a person outside the post refused on their own, and a
//! round closed while the phone was offline refusing each tube rather than the sync; on both
//! backends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, on_both_backends};

fn at(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339()
}

async fn sync(s: &Server, token: &str, tubes: Value) -> (u16, Value) {
    s.call(Method::POST, token, "/api/v1/rounds/1/tubes/offline", Some(json!({ "tubes": tubes }))).await
}

fn tube(id: &str, tube_id: &str, people: &[&str]) -> Value {
    json!({"id": id, "tube_id": tube_id, "person_ids": people, "at": at(-20), "sent_at": at(0), "site": "楼下"})
}

fn states(r: &Value) -> Vec<&str> {
    r.as_array().unwrap().iter().map(|x| x["state"].as_str().unwrap()).collect()
}

fn listed(post: &Value) -> Vec<String> {
    post["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["people"].as_array().unwrap().iter().map(|p| p["person_id"].as_str().unwrap().to_owned())
        })
        .collect()
}

async fn the_team_and_its_post(s: &Server) {
    let sampler = s.login("sampler").await;
    let office = s.login("hailaer").await;
    // The demo gave the sampler three buildings of today's round.
    let (status, team) = s.get(&office, "/api/v1/rounds/1/team").await;
    assert_eq!(status, 200, "{team}");
    let given = team["assignments"].as_array().unwrap();
    assert_eq!(given.len(), 3, "{team}");
    assert!(given.iter().all(|a| a["username"] == "sampler" && a["area_level"] == "building"));
    assert!(team["samplers"].as_array().unwrap().iter().any(|u| u["username"] == "sampler"));

    let (status, post) = s.get(&sampler, "/api/v1/rounds/1/samples/post").await;
    assert_eq!(status, 200, "{post}");
    let buildings = post["buildings"].as_array().unwrap();
    assert_eq!(buildings.len(), 3);
    let people = listed(&post);
    assert!(!people.is_empty());
    assert!(
        post["buildings"][0]["people"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["pool_max"].as_u64().unwrap() >= 1)
    );
    let hours = (chrono::DateTime::parse_from_rfc3339(post["expires_at"].as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(post["issued_at"].as_str().unwrap()).unwrap())
    .num_hours();
    assert_eq!(hours, 12, "the profile's offline hours");
    // Exactly the sweep's list of those buildings: nobody sampled, nobody from elsewhere.
    let mut sweep = Vec::new();
    for b in buildings {
        let (_, list) = s
            .get(
                &sampler,
                &format!("/api/v1/rounds/1/sweep?area={}&limit=5000", b["area_code"].as_str().unwrap()),
            )
            .await;
        sweep.extend(
            list["people"].as_array().unwrap().iter().map(|p| p["person_id"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(people, sweep);
    // Nothing the sampler does not need: no phone, no ID number.
    let text = post.to_string();
    assert!(!text.contains("\"phone\"") && !text.contains("id_number"), "{text}");
    // Every person kept on the phone is on the audit of reads.
    let store = crate::support::connect(&s.db.url).await;
    let reads = store
        .audit_log(&cordon_store::AuditQuery {
            scope: cordon_domain::AreaPath::root(),
            user_id: None,
            person_id: Some(people[0].clone()),
            before_id: None,
            limit: 50,
        })
        .await
        .unwrap();
    assert!(
        reads.iter().any(|r| r.route == "GET /api/v1/rounds/{id}/samples/post" && r.username == "sampler")
    );

    // A second sampler for the first building: a team. Giving it again changes nothing.
    let first = given[0]["area_code"].as_str().unwrap().to_owned();
    let give = |who: &str, area: &str| json!({"area": area, "username": who});
    let (status, a) = s.call(Method::POST, &office, "/api/v1/rounds/1/team", Some(give("lab", &first))).await;
    assert_eq!(status, 201, "{a}");
    let (status, again) =
        s.call(Method::POST, &office, "/api/v1/rounds/1/team", Some(give("lab", &first))).await;
    assert_eq!((status, &again["assigned_at"]), (201, &a["assigned_at"]));
    let (_, team) = s.get(&office, "/api/v1/rounds/1/team").await;
    assert_eq!(team["assignments"].as_array().unwrap().len(), 4);
    // Refusals, each named.
    for (body, want, field) in [
        (give("cadre", &first), 422, "username"),
        (give("nobody-here", &first), 422, "username"),
        (give("lab", "not a code"), 422, "area"),
        (give("lab", "150103"), 404, ""),
    ] {
        let (status, r) = s.call(Method::POST, &office, "/api/v1/rounds/1/team", Some(body.clone())).await;
        assert_eq!(status, want, "{body}: {r}");
        if !field.is_empty() {
            assert_eq!(r["error"]["field"], field, "{r}");
        }
    }
    let (status, _) =
        s.call(Method::POST, &sampler, "/api/v1/rounds/1/team", Some(give("lab", &first))).await;
    assert_eq!(status, 403, "a sampler does not give out buildings");
    // A sampler of another community could not read the building's people: refused, nothing kept.
    let (_, street) = s.get(&office, "/api/v1/areas/150102001").await;
    let other = street["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .find(|c| !first.starts_with(c.as_str()))
        .expect("another community of the street");
    let new = json!({"username": "cai.yang", "display_name": "蔡采样", "role": "sampler", "scope": other});
    let district = s.login("xincheng").await;
    let (status, made) = s.call(Method::POST, &district, "/api/v1/users", Some(new)).await;
    assert_eq!(status, 201, "{made}");
    let (status, r) =
        s.call(Method::POST, &office, "/api/v1/rounds/1/team", Some(give("cai.yang", &first))).await;
    assert_eq!((status, r["error"]["field"].as_str()), (422, Some("username")), "{r}");
    let path = format!("/api/v1/rounds/1/team/{first}/lab");
    assert_eq!(s.call(Method::DELETE, &office, &path, None).await.0, 204);
    assert_eq!(s.call(Method::DELETE, &office, &path, None).await.0, 404);
    // Who does not sample reads no post; who is given no building reads an empty one.
    let cadre = s.login("cadre").await;
    assert_eq!(s.get(&cadre, "/api/v1/rounds/1/samples/post").await.0, 403);
    let lab = s.login("lab").await;
    let (status, empty) = s.get(&lab, "/api/v1/rounds/1/samples/post").await;
    assert_eq!((status, empty["buildings"].as_array().map(Vec::len)), (200, Some(0)), "{empty}");

    // The pages: the team's, walked down to a building and given; the field page holds no one.
    let web = s.web_login("hailaer").await;
    let r = web.get(format!("{}/rounds/1/team?pick={first}", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("name=\"username\"") && page.contains(&format!("value=\"{first}\"")), "{page}");
    let csrf = s.csrf(&web).await;
    let r = web
        .post(format!("{}/rounds/1/team", s.base))
        .form(&[("csrf", csrf.as_str()), ("area", first.as_str()), ("username", "lab")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let (_, team) = s.get(&office, "/api/v1/rounds/1/team").await;
    assert_eq!(team["assignments"].as_array().unwrap().len(), 4, "given from the page");
    let web = s.web_login("sampler").await;
    let field =
        web.get(format!("{}/rounds/1/samples/field", s.base)).send().await.unwrap().text().await.unwrap();
    let name = post["buildings"][0]["people"][0]["name"].as_str().unwrap();
    assert!(field.contains("/static/sample-field.mjs") && !field.contains(name), "{field}");
    let round = web.get(format!("{}/rounds/1", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(round.contains("/rounds/1/samples/field") && round.contains("/rounds/1/team"));
}

async fn tubes_landed_once(s: &Server) {
    let sampler = s.login("sampler").await;
    let cadre = s.login("cadre").await;
    let (_, post) = s.get(&sampler, "/api/v1/rounds/1/samples/post").await;
    let people = listed(&post);
    let (a, b, c) = (people[0].as_str(), people[1].as_str(), people[2].as_str());
    let batch = json!([
        tube("tube-test-0001", "OFF-T-0001", &[a]),
        tube("tube-test-0002", "OFF-T-0002", &[b]),
        // The first tube's barcode scanned again for someone else.
        tube("tube-test-0003", "OFF-T-0001", &[c]),
        // Someone on nobody's list of this sampler.
        tube("tube-test-0004", "OFF-T-0004", &["P999999999"]),
        tube("x", "OFF-T-0005", &[c]),
        tube("tube-test-0006", "OFF-T-0006", &[c, c]),
    ]);
    let (status, r) = sync(s, &sampler, batch.clone()).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(states(&r), ["kept", "kept", "refused", "refused", "refused", "refused"], "{r}");
    assert!(r[2]["error"].as_str().unwrap().contains("already used"), "{r}");
    let reasons: Vec<&str> =
        r.as_array().unwrap()[2..].iter().map(|x| x["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["tube_used", "not_on_list", "malformed", "malformed"], "{r}");
    assert!(r[3]["error"].as_str().unwrap().contains("not on your buildings"), "{r}");
    // Sent again (the page closed before the answer): nothing new.
    let (_, again) = sync(s, &sampler, batch).await;
    assert_eq!(states(&again)[..2], ["already", "already"], "{again}");
    // Whoever plans the round sees each refusal once (one whose id the phone could not have
    // made is not kept: nothing could name it again); the sampler reads their own on the phone.
    let office = s.login("hailaer").await;
    let (status, refused) = s.get(&office, "/api/v1/rounds/1/refusals").await;
    assert_eq!(status, 200, "{refused}");
    let mut kept: Vec<(&str, &str)> = refused
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [("tube-test-0003", "tube_used"), ("tube-test-0004", "not_on_list"), ("tube-test-0006", "malformed")],
        "{refused}"
    );
    assert!(refused.as_array().unwrap().iter().all(|r| r["username"] == "sampler" && r["kind"] == "tube"));
    assert_eq!(s.get(&sampler, "/api/v1/rounds/1/refusals").await.0, 403);
    let web = s.web_login("hailaer").await;
    let team = web.get(format!("{}/rounds/1/team", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(team.contains("id=\"refusals\"") && team.contains("OFF-T-0001"), "the team page shows them");
    let admin = s.login("admin").await;
    let (_, tubes) = s.get(&admin, &format!("/api/v1/people/{a}")).await;
    let held: Vec<&Value> = tubes["testing"]["tubes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["tube_id"] == "OFF-T-0001")
        .collect();
    assert_eq!(held.len(), 1, "{tubes}");
    // Landed: off the post, their barcodes used.
    let (_, post) = s.get(&sampler, "/api/v1/rounds/1/samples/post").await;
    let now = listed(&post);
    assert!(!now.iter().any(|p| p == a || p == b) && now.iter().any(|p| p == c));
    let used: Vec<&str> = post["tubes"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(used.contains(&"OFF-T-0001") && used.contains(&"OFF-T-0002"), "{used:?}");
    // Too many at once; someone who does not sample.
    let many: Vec<Value> =
        (0..201).map(|i| tube(&format!("tube-many-{i:04}"), &format!("M-{i}"), &[c])).collect();
    assert_eq!(sync(s, &sampler, json!(many)).await.0, 422);
    assert_eq!(sync(s, &cadre, json!([])).await.0, 403);
    // The round closed while the phone was offline: each tube refused, saying so.
    let (status, closed) = s.call(Method::POST, &admin, "/api/v1/rounds/1/close", None).await;
    assert_eq!(status, 200, "{closed}");
    let (status, r) = sync(s, &sampler, json!([tube("tube-test-0007", "OFF-T-0007", &[c])])).await;
    assert_eq!((status, states(&r)), (200, vec!["refused"]), "{r}");
    assert!(r[0]["error"].as_str().unwrap().contains("closed"), "{r}");
    assert_eq!(r[0]["reason"], "round_closed");
    assert_eq!(s.get(&sampler, "/api/v1/rounds/1/samples/post").await.0, 409);
}

on_both_backends!(the_team_and_its_post, tubes_landed_once);
