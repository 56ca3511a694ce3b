//! The command's figures (指挥大屏), the daily briefing (工作通报) and the exports: the services, their API
//! and their pages.

mod error;
pub use error::DashboardError;
mod service;

pub use service::*;
pub mod api;
pub mod briefing;
pub mod charts;
pub mod exports;
pub mod pages;
mod words;
pub use words::DashTexts;
pub mod metrics_api;
