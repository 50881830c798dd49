//! The frame every chart kind shares: title and facts line, legend, plot area, axes with
//! ticks and titles, marker lines labelled above the plot, and line labels in the right
//! margin.
//!
//! Layout is measured, not guessed: the legend wraps to the width; the left margin is as
//! wide as the widest value label; date ticks take the finest step whose labels do not
//! overlap; marker labels go in a strip above the plot (two rows, then dropped) and line
//! labels in the right margin are pushed apart, so no label covers data or another label.

use chrono::NaiveDate;

use super::axis::{self, date_ticks, linear_ticks, log_ticks, Axis, DateTick, Scale, Ticks};
use super::canvas::{Align, Canvas, Surface};
use super::format::{self, Measure};
use super::theme::Color;
use super::ChartError;

type R = Result<(), ChartError>;

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swatch {
    Box,
    Line,
    Dashed,
    Band,
}

#[derive(Debug, Clone)]
pub(crate) struct LegendItem {
    pub label: String,
    pub color: Color,
    pub swatch: Swatch,
    /// The series this entry names (`data-series`).
    pub id: String,
}

/// A horizontal line's label in the right margin.
#[derive(Debug, Clone)]
pub(crate) struct RightLabel {
    pub value: f64,
    pub text: String,
    pub color: Color,
}

/// A vertical marker line, labelled above the plot.
#[derive(Debug, Clone)]
pub(crate) struct Marker {
    pub x: f64,
    pub text: String,
    pub color: Color,
    pub class: &'static str,
    pub date: NaiveDate,
}

/// What a chart asks of its frame.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub title: String,
    /// Facts, joined with " · " and wrapped to the width.
    pub facts: Vec<String>,
    pub legend: Vec<LegendItem>,
    /// Day-number range of the x axis.
    pub x: (f64, f64),
    pub x_title: String,
    /// Week ticks label the middle of the week (weekly bars) instead of its Monday.
    pub weeks_centered: bool,
    pub y_scale: Scale,
    /// Value range the y axis must cover.
    pub y: (f64, f64),
    pub measure: Measure,
    pub y_title: String,
    pub right: Vec<RightLabel>,
    pub markers: Vec<Marker>,
}

struct Placed<T> {
    item: T,
    x: f64,
    y: f64,
}

/// A laid-out frame: where everything goes, and the value-to-pixel mapping.
pub(crate) struct Frame {
    spec: Spec,
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub x: Axis,
    pub y: Axis,
    yticks: Ticks,
    xticks: Vec<DateTick>,
    title: String,
    title_base: f64,
    fact_lines: Vec<(String, f64)>,
    legend: Vec<Placed<LegendItem>>,
    markers: Vec<Placed<Marker>>,
    labels: Vec<Placed<RightLabel>>,
    // sizes
    m: f64,
    s_title: f64,
    s_text: f64,
    s_tick: f64,
}

impl Frame {
    pub fn xp(&self, v: f64) -> f64 {
        self.x.px(v)
    }

    pub fn yp(&self, v: f64) -> f64 {
        self.y.px(v)
    }

