//! Mass testing (核酸检测): rounds, pooled tubes, lab results, retests and the sweep: the service, its
//! API and its pages.

mod error;
pub use error::TestingError;
mod service;
mod sweep;

pub use service::*;
pub use sweep::*;
pub mod api;
pub mod pages;
mod words;
pub use words::TestTexts;
