//! Tokenburn's desktop shell: a Tauri v2 app over the `tokenburn` engine.
//!
//! Owns windows, the tray, IPC commands and events; owns no logic about usage or money
//! (that is the engine's: what the dashboard, the budget cards and the tray show is
//! computed in [`tokenburn::views`]). Commands live in [`commands`], one file per feature, and are
//! registered in [`with_commands`], which both the real app and the window-less tests use.
//!
//! Events to the UI: `import-progress` / `scan-progress` ([`progress::Update`], batched),
//! `ledger-changed` (reload what you show), `files-dropped` (paths dropped on the window),
//! `scan-finished` / `scan-failed` (a scan started from the tray), `alert-fired` (alerts that
//! fired, [`notify`]), `show-budget` (a budget's line was clicked in the tray menu).
//!
//! Live behaviour (watching agent logs and the ledger, alerts, the tray's numbers) is
//! [`live`]'s; `run()` starts it.

pub mod commands;
pub mod error;
pub mod live;
pub mod notify;
pub mod prefetch;
pub mod progress;
pub mod state;
pub mod timing;
pub mod tray;
pub mod watch;
pub mod window;

use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Builder, DragDropEvent, Emitter, Manager, Runtime, WindowEvent};

pub use state::AppState;

/// Registers every command. Keep this list and `ui/js/api.js` in step.
pub fn with_commands<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app::ui_ready,
        commands::dashboard::dashboard,
        commands::dashboard::dashboard_warnings,
        commands::budgets::budgets,
        commands::budgets::save_budget,
        commands::budgets::remove_budget,
        commands::budgets::compensation,
        commands::budgets::set_compensation,
        commands::tokens::count_tokens,
        commands::tokens::count_tokens_file,
        commands::tokens::token_costs,
        commands::tokens::price_models,
        commands::ledger::events,
        commands::ledger::export_events,
        commands::ledger::imports,
        commands::ledger::undo_import,
        commands::ledger::backup_ledger,
        commands::ledger::restore_ledger,
        commands::import::import_paths,
        commands::import::pick_paths,
        commands::scan::scan_logs,
        commands::settings::settings,
        commands::settings::set_tz,
        commands::settings::time_zones,
        commands::settings::set_config,
        commands::settings::set_autostart,
        commands::settings::price_overrides,
        commands::settings::set_price_override,
        commands::settings::remove_price_override,
    ])
}

/// This app wrote to the ledger: tell the UI now, and have the live worker re-evaluate
/// alerts and refresh the tray.
pub fn ledger_changed<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.emit("ledger-changed", ());
    live::send(app, live::Msg::Changed);
}

/// Without a GPU (no DRM render node: a virtual machine, a remote or virtual display),
/// WebKitGTK's GPU painting runs on Mesa's software GL (llvmpipe, compiling its shaders
/// with LLVM as the first frames are drawn), and its DMA-BUF renderer has no GPU buffers
/// to share: Skia's CPU painting and the shared-memory renderer draw the first frames
/// sooner there. Where a render node exists nothing changes, and a variable the user set
/// is left as it is.
fn software_rendering_defaults() {
    #[cfg(target_os = "linux")]
    {
        let gpu = std::fs::read_dir("/dev/dri")
            .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
            .unwrap_or(false);
        if !gpu {
            for var in ["WEBKIT_SKIA_ENABLE_CPU_RENDERING", "WEBKIT_DISABLE_DMABUF_RENDERER"] {
                if std::env::var_os(var).is_none() {
                    std::env::set_var(var, "1");
                }
            }
        }
    }
}

/// Runs the desktop app (the binary's `main`).
pub fn run() {
    timing::begin();
    timing::mark("main");
    // Before any thread starts: the environment is read by WebKit and its child processes.
    software_rendering_defaults();
    // First: the dashboard's numbers are read while the window and its page start.
    let state = AppState::from_env().with_prefetch();
    let builder = tauri::Builder::default()
        // First, so a second launch exits before it opens anything.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| tray::show_main(app)))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(window::plugin())
        .plugin(tauri_plugin_autostart::Builder::new().build())
        .manage(state)
        .setup(|app| {
            // Tauri creates the configured windows just before this hook.
            timing::mark("window created");
            window::reveal_at_the_latest(app.handle());
            let handle = app.handle().clone();
            timing::watch_main_thread(move |f| handle.run_on_main_thread(f).is_ok());
            if let Err(e) = tray::create(app.handle()) {
                // No tray (no appindicator library): the app still works as a plain window.
                eprintln!("tokenburn-desktop: no tray icon: {e}");
            }
            live::start(app.handle())?;
            timing::mark("setup done");
            Ok(())
        })
        .on_page_load(|webview, payload| match payload.event() {
            PageLoadEvent::Started => {
                timing::mark("page load started");
                window::reveal(webview.app_handle());
            }
            PageLoadEvent::Finished => timing::mark("page load finished"),
        })
        .on_window_event(|window, event| match event {
            // Closing the window keeps the app in the tray; Quit is in the tray menu.
            WindowEvent::CloseRequested { api, .. } if window.app_handle().tray_by_id(tray::TRAY_ID).is_some() => {
                api.prevent_close();
                let _ = window.hide();
                live::send(window.app_handle(), live::Msg::Window);
            }
            WindowEvent::Moved(_) | WindowEvent::Resized(_) => {
                live::send(window.app_handle(), live::Msg::Window);
            }
            WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) => {
                let _ = window.emit("files-dropped", paths);
            }
            _ => {}
        });
    let app = with_commands(builder)
        .build(tauri::generate_context!())
        .unwrap_or_else(|e| panic!("tokenburn-desktop failed to start: {e}"));
    timing::mark("tauri built");
    app.run(|_, _| {});
}
