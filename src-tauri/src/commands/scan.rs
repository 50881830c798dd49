//! "Scan agent logs": the engine's incremental scan of every agent's standard folders, as
//! `tokenburn scan` does.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tokenburn::scan::{self, Roots};

use super::FileOutcome;
use crate::error::ApiResult;
use crate::progress::Progress;
use crate::state::AppState;

/// What a scan found and did.
#[derive(Debug, Clone, Serialize)]
pub struct ScanOutcome {
    /// The folders that exist and were read.
    pub locations: Vec<String>,
    /// The same folders, each with the agent it belongs to.
    pub places: Vec<FoundPlace>,
    /// Files that had something new.
    pub files: Vec<FileOutcome>,
    /// Files seen with nothing new.
    pub unchanged: usize,
}

/// An agent's folder a scan read.
#[derive(Debug, Clone, Serialize)]
pub struct FoundPlace {
    pub agent: &'static str,
    pub label: &'static str,
    pub path: String,
}

/// Scans the standard agent-log folders, emitting `scan-progress`.
#[tauri::command]
pub async fn scan_logs<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> ApiResult<ScanOutcome> {
    let out = run(&app, &state).await?;
    crate::ledger_changed(&app);
    Ok(out)
}

/// The scan itself, shared with the tray's "Scan now".
pub async fn run<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> ApiResult<ScanOutcome> {
    let mut progress = Progress::new(app, "scan-progress");
    state
        .with_ledger(move |l| {
            let roots = Roots::standard();
            let rep = scan::scan(l, &roots, |i, n, p| progress.file(p, Some(n.max(i + 1))))?;
            let places = roots
                .places
                .iter()
                .map(|p| FoundPlace { agent: p.agent.name, label: p.agent.label, path: p.dir.display().to_string() })
                .collect();
            Ok(ScanOutcome {
                places,
                locations: rep.locations.iter().map(|p| p.display().to_string()).collect(),
                files: rep.files.into_iter().map(|(p, r)| FileOutcome::of(p.display().to_string(), r)).collect(),
                unchanged: rep.unchanged,
            })
        })
        .await
}
