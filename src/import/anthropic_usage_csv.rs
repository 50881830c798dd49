//! Anthropic Console usage export CSV (docs/FORMATS.md §2.1): one row per UTC day x model x API
//! key x workspace x usage type x context window (x inference geo x speed).
//!
//! Token columns are disjoint (`usage_input_tokens_no_cache` excludes cache reads and
//! writes). Cache writes come as `_cache_write_5m` and `_cache_write_1h`, or in older files
//! as one `usage_input_tokens_cache_write` column (read as 5-minute writes, the default
//! TTL). `context_window` is text with a Unicode `≤` (`≤ 200k`) and is only part of the
//! key. `speed = fast` rows are priced as the model's fast variant (`<model>-fast`, as
//! Claude Code transcripts are). `usage_date_utc` is a UTC day; a datetime variant
//! (`2026-03-22T14:00:00Z`) is read as an instant. Money is estimated from the price book.

use std::io::BufRead;

use super::csv_rows::{self, count, Header, Opts, Row};
use super::lines::deliver;
use super::vendor::{model_or_all, place, rank_of_tokens, Occurrences};
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, Tokens, UsageEvent};

pub struct AnthropicUsageCsv;

struct Cols {
    date: usize,
    model: usize,
    api_key: Option<usize>,
    workspace: Option<usize>,
    usage_type: Option<usize>,
    context: Option<usize>,
    geo: Option<usize>,
    speed: Option<usize>,
    input: usize,
    write_5m: Option<usize>,
    write_1h: Option<usize>,
    read: Option<usize>,
    output: usize,
    web: Option<usize>,
    occ: Occurrences,
}

fn bind(h: &Header) -> std::result::Result<Cols, String> {
    Ok(Cols {
        date: h.require("usage_date_utc")?,
        model: h.require("model_version")?,
        api_key: h.find("api_key"),
        workspace: h.find("workspace"),
        usage_type: h.find("usage_type"),
        context: h.find("context_window"),
        geo: h.find("inference_geo"),
        speed: h.find("speed"),
        input: h.require("usage_input_tokens_no_cache")?,
        write_5m: h.find("usage_input_tokens_cache_write_5m").or_else(|| h.find("usage_input_tokens_cache_write")),
        write_1h: h.find("usage_input_tokens_cache_write_1h"),
        read: h.find("usage_input_tokens_cache_read"),
        output: h.require("usage_output_tokens")?,
        web: h.find("web_search_count"),
        occ: Occurrences::default(),
    })
}

fn row_event(c: &mut Cols, row: &Row) -> std::result::Result<Option<UsageEvent>, String> {
    let n = |i: Option<usize>, name: &str| count(row.opt(i)).map_err(|e| format!("{name}: {e}"));
    let tokens = Tokens {
        input: n(Some(c.input), "usage_input_tokens_no_cache")?,
        cache_write_5m: n(c.write_5m, "usage_input_tokens_cache_write_5m")?,
        cache_write_1h: n(c.write_1h, "usage_input_tokens_cache_write_1h")?,
        cache_read: n(c.read, "usage_input_tokens_cache_read")?,
        output: n(Some(c.output), "usage_output_tokens")?,
        web_search_requests: n(c.web, "web_search_count")?,
        ..Tokens::default()
    };
    let date = row.get(c.date);
    let model = row.get(c.model);
    let speed = row.opt(c.speed);
    let key = c.occ.key(format!(
        "{date}|{model}|{}|{}|{}|{}|{}|{speed}",
        row.opt(c.api_key),
        row.opt(c.workspace),
        row.opt(c.usage_type),
        row.opt(c.context),
        row.opt(c.geo),
    ));
    let model = model_or_all(model);
    let model = if speed.eq_ignore_ascii_case("fast") { format!("{model}-fast") } else { model.to_string() };
    let mut ev = UsageEvent::new(key, "anthropic", &model, 0, row.line);
    place(&mut ev, date)?;
    let workspace = row.opt(c.workspace);
    ev.project = (!workspace.is_empty()).then(|| workspace.to_string());
    ev.tokens = tokens;
    ev.rank = rank_of_tokens(&ev.tokens);
    Ok(Some(ev))
}

impl Source for AnthropicUsageCsv {
    fn name(&self) -> &'static str {
        "anthropic-usage-csv"
    }

    fn describe(&self) -> &'static str {
        "Anthropic Console usage export CSV (tokens per day, model, key and workspace)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        Header::sniff(sniff.head).is_some_and(|h| {
            h.has_all(&["usage_date_utc", "model_version", "usage_output_tokens"]) && !h.has("cost_usd")
        })
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        csv_rows::read(input, ctx, &Opts::default(), bind, |c, row| deliver(sink, row_event(c, row)))
    }
}
