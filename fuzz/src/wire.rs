//! Targets fed with wire messages: `conform`'s line checker and the generated decoders.

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::OnceLock;

use agent_assist_api::{agent_assist, agent_vb, cdr};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// `conform` over the spec set, on arbitrary capture text (wrapped lines, then bare lines on the
/// AgentAssist socket): a report or an error, never a panic; it never counts more conforming lines
/// than it read.
pub fn conform(data: &[u8]) {
    static CHECKER: OnceLock<asyncapi_codegen::conform::Checker> = OnceLock::new();
    let checker = CHECKER.get_or_init(|| {
        let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../asyncapi");
        asyncapi_codegen::conform::Checker::new(&[spec]).expect("the spec set loads")
    });
    let framings = [asyncapi_codegen::conform::Framing::Wrapped, asyncapi_codegen::conform::Framing::Channel(agent_assist::server::ADDRESS.to_string())];
    for framing in &framings {
        if let Ok(report) = asyncapi_codegen::conform::run(checker, data, framing, "fuzz") {
            assert!(report.conforming <= report.lines, "{} conforming of {} lines", report.conforming, report.lines);
        }
    }
}

/// Every generated decoder of the committed crate: whatever decodes re-encodes, and the encoding
/// decodes to the same value.
pub fn decode(data: &[u8]) {
    round_trip::<agent_assist::ServerMessage>(data);
    round_trip::<agent_assist::ClientMessage>(data);
    round_trip::<agent_vb::ServerMessage>(data);
    round_trip::<agent_vb::ClientMessage>(data);
    round_trip::<cdr::AgentAssistSummaryMessage>(data);
    round_trip::<cdr::AgentAssistStep>(data);
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(data) else { return };
    let wire = serde_json::to_vec(&value).unwrap_or_else(|e| panic!("{value:?} decoded but does not encode: {e}"));
    let again: T = serde_json::from_slice(&wire).unwrap_or_else(|e| panic!("{} does not decode: {e}", String::from_utf8_lossy(&wire)));
    assert_eq!(value, again, "{}", String::from_utf8_lossy(&wire));
}
