//! Gates end to end on the demo: the seeded day in the log, and the issue's cases live at the
//! gates of 呼铁佳园C区 (a controlled compound) and its sealed building 3 — a resident turned
//! back, an ambulance let through, the confirmation at a sealed door and the stay that follows
//! the person, tampered, revoked, not-yet-valid, other-gate and replayed passes, an unknown
//! person and gate; the pass verified offline with the public key; roles and scope — on both
//! backends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::Server;

const COMPOUND: &str = "150102001001001";
const SEALED: &str = "15010200100100103";

fn hours(h: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339()
}

/// The register ids of the people of the first household of an area (walking down the tree).
async fn residents_of(s: &Server, token: &str, area: &str) -> Vec<String> {
    crate::support::first_household(s, token, area).await.1
}

/// Someone clear (no case, contact or retest) among the people of `area`'s households.
async fn clear_resident(s: &Server, token: &str, area: &str, skip: usize) -> String {
    let (_, a) = s.get(token, &format!("/api/v1/areas/{area}")).await;
    let mut found = Vec::new();
    for child in a["children"].as_array().unwrap() {
        for id in residents_of(s, token, child["code"].as_str().unwrap()).await {
            let (_, p) = s.get(token, &format!("/api/v1/people/{id}")).await;
            if p["case_id"].is_null()
                && p["contact_of"].as_array().unwrap().is_empty()
                && p["testing"]["held"] == false
            {
                found.push(id);
            }
        }
        if found.len() > skip {
            return found[skip].clone();
        }
    }
    panic!("no clear resident in {area}")
}

async fn decide(s: &Server, token: &str, gate: i64, body: Value) -> Value {
    let (status, d) =
        s.call(Method::POST, token, &format!("/api/v1/gates/{gate}/decisions"), Some(body)).await;
    assert_eq!(status, 200, "{d}");
    d
}

fn gate_named(gates: &Value, name: &str) -> i64 {
    gates
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("gate {name}: {gates}"))["id"]
        .as_i64()
        .unwrap()
}

async fn issue(s: &Server, token: &str, body: Value) -> Value {
    let (status, p) = s.call(Method::POST, token, "/api/v1/passes", Some(body)).await;
    assert_eq!(status, 201, "{p}");
    p
}

