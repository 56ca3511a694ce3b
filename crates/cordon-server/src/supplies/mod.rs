//! 保供: distribution points and their stock, rounds of deliveries to every household of an
//! area, and the board of households nothing reached: the service, its API and its pages.

mod service;

pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::SupplyTexts;
