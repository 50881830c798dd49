//! `daily`: spend per day as bars, a trailing 7-day average line, weekends shaded.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::axis::{dn, Scale};
use super::canvas::{Canvas, Surface};
use super::format::{self, usd_full, DateLocale, Measure};
use super::frame::{Frame, LegendItem, Spec, Swatch};
use super::theme::Palette;
use super::Result;
use crate::money::{div_round_half_even, Usd};

/// Spend per day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyData {
    /// Spend per day, in any order; days not listed spent nothing, a day listed twice adds up.
    pub days: Vec<(NaiveDate, Usd)>,
    /// The days to show (inclusive); default: the first to the last day listed.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// Events in the range that have no price: not in the bars, and said so on the chart.
    pub unpriced_events: i64,
    /// Today in the ledger's zone: where a chart with neither days nor a range is placed.
    /// The chart never reads the clock (`Default` gives 1970-01-01).
    pub today: NaiveDate,
}

/// Days the chart spans at least, so one day is a bar, not a wall.
const MIN_SPAN: i64 = 7;

impl DailyData {
    pub(crate) fn title(&self) -> String {
        "Daily spend".to_string()
    }

    /// Each day of the range with its spend, and the trailing 7-day average from the 7th day.
    fn series(&self) -> Option<(NaiveDate, Vec<Usd>, Vec<Option<Usd>>)> {
        let mut by_day: BTreeMap<NaiveDate, Usd> = BTreeMap::new();
        for &(d, u) in &self.days {
            *by_day.entry(d).or_default() += u;
        }
        let (from, to) = match self.range {
            Some((a, b)) => (a.min(b), a.max(b)),
            None => (*by_day.keys().next()?, *by_day.keys().next_back()?),
        };
        let n = (to - from).num_days() as usize + 1;
        let mut spend = vec![Usd::ZERO; n];
        for (d, u) in by_day.range(from..=to) {
            spend[(*d - from).num_days() as usize] = *u;
        }
        let mut avg = vec![None; n];
        let mut window: i128 = 0;
        for i in 0..n {
            window += spend[i].nanos() as i128;
            if i >= 7 {
                window -= spend[i - 7].nanos() as i128;
            }
            if i >= 6 {
                avg[i] = Some(Usd(div_round_half_even(window, 7) as i64));
            }
        }
        Some((from, spend, avg))
    }

    pub(crate) fn draw<B: Surface>(&self, c: &mut Canvas<B>) -> Result<()> {
        let series = self.series();
        let (from, spend, avg) = match &series {
            Some((f, s, a)) => (*f, s.as_slice(), a.as_slice()),
            None => (self.today, &[][..], &[][..]),
        };
        let n = spend.len() as i64;
        let any = spend.iter().any(|u| u.nanos() != 0);
        let pad = (MIN_SPAN - n).max(0) as f64 / 2.0;
        let x = (dn(from) - pad, dn(from) + n as f64 + pad);
        let to = from.checked_add_days(Days::new((n - 1).max(0) as u64)).unwrap_or(from);
        let day_px_estimate = (c.w * 0.85) / (x.1 - x.0);
        let shade_weekends = day_px_estimate >= 3.0 * c.u;

        let ymax = spend.iter().map(|u| u.nanos()).max().unwrap_or(0).max(0);
        let ymin = spend.iter().map(|u| u.nanos()).min().unwrap_or(0).min(0);
        let spec = Spec {
            title: self.title(),
            facts: self.facts(from, spend, &c.loc),
            legend: if any { legend(avg, shade_weekends, &c.pal) } else { Vec::new() },
            x,
            x_title: "Day".into(),
            weeks_centered: false,
            y_scale: Scale::Linear,
            y: (usd_f(ymin), usd_f(ymax)),
            measure: Measure::Usd,
            y_title: "Spend per day (USD)".into(),
            right: Vec::new(),
            markers: Vec::new(),
        };
        let f = Frame::layout(c, spec);
        f.draw_back(c)?;
        if !any {
            let msg = match series {
                Some(_) => format!("No spend from {} to {}", c.loc.date(from), c.loc.date(to)),
                None => "No spend recorded".to_string(),
            };
            return f.message(c, &msg);
        }
        if shade_weekends {
            draw_weekends(c, &f, from, to, n)?;
        }
        draw_bars(c, &f, from, spend)?;
        draw_average(c, &f, from, avg)?;
        f.draw_front(c)
    }

