//! `report`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use tokenburn::report::{self, By, Filter};

use super::output::group;
use super::Global;

#[derive(Args)]
pub struct ReportArgs {
    /// day, week, month, model, provider, project or source
    #[arg(long, default_value = "day", value_parser = |s: &str| s.parse::<By>())]
    by: By,
    #[arg(long)]
    since: Option<String>,
    #[arg(long)]
    until: Option<String>,
    #[arg(long)]
    source: Option<String>,
    #[arg(long)]
    provider: Option<String>,
    #[arg(long)]
    model: Option<String>,
    #[arg(long)]
    project: Option<String>,
}

pub fn run(g: &Global, a: ReportArgs) -> Result<ExitCode> {
    let l = g.open()?;
    let tz = g.zone(&l)?;
    let filter = Filter {
        since: a.since.as_deref().map(report::parse_day).transpose()?,
        until: a.until.as_deref().map(report::parse_day).transpose()?,
        source: a.source,
        provider: a.provider,
        model: a.model,
        project: a.project,
    };
    let rep = report::report(&l, a.by, &filter, tz)?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
    } else {
        print_report(&rep);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(rep: &report::Report) {
    let head = ["key", "input", "output", "cache write", "cache read", "unsplit", "total", "cost USD", "unpriced"];
    let mut lines: Vec<[String; 9]> = Vec::new();
    let fmt = |r: &report::Row, key: &str| {
        [
            key.to_string(),
            group(r.input_tokens),
            group(r.output_tokens),
            group(r.cache_write_tokens),
            group(r.cache_read_tokens),
            group(r.unsplit_tokens),
            group(r.total_tokens),
            tokenburn::money::Usd::parse(&r.cost_usd).map(|u| u.round_to(2)).unwrap_or_default(),
            r.unpriced_events.to_string(),
        ]
    };
    for r in &rep.rows {
        lines.push(fmt(r, r.key.as_deref().unwrap_or("")));
    }
    lines.push(fmt(&rep.totals, "TOTAL"));
    let mut w = head.map(str::len);
    for l in &lines {
        for (i, c) in l.iter().enumerate() {
            w[i] = w[i].max(c.len());
        }
    }
    let row = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { format!("{c:<w$}", w = w[i]) } else { format!("{c:>w$}", w = w[i]) })
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", row(&head.map(String::from)));
    for l in &lines {
        println!("{}", row(l));
    }
    if rep.totals.unpriced_events > 0 {
        println!(
            "\n{} events have no price and are not in the cost (see `tokenburn prices --unpriced`).",
            rep.totals.unpriced_events
        );
    }
}
