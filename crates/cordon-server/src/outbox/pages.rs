//! The outbox's page for headquarters: how the messages stand, by kind, and whether a sender
//! is delivering them at all.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::OutboxFigures;
use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::web::i18n::Lang;
use crate::web::*;
use cordon_domain::{Need, Right};

pub const NEEDS: &[RouteNeed] = &[RouteNeed::get("/outbox", Need::AnyOf(&[Right::Command]))];

pub fn routes() -> Router<AppState> {
    Router::new().route("/outbox", get(outbox_page))
}

impl Page {
    pub fn can_see_outbox(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.may(Right::Command))
    }
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxTemplate {
    page: Page,
    figures: OutboxFigures,
    /// Where messages go (`--sms`), in words; none: kept, not sent.
    gateway: Option<String>,
}

impl OutboxTemplate {
    fn zh(&self) -> bool {
        self.page.lang == Lang::Zh
    }

    /// A kind of message, named.
    fn kind_name(&self, kind: &str) -> &'static str {
        let (zh, en) = match kind {
            "sign_in_code" => ("登录验证码", "sign-in codes"),
            "zone_drawn" => ("划定管控区域", "zone drawn"),
            "zone_raised" => ("管控升级", "zone raised"),
            "zone_stepped_down" => ("管控降级", "zone stepped down"),
            "zone_lifted" => ("解除管控", "zone lifted"),
            "need_acknowledged" => ("诉求已受理", "request acknowledged"),
            "need_resolved" => ("诉求已办结", "request resolved"),
            "announcement" => ("通知公告", "notices"),
            "round_scheduled" => ("核酸检测安排", "testing rounds"),
            "door_retest" => ("上门复核", "door retests"),
            "result_ready" => ("结果已出", "results ready"),
            "need_escalated" => ("诉求上报（工作人员）", "escalations (workers)"),
            "need_emergency" => ("紧急诉求（工作人员）", "emergencies (workers)"),
            "all" => ("合计", "all"),
            _ => ("其他", "other"),
        };
        if self.zh() { zh } else { en }
    }
}

async fn outbox_page(State(state): State<AppState>, PageUser { page, jar }: PageUser) -> Response {
    let gateway = state.config.sms.as_ref().map(|g| match g {
        super::Gateway::Http(url) => url.clone(),
        super::Gateway::File(path) => format!("file:{}", path.display()),
    });
    match super::figures(&state).await {
        Ok(figures) => (jar, render(&OutboxTemplate { page, figures, gateway })).into_response(),
        Err(e) => error_page(page, jar, ApiError::from(e)),
    }
}