    pub fn layout<B: Surface>(c: &Canvas<B>, spec: Spec) -> Frame {
        let u = c.u;
        let m = 14.0 * u;
        let (s_title, s_text, s_tick) = (19.0 * u, 14.0 * u, 13.0 * u);
        let avail = c.w - 2.0 * m;
        let line_h = s_text * 1.3;

        // Title, shortened to fit.
        let mut title = spec.title.clone();
        while c.text_w(&title, s_title) > avail && title.chars().count() > 4 {
            let n = title.chars().count();
            title = format::shorten(&title, n - 2);
        }
        let mut top = m;
        let title_base = top + c.cap_h(s_title);
        top += s_title * 0.95;

        // Facts, wrapped at the separators.
        let mut lines: Vec<String> = Vec::new();
        for f in &spec.facts {
            match lines.last_mut() {
                Some(l) if c.text_w(&format!("{l} · {f}"), s_text) <= avail => *l = format!("{l} · {f}"),
                _ => lines.push(f.clone()),
            }
        }
        let mut fact_lines = Vec::new();
        for l in lines {
            top += line_h;
            fact_lines.push((l, top - s_text * 0.3));
        }

        // Legend, wrapped.
        let sw = 18.0 * u;
        let mut legend = Vec::new();
        if !spec.legend.is_empty() {
            top += 8.0 * u;
            let mut x = m;
            let mut row_top = top;
            for it in &spec.legend {
                let iw = sw + 5.0 * u + c.text_w(&it.label, s_text);
                if x > m && x + iw > c.w - m {
                    x = m;
                    row_top += line_h;
                }
                legend.push(Placed { item: it.clone(), x, y: row_top + line_h / 2.0 });
                x += iw + 16.0 * u;
            }
            top = row_top + line_h;
        }
        // Room for the top value label's upper half.
        top += 6.0 * u + s_tick * 0.5;

        let has_year_row = |t: &[DateTick]| t.iter().any(|t| t.year_of.is_some());
        let x_title_h = if spec.x_title.is_empty() { 0.0 } else { s_text * 1.3 };
        let right_w = spec.right.iter().map(|r| c.text_w(&r.text, s_tick)).fold(0.0, f64::max);
        let right = c.w - m - if right_w > 0.0 { right_w + 12.0 * u } else { 16.0 * u };

        // Two passes: the value labels' width sets the left margin, the plot height sets
        // how many value labels there are.
        let mut plot_top = top + if spec.markers.is_empty() { 0.0 } else { line_h + 4.0 * u };
        let mut bottom = c.h - m - x_title_h - 2.0 * s_tick * 1.25 - 6.0 * u;
        let mut out = None;
        for _ in 0..2 {
            let plot_h = (bottom - plot_top).max(20.0 * u);
            let yticks = match spec.y_scale {
                Scale::Linear => {
                    let target = (plot_h / (s_tick * 3.4)).round().clamp(2.0, 10.0) as usize;
                    linear_ticks(spec.y.0.min(0.0), spec.y.1, target)
                }
                Scale::Log => {
                    let max_count = (plot_h / (s_tick * 2.2)).floor().max(2.0) as usize;
                    log_ticks(spec.y.0.max(1.0), spec.y.1.max(10.0), max_count)
                }
            };
            let ytop = yticks.values.last().copied().unwrap_or(1.0);
            let label_w = yticks
                .values
                .iter()
                .map(|&v| c.text_w(&y_label(v, &yticks, ytop, spec.y_scale, spec.measure), s_tick))
                .fold(0.0, f64::max);
            let left = m + s_text + 8.0 * u + label_w + 7.0 * u;
            let x = Axis { scale: Scale::Linear, min: spec.x.0, max: spec.x.1, p0: left, p1: right };
            let xticks = date_ticks(
                spec.x.0,
                spec.x.1,
                |v| x.px(v),
                |s| c.text_w(s, s_tick),
                1.6 * s_tick,
                &c.loc,
                spec.weeks_centered,
            );
            // A label centred near an edge would reach under the value labels or off the
            // canvas: leave it out.
            let mut xticks: Vec<DateTick> = xticks
                .into_iter()
                .filter(|t| {
                    let hw = c.text_w(&t.label, s_tick) / 2.0;
                    x.px(t.at) - hw >= left - 2.0 * u && x.px(t.at) + hw <= c.w - 2.0 * u
                })
                .collect();
            axis::assign_years(&mut xticks);
            let rows = if has_year_row(&xticks) { 2.0 } else { 1.0 };
            bottom = c.h - m - x_title_h - rows * s_tick * 1.25 - 6.0 * u;

            // Marker labels: above the plot, in up to two rows; a label that fits in
            // neither is dropped (its line stays, and the facts line says it).
            let mut rows_used = 0usize;
            let mut taken: Vec<Vec<(f64, f64)>> = vec![Vec::new(), Vec::new()];
            let mut markers = Vec::new();
            for mk in &spec.markers {
                let w = c.text_w(&mk.text, s_text);
                let cx = x.px(mk.x).clamp(left + w / 2.0, c.w - m - w / 2.0);
                let span = (cx - w / 2.0 - 4.0 * u, cx + w / 2.0 + 4.0 * u);
                if let Some(row) = (0..2).find(|&r| taken[r].iter().all(|&(a, b)| span.1 < a || span.0 > b)) {
                    taken[row].push(span);
                    rows_used = rows_used.max(row + 1);
                    markers.push((mk.clone(), cx, row));
                }
            }
            plot_top = top + rows_used as f64 * line_h + if rows_used > 0 { 4.0 * u } else { 0.0 };
            let y = Axis { scale: spec.y_scale, min: yticks.min, max: yticks.max, p0: bottom, p1: plot_top };
            let markers = markers
                .into_iter()
                .map(|(mk, cx, row)| Placed { item: mk, x: cx, y: top + (row as f64 + 1.0) * line_h - s_text * 0.35 })
                .collect();
            out = Some((left, x, y, yticks, xticks, markers));
        }
        let (left, x, y, yticks, xticks, markers) = out.expect("two passes ran");

        // Right-margin labels: at their line's height, pushed apart, kept in the plot.
        let gap = s_tick * 1.2;
        let mut right_labels: Vec<Placed<RightLabel>> = spec
            .right
            .iter()
            .map(|r| Placed { item: r.clone(), x: right + 8.0 * u, y: y.px(r.value).clamp(plot_top, bottom) })
            .collect();
        right_labels.sort_by(|a, b| a.y.total_cmp(&b.y));
        for i in 1..right_labels.len() {
            let min = right_labels[i - 1].y + gap;
            if right_labels[i].y < min {
                right_labels[i].y = min;
            }
        }
        let n = right_labels.len();
        if n > 0 && right_labels[n - 1].y > bottom {
            right_labels[n - 1].y = bottom;
            for i in (0..n - 1).rev() {
                let max = right_labels[i + 1].y - gap;
                if right_labels[i].y > max {
                    right_labels[i].y = max;
                }
            }
        }

        Frame {
            spec,
            left,
            top: plot_top,
            right,
            bottom,
            x,
            y,
            yticks,
            xticks,
            title,
            title_base,
            fact_lines,
            legend,
            markers,
            labels: right_labels,
            m,
            s_title,
            s_text,
            s_tick,
        }
    }

