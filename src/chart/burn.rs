//! `burn`: a budget's current period: cumulative spend against the budget line, the
//! forecast fan (P10 to P90 shaded, P50 dashed) to run-out or period end, the alert
//! thresholds, today, and the P50 run-out date.
//!
//! Cumulative amounts are plotted at the middle of their day (the chart's day ticks sit
//! there too), starting from zero at the period's first instant.

use chrono::NaiveDate;

use super::axis::{dn, Scale};
use super::canvas::{Canvas, Surface};
use super::daily::usd_f;
use super::format::{self, usd_full, Measure};
use super::frame::{Frame, LegendItem, Marker, RightLabel, Spec, Swatch};
use super::{Result, Unit};
use crate::money::{div_round_half_even, Usd};

/// A forecast of cumulative spend through one day: its 10th, 50th and 90th percentiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanPoint {
    pub date: NaiveDate,
    pub p10: i64,
    pub p50: i64,
    pub p90: i64,
}

/// A budget's current period and its forecast. Amounts are in `unit`'s base: nano-dollars
/// ([`Usd`]'s `i64`) or tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnData {
    /// The budget's name (in the title).
    pub name: String,
    pub unit: Unit,
    pub period_start: NaiveDate,
    /// The period's last day (inclusive).
    pub period_end: NaiveDate,
    pub today: NaiveDate,
    /// The budget for the whole period.
    pub budget: i64,
    /// Cumulative spend through each day since `period_start`, by date.
    pub cumulative: Vec<(NaiveDate, i64)>,
    /// The forecast after today, by date. It may run past `period_end` (to the run-out).
    pub fan: Vec<FanPoint>,
    /// Alert thresholds, in percent of the budget.
    pub thresholds: Vec<u8>,
    /// The day cumulative spend reaches the budget at P50, if the forecast sees it.
    pub p50_runout: Option<NaiveDate>,
}

pub(crate) fn amount_f(unit: Unit, v: i64) -> f64 {
    match unit {
        Unit::Usd => usd_f(v),
        Unit::Tokens => v as f64,
    }
}

fn amount_label(unit: Unit, v: i64) -> String {
    match unit {
        Unit::Usd => usd_full(Usd(v)),
        Unit::Tokens => format!("{} tokens", format::group(v as i128)),
    }
}

fn exact(unit: Unit, v: i64) -> String {
    match unit {
        Unit::Usd => Usd(v).to_string(),
        Unit::Tokens => v.to_string(),
    }
}

impl BurnData {
    pub(crate) fn title(&self) -> String {
        format!("Budget: {}", self.name)
    }

