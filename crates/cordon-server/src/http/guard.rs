//! Web hardening: the headers every response carries (a Content-Security-Policy that runs no
//! inline script and loads nothing from elsewhere, no sniffing, no referrer, no framing, no
//! cache) and the CSRF token every form of a signed-in page carries and every form's POST must
//! return (the API's cookie-authenticated calls, in a header; the sign-in form, its own).
//!
//! The token is derived from the session's own secret (which the page's HttpOnly cookie holds and
//! no other site can read), so it needs no storage and dies with the session. The session cookie
//! is `SameSite=Lax` too; the token is the second lock, the one the standard asks for.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use cordon_domain::format::hidden_char;

use crate::AppState;
use crate::http::auth::SESSION_COOKIE;
use crate::http::error::ApiError;

/// The form field (or query parameter, for a file upload) that carries the token.
pub const CSRF_FIELD: &str = "csrf";

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The token of a session: the first 32 hex digits of SHA-256 over a label and its secret.
pub fn csrf_token(session_secret: &str) -> String {
    let mut t = crate::http::auth::sha256_hex(format!("cordon-csrf\0{session_secret}").as_bytes());
    t.truncate(32);
    t
}

/// The session cookie's token of a request, if it has a session cookie.
pub fn token_of(headers: &axum::http::HeaderMap) -> Option<String> {
    let jar = CookieJar::from_headers(headers);
    // A staff session's, else a resident's (their pages' forms carry it the same way).
    jar.get(SESSION_COOKIE).or_else(|| jar.get(RESIDENT_COOKIE)).map(|c| csrf_token(c.value()))
}

/// The cookie of a resident's pages (`resident::COOKIE`; plumbing names no capability).
pub const RESIDENT_COOKIE: &str = "cordon_resident";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Pages, API answers and exports hold personal data: no cache keeps them (a shared
    // computer at a gate, a proxy). What sets its own policy (the static files) keeps it.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    res
}

/// The cookie that binds the sign-in form to the browser that loaded it (login CSRF: without
/// it, another site could sign a user in as the attacker, and read what the user then types).
pub const LOGIN_COOKIE: &str = "cordon_login";

/// The sign-in form's token of a request, if the browser loaded the form.
pub fn login_token_of(headers: &axum::http::HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers).get(LOGIN_COOKIE).map(|c| csrf_token(c.value()))
}

/// The cookie that binds a resident's sign-in forms to the browser that loaded them, as
/// `LOGIN_COOKIE` does the staff's; scoped to the resident's pages.
pub const RESIDENT_LOGIN_COOKIE: &str = "cordon_home_login";

/// The resident's sign-in forms, which carry `RESIDENT_LOGIN_COOKIE`'s token.
pub const RESIDENT_SIGN_IN_FORMS: [&str; 2] = ["/home/sign-in", "/home/code"];

/// A resident's sign-in forms' token of a request, if the browser loaded the form.
pub fn resident_login_token_of(headers: &axum::http::HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers).get(RESIDENT_LOGIN_COOKIE).map(|c| csrf_token(c.value()))
}

/// The header a script sends the token in, for a cookie-authenticated call of the API.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Refuses every state change a cookie authenticates that does not prove it came from this
/// site's own page: the session's token in the form (or the query, for a file upload), or in
/// the `X-CSRF-Token` header for the API; the sign-in form's own token for `/login`. And,
/// before any token, a request whose `Origin` is another origin is refused: `SameSite=Lax`
/// lets another port of the same host post with the cookie, an `Origin` check does not.
///
/// A request authenticated by a bearer token passes: no other site can make a browser send
/// one, and with a bearer header the session cookie is not read at all (`auth::session_token`).
pub async fn csrf_check(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || crate::http::auth::bearer(req.headers()).is_some()
    {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    if !same_origin(req.headers()) {
        return refuse(&path, "another origin");
    }
    let api = path.starts_with("/api/");
    let resident_sign_in = RESIDENT_SIGN_IN_FORMS.contains(&path.as_str());
    let expected = if path == "/login" {
        login_token_of(req.headers())
    } else if resident_sign_in {
        resident_login_token_of(req.headers())
    } else {
        token_of(req.headers())
    };
    let Some(expected) = expected else {
        if path == "/login" || resident_sign_in {
            return refuse(&path, "no sign-in form");
        }
        // No session: nothing a forgery could act as; the route answers 401 or the sign-in.
        return next.run(req).await;
    };
    if api {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent == Some(expected.as_str()) {
            return next.run(req).await;
        }
        return refuse(&path, "a cookie-authenticated API call without X-CSRF-Token");
    }
    let from_query = req.uri().query().and_then(|q| field(q.as_bytes()));
    if from_query.as_deref() == Some(expected.as_str()) {
        return next.run(req).await;
    }
    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return refuse(&path, "a form that is not urlencoded");
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, crate::BODY_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response();
    };
    if field(&bytes).as_deref() != Some(expected.as_str()) {
        return refuse(&path, "a form without the token");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Whether the request's `Origin`, when the browser sent one, is this server (its `Host`, or
/// the `X-Forwarded-Host` a proxy set). No `Origin` (an old browser, a script) or `null` (what a
/// browser sends from a page with `Referrer-Policy: no-referrer`, ours included): the tokens
/// decide.
fn same_origin(headers: &axum::http::HeaderMap) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).filter(|o| *o != "null");
    let Some(origin) = origin else { return true };
    let Some(authority) = origin.split_once("://").map(|(_, a)| a) else { return false };
    [header::HOST.as_str(), "x-forwarded-host"]
        .iter()
        .filter_map(|h| headers.get(*h)?.to_str().ok())
        .any(|host| host.eq_ignore_ascii_case(authority))
}

