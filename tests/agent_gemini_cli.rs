//! The `gemini-cli` importer (Gemini CLI chat recordings) end to end through the CLI: exact
//! on the real files in ../shared/data/agent-logs/gemini (skipped when absent), and on our
//! own fixtures, one per trap of the format.

mod common;

use common::*;
use serde_json::Value;

const FIELDS: [&str; 6] =
    ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "total_tokens"];

/// The canonical per-UTC-day rows of a recount-output.txt (its `CANONICAL` block).
fn canonical_days(recount: &str) -> Vec<Value> {
    let block = &recount[recount.find("CANONICAL").expect("a CANONICAL block")..];
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("{\"date\""))
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect()
}

fn report_days(env: &Env) -> Value {
    env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "gemini-cli"])
}

#[test]
fn real_recordings_match_the_canonical_days_to_the_token() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("agent-logs/gemini");
    let recount = match std::fs::read_to_string(dir.join("recount-output.txt")) {
        Ok(t) => t,
        Err(_) => return eprintln!("SKIP: agent-logs/gemini is absent"),
    };
    let roots: Vec<String> = ["m-gemini-mischa-thisness/tmp", "vibecodingtracker-mai0313/tmp"]
        .iter()
        .map(|r| dir.join(r).to_string_lossy().into_owned())
        .collect();
    let env = Env::new();
    let mut args = vec!["import"];
    args.extend(roots.iter().map(String::as_str));
    let out = env.json(&args);
    for f in out["files"].as_array().unwrap() {
        assert_eq!(f["format"], "gemini-cli", "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }
    let days = canonical_days(&recount);
    assert_eq!(days.len(), 20);
    let rep = report_days(&env);
    assert_eq!(rep["rows"].as_array().unwrap().len(), days.len(), "{rep}");
    let mut sum = [0i64; 6];
    for d in &days {
        let r = row(&rep, d["date"].as_str().unwrap());
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(int(r, f), d[f].as_i64().unwrap(), "{} {f}", d["date"]);
            sum[i] += int(r, f);
        }
    }
    let t = &rep["totals"];
    assert_eq!(sum, [3_142_314, 5_366_777, 0, 223_275, 154_573, 8_732_366]);
    assert_eq!(FIELDS.map(|f| int(t, f)), sum);
    assert_eq!(int(t, "unpriced_events"), 0);

    // A second import adds nothing.
    let again = env.json(&args);
    assert_eq!((int(&again, "added"), again["updated"].as_i64().unwrap_or(0)), (0, 0), "{again}");
    assert_eq!(report_days(&env)["totals"], rep["totals"]);
}

/// Imports the trap fixtures, checks every number, and returns the report's totals.
fn check_fixture_totals(env: &Env) -> Value {
    let rep = report_days(env);
    // [input (uncached), cache read, cache write, output (thoughts included), reasoning, total]
    let want: [(&str, [i64; 6], i64); 4] = [
        // g1 only: g2, in the same file, falls after UTC midnight.
        ("2026-01-05", [400, 600, 0, 150, 50, 1_150], 1),
        // g2, then the resumed half of the split session: g3 (with 10 tool tokens) and the
        // failed call with zero tokens, which is kept.
        ("2026-01-06", [2_000 + 510, 2_500, 0, 20 + 300, 100, 2_020 + 3_310], 3),
        // The file is named 2026-01-07; its response is on the 8th (UTC).
        ("2026-01-08", [500, 0, 0, 100, 60, 600], 1),
        // Three distinct responses of the JSONL, each written two or three times.
        ("2026-02-01", [3_000, 12_000, 0, 675, 225, 15_675], 3),
    ];
    assert_eq!(rep["rows"].as_array().unwrap().len(), want.len(), "{rep}");
    for (day, fields, events) in want {
        let r = row(&rep, day);
        assert_eq!(FIELDS.map(|f| int(r, f)), fields, "{day}");
        assert_eq!(int(r, "events"), events, "{day}");
    }
    let t = rep["totals"].clone();
    assert_eq!(FIELDS.map(|f| int(&t, f)), [6_410, 15_100, 0, 1_245, 435, 22_755]);
    assert_eq!(int(&t, "events"), 8);
    assert_eq!(int(&t, "unpriced_events"), 0);
    t
}

