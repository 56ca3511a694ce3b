//! 卫生保洁、消杀: disinfection tasks (a case's home and stairs after their pick-up, or a place
//! an officer names) and the waste of sealed buildings: the service, its API and its pages.

mod service;

pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::SanitationTexts;
