//! 用户管理: the sign-ins of the people who run the system, managed by headquarters and the
//! district offices under their own areas: the service, its API and its pages.

mod service;

pub use service::*;
pub mod api;
pub mod pages;
mod words;
