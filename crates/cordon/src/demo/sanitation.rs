//! The demo's sanitation (消杀清运): the index case's pick-up ordered the terminal disinfection
//! of their home and of their building's stairs (the transfer step wrote them); the district's
//! team did the stairs within hours and is on its way to the home. The compound's public areas
//! have a preventive disinfection ordered this morning. Every building of a sealed zone was
//! collected yesterday; this morning's round has reached the first half, so the rest are
//! overdue on the community's board — their homes with a case or a contact at home counted
//! apart. Everything goes through the services a user's action calls.

use std::sync::Arc;

use anyhow::Result;
use chrono::{Duration, Utc};
use cordon_domain::sanitation::DisinfectionKind;
use cordon_server::sanitation::{self, CollectionRequest, DisinfectionRequest, DoneRequest, TeamRequest};
use cordon_store::Store;

use crate::common::{acting_user, api_error};

/// 呼铁佳园C区: the story's compound.
const COMPOUND: &str = "150102001001001";
/// The most buildings the demo's waste rounds visit.
const MOST_BUILDINGS: usize = 200;

pub(crate) async fn seed_sanitation(store: &Arc<dyn Store>) -> Result<()> {
    let started = std::time::Instant::now();
    let office = acting_user(store, "xincheng").await?;
    let now = Utc::now();
    let clock = cordon_server::Clock::set_at(now);
    let tz = chrono_tz::Asia::Shanghai;
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() })
            .with_clock(clock.clone());
    let api = |e: sanitation::SanitationError| api_error(e);

    // The index case's home and stairs: a team to both, the stairs done.
    let tasks = sanitation::disinfections(&state, &office, true).await.map_err(api)?;
    let mut done = 0;
    for t in &tasks {
        let team = TeamRequest { team: "新城区消杀一队".into() };
        sanitation::assign(&state, &office, t.id, &team).await.map_err(api)?;
        if t.kind == DisinfectionKind::Stairs {
            let at = (t.created_at + Duration::hours(3)).min(now);
            let req = DoneRequest {
                at: Some(at),
                note: "含氯消毒剂 1000mg/L，楼道、电梯轿厢、扶手、门把手全覆盖".into(),
            };
            sanitation::complete(&state, &office, t.id, &req).await.map_err(api)?;
            done += 1;
        }
    }
    let preventive = DisinfectionRequest {
        kind: DisinfectionKind::Area,
        area_code: COMPOUND.into(),
        reason: "小区公共区域、快递外卖暂存点每日预防性消杀".into(),
        hours: Some(10),
    };
    sanitation::order(&state, &office, &preventive).await.map_err(api)?;

    // Waste: every sealed building yesterday morning; the first half again this morning.
    let board = sanitation::waste(&state, &office).await.map_err(api)?;
    let buildings = &board.buildings[..board.buildings.len().min(MOST_BUILDINGS)];
    let yesterday = now - Duration::hours(30);
    let morning = now - Duration::hours(4);
    let mut collected = 0;
    for (round, at) in [(buildings, yesterday), (&buildings[..buildings.len() / 2], morning)] {
        for (i, b) in round.iter().enumerate() {
            if b.sealed_at > at {
                continue;
            }
            let apart = u32::try_from(b.apart_homes).unwrap_or(0);
            let req = CollectionRequest {
                building: b.building.to_string(),
                collected_at: Some(at + Duration::minutes(i as i64 % 120)),
                team: "海拉尔东路环卫二班".into(),
                bags: 6 + (i as u32 % 9),
                apart_bags: apart,
                note: String::new(),
            };
            sanitation::collect(&state, &office, &req).await.map_err(api)?;
            collected += 1;
        }
    }
    eprintln!(
        "seeded sanitation: {} disinfections from the index case's pick-up ({done} done), {collected} collections over {} sealed buildings in {:.1} s",
        tasks.len(),
        buildings.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
