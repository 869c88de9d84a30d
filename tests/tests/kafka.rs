//! The generated Kafka producers and consumers (`agent_assist_api::cdr::kafka`) against a real
//! Kafka-protocol broker: Tansu with in-memory storage, one broker per test on a free port.
//! Python `confluent-kafka` checks the records on the wire independently.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use agent_assist_api::cdr::kafka::{self as cdr_kafka, AgentAssistStepConsumer, AgentAssistSummaryConsumer, Producer};
use agent_assist_api::cdr::{AgentAssistEnd, AgentAssistStart, AgentAssistStep, AgentAssistStepMessage, AgentAssistSummaryMessage};
use agent_assist_api::cdr::kafka::{ConsumeError, ErrorCode, KafkaConfig, RawRecord, Received, SendFailure, StartFrom, TopicConsumer, TopicMessage};
use serde_json::Value;
use workspace_tests::cdr::{example, step};
use workspace_tests::{example_binary, root, test_python};
use workspace_tests::tansu::{free_port, Broker};

fn config(broker: &Broker) -> KafkaConfig {
    KafkaConfig::new(broker.brokers()).set("message.timeout.ms", "30000")
}

async fn ensure(broker: &Broker) {
    let statuses = cdr_kafka::ensure_topics(&config(broker)).await.expect("topics created");
    assert_eq!(statuses.len(), 2, "{statuses:?}");
}

/// Receives until `n` items (records or decode errors) arrived, or `wait` passes without one.
async fn receive<M: TopicMessage>(consumer: &TopicConsumer<M>, n: usize, wait: Duration) -> Vec<Result<Received<M>, ConsumeError>> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(wait, consumer.recv()).await {
            Ok(Err(ConsumeError::Kafka(e))) => eprintln!("consumer error (ignored while waiting): {e}"),
            Ok(item) => out.push(item),
            Err(_) => break,
        }
    }
    out
}

/// The `step` of each step record, in order.
fn step_numbers(got: &[Received<AgentAssistStep>]) -> Vec<i64> {
    got.iter().map(|r| r.message.step.expect("step set")).collect()
}

