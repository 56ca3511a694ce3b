//! 用户管理: headquarters and the district offices manage the sign-ins of their areas from the
//! API and the pages — add (the password made by the server, shown once), change, disable,
//! enable, reset — each change kept with who, when and why; and the rules that keep a manager
//! from reaching past their own areas and rights, or locking themselves out.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Server, client, on_both_backends};

/// 回民区: another district than the demo's 新城区.
const OTHER_DISTRICT: &str = "150103";

async fn sign_in(s: &Server, username: &str, password: &str) -> (u16, Value) {
    let r = client()
        .post(format!("{}/api/v1/auth/login", s.base))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect()
}

async fn managed_under_ones_areas(s: &Server) {
    let district = s.login("xincheng").await;
    let cadre = s.login("cadre").await;

    // The district office lists the users of its district, and no one else.
    let (status, list) = s.get(&district, "/api/v1/users").await;
    assert_eq!(status, 200, "{list}");
    let listed = names(&list);
    for name in ["xincheng", "hailaer", "gongzhufu", "cadre", "sampler"] {
        assert!(listed.contains(&name), "{name} in {listed:?}");
    }
    for name in ["admin", "lab", "epi"] {
        assert!(!listed.contains(&name), "{name} is the city's, not the district's: {listed:?}");
    }
    let (status, _) = s.get(&cadre, "/api/v1/users").await;
    assert_eq!(status, 403, "a cadre manages no sign-in");

    // Adding: a sampler of a street of the district; the password is shown once and signs in.
    let new =
        json!({ "username": "zhang.cy", "display_name": "张采样", "role": "sampler", "scope": "150102001" });
    let (status, made) = s.call(Method::POST, &district, "/api/v1/users", Some(new.clone())).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        (made["user"]["role"].as_str(), made["user"]["scope_name"].as_str()),
        (Some("sampler"), Some("海拉尔东路街道"))
    );
    let first = made["password"].as_str().unwrap().to_owned();
    let (status, signed) = sign_in(s, "zhang.cy", &first).await;
    assert_eq!(status, 200, "{signed}");
    let zhang = signed["token"].as_str().unwrap().to_owned();
    assert_eq!(s.get(&zhang, "/api/v1/me").await.0, 200);

    // What a manager may not do, each said plainly and changing nothing.
    let refused = |status: u16, body: &Value, code: &str, words: &str| {
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{status} {body}");
    };
    let (status, body) = s.call(Method::POST, &district, "/api/v1/users", Some(new.clone())).await;
    assert_eq!(status, 409);
    refused(status, &body, "conflict", "already exists");
    let elsewhere = json!({ "username": "wang.hm", "role": "cadre", "scope": OTHER_DISTRICT });
    let (status, body) = s.call(Method::POST, &district, "/api/v1/users", Some(elsewhere)).await;
    assert_eq!(status, 403);
    refused(status, &body, "forbidden", "not inside your areas");
    let stronger = json!({ "username": "li.hq", "role": "headquarters", "scope": "150102" });
    let (status, body) = s.call(Method::POST, &district, "/api/v1/users", Some(stronger)).await;
    assert_eq!(status, 403);
    refused(status, &body, "forbidden", "command");
    let bad = json!({ "username": "bad name", "role": "cadre", "scope": "150102" });
    let (status, body) = s.call(Method::POST, &district, "/api/v1/users", Some(bad)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("username")), "{body}");
    let (status, list) = s.get(&district, "/api/v1/users").await;
    assert_eq!(status, 200);
    assert!(!names(&list).iter().any(|n| ["wang.hm", "li.hq"].contains(n)), "nothing refused was made");

    // Headquarters' sign-ins are not the district's to see or change.
    let (status, _) = s
        .call(
            Method::PATCH,
            &district,
            "/api/v1/users/admin",
            Some(json!({ "disabled": true, "reason": "x" })),
        )
        .await;
    assert_eq!(status, 404);
    // Nor is one's own standing one's own to change.
    let (status, body) = s
        .call(
            Method::PATCH,
            &district,
            "/api/v1/users/xincheng",
            Some(json!({ "disabled": true, "reason": "x" })),
        )
        .await;
    assert_eq!(status, 403);
    refused(status, &body, "forbidden", "your own");
    // Nor a user moved to another district.
    let (status, body) = s
        .call(Method::PATCH, &district, "/api/v1/users/zhang.cy", Some(json!({ "scope": OTHER_DISTRICT })))
        .await;
    assert_eq!(status, 403);
    refused(status, &body, "forbidden", "not inside your areas");

    // Disabling needs a reason; disabled, the user's session is gone and they cannot sign in.
    let path = "/api/v1/users/zhang.cy";
    let (status, body) = s.call(Method::PATCH, &district, path, Some(json!({ "disabled": true }))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("reason")), "{body}");
    let (status, off) = s
        .call(Method::PATCH, &district, path, Some(json!({ "disabled": true, "reason": "调离采样队" })))
        .await;
    assert_eq!(status, 200, "{off}");
    assert!(off["disabled_at"].is_string());
    assert_eq!(s.get(&zhang, "/api/v1/me").await.0, 401, "the disabled user's session ended");
    let (status, body) = sign_in(s, "zhang.cy", &first).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("disabled")), "{body}");
    let (status, body) = sign_in(s, "zhang.cy", "not the password at all").await;
    assert_eq!(status, 401, "a wrong password says nothing of the account: {body}");

    // Enabled again, then a reset: the new password signs in, the first no longer does.
    let (status, on) =
        s.call(Method::PATCH, &district, path, Some(json!({ "disabled": false, "reason": "归队" }))).await;
    assert_eq!((status, on["disabled_at"].is_null()), (200, true), "{on}");
    let (status, reset) = s
        .call(Method::POST, &district, &format!("{path}/password"), Some(json!({ "reason": "忘记密码" })))
        .await;
    assert_eq!(status, 200, "{reset}");
    let second = reset["password"].as_str().unwrap();
    assert_ne!(second, first);
    assert_eq!(sign_in(s, "zhang.cy", &first).await.0, 401);
    assert_eq!(sign_in(s, "zhang.cy", second).await.0, 200);

    // The changes, newest first, with who and why; no password in them.
    let (status, detail) = s.get(&district, path).await;
    assert_eq!(status, 200, "{detail}");
    let changes = detail["changes"].as_array().unwrap();
    let kinds: Vec<&str> = changes.iter().map(|c| c["change"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["password_reset", "enabled", "disabled", "created"], "{detail}");
    assert!(changes.iter().all(|c| c["by"] == "xincheng"));
    assert_eq!(changes[2]["reason"], "调离采样队");
    assert!(!detail.to_string().contains(second) && !detail.to_string().contains(&first));

    // Headquarters of the city changes the district office itself: a new role ends its sessions.
    let admin = s.login("admin").await;
    let (status, _) = s.get(&admin, "/api/v1/users/xincheng").await;
    assert_eq!(status, 200);
    let (status, moved) = s
        .call(
            Method::PATCH,
            &admin,
            "/api/v1/users/xincheng",
            Some(json!({ "role": "street", "reason": "改任" })),
        )
        .await;
    assert_eq!((status, moved["role"].as_str()), (200, Some("street")), "{moved}");
    assert_eq!(s.get(&district, "/api/v1/users").await.0, 401, "a new role ends the sessions");
}

