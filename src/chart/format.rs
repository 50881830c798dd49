//! Text on charts: dates in the reader's locale, money as "$1.2k", token counts as "3.4B",
//! and thousands separators.
//!
//! Money labels that state an amount (a budget, a total) are formatted from [`Usd`]'s
//! integer nano-dollars with integer rounding; only axis tick labels, which name plotting
//! coordinates rather than amounts of money, are formatted from `f64`.

use chrono::{Locale, NaiveDate};

use crate::money::{div_round_half_even, Usd, NANOS_PER_USD};

/// Which comes first in the locale's short dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// "Mar 14, 2026" (en_US)
    MonthDay,
    /// "14 Mar 2026" (en_GB, de_DE, fr_FR, ...)
    DayMonth,
    /// "2026-03-14" (sv_SE, ja_JP, zh_CN, ...)
    YearMonthDay,
}

/// The locale dates are written in: month names from the C library's locale data (via
/// chrono), and the day/month order of the locale's short date format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateLocale {
    locale: Locale,
    order: DateOrder,
}

impl Default for DateLocale {
    fn default() -> Self {
        DateLocale::new(Locale::en_US)
    }
}

impl DateLocale {
    pub fn new(locale: Locale) -> DateLocale {
        // The order is read off the locale's own `%x` rendering of 2001-02-03.
        let sample = NaiveDate::from_ymd_opt(2001, 2, 3).expect("valid date");
        let x = sample.format_localized("%x", locale).to_string();
        let pos = |pat: &str| x.find(pat);
        let order = match (pos("2001").or_else(|| pos("01")), pos("02"), pos("03")) {
            (Some(y), Some(m), Some(_)) if y < m => DateOrder::YearMonthDay,
            (_, Some(m), Some(d)) if d < m => DateOrder::DayMonth,
            _ => DateOrder::MonthDay,
        };
        DateLocale { locale, order }
    }

    /// Reads a POSIX locale name ("de_DE.UTF-8", "en-GB", "fr", "C"); `None` when no
    /// locale data matches.
    pub fn parse(name: &str) -> Option<DateLocale> {
        let base = name.trim().split(['.', '@']).next().unwrap_or("").replace('-', "_");
        if base.is_empty() || base == "C" || base == "POSIX" {
            return Some(DateLocale::default());
        }
        let try_one = |s: &str| Locale::try_from(s).ok().map(DateLocale::new);
        if let Some(l) = try_one(&base) {
            return Some(l);
        }
        // "de" -> "de_DE"; "en" -> "en_US".
        if !base.contains('_') {
            let guess = if base == "en" { "en_US".to_string() } else { format!("{base}_{}", base.to_uppercase()) };
            return try_one(&guess);
        }
        None
    }

    /// The locale of the environment: `LC_ALL`, then `LC_TIME`, then `LANG`; en_US when
    /// none is set or none is known.
    pub fn from_env() -> DateLocale {
        for var in ["LC_ALL", "LC_TIME", "LANG"] {
            if let Ok(v) = std::env::var(var) {
                if !v.is_empty() {
                    return DateLocale::parse(&v).unwrap_or_default();
                }
            }
        }
        DateLocale::default()
    }

    pub fn order(&self) -> DateOrder {
        self.order
    }

    fn fmt(&self, d: NaiveDate, pattern: &str) -> String {
        d.format_localized(pattern, self.locale).to_string().trim().to_string()
    }

    /// A day within a known year: "Mar 14" / "14 Mar".
    pub fn day_month(&self, d: NaiveDate) -> String {
        match self.order {
            DateOrder::DayMonth => self.fmt(d, "%-d %b"),
            _ => self.fmt(d, "%b %-d"),
        }
    }

    /// A month's abbreviated name: "Mar".
    pub fn month(&self, d: NaiveDate) -> String {
        self.fmt(d, "%b")
    }

    /// A month with its year: "Mar 2026".
    pub fn month_year(&self, d: NaiveDate) -> String {
        match self.order {
            DateOrder::YearMonthDay => self.fmt(d, "%Y %b"),
            _ => self.fmt(d, "%b %Y"),
        }
    }

