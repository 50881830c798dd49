//! Saved pages of the OpenAI Costs API, `GET /v1/organization/costs` (docs/FORMATS.md §1.3):
//! 1-day buckets of results with `amount: {value, currency}`.
//!
//! `amount.value` is a JSON number in the spec but a numeric *string* in live responses
//! (`"12.50"`): both are read from their text, never through f64, and become billed money
//! with the same meaning and natural key as the dashboard cost CSV rows
//! (`vendor::OpenAiCostRow`). `line_item` is opaque text. A rejected result is `record N`,
//! N its place in the document (1-based), not a line.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::vendor::{buckets, number_text, Occurrences, OpenAiCostRow};
use super::{read_doc, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::Authority;

pub struct OpenAiCostsJson;

#[derive(Deserialize)]
struct Bucket<'a> {
    start_time: i64,
    end_time: i64,
    #[serde(default, borrow)]
    results: Vec<Result_<'a>>,
}

#[derive(Deserialize)]
struct Result_<'a> {
    #[serde(borrow)]
    amount: Option<Amount<'a>>,
    line_item: Option<String>,
    project_id: Option<String>,
    api_key_id: Option<String>,
    organization_id: Option<String>,
}

#[derive(Deserialize)]
struct Amount<'a> {
    #[serde(borrow)]
    value: Option<&'a RawValue>,
    currency: Option<String>,
}

impl Source for OpenAiCostsJson {
    fn name(&self) -> &'static str {
        "openai-costs-json"
    }

    fn describe(&self) -> &'static str {
        "OpenAI Costs API pages (/v1/organization/costs), saved as JSON (billed dollars)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
            && memchr::memmem::find(sniff.head, b"organization.costs.result").is_some()
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
                    let amount = r.amount.as_ref().ok_or("no amount")?;
                    let value = number_text(amount.value.ok_or("no amount.value")?)?;
                    OpenAiCostRow {
                        start_s: bucket.start_time,
                        end_s: bucket.end_time,
                        organization: r.organization_id.as_deref().unwrap_or(""),
                        project: r.project_id.as_deref().unwrap_or(""),
                        api_key: r.api_key_id.as_deref().unwrap_or(""),
                        line_item: r.line_item.as_deref().unwrap_or(""),
                        amount: value,
                        currency: amount.currency.as_deref().unwrap_or(""),
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
