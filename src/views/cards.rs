//! The budget cards (settings, status with the run-out forecast, burn chart) and the
//! compensation view (the ratio's status, the pay history, the ratio chart).
//!
//! Each is read in one step and drawn in another ([`CardsData::render`],
//! [`CompensationData::render`]), so the app can read the ledger before it knows the
//! page's chart style and draw once it does. Charts are SVG documents.

use chrono::NaiveDate;
use serde::Serialize;

use crate::budget::{self, Budget, Status, Unit};
use crate::chart::{feed, BurnData, Chart, Options, RatioData};
use crate::error::Result;
use crate::ledger::Ledger;
use crate::ratio::{self, Comp, CompStatus};

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
    pub sources: Vec<String>,
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
            sources: b.sources.clone(),
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
    let fy = crate::alerts::fiscal_year_start(ledger.conn())?;
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
    Ok(crate::chart::render_svg(chart, opts)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Kind;
    use crate::views::testing::{ledger_with, Ev};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn budget(name: &str, usd: &str, start: Option<&str>) -> Budget {
        Budget {
            name: name.into(),
            amount: Unit::Usd.parse_amount(usd).unwrap(),
            unit: Unit::Usd,
            period: Kind::Month,
            start: start.map(d),
            end: None,
            fiscal_year_start: 1,
            providers: vec![],
            models: vec![],
            projects: vec![],
            thresholds: vec![50, 100],
            sources: vec![],
        }
    }

    #[test]
    fn a_card_per_budget_with_its_period_and_chart_and_none_before_it_starts() {
        let (_dir, mut l) = ledger_with(
            chrono_tz::Europe::Berlin,
            &[
                Ev { at: "2026-11-02T10:00:00Z", model: "claude-sonnet-4-20250514", input: 1_000_000, output: 0 },
                Ev { at: "2026-11-20T10:00:00Z", model: "claude-sonnet-4-20250514", input: 1_000_000, output: 0 },
            ],
        );
        l.write(|tx, _| budget::save(tx, &budget("Monthly", "10", None), false)).unwrap();
        l.write(|tx, _| budget::save(tx, &budget("Later", "10", Some("2027-01-01")), false)).unwrap();
        let opts = Options::default();
        let cards = budget_cards(&l, d("2026-11-27"), Some(&opts)).unwrap();
        let names: Vec<&str> = cards.iter().map(|c| c.budget.name.as_str()).collect();
        assert_eq!(names, ["Later", "Monthly"]);
        assert!(cards[0].status.is_none() && cards[0].burn_svg.is_none(), "not started: no period, no chart");
        let s = cards[1].status.as_ref().expect("November is a period of Monthly");
        assert_eq!((s.period_start, s.period_end, s.as_of), (d("2026-11-01"), d("2026-11-30"), d("2026-11-27")));
        assert_eq!(s.spent, "6", "two million input tokens of Sonnet 4 at $3 a million");
        assert_eq!(cards[1].budget.amount, "10");
        assert!(cards[1].burn_svg.as_deref().is_some_and(|svg| svg.starts_with("<svg")), "the burn chart is drawn");
        // Without options: the same cards, no charts.
        let plain = budget_cards(&l, d("2026-11-27"), None).unwrap();
        assert!(plain.iter().all(|c| c.burn_svg.is_none()));
        assert_eq!(plain[1].status.as_ref().unwrap().spent, "6");
    }

    #[test]
    fn compensation_has_a_status_and_a_chart_once_pay_is_set() {
        let (_dir, mut l) = ledger_with(
            chrono_tz::UTC,
            &[Ev { at: "2026-11-02T10:00:00Z", model: "claude-sonnet-4-20250514", input: 1_000_000, output: 0 }],
        );
        let opts = Options::default();
        let none = compensation(&l, d("2026-11-27"), &opts).unwrap();
        assert!(none.status.is_none() && none.history.is_empty() && none.ratio_svg.is_none());
        let pay = Comp {
            from: d("2026-01-01"),
            annual: crate::money::Usd::parse("120000").unwrap(),
            currency: "USD".into(),
            target_ratio: None,
            cap_ratio: None,
        };
        l.write(|tx, _| ratio::set(tx, &pay)).unwrap();
        let c = compensation(&l, d("2026-11-27"), &opts).unwrap();
        assert_eq!(c.status.as_ref().map(|s| s.as_of), Some(d("2026-11-27")));
        assert_eq!(c.history.len(), 1);
        assert!(c.ratio_svg.as_deref().is_some_and(|svg| svg.starts_with("<svg")), "the ratio chart is drawn");
    }
}
