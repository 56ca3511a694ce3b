//! Mass testing (核酸检测): rounds, pooled tubes, lab results, retests and the sweep: the service, its
//! API and its pages.

mod service;

pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::TestTexts;
