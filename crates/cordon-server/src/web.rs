//! The web pages: rendered on the server (askama), nothing loaded from elsewhere, and no script
//! but the gate console's camera reader (a static file; typing does everything without it).
//! Usable on a phone: one column, large targets.

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use cordon_domain::{AreaLevel, Sex};
use cordon_store::User;
use serde::Deserialize;

use crate::AppState;
use crate::api::{self, AreaDetail, PersonSummary, PersonView, SearchResult};
use crate::auth::{self, token_hash};
use crate::error::ApiError;
use crate::i18n::{Lang, Texts};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/static/cordon.css", get(css))
        .route("/static/gate.js", get(gate_js))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/account", get(account_page))
        .route("/account/password", post(password_submit))
        .route("/account/two-factor", get(two_factor_page).post(two_factor_submit))
        .route("/", get(home))
        .route("/areas/{code}", get(area_page))
        .route("/people", get(search_page))
        .route("/people/{id}", get(person_page))
        .merge(crate::web_zones::router())
        .merge(crate::web_cases::router())
        .merge(crate::web_testing::router())
        .merge(crate::web_gates::router())
        .merge(crate::web_workforce::router())
        .merge(crate::web_needs::router())
        .merge(crate::web_oversight::router())
        .merge(crate::web_duplicates::router())
        .merge(crate::web_dashboard::router())
}

async fn healthz(State(state): State<AppState>) -> Response {
    // A database that is down makes the pool retry until its acquire timeout (5 s); a health
    // check answers sooner, so the balancer in front learns of it within its own probe's time.
    match tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], "ok").into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check failed");
            ApiError::Unavailable.into_response()
        }
        Err(_) => {
            tracing::error!("health check failed: the database did not answer within 2 s");
            ApiError::Unavailable.into_response()
        }
    }
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        include_str!("../static/cordon.css"),
    )
}

async fn gate_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        include_str!("../static/gate.js"),
    )
}

/// What every page knows: the language, its texts, the user.
pub struct Page {
    pub lang: Lang,
    pub t: &'static Texts,
    /// The texts of the case and contact pages.
    pub c: &'static crate::i18n::CaseTexts,
    /// The texts of the testing pages.
    pub x: &'static crate::i18n::TestTexts,
    /// The texts of the gate pages.
    pub g: &'static crate::i18n::GateTexts,
    /// The texts of the workforce pages.
    pub w: &'static crate::i18n::WorkTexts,
    /// The texts of the residents' needs pages.
    pub n: &'static crate::i18n::NeedTexts,
    /// The texts of the dashboard, briefing and export pages.
    pub d: &'static crate::i18n::DashTexts,
    pub user: Option<User>,
    /// The current path with the other language's switch.
    pub switch_href: String,
    /// The deployment's time zone, in which every time is shown.
    pub tz: chrono_tz::Tz,
    /// The session's CSRF token, which every form returns (empty before signing in).
    pub csrf: String,
}

impl Page {
    fn new(lang: Lang, user: Option<User>, path: &str) -> Self {
        Page {
            lang,
            t: lang.texts(),
            c: lang.case_texts(),
            x: lang.testing_texts(),
            g: lang.gate_texts(),
            w: lang.work_texts(),
            n: lang.need_texts(),
            d: lang.dash_texts(),
            user,
            switch_href: format!("{path}?lang={}", lang.other().code()),
            tz: chrono_tz::Asia::Shanghai,
            csrf: String::new(),
        }
    }

    pub fn level_name(&self, l: &AreaLevel) -> &'static str {
        match self.lang {
            Lang::Zh => l.name_zh(),
            Lang::En => l.name_en(),
        }
    }

    pub fn sex_name(&self, s: &Sex) -> &'static str {
        match s {
            Sex::Male => self.t.male,
            Sex::Female => self.t.female,
            Sex::Unknown => self.t.unknown,
        }
    }

    pub fn count(&self, n: &i64) -> String {
        self.lang.count(*n)
    }

    pub fn role_name(&self) -> &'static str {
        match (&self.user, self.lang) {
            (Some(u), Lang::Zh) => u.role.name_zh(),
            (Some(u), Lang::En) => u.role.name_en(),
            (None, _) => "",
        }
    }

    pub fn tag_label<'a>(&self, t: &'a api::TagView) -> &'a str {
        match self.lang {
            Lang::Zh => &t.label_zh,
            Lang::En => &t.label_en,
        }
    }
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// A signed-in user of a page; without one, a redirect to the login page that comes back here.
pub(crate) struct PageUser {
    pub(crate) page: Page,
    pub(crate) jar: CookieJar,
}

