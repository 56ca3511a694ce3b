//! `cordon`: the one binary. Subcommands parse their arguments, open the store and call into
//! the library crates; nothing here knows SQL or HTTP.

mod bench;
mod bench_dashboard;
mod bench_duplicates;
mod bench_gates;
mod bench_needs;
mod bench_stats;
mod bench_testing;
mod bench_workforce;
mod keys;
mod progress;
mod retention;
mod trace;

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::Datelike;
use clap::{Args, Parser, Subcommand, ValueEnum};
use cordon_demo::{City, Scale};
use cordon_domain::{AreaCode, Role};
use cordon_import::{Limits, PeopleReader, Progress};
use cordon_store::{NewUser, Store};

use crate::progress::Bar;

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
    Demo(DemoArgs),
    /// Serve the web pages and the API.
    Serve(ServeArgs),
    /// Import a file (areas: CSV or GeoJSON; people, venues: CSV; scans: CSV or Parquet). All
    /// or nothing; a file of scans imported before adds nothing.
    Import(ImportArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Each role's rights (权限): list them, grant or revoke one. A change holds from each
    /// user's next request.
    #[command(subcommand)]
    Roles(RolesCommand),
    /// Close and secondary contacts from venue scans, on files (formats.md).
    Trace(trace::TraceArgs),
    /// Testing rounds (全员核酸): plan one, list them.
    #[command(subcommand)]
    Round(RoundCommand),
    /// The pool size with the fewest expected tests per person (Dorfman), and the other schemes.
    PoolSize(PoolSizeArgs),
    /// Check a pass's QR content offline, with the server's public key only (what a gate device
    /// does without the network): the signature, the claims, and whether it is in its window.
    /// Revocation and one-time use are known to the server alone.
    VerifyPass(VerifyPassArgs),
    /// Reports: the daily briefing of an area (疫情防控工作通报), in Chinese and English.
    #[command(subcommand)]
    Report(ReportCommand),
    /// The audit of reads (who read whom, when, through what).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The keys that seal ID numbers and phones: a new one, and re-sealing under it.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// The outbreak's closing, which starts the retention period of its personal data.
    #[command(subcommand)]
    Outbreak(retention::OutbreakCommand),
    /// Deletes or pseudonymises the personal data of a closed outbreak once its retention
    /// period has run, in one transaction; `--dry-run` reports what it would do.
    Purge(retention::PurgeArgs),
    /// Benchmarks on generated data of a stated size (results in BENCHMARKS.md).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Checks the audit's hash chain entry by entry: exits 1, naming the first entry that does
    /// not hold, if one was altered or removed, or entries were cut off the end. Prints the
    /// chain's head, worth keeping elsewhere (whoever can rewrite the whole table can rewrite
    /// the chain with it).
    Verify(DbArg),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Effective tiers and tier counts: every household from scratch, and the figures from the
    /// zones alone.
    Zones(bench::ZonesBench),
    /// The server's warm tracing: a batch of cases, one new case at a time, and the full
    /// self-join, on scans loaded once.
    Trace(trace::TraceBench),
    /// Samples and results files through the import, against the bare bulk load of the same
    /// files, and the sweep of a district.
    Testing(bench_testing::TestingBench),
    /// The register's likely duplicates of a community, a district and the city, against the
    /// database's own grouping of the ID numbers' blind index.
    Duplicates(bench_duplicates::DuplicatesBench),
    /// Gate decisions over HTTP at a steady rate against a server in its own process, beside
    /// its health check at the same rate.
    Gates(bench_gates::GatesBench),
    /// The coverage report and the suggestions of a city, through the service, on a demo city
    /// grown to 20,000 zones and 60,000 workers.
    Workforce(bench_workforce::WorkforceBench),
    /// The city's dashboard computed and served while it is recomputed behind the reads, and the
    /// export of the whole city's people as CSV against the database's own CSV writer.
    Dashboard(bench_dashboard::DashboardBench),
    /// The board of a community with 5,000 open needs and the escalation sweep over 1,000,000,
    /// through the service, on a demo grown to those sizes.
    Needs(bench_needs::NeedsBench),
}

#[derive(Args, Clone)]
struct DbArg {
    /// The database: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "CORDON_DB")]
    db: Option<String>,
}

impl DbArg {
    fn url(&self, default: &str) -> String {
        self.db.clone().unwrap_or_else(|| default.to_owned())
    }
}

const DEFAULT_DB: &str = "sqlite://cordon.db";

#[derive(Subcommand)]
enum ReportCommand {
    /// The briefing of an area for a local day, written from that day's figures, with the
    /// definition of each: Markdown or a print-ready HTML page, to standard output.
    Daily(DailyArgs),
}

#[derive(Args)]
struct DailyArgs {
    /// The local day, YYYY-MM-DD.
    #[arg(long)]
    date: String,
    /// The area's code (the city, a district, a street, a community…).
    #[arg(long)]
    area: String,
    /// zh, en, or both (one after the other).
    #[arg(long, default_value = "both")]
    lang: String,
    /// md or html.
    #[arg(long, default_value = "md")]
    format: String,
    #[command(flatten)]
    db: DbArg,
}

#[derive(Args, Clone)]
struct ListenArgs {
    /// Address to listen on.
    #[arg(long, env = "CORDON_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Mark cookies Secure: set this when users reach Cordon over HTTPS.
    #[arg(long, env = "CORDON_SECURE_COOKIES")]
    secure_cookies: bool,
    /// A file holding the secret passes are signed with: 64 hex digits (e.g. from
    /// `openssl rand -hex 32`). Without it, a key is made and kept in the database.
    #[arg(long, env = "CORDON_PASS_KEY_FILE")]
    pass_key_file: Option<PathBuf>,
    /// A file holding the token Prometheus scrapes /metrics with (`Authorization: Bearer …`),
    /// at least 16 characters. Without it, only a signed-in headquarters user reads /metrics.
    #[arg(long, env = "CORDON_METRICS_TOKEN_FILE")]
    metrics_token_file: Option<PathBuf>,
    /// Served behind a reverse proxy that appends the client's address to X-Forwarded-For:
    /// failed sign-ins are counted by that address. Without it the header is ignored.
    #[arg(long, env = "CORDON_BEHIND_PROXY")]
    behind_proxy: bool,
    /// Whether headquarters (the holders of `command` or `review_audit`) must sign in with a
    /// second factor (TOTP): `required` keeps such a user to enrolling one until they have it.
    /// `cordon serve` requires it unless told `optional`; the demo leaves it optional.
    #[arg(long, env = "CORDON_TWO_FACTOR", value_parser = ["required", "optional"])]
    two_factor: Option<String>,
}

/// Reads the metrics token file: one line of at least 16 characters.
fn read_metrics_token(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the metrics token {}", path.display()))?;
    let token = text.trim();
    if token.chars().count() < 16 || token.contains(char::is_whitespace) {
        anyhow::bail!("{}: a metrics token is one word of at least 16 characters", path.display());
    }
    Ok(token.to_owned())
}

/// Reads a pass key file: 32 bytes as 64 hex digits, surrounding blanks allowed.
fn read_pass_key(path: &std::path::Path) -> Result<cordon_server::Secret> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the pass key {}", path.display()))?;
    let bytes = hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| anyhow::anyhow!("{}: a pass key is 64 hex digits (32 bytes)", path.display()))?;
    Ok(cordon_server::Secret(bytes))
}

#[derive(Args)]
struct DemoArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    listen: ListenArgs,
    /// The seed of the generated city: the same seed gives the same city.
    #[arg(long, default_value_t = 2022)]
    seed: u64,
    /// tiny: three communities; district: 新城区 in full (~450,000 people); city: 3.5 M residents.
    #[arg(long, default_value = "district", value_parser = ["tiny", "district", "city"])]
    scale: String,
    /// The password of `admin` and the other demo users (otherwise a fresh one is printed).
    #[arg(long, env = "CORDON_ADMIN_PASSWORD")]
    admin_password: Option<String>,
    /// Seed the database and exit without serving.
    #[arg(long)]
    no_serve: bool,
    /// Days of history before today (an outbreak that rose and fell) behind the charts; 0: today's
    /// story only.
    #[arg(long, default_value_t = 29, value_parser = clap::value_parser!(u32).range(0..=60))]
    history_days: u32,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    listen: ListenArgs,
}

