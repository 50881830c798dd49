//! Claude Code transcripts (`projects/**/*.jsonl`), docs/FORMATS.md §3.
//!
//! One API response is written as several lines (one per content block) that repeat its
//! `usage`, with `output_tokens` growing as the stream goes on. The event key is
//! `message.id:requestId` (or `message.id` alone without a request id); among the lines of
//! one response the ledger keeps the non-sidechain line first, then the one with the largest
//! token total (the rank below). A sidechain line that repeats a parent `message.id` under
//! another request id is a replay: it merges into the parent (the `group`/`loose` rule of
//! [`UsageEvent`]) and adds nothing. `<synthetic>` messages and lines without usage are
//! not events. Cache writes keep their 5-minute and 1-hour parts apart.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::lines::{deliver, for_each_line, json_reason};
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, Tokens, UsageEvent};
use crate::timezone::parse_instant_ms;

pub struct ClaudeCode;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "requestId", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<Usage<'a>>,
}

#[derive(Deserialize)]
struct Usage<'a> {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation: Option<CacheCreation>,
    server_tool_use: Option<ServerToolUse>,
    #[serde(borrow)]
    speed: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct CacheCreation {
    ephemeral_5m_input_tokens: Option<u64>,
    ephemeral_1h_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct ServerToolUse {
    web_search_requests: Option<u64>,
}

/// Whether any line of a JSONL head looks like a Claude Code transcript line.
fn looks_like_transcript(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines().take(50).any(|l| {
        let l = l.trim_start();
        l.starts_with('{')
            && (l.contains("\"sessionId\"") && (l.contains("\"parentUuid\"") || l.contains("\"uuid\""))
                || l.contains("\"type\":\"summary\"") && l.contains("\"leafUuid\""))
            && !OTHER_AGENT_KEYS.iter().any(|k| l.contains(k))
    })
}

/// Keys of another agent's records with the same `uuid`/`parentUuid`/`sessionId` frame
/// (Qwen Code's chat logs): a Claude Code line never has them, and an unescaped `"key":`
/// is always a key, never text inside a string.
const OTHER_AGENT_KEYS: [&str; 3] = ["\"systemPayload\":", "\"parts\":", "\"usageMetadata\":"];

impl Source for ClaudeCode {
    fn name(&self) -> &'static str {
        "claude-code"
    }

    fn describe(&self) -> &'static str {
        "Claude Code transcripts (~/.claude/projects/**/*.jsonl)"
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.path.extension().is_some_and(|e| e == "jsonl") && looks_like_transcript(sniff.head)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let project = ctx.project.clone();
        let finder = memchr::memmem::Finder::new(b"\"usage\"");
        for_each_line(input, ctx, |_, line_no, text| {
            // Most lines (user turns, tool results, snapshots) carry no usage: skip them
            // without parsing.
            if finder.find(text.as_bytes()).is_none() {
                return Ok(Ok(()));
            }
            deliver(sink, event_of(line_no, text, project.as_deref()))
        })
    }
}

fn event_of(line_no: u64, text: &str, project: Option<&str>) -> std::result::Result<Option<UsageEvent>, String> {
    let line: Line = serde_json::from_str(text).map_err(|e| json_reason(&e))?;
    let Some(message) = line.message else { return Ok(None) };
    let Some(usage) = message.usage else { return Ok(None) };
    let model = match message.model.as_deref() {
        Some("<synthetic>") => return Ok(None),
        Some("") => return Err("empty message.model".into()),
        Some(m) => m,
        None => return Err("assistant usage without message.model".into()),
    };
    let ts = line.timestamp.as_deref().ok_or("no timestamp")?;
    let ts_ms = parse_instant_ms(ts).ok_or_else(|| format!("timestamp {ts:?} is not an RFC 3339 instant"))?;
    let (w5m, w1h) = match &usage.cache_creation {
        Some(c) if c.ephemeral_5m_input_tokens.is_some() || c.ephemeral_1h_input_tokens.is_some() => {
            (c.ephemeral_5m_input_tokens.unwrap_or(0), c.ephemeral_1h_input_tokens.unwrap_or(0))
        }
        _ => (usage.cache_creation_input_tokens.unwrap_or(0), 0),
    };
    let tokens = Tokens {
        input: to_i64(usage.input_tokens)?,
        cache_write_5m: to_i64(Some(w5m))?,
        cache_write_1h: to_i64(Some(w1h))?,
        cache_read: to_i64(usage.cache_read_input_tokens)?,
        output: to_i64(usage.output_tokens)?,
        requests: 1,
        web_search_requests: to_i64(usage.server_tool_use.and_then(|s| s.web_search_requests))?,
        ..Tokens::default()
    };
    let sidechain = line.is_sidechain == Some(true);
    let fast = usage.speed.as_deref() == Some("fast");
    let (key, group) = match (message.id.as_deref(), line.request_id.as_deref()) {
        (Some(""), _) => return Err("empty message.id".into()),
        (Some(id), Some(req)) if !req.is_empty() => (format!("{id}:{req}"), Some(id.to_string())),
        (Some(id), _) => (id.to_string(), Some(id.to_string())),
        // No id at all: the line itself is its identity (never merged with another).
        (None, _) => (format!("line-sha256:{:x}", Sha256::digest(text.as_bytes())), None),
    };
    let model = if fast { format!("{model}-fast") } else { model.to_string() };
    let mut ev = UsageEvent::new(key, "anthropic", &model, ts_ms, line_no);
    ev.group = group;
    ev.loose = sidechain;
    // Non-sidechain first, then the larger total, then a line that states its speed.
    ev.rank = ((!sidechain as i64) << 60) | (tokens.total().min(1 << 58) << 1) | usage.speed.is_some() as i64;
    ev.tokens = tokens;
    ev.project = line.cwd.map(|c| c.into_owned()).filter(|c| !c.is_empty()).or_else(|| project.map(str::to_string));
    Ok(Some(ev))
}

