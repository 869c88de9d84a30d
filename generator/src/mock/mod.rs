//! `asyncapi-codegen mock`: serves every WebSocket socket of the documents from the spec alone
//! (no generated crate), with the generated servers' session behaviour from the runtime:
//! handshake query checks (401), the session queue and limits, error replies or close codes.
//!
//! Each session is played a script on connect: every message the socket sends, in the spec's
//! order, `--interval-ms` apart, its examples in turn (a message without examples gets a value
//! made from its schema with `--seed`, checked against the schema). Replies answer each received
//! message as its operation's `reply` says. A message's `x-mock` changes its part:
//! `push: false` (only as a reply), `interval` (ms before each push), `repeat` (how many pushes),
//! `after: <message key>` (its place in the script).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::diag::{Code, Diagnostic, Errors, Result};
use crate::{load_ir, IrOptions, LoadOptions};

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
}

/// Loads the documents, plans every socket, and serves them until Ctrl-C. Returns the warnings
/// (messages the mock cannot send) once it has stopped; errors are the documents' or the
/// listener's, located.
pub fn run(spec: &[PathBuf], options: &MockOptions) -> Result<Vec<Diagnostic>> {
    let (set, ir) = load_ir(spec, &LoadOptions::default(), &IrOptions::default())?;
    let plan_options = plan::PlanOptions { seed: options.seed, interval: options.interval };
    let (plans, warnings) = plan::plan(&set, &ir.documents, &plan_options)?;
    let source = ir.documents.first().map(|d| d.source.clone()).unwrap_or_default();
    if plans.is_empty() {
        return Err(Errors(vec![Diagnostic::new(Code::Unsupported, &source, "no document has a WebSocket (`ws`/`wss`) server: nothing to mock")]));
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
    runtime
        .block_on(server::run(plans, options.listen, accept, events, asyncapi_runtime::ws::server::Shutdown::new()))
        .map_err(|e| Errors(vec![Diagnostic::new(Code::Io, &source, format!("cannot serve on {}: {e}", options.listen))]))?;
    Ok(warnings)
}
