//! The account's pages: sign-in, sign-out, the account page, a change of password, the second
//! factor's set-up.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::second_factor;
use crate::AppState;
use crate::access::RouteNeed;
use crate::account::AccountError;
use crate::http::auth::{self, token_hash};
use crate::http::error::ApiError;
use crate::web::*;
use cordon_domain::Need;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    page: Page,
    next: String,
    failed: bool,
    /// The account signs in with a code: the form asks for it (and the password again).
    code_asked: bool,
    /// Kept in the form when the code is asked.
    username: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// The sign-in form's cookie (kept if the browser has one) and the token the form carries.
fn login_form(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    use crate::http::guard::{LOGIN_COOKIE, csrf_token};
    let value = jar
        .get(LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(auth::new_token);
    let cookie = axum_extra::extract::cookie::Cookie::build((LOGIN_COOKIE, value.clone()))
        .path("/login")
        .http_only(true)
        .same_site(axum_extra::extract::cookie::SameSite::Strict)
        .secure(state.config.secure_cookies)
        .build();
    (jar.add(cookie), csrf_token(&value))
}

async fn login_page(
    State(state): State<AppState>,
    PageLang { lang, jar }: PageLang,
    Query(q): Query<LoginQuery>,
) -> Response {
    let mut page = Page::new(lang, None, "/login");
    let (jar, token) = login_form(&state, jar);
    page.csrf = token;
    let next = safe_next(q.next.as_deref());
    let t = LoginTemplate { page, next, failed: false, code_asked: false, username: String::new() };
    (jar, render(&t)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    /// The authenticator app's code, for an account with two-factor sign-in.
    code: Option<String>,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    auth::ClientAddr(from): auth::ClientAddr,
    PageLang { lang, jar }: PageLang,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match crate::account::login(&state, &form.username, &form.password, form.code.as_deref(), from).await {
        Ok((token, _)) => {
            let jar = jar.add(auth::session_cookie(&state, token));
            (jar, Redirect::to(&safe_next(form.next.as_deref()))).into_response()
        }
        Err(e @ (AccountError::BadLogin | AccountError::BadCode | AccountError::TwoFactorCode)) => {
            let mut page = Page::new(lang, None, "/login");
            let (jar, token) = login_form(&state, jar);
            page.csrf = token;
            let next = safe_next(form.next.as_deref());
            // Asked for the code: the form comes back with the code's field first.
            let (failed, code_asked) = match e {
                AccountError::TwoFactorCode => (false, true),
                AccountError::BadCode => (true, true),
                _ => (true, false),
            };
            let username = if code_asked { form.username.clone() } else { String::new() };
            let t = LoginTemplate { page, next, failed, code_asked, username };
            (StatusCode::UNAUTHORIZED, jar, render(&t)).into_response()
        }
        Err(e @ (AccountError::TooManyAttempts(_) | AccountError::Disabled)) => {
            let page = Page::new(lang, None, "/login");
            let e = ApiError::from(e);
            (e.status(), jar, render(&ErrorTemplate { page, message: e.to_string() })).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    if let Some(c) = jar.get(auth::SESSION_COOKIE)
        && let Err(e) = state.store.delete_session(&token_hash(c.value())).await
    {
        return ApiError::from(e).into_response();
    }
    (jar.add(auth::removal_cookie()), Redirect::to("/login")).into_response()
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTemplate {
    page: Page,
    /// Why the last change was refused.
    refused: Option<String>,
}

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorTemplate {
    page: Page,
    setup: crate::account::second_factor::TwoFactorSetup,
    /// The otpauth link as a QR code (SVG), for the phone's camera.
    qr: String,
    refused: Option<String>,
}

fn two_factor_form(
    page: Page,
    jar: CookieJar,
    setup: crate::account::second_factor::TwoFactorSetup,
    refused: Option<(StatusCode, String)>,
) -> Response {
    let qr = qrcode::QrCode::new(setup.url.as_bytes())
        .map(|c| c.render::<qrcode::render::svg::Color>().min_dimensions(220, 220).build())
        .unwrap_or_default();
    let (status, refused) = match refused {
        Some((s, why)) => (s, Some(why)),
        None => (StatusCode::OK, None),
    };
    (status, jar, render(&TwoFactorTemplate { page, setup, qr, refused })).into_response()
}

/// A fresh secret to scan, and the form that confirms it with a code and the password.
async fn two_factor_page(pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    match crate::account::second_factor::setup(&user) {
        Ok(setup) => two_factor_form(page, jar, setup, None),
        Err(AccountError::Conflict(_)) => (jar, Redirect::to("/account")).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct TwoFactorForm {
    secret: String,
    code: String,
    password: String,
}

async fn two_factor_submit(
    State(state): State<AppState>,
    pu: PageUser,
    auth::ClientAddr(from): auth::ClientAddr,
    Form(f): Form<TwoFactorForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = second_factor::TwoFactorConfirm { secret: f.secret, code: f.code, password: f.password };
    match crate::account::second_factor::confirm(&state, &user, &req, from).await {
        Ok(()) => (jar, Redirect::to("/account")).into_response(),
        // Refused: the same secret again (the app holds it already), with the reason.
        Err(e @ (AccountError::Invalid { .. } | AccountError::TooManyAttempts(_))) => {
            let setup = match crate::account::second_factor::setup_again(&user, req.secret) {
                Ok(s) => s,
                Err(e) => return error_page(page, jar, e),
            };
            let e = ApiError::from(e);
            two_factor_form(page, jar, setup, Some((e.status(), e.to_string())))
        }
        Err(e) => error_page(page, jar, e),
    }
}

async fn account_page(pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    (jar, render(&AccountTemplate { page, refused: None })).into_response()
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// A password changed ends every session, this one too: back to the sign-in.
async fn password_submit(
    State(state): State<AppState>,
    pu: PageUser,
    auth::ClientAddr(from): auth::ClientAddr,
    Form(f): Form<PasswordForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    match crate::account::change_password(&state, &user, &f.current_password, &f.new_password, from).await {
        Ok(()) => (jar.add(auth::removal_cookie()), Redirect::to("/login")).into_response(),
        Err(e @ (AccountError::Invalid { .. } | AccountError::TooManyAttempts(_))) => {
            let e = ApiError::from(e);
            (e.status(), jar, render(&AccountTemplate { page, refused: Some(e.to_string()) })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/login", Need::Open),
    RouteNeed::post("/login", Need::Open),
    RouteNeed::post("/logout", Need::Open),
    RouteNeed::get("/account", Need::SignedIn),
    RouteNeed::post("/account/password", Need::SignedIn),
    RouteNeed::get("/account/two-factor", Need::SignedIn),
    RouteNeed::post("/account/two-factor", Need::SignedIn),
];

/// The account's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/account", get(account_page))
        .route("/account/password", post(password_submit))
        .route("/account/two-factor", get(two_factor_page).post(two_factor_submit))
}
