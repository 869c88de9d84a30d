//! `asyncapi-codegen test`: a live contract test of a running system against the spec, as a
//! client of each WebSocket socket. Everything received is checked with `conform`'s engine;
//! the report gives, per operation, whether it was exercised and how many of its messages
//! conformed, every failure with its message, field path and reason, and the coverage.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::conform::{self, Checker, Framing};
use crate::diag::{Code, Diagnostic, Errors, Result};
use crate::mock::plan::{plan, PlanOptions};
use crate::{load_ir, IrOptions, LoadOptions};

mod kafka;
pub mod report;
mod ws;

pub use kafka::{KafkaTestOptions, TopicOutcome};

/// Settings of `test`.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Base URL of the system, `ws://HOST:PORT`; each socket's address is appended. `None`
    /// tests no socket.
    pub url: Option<String>,
    /// Where to read the Kafka topics; `None` tests no topic.
    pub kafka: Option<KafkaTestOptions>,
    /// Handshake credentials, `NAME=VALUE`.
    pub credentials: Vec<(String, String)>,
    /// How long to record what the server pushes before sending.
    pub listen: Duration,
    /// How long to wait for a handshake answer or a reply.
    pub timeout: Duration,
    /// Seed of the values made for messages without examples.
    pub seed: u64,
}

/// Something that went wrong outside the messages' contents.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// What it concerns: `handshake`, `connect`, `session`, or a message key.
    pub subject: String,
    /// What went wrong.
    pub detail: String,
}

impl Problem {
    fn new(subject: &str, detail: impl Into<String>) -> Self {
        Problem { subject: subject.to_string(), detail: detail.into() }
    }
}

/// What happened on one socket.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SocketOutcome {
    /// `module address`.
    pub label: String,
    /// The channel address (the channel name of the recorded lines).
    pub channel: String,
    /// The HTTP status that refused the handshake without credentials, when one was tried.
    pub handshake_refused: Option<u16>,
    /// Keys of the messages sent, one per value.
    pub sent: Vec<String>,
    /// Keys of the sent messages whose reply arrived.
    pub replied: Vec<String>,
    /// What went wrong besides the messages' contents.
    pub problems: Vec<Problem>,
    /// Remarks that are not failures (a placeholder credential sent).
    pub notes: Vec<String>,
    /// Every text message received, in order.
    #[serde(skip)]
    pub received: Vec<String>,
}

/// One operation: exercised or not, and how its messages fared.
#[derive(Debug, Clone, Serialize)]
pub struct OperationResult {
    /// `module:operation`.
    pub operation: String,
    /// `server sends` or `server receives`.
    pub direction: &'static str,
    /// Whether it was seen (server sends) or sent and answered (server receives).
    pub exercised: bool,
    /// Messages of it received (server sends) or sent (server receives).
    pub messages: usize,
    /// Of the received ones, how many conformed.
    pub conforming: usize,
    /// Its messages, as `conform` labels them (`module:message`).
    pub labels: Vec<String>,
}

/// What `test` found.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// Per socket, in document order.
    pub sockets: Vec<SocketOutcome>,
    /// Per Kafka topic, in document order.
    pub topics: Vec<TopicOutcome>,
    /// Per operation of the sockets.
    pub operations: Vec<OperationResult>,
    /// Everything received, checked by `conform`.
    pub conform: conform::Report,
    /// Operations exercised, and operations in the spec.
    pub coverage: (usize, usize),
}

impl TestReport {
    /// Whether everything received conformed, every reply arrived and every handshake check held.
    pub fn passes(&self) -> bool {
        self.conform.conforms() && self.sockets.iter().all(|s| s.problems.is_empty()) && self.topics.iter().all(|t| t.problems.is_empty())
    }

    /// What was received, as the JSON Lines wrapper `conform` reads.
    pub fn recording(&self) -> String {
        let mut out = String::new();
        for socket in &self.sockets {
            for text in &socket.received {
                let message = serde_json::from_str::<serde_json::Value>(text).unwrap_or_else(|_| serde_json::Value::String(text.clone()));
                let line = serde_json::json!({ "channel": socket.channel, "message": message });
                out.push_str(&line.to_string());
                out.push('\n');
            }
        }
        out
    }
}

