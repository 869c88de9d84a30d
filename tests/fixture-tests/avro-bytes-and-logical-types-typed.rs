//! Copied by `scripts/fixture-crates.sh` into the crate it generates from
//! `avro-bytes-and-logical-types` with `--chrono --uuid`: Avro `timestamp-millis`,
//! `timestamp-micros` and `date` are chrono values that stay the integers Avro writes.
use chrono::{NaiveDate, TimeZone, Utc};
use fixture_avro_bytes_and_logical_types_typed::avro_bytes_and_logical_types::*;
use fixture_avro_bytes_and_logical_types_typed::Nullable;
use serde_json::json;

fn example() -> serde_json::Value {
    json!({
        "id": "7f1d0c8e-2b1a-4c55-9f3e-0e4c1b2a3d4f", "takenAt": 1_714_564_800_123_i64, "day": 19844,
        "receivedAt": 1_714_564_800_123_456_i64, "amount": [0, 0, 48, 57], "raw": [104, 105], "checksum": [222, 173, 190, 239]
    })
}

#[test]
fn instants_and_dates_read_as_the_moments_they_count() {
    let reading: Reading = serde_json::from_value(example()).expect("decodes");
    let taken = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap() + chrono::TimeDelta::milliseconds(123);
    assert_eq!(reading.taken_at.0, taken);
    assert_eq!(reading.day.0, NaiveDate::from_ymd_opt(2024, 5, 1).unwrap());
    let received = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap() + chrono::TimeDelta::microseconds(123_456);
    assert_eq!(reading.received_at, Nullable::Value(avro_time::TimestampMicros(received)));
    assert_eq!(serde_json::to_value(&reading).expect("encodes"), example());
}

#[test]
fn before_the_epoch_and_out_of_range() {
    let eve = avro_time::Date::from_days(-1).expect("in range");
    assert_eq!(eve.0, NaiveDate::from_ymd_opt(1969, 12, 31).unwrap());
    assert_eq!(eve.days(), -1);
    assert_eq!(avro_time::TimestampMillis::from_millis(-1).expect("in range").millis(), -1);
    let error = serde_json::from_value::<avro_time::TimestampMillis>(json!(i64::MAX)).unwrap_err();
    assert!(error.to_string().contains("out of range"), "{error}");
    assert!(serde_json::from_value::<avro_time::Date>(json!(i32::MAX)).is_err());
    assert!(serde_json::from_value::<avro_time::Date>(json!("2024-05-01")).is_err(), "a date is days on the wire, not text");
}
