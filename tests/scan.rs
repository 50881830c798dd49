//! `scan`: standard places, incremental reads, and files that grow, shrink or are replaced.

mod common;

use std::fs;
use std::io::Write;

use common::*;

fn append(path: &std::path::Path, text: &str) {
    fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

const CODEX_PARENT: &str =
    "codex/sessions/2025/10/01/rollout-2025-10-01T10-00-00-0199aaaa-0000-7000-8000-000000000001.jsonl";

#[test]
fn rescans_read_only_new_lines_and_resume_codex_totals() {
    let env = Env::new();
    let home = env.dir.path().join("codex-home");
    let file = home.join("sessions/2025/10/01/rollout-a.jsonl");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    let text = fs::read_to_string(fixture(CODEX_PARENT)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // First scan sees the file up to the second cumulative event (1500 input).
    fs::write(&file, lines[..7].join("\n") + "\n").unwrap();
    let h = home.to_str().unwrap();
    let first = env.json(&["scan", "--codex-dir", h]);
    assert_eq!(first["files"][0]["rows"], 7);
    assert_eq!(int(&env.json(&["report"])["totals"], "total_tokens"), 1650);

    // Nothing new: the file is not read.
    let same = env.json(&["scan", "--codex-dir", h]);
    assert_eq!(same["files"].as_array().unwrap().len(), 0);
    assert_eq!(same["unchanged"], 1);

    // Appended lines only: the running totals resume, so the restart is recognised.
    append(&file, &(lines[7..].join("\n") + "\n"));
    let grown = env.json(&["scan", "--codex-dir", h]);
    assert_eq!(grown["files"][0]["rows"], 2);
    assert_eq!(grown["files"][0]["added"], 1);
    assert_eq!(int(&env.json(&["report"])["totals"], "total_tokens"), 1760);

    // A line being written (no newline yet) waits for the next scan.
    let more = r#"{"timestamp":"2025-10-01T10:09:00.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":300,"cached_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":0,"total_tokens":320}}}}"#;
    append(&file, &more[..60]);
    let partial = env.json(&["scan", "--codex-dir", h]);
    assert_eq!(partial["added"], 0);
    assert_eq!(partial["files"][0]["rejected"].as_array().unwrap().len(), 0);
    append(&file, &(more[60..].to_string() + "\n"));
    let done = env.json(&["scan", "--codex-dir", h]);
    assert_eq!(done["added"], 1);
    // 110 -> 320 cumulative since the restart: +200 input, +10 output.
    assert_eq!(int(&env.json(&["report"])["totals"], "total_tokens"), 1970);

    // A file that shrank (rewritten) is read again from the start; nothing doubles.
    fs::write(&file, lines[..7].join("\n") + "\n").unwrap();
    let shrunk = env.json(&["scan", "--codex-dir", h]);
    assert_eq!(shrunk["files"][0]["rows"], 7);
    assert_eq!(shrunk["added"], 0);
    assert_eq!(int(&env.json(&["report"])["totals"], "total_tokens"), 1970);

    // A replaced file (new inode, same size) is read again too.
    let tmp = home.join("tmp.jsonl.part");
    fs::write(&tmp, lines[..7].join("\n") + "\n").unwrap();
    fs::rename(&tmp, &file).unwrap();
    let replaced = env.json(&["scan", "--codex-dir", h]);
    assert_eq!(replaced["files"].as_array().unwrap().len(), 1);
    assert_eq!(replaced["added"], 0);
}

#[test]
fn a_streamed_response_seen_early_ends_exact() {
    let env = Env::new();
    let dir = env.dir.path().join("claude/projects/-home-dev-x");
    fs::create_dir_all(&dir).unwrap();
    let text = fs::read_to_string(fixture("claude-code/projects/-home-dev-demo/session-a.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let file = dir.join("s.jsonl");
    // Only the first streamed line of msg_A (output 1) so far.
    fs::write(&file, lines[..3].join("\n") + "\n").unwrap();
    let cfg = env.dir.path().join("claude");
    let c = cfg.to_str().unwrap();
    env.json(&["scan", "--claude-dir", c]);
    let early = env.json(&["report", "--by", "day"]);
    assert_eq!(int(&early["totals"], "output_tokens"), 1);
    append(&file, &(lines[3..].join("\n") + "\n"));
    let next = env.json(&["scan", "--claude-dir", c]);
    // msg_A's final line replaces its early one; msg_C's second line replaces its first.
    assert_eq!(next["files"][0]["updated"], 2);
    assert_eq!(int(&env.json(&["report", "--model", "claude-sonnet-4-20250514"])["totals"], "output_tokens"), 110);
    // Undoing the second scan gives msg_A back the early version the first scan delivered.
    let undo = env.json(&["imports", "rm", &next["files"][0]["import_id"].to_string()]);
    assert_eq!(undo["kept_events"], 1, "{undo}");
    assert_eq!(env.json(&["report", "--by", "day"]), early);
}

#[test]
fn standard_places_come_from_the_environment() {
    let env = Env::new();
    let cfg = env.dir.path().join("cfg-a");
    common::copy_tree(&fixtures().join("claude-code"), &cfg);
    let codex = env.dir.path().join("codex-a");
    common::copy_tree(&fixtures().join("codex"), &codex);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokenburn"))
        .args(["--db", env.db.to_str().unwrap(), "scan", "--json"])
        .env("HOME", env.dir.path())
        .env("CLAUDE_CONFIG_DIR", format!("{},{}", cfg.display(), env.dir.path().join("missing").display()))
        .env("CODEX_HOME", &codex)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"].as_array().unwrap().len(), 3);
    let rep = env.json(&["report", "--by", "source"]);
    assert_eq!(int(row(&rep, "claude-code"), "events"), 5);
    assert_eq!(int(row(&rep, "codex"), "total_tokens"), 2310);

    // With no folders at all the scan says so and succeeds.
    let empty = Env::new();
    let text = empty.ok(&["scan"]);
    assert!(text.contains("No agent-log folders found"), "{text}");
}
