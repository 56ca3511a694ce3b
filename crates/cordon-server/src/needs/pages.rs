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
use cordon_domain::AreaLevel;
use cordon_domain::needs::{NeedCategory, NeedEventKind, NeedStatus, Priority, Rung};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::needs::{self, NeedAction, NeedDetail, NeedError, NeedEventView, NeedRequest, NeedView};
use crate::reads::PersonSummary;
use crate::web::back;
use crate::web::i18n::Lang;
use crate::web::picker::AreaPicker;
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

    /// An address from the compound down, as a list shows it (the whole in the cell's title).
    pub fn near_place(&self, address: &str) -> String {
        let parts: Vec<&str> = address.split(" › ").collect();
        parts[parts.len().saturating_sub(3)..].join(" › ")
    }

    pub fn event_name(&self, e: &NeedEventView) -> String {
        let n = self.n();
        match &e.kind {
            NeedEventKind::Created { rung } => format!("{} → {}", n.created, self.rung_name(rung)),
            NeedEventKind::Acknowledged => n.ev_acknowledged.into(),
            NeedEventKind::Assigned { to } => {
                format!("{} {}", n.assigned, e.to_name.as_deref().unwrap_or(to))
            }
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
    /// Waiting for the user's office to take them on, alike ones together (a care plan raises
    /// the same daily check for every elderly person alone): the most urgent of each, and how
    /// many it stands for.
    inbox: Vec<(NeedView, usize)>,
    list: Vec<NeedView>,
    resolved: bool,
    escalated: bool,
    /// The area the board is narrowed to, and the walk down the map to narrow it further.
    area: String,
    picker: Option<AreaPicker>,
    from: u32,
    more: bool,
}

impl BoardTemplate {
    fn base(&self) -> &'static str {
        if self.escalated { "/needs/escalated" } else { "/needs" }
    }

    fn at(&self, area: &str, from: u32) -> String {
        let resolved = if self.resolved { "&resolved=1" } else { "" };
        format!("{}?area={area}&from={from}{resolved}", self.base())
    }

    fn pick_base(&self) -> String {
        let resolved = if self.resolved { "resolved=1&" } else { "" };
        format!("{}?{resolved}area=", self.base())
    }

    fn next(&self) -> Option<String> {
        self.more.then(|| self.at(&self.area, self.from + BOARD_ROWS))
    }

    fn prev(&self) -> Option<String> {
        (self.from > 0).then(|| self.at(&self.area, self.from.saturating_sub(BOARD_ROWS)))
    }
}

/// Needs of the same category, priority and words together, in the order of their first; a
/// dozen such lines at most.
fn alike(needs: Vec<NeedView>) -> Vec<(NeedView, usize)> {
    let mut out: Vec<(NeedView, usize)> = Vec::new();
    for n in needs {
        match out.iter_mut().find(|(g, _)| {
            g.category == n.category && g.priority == n.priority && g.description == n.description
        }) {
            Some((_, count)) => *count += 1,
            None => out.push((n, 1)),
        }
    }
    out.truncate(12);
    out
}

/// Needs on a page of the board: a phone's few screens.
const BOARD_ROWS: u32 = 30;

#[derive(Deserialize)]
struct BoardQuery {
    resolved: Option<String>,
    area: Option<String>,
    from: Option<u32>,
}

async fn board_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<BoardQuery>) -> Response {
    show_board(state, pu, q, false).await
}

async fn escalated_page(
    State(state): State<AppState>,
    pu: PageUser,
    Query(q): Query<BoardQuery>,
) -> Response {
    show_board(state, pu, q, true).await
}

