//! The usage event every importer produces and the ledger stores.
//!
//! Invariant: token fields are the canonical, disjoint ones of CONVENTIONS rule 3:
//! `total = input + cache_write_5m + cache_write_1h + cache_read + output + unsplit`;
//! `reasoning` is a subset of `output` and never added to a total. `unsplit` holds tokens
//! from summaries that give no split between kinds (they count toward token budgets but
//! cannot be priced).

use chrono::NaiveDate;
use serde::Serialize;

use crate::money::Usd;

/// Token counts of one event (or a sum of events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    pub input: i64,
    pub cache_write_5m: i64,
    pub cache_write_1h: i64,
    pub cache_read: i64,
    pub output: i64,
    pub reasoning: i64,
    pub unsplit: i64,
    pub requests: i64,
    pub web_search_requests: i64,
}

impl Tokens {
    /// All tokens but reasoning (which is inside output).
    pub fn total(&self) -> i64 {
        self.input + self.cache_write_5m + self.cache_write_1h + self.cache_read + self.output + self.unsplit
    }

    pub fn is_zero(&self) -> bool {
        self.total() == 0 && self.reasoning == 0 && self.requests == 0 && self.web_search_requests == 0
    }

    pub fn add(&mut self, o: &Tokens) {
        self.input += o.input;
        self.cache_write_5m += o.cache_write_5m;
        self.cache_write_1h += o.cache_write_1h;
        self.cache_read += o.cache_read;
        self.output += o.output;
        self.reasoning += o.reasoning;
        self.unsplit += o.unsplit;
        self.requests += o.requests;
        self.web_search_requests += o.web_search_requests;
    }
}

/// Where an event's money comes from (CONVENTIONS rule 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CostKind {
    /// Tokens times the price book (agent logs, usage exports).
    Estimated,
    /// What a vendor's bill says.
    Billed,
    /// A subscription fee.
    Fee,
    /// Entered by hand.
    Manual,
    /// Covered by a plan the user already pays for (Cursor's "Included"): the amount is the
    /// usage's value, never spend.
    Included,
}

impl CostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CostKind::Estimated => "estimated",
            CostKind::Billed => "billed",
            CostKind::Fee => "fee",
            CostKind::Manual => "manual",
            CostKind::Included => "included",
        }
    }

    pub fn parse(s: &str) -> Option<CostKind> {
        Some(match s {
            "estimated" => CostKind::Estimated,
            "billed" => CostKind::Billed,
            "fee" => CostKind::Fee,
            "manual" => CostKind::Manual,
            "included" => CostKind::Included,
            _ => return None,
        })
    }
}

/// How much a source is trusted for tokens when two sources describe the same usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Authority {
    /// Daily summaries without per-request detail (stats-cache, ccusage JSON).
    Summary = 1,
    /// Per-request agent transcripts.
    Transcript = 2,
    /// Vendor usage exports.
    Vendor = 3,
}

/// One unit of usage as an importer emits it, before the ledger stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageEvent {
    /// Stable natural key, unique within the source: re-importing yields the same key.
    pub key: String,
    /// A looser identity (Claude Code's `message.id`): an event whose `loose` flag is set
    /// merges with any stored event of the same group, and a stored loose event merges with
    /// any newcomer of its group (sidechain replays of a parent message).
    pub group: Option<String>,
    pub loose: bool,
    /// Which of two versions of the same event is better: the higher rank replaces the
    /// lower one on re-import; an equal or lower rank is a duplicate.
    pub rank: i64,
    pub provider: String,
    /// The account that pays for this usage when it is not the source's own (a Cursor row
    /// paid with the user's own API key belongs to that provider's account).
    pub account: Option<String>,
    pub model: String,
    pub project: Option<String>,
    /// Start of the usage, UTC epoch milliseconds.
    pub ts_ms: i64,
    /// Length of the span the event covers in milliseconds (0 for an instant).
    pub span_ms: i64,
    /// For rows that cover a whole calendar day of their source: that date, kept in every
    /// time zone (CONVENTIONS rule 8).
    pub day: Option<NaiveDate>,
    pub tokens: Tokens,
    /// Money the source states; `None` means "price it from the price book".
    pub cost: Option<Usd>,
    pub cost_kind: CostKind,
    /// 1-based line (or row) in the file the event came from.
    pub line: u64,
    /// A person's note (manual entries).
    pub note: Option<String>,
}

impl UsageEvent {
    /// A new instant event with zero tokens; importers fill in the rest.
    pub fn new(key: String, provider: &str, model: &str, ts_ms: i64, line: u64) -> UsageEvent {
        UsageEvent {
            key,
            group: None,
            loose: false,
            rank: 0,
            provider: provider.to_string(),
            account: None,
            model: model.to_string(),
            project: None,
            ts_ms,
            span_ms: 0,
            day: None,
            tokens: Tokens::default(),
            cost: None,
            cost_kind: CostKind::Estimated,
            line,
            note: None,
        }
    }
}
