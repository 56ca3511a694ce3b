//! `cordon trace` against the DuckDB reference (fixtures made by ../shared/peer-bench/).

use std::path::{Path, PathBuf};

use crate::support::cordon;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trace").join(name)
}

fn run(args: &[&str], out: &Path) -> (bool, String, String) {
    run_on("scans.csv", args, out)
}

fn run_on(scans: &str, args: &[&str], out: &Path) -> (bool, String, String) {
    trace(&fixture(scans), args, out)
}

/// `cordon trace` on these scans and the fixture's cases: success, standard output and error.
fn trace(scans: &Path, args: &[&str], out: &Path) -> (bool, String, String) {
    let o = cordon()
        .arg("trace")
        .arg("--scans")
        .arg(scans)
        .arg("--cases")
        .arg(fixture("cases.csv"))
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn contacts_match_duckdb_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("contacts.csv");
    let (ok, stdout, stderr) = run(&["--secondary"], &out);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "", "nothing on standard output");
    assert!(stderr.contains("close=105 secondary=378"), "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(fixture("contacts.csv")).unwrap());

    let (ok, _, stderr) = run(&["--window", "10"], &out);
    assert!(ok, "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(fixture("contacts-close-w10.csv")).unwrap());

    // The same scans as Parquet (DuckDB's own file) give the same contacts.
    let (ok, _, stderr) = run_on("scans.parquet", &["--secondary"], &out);
    assert!(ok, "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(fixture("contacts.csv")).unwrap());
}

#[test]
fn a_parquet_file_with_the_wrong_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("contacts.csv");
    // The cases file is CSV text: as Parquet it is not readable at all.
    std::fs::copy(fixture("cases.csv"), dir.path().join("cases.parquet")).unwrap();
    let (ok, _, stderr) = trace(&dir.path().join("cases.parquet"), &[], &out);
    assert!(!ok);
    assert!(stderr.contains("not a readable Parquet file"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn bad_input_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let scans = dir.path().join("scans.csv");
    std::fs::write(
        &scans,
        "person_id,venue_id,scanned_at\nP1,V1,2022-03-01T10:00:00+08:00\nP2,V1,tomorrow\n",
    )
    .unwrap();
    let out = dir.path().join("contacts.csv");
    let (ok, _, err) = trace(&scans, &[], &out);
    assert!(!ok);
    assert!(err.contains("scans.csv:3 (scanned_at): \"tomorrow\" is not a time"), "{err}");
    assert!(!out.exists(), "no contacts.csv from bad input");

    // A cases file naming nobody in the scans is an error, not an empty answer.
    std::fs::write(&scans, "person_id,venue_id,scanned_at\nP1,V1,2022-03-01T10:00:00+08:00\n").unwrap();
    let (ok, _, err) = trace(&scans, &[], &out);
    assert!(!ok);
    assert!(err.contains("none of its 8 cases appears"), "{err}");
}
