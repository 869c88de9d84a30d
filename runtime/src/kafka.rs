//! Kafka runtime shared by the generated producers and consumers, built on rdkafka.
//!
//! Spec-specific code (topics, keys, typed sends, consumer aliases) is generated per document
//! and calls into this.
//!
//! - [`Producer`]: idempotent, `acks=all`; a send completes when the broker confirms delivery, and
//!   a failure gives the record back ([`SendError::record`]).
//! - [`TopicConsumer`]: a typed stream over one topic. A record that does not decode comes out as
//!   [`ConsumeError::Decode`] with its position and raw bytes, and the stream goes on. Offsets are
//!   committed only through [`TopicConsumer::commit`] (at-least-once).
//! - [`ensure_topics`]: creates topics from the channel bindings.
//!
//! ```no_run
//! use asyncapi_runtime::kafka::{KafkaConfig, KafkaMessage, Producer, StartFrom, TopicConsumer, TopicMessage};
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize)]
//! struct Reading {
//!     sensor: String,
//!     celsius: f64,
//! }
//!
//! impl KafkaMessage for Reading {
//!     fn topic(&self) -> &'static str {
//!         "readings"
//!     }
//!     fn key(&self) -> Option<String> {
//!         Some(self.sensor.clone())
//!     }
//! }
//!
//! impl TopicMessage for Reading {
//!     const TOPIC: &'static str = "readings";
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = KafkaConfig::new("127.0.0.1:9092");
//! let producer = Producer::new(&config)?;
//! let delivered = producer.send(Reading { sensor: "s1".into(), celsius: 21.5 }).await?;
//! println!("written at {}", delivered.position);
//!
//! let consumer = TopicConsumer::<Reading>::subscribe(&config, "thermostat", StartFrom::Earliest)?;
//! loop {
//!     match consumer.recv().await {
//!         Ok(received) => {
//!             println!("{}: {}", received.message.sensor, received.message.celsius);
//!             consumer.commit(&received.position).await?;
//!         }
//!         Err(error) => eprintln!("{error}"),
//!     }
//! }
//! # }
//! ```
// A failed send returns the whole record by value, next to rdkafka's (large) error.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers as _, Message as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::{Offset, TopicPartitionList};

/// An error from librdkafka: the client or the broker.
pub use rdkafka::error::KafkaError as Error;
/// A broker or client error code.
pub use rdkafka::error::RDKafkaErrorCode as ErrorCode;

/// Connection settings shared by producers, consumers and the admin client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// Extra librdkafka properties, applied last (they override the defaults).
    pub properties: BTreeMap<String, String>,
    /// Schema-registry ids of Avro writer schemas, by the schema's name (its Avro full name):
    /// producers write them into records, consumers use them to tell a topic's schemas apart.
    pub schema_ids: BTreeMap<String, u32>,
}

impl KafkaConfig {
    /// Settings for the brokers `host:port[,host:port...]`.
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            properties: BTreeMap::new(),
            schema_ids: BTreeMap::new(),
        }
    }

    /// Sets the registry id of the Avro writer schema `name` (its Avro full name, such as
    /// `com.shop.OrderPlaced`), for records whose binding carries a schema id.
    pub fn schema_id(mut self, name: impl Into<String>, id: u32) -> Self {
        self.schema_ids.insert(name.into(), id);
        self
    }

    /// Sets one librdkafka property, such as `message.timeout.ms` or `security.protocol`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    fn client_config(&self, defaults: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        for (key, value) in defaults {
            config.set(*key, *value);
        }
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }
}

/// A topic as the channel bindings describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicSpec {
    /// The topic name.
    pub name: &'static str,
    /// `partitions` binding; `None` lets the broker choose.
    pub partitions: Option<i32>,
    /// `replicas` binding; `None` lets the broker choose.
    pub replicas: Option<i32>,
    /// `topicConfiguration` binding, as Kafka topic properties.
    pub config: &'static [(&'static str, &'static str)],
}

/// What [`ensure_topics`] did with one topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopicStatus {
    /// The topic was created.
    Created(String),
    /// The topic existed already and was left as it is.
    AlreadyExisted(String),
}

