//! `cordon round` and `cordon pool-size`: testing rounds, and the pool size with the fewest tests.

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::common::{DEFAULT_DB, DbArg, acting_user, api_error, open};

#[derive(Subcommand)]
pub(crate) enum RoundCommand {
    /// Plan a round over an area: samples files name it by its key.
    Open {
        /// The round_id samples files carry.
        #[arg(long)]
        key: String,
        #[arg(long)]
        name: String,
        /// The area tested (a code of the register).
        #[arg(long)]
        area: String,
        /// When sampling ends (RFC 3339 or YYYY-MM-DD HH:MM:SS, local time).
        #[arg(long)]
        deadline: String,
        /// When sampling starts (default: now).
        #[arg(long)]
        starts: Option<String>,
        #[command(flatten)]
        acting: ActingArg,
        #[command(flatten)]
        db: DbArg,
    },
    /// List the rounds, open first.
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Args)]
pub(crate) struct ActingArg {
    /// The user the work is done as: their role and areas decide what is allowed.
    #[arg(long = "as", default_value = "admin")]
    pub(crate) acting: String,
}

#[derive(Args)]
pub(crate) struct PoolSizeArgs {
    /// The expected share of positives, 0 to 1 (0.001 is one in a thousand).
    #[arg(long)]
    pub(crate) prevalence: f64,
    /// The largest pool (the dilution limit of the 2022 guides: 20).
    #[arg(long, default_value_t = 20)]
    pub(crate) max_pool: u32,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) async fn round(cmd: RoundCommand) -> Result<()> {
    match cmd {
        RoundCommand::Open { key, name, area, deadline, starts, acting, db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let user = acting_user(&store, &acting.acting).await?;
            let tz = cordon_import::DEFAULT_TZ;
            let time = |field: &str, s: &str| {
                cordon_import::parse_time(s, tz).map_err(|e| anyhow::anyhow!("--{field}: {e}"))
            };
            let req = cordon_server::testing::RoundRequest {
                round_key: Some(key),
                name,
                name_en: None,
                area_code: area,
                starts_at: starts.as_deref().map(|s| time("starts", s)).transpose()?,
                deadline: time("deadline", &deadline)?,
            };
            let state = cordon_server::AppState::new(store, cordon_server::Config::default());
            let r = cordon_server::testing::create_round(&state, &user, req).await.map_err(api_error)?;
            println!(
                "{}\t{}\t{} {}\tuntil {}",
                r.id,
                r.round_key,
                r.area_name,
                r.name,
                r.deadline.with_timezone(&tz)
            );
        }
        RoundCommand::List { db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            for r in store.rounds(&cordon_domain::AreaPath::root(), true, 10_000).await? {
                let state = if r.closed_at.is_some() { "closed" } else { "open" };
                println!("{}\t{}\t{}\t{}\t{}", r.id, r.round_key, state, r.area_name, r.name);
            }
        }
    }
    Ok(())
}

pub(crate) fn pool_size(a: &PoolSizeArgs) -> Result<()> {
    let (k, e, schemes) = cordon_server::testing::advise(a.prevalence, a.max_pool).map_err(api_error)?;
    if a.json {
        let v = serde_json::json!({
            "prevalence": a.prevalence,
            "pool_size": k,
            "tests_per_person": e,
            "max_pool": a.max_pool,
            "schemes": schemes,
        });
        println!("{v}");
    } else {
        println!("prevalence {}: pool {k}, {e:.4} tests per person (Dorfman)", a.prevalence);
        for s in &schemes {
            let sub = s.sub_pool.map(|k2| format!(", then {k2}")).unwrap_or_default();
            println!(
                "  {:<12} pool {:>2}{sub:<10} {:.4} tests per person, {} stage(s)",
                s.scheme, s.pool_size, s.tests_per_person, s.stages
            );
        }
    }
    Ok(())
}
