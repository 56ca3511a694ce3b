//! One's own account: signing in, the session's end, a change of password, the second factor (双因素):
//! the services, their API and their pages.

mod error;
pub use error::AccountError;
mod service;

pub use service::*;
pub mod api;
pub mod pages;
pub mod second_factor;