    /// A full date: "Mar 14, 2026" / "14 Mar 2026" / "2026-03-14".
    pub fn date(&self, d: NaiveDate) -> String {
        match self.order {
            DateOrder::MonthDay => self.fmt(d, "%b %-d, %Y"),
            DateOrder::DayMonth => self.fmt(d, "%-d %b %Y"),
            DateOrder::YearMonthDay => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// 1234567 -> "1,234,567".
pub fn group(n: i128) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// An amount with separators: "$12,346" from $100 up (whole dollars), "$12.34" below,
/// "$0.0039" under a dollar.
pub fn usd_full(u: Usd) -> String {
    let n = u.nanos() as i128;
    let sign = if n < 0 { "-" } else { "" };
    let a = n.abs();
    if a >= 100 * NANOS_PER_USD as i128 {
        format!("{sign}${}", group(div_round_half_even(a, NANOS_PER_USD as i128)))
    } else if a >= NANOS_PER_USD as i128 || a == 0 {
        format!("{sign}${}", Usd(a as i64).round_to(2))
    } else {
        // Under a dollar: up to four decimals, so a fraction of a cent is not "$0.00".
        let mut s = Usd(a as i64).round_to(4);
        if s == "0.0000" {
            return format!("{sign}<$0.0001");
        }
        while s.ends_with('0') && s.len() > 4 {
            s.pop();
        }
        format!("{sign}${s}")
    }
}

/// An amount in at most four significant characters: "$950", "$12.34", "$1.2k", "$3.4M".
pub fn usd_compact(u: Usd) -> String {
    let n = u.nanos() as i128;
    let sign = if n < 0 { "-" } else { "" };
    let a = n.abs();
    let dollar = NANOS_PER_USD as i128;
    if a < 100 * dollar {
        return usd_full(u);
    }
    format!("{sign}${}", compact_int(div_round_half_even(a, dollar)))
}

/// A token count: "950", "12.3k", "3.4M", "1.2B".
pub fn tokens_compact(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", compact_int((n as i128).abs()))
}

/// A non-negative integer with one decimal in its unit: 1234 -> "1.2k", 999_950 -> "1M".
fn compact_int(a: i128) -> String {
    if a < 1000 {
        return a.to_string();
    }
    let units = [(1_000_000_000_000i128, "T"), (1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")];
    let mut i = units.iter().position(|&(u, _)| a >= u).unwrap_or(3);
    loop {
        let (u, suffix) = units[i];
        let tenths = div_round_half_even(a * 10, u);
        // 999,950 rounds to "1000k": move up a unit.
        if tenths >= 10_000 && i > 0 {
            i -= 1;
            continue;
        }
        return if tenths % 10 == 0 {
            format!("{}{suffix}", tenths / 10)
        } else {
            format!("{}.{}{suffix}", tenths / 10, tenths % 10)
        };
    }
}

/// Basis points as a percentage: 1000 -> "10%", 1250 -> "12.5%", 1234 -> "12.34%".
pub fn percent_bp(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let a = bp.abs();
    let (w, f) = (a / 100, a % 100);
    match f {
        0 => format!("{sign}{w}%"),
        f if f % 10 == 0 => format!("{sign}{w}.{}%", f / 10),
        f => format!("{sign}{w}.{f:02}%"),
    }
}

/// What an axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    /// Dollars.
    Usd,
    /// Tokens.
    Tokens,
}

/// A tick label for a plotting coordinate `v` on an axis whose ticks are `step` apart.
/// Every tick of one axis gets the same unit and enough decimals to tell them apart.
pub(crate) fn tick(v: f64, step: f64, top: f64, m: Measure) -> String {
    if v.abs() < step * 1e-9 {
        return if m == Measure::Usd { "$0".into() } else { "0".into() };
    }
    let (div, suffix) = match top.abs() {
        t if t >= 1e12 => (1e12, "T"),
        t if t >= 1e9 => (1e9, "B"),
        t if t >= 1e6 => (1e6, "M"),
        t if t >= 1e4 => (1e3, "k"),
        _ => (1.0, ""),
    };
    let scaled_step = step / div;
    let mut decimals = 0usize;
    while decimals < 6 && (scaled_step * 10f64.powi(decimals as i32)).fract().abs() > 1e-6 {
        decimals += 1;
    }
    let x = v / div;
    let money_cents = m == Measure::Usd && div == 1.0 && decimals > 0;
    let mut s =
        if money_cents { format!("{:.*}", decimals.max(2), x.abs()) } else { format!("{:.*}", decimals, x.abs()) };
    if !money_cents && s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if div == 1.0 && !s.contains('.') {
        // Whole numbers below 10,000 get separators too ("$2,500").
        if let Ok(n) = s.parse::<i128>() {
            s = group(n);
        }
    }
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    match m {
        Measure::Usd => format!("{sign}${s}{suffix}"),
        Measure::Tokens => format!("{sign}{s}{suffix}"),
    }
}

/// A tick label on a log axis (decades): "100k", "1M", "10B".
pub(crate) fn log_tick(v: f64) -> String {
    if v < 1.0 {
        return format!("{v}");
    }
    compact_int(v.round() as i128)
}

/// Shortens a label to at most `max` characters, keeping its end for paths
/// ("…/work/tokenburn") and its start otherwise ("claude-sonnet-4-5-2025…").
pub(crate) fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    if s.contains('/') || s.contains('\\') {
        let tail: String = s.chars().skip(n - keep).collect();
        format!("…{tail}")
    } else {
        let head: String = s.chars().take(keep).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn money() {
        assert_eq!(usd_full(Usd(1_234_567_000_000_000)), "$1,234,567");
        assert_eq!(usd_full(Usd(12_346_000_000)), "$12.35");
        assert_eq!(usd_full(Usd(-150_000_000_000)), "-$150");
        assert_eq!(usd_full(Usd(3_870_000)), "$0.0039");
        assert_eq!(usd_full(Usd(500_000_000)), "$0.50");
        assert_eq!(usd_full(Usd(10)), "<$0.0001");
        assert_eq!(usd_full(Usd(0)), "$0.00");
        assert_eq!(usd_compact(Usd(1_249_000_000_000)), "$1.2k");
        assert_eq!(usd_compact(Usd(3_400_000_000_000_000)), "$3.4M");
        assert_eq!(usd_compact(Usd(999_960_000_000_000)), "$1M");
        assert_eq!(usd_compact(Usd(950_000_000_000)), "$950");
        assert_eq!(usd_compact(Usd(2_000_000_000_000)), "$2k");
        assert_eq!(tokens_compact(100_000), "100k");
        assert_eq!(tokens_compact(12_345_678_901), "12.3B");
        assert_eq!(group(-1234567), "-1,234,567");
        assert_eq!(percent_bp(5000), "50%");
        assert_eq!(percent_bp(1250), "12.5%");
        assert_eq!(percent_bp(1234), "12.34%");
    }

    #[test]
    fn ticks_share_a_unit_and_enough_decimals() {
        let t = |v: f64, step: f64, top: f64| tick(v, step, top, Measure::Usd);
        assert_eq!(t(0.0, 250.0, 1500.0), "$0");
        assert_eq!(t(0.0, 20_000.0, 100_000.0), "$0");
        assert_eq!(t(2500.0, 500.0, 3000.0), "$2,500");
        assert_eq!(t(1250.0, 250.0, 12_500.0), "$1.25k");
        assert_eq!(t(10_000.0, 2500.0, 12_500.0), "$10k");
        assert_eq!(t(1_200_000.0, 200_000.0, 2e6), "$1.2M");
        assert_eq!(t(0.5, 0.25, 2.0), "$0.50");
        assert_eq!(tick(1e11, 1e11, 1e11, Measure::Tokens), "100B");
        assert_eq!(log_tick(1e5), "100k");
        assert_eq!(log_tick(1e10), "10B");
    }

    #[test]
    fn dates_follow_the_locale() {
        let us = DateLocale::parse("en_US.UTF-8").unwrap();
        let gb = DateLocale::parse("en_GB").unwrap();
        let de = DateLocale::parse("de-DE").unwrap();
        let sv = DateLocale::parse("sv_SE").unwrap();
        assert_eq!(us.order(), DateOrder::MonthDay);
        assert_eq!(gb.order(), DateOrder::DayMonth);
        assert_eq!(de.order(), DateOrder::DayMonth);
        assert_eq!(sv.order(), DateOrder::YearMonthDay);
        assert_eq!(us.date(d("2026-03-04")), "Mar 4, 2026");
        assert_eq!(gb.date(d("2026-03-04")), "4 Mar 2026");
        assert_eq!(us.day_month(d("2026-03-04")), "Mar 4");
        assert_eq!(de.month(d("2026-03-04")), "Mär");
        assert_eq!(sv.date(d("2026-03-04")), "2026-03-04");
        assert_eq!(DateLocale::parse("fr").unwrap().order(), DateOrder::DayMonth);
        assert_eq!(DateLocale::parse("C").unwrap(), DateLocale::default());
        assert!(DateLocale::parse("xx_YY").is_none());
    }

    #[test]
    fn shortens_keeping_the_informative_end() {
        assert_eq!(shorten("/home/me/work/tokenburn", 12), "…k/tokenburn");
        assert_eq!(shorten("claude-sonnet-4-5-20250929", 12), "claude-sonn…");
        assert_eq!(shorten("gpt-5", 12), "gpt-5");
    }
}
