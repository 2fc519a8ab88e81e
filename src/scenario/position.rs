//! Where each field of a YAML document is: a map from field path
//! (`job.operators[1].parallelism`) to line and column, so that errors found after
//! parsing (an undefined operator, a cycle, a size too large) can point at the text.

use std::collections::BTreeMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column in a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The position of every node in a document, by field path.
#[derive(Debug, Default)]
pub struct PositionIndex {
    nodes: BTreeMap<String, Position>,
    /// Keys written twice in one mapping, at their second occurrence: serde reports
    /// a duplicate at the start of the mapping, which may be far from it.
    duplicates: BTreeMap<String, Position>,
    /// Whether the text is well-formed YAML.
    well_formed: bool,
}

impl PositionIndex {
    /// Indexes `text`. A document that does not parse gives an empty index: the
    /// parse error itself carries its position.
    pub fn build(text: &str) -> Self {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut builder, false).is_err() {
            return Self::default();
        }
        Self {
            nodes: builder.nodes,
            duplicates: builder.duplicates,
            well_formed: true,
        }
    }

    /// Whether the text parsed as YAML; when not, the index is empty.
    pub fn is_well_formed(&self) -> bool {
        self.well_formed
    }

    /// Where the key at `path` is written a second time in its mapping, if it is.
    pub fn duplicate(&self, path: &str) -> Option<Position> {
        self.duplicates.get(path).copied()
    }

    /// The position of the node at `path`, or of its nearest indexed ancestor.
    pub fn find(&self, path: &str) -> Position {
        let mut path = path;
        loop {
            if let Some(position) = self.nodes.get(path) {
                return *position;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return self.nodes.get("").copied().unwrap_or(Position { line: 1, column: 1 }),
            }
        }
    }
}

/// Deepest nesting whose nodes are indexed, far below any scenario field. Each path
/// holds all its ancestors' keys, so indexing arbitrarily deep documents would cost
/// the square of their depth; deeper nodes are found at their indexed ancestor.
const MAX_INDEXED_DEPTH: usize = 64;

enum Frame {
    Map {
        path: String,
        key: Option<String>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// A mapping or list nested deeper than is indexed.
    Unindexed,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    nodes: BTreeMap<String, Position>,
    duplicates: BTreeMap<String, Position>,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl Builder {
    /// The path of a node starting now, or None when the node is a mapping key.
    fn node_path(&mut self, event: &Event, position: Position) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Unindexed) => None,
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                Some(p)
            }
            Some(Frame::Map { path, key }) => match key.take() {
                Some(k) => Some(join(path, &k)),
                None => {
                    // A block mapping's own mark lies after its first key; its first
                    // key is where a reader looks for it.
                    self.nodes.entry(path.clone()).or_insert(position);
                    if let Event::Scalar(text, ..) = event {
                        // The first value of this key is indexed already if it is a repeat.
                        let key_path = join(path, text);
                        if self.nodes.contains_key(&key_path) {
                            self.duplicates.entry(key_path).or_insert(position);
                        }
                        *key = Some(text.clone());
                    } else {
                        *key = Some(String::from("?"));
                    }
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let position = Position {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match event {
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::MappingStart(..) | Event::SequenceStart(..)
                if self.stack.len() >= MAX_INDEXED_DEPTH || matches!(self.stack.last(), Some(Frame::Unindexed)) =>
            {
                // Keeps a mapping parent's key/value alternation in step.
                self.node_path(&event, position);
                self.stack.push(Frame::Unindexed);
            }
            Event::Scalar(..) | Event::Alias(..) | Event::MappingStart(..) | Event::SequenceStart(..) => {
                let Some(path) = self.node_path(&event, position) else {
                    // A container used as a mapping key still has an end to pop.
                    if matches!(event, Event::MappingStart(..) | Event::SequenceStart(..)) {
                        self.stack.push(Frame::Unindexed);
                    }
                    return;
                };
                if !matches!(event, Event::MappingStart(..)) {
                    self.nodes.entry(path.clone()).or_insert(position);
                }
                match event {
                    Event::MappingStart(..) => self.stack.push(Frame::Map { path, key: None }),
                    Event::SequenceStart(..) => self.stack.push(Frame::Seq { path, next: 0 }),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_fields_and_list_items() {
        let text =
            "name: x\njob:\n  operators:\n    - name: a\n      parallelism: 2\n    - name: b\n      parallelism: 3\n";
        let index = PositionIndex::build(text);
        assert_eq!(index.find("name"), Position { line: 1, column: 7 });
        assert_eq!(
            index.find("job.operators[1].parallelism"),
            Position { line: 7, column: 20 }
        );
        assert_eq!(index.find("job.operators[1]"), Position { line: 6, column: 7 });
        // A missing field points at its nearest ancestor.
        assert_eq!(index.find("job.operators[1].rate"), Position { line: 6, column: 7 });
    }

    #[test]
    fn repeated_keys_are_found_at_their_second_occurrence() {
        let index = PositionIndex::build("a: 1\nb:\n  c: 2\n  c: 3\n");
        assert_eq!(index.duplicate("b.c"), Some(Position { line: 4, column: 3 }));
        assert_eq!(index.duplicate("a"), None);
        assert!(index.is_well_formed());
        assert!(!PositionIndex::build("a: [\n").is_well_formed());
    }

    #[test]
    fn flow_style_is_indexed_too() {
        let index = PositionIndex::build("edges: [{from: a, to: b}]\n");
        assert_eq!(index.find("edges[0].to").line, 1);
        assert_eq!(index.find("edges[0].to").column, 23);
    }
}
