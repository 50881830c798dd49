//! GitHub Copilot CLI session logs (`~/.copilot/session-state/<sessionId>/events.jsonl`).
//!
//! Each line is one event `{type, data, id, timestamp, parentId}`. Usage is written only by
//! `session.shutdown`, in `data.modelMetrics.<model>.usage`, and each shutdown covers only
//! the run it ends: a resumed session appends a `session.resume`, more turns and another
//! shutdown to the same file, so every shutdown is summed (treating them as cumulative
//! snapshots, as some peers do, loses about a third of a resumed session). A session that
//! crashed before its shutdown recorded no usage. `inputTokens` includes the cache read and
//! written, so uncached input is `inputTokens - cacheReadTokens - cacheWriteTokens`;
//! `reasoningTokens` is inside `outputTokens`. The context-window gauges of a shutdown
//! (`currentTokens`, `systemTokens`, ...) are not usage and are ignored.
//!
//! One event per shutdown and model, at the shutdown's instant. The key is the shutdown
//! event's own `id` and the model, never the file or line: an older snapshot of a growing
//! file, a copied session folder or a line written twice adds each shutdown once. Premium
//! requests (`requests.cost`) and `totalNanoAiu` are Copilot's quota units, not dollars, so
//! no cost is stated: the price book estimates the tokens' value. `session-store.db` holds
//! no tokens and is not read here.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::lines::{for_each_line, json_reason};
use super::names::provider_of;
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::{Error, Result};
use crate::model::{Authority, Tokens, UsageEvent};
use crate::timezone::parse_instant_ms;

pub struct CopilotCli;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
}

/// `session.start` and `session.resume`: the session and where it runs.
#[derive(Deserialize)]
struct Start<'a> {
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    context: Option<Context<'a>>,
}

#[derive(Deserialize)]
struct Context<'a> {
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Shutdown {
    #[serde(rename = "modelMetrics", default)]
    model_metrics: BTreeMap<String, Metrics>,
}

#[derive(Deserialize)]
struct Metrics {
    requests: Option<Requests>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Requests {
    count: Option<u64>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(rename = "inputTokens", default)]
    input: u64,
    #[serde(rename = "outputTokens", default)]
    output: u64,
    #[serde(rename = "cacheReadTokens", default)]
    cache_read: u64,
    #[serde(rename = "cacheWriteTokens", default)]
    cache_write: u64,
    #[serde(rename = "reasoningTokens", default)]
    reasoning: u64,
}

/// What the importer remembers between lines, and between scans.
#[derive(Deserialize, Serialize, Default, Clone, Debug, PartialEq)]
struct State {
    session: Option<String>,
    project: Option<String>,
    /// Whether a Copilot event has been seen (a file with none is not this format).
    seen: bool,
}

/// Event types of a Copilot CLI log, by the prefix of `type`.
const KINDS: [&str; 9] =
    ["session.", "assistant.", "user.", "tool.", "hook.", "permission.", "system.", "skill.", "abort"];

fn is_copilot_kind(kind: &str) -> bool {
    KINDS.iter().any(|k| kind.starts_with(k))
}

/// Whether a line of a file's head is a Copilot CLI event: `{"type":"session.start",...`
/// as the CLI writes it, with its `data` and `parentId`.
fn looks_like_event(line: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix("{\"type\":\"") else { return false };
    is_copilot_kind(rest) && line.contains("\"data\":") && line.contains("\"parentId\":")
}

impl Source for CopilotCli {
    fn name(&self) -> &'static str {
        "copilot-cli"
    }

    fn describe(&self) -> &'static str {
        "GitHub Copilot CLI sessions (~/.copilot/session-state/*/events.jsonl)"
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        let text = String::from_utf8_lossy(sniff.head);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let named = sniff.path.file_name().is_some_and(|n| n == "events.jsonl");
        let jsonl = sniff.path.extension().is_some_and(|e| e == "jsonl");
        // The CLI's own file name, or any JSONL whose first event is a Copilot session start
        // (a log copied out of its folder).
        (named && text.lines().take(20).any(looks_like_event))
            || (jsonl
                && text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .is_some_and(|l| looks_like_event(l) && l.contains("\"producer\":\"copilot-agent\"")))
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let mut st: State = ctx.state.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        if st.project.is_none() {
            st.project = ctx.project.clone();
        }
        if st.session.is_none() {
            // The folder is named after the session: the key of a log without its start.
            st.session = ctx.path.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
        }
        let from_start = ctx.first_line == 0;
        for_each_line(input, ctx, |_, line_no, text| {
            let line: Line = match serde_json::from_str(text) {
                Ok(l) => l,
                Err(e) => return Ok(Err(json_reason(&e))),
            };
            let Some(kind) = line.kind.as_deref() else { return Ok(Err("no \"type\"".into())) };
            if !is_copilot_kind(kind) {
                // Types a later CLI adds are not usage; they are read past, not rejected.
                return Ok(Ok(()));
            }
            st.seen = true;
            match kind {
                "session.start" | "session.resume" => {
                    st.start(line.data);
                    Ok(Ok(()))
                }
                "session.shutdown" => match st.shutdown(&line, line_no) {
                    Ok(events) => {
                        for ev in events {
                            sink(ev)?;
                        }
                        Ok(Ok(()))
                    }
                    Err(reason) => Ok(Err(reason)),
                },
                _ => Ok(Ok(())),
            }
        })?;
        if from_start && ctx.rows > 0 && !st.seen {
            return Err(Error::BadFile {
                path: ctx.path.into(),
                reason: "no GitHub Copilot CLI event in the file (not a session-state events.jsonl)".into(),
            });
        }
        ctx.state = Some(serde_json::to_string(&st).expect("state serialises"));
        Ok(())
    }
}

