//! The spend model (CONVENTIONS rule 9): accounts, which source counts, subscriptions and
//! manual entries.
//!
//! Every event belongs to an account: a vendor export to its vendor's account, an agent
//! log to its own (`claude-code`, `codex`) unless the user links it to the account that
//! bills it. Within one effective account and UTC day, tokens come from vendor usage
//! exports when there are any (else transcripts, else summaries) and money from billed
//! data when there is any (else the estimates of the source the tokens came from). What
//! loses is flagged (`tokens_superseded`, `money_superseded`), kept for reconciliation and
//! never counted. A subscription's fee is spend, amortised per day; the estimated money of
//! the account it covers becomes *value*, shown apart from spend. Tokens always count.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Months, NaiveDate};
use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ledger::queries::{accounts as links, authority, events, imports, rollup, settings, subscriptions};
use crate::model::{Authority, CostKind, UsageEvent};
use crate::money::Usd;

// The ledger fills in an event's account and records what a write touched, so these live
// beside the queries; they are re-exported here, where rule 9 is decided.
pub use crate::ledger::queries::authority::{day_of, default_account, Touched};

/// The account that pays for `account`'s usage (itself unless linked).
pub fn effective_account(conn: &Connection, account: &str) -> Result<String> {
    Ok(links::billed_by(conn, account)?.unwrap_or_else(|| account.to_string()))
}

/// The base accounts whose usage the effective account `eff` pays for (itself included).
fn members(conn: &Connection, eff: &str) -> Result<Vec<String>> {
    let mut out = links::billed_for(conn, eff)?;
    out.push(eff.to_string());
    out.sort();
    out.dedup();
    Ok(out)
}

/// Re-decides which sources count for each (account, UTC day) given, reading every event.
pub fn refresh_days(conn: &Connection, days: &BTreeSet<(String, i64)>) -> Result<()> {
    refresh_touched(conn, &Touched { days: days.clone(), ..Touched::new(i64::MAX) })
}

/// Undoes import `id` (`imports::remove`) and re-decides rule 9 for the days its events
/// were on; None when there is no such import.
pub fn undo_import(conn: &Connection, book: &crate::pricing::PriceBook, id: i64) -> Result<Option<imports::Removed>> {
    let Some((removed, touched)) = imports::remove(conn, book, id)? else { return Ok(None) };
    refresh_days(conn, &touched)?;
    events::refresh_supersession(conn, settings::tz(conn)?)?;
    Ok(Some(removed))
}

/// Re-decides the days a write touched.
pub fn refresh_touched(conn: &Connection, touched: &Touched) -> Result<()> {
    let mut by_eff: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for (account, day) in &touched.days {
        by_eff.entry(effective_account(conn, account)?).or_default().insert(*day);
    }
    // Accounts and cost kinds no event names have no id: nothing of theirs to find.
    let billed = events::name_id(conn, CostKind::Billed.as_str())?.unwrap_or(-1);
    let estimated = events::name_id(conn, CostKind::Estimated.as_str())?.unwrap_or(-1);
    for (eff, days) in by_eff {
        let base = members(conn, &eff)?;
        let mut accounts = Vec::new();
        for a in &base {
            accounts.extend(events::name_id(conn, a)?);
        }
        for day in days {
            let any = |set: &BTreeSet<(String, i64)>| base.iter().any(|a| set.contains(&(a.clone(), day)));
            let first_new = if any(&touched.reread) { i64::MAX } else { touched.first_new };
            refresh_day(conn, &accounts, (billed, estimated), day, first_new, any(&touched.new_tokens))?;
        }
    }
    Ok(())
}

/// Rows whose flags already hold are not rewritten (a large import touches every row of
/// its days, and most keep their flags). Events from `first_new` on were inserted unflagged
/// (`new_tokens`: one of them is vendor usage with tokens), so only those the decision flags
/// are read; the index has what that takes. `accounts` are the ids of the effective
/// account's members, `kinds` those of the billed and estimated cost kinds.
fn refresh_day(
    conn: &Connection,
    accounts: &[i64],
    (billed_kind, estimated_kind): (i64, i64),
    day: i64,
    first_new: i64,
    new_tokens: bool,
) -> Result<()> {
    let mut vendor_tokens = new_tokens;
    let mut billed = false;
    for &a in accounts {
        vendor_tokens = vendor_tokens || authority::has_vendor_tokens(conn, a, day, first_new)?;
        billed = billed || authority::has_cost_kind(conn, a, day, billed_kind)?;
    }
    let decision = authority::Decision { vendor_tokens, billed, estimated_kind };
    for &a in accounts {
        if authority::set_flags(conn, a, day, decision, first_new)? > 0 {
            rollup::mark(conn, day)?;
        }
    }
    Ok(())
}

