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
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use encoding_rs::Encoding;

use super::lines::LineResult;
use super::{ParseCtx, Position};
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
    rec: &'r Record,
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

/// One record's fields: their text end to end and where each one ends.
#[derive(Debug, Default)]
struct Record {
    text: String,
    ends: Vec<usize>,
}

impl Record {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// What [`Records::next`] read: a record starting on `line` (its fields in `Records::rec`),
/// or one that is not UTF-8 in the field at that index (from 0).
type Next = (u64, std::result::Result<(), usize>);

/// Splits CSV text into records exactly as the `csv` crate does with the settings this
/// module used it with (RFC 4180 quotes with `""` inside, no escape or comment byte,
/// records ended by LF alone, any number of fields): one pass over a buffer, no per-byte
/// state machine. `tests::splits_records_as_the_csv_crate_does` holds it to the crate.
///
/// The crate's quirks are kept, because line numbers and rejected rows depend on them:
/// empty lines between records are skipped, and a record's line is where the reader stood
/// when asked for it (so just after the record before it, blank lines included); a UTF-8
/// BOM at the start is skipped; a quote only opens a field at its first byte, and text
/// after a closing quote is kept in the field; an unclosed quote runs to the end of input.
struct Records<'i> {
    input: &'i mut dyn Read,
    delimiter: u8,
    buf: Vec<u8>,
    /// The first byte of `buf` not yet read into a record, and the end of what was read.
    pos: usize,
    end: usize,
    eof: bool,
    started: bool,
    /// The line the reader stands on (1-based): 1 + line feeds read so far.
    line: u64,
    /// Bytes read into records (or skipped) so far.
    consumed: u64,
    rec: Record,
}

/// Bytes read from the input at a time (more when one record is longer). As large as the
/// buffered reader a streamed import reads through, which then hands such reads straight on.
const CHUNK: usize = 1 << 20;

