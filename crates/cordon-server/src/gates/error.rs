//! What the gates' service refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to the gates' service was refused.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Nothing of that id in the user's areas.
    #[error("not found")]
    NotFound,
    /// Not found, saying what.
    #[error("{0}")]
    Missing(String),
    /// Not this user's to do, or not in their areas.
    #[error("{0}")]
    Forbidden(String),
    /// Not now: the record as it stands refuses it.
    #[error("{0}")]
    Conflict(String),
    /// The ID number typed at the gate fails its check character: a typo, said as such, with
    /// nothing looked up or logged.
    #[error("person: the ID number's check character does not match: read it off the card again")]
    IdNumberMistyped,
    /// A field of the request is wrong, and why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Too many look-ups of people from elsewhere, by one worker or at one gate: flagged to
    /// headquarters; wait this many seconds.
    #[error("too many look-ups of people from elsewhere: try again in {0} seconds")]
    TooManyAttempts(u64),
    /// What should not fail did (a key, a file, a template): logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(String),
    /// Refused by the zones' service, called on the way.
    #[error(transparent)]
    Zone(#[from] crate::zones::ZoneError),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(StoreError),
}

impl GateError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        GateError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<StoreError> for GateError {
    fn from(e: StoreError) -> Self {
        match e {
            // Kept apart so that a caller matching a conflict sees the store's as well.
            StoreError::Conflict(m) => GateError::Conflict(m),
            e => GateError::Store(e),
        }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for GateError {
    fn from(e: cordon_domain::DomainError) -> Self {
        GateError::invalid(e.field(), e.reason())
    }
}
