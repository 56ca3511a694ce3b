//! The web pages: rendered on the server (askama), nothing loaded from elsewhere, and no script
//! but the gate console's camera reader (a static file; typing does everything without it) and
//! the field pages' offline work: a service worker, the web app manifest, and the modules that
//! decide and queue on the phone (`static/`, each served from here, none fetched elsewhere).
//! Usable on a phone: one column, large targets.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use cordon_domain::{AreaLevel, Role, Sex};
use cordon_store::User;
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth;
use crate::http::error::ApiError;
use crate::web::i18n::{Lang, Texts};
use cordon_domain::Need;

pub mod field_words;
pub mod i18n;
pub mod map;
pub mod names;
pub mod picker;

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/healthz", Need::Open),
    RouteNeed::get("/static/cordon.css", Need::Open),
    RouteNeed::get("/static/gate.js", Need::Open),
    RouteNeed::get("/static/field.mjs", Need::Open),
    RouteNeed::get("/static/gate-rules.mjs", Need::Open),
    RouteNeed::get("/static/field-store.mjs", Need::Open),
    RouteNeed::get("/static/sweep-field.mjs", Need::Open),
    RouteNeed::get("/static/sample-field.mjs", Need::Open),
    RouteNeed::get("/static/code128.mjs", Need::Open),
    RouteNeed::get("/static/checks-field.mjs", Need::Open),
    RouteNeed::get("/static/icon.svg", Need::Open),
    RouteNeed::get("/static/vendor/jsQR.js", Need::Open),
    RouteNeed::get("/sw.js", Need::Open),
    RouteNeed::get("/manifest.webmanifest", Need::Open),
];

/// The layout's own routes: the health check and the static files. Every
/// capability brings its pages (`lib.rs` merges them).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/static/cordon.css", get(css))
        .route("/static/gate.js", get(|| async { file(JS, GATE_JS) }))
        .route("/static/field.mjs", get(|| async { file(JS, FIELD_JS) }))
        .route("/static/gate-rules.mjs", get(|| async { file(JS, RULES_JS) }))
        .route("/static/field-store.mjs", get(|| async { file(JS, STORE_JS) }))
        .route("/static/sweep-field.mjs", get(|| async { file(JS, SWEEP_JS) }))
        .route("/static/sample-field.mjs", get(|| async { file(JS, SAMPLE_JS) }))
        .route("/static/code128.mjs", get(|| async { file(JS, CODE128_JS) }))
        .route("/static/checks-field.mjs", get(|| async { file(JS, CHECKS_JS) }))
        .route("/static/icon.svg", get(|| async { file("image/svg+xml", ICON) }))
        .route("/static/vendor/jsQR.js", get(|| async { file(JS, JSQR) }))
        .route("/manifest.webmanifest", get(|| async { file("application/manifest+json", MANIFEST) }))
        .route("/sw.js", get(service_worker))
}

const JS: &str = "text/javascript; charset=utf-8";
const GATE_JS: &str = include_str!("../../static/gate.js");
const FIELD_JS: &str = include_str!("../../static/field.mjs");
const RULES_JS: &str = include_str!("../../static/gate-rules.mjs");
const STORE_JS: &str = include_str!("../../static/field-store.mjs");
const SWEEP_JS: &str = include_str!("../../static/sweep-field.mjs");
const SAMPLE_JS: &str = include_str!("../../static/sample-field.mjs");
const CHECKS_JS: &str = include_str!("../../static/checks-field.mjs");
/// The tube barcodes' reader (Code 128) for phones whose browser has none.
const CODE128_JS: &str = include_str!("../../static/code128.mjs");
const SW_JS: &str = include_str!("../../static/sw.js");
const ICON: &str = include_str!("../../static/icon.svg");
/// The QR decoder shipped for phones whose browser has none (vendored, Apache-2.0).
const JSQR: &str = include_str!("../../static/vendor/jsQR.js");
const MANIFEST: &str = r##"{
  "name": "Cordon 防控",
  "short_name": "Cordon",
  "description": "卡口、采样与入户：断网也能用 · Gates, sampling and door-to-door, offline too",
  "start_url": "/gates",
  "scope": "/",
  "display": "standalone",
  "background_color": "#ffffff",
  "theme_color": "#b3261e",
  "icons": [{ "src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any" }]
}
"##;

/// A static file: kept an hour by the browser (the service worker keeps the field's own).
fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=3600")], body)
}

