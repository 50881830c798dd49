//! `config get` / `config set`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;
use tokenburn::timezone;

use super::Global;

#[derive(Subcommand)]
pub enum ConfigCmd {
    /// Set a setting: `tz IANA`
    Set { key: String, value: String },
    /// Show settings
    Get { key: Option<String> },
}

pub fn run(g: &Global, cmd: ConfigCmd) -> Result<ExitCode> {
    match cmd {
        ConfigCmd::Set { key, value } => {
            let mut l = g.open()?;
            match key.as_str() {
                "tz" => l.set_tz(timezone::parse_tz(&value)?)?,
                "fiscal_year_start" => match value.parse::<u32>() {
                    Ok(m) if (1..=12).contains(&m) => l.set_setting("fiscal_year_start", &m.to_string())?,
                    _ => anyhow::bail!("fiscal_year_start {value:?}: a month number, 1-12"),
                },
                _ => anyhow::bail!("unknown setting {key:?} (settings: tz, fiscal_year_start)"),
            }
            println!("{key} = {value}");
        }
        ConfigCmd::Get { key } => {
            let l = g.open()?;
            let tz = l.tz()?;
            match key.as_deref() {
                None | Some("tz") => {
                    if g.json {
                        println!("{}", json!({"tz": tz.name(), "db": l.path()}));
                    } else {
                        println!("tz = {}\ndb = {}", tz.name(), l.path().display());
                    }
                }
                Some(k) => anyhow::bail!("unknown setting {k:?} (settings: tz)"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
