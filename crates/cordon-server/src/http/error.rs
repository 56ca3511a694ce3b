use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cordon_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Every error the server returns, with its status and its JSON body
/// `{"error": {"code": …, "message": …}}` (formats.md). Database and internal errors are logged
/// and returned bare: their text may hold data, and it helps no caller.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first")]
    Unauthorized,
    #[error("wrong username or password")]
    BadLogin,
    /// The password was right; the account signs in with a code as well.
    #[error("this account signs in with the code of its authenticator app as well")]
    TwoFactorCode,
    #[error("wrong two-factor code, or a code used already: wait for the next one")]
    BadCode,
    /// Headquarters without a second factor, under a deployment that requires one.
    #[error("headquarters signs in with a second factor: set one up on your account page (/account) first")]
    TwoFactorRequired,
    /// 停用: the password was right, but the sign-in is disabled.
    #[error("this sign-in is disabled: ask the office that manages your sign-in")]
    Disabled,
    #[error("not found")]
    NotFound,
    /// The entry was merged into another (重复登记), named, inside the reader's areas.
    #[error("this entry was merged into {0}")]
    Merged(String),
    /// Not found, saying what.
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("the request body is larger than the server accepts")]
    TooLarge,
    /// Too many failed sign-ins for an account: wait this many seconds.
    #[error("too many failed sign-ins for this account: try again in {0} seconds")]
    TooManyAttempts(u64),
    /// Too many requests from one address (a flood of codes asked): wait this many seconds.
    #[error("too many requests from your address: try again in {0} seconds")]
    TooManyRequests(u64),
    /// A resident's sign-in code that is wrong, spent or expired (one answer for all).
    #[error("wrong or expired code: ask for a new one")]
    WrongCode,
    #[error("the database is unavailable")]
    Unavailable,
    /// The disk under the database is full: the write was refused whole.
    #[error("the database's disk is full: nothing was written; free space on it and try again")]
    StorageFull,
    /// The server is up but a part of it is still warming (the scan index loading).
    #[error("{0}")]
    NotReady(String),
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable word for programs: merged (the entry went into the one named), unauthorized, two_factor_code (give `code` too),
    /// two_factor_required (enrol a second factor first), disabled (the sign-in is disabled), forbidden, not_found, conflict, bad_request,
    /// invalid, too_large, too_many_attempts, too_many_requests, unavailable, storage_full, not_ready, internal.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized
            | ApiError::BadLogin
            | ApiError::TwoFactorCode
            | ApiError::BadCode
            | ApiError::WrongCode => StatusCode::UNAUTHORIZED,
            ApiError::TwoFactorRequired | ApiError::Disabled => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::Missing(_) | ApiError::Merged(_) => StatusCode::NOT_FOUND,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyAttempts(_) | ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable | ApiError::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized | ApiError::BadLogin | ApiError::BadCode | ApiError::WrongCode => {
                "unauthorized"
            }
            ApiError::TwoFactorCode => "two_factor_code",
            ApiError::TwoFactorRequired => "two_factor_required",
            ApiError::Disabled => "disabled",
            ApiError::NotFound | ApiError::Missing(_) => "not_found",
            ApiError::Merged(_) => "merged",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "conflict",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Invalid { .. } => "invalid",
            ApiError::TooLarge => "too_large",
            ApiError::TooManyAttempts(_) => "too_many_attempts",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Unavailable => "unavailable",
            ApiError::StorageFull => "storage_full",
            ApiError::NotReady(_) => "not_ready",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid { field: field.to_owned(), message: message.into() }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            tracing::error!(error = %e, "database unavailable");
            ApiError::Unavailable
        } else if e.is_storage_full() {
            tracing::error!(error = %e, "the database's disk is full");
            ApiError::StorageFull
        } else if let StoreError::Conflict(m) = e {
            ApiError::Conflict(m)
        } else if let StoreError::NotFound(m) = e {
            ApiError::BadRequest(format!("{m} not found"))
        } else if let StoreError::Rule(d) = e {
            ApiError::from(d)
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

impl From<cordon_domain::DomainError> for ApiError {
    fn from(e: cordon_domain::DomainError) -> Self {
        ApiError::invalid(e.field(), e.reason())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::TooLarge
            }
            r => ApiError::BadRequest(r.body_text()),
        }
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest(r.body_text())
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let field = match &self {
            ApiError::Invalid { field, .. } => Some(field.clone()),
            _ => None,
        };
        let message = match &self {
            ApiError::Invalid { message, .. } => message.clone(),
            other => other.to_string(),
        };
        let body = ErrorBody { error: ErrorDetail { code: self.code(), message, field } };
        if let ApiError::TooManyAttempts(seconds) | ApiError::TooManyRequests(seconds) = self {
            return (self.status(), [(axum::http::header::RETRY_AFTER, seconds.to_string())], Json(body))
                .into_response();
        }
        (self.status(), Json(body)).into_response()
    }
}

/// `axum::Json` whose rejection is an [`ApiError`], so malformed input gets the same JSON error
/// body as everything else.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path` whose rejection (an id that is no number, or out of range) is an
/// [`ApiError`] with the JSON error body, not axum's plain text.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);
