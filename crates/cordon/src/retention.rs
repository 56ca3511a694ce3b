//! `cordon outbreak` and `cordon purge`: closing an outbreak starts its retention period
//! (`cordon_domain::Retention`); once it has run, the personal data goes
//! (`Store::purge_personal_data`), after a dry run that reports what would.

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use cordon_domain::{AreaPath, EventKind, Retention, ZoneEvent};
use cordon_store::{NewZoneEvent, Store, ZoneQuery};

/// The settings the closing is kept in.
const CLOSED_ON: &str = "outbreak_closed_on";
const KEEP_DAYS: &str = "retention_days";
const CLOSED_BY: &str = "outbreak_closed_by";

#[derive(Subcommand)]
pub enum OutbreakCommand {
    /// Closes the outbreak (疫情结束): its personal data is kept for the retention period from
    /// the closing date, then `cordon purge` deletes or pseudonymises it.
    Close(CloseArgs),
    /// Reopens a closed outbreak (a new wave before the purge): the retention clock stops.
    Reopen(crate::common::DbArg),
    /// Whether the outbreak is closed, and when its personal data is due for purging.
    Status(crate::common::DbArg),
}

#[derive(Args)]
pub struct CloseArgs {
    #[command(flatten)]
    db: crate::common::DbArg,
    /// Days the personal data is kept after the closing date.
    #[arg(long)]
    retention_days: u32,
    /// The local date the outbreak closed (YYYY-MM-DD); today when not given. Not after today.
    #[arg(long)]
    on: Option<NaiveDate>,
    /// Who closes it, for the record (a user of the deployment).
    #[arg(long, default_value = "admin")]
    by: String,
    /// Lift the zones still active, as part of the closing. Without it a closing is refused
    /// while any zone is active.
    #[arg(long)]
    lift_zones: bool,
}

#[derive(Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    db: crate::common::DbArg,
    /// Report what would be deleted or pseudonymised, and change nothing.
    #[arg(long)]
    dry_run: bool,
}

/// The deployment's time zone, whose dates the closing and the due date are.
fn tz() -> chrono_tz::Tz {
    cordon_server::Config::default().tz
}

fn today() -> NaiveDate {
    Utc::now().with_timezone(&tz()).date_naive()
}

async fn retention(store: &dyn Store) -> Result<Option<Retention>> {
    // A reopened outbreak leaves the settings empty.
    let closed = store.setting(CLOSED_ON).await?.filter(|s| !s.is_empty());
    let days = store.setting(KEEP_DAYS).await?.filter(|s| !s.is_empty());
    match (closed, days) {
        (Some(c), Some(d)) => {
            Ok(Some(Retention::from_settings(&c, &d).context("reading the outbreak's closing")?))
        }
        _ => Ok(None),
    }
}

fn describe(r: &Retention, by: Option<&str>, today: NaiveDate) -> String {
    let by = by.map(|b| format!(" by {b}")).unwrap_or_default();
    let due = if r.is_due(today) {
        "due now".to_owned()
    } else {
        format!("{} days from today", r.days_left(today))
    };
    format!(
        "The outbreak was closed on {}{by}; its personal data is kept {} days: due for purging on {} ({due}).",
        r.closed_on,
        r.keep_days,
        r.due_on()
    )
}

/// Says in the log, when the server starts, that a closed outbreak's personal data is due and
/// not yet purged: the purge itself is a decision taken at the command line.
pub async fn warn_if_due(store: &dyn Store) -> Result<()> {
    let Some(r) = retention(store).await? else { return Ok(()) };
    let purged = store.setting("purged_at").await?.filter(|s| !s.is_empty());
    let purged_since_due = purged
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok())
        .is_some_and(|at| at.with_timezone(&tz()).date_naive() >= r.due_on());
    if r.is_due(today()) && !purged_since_due {
        tracing::warn!(
            closed_on = %r.closed_on,
            due_on = %r.due_on(),
            "the closed outbreak's personal data is due for purging: `cordon purge --dry-run`, then `cordon purge`"
        );
    }
    Ok(())
}

