//! The audit of reads as a hash chain: `cordon audit verify` holds on a live server's audit,
//! the database refuses to change an entry, and an entry altered behind its back (the trigger
//! dropped, as someone with the database's keys could) is found and named — on both backends.

use crate::support::{self, Server, cordon};

/// Runs SQL against the test's database with the database's own client.
fn sql(s: &Server, statement: &str) -> std::process::Output {
    let (program, args) = match s.db.url.strip_prefix("sqlite://") {
        Some(file) => ("sqlite3", vec![file.to_owned(), statement.to_owned()]),
        None => (
            "psql",
            vec![s.db.url.clone(), "-v".into(), "ON_ERROR_STOP=1".into(), "-Aqtc".into(), statement.into()],
        ),
    };
    std::process::Command::new(program).args(args).output().expect(program)
}

fn verify(s: &Server) -> (bool, String) {
    let out =
        cordon().args(["audit", "verify", "--db", &s.db.url]).env("CORDON_LOG", "warn").output().unwrap();
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

async fn an_altered_entry_is_found(s: &Server) {
    let admin = s.login("admin").await;
    let (_, members) = support::first_household(s, &admin, "150102001001").await;
    for id in &members {
        let (status, _) = s.get(&admin, &format!("/api/v1/people/{id}")).await;
        assert_eq!(status, 200);
    }
    let (ok, out) = verify(s);
    assert!(ok, "{out}");
    assert!(out.contains("the audit of reads holds") && out.contains("head "), "{out}");

    // Append-only: the database itself refuses an update and a delete.
    let refused =
        sql(s, "UPDATE audit_reads SET person_id = 'P0' WHERE id = (SELECT max(id) FROM audit_reads)");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("append-only"), "{refused:?}");
    assert!(!sql(s, "DELETE FROM audit_reads").status.success());
    let (ok, _) = verify(s);
    assert!(ok);

    // Someone with the keys drops the guard and rewrites whom an entry read: found, by id.
    let drop_guard = if s.db.url.starts_with("sqlite://") {
        "DROP TRIGGER audit_reads_no_update"
    } else {
        "ALTER TABLE audit_reads DISABLE TRIGGER audit_reads_no_change"
    };
    let altered = sql(
        s,
        &format!(
            "{drop_guard}; UPDATE audit_reads SET person_id = 'P0' WHERE id = (SELECT min(entry_id) FROM audit_links)"
        ),
    );
    assert!(altered.status.success(), "{altered:?}");
    let first =
        String::from_utf8_lossy(&sql(s, "SELECT min(entry_id) FROM audit_links").stdout).trim().to_owned();
    let (ok, out) = verify(s);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("at entry {first}")) && out.contains("altered"), "{out}");
}

support::on_both_backends!(an_altered_entry_is_found);
