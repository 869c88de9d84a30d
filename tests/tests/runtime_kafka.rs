//! The runtime's Kafka layer on its own (`asyncapi_runtime::kafka`, no generated code) against a
//! Tansu broker: topic creation, delivery reports, the consumer as a `Stream`, decode errors with
//! their raw bytes, and commits.

use std::time::Duration;

use asyncapi_runtime::kafka::{
    ensure_topics, ConsumeError, KafkaConfig, KafkaMessage, Producer, RawRecord, StartFrom, TopicConsumer, TopicMessage,
    TopicOverrides, TopicSpec, TopicStatus,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use workspace_tests::tansu::Broker;

const TOPIC: &str = "readings";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reading {
    sensor: String,
    celsius: f64,
}

impl KafkaMessage for Reading {
    fn topic(&self) -> &'static str {
        TOPIC
    }
    fn key(&self) -> Option<String> {
        Some(self.sensor.clone())
    }
}

impl TopicMessage for Reading {
    const TOPIC: &'static str = TOPIC;
}

fn reading(n: usize) -> Reading {
    Reading { sensor: format!("s{n}"), celsius: n as f64 / 2.0 }
}

async fn started() -> (Broker, KafkaConfig) {
    let broker = Broker::start();
    let config = KafkaConfig::new(broker.brokers()).set("message.timeout.ms", "30000");
    let spec = TopicSpec { name: TOPIC, partitions: Some(1), replicas: Some(1), config: &[] };
    let statuses = ensure_topics(&config, &[spec], TopicOverrides::default()).await.expect("topic created");
    assert_eq!(statuses, vec![TopicStatus::Created(TOPIC.into())]);
    let again = ensure_topics(&config, &[spec], TopicOverrides::default()).await.expect("idempotent");
    assert_eq!(again, vec![TopicStatus::AlreadyExisted(TOPIC.into())]);
    (broker, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_delivered_in_order_and_read_back_as_a_stream() {
    let (_broker, config) = started().await;
    let producer = Producer::new(&config).expect("producer");
    let mut offsets = Vec::new();
    for n in 0..5 {
        let delivered = producer.send(reading(n)).await.expect("delivered");
        assert_eq!(delivered.position.topic, TOPIC);
        offsets.push(delivered.position.offset);
    }
    assert_eq!(offsets, (offsets[0]..offsets[0] + 5).collect::<Vec<_>>(), "one partition, consecutive offsets");

    let mut consumer = TopicConsumer::<Reading>::assign(&config, "stream", StartFrom::Earliest).expect("consumer");
    let mut got = Vec::new();
    while got.len() < 5 {
        let item = tokio::time::timeout(Duration::from_secs(20), consumer.next()).await.expect("a record in time").expect("never ends");
        match item {
            Ok(received) => {
                assert_eq!(received.key_str(), Some(received.message.sensor.as_str()));
                got.push(received.message);
            }
            Err(ConsumeError::Kafka(e)) => eprintln!("consumer error while waiting: {e}"),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, (0..5).map(reading).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_records_keep_their_bytes_and_commits_move_the_group() {
    let (_broker, config) = started().await;
    let producer = Producer::new(&config).expect("producer");
    let raw = RawRecord { topic: TOPIC.into(), key: Some(b"s9".to_vec()), headers: vec![("h".into(), b"v".to_vec())], payload: br#"{"sensor":"s9"}"#.to_vec() };
    producer.send(reading(1)).await.expect("delivered");
    producer.send_raw(raw.clone()).await.expect("delivered");
    producer.send(reading(2)).await.expect("delivered");

    let consumer = TopicConsumer::<Reading>::assign(&config, "group-a", StartFrom::Earliest).expect("consumer");
    let mut items = Vec::new();
    while items.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(20), consumer.recv()).await.expect("a record in time") {
            Err(ConsumeError::Kafka(e)) => eprintln!("consumer error while waiting: {e}"),
            item => items.push(item),
        }
    }
    let first = items.remove(0).expect("a reading");
    assert_eq!(first.message, reading(1));
    match items.remove(0) {
        Err(ConsumeError::Decode(e)) => {
            assert_eq!(e.position.offset, first.position.offset + 1);
            assert_eq!(e.payload.as_deref(), Some(&raw.payload[..]), "raw bytes kept");
            assert_eq!(e.key, raw.key);
            assert_eq!(e.headers, raw.headers);
            assert!(e.reason.contains("celsius"), "{}", e.reason);
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let last = items.remove(0).expect("the stream goes on");
    assert_eq!(last.message, reading(2));

    assert!(consumer.committed().await.expect("committed offsets").is_empty(), "nothing committed behind the application's back");
    consumer.commit(&first.position).await.expect("commit");
    let committed = consumer.committed().await.expect("committed offsets");
    assert_eq!(committed.get(&first.position.partition), Some(&(first.position.offset + 1)));
    drop(consumer);

    // The same group resumes after its commit: the undecodable record comes first.
    let resumed = TopicConsumer::<Reading>::assign(&config, "group-a", StartFrom::Earliest).expect("consumer");
    let next = loop {
        match tokio::time::timeout(Duration::from_secs(20), resumed.recv()).await.expect("a record in time") {
            Err(ConsumeError::Kafka(e)) => eprintln!("consumer error while waiting: {e}"),
            item => break item,
        }
    };
    assert!(matches!(next, Err(ConsumeError::Decode(ref e)) if e.position.offset == first.position.offset + 1), "{next:?}");
}
