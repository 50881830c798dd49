//! Mapping rules for any CSV, modelled on hledger's CSV rules: a small TOML file says how
//! a CSV's columns become usage events, so a format Tokenburn does not know can still be
//! imported (`tokenburn import --rules FILE.toml PATH`), and `tokenburn rules init
//! FILE.csv` drafts such a file from a CSV's header for the user to edit.
//!
//! ```toml
//! name = "acme-gateway"            # the ledger source (default: rules:<file stem>)
//! skip = 1                         # lines before the header row
//! delimiter = ";"                  # one character or "tab"; sniffed when absent
//! encoding = "windows-1252"        # utf-8 (default), utf-16, utf-16le/be, latin-1, ...
//! decimal_mark = ","               # "." (default) or ","
//! thousands_separator = "."        # "", ",", ".", " ", "'" or "_"
//! date_column = "Datum"            # or: date = "2026-01-31" for a file of one day
//! date_format = "%d.%m.%Y %H:%M"   # chrono strftime; ISO dates and RFC 3339 need none
//! timezone = "Europe/Berlin"       # the zone of naive times and dates (default UTC)
//! provider = "openai"              # a constant, or "%Column"; default: from the model
//! model = "%Modell"                # "%Column" reads a column, anything else is a constant
//! project = "%Team"
//! key_columns = ["Request-ID"]     # the row's identity (default: all its fields)
//!
//! [tokens]                         # canonical field = column
//! input = "Eingabe"
//! output = "Ausgabe"
//! cache_read = "Cache"
//! input_includes_cached = true     # input counts cached (read and written) tokens too
//!
//! [cost]
//! column = "Kosten"
//! unit = "dollars"                 # dollars, cents, or per_million (a price per 1M
//!                                  # tokens, times the row's total tokens)
//! kind = "billed"                  # billed (default), estimated or included; an
//!                                  # empty cell is estimated from the price book
//!
//! [[if]]                           # a regex on a column; later blocks win
//! column = "Modell"
//! matches = "(?i)^test-"
//! skip = true                      # or set provider, model, project, account, kind
//! ```
//!
//! Invariants: every rules error names the rules file and the key (`rules.toml:
//! tokens.input: ...`), at load time for the file's own mistakes and at the header for
//! columns the CSV lacks; a row that does not fit is rejected with its line like any
//! importer's. Natural keys never include the file name, so overlapping files add each row
//! once; identical rows get an occurrence index. Money is parsed from its text.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use encoding_rs::Encoding;
use regex::Regex;
use serde::Deserialize;

use super::csv_rows::{self, count, Header, Opts, Row};
use super::lines::deliver;
use super::names::provider_of;
use super::vendor::{model_or_all, Occurrences};
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::{Error, Result};
use crate::model::{Authority, CostKind, Tokens, UsageEvent};
use crate::money::{cost_of, PerMTok, Usd};
use crate::timezone::{self, day_start_ms, parse_instant_ms};

