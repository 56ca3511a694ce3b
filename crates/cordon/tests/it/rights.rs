//! 权限 as data: fields shown by right (the cadre at a gate reads a resident's name and standing,
//! not their ID number or tubes), and headquarters changing a role's rights, which holds from
//! the role's next request, through the API, the page and the command line.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, cordon, first_household, on_both_backends};

/// The compound the demo's cadre answers for.
const COMPOUND: &str = "150102001001001";

async fn set_right(s: &Server, token: &str, role: &str, right: &str, granted: bool) -> (u16, Value) {
    s.call(
        Method::PUT,
        token,
        &format!("/api/v1/roles/{role}/rights/{right}"),
        Some(json!({ "granted": granted })),
    )
    .await
}

async fn fields_follow_rights(s: &Server) {
    let admin = s.login("admin").await;
    let cadre = s.login("cadre").await;
    let (_, people) = first_household(s, &admin, COMPOUND).await;
    let id = &people[0];
    let path = format!("/api/v1/people/{id}");

    // Headquarters reads the whole person; the cadre their name and standing only.
    let (status, whole) = s.get(&admin, &path).await;
    assert_eq!(status, 200, "{whole}");
    assert!(whole["id_number"].is_string() && whole["testing"].is_object(), "{whole}");
    let (status, seen) = s.get(&cadre, &path).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["name"], whole["name"]);
    assert_eq!(seen["effective_tier"], whole["effective_tier"]);
    assert!(seen["id_number"].is_null() && seen["testing"].is_null() && seen["case_id"].is_null(), "{seen}");
    assert_eq!(seen["phone"], whole["phone"], "a cadre calls residents back");
    let (_, me) = s.get(&cadre, "/api/v1/me").await;
    let rights: Vec<&str> = me["rights"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(rights.contains(&"keep_gate") && !rights.contains(&"see_id_number"), "{me}");

    // The page says the field is withheld, not that there is none.
    let web = s.web_login("cadre").await;
    let page = web.get(format!("{}/people/{id}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("class=\"muted withheld\""), "{page:.2000}");
    assert!(!page.contains("id=\"testing\""));

    // Headquarters revokes the phone: the cadre's next read has none, the lists neither.
    let (status, hold) = set_right(s, &admin, "cadre", "see_phone", false).await;
    assert_eq!(status, 200, "{hold}");
    assert_eq!(hold["granted"], false);
    assert_eq!(hold["changed_by"], "admin");
    let (_, seen) = s.get(&cadre, &path).await;
    assert!(seen["phone"].is_null(), "{seen}");
    let (_, listed) =
        s.get(&cadre, &format!("/api/v1/people?household={}", whole["household"].as_str().unwrap())).await;
    assert!(listed["people"].as_array().unwrap().iter().all(|p| p["phone"].is_null()), "{listed}");
    // Saying it twice changes nothing and is no error.
    assert_eq!(set_right(s, &admin, "cadre", "see_phone", false).await.0, 200);

    // A task right: without keep_gate the cadre is refused at the gate.
    let (_, gates) = s.get(&cadre, "/api/v1/gates").await;
    let gate = gates[0]["id"].as_i64().unwrap();
    let body = json!({"direction": "in", "person": id});
    let url = format!("/api/v1/gates/{gate}/decisions");
    let decide = |token: String| {
        let (body, url) = (body.clone(), url.clone());
        async move { s.call(Method::POST, &token, &url, Some(body)).await }
    };
    let (status, d) = decide(cadre.clone()).await;
    assert!((200..300).contains(&status), "{d}");
    assert_eq!(set_right(s, &admin, "cadre", "keep_gate", false).await.0, 200);
    let (status, e) = decide(cadre.clone()).await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(set_right(s, &admin, "cadre", "keep_gate", true).await.0, 200);
    let (status, d) = decide(cadre.clone()).await;
    assert!((200..300).contains(&status), "{d}");

    // Granting works the other way: the cadre may now see ID numbers.
    assert_eq!(set_right(s, &admin, "cadre", "see_id_number", true).await.0, 200);
    let (_, seen) = s.get(&cadre, &path).await;
    assert_eq!(seen["id_number"], whole["id_number"]);

    // The matrix lists every role and right, with who changed what.
    let (status, all) = s.get(&admin, "/api/v1/roles").await;
    assert_eq!(status, 200, "{all}");
    let roles = all.as_array().unwrap();
    assert_eq!(roles.len(), 8);
    let cadre_rights = &roles.iter().find(|r| r["role"] == "cadre").unwrap()["rights"];
    let held =
        |right: &str| cadre_rights.as_array().unwrap().iter().find(|h| h["right"] == right).unwrap().clone();
    assert_eq!(held("see_phone")["granted"], false);
    assert_eq!(held("see_id_number")["granted"], true);
    assert!(held("see_id_number")["changed_at"].is_string());
    assert!(held("see_health")["changed_by"].is_null(), "never changed");
}

