//! `conform`: checks captured traffic (JSON Lines) against the spec, line by line, streaming.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::conform_wire::{Wire, WireJson};
use crate::diag::{Code, Diagnostic, Result};
use crate::{load_ir, IrOptions, LoadOptions};

/// A message the spec allows on some channel, with its compiled validator.
struct Candidate {
    /// `module:message` as reported.
    label: String,
    /// Channel names that carry it: keys, addresses and Kafka topics.
    channels: Vec<String>,
    /// `(property, value)` of its discriminator, when it has one.
    tag: Option<(String, String)>,
    validator: jsonschema::Validator<WireJson>,
    /// For an Avro payload: the document's Avro types and this message's Avro schema.
    avro: Option<(std::sync::Arc<crate::conform_avro::AvroJson>, Value)>,
}

impl Candidate {
    /// Whether `message` conforms once read as Avro's JSON encoding (union values wrapped by
    /// their branch, bytes as strings), for an Avro payload.
    fn is_valid_avro_json(&self, message: &Wire<'_>) -> bool {
        let Some((avro, schema)) = &self.avro else { return false };
        let original = message.to_value();
        let plain = avro.plain(original.clone(), schema, None);
        if plain == original {
            return false;
        }
        let text = plain.to_string();
        serde_json::from_str::<Wire<'_>>(&text).is_ok_and(|wire| self.validator.is_valid(&wire))
    }
}

/// Why one line does not conform.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    /// 1-based line (or record) number in the input.
    pub line: usize,
    /// The message it was checked against, when one was identified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// JSON pointer of the offending field in the line's message.
    pub path: String,
    /// `missing-required`, `unknown-field`, `wrong-type`, `closed-enum`, `const-mismatch`,
    /// `unknown-message`, `unknown-channel`, `invalid-json`, `constraint`.
    pub reason: &'static str,
    /// What is wrong, for a person.
    pub detail: String,
}

/// Lines checked against one message, and how many conformed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Lines checked.
    pub lines: usize,
    /// Of those, lines that conformed.
    pub conforming: usize,
}

/// What `conform` found in a capture.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Lines (or records) read.
    pub lines: usize,
    /// Of those, lines that conformed.
    pub conforming: usize,
    /// Per message (`module:message`, or `(unidentified)`).
    pub messages: BTreeMap<String, Counts>,
    /// Every failure, in input order.
    pub failures: Vec<Failure>,
}

