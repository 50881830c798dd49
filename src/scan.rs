//! `scan`: finds every agent's logs in its standard places and imports what is new.
//!
//! Which agents there are, where each looks and which files are its logs is
//! [`agents`]' registry. Incremental by design: each file's identity (device, inode), size,
//! mtime and the offset just past its last complete line are kept in `scan_files`. A file
//! whose identity, size and mtime are unchanged is not opened; a grown log is read from its
//! offset (with the importer's saved state); a file that shrank or was replaced, and a
//! rewritten JSON document, is read again from the start, and the ledger's dedupe
//! guarantees nothing is counted twice. A SQLite database's mark covers its `-wal` too, and
//! it is read from the watermark its importer left in the mark's state.

pub mod agents;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::import::{self, FileJob, FileReport, Loaded, Source, Start, Tail};
use crate::ledger::queries::scan_files::{self, FileMark};
use crate::ledger::Ledger;

pub use agents::{Agent, Kind, AGENTS};

/// An agent's folder a scan reads.
#[derive(Clone)]
pub struct Place {
    pub agent: &'static Agent,
    pub dir: PathBuf,
}

impl std::fmt::Debug for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}={}", self.agent.name, self.dir.display())
    }
}

impl PartialEq for Place {
    fn eq(&self, o: &Place) -> bool {
        self.agent.name == o.agent.name && self.dir == o.dir
    }
}

impl Eq for Place {}

/// The folders a scan reads, each with its agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roots {
    pub places: Vec<Place>,
}

impl Roots {
    /// The standard places of every agent (each agent's own variable, a comma list, replacing
    /// its defaults: `CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `GEMINI_DATA_DIR`, ...). Only
    /// folders that exist are kept.
    pub fn standard() -> Roots {
        let base = agents::Base::current();
        let mut r = Roots::default();
        for agent in AGENTS {
            for dir in agent.places(&base) {
                r.add(agent, dir);
            }
        }
        r
    }

