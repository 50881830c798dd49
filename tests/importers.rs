//! Every importer on the project's own fixtures, through the real CLI on a temp ledger.

mod common;

use common::*;
use tokenburn::money::Usd;

#[test]
fn every_fixture_is_claimed_by_exactly_its_own_importer() {
    let cases = [
        ("claude-code/projects/-home-dev-demo/session-a.jsonl", Some("claude-code")),
        (
            "codex/sessions/2025/10/01/rollout-2025-10-01T10-00-00-0199aaaa-0000-7000-8000-000000000001.jsonl",
            Some("codex"),
        ),
        (
            "codex/sessions/2025/10/01/rollout-2025-10-01T10-05-00-0199aaaa-0000-7000-8000-000000000002.jsonl",
            Some("codex"),
        ),
        // Gemini CLI: a split session's halves, a file without responses, a file named on
        // another day than its messages, the line layout, and bad records in both.
        ("gemini-cli/tmp/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1/chats/session-2026-01-05T23-50-5e110001.json", Some("gemini-cli")),
        ("gemini-cli/tmp/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1/chats/session-2026-01-06T08-00-5e110001.json", Some("gemini-cli")),
        ("gemini-cli/tmp/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1/chats/session-2026-01-06T09-00-5e110001.json", Some("gemini-cli")),
        ("gemini-cli/tmp/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1/chats/session-2026-01-07T23-59-1a7e0001.json", Some("gemini-cli")),
        ("gemini-cli/tmp/b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2/chats/session-2026-02-01T10-00-7f4a0001.jsonl", Some("gemini-cli")),
        ("gemini-cli/bad/tmp/c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3/chats/session-2026-03-01T10-00-bad00001.json", Some("gemini-cli")),
        ("gemini-cli/bad/tmp/c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3/chats/session-2026-03-01T11-00-bad00002.jsonl", Some("gemini-cli")),
        ("claude-stats/v5/stats-cache.json", Some("claude-stats")),
        ("claude-stats/v1/stats-cache.json", Some("claude-stats")),
        ("ccusage-json/ccusage-daily.json", Some("ccusage-json")),
        ("bad/truncated-last-line.jsonl", Some("claude-code")),
        ("bad/unexpected-shape.jsonl", Some("claude-code")),
        ("bad/not-a-log.txt", None),
        ("amp/threads/T-0a000000-0000-4000-8000-000000000001.json", Some("amp")),
        ("amp/threads/T-0a000000-0000-4000-8000-000000000002.json", Some("amp")),
        ("amp/revisions/threads/T-0a000000-0000-4000-8000-000000000001.json", Some("amp")),
        ("amp/bad/threads/T-0a000000-0000-4000-8000-000000000003.json", Some("amp")),
        (
            "copilot-cli/resumed-session/session-state/11111111-aaaa-4bbb-8ccc-000000000001/events.jsonl",
            Some("copilot-cli"),
        ),
        (
            "copilot-cli/copied-snapshot/session-state/11111111-aaaa-4bbb-8ccc-000000000001/events.jsonl",
            Some("copilot-cli"),
        ),
        (
            "copilot-cli/token-details/session-state/22222222-aaaa-4bbb-8ccc-000000000002/events.jsonl",
            Some("copilot-cli"),
        ),
        (
            "copilot-cli/no-shutdown/session-state/33333333-aaaa-4bbb-8ccc-000000000003/events.jsonl",
            Some("copilot-cli"),
        ),
        (
            "copilot-cli/bad-records/session-state/44444444-aaaa-4bbb-8ccc-000000000004/events.jsonl",
            Some("copilot-cli"),
        ),
        (
            "qwen-code/projects/c--users-dev-documents-app/chats/11111111-1111-4111-8111-111111111111.jsonl",
            Some("qwen-code"),
        ),
        ("qwen-code/projects/-home-dev-api/chats/22222222-2222-4222-8222-222222222222.jsonl", Some("qwen-code")),
        ("qwen-code/projects/c--users-dev/chats/44444444-4444-4444-8444-444444444444.jsonl", Some("qwen-code")),
        ("qwen-code/projects/c--users-dev/chats/55555555-5555-4555-8555-555555555555.jsonl", Some("qwen-code")),
        ("qwen-code/projects/-home-dev-local/chats/66666666-6666-4666-8666-666666666666.jsonl", Some("qwen-code")),
        ("qwen-code/bad-records/chats/77777777-7777-4777-8777-777777777777.jsonl", Some("qwen-code")),
        // Cline's task format: the extension's folder names the source; a copy outside any
        // extension folder is Cline's; an object instead of the array of messages is nobody's.
        ("cline/globalStorage/saoudrizwan.claude-dev/tasks/1760572200000/ui_messages.json", Some("cline")),
        ("cline/globalStorage/saoudrizwan.claude-dev/tasks/1760600000000/ui_messages.json", Some("cline")),
        ("cline/globalStorage/saoudrizwan.claude-dev/tasks/1760700000000/ui_messages.json", Some("cline")),
        ("cline/globalStorage/saoudrizwan.claude-dev/tasks/1760800000000/ui_messages.json", Some("cline")),
        ("cline/earlier-copy/tasks/1760600000000/ui_messages.json", Some("cline")),
        ("cline/bad/bad-record/tasks/1760900000000/ui_messages.json", Some("cline")),
        ("bad/cline-not-a-task-list/tasks/1760900000001/ui_messages.json", None),
        (
            "roo-code/globalStorage/rooveterinaryinc.roo-cline/tasks/0199f6a1-2b3c-7d4e-8f90-a1b2c3d4e5f6/ui_messages.json",
            Some("roo-code"),
        ),
        (
            "roo-code/globalStorage/rooveterinaryinc.roo-cline/tasks/0199f6a4-0c1d-7e2f-8a3b-c4d5e6f7a8b9/ui_messages.json",
            Some("roo-code"),
        ),
        (
            "kilo-code/globalStorage/kilocode.kilo-code/tasks/4f1d2c3b-5a6e-4b7c-9d8e-0f1a2b3c4d5e/ui_messages.json",
            Some("kilo-code"),
        ),
        ("opencode/storage/message/ses_legacy/msg_v065.json", Some("opencode")),
        ("opencode/storage/message/ses_legacy/msg_both.json", Some("opencode")),
        ("opencode/storage/message/ses_legacy/msg_user.json", Some("opencode")),
        ("opencode/bad/storage/message/ses_bad/msg_bad.json", Some("opencode")),
        ("opencode/opencode.db", Some("opencode")),
        ("kilo-cli/kilo.db", Some("kilo-cli")),
        // The SQL the database fixtures are built from is no format.
        ("sql/opencode.sql", None),
        ("sql/kilo-cli.sql", None),
    ];
    for (rel, want) in cases {
        let path = fixtures().join(rel);
        let head = std::fs::read(&path).unwrap();
        let got: Vec<_> = tokenburn::import::claimants(&path, &head).iter().map(|s| s.name()).collect();
        assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{rel}");
    }
    // Vendor exports: every file of a folder named after its format.
    let vendor = [
        "openai-usage-csv",
        "openai-costs-csv",
        "openai-usage-json",
        "openai-costs-json",
        "anthropic-usage-csv",
        "anthropic-cost-csv",
        "anthropic-cost-json",
        "cursor-csv",
        "openrouter-csv",
        "copilot-csv",
    ];
    for format in vendor {
        for e in std::fs::read_dir(fixtures().join(format)).unwrap() {
            let path = e.unwrap().path();
            let head = std::fs::read(&path).unwrap();
            let got: Vec<_> = tokenburn::import::claimants(&path, &head).iter().map(|s| s.name()).collect();
            assert_eq!(got, [format], "{}", path.display());
        }
    }
    // The agents' databases are claimed by name and SQLite header: under another name, or
    // as the -wal beside them, by no one. Each holds what its SQL says.
    let dir = tempfile::tempdir().unwrap();
    let rows = |db: &std::path::Path| -> Vec<(String, i64, String)> {
        let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let mut stmt = conn.prepare("SELECT id, time_updated, data FROM message ORDER BY id").unwrap();
        let v = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        v
    };
    for (sql, db) in [("sql/opencode.sql", "opencode/opencode.db"), ("sql/kilo-cli.sql", "kilo-cli/kilo.db")] {
        let head = std::fs::read(fixtures().join(db)).unwrap();
        let name = fixtures().join(db).file_name().unwrap().to_string_lossy().into_owned();
        let elsewhere = dir.path().join(format!("other-{name}"));
        assert!(tokenburn::import::claimants(&elsewhere, &head).is_empty(), "{db} under another name");
        let wal = dir.path().join(format!("{name}-wal"));
        assert!(tokenburn::import::claimants(&wal, b"\x37\x7f\x06\x82").is_empty(), "{name}-wal");
        let built = dir.path().join(&name);
        let conn = rusqlite::Connection::open(&built).unwrap();
        conn.execute_batch(&std::fs::read_to_string(fixtures().join(sql)).unwrap()).unwrap();
        drop(conn);
        let copy = dir.path().join(format!("committed-{name}"));
        std::fs::copy(fixtures().join(db), &copy).unwrap();
        assert_eq!(rows(&copy), rows(&built), "{db} is {sql} applied");
    }
    // A legacy-looking message outside storage/message is not opencode's.
    let head = std::fs::read(fixtures().join("opencode/storage/message/ses_legacy/msg_v065.json")).unwrap();
    assert!(tokenburn::import::claimants(std::path::Path::new("elsewhere/msg_v065.json"), &head).is_empty());
    // CSVs for mapping rules are formats no built-in importer knows.
    for e in std::fs::read_dir(fixtures().join("rules")).unwrap() {
        let path = e.unwrap().path();
        let head = std::fs::read(&path).unwrap();
        assert!(tokenburn::import::claimants(&path, &head).is_empty(), "{}", path.display());
    }
}