/// Overrides for [`ensure_topics`], for clusters smaller than the bindings assume.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TopicOverrides {
    /// Partitions of every topic, instead of the bindings' figure.
    pub partitions: Option<i32>,
    /// Replicas of every topic, instead of the bindings' figure.
    pub replicas: Option<i32>,
}

/// A topic that could not be created.
#[derive(Debug, thiserror::Error)]
#[error("cannot create {}: {error}", topic.as_ref().map_or_else(|| String::from("topics"), |t| format!("topic `{t}`")))]
pub struct AdminError {
    /// The topic, when the error concerns one.
    pub topic: Option<String>,
    /// What the client or the broker said.
    #[source]
    pub error: KafkaError,
}

/// Creates the topics that do not exist yet; existing topics are left as they are.
pub async fn ensure_topics(
    config: &KafkaConfig,
    topics: &[TopicSpec],
    overrides: TopicOverrides,
) -> Result<Vec<TopicStatus>, AdminError> {
    let admin: AdminClient<DefaultClientContext> = config
        .client_config(&[])
        .create()
        .map_err(|error| AdminError { topic: None, error })?;
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            let partitions = overrides.partitions.or(t.partitions).unwrap_or(-1);
            let replicas = overrides.replicas.or(t.replicas).unwrap_or(-1);
            let mut topic = NewTopic::new(t.name, partitions, TopicReplication::Fixed(replicas));
            for (key, value) in t.config {
                topic = topic.set(key, value);
            }
            topic
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics(&new, &options)
        .await
        .map_err(|error| AdminError { topic: None, error })?;
    results
        .into_iter()
        .map(|r| match r {
            Ok(name) => Ok(TopicStatus::Created(name)),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                Ok(TopicStatus::AlreadyExisted(name))
            }
            Err((name, code)) => Err(AdminError {
                topic: Some(name),
                error: KafkaError::AdminOp(code),
            }),
        })
        .collect()
}

/// A key property's value as key text: strings as they are, other values as JSON, null as no key.
pub fn key_text<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value).ok()? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// Record headers: name and raw value, in wire order.
pub type Headers = Vec<(String, Vec<u8>)>;

/// A message type the generated code can publish.
pub trait KafkaMessage: serde::Serialize {
    /// The topic its channel stands for.
    fn topic(&self) -> &'static str;
    /// The record key, from the message's `key` binding (`x-key-field`); `None` for no key.
    fn key(&self) -> Option<String>;
}

/// What a consumer knows of a record besides its value.
#[derive(Clone, Copy, Debug)]
pub struct RecordContext<'a> {
    /// The record's headers, in wire order.
    pub headers: &'a [(String, Vec<u8>)],
    /// The consumer's configured schema ids ([`KafkaConfig::schema_ids`]).
    pub schema_ids: &'a BTreeMap<String, u32>,
}

impl RecordContext<'_> {
    /// The configured id of the schema `name`.
    pub fn schema_id(&self, name: &str) -> Option<u32> {
        self.schema_ids.get(name).copied()
    }
}

/// The union of every message type one topic carries.
pub trait TopicMessage: serde::de::DeserializeOwned {
    /// The topic's name.
    const TOPIC: &'static str;

    /// Decodes a JSON record value. Generated unions with a discriminator override it to read
    /// the discriminator first and decode straight into the matching variant.
    fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        super::serde_helpers::from_json_bytes(bytes)
    }

    /// Decodes a record value with its headers and the configured schema ids; consumers call
    /// this. JSON topics use [`decode`](Self::decode); Avro topics read the schema-id frame and
    /// the binary datum.
    fn decode_record(payload: &[u8], context: &RecordContext<'_>) -> Result<Self, String> {
        let _ = context;
        Self::decode(payload).map_err(|e| e.to_string())
    }
}

