//! Amp threads (`~/.local/share/amp/threads/T-<uuid>.json`, `AMP_DATA_DIR`): one JSON
//! document per thread, rewritten whole as the thread grows.
//!
//! The usage is the thread's `usageLedger.events[]`, one per billed operation (`inference`
//! and `title-generation`), each with its own `id`, `timestamp`, `model`, `credits` and
//! `tokens {input (uncached), output}`. Cache reads and writes are recorded only on the
//! assistant message the call produced: an event is joined to `messages[toMessageId].usage`
//! for its `cacheReadInputTokens` and `cacheCreationInputTokens` (5-minute writes), and only
//! when that usage states the same input and output (a message rewritten under a reused id
//! lends nothing). Message usage itself is never an event (it repeats an inference event),
//! nor is `~debug.lastInferenceUsage` (a third copy of the last call), nor the running
//! `creditsSinceLastUserMessage`. Amp records no reasoning count: reasoning is 0.
//!
//! Money: Amp's credits are money the user paid, billed at US$0.01 per credit (Amp's
//! documented rate; ccusage reports credits / 100 too). An event's `credits` is stored as
//! its billed cost, parsed exactly from the number's text (`Usd::parse_cents`), so rule 9
//! counts it as spend of the `amp` account and it is never re-priced. An event without
//! credits is estimated from the price book; on a UTC day where the account has billed
//! events, rule 9 then supersedes that estimate.
//!
//! Keys: the ledger event's `id` (a UUID), so re-importing a thread, a later revision of it
//! and a fork that copies its ledger count each billed operation once; the revision with the
//! larger total (the one whose message usage was written) wins. An event without an id is
//! keyed by its thread, operation, message ids and timestamp. A rejected event is `record N`,
//! N its 1-based place in `usageLedger.events`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::lines::json_reason;
use super::names::provider_of;
use super::{bad_json, read_doc, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::{Error, Result};
use crate::model::{Authority, CostKind, Tokens, UsageEvent};
use crate::money::Usd;
use crate::timezone::parse_instant_ms;

pub struct Amp;

#[derive(Deserialize)]
struct Thread<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    messages: Vec<&'a RawValue>,
    #[serde(rename = "usageLedger", borrow)]
    usage_ledger: Option<Ledger<'a>>,
    #[serde(borrow)]
    env: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Ledger<'a> {
    #[serde(default, borrow)]
    events: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    credits: Option<&'a RawValue>,
    tokens: Option<EventTokens>,
    #[serde(rename = "operationType", borrow)]
    operation: Option<Cow<'a, str>>,
    #[serde(rename = "fromMessageId")]
    from_message: Option<i64>,
    #[serde(rename = "toMessageId")]
    to_message: Option<i64>,
}

#[derive(Deserialize)]
struct EventTokens {
    input: Option<i64>,
    output: Option<i64>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "messageId")]
    id: Option<i64>,
    usage: Option<MessageUsage>,
}

#[derive(Deserialize)]
struct MessageUsage {
    #[serde(rename = "inputTokens")]
    input: Option<i64>,
    #[serde(rename = "outputTokens")]
    output: Option<i64>,
    #[serde(rename = "cacheCreationInputTokens")]
    cache_write: Option<i64>,
    #[serde(rename = "cacheReadInputTokens")]
    cache_read: Option<i64>,
}

#[derive(Deserialize)]
struct Env {
    initial: Option<Initial>,
}

#[derive(Deserialize)]
struct Initial {
    #[serde(default)]
    trees: Vec<Tree>,
}

#[derive(Deserialize)]
struct Tree {
    uri: Option<String>,
}

/// Whether `rest` (what follows a key) is `:`, then a string starting `"T-`, white space allowed.
fn is_thread_id_value(rest: &[u8]) -> bool {
    let rest = trim_ws(rest);
    let Some(rest) = rest.strip_prefix(b":") else { return false };
    trim_ws(rest).starts_with(b"\"T-")
}

