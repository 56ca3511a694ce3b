//! 医学观察 end to end on the demo: a contact's plan day by day, health checks recorded and
//! refused, a release by hand refused while the plan runs — and, on a clock the test controls,
//! the release task letting a contact go at the end of their plan and not a minute before, once
//! every test day has its negative, while one with a test day missed is held. On both backends.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use cordon_domain::{AreaPath, ContactKind, ContactStatus, Schedule};
use cordon_import::{Limits, Progress};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, connect, on_both_backends};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn local(d: NaiveDate, h: u32) -> DateTime<Utc> {
    cordon_domain::cases::local_midnight(d, TZ) + Duration::hours(i64::from(h))
}

/// Sends negative tests for `person` on `days` as a site's team and the lab would, on `state`'s clock.
async fn negatives(
    state: &cordon_server::AppState,
    round: &str,
    person: &str,
    days: &[NaiveDate],
    dir: &std::path::Path,
) {
    let store = &state.store;
    let admin = store.user_by_name("admin").await.unwrap().unwrap();
    let lab = store.user_by_name("lab").await.unwrap().unwrap();
    let mut samples = String::from("tube_id,person_id,collected_at,round_id,site\n");
    let mut results = String::from("tube_id,result,reported_at,lab\n");
    for d in days {
        let tube = format!("FU-{person}-{d}");
        samples += &format!("{tube},{person},{},{round},隔离点\n", local(*d, 8).to_rfc3339());
        results += &format!("{tube},negative,{},金域医学\n", local(*d, 16).to_rfc3339());
    }
    let progress = Progress::default();
    for (name, text) in [("s", &samples), ("r", &results)] {
        let path = dir.join(format!("{person}-{name}.csv"));
        std::fs::write(&path, text).unwrap();
        let sha = format!("{:064x}", rand::random::<u128>());
        if name == "s" {
            cordon_server::testing::import_samples(state, &admin, &path, sha, Limits::default(), &progress)
                .await
                .unwrap();
        } else {
            cordon_server::testing::import_results(state, &lab, &path, sha, Limits::default(), &progress)
                .await
                .unwrap();
        }
    }
}

