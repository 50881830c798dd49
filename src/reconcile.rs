//! Reconciliation: what the logs estimate against what the vendor billed, per provider,
//! model and day (or month), with the drift and the causes that can be detected.
//!
//! The estimate side is the agent logs' priced usage (transcripts) of the provider, or the
//! vendor usage export's when there are no logs; the billed side is billed money. Models are
//! compared by family (`claude-sonnet-4-20250514` and the bill's `claude-sonnet-4` are one),
//! and where the bill names no model the day is compared as a whole. Days are UTC days,
//! as vendors bill them. Nothing here changes what is counted: see `spend`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::ledger::queries::events;
use crate::ledger::queries::rollup::{self, ReconcileSums};
use crate::ledger::Ledger;
use crate::model::Authority;
use crate::money::Usd;
use crate::pricing::PriceBook;
use crate::spend::day_of;

/// How lines are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
}

/// The bill names no model for these rows.
const ALL: &str = "(all models)";

/// One line of the reconciliation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    pub provider: String,
    pub model: String,
    pub period: String,
    #[serde(serialize_with = "text")]
    pub estimate_usd: Usd,
    #[serde(serialize_with = "text")]
    pub billed_usd: Usd,
    /// billed - estimate.
    #[serde(serialize_with = "text")]
    pub drift_usd: Usd,
    /// drift / billed, in percent with one decimal ("-12.5"); None when nothing was billed.
    pub drift_pct: Option<String>,
    pub estimate_events: i64,
    pub unpriced_events: i64,
    /// What explains the drift; `["unexplained"]` when nothing does, empty when it is
    /// within 1%.
    pub causes: Vec<String>,
}

fn text<S: serde::Serializer>(u: &Usd, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&u.to_string())
}

/// `claude-sonnet-4-20250514`, `Claude-Sonnet-4` and `claude-sonnet-4.0` are one family.
pub fn family(model: &str) -> String {
    let mut m = model.trim().to_ascii_lowercase().replace(['.', ' ', '_'], "-");
    if let Some(rest) = m.rsplit_once('/').map(|(_, r)| r.to_string()) {
        m = rest;
    }
    for suffix in ["-latest", "-0"] {
        if let Some(s) = m.strip_suffix(suffix) {
            m = s.to_string();
        }
    }
    if let Some((head, tail)) = m.rsplit_once('-') {
        if tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit()) {
            m = head.to_string();
        }
    }
    m
}

#[derive(Default)]
struct Side {
    estimate: Usd,
    estimate_events: i64,
    unpriced: i64,
    unpriced_models: BTreeSet<String>,
    billed: Usd,
    billed_seen: bool,
    cache_5m: i64,
    long_requests: i64,
    estimate_models: BTreeSet<String>,
    days: BTreeSet<i64>,
}

/// The lines of this month and the last (UTC, as vendors bill), as the dashboard warns of
/// them: older months are `tokenburn reconcile`'s.
pub fn recent(ledger: &Ledger, today: NaiveDate) -> Result<Vec<Line>> {
    let since = chrono::Datelike::with_day(&today, 1).and_then(|d| d.checked_sub_months(chrono::Months::new(1)));
    reconcile(ledger, Period::Month, None, since)
}

/// Reconciles every provider that has billed data (or `provider` only), over every day or
/// from the UTC day `since` on. Reads the rollup (thousands of rows, not every event), or
/// the events when the rollup cannot be brought up to date (another writer holds the
/// ledger): both give the same lines.
pub fn reconcile(
    ledger: &Ledger,
    period: Period,
    provider: Option<&str>,
    since: Option<NaiveDate>,
) -> Result<Vec<Line>> {
    let conn = ledger.conn();
    let rows = if rollup::refresh(conn, ledger.tz()?)? {
        from_rollup(conn, provider, since)?
    } else {
        from_events(conn, provider, since)?
    };
    lines(ledger, period, rows)
}

/// [`reconcile`] computed from the events, as when the rollup cannot be brought up to date.
/// For the tests that check both ways agree.
#[doc(hidden)]
pub fn reconcile_from_events(
    ledger: &Ledger,
    period: Period,
    provider: Option<&str>,
    since: Option<NaiveDate>,
) -> Result<Vec<Line>> {
    lines(ledger, period, from_events(ledger.conn(), provider, since)?)
}

