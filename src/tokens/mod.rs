//! Token counts of any text with OpenAI's BPE encodings (`o200k_base`, `cl100k_base`,
//! through tiktoken-rs, whose crate embeds the BPE files: no network), counted on one
//! thread or on many, and what that many tokens would cost per model.
//!
//! Owns: loading each encoding once (lazily, in a `OnceLock`), counting, cutting a text
//! into pieces that can be counted apart, and pricing a token count with a [`PriceBook`].
//! It does not read files or decide which models to price: the CLI does.
//!
//! # The invariant: a parallel count is the sequential count
//!
//! [`count_parallel`] cuts the text only at *safe cuts* and adds the pieces' counts. A
//! position `p` is a safe cut when `text[p-1] == '\n'` and the character at `p` is neither
//! whitespace nor `/`. At a safe cut the tokens of the whole text are exactly the tokens of
//! `text[..p]` followed by those of `text[p..]`, so the counts add up to
//! `encode_ordinary(text).len()`, not approximately but always.
//!
//! Why: BPE merges only inside the *pieces* that the encoding's pre-tokenizer regex finds
//! (`find_iter`, leftmost-first, each search resuming where the last match ended). Every
//! character is in some piece (letters, numbers, other symbols and whitespace each have an
//! alternative that matches them), so the pieces tile the text, and the tokens are the
//! concatenation of each piece's BPE. Two things must hold at `p`:
//!
//! 1. *A piece ends at `p`, in the whole text and in `text[..p]` alike.* Which alternatives
//!    can take the `\n` at `p-1`? In o200k_base
//!    (`[^\r\n\p{L}\p{N}]?[…]*[…]+(?i:'s|…)?` twice, `\p{N}{1,3}`, ` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
//!    `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`) the letter and number alternatives exclude `\n`, so
//!    only the punctuation one (through its tail `[\r\n/]*`) and the whitespace ones can. The
//!    punctuation tail would go on past `p` if `text[p]` were `/` (`"x.\n/y"` is one piece
//!    `".\n/"`): hence the `/` exclusion. Otherwise the tail stops at `p`. For whitespace,
//!    let the whitespace run end at `p` (it does: `text[p]` is not whitespace). At any start
//!    inside that run `\s*[\r\n]+` matches (greedy `\s*` to `p`, back off one, `[\r\n]+`
//!    takes the final `\n`) and ends at `p`; it comes before `\s+(?!\S)` and `\s+`, so those
//!    two are never tried where they could reach `p`. In cl100k_base
//!    (`'(?i:[sdmt]|ll|ve|re)`, `[^\r\n\p{L}\p{N}]?+\p{L}++`, `\p{N}{1,3}+`,
//!    ` ?[^\s\p{L}\p{N}]++[\r\n]*+`, `\s++$`, `\s*[\r\n]`, `\s+(?!\S)`, `\s`) the same holds:
//!    the punctuation tail is only `[\r\n]*+`, and inside the final run `\s*[\r\n]` matches up
//!    to `p`. The one difference: in `text[..p]` the run is at the end of the text, so
//!    `\s++$` (tried first) matches there instead; it matches the same span, start to `p`.
//! 2. *Nothing before `p` depends on what follows `p`, and nothing after on what precedes.*
//!    The patterns have no look-behind and no start anchor, so matching from `p` on is the
//!    same as matching `text[p..]` alone. Before `p`, a match attempt can only look at
//!    position `p` after taking the `\n` at `p-1` (shown above: the punctuation tail and the
//!    whitespace alternatives). There, every class tested (`[\r\n/]`, `[\r\n]`, `\s`) fails
//!    on `text[p]` exactly as it fails at the end of `text[..p]`; the only tests that tell
//!    "a non-space follows" from "the text ends" — `(?!\S)` and `$` — sit in alternatives
//!    that item 1 showed are never reached there (or, for `$`, reach the same span).
//!
//! The rule is checked, not only argued: the unit tests compare token *sequences* (not just
//! counts) of `text` and its two sides at every safe cut of adversarial texts (CRLF, runs of
//! spaces, tabs and newlines, Unicode spaces, marks, CJK, numbers, contractions, `/` after a
//! newline), show that the excluded cuts do change counts, and check that Rust's
//! `char::is_whitespace` is the regex's `\s` on every code point. `tests/tokens.rs` runs the
//! same comparison over the real transcripts.
//!
//! [`count`] itself does not call tiktoken-rs's `encode_ordinary`: [`fast`] finds the same
//! pieces with the `regex` crate's automata and counts the same merges without building a
//! token list, about twice as fast (its module doc argues the equivalence; the tests
//! compare it with [`count_reference`], which is tiktoken-rs's `encode_ordinary(text).len()`).
//!
//! A text without safe cuts (one long line) is counted on one thread; so is a short one.
//! Like tiktoken itself, BPE time grows with the square of a piece's length, so a megabyte
//! of one letter or of spaces without a newline is slow on any number of threads.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use chrono::NaiveDate;
use tiktoken_rs::CoreBPE;

