//! `export` and `restore` round-trip the whole ledger exactly, as JSON and as CSV.

mod common;

use common::*;

fn rich() -> Env {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "Europe/Berlin"]);
    env.json(&["import", &fixture("claude-code")]);
    env.json(&["import", &fixture("codex")]);
    env.json(&["import", &fixture("bad/unexpected-shape.jsonl")]);
    env.ok(&["prices", "set", "claude-imaginary-9", "--input", "1", "--output", "2"]);
    env.ok(&["account", "link", "claude-code", "--billed-by", "anthropic"]);
    env.ok(&[
        "subscription",
        "add",
        "Max",
        "--usd",
        "100",
        "--every",
        "month",
        "--from",
        "2025-03-01",
        "--covers",
        "codex",
    ]);
    env.ok(&[
        "add",
        "--usd",
        "3.5",
        "--date",
        "2025-03-02",
        "--provider",
        "openai",
        "--note",
        "a \"quoted\", note\nwith a newline \\N",
    ]);
    env.ok(&["budget", "add", "M", "--amount", "0.001", "--period", "month", "--model", "gpt-*"]);
    env.ok(&["comp", "set", "--annual", "120000", "--target-ratio", "0.25", "--from", "2025-01-01"]);
    let _ = env.run(&["check", "--at", "2025-10-02"]);
    env
}

fn export(env: &Env) -> serde_json::Value {
    serde_json::from_str(&env.ok(&["export"])).unwrap()
}

#[test]
fn json_and_csv_exports_restore_exactly() {
    let env = rich();
    let doc = export(&env);
    assert!(!doc["tables"]["alerts"]["rows"].as_array().unwrap().is_empty(), "{}", doc["tables"]["alerts"]);
    let file = env.dir.path().join("export.json");
    env.ok(&["export", "--out", file.to_str().unwrap()]);

    let other = Env::new();
    other.ok(&["restore", file.to_str().unwrap()]);
    assert_eq!(export(&other), doc);
    assert_eq!(other.json(&["report", "--by", "model"]), env.json(&["report", "--by", "model"]));
    assert_eq!(other.json(&["status", "--at", "2025-10-02"]), env.json(&["status", "--at", "2025-10-02"]));

    let dir = env.dir.path().join("csv-export");
    env.ok(&["export", "--format", "csv", "--out", dir.to_str().unwrap()]);
    assert!(dir.join("event_rows.csv").is_file());
    let third = Env::new();
    third.ok(&["restore", dir.to_str().unwrap()]);
    assert_eq!(export(&third), doc);
}

#[test]
fn restore_refuses_a_ledger_that_holds_data_and_changes_nothing() {
    let env = rich();
    let file = env.dir.path().join("export.json");
    env.ok(&["export", "--out", file.to_str().unwrap()]);
    let target = Env::new();
    target.json(&["import", &fixture("codex")]);
    let before = export(&target);
    let out = target.run(&["restore", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    assert_eq!(export(&target), before);
    // A broken export fails as a whole, naming the file.
    let broken = env.dir.path().join("broken.json");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&broken, &text[..text.len() / 2]).unwrap();
    let out = target.run(&["restore", "--replace", broken.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.json"));
    assert_eq!(export(&target), before);
    // --replace swaps the contents.
    target.ok(&["restore", "--replace", file.to_str().unwrap()]);
    assert_eq!(export(&target), export(&env));
}

#[cfg(unix)]
#[test]
fn exports_are_readable_by_their_owner_only_and_an_existing_file_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let env = rich();
    let file = env.dir.path().join("export.json");
    env.ok(&["export", "--out", file.to_str().unwrap()]);
    assert_eq!(mode(&file), 0o600);
    let dir = env.dir.path().join("csv");
    env.ok(&["export", "--format", "csv", "--out", dir.to_str().unwrap()]);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    // A file the user made shareable stays so, and is overwritten whole.
    std::fs::write(&file, "x".repeat(10_000_000)).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.ok(&["export", "--out", file.to_str().unwrap()]);
    assert_eq!(mode(&file), 0o644);
    assert!(serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&file).unwrap()).is_ok());
}

#[cfg(unix)]
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let env = rich();
    // The reader goes away at once (`tokenburn imports | head -c0`): no panic message.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokenburn"))
        .args(["--db", env.db.to_str().unwrap(), "imports"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
}
