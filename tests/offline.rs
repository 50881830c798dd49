//! Privacy: the ledger is the user's spending, so a new ledger file (and SQLite's `-wal` and
//! `-shm` beside it) is readable by its owner only, and every CLI feature works with no
//! network at all (run inside `unshare -n`, a network namespace with nothing in it; skipped
//! with a message where unshare is unavailable). Where strace is installed, the same runs
//! are traced too: not one internet socket is opened.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::*;
use tokenburn::ledger::Ledger;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

#[test]
fn a_new_ledger_and_its_wal_and_shm_are_private() {
    let env = Env::new();
    let db = env.dir.path().join("new/folder/ledger.db");
    let mut l = Ledger::open(&db).unwrap();
    l.set_setting("probe", "1").unwrap();
    // While the ledger is open in WAL mode its -wal and -shm files exist.
    for p in [db.clone(), db.with_extension("db-wal"), db.with_extension("db-shm")] {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    assert_eq!(mode(db.parent().unwrap()), 0o700, "a folder the ledger created");
    drop(l);

    // Through the CLI, as users create it.
    let out = env.run(&["import", &fixture("claude-code")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mode(&env.db), 0o600);
}

#[test]
fn an_existing_ledger_keeps_the_mode_its_owner_chose() {
    let env = Env::new();
    env.ok(&["import", &fixture("claude-code")]);
    std::fs::set_permissions(&env.db, std::fs::Permissions::from_mode(0o640)).unwrap();
    env.ok(&["import", &fixture("codex")]);
    assert_eq!(mode(&env.db), 0o640);
}

/// Whether `unshare -n` can make a network namespace here.
fn unshare_works() -> bool {
    match Command::new("unshare").args(["-n", "true"]).status() {
        Ok(s) if s.success() => true,
        _ => {
            eprintln!(
                "SKIP: `unshare -n` is unavailable (needs root or user namespaces); the offline run is not tested"
            );
            false
        }
    }
}

fn strace_works() -> bool {
    Command::new("strace").args(["-o", "/dev/null", "true"]).status().is_ok_and(|s| s.success())
}

#[test]
fn every_cli_feature_works_without_a_network() {
    if !unshare_works() {
        return;
    }
    let strace = strace_works();
    if !strace {
        eprintln!("strace is not installed: checking that the commands work offline, not their sockets");
    }
    let env = Env::new();
    let dir = env.dir.path();
    let text = dir.join("prompt.txt");
    std::fs::write(&text, "How many tokens is this sentence, in o200k_base and cl100k_base?\n").unwrap();
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let db = env.db.to_string_lossy().into_owned();
    let runs: Vec<Vec<String>> = [
        vec!["import", &fixture("claude-code"), &fixture("codex"), &fixture("anthropic-usage-csv")],
        vec!["import", &fixture("openai-costs-csv/costs_2025-10-01_2025-10-15.csv")],
        vec!["scan", "--claude-dir", &fixture("claude-code"), "--codex-dir", &fixture("codex")],
        vec!["budget", "add", "monthly", "--amount", "50", "--period", "month"],
        vec!["report", "--by", "model"],
        vec!["status", "--at", "2025-10-15"],
        vec!["check", "--at", "2025-10-15"],
        vec![
            "forecast",
            "--series",
            &fixture("series/weekday-growth.csv"),
            "--column",
            "cost_usd",
            "--budget",
            "50",
            "--start",
            "2026-02-01",
            "--period",
            "month",
            "--as-of",
            "2026-02-14",
        ],
        vec!["chart", "daily", "--until", "2025-10-31", "--out", &out("daily.svg")],
        vec!["chart", "burn", "--until", "2025-10-15", "--out", &out("burn.png")],
        vec!["chart", "tokens", "--out", &out("tokens.svg")],
        vec!["tokens", &text.to_string_lossy(), "--model", "gpt-4o"],
        vec!["export", "--out", &out("export.json")],
        vec!["export", "--format", "csv", "--out", &out("export-csv")],
        vec!["prices"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect();

    for args in &runs {
        let trace = dir.join("trace");
        let mut cmd = Command::new("unshare");
        cmd.arg("-n");
        if strace {
            cmd.args(["strace", "-f", "-qq", "-e", "trace=socket,connect", "-o"]).arg(&trace);
        }
        let o = cmd
            .arg(env!("CARGO_BIN_EXE_tokenburn"))
            .args(["--db", &db])
            .args(args)
            .env("HOME", dir)
            .env("TZ", "UTC")
            .env_remove("TOKENBURN_DB")
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CODEX_HOME")
            .output()
            .unwrap();
        // `check` exits 3 when a budget is over: that is its answer, not a failure.
        let ok = o.status.success() || (args[0] == "check" && o.status.code() == Some(3));
        assert!(
            ok,
            "offline: tokenburn {args:?} failed ({:?}):\n{}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        if strace {
            let t = std::fs::read_to_string(&trace).unwrap();
            let inet: Vec<&str> = t.lines().filter(|l| l.contains("AF_INET")).collect();
            assert!(inet.is_empty(), "tokenburn {args:?} opened internet sockets:\n{}", inet.join("\n"));
        }
    }
    for f in ["daily.svg", "burn.png", "tokens.svg", "export.json"] {
        assert!(std::fs::metadata(dir.join(f)).unwrap().len() > 100, "{f} was not written");
    }
    let report = env.json(&["report"]);
    assert!(report["rows"].as_array().is_some_and(|r| !r.is_empty()), "{report}");
}
