//! `tokens`: tokens per month on a log scale, one line per provider (or model, or project),
//! and the total. The axis spans at least 100 thousand to 100 billion a month, so a month
//! reads against the whole range of personal use, from light chat to agent fleets.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};

use super::axis::{days_in_month, dn, Scale};
use super::canvas::{Canvas, Surface};
use super::format::{self, tokens_compact, DateLocale, Measure};
use super::frame::{Frame, LegendItem, Spec, Swatch};
use super::theme::{Color, Palette};
use super::{rank, slot_color, slot_name, Result, OTHER};

/// One key's tokens in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTokens {
    /// Any day of the month.
    pub month: NaiveDate,
    pub key: String,
    pub tokens: i64,
}

/// Tokens per month per key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokensData {
    /// What the keys are: "provider", "model" or "project".
    pub by: String,
    /// In any order; repeats add up.
    pub months: Vec<MonthTokens>,
    /// Keys shown by name; the rest are "other".
    pub top: usize,
    /// The days whose months to show; default: the first to the last month listed.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// Today in the ledger's zone: the month an empty chart without a range shows. The
    /// chart never reads the clock (`Default` gives 1970-01-01).
    pub today: NaiveDate,
}

/// The least the y axis spans: 100 thousand to 100 billion tokens a month.
const FLOOR: f64 = 1e5;
const CEIL: f64 = 1e11;

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1")
}

impl TokensData {
    pub(crate) fn title(&self) -> String {
        format!("Tokens per month by {}", if self.by.is_empty() { "provider" } else { &self.by })
    }

    pub(crate) fn draw<B: Surface>(&self, c: &mut Canvas<B>) -> Result<()> {
        let g = self.grid();
        let (first, last) = (g.first, g.last);
        let any = g.all.iter().any(|&v| v > 0);
        let maxv = g.all.iter().copied().max().unwrap_or(0) as f64;
        let minv = g.grid.iter().flatten().copied().filter(|&v| v > 0).min().unwrap_or(FLOOR as i64) as f64;
        let last_end = dn(last) + days_in_month(last);
        let span = last_end - dn(first);
        let pad = ((91.0 - span) / 2.0).max(0.0);
        let spec = Spec {
            title: self.title(),
            facts: if any { g.facts(&c.loc) } else { Vec::new() },
            legend: if any { g.legend(&c.pal) } else { Vec::new() },
            x: (dn(first) - pad, last_end + pad),
            x_title: "Month".into(),
            weeks_centered: false,
            y_scale: Scale::Log,
            y: (minv.min(FLOOR), maxv.max(CEIL)),
            measure: Measure::Tokens,
            y_title: "Tokens per month (log scale)".into(),
            right: Vec::new(),
            markers: Vec::new(),
        };
        let f = Frame::layout(c, spec);
        f.draw_back(c)?;
        if !any {
            return f.message(c, &format!("No tokens from {} to {}", c.loc.month_year(first), c.loc.month_year(last)));
        }
        g.draw_lines(c, &f)?;
        f.draw_front(c)
    }

    /// The months in range, each key's tokens in them, and the keys ranked.
    fn grid(&self) -> Grid {
        let (lo, hi) = match self.range {
            Some((a, b)) => (Some(month_start(a.min(b))), Some(month_start(a.max(b)))),
            None => (None, None),
        };
        let mut totals: HashMap<String, i128> = HashMap::new();
        let mut cells: BTreeMap<(NaiveDate, String), i64> = BTreeMap::new();
        for m in &self.months {
            let ms = month_start(m.month);
            if lo.is_some_and(|l| ms < l) || hi.is_some_and(|h| ms > h) {
                continue;
            }
            *totals.entry(m.key.clone()).or_default() += m.tokens as i128;
            *cells.entry((ms, m.key.clone())).or_default() += m.tokens;
        }
        let first = lo.or_else(|| cells.keys().map(|k| k.0).min());
        let last = hi.or_else(|| cells.keys().map(|k| k.0).max());
        let (first, last) = match (first, last) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                let m = month_start(self.today);
                (m, m)
            }
        };
        let mut months = vec![first];
        while let Some(next) = months.last().and_then(|m| m.checked_add_months(Months::new(1))).filter(|&n| n <= last) {
            months.push(next);
        }
        let index: HashMap<NaiveDate, usize> = months.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        let (kept, slot, has_other) = rank(&totals, self.top);
        let nslots = kept.len() + usize::from(has_other);
        let mut grid = vec![vec![0i64; months.len()]; nslots];
        let mut all = vec![0i64; months.len()];
        for ((m, k), v) in &cells {
            grid[slot[k]][index[m]] += v;
            all[index[m]] += v;
        }
        Grid { first, last, months, kept, grid, all }
    }
}

