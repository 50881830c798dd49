//! `reconcile`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use tokenburn::reconcile::{self, Period};

use super::Global;

#[derive(Args)]
pub struct ReconcileArgs {
    /// day or month
    #[arg(long, default_value = "day", value_parser = ["day", "month"])]
    by: String,
    #[arg(long)]
    provider: Option<String>,
}

pub fn run(g: &Global, a: ReconcileArgs) -> Result<ExitCode> {
    let l = g.open()?;
    let period = if a.by == "month" { Period::Month } else { Period::Day };
    let lines = reconcile::reconcile(&l, period, a.provider.as_deref(), None)?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
        return Ok(ExitCode::SUCCESS);
    }
    if lines.is_empty() {
        println!("Nothing to reconcile: import a vendor's billing export (see `tokenburn sources`).");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<10} {:<26} {:<10} {:>12} {:>12} {:>12} {:>8}  cause",
        "provider", "model", "period", "estimate $", "billed $", "drift $", "drift %"
    );
    for l in lines {
        let cause = if l.causes.is_empty() { "ok".to_string() } else { l.causes.join("; ") };
        println!(
            "{:<10} {:<26} {:<10} {:>12} {:>12} {:>12} {:>8}  {}",
            l.provider,
            l.model,
            l.period,
            l.estimate_usd.round_to(4),
            l.billed_usd.round_to(4),
            l.drift_usd.round_to(4),
            l.drift_pct.as_deref().unwrap_or("-"),
            cause
        );
    }
    Ok(ExitCode::SUCCESS)
}
