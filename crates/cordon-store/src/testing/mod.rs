//! Mass testing (全员核酸) in the store: rounds, files of samples and results, tubes and their
//! members, and the tasks a result calls for.
//!
//! A samples file lands through a [`SampleLoad`]: its rows go into a staging table, and the
//! checks that need the register (the person exists, the tube is new, the tube keeps to the
//! pooling of its members' zones) run as a few set-based statements over the whole file before
//! anything is committed. A results file is applied the same way, and its consequences — a
//! retest task for every member of a positive pool, a new sample for every member of an invalid
//! tube, the tasks a single tube settles — are written in the same transaction. As with zones,
//! the SQL is written once for both backends (`sql.rs`).

mod assign;
mod door;
mod records;
mod refusals;

pub use assign::*;
pub use door::*;
pub use refusals::*;

pub use records::*;

mod sql;
mod sweep;