/// Headers typed by a message's `headers` schema.
pub trait KafkaHeaders: serde::Serialize + serde::de::DeserializeOwned {
    /// Header names whose values are strings, sent as raw UTF-8; the others are sent as JSON text.
    const STRING_HEADERS: &'static [&'static str];

    /// Encodes as Kafka headers. Fails only for values JSON cannot represent (such as NaN).
    fn to_kafka(&self) -> Result<Headers, serde_json::Error> {
        let value = serde_json::to_value(self)?;
        let mut out = Headers::new();
        if let serde_json::Value::Object(map) = value {
            for (name, value) in map {
                let bytes = match value {
                    serde_json::Value::String(s) => s.into_bytes(),
                    serde_json::Value::Null => continue,
                    other => serde_json::to_vec(&other)?,
                };
                out.push((name, bytes));
            }
        }
        Ok(out)
    }

    /// Decodes Kafka headers; a header that appears twice keeps its last value.
    fn from_kafka(headers: &[(String, Vec<u8>)]) -> Result<Self, String> {
        let mut map = serde_json::Map::new();
        for (name, bytes) in headers {
            let text =
                std::str::from_utf8(bytes).map_err(|_| format!("header `{name}` is not UTF-8"))?;
            let value = if Self::STRING_HEADERS.contains(&name.as_str()) {
                serde_json::Value::String(text.to_string())
            } else {
                serde_json::from_str(text)
                    .unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
            };
            map.insert(name.clone(), value);
        }
        serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| e.to_string())
    }
}

/// A record ready to send: topic, key, headers and the encoded value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    /// The topic.
    pub topic: String,
    /// The key bytes; `None` for no key.
    pub key: Option<Vec<u8>>,
    /// The headers, in wire order.
    pub headers: Headers,
    /// The encoded value.
    pub payload: Vec<u8>,
}

impl RawRecord {
    /// `value` encoded as JSON, for `topic`.
    pub fn json<T: serde::Serialize + ?Sized>(
        value: &T,
        topic: &str,
        key: Option<String>,
        headers: Headers,
    ) -> Result<Self, serde_json::Error> {
        Ok(RawRecord {
            topic: topic.to_string(),
            key: key.map(String::into_bytes),
            headers,
            payload: serde_json::to_vec(value)?,
        })
    }
}

/// Where a record sits in the log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The record's offset in its partition.
    pub offset: i64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]@{}", self.topic, self.partition, self.offset)
    }
}

/// A confirmed delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// Where the broker wrote the record.
    pub position: Position,
}

impl Delivered {
    /// Delivered to `topic` at `(partition, offset)`.
    fn at(topic: &str, (partition, offset): (i32, i64)) -> Self {
        Delivered {
            position: Position {
                topic: topic.to_string(),
                partition,
                offset,
            },
        }
    }
}

/// Why a record was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendFailure {
    /// The value or headers could not be encoded as JSON.
    #[error("cannot encode the record: {0}")]
    Encode(#[source] serde_json::Error),
    /// The value does not fit its Avro writer schema, or its schema id is not configured.
    #[cfg(feature = "avro")]
    #[error("cannot encode the record: {0}")]
    Avro(#[source] super::avro::AvroError),
    /// The client or the broker refused or lost the record (queue full, timeout, broker error...).
    #[error("{0}")]
    Kafka(#[source] KafkaError),
}

/// A record that was not delivered, given back with the reason.
#[derive(Debug)]
pub struct SendError<R> {
    /// The record, to retry or to park.
    pub record: R,
    /// Why it was not delivered.
    pub failure: SendFailure,
}

impl<R> SendError<R> {
    /// The broker's error code, when the broker or client reported one.
    pub fn code(&self) -> Option<RDKafkaErrorCode> {
        match &self.failure {
            SendFailure::Kafka(e) => e.rdkafka_error_code(),
            _ => None,
        }
    }
}

impl<R> fmt::Display for SendError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record not delivered: {}", self.failure)
    }
}

impl<R: fmt::Debug> std::error::Error for SendError<R> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.failure)
    }
}

/// Producer defaults: idempotent with `acks=all`, so a confirmed record is written once, in order.
pub const PRODUCER_DEFAULTS: &[(&str, &str)] = &[("enable.idempotence", "true"), ("acks", "all")];

/// An idempotent producer. Every send completes when the broker confirms delivery, or fails with
/// the record.
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer,
    schema_ids: Arc<BTreeMap<String, u32>>,
}

impl fmt::Debug for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer").finish_non_exhaustive()
    }
}

