//! The dashboard: totals, and the warnings (unpriced models, reconciliation drift). The
//! budget cards and charts come from `budgets` and `compensation`.

use tauri::State;

use crate::error::ApiResult;
use crate::state::AppState;
use tokenburn::views::dashboard::{dashboard_now, Dashboard};
use tokenburn::views::warnings::{warnings, Warnings};

/// Totals for today, this week, this month, all time, and by model.
#[tauri::command]
pub async fn dashboard(state: State<'_, AppState>) -> ApiResult<Dashboard> {
    crate::timing::mark("dashboard totals asked");
    let out = match state.prefetched(|r| r.dashboard.take(), Ok).await {
        Some(d) => d,
        None => state.with_ledger(|l| Ok(dashboard_now(l)?)).await,
    };
    state.log_ready("dashboard totals");
    out
}

/// What the dashboard warns about: models with no price, and reconciliation drift.
#[tauri::command]
pub async fn dashboard_warnings(state: State<'_, AppState>) -> ApiResult<Warnings> {
    crate::timing::mark("dashboard warnings asked");
    let out = state.with_ledger(|l| Ok(warnings(l, 20)?)).await;
    state.log_ready("dashboard warnings");
    out
}