impl Report {
    /// Whether every line conformed.
    pub fn conforms(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The compiled spec: every message, ready to check lines against.
pub struct Checker {
    candidates: Vec<Candidate>,
    /// Channel name → indexes of the candidates it carries.
    by_channel: std::collections::HashMap<String, Vec<usize>>,
}

impl Checker {
    /// Compiles every message payload of the documents named by `spec` (files or directories).
    pub fn new(spec: &[PathBuf]) -> Result<Checker> {
        let (set, ir) = load_ir(spec, &LoadOptions::default(), &IrOptions::default())?;
        Self::from_ir(&set, &ir)
    }

    /// Compiles every message payload of documents already loaded.
    pub(crate) fn from_ir(set: &crate::load::SourceSet, ir: &crate::ir::Ir) -> Result<Checker> {
        let mut candidates = Vec::new();
        for doc in &ir.documents {
            // Avro payloads: their writer schemas (self-contained, so types declared only under
            // `components.schemas` are known), to read captures in Avro's JSON encoding too.
            let avro_schemas: Vec<&Value> = doc.messages.iter().filter_map(|m| m.avro_writer.as_ref().map(|(_, w)| w)).collect();
            let avro_json = std::sync::Arc::new(crate::conform_avro::AvroJson::new(avro_schemas));
            for (mi, m) in doc.messages.iter().enumerate() {
                if m.payload.is_none() {
                    continue;
                }
                let Some(ploc) = &m.payload_schema else { continue };
                let schema = crate::bundle::bundle(set, ploc);
                let validator = jsonschema::options_for::<WireJson>()
                    .with_draft(jsonschema::Draft::Draft7)
                    .build(&schema)
                    .map_err(|e| Diagnostic::new(Code::Unsupported, &doc.source, format!("message `{}`: its schema cannot be compiled: {e}", m.key)))?;
                let mut channels = Vec::new();
                for ci in &m.channels {
                    let c = &doc.outline.channels[*ci];
                    channels.push(c.key.clone());
                    channels.extend(c.address.clone());
                    channels.extend(c.topic.clone());
                }
                candidates.push(Candidate {
                    label: format!("{}:{}", doc.module, m.key),
                    channels,
                    tag: doc.message_tag(mi),
                    validator,
                    avro: m.avro_writer.as_ref().map(|(_, w)| (avro_json.clone(), w.clone())),
                });
            }
        }
        let mut by_channel: std::collections::HashMap<String, Vec<usize>> = std::collections::HashMap::new();
        for (i, c) in candidates.iter().enumerate() {
            for name in &c.channels {
                let list = by_channel.entry(name.clone()).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
        }
        Ok(Checker { candidates, by_channel })
    }

    /// Checks one wire message sent on `channel`; `Ok(label)` when it conforms.
    pub fn check(&self, line: usize, channel: &str, message: &Value) -> std::result::Result<String, (Option<String>, Vec<Failure>)> {
        let text = message.to_string();
        let wire: Wire<'_> = serde_json::from_str(&text).unwrap_or_default();
        self.check_wire(line, channel, &wire)
    }

    /// [`Checker::check`] on an already parsed line.
    pub fn check_wire(&self, line: usize, channel: &str, message: &Wire<'_>) -> std::result::Result<String, (Option<String>, Vec<Failure>)> {
        let fail = |reason, path: String, detail: String| Failure { line, message: None, path, reason, detail };
        let on_channel: Vec<&Candidate> = self.by_channel.get(channel).into_iter().flatten().map(|i| &self.candidates[*i]).collect();
        if on_channel.is_empty() {
            return Err((None, vec![fail("unknown-channel", String::new(), format!("no channel, address or topic `{channel}` in the spec"))]));
        }
        // A discriminator value picks its message; messages without one are the fallbacks.
        let tagged: Vec<&Candidate> = on_channel.iter().copied().filter(|c| c.tag.is_some()).collect();
        let matching = tagged.iter().copied().find(|c| {
            let (prop, value) = c.tag.as_ref().expect("tagged");
            message.get(prop).and_then(Wire::as_str) == Some(value.as_str())
        });
        let chosen: Vec<&Candidate> = match matching {
            Some(c) => vec![c],
            None => on_channel.iter().copied().filter(|c| c.tag.is_none()).collect(),
        };
        let mut best: Option<(String, Vec<Failure>)> = None;
        for c in &chosen {
            // The fast check first; errors are only collected for lines that fail it.
            if c.validator.is_valid(message) || c.is_valid_avro_json(message) {
                return Ok(c.label.clone());
            }
            let errors: Vec<Failure> = c.validator.iter_errors(message).map(|e| describe(line, &c.label, &e)).collect();
            if errors.is_empty() {
                return Ok(c.label.clone());
            }
            if best.as_ref().is_none_or(|(_, b)| errors.len() < b.len()) {
                best = Some((c.label.clone(), errors));
            }
        }
        if matching.is_none() {
            // The line carries a discriminator, but with a value no message of this channel has.
            let prop = tagged.iter().filter_map(|c| c.tag.as_ref()).map(|t| t.0.as_str()).find(|p| message.get(p).is_some());
            if let Some(prop) = prop.or_else(|| best.is_none().then(|| tagged[0].tag.as_ref().map(|t| t.0.as_str())).flatten()) {
                let known: Vec<&str> = tagged.iter().filter_map(|c| c.tag.as_ref()).filter(|t| t.0 == prop).map(|t| t.1.as_str()).collect();
                let found = message.get(prop).map_or_else(|| String::from("missing"), |v| v.to_value().to_string());
                return Err((None, vec![fail("unknown-message", format!("/{prop}"), format!("`{prop}` is {found}; the spec knows {}", known.join(", ")))]));
            }
        }
        match best {
            Some((label, errors)) => Err((Some(label), errors)),
            None => Err((None, vec![fail("unknown-message", String::new(), "no message of this channel matches".into())])),
        }
    }
}

fn describe(line: usize, label: &str, e: &jsonschema::ValidationError<'_>) -> Failure {
    use jsonschema::error::ValidationErrorKind as K;
    let at = e.instance_path().to_string();
    let (reason, path, detail) = match e.kind() {
        K::Required { property } => {
            let name = property.as_str().map_or_else(|| property.to_string(), str::to_string);
            ("missing-required", format!("{at}/{name}"), format!("required field `{name}` is missing"))
        }
        K::AdditionalProperties { unexpected } => {
            ("unknown-field", format!("{at}/{}", unexpected.join(",")), format!("unknown field(s) {} where the schema is closed", unexpected.join(", ")))
        }
        K::Type { .. } => ("wrong-type", at, e.to_string()),
        K::Enum { .. } => ("closed-enum", at, e.to_string()),
        K::Constant { expected_value } => ("const-mismatch", at, format!("expected {expected_value}")),
        _ => ("constraint", at, e.to_string()),
    };
    Failure { line, message: Some(label.to_string()), path, reason, detail }
}

/// Where each line's channel comes from.
pub enum Framing {
    /// Every line is a wire message on this channel.
    Channel(String),
    /// Every line is `{"channel": NAME, "message": WIRE}`.
    Wrapped,
}

/// The verdict on one line.
type Outcome = std::result::Result<String, (Option<String>, Vec<Failure>)>;

fn check_line(checker: &Checker, n: usize, line: &str, framing: &Framing) -> Outcome {
    let value: Wire<'_> = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Err((None, vec![Failure { line: n, message: None, path: String::new(), reason: "invalid-json", detail: e.to_string() }])),
    };
    match framing {
        Framing::Channel(c) => checker.check_wire(n, c, &value),
        Framing::Wrapped => match (value.get("channel").and_then(Wire::as_str), value.get("message")) {
            (Some(c), Some(m)) => checker.check_wire(n, c, m),
            _ => Err((None, vec![Failure {
                line: n,
                message: None,
                path: String::new(),
                reason: "invalid-json",
                detail: "expected {\"channel\": NAME, \"message\": {...}} (or pass --channel)".into(),
            }])),
        },
    }
}

/// Bytes read per batch; each batch's lines are split across the available cores.
const BATCH_BYTES: usize = 4 << 20;

/// Checks the complete lines of `text`, whose first line is number `first_line`.
fn check_lines(checker: &Checker, text: &str, first_line: usize, framing: &Framing) -> Vec<(usize, Outcome)> {
    text.split('\n')
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (first_line + i, check_line(checker, first_line + i, l, framing)))
        .collect()
}

/// Reads JSON Lines from `input` and checks each against the spec, in bounded batches.
pub fn run(checker: &Checker, input: impl BufRead, framing: &Framing, source: &str) -> Result<Report> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    run_on(checker, input, framing, source, workers)
}

