//! The pages of keeping the register: the form that registers a person in a household (shown
//! again with the look-alikes when the entry may repeat one), and the forms of a person's page
//! that change their phone, tags, household or standing.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::{Need, Right};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::register::entries::{self, EntryError, NewPersonRequest, PersonPatch};
use crate::web::{Page, PageUser, back, error_page, render};

const KEEP: Need = Need::AnyOf(&[Right::KeepRegister]);

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/people/new", KEEP),
    RouteNeed::post("/people/new", KEEP),
    RouteNeed::post("/people/{id}/change", KEEP),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/people/new", get(new_page).post(new_submit))
        .route("/people/{id}/change", post(change_submit))
}

impl Page {
    pub fn can_keep_register(&self) -> bool {
        self.user.as_ref().is_some_and(entries::may_keep)
    }
}

/// The registration form, as filled so far.
#[derive(Deserialize, Default, Clone)]
struct NewForm {
    #[serde(default)]
    household: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    birth_year: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    not_a_duplicate: Option<String>,
}

#[derive(Template)]
#[template(path = "person_new.html")]
struct NewTemplate {
    page: Page,
    form: NewForm,
    /// Why the last submission was refused.
    problem: Option<String>,
    /// The entries it may repeat, to open before confirming.
    matches: Vec<String>,
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    household: String,
}

async fn new_page(pu: PageUser, Query(q): Query<NewQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let form = NewForm { household: q.household, ..Default::default() };
    (jar, render(&NewTemplate { page, form, problem: None, matches: vec![] })).into_response()
}

async fn new_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<NewForm>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let birth_year = match f.birth_year.trim().parse::<i32>() {
        Ok(y) => y,
        Err(_) => {
            let problem = Some(format!("birth_year: {:?} is not a year", f.birth_year.trim()));
            return (jar, render(&NewTemplate { page, form: f, problem, matches: vec![] })).into_response();
        }
    };
    let req = NewPersonRequest {
        household: f.household.clone(),
        name: f.name.clone(),
        birth_year,
        sex: f.sex.clone(),
        phone: Some(f.phone.clone()),
        id_number: Some(f.id_number.clone()),
        tags: tag_list(&f.tags),
        reason: Some(f.reason.clone()),
        not_a_duplicate: f.not_a_duplicate.is_some(),
    };
    match entries::add(&state, &user, &req, "POST /people/new").await {
        Ok(view) => (jar, Redirect::to(&format!("/people/{}", view.summary.person_id))).into_response(),
        Err(EntryError::Duplicate { message, matches }) => {
            let t = NewTemplate { page, form: f, problem: Some(message), matches };
            (axum::http::StatusCode::CONFLICT, jar, render(&t)).into_response()
        }
        Err(e @ (EntryError::Invalid { .. } | EntryError::NotFound(_))) => {
            let problem = Some(e.to_string());
            let status = ApiError::from(e).status();
            (status, jar, render(&NewTemplate { page, form: f, problem, matches: vec![] })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

/// The tag codes typed in one field, separated as a clerk separates them.
fn tag_list(s: &str) -> Vec<String> {
    s.split([';', '；', ',', '，']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// One of the person page's forms: each sends its own field and the reason.
#[derive(Deserialize)]
struct ChangeForm {
    phone: Option<String>,
    tags: Option<String>,
    household: Option<String>,
    status: Option<String>,
    #[serde(default)]
    reason: String,
}

async fn change_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let given = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let patch = PersonPatch {
        phone: f.phone,
        tags: f.tags.as_deref().map(tag_list),
        household: given(f.household),
        status: given(f.status),
        reason: Some(f.reason),
    };
    let r = entries::change(&state, &user, &id, &patch, "POST /people/{id}/change")
        .await
        .map(|v| format!("/people/{}", v.summary.person_id))
        .map_err(ApiError::from);
    back(page, jar, r)
}
