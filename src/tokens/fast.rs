//! A token counter that gives tiktoken's `encode_ordinary(text).len()` faster: the same
//! pieces, found with the `regex` crate's automata instead of fancy-regex's backtracking,
//! and the same byte-pair merges (ported from tiktoken), counted instead of collected.
//!
//! The one part of the encodings' patterns that the `regex` crate cannot run is the
//! look-ahead `\s+(?!\S)`. It is emulated exactly. In both patterns, `\s+(?!\S)` followed by
//! a plain whitespace alternative is tried only where every earlier alternative failed, and
//! there the earlier ones mean the whitespace run starting here holds no `\r`/`\n` and (for
//! cl100k's `\s++$`) does not reach the end of the text. Backtracking semantics then give:
//! the whole run when it reaches the end of the text; otherwise (a non-space follows) the
//! run minus its last character when that leaves at least one, else the single character.
//! So the patterns here end with a plain `\s+`, and a match that ends in whitespace other
//! than `\r`/`\n` (only that alternative's matches do: letters, numbers and punctuation
//! pieces end otherwise, the newline alternatives end in `\r`/`\n`) is shortened by one
//! character when it is at least two characters long and does not end the text. cl100k's
//! possessive quantifiers (`?+`, `++`, `{1,3}+`, `*+`) become plain ones: in each place
//! nothing after them can make a backtrack succeed, so the match is the same.
//!
//! The ranks are taken from tiktoken-rs's own loaded BPE (every rank decoded to its
//! bytes), so the vocabulary cannot drift from the reference; the tests compare counts with
//! tiktoken-rs on adversarial, random and real texts.

use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use regex::Regex;

use super::Encoding;

type Rank = u32;
type Fx = BuildHasherDefault<FxHasher>;

/// Byte strings to ranks. Most lookups (pieces, and every pair the merges try) are short,
/// so strings of up to 7 bytes are keyed by one integer: no pointer to follow, no memcmp.
#[derive(Default)]
struct Ranks {
    small: HashMap<u64, Rank, Fx>,
    large: HashMap<Box<[u8]>, Rank, Fx>,
}

impl Ranks {
    #[inline]
    fn small_key(bytes: &[u8]) -> Option<u64> {
        (bytes.len() <= 7).then(|| {
            let mut k = [0u8; 8];
            k[..bytes.len()].copy_from_slice(bytes);
            k[7] = bytes.len() as u8;
            u64::from_le_bytes(k)
        })
    }

    fn insert(&mut self, bytes: Vec<u8>, rank: Rank) {
        match Ranks::small_key(&bytes) {
            Some(k) => self.small.insert(k, rank),
            None => self.large.insert(bytes.into_boxed_slice(), rank),
        };
    }

    #[inline]
    fn get(&self, bytes: &[u8]) -> Option<Rank> {
        match Ranks::small_key(bytes) {
            Some(k) => self.small.get(&k).copied(),
            None => self.large.get(bytes).copied(),
        }
    }
}

/// tiktoken-rs's o200k_base pattern with the look-ahead alternatives `\s+(?!\S)|\s+` as
/// one `\s+` (see the module doc).
fn o200k_pattern() -> String {
    let pat = tiktoken_rs::O200K_BASE_PAT_STR;
    let tail = r"|\s+(?!\S)|\s+";
    assert!(pat.ends_with(tail), "tiktoken-rs changed o200k_base's pattern: {pat}");
    format!(r"{}|\s+", &pat[..pat.len() - tail.len()])
}

/// cl100k_base's pattern (tiktoken's, as in tiktoken-rs and Python tiktoken 0.14:
/// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`)
/// with possessive quantifiers made plain and `\s+(?!\S)|\s` as one `\s+`.
const CL100K_PATTERN: &str =
    r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s+$|\s*[\r\n]|\s+";

/// One encoding's pieces pattern and ranks.
pub(super) struct Counter {
    pieces: Regex,
    ranks: Ranks,
}

