//! System notifications for the engine's alerts (tauri-plugin-notification: on Linux an
//! `org.freedesktop.Notifications.Notify` call on the session bus).
//!
//! Which alerts fire is the engine's business ([`tokenburn::alerts::evaluate`] stores each
//! (subject, period, kind, level) once, in the transaction that reports it, so a restart never
//! repeats one). This module only words them and shows them, unless notifications are
//! turned off (`tokenburn config set notifications off`, or Settings): muted alerts are still
//! recorded and listed by `tokenburn alerts`, they are not held back for later.
//!
//! When one evaluation crosses several thresholds of the same budget at once (a large
//! import), only the highest is shown: one notification per budget and evaluation.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokenburn::alerts::Alert;

/// A notification as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The summary line, e.g. "Q4 API: 50% of its budget used".
    pub title: String,
    /// The engine's message, e.g. "Q4 API reached 50% of its budget: $0.0042 of $0.0080 used in ...".
    pub body: String,
}

/// The notifications for alerts that fired together, in the engine's order.
pub fn notes(alerts: &[Alert]) -> Vec<Note> {
    let mut out = Vec::new();
    for a in alerts {
        if a.kind == "threshold"
            && alerts.iter().any(|b| b.subject == a.subject && b.kind == "threshold" && b.level > a.level)
        {
            continue;
        }
        let name = a.subject.strip_prefix("budget:").unwrap_or(&a.subject);
        let title = match a.kind.as_str() {
            "threshold" => format!("{name}: {}% of its budget used", a.level),
            "forecast" => format!("{name}: forecast to run out before the period ends"),
            "over_cap" => "Token spend is over your cap of pay".to_string(),
            "under_target" => "Token spend is heading under your target of pay".to_string(),
            other => format!("{name}: {other}"),
        };
        out.push(Note { title, body: a.message.clone() });
    }
    out
}

/// Shows `alerts` (if `enabled`) and tells the UI (`alert-fired`, the alerts themselves,
/// whether shown or muted). A notification that cannot be shown is logged, not retried:
/// the alert is recorded either way.
pub fn deliver<R: Runtime>(app: &AppHandle<R>, alerts: &[Alert], enabled: bool) {
    if alerts.is_empty() {
        return;
    }
    let _ = app.emit("alert-fired", alerts);
    if !enabled {
        return;
    }
    // Absent in the window-less tests, which build the app without the plugin.
    let Some(plugin) = app.try_state::<tauri_plugin_notification::Notification<R>>() else { return };
    for n in notes(alerts) {
        if let Err(e) = plugin.builder().title(&n.title).body(&n.body).show() {
            eprintln!("tokenburn-desktop: notification {:?} not shown: {e}", n.title);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(subject: &str, kind: &str, level: u32) -> Alert {
        Alert {
            subject: subject.into(),
            period: "2026-10-01..2026-12-31".into(),
            kind: kind.into(),
            level,
            message: format!("{subject} {kind} {level}"),
            fired_at: None,
        }
    }

    #[test]
    fn one_notification_per_budget_for_thresholds_crossed_together() {
        let n = notes(&[
            alert("budget:Q4 API", "threshold", 50),
            alert("budget:Q4 API", "threshold", 75),
            alert("budget:Chat", "threshold", 50),
            alert("budget:Q4 API", "forecast", 0),
            alert("comp", "over_cap", 0),
        ]);
        let titles: Vec<&str> = n.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Q4 API: 75% of its budget used",
                "Chat: 50% of its budget used",
                "Q4 API: forecast to run out before the period ends",
                "Token spend is over your cap of pay",
            ]
        );
        assert_eq!(n[0].body, "budget:Q4 API threshold 75");
    }
}
