//! Turning wire names into Rust identifiers, and keeping them unique.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
    "union", "macro_rules", "raw",
];

/// Keeps ASCII letters, digits and word breaks, so heck sees the words.
fn words(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect::<String>()
}

/// A type or variant name: `UpperCamelCase`, never a keyword, never starting with a digit.
pub fn type_name(raw: &str) -> String {
    let mut name = words(&deaccent(raw)).to_upper_camel_case();
    if name.is_empty() {
        name = String::from("Empty");
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// A field, module or function name: `snake_case`, never a keyword, never starting with a digit.
pub fn field_name(raw: &str) -> String {
    let mut name = words(&deaccent(raw)).to_snake_case();
    if name.is_empty() {
        name = String::from("field");
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// Replaces common accented letters by their base letter, dropping other non-ASCII.
fn deaccent(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            c => c,
        })
        .collect()
}

/// Hands out names unique within one scope, deterministically (`Name`, `Name2`, `Name3`, ...).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Scope {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn claim(&mut self, wanted: &str) -> String {
        if self.taken.insert(wanted.to_string()) {
            return wanted.to_string();
        }
        let sep = if wanted.ends_with(|c: char| c.is_ascii_digit()) { "_" } else { "" };
        (2..)
            .map(|n| format!("{wanted}{sep}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("an unused name exists")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitises_type_names() {
        let table = [
            ("soundInfo", "SoundInfo"),
            ("sound_info", "SoundInfo"),
            ("agent-assist", "AgentAssist"),
            ("123abc", "V123abc"),
            ("", "Empty"),
            ("@type", "Type"),
            ("Self", "Self_"),
            ("naïve", "Naive"),
            ("ERR_CODE_01", "ErrCode01"),
            ("in-progress", "InProgress"),
        ];
        for (raw, want) in table {
            assert_eq!(type_name(raw), want, "{raw}");
        }
    }

    #[test]
    fn sanitises_field_names() {
        let table = [
            ("latestSeqId", "latest_seq_id"),
            ("user_sentiment", "user_sentiment"),
            ("type", "type_"),
            ("self", "self_"),
            ("Self", "self_"),
            ("match", "match_"),
            ("123abc", "_123abc"),
            ("foo-bar", "foo_bar"),
            ("foo.bar", "foo_bar"),
            ("@type", "type_"),
            ("", "field"),
            ("UPPER", "upper"),
            ("r#raw", "r_raw"),
        ];
        for (raw, want) in table {
            assert_eq!(field_name(raw), want, "{raw}");
        }
    }

    #[test]
    fn scope_is_deterministic() {
        let mut s = Scope::with_reserved(&["Other"]);
        assert_eq!(s.claim("Other"), "Other2");
        assert_eq!(s.claim("Foo"), "Foo");
        assert_eq!(s.claim("Foo"), "Foo2");
        assert_eq!(s.claim("V1"), "V1");
        assert_eq!(s.claim("V1"), "V1_2");
    }
}
