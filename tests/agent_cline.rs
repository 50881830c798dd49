//! Cline, Roo Code and Kilo Code task logs (`tasks/<id>/ui_messages.json`): exact on the real
//! files in ../shared/data/agent-logs/cline (skipped with a message when absent), and each
//! trap of the format on our own fixtures, through the real CLI on a temp ledger.

mod common;

use common::*;
use serde_json::Value;

/// The per-UTC-day totals of `report --by day --tz UTC --source SOURCE`, as
/// (day, input, cache read, cache write, output, reasoning, total).
fn days(env: &Env, source: &str) -> Vec<(String, i64, i64, i64, i64, i64, i64)> {
    let rep = env.json(&["report", "--by", "day", "--tz", "UTC", "--source", source]);
    rep["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                int(r, "input_tokens"),
                int(r, "cache_read_tokens"),
                int(r, "cache_write_tokens"),
                int(r, "output_tokens"),
                int(r, "reasoning_tokens"),
                int(r, "total_tokens"),
            )
        })
        .collect()
}

/// The CANONICAL block of a recount-output.txt: one row per UTC day.
fn canonical(recount: &str) -> Vec<(String, i64, i64, i64, i64, i64, i64)> {
    let block = recount.split("CANONICAL").nth(1).expect("a CANONICAL block");
    block
        .lines()
        .filter_map(|l| l.trim().strip_prefix('{').map(|_| l.trim()))
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("date").is_some())
        .map(|v| {
            (
                v["date"].as_str().unwrap().to_string(),
                int(&v, "input_tokens"),
                int(&v, "cache_read_tokens"),
                int(&v, "cache_write_tokens"),
                int(&v, "output_tokens"),
                int(&v, "reasoning_tokens"),
                int(&v, "total_tokens"),
            )
        })
        .collect()
}

fn import(env: &Env, paths: &[String]) -> Value {
    let mut args = vec!["import"];
    args.extend(paths.iter().map(String::as_str));
    env.json(&args)
}

