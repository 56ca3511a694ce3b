//! Gates (卡口): checkpoints, passes and their QR codes, every decision with the rule that made it,
//! and who is where: the service, its API and its pages.

mod error;
pub use error::GateError;
mod keys;
mod service;

pub use keys::*;
pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::GateTexts;