/// The rules file as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    name: Option<String>,
    skip: Option<u64>,
    delimiter: Option<String>,
    encoding: Option<String>,
    decimal_mark: Option<String>,
    thousands_separator: Option<String>,
    date_column: Option<String>,
    date_format: Option<String>,
    timezone: Option<String>,
    date: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    project: Option<String>,
    account: Option<String>,
    key_columns: Option<Vec<String>>,
    #[serde(default)]
    tokens: TokensFile,
    cost: Option<CostFile>,
    #[serde(default, rename = "if")]
    ifs: Vec<IfFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    input: Option<String>,
    cache_write_5m: Option<String>,
    cache_write_1h: Option<String>,
    cache_read: Option<String>,
    output: Option<String>,
    reasoning: Option<String>,
    requests: Option<String>,
    web_search_requests: Option<String>,
    #[serde(default)]
    input_includes_cached: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CostFile {
    column: String,
    unit: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IfFile {
    column: String,
    matches: String,
    skip: Option<bool>,
    provider: Option<String>,
    model: Option<String>,
    project: Option<String>,
    account: Option<String>,
    kind: Option<String>,
}

/// A field's value: a column (`%Name`) or a constant.
#[derive(Debug, Clone)]
enum Value {
    Column(String),
    Const(String),
}

impl Value {
    fn parse(text: &str) -> Value {
        match text.strip_prefix('%') {
            Some(col) => Value::Column(col.trim().to_string()),
            None => Value::Const(text.to_string()),
        }
    }
}

/// A value bound to the header.
#[derive(Debug, Clone)]
enum Bound {
    Column(usize),
    Const(String),
}

impl Bound {
    fn get<'r>(&'r self, row: &Row<'r>) -> &'r str {
        match self {
            Bound::Column(i) => row.get(*i),
            Bound::Const(s) => s,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Dollars,
    Cents,
    PerMillion,
}

/// The canonical token fields a column can feed, in [`Tokens`] order.
const TOKEN_FIELDS: [&str; 8] = [
    "input",
    "cache_write_5m",
    "cache_write_1h",
    "cache_read",
    "output",
    "reasoning",
    "requests",
    "web_search_requests",
];

#[derive(Debug, Clone)]
struct Overrides {
    skip: Option<bool>,
    provider: Option<Value>,
    model: Option<Value>,
    project: Option<Value>,
    account: Option<Value>,
    kind: Option<CostKind>,
}

#[derive(Debug, Clone)]
struct If {
    column: String,
    regex: Regex,
    set: Overrides,
}

#[derive(Debug, Clone)]
enum DateSpec {
    Column { name: String, format: Option<String> },
    Day(NaiveDate),
}

/// A loaded, checked rules file.
#[derive(Debug, Clone)]
pub struct Rules {
    file: PathBuf,
    name: String,
    opts: Opts,
    decimal_comma: bool,
    thousands: Option<char>,
    tz: Tz,
    date: DateSpec,
    provider: Option<Value>,
    model: Option<Value>,
    project: Option<Value>,
    account: Option<Value>,
    key_columns: Option<Vec<String>>,
    tokens: Vec<(usize, String)>,
    input_includes_cached: bool,
    cost: Option<(String, Unit, CostKind)>,
    ifs: Vec<If>,
}

impl Rules {
    /// Reads and checks a rules file.
    pub fn load(path: &Path) -> Result<Rules> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Rules::parse(path, &text)
    }

    /// Checks rules text read from `path` (named in every error).
    pub fn parse(path: &Path, text: &str) -> Result<Rules> {
        let f: RulesFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
            Error::BadFile { path: path.into(), reason: format!("{at}{}", e.message().trim()) }
        })?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = f.name.clone().unwrap_or_else(|| format!("rules:{stem}"));
        if name.trim().is_empty() || super::SOURCES.iter().any(|s| s.name() == name) {
            return Err(bad(path, "name", format!("{name:?} is empty or the name of a built-in format")));
        }
        let (opts, decimal_comma, thousands) = notation(path, &f)?;
        let tz = match f.timezone.as_deref() {
            None => Tz::UTC,
            Some(z) => timezone::parse_tz(z).map_err(|e| bad(path, "timezone", e.to_string()))?,
        };
        let date = date_spec(path, &f)?;
        let tokens = token_columns(&f.tokens);
        let cost = f.cost.as_ref().map(|c| cost_spec(path, c)).transpose()?;
        if tokens.is_empty() && cost.is_none() {
            return Err(bad(path, "tokens", "map at least one [tokens] column or a [cost] column".into()));
        }
        let ifs = f.ifs.iter().enumerate().map(|(i, b)| if_block(path, i, b)).collect::<Result<Vec<_>>>()?;
        Ok(Rules {
            file: path.to_path_buf(),
            name,
            opts,
            decimal_comma,
            thousands,
            tz,
            date,
            provider: f.provider.as_deref().map(Value::parse),
            model: f.model.as_deref().map(Value::parse),
            project: f.project.as_deref().map(Value::parse),
            account: f.account.as_deref().map(Value::parse),
            key_columns: f.key_columns.clone(),
            tokens,
            input_includes_cached: f.tokens.input_includes_cached,
            cost,
            ifs,
        })
    }

    /// The ledger source of this file's events.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The [`Source`] of these rules, owned by the caller: an import job borrows it.
    pub fn into_source(self) -> RulesSource {
        RulesSource { rules: self }
    }

    /// Binds every column the rules name to the header; a missing one names the rules file
    /// and its key.
    fn bind(&self, h: &Header) -> std::result::Result<Bound_, String> {
        let file = self.file.display();
        let col = |key: &str, name: &str| {
            h.find(name).ok_or_else(|| {
                format!("{file}: {key}: the CSV has no column {name:?} (columns: {})", h.names().join(", "))
            })
        };
        let value = |key: &str, v: &Option<Value>| -> std::result::Result<Option<Bound>, String> {
            Ok(match v {
                None => None,
                Some(Value::Column(c)) => Some(Bound::Column(col(key, c)?)),
                Some(Value::Const(s)) => Some(Bound::Const(s.clone())),
            })
        };
        let date = match &self.date {
            DateSpec::Column { name, .. } => Some(col("date_column", name)?),
            DateSpec::Day(_) => None,
        };
        let mut tokens = Vec::new();
        for (field, name) in &self.tokens {
            tokens.push((*field, col(&format!("tokens.{}", TOKEN_FIELDS[*field]), name)?));
        }
        let cost = match &self.cost {
            Some((name, ..)) => Some(col("cost.column", name)?),
            None => None,
        };
        let key = match &self.key_columns {
            Some(cols) => Some(cols.iter().map(|c| col("key_columns", c)).collect::<std::result::Result<Vec<_>, _>>()?),
            None => None,
        };
        let mut ifs = Vec::new();
        for (i, b) in self.ifs.iter().enumerate() {
            let key = |k: &str| format!("if[{}].{k}", i + 1);
            let s = &b.set;
            ifs.push(BoundIf {
                column: col(&key("column"), &b.column)?,
                regex: b.regex.clone(),
                skip: s.skip,
                provider: value(&key("provider"), &s.provider)?,
                model: value(&key("model"), &s.model)?,
                project: value(&key("project"), &s.project)?,
                account: value(&key("account"), &s.account)?,
                kind: s.kind,
            });
        }
        Ok(Bound_ {
            date,
            provider: value("provider", &self.provider)?,
            model: value("model", &self.model)?,
            project: value("project", &self.project)?,
            account: value("account", &self.account)?,
            tokens,
            cost,
            key,
            ifs,
            occ: Occurrences::default(),
        })
    }

    /// Decimal text in the file's notation as plain `1234.5`.
    fn number<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.thousands.is_none() && !self.decimal_comma {
            return text.into();
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if Some(c) == self.thousands {
                continue;
            }
            out.push(if c == ',' && self.decimal_comma { '.' } else { c });
        }
        out.into()
    }

    fn when(&self, text: &str, format: Option<&str>) -> std::result::Result<When, String> {
        let bad = || match format {
            Some(f) => format!("date {text:?} does not match date_format {f:?}"),
            None => format!("date {text:?} is not an ISO date or time (set date_format)"),
        };
        let local = |t: NaiveDateTime| self.tz.from_local_datetime(&t).earliest().map(|d| d.timestamp_millis());
        match format {
            Some(f) => {
                if let Ok(t) = NaiveDateTime::parse_from_str(text, f) {
                    return local(t).map(When::Instant).ok_or_else(bad);
                }
                if let Ok(t) = DateTime::parse_from_str(text, f) {
                    return Ok(When::Instant(t.timestamp_millis()));
                }
                NaiveDate::parse_from_str(text, f).map(When::Day).map_err(|_| bad())
            }
            None => {
                if let Some(ms) = parse_instant_ms(text) {
                    Ok(When::Instant(ms))
                } else if let Some(d) = csv_rows::parse_day(text) {
                    Ok(When::Day(d))
                } else {
                    csv_rows::parse_naive(text).and_then(local).map(When::Instant).ok_or_else(bad)
                }
            }
        }
    }

    fn row_event(&self, b: &mut Bound_, row: &Row) -> std::result::Result<Option<UsageEvent>, String> {
        let Some(set) = self.fields_of(b, row) else { return Ok(None) };
        let tokens = self.tokens(b, row)?;
        let mut ev = UsageEvent::new(String::new(), "", "", 0, row.line);
        match (&self.date, b.date) {
            (DateSpec::Day(d), _) => self.set_day(&mut ev, *d),
            (DateSpec::Column { format, .. }, Some(i)) => match self.when(row.get(i), format.as_deref())? {
                When::Instant(ms) => ev.ts_ms = ms,
                When::Day(d) => self.set_day(&mut ev, d),
            },
            (DateSpec::Column { .. }, None) => unreachable!("bound with the header"),
        }
        let get = |v: Option<&Bound>| v.map_or("", |v| v.get(row)).trim().to_string();
        ev.model = model_or_all(&get(set.model)).to_string();
        ev.provider = match get(set.provider) {
            p if p.is_empty() => provider_of(&ev.model).to_string(),
            p => p,
        };
        ev.project = Some(get(set.project)).filter(|p| !p.is_empty());
        ev.account = Some(get(set.account)).filter(|a| !a.is_empty());
        ev.cost = self.cost(b, row, &tokens)?;
        // Without a cost column, or with an empty cell, the price book estimates the money:
        // billed money is never an unknown amount.
        ev.cost_kind = match set.kind {
            Some(CostKind::Billed) | None if ev.cost.is_none() => CostKind::Estimated,
            Some(k) => k,
            None => CostKind::Estimated,
        };
        ev.tokens = tokens;
        let key = match &b.key {
            Some(cols) => cols.iter().map(|&i| row.get(i)).collect::<Vec<_>>().join("|"),
            None => row.fields().collect::<Vec<_>>().join("|"),
        };
        ev.key = b.occ.key(key);
        Ok(Some(ev))
    }

    /// The row's fields after the `[[if]]` blocks that match it (later blocks win), or None
    /// when one of them skips the row.
    fn fields_of<'b>(&self, b: &'b Bound_, row: &Row) -> Option<Fields<'b>> {
        let mut set = Fields {
            provider: b.provider.as_ref(),
            model: b.model.as_ref(),
            project: b.project.as_ref(),
            account: b.account.as_ref(),
            kind: self.cost.as_ref().map(|c| c.2),
        };
        for i in &b.ifs {
            if !i.regex.is_match(row.get(i.column)) {
                continue;
            }
            if i.skip == Some(true) {
                return None;
            }
            set.provider = i.provider.as_ref().or(set.provider);
            set.model = i.model.as_ref().or(set.model);
            set.project = i.project.as_ref().or(set.project);
            set.account = i.account.as_ref().or(set.account);
            set.kind = i.kind.or(set.kind);
        }
        Some(set)
    }

    /// The row's token counts; with `input_includes_cached`, cached tokens taken out of input.
    fn tokens(&self, b: &Bound_, row: &Row) -> std::result::Result<Tokens, String> {
        let mut t = [0i64; 8];
        for &(field, i) in &b.tokens {
            t[field] = count(&self.number(row.get(i))).map_err(|e| format!("tokens.{}: {e}", TOKEN_FIELDS[field]))?;
        }
        let mut tokens = Tokens {
            input: t[0],
            cache_write_5m: t[1],
            cache_write_1h: t[2],
            cache_read: t[3],
            output: t[4],
            reasoning: t[5],
            requests: t[6],
            web_search_requests: t[7],
            ..Tokens::default()
        };
        if self.input_includes_cached {
            let cached = tokens.cache_read + tokens.cache_write_5m + tokens.cache_write_1h;
            if cached > tokens.input {
                return Err(format!("cached tokens ({cached}) exceed input ({}) that includes them", tokens.input));
            }
            tokens.input -= cached;
        }
        Ok(tokens)
    }

    /// The row's money from the cost column, None when there is none or its cell is empty.
    fn cost(&self, b: &Bound_, row: &Row, tokens: &Tokens) -> std::result::Result<Option<Usd>, String> {
        let (Some((_, unit, _)), Some(i)) = (&self.cost, b.cost) else { return Ok(None) };
        let text = self.number(row.get(i));
        if text.is_empty() {
            return Ok(None);
        }
        let bad = |e: crate::money::MoneyError| format!("cost: {e}");
        Ok(Some(match unit {
            Unit::Dollars => Usd::parse(&text).map_err(bad)?,
            Unit::Cents => Usd::parse_cents(&text).map_err(bad)?,
            Unit::PerMillion => cost_of(&[(tokens.total(), PerMTok::parse_per_mtok(&text).map_err(bad)?)]),
        }))
    }

    /// A row that covers a calendar day in the file's zone keeps that date.
    fn set_day(&self, ev: &mut UsageEvent, d: NaiveDate) {
        ev.ts_ms = day_start_ms(self.tz, d);
        ev.span_ms = d.succ_opt().map_or(86_400_000, |n| day_start_ms(self.tz, n) - ev.ts_ms);
        ev.day = Some(d);
    }
}

