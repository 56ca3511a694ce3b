//! Residents' needs (群众诉求): requests raised, routed to an owner, escalated when nobody acts, and
//! the day's care: the service, its API and its pages.

mod error;
pub use error::NeedError;
mod service;

pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::NeedTexts;
