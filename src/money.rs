//! Money as integers: [`Usd`] is a count of nano-dollars (1 USD = 1,000,000,000) and
//! [`PerMTok`] a price in nano-dollars per million tokens.
//!
//! Invariant: no `f64` ever holds money. Amounts enter the program as decimal *text*
//! ("0.8958740000000000", "$1,234.50", "1.5e-6") and are parsed here exactly; digits past
//! the ninth decimal are rounded half-to-even, once, at this boundary. Formatting is for
//! display only and never feeds back into arithmetic.

use std::fmt;

/// Nano-dollars in one dollar.
pub const NANOS_PER_USD: i64 = 1_000_000_000;

/// An amount of US dollars, stored as integer nano-dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Usd(pub i64);

/// A price per million tokens, stored as integer nano-dollars per million tokens
/// (so $3 / 1M tokens is `PerMTok(3_000_000_000)`: exact down to $1e-15 per token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PerMTok(pub i64);

/// Why a decimal string could not be read as money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("empty amount")]
    Empty,
    #[error("not a decimal number: {0:?}")]
    Invalid(String),
    #[error("amount out of range: {0:?}")]
    Overflow(String),
}

/// Parses decimal text into an integer scaled by 10^`scale`, rounding half-to-even past
/// that many decimals. Accepts a sign, a leading `$`, `,` / `_` thousands separators, and an
/// exponent (`1.5e-6`): JSON writers and spreadsheets produce all of them.
pub fn parse_scaled(text: &str, scale: u32) -> Result<i64, MoneyError> {
    let invalid = || MoneyError::Invalid(text.to_string());
    let (negative, s) = strip_sign(text)?;
    if let Some(v) = parse_plain(s.as_bytes(), scale) {
        return Ok(if negative { -v } else { v });
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = s[i + 1..].parse().map_err(|_| invalid())?;
            (&s[..i], e)
        }
        None => (s, 0),
    };
    let (n_digits, frac_len) = count_digits(mantissa).ok_or_else(invalid)?;
    // value = digits * 10^(exponent - frac_len); we want value * 10^scale.
    // In i64: an exponent near i32's limits must not wrap.
    let shift = i64::from(exponent) - frac_len + i64::from(scale);
    let overflow = || MoneyError::Overflow(text.to_string());
    let mut acc = shift_digits(mantissa, n_digits, shift).ok_or_else(overflow)?;
    if negative {
        acc = -acc;
    }
    i64::try_from(acc).map_err(|_| overflow())
}

/// The text without surrounding space, its sign and a leading `$`; and whether the sign was
/// a minus.
fn strip_sign(text: &str) -> Result<(bool, &str), MoneyError> {
    let mut s = text.trim();
    if s.is_empty() {
        return Err(MoneyError::Empty);
    }
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    Ok((negative, s.strip_prefix('$').unwrap_or(s).trim_start()))
}

