//! Copied into the `avro-realistic-order-service` fixture crate by `scripts/fixture-crates.sh`:
//! the generated producer writes binary Avro in the Confluent frame to a real broker (Tansu), an
//! independent reader (Python `fastavro` with `confluent-kafka`, decoding the `.avsc` files of
//! the fixture) checks every field, and a record written by `fastavro` decodes with the generated
//! consumer. Needs `TANSU_BIN`, `TEST_PYTHON` and `ASYNCAPI_FIXTURES_DIR` (set by the script).
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fixture_avro_realistic_order_service::asyncapi::kafka::{
    ensure_topics_with, ConsumeError, KafkaConfig, Producer, ShopOrdersV2Consumer, StartFrom, TopicOverrides, ORDER_CANCELLED_AVRO,
    ORDER_PLACED_AVRO, ORDER_SHIPPED_AVRO,
};
use fixture_avro_realistic_order_service::asyncapi::*;
use serde_json::{json, Value};

const TOPIC: &str = "shop.orders.v2";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (scripts/fixture-crates.sh sets it)"))
}

/// A Tansu broker with memory storage on a free loopback port, killed on drop.
struct Broker {
    child: Child,
    port: u16,
}

impl Broker {
    fn start() -> Broker {
        let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
        let dir = std::env::temp_dir().join(format!("avro-broker-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("broker dir");
        let listener = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(env("TANSU_BIN"))
            .args(["broker", "--listener-url", &listener, "--advertised-listener-url", &listener, "--storage-engine", "memory://tansu/"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tansu does not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Broker { child, port }
    }

    fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the topic's records with `fastavro` from the Confluent frame (schema id → `.avsc`),
/// checks them against the expected `[id, key, value]` list, prints them, then writes one
/// `OrderShipped` record (id 102) and one record that is not Avro.
const PYTHON: &str = r#"
import datetime, io, json, struct, sys, time
import fastavro
from confluent_kafka import Consumer, Producer, TopicPartition

brokers, topic, avro_dir, expected = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
files = {101: "order-placed.avsc", 102: "order-shipped.avsc", 103: "order-cancelled.avsc"}
schemas = {i: fastavro.parse_schema(json.load(open(f"{avro_dir}/{f}"))) for i, f in files.items()}

def plain(value):
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value

consumer = Consumer({"bootstrap.servers": brokers, "group.id": "fastavro", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, 0, 0)])
got, deadline = [], time.time() + 60
while len(got) < len(expected) and time.time() < deadline:
    record = consumer.poll(1.0)
    if record is None:
        continue
    if record.error():
        sys.exit(f"consumer error: {record.error()}")
    value = record.value()
    if value[0] != 0:
        sys.exit(f"offset {record.offset()}: magic byte {value[0]}, not 0")
    (schema_id,) = struct.unpack(">I", value[1:5])
    if schema_id not in schemas:
        sys.exit(f"offset {record.offset()}: unknown schema id {schema_id}")
    body = io.BytesIO(value[5:])
    decoded = fastavro.schemaless_reader(body, schemas[schema_id])
    if body.read():
        sys.exit(f"offset {record.offset()}: bytes left after the datum")
    got.append([schema_id, record.key().decode(), plain(decoded)])
consumer.close()
if got != expected:
    sys.exit("fastavro read:\n" + json.dumps(got, indent=1) + "\nexpected:\n" + json.dumps(expected, indent=1))
print(json.dumps(got))

shipped = {"type": "SHIPPED", "orderId": "o-py", "carrier": "UPS", "trackingNumber": "1Z999",
           "estimatedDelivery": datetime.datetime(2024, 5, 3, 12, 0, tzinfo=datetime.timezone.utc)}
frame = io.BytesIO()
frame.write(b"\x00" + struct.pack(">I", 102))
fastavro.schemaless_writer(frame, schemas[102], shipped)
producer = Producer({"bootstrap.servers": brokers})
producer.produce(topic, key=b"o-py", value=frame.getvalue())
producer.produce(topic, key=b"o-json", value=b'{"orderId": "o-json"}')
if producer.flush(30) != 0:
    sys.exit("records not delivered")
"#;

fn examples() -> Vec<(u32, &'static str, Value)> {
    vec![
        (
            101,
            "o-1001",
            json!({
                "type": "PLACED", "orderId": "o-1001", "placedAt": 1_714_564_800_123_i64,
                "customer": {"id": "c-7", "email": "ada@example.com",
                             "shippingAddress": {"street": "Unter den Linden 1", "city": "Berlin", "postcode": "10117", "country": "DE"}},
                "items": [{"sku": "book-42", "quantity": 2, "unitPrice": {"units": 1999, "currency": "EUR"}}],
                "total": {"units": 3998, "currency": "EUR"}, "salesChannel": "APP", "couponCode": "SPRING"
            }),
        ),
        (
            102,
            "o-1001",
            json!({"type": "SHIPPED", "orderId": "o-1001", "carrier": "DHL", "trackingNumber": "JJD000390007", "estimatedDelivery": null}),
        ),
        (103, "o-1002", json!({"type": "CANCELLED", "orderId": "o-1002", "reason": "OUT_OF_STOCK", "note": "Restock expected next week"})),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_avro_in_the_confluent_frame_round_trips_with_fastavro_through_a_broker() {
    let broker = Broker::start();
    let config = KafkaConfig::new(broker.brokers())
        .schema_id(ORDER_PLACED_AVRO.name(), 101)
        .schema_id(ORDER_SHIPPED_AVRO.name(), 102)
        .schema_id(ORDER_CANCELLED_AVRO.name(), 103);
    ensure_topics_with(&config, TopicOverrides { partitions: Some(1), replicas: None }).await.expect("topic created");

    let producer = Producer::new(&config).expect("producer");
    let examples = examples();
    let placed: OrderPlaced = serde_json::from_value(examples[0].2.clone()).expect("placed");
    let shipped: OrderShipped = serde_json::from_value(examples[1].2.clone()).expect("shipped");
    let cancelled: OrderCancelled = serde_json::from_value(examples[2].2.clone()).expect("cancelled");
    producer.send_order_placed(placed, "o-1001").await.expect("placed sent");
    producer.send_order_shipped(shipped, "o-1001").await.expect("shipped sent");
    producer.send_order_cancelled(cancelled, "o-1002").await.expect("cancelled sent");

    // The independent reader checks every field of every record.
    let expected: Vec<Value> = examples.iter().map(|(id, key, value)| json!([id, key, value])).collect();
    let avro_dir = format!("{}/avro-realistic-order-service/avro", env("ASYNCAPI_FIXTURES_DIR"));
    let out = Command::new(env("TEST_PYTHON"))
        .args(["-c", PYTHON, &broker.brokers(), TOPIC, &avro_dir, &Value::Array(expected.clone()).to_string()])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "fastavro reader failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let read: Value = serde_json::from_slice(&out.stdout).expect("the reader prints JSON");
    assert_eq!(read, Value::Array(expected), "what fastavro read");

    // The generated consumer reads the three records, fastavro's, and surfaces the record that is
    // not Avro with its offset and raw bytes.
    let consumer = ShopOrdersV2Consumer::assign(&config, "avro-test", StartFrom::Earliest).expect("consumer");
    let mut messages = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let foreign = loop {
        assert!(Instant::now() < deadline, "records missing after 60 s; got {messages:?}");
        match tokio::time::timeout(Duration::from_secs(5), consumer.recv()).await {
            Ok(Ok(received)) => messages.push((received.position.offset, received.key_str().map(String::from), received.message)),
            Ok(Err(ConsumeError::Decode(e))) => break e,
            Ok(Err(e)) => panic!("consumer error: {e}"),
            Err(_) => continue,
        }
    };
    assert_eq!(messages.len(), 4, "{messages:?}");
    for ((_, key, message), (_, want_key, want)) in messages.iter().zip(examples.iter().cloned()) {
        assert_eq!(key.as_deref(), Some(want_key));
        assert_eq!(serde_json::to_value(message).expect("encodes"), want);
    }
    match &messages[3] {
        (3, Some(key), ShopOrdersV2Message::OrderShipped(shipped)) if key == "o-py" => {
            assert_eq!(shipped.order_id, "o-py");
            assert_eq!(shipped.carrier, Carrier::Ups);
            assert_eq!(shipped.tracking_number, "1Z999");
            assert_eq!(serde_json::to_value(shipped.estimated_delivery).expect("encodes"), json!(1_714_737_600_000_i64));
        }
        other => panic!("expected fastavro's OrderShipped at offset 3, got {other:?}"),
    }
    assert_eq!(foreign.position.offset, 4);
    assert_eq!(foreign.payload.as_deref(), Some(&br#"{"orderId": "o-json"}"#[..]));
    assert!(foreign.reason.contains("magic byte 0"), "{}", foreign.reason);
}
