//! The drawing surface the chart kinds draw on: plotters backends (bitmap, or this module's
//! SVG surface) behind a small API in `f64` pixel coordinates, the embedded font, and
//! semantic groups.
//!
//! Invariant: text is measured with the same font that draws it (DejaVu Sans, embedded),
//! so layout decisions (how many ticks fit, where a label may go) hold in the PNG exactly
//! and in the SVG wherever a viewer renders with that font or a narrower one.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef};
use plotters::prelude::BitMapBackend;
use plotters::style::{FontDesc, FontFamily, FontStyle, FontTransform, TextStyle};
use plotters_backend::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendColor, BackendStyle, DrawingBackend, DrawingErrorKind};

use super::format::DateLocale;
use super::theme::{Color, Palette};
use super::ChartError;

/// The name plotters knows the embedded font by.
pub(crate) const FONT_NAME: &str = "DejaVu Sans";
/// What SVG text asks a viewer for: the same font, else metrically close fallbacks.
pub(crate) const SVG_FONT_FAMILY: &str = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        let f = FontRef::try_from_slice(FONT_BYTES).expect("the embedded font parses");
        // Plotters' bitmap text looks fonts up by name in its own table.
        plotters::style::register_font(FONT_NAME, FontStyle::Normal, FONT_BYTES)
            .unwrap_or_else(|_| panic!("the embedded font registers"));
        f
    })
}

/// Advances of the ASCII characters in font units (measuring is the hot path of layout).
fn ascii_advances() -> &'static [f64; 128] {
    static ADV: OnceLock<[f64; 128]> = OnceLock::new();
    ADV.get_or_init(|| {
        let f = font();
        let mut a = [0.0; 128];
        for (i, v) in a.iter_mut().enumerate() {
            *v = f.h_advance_unscaled(f.glyph_id(i as u8 as char)) as f64;
        }
        a
    })
}

/// Em size per unit of plotters' font "size" (an ab_glyph pixel scale, which is the
/// font's ascent-to-descent height).
pub(crate) fn em_per_scale() -> f64 {
    static EM: OnceLock<f64> = OnceLock::new();
    *EM.get_or_init(|| {
        let f = font();
        f.units_per_em().unwrap_or(2048.0) as f64 / f.height_unscaled() as f64
    })
}

/// A plotters backend the charts can draw on, with optional semantic grouping.
pub(crate) trait Surface: DrawingBackend {
    fn open_group(&mut self, _class: &str, _attrs: &[(&str, String)]) {}
    fn close_group(&mut self) {}
    /// Draws `path` dashed (`dash`: pixels on, then off, along it) as one shape, if the
    /// surface can; false leaves the dashes to the caller.
    fn dashed(&mut self, _path: &[(i32, i32)], _color: BackendColor, _width: u32, _dash: (f64, f64)) -> bool {
        false
    }
}

impl Surface for BitMapBackend<'_> {}

/// Horizontal alignment of text at its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Start,
    Middle,
    End,
}

struct Stroke {
    color: BackendColor,
    width: u32,
}

impl BackendStyle for Stroke {
    fn color(&self) -> BackendColor {
        self.color
    }
    fn stroke_width(&self) -> u32 {
        self.width
    }
}

fn bc(c: Color) -> BackendColor {
    BackendColor { alpha: c.a, rgb: (c.r, c.g, c.b) }
}

fn px(v: f64) -> i32 {
    v.round() as i32
}

fn stroke(c: Color, width: f64) -> Stroke {
    Stroke { color: bc(c), width: width.round().max(1.0) as u32 }
}

/// A polyline's points in whole pixels, without repeats (at least two).
fn pixels(pts: &[(f64, f64)]) -> Vec<(i32, i32)> {
    let mut path: Vec<(i32, i32)> = Vec::with_capacity(pts.len());
    for &(x, y) in pts {
        let p = (px(x), px(y));
        if path.last() != Some(&p) {
            path.push(p);
        }
    }
    if path.len() == 1 {
        path.push(path[0]);
    }
    path
}

fn check<E: std::error::Error + Send + Sync>(r: Result<(), DrawingErrorKind<E>>) -> Result<(), ChartError> {
    r.map_err(|e| ChartError::Draw(e.to_string()))
}

/// A surface with the chart's size, scale, palette and locale.
pub(crate) struct Canvas<B: Surface> {
    b: B,
    pub w: f64,
    pub h: f64,
    /// Pixels per design unit: 1 at 800x500, 2 at 1600x1000. Every length is a multiple.
    pub u: f64,
    pub pal: Palette,
    pub loc: DateLocale,
    /// The surface is already filled with the background colour.
    painted: bool,
}

impl<B: Surface> Canvas<B> {
    /// A canvas on `b`; `painted` when `b` is already filled with `pal.bg`.
    pub fn new(mut b: B, pal: Palette, loc: DateLocale, painted: bool) -> Result<Canvas<B>, ChartError> {
        let (w, h) = b.get_size();
        check(b.ensure_prepared())?;
        let u = (w as f64 / 800.0).min(h as f64 / 500.0).clamp(0.5, 8.0);
        font();
        Ok(Canvas { b, w: w as f64, h: h as f64, u, pal, loc, painted })
    }

    pub fn finish(mut self) -> Result<B, ChartError> {
        check(self.b.present())?;
        Ok(self.b)
    }

