//! `cordon audit verify`: the audit's hash chain checked entry by entry.

use anyhow::Result;
use clap::Subcommand;

use crate::common::{DEFAULT_DB, DbArg, open};

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Checks the audit's hash chain entry by entry: exits 1, naming the first entry that does
    /// not hold, if one was altered or removed, or entries were cut off the end. Prints the
    /// chain's head, worth keeping elsewhere (whoever can rewrite the whole table can rewrite
    /// the chain with it).
    Verify(DbArg),
}

pub(crate) async fn audit_verify(db: DbArg) -> Result<()> {
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
