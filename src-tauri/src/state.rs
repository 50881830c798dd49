//! What the app holds between commands: where the ledger is, and when the process started.
//!
//! The ledger is opened per command rather than held open: the CLI may write to the same
//! file at any moment, and `Ledger::open` is cheap (WAL, a busy timeout, and a migration
//! check that is one `PRAGMA`). Every open runs on a blocking worker thread, never on the
//! UI thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokenburn::ledger::{self, Ledger};

use crate::error::{ApiError, ApiResult};
use crate::prefetch::{Prefetch, Ready};

/// The app's managed state.
pub struct AppState {
    /// The ledger file: `TOKENBURN_DB` when set (as for the CLI), else the platform default.
    pub db: PathBuf,
    /// True when `db` came from `TOKENBURN_DB`.
    pub db_from_env: bool,
    /// When the app started ([`crate::timing::begin`]), for the launch-to-first-paint figure.
    pub started: Instant,
    /// The dashboard's first answers, read at start ([`AppState::with_prefetch`]).
    pub prefetch: Option<Arc<Prefetch>>,
}

impl AppState {
    /// The ledger path from `TOKENBURN_DB` or the platform default.
    pub fn from_env() -> AppState {
        match std::env::var_os("TOKENBURN_DB").filter(|v| !v.is_empty()) {
            Some(p) => AppState::new(PathBuf::from(p), true),
            None => AppState::new(ledger::default_path(), false),
        }
    }

    pub fn new(db: PathBuf, db_from_env: bool) -> AppState {
        AppState { db, db_from_env, started: crate::timing::begin(), prefetch: None }
    }

    /// Starts reading the dashboard's first answers now ([`crate::prefetch`]).
    pub fn with_prefetch(mut self) -> AppState {
        self.prefetch = Some(Prefetch::start(self.db.clone()));
        self
    }

    /// One part of the prefetch, if there is one and it is still true (see
    /// [`Prefetch::take`]), finished with `finish` (drawing its charts), on a worker thread.
    pub async fn prefetched<T, U, P, F>(&self, part: P, finish: F) -> Option<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        P: FnOnce(&mut Ready) -> Option<T> + Send + 'static,
        F: FnOnce(T) -> U + Send + 'static,
    {
        let p = self.prefetch.clone()?;
        tauri::async_runtime::spawn_blocking(move || p.take(part).map(finish)).await.ok().flatten()
    }

    /// With `TOKENBURN_TIMING` set, logs when `what` was ready, in milliseconds since start
    /// (the dashboard's parts, for the time it takes to open on a large ledger).
    pub fn log_ready(&self, what: &str) {
        if crate::timing::enabled() {
            crate::timing::mark(&format!("{what} ready"));
        }
    }

    /// Opens the ledger on a blocking worker thread and runs `f` with it there.
    pub async fn with_ledger<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Ledger) -> ApiResult<T> + Send + 'static,
    {
        run_with_ledger(self.db.clone(), f).await
    }
}

/// [`AppState::with_ledger`] for callers that hold only the path (tray actions, timers).
pub async fn run_with_ledger<T, F>(db: PathBuf, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Ledger) -> ApiResult<T> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || f(&mut Ledger::open(&db)?))
        .await
        .map_err(|e| ApiError::new(crate::error::Code::App, format!("worker thread failed: {e}")))?
}
