//! The one error shape the UI sees: `{code, message}`.
//!
//! `code` is stable (the engine's [`tokenburn::error::Error::code`] plus the few below), so
//! `ui/js/api.js` can switch on it; `message` is for people and may change.

use serde::Serialize;

/// An error as it crosses the IPC boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError { code: code.to_string(), message: message.into() }
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
        ApiError::new("app", e.to_string())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
