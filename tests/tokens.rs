//! `tokenburn tokens` end to end through the real binary, and the engine's promise that a
//! parallel count is the sequential count, on generated texts and on the real transcripts
//! in ../shared/data (skipped with a message when absent).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::Utc;
use common::{shared_data, Env};
use serde_json::Value;
use tokenburn::pricing::PriceBook;
use tokenburn::tokens::{self, Encoding};

/// Short strings and their counts as Python tiktoken 0.14 `encode_ordinary` gave them
/// (o200k_base, cl100k_base). The test also checks each against tiktoken-rs directly.
const KNOWN: &[(&str, usize, usize)] = &[
    ("hello world", 2, 2),
    ("Hello, world!\n", 4, 4),
    ("I'm sure it's fine, isn't it?", 8, 11),
    ("    fn main() {\r\n        println!(\"hi\");\r\n    }\r\n", 12, 12),
    ("日本語のテキスト 👍🏽", 9, 13),
    ("12345678901 3.14159", 9, 9),
    ("<|endoftext|>", 7, 7),
    ("", 0, 0),
    ("   \n\n   \n  x", 4, 4),
];

fn stdin_run(env: &Env, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokenburn"))
        .arg("--db")
        .arg(&env.db)
        .args(args)
        .env("HOME", env.dir.path())
        .env_remove("TOKENBURN_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tokenburn");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn known_counts_match_tiktoken() {
    for &(text, o200k, cl100k) in KNOWN {
        // tiktoken-rs's own encode_ordinary, and our counter.
        assert_eq!(tokens::count_reference(Encoding::O200k, text), o200k, "{text:?}");
        assert_eq!(tokens::count_reference(Encoding::Cl100k, text), cl100k, "{text:?}");
        assert_eq!(tokens::count(Encoding::O200k, text), o200k);
        assert_eq!(tokens::count(Encoding::Cl100k, text), cl100k);
    }
    // Through the binary, on stdin (each run loads both encodings: a few seconds in debug).
    let env = Env::new();
    for &(text, o200k, cl100k) in &KNOWN[2..5] {
        let v = json_of(&stdin_run(&env, &["tokens", "--json"], text.as_bytes()));
        assert_eq!(v["tokens"]["o200k_base"], o200k, "{text:?}");
        assert_eq!(v["tokens"]["cl100k_base"], cl100k, "{text:?}");
        assert_eq!(v["bytes"], text.len());
        assert_eq!(v["file"], "-");
    }
    assert!(!env.db.exists(), "counting created a ledger");
}

#[test]
fn file_dash_and_stdin_agree_and_text_output_reads() {
    let env = Env::new();
    let path = env.dir.path().join("prompt.txt");
    let text = "Summarise this file.\nIt's short: 3 lines.\n";
    std::fs::write(&path, text).unwrap();
    let p = path.to_str().unwrap();
    let from_file = env.json(&["tokens", p]);
    let from_dash = json_of(&stdin_run(&env, &["tokens", "-", "--json"], text.as_bytes()));
    assert_eq!(from_file["tokens"], from_dash["tokens"]);
    assert_eq!(from_file["file"], p);

    let out = env.ok(&["tokens", p]);
    let o = tokens::count(Encoding::O200k, text).to_string();
    let c = tokens::count(Encoding::Cl100k, text).to_string();
    assert!(out.contains(&format!("{p}: {} bytes", text.len())), "{out}");
    assert!(out.lines().any(|l| l.contains("o200k_base") && l.contains(&o)), "{out}");
    assert!(out.lines().any(|l| l.contains("cl100k_base") && l.contains(&c)), "{out}");

    let only = env.json(&["tokens", p, "--encoding", "cl100k_base"]);
    assert_eq!(only["tokens"].as_object().unwrap().len(), 1);
    assert_eq!(only["tokens"]["cl100k_base"].as_u64().unwrap().to_string(), c);
    let bad = env.run(&["tokens", p, "--encoding", "p50k_base"]);
    assert!(!bad.status.success());
}

#[test]
fn invalid_utf8_names_the_file_and_byte() {
    let env = Env::new();
    let path = env.dir.path().join("latin1.txt");
    std::fs::write(&path, b"caf\xc3\xa9 ok\nna\xefve\n").unwrap(); // 0xEF then 'v': invalid
    let out = env.run(&["tokens", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(path.to_str().unwrap()), "{err}");
    assert!(err.contains("byte offset 11") && err.contains("line 2") && err.contains("0xEF"), "{err}");

    let out = stdin_run(&env, &["tokens"], b"\xff\xfeh\x00i\x00");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("standard input") && err.contains("byte offset 0"), "{err}");

    let out = env.run(&["tokens", env.dir.path().join("absent.txt").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("absent.txt"));
}

#[test]
fn models_are_priced_exactly_and_unpriced_is_said() {
    let env = Env::new();
    let text = "The quick brown fox jumps over the lazy dog.\n".repeat(50);
    let (o, c) = (tokens::count(Encoding::O200k, &text) as i64, tokens::count(Encoding::Cl100k, &text) as i64);
    let args = ["tokens", "-", "--model", "gpt-4o", "--model", "gpt-4", "--model", "no-such-model-zz"];
    let v = json_of(&stdin_run(&env, &[&args[..], &["--json"]].concat(), text.as_bytes()));
    let today = Utc::now().date_naive();
    let book = PriceBook::embedded();
    let m = &v["models"];
    for (i, model, n) in [(0, "gpt-4o", o), (1, "gpt-4", c)] {
        let p = book.price("", model, today).unwrap_or_else(|| panic!("{model} is priced"));
        assert_eq!(m[i]["tokens"], n, "{model} is priced on its own encoding");
        assert_eq!(m[i]["exact_tokenizer"], true);
        assert_eq!(m[i]["input_usd"], tokenburn::money::cost_of(&[(n, p.base.input)]).to_string());
        assert_eq!(m[i]["output_usd"], tokenburn::money::cost_of(&[(n, p.base.output)]).to_string());
        assert_eq!(m[i]["priced"], true);
    }
    assert_eq!(m[2]["priced"], false);
    assert!(m[2]["input_usd"].is_null() && m[2]["output_usd"].is_null());
    assert_eq!(m[2]["exact_tokenizer"], false);

    let out = stdin_run(&env, &args, text.as_bytes());
    let s = String::from_utf8_lossy(&out.stdout);
    let line = s.lines().find(|l| l.contains("no-such-model-zz")).expect("a line for the unpriced model");
    assert!(line.contains("unpriced") && !line.contains('$'), "{line}");
    assert!(s.lines().any(|l| l.contains("gpt-4o") && l.contains('$')), "{s}");
}

#[test]
fn a_ledgers_price_overrides_are_used() {
    let env = Env::new();
    env.ok(&["prices", "set", "my-local-model", "--input", "1", "--output", "4"]);
    let v = json_of(&stdin_run(&env, &["tokens", "--model", "my-local-model", "--json"], b"hello world"));
    let m = &v["models"][0];
    assert_eq!(m["tokens"], 2, "an unknown tokenizer falls back to o200k_base");
    assert_eq!((m["input_usd"].as_str(), m["output_usd"].as_str()), (Some("0.000002"), Some("0.000008")));
    assert_eq!(m["price_source"], "override");
}

#[test]
fn prices_are_those_in_force_today_in_the_zone() {
    let env = Env::new();
    // UTC+14 and UTC-11: at any moment at least one of them is not on UTC's date.
    let zones = ["Pacific/Kiritimati", "Pacific/Niue"];
    let prices_on = |env: &Env, args: &[&str], zone: &str| {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let today = || Utc::now().with_timezone(&tz).date_naive().to_string();
        let before = today();
        let v = json_of(&stdin_run(env, args, b"hello"));
        let on = v["prices_on"].as_str().unwrap().to_string();
        assert!(on == before || on == today(), "{args:?}: prices on {on}, today in {zone} is {before}");
    };
    // No ledger: `--tz`.
    for zone in zones {
        prices_on(&env, &["tokens", "--tz", zone, "--json"], zone);
    }
    assert!(!env.db.exists(), "counting never creates a ledger");
    // A ledger: its zone.
    for zone in zones {
        env.ok(&["config", "set", "tz", zone]);
        prices_on(&env, &["tokens", "--json"], zone);
    }
}

/// A deterministic xorshift generator: no dependency, same texts on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random texts built from fragments that exercise both pre-tokenizers around newlines.
fn generated(rng: &mut Rng, fragments: usize) -> String {
    const F: &[&str] = &[
        "\n",
        "\r\n",
        "\n\n",
        "\r",
        " ",
        "  ",
        "   ",
        "\t",
        "\u{a0}",
        "\u{3000}",
        "\u{2028}",
        "\u{85}",
        "word",
        "Word",
        "WORD",
        "camelCase",
        "'s",
        "'S",
        "'ll",
        "'re",
        "n't",
        "'",
        "123",
        "4567890",
        "3.14",
        "1,000",
        "/",
        "//",
        "/usr",
        ".",
        "...",
        "!?",
        "{",
        "}",
        "\"",
        "\":\"",
        "\\n",
        "é",
        "e\u{301}",
        "\u{301}",
        "日本語",
        "한국어",
        "👍🏽",
        "<|endoftext|>",
        "fn",
        "()",
        "=>",
        "#",
        "-",
        "_",
    ];
    (0..fragments).map(|_| F[rng.below(F.len())]).collect()
}

/// Tokens of `text` equal the tokens of its two sides at `p`.
fn splits_cleanly(enc: Encoding, text: &str, p: usize) -> bool {
    let bpe = enc.bpe();
    let mut joined = bpe.encode_ordinary(&text[..p]);
    joined.extend(bpe.encode_ordinary(&text[p..]));
    joined == bpe.encode_ordinary(text)
}

#[test]
fn random_texts_count_as_tiktoken_and_cut_safely() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut cuts = 0;
    for _ in 0..300 {
        let len = 2 + rng.below(60);
        let text = generated(&mut rng, len);
        for enc in Encoding::ALL {
            for _ in 0..4 {
                let Some(p) = tokens::next_safe_cut(&text, rng.below(text.len() + 1)) else { continue };
                cuts += 1;
                assert!(splits_cleanly(enc, &text, p), "{enc}: cut at {p} of {text:?}");
            }
            assert_eq!(tokens::count(enc, &text), tokens::count_reference(enc, &text), "{enc}: {text:?}");
            let pieces = tokens::chunks(&text, 1 + rng.below(40));
            let sum: usize = pieces.iter().map(|p| tokens::count(enc, p)).sum();
            assert_eq!(sum, tokens::count(enc, &text), "{enc}: {} pieces of {text:?}", pieces.len());
        }
    }
    assert!(cuts > 1000, "only {cuts} cuts");
}

#[test]
fn parallel_equals_sequential_on_a_generated_text() {
    let mut rng = Rng(7);
    let mut text = String::new();
    while text.len() < 300_000 {
        text.push_str(&generated(&mut rng, 200));
    }
    for enc in Encoding::ALL {
        let seq = tokens::count(enc, &text);
        assert_eq!(tokens::count_parallel(enc, &text, 2), seq, "{enc}");
    }
}

fn transcripts(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            transcripts(&p, out);
        } else if p.extension().is_some_and(|e| e == "jsonl") {
            out.push(p);
        }
    }
}

