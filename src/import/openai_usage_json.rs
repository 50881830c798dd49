//! Saved pages of the OpenAI Usage API, `GET /v1/organization/usage/completions`
//! (docs/FORMATS.md §1.2): `{"object":"page","data":[bucket...]}`, or an array of such pages.
//!
//! Each bucket (`start_time`/`end_time`, unix seconds; 1 day, 1 hour or 1 minute) holds
//! results with the same meaning and natural key as the dashboard CSV rows
//! (`vendor::OpenAiUsageRow`): `input_tokens` includes `input_cached_tokens`; group-by
//! dimensions are `null` unless grouped. Every field but the required four is optional
//! (the schema has grown over time). A rejected result is `record N`, N its place in the
//! document (1-based, across buckets and pages), not a line.

use std::io::BufRead;

use serde::Deserialize;

use super::vendor::{buckets, flag, Occurrences, OpenAiUsageRow};
use super::{read_doc, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::Authority;

pub struct OpenAiUsageJson;

#[derive(Deserialize)]
struct Bucket {
    start_time: i64,
    end_time: i64,
    #[serde(default)]
    results: Vec<Result_>,
}

#[derive(Deserialize)]
struct Result_ {
    #[serde(default)]
    num_model_requests: Option<i64>,
    #[serde(default)]
    input_tokens: Option<i64>,
    #[serde(default)]
    input_cached_tokens: Option<i64>,
    #[serde(default)]
    output_tokens: Option<i64>,
    project_id: Option<String>,
    user_id: Option<String>,
    api_key_id: Option<String>,
    model: Option<String>,
    batch: Option<bool>,
    service_tier: Option<String>,
}

fn non_negative(v: Option<i64>, name: &str) -> std::result::Result<i64, String> {
    match v.unwrap_or(0) {
        n if n < 0 => Err(format!("{name} is negative ({n})")),
        n => Ok(n),
    }
}

impl Source for OpenAiUsageJson {
    fn name(&self) -> &'static str {
        "openai-usage-json"
    }

    fn describe(&self) -> &'static str {
        "OpenAI Usage API pages (/v1/organization/usage/completions), saved as JSON"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
            && memchr::memmem::find(sniff.head, b"organization.usage.completions.result").is_some()
    }

    fn position(&self, n: u64) -> Position {
        Position::Record(n)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let text = read_doc(input, ctx)?;
        let mut occ = Occurrences::default();
        let mut n = 0u64;
        for (b, bucket) in buckets::<Bucket>(&text, ctx.path)?.iter().enumerate() {
            for (i, r) in bucket.results.iter().enumerate() {
                n += 1;
                ctx.rows += 1;
                let ev = (|| {
                    let batch = match r.batch {
                        Some(b) => flag(if b { "true" } else { "false" }),
                        None => "",
                    };
                    OpenAiUsageRow {
                        start_s: bucket.start_time,
                        end_s: bucket.end_time,
                        project: r.project_id.as_deref().unwrap_or(""),
                        user: r.user_id.as_deref().unwrap_or(""),
                        api_key: r.api_key_id.as_deref().unwrap_or(""),
                        model: r.model.as_deref().unwrap_or(""),
                        batch,
                        tier: r.service_tier.as_deref().unwrap_or(""),
                        requests: non_negative(r.num_model_requests, "num_model_requests")?,
                        input: non_negative(r.input_tokens, "input_tokens")?,
                        cached: non_negative(r.input_cached_tokens, "input_cached_tokens")?,
                        output: non_negative(r.output_tokens, "output_tokens")?,
                    }
                    .event(&mut occ, n)
                })();
                match ev {
                    Ok(ev) => sink(ev)?,
                    Err(reason) => ctx.reject(self.position(n), format!("bucket {} result {}: {reason}", b + 1, i + 1)),
                }
            }
        }
        Ok(())
    }
}
