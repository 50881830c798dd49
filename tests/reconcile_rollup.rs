//! Reconciliation reads the rollup, and gives the same lines as from the events: after
//! imports of logs and bills over several days and months, a link that supersedes the
//! logs' tokens and money, an undo and a re-import.
//!
//! The ledger is written by the real `tokenburn` binary; the lines are read in process, once
//! through the rollup (`reconcile`) and once from the events (`reconcile_from_events`, what
//! `reconcile` does when the rollup cannot be brought up to date).

mod common;

use chrono::NaiveDate;
use common::{fixture, Env};
use tokenburn::ledger::Ledger;
use tokenburn::reconcile::{self, Line, Period};

const ZONE: &str = "America/New_York";

fn write(env: &Env, rel: &str, text: &str) -> String {
    let p = env.dir.path().join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// One Claude Code assistant line: one request of `model` at `ts`.
fn assistant(id: &str, ts: &str, model: &str, input: i64, cache_5m: i64, cache_read: i64, output: i64) -> String {
    format!(
        r#"{{"parentUuid":"p","isSidechain":false,"userType":"external","cwd":"/home/dev/recon","sessionId":"22222222-2222-3333-4444-555555555555","version":"1.0.98","message":{{"id":"msg_{id}","type":"message","role":"assistant","model":"{model}","content":[{{"type":"text","text":"ok"}}],"usage":{{"input_tokens":{input},"cache_creation_input_tokens":{cache_5m},"cache_read_input_tokens":{cache_read},"output_tokens":{output},"service_tier":"standard","cache_creation":{{"ephemeral_5m_input_tokens":{cache_5m},"ephemeral_1h_input_tokens":0}}}}}},"type":"assistant","uuid":"u-{id}","timestamp":"{ts}","requestId":"req_{id}"}}"#
    ) + "\n"
}

/// Transcripts over the end of May 2025 and the start of June (UTC), in New York local
/// days that differ from their UTC days near midnight.
fn transcripts() -> String {
    let mut s = String::new();
    s += &assistant("r1", "2025-05-30T15:00:00.000Z", "claude-sonnet-4-20250514", 1000, 0, 0, 500);
    // A model the price book does not know.
    s += &assistant("r2", "2025-05-30T16:00:00.000Z", "claude-imaginary-9", 100, 0, 0, 100);
    // Ten requests of 100k 5-minute cache writes each (none over 200k): the bill charges
    // them at the 1-hour rate.
    for i in 0..10 {
        s += &assistant(
            &format!("c{i}"),
            &format!("2025-05-31T12:0{i}:00.000Z"),
            "claude-sonnet-4-20250514",
            0,
            100_000,
            0,
            0,
        );
    }
    s += &assistant("u1", "2025-05-31T13:00:00.000Z", "claude-imaginary-9", 10, 0, 0, 10);
    // A long-context request (over 200k with its cache reads), on May 31 in New York but
    // June 1 in UTC; and one of exactly 200k, which is not.
    s += &assistant("l1", "2025-06-01T02:00:00.000Z", "claude-sonnet-4-20250514", 120_000, 0, 90_000, 1000);
    s += &assistant("l2", "2025-06-01T03:00:00.000Z", "claude-sonnet-4-20250514", 110_000, 0, 90_000, 1000);
    s += &assistant("r3", "2025-06-02T15:00:00.000Z", "claude-sonnet-4-20250514", 2000, 0, 0, 800);
    s += &assistant("r4", "2025-07-03T15:00:00.000Z", "claude-sonnet-4-20250514", 3000, 0, 0, 900);
    s
}

const COST_HEAD: &str = "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed,api_key_id,api_key_status\n";

fn cost_row(day: &str, model: &str, usd: &str) -> String {
    format!("{day},{model},Default,dev,message,≤ 200k,output,{usd},{usd},token,global,,apikey_01X,active\n")
}

/// The bill: the logged days (the 31st at the 1-hour cache rate: 1M x $6), a day with
/// nothing logged, and July.
fn bill() -> String {
    let mut s = COST_HEAD.to_string();
    s += &cost_row("2025-05-30", "Claude Sonnet 4", "0.0105");
    s += &cost_row("2025-05-31", "Claude Sonnet 4", "6.00");
    s += &cost_row("2025-06-01", "Claude Sonnet 4", "1.60");
    s += &cost_row("2025-06-02", "Claude Sonnet 4", "0.50");
    s += &cost_row("2025-06-03", "Claude Sonnet 4", "0.20");
    s += &cost_row("2025-07-03", "Claude Sonnet 4", "0.0225");
    s
}

/// Vendor usage of the 31st: once the transcripts' account is linked, its tokens replace
/// theirs that day.
const USAGE: &str = "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count,inference_geo,speed
2025-05-31,claude-sonnet-4-20250514,dev,Default,standard,≤ 200k,0,0,1000000,0,0,0,global,
";

/// Every question asked of both paths: each period, provider filter and start day, and the
/// dashboard's recent months at a few dates.
fn compare(env: &Env, step: &str) -> Vec<Line> {
    let ledger = Ledger::open(&env.db).unwrap();
    let conn = ledger.conn();
    let tz = tokenburn::ledger::queries::settings::tz(conn).unwrap();
    assert!(
        tokenburn::ledger::queries::rollup::refresh(conn, tz).unwrap(),
        "{step}: the rollup could not be brought up to date, so it would not be read"
    );
    let day = |s: &str| Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
    let mut all = Vec::new();
    for period in [Period::Day, Period::Month] {
        for provider in [None, Some("anthropic"), Some("openai"), Some("nobody")] {
            for since in [None, day("2025-05-31"), day("2025-06-01"), day("2025-07-01"), day("2026-08-01")] {
                let rolled = reconcile::reconcile(&ledger, period, provider, since).unwrap();
                let events = reconcile::reconcile_from_events(&ledger, period, provider, since).unwrap();
                assert_eq!(
                    rolled, events,
                    "{step}: reconcile {period:?} {provider:?} since {since:?} differs between the rollup and the events"
                );
                if provider.is_none() && since.is_none() && period == Period::Day {
                    all = rolled;
                }
            }
        }
    }
    for today in ["2025-06-15", "2025-07-01", "2026-08-20", "2026-09-02"] {
        let today = day(today).unwrap();
        let rolled = reconcile::recent(&ledger, today).unwrap();
        let since = chrono::Datelike::with_day(&today, 1).and_then(|d| d.checked_sub_months(chrono::Months::new(1)));
        let events = reconcile::reconcile_from_events(&ledger, Period::Month, None, since).unwrap();
        assert_eq!(rolled, events, "{step}: recent at {today} differs between the rollup and the events");
    }
    // The CLI reads the same lines.
    let cli = env.json(&["reconcile"]);
    assert_eq!(cli, serde_json::to_value(&all).unwrap(), "{step}: `tokenburn reconcile` differs");
    all
}

fn line<'a>(lines: &'a [Line], provider: &str, model: &str, period: &str) -> &'a Line {
    lines
        .iter()
        .find(|l| l.provider == provider && l.model == model && l.period == period)
        .unwrap_or_else(|| panic!("no line {provider} {model} {period}: {lines:#?}"))
}

