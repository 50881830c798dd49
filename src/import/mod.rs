//! Importers: the [`Source`] trait, the [`SOURCES`] registry, and the driver that runs one
//! file through a source into the ledger in one transaction.
//!
//! Adding a format means one new file here, one line in [`SOURCES`] and one fixture
//! folder. What importers share lives in modules that are not importers (`vendor`,
//! `csv_rows`, `lines`, `names`): no importer uses another, so each can be removed with its
//! line in [`SOURCES`]. Invariants: a bad row is reported with its [`Position`] (`file:N:
//! reason` for line N, `file: record N: reason` in a JSON document) and skipped; an
//! unreadable or unrecognised file is an error and writes nothing; each file (or appended
//! byte range, for `scan`) is one transaction, so it is stored wholly or not at all.

mod amp;
mod anthropic_cost_csv;
mod anthropic_cost_json;
mod anthropic_usage_csv;
mod ccusage_json;
mod claude_code;
mod claude_stats;
mod cline;
mod codex;
mod copilot_cli;
mod copilot_csv;
pub mod csv_rows;
mod cursor_csv;
mod driver;
mod gemini_cli;
mod kilo_cli;
pub mod lines;
pub mod names;
mod openai_costs_csv;
mod openai_costs_json;
mod openai_usage_csv;
mod openai_usage_json;
mod opencode;
mod opencode_store;
mod openrouter_csv;
mod qwen_code;
pub mod rules;
pub mod sqlite;
mod vendor;

pub use driver::{import_file, import_paths, load, store, FileJob, Loaded, Start};

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Authority, UsageEvent};

/// Every format Tokenburn reads. Detection asks each in turn; exactly one may claim a file.
pub static SOURCES: &[&dyn Source] = &[
    &claude_code::ClaudeCode,
    &codex::Codex,
    &gemini_cli::GeminiCli,
    &claude_stats::ClaudeStats,
    &ccusage_json::CcusageJson,
    &openai_usage_csv::OpenAiUsageCsv,
    &openai_costs_csv::OpenAiCostsCsv,
    &openai_usage_json::OpenAiUsageJson,
    &openai_costs_json::OpenAiCostsJson,
    &anthropic_usage_csv::AnthropicUsageCsv,
    &anthropic_cost_csv::AnthropicCostCsv,
    &anthropic_cost_json::AnthropicCostJson,
    &cursor_csv::CursorCsv,
    &openrouter_csv::OpenRouterCsv,
    &copilot_csv::CopilotCsv,
    &amp::Amp,
    &copilot_cli::CopilotCli,
    &qwen_code::QwenCode,
    &cline::CLINE,
    &cline::ROO_CODE,
    &cline::KILO_CODE,
    &opencode::Opencode,
    &kilo_cli::KiloCli,
];

/// The first bytes of a file and its name, for [`Source::detect`].
pub struct Sniff<'a> {
    pub path: &'a Path,
    pub head: &'a [u8],
}

/// What to do with a last line that has no newline yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// An explicit import: parse it, and report it if it is broken.
    Read,
    /// A scan of a log that may still be written: leave it for the next scan.
    Leave,
}

/// Where a rejected row is in its file.
///
/// Serialised as one field beside the reason, `{"line": 3}` or `{"record": 3}`, which is
/// what the CLI's `--json` output and the desktop app show. The ledger stores only the
/// number (`import_rejects.line`); the kind is the source's ([`Source::position`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// A 1-based physical line of a text file (CSV, JSONL).
    Line(u64),
    /// The 1-based place of a record in a JSON document (across its buckets and pages),
    /// which says nothing about the line it was written on.
    Record(u64),
}

impl Position {
    /// The line or record number.
    pub fn number(self) -> u64 {
        match self {
            Position::Line(n) | Position::Record(n) => n,
        }
    }

    /// `file:N` (a line, as compilers and grep write it) or `file: record N`, the start of
    /// a rejection's message.
    pub fn in_file(self, file: &str) -> String {
        match self {
            Position::Line(n) => format!("{file}:{n}"),
            Position::Record(n) => format!("{file}: record {n}"),
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Record(n) => write!(f, "record {n}"),
        }
    }
}

/// A row that was skipped, where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    #[serde(flatten)]
    pub at: Position,
    pub reason: String,
}

impl std::fmt::Display for Rejected {
    /// `line N: reason` or `record N: reason`.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

/// At most this many rejected rows are kept with their reasons (all are counted).
pub const MAX_REJECTED_LISTED: usize = 1000;

/// Input and output of one parse.
pub struct ParseCtx<'a> {
    pub path: &'a Path,
    /// A project name implied by the file's location, if any.
    pub project: Option<String>,
    /// Lines before the first byte given to the parser (non-zero when resuming a scan).
    pub first_line: u64,
    /// The source's own state saved at the starting offset (JSON), when resuming.
    pub state: Option<String>,
    pub tail: Tail,
    /// Rows read (non-empty lines or records).
    pub rows: u64,
    pub rejected: Vec<Rejected>,
    pub rejected_count: u64,
    /// Bytes consumed: through the last complete line handled.
    pub consumed: u64,
    /// Line number of the last line consumed.
    pub last_line: u64,
}

