//! `breakdown`: spend per week, stacked by model, provider or project: the top N keys by
//! spend over the chart's range, the rest gathered into "other".

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate};

use super::axis::{dn, Scale};
use super::canvas::{Canvas, Surface};
use super::daily::usd_f;
use super::format::{self, usd_compact, usd_full, Measure};
use super::frame::{Frame, LegendItem, Spec, Swatch};
use super::theme::{Color, Palette};
use super::{rank, slot_color, slot_name, Result, OTHER};
use crate::money::Usd;

/// One key's spend in one week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekSpend {
    /// Any day of the week (weeks start on Monday).
    pub week: NaiveDate,
    pub key: String,
    pub spend: Usd,
}

/// Spend per week per key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BreakdownData {
    /// What the keys are: "model", "provider" or "project".
    pub by: String,
    /// In any order; repeats add up.
    pub weeks: Vec<WeekSpend>,
    /// Keys shown by name (at most [`SERIES_COLORS`](super::SERIES_COLORS)); the rest are "other".
    pub top: usize,
    /// The days whose weeks to show; default: the first to the last week listed.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// Events in the range that have no price (not in the bars).
    pub unpriced_events: i64,
    /// Today in the ledger's zone: the week an empty chart without a range shows. The chart
    /// never reads the clock (`Default` gives 1970-01-01).
    pub today: NaiveDate,
}

fn monday(d: NaiveDate) -> NaiveDate {
    d.checked_sub_days(Days::new(d.weekday().num_days_from_monday() as u64)).unwrap_or(d)
}

/// Weeks the chart spans at least.
const MIN_WEEKS: i64 = 4;

impl BreakdownData {
    pub(crate) fn title(&self) -> String {
        format!("Weekly spend by {}", if self.by.is_empty() { "model" } else { &self.by })
    }

    pub(crate) fn draw<B: Surface>(&self, c: &mut Canvas<B>) -> Result<()> {
        let g = self.grid();
        let (first, last, nweeks) = (g.first, g.last, g.stack.len());
        let pos_max = g.stack.iter().map(|w| w.iter().filter(|&&v| v > 0).sum::<i64>()).max().unwrap_or(0);
        let neg_min = g.stack.iter().map(|w| w.iter().filter(|&&v| v < 0).sum::<i64>()).min().unwrap_or(0);
        let pad = 7.0 * (MIN_WEEKS - nweeks as i64).max(0) as f64 / 2.0;
        let x = (dn(first) - pad, dn(last) + 7.0 + pad);
        let spec = Spec {
            title: self.title(),
            facts: self.facts(&g),
            legend: if g.any { g.legend(&c.pal) } else { Vec::new() },
            x,
            x_title: "Week (starting Monday)".into(),
            weeks_centered: true,
            y_scale: Scale::Linear,
            y: (usd_f(neg_min), usd_f(pos_max)),
            measure: Measure::Usd,
            y_title: "Spend per week (USD)".into(),
            right: Vec::new(),
            markers: Vec::new(),
        };
        let f = Frame::layout(c, spec);
        f.draw_back(c)?;
        if !g.any {
            let to = last.checked_add_days(Days::new(6)).unwrap_or(last);
            return f.message(c, &format!("No spend from {} to {}", c.loc.date(first), c.loc.date(to)));
        }
        g.draw_stacks(c, &f)?;
        f.draw_front(c)
    }