/// Tests the system at `options.url` against the documents of `spec`. Errors are the documents'
/// (located) or a URL that is not `ws://`/`wss://`.
pub fn run(spec: &[PathBuf], options: &TestOptions) -> Result<TestReport> {
    let (set, ir) = load_ir(spec, &LoadOptions::default(), &IrOptions::default())?;
    let source = ir.documents.first().map(|d| d.source.clone()).unwrap_or_default();
    let usage = |message: String| Errors(vec![Diagnostic::new(Code::Usage, &source, message)]);
    if options.url.is_none() && options.kafka.is_none() {
        return Err(usage(String::from("give --url (WebSocket) or --brokers (Kafka), or both")));
    }
    if let Some(url) = options.url.as_deref().filter(|u| !(u.starts_with("ws://") || u.starts_with("wss://"))) {
        return Err(usage(format!("--url must be ws://HOST:PORT or wss://HOST:PORT, got `{url}`")));
    }
    let (mut plans, _) = plan(&set, &ir.documents, &PlanOptions { seed: options.seed, interval: Duration::ZERO })?;
    if options.url.is_none() {
        plans.clear();
    } else if plans.is_empty() {
        return Err(usage(String::from("no document has a WebSocket (`ws`/`wss`) server: nothing to test at --url")));
    }
    if options.kafka.is_some() && ir.documents.iter().all(|d| d.kafka.is_empty()) {
        return Err(usage(String::from("no document has Kafka topics: nothing to read at --brokers")));
    }
    let checker = Checker::from_ir(&set, &ir)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Errors(vec![Diagnostic::new(Code::Io, &source, format!("cannot start the async runtime: {e}"))]))?;
    let (sockets, topics) = runtime.block_on(async {
        let mut sockets = Vec::new();
        if let Some(url) = &options.url {
            for p in &plans {
                sockets.push(ws::exercise(url, p, &options.credentials, options.listen, options.timeout).await);
            }
        }
        let topics = match &options.kafka {
            Some(k) => kafka::exercise(&set, &ir.documents, &checker, k).await,
            None => Ok(Vec::new()),
        };
        (sockets, topics)
    });
    let topics = topics.map_err(|e| Errors(vec![Diagnostic::new(Code::Io, &source, format!("Kafka: {e}"))]))?;
    let mut report = TestReport { sockets, topics, operations: Vec::new(), conform: conform::Report::default(), coverage: (0, 0) };
    let recording = report.recording();
    report.conform = conform::run(&checker, std::io::Cursor::new(recording.as_bytes()), &Framing::Wrapped, "recording")?;
    // Per message key: received lines and conforming ones, from conform's per-message counts.
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (label, c) in &report.conform.messages {
        counts.insert(label.clone(), (c.lines, c.conforming));
    }
    for (p, outcome) in plans.iter().zip(&report.sockets) {
        for op in &p.operations {
            let label = |m: &String| format!("{}:{m}", p.module);
            let (messages, conforming, exercised) = if op.server_sends {
                let (lines, ok) = op.messages.iter().filter_map(|m| counts.get(&label(m))).fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
                (lines, ok, lines > 0)
            } else {
                let sent = outcome.sent.iter().filter(|k| op.messages.contains(k)).count();
                let needs_reply = p.incoming.iter().any(|i| op.messages.contains(&i.key) && !i.replies.is_empty());
                let replied = outcome.replied.iter().any(|k| op.messages.contains(k));
                (sent, sent, sent > 0 && (!needs_reply || replied))
            };
            report.operations.push(OperationResult {
                operation: format!("{}:{}", p.module, op.key),
                direction: if op.server_sends { "server sends" } else { "server receives" },
                exercised,
                messages,
                conforming,
                labels: op.messages.iter().map(label).collect(),
            });
        }
    }
    // Kafka operations: exercised when a record of one of their messages was read.
    if options.kafka.is_some() {
        for doc in &ir.documents {
            for op in &doc.outline.operations {
                let Some(topic) = doc.outline.channels.get(op.channel).and_then(|c| c.topic.clone()) else { continue };
                let Some(outcome) = report.topics.iter().find(|t| t.topic == topic) else { continue };
                let labels: Vec<String> = op.messages.iter().map(|m| format!("{}:{}", doc.module, doc.messages[*m].key)).collect();
                let seen: usize = labels.iter().filter_map(|l| outcome.messages.get(l)).sum();
                let failed = outcome.problems.iter().filter(|p| labels.iter().any(|l| p.detail.starts_with(&format!("{l} ")))).count();
                report.operations.push(OperationResult {
                    operation: format!("{}:{}", doc.module, op.key),
                    direction: "on topic",
                    exercised: seen > 0,
                    messages: seen,
                    conforming: seen.saturating_sub(failed),
                    labels,
                });
            }
        }
    }
    report.coverage = (report.operations.iter().filter(|o| o.exercised).count(), report.operations.len());
    Ok(report)
}
