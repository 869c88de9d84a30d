//! Located diagnostics: every error names its file, line and JSON pointer.

use std::fmt;
use std::path::PathBuf;

/// What went wrong, as a stable machine-readable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// A file or directory cannot be read or written.
    Io,
    /// The file is not valid YAML or JSON.
    YamlSyntax,
    /// A `$ref` whose target does not exist.
    UnresolvedRef,
    /// A `$ref` to a URL: documents are read from files only.
    RemoteRef,
    /// `$ref`s that point at each other without reaching a value.
    RefCycle,
    /// A field of the wrong JSON type.
    WrongType,
    /// A field of the right type with a value the spec does not allow.
    InvalidValue,
    /// A required field is absent.
    MissingField,
    /// An operation names a channel the document does not have.
    UnknownChannel,
    /// An operation names a message that its channel does not carry.
    MessageNotInChannel,
    /// Valid AsyncAPI the generator cannot express (e.g. a non-JSON-Schema payload).
    Unsupported,
    /// An `asyncapi` version other than 2.0–2.6 and 3.0–3.1.
    UnsupportedVersion,
    /// The command line or the inputs given are not usable.
    Usage,
    /// A schema constraint the Rust type does not enforce (warning).
    NotEnforced,
    /// Messages of one connection and direction that no property tells apart (warning).
    Untagged,
    /// A message example that does not match its own schema (warning).
    ExampleMismatch,
    /// A 2.x construct the 3.0 conversion cannot carry as written (warning).
    Converted,
}

impl Code {
    /// The kebab-case name shown in messages and matched by tests.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "io",
            Code::YamlSyntax => "yaml-syntax",
            Code::UnresolvedRef => "unresolved-ref",
            Code::RemoteRef => "remote-ref",
            Code::RefCycle => "ref-cycle",
            Code::WrongType => "wrong-type",
            Code::InvalidValue => "invalid-value",
            Code::MissingField => "missing-field",
            Code::UnknownChannel => "unknown-channel",
            Code::MessageNotInChannel => "message-not-in-channel",
            Code::Unsupported => "unsupported",
            Code::UnsupportedVersion => "unsupported-version",
            Code::Usage => "usage",
            Code::NotEnforced => "not-enforced",
            Code::Untagged => "untagged",
            Code::ExampleMismatch => "example-mismatch",
            Code::Converted => "converted",
        }
    }
}

/// Whether a diagnostic stops the run. Warnings become errors under `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Stops the run.
    Error,
    /// Reported; the run goes on.
    Warning,
}

/// One located problem in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What went wrong.
    pub code: Code,
    /// Whether it stops the run.
    pub severity: Severity,
    /// The file it is in, as given or as reached through `$ref`s.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// JSON pointer of the offending node inside `file`.
    pub pointer: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl Diagnostic {
    /// An error about a whole file (no line or pointer yet).
    pub fn new(code: Code, file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            file: file.into(),
            line: None,
            pointer: String::new(),
            message: message.into(),
        }
    }

    /// The same diagnostic as a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// The same diagnostic as an error (what `--strict` makes of a warning).
    pub fn error(mut self) -> Self {
        self.severity = Severity::Error;
        self
    }

    /// Whether it is a warning.
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    /// The same diagnostic at a JSON pointer and line.
    pub fn at(mut self, pointer: impl Into<String>, line: Option<usize>) -> Self {
        self.pointer = pointer.into();
        self.line = line;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}[{}]: {}", self.code.as_str(), self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.pointer.is_empty() {
            write!(f, " at {}", self.pointer)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One or more diagnostics; the error type of every fallible stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(
    /// Every diagnostic, in the order found; never empty.
    pub Vec<Diagnostic>,
);

impl Errors {
    /// The first diagnostic (there is always one).
    pub fn first(&self) -> &Diagnostic {
        &self.0[0]
    }
}

impl From<Diagnostic> for Errors {
    fn from(d: Diagnostic) -> Self {
        Errors(vec![d])
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

/// The result of every fallible stage.
pub type Result<T, E = Errors> = std::result::Result<T, E>;

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_segment(s: &str) -> String {
    if s.contains(['~', '/']) {
        s.replace('~', "~0").replace('/', "~1")
    } else {
        s.to_string()
    }
}

/// Unescapes one JSON pointer segment.
pub fn unescape_segment(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// Appends one segment to a pointer.
pub fn child(pointer: &str, segment: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + segment.len() + 1);
    out.push_str(pointer);
    out.push('/');
    if segment.contains(['~', '/']) {
        out.push_str(&escape_segment(segment));
    } else {
        out.push_str(segment);
    }
    out
}

/// The node at a JSON pointer, without allocating for segments that need no unescaping.
pub fn lookup<'v>(root: &'v serde_json::Value, pointer: &str) -> Option<&'v serde_json::Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut node = root;
    for raw in rest.split('/') {
        let owned;
        let token = if raw.contains('~') {
            owned = unescape_segment(raw);
            owned.as_str()
        } else {
            raw
        };
        node = match node {
            serde_json::Value::Object(map) => map.get(token)?,
            serde_json::Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}