impl Counter {
    /// The counter of `enc`, built on first use from tiktoken-rs's BPE.
    pub(super) fn get(enc: Encoding) -> &'static Counter {
        static O200K: OnceLock<Counter> = OnceLock::new();
        static CL100K: OnceLock<Counter> = OnceLock::new();
        let cell = match enc {
            Encoding::O200k => &O200K,
            Encoding::Cl100k => &CL100K,
        };
        cell.get_or_init(|| Counter::build(enc))
    }

    fn build(enc: Encoding) -> Counter {
        let pattern = match enc {
            Encoding::O200k => o200k_pattern(),
            Encoding::Cl100k => CL100K_PATTERN.to_string(),
        };
        let pieces = Regex::new(&pattern).unwrap_or_else(|e| panic!("{enc} pattern: {e}"));
        let bpe = enc.bpe();
        // Special tokens decode too; ordinary text never produces them, so leave them out.
        let special: std::collections::HashSet<Rank> =
            bpe.special_tokens().into_iter().flat_map(|s| bpe.encode_with_special_tokens(s)).collect();
        let mut ranks = Ranks::default();
        let (mut rank, mut misses) = (0, 0);
        // Ranks are dense from 0; stop well past the last one.
        while misses < 10_000 {
            match bpe.decode_bytes(&[rank]) {
                Ok(bytes) if !special.contains(&rank) => {
                    ranks.insert(bytes, rank);
                    misses = 0;
                }
                _ => misses += 1,
            }
            rank += 1;
        }
        Counter { pieces, ranks }
    }

    /// `encode_ordinary(text).len()`.
    pub(super) fn count(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        let mut n = 0;
        let mut at = 0;
        while at < text.len() {
            // Every character is in some alternative, so the match starts at `at`.
            let m = self.pieces.find_at(text, at).expect("the pieces pattern matches every character");
            debug_assert_eq!(m.start(), at);
            let mut end = m.end();
            if end < text.len() {
                let mut tail = text[at..end].char_indices().rev();
                if let Some((last_at, last)) = tail.next() {
                    if last.is_whitespace() && last != '\r' && last != '\n' && tail.next().is_some() {
                        end = at + last_at; // `\s+(?!\S)`: leave the last space to the next piece
                    }
                }
            }
            n += self.piece_tokens(&bytes[at..end]);
            at = end;
        }
        n
    }

    fn piece_tokens(&self, piece: &[u8]) -> usize {
        if piece.len() == 1 || self.ranks.get(piece).is_some() {
            1
        } else if piece.len() < 100 {
            byte_pair_merge(&self.ranks, piece).len() - 1
        } else {
            byte_pair_merge_large(&self.ranks, piece)
        }
    }
}

fn rank_of(ranks: &Ranks, bytes: &[u8]) -> Rank {
    ranks.get(bytes).unwrap_or(Rank::MAX)
}

// The two merges below are tiktoken's (MIT, vendored in tiktoken-rs as
// `_byte_pair_merge` and `_byte_pair_merge_large`), unchanged but for counting.

/// The parts `(start, rank of the pair starting there)` left when no pair merges.
fn byte_pair_merge(ranks: &Ranks, piece: &[u8]) -> Vec<(usize, Rank)> {
    let mut parts = Vec::with_capacity(piece.len() + 1);
    let mut min_rank: (Rank, usize) = (Rank::MAX, usize::MAX);
    for i in 0..piece.len() - 1 {
        let rank = rank_of(ranks, &piece[i..i + 2]);
        if rank < min_rank.0 {
            min_rank = (rank, i);
        }
        parts.push((i, rank));
    }
    parts.push((piece.len() - 1, Rank::MAX));
    parts.push((piece.len(), Rank::MAX));

    let get_rank = |parts: &Vec<(usize, Rank)>, i: usize| {
        if i + 3 < parts.len() {
            rank_of(ranks, &piece[parts[i].0..parts[i + 3].0])
        } else {
            Rank::MAX
        }
    };
    while min_rank.0 != Rank::MAX {
        let i = min_rank.1;
        if i > 0 {
            parts[i - 1].1 = get_rank(&parts, i - 1);
        }
        parts[i].1 = get_rank(&parts, i);
        parts.remove(i + 1);
        min_rank = (Rank::MAX, usize::MAX);
        for (i, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
            if rank < min_rank.0 {
                min_rank = (rank, i);
            }
        }
    }
    parts
}

