//! The vendor CSV files the import benchmarks read, written the way the vendors write them:
//! one million rows of an OpenAI Cost export (the daily billing CSV: 1,000 rows a day over
//! 1,000 days, one per project, API key and line item) and of an OpenAI completions usage
//! export (the Activity CSV's 24 columns, counts written as floats, 1-minute buckets with
//! several models each). Shared by `import_csv` (the whole CLI) and `parse_csv` (parsing only).

use std::io::{BufWriter, Write};
use std::path::Path;

const HEADER: &str = "start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens,input_uncached_tokens,input_text_tokens,output_text_tokens,input_cached_text_tokens,input_audio_tokens,input_cached_audio_tokens,output_audio_tokens,input_image_tokens,input_cached_image_tokens,output_image_tokens";

const MODELS: [&str; 4] = ["gpt-5-2025-08-07", "gpt-5-mini-2025-08-07", "gpt-4o-2024-08-06", "gpt-4.1-nano-2025-04-14"];

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap().format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// The formats a run covers (`FORMAT=costs` or `FORMAT=usage`, else both) and their size
/// in rows (`ROWS`, a million unless set).
pub fn formats_and_rows() -> (Vec<&'static str>, u64) {
    let rows = std::env::var("ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let formats = match std::env::var("FORMAT").as_deref() {
        Ok("costs") => vec!["costs"],
        Ok("usage") => vec!["usage"],
        _ => vec!["costs", "usage"],
    };
    (formats, rows)
}

/// The file name and writer of a format (`costs` or `usage`).
pub fn format(name: &str) -> (&'static str, fn(&Path, u64) -> u64) {
    match name {
        "costs" => ("cost_2022-01-01_2024-09-26.csv", write_costs),
        _ => ("completions_usage_2025-01-01_2026-12-31.csv", write_usage),
    }
}

/// OpenAI's Cost export (docs/FORMATS.md §1.1): daily buckets, dollars with up to 17 digits.
pub fn write_costs(path: &Path, rows: u64) -> u64 {
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
pub fn write_usage(path: &Path, rows: u64) -> u64 {
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
