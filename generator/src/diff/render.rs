//! The diff report as text (optionally coloured), JSON and Markdown.

use std::fmt::Write;

use super::change::{Change, Classification};
use super::Report;

const GROUPS: [(Classification, &str, &str); 3] = [
    (Classification::Breaking, "Breaking changes", "\x1b[31m"),
    (Classification::Compatible, "Compatible changes", "\x1b[32m"),
    (Classification::Docs, "Docs-only changes", "\x1b[36m"),
];

fn located(c: &Change) -> String {
    format!("{}:{}", c.document, c.path)
}

/// Human text, grouped by classification; ANSI colours when `color`.
pub fn text(report: &Report, color: bool) -> String {
    let (bold, reset) = if color { ("\x1b[1m", "\x1b[0m") } else { ("", "") };
    let mut out = String::new();
    if report.changes.is_empty() {
        out.push_str("No changes.\n");
    }
    for (class, title, colour) in GROUPS {
        let items: Vec<&Change> = report.changes.iter().filter(|c| c.classification == class).collect();
        if items.is_empty() {
            continue;
        }
        let colour = if color { colour } else { "" };
        let _ = writeln!(out, "{bold}{colour}{title} ({}){reset}", items.len());
        for c in items {
            let _ = writeln!(out, "  {} [{}] {}", located(c), c.kind, c.reason);
            if !c.also.is_empty() {
                let _ = writeln!(out, "      also at: {}", c.also.join(", "));
            }
            if c.accepted {
                let _ = writeln!(out, "      accepted: {}", c.accepted_reason.as_deref().unwrap_or_default());
            }
        }
        out.push('\n');
    }
    let s = &report.summary;
    if !s.kafka.is_empty() {
        let _ = writeln!(out, "{bold}Kafka topic compatibility{reset}");
        for t in &s.kafka {
            let _ = writeln!(out, "  {}: BACKWARD {}, FORWARD {}, FULL {}", t.topic, yes(t.backward), yes(t.forward), yes(t.full));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} breaking ({} accepted), {} compatible, {} docs-only; suggested version bump: {}",
        s.breaking, s.accepted, s.compatible, s.docs, s.bump
    );
    out
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `{ "changes": [...], "summary": {...} }`, pretty-printed.
pub fn json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// A Markdown comment for a pull request.
pub fn markdown(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::from("## AsyncAPI changes\n\n");
    let verdict = if report.fails() { "❌ breaking changes" } else { "✅ no unaccepted breaking changes" };
    let _ = writeln!(
        out,
        "{verdict} — {} breaking ({} accepted), {} compatible, {} docs-only. Suggested version bump: **{}**.\n",
        s.breaking, s.accepted, s.compatible, s.docs, s.bump
    );
    for (class, title, _) in GROUPS {
        let items: Vec<&Change> = report.changes.iter().filter(|c| c.classification == class).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title} ({})\n\n| Where | Change | Why |\n| --- | --- | --- |", items.len());
        for c in items {
            let mut why = c.reason.replace('|', "\\|");
            if c.accepted {
                let _ = write!(why, " — **accepted**: {}", c.accepted_reason.as_deref().unwrap_or_default().replace('|', "\\|"));
            }
            if !c.also.is_empty() {
                let _ = write!(why, " (also at {})", c.also.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "));
            }
            let _ = writeln!(out, "| `{}` | `{}` | {} |", located(c), c.kind, why);
        }
        out.push('\n');
    }
    if !s.kafka.is_empty() {
        out.push_str("### Kafka topics\n\n| Topic | BACKWARD | FORWARD | FULL |\n| --- | --- | --- | --- |\n");
        for t in &s.kafka {
            let _ = writeln!(out, "| `{}` | {} | {} | {} |", t.topic, yes(t.backward), yes(t.forward), yes(t.full));
        }
    }
    out
}