/// The board of the user's areas or one inside them, a page at a time; what waits on their
/// office first.
async fn show_board(state: AppState, pu: PageUser, q: BoardQuery, escalated: bool) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let now = state.now();
    let resolved = q.resolved.is_some();
    let area = q.area.unwrap_or_default().trim().to_owned();
    let from = q.from.unwrap_or(0);
    // The escalated view filters after reading: it reads a larger page to fill its own.
    let limit = if escalated { 5_000 } else { BOARD_ROWS + 1 };
    let board =
        needs::BoardPage { include_resolved: resolved, limit, offset: if escalated { 0 } else { from } };
    let r = tokio::try_join!(
        needs::inbox(&state, user, 200, now),
        needs::board_in(&state, user, Some(&area), board, now),
        async { crate::web::picker::area_picker(&state, user, &area).await.map_err(NeedError::from) }
    );
    match r {
        Ok((inbox, (f, mut list), mut picker)) => {
            if escalated {
                list.retain(|n| n.escalations > 0);
                list.drain(..(from as usize).min(list.len()));
            }
            let more = list.len() > BOARD_ROWS as usize;
            list.truncate(BOARD_ROWS as usize);
            // A board narrows to a building at most: its households are the rows themselves.
            if let Some(p) = picker.as_mut().filter(|p| p.here.level >= AreaLevel::Building) {
                p.below.clear();
            }
            let t = BoardTemplate {
                page,
                f,
                inbox: alike(inbox),
                list,
                resolved,
                escalated,
                area,
                picker,
                from,
                more,
            };
            (jar, render(&t)).into_response()
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
    /// The household picked on the map, or the walk down to one.
    picker: Option<AreaPicker>,
    /// What was typed to find a household by a resident's name or phone, and who answers to it.
    find: String,
    found: Vec<PersonSummary>,
}

impl NewTemplate {
    fn blank(page: Page, f: RaiseForm) -> Self {
        NewTemplate {
            page,
            categories: NeedCategory::ALL,
            f,
            refused: None,
            picker: None,
            find: String::new(),
            found: Vec::new(),
        }
    }

    /// Where a step of the walk down the map leads: this form again, at that area.
    fn pick_base(&self) -> &'static str {
        "/needs/new?pick="
    }
}

#[derive(Deserialize)]
struct NewQuery {
    household: Option<String>,
    /// An area picked on the way down to a household.
    pick: Option<String>,
    /// A resident's name or phone, to find their household.
    find: Option<String>,
}

/// People a search for a household lists at most.
const FOUND_MOST: u32 = 20;

/// The form to raise a need, its household picked on the map or found by a resident's name or
/// phone (the register's search, audited), or given by the link that led here.
async fn new_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<NewQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let find = q.find.unwrap_or_default().trim().to_owned();
    let at = q.pick.or(q.household).unwrap_or_default();
    let r = async {
        let picker = crate::web::picker::area_picker(&state, &user, &at).await.map_err(ApiError::from)?;
        let found = if find.is_empty() {
            Vec::new()
        } else {
            crate::register::search(&state, &user, &find, FOUND_MOST, "GET /needs/new").await?.people
        };
        Ok::<_, ApiError>((picker, found))
    }
    .await;
    match r {
        Ok((picker, found)) => {
            let household = picker.as_ref().filter(|p| p.is_household()).map(|p| p.here.code.to_string());
            let f = RaiseForm { household_code: household.unwrap_or_default(), ..RaiseForm::default() };
            let t = NewTemplate { picker, find, found, ..NewTemplate::blank(page, f) };
            (jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
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
            let picker =
                crate::web::picker::area_picker(&state, &user, &f.household_code).await.ok().flatten();
            let t = NewTemplate { refused: Some((field, said)), picker, ..NewTemplate::blank(page, f) };
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
    /// Whom it can be handed to, picked by name.
    assignable: Vec<needs::Assignable>,
}

impl NeedTemplate {
    /// Who has it now: the worker it was last given to, else the one the routing found.
    fn holder(&self) -> Option<&str> {
        let given = self.d.timeline.iter().rev().find_map(|e| match &e.kind {
            NeedEventKind::Assigned { to } => Some(to.as_str()),
            _ => None,
        });
        given.or(self.d.need.owner_worker.as_deref())
    }
}

async fn need_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<i64>) -> Response {
    let PageUser { mut page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let user = &user;
    let now = state.now();
    match tokio::try_join!(needs::detail(&state, user, id, now), needs::assignable(&state, user, id, now)) {
        Ok((d, assignable)) => {
            page.know(&state, d.timeline.iter().map(|e| e.by.as_str())).await;
            (jar, render(&NeedTemplate { page, d, assignable })).into_response()
        }
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
