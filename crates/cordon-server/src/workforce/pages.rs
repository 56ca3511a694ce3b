//! The workforce pages: the coverage of one's areas (figures, coverage by tier, every gap worst
//! first with the residents affected, the leaders' load), the suggestions that close the gaps,
//! ticked and assigned in one go, and the forms for reporting in and quarantine sites.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::workforce::{GapKind, Post, Rank};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::web::back;
use crate::web::i18n::Lang;
use crate::web::{Page, PageUser, error_page, render, urlencode};
use crate::workforce::{
    self, AcceptOutcome, Accepted, AssignRequest, AssignmentView, CheckinView, CoverageView, GapView,
    SiteRequest, SuggestionView, WorkerRequest,
};
use cordon_domain::{Need, Right};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/coverage", Need::AnyOf(&[Right::ViewWorkforce])),
    RouteNeed::post("/coverage/accept", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::post("/coverage/checkin", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::post("/coverage/sites", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::get("/workforce", Need::AnyOf(&[Right::ViewWorkforce])),
    RouteNeed::get("/duty", Need::SignedIn),
    RouteNeed::post("/duty", Need::SignedIn),
    RouteNeed::post("/workforce/workers", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::post("/workforce/assign", Need::AnyOf(&[Right::ManageWorkforce])),
    RouteNeed::post("/workforce/assignments/{id}/end", Need::AnyOf(&[Right::ManageWorkforce])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coverage", get(coverage_page))
        .route("/coverage/accept", post(accept_submit))
        .route("/coverage/checkin", post(checkin_submit))
        .route("/coverage/sites", post(site_submit))
        .route("/workforce", get(workforce_page))
        .route("/duty", get(duty_page).post(duty_submit))
        .route("/workforce/workers", post(worker_submit))
        .route("/workforce/assign", post(assign_submit))
        .route("/workforce/assignments/{id}/end", post(end_submit))
}

impl Page {
    pub fn can_view_workforce(&self) -> bool {
        self.user.as_ref().is_some_and(workforce::may_view)
    }

    pub fn can_manage_workforce(&self) -> bool {
        self.user.as_ref().is_some_and(workforce::may_manage)
    }

    pub fn gap_kind(&self, k: &GapKind) -> &'static str {
        match k {
            GapKind::NoLeader => self.w().no_leader,
            GapKind::Understaffed => self.w().understaffed,
        }
    }

    pub fn gap_class(&self, k: &GapKind) -> &'static str {
        match k {
            GapKind::NoLeader => "no_leader",
            GapKind::Understaffed => "understaffed",
        }
    }

    pub fn rule_name<'a>(&self, g: &'a GapView) -> &'a str {
        match self.lang {
            Lang::Zh => &g.rule_zh,
            Lang::En => &g.rule_en,
        }
    }

    pub fn unit_level(&self, g: &GapView) -> &'static str {
        g.level.as_ref().map_or(self.w().site, |l| self.level_name(l))
    }

    pub fn rank_name(&self, r: &Rank) -> &'static str {
        match self.lang {
            Lang::Zh => r.name_zh(),
            Lang::En => r.as_str(),
        }
    }

    /// A moment in local time, to the minute.
    pub fn moment(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.with_timezone(&self.tz).format("%Y-%m-%d %H:%M").to_string()
    }

    pub fn post_name(&self, p: &Post) -> &'static str {
        match p {
            Post::Leader => self.w().as_leader,
            Post::Member => self.w().as_member,
        }
    }
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoverageTemplate {
    page: Page,
    c: CoverageView,
    posts: Vec<crate::workforce::CommandPostView>,
    suggestions: Option<Vec<SuggestionView>>,
    outcome: Option<AcceptOutcome>,
}

#[derive(Deserialize)]
struct CoverageQuery {
    suggest: Option<String>,
}

async fn coverage_page(
    State(state): State<AppState>,
    pu: PageUser,
    Query(q): Query<CoverageQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    show(&state, page, jar, q.suggest.is_some(), None).await
}

