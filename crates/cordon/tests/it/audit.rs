//! The audit of reads as a hash chain: `cordon audit verify` holds on a live server's audit,
//! the database refuses to change an entry, and an entry altered behind its back (the trigger
//! dropped, as someone with the database's keys could) is found and named; a glass broken for a
//! person outside one's areas, with its reason, and headquarters' viewer — on both backends.

use crate::support::{self, Server, cordon};

/// Runs SQL against the test's database with the database's own client.
fn sql(s: &Server, statement: &str) -> std::process::Output {
    let (program, args) = match s.db.url.strip_prefix("sqlite://") {
        // The server's audit linker writes in the background: wait for its lock, as the store
        // does, rather than fail at once (the shell's default).
        Some(file) => {
            ("sqlite3", vec!["-cmd".into(), ".timeout 10000".into(), file.to_owned(), statement.to_owned()])
        }
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

async fn a_glass_broken_is_reviewed(s: &Server) {
    use reqwest::Method;
    use serde_json::json;
    let admin = s.login("admin").await;
    let cadre = s.login("cadre").await;
    let (_, members) = support::first_household(s, &admin, "150102001002").await;
    let id = members[0].clone();
    let person = format!("/api/v1/people/{id}");
    let glass = format!("{person}/break-glass");
    assert_eq!(s.get(&cadre, &person).await.0, 404, "outside the cadre's compound");

    // A reason a reviewer can judge; a person who exists; not one of one's own; not a lab.
    let (status, body) = s.call(Method::POST, &cadre, &glass, Some(json!({"reason": "急"}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("reason")), "{body}");
    let reason = "透析病人家属来电求助，需核实其住址与联系方式";
    let (status, _) = s
        .call(Method::POST, &cadre, "/api/v1/people/P9999999/break-glass", Some(json!({"reason": reason})))
        .await;
    assert_eq!(status, 404);
    let (_, own) = support::first_household(s, &cadre, "150102001001001").await;
    let (status, body) = s
        .call(
            Method::POST,
            &cadre,
            &format!("/api/v1/people/{}/break-glass", own[0]),
            Some(json!({"reason": reason})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let lab = s.login("lab").await;
    assert_eq!(s.call(Method::POST, &lab, &glass, Some(json!({"reason": reason}))).await.0, 403);

    // Broken: the person alone (not their household), then readable for the hour, by this user only.
    let (status, read) = s.call(Method::POST, &cadre, &glass, Some(json!({"reason": reason}))).await;
    assert_eq!(status, 201, "{read}");
    assert_eq!(read["person_id"], id.as_str());
    assert_eq!(read["glass_break"]["reason"], reason);
    assert_eq!(read["household_members"], json!([]), "the person, not their household");
    let (status, again) = s.get(&cadre, &person).await;
    assert_eq!((status, again["glass_break"]["id"].clone()), (200, read["glass_break"]["id"].clone()));
    let grid = s.login("gongzhufu").await;
    assert_eq!(s.get(&grid, &person).await.0, 404, "a grant is its user's");

    // Headquarters reviews: the glass, and every read under it with its reason.
    let (status, breaks) = s.get(&admin, "/api/v1/audit/glass-breaks").await;
    assert_eq!(status, 200);
    assert_eq!(
        (breaks[0]["username"].as_str(), breaks[0]["person_id"].as_str(), breaks[0]["reason"].as_str()),
        (Some("cadre"), Some(id.as_str()), Some(reason))
    );
    let (status, page) = s.get(&admin, "/api/v1/audit/reads?username=cadre").await;
    assert_eq!(status, 200, "{page}");
    let mine: Vec<&serde_json::Value> =
        page["entries"].as_array().unwrap().iter().filter(|e| e["person_id"] == id.as_str()).collect();
    let routes: Vec<&str> = mine.iter().map(|e| e["route"].as_str().unwrap()).collect();
    assert_eq!(routes, ["GET /api/v1/people/{id}", "POST /api/v1/people/{id}/break-glass"], "{page}");
    assert!(mine.iter().all(|e| e["reason"] == reason), "{mine:?}");
    let (_, theirs) = s.get(&admin, &format!("/api/v1/audit/reads?person_id={}", own[0])).await;
    assert!(theirs["entries"].as_array().unwrap().iter().all(|e| e["reason"].is_null()), "{theirs}");
    // Paged newest first; the viewer is headquarters'.
    let (_, first) = s.get(&admin, "/api/v1/audit/reads?limit=1").await;
    let next = first["next_before"].as_i64().expect("more than one read");
    let (_, second) = s.get(&admin, &format!("/api/v1/audit/reads?limit=1&before={next}")).await;
    assert!(second["entries"][0]["id"].as_i64().unwrap() < next);
    let (status, body) = s.get(&admin, "/api/v1/audit/reads?username=nobody").await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("username")));
    for path in ["/api/v1/audit/reads", "/api/v1/audit/glass-breaks"] {
        assert_eq!(s.get(&cadre, path).await.0, 403, "{path}");
    }
    // The pages: the 404 of a person outside one's areas offers the glass, the form breaks it,
    // the person's page says under what; headquarters' viewer shows the reason.
    let web = s.web_login("gongzhufu").await;
    let r = web.get(format!("{}{}", s.base, person.trim_start_matches("/api/v1"))).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("id=\"break-glass\""), "the form is offered");
    let csrf = s.csrf(&web).await;
    let r = web
        .post(format!("{}/people/{id}/break-glass", s.base))
        .form(&[("csrf", csrf.as_str()), ("reason", "居家隔离人员突发胸痛，需联系其家属")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.headers()["location"].to_str().unwrap()),
        (303, format!("/people/{id}").as_str())
    );
    let page = web.get(format!("{}/people/{id}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"glass-note\"") && page.contains("突发胸痛"), "{page:.2000}");
    let hq = s.web_login("admin").await;
    let page =
        hq.get(format!("{}/audit?username=gongzhufu", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("突发胸痛") && page.contains(reason), "both glasses, with their reasons");
    assert_eq!(web.get(format!("{}/audit", s.base)).send().await.unwrap().status(), 403);
    // A district office reviews the reads of its own district only.
    let other = s.login("xincheng").await;
    let (status, page) = s.get(&other, "/api/v1/audit/reads").await;
    assert_eq!(status, 403, "{page}: the viewer is headquarters'");

    // The glass stays broken: the database refuses to change or remove it.
    assert!(!sql(s, "DELETE FROM glass_breaks").status.success());
    let (ok, out) = verify(s);
    assert!(ok, "{out}");
}

support::on_both_backends!(an_altered_entry_is_found, a_glass_broken_is_reviewed);
