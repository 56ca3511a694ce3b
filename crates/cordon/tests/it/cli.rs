use std::path::Path;

use crate::support::{self, cordon, sqlite};

/// Runs `cordon import KIND FILE`; returns success and standard error with the folder hidden.
fn import(db: &str, kind: &str, file: &Path) -> (bool, String) {
    let out = cordon()
        .args(["import", kind])
        .arg(file)
        .args(["--db", db])
        .env("CORDON_LOG", "warn")
        .output()
        .unwrap();
    let dir = file.parent().unwrap().display().to_string();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).replace(&dir, "[DIR]"))
}

async fn totals(db: &str) -> (i64, i64) {
    let t = support::connect(db).await.totals().await.unwrap();
    (t.areas, t.people)
}

const AREAS: &str = "code,parent_code,level,name\n\
150100,,city,呼和浩特市\n\
150102001,150102,street,海拉尔东路街道\n\
150102,150100,district,新城区\n\
150102001001,150102001,community,公主府社区\n\
c1,150102001001,compound,呼铁佳园C区\n\
b3,c1,building,3号楼\n\
h501,b3,household,2单元501\n\
h502,b3,household,2单元502\n";

#[tokio::test]
async fn areas_land_whole_or_not_at_all() {
    let db = sqlite();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("areas.csv");
    std::fs::write(
        &bad,
        format!(
            "{AREAS}x1,nowhere,building,1号楼\nx2,x3,building,环\nx3,x2,building,环\nh501,b3,household,重复\n"
        ),
    )
    .unwrap();
    let (ok, err) = import(&db.url, "areas", &bad);
    assert!(!ok);
    insta::assert_snapshot!("areas_errors", err);
    assert_eq!(totals(&db.url).await, (0, 0), "nothing was written");
    std::fs::write(&bad, format!("{AREAS}bad code,b3,building,楼\nx9,b3,province,楼\n")).unwrap();
    let (ok, err) = import(&db.url, "areas", &bad);
    assert!(!ok);
    insta::assert_snapshot!("areas_bad_values", err);
    assert_eq!(totals(&db.url).await, (0, 0), "nothing was written");

    let good = dir.path().join("good.csv");
    std::fs::write(&good, AREAS).unwrap();
    let (ok, err) = import(&db.url, "areas", &good);
    assert!(ok, "{err}");
    assert_eq!(totals(&db.url).await, (8, 0));

    // A GeoJSON file adds shapes to existing areas.
    let shapes = dir.path().join("shapes.geojson");
    std::fs::write(&shapes, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"150102","parent_code":"150100","level":"district","name":"新城区"},"geometry":{"type":"Polygon","coordinates":[[[111.6,40.8],[111.7,40.8],[111.7,40.9],[111.6,40.8]]]}}]}"#).unwrap();
    let (ok, err) = import(&db.url, "areas", &shapes);
    assert!(ok, "{err}");
    let store = support::connect(&db.url).await;
    let shape = store
        .shape(&cordon_domain::AreaPath::root(), &cordon_domain::AreaCode::parse("150102").unwrap())
        .await
        .unwrap();
    assert!(shape.unwrap().contains("Polygon"));
}

#[tokio::test]
async fn people_errors_name_file_line_and_column() {
    let db = sqlite();
    let dir = tempfile::tempdir().unwrap();
    let areas = dir.path().join("areas.csv");
    std::fs::write(&areas, AREAS).unwrap();
    assert!(import(&db.url, "areas", &areas).0);

    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        "person_id,name,id_number,phone,birth_year,sex,household_code,tags\n\
         p1,王芳,11010519491231002X,13900000001,1949,女,h501,elderly_alone\n\
         p2,王小明,110105194912310021,13900000002,,男,h501,\n\
         p3,李娜,,1390000,1990,女,h502,\n\
         p1,重复,,,,,h502,\n\
         p4,赵四,,,,,nowhere,\n\
         p5,钱五,,,1990,f,h502,Dialysis!\n\
         p6,孙七,,,1990\n",
    )
    .unwrap();
    let (ok, err) = import(&db.url, "people", &people);
    assert!(!ok);
    insta::assert_snapshot!("people_errors", err);
    assert_eq!(totals(&db.url).await, (8, 0), "nothing was written");
}

