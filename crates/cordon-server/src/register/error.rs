//! What the register's service refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to the register's service was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Nothing of that id in the user's areas.
    #[error("not found")]
    NotFound,
    /// Not found, saying what.
    #[error("{0}")]
    Missing(String),
    /// The entry was merged into another (重复登记), named, inside the reader's areas.
    #[error("this entry was merged into {0}")]
    Merged(String),
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
    /// Refused by mass testing's service, called on the way.
    #[error(transparent)]
    Testing(#[from] crate::testing::TestingError),
    /// Refused by the cases' service, called on the way.
    #[error(transparent)]
    Case(#[from] crate::cases::CaseError),
    /// Refused by isolation's service, called on the way.
    #[error(transparent)]
    Isolation(#[from] crate::isolation::IsolationError),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(StoreError),
}

impl RegisterError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        RegisterError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<StoreError> for RegisterError {
    fn from(e: StoreError) -> Self {
        match e {
            // Kept apart so that a caller matching a conflict sees the store's as well.
            StoreError::Conflict(m) => RegisterError::Conflict(m),
            e => RegisterError::Store(e),
        }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for RegisterError {
    fn from(e: cordon_domain::DomainError) -> Self {
        RegisterError::invalid(e.field(), e.reason())
    }
}
