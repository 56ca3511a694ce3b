//! Sampling in the field (采样): the buildings of a round each sampler answers for (采样分工),
//! the post their phone keeps, and the tubes it sends after sampling without the network. The
//! round, its tubes and their checks are mass testing's; this capability gives out the
//! buildings and lands what the phones took, through testing's own tube.

mod field;
mod offline;
mod service;

pub use offline::*;
pub use service::*;
pub mod api;
pub mod pages;
mod words;
pub use words::SamplingTexts;
