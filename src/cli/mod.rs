//! The CLI's commands, one file per feature: each has its clap `Args` and a `run` that
//! opens the ledger, calls the engine and prints.

pub mod backup;
pub mod budget;
pub mod chart;
pub mod config;
pub mod forecast;
pub mod import;
pub mod output;
pub mod prices;
pub mod reconcile;
pub mod report;
pub mod rules;
pub mod spend;
pub mod tokens;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use tokenburn::ledger::{self, Ledger};
use tokenburn::timezone;

/// Options every command accepts, before or after its name.
#[derive(Args)]
pub struct Global {
    /// Ledger file (default: the platform data folder)
    #[arg(long, global = true, env = "TOKENBURN_DB")]
    pub db: Option<PathBuf>,
    /// Time zone (IANA name) for this command, instead of the ledger's
    #[arg(long, global = true)]
    pub tz: Option<String>,
    /// Print JSON
    #[arg(long, global = true)]
    pub json: bool,
}

impl Global {
    pub fn open(&self) -> Result<Ledger> {
        let path = self.db.clone().unwrap_or_else(ledger::default_path);
        Ledger::open(&path).with_context(|| format!("opening ledger {}", path.display()))
    }

    /// The zone for this command: `--tz`, else the ledger's.
    pub fn zone(&self, l: &Ledger) -> Result<chrono_tz::Tz> {
        match &self.tz {
            Some(name) => Ok(timezone::parse_tz(name)?),
            None => Ok(l.tz()?),
        }
    }
}
