//! The courses of the month's cases: each admitted to the designated hospital (confirmed) or
//! isolated at the cabin hospital (asymptomatic) when it was found, and discharged once the
//! hospital's two negative tests a day apart came in — recorded by the epidemiologist through
//! the same service the case page calls, so each recovery meets the discharge rule of its
//! profile, and the gate lets a recovered resident through by the rules of where they live.

use std::sync::Arc;

use anyhow::Result;
use chrono::{Duration, Utc};
use cordon_domain::{AreaPath, CaseClass};
use cordon_server::cases::{self, OutcomeRequest};
use cordon_store::Store;

use crate::common::{acting_user, api_error};

pub(crate) async fn seed_outcomes(store: &Arc<dyn Store>) -> Result<()> {
    let started = std::time::Instant::now();
    let tz = chrono_tz::Asia::Shanghai;
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let epi = acting_user(store, "epi").await?;
    let now = Utc::now();
    let (mut placed, mut recovered) = (0, 0);
    for case in store.cases(&AreaPath::root(), 100_000).await? {
        // Today's cases are still being handled: the story of the demo's own day.
        if case.outcome.is_some() || now - case.sampled_at < Duration::days(2) {
            continue;
        }
        let (outcome, place, stay) = match case.class {
            CaseClass::Confirmed => ("hospitalised", "呼和浩特市第二医院（定点医院）", 10),
            CaseClass::Asymptomatic => ("isolated", "呼和浩特市方舱医院", 7),
        };
        let at = case.isolated_at.unwrap_or(case.sampled_at + Duration::hours(4)).min(now);
        let req = OutcomeRequest {
            outcome: outcome.into(),
            at: Some(at),
            place: Some(place.into()),
            negative_tests: vec![],
        };
        cases::record(&state, &epi, case.id, &req).await.map_err(api_error)?;
        placed += 1;
        let discharged = case.sampled_at + Duration::days(stay) + Duration::hours(10);
        if discharged > now {
            continue;
        }
        let req = OutcomeRequest {
            outcome: "recovered".into(),
            at: Some(discharged),
            place: Some(place.into()),
            negative_tests: vec![discharged - Duration::hours(30), discharged - Duration::hours(4)],
        };
        cases::record(&state, &epi, case.id, &req).await.map_err(api_error)?;
        recovered += 1;
    }
    eprintln!(
        "seeded the courses of {placed} cases ({recovered} discharged) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
