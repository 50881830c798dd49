//! A 600 MB transcript, generated at test time (never committed): imported by streaming,
//! with bounded memory, an over-long line rejected by number, and exact counts. Ignored by
//! default for its size; run with `cargo test --release --test big_file -- --ignored`.

mod common;

use std::io::Write;

use common::*;

#[test]
#[ignore = "writes a 600 MB file; run explicitly"]
#[allow(clippy::zombie_processes)] // reaped by wait4 in wait_with_rss
fn a_600_mb_file_streams_with_bounded_memory() {
    let env = Env::new();
    let path = env.dir.path().join("projects/-big/huge.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let filler = "x".repeat(2000);
    let mut usage_lines = 0u64;
    let mut line = 0u64;
    let mut written = 0u64;
    let mut long_line = 0;
    while written < 600_000_000 {
        line += 1;
        let text = if line == 1000 {
            // One line longer than the 32 MiB cap, written in pieces so that this process
            // stays small (a child's peak RSS counts what it shared with its parent).
            long_line = line;
            let piece = "y".repeat(1 << 20);
            f.write_all(br#"{"type":"user","sessionId":"s","uuid":"u","message":{"content":""#).unwrap();
            for _ in 0..40 {
                f.write_all(piece.as_bytes()).unwrap();
            }
            written += 40 << 20;
            r#""}}"#.to_string()
        } else if line % 10 == 0 {
            usage_lines += 1;
            format!(
                r#"{{"parentUuid":"p","isSidechain":false,"sessionId":"s","uuid":"u{line}","timestamp":"2025-06-08T10:00:00.000Z","requestId":"req_{line}","message":{{"id":"msg_{line}","model":"claude-sonnet-4-20250514","content":[{{"type":"text","text":"{filler}"}}],"usage":{{"input_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2}}}}}}"#
            )
        } else {
            format!(r#"{{"type":"user","sessionId":"s","uuid":"u{line}","message":{{"content":"{filler}"}}}}"#)
        };
        f.write_all(text.as_bytes()).unwrap();
        f.write_all(b"\n").unwrap();
        written += text.len() as u64 + 1;
    }
    drop(f);

    let start = std::time::Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tokenburn"))
        .args(["--db", env.db.to_str().unwrap(), "import", "--json", path.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (status, peak_kb) = wait_with_rss(child.id());
    assert_eq!(status, 0);
    let out: serde_json::Value = serde_json::from_reader(child.stdout.unwrap()).unwrap();
    eprintln!("imported {written} bytes in {:.1} s", start.elapsed().as_secs_f64());
    let peak_mb = peak_kb as f64 / 1024.0;
    eprintln!("peak RSS of the import: {peak_mb:.0} MB");
    assert!(peak_mb < 80.0, "peak RSS {peak_mb} MB");
    let file = &out["files"][0];
    assert_eq!(file["added"].as_u64().unwrap(), usage_lines);
    assert_eq!(file["rejected"][0]["line"].as_u64().unwrap(), long_line);
    assert!(file["rejected"][0]["reason"].as_str().unwrap().contains("longer than"));
    let t = &env.json(&["report"])["totals"];
    assert_eq!(int(t, "output_tokens") as u64, 2 * usage_lines);
}

/// Waits for a child (its output must fit the pipe or be read later) and returns its exit
/// code and peak RSS in KiB.
fn wait_with_rss(pid: u32) -> (i32, i64) {
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child with pointers to locals.
    let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(r, pid as libc::pid_t);
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}
