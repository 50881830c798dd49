//! Reading CSV exports, shared by every CSV importer and by mapping rules.
//!
//! Owns: the header (columns are bound by NAME, case-insensitively, never by position),
//! the delimiter (`,`, or tab / `;` when the header line has those and no comma), a UTF-8
//! BOM, UTF-16 files (by their BOM) and other encodings, CRLF, quoted fields, physical line
//! numbers (1-based, the header is line 1 unless lines were skipped before it), rows of the
//! wrong width, and the number and date formats vendors write (`59200.0`, `"1,000"`,
//! `5/29/26`). Sources see only rows of valid text and say whether each was good; a bad
//! row is rejected with its line and the import goes on.

use std::io::{BufRead, Read};

use chrono::{NaiveDate, NaiveDateTime};
use encoding_rs::Encoding;

use super::lines::LineResult;
use super::ParseCtx;
use crate::error::{Error, Result};

/// A CSV header: the column names, trimmed.
#[derive(Debug, Clone)]
pub struct Header {
    names: Vec<String>,
    lower: Vec<String>,
}

impl Header {
    pub fn new(names: Vec<String>) -> Header {
        let names: Vec<String> =
            names.into_iter().map(|n| n.trim().trim_start_matches('\u{feff}').to_string()).collect();
        let lower = names.iter().map(|n| n.to_lowercase()).collect();
        Header { names, lower }
    }

    /// The header of a file from its first bytes (for `detect`), or None if they are not
    /// text with at least two columns.
    pub fn sniff(head: &[u8]) -> Option<Header> {
        let text = decode_head(head)?;
        let line = first_line(text.as_bytes());
        let delimiter = sniff_delimiter(line);
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(line);
        let mut rec = csv::StringRecord::new();
        match r.read_record(&mut rec) {
            Ok(true) if rec.len() >= 2 => Some(Header::new(rec.iter().map(str::to_string).collect())),
            _ => None,
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The index of a column, by name (ASCII case and surrounding spaces ignored).
    pub fn find(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.lower.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    pub fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.has(n))
    }

    /// The index of a column the format cannot do without.
    pub fn require(&self, name: &str) -> std::result::Result<usize, String> {
        self.find(name).ok_or_else(|| format!("the header has no {name:?} column"))
    }
}

/// The text of a file's first bytes: UTF-8 (BOM stripped, a cut-off last character
/// ignored) or UTF-16 by its BOM.
fn decode_head(head: &[u8]) -> Option<String> {
    if let Some((enc, bom)) = Encoding::for_bom(head) {
        if enc != encoding_rs::UTF_8 {
            let (text, _) = enc.decode_without_bom_handling(&head[bom..]);
            return Some(text.into_owned());
        }
        return decode_head(&head[bom..]);
    }
    match std::str::from_utf8(head) {
        Ok(s) => Some(s.to_string()),
        Err(e) if e.error_len().is_none() => Some(String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned()),
        // A header in UTF-8 (or ASCII) over rows in another encoding (Latin-1 names): the
        // header is what detection needs; the rows are rejected by line, naming the encoding.
        Err(e) if memchr::memchr(b'\n', &head[..e.valid_up_to()]).is_some() => {
            Some(String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned())
        }
        Err(_) => None,
    }
}

fn first_line(bytes: &[u8]) -> &[u8] {
    let end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    &bytes[..end]
}

/// `,` unless the header line has no comma but tabs or semicolons.
pub fn sniff_delimiter(line: &[u8]) -> u8 {
    let count = |c: u8| memchr::memchr_iter(c, line).count();
    if count(b',') > 0 {
        b','
    } else if count(b'\t') > 0 {
        b'\t'
    } else if count(b';') > 0 {
        b';'
    } else {
        b','
    }
}

/// How to read a CSV file.
#[derive(Debug, Clone, Default)]
pub struct Opts {
    /// The field delimiter; sniffed from the header line when None.
    pub delimiter: Option<u8>,
    /// Lines before the header row (titles, notes), skipped.
    pub skip: u64,
    /// The text encoding; UTF-8 (or UTF-16 with a BOM) when None.
    pub encoding: Option<&'static Encoding>,
}

/// One data row: its physical line and fields.
pub struct Row<'r> {
    pub line: u64,
    rec: &'r csv::StringRecord,
}

