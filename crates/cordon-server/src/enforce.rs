//! The layer that holds every request to its route's declared need (`access`) before any
//! handler runs. Apart from the table itself because it answers pages as well as the API: the
//! capabilities and the layout import the table, and only `lib.rs` this layer.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cordon_domain::Need;

use crate::AppState;
use crate::access::Table;
use crate::http::auth::ResolvedResident;
use crate::http::auth::{self, Resolved};
use crate::http::error::ApiError;
use crate::resident;
use crate::web;

/// The layer: a request to a declared route goes on when its need is met; a signed-out caller is
/// sent to sign in (a page) or answered 401 (the API); a caller without the right is refused
/// (403) before the handler reads anything. The session it resolved goes on with the request.
pub async fn enforce(
    State((state, table)): State<(AppState, Table)>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    // No route matched: the fallback answers 404.
    let Some(matched) = matched else { return next.run(request).await };
    let api = matched.as_str().starts_with("/api/");
    let Some(need) = table.need(request.method(), matched.as_str()) else {
        tracing::error!(method = %request.method(), route = matched.as_str(), "a route without a declared need");
        return ApiError::Forbidden("this route declares no right, so it is closed".into()).into_response();
    };
    if need == Need::Open {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let resident_token = auth::bearer(&parts.headers).filter(|t| resident::is_token(t)).map(str::to_owned);
    if need == Need::Resident {
        // A resident's route answers a resident's live session only (the bearer for the API,
        // the resident's cookie for the pages): a staff sign-in is refused.
        let token = match &resident_token {
            Some(t) => Some(t.clone()),
            None if !api => auth::cookie(&parts.headers, resident::COOKIE).filter(|t| resident::is_token(t)),
            None => None,
        };
        let session = match &token {
            Some(t) => match resident::session_of(&state, t).await {
                Ok(s) => s,
                Err(e) => return ApiError::from(e).into_response(),
            },
            None => None,
        };
        if let Some(s) = session {
            parts.extensions.insert(ResolvedResident(s));
            return next.run(Request::from_parts(parts, body)).await;
        }
        // A live staff sign-in is refused; anything else is not signed in.
        return match auth::session_user(&parts, &state).await {
            Ok(Some(_)) => ApiError::Forbidden(
                "this route is a resident's: sign in with the code sent to your phone".into(),
            )
            .into_response(),
            Ok(None) if api => ApiError::Unauthorized.into_response(),
            Ok(None) => axum::response::Redirect::to(resident::SIGN_IN_PAGE).into_response(),
            Err(e) => e.into_response(),
        };
    }
    if let Some(t) = &resident_token {
        // A resident's live session opens no staff route: refused, not sent to sign in.
        match resident::session_of(&state, t).await {
            Ok(Some(_)) => {
                return ApiError::Forbidden(
                    "a resident's sign-in opens only the resident's routes (/api/v1/resident/…)".into(),
                )
                .into_response();
            }
            Ok(None) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let user = match auth::session_user(&parts, &state).await {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    match user {
        None if api => return ApiError::Unauthorized.into_response(),
        None => return web::sign_in_redirect(&parts).into_response(),
        Some(ref u) if !u.meets(need) => {
            let refused = ApiError::Forbidden(format!(
                "this needs a right your role does not hold: {}",
                need.names().replace(", ", " or ")
            ));
            return if api {
                refused.into_response()
            } else {
                web::refusal_page(&parts, &state, u.clone(), refused)
            };
        }
        Some(_) => {}
    }
    parts.extensions.insert(Resolved(user));
    next.run(Request::from_parts(parts, body)).await
}
