//! `scan`, `import` of whole agent folders and `sources` for every agent: real temp folders
//! laid out as each agent leaves them (the project's fixtures copied in), the real CLI
//! binary, HOME and the agents' own variables pointed at temp dirs.

mod common;
#[path = "common/live_db.rs"]
mod live_db;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn fx(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

fn sql(name: &str) -> String {
    std::fs::read_to_string(fixtures().join("sql").join(name)).unwrap()
}

/// Where VS Code-family editors keep settings, under a HOME, on this OS.
fn editors(home: &Path) -> PathBuf {
    if cfg!(target_os = "macos") {
        home.join("Library/Application Support")
    } else {
        home.join(".config")
    }
}

/// (agent, its folder's fixture, where it goes under HOME).
fn layout(home: &Path) -> Vec<(&'static str, PathBuf, PathBuf)> {
    let ed = editors(home);
    vec![
        ("claude-code", fx("claude-code/projects"), home.join(".claude/projects")),
        ("codex", fx("codex/sessions"), home.join(".codex/sessions")),
        ("gemini-cli", fx("gemini-cli/tmp"), home.join(".gemini/tmp")),
        ("copilot-cli", fx("copilot-cli/token-details/session-state"), home.join(".copilot/session-state")),
        ("amp", fx("amp/threads"), home.join(".local/share/amp/threads")),
        ("qwen-code", fx("qwen-code/projects"), home.join(".qwen/projects")),
        (
            "cline",
            fx("cline/globalStorage/saoudrizwan.claude-dev"),
            ed.join("Code/User/globalStorage/saoudrizwan.claude-dev"),
        ),
        (
            "roo-code",
            fx("roo-code/globalStorage/rooveterinaryinc.roo-cline"),
            ed.join("Cursor/User/globalStorage/rooveterinaryinc.roo-cline"),
        ),
        (
            "kilo-code",
            fx("kilo-code/globalStorage/kilocode.kilo-code"),
            ed.join("VSCodium/User/globalStorage/kilocode.kilo-code"),
        ),
        ("opencode", fx("opencode/storage"), home.join(".local/share/opencode/storage")),
    ]
}

/// Lays every agent out under `home`, as each leaves its files, with the side files agents
/// keep beside them. Returns the databases' folders (opencode, Kilo CLI).
fn lay_out(home: &Path) -> (PathBuf, PathBuf) {
    for (_, from, to) in layout(home) {
        copy_dir(&from, &to);
    }
    let copilot = home.join(".copilot");
    for d in std::fs::read_dir(copilot.join("session-state")).unwrap() {
        std::fs::write(d.unwrap().path().join("workspace.yaml"), "id: x\n").unwrap();
    }
    std::fs::write(copilot.join("config.json"), "{}").unwrap();
    std::fs::write(home.join(".gemini/settings.json"), "{}").unwrap();
    let opencode = home.join(".local/share/opencode");
    live_db::build(&sql("opencode.sql"), &opencode, "opencode.db");
    let kilo = home.join(".local/share/kilo");
    live_db::build(&sql("kilo-cli.sql"), &kilo, "kilo.db");
    std::fs::create_dir_all(kilo.join("storage/session_diff")).unwrap();
    std::fs::write(kilo.join("storage/session_diff/ses_k1.json"), "[]").unwrap();
    (opencode, kilo)
}

/// What importing each agent's files directly adds, per agent (all of one agent's files
/// into one ledger, as a message both opencode layouts hold counts once): the scan must
/// find the same.
fn imported_directly(home: &Path) -> Vec<(&'static str, u64)> {
    let mut paths: Vec<(&'static str, Vec<PathBuf>)> =
        layout(home).into_iter().map(|(agent, fixture, _)| (agent, vec![fixture])).collect();
    paths.iter_mut().find(|(a, _)| *a == "opencode").unwrap().1.push(home.join(".local/share/opencode/opencode.db"));
    paths.push(("kilo-cli", vec![home.join(".local/share/kilo/kilo.db")]));
    paths
        .into_iter()
        .map(|(agent, files)| {
            let env = Env::new();
            let added = files
                .iter()
                .map(|f| env.json(&["import", f.to_str().unwrap()])["added"].as_u64().unwrap())
                .sum::<u64>();
            (agent, added)
        })
        .collect()
}

fn sources(env: &Env) -> Value {
    env.json(&["sources"])
}

fn agent<'a>(sources: &'a Value, name: &str) -> &'a Value {
    sources["agents"].as_array().unwrap().iter().find(|a| a["name"] == name).unwrap_or_else(|| panic!("{name}"))
}

