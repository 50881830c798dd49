//! The agents a scan finds: for each, its source name, its standard places on this OS, the
//! environment variables the agent itself honours, and which files under one of its folders
//! are its usage logs.
//!
//! A place is an agent's data folder (`~/.gemini`, `~/.copilot`, a Kilo data folder, a VS
//! Code extension's globalStorage folder). An agent's own variable (a comma list, as ccusage
//! reads them) replaces its standard places, as `CLAUDE_CONFIG_DIR` and `CODEX_HOME` do;
//! `XDG_DATA_HOME` and `XDG_CONFIG_HOME` only move the base the standard places sit in.
//!
//! Invariant: a layout names only files of its own agent, and each file with the one source
//! that reads it, so a scan never has to sniff a file to know what it is.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::import::{self, Source};

/// How a log file changes, which says how a scan re-reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Lines are appended: a grown file is read from where the last scan stopped.
    Append,
    /// One document rewritten as it grows: a changed file is read again whole (the ledger's
    /// keys make that add only what is new).
    Whole,
    /// A SQLite database: read from the importer's watermark; its `-wal` is part of it.
    Db,
}

/// A usage file an agent's layout names.
pub struct Found {
    pub path: PathBuf,
    pub source: &'static dyn Source,
    /// The project its location implies (Claude Code's project folder).
    pub project: Option<String>,
    pub kind: Kind,
}

/// One agent Tokenburn finds on its own.
pub struct Agent {
    /// Its source name (`scan --dir NAME=PATH`, `report --source NAME`).
    pub name: &'static str,
    /// How people call it.
    pub label: &'static str,
    /// The variables the agent honours for its folder, in order; the first set one (a comma
    /// list) replaces the standard places.
    pub env: &'static [&'static str],
    defaults: fn(&Base) -> Vec<PathBuf>,
    /// The folder a place stands for, when the place may be a parent of it (Claude Code's
    /// `projects/`, Gemini's `tmp/`).
    normalize: fn(&Path) -> PathBuf,
    layout: fn(&Path, &mut Vec<Found>) -> Result<()>,
    /// What under a folder to watch for changes, and whether recursively.
    watch: fn(&Path) -> Vec<(PathBuf, bool)>,
}

/// The folders the standard places are relative to, on this OS.
pub struct Base {
    pub home: Option<PathBuf>,
    /// `XDG_DATA_HOME` or `~/.local/share` (opencode, Kilo CLI and Amp use it on every OS).
    pub data: Option<PathBuf>,
    /// Where editors keep their settings: `XDG_CONFIG_HOME` or `~/.config` on Linux,
    /// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
    pub config: Option<PathBuf>,
}

fn var_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

impl Base {
    /// The bases of the running process (its HOME and XDG variables).
    pub fn current() -> Base {
        let home = if cfg!(windows) { var_path("USERPROFILE").or_else(|| var_path("HOME")) } else { var_path("HOME") };
        let data = var_path("XDG_DATA_HOME").or_else(|| home.as_ref().map(|h| h.join(".local/share")));
        let config = if cfg!(target_os = "macos") {
            home.as_ref().map(|h| h.join("Library/Application Support"))
        } else if cfg!(windows) {
            var_path("APPDATA").or_else(|| home.as_ref().map(|h| h.join("AppData/Roaming")))
        } else {
            var_path("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")))
        };
        Base { home, data, config }
    }
}

fn at_home(b: &Base, rel: &[&str]) -> Vec<PathBuf> {
    b.home.as_ref().map(|h| rel.iter().map(|r| h.join(r)).collect()).unwrap_or_default()
}

fn in_data(b: &Base, name: &str) -> Vec<PathBuf> {
    b.data.iter().map(|d| d.join(name)).collect()
}

/// Editors that host VS Code extensions, by their settings folder's name.
const EDITORS: &[&str] = &["Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf"];

fn global_storage(b: &Base, extension: &str) -> Vec<PathBuf> {
    let Some(config) = &b.config else { return Vec::new() };
    EDITORS.iter().map(|e| config.join(e).join("User/globalStorage").join(extension)).collect()
}

fn same(p: &Path) -> PathBuf {
    p.to_path_buf()
}

fn sub_if_dir(p: &Path, sub: &str) -> PathBuf {
    let s = p.join(sub);
    if s.is_dir() {
        s
    } else {
        p.to_path_buf()
    }
}