/// Checks every body the server is sent, in one place rather than in each service:
///
/// - free text holds no hidden character (`cordon_domain::format::hidden_char`: NUL, escape, a
///   right-to-left override): a JSON body holding one is refused with 400 naming the field; a
///   form's fields are stripped of them (the browser's user pasted them unseen);
/// - every time lies within the deployment's span (`http::bounds`): else 400 naming the field.
///
/// Files (CSV uploads) are read by the importers, which check their own text and times.
pub async fn inputs(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let kind = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let json = kind.starts_with("application/json");
    let form = kind.starts_with("application/x-www-form-urlencoded");
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or(0);
    // A body above the common limit is a route's own large upload, checked where it is read.
    if !(json || form) || length > crate::BODY_LIMIT {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, crate::BODY_LIMIT).await else {
        return ApiError::TooLarge.into_response();
    };
    let (bytes, times) = if json {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            // Not JSON: the handler's extractor says where it breaks.
            return next.run(Request::from_parts(parts, Body::from(bytes))).await;
        };
        let mut texts = Vec::new();
        strings(&value, String::new(), &mut texts);
        if let Some((field, _)) = texts.iter().find(|(_, s)| s.chars().any(hidden_char)) {
            let message = "holds a control or invisible formatting character (NUL, escape, a \
                           right-to-left override): remove it"
                .to_owned();
            return ApiError::Invalid { field: field.clone(), message }.into_response();
        }
        let times: Vec<_> =
            texts.into_iter().filter_map(|(f, s)| Some((f, crate::http::bounds::time_in(&s)?))).collect();
        (bytes, times)
    } else {
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) {
            Ok(pairs) => {
                let dirty = pairs.iter().any(|(k, v)| k.chars().chain(v.chars()).any(hidden_char));
                let pairs: Vec<(String, String)> = pairs
                    .into_iter()
                    .map(|(k, v)| (k.replace(hidden_char, ""), v.replace(hidden_char, "")))
                    .collect();
                let times = pairs
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), crate::http::bounds::time_in(v)?)))
                    .collect();
                let bytes = match dirty {
                    true => serde_urlencoded::to_string(&pairs).map(Into::into).unwrap_or(bytes),
                    false => bytes,
                };
                (bytes, times)
            }
            Err(_) => (bytes, vec![]),
        }
    };
    if !times.is_empty() {
        let checked = match crate::http::bounds::Bounds::of(&state).await {
            Ok(bounds) => times.iter().try_for_each(|(field, at)| bounds.check(field, *at)),
            Err(e) => Err(e),
        };
        if let Err(e) = checked {
            return e.into_response();
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Every string of a JSON value with its path (`reason`, `segments[2].place`; keys too).
fn strings(v: &serde_json::Value, at: String, out: &mut Vec<(String, String)>) {
    let name = |at: &str| if at.is_empty() { "body".to_owned() } else { at.to_owned() };
    match v {
        serde_json::Value::String(s) => out.push((name(&at), s.clone())),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, format!("{at}[{i}]"), out);
            }
        }
        serde_json::Value::Object(fields) => {
            for (k, item) in fields {
                out.push((name(&at), k.clone()));
                strings(item, if at.is_empty() { k.clone() } else { format!("{at}.{k}") }, out);
            }
        }
        _ => {}
    }
}

fn field(encoded: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v)
}

fn refuse(path: &str, why: &str) -> Response {
    tracing::warn!(path, why, "a state change without this session's CSRF token was refused");
    if path.starts_with("/api/") {
        let message = format!("refused: {why} (send X-CSRF-Token with a session cookie, or a bearer token)");
        return ApiError::Forbidden(message).into_response();
    }
    let body = "表单已过期或来源不明，请返回刷新页面后重试。\nThe form expired or did not come from this site: go back, reload the page and try again.";
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
