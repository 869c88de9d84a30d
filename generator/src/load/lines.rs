//! Maps JSON pointers to source lines by replaying the YAML event stream.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diag::child;

enum Frame {
    Mapping {
        pointer: String,
        key: Option<String>,
    },
    Sequence {
        pointer: String,
        index: usize,
    },
}

#[derive(Default)]
struct Indexer {
    stack: Vec<Frame>,
    lines: HashMap<String, usize>,
}

impl Indexer {
    /// Pointer of the next value in the current container, consuming its slot.
    fn next_value_pointer(&mut self, line: usize) -> String {
        match self.stack.last_mut() {
            None => {
                self.lines.entry(String::new()).or_insert(line);
                String::new()
            }
            Some(Frame::Mapping { pointer, key }) => {
                let k = key.take().unwrap_or_default();
                child(pointer, &k)
            }
            Some(Frame::Sequence { pointer, index }) => {
                let p = child(pointer, &index.to_string());
                *index += 1;
                self.lines.entry(p.clone()).or_insert(line);
                p
            }
        }
    }

    /// True when the current container is a mapping waiting for a key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Mapping { key: None, .. }))
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        match ev {
            Event::Scalar(value, ..) => {
                if self.expects_key() {
                    if let Some(Frame::Mapping { pointer, key }) = self.stack.last_mut() {
                        self.lines.entry(child(pointer, &value)).or_insert(line);
                        *key = Some(value);
                    }
                } else {
                    self.next_value_pointer(line);
                }
            }
            Event::Alias(_) => {
                if self.expects_key() {
                    if let Some(Frame::Mapping { key, .. }) = self.stack.last_mut() {
                        *key = Some(String::from("*alias"));
                    }
                } else {
                    self.next_value_pointer(line);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let pointer = if self.expects_key() {
                    // Complex keys cannot be addressed by a JSON pointer.
                    String::from("/?")
                } else {
                    self.next_value_pointer(line)
                };
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Mapping { pointer, key: None }
                } else {
                    Frame::Sequence { pointer, index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// Returns pointer → 1-based line for every node of a YAML (or JSON) text.
/// Parse failures yield an empty map: the caller reports syntax errors itself.
pub fn index_lines(text: &str) -> HashMap<String, usize> {
    let mut indexer = Indexer::default();
    let mut parser = Parser::new_from_str(text);
    if parser.load(&mut indexer, false).is_err() {
        return HashMap::new();
    }
    indexer.lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys_items_and_nested_maps() {
        let text = "a: 1\nb:\n  c: x\n  d:\n    - p\n    - q: 2\n";
        let lines = index_lines(text);
        assert_eq!(lines[""], 1);
        assert_eq!(lines["/a"], 1);
        assert_eq!(lines["/b"], 2);
        assert_eq!(lines["/b/c"], 3);
        assert_eq!(lines["/b/d"], 4);
        assert_eq!(lines["/b/d/0"], 5);
        assert_eq!(lines["/b/d/1"], 6);
        assert_eq!(lines["/b/d/1/q"], 6);
    }

    #[test]
    fn escapes_pointer_segments() {
        let lines = index_lines("'a/b':\n  '~c': 1\n");
        assert_eq!(lines["/a~1b/~0c"], 2);
    }

    #[test]
    fn json_is_indexed_too() {
        let lines = index_lines("{\n \"a\": {\n  \"b\": [1,\n 2]\n }\n}\n");
        assert_eq!(lines["/a"], 2);
        assert_eq!(lines["/a/b"], 3);
        assert_eq!(lines["/a/b/1"], 4);
    }
}