/// The sums of one provider, model, UTC day, cost kind and authority.
type Agg = ReconcileSums;

/// What the lines are made of: the sums, and the (provider, account) pairs of transcript
/// events (superseded ones too) whose account bills to itself.
struct Rows {
    aggs: Vec<Agg>,
    unlinked: BTreeSet<(String, String)>,
}

/// The sums read from the rollup (brought up to date by the caller).
fn from_rollup(conn: &Connection, provider: Option<&str>, since: Option<NaiveDate>) -> Result<Rows> {
    Ok(Rows {
        aggs: rollup::reconcile_sums(conn, provider, since)?,
        unlinked: rollup::unlinked_transcript_accounts(conn)?,
    })
}

/// The same sums read from the events.
fn from_events(conn: &Connection, provider: Option<&str>, since: Option<NaiveDate>) -> Result<Rows> {
    Ok(Rows {
        aggs: events::reconcile_sums(conn, provider, since)?,
        unlinked: events::unlinked_transcript_accounts(conn)?,
    })
}

/// The lines, with their causes, from the sums.
fn lines(ledger: &Ledger, period: Period, rows: Rows) -> Result<Vec<Line>> {
    let Rows { aggs, unlinked } = rows;
    let book = ledger.book();
    let mut out: Vec<Line> = sides(&aggs, period)
        .into_iter()
        .map(|((provider, model, label), s)| line(book, provider, model, label, &s))
        .collect();
    note_other_accounts(&mut out, &unlinked);
    Ok(out)
}

/// What the days of each provider and day have: the span of days each provider billed,
/// whether a day's bill names models, and whether the logs (transcripts) have estimates
/// for the day (else the vendor usage is the estimate).
#[derive(Default)]
struct Billing {
    span: BTreeMap<String, (i64, i64)>,
    by_model_days: BTreeSet<(String, i64)>,
    log_days: BTreeSet<(String, i64)>,
}

impl Billing {
    fn of(rows: &[Agg]) -> Billing {
        let mut b = Billing::default();
        for a in rows.iter().filter(|a| a.billed) {
            let s = b.span.entry(a.provider.clone()).or_insert((a.day, a.day));
            s.0 = s.0.min(a.day);
            s.1 = s.1.max(a.day);
            if a.model != ALL {
                b.by_model_days.insert((a.provider.clone(), a.day));
            }
        }
        for a in rows.iter().filter(|a| !a.billed && a.authority == Authority::Transcript as i64) {
            b.log_days.insert((a.provider.clone(), a.day));
        }
        b
    }

    /// Whether the provider billed anything over a span that holds `day`.
    fn billed_around(&self, provider: &str, day: i64) -> bool {
        self.span.get(provider).is_some_and(|&(first, last)| day >= first && day <= last)
    }
}

/// The billed and estimate sides of each line, by (provider, model or family, period).
fn sides(rows: &[Agg], period: Period) -> BTreeMap<(String, String, String), Side> {
    let billing = Billing::of(rows);
    let period_key = |day: i64| -> String {
        let d = day_of(day);
        match period {
            Period::Day => d.to_string(),
            Period::Month => crate::timezone::month(d),
        }
    };
    let mut lines: BTreeMap<(String, String, String), Side> = BTreeMap::new();
    for a in rows.iter().filter(|a| billing.billed_around(&a.provider, a.day)) {
        let key = (a.provider.clone(), a.day);
        let model = if billing.by_model_days.contains(&key) { family(&a.model) } else { ALL.into() };
        let side = lines.entry((a.provider.clone(), model, period_key(a.day))).or_default();
        side.days.insert(a.day);
        if a.billed {
            side.billed += Usd(a.nanos);
            side.billed_seen = true;
            continue;
        }
        let wanted =
            if billing.log_days.contains(&key) { Authority::Transcript as i64 } else { Authority::Vendor as i64 };
        if a.authority == wanted {
            side.add_estimate(a);
        }
    }
    lines
}

