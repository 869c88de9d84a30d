//! `asyncapi-codegen mock`: serves every WebSocket socket of the documents from the spec alone
//! (no generated crate), with the generated servers' session behaviour from the runtime:
//! handshake query checks (401), the session queue and limits, error replies or close codes.
//!
//! Each session is played a script on connect: every message the socket sends, in the spec's
//! order, `--interval-ms` apart, its examples in turn (a message without examples gets a value
//! made from its schema with `--seed`, checked against the schema). Replies answer each received
//! message as its operation's `reply` says. A message's `x-mock` changes its part:
//! `push: false` (only as a reply), `interval` (ms before each push), `repeat` (how many pushes),
//! `after: <message key>` (its place in the script); `examples: {<name>: {...}}`, one example's part
//! (see `mock/order.rs`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::diag::{Code, Diagnostic, Errors, Result};
use crate::{load_ir, IrOptions, LoadOptions};

pub(crate) mod kafka;
pub(crate) mod order;
pub(crate) mod plan;
pub(crate) mod server;
pub(crate) mod values;

/// Settings of `mock`.
#[derive(Debug, Clone)]
pub struct MockOptions {
    /// Where to listen (`127.0.0.1:0` picks a free port, printed on stdout).
    pub listen: SocketAddr,
    /// Accepted handshake credentials, `NAME=VALUE` (repeatable per name); names not given
    /// accept any value.
    pub accept: Vec<(String, String)>,
    /// Seed of the values made from schemas.
    pub seed: u64,
    /// Pause before each push when `x-mock` gives none.
    pub interval: Duration,
    /// No event lines on stderr.
    pub quiet: bool,
    /// With `--brokers`: produce the Kafka documents' messages.
    pub kafka: Option<kafka::KafkaMockOptions>,
}

pub use kafka::KafkaMockOptions;

/// Loads the documents, plans every socket, and serves them until Ctrl-C; with `kafka`, also
/// creates the Kafka topics and produces (without sockets, it returns once produced). Returns the
/// warnings and the records not delivered; errors are the documents', the listener's or the
/// broker's, located.
pub fn run(spec: &[PathBuf], options: &MockOptions) -> Result<(Vec<Diagnostic>, Vec<String>)> {
    let (set, ir) = load_ir(spec, &LoadOptions::default(), &IrOptions::default())?;
    let plan_options = plan::PlanOptions { seed: options.seed, interval: options.interval };
    let (plans, warnings) = plan::plan(&set, &ir.documents, &plan_options)?;
    let source = ir.documents.first().map(|d| d.source.clone()).unwrap_or_default();
    let has_kafka = ir.documents.iter().any(|d| !d.kafka.is_empty());
    if plans.is_empty() && !(options.kafka.is_some() && has_kafka) {
        let what = if has_kafka { "no document has a WebSocket (`ws`/`wss`) server (give --brokers to produce its Kafka messages)" } else { "no document has a WebSocket (`ws`/`wss`) server or Kafka topics: nothing to mock" };
        return Err(Errors(vec![Diagnostic::new(Code::Unsupported, &source, what)]));
    }
    let events = server::Events { quiet: options.quiet };
    for w in &warnings {
        events.say(w.to_string());
    }
    for p in &plans {
        for o in p.outgoing.iter().filter(|o| o.generated && !o.values.is_empty()) {
            events.say(format!("{}: `{}` has no example; sending a value made from its schema", p.label, o.key));
        }
    }
    let mut accept: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &options.accept {
        accept.entry(name.clone()).or_default().push(value.clone());
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| Errors(vec![Diagnostic::new(Code::Io, &source, format!("cannot start the async runtime: {e}"))]))?;
    let undelivered = runtime.block_on(async {
        let producing = async {
            match &options.kafka {
                Some(k) => kafka::produce(&set, &ir.documents, k, &events).await.map(|(n, failed)| {
                    events.say(format!("kafka: {n} records delivered, {} not", failed.len()));
                    failed
                }),
                None => Ok(Vec::new()),
            }
        };
        if plans.is_empty() {
            return producing.await.map_err(|e| Diagnostic::new(Code::Io, &source, format!("Kafka: {e}")));
        }
        let serving = server::run(plans, options.listen, accept, events.clone(), asyncapi_runtime::ws::server::Shutdown::new());
        let (served, produced) = tokio::join!(serving, producing);
        served.map_err(|e| Diagnostic::new(Code::Io, &source, format!("cannot serve on {}: {e}", options.listen)))?;
        produced.map_err(|e| Diagnostic::new(Code::Io, &source, format!("Kafka: {e}")))
    });
    Ok((warnings, undelivered.map_err(|e| Errors(vec![e]))?))
}
