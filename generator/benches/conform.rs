//! `conform` throughput: `cargo bench -p asyncapi-codegen --bench conform`.
//!
//! A capture of the spec set's own examples (CDR records and socket messages, wrapped with their
//! channel), repeated to ~50 MB, checked in memory; reports MB/s and lines/s.
//! `CONFORM_ONLY=cdr` keeps the Kafka records only; `CONFORM_MB=N` sets the size.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Instant;

use asyncapi_codegen::conform::{run, Checker, Framing};
use serde_json::{json, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn examples() -> Vec<String> {
    let mut out = Vec::new();
    for name in ["agent-assist.yaml", "agent-vb.yaml", "agent-assist-cdr.yaml"] {
        let doc: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(repo().join("asyncapi").join(name)).unwrap()).unwrap();
        for (_, channel) in doc["channels"].as_object().unwrap() {
            let address = channel["address"].as_str().unwrap();
            for (_, r) in channel["messages"].as_object().unwrap() {
                let key = r["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
                for ex in doc["components"]["messages"][key]["examples"].as_array().into_iter().flatten() {
                    out.push(json!({"channel": address, "message": ex["payload"]}).to_string());
                }
            }
        }
    }
    out
}

fn main() {
    let checker = Checker::new(&[repo().join("asyncapi")]).unwrap();
    // `CONFORM_ONLY=cdr`: a capture of the Kafka records alone (larger lines).
    let only = std::env::var("CONFORM_ONLY").ok();
    let lines: Vec<String> = examples().into_iter().filter(|l| only.as_deref() != Some("cdr") || l.contains("\"channel\":\"agent_assist_")).collect();
    assert!(!lines.is_empty(), "no lines selected");
    let mut capture = String::new();
    let megabytes: usize = std::env::var("CONFORM_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    while capture.len() < megabytes << 20 {
        for l in &lines {
            capture.push_str(l);
            capture.push('\n');
        }
    }
    let n = capture.lines().count();
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let report = run(&checker, Cursor::new(capture.as_bytes()), &Framing::Wrapped, "bench").unwrap();
        assert!(report.conforms());
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = capture.len() as f64 / 1e6;
    println!(
        "conform  {n} lines, {mb:.1} MB ({}, wrapped)   best of 3: {:.2} s  {:.0} MB/s  {:.0} lines/s",
        if only.as_deref() == Some("cdr") { "CDR records" } else { "all spec examples" },
        best,
        mb / best,
        n as f64 / best
    );
}