fn trim_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// Whether a document's first bytes are an Amp thread: an object whose `"id"` is a `T-…`
/// thread id and that has `"messages"`.
fn looks_like_thread(head: &[u8]) -> bool {
    let head = trim_ws(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head));
    if !head.starts_with(b"{") || memchr::memmem::find(head, b"\"messages\"").is_none() {
        return false;
    }
    memchr::memmem::find_iter(head, b"\"id\"").any(|i| is_thread_id_value(&head[i + 4..]))
}

impl Source for Amp {
    fn name(&self) -> &'static str {
        "amp"
    }

    fn describe(&self) -> &'static str {
        "Amp threads (~/.local/share/amp/threads/T-*.json); credits billed at US$0.01 each"
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        let named = sniff
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("T-") && n.ends_with(".json"));
        named && looks_like_thread(sniff.head)
    }

    fn position(&self, n: u64) -> Position {
        Position::Record(n)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let text = read_doc(input, ctx)?;
        let thread: Thread = serde_json::from_str(&text).map_err(|e| bad_json(ctx.path, &e))?;
        let thread_id = match thread.id.as_deref() {
            Some(id) if id.starts_with("T-") => id.to_string(),
            _ => {
                return Err(Error::BadFile {
                    path: ctx.path.into(),
                    reason: "not an Amp thread: no \"id\": \"T-…\"".into(),
                })
            }
        };
        let project = thread.env.and_then(project_of).or_else(|| ctx.project.clone());
        let usages = message_usages(&thread.messages);
        let events = thread.usage_ledger.map(|l| l.events).unwrap_or_default();
        for (i, raw) in events.iter().enumerate() {
            let n = i as u64 + 1;
            ctx.rows += 1;
            match event_of(raw, n, &thread_id, &usages) {
                Ok(mut ev) => {
                    ev.project.clone_from(&project);
                    sink(ev)?;
                }
                Err(reason) => ctx.reject(self.position(n), format!("usageLedger event {n}: {reason}")),
            }
        }
        Ok(())
    }
}

/// Each assistant message's usage by `messageId`, or why it could not be read.
fn message_usages(messages: &[&RawValue]) -> HashMap<i64, std::result::Result<MessageUsage, String>> {
    let mut out = HashMap::new();
    for raw in messages {
        // Only messages with usage matter; most are user turns and tool results.
        if memchr::memmem::find(raw.get().as_bytes(), b"\"usage\"").is_none() {
            continue;
        }
        match serde_json::from_str::<Message>(raw.get()) {
            Ok(Message { id: Some(id), usage: Some(u) }) => {
                out.insert(id, Ok(u));
            }
            Ok(_) => {}
            Err(e) => {
                // Its id, if that much can be read, so the event it belongs to says why.
                #[derive(Deserialize)]
                struct Id {
                    #[serde(rename = "messageId")]
                    id: Option<i64>,
                }
                if let Ok(Id { id: Some(id) }) = serde_json::from_str::<Id>(raw.get()) {
                    out.insert(id, Err(json_reason(&e)));
                }
            }
        }
    }
    out
}

/// The project of a thread: its first workspace tree's local path.
fn project_of(env: &RawValue) -> Option<String> {
    let env: Env = serde_json::from_str(env.get()).ok()?;
    let uri = env.initial?.trees.into_iter().find_map(|t| t.uri)?;
    let path = uri.strip_prefix("file://").map_or_else(|| uri.clone(), percent_decode);
    (!path.is_empty()).then_some(path)
}

/// `%20` and the like decoded; anything not a valid escape is kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn count(v: Option<i64>, what: &str) -> std::result::Result<i64, String> {
    match v.unwrap_or(0) {
        n if n < 0 => Err(format!("{what} {n} is negative")),
        n => Ok(n),
    }
}