async fn seeded_day_and_live_decisions(s: &Server) {
    let admin = s.login("admin").await;
    let cadre = s.login("cadre").await;
    let worker = s.login("gongzhufu").await;

    // The seeded day: three gates, each decided by the rules, every outcome with its rule.
    let (status, gates) = s.get(&cadre, "/api/v1/gates").await;
    assert_eq!(status, 200, "{gates}");
    assert_eq!(gates.as_array().unwrap().len(), 3);
    let south = gate_named(&gates, "南门");
    let north = gate_named(&gates, "北门");
    let door = gate_named(&gates, "单元门");
    let g = gates.as_array().unwrap();
    assert_eq!(g.iter().find(|x| x["id"] == door).unwrap()["tier"], "sealed");
    assert_eq!(g.iter().find(|x| x["id"] == south).unwrap()["tier"], "controlled");
    let (_, log) = s.get(&cadre, "/api/v1/gate-log?limit=1000").await;
    let rules: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["rule"].as_str().unwrap()).collect();
    for rule in [
        "ambulance",
        "emergency_pass",
        "pass_refused",
        "confirm_staying",
        "confirmed_staying",
        "unknown_person",
        "tier_keeps_in",
    ] {
        assert!(rules.contains(&rule), "{rule} missing from the seeded log: {rules:?}");
    }
    // Traffic per hour adds up to the log.
    let (_, traffic) = s.get(&cadre, "/api/v1/gate-traffic").await;
    let (_, yesterday) = s
        .get(
            &cadre,
            &format!(
                "/api/v1/gate-traffic?date={}",
                (chrono::Utc::now() - chrono::Duration::days(1))
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .date_naive()
            ),
        )
        .await;
    let total =
        |t: &Value, k: &str| -> i64 { t.as_array().unwrap().iter().map(|g| g[k].as_i64().unwrap()).sum() };
    let allowed = log.as_array().unwrap().iter().filter(|e| e["outcome"] == "allowed").count() as i64;
    assert_eq!(
        total(&traffic, "allowed_in")
            + total(&traffic, "allowed_out")
            + total(&yesterday, "allowed_in")
            + total(&yesterday, "allowed_out"),
        allowed
    );
    let hours_sum: i64 =
        traffic[0]["hours"].as_array().unwrap().iter().map(|h| h["allowed_in"].as_i64().unwrap()).sum();
    assert_eq!(hours_sum, traffic[0]["allowed_in"].as_i64().unwrap());
    // The lists: the exception trip has not come back; the visitor to the compound is inside.
    let (_, presence) = s.get(&cadre, "/api/v1/gate-presence").await;
    assert!(!presence["out_of_their_zone"].as_array().unwrap().is_empty(), "{presence}");
    assert!(!presence["inside_without_standing"].as_array().unwrap().is_empty(), "{presence}");

    // A resident of the sealed building at its door: refused, with the rule.
    let sealed_resident = clear_resident(s, &worker, SEALED, 0).await;
    let d = decide(s, &cadre, door, json!({"direction": "out", "person": sealed_resident})).await;
    assert_eq!((d["outcome"].as_str(), d["rule"].as_str()), (Some("refused"), Some("tier_keeps_in")), "{d}");
    assert!(d["reason_zh"].as_str().unwrap().contains("凭证"), "{d}");
    assert!(
        d["person"]["name"].as_str().unwrap().chars().all(|c| c != '*'),
        "a resident of the cadre's own compound by name: {d}"
    );
    assert!(!d.to_string().contains(&sealed_resident), "no ID in the answer: {d}");
    // An ambulance goes through.
    let d = decide(s, &cadre, door, json!({"direction": "in", "subject": "ambulance", "note": "120"})).await;
    assert_eq!((d["outcome"].as_str(), d["rule"].as_str()), (Some("allowed"), Some("ambulance")));

    // Someone from another community enters the sealed building: asked, then confirmed; they
    // now stay under the sealed building's rule wherever they go.
    let visitor = clear_resident(s, &admin, "150102001002002", 0).await;
    // By a register id typed in, the gate tells nothing of them (ids are sequential: a gate
    // would answer anyone's standing); they are known by the ID card they show.
    let d = decide(s, &cadre, door, json!({"direction": "in", "person": visitor})).await;
    assert_eq!((d["outcome"].as_str(), d["rule"].as_str()), (Some("refused"), Some("unknown_person")), "{d}");
    assert!(d["person"].is_null(), "{d}");
    let store = crate::support::connect(&s.db.url).await;
    let card = store
        .person(&cordon_domain::AreaPath::root(), &cordon_domain::PersonId::parse(&visitor).unwrap())
        .await
        .unwrap()
        .and_then(|p| p.id_number)
        .expect("the visitor's ID number");
    let d = decide(s, &cadre, door, json!({"direction": "in", "person": card})).await;
    assert_eq!(
        (d["outcome"].as_str(), d["rule"].as_str()),
        (Some("ask_confirmation"), Some("confirm_staying")),
        "{d}"
    );
    assert!(d["reason_zh"].as_str().unwrap().contains("您进去就不能再出来了"));
    assert!(
        d["person"]["name"].as_str().unwrap().contains('*'),
        "someone from outside the cadre's areas, masked: {d}"
    );
    let d = decide(s, &cadre, door, json!({"direction": "in", "person": card, "confirmed": true})).await;
    assert_eq!((d["outcome"].as_str(), d["rule"].as_str()), (Some("allowed"), Some("confirmed_staying")));
    assert_eq!(d["confirmed"], true);
    // Met at a gate of an open compound elsewhere: their (stay's) zone keeps them in.
    let (status, elsewhere) = s
        .call(
            Method::POST,
            &admin,
            "/api/v1/gates",
            Some(json!({"area_code": "150102001001002", "name": "东门"})),
        )
        .await;
    assert_eq!(status, 201, "{elsewhere}");
    let elsewhere = elsewhere["id"].as_i64().unwrap();
    let d = decide(s, &admin, elsewhere, json!({"direction": "in", "person": visitor})).await;
    assert_eq!(
        (d["rule"].as_str(), d["person"]["home_tier"].as_str()),
        (Some("home_keeps_in"), Some("sealed")),
        "{d}"
    );

    // Passes: a delivery pass verifies offline; tampered, it is refused.
    let delivery = issue(
        s,
        &worker,
        json!({"kind": "delivery", "holder": "盒马配送", "area_code": COMPOUND,
        "valid_until": hours(8), "reason": "保供"}),
    )
    .await;
    let token = delivery["token"].as_str().unwrap();
    let (_, key) = s.get(&cadre, "/api/v1/passes/public-key").await;
    let public = cordon_domain::pass::public_key(key["public_key"].as_str().unwrap()).unwrap();
    let claims = cordon_domain::pass::verify(token, &public).unwrap();
    assert_eq!((claims.id.as_str(), claims.holder.as_str()), (delivery["id"].as_str().unwrap(), "盒马配送"));
    let mut tampered = token.as_bytes().to_vec();
    tampered[10] = if tampered[10] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(cordon_domain::pass::verify(&tampered, &public).is_err());
    let d = decide(s, &cadre, north, json!({"direction": "in", "pass": tampered})).await;
    assert_eq!((d["outcome"].as_str(), d["rule"].as_str()), (Some("refused"), Some("pass_refused")), "{d}");
    // What was found is typed (the page words it), and the cadre's note stays theirs alone.
    assert!(matches!(d["finding"].as_str(), Some("not_cordon" | "bad_signature")), "{d}");
    assert_eq!(d["note"], "", "{d}");
    let d = decide(s, &cadre, door, json!({"direction": "in", "pass": token})).await;
    assert_eq!((d["outcome"].as_str(), d["subject"].as_str()), (Some("allowed"), Some("delivery")), "{d}");
    let (status, svg) = {
        let r = crate::support::client()
            .get(format!("{}/api/v1/passes/{}/qr", s.base, delivery["id"].as_str().unwrap()))
            .bearer_auth(&cadre)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(status, 200);
    assert!(svg.contains("<svg"), "{svg}");
    // Revoked: refused from then on.
    let id = delivery["id"].as_str().unwrap();
    let (status, revoked) = s
        .call(
            Method::POST,
            &worker,
            &format!("/api/v1/passes/{id}/revoke"),
            Some(json!({"reason": "lost phone"})),
        )
        .await;
    assert_eq!((status, revoked["revoke_reason"].as_str()), (200, Some("lost phone")));
    let d = decide(s, &cadre, north, json!({"direction": "in", "pass": token})).await;
    assert_eq!(d["rule"], "pass_refused");
    assert_eq!(
        (d["finding"].as_str(), d["finding_detail"].as_str()),
        (Some("revoked"), Some("lost phone")),
        "{d}"
    );
    // Not valid yet; valid only at the south gate.
    let later = issue(
        s,
        &worker,
        json!({"kind": "worker", "holder": "下沉干部 王*", "area_code": COMPOUND,
        "valid_from": hours(2), "valid_until": hours(10), "reason": "包联"}),
    )
    .await;
    let d = decide(s, &cadre, south, json!({"direction": "in", "pass": later["token"]})).await;
    assert_eq!(d["finding"], "expired", "{d}");
    // The log words what was found in the page's language only; the revocation's reason is data.
    let web = s.web_login("cadre").await;
    let page = |lang: &'static str| {
        let web = web.clone();
        async move {
            let url = format!("{}/gate-log?lang={lang}", s.base);
            web.get(url).send().await.unwrap().text().await.unwrap()
        }
    };
    let (zh, en) = (page("zh").await, page("en").await);
    assert!(zh.contains("不在有效期内") && !zh.contains("outside its window"), "the Chinese log");
    assert!(en.contains("outside its window") && !en.contains("不在有效期内"), "the English log");
    assert!(zh.contains("通行证已作废: lost phone") && en.contains("the pass was revoked: lost phone"));
    let south_only = issue(
        s,
        &worker,
        json!({"kind": "worker", "holder": "志愿者 赵*", "area_code": COMPOUND,
        "gate_ids": [south], "valid_until": hours(10), "reason": "物资"}),
    )
    .await;
    let d = decide(s, &cadre, north, json!({"direction": "out", "pass": south_only["token"]})).await;
    assert_eq!(d["finding"], "other_gate", "{d}");
    assert!(!d["finding_detail"].as_str().unwrap().is_empty(), "names the area it is for: {d}");
    let d = decide(s, &cadre, south, json!({"direction": "out", "pass": south_only["token"]})).await;
    assert_eq!(d["outcome"], "allowed");

    // A one-time exception out of the controlled compound: once.
    let resident = clear_resident(s, &worker, COMPOUND, 2).await;
    let exception = issue(
        s,
        &worker,
        json!({"kind": "exception", "person": resident, "area_code": COMPOUND,
        "valid_until": hours(6), "one_time": true, "reason": "父亲病危"}),
    )
    .await;
    assert!(
        exception["holder"].as_str().unwrap().contains('*'),
        "a pass names its holder masked: {exception}"
    );
    let d = decide(s, &cadre, south, json!({"direction": "out", "pass": exception["token"]})).await;
    assert_eq!((d["outcome"].as_str(), d["rule"].as_str()), (Some("allowed"), Some("pass_admits")), "{d}");
    let d = decide(s, &cadre, north, json!({"direction": "out", "pass": exception["token"]})).await;
    assert_eq!(d["rule"], "pass_refused");
    assert_eq!(d["finding"], "replayed", "{d}");
    // Shown with somebody else's ID: not theirs.
    let other = clear_resident(s, &worker, COMPOUND, 3).await;
    let medical = issue(
        s,
        &worker,
        json!({"kind": "medical", "person": resident, "area_code": COMPOUND,
        "valid_until": hours(6), "reason": "透析"}),
    )
    .await;
    let d = decide(s, &cadre, south, json!({"direction": "out", "person": other, "pass": medical["token"]}))
        .await;
    assert_eq!(d["rule"], "pass_of_another", "{d}");

    // Unknown person (a well-formed ID number nobody has) and nothing named: refused and logged;
    // an unknown gate: 404, logged.
    let d = decide(s, &cadre, south, json!({"direction": "in", "person": "150102199001011230"})).await;
    assert_eq!(d["rule"], "unknown_person");
    assert!(!d["note"].as_str().unwrap().contains("199001011230"), "{d}");
    let d = decide(s, &cadre, south, json!({"direction": "in"})).await;
    assert_eq!(d["rule"], "nobody_named");
    let (status, e) =
        s.call(Method::POST, &cadre, "/api/v1/gates/99999/decisions", Some(json!({"direction": "in"}))).await;
    assert_eq!(status, 404, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("logged"));
    // The cadre cannot reach the gate outside their compound: 404, logged.
    let (status, _) = s
        .call(
            Method::POST,
            &cadre,
            &format!("/api/v1/gates/{elsewhere}/decisions"),
            Some(json!({"direction": "in"})),
        )
        .await;
    assert_eq!(status, 404);
    let (_, log) = s.get(&cadre, "/api/v1/gate-log?limit=20").await;
    let recent: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["rule"].as_str().unwrap()).collect();
    assert_eq!(
        &recent[..4],
        ["unknown_gate", "unknown_gate", "nobody_named", "unknown_person"],
        "{recent:?}"
    );
    // Every read of a person at a gate is audited.
    let (_, person) = s.get(&admin, &format!("/api/v1/people/{sealed_resident}")).await;
    assert!(person.is_object());
}

