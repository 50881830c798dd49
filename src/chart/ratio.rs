//! `ratio`: cumulative spend over the year against compensation prorated by day, at the
//! user's target ratio and at reference ratios (10%, 25%, and 50%, the share of salary
//! Jensen Huang suggested engineers spend on tokens), with the projected year-end ratio.

use chrono::NaiveDate;

use super::axis::{dn, Scale};
use super::canvas::{Canvas, Surface};
use super::daily::usd_f;
use super::format::{percent_bp, usd_compact, usd_full, Measure};
use super::frame::{Frame, LegendItem, Marker, RightLabel, Spec, Swatch};
use super::Result;
use crate::money::{div_round_half_even, Usd};

/// A reference ratio line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The ratio in basis points (1000 = 10%).
    pub bp: u32,
    /// Said after the ratio ("Huang's").
    pub note: String,
}

impl Reference {
    /// 10%, 25%, and 50% labelled as Huang's.
    pub fn defaults() -> Vec<Reference> {
        vec![
            Reference { bp: 1000, note: String::new() },
            Reference { bp: 2500, note: String::new() },
            Reference { bp: 5000, note: "Huang's".into() },
        ]
    }
}

/// Spend over a (fiscal) year against compensation.
#[derive(Debug, Clone, PartialEq)]
pub struct RatioData {
    pub year_start: NaiveDate,
    /// The year's last day (inclusive).
    pub year_end: NaiveDate,
    pub today: NaiveDate,
    /// Compensation for the whole year.
    pub compensation: Usd,
    /// The user's target ratio in basis points (1500 = 15%), if set.
    pub target_bp: Option<u32>,
    /// Reference lines; [`Reference::defaults`] for the usual three.
    pub references: Vec<Reference>,
    /// Cumulative spend through each day since `year_start`, by date.
    pub cumulative: Vec<(NaiveDate, Usd)>,
    /// Spend projected for the whole year (from the forecast), if any.
    pub projected_year_end: Option<Usd>,
}

impl RatioData {
    pub(crate) fn title(&self) -> String {
        format!("Spend against compensation, {}", self.year_start.format("%Y"))
    }

    /// `v` as basis points of compensation.
    fn bp_of(&self, v: Usd) -> Option<i64> {
        (self.compensation.nanos() > 0)
            .then(|| div_round_half_even(v.nanos() as i128 * 10_000, self.compensation.nanos() as i128) as i64)
    }

    fn line_end(&self, bp: u32) -> Usd {
        Usd(div_round_half_even(self.compensation.nanos() as i128 * bp as i128, 10_000) as i64)
    }

