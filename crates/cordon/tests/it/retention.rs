//! Retention end to end: an outbreak closed by headquarters, a dry run that reports and changes
//! nothing, a purge refused before its day, then run: the personal data gone from the database
//! (file or dump) while the figures, the zones' history and the audit stay — on both backends,
//! with the server serving throughout.

use chrono::{Duration, Utc};

use crate::support::{self, Server, cordon, database_bytes, first_household, holds, on_both_backends};

const NAME: &str = "留存期测试人";
const ID: &str = "11010519491231002X";
const PHONE: &str = "13912345678";

fn run(s: &Server, args: &[&str]) -> (bool, String, String) {
    let out = cordon().args(args).args(["--db", &s.db.url]).env("CORDON_LOG", "warn").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The figures a purge must leave as they were, day by day.
fn kept_figures(d: &serde_json::Value) -> Vec<serde_json::Value> {
    d["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| {
            serde_json::json!([
                day["day"],
                day["positives"],
                day["needs"],
                day["gate_let_through"],
                day["gate_refused"]
            ])
        })
        .collect()
}

/// The rows a report line gives for a table.
fn rows_of(report: &str, table: &str) -> i64 {
    let line = report
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some(table))
        .unwrap_or_else(|| panic!("no line for {table} in\n{report}"));
    line.split_whitespace().nth(1).unwrap().replace(',', "").parse().unwrap()
}

async fn purged_after_retention(s: &Server) {
    let admin = s.login("admin").await;
    let (household, _) = first_household(s, &admin, "150102").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    std::fs::write(
        &file,
        format!(
            "person_id,name,id_number,phone,birth_year,sex,household_code,tags\n\
             x-kept-1,{NAME},{ID},{PHONE},1949,f,{household},dialysis\n"
        ),
    )
    .unwrap();
    let (ok, _, err) = run(s, &["import", "people", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(holds(&database_bytes(&s.db.url), NAME), "the name is in the database before");
    let store = support::connect(&s.db.url).await;
    let people = store.totals().await.unwrap().people;
    let (_, before) = s.get(&admin, "/api/v1/dashboard?fresh=true").await;
    let (_, cases) = s.get(&admin, "/api/v1/cases").await;
    let cases = cases.as_array().expect("the story's cases").len() as i64;
    assert!(cases > 0);

    // Nothing to purge while the outbreak is open.
    let (ok, _, err) = run(s, &["purge", "--dry-run"]);
    assert!(!ok && err.contains("the outbreak is not closed"), "{err}");
    // The story's zones are active: closing is refused until they are lifted, or lifted with it.
    let (ok, _, err) = run(s, &["outbreak", "close", "--retention-days", "30"]);
    assert!(!ok && err.contains("zones are still active") && err.contains("--lift-zones"), "{err}");
    let tz = chrono_tz::Asia::Shanghai;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let tomorrow = (today + Duration::days(1)).to_string();
    let (ok, _, err) =
        run(s, &["outbreak", "close", "--retention-days", "30", "--on", &tomorrow, "--lift-zones"]);
    assert!(!ok && err.contains("after today"), "{err}");
    let (ok, _, err) =
        run(s, &["outbreak", "close", "--retention-days", "30", "--by", "cadre", "--lift-zones"]);
    assert!(!ok && err.contains("only headquarters"), "{err}");

    let (ok, out, err) = run(s, &["outbreak", "close", "--retention-days", "30", "--lift-zones"]);
    assert!(ok, "{err}");
    let due = (today + Duration::days(30)).to_string();
    assert!(
        out.contains("Lifted ") && out.contains(&format!("due for purging on {due} (30 days from today)")),
        "{out}"
    );
    let (_, zones) = s.get(&admin, "/api/v1/zones").await;
    assert_eq!(zones.as_array().unwrap().len(), 0, "every zone lifted: {zones}");

    // Before its day the purge is refused; the dry run reports and changes nothing.
    let (ok, _, err) = run(s, &["purge"]);
    assert!(!ok && err.contains("30 days to run"), "{err}");
    let (ok, report, err) = run(s, &["purge", "--dry-run"]);
    assert!(ok, "{err}");
    assert!(report.contains("Dry run: nothing was changed"), "{report}");
    assert_eq!(rows_of(&report, "people"), people, "{report}");
    assert_eq!(rows_of(&report, "cases"), cases, "{report}");
    assert!(rows_of(&report, "samples") > 0 && rows_of(&report, "scans") > 0, "{report}");
    assert_eq!(store.totals().await.unwrap().people, people);
    assert!(holds(&database_bytes(&s.db.url), NAME));
    assert_eq!(s.get(&admin, "/api/v1/people/x-kept-1").await.0, 200);

    // Closed 31 days ago with 30 kept: due, and purged.
    let (ok, _, err) = run(s, &["outbreak", "reopen"]);
    assert!(ok, "{err}");
    let closed = (today - Duration::days(31)).to_string();
    let (ok, out, err) = run(s, &["outbreak", "close", "--retention-days", "30", "--on", &closed]);
    assert!(ok, "{err}");
    assert!(out.contains("(due now)"), "{out}");
    let (ok, report, err) = run(s, &["purge"]);
    assert!(ok, "{err}");
    assert!(report.contains("Purged in"), "{report}");
    assert_eq!(rows_of(&report, "people"), people, "{report}");

    // Gone: the name, the ID number and the phone are nowhere in the database, and the person
    // is not found. (The register id stays in the audit of reads, which is kept whole: it now
    // names nobody.)
    let bytes = database_bytes(&s.db.url);
    for needle in [NAME, ID, PHONE] {
        assert!(!holds(&bytes, needle), "{needle} is still in the database");
    }
    assert_eq!(s.get(&admin, "/api/v1/people/x-kept-1").await.0, 404);
    let (_, found) = s.get(&admin, &format!("/api/v1/people?q={NAME}")).await;
    assert_eq!(found["people"].as_array().unwrap().len(), 0, "{found}");
    // Only the nameless row each case points at is left.
    assert_eq!(store.totals().await.unwrap().people, cases);

    // Kept: the figures day by day, the cases, the audit's chain.
    let (status, after) = s.get(&admin, "/api/v1/dashboard?fresh=true").await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(kept_figures(&after), kept_figures(&before));
    let (_, after_cases) = s.get(&admin, "/api/v1/cases").await;
    assert_eq!(after_cases.as_array().unwrap().len() as i64, cases, "{after_cases}");
    let (ok, out, err) = run(s, &["audit", "verify"]);
    assert!(ok && out.contains("the audit of reads holds"), "{out}{err}");

    // A second purge finds nothing left to take.
    let (ok, report, err) = run(s, &["purge", "--dry-run"]);
    assert!(ok, "{err}");
    for table in ["people", "scans", "case_segments", "gate_presence"] {
        assert_eq!(rows_of(&report, table), 0, "{report}");
    }
    let (ok, out, _) = run(s, &["outbreak", "status"]);
    assert!(ok && out.contains("Personal data was last purged at"), "{out}");
}

on_both_backends!(purged_after_retention);
