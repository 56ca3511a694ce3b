//! The hostile corpus (`tests/hostile/`, and a few files too large to keep, made here) run
//! through every importer of `cordon import`: wrong encodings, cut-off rows, a lone-CR file, NUL
//! bytes, a line of 2 MiB, a header of 100,000 columns, a zip bomb named .csv, JSON nested 200,000
//! deep, a fake Parquet file, empty files. Each is refused with a message naming the file, with
//! no panic and nothing written (the database's dump is the same byte for byte), or imported
//! whole; formulas in cells are imported as text and leave in an export as text.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, Db, cordon};

/// The importers, and the files each is given besides the CSV files.
const KINDS: [(&str, &[&str]); 7] = [
    ("areas", &["geojson"]),
    ("people", &[]),
    ("venues", &[]),
    ("scans", &["parquet"]),
    ("samples", &[]),
    ("results", &[]),
    ("workers", &[]),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile")
}

fn dump(db: &Db) -> String {
    let file = db.url.strip_prefix("sqlite://").unwrap();
    let out = Command::new("sqlite3").arg(file).arg(".dump").output().expect("sqlite3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The files too large (or too plain) to keep in the repository, made in `dir`.
fn made(dir: &Path) -> Vec<PathBuf> {
    let header = "person_id,name,id_number,phone,birth_year,sex,household_code,tags\n";
    let huge = dir.join("huge-line.csv");
    std::fs::write(&huge, format!("{header}P1,{},,,1980,F,150102001001001001,\n", "王".repeat(700_000)))
        .unwrap();
    let wide = dir.join("many-columns.csv");
    let columns: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    std::fs::write(&wide, format!("{}\n{}\n", columns.join(","), ",".repeat(99_999))).unwrap();
    vec![huge, wide]
}

#[tokio::test]
async fn every_importer_refuses_the_hostile_corpus_cleanly() {
    let db = support::sqlite();
    let seeded = cordon()
        .args(["demo", "--scale", "tiny", "--no-serve", "--history-days", "0", "--admin-password"])
        .arg(support::PASSWORD)
        .args(["--db", &db.url])
        .env("CORDON_LOG", "warn")
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let scratch = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some())
        .collect();
    files.extend(made(scratch.path()));
    files.sort();
    assert!(files.len() >= 17, "the corpus is there: {files:?}");

    let mut refused = 0;
    for (kind, extra) in KINDS {
        for file in &files {
            let ext = file.extension().unwrap().to_str().unwrap();
            if ext != "csv" && !extra.contains(&ext) {
                continue;
            }
            let name = file.file_name().unwrap().to_str().unwrap();
            let before = dump(&db);
            let out = cordon()
                .args(["import", kind])
                .arg(file)
                .args(["--db", &db.url, "--max-line-bytes", "1048576"])
                .env("CORDON_LOG", "warn")
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            let what = format!("cordon import {kind} {name}: {:?}\n{err}", out.status);
            assert!(!err.contains("panicked"), "{what}");
            assert!(matches!(out.status.code(), Some(0 | 1)), "an exit, not a crash: {what}");
            if out.status.success() {
                // Only a file that holds nothing wrong for this importer may land.
                assert!((kind, name) == ("people", "header-only.csv"), "imported: {what}");
                continue;
            }
            refused += 1;
            if std::env::var("CORDON_SHOW_REFUSALS").is_ok() {
                eprintln!("--- {kind} {name}: {}", err.trim_end());
            }
            assert!(err.contains(name), "the message names the file: {what}");
            assert!(!err.contains("150102199"), "no ID number in a message: {what}");
            assert!(err.len() < 4096, "a message, not a dump of the file: {what}");
            assert!(!err.contains('\0'), "no bytes of a binary file in a message: {what}");
            assert_eq!(dump(&db), before, "nothing written: {what}");
        }
    }
    // 12 CSV files for each of 7 importers, 3 GeoJSON files and 2 Parquet files; the people's
    // header with no rows lands (an empty register file), nothing else.
    assert_eq!(refused, 12 * 7 + 3 + 2 - 1, "refusals");
}

/// Names that a spreadsheet would run as formulas are kept as written, and leave in a CSV export
/// as text. (Tags are words of lowercase letters: a formula is refused as a tag.)
#[tokio::test]
async fn formulas_in_cells_are_text() {
    let s = support::demo(support::sqlite());
    let grid = s.login("gongzhufu").await;
    let (household, _) = support::first_household(&s, &grid, "150102001001").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("formulas.csv");
    let formulas = [
        "=HYPERLINK(\"http://x.invalid\",\"点我\")",
        "+1+1",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1",
        "=cmd|' /C calc'!A0",
    ];
    let mut csv = String::from("person_id,name,id_number,phone,birth_year,sex,household_code,tags\n");
    for (i, f) in formulas.iter().enumerate() {
        csv.push_str(&format!("FX{i},\"{}\",,,1980,F,{household},\n", f.replace('"', "\"\"")));
    }
    std::fs::write(&file, csv).unwrap();
    let out = cordon().args(["import", "people"]).arg(&file).args(["--db", &s.db.url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (status, person) = s.get(&grid, "/api/v1/people/FX0").await;
    assert_eq!(status, 200, "{person}");
    assert_eq!(person["name"], formulas[0], "kept as written: {person}");
    let r = support::client()
        .get(format!("{}/api/v1/exports?list=people&format=csv", s.base))
        .bearer_auth(&grid)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(body.as_bytes());
    let mut seen = 0;
    for row in rows.records() {
        let row = row.unwrap();
        if !row[0].starts_with("FX") {
            continue;
        }
        seen += 1;
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would run: {cell:?} in {row:?}"
            );
        }
        assert!(row.iter().any(|c| c.starts_with('\'')), "kept, after an apostrophe: {row:?}");
    }
    assert_eq!(seen, formulas.len());
}