async fn contacts_followed_to_their_release(s: &Server) {
    let epi = s.login("epi").await;
    let (status, list) = s.get(&epi, "/api/v1/contacts?active=true&kind=close&limit=5000").await;
    assert_eq!(status, 200, "{list}");
    let close: Vec<&Value> = list.as_array().unwrap().iter().filter(|c| c["in_register"] == true).collect();
    assert!(close.len() >= 2, "the demo's story has close contacts in the register: {list}");
    let (a, b) = (close[0]["id"].as_i64().unwrap(), close[1]["id"].as_i64().unwrap());
    let url = |id: i64| format!("/api/v1/contacts/{id}");

    // The plan day by day: the ninth edition's five test days, under way.
    let (status, f) = s.get(&epi, &url(a)).await;
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["tests"].as_array().unwrap().len(), 5, "{f}");
    assert_eq!(f["verdict"]["verdict"], "under_way", "{f}");
    assert!(f["checks"].as_array().unwrap().is_empty());

    // Health checks: a reading that is not a temperature and an unknown symptom are refused,
    // naming the field; a fever with a cough is flagged.
    let checks_url = format!("/api/v1/contacts/{a}/checks");
    let check = |body: Value| s.call(Method::POST, &epi, &checks_url, Some(body));
    let (status, e) = check(json!({ "temperature": 3.65 })).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("temperature")), "{e}");
    let (status, e) = check(json!({ "temperature": 36.5, "symptoms": ["headache"] })).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("symptoms")), "{e}");
    let (status, f) = check(json!({ "temperature": 36.5 })).await;
    assert_eq!(status, 201, "{f}");
    let (status, f) = check(json!({ "temperature": 38.2, "symptoms": ["cough", "cough"] })).await;
    assert_eq!(status, 201, "{f}");
    let checks = f["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(
        (checks[1]["unwell"].as_bool(), checks[1]["symptoms"].clone()),
        (Some(true), json!(["cough"]))
    );
    assert_eq!(checks[0]["unwell"], false);
    // A sampler follows no contacts.
    let sampler = s.login("sampler").await;
    assert_eq!(s.get(&sampler, &url(a)).await.0, 403);

    // Released by hand while the plan runs: refused, saying when it ends.
    let (status, e) = s.call(Method::PATCH, &epi, &url(a), Some(json!({ "status": "released" }))).await;
    assert_eq!(status, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("the plan is not over"), "{e}");

    // On a clock the test sets: every test day of contact a sampled and negative, contact b's
    // second missed; the day's last check of a is well again.
    let store = connect(&s.db.url).await;
    let root = AreaPath::root();
    let rec_a = store.contact(&root, a).await.unwrap().unwrap();
    let rec_b = store.contact(&root, b).await.unwrap().unwrap();
    let profiles = cordon_domain::protocol::builtin();
    let ninth = profiles.iter().find(|p| p.key == rec_a.case_profile_key).unwrap();
    let plan_a = Schedule::new(ContactKind::Close.plan(ninth).unwrap(), rec_a.quarantine_from);
    let plan_b = Schedule::new(ContactKind::Close.plan(ninth).unwrap(), rec_b.quarantine_from);
    assert_eq!(rec_a.plan_ends, Some(plan_a.ends), "the plan's end is kept with the contact");
    let end = cordon_domain::cases::local_midnight(plan_a.ends, TZ);
    let clock = cordon_server::Clock::set_at(end + Duration::hours(2));
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz: TZ, ..Default::default() })
            .with_clock(clock.clone());
    let admin = store.user_by_name("admin").await.unwrap().unwrap();
    let round = cordon_server::testing::RoundRequest {
        round_key: Some("FU-TEST".into()),
        name: "隔离观察人员核酸".into(),
        name_en: None,
        area_code: "150100".into(),
        starts_at: Some(local(plan_a.starts.min(plan_b.starts), 0)),
        deadline: local(plan_a.starts.min(plan_b.starts), 0) + Duration::days(7),
    };
    cordon_server::testing::create_round(&state, &admin, round).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    negatives(&state, "FU-TEST", &rec_a.person_id, &plan_a.test_dates, dir.path()).await;
    let missed: Vec<NaiveDate> =
        plan_b.test_dates.iter().enumerate().filter(|(k, _)| *k != 1).map(|(_, d)| *d).collect();
    negatives(&state, "FU-TEST", &rec_b.person_id, &missed, dir.path()).await;
    clock.set(end - Duration::hours(3));
    let req = cordon_server::cases::HealthCheckRequest { temperature: 36.4, symptoms: vec![], at: None };
    let hq = store.user_by_name("epi").await.unwrap().unwrap();
    cordon_server::cases::record_check(&state, &hq, a, &req, "test").await.unwrap();

    let status_of = |id: i64| {
        let store = store.clone();
        async move { store.contact(&AreaPath::root(), id).await.unwrap().unwrap() }
    };
    // The last minute of the plan's last day: nobody is released.
    clock.set(end - Duration::minutes(1));
    let run = cordon_server::cases::release_due(&state, clock.now()).await.unwrap();
    assert_eq!(run.released, 0, "{run:?}");
    assert!(status_of(a).await.status.is_active());
    // The first minute after it: a is, b is held for the day missed.
    clock.set(end + Duration::minutes(1));
    let run = cordon_server::cases::release_due(&state, clock.now()).await.unwrap();
    assert!(run.released >= 1 && run.held_missed >= 1, "{run:?}");
    let released = status_of(a).await;
    assert_eq!(
        (released.status, released.released_at),
        (ContactStatus::Released, Some(end + Duration::minutes(1)))
    );
    if plan_b.ends == plan_a.ends {
        assert!(status_of(b).await.status.is_active(), "a test day missed holds the release");
    }
    let again = cordon_server::cases::release_due(&state, clock.now()).await.unwrap();
    assert_eq!(again.released, 0, "released once");

    // 应检未检: b's second test day is marked missed (by the day b's quarantine began, from the
    // earliest quarantine followed), listed and counted; a, released, is not.
    let (run, through) = cordon_server::cases::keep_overdue(&state, clock.now(), None).await.unwrap();
    assert!(run.marked >= 1 && run.days.contains(&plan_b.test_dates[1]), "{run:?}");
    assert_eq!(through, clock.now().with_timezone(&TZ).date_naive() - Duration::days(1));
    let (again, _) = cordon_server::cases::keep_overdue(&state, clock.now(), Some(through)).await.unwrap();
    assert_eq!((again.marked, again.days.len()), (0, 0), "a day is marked once");
    let b_now = status_of(b).await;
    assert_eq!(b_now.overdue_since, Some(local(plan_b.test_dates[1], 0)));
    let (_, listed) = s.get(&epi, "/api/v1/contacts?active=true&overdue=true").await;
    let listed = listed.as_array().unwrap();
    let b_listed = listed.iter().find(|c| c["id"] == b).expect("b is listed as overdue");
    assert_eq!(b_listed["missed_test_day"], plan_b.test_dates[1].to_string());
    assert!(listed.iter().all(|c| c["id"] != a && c["missed_test_day"].is_string()));

    // Through the API: released, and no longer under a verdict; on the clock of the release,
    // every test day negative. No more checks taken.
    let (_, f) = s.get(&epi, &url(a)).await;
    assert_eq!(f["contact"]["status"], "released", "{f}");
    assert!(f["verdict"].is_null() && f["released_at"].is_string(), "{f}");
    let then = cordon_server::cases::followup(&state, &hq, a, "test").await.unwrap();
    let states: Vec<_> = then.tests.iter().map(|t| t.state).collect();
    assert_eq!(states, [cordon_domain::followup::TestDayState::Negative; 5]);
    let (status, e) = check(json!({ "temperature": 36.5 })).await;
    assert_eq!(status, 409, "{e}");

    // The dashboard counts those still under management.
    let admin_token = s.login("admin").await;
    let (_, d) = s.get(&admin_token, "/api/v1/dashboard?fresh=true").await;
    assert!(d["today"]["course"]["contacts_managed"].as_i64().unwrap() > 0, "{}", d["today"]);
    assert!(d["today"]["course"]["contacts_overdue"].as_i64().unwrap() >= 1, "{}", d["today"]);
    let web = s.web_login("admin").await;
    let page =
        web.get(format!("{}/contacts?show=overdue", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains(&format!("/contacts/{b}")) && !page.contains(&format!("/contacts/{a}\"")),
        "{page}"
    );

    // b's tube of the day missed turns up (recorded late): the next pass finds it in the
    // day's window and clears the mark, and the release lets b go.
    negatives(&state, "FU-TEST", &rec_b.person_id, &plan_b.test_dates[1..2], dir.path()).await;
    let (run, _) = cordon_server::cases::keep_overdue(&state, clock.now(), Some(through)).await.unwrap();
    assert!(run.looked_again >= 1 && run.cleared >= 1, "{run:?}");
    assert_eq!(status_of(b).await.overdue_since, None);
    if plan_b.ends == plan_a.ends {
        let run = cordon_server::cases::release_due(&state, clock.now()).await.unwrap();
        assert!(run.released >= 1, "{run:?}");
        assert_eq!(status_of(b).await.status, ContactStatus::Released);
    }
}

on_both_backends!(contacts_followed_to_their_release);