fn files_of(scan: &Value) -> Vec<String> {
    scan["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect()
}

fn assert_no_errors(scan: &Value) {
    for f in scan["files"].as_array().unwrap() {
        assert!(f.get("error").is_none(), "{f}");
    }
}

#[test]
fn scan_finds_every_agent_in_its_standard_places_and_a_rescan_adds_nothing() {
    let env = Env::new();
    let home = env.dir.path().to_path_buf();
    lay_out(&home);
    let want = imported_directly(&home);
    let first = env.json(&["scan"]);
    assert_no_errors(&first);
    let read = files_of(&first);
    // Side files and settings beside the logs are never read.
    for f in &read {
        assert!(!f.ends_with("workspace.yaml") && !f.ends_with("settings.json") && !f.ends_with("-wal"), "{f}");
        assert!(!f.contains("session_diff") && !f.ends_with("config.json"), "{f}");
    }
    let s = sources(&env);
    for (name, added) in &want {
        assert!(*added > 0, "{name}: the fixture adds events");
        let a = agent(&s, name);
        assert_eq!(a["events"].as_u64(), Some(*added), "{name}: {a}");
        assert_eq!(a["found"], true, "{a}");
        assert!(a["last_activity"].is_string(), "{a}");
    }
    let total: u64 = want.iter().map(|(_, n)| n).sum();
    assert_eq!(first["added"].as_u64(), Some(total), "{first}");

    // Nothing new: no file is read again, every one is unchanged.
    let again = env.json(&["scan"]);
    assert_eq!(again["added"], 0, "{again}");
    assert!(again["files"].as_array().unwrap().is_empty(), "{again}");
    assert_eq!(again["unchanged"].as_u64(), Some(read.len() as u64), "{again}");
}

#[test]
fn an_agents_variable_replaces_its_standard_places() {
    let env = Env::new();
    let home = env.dir.path();
    // The standard place holds files that fail; the variable's folders hold good ones.
    copy_dir(&fx("gemini-cli/bad/tmp"), &home.join(".gemini/tmp"));
    copy_dir(&fx("qwen-code/bad-records"), &home.join(".qwen/projects/bad"));
    let other = home.join("elsewhere");
    copy_dir(&fx("gemini-cli/tmp"), &other.join("gemini/tmp"));
    copy_dir(&fx("qwen-code/projects"), &other.join("qwen/projects"));
    live_db::build(&sql("kilo-cli.sql"), &other.join("kilo-a"), "kilo.db");
    live_db::build(&sql("kilo-cli.sql"), &other.join("kilo-b"), "kilo.db");
    let kilo = format!("{},{}", other.join("kilo-a").display(), other.join("kilo-b").display());
    let out = env
        .command(&["scan", "--json"])
        // Gemini's variable names its tmp/ folder (as ccusage reads it).
        .env("GEMINI_DATA_DIR", other.join("gemini/tmp"))
        .env("QWEN_DATA_DIR", other.join("qwen"))
        .env("KILO_DATA_DIR", &kilo)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_no_errors(&v);
    let read = files_of(&v);
    assert!(read.iter().all(|f| f.starts_with(other.to_str().unwrap())), "{read:?}");
    assert!(read.iter().any(|f| f.contains("/gemini/tmp/")), "{read:?}");
    assert!(read.iter().any(|f| f.contains("/qwen/projects/")), "{read:?}");
    // Both folders of the comma list are read; the second adds nothing new.
    assert!(read.iter().any(|f| f.ends_with("kilo-a/kilo.db")) && read.iter().any(|f| f.ends_with("kilo-b/kilo.db")));

    // `sources` says where it looks and why.
    let out = env.command(&["sources", "--json"]).env("KILO_DATA_DIR", &kilo).output().unwrap();
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k = agent(&s, "kilo-cli");
    assert_eq!(k["env_in_use"], "KILO_DATA_DIR", "{k}");
    assert_eq!(k["places"].as_array().unwrap().len(), 2, "{k}");
    assert_eq!(k["files"], 2, "{k}");
}

#[test]
fn dir_scans_only_what_is_named_and_an_unknown_agent_lists_the_names() {
    let env = Env::new();
    let home = env.dir.path().to_path_buf();
    lay_out(&home);
    let qwen = home.join(".qwen");
    let kilo = home.join(".local/share/kilo");
    let out = env.json(&[
        "scan",
        "--dir",
        &format!("qwen-code={}", qwen.display()),
        "--dir",
        &format!("kilo-cli={}", kilo.display()),
    ]);
    assert_no_errors(&out);
    let read = files_of(&out);
    assert!(!read.is_empty());
    assert!(read.iter().all(|f| f.starts_with(qwen.to_str().unwrap()) || f.ends_with("kilo/kilo.db")), "{read:?}");
    assert!(read.iter().any(|f| f.ends_with("kilo/kilo.db")), "{read:?}");
    let s = sources(&env);
    assert_eq!(agent(&s, "gemini-cli")["events"], 0);
    assert!(agent(&s, "qwen-code")["events"].as_u64().unwrap() > 0);

    // --claude-dir keeps working beside --dir, and is the same as --dir claude-code=.
    let claude = home.join(".claude");
    let both = env.json(&[
        "scan",
        "--claude-dir",
        claude.to_str().unwrap(),
        "--dir",
        &format!("qwen-code={}", qwen.display()),
    ]);
    let read = files_of(&both);
    assert!(!read.is_empty() && read.iter().all(|f| f.starts_with(claude.to_str().unwrap())), "{read:?}");
    assert_eq!(both["unchanged"].as_u64(), Some(files_of(&out).len() as u64 - 1), "qwen's files are unchanged");

    let bad = env.run(&["scan", "--dir", "nope=/tmp"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("unknown agent `nope`") && err.contains("gemini-cli") && err.contains("kilo-cli"), "{err}");
    let bad = env.run(&["scan", "--dir", "/tmp"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("AGENT=PATH"));
}

#[test]
fn a_database_is_read_again_when_only_its_wal_grew() {
    let env = Env::new();
    let kilo = env.dir.path().join("kilo");
    let db = live_db::build(&sql("kilo-cli.sql"), &kilo, "kilo.db");
    let dir = format!("kilo-cli={}", kilo.display());
    let first = env.json(&["scan", "--dir", &dir]);
    assert_eq!(first["added"], 4, "{first}");
    assert_eq!(env.json(&["scan", "--dir", &dir])["unchanged"], 1);

    // The agent writes one more message; it reaches only the -wal.
    let db_before = std::fs::metadata(&db).unwrap();
    let wal_before = std::fs::metadata(kilo.join("kilo.db-wal")).unwrap().len();
    let agent = rusqlite::Connection::open(&db).unwrap();
    agent.execute_batch("PRAGMA wal_autocheckpoint=0;").unwrap();
    agent
        .execute_batch(
            r#"INSERT INTO message VALUES ('msg_k9', 'ses_k1', 1773400000000, 1773400001000,
            '{"role":"assistant","time":{"created":1773400000000,"completed":1773400001000},"modelID":"fixture-model/free","providerID":"kilo","cost":0,"tokens":{"total":70,"input":40,"output":30,"reasoning":0,"cache":{"read":0,"write":0}}}');"#,
        )
        .unwrap();
    let db_after = std::fs::metadata(&db).unwrap();
    assert_eq!(db_after.len(), db_before.len());
    assert_eq!(db_after.modified().unwrap(), db_before.modified().unwrap(), "the database file itself is unchanged");
    assert!(std::fs::metadata(kilo.join("kilo.db-wal")).unwrap().len() > wal_before, "the -wal grew");

    let grown = env.json(&["scan", "--dir", &dir]);
    assert_eq!(grown["added"], 1, "{grown}");
    assert_eq!(grown["files"].as_array().unwrap().len(), 1, "{grown}");
    let again = env.json(&["scan", "--dir", &dir]);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["unchanged"], 1, "{again}");
    drop(agent);
}

#[test]
fn a_rewritten_document_is_read_again_whole() {
    let env = Env::new();
    let amp = env.dir.path().join("amp");
    let thread = "threads/T-0a000000-0000-4000-8000-000000000001.json";
    std::fs::create_dir_all(amp.join("threads")).unwrap();
    // An early revision of the thread, then the thread as it grew (rewritten whole).
    std::fs::copy(fx("amp/revisions").join(thread), amp.join(thread)).unwrap();
    let dir = format!("amp={}", amp.display());
    let first = env.json(&["scan", "--dir", &dir]);
    assert_no_errors(&first);
    std::fs::copy(fx("amp").join(thread), amp.join(thread)).unwrap();
    let second = env.json(&["scan", "--dir", &dir]);
    assert_no_errors(&second);
    assert_eq!(second["files"].as_array().unwrap().len(), 1, "{second}");
    // The same as importing both revisions.
    let direct = Env::new();
    direct.json(&["import", fx("amp/revisions").join(thread).to_str().unwrap()]);
    direct.json(&["import", fx("amp").join(thread).to_str().unwrap()]);
    let total = |e: &Env| int(&e.json(&["report"])["totals"], "total_tokens");
    assert_eq!(total(&env), total(&direct));
}

#[test]
fn importing_a_whole_agent_folder_skips_what_is_not_usage() {
    let env = Env::new();
    let home = env.dir.path().to_path_buf();
    let (_, kilo) = lay_out(&home);
    let copilot = home.join(".copilot");
    // A real SQLite file that holds no tokens, and a README.
    let store = rusqlite::Connection::open(copilot.join("session-store.db")).unwrap();
    store.execute_batch("CREATE TABLE sessions(id TEXT); INSERT INTO sessions VALUES ('x');").unwrap();
    drop(store);
    std::fs::write(copilot.join("README.md"), "my copilot folder\n").unwrap();

    for (folder, format) in
        [(copilot.clone(), "copilot-cli"), (home.join(".gemini"), "gemini-cli"), (kilo.clone(), "kilo-cli")]
    {
        let out = env.run(&["import", folder.to_str().unwrap(), "--json"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}: {text}\n{}", folder.display(), String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_str(&text).unwrap();
        let files = v["files"].as_array().unwrap();
        assert!(!files.is_empty(), "{v}");
        assert!(files.iter().all(|f| f["format"] == format), "{v}");
        assert!(!v["skipped"].as_array().unwrap().is_empty(), "{v}");
    }
    let skipped = |folder: &Path| {
        let v = env.json(&["import", folder.to_str().unwrap()]);
        v["skipped"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let c = skipped(&copilot);
    for name in ["session-store.db", "README.md", "config.json", "workspace.yaml"] {
        assert!(c.iter().any(|p| p.ends_with(name)), "{name} in {c:?}");
    }
    let k = skipped(&kilo);
    for name in ["kilo.db-wal", "kilo.db-shm", "ses_k1.json"] {
        assert!(k.iter().any(|p| p.ends_with(name)), "{name} in {k:?}");
    }
    // Nothing was added twice by the second round.
    assert_eq!(env.json(&["import", copilot.to_str().unwrap()])["added"], 0);

    // A folder no agent owns still reports the files no importer knows, and a single named
    // file no importer knows is still an error.
    let plain = home.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("notes.txt"), "hello\n").unwrap();
    assert!(!env.run(&["import", plain.to_str().unwrap()]).status.success());
    assert!(!env.run(&["import", copilot.join("README.md").to_str().unwrap()]).status.success());
}

#[test]
fn sources_lists_every_agent_found_or_not_with_its_counts() {
    let env = Env::new();
    let home = env.dir.path();
    copy_dir(&fx("qwen-code/projects"), &home.join(".qwen/projects"));
    env.json(&["scan"]);
    let s = sources(&env);
    let names: Vec<&str> = s["agents"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    for n in [
        "claude-code",
        "codex",
        "gemini-cli",
        "copilot-cli",
        "amp",
        "qwen-code",
        "cline",
        "roo-code",
        "kilo-code",
        "opencode",
        "kilo-cli",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let q = agent(&s, "qwen-code");
    assert_eq!(q["found"], true);
    assert_eq!(q["files"], 5, "{q}");
    assert!(q["events"].as_u64().unwrap() > 0);
    assert!(q["places"][0]["path"].as_str().unwrap().ends_with(".qwen"), "{q}");
    let g = agent(&s, "gemini-cli");
    assert_eq!(g["found"], false);
    assert_eq!(g["events"], 0);
    assert!(g["last_activity"].is_null());
    assert!(g["places"][0]["path"].as_str().unwrap().ends_with(".gemini"), "{g}");
    let c = agent(&s, "cline");
    assert_eq!(c["places"].as_array().unwrap().len(), 5, "one per editor: {c}");
    // The vendor formats are still listed.
    assert!(s["formats"].as_array().unwrap().iter().any(|f| f["name"] == "openai-usage-csv"));

    let text = env.ok(&["sources"]);
    assert!(text.contains("qwen-code") && text.contains("found, 5 files"), "{text}");
    assert!(text.contains("not found"), "{text}");
    assert!(text.contains("openai-usage-csv"), "{text}");
}