    /// Total, average and peak over the days from `from`, and the unpriced events left out.
    fn facts(&self, from: NaiveDate, spend: &[Usd], loc: &DateLocale) -> Vec<String> {
        let n = spend.len() as i64;
        let total: Usd = spend.iter().copied().sum();
        let peak = spend.iter().enumerate().max_by_key(|(i, u)| (u.nanos(), -(*i as i64)));
        let mut facts = Vec::new();
        if spend.iter().any(|u| u.nanos() != 0) {
            facts.push(format!(
                "Total {} over {} day{}",
                usd_full(total),
                format::group(n as i128),
                if n == 1 { "" } else { "s" }
            ));
            let mean = Usd(div_round_half_even(total.nanos() as i128, n.max(1) as i128) as i64);
            facts.push(format!("average {} a day", usd_full(mean)));
            if let Some((i, p)) = peak {
                let day = from.checked_add_days(Days::new(i as u64)).unwrap_or(from);
                facts.push(format!("peak {} on {}", usd_full(*p), loc.date(day)));
            }
        }
        if self.unpriced_events > 0 {
            facts.push(format!("{} unpriced events not shown", format::group(self.unpriced_events as i128)));
        }
        facts
    }
}

fn legend(avg: &[Option<Usd>], shade_weekends: bool, pal: &Palette) -> Vec<LegendItem> {
    let mut legend =
        vec![LegendItem { label: "Daily spend".into(), color: pal.primary, swatch: Swatch::Box, id: "spend".into() }];
    if avg.iter().any(Option::is_some) {
        legend.push(LegendItem {
            label: "7-day average".into(),
            color: pal.series[1],
            swatch: Swatch::Line,
            id: "avg7".into(),
        });
    }
    if shade_weekends {
        legend.push(LegendItem {
            label: "Weekend".into(),
            color: pal.shade,
            swatch: Swatch::Box,
            id: "weekend".into(),
        });
    }
    legend
}

/// Shades the weekends among the `n` days from `from` to `to` (a Sunday that starts the
/// range too).
fn draw_weekends<B: Surface>(c: &mut Canvas<B>, f: &Frame, from: NaiveDate, to: NaiveDate, n: i64) -> Result<()> {
    let shade = c.pal.shade;
    c.group("tb-weekends", &[]);
    let mut d = from;
    for _ in 0..n {
        if d.weekday() == Weekday::Sat || (d == from && d.weekday() == Weekday::Sun) {
            let len = if d.weekday() == Weekday::Sat { 2.0 } else { 1.0 };
            let end = (dn(d) + len).min(dn(to) + 1.0);
            c.rect(f.xp(dn(d)), f.top, f.xp(end), f.bottom, shade)?;
        }
        d = d.succ_opt().unwrap_or(d);
    }
    c.end();
    Ok(())
}

/// One bar per day with spend, from zero.
fn draw_bars<B: Surface>(c: &mut Canvas<B>, f: &Frame, from: NaiveDate, spend: &[Usd]) -> Result<()> {
    let (u, primary) = (c.u, c.pal.primary);
    let total: Usd = spend.iter().copied().sum();
    let day_px = f.xp(1.0) - f.xp(0.0);
    let gap = if day_px >= 4.0 * u { 0.15 } else { 0.0 };
    let y0 = f.yp(0.0);
    c.group("tb-series tb-bars", &[("data-series", "spend".into()), ("data-total", total.to_string())]);
    for (i, s) in spend.iter().enumerate() {
        if s.nanos() == 0 {
            continue;
        }
        let d = dn(from) + i as f64;
        c.rect(f.xp(d + gap), y0, f.xp(d + 1.0 - gap).max(f.xp(d + gap) + 1.0), f.yp(usd_f(s.nanos())), primary)?;
    }
    c.end();
    Ok(())
}

/// The trailing 7-day average, over a halo in the background colour.
fn draw_average<B: Surface>(c: &mut Canvas<B>, f: &Frame, from: NaiveDate, avg: &[Option<Usd>]) -> Result<()> {
    let (u, halo, color) = (c.u, c.pal.bg, c.pal.series[1]);
    let pts: Vec<(f64, f64)> = avg
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.map(|a| (f.xp(dn(from) + i as f64 + 0.5), f.yp(usd_f(a.nanos())))))
        .collect();
    if !pts.is_empty() {
        c.group("tb-series tb-line", &[("data-series", "avg7".into())]);
        c.line(&pts, halo, 4.5 * u)?;
        c.line(&pts, color, 2.5 * u)?;
        c.end();
    }
    Ok(())
}

/// Nano-dollars to a dollar plotting coordinate.
pub(crate) fn usd_f(nanos: i64) -> f64 {
    nanos as f64 / crate::money::NANOS_PER_USD as f64
}