/// The number of digits in a mantissa and how many of them follow its point; None when it
/// is not a decimal number (thousands separators allowed before the point).
///
/// Parsing makes two passes over the digits and no buffer: this one checks the text and
/// counts them, [`shift_digits`] accumulates those kept and looks at those dropped (parsing
/// is per row).
fn count_digits(mantissa: &str) -> Option<(usize, i64)> {
    let mut n_digits = 0usize;
    let mut frac_len: i64 = 0;
    let mut seen_point = false;
    for b in mantissa.bytes() {
        match b {
            b'0'..=b'9' => {
                n_digits += 1;
                if seen_point {
                    frac_len += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            b',' | b'_' if !seen_point => {}
            _ => return None,
        }
    }
    (n_digits > 0).then_some((n_digits, frac_len))
}

/// The mantissa's `n_digits` digits as an integer times 10^`shift`, rounded half to even
/// when `shift` drops digits; None when it does not fit.
fn shift_digits(mantissa: &str, n_digits: usize, shift: i64) -> Option<i128> {
    let keep = if shift >= 0 { n_digits } else { n_digits.saturating_sub((-shift) as usize) };
    let dropped_all = shift < 0 && (-shift) as usize > n_digits;
    let mut acc: i128 = 0;
    // The first dropped digit (0 when even the first digit lies below it) and whether any
    // dropped digit after it is non-zero.
    let (mut first, mut rest_nonzero) = (0u8, false);
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0');
    for (i, d) in digits.enumerate() {
        if i < keep {
            acc = acc.checked_mul(10)?.checked_add(d as i128)?;
        } else if i == keep && !dropped_all {
            first = d;
        } else {
            rest_nonzero |= d != 0;
        }
    }
    if shift > 0 && acc != 0 {
        // One multiplication (a huge exponent must not loop): 10^38 is the largest power of
        // ten an i128 holds.
        let power = u32::try_from(shift).ok().filter(|&p| p <= 38)?;
        acc = acc.checked_mul(10i128.pow(power))?;
    } else if shift < 0 {
        // Round half to even on the dropped digits.
        let round_up = first > 5 || (first == 5 && (rest_nonzero || acc % 2 == 1));
        if round_up {
            acc += 1;
        }
    }
    Some(acc)
}

/// The common case of [`parse_scaled`], unsigned `123.456` (no separators or exponent) whose
/// scaled value has at most 18 digits before rounding, in one pass without `i128`; None for
/// anything else, which the general path reads (or rejects).
fn parse_plain(b: &[u8], scale: u32) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    let scale = scale as usize;
    if int.len() + frac.len() == 0 || int.len() + scale > 18 {
        return None;
    }
    let digit = |c: &u8| c.is_ascii_digit().then(|| (c - b'0') as i64);
    let mut acc: i64 = 0;
    let kept = frac.len().min(scale);
    for c in int.iter().chain(&frac[..kept]) {
        acc = acc * 10 + digit(c)?;
    }
    for _ in kept..scale {
        acc *= 10;
    }
    if let Some((first, rest)) = frac.get(scale..).and_then(<[u8]>::split_first) {
        let first = digit(first)?;
        let mut rest_nonzero = false;
        for c in rest {
            rest_nonzero |= digit(c)? != 0;
        }
        // Round half to even on the dropped digits.
        if first > 5 || (first == 5 && (rest_nonzero || acc % 2 == 1)) {
            acc += 1;
        }
    }
    Some(acc)
}

/// Writes `value / 10^scale` as a decimal string without trailing zeros ("5.17365285", "12").
pub fn format_scaled(value: i64, scale: u32) -> String {
    let unit = 10i128.pow(scale);
    let v = value as i128;
    let sign = if v < 0 { "-" } else { "" };
    let a = v.abs();
    let whole = a / unit;
    let frac = a % unit;
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let mut f = format!("{frac:0width$}", width = scale as usize);
    while f.ends_with('0') {
        f.pop();
    }
    format!("{sign}{whole}.{f}")
}

impl Usd {
    pub const ZERO: Usd = Usd(0);

    /// Parses dollars from decimal text (see [`parse_scaled`]).
    pub fn parse(text: &str) -> Result<Usd, MoneyError> {
        parse_scaled(text, 9).map(Usd)
    }

    /// Parses cents from decimal text (Anthropic's cost API writes amounts in cents).
    pub fn parse_cents(text: &str) -> Result<Usd, MoneyError> {
        parse_scaled(text, 7).map(Usd)
    }

    pub fn nanos(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Usd) -> Option<Usd> {
        self.0.checked_add(other.0).map(Usd)
    }

    /// Display with `places` decimals, rounded half-to-even ("$" not included).
    pub fn round_to(self, places: u32) -> String {
        let drop = 9 - places.min(9);
        let unit = 10i64.pow(drop);
        let q = self.0.div_euclid(unit);
        let r = self.0.rem_euclid(unit);
        let half = unit / 2;
        let q = if unit > 1 && (r > half || (r == half && q % 2 != 0)) { q + 1 } else { q };
        let s = format_scaled(q, places);
        // Keep a fixed number of places for display.
        match s.split_once('.') {
            Some((w, f)) if places > 0 => format!("{w}.{f:0<width$}", width = places as usize),
            None if places > 0 => format!("{s}.{}", "0".repeat(places as usize)),
            _ => s,
        }
    }
}

impl Usd {
    /// For people: "$1,234.56", and four decimals under a dollar ("$0.0039").
    pub fn human(self) -> String {
        let places = if self.0.abs() < NANOS_PER_USD { 4 } else { 2 };
        let text = self.round_to(places);
        let (sign, digits) = match text.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", text.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mut grouped = String::new();
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        format!("{sign}${grouped}.{frac}")
    }
}

impl std::ops::Add for Usd {
    type Output = Usd;
    fn add(self, o: Usd) -> Usd {
        Usd(self.0 + o.0)
    }
}

impl std::ops::AddAssign for Usd {
    fn add_assign(&mut self, o: Usd) {
        self.0 += o.0;
    }
}

impl std::ops::Sub for Usd {
    type Output = Usd;
    fn sub(self, o: Usd) -> Usd {
        Usd(self.0 - o.0)
    }
}

impl std::iter::Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        Usd(iter.map(|u| u.0).sum())
    }
}

/// Exact decimal text of the amount in dollars, e.g. "5.17365285".
impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, 9))
    }
}

impl PerMTok {
    /// Parses a price in dollars per million tokens from decimal text.
    pub fn parse_per_mtok(text: &str) -> Result<PerMTok, MoneyError> {
        parse_scaled(text, 9).map(PerMTok)
    }

    /// Parses a price in dollars per single token ("3e-06") from decimal text.
    pub fn parse_per_token(text: &str) -> Result<PerMTok, MoneyError> {
        parse_scaled(text, 15).map(PerMTok)
    }

