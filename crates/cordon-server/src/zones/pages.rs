//! The zone pages: the map with its figures, a zone with its countdown and history, the
//! proposals queue, and the forms that draw zones and record what happens in them. Every form
//! posts, then redirects to the page that shows its result (so a reload does not post twice).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::{AreaPath, Blocker, EventKind, Tier};
use cordon_store::{ProposalKind, ProposalStatus, User, ZoneQuery};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::reads::{self, AreaDetail};
use crate::web::i18n::{self, Lang};
use crate::web::map::{self, MapShape};
use crate::web::{Page, PageUser, back, error_page, local_time, render};
use crate::zones::{self, DrawRequest, ProposalView, Recorded, ZoneDetail, ZoneFigures, ZoneView};
use cordon_domain::{Need, Right};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/zones", Need::SignedIn),
    RouteNeed::post("/zones", Need::AnyOf(&[Right::ManageZones])),
    RouteNeed::get("/zones/{id}", Need::SignedIn),
    RouteNeed::post("/zones/{id}/events", Need::AnyOf(&[Right::ManageZones, Right::Command])),
    RouteNeed::post("/zones/{id}/lift", Need::AnyOf(&[Right::Command])),
    RouteNeed::post("/zones/{id}/raise", Need::AnyOf(&[Right::Command])),
    RouteNeed::post("/positives", Need::AnyOf(&[Right::ReportPositive])),
    RouteNeed::get("/proposals", Need::SignedIn),
    RouteNeed::post("/proposals/{id}/decision", Need::AnyOf(&[Right::Command])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/zones", get(zones_page).post(draw_submit))
        .route("/zones/{id}", get(zone_page))
        .route("/zones/{id}/events", post(event_submit))
        .route("/zones/{id}/lift", post(lift_submit))
        .route("/zones/{id}/raise", post(raise_submit))
        .route("/positives", post(positive_submit))
        .route("/proposals", get(proposals_page))
        .route("/proposals/{id}/decision", post(decision_submit))
}

