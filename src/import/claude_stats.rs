//! Claude Code's `stats-cache.json`: daily tokens per model on the machine's local dates.
//!
//! It gives no split between token kinds, so each (date, model) is stored as an unsplit
//! token total: it counts toward token budgets and shows as unpriced, never as $0. Its
//! units depend on `dailyModelTokensVersion` (input + output only in v1/v2, every kind in
//! v5); the version is kept in the event key's source so the two are never confused. The
//! dates are calendar days and keep their date in every zone. Where transcripts exist for
//! the same model and date, the ledger marks these rows superseded. A bad day is rejected
//! as `record N`, its 1-based place in `dailyModelTokens`.

use std::io::BufRead;

use serde::Deserialize;

use super::{bad_json, read_doc, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, Tokens, UsageEvent};
use crate::timezone;

pub struct ClaudeStats;

#[derive(Deserialize)]
struct Doc {
    #[serde(rename = "lastComputedDate")]
    last_computed: Option<String>,
    #[serde(rename = "dailyModelTokensVersion")]
    units_version: Option<i64>,
    #[serde(rename = "dailyModelTokens")]
    daily: Vec<Day>,
}

#[derive(Deserialize)]
struct Day {
    date: String,
    #[serde(rename = "tokensByModel")]
    by_model: std::collections::BTreeMap<String, serde_json::Value>,
}

impl Source for ClaudeStats {
    fn name(&self) -> &'static str {
        "claude-stats"
    }

    fn describe(&self) -> &'static str {
        "Claude Code stats-cache.json (daily tokens per model, no split)"
    }

    fn authority(&self) -> Authority {
        Authority::Summary
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.path.extension().is_some_and(|e| e == "json")
            && memchr::memmem::find(sniff.head, b"\"dailyModelTokens\"").is_some()
    }

    fn position(&self, n: u64) -> Position {
        Position::Record(n)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let text = read_doc(input, ctx)?;
        let doc: Doc = serde_json::from_str(&text).map_err(|e| bad_json(ctx.path, &e))?;
        let version = doc.units_version.unwrap_or(1);
        // A newer snapshot of the file replaces what an older one said about the same day.
        let freshness = doc.last_computed.as_deref().and_then(timezone::parse_date).map_or(0, |d| {
            d.signed_duration_since(chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid")).num_days().max(0)
        });
        for (i, day) in doc.daily.iter().enumerate() {
            let row = i as u64 + 1;
            ctx.rows += 1;
            let Some(date) = timezone::parse_date(&day.date) else {
                ctx.reject(self.position(row), format!("dailyModelTokens[{i}]: date {:?} is not YYYY-MM-DD", day.date));
                continue;
            };
            for (model, n) in &day.by_model {
                let Some(tokens) = n.as_i64().filter(|t| *t >= 0) else {
                    ctx.reject(self.position(row), format!("dailyModelTokens[{i}] {model}: {n} is not a token count"));
                    continue;
                };
                if tokens == 0 {
                    continue;
                }
                let ts = timezone::day_start_ms(chrono_tz::Tz::UTC, date);
                let mut ev = UsageEvent::new(format!("v{version}|{date}|{model}"), "anthropic", model, ts, row);
                ev.day = Some(date);
                ev.span_ms = 86_400_000;
                ev.rank = (freshness << 40) | tokens.min((1 << 40) - 1);
                ev.tokens = Tokens { unsplit: tokens, ..Tokens::default() };
                sink(ev)?;
            }
        }
        Ok(())
    }
}
