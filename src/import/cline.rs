//! Cline task logs and those of its forks Roo Code and Kilo Code: one source per extension
//! (`cline`, `roo-code`, `kilo-code`), one format, `tasks/<taskId>/ui_messages.json`.
//!
//! The file is one JSON array of UI messages, rewritten as the task grows. Usage is only on
//! `say: "api_req_started"` messages, whose `text` is itself JSON (parsed a second time):
//! `{request, tokensIn, tokensOut, cacheWrites, cacheReads, cost, ...}`, filled in when the
//! response ends and updated in place after a retry. `tokensIn` excludes cache reads and
//! writes and `tokensOut` includes reasoning (no reasoning count is given), so they map as
//! stored; missing fields are 0, and a cancelled or failed request keeps the partial usage
//! it carries. A `deleted_api_reqs` message (after a checkpoint restore) carries the
//! summed usage of requests removed from the file: it is usage too, one event. Retry notes
//! (`error_retry`, `api_req_retried`) are never usage.
//!
//! Roo Code and Kilo Code add `apiProtocol` to that JSON: under `"openai"` the provider's
//! input already holds the cached tokens, so uncached input is `tokensIn - cacheReads -
//! cacheWrites` (at least 0), as those extensions compute it themselves; Cline writes no
//! protocol and is read as stored.
//!
//! The three extensions write the same bytes; which one wrote a file is told by the VS Code
//! extension's global-storage folder in its path (`saoudrizwan.claude-dev`,
//! `rooveterinaryinc.roo-cline`, `kilocode.kilo-code`, in any editor that hosts them). A
//! file under none of them (a copy, Cline's CLI) is Cline's. Each source is its own
//! account, by its name.
//!
//! Keys: a message's `ts` (epoch ms) is its identity inside a task (Cline finds and edits
//! messages by it), and the task is named by the `ts` of its first message, which no rewrite
//! changes and which does not depend on where the file was copied to. So `first|ts` is
//! stable across re-imports, resumed tasks and copies; a message repeated with the same
//! `ts` is the same message, and the ledger keeps its version with the most tokens (a
//! request imported while it was still streaming is completed by the next import). The day
//! is the UTC instant of `ts`, never the local time shown inside the prompt. The project is
//! the working directory the environment details of a request name (the first that does).
//!
//! Money: `cost` is the extension's own estimate in USD, not a bill; it is kept as the
//! event's stated estimated cost (read from the number's text) when it is above zero. A
//! zero or missing cost leaves the event to the price book, so an unknown model stays
//! unpriced rather than $0. A bad message is rejected as `record N`, its 1-based place in
//! the array.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::csv_rows::MAX_COUNT;
use super::names::provider_of_slug;
use super::{bad_json, read_doc, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::{Error, Result};
use crate::model::{Authority, Tokens, UsageEvent};
use crate::money::Usd;

/// One VS Code extension that writes Cline's task format.
pub struct ClineTasks {
    name: &'static str,
    describe: &'static str,
    /// Its global-storage folder name (the extension id, lowercased).
    folder: &'static str,
}

/// Cline (`saoudrizwan.claude-dev`), and any task file under no known extension folder.
pub static CLINE: ClineTasks = ClineTasks {
    name: "cline",
    describe: "Cline task logs (globalStorage/saoudrizwan.claude-dev/tasks/*/ui_messages.json)",
    folder: "saoudrizwan.claude-dev",
};

/// Roo Code (`RooVeterinaryInc.roo-cline`).
pub static ROO_CODE: ClineTasks = ClineTasks {
    name: "roo-code",
    describe: "Roo Code task logs (globalStorage/rooveterinaryinc.roo-cline/tasks/*/ui_messages.json)",
    folder: "rooveterinaryinc.roo-cline",
};

/// Kilo Code (`kilocode.Kilo-Code`).
pub static KILO_CODE: ClineTasks = ClineTasks {
    name: "kilo-code",
    describe: "Kilo Code task logs (globalStorage/kilocode.kilo-code/tasks/*/ui_messages.json)",
    folder: "kilocode.kilo-code",
};

/// The forks, whose folder takes a file away from Cline.
const FORKS: [&ClineTasks; 2] = [&ROO_CODE, &KILO_CODE];

const FILE_NAME: &str = "ui_messages.json";

/// The last millisecond of year 9999: a later `ts` is not a time a task ran at.
const MAX_TS: i64 = 253_402_300_799_999;

#[derive(Deserialize)]
struct Message<'a> {
    ts: Option<serde_json::Number>,
    #[serde(borrow)]
    say: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(rename = "modelInfo", borrow)]
    model_info: Option<ModelInfo<'a>>,
}

#[derive(Deserialize)]
struct ModelInfo<'a> {
    #[serde(rename = "modelId", borrow)]
    model_id: Option<Cow<'a, str>>,
}

