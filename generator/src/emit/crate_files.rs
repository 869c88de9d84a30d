//! The whole generated crate as a map of relative path → contents.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::Environment;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde::Serialize;

use super::runtime::{RuntimeSource, Uses};
use super::rust::{self, docs};
use crate::diag::{Code, Diagnostic, Errors, Result};
use crate::ir::{Ir, IrDocument, Ty};

/// Built-in templates, overridable one by one with `--templates DIR` (same relative names).
const TEMPLATES: &[(&str, &str)] = &[
    ("crate/Cargo.toml.j2", include_str!("../../../templates/crate/Cargo.toml.j2")),
    ("crate/README.md.j2", include_str!("../../../templates/crate/README.md.j2")),
    ("docs/document.md.j2", include_str!("../../../templates/docs/document.md.j2")),
    ("docs/document.html.j2", include_str!("../../../templates/docs/document.html.j2")),
    ("docs/index.html.j2", include_str!("../../../templates/docs/index.html.j2")),
];

/// Templates from `--templates DIR` where present, else the built-in ones.
pub fn environment(dir: Option<&Path>) -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_auto_escape_callback(|name| {
        if name.contains(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    for (name, builtin) in TEMPLATES.iter().copied() {
        let custom = dir.map(|d| d.join(name)).filter(|p| p.is_file());
        let source = match custom {
            Some(path) => std::fs::read_to_string(&path)
                .map_err(|e| Diagnostic::new(Code::Io, &path, format!("cannot read template: {e}")))?,
            None => builtin.to_string(),
        };
        env.add_template_owned(name.to_string(), source)
            .map_err(|e| Diagnostic::new(Code::InvalidValue, name, format!("template error: {e}")))?;
    }
    Ok(env)
}

fn render(env: &Environment<'_>, name: &str, ctx: impl Serialize) -> Result<String> {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| Errors::from(Diagnostic::new(Code::InvalidValue, name, format!("template error: {e:#}"))))
}

#[derive(Serialize)]
struct Dependency {
    name: String,
    spec: String,
}

fn uses(ir: &Ir, wanted: &dyn Fn(&Ty) -> bool) -> bool {
    ir.documents.iter().any(|d| d.uses(wanted))
}

#[derive(Serialize)]
struct Feature {
    name: String,
    enables: Vec<String>,
}

#[derive(Serialize)]
struct Example {
    name: String,
    features: Vec<&'static str>,
}

fn has_sockets(ir: &Ir) -> bool {
    ir.documents.iter().any(|d| !rust::socket::endpoints(d).is_empty())
}

fn has_kafka(ir: &Ir) -> bool {
    ir.documents.iter().any(|d| !d.kafka.is_empty())
}

fn runtime_uses(ir: &Ir) -> Uses {
    let avro = ir.documents.iter().any(|d| d.kafka.iter().any(|t| !t.avro.is_empty()));
    Uses { sockets: has_sockets(ir), kafka: has_kafka(ir), avro }
}

/// Cargo features, none on by default: `server` and `client` (and `tls`) when a document has
/// WebSocket servers, `kafka` when one has Kafka topics (with binary Avro when a topic is Avro).
fn features(ir: &Ir, runtime: &RuntimeSource) -> Vec<Feature> {
    runtime.features(runtime_uses(ir)).into_iter().map(|(name, enables)| Feature { name, enables }).collect()
}

fn examples(ir: &Ir) -> Vec<Example> {
    let mut out = Vec::new();
    if has_sockets(ir) {
        out.push(Example { name: "mock-server".into(), features: vec!["server"] });
        out.push(Example { name: "tail".into(), features: vec!["client"] });
    }
    for doc in ir.documents.iter().filter(|d| !d.kafka.is_empty()) {
        let stem = doc.module.replace('_', "-");
        out.push(Example { name: format!("produce-{stem}"), features: vec!["kafka"] });
        out.push(Example { name: format!("consume-{stem}"), features: vec!["kafka"] });
    }
    out
}

fn dependencies(ir: &Ir, runtime: &RuntimeSource) -> Vec<Dependency> {
    let mut deps: BTreeMap<String, String> = runtime.dependencies(runtime_uses(ir)).into_iter().collect();
    deps.insert("serde".into(), r#"{ version = "1", features = ["derive"] }"#.into());
    deps.insert("serde_json".into(), r#""1""#.into());
    if uses(ir, &|t| matches!(t, Ty::DateTime | Ty::Epoch(_))) {
        deps.insert("chrono".into(), r#"{ version = "0.4", default-features = false, features = ["serde", "std"] }"#.into());
    }
    if uses(ir, &|t| *t == Ty::Uuid) {
        deps.insert("uuid".into(), r#"{ version = "1", features = ["serde"] }"#.into());
    }
    deps.into_iter().map(|(name, spec)| Dependency { name, spec }).collect()
}

/// What the examples need beyond the crate's own dependencies.
fn dev_dependencies(ir: &Ir) -> Vec<Dependency> {
    let uses = runtime_uses(ir);
    if !uses.sockets && !uses.kafka {
        return Vec::new();
    }
    let spec = r#"{ version = "1", features = ["macros", "net", "rt-multi-thread", "signal", "sync", "time"] }"#;
    vec![Dependency { name: "tokio".into(), spec: spec.into() }]
}

fn to_string(tokens: TokenStream, path: &str) -> Result<String> {
    rust::format_file(tokens).map_err(|m| Diagnostic::new(Code::Unsupported, path, m).into())
}

fn example_to_string(tokens: TokenStream, path: &str) -> Result<String> {
    rust::format_example(tokens).map_err(|m| Diagnostic::new(Code::Unsupported, path, m).into())
}

fn module_root(doc: &IrDocument, has_examples: bool, has_socket: bool, has_kafka: bool) -> TokenStream {
    let info = &doc.outline.info;
    let mut text = format!("{} (version {})", info.title, info.version);
    if let Some(d) = &info.description {
        text.push_str("\n\n");
        text.push_str(d);
    }
    let lines = docs::clean(&text);
    let lines = lines.iter().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    let title = &info.title;
    let version = &info.version;
    let source = doc.source.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
    let examples = has_examples.then(|| quote!(#[cfg(test)] mod examples;));
    let sockets = has_socket.then(|| {
        quote! {
            #[cfg(feature = "server")]
            pub mod server;
            #[cfg(feature = "client")]
            pub mod client;
        }
    });
    let kafka = has_kafka.then(|| {
        quote! {
            #[cfg(feature = "kafka")]
            pub mod kafka;
        }
    });
    quote! {
        #( #![doc = #lines] )*
        mod models;
        pub use models::*;
        #examples
        #sockets
        #kafka
        /// `info.title` of the source document.
        pub const TITLE: &str = #title;
        /// `info.version` of the source document.
        pub const VERSION: &str = #version;
        /// The document this module was generated from.
        pub const SOURCE: &str = #source;
    }
}

/// `schemas/<topic>.json` for every Kafka topic of JSON messages: the registry schema of its records.
fn registry_schemas(set: &crate::load::SourceSet, ir: &Ir) -> Result<BTreeMap<PathBuf, String>> {
    let mut out = BTreeMap::new();
    for doc in &ir.documents {
        // Avro topics hold binary records, which a JSON Schema registry entry would refuse.
        for topic in doc.kafka.iter().filter(|t| !t.payloads.is_empty() && t.avro.is_empty()) {
            let schema = crate::bundle::registry_schema(set, &topic.payloads);
            let topic = &topic.name;
            let mut text = serde_json::to_string_pretty(&schema)
                .map_err(|e| Diagnostic::new(Code::InvalidValue, &doc.source, format!("topic `{topic}`: {e}")))?;
            text.push('\n');
            out.insert(PathBuf::from(format!("schemas/{topic}.json")), text);
        }
    }
    Ok(out)
}

/// Renders every file of the crate.
pub fn crate_files(
    set: &crate::load::SourceSet,
    ir: &Ir,
    crate_name: &str,
    templates: Option<&Path>,
    runtime: &RuntimeSource,
) -> Result<BTreeMap<PathBuf, String>> {
    let env = environment(templates)?;
    // Each document's modules are emitted and formatted on a second thread while this one does
    // the rest: formatting (syn + prettyplease) is most of a run, and the files are independent.
    std::thread::scope(|scope| {
        let document_files = scope.spawn(|| document_modules(ir));
        other_files(set, ir, crate_name, &env, runtime, document_files)
    })
}

/// `src/<module>/*.rs` of every document.
fn document_modules(ir: &Ir) -> Result<BTreeMap<PathBuf, String>> {
    let mut files = BTreeMap::new();
    for doc in &ir.documents {
        let kafka = rust::kafka::emit(doc);
        let dir = PathBuf::from("src").join(&doc.module);
        if let Some(tokens) = &kafka {
            files.insert(dir.join("kafka.rs"), to_string(tokens.clone(), "kafka.rs")?);
        }
        let examples = rust::examples::emit(doc);
        if let Some(tokens) = &examples {
            files.insert(dir.join("examples.rs"), to_string(tokens.clone(), "examples.rs")?);
        }
        let sockets = rust::socket::emit(doc);
        if let Some((server, client)) = &sockets {
            files.insert(dir.join("server.rs"), to_string(server.clone(), "server.rs")?);
            files.insert(dir.join("client.rs"), to_string(client.clone(), "client.rs")?);
        }
        files.insert(dir.join("mod.rs"), to_string(module_root(doc, examples.is_some(), sockets.is_some(), kafka.is_some()), "mod.rs")?);
        files.insert(dir.join("models.rs"), to_string(rust::models::emit(doc), "models.rs")?);
    }
    Ok(files)
}

/// Everything but the documents' modules, which arrive from `document_files`.
fn other_files(
    set: &crate::load::SourceSet,
    ir: &Ir,
    crate_name: &str,
    env: &Environment<'_>,
    runtime: &RuntimeSource,
    document_files: std::thread::ScopedJoinHandle<'_, Result<BTreeMap<PathBuf, String>>>,
) -> Result<BTreeMap<PathBuf, String>> {
    let mut files = super::docs::files(env, ir, crate_name)?;
    files.extend(registry_schemas(set, ir)?);
    let modules: Vec<syn::Ident> = ir.documents.iter().map(|d| format_ident!("{}", d.module)).collect();
    let titles: Vec<String> = ir.documents.iter().map(|d| format!(" `{}`: {}.", d.module, d.outline.info.title)).collect();
    let runtime_items = runtime.root_items();
    // A crate of one document is used through that document's items: `my_api::server`, not only
    // `my_api::my_api::server`.
    let single = match modules.as_slice() {
        [only] => quote! {
            /// The document's items, at the crate root too.
            pub use #only::*;
        },
        _ => quote!(),
    };
    let lib = quote! {
        //! Typed messages generated from AsyncAPI documents by asyncapi-codegen.
        //!
        //! One module per document:
        #( #![doc = #titles] )*
        // Spec text becomes doc comments as written; its Markdown style is not ours to lint.
        #![allow(
            clippy::doc_lazy_continuation,
            clippy::doc_overindented_list_items,
            clippy::large_enum_variant,
            clippy::enum_variant_names,
            rustdoc::bare_urls,
            rustdoc::broken_intra_doc_links,
            rustdoc::invalid_html_tags
        )]
        #(pub mod #modules;)*
        #single
        #runtime_items
        /// An optional field whose schema allows `null`: absent, `null` or a value.
        pub use rt::Nullable;
        /// What a builder's `build` returns when a required field is not set.
        pub use rt::MissingField;
    };
    files.insert(PathBuf::from("src/lib.rs"), to_string(lib, "src/lib.rs")?);
    files.extend(runtime.files(&crate_name.replace('-', "_")));
    if let Some((mock, tail)) = rust::socket_examples::emit(ir, crate_name) {
        files.insert(PathBuf::from("examples/mock-server.rs"), example_to_string(mock, "examples/mock-server.rs")?);
        files.insert(PathBuf::from("examples/tail.rs"), example_to_string(tail, "examples/tail.rs")?);
    }
    for doc in &ir.documents {
        if let Some(examples) = rust::kafka_examples::emit(doc, crate_name) {
            for (stem, tokens) in examples {
                let path = format!("examples/{stem}.rs");
                files.insert(PathBuf::from(&path), example_to_string(tokens, &path)?);
            }
        }
    }
    files.extend(document_files.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
    let description = format!(
        "Typed bindings for {}",
        ir.documents.iter().map(|d| d.outline.info.title.as_str()).collect::<Vec<_>>().join(", ")
    )
    .replace('"', "'");
    let version = if ir.documents.len() == 1 { ir.documents[0].outline.info.version.clone() } else { String::from("0.1.0") };
    let version = if version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u64>().is_ok()) { version } else { String::from("0.1.0") };
    let (features, examples) = (features(ir, runtime), examples(ir));
    let vendored = *runtime == RuntimeSource::Vendored;
    let cargo = render(
        env,
        "crate/Cargo.toml.j2",
        minijinja::context! {
            crate_name, version, description, features, examples,
            dependencies => dependencies(ir, runtime),
            dev_dependencies => dev_dependencies(ir),
        },
    )?;
    files.insert(PathBuf::from("Cargo.toml"), cargo);
    #[derive(Serialize)]
    struct DocRow {
        module: String,
        title: String,
        version: String,
        source: String,
        messages: usize,
        types: usize,
    }
    let rows: Vec<DocRow> = ir
        .documents
        .iter()
        .map(|d| DocRow {
            module: d.module.clone(),
            title: d.outline.info.title.clone(),
            version: d.outline.info.version.clone(),
            source: d.source.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
            messages: d.messages.len(),
            types: d.types.len(),
        })
        .collect();
    let api: Vec<rust::api_table::ApiRow> = ir.documents.iter().flat_map(rust::api_table::rows).collect();
    let quick_start = rust::api_table::quick_start(&api);
    let crate_ident = crate_name.replace('-', "_");
    // Per document with Avro topics: its module and the names of its writer schemas.
    let avro: Vec<(String, Vec<String>)> = ir
        .documents
        .iter()
        .filter_map(|d| {
            let statics = rust::kafka::avro_statics(d);
            let names = statics.keys().filter_map(|mi| d.messages[*mi].avro_writer.as_ref().map(|(name, _)| name.clone().unwrap_or_else(|| d.messages[*mi].key.clone()))).collect::<Vec<_>>();
            (!names.is_empty()).then(|| (d.module.clone(), names))
        })
        .collect();
    let readme = render(
        env,
        "crate/README.md.j2",
        minijinja::context! { crate_name, crate_ident, documents => rows, features, examples, vendored, api, quick_start, avro },
    )?;
    files.insert(PathBuf::from("README.md"), readme);
    Ok(files)
}
