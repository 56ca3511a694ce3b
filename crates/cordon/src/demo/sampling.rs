//! The sampling team of today's round: the street office gives its sampler the buildings with
//! the most people still to sample — walking down the sweep's places as the round's team page
//! does — so `sampler`'s field page opens on a post of real doors. Through the same service the
//! team page calls.

use std::sync::Arc;

use anyhow::Result;
use cordon_domain::AreaLevel;
use cordon_server::{sampling, testing};
use cordon_store::Store;

use crate::common::{acting_user, api_error};

/// How many buildings the demo's sampler is given.
const BUILDINGS: usize = 3;

pub(crate) async fn seed_team(store: &Arc<dyn Store>) -> Result<()> {
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let office = acting_user(store, "hailaer").await?;
    let Some(round) = testing::rounds(&state, &office, false).await.map_err(api_error)?.into_iter().next()
    else {
        return Ok(());
    };
    // Down the places most still to sample, to the buildings.
    let mut at: Option<String> = None;
    let buildings = loop {
        let places =
            testing::sweep_places(&state, &office, round.id, at.as_deref()).await.map_err(api_error)?;
        let Some(first) = places.first() else { return Ok(()) };
        if first.level >= AreaLevel::Building {
            break places.into_iter().filter(|p| p.missing > 0).take(BUILDINGS).collect::<Vec<_>>();
        }
        at = Some(first.code.to_string());
    };
    for b in &buildings {
        sampling::give_building(&state, &office, round.id, b.code.as_str(), "sampler")
            .await
            .map_err(|e| anyhow::anyhow!("giving {} to the sampler: {e}", b.name))?;
    }
    eprintln!("gave the sampler {} buildings of round {}", buildings.len(), round.name);
    Ok(())
}
