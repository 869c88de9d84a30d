//! The mock's Kafka side (`mock --brokers`): creates every Kafka topic of the documents from its
//! bindings and produces each message the documents send (examples, else values made from the
//! schema and checked), with keys and headers as the bindings say, at a rate, for a count or a
//! duration. Avro topics are written as binary Avro with their schema-id frame.

use std::time::{Duration, Instant};

use asyncapi_runtime::avro::{AvroSchema, SchemaIdLocation};
use asyncapi_runtime::kafka::{ensure_topics, KafkaConfig, Producer, RawRecord, TopicOverrides, TopicSpec};
use serde_json::Value;

use super::plan::message_values;
use super::server::Events;
use crate::diag::Diagnostic;
use crate::ir::kafka::{HeaderMode, KeySource, SchemaIdLocation as IdLocation};
use crate::ir::IrDocument;
use crate::load::SourceSet;

/// One record the mock can produce, encoded but for its schema id.
struct Template {
    topic: String,
    message: String,
    key: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    value: Value,
    avro: Option<&'static AvroSchema>,
}

/// How the mock produces.
#[derive(Debug, Clone)]
pub struct KafkaMockOptions {
    /// Bootstrap servers.
    pub brokers: String,
    /// Records per second over all topics.
    pub rate: f64,
    /// Stop after this many records (default: each value of each message once).
    pub count: Option<usize>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Registry ids of Avro writer schemas, by name.
    pub schema_ids: Vec<(String, u32)>,
    /// Seed of the values made from schemas.
    pub seed: u64,
    /// librdkafka properties for every client (TLS, SASL, timeouts), KEY=VALUE.
    pub properties: Vec<(String, String)>,
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The runtime's Avro codec for message `mi` of `doc`, framed as `location` says; it lives as long
/// as the process (a command runs once).
pub(crate) fn avro_schema(doc: &IrDocument, mi: usize, location: IdLocation) -> Option<&'static AvroSchema> {
    let m = &doc.messages[mi];
    let (name, writer) = m.avro_writer.clone()?;
    let location = match location {
        IdLocation::None => SchemaIdLocation::None,
        IdLocation::Payload => SchemaIdLocation::Payload,
        IdLocation::PayloadLong => SchemaIdLocation::PayloadLong,
        IdLocation::Header => SchemaIdLocation::Header,
    };
    Some(Box::leak(Box::new(AvroSchema::new(leak(name.unwrap_or_else(|| m.key.clone())), leak(writer.to_string()), location))))
}

/// Header values as the generated producers write them: strings raw, other values as JSON.
fn header_bytes(headers: &Value) -> Vec<(String, Vec<u8>)> {
    let Value::Object(map) = headers else { return Vec::new() };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(name, v)| (name.clone(), match v {
            Value::String(s) => s.clone().into_bytes(),
            other => other.to_string().into_bytes(),
        }))
        .collect()
}

/// The topics to create and the records to cycle through.
fn templates(set: &SourceSet, docs: &[IrDocument], seed: u64, warnings: &mut Vec<Diagnostic>) -> (Vec<TopicSpec>, Vec<Template>) {
    let mut specs = Vec::new();
    let mut out = Vec::new();
    for doc in docs {
        for topic in &doc.kafka {
            specs.push(TopicSpec {
                name: leak(topic.name.clone()),
                partitions: topic.partitions,
                replicas: topic.replicas,
                config: Box::leak(topic.config.iter().map(|(k, v)| (leak(k.clone()), leak(v.clone()))).collect::<Vec<_>>().into_boxed_slice()),
            });
            for (mi, key) in &topic.produced {
                let m = &doc.messages[*mi];
                let values = message_values(set, doc, *mi, seed);
                if values.is_empty() {
                    warnings.push(set.diag(crate::diag::Code::Unsupported, &m.loc, format!("message `{}` has no example and no value could be made from its schema: it is never produced", m.key)).warning());
                }
                let avro = topic.avro.get(mi).and_then(|location| avro_schema(doc, *mi, *location));
                let headers: Vec<Value> = m.examples.iter().filter(|e| e.headers_mismatch.is_none()).filter_map(|e| e.headers.clone()).collect();
                for (i, value) in values.into_iter().enumerate() {
                    let key_text = match key {
                        KeySource::None => None,
                        KeySource::Field { wire, .. } => value.get(wire).and_then(asyncapi_runtime::kafka::key_text),
                        KeySource::Const(k) => Some(k.clone()),
                        KeySource::Explicit => Some(format!("mock-{}", i + 1)),
                    };
                    let headers = match m.kafka_headers {
                        HeaderMode::None => Vec::new(),
                        _ => headers.get(i % headers.len().max(1)).map(header_bytes).unwrap_or_default(),
                    };
                    out.push(Template { topic: topic.name.clone(), message: m.key.clone(), key: key_text, headers, value, avro });
                }
            }
        }
    }
    (specs, out)
}

/// Creates the topics and produces. Returns how many records were delivered, and a line per
/// record that was not.
pub async fn produce(set: &SourceSet, docs: &[IrDocument], options: &KafkaMockOptions, events: &Events) -> Result<(usize, Vec<String>), String> {
    let mut warnings = Vec::new();
    let (specs, records) = templates(set, docs, options.seed, &mut warnings);
    for w in &warnings {
        events.say(w.to_string());
    }
    if specs.is_empty() {
        return Ok((0, Vec::new()));
    }
    let mut config = KafkaConfig::new(options.brokers.clone());
    for (name, id) in &options.schema_ids {
        config = config.schema_id(name.clone(), *id);
    }
    for (key, value) in &options.properties {
        config = config.set(key.clone(), value.clone());
    }
    for status in ensure_topics(&config, &specs, TopicOverrides::default()).await.map_err(|e| e.to_string())? {
        events.say(format!("kafka: {status:?}"));
    }
    if records.is_empty() {
        return Ok((0, Vec::new()));
    }
    let producer = Producer::new(&config).map_err(|e| e.to_string())?;
    let count = options.count.unwrap_or(if options.duration.is_some() { usize::MAX } else { records.len() });
    let started = Instant::now();
    let pause = Duration::from_secs_f64(1.0 / options.rate.max(0.001));
    let (mut delivered, mut failures) = (0, Vec::new());
    for n in 0..count {
        if options.duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        let t = &records[n % records.len()];
        let mut headers = t.headers.clone();
        let payload = match t.avro {
            Some(schema) => match schema.encode(&t.value, producer.schema_ids().get(schema.name()).copied()) {
                Ok((payload, id_headers)) => {
                    headers.extend(id_headers);
                    payload
                }
                Err(e) => {
                    failures.push(format!("`{}` to `{}`: {e}", t.message, t.topic));
                    continue;
                }
            },
            None => t.value.to_string().into_bytes(),
        };
        let raw = RawRecord { topic: t.topic.clone(), key: t.key.clone().map(String::into_bytes), headers, payload };
        match producer.send_raw(raw).await {
            Ok(d) => {
                delivered += 1;
                events.say(format!("kafka: produced `{}` at {}", t.message, d.position));
            }
            Err(e) => failures.push(format!("`{}` to `{}`: {}", t.message, t.topic, e.failure)),
        }
        tokio::time::sleep(pause).await;
    }
    Ok((delivered, failures))
}
