//! Codex CLI rollouts (`sessions/**/rollout-*.jsonl`, `archived_sessions/`), docs/FORMATS.md §4.
//!
//! Usage is the delta of the cumulative `total_token_usage` between `token_count` events:
//! a repeated event adds nothing, a falling total is a counter restart (the new total counts
//! as fresh usage), and `last_token_usage` is used only when an event has no cumulative
//! total (summing it over repeated events overcounts). Cached input is inside input and
//! reasoning inside output, so the event stores `input - cached` as uncached input and keeps
//! reasoning as the informational subset. The model is the last `turn_context` model.
//!
//! The key is the event's timestamp and cumulative totals, so the same turns replayed by a
//! forked or resumed copy in another file are stored once. The running totals, model and
//! project are the importer's state, saved with the scan offset so a re-scan can resume.

use std::borrow::Cow;
use std::io::BufRead;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::lines::{for_each_line, json_reason};
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, Tokens, UsageEvent};
use crate::timezone::parse_instant_ms;

pub struct Codex;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct TurnContext<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EventMsg<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    info: Option<Info<'a>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Info<'a> {
    total_token_usage: Option<Usage>,
    last_token_usage: Option<Usage>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Serialize, Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Usage {
    #[serde(default)]
    input_tokens: i64,
    #[serde(default)]
    cached_input_tokens: i64,
    #[serde(default)]
    output_tokens: i64,
    #[serde(default)]
    reasoning_output_tokens: i64,
    #[serde(default)]
    total_tokens: i64,
    #[serde(default)]
    cache_write_input_tokens: i64,
}

impl Usage {
    fn minus(&self, o: &Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens - o.input_tokens,
            cached_input_tokens: self.cached_input_tokens - o.cached_input_tokens,
            output_tokens: self.output_tokens - o.output_tokens,
            reasoning_output_tokens: self.reasoning_output_tokens - o.reasoning_output_tokens,
            total_tokens: self.total_tokens - o.total_tokens,
            cache_write_input_tokens: self.cache_write_input_tokens - o.cache_write_input_tokens,
        }
    }

    fn any_negative(&self) -> bool {
        [
            self.input_tokens,
            self.cached_input_tokens,
            self.output_tokens,
            self.reasoning_output_tokens,
            self.total_tokens,
            self.cache_write_input_tokens,
        ]
        .iter()
        .any(|v| *v < 0)
    }

    fn is_zero(&self) -> bool {
        self.input_tokens == 0
            && self.cached_input_tokens == 0
            && self.output_tokens == 0
            && self.reasoning_output_tokens == 0
    }
}

/// What the importer remembers between lines, and between scans.
#[derive(Deserialize, Serialize, Default, Clone, Debug, PartialEq)]
struct State {
    totals: Option<Usage>,
    model: Option<String>,
    project: Option<String>,
}

impl Source for Codex {
    fn name(&self) -> &'static str {
        "codex"
    }

    fn describe(&self) -> &'static str {
        "Codex CLI rollouts (~/.codex/sessions/**/rollout-*.jsonl)"
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        let text = String::from_utf8_lossy(sniff.head);
        sniff.path.extension().is_some_and(|e| e == "jsonl")
            && text.lines().take(20).any(|l| {
                l.trim_start().starts_with('{')
                    && l.contains("\"payload\"")
                    && ["\"session_meta\"", "\"turn_context\"", "\"event_msg\"", "\"response_item\""]
                        .iter()
                        .any(|k| l.contains(k))
            })
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let mut st: State = ctx.state.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        if st.project.is_none() {
            st.project = ctx.project.clone();
        }
        for_each_line(input, ctx, |_, line_no, text| {
            let line: Line = match serde_json::from_str(text) {
                Ok(l) => l,
                Err(e) => return Ok(Err(json_reason(&e))),
            };
            let Some(payload) = line.payload else { return Ok(Ok(())) };
            let payload = payload.get();
            match line.kind.as_deref() {
                Some("session_meta") => st.session_meta(payload),
                Some("turn_context") => st.turn_context(payload),
                Some("event_msg") if payload.contains("\"token_count\"") => {
                    match st.token_count(line.timestamp.as_deref(), payload, line_no) {
                        Ok(Some(ev)) => sink(ev)?,
                        Ok(None) => {}
                        Err(reason) => return Ok(Err(reason)),
                    }
                }
                _ => {}
            }
            Ok(Ok(()))
        })?;
        ctx.state = Some(serde_json::to_string(&st).expect("state serialises"));
        Ok(())
    }
}

