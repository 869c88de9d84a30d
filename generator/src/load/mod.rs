//! Loading: YAML/JSON files, multi-file `$ref` resolution, traits and source positions.

mod lines;
pub mod refs;
pub mod traits;
pub mod v2;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diag::{Code, Diagnostic, Errors, Result};

pub use lines::index_lines;
pub use refs::{parse_ref as refs_parse, RefTarget};

/// Index of a file in a [`SourceSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub usize);

/// A node: a file and a JSON pointer inside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub pointer: String,
}

impl Loc {
    pub fn new(file: FileId, pointer: impl Into<String>) -> Self {
        Loc {
            file,
            pointer: pointer.into(),
        }
    }

    pub fn child(&self, segment: &str) -> Loc {
        Loc::new(self.file, crate::diag::child(&self.pointer, segment))
    }

    pub fn index(&self, i: usize) -> Loc {
        self.child(&i.to_string())
    }
}

/// One loaded file, or a synthetic node built from traits.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown in diagnostics.
    pub path: PathBuf,
    pub value: Value,
    /// The source text; lines are indexed from it only when a diagnostic needs one.
    text: String,
    lines: std::sync::OnceLock<HashMap<String, usize>>,
    /// File whose directory and root `#` refs inside this one resolve against.
    pub ref_base: FileId,
    /// For synthetic files: the node whose line stands for every node inside.
    origin: Option<Loc>,
    /// For a 2.x document converted on load: its version and where its nodes came from.
    pub converted: Option<(String, v2::Moves)>,
}

impl SourceFile {
    /// The pointer in the source text of a node of `value` (they differ in converted documents).
    pub fn source_pointer<'p>(&self, pointer: &'p str) -> std::borrow::Cow<'p, str> {
        match &self.converted {
            Some((_, moves)) => moves.source(pointer),
            None => std::borrow::Cow::Borrowed(pointer),
        }
    }
}

/// The line of `pointer`, or of its nearest ancestor that has one.
fn nearest_line(lines: &HashMap<String, usize>, pointer: &str) -> Option<usize> {
    let mut p = pointer;
    loop {
        if let Some(l) = lines.get(p) {
            return Some(*l);
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => return None,
        }
    }
}

/// Every file reachable from the root documents, loaded eagerly.
#[derive(Debug, Default)]
pub struct SourceSet {
    pub files: Vec<SourceFile>,
    by_path: BTreeMap<PathBuf, FileId>,
    ref_map: Vec<(String, PathBuf)>,
    /// (file the ref is resolved against, file part of the ref) → loaded file.
    ref_files: HashMap<(FileId, String), FileId>,
    /// Warnings from converting 2.x documents: what 3.0 cannot say as they did.
    pub conversion_warnings: Vec<Diagnostic>,
}

/// Options for loading.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Remote `$ref` prefixes mapped to local files (`--ref-map URL=FILE`).
    pub ref_map: Vec<(String, PathBuf)>,
}

impl SourceSet {
    /// Loads the given documents and every file their `$ref`s reach.
    pub fn load(roots: &[PathBuf], options: &LoadOptions) -> Result<(SourceSet, Vec<FileId>)> {
        let mut set = SourceSet {
            ref_map: options.ref_map.clone(),
            ..Default::default()
        };
        let mut errors = Vec::new();
        let mut ids = Vec::new();
        for root in roots {
            match set.load_file(root) {
                Ok(id) => {
                    errors.extend(set.convert_v2(id));
                    ids.push(id);
                }
                Err(e) => errors.extend(e.0),
            }
        }
        // Follow refs breadth-first until no new file appears.
        let mut next = 0;
        while next < set.files.len() {
            let id = FileId(next);
            next += 1;
            let mut found = Vec::new();
            refs::collect_refs(&set.files[id.0].value, "", &mut found);
            for (pointer, reference) in found {
                let at = Loc::new(id, pointer);
                if let Err(e) = set.load_ref_file(&at, &reference) {
                    errors.push(e);
                }
            }
        }
        for &root in &ids {
            set.convert_referenced_servers(root);
        }
        if errors.is_empty() {
            Ok((set, ids))
        } else {
            errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            errors.dedup();
            Err(Errors(errors))
        }
    }

