//! The sweep's doors in 公主府社区 this morning: its grid worker knocked at the last doors of
//! today's list — nobody home at some (one of them twice), a refusal, a family gone, and two
//! people living there whom the register did not know: a tenant, sampled on the spot and sent in
//! a tube, and a bedridden grandmother, left for the sampling team's home visits. All through the
//! same services the sweep page and a phone call, so the list and the round's figures show what
//! the product would have recorded.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use cordon_server::doors::{self, DoorEntryRequest, DoorsRequest};
use cordon_server::register::entries::NewPersonRequest;
use cordon_server::testing;
use cordon_store::Store;

use crate::common::{acting_user, api_error};

pub(crate) async fn seed_doors(store: &Arc<dyn Store>) -> Result<()> {
    let started = std::time::Instant::now();
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let grid = acting_user(store, "gongzhufu").await?;
    let Some(round) = testing::rounds(&state, &grid, false).await.map_err(api_error)?.into_iter().next()
    else {
        return Ok(());
    };
    let list =
        testing::sweep(&state, &grid, round.id, None, testing::SweepPage { after: None, limit: 10_000 })
            .await
            .map_err(api_error)?;
    // The end of the list: the first doors are the ones a reader of the demo tries first.
    let Some(tail) = list.people.get(list.people.len().saturating_sub(8)..).filter(|t| t.len() == 8) else {
        return Ok(());
    };
    let route = "demo: the sweep's doors";
    let door = |i: usize, outcome: &str, reason: &str| DoorEntryRequest {
        outcome: outcome.into(),
        person_id: Some(tail[i].person_id.clone()),
        reason: Some(reason.into()).filter(|r: &String| !r.is_empty()),
        ..Default::default()
    };
    let found = |name: &str, birth_year: i32, sex: &str, tags: &[&str], reason: &str, sampled: bool| {
        DoorEntryRequest {
            outcome: "found".into(),
            person: Some(NewPersonRequest {
                household: tail[7].household.to_string(),
                name: name.into(),
                birth_year,
                sex: sex.into(),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                reason: Some(reason.into()),
                ..Default::default()
            }),
            sampled,
            ..Default::default()
        }
    };
    let morning = DoorsRequest {
        entries: vec![
            door(0, "not_home", ""),
            door(1, "not_home", "邻居说白天在医院陪护"),
            door(2, "refused", "担心交叉感染，拒绝开门；已请社区医生电话沟通"),
            door(3, "moved_out", "房屋已出租，原住户搬至赛罕区子女家"),
            found("孙丽", 1993, "female", &[], "扫楼入户发现：新租户，未登记", true),
            found(
                "周桂兰",
                1941,
                "female",
                &["bedridden"],
                "扫楼入户发现：卧床老人，随女儿居住，未登记",
                false,
            ),
        ],
    };
    let done =
        doors::record_doors(&state, &grid, round.id, &morning, route).await.map_err(|e| anyhow!("{e}"))?;
    let tenant = done.registered.first().ok_or_else(|| anyhow!("the tenant was not registered"))?;
    // Her swab went into the door team's single tube, sent like any other.
    let tube = format!("{}-DOOR-1", round.round_key);
    testing::record_tube(&state, &grid, round.id, &tube, "上门采样", std::slice::from_ref(tenant), None)
        .await
        .map_err(api_error)?;
    // Back in the afternoon: still nobody at the first door.
    let afternoon = DoorsRequest { entries: vec![door(0, "not_home", "下午复访仍无人应答")] };
    doors::record_doors(&state, &grid, round.id, &afternoon, route).await.map_err(|e| anyhow!("{e}"))?;
    eprintln!(
        "seeded the sweep's doors ({} visits, {} found and registered) in {:.1} s",
        done.visits.len() + 1,
        done.registered.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