#[test]
fn claude_code_dedupes_streamed_lines_sidechain_replays_and_missing_request_ids() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("claude-code")]);
    let f = &out["files"][0];
    assert_eq!(f["format"], "claude-code");
    assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    // Five responses (A, B, C, D, E); the synthetic one is not an event.
    assert_eq!(int(&env.json(&["report", "--by", "model"])["totals"], "events"), 5);

    let rep = env.json(&["report", "--by", "model", "--tz", "UTC"]);
    let s = row(&rep, "claude-sonnet-4-20250514");
    // A (final streamed line, not its sidechain replay) + B (sidechain) + C (largest line) + D.
    assert_eq!(int(s, "input_tokens"), 10 + 5 + 2 + 1);
    assert_eq!(int(s, "output_tokens"), 50 + 20 + 30 + 10);
    assert_eq!(int(s, "cache_write_tokens"), 100 + 300);
    assert_eq!(int(s, "cache_read_tokens"), 1000 + 500 + 300);
    // $3 in, $15 out, $3.75 5m write, $6 1h write, $0.30 read per million.
    let want = 18 * 3_000 + 110 * 15_000 + 200 * 3_750 + 200 * 6_000 + 1_800 * 300;
    assert_eq!(Usd::parse(s["cost_usd"].as_str().unwrap()).unwrap(), Usd(want));
    assert_eq!(int(s, "unpriced_events"), 0);

    // The unknown model is stored and counted in tokens, but unpriced, never $0.
    let e = row(&rep, "claude-imaginary-9");
    assert_eq!(int(e, "unpriced_events"), 1);
    assert_eq!(int(e, "total_tokens"), 200);
    assert_eq!(int(&rep["totals"], "unpriced_events"), 1);
    let unpriced = env.json(&["prices", "--unpriced"]);
    assert_eq!(unpriced[0]["model"], "claude-imaginary-9");

    // A price set later prices it.
    env.ok(&["prices", "set", "claude-imaginary-9", "--input", "1", "--output", "2.5"]);
    let rep = env.json(&["report", "--by", "model"]);
    let e = row(&rep, "claude-imaginary-9");
    assert_eq!(int(e, "unpriced_events"), 0);
    assert_eq!(e["cost_usd"], "0.00035");

    // Importing again adds nothing.
    let again = env.json(&["import", &fixture("claude-code")]);
    assert_eq!(again["added"], 0);
}