use crate::model::Tokens;
use crate::money::{cost_of, Usd};
use crate::pricing::PriceBook;

mod fast;

/// An OpenAI BPE encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// `o200k_base`: GPT-4o, GPT-4.1, GPT-5, o-series.
    O200k,
    /// `cl100k_base`: GPT-4, GPT-3.5, text-embedding-3.
    Cl100k,
}

/// A name that is not an encoding this module knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown encoding {0:?}: expected o200k_base or cl100k_base")]
pub struct UnknownEncoding(pub String);

impl Encoding {
    /// Every encoding, in the order they are printed.
    pub const ALL: [Encoding; 2] = [Encoding::O200k, Encoding::Cl100k];

    /// The tiktoken name: `o200k_base` or `cl100k_base`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200k => "o200k_base",
            Encoding::Cl100k => "cl100k_base",
        }
    }

    /// The loaded BPE, built on first use and kept for the life of the process (loading
    /// o200k_base takes a few tenths of a second).
    pub fn bpe(self) -> &'static CoreBPE {
        static O200K: OnceLock<CoreBPE> = OnceLock::new();
        static CL100K: OnceLock<CoreBPE> = OnceLock::new();
        let (cell, load): (_, fn() -> anyhow::Result<CoreBPE>) = match self {
            Encoding::O200k => (&O200K, tiktoken_rs::o200k_base),
            Encoding::Cl100k => (&CL100K, tiktoken_rs::cl100k_base),
        };
        // The BPE file is compiled into tiktoken-rs, so a failure is a build defect.
        cell.get_or_init(|| load().unwrap_or_else(|e| panic!("embedded {} is broken: {e}", self.name())))
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Encoding {
    type Err = UnknownEncoding;
    fn from_str(s: &str) -> Result<Encoding, UnknownEncoding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "o200k_base" | "o200k" => Ok(Encoding::O200k),
            "cl100k_base" | "cl100k" => Ok(Encoding::Cl100k),
            _ => Err(UnknownEncoding(s.to_string())),
        }
    }
}

/// Tokens of `text` in `enc`, on this thread: always `encode_ordinary(text).len()` (special-
/// token text such as `<|endoftext|>` is counted as ordinary text, as tiktoken's
/// `encode_ordinary` does), computed by [`fast`] without building the token list.
pub fn count(enc: Encoding, text: &str) -> usize {
    fast::Counter::get(enc).count(text)
}

/// Tokens of `text` in `enc` by tiktoken-rs itself, `encode_ordinary(text).len()`: the
/// reference [`count`] is tested against (slower: a backtracking regex, and a token list).
pub fn count_reference(enc: Encoding, text: &str) -> usize {
    enc.bpe().encode_ordinary(text).len()
}

/// Below this many bytes a text is counted on one thread: starting threads costs more.
const MIN_PARALLEL_BYTES: usize = 256 * 1024;

