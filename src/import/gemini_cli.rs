//! Gemini CLI chat recordings (`~/.gemini/tmp/<project>/chats/session-*.json` and `.jsonl`;
//! sub-agent recordings in `chats/<parent id>/*.jsonl`).
//!
//! Two layouts of the same records. The classic `.json` is one document
//! `{sessionId, projectHash, startTime, lastUpdated, messages[]}` rewritten in place after
//! every turn; the newer `.jsonl` is append-only: a header line `{sessionId, projectHash,
//! ...}`, then message lines, `{"$set": {...}}` patches (whose `messages`, when present,
//! replace the conversation) and `{"$rewindTo": id}` markers. A message of `type:"gemini"`
//! carries `tokens{input, output, cached, thoughts, tool, total}` for one API response (not
//! cumulative); `input` includes `cached` and `output` excludes `thoughts`, so an event
//! stores `input - cached + tool` as uncached input, `cached` as cache read, and
//! `output + thoughts` as output with `thoughts` as its reasoning part.
//!
//! Invariant: the key is the message id alone, never the file, the session or a line. The
//! JSONL layout writes a message again each time it changes (the same tokens), a resumed or
//! re-opened chat starts a new file under the same session id with new message ids, and a
//! `$set` may repeat messages already written: each id counts once wherever it appears. A
//! rewound response was still sent and paid for, so `$rewindTo` removes nothing. The day is
//! each message's own timestamp, never the file name, `startTime` or `lastUpdated`.
//!
//! Rejections are [`Position::Line`]s in both layouts: the JSONL line, or the line where the
//! message object starts in the document (its place in `messages[]` is in the reason), so
//! a rejection stored in the ledger reads back the same for either.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::lines::{deliver, for_each_line, json_reason};
use super::{bad_json, read_doc, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::{Error, Result};
use crate::model::{Authority, Tokens, UsageEvent};
use crate::timezone::parse_instant_ms;

pub struct GeminiCli;

/// The model of a response that names none: stored, and shown unpriced rather than guessed.
const UNKNOWN_MODEL: &str = "gemini-cli-unknown-model";

/// Larger counts are rejected: no response is that big, and sums of them stay in an i64.
const MAX_COUNT: i64 = 1 << 48;

/// The classic whole-session document.
#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    messages: Option<Vec<&'a RawValue>>,
}

/// A message, or (in the JSONL layout) any line: a header (`sessionId`, no `type`), a
/// message, a `{"$set": {...}}` patch or a `{"$rewindTo": id}` marker.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    tokens: Option<GeminiTokens>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(rename = "$set", borrow)]
    set: Option<Set<'a>>,
}

#[derive(Deserialize)]
struct Set<'a> {
    #[serde(borrow)]
    messages: Option<Vec<&'a RawValue>>,
}

/// `tokens` as Gemini CLI records them (`total` is derived and not needed).
#[derive(Deserialize)]
struct GeminiTokens {
    input: Option<i64>,
    output: Option<i64>,
    cached: Option<i64>,
    thoughts: Option<i64>,
    tool: Option<i64>,
}

/// What a JSONL scan remembers between calls: the session id of the header.
#[derive(Deserialize, Serialize, Default)]
struct State {
    session: Option<String>,
}

/// Whether `head` starts a Gemini CLI session: an object, with a `sessionId` and a
/// `projectHash` in its first bytes (Gemini CLI writes both first, in either layout), and
/// none of the `parentUuid` links of the Claude-Code-like transcripts (Qwen Code's too).
fn looks_like_session(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    if start.map(|i| head[i]) != Some(b'{') {
        return false;
    }
    let find = |needle: &[u8]| memchr::memmem::find(head, needle);
    matches!((find(b"\"sessionId\""), find(b"\"projectHash\"")), (Some(_), Some(_)))
        && find(b"\"parentUuid\"").is_none()
}