/// The page's language (see `Lang::detect`) and the cookie jar, with the language remembered
/// when it was chosen by `?lang=`.
struct PageLang {
    lang: Lang,
    jar: CookieJar,
}

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (lang, jar) = lang_of(parts);
        Ok(PageLang { lang, jar })
    }
}

fn lang_of(parts: &Parts) -> (Lang, CookieJar) {
    let jar = CookieJar::from_headers(&parts.headers);
    let query = Query::<LangQuery>::try_from_uri(&parts.uri).ok().and_then(|q| q.0.lang);
    let lang = Lang::detect(query.as_deref(), &jar, &parts.headers);
    let jar = if query.is_some() {
        jar.add(
            Cookie::build((Lang::COOKIE, lang.code()))
                .path("/")
                .same_site(axum_extra::extract::cookie::SameSite::Lax)
                .build(),
        )
    } else {
        jar
    };
    (lang, jar)
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (lang, jar) = lang_of(parts);
        match auth::session_user(parts, state).await {
            // Headquarters without its second factor is kept to the account page, to enrol one.
            Ok(Some(user))
                if crate::second_factor::must_enrol(state, &user)
                    && !parts.uri.path().starts_with("/account") =>
            {
                Err((jar, Redirect::to("/account/two-factor")).into_response())
            }
            Ok(Some(user)) => {
                let mut page = Page::new(lang, Some(user), parts.uri.path());
                page.tz = state.config.tz;
                page.csrf = crate::guard::token_of(&parts.headers).unwrap_or_default();
                Ok(PageUser { page, jar })
            }
            Ok(None) => {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let to = format!("/login?next={}", urlencode(next));
                Err((jar, Redirect::to(&to)).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Percent-encodes a value for a query string (keeping `/`, which a path may hold).
pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only a path on this site: never `//evil.example` or `https://…`.
pub(crate) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

pub(crate) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

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

async fn login_page(PageLang { lang, jar }: PageLang, Query(q): Query<LoginQuery>) -> Response {
    let page = Page::new(lang, None, "/login");
    let next = safe_next(q.next.as_deref()).to_owned();
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
    match auth::login(&state, &form.username, &form.password, form.code.as_deref(), from).await {
        Ok((token, _)) => {
            let jar = jar.add(auth::session_cookie(&state, token));
            (jar, Redirect::to(safe_next(form.next.as_deref()))).into_response()
        }
        Err(e @ (ApiError::BadLogin | ApiError::BadCode | ApiError::TwoFactorCode)) => {
            let page = Page::new(lang, None, "/login");
            let next = safe_next(form.next.as_deref()).to_owned();
            // Asked for the code: the form comes back with the code's field first.
            let (failed, code_asked) = match e {
                ApiError::TwoFactorCode => (false, true),
                ApiError::BadCode => (true, true),
                _ => (true, false),
            };
            let username = if code_asked { form.username.clone() } else { String::new() };
            let t = LoginTemplate { page, next, failed, code_asked, username };
            (StatusCode::UNAUTHORIZED, render(&t)).into_response()
        }
        Err(e @ ApiError::TooManyAttempts(_)) => {
            let page = Page::new(lang, None, "/login");
            (StatusCode::TOO_MANY_REQUESTS, jar, render(&ErrorTemplate { page, message: e.to_string() }))
                .into_response()
        }
        Err(e) => e.into_response(),
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
    setup: crate::second_factor::TwoFactorSetup,
    /// The otpauth link as a QR code (SVG), for the phone's camera.
    qr: String,
    refused: Option<String>,
}

fn two_factor_form(
    page: Page,
    jar: CookieJar,
    setup: crate::second_factor::TwoFactorSetup,
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
    match crate::second_factor::setup(&user) {
        Ok(setup) => two_factor_form(page, jar, setup, None),
        Err(ApiError::Conflict(_)) => (jar, Redirect::to("/account")).into_response(),
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
    let req = crate::second_factor::TwoFactorConfirm { secret: f.secret, code: f.code, password: f.password };
    match crate::second_factor::confirm(&state, &user, &req, from).await {
        Ok(()) => (jar, Redirect::to("/account")).into_response(),
        // Refused: the same secret again (the app holds it already), with the reason.
        Err(e @ (ApiError::Invalid { .. } | ApiError::TooManyAttempts(_))) => {
            let setup = match crate::second_factor::setup_again(&user, req.secret) {
                Ok(s) => s,
                Err(e) => return error_page(page, jar, e),
            };
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
    match auth::change_password(&state, &user, &f.current_password, &f.new_password, from).await {
        Ok(()) => (jar.add(auth::removal_cookie()), Redirect::to("/login")).into_response(),
        Err(e @ (ApiError::Invalid { .. } | ApiError::TooManyAttempts(_))) => {
            let status = e.status();
            (status, jar, render(&AccountTemplate { page, refused: Some(e.to_string()) })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

/// The dashboard for those who see it, the user's area for the rest.
async fn home(pu: PageUser) -> Response {
    let to = crate::web_dashboard::home_of(&pu.page);
    (pu.jar, Redirect::to(&to)).into_response()
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaTemplate {
    page: Page,
    detail: AreaDetail,
    /// Contacts under follow-up living here (the template of the case pages names them
    /// `contacts`).
    contacts: Vec<crate::cases::ContactView>,
    more_contacts: bool,
}

/// Contacts listed on an area's page; the rest are on the contacts page.
const AREA_CONTACTS: usize = 50;

async fn area_page(State(state): State<AppState>, pu: PageUser, Path(code): Path<String>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let found = async {
        let detail = api::area_detail(&state, user, &code).await?;
        // Contacts under follow-up who live here, for those who follow contacts up, from the
        // street down (where the teams that place them work).
        let contacts = if crate::cases::may_view(user) && detail.area.level >= AreaLevel::Street {
            let node =
                state.store.area(&user.scope_path, &detail.area.code).await?.ok_or(ApiError::NotFound)?;
            let query = cordon_store::ContactQuery {
                active_only: true,
                living_in: Some(node.area.path),
                limit: AREA_CONTACTS as u32 + 1,
                ..Default::default()
            };
            crate::cases::contacts(&state, user, &query, "GET /areas/{code}").await?
        } else {
            vec![]
        };
        Ok::<_, ApiError>((detail, contacts))
    }
    .await;
    match found {
        Ok((detail, mut contacts)) => {
            let more_contacts = contacts.len() > AREA_CONTACTS;
            contacts.truncate(AREA_CONTACTS);
            (jar, render(&AreaTemplate { page, detail, contacts, more_contacts })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTemplate {
    page: Page,
    q: String,
    result: Option<SearchResult>,
    problem: Option<String>,
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

async fn search_page(State(state): State<AppState>, pu: PageUser, Query(sq): Query<SearchQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let q = sq.q.unwrap_or_default();
    let (result, problem) = if q.trim().is_empty() {
        (None, None)
    } else {
        match api::search(&state, page.user.as_ref().expect("signed in"), &q, 50, "GET /people").await {
            Ok(r) => (Some(r), None),
            Err(ApiError::Invalid { message, .. }) => (None, Some(message)),
            Err(e) => return error_page(page, jar, e),
        }
    };
    (jar, render(&SearchTemplate { page, q, result, problem })).into_response()
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonTemplate {
    page: Page,
    person: PersonView,
}

impl PersonTemplate {
    fn p(&self) -> &PersonSummary {
        &self.person.summary
    }

    /// Whether the reader's role is shown this field at all (else the page says it is withheld,
    /// not that there is none).
    fn shown(&self, right: &str) -> bool {
        let right = cordon_domain::Right::parse(right).expect("a right named in the template");
        self.page.user.as_ref().is_some_and(|u| u.may(right))
    }
}

async fn person_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<String>) -> Response {
    let PageUser { page, jar } = pu;
    match api::person_view(&state, page.user.as_ref().expect("signed in"), &id, "GET /people/{id}").await {
        Ok(person) => (jar, render(&PersonTemplate { page, person })).into_response(),
        Err(ApiError::NotFound) => crate::web_oversight::not_in_areas(page, jar, &id),
        Err(ApiError::Merged(kept)) => (jar, Redirect::to(&format!("/people/{kept}"))).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    page: Page,
    message: String,
}

pub(crate) fn error_page(page: Page, jar: CookieJar, e: ApiError) -> Response {
    let status = e.status();
    let message = match &e {
        ApiError::NotFound => page.t.not_found.to_owned(),
        ApiError::Internal(_) => {
            tracing::error!(error = %e, "page failed");
            "500".to_owned()
        }
        other => other.to_string(),
    };
    (status, jar, render(&ErrorTemplate { page, message })).into_response()
}
