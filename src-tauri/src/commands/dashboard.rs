//! The dashboard's totals.

use tauri::State;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::summary::{self, Dashboard};

/// Totals for today, this week, this month, all time, and by model.
#[tauri::command]
pub async fn dashboard(state: State<'_, AppState>) -> ApiResult<Dashboard> {
    state.with_ledger(|l| Ok(summary::dashboard(l, summary::today(l.tz()?))?)).await
}
