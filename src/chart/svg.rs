//! The SVG surface: a plotters [`DrawingBackend`] that writes SVG elements and can wrap them
//! in semantic groups (`<g class="tb-budget" data-value="1000">`).
//!
//! Why not plotters' own `SVGBackend`: it writes a flat list of shapes, so neither the app
//! (styling, hover) nor the tests (is the budget line at the budget's value? does the fan
//! span P10 to P90?) could tell one series from another. This surface writes the same
//! shapes, plus the groups, and text as real `<text>` placed exactly where plotters' bitmap
//! backend puts it for the embedded font, so SVG and PNG agree.

use std::convert::Infallible;
use std::fmt::Write;

use plotters_backend::{
    text_anchor::{HPos, VPos},
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontTransform,
};

use super::canvas::{em_per_scale, Surface, SVG_FONT_FAMILY};

pub(crate) struct SvgSurface {
    buf: String,
    size: (u32, u32),
}

/// Escapes text for XML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn paint(c: BackendColor) -> String {
    let (r, g, b) = c.rgb;
    format!("#{r:02X}{g:02X}{b:02X}")
}

fn opacity(attr: &str, c: BackendColor) -> String {
    if c.alpha >= 1.0 {
        String::new()
    } else {
        format!(" {attr}=\"{:.3}\"", c.alpha)
    }
}

/// `stroke="#RRGGBB"`, its opacity when not opaque, and the width.
fn stroke(c: BackendColor, width: u32) -> String {
    format!("stroke=\"{}\"{} stroke-width=\"{width}\"", paint(c), opacity("stroke-opacity", c))
}

/// Appends `x,y x,y ...`.
fn push_points(buf: &mut String, points: impl IntoIterator<Item = BackendCoord>) {
    for (i, (x, y)) in points.into_iter().enumerate() {
        if i > 0 {
            buf.push(' ');
        }
        let _ = write!(buf, "{x},{y}");
    }
}

impl SvgSurface {
    /// Starts a document of `size` pixels; `kind` and `title` name the chart for scripts and
    /// screen readers.
    pub fn new(size: (u32, u32), kind: &str, title: &str) -> SvgSurface {
        let (w, h) = size;
        let mut buf = String::with_capacity(64 * 1024);
        let title = escape(title);
        let _ = write!(
            buf,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             role=\"img\" aria-label=\"{title}\" data-chart=\"{kind}\" font-family=\"{SVG_FONT_FAMILY}\">\n<title>{title}</title>\n"
        );
        SvgSurface { buf, size }
    }

    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>\n");
        self.buf
    }
}

impl Surface for SvgSurface {
    fn open_group(&mut self, class: &str, attrs: &[(&str, String)]) {
        let _ = write!(self.buf, "<g class=\"{}\"", escape(class));
        for (k, v) in attrs {
            let _ = write!(self.buf, " {k}=\"{}\"", escape(v));
        }
        self.buf.push_str(">\n");
    }

    fn close_group(&mut self) {
        self.buf.push_str("</g>\n");
    }

    fn dashed(&mut self, path: &[(i32, i32)], c: BackendColor, width: u32, (on, off): (f64, f64)) -> bool {
        if c.alpha > 0.0 {
            self.buf.push_str("<polyline fill=\"none\" points=\"");
            push_points(&mut self.buf, path.iter().copied());
            let _ = writeln!(
                self.buf,
                "\" {} stroke-dasharray=\"{} {}\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>",
                stroke(c, width),
                num(on),
                num(off)
            );
        }
        true
    }
}

/// A length in pixels, to a hundredth, without trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl DrawingBackend for SvgSurface {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_pixel(&mut self, (x, y): BackendCoord, c: BackendColor) -> Result<(), DrawingErrorKind<Infallible>> {
        if c.alpha > 0.0 {
            let _ = writeln!(
                self.buf,
                "<rect x=\"{x}\" y=\"{y}\" width=\"1\" height=\"1\" fill=\"{}\"{}/>",
                paint(c),
                opacity("fill-opacity", c)
            );
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        (x0, y0): BackendCoord,
        (x1, y1): BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let c = style.color();
        if c.alpha > 0.0 {
            let _ = writeln!(
                self.buf,
                "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y1}\" {}/>",
                stroke(c, style.stroke_width())
            );
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        (x0, y0): BackendCoord,
        (x1, y1): BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let c = style.color();
        if c.alpha <= 0.0 {
            return Ok(());
        }
        let (x, y) = (x0.min(x1), y0.min(y1));
        let (w, h) = ((x1 - x0).abs(), (y1 - y0).abs());
        if fill {
            // Plotters' bitmap fills both corners inclusively; so does this.
            let _ = writeln!(
                self.buf,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}/>",
                w + 1,
                h + 1,
                paint(c),
                opacity("fill-opacity", c)
            );
        } else {
            let _ = writeln!(
                self.buf,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"none\" {}/>",
                stroke(c, style.stroke_width())
            );
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let c = style.color();
        if c.alpha <= 0.0 {
            return Ok(());
        }
        self.buf.push_str("<polyline fill=\"none\" points=\"");
        push_points(&mut self.buf, path);
        let _ = writeln!(
            self.buf,
            "\" {} stroke-linejoin=\"round\" stroke-linecap=\"round\"/>",
            stroke(c, style.stroke_width())
        );
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        (x, y): BackendCoord,
        r: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let c = style.color();
        if c.alpha <= 0.0 {
            return Ok(());
        }
        let paint_attrs = if fill {
            format!("fill=\"{}\"{}", paint(c), opacity("fill-opacity", c))
        } else {
            format!("fill=\"none\" {}", stroke(c, style.stroke_width()))
        };
        let _ = writeln!(self.buf, "<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" {paint_attrs}/>");
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let c = style.color();
        if c.alpha <= 0.0 {
            return Ok(());
        }
        self.buf.push_str("<polygon points=\"");
        push_points(&mut self.buf, vert);
        let _ = writeln!(self.buf, "\" fill=\"{}\"{}/>", paint(c), opacity("fill-opacity", c));
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        (x, y): BackendCoord,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let c = style.color();
        if c.alpha <= 0.0 {
            return Ok(());
        }
        let size = style.size();
        // Where plotters' bitmap backend puts the baseline for the ab_glyph font: the layout
        // box is size/1.24 high and the baseline sits size/2 below its top.
        let height = (size / 1.24) as i32;
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let baseline = y as f64 + dy as f64 + size / 2.0;
        let anchor = match style.anchor().h_pos {
            HPos::Left => "start",
            HPos::Center => "middle",
            HPos::Right => "end",
        };
        let rotate = match style.transform() {
            FontTransform::None => String::new(),
            FontTransform::Rotate90 => format!(" transform=\"rotate(90 {x} {y})\""),
            FontTransform::Rotate180 => format!(" transform=\"rotate(180 {x} {y})\""),
            FontTransform::Rotate270 => format!(" transform=\"rotate(-90 {x} {y})\""),
        };
        let _ = writeln!(
            self.buf,
            "<text x=\"{x}\" y=\"{baseline:.1}\" font-size=\"{:.2}\" text-anchor=\"{anchor}\" fill=\"{}\"{}{rotate}>{}</text>",
            size * em_per_scale(),
            paint(c),
            opacity("fill-opacity", c),
            escape(text)
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_user_text() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(escape("x\u{1}y"), "x\u{FFFD}y");
    }
}
