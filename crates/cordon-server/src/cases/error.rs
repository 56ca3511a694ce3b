//! What the cases' service refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to the cases' service was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
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
    /// Up, but a part of it is still warming (the scan index loading).
    #[error("{0}")]
    NotReady(String),
    /// What should not fail did (a key, a file, a template): logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(String),
    /// Refused by the zones' service, called on the way.
    #[error(transparent)]
    Zone(#[from] crate::zones::ZoneError),
    /// Refused by the follow-up's service, called on the way.
    #[error(transparent)]
    FollowUp(#[from] super::followup::FollowUpError),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(StoreError),
}

impl CaseError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        CaseError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<StoreError> for CaseError {
    fn from(e: StoreError) -> Self {
        match e {
            // Kept apart so that a caller matching a conflict sees the store's as well.
            StoreError::Conflict(m) => CaseError::Conflict(m),
            e => CaseError::Store(e),
        }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for CaseError {
    fn from(e: cordon_domain::DomainError) -> Self {
        CaseError::invalid(e.field(), e.reason())
    }
}
