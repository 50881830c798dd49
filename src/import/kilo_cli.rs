//! Kilo CLI (`~/.local/share/kilo/kilo.db`), an opencode fork with opencode's message store
//! (see `opencode_store`). The database is read through a private copy (`sqlite`), never
//! in place. Kilo Code, the VS Code extension, writes Cline's task files instead.

use std::io::BufRead;

use super::{opencode_store, sqlite, DbReader, ParseCtx, Position, Sink, Sniff, Source};
use crate::error::{Error, Result};
use crate::model::Authority;

pub struct KiloCli;

impl Source for KiloCli {
    fn name(&self) -> &'static str {
        "kilo-cli"
    }

    fn describe(&self) -> &'static str {
        "Kilo CLI message database (~/.local/share/kilo/kilo.db)"
    }

    fn authority(&self) -> Authority {
        Authority::Transcript
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        sniff.path.file_name().is_some_and(|n| n == "kilo.db") && sniff.head.starts_with(sqlite::MAGIC)
    }

    fn position(&self, n: u64) -> Position {
        Position::Record(n)
    }

    fn db_reader(&self) -> Option<DbReader> {
        Some(|conn, ctx, sink| opencode_store::read_db(conn, "Kilo CLI", ctx, sink))
    }

    /// Only a database is Kilo CLI's: bytes that reach here are not one.
    fn parse(&self, _: &mut dyn BufRead, ctx: &mut ParseCtx, _: &mut Sink) -> Result<()> {
        Err(Error::BadFile { path: ctx.path.into(), reason: "not a Kilo CLI database (no SQLite header)".into() })
    }
}
