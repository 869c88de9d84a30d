//! Kafka benchmark: `cargo bench -p workspace-tests --bench kafka`
//! (run `scripts/install-test-deps.sh` first, or set `TANSU_BIN`).
//!
//! Produce and consume throughput of `agent_assist_step` records (about 1 KB of JSON each) on a
//! Tansu broker (memory storage) on 127.0.0.1, in records/s and MB/s of record values:
//! - `generated`: the typed producer (`send_batch` of typed records, serialised by the producer)
//!   and the typed consumer (`AgentAssistStepConsumer`, decoding every record);
//! - `rdkafka`: rdkafka itself with the same settings (idempotent, acks=all), sending
//!   pre-serialised bytes and reading raw bytes (our overhead is the difference).
//!
//! Each side gets a fresh broker, and one warm-up record (sent and read before the clock starts:
//! the first send also fetches the new topic's metadata and the producer id, which took up to a
//! second, at random). `KAFKA_BENCH_RECORDS` sets the count (default 20,000);
//! `KAFKA_BENCH_ROUNDS` the rounds (default 3, best one reported).

use std::time::{Duration, Instant};

use agent_assist_api::cdr::kafka::{self as cdr_kafka, AgentAssistStepConsumer, Producer};
use agent_assist_api::cdr::{AgentAssistStep, AgentAssistStepMessage};
use agent_assist_api::cdr::kafka::{KafkaConfig, StartFrom};
use asyncapi_runtime::kafka::PRODUCER_DEFAULTS;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};
use workspace_tests::tansu::Broker;

const TOPIC: &str = "agent_assist_step";

fn records(n: usize) -> Vec<AgentAssistStep> {
    let text = std::fs::read_to_string(workspace_tests::root().join("asyncapi/agent-assist-cdr.yaml")).expect("spec");
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).expect("yaml");
    let example = doc["components"]["messages"]["agentAssistStep"]["examples"][0]["payload"].clone();
    let base: AgentAssistStep = serde_json::from_value(example).expect("example decodes");
    (0..n)
        .map(|i| {
            let mut r = base.clone();
            r.dialog_id = format!("bench-call-{}", i % 100);
            r.step = Some(i as i64);
            r
        })
        .collect()
}

struct Figures {
    produce: Duration,
    consume: Duration,
}

async fn generated(records: &[AgentAssistStep]) -> Figures {
    let broker = Broker::start();
    let config = KafkaConfig::new(broker.brokers());
    cdr_kafka::ensure_topics(&config).await.expect("topics");
    let producer = Producer::new(&config).expect("producer");
    let batch: Vec<AgentAssistStepMessage> = records.iter().cloned().map(AgentAssistStepMessage::AgentAssistStep).collect();
    // Warm-up: the first send also fetches the new topic's metadata and the producer id.
    producer.send_agent_assist_step(records[0].clone()).await.expect("warm-up record delivered");
    let started = Instant::now();
    let results = producer.send_batch(batch).await;
    let produce = started.elapsed();
    assert!(results.iter().all(Result::is_ok), "every record delivered");

    let consumer = AgentAssistStepConsumer::assign(&config, "bench", StartFrom::Earliest).expect("consumer");
    consumer.recv().await.expect("the warm-up record");
    let started = Instant::now();
    for _ in 0..records.len() {
        consumer.recv().await.expect("a decodable record");
    }
    Figures { produce, consume: started.elapsed() }
}