impl<'r> Row<'r> {
    /// The field at `i`, trimmed; `""` past the end of the row.
    pub fn get(&self, i: usize) -> &'r str {
        self.rec.get(i).map(str::trim_ascii).unwrap_or("")
    }

    /// The field of an optional column; `""` when the column is absent.
    pub fn opt(&self, i: Option<usize>) -> &'r str {
        i.map_or("", |i| self.get(i))
    }

    /// Every field, trimmed.
    pub fn fields(&self) -> impl Iterator<Item = &'r str> + '_ {
        self.rec.iter().map(str::trim_ascii)
    }

    /// Whether every field from `from` on is empty (OpenAI's rows for empty buckets).
    pub fn blank_from(&self, from: usize) -> bool {
        self.rec.iter().skip(from).all(|f| f.trim().is_empty())
    }
}

/// Reads a CSV file: binds its header with `bind`, then calls `each` for every data row.
/// `bind` failing fails the file (its header is not what the source reads); `each`
/// returns `Ok(Err(reason))` to reject a row, `Err` to fail the whole file.
pub fn read<C>(
    input: &mut dyn BufRead,
    ctx: &mut ParseCtx,
    opts: &Opts,
    bind: impl FnOnce(&Header) -> std::result::Result<C, String>,
    mut each: impl FnMut(&mut C, &Row) -> Result<LineResult>,
) -> Result<()> {
    let path = ctx.path;
    let io = |e| Error::io(path, e);
    // Text that is not UTF-8 is decoded whole (bounded like any document).
    let (head, mut input) = peek_line(input).map_err(io)?;
    let enc = match opts.encoding {
        Some(e) => Some(e),
        None => Encoding::for_bom(&head).map(|(e, _)| e).filter(|e| *e != encoding_rs::UTF_8),
    };
    if let Some(enc) = enc.filter(|e| *e != encoding_rs::UTF_8) {
        let bytes = read_all(&mut input, ctx)?;
        let consumed = bytes.len() as u64;
        let (text, _, _) = enc.decode(&bytes);
        read_utf8(&mut text.as_bytes(), ctx, opts, bind, &mut each)?;
        ctx.consumed = consumed;
        return Ok(());
    }
    read_utf8(&mut input, ctx, opts, bind, &mut each)
}

/// The first line (up to 64 KiB, what `detect` sees) read ahead and chained back in front of
/// the rest, so what is sniffed from it (BOM, delimiter) does not depend on how much the
/// reader happens to hold in its buffer (a streamed file's buffer can end mid-header).
fn peek_line(input: &mut dyn BufRead) -> std::io::Result<(Vec<u8>, impl BufRead + '_)> {
    let mut line = Vec::new();
    (&mut *input).take(64 * 1024).read_until(b'\n', &mut line)?;
    Ok((line.clone(), std::io::Cursor::new(line).chain(input)))
}

