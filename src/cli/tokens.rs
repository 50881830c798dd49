//! `tokens [FILE|-]`: the tokens of a file or standard input in o200k_base and cl100k_base,
//! and per `--model` what that many tokens would cost as input and as output.
//!
//! Prices come from the ledger's book (the embedded one plus `prices set` overrides) when a
//! ledger exists at `--db` or the default place, else from the embedded book: counting
//! never creates a ledger.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use tokenburn::ledger;
use tokenburn::money::Usd;
use tokenburn::pricing::PriceBook;
use tokenburn::timezone;
use tokenburn::tokens::{self, Encoding, TokenCost};

use super::output::group;
use super::Global;

#[derive(Args)]
pub struct TokensArgs {
    /// The file to count; `-` or nothing reads standard input (UTF-8)
    file: Option<PathBuf>,
    /// Which encoding to count with
    #[arg(long, value_enum, default_value = "all")]
    encoding: EncodingArg,
    /// Also show what the tokens would cost with this model, as input and as output
    /// (repeatable)
    #[arg(long = "model", value_name = "MODEL")]
    models: Vec<String>,
    /// Threads to count on (0: all cores); the count is the same on any number
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EncodingArg {
    #[value(name = "o200k_base")]
    O200k,
    #[value(name = "cl100k_base")]
    Cl100k,
    All,
}

impl EncodingArg {
    fn encodings(self) -> Vec<Encoding> {
        match self {
            EncodingArg::O200k => vec![Encoding::O200k],
            EncodingArg::Cl100k => vec![Encoding::Cl100k],
            EncodingArg::All => Encoding::ALL.to_vec(),
        }
    }
}

pub fn run(g: &Global, a: TokensArgs) -> Result<ExitCode> {
    let path = a.file.as_deref().filter(|p| *p != Path::new("-"));
    let name = path.map_or_else(|| "standard input".to_string(), |p| p.display().to_string());
    let text = read_utf8(path, &name)?;

    // Shown encodings first, then any a --model needs that was not asked for.
    let mut encodings = a.encoding.encodings();
    let shown = encodings.len();
    for m in &a.models {
        if let Some(e) = tokens::encoding_for_model(m).filter(|e| !encodings.contains(e)) {
            encodings.push(e);
        }
    }
    let counts: Vec<(Encoding, u64)> =
        encodings.iter().map(|&e| (e, tokens::count_parallel(e, &text, a.threads) as u64)).collect();

    let (book, tz) = book_and_zone(g)?;
    let today = timezone::today(tz);
    let costs = if a.models.is_empty() { Vec::new() } else { tokens::costs(&book, &counts, &a.models, today) };

    if g.json {
        let counts_json: serde_json::Map<String, Value> =
            counts[..shown].iter().map(|(e, n)| (e.name().to_string(), json!(n))).collect();
        let v = json!({
            "file": path.map_or_else(|| "-".to_string(), |p| p.display().to_string()),
            "bytes": text.len(),
            "tokens": counts_json,
            "prices_on": today.to_string(),
            "models": costs.iter().map(cost_json).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }

    println!("{name}: {} bytes", group(text.len() as i64));
    for (e, n) in &counts[..shown] {
        println!("  {:<12} {:>14} tokens", e.name(), group(*n as i64));
    }
    if !costs.is_empty() {
        println!("\nCost in USD, prices in force {today}; input as one request's prompt:");
        let w = costs.iter().map(|c| c.model.len()).max().unwrap_or(0).max(5);
        println!("  {:<w$} {:>14} {:>12} {:>12}", "model", "tokens", "as input", "as output");
        for c in &costs {
            println!(
                "  {:<w$} {:>14} {:>12} {:>12}{}",
                c.model,
                group(c.tokens as i64),
                money(c.input),
                money(c.output),
                notes(c)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The whole input as UTF-8, or an error naming the input and the first bad byte.
fn read_utf8(path: Option<&Path>, name: &str) -> Result<String> {
    let bytes = match path {
        Some(p) => std::fs::read(p).with_context(|| format!("reading {name}"))?,
        None => {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf).context("reading standard input")?;
            buf
        }
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            bail!(
                "{name}: not UTF-8 text: invalid byte 0x{:02X} at byte offset {at} (line {line}); \
                 tokens are counted on UTF-8 text only",
                bytes[at]
            )
        }
    }
}

/// The ledger's price book (with the user's overrides) and zone (or `--tz`) when a ledger
/// exists, else the embedded book and `--tz` or the system zone (the zone a new ledger would
/// get): prices are those in force today there.
fn book_and_zone(g: &Global) -> Result<(PriceBook, Tz)> {
    let path = g.db.clone().unwrap_or_else(ledger::default_path);
    if path.is_file() {
        let l = g.open()?;
        Ok((l.book().clone(), g.zone(&l)?))
    } else {
        let tz = match &g.tz {
            Some(name) => timezone::parse_tz(name)?,
            None => timezone::system_tz(),
        };
        Ok((PriceBook::embedded().clone(), tz))
    }
}

/// Dollars for people; amounts under a cent exactly, so a small cost never reads $0.0000.
fn money(u: Option<Usd>) -> String {
    match u {
        None => "unpriced".to_string(),
        Some(u) if u.0 != 0 && u.0.abs() < 10_000_000 => format!("${u}"),
        Some(u) => u.human(),
    }
}

fn notes(c: &TokenCost) -> String {
    let mut n = Vec::new();
    if c.source.is_none() {
        n.push("no price for this model: see `tokenburn prices`, or `prices set`".to_string());
    }
    if c.tokenizer.is_none() {
        n.push(format!("estimated with {}: not an OpenAI tokenizer", c.encoding));
    }
    if c.long_context {
        n.push("long-context input price".to_string());
    }
    if n.is_empty() {
        String::new()
    } else {
        format!("  ({})", n.join("; "))
    }
}

fn cost_json(c: &TokenCost) -> Value {
    json!({
        "model": c.model,
        "encoding": c.encoding.name(),
        "exact_tokenizer": c.tokenizer == Some(c.encoding),
        "tokens": c.tokens,
        "priced": c.source.is_some(),
        "price_source": c.source,
        "input_usd": c.input.map(|u| u.to_string()),
        "output_usd": c.output.map(|u| u.to_string()),
        "long_context": c.long_context,
    })
}