    /// The weeks in range, each key's spend in them, and the keys ranked.
    fn grid(&self) -> Grid {
        let mut totals: HashMap<String, i128> = HashMap::new();
        let mut cells: BTreeMap<(NaiveDate, String), i64> = BTreeMap::new();
        let (lo, hi) = match self.range {
            Some((a, b)) => (Some(monday(a.min(b))), Some(monday(a.max(b)))),
            None => (None, None),
        };
        for w in &self.weeks {
            let m = monday(w.week);
            if lo.is_some_and(|l| m < l) || hi.is_some_and(|h| m > h) {
                continue;
            }
            *totals.entry(w.key.clone()).or_default() += w.spend.nanos() as i128;
            *cells.entry((m, w.key.clone())).or_default() += w.spend.nanos();
        }
        let first = lo.or_else(|| cells.keys().map(|k| k.0).min());
        let last = hi.or_else(|| cells.keys().map(|k| k.0).max());
        let (first, last) = match (first, last) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                let week = monday(self.today);
                (week, week)
            }
        };
        let nweeks = ((last - first).num_days() / 7 + 1) as usize;
        let (kept, slot, has_other) = rank(&totals, self.top);
        let nslots = kept.len() + usize::from(has_other);
        let mut stack = vec![vec![0i64; nslots]; nweeks];
        for ((m, k), v) in &cells {
            let wi = ((*m - first).num_days() / 7) as usize;
            stack[wi][slot[k]] += v;
        }
        let any = cells.values().any(|&v| v != 0);
        Grid { first, last, kept, has_other, totals, stack, any }
    }

    fn facts(&self, g: &Grid) -> Vec<String> {
        let total: i128 = g.totals.values().sum();
        let mut facts = Vec::new();
        if g.any {
            facts.push(format!(
                "Total {} over {} weeks",
                usd_full(Usd(total as i64)),
                format::group(g.stack.len() as i128)
            ));
            if let Some(k) = g.kept.first() {
                let share = if total > 0 { g.totals[k] * 100 / total } else { 0 };
                facts.push(format!("largest: {} ({share}%)", format::shorten(k, 40)));
            }
        }
        if self.unpriced_events > 0 {
            facts.push(format!("{} unpriced events not shown", format::group(self.unpriced_events as i128)));
        }
        facts
    }
}

/// The weeks a breakdown shows and each slot's spend in them. Slots are the kept keys in
/// rank order, then "other" when there is one.
struct Grid {
    /// The Mondays of the first and last weeks.
    first: NaiveDate,
    last: NaiveDate,
    kept: Vec<String>,
    has_other: bool,
    /// Each key's spend over the range.
    totals: HashMap<String, i128>,
    /// Spend per week and slot: `stack[week][slot]`.
    stack: Vec<Vec<i64>>,
    /// Whether any week has spend.
    any: bool,
}

impl Grid {
    fn nslots(&self) -> usize {
        self.kept.len() + usize::from(self.has_other)
    }

    fn name(&self, i: usize) -> String {
        slot_name(&self.kept, i)
    }

    fn color(&self, pal: &Palette, i: usize) -> Color {
        slot_color(pal, self.kept.len(), i)
    }

    fn slot_total(&self, i: usize) -> i128 {
        self.stack.iter().map(|w| w[i] as i128).sum()
    }

    fn legend(&self, pal: &Palette) -> Vec<LegendItem> {
        let mut legend = Vec::new();
        for i in 0..self.nslots() {
            let t = Usd(self.slot_total(i) as i64);
            let label = if i < self.kept.len() {
                format!("{} {}", format::shorten(&self.kept[i], 28), usd_compact(t))
            } else {
                format!("{OTHER} {}", usd_compact(t))
            };
            legend.push(LegendItem { label, color: self.color(pal, i), swatch: Swatch::Box, id: self.name(i) });
        }
        legend
    }

    /// Each slot's bars, stacked up from zero for spend and down for refunds.
    fn draw_stacks<B: Surface>(&self, c: &mut Canvas<B>, f: &Frame) -> Result<()> {
        let (u, pal) = (c.u, c.pal.clone());
        let nweeks = self.stack.len();
        let week_px = f.xp(7.0) - f.xp(0.0);
        let gap = if week_px >= 6.0 * u { 0.9 } else { 0.0 };
        // Running tops of each week's positive and negative stacks.
        let mut up = vec![0i64; nweeks];
        let mut down = vec![0i64; nweeks];
        for i in 0..self.nslots() {
            c.group(
                "tb-series tb-bars",
                &[("data-series", self.name(i)), ("data-total", Usd(self.slot_total(i) as i64).to_string())],
            );
            for (wi, w) in self.stack.iter().enumerate() {
                let v = w[i];
                if v == 0 {
                    continue;
                }
                let base = if v > 0 { &mut up[wi] } else { &mut down[wi] };
                let (a, b) = (*base, *base + v);
                *base = b;
                let d = dn(self.first) + 7.0 * wi as f64;
                let (x0, x1) = (f.xp(d + gap), f.xp(d + 7.0 - gap));
                c.rect(x0, f.yp(usd_f(a)), x1.max(x0 + 1.0), f.yp(usd_f(b)), self.color(&pal, i))?;
            }
            c.end();
        }
        Ok(())
    }
}