fn read_utf8<C>(
    input: &mut dyn BufRead,
    ctx: &mut ParseCtx,
    opts: &Opts,
    bind: impl FnOnce(&Header) -> std::result::Result<C, String>,
    each: &mut impl FnMut(&mut C, &Row) -> Result<LineResult>,
) -> Result<()> {
    let path = ctx.path;
    let io = |e| Error::io(path, e);
    let mut skipped_bytes = 0u64;
    let (first, mut input) = peek_line(input).map_err(io)?;
    if first.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
        skipped_bytes = 3;
    }
    let mut line = Vec::new();
    for _ in 0..opts.skip {
        line.clear();
        let n = input.read_until(b'\n', &mut line).map_err(io)?;
        if n == 0 {
            break;
        }
        skipped_bytes += n as u64;
    }
    let (header_line, mut input) = peek_line(&mut input).map_err(io)?;
    let delimiter = match opts.delimiter {
        Some(d) => d,
        None => sniff_delimiter(first_line(&header_line)),
    };
    let line0 = ctx.first_line + opts.skip;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        // Records end at LF only: with CRLF the CR stays in the last field (fields are
        // trimmed), so line numbers count every physical line the same way.
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(&mut input);
    let mut rec = csv::StringRecord::new();
    let header = loop {
        match reader.read_record(&mut rec) {
            Ok(true) if rec.iter().all(|f| f.trim().is_empty()) => continue,
            Ok(true) => break Header::new(rec.iter().map(str::to_string).collect()),
            Ok(false) => {
                return Err(Error::BadFile { path: path.into(), reason: "no header row: the file is empty".into() })
            }
            Err(e) => return Err(Error::BadFile { path: path.into(), reason: format!("header: {}", csv_reason(&e)) }),
        }
    };
    let mut cols = bind(&header).map_err(|reason| Error::BadFile { path: path.into(), reason })?;
    loop {
        let line_no = |pos: Option<&csv::Position>| line0 + pos.map_or(0, |p| p.line());
        match reader.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) if rec.len() == 1 && rec[0].trim().is_empty() => continue,
            Ok(true) => {
                let n = line_no(rec.position());
                ctx.rows += 1;
                ctx.last_line = n;
                if rec.len() != header.len()
                    && !(rec.len() > header.len() && rec.iter().skip(header.len()).all(|f| f.trim().is_empty()))
                {
                    ctx.reject(n, format!("the row has {} fields; the header has {}", rec.len(), header.len()));
                    continue;
                }
                if let Err(reason) = each(&mut cols, &Row { line: n, rec: &rec })? {
                    ctx.reject(n, reason);
                }
            }
            Err(e) => {
                let n = line_no(e.position());
                ctx.rows += 1;
                ctx.last_line = n;
                match e.kind() {
                    csv::ErrorKind::Io(_) => {
                        return Err(Error::BadFile {
                            path: path.into(),
                            reason: format!("line {n}: {}", csv_reason(&e)),
                        })
                    }
                    _ => ctx.reject(n, csv_reason(&e)),
                }
            }
        }
    }
    ctx.consumed = skipped_bytes + reader.position().byte();
    Ok(())
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("invalid UTF-8 in field {} (wrong encoding? set `encoding` in a rules file)", err.field() + 1)
        }
        _ => e.to_string(),
    }
}

/// The largest count a row may hold: a quadrillion tokens (or requests) in one row is a
/// damaged file, and keeping every count below this keeps sums of a row's counts (and of
/// many rows) far from `i64` overflow.
pub const MAX_COUNT: i64 = 1_000_000_000_000_000;

/// A whole count written the way exports write them: `59200`, `59200.0`, `"1,000"`; empty
/// is 0. Fractions, signs, other text and counts above [`MAX_COUNT`] are errors.
pub fn count(text: &str) -> std::result::Result<i64, String> {
    let bad = || format!("{text:?} is not a whole count");
    let b = text.trim_ascii().as_bytes();
    if b.is_empty() {
        return Ok(0);
    }
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    if int.is_empty() || !frac.iter().all(|&c| c == b'0') {
        return Err(bad());
    }
    let mut n: i64 = 0;
    for (i, &c) in int.iter().enumerate() {
        match c {
            b'0'..=b'9' => n = n.checked_mul(10).and_then(|n| n.checked_add((c - b'0') as i64)).ok_or_else(bad)?,
            b',' | b'_' | b' ' if i > 0 => {}
            _ => return Err(bad()),
        }
    }
    if n > MAX_COUNT {
        return Err(format!("{text:?} is more than {MAX_COUNT}, not a plausible count"));
    }
    Ok(n)
}