#[test]
fn days_follow_the_ledger_zone_across_midnight_and_dst() {
    let env = Env::new();
    env.json(&["import", &fixture("claude-code")]);
    let utc = env.json(&["report", "--by", "day", "--tz", "UTC"]);
    assert_eq!(int(row(&utc, "2025-03-29"), "events"), 2); // A, B
    assert_eq!(int(row(&utc, "2025-03-30"), "events"), 3); // C, D, E
                                                           // Berlin switches to CEST on 2025-03-30: 23:30Z on the 29th is 00:30 on the 30th,
                                                           // and 22:30Z on the 30th is 00:30 on the 31st.
    env.ok(&["config", "set", "tz", "Europe/Berlin"]);
    let ber = env.json(&["report", "--by", "day"]);
    assert_eq!(int(row(&ber, "2025-03-30"), "events"), 3); // A, B, C
    assert_eq!(int(row(&ber, "2025-03-31"), "events"), 2); // D, E
    assert_eq!(ber["rows"].as_array().unwrap().len(), 2);
    // --tz overrides the ledger's zone for one command; --since/--until are local days.
    let la = env.json(&["report", "--by", "day", "--tz", "America/Los_Angeles", "--since", "2025-03-30"]);
    assert_eq!(la["rows"].as_array().unwrap().len(), 1);
    assert_eq!(int(row(&la, "2025-03-30"), "events"), 3); // C (05:00), D (15:30), E (15:40)
    let week = env.json(&["report", "--by", "week"]);
    assert_eq!(int(row(&week, "2025-W13"), "events"), 3);
    assert_eq!(int(row(&week, "2025-W14"), "events"), 2);
}

