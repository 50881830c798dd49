//! OpenRouter activity export CSV (docs/FORMATS.md §5.4): one row per generation.
//!
//! The natural key is `generation_id`, so a generation listed twice (in one file or in two
//! overlapping exports) is stored once. `created_at` is `YYYY-MM-DD HH:MM:SS.mmm` with no
//! zone: it is UTC (an RFC 3339 instant is accepted too). `tokens_prompt` INCLUDES
//! `tokens_cached`; `tokens_reasoning` is inside `tokens_completion`. `cost_total` is the
//! dollars (credits) OpenRouter billed. The provider is the vendor in the model slug
//! (`openai/gpt-oss-120b` -> `openai`); the account is OpenRouter's own.

use std::io::BufRead;

use super::csv_rows::{self, count, parse_naive, Header, Opts, Row};
use super::lines::deliver;
use super::names::provider_of_slug;
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, CostKind, Tokens, UsageEvent};
use crate::money::Usd;
use crate::timezone::parse_instant_ms;

pub struct OpenRouterCsv;

struct Cols {
    id: usize,
    created: usize,
    model: usize,
    cost: Option<usize>,
    prompt: usize,
    completion: usize,
    reasoning: Option<usize>,
    cached: Option<usize>,
}

fn bind(h: &Header) -> std::result::Result<Cols, String> {
    Ok(Cols {
        id: h.require("generation_id")?,
        created: h.require("created_at")?,
        model: h
            .find("model_permaslug")
            .or_else(|| h.find("model"))
            .ok_or("the header has no model_permaslug column")?,
        cost: h.find("cost_total"),
        prompt: h.require("tokens_prompt")?,
        completion: h.require("tokens_completion")?,
        reasoning: h.find("tokens_reasoning"),
        cached: h.find("tokens_cached"),
    })
}

fn row_event(c: &mut Cols, row: &Row) -> std::result::Result<Option<UsageEvent>, String> {
    let id = row.get(c.id);
    if id.is_empty() {
        return Err("empty generation_id".into());
    }
    let created = row.get(c.created);
    let ts = parse_naive(created)
        .map(|t| t.and_utc().timestamp_millis())
        .or_else(|| parse_instant_ms(created))
        .ok_or_else(|| format!("created_at {created:?} is not a date and time"))?;
    let n = |i: Option<usize>, name: &str| count(row.opt(i)).map_err(|e| format!("{name}: {e}"));
    let prompt = n(Some(c.prompt), "tokens_prompt")?;
    let cached = n(c.cached, "tokens_cached")?;
    if cached > prompt {
        return Err(format!("tokens_cached {cached} is more than tokens_prompt {prompt}"));
    }
    let model = row.get(c.model);
    if model.is_empty() {
        return Err("empty model_permaslug".into());
    }
    let mut ev = UsageEvent::new(id.to_string(), &provider_of_slug(model), model, ts, row.line);
    ev.tokens = Tokens {
        input: prompt - cached,
        cache_read: cached,
        output: n(Some(c.completion), "tokens_completion")?,
        reasoning: n(c.reasoning, "tokens_reasoning")?,
        requests: 1,
        ..Tokens::default()
    };
    match row.opt(c.cost) {
        "" => {}
        text => {
            ev.cost = Some(Usd::parse(text).map_err(|e| format!("cost_total: {e}"))?);
            ev.cost_kind = CostKind::Billed;
        }
    }
    Ok(Some(ev))
}

impl Source for OpenRouterCsv {
    fn name(&self) -> &'static str {
        "openrouter-csv"
    }

    fn describe(&self) -> &'static str {
        "OpenRouter activity export CSV (per generation, billed credits)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        Header::sniff(sniff.head).is_some_and(|h| h.has_all(&["generation_id", "created_at", "tokens_prompt"]))
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        csv_rows::read(input, ctx, &Opts::default(), bind, |c, row| deliver(sink, row_event(c, row)))
    }
}