async fn bad_requests_and_roles(s: &Server) {
    let worker = s.login("gongzhufu").await;
    let cadre = s.login("cadre").await;
    let sampler = s.login("sampler").await;
    let (_, gates) = s.get(&cadre, "/api/v1/gates").await;
    let south = gate_named(&gates, "南门");
    let bad = |body: Value| {
        let s = &s;
        let worker = worker.clone();
        async move { s.call(Method::POST, &worker, "/api/v1/passes", Some(body)).await }
    };
    let (status, e) =
        bad(json!({"kind": "delivery", "holder": "x", "area_code": COMPOUND, "valid_from": hours(3),
        "valid_until": hours(1), "reason": "r"}))
        .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("valid_until")), "{e}");
    let (status, e) =
        bad(json!({"kind": "medical", "area_code": COMPOUND, "valid_until": hours(1), "reason": "r"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("person")), "{e}");
    let (status, e) = bad(json!({"kind": "delivery", "holder": "x", "area_code": "150105", "valid_until": hours(1), "reason": "r"})).await;
    assert_eq!(
        (status, e["error"]["field"].as_str()),
        (422, Some("area_code")),
        "outside the worker's community: {e}"
    );
    let (status, e) = bad(json!({"kind": "delivery", "holder": "x", "area_code": COMPOUND, "valid_until": hours(24 * 40), "reason": "r"})).await;
    assert_eq!(status, 422, "{e}");
    let (status, _) = bad(json!({"kind": "teleport", "holder": "x", "area_code": COMPOUND, "valid_until": hours(1), "reason": "r"})).await;
    assert_eq!(status, 400);
    let (status, e) = s
        .call(Method::POST, &worker, "/api/v1/gates", Some(json!({"area_code": COMPOUND, "name": "南门"})))
        .await;
    assert_eq!(status, 409, "{e}");
    // Roles: a cadre keeps the gate but issues nothing; a sampler does neither.
    let (status, _) = s
        .call(
            Method::POST,
            &cadre,
            "/api/v1/passes",
            Some(json!({"kind": "delivery", "holder": "x",
        "area_code": COMPOUND, "valid_until": hours(1), "reason": "r"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = s
        .call(
            Method::POST,
            &sampler,
            &format!("/api/v1/gates/{south}/decisions"),
            Some(json!({"direction": "in"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = s.get(&sampler, "/api/v1/gate-log").await;
    assert_eq!(status, 403);
    let (status, e) = s
        .call(Method::POST, &cadre, &format!("/api/v1/gates/{south}/decisions"), Some(json!({"person": "x"})))
        .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("direction")));
    // An ID number with a wrong check character is a typo: said so, nothing decided or logged;
    // the console gives it back to be read off the card again.
    let typo = "110105194912310021"; // 11010519491231002X with its check character mistyped
    let log = format!("/api/v1/gate-log?gate_id={south}&limit=1000");
    let (_, before) = s.get(&cadre, &log).await;
    let (status, e) = s
        .call(
            Method::POST,
            &cadre,
            &format!("/api/v1/gates/{south}/decisions"),
            Some(json!({"direction": "in", "person": typo})),
        )
        .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("person")), "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("check character") && !e.to_string().contains(typo),
        "{e}"
    );
    let c = s.web_login("cadre").await;
    let token = s.csrf(&c).await;
    let page = c
        .post(format!("{}/gates/{south}", s.base))
        .form(&[
            ("csrf", token.as_str()),
            ("direction", "in"),
            ("subject", ""),
            ("person", typo),
            ("pass", ""),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("校验位不符") && page.contains(&format!("value=\"{typo}\"")), "{page}");
    let (_, after) = s.get(&cadre, &log).await;
    assert_eq!(before, after, "nothing logged");
    // Unauthenticated: nothing.
    let r =
        crate::support::client().get(format!("{}/api/v1/passes/public-key", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

crate::support::on_both_backends!(seeded_day_and_live_decisions, bad_requests_and_roles);

/// `cordon verify-pass`: a gate device's check with the public key alone.
#[test]
fn a_pass_verifies_offline() {
    use cordon_domain::gates::PassKind;
    use cordon_domain::pass::{PassClaims, PassKey};
    let key = PassKey::from_secret(&[42; 32]);
    let now = chrono::Utc::now().timestamp();
    let claims = |from: i64, until: i64| PassClaims {
        id: "P0A1B2C3D4E5".into(),
        kind: PassKind::Medical,
        area: COMPOUND.into(),
        gates: vec![],
        from,
        until,
        one_time: true,
        holder: "王*".into(),
    };
    let good = key.sign(&claims(now - 60, now + 3600));
    let out = crate::support::cordon()
        .args(["verify-pass", "--public-key", &key.public_base64(), &good])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("signature: good") && text.contains("medical") && text.contains("王*"), "{text}");
    // Altered, signed by another key, or out of its window: refused, with why.
    let mut altered = good.clone().into_bytes();
    altered[8] = if altered[8] == b'Q' { b'R' } else { b'Q' };
    let other = PassKey::from_secret(&[7; 32]).sign(&claims(now - 60, now + 3600));
    let expired = key.sign(&claims(now - 7200, now - 3600));
    for (token, why) in [
        (String::from_utf8(altered).unwrap(), "refused"),
        (other, "signature does not match"),
        (expired, "outside its window"),
    ] {
        let out = crate::support::cordon()
            .args(["verify-pass", "--public-key", &key.public_base64(), &token])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{why}: {err}");
    }
    // A public key is base64url: one in 64 starts with `-`, and is still taken as the key.
    let hyphen = (0..=255u8)
        .map(|b| PassKey::from_secret(&[b; 32]))
        .find(|k| k.public_base64().starts_with('-'))
        .expect("a key starting with '-' among 256");
    let token = hyphen.sign(&claims(now - 60, now + 3600));
    let out = crate::support::cordon()
        .args(["verify-pass", "--public-key", &hyphen.public_base64(), &token])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