#[test]
fn codex_counts_deltas_once_across_repeats_restarts_and_forks() {
    let env = Env::new();
    env.json(&["import", &fixture("codex")]);
    let rep = env.json(&["report", "--by", "model"]);
    let g5 = row(&rep, "gpt-5");
    // Parent: 1000/200 then +500/+400; the repeat adds nothing. Fork: +500/+0 after replay.
    assert_eq!(int(g5, "input_tokens"), 800 + 100 + 500);
    assert_eq!(int(g5, "cache_read_tokens"), 600);
    assert_eq!(int(g5, "output_tokens"), 200);
    assert_eq!(int(g5, "reasoning_tokens"), 60);
    assert_eq!(int(g5, "total_tokens"), 2200);
    // After the restart the new total counts in full, under the new model.
    let mini = row(&rep, "gpt-5-mini");
    assert_eq!((int(mini, "input_tokens"), int(mini, "output_tokens")), (100, 10));
    // gpt-5: $1.25 in, $0.125 cached, $10 out per million.
    let want = 1400 * 1_250 + 600 * 125 + 200 * 10_000;
    assert_eq!(Usd::parse(g5["cost_usd"].as_str().unwrap()).unwrap(), Usd(want));
    let p = env.json(&["report", "--by", "project"]);
    assert_eq!(int(row(&p, "/home/dev/app"), "total_tokens"), 2310);
}

#[test]
fn summaries_are_unpriced_and_superseded_by_transcripts() {
    let env = Env::new();
    env.ok(&["config", "set", "tz", "UTC"]);
    env.json(&["import", &fixture("claude-stats/v5/stats-cache.json")]);
    let before = env.json(&["report", "--by", "day"]);
    assert_eq!(int(row(&before, "2025-03-28"), "unsplit_tokens"), 500_000);
    assert_eq!(int(row(&before, "2025-03-30"), "unsplit_tokens"), 124_456);
    assert_eq!(before["totals"]["cost_usd"], "0");
    assert_eq!(int(&before["totals"], "unpriced_events"), 3);

    // Transcripts for sonnet on 2025-03-30 win over the summary of that model and date.
    env.json(&["import", &fixture("claude-code")]);
    let after = env.json(&["report", "--by", "day"]);
    assert_eq!(int(row(&after, "2025-03-28"), "unsplit_tokens"), 500_000);
    assert_eq!(int(row(&after, "2025-03-30"), "unsplit_tokens"), 1_000); // opus has no transcripts
                                                                         // v1 units (input+output only) import too, dated as written.
    env.json(&["import", &fixture("claude-stats/v1/stats-cache.json")]);
    assert_eq!(int(row(&env.json(&["report"]), "2025-01-10"), "unsplit_tokens"), 7_000);
}

