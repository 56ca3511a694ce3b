//! Personal identifiers at rest and in the logs: an ID number and a phone put in through the
//! import are found through the API whole, shown masked, and are nowhere in clear afterwards:
//! not in the database (its file on SQLite, a dump on PostgreSQL), not in the server's log, not
//! in an importer's error.

use crate::support::{
    self, Server, cordon, database_bytes, first_household, holds, import_people, on_both_backends,
};

const ID: &str = "11010519491231002X";
const PHONE: &str = "13912345678";
/// The same ID number with a wrong check character: refused, and not repeated.
const BAD_ID: &str = "110105194912310021";

async fn identifiers_are_sealed(s: &Server) {
    let token = s.login("admin").await;
    let (household, _) = first_household(s, &token, "150102").await;

    // A bad row names its row and field, never the number.
    let header = "person_id,name,id_number,phone,birth_year,sex,household_code,tags\n";
    let (ok, err) =
        import_people(s, &format!("{header}x-sealed-1,测试甲,{BAD_ID},{PHONE},1949,f,{household},\n"));
    assert!(!ok);
    assert!(err.contains("people.csv:2:3 (id_number)"), "{err}");
    assert!(!err.contains(BAD_ID) && !err.contains(PHONE), "{err}");

    let (ok, err) =
        import_people(s, &format!("{header}x-sealed-1,测试甲,{ID},{PHONE},1949,f,{household},dialysis\n"));
    assert!(ok, "{err}");
    assert!(!err.contains(ID) && !err.contains(PHONE), "{err}");

    // Found by the whole number, shown masked.
    let (status, found) = s.get(&token, &format!("/api/v1/people?q={ID}")).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["people"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["people"][0]["person_id"], "x-sealed-1");
    let (_, found) = s.get(&token, &format!("/api/v1/people?q={PHONE}")).await;
    assert_eq!(found["people"][0]["person_id"], "x-sealed-1", "{found}");
    assert_eq!(found["people"][0]["phone"], "139****5678");
    let (_, person) = s.get(&token, "/api/v1/people/x-sealed-1").await;
    assert_eq!(person["id_number"], "1101**********002X", "{person}");
    // Part of a phone finds nothing to look up: it is refused with the reason.
    let (status, e) = s.get(&token, "/api/v1/people?q=1391234").await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains("whole phone number"), "{e}");
    // A wrong ID number is refused without being repeated.
    let (status, e) = s.get(&token, &format!("/api/v1/people?q={BAD_ID}")).await;
    assert_eq!(status, 422, "{e}");
    assert!(!e.to_string().contains(BAD_ID), "{e}");
    // A gate reads the person by ID number too (the number is the key people show).
    let (status, _) = s.get(&token, &format!("/api/v1/people?q={}", ID.to_lowercase())).await;
    assert_eq!(status, 200);

    let bytes = database_bytes(&s.db.url);
    assert!(bytes.len() > 100_000, "the demo's database");
    for needle in [ID, PHONE] {
        assert!(!holds(&bytes, needle), "{needle} is in the database in clear");
    }
    let log = s.log.lock().unwrap().clone();
    for needle in [ID, PHONE, BAD_ID] {
        assert!(!log.contains(needle), "{needle} is in the server's log:\n{log}");
    }
    // The key is not in the database either.
    let keys = std::fs::read_to_string(support::key_file()).unwrap();
    let key = keys.lines().find(|l| !l.starts_with('#')).unwrap().split_whitespace().next().unwrap();
    assert!(!holds(&bytes, key));
}

on_both_backends!(identifiers_are_sealed);

/// A SQLite database's key file is made beside it when none is named, and a key file that is
/// not the database's is refused, naming the key it lacks.
#[tokio::test]
async fn the_key_file_beside_a_sqlite_database() {
    let db = support::sqlite();
    let file = db.url.trim_start_matches("sqlite://").to_owned();
    let run = |args: &[&str], keys: Option<&std::path::Path>| {
        let mut c = cordon();
        c.env_remove("CORDON_KEYS").args(args).args(["--db", &db.url]).env("CORDON_LOG", "warn");
        if let Some(k) = keys {
            c.arg("--keys").arg(k);
        }
        c.output().unwrap()
    };
    let out = run(
        &[
            "demo",
            "--scale",
            "tiny",
            "--history-days",
            "0",
            "--no-serve",
            "--admin-password",
            support::PASSWORD,
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let beside = format!("{file}.keys");
    let text = std::fs::read_to_string(&beside).expect("the key file beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&beside).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let id = cordon_store::Keyring::parse(&text).unwrap().current();

    let other = tempfile::tempdir().unwrap();
    let wrong = other.path().join("wrong.keys");
    std::fs::write(&wrong, cordon_store::Keyring::generate().to_text()).unwrap();
    let out = run(&["user", "list"], Some(&wrong));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&id) && err.contains("does not have"), "{err}");

    // A new key, then a rotation: the old key's line can go and the database still opens.
    let out = run(&["keys", "new"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["keys", "rotate"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("re-sealed") && !said.contains("re-sealed 0 people"), "{said}");
    let ring = std::fs::read_to_string(&beside).unwrap();
    let newest: String = ring.lines().filter(|l| !l.starts_with('#')).take(1).collect();
    std::fs::write(&beside, format!("{newest}\n")).unwrap();
    let out = run(&["user", "list"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // PostgreSQL never guesses where its key is.
    let out = cordon()
        .env_remove("CORDON_KEYS")
        .args(["user", "list", "--db", "postgres://postgres@127.0.0.1:5432/cordon_nowhere"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--keys"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
