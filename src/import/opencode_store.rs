//! The message store shared by opencode and its fork Kilo CLI (not an importer itself).
//!
//! Both keep one JSON `data` document per message in the `message` table of a SQLite
//! database (`opencode.db`, `kilo.db`); opencode before 1.0 kept the same document as
//! `storage/message/<session>/<message>.json`. One usage event per assistant message,
//! keyed by the message id in both layouts, so a message the database and a legacy file
//! both hold counts once. `part` rows (`step-finish`) and the `session` table's `tokens_*`
//! columns repeat the messages' numbers and are never read.
//!
//! Token meaning (the agent-logs README, trap 1): documents that state `tokens.total`
//! (opencode 1.x, Kilo CLI) give `input` without the cache; documents without it (the
//! legacy layout, v0.6.5) give `input` with the cache reads inside, which are taken out.
//! `output` excludes `reasoning`, so output is `output + reasoning`. The agent's own `cost`
//! is not kept as money: it is 0 for free models and custom providers however many tokens
//! they used, so the price book prices what it knows and the rest stays unpriced.
//!
//! Incremental reads: rows are read from the watermark `time_updated` saved in the
//! import's state; a message rewritten later (a streamed answer completing) has a newer
//! `time_updated`, is read again and replaces the stored one by its rank.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{sqlite, ParseCtx, Position, Sink};
use crate::error::{Error, Result};
use crate::model::{Tokens, UsageEvent};

/// A message document (`message.data`, or a legacy message file).
#[derive(Deserialize)]
pub struct Message {
    pub id: Option<String>,
    role: Option<String>,
    #[serde(rename = "modelID")]
    model_id: Option<String>,
    #[serde(rename = "providerID")]
    provider_id: Option<String>,
    time: Option<Time>,
    tokens: Option<MsgTokens>,
    path: Option<MsgPath>,
    /// Where opencode before 0.5 kept an assistant message's usage (a layout not read).
    metadata: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Time {
    /// Epoch milliseconds; a JSON number either way (a writer in JavaScript may leave a
    /// fraction).
    created: Option<serde_json::Number>,
    completed: Option<serde_json::Number>,
}

/// Whole epoch milliseconds of a JSON number, if it is a sane instant.
fn epoch_ms(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15).map(|f| f.floor() as i64))
}

#[derive(Deserialize)]
struct MsgTokens {
    total: Option<u64>,
    input: Option<u64>,
    output: Option<u64>,
    reasoning: Option<u64>,
    cache: Option<Cache>,
}

#[derive(Deserialize)]
struct Cache {
    read: Option<u64>,
    write: Option<u64>,
}

#[derive(Deserialize)]
struct MsgPath {
    cwd: Option<String>,
}

/// The event of one message document, `Ok(None)` for a message that is not usage (a user
/// turn, an assistant message with no tokens yet). `row_id` is the database's id for the
/// message, which wins over the document's.
pub fn event_of(msg: Message, row_id: Option<&str>, line: u64) -> std::result::Result<Option<UsageEvent>, String> {
    match msg.role.as_deref() {
        Some("assistant") => {}
        Some(_) => return Ok(None),
        None => return Err("no role".into()),
    }
    let id = match row_id.or(msg.id.as_deref()) {
        Some("") | None => return Err("assistant message without an id".into()),
        Some(id) => id.to_string(),
    };
    let Some(t) = msg.tokens else {
        if msg.metadata.is_some() {
            return Err(
                "an opencode message from before 0.5 (usage under metadata), a layout Tokenburn does not read".into()
            );
        }
        return Ok(None);
    };
    let num = |v: Option<u64>, what: &str| i64::try_from(v.unwrap_or(0)).map_err(|_| format!("{what} out of range"));
    let (read, write) = t.cache.map_or((None, None), |c| (c.read, c.write));
    let (input, cache_read) = (num(t.input, "tokens.input")?, num(read, "tokens.cache.read")?);
    let input = if t.total.is_some() {
        input
    } else if input >= cache_read {
        input - cache_read
    } else {
        return Err(format!(
            "tokens.input {input} is less than tokens.cache.read {cache_read} in a document without tokens.total \
             (where input includes the cache)"
        ));
    };
    let reasoning = num(t.reasoning, "tokens.reasoning")?;
    let tokens = Tokens {
        input,
        cache_write_5m: num(write, "tokens.cache.write")?,
        cache_read,
        output: num(t.output, "tokens.output")?.checked_add(reasoning).ok_or("tokens.output out of range")?,
        reasoning,
        requests: 1,
        ..Tokens::default()
    };
    if tokens.total() == 0 {
        return Ok(None);
    }
    let model = msg.model_id.filter(|m| !m.is_empty()).ok_or("assistant message with tokens but no modelID")?;
    let time = msg.time.ok_or("no time")?;
    let created = time.created.ok_or("no time.created")?;
    let ts_ms = epoch_ms(&created).ok_or_else(|| format!("time.created {created} is not epoch milliseconds"))?;
    let mut ev = UsageEvent::new(id, msg.provider_id.as_deref().unwrap_or(""), &model, ts_ms, line);
    // A completed message over one still streaming, then the larger total.
    ev.rank = ((time.completed.is_some() as i64) << 60) | tokens.total().min(1 << 58);
    ev.tokens = tokens;
    ev.project = msg.path.and_then(|p| p.cwd).filter(|c| !c.is_empty());
    Ok(Some(ev))
}

