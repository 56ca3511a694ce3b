//! The command dashboard, the daily briefing, the exports and the metrics end to end on the demo:
//! figures scoped to the user and live after a change, a briefing drafted, refused to the wrong
//! role, published twice as two revisions, bad dates answered; exports streamed, audited and
//! pseudonymised; /metrics for the scraper's token and headquarters only — on both backends.

use reqwest::Method;
use serde_json::json;

use crate::support::{self, Server, client, first_household};

async fn figures_scoped_and_live(s: &Server) {
    let admin = s.login("admin").await;
    let (status, d) = s.get(&admin, "/api/v1/dashboard").await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["area"]["code"], "150100");
    assert_eq!(d["days"].as_array().unwrap().len(), 30);
    assert_eq!(d["today"]["partial"], true);
    assert_eq!(d["days"][29]["day"], d["today"]["day"], "today is the last day of the charts");
    // The demo's story: zones in force with people under them, a round under way, needs waiting.
    let t = &d["today"];
    assert!(t["residents_by_tier"][0].as_i64().unwrap() > 0, "{t}");
    assert!(t["zones_by_tier"].as_array().unwrap().iter().map(|z| z.as_i64().unwrap()).sum::<i64>() > 0);
    assert!(t["round"]["sampled"].as_i64().unwrap() > 0, "{t}");
    assert!(t["needs"]["open_now"].as_i64().unwrap() > 0, "{t}");
    assert!(t["workers_on_hand"].as_i64().unwrap() > 0, "{t}");

    // Scope: a district office gets its district, another district is not among its areas, a
    // code that is no code is named, and a cadre at a gate gets no figures.
    let district = s.login("xincheng").await;
    let (status, dd) = s.get(&district, "/api/v1/dashboard").await;
    assert_eq!((status, dd["area"]["code"].as_str()), (200, Some("150102")));
    let (status, body) = s.get(&district, "/api/v1/dashboard?area=150103").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = s.get(&district, "/api/v1/dashboard?area=x%27%3B--").await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("area")), "{body}");
    let cadre = s.login("cadre").await;
    assert_eq!(s.get(&cadre, "/api/v1/dashboard").await.0, 403);

    // Live: a confirmed case opened now is among today's positives.
    let before = d["today"]["positives"]["confirmed"].as_i64().unwrap();
    let epi = s.login("epi").await;
    let (_, people) = first_household(s, &epi, "150102001001001").await;
    let pid = people[0].clone();
    let sampled = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let (status, case) = s
        .call(
            Method::POST,
            &epi,
            "/api/v1/cases",
            Some(json!({"person_id": pid, "class": "confirmed", "sampled_at": sampled})),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    let (_, kept) = s.get(&admin, "/api/v1/dashboard").await;
    assert_eq!(
        kept["today"]["positives"]["confirmed"].as_i64().unwrap(),
        before,
        "kept figures are served as kept"
    );
    let (_, fresh) = s.get(&admin, "/api/v1/dashboard?fresh=true").await;
    assert_eq!(fresh["today"]["positives"]["confirmed"].as_i64().unwrap(), before + 1, "{}", fresh["today"]);
    assert_eq!(fresh["days"][29]["positives"], fresh["today"]["positives"]);

    // The page: figures linking to their lists, five charts drawn on the server, areas inside.
    let web = s.web_login("admin").await;
    let r = web.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/dashboard", "headquarters lands on the dashboard");
    let html = web.get(format!("{}/dashboard", s.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("<svg").count(), 5, "five charts");
    for link in
        ["href=\"/cases\"", "href=\"/needs\"", "href=\"/workforce\"", "href=\"/gate-log\"", "href=\"/rounds/"]
    {
        assert!(html.contains(link), "{link}");
    }
    assert!(html.contains("/dashboard?area=150102"), "drill into a district");
    let web_cadre = s.web_login("cadre").await;
    let r = web_cadre.get(format!("{}/", s.base)).send().await.unwrap();
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/areas/"), "a cadre lands on their area");
}

async fn briefing_drafted_and_published(s: &Server) {
    let admin = s.login("admin").await;
    // The day's care visits are open requests the briefing counts: planned at the server's start,
    // they would otherwise land between two publications and tell them apart.
    s.job_ran(&admin, "care_planning").await;
    let (status, d) = s.get(&admin, "/api/v1/dashboard").await;
    let today = d["today"]["day"].as_str().unwrap_or_else(|| panic!("{status}: {d}")).to_owned();
    let (status, draft) = s.get(&admin, &format!("/api/v1/briefings/draft?date={today}")).await;
    assert_eq!(status, 200, "{draft}");
    let zh = draft["text_zh"].as_str().unwrap();
    assert!(zh.starts_with("# 呼和浩特市疫情防控工作通报"), "{zh}");
    assert!(zh.contains("新增本土阳性感染者") && zh.contains("## 指标说明"), "{zh}");
    assert!(draft["text_en"].as_str().unwrap().contains("## Definitions"));
    assert_eq!(draft["figures"]["partial"], true);

    // Bad dates: each answered, naming the field.
    let future = (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap() + chrono::Duration::days(2))
        .to_string();
    for (date, status, code) in
        [("2026-13-01", 422, "invalid"), (future.as_str(), 422, "invalid"), ("2001-01-01", 404, "not_found")]
    {
        let (got, body) = s.get(&admin, &format!("/api/v1/briefings/draft?date={date}")).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{date}: {body}");
    }
    let (_, body) = s.get(&admin, "/api/v1/briefings/draft?date=2001-01-01").await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("nothing was recorded in 呼和浩特市"),
        "{body}"
    );

    // Only headquarters publishes; a district office may read a draft of its own district.
    let district = s.login("xincheng").await;
    let (status, _) = s.get(&district, &format!("/api/v1/briefings/draft?date={today}&area=150102")).await;
    assert_eq!(status, 200);
    let (status, _) = s
        .call(Method::POST, &district, "/api/v1/briefings", Some(json!({"date": today, "area": "150102"})))
        .await;
    assert_eq!(status, 403);

    // Published as drafted, then as reviewed: two revisions, both kept.
    let (status, first) =
        s.call(Method::POST, &admin, "/api/v1/briefings", Some(json!({"date": today}))).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["revision"], 1);
    assert!(first["text_zh"].as_str().unwrap().starts_with("# 呼和浩特市疫情防控工作通报"));
    assert_eq!(first["figures"]["area_code"], "150100", "kept with the figures it was written from");
    let reviewed = "# 呼和浩特市疫情防控工作通报\n\n审核后的文字。<script>alert(1)</script>";
    let (status, second) = s
        .call(Method::POST, &admin, "/api/v1/briefings", Some(json!({"date": today, "text_zh": reviewed})))
        .await;
    assert_eq!((status, second["revision"].as_i64()), (201, Some(2)), "{second}");
    assert_eq!(second["text_zh"], reviewed);
    assert_eq!(second["text_en"], first["text_en"], "an English text not given is the draft's");
    let (_, list) = s.get(&admin, "/api/v1/briefings").await;
    let revisions: Vec<i64> =
        list.as_array().unwrap().iter().map(|b| b["revision"].as_i64().unwrap()).collect();
    assert_eq!(revisions, [2, 1]);
    let (_, theirs) = s.get(&district, "/api/v1/briefings").await;
    assert_eq!(theirs, json!([]), "the city's briefing is not a district's");
    let too_long = "长".repeat(20_001);
    let (status, body) = s
        .call(Method::POST, &admin, "/api/v1/briefings", Some(json!({"date": today, "text_en": too_long})))
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("text_en")), "{body}");

    // The print page shows a reviewed text's markup as text; the Markdown downloads.
    let web = s.web_login("admin").await;
    let id = second["id"].as_i64().unwrap();
    let html = web.get(format!("{}/briefings/{id}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("审核后的文字") && html.contains("&lt;script&gt;") && !html.contains("<script>alert")
    );
    let r = web.get(format!("{}/briefings/{id}/markdown?lang=en", s.base)).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/markdown"));
    assert_eq!(r.text().await.unwrap(), second["text_en"].as_str().unwrap());
    // The page publishes too, with the session's token.
    let csrf = s.csrf(&web).await;
    let r = web
        .post(format!("{}/briefings", s.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("date", today.as_str()),
            ("area", "150100"),
            ("text_zh", ""),
            ("text_en", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/briefings/"));
}

fn csv_rows(body: &str) -> Vec<Vec<String>> {
    let body = body.strip_prefix('\u{feff}').expect("a BOM first");
    csv::Reader::from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn exports_streamed_audited_pseudonymised(s: &Server) {
    let grid = s.login("gongzhufu").await;
    let get = |token: &str, path: &str| {
        let (token, path) = (token.to_owned(), path.to_owned());
        async move { client().get(format!("{}{path}", s.base)).bearer_auth(token).send().await.unwrap() }
    };
    let r = get(&grid, "/api/v1/exports?list=people&format=csv").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("people-150102001001-"));
    let named = csv_rows(&r.text().await.unwrap());
    let (_, community) = s.get(&grid, "/api/v1/areas/150102001001").await;
    assert_eq!(named.len() as i64, community["area"]["residents"].as_i64().unwrap(), "every resident, once");
    let ids: std::collections::HashSet<&str> = named.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), named.len());
    assert!(named.iter().all(|r| !r[7].is_empty()), "an address on every row");

    // The named export is audited person by person and as an export.
    let store = support::connect(&s.db.url).await;
    let someone = cordon_domain::PersonId::parse(&named[0][0]).unwrap();
    let reads = store.reads_of(&someone, 10).await.unwrap();
    assert!(reads.iter().any(|r| r.username == "gongzhufu" && r.route == "GET /api/v1/exports"), "{reads:?}");
    let e = &store.exports(5).await.unwrap()[0];
    assert_eq!(
        (e.list.as_str(), e.rows, e.finished, e.pseudonymised),
        ("people", named.len() as i64, true, false)
    );

    // Pseudonymised: no name, ID number, register id or phone; the same pseudonym each time.
    let body =
        get(&grid, "/api/v1/exports?list=people&format=csv&pseudonymise=true").await.text().await.unwrap();
    let pseudo = csv_rows(&body);
    assert_eq!(pseudo.len(), named.len());
    let cells: std::collections::HashSet<&str> = pseudo.iter().flatten().map(String::as_str).collect();
    for (n, p) in named.iter().zip(&pseudo) {
        assert!(p[0].starts_with("P-") && p[1] == p[0], "{p:?}");
        for personal in [&n[0], &n[1], &n[2], &n[3]] {
            assert!(
                personal.is_empty() || !cells.contains(personal.as_str()),
                "{personal} in a pseudonymised export"
            );
        }
        assert!(p[3].is_empty(), "no phone");
        if !n[2].is_empty() {
            assert!(p[2].starts_with("ID-"), "{p:?}");
        }
    }
    assert!(!body.contains(&named[0][1]), "not even inside another cell");
    // The rest of each row is the named export's: the pseudonymised register is written by the
    // bulk reader, the named one page by page.
    for (n, p) in named.iter().zip(&pseudo) {
        assert_eq!(n[4..], p[4..], "birth year, sex, household, address, tags");
    }
    // And a person's pseudonym is the one the other lists give them.
    let needs_named = csv_rows(&get(&grid, "/api/v1/exports?list=needs").await.text().await.unwrap());
    let needs_pseudo =
        csv_rows(&get(&grid, "/api/v1/exports?list=needs&pseudonymise=true").await.text().await.unwrap());
    let (i, resident) =
        needs_named.iter().enumerate().find(|(_, r)| !r[2].is_empty()).expect("a need naming a resident");
    let row = named.iter().position(|r| r[0] == resident[2]).expect("the resident in the register");
    assert_eq!(needs_pseudo[i][2], pseudo[row][0], "one pseudonym per person across lists");
    let again = csv_rows(
        &get(&grid, "/api/v1/exports?list=people&format=csv&pseudonymise=true").await.text().await.unwrap(),
    );
    assert_eq!(again, pseudo, "pseudonyms are stable");
    assert!(
        store.reads_of(&someone, 10).await.unwrap().len() == reads.len(),
        "a pseudonymised export reads nobody"
    );

    // The same for the whole city (the bulk reader walks every area from the top).
    let admin = s.login("admin").await;
    let city_named = csv_rows(&get(&admin, "/api/v1/exports?list=people").await.text().await.unwrap());
    let city_pseudo =
        csv_rows(&get(&admin, "/api/v1/exports?list=people&pseudonymise=true").await.text().await.unwrap());
    assert_eq!(city_named.len(), city_pseudo.len());
    assert!(city_named.len() > named.len());
    for (n, p) in city_named.iter().zip(&city_pseudo) {
        assert_eq!(n[4..], p[4..], "birth year, sex, household, address, tags");
    }

    // XLSX: a workbook, whole; the other lists.
    let r = get(&grid, "/api/v1/exports?list=people&format=xlsx").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04") && bytes.len() > 10_000, "a zip of {} bytes", bytes.len());
    for (list, first) in [
        ("zones", "zone_id"),
        ("needs", "need_id"),
        ("assignments", "assignment_id"),
        ("gate-log", "passage_id"),
    ] {
        let r = get(&admin, &format!("/api/v1/exports?list={list}")).await;
        assert_eq!(r.status(), 200, "{list}");
        let body = r.text().await.unwrap();
        assert!(
            body.trim_start_matches('\u{feff}').starts_with(first),
            "{list}: {}",
            &body[..body.len().min(80)]
        );
        assert!(!csv_rows(&body).is_empty(), "{list} has rows on the demo");
    }
    let epi = s.login("epi").await;
    assert_eq!(get(&epi, "/api/v1/exports?list=contacts").await.status(), 200);

    // Refused: a cadre, an epidemiologist's register, an area not the user's, a list that is none.
    let cadre = s.login("cadre").await;
    assert_eq!(get(&cadre, "/api/v1/exports?list=people").await.status(), 403);
    assert_eq!(get(&epi, "/api/v1/exports?list=people").await.status(), 403);
    assert_eq!(get(&grid, "/api/v1/exports?list=people&area=150102001002").await.status(), 404);
    let r = get(&grid, "/api/v1/exports?list=everything").await;
    assert_eq!(r.status(), 400);
}

async fn metrics_for_the_scraper_and_headquarters(s: &Server) {
    let admin = s.login("admin").await;
    s.get(&admin, "/api/v1/dashboard").await;
    let url = format!("{}/metrics", s.base);
    assert_eq!(client().get(&url).send().await.unwrap().status(), 401);
    let grid = s.login("gongzhufu").await;
    assert_eq!(client().get(&url).bearer_auth(&grid).send().await.unwrap().status(), 403);
    let r = client().get(&url).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains(
            "cordon_http_requests_total{method=\"GET\",route=\"/api/v1/dashboard\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(text.contains("cordon_http_request_duration_seconds_bucket"), "latencies as a histogram");
    assert!(text.contains("cordon_db_pool_connections{state=\"idle\"}"));
    assert!(
        text.contains("cordon_residents_under_tier{tier=\"sealed\"}"),
        "the city's figures once kept: {text}"
    );
    assert!(!text.contains("150102001001001"), "no area codes or ids in series");
}

support::on_both_backends!(
    figures_scoped_and_live,
    briefing_drafted_and_published,
    exports_streamed_audited_pseudonymised,
    metrics_for_the_scraper_and_headquarters
);

/// The scraper's token: Prometheus reads /metrics with it and with nothing else.
#[tokio::test]
async fn metrics_token_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.token");
    std::fs::write(&file, "s3cret-scrape-token-0123456789\n").unwrap();
    let s = support::demo_with(
        support::sqlite(),
        &["--metrics-token-file", file.to_str().unwrap(), "--history-days", "0"],
    );
    let url = format!("{}/metrics", s.base);
    let r = client().get(&url).bearer_auth("s3cret-scrape-token-0123456789").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("cordon_job_runs_total"), "the background jobs are counted");
    assert_eq!(
        client().get(&url).bearer_auth("s3cret-scrape-token-012345678").send().await.unwrap().status(),
        401
    );

    std::fs::write(&file, "short").unwrap();
    let out = support::cordon()
        .args([
            "serve",
            "--db",
            &s.db.url,
            "--listen",
            "127.0.0.1:0",
            "--metrics-token-file",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("metrics.token: a metrics token is one word of at least 16 characters"), "{err}");
}

/// `cordon report daily` prints the briefing of a day; a bad date or a day with nothing names it.
/// On the demo with its month of history: a past day's figures stand as they were at its end.
#[tokio::test]
async fn report_daily_on_the_command_line() {
    let s = support::demo_with(support::sqlite(), &["--history-days", "10"]);
    let admin = s.login("admin").await;
    let (_, d) = s.get(&admin, "/api/v1/dashboard").await;
    let today = d["today"]["day"].as_str().unwrap().to_owned();
    let days = d["days"].as_array().unwrap();
    let positives: i64 = days[..29]
        .iter()
        .map(|p| {
            p["positives"]["asymptomatic"].as_i64().unwrap() + p["positives"]["confirmed"].as_i64().unwrap()
        })
        .sum();
    assert!(positives > 0, "the history's cases are on their days");
    assert!(
        days[19..29]
            .iter()
            .all(|p| p["gate_let_through"].as_i64().unwrap() + p["gate_refused"].as_i64().unwrap() > 0)
    );
    assert!(days[..19].iter().all(|p| p["needs_opened"] == 0), "nothing before the history");
    // The history's contacts: released when their plans ended, the latest still under management.
    let store = support::connect(&s.db.url).await;
    let now = chrono::Utc::now();
    let month = store
        .followup_counts(&cordon_domain::AreaPath::root(), now - chrono::Duration::days(30), now)
        .await
        .unwrap();
    assert!(month.released_in_window > 0 && month.managed > 0, "{month:?}");
    assert!(d["today"]["course"]["contacts_managed"].as_i64().unwrap() > 0, "{}", d["today"]);
    assert!(d["today"]["course"]["recovered_total"].as_i64().unwrap() > 0, "{}", d["today"]);
    let yesterday = days[28]["day"].as_str().unwrap().to_owned();
    let (status, past) =
        s.get(&admin, &format!("/api/v1/briefings/draft?date={yesterday}&area=150102")).await;
    assert_eq!(status, 200, "{past}");
    assert_eq!(past["figures"]["partial"], false);
    assert_eq!(
        past["figures"]["needs"]["open_now"],
        serde_json::Value::Null,
        "a past day quotes nothing 'now'"
    );
    assert_eq!(past["figures"]["needs"]["opened"], days[28]["needs_opened"]);
    assert!(past["figures"]["workers_on_hand"].as_i64().unwrap() > 0, "workers reported in yesterday");
    assert!(past["text_zh"].as_str().unwrap().contains("0时至24时"));
    let run = |args: &[&str]| {
        support::cordon().args(["report", "daily", "--db", &s.db.url]).args(args).output().unwrap()
    };
    let out = run(&["--date", &today, "--area", "150102"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("# 新城区疫情防控工作通报") && text.contains("# 新城区: COVID-19"), "{text}");
    let out = run(&["--date", &today, "--area", "150102", "--lang", "en", "--format", "html"]);
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(
        html.starts_with("<!doctype html>")
            && html.contains("<h2>Definitions</h2>")
            && !html.contains("通报（")
    );
    for (args, message) in [
        (vec!["--date", "2026-02-30", "--area", "150102"], "--date: date: \"2026-02-30\" is not a date"),
        (
            vec!["--date", "2001-01-01", "--area", "150102"],
            "nothing was recorded in 新城区 (150102) on 2001-01-01",
        ),
        (vec!["--date", &today, "--area", "999999"], "no area 999999"),
        (vec!["--date", &today, "--area", "150102", "--lang", "fr"], "--lang: zh, en or both"),
    ] {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(message), "{args:?}: {err}");
    }
}
