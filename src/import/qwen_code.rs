//! Qwen Code chat logs (`~/.qwen/projects/<sanitized cwd>/chats/<sessionId>.jsonl`).
//!
//! A chat file is JSONL: `user`, `assistant`, `tool_result` and `system` records, each with
//! `uuid`, `sessionId`, `timestamp` (a UTC instant) and `cwd`. Usage is written twice, in two
//! shapes: `assistant` records carry `usageMetadata` for main-agent replies only, while the
//! `system`/`ui_telemetry` records whose `systemPayload.uiEvent["event.name"]` is
//! `qwen-code.api_response` carry one row per API call, main agent and sub-agents alike
//! (sub-agent calls, `prompt_id` `<session>#<agent>-<rand>#<n>`, have no assistant record).
//! So only the telemetry rows are events; the assistant records would count main-agent
//! calls twice and still miss the sub-agents.
//!
//! The backend is OpenAI-compatible: `input_token_count` includes the cached tokens and
//! `output_token_count` includes the thoughts. The event stores `input - cached` as
//! uncached input, `cached` as cache read, `output` as output and `thoughts` as its
//! informational reasoning part; nothing is added to anything.
//!
//! The key is the call's `response_id` with its counts, so a record repeated by a resumed or
//! rewritten session, in this file or another, is stored once, while a backend that gives
//! every call the same id (a local server) still has each call counted. The day is
//! the record's own `timestamp`, never the file's name or age. The model is stored as
//! recorded (`coder-model` on the free tier has no price and stays unpriced).

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::csv_rows::MAX_COUNT;
use super::lines::{deliver, for_each_line, json_reason};
use super::names::provider_of;
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::{Error, Result};
use crate::model::{Authority, Tokens, UsageEvent};
use crate::timezone::parse_instant_ms;

pub struct QwenCode;

/// The telemetry event that carries one API call's usage.
const API_RESPONSE: &str = "qwen-code.api_response";

/// Keys only a Qwen Code chat record has (an unescaped `"key":` is always a key in valid
/// JSON, never text inside a string): the telemetry payload, the Gemini-style message
/// `parts` and the assistant's usage.
const QWEN_KEYS: [&str; 3] = ["\"systemPayload\":", "\"parts\":", "\"usageMetadata\":"];

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(rename = "systemPayload", borrow)]
    system_payload: Option<&'a RawValue>,
    #[serde(borrow)]
    message: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "uiEvent", borrow)]
    ui_event: Option<UiEvent<'a>>,
}

#[derive(Deserialize)]
struct UiEvent<'a> {
    #[serde(rename = "event.name", borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "event.timestamp", borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    response_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    auth_type: Option<Cow<'a, str>>,
    input_token_count: Option<i64>,
    output_token_count: Option<i64>,
    cached_content_token_count: Option<i64>,
    thoughts_token_count: Option<i64>,
}

/// A message, for telling a Qwen record (`parts`) from another agent's (`content`).
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    parts: Option<&'a RawValue>,
}

/// Whether a line of a JSONL head looks like a Qwen Code chat record.
fn looks_like_chat(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with('{')
        && l.contains("\"sessionId\"")
        && l.contains("\"uuid\"")
        && QWEN_KEYS.iter().any(|k| l.contains(k))
}

impl Source for QwenCode {
    fn name(&self) -> &'static str {
        "qwen-code"
    }

    fn describe(&self) -> &'static str {
        "Qwen Code chat logs (~/.qwen/projects/*/chats/*.jsonl)"
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.path.extension().is_some_and(|e| e == "jsonl")
            && String::from_utf8_lossy(sniff.head).lines().take(50).any(looks_like_chat)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let project = ctx.project.clone();
        let path = ctx.path.to_path_buf();
        // From the first byte, the first record decides whether this is a chat log at all
        // (a file forced with `--format qwen-code` that is not one fails, naming the file).
        let mut checked = ctx.first_line > 0;
        let finder = memchr::memmem::Finder::new(API_RESPONSE.as_bytes());
        for_each_line(input, ctx, |_, line_no, text| {
            if !checked {
                if let Ok(record) = serde_json::from_str::<Record>(text) {
                    if !is_chat_record(&record) {
                        return Err(Error::BadFile {
                            path: path.clone(),
                            reason: format!("line {line_no} is not a Qwen Code chat record"),
                        });
                    }
                    checked = true;
                }
            }
            // Most records (turns, tool calls, slash commands) carry no usage: skip them
            // without parsing.
            if finder.find(text.as_bytes()).is_none() {
                return Ok(Ok(()));
            }
            deliver(sink, event_of(line_no, text, project.as_deref()))
        })
    }
}

