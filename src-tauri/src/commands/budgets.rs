//! Budgets and compensation: the cards (status, run-out forecast, burn chart), create,
//! edit and delete (as `tokenburn budget add/edit/rm`), and pay (as `tokenburn comp set`)
//! with the ratio chart.

use chrono::NaiveDate;
use serde::Deserialize;
use tauri::{AppHandle, Runtime, State};
use tokenburn::budget::{self, Budget, Unit};
use tokenburn::ledger::Ledger;
use tokenburn::money::Usd;
use tokenburn::period::Kind;
use tokenburn::ratio::{self, Comp};
use tokenburn::views::cards::{self, BudgetCard, Compensation};
use tokenburn::views::style::ChartStyle;
use tokenburn::views::today;

use super::input::{invalid, list, opt_date, text};
use crate::error::ApiResult;
use crate::state::AppState;

/// A budget as the form sends it; every field is checked by [`BudgetInput::to_budget`].
#[derive(Debug, Clone, Deserialize)]
pub struct BudgetInput {
    pub name: String,
    pub amount: String,
    pub unit: String,
    pub period: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub fiscal_year_start: Option<u32>,
    #[serde(default)]
    pub providers: Vec<String>,
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(default)]
    pub projects: Vec<String>,
    /// Source names (gemini-cli, copilot-cli, claude-code, ...); empty = all.
    #[serde(default)]
    pub sources: Vec<String>,
    /// "50,75,90,100"; blank is the default set.
    #[serde(default)]
    pub thresholds: String,
}

impl BudgetInput {
    /// The budget, or what is wrong with the form (`fy` is the ledger's fiscal-year start,
    /// the default for quarters and years; `thresholds` the default set from Settings).
    pub fn to_budget(&self, fy: u32, default_thresholds: &[u32]) -> ApiResult<Budget> {
        let unit: Unit = self.unit.parse().map_err(|e| invalid(format!("unit: {e}")))?;
        let period: Kind = self.period.parse().map_err(|e| invalid(format!("period: {e}")))?;
        let amount = text("amount", &self.amount, true)?;
        let fiscal_year_start = self.fiscal_year_start.unwrap_or(fy);
        if !(1..=12).contains(&fiscal_year_start) {
            return Err(invalid(format!("fiscal year start: {fiscal_year_start} is not a month (1-12)")));
        }
        if self.thresholds.len() > 200 {
            return Err(invalid("thresholds: too long"));
        }
        let thresholds = match self.thresholds.trim() {
            "" => default_thresholds.to_vec(),
            t => budget::parse_thresholds(t)?,
        };
        let b = Budget {
            name: text("name", &self.name, true)?,
            amount: unit.parse_amount(&amount)?,
            unit,
            period,
            start: opt_date("start", &self.start)?,
            end: opt_date("end", &self.end)?,
            fiscal_year_start,
            providers: list("providers", &self.providers)?,
            models: list("models", &self.models)?,
            projects: list("projects", &self.projects)?,
            thresholds,
            sources: list("sources", &self.sources)?,
        };
        b.validate()?;
        Ok(b)
    }
}

/// Every budget's card as of today, with its burn chart drawn in `style`.
#[tauri::command]
pub async fn budgets(state: State<'_, AppState>, style: ChartStyle) -> ApiResult<Vec<BudgetCard>> {
    crate::timing::mark("budget cards asked");
    let opts = style.options()?;
    let drawn = opts.clone();
    let out = match state.prefetched(|r| r.cards.take(), move |c| Ok(c.render(Some(&drawn))?)).await {
        Some(cards) => cards,
        None => state.with_ledger(move |l| Ok(cards::budget_cards(l, today(l.tz()?), Some(&opts))?)).await,
    };
    state.log_ready("budget cards");
    out
}

/// Creates a budget (`replace` false) or replaces the one of the same name.
#[tauri::command]
pub async fn save_budget<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    budget: BudgetInput,
    replace: bool,
) -> ApiResult<String> {
    let name = state.with_ledger(move |l| save(l, &budget, replace)).await?;
    crate::ledger_changed(&app);
    Ok(name)
}

/// Checks the form against the ledger's defaults and stores the budget; returns its name.
fn save(l: &mut Ledger, input: &BudgetInput, replace: bool) -> ApiResult<String> {
    let fy = tokenburn::alerts::fiscal_year_start(l.conn())?;
    let b = input.to_budget(fy, &tokenburn::config::default_thresholds(l)?)?;
    l.write(|tx, _| budget::save(tx, &b, replace))?;
    Ok(b.name)
}

/// Deletes a budget and its alert history.
#[tauri::command]
pub async fn remove_budget<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>, name: String) -> ApiResult<()> {
    let name = text("name", &name, true)?;
    state
        .with_ledger(move |l| match l.write(|tx, _| budget::remove(tx, &name))? {
            true => Ok(()),
            false => Err(invalid(format!("no budget named {name:?}"))),
        })
        .await?;
    crate::ledger_changed(&app);
    Ok(())
}

/// Pay, as the form sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct CompInput {
    /// US dollars a year, as decimal text.
    pub annual: String,
    pub target_ratio: Option<String>,
    pub cap_ratio: Option<String>,
    /// First day it applies; blank is today.
    pub from: Option<String>,
}

impl CompInput {
    /// The pay from the form's first day (`today` when blank), or what is wrong with the form.
    pub fn to_comp(&self, today: NaiveDate) -> ApiResult<Comp> {
        let annual_text = text("annual pay", &self.annual, true)?;
        let annual = Usd::parse(&annual_text).map_err(|e| invalid(format!("annual pay {annual_text:?}: {e}")))?;
        let ratio_field = |f: &str, v: &Option<String>| super::input::opt_text(f, v);
        let (target_ratio, cap_ratio) =
            (ratio_field("target ratio", &self.target_ratio)?, ratio_field("cap ratio", &self.cap_ratio)?);
        let from = opt_date("from", &self.from)?.unwrap_or(today);
        Ok(Comp { from, annual, currency: "USD".into(), target_ratio, cap_ratio })
    }
}

/// The compensation ratio, pay history and ratio chart.
#[tauri::command]
pub async fn compensation(state: State<'_, AppState>, style: ChartStyle) -> ApiResult<Compensation> {
    crate::timing::mark("compensation asked");
    let opts = style.options()?;
    let drawn = opts.clone();
    let out = match state.prefetched(|r| r.compensation.take(), move |c| Ok(c.render(&drawn)?)).await {
        Some(comp) => comp,
        None => state.with_ledger(move |l| Ok(cards::compensation(l, today(l.tz()?), &opts)?)).await,
    };
    state.log_ready("compensation");
    out
}

/// Records pay from a day on (a history: earlier entries keep their days).
#[tauri::command]
pub async fn set_compensation<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    comp: CompInput,
) -> ApiResult<()> {
    state
        .with_ledger(move |l| {
            let c = comp.to_comp(today(l.tz()?))?;
            Ok(l.write(|tx, _| ratio::set(tx, &c))?)
        })
        .await?;
    crate::ledger_changed(&app);
    Ok(())
}
