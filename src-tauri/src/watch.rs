//! File-system watches (the `notify` crate: inotify, FSEvents, ReadDirectoryChangesW) that
//! wake the live worker: the agent-log folders a scan reads, and the ledger's folder.
//!
//! Watches only send a message; deciding what changed, debouncing and the work itself are
//! the worker's ([`crate::live`]). Nothing here polls: the OS delivers events to notify's
//! own thread, which blocks while nothing happens.
//!
//! The ledger's folder is watched, not the file: SQLite in WAL mode commits by appending
//! to `ledger.db-wal` and checkpoints into `ledger.db`; events for the `-shm` index (which
//! readers touch too) are ignored.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokenburn::scan::Roots;

use crate::live::Msg;

/// The folders whose changes mean "agent logs may have new usage", with how each is
/// watched: what each agent's registry entry says (`tokenburn::scan::agents`). For a Codex
/// home, its `sessions/` and `archived_sessions/` (the home itself holds logs of Codex's own
/// that change all the time), the home itself when neither exists yet; for Kilo CLI the
/// folder of `kilo.db` and its `-wal`; for the others their data folder or its log folder.
pub fn log_dirs(roots: &Roots) -> Vec<(PathBuf, RecursiveMode)> {
    let mut out: Vec<(PathBuf, RecursiveMode)> = Vec::new();
    for place in &roots.places {
        for (dir, recursive) in place.agent.watch(&place.dir) {
            let mode = if recursive { RecursiveMode::Recursive } else { RecursiveMode::NonRecursive };
            if !out.iter().any(|(d, _)| *d == dir) {
                out.push((dir, mode));
            }
        }
    }
    out
}

/// Whether a path can hold usage: a JSONL log, a JSON document (Amp threads, Cline tasks,
/// Gemini sessions), an agent's database or its write-ahead log.
fn is_usage_path(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    p.extension().is_some_and(|x| x == "jsonl" || x == "json" || x == "db") || name.ends_with(".db-wal")
}

/// Whether an event under the log folders can mean new usage.
fn is_log_event(e: &Event) -> bool {
    if matches!(e.kind, EventKind::Access(_)) {
        return false;
    }
    matches!(e.kind, EventKind::Create(_)) || e.paths.iter().any(|p| is_usage_path(p))
}

/// Whether an event in the ledger's folder touched the ledger (its file or write-ahead log).
fn is_ledger_event(e: &Event, db: &Path) -> bool {
    if matches!(e.kind, EventKind::Access(_)) {
        return false;
    }
    let Some(name) = db.file_name().map(|n| n.to_string_lossy().into_owned()) else { return false };
    let wal = format!("{name}-wal");
    e.paths.iter().any(|p| p.file_name().is_some_and(|f| f.to_string_lossy() == name || f.to_string_lossy() == wal))
}

/// The watches, kept alive for as long as they should report.
pub struct Watches {
    logs: Option<RecommendedWatcher>,
    log_dirs: Vec<(PathBuf, RecursiveMode)>,
    _ledger: Option<RecommendedWatcher>,
    tx: Sender<Msg>,
}

impl Watches {
    /// Watches the ledger's folder and the current agent-log folders.
    pub fn start(db: &Path, tx: Sender<Msg>) -> Watches {
        let ledger = watch_ledger(db, tx.clone())
            .map_err(|e| eprintln!("tokenburn-desktop: not watching the ledger's folder: {e}"))
            .ok();
        let mut w = Watches { logs: None, log_dirs: Vec::new(), _ledger: ledger, tx };
        w.rearm_logs();
        w
    }

    /// Re-reads the standard agent-log folders and watches them anew if they changed (a
    /// folder created since: Claude Code or Codex installed while the app runs).
    pub fn rearm_logs(&mut self) {
        let dirs = log_dirs(&Roots::standard());
        if dirs == self.log_dirs && (self.logs.is_some() || dirs.is_empty()) {
            return;
        }
        self.logs = None;
        self.log_dirs = dirs;
        if self.log_dirs.is_empty() {
            return;
        }
        let tx = self.tx.clone();
        let made = notify::recommended_watcher(move |r: notify::Result<Event>| match r {
            Ok(e) if is_log_event(&e) => {
                let _ = tx.send(Msg::Logs);
            }
            Ok(_) => {}
            Err(e) => eprintln!("tokenburn-desktop: agent-log watch: {e}"),
        });
        let mut watcher = match made {
            Ok(w) => w,
            Err(e) => return eprintln!("tokenburn-desktop: cannot watch agent logs: {e}"),
        };
        for (dir, mode) in &self.log_dirs {
            if let Err(e) = watcher.watch(dir, *mode) {
                // E.g. the inotify watch limit; the hourly scan still imports.
                eprintln!("tokenburn-desktop: not watching {}: {e}", dir.display());
            }
        }
        self.logs = Some(watcher);
    }

