//! The token estimator: counts of a pasted text or a dropped file in o200k_base and
//! cl100k_base (the engine's `tokens`, tiktoken-rs's exact counts), and what that many
//! tokens cost as input or output of the models the user picks from the price book.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tauri::State;
use tokenburn::tokens::{self, Encoding};

use super::input::{invalid, list};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest pasted text counted (bytes); a bigger one is better dropped as a file.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;
/// Largest file counted (bytes).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

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

fn count_all(text: &str, path: Option<String>) -> Counted {
    let counts = Encoding::ALL
        .iter()
        .map(|&e| Count { encoding: e.name().to_string(), tokens: tokens::count_parallel(e, text, 0) as u64 })
        .collect();
    Counted { path, bytes: text.len(), chars: text.chars().count(), counts }
}

/// Counts a pasted text.
#[tauri::command]
pub async fn count_tokens(text: String) -> ApiResult<Counted> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(invalid(format!(
            "the text is {} MB; paste at most {} MB, or drop the file instead",
            text.len() >> 20,
            MAX_TEXT_BYTES >> 20
        )));
    }
    blocking(move || Ok(count_all(&text, None))).await
}

/// Counts a file the user dropped on the window or named in the path field.
#[tauri::command]
pub async fn count_tokens_file(path: PathBuf) -> ApiResult<Counted> {
    blocking(move || {
        let io = |e: std::io::Error| ApiError::from(tokenburn::error::Error::io(&path, e));
        let meta = std::fs::metadata(&path).map_err(io)?;
        if !meta.is_file() {
            return Err(invalid(format!("{} is not a file", path.display())));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(invalid(format!("{} is larger than {} MB", path.display(), MAX_FILE_BYTES >> 20)));
        }
        let bytes = std::fs::read(&path).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            invalid(format!(
                "{}: not UTF-8 text (byte {} is not valid); only text can be counted",
                path.display(),
                e.utf8_error().valid_up_to()
            ))
        })?;
        Ok(count_all(&text, Some(path.display().to_string())))
    })
    .await
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

/// What `counts` tokens cost as input and as output of each of `models`, at today's prices
/// (the ledger's overrides included).
#[tauri::command]
pub async fn token_costs(state: State<'_, AppState>, counts: Vec<Count>, models: Vec<String>) -> ApiResult<Vec<Cost>> {
    let models = list("models", &models)?;
    if counts.is_empty() || counts.len() > Encoding::ALL.len() {
        return Err(invalid("counts: one per encoding (o200k_base, cl100k_base)"));
    }
    let mut parsed = Vec::new();
    for c in &counts {
        let e: Encoding = c.encoding.parse().map_err(|e| invalid(format!("counts: {e}")))?;
        if c.tokens > i64::MAX as u64 {
            return Err(invalid("counts: too many tokens"));
        }
        parsed.push((e, c.tokens));
    }
    state
        .with_ledger(move |l| {
            let today = crate::summary::today(l.tz()?);
            let usd = |u: Option<tokenburn::money::Usd>| u.map(|u| u.to_string());
            Ok(tokens::costs(l.book(), &parsed, &models, today)
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
                .collect())
        })
        .await
}

/// Every model name the price book prices today, once each, for the model picker.
#[tauri::command]
pub async fn price_models(state: State<'_, AppState>) -> ApiResult<Vec<String>> {
    state
        .with_ledger(|l| {
            let mut seen = std::collections::BTreeSet::new();
            let today = crate::summary::today(l.tz()?);
            Ok(l.book().models(today).into_iter().filter_map(|(_, m, _)| seen.insert(m.clone()).then_some(m)).collect())
        })
        .await
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(crate::error::Code::App, format!("worker thread failed: {e}")))?
}
