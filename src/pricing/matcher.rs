//! genai-prices match clauses (`equals`, `starts_with`, `ends_with`, `contains`, `regex`,
//! `or`, `and`), evaluated case-insensitively.
//!
//! Invariant: clause strings are lower-cased when built and callers pass a lower-cased model
//! name. `regex` clauses run on a small backtracking engine that covers the syntax the data
//! uses (anchors, literals and escapes, `.`, `\d \w \s`, classes, groups with `|`, and the
//! `* + ? {n} {n,} {n,m}` quantifiers) with Python `re.search` semantics. Anything else is a
//! build error, never a silent non-match: a unit test compiles every regex in the snapshot,
//! so a data update that needs more syntax fails the test suite, not a user's bill.

use std::fmt;

/// A compiled match clause tree.
#[derive(Debug, Clone)]
pub(crate) enum Clause {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Regex(Regex),
    Or(Vec<Clause>),
    And(Vec<Clause>),
}

impl Clause {
    /// Whether `lower` (an already lower-cased model name) satisfies the clause.
    pub(crate) fn is_match(&self, lower: &str) -> bool {
        match self {
            Clause::Equals(s) => lower == s,
            Clause::StartsWith(s) => lower.starts_with(s.as_str()),
            Clause::EndsWith(s) => lower.ends_with(s.as_str()),
            Clause::Contains(s) => lower.contains(s.as_str()),
            Clause::Regex(r) => r.is_match(lower),
            Clause::Or(cs) => cs.iter().any(|c| c.is_match(lower)),
            Clause::And(cs) => cs.iter().all(|c| c.is_match(lower)),
        }
    }
}

/// Why a regex could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    pub at: usize,
    pub reason: &'static str,
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at character {}", self.reason, self.at)
    }
}

/// A compiled regular expression (case-insensitive, unanchored search).
#[derive(Debug, Clone)]
pub(crate) struct Regex {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    Start,
    End,
    Any,
    Char(char),
    Set { negated: bool, items: Vec<SetItem> },
    Group(Vec<Vec<Node>>),
    Repeat { node: Box<Node>, min: u32, max: Option<u32> },
}

#[derive(Debug, Clone)]
enum SetItem {
    Range(char, char),
    Class(ClassKind, bool),
}

#[derive(Debug, Clone, Copy)]
enum ClassKind {
    Digit,
    Word,
    Space,
}

impl ClassKind {
    fn has(self, c: char) -> bool {
        match self {
            ClassKind::Digit => c.is_ascii_digit(),
            ClassKind::Word => c.is_alphanumeric() || c == '_',
            ClassKind::Space => c.is_whitespace(),
        }
    }
}

impl Regex {
    pub(crate) fn new(pattern: &str) -> Result<Regex, RegexError> {
        let mut p = Parser { chars: pattern.chars().collect(), pos: 0 };
        let root = p.alternation()?;
        if p.pos < p.chars.len() {
            return Err(p.err("unbalanced ')'"));
        }
        Ok(Regex { root })
    }

    /// `re.search(pattern, text, re.IGNORECASE)` for a lower-cased `text`.
    pub(crate) fn is_match(&self, lower: &str) -> bool {
        let s: Vec<char> = lower.chars().collect();
        (0..=s.len()).any(|start| match_node(&self.root, &s, start, &|_| true))
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn err(&self, reason: &'static str) -> RegexError {
        RegexError { at: self.pos, reason }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn alternation(&mut self) -> Result<Node, RegexError> {
        let mut alts = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alts.push(self.sequence()?);
        }
        Ok(Node::Group(alts))
    }

    fn sequence(&mut self) -> Result<Vec<Node>, RegexError> {
        let mut seq = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            seq.push(self.quantified(atom)?);
        }
        Ok(seq)
    }