/// A count that may be fractional (Copilot's weighted premium requests: `3.6`), rounded
/// half-to-even to a whole number.
pub fn rounded_count(text: &str) -> std::result::Result<i64, String> {
    if text.trim().is_empty() {
        return Ok(0);
    }
    match crate::money::parse_scaled(text, 0) {
        Ok(n) if (0..=MAX_COUNT).contains(&n) => Ok(n),
        _ => Err(format!("{text:?} is not a count")),
    }
}

/// Unix seconds (`1759622400`, or `1759622400.0`) as epoch milliseconds.
pub fn unix_seconds_ms(text: &str) -> Option<i64> {
    count(text).ok().filter(|_| !text.trim().is_empty()).and_then(|s| s.checked_mul(1000))
}

/// `YYYY-MM-DD`, `M/D/YYYY` or `M/D/YY` (US dates, as GitHub's reports write them).
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.contains('/') {
        let (_, _, y) = {
            let mut it = t.split('/');
            (it.next()?, it.next()?, it.next()?)
        };
        let fmt = if y.len() == 2 { "%m/%d/%y" } else { "%m/%d/%Y" };
        return NaiveDate::parse_from_str(t, fmt).ok();
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

/// A date and time without a zone (`2026-06-28 03:46:57.713`, `2026-06-28T03:46:57`).
pub fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M"))
        .ok()
}

/// Reads all of `input` (bounded like a document) without decoding it.
pub fn read_all(input: &mut dyn BufRead, ctx: &mut ParseCtx) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.take(super::MAX_DOC + 1).read_to_end(&mut bytes).map_err(|e| Error::io(ctx.path, e))?;
    if bytes.len() as u64 > super::MAX_DOC {
        return Err(Error::BadFile {
            path: ctx.path.into(),
            reason: format!("larger than {} MiB", super::MAX_DOC >> 20),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(count("59200.0"), Ok(59200));
        assert_eq!(count("1,000"), Ok(1000));
        assert_eq!(count(""), Ok(0));
        assert_eq!(count(" 12 "), Ok(12));
        assert!(count("1.5").is_err());
        assert!(count("-3").is_err());
        assert!(count("NaN").is_err());
        assert!(count(".").is_err());
        assert!(count(",1").is_err());
        assert_eq!(count("1000000000000000"), Ok(MAX_COUNT));
        assert!(count("1000000000000001").is_err());
        assert!(count("9223372036854775807").is_err());
        assert!(rounded_count("9223372036854775807").is_err());
        assert_eq!(rounded_count("3.6"), Ok(4));
        assert_eq!(rounded_count("2.5"), Ok(2));
    }

    #[test]
    fn days_and_times() {
        assert_eq!(parse_day("5/29/26"), NaiveDate::from_ymd_opt(2026, 5, 29));
        assert_eq!(parse_day("10/01/2025"), NaiveDate::from_ymd_opt(2025, 10, 1));
        assert_eq!(parse_day("2025-10-01"), NaiveDate::from_ymd_opt(2025, 10, 1));
        assert!(parse_naive("2026-06-28 03:46:57.713").is_some());
        assert_eq!(unix_seconds_ms("1759622400"), Some(1_759_622_400_000));
        assert_eq!(unix_seconds_ms(""), None);
    }

    #[test]
    fn sniffs_headers() {
        let h = Header::sniff(b"\xEF\xBB\xBF\"Date\",\"Kind\"\r\n\"x\",\"y\"").unwrap();
        assert_eq!(h.names(), ["Date", "Kind"]);
        let h = Header::sniff(b"a\tb\tc\n1\t2\t3\n").unwrap();
        assert_eq!(h.find("C"), Some(2));
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("a,b\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(Header::sniff(&utf16).unwrap().names(), ["a", "b"]);
        assert!(Header::sniff(b"just text").is_none());
        // A Latin-1 row below an ASCII header.
        assert_eq!(Header::sniff(b"Date,Model\n2026-01-01,claud\xe9\n").unwrap().names(), ["Date", "Model"]);
        assert!(Header::sniff(b"Dat\xe9,Model\n").is_none());
    }
}
