//! What the needs' service refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to the needs' service was refused.
#[derive(Debug, thiserror::Error)]
pub enum NeedError {
    /// Nothing of that id in the user's areas.
    #[error("not found")]
    NotFound,
    /// Not this user's to do, or not in their areas.
    #[error("{0}")]
    Forbidden(String),
    /// Not now: the record as it stands refuses it.
    #[error("{0}")]
    Conflict(String),
    /// A field of the request is wrong, and why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Refused by the zones' service, called on the way.
    #[error(transparent)]
    Zone(#[from] crate::zones::ZoneError),
    /// Refused by the gates' service, called on the way.
    #[error(transparent)]
    Gate(#[from] crate::gates::GateError),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(StoreError),
}

impl NeedError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        NeedError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<StoreError> for NeedError {
    fn from(e: StoreError) -> Self {
        match e {
            // Kept apart so that a caller matching a conflict sees the store's as well.
            StoreError::Conflict(m) => NeedError::Conflict(m),
            e => NeedError::Store(e),
        }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for NeedError {
    fn from(e: cordon_domain::DomainError) -> Self {
        NeedError::invalid(e.field(), e.reason())
    }
}