/// The pages: the list and its form, the password shown once, and disabling by the form.
async fn managed_from_the_pages(s: &Server) {
    let web = s.web_login("xincheng").await;
    let home = web.get(format!("{}/users", s.base)).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let page = home.text().await.unwrap();
    assert!(page.contains("href=\"/users\"") && page.contains("data-username=\"cadre\""), "{page:.3000}");
    assert!(!page.contains("data-username=\"admin\""));
    // The role list offers only roles within the district's rights.
    assert!(page.contains("value=\"sampler\"") && !page.contains("value=\"headquarters\""));
    let csrf = s.csrf(&web).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("username", "zhao.gb"),
        ("display_name", "赵干部"),
        ("role", "cadre"),
        ("scope", "150102001001"),
    ];
    let r = web.post(format!("{}/users", s.base)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let shown = r.text().await.unwrap();
    let mark = "id=\"issued-password\" class=\"secret\">";
    let at = shown.find(mark).expect("the password shown") + mark.len();
    let password = &shown[at..at + 16];
    assert_eq!(sign_in(s, "zhao.gb", password).await.0, 200);

    let form = [("csrf", csrf.as_str()), ("disabled", "true"), ("reason", "离岗")];
    let r = web.post(format!("{}/users/zhao.gb", s.base)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = web.get(format!("{}/users/zhao.gb", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("离岗") && page.contains("id=\"changes\""), "{page:.3000}");
    assert_eq!(sign_in(s, "zhao.gb", password).await.0, 403);

    // A cadre has no link and no page.
    let cadre = s.web_login("cadre").await;
    let page = cadre.get(format!("{}/people", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("href=\"/users\""));
    assert_eq!(cadre.get(format!("{}/users", s.base)).send().await.unwrap().status(), 403);
}

on_both_backends!(managed_under_ones_areas, managed_from_the_pages);