impl State {
    /// A session's start or resume: its id and working directory (the project).
    fn start(&mut self, data: Option<&RawValue>) {
        let Some(Ok(s)) = data.map(|d| serde_json::from_str::<Start>(d.get())) else { return };
        if let Some(id) = s.session_id.filter(|i| !i.is_empty()) {
            self.session = Some(id.into_owned());
        }
        if let Some(cwd) = s.context.and_then(|c| c.cwd).filter(|c| !c.is_empty()) {
            self.project = Some(cwd.into_owned());
        }
    }

    /// A `session.shutdown`: one event per model it names, or why the line is rejected.
    fn shutdown(&self, line: &Line, line_no: u64) -> std::result::Result<Vec<UsageEvent>, String> {
        let data = line.data.ok_or("session.shutdown without \"data\"")?;
        let sd: Shutdown = serde_json::from_str(data.get()).map_err(|e| json_reason(&e))?;
        let ts = line.timestamp.as_deref().ok_or("no timestamp")?;
        let ts_ms = parse_instant_ms(ts).ok_or_else(|| format!("timestamp {ts:?} is not an RFC 3339 instant"))?;
        // The shutdown's own id names it wherever the file is copied; without one, the
        // session and the instant do.
        let id = match line.id.as_deref() {
            Some("") => return Err("empty \"id\"".into()),
            Some(id) => id.to_string(),
            None => format!("{}@{ts_ms}", self.session.as_deref().unwrap_or("")),
        };
        let mut out = Vec::with_capacity(sd.model_metrics.len());
        for (model, m) in &sd.model_metrics {
            if model.is_empty() {
                return Err("modelMetrics has an empty model name".into());
            }
            let u = m.usage.as_ref().ok_or_else(|| format!("modelMetrics.{model} has no usage"))?;
            let cached = u.cache_read.checked_add(u.cache_write).filter(|c| *c <= u.input).ok_or_else(|| {
                format!(
                    "modelMetrics.{model}: inputTokens {} is less than cacheReadTokens {} + cacheWriteTokens {}",
                    u.input, u.cache_read, u.cache_write
                )
            })?;
            let n = |v: u64| i64::try_from(v).map_err(|_| format!("modelMetrics.{model}: token count out of range"));
            let mut ev = UsageEvent::new(format!("{id}|{model}"), provider_of(model), model, ts_ms, line_no);
            ev.tokens = Tokens {
                input: n(u.input - cached)?,
                cache_read: n(u.cache_read)?,
                cache_write_5m: n(u.cache_write)?,
                output: n(u.output)?,
                // Informational, inside output.
                reasoning: n(u.reasoning.min(u.output))?,
                requests: n(m.requests.as_ref().and_then(|r| r.count).unwrap_or(0))?,
                ..Tokens::default()
            };
            ev.project = self.project.clone();
            out.push(ev);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Position, Rejected};

    fn parse_str(path: &str, text: &str) -> Result<(Vec<UsageEvent>, Vec<Rejected>)> {
        let mut ctx = ParseCtx::new(std::path::Path::new(path));
        let mut out = vec![];
        CopilotCli.parse(&mut std::io::Cursor::new(text.as_bytes()), &mut ctx, &mut |e| {
            out.push(e);
            Ok(())
        })?;
        Ok((out, ctx.rejected))
    }

    const START: &str = r#"{"type":"session.start","data":{"sessionId":"s1","producer":"copilot-agent","context":{"cwd":"/w"}},"id":"e0","timestamp":"2026-04-06T08:41:14.802Z","parentId":null}"#;
    const SHUT: &str = r#"{"type":"session.shutdown","data":{"totalPremiumRequests":1,"modelMetrics":{"claude-sonnet-4.6":{"requests":{"count":3,"cost":1},"usage":{"inputTokens":1000,"outputTokens":50,"cacheReadTokens":700,"cacheWriteTokens":200,"reasoningTokens":10}}},"currentTokens":99999},"id":"e9","timestamp":"2026-04-06T23:59:59.999Z","parentId":"e8"}"#;

    #[test]
    fn a_shutdown_maps_to_uncached_input_and_keeps_reasoning_inside_output() {
        let (evs, rej) = parse_str("s1/events.jsonl", &format!("{START}\n{SHUT}\n")).unwrap();
        assert!(rej.is_empty(), "{rej:?}");
        let e = &evs[0];
        assert_eq!(
            (e.key.as_str(), e.provider.as_str(), e.project.as_deref()),
            ("e9|claude-sonnet-4.6", "anthropic", Some("/w"))
        );
        let t = e.tokens;
        assert_eq!(
            (t.input, t.cache_read, t.cache_write_5m, t.output, t.reasoning, t.requests),
            (100, 700, 200, 50, 10, 3)
        );
        assert_eq!(t.total(), 1050);
    }

    #[test]
    fn detects_its_logs_by_name_or_by_their_start_and_nothing_else() {
        let claims = |path: &str, head: &str| {
            CopilotCli.detect(&Sniff { path: std::path::Path::new(path), head: head.as_bytes() })
        };
        assert!(claims("session-state/s1/events.jsonl", &format!("{START}\n")));
        // A log copied out of its folder under another name still starts as the CLI wrote it.
        assert!(claims("fixtures/copilot.jsonl", &format!("{START}\n{SHUT}\n")));
        assert!(!claims("fixtures/copilot.jsonl", &format!("{SHUT}\n")));
        assert!(!claims("session-state/s1/events.json", &format!("{START}\n")));
        let codex = r#"{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"x"}}"#;
        assert!(!claims("session-state/s1/events.jsonl", codex));
        let claude =
            r#"{"parentUuid":null,"sessionId":"s","type":"user","uuid":"u","timestamp":"2026-01-01T00:00:00Z"}"#;
        assert!(!claims("events.jsonl", claude));
    }

    #[test]
    fn a_scan_resumed_mid_file_reads_the_same_events() {
        let resume = SHUT.replace("\"e9\"", "\"e10\"").replace("23:59:59.999Z", "23:59:59.000Z");
        let text = format!("{START}\n{SHUT}\n{resume}\n");
        let (whole, _) = parse_str("s1/events.jsonl", &text).unwrap();
        let cut = START.len() + 1;
        let mut ctx = ParseCtx::new(std::path::Path::new("s1/events.jsonl"));
        ctx.tail = crate::import::Tail::Leave;
        let mut evs = vec![];
        let mut sink = |e| {
            evs.push(e);
            Ok(())
        };
        CopilotCli.parse(&mut std::io::Cursor::new(&text.as_bytes()[..cut + 10]), &mut ctx, &mut sink).unwrap();
        assert_eq!(ctx.consumed, cut as u64);
        let mut next = ParseCtx::new(std::path::Path::new("s1/events.jsonl"));
        (next.first_line, next.state) = (ctx.last_line, ctx.state.take());
        CopilotCli.parse(&mut std::io::Cursor::new(&text.as_bytes()[cut..]), &mut next, &mut sink).unwrap();
        assert_eq!(evs, whole);
        assert_eq!(evs.len(), 2);
        assert_eq!((evs[1].line, evs[1].project.as_deref()), (3, Some("/w")));
    }

    #[test]
    fn bad_shutdowns_are_rejected_by_line_and_other_files_fail() {
        let over = SHUT.replace("\"inputTokens\":1000", "\"inputTokens\":800");
        let bad_ts = SHUT.replace("2026-04-06T23:59:59.999Z", "later");
        let text = format!("{START}\n{over}\n{{\"type\":\"session.shutdown\",\n{bad_ts}\n");
        let (evs, rej) = parse_str("s1/events.jsonl", &text).unwrap();
        assert!(evs.is_empty());
        assert_eq!(
            rej.iter().map(|r| r.at).collect::<Vec<_>>(),
            [Position::Line(2), Position::Line(3), Position::Line(4)]
        );
        assert!(rej[0].reason.contains("inputTokens 800 is less than"), "{}", rej[0].reason);
        assert!(rej[2].reason.contains("later"), "{}", rej[2].reason);
        let other = r#"{"timestamp":"2026-01-01T00:00:00Z","type":"event_msg","payload":{}}"#;
        let err = parse_str("x/events.jsonl", &format!("{other}\n")).expect_err("not a Copilot log");
        assert!(err.to_string().contains("x/events.jsonl"), "{err}");
    }
}
