//! The residents' needs pages: the board of one's areas (overdue first, the time left or past on
//! each), the escalation view (the needs that climbed, for the offices above), the form a worker
//! fills on a phone while talking to a resident, and one need with its timeline and what can be
//! done with it next.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::needs::{NeedCategory, NeedEventKind, NeedStatus, Priority, Rung};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::needs::{self, NeedAction, NeedDetail, NeedError, NeedEventView, NeedRequest, NeedView};
use crate::web::back;
use crate::web::i18n::Lang;
use crate::web::{Page, PageUser, error_page, render};
use cordon_domain::{Need, Right};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/needs", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::post("/needs", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::get("/needs/escalated", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::get("/needs/new", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::get("/needs/{id}", Need::AnyOf(&[Right::HandleNeeds])),
    RouteNeed::post("/needs/{id}/act", Need::AnyOf(&[Right::HandleNeeds])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/needs", get(board_page).post(raise_submit))
        .route("/needs/escalated", get(escalated_page))
        .route("/needs/new", get(new_page))
        .route("/needs/{id}", get(need_page))
        .route("/needs/{id}/act", post(act_submit))
}

impl Page {
    pub fn can_handle_needs(&self) -> bool {
        self.user.as_ref().is_some_and(needs::may_handle)
    }

    pub fn can_decide_needs(&self) -> bool {
        self.user.as_ref().is_some_and(needs::may_decide)
    }

    pub fn priority_name(&self, p: &Priority) -> &'static str {
        match p {
            Priority::Emergency => self.n().emergency,
            Priority::Urgent => self.n().urgent,
            Priority::Normal => self.n().normal,
        }
    }

    pub fn category_label(&self, c: &NeedCategory) -> &'static str {
        match self.lang {
            Lang::Zh => c.name_zh(),
            Lang::En => c.name_en(),
        }
    }

    pub fn category_name(&self, n: &NeedView) -> &'static str {
        self.category_label(&n.category)
    }

    pub fn status_name(&self, s: &NeedStatus) -> &'static str {
        match s {
            NeedStatus::Open => self.n().open,
            NeedStatus::Acknowledged => self.n().acknowledged,
            NeedStatus::Resolved => self.n().resolved,
        }
    }

    pub fn rung_name(&self, r: &Rung) -> &'static str {
        match self.lang {
            Lang::Zh => r.name_zh(),
            Lang::En => r.as_str(),
        }
    }

    /// The time left to the next deadline, or past it.
    pub fn timer(&self, n: &NeedView) -> String {
        let Some(due) = n.due else { return self.n().resolved.to_owned() };
        let minutes = (due - chrono::Utc::now()).num_minutes();
        let span = |m: i64| match (m / 60, m % 60, self.lang) {
            (0, m, _) => format!("{m} {}", self.n().minutes),
            (h, m, Lang::Zh) => format!("{h} 小时 {m} {}", self.n().minutes),
            (h, m, Lang::En) => format!("{h} h {m} {}", self.n().minutes),
        };
        if minutes < 0 {
            format!("{} {}", self.n().overdue_by, span(-minutes))
        } else {
            format!("{} {}", self.n().left, span(minutes))
        }
    }

    pub fn event_name(&self, e: &NeedEventView) -> String {
        let n = self.n();
        match &e.kind {
            NeedEventKind::Created { rung } => format!("{} → {}", n.created, self.rung_name(rung)),
            NeedEventKind::Acknowledged => n.ev_acknowledged.into(),
            NeedEventKind::Assigned { to } => format!("{} {to}", n.assigned),
            NeedEventKind::Note => n.noted.into(),
            NeedEventKind::Escalated { to } => format!("{} {}", n.escalated, self.rung_name(to)),
            NeedEventKind::PassIssued { pass_id } => format!("{} {pass_id}", n.pass_issued),
            NeedEventKind::Decided { granted: true, .. } => n.granted.into(),
            NeedEventKind::Decided { granted: false, alternative } => {
                format!("{}；{}：{}", n.refused, n.arranged, alternative.as_deref().unwrap_or(""))
            }
            NeedEventKind::Resolved => n.ev_resolved.into(),
            NeedEventKind::Reopened => n.reopened.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "needs.html")]