/// Tokens of `text` in `enc` on up to `threads` threads (0 = all cores), always equal to
/// [`count`]. The text is cut at safe cuts (see the module doc) into pieces of about a
/// megabyte at most, which the threads take in turn, so an uneven text still keeps every
/// thread busy and each holds the tokens of one piece at a time.
pub fn count_parallel(enc: Encoding, text: &str, threads: usize) -> usize {
    let threads = if threads == 0 { available_threads() } else { threads };
    if threads <= 1 || text.len() < MIN_PARALLEL_BYTES {
        return count(enc, text);
    }
    let target = (text.len() / (threads * 16)).clamp(64 * 1024, 1024 * 1024);
    let pieces = chunks(text, target);
    if pieces.len() == 1 {
        return count(enc, text);
    }
    count_pieces(enc, &pieces, threads)
}

/// The sum of the pieces' counts, the pieces taken in turn by `threads` threads.
fn count_pieces(enc: Encoding, pieces: &[&str], threads: usize) -> usize {
    let counter = fast::Counter::get(enc); // load once, before the threads race for it
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.clamp(1, pieces.len().max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut sum = 0;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(piece) = pieces.get(i) else { return sum };
                        sum += counter.count(piece);
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).sum()
    })
}

/// The number of threads [`count_parallel`] uses for `threads == 0`.
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// True when `text` can be cut at byte `p` without changing its tokens in either encoding:
/// `text[p-1]` is `\n` and the character at `p` is neither whitespace nor `/` (the module
/// doc says why). `p` at either end of the text is not a cut.
pub fn is_safe_cut(text: &str, p: usize) -> bool {
    let b = text.as_bytes();
    if p == 0 || p >= b.len() || b[p - 1] != b'\n' {
        return false;
    }
    // After an ASCII '\n', `p` is a char boundary.
    text[p..].chars().next().is_some_and(|c| !c.is_whitespace() && c != '/')
}

/// The first safe cut at or after byte `from`, if any.
pub fn next_safe_cut(text: &str, from: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut at = from.max(1) - 1; // a '\n' at from-1 makes `from` itself a cut
    while at < b.len() {
        let nl = at + memchr::memchr(b'\n', &b[at..])?;
        if is_safe_cut(text, nl + 1) {
            return Some(nl + 1);
        }
        at = nl + 1;
    }
    None
}

/// `text` cut at safe cuts into consecutive pieces of at least `target` bytes each (the
/// last may be shorter; a piece runs on to the next safe cut). Their concatenation is
/// `text`, and the sum of their counts is the count of `text`.
pub fn chunks(text: &str, target: usize) -> Vec<&str> {
    let target = target.max(1);
    let mut out = Vec::with_capacity(text.len() / target + 1);
    let mut start = 0;
    while start < text.len() {
        let end = next_safe_cut(text, start.saturating_add(target)).unwrap_or(text.len());
        out.push(&text[start..end]);
        start = end;
    }
    out
}

/// The encoding OpenAI's `model` tokenizes with (tiktoken's own model table: `gpt-4o`,
/// `gpt-4.1`, `gpt-5*`, `o1`/`o3`/`o4-mini`, `gpt-oss-*` → o200k_base; `gpt-4`, `gpt-3.5-turbo`,
/// `text-embedding-3-*` → cl100k_base), or `None` for other vendors' models and older
/// encodings. A leading `openai/` is ignored; gpt-oss's o200k_harmony differs from
/// o200k_base only in special tokens, which ordinary text never produces.
pub fn encoding_for_model(model: &str) -> Option<Encoding> {
    use tiktoken_rs::tokenizer::{get_tokenizer, Tokenizer};
    let name = model.trim().to_ascii_lowercase();
    let name = name.strip_prefix("openai/").unwrap_or(&name);
    match get_tokenizer(name)? {
        Tokenizer::O200kBase | Tokenizer::O200kHarmony => Some(Encoding::O200k),
        Tokenizer::Cl100kBase => Some(Encoding::Cl100k),
        _ => None,
    }
}

