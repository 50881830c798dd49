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

/// Reads `input` as a file at `path` (some formats take their layout from the name: `.jsonl`).
fn parse_at(format: &str, path: &Path, input: &mut dyn BufRead) -> Read {
    let source = import::by_name(format).unwrap();
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
    same_through_small_buffers_at(format, Path::new("fuzz-regression"), bytes)
}

fn same_through_small_buffers_at(format: &str, path: &Path, bytes: &[u8]) -> Read {
    let whole = parse_at(format, path, &mut Cursor::new(bytes));
    for cap in 1..=bytes.len().min(80) + 1 {
        let small = parse_at(format, path, &mut BufReader::with_capacity(cap, Cursor::new(bytes)));
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

/// The agent-log importers (what their fuzz targets feed them): each fixture, good or bad,
/// reads the same whole and through every small read buffer, and reads something: events,
/// or rejections with their places.
#[test]
fn agent_logs_read_the_same_through_every_small_read_buffer() {
    let files = [
        ("gemini-cli", "gemini-cli/tmp/a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1/chats/session-2026-01-06T08-00-5e110001.json"),
        ("gemini-cli", "gemini-cli/tmp/b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2/chats/session-2026-02-01T10-00-7f4a0001.jsonl"),
        ("gemini-cli", "gemini-cli/bad/tmp/c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3/chats/session-2026-03-01T10-00-bad00001.json"),
        ("gemini-cli", "gemini-cli/bad/tmp/c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3/chats/session-2026-03-01T11-00-bad00002.jsonl"),
        ("copilot-cli", "copilot-cli/resumed-session/session-state/11111111-aaaa-4bbb-8ccc-000000000001/events.jsonl"),
        ("copilot-cli", "copilot-cli/token-details/session-state/22222222-aaaa-4bbb-8ccc-000000000002/events.jsonl"),
        ("copilot-cli", "copilot-cli/bad-records/session-state/44444444-aaaa-4bbb-8ccc-000000000004/events.jsonl"),
        ("qwen-code", "qwen-code/projects/c--users-dev-documents-app/chats/11111111-1111-4111-8111-111111111111.jsonl"),
        ("qwen-code", "qwen-code/bad-records/chats/77777777-7777-4777-8777-777777777777.jsonl"),
        ("amp", "amp/threads/T-0a000000-0000-4000-8000-000000000001.json"),
        ("amp", "amp/bad/threads/T-0a000000-0000-4000-8000-000000000003.json"),
        ("cline", "cline/globalStorage/saoudrizwan.claude-dev/tasks/1760572200000/ui_messages.json"),
        ("cline", "cline/bad/bad-record/tasks/1760900000000/ui_messages.json"),
        ("roo-code", "roo-code/globalStorage/rooveterinaryinc.roo-cline/tasks/0199f6a1-2b3c-7d4e-8f90-a1b2c3d4e5f6/ui_messages.json"),
        ("kilo-code", "kilo-code/globalStorage/kilocode.kilo-code/tasks/4f1d2c3b-5a6e-4b7c-9d8e-0f1a2b3c4d5e/ui_messages.json"),
        ("opencode", "opencode/storage/message/ses_legacy/msg_v065.json"),
        ("opencode", "opencode/bad/storage/message/ses_bad/msg_bad.json"),
    ];
    for (format, rel) in files {
        let r = same_through_small_buffers_at(format, Path::new(rel), &fixture(rel));
        assert!(!r.events.is_empty() || !r.rejected.is_empty(), "{rel}: nothing read: {r:?}");
        if rel.contains("bad") {
            assert!(!r.rejected.is_empty() || !r.ok, "{rel}: a bad fixture read cleanly: {r:?}");
        } else {
            assert!(r.ok && r.rejected.is_empty(), "{rel}: {r:?}");
        }
    }
}