    /// Background, title, facts, legend, grid, axes and their labels: everything under the data.
    pub fn draw_back<B: Surface>(&self, c: &mut Canvas<B>) -> R {
        let u = c.u;
        let pal = c.pal.clone();
        c.background()?;

        c.group("tb-title", &[]);
        c.text(&self.title, self.m, self.title_base, self.s_title, pal.fg, Align::Start)?;
        c.end();
        if !self.fact_lines.is_empty() {
            c.group("tb-facts", &[]);
            for (l, base) in &self.fact_lines {
                c.text(l, self.m, *base, self.s_text, pal.muted, Align::Start)?;
            }
            c.end();
        }

        if !self.legend.is_empty() {
            c.group("tb-legend", &[]);
            for p in &self.legend {
                let it = &p.item;
                c.group("tb-legend-item", &[("data-series", it.id.clone())]);
                let (x, y) = (p.x, p.y);
                let sw = 18.0 * u;
                match it.swatch {
                    Swatch::Box => c.rect(x, y - 5.0 * u, x + sw, y + 5.0 * u, it.color)?,
                    Swatch::Band => c.rect(x, y - 6.0 * u, x + sw, y + 6.0 * u, it.color)?,
                    Swatch::Line => c.line(&[(x, y), (x + sw, y)], it.color, 2.5 * u)?,
                    Swatch::Dashed => c.dashed(&[(x, y), (x + sw, y)], it.color, 2.0 * u, 4.0 * u, 3.0 * u)?,
                }
                c.text(&it.label, x + sw + 5.0 * u, y + c.cap_h(self.s_text) / 2.0, self.s_text, pal.fg, Align::Start)?;
                c.end();
            }
            c.end();
        }

        let f = |v: f64| format!("{v}");
        c.group(
            "tb-plot",
            &[
                ("data-left", f(self.left)),
                ("data-top", f(self.top)),
                ("data-right", f(self.right)),
                ("data-bottom", f(self.bottom)),
                ("data-x-min", f(self.x.min)),
                ("data-x-max", f(self.x.max)),
                ("data-y-min", f(self.y.min)),
                ("data-y-max", f(self.y.max)),
                ("data-y-scale", if self.y.scale == Scale::Log { "log" } else { "linear" }.to_string()),
            ],
        );
        c.end();

        // Grid.
        c.group("tb-grid", &[]);
        for t in &self.xticks {
            let gx = self.xp(t.grid);
            if gx > self.left + 1.0 && gx < self.right - 1.0 {
                c.line(&[(gx, self.top), (gx, self.bottom)], pal.grid, 1.0)?;
            }
        }
        for &v in &self.yticks.values {
            let gy = self.yp(v);
            c.line(&[(self.left, gy), (self.right, gy)], pal.grid, 1.0)?;
        }
        c.end();

        // Y axis labels.
        let ytop = self.yticks.values.last().copied().unwrap_or(1.0);
        c.group("tb-axis tb-y", &[]);
        for &v in &self.yticks.values {
            let label = y_label(v, &self.yticks, ytop, self.y.scale, self.spec.measure);
            c.group("tb-tick", &[("data-value", format!("{v}"))]);
            c.text(
                &label,
                self.left - 7.0 * u,
                self.yp(v) + c.cap_h(self.s_tick) / 2.0,
                self.s_tick,
                pal.muted,
                Align::End,
            )?;
            c.end();
        }
        c.end();
        c.group("tb-axis-title tb-y-title", &[]);
        c.text_up(
            &self.spec.y_title,
            self.m + self.s_text * 0.8,
            (self.top + self.bottom) / 2.0,
            self.s_text,
            pal.muted,
        )?;
        c.end();

        // X axis: baseline, labels, year row, title.
        c.group("tb-axis tb-x", &[]);
        let zero = if self.y.scale == Scale::Linear && self.y.min < 0.0 { self.yp(0.0) } else { self.bottom };
        c.line(&[(self.left, zero), (self.right, zero)], pal.axis, u.max(1.0))?;
        let base1 = self.bottom + 6.0 * u + c.cap_h(self.s_tick);
        let base2 = base1 + self.s_tick * 1.25;
        let mut last_year_end = f64::NEG_INFINITY;
        let mut years: Vec<(String, f64)> = Vec::new();
        for t in &self.xticks {
            let w = c.text_w(&t.label, self.s_tick);
            let cx = self.xp(t.at).clamp(w / 2.0 + 2.0, c.w - w / 2.0 - 2.0);
            c.group("tb-tick", &[("data-date", axis::date_of(t.at).to_string())]);
            c.text(&t.label, cx, base1, self.s_tick, pal.muted, Align::Middle)?;
            c.end();
            if let Some(y) = &t.year {
                let yw = c.text_w(y, self.s_tick);
                let yx = cx.clamp(yw / 2.0 + 2.0, c.w - yw / 2.0 - 2.0);
                if yx - yw / 2.0 < last_year_end + self.s_tick {
                    // Too close to the previous year label (the first tick's): the year that
                    // starts here wins.
                    years.pop();
                }
                years.push((y.clone(), yx));
                last_year_end = yx + yw / 2.0;
            }
        }
        for (y, yx) in years {
            c.text(&y, yx, base2, self.s_tick, pal.muted, Align::Middle)?;
        }
        c.end();
        if !self.spec.x_title.is_empty() {
            c.group("tb-axis-title tb-x-title", &[]);
            c.text(
                &self.spec.x_title,
                (self.left + self.right) / 2.0,
                c.h - self.m - self.s_text * 0.25,
                self.s_text,
                pal.muted,
                Align::Middle,
            )?;
            c.end();
        }
        Ok(())
    }

