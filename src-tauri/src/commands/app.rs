//! The app's own bookkeeping, not the ledger's.

use tauri::State;

use crate::state::AppState;

/// Called once by the UI after its first paint: returns (and, with `TOKENBURN_TIMING` set,
/// logs) the milliseconds since the process started.
#[tauri::command]
pub fn ui_ready(state: State<'_, AppState>) -> u128 {
    let ms = state.started.elapsed().as_millis();
    if std::env::var_os("TOKENBURN_TIMING").is_some() {
        eprintln!("tokenburn-desktop: first paint {ms} ms after start");
    }
    ms
}
