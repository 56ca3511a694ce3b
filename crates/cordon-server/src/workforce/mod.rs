//! The workforce (包联): workers reporting in, assignments to units, coverage and its gaps, command
//! posts: the service, its API and its pages.

mod service;

pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::WorkTexts;
