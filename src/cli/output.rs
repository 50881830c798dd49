//! Shared printing helpers of the CLI: number grouping and the progress bar.

use std::io::IsTerminal;
use std::path::Path;

/// 1234567 -> "1,234,567".
pub fn group(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A progress bar on stderr, only when stderr is a terminal.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn new(len: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        Progress(Some(bar))
    }
    pub fn set_len(&self, n: usize) {
        if let Some(b) = &self.0 {
            b.set_length(n as u64);
        }
    }
    pub fn set_pos(&self, i: usize) {
        if let Some(b) = &self.0 {
            b.set_position(i as u64);
        }
    }
    pub fn file(&self, p: &Path) {
        if let Some(b) = &self.0 {
            b.set_message(p.display().to_string());
            b.tick();
        }
    }
    pub fn done(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
