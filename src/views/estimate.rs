//! The token estimator's answers: a text's counts in each encoding, and what that many
//! tokens cost as input and as output of chosen models at a day's prices.
//!
//! Counts are tiktoken-rs's exact counts ([`crate::tokens`]); money is exact decimal
//! text, and a model without a price is `None`, never $0.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Usd;
use crate::pricing::PriceBook;
use crate::tokens::{self, Encoding};

/// One encoding's count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Count {
    /// `o200k_base` or `cl100k_base`.
    pub encoding: String,
    pub tokens: u64,
}

/// A counted text.
#[derive(Debug, Clone, Serialize)]
pub struct Counted {
    /// The file counted, when it was one.
    pub path: Option<String>,
    pub bytes: usize,
    pub chars: usize,
    pub counts: Vec<Count>,
}

/// `text` counted in every encoding (`path`: the file it came from).
pub fn count_all(text: &str, path: Option<String>) -> Counted {
    let counts = Encoding::ALL
        .iter()
        .map(|&e| Count { encoding: e.name().to_string(), tokens: tokens::count_parallel(e, text, 0) as u64 })
        .collect();
    Counted { path, bytes: text.len(), chars: text.chars().count(), counts }
}

/// One model's cost for the counted tokens. Money is exact decimal text; None is unpriced.
#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    pub model: String,
    /// The encoding whose count was priced.
    pub encoding: String,
    /// False when the model's own tokenizer is not one of these (the count is an estimate).
    pub exact_tokenizer: bool,
    pub tokens: u64,
    pub source: Option<String>,
    pub input_usd: Option<String>,
    pub output_usd: Option<String>,
    pub long_context: bool,
}

/// What `counts` tokens cost as input and as output of each of `models` at `day`'s prices
/// in `book` (the ledger's overrides included).
pub fn costs(book: &PriceBook, counts: &[(Encoding, u64)], models: &[String], day: NaiveDate) -> Vec<Cost> {
    let usd = |u: Option<Usd>| u.map(|u| u.to_string());
    tokens::costs(book, counts, models, day)
        .into_iter()
        .map(|c| Cost {
            model: c.model,
            encoding: c.encoding.name().to_string(),
            exact_tokenizer: c.tokenizer == Some(c.encoding),
            tokens: c.tokens,
            source: c.source,
            input_usd: usd(c.input),
            output_usd: usd(c.output),
            long_context: c.long_context,
        })
        .collect()
}

/// Every model name `book` prices on `day`, once each, for the model picker.
pub fn price_models(book: &PriceBook, day: NaiveDate) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    book.models(day).into_iter().filter_map(|(_, m, _)| seen.insert(m.clone()).then_some(m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_encoding_and_prices_known_models_only() {
        let c = count_all("hello world", None);
        assert_eq!((c.bytes, c.chars, c.counts.len()), (11, 11, Encoding::ALL.len()));
        assert!(c.counts.iter().all(|n| n.tokens == 2), "{c:?}");
        let book = PriceBook::embedded();
        let day: NaiveDate = "2026-11-27".parse().unwrap();
        let models = vec!["gpt-4o".to_string(), "no-such-model".to_string()];
        let out = costs(book, &[(Encoding::O200k, 1_000_000)], &models, day);
        assert_eq!(out.len(), 2);
        assert!(out[0].input_usd.is_some() && out[0].exact_tokenizer, "{:?}", out[0]);
        assert_eq!((out[1].input_usd.as_deref(), out[1].output_usd.as_deref()), (None, None), "unpriced, not $0");
        let names = price_models(book, day);
        assert!(names.iter().any(|m| m == "gpt-4o"));
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "each once");
    }
}
