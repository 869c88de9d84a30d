//! One detected change and how it is classified.

use serde::Serialize;

/// How a change affects the users of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    /// Existing senders or receivers stop working: a major version.
    Breaking,
    /// Everything that worked still works: a minor version.
    Compatible,
    /// Descriptions and examples only: a patch.
    Docs,
}

/// Who is affected when a schema changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Impact {
    /// Breaks whoever reads the message (it is sent by the application).
    Readers,
    /// Breaks whoever writes the message (it is received by the application).
    Writers,
    /// Breaks readers and writers.
    Both,
    /// Breaks no one.
    Neither,
    /// Documentation only.
    Docs,
}

/// Which way a message travels, from the document's application's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Direction {
    pub sent: bool,
    pub received: bool,
}

impl Impact {
    pub fn breaks_readers(self) -> bool {
        matches!(self, Impact::Readers | Impact::Both)
    }

    pub fn breaks_writers(self) -> bool {
        matches!(self, Impact::Writers | Impact::Both)
    }

    pub fn classify(self, dir: Direction) -> Classification {
        match self {
            Impact::Docs => Classification::Docs,
            Impact::Both => Classification::Breaking,
            Impact::Neither => Classification::Compatible,
            Impact::Readers if dir.sent => Classification::Breaking,
            Impact::Writers if dir.received => Classification::Breaking,
            _ => Classification::Compatible,
        }
    }
}

/// One difference between two versions of a document.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The document's module name.
    pub document: String,
    /// JSON pointer of what changed, in the new document (the old one for removals).
    pub path: String,
    /// A stable kebab-case kind, e.g. `field-removed`, `kafka-key-changed`.
    pub kind: &'static str,
    /// What it means for users.
    pub classification: Classification,
    /// What changed, for a person.
    pub reason: String,
    /// Other places the same change shows up (a shared schema).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// A breaking change the allow-list accepts.
    pub accepted: bool,
    /// The allow-list's reason, when accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_reason: Option<String>,
    #[serde(skip)]
    pub(crate) impact: Impact,
    /// Identity for de-duplication: the schema nodes where the change sits.
    #[serde(skip)]
    pub(crate) identity: String,
    /// The channel it belongs to, for per-topic compatibility.
    #[serde(skip)]
    pub(crate) channel: Option<String>,
}
