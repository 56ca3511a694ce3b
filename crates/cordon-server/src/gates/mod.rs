//! Gates (卡口): checkpoints, passes and their QR codes, every decision with the rule that made it,
//! and who is where: the service, its API and its pages.

mod decision;
mod error;
mod field;
mod offline;
pub use error::GateError;
mod keys;
mod service;

pub use decision::{DecisionRequest, decide_at, decide_at_gate};
pub use keys::*;
pub use offline::*;
pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::{FieldTexts, GateTexts};
