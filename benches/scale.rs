//! Scale: a ledger of ten million events over five years, and how fast the everyday reads
//! answer on it: `tokenburn status` (every budget, with forecasts), `tokenburn report --by
//! month`, and the desktop dashboard's data (the engine calls of `summary::dashboard` and
//! of the budget cards).
//!
//! `cargo bench --bench scale`. The ledger is generated once into `target/scale/ledger.db`
//! (`SCALE_DIR` elsewhere, `EVENTS` another size) with direct inserts in one transaction,
//! not through the importers: a realistic mix of agent transcripts (Claude Code, Codex),
//! vendor usage and billing rows (OpenAI, Anthropic, Cursor), eight projects, a weekly
//! pattern and growth, four budgets and a subscription. Prints the median of `RUNS` warm
//! runs of each read (wall time; the machine is shared, so the load average is printed too),
//! and the file's size. Targets: status under 50 ms, report by month under 200 ms,
//! dashboard under 1 s (its warnings' reconciliation, `reconcile::recent`, well under
//! 100 ms), `tokenburn reconcile` over the whole history well under 1 s, file under 1.5 GB.
//! Opening a ledger of an older schema migrates it (and may rebuild the rollup): that first
//! open is timed apart.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use tokenburn::budget;
use tokenburn::ledger::Ledger;
use tokenburn::report::{self, By, Filter};

const ZONE: &str = "America/New_York";

struct Mix {
    source: &'static str,
    provider: &'static str,
    authority: i64,
    models: &'static [&'static str],
    kind: &'static str,
    /// Share of the day's events, in per mille.
    share: u64,
    /// Whole-day rows (billing exports) instead of instants.
    whole_day: bool,
}

const MIX: &[Mix] = &[
    Mix {
        source: "claude-code",
        provider: "anthropic",
        authority: 2,
        models: &["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"],
        kind: "estimated",
        share: 560,
        whole_day: false,
    },
    Mix {
        source: "codex",
        provider: "openai",
        authority: 2,
        models: &["gpt-5", "gpt-5-mini", "gpt-5-codex"],
        kind: "estimated",
        share: 250,
        whole_day: false,
    },
    Mix {
        source: "openai-usage-csv",
        provider: "openai",
        authority: 3,
        models: &["gpt-4o-2024-08-06", "gpt-4.1-nano-2025-04-14", "gpt-5-2025-08-07"],
        kind: "estimated",
        share: 150,
        whole_day: false,
    },
    Mix {
        source: "cursor-csv",
        provider: "cursor",
        authority: 3,
        models: &["claude-4-sonnet", "gpt-5", "auto"],
        kind: "included",
        share: 36,
        whole_day: false,
    },
    Mix {
        source: "anthropic-cost-csv",
        provider: "anthropic",
        authority: 3,
        models: &["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805"],
        kind: "billed",
        share: 2,
        whole_day: true,
    },
    Mix {
        source: "openai-costs-csv",
        provider: "openai",
        authority: 3,
        models: &["gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, output"],
        kind: "billed",
        share: 2,
        whole_day: true,
    },
];

const PROJECTS: [&str; 8] = [
    "/home/dev/tokenburn",
    "/home/dev/website",
    "/home/dev/infra",
    "/home/dev/notebooks",
    "/home/dev/api-server",
    "/home/dev/mobile-app",
    "/home/dev/scratch",
    "/home/dev/data-pipeline",
];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A base-62 identifier of `n` characters, as the vendors' ids look.
fn ident(rng: &mut Rng, n: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..n).map(|_| ALPHABET[rng.below(62) as usize] as char).collect()
}

