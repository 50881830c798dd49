//! The budgets at a glance, for the tray: the worst status (ok / warning / over), one line
//! per budget, a tooltip such as "Q4 API budget 63% - runs out ~Dec 12 (Dec 5-Dec 20)", and
//! the month's spend line ("This month: $12.34").
//!
//! Computed from one [`alerts::evaluate`](crate::alerts::evaluate) (the same
//! pass that fires notifications), so the tray and the notifications never disagree: a
//! budget is `warning` exactly while one of its alert conditions holds (a threshold reached,
//! or the forecast says it runs out before its period ends), `over` at 100% or more.

use crate::alerts::Evaluation;
use crate::budget::Status;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// A budget's status, worst last (so `max` is the worst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Over,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Over => "over",
        }
    }
}

/// One budget's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetLine {
    pub name: String,
    pub level: Level,
    /// Whole percent used (rounded down), e.g. 63.
    pub percent: i64,
    /// "Q4 API budget 63% - runs out ~Dec 12 (Dec 5-Dec 20)".
    pub text: String,
}

/// What the tray shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Glance {
    /// The worst budget's level (`ok` without budgets).
    pub level: Level,
    /// One line per budget in its current period, by name.
    pub budgets: Vec<BudgetLine>,
    /// The budgets' lines, worst first, one per line; None without budgets.
    pub tooltip: Option<String>,
}

/// "Dec 12", with the year when it is not `today`'s.
fn short(d: NaiveDate, today: NaiveDate) -> String {
    if d.year() == today.year() {
        d.format("%b %-d").to_string()
    } else {
        d.format("%b %-d %Y").to_string()
    }
}

fn line(s: &Status, warned: bool) -> BudgetLine {
    // spent * 100 / amount, exactly (amounts are integers: nano-dollars or tokens).
    let percent = (s.spent_raw as i128 * 100 / s.amount_raw.max(1) as i128) as i64;
    let level = if s.spent_raw >= s.amount_raw {
        Level::Over
    } else if warned {
        Level::Warning
    } else {
        Level::Ok
    };
    let f = &s.forecast;
    let tail = match (level, f.p50) {
        (Level::Over, _) => "over budget".to_string(),
        (_, Some(p50)) if f.p50_in_period => {
            let range = match (f.p10, f.p90) {
                (Some(a), Some(b)) => format!(" ({}-{})", short(a, s.as_of), short(b, s.as_of)),
                _ => String::new(),
            };
            format!("runs out ~{}{range}", short(p50, s.as_of))
        }
        _ => format!("lasts to {}", short(s.period_end, s.as_of)),
    };
    BudgetLine { name: s.name.clone(), level, percent, text: format!("{} budget {percent}% - {tail}", s.name) }
}

/// The glance of an evaluation's budget statuses and the alert conditions that hold.
pub fn glance(ev: &Evaluation) -> Glance {
    let holds = |name: &str| {
        let subject = format!("budget:{name}");
        ev.new.iter().chain(&ev.standing).any(|a| a.subject == subject)
    };
    let mut budgets: Vec<BudgetLine> = ev.statuses.iter().map(|s| line(s, holds(&s.name))).collect();
    budgets.sort_by(|a, b| a.name.cmp(&b.name));
    let level = budgets.iter().map(|b| b.level).max().unwrap_or(Level::Ok);
    let mut worst: Vec<&BudgetLine> = budgets.iter().collect();
    worst.sort_by(|a, b| (b.level, b.percent).cmp(&(a.level, a.percent)).then_with(|| a.name.cmp(&b.name)));
    let tooltip = (!worst.is_empty()).then(|| worst.iter().map(|b| b.text.as_str()).collect::<Vec<_>>().join("\n"));
    Glance { level, budgets, tooltip }
}

/// "This month: $12.34" (+ how many events have no price), from
/// [`month_spend`](crate::views::dashboard::month_spend).
pub fn month_text((usd, unpriced): &(String, i64)) -> String {
    match unpriced {
        0 => format!("This month: ${usd}"),
        n => format!("This month: ${usd} + {n} unpriced"),
    }
}