/// One ledger event as a usage event, or why it is rejected.
fn event_of(
    raw: &RawValue,
    n: u64,
    thread_id: &str,
    usages: &HashMap<i64, std::result::Result<MessageUsage, String>>,
) -> std::result::Result<UsageEvent, String> {
    let e: Event = serde_json::from_str(raw.get()).map_err(|e| json_reason(&e))?;
    let ts = e.timestamp.as_deref().ok_or("no timestamp")?;
    let ts_ms = parse_instant_ms(ts).ok_or_else(|| format!("timestamp {ts:?} is not an RFC 3339 instant"))?;
    let model = match e.model.as_deref() {
        Some(m) if !m.trim().is_empty() => m,
        _ => return Err("no model".into()),
    };
    let tokens = e.tokens.as_ref().ok_or("no tokens")?;
    let input = count(tokens.input, "tokens.input")?;
    let output = count(tokens.output, "tokens.output")?;
    let operation = e.operation.as_deref().unwrap_or("");
    // Title generation happens on the user's message and has no message usage.
    let (cache_write, cache_read) = match e.to_message.filter(|_| operation != "title-generation") {
        Some(to) => match usages.get(&to) {
            Some(Ok(u)) if u.input == Some(input) && u.output == Some(output) => {
                (count(u.cache_write, "cacheCreationInputTokens")?, count(u.cache_read, "cacheReadInputTokens")?)
            }
            Some(Err(reason)) => return Err(format!("message {to}: {reason}")),
            _ => (0, 0),
        },
        None => (0, 0),
    };
    let key = match e.id.as_deref() {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!(
            "{thread_id}|{operation}|{}|{}|{ts_ms}",
            e.from_message.map_or(String::new(), |m| m.to_string()),
            e.to_message.map_or(String::new(), |m| m.to_string())
        ),
    };
    let mut ev = UsageEvent::new(key, provider_of(model), model, ts_ms, n);
    ev.tokens = Tokens { input, cache_write_5m: cache_write, cache_read, output, requests: 1, ..Tokens::default() };
    // Checked: the counts are the file's, and their sum must not overflow.
    ev.rank = [input, cache_write, cache_read]
        .iter()
        .try_fold(output, |sum, n| sum.checked_add(*n))
        .ok_or("token counts out of range")?;
    if let Some(credits) = e.credits.filter(|c| c.get().trim() != "null") {
        let text = credits.get().trim();
        let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
        // One credit is one US cent.
        ev.cost = Some(Usd::parse_cents(text).map_err(|err| format!("credits: {err}"))?);
        ev.cost_kind = CostKind::Billed;
    }
    Ok(ev)
}

