//! Every route × every role × a scope outside the data: nothing leaks.
//!
//! The routes are not listed here: the API's come from its OpenAPI document (built from the
//! router), the pages' from every `.route("…", …)` in the server's source, so a new route is in
//! the matrix the day it is written. Each route's parameters are filled with real objects of the
//! demo's story, all in 新城区, found by headquarters. Then:
//!
//! - for a user of every role scoped to 回民区, a route that names one of those objects is
//!   refused (4xx), whatever the method, and neither the refusal nor any list (a route without
//!   parameters) holds one of them;
//! - for the demo's own users, every role, no read answers 5xx.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use crate::support::{self, Server, client, cordon, first_household, on_both_backends};

/// The area the outsiders answer for: a district with none of the story in it.
const OUTSIDE: &str = "150103";
/// What every object of the story carries: 新城区's code starts every area code inside it.
const INSIDE_CODE: &str = "150102";

/// A route: method and path with `{parameters}`.
type Route = (Method, String);

fn api_routes(doc: &Value) -> Vec<Route> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.push((method.to_uppercase().parse().unwrap(), path.clone()));
        }
    }
    out
}

/// Every Rust file under `dir`, in every folder below it.
fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.route("PATH", get(…).post(…))` in the server's source outside the API: every
/// capability's folder (`pages.rs` and whatever it merges), the layout's and `lib.rs`.
fn page_routes() -> Vec<Route> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../cordon-server/src");
    let mut files = Vec::new();
    sources(std::path::Path::new(dir), &mut files);
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices(".route(\"") {
            let rest = &text[at + 8..];
            let end = rest.find('"').unwrap();
            let route = &rest[..end];
            // The call's handlers: up to the next route or the end of the builder.
            let call = &rest[end..];
            let call =
                &call[..call.find(".route(").or_else(|| call.find(".merge(")).unwrap_or(call.len()).min(400)];
            for (token, method) in [
                ("get(", Method::GET),
                ("post(", Method::POST),
                ("put(", Method::PUT),
                ("delete(", Method::DELETE),
            ] {
                if call.contains(token) {
                    out.push((method, route.to_owned()));
                }
            }
        }
    }
    assert!(out.len() > 30, "the pages were found in the source: {out:?}");
    out
}

/// The first object of the first list in a JSON answer.
fn first_item(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(a) => a.first(),
        Value::Object(o) => o.values().find_map(|x| x.as_array().and_then(|a| a.first())),
        _ => None,
    }
}

fn id_of(item: &Value) -> Option<String> {
    ["id", "code", "key", "worker_id", "person_id"].iter().find_map(|k| match &item[k] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// The values headquarters sees for each parameter of each route (by the resource the route
/// is under), all objects of the story inside 新城区.
async fn inside_values(
    s: &Server,
    hq: &str,
    routes: &[Route],
    people: &[String],
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    values.insert("areas/{code}".to_owned(), "150102001001".to_owned());
    values.insert("people/{id}".to_owned(), people[0].clone());
    values.insert("profiles/{key}".to_owned(), "ninth-edition".to_owned());
    // The rights of a role: a real role and right (the outsiders may not change them).
    values.insert("roles/{role}".to_owned(), "cadre".to_owned());
    values.insert("roles/{right}".to_owned(), "see_id_number".to_owned());
    for (_, path) in routes {
        let Some(open) = path.find('{') else { continue };
        let resource =
            path[..open].trim_start_matches("/api/v1/").trim_start_matches('/').trim_end_matches('/');
        let key = format!("{resource}/{}", &path[open..=path[open..].find('}').unwrap() + open]);
        if values.contains_key(&key) {
            continue;
        }
        let list = if resource.contains('/') { None } else { Some(format!("/api/v1/{resource}")) };
        let found = match list {
            Some(list) => {
                let (status, v) = s.get(hq, &list).await;
                if status == 200 { first_item(&v).and_then(id_of) } else { None }
            }
            None => None,
        };
        if let Some(found) = found {
            values.insert(key, found);
        }
    }
    values
}

/// `path` with its parameters filled from `values`, and the values used; None if one has no
/// value.
fn fill(path: &str, values: &BTreeMap<String, String>) -> Option<(String, Vec<String>)> {
    let mut out = String::new();
    let mut used = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').unwrap();
        let resource = path[..path.len() - rest.len() + open]
            .trim_start_matches("/api/v1/")
            .trim_start_matches('/')
            .trim_end_matches('/')
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let value = values.get(&format!("{resource}/{}", &rest[open..=close]))?;
        out.push_str(&rest[..open]);
        out.push_str(value);
        used.push(value.clone());
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some((out, used))
}

fn holds_inside(body: &str, people: &[String]) -> Option<String> {
    if body.contains(INSIDE_CODE) {
        return Some(INSIDE_CODE.to_owned());
    }
    people
        .iter()
        .find(|p| body.contains(&format!("\"{p}\"")) || body.contains(&format!("/people/{p}")))
        .cloned()
}

fn add_user(s: &Server, name: &str, role: &str) {
    let mut c = cordon();
    c.args(["user", "add", name, "--role", role, "--scope", OUTSIDE, "--password-stdin", "--db", &s.db.url])
        .env("CORDON_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(support::PASSWORD.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

const ROLES: [&str; 8] =
    ["headquarters", "district", "street", "community_worker", "cadre", "sampler", "lab", "epidemiologist"];
const DEMO_USERS: [&str; 8] = ["admin", "xincheng", "hailaer", "gongzhufu", "cadre", "sampler", "lab", "epi"];

async fn nothing_leaks(s: &Server) {
    let hq = s.login("admin").await;
    let doc: Value =
        client().get(format!("{}/api/openapi.json", s.base)).send().await.unwrap().json().await.unwrap();
    let api = api_routes(&doc);
    let pages = page_routes();
    let all: Vec<Route> = api.iter().chain(&pages).cloned().collect();
    let (_, people) = first_household(s, &hq, "150102001001").await;
    let values = inside_values(s, &hq, &all, &people).await;

    // Every parameterised read the story has an object for is tried, and most have one.
    let parameterised: Vec<&Route> = all.iter().filter(|(_, p)| p.contains('{')).collect();
    let filled: Vec<(&Route, (String, Vec<String>))> =
        parameterised.iter().filter_map(|r| fill(&r.1, &values).map(|u| (*r, u))).collect();
    assert!(
        filled.len() * 10 >= parameterised.len() * 7,
        "only {} of {} parameterised routes had an object to name: {values:?}",
        filled.len(),
        parameterised.len()
    );

    let skip = |(m, p): &Route| {
        // Signing in and out are the session's own; the static files hold no data.
        p.contains("/auth/")
            || p == "/login"
            || p == "/logout"
            || p.starts_with("/static/")
            || (m == Method::GET && p == "/healthz")
    };
    let mut tried = 0;
    for (i, role) in ROLES.iter().enumerate() {
        let name = format!("outsider{i}");
        add_user(s, &name, role);
        let token = s.login(&name).await;
        let web = s.web_login(&name).await;
        let csrf = s.csrf(&web).await;
        for ((method, path), (url, named)) in &filled {
            if skip(&(method.clone(), path.clone())) {
                continue;
            }
            let (status, body) = if path.starts_with("/api/") {
                let (status, v) = s.call(method.clone(), &token, url, Some(serde_json::json!({}))).await;
                (status, v.to_string())
            } else {
                let mut r = web.request(method.clone(), format!("{}{url}", s.base));
                if *method != Method::GET {
                    r = r.form(&[("csrf", csrf.as_str())]);
                }
                let r = r.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            };
            tried += 1;
            // Refused: not done (2xx), not done and sent on (a form's 303), not failed (5xx).
            assert!(
                (400..500).contains(&status),
                "{role} outside: {method} {url} answered {status}: {body:.300}"
            );
            // A refusal may repeat what was asked for, and nothing else of the story.
            let body = named.iter().fold(body, |b, v| b.replace(v.as_str(), ""));
            if let Some(what) = holds_inside(&body, &people) {
                panic!("{role} outside: {method} {url} ({status}) shows {what}: {body:.300}");
            }
        }
        for (method, path) in all.iter().filter(|(m, p)| *m == Method::GET && !p.contains('{')) {
            if skip(&(method.clone(), path.clone())) {
                continue;
            }
            let (status, body) = if path.starts_with("/api/") {
                let (status, v) = s.get(&token, path).await;
                (status, v.to_string())
            } else {
                let r = web.get(format!("{}{path}", s.base)).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            };
            tried += 1;
            assert!(status < 500, "{role} outside: GET {path} answered {status}: {body:.300}");
            if let Some(what) = holds_inside(&body, &people) {
                panic!("{role} outside: GET {path} ({status}) shows {what}: {body:.300}");
            }
        }
    }

    // The demo's own users, every role: no read fails.
    for user in DEMO_USERS {
        let token = s.login(user).await;
        let web = s.web_login(user).await;
        for (method, path) in all.iter().filter(|(m, _)| *m == Method::GET) {
            if skip(&(method.clone(), path.clone())) {
                continue;
            }
            let Some((url, _)) = fill(path, &values) else { continue };
            let status = if path.starts_with("/api/") {
                s.get(&token, &url).await.0
            } else {
                web.get(format!("{}{url}", s.base)).send().await.unwrap().status().as_u16()
            };
            tried += 1;
            assert!(status < 500, "{user}: GET {url} answered {status}");
        }
    }
    eprintln!(
        "matrix: {tried} requests; {} of {} parameterised routes named an object: {values:?}",
        filled.len(),
        parameterised.len()
    );
    assert!(tried > 1000, "{tried} requests");
}

on_both_backends!(nothing_leaks);
