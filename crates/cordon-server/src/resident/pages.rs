//! The resident's pages (居民端), mobile first: signing in with a code sent to the phone, the
//! household's page, a request from home, signing out. They call the same service as the API.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Utc};
use cordon_domain::needs::{NeedCategory, NeedStatus};
use serde::Deserialize;

use super::words::{ResidentTexts, texts};
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::{ClientAddr, CurrentResident};
use crate::http::error::ApiError;
use crate::http::guard::token_of;
use crate::resident::{self, HomeRequest, HouseholdView, ResidentError};
use crate::web::i18n::Lang;
use cordon_domain::Need;

pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/home", Need::Resident),
    RouteNeed::post("/home/requests", Need::Resident),
    RouteNeed::post("/home/sign-out", Need::Resident),
    RouteNeed::get("/home/sign-in", Need::Open),
    RouteNeed::post("/home/sign-in", Need::Open),
    RouteNeed::post("/home/code", Need::Open),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/home", get(home_page))
        .route("/home/requests", post(request_submit))
        .route("/home/sign-out", post(sign_out_submit))
        .route("/home/sign-in", get(sign_in_page).post(sign_in_submit))
        .route("/home/code", post(code_submit))
}

/// What every resident page shows around its content.
struct Frame {
    t: &'static ResidentTexts,
    lang: &'static str,
    switch_href: String,
    csrf: String,
}

fn frame(lang: Lang, path: &str, headers: &HeaderMap) -> Frame {
    Frame {
        t: texts(lang),
        lang: lang.html_lang(),
        switch_href: format!("{path}?lang={}", lang.other().code()),
        csrf: token_of(headers).unwrap_or_default(),
    }
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// The page's language: asked for, else kept, else Chinese (an English browser gets English).
fn lang_of(q: &LangQuery, jar: CookieJar, headers: &HeaderMap) -> (Lang, CookieJar) {
    let lang = Lang::detect(q.lang.as_deref(), &jar, headers);
    let jar = if q.lang.is_some() {
        jar.add(Cookie::build((Lang::COOKIE, lang.code())).path("/").same_site(SameSite::Lax).build())
    } else {
        jar
    };
    (lang, jar)
}

fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::Internal(e.to_string()).into_response(),
    }
}

#[derive(Template)]
#[template(path = "resident_sign_in.html")]
struct SignInTemplate {
    f: Frame,
    phone: String,
    /// A code was asked: the form asks for it.
    asked: bool,
    /// The phone asked too often: when it may again.
    wait_until: Option<String>,
    error: Option<String>,
}

async fn sign_in_page(Query(q): Query<LangQuery>, jar: CookieJar, headers: HeaderMap) -> Response {
    let (lang, jar) = lang_of(&q, jar, &headers);
    let t = SignInTemplate {
        f: frame(lang, resident::SIGN_IN_PAGE, &headers),
        phone: String::new(),
        asked: false,
        wait_until: None,
        error: None,
    };
    (jar, render(&t)).into_response()
}

#[derive(Deserialize)]
struct CodeForm {
    phone: String,
}

async fn code_submit(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let lang = Lang::detect(None, &jar, &headers);
    let f = frame(lang, resident::SIGN_IN_PAGE, &headers);
    let time = |t: DateTime<Utc>| t.with_timezone(&state.config.tz).format("%H:%M:%S").to_string();
    let (status, asked, wait_until, error) =
        match resident::ask_code(&state, &form.phone, from, state.now()).await {
            Ok(reply) if reply.status == "wait" => {
                (StatusCode::OK, false, Some(time(reply.next_code_after)), None)
            }
            Ok(_) => (StatusCode::OK, true, None, None),
            Err(e) => {
                let e = ApiError::from(e);
                (e.status(), false, None, Some(e.to_string()))
            }
        };
    let t = SignInTemplate { f, phone: form.phone.trim().to_owned(), asked, wait_until, error };
    (status, render(&t)).into_response()
}

#[derive(Deserialize)]
struct SignInForm {
    phone: String,
    code: String,
}

