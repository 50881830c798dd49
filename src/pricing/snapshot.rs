//! Reading `snapshot.json` (written by `scripts/gen_prices.py`) into lookup tables.
//!
//! Owns the JSON shape and its validation: every price string is parsed into [`PerMTok`]
//! and every match clause compiled here, once, so a lookup never meets bad data. Does not
//! decide which table wins or how a price entry becomes [`Rates`]; `mod.rs` does.
//!
//! Invariant: the order of `genai_models` is significant (genai-prices picks the first
//! model whose clause matches within a provider), so it is kept as written.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::matcher::{Clause, Regex};
use super::Rates;
use crate::money::{MoneyError, PerMTok};

/// The snapshot format this build reads.
const FORMAT: u32 = 1;

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("price snapshot is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("price snapshot format {found}; this build reads format {FORMAT}")]
    Format { found: u32 },
    #[error("price snapshot: {model}: {field} {text:?}: {source}")]
    Price { model: String, field: &'static str, text: String, source: MoneyError },
    #[error("price snapshot: {model}: bad date {text:?} (expected YYYY-MM-DD)")]
    Date { model: String, text: String },
    #[error("price snapshot: {model}: regex {pattern:?}: {reason}")]
    Regex { model: String, pattern: String, reason: String },
    #[error("price snapshot: {model}: unknown provider {provider:?}")]
    UnknownProvider { model: String, provider: String },
}

// ---- the JSON shape ------------------------------------------------------------------

#[derive(Deserialize)]
struct RawSnapshot {
    format: u32,
    genai_providers: Vec<RawProvider>,
    genai_models: Vec<RawModel>,
    litellm: Vec<RawLitellm>,
}

#[derive(Deserialize)]
struct RawProvider {
    id: String,
    #[serde(default)]
    provider_match: Option<RawClause>,
    #[serde(default)]
    model_match: Option<RawClause>,
    #[serde(default)]
    fallback: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    provider: String,
    id: String,
    #[serde(rename = "match")]
    clause: RawClause,
    prices: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawClause {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Regex(String),
    Or(Vec<RawClause>),
    And(Vec<RawClause>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default)]
    from: Option<String>,
    input: Option<RawField>,
    output: Option<RawField>,
    cache_read: Option<RawField>,
    cache_write: Option<RawField>,
    cache_write_1h: Option<RawField>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawField {
    Flat(String),
    Tiered(RawTiered),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiered {
    base: String,
    tiers: Vec<RawTier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    start: i64,
    price: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLitellm {
    key: String,
    provider: String,
    price: RawEntry,
}

// ---- the parsed tables ---------------------------------------------------------------

/// One price field: a base price and, optionally, long-context tiers sorted by `start`.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub base: PerMTok,
    pub tiers: Vec<(i64, PerMTok)>,
}

/// One dated price entry of a model. Missing fields are missing in the source table.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub from: Option<NaiveDate>,
    pub input: Option<Field>,
    pub output: Option<Field>,
    pub cache_read: Option<Field>,
    pub cache_write_5m: Option<Field>,
    pub cache_write_1h: Option<Field>,
}

pub(crate) struct GenaiProvider {
    pub id: String,
    pub provider_match: Option<Clause>,
    pub model_match: Option<Clause>,
    /// Indices into `Tables::providers`.
    pub fallback: Vec<usize>,
    /// Indices into `Tables::models`, in data order.
    pub models: Vec<usize>,
}

pub(crate) struct GenaiModel {
    pub provider: String,
    pub id: String,
    pub clause: Clause,
    pub entries: Vec<Entry>,
}

pub(crate) struct LitellmModel {
    pub key: String,
    pub provider: String,
    pub entry: Entry,
}

/// Which table rows a `(provider, model)` pair resolves to (independent of the date).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Hit {
    pub genai: Option<usize>,
    pub litellm: Option<usize>,
}

pub(crate) struct Tables {
    pub providers: Vec<GenaiProvider>,
    pub models: Vec<GenaiModel>,
    pub litellm: Vec<LitellmModel>,
    /// Lower-cased LiteLLM key -> index (the first one wins on a case-only clash).
    litellm_index: HashMap<String, usize>,
    /// Lower-cased `litellm_provider` values: the prefixes that may be stripped from a name.
    litellm_providers: HashSet<String>,
    /// First 12 hex digits of the snapshot text's SHA-256.
    pub digest: String,
    /// Resolution is a scan over ~1,400 clause trees; re-pricing a ledger asks the same few
    /// names millions of times.
    cache: Mutex<HashMap<(String, String), Hit>>,
}

impl Tables {
    pub(crate) fn parse(text: &str) -> Result<Tables, SnapshotError> {
        let raw: RawSnapshot = serde_json::from_str(text)?;
        if raw.format != FORMAT {
            return Err(SnapshotError::Format { found: raw.format });
        }
        let mut providers = Vec::with_capacity(raw.genai_providers.len());
        let mut provider_index = HashMap::new();
        for p in &raw.genai_providers {
            provider_index.insert(p.id.clone(), providers.len());
            providers.push(GenaiProvider {
                id: p.id.clone(),
                provider_match: p.provider_match.as_ref().map(|c| clause(c, &p.id)).transpose()?,
                model_match: p.model_match.as_ref().map(|c| clause(c, &p.id)).transpose()?,
                fallback: Vec::new(),
                models: Vec::new(),
            });
        }
        for (i, p) in raw.genai_providers.iter().enumerate() {
            for f in &p.fallback {
                let &j = provider_index
                    .get(f)
                    .ok_or_else(|| SnapshotError::UnknownProvider { model: p.id.clone(), provider: f.clone() })?;
                providers[i].fallback.push(j);
            }
        }
        let mut models = Vec::with_capacity(raw.genai_models.len());
        for m in raw.genai_models {
            let name = format!("{}/{}", m.provider, m.id);
            let &p = provider_index
                .get(&m.provider)
                .ok_or_else(|| SnapshotError::UnknownProvider { model: name.clone(), provider: m.provider.clone() })?;
            providers[p].models.push(models.len());
            models.push(GenaiModel {
                clause: clause(&m.clause, &name)?,
                entries: m.prices.iter().map(|e| entry(e, &name)).collect::<Result<_, _>>()?,
                provider: m.provider,
                id: m.id,
            });
        }
        let mut litellm = Vec::with_capacity(raw.litellm.len());
        let mut litellm_index = HashMap::new();
        let mut litellm_providers = HashSet::new();
        for l in raw.litellm {
            litellm_index.entry(l.key.to_lowercase()).or_insert(litellm.len());
            litellm_providers.insert(l.provider.to_lowercase());
            litellm.push(LitellmModel { entry: entry(&l.price, &l.key)?, key: l.key, provider: l.provider });
        }
        litellm_providers.remove("");
        Ok(Tables {
            providers,
            models,
            litellm,
            litellm_index,
            litellm_providers,
            digest: short_hash(text.as_bytes(), 12),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The genai-prices model and LiteLLM entry for `provider` / `model`, if any.
    pub(crate) fn resolve(&self, provider: &str, model: &str) -> Hit {
        let key = (provider.trim().to_lowercase(), model.trim().to_lowercase());
        if let Some(hit) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return *hit;
        }
        let hit = Hit { genai: self.find_genai(&key.0, &key.1), litellm: self.find_litellm(&key.0, &key.1) };
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, hit);
        hit
    }

    /// genai-prices' own lookup: the named provider (by id, then its `provider_match`), then
    /// that provider's `fallback_model_providers`; failing those, every other provider, the
    /// ones whose `model_match` claims the model first. Within a provider the first model
    /// whose clause matches wins.
    fn find_genai(&self, provider: &str, model: &str) -> Option<usize> {
        let mut tried = vec![false; self.providers.len()];
        let named = (!provider.is_empty())
            .then(|| {
                self.providers.iter().position(|p| p.id == provider).or_else(|| {
                    self.providers.iter().position(|p| p.provider_match.as_ref().is_some_and(|c| c.is_match(provider)))
                })
            })
            .flatten();
        if let Some(p) = named {
            let chain = std::iter::once(p).chain(self.providers[p].fallback.iter().copied());
            for q in chain {
                if let Some(m) = self.find_in(q, model, &mut tried) {
                    return Some(m);
                }
            }
        }
        let claims = |p: &GenaiProvider| p.model_match.as_ref().is_some_and(|c| c.is_match(model));
        let claimed = (0..self.providers.len()).filter(|&i| claims(&self.providers[i]));
        let rest = (0..self.providers.len()).filter(|&i| !claims(&self.providers[i]));
        for q in claimed.chain(rest) {
            if let Some(m) = self.find_in(q, model, &mut tried) {
                return Some(m);
            }
        }
        None
    }

    fn find_in(&self, provider: usize, model: &str, tried: &mut [bool]) -> Option<usize> {
        if std::mem::replace(&mut tried[provider], true) {
            return None;
        }
        self.providers[provider].models.iter().copied().find(|&m| self.models[m].clause.is_match(model))
    }

    /// Exact LiteLLM keys only: the name, the name under the provider's prefix
    /// (`anthropic/…`), and the name without a leading LiteLLM provider prefix.
    fn find_litellm(&self, provider: &str, model: &str) -> Option<usize> {
        let get = |k: &str| self.litellm_index.get(k).copied();
        if let Some(i) = get(model) {
            return Some(i);
        }
        if !provider.is_empty() {
            if let Some(i) = get(&format!("{provider}/{model}")) {
                return Some(i);
            }
        }
        let (prefix, rest) = model.split_once('/')?;
        if prefix == provider || self.litellm_providers.contains(prefix) {
            return get(rest);
        }
        None
    }

    /// Every regex in the snapshot compiled (for the test that guards the regex subset).
    #[cfg(test)]
    pub(crate) fn regex_count(&self) -> usize {
        fn count(c: &Clause) -> usize {
            match c {
                Clause::Regex(_) => 1,
                Clause::Or(cs) | Clause::And(cs) => cs.iter().map(count).sum(),
                _ => 0,
            }
        }
        let p = self.providers.iter().flat_map(|p| [&p.provider_match, &p.model_match]).flatten().map(count);
        p.sum::<usize>() + self.models.iter().map(|m| count(&m.clause)).sum::<usize>()
    }
}

impl Entry {
    /// Base rates and the long-context tier, or `None` when the entry lacks an input or an
    /// output price (embeddings, images, moderation: not text generation we can price).
    ///
    /// `anthropic` selects how missing cache-write prices are filled (see `mod.rs`).
    pub(crate) fn rates(&self, anthropic: bool) -> Option<(Rates, Option<(i64, Rates)>)> {
        let fields = [&self.input, &self.output, &self.cache_read, &self.cache_write_5m, &self.cache_write_1h];
        let threshold = fields.iter().filter_map(|f| f.as_ref()?.tiers.first().map(|t| t.0)).min();
        let base = self.rates_at(None, anthropic)?;
        Some((base, threshold.and_then(|t| Some((t, self.rates_at(Some(t), anthropic)?)))))
    }

    fn rates_at(&self, threshold: Option<i64>, anthropic: bool) -> Option<Rates> {
        // A field's price above `threshold`: its tier starting there, else its base price.
        let at = |f: &Field| match threshold {
            Some(t) => f.tiers.iter().rev().find(|(start, _)| *start <= t).map_or(f.base, |&(_, p)| p),
            None => f.base,
        };
        let input = at(self.input.as_ref()?);
        let output = at(self.output.as_ref()?);
        let cache_read = self.cache_read.as_ref().map_or(input, at);
        let cache_write_5m = match &self.cache_write_5m {
            Some(f) => at(f),
            None if anthropic => input.scale(5, 4),
            None => input,
        };
        let cache_write_1h = match &self.cache_write_1h {
            Some(f) => at(f),
            None if anthropic => input.scale(2, 1),
            None => cache_write_5m,
        };
        Some(Rates { input, output, cache_read, cache_write_5m, cache_write_1h })
    }
}

/// The first `len` hex digits of the SHA-256 of `bytes`.
pub(crate) fn short_hash(bytes: &[u8], len: usize) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(len);
    hex
}

fn clause(raw: &RawClause, model: &str) -> Result<Clause, SnapshotError> {
    let list = |cs: &[RawClause]| cs.iter().map(|c| clause(c, model)).collect::<Result<Vec<_>, _>>();
    Ok(match raw {
        RawClause::Equals(s) => Clause::Equals(s.to_lowercase()),
        RawClause::StartsWith(s) => Clause::StartsWith(s.to_lowercase()),
        RawClause::EndsWith(s) => Clause::EndsWith(s.to_lowercase()),
        RawClause::Contains(s) => Clause::Contains(s.to_lowercase()),
        RawClause::Regex(s) => Clause::Regex(Regex::new(s).map_err(|e| SnapshotError::Regex {
            model: model.to_string(),
            pattern: s.clone(),
            reason: e.to_string(),
        })?),
        RawClause::Or(cs) => Clause::Or(list(cs)?),
        RawClause::And(cs) => Clause::And(list(cs)?),
    })
}

fn entry(raw: &RawEntry, model: &str) -> Result<Entry, SnapshotError> {
    let from = raw
        .from
        .as_deref()
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| SnapshotError::Date { model: model.to_string(), text: s.to_string() })
        })
        .transpose()?;
    let f = |raw: &Option<RawField>, name: &'static str| raw.as_ref().map(|r| field(r, model, name)).transpose();
    Ok(Entry {
        from,
        input: f(&raw.input, "input")?,
        output: f(&raw.output, "output")?,
        cache_read: f(&raw.cache_read, "cache_read")?,
        cache_write_5m: f(&raw.cache_write, "cache_write")?,
        cache_write_1h: f(&raw.cache_write_1h, "cache_write_1h")?,
    })
}

fn field(raw: &RawField, model: &str, name: &'static str) -> Result<Field, SnapshotError> {
    let price = |text: &str| {
        PerMTok::parse_per_mtok(text).map_err(|source| SnapshotError::Price {
            model: model.to_string(),
            field: name,
            text: text.to_string(),
            source,
        })
    };
    Ok(match raw {
        RawField::Flat(s) => Field { base: price(s)?, tiers: Vec::new() },
        RawField::Tiered(t) => {
            let mut tiers =
                t.tiers.iter().map(|t| Ok((t.start, price(&t.price)?))).collect::<Result<Vec<_>, SnapshotError>>()?;
            tiers.sort_by_key(|t| t.0);
            Field { base: price(&t.base)?, tiers }
        }
    })
}
