//! The tray icon: its look shows the worst budget status (ok / warning / over, drawn by
//! `scripts/gen-tray-icons`), its tooltip says how each budget stands ("Q4 API budget 63% -
//! runs out ~Dec 12 (Dec 5-Dec 20)"), and its menu has this month's spend, Open, Scan now,
//! one line per budget (opening the app on it) and Quit.
//!
//! The live worker ([`crate::live`]) has [`tokenburn::views::glance`] compute what to show
//! after each change and calls [`show`]; this module only applies it, and only what differs
//! from what is shown, so an unchanged state costs no menu rebuild. Linux tray hosts (StatusNotifierItem through
//! libayatana-appindicator) show no tooltips, so there the menu's lines carry the same text.
//! Closing the window hides it; the app keeps running here until Quit.

use std::sync::Mutex;

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::state::AppState;
use tokenburn::views::glance::{self, Glance, Level};

/// The tray's id, for [`AppHandle::tray_by_id`].
pub const TRAY_ID: &str = "main";

const ICON_OK: Image<'static> = tauri::include_image!("../icons/tray-ok.png");
const ICON_WARNING: Image<'static> = tauri::include_image!("../icons/tray-warning.png");
const ICON_OVER: Image<'static> = tauri::include_image!("../icons/tray-over.png");

/// The icon of a level.
pub fn icon(level: Level) -> Image<'static> {
    match level {
        Level::Ok => ICON_OK,
        Level::Warning => ICON_WARNING,
        Level::Over => ICON_OVER,
    }
}

/// Menu ids of the budget lines: this prefix and the budget's name.
const BUDGET_ID: &str = "budget:";

/// What the tray shows now: its icon's level and its menu's lines.
#[derive(Default, PartialEq)]
struct Shown {
    level: Option<Level>,
    month: String,
    budgets: Vec<(String, String)>,
}

struct TrayShown(Mutex<Shown>);

/// Builds the tray icon and its menu (the live worker fills in the numbers).
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let month = "This month: …".to_string();
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(Level::Ok))
        .tooltip("Tokenburn")
        .menu(&menu(app, &month, &[])?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main(app),
            "scan" => scan_now(app),
            "quit" => app.exit(0),
            id => {
                if let Some(name) = id.strip_prefix(BUDGET_ID) {
                    show_main(app);
                    let _ = app.emit("show-budget", name);
                }
            }
        })
        .on_tray_icon_event(|tray, event| {
            if let tauri::tray::TrayIconEvent::Click { button: tauri::tray::MouseButton::Left, .. } = event {
                show_main(tray.app_handle());
            }
        })
        .build(app)?;
    app.manage(TrayShown(Mutex::new(Shown { level: Some(Level::Ok), month, budgets: Vec::new() })));
    Ok(())
}

fn menu<R: Runtime>(app: &AppHandle<R>, month: &str, budgets: &[(String, String)]) -> tauri::Result<Menu<R>> {
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "month", month, false, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "open", "Open", true, None::<&str>)?,
            &MenuItem::with_id(app, "scan", "Scan now", true, None::<&str>)?,
        ],
    )?;
    if !budgets.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        for (name, text) in budgets {
            menu.append(&MenuItem::with_id(app, format!("{BUDGET_ID}{name}"), text, true, None::<&str>)?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?)?;
    Ok(menu)
}

/// Shows `glance` and the month's spend; changes only what differs from what is shown.
/// No-op where there is no tray (no appindicator library, or the window-less tests).
pub fn show<R: Runtime>(app: &AppHandle<R>, glance: &Glance, month: &str) {
    let (Some(tray), Some(shown)) = (app.tray_by_id(TRAY_ID), app.try_state::<TrayShown>()) else { return };
    let mut shown = shown.0.lock().unwrap_or_else(|e| e.into_inner());
    let budgets: Vec<(String, String)> = glance.budgets.iter().map(|b| (b.name.clone(), b.text.clone())).collect();
    if shown.month != month || shown.budgets != budgets {
        match menu(app, month, &budgets) {
            Ok(m) => {
                let _ = tray.set_menu(Some(m));
                shown.month = month.to_string();
                shown.budgets = budgets;
            }
            Err(e) => eprintln!("tokenburn-desktop: tray menu: {e}"),
        }
    }
    if shown.level != Some(glance.level) && tray.set_icon(Some(icon(glance.level))).is_ok() {
        shown.level = Some(glance.level);
    }
    let tooltip = glance.tooltip.clone().unwrap_or_else(|| format!("Tokenburn: {month}"));
    let _ = tray.set_tooltip(Some(tooltip));
}

/// The ledger could not be read: say so in the tray.
pub fn show_error<R: Runtime>(app: &AppHandle<R>, code: &str) {
    let (glance, text) = glance::unavailable(code);
    show(app, &glance, &text);
}

/// Shows, unminimises and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// "Scan now": scans in the background, then tells the UI the ledger changed.
fn scan_now<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        match crate::commands::scan::run(&app, &state).await {
            Ok(outcome) => {
                let _ = app.emit("scan-finished", outcome);
            }
            Err(e) => {
                let _ = app.emit("scan-failed", e);
            }
        }
        crate::ledger_changed(&app);
    });
}