struct BoardTemplate {
    page: Page,
    f: cordon_store::NeedCounts,
    /// Waiting for the user's office to take them on.
    inbox: Vec<NeedView>,
    list: Vec<NeedView>,
    resolved: bool,
    escalated: bool,
}

#[derive(Deserialize)]
struct BoardQuery {
    resolved: Option<String>,
}

async fn board_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<BoardQuery>) -> Response {
    show_board(state, pu, q.resolved.is_some(), false).await
}

async fn escalated_page(State(state): State<AppState>, pu: PageUser) -> Response {
    show_board(state, pu, false, true).await
}

async fn show_board(state: AppState, pu: PageUser, resolved: bool, escalated: bool) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let now = state.now();
    let r = tokio::try_join!(
        needs::counts(&state, user, now),
        needs::inbox(&state, user, 20, now),
        needs::board(&state, user, resolved, 300, now)
    );
    match r {
        Ok((f, inbox, mut list)) => {
            if escalated {
                list.retain(|n| n.escalations > 0);
            }
            (jar, render(&BoardTemplate { page, f, inbox, list, resolved, escalated })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "need_new.html")]
struct NewTemplate {
    page: Page,
    categories: [NeedCategory; 10],
    /// What was typed, kept when the service refuses it.
    f: RaiseForm,
    /// The field refused and what to say beside it, in the page's language.
    refused: Option<(String, String)>,
}

#[derive(Deserialize)]
struct NewQuery {
    household: Option<String>,
}

async fn new_page(pu: PageUser, Query(q): Query<NewQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let f = RaiseForm { household_code: q.household.unwrap_or_default(), ..RaiseForm::default() };
    let t = NewTemplate { page, categories: NeedCategory::ALL, f, refused: None };
    (jar, render(&t)).into_response()
}

#[derive(Deserialize, Default, Clone)]
struct RaiseForm {
    household_code: String,
    category: String,
    emergency: Option<String>,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    contact_phone: String,
    description: String,
}

async fn raise_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<RaiseForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = NeedRequest {
        household_code: f.household_code.clone(),
        person_id: Some(f.person_id.clone()),
        category: f.category.clone(),
        emergency: f.emergency.is_some(),
        contact_phone: Some(f.contact_phone.clone()),
        description: f.description.clone(),
    };
    match needs::raise(&state, &user, req, state.now()).await {
        Ok(d) => (jar, Redirect::to(&format!("/needs/{}", d.need.id))).into_response(),
        // A field refused: the form again, as it was typed, the reason beside the field.
        Err(NeedError::Invalid { field, message }) => {
            let said = page.need_fix(&field, &message);
            let t = NewTemplate { page, categories: NeedCategory::ALL, f, refused: Some((field, said)) };
            (StatusCode::UNPROCESSABLE_ENTITY, jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "need.html")]
struct NeedTemplate {
    page: Page,
    d: NeedDetail,
}

async fn need_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match needs::detail(&state, user, id, state.now()).await {
        Ok(d) => (jar, render(&NeedTemplate { page, d })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    worker_id: String,
    granted: Option<String>,
    alternative: Option<String>,
}

async fn act_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let action = match f.action.as_str() {
        "acknowledge" => Ok(NeedAction::Acknowledge { note: f.note }),
        "assign" => Ok(NeedAction::Assign { worker_id: f.worker_id, note: f.note }),
        "note" => Ok(NeedAction::Note { note: f.note }),
        "decide" => Ok(NeedAction::Decide {
            granted: f.granted.as_deref() == Some("true"),
            alternative: f.alternative,
            note: f.note,
        }),
        "resolve" => Ok(NeedAction::Resolve { note: f.note }),
        "reopen" => Ok(NeedAction::Reopen { note: f.note }),
        other => Err(ApiError::invalid("action", format!("{other:?} is not something done with a need"))),
    };
    let r = match action {
        Ok(a) => needs::act(&state, &user, id, a, state.now())
            .await
            .map(|_| format!("/needs/{id}"))
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    back(page, jar, r)
}
