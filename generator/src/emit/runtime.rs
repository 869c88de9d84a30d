//! How a generated crate gets the runtime crate (`asyncapi-runtime`): a dependency, or its
//! sources copied into `src/runtime/` (`--vendor-runtime`).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The runtime version generated crates depend on.
pub const VERSION: &str = "0.1.0";

/// Where a generated crate gets the runtime from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeSource {
    /// `asyncapi-runtime` as a dependency by version, with a `path` (relative to the generated
    /// crate) when given: for crates generated inside a workspace that holds the runtime.
    Dependency {
        /// The runtime crate's directory, relative to the generated crate.
        path: Option<String>,
    },
    /// The runtime's sources copied into `src/runtime/`, with its dependencies; no dependency
    /// on `asyncapi-runtime`.
    Vendored,
}

/// `asyncapi-runtime` is not on crates.io: a crate built elsewhere reaches it by path or carries it.
impl Default for RuntimeSource {
    /// A path dependency on the runtime beside this generator's sources when they are there (a
    /// checkout of this repository), else the runtime vendored: either way the crate builds.
    fn default() -> Self {
        let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
        match beside.canonicalize() {
            Ok(dir) if dir.join("Cargo.toml").is_file() => {
                RuntimeSource::Dependency { path: Some(dir.to_string_lossy().into_owned()) }
            }
            _ => RuntimeSource::Vendored,
        }
    }
}

/// The runtime's `lib.rs`: its module declarations follow [`MODULES_MARKER`].
const LIB: &str = include_str!("../../../runtime/src/lib.rs");
const MODULES_MARKER: &str = "// --- modules";

/// The runtime's module files, relative to its `src/`.
const SOURCES: &[(&str, &str)] = &[
    ("avro.rs", include_str!("../../../runtime/src/avro.rs")),
    ("builder.rs", include_str!("../../../runtime/src/builder.rs")),
    ("codegen.rs", include_str!("../../../runtime/src/codegen.rs")),
    ("kafka.rs", include_str!("../../../runtime/src/kafka.rs")),
    ("nullable.rs", include_str!("../../../runtime/src/nullable.rs")),
    ("serde_helpers.rs", include_str!("../../../runtime/src/serde_helpers.rs")),
    ("ws/client.rs", include_str!("../../../runtime/src/ws/client.rs")),
    ("ws/handshake.rs", include_str!("../../../runtime/src/ws/handshake.rs")),
    ("ws/mod.rs", include_str!("../../../runtime/src/ws/mod.rs")),
    ("ws/outbox.rs", include_str!("../../../runtime/src/ws/outbox.rs")),
    ("ws/server.rs", include_str!("../../../runtime/src/ws/server.rs")),
];

