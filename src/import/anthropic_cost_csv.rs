//! Anthropic Console cost export CSV (docs/FORMATS.md §2.2): one row per UTC day x model x
//! workspace x key x ... x token type, with `cost_usd` in DOLLARS (unlike the Admin API's
//! cents).
//!
//! `model` is a display name ("Claude Haiku 4.5") and is normalised to an API-style id
//! (`claude-haiku-4-5`); the money is *billed*, so the id only labels it. Rows that are
//! not tokens (web search, code execution: `cost_type`) are billed money too. `list_price_usd`
//! (the undiscounted price) is not spend and is not read.

use std::io::BufRead;

use super::csv_rows::{self, Header, Opts, Row};
use super::lines::deliver;
use super::names::id_of_display_name;
use super::vendor::{model_or_all, place, rank_of_cost, Occurrences};
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, CostKind, UsageEvent};
use crate::money::Usd;

pub struct AnthropicCostCsv;

struct Cols {
    date: usize,
    model: Option<usize>,
    cost: usize,
    /// The other identifying columns, in header order.
    dims: Vec<usize>,
    workspace: Option<usize>,
    occ: Occurrences,
}

const DIMS: [&str; 10] = [
    "workspace",
    "api_key",
    "api_key_id",
    "usage_type",
    "context_window",
    "token_type",
    "cost_type",
    "inference_geo",
    "speed",
    "description",
];

fn bind(h: &Header) -> std::result::Result<Cols, String> {
    Ok(Cols {
        date: h.require("usage_date_utc")?,
        model: h.find("model"),
        cost: h.require("cost_usd")?,
        dims: DIMS.iter().filter_map(|d| h.find(d)).collect(),
        workspace: h.find("workspace"),
        occ: Occurrences::default(),
    })
}

fn row_event(c: &mut Cols, row: &Row) -> std::result::Result<Option<UsageEvent>, String> {
    let cost = Usd::parse(row.get(c.cost)).map_err(|e| format!("cost_usd: {e}"))?;
    let date = row.get(c.date);
    let display = row.opt(c.model);
    let mut key = format!("{date}|{display}");
    for &i in &c.dims {
        key.push('|');
        key.push_str(row.get(i));
    }
    let key = c.occ.key(key);
    let mut ev = UsageEvent::new(key, "anthropic", model_or_all(&id_of_display_name(display)), 0, row.line);
    place(&mut ev, date)?;
    let workspace = row.opt(c.workspace);
    ev.project = (!workspace.is_empty()).then(|| workspace.to_string());
    ev.cost = Some(cost);
    ev.cost_kind = CostKind::Billed;
    ev.rank = rank_of_cost(cost);
    Ok(Some(ev))
}

impl Source for AnthropicCostCsv {
    fn name(&self) -> &'static str {
        "anthropic-cost-csv"
    }

    fn describe(&self) -> &'static str {
        "Anthropic Console cost export CSV (billed dollars per day, model and token type)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        Header::sniff(sniff.head).is_some_and(|h| h.has_all(&["usage_date_utc", "cost_usd"]))
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        csv_rows::read(input, ctx, &Opts::default(), bind, |c, row| deliver(sink, row_event(c, row)))
    }
}