    /// Paints the whole canvas in the background colour, unless the surface came painted.
    pub fn background(&mut self) -> Result<(), ChartError> {
        if self.painted {
            return Ok(());
        }
        let (w, h, bg) = (self.w, self.h, self.pal.bg);
        self.rect(0.0, 0.0, w, h, bg)
    }

    pub fn group(&mut self, class: &str, attrs: &[(&str, String)]) {
        self.b.open_group(class, attrs);
    }

    pub fn end(&mut self) {
        self.b.close_group();
    }

    /// Width of `s` at font scale `size`: the sum of its advances. Kerning (which only ever
    /// narrows this font's pairs) is left out: the measure is an upper bound, and fast.
    pub fn text_w(&self, s: &str, size: f64) -> f64 {
        let f = font();
        let ascii = ascii_advances();
        let mut units = 0f64;
        for ch in s.chars() {
            units += match ascii.get(ch as usize) {
                Some(&a) => a,
                None => f.h_advance_unscaled(f.glyph_id(ch)) as f64,
            };
        }
        units * size / f.height_unscaled() as f64
    }

    /// Height of a capital letter at font scale `size`, to centre text on a y.
    pub fn cap_h(&self, size: f64) -> f64 {
        0.729 * em_per_scale() * size
    }

    /// Draws `s` with its baseline at `baseline`.
    pub fn text(
        &mut self,
        s: &str,
        x: f64,
        baseline: f64,
        size: f64,
        c: Color,
        align: Align,
    ) -> Result<(), ChartError> {
        let h = match align {
            Align::Start => HPos::Left,
            Align::Middle => HPos::Center,
            Align::End => HPos::Right,
        };
        let style = TextStyle {
            font: FontDesc::new(FontFamily::Name(FONT_NAME), size, FontStyle::Normal),
            color: bc(c),
            pos: Pos::new(h, VPos::Top),
        };
        // With a top anchor plotters puts the baseline size/2 below the anchor.
        check(self.b.draw_text(s, &style, (px(x), px(baseline - size / 2.0))))
    }

    /// Draws `s` rotated to read upwards, centred on `y`, its baseline at `x`.
    pub fn text_up(&mut self, s: &str, x: f64, y: f64, size: f64, c: Color) -> Result<(), ChartError> {
        let style = TextStyle {
            font: FontDesc::new(FontFamily::Name(FONT_NAME), size, FontStyle::Normal)
                .transform(FontTransform::Rotate270),
            color: bc(c),
            pos: Pos::new(HPos::Center, VPos::Top),
        };
        check(self.b.draw_text(s, &style, (px(x - size / 2.0), px(y))))
    }

    /// Fills the rectangle spanning x0..x1, y0..y1 (half-open in pixels, at least one wide).
    pub fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, c: Color) -> Result<(), ChartError> {
        let (l, r) = (px(x0.min(x1)), px(x0.max(x1)));
        let (t, b) = (px(y0.min(y1)), px(y0.max(y1)));
        check(self.b.draw_rect((l, t), ((r - 1).max(l), (b - 1).max(t)), &bc(c), true))
    }

    pub fn line(&mut self, pts: &[(f64, f64)], c: Color, width: f64) -> Result<(), ChartError> {
        if pts.len() < 2 {
            return Ok(());
        }
        check(self.b.draw_path(pixels(pts), &stroke(c, width)))
    }

    /// A dashed polyline: `on` pixels drawn, `off` skipped. One shape where the surface can
    /// dash (SVG), else one line per dash.
    pub fn dashed(&mut self, pts: &[(f64, f64)], c: Color, width: f64, on: f64, off: f64) -> Result<(), ChartError> {
        let style = stroke(c, width);
        if pts.len() >= 2 && self.b.dashed(&pixels(pts), style.color, style.width, (on, off)) {
            return Ok(());
        }
        let mut drawing = true;
        let mut left = on;
        let mut seg: Vec<(f64, f64)> = Vec::new();
        let mut segs: Vec<Vec<(f64, f64)>> = Vec::new();
        for w in pts.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
            let mut t = 0.0;
            if drawing && seg.is_empty() {
                seg.push((x0, y0));
            }
            while len - t > left {
                t += left;
                let p = (x0 + (x1 - x0) * t / len, y0 + (y1 - y0) * t / len);
                if drawing {
                    seg.push(p);
                    segs.push(std::mem::take(&mut seg));
                } else {
                    seg.push(p);
                }
                drawing = !drawing;
                left = if drawing { on } else { off };
            }
            left -= len - t;
            if drawing {
                seg.push((x1, y1));
            }
        }
        if seg.len() >= 2 {
            segs.push(seg);
        }
        for s in segs {
            self.line(&s, c, width)?;
        }
        Ok(())
    }

    pub fn polygon(&mut self, pts: &[(f64, f64)], c: Color) -> Result<(), ChartError> {
        if pts.len() < 3 {
            return Ok(());
        }
        let v: Vec<(i32, i32)> = pts.iter().map(|&(x, y)| (px(x), px(y))).collect();
        check(self.b.fill_polygon(v, &bc(c)))
    }

    pub fn circle(&mut self, x: f64, y: f64, r: f64, c: Color) -> Result<(), ChartError> {
        check(self.b.draw_circle((px(x), px(y)), r.round().max(1.0) as u32, &bc(c), true))
    }
}
