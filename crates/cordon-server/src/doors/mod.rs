//! The sweep's doors (扫楼入户): what a team records at each door of a round's list — sampled,
//! not at home, moved out, refused, someone found and registered on the spot: the service, its
//! API and its page's form. The list itself and the round's figures are testing's; this
//! capability writes what the doors found, through the register's vetting for a person found.

mod field;
mod offline;
mod service;

pub use offline::*;
pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::DoorTexts;