impl State {
    /// A session's first line: its working directory is the project.
    fn session_meta(&mut self, payload: &str) {
        if let Ok(Meta { cwd: Some(cwd) }) = serde_json::from_str(payload) {
            self.project = Some(cwd.into_owned());
        }
    }

    /// A turn's context: the model of the usage that follows (and the project, if the
    /// session did not say).
    fn turn_context(&mut self, payload: &str) {
        if let Ok(tc) = serde_json::from_str::<TurnContext>(payload) {
            if let Some(m) = tc.model.filter(|m| !m.is_empty()) {
                self.model = Some(m.into_owned());
            }
            if let (None, Some(cwd)) = (&self.project, tc.cwd) {
                self.project = Some(cwd.into_owned());
            }
        }
    }

    /// A `token_count` event: the usage since the last one, as an event (None when it adds
    /// nothing), or why the line is rejected.
    fn token_count(
        &mut self,
        timestamp: Option<&str>,
        payload: &str,
        line_no: u64,
    ) -> std::result::Result<Option<UsageEvent>, String> {
        let msg: EventMsg = serde_json::from_str(payload).map_err(|e| json_reason(&e))?;
        if msg.kind.as_deref() != Some("token_count") {
            return Ok(None);
        }
        let Some(info) = msg.info else { return Ok(None) };
        let ts = timestamp.ok_or("no timestamp")?;
        let ts_ms = parse_instant_ms(ts).ok_or_else(|| format!("timestamp {ts:?} is not an RFC 3339 instant"))?;
        let Some(delta) = self.delta(info.total_token_usage, info.last_token_usage) else { return Ok(None) };
        if delta.is_zero() {
            return Ok(None);
        }
        let model = msg.model.or(info.model).map(Cow::into_owned).or_else(|| self.model.clone());
        // No model named anywhere: stored, and shown unpriced rather than guessed.
        let model = model.unwrap_or_else(|| "codex-unknown-model".to_string());
        let cum = self.totals.unwrap_or(delta);
        let key = format!(
            "{}|{}|{}|{}|{}|{}",
            ts_ms,
            cum.input_tokens,
            cum.cached_input_tokens,
            cum.output_tokens,
            cum.reasoning_output_tokens,
            cum.total_tokens
        );
        let cached = delta.cached_input_tokens.clamp(0, delta.input_tokens.max(0));
        let written = delta.cache_write_input_tokens.clamp(0, (delta.input_tokens - cached).max(0));
        let mut ev = UsageEvent::new(key, "openai", &model, ts_ms, line_no);
        ev.tokens = Tokens {
            input: delta.input_tokens - cached - written,
            cache_read: cached,
            cache_write_5m: written,
            output: delta.output_tokens,
            reasoning: delta.reasoning_output_tokens.min(delta.output_tokens),
            requests: 1,
            ..Tokens::default()
        };
        ev.project = self.project.clone();
        Ok(Some(ev))
    }

    /// The usage an event adds, moving the running totals on: the growth of the cumulative
    /// total (all of it after a counter restart), else the event's own `last` usage.
    fn delta(&mut self, total: Option<Usage>, last: Option<Usage>) -> Option<Usage> {
        match (total, &self.totals) {
            (Some(total), Some(prev)) => {
                let d = total.minus(prev);
                self.totals = Some(total);
                if d.any_negative() {
                    Some(total) // the counter restarted: all of it is new
                } else {
                    Some(d)
                }
            }
            (Some(total), None) => {
                self.totals = Some(total);
                Some(total)
            }
            (None, _) => last,
        }
    }
}