/// [`run`] with `workers` threads.
fn run_on(checker: &Checker, mut input: impl BufRead, framing: &Framing, source: &str, workers: usize) -> Result<Report> {
    let mut report = Report::default();
    let mut pending: Vec<u8> = Vec::with_capacity(BATCH_BYTES + (64 << 10));
    let mut next_line = 1;
    let mut eof = false;
    while !eof {
        // Fill a batch, then cut it after its last newline; the rest waits for the next batch.
        while pending.len() < BATCH_BYTES {
            let chunk = input.fill_buf().map_err(|e| Diagnostic::new(Code::Io, source, format!("cannot read: {e}")))?;
            if chunk.is_empty() {
                eof = true;
                break;
            }
            let n = chunk.len();
            pending.extend_from_slice(chunk);
            input.consume(n);
        }
        let cut = if eof { pending.len() } else { pending.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) };
        if cut == 0 && !eof {
            continue;
        }
        let rest = pending.split_off(cut);
        let text = std::str::from_utf8(&pending).map_err(|e| Diagnostic::new(Code::Io, source, format!("capture is not UTF-8 near line {next_line}: {e}")))?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        // Split at line boundaries into one part per worker, each knowing its first line number.
        let mut parts: Vec<(&str, usize)> = Vec::with_capacity(workers);
        let mut start = 0;
        let mut line = next_line;
        for w in 1..=workers {
            let target = text.len() * w / workers;
            // Searched in bytes: `target` may fall inside a character, a newline never does.
            let end = if w == workers { text.len() } else { text.as_bytes()[target..].iter().position(|&b| b == b'\n').map_or(text.len(), |p| target + p) };
            if end < start {
                continue;
            }
            let part = &text[start..end];
            parts.push((part, line));
            line += part.matches('\n').count() + 1;
            start = (end + 1).min(text.len());
            if end == text.len() {
                break;
            }
        }
        next_line += if text.is_empty() { 0 } else { text.matches('\n').count() + 1 };
        let outcomes: Vec<Vec<(usize, Outcome)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = parts.iter().map(|(part, first)| scope.spawn(move || check_lines(checker, part, *first, framing))).collect();
            // A worker that panicked must not take its lines out of the report silently.
            handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        });
        for (_, outcome) in outcomes.into_iter().flatten() {
            report.lines += 1;
            match outcome {
                Ok(label) => {
                    report.conforming += 1;
                    let c = report.messages.entry(label).or_default();
                    c.lines += 1;
                    c.conforming += 1;
                }
                Err((label, failures)) => {
                    report.messages.entry(label.unwrap_or_else(|| "(unidentified)".into())).or_default().lines += 1;
                    report.failures.extend(failures);
                }
            }
        }
        pending = rest;
    }
    Ok(report)
}

