//! The engine's error type and the stable codes that name its kinds.
//!
//! Variants carry what a person needs to fix the problem: the file, the line, the field, the
//! value given and what was expected. Binaries wrap the error in `anyhow`; the desktop shell
//! sends [`Error::code`] and the message to the UI as `{code, message}`.
//!
//! Invariant: [`Code`] is the only list of error codes. The shell's own failures use its
//! variants too, `ui/js/api.js` keys its advice by their serialised names, and a test of the
//! desktop crate fails when the two lists differ.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use crate::chart::ChartError;
use crate::timezone::UnknownZone;

/// Declares [`Code`] and [`Code::ALL`] from one list, so no variant can be left out of it.
macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// A stable, machine-readable error code for the UI and scripts. It serialises in
        /// snake_case (`LedgerBusy` is `"ledger_busy"`), which is what the UI switches on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $($(#[$doc])* $name,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$name),*];
        }
    };
}

codes! {
    /// Another connection holds the ledger's write lock; trying again later works.
    LedgerBusy,
    /// The ledger could not be read or written.
    Ledger,
    /// A file or folder could not be read or written.
    Io,
    /// A file of a known format could not be read as that format.
    BadFile,
    /// No format claims the file.
    UnrecognisedFile,
    /// A format name that no importer has.
    UnknownFormat,
    /// The ledger or the export was written by a newer build.
    SchemaTooNew,
    /// A value given (a flag, a setting, a form field) is not valid.
    InvalidInput,
    /// What the request names is not there.
    NotFound,
    /// A chart's size is out of range.
    ChartSize,
    /// Drawing a chart failed.
    ChartDraw,
    /// Encoding a chart as PNG failed.
    ChartPng,
    /// The system does not offer what was asked for (e.g. starting at login).
    Unsupported,
    /// A failure of the program itself (a window, a worker thread), not of its input.
    App,
}

impl Code {
    /// The serialised name, e.g. `"ledger_busy"`.
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => unreachable!("a unit variant serialises as a string"),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("ledger: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: {reason}", path.display())]
    BadFile { path: PathBuf, reason: String },
    /// An agent's database was being written while it was read; the next scan tries again.
    #[error("{}: the database is busy ({reason}); nothing was imported, the next scan tries again", path.display())]
    SourceBusy { path: PathBuf, reason: String },
    #[error("{}: not a format Tokenburn knows (formats: {known}); pass --format NAME if it is one of them", path.display())]
    Unrecognised { path: PathBuf, known: String },
    #[error("unknown format {0:?}; see `tokenburn sources`")]
    UnknownFormat(String),
    #[error("ledger {}: schema version {found} is newer than this build supports ({supported}); upgrade Tokenburn", path.display())]
    SchemaTooNew { path: PathBuf, found: i64, supported: i64 },
    /// A backup whose schema is newer than this build's.
    #[error("the export is from schema {found} but this build knows {supported}: upgrade Tokenburn")]
    ExportTooNew { found: i64, supported: i64 },
    /// A value given for `field` is not valid; `expected` says what would be (or what is wrong).
    #[error("{field} {value:?}: {expected}")]
    Invalid { field: Cow<'static, str>, value: String, expected: String },
    /// A time zone name that is not in the IANA database.
    #[error(transparent)]
    UnknownZone(#[from] UnknownZone),
    /// The request names a `what` (a budget, a price override) that is not there.
    #[error("no {what} named {name:?}")]
    NotFound { what: &'static str, name: String },
    /// The request would create a `what` whose name is taken; `hint` says how to go on.
    #[error("a {what} named {name:?} exists already{hint}")]
    Exists { what: &'static str, name: String, hint: &'static str },
    /// A restore into a ledger that holds data, without leave to replace it.
    #[error("the ledger is not empty: restore into a new --db, or pass --replace")]
    NotEmpty,
    /// A backup's table that this build cannot restore as it is.
    #[error("export: {table}: {problem}")]
    BadExport { table: String, problem: String },
    /// A row of the ledger that this build cannot read back.
    #[error("{what} is damaged in the ledger")]
    Damaged { what: String },
    /// Writing an output (an export, a backup) failed.
    #[error("writing {what}: {reason}")]
    Write { what: String, reason: String },
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// A part of the program stopped before it finished (a worker thread hung up).
    #[error("{what} stopped")]
    Stopped { what: &'static str },
    /// Something the ledger should answer, it did not.
    #[error("{what} is not available")]
    Unavailable { what: &'static str },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }

    /// `field`'s `value` is not valid: `expected` says what would be.
    pub fn invalid(field: impl Into<Cow<'static, str>>, value: impl ToString, expected: impl Into<String>) -> Error {
        Error::Invalid { field: field.into(), value: value.to_string(), expected: expected.into() }
    }

    /// A stable machine-readable code for the UI and scripts.
    pub fn code(&self) -> Code {
        match self {
            Error::Sqlite(e) if is_busy(e) => Code::LedgerBusy,
            Error::Sqlite(_) | Error::Damaged { .. } | Error::Unavailable { .. } => Code::Ledger,
            Error::Io { .. } | Error::Write { .. } | Error::SourceBusy { .. } => Code::Io,
            Error::BadFile { .. } | Error::BadExport { .. } => Code::BadFile,
            Error::Unrecognised { .. } => Code::UnrecognisedFile,
            Error::UnknownFormat(_) => Code::UnknownFormat,
            Error::SchemaTooNew { .. } | Error::ExportTooNew { .. } => Code::SchemaTooNew,
            // A name that is taken or missing and a restore that would overwrite are refused
            // requests, as the UI has always been told (the budget form's tests hold it).
            Error::Invalid { .. }
            | Error::UnknownZone(_)
            | Error::NotFound { .. }
            | Error::Exists { .. }
            | Error::NotEmpty => Code::InvalidInput,
            Error::Chart(e) => e.code(),
            Error::Stopped { .. } => Code::App,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_in_snake_case_each_once() {
        let names: Vec<String> = Code::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names[0], "ledger_busy");
        assert!(names.contains(&"invalid_input".to_string()) && names.contains(&"chart_size".to_string()));
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        for c in Code::ALL {
            assert_eq!(serde_json::from_value::<Code>(serde_json::Value::String(c.to_string())).unwrap(), *c);
        }
    }

    #[test]
    fn an_invalid_value_names_its_field_value_and_expectation() {
        let e = Error::invalid("fiscal_year_start", "13", "a month number, 1-12");
        assert_eq!(e.to_string(), "fiscal_year_start \"13\": a month number, 1-12");
        assert_eq!(e.code(), Code::InvalidInput);
    }

    #[test]
    fn chart_errors_keep_their_own_codes() {
        let e = Error::from(ChartError::Size { width: 10, height: 10 });
        assert_eq!(e.code(), Code::ChartSize);
        assert!(e.to_string().contains("out of range"), "{e}");
    }
}
