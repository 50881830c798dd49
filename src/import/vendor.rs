//! What vendor exports (OpenAI, Anthropic, Cursor, OpenRouter, Copilot; CSV or JSON) share:
//! natural keys with occurrence indexes, time buckets, ranks, the saved pages of admin APIs,
//! and the rows that one vendor exports in two formats (OpenAI's usage and cost rows, read
//! from the dashboard CSV and from the API's JSON alike). Importers use these pieces and
//! never each other, so each importer file can be removed on its own.
//!
//! Invariant: a key is made of the row's identifying dimensions (bucket start, project,
//! user, key, model, tier, line item, token type...), never of the file name or line, so
//! re-importing a file, or importing an export that overlaps it, adds each row once. Rows
//! whose dimensions repeat inside one file (the vendor grouped by something it does not
//! export) are told apart by their order among those rows ([`Occurrences`]). Aggregated
//! rows rank by their size, so a later export of a bucket that was still filling (today's
//! numbers exported at noon) replaces the partial version instead of adding to it.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use chrono::DateTime;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{bad_json, csv_rows};
use crate::error::Result;
use crate::model::{CostKind, Tokens, UsageEvent};
use crate::money::Usd;
use crate::timezone::parse_instant_ms;

/// The model of a row that has none (an export not grouped by model).
pub const ALL_MODELS: &str = "(all models)";

/// `model`, or [`ALL_MODELS`] when empty.
pub fn model_or_all(model: &str) -> &str {
    if model.is_empty() {
        ALL_MODELS
    } else {
        model
    }
}

/// Occurrence indexes for the rows of one file: the n-th row (from 0) with the same
/// identifying key gets `key#n` (n > 0), so two legitimately identical rows stay two
/// events while re-importing the file, or an export that overlaps it, yields the same keys.
///
/// Keys are counted per scope, the text before their first `|` (the bucket or day every
/// vendor key starts with): exports come sorted by time, so the live table stays small and
/// a million-row file does not walk a million-entry map. A scope seen again later (an
/// unsorted file) picks up its counts where it left them.
#[derive(Default)]
pub struct Occurrences {
    scope: String,
    current: HashMap<u64, u32>,
    closed: HashMap<u64, Vec<(u64, u32)>>,
}

fn digest(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl Occurrences {
    pub fn key(&mut self, key: String) -> String {
        let scope = &key[..memchr::memchr(b'|', key.as_bytes()).unwrap_or(key.len())];
        if scope != self.scope {
            if !self.current.is_empty() {
                self.closed.insert(digest(&self.scope), self.current.drain().collect());
            }
            self.scope.clear();
            self.scope.push_str(scope);
            if let Some(counts) = self.closed.remove(&digest(scope)) {
                self.current.extend(counts);
            }
        }
        // A 64-bit digest stands for the key: a collision would need 2^32 keys in a scope.
        let n = self.current.entry(digest(&key)).or_insert(0);
        *n += 1;
        if *n == 1 {
            key
        } else {
            format!("{key}#{}", *n - 1)
        }
    }
}

/// The key of a bucket starting at `start` (unix seconds) with these dimensions: what
/// `format!("{start}|{dims[0]}|{dims[1]}...")` writes, built in one allocation (it runs
/// once per row of a million-row export).
pub fn bucket_key(start: i64, dims: &[&str]) -> String {
    let mut key = String::with_capacity(20 + dims.iter().map(|d| d.len() + 1).sum::<usize>());
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = start.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if start < 0 {
        key.push('-');
    }
    key.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
    for d in dims {
        key.push('|');
        key.push_str(d);
    }
    key
}

const DAY_MS: i64 = 86_400_000;

/// Places an event on the bucket `[start_ms, end_ms)`: a whole UTC day keeps its date in
/// every zone (CONVENTIONS rule 8); hour and minute buckets fall by their start instant.
pub fn set_bucket(ev: &mut UsageEvent, start_ms: i64, end_ms: i64) {
    ev.ts_ms = start_ms;
    ev.span_ms = (end_ms - start_ms).max(0);
    ev.day = None;
    if ev.span_ms == DAY_MS && start_ms.rem_euclid(DAY_MS) == 0 {
        ev.day = DateTime::from_timestamp_millis(start_ms).map(|t| t.date_naive());
    }
}

/// Places an event on a UTC calendar day.
pub fn set_day(ev: &mut UsageEvent, day: chrono::NaiveDate) {
    let start = day.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp_millis());
    set_bucket(ev, start, start + DAY_MS);
}