#[test]
fn ccusage_json_keeps_its_cost_text_and_dates() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("ccusage-json/ccusage-daily.json")]);
    assert_eq!(out["files"][0]["added"], 2);
    let rep = env.json(&["report", "--by", "day", "--tz", "Pacific/Auckland"]);
    let d = row(&rep, "2025-02-01");
    assert_eq!(int(d, "total_tokens"), 21_700);
    assert_eq!(d["cost_usd"], "1.23456789");
    let m = env.json(&["report", "--by", "model"]);
    row(&m, "gpt-5.5, anthropic/claude-sonnet-4.6");
}

#[test]
fn bad_input_is_reported_by_line_and_nothing_partial_is_written() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("bad/truncated-last-line.jsonl")]);
    let f = &out["files"][0];
    assert_eq!(f["added"], 1);
    assert_eq!(f["rejected"][0]["line"], 2);
    assert!(f["rejected"][0]["reason"].as_str().unwrap().contains("truncated"), "{f}");

    let out = env.json(&["import", "--format", "claude-code", &fixture("bad/invalid-utf8.jsonl")]);
    let f = &out["files"][0];
    assert_eq!(f["rejected"][0]["line"], 2);
    assert!(f["rejected"][0]["reason"].as_str().unwrap().contains("UTF-8"), "{f}");

    let out = env.json(&["import", &fixture("bad/unexpected-shape.jsonl")]);
    let f = &out["files"][0];
    let lines: Vec<i64> = f["rejected"].as_array().unwrap().iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![2, 3], "{f}");

    // Text output names file and line.
    let text = env.ok(&["import", &fixture("bad/unexpected-shape.jsonl")]);
    assert!(text.contains("unexpected-shape.jsonl:2: "), "{text}");

    // Whole-file failures: an error naming the file, exit code 1, nothing written.
    let before = env.json(&["report"])["totals"].clone();
    for bad in ["bad/empty.jsonl", "bad/not-a-log.txt"] {
        let o = env.run(&["import", &fixture(bad)]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(bad.rsplit('/').next().unwrap()), "{err}");
    }
    let bad_json = env.dir.path().join("broken-stats-cache.json");
    std::fs::write(&bad_json, "{\"dailyModelTokens\": [{\"date\": \"2025-01-01\", \"tokensByModel\": {\"m\": 5}}")
        .unwrap();
    let o = env.run(&["import", bad_json.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("broken-stats-cache.json: line 1"));
    assert_eq!(env.json(&["report"])["totals"], before);
}

#[test]
fn dry_run_writes_nothing() {
    let env = Env::new();
    let out = env.json(&["import", "--dry-run", &fixture("codex")]);
    assert!(out["added"].as_i64().unwrap() > 0);
    assert_eq!(int(&env.json(&["report"])["totals"], "events"), 0);
}

#[test]
fn a_file_that_fails_is_named_in_the_json_report() {
    let env = Env::new();
    let out = env.run(&["import", "--json", &fixture("bad/empty.jsonl")]);
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["files"][0];
    assert!(f["path"].as_str().unwrap().ends_with("bad/empty.jsonl"), "{v}");
    assert!(f["error"]["message"].as_str().unwrap().contains("empty.jsonl"), "{v}");
}

#[test]
fn a_json_documents_bad_rows_are_records_also_when_the_same_bytes_come_again() {
    let env = Env::new();
    let path = fixture("openai-usage-json/usage_completions_page.json");
    for round in ["first import", "identical bytes again"] {
        let f = &env.json(&["import", &path])["files"][0];
        assert_eq!(f["rejected"][0]["record"], 3, "{round}: {f}");
        assert!(f["rejected"][0].get("line").is_none(), "{round}: {f}");
    }
    let text = env.ok(&["import", &path]);
    assert!(text.contains("usage_completions_page.json: record 3: bucket 3 result 1: "), "{text}");
    // A text file's rows stay lines, printed as `file:line:`.
    let text = env.ok(&["import", &fixture("bad/truncated-last-line.jsonl")]);
    assert!(text.contains("truncated-last-line.jsonl:2: truncated last line"), "{text}");
}