    fn load_file(&mut self, path: &Path) -> Result<FileId> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(id) = self.by_path.get(&key) {
            return Ok(*id);
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::new(Code::Io, path, format!("cannot read file: {e}"))
        })?;
        let value = parse_text(path, &text)?;
        let id = FileId(self.files.len());
        self.files.push(SourceFile {
            path: path.to_path_buf(),
            value,
            text,
            lines: std::sync::OnceLock::new(),
            ref_base: id,
            origin: None,
            converted: None,
        });
        self.by_path.insert(key, id);
        Ok(id)
    }

    /// Converts a root document written in AsyncAPI 2.x to 3.0 in place (see [`v2`]).
    /// Returns the errors found in the 2.x document on the way; lossy places become warnings.
    fn convert_v2(&mut self, id: FileId) -> Vec<Diagnostic> {
        let file = &mut self.files[id.0];
        if file.converted.is_some() || !v2::is_v2(&file.value) {
            return Vec::new();
        }
        let version = file.value.get("asyncapi").and_then(Value::as_str).unwrap_or_default().to_string();
        let converted = v2::convert(&file.value);
        file.value = converted.value;
        file.converted = Some((version, converted.moves));
        let lines = file.lines.get_or_init(|| index_lines(&file.text));
        let mut errors = Vec::new();
        for note in converted.notes {
            let line = nearest_line(lines, &note.pointer);
            if let Some(code) = note.error {
                errors.push(Diagnostic::new(code, &file.path, note.message).at(note.pointer, line));
            } else {
                self.conversion_warnings.push(Diagnostic::new(Code::Converted, &file.path, note.message).warning().at(note.pointer, line));
            }
        }
        errors
    }

    /// A converted 2.x document's servers that are `$ref`s to other files still say `url`:
    /// converts them where they are (the official converter leaves them as they are).
    fn convert_referenced_servers(&mut self, root: FileId) {
        let Some((version, _)) = self.files[root.0].converted.clone() else { return };
        let Some(Value::Object(servers)) = self.files[root.0].value.get("servers") else { return };
        let refs: Vec<Loc> = servers.keys().map(|k| Loc::new(root, crate::diag::child("/servers", k))).collect();
        for at in refs {
            if self.ref_at(&at).is_none() {
                continue;
            }
            // A reference that does not resolve is reported by the reader.
            let Ok(target) = self.deref(&at) else { continue };
            let Some(Value::Object(server)) = self.get(&target).cloned() else { continue };
            if target.file == root || !server.contains_key("url") || server.contains_key("host") {
                continue;
            }
            let (converted, moves) = v2::convert_server(&self.files[root.0].value, &target.pointer, &server);
            let file = &mut self.files[target.file.0];
            if let Some(node) = file.value.pointer_mut(&target.pointer) {
                *node = Value::Object(converted);
            }
            match &mut file.converted {
                Some((_, existing)) => existing.extend(moves),
                None => file.converted = Some((version.clone(), moves)),
            }
        }
    }

    /// Adds a document made from another one (an Avro schema's JSON Schema): its `#` refs resolve
    /// inside it, and its nodes report `origin`'s line.
    pub fn add_translated(&mut self, value: Value, origin: Loc) -> FileId {
        let id = FileId(self.files.len());
        self.push_derived(value, origin, id)
    }

    /// Adds a synthetic node (e.g. a message with its traits applied): its refs resolve as
    /// `origin`'s do, and it reports `origin`'s line.
    pub fn add_synthetic(&mut self, value: Value, origin: Loc) -> FileId {
        let base = self.files[origin.file.0].ref_base;
        self.push_derived(value, origin, base)
    }

    fn push_derived(&mut self, value: Value, origin: Loc, ref_base: FileId) -> FileId {
        let id = FileId(self.files.len());
        self.files.push(SourceFile {
            path: self.files[origin.file.0].path.clone(),
            value,
            text: String::new(),
            lines: std::sync::OnceLock::new(),
            ref_base,
            origin: Some(origin),
            converted: None,
        });
        id
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// The value at `loc`, if the pointer exists.
    pub fn get(&self, loc: &Loc) -> Option<&Value> {
        crate::diag::lookup(&self.files[loc.file.0].value, &loc.pointer)
    }

    /// The line of `loc`, or of its nearest ancestor that has one.
    pub fn line(&self, loc: &Loc) -> Option<usize> {
        let file = &self.files[loc.file.0];
        if let Some(origin) = &file.origin {
            return self.line(origin);
        }
        let lines = file.lines.get_or_init(|| index_lines(&file.text));
        nearest_line(lines, &file.source_pointer(&loc.pointer))
    }

    /// The pointer shown in diagnostics: in the source text (a synthetic node reports its
    /// origin, a converted 2.x document its 2.x pointer).
    pub fn display_pointer(&self, loc: &Loc) -> String {
        match &self.files[loc.file.0].origin {
            Some(origin) => self.files[origin.file.0].source_pointer(&format!("{}{}", origin.pointer, loc.pointer)).into_owned(),
            None => self.files[loc.file.0].source_pointer(&loc.pointer).into_owned(),
        }
    }

    /// A diagnostic located at `loc`.
    pub fn diag(&self, code: Code, loc: &Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, &self.files[loc.file.0].path, message)
            .at(self.display_pointer(loc), self.line(loc))
    }

    /// Follows `$ref` objects from `loc` until a node that is not a reference.
    pub fn deref(&self, loc: &Loc) -> Result<Loc, Diagnostic> {
        let mut current = loc.clone();
        let mut seen = vec![current.clone()];
        while let Some(reference) = self.ref_at(&current) {
            let target = self.resolve_ref(&current, reference)?;
            if seen.contains(&target) {
                return Err(self.ref_diag(
                    Code::RefCycle,
                    loc,
                    format!("`$ref` chain loops back to `{reference}` without reaching a value"),
                ));
            }
            seen.push(target.clone());
            current = target;
        }
        if self.get(&current).is_none() {
            return Err(self.diag(Code::UnresolvedRef, loc, "node does not exist"));
        }
        Ok(current)
    }

    /// The `$ref` string of a reference object at `loc`, if it is one.
    pub fn ref_at(&self, loc: &Loc) -> Option<&str> {
        self.get(loc)?.as_object()?.get("$ref")?.as_str()
    }

    /// Resolves one `$ref` written at `at` to the node it names.
    pub fn resolve_ref(&self, at: &Loc, reference: &str) -> Result<Loc, Diagnostic> {
        let target = refs::parse_ref(reference);
        let base = self.files[at.file.0].ref_base;
        let file = match &target.file {
            None => base,
            Some(raw) => match self.ref_files.get(&(base, raw.clone())) {
                Some(id) => *id,
                None => {
                    let path = self.ref_file_path(at, &target).map_err(|d| *d)?;
                    let key = std::fs::canonicalize(&path).unwrap_or(path);
                    *self.by_path.get(&key).ok_or_else(|| {
                        self.ref_diag(Code::UnresolvedRef, at, format!("`$ref: {reference}`: file was not loaded"))
                    })?
                }
            },
        };
        let loc = Loc::new(file, target.pointer.clone());
        if self.get(&loc).is_none() {
            return Err(self.ref_diag(
                Code::UnresolvedRef,
                at,
                format!(
                    "`$ref: {reference}` does not resolve: no node at `{}` in {}",
                    if target.pointer.is_empty() { "/" } else { &target.pointer },
                    self.files[file.0].path.display()
                ),
            ));
        }
        Ok(loc)
    }

    fn ref_file_path(&self, at: &Loc, target: &RefTarget) -> Result<PathBuf, Box<Diagnostic>> {
        let raw = target.file.as_deref().unwrap_or_default();
        if raw.starts_with("http://") || raw.starts_with("https://") {
            for (prefix, local) in self.ref_map.iter().filter(|(p, _)| !p.is_empty()) {
                if raw == prefix {
                    return Ok(local.clone());
                }
                if let Some(rest) = raw.strip_prefix(prefix.as_str()) {
                    return Ok(local.join(rest.trim_start_matches('/')));
                }
            }
            return Err(Box::new(self.ref_diag(
                Code::RemoteRef,
                at,
                format!(
                    "remote `$ref: {raw}` is not fetched (no network at generation time); map it to a local file with `--ref-map {raw}=FILE`"
                ),
            )));
        }
        if raw.contains("://") {
            return Err(Box::new(self.ref_diag(
                Code::Unsupported,
                at,
                format!("`$ref` scheme not supported: {raw}"),
            )));
        }
        let base = self.files[self.files[at.file.0].ref_base.0].path.clone();
        let dir = base.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(dir.join(raw))
    }

    fn load_ref_file(&mut self, at: &Loc, reference: &str) -> Result<(), Diagnostic> {
        let target = refs::parse_ref(reference);
        if target.file.is_none() {
            return Ok(());
        }
        let path = self.ref_file_path(at, &target).map_err(|d| *d)?;
        if !path.is_file() {
            return Err(self.ref_diag(
                Code::UnresolvedRef,
                at,
                format!("`$ref: {reference}`: file {} does not exist", path.display()),
            ));
        }
        let id = self.load_file(&path).map_err(|e| e.0.into_iter().next().expect("one error"))?;
        let base = self.files[at.file.0].ref_base;
        self.ref_files.insert((base, target.file.unwrap_or_default()), id);
        Ok(())
    }

    /// Where a located `$ref` key sits: the `$ref` line of the holding object.
    pub fn ref_diag(&self, code: Code, holder: &Loc, message: impl Into<String>) -> Diagnostic {
        let mut d = self.diag(code, holder, message);
        if let Some(l) = self.line(&holder.child("$ref")) {
            d.line = Some(l);
        }
        d
    }
}

/// Parses YAML or JSON text into a JSON value, with a located syntax error.
pub fn parse_text(path: &Path, text: &str) -> Result<Value> {
    let is_json = path.extension().is_some_and(|e| e == "json");
    if is_json {
        return serde_json::from_str(text).map_err(|e| {
            Diagnostic::new(Code::YamlSyntax, path, format!("invalid JSON: {e}"))
                .at("", Some(e.line()))
                .into()
        });
    }
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        Diagnostic::new(Code::YamlSyntax, path, format!("invalid YAML: {e}")).at("", line)
    })?;
    yaml_to_json(yaml).map_err(|m| Diagnostic::new(Code::YamlSyntax, path, m).into())
}

/// Converts a YAML value to JSON, keeping mapping order and turning scalar keys into strings.
fn yaml_to_json(v: serde_yaml_ng::Value) -> std::result::Result<Value, String> {
    use serde_yaml_ng::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_u64() {
                Value::from(i)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("number {f} cannot be represented in JSON"))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect::<std::result::Result<_, _>>()?),
        Y::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => String::from("null"),
                    other => return Err(format!("unsupported mapping key: {other:?}")),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value)?,
    })
}