fn owned_headers(headers: &[(String, Vec<u8>)]) -> Option<OwnedHeaders> {
    if headers.is_empty() {
        return None;
    }
    let mut out = OwnedHeaders::new_with_capacity(headers.len());
    for (name, value) in headers {
        out = out.insert(Header {
            key: name,
            value: Some(value),
        });
    }
    Some(out)
}

/// Records handed to librdkafka and not yet settled, oldest first, and the outcomes of those
/// settled, in the order they were queued.
struct InFlight {
    pending: VecDeque<Delivery>,
    settled: Vec<Result<(i32, i64), KafkaError>>,
}

/// One record handed to librdkafka: its delivery to wait for, or why it was refused.
enum Delivery {
    Queued(rdkafka::producer::future_producer::DeliveryFuture),
    Refused(KafkaError),
}

impl Delivery {
    async fn outcome(self) -> Result<(i32, i64), KafkaError> {
        match self {
            Delivery::Queued(delivery) => match delivery.await {
                Ok(Ok(d)) => Ok((d.partition, d.offset)),
                Ok(Err((error, _))) => Err(error),
                Err(_cancelled) => Err(KafkaError::Canceled),
            },
            Delivery::Refused(error) => Err(error),
        }
    }
}

impl InFlight {
    fn with_capacity(records: usize) -> Self {
        InFlight {
            pending: VecDeque::with_capacity(records),
            settled: Vec::with_capacity(records),
        }
    }

    /// Hands one record to librdkafka; while its queue is full, waits for the oldest record in
    /// flight first.
    async fn queue(&mut self, producer: &FutureProducer, raw: &RawRecord) {
        let headers = owned_headers(&raw.headers);
        loop {
            match producer.send_result(future_record(raw, headers.as_ref())) {
                Ok(delivery) => {
                    self.pending.push_back(Delivery::Queued(delivery));
                    return;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    match self.pending.pop_front() {
                        Some(oldest) => self.settled.push(oldest.outcome().await),
                        None => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
                Err((error, _)) => {
                    self.pending.push_back(Delivery::Refused(error));
                    return;
                }
            }
        }
    }

    /// Waits for every record in flight; the outcomes of all records queued, in order.
    async fn settle(mut self) -> Vec<Result<(i32, i64), KafkaError>> {
        for pending in self.pending {
            self.settled.push(pending.outcome().await);
        }
        self.settled
    }
}

fn future_record<'a>(
    raw: &'a RawRecord,
    headers: Option<&OwnedHeaders>,
) -> FutureRecord<'a, [u8], [u8]> {
    let mut record = FutureRecord::to(&raw.topic).payload(raw.payload.as_slice());
    if let Some(key) = &raw.key {
        record = record.key(key.as_slice());
    }
    if let Some(headers) = headers {
        record = record.headers(headers.clone());
    }
    record
}

