//! Importing files and folders the user names: typed, picked in the native dialog, or
//! dropped on the window. All three end in [`import_paths`].

use std::path::PathBuf;

use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use tokenburn::import;
use tokenburn::ledger::Ledger;

use super::FileOutcome;
use crate::error::ApiResult;
use crate::progress::Progress;
use crate::state::AppState;

/// Imports every file under `paths` (format detected per file), emitting `import-progress`.
#[tauri::command]
pub async fn import_paths<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    paths: Vec<PathBuf>,
) -> ApiResult<Vec<FileOutcome>> {
    let progress = Progress::new(&app, "import-progress");
    let out = state.with_ledger(move |l| import_all(l, &paths, progress)).await?;
    crate::ledger_changed(&app);
    Ok(out)
}

/// Imports every file under `paths`, each reported to `progress` as it starts.
fn import_all<R: Runtime>(l: &mut Ledger, paths: &[PathBuf], mut progress: Progress<R>) -> ApiResult<Vec<FileOutcome>> {
    // import_paths reports each file to `progress` just before its result, in order.
    let mut seen = Vec::new();
    let results = import::import_paths(l, paths, None, false, |p| {
        progress.file(p, None);
        seen.push(p.display().to_string());
    })?;
    Ok(seen.into_iter().zip(results).map(|(p, r)| FileOutcome::of(p, r)).collect())
}

/// Shows the native open dialog; returns the chosen paths (empty when cancelled).
#[tauri::command]
pub async fn pick_paths<R: Runtime>(app: AppHandle<R>, folders: bool) -> ApiResult<Vec<String>> {
    let picked = tauri::async_runtime::spawn_blocking(move || {
        let dialog = app.dialog().file().set_title("Import into Tokenburn");
        if folders {
            dialog.blocking_pick_folders()
        } else {
            dialog.blocking_pick_files()
        }
    })
    .await
    .map_err(|e| crate::error::ApiError::new(crate::error::Code::App, e.to_string()))?;
    Ok(picked.unwrap_or_default().into_iter().map(|p| p.to_string()).collect())
}