fn named(name: &'static str) -> &'static dyn Source {
    import::by_name(name).expect("every agent's source is registered")
}

fn ext_is(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e == ext)
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Every file under `dir` (when it is a folder) that `keep` accepts.
fn walk_if(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    if dir.is_dir() {
        import::walk(dir, keep)
    } else {
        Ok(Vec::new())
    }
}

fn push(out: &mut Vec<Found>, files: Vec<PathBuf>, source: &'static str, kind: impl Fn(&Path) -> Kind) {
    let source = named(source);
    out.extend(files.into_iter().map(|path| Found { kind: kind(&path), path, source, project: None }));
}

fn claude_layout(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    let source = named("claude-code");
    for path in walk_if(root, &|p| ext_is(p, "jsonl"))? {
        // projects/<project>/<session>.jsonl: the folder names the project.
        let project = path.strip_prefix(root).ok().and_then(|r| r.components().next()).and_then(|c| {
            let s = c.as_os_str().to_string_lossy();
            (!s.ends_with(".jsonl")).then(|| s.into_owned())
        });
        out.push(Found { path, source, project, kind: Kind::Append });
    }
    Ok(())
}

const CODEX_SUBS: [&str; 2] = ["sessions", "archived_sessions"];

fn codex_layout(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    for sub in CODEX_SUBS {
        push(out, walk_if(&root.join(sub), &|p| ext_is(p, "jsonl"))?, "codex", |_| Kind::Append);
    }
    Ok(())
}

/// `<project>/chats/session-*.json(l)` and a sub-agent's `chats/<parent>/*.jsonl`.
fn gemini_recording(p: &Path) -> bool {
    let parent = p.parent();
    let in_chats = parent.and_then(Path::file_name).is_some_and(|n| n == "chats");
    let in_chats_sub = parent.and_then(Path::parent).and_then(Path::file_name).is_some_and(|n| n == "chats");
    let session = file_name(p).starts_with("session-");
    (ext_is(p, "json") && session && in_chats) || (ext_is(p, "jsonl") && (session && in_chats || in_chats_sub))
}

fn gemini_layout(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    let files = walk_if(root, &gemini_recording)?;
    push(out, files, "gemini-cli", |p| if ext_is(p, "json") { Kind::Whole } else { Kind::Append });
    Ok(())
}

fn copilot_layout(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    let files = walk_if(&root.join("session-state"), &|p| file_name(p) == "events.jsonl")?;
    push(out, files, "copilot-cli", |_| Kind::Append);
    Ok(())
}

fn amp_layout(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    let thread = |p: &Path| ext_is(p, "json") && file_name(p).starts_with("T-");
    push(out, walk_if(&root.join("threads"), &thread)?, "amp", |_| Kind::Whole);
    Ok(())
}

fn qwen_layout(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    let chat = |p: &Path| ext_is(p, "jsonl") && p.parent().and_then(Path::file_name).is_some_and(|n| n == "chats");
    push(out, walk_if(&root.join("projects"), &chat)?, "qwen-code", |_| Kind::Append);
    Ok(())
}

fn tasks(root: &Path, source: &'static str, out: &mut Vec<Found>) -> Result<()> {
    let task = |p: &Path| file_name(p) == "ui_messages.json";
    push(out, walk_if(&root.join("tasks"), &task)?, source, |_| Kind::Whole);
    Ok(())
}

fn db(root: &Path, file: &str, source: &'static str, out: &mut Vec<Found>) {
    let path = root.join(file);
    if path.is_file() {
        push(out, vec![path], source, |_| Kind::Db);
    }
}

fn opencode_layout(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    db(root, "opencode.db", "opencode", out);
    let legacy = |p: &Path| ext_is(p, "json");
    push(out, walk_if(&root.join("storage/message"), &legacy)?, "opencode", |_| Kind::Whole);
    Ok(())
}

fn kilo_layout(root: &Path, out: &mut Vec<Found>) -> Result<()> {
    db(root, "kilo.db", "kilo-cli", out);
    Ok(())
}

fn watch_root(root: &Path) -> Vec<(PathBuf, bool)> {
    vec![(root.to_path_buf(), true)]
}

/// The named sub-folders that exist, recursively; the folder itself (not recursively, to see
/// them appear) when none does.
fn watch_subs(root: &Path, subs: &[&str]) -> Vec<(PathBuf, bool)> {
    let found: Vec<(PathBuf, bool)> =
        subs.iter().map(|s| root.join(s)).filter(|d| d.is_dir()).map(|d| (d, true)).collect();
    if found.is_empty() {
        vec![(root.to_path_buf(), false)]
    } else {
        found
    }
}

/// Every agent, in the order `sources` lists them.
pub static AGENTS: &[Agent] = &[
    Agent {
        name: "claude-code",
        label: "Claude Code",
        env: &["CLAUDE_CONFIG_DIR"],
        defaults: |b| at_home(b, &[".config/claude", ".claude"]),
        normalize: |p| sub_if_dir(p, "projects"),
        layout: claude_layout,
        watch: watch_root,
    },
    Agent {
        name: "codex",
        label: "Codex",
        env: &["CODEX_HOME"],
        defaults: |b| at_home(b, &[".codex"]),
        normalize: same,
        layout: codex_layout,
        watch: |p| watch_subs(p, &CODEX_SUBS),
    },
    Agent {
        name: "gemini-cli",
        label: "Gemini CLI",
        env: &["GEMINI_DATA_DIR"],
        defaults: |b| at_home(b, &[".gemini"]),
        normalize: |p| sub_if_dir(p, "tmp"),
        layout: gemini_layout,
        watch: watch_root,
    },
    Agent {
        name: "copilot-cli",
        label: "GitHub Copilot CLI",
        env: &["COPILOT_HOME"],
        defaults: |b| at_home(b, &[".copilot"]),
        normalize: same,
        layout: copilot_layout,
        watch: |p| watch_subs(p, &["session-state"]),
    },
    Agent {
        name: "amp",
        label: "Amp",
        env: &["AMP_DATA_DIR"],
        defaults: |b| in_data(b, "amp"),
        normalize: same,
        layout: amp_layout,
        watch: |p| watch_subs(p, &["threads"]),
    },
    Agent {
        name: "qwen-code",
        label: "Qwen Code",
        env: &["QWEN_DATA_DIR"],
        defaults: |b| at_home(b, &[".qwen"]),
        normalize: same,
        layout: qwen_layout,
        watch: |p| watch_subs(p, &["projects"]),
    },
    Agent {
        name: "cline",
        label: "Cline",
        env: &[],
        defaults: |b| global_storage(b, "saoudrizwan.claude-dev"),
        normalize: same,
        layout: |r, out| tasks(r, "cline", out),
        watch: |p| watch_subs(p, &["tasks"]),
    },
    Agent {
        name: "roo-code",
        label: "Roo Code",
        env: &[],
        defaults: |b| global_storage(b, "rooveterinaryinc.roo-cline"),
        normalize: same,
        layout: |r, out| tasks(r, "roo-code", out),
        watch: |p| watch_subs(p, &["tasks"]),
    },
    Agent {
        name: "kilo-code",
        label: "Kilo Code",
        env: &[],
        defaults: |b| global_storage(b, "kilocode.kilo-code"),
        normalize: same,
        layout: |r, out| tasks(r, "kilo-code", out),
        watch: |p| watch_subs(p, &["tasks"]),
    },
    Agent {
        name: "opencode",
        label: "opencode",
        env: &["OPENCODE_DATA_DIR"],
        defaults: |b| in_data(b, "opencode"),
        normalize: same,
        layout: opencode_layout,
        // The database and its -wal sit in the folder itself (not recursively: its
        // `snapshot/` holds git repositories that change all the time); legacy messages in
        // `storage/message/`.
        watch: |p| {
            let mut v = vec![(p.to_path_buf(), false)];
            let legacy = p.join("storage/message");
            if legacy.is_dir() {
                v.push((legacy, true));
            }
            v
        },
    },
    Agent {
        name: "kilo-cli",
        label: "Kilo CLI",
        env: &["KILO_DATA_DIR"],
        defaults: |b| in_data(b, "kilo"),
        normalize: same,
        layout: kilo_layout,
        watch: |p| vec![(p.to_path_buf(), false)],
    },
];

/// Looks an agent up by its name, or says which names there are.
pub fn by_name(name: &str) -> Result<&'static Agent> {
    AGENTS
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| crate::error::Error::invalid("agent", name, format!("one of {}", names().join(", "))))
}

