//! asyncapi-codegen: AsyncAPI documents (3.0, 3.1, and 2.0–2.6 converted on load) → a Rust crate
//! of typed messages.
//!
//! The pipeline is `load` (files, `$ref`s, traits, positions) → `spec` (the typed document
//! model) → `ir` (names and types) → `emit` (Rust and templates) → `write` (atomic, drift check).
//!
//! Use it from `build.rs` the way prost-build is used:
//!
//! ```no_run
//! let files = asyncapi_codegen::Generator::new(["asyncapi/"])
//!     .crate_name("my-api")
//!     .render()
//!     .expect("specs are valid");
//! asyncapi_codegen::write::write_atomic("generated".as_ref(), &files.files).expect("written");
//! ```
#![warn(missing_docs)]

// The library API: `Generator` and its options, rendered files, diagnostics, writing and
// drift checks, and the `validate`, `diff` and `conform` commands.
pub mod conform;
pub mod contract;
pub mod diag;
pub mod diff;
pub mod mock;
pub mod write;

// The pipeline's stages: not API (the few types the API names are re-exported below, documented).
pub(crate) mod bundle;
pub(crate) mod conform_avro;
pub(crate) mod conform_wire;
#[allow(missing_docs)]
pub(crate) mod emit;
#[allow(missing_docs)]
pub(crate) mod ir;
pub(crate) mod keywords;
#[allow(missing_docs)]
pub(crate) mod load;
#[allow(missing_docs)]
pub(crate) mod spec;

/// Not API: what this workspace's own tests and benches reach inside the pipeline. It changes
/// without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::emit::crate_files::environment;
    pub use crate::emit::docs::{context, files as docs_files};
    pub use crate::ir::{Ir, IrOptions};
    pub use crate::load::{Loc, SourceSet};
    pub use crate::load_ir;
}

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use diag::{Code, Diagnostic, Errors, Result};
pub use emit::runtime::RuntimeSource;
pub use ir::TypeOptions;
use ir::{Ir, IrOptions};
pub use load::LoadOptions;
pub use spec::Role;

/// The documents named by files and directories: a directory contributes its top-level
/// `.yaml`/`.yml`/`.json` files that have an `asyncapi` field (others are `$ref` fragments).
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| Diagnostic::new(Code::Io, input, format!("cannot read directory: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json"))
                .collect();
            found.sort();
            let before = out.len();
            for path in found {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| Diagnostic::new(Code::Io, &path, format!("cannot read file: {e}")))?;
                if declares_asyncapi(&text) {
                    out.push(path);
                }
            }
            if out.len() == before {
                return Err(Diagnostic::new(Code::Usage, input, "no AsyncAPI document (a file with an `asyncapi` field) in this directory").into());
            }
        } else if input.is_file() {
            out.push(input.clone());
        } else {
            return Err(Diagnostic::new(Code::Io, input, "no such file or directory").into());
        }
    }
    Ok(out)
}

/// Whether a file's text has a top-level `asyncapi` field (YAML key at column 0, or a JSON key).
fn declares_asyncapi(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_end();
        l.starts_with("asyncapi:") || l.starts_with("\"asyncapi\":") || l.starts_with("'asyncapi':")
    }) || (text.trim_start().starts_with('{') && text.contains("\"asyncapi\""))
}

/// Documents loaded: the sources, the typed model of each and the IR built from them (in the
/// same order).
pub(crate) struct Loaded {
    pub set: load::SourceSet,
    pub specs: Vec<spec::Document>,
    pub ir: Ir,
}

/// Loads, reads and lowers documents into the IR, keeping the typed documents.
pub(crate) fn load(inputs: &[PathBuf], load_options: &LoadOptions, ir_options: &IrOptions) -> Result<Loaded> {
    let paths = discover(inputs)?;
    let (mut set, roots) = load::SourceSet::load(&paths, load_options)?;
    let specs = spec::read_documents(&mut set, &roots)?;
    let ir = ir::build(&set, &specs, ir_options)?;
    Ok(Loaded { set, specs, ir })
}

