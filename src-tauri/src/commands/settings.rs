//! Settings: the ledger's time zone (the same `tz` setting as `tokenburn config set tz`)
//! and where the data file is.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tokenburn::timezone;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What the Settings view shows.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The ledger's zone (IANA name).
    pub tz: String,
    /// The machine's zone, offered as the default.
    pub system_tz: String,
    /// The ledger file.
    pub db: String,
    /// True when the path came from `TOKENBURN_DB`.
    pub db_from_env: bool,
}

fn read(l: &tokenburn::ledger::Ledger, from_env: bool) -> ApiResult<Settings> {
    Ok(Settings {
        tz: l.tz()?.name().to_string(),
        system_tz: timezone::system_tz().name().to_string(),
        db: l.path().display().to_string(),
        db_from_env: from_env,
    })
}

#[tauri::command]
pub async fn settings(state: State<'_, AppState>) -> ApiResult<Settings> {
    let env = state.db_from_env;
    state.with_ledger(move |l| read(l, env)).await
}

/// Sets the ledger's zone; days, weeks and months are re-bucketed at the next report.
#[tauri::command]
pub async fn set_tz<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, tz: String) -> ApiResult<Settings> {
    let zone = timezone::parse_tz(&tz).map_err(|e| ApiError::new("invalid_input", e.to_string()))?;
    let env = state.db_from_env;
    let out = state
        .with_ledger(move |l| {
            l.set_tz(zone)?;
            read(l, env)
        })
        .await?;
    crate::ledger_changed(&app);
    Ok(out)
}

/// Every IANA zone name, for the zone picker's suggestions.
#[tauri::command]
pub fn time_zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect()
}
