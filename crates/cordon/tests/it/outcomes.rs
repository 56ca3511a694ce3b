//! 转归: a case taken to its end through the API and the page — admitted, discharged only when the
//! discharge rule of its profile is met, then closed — and the demo's month of cases, admitted and
//! discharged by the same rule.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, first_household, on_both_backends};

/// Opens a case for a resident of the demo's second community, sampled `days` ago.
async fn fresh_case(s: &Server, epi: &str, days: i64) -> (i64, String) {
    let admin = s.login("admin").await;
    let (_, people) = first_household(s, &admin, "150102001002").await;
    let sampled = (Utc::now() - Duration::days(days)).to_rfc3339();
    for person in people {
        let body = json!({ "person_id": person, "class": "confirmed", "sampled_at": sampled });
        let (status, opened) = s.call(Method::POST, epi, "/api/v1/cases", Some(body)).await;
        if status == 201 {
            return (opened["id"].as_i64().unwrap(), opened["sampled_at"].as_str().unwrap().to_owned());
        }
        assert_eq!(status, 409, "{opened}");
    }
    panic!("no one in the household to open a case for")
}

/// Checks the case's person in to a bed of the demo's designated hospital (a ward added for it)
/// with the case named, at `at`; returns the stay's id.
async fn admit(s: &Server, person: &str, case: i64, at: &str) -> i64 {
    let admin = s.login("admin").await;
    let rooms = json!({ "rooms": [{ "label": "Z-01" }] });
    let (status, body) = s.call(Method::POST, &admin, "/api/v1/sites/QS-HOSPITAL-2/rooms", Some(rooms)).await;
    assert!(status == 201 || status == 409, "{body}");
    let epi = s.login("epi").await;
    let stay = json!({
        "person_id": person, "site_id": "QS-HOSPITAL-2", "room": "Z-01", "guest": "case", "case_id": case, "at": at
    });
    let (status, body) = s.call(Method::POST, &epi, "/api/v1/stays", Some(stay)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

fn at(sampled: &str, hours: i64) -> String {
    (chrono::DateTime::parse_from_rfc3339(sampled).unwrap() + Duration::hours(hours)).to_rfc3339()
}

async fn a_case_to_its_end(s: &Server) {
    let epi = s.login("epi").await;
    let (id, sampled) = fresh_case(s, &epi, 5).await;
    let url = format!("/api/v1/cases/{id}/outcome");
    let post = |body: Value| s.call(Method::POST, &epi, &url, Some(body));

    // Refusals, each naming its field, changing nothing.
    let (status, body) = post(json!({ "outcome": "recovered" })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("outcome")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("2 negative tests") && message.contains("24 hours"),
        "the rule named: {message}"
    );
    let (status, body) = post(json!({ "outcome": "hospitalised" })).await;
    assert_eq!(status, 409, "admitted is a stay at a hospital, and there is none: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("check them in"), "{body}");
    let (status, body) = post(json!({ "outcome": "cured" })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("outcome")), "{body}");
    let (status, body) = post(json!({ "outcome": "isolated", "at": at(&sampled, -5) })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("at")), "before the positive: {body}");
    let (_, case) = s.get(&epi, &format!("/api/v1/cases/{id}")).await;
    assert!(case["case"]["outcome"].is_null(), "{case}");

    // Checked in at the designated hospital: admitted, naming the stay, by the check-in itself.
    let person = case["case"]["person_id"].as_str().unwrap().to_owned();
    let stay = admit(s, &person, id, &at(&sampled, 3)).await;
    let (_, d) = s.get(&epi, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        (d["case"]["outcome"].as_str(), d["case"]["outcome_stay_id"].as_i64()),
        (Some("hospitalised"), Some(stay)),
        "{d}"
    );
    assert!(d["case"]["outcome_place"].as_str().unwrap().contains("定点医院"), "{d}");
    // Recorded by hand again, it is there already; a 方舱's isolation is not what a hospital's
    // bed is.
    let (status, body) = post(json!({ "outcome": "hospitalised" })).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = post(json!({ "outcome": "isolated" })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("outcome")), "{body}");

    // Negatives ten hours apart are not a discharge, a day apart are.
    let close = json!([at(&sampled, 48), at(&sampled, 58)]);
    let (status, body) =
        post(json!({ "outcome": "recovered", "at": at(&sampled, 60), "negative_tests": close })).await;
    assert_eq!(status, 422, "{body}");
    let apart = json!([at(&sampled, 48), at(&sampled, 73)]);
    let (status, body) =
        post(json!({ "outcome": "recovered", "at": at(&sampled, 70), "negative_tests": apart.clone() }))
            .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("at")),
        "before its last negative: {body}"
    );
    let (status, d) =
        post(json!({ "outcome": "recovered", "at": at(&sampled, 75), "negative_tests": apart })).await;
    assert_eq!((status, d["case"]["outcome"].as_str()), (200, Some("recovered")), "{d}");
    let discharged = chrono::DateTime::parse_from_rfc3339(d["case"]["outcome_at"].as_str().unwrap()).unwrap();
    let until =
        chrono::DateTime::parse_from_rfc3339(d["case"]["monitoring_until"].as_str().unwrap()).unwrap();
    assert!(until - discharged >= Duration::days(7), "the profile's monitoring at home: {d}");
    let course: Vec<&str> =
        d["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(course.iter().filter(|k| **k == "outcome").count(), 2, "{course:?}");
    let last = d["history"].as_array().unwrap().last().unwrap()["text_en"].as_str().unwrap().to_owned();
    assert!(last.contains("recovered") && last.contains("negative tests sampled"), "{last}");
    let admin = s.login("admin").await;
    let (_, rooms) = s.get(&admin, "/api/v1/sites/QS-HOSPITAL-2/rooms").await;
    let bed = rooms["rooms"].as_array().unwrap().iter().find(|r| r["label"] == "Z-01").unwrap();
    assert_eq!(
        (bed["state"].as_str(), bed["occupants"].as_array().map(Vec::len)),
        (Some("cleaning"), Some(0)),
        "{bed}"
    );
    // Discharged, the case is checked in nowhere again.
    let (status, body) = s
        .call(
            Method::POST,
            &admin,
            "/api/v1/sites/QS-HOSPITAL-2/rooms",
            Some(json!({ "rooms": [{ "label": "Z-02" }] })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let again = json!({ "person_id": person, "site_id": "QS-HOSPITAL-2", "room": "Z-02", "guest": "case", "case_id": id });
    let (status, body) = s.call(Method::POST, &epi, "/api/v1/stays", Some(again)).await;
    assert_eq!(status, 409, "{body}");

    // Closed: nothing more; a cadre may record nothing.
    let (status, body) = post(json!({ "outcome": "died" })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("outcome")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("closed"), "{body}");
    let cadre = s.login("cadre").await;
    let (status, _) = s.call(Method::POST, &cadre, &url, Some(json!({ "outcome": "died" }))).await;
    assert_eq!(status, 403);
}

/// The page's form records an outcome; the demo's cases were admitted or isolated.
async fn from_the_page_and_in_the_demo(s: &Server) {
    let epi = s.login("epi").await;
    let (id, _) = fresh_case(s, &epi, 1).await;
    let web = s.web_login("epi").await;
    let page = web.get(format!("{}/cases/{id}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"record-outcome\""), "{page:.2000}");
    let csrf = s.csrf(&web).await;
    // Isolated by hand with no stay: the page says why, and nothing is written.
    let form = [("csrf", csrf.as_str()), ("kind", "outcome"), ("outcome", "isolated"), ("at", "")];
    let r = web.post(format!("{}/cases/{id}/changes", s.base)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("check them in"));
    // Checked in at the 方舱's bed with the case named, the page shows it isolated there.
    let (_, case) = s.get(&epi, &format!("/api/v1/cases/{id}")).await;
    let stay = json!({
        "person_id": case["case"]["person_id"], "site_id": "QS-FANGCANG", "room": "B-40", "guest": "case", "case_id": id
    });
    let (status, body) = s.call(Method::POST, &epi, "/api/v1/stays", Some(stay)).await;
    assert_eq!(status, 201, "{body}");
    let page = web.get(format!("{}/cases/{id}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("集中隔离") && page.contains("方舱医院 B-40"), "{page:.3000}");
    // The form records what needs no stay: the course's end.
    let form = [("csrf", csrf.as_str()), ("kind", "outcome"), ("outcome", "died"), ("at", "")];
    let r = web.post(format!("{}/cases/{id}/changes", s.base)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = web.get(format!("{}/cases/{id}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("死亡") && page.contains("方舱医院 B-40"), "where the course ended: {page:.3000}");

    // The demo's cases found two days ago or more are in a hospital or a site (and, in the
    // month of history, discharged when the rule allowed).
    let (_, cases) = s.get(&epi, "/api/v1/cases?limit=1000").await;
    let old = Utc::now() - Duration::days(2);
    for c in cases.as_array().unwrap() {
        let sampled = chrono::DateTime::parse_from_rfc3339(c["sampled_at"].as_str().unwrap()).unwrap();
        if sampled < old && c["id"] != id {
            let placed =
                ["hospitalised", "isolated", "recovered"].contains(&c["outcome"].as_str().unwrap_or(""));
            assert!(placed && c["outcome_stay_id"].is_i64(), "each by its stay: {c}");
        }
    }
}

on_both_backends!(a_case_to_its_end, from_the_page_and_in_the_demo);