    /// Marker lines and labels, and right-margin labels: everything over the data.
    pub fn draw_front<B: Surface>(&self, c: &mut Canvas<B>) -> R {
        let u = c.u;
        let bg = c.pal.bg;
        for p in &self.markers {
            let mk = &p.item;
            let x = self.xp(mk.x);
            c.group(&format!("tb-marker {}", mk.class), &[("data-date", mk.date.to_string())]);
            c.dashed(&[(x, self.top), (x, self.bottom)], mk.color, 1.5 * u, 5.0 * u, 4.0 * u)?;
            c.text(&mk.text, p.x, p.y, self.s_text, mk.color, Align::Middle)?;
            c.end();
        }
        if !self.labels.is_empty() {
            c.group("tb-line-labels", &[]);
            for p in &self.labels {
                let r = &p.item;
                let ly = self.yp(r.value);
                if (ly - p.y).abs() > 2.0 * u && ly >= self.top && ly <= self.bottom {
                    c.line(&[(self.right, ly), (p.x - 2.0 * u, p.y)], r.color.alpha(0.6), 1.0)?;
                }
                let w = c.text_w(&r.text, self.s_tick);
                let cap = c.cap_h(self.s_tick);
                c.rect(p.x - u, p.y - cap * 0.9, p.x + w + u, p.y + cap * 0.9, bg)?;
                c.text(&r.text, p.x, p.y + cap / 2.0, self.s_tick, r.color, Align::Start)?;
            }
            c.end();
        }
        Ok(())
    }

    /// A message in the middle of the plot (no data).
    pub fn message<B: Surface>(&self, c: &mut Canvas<B>, text: &str) -> R {
        let pal = c.pal.clone();
        let s = self.s_text * 1.1;
        let w = c.text_w(text, s);
        let (cx, cy) = ((self.left + self.right) / 2.0, (self.top + self.bottom) / 2.0);
        c.group("tb-empty", &[]);
        let pad = 12.0 * c.u;
        c.rect(cx - w / 2.0 - pad, cy - s, cx + w / 2.0 + pad, cy + s, pal.shade)?;
        c.text(text, cx, cy + c.cap_h(s) / 2.0, s, pal.fg, Align::Middle)?;
        c.end();
        Ok(())
    }
}

fn y_label(v: f64, t: &Ticks, top: f64, scale: Scale, m: Measure) -> String {
    match scale {
        Scale::Linear => format::tick(v, t.step, top, m),
        Scale::Log => match m {
            Measure::Usd => format!("${}", format::log_tick(v)),
            Measure::Tokens => format::log_tick(v),
        },
    }
}