/// Loads, reads and lowers documents into the IR.
#[doc(hidden)]
pub fn load_ir(inputs: &[PathBuf], load_options: &LoadOptions, ir_options: &IrOptions) -> Result<(load::SourceSet, Ir)> {
    let loaded = load(inputs, load_options, ir_options)?;
    Ok((loaded.set, loaded.ir))
}

/// What `validate` found in valid documents.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Documents read.
    pub documents: usize,
    /// Examples that contradict their schemas, messages no property tells apart.
    pub warnings: Vec<Diagnostic>,
}

/// Checks documents without generating: structure, `$ref`s, operation → channel → message
/// links, every message example against its schema, and whether messages sharing a connection
/// can be told apart (a warning when not). Constructs that are valid AsyncAPI but that the Rust
/// generator cannot express are not reported here.
pub fn validate(inputs: &[PathBuf], load_options: &LoadOptions) -> Result<Validation> {
    let paths = discover(inputs)?;
    let (mut set, roots) = load::SourceSet::load(&paths, load_options)?;
    let docs = spec::read_documents(&mut set, &roots)?;
    let warnings = document_problems(&set, &docs)?;
    Ok(Validation { documents: docs.len(), warnings })
}

/// Lowers read documents to learn what is wrong with them: errors and warnings, without what
/// only the Rust generator cannot express (`unsupported`) and what it does not enforce.
fn document_problems(set: &load::SourceSet, docs: &[spec::Document]) -> Result<Vec<Diagnostic>> {
    match ir::build(set, docs, &IrOptions::default()) {
        Ok(ir) => Ok(ir.warnings.into_iter().filter(|d| !matches!(d.code, Code::NotEnforced | Code::Unsupported)).collect()),
        Err(Errors(list)) => {
            let real: Vec<Diagnostic> = list.into_iter().filter(|d| d.code != Code::Unsupported).collect();
            if real.is_empty() {
                Ok(Vec::new())
            } else {
                Err(Errors(real))
            }
        }
    }
}

/// A 2.x document converted to AsyncAPI 3.0.0 (`asyncapi-codegen convert`).
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The converted document, keys in the order the 3.0 specification lists them.
    pub document: serde_json::Value,
    /// The version it was written in.
    pub from_version: String,
    /// What 3.0 cannot say as the 2.x document did, located in the 2.x source.
    pub warnings: Vec<Diagnostic>,
}

/// Converts one AsyncAPI 2.0–2.6 document to 3.0.0 and checks the result as `validate` does;
/// errors point at the 2.x source. A 3.x document is a usage error.
pub fn convert(input: &Path, load_options: &LoadOptions) -> Result<Conversion> {
    let (mut set, roots) = load::SourceSet::load(&[input.to_path_buf()], load_options)?;
    let root = roots[0];
    let Some((from_version, _)) = set.file(root).converted.clone() else {
        let version = set.file(root).value.get("asyncapi").and_then(serde_json::Value::as_str).unwrap_or("without a version").to_string();
        let message = format!("this document is AsyncAPI {version}; `convert` reads AsyncAPI 2.0–2.6 documents");
        return Err(Diagnostic::new(Code::Usage, input, message).at("/asyncapi", set.line(&load::Loc::new(root, "/asyncapi"))).into());
    };
    let docs = spec::read_documents(&mut set, &roots)?;
    // Invalid documents are refused as `validate` refuses them; payloads the Rust generator
    // cannot express (`unsupported`) convert all the same.
    document_problems(&set, &docs)?;
    // Servers in other files were converted for reading; the written document still references
    // the 2.x text.
    let mut warnings = set.conversion_warnings.clone();
    for file in set.files.iter().filter(|f| f.converted.is_some() && f.path != set.file(root).path) {
        let message = "holds 2.x servers that the document references; `convert` writes only the document: convert them in this file too (`url` → `host` + `pathname`)";
        warnings.push(Diagnostic::new(Code::Converted, &file.path, message).warning());
    }
    Ok(Conversion { document: set.file(root).value.clone(), from_version, warnings })
}

/// Whether `name` can name the generated package (and, with `-` as `_`, its crate).
pub fn is_package_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Warnings as errors, for `--strict`.
pub fn strict(warnings: &[Diagnostic]) -> Result<()> {
    if warnings.is_empty() {
        Ok(())
    } else {
        Err(Errors(warnings.iter().cloned().map(Diagnostic::error).collect()))
    }
}

