//! The Kafka side of `test`: reads every topic of the documents without joining a group or
//! committing, and checks each record's value (with `conform`'s engine; Avro values decoded with
//! their writer schemas first), key (the binding's `x-key-field` or key schema) and headers (the
//! message's headers schema). Failures name the record's topic, partition and offset.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use asyncapi_runtime::avro::{decode_any, AvroSchema};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers as _, Message as _};
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;
use serde_json::Value;

use super::Problem;
use crate::conform::Checker;
use crate::ir::IrDocument;
use crate::load::SourceSet;

/// What was read from one topic.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TopicOutcome {
    /// The topic's name.
    pub topic: String,
    /// Records read.
    pub records: usize,
    /// Records whose value, key and headers all conformed.
    pub conforming: usize,
    /// Records per identified message (`module:message`).
    pub messages: BTreeMap<String, usize>,
    /// Each failure, its subject the record's position (`topic[partition]@offset`).
    pub problems: Vec<Problem>,
}

/// Where `test --brokers` reads.
#[derive(Debug, Clone)]
pub struct KafkaTestOptions {
    /// Bootstrap servers.
    pub brokers: String,
    /// From the oldest record (else only records produced from now on).
    pub earliest: bool,
    /// How long to read.
    pub duration: Duration,
    /// Stop after this many records per topic.
    pub max: Option<usize>,
    /// librdkafka properties for the consumer (TLS, SASL, timeouts), KEY=VALUE.
    pub properties: Vec<(String, String)>,
}

/// A record as read.
struct Record {
    position: String,
    key: Option<Vec<u8>>,
    headers: Vec<(String, Vec<u8>)>,
    payload: Option<Vec<u8>>,
}

/// The Avro writer schemas of a topic's messages, when it is an Avro topic.
fn avro_schemas(doc: &IrDocument, topic: &crate::ir::kafka::KafkaTopic) -> Vec<&'static AvroSchema> {
    topic.avro.iter().filter_map(|(mi, location)| crate::mock::kafka::avro_schema(doc, *mi, *location)).collect()
}

async fn read(options: &KafkaTestOptions, topic: &str) -> Result<Vec<Record>, String> {
    let group = format!("asyncapi-codegen-test-{}", std::process::id());
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &options.brokers).set("group.id", &group).set("enable.auto.commit", "false").set("enable.auto.offset.store", "false");
    for (key, value) in &options.properties {
        config.set(key, value);
    }
    let consumer: StreamConsumer = config.create().map_err(|e| e.to_string())?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).map_err(|e| format!("topic `{topic}`: {e}"))?;
    let partitions: Vec<i32> = metadata.topics().iter().filter(|t| t.name() == topic).flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
    if partitions.is_empty() {
        return Err(format!("topic `{topic}` does not exist"));
    }
    let mut list = TopicPartitionList::new();
    for p in partitions {
        list.add_partition_offset(topic, p, if options.earliest { Offset::Beginning } else { Offset::End }).map_err(|e| e.to_string())?;
    }
    consumer.assign(&list).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + options.duration;
    let mut out = Vec::new();
    while options.max.is_none_or(|max| out.len() < max) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(left, consumer.recv()).await {
            Ok(Ok(record)) => out.push(Record {
                position: format!("{}[{}]@{}", record.topic(), record.partition(), record.offset()),
                key: record.key().map(<[u8]>::to_vec),
                headers: record
                    .headers()
                    .map(|h| h.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec).unwrap_or_default())).collect())
                    .unwrap_or_default(),
                payload: record.payload().map(<[u8]>::to_vec),
            }),
            Ok(Err(e)) => return Err(format!("topic `{topic}`: {e}")),
            Err(_) => break,
        }
    }
    Ok(out)
}

/// Headers as JSON: each value as JSON text when it parses, else as a string.
fn headers_json(headers: &[(String, Vec<u8>)]) -> Value {
    let mut map = serde_json::Map::new();
    for (name, bytes) in headers {
        let text = String::from_utf8_lossy(bytes).into_owned();
        map.insert(name.clone(), serde_json::from_str(&text).unwrap_or(Value::String(text)));
    }
    Value::Object(map)
}