async fn raw(records: &[AgentAssistStep]) -> Figures {
    let broker = Broker::start();
    let config = KafkaConfig::new(broker.brokers());
    cdr_kafka::ensure_topics(&config).await.expect("topics");
    let payloads: Vec<(String, Vec<u8>)> = records.iter().map(|r| (r.dialog_id.clone(), serde_json::to_vec(r).unwrap())).collect();
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", broker.brokers());
    for (k, v) in PRODUCER_DEFAULTS {
        client.set(*k, *v);
    }
    let producer: FutureProducer = client.create().expect("producer");
    let (key, payload) = &payloads[0];
    producer.send(FutureRecord::to(TOPIC).key(key.as_str()).payload(payload.as_slice()), Duration::from_secs(30)).await.expect("warm-up record delivered");
    let started = Instant::now();
    let mut pending = std::collections::VecDeque::new();
    for (key, payload) in &payloads {
        let mut record = FutureRecord::to(TOPIC).key(key.as_str()).payload(payload.as_slice());
        loop {
            match producer.send_result(record) {
                Ok(delivery) => {
                    pending.push_back(delivery);
                    break;
                }
                Err((_, back)) => {
                    record = back;
                    let oldest = pending.pop_front().expect("a queue-full producer has records in flight");
                    oldest.await.expect("not cancelled").expect("delivered");
                }
            }
        }
    }
    for delivery in pending {
        delivery.await.expect("not cancelled").expect("delivered");
    }
    let produce = started.elapsed();

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.brokers())
        .set("group.id", "bench")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let metadata = consumer.fetch_metadata(Some(TOPIC), Duration::from_secs(10)).expect("metadata");
    let mut list = TopicPartitionList::new();
    for p in metadata.topics()[0].partitions() {
        list.add_partition_offset(TOPIC, p.id(), Offset::Beginning).unwrap();
    }
    consumer.assign(&list).expect("assign");
    consumer.recv().await.expect("the warm-up record");
    let started = Instant::now();
    for _ in 0..payloads.len() {
        let m = consumer.recv().await.expect("a record");
        assert!(m.payload().is_some());
    }
    Figures { produce, consume: started.elapsed() }
}

fn row(name: &str, what: &str, n: usize, bytes: usize, d: Duration) {
    let secs = d.as_secs_f64();
    println!("| {name} | {what} | {:.0} records/s | {:.1} MB/s | {:.2} s |", n as f64 / secs, bytes as f64 / secs / 1e6, secs);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("KAFKA_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let rounds: usize = std::env::var("KAFKA_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let records = records(n);
    let bytes: usize = records.iter().map(|r| serde_json::to_vec(r).unwrap().len()).sum();
    println!("{n} step records, {:.1} MB of values ({} B each on average), best of {rounds}", bytes as f64 / 1e6, bytes / n);
    println!("| Client | Direction | Records/s | MB/s | Time |");
    println!("| --- | --- | --- | --- | --- |");
    let mut best: [Option<Figures>; 2] = [None, None];
    for round in 0..rounds {
        // Alternate which side goes first, so neither always meets a colder or warmer machine.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let figures = if i == 0 { generated(&records).await } else { raw(&records).await };
            eprintln!("round: {} produce {:.2?} consume {:.2?}", ["generated", "rdkafka"][i], figures.produce, figures.consume);
            let b = best[i].get_or_insert(Figures { produce: Duration::MAX, consume: Duration::MAX });
            b.produce = b.produce.min(figures.produce);
            b.consume = b.consume.min(figures.consume);
        }
    }
    // What the typed side does on top of rdkafka, in memory: encode and decode the same records.
    let started = Instant::now();
    let encoded: Vec<Vec<u8>> = records.iter().map(|r| serde_json::to_vec(&AgentAssistStepMessage::AgentAssistStep(r.clone())).unwrap()).collect();
    let encode = started.elapsed();
    let started = Instant::now();
    for bytes in &encoded {
        let _: AgentAssistStep = agent_assist_api::cdr::kafka::TopicMessage::decode(bytes).expect("decodes");
    }
    let decode = started.elapsed();
    for (name, figures) in ["generated", "rdkafka"].iter().zip(best) {
        let f = figures.expect("at least one round");
        row(name, "produce", n, bytes, f.produce);
        row(name, "consume", n, bytes, f.consume);
    }
    row("serde_json, no broker", "encode (clone + to_vec)", n, bytes, encode);
    row("serde_json, no broker", "decode (TopicMessage::decode)", n, bytes, decode);
}
