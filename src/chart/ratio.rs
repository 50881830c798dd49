//! `ratio`: cumulative spend over the year against compensation prorated by day, at the
//! user's target ratio and at reference ratios (10%, 25%, and 50%, the share of salary
//! Jensen Huang suggested engineers spend on tokens), with the projected year-end ratio.

use chrono::NaiveDate;

use super::axis::{dn, Scale};
use super::canvas::{Canvas, Surface};
use super::daily::usd_f;
use super::format::{percent_bp, usd_compact, usd_full, Measure};
use super::frame::{Frame, LegendItem, Marker, RightLabel, Spec, Swatch};
use super::theme::{Color, Palette};
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
        let p = self.plan(&c.pal);
        let f = Frame::layout(c, self.spec(&p, &c.pal));
        f.draw_back(c)?;
        if self.compensation.nanos() > 0 {
            for l in &p.lines {
                self.draw_line(c, &f, &p, l)?;
            }
        }
        self.draw_spend(c, &f, &p)?;
        f.draw_front(c)?;
        if p.cum.is_empty() {
            return f.message(c, "No spend this year yet");
        }
        Ok(())
    }

    /// The data in order, the year's extent and the ratio lines.
    fn plan(&self, pal: &Palette) -> Plan {
        let start = dn(self.year_start);
        let end = dn(self.year_end) + 1.0;
        let mut cum: Vec<(NaiveDate, Usd)> =
            self.cumulative.iter().copied().filter(|&(d, _)| d >= self.year_start && d <= self.year_end).collect();
        cum.sort_by_key(|p| p.0);
        let spent = cum.last().map(|p| p.1).unwrap_or(Usd::ZERO);
        let last_day = cum.last().map(|p| p.0).unwrap_or(self.today);

        let mut lines: Vec<Line> = Vec::new();
        for (i, r) in self.references.iter().enumerate() {
            let label = if r.note.is_empty() {
                percent_bp(r.bp as i64)
            } else {
                format!("{} {}", percent_bp(r.bp as i64), r.note)
            };
            lines.push(Line { bp: r.bp, label, color: pal.refs[i % pal.refs.len()], target: false });
        }
        if let Some(t) = self.target_bp {
            lines.push(Line {
                bp: t,
                label: format!("Target {}", percent_bp(t as i64)),
                color: pal.target,
                target: true,
            });
        }
        Plan { start, end, cum, spent, last_day, lines }
    }

    fn spec(&self, p: &Plan, pal: &Palette) -> Spec {
        let ymax = p
            .lines
            .iter()
            .map(|l| self.line_end(l.bp).nanos())
            .chain([p.spent.nanos(), self.projected_year_end.map(|p| p.nanos()).unwrap_or(0)])
            .max()
            .unwrap_or(0);
        let mut markers = Vec::new();
        if mid(self.today) >= p.start && mid(self.today) <= p.end {
            markers.push(Marker {
                x: mid(self.today),
                text: "Today".into(),
                color: pal.fg,
                class: "tb-today",
                date: self.today,
            });
        }
        Spec {
            title: self.title(),
            facts: self.facts(p),
            legend: self.legend(p, pal),
            x: (p.start, p.end),
            x_title: String::new(),
            weeks_centered: false,
            y_scale: Scale::Linear,
            y: (0.0, usd_f(ymax)),
            measure: Measure::Usd,
            y_title: "Cumulative spend (USD)".into(),
            right: self.right_labels(p, pal),
            markers,
        }
    }

    fn facts(&self, p: &Plan) -> Vec<String> {
        let len_days = (p.end - p.start).max(1.0) as i128;
        let mut facts = Vec::new();
        let elapsed = ((self.today.min(self.year_end) - self.year_start).num_days() + 1).max(1) as i128;
        if self.compensation.nanos() > 0 {
            let prorated = Usd(div_round_half_even(self.compensation.nanos() as i128 * elapsed, len_days) as i64);
            let ytd_bp = if prorated.nanos() > 0 {
                div_round_half_even(p.spent.nanos() as i128 * 10_000, prorated.nanos() as i128) as i64
            } else {
                0
            };
            facts.push(format!(
                "Year to date {} = {} of compensation to date",
                usd_full(p.spent),
                percent_bp(round_bp(ytd_bp))
            ));
            if let Some(pr) = self.projected_year_end {
                let bp = self.bp_of(pr).unwrap_or(0);
                facts.push(format!("projected year-end {} ({})", percent_bp(round_bp(bp)), usd_full(pr)));
            }
            facts.push(format!("compensation {} a year", usd_full(self.compensation)));
        } else {
            facts.push(format!("Year to date {}", usd_full(p.spent)));
            facts.push("no compensation set".to_string());
        }
        facts
    }

    fn legend(&self, p: &Plan, pal: &Palette) -> Vec<LegendItem> {
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
        if !p.lines.is_empty() {
            legend.push(LegendItem {
                label: "Compensation × ratio, prorated".into(),
                color: pal.muted,
                swatch: Swatch::Dashed,
                id: "ratios".into(),
            });
        }
        legend
    }

    fn right_labels(&self, p: &Plan, pal: &Palette) -> Vec<RightLabel> {
        let mut right: Vec<RightLabel> = p
            .lines
            .iter()
            .filter(|_| self.compensation.nanos() > 0)
            .map(|l| RightLabel {
                value: usd_f(self.line_end(l.bp).nanos()),
                text: format!("{} {}", l.label, usd_compact(self.line_end(l.bp))),
                color: l.color,
            })
            .collect();
        if let (Some(pr), Some(bp)) = (self.projected_year_end, self.projected_year_end.and_then(|p| self.bp_of(p))) {
            right.push(RightLabel {
                value: usd_f(pr.nanos()),
                text: format!("Projected {}", percent_bp(round_bp(bp))),
                color: pal.primary,
            });
        }
        right
    }

    /// A ratio line: from zero at the year's start to compensation × ratio at its end.
    fn draw_line<B: Surface>(&self, c: &mut Canvas<B>, f: &Frame, p: &Plan, l: &Line) -> Result<()> {
        let u = c.u;
        let v = self.line_end(l.bp);
        let pts = [(f.xp(p.start), f.yp(0.0)), (f.xp(p.end), f.yp(usd_f(v.nanos())))];
        c.group(
            if l.target { "tb-ratio tb-target" } else { "tb-ratio tb-reference" },
            &[("data-bp", l.bp.to_string()), ("data-label", l.label.clone()), ("data-year-end", v.to_string())],
        );
        if l.target {
            c.line(&pts, l.color, 2.0 * u)?;
        } else {
            c.dashed(&pts, l.color, 1.5 * u, 6.0 * u, 4.0 * u)?;
        }
        c.end();
        Ok(())
    }

    /// The projection to the year's end, then the spend line over it.
    fn draw_spend<B: Surface>(&self, c: &mut Canvas<B>, f: &Frame, p: &Plan) -> Result<()> {
        let (u, primary) = (c.u, c.pal.primary);
        if let Some(pr) = self.projected_year_end {
            let pts = [(f.xp(mid(p.last_day)), f.yp(usd_f(p.spent.nanos()))), (f.xp(p.end), f.yp(usd_f(pr.nanos())))];
            c.group("tb-series tb-projection", &[("data-series", "projection".into()), ("data-value", pr.to_string())]);
            c.dashed(&pts, primary, 2.0 * u, 7.0 * u, 4.0 * u)?;
            c.circle(pts[1].0, pts[1].1, 4.0 * u, primary)?;
            c.end();
        }
        if !p.cum.is_empty() {
            let mut pts = vec![(f.xp(p.start), f.yp(0.0))];
            pts.extend(p.cum.iter().map(|&(d, v)| (f.xp(mid(d)), f.yp(usd_f(v.nanos())))));
            c.group("tb-series tb-line", &[("data-series", "spend".into()), ("data-spent", p.spent.to_string())]);
            c.line(&pts, primary, 2.5 * u)?;
            c.end();
        }
        Ok(())
    }
}

/// A ratio line: a reference or the user's target.
struct Line {
    bp: u32,
    label: String,
    color: Color,
    target: bool,
}

/// What [`RatioData::draw`] works from.
struct Plan {
    /// Day numbers of the year's first instant and of the instant after its last day.
    start: f64,
    end: f64,
    /// Cumulative spend within the year, by date.
    cum: Vec<(NaiveDate, Usd)>,
    spent: Usd,
    /// The last day with data (today when there is none): where the projection starts.
    last_day: NaiveDate,
    lines: Vec<Line>,
}

/// The middle of a day: where cumulative amounts are plotted.
fn mid(d: NaiveDate) -> f64 {
    dn(d) + 0.5
}

/// Basis points rounded to a tenth of a percent, for display.
fn round_bp(bp: i64) -> i64 {
    div_round_half_even(bp as i128, 10) as i64 * 10
}