/// Human-readable report.
pub fn text(report: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (label, c) in &report.messages {
        let _ = writeln!(out, "{label}: {}/{} lines conform", c.conforming, c.lines);
    }
    for f in &report.failures {
        let _ = writeln!(
            out,
            "line {}: {}{} [{}] {}",
            f.line,
            f.message.as_deref().map(|m| format!("{m} ")).unwrap_or_default(),
            if f.path.is_empty() { "/" } else { &f.path },
            f.reason,
            f.detail
        );
    }
    let _ = writeln!(out, "{}/{} lines conform", report.conforming, report.lines);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `conform` fuzz target: splitting a batch between workers sliced the text
    /// inside a multi-byte character and panicked.
    #[test]
    fn captures_with_multibyte_text_split_between_workers_anywhere() {
        let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../asyncapi");
        let checker = Checker::new(&[spec]).expect("the spec set loads");
        let framing = Framing::Channel(String::from("/agent-assist/ws"));
        let line = "{\"topic\": \"call_info\", \"data\": {\"status\": \"ACTIVE\", \"error_description\": \"ééééé\"}}";
        for pad in 0..8 {
            let capture = format!("{}y\n{line}\n{line}\n{{\"{{٭chh", "x".repeat(pad));
            for workers in 1..=8 {
                let report = run_on(&checker, capture.as_bytes(), &framing, "capture", workers).expect("a report");
                assert_eq!((report.lines, report.conforming), (4, 2), "pad {pad}, {workers} workers");
            }
        }
    }
}