    pub(crate) fn draw<B: Surface>(&self, c: &mut Canvas<B>) -> Result<()> {
        let pal = c.pal.clone();
        let u = c.u;
        let unit = self.unit;
        let af = |v: i64| amount_f(unit, v);
        let mid = |d: NaiveDate| dn(d) + 0.5;

        let mut cum: Vec<(NaiveDate, i64)> =
            self.cumulative.iter().copied().filter(|&(d, _)| d >= self.period_start).collect();
        cum.sort_by_key(|p| p.0);
        let mut fan: Vec<FanPoint> = self.fan.clone();
        fan.sort_by_key(|p| p.date);
        let spent = cum.last().map(|p| p.1).unwrap_or(0);
        let last_actual = cum.last().map(|p| p.0);

        let start = dn(self.period_start);
        let end = dn(self.period_end) + 1.0;
        let period_days = (end - start).max(1.0);
        let fan_end = fan.last().map(|p| dn(p.date) + 1.0).unwrap_or(end);
        let runout_x = self.p50_runout.map(|r| dn(r) + 1.0);
        let runout_on_chart = runout_x.filter(|&r| r <= end.max(fan_end) + period_days);
        let x_max =
            end.max(fan_end).max(runout_on_chart.unwrap_or(end)).max(last_actual.map(|d| dn(d) + 1.0).unwrap_or(end));
        let ymax = [self.budget, spent, fan.iter().map(|p| p.p90.max(p.p50).max(p.p10)).max().unwrap_or(0)]
            .into_iter()
            .max()
            .unwrap_or(0)
            .max(0);
        let reached = cum.iter().find(|p| self.budget > 0 && p.1 >= self.budget).map(|p| p.0);

        let mut facts = Vec::new();
        let pct = |v: i64| {
            if self.budget > 0 {
                Some(div_round_half_even(v as i128 * 100, self.budget as i128))
            } else {
                None
            }
        };
        match (reached, pct(spent)) {
            (Some(r), Some(p)) => facts.push(format!(
                "Over budget by {} since {} ({p}%)",
                amount_label(unit, spent - self.budget),
                c.loc.date(r)
            )),
            (_, Some(p)) => {
                facts.push(format!("Spent {} of {} ({p}%)", amount_label(unit, spent), amount_label(unit, self.budget)))
            }
            (_, None) => facts.push(format!("Spent {}", amount_label(unit, spent))),
        }
        if reached.is_none() {
            match (self.p50_runout, runout_on_chart) {
                (Some(r), Some(_)) => facts.push(format!("P50 run-out {}", c.loc.date(r))),
                (Some(r), None) => facts.push(format!("P50 run-out {} (off the chart)", c.loc.date(r))),
                (None, _) if !fan.is_empty() => {
                    let through = fan.last().map(|p| p.date).unwrap_or(self.period_end);
                    facts.push(format!("P50 stays under budget through {}", c.loc.date(through)))
                }
                _ => {}
            }
        }
        facts.push(format!("period {} to {}", c.loc.date(self.period_start), c.loc.date(self.period_end)));

        let mut legend =
            vec![LegendItem { label: "Spend".into(), color: pal.primary, swatch: Swatch::Line, id: "spend".into() }];
        if !fan.is_empty() {
            legend.push(LegendItem {
                label: "Forecast P50".into(),
                color: pal.primary,
                swatch: Swatch::Dashed,
                id: "p50".into(),
            });
            legend.push(LegendItem {
                label: "P10–P90".into(),
                color: pal.primary.alpha(0.25),
                swatch: Swatch::Band,
                id: "fan".into(),
            });
        }
        legend.push(LegendItem { label: "Budget".into(), color: pal.alert, swatch: Swatch::Line, id: "budget".into() });
        let mut thresholds: Vec<u8> = self.thresholds.iter().copied().filter(|&t| t > 0 && t < 100).collect();
        thresholds.sort_unstable();
        thresholds.dedup();
        if !thresholds.is_empty() && self.budget > 0 {
            legend.push(LegendItem {
                label: "Alert thresholds".into(),
                color: pal.muted,
                swatch: Swatch::Dashed,
                id: "thresholds".into(),
            });
        }

        let mut right = vec![RightLabel {
            value: af(self.budget),
            text: format!("Budget {}", short(unit, self.budget)),
            color: pal.alert,
        }];
        for &t in &thresholds {
            if self.budget > 0 {
                right.push(RightLabel {
                    value: af(self.budget) * t as f64 / 100.0,
                    text: format!("{t}%"),
                    color: pal.muted,
                });
            }
        }
        let mut markers = Vec::new();
        if mid(self.today) >= start && mid(self.today) <= x_max {
            markers.push(Marker {
                x: mid(self.today),
                text: "Today".into(),
                color: pal.fg,
                class: "tb-today",
                date: self.today,
            });
        }
        if let (Some(r), Some(_), None) = (self.p50_runout, runout_on_chart, reached) {
            markers.push(Marker {
                x: mid(r),
                text: format!("P50 run-out {}", c.loc.day_month(r)),
                color: pal.alert,
                class: "tb-runout",
                date: r,
            });
        }
        if x_max > end + 0.5 {
            markers.push(Marker {
                x: end,
                text: "Period end".into(),
                color: pal.muted,
                class: "tb-period-end",
                date: self.period_end,
            });
        }

        let spec = Spec {
            title: self.title(),
            facts,
            legend,
            x: (start, x_max),
            x_title: String::new(),
            weeks_centered: false,
            y_scale: Scale::Linear,
            y: (0.0, af(ymax)),
            measure: if unit == Unit::Usd { Measure::Usd } else { Measure::Tokens },
            y_title: match unit {
                Unit::Usd => "Cumulative spend (USD)".into(),
                Unit::Tokens => "Cumulative tokens".into(),
            },
            right,
            markers,
        };
        let f = Frame::layout(c, spec);
        f.draw_back(c)?;

        if x_max > end + 0.5 {
            c.group("tb-after-period", &[]);
            c.rect(f.xp(end), f.top, f.xp(x_max), f.bottom, pal.shade)?;
            c.end();
        }

        if !fan.is_empty() {
            // The fan starts from today's actual spend, so the band grows out of the line.
            let mut pts = fan.clone();
            if let Some((d, v)) = cum.last().copied() {
                if pts[0].date > d {
                    pts.insert(0, FanPoint { date: d, p10: v, p50: v, p90: v });
                }
            }
            let upper: Vec<(f64, f64)> = pts.iter().map(|p| (f.xp(mid(p.date)), f.yp(af(p.p90)))).collect();
            let lower: Vec<(f64, f64)> = pts.iter().rev().map(|p| (f.xp(mid(p.date)), f.yp(af(p.p10)))).collect();
            let last = fan.last().expect("non-empty");
            c.group(
                "tb-fan",
                &[
                    ("data-from", fan[0].date.to_string()),
                    ("data-to", last.date.to_string()),
                    ("data-p10-end", exact(unit, last.p10)),
                    ("data-p50-end", exact(unit, last.p50)),
                    ("data-p90-end", exact(unit, last.p90)),
                ],
            );
            let band: Vec<(f64, f64)> = upper.iter().chain(lower.iter()).copied().collect();
            c.polygon(&band, pal.primary.alpha(0.22))?;
            c.end();
            c.group("tb-series tb-p50", &[("data-series", "p50".into())]);
            let p50: Vec<(f64, f64)> = pts.iter().map(|p| (f.xp(mid(p.date)), f.yp(af(p.p50)))).collect();
            c.dashed(&p50, pal.primary, 2.0 * u, 7.0 * u, 4.0 * u)?;
            c.end();
        }

        if self.budget > 0 {
            for &t in &thresholds {
                let v = div_round_half_even(self.budget as i128 * t as i128, 100) as i64;
                let y = f.yp(af(v));
                c.group("tb-threshold", &[("data-percent", t.to_string()), ("data-value", exact(unit, v))]);
                c.dashed(&[(f.left, y), (f.right, y)], pal.muted, u, 2.0 * u, 4.0 * u)?;
                c.end();
            }
        }
        let by = f.yp(af(self.budget));
        c.group("tb-budget", &[("data-value", exact(unit, self.budget))]);
        c.line(&[(f.left, by), (f.right, by)], pal.alert, 2.0 * u)?;
        c.end();

        if !cum.is_empty() {
            let mut pts = vec![(f.xp(start), f.yp(0.0))];
            pts.extend(cum.iter().map(|&(d, v)| (f.xp(mid(d)), f.yp(af(v)))));
            c.group("tb-series tb-line", &[("data-series", "spend".into()), ("data-spent", exact(unit, spent))]);
            c.line(&pts, pal.primary, 2.5 * u)?;
            c.end();
        }
        if let Some(r) = reached {
            let v = cum.iter().find(|p| p.0 == r).map(|p| p.1).unwrap_or(self.budget);
            c.group("tb-reached", &[("data-date", r.to_string())]);
            c.circle(f.xp(mid(r)), f.yp(af(v)), 4.5 * u, pal.alert)?;
            c.end();
        } else if let (Some(r), Some(_)) = (self.p50_runout, runout_on_chart) {
            c.group("tb-runout-point", &[("data-date", r.to_string())]);
            c.circle(f.xp(mid(r)), by, 4.5 * u, pal.alert)?;
            c.end();
        }
        if cum.is_empty() && fan.is_empty() {
            f.draw_front(c)?;
            return f.message(c, &format!("No spend since {}", c.loc.date(self.period_start)));
        }
        f.draw_front(c)
    }
}

fn short(unit: Unit, v: i64) -> String {
    match unit {
        Unit::Usd => usd_full(Usd(v)),
        Unit::Tokens => format::tokens_compact(v),
    }
}
