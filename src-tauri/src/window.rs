//! The main window's size and position, kept across runs (tauri-plugin-window-state, in
//! `.window-state.json` under the app's config folder).
//!
//! The plugin restores the state when the window opens and saves it when the app exits
//! normally; the app also saves it once the window rests after a move or resize (debounced by
//! [`crate::live`]), so a session that ends otherwise (logout, a kill) keeps it too.
//! Visibility is not kept: the app always opens its window, even if it was quit from the tray
//! while hidden.
//!
//! The window is created hidden (tauri.conf.json) and shown once its page starts loading
//! ([`reveal`]), at the latest after [`REVEAL_WAIT`]: WebKitGTK, asked to draw a web view
//! whose web process is not up yet, blocks the main thread for up to 500 ms waiting for
//! that process's first update, and everything the page needs from the main thread waits
//! behind it (on a busy machine, about one launch in four started its page load 500 ms late).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// What is kept: size, position and whether the window is maximized.
pub fn flags() -> StateFlags {
    StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED
}

/// The plugin, configured with [`flags`].
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_window_state::Builder::new().with_state_flags(flags()).build()
}

/// Saves the window state now. Only the real app calls this (its worker and window events
/// exist only there), where the plugin is registered.
pub fn save<R: Runtime>(app: &AppHandle<R>) {
    if let Err(e) = app.save_window_state(flags()) {
        eprintln!("tokenburn-desktop: window state not saved: {e}");
    }
}

/// The longest the window stays hidden when its page does not start loading.
pub const REVEAL_WAIT: Duration = Duration::from_secs(3);

static REVEALED: AtomicBool = AtomicBool::new(false);

/// Shows the main window the first time this is called (later calls do nothing, so a reload
/// does not show a window the user closed to the tray).
pub fn reveal<R: Runtime>(app: &AppHandle<R>) {
    if !REVEALED.swap(true, Ordering::SeqCst) {
        if let Some(w) = app.get_webview_window("main") {
            let _ = w.show();
        }
    }
}

/// Shows the main window after [`REVEAL_WAIT`] if its page has not done so by then.
pub fn reveal_at_the_latest<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let _ = std::thread::Builder::new().name("tokenburn-reveal".into()).spawn(move || {
        std::thread::sleep(REVEAL_WAIT);
        let main = app.clone();
        let _ = app.run_on_main_thread(move || reveal(&main));
    });
}
