//! Cursor dashboard usage-events export CSV (docs/FORMATS.md §5.3), all four header variants:
//! the old one (`Cost`, `Cost to you`, no `Kind`), late 2025 (`Kind`, `Max Mode`, `Cost`),
//! 2026 (`Cloud Agent ID`, `Automation ID`) and the team/admin one (`User`, `Requests`, no
//! cost). Every field is quoted, numbers included; one row is one request at an ISO UTC
//! instant with millis.
//!
//! The four token columns are DISJOINT and add up to `Total Tokens`: `Input (w/ Cache
//! Write)` is the cache-write count, `Input (w/o Cache Write)` the plain input. A row whose
//! columns do not add up is rejected (our reading of it would be wrong).
//!
//! Money depends on `Kind`:
//! - `On-Demand`: billed by Cursor (`Cost`, `"$0.32"`), to the source's own account.
//! - `Included…`: covered by the Cursor plan: the cost is the usage's *value*, not spend.
//! - `User API Key`: paid to the user's own provider: estimated from the price book and
//!   booked to that provider's account (`anthropic`, `openai`...).
//!
//! A cost of `Included`, `-`, `NaN` or empty states no amount. Other kinds are rejected
//! (their meaning is not known).

use std::io::BufRead;

use super::csv_rows::{self, count, rounded_count, Header, Opts, Row};
use super::lines::deliver;
use super::names::provider_of;
use super::vendor::Occurrences;
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, CostKind, Tokens, UsageEvent};
use crate::money::Usd;
use crate::timezone::parse_instant_ms;

pub struct CursorCsv;

struct Cols {
    date: usize,
    model: usize,
    kind: Option<usize>,
    user: Option<usize>,
    agent: Option<usize>,
    automation: Option<usize>,
    max_mode: Option<usize>,
    cache_write: usize,
    input: usize,
    cache_read: usize,
    output: usize,
    total: Option<usize>,
    cost: Option<usize>,
    cost_to_you: Option<usize>,
    requests: Option<usize>,
    occ: Occurrences,
}

const TOKEN_COLUMNS: [&str; 4] = ["Input (w/ Cache Write)", "Input (w/o Cache Write)", "Cache Read", "Output Tokens"];

fn bind(h: &Header) -> std::result::Result<Cols, String> {
    Ok(Cols {
        date: h.require("Date")?,
        model: h.require("Model")?,
        kind: h.find("Kind"),
        user: h.find("User"),
        agent: h.find("Cloud Agent ID"),
        automation: h.find("Automation ID"),
        max_mode: h.find("Max Mode"),
        cache_write: h.require(TOKEN_COLUMNS[0])?,
        input: h.require(TOKEN_COLUMNS[1])?,
        cache_read: h.require(TOKEN_COLUMNS[2])?,
        output: h.require(TOKEN_COLUMNS[3])?,
        total: h.find("Total Tokens"),
        cost: h.find("Cost"),
        cost_to_you: h.find("Cost to you"),
        requests: h.find("Requests"),
        occ: Occurrences::default(),
    })
}

/// A stated amount, or None for the texts that state none.
fn amount(text: &str, column: &str) -> std::result::Result<Option<Usd>, String> {
    match text {
        "" | "-" | "NaN" | "nan" => Ok(None),
        t if t.eq_ignore_ascii_case("included") => Ok(None),
        t => Usd::parse(t).map(Some).map_err(|e| format!("{column}: {e}")),
    }
}

fn row_event(c: &mut Cols, row: &Row) -> std::result::Result<Option<UsageEvent>, String> {
    let n = |i: usize, name: &str| count(row.get(i)).map_err(|e| format!("{name}: {e}"));
    let tokens = Tokens {
        cache_write_5m: n(c.cache_write, TOKEN_COLUMNS[0])?,
        input: n(c.input, TOKEN_COLUMNS[1])?,
        cache_read: n(c.cache_read, TOKEN_COLUMNS[2])?,
        output: n(c.output, TOKEN_COLUMNS[3])?,
        requests: match c.requests {
            Some(i) if !row.get(i).is_empty() => rounded_count(row.get(i)).map_err(|e| format!("Requests: {e}"))?,
            _ => 1,
        },
        ..Tokens::default()
    };
    if let Some(i) = c.total.filter(|&i| !row.get(i).is_empty()) {
        let total = n(i, "Total Tokens")?;
        if total != tokens.total() {
            return Err(format!("the token columns add up to {}, but Total Tokens is {total}", tokens.total()));
        }
    }
    let date = row.get(c.date);
    let ts = parse_instant_ms(date).ok_or_else(|| format!("Date {date:?} is not an ISO instant"))?;
    let model = row.get(c.model);
    if model.is_empty() {
        return Err("empty Model".into());
    }
    let provider = provider_of(model);
    let cost = amount(row.opt(c.cost), "Cost")?;
    let kind = row.opt(c.kind);
    let (cost_kind, cost, account) = match c.kind {
        Some(_) if kind.eq_ignore_ascii_case("On-Demand") => match cost {
            Some(cost) => (CostKind::Billed, Some(cost), None),
            // Billed, but the amount is not in the file: estimate it.
            None => (CostKind::Estimated, None, None),
        },
        Some(_) if kind.to_ascii_lowercase().starts_with("included") => (CostKind::Included, cost, None),
        Some(_) if kind.eq_ignore_ascii_case("User API Key") => (CostKind::Estimated, None, Some(provider.to_string())),
        Some(_) => return Err(format!("unknown Kind {kind:?} (expected On-Demand, Included or User API Key)")),
        // The old export: `Cost to you` is what was billed, `Cost` the usage's value.
        None => match amount(row.opt(c.cost_to_you), "Cost to you")? {
            Some(paid) if paid.nanos() != 0 => (CostKind::Billed, Some(paid), None),
            _ => (CostKind::Included, cost, None),
        },
    };
    let key = c.occ.key(format!(
        "{ts}|{}|{}|{}|{kind}|{model}|{}|{}|{}|{}|{}|{}",
        row.opt(c.user),
        row.opt(c.agent),
        row.opt(c.automation),
        row.opt(c.max_mode),
        tokens.cache_write_5m,
        tokens.input,
        tokens.cache_read,
        tokens.output,
        row.opt(c.cost),
    ));
    let mut ev = UsageEvent::new(key, provider, model, ts, row.line);
    ev.tokens = tokens;
    ev.cost = cost;
    ev.cost_kind = cost_kind;
    ev.account = account;
    Ok(Some(ev))
}

impl Source for CursorCsv {
    fn name(&self) -> &'static str {
        "cursor-csv"
    }

    fn describe(&self) -> &'static str {
        "Cursor dashboard usage-events export CSV (per request; billed, included or own-key)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        Header::sniff(sniff.head).is_some_and(|h| h.has_all(&["Date", "Model"]) && h.has_all(&TOKEN_COLUMNS))
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        csv_rows::read(input, ctx, &Opts::default(), bind, |c, row| deliver(sink, row_event(c, row)))
    }
}