    /// The folders watched for agent logs.
    pub fn log_dirs(&self) -> Vec<PathBuf> {
        self.log_dirs.iter().map(|(d, _)| d.clone()).collect()
    }
}

fn watch_ledger(db: &Path, tx: Sender<Msg>) -> notify::Result<RecommendedWatcher> {
    let dir = match db.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    // The folder may not exist before the ledger's first open; it will then hold the ledger.
    std::fs::create_dir_all(&dir)?;
    let file = db.to_path_buf();
    let mut w = notify::recommended_watcher(move |r: notify::Result<Event>| match r {
        Ok(e) if is_ledger_event(&e, &file) => {
            let _ = tx.send(Msg::Ledger);
        }
        Ok(_) => {}
        Err(e) => eprintln!("tokenburn-desktop: ledger watch: {e}"),
    })?;
    w.watch(&dir, RecursiveMode::NonRecursive)?;
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, ModifyKind};

    fn ev(kind: EventKind, path: &str) -> Event {
        Event::new(kind).add_path(PathBuf::from(path))
    }

    #[test]
    fn ledger_events_are_the_file_and_its_wal_only() {
        let db = Path::new("/d/ledger.db");
        let modify = EventKind::Modify(ModifyKind::Any);
        assert!(is_ledger_event(&ev(modify, "/d/ledger.db"), db));
        assert!(is_ledger_event(&ev(modify, "/d/ledger.db-wal"), db));
        assert!(!is_ledger_event(&ev(modify, "/d/ledger.db-shm"), db));
        assert!(!is_ledger_event(&ev(modify, "/d/other.db"), db));
        assert!(!is_ledger_event(&ev(EventKind::Access(AccessKind::Any), "/d/ledger.db"), db));
    }

    #[test]
    fn log_events_are_jsonl_changes_and_creations() {
        assert!(is_log_event(&ev(EventKind::Modify(ModifyKind::Any), "/p/x/s.jsonl")));
        assert!(is_log_event(&ev(EventKind::Create(CreateKind::Folder), "/p/new-project")));
        assert!(!is_log_event(&ev(EventKind::Modify(ModifyKind::Any), "/p/x/notes.txt")));
        assert!(!is_log_event(&ev(EventKind::Access(AccessKind::Any), "/p/x/s.jsonl")));
        // Other agents: JSON documents, databases and their write-ahead logs, not the index.
        assert!(is_log_event(&ev(EventKind::Modify(ModifyKind::Any), "/a/threads/T-1.json")));
        assert!(is_log_event(&ev(EventKind::Modify(ModifyKind::Any), "/k/kilo.db-wal")));
        assert!(is_log_event(&ev(EventKind::Modify(ModifyKind::Any), "/k/kilo.db")));
        assert!(!is_log_event(&ev(EventKind::Modify(ModifyKind::Any), "/k/kilo.db-shm")));
    }

    #[test]
    fn every_found_agent_is_watched_where_its_usage_changes() {
        let home = tempfile::tempdir().unwrap();
        let kilo = home.path().join("kilo");
        let copilot = home.path().join("copilot");
        std::fs::create_dir_all(&kilo).unwrap();
        std::fs::create_dir_all(copilot.join("session-state")).unwrap();
        let agent = |n| tokenburn::scan::agents::by_name(n).unwrap();
        let roots = Roots::named(&[(agent("kilo-cli"), kilo.clone()), (agent("copilot-cli"), copilot.clone())]);
        assert_eq!(
            log_dirs(&roots),
            [(kilo, RecursiveMode::NonRecursive), (copilot.join("session-state"), RecursiveMode::Recursive)]
        );
    }

    #[test]
    fn codex_homes_watch_their_session_folders() {
        let home = tempfile::tempdir().unwrap();
        let codex = home.path().join("codex");
        std::fs::create_dir_all(&codex).unwrap();
        let roots = Roots::given(&[], std::slice::from_ref(&codex));
        assert_eq!(log_dirs(&roots), [(codex.clone(), RecursiveMode::NonRecursive)]);
        std::fs::create_dir_all(codex.join("sessions")).unwrap();
        assert_eq!(log_dirs(&roots), [(codex.join("sessions"), RecursiveMode::Recursive)]);
    }
}