/// Re-decides every day of the given base accounts (after a link changed).
fn refresh_accounts(conn: &Connection, accounts: &[&str]) -> Result<()> {
    let mut touched = BTreeSet::new();
    let from_rollup = rollup::refresh(conn, settings::tz(conn)?)?;
    for a in accounts {
        for d in links::days(conn, a, from_rollup)? {
            touched.insert((a.to_string(), d));
        }
    }
    refresh_days(conn, &touched)
}

/// `account link ACCOUNT --billed-by OTHER`: ACCOUNT's usage is billed by OTHER.
pub fn link(conn: &Connection, account: &str, billed_by: &str) -> Result<()> {
    if account == billed_by {
        return Err(Error::invalid("--billed-by", billed_by, "an account cannot be billed by itself"));
    }
    let payer = effective_account(conn, billed_by)?;
    if payer != billed_by {
        return Err(Error::invalid("--billed-by", billed_by, format!("is itself billed by {payer}; link to that one")));
    }
    let old = effective_account(conn, account)?;
    links::set(conn, account, billed_by)?;
    // Accounts that were billed by `account` now follow it to `billed_by`.
    links::repoint(conn, account, billed_by)?;
    let mut all = members(conn, billed_by)?;
    all.extend(members(conn, &old)?);
    refresh_accounts(conn, &all.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Removes a link: the account bills to itself again.
pub fn unlink(conn: &Connection, account: &str) -> Result<bool> {
    let old = effective_account(conn, account)?;
    let removed = links::remove(conn, account)?;
    let mut all = members(conn, &old)?;
    all.push(account.to_string());
    refresh_accounts(conn, &all.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(removed)
}

/// One account as `account list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountInfo {
    pub account: String,
    pub billed_by: Option<String>,
    pub sources: Vec<String>,
    pub events: i64,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
}

/// Every account with events, then linked accounts with none yet (so a link is always
/// visible).
pub fn accounts(conn: &Connection) -> Result<Vec<AccountInfo>> {
    // The rollup is read unless it cannot be brought up to date (another writer).
    let from_rollup = rollup::refresh(conn, settings::tz(conn)?)?;
    let day = |d: Option<i64>| d.map(|d| day_of(d).to_string());
    let mut out: Vec<AccountInfo> = links::with_events(conn, from_rollup)?
        .into_iter()
        .map(|r| {
            let mut sources: Vec<String> = r.sources.split(',').map(str::to_string).collect();
            sources.sort();
            AccountInfo {
                account: r.account,
                billed_by: r.billed_by,
                sources,
                events: r.events,
                first_day: day(r.first_day),
                last_day: day(r.last_day),
            }
        })
        .collect();
    for (a, b) in links::links(conn)? {
        if !out.iter().any(|i| i.account == a) {
            out.push(AccountInfo {
                account: a,
                billed_by: Some(b),
                sources: vec![],
                events: 0,
                first_day: None,
                last_day: None,
            });
        }
    }
    Ok(out)
}

/// How often a subscription renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    Week,
    Month,
    Quarter,
    Year,
}

impl std::str::FromStr for Every {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Every, String> {
        Ok(match s {
            "week" => Every::Week,
            "month" => Every::Month,
            "quarter" => Every::Quarter,
            "year" => Every::Year,
            _ => return Err(format!("{s:?}: expected week, month, quarter or year")),
        })
    }
}

impl Every {
    /// The name `--every` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Week => "week",
            Every::Month => "month",
            Every::Quarter => "quarter",
            Every::Year => "year",
        }
    }

    /// The start of the `k`-th period after `from`.
    fn nth(self, from: NaiveDate, k: u32) -> Option<NaiveDate> {
        match self {
            Every::Week => from.checked_add_days(chrono::Days::new(7 * k as u64)),
            Every::Month => from.checked_add_months(Months::new(k)),
            Every::Quarter => from.checked_add_months(Months::new(3 * k)),
            Every::Year => from.checked_add_months(Months::new(12 * k)),
        }
    }
}

/// A subscription the user pays for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub name: String,
    #[serde(serialize_with = "usd_text")]
    pub usd: Usd,
    pub every: Every,
    pub from: NaiveDate,
    /// Last day paid for, if it ended.
    pub until: Option<NaiveDate>,
    /// The account whose usage it covers (its estimates become value).
    pub covers: Option<String>,
    pub provider: Option<String>,
}

