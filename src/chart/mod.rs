//! Charts, drawn with plotters, so the desktop app, the CLI and exported reports show the
//! same pictures: budget burn-down with its forecast fan, spend-to-compensation ratio,
//! tokens per month (log scale), weekly spend stacked by model/provider/project, and daily
//! spend.
//!
//! This module is a pure renderer over plain data: each kind has a data struct
//! ([`BurnData`], [`RatioData`], [`TokensData`], [`BreakdownData`], [`DailyData`]) that the
//! caller fills from the ledger, the budget and the forecast ([`feed`] does it for every
//! kind). The renderer does not read the ledger, compute forecasts or read the clock: the
//! day a chart is drawn on ("today", in the ledger's zone) comes in its data.
//! [`render_svg`] returns an SVG document (text is real `<text>`, and every series, line and
//! axis is a `<g class="tb-...">` group with its values in `data-` attributes, for the app to
//! style and tests to check); [`render_png`] returns a PNG drawn by plotters' bitmap backend
//! with the embedded DejaVu Sans, so no system font is needed.
//!
//! Invariant: money stays integer ([`Usd`](crate::money::Usd)) in the data structs and in
//! every amount printed on a chart; it becomes `f64` only as a plotting coordinate.

mod axis;
mod breakdown;
mod burn;
mod canvas;
mod daily;
pub mod feed;
mod format;
mod frame;
mod ratio;
pub mod sample;
mod svg;
mod theme;
mod tokens;

use std::collections::HashMap;
use std::path::Path;

use plotters::prelude::BitMapBackend;

pub use breakdown::{BreakdownData, WeekSpend};
pub use burn::{BurnData, FanPoint};
pub use daily::DailyData;
pub use format::{DateLocale, DateOrder};
pub use ratio::{RatioData, Reference};
pub use theme::{Theme, SERIES_COLORS};
pub use tokens::{MonthTokens, TokensData};

use canvas::{Canvas, Surface};
use svg::SvgSurface;
use theme::Palette;

/// One chart and its data.
#[derive(Debug, Clone)]
pub enum Chart {
    Burn(BurnData),
    Ratio(RatioData),
    Tokens(TokensData),
    Breakdown(BreakdownData),
    Daily(DailyData),
}

impl Chart {
    /// The kind's name, as on the command line ("burn", "ratio", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Chart::Burn(_) => "burn",
            Chart::Ratio(_) => "ratio",
            Chart::Tokens(_) => "tokens",
            Chart::Breakdown(_) => "breakdown",
            Chart::Daily(_) => "daily",
        }
    }

    /// The chart's title.
    pub fn title(&self) -> String {
        match self {
            Chart::Burn(d) => d.title(),
            Chart::Ratio(d) => d.title(),
            Chart::Tokens(d) => d.title(),
            Chart::Breakdown(d) => d.title(),
            Chart::Daily(d) => d.title(),
        }
    }
}

/// What a budget or a series is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// Amounts are nano-dollars (the `i64` inside [`Usd`](crate::money::Usd)).
    #[default]
    Usd,
    /// Amounts are tokens.
    Tokens,
}

/// How to draw: size in pixels, theme and the locale dates are written in.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
    pub locale: DateLocale,
}

impl Default for Options {
    fn default() -> Self {
        Options { width: 800, height: 500, theme: Theme::Light, locale: DateLocale::default() }
    }
}

/// Smallest and largest width or height accepted.
pub const MIN_SIDE: u32 = 240;
pub const MAX_SIDE: u32 = 6000;

/// Parses "800x500".
pub fn parse_size(s: &str) -> Result<(u32, u32), ChartError> {
    let bad = || ChartError::NotASize(s.to_string());
    let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h) = (w.trim().parse().map_err(|_| bad())?, h.trim().parse().map_err(|_| bad())?);
    check_size(w, h)?;
    Ok((w, h))
}

fn check_size(width: u32, height: u32) -> Result<(), ChartError> {
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        return Err(ChartError::Size { width, height });
    }
    Ok(())
}

