//! The dashboard's numbers: totals for today, this week, this month and all time, and the
//! all-time split by model, all from [`tokenburn::report::report`] in the ledger's zone.
//!
//! Also the budget cards (status, run-out forecast, burn chart), compensation with its ratio
//! chart, and the warnings (unpriced models, reconciliation drift).
//!
//! Kept free of Tauri so the tray and the dashboard command share it and tests can call
//! it directly. Money stays an exact decimal string (`cost_usd`) all the way to the UI,
//! which formats it without going through a float for the sum.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tokenburn::budget::{self, Budget, Status, Unit};
use tokenburn::chart::{feed, BurnData, Chart, DateLocale, Options, RatioData, Theme};
use tokenburn::error::Result;
use tokenburn::ledger::Ledger;
use tokenburn::ratio::{self, Comp, CompStatus};
use tokenburn::report::{report, By, Filter, Row};

/// Totals of one period.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    /// `today`, `week`, `month` or `all`.
    pub key: &'static str,
    /// First day covered, `YYYY-MM-DD` (`None` for all time).
    pub since: Option<String>,
    pub totals: Row,
}

/// What the dashboard shows.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The ledger's zone, in which days, weeks and months are counted.
    pub tz: String,
    /// Today's date in that zone, `YYYY-MM-DD`.
    pub today: String,
    pub periods: Vec<Period>,
    /// All time, one row per model, most expensive first.
    pub by_model: Vec<Row>,
}

/// Today's date in the ledger's zone.
pub fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// Monday of `d`'s ISO week.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday().into())
}

/// The first of `d`'s month.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists in every month")
}

/// Totals from `since` (inclusive) through `today`, or of everything.
pub fn totals(ledger: &Ledger, tz: Tz, since: Option<NaiveDate>, today: NaiveDate) -> Result<Row> {
    let filter = Filter { since, until: since.map(|_| today), ..Filter::default() };
    Ok(report(ledger, By::Month, &filter, tz)?.totals)
}

/// The dashboard as of `today` (a date in the ledger's zone).
pub fn dashboard(ledger: &Ledger, today: NaiveDate) -> Result<Dashboard> {
    let tz = ledger.tz()?;
    let mut periods = Vec::new();
    for (key, since) in
        [("today", Some(today)), ("week", Some(week_start(today))), ("month", Some(month_start(today))), ("all", None)]
    {
        periods.push(Period { key, since: since.map(|d| d.to_string()), totals: totals(ledger, tz, since, today)? });
    }
    let mut by_model = report(ledger, By::Model, &Filter::default(), tz)?.rows;
    // Costs are exact decimals with the same number of places, so comparing them as
    // (length, text) would work too; parsing keeps the intent plain.
    by_model.sort_by_key(|r| std::cmp::Reverse(nanos(&r.cost_usd)));
    Ok(Dashboard { tz: tz.name().to_string(), today: today.to_string(), periods, by_model })
}

/// This month's spend so far, rounded to cents, and how many events have no price.
pub fn month_spend(ledger: &Ledger) -> Result<(String, i64)> {
    let tz = ledger.tz()?;
    let today = today(tz);
    let row = totals(ledger, tz, Some(month_start(today)), today)?;
    let usd = tokenburn::money::Usd(nanos(&row.cost_usd));
    Ok((usd.round_to(2), row.unpriced_events))
}

fn nanos(decimal: &str) -> i64 {
    tokenburn::money::Usd::parse(decimal).map(|u| u.nanos()).unwrap_or(0)
}

/// How the UI wants charts drawn: its colour scheme and locale, and a size.
#[derive(Debug, Clone, Deserialize)]
pub struct ChartStyle {
    /// `light` or `dark` (the system's `prefers-color-scheme`).
    pub theme: String,
    /// A BCP 47 tag from the webview (`en-US`, `de`); dates on the chart follow it.
    pub locale: String,
    pub width: u32,
    pub height: u32,
}

impl ChartStyle {
    /// Checks every field and turns them into the engine's options.
    pub fn options(&self) -> Result<Options> {
        let theme: Theme = self
            .theme
            .parse()
            .map_err(|_| tokenburn::error::Error::invalid("theme", &self.theme, "expected light or dark"))?;
        let ok_tag = !self.locale.is_empty()
            && self.locale.len() <= 35
            && self.locale.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok_tag {
            return Err(tokenburn::error::Error::invalid(
                "locale",
                &self.locale,
                "is not a locale tag (such as en-US)",
            ));
        }
        // A well-formed tag the chart's date data lacks falls back to en-US dates.
        let locale = DateLocale::parse(&self.locale).unwrap_or_default();
        let (min, max) = (tokenburn::chart::MIN_SIDE, tokenburn::chart::MAX_SIDE);
        if !(min..=max).contains(&self.width) || !(min..=max).contains(&self.height) {
            return Err(tokenburn::chart::ChartError::Size { width: self.width, height: self.height }.into());
        }
        Ok(Options { width: self.width, height: self.height, theme, locale })
    }
}

/// A budget as the Budgets view edits it: the amount as text in its unit.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetView {
    pub name: String,
    pub amount: String,
    pub unit: Unit,
    pub period: &'static str,
    pub start: Option<String>,
    pub end: Option<String>,
    pub fiscal_year_start: u32,
    pub providers: Vec<String>,
    pub models: Vec<String>,
    pub projects: Vec<String>,
    pub thresholds: Vec<u32>,
}

