//! 消息通知: the outbox's sender — messages written by the changes that cause them, delivered to
//! an SMS gateway adapter or a file — and its figures for headquarters.

mod error;
pub use error::OutboxError;
mod sender;
mod service;
mod words;

pub use sender::{Gateway, SendRun, send_due, spawn as spawn_sender};
pub use service::*;
pub mod api;
pub mod pages;
