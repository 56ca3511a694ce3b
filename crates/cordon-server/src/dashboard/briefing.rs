//! 疫情防控工作通报: the daily briefing of an area, drafted from the day's figures in Chinese
//! and English, reviewed (edited) and published by headquarters. Every publication is kept as
//! a revision with the figures it was written from.

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::briefing::{DayFigures, Lang, briefing_markdown};
use cordon_store::{BriefingRecord, NewBriefing, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::DashboardError;
use crate::AppState;
use crate::dashboard::{self, area_of};

/// A draft: the figures of the day and the texts written from them.
#[derive(Serialize, ToSchema, Clone)]
pub struct Draft {
    pub figures: DayFigures,
    /// Markdown.
    pub text_zh: String,
    /// Markdown.
    pub text_en: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct BriefingView {
    pub id: i64,
    pub area_code: String,
    pub area_name: String,
    pub day: NaiveDate,
    /// 1 for the first publication of the day, then 2, …
    pub revision: i32,
    pub text_zh: String,
    pub text_en: String,
    /// The figures the texts were written from.
    pub figures: serde_json::Value,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
}

impl BriefingView {
    fn of(b: BriefingRecord) -> Self {
        BriefingView {
            id: b.id,
            area_code: b.area.to_string(),
            area_name: b.area_name,
            day: b.day,
            revision: b.revision,
            text_zh: b.text_zh,
            text_en: b.text_en,
            figures: serde_json::from_str(&b.figures).unwrap_or(serde_json::Value::Null),
            published_at: b.published_at,
            published_by: b.published_by,
        }
    }

    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.text_zh,
            Lang::En => &self.text_en,
        }
    }
}

/// The longest text a briefing keeps, per language.
const MAX_TEXT: usize = 20_000;

pub fn parse_date(s: &str) -> Result<NaiveDate, DashboardError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| DashboardError::Invalid {
        field: "date".into(),
        message: format!("{s:?} is not a date: write it as YYYY-MM-DD"),
    })
}

