//! Vendor billing and usage exports (OpenAI, Anthropic, Cursor, OpenRouter, Copilot) through
//! the real CLI on temp ledgers: exact billed money, natural keys across re-imports and
//! overlapping exports, buckets and days, rejected rows with their physical lines, and the
//! encodings and line endings every CSV importer must read.
//!
//! Expected money is computed here from the files' own cost columns with an exact decimal
//! sum written for this test (rounded half-to-even to the nano-dollar per row), not taken
//! from the engine's parser.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

/// Nano-dollars of decimal text (`$1,234.5000000005`), rounded half-to-even per value;
/// `scale` 9 reads dollars, 7 reads cents. Independent of `tokenburn::money`.
fn nanos(text: &str, scale: u32) -> i128 {
    let t: String = text.trim().chars().filter(|c| !matches!(c, '$' | ',')).collect();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, t),
    };
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    assert!(int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()), "not a decimal: {text:?}");
    let keep: String = frac.chars().chain(std::iter::repeat('0')).take(scale as usize).collect();
    let rest: Vec<u32> = frac.chars().skip(scale as usize).map(|c| c.to_digit(10).unwrap()).collect();
    let mut v: i128 = format!("{int}{keep}").parse().unwrap();
    let first = rest.first().copied().unwrap_or(0);
    let tail_nonzero = rest.iter().skip(1).any(|&d| d != 0);
    if first > 5 || first == 5 && (tail_nonzero || v % 2 == 1) {
        v += 1;
    }
    if neg {
        -v
    } else {
        v
    }
}

fn dollars(text: &str) -> i128 {
    nanos(text, 9)
}

/// Reads a CSV (BOM and CRLF tolerated) as header-keyed rows.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let bytes = std::fs::read(path).unwrap();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes).to_vec();
    let delimiter = if bytes.split(|&b| b == b'\n').next().unwrap().contains(&b',') { b',' } else { b'\t' };
    let mut r = csv::ReaderBuilder::new().flexible(true).delimiter(delimiter).from_reader(&bytes[..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(|h| h.trim().to_string()).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header.iter().cloned().zip(rec.iter().map(|f| f.trim().to_string())).collect()
        })
        .collect()
}

/// One stored event, read from the ledger file.
#[derive(Debug, Clone, PartialEq)]
struct Ev {
    key: String,
    provider: String,
    account: Option<String>,
    model: String,
    project: Option<String>,
    ts_ms: i64,
    span_ms: i64,
    day: Option<String>,
    input: i64,
    cache_write_5m: i64,
    cache_write_1h: i64,
    cache_read: i64,
    output: i64,
    reasoning: i64,
    requests: i64,
    web_search_requests: i64,
    cost_nanos: Option<i64>,
    cost_kind: String,
    line: i64,
}

/// The natural keys of the events a file holds, by the hash the ledger stores for them (the
/// `key` column of the `events` view): the file is parsed again with its source.
fn keys_of(source: &dyn tokenburn::import::Source, path: &Path, keys: &mut BTreeMap<String, String>) {
    let mut ctx = tokenburn::import::ParseCtx::new(path);
    let mut input = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let _ = source.parse(&mut input, &mut ctx, &mut |ev| {
        let hash = tokenburn::ledger::queries::events::identity(source.name(), source.authority(), &ev);
        keys.insert(format!("{hash:016x}"), ev.key);
        Ok(())
    });
}

/// The stored events of `source`, with their natural keys (see [`keys_of`]; `rules` names
/// the rules file of a `--rules` import).
fn events(env: &Env, source: &str) -> Vec<Ev> {
    events_with(env, source, None)
}