/// A record of a Qwen Code chat: it names its session, record and type, and a message
/// it carries is made of `parts` (Claude Code's have `content`).
fn is_chat_record(r: &Record) -> bool {
    let parts = match r.message {
        Some(m) => serde_json::from_str::<Message>(m.get()).is_ok_and(|m| m.parts.is_some()),
        None => true,
    };
    r.session_id.is_some() && r.uuid.is_some() && r.kind.is_some() && parts
}

fn event_of(line_no: u64, text: &str, project: Option<&str>) -> std::result::Result<Option<UsageEvent>, String> {
    let record: Record = serde_json::from_str(text).map_err(|e| json_reason(&e))?;
    let Some(payload) = record.system_payload else { return Ok(None) };
    let payload: Payload = serde_json::from_str(payload.get()).map_err(|e| json_reason(&e))?;
    let Some(e) = payload.ui_event else { return Ok(None) };
    if e.name.as_deref() != Some(API_RESPONSE) {
        return Ok(None);
    }
    let ts = record.timestamp.as_deref().or(e.timestamp.as_deref()).ok_or("no timestamp")?;
    let ts_ms = parse_instant_ms(ts).ok_or_else(|| format!("timestamp {ts:?} is not an RFC 3339 instant"))?;
    let count = |name: &str, v: Option<i64>| match v {
        Some(n) if n < 0 => Err(format!("{name} is negative ({n})")),
        // Far from i64 overflow when a call's counts are added up.
        Some(n) if n > MAX_COUNT => Err(format!("{name} {n} is more than {MAX_COUNT}, not a plausible count")),
        v => Ok(v.unwrap_or(0)),
    };
    let input = count("input_token_count", e.input_token_count)?;
    let cached = count("cached_content_token_count", e.cached_content_token_count)?;
    let output = count("output_token_count", e.output_token_count)?;
    let thoughts = count("thoughts_token_count", e.thoughts_token_count)?;
    if cached > input {
        // The cached tokens are part of the input: more of them than input is no known shape.
        return Err(format!("cached_content_token_count {cached} exceeds input_token_count {input}"));
    }
    // The response id names one completion; a copy of its record (a resumed or rewritten
    // session) repeats its counts too. Other counts under the same id are another call
    // from a backend that reuses ids (local OpenAI-compatible servers, mocks).
    let key = match (e.response_id.as_deref(), record.uuid.as_deref()) {
        (Some(id), _) if !id.is_empty() => format!("{id}|{input}|{cached}|{output}|{thoughts}"),
        // No response id: the record's own id, which a replayed copy keeps.
        (_, Some(uuid)) if !uuid.is_empty() => format!("uuid:{uuid}"),
        _ => format!("line-sha256:{:x}", Sha256::digest(text.as_bytes())),
    };
    // No model named: stored, and shown unpriced rather than guessed.
    let model = e.model.as_deref().filter(|m| !m.is_empty()).unwrap_or("qwen-code-unknown-model");
    let provider = match provider_of(model) {
        "unknown" if e.auth_type.as_deref() == Some("qwen-oauth") || model.to_ascii_lowercase().contains("qwen") => {
            "qwen"
        }
        p => p,
    };
    let mut ev = UsageEvent::new(key, provider, model, ts_ms, line_no);
    ev.tokens = Tokens {
        input: input - cached,
        cache_read: cached,
        output,
        reasoning: thoughts.min(output),
        requests: 1,
        ..Tokens::default()
    };
    ev.project = record.cwd.map(Cow::into_owned).filter(|c| !c.is_empty()).or_else(|| project.map(str::to_string));
    Ok(Some(ev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Position, Rejected};

    fn parse_str(text: &str) -> Result<(Vec<UsageEvent>, Vec<Rejected>)> {
        let path = std::path::Path::new("s.jsonl");
        let mut ctx = ParseCtx::new(path);
        let mut out = vec![];
        QwenCode.parse(&mut std::io::Cursor::new(text.as_bytes()), &mut ctx, &mut |e| {
            out.push(e);
            Ok(())
        })?;
        Ok((out, ctx.rejected))
    }

    const T: &str = r#"{"uuid":"u2","parentUuid":"u1","sessionId":"s","timestamp":"2026-04-05T08:26:26.889Z","type":"system","cwd":"C:\\Users\\Dev","version":"0.14.0","subtype":"ui_telemetry","systemPayload":{"uiEvent":{"event.name":"qwen-code.api_response","event.timestamp":"2026-04-05T08:26:26.889Z","response_id":"chatcmpl-1","model":"coder-model","status_code":200,"input_token_count":14217,"output_token_count":31,"cached_content_token_count":13767,"thoughts_token_count":17,"tool_token_count":0,"total_token_count":14248,"prompt_id":"s########0","auth_type":"qwen-oauth"}}}"#;
    const A: &str = r#"{"uuid":"u3","parentUuid":"u2","sessionId":"s","timestamp":"2026-04-05T08:26:26.926Z","type":"assistant","cwd":"C:\\Users\\Dev","version":"0.14.0","model":"coder-model","message":{"role":"model","parts":[{"text":"Hi"}]},"usageMetadata":{"promptTokenCount":14217,"candidatesTokenCount":31,"thoughtsTokenCount":17,"totalTokenCount":14248,"cachedContentTokenCount":13767}}"#;

    #[test]
    fn telemetry_is_the_event_and_cache_and_thoughts_are_inside() {
        let (evs, rej) = parse_str(&format!("{T}\n{A}\n")).unwrap();
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!(evs.len(), 1);
        let e = &evs[0];
        assert_eq!(
            (e.key.as_str(), e.model.as_str(), e.provider.as_str()),
            ("chatcmpl-1|14217|13767|31|17", "coder-model", "qwen")
        );
        assert_eq!((e.tokens.input, e.tokens.cache_read, e.tokens.output, e.tokens.reasoning), (450, 13767, 31, 17));
        assert_eq!(e.tokens.total(), 14248);
        assert_eq!(e.project.as_deref(), Some("C:\\Users\\Dev"));
    }

    #[test]
    fn bad_records_are_rejected_by_line() {
        let neg = T.replace("\"output_token_count\":31", "\"output_token_count\":-1");
        let over = T.replace("\"cached_content_token_count\":13767", "\"cached_content_token_count\":99999");
        let ts = T.replace("\"timestamp\":\"2026-04-05T08:26:26.889Z\"", "\"timestamp\":\"soon\"");
        let huge = T.replace("\"input_token_count\":14217", "\"input_token_count\":9223372036854775807");
        let text = format!("{A}\n{neg}\n{over}\n{ts}\n{{\"uuid\": \"qwen-code.api_response\n{huge}\n");
        let (evs, rej) = parse_str(&text).unwrap();
        assert!(evs.is_empty());
        let at: Vec<_> = rej.iter().map(|r| r.at).collect();
        let want = [2, 3, 4, 5, 6].map(Position::Line);
        assert_eq!(at, want, "{rej:?}");
        assert!(rej[0].reason.contains("negative"), "{rej:?}");
        assert!(rej[1].reason.contains("exceeds"), "{rej:?}");
        assert!(rej[2].reason.contains("soon"), "{rej:?}");
        assert!(rej[4].reason.contains("not a plausible count"), "{rej:?}");
    }

    #[test]
    fn a_scan_resumed_after_any_line_reads_the_same_events() {
        let side = T.replace("chatcmpl-1", "chatcmpl-2").replace("########0", "#tester-x1#0");
        let text = format!("{T}\n{A}\n{side}\n{T}\n");
        let (whole, _) = parse_str(&text).unwrap();
        let keys = |evs: &[UsageEvent]| evs.iter().map(|e| format!("{}@{}", e.key, e.line)).collect::<Vec<_>>();
        assert_eq!(whole.len(), 3, "the repeated call is the ledger's to merge");
        for cut in text.match_indices('\n').map(|(i, _)| i + 1) {
            let path = std::path::Path::new("s.jsonl");
            let mut first = ParseCtx { tail: crate::import::Tail::Leave, ..ParseCtx::new(path) };
            let mut got = vec![];
            let mut sink = |e: UsageEvent| {
                got.push(e);
                Ok(())
            };
            QwenCode.parse(&mut std::io::Cursor::new(&text.as_bytes()[..cut]), &mut first, &mut sink).unwrap();
            let mut rest = ParseCtx { first_line: first.last_line, ..ParseCtx::new(path) };
            let at = first.consumed as usize;
            QwenCode.parse(&mut std::io::Cursor::new(&text.as_bytes()[at..]), &mut rest, &mut sink).unwrap();
            assert_eq!(keys(&got), keys(&whole), "cut at byte {cut}");
        }
    }

    #[test]
    fn another_agents_log_is_not_a_chat() {
        let claude =
            r#"{"parentUuid":null,"sessionId":"s","uuid":"u","type":"user","message":{"role":"user","content":"hi"}}"#;
        let err = parse_str(&format!("{claude}\n{T}\n")).expect_err("not a chat");
        assert!(err.to_string().contains("s.jsonl"), "{err}");
    }
}
