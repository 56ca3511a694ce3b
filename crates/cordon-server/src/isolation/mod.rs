//! 集中隔离与收治: sites' rooms and the stays in them — the service, its API and its pages. The
//! sites themselves are created with the workforce (they are units of 包联); this capability
//! keeps what is inside them, and the transfers (转运) that bring people to them.

mod plan;
mod service;
mod transfers;

pub use plan::{NotPlaced, PlanPerson, PlanRequest, PlannedStay, TransferProposal, plan};
pub use service::*;
pub use transfers::{
    PassengerView, StepKind, TransferDetail, TransferPassenger, TransferRequest, TransferStepRequest,
    TransferStepView, TransferView, VIEW_TRANSFERS, order, step, sweep_transfers, transfer, transfers,
};
pub mod api;
pub mod pages;
mod words;
pub use words::IsolationTexts;