fn generate(path: &Path, events: u64, today: NaiveDate) {
    use tokenburn::ledger::queries::{events as ev_store, imports};
    use tokenburn::model::{Authority, CostKind, UsageEvent};
    let t = Instant::now();
    let mut ledger = Ledger::open(path).expect("open");
    ledger.set_tz(ZONE.parse().unwrap()).expect("zone");
    let first = today - Duration::days(5 * 365);
    let days = (today - first).num_days() as u64 + 1;
    // Weekly pattern and growth: a day's weight is (1 + 3 * progress) x (weekend ? 0.3 : 1).
    let weight = |i: u64| {
        let d = first + Duration::days(i as i64);
        let weekend = matches!(chrono::Datelike::weekday(&d), chrono::Weekday::Sat | chrono::Weekday::Sun);
        (1000 + 3000 * i / days) * if weekend { 3 } else { 10 }
    };
    let total_weight: u64 = (0..days).map(weight).sum();
    let mut rng = Rng(42);
    // Every event goes through the importers' write path (key hash, pricing, names, the
    // unique index), one import per source, in one transaction.
    let n = ledger
        .write(|tx, book| {
            let now = chrono::Utc::now().timestamp_millis();
            let mut writers = Vec::new();
            for m in MIX {
                let name = format!("(generated {})", m.source);
                let new = imports::NewImport {
                    path: &name,
                    format: m.source,
                    sha256: "",
                    byte_start: 0,
                    byte_end: 0,
                    same_as: None,
                };
                let id = imports::insert(tx, &new, now)?;
                let authority = match m.authority {
                    2 => Authority::Transcript,
                    _ => Authority::Vendor,
                };
                writers.push((ev_store::Writer::new(tx, m.source, authority, id)?, id, 0u64, authority));
            }
            let mut touched = std::collections::BTreeSet::new();
            let mut n = 0u64;
            for i in 0..days {
                let date = first + Duration::days(i as i64);
                let start = tokenburn::timezone::day_start_ms(chrono_tz::Tz::UTC, date);
                // Every day its share, rounded down; the last day the rest, so the total is exact.
                let today_n = if i + 1 == days { events - n } else { events * weight(i) / total_weight };
                for j in 0..today_n {
                    let pick = rng.below(1000);
                    let (mut acc, mut mi) = (0, 0);
                    for (k, m) in MIX.iter().enumerate() {
                        acc += m.share;
                        if pick < acc {
                            mi = k;
                            break;
                        }
                    }
                    let m = &MIX[mi];
                    let model = m.models[rng.below(m.models.len() as u64) as usize];
                    // Working hours in New York, mostly.
                    let ts = if m.whole_day {
                        start
                    } else {
                        start + (13 * 3_600_000 + rng.below(11 * 3_600_000) as i64) % 86_400_000
                    };
                    let (key, group) = match m.source {
                        "claude-code" => {
                            let msg = format!("msg_01{}", ident(&mut rng, 24));
                            (format!("{msg}:req_011C{}", ident(&mut rng, 20)), Some(msg))
                        }
                        "codex" => (format!("{ts}|{}|{}", rng.below(1 << 40), rng.below(1 << 30)), None),
                        _ => (format!("{ts}|proj_{}|{model}|{j}", ident(&mut rng, 24)), None),
                    };
                    let mut ev = UsageEvent::new(key, m.provider, model, ts, j + 1);
                    ev.group = group;
                    ev.project = (!m.whole_day).then(|| PROJECTS[rng.below(8) as usize].to_string());
                    if m.whole_day {
                        ev.day = Some(date);
                        ev.span_ms = 86_400_000;
                    }
                    ev.tokens.input = rng.below(4_000) as i64;
                    ev.tokens.output = rng.below(2_000) as i64;
                    ev.tokens.cache_read = rng.below(60_000) as i64;
                    ev.tokens.cache_write_5m = rng.below(3) as i64 * 1000;
                    ev.tokens.reasoning = ev.tokens.output / 4;
                    ev.tokens.requests = 1;
                    ev.cost_kind = match m.kind {
                        "billed" => CostKind::Billed,
                        "included" => CostKind::Included,
                        _ => CostKind::Estimated,
                    };
                    // Vendors state their money; agent logs are priced by the price book.
                    if m.kind != "estimated" {
                        let nanos = if m.kind == "billed" {
                            50_000_000 + rng.below(5_000_000_000)
                        } else {
                            rng.below(90_000_000)
                        };
                        ev.cost = Some(tokenburn::money::Usd(nanos as i64));
                    }
                    let (w, _, rows, authority) = &mut writers[mi];
                    w.upsert(&ev_store::prepare(m.source, *authority, ev, book))?;
                    *rows += 1;
                    n += 1;
                }
            }
            // The writers' inserts interleave, so their days are decided from all rows.
            for (w, id, rows, _) in writers {
                touched.extend(w.finish()?.days);
                let counts = imports::Counts { rows, added: rows, ..Default::default() };
                imports::finish(tx, id, &counts, imports::End { byte: 0, line: rows, state: None })?;
            }
            tokenburn::spend::refresh_days(tx, &touched)?;
            Ok(n)
        })
        .expect("generate");
    eprintln!("inserted {n} events");
    let c = ledger.conn();
    c.execute_batch(
        "INSERT INTO budgets (name, amount, unit, period, providers, models, projects, created_ms) VALUES
           ('Monthly', 2000000000000, 'usd', 'month', '[]', '[]', '[]', 0),
           ('Claude tokens', 5000000000, 'tokens', 'quarter', '[\"anthropic\"]', '[]', '[]', 0),
           ('OpenAI year', 9000000000000, 'usd', 'year', '[\"openai\"]', '[\"gpt-*\"]', '[]', 0),
           ('Tokenburn project', 300000000000, 'usd', 'month', '[]', '[]', '[\"/home/dev/tokenburn\"]', 0);
         INSERT INTO subscriptions (name, usd_nanos, every, from_day, covers, provider) VALUES
           ('Max', 200000000000, 'month', '2024-01-01', 'claude-code', 'anthropic');
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .expect("budgets");
    eprintln!("generated {} in {:.0} s", path.display(), t.elapsed().as_secs_f64());
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// CPU seconds (user + system) this process and its finished children have used.
fn cpu() -> f64 {
    let mut total = 0.0;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: getrusage fills the struct it is given.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut u) };
        let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        total += s(u.ru_utime) + s(u.ru_stime);
    }
    total
}

