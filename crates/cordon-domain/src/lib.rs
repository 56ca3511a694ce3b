//! Cordon's domain: the types and rules of an outbreak-containment command.
//!
//! Everything here is plain data and pure functions. No I/O, no async, no SQL, no HTTP: the
//! store, the importers and the server all speak these types, so a rule lives in one place.

pub mod area;
pub mod briefing;
pub mod cases;
pub mod chain;
pub mod disclosure;
pub mod door;
pub mod duplicates;
pub mod duty;
pub mod error;
pub mod followup;
pub mod format;
pub mod gates;
pub mod isolation;
pub mod lifecycle;
pub mod needs;
pub mod notice;
pub mod outbox;
pub mod outcome;
pub mod pass;
pub mod person;
pub mod privacy;
pub mod protocol;
pub mod register;
pub mod retention;
pub mod rights;
pub mod sanitation;
pub mod supplies;
pub mod testing;
pub mod tiers;
pub mod transfer;
pub mod user;
pub mod workforce;

pub use area::{Area, AreaCode, AreaLevel, AreaPath, AreaRow, AreaStats, plan_areas};
pub use cases::{CaseClass, ContactKind, ContactSource, ContactStatus, Schedule};
pub use disclosure::{Disclosure, Reach};
pub use error::DomainError;
pub use lifecycle::{Blocker, EventKind, ZoneEvent, ZoneState, zone_state};
pub use outcome::{CaseOutcome, DischargeRule};
pub use person::{IdNumber, PersonId, PersonRow, Phone, Sex, Tag, Tags};
pub use privacy::{AuditRead, ChainCheck, ChainReport, Pseudonyms, audit_link};
pub use protocol::{Profile, Tier};
pub use register::PersonStatus;
pub use retention::Retention;
pub use rights::{Need, Right, Rights, may_hand_over};
pub use testing::{Pooling, TubeResult};
pub use tiers::{TierFigures, ZoneCover};
pub use user::{Role, Username};
