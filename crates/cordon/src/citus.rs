//! `cordon citus`: the PostgreSQL backend on a Citus cluster (scripts/citus-up.sh makes a local
//! one).

use anyhow::{Result, bail};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum CitusCommand {
    /// Migrates the database and places its tables on the Citus cluster it belongs to: the
    /// register and what hangs off a household by district, venue-code scans by venue, the area
    /// tree and the other small tables as reference tables. Re-runnable; a store opening a
    /// Citus database does it too.
    Distribute {
        /// The coordinator's database: postgres://USER@HOST:PORT/DB.
        #[arg(long)]
        db: String,
    },
    /// The plan: each table Cordon places on a cluster, and how.
    Plan,
}

pub async fn run(cmd: CitusCommand) -> Result<()> {
    match cmd {
        CitusCommand::Distribute { db } => {
            if !(db.starts_with("postgres://") || db.starts_with("postgresql://")) {
                bail!("{db:?} is not a PostgreSQL URL: Citus is PostgreSQL's");
            }
            let done = cordon_store::distribute(&db).await?;
            if done.placed.is_empty() {
                eprintln!("every table of the plan was placed already");
            } else {
                eprintln!("placed now: {}", done.placed.join(", "));
            }
            println!("{:<16} {:<12} by", "table", "type");
            for (table, kind, column) in &done.tables {
                println!("{table:<16} {kind:<12} {column}");
            }
            Ok(())
        }
        CitusCommand::Plan => {
            for t in cordon_store::CITUS_PLAN {
                match t.placement {
                    cordon_store::Placement::Reference => println!("{:<16} reference", t.name),
                    cordon_store::Placement::By { column, colocate_with } => println!(
                        "{:<16} distributed by {column}{}",
                        t.name,
                        colocate_with.map(|c| format!(", beside {c}")).unwrap_or_default()
                    ),
                }
            }
            Ok(())
        }
    }
}
