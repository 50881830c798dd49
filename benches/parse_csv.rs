//! Parsing speed of vendor CSVs, without the ledger: `detect` and `Source::parse` of the
//! same million-row OpenAI Cost and completions usage exports `import_csv` imports (see
//! `common`), into a sink that only counts. Prints CPU seconds (this process, user +
//! system) per format; the target is well under a second per million rows, so parsing
//! leaves the import's 3-second budget to the ledger.
//!
//! `cargo bench --bench parse_csv` (`FORMAT=costs` or `FORMAT=usage` runs one, `ROWS` sets
//! another size, `BENCH_DIR` keeps the files, `REPEAT` parses each file that many times and
//! reports the fastest). `CHECK=1` also prints a fingerprint of every event and rejection
//! (its Debug text, hashed), to compare two versions of the parser.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

use tokenburn::import::{self, ParseCtx};

mod common;

/// CPU seconds (user + system) of this process so far.
fn self_cpu() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(u.ru_utime) + s(u.ru_stime)
}

struct Parsed {
    events: u64,
    rows: u64,
    rejected: u64,
    fingerprint: Option<u64>,
    cpu: f64,
    wall: f64,
}

fn parse(path: &Path, check: bool) -> Parsed {
    let cpu = self_cpu();
    let t = Instant::now();
    let source = import::detect(path).expect("detect");
    let file = std::fs::File::open(path).expect("open");
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut ctx = ParseCtx::new(path);
    let mut events = 0u64;
    let mut hasher = DefaultHasher::new();
    source
        .parse(&mut input, &mut ctx, &mut |ev| {
            events += 1;
            if check {
                format!("{ev:?}").hash(&mut hasher);
            }
            Ok(())
        })
        .expect("parse");
    let (wall, cpu) = (t.elapsed().as_secs_f64(), self_cpu() - cpu);
    if check {
        format!("{:?} {} {} {}", ctx.rejected, ctx.rejected_count, ctx.consumed, ctx.last_line).hash(&mut hasher);
    }
    Parsed {
        events,
        rows: ctx.rows,
        rejected: ctx.rejected_count,
        fingerprint: check.then(|| hasher.finish()),
        cpu,
        wall,
    }
}

fn main() {
    let (formats, rows) = common::formats_and_rows();
    let repeat: u32 = std::env::var("REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let check = std::env::var_os("CHECK").is_some();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = std::env::var_os("BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().to_path_buf());
    for format in formats {
        let (name, write) = common::format(format);
        let csv = dir.join(name);
        // A kept file (BENCH_DIR) of the right size is parsed again rather than rewritten.
        let stamp = dir.join(format!("{name}.rows"));
        let kept = std::fs::read_to_string(&stamp).ok().filter(|n| n.trim() == rows.to_string());
        let size = match std::fs::metadata(&csv) {
            Ok(m) if kept.is_some() => m.len(),
            _ => {
                let size = write(&csv, rows);
                std::fs::write(&stamp, rows.to_string()).expect("write the row count beside the file");
                size
            }
        };
        let mut best: Option<Parsed> = None;
        for _ in 0..repeat {
            let p = parse(&csv, check);
            assert_eq!(p.events, rows, "every row is one event");
            if best.as_ref().is_none_or(|b| p.cpu < b.cpu) {
                best = Some(p);
            }
        }
        let p = best.unwrap();
        println!(
            "parse_csv {format}: {rows} rows ({:.1} MiB) parsed in CPU {:.3} s (wall {:.3} s) = {:.0} rows/s; {} rows read, {} rejected{}",
            size as f64 / 1048576.0,
            p.cpu,
            p.wall,
            rows as f64 / p.cpu,
            p.rows,
            p.rejected,
            p.fingerprint.map(|f| format!(", fingerprint {f:016x}")).unwrap_or_default(),
        );
    }
}