    fn atom(&mut self) -> Result<Node, RegexError> {
        let c = self.peek().ok_or_else(|| self.err("unexpected end"))?;
        self.pos += 1;
        Ok(match c {
            '^' => Node::Start,
            '$' => Node::End,
            '.' => Node::Any,
            '(' => {
                if self.peek() == Some('?') {
                    if self.chars.get(self.pos + 1) != Some(&':') {
                        return Err(self.err("only (?:...) groups are supported"));
                    }
                    self.pos += 2;
                }
                let inner = self.alternation()?;
                if self.peek() != Some(')') {
                    return Err(self.err("missing ')'"));
                }
                self.pos += 1;
                inner
            }
            '[' => self.set()?,
            '\\' => match self.escape()? {
                SetItem::Range(a, _) => Node::Char(a),
                class => Node::Set { negated: false, items: vec![class] },
            },
            '*' | '+' | '?' | '{' => return Err(self.err("quantifier without a target")),
            c => Node::Char(lower(c)),
        })
    }

    /// The character after a backslash: a class (`\d`) or an escaped literal (`\.`).
    fn escape(&mut self) -> Result<SetItem, RegexError> {
        let c = self.peek().ok_or_else(|| self.err("trailing backslash"))?;
        self.pos += 1;
        Ok(match c {
            'd' => SetItem::Class(ClassKind::Digit, false),
            'D' => SetItem::Class(ClassKind::Digit, true),
            'w' => SetItem::Class(ClassKind::Word, false),
            'W' => SetItem::Class(ClassKind::Word, true),
            's' => SetItem::Class(ClassKind::Space, false),
            'S' => SetItem::Class(ClassKind::Space, true),
            c if !c.is_alphanumeric() => SetItem::Range(lower(c), lower(c)),
            _ => return Err(self.err("unsupported escape")),
        })
    }

