//! `cordon`: the one binary. Subcommands parse their arguments, open the store and call into
//! the library crates; nothing here knows SQL or HTTP.

mod audit;
#[cfg(feature = "bench")]
mod bench;
mod citus;
mod common;
mod demo;
mod import;
mod keyfile;
mod keys;
mod passes;
mod progress;
mod report;
mod retention;
mod round;
mod serve;
mod trace;
mod users;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "cordon",
    version,
    about = "The operations system of an outbreak-containment command (疫情防控指挥部)."
)]
struct Cli {
    /// How logs are written to standard error.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "CORDON_LOG_FORMAT")]
    log_format: LogFormat,
    /// The key file that seals ID numbers and phones: by default beside a SQLite database
    /// (cordon.db.keys); a PostgreSQL database needs one named. Made if missing.
    #[arg(long, global = true, env = "CORDON_KEYS")]
    keys: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a synthetic city (Hohhot's real divisions, generated people), serve it, print the logins.
    Demo(demo::DemoArgs),
    /// Serve the web pages and the API.
    Serve(serve::ServeArgs),
    /// Import a file (areas: CSV or GeoJSON; people, venues: CSV; scans: CSV or Parquet). All
    /// or nothing; a file of scans imported before adds nothing.
    Import(import::ImportArgs),
    /// Manage users.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Each role's rights (权限): list them, grant or revoke one. A change holds from each
    /// user's next request.
    #[command(subcommand)]
    Roles(users::RolesCommand),
    /// The PostgreSQL backend on a Citus cluster: place the tables on its workers.
    #[command(subcommand)]
    Citus(citus::CitusCommand),
    /// Close and secondary contacts from venue scans, on files (formats.md).
    Trace(trace::TraceArgs),
    /// Testing rounds (全员核酸): plan one, list them.
    #[command(subcommand)]
    Round(round::RoundCommand),
    /// The pool size with the fewest expected tests per person (Dorfman), and the other schemes.
    PoolSize(round::PoolSizeArgs),
    /// Check a pass's QR content offline, with the server's public key only (what a gate device
    /// does without the network): the signature, the claims, and whether it is in its window.
    /// Revocation and one-time use are known to the server alone.
    VerifyPass(passes::VerifyPassArgs),
    /// Reports: the daily briefing of an area (疫情防控工作通报), in Chinese and English.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// The audit of reads (who read whom, when, through what).
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The keys that seal ID numbers and phones: a new one, and re-sealing under it.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// The outbreak's closing, which starts the retention period of its personal data.
    #[command(subcommand)]
    Outbreak(retention::OutbreakCommand),
    /// Deletes or pseudonymises the personal data of a closed outbreak once its retention
    /// period has run, in one transaction; `--dry-run` reports what it would do.
    Purge(retention::PurgeArgs),
    /// Benchmarks on generated data of a stated size (results in BENCHMARKS.md); in a build
    /// with the `bench` feature only.
    #[cfg(feature = "bench")]
    Bench(bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    cordon_server::install_tls();
    keyfile::set_key_file(cli.keys);
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(cli.command)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The error and its causes, for the person at the terminal: no backtrace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CORDON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Demo(args) => demo::demo(args).await,
        Command::Serve(args) => {
            let store = common::open(&args.db.url(common::DEFAULT_DB)).await?;
            serve::serve(store, &args.listen, true).await
        }
        Command::Import(args) => import::import(args).await,
        Command::User(cmd) => users::user(cmd).await,
        Command::Roles(cmd) => users::roles(cmd).await,
        Command::Citus(cmd) => citus::run(cmd).await,
        #[cfg(feature = "bench")]
        Command::Bench(b) => bench::run(b).await,
        Command::Trace(a) => trace::run(&a),
        Command::Round(cmd) => round::round(cmd).await,
        Command::PoolSize(a) => round::pool_size(&a),
        Command::Report(report::ReportCommand::Daily(a)) => report::report_daily(a).await,
        Command::VerifyPass(a) => passes::verify_pass(&a),
        Command::Audit(audit::AuditCommand::Verify(db)) => audit::audit_verify(db).await,
        Command::Keys(cmd) => keys::run(cmd).await,
        Command::Outbreak(cmd) => retention::outbreak(cmd).await,
        Command::Purge(a) => retention::purge(a).await,
    }
}
