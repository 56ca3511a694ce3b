//! Cases and contacts: venues and their scans, cases with their history and trajectories, the
//! contacts derived from them and the public notices.
//!
//! As with zones, the SQL is written once for both backends (`sql.rs`). A case
//! is visible to a reader whose scope holds the case's household; a contact is visible when its
//! own household or its case's is in scope (the epidemiologist of a case follows up contacts
//! living elsewhere). Case events are only inserted.

mod followup;
mod outcome;
mod records;

pub use followup::*;
pub use records::*;

mod sql;
pub(crate) use followup::quarantine_at;
pub(crate) use outcome::admit_case;
