//! The register's own recent past in 公主府社区: people its grid worker registered (a newborn, a
//! tenant who arrived), one who moved within the community, one who moved out of the city and
//! one who died — through the same service a clerk's form calls, so each line of their history
//! is one the product would have written.

use std::sync::Arc;

use anyhow::Result;
use chrono::Datelike;
use cordon_domain::PersonRow;
use cordon_server::register::entries::{self, NewPersonRequest, PersonPatch};
use cordon_store::Store;

use crate::common::acting_user;

fn entry_error(e: entries::EntryError) -> anyhow::Error {
    anyhow::anyhow!("seeding the register: {e}")
}

pub(crate) async fn seed_register(store: &Arc<dyn Store>, people: &[PersonRow]) -> Result<()> {
    let started = std::time::Instant::now();
    let tz = chrono_tz::Asia::Shanghai;
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let grid = acting_user(store, "gongzhufu").await?;
    let mine: Vec<&PersonRow> =
        people.iter().filter(|p| p.household.as_str().starts_with(grid.scope.as_str())).collect();
    // Households of the middle of the community, away from the first ones the other stories use.
    let Some(rest) = mine.get(mine.len() / 2..).filter(|r| r.len() >= 40) else { return Ok(()) };
    let route = "demo: the register kept";
    let this_year = chrono::Utc::now().with_timezone(&tz).year();
    let surname = |p: &PersonRow| p.name.chars().next().map(String::from).unwrap_or_default();
    let born = NewPersonRequest {
        household: rest[0].household.to_string(),
        name: format!("{}小满", surname(rest[0])),
        birth_year: this_year,
        sex: "female".into(),
        reason: Some("新生儿出生登记（社区卫生服务站通知）".into()),
        ..Default::default()
    };
    entries::add(&state, &grid, &born, route).await.map_err(entry_error)?;
    let tenant = NewPersonRequest {
        household: rest[10].household.to_string(),
        name: "孙建华".into(),
        birth_year: 1991,
        sex: "male".into(),
        phone: Some("13847100000".into()),
        reason: Some("新租户迁入，入户排查时登记".into()),
        ..Default::default()
    };
    entries::add(&state, &grid, &tenant, route).await.map_err(entry_error)?;

    let change = |status: Option<&str>, household: Option<String>, reason: &str| PersonPatch {
        status: status.map(str::to_owned),
        household,
        reason: Some(reason.to_owned()),
        ..Default::default()
    };
    let moved_in = rest.iter().find(|p| p.household != rest[20].household).expect("two households");
    let home = change(None, Some(rest[20].household.to_string()), "搬至同小区子女家照料");
    entries::change(&state, &grid, moved_in.person_id.as_str(), &home, route).await.map_err(entry_error)?;
    let away = change(Some("moved_out"), None, "随子女迁往外地，户籍已迁出");
    entries::change(&state, &grid, rest[30].person_id.as_str(), &away, route).await.map_err(entry_error)?;
    let eldest = rest[31..].iter().filter(|p| p.birth_year.is_some()).min_by_key(|p| p.birth_year);
    if let Some(eldest) = eldest {
        let died = change(Some("deceased"), None, "病故（家属报告，已核实死亡证明）");
        entries::change(&state, &grid, eldest.person_id.as_str(), &died, route).await.map_err(entry_error)?;
    }
    eprintln!(
        "seeded the register's changes (2 registered, 1 moved, 2 left) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