/// The JSON inside an `api_req_started` (or `deleted_api_reqs`) message's `text`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage<'a> {
    /// The whole prompt (large): decoded only until the task's working directory is found.
    #[serde(borrow)]
    request: Option<&'a RawValue>,
    tokens_in: Option<i64>,
    tokens_out: Option<i64>,
    cache_writes: Option<i64>,
    cache_reads: Option<i64>,
    #[serde(borrow)]
    cost: Option<&'a RawValue>,
    /// Roo Code and Kilo Code only: how the provider counted input.
    #[serde(borrow)]
    api_protocol: Option<Cow<'a, str>>,
}

/// Which extension's folder a path is under, if any (compared without case: VS Code
/// lowercases the folder, a user's copy may not).
fn fork_of(path: &std::path::Path) -> Option<&'static ClineTasks> {
    path.components().find_map(|c| {
        let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        FORKS.iter().copied().find(|f| c == f.folder)
    })
}

/// Whether the first bytes are a JSON array of Cline UI messages.
fn looks_like_messages(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else { return false };
    let rest = &head[start..];
    let has = |s: &[u8]| memchr::memmem::find(rest, s).is_some();
    rest.starts_with(b"[") && has(b"\"ts\"") && has(b"\"type\"") && (has(b"\"say\"") || has(b"\"ask\""))
}

/// The working directory Cline (or Roo, "Workspace") writes into the environment details
/// of a request, as the project.
fn cwd_of(request: &str) -> Option<&str> {
    ["# Current Working Directory (", "# Current Workspace Directory ("].iter().find_map(|marker| {
        let start = request.find(marker)? + marker.len();
        let rest = &request[start..];
        let end = rest.find(") Files").or_else(|| rest.find(")\n")).or_else(|| rest.find(')'))?;
        Some(&rest[..end]).filter(|p| !p.is_empty() && !p.contains('\n'))
    })
}

impl Source for ClineTasks {
    fn name(&self) -> &'static str {
        self.name
    }

    fn describe(&self) -> &'static str {
        self.describe
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        let owner = fork_of(sniff.path).unwrap_or(&CLINE);
        std::ptr::eq(owner, self)
            && sniff.path.file_name().is_some_and(|n| n == FILE_NAME)
            && looks_like_messages(sniff.head)
    }

    fn position(&self, n: u64) -> Position {
        Position::Record(n)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let text = read_doc(input, ctx)?;
        let messages: Vec<&RawValue> = serde_json::from_str(&text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => Error::BadFile {
                path: ctx.path.into(),
                reason: "not a Cline-format task ui_messages.json (expected a JSON array of messages)".into(),
            },
            _ => bad_json(ctx.path, &e),
        })?;
        let mut task: Option<i64> = None;
        let mut model: Option<String> = None;
        let mut project: Option<String> = None;
        let started = memchr::memmem::Finder::new(b"\"api_req_started\"");
        let deleted = memchr::memmem::Finder::new(b"\"deleted_api_reqs\"");
        for (i, raw) in messages.iter().enumerate() {
            let row = i as u64 + 1;
            let bytes = raw.get().as_bytes();
            let usage_like = started.find(bytes).is_some() || deleted.find(bytes).is_some();
            if task.is_some() && !usage_like && memchr::memmem::find(bytes, b"\"modelInfo\"").is_none() {
                // Most messages (text, tools, checkpoints) carry nothing we count.
                continue;
            }
            let msg: Message = match serde_json::from_str(raw.get()) {
                Ok(m) => m,
                Err(e) if usage_like => {
                    ctx.rows += 1;
                    ctx.reject(self.position(row), format!("ui_messages[{i}]: {}", super::lines::json_reason(&e)));
                    continue;
                }
                Err(_) => continue,
            };
            if task.is_none() {
                task = msg.ts.as_ref().and_then(serde_json::Number::as_i64);
            }
            if let Some(m) = msg.model_info.as_ref().and_then(|m| m.model_id.as_deref()).filter(|m| !m.is_empty()) {
                model = Some(m.to_string());
            }
            let kind = match msg.say.as_deref() {
                Some("api_req_started") => "",
                Some("deleted_api_reqs") => "|deleted",
                _ => continue,
            };
            ctx.rows += 1;
            match self.event(&msg, kind, task, model.as_deref(), project.is_none(), row) {
                Ok((mut ev, cwd)) => {
                    if let Some(cwd) = cwd {
                        project = Some(cwd);
                    }
                    ev.project = project.clone().or_else(|| ctx.project.clone());
                    sink(ev)?;
                }
                Err(reason) => ctx.reject(self.position(row), format!("ui_messages[{i}]: {reason}")),
            }
        }
        Ok(())
    }
}

