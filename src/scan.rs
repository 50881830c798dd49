//! `scan`: finds the agent logs in their standard places and imports what is new.
//!
//! Incremental by design: each file's identity (device, inode), size, mtime and the offset
//! just past its last complete line are kept in `scan_files`. A file whose identity, size
//! and mtime are unchanged is not opened; a grown file is read from its offset (with the
//! importer's saved state); a file that shrank or was replaced is read again from the
//! start, and the ledger's dedupe guarantees nothing is counted twice.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::import::{self, FileJob, FileReport, Loaded, Source, Start, Tail};
use crate::ledger::queries::scan_files::{self, FileMark};
use crate::ledger::Ledger;

/// The folders a scan reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roots {
    /// Claude Code `projects/` folders.
    pub claude: Vec<PathBuf>,
    /// Codex homes (holding `sessions/` and `archived_sessions/`).
    pub codex: Vec<PathBuf>,
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

fn comma_list(var: &str) -> Option<Vec<PathBuf>> {
    let v = std::env::var(var).ok()?;
    let list: Vec<PathBuf> = v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(PathBuf::from).collect();
    (!list.is_empty()).then_some(list)
}

/// A Claude folder may be a config folder holding `projects/` or `projects/` itself.
fn claude_projects(dir: &Path) -> PathBuf {
    let p = dir.join("projects");
    if p.is_dir() {
        p
    } else {
        dir.to_path_buf()
    }
}

impl Roots {
    /// The standard places: `CLAUDE_CONFIG_DIR` (a comma list, replacing the defaults) or
    /// `~/.config/claude` and `~/.claude`; `CODEX_HOME` (a comma list) or `~/.codex`. Only
    /// folders that exist are kept.
    pub fn standard() -> Roots {
        let claude = comma_list("CLAUDE_CONFIG_DIR")
            .unwrap_or_else(|| home().map(|h| vec![h.join(".config/claude"), h.join(".claude")]).unwrap_or_default());
        let codex =
            comma_list("CODEX_HOME").unwrap_or_else(|| home().map(|h| vec![h.join(".codex")]).unwrap_or_default());
        Roots::given(&claude, &codex)
    }

    /// Exactly the folders given (as `--claude-dir` / `--codex-dir`), where they exist.
    pub fn given(claude: &[PathBuf], codex: &[PathBuf]) -> Roots {
        let mut r = Roots {
            claude: claude.iter().map(|d| claude_projects(d)).filter(|d| d.is_dir()).collect(),
            codex: codex.iter().filter(|d| d.is_dir()).cloned().collect(),
        };
        r.claude.dedup();
        r.codex.dedup();
        r
    }

    /// Every log file under the roots with its format and project hint, sorted.
    pub fn files(&self) -> Result<Vec<LogFile>> {
        let jsonl = |p: &Path| p.extension().is_some_and(|e| e == "jsonl");
        let mut out = Vec::new();
        let claude = import::by_name("claude-code")?;
        for root in &self.claude {
            for f in import::walk(root, &jsonl)? {
                // projects/<project>/<session>.jsonl: the folder names the project.
                let project = f.strip_prefix(root).ok().and_then(|r| r.components().next()).and_then(|c| {
                    let s = c.as_os_str().to_string_lossy();
                    (!s.ends_with(".jsonl")).then(|| s.into_owned())
                });
                out.push(LogFile { path: f, source: claude, project });
            }
        }
        let codex = import::by_name("codex")?;
        for root in &self.codex {
            for sub in ["sessions", "archived_sessions"] {
                let dir = root.join(sub);
                if dir.is_dir() {
                    out.extend(import::walk(&dir, &jsonl)?.into_iter().map(|path| LogFile {
                        path,
                        source: codex,
                        project: None,
                    }));
                }
            }
        }
        Ok(out)
    }
}

/// An agent-log file found by a scan.
pub struct LogFile {
    pub path: PathBuf,
    pub source: &'static dyn Source,
    /// The project its location implies (Claude Code's project folder).
    pub project: Option<String>,
}

/// What a scan did.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub locations: Vec<PathBuf>,
    /// Files that had something new, with what importing it did (or why it failed).
    pub files: Vec<(PathBuf, std::result::Result<FileReport, crate::error::Error>)>,
    /// Files seen with nothing new.
    pub unchanged: usize,
}

fn mark_of(meta: &std::fs::Metadata, format: &str) -> FileMark {
    FileMark {
        format: format.to_string(),
        dev: meta.dev(),
        ino: meta.ino(),
        size: meta.len(),
        mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        offset: 0,
        line: 0,
        state: None,
    }
}

