//! `cordon report daily`: the briefing of an area for a local day.

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::common::{DEFAULT_DB, DbArg, open};

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// The briefing of an area for a local day, written from that day's figures, with the
    /// definition of each: Markdown or a print-ready HTML page, to standard output.
    Daily(DailyArgs),
}

#[derive(Args)]
pub(crate) struct DailyArgs {
    /// The local day, YYYY-MM-DD.
    #[arg(long)]
    pub(crate) date: String,
    /// The area's code (the city, a district, a street, a community…).
    #[arg(long)]
    pub(crate) area: String,
    /// zh, en, or both (one after the other).
    #[arg(long, default_value = "both")]
    pub(crate) lang: String,
    /// md or html.
    #[arg(long, default_value = "md")]
    pub(crate) format: String,
    #[command(flatten)]
    pub(crate) db: DbArg,
}

pub(crate) async fn report_daily(a: DailyArgs) -> Result<()> {
    use cordon_domain::briefing::Lang;
    let langs = match a.lang.as_str() {
        "both" => vec![Lang::Zh, Lang::En],
        other => {
            vec![Lang::parse(other).ok_or_else(|| anyhow::anyhow!("--lang: zh, en or both, not {other:?}"))?]
        }
    };
    let html = match a.format.as_str() {
        "md" | "markdown" => false,
        "html" => true,
        other => anyhow::bail!("--format: md or html, not {other:?}"),
    };
    let day = cordon_server::briefing::parse_date(&a.date).map_err(|e| anyhow::anyhow!("--date: {e}"))?;
    let store = open(&a.db.url(DEFAULT_DB)).await?;
    let state = cordon_server::AppState::new(store, cordon_server::Config::default());
    let text = cordon_server::briefing::report(&state, &a.area, day, &langs, html)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    print!("{text}");
    Ok(())
}