/// Output file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    /// The format a file name asks for, by its extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "svg" => Some(Format::Svg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("chart size {width}x{height} is out of range (each side {MIN_SIDE} to {MAX_SIDE} pixels)")]
    Size { width: u32, height: u32 },
    #[error("{0:?} is not a size (use WIDTHxHEIGHT, e.g. 800x500)")]
    NotASize(String),
    #[error("drawing the chart: {0}")]
    Draw(String),
    #[error("encoding the PNG: {0}")]
    Png(String),
}

impl ChartError {
    /// A stable machine-readable code for the UI and scripts.
    pub fn code(&self) -> crate::error::Code {
        use crate::error::Code;
        match self {
            ChartError::Size { .. } => Code::ChartSize,
            ChartError::NotASize(_) => Code::InvalidInput,
            ChartError::Draw(_) => Code::ChartDraw,
            ChartError::Png(_) => Code::ChartPng,
        }
    }
}

pub type Result<T, E = ChartError> = std::result::Result<T, E>;

fn draw<B: Surface>(c: &mut Canvas<B>, chart: &Chart) -> Result<()> {
    match chart {
        Chart::Burn(d) => d.draw(c),
        Chart::Ratio(d) => d.draw(c),
        Chart::Tokens(d) => d.draw(c),
        Chart::Breakdown(d) => d.draw(c),
        Chart::Daily(d) => d.draw(c),
    }
}

/// Renders the chart as an SVG document.
pub fn render_svg(chart: &Chart, opts: &Options) -> Result<String> {
    check_size(opts.width, opts.height)?;
    let surface = SvgSurface::new((opts.width, opts.height), chart.kind(), &chart.title());
    let mut c = Canvas::new(surface, Palette::of(opts.theme), opts.locale, false)?;
    draw(&mut c, chart)?;
    Ok(c.finish()?.finish())
}

/// Images up to this many pixels (800x500 is 0.4 M) are drawn at twice the size and averaged
/// down, because plotters' bitmap backend does not anti-alias lines. Larger ones are drawn
/// as they are: their lines are several pixels wide, and four times the pixels would break
/// the 50 ms budget (benches/chart.rs).
const SUPERSAMPLE_MAX_PIXELS: usize = 1_000_000;

/// Renders the chart as 8-bit RGB pixels, row by row (`width * height * 3` bytes).
pub fn render_rgb(chart: &Chart, opts: &Options) -> Result<Vec<u8>> {
    check_size(opts.width, opts.height)?;
    let (w, h) = (opts.width as usize, opts.height as usize);
    let ss = if w * h <= SUPERSAMPLE_MAX_PIXELS { 2 } else { 1 };
    let (bw, bh) = (w * ss, h * ss);
    let pal = Palette::of(opts.theme);
    let mut buf = [pal.bg.r, pal.bg.g, pal.bg.b].repeat(bw * bh);
    {
        let b = BitMapBackend::with_buffer(&mut buf, (bw as u32, bh as u32));
        let mut c = Canvas::new(b, pal, opts.locale, true)?;
        draw(&mut c, chart)?;
        c.finish()?;
    }
    if ss == 1 {
        return Ok(buf);
    }
    // Average each 2x2 block: add the row pair (vectorises), then the neighbouring pixels.
    let mut out = vec![0u8; w * h * 3];
    let row = bw * 3;
    let mut sum = vec![0u16; row];
    for (y, dst) in out.chunks_exact_mut(w * 3).enumerate() {
        let pair = &buf[2 * y * row..(2 * y + 2) * row];
        let (r0, r1) = pair.split_at(row);
        let (r0, r1, sum) = (&r0[..row], &r1[..row], &mut sum[..row]);
        for i in 0..row {
            sum[i] = r0[i] as u16 + r1[i] as u16;
        }
        for (d, s) in dst.chunks_exact_mut(3).zip(sum.chunks_exact(6)) {
            d[0] = ((s[0] + s[3] + 2) >> 2) as u8;
            d[1] = ((s[1] + s[4] + 2) >> 2) as u8;
            d[2] = ((s[2] + s[5] + 2) >> 2) as u8;
        }
    }
    Ok(out)
}

