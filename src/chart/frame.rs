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
        let sz = Sizes::of(c.u);
        let (u, m) = (sz.u, sz.m);
        let avail = c.w - 2.0 * m;

        let title = fit_title(c, &spec.title, sz.title, avail);
        let mut top = m;
        let title_base = top + c.cap_h(sz.title);
        top += sz.title * 0.95;

        let mut fact_lines = Vec::new();
        for l in wrap_facts(c, &spec.facts, sz.text, avail) {
            top += sz.line_h;
            fact_lines.push((l, top - sz.text * 0.3));
        }

        let (legend, legend_bottom) = place_legend(c, &spec.legend, sz, top);
        top = legend_bottom;
        // Room for the top value label's upper half.
        top += 6.0 * u + sz.tick * 0.5;

        let right_w = spec.right.iter().map(|r| c.text_w(&r.text, sz.tick)).fold(0.0, f64::max);
        let right = c.w - m - if right_w > 0.0 { right_w + 12.0 * u } else { 16.0 * u };
        let plot = fit_plot(c, &spec, sz, top, right);
        let labels = place_right_labels(&spec.right, &plot.y, right + 8.0 * u, plot.top, plot.bottom, sz.tick * 1.2);

        Frame {
            spec,
            left: plot.left,
            top: plot.top,
            right,
            bottom: plot.bottom,
            x: plot.x,
            y: plot.y,
            yticks: plot.yticks,
            xticks: plot.xticks,
            title,
            title_base,
            fact_lines,
            legend,
            markers: plot.markers,
            labels,
            m,
            s_title: sz.title,
            s_text: sz.text,
            s_tick: sz.tick,
        }
    }

    /// Background, title, facts, legend, grid, axes and their labels: everything under the data.
    pub fn draw_back<B: Surface>(&self, c: &mut Canvas<B>) -> R {
        c.background()?;
        self.draw_heading(c)?;
        self.draw_legend(c)?;
        self.draw_plot_box(c);
        self.draw_grid(c)?;
        self.draw_y_axis(c)?;
        self.draw_x_axis(c)
    }

    /// The title and the facts lines.
    fn draw_heading<B: Surface>(&self, c: &mut Canvas<B>) -> R {
        let (fg, muted) = (c.pal.fg, c.pal.muted);
        c.group("tb-title", &[]);
        c.text(&self.title, self.m, self.title_base, self.s_title, fg, Align::Start)?;
        c.end();
        if !self.fact_lines.is_empty() {
            c.group("tb-facts", &[]);
            for (l, base) in &self.fact_lines {
                c.text(l, self.m, *base, self.s_text, muted, Align::Start)?;
            }
            c.end();
        }
        Ok(())
    }

    fn draw_legend<B: Surface>(&self, c: &mut Canvas<B>) -> R {
        if self.legend.is_empty() {
            return Ok(());
        }
        let (u, fg) = (c.u, c.pal.fg);
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
            c.text(&it.label, x + sw + 5.0 * u, y + c.cap_h(self.s_text) / 2.0, self.s_text, fg, Align::Start)?;
            c.end();
        }
        c.end();
        Ok(())
    }

    /// An empty group that states the plot's box and its axes' ranges, for the app and tests.
    fn draw_plot_box<B: Surface>(&self, c: &mut Canvas<B>) {
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
    }

    fn draw_grid<B: Surface>(&self, c: &mut Canvas<B>) -> R {
        let grid = c.pal.grid;
        c.group("tb-grid", &[]);
        for t in &self.xticks {
            let gx = self.xp(t.grid);
            if gx > self.left + 1.0 && gx < self.right - 1.0 {
                c.line(&[(gx, self.top), (gx, self.bottom)], grid, 1.0)?;
            }
        }
        for &v in &self.yticks.values {
            let gy = self.yp(v);
            c.line(&[(self.left, gy), (self.right, gy)], grid, 1.0)?;
        }
        c.end();
        Ok(())
    }

    /// The value labels and the y axis's title.
    fn draw_y_axis<B: Surface>(&self, c: &mut Canvas<B>) -> R {
        let (u, muted) = (c.u, c.pal.muted);
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
                muted,
                Align::End,
            )?;
            c.end();
        }
        c.end();
        c.group("tb-axis-title tb-y-title", &[]);
        c.text_up(&self.spec.y_title, self.m + self.s_text * 0.8, (self.top + self.bottom) / 2.0, self.s_text, muted)?;
        c.end();
        Ok(())
    }

    /// The x axis: baseline, date labels, year row and title.
    fn draw_x_axis<B: Surface>(&self, c: &mut Canvas<B>) -> R {
        let (u, muted, axis) = (c.u, c.pal.muted, c.pal.axis);
        c.group("tb-axis tb-x", &[]);
        let zero = if self.y.scale == Scale::Linear && self.y.min < 0.0 { self.yp(0.0) } else { self.bottom };
        c.line(&[(self.left, zero), (self.right, zero)], axis, u.max(1.0))?;
        let base1 = self.bottom + 6.0 * u + c.cap_h(self.s_tick);
        let base2 = base1 + self.s_tick * 1.25;
        let mut last_year_end = f64::NEG_INFINITY;
        let mut years: Vec<(String, f64)> = Vec::new();
        for t in &self.xticks {
            let w = c.text_w(&t.label, self.s_tick);
            let cx = self.xp(t.at).clamp(w / 2.0 + 2.0, c.w - w / 2.0 - 2.0);
            c.group("tb-tick", &[("data-date", axis::date_of(t.at).to_string())]);
            c.text(&t.label, cx, base1, self.s_tick, muted, Align::Middle)?;
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
            c.text(&y, yx, base2, self.s_tick, muted, Align::Middle)?;
        }
        c.end();
        if !self.spec.x_title.is_empty() {
            c.group("tb-axis-title tb-x-title", &[]);
            let base = c.h - self.m - self.s_text * 0.25;
            c.text(&self.spec.x_title, (self.left + self.right) / 2.0, base, self.s_text, muted, Align::Middle)?;
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

/// The frame's lengths at the canvas's scale `u`: margin, text sizes, line height.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    u: f64,
    m: f64,
    title: f64,
    text: f64,
    tick: f64,
    line_h: f64,
}

impl Sizes {
    fn of(u: f64) -> Sizes {
        let text = 14.0 * u;
        Sizes { u, m: 14.0 * u, title: 19.0 * u, text, tick: 13.0 * u, line_h: text * 1.3 }
    }
}

/// The title, shortened to fit `avail`.
fn fit_title<B: Surface>(c: &Canvas<B>, title: &str, size: f64, avail: f64) -> String {
    let mut title = title.to_string();
    while c.text_w(&title, size) > avail && title.chars().count() > 4 {
        let n = title.chars().count();
        title = format::shorten(&title, n - 2);
    }
    title
}

/// The facts joined into lines no wider than `avail`, wrapped at the separators.
fn wrap_facts<B: Surface>(c: &Canvas<B>, facts: &[String], size: f64, avail: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for f in facts {
        match lines.last_mut() {
            Some(l) if c.text_w(&format!("{l} · {f}"), size) <= avail => *l = format!("{l} · {f}"),
            _ => lines.push(f.clone()),
        }
    }
    lines
}

/// The legend entries in rows wrapped to the width, from `top`; and where the legend ends.
fn place_legend<B: Surface>(
    c: &Canvas<B>,
    items: &[LegendItem],
    sz: Sizes,
    top: f64,
) -> (Vec<Placed<LegendItem>>, f64) {
    let (u, m) = (sz.u, sz.m);
    let sw = 18.0 * u;
    let mut legend = Vec::new();
    if items.is_empty() {
        return (legend, top);
    }
    let top = top + 8.0 * u;
    let mut x = m;
    let mut row_top = top;
    for it in items {
        let iw = sw + 5.0 * u + c.text_w(&it.label, sz.text);
        if x > m && x + iw > c.w - m {
            x = m;
            row_top += sz.line_h;
        }
        legend.push(Placed { item: it.clone(), x, y: row_top + sz.line_h / 2.0 });
        x += iw + 16.0 * u;
    }
    (legend, row_top + sz.line_h)
}

/// The plot area and its axes, as [`fit_plot`] settles them.
struct Plot {
    left: f64,
    top: f64,
    bottom: f64,
    x: Axis,
    y: Axis,
    yticks: Ticks,
    xticks: Vec<DateTick>,
    markers: Vec<Placed<Marker>>,
}

/// The plot area below `top` and left of `right`, in two passes: the value labels' width
/// sets the left margin, the plot height sets how many value labels there are.
fn fit_plot<B: Surface>(c: &Canvas<B>, spec: &Spec, sz: Sizes, top: f64, right: f64) -> Plot {
    let (u, m, s_tick) = (sz.u, sz.m, sz.tick);
    let has_year_row = |t: &[DateTick]| t.iter().any(|t| t.year_of.is_some());
    let x_title_h = if spec.x_title.is_empty() { 0.0 } else { sz.text * 1.3 };
    let mut plot_top = top + if spec.markers.is_empty() { 0.0 } else { sz.line_h + 4.0 * u };
    let mut bottom = c.h - m - x_title_h - 2.0 * s_tick * 1.25 - 6.0 * u;
    let mut out = None;
    for _ in 0..2 {
        let plot_h = (bottom - plot_top).max(20.0 * u);
        let yticks = y_ticks(spec, plot_h, s_tick);
        let ytop = yticks.values.last().copied().unwrap_or(1.0);
        let label_w = yticks
            .values
            .iter()
            .map(|&v| c.text_w(&y_label(v, &yticks, ytop, spec.y_scale, spec.measure), s_tick))
            .fold(0.0, f64::max);
        let left = m + sz.text + 8.0 * u + label_w + 7.0 * u;
        let x = Axis { scale: Scale::Linear, min: spec.x.0, max: spec.x.1, p0: left, p1: right };
        let xticks = x_ticks(c, spec, &x, left, sz);
        let rows = if has_year_row(&xticks) { 2.0 } else { 1.0 };
        bottom = c.h - m - x_title_h - rows * s_tick * 1.25 - 6.0 * u;
        let (markers, rows_used) = place_markers(c, &spec.markers, &x, left, sz);
        plot_top = top + rows_used as f64 * sz.line_h + if rows_used > 0 { 4.0 * u } else { 0.0 };
        let y = Axis { scale: spec.y_scale, min: yticks.min, max: yticks.max, p0: bottom, p1: plot_top };
        let markers = markers
            .into_iter()
            .map(|(mk, cx, row)| Placed { item: mk, x: cx, y: top + (row as f64 + 1.0) * sz.line_h - sz.text * 0.35 })
            .collect();
        out = Some(Plot { left, top: plot_top, bottom, x, y, yticks, xticks, markers });
    }
    out.expect("two passes ran")
}

/// Value ticks for a plot `plot_h` pixels high.
fn y_ticks(spec: &Spec, plot_h: f64, s_tick: f64) -> Ticks {
    match spec.y_scale {
        Scale::Linear => {
            let target = (plot_h / (s_tick * 3.4)).round().clamp(2.0, 10.0) as usize;
            linear_ticks(spec.y.0.min(0.0), spec.y.1, target)
        }
        Scale::Log => {
            let max_count = (plot_h / (s_tick * 2.2)).floor().max(2.0) as usize;
            log_ticks(spec.y.0.max(1.0), spec.y.1.max(10.0), max_count)
        }
    }
}

/// Date ticks along `x`, with their years assigned.
fn x_ticks<B: Surface>(c: &Canvas<B>, spec: &Spec, x: &Axis, left: f64, sz: Sizes) -> Vec<DateTick> {
    let (u, s_tick) = (sz.u, sz.tick);
    let xticks =
        date_ticks(spec.x.0, spec.x.1, |v| x.px(v), |s| c.text_w(s, s_tick), 1.6 * s_tick, &c.loc, spec.weeks_centered);
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
    xticks
}

/// Marker labels: above the plot, in up to two rows; a label that fits in neither is
/// dropped (its line stays, and the facts line says it). Each kept marker with its label's
/// centre and row, and the number of rows used.
fn place_markers<B: Surface>(
    c: &Canvas<B>,
    all: &[Marker],
    x: &Axis,
    left: f64,
    sz: Sizes,
) -> (Vec<(Marker, f64, usize)>, usize) {
    let u = sz.u;
    let mut rows_used = 0usize;
    let mut taken: Vec<Vec<(f64, f64)>> = vec![Vec::new(), Vec::new()];
    let mut markers = Vec::new();
    for mk in all {
        let w = c.text_w(&mk.text, sz.text);
        let cx = x.px(mk.x).clamp(left + w / 2.0, c.w - sz.m - w / 2.0);
        let span = (cx - w / 2.0 - 4.0 * u, cx + w / 2.0 + 4.0 * u);
        if let Some(row) = (0..2).find(|&r| taken[r].iter().all(|&(a, b)| span.1 < a || span.0 > b)) {
            taken[row].push(span);
            rows_used = rows_used.max(row + 1);
            markers.push((mk.clone(), cx, row));
        }
    }
    (markers, rows_used)
}

/// Right-margin labels at `x`: at their line's height, pushed at least `gap` apart, kept
/// between `top` and `bottom`.
fn place_right_labels(
    right: &[RightLabel],
    y: &Axis,
    x: f64,
    top: f64,
    bottom: f64,
    gap: f64,
) -> Vec<Placed<RightLabel>> {
    let mut labels: Vec<Placed<RightLabel>> =
        right.iter().map(|r| Placed { item: r.clone(), x, y: y.px(r.value).clamp(top, bottom) }).collect();
    labels.sort_by(|a, b| a.y.total_cmp(&b.y));
    for i in 1..labels.len() {
        let min = labels[i - 1].y + gap;
        if labels[i].y < min {
            labels[i].y = min;
        }
    }
    let n = labels.len();
    if n > 0 && labels[n - 1].y > bottom {
        labels[n - 1].y = bottom;
        for i in (0..n - 1).rev() {
            let max = labels[i + 1].y - gap;
            if labels[i].y > max {
                labels[i].y = max;
            }
        }
    }
    labels
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
