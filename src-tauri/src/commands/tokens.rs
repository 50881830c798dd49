//! The token estimator: counts of a pasted text or a dropped file in o200k_base and
//! cl100k_base (the engine's `tokens`, tiktoken-rs's exact counts), and what that many
//! tokens cost as input or output of the models the user picks from the price book.

use std::path::{Path, PathBuf};

use tauri::State;
use tokenburn::tokens::Encoding;
use tokenburn::views::estimate::{self, count_all};
pub use tokenburn::views::estimate::{Cost, Count, Counted};
use tokenburn::views::today;

use super::input::{invalid, list};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest pasted text counted (bytes); a bigger one is better dropped as a file.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;
/// Largest file counted (bytes).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

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
    blocking(move || Ok(count_all(&read_text(&path)?, Some(path.display().to_string())))).await
}

/// A file's text: a file of at most [`MAX_FILE_BYTES`], in UTF-8.
fn read_text(path: &Path) -> ApiResult<String> {
    let io = |e: std::io::Error| ApiError::from(tokenburn::error::Error::io(path, e));
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(invalid(format!("{} is not a file", path.display())));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(invalid(format!("{} is larger than {} MB", path.display(), MAX_FILE_BYTES >> 20)));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|e| {
        invalid(format!(
            "{}: not UTF-8 text (byte {} is not valid); only text can be counted",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// What `counts` tokens cost as input and as output of each of `models`, at today's prices
/// (the ledger's overrides included).
#[tauri::command]
pub async fn token_costs(state: State<'_, AppState>, counts: Vec<Count>, models: Vec<String>) -> ApiResult<Vec<Cost>> {
    let models = list("models", &models)?;
    let parsed = parse_counts(&counts)?;
    state.with_ledger(move |l| Ok(estimate::costs(l.book(), &parsed, &models, today(l.tz()?)))).await
}

/// The counts to price: one per encoding, each encoding known, each count an `i64`.
fn parse_counts(counts: &[Count]) -> ApiResult<Vec<(Encoding, u64)>> {
    if counts.is_empty() || counts.len() > Encoding::ALL.len() {
        return Err(invalid("counts: one per encoding (o200k_base, cl100k_base)"));
    }
    let mut parsed = Vec::new();
    for c in counts {
        let e: Encoding = c.encoding.parse().map_err(|e| invalid(format!("counts: {e}")))?;
        if c.tokens > i64::MAX as u64 {
            return Err(invalid("counts: too many tokens"));
        }
        parsed.push((e, c.tokens));
    }
    Ok(parsed)
}

/// Every model name the price book prices today, once each, for the model picker.
#[tauri::command]
pub async fn price_models(state: State<'_, AppState>) -> ApiResult<Vec<String>> {
    state.with_ledger(|l| Ok(estimate::price_models(l.book(), today(l.tz()?)))).await
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(crate::error::Code::App, format!("worker thread failed: {e}")))?
}