/// An error in the rules file at `key`.
fn bad(path: &Path, key: &str, msg: String) -> Error {
    Error::BadFile { path: path.into(), reason: format!("{key}: {msg}") }
}

/// How the CSV is written: its reading options (delimiter, skipped lines, encoding), and
/// whether its decimal mark is a comma and which thousands separator it uses.
fn notation(path: &Path, f: &RulesFile) -> Result<(Opts, bool, Option<char>)> {
    let delimiter = match f.delimiter.as_deref() {
        None => None,
        Some("tab" | "\\t" | "\t") => Some(b'\t'),
        Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
        Some(d) => return Err(bad(path, "delimiter", format!("{d:?} is not one ASCII character or \"tab\""))),
    };
    let encoding = match f.encoding.as_deref() {
        None => None,
        Some(label) => Some(encoding_of(label).ok_or_else(|| {
            bad(path, "encoding", format!("{label:?} is not an encoding (utf-8, utf-16, latin-1, windows-1252, ...)"))
        })?),
    };
    let decimal_comma = match f.decimal_mark.as_deref() {
        None | Some(".") => false,
        Some(",") => true,
        Some(m) => return Err(bad(path, "decimal_mark", format!("{m:?} is neither \".\" nor \",\""))),
    };
    let thousands = match f.thousands_separator.as_deref() {
        None | Some("") => None,
        Some(s @ ("," | "." | " " | "'" | "_")) => Some(s.chars().next().unwrap_or(',')),
        Some(s) => {
            return Err(bad(path, "thousands_separator", format!("{s:?} is not one of \",\" \".\" \" \" \"'\" \"_\"")))
        }
    };
    if thousands == Some(if decimal_comma { ',' } else { '.' }) {
        return Err(bad(path, "thousands_separator", "is the same as the decimal mark".into()));
    }
    Ok((Opts { delimiter, skip: f.skip.unwrap_or(0), encoding }, decimal_comma, thousands))
}

