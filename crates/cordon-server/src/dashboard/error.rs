//! What the dashboard's service refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to the dashboard's service was refused.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// Nothing of that id in the user's areas.
    #[error("not found")]
    NotFound,
    /// Not found, saying what.
    #[error("{0}")]
    Missing(String),
    /// Not this user's to do, or not in their areas.
    #[error("{0}")]
    Forbidden(String),
    /// A field of the request is wrong, and why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// What should not fail did (a key, a file, a template): logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(String),
    /// Refused by the zones' service, called on the way.
    #[error(transparent)]
    Zone(#[from] crate::zones::ZoneError),
    /// Refused by supplies' service, called on the way.
    #[error(transparent)]
    Supplies(#[from] crate::supplies::SuppliesError),
    /// Refused by sanitation's service, called on the way.
    #[error(transparent)]
    Sanitation(#[from] crate::sanitation::SanitationError),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DashboardError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        DashboardError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for DashboardError {
    fn from(e: cordon_domain::DomainError) -> Self {
        DashboardError::invalid(e.field(), e.reason())
    }
}