impl ClineTasks {
    /// The event of one usage message (and the working directory its request names), or
    /// why it is rejected.
    fn event(
        &self,
        msg: &Message,
        kind: &str,
        task: Option<i64>,
        model: Option<&str>,
        want_cwd: bool,
        row: u64,
    ) -> std::result::Result<(UsageEvent, Option<String>), String> {
        let say = msg.say.as_deref().unwrap_or_default();
        let ts = match &msg.ts {
            Some(n) => n
                .as_i64()
                .filter(|t| (0..=MAX_TS).contains(t))
                .ok_or_else(|| format!("ts {n} is not epoch milliseconds"))?,
            None => return Err(format!("{say} without ts")),
        };
        let text = msg.text.as_deref().ok_or_else(|| format!("{say} without text"))?;
        let u: Usage = serde_json::from_str(text)
            .map_err(|e| format!("{say} text is not usage JSON: {}", super::lines::json_reason(&e)))?;
        let field = |name: &str, v: Option<i64>| match v {
            Some(n) if n < 0 => Err(format!("{say} {name} is negative ({n})")),
            Some(n) if n > MAX_COUNT => Err(format!("{say} {name} is {n}, not a plausible count")),
            v => Ok(v.unwrap_or(0)),
        };
        let (cache_write, cache_read) = (field("cacheWrites", u.cache_writes)?, field("cacheReads", u.cache_reads)?);
        let mut input = field("tokensIn", u.tokens_in)?;
        if u.api_protocol.as_deref() == Some("openai") {
            // An OpenAI-style provider counts cached input inside its input; the extensions'
            // own cost rule (calculateApiCostOpenAI) takes the cache out again, and so do we.
            input = (input - cache_write - cache_read).max(0);
        }
        let tokens = Tokens {
            input,
            output: field("tokensOut", u.tokens_out)?,
            cache_write_5m: cache_write,
            cache_read,
            requests: i64::from(kind.is_empty()),
            ..Tokens::default()
        };
        let cost = match u.cost.map(|c| c.get().trim_matches('"')) {
            None | Some("null") => None,
            Some(c) => Some(Usd::parse(c).map_err(|e| format!("{say} cost: {e}"))?),
        };
        // No model recorded (older Cline): stored as such and shown unpriced, not guessed.
        let unknown = format!("{}-unknown-model", self.name);
        let model = model.unwrap_or(&unknown);
        let key = format!("{}|{ts}{kind}", task.unwrap_or(ts));
        let mut ev = UsageEvent::new(key, &provider_of_slug(model), model, ts, row);
        ev.rank = tokens.total();
        ev.tokens = tokens;
        ev.cost = cost.filter(|c| c.nanos() > 0);
        let cwd = match (want_cwd, u.request) {
            (true, Some(raw)) => {
                serde_json::from_str::<Cow<str>>(raw.get()).ok().and_then(|r| cwd_of(&r).map(str::to_string))
            }
            _ => None,
        };
        Ok((ev, cwd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn claims(path: &str, head: &str) -> Vec<&'static str> {
        super::super::claimants(Path::new(path), head.as_bytes()).iter().map(|s| s.name()).collect()
    }

    #[test]
    fn the_extension_folder_names_the_source() {
        let head = r#"[{"ts":1,"type":"say","say":"task","text":"hi"}]"#;
        let gs = "/home/u/.config/Code/User/globalStorage";
        assert_eq!(claims(&format!("{gs}/saoudrizwan.claude-dev/tasks/1/ui_messages.json"), head), ["cline"]);
        assert_eq!(claims(&format!("{gs}/rooveterinaryinc.roo-cline/tasks/1/ui_messages.json"), head), ["roo-code"]);
        assert_eq!(claims(&format!("{gs}/kilocode.kilo-code/tasks/1/ui_messages.json"), head), ["kilo-code"]);
        assert_eq!(claims(&format!("{gs}/KiloCode.Kilo-Code/tasks/1/ui_messages.json"), head), ["kilo-code"]);
        assert_eq!(claims("/backup/tasks/1/ui_messages.json", head), ["cline"]);
        // Another name, or not an array of messages: nobody's.
        assert!(claims("/backup/tasks/1/api_conversation_history.json", head).is_empty());
        assert!(claims("/backup/tasks/1/ui_messages.json", r#"{"ts":1,"type":"say"}"#).is_empty());
    }

    #[test]
    fn implausible_times_and_counts_are_rejected_not_stored() {
        let usage = |ts: &str, tokens_in: &str| {
            let text = format!(r#"{{"tokensIn":{tokens_in},"tokensOut":1}}"#);
            format!(r#"{{"ts":{ts},"type":"say","say":"api_req_started","text":{}}}"#, serde_json::json!(text))
        };
        let doc = format!(
            "[{},{},{},{}]",
            usage("1760000000000", "5"),
            usage("9223372036854775807", "5"),
            usage("1760000000001", "1000000000000000000"),
            usage("1760000000002.5", "5"),
        );
        let path = Path::new("ui_messages.json");
        let mut ctx = ParseCtx::new(path);
        let mut events = Vec::new();
        CLINE
            .parse(&mut doc.as_bytes(), &mut ctx, &mut |ev| {
                events.push(ev);
                Ok(())
            })
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].key, "1760000000000|1760000000000");
        let at: Vec<u64> = ctx.rejected.iter().map(|r| r.at.number()).collect();
        assert_eq!(at, [2, 3, 4], "{:?}", ctx.rejected);
    }

    #[test]
    fn the_working_directory_is_read_from_the_request() {
        assert_eq!(cwd_of("x\n# Current Working Directory (/home/u/p) Files\na"), Some("/home/u/p"));
        assert_eq!(cwd_of("# Current Workspace Directory (c:/w (2)) Files\n"), Some("c:/w (2)"));
        assert_eq!(cwd_of("no details"), None);
    }
}