/// The service worker, named by a hash of the files it keeps: a server with new files makes
/// phones fetch them again. Never kept by the browser's cache: it checks for a new one.
async fn service_worker() -> impl IntoResponse {
    static BODY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = BODY.get_or_init(|| {
        let files = [
            CSS, GATE_JS, FIELD_JS, RULES_JS, STORE_JS, SWEEP_JS, SAMPLE_JS, CHECKS_JS, CODE128_JS, ICON,
            MANIFEST, JSQR,
        ]
        .concat();
        let version = &crate::http::auth::sha256_hex(files.as_bytes())[..12];
        SW_JS.replace("__VERSION__", version)
    });
    ([(header::CONTENT_TYPE, JS), (header::CACHE_CONTROL, "no-cache")], body.as_str())
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

const CSS: &str = include_str!("../../static/cordon.css");

async fn css() -> impl IntoResponse {
    file("text/css; charset=utf-8", CSS)
}

/// What every page knows: the language, its texts, the user.
pub struct Page {
    pub lang: Lang,
    pub t: &'static Texts,
    pub user: Option<User>,
    /// The current path with the other language's switch.
    pub switch_href: String,
    /// The deployment's time zone, in which every time is shown.
    pub tz: chrono_tz::Tz,
    /// The session's CSRF token, which every form returns (empty before signing in).
    pub csrf: String,
    /// The user's unread messages, counted in the top bar.
    pub unread: i64,
    /// The display names of the users the page shows as having done something (`who`).
    pub names: names::Names,
}

impl Page {
    pub(crate) fn new(lang: Lang, user: Option<User>, path: &str) -> Self {
        Page {
            lang,
            t: lang.texts(),
            user,
            switch_href: format!("{path}?lang={}", lang.other().code()),
            tz: chrono_tz::Asia::Shanghai,
            csrf: String::new(),
            unread: 0,
            names: names::Names::default(),
        }
    }

    /// Who did something, by name (the usernames read beforehand into `names`).
    pub fn who(&self, username: &str) -> String {
        self.names.who(self, username)
    }

    /// Reads the display names of the usernames the page will show, in one query.
    pub async fn know<'a>(&mut self, state: &AppState, usernames: impl IntoIterator<Item = &'a str>) {
        self.names = names::Names::of(state, usernames).await;
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

    /// A role's name in the page's language.
    pub fn role_label(&self, r: &Role) -> &'static str {
        match self.lang {
            Lang::Zh => r.name_zh(),
            Lang::En => r.name_en(),
        }
    }

    /// The top bar's unread count: "99+" past what the store counts.
    pub fn unread_label(&self) -> String {
        if self.unread >= cordon_store::UNREAD_COUNTED { "99+".to_owned() } else { self.unread.to_string() }
    }

    /// The signed-in user's role, named.
    pub fn role_name(&self) -> &'static str {
        self.user.as_ref().map_or("", |u| self.role_label(&u.role))
    }

    /// Whether the menu's link to `href` is one of the role's own tasks — three at most, so that
    /// with the inbox and 更多 they fit one line of a 390 px phone: those come first and stay on
    /// the phone's top bar; the rest of the menu folds behind one button.
    pub fn is_task(&self, href: &str) -> bool {
        let Some(u) = &self.user else { return false };
        let tasks: &[&str] = match u.role {
            Role::Headquarters => &["/dashboard", "/zones", "/proposals"],
            Role::District => &["/zones", "/proposals", "/coverage"],
            Role::Street => &["/zones", "/coverage", "/needs"],
            Role::CommunityWorker => &["/needs", "/people", "/announcements"],
            Role::Cadre => &["/gates", "/needs", "/people"],
            Role::Sampler => &["/rounds", "/people"],
            Role::Lab => &["/rounds"],
            Role::Epidemiologist => &["/cases", "/contacts", "/people"],
        };
        tasks.contains(&href)
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
pub(crate) struct PageLang {
    pub(crate) lang: Lang,
    pub(crate) jar: CookieJar,
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
        match auth::resolved_user(parts, state).await {
            // Headquarters without its second factor is kept to the account page, to enrol one.
            Ok(Some(user))
                if crate::http::auth::must_enrol(state, &user)
                    && !parts.uri.path().starts_with("/account") =>
            {
                Err((jar, Redirect::to("/account/two-factor")).into_response())
            }
            Ok(Some(user)) => {
                let mut page = user_page(parts, state, lang, user);
                // The top bar's count: one read of a partial index holding only the unread. A
                // page is still served when it fails.
                let username = page.user.as_ref().map(|u| u.username.clone()).unwrap_or_default();
                match state.store.unread_messages(&username).await {
                    Ok(n) => page.unread = n,
                    Err(e) => tracing::warn!(error = %e, "counting unread messages failed"),
                }
                Ok(PageUser { page, jar })
            }
            Ok(None) => Err((jar, sign_in_redirect(parts)).into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A page of `user`'s, in `lang`, for the request of `parts`.
fn user_page(parts: &Parts, state: &AppState, lang: Lang, user: User) -> Page {
    let mut page = Page::new(lang, Some(user), parts.uri.path());
    page.tz = state.config.tz;
    page.csrf = crate::http::guard::token_of(&parts.headers).unwrap_or_default();
    page
}

/// To the sign-in page, coming back to this one after.
pub(crate) fn sign_in_redirect(parts: &Parts) -> Redirect {
    let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    Redirect::to(&format!("/login?next={}", urlencode(next)))
}

/// The page that refuses `user` a page: the layout with the reason, in the page's language.
pub(crate) fn refusal_page(parts: &Parts, state: &AppState, user: User, e: impl Into<ApiError>) -> Response {
    let (lang, jar) = lang_of(parts);
    error_page(user_page(parts, state, lang, user), jar, e)
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

/// Where a `next` or `back` parameter may lead: a path on this site, else `/`. Parsed, not
/// pattern-matched: an absolute path (`/` then not `/`), with no control, space, format
/// (right-to-left override) or backslash character anywhere — browsers drop tabs and newlines
/// and read `\\` as `/`, so `/<TAB>/evil.example` would leave the site — and every other
/// character percent-encoded, so the answer's `Location` header is always valid.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    next.and_then(local_path).unwrap_or_else(|| "/".to_owned())
}

fn local_path(n: &str) -> Option<String> {
    let mut out = String::with_capacity(n.len());
    for c in n.chars() {
        if cordon_domain::format::hidden_char(c) || c.is_whitespace() || c == '\\' {
            return None;
        }
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let rest = out.strip_prefix('/')?;
    if rest.starts_with('/') {
        return None;
    }
    out.parse::<axum::http::uri::PathAndQuery>().ok()?;
    Some(out)
}

pub(crate) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorTemplate {
    pub(crate) page: Page,
    pub(crate) message: String,
}

/// The error page for any capability's refusal, worded as the API words it.
pub(crate) fn error_page(page: Page, jar: CookieJar, e: impl Into<ApiError>) -> Response {
    let e: ApiError = e.into();
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

// ---- forms, for every capability ----

/// A `datetime-local` field, read in the deployment's time zone; empty: now.
pub(crate) fn local_time(s: &str, state: &AppState) -> Result<Option<DateTime<Utc>>, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ApiError::invalid("at", "expected a date and time such as 2022-03-03T14:30"))?;
    let t = state
        .config
        .tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| ApiError::invalid("at", "that time does not exist in the local time zone"))?;
    Ok(Some(t.with_timezone(&Utc)))
}

/// Where a form leads: on to the page it names, or the error page, the server still serving.
pub(crate) fn back(
    page: Page,
    jar: axum_extra::extract::cookie::CookieJar,
    r: Result<String, ApiError>,
) -> Response {
    match r {
        Ok(to) => (jar, Redirect::to(&to)).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for (given, led) in [
            ("/zones/3?tier=sealed", "/zones/3?tier=sealed"),
            ("/people?q=王", "/people?q=%E7%8E%8B"),
            ("/\t/evil.example/x", "/"),
            ("/\n/evil.example", "/"),
            ("/\nX", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example", "/"),
            ("evil.example", "/"),
            ("/\u{202e}gpj.exe", "/"),
            ("", "/"),
        ] {
            assert_eq!(safe_next(Some(given)), led, "{given:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_next_is_a_local_header_value(s in "\\PC*|[/\\\\\t\n ]{0,3}[a-z./\\\\]{0,8}") {
            let led = safe_next(Some(&s));
            proptest::prop_assert!(led.starts_with('/') && !led.starts_with("//"), "{led:?}");
            proptest::prop_assert!(led.bytes().all(|b| b.is_ascii_graphic()), "{led:?}");
            proptest::prop_assert!(axum::http::HeaderValue::from_str(&led).is_ok());
        }
    }
}