/// Every agent's name.
pub fn names() -> Vec<&'static str> {
    AGENTS.iter().map(|a| a.name).collect()
}

fn comma_list(var: &str) -> Option<Vec<PathBuf>> {
    let v = std::env::var(var).ok()?;
    let list: Vec<PathBuf> = v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(PathBuf::from).collect();
    (!list.is_empty()).then_some(list)
}

impl Agent {
    /// Where it looks on this machine: the first of its variables that is set, else its
    /// standard places; each as the folder it stands for. Whether they exist is not checked.
    pub fn places(&self, base: &Base) -> Vec<PathBuf> {
        let given = self.env.iter().find_map(|v| comma_list(v)).unwrap_or_else(|| (self.defaults)(base));
        let mut out: Vec<PathBuf> = Vec::new();
        for p in given {
            let p = self.folder(&p);
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The variable that decided its places, when one is set.
    pub fn env_in_use(&self) -> Option<&'static str> {
        self.env.iter().copied().find(|v| comma_list(v).is_some())
    }

    /// The folder a given place stands for (`~/.claude` -> `~/.claude/projects`).
    pub fn folder(&self, place: &Path) -> PathBuf {
        (self.normalize)(place)
    }

    /// Its usage files under `folder`, sorted by path within each kind of file.
    pub fn files(&self, folder: &Path) -> Result<Vec<Found>> {
        let mut out = Vec::new();
        (self.layout)(folder, &mut out)?;
        Ok(out)
    }

    /// What to watch under `folder` for new usage, and whether recursively.
    pub fn watch(&self, folder: &Path) -> Vec<(PathBuf, bool)> {
        (self.watch)(folder)
    }
}

/// Whether a file is a SQLite database's side file (`-wal`, `-shm`, `-journal`) beside its
/// database: never usage by itself.
pub fn is_db_side_file(path: &Path) -> bool {
    let name = file_name(path);
    ["-wal", "-shm", "-journal"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .is_some_and(|db| !db.is_empty() && path.with_file_name(db).is_file())
}

/// What `tokenburn import` reads of the paths it is given, and what it leaves.
#[derive(Debug, Default)]
pub struct ImportPlan {
    /// Files to import, in order.
    pub files: Vec<PathBuf>,
    /// Files under a given folder that are not usage (database side files; in an agent's
    /// data folder, whatever no importer knows).
    pub skipped: Vec<PathBuf>,
}

/// Expands `import`'s paths. A named file is always imported (one no importer knows stays an
/// error). In a folder, a database's `-wal`/`-shm`/`-journal` is skipped; a folder that is an
/// agent's data folder (its layout finds usage files in it: `~/.gemini`, `~/.copilot`, a Kilo
/// data folder, a Cline globalStorage folder) imports those files and also skips every other
/// file no importer claims (settings, `workspace.yaml`, `session-store.db`, READMEs). Any
/// other folder reports the files no importer knows, as always.
pub fn import_plan(paths: &[PathBuf]) -> Result<ImportPlan> {
    let mut plan = ImportPlan::default();
    for root in paths {
        if !root.is_dir() {
            plan.files.push(root.clone());
            continue;
        }
        let mut usage = std::collections::HashSet::new();
        for agent in AGENTS {
            for f in agent.files(&agent.folder(root))? {
                usage.insert(f.path);
            }
        }
        for path in import::walk(root, &|_| true)? {
            let skip = if usage.contains(&path) {
                false
            } else {
                is_db_side_file(&path)
                    || !usage.is_empty()
                        && matches!(import::detect(&path), Err(crate::error::Error::Unrecognised { .. }))
            };
            if skip {
                plan.skipped.push(path);
            } else {
                plan.files.push(path);
            }
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agent_reads_through_a_registered_source_of_its_name() {
        for a in AGENTS {
            assert_eq!(named(a.name).name(), a.name);
        }
        assert!(by_name("nope").err().expect("unknown").to_string().contains("gemini-cli"));
    }

    #[test]
    fn gemini_recordings_are_sessions_in_chats_and_sub_agent_logs() {
        assert!(gemini_recording(Path::new("/t/ab/chats/session-1.json")));
        assert!(gemini_recording(Path::new("/t/ab/chats/session-1.jsonl")));
        assert!(gemini_recording(Path::new("/t/ab/chats/s1/agent-1.jsonl")));
        assert!(!gemini_recording(Path::new("/t/ab/logs.json")));
        assert!(!gemini_recording(Path::new("/t/ab/chats/other.json")));
        assert!(!gemini_recording(Path::new("/t/ab/checkpoint-session-1.json")));
    }

    #[test]
    fn side_files_need_their_database_beside_them() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("kilo.db-wal"), b"x").unwrap();
        assert!(!is_db_side_file(&d.path().join("kilo.db-wal")));
        std::fs::write(d.path().join("kilo.db"), b"x").unwrap();
        assert!(is_db_side_file(&d.path().join("kilo.db-wal")));
        assert!(!is_db_side_file(&d.path().join("kilo.db")));
    }
}