/// Where a row's date comes from: a column (with its format, if not ISO) or one date for
/// the whole file.
fn date_spec(path: &Path, f: &RulesFile) -> Result<DateSpec> {
    if let Some(fmt) = &f.date_format {
        let bad_item = chrono::format::StrftimeItems::new(fmt).any(|i| matches!(i, chrono::format::Item::Error));
        if bad_item {
            return Err(bad(
                path,
                "date_format",
                format!("{fmt:?} is not a strftime format (e.g. \"%d/%m/%Y %H:%M\")"),
            ));
        }
    }
    match (&f.date_column, &f.date) {
        (Some(c), None) => Ok(DateSpec::Column { name: c.clone(), format: f.date_format.clone() }),
        (None, Some(d)) => Ok(DateSpec::Day(
            csv_rows::parse_day(d).ok_or_else(|| bad(path, "date", format!("{d:?} is not a date (YYYY-MM-DD)")))?,
        )),
        (Some(_), Some(_)) => Err(bad(path, "date", "give date_column or date, not both".into())),
        (None, None) => Err(bad(path, "date_column", "missing: which column holds the date?".into())),
    }
}

/// The `[tokens]` columns: (index in [`TOKEN_FIELDS`], column name).
fn token_columns(t: &TokensFile) -> Vec<(usize, String)> {
    let columns = [
        &t.input,
        &t.cache_write_5m,
        &t.cache_write_1h,
        &t.cache_read,
        &t.output,
        &t.reasoning,
        &t.requests,
        &t.web_search_requests,
    ];
    columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().map(|c| (i, c.trim_start_matches('%').to_string())))
        .collect()
}

