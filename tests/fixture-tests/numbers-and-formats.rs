//! Copied into the `numbers-and-formats` fixture crate by `scripts/fixture-crates.sh`: a struct
//! with more required fields than a constructor should take is built with its builder, which
//! names the first required field left unset.
use fixture_numbers_and_formats::*;
use serde_json::json;

fn complete() -> SampleBuilder {
    Sample::builder()
        .id("s-1")
        .at("2024-05-01T12:00:00Z")
        .count(3)
        .small(-7)
        .big(9_007_199_254_740_991)
        .unsigned(42)
        .ratio(0.5)
        .single(1.5)
}

#[test]
fn the_builder_sets_required_and_optional_fields() {
    let sample = complete().port(8080).build().expect("every required field is set");
    let wire = serde_json::to_value(&sample).expect("encodes");
    assert_eq!(
        wire,
        json!({
            "id": "s-1", "at": "2024-05-01T12:00:00Z", "count": 3, "small": -7,
            "big": 9_007_199_254_740_991_i64, "unsigned": 42, "ratio": 0.5, "single": 1.5, "port": 8080
        })
    );
    let back: Sample = serde_json::from_value(wire).expect("decodes");
    assert_eq!(back, sample);
}

#[test]
fn build_names_the_first_required_field_left_unset() {
    let error = Sample::builder().id("s-1").count(3).build().expect_err("`at` is missing");
    assert_eq!(error, MissingField("at"));
    assert_eq!(error.to_string(), "required field `at` is not set");
}
