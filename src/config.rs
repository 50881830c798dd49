//! The ledger's user settings beyond its time zone: the fiscal-year start, the default
//! alert thresholds of new budgets, and whether the desktop app shows notifications.
//!
//! They live in the ledger's `settings` table, so the CLI (`tokenburn config set KEY VALUE`)
//! and the desktop app read and write the same values. Every write is validated here, once,
//! for both callers; a stored value that is somehow malformed reads as the default rather
//! than failing every command. The time zone has its own API ([`Ledger::set_tz`]) because
//! changing it re-evaluates stored data.

use serde::Serialize;

use crate::budget;
use crate::error::{Error, Result};
use crate::ledger::Ledger;

/// Thresholds a new budget alerts at unless told otherwise.
pub const DEFAULT_THRESHOLDS: [u32; 4] = [50, 75, 90, 100];

/// The keys [`set`] accepts (besides `tz`, which has [`Ledger::set_tz`]).
pub const KEYS: [&str; 3] = ["fiscal_year_start", "default_thresholds", "notifications"];

/// The settings as callers use them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    /// The month (1-12) fiscal years and quarters start in.
    pub fiscal_year_start: u32,
    /// Alert thresholds (percent) given to a new budget created without its own.
    pub default_thresholds: Vec<u32>,
    /// Whether the desktop app shows alerts as system notifications.
    pub notifications: bool,
}

/// Reads every setting, defaults filled in.
pub fn get(ledger: &Ledger) -> Result<Config> {
    Ok(Config {
        fiscal_year_start: crate::alerts::fiscal_year_start(ledger.conn())?,
        default_thresholds: default_thresholds(ledger)?,
        notifications: notifications(ledger)?,
    })
}

/// The thresholds a new budget gets.
pub fn default_thresholds(ledger: &Ledger) -> Result<Vec<u32>> {
    let stored = ledger.setting("default_thresholds")?;
    Ok(stored.and_then(|s| parse_thresholds(&s).ok()).unwrap_or_else(|| DEFAULT_THRESHOLDS.to_vec()))
}

/// Whether alerts become system notifications (default: yes).
pub fn notifications(ledger: &Ledger) -> Result<bool> {
    Ok(ledger.setting("notifications")?.and_then(|v| parse_switch(&v).ok()).unwrap_or(true))
}

/// Validates and stores one setting; returns the value as stored.
pub fn set(ledger: &mut Ledger, key: &str, value: &str) -> Result<String> {
    let stored = match key {
        "fiscal_year_start" => parse_month(value)?.to_string(),
        "default_thresholds" => parse_thresholds(value)?.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
        "notifications" => if parse_switch(value)? { "on" } else { "off" }.to_string(),
        _ => {
            return Err(Error::invalid("unknown setting", key, format!("the settings are tz, {}", KEYS.join(", "))));
        }
    };
    ledger.set_setting(key, &stored)?;
    Ok(stored)
}

/// A month number, 1-12.
pub fn parse_month(value: &str) -> Result<u32> {
    match value.trim().parse::<u32>() {
        Ok(m) if (1..=12).contains(&m) => Ok(m),
        _ => Err(Error::invalid("fiscal_year_start", value, "a month number, 1-12")),
    }
}

/// "50,75,90,100": at least one whole percentage, each 1-1000.
pub fn parse_thresholds(value: &str) -> Result<Vec<u32>> {
    let list = budget::parse_thresholds(value).map_err(|e| match e {
        Error::Invalid { value, expected, .. } => Error::invalid("default_thresholds", value, expected),
        e => e,
    })?;
    if list.is_empty() {
        return Err(Error::invalid("default_thresholds", value, "give at least one percentage, e.g. 50,100"));
    }
    if let Some(t) = list.iter().find(|t| **t == 0 || **t > 1000) {
        return Err(Error::invalid("default_thresholds", value, format!("{t}% is out of range (1-1000)")));
    }
    Ok(list)
}

/// on/off (also true/false, yes/no, 1/0).
pub fn parse_switch(value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(Error::invalid("notifications", value, "expected on or off")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("l.db")).unwrap();
        (dir, l)
    }

    #[test]
    fn defaults_then_stored_values() {
        let (_d, mut l) = ledger();
        let c = get(&l).unwrap();
        assert_eq!(c, Config { fiscal_year_start: 1, default_thresholds: vec![50, 75, 90, 100], notifications: true });
        assert_eq!(set(&mut l, "fiscal_year_start", "4").unwrap(), "4");
        assert_eq!(set(&mut l, "default_thresholds", "90, 60%,60").unwrap(), "60,90");
        assert_eq!(set(&mut l, "notifications", "OFF").unwrap(), "off");
        let c = get(&l).unwrap();
        assert_eq!(c, Config { fiscal_year_start: 4, default_thresholds: vec![60, 90], notifications: false });
    }

    #[test]
    fn bad_values_are_refused_and_leave_the_setting_alone() {
        let (_d, mut l) = ledger();
        for (key, value) in [
            ("fiscal_year_start", "0"),
            ("fiscal_year_start", "13"),
            ("fiscal_year_start", "April"),
            ("default_thresholds", ""),
            ("default_thresholds", "0,50"),
            ("default_thresholds", "1001"),
            ("default_thresholds", "fifty"),
            ("notifications", "maybe"),
            ("colour", "red"),
        ] {
            let e = set(&mut l, key, value).unwrap_err();
            assert_eq!(e.code(), crate::error::Code::InvalidInput, "{key}={value}: {e}");
        }
        assert_eq!(get(&l).unwrap().fiscal_year_start, 1);
        assert_eq!(get(&l).unwrap().default_thresholds, DEFAULT_THRESHOLDS.to_vec());
    }
}