fn has(l: &Line, cause: &str) -> bool {
    l.causes.iter().any(|c| c.contains(cause))
}

/// A second account of Claude Code transcripts (`laptop`, paying for itself), written through
/// the importers' write path: Anthropic's logs then have two accounts, and linking one leaves
/// the other.
fn laptop_transcript(env: &Env) {
    use tokenburn::ledger::queries::{events, imports};
    use tokenburn::model::{Authority, UsageEvent};
    let mut ledger = Ledger::open(&env.db).unwrap();
    ledger
        .write(|tx, book| {
            let new = imports::NewImport {
                path: "(laptop transcripts)",
                format: "claude-code",
                sha256: "",
                byte_start: 0,
                byte_end: 0,
                same_as: None,
            };
            let id = imports::insert(tx, &new, 0)?;
            let mut w = events::Writer::new(tx, "claude-code", Authority::Transcript, id)?;
            let ts = chrono::DateTime::parse_from_rfc3339("2025-06-02T16:00:00Z").unwrap().timestamp_millis();
            let mut ev = UsageEvent::new("laptop-1".into(), "anthropic", "claude-sonnet-4-20250514", ts, 1);
            ev.account = Some("laptop".into());
            ev.tokens.input = 5000;
            ev.tokens.requests = 1;
            w.upsert(&events::prepare("claude-code", Authority::Transcript, ev, book))?;
            let touched = w.finish()?;
            let counts = imports::Counts { rows: 1, added: 1, ..Default::default() };
            imports::finish(tx, id, &counts, imports::End { byte: 0, line: 1, state: None })?;
            tokenburn::spend::refresh_touched(tx, &touched)
        })
        .unwrap();
}

