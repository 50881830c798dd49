//! Temporary ledgers for the views' unit tests: Claude Code lines written to a file and
//! imported through the real importer, in a chosen zone.

use chrono_tz::Tz;

use crate::ledger::Ledger;

/// One assistant response: when (RFC 3339, UTC), which model, how many tokens.
pub struct Ev {
    pub at: &'static str,
    pub model: &'static str,
    pub input: u64,
    pub output: u64,
}

fn line(i: usize, e: &Ev) -> String {
    format!(
        r#"{{"parentUuid":null,"isSidechain":false,"sessionId":"s","cwd":"/w","message":{{"id":"msg_{i}","model":"{}","usage":{{"input_tokens":{},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":{}}}}},"requestId":"req_{i}","type":"assistant","uuid":"u{i}","timestamp":"{}"}}"#,
        e.model, e.input, e.output, e.at
    )
}

/// A ledger in zone `tz` holding `events` (the folder holds it; keep it alive).
pub fn ledger_with(tz: Tz, events: &[Ev]) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Ledger::open(&dir.path().join("ledger.db")).unwrap();
    l.set_tz(tz).unwrap();
    if !events.is_empty() {
        let log = dir.path().join("session.jsonl");
        let text: Vec<String> = events.iter().enumerate().map(|(i, e)| line(i, e)).collect();
        std::fs::write(&log, text.join("\n") + "\n").unwrap();
        let reports = crate::import::import_paths(&mut l, &[log], Some("claude-code"), false, |_| {}).unwrap();
        assert_eq!(reports[0].as_ref().unwrap().added, events.len() as u64, "every test event is stored");
    }
    (dir, l)
}
