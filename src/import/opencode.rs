//! opencode: its message database (`~/.local/share/opencode/opencode.db`, 1.x) and the
//! legacy one-file-per-message layout (`storage/message/<session>/<message>.json`, before
//! 1.0). Both are mapped by `opencode_store`, keyed by message id, so a message found in
//! both counts once. The database is read through a private copy (`sqlite`), never in
//! place; a legacy file is one record.

use std::io::BufRead;

use super::{bad_json, opencode_store, read_doc, sqlite, DbReader, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::Authority;

pub struct Opencode;

/// Whether `path` is `.../message/<session>/<file>.json`, the legacy layout.
fn legacy_path(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
        && path.parent().and_then(|p| p.parent()).and_then(|p| p.file_name()).is_some_and(|n| n == "message")
}

impl Source for Opencode {
    fn name(&self) -> &'static str {
        "opencode"
    }

    fn describe(&self) -> &'static str {
        "opencode messages (~/.local/share/opencode/opencode.db, legacy storage/message/**/*.json)"
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        if sniff.path.file_name().is_some_and(|n| n == "opencode.db") {
            return sniff.head.starts_with(sqlite::MAGIC);
        }
        let text = String::from_utf8_lossy(&sniff.head[..sniff.head.len().min(64 * 1024)]);
        legacy_path(sniff.path)
            && text.trim_start().starts_with('{')
            && text.contains("\"sessionID\"")
            && text.contains("\"role\"")
    }

    fn position(&self, n: u64) -> Position {
        Position::Record(n)
    }

    fn db_reader(&self) -> Option<DbReader> {
        Some(|conn, ctx, sink| opencode_store::read_db(conn, "opencode", ctx, sink))
    }

    /// A legacy message file: one JSON document, one record.
    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        let text = read_doc(input, ctx)?;
        let msg: opencode_store::Message = serde_json::from_str(&text).map_err(|e| bad_json(ctx.path, &e))?;
        ctx.rows = 1;
        match opencode_store::event_of(msg, None, 1) {
            Ok(Some(mut ev)) => {
                if ev.project.is_none() {
                    ev.project = ctx.project.clone();
                }
                sink(ev)
            }
            Ok(None) => Ok(()),
            Err(reason) => {
                ctx.reject(Position::Record(1), reason);
                Ok(())
            }
        }
    }
}