/// What one model would charge for a counted text, as input and as output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCost {
    /// The model name as asked.
    pub model: String,
    /// The model's own encoding ([`encoding_for_model`]); `None` = not an OpenAI encoding,
    /// so `tokens` is an estimate from `encoding`.
    pub tokenizer: Option<Encoding>,
    /// The count priced: the model's own encoding's when it was counted, else the first.
    pub encoding: Encoding,
    pub tokens: u64,
    /// Where the price came from (`genai-prices:…`, `litellm:…`, `override`); `None` when
    /// nothing prices the model.
    pub source: Option<String>,
    /// Cost of `tokens` sent as the input of one request (the long-context tier applies
    /// when they exceed the model's threshold); `None` = unpriced, never $0.
    pub input: Option<Usd>,
    /// Cost of `tokens` produced as the output of one request, at the base output rate.
    pub output: Option<Usd>,
    /// True when the input cost is at the model's long-context tier.
    pub long_context: bool,
}

/// The cost of a counted text for each of `models` on `date` in `book`, in the order given.
/// `counts` holds the text's count per encoding (at least one; the first is the fallback
/// for models whose encoding is unknown or not counted). An unpriced model gets `source`,
/// `input` and `output` of `None`.
///
/// Models are looked up with no provider: the book's own match rules decide (as
/// `tokenburn prices` lists them). Input is priced as one request, so a prompt above a
/// long-context threshold is charged at the tier's input rate; output at the base rate,
/// as the output of a request whose prompt is under that threshold.
pub fn costs(book: &PriceBook, counts: &[(Encoding, u64)], models: &[String], date: NaiveDate) -> Vec<TokenCost> {
    let Some(&first) = counts.first() else { return Vec::new() };
    models
        .iter()
        .map(|model| {
            let tokenizer = encoding_for_model(model);
            let (encoding, tokens) =
                tokenizer.and_then(|t| counts.iter().copied().find(|(e, _)| *e == t)).unwrap_or(first);
            let n = i64::try_from(tokens).unwrap_or(i64::MAX);
            let mut c = TokenCost {
                model: model.clone(),
                tokenizer,
                encoding,
                tokens,
                source: None,
                input: None,
                output: None,
                long_context: false,
            };
            if let Some(price) = book.price("", model, date) {
                let rates = price.rates_for(&Tokens { input: n, requests: 1, ..Tokens::default() });
                c.input = Some(cost_of(&[(n, rates.input)]));
                c.output = Some(cost_of(&[(n, price.base.output)]));
                c.long_context = !std::ptr::eq(rates, &price.base);
                c.source = Some(price.source);
            }
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTS: usize = 19;

    /// Texts built to stress every alternative of both patterns around newlines.
    fn adversarial() -> Vec<String> {
        let parts = [
            "Hello, world!\n",
            "line one\r\nline two\r\n\r\nthree\r\n",
            "x.\n/usr/bin\n//comment\n",
            "a  \n  b\n\n\n c\n \n\td\n",
            "   \n\n   \nword",
            "it's they're we've I'd you'll I'M DON'T\n'S\n's\n",
            "12345678901234567890 3.14159 1,000,000\n42\n",
            "日本語のテキスト\n中文\n한국어\n",
            "e\u{301}\u{302}\n\u{301}mark at line start\n",
            "\u{a0}nbsp\u{a0}\n\u{2003}em space\n\u{85}nel\n\u{2028}ls\n\u{3000}ideographic\n",
            "{\"type\":\"assistant\",\"message\":{\"content\":\"fn main() {\\n}\"}}\n",
            "    indented code\n\tfn x() {\n\t\treturn 1;\n\t}\n",
            "!!!\n???\n...\n---\n\n***\n",
            "trailing spaces   \n   \n",
            "\r\r\n\n\r\n\r",
            "CamelCaseWordsHERE\nlowerUPPER\nÀÉÎõü\n",
            "emoji 👍🏽👨‍👩‍👧\n🎉\n",
            "<|endoftext|>\n<|fim_prefix|>\n",
            "end without newline",
        ];
        assert_eq!(parts.len(), PARTS);
        let mut out: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
        // Every ordered pair, so each ending meets each beginning at a newline.
        for a in &parts {
            for b in &parts {
                out.push(format!("{a}{b}"));
            }
        }
        out
    }

    fn tokens(enc: Encoding, text: &str) -> Vec<u32> {
        enc.bpe().encode_ordinary(text)
    }

    #[test]
    fn safe_cuts_keep_the_token_sequence() {
        for enc in Encoding::ALL {
            let mut cuts = 0;
            for text in adversarial() {
                let whole = tokens(enc, &text);
                for p in 0..=text.len() {
                    if is_safe_cut(&text, p) {
                        cuts += 1;
                        let mut joined = tokens(enc, &text[..p]);
                        joined.extend(tokens(enc, &text[p..]));
                        assert_eq!(joined, whole, "{enc}: cut at {p} of {text:?}");
                    }
                }
            }
            assert!(cuts > 500, "{enc}: only {cuts} safe cuts tried");
        }
    }

    #[test]
    fn fast_count_is_the_reference() {
        for enc in Encoding::ALL {
            for text in adversarial() {
                assert_eq!(count(enc, &text), count_reference(enc, &text), "{enc}: {text:?}");
                // Every suffix too: each starts a piece somewhere new.
                for (i, _) in text.char_indices().step_by(3) {
                    assert_eq!(count(enc, &text[i..]), count_reference(enc, &text[i..]), "{enc}: {:?}", &text[i..]);
                }
            }
        }
    }

    #[test]
    fn excluded_cuts_would_change_counts() {
        let split = |enc, t: &str, p| count(enc, &t[..p]) + count(enc, &t[p..]);
        // '/' after a newline: o200k's punctuation piece runs on through "\n//".
        let t = "});\n//";
        assert!(!is_safe_cut(t, 4));
        assert_eq!((count(Encoding::O200k, t), split(Encoding::O200k, t, 4)), (1, 2));
        // Whitespace after a newline: the run joins differently when the text ends at the cut.
        for t in ["a\n\n b", "x\n \n"] {
            assert!(!is_safe_cut(t, 2));
            for enc in Encoding::ALL {
                assert_eq!(split(enc, t, 2), count(enc, t) + 1, "{enc} {t:?}");
            }
        }
    }

    #[test]
    fn rust_whitespace_is_the_regex_whitespace() {
        // The cut rule tests `char::is_whitespace`; the patterns use the regex's `\s`.
        let re = regex::Regex::new(r"^\s$").unwrap();
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(c.is_whitespace(), re.is_match(c.encode_utf8(&mut buf)), "U+{:04X}", c as u32);
        }
    }

    /// Every adversarial part once (about 1 KB).
    fn sample() -> String {
        adversarial()[..PARTS].concat()
    }

    #[test]
    fn chunks_tile_the_text_at_safe_cuts() {
        let text = sample().repeat(3);
        for target in [1, 7, 64, 1000, text.len(), text.len() * 2] {
            let pieces = chunks(&text, target);
            assert_eq!(pieces.concat(), text);
            let mut at = 0;
            for (i, p) in pieces.iter().enumerate() {
                assert!(!p.is_empty());
                if i + 1 < pieces.len() {
                    assert!(p.len() >= target);
                    at += p.len();
                    assert!(is_safe_cut(&text, at));
                }
            }
            for enc in Encoding::ALL {
                assert_eq!(pieces.iter().map(|p| count(enc, p)).sum::<usize>(), count(enc, &text));
            }
        }
        assert!(chunks("", 10).is_empty());
        assert_eq!(chunks("one line, no cut", 1), vec!["one line, no cut"]);
    }

    #[test]
    fn next_safe_cut_finds_the_first_at_or_after() {
        let t = "ab\n cd\nef\n/g\nh";
        assert_eq!(next_safe_cut(t, 0), Some(7));
        assert_eq!(next_safe_cut(t, 7), Some(7));
        assert_eq!(next_safe_cut(t, 8), Some(13));
        assert_eq!(next_safe_cut(t, 14), None);
        assert_eq!(next_safe_cut(t, 100), None);
    }

    #[test]
    fn parallel_equals_sequential() {
        // Small pieces so that every thread takes several (debug builds count slowly).
        let text = sample().repeat(8);
        let pieces = chunks(&text, 200);
        assert!(pieces.len() > 20, "{}", pieces.len());
        for enc in Encoding::ALL {
            let seq = count_reference(enc, &text);
            assert_eq!(count(enc, &text), seq, "{enc}");
            for threads in [1, 2, 3, 8] {
                assert_eq!(count_pieces(enc, &pieces, threads), seq, "{enc} on {threads} threads");
            }
            // Under the size worth threads, count_parallel is count.
            assert_eq!(count_parallel(enc, &text, 0), seq);
        }
    }

    #[test]
    fn names_parse_both_ways() {
        for enc in Encoding::ALL {
            assert_eq!(enc.name().parse::<Encoding>(), Ok(enc));
            assert_eq!(enc.to_string().to_uppercase().parse::<Encoding>(), Ok(enc));
        }
        assert!("p50k_base".parse::<Encoding>().is_err());
    }

    #[test]
    fn costs_are_exact_and_unpriced_is_none() {
        let book = PriceBook::embedded();
        let day = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let models: Vec<String> = ["gpt-4o", "gpt-4", "no-such-model-xyz"].map(String::from).to_vec();
        let counts = [(Encoding::O200k, 1_000_000), (Encoding::Cl100k, 2_000_000)];
        let c = costs(book, &counts, &models, day);
        let p = book.price("", "gpt-4o", day).expect("gpt-4o is priced");
        assert_eq!((c[0].encoding, c[0].tokenizer, c[0].tokens), (Encoding::O200k, Some(Encoding::O200k), 1_000_000));
        assert_eq!(c[0].input, Some(Usd(p.base.input.0)), "1M tokens cost the per-MTok price");
        assert_eq!(c[0].output, Some(Usd(p.base.output.0)));
        assert!(c[0].input.unwrap() > Usd(0) && c[0].source.is_some() && !c[0].long_context);
        assert_eq!((c[1].encoding, c[1].tokens), (Encoding::Cl100k, 2_000_000), "gpt-4 is priced on cl100k");
        assert_eq!(
            c[2],
            TokenCost {
                model: "no-such-model-xyz".into(),
                tokenizer: None,
                encoding: Encoding::O200k,
                tokens: 1_000_000,
                source: None,
                input: None,
                output: None,
                long_context: false
            }
        );
        // 3 tokens: exact nano-dollars, no float anywhere.
        let small = costs(book, &[(Encoding::O200k, 3)], &models[..1], day);
        assert_eq!(small[0].input, Some(cost_of(&[(3, p.base.input)])));
        assert!(costs(book, &[], &models, day).is_empty());
    }

    #[test]
    fn long_prompts_take_the_long_context_tier() {
        let book = PriceBook::embedded();
        let day = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let (model, threshold, rates) = book
            .models(day)
            .into_iter()
            .find_map(|(_, m, _)| {
                let (t, r) = book.price("", &m, day)?.tier?;
                Some((m, t, r))
            })
            .expect("the book has a tiered model");
        let n = threshold as u64 + 1;
        let c = &costs(book, &[(Encoding::O200k, n)], std::slice::from_ref(&model), day)[0];
        assert!(c.long_context, "{model} above {threshold}");
        assert_eq!(c.input, Some(cost_of(&[(n as i64, rates.input)])));
        let under = &costs(book, &[(Encoding::O200k, n - 1)], std::slice::from_ref(&model), day)[0];
        assert!(!under.long_context, "{model} at {threshold}");
    }

    #[test]
    fn models_map_to_their_encodings() {
        assert_eq!(encoding_for_model("gpt-4o"), Some(Encoding::O200k));
        assert_eq!(encoding_for_model("GPT-5-mini"), Some(Encoding::O200k));
        assert_eq!(encoding_for_model("openai/gpt-4.1"), Some(Encoding::O200k));
        assert_eq!(encoding_for_model("gpt-oss-120b"), Some(Encoding::O200k));
        assert_eq!(encoding_for_model("gpt-4"), Some(Encoding::Cl100k));
        assert_eq!(encoding_for_model("gpt-3.5-turbo"), Some(Encoding::Cl100k));
        assert_eq!(encoding_for_model("claude-sonnet-4-5"), None);
        assert_eq!(encoding_for_model("text-davinci-003"), None);
    }
}