    /// `self * num / den`, rounded half-to-even (for "1.25x the input price").
    pub fn scale(self, num: i64, den: i64) -> PerMTok {
        PerMTok(div_round_half_even(self.0 as i128 * num as i128, den as i128) as i64)
    }
}

impl fmt::Display for PerMTok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, 9))
    }
}

/// Integer division rounding half to even; `den` > 0.
pub fn div_round_half_even(num: i128, den: i128) -> i128 {
    let q = num.div_euclid(den);
    let r = num.rem_euclid(den);
    let twice = 2 * r;
    if twice > den || (twice == den && q % 2 != 0) {
        q + 1
    } else {
        q
    }
}

/// Exact cost of `tokens` at each price, summed in nano-dollars-per-million units and
/// rounded half-to-even to the nano-dollar once, at the end.
pub fn cost_of(parts: &[(i64, PerMTok)]) -> Usd {
    let sum: i128 = parts.iter().map(|&(t, p)| t as i128 * p.0 as i128).sum();
    Usd(div_round_half_even(sum, 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(Usd::parse("0.8958740000000000").unwrap(), Usd(895_874_000));
        assert_eq!(Usd::parse("$1,234.50").unwrap(), Usd(1_234_500_000_000));
        assert_eq!(Usd::parse("-0.000000001").unwrap(), Usd(-1));
        // Huge exponents answer at once, without wrapping: zero stays zero, anything else
        // overflows or rounds away.
        assert_eq!(Usd::parse("0e2000000000").unwrap(), Usd(0));
        assert!(Usd::parse("1e2000000000").is_err());
        assert_eq!(Usd::parse("1.5e-2147483648").unwrap(), Usd(0));
        assert_eq!(Usd::parse("1e-2147483648").unwrap(), Usd(0));
        assert_eq!(Usd::parse("2.5e1").unwrap(), Usd(25_000_000_000));
        assert_eq!(Usd::parse("12").unwrap(), Usd(12 * NANOS_PER_USD));
        assert_eq!(Usd::parse("1.5e-6").unwrap(), Usd(1_500));
        assert_eq!(Usd::parse("2E3").unwrap(), Usd(2_000 * NANOS_PER_USD));
    }

    #[test]
    fn rounds_half_to_even_past_nine_decimals() {
        assert_eq!(Usd::parse("0.0000000005").unwrap(), Usd(0));
        assert_eq!(Usd::parse("0.0000000015").unwrap(), Usd(2));
        assert_eq!(Usd::parse("0.00000000150000001").unwrap(), Usd(2));
        assert_eq!(Usd::parse("0.0000000025").unwrap(), Usd(2));
        assert_eq!(Usd::parse("0.00000000250000000001").unwrap(), Usd(3));
        assert_eq!(Usd::parse("0.34090000000000000").unwrap(), Usd(340_900_000));
        assert_eq!(Usd::parse("1e-12").unwrap(), Usd(0));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(Usd::parse(""), Err(MoneyError::Empty));
        assert!(Usd::parse("abc").is_err());
        assert!(Usd::parse("1.2.3").is_err());
        assert!(Usd::parse("NaN").is_err());
        assert!(Usd::parse("-").is_err());
        assert!(matches!(Usd::parse("99999999999999999999"), Err(MoneyError::Overflow(_))));
    }

    #[test]
    fn cents_and_per_token_units() {
        assert_eq!(Usd::parse_cents("123.78912").unwrap(), Usd(1_237_891_200));
        assert_eq!(PerMTok::parse_per_token("3e-06").unwrap(), PerMTok(3_000_000_000));
        assert_eq!(PerMTok::parse_per_token("3.75e-06").unwrap(), PerMTok(3_750_000_000));
        assert_eq!(PerMTok::parse_per_mtok("0.3").unwrap(), PerMTok(300_000_000));
        assert_eq!(PerMTok(3_000_000_000).scale(5, 4), PerMTok(3_750_000_000));
    }

    #[test]
    fn formats() {
        assert_eq!(Usd(5_173_652_850).to_string(), "5.17365285");
        assert_eq!(Usd(5_173_652_850).round_to(6), "5.173653");
        assert_eq!(Usd(-1_500_000_000).to_string(), "-1.5");
        assert_eq!(Usd(0).to_string(), "0");
        assert_eq!(Usd(2_000_000_000).round_to(2), "2.00");
        assert_eq!(Usd(1_234_567_890_000).human(), "$1,234.57");
        assert_eq!(Usd(3_900_000).human(), "$0.0039");
        assert_eq!(Usd(-380_821_920_000_000).human(), "-$380,821.92");
    }

    #[test]
    fn cost_rounds_once() {
        // 1,333 input at $3/M + 8,377,717 cache reads at $0.30/M.
        let c = cost_of(&[(1_333, PerMTok(3_000_000_000)), (8_377_717, PerMTok(300_000_000))]);
        assert_eq!(c, Usd(3_999_000 + 2_513_315_100));
    }
}