impl Producer {
    /// Creates a producer with [`PRODUCER_DEFAULTS`]; `config.properties` can override them.
    pub fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        Ok(Self {
            inner: config.client_config(PRODUCER_DEFAULTS).create()?,
            schema_ids: Arc::new(config.schema_ids.clone()),
        })
    }

    /// The schema ids it writes into Avro records ([`KafkaConfig::schema_ids`]).
    pub fn schema_ids(&self) -> &BTreeMap<String, u32> {
        &self.schema_ids
    }

    /// Encodes a message as its topic, key and JSON value.
    pub fn encode<M: KafkaMessage>(
        message: &M,
        headers: Headers,
    ) -> Result<RawRecord, serde_json::Error> {
        RawRecord::json(message, message.topic(), message.key(), headers)
    }

    /// Sends one message and waits for the broker's confirmation.
    pub async fn send<M: KafkaMessage>(&self, message: M) -> Result<Delivered, SendError<M>> {
        self.send_with_headers(message, Headers::new()).await
    }

    /// Sends one message with headers and waits for the broker's confirmation.
    pub async fn send_with_headers<M: KafkaMessage>(
        &self,
        message: M,
        headers: Headers,
    ) -> Result<Delivered, SendError<M>> {
        let (topic, key) = (message.topic(), message.key());
        self.send_value(message, topic, key, headers).await
    }

    /// Encodes `record` as JSON and sends it to `topic` with `key` and `headers`; the typed sends
    /// call this.
    pub async fn send_value<T: serde::Serialize>(
        &self,
        record: T,
        topic: &str,
        key: Option<String>,
        headers: Headers,
    ) -> Result<Delivered, SendError<T>> {
        match RawRecord::json(&record, topic, key, headers) {
            Ok(raw) => self.send_raw(raw).await.map_err(|e| SendError {
                record,
                failure: e.failure,
            }),
            Err(e) => Err(SendError {
                record,
                failure: SendFailure::Encode(e),
            }),
        }
    }

    /// Encodes `record` as a binary Avro datum of `schema`, framed with its configured schema id
    /// as the schema says, and sends it to `topic` with `key` and `headers`; the typed sends of
    /// Avro messages call this.
    #[cfg(feature = "avro")]
    pub async fn send_avro<T: serde::Serialize>(
        &self,
        record: T,
        schema: &super::avro::AvroSchema,
        topic: &str,
        key: Option<String>,
        mut headers: Headers,
    ) -> Result<Delivered, SendError<T>> {
        let value = match serde_json::to_value(&record) {
            Ok(value) => value,
            Err(e) => {
                return Err(SendError {
                    record,
                    failure: SendFailure::Encode(e),
                })
            }
        };
        let id = self.schema_ids.get(schema.name()).copied();
        let (payload, id_headers) = match schema.encode(&value, id) {
            Ok(encoded) => encoded,
            Err(e) => {
                return Err(SendError {
                    record,
                    failure: SendFailure::Avro(e),
                })
            }
        };
        headers.extend(id_headers);
        let raw = RawRecord {
            topic: topic.to_string(),
            key: key.map(String::into_bytes),
            headers,
            payload,
        };
        self.send_raw(raw).await.map_err(|e| SendError {
            record,
            failure: e.failure,
        })
    }

    /// Sends already encoded bytes and waits for the broker's confirmation.
    pub async fn send_raw(&self, raw: RawRecord) -> Result<Delivered, SendError<RawRecord>> {
        self.send_raw_batch(vec![raw])
            .await
            .pop()
            .expect("one result per record")
    }

    /// Sends many messages, pipelined, and reports the fate of each, in input order. Each
    /// message is encoded just before it is handed to librdkafka, so encoding overlaps with
    /// the sending of the records before it.
    pub async fn send_batch<M: KafkaMessage>(
        &self,
        messages: Vec<M>,
    ) -> Vec<Result<Delivered, SendError<M>>> {
        let mut flight = InFlight::with_capacity(messages.len());
        let mut failed = Vec::new();
        // By index, so no borrow of a message is held across an await (`M` need not be `Sync`).
        #[allow(clippy::needless_range_loop)]
        for i in 0..messages.len() {
            let encoded = Self::encode(&messages[i], Headers::new());
            match encoded {
                Ok(raw) => flight.queue(&self.inner, &raw).await,
                Err(e) => failed.push((i, SendFailure::Encode(e))),
            }
        }
        let mut outcomes = flight.settle().await.into_iter();
        let mut failed = failed.into_iter().peekable();
        let mut out = Vec::with_capacity(messages.len());
        for (i, message) in messages.into_iter().enumerate() {
            if failed.peek().is_some_and(|(j, _)| *j == i) {
                let (_, failure) = failed.next().expect("peeked");
                out.push(Err(SendError {
                    record: message,
                    failure,
                }));
                continue;
            }
            out.push(
                match outcomes.next().expect("one outcome per encoded record") {
                    Ok(at) => Ok(Delivered::at(message.topic(), at)),
                    Err(error) => Err(SendError {
                        record: message,
                        failure: SendFailure::Kafka(error),
                    }),
                },
            );
        }
        out
    }

    /// Sends many encoded records, pipelined, and reports the fate of each, in input order.
    pub async fn send_raw_batch(
        &self,
        records: Vec<RawRecord>,
    ) -> Vec<Result<Delivered, SendError<RawRecord>>> {
        let mut flight = InFlight::with_capacity(records.len());
        for raw in &records {
            flight.queue(&self.inner, raw).await;
        }
        records
            .into_iter()
            .zip(flight.settle().await)
            .map(|(raw, outcome)| match outcome {
                Ok(at) => Ok(Delivered::at(&raw.topic, at)),
                Err(error) => Err(SendError {
                    record: raw,
                    failure: SendFailure::Kafka(error),
                }),
            })
            .collect()
    }

    /// Waits until every queued record is delivered or has failed.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.inner.flush(timeout)
    }
}