/// Counts for the one-screen summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Documents read.
    pub documents: usize,
    /// Channels over all documents.
    pub channels: usize,
    /// Operations over all documents.
    pub operations: usize,
    /// Messages over all documents.
    pub messages: usize,
    /// Rust types generated.
    pub types: usize,
    /// Files rendered.
    pub files: usize,
}

/// Everything a run produces, in memory.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Every file of the crate, by path relative to its root.
    pub files: BTreeMap<PathBuf, String>,
    /// Counts for a one-screen summary.
    pub summary: Summary,
    /// Located warnings: constraints the Rust types do not enforce, examples that contradict
    /// their schemas, messages decoded by order.
    pub warnings: Vec<Diagnostic>,
}

/// Generator configuration, for the CLI and for `build.rs`.
#[derive(Debug, Clone)]
pub struct Generator {
    inputs: Vec<PathBuf>,
    crate_name: String,
    templates: Option<PathBuf>,
    load: LoadOptions,
    ir: IrOptions,
    strict: bool,
    runtime: RuntimeSource,
}

impl Generator {
    /// A generator for the documents named by files and directories (see [`discover`]).
    pub fn new<I, P>(inputs: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        Generator {
            inputs: inputs.into_iter().map(|p| p.as_ref().to_path_buf()).collect(),
            crate_name: String::from("asyncapi-generated"),
            templates: None,
            load: LoadOptions::default(),
            ir: IrOptions::default(),
            strict: false,
            runtime: RuntimeSource::default(),
        }
    }

    /// Makes every warning an error: `render` then fails when there is any.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The generated package's name (default `asyncapi-generated`).
    pub fn crate_name(mut self, name: impl Into<String>) -> Self {
        self.crate_name = name.into();
        self
    }

    /// A directory whose templates override the built-in ones.
    pub fn templates(mut self, dir: impl Into<PathBuf>) -> Self {
        self.templates = Some(dir.into());
        self
    }

    /// Maps a remote `$ref` prefix to a local file or directory.
    pub fn ref_map(mut self, url: impl Into<String>, local: impl Into<PathBuf>) -> Self {
        self.load.ref_map.push((url.into(), local.into()));
        self
    }

    /// Sets the role of one document (by module name or file stem).
    pub fn role(mut self, document: impl Into<String>, role: Role) -> Self {
        self.ir.roles.insert(document.into(), role);
        self
    }

    /// `format: date-time` → `chrono::DateTime`, `format: uuid` → `uuid::Uuid`.
    pub fn type_options(mut self, options: TypeOptions) -> Self {
        self.ir.types = options;
        self
    }

    /// How the crate gets the runtime: `asyncapi-runtime` as a dependency (the default, by
    /// version) or its sources copied into the crate.
    pub fn runtime(mut self, runtime: RuntimeSource) -> Self {
        self.runtime = runtime;
        self
    }

    /// Generates the crate in memory.
    pub fn render(&self) -> Result<Rendered> {
        if !is_package_name(&self.crate_name) {
            let message = format!(
                "`{}` cannot name a Rust package: use ASCII letters, digits, `-` and `_`, starting with a letter",
                self.crate_name
            );
            return Err(Diagnostic::new(Code::Usage, &self.crate_name, message).into());
        }
        let (set, ir) = load_ir(&self.inputs, &self.load, &self.ir)?;
        if self.strict {
            strict(&ir.warnings)?;
        }
        let files = emit::crate_files::crate_files(&set, &ir, &self.crate_name, self.templates.as_deref(), &self.runtime)?;
        let summary = Summary {
            documents: ir.documents.len(),
            channels: ir.documents.iter().map(|d| d.outline.channels.len()).sum(),
            operations: ir.documents.iter().map(|d| d.outline.operations.len()).sum(),
            messages: ir.documents.iter().map(|d| d.messages.len()).sum(),
            types: ir.documents.iter().map(|d| d.types.len()).sum(),
            files: files.len(),
        };
        Ok(Rendered { files, summary, warnings: ir.warnings })
    }
}
