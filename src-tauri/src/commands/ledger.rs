//! The ledger view: events a page at a time (filtered by dates, source, provider, model,
//! project),
//! export of the filtered events to CSV or JSON, past imports with undo, and backup /
//! restore of the whole ledger (as `tokenburn export` / `restore`). Files are chosen in
//! the native save/open dialog, opened from here: JS never names a path to write.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use tokenburn::ledger::backup;
use tokenburn::ledger::queries::browse::{self, Cursor, EventFilter, EventPage, ExportFormat};
use tokenburn::ledger::queries::imports::{ImportRow, Removed};
use tokenburn::ledger::Ledger;

use super::input::{invalid, opt_date, opt_text};
use crate::error::{ApiError, ApiResult, Code};
use crate::state::AppState;

/// The filter as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilterInput {
    pub since: Option<String>,
    pub until: Option<String>,
    /// An agent or format name (`gemini-cli`, `openai-usage-csv`).
    #[serde(default)]
    pub source: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub project: Option<String>,
}

impl FilterInput {
    pub fn to_filter(&self) -> ApiResult<EventFilter> {
        let f = EventFilter {
            since: opt_date("from", &self.since)?,
            until: opt_date("to", &self.until)?,
            source: opt_text("source", &self.source)?,
            provider: opt_text("provider", &self.provider)?,
            model: opt_text("model", &self.model)?,
            project: opt_text("project", &self.project)?,
        };
        if let (Some(s), Some(u)) = (f.since, f.until) {
            if s > u {
                return Err(invalid(format!("the first day {s} is after the last day {u}")));
            }
        }
        Ok(f)
    }
}

/// One page of events, newest first; `after` is the previous page's `next`.
#[tauri::command]
pub async fn events(
    state: State<'_, AppState>,
    filter: FilterInput,
    limit: u32,
    after: Option<Cursor>,
) -> ApiResult<EventPage> {
    let f = filter.to_filter()?;
    state.with_ledger(move |l| Ok(browse::events_page(l.conn(), l.tz()?, &f, limit, after)?)).await
}

/// What an export or backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub path: String,
    /// Events (export) or rows (restore).
    pub count: u64,
}

/// Writes the events matching `filter` to `path` (the export, without the dialog).
pub fn write_events(l: &Ledger, path: &Path, filter: &EventFilter, format: ExportFormat) -> ApiResult<Written> {
    let file = tokenburn::ledger::create_private(path)?;
    let mut w = std::io::BufWriter::new(file);
    let count = browse::export_events(l.conn(), l.tz()?, filter, format, &mut w)?;
    Ok(Written { path: path.display().to_string(), count })
}

/// Asks where to save the filtered events, then writes them; None when cancelled.
#[tauri::command]
pub async fn export_events<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    filter: FilterInput,
    format: String,
) -> ApiResult<Option<Written>> {
    let f = filter.to_filter()?;
    let fmt: ExportFormat = format.parse()?;
    let ext = if fmt == ExportFormat::Csv { "csv" } else { "json" };
    let Some(path) = save_dialog(&app, "Export events", &format!("tokenburn-events.{ext}"), ext).await? else {
        return Ok(None);
    };
    state.with_ledger(move |l| write_events(l, &path, &f, fmt)).await.map(Some)
}

/// Past imports, newest first, with how many there are.
#[derive(Debug, Clone, Serialize)]
pub struct ImportsPage {
    pub rows: Vec<ImportRow>,
    pub total: u64,
}

#[tauri::command]
pub async fn imports(state: State<'_, AppState>, limit: u32, offset: u64) -> ApiResult<ImportsPage> {
    state
        .with_ledger(move |l| {
            let (rows, total) = browse::imports_page(l.conn(), limit, offset)?;
            Ok(ImportsPage { rows, total })
        })
        .await
}

