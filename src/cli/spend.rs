//! `account`, `subscription`, `add` and `imports`: the spend model and undo.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use tokenburn::ledger::queries::imports;
use tokenburn::money::Usd;
use tokenburn::report::parse_day;
use tokenburn::spend::{self, Every, Manual, Subscription};

use super::Global;

#[derive(Subcommand)]
pub enum AccountCmd {
    /// Accounts, their sources and links
    List,
    /// Say that ACCOUNT's usage is billed by another account (e.g. claude-code by anthropic)
    Link {
        account: String,
        #[arg(long = "billed-by")]
        billed_by: String,
    },
    /// Undo a link: the account bills to itself again
    Unlink { account: String },
}

pub fn account(g: &Global, cmd: AccountCmd) -> Result<ExitCode> {
    let mut l = g.open()?;
    match cmd {
        AccountCmd::List => {
            let list = spend::accounts(l.conn())?;
            if g.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("No accounts yet: import or scan something first.");
            } else {
                println!("{:<16} {:<16} {:>8}  {:<23} sources", "account", "billed by", "events", "days");
                for a in list {
                    let days = match (&a.first_day, &a.last_day) {
                        (Some(f), Some(t)) => format!("{f}..{t}"),
                        _ => "-".into(),
                    };
                    let by = a.billed_by.as_deref().unwrap_or("itself");
                    println!("{:<16} {:<16} {:>8}  {:<23} {}", a.account, by, a.events, days, a.sources.join(", "));
                }
            }
        }
        AccountCmd::Link { account, billed_by } => {
            l.write(|tx, _| spend::link(tx, &account, &billed_by))?;
            println!("{account} is billed by {billed_by}: within each UTC day its money and tokens now give way to {billed_by}'s billed and vendor data.");
        }
        AccountCmd::Unlink { account } => {
            if !l.write(|tx, _| spend::unlink(tx, &account))? {
                bail!("{account} is not linked");
            }
            println!("{account} bills to itself again.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum SubscriptionCmd {
    /// Declare a subscription: its fee is spend, amortised per day
    Add {
        /// Its name (default: the preset's)
        name: Option<String>,
        /// A common agent subscription (see `subscription presets`): its price, period,
        /// provider and covered account, each overridden by the option given
        #[arg(long)]
        preset: Option<String>,
        /// The fee per period, in USD
        #[arg(long)]
        usd: Option<String>,
        /// week, month, quarter or year
        #[arg(long, value_parser = |s: &str| s.parse::<Every>())]
        every: Option<Every>,
        /// First day of the first period (YYYY-MM-DD)
        #[arg(long)]
        from: String,
        /// Last day paid for, when it ended
        #[arg(long)]
        until: Option<String>,
        /// The account whose usage it covers (e.g. claude-code): that usage shows as value
        #[arg(long)]
        covers: Option<String>,
        #[arg(long)]
        provider: Option<String>,
    },
    List,
    Rm {
        name: String,
    },
    /// The presets for `add --preset`, with their published prices
    Presets,
}

pub fn subscription(g: &Global, cmd: SubscriptionCmd) -> Result<ExitCode> {
    if let SubscriptionCmd::Presets = cmd {
        if g.json {
            println!("{}", serde_json::to_string_pretty(spend::PRESETS)?);
        } else {
            println!("{:<30} {:<30} {:>8} {:<6} covers", "preset", "name", "USD", "every");
            for p in spend::PRESETS {
                println!("{:<30} {:<30} {:>8} {:<6} {}", p.id, p.name, p.usd, p.every.as_str(), p.covers);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut l = g.open()?;
    match cmd {
        SubscriptionCmd::Add { name, preset, usd, every, from, until, covers, provider } => {
            let p = preset.as_deref().map(spend::preset).transpose()?;
            let Some(name) = name.or_else(|| p.map(|p| p.name.to_string())) else {
                bail!("subscription add needs a NAME (or --preset)")
            };
            let Some(usd) = usd.or_else(|| p.map(|p| p.usd.to_string())) else {
                bail!("subscription add needs --usd (or --preset)")
            };
            let Some(every) = every.or(p.map(|p| p.every)) else {
                bail!("subscription add needs --every (or --preset)")
            };
            let s = Subscription {
                name,
                usd: Usd::parse(&usd).map_err(|e| anyhow::anyhow!("--usd {usd:?}: {e}"))?,
                every,
                from: parse_day(&from)?,
                until: until.as_deref().map(parse_day).transpose()?,
                covers: covers.or_else(|| p.map(|p| p.covers.to_string())),
                provider: provider.or_else(|| p.map(|p| p.provider.to_string())),
            };
            l.write(|tx, _| spend::add_subscription(tx, &s))?;
            let covers = s.covers.as_deref().map(|c| format!(", covering {c}")).unwrap_or_default();
            println!("Subscription {:?} added: ${} every {:?}{covers}.", s.name, s.usd.round_to(2), s.every);
        }
        SubscriptionCmd::List => {
            let list = spend::subscriptions(l.conn())?;
            if g.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for s in list {
                    let until = s.until.map(|u| format!(" until {u}")).unwrap_or_default();
                    let covers = s.covers.map(|c| format!(", covers {c}")).unwrap_or_default();
                    println!(
                        "{:<20} ${} every {:?} from {}{until}{covers}",
                        s.name,
                        s.usd.round_to(2),
                        s.every,
                        s.from
                    );
                }
            }
        }
        SubscriptionCmd::Rm { name } => {
            if !l.write(|tx, _| spend::remove_subscription(tx, &name))? {
                bail!("no subscription named {name:?}");
            }
            println!("Subscription {name:?} removed.");
        }
        SubscriptionCmd::Presets => {} // answered above, without the ledger
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct AddArgs {
    /// The amount in USD
    #[arg(long)]
    usd: String,
    /// The day it was spent (YYYY-MM-DD)
    #[arg(long)]
    date: String,
    #[arg(long)]
    provider: String,
    #[arg(long)]
    model: Option<String>,
    #[arg(long)]
    project: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

pub fn add(g: &Global, a: AddArgs) -> Result<ExitCode> {
    let mut l = g.open()?;
    let m = Manual {
        usd: Usd::parse(&a.usd).map_err(|e| anyhow::anyhow!("--usd {:?}: {e}", a.usd))?,
        date: parse_day(&a.date)?,
        provider: a.provider,
        model: a.model,
        project: a.project,
        note: a.note,
    };
    let id = l.write(|tx, _| spend::add_manual(tx, &m))?;
    if g.json {
        println!("{}", json!({"import_id": id}));
    } else {
        println!("Added ${} on {} (import #{id}; `tokenburn imports rm {id}` undoes it).", m.usd.round_to(2), m.date);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum ImportsCmd {
    /// Remove an import and the events only it contributed
    Rm { id: i64 },
}

pub fn imports(g: &Global, cmd: Option<ImportsCmd>) -> Result<ExitCode> {
    let mut l = g.open()?;
    match cmd {
        None => {
            let list = imports::list(l.conn())?;
            if g.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!(
                    "{:>5}  {:<20}  {:<18} {:>7} {:>7} {:>7} {:>7}  path",
                    "id", "when", "format", "rows", "added", "dups", "events"
                );
                for i in list {
                    println!(
                        "{:>5}  {:<20}  {:<18} {:>7} {:>7} {:>7} {:>7}  {}",
                        i.id, i.started, i.format, i.counts.rows, i.counts.added, i.counts.duplicates, i.events, i.path
                    );
                }
            }
        }
        Some(ImportsCmd::Rm { id }) => {
            let Some(r) = l.write(|tx, book| tokenburn::spend::undo_import(tx, book, id))? else {
                bail!("no import #{id}")
            };
            if g.json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!(
                    "Import #{id} removed: {} events deleted, {} kept (another import also delivered them).",
                    r.removed_events, r.kept_events
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
