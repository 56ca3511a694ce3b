//! Oversight: break-the-glass (破窗) and the audit of reads, and the roles' rights as data: the
//! services, their API and their pages.

mod error;
pub use error::OversightError;
mod service;

pub use service::*;
pub mod api;
pub mod pages;
pub mod roles;
