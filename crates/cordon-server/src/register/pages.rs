//! The register's pages: an area with its children, the search for people, a person.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use cordon_domain::AreaLevel;
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::reads::{self, AreaDetail, PersonSummary};
use crate::register::{self, PersonView, SearchResult};
use crate::web::i18n::Lang;
use crate::web::*;
use cordon_domain::Need;

#[derive(Template)]
#[template(path = "area.html")]
struct AreaTemplate {
    page: Page,
    detail: AreaDetail,
    /// Contacts under follow-up living here (the template of the case pages names them
    /// `contacts`).
    contacts: Vec<crate::cases::ContactView>,
    more_contacts: bool,
}

async fn area_page(State(state): State<AppState>, pu: PageUser, Path(code): Path<String>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let found = async {
        let detail = reads::area_detail(&state, user, &code).await?.ok_or(ApiError::NotFound)?;
        // Contacts under follow-up who live here, for those who follow contacts up, from the
        // street down (where the teams that place them work).
        let contacts = if crate::cases::may_view(user) && detail.area.level >= AreaLevel::Street {
            let node =
                state.store.area(&user.scope_path, &detail.area.code).await?.ok_or(ApiError::NotFound)?;
            let query = cordon_store::ContactQuery {
                active_only: true,
                living_in: Some(node.area.path),
                limit: AREA_CONTACTS as u32 + 1,
                ..Default::default()
            };
            crate::cases::contacts(&state, user, &query, "GET /areas/{code}").await?
        } else {
            vec![]
        };
        Ok::<_, ApiError>((detail, contacts))
    }
    .await;
    match found {
        Ok((detail, mut contacts)) => {
            let more_contacts = contacts.len() > AREA_CONTACTS;
            contacts.truncate(AREA_CONTACTS);
            (jar, render(&AreaTemplate { page, detail, contacts, more_contacts })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTemplate {
    page: Page,
    q: String,
    result: Option<SearchResult>,
    problem: Option<String>,
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

async fn search_page(State(state): State<AppState>, pu: PageUser, Query(sq): Query<SearchQuery>) -> Response {
    let PageUser { page, jar } = pu;
    let q = sq.q.unwrap_or_default();
    let (result, problem) = if q.trim().is_empty() {
        (None, None)
    } else {
        match register::search(&state, page.user.as_ref().expect("signed in"), &q, 50, "GET /people").await {
            Ok(r) => (Some(r), None),
            Err(register::RegisterError::Invalid { message, .. }) => (None, Some(message)),
            Err(e) => return error_page(page, jar, e),
        }
    };
    (jar, render(&SearchTemplate { page, q, result, problem })).into_response()
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonTemplate {
    page: Page,
    person: PersonView,
    /// The person's changes in the register, newest first.
    history: Vec<crate::register::entries::PersonChangeView>,
}

impl PersonTemplate {
    fn p(&self) -> &PersonSummary {
        &self.person.summary
    }

    /// The standings a person may be given.
    fn statuses(&self) -> &'static [cordon_domain::PersonStatus] {
        &cordon_domain::PersonStatus::ALL
    }

    /// The person's tag codes, as the tags form shows them.
    fn tag_codes(&self) -> String {
        self.p().tags.iter().map(|t| t.code.as_str()).collect::<Vec<_>>().join(";")
    }

    /// Whether the reader's role is shown this field at all (else the page says it is withheld,
    /// not that there is none).
    fn shown(&self, right: &str) -> bool {
        let right = cordon_domain::Right::parse(right).expect("a right named in the template");
        self.page.user.as_ref().is_some_and(|u| u.may(right))
    }
}

async fn person_page(State(state): State<AppState>, pu: PageUser, Path(id): Path<String>) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.as_ref().expect("signed in");
    let shown = async {
        let person = register::person_view(&state, user, &id, "GET /people/{id}").await?;
        let history = crate::register::entries::lines(&state, &person).await.map_err(ApiError::from)?;
        Ok::<_, ApiError>((person, history))
    };
    match shown.await {
        Ok((person, history)) => {
            let by = history.iter().map(|c| c.by.as_str()).chain(person.merges.iter().map(|m| m.by.as_str()));
            let mut page = page;
            page.know(&state, by).await;
            (jar, render(&PersonTemplate { page, person, history })).into_response()
        }
        Err(ApiError::NotFound) => super::glass_pages::not_in_areas(page, jar, &id),
        Err(ApiError::Merged(kept)) => (jar, Redirect::to(&format!("/people/{kept}"))).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/areas/{code}", Need::SignedIn),
    RouteNeed::get("/people", crate::register::READ_PEOPLE),
    RouteNeed::get("/people/{id}", crate::register::READ_PEOPLE),
];

/// The register's pages, the duplicates' among them.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/areas/{code}", get(area_page))
        .route("/people", get(search_page))
        .route("/people/{id}", get(person_page))
        .merge(super::duplicates_pages::routes())
        .merge(super::glass_pages::routes())
        .merge(super::entries_pages::routes())
}

impl Page {
    pub fn can_read_people(&self) -> bool {
        self.user.as_ref().is_some_and(crate::register::may_read_people)
    }

    /// A tag in the page's language.
    pub fn tag_label<'a>(&self, t: &'a crate::reads::TagView) -> &'a str {
        match self.lang {
            Lang::Zh => &t.label_zh,
            Lang::En => &t.label_en,
        }
    }
}

/// Contacts listed on an area's page; the rest are on the contacts page.
const AREA_CONTACTS: usize = 50;
