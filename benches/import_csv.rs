//! Import speed of vendor CSVs through the real `tokenburn` binary into a temp ledger:
//! one million rows of an OpenAI Cost export (the daily billing CSV: 1,000 rows a day over
//! 1,000 days, one per project, API key and line item) and one million rows of an OpenAI
//! completions usage export (the Activity CSV's 24 columns, counts written as floats,
//! 1-minute buckets with several models each).
//!
//! `cargo bench --bench import_csv` (`FORMAT=costs` or `FORMAT=usage` runs one of them,
//! `ROWS` sets another size, `BENCH_DIR` keeps the files). Prints rows/s and seconds (wall
//! and the process's CPU); the target is under 3 s for a million rows.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const HEADER: &str = "start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens,input_uncached_tokens,input_text_tokens,output_text_tokens,input_cached_text_tokens,input_audio_tokens,input_cached_audio_tokens,output_audio_tokens,input_image_tokens,input_cached_image_tokens,output_image_tokens";

const MODELS: [&str; 4] = ["gpt-5-2025-08-07", "gpt-5-mini-2025-08-07", "gpt-4o-2024-08-06", "gpt-4.1-nano-2025-04-14"];

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap().format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// OpenAI's Cost export (FORMATS.md §1.1): daily buckets, dollars with up to 17 digits.
fn write_costs(path: &Path, rows: u64) -> u64 {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name").unwrap();
    let base = 1_640_995_200; // 2022-01-01T00:00:00Z
    for i in 0..rows as i64 {
        let start = base + (i / 1000) * 86_400;
        let (s_iso, e_iso) = (iso(start), iso(start + 86_400));
        let (project, item) = (i % 1000 / 25, i % 25);
        let model = ["gpt-5-2025-08-07", "gpt-5-mini-2025-08-07", "gpt-4o-2024-08-06", "o3-2025-04-16", "gpt-4.1-nano"]
            [(item / 5) as usize];
        let kind = ["input", "output", "cached input", "batch input", "batch output"][(item % 5) as usize];
        let amount = (i * 7919) % 9_000_000;
        writeln!(
            w,
            "{start},{},{s_iso},{e_iso},{}.{:07}0000000000,usd,\"{model}, {kind}\",proj_{project:04}xYH0z7dWbBtzhibx,org-Hp9mQ2zLkWq8,Personal",
            start + 86_400,
            amount / 10_000_000,
            amount % 10_000_000,
        )
        .unwrap();
    }
    w.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// OpenAI's completions usage export (the Activity view).
fn write_usage(path: &Path, rows: u64) -> u64 {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "{HEADER}").unwrap();
    let base = 1_735_689_600; // 2025-01-01T00:00:00Z
    for i in 0..rows as i64 {
        let start = base + (i / 8) * 60;
        let (s_iso, e_iso) = (iso(start), iso(start + 60));
        let model = MODELS[(i % 4) as usize];
        let user = i % 8 / 4;
        let input = 1_000 + (i * 7919) % 90_000;
        let cached = (input / 3) & !1023;
        let output = 100 + (i * 104_729) % 20_000;
        writeln!(
            w,
            "{start},{},{s_iso},{e_iso},proj_4BhNtYH0z7dWbBtzhibxa65W,{}.0,user-dAU7Ud7OljwJvKfi4wQz{user:04},key_OYRZfEkH5R9CNgtY,{model},FALSE,default,{input}.0,{output}.0,{cached}.0,{}.0,{}.0,{output}.0,{cached}.0,0.0,0.0,0.0,0.0,0.0,0.0",
            start + 60,
            1 + i % 5,
            input - cached,
            input - cached,
        )
        .unwrap();
    }
    w.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// CPU seconds (user + system) of the finished children of this process.
fn children_cpu() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(u.ru_utime) + s(u.ru_stime)
}

fn run(format: &str, rows: u64, dir: &Path) {
    let (name, write): (&str, fn(&Path, u64) -> u64) = match format {
        "costs" => ("cost_2022-01-01_2024-09-26.csv", write_costs),
        _ => ("completions_usage_2025-01-01_2026-12-31.csv", write_usage),
    };
    let csv = dir.join(name);
    let db = dir.join(format!("ledger-{format}.db"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let t = Instant::now();
    let size = write(&csv, rows);
    eprintln!("generated {rows} rows ({:.1} MiB) in {:.2} s", size as f64 / 1048576.0, t.elapsed().as_secs_f64());

    let cpu = children_cpu();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tokenburn"))
        .arg("--db")
        .arg(&db)
        .args(["--json", "import"])
        .arg(&csv)
        .env("HOME", dir)
        .output()
        .expect("run tokenburn");
    let secs = t.elapsed().as_secs_f64();
    let cpu = children_cpu() - cpu;
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let added = report["added"].as_u64().unwrap_or(0);
    assert_eq!(added, rows, "every row is one event: {report}");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "import_csv: {rows} rows in {secs:.2} s (CPU {cpu:.2} s) = {:.0} rows/s ({}, {:.1} MiB; load {})",
        rows as f64 / secs,
        report["files"][0]["format"].as_str().unwrap_or("?"),
        size as f64 / 1048576.0,
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
}

fn main() {
    let rows: u64 = std::env::var("ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().expect("temp dir");
    // BENCH_DIR keeps the CSVs and ledgers for profiling.
    let dir = std::env::var_os("BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().to_path_buf());
    let formats = match std::env::var("FORMAT").as_deref() {
        Ok("costs") => vec!["costs"],
        Ok("usage") => vec!["usage"],
        _ => vec!["costs", "usage"],
    };
    for format in formats {
        run(format, rows, &dir);
    }
}
