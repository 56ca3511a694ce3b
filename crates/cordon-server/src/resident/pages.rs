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

use super::words::{PhoneTexts, ResidentTexts, phone_texts, texts};
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::auth::{ClientAddr, CurrentResident};
use crate::http::error::ApiError;
use crate::http::guard::token_of;
use crate::resident::{self, HomeRequest, HouseholdPhoneView, HouseholdView, ResidentError};
use crate::web::i18n::Lang;
use crate::web::{Page, PageUser};
use cordon_domain::{Need, Right};

pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/home", Need::Resident),
    RouteNeed::post("/home/requests", Need::Resident),
    RouteNeed::post("/home/sign-out", Need::Resident),
    RouteNeed::get("/home/sign-in", Need::Open),
    RouteNeed::post("/home/sign-in", Need::Open),
    RouteNeed::post("/home/code", Need::Open),
    RouteNeed::get("/households/{code}/phones", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::post("/households/{code}/phones", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::post("/households/{code}/phones/{id}/remove", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::post("/households/{code}/sessions/revoke", Need::AnyOf(&[Right::HandleNeeds])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/home", get(home_page))
        .route("/home/requests", post(request_submit))
        .route("/home/sign-out", post(sign_out_submit))
        .route("/home/sign-in", get(sign_in_page).post(sign_in_submit))
        .route("/home/code", post(code_submit))
        .route("/households/{code}/phones", get(phones_page).post(phone_submit))
        .route("/households/{code}/phones/{id}/remove", post(phone_remove))
        .route("/households/{code}/sessions/revoke", post(sessions_revoke))
}

// ---- the staff's side: the phones a household is reached by ----

impl Page {
    pub fn can_reach_households(&self) -> bool {
        self.user.as_ref().is_some_and(resident::phones::may_manage)
    }
}

#[derive(Template)]
#[template(path = "household_phones.html")]
struct PhonesTemplate {
    page: Page,
    w: &'static PhoneTexts,
    code: String,
    phones: Vec<HouseholdPhoneView>,
    error: Option<String>,
    /// What the last action did, in words.
    done: Option<String>,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn phones_view(
    state: &AppState,
    mut page: Page,
    code: String,
    error: Option<String>,
    done: Option<String>,
) -> Result<PhonesTemplate, ApiError> {
    let user = page.user.clone().ok_or(ApiError::Unauthorized)?;
    let phones = resident::phones::list(state, &user, &code).await?;
    let by: Vec<String> = phones.iter().map(|p| p.added_by.clone()).collect();
    page.know(state, by.iter().map(String::as_str)).await;
    Ok(PhonesTemplate { w: phone_texts(page.lang), page, code, phones, error, done })
}

async fn phones_page(
    State(state): State<AppState>,
    PageUser { page, jar }: PageUser,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let w = phone_texts(page.lang);
    let done = match q.done.as_deref() {
        Some("added") => Some(w.added.to_owned()),
        Some("removed") => Some(w.removed.to_owned()),
        Some(n) if n.starts_with("revoked-") => Some(format!("{} {}", w.revoked, &n["revoked-".len()..])),
        _ => None,
    };
    let lang = page.lang;
    let again = Page::new(lang, page.user.clone(), "");
    match phones_view(&state, page, code, None, done).await {
        Ok(t) => (jar, crate::web::render(&t)).into_response(),
        Err(e) => crate::web::error_page(again, jar, e),
    }
}

/// Back to the household's phones, saying what was done.
fn back_to_phones(code: &str, done: &str) -> Response {
    Redirect::to(&format!("/households/{}/phones?done={done}", crate::web::urlencode(code))).into_response()
}

#[derive(Deserialize)]
struct PhoneForm {
    phone: String,
    relation: String,
    reason: String,
}

async fn phone_submit(
    State(state): State<AppState>,
    PageUser { page, jar }: PageUser,
    axum::extract::Path(code): axum::extract::Path<String>,
    Form(f): Form<PhoneForm>,
) -> Response {
    let Some(user) = page.user.clone() else { return Redirect::to("/login").into_response() };
    let req = resident::HouseholdPhoneRequest { phone: f.phone, relation: f.relation, reason: f.reason };
    match resident::phones::add(&state, &user, &code, req, state.now()).await {
        Ok(_) => back_to_phones(&code, "added"),
        Err(e) => {
            // The form again, with the reason it was refused.
            let why = ApiError::from(e).to_string();
            let lang = page.lang;
            let again = Page::new(lang, page.user.clone(), "");
            match phones_view(&state, page, code, Some(why), None).await {
                Ok(t) => (StatusCode::UNPROCESSABLE_ENTITY, jar, crate::web::render(&t)).into_response(),
                Err(e) => crate::web::error_page(again, jar, e),
            }
        }
    }
}

async fn phone_remove(
    State(state): State<AppState>,
    PageUser { page, jar }: PageUser,
    axum::extract::Path((code, id)): axum::extract::Path<(String, i64)>,
) -> Response {
    let Some(user) = page.user.clone() else { return Redirect::to("/login").into_response() };
    match resident::phones::remove(&state, &user, &code, id, state.now()).await {
        Ok(_) => back_to_phones(&code, "removed"),
        Err(e) => crate::web::error_page(page, jar, e),
    }
}

async fn sessions_revoke(
    State(state): State<AppState>,
    PageUser { page, jar }: PageUser,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Response {
    let Some(user) = page.user.clone() else { return Redirect::to("/login").into_response() };
    match resident::revoke_sessions(&state, &user, &code, state.now()).await {
        Ok(n) => back_to_phones(&code, &format!("revoked-{n}")),
        Err(e) => crate::web::error_page(page, jar, e),
    }
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

/// The sign-in forms' frame: their token is the sign-in cookie's (login CSRF), set here when
/// the browser has none; a session's token would not do, as there is none yet.
fn sign_in_frame(state: &AppState, lang: Lang, jar: CookieJar, headers: &HeaderMap) -> (Frame, CookieJar) {
    use crate::http::guard::{RESIDENT_LOGIN_COOKIE, csrf_token};
    let value = jar
        .get(RESIDENT_LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(crate::http::auth::new_token);
    let cookie = Cookie::build((RESIDENT_LOGIN_COOKIE, value.clone()))
        .path("/home")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies)
        .build();
    let mut f = frame(lang, resident::SIGN_IN_PAGE, headers);
    f.csrf = csrf_token(&value);
    (f, jar.add(cookie))
}

async fn sign_in_page(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let (lang, jar) = lang_of(&q, jar, &headers);
    let (f, jar) = sign_in_frame(&state, lang, jar, &headers);
    let t = SignInTemplate { f, phone: String::new(), asked: false, wait_until: None, error: None };
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
    let (f, jar) = sign_in_frame(&state, lang, jar, &headers);
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
    (status, jar, render(&t)).into_response()
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
            let (f, jar) = sign_in_frame(&state, lang, jar, &headers);
            let page = SignInTemplate {
                f,
                phone: form.phone.trim().to_owned(),
                asked: true,
                wait_until: None,
                error: Some(message),
            };
            (StatusCode::UNAUTHORIZED, jar, render(&page)).into_response()
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
    /// Its timeline after it was filed, worded: 12-06 09:20 已受理.
    steps: Vec<String>,
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
    /// Each pass's QR code (SVG), in the order of `home.passes`.
    qrs: Vec<String>,
}

impl HomeTemplate {
    fn time(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%m-%d %H:%M").to_string()
    }

    fn level_word(&self, l: &cordon_domain::AreaLevel) -> &'static str {
        if self.zh { l.name_zh() } else { l.name_en() }
    }

    fn qr(&self, i: &usize) -> &str {
        self.qrs.get(*i).map_or("", String::as_str)
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

/// A step of a request, as its household reads it.
fn step_word(zh: bool, step: &str) -> &'static str {
    match (zh, step) {
        (true, "acknowledged") => "已受理",
        (true, "assigned") => "已派人处理",
        (true, "escalated") => "超时未受理，已上报",
        (true, "pass_issued") => "已开具通行证",
        (true, "decided") => "已作出决定",
        (true, "resolved") => "已办结",
        (true, "reopened") => "重新办理",
        (true, _) => "已提交",
        (false, "acknowledged") => "acknowledged",
        (false, "assigned") => "someone sent",
        (false, "escalated") => "not answered in time: escalated",
        (false, "pass_issued") => "pass issued",
        (false, "decided") => "decided",
        (false, "resolved") => "done",
        (false, "reopened") => "reopened",
        (false, _) => "filed",
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
    // The timelines of the newest requests (a household files a handful; the page stays quick).
    let mut steps = std::collections::HashMap::new();
    for n in home.requests.iter().take(20) {
        let worded: Vec<String> = resident::steps_of_own(state, n)
            .await?
            .into_iter()
            .filter(|st| st.step != "created")
            .map(|st| format!("{} {}", fmt(st.at), step_word(zh, st.step)))
            .collect();
        steps.insert(n.id, worded);
    }
    let requests = home
        .requests
        .iter()
        .map(|n| RequestRow {
            steps: steps.remove(&n.id).unwrap_or_default(),
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
    let qrs = home.passes.iter().map(|p| crate::gates::qr_svg(&p.token)).collect::<Result<_, _>>()?;
    Ok(HomeTemplate { f: frame(lang, "/home", headers), zh, home, requests, categories, error, tz, qrs })
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