    /// Exactly the folders given (as `--dir AGENT=PATH`), where they exist.
    pub fn named(given: &[(&'static Agent, PathBuf)]) -> Roots {
        let mut r = Roots::default();
        for (agent, dir) in given {
            r.add(agent, agent.folder(dir));
        }
        r
    }

    /// Exactly the folders given (as `--claude-dir` / `--codex-dir`), where they exist.
    pub fn given(claude: &[PathBuf], codex: &[PathBuf]) -> Roots {
        let (c, x) = (agents::by_name("claude-code").expect("known"), agents::by_name("codex").expect("known"));
        let list: Vec<_> = claude.iter().map(|d| (c, d.clone())).chain(codex.iter().map(|d| (x, d.clone()))).collect();
        Roots::named(&list)
    }

    fn add(&mut self, agent: &'static Agent, dir: PathBuf) {
        let place = Place { agent, dir };
        if place.dir.is_dir() && !self.places.contains(&place) {
            self.places.push(place);
        }
    }

    /// Whether no folder was found.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The folders of one agent.
    pub fn of(&self, agent: &str) -> Vec<PathBuf> {
        self.places.iter().filter(|p| p.agent.name == agent).map(|p| p.dir.clone()).collect()
    }

    /// Every log file under the roots with its format and project hint, sorted within each
    /// folder; a file two places share is listed once.
    pub fn files(&self) -> Result<Vec<LogFile>> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for place in &self.places {
            for f in place.agent.files(&place.dir)? {
                if seen.insert(f.path.clone()) {
                    out.push(LogFile { path: f.path, source: f.source, project: f.project, kind: f.kind });
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
    /// How it changes, which says how a changed file is read again.
    pub kind: Kind,
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
        mtime_ns: mtime_ns(meta),
        offset: 0,
        line: 0,
        state: None,
    }
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.mtime() * 1_000_000_000 + meta.mtime_nsec()
}

/// The mark of a file as it is now. A database's mark covers its `-wal` too (their sizes
/// summed, the later modification time), so a write that only reached the WAL is seen.
fn mark_now(path: &Path, kind: Kind, format: &str) -> Result<FileMark> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let mut mark = mark_of(&meta, format);
    if kind == Kind::Db {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        match std::fs::metadata(&wal) {
            Ok(w) => {
                mark.size += w.len();
                mark.mtime_ns = mark.mtime_ns.max(mtime_ns(&w));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&wal, e)),
        }
    }
    Ok(mark)
}

/// Where to read a file from, given its mark from the last scan, or None when nothing is new.
fn start_of(kind: Kind, old: Option<&FileMark>, now: &FileMark) -> Option<Start> {
    let Some(old) = old.filter(|o| o.dev == now.dev && o.ino == now.ino && o.format == now.format) else {
        return Some(Start::default());
    };
    let same = old.size == now.size && old.mtime_ns == now.mtime_ns;
    match kind {
        Kind::Append if now.size < old.offset => Some(Start::default()),
        // Touched with no new bytes: nothing to read.
        Kind::Append if same || now.size == old.offset => None,
        Kind::Append => Some(Start { offset: old.offset, line: old.line, state: old.state.clone() }),
        // A rewritten document is read whole; the ledger's keys keep what it repeats once.
        Kind::Whole => (!same).then(Start::default),
        // A database is read from its importer's watermark.
        Kind::Db => (!same).then(|| Start { offset: 0, line: 0, state: old.state.clone() }),
    }
}

/// Scans `roots`, importing new bytes. `progress(done, total, path)` is called per file read.
pub fn scan(ledger: &mut Ledger, roots: &Roots, mut progress: impl FnMut(usize, usize, &Path)) -> Result<ScanReport> {
    let mut report =
        ScanReport { locations: roots.places.iter().map(|p| p.dir.clone()).collect(), ..ScanReport::default() };
    let marks = scan_files::all(ledger.conn())?;
    let mut todo = Vec::new();
    for LogFile { path, source, project, kind } in roots.files()? {
        let key = path.to_string_lossy().into_owned();
        let now = match mark_now(&path, kind, source.name()) {
            Ok(m) => m,
            Err(e) => {
                report.files.push((path.clone(), Err(e)));
                continue;
            }
        };
        let old = marks.get(&key);
        let Some(start) = start_of(kind, old, &now) else {
            report.unchanged += 1;
            if let Some(old) = old.filter(|o| o.size != now.size || o.mtime_ns != now.mtime_ns) {
                let m = FileMark { offset: old.offset, line: old.line, state: old.state.clone(), ..now };
                scan_files::put(ledger.conn(), &key, &m)?;
            }
            continue;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(size: u64, mtime_ns: i64, offset: u64) -> FileMark {
        FileMark { format: "f".into(), dev: 1, ino: 2, size, mtime_ns, offset, line: 3, state: Some("s".into()) }
    }

    #[test]
    fn each_kind_of_file_is_read_again_by_its_own_rule() {
        let old = mark(100, 5, 100);
        // Unchanged: nothing to read, whatever the kind.
        for kind in [Kind::Append, Kind::Whole, Kind::Db] {
            assert!(start_of(kind, Some(&old), &mark(100, 5, 0)).is_none(), "{kind:?}");
        }
        // A log touched with no new bytes is not read; a document rewritten to the same
        // length is, whole; a database from its watermark.
        assert!(start_of(Kind::Append, Some(&old), &mark(100, 6, 0)).is_none());
        let whole = start_of(Kind::Whole, Some(&old), &mark(100, 6, 0)).unwrap();
        assert_eq!((whole.offset, whole.state), (0, None));
        let db = start_of(Kind::Db, Some(&old), &mark(100, 6, 0)).unwrap();
        assert_eq!((db.offset, db.state.as_deref()), (0, Some("s")));
        // A grown log resumes at its offset; one that shrank starts over.
        let grown = start_of(Kind::Append, Some(&old), &mark(150, 6, 0)).unwrap();
        assert_eq!((grown.offset, grown.line), (100, 3));
        assert_eq!(start_of(Kind::Append, Some(&old), &mark(50, 6, 0)).unwrap().offset, 0);
        // Another file at the same path (a new inode) is read from the start.
        let other = FileMark { ino: 9, ..mark(150, 6, 0) };
        let fresh = start_of(Kind::Db, Some(&old), &other).unwrap();
        assert_eq!((fresh.offset, fresh.state), (0, None));
    }
}
