//! What the window-less command tests share: the real command list (`with_commands`) on
//! Tauri's mock runtime, on a ledger file, called through IPC exactly as `ui/js/api.js`
//! calls them (argument names, JSON shapes, `{code, message}` errors).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};
use tokenburn_desktop::{with_commands, AppState};

pub struct TestApp {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub db: PathBuf,
    /// The temporary folder holding `db`, when [`app`] made one.
    pub dir: Option<tempfile::TempDir>,
}

/// The app on a new ledger in a temporary folder.
pub fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut t = app_on(&dir.path().join("ledger.db"));
    t.dir = Some(dir);
    t
}

/// The app on the ledger at `db`.
pub fn app_on(db: &Path) -> TestApp {
    let app = with_commands(mock_builder())
        .manage(AppState::new(db.to_path_buf(), true))
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("mock window");
    TestApp { app, window, db: db.to_path_buf(), dir: None }
}

impl TestApp {
    /// The temporary folder of an [`app`].
    pub fn tmp(&self) -> &Path {
        self.dir.as_ref().expect("made by app()").path()
    }

    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request).map(|b| b.deserialize::<Value>().unwrap())
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }
}

/// A file or folder of the project's fixtures (`tests/fixtures/`).
pub fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(rel).to_string_lossy().into_owned()
}