fn usd_text<S: serde::Serializer>(u: &Usd, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&u.to_string())
}

impl Subscription {
    /// The fee amortised per calendar day over `[start, end]` (inclusive): each period's
    /// amount is spread over its days exactly (day i gets floor((i+1)A/n) - floor(iA/n)
    /// nano-dollars), so a period's days always sum to its fee.
    pub fn daily_fees(&self, start: NaiveDate, end: NaiveDate) -> Vec<(NaiveDate, Usd)> {
        let mut out = Vec::new();
        let end = self.until.map_or(end, |u| u.min(end));
        let mut k = 0;
        while let (Some(p0), Some(p1)) = (self.every.nth(self.from, k), self.every.nth(self.from, k + 1)) {
            if p0 > end {
                break;
            }
            k += 1;
            if p1 <= start {
                continue;
            }
            let n = (p1 - p0).num_days();
            let total = self.usd.nanos() as i128;
            let mut d = p0;
            for i in 0..n {
                if d >= start && d <= end {
                    let share =
                        (total * (i as i128 + 1)).div_euclid(n as i128) - (total * i as i128).div_euclid(n as i128);
                    out.push((d, Usd(share as i64)));
                }
                d = d.succ_opt().expect("date in range");
            }
        }
        out
    }
}

/// A common agent subscription, for `subscription add --preset ID`: its published price
/// and the account (an agent's own, `default_account` of its source) whose usage it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preset {
    pub id: &'static str,
    pub name: &'static str,
    /// The fee per period, USD, as published (monthly billing where there is a choice).
    pub usd: &'static str,
    pub every: Every,
    pub covers: &'static str,
    pub provider: &'static str,
}

/// The presets. Prices are the vendors' published list prices for individuals in the US,
/// monthly billing, as of 2025-11 (check before relying on them; `--usd` overrides):
/// - GitHub Copilot Pro $10/month, Pro+ $39/month (github.com/features/copilot/plans);
///   they cover the Copilot CLI (`copilot-cli`).
/// - Google AI Pro $19.99/month, AI Ultra $249.99/month (one.google.com/about/ai-premium),
///   Gemini Code Assist Standard $22.80/month monthly ($19 a month yearly) and Enterprise
///   $54/month monthly ($45 yearly) (cloud.google.com/products/gemini/code-assist#pricing);
///   they cover Gemini CLI's higher quotas (`gemini-cli`).
/// - Claude Pro $20/month, Max 5x $100/month, Max 20x $200/month (claude.com/pricing);
///   they cover Claude Code (`claude-code`).
/// - ChatGPT Plus $20/month, Pro $200/month (chatgpt.com/pricing); they cover Codex
///   (`codex`).
///
/// Amp and Qwen Code have no subscription to preset: Amp bills credits as used (stored as
/// billed money), Qwen Code's OAuth tier is free.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "copilot-pro",
        name: "GitHub Copilot Pro",
        usd: "10",
        every: Every::Month,
        covers: "copilot-cli",
        provider: "github",
    },
    Preset {
        id: "copilot-pro-plus",
        name: "GitHub Copilot Pro+",
        usd: "39",
        every: Every::Month,
        covers: "copilot-cli",
        provider: "github",
    },
    Preset {
        id: "google-ai-pro",
        name: "Google AI Pro",
        usd: "19.99",
        every: Every::Month,
        covers: "gemini-cli",
        provider: "google",
    },
    Preset {
        id: "google-ai-ultra",
        name: "Google AI Ultra",
        usd: "249.99",
        every: Every::Month,
        covers: "gemini-cli",
        provider: "google",
    },
    Preset {
        id: "gemini-code-assist-standard",
        name: "Gemini Code Assist Standard",
        usd: "22.80",
        every: Every::Month,
        covers: "gemini-cli",
        provider: "google",
    },
    Preset {
        id: "gemini-code-assist-enterprise",
        name: "Gemini Code Assist Enterprise",
        usd: "54",
        every: Every::Month,
        covers: "gemini-cli",
        provider: "google",
    },
    Preset {
        id: "claude-pro",
        name: "Claude Pro",
        usd: "20",
        every: Every::Month,
        covers: "claude-code",
        provider: "anthropic",
    },
    Preset {
        id: "claude-max-5x",
        name: "Claude Max 5x",
        usd: "100",
        every: Every::Month,
        covers: "claude-code",
        provider: "anthropic",
    },
    Preset {
        id: "claude-max-20x",
        name: "Claude Max 20x",
        usd: "200",
        every: Every::Month,
        covers: "claude-code",
        provider: "anthropic",
    },
    Preset {
        id: "chatgpt-plus",
        name: "ChatGPT Plus",
        usd: "20",
        every: Every::Month,
        covers: "codex",
        provider: "openai",
    },
    Preset {
        id: "chatgpt-pro",
        name: "ChatGPT Pro",
        usd: "200",
        every: Every::Month,
        covers: "codex",
        provider: "openai",
    },
];

