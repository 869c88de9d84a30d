//! `diff`: what changed between two versions of a spec set, and whom it breaks.

mod change;
mod compare;
mod git;
mod render;
mod shape;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use change::{Change, Classification};
use compare::{Comparer, Side};
pub use render::{json, markdown, text};

use crate::diag::{Code, Diagnostic, Result};
use crate::{load, IrOptions, LoadOptions};

/// Compatibility of one Kafka topic in schema-registry terms.
#[derive(Debug, Clone, Serialize)]
pub struct TopicCompatibility {
    /// The topic name.
    pub topic: String,
    /// New readers can read old records.
    pub backward: bool,
    /// Old readers can read new records.
    pub forward: bool,
    /// Both.
    pub full: bool,
}

/// Counts and verdicts over all changes.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Breaking changes, accepted ones included.
    pub breaking: usize,
    /// Compatible changes.
    pub compatible: usize,
    /// Documentation-only changes.
    pub docs: usize,
    /// Breaking changes accepted by the allow-list (still listed).
    pub accepted: usize,
    /// Suggested version bump: `major`, `minor`, `patch` or `none`.
    pub bump: &'static str,
    /// Per Kafka topic, in schema-registry terms.
    pub kafka: Vec<TopicCompatibility>,
}

/// What `diff` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every change, most severe first.
    pub changes: Vec<Change>,
    /// Counts and verdicts.
    pub summary: Summary,
}

impl Report {
    /// Breaking changes not accepted by the allow-list.
    pub fn fails(&self) -> bool {
        self.changes.iter().any(|c| c.classification == Classification::Breaking && !c.accepted)
    }
}

/// One accepted break: a path (and optionally a kind), with the reason it is acceptable.
#[derive(Debug, Clone, Deserialize)]
pub struct Allowed {
    /// The change's path.
    pub path: String,
    /// The change's kind; any kind at that path when absent.
    #[serde(default)]
    pub kind: Option<String>,
    /// Why the break is acceptable.
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
struct AllowFile {
    accept: Vec<Allowed>,
}

/// Reads an allow-list file (`accept: [{path, kind?, reason}]`, YAML or JSON).
pub fn read_allow_list(path: &Path) -> Result<Vec<Allowed>> {
    let text = std::fs::read_to_string(path).map_err(|e| Diagnostic::new(Code::Io, path, format!("cannot read allow-list: {e}")))?;
    let value = crate::load::parse_text(path, &text)?;
    let file: AllowFile = serde_json::from_value(value)
        .map_err(|e| Diagnostic::new(Code::InvalidValue, path, format!("allow-list must be `accept: [{{path, kind?, reason}}]`: {e}")))?;
    Ok(file.accept)
}

/// Resolves `REV:path` inputs into files under `scratch`.
fn inputs(raw: &[String], scratch: &Path, side: &str) -> Result<Vec<PathBuf>> {
    raw.iter()
        .enumerate()
        .map(|(i, r)| match git::split(r) {
            Some((rev, path)) => git::materialise(rev, path, &scratch.join(format!("{side}{i}"))),
            None => Ok(PathBuf::from(r)),
        })
        .collect()
}

/// Compares two spec sets (files, directories or `REV:path`).
pub fn diff(old: &[String], new: &[String], allow: &[Allowed]) -> Result<Report> {
    let scratch = tempfile::tempdir().map_err(|e| Diagnostic::new(Code::Io, ".", format!("cannot create a temp dir: {e}")))?;
    let old_side = load(&inputs(old, scratch.path(), "old")?, &LoadOptions::default(), &IrOptions::default())?;
    let new_side = load(&inputs(new, scratch.path(), "new")?, &LoadOptions::default(), &IrOptions::default())?;
    let (old_set, old_ir) = (&old_side.set, &old_side.ir);
    let (new_set, new_ir) = (&new_side.set, &new_side.ir);
    let mut changes = Vec::new();
    let single = old_ir.documents.len() == 1 && new_ir.documents.len() == 1;
    let file_name = |d: &crate::ir::IrDocument| d.source.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
    for (nd, ns) in new_ir.documents.iter().zip(&new_side.specs) {
        let oi = if single { Some(0) } else { old_ir.documents.iter().position(|o| file_name(o) == file_name(nd)) };
        match oi {
            Some(oi) => {
                let old = Side { set: old_set, doc: &old_ir.documents[oi], spec: &old_side.specs[oi] };
                let mut c = Comparer::new(old, Side { set: new_set, doc: nd, spec: ns });
                c.run();
                changes.extend(compare::dedupe(c.changes));
            }
            None => changes.push(document_change(nd, "document-added", Classification::Compatible)),
        }
    }
    if !single {
        for od in old_ir.documents.iter().filter(|o| !new_ir.documents.iter().any(|n| file_name(n) == file_name(o))) {
            changes.push(document_change(od, "document-removed", Classification::Breaking));
        }
    }
    for c in &mut changes {
        if c.classification != Classification::Breaking {
            continue;
        }
        if let Some(a) = allow.iter().find(|a| a.path == c.path && a.kind.as_deref().is_none_or(|k| k == c.kind)) {
            c.accepted = true;
            c.accepted_reason = Some(a.reason.clone());
        }
    }
    let kafka = kafka_compatibility(new_ir, old_ir, &changes);
    let count = |k: Classification| changes.iter().filter(|c| c.classification == k).count();
    let (breaking, compatible, docs) = (count(Classification::Breaking), count(Classification::Compatible), count(Classification::Docs));
    let summary = Summary {
        breaking,
        compatible,
        docs,
        accepted: changes.iter().filter(|c| c.accepted).count(),
        bump: if breaking > 0 {
            "major"
        } else if compatible > 0 {
            "minor"
        } else if docs > 0 {
            "patch"
        } else {
            "none"
        },
        kafka,
    };
    Ok(Report { changes, summary })
}

fn document_change(d: &crate::ir::IrDocument, kind: &'static str, classification: Classification) -> Change {
    Change {
        document: d.module.clone(),
        path: String::from("/"),
        kind,
        classification,
        reason: format!("document `{}` ({})", d.outline.info.title, d.source.display()),
        also: Vec::new(),
        accepted: false,
        accepted_reason: None,
        impact: if classification == Classification::Breaking { change::Impact::Both } else { change::Impact::Neither },
        identity: String::new(),
        channel: None,
    }
}

/// Per Kafka topic: FORWARD when no change breaks old readers, BACKWARD when none breaks new readers of old data.
fn kafka_compatibility(new: &crate::ir::Ir, old: &crate::ir::Ir, changes: &[Change]) -> Vec<TopicCompatibility> {
    let mut topics: BTreeMap<String, (String, String)> = BTreeMap::new();
    for ir in [new, old] {
        for d in &ir.documents {
            for c in &d.outline.channels {
                if let Some(topic) = &c.topic {
                    topics.entry(topic.to_string()).or_insert_with(|| (d.module.clone(), c.key.clone()));
                }
            }
        }
    }
    topics
        .into_iter()
        .map(|(topic, (document, channel))| {
            let here: Vec<&Change> = changes.iter().filter(|c| c.document == document && c.channel.as_deref() == Some(channel.as_str())).collect();
            let forward = !here.iter().any(|c| c.impact.breaks_readers());
            let backward = !here.iter().any(|c| c.impact.breaks_writers());
            TopicCompatibility { topic, backward, forward, full: backward && forward }
        })
        .collect()
}
