//! The server's index of venue-code scans: every scan it ingested, held by the trace engine in
//! memory, so a new case's contacts come back in milliseconds instead of a scan of the table.
//!
//! The index is loaded from the store when the server starts (in the background: the server
//! serves meanwhile, and tracing says the index is loading) and extended after every file of
//! scans lands. The engine's builder keeps the rows gathered so far; each refresh appends the
//! new rows and builds a fresh sorted index on a blocking thread, then swaps it in whole, so a
//! trace never sees half an index.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use cordon_store::Store;
use cordon_trace::engine::{Scans, ScansBuilder};
use serde::Serialize;
use utoipa::ToSchema;

/// Rows fetched from the store per query while loading.
const PAGE: u32 = 50_000;

#[derive(Default)]
struct Inner {
    builder: ScansBuilder,
    last_id: i64,
    scans: Option<Arc<Scans>>,
    loading: bool,
    build_ms: u64,
    error: Option<String>,
}

/// Shared by every request; cheap to clone.
#[derive(Clone, Default)]
pub struct ScanIndex {
    inner: Arc<RwLock<Inner>>,
    /// One refresh at a time: two would each append the same new rows.
    refresh: Arc<tokio::sync::Mutex<()>>,
}

/// What the index holds now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndexStatus {
    /// False until the first load finished.
    pub ready: bool,
    pub loading: bool,
    pub scans: usize,
    pub people: usize,
    pub venues: usize,
    /// How long the last build of the sorted index took.
    pub build_ms: u64,
    /// Why the last refresh failed, if it did.
    pub error: Option<String>,
}

impl ScanIndex {
    /// The index as it is now: None until the first load has finished.
    pub fn current(&self) -> Option<Arc<Scans>> {
        self.inner.read().expect("scan index lock").scans.clone()
    }

    pub fn status(&self) -> IndexStatus {
        let g = self.inner.read().expect("scan index lock");
        IndexStatus {
            ready: g.scans.is_some(),
            loading: g.loading,
            scans: g.scans.as_ref().map_or(0, |s| s.len()),
            people: g.scans.as_ref().map_or(0, |s| s.people_count()),
            venues: g.scans.as_ref().map_or(0, |s| s.venues.len()),
            build_ms: g.build_ms,
            error: g.error.clone(),
        }
    }

    /// Reads the scans the store has beyond those indexed and rebuilds the index with them.
    /// Returns the number of new scans.
    pub async fn refresh(&self, store: &Arc<dyn Store>) -> Result<usize, cordon_store::StoreError> {
        let _one = self.refresh.lock().await;
        let (mut builder, mut last_id) = {
            let mut g = self.inner.write().expect("scan index lock");
            g.loading = true;
            (std::mem::take(&mut g.builder), g.last_id)
        };
        let before = builder.len();
        let fetched = async {
            loop {
                let page = store.scans_after(last_id, PAGE).await?;
                let Some(last) = page.last() else { break };
                last_id = last.0;
                for (_, r) in &page {
                    builder.push(
                        r.person_id.as_bytes(),
                        r.venue_id.as_bytes(),
                        r.scanned_at.timestamp_micros(),
                    );
                }
                if page.len() < PAGE as usize {
                    break;
                }
            }
            Ok::<_, cordon_store::StoreError>(())
        }
        .await;
        let added = builder.len() - before;
        let rebuild = fetched.is_ok() && (added > 0 || self.current().is_none());
        let copy = rebuild.then(|| builder.clone());
        {
            let mut g = self.inner.write().expect("scan index lock");
            g.builder = builder;
            g.last_id = last_id;
            if let Err(e) = &fetched {
                g.loading = false;
                g.error = Some(e.to_string());
            }
        }
        fetched?;
        if let Some(copy) = copy {
            let started = Instant::now();
            let scans = tokio::task::spawn_blocking(move || {
                let scans = copy.finish();
                // The server traces case after case: every person's scans indexed once.
                scans.index_people();
                scans
            })
            .await
            .map_err(|e| cordon_store::StoreError::Invalid(format!("building the scan index: {e}")))?;
            let mut g = self.inner.write().expect("scan index lock");
            g.scans = Some(Arc::new(scans));
            g.build_ms = started.elapsed().as_millis() as u64;
            g.error = None;
        }
        self.inner.write().expect("scan index lock").loading = false;
        Ok(added)
    }
}