/// Renders the chart as a PNG image.
pub fn render_png(chart: &Chart, opts: &Options) -> Result<Vec<u8>> {
    let rgb = render_rgb(chart, opts)?;
    let mut out = Vec::with_capacity(rgb.len() / 8);
    {
        let mut enc = png::Encoder::new(&mut out, opts.width, opts.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().map_err(|e| ChartError::Png(e.to_string()))?;
        w.write_image_data(&rgb).map_err(|e| ChartError::Png(e.to_string()))?;
        w.finish().map_err(|e| ChartError::Png(e.to_string()))?;
    }
    Ok(out)
}

/// Renders in `format`.
pub fn render(chart: &Chart, opts: &Options, format: Format) -> Result<Vec<u8>> {
    match format {
        Format::Svg => render_svg(chart, opts).map(String::into_bytes),
        Format::Png => render_png(chart, opts),
    }
}

/// The label of the bucket that gathers the keys past the top N. Rows whose key is `OTHER`
/// are taken as already gathered (a caller that queried only the top keys sends the rest
/// under this key): they always go to the "other" bucket.
pub const OTHER: &str = "other";

/// Keys ranked by their total (largest first, then by name), the first `top` kept and the
/// rest gathered into [`OTHER`]. Returns the kept keys, each key's slot (the number of kept
/// keys for other), and whether there is an other bucket.
pub(crate) fn rank(totals: &HashMap<String, i128>, top: usize) -> (Vec<String>, HashMap<String, usize>, bool) {
    let mut keys: Vec<(&String, i128)> = totals.iter().filter(|(k, _)| *k != OTHER).map(|(k, &v)| (k, v)).collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let keep = top.clamp(1, SERIES_COLORS).min(keys.len());
    let kept: Vec<String> = keys.iter().take(keep).map(|(k, _)| (*k).clone()).collect();
    let mut slot: HashMap<String, usize> =
        keys.iter().enumerate().map(|(i, (k, _))| ((*k).clone(), i.min(keep))).collect();
    slot.insert(OTHER.to_string(), keep);
    let other = keys.len() > keep || totals.contains_key(OTHER);
    (kept, slot, other)
}

/// The name of slot `i` of a chart ranked by [`rank`]: a kept key, or [`OTHER`] past them.
pub(crate) fn slot_name(kept: &[String], i: usize) -> String {
    kept.get(i).cloned().unwrap_or_else(|| OTHER.to_string())
}

/// The colour of slot `i` of a chart ranked by [`rank`] that kept `kept` keys.
pub(crate) fn slot_color(pal: &Palette, kept: usize, i: usize) -> theme::Color {
    if i < kept {
        pal.series[i]
    } else {
        pal.other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("800x500").unwrap(), (800, 500));
        assert_eq!(parse_size("1600X1000").unwrap(), (1600, 1000));
        assert!(matches!(parse_size("10x10"), Err(ChartError::Size { .. })));
        assert!(parse_size("big").is_err());
    }

    #[test]
    fn ranks_top_n_plus_other() {
        let t: HashMap<String, i128> =
            [("a", 5), ("b", 9), ("c", 1), ("d", 9)].iter().map(|&(k, v)| (k.to_string(), v)).collect();
        let (kept, slot, other) = rank(&t, 2);
        assert_eq!(kept, vec!["b", "d"]);
        assert!(other);
        assert_eq!(slot["a"], 2);
        assert_eq!(slot["c"], 2);
        let (kept, _, other) = rank(&t, 4);
        assert_eq!(kept.len(), 4);
        assert!(!other);
        // Pre-gathered rows stay "other", however large.
        let mut t = t;
        t.insert(OTHER.to_string(), 100);
        let (kept, slot, other) = rank(&t, 2);
        assert_eq!(kept, vec!["b", "d"]);
        assert_eq!(slot[OTHER], 2);
        assert!(other);
    }
}
