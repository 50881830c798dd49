//! OpenAI usage dashboard "Cost" export: the daily costs CSV (docs/FORMATS.md §1.1). Its rows
//! mean what the Costs API JSON's results mean (`vendor::OpenAiCostRow`).
//!
//! `amount_value` is dollars as decimal text with up to 17 fractional digits
//! (`0.8958740000000000`): parsed exactly and rounded half-to-even to the nano-dollar per
//! row, so the imported total is the file's own sum. Money is *billed*; there are no
//! tokens. A day without spend is a row with empty amount and dimensions: skipped. When the
//! export is grouped by line item or project a day has several rows; `line_item` is opaque
//! text and becomes the event's model label (it is never priced).

use std::io::BufRead;

use super::csv_rows::{self, Header, Opts, Row};
use super::lines::deliver;
use super::vendor::{Occurrences, OpenAiCostRow};
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, UsageEvent};

pub struct OpenAiCostsCsv;

struct Cols {
    start: usize,
    end: usize,
    amount: usize,
    currency: Option<usize>,
    organization: Option<usize>,
    project: Option<usize>,
    api_key: Option<usize>,
    line_item: Option<usize>,
    /// Every column but the time columns: all empty means a day without spend.
    data: Vec<usize>,
    occ: Occurrences,
}

fn bind(h: &Header) -> std::result::Result<Cols, String> {
    let time: Vec<Option<usize>> =
        ["start_time", "end_time", "start_time_iso", "end_time_iso"].iter().map(|c| h.find(c)).collect();
    Ok(Cols {
        start: h.require("start_time")?,
        end: h.require("end_time")?,
        amount: h.require("amount_value")?,
        currency: h.find("amount_currency"),
        organization: h.find("organization_id"),
        project: h.find("project_id"),
        api_key: h.find("api_key_id"),
        line_item: h.find("line_item"),
        data: (0..h.len()).filter(|i| !time.contains(&Some(*i))).collect(),
        occ: Occurrences::default(),
    })
}

fn row_event(c: &mut Cols, row: &Row) -> std::result::Result<Option<UsageEvent>, String> {
    if c.data.iter().all(|&i| row.get(i).is_empty()) {
        return Ok(None);
    }
    let secs = |i: usize, name: &str| {
        csv_rows::unix_seconds_ms(row.get(i))
            .map(|ms| ms / 1000)
            .ok_or_else(|| format!("{name} {:?} is not unix seconds", row.get(i)))
    };
    let r = OpenAiCostRow {
        start_s: secs(c.start, "start_time")?,
        end_s: secs(c.end, "end_time")?,
        organization: row.opt(c.organization),
        project: row.opt(c.project),
        api_key: row.opt(c.api_key),
        line_item: row.opt(c.line_item),
        amount: row.get(c.amount),
        currency: row.opt(c.currency),
    };
    r.event(&mut c.occ, row.line).map(Some)
}

impl Source for OpenAiCostsCsv {
    fn name(&self) -> &'static str {
        "openai-costs-csv"
    }

    fn describe(&self) -> &'static str {
        "OpenAI usage dashboard Cost export (daily costs CSV, billed dollars)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        Header::sniff(sniff.head).is_some_and(|h| h.has_all(&["start_time", "end_time", "amount_value"]))
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        csv_rows::read(input, ctx, &Opts::default(), bind, |c, row| deliver(sink, row_event(c, row)))
    }
}
