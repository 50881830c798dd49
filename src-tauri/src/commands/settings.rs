//! Settings: the ledger's own (time zone, fiscal-year start, default thresholds of new
//! budgets, notifications on/off, price overrides), which the CLI reads and writes too
//! (`tokenburn config set`, `tokenburn prices set/rm`), and the app's own (start at login,
//! kept by the OS). Where the data file is, for reference.
//!
//! Every setter validates in the engine ([`tokenburn::config`], the price book), answers with
//! the whole new state, and tells the rest of the app the ledger changed (periods, prices and
//! alerts may differ now).

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_autostart::AutoLaunchManager;
use tokenburn::ledger::queries::prices::{self, OverrideRow};
use tokenburn::ledger::Ledger;
use tokenburn::{config, timezone};

use crate::error::{ApiError, ApiResult, Code};
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
    /// The month (1-12) fiscal years start in.
    pub fiscal_year_start: u32,
    /// Thresholds (percent) a new budget alerts at.
    pub default_thresholds: Vec<u32>,
    /// Whether alerts are shown as system notifications.
    pub notifications: bool,
    /// Whether the app starts at login; None where that cannot be managed.
    pub autostart: Option<bool>,
}

fn read<R: Runtime>(app: &AppHandle<R>, l: &Ledger, from_env: bool) -> ApiResult<Settings> {
    let c = config::get(l)?;
    Ok(Settings {
        tz: l.tz()?.name().to_string(),
        system_tz: timezone::system_tz().name().to_string(),
        db: l.path().display().to_string(),
        db_from_env: from_env,
        fiscal_year_start: c.fiscal_year_start,
        default_thresholds: c.default_thresholds,
        notifications: c.notifications,
        autostart: app.try_state::<AutoLaunchManager>().and_then(|m| m.is_enabled().ok()),
    })
}

/// Runs `f` on the ledger, then reads the settings back (and, with `changed`, tells the app).
async fn with_settings<R, F>(app: AppHandle<R>, state: &AppState, changed: bool, f: F) -> ApiResult<Settings>
where
    R: Runtime,
    F: FnOnce(&mut Ledger) -> ApiResult<()> + Send + 'static,
{
    let (env, handle) = (state.db_from_env, app.clone());
    let out = state
        .with_ledger(move |l| {
            f(l)?;
            read(&handle, l, env)
        })
        .await?;
    if changed {
        crate::ledger_changed(&app);
    }
    Ok(out)
}

#[tauri::command]
pub async fn settings<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> ApiResult<Settings> {
    with_settings(app, &state, false, |_| Ok(())).await
}

/// Sets the ledger's zone; days, weeks and months are re-bucketed at the next report.
#[tauri::command]
pub async fn set_tz<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, tz: String) -> ApiResult<Settings> {
    let zone = timezone::parse_tz(&tz).map_err(tokenburn::error::Error::from)?;
    with_settings(app, &state, true, move |l| Ok(l.set_tz(zone)?)).await
}

/// Sets `fiscal_year_start` (1-12), `default_thresholds` ("50,75,90,100") or
/// `notifications` (on/off), as `tokenburn config set KEY VALUE` does.
#[tauri::command]
pub async fn set_config<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    key: String,
    value: String,
) -> ApiResult<Settings> {
    with_settings(app, &state, true, move |l| Ok(config::set(l, &key, &value).map(drop)?)).await
}

/// Turns starting at login on or off (an autostart entry of the OS, not a ledger setting).
#[tauri::command]
pub async fn set_autostart<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, on: bool) -> ApiResult<Settings> {
    let Some(manager) = app.try_state::<AutoLaunchManager>() else {
        return Err(ApiError::new(Code::Unsupported, "starting at login cannot be managed here"));
    };
    let done = if on { manager.enable() } else { manager.disable() };
    done.map_err(|e| ApiError::new(Code::App, format!("could not turn starting at login {}: {e}", on_off(on))))?;
    with_settings(app, &state, false, |_| Ok(())).await
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// A price override as the Settings view lists and sends it: dollars per million tokens,
/// as text (never through a float); `from` is the first day it applies (None: always).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriceOverride {
    pub model: String,
    #[serde(default)]
    pub from: Option<String>,
    pub input: String,
    pub output: String,
    #[serde(default)]
    pub cache_read: Option<String>,
    #[serde(default)]
    pub cache_write_5m: Option<String>,
    #[serde(default)]
    pub cache_write_1h: Option<String>,
}

impl PriceOverride {
    /// The override as the ledger stores it: fields trimmed, blank optional prices absent,
    /// or what is wrong with the form. The prices' text is checked by the price book.
    pub fn to_row(&self) -> ApiResult<OverrideRow> {
        let model = self.model.trim().to_string();
        if model.is_empty() {
            return Err(ApiError::new(Code::InvalidInput, "a price override needs a model name"));
        }
        let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        Ok(OverrideRow {
            model,
            from: day(self.from.as_deref())?,
            input: self.input.trim().to_string(),
            output: self.output.trim().to_string(),
            cache_read: blank(&self.cache_read),
            cache_write_5m: blank(&self.cache_write_5m),
            cache_write_1h: blank(&self.cache_write_1h),
        })
    }
}

fn day(from: Option<&str>) -> ApiResult<Option<chrono::NaiveDate>> {
    match from.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => timezone::parse_date(s)
            .map(Some)
            .ok_or_else(|| ApiError::new(Code::InvalidInput, format!("from {s:?}: a date as YYYY-MM-DD"))),
    }
}

fn list(l: &Ledger) -> ApiResult<Vec<PriceOverride>> {
    Ok(prices::rows(l.conn())?
        .into_iter()
        .map(|r| PriceOverride {
            model: r.model,
            from: r.from.map(|d| d.to_string()),
            input: r.input,
            output: r.output,
            cache_read: r.cache_read,
            cache_write_5m: r.cache_write_5m,
            cache_write_1h: r.cache_write_1h,
        })
        .collect())
}

/// The user's price overrides, by model and first day.
#[tauri::command]
pub async fn price_overrides(state: State<'_, AppState>) -> ApiResult<Vec<PriceOverride>> {
    state.with_ledger(|l| list(l)).await
}

/// Adds or replaces a price override (as `tokenburn prices set`); stored events are
/// re-priced. Returns the overrides.
#[tauri::command]
pub async fn set_price_override<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    price: PriceOverride,
) -> ApiResult<Vec<PriceOverride>> {
    let row = price.to_row()?;
    let out = state
        .with_ledger(move |l| {
            l.set_price_override(&row)?;
            list(l)
        })
        .await?;
    crate::ledger_changed(&app);
    Ok(out)
}

/// Removes a price override (as `tokenburn prices rm`); the book's price applies again.
#[tauri::command]
pub async fn remove_price_override<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    model: String,
    from: Option<String>,
) -> ApiResult<Vec<PriceOverride>> {
    let from = day(from.as_deref())?;
    let out = state.with_ledger(move |l| remove(l, &model, from)).await?;
    crate::ledger_changed(&app);
    Ok(out)
}

/// Removes `model`'s override from `from`, then lists the overrides; not_found when there is none.
fn remove(l: &mut Ledger, model: &str, from: Option<chrono::NaiveDate>) -> ApiResult<Vec<PriceOverride>> {
    if l.remove_price_override(model, from)?.is_none() {
        let when = from.map(|d| format!(" from {d}")).unwrap_or_default();
        return Err(ApiError::new(Code::NotFound, format!("no price override for {model}{when}")));
    }
    list(l)
}

/// Every IANA zone name, for the zone picker's suggestions.
#[tauri::command]
pub fn time_zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect()
}