impl From<&Budget> for BudgetView {
    fn from(b: &Budget) -> BudgetView {
        BudgetView {
            name: b.name.clone(),
            amount: b.unit.format(b.amount),
            unit: b.unit,
            period: b.period.as_str(),
            start: b.start.map(|d| d.to_string()),
            end: b.end.map(|d| d.to_string()),
            fiscal_year_start: b.fiscal_year_start,
            providers: b.providers.clone(),
            models: b.models.clone(),
            projects: b.projects.clone(),
            thresholds: b.thresholds.clone(),
        }
    }
}

/// One budget's card: its settings, its current period (None before it starts or after a
/// custom span ends) and its burn chart as an SVG document.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetCard {
    pub budget: BudgetView,
    pub status: Option<Status>,
    pub burn_svg: Option<String>,
}

/// Every budget's card as of `today`, charts drawn with `opts` (None: no charts).
pub fn budget_cards(ledger: &Ledger, today: NaiveDate, opts: Option<&Options>) -> Result<Vec<BudgetCard>> {
    budget_cards_data(ledger, today, opts.is_some())?.render(opts)
}

/// What the budget cards show, read from the ledger but not drawn yet: each budget, its
/// status, and its burn chart's data (with `charts`).
#[derive(Debug, Clone)]
pub struct CardsData {
    cards: Vec<(Budget, Option<Status>, Option<BurnData>)>,
}

/// The budget cards' data as of `today` ([`budget_cards`] without drawing).
pub fn budget_cards_data(ledger: &Ledger, today: NaiveDate, charts: bool) -> Result<CardsData> {
    let tz = ledger.tz()?;
    let budgets = budget::all(ledger.conn())?;
    let statuses = budget::statuses(ledger, &budgets, today, tz)?;
    let mut cards = Vec::with_capacity(budgets.len());
    for (b, status) in budgets.into_iter().zip(statuses) {
        let burn = match charts && status.is_some() {
            true => feed::burn(ledger, &b, today, tz)?,
            false => None,
        };
        cards.push((b, status, burn));
    }
    Ok(CardsData { cards })
}

impl CardsData {
    /// The cards, charts drawn with `opts` (None: no charts).
    pub fn render(self, opts: Option<&Options>) -> Result<Vec<BudgetCard>> {
        let mut out = Vec::with_capacity(self.cards.len());
        for (b, status, burn) in self.cards {
            let burn_svg = match (opts, burn) {
                (Some(o), Some(d)) => Some(render_svg(&Chart::Burn(d), o)?),
                _ => None,
            };
            out.push(BudgetCard { budget: BudgetView::from(&b), status, burn_svg });
        }
        Ok(out)
    }
}

/// Compensation: the ratio's status, the history of pay changes, and the ratio chart.
#[derive(Debug, Clone, Serialize)]
pub struct Compensation {
    pub status: Option<CompStatus>,
    pub history: Vec<Comp>,
    pub ratio_svg: Option<String>,
}

/// The compensation view as of `today` (None chart when no pay is set).
pub fn compensation(ledger: &Ledger, today: NaiveDate, opts: &Options) -> Result<Compensation> {
    compensation_data(ledger, today)?.render(opts)
}

/// What the compensation view shows, read but not drawn yet.
#[derive(Debug, Clone)]
pub struct CompensationData {
    status: Option<CompStatus>,
    history: Vec<Comp>,
    ratio: Option<RatioData>,
}

/// The compensation view's data as of `today` ([`compensation`] without drawing).
pub fn compensation_data(ledger: &Ledger, today: NaiveDate) -> Result<CompensationData> {
    let tz = ledger.tz()?;
    let fy = tokenburn::alerts::fiscal_year_start(ledger.conn())?;
    let status = ratio::status(ledger, today, tz, fy)?;
    let ratio = match status {
        Some(_) => feed::ratio(ledger, today, tz)?,
        None => None,
    };
    Ok(CompensationData { status, history: ratio::history(ledger.conn())?, ratio })
}

impl CompensationData {
    /// The view, its chart drawn with `opts`.
    pub fn render(self, opts: &Options) -> Result<Compensation> {
        let ratio_svg = self.ratio.map(|d| render_svg(&Chart::Ratio(d), opts)).transpose()?;
        Ok(Compensation { status: self.status, history: self.history, ratio_svg })
    }
}

fn render_svg(chart: &Chart, opts: &Options) -> Result<String> {
    Ok(tokenburn::chart::render_svg(chart, opts)?)
}

/// Events with no price, by model, and reconciliation lines whose drift has a cause: what
/// the dashboard warns about.
#[derive(Debug, Clone, Serialize)]
pub struct Warnings {
    pub unpriced: Vec<Unpriced>,
    pub reconcile: Vec<tokenburn::reconcile::Line>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unpriced {
    pub provider: String,
    pub model: String,
    pub events: i64,
}

/// The dashboard's warnings: unpriced models (most events first) and the recent
/// reconciliation lines (`reconcile::recent`) that drift by more than 1% (at most `max` of
/// each).
pub fn warnings(ledger: &Ledger, max: usize) -> Result<Warnings> {
    let mut stmt = ledger.conn().prepare(
        "SELECT provider, model, COUNT(*) FROM events
         WHERE cost_nanos IS NULL AND cost_kind = 'estimated' AND superseded = 0
         GROUP BY provider, model ORDER BY 3 DESC, 2 LIMIT ?1",
    )?;
    let unpriced = stmt
        .query_map([max as i64], |r| Ok(Unpriced { provider: r.get(0)?, model: r.get(1)?, events: r.get(2)? }))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut reconcile = tokenburn::reconcile::recent(ledger, chrono::Utc::now().date_naive())?;
    reconcile.retain(|l| !l.causes.is_empty());
    reconcile.truncate(max);
    Ok(Warnings { unpriced, reconcile })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(); // a Friday
        assert_eq!(week_start(d), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(month_start(d), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(week_start(monday), monday);
    }
}
