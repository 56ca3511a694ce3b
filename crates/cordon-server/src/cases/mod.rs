//! Cases and contacts (病例与密接): cases with their events, venue-code scans, tracing, trajectories and
//! public notices, the transmission chain: the service, its API and its pages.

mod error;
pub use error::CaseError;
mod checks_field;
mod checks_offline;
mod followup;
mod followup_words;
mod list;
mod outcome;
mod service;

pub use checks_offline::*;
pub use followup::*;
pub use list::*;
pub use outcome::*;
pub use service::*;
pub mod api;
mod chain;
pub use chain::{chain, chain_picture};
pub mod pages;
pub mod scan_index;
mod words;
pub use words::CaseTexts;
