//! One detected change and how it is classified.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    Breaking,
    Compatible,
    Docs,
}

/// Who is affected when a schema changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impact {
    /// Breaks whoever reads the message (it is sent by the application).
    Readers,
    /// Breaks whoever writes the message (it is received by the application).
    Writers,
    Both,
    Neither,
    /// Documentation only.
    Docs,
}

/// Which way a message travels, from the document's application's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Direction {
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

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub document: String,
    pub path: String,
    pub kind: &'static str,
    pub classification: Classification,
    pub reason: String,
    /// Other places the same change shows up (a shared schema).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    pub accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_reason: Option<String>,
    #[serde(skip)]
    pub impact: Impact,
    /// Identity for de-duplication: the schema nodes where the change sits.
    #[serde(skip)]
    pub identity: String,
    /// The channel it belongs to, for per-topic compatibility.
    #[serde(skip)]
    pub channel: Option<String>,
}