async fn sign_in_submit(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    match resident::sign_in(&state, &form.phone, &form.code, from, state.now()).await {
        Ok((token, _)) => {
            let cookie = Cookie::build((resident::COOKIE, token))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.config.secure_cookies)
                .build();
            (jar.add(cookie), Redirect::to("/home")).into_response()
        }
        Err(e) => {
            let lang = Lang::detect(None, &jar, &headers);
            let t = texts(lang);
            let message = match e {
                ResidentError::BadCode => t.bad_code.to_owned(),
                e => ApiError::from(e).to_string(),
            };
            let page = SignInTemplate {
                f: frame(lang, resident::SIGN_IN_PAGE, &headers),
                phone: form.phone.trim().to_owned(),
                asked: true,
                wait_until: None,
                error: Some(message),
            };
            (StatusCode::UNAUTHORIZED, render(&page)).into_response()
        }
    }
}

/// One row of the household's page, worded.
struct RequestRow {
    category: &'static str,
    description: String,
    status: &'static str,
    resolved: bool,
    due: Option<String>,
    created_at: String,
}

#[derive(Template)]
#[template(path = "resident_home.html")]
struct HomeTemplate {
    f: Frame,
    zh: bool,
    home: HouseholdView,
    requests: Vec<RequestRow>,
    categories: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    tz: chrono_tz::Tz,
}

impl HomeTemplate {
    fn time(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%m-%d %H:%M").to_string()
    }

    fn result_word(&self, r: &cordon_domain::TubeResult) -> &'static str {
        match (self.zh, r.as_str()) {
            (true, "negative") => "阴性",
            (true, "positive") => "阳性",
            (true, _) => "无效，需重采",
            (false, "negative") => "negative",
            (false, "positive") => "positive",
            (false, _) => "invalid: to be sampled again",
        }
    }
}

async fn home_of(
    state: &AppState,
    s: &cordon_store::ResidentSession,
    lang: Lang,
    headers: &HeaderMap,
    error: Option<String>,
) -> Result<HomeTemplate, ApiError> {
    let home = resident::household(state, s, state.now()).await?;
    let zh = lang == Lang::Zh;
    let tz = state.config.tz;
    let fmt = |t: DateTime<Utc>| t.with_timezone(&tz).format("%m-%d %H:%M").to_string();
    let t = texts(lang);
    let requests = home
        .requests
        .iter()
        .map(|n| RequestRow {
            category: if zh { n.category.name_zh() } else { n.category.name_en() },
            description: n.description.clone(),
            status: match n.status {
                NeedStatus::Open => t.status_open,
                NeedStatus::Acknowledged => t.status_acknowledged,
                NeedStatus::Resolved => t.status_resolved,
            },
            resolved: n.status == NeedStatus::Resolved,
            due: n.due.map(fmt),
            created_at: fmt(n.created_at),
        })
        .collect();
    // What a resident may ask for from home: the needs' categories but the day's planned check.
    let categories = NeedCategory::ALL
        .iter()
        .filter(|c| **c != NeedCategory::DailyCheck)
        .map(|c| (c.as_str(), if zh { c.name_zh() } else { c.name_en() }))
        .collect();
    Ok(HomeTemplate { f: frame(lang, "/home", headers), zh, home, requests, categories, error, tz })
}

async fn home_page(
    State(state): State<AppState>,
    CurrentResident(s): CurrentResident,
    Query(q): Query<LangQuery>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let (lang, jar) = lang_of(&q, jar, &headers);
    match home_of(&state, &s, lang, &headers, None).await {
        Ok(t) => (jar, render(&t)).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct RequestForm {
    category: String,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    emergency: Option<String>,
    #[serde(default)]
    contact_phone: String,
    description: String,
}

async fn request_submit(
    State(state): State<AppState>,
    CurrentResident(s): CurrentResident,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<RequestForm>,
) -> Response {
    let given = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let req = HomeRequest {
        category: form.category,
        person_id: given(form.person_id),
        emergency: form.emergency.is_some(),
        contact_phone: given(form.contact_phone),
        description: form.description,
    };
    match resident::raise(&state, &s, req, state.now()).await {
        Ok(_) => Redirect::to("/home#requests").into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            let lang = Lang::detect(None, &jar, &headers);
            match home_of(&state, &s, lang, &headers, Some(e.to_string())).await {
                Ok(t) => (e.status(), render(&t)).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

async fn sign_out_submit(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap) -> Response {
    if let Some(token) = crate::http::auth::cookie(&headers, resident::COOKIE)
        && let Err(e) = resident::sign_out(&state, &token).await
    {
        return ApiError::from(e).into_response();
    }
    let gone = Cookie::build((resident::COOKIE, "")).path("/").removal().build();
    (jar.add(gone), Redirect::to(resident::SIGN_IN_PAGE)).into_response()
}
