//! Qwen Code chat logs (`qwen-code`): the real files in ../shared/data/agent-logs/qwen (skipped
//! with a message when absent) give the README's canonical per-day totals to the token, and
//! the project's own fixtures cover each trap the README names.

mod common;

use common::*;
use serde_json::Value;

/// (input, cache read, cache write, output, reasoning, total) of a report row.
fn fields(r: &Value) -> [i64; 6] {
    [
        int(r, "input_tokens"),
        int(r, "cache_read_tokens"),
        int(r, "cache_write_tokens"),
        int(r, "output_tokens"),
        int(r, "reasoning_tokens"),
        int(r, "total_tokens"),
    ]
}

/// The CANONICAL block of recount-output.txt: one JSON row per UTC day.
fn canonical_days(recount: &str) -> Vec<(String, [i64; 6])> {
    let block = recount.split_once("CANONICAL").expect("a CANONICAL block").1;
    block
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .filter(|v| v.get("date").is_some())
        .map(|v| {
            let n = |k: &str| v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}"));
            (
                v["date"].as_str().unwrap().to_string(),
                [
                    n("input_tokens"),
                    n("cache_read_tokens"),
                    n("cache_write_tokens"),
                    n("output_tokens"),
                    n("reasoning_tokens"),
                    n("total_tokens"),
                ],
            )
        })
        .collect()
}

#[test]
fn real_chats_give_the_canonical_totals_per_utc_day() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("agent-logs/qwen");
    let projects = dir.join("cloudschool-haidonglethqb/projects");
    let env = Env::new();
    let out = env.json(&["import", projects.to_str().unwrap()]);
    for f in out["files"].as_array().unwrap() {
        assert_eq!(f["format"], "qwen-code", "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }

    let want = canonical_days(&std::fs::read_to_string(dir.join("recount-output.txt")).unwrap());
    // The README's table, so a changed recount file cannot pass unnoticed.
    let table = [
        ("2026-04-05", [481, 27_978, 0, 108, 47, 28_567]),
        ("2026-04-07", [574_951, 2_069_554, 0, 19_014, 1_577, 2_663_519]),
        ("2026-04-08", [478_462, 2_504_332, 0, 41_394, 1_854, 3_024_188]),
        ("2026-04-11", [320, 31_712, 0, 39, 20, 32_071]),
    ];
    assert_eq!(want, table.map(|(d, t)| (d.to_string(), t)).to_vec());

    let rep = env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "qwen-code"]);
    assert_eq!(rep["rows"].as_array().unwrap().len(), want.len(), "{rep}");
    for (day, t) in &want {
        assert_eq!(fields(row(&rep, day)), *t, "{day}");
    }
    assert_eq!(fields(&rep["totals"]), [1_054_214, 4_633_576, 0, 60_555, 3_498, 5_748_345]);
    // One event per API call (main agent and sub-agents), none priced as $0.
    assert_eq!(int(&rep["totals"], "events"), 126);
    assert_eq!(int(&rep["totals"], "unpriced_events"), 126);

    let again = env.json(&["import", projects.to_str().unwrap()]);
    assert_eq!(again["added"], 0, "{again}");
    let rep2 = env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "qwen-code"]);
    assert_eq!(rep2["totals"], rep["totals"]);
}

