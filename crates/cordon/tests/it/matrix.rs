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
        for (at, _) in text.match_indices(".route(") {
            // The path may be on the next line, after rustfmt broke the call.
            let rest = text[at + 7..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else { continue };
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
    signed_out_is_sent_to_sign_in(s).await;
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

    // The demo's own users, every role: no read fails, and none shows a field beyond the
    // user's rights (`Shown::check`), in any answer, page or export.
    let secrets = Secrets::of(s).await;
    for user in DEMO_USERS {
        let token = s.login(user).await;
        let web = s.web_login(user).await;
        let shown = Shown::of(s, &token).await;
        let web_csrf = s.csrf(&web).await;
        for (method, path) in all.iter().filter(|(m, _)| *m == Method::GET) {
            if skip(&(method.clone(), path.clone())) {
                continue;
            }
            let Some((url, _)) = fill(path, &values) else { continue };
            let r = if path.starts_with("/api/") {
                client().get(format!("{}{url}", s.base)).bearer_auth(&token)
            } else {
                web.get(format!("{}{url}", s.base))
            };
            let r = r.send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            tried += 1;
            assert!(status < 500, "{user}: GET {url} answered {status}");
            if let Some(leak) = shown.check(&secrets, &body) {
                panic!("{user}: GET {url} shows {leak}: {body:.300}");
            }
        }
        // Every route whose declared need the user does not meet is refused by the table,
        // before the handler reads anything: whatever the method, whatever the object named.
        for need in cordon_server::route_needs() {
            if need.need.met_by(shown.rights) {
                continue;
            }
            let url = support::any_object(need.path);
            let method: Method = need.method.parse().unwrap();
            let (status, body) = if need.path.starts_with("/api/") {
                let (status, v) = s.call(method.clone(), &token, &url, Some(serde_json::json!({}))).await;
                (status, v.to_string())
            } else {
                let mut r = web.request(method.clone(), format!("{}{url}", s.base));
                if method != Method::GET {
                    r = r.form(&[("csrf", web_csrf.as_str())]);
                }
                let r = r.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            };
            tried += 1;
            // A resident's route refuses every staff sign-in, whatever its rights.
            let refusal = if need.need == cordon_domain::Need::Resident {
                "this route is a resident's"
            } else {
                "needs a right your role does not hold"
            };
            assert!(
                status == 403 && body.contains(refusal),
                "{user}: {method} {url} needs {:?}; answered {status}: {body:.300}",
                need.need
            );
        }
        // The routes whose right is not a field's: each refused without it.
        for (url, open) in [
            ("/api/v1/passes", shown.passes),
            ("/api/v1/testing-tasks", shown.testing),
            (&*format!("/api/v1/people/{}", people[0]), shown.register),
            ("/api/v1/people?q=%E7%8E%8B", shown.register),
        ] {
            let (status, _) = s.get(&token, url).await;
            assert_eq!(status == 403, !open, "{user}: GET {url} answered {status}");
        }
        // Every export, as a file: the same projection as the API's.
        for list in ["people", "zones", "needs", "assignments", "contacts", "gate-log"] {
            let url = format!("{}/api/v1/exports?list={list}", s.base);
            let r = client().get(&url).bearer_auth(&token).send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert!(status < 500, "{user}: export {list} answered {status}");
            if status != 200 {
                continue;
            }
            tried += 1;
            if let Some(leak) =
                shown.check(&secrets, &body).or_else(|| secrets.names_out_of(user, list, &body))
            {
                panic!("{user}: the {list} export shows {leak}");
            }
        }
    }
    eprintln!(
        "matrix: {tried} requests; {} of {} parameterised routes named an object: {values:?}",
        filled.len(),
        parameterised.len()
    );
    assert!(tried > 1000, "{tried} requests");
}

/// Every route the router answers declares its need once, in its capability's table, and the
/// table names no route that does not exist: a new route without a line is found here (and
/// meanwhile refused to everyone by the `enforce` layer).
#[test]
fn every_route_declares_its_need() {
    let doc = serde_json::to_value(cordon_server::openapi()).unwrap();
    let routes: std::collections::BTreeSet<(String, String)> =
        api_routes(&doc).into_iter().chain(page_routes()).map(|(m, p)| (m.to_string(), p)).collect();
    let needs = cordon_server::route_needs();
    let declared: std::collections::BTreeSet<(String, String)> =
        needs.iter().map(|n| (n.method.to_owned(), n.path.to_owned())).collect();
    assert_eq!(declared.len(), needs.len(), "a route is declared twice");
    let undeclared: Vec<_> = routes.difference(&declared).collect();
    let unknown: Vec<_> = declared.difference(&routes).collect();
    assert!(undeclared.is_empty(), "routes without a declared need: {undeclared:?}");
    assert!(unknown.is_empty(), "needs declared for no route: {unknown:?}");
    // Open means open to strangers: only signing in, the health check, the static files (the
    // service worker and the web app manifest among them: a phone installs the app from them),
    // the API's description and the metrics (which check their own token).
    let open: Vec<&str> =
        needs.iter().filter(|n| n.need == cordon_domain::Need::Open).map(|n| n.path).collect();
    for path in &open {
        assert!(
            [
                "/login",
                "/logout",
                "/healthz",
                "/api/v1/auth/login",
                "/api/v1/resident/code",
                "/api/v1/resident/login",
                "/home/sign-in",
                "/home/code",
                "/api/openapi.json",
                "/metrics",
                "/sw.js",
                "/manifest.webmanifest",
            ]
            .contains(path)
                || path.starts_with("/static/"),
            "{path} is open to anyone"
        );
    }
}

/// Signed out, every route but the open ones sends a page to sign in and answers the API 401.
async fn signed_out_is_sent_to_sign_in(s: &Server) {
    let c = client();
    for need in cordon_server::route_needs() {
        if need.need == cordon_domain::Need::Open {
            continue;
        }
        let url = support::any_object(need.path);
        let method: Method = need.method.parse().unwrap();
        let r = c.request(method.clone(), format!("{}{url}", s.base));
        let r = if need.path.starts_with("/api/") { r.json(&serde_json::json!({})) } else { r };
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        if need.path.starts_with("/api/") {
            assert_eq!(status, 401, "{method} {url}");
        } else if method == Method::GET {
            let to = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
            // A resident's page sends to the resident's sign-in, the rest to the staff's.
            let sign_in =
                if need.need == cordon_domain::Need::Resident { "/home/sign-in" } else { "/login?next=" };
            assert!(status == 303 && to.starts_with(sign_in), "{method} {url}: {status} to {to}");
        } else {
            // A signed-out form has no session to carry a token: refused either way.
            assert!(status == 403 || status == 303, "{method} {url}: {status}");
        }
    }
}

/// What a user's rights open, as `/api/v1/me` says.
struct Shown {
    /// Every right held, for the routes' declared needs.
    rights: cordon_domain::Rights,
    health: bool,
    passes: bool,
    testing: bool,
    /// Reading the register at all: a field right, or serving residents at a gate or their needs.
    register: bool,
}

/// The health tags, by code and by label: only `see_health` shows them.
const HEALTH_TAGS: [&str; 10] =
    ["dialysis", "chemotherapy", "pregnant", "chronic", "disabled", "透析", "化疗", "孕妇", "慢性病", "残障"];

impl Shown {
    async fn of(s: &Server, token: &str) -> Shown {
        let (_, me) = s.get(token, "/api/v1/me").await;
        let names: Vec<&str> = me["rights"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        let has = |r: &str| names.contains(&r);
        Shown {
            rights: cordon_domain::Rights::from_stored(&names.join(",")),
            health: has("see_health"),
            passes: has("keep_gate") || has("manage_gates"),
            testing: has("plan_testing") || has("send_samples") || has("report_results"),
            register: ["see_id_number", "see_phone", "see_health", "keep_gate", "handle_needs"]
                .iter()
                .any(|r| has(r)),
        }
    }

    /// The first field of `body` its reader's rights do not open: a whole ID number or phone
    /// (never shown whole, even with the right), a health tag without `see_health`, a pass's
    /// signed token without a gate right.
    fn check(&self, secrets: &Secrets, body: &str) -> Option<String> {
        let mut run = String::new();
        for c in body.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() || (c == 'X' && run.len() == 17) {
                run.push(c);
                continue;
            }
            if secrets.numbers.contains(&run) {
                return Some(format!("the whole number {run}"));
            }
            run.clear();
        }
        if !self.passes && body.contains("CP1.eyJ") {
            return Some("a pass's token".into());
        }
        if !self.health {
            // As JSON: any "tags" list; as a page: a tag's badge; as a file: a field's words.
            if let Ok(v) = serde_json::from_str::<Value>(body) {
                let mut tags = Vec::new();
                tags_in(&v, &mut tags);
                if let Some(t) = tags.iter().find(|t| HEALTH_TAGS.contains(&t.as_str())) {
                    return Some(format!("the health tag {t}"));
                }
            } else if let Some(t) = HEALTH_TAGS.iter().find(|t| body.contains(&format!("class=\"tag\">{t}<")))
            {
                return Some(format!("the health tag {t}"));
            } else if !body.trim_start().starts_with('<') {
                let words = body.split([',', ';', '\n', '\r']).map(str::trim);
                if let Some(t) = words.into_iter().find(|w| HEALTH_TAGS.contains(w)) {
                    return Some(format!("the health tag {t}"));
                }
            }
        }
        None
    }
}

fn tags_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if k == "tags"
                    && let Value::Array(a) = x
                {
                    for t in a {
                        match t {
                            Value::String(s) => out.push(s.clone()),
                            Value::Object(t) => {
                                out.extend(t.get("code").and_then(Value::as_str).map(str::to_owned))
                            }
                            _ => {}
                        }
                    }
                }
                tags_in(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| tags_in(x, out)),
        _ => {}
    }
}

