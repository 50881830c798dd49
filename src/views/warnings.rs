//! What the dashboard warns about: events with no price, by model (rule 6: unpriced is not
//! free, so it is said, not summed as $0), and reconciliation lines whose drift has a cause.

use serde::Serialize;

use crate::error::Result;
use crate::ledger::Ledger;

/// Events with no price, by model, and reconciliation lines whose drift has a cause: what
/// the dashboard warns about.
#[derive(Debug, Clone, Serialize)]
pub struct Warnings {
    pub unpriced: Vec<Unpriced>,
    pub reconcile: Vec<crate::reconcile::Line>,
}

/// One model's events that have no price (the one definition: `queries::events::UNPRICED`).
pub use crate::ledger::queries::events::Unpriced;

/// The dashboard's warnings: unpriced models (most events first) and the recent
/// reconciliation lines (`reconcile::recent`) that drift by more than 1% (at most `max` of
/// each).
pub fn warnings(ledger: &Ledger, max: usize) -> Result<Warnings> {
    let unpriced = crate::ledger::queries::events::unpriced_models(ledger.conn(), Some(max))?;
    let today = crate::timezone::today(ledger.tz()?);
    let mut reconcile = crate::reconcile::recent(ledger, today)?;
    reconcile.retain(|l| !l.causes.is_empty());
    reconcile.truncate(max);
    Ok(Warnings { unpriced, reconcile })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::{ledger_with, Ev};

    #[test]
    fn unpriced_models_most_events_first_at_most_max() {
        let ev = |at, model| Ev { at, model, input: 10, output: 1 };
        let (_dir, l) = ledger_with(
            chrono_tz::UTC,
            &[
                ev("2026-11-27T10:00:00Z", "claude-sonnet-4-20250514"),
                ev("2026-11-27T10:01:00Z", "acme-one"),
                ev("2026-11-27T10:02:00Z", "acme-two"),
                ev("2026-11-27T10:03:00Z", "acme-two"),
            ],
        );
        let w = warnings(&l, 20).unwrap();
        let got: Vec<(&str, i64)> = w.unpriced.iter().map(|u| (u.model.as_str(), u.events)).collect();
        assert_eq!(got, [("acme-two", 2), ("acme-one", 1)], "the priced model is not a warning");
        assert_eq!(warnings(&l, 1).unwrap().unpriced.len(), 1);
        assert!(w.reconcile.is_empty(), "no billed data, nothing to reconcile");
    }
}
