//! The dashboard: totals, and the warnings (unpriced models, reconciliation drift). The
//! budget cards and charts come from `budgets` and `compensation`.

use tauri::State;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::summary::{self, Dashboard};

/// Totals for today, this week, this month, all time, and by model.
#[tauri::command]
pub async fn dashboard(state: State<'_, AppState>) -> ApiResult<Dashboard> {
    state.with_ledger(|l| Ok(summary::dashboard(l, summary::today(l.tz()?))?)).await
}

/// What the dashboard warns about: models with no price, and reconciliation drift.
#[tauri::command]
pub async fn dashboard_warnings(state: State<'_, AppState>) -> ApiResult<summary::Warnings> {
    state.with_ledger(|l| Ok(summary::warnings(l, 20)?)).await
}
