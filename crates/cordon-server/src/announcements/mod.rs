//! 通知公告: notices a worker posts to an area — "核酸检测 明早7:00 东门" — that residents under it
//! read on their page and receive as a text: the service and its API.

mod service;

pub use service::*;
pub mod api;
pub mod pages;
mod words;