/// The draft of `area`'s briefing for `day`, as of `now`.
pub async fn draft(
    state: &AppState,
    user: &User,
    area: Option<&str>,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Draft, DashboardError> {
    if !dashboard::may_view(user) {
        return Err(DashboardError::Forbidden(
            "the briefing is for the offices and the epidemiologists".into(),
        ));
    }
    let node = area_of(state, user, area).await?;
    let figures = dashboard::day_figures(state, &node, day, now).await?;
    Ok(Draft {
        text_zh: briefing_markdown(&figures, Lang::Zh),
        text_en: briefing_markdown(&figures, Lang::En),
        figures,
    })
}

/// What headquarters publishes: the day and area, and the texts as reviewed (none: as drafted).
#[derive(Deserialize, ToSchema)]
pub struct PublishRequest {
    /// YYYY-MM-DD, a local day.
    pub date: String,
    /// The area's code (none: the user's own).
    pub area: Option<String>,
    /// Markdown, as reviewed; none or empty: the draft's.
    pub text_zh: Option<String>,
    pub text_en: Option<String>,
}

pub async fn publish(
    state: &AppState,
    user: &User,
    req: PublishRequest,
    now: DateTime<Utc>,
) -> Result<BriefingView, DashboardError> {
    if !dashboard::may_publish(user) {
        return Err(DashboardError::Forbidden("headquarters publishes the briefing".into()));
    }
    let day = parse_date(&req.date)?;
    let node = area_of(state, user, req.area.as_deref()).await?;
    let figures = dashboard::day_figures(state, &node, day, now).await?;
    let text = |given: Option<String>, lang: Lang, field: &str| -> Result<String, DashboardError> {
        let t = given.map(|t| t.trim().replace("\r\n", "\n")).filter(|t| !t.is_empty());
        let t = t.unwrap_or_else(|| briefing_markdown(&figures, lang));
        if t.chars().count() > MAX_TEXT {
            return Err(DashboardError::Invalid {
                field: field.into(),
                message: format!("a briefing is at most {MAX_TEXT} characters"),
            });
        }
        Ok(t)
    };
    let text_zh = text(req.text_zh, Lang::Zh, "text_zh")?;
    let text_en = text(req.text_en, Lang::En, "text_en")?;
    let record = state
        .store
        .publish_briefing(
            &user.scope_path,
            &NewBriefing {
                area: node.area.code.clone(),
                day,
                text_zh,
                text_en,
                figures: serde_json::to_string(&figures).expect("figures serialise"),
                at: now,
                by: user.username.clone(),
            },
        )
        .await?;
    tracing::info!(area = %record.area, day = %record.day, revision = record.revision, by = %user.username,
        "briefing published");
    Ok(BriefingView::of(record))
}

pub async fn list(state: &AppState, user: &User, limit: u32) -> Result<Vec<BriefingView>, DashboardError> {
    if !dashboard::may_view(user) {
        return Err(DashboardError::Forbidden(
            "the briefing is for the offices and the epidemiologists".into(),
        ));
    }
    Ok(state
        .store
        .briefings(&user.scope_path, limit.min(1000))
        .await?
        .into_iter()
        .map(BriefingView::of)
        .collect())
}

pub async fn get(state: &AppState, user: &User, id: i64) -> Result<BriefingView, DashboardError> {
    if !dashboard::may_view(user) {
        return Err(DashboardError::Forbidden(
            "the briefing is for the offices and the epidemiologists".into(),
        ));
    }
    state.store.briefing(&user.scope_path, id).await?.map(BriefingView::of).ok_or(DashboardError::NotFound)
}

/// Markdown as HTML for the print page. Raw HTML in the text is shown as text, never run: a
/// reviewed text is still only text.
pub fn to_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let events = Parser::new(markdown).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        e => e,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The briefing of `area` on `day` as the command line prints it: Markdown, or a whole HTML
/// page; both languages one after the other unless one is asked for.
pub async fn report(
    state: &AppState,
    area: &str,
    day: NaiveDate,
    langs: &[Lang],
    html: bool,
) -> Result<String, DashboardError> {
    let code = cordon_domain::AreaCode::parse(area)
        .map_err(|e| DashboardError::Invalid { field: "area".into(), message: e.to_string() })?;
    let node = state
        .store
        .area(&cordon_domain::AreaPath::root(), &code)
        .await?
        .ok_or_else(|| DashboardError::Missing(format!("no area {code}")))?;
    let figures = dashboard::day_figures(state, &node, day, state.now()).await?;
    let texts: Vec<String> = langs.iter().map(|l| briefing_markdown(&figures, *l)).collect();
    if !html {
        return Ok(texts.join("\n---\n\n"));
    }
    let body: String = texts.iter().map(|t| format!("<article>{}</article>", to_html(t))).collect();
    Ok(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{} {}</title>\
         <style>{}</style></head><body>{body}</body></html>\n",
        node.area.name, day, PRINT_CSS
    ))
}

/// The print page's look, shared with the web page of a briefing.
pub const PRINT_CSS: &str = "body{font:16px/1.7 \"Noto Serif CJK SC\",\"WenQuanYi Micro Hei\",serif;max-width:46rem;\
margin:2rem auto;padding:0 1rem;color:#111}h1{font-size:1.5rem;text-align:center}h2{font-size:1.1rem}\
article+article{border-top:1px solid #999;margin-top:2rem;padding-top:1rem}\
@media print{body{margin:0;max-width:none}article+article{page-break-before:always;border:0}}";

#[cfg(test)]
mod tests {
    #[test]
    fn raw_html_in_a_reviewed_text_is_shown_not_run() {
        let html =
            super::to_html("# 通报\n\n<script>alert(1)</script>\n\n**共封控** <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;") && html.contains("<strong>共封控</strong>"), "{html}");
    }
}