fn to_i64(v: Option<u64>) -> std::result::Result<i64, String> {
    i64::try_from(v.unwrap_or(0)).map_err(|_| "token count out of range".to_string())
}

/// Line results for the unit tests below.
#[cfg(test)]
fn parse_str(text: &str) -> (Vec<UsageEvent>, Vec<super::Rejected>) {
    let path = std::path::Path::new("t.jsonl");
    let mut ctx = ParseCtx { project: Some("proj".into()), ..ParseCtx::new(path) };
    let mut out = vec![];
    ClaudeCode
        .parse(&mut std::io::Cursor::new(text.as_bytes()), &mut ctx, &mut |e| {
            out.push(e);
            Ok(())
        })
        .unwrap();
    (out, ctx.rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: &str = r#"{"parentUuid":null,"isSidechain":false,"sessionId":"s","cwd":"/w","message":{"id":"msg_1","model":"claude-sonnet-4-20250514","usage":{"input_tokens":3,"cache_creation_input_tokens":10,"cache_read_input_tokens":20,"cache_creation":{"ephemeral_5m_input_tokens":4,"ephemeral_1h_input_tokens":6},"output_tokens":7,"server_tool_use":{"web_search_requests":2}}},"requestId":"req_1","type":"assistant","uuid":"u","timestamp":"2025-06-08T10:47:08.123Z"}"#;

    #[test]
    fn reads_usage_and_cache_split() {
        let (evs, rej) = parse_str(&format!("{L}\n"));
        assert!(rej.is_empty(), "{rej:?}");
        let e = &evs[0];
        assert_eq!(e.key, "msg_1:req_1");
        assert_eq!(e.project.as_deref(), Some("/w"));
        assert_eq!(
            (e.tokens.input, e.tokens.cache_write_5m, e.tokens.cache_write_1h, e.tokens.cache_read, e.tokens.output),
            (3, 4, 6, 20, 7)
        );
        assert_eq!(e.tokens.web_search_requests, 2);
    }

    #[test]
    fn skips_synthetic_and_lines_without_usage() {
        let synthetic = L.replace("claude-sonnet-4-20250514", "<synthetic>");
        let summary = r#"{"type":"summary","summary":"x","leafUuid":"u"}"#;
        let (evs, rej) = parse_str(&format!("{synthetic}\n{summary}\n"));
        assert!(evs.is_empty() && rej.is_empty());
    }

    #[test]
    fn rejects_bad_lines_with_reasons() {
        let bad_ts = L.replace("2025-06-08T10:47:08.123Z", "yesterday");
        let (evs, rej) = parse_str(&format!("{bad_ts}\n{{\"usage\": [1,2\n{}", &L[..L.len() - 5]));
        assert!(evs.is_empty());
        assert_eq!(rej.len(), 3);
        assert!(rej[0].reason.contains("yesterday"));
        assert_eq!(rej[1].at, crate::import::Position::Line(2));
        assert!(rej[2].reason.starts_with("truncated last line"), "{}", rej[2].reason);
    }
}
