//! The workforce (包联): workers reporting in, assignments to units, coverage and its gaps, command
//! posts: the service, its API and its pages.

mod error;
pub use error::WorkforceError;
mod duty;
mod duty_words;
mod service;
mod units;

pub use duty::*;
pub use service::*;
pub use units::{UnitsCache, UnitsCell, warm};
pub mod api;
pub mod pages;
mod words;
pub use words::WorkTexts;