/// Whether the path is where Gemini CLI writes recordings: `session-*.json[l]`, or a
/// sub-agent's `chats/<parent id>/*.jsonl`.
fn recording_path(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let in_chats_subdir = path.parent().and_then(Path::parent).and_then(Path::file_name).is_some_and(|n| n == "chats");
    match ext {
        Some("json") => name.starts_with("session-"),
        Some("jsonl") => name.starts_with("session-") || in_chats_subdir,
        _ => false,
    }
}

impl Source for GeminiCli {
    fn name(&self) -> &'static str {
        "gemini-cli"
    }

    fn describe(&self) -> &'static str {
        "Gemini CLI chat recordings (~/.gemini/tmp/*/chats/session-*.json, .jsonl)"
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        recording_path(sniff.path) && looks_like_session(sniff.head)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        if ctx.path.extension().is_some_and(|e| e == "jsonl") {
            parse_lines(input, ctx, sink)
        } else {
            parse_doc(input, ctx, sink)
        }
    }
}

/// The classic layout: every message of the document, each at the line it starts on.
fn parse_doc(input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
    let text = read_doc(input, ctx)?;
    let doc: Doc = serde_json::from_str(&text).map_err(|e| bad_json(ctx.path, &e))?;
    let Some(messages) = doc.messages else {
        return Err(Error::BadFile {
            path: ctx.path.into(),
            reason: "not a Gemini CLI chat recording: no messages[] array".into(),
        });
    };
    let session = doc.session_id.as_deref();
    let project = ctx.project.clone();
    // Line numbers by counting newlines up to each message, once over the whole text.
    let (mut line, mut counted) = (1u64, 0usize);
    for (i, raw) in messages.iter().enumerate() {
        let at = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        line += memchr::memchr_iter(b'\n', &text.as_bytes()[counted..at]).count() as u64;
        counted = at;
        ctx.rows += 1;
        match event_of(raw.get(), line, session, project.as_deref()) {
            Ok(Some(ev)) => sink(ev)?,
            Ok(None) => {}
            Err(reason) => ctx.reject(Position::Line(line), format!("messages[{i}]: {reason}")),
        }
    }
    Ok(())
}

/// The JSONL layout: message lines, and the messages a `$set` carries.
fn parse_lines(input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
    let mut st: State = ctx.state.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let project = ctx.project.clone();
    for_each_line(input, ctx, |ctx, line_no, text| {
        let m: Message = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => return Ok(Err(json_reason(&e))),
        };
        if m.kind.is_some() {
            return deliver(sink, event(m, line_no, st.session.as_deref(), project.as_deref()));
        }
        // A header (its session names the rest), or a `$set`/`$rewindTo` record.
        if let Some(s) = m.session_id {
            st.session = Some(s.into_owned());
        }
        // Each message a `$set` carries stands alone: a bad one is rejected, the rest read.
        for (i, raw) in m.set.and_then(|s| s.messages).unwrap_or_default().iter().enumerate() {
            match event_of(raw.get(), line_no, st.session.as_deref(), project.as_deref()) {
                Ok(Some(ev)) => sink(ev)?,
                Ok(None) => {}
                Err(reason) => ctx.reject(Position::Line(line_no), format!("$set.messages[{i}]: {reason}")),
            }
        }
        Ok(Ok(()))
    })?;
    ctx.state = Some(serde_json::to_string(&st).expect("state serialises"));
    Ok(())
}

/// The event of one message (None for messages that are not responses with tokens), or
/// why it is rejected.
fn event_of(
    text: &str,
    line: u64,
    session: Option<&str>,
    project: Option<&str>,
) -> std::result::Result<Option<UsageEvent>, String> {
    let m: Message = serde_json::from_str(text).map_err(|e| json_reason(&e))?;
    event(m, line, session, project)
}