    fn set(&mut self) -> Result<Node, RegexError> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek().ok_or_else(|| self.err("missing ']'"))?;
            self.pos += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            let item = if c == '\\' { self.escape()? } else { SetItem::Range(c, c) };
            let item = match item {
                SetItem::Range(lo, _)
                    if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') =>
                {
                    self.pos += 1;
                    let hi = self.peek().ok_or_else(|| self.err("missing ']'"))?;
                    self.pos += 1;
                    let hi = if hi == '\\' {
                        match self.escape()? {
                            SetItem::Range(h, _) => h,
                            SetItem::Class(..) => return Err(self.err("class in a range")),
                        }
                    } else {
                        hi
                    };
                    if hi < lo {
                        return Err(self.err("reversed range"));
                    }
                    SetItem::Range(lo, hi)
                }
                other => other,
            };
            items.push(item);
        }
        Ok(Node::Set { negated, items })
    }

    fn quantified(&mut self, atom: Node) -> Result<Node, RegexError> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => return self.braces(atom),
            _ => return Ok(atom),
        };
        self.pos += 1;
        self.lazy_suffix();
        Ok(Node::Repeat { node: Box::new(atom), min, max })
    }

    fn braces(&mut self, atom: Node) -> Result<Node, RegexError> {
        self.pos += 1; // '{'
        let min = self.number()?.ok_or_else(|| self.err("expected a count after '{'"))?;
        let max = if self.peek() == Some(',') {
            self.pos += 1;
            self.number()?
        } else {
            Some(min)
        };
        if self.peek() != Some('}') {
            return Err(self.err("missing '}'"));
        }
        self.pos += 1;
        if max.is_some_and(|m| m < min) {
            return Err(self.err("reversed count"));
        }
        self.lazy_suffix();
        Ok(Node::Repeat { node: Box::new(atom), min, max })
    }

    /// A lazy quantifier (`*?`) matches the same strings; only the match span differs.
    fn lazy_suffix(&mut self) {
        if self.peek() == Some('?') {
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Result<Option<u32>, RegexError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if start == self.pos {
            return Ok(None);
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse().map(Some).map_err(|_| self.err("count too large"))
    }
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn set_has(negated: bool, items: &[SetItem], c: char) -> bool {
    // The text is lower-case; an upper-case range such as [A-Z] must still accept it.
    let upper = c.to_uppercase().next().unwrap_or(c);
    let hit = items.iter().any(|item| match *item {
        SetItem::Range(lo, hi) => (lo..=hi).contains(&c) || (lo..=hi).contains(&upper),
        SetItem::Class(kind, neg) => kind.has(c) != neg,
    });
    hit != negated
}

fn match_seq(seq: &[Node], s: &[char], i: usize, k: &dyn Fn(usize) -> bool) -> bool {
    match seq.split_first() {
        None => k(i),
        Some((node, rest)) => match_node(node, s, i, &|j| match_seq(rest, s, j, k)),
    }
}

fn match_node(node: &Node, s: &[char], i: usize, k: &dyn Fn(usize) -> bool) -> bool {
    match node {
        Node::Start => i == 0 && k(i),
        Node::End => i == s.len() && k(i),
        Node::Group(alts) => alts.iter().any(|alt| match_seq(alt, s, i, k)),
        Node::Repeat { node, min, max } => match_repeat(node, *min, *max, s, i, 0, k),
        Node::Any => i < s.len() && s[i] != '\n' && k(i + 1),
        Node::Char(c) => i < s.len() && s[i] == *c && k(i + 1),
        Node::Set { negated, items } => i < s.len() && set_has(*negated, items, s[i]) && k(i + 1),
    }
}

/// Greedy repetition with backtracking; an iteration that consumes nothing ends the loop
/// once `min` is reached (so `(a*)*` terminates).
fn match_repeat(
    node: &Node,
    min: u32,
    max: Option<u32>,
    s: &[char],
    i: usize,
    count: u32,
    k: &dyn Fn(usize) -> bool,
) -> bool {
    if max.is_none_or(|m| count < m)
        && match_node(node, s, i, &|j| (j > i || count < min) && match_repeat(node, min, max, s, j, count + 1, k))
    {
        return true;
    }
    count >= min && k(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Regex::new(pattern).unwrap().is_match(&text.to_lowercase())
    }

    #[test]
    fn regex_subset_matches_like_python_search() {
        assert!(m(r"^grok-4\.3-\d{8}$", "grok-4.3-20260101"));
        assert!(!m(r"^grok-4\.3-\d{8}$", "grok-4.3-2026010"));
        assert!(!m(r"^grok-4\.3-\d{8}$", "grok-4x3-20260101"));
        assert!(m(r"^gemini-3\.5-flash-\d", "gemini-3.5-flash-001-extra"));
        assert!(m(r"(?:mi|code|dev|magi|mini)stral", "open-codestral-mamba"));
        assert!(!m(r"(?:mi|code|dev|magi|mini)stral", "mistrl"));
        assert!(m(r"^o[134]", "o3-mini"));
        assert!(!m(r"^o[134]", "o2"));
        assert!(m(r"^MiniMax-M", "minimax-m2"), "case-insensitive");
        assert!(m(r"[A-Z]+-\d+", "abc-12"), "upper-case ranges accept lower-case text");
        assert!(m(r"a(b|c)*d", "xxabcbcd"));
        assert!(m(r"^(a*)*$", "aaa"));
        assert!(m(r"^x{2,}y?$", "xxx"));
        assert!(!m(r"^x{2,3}$", "xxxx"));
        assert!(m(r"^[^/]+$", "gpt-4o"));
        assert!(!m(r"^[^/]+$", "openai/gpt-4o"));
    }

    #[test]
    fn unsupported_syntax_is_an_error() {
        for bad in [r"\bword", r"(?i)x", r"(?=x)", "(a", "a)", "[a", "*a", r"a{3,2}", r"\1"] {
            assert!(Regex::new(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn clauses_nest() {
        let c = Clause::Or(vec![
            Clause::StartsWith("claude-3-5-haiku".into()),
            Clause::And(vec![Clause::Contains("haiku".into()), Clause::EndsWith("-v1".into())]),
        ]);
        assert!(c.is_match("claude-3-5-haiku-20241022"));
        assert!(c.is_match("x.haiku-v1"));
        assert!(!c.is_match("haiku-v2"));
    }
}
