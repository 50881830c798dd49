//! Tauri commands, one file per feature. Each is an adapter of at most 15 lines: unpack
//! state, call the engine once on a worker thread (what a view shows comes from
//! [`tokenburn::views`]), return a serialisable value or an [`ApiError`](crate::error::ApiError).
//! Checking a form's fields and the native dialogs are small helpers beside the commands.
//! Adding a command: a function here and one line in `crate::with_commands`.

pub mod app;
pub mod budgets;
pub mod dashboard;
pub mod import;
pub mod input;
pub mod ledger;
pub mod scan;
pub mod settings;
pub mod tokens;

use serde::Serialize;
use tokenburn::import::FileReport;

use crate::error::ApiError;

/// The outcome of importing one file: its report, or why it failed (then nothing of it
/// was written).
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<FileReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

impl FileOutcome {
    pub fn of(path: String, r: Result<FileReport, tokenburn::error::Error>) -> FileOutcome {
        match r {
            Ok(rep) => FileOutcome { path, report: Some(rep), error: None },
            Err(e) => FileOutcome { path, report: None, error: Some(e.into()) },
        }
    }
}
