//! Model and vendor names shared by importers: which vendor a model name implies, and the
//! API-style id of a display name ("Claude Haiku 4.5" -> `claude-haiku-4-5`).
//!
//! These only group and label events; prices match on the model name itself, so a wrong
//! guess here never changes money.

/// The provider a model name implies, for grouping only (prices match on the model).
/// `"unknown"` when the name does not say.
pub fn provider_of(model: &str) -> &'static str {
    let m = model.to_ascii_lowercase();
    let m = m.rsplit('/').next().unwrap_or(&m);
    if m.contains("claude") {
        "anthropic"
    } else if m.starts_with("gpt")
        || m.starts_with("o1")
        || m.starts_with("o3")
        || m.starts_with("o4")
        || m.contains("codex")
    {
        "openai"
    } else if m.contains("gemini") {
        "google"
    } else if m.starts_with("grok") {
        "xai"
    } else if m.starts_with("composer") || m.starts_with("cursor") {
        "cursor"
    } else {
        "unknown"
    }
}

/// The vendor of an OpenRouter-style slug (`openai/gpt-oss-120b` -> `openai`), else the
/// vendor the name implies.
pub fn provider_of_slug(model: &str) -> String {
    match model.split_once('/') {
        Some((vendor, _)) if !vendor.is_empty() => vendor.to_ascii_lowercase(),
        _ => provider_of(model).to_string(),
    }
}

/// A display name as an API-style id: lowercase, runs of spaces, dots, colons and slashes
/// become one `-` ("Claude Haiku 4.5" -> `claude-haiku-4-5`, "Auto: Claude Haiku 4.5" ->
/// `auto-claude-haiku-4-5`). Names that are already ids come back unchanged.
pub fn id_of_display_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_whitespace() || matches!(c, '.' | ':' | '/' | '_' | '-') {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_become_ids() {
        assert_eq!(id_of_display_name("Claude Haiku 4.5"), "claude-haiku-4-5");
        assert_eq!(id_of_display_name("Claude Sonnet 4"), "claude-sonnet-4");
        assert_eq!(id_of_display_name("Auto: Claude Haiku 4.5"), "auto-claude-haiku-4-5");
        assert_eq!(id_of_display_name("claude-opus-4-1-20250805"), "claude-opus-4-1-20250805");
    }

    #[test]
    fn vendors() {
        assert_eq!(provider_of("claude-4.6-sonnet-medium-thinking"), "anthropic");
        assert_eq!(provider_of("gpt-5-codex"), "openai");
        assert_eq!(provider_of("auto"), "unknown");
        assert_eq!(provider_of("composer-2-fast"), "cursor");
        assert_eq!(provider_of_slug("meta-llama/llama-4"), "meta-llama");
        assert_eq!(provider_of_slug("gpt-4o"), "openai");
    }
}