#[cfg(test)]
fn parse_str(text: &str) -> std::result::Result<(Vec<UsageEvent>, Vec<super::Rejected>), Error> {
    let path = std::path::Path::new("T-x.json");
    let mut ctx = ParseCtx::new(path);
    let mut out = vec![];
    Amp.parse(&mut std::io::Cursor::new(text.as_bytes()), &mut ctx, &mut |e| {
        out.push(e);
        Ok(())
    })?;
    Ok((out, ctx.rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"{"v": 9, "id": "T-1", "created": 1, "messages": [
      {"role": "user", "messageId": 0, "content": []},
      {"role": "assistant", "messageId": 1, "usage": {"model": "claude-sonnet-4-5-20250929", "inputTokens": 9,
       "outputTokens": 300, "cacheCreationInputTokens": 900, "cacheReadInputTokens": 14000, "credits": 1.5,
       "creditsSinceLastUserMessage": 1.56}}],
      "env": {"initial": {"trees": [{"uri": "file:///home/dev/my%20app"}]}},
      "usageLedger": {"events": [
        {"id": "e-title", "timestamp": "2025-10-27T20:18:16.555Z", "model": "claude-3-5-haiku-20241022",
         "credits": 0.0576, "tokens": {"input": 590, "output": 26}, "operationType": "title-generation",
         "fromMessageId": 0, "toMessageId": 0},
        {"id": "e-1", "timestamp": "2025-10-27T20:18:20.713Z", "model": "claude-sonnet-4-5-20250929",
         "credits": 1.5, "tokens": {"input": 9, "output": 300}, "operationType": "inference",
         "fromMessageId": 0, "toMessageId": 1}]},
      "~debug": {"lastInferenceUsage": {"inputTokens": 9, "outputTokens": 300, "cacheReadInputTokens": 14000}}}"#;

    #[test]
    fn ledger_events_joined_to_message_cache_and_billed_in_cents() {
        let (evs, rej) = parse_str(T).unwrap();
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!(evs.len(), 2);
        let (title, call) = (&evs[0], &evs[1]);
        assert_eq!((title.key.as_str(), title.tokens.input, title.tokens.output), ("e-title", 590, 26));
        assert_eq!((title.tokens.cache_read, title.tokens.cache_write_5m), (0, 0));
        assert_eq!(title.cost, Some(Usd(576_000)));
        assert_eq!(title.cost_kind, CostKind::Billed);
        assert_eq!(
            (call.tokens.input, call.tokens.cache_write_5m, call.tokens.cache_read, call.tokens.output),
            (9, 900, 14_000, 300)
        );
        assert_eq!(call.cost, Some(Usd(15_000_000)));
        assert_eq!(call.provider, "anthropic");
        assert_eq!(call.project.as_deref(), Some("/home/dev/my app"));
        assert_eq!(call.tokens.reasoning, 0);
    }

    #[test]
    fn a_message_that_does_not_match_its_event_lends_no_cache() {
        let (evs, _) = parse_str(&T.replace("\"inputTokens\": 9", "\"inputTokens\": 10")).unwrap();
        assert_eq!((evs[1].tokens.cache_read, evs[1].tokens.cache_write_5m), (0, 0));
        assert!(evs[1].rank < parse_str(T).unwrap().0[1].rank);
    }

    #[test]
    fn bad_events_are_records_and_a_non_thread_is_an_error() {
        let bad = T.replace("\"2025-10-27T20:18:20.713Z\"", "\"soon\"").replace("\"input\": 590", "\"input\": -1");
        let (evs, rej) = parse_str(&bad).unwrap();
        assert!(evs.is_empty());
        assert_eq!(rej.iter().map(|r| r.at).collect::<Vec<_>>(), [Position::Record(1), Position::Record(2)]);
        assert!(rej[0].reason.contains("negative"), "{rej:?}");
        assert!(rej[1].reason.contains("soon"), "{rej:?}");
        assert!(parse_str(r#"{"id": "x", "messages": []}"#).is_err());
        assert!(parse_str("[1, 2]").is_err());
    }

    #[test]
    fn detection_needs_the_name_and_a_thread_id() {
        let sniff =
            |name: &str, head: &str| Amp.detect(&Sniff { path: std::path::Path::new(name), head: head.as_bytes() });
        assert!(sniff("threads/T-1.json", T));
        assert!(sniff("T-1.json", "{\"v\":1,\"id\":\"T-1\",\"messages\":[]}"));
        assert!(!sniff("other.json", T));
        assert!(!sniff("T-1.json", "{\"id\": \"x\", \"messages\": []}"));
        assert!(!sniff("T-1.json", "[]"));
    }

    #[test]
    fn counts_whose_sum_overflows_are_rejected() {
        let huge = T.replace("\"input\": 590", &format!("\"input\": {}", i64::MAX));
        let huge = huge.replace("\"output\": 26", "\"output\": 1");
        let (evs, rej) = parse_str(&huge).unwrap();
        assert_eq!(evs.len(), 1);
        assert!(rej[0].reason.contains("out of range"), "{rej:?}");
    }

    #[test]
    fn percent_decoding_keeps_what_is_not_an_escape() {
        assert_eq!(percent_decode("/a%20b%2"), "/a b%2");
        assert_eq!(percent_decode("%zz%"), "%zz%");
    }
}