/// The `[cost]` table: its column, unit and kind of money.
fn cost_spec(path: &Path, c: &CostFile) -> Result<(String, Unit, CostKind)> {
    let unit = match c.unit.as_deref() {
        None | Some("dollars" | "usd") => Unit::Dollars,
        Some("cents") => Unit::Cents,
        Some("per_million" | "per-million") => Unit::PerMillion,
        Some(u) => return Err(bad(path, "cost.unit", format!("{u:?} is not one of dollars, cents, per_million"))),
    };
    let kind = match c.kind.as_deref() {
        None => CostKind::Billed,
        Some(k) => kind_of(k).ok_or_else(|| bad(path, "cost.kind", kind_error(k)))?,
    };
    Ok((c.column.trim_start_matches('%').to_string(), unit, kind))
}

/// The `i`-th (from 0) `[[if]]` block, checked.
fn if_block(path: &Path, i: usize, b: &IfFile) -> Result<If> {
    let key = |k: &str| format!("if[{}].{k}", i + 1);
    let regex = Regex::new(&b.matches).map_err(|e| bad(path, &key("matches"), e.to_string()))?;
    let kind = match b.kind.as_deref() {
        None => None,
        Some(k) => Some(kind_of(k).ok_or_else(|| bad(path, &key("kind"), kind_error(k)))?),
    };
    let set = Overrides {
        skip: b.skip,
        provider: b.provider.as_deref().map(Value::parse),
        model: b.model.as_deref().map(Value::parse),
        project: b.project.as_deref().map(Value::parse),
        account: b.account.as_deref().map(Value::parse),
        kind,
    };
    Ok(If { column: b.column.trim_start_matches('%').to_string(), regex, set })
}

enum When {
    Instant(i64),
    Day(NaiveDate),
}

fn kind_of(k: &str) -> Option<CostKind> {
    match k {
        "billed" => Some(CostKind::Billed),
        "estimated" => Some(CostKind::Estimated),
        "included" => Some(CostKind::Included),
        _ => None,
    }
}

fn kind_error(k: &str) -> String {
    format!("{k:?} is not one of billed, estimated, included")
}

/// An encoding by its label; `latin-1` and `utf-16` (little-endian unless the file's BOM
/// says otherwise) included.
fn encoding_of(label: &str) -> Option<&'static Encoding> {
    match label.trim().to_ascii_lowercase().as_str() {
        "latin-1" | "latin_1" | "iso-8859-1" => Some(encoding_rs::WINDOWS_1252),
        "utf-16" | "utf16" => Some(encoding_rs::UTF_16LE),
        l => Encoding::for_label(l.as_bytes()),
    }
}

struct BoundIf {
    column: usize,
    regex: Regex,
    skip: Option<bool>,
    provider: Option<Bound>,
    model: Option<Bound>,
    project: Option<Bound>,
    account: Option<Bound>,
    kind: Option<CostKind>,
}