/// Medians of `runs` runs: wall milliseconds and CPU milliseconds (the machine is shared:
/// under load the wall time is mostly waiting for a core).
fn time_n(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    let (mut wall, mut cpus) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu());
        f();
        wall.push(t.elapsed().as_secs_f64() * 1000.0);
        cpus.push((cpu() - c) * 1000.0);
    }
    (median(wall), median(cpus))
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split(' ').take(3).collect::<Vec<_>>().join(" ")
}

fn main() {
    let events: u64 = std::env::var("EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let dir = std::env::var_os("SCALE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/scale"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("ledger-{events}.db"));
    let tz: chrono_tz::Tz = ZONE.parse().unwrap();
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    if !path.exists() {
        generate(&path, events, today);
    }
    let t = Instant::now();
    let ledger = Ledger::open(&path).expect("open");
    println!(
        "scale: open (migrates an older schema, rebuilding the rollup if it must) {:.0} ms; load {}",
        t.elapsed().as_secs_f64() * 1000.0,
        load()
    );
    let t = Instant::now();
    report::report(&ledger, By::Month, &Filter::default(), tz).expect("report");
    println!(
        "scale: first read (brings the rollup up to date) {:.0} ms; load {}",
        t.elapsed().as_secs_f64() * 1000.0,
        load()
    );

    let budgets = budget::all(ledger.conn()).unwrap();
    // One call for every budget, as the app's cards and alerts make it (the ledger is read
    // once); `tokenburn status` is timed below as a process.
    let status = time_n(runs, || {
        budget::statuses(&ledger, &budgets, today, tz).unwrap();
    });
    let month = time_n(runs, || {
        report::report(&ledger, By::Month, &Filter::default(), tz).unwrap();
    });
    // summary::dashboard: today, this week, this month and all time, and all time by model;
    // then each budget card's status.
    let dashboard = time_n(runs, || {
        let week = today - Duration::days(chrono::Datelike::weekday(&today).num_days_from_monday().into());
        let month_start = chrono::Datelike::with_day(&today, 1).unwrap();
        for since in [Some(today), Some(week), Some(month_start), None] {
            let f = Filter { since, until: since.map(|_| today), ..Filter::default() };
            report::report(&ledger, By::Month, &f, tz).unwrap();
        }
        report::report(&ledger, By::Model, &Filter::default(), tz).unwrap();
        budget::statuses(&ledger, &budgets, today, tz).unwrap();
    });
    // The dashboard's warnings (summary::warnings): unpriced models and the recent months'
    // reconciliation.
    let warnings = time_n(runs, || {
        let mut stmt = ledger
            .conn()
            .prepare(
                "SELECT provider, model, COUNT(*) FROM events
                 WHERE cost_nanos IS NULL AND cost_kind = 'estimated' AND superseded = 0
                 GROUP BY provider, model ORDER BY 3 DESC, 2 LIMIT 5",
            )
            .unwrap();
        stmt.query_map([], |r| r.get::<_, i64>(2)).unwrap().for_each(drop);
        tokenburn::reconcile::recent(&ledger, chrono::Utc::now().date_naive()).unwrap();
    });
    // Reconciliation alone: the dashboard's recent months, and every day of the history by
    // month as `tokenburn reconcile --by month` asks.
    let recent = time_n(runs, || {
        tokenburn::reconcile::recent(&ledger, chrono::Utc::now().date_naive()).unwrap();
    });
    let whole = time_n(runs, || {
        tokenburn::reconcile::reconcile(&ledger, tokenburn::reconcile::Period::Month, None, None).unwrap();
    });
    println!(
        "scale: {events} events, in process (median of {runs}, wall/CPU ms): reconcile::recent {:.1}/{:.1}, \
         reconcile (whole history, by month) {:.1}/{:.1}; load {}",
        recent.0,
        recent.1,
        whole.0,
        whole.1,
        load()
    );
    println!(
        "scale: {events} events, in process (median of {runs}, wall/CPU ms): status {:.1}/{:.1} ({} budgets), \
         report --by month {:.1}/{:.1}, dashboard data {:.1}/{:.1}, dashboard warnings {:.1}/{:.1}; load {}",
        status.0,
        status.1,
        budgets.len(),
        month.0,
        month.1,
        dashboard.0,
        dashboard.1,
        warnings.0,
        warnings.1,
        load()
    );
    drop(ledger);

    let bin = env!("CARGO_BIN_EXE_tokenburn");
    let cli = |args: &[&str]| {
        let out = Command::new(bin).arg("--db").arg(&path).args(args).output().expect("run tokenburn");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let cli_status = time_n(runs, || cli(&["status", "--json"]));
    let cli_month = time_n(runs, || cli(&["report", "--by", "month", "--json"]));
    let cli_reconcile = time_n(runs, || cli(&["reconcile", "--by", "month", "--json"]));
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|e| std::fs::metadata(format!("{}{e}", path.display())).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "scale: CLI process (median of {runs}, wall/CPU ms): tokenburn status {:.0}/{:.0}, tokenburn report --by \
         month {:.0}/{:.0}, tokenburn reconcile --by month {:.0}/{:.0}; ledger file {:.2} GB; load {}",
        cli_status.0,
        cli_status.1,
        cli_month.0,
        cli_month.1,
        cli_reconcile.0,
        cli_reconcile.1,
        size as f64 / 1e9,
        load()
    );
}
