//! `prices` and `prices set`.

use std::process::ExitCode;

use anyhow::Result;
use chrono_tz::Tz;
use clap::{Args, Subcommand};
use serde_json::json;
use tokenburn::ledger::queries::events;
use tokenburn::ledger::queries::prices::OverrideRow;
use tokenburn::ledger::Ledger;
use tokenburn::{report, timezone};

use super::output::group;
use super::Global;

#[derive(Args)]
pub struct PricesArgs {
    /// Only models of stored events that have no price
    #[arg(long)]
    unpriced: bool,
    #[command(subcommand)]
    cmd: Option<PricesCmd>,
}

#[derive(Subcommand)]
enum PricesCmd {
    /// Set a price override (dollars per million tokens); it wins over the price book
    Set {
        model: String,
        #[arg(long)]
        input: String,
        #[arg(long)]
        output: String,
        #[arg(long)]
        cache_read: Option<String>,
        #[arg(long = "cache-write-5m")]
        cache_write_5m: Option<String>,
        #[arg(long = "cache-write-1h")]
        cache_write_1h: Option<String>,
        /// First day the price applies (default: always)
        #[arg(long)]
        from: Option<String>,
    },
    /// Remove a price override (the price book's price applies again)
    Rm {
        model: String,
        /// The override's first day, if it was set with --from
        #[arg(long)]
        from: Option<String>,
    },
}

pub fn run(g: &Global, a: PricesArgs) -> Result<ExitCode> {
    match a.cmd {
        Some(PricesCmd::Set { model, input, output, cache_read, cache_write_5m, cache_write_1h, from }) => {
            let mut l = g.open()?;
            let from = from.as_deref().map(report::parse_day).transpose()?;
            let row =
                OverrideRow { model: model.clone(), from, input, output, cache_read, cache_write_5m, cache_write_1h };
            let n = l.set_price_override(&row)?;
            if g.json {
                println!("{}", json!({"model": model, "repriced_events": n}));
            } else {
                println!("Price for {model} set; {n} stored events re-priced.");
            }
        }
        Some(PricesCmd::Rm { model, from }) => {
            let mut l = g.open()?;
            let from = from.as_deref().map(report::parse_day).transpose()?;
            let Some(n) = l.remove_price_override(&model, from)? else {
                anyhow::bail!(
                    "no price override for {model}{}",
                    from.map(|d| format!(" from {d}")).unwrap_or_default()
                );
            };
            if g.json {
                println!("{}", json!({"model": model, "repriced_events": n}));
            } else {
                println!("Price override for {model} removed; {n} stored events re-priced.");
            }
        }
        None => {
            let l = g.open()?;
            if a.unpriced {
                unpriced(&l, g.json)?
            } else {
                prices(&l, g.zone(&l)?, g.json)?
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The models of stored events that have no price (`queries::events::UNPRICED`), most
/// events first.
fn unpriced(l: &Ledger, as_json: bool) -> Result<()> {
    let rows = events::unpriced_models(l.conn(), None)?;
    if as_json {
        let list: Vec<_> = rows
            .iter()
            .map(|u| json!({"provider": u.provider, "model": u.model, "events": u.events, "tokens": u.tokens}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else if rows.is_empty() {
        println!("Every stored event has a price.");
    } else {
        println!("{:<12} {:<40} {:>8} {:>16}", "provider", "model", "events", "tokens");
        for u in rows {
            println!("{:<12} {:<40} {:>8} {:>16}", u.provider, u.model, u.events, group(u.tokens));
        }
        println!("\nSet a price with `tokenburn prices set MODEL --input USD_PER_MTOK --output USD_PER_MTOK`.");
    }
    Ok(())
}

/// The price book's prices in force today in `tz`.
fn prices(l: &Ledger, tz: Tz, as_json: bool) -> Result<()> {
    let today = timezone::today(tz);
    let list = l.book().models(today);
    if as_json {
        let v: Vec<_> = list
            .iter()
            .map(|(provider, model, p)| {
                json!({"provider": provider, "model": model, "source": p.source,
                       "input": p.base.input.to_string(), "output": p.base.output.to_string(),
                       "cache_read": p.base.cache_read.to_string(), "cache_write_5m": p.base.cache_write_5m.to_string(),
                       "cache_write_1h": p.base.cache_write_1h.to_string(),
                       "tier": p.tier.as_ref().map(|(t, r)| json!({"above_input_tokens": t, "input": r.input.to_string(), "output": r.output.to_string()}))})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("USD per million tokens, in force {today}:");
        println!(
            "{:<12} {:<44} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "provider", "model", "input", "output", "c.read", "c.w.5m", "c.w.1h"
        );
        for (provider, model, p) in list {
            let r = &p.base;
            println!(
                "{provider:<12} {model:<44} {:>9} {:>9} {:>9} {:>9} {:>9}",
                r.input.to_string(),
                r.output.to_string(),
                r.cache_read.to_string(),
                r.cache_write_5m.to_string(),
                r.cache_write_1h.to_string()
            );
        }
    }
    Ok(())
}
