//! The users' pages: the users of one's areas with the form that adds one, a user's page with
//! the change, disable and reset forms and the changes kept, and the page that shows a password
//! made by the system, once.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cordon_domain::{Need, Right, Role};
use serde::Deserialize;

use crate::AppState;
use crate::access::RouteNeed;
use crate::http::error::ApiError;
use crate::users::{self, IssuedPassword, ManagedUser, NewUserRequest, UserChangeView, UserPatch};
use crate::web::{Page, PageUser, back, error_page, render};

/// What each page asks of its caller (`access`): the service checks the rest.
pub const NEEDS: &[RouteNeed] = &[
    RouteNeed::get("/users", Need::AnyOf(&[Right::ManageUsers])),
    RouteNeed::post("/users", Need::AnyOf(&[Right::ManageUsers])),
    RouteNeed::get("/users/{name}", Need::AnyOf(&[Right::ManageUsers])),
    RouteNeed::post("/users/{name}", Need::AnyOf(&[Right::ManageUsers])),
    RouteNeed::post("/users/{name}/password", Need::AnyOf(&[Right::ManageUsers])),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_page).post(create_submit))
        .route("/users/{name}", get(user_page).post(change_submit))
        .route("/users/{name}/password", post(reset_submit))
}

impl Page {
    pub fn can_manage_users(&self) -> bool {
        self.user.as_ref().is_some_and(users::may_manage)
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTemplate {
    page: Page,
    users: Vec<ManagedUser>,
    roles: Vec<Role>,
}

async fn list_page(State(state): State<AppState>, pu: PageUser) -> Response {
    let PageUser { page, jar } = pu;
    let user = page.user.clone().expect("signed in");
    let shown = async {
        let list = users::list(&state, &user).await?;
        let roles = users::roles_given(&state, &user).await?;
        Ok::<_, users::UsersError>((list, roles))
    };
    match shown.await {
        Ok((users, roles)) => (jar, render(&UsersTemplate { page, users, roles })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserTemplate {
    page: Page,
    user: ManagedUser,
    changes: Vec<UserChangeView>,
    roles: Vec<Role>,
    yourself: bool,
}

async fn user_page(State(state): State<AppState>, pu: PageUser, Path(name): Path<String>) -> Response {
    let PageUser { page, jar } = pu;
    let me = page.user.clone().expect("signed in");
    let shown = async {
        let (user, changes) = users::one(&state, &me, &name).await?;
        let roles = users::roles_given(&state, &me).await?;
        Ok::<_, users::UsersError>((user, changes, roles))
    };
    match shown.await {
        Ok((user, changes, roles)) => {
            let yourself = user.username == me.username;
            let mut page = page;
            page.know(&state, changes.iter().map(|c| c.by.as_str())).await;
            (jar, render(&UserTemplate { page, user, changes, roles, yourself })).into_response()
        }
        Err(e) => error_page(page, jar, e),
    }
}

#[derive(Template)]
#[template(path = "user_password.html")]
struct PasswordTemplate {
    page: Page,
    issued: IssuedPassword,
}

#[derive(Deserialize)]
struct NewUserForm {
    username: String,
    #[serde(default)]
    display_name: String,
    role: String,
    scope: String,
}

async fn create_submit(State(state): State<AppState>, pu: PageUser, Form(f): Form<NewUserForm>) -> Response {
    let PageUser { page, jar } = pu;
    let me = page.user.clone().expect("signed in");
    let req = NewUserRequest {
        username: f.username,
        display_name: Some(f.display_name),
        role: f.role,
        scope: f.scope,
    };
    match users::create(&state, &me, &req).await {
        Ok(issued) => (jar, render(&PasswordTemplate { page, issued })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}

/// The change form: empty fields are left as they are; `disabled` is "true", "false" or empty.
#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    disabled: String,
    #[serde(default)]
    reason: String,
    /// Sent by the change form only (empty there unlinks); absent, the link stays.
    #[serde(default)]
    worker_id: Option<String>,
}

fn given(s: String) -> Option<String> {
    Some(s).filter(|s| !s.trim().is_empty())
}

async fn change_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(name): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let me = page.user.clone().expect("signed in");
    let disabled = match f.disabled.as_str() {
        "" => Ok(None),
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(ApiError::invalid("disabled", "true or false")),
    };
    let r = match disabled {
        Ok(disabled) => {
            let patch = UserPatch {
                display_name: given(f.display_name),
                role: given(f.role),
                scope: given(f.scope),
                disabled,
                reason: given(f.reason),
                worker_id: f.worker_id,
            };
            users::change(&state, &me, &name, &patch)
                .await
                .map(|u| format!("/users/{}", crate::web::urlencode(&u.username)))
                .map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    back(page, jar, r)
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    reason: String,
}

async fn reset_submit(
    State(state): State<AppState>,
    pu: PageUser,
    Path(name): Path<String>,
    Form(f): Form<ResetForm>,
) -> Response {
    let PageUser { page, jar } = pu;
    let me = page.user.clone().expect("signed in");
    match users::reset_password(&state, &me, &name, given(f.reason).as_deref()).await {
        Ok(issued) => (jar, render(&PasswordTemplate { page, issued })).into_response(),
        Err(e) => error_page(page, jar, e),
    }
}
