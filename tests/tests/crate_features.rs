//! The generated crate's features: the default build is the models alone, with no networking
//! and no C library; each transport comes in only with its feature.

use std::process::Command;

use workspace_tests::root;

/// The packages `agent-assist-api` builds with `features` (normal and build dependencies).
fn packages(features: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["tree", "-p", "agent-assist-api", "-e", "normal,build", "--prefix", "none", "--locked"])
        .current_dir(root());
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let out = command.output().expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Packages that compile or link native code.
fn native(packages: &[String]) -> Vec<&String> {
    packages
        .iter()
        .filter(|name| name.ends_with("-sys") || ["cc", "cmake", "bindgen", "pkg-config"].contains(&name.as_str()))
        .collect()
}

#[test]
fn the_default_build_compiles_no_c_code_and_no_transport() {
    let default = packages(&[]);
    assert!(default.contains(&"asyncapi-runtime".to_string()), "{default:?}");
    assert!(native(&default).is_empty(), "the default features pull in native code: {:?}", native(&default));
    for transport in ["axum", "tokio", "tokio-tungstenite", "rdkafka"] {
        assert!(!default.contains(&transport.to_string()), "the default features pull in {transport}");
    }
}

#[test]
fn each_transport_comes_with_its_feature() {
    let kafka = packages(&["kafka"]);
    assert!(kafka.contains(&"rdkafka".to_string()), "{kafka:?}");
    assert!(!native(&kafka).is_empty(), "librdkafka is native code: {kafka:?}");
    assert!(!kafka.contains(&"axum".to_string()));
    let server = packages(&["server"]);
    assert!(server.contains(&"axum".to_string()), "{server:?}");
    assert!(!server.contains(&"rdkafka".to_string()));
    let client = packages(&["client"]);
    assert!(client.contains(&"tokio-tungstenite".to_string()), "{client:?}");
    assert!(!client.contains(&"axum".to_string()));
}
