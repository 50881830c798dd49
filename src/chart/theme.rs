//! Light and dark themes and the series palette.
//!
//! Series colours are the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008),
//! chosen to stay distinguishable with the common colour-vision deficiencies. Yellow comes
//! last because it is hard to see on white; the dark theme leads with sky blue for the same
//! reason on a dark ground. Colour is never the only cue: lines are labelled directly or
//! told apart by dash, and stacks keep their order.

use std::str::FromStr;

/// The chart's theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl FromStr for Theme {
    type Err = String;
    fn from_str(s: &str) -> Result<Theme, String> {
        match s {
            "light" => Ok(Theme::Light),
            "dark" => Ok(Theme::Dark),
            _ => Err(format!("{s:?}: expected light or dark")),
        }
    }
}

/// An sRGB colour with opacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: f64,
}

impl Color {
    pub const fn hex(v: u32) -> Color {
        Color { r: (v >> 16) as u8, g: (v >> 8) as u8, b: v as u8, a: 1.0 }
    }

    pub fn alpha(self, a: f64) -> Color {
        Color { a, ..self }
    }

    /// This colour at opacity `t` over `under`, as an opaque colour.
    pub fn over(self, under: Color, t: f64) -> Color {
        let m = |a: u8, b: u8| (a as f64 * t + b as f64 * (1.0 - t)).round() as u8;
        Color { r: m(self.r, under.r), g: m(self.g, under.g), b: m(self.b, under.b), a: 1.0 }
    }
}

// Okabe-Ito.
const ORANGE: Color = Color::hex(0xE69F00);
const SKY: Color = Color::hex(0x56B4E9);
const GREEN: Color = Color::hex(0x009E73);
const YELLOW: Color = Color::hex(0xF0E442);
const BLUE: Color = Color::hex(0x0072B2);
const VERMILLION: Color = Color::hex(0xD55E00);
const PURPLE: Color = Color::hex(0xCC79A7);

/// Number of distinct series colours (`--top` is capped to it).
pub const SERIES_COLORS: usize = 7;

/// The colours one chart is drawn with.
#[derive(Debug, Clone)]
pub(crate) struct Palette {
    pub bg: Color,
    pub fg: Color,
    pub muted: Color,
    pub grid: Color,
    pub axis: Color,
    /// Weekend columns and the time after a period's end.
    pub shade: Color,
    pub series: [Color; SERIES_COLORS],
    /// The "other" bucket.
    pub other: Color,
    /// The main measured line (spend).
    pub primary: Color,
    /// Budgets and run-outs.
    pub alert: Color,
    /// The user's target.
    pub target: Color,
    /// Reference lines, in order.
    pub refs: [Color; 3],
}

impl Palette {
    pub fn of(theme: Theme) -> Palette {
        match theme {
            Theme::Light => Palette {
                bg: Color::hex(0xFFFFFF),
                fg: Color::hex(0x1F2328),
                muted: Color::hex(0x59636E),
                grid: Color::hex(0xE6E8EB),
                axis: Color::hex(0x8C959F),
                shade: Color::hex(0xEEF0F2),
                series: [BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION, YELLOW],
                other: Color::hex(0xA0A7AF),
                primary: BLUE,
                alert: VERMILLION,
                target: ORANGE,
                refs: [GREEN, PURPLE, VERMILLION],
            },
            Theme::Dark => Palette {
                bg: Color::hex(0x15191E),
                fg: Color::hex(0xE6EDF3),
                muted: Color::hex(0x9DA7B3),
                grid: Color::hex(0x2C333B),
                axis: Color::hex(0x6E7781),
                shade: Color::hex(0x20262D),
                series: [SKY, ORANGE, GREEN, PURPLE, YELLOW, VERMILLION, BLUE],
                other: Color::hex(0x6E7781),
                primary: SKY,
                alert: VERMILLION,
                target: ORANGE,
                refs: [GREEN, PURPLE, VERMILLION],
            },
        }
    }
}
