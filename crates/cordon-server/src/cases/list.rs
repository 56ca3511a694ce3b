//! The cases list a page at a time: narrowed to open ones or one outcome, and to a sampling day.

use cordon_store::User;

use super::error::CaseError;
use super::service::{CaseView, case_views, require_view};
use crate::AppState;

/// Which cases a list shows: still open, or with one outcome; sampled on one local day; a page
/// of `limit` from `offset`.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub open_only: bool,
    pub outcome: Option<cordon_domain::CaseOutcome>,
    pub sampled_on: Option<chrono::NaiveDate>,
    pub limit: u32,
    pub offset: u32,
}

/// The cases of the user's areas that `f` asks for, newest sample first.
pub async fn list_filtered(
    state: &AppState,
    user: &User,
    f: &CaseFilter,
    route: &str,
) -> Result<Vec<CaseView>, CaseError> {
    require_view(user)?;
    let day = f.sampled_on.map(|d| crate::gates::day_bounds(state, d));
    let q = cordon_store::CaseListQuery {
        open_only: f.open_only,
        outcome: f.outcome,
        sampled_from: day.map(|d| d.0),
        sampled_before: day.map(|d| d.1),
        limit: f.limit.clamp(1, 5000),
        offset: f.offset,
    };
    let cases = state.store.case_list(&user.scope_path, &q).await?;
    case_views(state, user, &cases, route).await
}
