//! Line-at-a-time reading for JSONL sources, with bounded memory.
//!
//! Owns: line numbering, the byte offset of the last complete line (what `scan` resumes
//! from), over-long lines, invalid UTF-8 and the unfinished last line. Sources see only
//! whole, valid UTF-8 lines and say whether each was good.

use std::io::BufRead;

use super::{ParseCtx, Position, Sink, Tail};
use crate::error::{Error, Result};
use crate::model::UsageEvent;

/// Lines longer than this are rejected without being held in memory.
pub const MAX_LINE: usize = 32 * 1024 * 1024;

/// What a source made of one line.
pub type LineResult = std::result::Result<(), String>;

/// Sends a row's event, if it has one, or returns its rejection: what a line's or a
/// record's callback hands back.
pub fn deliver(sink: &mut Sink, row: std::result::Result<Option<UsageEvent>, String>) -> Result<LineResult> {
    match row {
        Ok(Some(ev)) => sink(ev).map(Ok),
        Ok(None) => Ok(Ok(())),
        Err(reason) => Ok(Err(reason)),
    }
}

/// Calls `f(line_no, text)` for every non-empty line of `input`, recording rejections in
/// `ctx`. `f` returns `Ok(Err(reason))` to reject the line, `Err` to fail the whole file.
pub fn for_each_line(
    input: &mut dyn BufRead,
    ctx: &mut ParseCtx,
    mut f: impl FnMut(&mut ParseCtx, u64, &str) -> Result<LineResult>,
) -> Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut line_no = ctx.first_line;
    loop {
        buf.clear();
        if buf.capacity() > 4 << 20 {
            // Give back what one huge line took, so memory stays bounded by the largest line.
            buf = Vec::with_capacity(64 * 1024);
        }
        let Physical { read, complete, too_long } = read_line(input, &mut buf).map_err(|e| Error::io(ctx.path, e))?;
        if read == 0 {
            return Ok(());
        }
        line_no += 1;
        if !complete && ctx.tail == Tail::Leave {
            // A line still being written: the next scan reads it whole.
            return Ok(());
        }
        ctx.consumed += read as u64;
        ctx.last_line = line_no;
        if too_long {
            ctx.rows += 1;
            ctx.reject(Position::Line(line_no), format!("line is longer than {} MiB; skipped", MAX_LINE >> 20));
            continue;
        }
        let mut bytes = &buf[..];
        while let [rest @ .., b'\n' | b'\r'] = bytes {
            bytes = rest;
        }
        if line_no == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        ctx.rows += 1;
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                ctx.reject(
                    Position::Line(line_no),
                    format!("invalid UTF-8 at byte {} of the line", e.valid_up_to() + 1),
                );
                continue;
            }
        };
        if let Err(reason) = f(ctx, line_no, text)? {
            let reason =
                if complete { reason } else { format!("truncated last line (no newline at end of file): {reason}") };
            ctx.reject(Position::Line(line_no), reason);
        }
    }
}

/// What [`read_line`] read of one physical line.
struct Physical {
    /// Bytes consumed, its line feed included (0 at the end of the input).
    read: usize,
    /// Whether it ended with a line feed (else the input ended first).
    complete: bool,
    /// Whether it was longer than [`MAX_LINE`]: then `buf` holds none of it.
    too_long: bool,
}

/// Reads one physical line into `buf` (empty on entry), holding at most [`MAX_LINE`] bytes
/// of it.
fn read_line(input: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<Physical> {
    let mut line = Physical { read: 0, complete: false, too_long: false };
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(line);
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !line.too_long {
            if buf.len() + take > MAX_LINE {
                line.too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        line.read += take;
        input.consume(take);
        if done {
            line.complete = true;
            return Ok(line);
        }
    }
}

/// A short description of a JSON parse error for a rejected line.
pub fn json_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "incomplete JSON (the line ends early)".to_string(),
        Category::Syntax => format!("invalid JSON at column {}", e.column()),
        Category::Data => format!("unexpected JSON shape: {e}"),
        Category::Io => format!("read error: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Cursor};
    use std::path::Path;

    use super::*;

    #[test]
    fn an_over_long_line_is_rejected_by_number_and_the_rest_read() {
        let mut data = b"one\n".to_vec();
        data.resize(data.len() + MAX_LINE + 1, b'x');
        data.extend_from_slice(b"\nthree\nfour");
        for capacity in [7, 64 * 1024] {
            let mut ctx = ParseCtx::new(Path::new("t.jsonl"));
            let mut seen = Vec::new();
            let mut input = BufReader::with_capacity(capacity, Cursor::new(&data));
            for_each_line(&mut input, &mut ctx, |_, n, text| {
                seen.push((n, text.to_string()));
                Ok(Ok(()))
            })
            .unwrap();
            assert_eq!(seen, [(1, "one".to_string()), (3, "three".to_string()), (4, "four".to_string())]);
            assert_eq!((ctx.rows, ctx.rejected_count, ctx.last_line), (4, 1, 4));
            assert_eq!(ctx.rejected[0].at, Position::Line(2));
            assert!(ctx.rejected[0].reason.contains("longer than 32 MiB"), "{:?}", ctx.rejected);
            assert_eq!(ctx.consumed, data.len() as u64);
        }
    }
}