pub async fn outbreak(cmd: OutbreakCommand) -> Result<()> {
    match cmd {
        OutbreakCommand::Close(a) => close(a).await,
        OutbreakCommand::Reopen(db) => {
            let store = crate::common::open(&db.url(crate::common::DEFAULT_DB)).await?;
            if retention(&*store).await?.is_none() {
                bail!("the outbreak is not closed");
            }
            // The closing date first: a reopening interrupted after it has happened.
            for key in [CLOSED_ON, KEEP_DAYS, CLOSED_BY] {
                store.set_setting(key, "").await?;
            }
            println!("The outbreak is open again: no personal data is due for purging.");
            Ok(())
        }
        OutbreakCommand::Status(db) => {
            let store = crate::common::open(&db.url(crate::common::DEFAULT_DB)).await?;
            match retention(&*store).await? {
                Some(r) => println!("{}", describe(&r, store.setting(CLOSED_BY).await?.as_deref(), today())),
                None => println!("The outbreak is open: no personal data is due for purging."),
            }
            if let Some(at) = store.setting("purged_at").await?.filter(|s| !s.is_empty()) {
                println!("Personal data was last purged at {at}.");
            }
            Ok(())
        }
    }
}

async fn close(a: CloseArgs) -> Result<()> {
    let store = crate::common::open(&a.db.url(crate::common::DEFAULT_DB)).await?;
    let today = today();
    let r = Retention::new(a.on.unwrap_or(today), a.retention_days, today)?;
    if let Some(old) = retention(&*store).await? {
        bail!(
            "the outbreak was closed already on {} (`cordon outbreak reopen` first to change it)",
            old.closed_on
        );
    }
    let user = crate::common::acting_user(&store, &a.by).await?;
    if !user.may(cordon_domain::Right::Command) {
        bail!("{} lacks the `command` right (headquarters'): only headquarters closes an outbreak", a.by);
    }
    let every = ZoneQuery { limit: 1_000_000, ..ZoneQuery::default() };
    let active = store.zones(&AreaPath::root(), &every).await?;
    if !active.is_empty() && !a.lift_zones {
        let list: Vec<String> =
            active.iter().take(5).map(|z| format!("{} ({})", z.area.as_str(), z.tier.as_str())).collect();
        bail!(
            "{} zones are still active ({}{}): lift them first, or pass --lift-zones to lift them with the closing",
            active.len(),
            list.join(", "),
            if active.len() > 5 { ", …" } else { "" }
        );
    }
    let now = Utc::now();
    for z in &active {
        let event = NewZoneEvent {
            event: ZoneEvent { at: now, kind: EventKind::Lifted },
            note: "疫情结束 outbreak closed".to_owned(),
            person_id: None,
            by: user.username.clone(),
            recorded_at: now,
        };
        store
            .record_zone_event(z.id, &event)
            .await
            .with_context(|| format!("lifting zone {} on {}", z.id, z.area.as_str()))?;
    }
    let (closed_on, days) = r.to_settings();
    store.set_setting(KEEP_DAYS, &days).await?;
    store.set_setting(CLOSED_BY, &user.username).await?;
    // Last: a closing interrupted before this line has not happened.
    store.set_setting(CLOSED_ON, &closed_on).await?;
    if !active.is_empty() {
        println!("Lifted {} zones.", active.len());
    }
    println!("{}", describe(&r, Some(&user.username), today));
    println!("`cordon purge --dry-run` reports what the purge will delete.");
    Ok(())
}

pub async fn purge(a: PurgeArgs) -> Result<()> {
    let store = crate::common::open(&a.db.url(crate::common::DEFAULT_DB)).await?;
    let today = today();
    let Some(r) = retention(&*store).await? else {
        bail!(
            "the outbreak is not closed: `cordon outbreak close --retention-days N` starts its retention period"
        );
    };
    println!("{}", describe(&r, store.setting(CLOSED_BY).await?.as_deref(), today));
    if !a.dry_run && !r.is_due(today) {
        bail!(
            "the retention period has {} days to run: nothing was purged (--dry-run reports what will be)",
            r.days_left(today)
        );
    }
    let started = std::time::Instant::now();
    let steps = store.purge_personal_data(!a.dry_run).await?;
    if a.dry_run {
        println!("Dry run: nothing was changed. The purge would:");
    } else {
        println!("Purged in {:.1} s, in one transaction:", started.elapsed().as_secs_f64());
    }
    let width = steps.iter().map(|s| s.table.len()).max().unwrap_or(0);
    for s in &steps {
        println!(
            "  {:<12} {:>12}  {:<width$}  {}",
            s.action.as_str(),
            cordon_domain::format::count_en(i64::try_from(s.rows).unwrap_or(i64::MAX)),
            s.table,
            s.what
        );
    }
    println!(
        "Kept: areas and their counts, zones and their history, tubes and their results, \
         published notices and briefings, the workforce, and the audit of reads."
    );
    if !a.dry_run {
        println!("Restart any running server: it holds what it read of venue scans in memory.");
    }
    Ok(())
}
