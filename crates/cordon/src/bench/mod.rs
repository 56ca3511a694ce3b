//! `cordon bench`: benchmarks on generated data of a stated size, each beside its peer in the
//! same run (results in BENCHMARKS.md). Built only with the `bench` feature, so the binary that
//! ships to a command post carries none of it.

use anyhow::Result;
use clap::{Args, Subcommand};

mod contacts;
mod dashboard;
mod distribution;
mod duplicates;
mod gates;
mod lists;
mod load;
mod needs;
mod outbox;
mod register;
mod report;
mod stats;
mod summary;
mod testing;
mod trace;
mod transfers;
mod workforce;
mod zones;

/// `cordon bench [--json] JOB …`.
#[derive(Args)]
pub(crate) struct BenchArgs {
    /// After the job's own table, one JSON object per timed job, a line each (`job`,
    /// `backend`, `rows`, `cordon_s`, `runs`, `peer`, `peer_s`, `ratio`, then the job's own
    /// figures): what a script reads to rebuild BENCHMARKS.md's summary.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    job: BenchCommand,
}

#[derive(Subcommand)]
pub(crate) enum BenchCommand {
    /// Effective tiers and tier counts: every household from scratch, and the figures from the
    /// zones alone.
    Zones(zones::ZonesBench),
    /// The server's warm tracing: a batch of cases, one new case at a time, and the full
    /// self-join, on scans loaded once.
    Trace(trace::TraceBench),
    /// Samples and results files through the import, against the bare bulk load of the same
    /// files, and the sweep of a district.
    Testing(testing::TestingBench),
    /// The register's likely duplicates of a community, a district and the city, against the
    /// database's own grouping of the ID numbers' blind index.
    Duplicates(duplicates::DuplicatesBench),
    /// Gate decisions over HTTP at a steady rate against a server in its own process, beside
    /// its health check at the same rate.
    Gates(gates::GatesBench),
    /// The coverage report and the suggestions of a city, through the service, on a demo city
    /// grown to 20,000 zones and 60,000 workers.
    Workforce(workforce::WorkforceBench),
    /// The city's dashboard computed and served while it is recomputed behind the reads, and the
    /// export of the whole city's people as CSV against the database's own CSV writer.
    Dashboard(dashboard::DashboardBench),
    /// The board of a community with 5,000 open needs and the escalation sweep over 1,000,000,
    /// through the service, on a demo grown to those sizes.
    Needs(needs::NeedsBench),
    /// The nightly release of contacts whose plans are over, through the service, over a demo
    /// grown to a million contacts under management, beside the database's own read of the
    /// join it decides on.
    Contacts(contacts::ContactsBench),
    /// The register kept at a city's size: a day's mix of edits through the service, one at a
    /// time, each timed, beside the database's own bare one-row updates.
    Register(register::RegisterBench),
    /// A transfer plan for 5,000 people into 100 hotels of 200 rooms, through the service,
    /// beside the database's own listing of the same rooms and people.
    Transfers(transfers::TransfersBench),
    /// A distribution round (保供) over the district with the most households.
    Distribution(distribution::DistributionBench),
    /// A district's zone raised and stepped down, each writing a message per household in the
    /// change's transaction, beside the bare insert of the same rows; the sender draining them
    /// to a fake gateway, beside bare posts to it.
    Outbox(outbox::OutboxBench),
    /// The first page of each long list a worker opens on a phone (the sweep, a building's
    /// sweep, the needs board, cases, contacts, who reported in), through the services, each as
    /// the role that opens it; beside the database's shell reading the sweep's page bare.
    Lists(lists::ListsBench),
    /// The city's load (generated, sealed, written, indexed, counted), as `cordon demo` does it
    /// before its story, against the bare bulk load of the same people rows, in the same run.
    Load(load::LoadBench),
    /// BENCHMARKS.md's summary table from the `--json` lines of earlier runs, every goal of
    /// `bench/goals.toml` judged against the latest record that matches it; `--check` fails
    /// when a measured goal is missed.
    Summary(summary::SummaryArgs),
}

/// Runs one benchmark; with `--json`, its records are the last lines printed.
pub(crate) async fn run(args: BenchArgs) -> Result<()> {
    let mut r = report::Report::stamped();
    match &args.job {
        BenchCommand::Zones(b) => zones::run(b, &mut r)?,
        BenchCommand::Trace(b) => trace::bench(b, &mut r)?,
        BenchCommand::Testing(b) => testing::run(b, &mut r).await?,
        BenchCommand::Duplicates(b) => duplicates::bench(b, &mut r).await?,
        BenchCommand::Gates(b) => gates::bench(b, &mut r).await?,
        BenchCommand::Workforce(b) => workforce::bench(b, &mut r).await?,
        BenchCommand::Needs(b) => needs::bench(b, &mut r).await?,
        BenchCommand::Dashboard(b) => dashboard::bench(b, &mut r).await?,
        BenchCommand::Contacts(b) => contacts::bench(b, &mut r).await?,
        BenchCommand::Register(b) => register::bench(b, &mut r).await?,
        BenchCommand::Transfers(b) => transfers::bench(b, &mut r).await?,
        BenchCommand::Distribution(b) => distribution::bench(b, &mut r).await?,
        BenchCommand::Outbox(b) => outbox::bench(b, &mut r).await?,
        BenchCommand::Lists(b) => lists::bench(b, &mut r).await?,
        BenchCommand::Load(b) => load::bench(b, &mut r).await?,
        // It times nothing: it reads earlier runs' records, and has none of its own to print.
        BenchCommand::Summary(s) => return summary::run(s),
    }
    if args.json {
        print!("{}", r.json_lines());
    }
    Ok(())
}
