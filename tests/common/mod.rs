//! Helpers for the CLI end-to-end tests: a temp ledger and the real `tokenburn` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("ledger.db");
        Env { dir, db }
    }

    /// Runs `tokenburn --db <temp> ARGS` with an empty HOME and no agent-log variables.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tokenburn")
    }

    /// The command [`Env::run`] runs, to add variables to.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tokenburn"));
        c.arg("--db").arg(&self.db).args(args).env("HOME", self.dir.path()).env("TZ", "UTC");
        for var in AGENT_VARS {
            c.env_remove(var);
        }
        c
    }

    /// Runs and expects success.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tokenburn {args:?} failed ({:?}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs with `--json` and parses the output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let s = self.ok(&a);
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("bad JSON from {args:?}: {e}\n{s}"))
    }
}

/// The variables that move agents' folders (and the ledger): cleared for every run.
pub const AGENT_VARS: &[&str] = &[
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "TOKENBURN_DB",
    "GEMINI_DATA_DIR",
    "COPILOT_HOME",
    "AMP_DATA_DIR",
    "QWEN_DATA_DIR",
    "OPENCODE_DATA_DIR",
    "KILO_DATA_DIR",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "APPDATA",
    "USERPROFILE",
];

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(rel: &str) -> String {
    fixtures().join(rel).to_string_lossy().into_owned()
}

/// `../shared/data` beside the checkout, or None (the caller prints why it skips).
pub fn shared_data() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIP: ../shared/data is absent; this test needs the real data files");
        None
    }
}

/// A row of a report by its key.
pub fn row<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}: {report}"))
}

pub fn int(v: &Value, field: &str) -> i64 {
    v[field].as_i64().unwrap_or_else(|| panic!("{field} missing in {v}"))
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// A small seeded generator (splitmix64) for tests that pick random moments or bytes; the
/// seed is printed by the caller so a failure reproduces.
pub struct Rng(pub u64);

impl Rng {
    /// The seed from `var` when set, else from the clock.
    pub fn seed_from_env(var: &str) -> u64 {
        match std::env::var(var) {
            Ok(s) => s.parse().unwrap_or_else(|_| panic!("{var}={s} is not a u64")),
            Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64,
        }
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A number from the environment variable `var`, or `default`.
pub fn env_number(var: &str, default: u64) -> u64 {
    std::env::var(var).map(|s| s.parse().unwrap_or_else(|_| panic!("{var}={s} is not a number"))).unwrap_or(default)
}