/// What a database read resumes from (the import's saved state).
#[derive(Serialize, Deserialize, Default)]
struct Mark {
    /// The largest `message.time_updated` read so far.
    message_updated_ms: i64,
}

/// How the database describes its own version, for an error about its schema.
fn version(conn: &Connection) -> String {
    let q = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, Option<String>>(0)).ok().flatten();
    let app = q("SELECT version FROM session ORDER BY time_updated DESC LIMIT 1");
    let migration = q("SELECT id FROM migration ORDER BY id DESC LIMIT 1")
        .or_else(|| q("SELECT CAST(max(created_at) AS TEXT) FROM __drizzle_migrations"));
    let user_version = q("SELECT CAST(user_version AS TEXT) FROM pragma_user_version").unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(a) = app {
        parts.push(format!("written by version {a}"));
    }
    if let Some(m) = migration {
        parts.push(format!("last migration {m}"));
    }
    parts.push(format!("user_version {user_version}"));
    parts.join(", ")
}

/// Reads the assistant messages of an opencode-schema database (`agent` names it in
/// errors) from the watermark in `ctx.state`, and leaves the new watermark there.
pub fn read_db(conn: &Connection, agent: &str, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
    let path = ctx.path;
    let sql_err = |e: rusqlite::Error| Error::BadFile { path: path.into(), reason: format!("reading messages: {e}") };
    let cols = sqlite::columns(conn, "message").map_err(sql_err)?;
    let has = |c: &str| cols.iter().any(|x| x == c);
    if let Some(missing) = ["id", "data"].into_iter().find(|c| !has(c)) {
        let what = if cols.is_empty() {
            "has no message table".to_string()
        } else {
            format!("its message table has no {missing} column")
        };
        return Err(Error::BadFile {
            path: path.into(),
            reason: format!("a {agent} database schema Tokenburn does not know ({}): {what}", version(conn)),
        });
    }
    let mut mark: Mark = ctx.state.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    // Without time_updated there is no watermark: every row is read, and keys dedupe.
    let sql = if has("time_updated") {
        "SELECT id, time_updated, data FROM message WHERE time_updated >= ?1 ORDER BY time_updated, id"
    } else {
        "SELECT id, ?1, data FROM message ORDER BY rowid"
    };
    let mut stmt = conn.prepare(sql).map_err(sql_err)?;
    let mut rows = stmt.query([mark.message_updated_ms]).map_err(sql_err)?;
    let mut n = 0;
    while let Some(row) = rows.next().map_err(sql_err)? {
        n += 1;
        ctx.rows += 1;
        let at = Position::Record(n);
        let id: Option<String> = row.get(0).ok();
        let updated: Option<i64> = row.get(1).ok();
        let data: Option<String> = row.get(2).ok();
        let name = id.as_deref().unwrap_or("?");
        if let Some(u) = updated {
            mark.message_updated_ms = mark.message_updated_ms.max(u);
        }
        let Some(data) = data else {
            ctx.reject(at, format!("message {name}: data is not text"));
            continue;
        };
        let result = serde_json::from_str::<Message>(&data)
            .map_err(|e| super::lines::json_reason(&e))
            .and_then(|m| event_of(m, id.as_deref(), n));
        match result {
            Ok(Some(mut ev)) => {
                if ev.project.is_none() {
                    ev.project = ctx.project.clone();
                }
                sink(ev)?
            }
            Ok(None) => {}
            Err(reason) => ctx.reject(at, format!("message {name}: {reason}")),
        }
    }
    ctx.state = Some(serde_json::to_string(&mark).expect("a mark serialises"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, updated: i64, input: u64) -> String {
        format!(
            "INSERT INTO message VALUES ('{id}', 's', 1, {updated}, '{{\"role\":\"assistant\",\"modelID\":\"m\",\
             \"time\":{{\"created\":1,\"completed\":2}},\"tokens\":{{\"total\":{input},\"input\":{input},\"output\":0}}}}');"
        )
    }

    fn read(conn: &Connection, state: Option<String>) -> (Vec<String>, ParseCtx<'static>) {
        let mut ctx = ParseCtx { state, ..ParseCtx::new(std::path::Path::new("kilo.db")) };
        let mut keys = vec![];
        read_db(conn, "Kilo CLI", &mut ctx, &mut |e| {
            keys.push(e.key);
            Ok(())
        })
        .unwrap();
        (keys, ctx)
    }

    #[test]
    fn reads_from_the_watermark_and_moves_it() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE message (id, session_id, time_created, time_updated, data);").unwrap();
        conn.execute_batch(&(msg("a", 10, 1) + &msg("b", 20, 2))).unwrap();
        let (keys, ctx) = read(&conn, None);
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(ctx.state.as_deref(), Some(r#"{"message_updated_ms":20}"#));
        // A new message and one rewritten later are read again; the rest is not.
        conn.execute_batch(&msg("c", 30, 3)).unwrap();
        conn.execute("UPDATE message SET time_updated = 40 WHERE id = 'a'", []).unwrap();
        let (keys, ctx) = read(&conn, ctx.state);
        assert_eq!(keys, ["b", "c", "a"]);
        assert_eq!(ctx.rows, 3);
        assert_eq!(ctx.state.as_deref(), Some(r#"{"message_updated_ms":40}"#));
    }

    #[test]
    fn input_includes_the_cache_only_without_a_stated_total() {
        let doc = |total: &str| {
            format!(
                r#"{{"id":"m1","role":"assistant","modelID":"x","time":{{"created":5}},
                   "tokens":{{{total}"input":1200,"output":40,"reasoning":2,"cache":{{"read":1000,"write":3}}}}}}"#
            )
        };
        let ev = |d: String| event_of(serde_json::from_str(&d).unwrap(), None, 1).unwrap().unwrap();
        let legacy = ev(doc(""));
        assert_eq!((legacy.tokens.input, legacy.tokens.cache_read, legacy.tokens.output), (200, 1000, 42));
        assert_eq!((legacy.tokens.reasoning, legacy.tokens.cache_write_5m, legacy.tokens.total()), (2, 3, 1245));
        let new = ev(doc(r#""total":2245,"#));
        assert_eq!(new.tokens.input, 1200);
        assert!(legacy.rank < ev(doc("").replace(r#""created":5"#, r#""created":5,"completed":6"#)).rank);
    }

    #[test]
    fn a_pre_0_5_message_is_rejected_not_read_as_zero() {
        let doc = r#"{"id":"m","role":"assistant","metadata":{"assistant":{"tokens":{"input":5}}}}"#;
        let err = event_of(serde_json::from_str(doc).unwrap(), None, 1).expect_err("rejected");
        assert!(err.contains("before 0.5"), "{err}");
        let user = r#"{"id":"m","role":"user","metadata":{}}"#;
        assert!(event_of(serde_json::from_str(user).unwrap(), None, 1).unwrap().is_none());
    }

    #[test]
    fn a_fractional_instant_is_read_and_a_string_one_rejected() {
        let doc = |t: &str| {
            format!(
                r#"{{"id":"m","role":"assistant","modelID":"x","time":{{"created":{t}}},"tokens":{{"total":1,"input":1}}}}"#
            )
        };
        let ev = event_of(serde_json::from_str(&doc("1757284200000.75")).unwrap(), None, 1).unwrap().unwrap();
        assert_eq!(ev.ts_ms, 1_757_284_200_000);
        assert!(serde_json::from_str::<Message>(&doc("\"yesterday\"")).is_err());
    }
}