/// The preset `id`, or an error listing them.
pub fn preset(id: &str) -> Result<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id).ok_or_else(|| {
        let ids = PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ");
        Error::invalid("--preset", id, format!("is not a preset ({ids})"))
    })
}

/// Stores a new subscription.
pub fn add_subscription(conn: &Connection, s: &Subscription) -> Result<()> {
    if s.usd.nanos() < 0 {
        return Err(Error::invalid("fee", s.usd, "a subscription's fee cannot be negative"));
    }
    if s.until.is_some_and(|u| u < s.from) {
        return Err(Error::invalid("--until", s.until.unwrap(), format!("is before --from {}", s.from)));
    }
    let row = subscriptions::SubscriptionRow {
        name: s.name.clone(),
        usd_nanos: s.usd.nanos(),
        every: s.every.as_str().to_string(),
        from_day: s.from.to_string(),
        until_day: s.until.map(|d| d.to_string()),
        covers: s.covers.clone(),
        provider: s.provider.clone(),
    };
    if !subscriptions::insert(conn, &row)? {
        return Err(Error::Exists { what: "subscription", name: s.name.clone(), hint: "" });
    }
    Ok(())
}

/// Removes the subscription named `name`; false when there is none.
pub fn remove_subscription(conn: &Connection, name: &str) -> Result<bool> {
    subscriptions::remove(conn, name)
}

/// Every subscription, by start day and name; a damaged row is an error.
pub fn subscriptions(conn: &Connection) -> Result<Vec<Subscription>> {
    subscriptions::all(conn)?.into_iter().map(subscription_of).collect()
}

fn subscription_of(r: subscriptions::SubscriptionRow) -> Result<Subscription> {
    let bad = || Error::Damaged { what: format!("subscription {:?}", r.name) };
    Ok(Subscription {
        usd: Usd(r.usd_nanos),
        every: r.every.parse().map_err(|_| bad())?,
        from: crate::timezone::parse_date(&r.from_day).ok_or_else(bad)?,
        until: r.until_day.as_deref().and_then(crate::timezone::parse_date),
        covers: r.covers,
        provider: r.provider,
        name: r.name,
    })
}

/// A spend the user enters by hand (`tokenburn add`).
#[derive(Debug, Clone)]
pub struct Manual {
    pub usd: Usd,
    pub date: NaiveDate,
    pub provider: String,
    pub model: Option<String>,
    pub project: Option<String>,
    pub note: Option<String>,
}

/// Stores a manual entry as an event of source `manual` (its own import, so it can be
/// undone like any import). Returns the import id.
pub fn add_manual(conn: &Connection, m: &Manual) -> Result<i64> {
    let now = chrono::Utc::now();
    let import = imports::NewImport {
        path: "(entered by hand)",
        format: "manual",
        sha256: "",
        byte_start: 0,
        byte_end: 0,
        same_as: None,
    };
    let id = imports::insert(conn, &import, now.timestamp_millis())?;
    let ts = crate::timezone::day_start_ms(chrono_tz::Tz::UTC, m.date);
    let mut ev = UsageEvent::new(format!("manual-{id}"), &m.provider, m.model.as_deref().unwrap_or("(manual)"), ts, 1);
    ev.day = Some(m.date);
    ev.span_ms = 86_400_000;
    ev.cost = Some(m.usd);
    ev.cost_kind = CostKind::Manual;
    ev.project = m.project.clone();
    ev.note = m.note.clone();
    ev.account = Some(m.provider.clone());
    let book = crate::pricing::PriceBook::embedded();
    let touched = events::upsert(conn, "manual", Authority::Vendor, &ev, id, book)?;
    let counts = imports::Counts { rows: 1, added: 1, ..Default::default() };
    let end = imports::End { byte: 0, line: 1, state: None };
    imports::finish(conn, id, &counts, end)?;
    refresh_touched(conn, &touched)?;
    Ok(id)
}
