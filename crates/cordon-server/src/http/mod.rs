//! The plumbing every capability's routes share: who is asking (sessions and the extractor),
//! errors as statuses and JSON bodies, the headers and CSRF check of every response, the
//! metrics of every request, and the OpenAPI document's frame. No use case lives here.

pub mod auth;
pub mod bounds;
pub mod error;
pub mod guard;
pub mod metrics;
pub mod openapi;

use serde::Deserialize;
use utoipa::IntoParams;

/// The largest file (scans, samples, results) one request may send; larger files go through
/// `cordon import`.
pub const SCAN_UPLOAD_LIMIT: usize = 256 << 20;

/// The query of an upload of a file.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name, kept with it.
    pub name: Option<String>,
}
