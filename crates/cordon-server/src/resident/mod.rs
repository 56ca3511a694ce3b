//! 居民端: the resident's own channel — a sign-in by phone, the household's page and requests
//! from home: the service and its API.

pub mod phones;
mod service;

pub use phones::{HouseholdPhoneRequest, HouseholdPhoneView, PhoneError};
pub use service::*;
pub mod api;
pub mod pages;
mod words;