/// The event of a parsed message (see [`event_of`]).
fn event(
    m: Message,
    line: u64,
    session: Option<&str>,
    project: Option<&str>,
) -> std::result::Result<Option<UsageEvent>, String> {
    if m.kind.as_deref() != Some("gemini") {
        return Ok(None);
    }
    let Some(t) = m.tokens else { return Ok(None) };
    let count = |name: &str, v: Option<i64>| match v.unwrap_or(0) {
        n if n < 0 => Err(format!("tokens.{name} is negative ({n})")),
        n if n > MAX_COUNT => Err(format!("tokens.{name} ({n}) is out of range")),
        n => Ok(n),
    };
    let (input, cached, output) = (count("input", t.input)?, count("cached", t.cached)?, count("output", t.output)?);
    let (thoughts, tool) = (count("thoughts", t.thoughts)?, count("tool", t.tool)?);
    if cached > input {
        return Err(format!("tokens.cached ({cached}) is more than tokens.input ({input}), which includes it"));
    }
    let ts = m.timestamp.as_deref().ok_or("response without a timestamp")?;
    let ts_ms = parse_instant_ms(ts).ok_or_else(|| format!("timestamp {ts:?} is not an RFC 3339 instant"))?;
    let tokens = Tokens {
        input: input - cached + tool,
        cache_read: cached,
        output: output + thoughts,
        reasoning: thoughts,
        requests: 1,
        ..Tokens::default()
    };
    let key = match m.id.as_deref() {
        Some("") => return Err("empty message id".into()),
        Some(id) => id.to_string(),
        // No id: the response's session, instant and counts are its identity.
        None => format!("{}@{ts_ms}|{input}|{cached}|{output}|{thoughts}|{tool}", session.unwrap_or("(no session)")),
    };
    let model = m.model.as_deref().filter(|s| !s.is_empty()).unwrap_or(UNKNOWN_MODEL);
    let mut ev = UsageEvent::new(key, "google", model, ts_ms, line);
    // A message rewritten with more tokens (a response still streaming) replaces the
    // smaller version; an identical rewrite is a duplicate.
    ev.rank = tokens.total();
    ev.tokens = tokens;
    ev.project = project.map(str::to_string);
    Ok(Some(ev))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> (Result<()>, Vec<UsageEvent>, Vec<super::super::Rejected>) {
        let path = Path::new(name);
        let mut ctx = ParseCtx::new(path);
        let mut out = vec![];
        let r = GeminiCli.parse(&mut std::io::Cursor::new(text.as_bytes()), &mut ctx, &mut |e| {
            out.push(e);
            Ok(())
        });
        (r, out, ctx.rejected)
    }

    const HEADER: &str = r#"{"sessionId":"s1","projectHash":"ab","startTime":"2026-01-01T00:00:00Z","lastUpdated":"2026-01-01T00:00:00Z","kind":"main"}"#;
    const R1: &str = r#"{"id":"r1","timestamp":"2026-01-01T00:00:01Z","type":"gemini","content":"","model":"gemini-2.5-pro","tokens":{"input":10,"output":2,"cached":4,"thoughts":3,"tool":1,"total":16}}"#;

    fn claims(path: &str, head: &str) -> bool {
        GeminiCli.detect(&Sniff { path: Path::new(path), head: head.as_bytes() })
    }

    #[test]
    fn detects_recordings_by_name_and_first_object() {
        let doc = "{\n  \"sessionId\": \"s1\",\n  \"projectHash\": \"ab\",\n  \"messages\": []\n}\n";
        assert!(claims("/h/.gemini/tmp/ab/chats/session-2026-01-01T00-00-s1.json", doc));
        assert!(claims("/h/.gemini/tmp/ab/chats/session-2026-01-01T00-00-s1.jsonl", HEADER));
        assert!(claims("x/session-2026-01-01T00-00-s1.jsonl", &format!("\u{feff}{HEADER}\n{R1}\n")));
        // A sub-agent's recording, beside its parent's.
        assert!(claims("/h/.gemini/tmp/ab/chats/s1/agent-1.jsonl", HEADER));
        // Not recordings: other names, checkpoints, logs, other agents' lines.
        assert!(!claims("/h/.gemini/tmp/ab/chats/other.json", doc));
        assert!(!claims("/h/.gemini/tmp/ab/checkpoint-x.json", doc));
        assert!(!claims("/h/.gemini/tmp/ab/logs.json", "[{\"sessionId\":\"s1\",\"messageId\":0}]"));
        assert!(!claims("/h/.gemini/tmp/ab/chats/session-1.json", "[{\"sessionId\":\"s1\",\"projectHash\":\"ab\"}]"));
        assert!(!claims("/h/.gemini/tmp/ab/chats/session-1.txt", doc));
        let qwen = r#"{"uuid":"u","parentUuid":null,"sessionId":"s1","projectHash":"ab","type":"user"}"#;
        assert!(!claims("/h/.qwen/projects/p/chats/s1/x.jsonl", qwen));
        assert!(!claims("/h/.qwen/projects/p/chats/x.jsonl", HEADER));
    }

    #[test]
    fn maps_tokens_and_keeps_rewound_responses() {
        let rewind = r#"{"$rewindTo":"r1"}"#;
        let set = format!(r#"{{"$set":{{"messages":[{R1}],"lastUpdated":"2026-01-01T00:00:02Z"}}}}"#);
        let (r, evs, rej) = parse("session-x.jsonl", &format!("{HEADER}\n{R1}\n{rewind}\n{set}\n"));
        r.unwrap();
        assert!(rej.is_empty(), "{rej:?}");
        // The line and the $set both carry r1 (the ledger keeps one); the rewind removes nothing.
        assert_eq!(evs.len(), 2);
        assert_eq!((evs[0].key.as_str(), evs[1].key.as_str()), ("r1", "r1"));
        assert_eq!((evs[0].line, evs[1].line), (2, 4));
        let t = evs[0].tokens;
        assert_eq!((t.input, t.cache_read, t.output, t.reasoning, t.total()), (7, 4, 5, 3, 16));
        assert_eq!((evs[0].provider.as_str(), evs[0].model.as_str()), ("google", "gemini-2.5-pro"));
    }

    #[test]
    fn a_bad_message_in_a_set_is_rejected_alone() {
        let bad = R1.replace(r#""id":"r1""#, r#""id":"r2""#).replace(r#""input":10"#, r#""input":-1"#);
        let r3 = R1.replace(r#""id":"r1""#, r#""id":"r3""#);
        let set = format!(r#"{{"$set":{{"messages":[{R1},{bad},{r3}]}}}}"#);
        let (r, evs, rej) = parse("session-x.jsonl", &format!("{HEADER}\n{set}\n"));
        r.unwrap();
        assert_eq!(evs.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["r1", "r3"]);
        assert_eq!(rej.len(), 1);
        assert_eq!(rej[0].at, Position::Line(2));
        assert!(rej[0].reason.starts_with("$set.messages[1]: tokens.input is negative"), "{}", rej[0].reason);
    }

    #[test]
    fn a_response_without_id_or_model_is_kept_under_a_derived_key_and_unpriced() {
        let r = R1.replace(r#""id":"r1","#, "").replace(r#""model":"gemini-2.5-pro","#, "");
        let (res, evs, _) = parse("session-x.jsonl", &format!("{HEADER}\n{r}\n{r}\n"));
        res.unwrap();
        assert_eq!(evs[0].key, evs[1].key);
        assert!(evs[0].key.starts_with("s1@"), "{}", evs[0].key);
        assert_eq!(evs[0].model, UNKNOWN_MODEL);
    }

    #[test]
    fn documents_reject_at_the_line_of_the_message_and_fail_without_messages() {
        let bad = R1.replace("2026-01-01T00:00:01Z", "soon");
        let doc = format!("{{\"sessionId\":\"s1\",\"projectHash\":\"ab\",\"messages\":[{R1},\n\n{bad}]}}");
        let (r, evs, rej) = parse("session-x.json", &doc);
        r.unwrap();
        assert_eq!(evs.len(), 1);
        assert_eq!(rej[0].at, Position::Line(3));
        assert!(rej[0].reason.starts_with("messages[1]: timestamp \"soon\""), "{}", rej[0].reason);
        for not_ours in ["{\"sessionId\":\"s1\"}", "[1, 2]", "{\"messages\": 3}"] {
            let (r, ..) = parse("session-x.json", not_ours);
            let e = r.unwrap_err().to_string();
            assert!(e.contains("session-x.json"), "{e}");
        }
    }
}