/// The runtime's own dependencies, as in its Cargo.toml, for a vendored copy.
const DEPENDENCIES: &[(&str, &str)] = &[
    ("serde", r#""1""#),
    ("serde_json", r#""1""#),
    ("thiserror", r#""2""#),
    ("tracing", r#"{ version = "0.1", default-features = false, features = ["std"] }"#),
];
const SOCKET_DEPENDENCIES: &[(&str, &str)] = &[
    ("axum", r#"{ version = "0.8", default-features = false, features = ["ws", "query", "tokio", "http1"], optional = true }"#),
    ("futures-util", r#"{ version = "0.3", default-features = false, features = ["sink", "std"], optional = true }"#),
    ("tokio", r#"{ version = "1", features = ["macros", "net", "rt-multi-thread", "sync", "time"], optional = true }"#),
    ("tokio-tungstenite", r#"{ version = "0.29", optional = true }"#),
    ("tungstenite", r#"{ version = "0.29", default-features = false, optional = true }"#),
];
const KAFKA_DEPENDENCIES: &[(&str, &str)] = &[
    ("futures-util", r#"{ version = "0.3", default-features = false, features = ["sink", "std"], optional = true }"#),
    ("rdkafka", r#"{ version = "0.39", default-features = false, features = ["tokio"], optional = true }"#),
    ("tokio", r#"{ version = "1", features = ["macros", "net", "rt-multi-thread", "sync", "time"], optional = true }"#),
];

const AVRO_DEPENDENCIES: &[(&str, &str)] = &[("apache-avro", r#"{ version = "0.22", default-features = false, optional = true }"#)];

/// The runtime features (as the runtime's Cargo.toml has them), for a vendored copy.
const SOCKET_FEATURES: &[(&str, &[&str])] = &[
    ("ws-server", &["dep:axum", "dep:tokio", "dep:futures-util", "dep:tungstenite"]),
    ("ws-client", &["dep:tokio", "dep:tokio-tungstenite", "dep:futures-util"]),
];
const KAFKA_FEATURES: &[(&str, &[&str])] = &[("kafka", &["dep:rdkafka", "dep:tokio", "dep:futures-util"]), ("kafka-tls", &["kafka", "rdkafka/ssl"])];
const AVRO_FEATURES: &[(&str, &[&str])] = &[("avro", &["dep:apache-avro"])];

/// What a crate uses of the runtime.
#[derive(Clone, Copy, Debug)]
pub struct Uses {
    pub sockets: bool,
    pub kafka: bool,
    /// Kafka topics of Avro messages (binary Avro).
    pub avro: bool,
}

impl RuntimeSource {
    /// `(name, spec)` lines of `[dependencies]` the runtime brings.
    pub fn dependencies(&self, uses: Uses) -> Vec<(String, String)> {
        match self {
            RuntimeSource::Vendored => {
                let mut deps: BTreeMap<&str, &str> = DEPENDENCIES.iter().copied().collect();
                if uses.sockets {
                    deps.extend(SOCKET_DEPENDENCIES.iter().copied());
                }
                if uses.kafka {
                    deps.extend(KAFKA_DEPENDENCIES.iter().copied());
                }
                if uses.kafka && uses.avro {
                    deps.extend(AVRO_DEPENDENCIES.iter().copied());
                }
                deps.into_iter().map(|(n, s)| (n.to_string(), s.to_string())).collect()
            }
            RuntimeSource::Dependency { path } => {
                let path = path.as_deref().map(|p| format!(", path = {}", toml_string(p))).unwrap_or_default();
                vec![(String::from("asyncapi-runtime"), format!(r#"{{ version = "{VERSION}"{path}, default-features = false }}"#))]
            }
        }
    }

    /// The crate's features: `server`, `client`, `tls`, `kafka` and `kafka-tls`, each turning on
    /// the runtime feature it needs; none is on by default.
    pub fn features(&self, uses: Uses) -> Vec<(String, Vec<String>)> {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut out = vec![(String::from("default"), Vec::new())];
        let vendored = *self == RuntimeSource::Vendored;
        let runtime = |feature: &str| if vendored { feature.to_string() } else { format!("asyncapi-runtime/{feature}") };
        if uses.sockets {
            out.push((String::from("server"), vec![runtime("ws-server")]));
            out.push((String::from("client"), vec![runtime("ws-client")]));
            let tls = if vendored { "tokio-tungstenite/rustls-tls-webpki-roots".to_string() } else { runtime("tls") };
            out.push((String::from("tls"), vec![String::from("client"), tls]));
            if vendored {
                out.extend(SOCKET_FEATURES.iter().map(|(n, e)| (n.to_string(), owned(e))));
            }
        }
        if uses.kafka {
            // Avro topics need the runtime's `avro` feature wherever `kafka` is on.
            let avro = uses.avro.then(|| runtime("avro"));
            match vendored {
                true => {
                    for (name, enables) in KAFKA_FEATURES {
                        let mut enables = owned(enables);
                        if *name == "kafka" {
                            enables.extend(avro.clone());
                        }
                        out.push((name.to_string(), enables));
                    }
                    if uses.avro {
                        out.extend(AVRO_FEATURES.iter().map(|(n, e)| (n.to_string(), owned(e))));
                    }
                }
                false => {
                    out.push((String::from("kafka"), std::iter::once(runtime("kafka")).chain(avro).collect()));
                    out.push((String::from("kafka-tls"), vec![String::from("kafka"), runtime("kafka-tls")]));
                }
            }
        }
        if out.len() == 1 {
            out.clear();
        }
        out
    }

    /// The crate root's line reaching the runtime as `crate::rt`, and, vendored, the module.
    pub fn root_items(&self) -> proc_macro2::TokenStream {
        match self {
            RuntimeSource::Vendored => quote::quote! {
                /// The runtime (`asyncapi-runtime`), vendored. Not part of the API.
                #[doc(hidden)]
                pub mod runtime;
                // The path generated code reaches the runtime through (some crates use none of it).
                #[allow(unused_imports)]
                use runtime::codegen as rt;
            },
            RuntimeSource::Dependency { .. } => quote::quote! {
                // The path generated code reaches the runtime through (some crates use none of it).
                #[allow(unused_imports)]
                use ::asyncapi_runtime::codegen as rt;
            },
        }
    }

    /// `src/runtime/**` for a vendored runtime; nothing otherwise.
    pub fn files(&self, crate_ident: &str) -> BTreeMap<PathBuf, String> {
        let mut files = BTreeMap::new();
        if *self != RuntimeSource::Vendored {
            return files;
        }
        let header = format!(
            "// Vendored from asyncapi-runtime {VERSION} by `asyncapi-codegen generate --vendor-runtime`. Do not edit: regenerate.\n\n"
        );
        let modules = LIB.split_once(MODULES_MARKER).map(|(_, rest)| rest.split_once('\n').map_or("", |(_, m)| m)).unwrap_or_default();
        let root = format!(
            "{header}//! The runtime of this crate (`asyncapi-runtime` {VERSION}), vendored. Not part of the API.\n// Features of the runtime this crate does not use are not declared.\n#![allow(unexpected_cfgs)]\n{modules}"
        );
        files.insert(PathBuf::from("src/runtime/mod.rs"), root);
        for (path, text) in SOURCES {
            // Doc examples name the runtime crate; in a vendored copy it is this crate's module.
            // The long (network) examples are compiled where they are tested, in the runtime
            // itself: a copy keeps them as text rather than building each one in every crate.
            let text = text
                .replace("asyncapi_runtime::", &format!("{crate_ident}::runtime::"))
                .replace("```no_run", "```ignore");
            files.insert(PathBuf::from("src/runtime").join(path), format!("{header}{text}"));
        }
        files
    }
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARGO: &str = include_str!("../../../runtime/Cargo.toml");

    #[test]
    fn version_and_pins_match_the_runtime_manifest() {
        assert!(CARGO.contains(&format!("\nversion = \"{VERSION}\"\n")), "runtime/Cargo.toml version differs from {VERSION}");
        for (name, spec) in DEPENDENCIES.iter().chain(SOCKET_DEPENDENCIES).chain(KAFKA_DEPENDENCIES).chain(AVRO_DEPENDENCIES) {
            let line = format!("\n{name} = {spec}\n");
            assert!(CARGO.contains(&line), "runtime/Cargo.toml lacks `{}`", line.trim());
        }
        for (name, enables) in SOCKET_FEATURES.iter().chain(KAFKA_FEATURES).chain(AVRO_FEATURES) {
            let list = enables.iter().map(|e| format!("\"{e}\"")).collect::<Vec<_>>().join(", ");
            let line = format!("\n{name} = [{list}]\n");
            assert!(CARGO.contains(&line), "runtime/Cargo.toml lacks feature `{}`", line.trim());
        }
    }

    #[test]
    fn vendored_files_cover_every_runtime_module() {
        let files = RuntimeSource::Vendored.files("my_api");
        let root = &files[&PathBuf::from("src/runtime/mod.rs")];
        for module in ["pub mod serde_helpers;", "pub mod ws;", "pub mod kafka;", "pub mod codegen;"] {
            assert!(root.contains(module), "{module} missing from the vendored mod.rs:\n{root}");
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src");
        let mut on_disk = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.file_name().is_some_and(|n| n != "lib.rs") {
                    on_disk.push(path.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let vendored: Vec<&str> = SOURCES.iter().map(|(p, _)| *p).collect();
        assert_eq!(vendored, on_disk, "every runtime source file is vendored");
        assert!(!files.values().any(|t| t.contains("asyncapi_runtime::")), "doc examples point at the vendored module");
        // Vendored, the runtime is a module of the generated crate: it reaches its siblings by
        // `super::`, never from the crate root.
        for (path, text) in &files {
            let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
            assert!(!code.into_iter().any(|l| l.contains("crate::serde_helpers") || l.contains("crate::ws") || l.contains("crate::kafka")), "{} reaches the runtime from the crate root", path.display());
        }
        assert!(!files.values().any(|t| t.contains("```no_run")), "network examples are not built in every crate");
        // In this repository the default is a path dependency on runtime/, which carries no copy.
        match RuntimeSource::default() {
            RuntimeSource::Dependency { path: Some(path) } => assert!(std::path::Path::new(&path).join("src/lib.rs").is_file(), "{path}"),
            other => panic!("expected a path dependency on runtime/, got {other:?}"),
        }
        assert!(RuntimeSource::default().files("my_api").is_empty());
    }

    #[test]
    fn features_are_off_by_default_in_both_modes() {
        let uses = Uses { sockets: true, kafka: true, avro: false };
        for source in [RuntimeSource::Vendored, RuntimeSource::Dependency { path: Some("../runtime".into()) }] {
            let features = source.features(uses);
            assert_eq!(features[0], (String::from("default"), Vec::new()));
            for name in ["server", "client", "tls", "kafka", "kafka-tls"] {
                assert!(features.iter().any(|(n, _)| n == name), "{name} in {source:?}");
            }
        }
        let deps = RuntimeSource::Dependency { path: Some("../runtime".into()) }.dependencies(uses);
        assert_eq!(deps[0].1, r#"{ version = "0.1.0", path = "../runtime", default-features = false }"#);
        assert!(RuntimeSource::default().features(Uses { sockets: false, kafka: false, avro: false }).is_empty());
        // Avro topics turn the runtime's `avro` feature on with `kafka`, in both modes.
        let avro = Uses { sockets: false, kafka: true, avro: true };
        let vendored = RuntimeSource::Vendored.features(avro);
        assert!(vendored.iter().any(|(n, e)| n == "kafka" && e.contains(&String::from("avro"))), "{vendored:?}");
        assert!(vendored.iter().any(|(n, e)| n == "avro" && e == &[String::from("dep:apache-avro")]), "{vendored:?}");
        assert!(RuntimeSource::Vendored.dependencies(avro).iter().any(|(n, _)| n == "apache-avro"));
        let dependency = RuntimeSource::Dependency { path: None }.features(avro);
        assert!(dependency.contains(&(String::from("kafka"), vec![String::from("asyncapi-runtime/kafka"), String::from("asyncapi-runtime/avro")])), "{dependency:?}");
    }
}
