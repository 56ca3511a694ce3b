//! Login, sessions and the extractor that turns a request into a user.
//!
//! A session is a random 256-bit token. The client holds the token (bearer header for the API,
//! an HttpOnly cookie for the pages); the database holds only its SHA-256, so a copy of the
//! database opens no session.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Utc;
use cordon_domain::Right;
use cordon_store::User;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::http::error::ApiError;

pub const SESSION_COOKIE: &str = "cordon_session";

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// SHA-256 in hex: how tokens are stored and how a file sent twice is known.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers).get(name).map(|c| c.value().to_owned())
}

fn session_token(parts: &Parts) -> Option<String> {
    if let Some(t) = bearer(&parts.headers) {
        return Some(t.to_owned());
    }
    CookieJar::from_headers(&parts.headers).get(SESSION_COOKIE).map(|c| c.value().to_owned())
}

/// Resolves the request's session. `None` when there is no live one.
pub async fn session_user(parts: &Parts, state: &AppState) -> Result<Option<User>, ApiError> {
    let Some(token) = session_token(parts) else { return Ok(None) };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(state.store.session_user(&token_hash(&token), Utc::now()).await?)
}

/// The session a layer in front already resolved for this request (the `enforce` layer), so a
/// handler's extractor does not read the store a second time.
#[derive(Clone)]
pub struct Resolved(pub Option<User>);

/// The request's session: the one resolved in front of the handler, else read now.
pub async fn resolved_user(parts: &Parts, state: &AppState) -> Result<Option<User>, ApiError> {
    match parts.extensions.get::<Resolved>() {
        Some(Resolved(user)) => Ok(user.clone()),
        None => session_user(parts, state).await,
    }
}

/// The signed-in user of an API request; 401 without one.
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = resolved_user(parts, state).await?.ok_or(ApiError::Unauthorized)?;
        // Headquarters without its second factor may read who it is and enrol one, nothing else.
        let path = parts.uri.path();
        if crate::http::auth::must_enrol(state, &user)
            && path != "/api/v1/me"
            && !path.starts_with("/api/v1/auth/")
        {
            return Err(ApiError::TwoFactorRequired);
        }
        Ok(CurrentUser(user))
    }
}

/// The resident's session the `enforce` layer resolved for a request (a resident's route).
#[derive(Clone)]
pub struct ResolvedResident(pub cordon_store::ResidentSession);

/// The signed-in resident of a request (居民); 401 without one.
pub struct CurrentResident(pub cordon_store::ResidentSession);

impl FromRequestParts<AppState> for CurrentResident {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ResolvedResident>()
            .map(|r| CurrentResident(r.0.clone()))
            .ok_or(ApiError::Unauthorized)
    }
}

/// The address a request came from: the connection's peer, or behind a proxy Cordon is told to
/// trust (`Config::behind_proxy`), the last address the proxy added to `X-Forwarded-For`.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.config.behind_proxy {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse().ok())
                .next_back();
            if forwarded.is_some() {
                return Ok(ClientAddr(forwarded));
            }
        }
        let peer =
            parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientAddr(peer))
    }
}

/// A browser-session cookie: it dies with the browser; the server's expiry ends it sooner.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies)
        .build()
}

pub fn removal_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, "")).path("/").removal().build()
}

/// Whether this user signs in with a second factor when the deployment requires it.
pub fn needed_by(user: &User) -> bool {
    user.may(Right::Command) || user.may(Right::ReviewAudit)
}

/// A user who must have a second factor and has none yet: they may only enrol one.
pub fn must_enrol(state: &AppState, user: &User) -> bool {
    state.config.two_factor_required && needed_by(user) && !user.two_factor
}
