//! The supplies pages: the community's board (points and stock, rounds, the households overdue)
//! and a round's lists building by building, with a button a door for the volunteers.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::supplies::{DeliveryOutcome, SupplyItem};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::supplies::{
    self, DeliveryOutcomeRequest, DistributionDetail, DistributionRequest, DistributionView, OverdueBoard,
    StockMoveRequest, SupplyPointRequest, SupplyPointView,
};
use crate::web::{Page, PageUser, back, error_page, render, urlencode};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/supplies", supplies::VIEW),
    RouteNeed::post("/supplies/points", supplies::PLAN),
    RouteNeed::post("/supplies/points/{id}/stock", supplies::PLAN),
    RouteNeed::post("/supplies/rounds", supplies::PLAN),
    RouteNeed::get("/supplies/rounds/{id}", supplies::VIEW),
    RouteNeed::post("/supplies/deliveries/{id}", supplies::DELIVER),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supplies", get(board_page))
        .route("/supplies/points", post(point_submit))
        .route("/supplies/points/{id}/stock", post(stock_submit))
        .route("/supplies/rounds", post(round_submit))
        .route("/supplies/rounds/{id}", get(round_page))
        .route("/supplies/deliveries/{id}", post(outcome_submit))
}

#[derive(Template)]
#[template(path = "supplies.html")]
struct BoardTemplate {
    page: Page,
    points: Vec<SupplyPointView>,
    rounds: Vec<DistributionView>,
    overdue: OverdueBoard,
    saved: bool,
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
    area: Option<String>,
}

async fn board_page(State(state): State<AppState>, pu: PageUser, Query(q): Query<SavedQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let all = async {
        Ok::<_, supplies::SuppliesError>((
            supplies::points(&state, user).await?,
            supplies::rounds(&state, user).await?,
            supplies::overdue(&state, user).await?,
        ))
    };
    match all.await {
        Ok((points, rounds, overdue)) => {
            (jar, render(&BoardTemplate { page, points, rounds, overdue, saved: q.saved.is_some() }))
                .into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct PointForm {
    id: String,
    name: String,
    area_code: String,
}

async fn point_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<PointForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = SupplyPointRequest { id: f.id, name: f.name, area_code: f.area_code };
    let r = supplies::create_point(&state, &user, &req).await.map(|_| "/supplies?saved=1".to_owned());
    back(page, jar, r.map_err(ApiError::from))
}

#[derive(Deserialize)]
struct StockForm {
    item: String,
    quantity: String,
    reason: String,
}

async fn stock_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<String>,
    Form(f): Form<StockForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let req = (|| {
        Ok::<_, ApiError>(StockMoveRequest {
            item: SupplyItem::parse(&f.item).map_err(|e| ApiError::invalid("item", e.to_string()))?,
            quantity: f
                .quantity
                .trim()
                .parse()
                .map_err(|_| ApiError::invalid("quantity", "a whole number"))?,
            reason: f.reason.clone(),
        })
    })();
    let r = match req {
        Ok(req) => supplies::move_stock(&state, &user, &id, &req)
            .await
            .map(|_| format!("/supplies?saved=1#point-{}", urlencode(&id)))
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    back(page, jar, r)
}

#[derive(Deserialize)]
struct RoundForm {
    area_code: String,
    point_id: String,
    item: String,
    #[serde(default)]
    note: String,
}

async fn round_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<RoundForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let r = match SupplyItem::parse(&f.item) {
        Ok(item) => {
            let req =
                DistributionRequest { area_code: f.area_code, point_id: f.point_id, item, note: f.note };
            supplies::plan_round(&state, &user, &req)
                .await
                .map(|d| format!("/supplies/rounds/{}?saved=1", d.id))
                .map_err(ApiError::from)
        }
        Err(e) => Err(ApiError::invalid("item", e.to_string())),
    };
    back(page, jar, r)
}

#[derive(Template)]
#[template(path = "supply_round.html")]
struct RoundTemplate {
    page: Page,
    d: DistributionDetail,
    saved: bool,
}

async fn round_page(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    match supplies::round(&state, user, id, q.area.as_deref()).await {
        Ok(d) => (jar, render(&RoundTemplate { page, d, saved: q.saved.is_some() })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Deserialize)]
struct OutcomeForm {
    outcome: String,
    round: i64,
    #[serde(default)]
    note: String,
    /// The household's request the delivery fulfils, when the volunteer leaves it ticked.
    #[serde(default)]
    fulfils: Option<String>,
}

async fn outcome_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<OutcomeForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let fulfils = match f.fulfils.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| ApiError::invalid("fulfils", "a request's number")),
    };
    let r = match (DeliveryOutcome::parse(&f.outcome), fulfils) {
        (_, Err(e)) => Err(e),
        // A request is fulfilled only by a package handed over.
        (Some(outcome), Ok(fulfils)) => {
            let fulfils = fulfils.filter(|_| outcome == DeliveryOutcome::Delivered);
            supplies::record(&state, &user, id, &DeliveryOutcomeRequest { outcome, note: f.note, fulfils })
                .await
                .map(|_| format!("/supplies/rounds/{}?saved=1#delivery-{id}", f.round))
                .map_err(ApiError::from)
        }
        (None, _) => Err(ApiError::invalid("outcome", "delivered, refused or nobody_home")),
    };
    back(page, jar, r)
}
