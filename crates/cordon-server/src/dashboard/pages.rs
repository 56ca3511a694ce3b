//! The command dashboard page (figures that link to the lists behind them, the charts, the areas
//! inside to drill into), the daily briefing's pages (drafts, review and publication, the
//! print-ready page and its Markdown), and the exports page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use cordon_domain::briefing::Lang as BriefLang;
use cordon_store::AreaNode;
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::dashboard::briefing::{self, BriefingView, Draft, PublishRequest};
use crate::dashboard::{self, Dashboard, charts};
use crate::http::error::ApiError;
use crate::web::i18n::Lang;
use crate::web::{Page, PageUser, error_page, render};
use cordon_domain::{Need, Right};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/", Need::SignedIn),
    RouteNeed::get("/dashboard", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::get("/briefings", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::post("/briefings", Need::AnyOf(&[Right::Publish])),
    RouteNeed::get("/briefings/draft", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::get("/briefings/{id}", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::get("/briefings/{id}/markdown", Need::AnyOf(&[Right::ViewDashboard])),
    RouteNeed::get("/exports", Need::AnyOf(&[Right::Export])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/dashboard", get(dashboard_page))
        .route("/briefings", get(briefings_page).post(publish_submit))
        .route("/briefings/draft", get(draft_page))
        .route("/briefings/{id}", get(briefing_page))
        .route("/briefings/{id}/markdown", get(briefing_markdown))
        .route("/exports", get(exports_page))
}

impl Page {
    /// A round's name in the page's language, where it has one in English.
    pub fn progress_name<'a>(&self, r: &'a cordon_domain::briefing::RoundProgress) -> &'a str {
        if self.lang == crate::web::i18n::Lang::En { r.name_in_english() } else { &r.name }
    }

    pub fn can_view_dashboard(&self) -> bool {
        self.user.as_ref().is_some_and(dashboard::may_view)
    }

    pub fn can_publish(&self) -> bool {
        self.user.as_ref().is_some_and(dashboard::may_publish)
    }

    pub fn can_export(&self) -> bool {
        self.user.as_ref().is_some_and(crate::dashboard::exports::may_export)
    }

    /// Milliseconds, whole.
    pub fn ms(&self, v: &f64) -> String {
        format!("{v:.0}")
    }

    pub fn pct(&self, v: &f64) -> String {
        format!("{v:.1}%")
    }

    pub fn brief_lang(&self) -> BriefLang {
        match self.lang {
            Lang::Zh => BriefLang::Zh,
            Lang::En => BriefLang::En,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardTemplate {
    page: Page,
    d: std::sync::Arc<Dashboard>,
    children: Vec<AreaNode>,
    today: String,
    chart_positives: String,
    chart_control: String,
    chart_needs: String,
    chart_rounds: String,
    chart_gates: String,
}

#[derive(Deserialize)]
struct AreaParams {
    area: Option<String>,
    fresh: Option<String>,
}

async fn dashboard_page(
    State(state): State<AppState>,
    pu: PageUser,
    Query(q): Query<AreaParams>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let fresh = q.fresh.is_some();
    let found = async {
        let d = dashboard::dashboard(&state, user, q.area.as_deref(), fresh).await?;
        let mut children = state.store.children(&user.scope_path, &d.area.code).await?;
        children.retain(|c| c.area.level < cordon_domain::AreaLevel::Household);
        Ok::<_, ApiError>((d, children))
    }
    .await;
    match found {
        Ok((d, children)) => {
            let today = d.today.day.to_string();
            let t = DashboardTemplate {
                chart_positives: charts::positives(&d.days),
                chart_control: charts::under_control(&d.days),
                chart_needs: charts::needs(&d.days),
                chart_rounds: charts::rounds(&d.rounds),
                chart_gates: charts::gates(&d.days),
                page,
                d,
                children,
                today,
            };
            (jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "briefings.html")]
struct BriefingsTemplate {
    page: Page,
    list: Vec<BriefingView>,
    today: String,
    scope: String,
}

async fn briefings_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match briefing::list(&state, user, 200).await {
        Ok(list) => {
            let today = state.now().with_timezone(&state.config.tz).date_naive().to_string();
            let scope = user.scope.to_string();
            let mut page = page;
            page.know(&state, list.iter().map(|b| b.published_by.as_str())).await;
            (jar, render(&BriefingsTemplate { page, list, today, scope })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "briefing_draft.html")]
struct DraftTemplate {
    page: Page,
    draft: Draft,
    date: String,
    area: String,
    html_zh: String,
    html_en: String,
}

#[derive(Deserialize)]
struct DraftParams {
    date: Option<String>,
    area: Option<String>,
}

async fn draft_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<DraftParams>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let now = state.now();
    let found = async {
        let day = match q.date.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => briefing::parse_date(d)?,
            None => now.with_timezone(&state.config.tz).date_naive(),
        };
        briefing::draft(&state, user, q.area.as_deref(), day, now).await
    }
    .await;
    match found {
        Ok(draft) => {
            let t = DraftTemplate {
                date: draft.figures.day.to_string(),
                area: draft.figures.area_code.clone(),
                html_zh: briefing::to_html(&draft.text_zh),
                html_en: briefing::to_html(&draft.text_en),
                page,
                draft,
            };
            (jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct PublishForm {
    date: String,
    area: Option<String>,
    text_zh: Option<String>,
    text_en: Option<String>,
}

async fn publish_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<PublishForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let req = PublishRequest { date: f.date, area: f.area, text_zh: f.text_zh, text_en: f.text_en };
    match briefing::publish(&state, user, req, state.now()).await {
        Ok(b) => (jar, Redirect::to(&format!("/briefings/{}", b.id))).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "briefing.html")]
struct BriefingTemplate {
    page: Page,
    b: BriefingView,
    html_zh: String,
    html_en: String,
    css: &'static str,
    figures: String,
}

async fn briefing_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match briefing::get(&state, user, id).await {
        Ok(b) => {
            let mut page = page;
            page.know(&state, [b.published_by.as_str()]).await;
            let t = BriefingTemplate {
                html_zh: briefing::to_html(&b.text_zh),
                html_en: briefing::to_html(&b.text_en),
                figures: serde_json::to_string_pretty(&b.figures).unwrap_or_default(),
                css: briefing::PRINT_CSS,
                page,
                b,
            };
            (jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct MarkdownParams {
    lang: Option<String>,
}

async fn briefing_markdown(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<MarkdownParams>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let lang = match q.lang.as_deref().map(BriefLang::parse) {
        None => page.brief_lang(),
        Some(Some(l)) => l,
        Some(None) => {
            let e = ApiError::Invalid { field: "lang".into(), message: "zh or en".into() };
            return error_page(page, jar, e);
        }
    };
    match briefing::get(&state, user, id).await {
        Ok(b) => {
            let name = format!(
                "attachment; filename=\"briefing-{}-{}-r{}-{}.md\"",
                b.area_code,
                b.day,
                b.revision,
                if lang == BriefLang::Zh { "zh" } else { "en" }
            );
            let headers = [
                (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, name),
            ];
            (jar, headers, b.text(lang).to_owned()).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsTemplate {
    page: Page,
    area: String,
    lists: Vec<(&'static str, &'static str)>,
}

async fn exports_page(pu: PageUser, Query(q): Query<AreaParams>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    if !crate::dashboard::exports::may_export(user) {
        let e = ApiError::Forbidden("exports are for the offices".into());
        return error_page(page, jar, e);
    }
    let area = q.area.unwrap_or_else(|| user.scope.to_string());
    let d = page.d();
    let lists = vec![
        ("people", d.l_people),
        ("zones", d.l_zones),
        ("needs", d.l_needs),
        ("assignments", d.l_assignments),
        ("contacts", d.l_contacts),
        ("gate-log", d.l_gate_log),
    ];
    (jar, render(&ExportsTemplate { page, area, lists })).into_response()
}

/// Where a signed-in user lands: the dashboard for those who see it, their area otherwise.
pub fn home_of(page: &Page) -> String {
    match &page.user {
        Some(u) if dashboard::may_view(u) => "/dashboard".into(),
        Some(u) => format!("/areas/{}", u.scope),
        None => "/login".into(),
    }
}

/// The dashboard for those who see it, the user's area for the rest.
async fn home(pu: PageUser) -> Response {
    let to = home_of(&pu.page);
    (pu.jar, Redirect::to(&to)).into_response()
}