#[tokio::test]
async fn gb18030_people_import_and_update_counts() {
    let db = sqlite();
    let dir = tempfile::tempdir().unwrap();
    let areas = dir.path().join("areas.csv");
    std::fs::write(&areas, AREAS).unwrap();
    assert!(import(&db.url, "areas", &areas).0);
    let text = "姓名备注,person_id,name,household_code,tags,phone\n\
                随便,p1,王芳,h501,透析,139 0000 0001\n\
                ,p2,王小明,h501,,\n\
                ,p3,李娜,h502,孕妇;chronic,\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let people = dir.path().join("people-excel.csv");
    std::fs::write(&people, &bytes).unwrap();
    let (ok, err) = import(&db.url, "people", &people);
    assert!(ok, "{err}");
    let store = support::connect(&db.url).await;
    let b3 = store
        .area(&cordon_domain::AreaPath::root(), &cordon_domain::AreaCode::parse("b3").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((b3.stats.residents, b3.stats.households, b3.stats.vulnerable), (3, 2, 2));

    // The same file again: every row is already registered, and nothing changes.
    let (ok, err) = import(&db.url, "people", &people);
    assert!(!ok);
    assert!(err.contains("people-excel.csv:2:2 (person_id): p1 is already registered"), "{err}");
    assert_eq!(totals(&db.url).await, (8, 3));

    // Bytes that are neither UTF-8 nor GB18030, and a binary file.
    let junk = dir.path().join("junk.csv");
    std::fs::write(&junk, b"person_id,name,household_code\np9,\xFF\xFE\xFF,h501\n").unwrap();
    let (ok, err) = import(&db.url, "people", &junk);
    assert!(!ok);
    assert!(err.contains("[DIR]/junk.csv:2: bytes that are neither UTF-8 nor GB18030"), "{err}");
    let zip = dir.path().join("bomb.csv");
    std::fs::write(&zip, b"PK\x03\x04\x14\x00\x00\x00\x08\x00").unwrap();
    let (ok, err) = import(&db.url, "people", &zip);
    assert!(!ok);
    assert!(err.contains("NUL byte"), "{err}");
}

#[tokio::test]
async fn venues_and_scans_land_once_and_bad_rows_are_named() {
    let db = sqlite();
    let dir = tempfile::tempdir().unwrap();
    let areas = dir.path().join("areas.csv");
    std::fs::write(&areas, AREAS).unwrap();
    assert!(import(&db.url, "areas", &areas).0);

    // Venues: every bad row named, nothing landed; an unknown area refuses the file.
    let venues = dir.path().join("venues.csv");
    std::fs::write(
        &venues,
        "venue_id,name,area_code,kind\nV1,维多利超市,c1,shop\nV1,重复,c1,\n,无编号,c1,\n",
    )
    .unwrap();
    let (ok, err) = import(&db.url, "venues", &venues);
    assert!(!ok);
    assert!(
        err.contains("venues.csv:3:1 (venue_id): V1 appears twice")
            && err.contains("venues.csv:4:1 (venue_id)"),
        "{err}"
    );
    std::fs::write(&venues, "venue_id,name,area_code,kind\nV1,维多利超市,c1,shop\nV2,菜市场,nowhere,\n")
        .unwrap();
    let (ok, err) = import(&db.url, "venues", &venues);
    assert!(!ok && err.contains("area nowhere of venue V2") && err.contains("nothing was imported"), "{err}");
    std::fs::write(&venues, "venue_id,name,area_code,kind\nV1,维多利超市,c1,shop\n").unwrap();
    assert!(import(&db.url, "venues", &venues).0);

    // Scans: an empty id and a time in the future refuse the file, naming the line.
    let scans = dir.path().join("scans.csv");
    std::fs::write(
        &scans,
        "person_id,venue_id,scanned_at\nP1,V1,2022-02-17T16:30:00+08:00\nP2,,2022-02-17 16:40:00\n",
    )
    .unwrap();
    let (ok, err) = import(&db.url, "scans", &scans);
    assert!(!ok && err.contains("scans.csv:3 (venue_id): is empty"), "{err}");
    std::fs::write(&scans, "person_id,venue_id,scanned_at\nP1,V1,2099-02-17T16:30:00+08:00\n").unwrap();
    let (ok, err) = import(&db.url, "scans", &scans);
    assert!(!ok && err.contains("in the future"), "{err}");
    let store = support::connect(&db.url).await;
    assert!(store.scans_after(0, 10).await.unwrap().is_empty(), "nothing half-written");

    // A good file lands whole; the same file again adds nothing.
    std::fs::write(
        &scans,
        "scanned_at,person_id,venue_id\n2022-02-17T16:30:00+08:00,P1,V1\n2022-02-17 16:40:00,P2,V1\n",
    )
    .unwrap();
    let (ok, err) = import(&db.url, "scans", &scans);
    assert!(ok && err.contains("imported 2 scans"), "{err}");
    let (ok, err) = import(&db.url, "scans", &scans);
    assert!(ok && err.contains("was imported before") && err.contains("nothing added"), "{err}");
    let rows = store.scans_after(0, 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1].1.scanned_at.to_rfc3339(),
        "2022-02-17T08:40:00+00:00",
        "Excel's time, read in Asia/Shanghai"
    );
}

/// A password set from the command line follows the rule, and the refusal says why; the old
/// password still signs in after a refusal, the new one after an acceptance.
#[tokio::test]
async fn a_weak_password_is_refused_with_why() {
    use std::io::Write;
    let s = support::demo(sqlite());
    let passwd = |password: &str| {
        let mut child = cordon()
            .args(["user", "passwd", "gongzhufu", "--password-stdin", "--db", &s.db.url])
            .env("CORDON_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    for (weak, why) in [
        ("woaini1314520", "guessed first"),
        ("gongzhufu-2022", "username"),
        ("13957108246", "only digits"),
        ("short", "at least 10"),
    ] {
        let (ok, err) = passwd(weak);
        assert!(!ok && err.contains("password") && err.contains(why), "{weak}: {err}");
        assert!(!err.contains(weak), "the refusal does not echo the password: {err}");
    }
    s.login("gongzhufu").await;
    let (ok, err) = passwd("公主府的网格员-春天");
    assert!(ok, "{err}");
    let r = support::client()
        .post(format!("{}/api/v1/auth/login", s.base))
        .json(&serde_json::json!({"username": "gongzhufu", "password": "公主府的网格员-春天"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