/// Where a consumer starts reading a partition that has no committed offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// The oldest retained record.
    #[default]
    Earliest,
    /// Only records produced from now on.
    Latest,
}

impl StartFrom {
    fn reset(self) -> &'static str {
        match self {
            StartFrom::Earliest => "earliest",
            StartFrom::Latest => "latest",
        }
    }
}

/// A decoded record with its place in the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Received<M> {
    /// The decoded value.
    pub message: M,
    /// Where the record sits in the log: pass it to [`TopicConsumer::commit`] once handled.
    pub position: Position,
    /// The key bytes; `None` for no key.
    pub key: Option<Vec<u8>>,
    /// The headers, in wire order.
    pub headers: Headers,
    /// Milliseconds since the epoch, when the record carries a timestamp.
    pub timestamp: Option<i64>,
}

impl<M> Received<M> {
    /// The key as text, when it is UTF-8.
    pub fn key_str(&self) -> Option<&str> {
        self.key
            .as_deref()
            .and_then(|k| std::str::from_utf8(k).ok())
    }
}

/// A record that does not decode into the topic's message types, kept whole so it can be
/// forwarded to a dead-letter topic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("undecodable record at {position}: {reason}")]
pub struct DecodeError {
    /// Where the record sits in the log.
    pub position: Position,
    /// The key bytes; `None` for no key.
    pub key: Option<Vec<u8>>,
    /// The raw value; `None` for a tombstone.
    pub payload: Option<Vec<u8>>,
    /// The headers, in wire order.
    pub headers: Headers,
    /// Why it does not decode.
    pub reason: String,
}

/// What a consumer can yield instead of a record.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// A record that is not one of the topic's messages. The stream goes on after it.
    #[error(transparent)]
    Decode(DecodeError),
    /// An error from the client or the broker.
    #[error("consumer error: {0}")]
    Kafka(#[source] KafkaError),
}

/// Consumer defaults: nothing is committed or stored behind the application's back.
pub const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
];

/// A typed consumer of one topic. Decoding dispatches on the topic union's discriminator.
///
/// It is a [`Stream`] of records (and of the errors that take a record's place); it never ends
/// by itself.
pub struct TopicConsumer<M> {
    inner: Arc<StreamConsumer>,
    schema_ids: Arc<BTreeMap<String, u32>>,
    next: Mutex<Option<Pending<M>>>,
}

/// The record a [`TopicConsumer`] polled as a stream is waiting for.
type Pending<M> = Pin<Box<dyn Future<Output = Result<Received<M>, ConsumeError>> + Send>>;

impl<M> fmt::Debug for TopicConsumer<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicConsumer").finish_non_exhaustive()
    }
}

impl<M: TopicMessage> TopicConsumer<M> {
    fn create(
        config: &KafkaConfig,
        group: &str,
        start: StartFrom,
    ) -> Result<StreamConsumer, KafkaError> {
        let mut defaults = CONSUMER_DEFAULTS.to_vec();
        defaults.push(("group.id", group));
        defaults.push(("auto.offset.reset", start.reset()));
        config.client_config(&defaults).create()
    }

    /// Joins consumer group `group` on the topic; the group shares out the partitions.
    pub fn subscribe(
        config: &KafkaConfig,
        group: &str,
        start: StartFrom,
    ) -> Result<Self, KafkaError> {
        let inner = Self::create(config, group, start)?;
        inner.subscribe(&[M::TOPIC])?;
        Ok(Self::wrap(inner, config))
    }

