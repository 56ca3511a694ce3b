//! What the workforce's service refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to the workforce's service was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkforceError {
    /// Nothing of that id in the user's areas.
    #[error("not found")]
    NotFound,
    /// Not this user's to do, or not in their areas.
    #[error("{0}")]
    Forbidden(String),
    /// A field of the request is wrong, and why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Refused by the zones' service, called on the way.
    #[error(transparent)]
    Zone(#[from] crate::zones::ZoneError),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WorkforceError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        WorkforceError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for WorkforceError {
    fn from(e: cordon_domain::DomainError) -> Self {
        WorkforceError::invalid(e.field(), e.reason())
    }
}
