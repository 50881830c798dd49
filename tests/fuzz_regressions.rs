//! Inputs the fuzz targets (`fuzz/`, `scripts/fuzz`) found, minimized, each read the way
//! that broke it. Named after what was wrong.

use std::io::{BufRead, BufReader, Cursor};
use std::path::Path;

use tokenburn::import::{self, ParseCtx};

/// Events (key, tokens) and rejections of one parse, and whether the file failed.
#[derive(Debug, PartialEq)]
struct Read {
    events: Vec<(String, i64)>,
    rejected: Vec<(import::Position, String)>,
    ok: bool,
}

fn parse(format: &str, input: &mut dyn BufRead) -> Read {
    let source = import::by_name(format).unwrap();
    let path = Path::new("fuzz-regression");
    let mut ctx = ParseCtx::new(path);
    let mut events = vec![];
    let ok = source
        .parse(input, &mut ctx, &mut |ev| {
            events.push((ev.key, ev.tokens.total()));
            Ok(())
        })
        .is_ok();
    Read { events, rejected: ctx.rejected.into_iter().map(|r| (r.at, r.reason)).collect(), ok }
}

/// The bytes read whole and through every small read buffer give the same result.
fn same_through_small_buffers(format: &str, bytes: &[u8]) -> Read {
    let whole = parse(format, &mut Cursor::new(bytes));
    for cap in 1..=bytes.len().min(80) + 1 {
        let small = parse(format, &mut BufReader::with_capacity(cap, Cursor::new(bytes)));
        assert_eq!(small, whole, "{format}: a {cap}-byte read buffer changed what was read");
    }
    whole
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)).unwrap()
}

/// fuzz target openai_usage_csv: the delimiter was sniffed from what the read buffer held of
/// the header line, so a buffer that ended before the first tab read a TSV as one column.
#[test]
fn csv_delimiter_comes_from_the_whole_header_line_not_the_read_buffer() {
    let minimized = b"start_time\tend_time\t";
    assert!(same_through_small_buffers("openai-usage-csv", minimized).ok);
    let tsv = same_through_small_buffers("openai-usage-csv", &fixture("openai-usage-csv/completions_usage_minute.tsv"));
    assert!(tsv.ok && !tsv.events.is_empty() && tsv.rejected.is_empty(), "{tsv:?}");
}