impl<'i> Records<'i> {
    fn new(input: &'i mut dyn Read, delimiter: u8) -> Records<'i> {
        Records {
            input,
            delimiter,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            eof: false,
            started: false,
            line: 1,
            consumed: 0,
            rec: Record::default(),
        }
    }

    /// Reads more input after what is left unread, at least as much again as is left (a
    /// record longer than a read is re-split O(log n) times); sets `eof` at the end.
    fn fill(&mut self) -> std::io::Result<()> {
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        let want = self.buf.len().max(self.end + CHUNK.max(self.end));
        if self.buf.len() < want {
            let mut bigger = vec![0; want];
            bigger[..self.end].copy_from_slice(&self.buf[..self.end]);
            self.buf = bigger;
        }
        while self.end < want {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The next record, None at the end of the input.
    fn next(&mut self) -> std::io::Result<Option<Next>> {
        let line = self.line;
        let mut bytes = std::mem::take(&mut self.rec.text).into_bytes();
        if !self.started {
            while self.end - self.pos < 3 && !self.eof {
                self.fill()?;
            }
            if self.buf[self.pos..self.end].starts_with(b"\xEF\xBB\xBF") {
                self.pos += 3;
                self.consumed += 3;
            }
            self.started = true;
        }
        loop {
            let blank = self.buf[self.pos..self.end].iter().take_while(|&&b| b == b'\n').count();
            self.pos += blank;
            self.consumed += blank as u64;
            self.line += blank as u64;
            if self.pos == self.end {
                if self.eof {
                    self.rec.text = String::from_utf8(bytes).unwrap_or_default();
                    return Ok(None);
                }
                self.fill()?;
                continue;
            }
            let data = &self.buf[self.pos..self.end];
            if let Some((n, lines)) = split_record(data, self.delimiter, self.eof, &mut bytes, &mut self.rec.ends) {
                self.line += lines;
                self.pos += n;
                self.consumed += n as u64;
                break;
            }
            self.fill()?;
        }
        let bad_field = |bytes: &[u8], ends: &[usize]| {
            (0..ends.len())
                .find(|&i| std::str::from_utf8(&bytes[if i == 0 { 0 } else { ends[i - 1] }..ends[i]]).is_err())
        };
        match String::from_utf8(bytes) {
            // Fields are valid when the whole is and no field ends inside a character.
            Ok(text) if self.rec.ends.iter().all(|&e| text.is_char_boundary(e)) => {
                self.rec.text = text;
                Ok(Some((line, Ok(()))))
            }
            Ok(text) => Ok(Some((line, Err(bad_field(text.as_bytes(), &self.rec.ends).unwrap_or(0))))),
            Err(e) => Ok(Some((line, Err(bad_field(e.as_bytes(), &self.rec.ends).unwrap_or(0))))),
        }
    }
}

/// Splits the record at the start of `data` (which is not empty and does not start with a
/// line feed) into `text` and `ends`, returning how many bytes it took up (its line feed
/// included) and how many line feeds those hold; None when `data` ends inside it and more
/// input may follow.
fn split_record(
    data: &[u8],
    delimiter: u8,
    at_eof: bool,
    text: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> Option<(usize, u64)> {
    text.clear();
    ends.clear();
    let mut i = 0;
    // Line feeds inside quotes, and any delimiter that is one.
    let mut lines = 0u64;
    let count_lines = |bytes: &[u8]| memchr::memchr_iter(b'\n', bytes).count() as u64;
    // Input running out inside a record ends it, and its last field, at the end of input.
    let end_of_input = |text: &mut Vec<u8>, ends: &mut Vec<usize>, lines: u64| {
        at_eof.then(|| {
            ends.push(text.len());
            (data.len(), lines)
        })
    };
    loop {
        // The start of a field.
        if i == data.len() {
            return end_of_input(text, ends, lines);
        }
        if data[i] == b'"' {
            i += 1;
            loop {
                // Inside quotes: everything up to the next quote is text.
                match memchr::memchr(b'"', &data[i..]) {
                    None => {
                        text.extend_from_slice(&data[i..]);
                        return end_of_input(text, ends, lines + count_lines(&data[i..]));
                    }
                    Some(k) => {
                        text.extend_from_slice(&data[i..i + k]);
                        lines += count_lines(&data[i..i + k]);
                        i += k + 1;
                    }
                }
                // After a quote: another quote is a quote in the text; a delimiter or line feed
                // ends the field; anything else is text, and the field goes on unquoted.
                match data.get(i) {
                    None => return end_of_input(text, ends, lines),
                    Some(&b'"') => {
                        text.push(b'"');
                        i += 1;
                    }
                    Some(_) => break,
                }
            }
        }
        // Unquoted text (or what follows a closing quote), up to a delimiter or line feed.
        let n = memchr::memchr2(delimiter, b'\n', &data[i..]).unwrap_or(data.len() - i);
        text.extend_from_slice(&data[i..i + n]);
        i += n;
        if i == data.len() {
            return end_of_input(text, ends, lines);
        }
        ends.push(text.len());
        i += 1;
        lines += (data[i - 1] == b'\n') as u64;
        if data[i - 1] != delimiter {
            return Some((i, lines));
        }
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
    // Records end at LF only: with CRLF the CR stays in the last field (fields are
    // trimmed), so line numbers count every physical line the same way.
    let mut records = Records::new(&mut input, delimiter);
    let header = read_header(&mut records, path)?;
    let mut cols = bind(&header).map_err(|reason| Error::BadFile { path: path.into(), reason })?;
    read_rows(&mut records, ctx, &header, line0, |row| each(&mut cols, row))?;
    ctx.consumed = skipped_bytes + records.consumed;
    Ok(())
}

/// The header: the first record that is not blank.
fn read_header(records: &mut Records, path: &Path) -> Result<Header> {
    loop {
        match records.next() {
            Ok(Some((_, Ok(())))) if records.rec.iter().all(|f| f.trim().is_empty()) => continue,
            Ok(Some((_, Ok(())))) => return Ok(Header::new(records.rec.iter().map(str::to_string).collect())),
            Ok(Some((_, Err(field)))) => {
                return Err(Error::BadFile { path: path.into(), reason: format!("header: {}", utf8_reason(field)) })
            }
            Ok(None) => {
                return Err(Error::BadFile { path: path.into(), reason: "no header row: the file is empty".into() })
            }
            Err(e) => return Err(Error::BadFile { path: path.into(), reason: format!("header: {e}") }),
        }
    }
}

/// The data rows after the header, each numbered by its physical line (`line0` lines
/// precede the header's): rows of the wrong width or not UTF-8 are rejected here, the others
/// go to `each`.
fn read_rows(
    records: &mut Records,
    ctx: &mut ParseCtx,
    header: &Header,
    line0: u64,
    mut each: impl FnMut(&Row) -> Result<LineResult>,
) -> Result<()> {
    loop {
        match records.next() {
            Ok(None) => return Ok(()),
            Ok(Some((_, Ok(())))) if records.rec.len() == 1 && records.rec.text.trim().is_empty() => continue,
            Ok(Some((line, Ok(())))) => {
                let n = line0 + line;
                ctx.rows += 1;
                ctx.last_line = n;
                let rec = &records.rec;
                if rec.len() != header.len()
                    && !(rec.len() > header.len() && rec.iter().skip(header.len()).all(|f| f.trim().is_empty()))
                {
                    ctx.reject(
                        Position::Line(n),
                        format!("the row has {} fields; the header has {}", rec.len(), header.len()),
                    );
                    continue;
                }
                if let Err(reason) = each(&Row { line: n, rec })? {
                    ctx.reject(Position::Line(n), reason);
                }
            }
            Ok(Some((line, Err(field)))) => {
                let n = line0 + line;
                ctx.rows += 1;
                ctx.last_line = n;
                ctx.reject(Position::Line(n), utf8_reason(field));
            }
            Err(e) => {
                // A read error has no position: it is reported at the line before the first row.
                ctx.rows += 1;
                ctx.last_line = line0;
                return Err(Error::BadFile { path: ctx.path.into(), reason: format!("line {line0}: {e}") });
            }
        }
    }
}

fn utf8_reason(field: usize) -> String {
    format!("invalid UTF-8 in field {} (wrong encoding? set `encoding` in a rules file)", field + 1)
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

    /// Records (their line, and their fields or the field that is not UTF-8) and bytes read.
    type Split = (Vec<(u64, std::result::Result<Vec<String>, usize>)>, u64);

    /// Every record the `csv` crate reads (with the settings this module once used it with),
    /// as `Records` must read it: fields, line, the field that is not UTF-8, bytes read.
    fn csv_crate_records(input: &[u8], delimiter: u8) -> Split {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(input);
        let mut rec = csv::StringRecord::new();
        let mut out = Vec::new();
        loop {
            match r.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => out.push((rec.position().unwrap().line(), Ok(rec.iter().map(str::to_string).collect()))),
                Err(e) => match e.kind() {
                    csv::ErrorKind::Utf8 { pos, err } => out.push((pos.as_ref().unwrap().line(), Err(err.field()))),
                    _ => panic!("{e}"),
                },
            }
        }
        (out, r.position().byte())
    }

    /// Input that arrives a few bytes per read, as a pipe may deliver it.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn our_records(input: &[u8], delimiter: u8) -> Split {
        let whole = records_read_by(input, delimiter, usize::MAX);
        for step in [1, 2, 5] {
            assert_eq!(records_read_by(input, delimiter, step), whole, "read {step} bytes at a time");
        }
        whole
    }

    fn records_read_by(input: &[u8], delimiter: u8, step: usize) -> Split {
        let mut input = Trickle(input, step);
        let mut records = Records::new(&mut input, delimiter);
        let mut out = Vec::new();
        while let Some((line, read)) = records.next().unwrap() {
            out.push((line, read.map(|()| records.rec.iter().map(str::to_string).collect())));
        }
        (out, records.consumed)
    }

    #[test]
    fn splits_records_as_the_csv_crate_does() {
        let cases: &[&[u8]] = &[
            b"",
            b"\n\n\n",
            b"a,b\n\n\nc,d\n",
            b"\xEF\xBB\xBFa,b\r\n1,2\r\n",
            b"\xEF\xBB\xBF\xEF\xBB\xBFa\n",
            b"a,\"b,c\"\"d\"\"\",e\n\"x\ny\",z",
            b"\"ab\"cd,e\"f\",\"\"\n",
            b"\"unclosed,\n\n\nrest",
            b"a,\n,\n,,\n\r\n  \n",
            b"\"a\"\r\n\"b\"",
            b"caf\xe9,ok\nok,\xc3\n\xc3,\xa9\n",
            b"x,\"\xc3\",\"\xa9\"",
        ];
        for delimiter in [b',', b';', b'\t', b'"', b'\n', b'\r', 0xA9] {
            for case in cases {
                assert_eq!(our_records(case, delimiter), csv_crate_records(case, delimiter), "{case:?} {delimiter}");
            }
        }
        // Random text from the bytes that matter.
        let alphabet: &[&[u8]] = &[
            b",",
            b";",
            b"\"",
            b"\"\"",
            b"\n",
            b"\r\n",
            b" ",
            b"a",
            b"12",
            b"\xEF\xBB\xBF",
            b"\xc3",
            b"\xa9",
            b"\xe9",
        ];
        let mut seed: u64 = 0x2545F4914F6CDD1D;
        for round in 0..5_000 {
            let mut text = Vec::new();
            for _ in 0..(round % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.extend_from_slice(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let delimiter = [b',', b';', b'"'][round % 3];
            assert_eq!(our_records(&text, delimiter), csv_crate_records(&text, delimiter), "{text:?} {delimiter}");
        }
    }

    #[test]
    fn long_records_span_reads() {
        // A quoted field longer than a read, line feeds inside, then ordinary rows.
        let long = "x\n".repeat(CHUNK);
        let text = format!("a,b\n\"{long}\",1\n2,3\n");
        let (records, consumed) = our_records(text.as_bytes(), b',');
        assert_eq!(records, csv_crate_records(text.as_bytes(), b',').0);
        assert_eq!(records.len(), 3);
        assert_eq!(records[2].0, 3 + CHUNK as u64);
        assert_eq!(consumed, text.len() as u64);
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
