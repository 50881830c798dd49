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
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Authority, CostKind, UsageEvent};
use crate::money::Usd;

/// The account a source's events belong to before links.
pub fn default_account(source: &str) -> String {
    let vendors = ["openai", "anthropic", "cursor", "openrouter", "copilot"];
    if let Some(v) = vendors.iter().find(|v| source.starts_with(*v)) {
        return v.to_string();
    }
    match source {
        "claude-code" | "claude-stats" => "claude-code".into(),
        "ccusage-json" => "ccusage".into(),
        other => other.strip_prefix("rules:").unwrap_or(other).to_string(),
    }
}

/// The account that pays for `account`'s usage (itself unless linked).
pub fn effective_account(conn: &Connection, account: &str) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT billed_by FROM account_links WHERE account = ?1")?
        .query_row([account], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| account.to_string()))
}

/// The base accounts whose usage the effective account `eff` pays for (itself included).
fn members(conn: &Connection, eff: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT account FROM account_links WHERE billed_by = ?1")?;
    let mut out: Vec<String> = stmt.query_map([eff], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    out.push(eff.to_string());
    out.sort();
    out.dedup();
    Ok(out)
}

/// What a write changed, for rule 9 to re-decide: the (account, UTC day)s it touched, and
/// what it knows of the events it inserted, so that a large import is decided without
/// reading its own rows back (an index range per day instead of a million row lookups).
#[derive(Debug)]
pub struct Touched {
    pub days: BTreeSet<(String, i64)>,
    /// Events with an id from here on were inserted by this write, with no flags set.
    pub first_new: i64,
    /// Days where one of those events is vendor usage with tokens.
    pub new_tokens: BTreeSet<(String, i64)>,
    /// Days where one of those events changed after its insert: decided from every event.
    pub reread: BTreeSet<(String, i64)>,
}

impl Touched {
    /// Nothing touched yet by a write whose inserts get ids from `first_new` on.
    pub fn new(first_new: i64) -> Touched {
        Touched { days: BTreeSet::new(), first_new, new_tokens: BTreeSet::new(), reread: BTreeSet::new() }
    }
}

/// Re-decides which sources count for each (account, UTC day) given, reading every event.
pub fn refresh_days(conn: &Connection, days: &BTreeSet<(String, i64)>) -> Result<()> {
    refresh_touched(conn, &Touched { days: days.clone(), ..Touched::new(i64::MAX) })
}

/// Re-decides the days a write touched.
pub fn refresh_touched(conn: &Connection, touched: &Touched) -> Result<()> {
    use crate::ledger::queries::events::name_id;
    let mut by_eff: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for (account, day) in &touched.days {
        by_eff.entry(effective_account(conn, account)?).or_default().insert(*day);
    }
    // Accounts and cost kinds no event names have no id: nothing of theirs to find.
    let billed = name_id(conn, CostKind::Billed.as_str())?.unwrap_or(-1);
    let estimated = name_id(conn, CostKind::Estimated.as_str())?.unwrap_or(-1);
    for (eff, days) in by_eff {
        let base = members(conn, &eff)?;
        let mut accounts = Vec::new();
        for a in &base {
            accounts.extend(name_id(conn, a)?);
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
    for a in accounts {
        vendor_tokens = vendor_tokens
            || conn
                .prepare_cached(
                    "SELECT EXISTS(SELECT 1 FROM event_rows WHERE utc_day = ?2 AND account = ?1 AND authority = ?3
                     AND id < ?4 AND superseded = 0
                     AND input + cache_write_5m + cache_write_1h + cache_read + output + unsplit > 0)",
                )?
                .query_row(params![a, day, Authority::Vendor as i64, first_new], |r| r.get::<_, bool>(0))?;
        billed = billed
            || conn
                .prepare_cached(
                    "SELECT EXISTS(SELECT 1 FROM event_rows WHERE utc_day = ?2 AND account = ?1 AND cost_kind = ?3)",
                )?
                .query_row(params![a, day, billed_kind], |r| r.get::<_, bool>(0))?;
    }
    for a in accounts {
        let changed = conn
            .prepare_cached(
                "UPDATE event_rows SET
               tokens_superseded = (authority < ?3 AND ?4),
               money_superseded = (cost_kind = ?6 AND (?5 OR (authority < ?3 AND ?4)))
             WHERE utc_day = ?2 AND account = ?1
               AND (id < ?7 OR (authority < ?3 AND ?4) OR (cost_kind = ?6 AND ?5))
               AND (tokens_superseded IS NOT (authority < ?3 AND ?4)
                    OR money_superseded IS NOT (cost_kind = ?6 AND (?5 OR (authority < ?3 AND ?4))))",
            )?
            .execute(params![a, day, Authority::Vendor as i64, vendor_tokens, billed, estimated_kind, first_new])?;
        if changed > 0 {
            crate::ledger::queries::rollup::mark(conn, day)?;
        }
    }
    Ok(())
}

/// Re-decides every day of the given base accounts (after a link changed).
fn refresh_accounts(conn: &Connection, accounts: &[&str]) -> Result<()> {
    let mut touched = BTreeSet::new();
    let table =
        if crate::ledger::queries::rollup::refresh(conn, crate::ledger::tz_of(conn)?)? { "rollup" } else { "events" };
    for a in accounts {
        let mut stmt = conn.prepare_cached(&format!("SELECT DISTINCT utc_day FROM {table} WHERE account = ?1"))?;
        for d in stmt.query_map([a], |r| r.get::<_, i64>(0))? {
            touched.insert((a.to_string(), d?));
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
    conn.execute(
        "INSERT INTO account_links (account, billed_by) VALUES (?1, ?2)
         ON CONFLICT(account) DO UPDATE SET billed_by = excluded.billed_by",
        [account, billed_by],
    )?;
    // Accounts that were billed by `account` now follow it to `billed_by`.
    conn.execute("UPDATE account_links SET billed_by = ?2 WHERE billed_by = ?1", [account, billed_by])?;
    let mut all = members(conn, billed_by)?;
    all.extend(members(conn, &old)?);
    refresh_accounts(conn, &all.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Removes a link: the account bills to itself again.
pub fn unlink(conn: &Connection, account: &str) -> Result<bool> {
    let old = effective_account(conn, account)?;
    let n = conn.execute("DELETE FROM account_links WHERE account = ?1", [account])?;
    let mut all = members(conn, &old)?;
    all.push(account.to_string());
    refresh_accounts(conn, &all.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(n > 0)
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

pub fn accounts(conn: &Connection) -> Result<Vec<AccountInfo>> {
    // The rollup has every event's account, source and UTC day, in far fewer rows; the
    // events are read only when it cannot be brought up to date (another writer).
    let table = if crate::ledger::queries::rollup::refresh(conn, crate::ledger::tz_of(conn)?)? {
        "(SELECT account, source, events AS n, utc_day FROM rollup)"
    } else {
        "(SELECT account, source, 1 AS n, utc_day FROM events)"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT e.account, l.billed_by, group_concat(DISTINCT e.source), SUM(e.n), MIN(e.utc_day), MAX(e.utc_day)
         FROM {table} e LEFT JOIN account_links l ON l.account = e.account
         GROUP BY e.account ORDER BY e.account"
    ))?;
    let day = |d: Option<i64>| d.map(|d| day_of(d).to_string());
    let rows = stmt.query_map([], |r| {
        let sources: String = r.get(2)?;
        let mut sources: Vec<String> = sources.split(',').map(str::to_string).collect();
        sources.sort();
        Ok(AccountInfo {
            account: r.get(0)?,
            billed_by: r.get(1)?,
            sources,
            events: r.get(3)?,
            first_day: day(r.get(4)?),
            last_day: day(r.get(5)?),
        })
    })?;
    let mut out: Vec<AccountInfo> = rows.collect::<rusqlite::Result<_>>()?;
    // Linked accounts with no events yet, so a link is always visible.
    let mut stmt = conn.prepare("SELECT account, billed_by FROM account_links ORDER BY account")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (a, b) = row?;
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

/// The date of a day number (days since 1970-01-01).
pub fn day_of(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid") + chrono::Duration::days(n)
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
    fn as_str(self) -> &'static str {
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

    /// Whether it covers `account` on `date`.
    pub fn covers_on(&self, account: &str, date: NaiveDate) -> bool {
        self.covers.as_deref() == Some(account) && date >= self.from && self.until.is_none_or(|u| date <= u)
    }
}

pub fn add_subscription(conn: &Connection, s: &Subscription) -> Result<()> {
    if s.usd.nanos() < 0 {
        return Err(Error::invalid("fee", s.usd, "a subscription's fee cannot be negative"));
    }
    if s.until.is_some_and(|u| u < s.from) {
        return Err(Error::invalid("--until", s.until.unwrap(), format!("is before --from {}", s.from)));
    }
    conn.execute(
        "INSERT INTO subscriptions (name, usd_nanos, every, from_day, until_day, covers, provider)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            s.name,
            s.usd.nanos(),
            s.every.as_str(),
            s.from.to_string(),
            s.until.map(|d| d.to_string()),
            s.covers,
            s.provider
        ],
    )
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => {
            Error::Exists { what: "subscription", name: s.name.clone(), hint: "" }
        }
        _ => e.into(),
    })?;
    Ok(())
}

pub fn remove_subscription(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM subscriptions WHERE name = ?1", [name])? > 0)
}

pub fn subscriptions(conn: &Connection) -> Result<Vec<Subscription>> {
    let mut stmt = conn.prepare(
        "SELECT name, usd_nanos, every, from_day, until_day, covers, provider FROM subscriptions ORDER BY from_day, name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (name, nanos, every, from, until, covers, provider) = row?;
        let bad = || Error::Damaged { what: format!("subscription {name:?}") };
        out.push(Subscription {
            usd: Usd(nanos),
            every: every.parse().map_err(|_| bad())?,
            from: crate::timezone::parse_date(&from).ok_or_else(bad)?,
            until: until.as_deref().and_then(crate::timezone::parse_date),
            covers,
            provider,
            name,
        });
    }
    Ok(out)
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
    let import = crate::ledger::queries::imports::NewImport {
        path: "(entered by hand)",
        format: "manual",
        sha256: "",
        byte_start: 0,
        byte_end: 0,
        same_as: None,
    };
    let id = crate::ledger::queries::imports::insert(conn, &import, now.timestamp_millis())?;
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
    let touched = crate::ledger::queries::events::upsert(conn, "manual", Authority::Vendor, &ev, id, book)?;
    let counts = crate::ledger::queries::imports::Counts { rows: 1, added: 1, ..Default::default() };
    let end = crate::ledger::queries::imports::End { byte: 0, line: 1, state: None };
    crate::ledger::queries::imports::finish(conn, id, &counts, end)?;
    refresh_touched(conn, &touched)?;
    Ok(id)
}
