//! A broker that keeps its data: Tansu with SQLite storage is killed (SIGKILL) and restarted twice
//! while 100 concurrent calls send 10,000 steps through the generated idempotent producer. Then
//! everything is read back: nothing lost, each call's steps in order, every duplicate explained.
//!
//! What the producer guarantees across a restart: a send that returns `Ok` is in the log. A send
//! still in flight when the broker dies is retried by the client (same producer id and sequence
//! numbers) until `message.timeout.ms`; a send that fails gives its record back and the call
//! re-sends it, so a failed send is the one way a step can be written twice.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_assist_api::cdr::kafka::{self as cdr_kafka, AgentAssistStepConsumer, ConsumeError, KafkaConfig, Producer, StartFrom};
use workspace_tests::cdr::step;
use workspace_tests::tansu::Broker;
use workspace_tests::wait_until;

const CALLS: usize = 100;
const STEPS: i64 = 100;

/// What the calls saw: deliveries, and the (call, step) pairs whose send failed and was re-sent.
#[derive(Default)]
struct Outcome {
    delivered: AtomicUsize,
    failed: Mutex<Vec<(String, i64, String)>>,
}

#[test]
fn ten_thousand_steps_survive_two_broker_crashes_with_nothing_lost_and_every_duplicate_explained() {
    let mut broker = Broker::durable();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // Long enough for a send to outlive a restart; the client retries meanwhile.
    let config = KafkaConfig::new(broker.brokers()).set("message.timeout.ms", "60000");
    runtime.block_on(cdr_kafka::ensure_topics(&config)).expect("topics created");

    let outcome = Arc::new(Outcome::default());
    let producer = Producer::new(&config).expect("producer");
    let calls: Vec<_> = (0..CALLS)
        .map(|call| {
            let (producer, outcome, config) = (producer.clone(), outcome.clone(), config.clone());
            runtime.spawn(async move {
                let mut producer = producer;
                for n in 1..=STEPS {
                    let mut record = step(call, n);
                    // A failed send gives the record back: re-send it (a fresh producer when this
                    // one is fenced), at most a few times.
                    for attempt in 1.. {
                        match producer.send_agent_assist_step(record).await {
                            Ok(_) => break,
                            Err(e) => {
                                assert!(attempt < 5, "call-{call} step {n}: still failing after {attempt} attempts: {}", e.failure);
                                outcome.failed.lock().unwrap().push((format!("call-{call}"), n, e.failure.to_string()));
                                record = e.record;
                                producer = Producer::new(&config).expect("producer");
                            }
                        }
                    }
                    outcome.delivered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let total = CALLS * STEPS as usize;
    for (crash, at) in [total / 4, total * 3 / 5].into_iter().enumerate() {
        wait_until("deliveries before the crash", Duration::from_secs(120), || outcome.delivered.load(Ordering::Relaxed) >= at);
        broker.kill();
        let down = outcome.delivered.load(Ordering::Relaxed);
        std::thread::sleep(Duration::from_secs(2));
        broker.restart();
        eprintln!("crash {}: broker killed after {down} deliveries, restarted", crash + 1);
    }
    for call in calls {
        runtime.block_on(call).expect("every call delivers every step");
    }
    let failed = std::mem::take(&mut *outcome.failed.lock().unwrap());
    eprintln!("{} sends failed and were re-sent: {:?}", failed.len(), failed.iter().take(5).collect::<Vec<_>>());

    // Read the whole topic back.
    let _context = runtime.enter();
    let consumer = AgentAssistStepConsumer::assign(&config, "durable-check", StartFrom::Earliest).expect("consumer");
    let mut per_call: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut read = 0;
    runtime.block_on(async {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), consumer.recv()).await {
                Ok(Ok(r)) => {
                    read += 1;
                    assert_eq!(r.key_str(), Some(r.message.dialog_id.as_str()));
                    per_call.entry(r.message.dialog_id.clone()).or_default().push(r.message.step.expect("step set"));
                }
                Ok(Err(ConsumeError::Kafka(e))) => eprintln!("consumer error (ignored while reading): {e}"),
                Ok(Err(ConsumeError::Decode(e))) => panic!("every record decodes: {e}"),
                Err(_) => break,
            }
        }
    });

    // 0 lost, each call in order; a step appears twice only when its send failed and was re-sent.
    assert_eq!(per_call.len(), CALLS, "every call is on the topic");
    let mut duplicates = 0;
    for (call, steps) in &per_call {
        let mut distinct = steps.clone();
        distinct.dedup();
        assert_eq!(distinct, (1..=STEPS).collect::<Vec<_>>(), "{call}: every step, in order (a repeat only right after itself)");
        for n in 1..=STEPS {
            let copies = steps.iter().filter(|s| **s == n).count();
            let resent = failed.iter().filter(|(c, s, _)| c == call && *s == n).count();
            assert!(copies <= 1 + resent, "{call} step {n}: {copies} copies, but it was re-sent {resent} times");
            duplicates += copies - 1;
        }
    }
    assert_eq!(read, total + duplicates);
    eprintln!("read {read} records: {total} steps, {duplicates} duplicates, {} failed sends", failed.len());
}