#[derive(Args)]
struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    kind: ImportKind,
    file: PathBuf,
    #[command(flatten)]
    db: DbArg,
    /// Refuse files larger than this.
    #[arg(long, default_value_t = Limits::default().max_file_bytes)]
    max_file_bytes: u64,
    /// Refuse lines longer than this.
    #[arg(long, default_value_t = Limits::default().max_line_bytes)]
    max_line_bytes: usize,
    /// Samples and results are sent as this user.
    #[command(flatten)]
    acting: ActingArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportKind {
    Areas,
    People,
    /// Places with a venue code: venue_id,name,area_code,kind.
    Venues,
    /// Venue-code scans (formats.md): the server's scan index is built from them.
    Scans,
    /// Tubes and their members (samples.csv): every round planned first (`cordon round open`).
    Samples,
    /// A lab's results (results.csv): positive pools held for retests, positive single tubes
    /// opened as cases.
    Results,
    /// Cadres, party members and volunteers (workers.csv): added, or updated by worker_id.
    Workers,
}

#[derive(Subcommand)]
enum RoundCommand {
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
struct ActingArg {
    /// The user the work is done as: their role and areas decide what is allowed.
    #[arg(long = "as", default_value = "admin")]
    acting: String,
}

#[derive(Args)]
struct PoolSizeArgs {
    /// The expected share of positives, 0 to 1 (0.001 is one in a thousand).
    #[arg(long)]
    prevalence: f64,
    /// The largest pool (the dilution limit of the 2022 guides: 20).
    #[arg(long, default_value_t = 20)]
    max_pool: u32,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct VerifyPassArgs {
    /// The public key (`GET /api/v1/passes/public-key`), unpadded base64url.
    #[arg(long, env = "CORDON_PASS_PUBLIC_KEY")]
    public_key: String,
    /// The QR code's content, `CP1.…`.
    token: String,
}

#[derive(Subcommand)]
enum RolesCommand {
    /// Every role with the rights it holds (and who changed them last).
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Grant rights to a role.
    Grant {
        /// headquarters, district, street, community_worker, cadre, sampler, lab, epidemiologist
        role: String,
        /// see_id_number, see_phone, see_health, keep_gate, … (`cordon roles list` names them all)
        #[arg(required = true)]
        rights: Vec<String>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Revoke rights from a role.
    Revoke {
        role: String,
        #[arg(required = true)]
        rights: Vec<String>,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from standard input (first line), or generated and printed.
    Add {
        username: String,
        /// headquarters, district, street, community_worker, cadre, sampler, lab, epidemiologist
        #[arg(long)]
        role: String,
        /// The code of the area whose subtree the user sees.
        #[arg(long)]
        scope: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Set a user's password (read from standard input, or generated and printed). Ends their sessions.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Turn a user's two-factor sign-in off (a phone lost or replaced): they enrol again at
    /// their next sign-in (headquarters must, where the server requires it). Ends their sessions.
    TwoFactor {
        username: String,
        /// Required: what the command does.
        #[arg(long, required = true)]
        reset: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// List users with their roles and scopes.
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    keys::set_key_file(cli.keys);
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
        Command::Demo(args) => demo(args).await,
        Command::Serve(args) => {
            let store = open(&args.db.url(DEFAULT_DB)).await?;
            serve(store, &args.listen, true).await
        }
        Command::Import(args) => import(args).await,
        Command::User(cmd) => user(cmd).await,
        Command::Roles(cmd) => roles(cmd).await,
        Command::Bench(BenchCommand::Zones(b)) => bench::run(&b),
        Command::Bench(BenchCommand::Trace(b)) => trace::bench(&b),
        Command::Bench(BenchCommand::Testing(b)) => bench_testing::run(&b).await,
        Command::Bench(BenchCommand::Duplicates(b)) => bench_duplicates::bench(&b).await,
        Command::Bench(BenchCommand::Gates(b)) => bench_gates::bench(&b).await,
        Command::Bench(BenchCommand::Workforce(b)) => bench_workforce::bench(&b).await,
        Command::Bench(BenchCommand::Needs(b)) => bench_needs::bench(&b).await,
        Command::Bench(BenchCommand::Dashboard(b)) => bench_dashboard::bench(&b).await,
        Command::Trace(a) => trace::run(&a),
        Command::Round(cmd) => round(cmd).await,
        Command::PoolSize(a) => pool_size(&a),
        Command::Report(ReportCommand::Daily(a)) => report_daily(a).await,
        Command::VerifyPass(a) => verify_pass(&a),
        Command::Audit(AuditCommand::Verify(db)) => audit_verify(db).await,
        Command::Keys(cmd) => keys::run(cmd).await,
        Command::Outbreak(cmd) => retention::outbreak(cmd).await,
        Command::Purge(a) => retention::purge(a).await,
    }
}

async fn audit_verify(db: DbArg) -> Result<()> {
    let store = open(&db.url(DEFAULT_DB)).await?;
    let r = store.verify_audit().await?;
    let head = if r.head.is_empty() { "(none yet)" } else { r.head.as_str() };
    match r.broken {
        None => {
            println!(
                "the audit of reads holds: {} entries, {} of them linked ({} written before the chain began, {} queued for their link meanwhile); head {head}",
                r.entries,
                r.linked(),
                r.unchained,
                r.pending
            );
            Ok(())
        }
        Some((id, why)) => {
            let at = if id > 0 { format!("at entry {id}") } else { "at the end".to_owned() };
            eprintln!("the audit of reads does NOT hold {at}: {why} ({} entries read)", r.entries);
            std::process::exit(1);
        }
    }
}

async fn report_daily(a: DailyArgs) -> Result<()> {
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

/// Opens the store and adds the shipped protocol profiles it lacks (edited ones are kept).
async fn open(url: &str) -> Result<Arc<dyn Store>> {
    let keys = keys::load(url)?;
    let store =
        cordon_store::connect(url, keys).await.with_context(|| format!("opening the database {url}"))?;
    store.ensure_profiles(&cordon_domain::protocol::builtin(), chrono::Utc::now()).await?;
    Ok(store)
}

/// Serves the app; `two_factor_by_default`: whether headquarters needs a second factor when
/// `--two-factor` is not given.
async fn serve(store: Arc<dyn Store>, listen: &ListenArgs, two_factor_by_default: bool) -> Result<()> {
    let pass_secret = listen.pass_key_file.as_deref().map(read_pass_key).transpose()?;
    let metrics_token = listen.metrics_token_file.as_deref().map(read_metrics_token).transpose()?;
    let config = cordon_server::Config {
        secure_cookies: listen.secure_cookies,
        pass_secret,
        metrics_token,
        behind_proxy: listen.behind_proxy,
        two_factor_required: listen.two_factor.as_deref().map_or(two_factor_by_default, |t| t == "required"),
        ..Default::default()
    };
    retention::warn_if_due(&*store).await?;
    let app = cordon_server::router(store.clone(), config);
    let listener = tokio::net::TcpListener::bind(listen.listen)
        .await
        .with_context(|| format!("listening on {}", listen.listen))?;
    let addr = listener.local_addr()?;
    eprintln!("Cordon is serving on http://{addr}/");
    tracing::info!(%addr, "serving");
    cordon_server::serve(listener, app, shutdown_signal()).await?;
    // The background jobs end with the process; each works in transactions, so one cut short
    // rolls back. The audit entries the last reads queued are linked before the end.
    // The next start links what is left: a stop is not refused for it.
    if let Err(e) = store.link_audit().await {
        tracing::warn!(error = %e, "linking the audit at the stop failed; the next start links it");
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The demo's users: one per role, each with the scope such a user would have.
const DEMO_USERS: [(&str, &str, Role, &str); 8] = [
    ("admin", "指挥部管理员", Role::Headquarters, "150100"),
    ("xincheng", "新城区防控办", Role::District, "150102"),
    ("hailaer", "海拉尔东路街道办", Role::Street, "150102001"),
    ("gongzhufu", "公主府社区网格员", Role::CommunityWorker, "150102001001"),
    ("cadre", "呼铁佳园C区包联干部", Role::Cadre, "150102001001001"),
    ("sampler", "海拉尔东路采样员", Role::Sampler, "150102001"),
    ("lab", "检测机构", Role::Lab, "150100"),
    ("epi", "流调人员", Role::Epidemiologist, "150100"),
];

async fn demo(args: DemoArgs) -> Result<()> {
    let url = args.db.url("sqlite://cordon-demo.db");
    let store = open(&url).await?;
    let scale = Scale::parse(&args.scale).expect("clap checked the scale");
    let totals = store.totals().await?;
    let password = match (&args.admin_password, totals.users) {
        (Some(p), _) => {
            cordon_domain::user::check_new_password(p, "admin").context("--admin-password")?;
            Some(p.clone())
        }
        (None, 0) => Some(random_password()),
        (None, _) => None,
    };
    if totals.users == 0 {
        if totals.people > 0 {
            bail!("{url} holds people but no users: it is not a demo database; use `cordon serve`");
        }
        let (populated, story_people) = seed_demo(&*store, args.seed, scale).await?;
        let hash = cordon_server::hash_password(password.clone().expect("set above")).await?;
        for (username, display, role, scope) in DEMO_USERS {
            let scope = AreaCode::parse(scope)?;
            let user = NewUser {
                username: username.into(),
                display_name: display.into(),
                role,
                scope,
                password_hash: hash.clone(),
            };
            store.create_user(&user).await?;
        }
        seed_zones(&*store, scale, &populated).await?;
        seed_cases(&store, args.seed, &story_people, &populated[..populated.len().min(3)]).await?;
        seed_testing(&store, args.seed, &story_people, populated.first()).await?;
        seed_gates(&store, args.seed, &story_people, populated.first()).await?;
        seed_workforce(&store, args.seed, &populated).await?;
        seed_needs(&store, &story_people, populated.first()).await?;
        if args.history_days > 0 {
            let communities = &populated[..populated.len().min(3)];
            seed_history(&store, args.seed, scale, communities, args.history_days).await?;
        }
    } else if let Some(p) = &password {
        let hash = cordon_server::hash_password(p.clone()).await?;
        for (username, ..) in DEMO_USERS {
            store.set_password(username, &hash).await?;
        }
    }
    let totals = store.totals().await?;
    println!("Cordon demo: {} residents in {} areas ({url})", totals.people, totals.areas);
    println!("Open http://{}/ and sign in:", args.listen.listen);
    match &password {
        Some(p) => {
            for (username, display, role, _) in DEMO_USERS {
                println!("  {username:<10} {p}   {} · {display}", role.name_en());
            }
        }
        None => println!(
            "  admin (and the other demo users) with the password printed when this database was seeded, or pass --admin-password to set a new one"
        ),
    }
    if args.listen.two_factor.as_deref() != Some("required") {
        println!(
            "Two-factor sign-in is optional in the demo (set it up on /account); `cordon serve` requires it of headquarters."
        );
    }
    if args.no_serve {
        return Ok(());
    }
    serve(store, &args.listen, false).await
}

/// A month behind today (`cordon_demo::demo_history`): cases opened and reclassified on their
/// days, a sealed zone around each day's first case stepped down and lifted as the rules go,
/// requests raised and handled, residents through the gates, workers reporting in. Written
/// through the store and the services at each record's own past moment.
async fn seed_history(
    store: &Arc<dyn Store>,
    seed: u64,
    scale: Scale,
    communities: &[AreaCode],
    days: u32,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use cordon_domain::{CaseClass, EventKind, Tier, ZoneEvent};
    use cordon_server::gates::{self, DecisionRequest};
    use cordon_server::needs::{self, NeedAction, NeedRequest};
    use cordon_store::{CaseChange, NewCase, NewZone, NewZoneEvent};
    let Some(first) = communities.first() else { return Ok(()) };
    let started = std::time::Instant::now();
    let tz = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let root = cordon_domain::AreaPath::root();
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let grid = acting_user(store, "gongzhufu").await?;
    let cadre = acting_user(store, "cadre").await?;
    let profile = cordon_domain::protocol::DEFAULT_PROFILE;

    // Who can fall ill: the residents of the communities, not already a case.
    let mut pool = Vec::new();
    for c in communities {
        if let Some(node) = store.area(&root, c).await? {
            pool.extend(store.people_page(&node.area.path, None, 20_000).await?.into_iter().map(|(p, _)| p));
        }
    }
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed ^ 0x6869_7374);
    rand::seq::SliceRandom::shuffle(pool.as_mut_slice(), &mut rng);
    let first_path = store.area(&root, first).await?.map(|n| n.area.path);
    let households: Vec<String> = pool
        .iter()
        .filter(|p| first_path.as_ref().is_some_and(|f| f.contains(&p.path)))
        .map(|p| p.household.to_string())
        .collect();
    let compound = format!("{first}001");
    let residents: Vec<String> = pool
        .iter()
        .filter(|p| p.household.as_str().starts_with(&compound))
        .map(|p| p.person_id.as_str().to_owned())
        .collect();
    let gate_ids: Vec<i64> = store.gates(&root, 10).await?.iter().map(|g| g.id).collect();
    let workers = store.on_hand(&root, today).await?;

    let mut next = pool.iter();
    let mut asymptomatic_cases: Vec<i64> = Vec::new();
    let (mut cases, mut zones, mut requests, mut passages, mut checkins) = (0, 0, 0, 0, 0);
    for day in cordon_demo::demo_history(seed, scale, days) {
        let date = today - Duration::days(day.days_ago.into());
        let midnight = gates::day_bounds(&state, date).0;
        let at = |minutes: i64| midnight + Duration::minutes(minutes);
        // Positives, found in the morning's testing, each opened as it was confirmed.
        let mut first_building = None;
        for i in 0..day.asymptomatic + day.confirmed {
            let Some(p) = next.next() else { break };
            if store.case_of_person(p.person_id.as_str()).await?.is_some() {
                continue;
            }
            let class = if i < day.confirmed { CaseClass::Confirmed } else { CaseClass::Asymptomatic };
            let opened = at(9 * 60 + 20 * i64::from(i));
            let case = store
                .open_case(
                    &root,
                    &NewCase {
                        person_id: p.person_id.clone(),
                        class,
                        onset: None,
                        sampled_at: opened - Duration::hours(8),
                        infectious_from: opened - Duration::days(2),
                        isolated_at: Some(opened + Duration::hours(2)),
                        isolation_place: "集中隔离点".into(),
                        source_case_id: None,
                        profile_key: profile.into(),
                        note: "混管阳性，单管复核阳性".into(),
                        at: opened,
                        by: "epi".into(),
                    },
                )
                .await?;
            cases += 1;
            if class == CaseClass::Asymptomatic {
                asymptomatic_cases.push(case.id);
            }
            if first_building.is_none() {
                first_building = store.area(&root, &p.household).await?.and_then(|h| h.area.parent);
            }
        }
        for _ in 0..day.reclassified {
            if asymptomatic_cases.len() < 4 {
                break;
            }
            let id = asymptomatic_cases.remove(0);
            let change = CaseChange::Reclassified { from: CaseClass::Asymptomatic, to: CaseClass::Confirmed };
            store.change_case(id, &change, at(15 * 60), "epi").await?;
        }
        // The first case's building sealed the same day: 7 days sealed, 3 controlled, lifted.
        if let Some(building) = first_building
            && store.zones_on(std::slice::from_ref(&building)).await?.iter().all(|z| z.ended_at.is_some())
        {
            let drawn = at(11 * 60);
            let zone = store
                .create_zone(
                    &root,
                    &NewZone {
                        area: building,
                        tier: Tier::Sealed,
                        profile_key: profile.into(),
                        reason: "本土阳性感染者居住楼栋".into(),
                        case_person_id: None,
                        at: drawn,
                        by: "admin".into(),
                    },
                )
                .await?;
            zones += 1;
            for (days, kind) in
                [(7, EventKind::SteppedDown { tier: Tier::Controlled }), (10, EventKind::Lifted)]
            {
                let when = drawn + Duration::days(days);
                if when >= now {
                    break;
                }
                let event = NewZoneEvent {
                    event: ZoneEvent { at: when, kind },
                    note: "连续无新增，按规程调整".into(),
                    person_id: None,
                    by: "admin".into(),
                    recorded_at: when,
                };
                store.record_zone_event(zone.id, &event).await?;
            }
        }
        // Requests raised through the day, taken on within the hour, handled in a few.
        for i in 0..day.requests as usize {
            let Some(household) =
                households.get((day.days_ago as usize * 31 + i * 7) % households.len().max(1))
            else {
                break;
            };
            let (category, what) = [
                ("food", "生活物资配送"),
                ("medicine", "代购常用药"),
                ("medical_care", "慢病复诊"),
                ("other", "快递代收"),
            ][i % 4];
            let raised = at(8 * 60 + 37 * i as i64);
            let req = NeedRequest {
                household_code: household.clone(),
                person_id: None,
                category: category.into(),
                emergency: false,
                contact_phone: None,
                description: what.into(),
            };
            let need = needs::raise(&state, &grid, req, raised).await.map_err(api_error)?;
            let id = need.need.id;
            let ack = NeedAction::Acknowledge { note: String::new() };
            needs::act(&state, &grid, id, ack, raised + Duration::minutes(25)).await.map_err(api_error)?;
            let done = NeedAction::Resolve { note: "已办结".into() };
            needs::act(&state, &grid, id, done, raised + Duration::minutes(150)).await.map_err(api_error)?;
            requests += 1;
        }
        // Residents out and back in at the compound's gates.
        if !gate_ids.is_empty() && !residents.is_empty() {
            for i in 0..day.gate_decisions as usize {
                let person = &residents[(i * 13 + day.days_ago as usize) % residents.len()];
                let req = DecisionRequest {
                    direction: Some(if i % 2 == 0 {
                        cordon_domain::gates::Direction::Out
                    } else {
                        cordon_domain::gates::Direction::In
                    }),
                    subject: None,
                    person: Some(person.clone()),
                    pass: None,
                    confirmed: false,
                    note: String::new(),
                };
                let when = at(7 * 60 + 41 * i as i64);
                gates::decide_at(&state, &cadre, gate_ids[i % gate_ids.len()], req, when)
                    .await
                    .map_err(api_error)?;
                passages += 1;
            }
        }
        // The workers who reported in that day.
        let reporting = (workers.len() as f64 * day.on_hand_share) as usize;
        for w in workers.iter().take(reporting) {
            store.check_in(&w.worker.worker_id, &w.community, date, at(7 * 60 + 30), "demo").await?;
            checkins += 1;
        }
    }
    eprintln!(
        "seeded {days} days of history: {cases} cases, {zones} zones, {requests} requests, {passages} gate decisions, \
         {checkins} check-ins in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn verify_pass(a: &VerifyPassArgs) -> Result<()> {
    let key = cordon_domain::pass::public_key(&a.public_key)
        .ok_or_else(|| anyhow::anyhow!("--public-key: not an Ed25519 public key in unpadded base64url"))?;
    let claims = cordon_domain::pass::verify(&a.token, &key).map_err(|e| anyhow::anyhow!("refused: {e}"))?;
    let at = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .map_or_else(|| s.to_string(), |t| t.with_timezone(&chrono_tz::Asia::Shanghai).to_rfc3339())
    };
    let gates = if claims.gates.is_empty() {
        "every gate of the area".to_owned()
    } else {
        claims.gates.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    };
    println!("signature: good (issued by the server with this key)");
    println!(
        "pass:      {} ({}){}",
        claims.id,
        claims.kind.as_str(),
        if claims.one_time { ", one passage" } else { "" }
    );
    println!("holder:    {}", claims.holder);
    println!("area:      {} · gates: {gates}", claims.area);
    println!("valid:     {} to {}", at(claims.from), at(claims.until));
    if !claims.in_window(chrono::Utc::now()) {
        bail!("refused: outside its window");
    }
    println!("in its window now; ask the server whether it was revoked or used");
    Ok(())
}

fn random_password() -> String {
    use rand::RngExt;
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

/// Loads the generated city in one import: it lands whole or not at all.
/// Returns the populated communities, and the people of the first three (where the demo's cases
/// live).
async fn seed_demo(
    store: &dyn Store,
    seed: u64,
    scale: Scale,
) -> Result<(Vec<AreaCode>, Vec<cordon_domain::PersonRow>)> {
    let started = std::time::Instant::now();
    let mut city = City::new(seed, scale);
    let mut import = store.begin_import(true).await?;
    let divisions = cordon_domain::plan_areas(city.divisions.clone(), |_| None)
        .map_err(|p| anyhow::anyhow!("embedded divisions: {:?}", p.first()))?;
    import.areas(&divisions).await?;
    let communities = city.populated.clone();
    let bar = Bar::new("generating", communities.len() as u64);
    let (mut areas, mut people) = (Vec::new(), Vec::new());
    let mut story_people = Vec::new();
    let mut loaded = 0usize;
    let (mut generating, mut writing_areas, mut writing_people) = Default::default();
    for (i, code) in communities.iter().enumerate() {
        let t = std::time::Instant::now();
        let c = city.community(code);
        if i < 3 {
            story_people.extend(c.people.iter().cloned());
        }
        areas.extend(c.areas);
        people.extend(c.people);
        generating += t.elapsed();
        if people.len() >= 50_000 || i + 1 == communities.len() {
            let t = std::time::Instant::now();
            import.areas(&areas).await?;
            writing_areas += t.elapsed();
            let t = std::time::Instant::now();
            let rejected = import.people(&people).await?;
            writing_people += t.elapsed();
            if let Some(r) = rejected.first() {
                bail!("the generator made a bad row: {}", r.reason);
            }
            loaded += people.len();
            areas.clear();
            people.clear();
        }
        bar.set(i as u64 + 1);
    }
    bar.finish();
    eprintln!("building indexes and counts…");
    let t = std::time::Instant::now();
    let totals = import.commit().await?;
    let committing = t.elapsed();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "seeded {} people and {} areas in {secs:.1} s ({:.0} people/s)",
        totals.people,
        totals.areas,
        loaded as f64 / secs
    );
    let phases: [(&str, std::time::Duration); 4] = [
        ("generating", generating),
        ("writing areas", writing_areas),
        ("writing people", writing_people),
        ("indexes, counts, commit", committing),
    ];
    eprintln!("  {}", phases.map(|(what, d)| format!("{what} {:.1} s", d.as_secs_f64())).join(", "));
    Ok((communities, story_people))
}

/// Seeds the demo's venues, scans and cases with their history and trajectories, then has the
/// server trace them and draft their notices (the last case's published), as `epi` and `admin`.
async fn seed_cases(
    store: &Arc<dyn Store>,
    seed: u64,
    people: &[cordon_domain::PersonRow],
    communities: &[AreaCode],
) -> Result<()> {
    use chrono::{Duration, Timelike, Utc};
    use cordon_store::{CaseChange, NewCase, NewSegment, ScanFile, ScanRow, Venue};
    if communities.is_empty() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let tz = chrono_tz::Asia::Shanghai;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    let local = now.with_timezone(&tz);
    let work =
        cordon_demo::demo_casework(seed, people, communities, i64::from(local.hour() * 60 + local.minute()));
    let venues: Vec<Venue> = work
        .venues
        .iter()
        .map(|v| Venue {
            venue_id: v.venue_id.clone(),
            name: v.name.clone(),
            area: v.area.clone(),
            kind: v.kind.clone(),
        })
        .collect();
    store.put_venues(&venues).await?;
    let at = |minutes_ago: i64| now - Duration::minutes(minutes_ago);
    let file = ScanFile {
        sha256: format!("demo-{seed}"),
        name: "demo scans".into(),
        at: now,
        by: "cordon demo".into(),
    };
    let mut rows = work.scans.iter().map(|s| ScanRow {
        person_id: s.person_id.clone(),
        venue_id: work.venues[s.venue].venue_id.clone(),
        scanned_at: at(s.minutes_ago),
    });
    store.add_scans(&file, &mut rows).await?;
    let profiles: Vec<cordon_domain::Profile> = cordon_domain::protocol::builtin();
    let profile = profiles
        .iter()
        .find(|p| p.key == cordon_domain::protocol::DEFAULT_PROFILE)
        .expect("the default profile");
    let root = cordon_domain::AreaPath::root();
    let mut ids: Vec<i64> = Vec::new();
    for c in &work.cases {
        let sampled_at = at(c.sampled_minutes_ago);
        let onset = c.onset_days_ago.map(|d| (now - Duration::days(d)).with_timezone(&tz).date_naive());
        let opened = store
            .open_case(
                &root,
                &NewCase {
                    person_id: cordon_domain::PersonId::parse(&c.person_id)?,
                    class: c.class,
                    onset,
                    sampled_at,
                    infectious_from: cordon_domain::cases::infectious_from(profile, onset, sampled_at, tz),
                    isolated_at: c.isolated_minutes_ago.map(at),
                    isolation_place: c.isolation_place.clone(),
                    source_case_id: c.source.map(|i| ids[i]),
                    profile_key: profile.key.clone(),
                    note: c.note.clone(),
                    at: sampled_at + Duration::hours(3),
                    by: "epi".into(),
                },
            )
            .await?;
        if let Some(m) = c.confirmed_minutes_ago {
            let change = CaseChange::Reclassified { from: c.class, to: cordon_domain::CaseClass::Confirmed };
            store.change_case(opened.id, &change, at(m), "epi").await?;
        }
        for s in &c.segments {
            let segment = NewSegment {
                starts_at: at(s.minutes_ago),
                ends_at: Some(at(s.minutes_ago - s.minutes)),
                venue_id: s.venue.map(|v| work.venues[v].venue_id.clone()),
                area: s.area.clone(),
                place: s.place.clone(),
                transport: s.transport,
                transport_detail: s.transport_detail.clone(),
                by: "epi".into(),
            };
            store.add_segment(opened.id, &segment).await?;
        }
        ids.push(opened.id);
    }
    let publish: Vec<i64> = ids.last().copied().into_iter().collect();
    let config = cordon_server::Config { tz, ..Default::default() };
    let (traced, drafted) =
        cordon_server::complete_casework(store.clone(), config, "epi", "admin", &publish).await?;
    eprintln!(
        "seeded {} venues, {} scans and {} cases ({traced} traced, {drafted} notices) in {:.1} s",
        venues.len(),
        work.scans.len(),
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Seeds a testing round in progress over the street of the story's communities: the samples
/// and results files the demo generates land through the same import a lab's would, as `admin`
/// (so positive pools hold their members and propose zones, and a positive retest opens a case).
async fn seed_testing(
    store: &Arc<dyn Store>,
    seed: u64,
    people: &[cordon_domain::PersonRow],
    community: Option<&AreaCode>,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use std::collections::{HashMap, HashSet};
    let Some(community) = community else { return Ok(()) };
    let started = std::time::Instant::now();
    let root = cordon_domain::AreaPath::root();
    let street = store
        .area(&root, community)
        .await?
        .and_then(|n| n.area.parent)
        .ok_or_else(|| anyhow::anyhow!("demo community {community} has no street"))?;
    let tz = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let admin = acting_user(store, "admin").await?;
    let key = format!("R{}", now.with_timezone(&tz).format("%m%d"));
    let round = cordon_server::testing::RoundRequest {
        round_key: Some(key.clone()),
        name: "第三轮全员核酸 / third city-wide round".into(),
        area_code: street.to_string(),
        starts_at: Some(now - Duration::hours(10)),
        deadline: now + Duration::hours(14),
    };
    cordon_server::testing::create_round(&state, &admin, round).await.map_err(api_error)?;
    // Each household's pooling: the strictest zone over it, under the profile in force.
    let profile = cordon_domain::protocol::builtin()
        .into_iter()
        .find(|p| p.key == cordon_domain::protocol::DEFAULT_PROFILE)
        .expect("the default profile");
    let zones = store.zone_covers().await?;
    let mut pooling: HashMap<AreaCode, cordon_domain::Pooling> = HashMap::new();
    let mut communities: HashMap<AreaCode, String> = HashMap::new();
    for p in people {
        if pooling.contains_key(&p.household) {
            continue;
        }
        let Some(node) = store.area(&root, &p.household).await? else { continue };
        let tier = zones
            .iter()
            .filter(|z| z.path.contains(&node.area.path))
            .map(|z| z.tier)
            .max_by_key(|t| t.strictness());
        pooling.insert(p.household.clone(), profile.pooling(tier));
        let areas = store.areas_on(std::slice::from_ref(&node.area.path)).await?;
        let name = cordon_store::lineage(&areas, &node.area.path)
            .into_iter()
            .find(|a| a.level == cordon_domain::AreaLevel::Community)
            .map_or_else(String::new, |a| a.name.clone());
        communities.insert(p.household.clone(), name);
    }
    let cases: HashSet<String> = store.case_people().await?.into_iter().map(|c| c.0).collect();
    let limit = profile.pool_limit;
    let work = cordon_demo::demo_testing(
        seed,
        &key,
        people,
        |h| pooling.get(h).copied().unwrap_or(cordon_domain::Pooling { max: limit, household: false }),
        |id| cases.contains(id),
        |p| format!("{}采样点", communities.get(&p.household).map_or("", String::as_str)),
        now.with_timezone(&tz).naive_local(),
    );
    let dir = tempfile::tempdir()?;
    let files = [
        ("samples.csv", &work.samples, true),
        ("results.csv", &work.results, false),
        ("retest-samples.csv", &work.retest_samples, true),
        ("retest-results.csv", &work.retest_results, false),
    ];
    let progress = Progress::default();
    let mut opened = 0;
    for (name, text, samples) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text)?;
        let sha = sha256_file(&path)?;
        if samples {
            cordon_server::testing::import_samples(&state, &admin, &path, sha, Limits::default(), &progress)
                .await
                .map_err(api_error)?;
        } else {
            let out = cordon_server::testing::import_results(
                &state,
                &admin,
                &path,
                sha,
                Limits::default(),
                &progress,
            )
            .await
            .map_err(api_error)?;
            opened += out.cases_opened.len();
        }
    }
    eprintln!(
        "seeded testing round {key}: {} tubes, {} residents left for the sweep, {opened} case opened by a retest, in {:.1} s",
        work.tubes,
        work.unsampled,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Sets up the story compound's gates and passes, and sends a day of traffic through the gate
/// decision as its cadre on duty would: the server decides each passage by the rules.
async fn seed_gates(
    store: &Arc<dyn Store>,
    seed: u64,
    people: &[cordon_domain::PersonRow],
    community: Option<&AreaCode>,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use cordon_server::gates::{self, DecisionRequest, GateRequest, PassRequest};
    let Some(community) = community else { return Ok(()) };
    let started = std::time::Instant::now();
    let compound = AreaCode::parse(&format!("{community}001"))?;
    let sealed = AreaCode::parse(&format!("{compound}03"))?;
    let root = cordon_domain::AreaPath::root();
    if store.area(&root, &sealed).await?.is_none() {
        return Ok(());
    }
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let worker = acting_user(store, "gongzhufu").await?;
    let cadre = acting_user(store, "cadre").await?;
    let mut clear = std::collections::HashSet::new();
    for p in people.iter().filter(|p| p.household.as_str().starts_with(compound.as_str())) {
        let standing = store.gate_subject(p.person_id.as_str()).await?.map(|s| s.standing());
        if standing == Some(cordon_domain::gates::Standing::Clear) {
            clear.insert(p.person_id.as_str().to_owned());
        }
    }
    let plan = cordon_demo::demo_gates(seed, &compound, &sealed, people, |id| clear.contains(id));
    let now = Utc::now();
    let mut gate_ids = Vec::new();
    for g in &plan.gates {
        let req = GateRequest { area_code: g.area.to_string(), name: g.name.into() };
        gate_ids.push(gates::create_gate(&state, &worker, req).await.map_err(api_error)?.id);
    }
    let mut tokens = Vec::new();
    for p in &plan.passes {
        let from = now - Duration::minutes(p.from_minutes_ago);
        let req = PassRequest {
            kind: p.kind,
            person: p.person.clone(),
            holder: p.holder.map(str::to_owned),
            area_code: p.area.to_string(),
            gate_ids: Vec::new(),
            valid_from: Some(from),
            valid_until: from + Duration::minutes(p.minutes),
            one_time: p.one_time,
            reason: p.reason.into(),
        };
        let issued = gates::issue_pass_at(&state, &worker, req, from).await.map_err(api_error)?;
        if let Some(reason) = p.revoked {
            let at = from + Duration::hours(1);
            gates::revoke_pass_at(&state, &worker, &issued.id, reason, at).await.map_err(api_error)?;
        }
        tokens.push(issued.token);
    }
    let mut refused = 0;
    for p in &plan.passages {
        let pass = p.pass.map(|u| match u {
            cordon_demo::PassUse::Shown(i) => tokens[i].clone(),
            cordon_demo::PassUse::Tampered(i) => {
                // One character of the claims changed, as an edited screenshot would.
                let mut t = tokens[i].clone().into_bytes();
                t[12] = if t[12] == b'A' { b'B' } else { b'A' };
                String::from_utf8(t).expect("ASCII token")
            }
        });
        let req = DecisionRequest {
            direction: Some(p.direction),
            subject: p.subject,
            person: p.person.clone(),
            pass,
            confirmed: p.confirmed,
            note: p.note.into(),
        };
        let at = now - Duration::minutes(p.minutes_ago);
        let d = gates::decide_at(&state, &cadre, gate_ids[p.gate], req, at).await.map_err(api_error)?;
        if d.outcome == cordon_domain::gates::Outcome::Refused {
            refused += 1;
        }
    }
    eprintln!(
        "seeded {} gates, {} passes and {} gate decisions ({refused} refused) in {:.1} s",
        plan.gates.len(),
        plan.passes.len(),
        plan.passages.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Seeds the workforce of 新城区: a roster of dispatched cadres, party members and volunteers per
/// populated community (through the workers.csv reader), most reporting in today, two
/// quarantine hotels, and 包联 leaders taken from the coverage's own suggestions for every gap
/// but two (a sealed building and a hotel left for the district office to fill), and the team
/// of 呼铁佳园C区's command post.
async fn seed_workforce(store: &Arc<dyn Store>, seed: u64, populated: &[AreaCode]) -> Result<()> {
    use cordon_server::workforce::{self, Accepted, AssignRequest, SiteRequest};
    let started = std::time::Instant::now();
    let district = AreaCode::parse(cordon_demo::XINCHENG)?;
    let communities: Vec<AreaCode> =
        populated.iter().filter(|c| c.as_str().starts_with(district.as_str())).cloned().collect();
    let Some(story) = communities.first().cloned() else { return Ok(()) };
    let plan = cordon_demo::demo_workforce(seed, &communities, 12);
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("workers.csv");
    std::fs::write(&file, &plan.workers_csv)?;
    let rows = cordon_import::read_workers(&file, Limits::default(), &Progress::default())?;
    store.put_workers(&rows, chrono::Utc::now()).await?;
    let tz = chrono_tz::Asia::Shanghai;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    for (worker, community) in &plan.checkins {
        store.check_in(worker, community, today, chrono::Utc::now(), "xincheng").await?;
    }
    let state =
        cordon_server::AppState::new(store.clone(), cordon_server::Config { tz, ..Default::default() });
    let office = acting_user(store, "xincheng").await?;
    let street = &story.as_str()[..9];
    let hotels = [
        ("QS-JINJIANG", "锦江之星（海拉尔东路店）隔离点", 120),
        ("QS-RUJIA", "如家酒店（新华大街店）隔离点", 80),
    ];
    for (id, name, rooms) in hotels {
        let req = SiteRequest { id: Some(id.into()), name: name.into(), area_code: street.into(), rooms };
        workforce::create_site(&state, &office, req).await.map_err(api_error)?;
    }
    // The gaps left on purpose: a sealed building of the second community and one hotel.
    let left = |key: &str| key == "QS-RUJIA" || key == "15010200100200104";
    let picks: Vec<Accepted> = workforce::suggestions(&state, &office)
        .await
        .map_err(api_error)?
        .into_iter()
        .filter(|s| !left(&s.gap.unit_key))
        .map(|s| Accepted {
            worker_id: s.worker.worker_id,
            unit_kind: s.gap.unit_kind,
            unit_key: s.gap.unit_key,
            post: s.post,
        })
        .collect();
    let accepted = workforce::accept(&state, &office, picks).await.map_err(api_error)?;
    // 呼铁佳园C区's command post (现场指挥部): its temporary party branch and gate team.
    let post = workforce::CommandPostRequest { area_code: format!("{story}001"), name: None, branch: None };
    workforce::create_command_post(&state, &office, post).await.map_err(api_error)?;
    // Anyone on hand in the community but the compound's own leader.
    let compound_code = format!("{story}001");
    let leading: std::collections::HashSet<String> = accepted
        .assigned
        .iter()
        .filter(|a| a.unit_key == compound_code)
        .map(|a| a.worker.worker_id.clone())
        .collect();
    let team: Vec<&String> = plan
        .checkins
        .iter()
        .filter(|(w, c)| *c == story && !leading.contains(w))
        .map(|(w, _)| w)
        .take(3)
        .collect();
    for (worker, title) in team.into_iter().zip(["临时党支部书记", "门岗", "物资保障"]) {
        let req = AssignRequest {
            worker_id: worker.clone(),
            area_code: Some(format!("{story}001")),
            site_id: None,
            post: cordon_domain::workforce::Post::Member,
            title: title.into(),
            from: None,
            until: None,
        };
        workforce::assign(&state, &office, req).await.map_err(api_error)?;
    }
    let gaps = workforce::coverage(&state, &office).await.map_err(api_error)?.gaps.len();
    eprintln!(
        "seeded {} workers ({} on hand), {} 包联 assignments and {gaps} gaps left in {:.1} s",
        rows.len(),
        plan.checkins.len(),
        accepted.assigned.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Seeds the residents' needs of 公主府社区 as its grid worker, the compound's cadre and the
/// offices raised and handled them over the last hours: an emergency nobody acknowledged (swept
/// up to headquarters, carrying its emergency pass), a dialysis trip taken on, food overdue and
/// climbing, requests to leave refused with a video call arranged and granted for an exam, and
/// the rest open, acknowledged or done.
async fn seed_needs(
    store: &Arc<dyn Store>,
    people: &[cordon_domain::PersonRow],
    community: Option<&AreaCode>,
) -> Result<()> {
    use chrono::{Duration, Utc};
    use cordon_server::needs::{self, NeedAction, NeedRequest};
    let Some(community) = community else { return Ok(()) };
    let started = std::time::Instant::now();
    let state = cordon_server::AppState::new(
        store.clone(),
        cordon_server::Config { tz: chrono_tz::Asia::Shanghai, ..Default::default() },
    );
    let grid = acting_user(store, "gongzhufu").await?;
    let cadre = acting_user(store, "cadre").await?;
    let office = acting_user(store, "xincheng").await?;
    let here: Vec<&cordon_domain::PersonRow> =
        people.iter().filter(|p| p.household.as_str().starts_with(community.as_str())).collect();
    let compound = format!("{community}001");
    let tagged = |tag: &str, skip: usize| {
        here.iter()
            .filter(|p| p.tags.iter().any(|t| t.as_str() == tag))
            .nth(skip)
            .or_else(|| here.get(skip))
            .copied()
    };
    let in_compound = |skip: usize| {
        here.iter()
            .filter(|p| p.household.as_str().starts_with(&compound))
            .nth(skip)
            .or_else(|| here.get(skip))
            .copied()
    };
    let now = Utc::now();
    let ago = |m: i64| now - Duration::minutes(m);
    // (minutes ago, who, category, emergency, what) and what was done after, minutes ago.
    type Step = (i64, &'static str, NeedAction);
    type Planned<'a> = (i64, Option<&'a cordon_domain::PersonRow>, &'a str, bool, &'a str, Vec<Step>);
    let note = |s: &str| s.to_owned();
    let plan: Vec<Planned> = vec![
        (26, tagged("pregnant", 0), "childbirth", true, "孕38周，腹痛见红，需立即送医", vec![]),
        (
            50,
            tagged("dialysis", 0),
            "treatment",
            false,
            "每周一三五血液透析，今日14:00市第一医院",
            vec![
                (44, "cadre", NeedAction::Acknowledge { note: note("已联系医院透析室") }),
                (40, "cadre", NeedAction::Note { note: note("社区专车13:20在楼下等候，全程闭环") }),
            ],
        ),
        (
            12,
            tagged("elderly_alone", 0),
            "medical_care",
            true,
            "独居老人胸闷气短，血压180/110",
            vec![(9, "gongzhufu", NeedAction::Acknowledge { note: note("已拨打120，网格员在门口等候") })],
        ),
        (190, in_compound(3), "food", false, "家中米面已吃完，需配送生活物资", vec![]),
        (30, in_compound(5), "medicine", false, "需代购降压药（硝苯地平缓释片）", vec![]),
        (
            300,
            in_compound(7),
            "food",
            false,
            "蔬菜包一份",
            vec![
                (290, "cadre", NeedAction::Acknowledge { note: String::new() }),
                (60, "cadre", NeedAction::Resolve { note: note("已送到门口") }),
            ],
        ),
        (
            130,
            in_compound(9),
            "leave_zone",
            false,
            "父亲在市医院病危，申请前往探视",
            vec![
                (120, "gongzhufu", NeedAction::Acknowledge { note: note("已报街道、区指挥部") }),
                (
                    95,
                    "xincheng",
                    NeedAction::Decide {
                        granted: false,
                        alternative: Some(note("协调医院安排每日两次视频通话，病情变化即时通知")),
                        note: note("病房为封闭管理区域，禁止探视"),
                    },
                ),
            ],
        ),
        (
            400,
            tagged("minor_alone", 0),
            "family_emergency",
            false,
            "父母均在集中隔离，孩子独自在家",
            vec![(395, "gongzhufu", NeedAction::Acknowledge { note: note("已安排网格员每日两次上门") })],
        ),
        (
            240,
            in_compound(11),
            "leave_zone",
            false,
            "孩子明日参加中考，需出小区赴考点",
            vec![
                (230, "gongzhufu", NeedAction::Acknowledge { note: String::new() }),
                (
                    200,
                    "xincheng",
                    NeedAction::Decide {
                        granted: true,
                        alternative: None,
                        note: note("专车点对点接送，考后闭环返回"),
                    },
                ),
            ],
        ),
        (20, in_compound(13), "mental_health", false, "居家隔离第10天，情绪低落失眠", vec![]),
        (70, tagged("elderly_alone", 1), "daily_check", false, "独居老人每日探访", vec![]),
    ];
    let mut raised = 0;
    for (minutes, person, category, emergency, what, steps) in plan {
        let Some(person) = person else { continue };
        let req = NeedRequest {
            household_code: person.household.as_str().to_owned(),
            person_id: Some(person.person_id.as_str().to_owned()),
            category: category.into(),
            emergency,
            contact_phone: Some(person.phone.as_ref().map_or("13904710000", |p| p.as_str()).to_owned()),
            description: what.into(),
        };
        let raiser = if category == "treatment" { &cadre } else { &grid };
        let d = needs::raise(&state, raiser, req, ago(minutes)).await.map_err(api_error)?;
        // Steps up the chain due before what was done next are recorded in their turn.
        for (at, who, action) in steps {
            needs::sweep(&state, ago(at)).await.map_err(api_error)?;
            let actor = match who {
                "cadre" => &cadre,
                "xincheng" => &office,
                _ => &grid,
            };
            needs::act(&state, actor, d.need.id, action, ago(at)).await.map_err(api_error)?;
        }
        raised += 1;
    }
    let steps = needs::sweep(&state, now).await.map_err(api_error)?;
    eprintln!(
        "seeded {raised} residents' needs ({steps} steps up the chain) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Draws the demo's zones with their history, days back from today, as `admin` did.
async fn seed_zones(store: &dyn Store, scale: Scale, populated: &[AreaCode]) -> Result<()> {
    use chrono::{TimeZone, Utc};
    use cordon_domain::ZoneEvent;
    use cordon_store::{NewZone, NewZoneEvent};
    let tz = chrono_tz::Asia::Shanghai;
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let at = |days_ago: u32, hour: u32| {
        let day = today - chrono::Duration::days(days_ago.into());
        let local = day.and_hms_opt(hour, 0, 0).expect("an hour of the day");
        let t = tz.from_local_datetime(&local).earliest().map_or(now, |t| t.with_timezone(&Utc));
        t.min(now - chrono::Duration::minutes(1))
    };
    let root = cordon_domain::AreaPath::root();
    let zones = cordon_demo::demo_zones(scale, populated);
    let mut drawn_count = 0;
    for z in &zones {
        if store.area(&root, &z.area).await?.is_none() {
            eprintln!("demo zone on {} skipped: this seed made no such area", z.area);
            continue;
        }
        drawn_count += 1;
        let drawn = store
            .create_zone(
                &root,
                &NewZone {
                    area: z.area.clone(),
                    tier: z.tier,
                    profile_key: cordon_domain::protocol::DEFAULT_PROFILE.into(),
                    reason: z.reason.clone(),
                    case_person_id: None,
                    at: at(z.days_ago, z.hour),
                    by: "admin".into(),
                },
            )
            .await
            .with_context(|| format!("demo zone on {}", z.area))?;
        for e in &z.events {
            let when = at(e.days_ago, e.hour);
            let event = NewZoneEvent {
                event: ZoneEvent { at: when, kind: e.kind.clone() },
                note: e.note.clone(),
                person_id: None,
                by: "admin".into(),
                recorded_at: when,
            };
            store.record_zone_event(drawn.id, &event).await?;
        }
    }
    eprintln!("drew {drawn_count} zones with their history");
    Ok(())
}

async fn import(args: ImportArgs) -> Result<()> {
    let store = open(&args.db.url(DEFAULT_DB)).await?;
    let limits = Limits { max_file_bytes: args.max_file_bytes, max_line_bytes: args.max_line_bytes };
    let progress = Progress::default();
    let size = std::fs::metadata(&args.file).with_context(|| args.file.display().to_string())?.len();
    let bar = Bar::bytes("reading", size, progress.clone());
    let started = std::time::Instant::now();
    let totals = match args.kind {
        ImportKind::Areas => {
            let lines = cordon_import::read_areas(&args.file, limits, &progress)?;
            let mut codes: Vec<AreaCode> = lines.rows.iter().map(|r| r.code.clone()).collect();
            codes.extend(lines.rows.iter().filter_map(|r| r.parent.clone()));
            let known = store.known_areas(&codes).await?;
            let planned = cordon_domain::plan_areas(lines.rows.clone(), |c| known.get(c).cloned())
                .map_err(|p| lines.problems(p))?;
            let mut import = store.begin_import(false).await?;
            import.areas(&planned).await?;
            bar.finish();
            import.commit().await?
        }
        ImportKind::Workers => {
            let rows = cordon_import::read_workers(&args.file, limits, &progress)?;
            bar.finish();
            let (added, updated) = store.put_workers(&rows, chrono::Utc::now()).await?;
            eprintln!(
                "imported {} workers from {} ({added} new, {updated} updated) in {:.1} s",
                rows.len(),
                args.file.display(),
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        ImportKind::Venues => {
            let rows = cordon_import::read_venues(&args.file, limits, &progress)?;
            let venues: Vec<cordon_store::Venue> = rows
                .iter()
                .map(|r| cordon_store::Venue {
                    venue_id: r.venue_id.clone(),
                    name: r.name.clone(),
                    area: r.area.clone(),
                    kind: r.kind.clone(),
                })
                .collect();
            bar.finish();
            let n = store.put_venues(&venues).await.map_err(|e| match e {
                // The store counts rows of the batch; the reader knows their lines.
                cordon_store::StoreError::NotFound(m) => {
                    anyhow::anyhow!(
                        "{}: {m} is not in the register; nothing was imported",
                        args.file.display()
                    )
                }
                other => other.into(),
            })?;
            eprintln!(
                "imported {n} venues from {} in {:.1} s",
                args.file.display(),
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        ImportKind::Scans => {
            if size > limits.max_file_bytes {
                bail!(
                    "{}: the file is {size} bytes; the limit is {} bytes (see --max-file-bytes)",
                    args.file.display(),
                    limits.max_file_bytes
                );
            }
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let tz = cordon_import::DEFAULT_TZ;
            let parquet = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
            let builder = if parquet {
                cordon_trace::columnar::read_scans_parquet(&args.file, tz, threads)?
            } else {
                cordon_trace::read::read_scans_file(&args.file, tz, threads)?
            };
            bar.finish();
            let now = chrono::Utc::now();
            cordon_server::check_scan_times(&builder, now)
                .map_err(|m| anyhow::anyhow!("{}: {m}", args.file.display()))?;
            let sha = sha256_file(&args.file)?;
            let name = args.file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let file = cordon_store::ScanFile { sha256: sha, name, at: now, by: "cordon import".into() };
            let rows = builder.len() as u64;
            let landing = Bar::new("landing", rows);
            let mut done = 0u64;
            let mut counted = cordon_server::scan_rows(&builder).inspect(|_| {
                done += 1;
                if done.is_multiple_of(100_000) {
                    landing.set(done);
                }
            });
            let (rec, new) = store.add_scans(&file, &mut counted).await?;
            landing.finish();
            if new {
                eprintln!(
                    "imported {} scans from {} in {:.1} s (file {}); a running server picks them up on restart",
                    rec.rows,
                    args.file.display(),
                    started.elapsed().as_secs_f64(),
                    rec.id
                );
            } else {
                eprintln!(
                    "{} was imported before (file {}, {} scans): nothing added",
                    args.file.display(),
                    rec.id,
                    rec.rows
                );
            }
            return Ok(());
        }
        ImportKind::Samples | ImportKind::Results => {
            let state = cordon_server::AppState::new(store.clone(), cordon_server::Config::default());
            let user = acting_user(&store, &args.acting.acting).await?;
            let sha = sha256_file(&args.file)?;
            let path = args.file.clone();
            let summary = if matches!(args.kind, ImportKind::Samples) {
                let out =
                    cordon_server::testing::import_samples(&state, &user, &path, sha, limits, &progress)
                        .await
                        .map_err(api_error)?;
                if out.new {
                    format!("imported {} samples in {} tubes", out.rows, out.tubes)
                } else {
                    format!("{} was imported before (file {}): nothing added", path.display(), out.file_id)
                }
            } else {
                let out =
                    cordon_server::testing::import_results(&state, &user, &path, sha, limits, &progress)
                        .await
                        .map_err(api_error)?;
                if out.new {
                    let mut s = format!(
                        "imported {} results: {} negative, {} positive ({} pools, {} people held for a retest), \
                         {} invalid; {} tasks opened, {} settled; {} cases opened; {} zones proposed",
                        out.rows,
                        out.negative,
                        out.positive,
                        out.positive_pools.len(),
                        out.held,
                        out.invalid,
                        out.tasks_opened,
                        out.tasks_closed,
                        out.cases_opened.len(),
                        out.proposals.len()
                    );
                    for w in &out.warnings {
                        s.push_str(&format!("\nwarning: {w}"));
                    }
                    s
                } else {
                    format!("{} was imported before (file {}): nothing changed", path.display(), out.file_id)
                }
            };
            bar.finish();
            eprintln!("{summary} ({:.1} s)", started.elapsed().as_secs_f64());
            return Ok(());
        }
        ImportKind::People => {
            let this_year = chrono::Utc::now().year();
            let mut reader = PeopleReader::open(&args.file, limits, &progress, this_year)?;
            let mut import = store.begin_import(true).await?;
            loop {
                let batch = reader.next_batch(20_000);
                if batch.rows.is_empty() {
                    break;
                }
                if !reader.is_clean() {
                    // The file will be refused: keep reading only to report every problem.
                    continue;
                }
                for r in import.people(&batch.rows).await? {
                    reader.reject(batch.lines[r.index], r.column, r.reason);
                }
            }
            bar.finish();
            reader.finish()?;
            import.commit().await?
        }
    };
    eprintln!(
        "imported {} in {:.1} s; the register now holds {} areas and {} people",
        args.file.display(),
        started.elapsed().as_secs_f64(),
        totals.areas,
        totals.people
    );
    Ok(())
}

/// The user a command acts as.
async fn acting_user(store: &Arc<dyn Store>, name: &str) -> Result<cordon_store::User> {
    store
        .user_by_name(name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {name:?}: name one with --as (cordon user list)"))
}

/// A service error as the person at the terminal reads it (a file's errors name their rows).
fn api_error(e: cordon_server::ApiError) -> anyhow::Error {
    match e {
        cordon_server::ApiError::Invalid { field, message } if field == "file" => anyhow::anyhow!(message),
        other => anyhow::anyhow!(other.to_string()),
    }
}

async fn round(cmd: RoundCommand) -> Result<()> {
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

fn pool_size(a: &PoolSizeArgs) -> Result<()> {
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

/// The SHA-256 of a file, read in blocks: what tells a file of scans sent twice.
fn sha256_file(path: &std::path::Path) -> Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path).with_context(|| path.display().to_string())?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).with_context(|| path.display().to_string())?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// A new password for `username`: read from standard input (and checked), or generated.
fn read_password(from_stdin: bool, username: &str) -> Result<(String, bool)> {
    if !from_stdin {
        return Ok((random_password(), true));
    }
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    cordon_domain::user::check_new_password(&p, username)?;
    Ok((p, false))
}

async fn roles(cmd: RolesCommand) -> Result<()> {
    let (role, rights, granted, db) = match cmd {
        RolesCommand::List { db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let held = store.role_rights().await?;
            for role in Role::ALL {
                let mine: Vec<_> = held.iter().filter(|h| h.role == role).collect();
                let granted: Vec<&str> =
                    mine.iter().filter(|h| h.granted).map(|h| h.right.as_str()).collect();
                println!("{} ({}): {}", role.as_str(), role.name_zh(), granted.join(" "));
                for h in mine.iter().filter(|h| h.changed_at.is_some()) {
                    println!(
                        "    {} {} by {} at {}",
                        if h.granted { "granted" } else { "revoked" },
                        h.right,
                        h.changed_by.as_deref().unwrap_or("?"),
                        h.changed_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                    );
                }
            }
            return Ok(());
        }
        RolesCommand::Grant { role, rights, db } => (role, rights, true, db),
        RolesCommand::Revoke { role, rights, db } => (role, rights, false, db),
    };
    let role = Role::parse(&role)?;
    // Every name is checked before anything changes: a typo in the third right changes nothing.
    let rights = rights.iter().map(|r| cordon_domain::Right::parse(r)).collect::<Result<Vec<_>, _>>()?;
    if let Some(r) = rights.iter().find(|r| !granted && role.keeps(**r)) {
        bail!("{} keeps {r}: without it no one could undo a change or see who read whom", role.as_str());
    }
    let store = open(&db.url(DEFAULT_DB)).await?;
    let by = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "operator".into()));
    for r in rights {
        let changed = store.set_role_right(role, r, granted, &by, chrono::Utc::now()).await?;
        let (done, verb) = if granted { ("granted", "holds") } else { ("revoked", "lacks") };
        match changed {
            true => println!("{} {r} {done}", role.as_str()),
            false => println!("{} already {verb} {r}", role.as_str()),
        }
    }
    Ok(())
}

async fn user(cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add { username, role, scope, display_name, password_stdin, db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let name = cordon_domain::Username::parse(&username)?;
            let role = Role::parse(&role)?;
            let scope = AreaCode::parse(&scope)?;
            let (password, generated) = read_password(password_stdin, &username)?;
            let password_hash = cordon_server::hash_password(password.clone()).await?;
            let display_name = display_name.unwrap_or_else(|| username.clone());
            let u = store
                .create_user(&NewUser {
                    username: name.as_str().into(),
                    display_name,
                    role,
                    scope,
                    password_hash,
                })
                .await?;
            println!("added {} ({}, scope {} {})", u.username, u.role.as_str(), u.scope, u.scope_name);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Passwd { username, password_stdin, db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let (password, generated) = read_password(password_stdin, &username)?;
            let hash = cordon_server::hash_password(password.clone()).await?;
            if !store.set_password(&username, &hash).await? {
                bail!("no user {username}");
            }
            println!("password of {username} changed; their sessions are closed");
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::TwoFactor { username, reset: _, db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let Some(u) = store.user_by_name(&username).await? else { bail!("no user {username}") };
            store.set_totp_secret(u.id, None).await?;
            // Whoever holds the lost phone and a session keeps nothing: every session ends.
            store.set_password(&u.username, &u.password_hash).await?;
            println!("two-factor sign-in of {username} is off; their sessions are closed");
        }
        UserCommand::List { db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            for u in store.users().await? {
                let second = if u.two_factor { "2fa" } else { "" };
                println!(
                    "{:<16} {:<17} {:<16} {:<4} {}",
                    u.username,
                    u.role.as_str(),
                    u.scope,
                    second,
                    u.scope_name
                );
            }
        }
    }
    Ok(())
}
