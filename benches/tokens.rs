//! Token-count benchmark (`cargo bench --bench tokens`): builds a 100 MB text from the real
//! Claude Code transcripts in ../shared/data (whole files, repeated; a generated mixed text
//! when the folder is absent), writes it to a temp file, and counts it with o200k_base on one
//! thread (`tokens::count`) and on two (`tokens::count_parallel`): MB/s and tokens/s for
//! both, and once with tiktoken-rs's own `encode_ordinary` (`tokens::count_reference`);
//! all three counts must be equal.
//!
//! When `TIKTOKEN_PYTHON` names a Python with tiktoken 0.14 whose encodings are cached
//! offline (`TIKTOKEN_CACHE_DIR`; `scripts/bench-tokens-vs-tiktoken` sets both up outside the
//! project), it then times Python's single-threaded `encode_ordinary` on the SAME file, read
//! with `newline=''`, checks that its count is ours, and prints the ratios. Target: the
//! two-thread count at least 2x Python's single-threaded speed.
//! `TOKENS_BENCH_MB` changes the size (default 100); each figure is the median of 3 runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tokenburn::tokens::{self, Encoding};

const RUNS: usize = 3;

fn transcripts(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            transcripts(&p, out);
        } else if p.extension().is_some_and(|e| e == "jsonl") {
            out.push(p);
        }
    }
}

/// Whole transcript files, repeated until `size` bytes; or a generated mix.
fn build_text(size: usize) -> (String, &'static str) {
    let mut files = Vec::new();
    transcripts(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/claude-code"), &mut files);
    let texts: Vec<String> = files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
    let mut out = String::with_capacity(size + (1 << 20));
    if texts.iter().any(|t| !t.is_empty()) {
        while out.len() < size {
            for t in &texts {
                out.push_str(t);
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        return (out, "real Claude Code transcripts from ../shared/data, repeated");
    }
    let words = [
        "the",
        "budget",
        "Tokenburn",
        "isn't",
        "we'll",
        "fn",
        "main()",
        "{",
        "}",
        "return",
        "x1",
        "42",
        "3.14159",
        "日本語",
        "naïve",
        "👍",
        "https://example.com/a/b",
        "//",
        "\"key\":",
        "CamelCase",
        "ALLCAPS",
        "\t",
        "  ",
    ];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    while out.len() < size {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.push_str(words[(seed % words.len() as u64) as usize]);
        out.push(if seed % 11 == 0 { '\n' } else { ' ' });
    }
    (out, "generated mixed text (../shared/data is absent)")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn timed(f: impl Fn() -> usize) -> (usize, Duration) {
    let mut n = 0;
    let times = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            n = std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    (n, median(times))
}

fn rates(label: &str, bytes: usize, tokens: usize, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    let mbs = bytes as f64 / 1e6 / s;
    println!("{label:<34} {:>8.3} s {:>8.1} MB/s {:>8.2} M tokens/s", s, mbs, tokens as f64 / 1e6 / s);
    mbs
}

/// Python tiktoken's `encode_ordinary` on `path`: (tokens, median seconds of 3 runs).
const PY: &str = r#"
import sys, time, json, tiktoken
assert tiktoken.__version__.startswith("0.14"), tiktoken.__version__
enc = tiktoken.get_encoding("o200k_base")
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    text = f.read()
times, n = [], None
for _ in range(3):
    t = time.perf_counter()
    n = len(enc.encode_ordinary(text))
    times.append(time.perf_counter() - t)
print(json.dumps({"tokens": n, "seconds": sorted(times)[1], "version": tiktoken.__version__}))
"#;

fn python(py: &str, path: &Path) -> Option<(usize, f64, String)> {
    let out = Command::new(py).arg("-c").arg(PY).arg(path).output().ok()?;
    if !out.status.success() {
        println!("Python tiktoken failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((v["tokens"].as_u64()? as usize, v["seconds"].as_f64()?, v["version"].as_str()?.to_string()))
}

fn main() {
    let mb: usize = std::env::var("TOKENS_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let (text, what) = build_text(mb * 1_000_000);
    let path = std::env::temp_dir().join(format!("tokenburn-bench-tokens-{mb}mb.txt"));
    std::fs::write(&path, &text).expect("write the bench text");
    println!("text: {} bytes of {what}\nfile: {}", text.len(), path.display());
    println!("cores: {}", tokens::available_threads());

    let t = Instant::now();
    Encoding::O200k.bpe();
    println!("o200k_base load: {:.3} s", t.elapsed().as_secs_f64());

    let (seq, d_seq) = timed(|| tokens::count(Encoding::O200k, &text));
    let (par, d_par) = timed(|| tokens::count_parallel(Encoding::O200k, &text, 2));
    let t = Instant::now();
    let reference = tokens::count_reference(Encoding::O200k, &text);
    let d_ref = t.elapsed();
    assert_eq!(par, seq, "parallel count differs from the sequential one");
    assert_eq!(reference, seq, "count differs from tiktoken-rs's encode_ordinary");
    println!("tokens (o200k_base): {seq} on 1 thread, {par} on 2, {reference} by tiktoken-rs: equal");
    let s1 = rates("tokenburn count (1 thread)", text.len(), seq, d_seq);
    let s2 = rates("tokenburn count_parallel (2 threads)", text.len(), par, d_par);
    let sr = rates("tiktoken-rs encode_ordinary (1 run)", text.len(), reference, d_ref);
    println!("parallel speed-up: {:.2}x; 1 thread vs tiktoken-rs: {:.2}x", s2 / s1, s1 / sr);

    let Some(py) = std::env::var_os("TIKTOKEN_PYTHON") else {
        println!("Python tiktoken: not measured (set TIKTOKEN_PYTHON, or run scripts/bench-tokens-vs-tiktoken)");
        return;
    };
    let Some((n, secs, version)) = python(&py.to_string_lossy(), &path) else { return };
    assert_eq!(n, seq, "Python tiktoken counts {n}, tokenburn {seq}");
    let sp = rates(&format!("Python tiktoken {version} (1 thread)"), text.len(), n, Duration::from_secs_f64(secs));
    println!("tokens equal to Python's: {n}");
    println!("ratio to Python single-threaded: 1 thread {:.2}x, 2 threads {:.2}x (target >= 2x)", s1 / sp, s2 / sp);
}
