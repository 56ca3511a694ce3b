//! Login, sessions and the extractor that turns a request into a user.
//!
//! A session is a random 256-bit token. The client holds the token (bearer header for the API,
//! an HttpOnly cookie for the pages); the database holds only its SHA-256, so a copy of the
//! database opens no session.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Utc;
use cordon_domain::user::MAX_PASSWORD_BYTES;
use cordon_store::User;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::{AppState, api::UserView};

pub const SESSION_COOKIE: &str = "cordon_session";

/// Hashes a password with Argon2id on a blocking thread: hashing takes tens of milliseconds of
/// CPU and must not stall the async workers.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("hashing: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash. Without a hash (unknown user) it still does the
/// work of one check, against a hash nobody's password matches, so response time does not tell
/// which usernames exist.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let check = |h: &str| {
            PasswordHash::new(h)
                .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        };
        match &hash {
            Some(h) => check(h),
            None => {
                let dummy = DUMMY_HASH.get_or_init(|| {
                    let mut random = [0u8; 32];
                    rand::fill(&mut random);
                    Argon2::default().hash_password(&random).map(|h| h.to_string()).unwrap_or_default()
                });
                check(dummy);
                false
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// A hash of 32 random bytes, made once: the stand-in for users that do not exist.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

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

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
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

/// The signed-in user of an API request; 401 without one.
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = session_user(parts, state).await?.ok_or(ApiError::Unauthorized)?;
        // Headquarters without its second factor may read who it is and enrol one, nothing else.
        let path = parts.uri.path();
        if crate::second_factor::must_enrol(state, &user)
            && path != "/api/v1/me"
            && !path.starts_with("/api/v1/auth/")
        {
            return Err(ApiError::TwoFactorRequired);
        }
        Ok(CurrentUser(user))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The six digits of the authenticator app, for an account with two-factor sign-in.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub user: UserView,
}

/// Failed sign-ins an account may have within [`LOCKOUT`] before it is refused for the rest of it.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// Failed sign-ins one address may have within [`LOCKOUT`], whatever the names tried: a flood
/// of guesses spread over many accounts (or made-up names) stops here. Higher than an
/// account's, since an office's desks share one address.
pub const MAX_FAILED_LOGINS_PER_ADDRESS: u32 = 30;
pub const LOCKOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The failed sign-ins of each account name tried and of each address they came from, in this
/// server's memory: a flood of guesses meets 429 after [`MAX_FAILED_LOGINS`] at one account or
/// [`MAX_FAILED_LOGINS_PER_ADDRESS`] from one address, whatever the password, until the window
/// passes (a right password inside the window does not open it either, or the flood could go on
/// guessing).
#[derive(Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<Attempter, (u32, std::time::Instant)>>,
}

/// Who the failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Attempter {
    Account(String),
    Address(std::net::IpAddr),
}

impl Attempter {
    fn limit(&self) -> u32 {
        match self {
            Attempter::Account(_) => MAX_FAILED_LOGINS,
            Attempter::Address(_) => MAX_FAILED_LOGINS_PER_ADDRESS,
        }
    }
}

impl LoginThrottle {
    /// Seconds to wait, if `who` is locked out now.
    fn locked(&self, who: &Attempter) -> Option<u64> {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, since) = *f.get(who)?;
        let elapsed = since.elapsed();
        if elapsed >= LOCKOUT {
            f.remove(who);
            return None;
        }
        (count >= who.limit()).then(|| (LOCKOUT - elapsed).as_secs().max(1))
    }

    fn failed(&self, who: Attempter) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget windows that passed, so guesses at made-up names cannot fill the memory.
        if f.len() > 100_000 {
            f.retain(|_, (_, since)| since.elapsed() < LOCKOUT);
        }
        let e = f.entry(who).or_insert((0, std::time::Instant::now()));
        e.0 += 1;
    }

    /// A right password clears its account's failures, not its address's: one account's
    /// owner must not reset the count of guesses made at others from the same place.
    fn succeeded(&self, account: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Attempter::Account(account.to_owned()));
    }
}

/// `Err(TooManyAttempts)` while the account or the address is locked out.
fn not_locked(state: &AppState, account: &Attempter, address: Option<&Attempter>) -> Result<(), ApiError> {
    for who in std::iter::once(account).chain(address) {
        if let Some(wait) = state.logins.locked(who) {
            match who {
                Attempter::Account(name) => {
                    tracing::warn!(username = %name, "refused: too many failed passwords at the account")
                }
                Attempter::Address(a) => {
                    tracing::warn!(address = %a, "refused: too many failed passwords from the address")
                }
            }
            return Err(ApiError::TooManyAttempts(wait));
        }
    }
    Ok(())
}

/// A wrong password, counted at the account and at the address.
fn failed(state: &AppState, account: Attempter, address: Option<Attempter>) {
    state.logins.failed(account);
    if let Some(address) = address {
        state.logins.failed(address);
    }
}

