//! OpenAI usage dashboard "Activity" export: the completions usage CSV (docs/FORMATS.md §1.1).
//! Its rows mean what the Usage API JSON's results mean (`vendor::OpenAiUsageRow`).
//!
//! One row per bucket (1 day, 1 hour or 1 minute) and group-by combination (project, user,
//! API key, model, batch, service tier). Counts are written as floats (`59200.0`);
//! `input_tokens` INCLUDES `input_cached_tokens`, so the uncached input is the difference.
//! The `*_text/_audio/_image_tokens` columns are a breakdown and are not added. A bucket
//! without usage is a row whose fields past the time columns are all empty: skipped, not
//! rejected. Several rows may share every dimension (the vendor groups by something it
//! does not export): each is its own event, told apart by its order (see `vendor`).

use std::io::BufRead;

use super::csv_rows::{self, count, Header, Opts, Row};
use super::lines::deliver;
use super::vendor::{flag, Occurrences, OpenAiUsageRow};
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, UsageEvent};

pub struct OpenAiUsageCsv;

/// The columns read, by index.
struct Cols {
    start: usize,
    end: usize,
    project: Option<usize>,
    user: Option<usize>,
    api_key: Option<usize>,
    model: Option<usize>,
    batch: Option<usize>,
    tier: Option<usize>,
    requests: Option<usize>,
    input: Option<usize>,
    cached: Option<usize>,
    output: Option<usize>,
    /// Every column but the four time columns: all empty means an empty bucket.
    data: Vec<usize>,
    occ: Occurrences,
}

const TIME_COLUMNS: [&str; 4] = ["start_time", "end_time", "start_time_iso", "end_time_iso"];

/// The usage export's header: time columns and token columns, no cost column. An export
/// with no data at all is just the four time columns.
pub fn is_usage_header(h: &Header) -> bool {
    let empty_export = h.len() == 4 && h.has_all(&TIME_COLUMNS);
    h.has_all(&["start_time", "end_time"])
        && !h.has("amount_value")
        && (empty_export || h.has_all(&["input_tokens", "num_model_requests"]))
}

fn bind(h: &Header) -> std::result::Result<Cols, String> {
    let time: Vec<Option<usize>> = TIME_COLUMNS.iter().map(|c| h.find(c)).collect();
    Ok(Cols {
        start: h.require("start_time")?,
        end: h.require("end_time")?,
        project: h.find("project_id"),
        user: h.find("user_id"),
        api_key: h.find("api_key_id"),
        model: h.find("model"),
        batch: h.find("batch"),
        tier: h.find("service_tier"),
        requests: h.find("num_model_requests"),
        input: h.find("input_tokens"),
        cached: h.find("input_cached_tokens"),
        output: h.find("output_tokens"),
        data: (0..h.len()).filter(|i| !time.contains(&Some(*i))).collect(),
        occ: Occurrences::default(),
    })
}

fn field_count(row: &Row, col: Option<usize>, name: &str) -> std::result::Result<i64, String> {
    count(row.opt(col)).map_err(|e| format!("{name}: {e}"))
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
    let r = OpenAiUsageRow {
        start_s: secs(c.start, "start_time")?,
        end_s: secs(c.end, "end_time")?,
        project: row.opt(c.project),
        user: row.opt(c.user),
        api_key: row.opt(c.api_key),
        model: row.opt(c.model),
        batch: flag(row.opt(c.batch)),
        tier: row.opt(c.tier),
        requests: field_count(row, c.requests, "num_model_requests")?,
        input: field_count(row, c.input, "input_tokens")?,
        cached: field_count(row, c.cached, "input_cached_tokens")?,
        output: field_count(row, c.output, "output_tokens")?,
    };
    r.event(&mut c.occ, row.line).map(Some)
}

impl Source for OpenAiUsageCsv {
    fn name(&self) -> &'static str {
        "openai-usage-csv"
    }

    fn describe(&self) -> &'static str {
        "OpenAI usage dashboard Activity export (completions usage CSV)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        Header::sniff(sniff.head).is_some_and(|h| is_usage_header(&h))
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        csv_rows::read(input, ctx, &Opts::default(), bind, |c, row| deliver(sink, row_event(c, row)))
    }
}