/// What a row's event gets besides its date, tokens and money, once the `[[if]]` blocks
/// are applied.
struct Fields<'b> {
    provider: Option<&'b Bound>,
    model: Option<&'b Bound>,
    project: Option<&'b Bound>,
    account: Option<&'b Bound>,
    kind: Option<CostKind>,
}

/// Rules bound to one file's header.
struct Bound_ {
    date: Option<usize>,
    provider: Option<Bound>,
    model: Option<Bound>,
    project: Option<Bound>,
    account: Option<Bound>,
    tokens: Vec<(usize, usize)>,
    cost: Option<usize>,
    key: Option<Vec<usize>>,
    ifs: Vec<BoundIf>,
    occ: Occurrences,
}

/// A CSV read through a rules file.
pub struct RulesSource {
    rules: Rules,
}

impl Source for RulesSource {
    fn name(&self) -> &str {
        &self.rules.name
    }

    fn describe(&self) -> &'static str {
        "a CSV mapped by a rules file (--rules FILE.toml)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        self.rules.claims(sniff.head)
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        self.rules.read(input, ctx, sink)
    }
}

impl Rules {
    /// Whether a CSV with these first bytes fits the rules: the source's `detect`.
    fn claims(&self, head: &[u8]) -> bool {
        Header::sniff(head).is_some_and(|h| self.bind(&h).is_ok())
    }

    /// Reads a CSV through the rules: the source's `parse`.
    fn read(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        csv_rows::read(input, ctx, &self.opts, |h| self.bind(h), |b, row| deliver(sink, self.row_event(b, row)))
    }
}

/// `tokenburn import --rules FILE.toml PATH...`: every file under each path read through the
/// rules (no detection). A file that cannot be imported is reported beside the others.
pub fn import_paths(
    ledger: &mut crate::ledger::Ledger,
    rules: &Path,
    paths: &[PathBuf],
    dry_run: bool,
    mut progress: impl FnMut(&Path),
) -> Result<Vec<Result<super::FileReport>>> {
    let source = Rules::load(rules)?.into_source();
    let source: &dyn Source = &source;
    let mut out = Vec::new();
    for root in paths {
        for path in super::walk(root, &|_| true)? {
            progress(&path);
            let job = super::FileJob {
                path,
                source,
                start: super::Start::default(),
                tail: super::Tail::Read,
                project: None,
                dry_run,
                mark: None,
            };
            out.push(super::import_file(ledger, job));
        }
    }
    Ok(out)
}

/// `tokenburn rules init FILE.csv`: a draft rules file guessed from the CSV's header and
/// first row, with comments, for the user to edit.
pub fn draft(csv: &Path) -> Result<String> {
    let sample = Sample::read(csv)?;
    let guess = Guess::of(&sample.header);
    let mut out = String::new();
    draft_reading(&mut out, csv, &sample, &guess);
    draft_mapping(&mut out, &guess);
    Ok(out)
}

/// What `rules init` reads of a CSV: how it is written, its header and its first row.
struct Sample {
    utf16: bool,
    latin: bool,
    delimiter: u8,
    header: Vec<String>,
    first_row: Vec<String>,
}

impl Sample {
    /// Reads the first 64 KiB of `csv`.
    fn read(csv: &Path) -> Result<Sample> {
        let mut head = Vec::new();
        {
            use std::io::Read;
            let f = std::fs::File::open(csv).map_err(|e| Error::io(csv, e))?;
            f.take(64 * 1024).read_to_end(&mut head).map_err(|e| Error::io(csv, e))?;
        }
        let utf16 = Encoding::for_bom(&head).is_some_and(|(e, _)| e != encoding_rs::UTF_8);
        let (text, _, bad) = match Encoding::for_bom(&head) {
            Some((e, _)) => e.decode(&head),
            None => encoding_rs::UTF_8.decode(&head),
        };
        let latin = bad && !utf16;
        let text = if latin { encoding_rs::WINDOWS_1252.decode(&head).0 } else { text };
        let first = text.lines().next().unwrap_or("");
        let delimiter = csv_rows::sniff_delimiter(first.as_bytes());
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let mut records = r.records().filter_map(std::result::Result::ok);
        let header: Vec<String> = match records.next() {
            Some(h) if h.len() >= 2 => h.iter().map(|s| s.trim().to_string()).collect(),
            _ => {
                return Err(Error::BadFile {
                    path: csv.into(),
                    reason: "no CSV header row (at least two columns)".into(),
                })
            }
        };
        let first_row = records.next().map(|r| r.iter().map(|s| s.trim().to_string()).collect()).unwrap_or_default();
        Ok(Sample { utf16, latin, delimiter, header, first_row })
    }

