//! The transmission chain (传播链): the clusters of the cases a user may see, and its drawing.

use std::collections::HashMap;

use cordon_domain::CaseClass;
use cordon_domain::chain::{ChainCase, layout};
use cordon_store::{ChainRow, User};

use super::error::CaseError;
use super::service::*;
use crate::AppState;

/// The chain of every case: a picture (SVG) and the clusters, largest first. Cases carry no
/// personal field here, so the whole city's chain may be drawn for any reader of cases; a case
/// outside the reader's areas is not a link.
pub async fn chain(
    state: &AppState,
    user: &User,
    highlight: Option<i64>,
) -> Result<(String, Vec<ClusterView>), CaseError> {
    require_view(user)?;
    Ok(chain_picture(&state.store.chain().await?, user, highlight))
}

/// The chain of `rows` drawn for `user` (their cases are links), `highlight` ringed, and its
/// clusters.
pub fn chain_picture(rows: &[ChainRow], user: &User, highlight: Option<i64>) -> (String, Vec<ClusterView>) {
    let cases: Vec<ChainCase> =
        rows.iter().map(|r| ChainCase { id: r.id, source: r.source_case_id }).collect();
    let l = layout(&cases);
    let by_id: HashMap<i64, &ChainRow> = rows.iter().map(|r| (r.id, r)).collect();
    let clusters = l
        .clusters
        .iter()
        .map(|members| {
            let root = by_id[&members[0]];
            let (label_zh, label_en) = labels(root.id, root.class);
            let confirmed = members.iter().filter(|m| by_id[m].class == CaseClass::Confirmed).count();
            ClusterView {
                root: ChainEntry { id: root.id, label_zh, label_en, class: root.class, source_case_id: None },
                cases: members.len(),
                confirmed,
                asymptomatic: members.len() - confirmed,
            }
        })
        .collect();
    let svg = crate::web::map::chain_svg(
        &l,
        |id| {
            let r = by_id[&id];
            (labels(r.id, r.class).0, r.class, user.scope_path.contains(&r.path))
        },
        highlight,
    );
    (svg, clusters)
}