#[test]
fn each_trap_counts_once_and_a_second_import_adds_nothing() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("gemini-cli/tmp")]);
    let files = out["files"].as_array().unwrap();
    assert_eq!(files.len(), 5);
    for f in files {
        assert_eq!(f["format"], "gemini-cli", "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }
    let jsonl = files.iter().find(|f| f["path"].as_str().unwrap().ends_with(".jsonl")).unwrap();
    // j1, j2, j3; the rewrites and the $set that repeats j1 are duplicates.
    assert_eq!((int(jsonl, "added"), int(jsonl, "duplicates")), (3, 4), "{jsonl}");
    let totals = check_fixture_totals(&env);

    let m = env.json(&["report", "--by", "model", "--tz", "UTC", "--source", "gemini-cli"]);
    assert_eq!(int(row(&m, "gemini-3-flash-preview"), "total_tokens"), 15_675);
    assert_eq!(int(row(&m, "gemini-2.5-pro"), "events"), 3);
    // The agent is an account of its own (no vendor's), billed by itself until linked.
    let accounts = env.json(&["account", "list"]);
    assert_eq!(accounts[0]["account"], "gemini-cli", "{accounts}");
    assert_eq!(accounts[0]["sources"], serde_json::json!(["gemini-cli"]), "{accounts}");
    assert!(accounts[0]["billed_by"].is_null(), "{accounts}");

    // The same files again, and edited copies under another project folder (so they are
    // parsed again, not recognised by their bytes): nothing new.
    let again = env.json(&["import", &fixture("gemini-cli/tmp")]);
    assert_eq!(int(&again, "added"), 0, "{again}");
    let copy = env.dir.path().join("copy/tmp/d4d4/chats");
    copy_tree(
        &fixtures().join("gemini-cli/tmp/b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2/chats"),
        &copy,
    );
    copy_tree(
        &fixtures().join("gemini-cli/tmp/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1/chats"),
        &copy,
    );
    for e in std::fs::read_dir(&copy).unwrap() {
        let p = e.unwrap().path();
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.extend_from_slice(b"\n");
        std::fs::write(&p, bytes).unwrap();
    }
    let copied = env.json(&["import", env.dir.path().join("copy").to_str().unwrap()]);
    assert_eq!((int(&copied, "added"), copied["updated"].as_i64().unwrap_or(0)), (0, 0), "{copied}");
    assert!(copied["files"].as_array().unwrap().iter().all(|f| f.get("same_as").is_none()), "{copied}");
    assert_eq!(check_fixture_totals(&env), totals);
}

#[test]
fn bad_records_are_rejected_by_line_in_both_layouts_also_when_the_bytes_come_again() {
    let env = Env::new();
    let doc = fixture("gemini-cli/bad/tmp/c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3/chats/session-2026-03-01T10-00-bad00001.json");
    let log = fixture("gemini-cli/bad/tmp/c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3/chats/session-2026-03-01T11-00-bad00002.jsonl");
    let rejected = |f: &Value| -> Vec<(i64, String)> {
        f["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["line"].as_i64().unwrap_or(-1), r["reason"].as_str().unwrap().to_string()))
            .collect()
    };
    for round in ["first import", "identical bytes again"] {
        // The document: each message at the line its object starts on.
        let f = &env.json(&["import", &doc])["files"][0];
        assert_eq!(f["format"], "gemini-cli");
        let r = rejected(f);
        assert_eq!(r.iter().map(|r| r.0).collect::<Vec<_>>(), [29, 51], "{round}: {f}");
        assert!(r[0].1.starts_with("messages[1]: ") && r[0].1.contains("\"yesterday\""), "{round}: {r:?}");
        assert!(r[1].1.starts_with("messages[2]: ") && r[1].1.contains("tokens.cached"), "{round}: {r:?}");
        // The line layout: a line cut short and a negative count.
        let f = &env.json(&["import", &log])["files"][0];
        let r = rejected(f);
        assert_eq!(r.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 4], "{round}: {f}");
        assert!(r[0].1.contains("incomplete JSON"), "{round}: {r:?}");
        assert!(r[1].1.contains("tokens.output is negative"), "{round}: {r:?}");
    }
    // The good responses of both files are stored, once.
    let t = &report_days(&env)["totals"];
    assert_eq!((int(t, "events"), int(t, "total_tokens")), (2, 110 + 220));
    let text = env.ok(&["import", &doc]);
    assert!(text.contains("session-2026-03-01T10-00-bad00001.json:29: messages[1]: "), "{text}");
}

#[test]
fn a_file_that_is_not_a_recording_is_an_error_naming_it() {
    let env = Env::new();
    // Named like a recording, but no session in it: no format claims it.
    let fake = env.dir.path().join("session-2026-01-01T00-00-00000000.json");
    std::fs::write(&fake, "{\"history\": []}\n").unwrap();
    // Forced to read another format's file.
    let stats = fixture("claude-stats/v5/stats-cache.json");
    for args in [vec!["import", fake.to_str().unwrap()], vec!["import", "--format", "gemini-cli", &stats]] {
        let o = env.run(&args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        let name = std::path::Path::new(args.last().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
        assert!(err.contains(&name), "{args:?}: {err}");
    }
    assert_eq!(int(&env.json(&["report"])["totals"], "events"), 0);
}
