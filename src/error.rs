//! The engine's error type. Variants carry what a person needs to fix the problem: the
//! file, the line, what was expected. Binaries wrap it in `anyhow`; the desktop shell maps
//! [`Error::code`] to its stable `{code, message}`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("ledger: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: {reason}", path.display())]
    BadFile { path: PathBuf, reason: String },
    #[error("{}: not a format Tokenburn knows (formats: {known}); pass --format NAME if it is one of them", path.display())]
    Unrecognised { path: PathBuf, known: String },
    #[error("unknown format {0:?}; see `tokenburn sources`")]
    UnknownFormat(String),
    #[error("ledger {}: schema version {found} is newer than this build supports ({supported}); upgrade Tokenburn", path.display())]
    SchemaTooNew { path: PathBuf, found: i64, supported: i64 },
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }

    /// A stable machine-readable code for the UI and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sqlite(e) if is_busy(e) => "ledger_busy",
            Error::Sqlite(_) => "ledger",
            Error::Io { .. } => "io",
            Error::BadFile { .. } => "bad_file",
            Error::Unrecognised { .. } => "unrecognised_file",
            Error::UnknownFormat(_) => "unknown_format",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Invalid(_) => "invalid_input",
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