#[test]
fn real_cline_tasks_match_the_canonical_per_day_totals() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("agent-logs/cline");
    if !dir.is_dir() {
        eprintln!("SKIP: {} is absent", dir.display());
        return;
    }
    let want = canonical(&std::fs::read_to_string(dir.join("recount-output.txt")).unwrap());
    // The README's table, so a recount file that lost its block cannot pass vacuously.
    assert_eq!(
        want,
        [
            ("2025-10-15".to_string(), 0, 3_066_304, 256_586, 23_260, 0, 3_346_150),
            ("2026-02-07".to_string(), 240, 1_038_797, 72_182, 11_035, 0, 1_122_254),
            ("2026-02-08".to_string(), 530, 5_349_183, 1_346_804, 51_905, 0, 6_748_422),
        ]
    );
    // Every folder of tasks (the README and recount beside them are not task files).
    let mut folders: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let env = Env::new();
    let out = import(&env, &folders);
    for f in out["files"].as_array().unwrap() {
        assert_eq!(f["format"], "cline", "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }
    assert_eq!(days(&env, "cline"), want);
    let tot = &env.json(&["report", "--tz", "UTC", "--source", "cline"])["totals"];
    assert_eq!(int(tot, "total_tokens"), 11_216_826);
    assert_eq!(int(tot, "events"), 138);

    let again = import(&env, &folders);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(days(&env, "cline"), want);
}

fn fixture_dirs(rels: &[&str]) -> Vec<String> {
    rels.iter().map(|r| fixture(r)).collect()
}

#[test]
fn each_trap_counts_once_and_a_second_import_adds_nothing() {
    let env = Env::new();
    let paths = fixture_dirs(&["cline/globalStorage", "cline/earlier-copy", "roo-code", "kilo-code"]);
    let out = import(&env, &paths);
    let files = out["files"].as_array().unwrap();
    assert!(files.iter().all(|f| f["rejected"].as_array().unwrap().is_empty()), "{out}");
    let want = [
        // Trap 4: the prompt shows 10/16 in Shanghai; the request's instant is 10-15 in UTC.
        ("2025-10-15".to_string(), 12, 0, 5_000, 300, 0, 5_312),
        // The second request of that task, and the retried task (trap 2): each
        // api_req_started once, the failed stream's partial usage kept, the retry notes and
        // the earlier copy of the same task (still streaming) adding nothing.
        ("2025-10-16".to_string(), 12, 23_000, 1_200, 603, 0, 24_815),
        // Trap 3: deleted_api_reqs' sum of removed requests counts beside those kept.
        ("2025-10-17".to_string(), 34, 42_000, 2_400, 680, 0, 45_114),
        // One message written twice with the same ts is one request.
        ("2025-10-18".to_string(), 1, 1_000, 100, 10, 0, 1_111),
    ];
    assert_eq!(days(&env, "cline"), want);
    // Each extension's folder makes its own source (and account), with its own days. Roo's
    // OpenAI-protocol request holds its 10,000 cached tokens inside tokensIn (12,000).
    assert_eq!(days(&env, "roo-code"), [("2025-10-18".to_string(), 100 + 2_000, 13_000, 0, 650, 0, 15_750)]);
    assert_eq!(days(&env, "kilo-code"), [("2025-10-19".to_string(), 50, 80, 70, 60, 0, 260)]);
    let formats: Vec<&str> = files.iter().map(|f| f["format"].as_str().unwrap()).collect();
    assert_eq!(formats, ["cline", "cline", "cline", "cline", "cline", "roo-code", "roo-code", "kilo-code"]);

    // Money: Cline's own cost is the stated estimate (not billed); a zero cost and no model
    // leaves the event unpriced, never $0.
    let rep = env.json(&["report", "--tz", "UTC", "--source", "cline"]);
    assert_eq!(rep["totals"]["estimated_usd"], "0.12396");
    assert_eq!(rep["totals"]["billed_usd"], "0");
    let kilo = &env.json(&["report", "--tz", "UTC", "--source", "kilo-code"])["totals"];
    assert_eq!(int(kilo, "unpriced_events"), 1);
    // The working directory in the prompt is the project.
    let by_project = env.json(&["report", "--by", "project", "--tz", "UTC", "--source", "cline"]);
    assert_eq!(int(row(&by_project, "/home/dev/shop"), "total_tokens"), 5_312 + 5_353);

    let again = import(&env, &paths);
    assert_eq!(again["added"], 0, "{again}");
    assert!(again["files"].as_array().unwrap().iter().all(|f| f["updated"] == 0), "{again}");
    assert_eq!(days(&env, "cline"), want);
}

#[test]
fn a_request_imported_while_streaming_is_completed_by_the_next_import() {
    let env = Env::new();
    let early = import(&env, &fixture_dirs(&["cline/earlier-copy"]));
    assert_eq!(early["added"], 1, "{early}");
    assert_eq!(int(&env.json(&["report", "--source", "cline"])["totals"], "total_tokens"), 0);
    let later = import(&env, &fixture_dirs(&["cline/globalStorage/saoudrizwan.claude-dev/tasks/1760600000000"]));
    let f = &later["files"][0];
    assert_eq!((int(f, "added"), int(f, "updated")), (2, 1), "{later}");
    let tot = &env.json(&["report", "--source", "cline"])["totals"];
    assert_eq!(int(tot, "total_tokens"), 9 + 453 + 1_000 + 18_000);
    assert_eq!(int(tot, "events"), 3);
}

#[test]
fn a_bad_record_is_rejected_with_its_place_and_a_non_task_file_is_named() {
    let env = Env::new();
    let out = import(&env, &fixture_dirs(&["cline/bad/bad-record"]));
    let f = &out["files"][0];
    assert_eq!(f["added"], 1, "{f}");
    let rejected: Vec<(i64, &str)> = f["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["record"].as_i64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected.len(), 2, "{f}");
    assert_eq!(rejected[0].0, 2);
    assert!(rejected[0].1.contains("not usage JSON"), "{f}");
    assert_eq!(rejected[1].0, 3);
    assert!(rejected[1].1.contains("tokensIn is negative"), "{f}");
    let text = env.ok(&["import", &fixture("cline/bad/bad-record")]);
    assert!(text.contains("ui_messages.json: record 3: "), "{text}");
    assert_eq!(int(&env.json(&["report", "--source", "cline"])["totals"], "total_tokens"), 10);

    // An object, not the array of messages: detected by nobody, and forced, an error that
    // names the file; nothing is written either way.
    let before = env.json(&["report"])["totals"].clone();
    let bad = fixture("bad/cline-not-a-task-list/tasks/1760900000001/ui_messages.json");
    for args in [vec!["import", bad.as_str()], vec!["import", "--format", "cline", bad.as_str()]] {
        let o = env.run(&args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("cline-not-a-task-list/tasks/1760900000001/ui_messages.json"), "{err}");
    }
    assert_eq!(env.json(&["report"])["totals"], before);
}
