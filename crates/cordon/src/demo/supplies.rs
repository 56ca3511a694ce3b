//! The demo's supplies (保供): the district's distribution point, stocked three days ago, and a
//! round of vegetable bundles begun this morning over 呼铁佳园C区 (the controlled compound with
//! its sealed building) — the cadre has reached the vulnerable households first and some more,
//! one door did not answer, the rest are still open and, their zones being days old, overdue
//! on the community's board. The first door's call for vegetables is fulfilled by its package. Everything goes through the services a user's action calls.

use std::sync::Arc;

use anyhow::Result;
use chrono::{Duration, Utc};
use cordon_domain::supplies::{DeliveryOutcome, SupplyItem};
use cordon_server::needs::{self, NeedRequest};
use cordon_server::supplies::{
    self, DeliveryOutcomeRequest, DistributionRequest, StockMoveRequest, SupplyPointRequest,
};
use cordon_store::Store;

use crate::common::{acting_user, api_error};

/// 呼铁佳园C区: the story's controlled compound.
const COMPOUND: &str = "150102001001001";
const POINT: &str = "SP-XINCHENG-01";

pub(crate) async fn seed_supplies(store: &Arc<dyn Store>) -> Result<()> {
    let started = std::time::Instant::now();
    let office = acting_user(store, "xincheng").await?;
    let cadre = acting_user(store, "cadre").await?;
    let district = office.scope.to_string();
    let now = Utc::now();
    let clock = cordon_server::Clock::set_at(now - Duration::days(3));
    let tz = chrono_tz::Asia::Shanghai;
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() })
            .with_clock(clock.clone());
    let api = |e: supplies::SuppliesError| api_error(e);
    let point =
        SupplyPointRequest {
            id: POINT.into(), name: "新城区海拉尔东路保供点".into(), area_code: district
        };
    supplies::create_point(&state, &office, &point).await.map_err(api)?;
    for (item, quantity, reason) in [
        (SupplyItem::Vegetables, 3_000, "美团、盒马保供车到货"),
        (SupplyItem::RiceOil, 1_200, "区商务局调拨"),
        (SupplyItem::MedicineKit, 400, "区卫健委调拨"),
        (SupplyItem::BabyFormula, 120, "爱心企业捐赠"),
    ] {
        let m = StockMoveRequest { item, quantity, reason: reason.into() };
        supplies::move_stock(&state, &office, POINT, &m).await.map_err(api)?;
    }
    // The round, this morning; the cadre's doors, the vulnerable first.
    clock.set(now - Duration::hours(6));
    let round = DistributionRequest {
        area_code: COMPOUND.into(),
        point_id: POINT.into(),
        item: SupplyItem::Vegetables,
        note: "每户一份蔬菜包，重点人群优先".into(),
    };
    let round = supplies::plan_round(&state, &office, &round).await.map_err(api)?;
    // The first door had called the grid worker at dawn: no vegetables left. The round's
    // package fulfils the request, resolved with the delivery.
    let first = supplies::round(&state, &cadre, round.id, None).await.map_err(api)?;
    if let Some(door) = first.buildings.iter().flat_map(|b| &b.deliveries).next() {
        let grid = acting_user(store, "gongzhufu").await?;
        let ask = NeedRequest {
            household_code: door.household.to_string(),
            person_id: None,
            category: "food".into(),
            emergency: false,
            contact_phone: None,
            description: "家里蔬菜吃完了，老人不会网上抢菜".into(),
        };
        needs::raise(&state, &grid, ask, now - Duration::hours(7)).await.map_err(api_error)?;
    }
    let detail = supplies::round(&state, &cadre, round.id, None).await.map_err(api)?;
    let doors: Vec<_> = detail.buildings.iter().flat_map(|b| &b.deliveries).collect();
    let (mut delivered, mut away, mut fulfilled) = (0, 0, 0);
    for (i, d) in doors.iter().enumerate() {
        // A third of the doors reached this morning, the vulnerable among them; one not home.
        let outcome = match i {
            _ if d.vulnerable || i % 3 == 0 => DeliveryOutcome::Delivered,
            _ if i % 7 == 1 => DeliveryOutcome::NobodyHome,
            _ => continue,
        };
        clock.set(now - Duration::hours(5) + Duration::minutes(i as i64 % 240));
        let note = match outcome {
            DeliveryOutcome::NobodyHome => "敲门无人应答，已电话联系".to_owned(),
            _ => String::new(),
        };
        let fulfils = d.open_request.filter(|_| outcome == DeliveryOutcome::Delivered);
        fulfilled += usize::from(fulfils.is_some());
        supplies::record(&state, &cadre, d.id, &DeliveryOutcomeRequest { outcome, note, fulfils })
            .await
            .map_err(api)?;
        match outcome {
            DeliveryOutcome::Delivered => delivered += 1,
            _ => away += 1,
        }
    }
    eprintln!(
        "seeded supplies: a point with four kinds of stock, a round over {} households ({delivered} delivered, {fulfilled} fulfilling a request, {away} not at home) in {:.1} s",
        round.households,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