impl Page {
    pub fn tier_name(&self, t: &Option<Tier>) -> &'static str {
        match t {
            Some(Tier::Sealed) => self.t.tier_sealed,
            Some(Tier::Controlled) => self.t.tier_controlled,
            Some(Tier::Precaution) => self.t.tier_precaution,
            None => self.t.no_zone,
        }
    }

    /// A tile's tier in words: "封控区", or "含封控区" when only part of it is sealed.
    pub fn tile_tier(&self, t: &Tile) -> String {
        match (t.partial, self.lang) {
            (true, Lang::Zh) => format!("含{}", self.tier_name(&t.tier)),
            (true, Lang::En) => format!("has a {}", self.tier_name(&t.tier)),
            (false, _) => self.tier_name(&t.tier).to_owned(),
        }
    }

    pub fn tier_class(&self, t: &Option<Tier>) -> &'static str {
        t.map_or("none", |t| t.as_str())
    }

    /// The name the zone's own profile gives its tier: 封控区, or 高风险区.
    pub fn zone_tier_name<'a>(&self, z: &'a ZoneView) -> &'a str {
        match self.lang {
            Lang::Zh => &z.tier_name_zh,
            Lang::En => &z.tier_name_en,
        }
    }

    pub fn zone_movement<'a>(&self, z: &'a ZoneView) -> &'a str {
        match self.lang {
            Lang::Zh => &z.movement_zh,
            Lang::En => &z.movement_en,
        }
    }

    pub fn profile_name<'a>(&self, z: &'a ZoneView) -> &'a str {
        match self.lang {
            Lang::Zh => &z.profile_name_zh,
            Lang::En => &z.profile_name_en,
        }
    }

    /// The test days of a tier: "第1、2、3天" / "days 1, 2, 3".
    pub fn test_days(&self, z: &ZoneView) -> String {
        let days: Vec<String> = z.test_days.iter().map(u32::to_string).collect();
        match (self.lang, days.is_empty()) {
            (_, true) => "—".into(),
            (Lang::Zh, false) => format!("第{}天全员核酸", days.join("、")),
            (Lang::En, false) => format!("everyone tested on days {}", days.join(", ")),
        }
    }

    pub fn date(&self, d: &NaiveDate) -> String {
        i18n::date(self.lang, *d)
    }

    pub fn opt_date(&self, d: &Option<NaiveDate>) -> String {
        d.map(|d| self.date(&d)).unwrap_or_else(|| "—".into())
    }

    /// An instant in the deployment's time zone, 24-hour.
    pub fn time(&self, t: &DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.tz);
        format!("{} {}", i18n::date(self.lang, local.date_naive()), local.format("%H:%M"))
    }

    pub fn blocker(&self, b: &Blocker) -> String {
        super::words::blocker(self.lang, b)
    }

    pub fn event_text(&self, e: &EventKind) -> String {
        let zh = self.lang == Lang::Zh;
        let tier = |t: &Tier| self.tier_name(&Some(*t));
        match e {
            EventKind::Designated { tier: t } => {
                if zh {
                    format!("划定为{}", tier(t))
                } else {
                    format!("drawn as a {}", tier(t))
                }
            }
            EventKind::Raised { tier: t } => {
                if zh {
                    format!("升级为{}", tier(t))
                } else {
                    format!("raised to {}", tier(t))
                }
            }
            EventKind::SteppedDown { tier: t } => {
                if zh {
                    format!("降为{}", tier(t))
                } else {
                    format!("stepped down to {}", tier(t))
                }
            }
            EventKind::Lifted => (if zh { "解除" } else { "lifted" }).into(),
            EventKind::Positive => {
                (if zh { "新增阳性，重新计算" } else { "new positive: the clock restarts" }).into()
            }
            EventKind::Round { all_negative: true } => {
                (if zh { "全员核酸，全部阴性" } else { "full testing round, all negative" }).into()
            }
            EventKind::Round { all_negative: false } => {
                (if zh { "全员核酸，非全阴" } else { "full testing round, not all negative" }).into()
            }
            EventKind::ContactExposure => (if zh { "密接者暴露" } else { "close contact exposed" }).into(),
            EventKind::Extended { until } => {
                if zh {
                    format!("维持至{}", self.date(until))
                } else {
                    format!("held until {}", self.date(until))
                }
            }
        }
    }

    pub fn proposal_text(&self, p: &ProposalView) -> String {
        let zh = self.lang == Lang::Zh;
        let to = self.tier_name(&p.tier_to);
        match (p.kind, zh) {
            (ProposalKind::Designate, true) => format!("划定{to}"),
            (ProposalKind::Designate, false) => format!("draw a {to}"),
            (ProposalKind::Raise, true) => format!("升级为{to}"),
            (ProposalKind::Raise, false) => format!("raise to {to}"),
            (ProposalKind::StepDown, true) => format!("降为{to}"),
            (ProposalKind::StepDown, false) => format!("step down to {to}"),
            (ProposalKind::Lift, true) => "解除".into(),
            (ProposalKind::Lift, false) => "lift".into(),
        }
    }

    pub fn status_text(&self, s: &ProposalStatus) -> &'static str {
        let zh = self.lang == Lang::Zh;
        match s {
            ProposalStatus::Pending => {
                if zh {
                    "待审批"
                } else {
                    "pending"
                }
            }
            ProposalStatus::Approved => {
                if zh {
                    "已批准"
                } else {
                    "approved"
                }
            }
            ProposalStatus::Rejected => {
                if zh {
                    "已驳回"
                } else {
                    "rejected"
                }
            }
            ProposalStatus::Withdrawn => {
                if zh {
                    "已撤回（出现新增阳性）"
                } else {
                    "withdrawn (new positive)"
                }
            }
        }
    }

    pub fn can_manage(&self) -> bool {
        self.user.as_ref().is_some_and(zones::may_manage)
    }

    pub fn may_command(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.may(cordon_domain::Right::Command))
    }

    pub fn can_report_positive(&self) -> bool {
        self.user.as_ref().is_some_and(zones::may_report_positive)
    }
}

