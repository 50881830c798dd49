//! Tauri commands, one file per feature. Each is an adapter of at most 15 lines: unpack
//! state, call the engine once on a worker thread (what a view shows comes from
//! [`tokenburn::views`]), return a serialisable value or an [`ApiError`](crate::error::ApiError).
//! Checking a form's fields and the native dialogs are small helpers beside the commands.
//! Adding a command: a function here and one line in `crate::with_commands`.

pub mod app;
pub mod budgets;
pub mod dashboard;
pub mod import;
pub mod input;
pub mod ledger;
pub mod scan;
pub mod settings;
pub mod tokens;

use serde::Serialize;
use tokenburn::import::FileReport;

use crate::error::ApiError;

/// The outcome of importing one file: its report, or why it failed (then nothing of it
/// was written).
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<FileReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

impl FileOutcome {
    pub fn of(path: String, r: Result<FileReport, tokenburn::error::Error>) -> FileOutcome {
        match r {
            Ok(rep) => FileOutcome { path, report: Some(rep), error: None },
            Err(e) => FileOutcome { path, report: None, error: Some(e.into()) },
        }
    }
}

#[cfg(test)]
mod tests {
    /// Lines of each `#[tauri::command]` function in `src`, from its `fn` line through its
    /// closing brace, by name.
    fn command_lengths(src: &str) -> Vec<(String, usize)> {
        let lines: Vec<&str> = src.lines().collect();
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if l.trim() != "#[tauri::command]" {
                continue;
            }
            let start = i + lines[i..].iter().position(|l| l.contains("fn ")).expect("a command is a function");
            let name = lines[start].split("fn ").nth(1).unwrap().split(['<', '(']).next().unwrap().to_string();
            let (mut depth, mut opened) = (0i32, false);
            for (j, l) in lines.iter().enumerate().skip(start) {
                // Braces inside strings are rare in commands; a format string's `{x}` pairs up.
                depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                opened |= l.contains('{');
                if opened && depth <= 0 {
                    out.push((name, j - start + 1));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn every_command_is_an_adapter_of_at_most_15_lines() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
        let mut long = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let src = std::fs::read_to_string(&path).unwrap();
            for (name, n) in command_lengths(&src) {
                seen += 1;
                if n > 15 {
                    long.push(format!("{}: {name} has {n} lines", path.display()));
                }
            }
        }
        assert!(seen >= 29, "found only {seen} commands");
        assert!(
            long.is_empty(),
            "commands longer than 15 lines (move the work to the engine or a helper):\n{}",
            long.join("\n")
        );
    }

    #[test]
    fn a_long_command_is_found() {
        let body = "    let x = 1;\n".repeat(14);
        let src = format!("#[tauri::command]\npub async fn long<R: Runtime>(a: u32) -> u32 {{\n{body}}}\n");
        assert_eq!(command_lengths(&src), [("long".to_string(), 16)]);
    }
}