fn events_with(env: &Env, source: &str, rules: Option<&str>) -> Vec<Ev> {
    let conn = rusqlite::Connection::open_with_flags(&env.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut keys = BTreeMap::new();
    let paths: Vec<String> = conn
        .prepare("SELECT DISTINCT path FROM imports WHERE format = ?1")
        .unwrap()
        .query_map([source], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let rules_source;
    let parser: &dyn tokenburn::import::Source = match rules {
        Some(r) => {
            rules_source = tokenburn::import::rules::Rules::load(Path::new(r)).unwrap().into_source();
            &rules_source
        }
        None => tokenburn::import::by_name(source).unwrap(),
    };
    for p in paths {
        keys_of(parser, Path::new(&p), &mut keys);
    }
    let mut stmt = conn
        .prepare(
            "SELECT key, provider, account, model, project, ts_ms, span_ms, day, input, cache_write_5m, cache_write_1h,
                    cache_read, output, reasoning, requests, web_search_requests, cost_nanos, cost_kind, line
             FROM events WHERE source = ?1 ORDER BY ts_ms, key",
        )
        .unwrap();
    let mut evs: Vec<Ev> = stmt
        .query_map([source], |r| {
            Ok(Ev {
                key: r.get(0)?,
                provider: r.get(1)?,
                account: r.get(2)?,
                model: r.get(3)?,
                project: r.get(4)?,
                ts_ms: r.get(5)?,
                span_ms: r.get(6)?,
                day: r.get(7)?,
                input: r.get(8)?,
                cache_write_5m: r.get(9)?,
                cache_write_1h: r.get(10)?,
                cache_read: r.get(11)?,
                output: r.get(12)?,
                reasoning: r.get(13)?,
                requests: r.get(14)?,
                web_search_requests: r.get(15)?,
                cost_nanos: r.get(16)?,
                cost_kind: r.get(17)?,
                line: r.get(18)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for e in &mut evs {
        e.key = keys
            .get(&e.key)
            .unwrap_or_else(|| panic!("no event of the imported files has the key hash {}", e.key))
            .clone();
    }
    evs.sort_by(|a, b| (a.ts_ms, &a.key).cmp(&(b.ts_ms, &b.key)));
    evs
}

/// Money of a kind (`billed`, `included`...) over a source's events, in nano-dollars.
fn money(evs: &[Ev], kind: &str) -> i128 {
    evs.iter().filter(|e| e.cost_kind == kind).map(|e| e.cost_nanos.unwrap_or(0) as i128).sum()
}

fn sum(evs: &[Ev], f: impl Fn(&Ev) -> i64) -> i64 {
    evs.iter().map(f).sum()
}

/// Imports and returns the one file's report.
fn import(env: &Env, path: &str) -> Value {
    let out = env.json(&["import", path]);
    assert_eq!(out["files"].as_array().unwrap().len(), 1, "{out}");
    out["files"][0].clone()
}

fn counts(f: &Value) -> (i64, i64, i64, usize) {
    (int(f, "added"), int(f, "updated"), int(f, "duplicates"), f["rejected"].as_array().unwrap().len())
}

/// The rejected rows of a text file: (line, reason).
fn rejected(f: &Value) -> Vec<(i64, String)> {
    rejected_at(f, "line")
}

/// The rejected rows of a JSON document: (record, reason).
fn rejected_records(f: &Value) -> Vec<(i64, String)> {
    rejected_at(f, "record")
}

fn rejected_at(f: &Value, position: &str) -> Vec<(i64, String)> {
    f["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[position].as_i64().unwrap(), r["reason"].as_str().unwrap().to_string()))
        .collect()
}

const DAY_MS: i64 = 86_400_000;

#[test]
fn real_openai_exports_import_exactly_once_in_csv_and_tsv() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("billing-exports/openai-guardian");
    let usage = dir.join("openai_completions_usage_daily_2025-10-05_2025-10-12.csv");
    let costs = dir.join("openai_costs_daily_2025-10-05_2025-10-12.csv");
    let env = Env::new();

    let f = import(&env, usage.to_str().unwrap());
    assert_eq!(f["format"], "openai-usage-csv");
    let rows = csv_rows(&usage);
    let used: Vec<_> = rows.iter().filter(|r| !r["model"].is_empty()).collect();
    assert_eq!(counts(&f), (used.len() as i64, 0, 0, 0), "the empty bucket is skipped, not rejected: {f}");
    let n = |r: &BTreeMap<String, String>, c: &str| r[c].parse::<f64>().unwrap() as i64;
    let evs = events(&env, "openai-usage-csv");
    let want_in: i64 = used.iter().map(|r| n(r, "input_tokens") - n(r, "input_cached_tokens")).sum();
    assert_eq!(sum(&evs, |e| e.input), want_in);
    assert_eq!(sum(&evs, |e| e.cache_read), used.iter().map(|r| n(r, "input_cached_tokens")).sum::<i64>());
    assert_eq!(sum(&evs, |e| e.output), used.iter().map(|r| n(r, "output_tokens")).sum::<i64>());
    assert_eq!(sum(&evs, |e| e.requests), used.iter().map(|r| n(r, "num_model_requests")).sum::<i64>());
    // The README's figures for this export.
    assert_eq!((sum(&evs, |e| e.requests), want_in + sum(&evs, |e| e.cache_read)), (53, 339_711));
    assert_eq!(sum(&evs, |e| e.output), 549_459);
    // Two rows of 2025-10-06 share every dimension and are two events.
    assert_eq!(evs.iter().filter(|e| e.day.as_deref() == Some("2025-10-06")).count(), 2);
    assert!(evs.iter().all(|e| e.span_ms == DAY_MS && e.day.is_some() && e.provider == "openai"));
    assert!(evs.iter().all(|e| e.cost_kind == "estimated"));

    let f = import(&env, costs.to_str().unwrap());
    assert_eq!(f["format"], "openai-costs-csv");
    let want: i128 =
        csv_rows(&costs).iter().filter(|r| !r["amount_value"].is_empty()).map(|r| dollars(&r["amount_value"])).sum();
    assert_eq!(want, dollars("2.98595375"));
    let cost_evs = events(&env, "openai-costs-csv");
    assert_eq!(money(&cost_evs, "billed"), want);
    let rep = env.json(&["report", "--by", "source"]);
    assert_eq!(row(&rep, "openai-costs-csv")["cost_usd"], "2.98595375");

    // The TSV paste of the same exports (3 rows with a surplus empty field) adds nothing.
    for tsv in
        ["openai_completions_usage_daily_2025-10-05_2025-10-12.tsv", "openai_costs_daily_2025-10-05_2025-10-12.tsv"]
    {
        let f = import(&env, dir.join(tsv).to_str().unwrap());
        assert_eq!((int(&f, "added"), int(&f, "updated")), (0, 0), "{f}");
        assert_eq!(f["rejected"].as_array().unwrap().len(), 0, "{f}");
    }
    // Importing again is a no-op too.
    assert_eq!(env.json(&["import", dir.to_str().unwrap()])["added"], 0);
    assert_eq!(events(&env, "openai-costs-csv"), cost_evs);
}

#[test]
fn openai_usage_overlapping_exports_add_each_row_once_and_keep_the_full_day() {
    let a = fixture("openai-usage-csv/completions_usage_2025-10-01_2025-10-15.csv");
    let b = fixture("openai-usage-csv/completions_usage_2025-10-10_2025-10-31.csv");
    let env = Env::new();
    // 7 rows: 1 empty bucket, 2 rows sharing all dimensions, 2 byte-identical rows.
    assert_eq!(counts(&import(&env, &a)), (6, 0, 0, 0));
    // Oct 10-31 repeats Oct 11 (two identical rows), completes the partial Oct 15, adds Oct 20.
    assert_eq!(counts(&import(&env, &b)), (1, 1, 2, 0));
    let evs = events(&env, "openai-usage-csv");
    assert_eq!(evs.len(), 7);
    let oct15: Vec<_> = evs.iter().filter(|e| e.day.as_deref() == Some("2025-10-15")).collect();
    assert_eq!((oct15.len(), oct15[0].input, oct15[0].cache_read, oct15[0].requests), (1, 5000 - 1024, 1024, 5));
    assert_eq!(evs.iter().filter(|e| e.day.as_deref() == Some("2025-10-11")).count(), 2);

    // In the other order, and twice, the ledger ends the same.
    let env2 = Env::new();
    for f in [&b, &a, &b, &a] {
        env2.json(&["import", f]);
    }
    let strip = |v: Vec<Ev>| v.into_iter().map(|e| Ev { line: 0, ..e }).collect::<Vec<_>>();
    assert_eq!(strip(events(&env2, "openai-usage-csv")), strip(evs.clone()));

    // Rows keep their group-by dimensions and their tokens: cached tokens are inside input.
    let first = &evs[0];
    assert_eq!(first.key, "1759276800|proj_alpha|user-one|key_one|gpt-5-2025-08-07|false|default");
    assert_eq!((first.input, first.cache_read, first.output, first.requests), (46264 - 8192, 8192, 60000, 8));
    assert_eq!(evs[1].key, format!("{}#1", first.key));
    assert_eq!(first.project.as_deref(), Some("proj_alpha"));
    assert!(evs.iter().any(|e| e.key.contains("|true|flex")), "batch TRUE/True/true all read as true");
}

#[test]
fn whole_utc_days_keep_their_date_in_every_zone_and_hours_fall_by_their_start() {
    let env = Env::new();
    env.json(&["import", &fixture("openai-usage-csv/completions_usage_2025-10-01_2025-10-15.csv")]);
    env.json(&["import", &fixture("openai-usage-csv/completions_usage_hourly_bom_crlf.csv")]);
    for tz in ["UTC", "Pacific/Auckland", "America/Los_Angeles"] {
        let rep = env.json(&["report", "--by", "day", "--tz", tz, "--until", "2025-10-02"]);
        assert_eq!(int(row(&rep, "2025-10-01"), "events"), 2, "{tz}");
        assert_eq!(int(row(&rep, "2025-10-02"), "events"), 1, "{tz}");
    }
    // 2025-10-05T23:00Z and 2025-10-06T00:00Z hour buckets.
    let q =
        |tz: &str| env.json(&["report", "--by", "day", "--tz", tz, "--since", "2025-10-04", "--until", "2025-10-07"]);
    let utc = q("UTC");
    assert_eq!((int(row(&utc, "2025-10-05"), "events"), int(row(&utc, "2025-10-06"), "events")), (2, 1));
    let akl = q("Pacific/Auckland");
    assert_eq!(akl["rows"].as_array().unwrap().len(), 1);
    assert_eq!(int(row(&akl, "2025-10-06"), "events"), 3);
    let hours = events(&env, "openai-usage-csv").into_iter().filter(|e| e.span_ms == 3_600_000).count();
    assert_eq!(hours, 3);
    assert!(events(&env, "openai-usage-csv").iter().all(|e| (e.span_ms == DAY_MS) == e.day.is_some()));
}

#[test]
fn bad_rows_are_reported_by_physical_line_with_bom_crlf_and_multiline_fields() {
    let env = Env::new();
    let f = import(&env, &fixture("openai-usage-csv/completions_usage_hourly_bom_crlf.csv"));
    // Line 4-5 is one row with a quoted newline; line 6 has a surplus non-empty field;
    // line 7's surplus field is empty (a paste artifact) and is fine.
    assert_eq!(
        rejected(&f),
        vec![
            (3, "input_tokens: \"12x\" is not a whole count".to_string()),
            (6, "the row has 25 fields; the header has 24".to_string())
        ]
    );
    assert_eq!(int(&f, "added"), 3);
    let evs = events(&env, "openai-usage-csv");
    let line = |n: i64| evs.iter().find(|e| e.line == n).unwrap();
    assert_eq!(evs.len(), 3);
    assert_eq!(line(2).input, 1024, "quoted thousands separator");
    assert_eq!(line(4).project.as_deref(), Some("proj\r\nwith a newline"), "a quoted CRLF is kept");
    assert_eq!(line(7).cache_read, 500);
    let text = env.ok(&["import", &fixture("openai-usage-csv/completions_usage_hourly_bom_crlf.csv"), "--dry-run"]);
    assert!(text.contains("completions_usage_hourly_bom_crlf.csv:6: the row has 25 fields"), "{text}");

    let f = import(&env, &fixture("openai-costs-csv/costs_bad_rows.csv"));
    assert_eq!(
        rejected(&f),
        vec![(3, "amount: not a decimal number: \"n/a\"".to_string()), (4, "currency \"eur\" is not USD".to_string())]
    );
    assert_eq!(money(&events(&env, "openai-costs-csv"), "billed"), dollars("0.5") + dollars("0.125"));
}

#[test]
fn minute_buckets_tab_separated_and_the_empty_export() {
    let env = Env::new();
    let f = import(&env, &fixture("openai-usage-csv/completions_usage_minute.tsv"));
    assert_eq!((f["format"].as_str(), counts(&f)), (Some("openai-usage-csv"), (3, 0, 0, 0)));
    let evs = events(&env, "openai-usage-csv");
    assert!(evs.iter().all(|e| e.span_ms == 60_000 && e.day.is_none()));
    assert_eq!(evs.windows(2).map(|w| w[1].ts_ms - w[0].ts_ms).collect::<Vec<_>>(), vec![60_000, 60_000]);

    let f = import(&env, &fixture("openai-usage-csv/completions_usage_empty_export.csv"));
    assert_eq!((f["format"].as_str(), int(&f, "rows"), counts(&f)), (Some("openai-usage-csv"), 2, (0, 0, 0, 0)));
}

#[test]
fn openai_costs_are_billed_exactly_and_overlaps_add_once() {
    let a = fixture("openai-costs-csv/costs_2025-10-01_2025-10-15.csv");
    let b = fixture("openai-costs-csv/costs_2025-10-10_2025-10-31.csv");
    let env = Env::new();
    assert_eq!(counts(&import(&env, &a)), (7, 0, 0, 0));
    assert_eq!(counts(&import(&env, &b)), (1, 1, 2, 0));
    // The union of both files by day, the later export's amount for a day it repeats.
    let mut by_day = BTreeMap::new();
    for f in [&a, &b] {
        for r in csv_rows(Path::new(f)) {
            if !r["amount_value"].is_empty() {
                by_day.insert(r["start_time"].clone(), dollars(&r["amount_value"]));
            }
        }
    }
    let evs = events(&env, "openai-costs-csv");
    assert_eq!(money(&evs, "billed"), by_day.values().sum::<i128>());
    assert_eq!(evs.len(), by_day.len());
    // Half-to-even at the ninth decimal, once per row.
    let cost_of = |day: &str| evs.iter().find(|e| e.day.as_deref() == Some(day)).unwrap().cost_nanos.unwrap();
    assert_eq!(cost_of("2025-10-03"), 2); // 0.0000000025
    assert_eq!(cost_of("2025-10-05"), 4); // 0.0000000035
    assert_eq!(cost_of("2025-10-11"), 123_456_790); // 0.12345678950000001
    assert_eq!(cost_of("2025-10-20"), 1_000_000_000); // 1.00000000049999999
    assert!(evs.iter().all(|e| e.model == "(all models)" && e.input + e.output == 0));

    let f = import(&env, &fixture("openai-costs-csv/costs_by_line_item_and_project.csv"));
    assert_eq!(counts(&f), (6, 0, 0, 0), "two identical rows are two line items");
    let want: i128 = csv_rows(&fixtures().join("openai-costs-csv/costs_by_line_item_and_project.csv"))
        .iter()
        .map(|r| dollars(&r["amount_value"]))
        .sum();
    let evs: Vec<_> = events(&env, "openai-costs-csv").into_iter().filter(|e| e.project.is_some()).collect();
    assert_eq!(money(&evs, "billed"), want);
    assert!(evs.iter().any(|e| e.model == "gpt-4o-2024-08-06, input" && e.project.as_deref() == Some("proj_beta")));
}

/// Per import: the events that name it (`imports.held`, as `imports` lists them) and the
/// events it delivered at all, counted from the rows.
fn deliveries(env: &Env) -> BTreeMap<i64, (i64, i64, i64)> {
    let sql = "SELECT i.id, i.held, (SELECT COUNT(*) FROM event_rows e WHERE e.import_id = i.id),
                      (SELECT COUNT(*) FROM event_imports d WHERE d.import_id = i.id)
               FROM imports i ORDER BY i.id";
    query(env, sql, |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))).into_iter().collect()
}

/// The rows `sql` reads from the ledger file, opened read-only.
fn query<T>(env: &Env, sql: &str, row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>) -> Vec<T> {
    let conn = rusqlite::Connection::open_with_flags(&env.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt.query_map([], row).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn undoing_one_of_two_overlapping_exports_keeps_what_the_other_delivered() {
    let a = fixture("openai-costs-csv/costs_2025-10-01_2025-10-15.csv");
    let b = fixture("openai-costs-csv/costs_2025-10-10_2025-10-31.csv");
    let env = Env::new();
    let (ia, ib) = (import(&env, &a)["import_id"].as_i64().unwrap(), import(&env, &b)["import_id"].as_i64().unwrap());
    let both = events(&env, "openai-costs-csv");
    // a: 7 rows, b: 4, of which 3 repeat a's days (one with a new amount).
    assert_eq!(deliveries(&env), BTreeMap::from([(ia, (6, 6, 7)), (ib, (2, 2, 4))]));

    let r = env.json(&["imports", "rm", &ia.to_string()]);
    assert_eq!((r["removed_events"].as_i64(), r["kept_events"].as_i64()), (Some(4), Some(3)));
    // b now names every event it delivered, and they are as b delivered them.
    assert_eq!(deliveries(&env), BTreeMap::from([(ib, (4, 4, 4))]));
    let only_b = Env::new();
    import(&only_b, &b);
    let strip = |evs: Vec<Ev>| evs.into_iter().map(|e| (e.key, e.day, e.cost_nanos)).collect::<Vec<_>>();
    assert_eq!(strip(events(&env, "openai-costs-csv")), strip(events(&only_b, "openai-costs-csv")));
    assert_eq!(env.json(&["report", "--by", "day"]), only_b.json(&["report", "--by", "day"]));

    // Importing a again restores the union, and undoing b then leaves a's days.
    import(&env, &a);
    assert_eq!(strip(events(&env, "openai-costs-csv")).len(), both.len());
    let r = env.json(&["imports", "rm", &ib.to_string()]);
    assert_eq!((r["removed_events"].as_i64(), r["kept_events"].as_i64()), (Some(1), Some(3)));
    // The same events as a alone, the day b re-billed with a's amount again.
    let only_a = Env::new();
    import(&only_a, &a);
    assert_eq!(strip(events(&env, "openai-costs-csv")), strip(events(&only_a, "openai-costs-csv")));
    assert_eq!(env.json(&["report", "--by", "day"]), only_a.json(&["report", "--by", "day"]));
    let held: Vec<(i64, i64, i64)> = deliveries(&env).into_values().collect();
    assert_eq!(held, vec![(7, 7, 7)]);
}

/// The versions each import delivered (`event_versions`): (import, UTC day, cost).
fn versions(env: &Env) -> Vec<(i64, i64, Option<i64>)> {
    let sql = "SELECT import_id, utc_day, cost_nanos FROM event_versions ORDER BY import_id, utc_day";
    query(env, sql, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}

#[test]
fn undo_gives_an_event_back_the_version_the_remaining_imports_delivered() {
    // a bills Oct 15 in part ($0.072054), b in full ($0.5455665).
    let a = fixture("openai-costs-csv/costs_2025-10-01_2025-10-15.csv");
    let b = fixture("openai-costs-csv/costs_2025-10-10_2025-10-31.csv");
    let only_a = Env::new();
    import(&only_a, &a);
    let strip = |evs: Vec<Ev>| evs.into_iter().map(|e| (e.key, e.day, e.cost_nanos)).collect::<Vec<_>>();
    let oct15 = |env: &Env| {
        let evs = events(env, "openai-costs-csv");
        evs.into_iter().find(|e| e.day.as_deref() == Some("2025-10-15")).unwrap().cost_nanos.unwrap() as i128
    };
    let oct15_day = 20376; // 2025-10-15 in days since 1970-01-01

    // b first: a's Oct 15 is a lower version of the stored one, kept as a's.
    let env = Env::new();
    let ib = import(&env, &b)["import_id"].as_i64().unwrap();
    let ia = import(&env, &a)["import_id"].as_i64().unwrap();
    assert_eq!(oct15(&env), dollars("0.5455665"));
    assert_eq!(versions(&env), vec![(ia, oct15_day, Some(72_054_000))]);
    let r = env.json(&["imports", "rm", &ib.to_string()]);
    assert_eq!((r["removed_events"].as_i64(), r["kept_events"].as_i64()), (Some(1), Some(3)));
    assert_eq!(oct15(&env), dollars("0.072054"));
    assert_eq!(strip(events(&env, "openai-costs-csv")), strip(events(&only_a, "openai-costs-csv")));
    assert_eq!(env.json(&["report", "--by", "day"]), only_a.json(&["report", "--by", "day"]));
    assert_eq!(versions(&env), vec![], "the restored version is the stored one");

    // a twice (other bytes: CRLF), then b: b's better Oct 15 replaces the version both copies
    // of a delivered, and undoing b, then a, leaves the copy with a's version.
    let env = Env::new();
    let crlf = env.dir.path().join("costs_2025-10-01_2025-10-15-crlf.csv");
    std::fs::write(&crlf, std::fs::read_to_string(&a).unwrap().replace('\n', "\r\n")).unwrap();
    let crlf = crlf.to_str().unwrap();
    let ia = import(&env, &a)["import_id"].as_i64().unwrap();
    let ic = import(&env, crlf)["import_id"].as_i64().unwrap();
    let ib = import(&env, &b)["import_id"].as_i64().unwrap();
    assert_eq!(oct15(&env), dollars("0.5455665"));
    let partial = Some(72_054_000);
    assert_eq!(versions(&env), vec![(ia, oct15_day, partial), (ic, oct15_day, partial)]);
    env.json(&["imports", "rm", &ib.to_string()]);
    assert_eq!(oct15(&env), dollars("0.072054"));
    env.json(&["imports", "rm", &ia.to_string()]);
    assert_eq!(strip(events(&env, "openai-costs-csv")), strip(events(&only_a, "openai-costs-csv")));
    assert_eq!(env.json(&["report", "--by", "day"]), only_a.json(&["report", "--by", "day"]));
    assert_eq!(deliveries(&env), BTreeMap::from([(ic, (7, 7, 7))]));

    // a, b, then a's very bytes again (not parsed: it takes a's place once a is undone,
    // versions too), so undoing b still gives Oct 15 back a's amount.
    let env = Env::new();
    let ia = import(&env, &a)["import_id"].as_i64().unwrap();
    let ib = import(&env, &b)["import_id"].as_i64().unwrap();
    let again = import(&env, &a)["import_id"].as_i64().unwrap();
    env.json(&["imports", "rm", &ia.to_string()]);
    assert_eq!(versions(&env), vec![(again, oct15_day, partial)]);
    env.json(&["imports", "rm", &ib.to_string()]);
    assert_eq!(strip(events(&env, "openai-costs-csv")), strip(events(&only_a, "openai-costs-csv")));
    assert_eq!(deliveries(&env), BTreeMap::from([(again, (7, 7, 7))]));
}

#[test]
fn a_restored_estimate_is_priced_by_todays_book() {
    // b completes a's partial Oct 15 bucket of gpt-5-mini; the price changes after both.
    let a = fixture("openai-usage-csv/completions_usage_2025-10-01_2025-10-15.csv");
    let b = fixture("openai-usage-csv/completions_usage_2025-10-10_2025-10-31.csv");
    let price = ["prices", "set", "gpt-5-mini-2025-08-07", "--input", "1", "--output", "2"];
    let env = Env::new();
    import(&env, &a);
    let ib = import(&env, &b)["import_id"].as_i64().unwrap();
    env.ok(&price);
    env.json(&["imports", "rm", &ib.to_string()]);
    let fresh = Env::new();
    fresh.ok(&price);
    import(&fresh, &a);
    let evs = events(&env, "openai-usage-csv");
    assert_eq!(evs, events(&fresh, "openai-usage-csv"));
    let oct15 = evs.iter().find(|e| e.day.as_deref() == Some("2025-10-15")).unwrap();
    assert_eq!((oct15.input, oct15.output, oct15.requests), (3000 - 1024, 300, 3), "a's partial bucket");
    assert_eq!(env.json(&["report", "--by", "day"]), fresh.json(&["report", "--by", "day"]));
}

#[test]
fn openai_api_pages_read_numbers_and_strings_exactly() {
    let env = Env::new();
    let f = import(&env, &fixture("openai-usage-json/usage_completions_page.json"));
    assert_eq!(f["format"], "openai-usage-json");
    assert_eq!(counts(&f), (2, 0, 0, 1));
    assert_eq!(rejected_records(&f)[0].0, 3);
    assert!(rejected_records(&f)[0]
        .1
        .contains("bucket 3 result 1: input_cached_tokens 200 is more than input_tokens 100"));
    let f = import(&env, &fixture("openai-usage-json/usage_completions_pages.json"));
    assert_eq!(counts(&f), (1, 0, 2, 1), "the repeated page adds nothing");
    let evs = events(&env, "openai-usage-json");
    assert_eq!(sum(&evs, |e| e.input), (5000 - 1800) + 2000 + (3000 - 1000));
    assert_eq!(sum(&evs, |e| e.cache_read), 1800 + 1000);
    assert_eq!(sum(&evs, |e| e.requests), 5 + 2 + 3);
    assert!(evs.iter().any(|e| e.key.ends_with("|gpt-4o-mini-2024-07-18|true|default")));
    assert_eq!(evs.iter().filter(|e| e.span_ms == 3_600_000 && e.day.is_none()).count(), 1);

    let f = import(&env, &fixture("openai-costs-json/costs_page.json"));
    assert_eq!((f["format"].as_str(), counts(&f)), (Some("openai-costs-json"), (3, 0, 0, 0)));
    let evs = events(&env, "openai-costs-json");
    // 0.06 (number), "12.50" (string), 0.00000000150000000001 (number, rounds up to 2 nanos).
    assert_eq!(money(&evs, "billed"), dollars("0.06") + dollars("12.50") + 2);
    assert_eq!(evs.iter().filter(|e| e.day.as_deref() == Some("2025-10-01")).count(), 3);
}

#[test]
fn anthropic_console_usage_both_header_variants() {
    let env = Env::new();
    let f = import(&env, &fixture("anthropic-usage-csv/claude_api_usage_2026-08.csv"));
    assert_eq!(f["format"], "anthropic-usage-csv");
    assert_eq!(rejected(&f), vec![(7, "usage_input_tokens_no_cache: \"-5\" is not a whole count".to_string())]);
    let evs = events(&env, "anthropic-usage-csv");
    assert_eq!(evs.len(), 5);
    let long = evs.iter().find(|e| e.key.contains("> 200k")).unwrap();
    assert_eq!(
        (long.input, long.cache_write_5m, long.cache_write_1h, long.cache_read, long.output),
        (250_000, 1_000, 2_000, 5_000, 1_200)
    );
    assert!(evs.iter().filter(|e| e.key.contains("≤ 200k")).count() == 4, "the ≤ is read as UTF-8");
    assert_eq!(sum(&evs, |e| e.web_search_requests), 10);
    assert!(evs.iter().any(|e| e.model == "claude-opus-4-6-fast"), "speed = fast");
    assert!(evs.iter().all(|e| e.span_ms == DAY_MS && e.day.is_some() && e.cost_kind == "estimated"));
    assert_eq!(evs.iter().filter(|e| e.project.as_deref() == Some("Claude Code")).count(), 2);

    // The old single cache-write column, with BOM, CRLF and "12,000"; two identical rows.
    let f = import(&env, &fixture("anthropic-usage-csv/claude_api_usage_old_single_cache_write.csv"));
    assert_eq!(counts(&f), (2, 0, 0, 0));
    let old: Vec<_> = events(&env, "anthropic-usage-csv").into_iter().filter(|e| e.model.contains("haiku")).collect();
    assert_eq!((old[0].input, old[0].cache_write_5m, old[0].cache_read, old[0].output), (12_000, 3_000, 40_000, 2_500));
    // Priced from the price book, like any usage.
    let rep = env.json(&["report", "--by", "model"]);
    assert_eq!(int(row(&rep, "claude-3-5-haiku-20241022"), "unpriced_events"), 0);
}

#[test]
fn anthropic_costs_csv_dollars_and_api_cents() {
    let env = Env::new();
    let path = fixture("anthropic-cost-csv/claude_api_cost_2026-08.csv");
    let f = import(&env, &path);
    assert_eq!((f["format"].as_str(), counts(&f)), (Some("anthropic-cost-csv"), (7, 0, 0, 0)));
    let evs = events(&env, "anthropic-cost-csv");
    let want: i128 = csv_rows(Path::new(&path)).iter().map(|r| dollars(&r["cost_usd"])).sum();
    assert_eq!(money(&evs, "billed"), want);
    let models: std::collections::BTreeSet<_> = evs.iter().map(|e| e.model.as_str()).collect();
    assert_eq!(
        models.into_iter().collect::<Vec<_>>(),
        ["(all models)", "claude-haiku-4-5", "claude-opus-4-1", "claude-sonnet-4-5"]
    );
    assert!(evs.iter().all(|e| e.provider == "anthropic" && e.day.is_some()));
    let again = import(&env, &path);
    assert!(again["same_as"].is_i64() && int(&again, "added") == 0, "identical bytes are not parsed again: {again}");
    assert_eq!(events(&env, "anthropic-cost-csv").len(), 7);

    let f = import(&env, &fixture("anthropic-cost-json/cost_report.json"));
    assert_eq!((f["format"].as_str(), counts(&f)), (Some("anthropic-cost-json"), (3, 0, 0, 0)));
    let evs = events(&env, "anthropic-cost-json");
    // Cents as decimal strings: "123.78912" + "0.000000005" (rounds to 0) + "250".
    let want = nanos("123.78912", 7) + nanos("0.000000005", 7) + nanos("250", 7);
    assert_eq!(want, dollars("3.7378912"));
    assert_eq!(money(&evs, "billed"), want);
    assert!(evs.iter().any(|e| e.model == "Web Search Usage" && e.project.is_none()));
    assert!(evs.iter().all(|e| e.day.as_deref() == Some("2025-08-01")));
}

#[test]
fn cursor_all_four_header_variants_and_their_kinds() {
    let env = Env::new();
    let p2025 = fixture("cursor-csv/usage-events-2025.csv");
    let f = import(&env, &p2025);
    assert_eq!(f["format"], "cursor-csv");
    // CRLF file: header line 1, the row whose columns do not add up is line 8.
    assert_eq!(rejected(&f), vec![(8, "the token columns add up to 110, but Total Tokens is 999".to_string())]);
    let evs = events(&env, "cursor-csv");
    assert_eq!(evs.len(), 7, "a repeated identical row is its own event");
    let by_model = |m: &str| evs.iter().filter(|e| e.model == m).collect::<Vec<_>>();
    let auto = by_model("auto")[0];
    assert_eq!((auto.cost_kind.as_str(), auto.cost_nanos), ("included", Some(190_000_000)));
    assert_eq!(
        (auto.cache_write_5m, auto.input, auto.cache_read, auto.output),
        (28_342, 775, 105_891, 21_282),
        "disjoint columns"
    );
    let own_key = by_model("claude-4.5-sonnet")[0];
    assert_eq!(
        (own_key.cost_kind.as_str(), own_key.cost_nanos.is_some(), own_key.account.as_deref()),
        ("estimated", false, Some("anthropic"))
    );
    let nan = by_model("gpt-5")[0];
    // No account of its own: the ledger books it to the source's account.
    assert_eq!((nan.cost_kind.as_str(), nan.account.as_deref().unwrap_or("cursor")), ("estimated", "cursor"));
    let composer = by_model("composer-2-fast")[0];
    assert_eq!(
        (composer.cost_kind.as_str(), composer.cost_nanos, composer.provider.as_str()),
        ("included", None, "cursor")
    );
    let thinking = by_model("claude-4.5-sonnet-thinking")[0];
    assert_eq!(
        (thinking.input, thinking.cache_write_5m, thinking.cache_read, thinking.output),
        (2_000, 1_000, 30_000, 1_500)
    );
    assert!(by_model("gpt-5-codex")
        .iter()
        .all(|e| e.provider == "openai" && e.account.as_deref().unwrap_or("cursor") == "cursor"));
    // Billed money is the Cost of every accepted On-Demand row that states one.
    let want: i128 = csv_rows(Path::new(&p2025))
        .iter()
        .filter(|r| r["Kind"] == "On-Demand" && r["Total Tokens"] != "999")
        .filter(|r| r["Cost"].starts_with('$') || r["Cost"].starts_with('0'))
        .map(|r| dollars(&r["Cost"]))
        .sum();
    assert_eq!(money(&evs, "billed"), want);
    assert_eq!(want, dollars("0.03") * 2 + dollars("0.32"));

    let f = import(&env, &fixture("cursor-csv/usage-events-old.csv"));
    assert_eq!(counts(&f), (2, 0, 0, 0));
    let f = import(&env, &fixture("cursor-csv/usage-events-2026.csv"));
    assert_eq!(counts(&f), (2, 0, 0, 0));
    let f = import(&env, &fixture("cursor-csv/usage-events-team.csv"));
    assert_eq!(counts(&f), (2, 0, 0, 0));
    let evs = events(&env, "cursor-csv");
    let old: Vec<_> = evs.iter().filter(|e| e.model == "claude-4-sonnet").collect();
    assert_eq!(
        old.iter().map(|e| (e.cost_kind.as_str(), e.cost_nanos)).collect::<Vec<_>>(),
        [("included", Some(50_000_000)), ("billed", Some(20_000_000))]
    );
    let agent = evs.iter().find(|e| e.key.contains("|bc-123|")).unwrap();
    assert_eq!((agent.cost_kind.as_str(), agent.cost_nanos), ("billed", Some(1_250_000_000)));
    let team: Vec<_> = evs.iter().filter(|e| e.key.contains("@example.com")).collect();
    assert_eq!(team.iter().map(|e| e.requests).collect::<Vec<_>>(), [1, 2], "2.5 requests round half to even");
    assert!(team.iter().all(|e| e.cost_nanos.is_none() || e.cost_kind == "estimated"));
    assert_eq!(team[1].cost_kind, "estimated", "On-Demand without a Cost column is estimated");
}

#[test]
fn openrouter_dedupes_generations_and_reads_naive_times_as_utc() {
    let env = Env::new();
    let a = fixture("openrouter-csv/openrouter_activity_2026-06-28.csv");
    let f = import(&env, &a);
    assert_eq!(f["format"], "openrouter-csv");
    assert_eq!(counts(&f), (3, 0, 1, 1));
    assert_eq!(rejected(&f), vec![(6, "created_at \"yesterday\" is not a date and time".to_string())]);
    assert_eq!(counts(&import(&env, &fixture("openrouter-csv/openrouter_activity_2026-06-29.csv"))), (0, 0, 2, 0));
    let evs = events(&env, "openrouter-csv");
    let mut want = BTreeMap::new();
    for r in csv_rows(Path::new(&a)).iter().filter(|r| r["created_at"] != "yesterday") {
        want.insert(r["generation_id"].clone(), dollars(&r["cost_total"]));
    }
    assert_eq!(money(&evs, "billed"), want.values().sum::<i128>());
    let claude = evs.iter().find(|e| e.key == "gen-1782618500-reasonBBB").unwrap();
    assert_eq!(
        (claude.input, claude.cache_read, claude.output, claude.reasoning, claude.cost_nanos),
        (5_000, 15_000, 5_000, 3_000, Some(2))
    );
    assert_eq!(
        (claude.provider.as_str(), claude.account.as_deref().unwrap_or("openrouter")),
        ("anthropic", "openrouter")
    );
    assert_eq!(claude.ts_ms, 1_782_691_199_999, "2026-06-28 23:59:59.999 UTC");
    assert!(evs.iter().any(|e| e.provider == "deepseek" && e.input == 1_200));
    let utc = env.json(&["report", "--by", "day", "--tz", "UTC"]);
    assert_eq!(int(row(&utc, "2026-06-28"), "events"), 2);
    assert_eq!(int(row(&utc, "2026-06-29"), "events"), 1);
    // NZST is UTC+12 in June: 23:59:59.999Z falls on the next day there.
    let akl = env.json(&["report", "--by", "day", "--tz", "Pacific/Auckland"]);
    assert_eq!(int(row(&akl, "2026-06-28"), "events"), 1);
    assert_eq!(int(row(&akl, "2026-06-29"), "events"), 2);
}

#[test]
fn copilot_reports_us_dates_fractional_requests_quota_and_seats() {
    let env = Env::new();
    let p = fixture("copilot-csv/premium_request_usage_report.csv");
    let f = import(&env, &p);
    assert_eq!((f["format"].as_str(), counts(&f)), (Some("copilot-csv"), (4, 0, 0, 0)));
    let evs = events(&env, "copilot-csv");
    let want: i128 = csv_rows(Path::new(&p)).iter().map(|r| dollars(&r["net_amount"])).sum();
    assert_eq!(money(&evs, "billed"), want);
    assert_eq!(money(&evs, "included"), dollars("0.144"), "within quota: the gross is value, not spend");
    assert_eq!(evs.iter().map(|e| e.requests).collect::<Vec<_>>(), [4, 2, 1, 1], "3.6, 2.5, 0.9, 1");
    let models: Vec<_> = evs.iter().map(|e| e.model.as_str()).collect();
    assert_eq!(models, ["claude-sonnet-4", "claude-sonnet-4", "auto-claude-haiku-4-5", "code-review-model"]);
    assert!(evs.iter().all(|e| e.span_ms == DAY_MS));

    let f = import(&env, &fixture("copilot-csv/premium_request_usage_us_dates.csv"));
    assert_eq!(rejected(&f), vec![(4, "usage_date_utc \"13/45/26\" is not a date".to_string())]);
    let us: Vec<_> = events(&env, "copilot-csv").into_iter().filter(|e| e.day.as_deref() >= Some("2026")).collect();
    assert_eq!(us.iter().map(|e| e.day.clone().unwrap()).collect::<Vec<_>>(), ["2026-05-29", "2026-05-30"]);
    assert_eq!((us[0].requests, us[0].cost_nanos, us[0].provider.as_str()), (1_250, Some(50_020_000_000), "openai"));

    let f = import(&env, &fixture("copilot-csv/usage_report_all_products.csv"));
    assert_eq!((int(&f, "rows"), counts(&f)), (3, (2, 0, 0, 0)), "Actions minutes are skipped");
    let f = import(&env, &fixture("copilot-csv/premium_requests_legacy.csv"));
    assert_eq!(counts(&f), (2, 0, 0, 0));
    let evs = events(&env, "copilot-csv");
    let seat = evs.iter().find(|e| e.key.contains("copilot_for_business")).unwrap();
    assert_eq!((seat.cost_kind.as_str(), seat.cost_nanos, seat.requests), ("fee", Some(612_903_226), 0));
    let legacy: Vec<_> = evs.iter().filter(|e| e.day.is_none()).collect();
    assert_eq!(
        legacy.iter().map(|e| (e.cost_kind.as_str(), e.cost_nanos, e.requests)).collect::<Vec<_>>(),
        [("included", None, 1), ("estimated", None, 2)]
    );
}

/// The same file with a UTF-8 BOM and CRLF line ends, or as UTF-16LE (Excel's "Unicode
/// text"), gives the same events and the same rejected lines in every CSV importer.
#[test]
fn every_csv_importer_reads_bom_crlf_and_utf16_alike() {
    let mut files = Vec::new();
    for dir in [
        "openai-usage-csv",
        "openai-costs-csv",
        "anthropic-usage-csv",
        "anthropic-cost-csv",
        "cursor-csv",
        "openrouter-csv",
        "copilot-csv",
    ] {
        for e in std::fs::read_dir(fixtures().join(dir)).unwrap() {
            files.push((dir, e.unwrap().path()));
        }
    }
    files.sort();
    for (source, path) in files {
        let raw = std::fs::read(&path).unwrap();
        let text = String::from_utf8(raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw).to_vec()).unwrap();
        let lf = text.replace("\r\n", "\n");
        let name = path.file_name().unwrap();
        let base = Env::new();
        let p = base.dir.path().join(name);
        std::fs::write(&p, &lf).unwrap();
        let want_f = import(&base, p.to_str().unwrap());
        let want = events(&base, source);
        assert_eq!(want_f["format"], source, "{}", path.display());
        let variants: [(&str, Vec<u8>); 2] = [
            ("bom-crlf", [&b"\xEF\xBB\xBF"[..], lf.replace('\n', "\r\n").as_bytes()].concat()),
            ("utf16", [0xFF, 0xFE].into_iter().chain(lf.encode_utf16().flat_map(u16::to_le_bytes)).collect()),
        ];
        for (label, bytes) in variants {
            let env = Env::new();
            let p = env.dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let f = import(&env, p.to_str().unwrap());
            assert_eq!(f["format"], source, "{label} {}", path.display());
            assert_eq!(rejected(&f), rejected(&want_f), "{label} {}", path.display());
            // A quoted newline is CRLF in the CRLF file: compare it as LF.
            let lf_fields = |v: Vec<Ev>| {
                v.into_iter()
                    .map(|e| Ev {
                        key: e.key.replace("\r\n", "\n"),
                        project: e.project.map(|p| p.replace("\r\n", "\n")),
                        ..e
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(lf_fields(events(&env, source)), want, "{label} {}", path.display());
        }
    }
}

/// `import --rules FILE`, returning the one file's report.
fn import_rules(env: &Env, rules: &str, csv: &str) -> Value {
    let out = env.json(&["import", "--rules", rules, csv]);
    out["files"][0].clone()
}

#[test]
fn rules_map_a_latin1_semicolon_csv_with_local_times_decimal_commas_and_ifs() {
    let env = Env::new();
    let (rules, csv) = (fixture("rules/gateway-de.toml"), fixture("rules/gateway-de.csv"));
    let f = import_rules(&env, &rules, &csv);
    assert_eq!((f["format"].as_str(), int(&f, "rows")), (Some("gateway-de"), 6));
    // A title line is skipped, so the header is line 2; the test-model row is skipped by an [[if]].
    assert_eq!(rejected(&f), vec![(7, "tokens.input: \"1x\" is not a whole count".to_string())]);
    let evs = events_with(&env, "gateway-de", Some(&rules));
    assert_eq!(evs.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["r-1", "r-2", "r-4", "r-2#1"]);
    let r1 = &evs[0];
    assert_eq!(r1.ts_ms, 1_769_898_600_000, "31.01.2026 23:30 in Berlin is 22:30Z");
    assert_eq!((r1.input, r1.cache_read, r1.output), (1_000, 200, 300), "1.200 includes the 200 cached");
    assert_eq!((r1.project.as_deref(), r1.provider.as_str()), (Some("Büro"), "openai"));
    assert_eq!((evs[1].input, evs[1].cost_nanos), (10_000, Some(1_234_500_000_000)));
    let r4 = &evs[2];
    assert_eq!(
        (r4.model.as_str(), r4.account.as_deref(), r4.cost_kind.as_str()),
        ("gpt-4o-mini-2024-07-18", Some("openai"), "estimated"),
        "an [[if]] sets the model and account; an empty cost cell is estimated from the price book"
    );
    // Billed money is the file's own cost column over the rows kept.
    let bytes = std::fs::read(&csv).unwrap();
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    let want: i128 = text
        .lines()
        .skip(2)
        .filter_map(|l| l.split(';').nth(8).filter(|c| !c.is_empty()).map(|c| (l, c)))
        .filter(|(l, _)| !l.contains("test-model") && !l.contains(";1x;"))
        .map(|(_, c)| dollars(&c.replace('.', "").replace(',', ".")))
        .sum();
    assert_eq!(money(&evs, "billed"), want);
    assert_eq!(evs[0].cost_nanos, Some(12_345_679), "0,0123456789 rounds half-to-even per row");
    let berlin = env.json(&["report", "--by", "day", "--tz", "Europe/Berlin"]);
    assert_eq!(int(row(&berlin, "2026-02-01"), "events"), 3);
    let utc = env.json(&["report", "--by", "day", "--tz", "UTC"]);
    assert_eq!(int(row(&utc, "2026-01-31"), "events"), 2);

    // The same rows in another file add nothing; a new request id adds one.
    let more = env.dir.path().join("gateway-de-february.csv");
    let extra = "01.02.2026 12:00;openai;gpt-4o-2024-08-06;Büro;r-9;10;0;10;0,01\r\n";
    let mut bytes = bytes.clone();
    bytes.extend(encoding_rs::WINDOWS_1252.encode(extra).0.iter());
    std::fs::write(&more, bytes).unwrap();
    let f = import_rules(&env, &rules, more.to_str().unwrap());
    assert_eq!(counts(&f), (1, 0, 4, 1));
}

#[test]
fn rules_read_utf16_tabs_cents_whole_days_and_per_million_prices() {
    let env = Env::new();
    let f = import_rules(&env, &fixture("rules/daily-utf16.toml"), &fixture("rules/daily-utf16.csv"));
    assert_eq!((f["format"].as_str(), counts(&f)), (Some("rules:daily-utf16"), (3, 0, 0, 0)));
    let evs = events_with(&env, "rules:daily-utf16", Some(&fixture("rules/daily-utf16.toml")));
    assert_eq!(evs[1].key, format!("{}#1", evs[0].key), "identical rows stay two events");
    assert_eq!(evs.iter().map(|e| e.cost_nanos.unwrap()).collect::<Vec<_>>(), [125_000_000, 125_000_000, 0]);
    assert_eq!((evs[0].day.as_deref(), evs[0].ts_ms), (Some("2026-03-01"), 1_772_341_200_000), "New York midnight");
    assert_eq!((evs[0].requests, evs[0].provider.as_str()), (3, "anthropic"));
    let tokyo = env.json(&["report", "--by", "day", "--tz", "Asia/Tokyo"]);
    assert_eq!(int(row(&tokyo, "2026-03-01"), "events"), 2, "a whole day keeps its date in every zone");

    let f = import_rules(&env, &fixture("rules/priced.toml"), &fixture("rules/priced.csv"));
    assert_eq!((f["format"].as_str(), counts(&f)), (Some("rules:priced"), (3, 0, 0, 0)));
    let evs = events_with(&env, "rules:priced", Some(&fixture("rules/priced.toml")));
    // $0.50 per million tokens: 1,000,000 tokens is $0.50, 333 tokens $0.0001665.
    assert_eq!(evs.iter().map(|e| e.cost_nanos.unwrap()).collect::<Vec<_>>(), [500_000_000, 166_500, 166_500]);
    assert!(evs.iter().all(|e| e.cost_kind == "estimated" && e.day.as_deref() == Some("2026-02-01")));
    assert_eq!(evs[0].provider, "self-hosted");
}

#[test]
fn rules_errors_name_the_rules_file_and_the_key() {
    let env = Env::new();
    let dir = env.dir.path();
    let csv = fixture("rules/priced.csv");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "date = \"2026-02-01\"\nmodel = \"%model\"\n[tokens]\ninput = \"tokens\"\n[cost]\ncolumn = \"usd_per_mtok\"\nunit = \"euros\"\n").unwrap();
    let o = env.run(&["import", "--rules", bad.to_str().unwrap(), &csv]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.toml: cost.unit: \"euros\" is not one of dollars, cents, per_million"), "{err}");

    std::fs::write(&bad, "date = \"2026-02-01\"\nmodel = \"%model\"\n[tokens]\ninput = \"Tokens used\"\n").unwrap();
    let o = env.run(&["import", "--rules", bad.to_str().unwrap(), &csv]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("priced.csv: ") && err.contains("bad.toml: tokens.input: the CSV has no column \"Tokens used\""),
        "{err}"
    );

    std::fs::write(&bad, "date = \"2026-02-01\"\n[tokens]\ninput = \"tokens\"\nunknown = 1\n").unwrap();
    let err = String::from_utf8_lossy(&env.run(&["rules", "check", bad.to_str().unwrap()]).stderr).into_owned();
    assert!(err.contains("bad.toml: line 4: unknown field `unknown`"), "{err}");
    assert_eq!(int(&env.json(&["report"])["totals"], "events"), 0, "nothing was written");
}

#[test]
fn rules_init_drafts_a_rules_file_that_imports_the_csv() {
    let env = Env::new();
    let dir = env.dir.path();
    let csv = dir.join("llm-gateway-export.csv");
    std::fs::write(
        &csv,
        "Request ID,Timestamp,Provider,Model,Project,Input Tokens,Cached Tokens,Output Tokens,Cost (USD)\n\
         req-1,2026-01-05 10:00:00,openai,gpt-4o-2024-08-06,web,1000,0,100,0.0035\n\
         req-2,2026-01-05 11:00:00,anthropic,claude-sonnet-4-20250514,\"api, v2\",2000,500,300,\"1,002.25\"\n",
    )
    .unwrap();
    let draft = env.ok(&["rules", "init", csv.to_str().unwrap()]);
    for line in [
        "date_column = \"Timestamp\"",
        "provider = \"%Provider\"",
        "model = \"%Model\"",
        "project = \"%Project\"",
        "key_columns = [\"Request ID\"]",
        "input = \"Input Tokens\"",
        "cache_read = \"Cached Tokens\"",
        "output = \"Output Tokens\"",
        "column = \"Cost (USD)\"",
    ] {
        assert!(draft.lines().any(|l| l.starts_with(line)), "{line} not in:\n{draft}");
    }
    let rules = dir.join("gateway.toml");
    std::fs::write(&rules, &draft).unwrap();
    assert!(env.ok(&["rules", "check", rules.to_str().unwrap()]).contains("source rules:llm-gateway-export"));
    let f = import_rules(&env, rules.to_str().unwrap(), csv.to_str().unwrap());
    assert_eq!(counts(&f), (2, 0, 0, 0), "{draft}");
    let evs = events_with(&env, "rules:llm-gateway-export", rules.to_str());
    assert_eq!(money(&evs, "billed"), dollars("0.0035") + dollars("1002.25"));
    assert_eq!(evs[1].project.as_deref(), Some("api, v2"));

    // A UTF-16 tab-separated file: the draft says so.
    let draft = env.ok(&["rules", "init", &fixture("rules/daily-utf16.csv")]);
    assert!(draft.contains("encoding = \"utf-16\"") && draft.contains("delimiter = \"tab\""), "{draft}");
    let rules = dir.join("daily.toml");
    std::fs::write(&rules, &draft).unwrap();
    let f = import_rules(&env, rules.to_str().unwrap(), &fixture("rules/daily-utf16.csv"));
    assert_eq!(counts(&f), (3, 0, 0, 0), "{draft}");
}