/// The char boundary at or before `i`.
fn boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[test]
fn real_transcripts_count_the_same_on_any_number_of_threads() {
    let Some(data) = shared_data() else { return };
    let mut files = Vec::new();
    transcripts(&data.join("claude-code"), &mut files);
    assert!(files.len() >= 7, "{files:?}");
    let env = Env::new();
    let mut rng = Rng(99);
    let mut all = String::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if text.is_empty() {
            continue;
        }
        // Random safe cuts, each checked on a random window around it: the rule holds for
        // any text the cut is inside of, so this checks it where the file's bytes meet, cheaply.
        for enc in Encoding::ALL {
            for _ in 0..25 {
                let Some(p) = tokens::next_safe_cut(&text, rng.below(text.len())) else { continue };
                let lo = boundary(&text, p.saturating_sub(1 + rng.below(3000)));
                let hi = boundary(&text, (p + 1 + rng.below(3000)).min(text.len()));
                assert!(splits_cleanly(enc, &text[lo..hi], p - lo), "{enc}: {} at byte {p}", f.display());
            }
        }
        // The small files whole against tiktoken-rs itself (the benchmark checks 100 MB).
        if text.len() < 200_000 {
            for enc in Encoding::ALL {
                assert_eq!(tokens::count(enc, &text), tokens::count_reference(enc, &text), "{enc}: {}", f.display());
            }
        }
        all.push_str(&text);
    }
    // The whole corpus through the binary, on one thread and on two.
    let path = env.dir.path().join("all.jsonl");
    std::fs::write(&path, &all).unwrap();
    let p = path.to_str().unwrap();
    let one = env.json(&["tokens", p, "--threads", "1"]);
    let two = env.json(&["tokens", p, "--threads", "2"]);
    assert_eq!(one["tokens"], two["tokens"]);
    assert!(one["tokens"]["o200k_base"].as_u64().unwrap() > 400_000, "{one}");
}