impl Side {
    fn add_estimate(&mut self, a: &Agg) {
        self.estimate += Usd(a.nanos);
        self.estimate_events += a.events;
        self.unpriced += a.unpriced;
        if a.unpriced > 0 {
            self.unpriced_models.insert(a.model.clone());
        }
        self.cache_5m += a.cache_5m;
        self.long_requests += a.long;
        self.estimate_models.insert(a.model.clone());
    }
}

/// One line: the drift between the sides and its causes.
fn line(book: &PriceBook, provider: String, model: String, period: String, s: &Side) -> Line {
    let drift = s.billed - s.estimate;
    let drift_pct = (s.billed.nanos() != 0).then(|| {
        let permille = (drift.nanos() as i128 * 1000).div_euclid(s.billed.nanos().abs() as i128);
        format!("{:.1}", permille as f64 / 10.0)
    });
    let within_1pct = drift.nanos().abs() as i128 * 100 <= s.billed.nanos().abs() as i128;
    let causes = if within_1pct && s.billed_seen && s.estimate_events > 0 {
        Vec::new()
    } else {
        causes(book, &provider, s, drift, within_1pct)
    };
    Line {
        provider,
        model,
        period,
        estimate_usd: s.estimate,
        billed_usd: s.billed,
        drift_usd: drift,
        drift_pct,
        estimate_events: s.estimate_events,
        unpriced_events: s.unpriced,
        causes,
    }
}

/// What explains a line's `drift`; "unexplained" when nothing does and it is over 1%.
fn causes(book: &PriceBook, provider: &str, s: &Side, drift: Usd, within_1pct: bool) -> Vec<String> {
    let mut causes = Vec::new();
    if s.estimate_events == 0 {
        causes.push("days missing from the logs: nothing logged for what was billed".to_string());
    }
    if !s.billed_seen {
        causes.push("days missing from the bill: usage logged but nothing billed".to_string());
    }
    for m in &s.unpriced_models {
        causes.push(format!("unpriced model {m} (set a price: tokenburn prices set {m} ...)"));
    }
    if s.long_requests > 0 {
        causes.push(format!("long-context tier: {} requests over 200k input tokens", s.long_requests));
    }
    if cache_rate_explains(book, provider, s, drift) {
        causes.push("1h vs 5m cache pricing: the bill charges these cache writes at the 1-hour rate".into());
    }
    if let (Some(first), Some(last)) = (s.days.first(), s.days.last()) {
        for m in &s.estimate_models {
            let (a, b) = (book.price(provider, m, day_of(*first)), book.price(provider, m, day_of(*last)));
            if let (Some(a), Some(b)) = (a, b) {
                if a.base != b.base {
                    causes.push(format!("price change inside the period for {m}"));
                }
            }
        }
    }
    if causes.is_empty() && !within_1pct {
        causes.push("unexplained".into());
    }
    causes
}

/// Logs record 5-minute cache writes; billed at the 1-hour rate they cost 0.75x the input
/// price more per token. True when that explains the drift (±10%).
fn cache_rate_explains(book: &PriceBook, provider: &str, s: &Side, drift: Usd) -> bool {
    if s.cache_5m <= 0 || drift.nanos() <= 0 {
        return false;
    }
    let day = s.days.first().map(|d| day_of(*d)).unwrap_or(NaiveDate::MIN);
    let extra: i64 = s
        .estimate_models
        .iter()
        .filter_map(|m| book.price(provider, m, day))
        .map(|p| p.base.input.scale(3, 4).0)
        .max()
        .map_or(0, |per_mtok| (s.cache_5m as i128 * per_mtok as i128 / 1_000_000) as i64);
    extra > 0 && (drift.nanos() - extra).abs() * 10 <= drift.nanos()
}

/// Usage billed to another account: logs of a line's provider in an account that bills to
/// itself, while the provider's bill is elsewhere.
fn note_other_accounts(out: &mut [Line], unlinked: &BTreeSet<(String, String)>) {
    for line in out {
        for (p, account) in unlinked {
            if *p == line.provider && line.estimate_events > 0 && account != p {
                line.causes.retain(|c| c != "unexplained");
                line.causes.push(format!(
                    "usage billed to another account: {account} bills to itself (tokenburn account link {account} --billed-by {p})"
                ));
            }
        }
    }
}