/// What the tray shows when the ledger cannot be read (`code` is the error's): no budgets,
/// and the reason in place of the month's line.
pub fn unavailable(code: &str) -> (Glance, String) {
    let text = format!("Ledger unavailable ({code})");
    let glance = Glance { level: Level::Ok, budgets: Vec::new(), tooltip: Some(format!("Tokenburn: {text}")) };
    (glance, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Outlook, Unit};
    use crate::forecast::Basis;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn status(name: &str, spent: i64, amount: i64, p: [Option<&str>; 3]) -> Status {
        let inside = |x: Option<&str>| x.is_some_and(|x| d(x) <= d("2026-12-31"));
        let forecast = Outlook {
            p10: p[0].map(d),
            p50: p[1].map(d),
            p90: p[2].map(d),
            p10_in_period: inside(p[0]),
            p50_in_period: inside(p[1]),
            p90_in_period: inside(p[2]),
            p_exceed: 0.5,
            projected_p10: String::new(),
            projected_p50: String::new(),
            projected_p90: String::new(),
            early_estimate: false,
            basis: Basis::BlockBootstrap,
        };
        Status {
            name: name.into(),
            sources: vec![],
            unit: Unit::Usd,
            period_start: d("2026-10-01"),
            period_end: d("2026-12-31"),
            as_of: d("2026-11-27"),
            budget: String::new(),
            spent: String::new(),
            share_used: 0.0,
            remaining: String::new(),
            burn_per_day_7d: String::new(),
            burn_per_day_ptd: String::new(),
            forecast,
            spent_raw: spent,
            amount_raw: amount,
            daily: vec![],
            detail: None,
        }
    }

    fn alert(subject: &str) -> crate::alerts::Alert {
        crate::alerts::Alert {
            subject: subject.into(),
            period: String::new(),
            kind: "threshold".into(),
            level: 50,
            message: String::new(),
            fired_at: None,
        }
    }

    #[test]
    fn lines_levels_and_the_tooltip_worst_first() {
        let ev = Evaluation {
            statuses: vec![
                status("Q4 API", 633, 1000, [Some("2026-12-05"), Some("2026-12-12"), Some("2026-12-20")]),
                status("Chat", 100, 1000, [None, None, None]),
                status("Agents", 1000, 1000, [None, None, None]),
            ],
            standing: vec![alert("budget:Q4 API")],
            ..Evaluation::default()
        };
        let g = glance(&ev);
        assert_eq!(g.level, Level::Over);
        let names: Vec<&str> = g.budgets.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["Agents", "Chat", "Q4 API"]);
        assert_eq!(g.budgets[2].text, "Q4 API budget 63% - runs out ~Dec 12 (Dec 5-Dec 20)");
        assert_eq!(g.budgets[2].level, Level::Warning);
        assert_eq!(g.budgets[1].text, "Chat budget 10% - lasts to Dec 31");
        assert_eq!(g.budgets[1].level, Level::Ok);
        assert_eq!(g.budgets[0].text, "Agents budget 100% - over budget");
        assert_eq!(
            g.tooltip.as_deref(),
            Some(
                "Agents budget 100% - over budget\nQ4 API budget 63% - runs out ~Dec 12 (Dec 5-Dec 20)\nChat budget 10% - lasts to Dec 31"
            )
        );
    }

    #[test]
    fn no_budgets_is_ok_without_a_tooltip() {
        let g = glance(&Evaluation::default());
        assert_eq!((g.level, g.budgets.len(), g.tooltip), (Level::Ok, 0, None));
    }

    #[test]
    fn dates_in_another_year_say_which() {
        let mut s = status("Long", 1, 1000, [None; 3]);
        s.period_end = d("2027-12-31");
        assert_eq!(
            glance(&Evaluation { statuses: vec![s], ..Evaluation::default() }).budgets[0].text,
            "Long budget 0% - lasts to Dec 31 2027"
        );
    }

    #[test]
    fn percent_rounds_down_exactly() {
        let ev = Evaluation { statuses: vec![status("B", 4_194_000, 8_000_000, [None; 3])], ..Evaluation::default() };
        assert_eq!(glance(&ev).budgets[0].percent, 52);
    }
    #[test]
    fn the_month_line_says_what_is_unpriced() {
        assert_eq!(month_text(&("12.34".into(), 0)), "This month: $12.34");
        assert_eq!(month_text(&("0.00".into(), 3)), "This month: $0.00 + 3 unpriced");
        let (g, text) = unavailable("ledger_busy");
        assert_eq!(text, "Ledger unavailable (ledger_busy)");
        assert_eq!((g.level, g.tooltip.as_deref()), (Level::Ok, Some("Tokenburn: Ledger unavailable (ledger_busy)")));
    }
}
