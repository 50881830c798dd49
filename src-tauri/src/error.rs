//! The one error shape the UI sees: `{code, message}`.
//!
//! `code` is one of the engine's [`Code`]s, the only list of codes (the engine's errors bring
//! theirs, the shell's own failures pick one), so `ui/js/api.js` can switch on it; `message`
//! is for people and may change.

use serde::Serialize;
pub use tokenburn::error::Code;

/// An error as it crosses the IPC boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into() }
    }
}

impl From<tokenburn::error::Error> for ApiError {
    fn from(e: tokenburn::error::Error) -> ApiError {
        ApiError::new(e.code(), e.to_string())
    }
}

/// A failure of the shell itself (a window, an event, a worker thread), not of the engine.
impl From<tauri::Error> for ApiError {
    fn from(e: tauri::Error) -> ApiError {
        ApiError::new(Code::App, e.to_string())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