#[test]
fn fixtures_count_each_call_once_whatever_repeats_it() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("qwen-code/projects")]);
    for f in out["files"].as_array().unwrap() {
        assert_eq!(f["format"], "qwen-code", "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }
    let rep = env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "qwen-code"]);
    // 04-07: the session with sub-agents (5 calls: 2 main with assistant records, 2 by the
    // tester sub-agent and a main side call, all three telemetry only) and the call before
    // midnight; 04-08: the call after it; 04-11: the rewritten call and the resumed session.
    assert_eq!(fields(row(&rep, "2026-04-07")), [10_200, 25_800, 0, 1_090, 255, 37_090]);
    assert_eq!(fields(row(&rep, "2026-04-08")), [500, 0, 0, 20, 0, 520]);
    assert_eq!(fields(row(&rep, "2026-04-11")), [2_100, 5_900, 0, 115, 10, 8_115]);
    // 04-09: a local server that gives both its calls one response id.
    assert_eq!(fields(row(&rep, "2026-04-09")), [1_050, 50, 0, 25, 0, 1_125]);
    assert_eq!(rep["rows"].as_array().unwrap().len(), 4);
    assert_eq!(int(&rep["totals"], "events"), 12);
    assert_eq!(int(&rep["totals"], "unpriced_events"), 12);
    assert_eq!(rep["totals"]["cost_usd"], "0");

    // The project is the real working directory, not the sanitized folder name.
    let p = env.json(&["report", "--by", "project", "--source", "qwen-code"]);
    assert_eq!(int(row(&p, "C:\\Users\\Dev\\Documents\\App"), "total_tokens"), 36_010);
    assert_eq!(int(row(&p, "/home/dev/api"), "total_tokens"), 1_600);
    assert_eq!(int(row(&p, "C:\\Users\\Dev"), "total_tokens"), 8_115);
    assert_eq!(int(row(&p, "/home/dev/local"), "total_tokens"), 1_125);

    // The ledger zone moves the call before UTC midnight, by its instant.
    let tokyo = env.json(&["report", "--by", "day", "--tz", "Asia/Tokyo", "--source", "qwen-code"]);
    assert_eq!(int(row(&tokyo, "2026-04-08"), "total_tokens"), 1_600);

    let again = env.json(&["import", &fixture("qwen-code/projects")]);
    assert_eq!(again["added"], 0, "{again}");
    // Each file on its own, in another ledger, in the other order: the same totals.
    let env2 = Env::new();
    let dir = fixtures().join("qwen-code/projects/c--users-dev/chats");
    for id in ["55555555-5555-4555-8555-555555555555", "44444444-4444-4444-8444-444444444444"] {
        env2.json(&["import", dir.join(format!("{id}.jsonl")).to_str().unwrap()]);
    }
    let rep2 = env2.json(&["report", "--tz", "UTC"]);
    assert_eq!(fields(&rep2["totals"]), [2_100, 5_900, 0, 115, 10, 8_115]);
    assert_eq!(int(&rep2["totals"], "events"), 3);
}

#[test]
fn bad_records_are_rejected_by_line_and_a_foreign_file_is_named() {
    let env = Env::new();
    let path = fixture("qwen-code/bad-records/chats/77777777-7777-4777-8777-777777777777.jsonl");
    let f = &env.json(&["import", &path])["files"][0];
    assert_eq!(f["format"], "qwen-code");
    assert_eq!(f["added"], 1, "{f}");
    let rejected = f["rejected"].as_array().unwrap();
    let lines: Vec<i64> = rejected.iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7], "{f}");
    let reasons: Vec<&str> = rejected.iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].contains("incomplete JSON"), "{reasons:?}");
    assert!(reasons[1].contains("output_token_count is negative"), "{reasons:?}");
    assert!(reasons[2].contains("exceeds input_token_count"), "{reasons:?}");
    assert!(reasons[3].contains("2026-04-09 8am"), "{reasons:?}");
    assert!(reasons[4].starts_with("truncated last line"), "{reasons:?}");
    let text = env.ok(&["import", &path]);
    assert!(text.contains("77777777-7777-4777-8777-777777777777.jsonl:4: "), "{text}");

    // Another agent's JSONL forced through this format fails, naming the file, writing nothing.
    let before = env.json(&["report"])["totals"].clone();
    let claude = fixture("claude-code/projects/-home-dev-demo/session-a.jsonl");
    let o = env.run(&["import", "--format", "qwen-code", &claude]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("session-a.jsonl") && err.contains("not a Qwen Code chat record"), "{err}");
    assert_eq!(env.json(&["report"])["totals"], before);
}