fn records<M>(items: Vec<Result<Received<M>, ConsumeError>>) -> Vec<Received<M>> {
    items.into_iter().map(|i| i.unwrap_or_else(|e| panic!("expected a record, got {e}"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_examples_round_trip_and_match_the_spec_on_the_wire() {
    let broker = Broker::start();
    ensure(&broker).await;
    let producer = Producer::new(&config(&broker)).expect("producer");
    let start: AgentAssistStart = example("agentAssistStart");
    let step: AgentAssistStep = example("agentAssistStep");
    let end: AgentAssistEnd = example("agentAssistEnd");
    let d1 = producer.send_agent_assist_start(start.clone()).await.expect("start delivered");
    let d2 = producer.send_agent_assist_step(step.clone()).await.expect("step delivered");
    let d3 = producer.send_agent_assist_end(end.clone()).await.expect("end delivered");
    assert_eq!((d1.position.topic.as_str(), d2.position.topic.as_str(), d3.position.topic.as_str()), ("agent_assist_summary", "agent_assist_step", "agent_assist_summary"));
    assert_eq!(d1.position.partition, d3.position.partition, "one dialog_id, one partition");
    assert!(d3.position.offset > d1.position.offset);

    let summary = AgentAssistSummaryConsumer::assign(&config(&broker), "round-trip", StartFrom::Earliest).expect("consumer");
    let got = records(receive(&summary, 2, Duration::from_secs(20)).await);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].message, AgentAssistSummaryMessage::AgentAssistStart(start.clone()));
    assert_eq!(got[1].message, AgentAssistSummaryMessage::AgentAssistEnd(end.clone()));
    assert_eq!(got[0].key_str(), Some(start.dialog_id.as_str()));
    assert_eq!(got[0].position, d1.position);
    let steps = AgentAssistStepConsumer::assign(&config(&broker), "round-trip", StartFrom::Earliest).expect("consumer");
    let got = records(receive(&steps, 1, Duration::from_secs(20)).await);
    assert_eq!(got[0].message, step);
    assert_eq!(got[0].key_str(), Some(step.dialog_id.as_str()));

    // An independent client reads the same records and checks them against the spec itself.
    let out = Command::new(test_python())
        .arg(root().join("tests/python/check_kafka_records.py"))
        .args([broker.brokers(), root().join("asyncapi/agent-assist-cdr.yaml").display().to_string(), "3".into()])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "python check failed: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let expected: BTreeSet<(String, String, String)> = [
        ("agent_assist_summary", start.dialog_id.clone(), serde_json::to_vec(&start).unwrap()),
        ("agent_assist_step", step.dialog_id.clone(), serde_json::to_vec(&step).unwrap()),
        ("agent_assist_summary", end.dialog_id.clone(), serde_json::to_vec(&end).unwrap()),
    ]
    .into_iter()
    .map(|(t, k, v)| (t.to_string(), k, v.iter().map(|b| format!("{b:02x}")).collect()))
    .collect();
    let seen: BTreeSet<(String, String, String)> = lines
        .iter()
        .map(|l| (l["topic"].as_str().unwrap().to_string(), l["key"].as_str().unwrap().to_string(), l["value_hex"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(seen, expected, "topic, key and exact value bytes on the wire");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_record_is_surfaced_with_its_offset_and_the_stream_goes_on() {
    let broker = Broker::start();
    ensure(&broker).await;
    let producer = Producer::new(&config(&broker)).expect("producer");
    let raw = |payload: &[u8]| RawRecord { topic: "agent_assist_step".into(), key: Some(b"call-1".to_vec()), headers: vec![("origin".into(), b"test".to_vec())], payload: payload.to_vec() };
    producer.send_agent_assist_step(step(1, 1)).await.expect("delivered");
    producer.raw().send_raw(raw(b"not json")).await.expect("delivered");
    producer.raw().send_raw(raw(br#"{"message_type":"agent_assist_end","dialog_id":"call-1"}"#)).await.expect("delivered");
    producer.send_agent_assist_step(step(1, 2)).await.expect("delivered");

    let consumer = AgentAssistStepConsumer::assign(&config(&broker), "foreign", StartFrom::Earliest).expect("consumer");
    let items = receive(&consumer, 4, Duration::from_secs(20)).await;
    assert_eq!(items.len(), 4, "every record comes out, decodable or not");
    let mut items = items.into_iter();
    let first = items.next().unwrap().expect("a step");
    assert_eq!(first.message, step(1, 1));
    for (want_offset, want_payload, want_reason) in [(1, &b"not json"[..], "expected ident"), (2, br#"{"message_type":"agent_assist_end","dialog_id":"call-1"}"#, "unknown variant `agent_assist_end`, expected `agent_assist_step`")] {
        match items.next().unwrap() {
            Err(ConsumeError::Decode(e)) => {
                assert_eq!(e.position.topic, "agent_assist_step");
                assert_eq!(e.position.partition, first.position.partition);
                assert_eq!(e.position.offset, first.position.offset + want_offset);
                assert_eq!(e.payload.as_deref(), Some(want_payload), "raw bytes kept");
                assert_eq!(e.key.as_deref(), Some(&b"call-1"[..]));
                assert_eq!(e.headers, vec![("origin".to_string(), b"test".to_vec())]);
                assert!(e.reason.contains(want_reason), "{}", e.reason);
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
    let last = items.next().unwrap().expect("the stream goes on");
    assert_eq!(last.message, step(1, 2));
    assert_eq!(last.position.offset, first.position.offset + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_are_committed_only_through_the_explicit_api() {
    let broker = Broker::start();
    ensure(&broker).await;
    let producer = Producer::new(&config(&broker)).expect("producer");
    let results = producer.send_batch((1..=3).map(|n| AgentAssistStepMessage::AgentAssistStep(step(7, n))).collect()).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let read_steps = |consumer: AgentAssistStepConsumer| async move {
        let got = records(receive(&consumer, 3, Duration::from_secs(5)).await);
        (consumer, got.into_iter().map(|r| (r.position, r.message)).collect::<Vec<_>>())
    };
    let first = AgentAssistStepConsumer::assign(&config(&broker), "commits", StartFrom::Earliest).unwrap();
    let (first, seen) = read_steps(first).await;
    assert_eq!(seen.len(), 3);
    assert!(first.committed().await.unwrap().is_empty(), "nothing committed behind the application's back");
    drop(first);

    // Nothing was committed: a new consumer of the group reads everything again.
    let second = AgentAssistStepConsumer::assign(&config(&broker), "commits", StartFrom::Earliest).unwrap();
    let (second, again) = read_steps(second).await;
    assert_eq!(again, seen, "at-least-once: unhandled records come back");
    second.commit(&again[1].0).await.expect("commit");
    let committed = second.committed().await.unwrap();
    assert_eq!(committed.get(&again[1].0.partition), Some(&(again[1].0.offset + 1)));
    drop(second);

    let third = AgentAssistStepConsumer::assign(&config(&broker), "commits", StartFrom::Earliest).unwrap();
    let rest = records(receive(&third, 3, Duration::from_secs(5)).await);
    assert_eq!(rest.len(), 1, "resumes after the committed record");
    assert_eq!((rest[0].position.clone(), rest[0].message.clone()), again[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_steps_from_a_hundred_concurrent_calls_arrive_once_and_in_order() {
    const CALLS: usize = 100;
    const STEPS: i64 = 100;
    let broker = Broker::start();
    ensure(&broker).await;
    let producer = Producer::new(&config(&broker)).expect("producer");
    let tasks: Vec<_> = (0..CALLS)
        .map(|call| {
            let producer = producer.clone();
            tokio::spawn(async move {
                for n in 1..=STEPS {
                    producer.send_agent_assist_step(step(call, n)).await.map_err(|e| format!("call {call} step {n}: {e}"))?;
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("every record delivered");
    }

    let consumer = AgentAssistStepConsumer::assign(&config(&broker), "volume", StartFrom::Earliest).expect("consumer");
    let total = CALLS * STEPS as usize;
    let got = records(receive(&consumer, total, Duration::from_secs(20)).await);
    assert_eq!(got.len(), total, "none lost");
    let mut per_call: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut partitions: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for r in &got {
        let s = &r.message;
        let id = s.dialog_id.clone();
        assert_eq!(r.key_str(), Some(id.as_str()));
        per_call.entry(id.clone()).or_default().push(s.step.unwrap());
        partitions.entry(id).or_default().insert(r.position.partition);
    }
    assert_eq!(per_call.len(), CALLS);
    for (id, steps) in &per_call {
        assert_eq!(*steps, (1..=STEPS).collect::<Vec<_>>(), "{id}: each step once, in order");
        assert_eq!(partitions[id].len(), 1, "{id}: one key, one partition");
    }
    let used: BTreeSet<i32> = partitions.values().flatten().copied().collect();
    assert!(used.len() > 1, "the calls spread over several partitions: {used:?}");
    assert!(matches!(receive(&consumer, 1, Duration::from_secs(2)).await.as_slice(), []), "no duplicates after the last record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_rejects_an_invalid_record_and_the_producer_returns_it() {
    let broker = Broker::with_registry(&root().join("generated/schemas"));
    ensure(&broker).await;
    let valid = Producer::new(&config(&broker)).expect("producer");
    valid.send_agent_assist_step(step(1, 1)).await.expect("a record that matches the spec is accepted");

    // Its own producer: after a rejection, an idempotent producer on Tansu is fenced (see DEVELOPERS.md).
    let invalid = Producer::new(&config(&broker)).expect("producer");
    let record = RawRecord {
        topic: "agent_assist_step".into(),
        key: Some(b"call-1".to_vec()),
        headers: vec![],
        payload: br#"{"message_type":"agent_assist_step","dialog_id":"call-1","step":"one"}"#.to_vec(),
    };
    let err = invalid.raw().send_raw(record.clone()).await.expect_err("the broker rejects it");
    assert_eq!(err.record, record, "the record comes back");
    assert_eq!(err.code(), Some(ErrorCode::InvalidRecord), "{}", err.failure);

    let missing = RawRecord { payload: br#"{"message_type":"agent_assist_step"}"#.to_vec(), ..record.clone() };
    let fresh = Producer::new(&config(&broker)).expect("producer");
    let err = fresh.raw().send_raw(missing.clone()).await.expect_err("dialog_id is required");
    assert_eq!(err.record, missing);
    assert!(matches!(err.failure, SendFailure::Kafka(_)));

    valid.send_agent_assist_step(step(1, 2)).await.expect("the broker keeps accepting valid records");
    let consumer = AgentAssistStepConsumer::assign(&config(&broker), "registry", StartFrom::Earliest).expect("consumer");
    let got = records(receive(&consumer, 3, Duration::from_secs(5)).await);
    let steps = step_numbers(&got);
    assert_eq!(steps, [1, 2], "only the valid records are on the topic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_sent_while_the_broker_is_down_are_delivered_once_it_is_up() {
    let port = free_port();
    let config = KafkaConfig::new(format!("127.0.0.1:{port}")).set("message.timeout.ms", "60000");
    let producer = Producer::new(&config).expect("a producer starts without a broker");
    let pending = tokio::spawn({
        let producer = producer.clone();
        async move { producer.send_batch((1..=5).map(|n| AgentAssistStepMessage::AgentAssistStep(step(3, n))).collect()).await }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!pending.is_finished(), "sends wait for the broker");
    let broker = Broker::start_on(port, None);
    ensure(&broker).await;
    let results = pending.await.expect("task");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let consumer = AgentAssistStepConsumer::assign(&config, "late-broker", StartFrom::Earliest).expect("consumer");
    let got = records(receive(&consumer, 6, Duration::from_secs(5)).await);
    let steps = step_numbers(&got);
    assert_eq!(steps, [1, 2, 3, 4, 5], "each record once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_stopped_mid_stream_fails_sends_with_their_records_and_service_resumes_after_restart() {
    let mut broker = Broker::start();
    ensure(&broker).await;
    let config = config(&broker).set("message.timeout.ms", "3000");
    let producer = Producer::new(&config).expect("producer");
    for n in 1..=3 {
        producer.send_agent_assist_step(step(5, n)).await.expect("delivered");
    }
    let consumer = AgentAssistStepConsumer::assign(&config, "outage", StartFrom::Earliest).expect("consumer");
    assert_eq!(records(receive(&consumer, 3, Duration::from_secs(10)).await).len(), 3);

    broker.kill();
    // The producer: every send fails once message.timeout.ms passes, and gives its record back.
    let lost: Vec<AgentAssistStepMessage> = (4..=6).map(|n| AgentAssistStepMessage::AgentAssistStep(step(5, n))).collect();
    let results = producer.send_batch(lost.clone()).await;
    let returned: Vec<AgentAssistStepMessage> = results
        .into_iter()
        .map(|r| {
            let e = r.expect_err("no broker, no delivery");
            assert!(matches!(e.failure, SendFailure::Kafka(_)), "{}", e.failure);
            e.record
        })
        .collect();
    assert_eq!(returned, lost, "each failed record comes back, in order");
    // The consumer: transport errors, and no records or decode errors, while the broker is away.
    let mut transport_errors = 0;
    while let Ok(item) = tokio::time::timeout(Duration::from_secs(3), consumer.recv()).await {
        match item {
            Err(ConsumeError::Kafka(_)) => transport_errors += 1,
            other => panic!("nothing to read while the broker is down, got {other:?}"),
        }
    }
    assert!(transport_errors > 0, "the consumer reports that the broker is unreachable");

    // Memory storage starts empty: the topics and the first three records are gone.
    broker.restart();
    ensure(&broker).await;
    // Re-sending through the same producer: every record is delivered or comes back again. (Against
    // Tansu's memory storage it comes back: the restarted broker forgot the idempotent producer's id.)
    let results = producer.send_batch(returned).await;
    assert_eq!(results.len(), 3);
    let pending: Vec<AgentAssistStepMessage> = results.into_iter().filter_map(|r| r.err().map(|e| e.record)).collect();
    eprintln!("after the restart, {} of 3 re-sent records came back from the old producer", pending.len());
    // A new producer delivers whatever came back.
    let fresh = Producer::new(&config).expect("producer");
    let results = fresh.send_batch(pending).await;
    assert!(results.iter().all(Result::is_ok), "a new producer delivers after the restart: {results:?}");
    let more: Vec<AgentAssistStepMessage> = (7..=9).map(|n| AgentAssistStepMessage::AgentAssistStep(step(5, n))).collect();
    assert!(fresh.send_batch(more).await.iter().all(Result::is_ok));

    // The old consumer resumes at the position it held (offset 3), which in the new, empty log is
    // where record 7 lands: records 4-6 (offsets 0-2) are skipped. Durable storage keeps the log,
    // so this is the memory storage's loss, shown here, not the client's.
    let got = records(receive(&consumer, 6, Duration::from_secs(10)).await);
    let steps = step_numbers(&got);
    assert_eq!(steps, [7, 8, 9], "the old consumer continues from its position in the new log");
    let new_reader = AgentAssistStepConsumer::assign(&config, "outage-after", StartFrom::Earliest).expect("consumer");
    let got = records(receive(&new_reader, 7, Duration::from_secs(10)).await);
    let steps = step_numbers(&got);
    assert_eq!(steps, [4, 5, 6, 7, 8, 9], "the new log holds everything sent after the restart, once");
}

#[test]
fn produce_cdr_publishes_simulated_calls_that_consume_cdr_prints() {
    let produce = example_binary("produce-cdr");
    let consume = example_binary("consume-cdr");
    let broker = Broker::start();
    let out = Command::new(&produce).args(["--brokers", &broker.brokers(), "--sessions", "4", "--steps", "3", "--id-prefix", "sim-"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "produce-cdr failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("20 records delivered for 4 sessions"), "{stdout}");
    assert!(stdout.contains("0 not delivered"), "{stdout}");

    let out = Command::new(&consume).args(["--brokers", &broker.brokers(), "--max", "20", "--idle-ms", "10000"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "consume-cdr failed: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 20, "{stdout}");
    // Per call: start and end on the summary topic, in that order; steps 1..3 on the step topic.
    let mut kinds: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in &lines {
        let (position, rest) = line.split_once(" key=").expect("position key=...");
        let (key, record) = rest.split_once(' ').expect("key record");
        assert!(key.starts_with("sim-"), "{line}");
        let kind = if record.starts_with("AgentAssistStart(") {
            "start"
        } else if record.starts_with("AgentAssistEnd(") {
            "end"
        } else {
            // A topic of one message type yields that type itself.
            assert!(record.starts_with("AgentAssistStep {"), "{line}");
            assert!(position.starts_with("agent_assist_step["), "{line}");
            "step"
        };
        assert!(record.contains(&format!("dialog_id: \"{key}\"")), "the key is the record's dialog_id: {line}");
        kinds.entry(key.to_string()).or_default().push(kind.to_string());
    }
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    for (call, seen) in &kinds {
        let summary: Vec<&String> = seen.iter().filter(|k| *k != "step").collect();
        assert_eq!(summary, ["start", "end"], "{call}");
        assert_eq!(seen.iter().filter(|k| *k == "step").count(), 3, "{call}");
    }

    let out = Command::new(&produce).args(["--sessions", "many"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sessions expects a number"));
}

#[test]
fn produce_cdr_exits_non_zero_when_records_are_not_delivered() {
    let produce = example_binary("produce-cdr");
    // A registry that rejects every step record: the topics exist, the step records are refused.
    let schemas = tempfile::tempdir().expect("temp dir");
    std::fs::copy(root().join("generated/schemas/agent_assist_summary.json"), schemas.path().join("agent_assist_summary.json")).unwrap();
    std::fs::write(schemas.path().join("agent_assist_step.json"), r#"{"type":"object","properties":{"value":{"type":"string"}}}"#).unwrap();
    let broker = Broker::with_registry(schemas.path());
    let out = Command::new(&produce).args(["--brokers", &broker.brokers(), "--sessions", "1", "--steps", "2"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout} {stderr}");
    assert!(stderr.contains("not delivered") && stderr.contains("InvalidRecord"), "each failure is reported with its record: {stderr}");
    assert!(stderr.contains("AgentAssistStep {"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscribed_group_resumes_after_its_last_commit() {
    let broker = Broker::start();
    ensure(&broker).await;
    // A short session timeout: Tansu's first join waits about half of it.
    let config = config(&broker).set("session.timeout.ms", "6000");
    let producer = Producer::new(&config).expect("producer");
    let sent = producer.send_batch((1..=3).map(|n| AgentAssistStepMessage::AgentAssistStep(step(9, n))).collect()).await;
    assert!(sent.iter().all(Result::is_ok), "{sent:?}");

    let first = AgentAssistStepConsumer::subscribe(&config, "group-resume", StartFrom::Earliest).expect("consumer");
    let got = records(receive(&first, 3, Duration::from_secs(30)).await);
    assert_eq!(step_numbers(&got), [1, 2, 3]);
    first.commit(&got[2].position).await.expect("commit");
    drop(first);

    producer.send_agent_assist_step(step(9, 4)).await.expect("delivered");
    let second = AgentAssistStepConsumer::subscribe(&config, "group-resume", StartFrom::Earliest).expect("consumer");
    let got = records(receive(&second, 1, Duration::from_secs(30)).await);
    assert_eq!(step_numbers(&got), [4], "the group resumes after its committed offset");
    assert!(receive(&second, 1, Duration::from_secs(2)).await.is_empty(), "nothing before it comes back");
}
