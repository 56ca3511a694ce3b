use thiserror::Error;

/// Why a value was refused by the domain. The message is for the person who typed the value:
/// it says which part is wrong, never the whole value when that value is personal data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl DomainError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field, reason: reason.into() }
    }

    pub fn field(&self) -> &'static str {
        match self {
            DomainError::Invalid { field, .. } => field,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            DomainError::Invalid { reason, .. } => reason,
        }
    }
}