    /// The first row's value in `col`.
    fn of(&self, col: &Option<String>) -> Option<String> {
        col.as_ref().and_then(|c| self.header.iter().position(|h| h == c)).and_then(|i| self.first_row.get(i)).cloned()
    }
}

/// The columns `rules init` guesses from their names.
struct Guess {
    date: Option<String>,
    model: Option<String>,
    provider: Option<String>,
    project: Option<String>,
    id: Option<String>,
    cache_read: Option<String>,
    cache_write: Option<String>,
    input: Option<String>,
    output: Option<String>,
    reasoning: Option<String>,
    requests: Option<String>,
    cost: Option<String>,
}

impl Guess {
    fn of(header: &[String]) -> Guess {
        let lower: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
        let find = |want: &dyn Fn(&str) -> bool| lower.iter().position(|h| want(h)).map(|i| header[i].clone());
        let has = |h: &str, words: &[&str]| words.iter().any(|w| h.contains(w));
        let tok = |h: &str| has(h, &["token", "tok"]);
        Guess {
            date: find(&|h| has(h, &["date", "time", "created", "day"])),
            model: find(&|h| has(h, &["model"])),
            provider: find(&|h| has(h, &["provider", "vendor"])),
            project: find(&|h| has(h, &["project", "workspace", "team"])),
            // Only an id of the row itself: an API key's or a project's id repeats across rows.
            id: find(&|h| h == "id" || h.ends_with("id") && has(h, &["request", "generation", "event", "transaction"])),
            cache_read: find(&|h| has(h, &["cache"]) && has(h, &["read", "hit"]) || h.contains("cached")),
            cache_write: find(&|h| has(h, &["cache"]) && has(h, &["write", "creation", "created"])),
            input: find(&|h| has(h, &["input", "prompt"]) && !has(h, &["cache"]) && (tok(h) || !has(h, &["cost"]))),
            output: find(&|h| has(h, &["output", "completion"]) && !has(h, &["cost"])),
            reasoning: find(&|h| has(h, &["reasoning", "thinking"]) && !has(h, &["cost"])),
            requests: find(&|h| has(h, &["request", "calls"]) && !has(h, &["id"])),
            cost: find(&|h| has(h, &["cost", "amount", "spend", "usd", "price", "charge"])),
        }
    }
}

/// The draft's top: how to read the file, its dates, and the fields of every event.
fn draft_reading(out: &mut String, csv: &Path, sample: &Sample, g: &Guess) {
    let q = |s: &str| toml_string(s);
    let header = &sample.header;
    let stem = csv.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "csv".into());
    *out += &format!("# Tokenburn rules drafted from {} by `tokenburn rules init`.\n", csv.display());
    *out += "# Check every line, then: tokenburn import --rules THIS_FILE.toml FILE.csv\n";
    *out += &format!("# Columns: {}\n\n", header.join(", "));
    *out += &format!("name = {}\n", q(&format!("rules:{stem}")));
    if sample.delimiter != b',' {
        *out += &format!("delimiter = {}\n", q(if sample.delimiter == b'\t' { "tab" } else { ";" }));
    }
    if sample.utf16 {
        *out += "encoding = \"utf-16\"\n";
    } else if sample.latin {
        *out += "encoding = \"windows-1252\"\n";
    }
    let date_sample = sample.of(&g.date).unwrap_or_default();
    match &g.date {
        Some(c) => *out += &format!("date_column = {}\n", q(c)),
        None => {
            *out += "# No date column found: name it, or give one date for the whole file.\ndate = \"2026-01-01\"\n"
        }
    }
    match guess_date_format(&date_sample) {
        Some(f) => *out += &format!("date_format = {}   # from the first row: {}\n", q(f), q(&date_sample)),
        None if g.date.is_some() => {
            *out += &format!("# date_format = \"%d/%m/%Y\"   # first row: {}\n", q(&date_sample))
        }
        None => {}
    }
    *out += "timezone = \"UTC\"   # the zone of dates and times without an offset\n";
    let decimal_comma = sample.of(&g.cost).is_some_and(|s| s.contains(',') && !s.contains('.'));
    if decimal_comma {
        *out += "decimal_mark = \",\"\nthousands_separator = \".\"\n";
    }
    match &g.provider {
        Some(c) => *out += &format!("provider = {}\n", q(&format!("%{c}"))),
        None => *out += "# provider = \"openai\"   # default: guessed from the model name\n",
    }
    match &g.model {
        Some(c) => *out += &format!("model = {}\n", q(&format!("%{c}"))),
        None => *out += "model = \"unknown-model\"   # a constant, or \"%Column\"\n",
    }
    if let Some(c) = &g.project {
        *out += &format!("project = {}\n", q(&format!("%{c}")));
    }
    match &g.id {
        Some(c) => *out += &format!("key_columns = [{}]   # the row's identity\n", q(c)),
        None => *out += "# key_columns = [\"Request ID\"]   # default: all of a row's fields\n",
    }
}

