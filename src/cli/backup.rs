//! `export` and `restore`: the whole ledger, round-trip exact.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use tokenburn::ledger::backup;

use super::Global;

#[derive(Args)]
pub struct ExportArgs {
    /// json (one document) or csv (a folder with one file per table)
    #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
    format: String,
    /// Where to write (a file for json, default standard output; a folder for csv)
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// An export: a JSON file or a CSV export folder
    path: PathBuf,
    /// Delete what the ledger holds first
    #[arg(long)]
    replace: bool,
}

pub fn export(g: &Global, a: ExportArgs) -> Result<ExitCode> {
    let l = g.open()?;
    match (a.format.as_str(), a.out) {
        ("csv", Some(dir)) => {
            backup::export_csv(l.conn(), &dir)?;
            eprintln!("Exported to {}", dir.display());
        }
        ("csv", None) => bail!("--format csv writes a folder: give it with --out DIR"),
        (_, Some(file)) => {
            let mut f = std::io::BufWriter::new(tokenburn::ledger::create_private(&file)?);
            backup::export_json(l.conn(), &mut f)?;
            eprintln!("Exported to {}", file.display());
        }
        (_, None) => backup::export_json(l.conn(), &mut std::io::stdout().lock())?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn restore(g: &Global, a: RestoreArgs) -> Result<ExitCode> {
    let l = g.open()?;
    let doc = backup::read(l.conn(), &a.path)?;
    let n = backup::restore(l.conn(), &doc, a.replace)?;
    println!("Restored {n} rows from {}.", a.path.display());
    Ok(ExitCode::SUCCESS)
}