/// Removes an import and the events only it delivered (as `tokenburn imports rm ID`).
#[tauri::command]
pub async fn undo_import<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, id: i64) -> ApiResult<Removed> {
    if id < 1 {
        return Err(invalid(format!("import id {id} is not valid")));
    }
    let out = state
        .with_ledger(move |l| {
            l.write(|tx, book| tokenburn::spend::undo_import(tx, book, id))?
                .ok_or_else(|| invalid(format!("no import #{id}")))
        })
        .await?;
    crate::ledger_changed(&app);
    Ok(out)
}

/// Writes the whole ledger as one JSON document to `path` (the backup, without the dialog).
pub fn write_backup(l: &Ledger, path: &Path) -> ApiResult<Written> {
    let file = tokenburn::ledger::create_private(path)?;
    let mut w = std::io::BufWriter::new(file);
    backup::export_json(l.conn(), &mut w)?;
    std::io::Write::flush(&mut w).map_err(|e| tokenburn::error::Error::io(path, e))?;
    let count = browse::count_events(l.conn())?;
    Ok(Written { path: path.display().to_string(), count })
}

/// Restores a backup from `path` into the ledger (the restore, without the dialog).
pub fn read_backup(l: &Ledger, path: &Path, replace: bool) -> ApiResult<Written> {
    let doc = backup::read(l.conn(), path)?;
    let count = backup::restore(l.conn(), &doc, replace)?;
    Ok(Written { path: path.display().to_string(), count })
}

/// Asks where to save a backup of the whole ledger, then writes it; None when cancelled.
#[tauri::command]
pub async fn backup_ledger<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> ApiResult<Option<Written>> {
    let name = format!("tokenburn-backup-{}.json", chrono::Utc::now().format("%Y-%m-%d"));
    let Some(path) = save_dialog(&app, "Back up the ledger", &name, "json").await? else { return Ok(None) };
    state.with_ledger(move |l| write_backup(l, &path)).await.map(Some)
}

/// Asks for a backup file, then restores it (`replace`: delete what the ledger holds first;
/// else the ledger must be empty). None when cancelled.
#[tauri::command]
pub async fn restore_ledger<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    replace: bool,
) -> ApiResult<Option<Written>> {
    let Some(path) = open_dialog(&app, "Restore a Tokenburn backup", "Tokenburn backup", "json").await? else {
        return Ok(None);
    };
    let out = state.with_ledger(move |l| read_backup(l, &path, replace)).await?;
    crate::ledger_changed(&app);
    Ok(Some(out))
}

/// The native open dialog for one file of extension `ext`; None when cancelled.
async fn open_dialog<R: Runtime>(app: &AppHandle<R>, title: &str, kind: &str, ext: &str) -> ApiResult<Option<PathBuf>> {
    let (app, title, kind, ext) = (app.clone(), title.to_string(), kind.to_string(), ext.to_string());
    let picked = tauri::async_runtime::spawn_blocking(move || {
        app.dialog().file().set_title(title).add_filter(kind, &[&ext]).blocking_pick_file()
    })
    .await
    .map_err(|e| ApiError::new(Code::App, e.to_string()))?;
    picked.map(|p| p.into_path()).transpose().map_err(|e| ApiError::new(Code::App, e.to_string()))
}

/// The native save dialog offering `name`, for files of extension `ext`; None when cancelled.
async fn save_dialog<R: Runtime>(app: &AppHandle<R>, title: &str, name: &str, ext: &str) -> ApiResult<Option<PathBuf>> {
    let (app, title, name, ext) = (app.clone(), title.to_string(), name.to_string(), ext.to_string());
    let picked = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_title(title)
            .set_file_name(name)
            .add_filter(ext.to_uppercase(), &[&ext])
            .blocking_save_file()
    })
    .await
    .map_err(|e| ApiError::new(Code::App, e.to_string()))?;
    picked.map(|p| p.into_path()).transpose().map_err(|e| ApiError::new(Code::App, e.to_string()))
}
