//! Saved pages of the Anthropic Admin API cost report, `GET /v1/organizations/cost_report`
//! (docs/FORMATS.md §2.4): `{"data":[{"starting_at","ending_at","results":[...]}]}`, or an array
//! of such pages.
//!
//! `amount` is a decimal STRING in CENTS (`"123.78912"` is $1.2378912): parsed exactly with
//! `Usd::parse_cents`; currency `USD`. Buckets are 1 UTC day. Dimensions are `null` unless
//! grouped (`workspace_id`, `description`); without a model the event is labelled with the
//! description. Buckets without costs (`"results": []`) add nothing. A rejected result is
//! `record N`, N its place in the document (1-based), not a line.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::vendor::{buckets, model_or_all, number_text, rank_of_cost, set_bucket, Occurrences};
use super::{read_doc, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, CostKind, UsageEvent};
use crate::money::Usd;
use crate::timezone::parse_instant_ms;

pub struct AnthropicCostJson;

#[derive(Deserialize)]
struct Bucket<'a> {
    starting_at: String,
    ending_at: String,
    #[serde(default, borrow)]
    results: Vec<Result_<'a>>,
}

#[derive(Deserialize)]
struct Result_<'a> {
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    currency: Option<String>,
    cost_type: Option<String>,
    description: Option<String>,
    context_window: Option<String>,
    inference_geo: Option<String>,
    model: Option<String>,
    service_tier: Option<String>,
    token_type: Option<String>,
    workspace_id: Option<String>,
}

fn event(b: &Bucket, r: &Result_, occ: &mut Occurrences, n: u64) -> std::result::Result<UsageEvent, String> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    if let Some(c) = &r.currency {
        if !c.eq_ignore_ascii_case("usd") {
            return Err(format!("currency {c:?} is not USD"));
        }
    }
    let cents = number_text(r.amount.ok_or("no amount")?)?;
    let cost = Usd::parse_cents(cents).map_err(|e| format!("amount: {e}"))?;
    let start =
        parse_instant_ms(&b.starting_at).ok_or_else(|| format!("starting_at {:?} is not a time", b.starting_at))?;
    let end = parse_instant_ms(&b.ending_at).ok_or_else(|| format!("ending_at {:?} is not a time", b.ending_at))?;
    let key = occ.key(format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}",
        start,
        s(&r.workspace_id),
        s(&r.description),
        s(&r.model),
        s(&r.token_type),
        s(&r.cost_type),
        s(&r.service_tier),
        s(&r.context_window),
        s(&r.inference_geo)
    ));
    let label = r.model.as_deref().or(r.description.as_deref()).unwrap_or("");
    let mut ev = UsageEvent::new(key, "anthropic", model_or_all(label), 0, n);
    set_bucket(&mut ev, start, end);
    ev.project = r.workspace_id.clone();
    ev.cost = Some(cost);
    ev.cost_kind = CostKind::Billed;
    ev.rank = rank_of_cost(cost);
    Ok(ev)
}

impl Source for AnthropicCostJson {
    fn name(&self) -> &'static str {
        "anthropic-cost-json"
    }

    fn describe(&self) -> &'static str {
        "Anthropic Admin API cost report pages (/v1/organizations/cost_report), saved as JSON"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        let has = |s: &[u8]| memchr::memmem::find(sniff.head, s).is_some();
        sniff.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
            && has(b"\"starting_at\"")
            && has(b"\"ending_at\"")
            && (has(b"\"cost_type\"") || has(b"\"amount\"") && has(b"\"currency\""))
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
                match event(bucket, r, &mut occ, n) {
                    Ok(ev) => sink(ev)?,
                    Err(reason) => ctx.reject(self.position(n), format!("bucket {} result {}: {reason}", b + 1, i + 1)),
                }
            }
        }
        Ok(())
    }
}