/// The months a tokens chart shows and each slot's tokens in them. Slots are the kept keys
/// in rank order, then "other" when there is one.
struct Grid {
    /// The first days of the first and last months.
    first: NaiveDate,
    last: NaiveDate,
    /// The first day of each month from `first` to `last`.
    months: Vec<NaiveDate>,
    kept: Vec<String>,
    /// Tokens per slot and month: `grid[slot][month]`.
    grid: Vec<Vec<i64>>,
    /// All tokens per month.
    all: Vec<i64>,
}

impl Grid {
    fn name(&self, i: usize) -> String {
        slot_name(&self.kept, i)
    }

    fn color(&self, pal: &Palette, i: usize) -> Color {
        slot_color(pal, self.kept.len(), i)
    }

    /// The total is worth a line only where it differs from every single series.
    fn show_total(&self) -> bool {
        (0..self.months.len()).any(|m| self.grid.iter().filter(|g| g[m] > 0).count() > 1)
    }

    fn legend(&self, pal: &Palette) -> Vec<LegendItem> {
        let mut legend = Vec::new();
        for i in 0..self.grid.len() {
            let t: i64 = self.grid[i].iter().sum();
            let label = if i < self.kept.len() {
                format!("{} {}", format::shorten(&self.kept[i], 28), tokens_compact(t))
            } else {
                format!("{OTHER} {}", tokens_compact(t))
            };
            legend.push(LegendItem { label, color: self.color(pal, i), swatch: Swatch::Line, id: self.name(i) });
        }
        if self.show_total() {
            legend.push(LegendItem { label: "All".into(), color: pal.fg, swatch: Swatch::Dashed, id: "all".into() });
        }
        legend
    }

    fn facts(&self, loc: &DateLocale) -> Vec<String> {
        let mut facts = Vec::new();
        let total: i128 = self.all.iter().map(|&v| v as i128).sum();
        facts.push(format!("{} tokens over {} months", format::group(total), self.months.len()));
        if let Some((i, v)) = self.all.iter().enumerate().max_by_key(|(i, v)| (**v, -(*i as i64))) {
            facts.push(format!("busiest: {} with {}", loc.month_year(self.months[i]), format::group(*v as i128)));
        }
        facts
    }

    /// Runs of points of `vals` at the middle of their month: months with no tokens break
    /// the line (log scales have no zero).
    fn runs(&self, f: &Frame, vals: &[i64]) -> Vec<Vec<(f64, f64)>> {
        let mid = |i: usize| dn(self.months[i]) + days_in_month(self.months[i]) / 2.0;
        let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, &v) in vals.iter().enumerate() {
            if v > 0 {
                out.last_mut().expect("one run").push((f.xp(mid(i)), f.yp(v as f64)));
            } else if !out.last().expect("one run").is_empty() {
                out.push(Vec::new());
            }
        }
        out.retain(|r| !r.is_empty());
        out
    }

    /// The dashed total under the slots' lines, the first slot on top.
    fn draw_lines<B: Surface>(&self, c: &mut Canvas<B>, f: &Frame) -> Result<()> {
        let (u, pal) = (c.u, c.pal.clone());
        if self.show_total() {
            c.group("tb-series tb-line", &[("data-series", "all".into())]);
            for r in self.runs(f, &self.all) {
                c.dashed(&r, pal.fg.over(pal.bg, 0.7), 1.5 * u, 6.0 * u, 4.0 * u)?;
            }
            c.end();
        }
        for i in (0..self.grid.len()).rev() {
            let t: i64 = self.grid[i].iter().sum();
            c.group("tb-series tb-line", &[("data-series", self.name(i)), ("data-total", t.to_string())]);
            for r in self.runs(f, &self.grid[i]) {
                c.line(&r, self.color(&pal, i), 2.5 * u)?;
                for &(x, y) in &r {
                    c.circle(x, y, 3.5 * u, self.color(&pal, i))?;
                }
            }
            c.end();
        }
        Ok(())
    }
}
