//! What the account's service refuses, and why. The service speaks no HTTP: `api.rs` turns each refusal
//! into a status and a JSON body, the pages into a page, the command line into a message.

use cordon_store::StoreError;

/// Why a request to the account's service was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Not now: the record as it stands refuses it.
    #[error("{0}")]
    Conflict(String),
    /// A field of the request is wrong, and why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("wrong username or password")]
    BadLogin,
    /// The password was right; the account signs in with a code as well.
    #[error("this account signs in with the code of its authenticator app as well")]
    TwoFactorCode,
    #[error("wrong two-factor code, or a code used already: wait for the next one")]
    BadCode,
    /// 停用: the password was right, but the sign-in is disabled.
    #[error("this sign-in is disabled: ask the office that manages your sign-in")]
    Disabled,
    /// Too many failed sign-ins for an account: wait this many seconds.
    #[error("too many failed sign-ins for this account: try again in {0} seconds")]
    TooManyAttempts(u64),
    /// What should not fail did (a key, a file, a template): logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database refused or failed; the HTTP layer says which (unavailable, disk full, a
    /// conflict) and logs the rest.
    #[error(transparent)]
    Store(StoreError),
}

impl AccountError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AccountError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            // Kept apart so that a caller matching a conflict sees the store's as well.
            StoreError::Conflict(m) => AccountError::Conflict(m),
            e => AccountError::Store(e),
        }
    }
}

/// A rule of the domain refused a value: the field and the reason, as a wrong field.
impl From<cordon_domain::DomainError> for AccountError {
    fn from(e: cordon_domain::DomainError) -> Self {
        AccountError::invalid(e.field(), e.reason())
    }
}
