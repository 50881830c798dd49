//! The tray icon: this month's spend, and Open / Scan now / Quit.
//!
//! Linux tray hosts (StatusNotifierItem through libayatana-appindicator) show no tooltips,
//! so the spend is also the menu's first, disabled item; the tooltip carries it where the
//! platform has one. Closing the window hides it; the app keeps running here until Quit.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::state::{run_with_ledger, AppState};

/// The tray's id, for [`AppHandle::tray_by_id`].
pub const TRAY_ID: &str = "main";

/// The menu item that shows the spend, kept to update its text.
struct SpendItem<R: Runtime>(MenuItem<R>);

/// Builds the tray icon and its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let spend = MenuItem::with_id(app, "spend", "This month: …", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open", true, None::<&str>)?;
    let scan = MenuItem::with_id(app, "scan", "Scan now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&spend, &PredefinedMenuItem::separator(app)?, &open, &scan, &quit])?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Tokenburn")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main(app),
            "scan" => scan_now(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let tauri::tray::TrayIconEvent::Click { button: tauri::tray::MouseButton::Left, .. } = event {
                show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(SpendItem(spend));
    refresh(app);
    Ok(())
}

/// Shows, unminimises and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Re-reads this month's spend into the tray (no-op where there is no tray, as in tests).
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    if app.try_state::<SpendItem<R>>().is_none() {
        return;
    }
    let app = app.clone();
    let db = app.state::<AppState>().db.clone();
    tauri::async_runtime::spawn(async move {
        let text = match run_with_ledger(db, |l| Ok(crate::summary::month_spend(l)?)).await {
            Ok((usd, 0)) => format!("This month: ${usd}"),
            Ok((usd, n)) => format!("This month: ${usd} + {n} unpriced"),
            Err(e) => format!("Ledger unavailable ({})", e.code),
        };
        if let Some(item) = app.try_state::<SpendItem<R>>() {
            let _ = item.0.set_text(&text);
        }
        if let Some(tray) = app.tray_by_id(TRAY_ID) {
            let _ = tray.set_tooltip(Some(format!("Tokenburn: {text}")));
        }
    });
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
