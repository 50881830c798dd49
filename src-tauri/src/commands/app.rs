//! The app's own bookkeeping, not the ledger's.

use std::collections::BTreeMap;

use tauri::{AppHandle, Runtime, State};

use crate::state::AppState;

/// Called once by the UI when the dashboard, with its totals and budget cards, has been
/// painted: returns (and, with `TOKENBURN_TIMING` set, logs as `first paint`) the
/// milliseconds since the app started. `marks` are the page's own moments on the wall
/// clock (ms since the Unix epoch: `performance.timeOrigin + performance.now()`), logged
/// on the same timeline with `TOKENBURN_TIMING` set. The live worker's catch-up (agent-log
/// scan, alerts, the tray's first update) waits for it
/// (`live::Msg::Painted`).
#[tauri::command]
pub fn ui_ready<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    marks: Option<BTreeMap<String, f64>>,
) -> u128 {
    let ms = state.started.elapsed().as_millis();
    crate::live::send(&app, crate::live::Msg::Painted);
    crate::timing::first_paint(marks);
    ms
}