    /// Reads every partition of the topic without joining a group. Each partition resumes from
    /// `group`'s committed offset, or from `start` when there is none.
    pub fn assign(config: &KafkaConfig, group: &str, start: StartFrom) -> Result<Self, KafkaError> {
        let inner = Self::create(config, group, start)?;
        let metadata = inner.fetch_metadata(Some(M::TOPIC), Duration::from_secs(30))?;
        let topic = metadata.topics().iter().find(|t| t.name() == M::TOPIC);
        let partitions: Vec<i32> = topic
            .map(|t| t.partitions().iter().map(|p| p.id()).collect())
            .unwrap_or_default();
        if partitions.is_empty() {
            return Err(KafkaError::MetadataFetch(
                RDKafkaErrorCode::UnknownTopicOrPartition,
            ));
        }
        let mut list = TopicPartitionList::new();
        for p in partitions {
            list.add_partition_offset(M::TOPIC, p, Offset::Stored)?;
        }
        inner.assign(&list)?;
        Ok(Self::wrap(inner, config))
    }

    fn wrap(inner: StreamConsumer, config: &KafkaConfig) -> Self {
        Self {
            inner: Arc::new(inner),
            schema_ids: Arc::new(config.schema_ids.clone()),
            next: Mutex::new(None),
        }
    }

    /// The next record, decoded, or why there is none.
    pub async fn recv(&self) -> Result<Received<M>, ConsumeError> {
        receive(&self.inner, &self.schema_ids).await
    }

    /// Records as a stream borrowing the consumer; it never ends by itself.
    pub fn stream(&self) -> impl Stream<Item = Result<Received<M>, ConsumeError>> + '_ {
        futures_util::stream::unfold(self, |consumer| async move {
            Some((consumer.recv().await, consumer))
        })
    }

    /// Marks everything up to and including `position` as handled, and commits it. The commit
    /// runs on a blocking thread, so the async runtime keeps serving other tasks meanwhile.
    /// Call it after the record (or the decode error) has been dealt with.
    pub async fn commit(&self, position: &Position) -> Result<(), KafkaError> {
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(
            &position.topic,
            position.partition,
            Offset::Offset(position.offset + 1),
        )?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.commit(&list, CommitMode::Sync))
            .await
            .unwrap_or(Err(KafkaError::Canceled))
    }

    /// The committed offset of each partition of the topic (the next offset to read).
    pub async fn committed(&self) -> Result<BTreeMap<i32, i64>, KafkaError> {
        let inner = self.inner.clone();
        let list = tokio::task::spawn_blocking(move || inner.committed(Duration::from_secs(30)))
            .await
            .unwrap_or(Err(KafkaError::Canceled))?;
        Ok(list
            .elements()
            .iter()
            .filter(|e| e.topic() == M::TOPIC)
            .filter_map(|e| match e.offset() {
                Offset::Offset(o) => Some((e.partition(), o)),
                _ => None,
            })
            .collect())
    }
}

impl<M: TopicMessage + Send + 'static> Stream for TopicConsumer<M> {
    type Item = Result<Received<M>, ConsumeError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let next = this
            .next
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let inner = this.inner.clone();
        let ids = this.schema_ids.clone();
        let pending =
            next.get_or_insert_with(|| Box::pin(async move { receive(&inner, &ids).await }));
        let item = std::task::ready!(pending.as_mut().poll(cx));
        *next = None;
        Poll::Ready(Some(item))
    }
}

/// Reads and decodes one record.
async fn receive<M: TopicMessage>(
    consumer: &StreamConsumer,
    schema_ids: &BTreeMap<String, u32>,
) -> Result<Received<M>, ConsumeError> {
    let record = consumer.recv().await.map_err(ConsumeError::Kafka)?;
    let position = Position {
        topic: record.topic().to_string(),
        partition: record.partition(),
        offset: record.offset(),
    };
    let key = record.key().map(<[u8]>::to_vec);
    let headers: Headers = record
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| {
                    (
                        h.key.to_string(),
                        h.value.map(<[u8]>::to_vec).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let timestamp = record.timestamp().to_millis();
    let decoded = match record.payload() {
        None => Err(String::from("the record has no value (tombstone)")),
        Some(bytes) => M::decode_record(
            bytes,
            &RecordContext {
                headers: &headers,
                schema_ids,
            },
        ),
    };
    match decoded {
        Ok(message) => Ok(Received {
            message,
            position,
            key,
            headers,
            timestamp,
        }),
        Err(reason) => Err(ConsumeError::Decode(DecodeError {
            position,
            key,
            payload: record.payload().map(<[u8]>::to_vec),
            headers,
            reason,
        })),
    }
}
