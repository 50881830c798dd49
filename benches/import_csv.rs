//! Import speed of a vendor CSV: one million rows of an OpenAI completions usage export
//! (the Activity CSV's 24 columns, counts written as floats, 1-minute buckets with several
//! models each) imported through the real `tokenburn` binary into a temp ledger.
//!
//! `cargo bench --bench import_csv` (`ROWS` sets another size; `BENCH_DIR` keeps the files). Prints rows/s and
//! seconds; the target is under 3 s for a million rows.

use std::io::{BufWriter, Write};
use std::process::Command;
use std::time::Instant;

const HEADER: &str = "start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens,input_uncached_tokens,input_text_tokens,output_text_tokens,input_cached_text_tokens,input_audio_tokens,input_cached_audio_tokens,output_audio_tokens,input_image_tokens,input_cached_image_tokens,output_image_tokens";

const MODELS: [&str; 4] = ["gpt-5-2025-08-07", "gpt-5-mini-2025-08-07", "gpt-4o-2024-08-06", "gpt-4.1-nano-2025-04-14"];

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap().format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn main() {
    let rows: u64 = std::env::var("ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().expect("temp dir");
    // BENCH_DIR keeps the CSV and ledger for profiling.
    let dir = std::env::var_os("BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().to_path_buf());
    let csv = dir.join("completions_usage_2025-01-01_2026-12-31.csv");
    let db = dir.join("ledger.db");
    let _ = std::fs::remove_file(&db);

    let t = Instant::now();
    let mut w = BufWriter::new(std::fs::File::create(&csv).unwrap());
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
    drop(w);
    let size = std::fs::metadata(&csv).unwrap().len();
    eprintln!("generated {rows} rows ({:.1} MiB) in {:.2} s", size as f64 / 1048576.0, t.elapsed().as_secs_f64());

    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tokenburn"))
        .arg("--db")
        .arg(&db)
        .args(["--json", "import"])
        .arg(&csv)
        .env("HOME", &dir)
        .output()
        .expect("run tokenburn");
    let secs = t.elapsed().as_secs_f64();
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let added = report["added"].as_u64().unwrap_or(0);
    assert_eq!(added, rows, "every row is one event: {report}");
    println!(
        "import_csv: {rows} rows in {secs:.2} s = {:.0} rows/s (openai-usage-csv, {:.1} MiB)",
        rows as f64 / secs,
        size as f64 / 1048576.0
    );
}
