//! The register (户籍): the areas, the people in their households, and the duplicates found among
//! them: the services, their API and their pages.

mod error;
pub use error::RegisterError;
mod service;

pub use service::*;
pub mod api;
pub mod duplicates;
pub mod duplicates_pages;
pub mod entries;
pub mod entries_pages;
pub mod glass;
pub mod glass_pages;
pub mod pages;
pub mod words;