async fn only_the_city_command_changes_rights(s: &Server) {
    let admin = s.login("admin").await;
    let district = s.login("xincheng").await;
    let cadre = s.login("cadre").await;

    // Headquarters keeps what lets it undo a change and see who read whom.
    let (status, e) = set_right(s, &admin, "headquarters", "command", false).await;
    assert_eq!(status, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("keeps command"), "{e}");
    assert_eq!(set_right(s, &admin, "headquarters", "review_audit", false).await.0, 409);
    // Names are checked and named.
    let (status, e) = set_right(s, &admin, "cadre", "fly_drones", true).await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains("fly_drones") && e.to_string().contains("keep_gate"), "{e}");
    assert_eq!(set_right(s, &admin, "mayor", "see_phone", true).await.0, 422);
    // Nobody else reads or changes them, least of all to raise themselves.
    for token in [&district, &cadre] {
        assert_eq!(s.get(token, "/api/v1/roles").await.0, 403);
        assert_eq!(set_right(s, token, "cadre", "see_id_number", true).await.0, 403);
    }
    let (_, me) = s.get(&cadre, "/api/v1/me").await;
    assert!(!me["rights"].to_string().contains("see_id_number"), "{me}");

    // The page: headquarters toggles a cell through a form.
    let web = s.web_login("admin").await;
    let page = web.get(format!("{}/roles", s.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("data-role=\"cadre\" data-right=\"see_health\""), "{page:.2000}");
    let csrf = s.csrf(&web).await;
    let r = web
        .post(format!("{}/roles/sampler/see_phone", s.base))
        .form(&[("csrf", csrf.as_str()), ("granted", "false")])
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 200 | 303), "{}", r.status());
    let (_, all) = s.get(&admin, "/api/v1/roles").await;
    let sampler = all.as_array().unwrap().iter().find(|r| r["role"] == "sampler").unwrap();
    let phone = sampler["rights"].as_array().unwrap().iter().find(|h| h["right"] == "see_phone").unwrap();
    assert_eq!(phone["granted"], false, "{phone}");
    // A district user has no such page.
    let web = s.web_login("xincheng").await;
    assert_eq!(web.get(format!("{}/roles", s.base)).send().await.unwrap().status(), 403);

    // The command line: an operator changes a role, every name checked before anything changes.
    let run = |args: &[&str]| {
        let out = cordon()
            .arg("roles")
            .args(args)
            .args(["--db", &s.db.url])
            .env("CORDON_LOG", "warn")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&["revoke", "lab", "report_results", "no_such_right"]);
    assert!(!ok && out.contains("no_such_right"), "{out}");
    let (ok, out) = run(&["revoke", "lab", "report_results"]);
    assert!(ok, "{out}");
    let (ok, out) = run(&["revoke", "headquarters", "review_audit"]);
    assert!(!ok && out.contains("keeps review_audit"), "{out}");
    let (ok, list) = run(&["list"]);
    assert!(ok, "{list}");
    let lab = list.lines().find(|l| l.starts_with("lab ")).unwrap();
    assert!(!lab.contains("report_results") && lab.contains("send_samples"), "{list}");
    assert!(list.contains("revoked report_results by cli:"), "{list}");
    let lab = s.login("lab").await;
    let (_, me) = s.get(&lab, "/api/v1/me").await;
    assert!(!me["rights"].to_string().contains("report_results"), "{me}");
}

on_both_backends!(fields_follow_rights, only_the_city_command_changes_rights);