/// The ids of the imports of `path` (the latest last).
fn import_id(env: &Env, path: &str) -> String {
    let list = env.json(&["imports"]);
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["path"].as_str().is_some_and(|p| p.ends_with(path)))
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    ids.into_iter().max().unwrap_or_else(|| panic!("no import of {path}: {list}")).to_string()
}

#[test]
fn reconcile_reads_the_rollup_and_agrees_with_the_events() {
    let env = Env::new();
    env.ok(&["config", "set", "tz", ZONE]);
    for dir in ["claude-code", "claude-stats", "codex", "openai-costs-csv", "openai-usage-csv", "anthropic-usage-csv"] {
        env.json(&["import", &fixture(dir)]);
    }
    env.json(&["import", &write(&env, "logs/projects/-home-dev-recon/session.jsonl", &transcripts())]);
    env.json(&["import", &write(&env, "usage.csv", USAGE)]);
    let bill_path = write(&env, "cost.csv", &bill());
    env.json(&["import", &bill_path]);
    env.json(&["import", &fixture("anthropic-cost-csv")]);
    laptop_transcript(&env);
    let lines = compare(&env, "after the imports");

    // The scenario shows what each new rollup column carries.
    let may30 = line(&lines, "anthropic", "claude-sonnet-4", "2025-05-30");
    assert!(has(may30, "usage billed to another account: claude-code"), "{may30:?}");
    let unpriced = line(&lines, "anthropic", "claude-imaginary-9", "2025-05-30");
    assert!(unpriced.unpriced_events > 0 && has(unpriced, "unpriced model claude-imaginary-9"), "{unpriced:?}");
    let may31 = line(&lines, "anthropic", "claude-sonnet-4", "2025-05-31");
    assert!(has(may31, "1h vs 5m cache pricing"), "{may31:?}");
    let june1 = line(&lines, "anthropic", "claude-sonnet-4", "2025-06-01");
    assert!(has(june1, "long-context tier: 1 requests"), "{june1:?}");
    let june3 = line(&lines, "anthropic", "claude-sonnet-4", "2025-06-03");
    assert!(has(june3, "missing from the logs"), "{june3:?}");
    assert!(lines.iter().any(|l| l.provider == "openai" && has(l, "another account: codex")), "{lines:#?}");
    assert!(has(may30, "another account: laptop"), "{may30:?}");

    // Linked: the vendor usage of the 31st supersedes the transcripts' tokens, the bill their
    // money (an unpriced model among them too); reconciliation still compares every event.
    env.ok(&["account", "link", "claude-code", "--billed-by", "anthropic"]);
    let ledger = Ledger::open(&env.db).unwrap();
    let superseded: i64 = ledger
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM events WHERE source = 'claude-code' AND tokens_superseded = 1 AND money_superseded = 1
               AND cache_write_5m > 0 AND superseded = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(superseded >= 10, "the 31st's transcripts should give way to the vendor usage and the bill");
    let unpriced_superseded: i64 = ledger
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM events WHERE model = 'claude-imaginary-9' AND money_superseded = 1 AND cost_nanos IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(unpriced_superseded > 0, "an unpriced event's money should be superseded by the bill");
    drop(ledger);
    let lines = compare(&env, "after the link");
    let may31 = line(&lines, "anthropic", "claude-sonnet-4", "2025-05-31");
    assert!(has(may31, "1h vs 5m cache pricing"), "{may31:?}");
    let unpriced = line(&lines, "anthropic", "claude-imaginary-9", "2025-05-31");
    assert!(unpriced.unpriced_events > 0 && has(unpriced, "unpriced model claude-imaginary-9"), "{unpriced:?}");
    assert!(!has(may31, "another account: claude-code"), "{may31:?}");
    assert!(has(may31, "another account: laptop"), "{may31:?}");

    // Undo the bill, then import it again; undo the logs, then import them again.
    env.ok(&["imports", "rm", &import_id(&env, "/cost.csv")]);
    let without = compare(&env, "after removing the bill");
    assert!(without.iter().all(|l| l.period != "2025-06-03"), "{without:#?}");
    env.json(&["import", &bill_path]);
    assert_eq!(compare(&env, "after importing the bill again"), lines);
    env.ok(&["imports", "rm", &import_id(&env, "-home-dev-recon/session.jsonl")]);
    compare(&env, "after removing the logs");
    env.json(&["import", &write(&env, "logs/projects/-home-dev-recon/session.jsonl", &transcripts())]);
    assert_eq!(compare(&env, "after importing the logs again"), lines);
}