async fn show(
    state: &AppState,
    page: Page,
    jar: axum_extra::extract::cookie::CookieJar,
    suggest: bool,
    outcome: Option<AcceptOutcome>,
) -> Response {
    let user = page.user.as_ref().expect("signed in");
    let r = async {
        let c = workforce::coverage(state, user).await?;
        let posts = workforce::command_posts(state, user).await?;
        let suggestions = if suggest { Some(workforce::suggestions(state, user).await?) } else { None };
        Ok::<_, ApiError>((c, posts, suggestions))
    }
    .await;
    match r {
        Ok((c, posts, suggestions)) => {
            (jar, render(&CoverageTemplate { page, c, posts, suggestions, outcome })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

/// Ticked suggestions arrive as `pick=worker|kind|key|post`, one per box.
async fn accept_submit(State(state): State<AppState>, pu: PageUser, body: String) -> Response {
    let PageUser { page, jar } = pu;
    let picks: Vec<Accepted> = form_urlencoded(&body)
        .into_iter()
        .filter(|(k, _)| k == "pick")
        .filter_map(|(_, v)| {
            let mut it = v.split('|');
            let (worker_id, unit_kind, unit_key, post) = (it.next()?, it.next()?, it.next()?, it.next()?);
            Some(Accepted {
                worker_id: worker_id.into(),
                unit_kind: unit_kind.into(),
                unit_key: unit_key.into(),
                post: Post::parse(post)?,
            })
        })
        .collect();
    let user = page.user.clone().expect("signed in");
    match workforce::accept(&state, &user, picks).await {
        Ok(outcome) => show(&state, page, jar, false, Some(outcome)).await,
        Err(e) => error_page(page, jar, e),
    }
}

/// `application/x-www-form-urlencoded` pairs (a form with repeated names, which `Form` of a
/// struct cannot hold).
fn form_urlencoded(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body).unwrap_or_default()
}

#[derive(Deserialize)]
struct CheckinForm {
    worker_id: String,
    community_code: String,
}

async fn checkin_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<CheckinForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = workforce::check_in(&state, &user, &f.worker_id, &f.community_code, None)
        .await
        .map(|_| "/coverage".to_owned());
    back(page, jar, r.map_err(ApiError::from))
}

#[derive(Deserialize)]
struct SiteForm {
    name: String,
    area_code: String,
    #[serde(default)]
    kind: String,
    rooms: i64,
}

async fn site_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<SiteForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let kind = match f.kind.trim() {
        "" => Ok(None),
        k => cordon_domain::isolation::SiteKind::parse(k).map(Some),
    };
    let r = match kind {
        Ok(kind) => {
            let req = SiteRequest { id: None, name: f.name, area_code: f.area_code, kind, rooms: f.rooms };
            workforce::create_site(&state, &user, req)
                .await
                .map(|_| "/coverage".to_owned())
                .map_err(ApiError::from)
        }
        Err(e) => Err(crate::http::error::ApiError::invalid("kind", e.to_string())),
    };
    back(page, jar, r)
}

#[derive(Template)]
#[template(path = "duty.html")]
struct DutyTemplate {
    page: Page,
    /// None: the sign-in is linked to no worker.
    d: Option<workforce::DutyView>,
}

/// 报到: the worker's own phone page.
async fn duty_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    match workforce::my_duty(&state, &user).await {
        Ok(d) => (jar, render(&DutyTemplate { page, d: Some(d) })).into_response(),
        Err(workforce::DutyError::NotLinked) => {
            (jar, render(&DutyTemplate { page, d: None })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct DutyForm {
    action: String,
    #[serde(default)]
    community_code: Option<String>,
}

async fn duty_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<DutyForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = workforce::DutyRequest { action: f.action, community_code: f.community_code };
    let r = workforce::act(&state, &user, &req).await.map(|_| "/duty".to_owned()).map_err(ApiError::from);
    back(page, jar, r)
}

/// Rows a list of the workforce page shows at a time: a phone's few screens.
const PAGE_ROWS: usize = 20;
/// The most workers the assign form offers to pick from.
const PICKS: usize = 50;

#[derive(Template)]
#[template(path = "workforce.html")]
struct WorkforceTemplate {
    page: Page,
    on_hand: Vec<CheckinView>,
    on_hand_total: i64,
    assignments: Vec<AssignmentView>,
    assignments_total: i64,
    ranks: [Rank; 5],
    /// The unit the assign form is filled in for (a gap's link), its name and where it is.
    area: String,
    unit: Option<(String, String)>,
    site: String,
    /// What was typed to find a worker by name, and those on hand who answer to it.
    who: String,
    picks: Vec<CheckinView>,
    /// Where each list's page starts.
    on_from: usize,
    as_from: usize,
}

impl WorkforceTemplate {
    /// This page's address with one list's start moved, the rest kept.
    fn at(&self, on_from: usize, as_from: usize) -> String {
        format!(
            "/workforce?who={}&area={}&site={}&on_from={on_from}&as_from={as_from}",
            urlencode(&self.who),
            urlencode(&self.area),
            urlencode(&self.site)
        )
    }

    fn on_next(&self) -> Option<String> {
        let next = self.on_from + PAGE_ROWS;
        (next < self.on_hand_total as usize).then(|| self.at(next, self.as_from))
    }

    fn on_prev(&self) -> Option<String> {
        (self.on_from > 0).then(|| self.at(self.on_from.saturating_sub(PAGE_ROWS), self.as_from))
    }

    fn as_next(&self) -> Option<String> {
        let next = self.as_from + PAGE_ROWS;
        (next < self.assignments_total as usize).then(|| self.at(self.on_from, next))
    }

    fn as_prev(&self) -> Option<String> {
        (self.as_from > 0).then(|| self.at(self.on_from, self.as_from.saturating_sub(PAGE_ROWS)))
    }
}

#[derive(Deserialize)]
struct WorkforceQuery {
    area: Option<String>,
    site: Option<String>,
    who: Option<String>,
    on_from: Option<usize>,
    as_from: Option<usize>,
}

/// One page of a list, from `from`.
fn page_of<T>(mut all: Vec<T>, from: usize) -> Vec<T> {
    let from = from.min(all.len());
    all.drain(..from);
    all.truncate(PAGE_ROWS);
    all
}

/// Who reported in today and who answers for what now, in the user's areas, a page at a time and
/// narrowed to a name; the forms to add a worker and to assign one, the worker picked by name
/// (filled in for a gap when the coverage page links here).
async fn workforce_page(
    State(state): State<AppState>,
    pu: PageUser,
    Query(q): Query<WorkforceQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let who = q.who.unwrap_or_default().trim().to_owned();
    let area = q.area.unwrap_or_default().trim().to_owned();
    let r = tokio::try_join!(
        workforce::find_on_hand(&state, user, &who),
        workforce::assignments(&state, user, true),
        async {
            crate::reads::area_detail(&state, user, &area).await.map_err(workforce::WorkforceError::from)
        }
    );
    match r {
        Ok((on_hand, mut assignments, unit)) => {
            assignments.retain(|a| workforce::answers_to(&a.worker, &who));
            let (on_hand_total, assignments_total) = (on_hand.len() as i64, assignments.len() as i64);
            let picks =
                if who.is_empty() { Vec::new() } else { on_hand.iter().take(PICKS).cloned().collect() };
            let unit = unit.map(|d| {
                let way: Vec<&str> = d.lineage.iter().skip(1).map(|a| a.name.as_str()).collect();
                (d.area.name.clone(), way.join(" › "))
            });
            let (on_from, as_from) = (q.on_from.unwrap_or(0), q.as_from.unwrap_or(0));
            let t = WorkforceTemplate {
                page,
                on_hand: page_of(on_hand, on_from),
                on_hand_total,
                assignments: page_of(assignments, as_from),
                assignments_total,
                ranks: Rank::ALL,
                area,
                unit,
                site: q.site.unwrap_or_default(),
                who,
                picks,
                on_from,
                as_from,
            };
            (jar, render(&t)).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct WorkerForm {
    worker_id: String,
    name: String,
    phone: Option<String>,
    #[serde(default)]
    organisation: String,
    rank: String,
    party_member: Option<String>,
}

async fn worker_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<WorkerForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = WorkerRequest {
        name: f.name,
        phone: f.phone,
        organisation: f.organisation,
        party_member: f.party_member.is_some(),
        rank: f.rank,
    };
    let r = workforce::put_worker(&state, &user, &f.worker_id, req).await.map(|_| "/workforce".to_owned());
    back(page, jar, r.map_err(ApiError::from))
}

#[derive(Deserialize)]
struct AssignForm {
    worker_id: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    site_id: String,
    post: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    duty_phone: String,
    /// A local day, the last the assignment runs; empty: open-ended.
    #[serde(default)]
    until: String,
}

async fn assign_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<AssignForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = async {
        let post = Post::parse(&f.post).ok_or_else(|| ApiError::invalid("post", "leader or member"))?;
        let until = match f.until.trim() {
            "" => None,
            d => {
                let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| ApiError::invalid("until", "a day, YYYY-MM-DD"))?;
                // Through that day: until the first moment of the next.
                Some(crate::gates::day_bounds(&state, day).1)
            }
        };
        let req = AssignRequest {
            worker_id: f.worker_id,
            area_code: Some(f.area_code).filter(|s| !s.trim().is_empty()),
            site_id: Some(f.site_id).filter(|s| !s.trim().is_empty()),
            post,
            title: f.title,
            duty_phone: Some(f.duty_phone).filter(|s| !s.trim().is_empty()),
            from: None,
            until,
        };
        workforce::assign(&state, &user, req).await?;
        Ok("/workforce#assignments".to_owned())
    }
    .await;
    back(page, jar, r)
}

async fn end_submit(
    State(state): State<AppState>,
    pu: PageUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = workforce::end_assignment(&state, &user, id).await.map(|_| "/workforce#assignments".to_owned());
    back(page, jar, r.map_err(ApiError::from))
}
