//! What mass testing's service refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to mass testing's service was refused.
#[derive(Debug, thiserror::Error)]
pub enum TestingError {
    /// Nothing of that id in the user's areas.
    #[error("not found")]
    NotFound,
    /// Not this user's to do, or not in their areas.
    #[error("{0}")]
    Forbidden(String),
    /// A field of the request is wrong, and why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A person named in a tube is not one: `index` counts from 0 in the order given; `unknown`
    /// when the id is well formed but nobody in the register has it. Typed, so a page can say it
    /// in its own language.
    #[error("person_ids: person {} of the tube, {id}: {}", index + 1, if *unknown { "not in the register".to_owned() } else { reason.clone() })]
    Member { index: usize, id: String, unknown: bool, reason: String },
    /// What should not fail did (a key, a file, a template): logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(String),
    /// Refused by the zones' service, called on the way.
    #[error(transparent)]
    Zone(#[from] crate::zones::ZoneError),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TestingError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        TestingError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for TestingError {
    fn from(e: cordon_domain::DomainError) -> Self {
        TestingError::invalid(e.field(), e.reason())
    }
}
