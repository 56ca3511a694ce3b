//! `cordon bench … --json`: the lines a script reads to rebuild BENCHMARKS.md's summary table.
//! The benchmarks are built only with the `bench` feature; the README's test command turns it on.
#![cfg(feature = "bench")]

use serde_json::Value;

use crate::support::cordon;

/// Runs `cordon bench ARGS --json`; the JSON objects it printed last, one a line.
fn records(args: &[&str]) -> Vec<Value> {
    let out = cordon().arg("bench").args(args).arg("--json").env("CORDON_LOG", "warn").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    let first = lines.iter().position(|l| l.starts_with('{')).expect("no JSON line");
    assert!(first > 0, "the job's own table comes first:\n{stdout}");
    lines[first..]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object a line ({e}): {l}")))
        .collect()
}

/// The keys every record carries, and a ratio that is Cordon's time over the peer's.
fn check(r: &Value) {
    for key in ["job", "backend", "rows", "cordon_s", "runs", "peer", "peer_s", "ratio"] {
        assert!(r.get(key).is_some(), "{key} missing from {r}");
    }
    assert!(r["cordon_s"].as_f64().unwrap() > 0.0, "{r}");
    match r["peer_s"].as_f64() {
        Some(peer) => {
            let ratio = r["ratio"].as_f64().unwrap();
            let expected = r["cordon_s"].as_f64().unwrap() / peer;
            assert!((ratio - expected).abs() <= expected * 1e-3, "{r}");
        }
        None => assert!(r["peer"].is_null() && r["ratio"].is_null(), "{r}"),
    }
}

#[test]
fn a_bench_job_prints_one_record_a_timed_job_after_its_table() {
    let records = records(&["zones", "--residents", "60000", "--zones", "40"]);
    let jobs: Vec<&str> = records.iter().map(|r| r["job"].as_str().unwrap()).collect();
    assert_eq!(jobs, ["every household's effective tier", "tier figures from the zones"]);
    for r in &records {
        check(r);
        assert_eq!(r["backend"], "memory");
        assert!(r["rows"].as_u64().unwrap() > 50_000, "the residents generated: {r}");
    }
    assert_eq!(records[0]["runs"], 5);
}

/// The load of a city against the bare bulk load of the same people rows, on each backend.
#[test]
fn the_load_job_times_the_city_beside_the_bare_import_of_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut places = vec![dir.path().display().to_string()];
    if let Ok(server) = std::env::var("CORDON_TEST_PG") {
        places.push(server);
    }
    for at in places {
        let records = records(&["load", "--scale", "tiny", "--runs", "2", "--at", &at]);
        assert_eq!(records.len(), 1, "{records:?}");
        let r = &records[0];
        check(r);
        assert_eq!(r["job"], "city load");
        assert_eq!(r["runs"], 2);
        let (backend, peer) = if at.starts_with("postgres") {
            ("postgres", "psql \\copy")
        } else {
            ("sqlite", "sqlite3 .import")
        };
        assert_eq!(r["backend"], backend);
        assert_eq!(r["peer"], peer, "{r}");
        // Every person loaded went through the bare load too: the job checked the counts agree.
        assert!(r["rows"].as_u64().unwrap() > 1_000, "the tiny city's people: {r}");
        assert!(r["people_per_s"].as_f64().unwrap() > 0.0);
    }
}

/// A run's records feed `cordon bench summary`, which judges them against goals given as data
/// and, with `--check`, fails on the goal the run missed.
#[test]
fn the_summary_judges_a_runs_records_against_the_goals() {
    let dir = tempfile::tempdir().unwrap();
    let out = cordon()
        .args(["bench", "zones", "--residents", "60000", "--zones", "40", "--json"])
        .env("CORDON_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    let run = dir.path().join("zones.jsonl");
    std::fs::write(&run, &out.stdout).unwrap();
    let goals = |under_s: &str| {
        let path = dir.path().join(format!("goals-{under_s}.toml"));
        let text = format!(
            "[[goal]]\nwhat = \"every household's tier\"\nissues = [3]\njobs = [\"every household's effective tier\"]\n\
             backends = [\"memory\", \"sqlite\"]\nmin_rows = 50000\nunder_s = {under_s}\n"
        );
        std::fs::write(&path, text).unwrap();
        path
    };
    let summary = |goals: &std::path::Path| {
        cordon().args(["bench", "summary", "--check", "--goals"]).arg(goals).arg(&run).output().unwrap()
    };

    let met = summary(&goals("60"));
    let table = String::from_utf8_lossy(&met.stdout);
    assert!(met.status.success(), "{table}\n{}", String::from_utf8_lossy(&met.stderr));
    let memory = table.lines().find(|l| l.contains("| memory |")).expect(&table);
    assert!(
        memory.contains("| met |") && memory.contains("cordon bench zones --residents 60000"),
        "{memory}"
    );
    let sqlite = table.lines().find(|l| l.contains("| sqlite |")).expect(&table);
    assert!(sqlite.contains("not measured"), "{sqlite}");

    let missed = summary(&goals("0.000000001"));
    assert!(!missed.status.success(), "a missed goal fails the check");
    assert!(String::from_utf8_lossy(&missed.stdout).contains("**not met**"));
    assert!(String::from_utf8_lossy(&missed.stderr).contains("every household's tier (memory)"));

    // A record cut short is named by file and line, and nothing is judged.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "table\n{\"job\":\"x\",\"backend\":\"sqlite\"}\n").unwrap();
    let out = cordon().args(["bench", "summary"]).arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("bad.jsonl, line 2") && err.contains("rows"), "{err}");
}
