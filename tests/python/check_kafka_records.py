"""Independent check of the CDR records on the wire, with confluent-kafka (librdkafka's Python client).

Reads every record of the CDR topics from the beginning, checks each against the spec it reads
itself (asyncapi/agent-assist-cdr.yaml): the topic is a channel's kafka binding topic, the value is
JSON equal to one of that channel's message examples, and the key is the record's dialog_id
(the message binding's x-key-field). Prints one JSON line per record (topic, key, value as hex)
for the caller to compare bytes. Exits 1 on a mismatch.

usage: check_kafka_records.py BROKERS SPEC EXPECTED_COUNT
"""
import json
import sys
import time

import yaml
from confluent_kafka import Consumer, TopicPartition


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def main():
    brokers, spec_path, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    topics = {}
    for channel in spec["channels"].values():
        topic = channel.get("bindings", {}).get("kafka", {}).get("topic", channel["address"])
        for message in channel["messages"].values():
            message = deref(spec, message)
            key_field = message.get("bindings", {}).get("kafka", {}).get("key", {}).get("x-key-field")
            for example in message.get("examples", []):
                topics.setdefault(topic, []).append((example["payload"], key_field))

    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "python-check", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "log_level": 0})
    assignment = []
    for topic in topics:
        metadata = consumer.list_topics(topic, timeout=30).topics[topic]
        assignment += [TopicPartition(topic, p, 0) for p in metadata.partitions]
    consumer.assign(assignment)

    seen = []
    deadline = time.time() + 60
    while len(seen) < expected and time.time() < deadline:
        record = consumer.poll(1.0)
        if record is None:
            continue
        if record.error():
            print(f"consumer error: {record.error()}", file=sys.stderr)
            continue
        value = json.loads(record.value())
        candidates = topics.get(record.topic(), [])
        matches = [key_field for payload, key_field in candidates if payload == value]
        if not matches:
            print(f"{record.topic()}@{record.offset()}: value is none of the topic's spec examples: {value}", file=sys.stderr)
            sys.exit(1)
        key_field = matches[0]
        want_key = value[key_field].encode() if key_field else None
        if record.key() != want_key:
            print(f"{record.topic()}@{record.offset()}: key {record.key()!r}, want {want_key!r}", file=sys.stderr)
            sys.exit(1)
        seen.append({"topic": record.topic(), "key": record.key().decode() if record.key() else None,
                     "value_hex": record.value().hex()})
    consumer.close()
    if len(seen) != expected:
        print(f"read {len(seen)} records, want {expected}", file=sys.stderr)
        sys.exit(1)
    for line in seen:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
