//! In-memory encode and decode of the generated types: `cargo bench -p workspace-tests --bench codec`.
//!
//! What the typed Kafka and WebSocket paths do on top of moving bytes, without a broker or a
//! socket: the CDR step record (the spec's example, about 1.2 KB) decoded with
//! `TopicMessage::decode` and encoded with `serde_json::to_vec`, and the two pushed WebSocket
//! messages of the socket bench (`sound_info`, small; `dialog_info` with 24 utterances, about
//! 4 KB) encoded as the server encodes them. Best of `CODEC_BENCH_ROUNDS` rounds (default 5) of
//! `CODEC_BENCH_MB` MB each (default 50); figures in MB/s of JSON. For instruction counts:
//! `CODEC_BENCH_ROUNDS=1 CODEC_BENCH_MB=1 valgrind --tool=callgrind <bench binary>`.

use std::time::{Duration, Instant};

use agent_assist_api::cdr::kafka::TopicMessage;
use agent_assist_api::cdr::AgentAssistStep;
use workspace_tests::bench_messages::{large, small};

fn step_record() -> Vec<u8> {
    let text = std::fs::read_to_string(workspace_tests::root().join("asyncapi/agent-assist-cdr.yaml")).expect("spec");
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).expect("yaml");
    serde_json::to_vec(&doc["components"]["messages"]["agentAssistStep"]["examples"][0]["payload"]).expect("encodes")
}

/// MB/s of `bytes_per_call` over the best of `rounds` timed rounds of `CODEC_BENCH_MB` MB each.
fn measure(rounds: usize, bytes_per_call: usize, mut call: impl FnMut()) -> f64 {
    let megabytes: f64 = std::env::var("CODEC_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(50.0);
    let calls = ((megabytes * 1e6) as usize / bytes_per_call).max(1);
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..calls {
            call();
        }
        best = best.min(started.elapsed());
    }
    (calls * bytes_per_call) as f64 / best.as_secs_f64() / 1e6
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // `CODEC_ONLY=decode` (say) measures only the rows whose message and work contain it.
    let only = std::env::var("CODEC_ONLY").unwrap_or_default();
    let wanted = |message: &str, work: &str| format!("{message} {work}").contains(&only);
    let rounds: usize = std::env::var("CODEC_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let record = step_record();
    let step = AgentAssistStep::decode(&record).expect("the example decodes");
    let mut rows = Vec::new();
    if wanted("CDR step record", "decode (`TopicMessage::decode`)") {
        rows.push(("CDR step record", "decode (`TopicMessage::decode`)", record.len(), measure(rounds, record.len(), || {
            std::hint::black_box(AgentAssistStep::decode(std::hint::black_box(&record)).expect("decodes"));
        })));
    }
    if wanted("CDR step record", "encode (`serde_json::to_vec`)") {
        rows.push(("CDR step record", "encode (`serde_json::to_vec`)", record.len(), measure(rounds, record.len(), || {
            std::hint::black_box(serde_json::to_vec(std::hint::black_box(&step)).expect("encodes"));
        })));
    }
    for (name, message) in [("`sound_info` (small)", small()), ("`dialog_info` (large)", large())] {
        let len = serde_json::to_string(&message).unwrap().len();
        if wanted(name, "encode (`serde_json::to_string`)") {
            rows.push((name, "encode (`serde_json::to_string`)", len, measure(rounds, len, || {
                std::hint::black_box(serde_json::to_string(std::hint::black_box(&message)).expect("encodes"));
            })));
        }
        if wanted(name, "clone + encode, as the socket bench pushes") {
            rows.push((name, "clone + encode, as the socket bench pushes", len, measure(rounds, len, || {
                std::hint::black_box(serde_json::to_string(&std::hint::black_box(&message).clone()).expect("encodes"));
            })));
        }
    }
    println!("| Message | Work | Bytes | MB/s | per message |");
    println!("| --- | --- | --- | --- | --- |");
    for (message, work, bytes, rate) in rows {
        println!("| {message} | {work} | {bytes} | {rate:.0} | {:.2} µs |", bytes as f64 / rate);
    }
}
