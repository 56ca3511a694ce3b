//! What every command shares: the database argument, opening a store, the user a command acts as,
//! and a service error as the terminal reads it.

use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use cordon_store::Store;

#[derive(Args, Clone)]
pub(crate) struct DbArg {
    /// The database: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "CORDON_DB")]
    pub(crate) db: Option<String>,
}

impl DbArg {
    pub(crate) fn url(&self, default: &str) -> String {
        self.db.clone().unwrap_or_else(|| default.to_owned())
    }
}

pub(crate) const DEFAULT_DB: &str = "sqlite://cordon.db";

/// Opens the store and adds the shipped protocol profiles it lacks (edited ones are kept).
pub(crate) async fn open(url: &str) -> Result<Arc<dyn Store>> {
    let keys = crate::keyfile::load(url)?;
    let store =
        cordon_store::connect(url, keys).await.with_context(|| format!("opening the database {url}"))?;
    store.ensure_profiles(&cordon_domain::protocol::builtin(), chrono::Utc::now()).await?;
    Ok(store)
}

pub(crate) use cordon_server::random_password;

/// The user a command acts as.
pub(crate) async fn acting_user(store: &Arc<dyn Store>, name: &str) -> Result<cordon_store::User> {
    store
        .user_by_name(name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {name:?}: name one with --as (cordon user list)"))
}

/// A service error as the person at the terminal reads it (a file's errors name their rows).
/// Worded as the API words it, but for the two causes the API hides from a client.
pub(crate) fn api_error(e: impl Into<cordon_server::ApiError>) -> anyhow::Error {
    match e.into() {
        cordon_server::ApiError::Invalid { field, message } if field == "file" => anyhow::anyhow!(message),
        // The operator at the terminal runs the database: the cause, which a client never sees.
        cordon_server::ApiError::Internal(detail) => anyhow::anyhow!("internal error: {detail}"),
        other => anyhow::anyhow!(other.to_string()),
    }
}

/// The SHA-256 of a file, read in blocks: what tells a file of scans sent twice.
pub(crate) fn sha256_file(path: &std::path::Path) -> Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path).with_context(|| path.display().to_string())?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).with_context(|| path.display().to_string())?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Which of a lab's two files a text is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestFile {
    Samples,
    Results,
}

/// Sends the text of a samples or a results file through the same import as a lab's upload, as
/// `user`, from a file named `name` in `dir`; the cases a positive single tube opened.
pub(crate) async fn send_test_file(
    state: &cordon_server::AppState,
    user: &cordon_store::User,
    dir: &std::path::Path,
    name: &str,
    text: &str,
    kind: TestFile,
) -> Result<usize> {
    use cordon_import::{Limits, Progress};
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| path.display().to_string())?;
    let sha = sha256_file(&path)?;
    let progress = Progress::default();
    Ok(match kind {
        TestFile::Samples => {
            cordon_server::testing::import_samples(state, user, &path, sha, Limits::default(), &progress)
                .await
                .map_err(api_error)?;
            0
        }
        TestFile::Results => {
            cordon_server::testing::import_results(state, user, &path, sha, Limits::default(), &progress)
                .await
                .map_err(api_error)?
                .cases_opened
                .len()
        }
    })
}