/// What the store holds whole, to find in what the server sends.
struct Secrets {
    /// Every whole ID number and phone of the register.
    numbers: std::collections::HashSet<String>,
    /// Every person's household path.
    homes: std::collections::HashMap<String, cordon_domain::AreaPath>,
    /// Each demo user's areas.
    scopes: std::collections::HashMap<String, cordon_domain::AreaPath>,
}

impl Secrets {
    async fn of(s: &Server) -> Secrets {
        let store = support::connect(&s.db.url).await;
        let (mut numbers, mut homes) = (std::collections::HashSet::new(), std::collections::HashMap::new());
        let mut after: Option<(cordon_domain::AreaPath, String)> = None;
        loop {
            let from = after.as_ref().map(|(p, id)| (p, id.as_str()));
            let page = store.people_page(&cordon_domain::AreaPath::root(), from, 10_000).await.unwrap();
            let Some((last, _)) = page.last() else { break };
            after = Some((last.path.clone(), last.person_id.as_str().to_owned()));
            for (p, _) in &page {
                numbers.extend(p.id_number.clone());
                numbers.extend(p.phone.clone());
                homes.insert(p.person_id.as_str().to_owned(), p.path.clone());
            }
        }
        assert!(numbers.len() > 1000, "the register's numbers were read: {}", numbers.len());
        let mut scopes = std::collections::HashMap::new();
        for user in DEMO_USERS {
            let u = store.user_by_name(user).await.unwrap().unwrap();
            scopes.insert(user.to_owned(), u.scope_path);
        }
        Secrets { numbers, homes, scopes }
    }

    /// A name an export shows of someone outside the exporter's areas: none for a contact, only
    /// masked at the gate, as the API shows them.
    fn names_out_of(&self, user: &str, list: &str, body: &str) -> Option<String> {
        let (id_col, name_col) = match list {
            "contacts" => (2, 3),
            "gate-log" => (5, 6),
            _ => return None,
        };
        let scope = &self.scopes[user];
        let mut rows = csv::Reader::from_reader(body.as_bytes());
        for row in rows.records() {
            let row = row.unwrap();
            let (Some(id), Some(name)) = (row.get(id_col), row.get(name_col)) else { continue };
            let outside = self.homes.get(id).is_some_and(|home| !scope.contains(home));
            let whole =
                if list == "contacts" { !name.is_empty() } else { !name.is_empty() && !name.contains('*') };
            if outside && whole {
                return Some(format!("the name {name} of {id}, who lives outside {user}'s areas"));
            }
        }
        None
    }
}

on_both_backends!(nothing_leaks);