/// The draft's tables: token columns, the cost column, and an example `[[if]]`.
fn draft_mapping(out: &mut String, g: &Guess) {
    let q = |s: &str| toml_string(s);
    *out += "\n[tokens]\n";
    let mut any_tokens = false;
    for (field, col) in [
        ("input", &g.input),
        ("cache_write_5m", &g.cache_write),
        ("cache_read", &g.cache_read),
        ("output", &g.output),
        ("reasoning", &g.reasoning),
        ("requests", &g.requests),
    ] {
        match col {
            Some(c) => {
                *out += &format!("{field} = {}\n", q(c));
                any_tokens = true;
            }
            None => *out += &format!("# {field} = \"...\"\n"),
        }
    }
    *out += "input_includes_cached = false   # true when the input column counts cached tokens too\n";
    match &g.cost {
        Some(c) => {
            *out += &format!("\n[cost]\ncolumn = {}\nunit = \"dollars\"   # dollars, cents or per_million\n", q(c));
            *out += "kind = \"billed\"   # billed (what you were charged) or estimated\n";
        }
        None if !any_tokens => *out += "\n# No token or cost column found: map at least one.\n",
        None => *out += "\n# [cost]\n# column = \"Cost\"\n# unit = \"dollars\"\n# kind = \"billed\"\n",
    }
    *out += "\n# [[if]]              # rows to skip or fields to override, by a regex on a column\n";
    *out += &format!("# column = {}\n# matches = \"^test\"\n# skip = true\n", q(g.model.as_deref().unwrap_or("Model")));
}

/// A strftime format for a date sample, or None when ISO forms need none.
fn guess_date_format(s: &str) -> Option<&'static str> {
    if s.is_empty()
        || parse_instant_ms(s).is_some()
        || timezone::parse_date(s).is_some()
        || csv_rows::parse_naive(s).is_some()
    {
        return None;
    }
    const FORMATS: [&str; 10] = [
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%d/%m/%Y %H:%M",
        "%m/%d/%Y",
        "%m/%d/%y",
        "%d.%m.%Y",
        "%d/%m/%Y",
        "%Y/%m/%d",
    ];
    FORMATS.into_iter().find(|f| NaiveDateTime::parse_from_str(s, f).is_ok() || NaiveDate::parse_from_str(s, f).is_ok())
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if c.is_control() => out += &format!("\\u{:04X}", c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<Rules> {
        Rules::parse(Path::new("my.toml"), text)
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let e = rules("date_column = \"D\"\n[tokens]\ninput = \"I\"\n[cost]\ncolumn = \"C\"\nunit = \"euros\"\n");
        assert_eq!(
            e.unwrap_err().to_string(),
            "my.toml: cost.unit: \"euros\" is not one of dollars, cents, per_million"
        );
        let e = rules("date_column = \"D\"\nfoo = 1\n").unwrap_err().to_string();
        assert!(e.starts_with("my.toml: line 2: unknown field `foo`"), "{e}");
        let e = rules("date_column = \"D\"\n[tokens]\ninput = \"I\"\n[[if]]\ncolumn = \"M\"\nmatches = \"(\"\n");
        assert!(e.unwrap_err().to_string().starts_with("my.toml: if[1].matches: "));
        let e = rules("[tokens]\ninput = \"I\"\n").unwrap_err().to_string();
        assert_eq!(e, "my.toml: date_column: missing: which column holds the date?");
        let e = rules("date_column = \"D\"\n").unwrap_err().to_string();
        assert!(e.starts_with("my.toml: tokens: map at least one"), "{e}");
        let e = rules("date_column = \"D\"\ntimezone = \"Mars/Base\"\n[tokens]\ninput = \"I\"\n").unwrap_err();
        assert!(e.to_string().starts_with("my.toml: timezone: unknown time zone"), "{e}");
    }

    #[test]
    fn numbers_in_the_files_notation() {
        let r =
            rules("date_column = \"D\"\ndecimal_mark = \",\"\nthousands_separator = \".\"\n[tokens]\ninput = \"I\"\n")
                .unwrap();
        assert_eq!(r.number("1.234.567,50"), "1234567.50");
        assert_eq!(r.name(), "rules:my");
        assert!(rules("date_column = \"D\"\nthousands_separator = \".\"\n[tokens]\ninput = \"I\"\n").is_err());
    }

    #[test]
    fn guesses_date_formats() {
        assert_eq!(guess_date_format("2026-01-31"), None);
        assert_eq!(guess_date_format("31.01.2026 14:05"), Some("%d.%m.%Y %H:%M"));
        assert_eq!(guess_date_format("1/31/2026"), Some("%m/%d/%Y"));
    }
}
