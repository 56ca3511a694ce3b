//! The story compound's leader on their own phone: the district office links the `cadre`
//! sign-in to the worker of the roster who leads 呼铁佳园C区, and the cadre reports in and goes
//! on duty through the same service the duty page calls.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use cordon_domain::AreaCode;
use cordon_domain::workforce::Post;
use cordon_server::users::{self, UserPatch};
use cordon_server::workforce::{self, DutyRequest};
use cordon_store::{Store, UnitRef};

use crate::common::acting_user;

pub(crate) async fn seed_duty(store: &Arc<dyn Store>) -> Result<()> {
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let cadre = acting_user(store, "cadre").await?;
    let staffing = store.staffing(&cadre.scope_path, chrono::Utc::now()).await?;
    let leader = staffing
        .iter()
        .find(|s| s.post == Post::Leader && matches!(&s.unit, UnitRef::Area(a) if *a == cadre.scope));
    let Some(leader) = leader else { return Ok(()) };
    let office = acting_user(store, "xincheng").await?;
    let link = UserPatch {
        worker_id: Some(leader.worker_id.clone()),
        reason: Some("小区包联负责人本人手机报到".into()),
        ..Default::default()
    };
    users::change(&state, &office, "cadre", &link).await.map_err(|e| anyhow!("linking the cadre: {e}"))?;
    let cadre = acting_user(store, "cadre").await?;
    let today = workforce::my_duty(&state, &cadre).await.map_err(|e| anyhow!("{e}"))?;
    let community: Option<AreaCode> =
        today.reported_to.clone().or_else(|| today.communities.first().map(|c| c.code.clone()));
    let req = DutyRequest { action: "report_in".into(), community_code: community.map(|c| c.to_string()) };
    workforce::act(&state, &cadre, &req).await.map_err(|e| anyhow!("the cadre reporting in: {e}"))?;
    eprintln!("seeded the compound leader's sign-in, reported in and on duty");
    Ok(())
}