    pub(crate) fn draw<B: Surface>(&self, c: &mut Canvas<B>) -> Result<()> {
        let pal = c.pal.clone();
        let u = c.u;
        let mid = |d: NaiveDate| dn(d) + 0.5;
        let start = dn(self.year_start);
        let end = dn(self.year_end) + 1.0;
        let len_days = (end - start).max(1.0) as i128;

        let mut cum: Vec<(NaiveDate, Usd)> =
            self.cumulative.iter().copied().filter(|&(d, _)| d >= self.year_start && d <= self.year_end).collect();
        cum.sort_by_key(|p| p.0);
        let spent = cum.last().map(|p| p.1).unwrap_or(Usd::ZERO);
        let last_day = cum.last().map(|p| p.0).unwrap_or(self.today);

        let mut lines: Vec<(u32, String, super::theme::Color, bool)> = Vec::new();
        for (i, r) in self.references.iter().enumerate() {
            let label = if r.note.is_empty() {
                percent_bp(r.bp as i64)
            } else {
                format!("{} {}", percent_bp(r.bp as i64), r.note)
            };
            lines.push((r.bp, label, pal.refs[i % pal.refs.len()], false));
        }
        if let Some(t) = self.target_bp {
            lines.push((t, format!("Target {}", percent_bp(t as i64)), pal.target, true));
        }

        let mut facts = Vec::new();
        let elapsed = ((self.today.min(self.year_end) - self.year_start).num_days() + 1).max(1) as i128;
        if self.compensation.nanos() > 0 {
            let prorated = Usd(div_round_half_even(self.compensation.nanos() as i128 * elapsed, len_days) as i64);
            let ytd_bp = if prorated.nanos() > 0 {
                div_round_half_even(spent.nanos() as i128 * 10_000, prorated.nanos() as i128) as i64
            } else {
                0
            };
            facts.push(format!(
                "Year to date {} = {} of compensation to date",
                usd_full(spent),
                percent_bp(round_bp(ytd_bp))
            ));
            if let Some(p) = self.projected_year_end {
                let bp = self.bp_of(p).unwrap_or(0);
                facts.push(format!("projected year-end {} ({})", percent_bp(round_bp(bp)), usd_full(p)));
            }
            facts.push(format!("compensation {} a year", usd_full(self.compensation)));
        } else {
            facts.push(format!("Year to date {}", usd_full(spent)));
            facts.push("no compensation set".to_string());
        }

        let mut legend =
            vec![LegendItem { label: "Spend".into(), color: pal.primary, swatch: Swatch::Line, id: "spend".into() }];
        if self.projected_year_end.is_some() {
            legend.push(LegendItem {
                label: "Projection".into(),
                color: pal.primary,
                swatch: Swatch::Dashed,
                id: "projection".into(),
            });
        }
        if !lines.is_empty() {
            legend.push(LegendItem {
                label: "Compensation × ratio, prorated".into(),
                color: pal.muted,
                swatch: Swatch::Dashed,
                id: "ratios".into(),
            });
        }

        let mut right: Vec<RightLabel> = lines
            .iter()
            .filter(|_| self.compensation.nanos() > 0)
            .map(|(bp, label, color, _)| RightLabel {
                value: usd_f(self.line_end(*bp).nanos()),
                text: format!("{label} {}", usd_compact(self.line_end(*bp))),
                color: *color,
            })
            .collect();
        if let (Some(p), Some(bp)) = (self.projected_year_end, self.projected_year_end.and_then(|p| self.bp_of(p))) {
            right.push(RightLabel {
                value: usd_f(p.nanos()),
                text: format!("Projected {}", percent_bp(round_bp(bp))),
                color: pal.primary,
            });
        }
        let mut markers = Vec::new();
        if mid(self.today) >= start && mid(self.today) <= end {
            markers.push(Marker {
                x: mid(self.today),
                text: "Today".into(),
                color: pal.fg,
                class: "tb-today",
                date: self.today,
            });
        }
        let ymax = lines
            .iter()
            .map(|l| self.line_end(l.0).nanos())
            .chain([spent.nanos(), self.projected_year_end.map(|p| p.nanos()).unwrap_or(0)])
            .max()
            .unwrap_or(0);
        let spec = Spec {
            title: self.title(),
            facts,
            legend,
            x: (start, end),
            x_title: String::new(),
            weeks_centered: false,
            y_scale: Scale::Linear,
            y: (0.0, usd_f(ymax)),
            measure: Measure::Usd,
            y_title: "Cumulative spend (USD)".into(),
            right,
            markers,
        };
        let f = Frame::layout(c, spec);
        f.draw_back(c)?;

        if self.compensation.nanos() > 0 {
            for (bp, label, color, target) in &lines {
                let v = self.line_end(*bp);
                let pts = [(f.xp(start), f.yp(0.0)), (f.xp(end), f.yp(usd_f(v.nanos())))];
                c.group(
                    if *target { "tb-ratio tb-target" } else { "tb-ratio tb-reference" },
                    &[("data-bp", bp.to_string()), ("data-label", label.clone()), ("data-year-end", v.to_string())],
                );
                if *target {
                    c.line(&pts, *color, 2.0 * u)?;
                } else {
                    c.dashed(&pts, *color, 1.5 * u, 6.0 * u, 4.0 * u)?;
                }
                c.end();
            }
        }
        if let Some(p) = self.projected_year_end {
            let pts = [(f.xp(mid(last_day)), f.yp(usd_f(spent.nanos()))), (f.xp(end), f.yp(usd_f(p.nanos())))];
            c.group("tb-series tb-projection", &[("data-series", "projection".into()), ("data-value", p.to_string())]);
            c.dashed(&pts, pal.primary, 2.0 * u, 7.0 * u, 4.0 * u)?;
            c.circle(pts[1].0, pts[1].1, 4.0 * u, pal.primary)?;
            c.end();
        }
        if !cum.is_empty() {
            let mut pts = vec![(f.xp(start), f.yp(0.0))];
            pts.extend(cum.iter().map(|&(d, v)| (f.xp(mid(d)), f.yp(usd_f(v.nanos())))));
            c.group("tb-series tb-line", &[("data-series", "spend".into()), ("data-spent", spent.to_string())]);
            c.line(&pts, pal.primary, 2.5 * u)?;
            c.end();
        }
        f.draw_front(c)?;
        if cum.is_empty() {
            return f.message(c, "No spend this year yet");
        }
        Ok(())
    }
}

/// Basis points rounded to a tenth of a percent, for display.
fn round_bp(bp: i64) -> i64 {
    div_round_half_even(bp as i128, 10) as i64 * 10
}
