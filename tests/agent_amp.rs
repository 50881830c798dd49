//! The `amp` importer (Amp threads) through the real CLI on temp ledgers: exact on the real
//! threads in ../shared/data/agent-logs/amp (skipped with a message when absent), and every
//! trap of the format on the project's own fixtures (tests/fixtures/amp).

mod common;

use common::*;
use serde_json::Value;
use tokenburn::money::Usd;

const A: &str = "T-0a000000-0000-4000-8000-000000000001.json";

fn usd(v: &Value, field: &str) -> Usd {
    Usd::parse(v[field].as_str().unwrap_or_else(|| panic!("{field} missing in {v}"))).unwrap()
}

/// (input, cache read, cache write, output, reasoning, total) of a report row.
fn tokens(r: &Value) -> [i64; 6] {
    ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "total_tokens"]
        .map(|f| int(r, f))
}

fn by_day(env: &Env) -> Value {
    env.json(&["report", "--by", "day", "--tz", "UTC", "--source", "amp"])
}

/// The CANONICAL block of recount-output.txt: one JSON row per UTC day.
fn canonical_days(recount: &str) -> Vec<Value> {
    let block = recount.split_once("CANONICAL").expect("a CANONICAL block").1;
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("{\"date\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn real_threads_equal_the_canonical_per_day_totals_and_credits_are_billed_at_a_cent() {
    let Some(data) = shared_data() else { return };
    let amp = data.join("agent-logs/amp");
    let env = Env::new();
    let out = env.json(&["import", amp.join("hackclub-club-dashboard").to_str().unwrap()]);
    for f in out["files"].as_array().unwrap() {
        assert_eq!(f["format"], "amp", "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }
    let rep = by_day(&env);
    let days = canonical_days(&std::fs::read_to_string(amp.join("recount-output.txt")).unwrap());
    assert_eq!(days.len(), 1, "the README names one UTC day");
    assert_eq!(rep["rows"].as_array().unwrap().len(), days.len(), "{rep}");
    for d in &days {
        let r = row(&rep, d["date"].as_str().unwrap());
        let want = [
            "input_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
            "total_tokens",
        ]
        .map(|f| d[f].as_i64().unwrap());
        assert_eq!(tokens(r), want, "{}", d["date"]);
    }
    // The README's table, written out: the canonical block must not drift from it either.
    assert_eq!(tokens(&rep["totals"]), [1_825, 105_733, 5_644, 999, 0, 114_201]);
    assert_eq!(int(&rep["totals"], "events"), 10);
    // 6.85599 credits at US$0.01 each, billed: spend, and never an estimate.
    assert_eq!(usd(&rep["totals"], "billed_usd"), Usd::parse("0.0685599").unwrap());
    assert_eq!(usd(&rep["totals"], "cost_usd"), Usd::parse("0.0685599").unwrap());
    assert_eq!(usd(&rep["totals"], "estimated_usd"), Usd(0));
    assert_eq!(int(&rep["totals"], "unpriced_events"), 0);

    let again = env.json(&["import", amp.join("hackclub-club-dashboard").to_str().unwrap()]);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(by_day(&env)["totals"], rep["totals"]);
}

#[test]
fn fixtures_count_each_billed_operation_once() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("amp/threads")]);
    for f in out["files"].as_array().unwrap() {
        assert_eq!(f["format"], "amp", "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }
    // Thread A: the title call (ledger only), two calls joined to their messages' cache
    // tokens, the last one written twice under one id; ~debug and the message usage add
    // nothing. Thread B: two calls without credits.
    assert_eq!(out["added"], 5, "{out}");
    let rep = by_day(&env);
    let a = row(&rep, "2025-10-27");
    assert_eq!(tokens(a), [590 + 12 + 7, 5_000 + 6_000, 1_000 + 300, 27 + 200 + 150, 0, 13_286]);
    assert_eq!(int(a, "events"), 3);
    // Credits, not creditsSinceLastUserMessage nor tokens x list price: 1.7876 credits.
    assert_eq!(usd(a, "billed_usd"), Usd::parse("0.017876").unwrap());
    assert_eq!(usd(a, "estimated_usd"), Usd(0));

    // No credits recorded: estimated from the price book ($3 in, $15 out, $0.30 cache read).
    let b = row(&rep, "2025-10-28");
    assert_eq!(tokens(b), [3, 2_000, 0, 40, 0, 2_043]);
    assert_eq!(usd(b, "billed_usd"), Usd(0));
    assert_eq!(usd(b, "estimated_usd"), Usd((3 * 3_000 + 40 * 15_000 + 2_000 * 300) as i64));
    // An unknown model is stored and unpriced, never $0; its message was edited away, so
    // its event keeps the ledger's own tokens.
    let c = row(&rep, "2025-10-29");
    assert_eq!(tokens(c), [100, 0, 0, 10, 0, 110]);
    assert_eq!(int(c, "unpriced_events"), 1);

    let again = env.json(&["import", &fixture("amp/threads")]);
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(by_day(&env)["totals"], rep["totals"]);
}

#[test]
fn an_earlier_revision_of_a_thread_adds_nothing_and_is_replaced_by_the_later_one() {
    let early = fixture(&format!("amp/revisions/threads/{A}"));
    let full = fixture(&format!("amp/threads/{A}"));
    let want = {
        let env = Env::new();
        env.json(&["import", &full]);
        by_day(&env)["totals"].clone()
    };
    // Early first (the first call's message still streaming, no cache tokens yet): the
    // full thread then upgrades that call and adds the one after it.
    let env = Env::new();
    let first = env.json(&["import", &early]);
    assert_eq!(first["added"], 2, "{first}");
    assert_eq!(int(&by_day(&env)["totals"], "cache_read_tokens"), 0);
    let second = env.json(&["import", &full])["files"][0].clone();
    assert_eq!((second["added"].as_i64(), second["updated"].as_i64()), (Some(1), Some(1)), "{second}");
    assert_eq!(by_day(&env)["totals"], want);
    // The early revision seen again (a stale copy) changes nothing.
    let third = env.json(&["import", &early])["files"][0].clone();
    assert_eq!((third["added"].as_i64(), third["updated"].as_i64()), (Some(0), Some(0)), "{third}");
    assert_eq!(by_day(&env)["totals"], want);
}

#[test]
fn bad_records_are_rejected_by_position_and_a_file_not_a_thread_is_an_error() {
    let env = Env::new();
    let out = env.json(&["import", &fixture("amp/bad")]);
    let f = &out["files"][0];
    assert_eq!(f["format"], "amp", "{f}");
    assert_eq!(f["added"], 1, "{f}");
    let rejected = f["rejected"].as_array().unwrap();
    let records: Vec<i64> = rejected.iter().map(|r| r["record"].as_i64().unwrap()).collect();
    assert_eq!(records, [2, 3, 4], "{f}");
    let reasons: Vec<&str> = rejected.iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].contains("\"yesterday\""), "{reasons:?}");
    assert!(reasons[1].contains("negative"), "{reasons:?}");
    assert!(reasons[2].contains("credits"), "{reasons:?}");
    let text = env.ok(&["import", &fixture("amp/bad")]);
    assert!(text.contains("T-0a000000-0000-4000-8000-000000000003.json: record 2: "), "{text}");

    // Not a thread: unrecognised by detection, and an error naming the file when forced;
    // nothing is written either way.
    let before = env.json(&["report"])["totals"].clone();
    let dir = env.dir.path().join("threads");
    std::fs::create_dir_all(&dir).unwrap();
    let not_thread = dir.join("T-not-a-thread.json");
    std::fs::write(&not_thread, "{\"id\": \"x\", \"messages\": []}\n").unwrap();
    let truncated = dir.join("T-truncated.json");
    let whole = std::fs::read_to_string(fixture(&format!("amp/threads/{A}"))).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    for (path, forced) in [(&not_thread, false), (&not_thread, true), (&truncated, true)] {
        let p = path.to_str().unwrap();
        let o = if forced { env.run(&["import", "--format", "amp", p]) } else { env.run(&["import", p]) };
        assert!(!o.status.success(), "{p}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(path.file_name().unwrap().to_str().unwrap()), "{err}");
    }
    assert_eq!(env.json(&["report"])["totals"], before);
}
