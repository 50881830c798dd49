//! The main window's size and position, kept across runs (tauri-plugin-window-state, in
//! `.window-state.json` under the app's config folder).
//!
//! The plugin restores the state when the window opens and saves it when the app exits
//! normally; the app also saves it once the window rests after a move or resize (debounced by
//! [`crate::live`]), so a session that ends otherwise (logout, a kill) keeps it too.
//! Visibility is not kept: the app always opens its window, even if it was quit from the tray
//! while hidden.

use tauri::{AppHandle, Runtime};
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
