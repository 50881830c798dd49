//! `config get` / `config set`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;
use tokenburn::{config, timezone};

use super::Global;

#[derive(Subcommand)]
pub enum ConfigCmd {
    /// Set a setting: tz (IANA name), fiscal_year_start (1-12), default_thresholds (50,75,90,100), notifications (on/off)
    Set { key: String, value: String },
    /// Show settings
    Get { key: Option<String> },
}

pub fn run(g: &Global, cmd: ConfigCmd) -> Result<ExitCode> {
    match cmd {
        ConfigCmd::Set { key, value } => {
            let mut l = g.open()?;
            let stored = match key.as_str() {
                "tz" => {
                    let tz = timezone::parse_tz(&value)?;
                    l.set_tz(tz)?;
                    tz.name().to_string()
                }
                _ => config::set(&mut l, &key, &value)?,
            };
            println!("{key} = {stored}");
        }
        ConfigCmd::Get { key } => {
            let l = g.open()?;
            let tz = l.tz()?;
            let c = config::get(&l)?;
            let thresholds = c.default_thresholds.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
            let notifications = if c.notifications { "on" } else { "off" };
            let all = [
                ("tz", tz.name().to_string()),
                ("fiscal_year_start", c.fiscal_year_start.to_string()),
                ("default_thresholds", thresholds),
                ("notifications", notifications.to_string()),
            ];
            let shown: Vec<&(&str, String)> = match key.as_deref() {
                None => all.iter().collect(),
                Some(k) => match all.iter().find(|(name, _)| *name == k) {
                    Some(one) => vec![one],
                    None => anyhow::bail!("unknown setting {k:?} (settings: tz, {})", config::KEYS.join(", ")),
                },
            };
            if g.json {
                let mut obj: serde_json::Map<String, serde_json::Value> =
                    shown.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                obj.insert("db".into(), json!(l.path()));
                println!("{}", serde_json::Value::Object(obj));
            } else {
                for (k, v) in shown {
                    println!("{k} = {v}");
                }
                if key.is_none() {
                    println!("db = {}", l.path().display());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
