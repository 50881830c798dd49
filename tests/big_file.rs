//! A 600 MB transcript, generated at test time (never committed): imported by streaming,
//! with bounded memory, an over-long line rejected by number, and exact counts. Ignored by
//! default for its size; run with `cargo test --release --test big_file -- --ignored`.

mod common;

use std::io::Write;

use common::*;

#[test]
#[ignore = "writes a 600 MB file; run explicitly"]
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
            // One line longer than the 64 MiB cap.
            long_line = line;
            format!(
                "{{\"type\":\"user\",\"sessionId\":\"s\",\"uuid\":\"u\",\"message\":{{\"content\":\"{}\"}}}}",
                "y".repeat(70 << 20)
            )
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
    let out = env.json(&["import", path.to_str().unwrap()]);
    eprintln!("imported {written} bytes in {:.1} s", start.elapsed().as_secs_f64());
    let file = &out["files"][0];
    assert_eq!(file["added"].as_u64().unwrap(), usage_lines);
    assert_eq!(file["rejected"][0]["line"].as_u64().unwrap(), long_line);
    assert!(file["rejected"][0]["reason"].as_str().unwrap().contains("longer than"));
    let t = &env.json(&["report"])["totals"];
    assert_eq!(int(t, "output_tokens") as u64, 2 * usage_lines);

    // Peak RSS of the child processes (the imports): far below the file's size.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) }, 0);
    let peak_mb = usage.ru_maxrss as f64 / 1024.0;
    eprintln!("peak RSS of the import: {peak_mb:.0} MB");
    assert!(peak_mb < 200.0, "peak RSS {peak_mb} MB");
}