impl ParseCtx<'_> {
    /// The context of reading `path` whole, from its first byte, with no project implied.
    pub fn new(path: &Path) -> ParseCtx<'_> {
        ParseCtx {
            path,
            project: None,
            first_line: 0,
            state: None,
            tail: Tail::Read,
            rows: 0,
            rejected: Vec::new(),
            rejected_count: 0,
            consumed: 0,
            last_line: 0,
        }
    }

    /// Skips a row at `at`, counting it and keeping its reason (up to
    /// [`MAX_REJECTED_LISTED`]).
    pub fn reject(&mut self, at: Position, reason: impl Into<String>) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_REJECTED_LISTED {
            self.rejected.push(Rejected { at, reason: reason.into() });
        }
    }
}

/// Receives events as a source parses them.
pub type Sink<'s> = dyn FnMut(UsageEvent) -> Result<()> + 's;

/// Reads a source's SQLite database: given a private, consistent copy of it (see
/// [`sqlite`]), it sends events like [`Source::parse`], resuming from and leaving its
/// watermark in `ctx.state`.
pub type DbReader = fn(&rusqlite::Connection, &mut ParseCtx, &mut Sink) -> Result<()>;

/// One import format.
pub trait Source: Sync {
    /// The format's name (`--format NAME`), also the `source` of its events in the ledger.
    fn name(&self) -> &str;
    /// One line for `tokenburn sources`.
    fn describe(&self) -> &'static str;
    /// How much its token counts are trusted against other sources of the same usage.
    fn authority(&self) -> Authority;
    /// Whether this file is in this format, judged from its name and first bytes.
    fn detect(&self, sniff: &Sniff) -> bool;
    /// The position of its `n`-th row: a [`Position::Line`] for text read line by line (the
    /// default), a [`Position::Record`] for a JSON document's records. Rejections stored
    /// in the ledger keep only `n` and are given their kind back through this.
    fn position(&self, n: u64) -> Position {
        Position::Line(n)
    }
    /// Parses `input`, sending events to `sink`; bad rows go to `ctx.reject`. An `Err` fails
    /// the whole file. Sources that can resume mid-file set `ctx.state` for the next call.
    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()>;
    /// For a source kept in a SQLite database: how to read it. The driver uses it instead
    /// of [`Source::parse`] for a file that starts with the SQLite header, and never opens
    /// that file itself.
    fn db_reader(&self) -> Option<DbReader> {
        None
    }
}

/// Whole-document (JSON) sources are read into memory up to this size.
pub const MAX_DOC: u64 = 256 * 1024 * 1024;

/// Reads a whole document for a source that cannot stream (bounded by [`MAX_DOC`]).
pub fn read_doc(input: &mut dyn BufRead, ctx: &mut ParseCtx) -> Result<String> {
    let mut bytes = Vec::new();
    input.take(MAX_DOC + 1).read_to_end(&mut bytes).map_err(|e| Error::io(ctx.path, e))?;
    if bytes.len() as u64 > MAX_DOC {
        return Err(Error::BadFile { path: ctx.path.into(), reason: format!("larger than {} MiB", MAX_DOC >> 20) });
    }
    ctx.consumed = bytes.len() as u64;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").map(<[u8]>::to_vec).unwrap_or(bytes);
    String::from_utf8(bytes).map_err(|e| Error::BadFile {
        path: ctx.path.into(),
        reason: format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to() + 1),
    })
}

/// A whole-document JSON error, with its position.
pub fn bad_json(path: &Path, e: &serde_json::Error) -> Error {
    Error::BadFile { path: path.into(), reason: format!("line {}: {}", e.line(), lines::json_reason(e)) }
}

/// Looks a source up by its `--format` name.
pub fn by_name(name: &str) -> Result<&'static dyn Source> {
    SOURCES.iter().copied().find(|s| s.name() == name).ok_or_else(|| Error::UnknownFormat(name.to_string()))
}

fn known_names() -> String {
    SOURCES.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
}

/// Bytes read for detection.
const SNIFF_BYTES: usize = 64 * 1024;

/// The sources that claim a file (exactly one, for a well-formed file).
pub fn claimants(path: &Path, head: &[u8]) -> Vec<&'static dyn Source> {
    let sniff = Sniff { path, head };
    SOURCES.iter().copied().filter(|s| s.detect(&sniff)).collect()
}

/// Picks the source for a file, or explains why none fits.
pub fn detect(path: &Path) -> Result<&'static dyn Source> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut f).take(SNIFF_BYTES as u64).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::BadFile { path: path.into(), reason: "the file is empty: nothing to import".into() });
    }
    match claimants(path, &head).as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::Unrecognised { path: path.into(), known: known_names() }),
        many => Err(Error::BadFile {
            path: path.into(),
            reason: format!(
                "more than one format fits ({}); pass --format",
                many.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

/// The result of importing one file, as `import` and `scan` report it.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub format: String,
    pub rows: u64,
    pub added: u64,
    pub updated: u64,
    pub duplicates: u64,
    pub rejected: Vec<Rejected>,
    /// All rejected rows, including any not listed.
    #[serde(skip_serializing_if = "is_zero_or_listed")]
    pub rejected_count: u64,
    /// The import id, or None for a dry run or a file with nothing new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_id: Option<i64>,
    /// Set when the bytes were identical to an earlier import and were not parsed again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as: Option<i64>,
}

fn is_zero_or_listed(n: &u64) -> bool {
    *n as usize <= MAX_REJECTED_LISTED
}

/// Every regular file under `path` (or `path` itself), sorted, skipping hidden entries.
pub fn walk(path: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let p = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let ft = entry.file_type().map_err(|e| Error::io(&p, e))?;
            if ft.is_dir() {
                stack.push(p);
            } else if (ft.is_file() || ft.is_symlink()) && p.is_file() && keep(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
