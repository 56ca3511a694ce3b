//! 消息 (a worker's inbox): what the system tells a worker — a request that climbed to the rung
//! they answer for, a medical emergency raised where they answer — with the unread count in the
//! top bar of every page, a page to read them, and the API. The messages are the outbox's rows
//! addressed to a user, written in the transaction of the change that caused them.

mod service;
mod words;

pub use service::*;
pub mod api;
pub mod pages;
