//! Checks on what the UI sends, shared by the view commands: every date, length, range
//! and enum value is validated here before the engine sees it, and a bad one is an
//! `invalid_input` error that names the field and says what would be valid.

use chrono::NaiveDate;

use crate::error::ApiError;

/// Longest name, model, provider or project accepted in a field.
pub const MAX_TEXT: usize = 200;
/// Most entries in a list field (filters, models to price).
pub const MAX_ITEMS: usize = 50;

pub fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(crate::error::Code::InvalidInput, msg)
}

/// A `YYYY-MM-DD` date.
pub fn date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    let s = s.trim();
    if s.len() != 10 {
        return Err(invalid(format!("{field}: {s:?} is not a date (use YYYY-MM-DD)")));
    }
    tokenburn::timezone::parse_date(s).ok_or_else(|| invalid(format!("{field}: {s:?} is not a date (use YYYY-MM-DD)")))
}

/// An optional date: absent or blank is None.
pub fn opt_date(field: &str, s: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => date(field, t).map(Some),
    }
}

/// Trimmed text of at most [`MAX_TEXT`] characters with no control characters; `required`
/// rejects blank.
pub fn text(field: &str, s: &str, required: bool) -> Result<String, ApiError> {
    let t = s.trim();
    if required && t.is_empty() {
        return Err(invalid(format!("{field} is empty")));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(invalid(format!("{field} is longer than {MAX_TEXT} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(invalid(format!("{field} contains a control character")));
    }
    Ok(t.to_string())
}

/// An optional text filter: absent or blank is None.
pub fn opt_text(field: &str, s: &Option<String>) -> Result<Option<String>, ApiError> {
    match s {
        None => Ok(None),
        Some(v) => Ok(Some(text(field, v, false)?).filter(|t| !t.is_empty())),
    }
}

/// A list of non-blank texts, at most [`MAX_ITEMS`], blanks dropped and repeats removed.
pub fn list(field: &str, v: &[String]) -> Result<Vec<String>, ApiError> {
    if v.len() > MAX_ITEMS {
        return Err(invalid(format!("{field}: at most {MAX_ITEMS} entries")));
    }
    let mut out: Vec<String> = Vec::new();
    for s in v {
        let t = text(field, s, false)?;
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_texts_and_lists_are_checked() {
        assert!(date("since", "2026-02-30").is_err());
        assert!(date("since", "2026-2-3").is_err());
        assert_eq!(date("since", " 2026-02-03 ").unwrap().to_string(), "2026-02-03");
        assert_eq!(opt_date("since", &Some("  ".into())).unwrap(), None);
        assert!(text("name", "", true).is_err());
        assert!(text("name", &"x".repeat(MAX_TEXT + 1), false).is_err());
        assert!(text("name", "a\u{7}b", false).is_err());
        assert_eq!(list("models", &["a".into(), " ".into(), "a".into(), "b".into()]).unwrap(), vec!["a", "b"]);
        assert!(list("models", &vec!["m".to_string(); MAX_ITEMS + 1]).is_err());
    }
}
