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
use super::format::{self, usd_full, DateLocale, Measure};
use super::frame::{Frame, LegendItem, Marker, RightLabel, Spec, Swatch};
use super::theme::Palette;
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
        let p = self.plan();
        let f = Frame::layout(c, self.spec(&p, &c.pal, &c.loc));
        f.draw_back(c)?;
        if p.x_max > p.end + 0.5 {
            let shade = c.pal.shade;
            c.group("tb-after-period", &[]);
            c.rect(f.xp(p.end), f.top, f.xp(p.x_max), f.bottom, shade)?;
            c.end();
        }
        self.draw_fan(c, &f, &p)?;
        self.draw_budget_lines(c, &f, &p)?;
        self.draw_spend(c, &f, &p)?;
        if p.cum.is_empty() && p.fan.is_empty() {
            f.draw_front(c)?;
            return f.message(c, &format!("No spend since {}", c.loc.date(self.period_start)));
        }
        f.draw_front(c)
    }

    /// The data in order and the chart's extents.
    fn plan(&self) -> Plan {
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
        let mut thresholds: Vec<u8> = self.thresholds.iter().copied().filter(|&t| t > 0 && t < 100).collect();
        thresholds.sort_unstable();
        thresholds.dedup();
        Plan { cum, fan, spent, start, end, x_max, ymax, reached, runout_on_chart, thresholds }
    }

    /// The P50 run-out to mark on the chart: when the budget is not reached yet and the
    /// run-out falls on the chart.
    fn runout_marked(&self, p: &Plan) -> Option<NaiveDate> {
        match (self.p50_runout, p.runout_on_chart, p.reached) {
            (Some(r), Some(_), None) => Some(r),
            _ => None,
        }
    }

    fn spec(&self, p: &Plan, pal: &Palette, loc: &DateLocale) -> Spec {
        let unit = self.unit;
        Spec {
            title: self.title(),
            facts: self.facts(p, loc),
            legend: self.legend(p, pal),
            x: (p.start, p.x_max),
            x_title: String::new(),
            weeks_centered: false,
            y_scale: Scale::Linear,
            y: (0.0, amount_f(unit, p.ymax)),
            measure: if unit == Unit::Usd { Measure::Usd } else { Measure::Tokens },
            y_title: match unit {
                Unit::Usd => "Cumulative spend (USD)".into(),
                Unit::Tokens => "Cumulative tokens".into(),
            },
            right: self.right_labels(p, pal),
            markers: self.markers(p, pal, loc),
        }
    }

    fn facts(&self, p: &Plan, loc: &DateLocale) -> Vec<String> {
        let unit = self.unit;
        let mut facts = Vec::new();
        let pct = |v: i64| {
            if self.budget > 0 {
                Some(div_round_half_even(v as i128 * 100, self.budget as i128))
            } else {
                None
            }
        };
        match (p.reached, pct(p.spent)) {
            (Some(r), Some(pc)) => facts.push(format!(
                "Over budget by {} since {} ({pc}%)",
                amount_label(unit, p.spent - self.budget),
                loc.date(r)
            )),
            (_, Some(pc)) => facts.push(format!(
                "Spent {} of {} ({pc}%)",
                amount_label(unit, p.spent),
                amount_label(unit, self.budget)
            )),
            (_, None) => facts.push(format!("Spent {}", amount_label(unit, p.spent))),
        }
        if p.reached.is_none() {
            match (self.p50_runout, p.runout_on_chart) {
                (Some(r), Some(_)) => facts.push(format!("P50 run-out {}", loc.date(r))),
                (Some(r), None) => facts.push(format!("P50 run-out {} (off the chart)", loc.date(r))),
                (None, _) if !p.fan.is_empty() => {
                    let through = p.fan.last().map(|p| p.date).unwrap_or(self.period_end);
                    facts.push(format!("P50 stays under budget through {}", loc.date(through)))
                }
                _ => {}
            }
        }
        facts.push(format!("period {} to {}", loc.date(self.period_start), loc.date(self.period_end)));
        facts
    }

    fn legend(&self, p: &Plan, pal: &Palette) -> Vec<LegendItem> {
        let mut legend =
            vec![LegendItem { label: "Spend".into(), color: pal.primary, swatch: Swatch::Line, id: "spend".into() }];
        if !p.fan.is_empty() {
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
        if !p.thresholds.is_empty() && self.budget > 0 {
            legend.push(LegendItem {
                label: "Alert thresholds".into(),
                color: pal.muted,
                swatch: Swatch::Dashed,
                id: "thresholds".into(),
            });
        }
        legend
    }

    fn right_labels(&self, p: &Plan, pal: &Palette) -> Vec<RightLabel> {
        let unit = self.unit;
        let mut right = vec![RightLabel {
            value: amount_f(unit, self.budget),
            text: format!("Budget {}", short(unit, self.budget)),
            color: pal.alert,
        }];
        for &t in &p.thresholds {
            if self.budget > 0 {
                right.push(RightLabel {
                    value: amount_f(unit, self.budget) * t as f64 / 100.0,
                    text: format!("{t}%"),
                    color: pal.muted,
                });
            }
        }
        right
    }

    fn markers(&self, p: &Plan, pal: &Palette, loc: &DateLocale) -> Vec<Marker> {
        let mut markers = Vec::new();
        if mid(self.today) >= p.start && mid(self.today) <= p.x_max {
            markers.push(Marker {
                x: mid(self.today),
                text: "Today".into(),
                color: pal.fg,
                class: "tb-today",
                date: self.today,
            });
        }
        if let Some(r) = self.runout_marked(p) {
            markers.push(Marker {
                x: mid(r),
                text: format!("P50 run-out {}", loc.day_month(r)),
                color: pal.alert,
                class: "tb-runout",
                date: r,
            });
        }
        if p.x_max > p.end + 0.5 {
            markers.push(Marker {
                x: p.end,
                text: "Period end".into(),
                color: pal.muted,
                class: "tb-period-end",
                date: self.period_end,
            });
        }
        markers
    }

    /// The P10 to P90 band and the dashed P50.
    fn draw_fan<B: Surface>(&self, c: &mut Canvas<B>, f: &Frame, p: &Plan) -> Result<()> {
        let Some(last) = p.fan.last() else { return Ok(()) };
        let (unit, u, primary) = (self.unit, c.u, c.pal.primary);
        let at = |d: NaiveDate, v: i64| (f.xp(mid(d)), f.yp(amount_f(unit, v)));
        // The fan starts from today's actual spend, so the band grows out of the line.
        let mut pts = p.fan.clone();
        if let Some((d, v)) = p.cum.last().copied() {
            if pts[0].date > d {
                pts.insert(0, FanPoint { date: d, p10: v, p50: v, p90: v });
            }
        }
        let upper: Vec<(f64, f64)> = pts.iter().map(|q| at(q.date, q.p90)).collect();
        let lower: Vec<(f64, f64)> = pts.iter().rev().map(|q| at(q.date, q.p10)).collect();
        c.group(
            "tb-fan",
            &[
                ("data-from", p.fan[0].date.to_string()),
                ("data-to", last.date.to_string()),
                ("data-p10-end", exact(unit, last.p10)),
                ("data-p50-end", exact(unit, last.p50)),
                ("data-p90-end", exact(unit, last.p90)),
            ],
        );
        let band: Vec<(f64, f64)> = upper.iter().chain(lower.iter()).copied().collect();
        c.polygon(&band, primary.alpha(0.22))?;
        c.end();
        c.group("tb-series tb-p50", &[("data-series", "p50".into())]);
        let p50: Vec<(f64, f64)> = pts.iter().map(|q| at(q.date, q.p50)).collect();
        c.dashed(&p50, primary, 2.0 * u, 7.0 * u, 4.0 * u)?;
        c.end();
        Ok(())
    }

    /// The alert thresholds' dashed lines and the budget line.
    fn draw_budget_lines<B: Surface>(&self, c: &mut Canvas<B>, f: &Frame, p: &Plan) -> Result<()> {
        let (unit, u) = (self.unit, c.u);
        let (muted, alert) = (c.pal.muted, c.pal.alert);
        if self.budget > 0 {
            for &t in &p.thresholds {
                let v = div_round_half_even(self.budget as i128 * t as i128, 100) as i64;
                let y = f.yp(amount_f(unit, v));
                c.group("tb-threshold", &[("data-percent", t.to_string()), ("data-value", exact(unit, v))]);
                c.dashed(&[(f.left, y), (f.right, y)], muted, u, 2.0 * u, 4.0 * u)?;
                c.end();
            }
        }
        let by = f.yp(amount_f(unit, self.budget));
        c.group("tb-budget", &[("data-value", exact(unit, self.budget))]);
        c.line(&[(f.left, by), (f.right, by)], alert, 2.0 * u)?;
        c.end();
        Ok(())
    }

    /// The spend line, and the point where it reached the budget or where P50 runs out.
    fn draw_spend<B: Surface>(&self, c: &mut Canvas<B>, f: &Frame, p: &Plan) -> Result<()> {
        let (unit, u) = (self.unit, c.u);
        let (primary, alert) = (c.pal.primary, c.pal.alert);
        if !p.cum.is_empty() {
            let mut pts = vec![(f.xp(p.start), f.yp(0.0))];
            pts.extend(p.cum.iter().map(|&(d, v)| (f.xp(mid(d)), f.yp(amount_f(unit, v)))));
            c.group("tb-series tb-line", &[("data-series", "spend".into()), ("data-spent", exact(unit, p.spent))]);
            c.line(&pts, primary, 2.5 * u)?;
            c.end();
        }
        if let Some(r) = p.reached {
            let v = p.cum.iter().find(|q| q.0 == r).map(|q| q.1).unwrap_or(self.budget);
            c.group("tb-reached", &[("data-date", r.to_string())]);
            c.circle(f.xp(mid(r)), f.yp(amount_f(unit, v)), 4.5 * u, alert)?;
            c.end();
        } else if let Some(r) = self.runout_marked(p) {
            c.group("tb-runout-point", &[("data-date", r.to_string())]);
            c.circle(f.xp(mid(r)), f.yp(amount_f(unit, self.budget)), 4.5 * u, alert)?;
            c.end();
        }
        Ok(())
    }
}

/// What [`BurnData::draw`] works from: the series in date order and the chart's extents.
struct Plan {
    /// Cumulative spend from the period's start, by date.
    cum: Vec<(NaiveDate, i64)>,
    /// The forecast, by date.
    fan: Vec<FanPoint>,
    /// Spend through the last day listed.
    spent: i64,
    /// Day numbers of the period's first instant and of the instant after its last day.
    start: f64,
    end: f64,
    /// Where the x axis ends: the period, the fan or the run-out, whichever is last.
    x_max: f64,
    /// The largest amount on the chart.
    ymax: i64,
    /// The day cumulative spend reached the budget.
    reached: Option<NaiveDate>,
    /// The end of the P50 run-out day, when near enough to show.
    runout_on_chart: Option<f64>,
    /// The alert thresholds strictly between 0 and 100 percent, sorted, once each.
    thresholds: Vec<u8>,
}

/// The middle of a day: where cumulative amounts are plotted.
fn mid(d: NaiveDate) -> f64 {
    dn(d) + 0.5
}

fn short(unit: Unit, v: i64) -> String {
    match unit {
        Unit::Usd => usd_full(Usd(v)),
        Unit::Tokens => format::tokens_compact(v),
    }
}
