//! What the outbox's sender refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to the outbox's sender was refused.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// A field of the request is wrong, and why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// What should not fail did (a key, a file, a template): logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OutboxError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        OutboxError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for OutboxError {
    fn from(e: cordon_domain::DomainError) -> Self {
        OutboxError::invalid(e.field(), e.reason())
    }
}