#[derive(Eq, PartialEq, Clone, Copy)]
struct Merge {
    start: usize,
    rank: Rank,
}

impl Ord for Merge {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.rank.cmp(&self.rank).then_with(|| other.start.cmp(&self.start))
    }
}

impl PartialOrd for Merge {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

struct State {
    prev: usize,
    end: usize,
    next_end: usize,
    next_rank: Rank,
    cur_rank: Rank,
}

/// The number of tokens of a long piece: the same merges in O(n log n).
fn byte_pair_merge_large(ranks: &Ranks, piece: &[u8]) -> usize {
    let mut state = Vec::with_capacity(piece.len());
    state.push(State { prev: usize::MAX, end: 1, next_end: 2, next_rank: Rank::MAX, cur_rank: Rank::MAX });
    let mut heap = BinaryHeap::with_capacity(piece.len());
    for i in 0..piece.len() - 1 {
        if let Some(rank) = ranks.get(&piece[i..i + 2]) {
            heap.push(Merge { start: i, rank });
            state[i].next_rank = rank;
        }
        state.push(State { prev: i, end: i + 2, next_end: i + 3, next_rank: Rank::MAX, cur_rank: Rank::MAX });
    }
    let potential_merge = |state: &mut Vec<State>, heap: &mut BinaryHeap<Merge>, start: usize, next_end: usize| {
        state[start].next_end = next_end;
        state[start].next_rank = Rank::MAX;
        if next_end <= piece.len() {
            if let Some(rank) = ranks.get(&piece[start..next_end]) {
                heap.push(Merge { start, rank });
                state[start].next_rank = rank;
            }
        }
    };
    while let Some(left) = heap.pop() {
        if left.rank == Rank::MAX {
            break;
        }
        if left.rank != state[left.start].next_rank {
            continue;
        }
        let left_start = left.start;
        let right_start = state[left_start].end;
        let right_end = state[left_start].next_end;
        let right_next_end = state[right_start].next_end;
        state[left_start].cur_rank = state[left_start].next_rank;
        state[left_start].end = right_end;
        potential_merge(&mut state, &mut heap, left_start, right_next_end);
        if right_end < state.len() {
            state[right_end].prev = left_start;
        }
        if left_start > 0 {
            let prev_start = state[left_start].prev;
            potential_merge(&mut state, &mut heap, prev_start, right_end);
        }
        state[right_start].next_rank = Rank::MAX;
    }
    let (mut n, mut i) = (0, 0);
    while i < state.len() {
        n += 1;
        i = state[i].end;
    }
    n
}

/// rustc's Fx hash (as tiktoken uses): fast on short byte strings, and the keys are ours.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while bytes.len() >= 8 {
            self.add(u64::from_le_bytes(bytes[..8].try_into().unwrap()));
            bytes = &bytes[8..];
        }
        if bytes.len() >= 4 {
            self.add(u32::from_le_bytes(bytes[..4].try_into().unwrap()) as u64);
            bytes = &bytes[4..];
        }
        for &b in bytes {
            self.add(b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rank_is_loaded_once() {
        for (enc, ordinary) in [(Encoding::O200k, 199_998), (Encoding::Cl100k, 100_256)] {
            let c = Counter::get(enc);
            assert_eq!(c.ranks.small.len() + c.ranks.large.len(), ordinary, "{enc}");
            let max = c.ranks.small.values().chain(c.ranks.large.values()).max().copied().unwrap();
            assert_eq!(max as usize + 1, ordinary, "{enc}: ranks are dense from 0");
        }
    }

    #[test]
    fn long_pieces_merge_like_short_ones() {
        // Pieces of 100 bytes or more take the heap merge; it must count as tiktoken does.
        let c = Counter::get(Encoding::O200k);
        for piece in ["a".repeat(250), "ab".repeat(120), " ".repeat(300), "日本".repeat(40), "x1".repeat(70)] {
            let p = piece.as_bytes();
            assert_eq!(byte_pair_merge_large(&c.ranks, p), byte_pair_merge(&c.ranks, p).len() - 1, "{piece:?}");
            assert_eq!(c.count(&piece), super::super::count_reference(Encoding::O200k, &piece), "{piece:?}");
        }
    }
}