/// The rank of an aggregated usage row: more tokens, then more requests, is the later
/// (fuller) version of a bucket.
pub fn rank_of_tokens(t: &Tokens) -> i64 {
    (t.total().clamp(0, 1 << 40) << 20) | t.requests.clamp(0, (1 << 20) - 1)
}

/// The rank of an aggregated cost row: the larger amount is the later version.
pub fn rank_of_cost(c: Usd) -> i64 {
    c.nanos()
}

/// `true`/`false` whatever the case (`FALSE`, `False`), `""` when not given.
pub fn flag(text: &str) -> &'static str {
    if text.eq_ignore_ascii_case("true") || text == "1" || text.eq_ignore_ascii_case("yes") {
        "true"
    } else if text.eq_ignore_ascii_case("false") || text == "0" || text.eq_ignore_ascii_case("no") {
        "false"
    } else {
        ""
    }
}

/// A UTC day (`2026-08-05`, `5/29/26`) or an instant (`2026-08-05T14:00:00Z`) placed on an
/// event: the date column of Anthropic's and GitHub's usage and cost CSVs.
pub fn place(ev: &mut UsageEvent, text: &str) -> std::result::Result<(), String> {
    if let Some(day) = csv_rows::parse_day(text) {
        set_day(ev, day);
    } else {
        ev.ts_ms = parse_instant_ms(text)
            .or_else(|| csv_rows::parse_naive(text).map(|t| t.and_utc().timestamp_millis()))
            .ok_or_else(|| format!("usage_date_utc {text:?} is not a date"))?;
    }
    Ok(())
}

/// One saved page of an admin API (OpenAI's usage and costs, Anthropic's cost report):
/// its time buckets under `data`.
#[derive(Deserialize)]
pub struct Page<B> {
    pub data: Vec<B>,
}

/// The buckets of a saved page, or of an array of pages saved together.
pub fn buckets<'a, B: Deserialize<'a>>(text: &'a str, path: &std::path::Path) -> Result<Vec<B>> {
    // Not an untagged enum: serde cannot buffer borrowed raw numbers through one.
    let pages: Vec<Page<B>> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| bad_json(path, &e))?
    } else {
        vec![serde_json::from_str(text).map_err(|e| bad_json(path, &e))?]
    };
    Ok(pages.into_iter().flat_map(|p| p.data).collect())
}

/// The text of a JSON number or numeric string (`0.06`, `"12.50"`): money is read from its
/// text, never through f64.
pub fn number_text(raw: &RawValue) -> std::result::Result<&str, String> {
    let t = raw.get().trim();
    match t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(s) => Ok(s),
        None if t.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) => Ok(t),
        None => Err(format!("{t} is not a number")),
    }
}

/// One OpenAI usage result, as the dashboard's Activity CSV and the Usage API's JSON both
/// describe it: a bucket and its group-by dimensions ("" when not grouped by one).
/// `input` includes `cached`.
pub struct OpenAiUsageRow<'a> {
    pub start_s: i64,
    pub end_s: i64,
    pub project: &'a str,
    pub user: &'a str,
    pub api_key: &'a str,
    pub model: &'a str,
    /// `true`, `false` or `""`.
    pub batch: &'static str,
    pub tier: &'a str,
    pub requests: i64,
    pub input: i64,
    pub cached: i64,
    pub output: i64,
}

