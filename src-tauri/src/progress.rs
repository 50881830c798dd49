//! Batched progress events for long work (imports, scans).
//!
//! An import of thousands of small files would otherwise send thousands of IPC messages;
//! the UI only needs a few updates a second, so at most one event per [`INTERVAL`] leaves,
//! plus the last one.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

/// The least time between two progress events.
pub const INTERVAL: Duration = Duration::from_millis(150);

/// The payload of an `import-progress` or `scan-progress` event.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    /// Files handled so far.
    pub done: usize,
    /// Files in all, when known up front (scans know, imports of folders do not).
    pub total: Option<usize>,
    /// The file being handled.
    pub path: String,
}

/// Emits `event` at most every [`INTERVAL`].
pub struct Progress<R: Runtime> {
    app: AppHandle<R>,
    event: &'static str,
    last: Option<Instant>,
    done: usize,
}

impl<R: Runtime> Progress<R> {
    pub fn new(app: &AppHandle<R>, event: &'static str) -> Progress<R> {
        Progress { app: app.clone(), event, last: None, done: 0 }
    }

    /// One more file started; `total` if known.
    pub fn file(&mut self, path: &Path, total: Option<usize>) {
        self.done += 1;
        if self.last.is_some_and(|t| t.elapsed() < INTERVAL) && total != Some(self.done) {
            return;
        }
        self.last = Some(Instant::now());
        let update = Update { done: self.done, total, path: path.display().to_string() };
        // A lost progress event only makes the bar lag; the command's result is what counts.
        let _ = self.app.emit(self.event, update);
    }
}