/// Checks a username and password and opens a session. `Err(BadLogin)` says nothing of which
/// was wrong; after [`MAX_FAILED_LOGINS`] failures at the account, or
/// [`MAX_FAILED_LOGINS_PER_ADDRESS`] from the address `from`, within [`LOCKOUT`],
/// `Err(TooManyAttempts)`.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    code: Option<&str>,
    from: Option<std::net::IpAddr>,
) -> Result<(String, User), ApiError> {
    if password.len() > MAX_PASSWORD_BYTES || username.len() > 64 {
        return Err(ApiError::BadLogin);
    }
    let account = Attempter::Account(username.trim().to_lowercase());
    let address = from.map(Attempter::Address);
    not_locked(state, &account, address.as_ref())?;
    let user = state.store.user_by_name(username).await?;
    let ok = verify_password(password.to_owned(), user.as_ref().map(|u| u.password_hash.clone())).await;
    let (true, Some(user)) = (ok, user) else {
        failed(state, account, address);
        tracing::info!(username, "failed login");
        return Err(ApiError::BadLogin);
    };
    if user.two_factor {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            // The password was right: the caller is asked for the code, nothing is counted.
            None => return Err(ApiError::TwoFactorCode),
            Some(code) => {
                if !crate::second_factor::check_code(state, &user, code).await? {
                    failed(state, account, address);
                    tracing::info!(username, "failed login: wrong or spent two-factor code");
                    return Err(ApiError::BadCode);
                }
            }
        }
    }
    state.logins.succeeded(&username.trim().to_lowercase());
    let token = new_token();
    let now = Utc::now();
    let expires = now + state.config.session_ttl;
    state.store.create_session(&token_hash(&token), user.id, now, expires).await?;
    tracing::info!(username, "login");
    Ok((token, user))
}

/// A signed-in `user` proves their password again (to change it, to enrol a second factor). A
/// wrong one counts as a failed sign-in, so a stolen session cannot guess it.
pub async fn prove_password(
    state: &AppState,
    user: &User,
    password: &str,
    from: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    let account = Attempter::Account(user.username.to_lowercase());
    let address = from.map(Attempter::Address);
    not_locked(state, &account, address.as_ref())?;
    let ok = password.len() <= MAX_PASSWORD_BYTES
        && verify_password(password.to_owned(), Some(user.password_hash.clone())).await;
    if !ok {
        failed(state, account, address);
        tracing::info!(username = %user.username, "the password proven again was wrong");
        return Err(ApiError::invalid("password", "is not your current password"));
    }
    Ok(())
}

/// Changes the password of a signed-in `user`, who proves the current one: the new one must
/// follow the rule (`check_new_password`); every session of the user ends, this one too. A
/// wrong current password counts as a failed sign-in, so a stolen session cannot guess it.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: &str,
    new: &str,
    from: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    prove_password(state, user, current, from).await.map_err(|e| match e {
        ApiError::Invalid { message, .. } => ApiError::invalid("current_password", message),
        other => other,
    })?;
    cordon_domain::user::check_new_password(new, &user.username)?;
    if new == current {
        return Err(ApiError::invalid("new_password", "is the current password"));
    }
    let hash = hash_password(new.to_owned()).await?;
    state.store.set_password(&user.username, &hash).await?;
    tracing::info!(username = %user.username, "password changed; the user's sessions are closed");
    Ok(())
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// 10 characters or more, 5 of them different; not the username, not only digits, not a
    /// run along the keyboard, not one of the words guessed first.
    pub new_password: String,
}

/// Change one's own password. Every session of the user ends, this one too: sign in again.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "too many wrong current passwords; Retry-After says when to try again", body = ErrorBody)))]
pub async fn api_change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<impl IntoResponse, ApiError> {
    change_password(&state, &user, &req.current_password, &req.new_password, from).await?;
    Ok((jar.add(removal_cookie()), axum::http::StatusCode::NO_CONTENT))
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

/// Sign in: a bearer token for the API and a session cookie for the pages.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, description = "too many failed sign-ins for the account or from the address; Retry-After says when to try again", body = ErrorBody)))]
pub async fn api_login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (token, user) = login(&state, &req.username, &req.password, req.code.as_deref(), from).await?;
    let expires_at = Utc::now() + state.config.session_ttl;
    let jar = jar.add(session_cookie(&state, token.clone()));
    Ok((jar, axum::Json(LoginResponse { token, expires_at, user: UserView::of(&user) })))
}

/// End the session of this token or cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn api_logout(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
    parts: HeaderMap,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    let token =
        bearer(&parts).map(str::to_owned).or_else(|| jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()));
    if let Some(t) = token {
        state.store.delete_session(&token_hash(&t)).await?;
    }
    Ok((jar.add(removal_cookie()), axum::http::StatusCode::NO_CONTENT))
}