/// Headers that fit `validator` either read as JSON or all as strings.
fn headers_fit(validator: &jsonschema::Validator, headers: &[(String, Vec<u8>)]) -> Result<(), String> {
    let parsed = headers_json(headers);
    if validator.is_valid(&parsed) {
        return Ok(());
    }
    let strings: serde_json::Map<String, Value> = headers.iter().map(|(n, b)| (n.clone(), Value::String(String::from_utf8_lossy(b).into_owned()))).collect();
    if validator.is_valid(&Value::Object(strings)) {
        return Ok(());
    }
    let why = validator.iter_errors(&parsed).next().map(|e| format!("{e} at `{}`", e.instance_path())).unwrap_or_default();
    Err(why)
}

/// Reads and checks every topic of `docs`.
pub async fn exercise(set: &SourceSet, docs: &[IrDocument], checker: &Checker, options: &KafkaTestOptions) -> Result<Vec<TopicOutcome>, String> {
    let mut out = Vec::new();
    for doc in docs {
        for topic in &doc.kafka {
            let records = read(options, &topic.name).await?;
            let schemas = avro_schemas(doc, topic);
            let mut outcome = TopicOutcome { topic: topic.name.clone(), records: records.len(), ..TopicOutcome::default() };
            for (n, record) in records.iter().enumerate() {
                let fail = |detail: String| Problem { subject: record.position.clone(), detail };
                let Some(payload) = &record.payload else {
                    outcome.problems.push(fail(String::from("a record without a value (tombstone)")));
                    continue;
                };
                let value = if schemas.is_empty() {
                    serde_json::from_slice::<Value>(payload).map_err(|e| format!("[invalid-json] the value is not JSON: {e}"))
                } else {
                    decode_any(&schemas, &|_| None, payload, &record.headers).map(|(_, v)| v).map_err(|e| format!("[invalid-avro] {e}"))
                };
                let value = match value {
                    Ok(v) => v,
                    Err(detail) => {
                        outcome.problems.push(fail(format!("{detail}; raw bytes: {}", String::from_utf8_lossy(payload))));
                        continue;
                    }
                };
                let label = match checker.check(n + 1, &topic.name, &value) {
                    Ok(label) => label,
                    Err((label, failures)) => {
                        for f in failures {
                            let message = label.clone().unwrap_or_else(|| String::from("(unidentified)"));
                            let path = if f.path.is_empty() { "/" } else { &f.path };
                            outcome.problems.push(fail(format!("{message} {path} [{}] {}", f.reason, f.detail)));
                        }
                        continue;
                    }
                };
                *outcome.messages.entry(label.clone()).or_default() += 1;
                let Some(m) = doc.messages.iter().find(|m| format!("{}:{}", doc.module, m.key) == label) else { continue };
                let mut ok = true;
                if let Some(key) = &m.kafka_key {
                    let given = record.key.as_deref().map(|k| String::from_utf8_lossy(k).into_owned());
                    if let Some(Ok(field)) = key.field() {
                        let expected = value.get(field).and_then(asyncapi_runtime::kafka::key_text);
                        if given != expected {
                            ok = false;
                            outcome.problems.push(fail(format!("{label} key [key-mismatch] the key is {given:?}, the record's `{field}` says {expected:?}")));
                        }
                    } else if let Some(given) = given {
                        let as_json = serde_json::from_str(&given).unwrap_or(Value::String(given.clone()));
                        let fits = jsonschema::draft7::new(&key.schema).map(|v| v.is_valid(&Value::String(given.clone())) || v.is_valid(&as_json)).unwrap_or(true);
                        if !fits {
                            ok = false;
                            outcome.problems.push(fail(format!("{label} key [key-schema] the key {given:?} does not fit the key schema")));
                        }
                    }
                }
                if let Some(headers) = &m.headers_schema {
                    let schema = crate::bundle::bundle(set, headers);
                    if let Ok(validator) = jsonschema::draft7::new(&schema) {
                        let own: Vec<(String, Vec<u8>)> = record.headers.iter().filter(|(n, _)| n != asyncapi_runtime::avro::ID_HEADER).cloned().collect();
                        if let Err(why) = headers_fit(&validator, &own) {
                            ok = false;
                            outcome.problems.push(fail(format!("{label} headers [headers-schema] {why}")));
                        }
                    }
                }
                if ok {
                    outcome.conforming += 1;
                }
            }
            out.push(outcome);
        }
    }
    Ok(out)
}
