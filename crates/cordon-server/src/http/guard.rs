//! Web hardening: the headers every response carries (a Content-Security-Policy that runs no
//! inline script and loads nothing from elsewhere, no sniffing, no referrer, no framing) and the
//! CSRF token every form of a signed-in page carries and every form's POST must return.
//!
//! The token is derived from the session's own secret (which the page's HttpOnly cookie holds and
//! no other site can read), so it needs no storage and dies with the session. The session cookie
//! is `SameSite=Lax` too; the token is the second lock, the one the standard asks for.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::http::auth::SESSION_COOKIE;

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
    CookieJar::from_headers(headers).get(SESSION_COOKIE).map(|c| csrf_token(c.value()))
}

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    res
}

/// Refuses a page's POST from a signed-in browser that does not return the session's token (in
/// the form, or in the query for a file upload). The API (a bearer token, which no other site can
/// send for the user) and the login form (no session yet) pass.
pub async fn csrf_check(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let exempt = req.method() == Method::GET
        || req.method() == Method::HEAD
        || path.starts_with("/api/")
        || path == "/login"
        || req.headers().contains_key(header::AUTHORIZATION);
    if exempt {
        return next.run(req).await;
    }
    let Some(expected) = token_of(req.headers()) else {
        // No session: the page will send them to sign in.
        return next.run(req).await;
    };
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
        return refuse(path);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, crate::BODY_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response();
    };
    if field(&bytes).as_deref() != Some(expected.as_str()) {
        return refuse(parts.uri.path());
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn field(encoded: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v)
}

fn refuse(path: &str) -> Response {
    tracing::warn!(path, "a form without this session's CSRF token was refused");
    let body = "表单已过期或来源不明，请返回刷新页面后重试。\nThe form expired or did not come from this site: go back, reload the page and try again.";
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
