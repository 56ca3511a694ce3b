//! 封控区/管控区/防范区 — zones drawn on areas, their history, the proposals to step them down, and the
//! protocol profiles in force: the service, its API and its pages.

mod error;
pub use error::ZoneError;
mod profiles;
mod service;

pub use profiles::{PROFILE_SETTING, choose_profile, profile_in_force, profiles, put_profile};
pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::blocker as blocker_text;