/// One child of the area on the zones page: on the map when it has a shape, in the list always.
pub struct Tile {
    pub code: String,
    pub name: String,
    pub residents: i64,
    /// The strictest tier touching it…
    pub tier: Option<Tier>,
    /// …drawn on a part of it only.
    pub partial: bool,
    pub shape: Option<MapShape>,
}

#[derive(Template)]
#[template(path = "zones.html")]
struct ZonesTemplate {
    page: Page,
    v: ZonesView,
}

struct ZonesView {
    detail: AreaDetail,
    area_tier: Option<Tier>,
    figures: ZoneFigures,
    tiles: Vec<Tile>,
    has_map: bool,
    map_w: f64,
    map_h: f64,
    zones: Vec<ZoneView>,
    pending: usize,
    profiles: Vec<(String, String)>,
    in_force: String,
    tiers: [Option<Tier>; 3],
}

#[derive(Deserialize)]
struct ZonesQuery {
    area: Option<String>,
}

fn user_of(page: &Page) -> &User {
    page.user.as_ref().expect("signed in")
}

async fn zones_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<ZonesQuery>) -> Response {
    let PageUser { page, jar } = pu;
    match zones_data(&state, &page, q.area).await {
        Ok(v) => (jar, render(&ZonesTemplate { page, v })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

async fn zones_data(state: &AppState, page: &Page, area: Option<String>) -> Result<ZonesView, ApiError> {
    let user = user_of(page);
    let code = area.unwrap_or_else(|| user.scope.to_string());
    let detail = reads::area_detail(state, user, &code).await?.ok_or(ApiError::NotFound)?;
    let node = state.store.area(&user.scope_path, &detail.area.code).await?.ok_or(ApiError::NotFound)?;
    let path = node.area.path.clone();
    let figures = zones::figures_in(state, &path, node.stats.residents).await?;
    let children = state.store.children(&user.scope_path, &detail.area.code).await?;
    let mut paths: Vec<AreaPath> = children.iter().map(|c| c.area.path.clone()).collect();
    paths.push(path.clone());
    let mut marks = zones::marks_of(state, &paths).await?;
    let area_tier = marks.pop().and_then(|m| m.covering);
    let mut shapes = Vec::with_capacity(children.len());
    for c in &children {
        shapes.push(if c.has_shape {
            state.store.shape(&user.scope_path, &c.area.code).await?
        } else {
            None
        });
    }
    let projected = map::project(&shapes.iter().map(|s| s.as_deref()).collect::<Vec<_>>());
    let has_map = projected.iter().any(Option::is_some);
    let tiles = children
        .iter()
        .zip(marks)
        .zip(projected)
        .map(|((c, mark), shape)| Tile {
            code: c.area.code.to_string(),
            name: c.area.name.clone(),
            residents: c.stats.residents,
            tier: mark.strictest(),
            partial: mark.partial(),
            shape,
        })
        .collect();
    let zones =
        zones::list_in(state, &path, &ZoneQuery { include_ended: false, tier: None, limit: 500 }).await?;
    let pending = state.store.proposals(&path, Some(ProposalStatus::Pending), 500).await?.len();
    let in_force = zones::profile_in_force(state).await?;
    let mut profiles: Vec<(String, String)> = zones::profiles(state)
        .await?
        .into_values()
        .map(|p| (p.key.clone(), if page.lang == Lang::Zh { p.name_zh } else { p.name_en }))
        .collect();
    profiles.sort();
    Ok(ZonesView {
        detail,
        area_tier,
        figures,
        tiles,
        has_map,
        map_w: map::WIDTH,
        map_h: map::HEIGHT,
        zones,
        pending,
        profiles,
        in_force,
        tiers: [Some(Tier::Sealed), Some(Tier::Controlled), Some(Tier::Precaution)],
    })
}

#[derive(Template)]
#[template(path = "zone.html")]
struct ZoneTemplate {
    page: Page,
    d: ZoneDetail,
    stricter: Vec<Option<Tier>>,
    /// The zone's proposals, under the name the shared rows template reads.
    proposals: Vec<ProposalView>,
    /// The decision just taken here, said back: approved or not, and which.
    decided: Option<(bool, ProposalView)>,
}

/// Where a decision leads: `?decided=approved&proposal=7`.
#[derive(Deserialize, Default)]
struct DecidedQuery {
    decided: Option<String>,
    // Text, not a number: a flattened query reads every value as text.
    proposal: Option<String>,
}

impl DecidedQuery {
    /// The decision to say back, read again from the store (never from the address alone): only
    /// a proposal decided as the address says.
    async fn read(&self, state: &AppState, user: &cordon_store::User) -> Option<(bool, ProposalView)> {
        let approve = match self.decided.as_deref()? {
            "approved" => true,
            "rejected" => false,
            _ => return None,
        };
        let id = self.proposal.as_deref()?.parse().ok()?;
        let p = zones::proposal(state, user, id).await.ok()?;
        let status = if approve { ProposalStatus::Approved } else { ProposalStatus::Rejected };
        (p.status == status).then_some((approve, p))
    }
}

async fn zone_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<DecidedQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    match zones::detail(&state, user_of(&page), id).await {
        Ok(d) => {
            let stricter =
                Tier::ALL.into_iter().filter(|t| t.is_stricter_than(d.zone.tier)).map(Some).collect();
            let proposals = d.proposals.clone();
            let decided = q.read(&state, user_of(&page)).await;
            let mut page = page;
            let mut by = vec![d.zone.created_by.clone()];
            by.extend(d.history.iter().map(|e| e.recorded_by.clone()));
            by.extend(proposers(&proposals));
            page.know(&state, by.iter().map(String::as_str)).await;
            (jar, render(&ZoneTemplate { page, d, stricter, proposals, decided })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

/// Who proposed and who decided, as the rows name them.
fn proposers(proposals: &[ProposalView]) -> Vec<String> {
    proposals.iter().flat_map(|p| std::iter::once(p.created_by.clone()).chain(p.decided_by.clone())).collect()
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ProposalsTemplate {
    page: Page,
    proposals: Vec<ProposalView>,
    status: String,
    decided: Option<(bool, ProposalView)>,
}

#[derive(Deserialize)]
struct ProposalsQuery {
    status: Option<String>,
    #[serde(flatten)]
    decided: DecidedQuery,
}

async fn proposals_page(
    State(state): State<AppState>,
    pu: PageUser,
    Query(q): Query<ProposalsQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let status = q.status.unwrap_or_else(|| "pending".into());
    let found = async {
        let s = crate::zones::parse_status(Some(&status))?;
        // Make sure the rules' proposals of today are filed before the queue is shown.
        zones::figures(&state, user_of(&page)).await?;
        Ok::<_, ApiError>(state.store.proposals(&user_of(&page).scope_path, s, 500).await?)
    }
    .await;
    match found {
        Ok(ps) => {
            let proposals: Vec<ProposalView> = ps.iter().map(ProposalView::of).collect();
            let decided = q.decided.read(&state, user_of(&page)).await;
            let mut page = page;
            let by = proposers(&proposals);
            page.know(&state, by.iter().map(String::as_str)).await;
            (jar, render(&ProposalsTemplate { page, proposals, status, decided })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

// ---- forms ----

#[derive(Deserialize)]
struct DrawForm {
    area_code: String,
    tier: String,
    reason: String,
    profile: Option<String>,
}

async fn draw_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<DrawForm>) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let tier = Tier::parse(&f.tier)?;
        let req = DrawRequest {
            area: f.area_code.trim().to_owned(),
            tier,
            reason: f.reason,
            profile: f.profile.filter(|p| !p.is_empty()),
            case_person_id: None,
            at: None,
        };
        let z = zones::draw(&state, user_of(&page), req).await?;
        Ok(format!("/zones/{}", z.id))
    }
    .await;
    back(page, jar, r)
}

#[derive(Deserialize)]
struct EventForm {
    kind: String,
    #[serde(default)]
    all_negative: Option<String>,
    #[serde(default)]
    at: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    note: String,
}

async fn event_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<EventForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let what = match f.kind.as_str() {
            "round" => Recorded::Round { all_negative: f.all_negative.is_some() },
            "contact_exposure" => Recorded::ContactExposure,
            "extension" => Recorded::Extension {
                until: NaiveDate::parse_from_str(f.until.trim(), "%Y-%m-%d")
                    .map_err(|_| ApiError::invalid("until", "expected a day such as 2022-03-20"))?,
            },
            other => return Err(ApiError::invalid("kind", format!("unknown event {other:?}"))),
        };
        let at = local_time(&f.at, &state)?;
        zones::record(&state, user_of(&page), id, what, at, &f.note).await?;
        Ok(format!("/zones/{id}"))
    }
    .await;
    back(page, jar, r)
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    tier: String,
}

async fn lift_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = zones::lift(&state, user_of(&page), id, &f.note).await.map(|_| format!("/zones/{id}"));
    back(page, jar, r.map_err(ApiError::from))
}

async fn raise_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let tier = Tier::parse(&f.tier)?;
        zones::raise(&state, user_of(&page), id, tier, &f.note).await?;
        Ok(format!("/zones/{id}"))
    }
    .await;
    back(page, jar, r)
}

#[derive(Deserialize)]
struct PositiveForm {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    note: String,
    /// The page to return to (the zone page the form was on).
    back: Option<String>,
}

async fn positive_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Form(f): Form<PositiveForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let r = async {
        let at = local_time(&f.at, &state)?;
        let out = zones::record_positive(
            &state,
            user_of(&page),
            Some(f.person_id.as_str()),
            Some(f.area_code.as_str()),
            at,
            &f.note,
        )
        .await?;
        Ok(if let (true, Some(back)) = (out.proposals.is_empty(), f.back.as_deref()) {
            crate::web::safe_next(Some(back))
        } else if out.proposals.is_empty() && out.zones_reset.len() == 1 {
            format!("/zones/{}", out.zones_reset[0])
        } else {
            "/proposals".to_owned()
        })
    }
    .await;
    back(page, jar, r)
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
    /// Set by the confirmation page: a tap beside 驳回 does not yet decide.
    #[serde(default)]
    confirmed: Option<String>,
}

/// A decision asked for, shown back before it takes effect.
#[derive(Template)]
#[template(path = "proposal_confirm.html")]
struct ConfirmTemplate {
    page: Page,
    p: ProposalView,
    approve: bool,
    note: String,
    /// Where 返回 leads: the zone's page, or the queue.
    back_to: String,
}

/// Where a proposal's decision is seen: its zone's page, else the queue.
fn page_of(p: &ProposalView) -> String {
    p.zone_id.map_or_else(|| "/proposals".to_owned(), |z| format!("/zones/{z}"))
}

/// A decision on a proposal changes a zone and what everyone inside may do: the first tap shows
/// it back to be confirmed; the confirmation decides, and the page it leads to says so.
async fn decision_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            return error_page(
                page,
                jar,
                ApiError::invalid("decision", format!("unknown decision {other:?}")),
            );
        }
    };
    if f.confirmed.is_none() {
        return match zones::proposal(&state, user_of(&page), id).await {
            Ok(p) => {
                let back_to = page_of(&p);
                (jar, render(&ConfirmTemplate { page, p, approve, note: f.note, back_to })).into_response()
            }
            Err(e) => error_page(page, jar, e),
        };
    }
    let r = zones::decide(&state, user_of(&page), id, approve, &f.note).await.map(|p| {
        let to = page_of(&p);
        let word = if approve { "approved" } else { "rejected" };
        let sep = if to.contains('?') { '&' } else { '?' };
        format!("{to}{sep}decided={word}&proposal={id}#proposals")
    });
    back(page, jar, r.map_err(ApiError::from))
}