impl OpenAiUsageRow<'_> {
    /// The event of this row (`occ` numbers rows with the same dimensions in one file;
    /// `line` is the row's line or record, its provenance).
    pub fn event(&self, occ: &mut Occurrences, line: u64) -> std::result::Result<UsageEvent, String> {
        if self.cached > self.input {
            return Err(format!("input_cached_tokens {} is more than input_tokens {}", self.cached, self.input));
        }
        if self.end_s <= self.start_s {
            return Err(format!("the bucket ends ({}) before it starts ({})", self.end_s, self.start_s));
        }
        let dims = [self.project, self.user, self.api_key, self.model, self.batch, self.tier];
        let key = occ.key(bucket_key(self.start_s, &dims));
        let mut ev = UsageEvent::new(key, "openai", model_or_all(self.model), 0, line);
        set_bucket(&mut ev, self.start_s * 1000, self.end_s * 1000);
        ev.project = (!self.project.is_empty()).then(|| self.project.to_string());
        ev.tokens = Tokens {
            input: self.input - self.cached,
            cache_read: self.cached,
            output: self.output,
            requests: self.requests,
            ..Tokens::default()
        };
        ev.rank = rank_of_tokens(&ev.tokens);
        Ok(ev)
    }
}

/// One OpenAI cost result, as the dashboard's Cost CSV and the Costs API's JSON both
/// describe it: a 1-day bucket, its group-by dimensions and the amount as text (billed).
pub struct OpenAiCostRow<'a> {
    pub start_s: i64,
    pub end_s: i64,
    pub organization: &'a str,
    pub project: &'a str,
    pub api_key: &'a str,
    pub line_item: &'a str,
    pub amount: &'a str,
    pub currency: &'a str,
}

impl OpenAiCostRow<'_> {
    /// The event of this row (see [`OpenAiUsageRow::event`]).
    pub fn event(&self, occ: &mut Occurrences, line: u64) -> std::result::Result<UsageEvent, String> {
        if !self.currency.is_empty() && !self.currency.eq_ignore_ascii_case("usd") {
            return Err(format!("currency {:?} is not USD", self.currency));
        }
        let cost = Usd::parse(self.amount).map_err(|e| format!("amount: {e}"))?;
        if self.end_s <= self.start_s {
            return Err(format!("the bucket ends ({}) before it starts ({})", self.end_s, self.start_s));
        }
        let key = occ.key(bucket_key(self.start_s, &[self.organization, self.project, self.api_key, self.line_item]));
        let mut ev = UsageEvent::new(key, "openai", model_or_all(self.line_item), 0, line);
        set_bucket(&mut ev, self.start_s * 1000, self.end_s * 1000);
        ev.project = (!self.project.is_empty()).then(|| self.project.to_string());
        ev.cost = Some(cost);
        ev.cost_kind = CostKind::Billed;
        ev.rank = rank_of_cost(cost);
        Ok(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occurrences() {
        let mut o = Occurrences::default();
        assert_eq!(o.key("a".into()), "a");
        assert_eq!(o.key("b".into()), "b");
        assert_eq!(o.key("a".into()), "a#1");
        assert_eq!(o.key("a".into()), "a#2");
        // Scopes: a bucket seen again after another keeps its counts.
        assert_eq!(o.key("1|x".into()), "1|x");
        assert_eq!(o.key("2|x".into()), "2|x");
        assert_eq!(o.key("1|x".into()), "1|x#1");
        assert_eq!(o.key("2|x".into()), "2|x#1");
        assert_eq!(o.key("a".into()), "a#3");
    }

    #[test]
    fn bucket_keys_read_as_formatted() {
        for start in [0, 7, 1_759_622_400, -86_400, i64::MIN, i64::MAX] {
            assert_eq!(bucket_key(start, &["p", "", "gpt-5, input"]), format!("{start}|p||gpt-5, input"));
        }
        assert_eq!(bucket_key(42, &[]), "42");
    }

    #[test]
    fn only_whole_utc_days_keep_a_date() {
        let mut ev = UsageEvent::new("k".into(), "openai", "m", 0, 1);
        set_bucket(&mut ev, 1_759_622_400_000, 1_759_708_800_000);
        assert_eq!(ev.day.map(|d| d.to_string()).as_deref(), Some("2025-10-05"));
        set_bucket(&mut ev, 1_759_622_400_000, 1_759_626_000_000);
        assert_eq!((ev.day, ev.span_ms), (None, 3_600_000));
    }
}
