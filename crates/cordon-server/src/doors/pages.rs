//! The sweep's doors from the sweep list's page: a row's outcome, or someone found at a door,
//! each sent back to the list it came from.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::doors;
use crate::http::error::ApiError;
use crate::web::{PageUser, back, urlencode};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::post("/rounds/{id}/sweep/outcomes", doors::DOORS),
    RouteNeed::get("/rounds/{id}/sweep/field", doors::DOORS),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/rounds/{id}/sweep/outcomes", post(doors_submit)).merge(super::field::routes())
}

/// One door from the sweep list: a person's outcome, or someone found (`outcome=found`).
#[derive(Deserialize, Default)]
struct DoorForm {
    outcome: String,
    person_id: Option<String>,
    reason: Option<String>,
    left_city: Option<String>,
    /// The sweep's area, to come back to.
    area: Option<String>,
    household: Option<String>,
    name: Option<String>,
    birth_year: Option<String>,
    sex: Option<String>,
    phone: Option<String>,
    sampled: Option<String>,
}

impl DoorForm {
    fn request(self) -> Result<doors::DoorsRequest, ApiError> {
        let on = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
        let person = match self.outcome.as_str() {
            "found" => {
                let year = self.birth_year.as_deref().unwrap_or_default().trim();
                let birth_year = year.parse().map_err(|_| {
                    ApiError::invalid("birth_year", format!("{year:?} is not a year: four digits, e.g. 1948"))
                })?;
                Some(crate::register::entries::NewPersonRequest {
                    household: self.household.unwrap_or_default(),
                    name: self.name.unwrap_or_default(),
                    birth_year,
                    sex: self.sex.unwrap_or_default(),
                    phone: self.phone.filter(|p| !p.trim().is_empty()),
                    ..Default::default()
                })
            }
            _ => None,
        };
        Ok(doors::DoorsRequest {
            entries: vec![doors::DoorEntryRequest {
                left_city: on(&self.left_city),
                sampled: on(&self.sampled),
                outcome: self.outcome,
                person_id: self.person_id,
                reason: self.reason,
                person,
            }],
        })
    }
}

async fn doors_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DoorForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let area = f.area.clone().unwrap_or_default();
    let at = f.person_id.clone().map(|p| format!("#p-{p}")).unwrap_or_default();
    // The route needs a right, so whoever reaches it is signed in.
    let user = page.user.as_ref().expect("signed in");
    let r = match f.request() {
        Ok(req) => doors::record_doors(&state, user, id, &req, "POST /rounds/{id}/sweep/outcomes")
            .await
            .map(|_| format!("/rounds/{id}/sweep?area={}&saved=1{at}", urlencode(&area)))
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    back(page, jar, r)
}
