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

use super::lines::{for_each_line, json_reason};
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

/// Whether the first object of `head` is a Gemini CLI session: a `sessionId` beside a
/// `projectHash` (both written first by Gemini CLI, in either layout).
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
    ctx.last_line = line;
    Ok(())
}

/// The JSONL layout: message lines, and the messages a `$set` carries.
fn parse_lines(input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
    let mut st: State = ctx.state.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let project = ctx.project.clone();
    for_each_line(input, ctx, |_, line_no, text| {
        let m: Message = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => return Ok(Err(json_reason(&e))),
        };
        if m.kind.is_some() {
            return match event(m, line_no, st.session.as_deref(), project.as_deref()) {
                Ok(Some(ev)) => sink(ev).map(Ok),
                Ok(None) => Ok(Ok(())),
                Err(reason) => Ok(Err(reason)),
            };
        }
        // A header (its session names the rest), or a `$set`/`$rewindTo` record.
        if let Some(s) = m.session_id {
            st.session = Some(s.into_owned());
        }
        for (i, raw) in m.set.and_then(|s| s.messages).unwrap_or_default().iter().enumerate() {
            match event_of(raw.get(), line_no, st.session.as_deref(), project.as_deref()) {
                Ok(Some(ev)) => sink(ev)?,
                Ok(None) => {}
                Err(reason) => return Ok(Err(format!("$set.messages[{i}]: {reason}"))),
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
