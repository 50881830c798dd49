//! `ccusage daily --json` exports: per-day token totals with ccusage's own cost estimate.
//!
//! A day lists the models used but splits tokens per model only when the export was made
//! with `--breakdown` (`modelBreakdowns`); without it the day is one event whose model is
//! the list of models ("a, b"). The cost is ccusage's estimate, read from the number's text.
//! These are summaries: transcripts of the same model and date supersede them. A bad day is
//! rejected as `record N`, its 1-based place in `daily`.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::names::provider_of;
use super::{bad_json, read_doc, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, Tokens, UsageEvent};
use crate::money::Usd;
use crate::timezone;

pub struct CcusageJson;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    daily: Vec<Day<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Day<'a> {
    date: String,
    #[serde(flatten)]
    counts: Counts,
    #[serde(borrow)]
    total_cost: Option<&'a RawValue>,
    #[serde(default)]
    models_used: Vec<String>,
    #[serde(default, borrow)]
    model_breakdowns: Vec<Breakdown<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Counts {
    #[serde(default)]
    input_tokens: i64,
    #[serde(default)]
    output_tokens: i64,
    #[serde(default)]
    cache_creation_tokens: i64,
    #[serde(default)]
    cache_read_tokens: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Breakdown<'a> {
    model_name: String,
    #[serde(flatten)]
    counts: Counts,
    #[serde(borrow)]
    cost: Option<&'a RawValue>,
}

/// `[pi] openai/gpt-5.5` -> `openai/gpt-5.5`: ccusage prefixes the agent's name.
fn clean_model(m: &str) -> &str {
    match m.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((_, model)) => model,
        None => m,
    }
}

fn event(
    date: chrono::NaiveDate,
    model: &str,
    c: &Counts,
    cost: Option<&RawValue>,
    row: u64,
) -> std::result::Result<UsageEvent, String> {
    let ts = timezone::day_start_ms(chrono_tz::Tz::UTC, date);
    let mut ev = UsageEvent::new(format!("{date}|{model}"), provider_of(model), model, ts, row);
    ev.day = Some(date);
    ev.span_ms = 86_400_000;
    ev.tokens = Tokens {
        input: c.input_tokens,
        output: c.output_tokens,
        cache_write_5m: c.cache_creation_tokens,
        cache_read: c.cache_read_tokens,
        ..Tokens::default()
    };
    if [c.input_tokens, c.output_tokens, c.cache_creation_tokens, c.cache_read_tokens].iter().any(|t| *t < 0) {
        return Err("negative token count".into());
    }
    ev.rank = ev.tokens.total();
    if let Some(raw) = cost {
        ev.cost = Some(Usd::parse(raw.get().trim_matches('"')).map_err(|e| format!("cost: {e}"))?);
    }
    Ok(ev)
}

impl Source for CcusageJson {
    fn name(&self) -> &'static str {
        "ccusage-json"
    }

    fn describe(&self) -> &'static str {
        "ccusage daily --json export (daily totals with ccusage's cost estimate)"
    }

    fn authority(&self) -> Authority {
        Authority::Summary
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        let h = sniff.head;
        let has = |s: &[u8]| memchr::memmem::find(h, s).is_some();
        sniff.path.extension().is_some_and(|e| e == "json") && has(b"\"daily\"") && has(b"\"totalCost\"")
    }

    fn position(&self, n: u64) -> Position {
        Position::Record(n)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let text = read_doc(input, ctx)?;
        let doc: Doc = serde_json::from_str(&text).map_err(|e| bad_json(ctx.path, &e))?;
        for (i, day) in doc.daily.iter().enumerate() {
            let row = i as u64 + 1;
            ctx.rows += 1;
            let Some(date) = timezone::parse_date(&day.date) else {
                ctx.reject(self.position(row), format!("daily[{i}]: date {:?} is not YYYY-MM-DD", day.date));
                continue;
            };
            let results: Vec<_> = if day.model_breakdowns.is_empty() {
                let models: Vec<&str> = day.models_used.iter().map(|m| clean_model(m)).collect();
                let model = if models.is_empty() { "unknown".to_string() } else { models.join(", ") };
                vec![event(date, &model, &day.counts, day.total_cost, row)]
            } else {
                day.model_breakdowns
                    .iter()
                    .map(|b| event(date, clean_model(&b.model_name), &b.counts, b.cost, row))
                    .collect()
            };
            for r in results {
                match r {
                    Ok(ev) => sink(ev)?,
                    Err(reason) => ctx.reject(self.position(row), format!("daily[{i}]: {reason}")),
                }
            }
        }
        Ok(())
    }
}