/// Scans `roots`, importing new bytes. `progress(done, total, path)` is called per file read.
pub fn scan(ledger: &mut Ledger, roots: &Roots, mut progress: impl FnMut(usize, usize, &Path)) -> Result<ScanReport> {
    let mut report =
        ScanReport { locations: roots.claude.iter().chain(&roots.codex).cloned().collect(), ..ScanReport::default() };
    let marks = scan_files::all(ledger.conn())?;
    let mut todo = Vec::new();
    for LogFile { path, source, project } in roots.files()? {
        let key = path.to_string_lossy().into_owned();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                report.files.push((path.clone(), Err(Error::io(&path, e))));
                continue;
            }
        };
        let now = mark_of(&meta, source.name());
        let start = match marks.get(&key) {
            Some(old)
                if old.dev == now.dev && old.ino == now.ino && old.format == now.format && now.size >= old.offset =>
            {
                if old.size == now.size && old.mtime_ns == now.mtime_ns || now.size == old.offset {
                    report.unchanged += 1;
                    if old.size != now.size || old.mtime_ns != now.mtime_ns {
                        let m = FileMark { offset: old.offset, line: old.line, state: old.state.clone(), ..now };
                        scan_files::put(ledger.conn(), &key, &m)?;
                    }
                    continue;
                }
                Start { offset: old.offset, line: old.line, state: old.state.clone() }
            }
            _ => Start::default(),
        };
        todo.push(FileJob { path, source, start, tail: Tail::Leave, project, dry_run: false, mark: Some(now) });
    }
    let total = todo.len();
    // Reading and hashing run on worker threads, ahead of the single writer; each file is
    // stored under its own savepoint (all of it or none), committed in batches.
    let (tx_loaded, rx_loaded) = std::sync::mpsc::sync_channel::<(usize, Result<Loaded>)>(8);
    let queue = std::sync::Mutex::new(todo.into_iter().enumerate());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    std::thread::scope(|s| -> Result<()> {
        for _ in 0..workers {
            let tx_loaded = tx_loaded.clone();
            let queue = &queue;
            s.spawn(move || loop {
                let next = queue.lock().expect("queue lock").next();
                let Some((i, job)) = next else { break };
                if tx_loaded.send((i, import::load(job))).is_err() {
                    break;
                }
            });
        }
        drop(tx_loaded);
        // Files arrive out of order; put them back in order so results are reproducible.
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0;
        let mut batch = Batch::new(ledger)?;
        for (i, loaded) in rx_loaded {
            pending.insert(i, loaded);
            while let Some(loaded) = pending.remove(&next) {
                next += 1;
                let result = match loaded {
                    Ok(l) => {
                        progress(next - 1, total, &l.job.path);
                        let path = l.job.path.clone();
                        (path, batch.store(l))
                    }
                    Err(e) => (error_path(&e), Err(e)),
                };
                report.files.push(result);
                batch.maybe_commit()?;
            }
        }
        batch.commit()
    })?;
    Ok(report)
}

fn error_path(e: &Error) -> PathBuf {
    match e {
        Error::Io { path, .. } | Error::BadFile { path, .. } | Error::Unrecognised { path, .. } => path.clone(),
        _ => PathBuf::new(),
    }
}

/// One write transaction over many files, each under a savepoint.
struct Batch<'l> {
    ledger: &'l mut Ledger,
    open: bool,
    files: usize,
    since: std::time::Instant,
}

impl<'l> Batch<'l> {
    fn new(ledger: &'l mut Ledger) -> Result<Batch<'l>> {
        Ok(Batch { ledger, open: false, files: 0, since: std::time::Instant::now() })
    }

    fn store(&mut self, loaded: Loaded) -> Result<FileReport> {
        let conn = self.ledger.conn();
        if !self.open {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            self.open = true;
            self.since = std::time::Instant::now();
        }
        conn.execute_batch("SAVEPOINT file")?;
        match import::store(conn, self.ledger.book(), loaded) {
            Ok(r) => {
                conn.execute_batch("RELEASE file")?;
                self.files += 1;
                Ok(r)
            }
            Err(e) => {
                conn.execute_batch("ROLLBACK TO file; RELEASE file")?;
                Err(e)
            }
        }
    }

    /// Commits after a few hundred files or a quarter second, so other writers (the app,
    /// another CLI) are never kept waiting long and a crash loses little work.
    fn maybe_commit(&mut self) -> Result<()> {
        if self.open && (self.files >= 256 || self.since.elapsed() > std::time::Duration::from_millis(250)) {
            self.commit()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        if self.open {
            self.ledger.conn().execute_batch("COMMIT")?;
            self.open = false;
            self.files = 0;
        }
        Ok(())
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.ledger.conn().execute_batch("ROLLBACK");
        }
    }
}
