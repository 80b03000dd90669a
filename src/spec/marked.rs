//! A YAML document as a tree whose every node remembers where it was written.
//!
//! serde_yaml only reports positions of syntax errors, not of the nested value that broke
//! a rule, so specs are first read into this tree with yaml-rust2's marked events; the
//! validator points at nodes, and [`Node::to_value`] hands the same data to serde.

use std::collections::HashMap;

use xvr_contract::trial::value_text;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// 1-based line and column of a node's first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn from_marker(m: Marker) -> Self {
        Pos {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

/// One YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar and whether it was written plain (unquoted), which decides whether `3`
    /// is a number or a string.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Keys in file order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The key text of a scalar node (keys are always read as text).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// What kind of YAML this is, for error messages ("a list", "a mapping", ...).
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Map(_) => "a mapping".into(),
            NodeKind::Seq(_) => "a list".into(),
            NodeKind::Scalar { .. } => format!("`{}`", self.to_value_text()),
        }
    }

    /// The value as compact YAML text, for quoting it in messages.
    pub fn to_value_text(&self) -> String {
        value_text(&self.to_value())
    }

    /// Converts to a serde_yaml value with YAML 1.2 core-schema scalar resolution
    /// (plain `3` → integer, `2e-4` → float, `true` → bool, `~`/`null`/empty → null).
    pub fn to_value(&self) -> serde_yaml::Value {
        use serde_yaml::Value;
        match &self.kind {
            NodeKind::Scalar { text, plain: false } => Value::String(text.clone()),
            NodeKind::Scalar { text, plain: true } => resolve_plain_scalar(text),
            NodeKind::Seq(items) => Value::Sequence(items.iter().map(Node::to_value).collect()),
            NodeKind::Map(entries) => Value::Mapping(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_value(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

fn resolve_plain_scalar(text: &str) -> serde_yaml::Value {
    use serde_yaml::Value;
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::from(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::from(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::from(f64::NAN),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    if let Ok(u) = text.parse::<u64>() {
        return Value::from(u);
    }
    // Rust also parses `inf` and `nan`; YAML spells those with a dot, so require a digit.
    if text.bytes().any(|b| b.is_ascii_digit()) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::from(f);
        }
    }
    Value::String(text.to_string())
}

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Parses one YAML document into a marked tree. An empty document is an empty mapping; a
/// second document (after `---`) is an error rather than silently ignored.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = TreeBuilder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| SyntaxError {
        pos: Pos::from_marker(*e.marker()),
        message: e.info().to_string(),
    })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.root.unwrap_or(Node {
        pos: Pos { line: 1, column: 1 },
        kind: NodeKind::Map(vec![]),
    }))
}

/// Collects marked events into nodes. Anchors are remembered and aliases copy the anchored
/// node, so `*base` behaves as if written out.
#[derive(Default)]
struct TreeBuilder {
    /// Open sequences/mappings with their anchor id; mappings hold a pending key.
    stack: Vec<(Node, usize, Option<Node>)>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    error: Option<SyntaxError>,
    documents: usize,
}

impl TreeBuilder {
    fn push_complete(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some((parent, _, pending_key)) => match &mut parent.kind {
                NodeKind::Seq(items) => items.push(node),
                NodeKind::Map(entries) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(key) => entries.push((key, node)),
                },
                NodeKind::Scalar { .. } => unreachable!("scalars are never pushed on the stack"),
            },
        }
    }
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::from_marker(mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == TScalarStyle::Plain;
                self.push_complete(
                    Node {
                        pos,
                        kind: NodeKind::Scalar { text, plain },
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push((
                Node {
                    pos,
                    kind: NodeKind::Seq(vec![]),
                },
                anchor,
                None,
            )),
            Event::MappingStart(anchor, _) => self.stack.push((
                Node {
                    pos,
                    kind: NodeKind::Map(vec![]),
                },
                anchor,
                None,
            )),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, anchor, _)) = self.stack.pop() {
                    self.push_complete(node, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(mut node) => {
                    node.pos = pos;
                    self.push_complete(node, 0);
                }
                None => {
                    self.error.get_or_insert(SyntaxError {
                        pos,
                        message: "unknown alias".into(),
                    });
                }
            },
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.error.get_or_insert(SyntaxError {
                        pos,
                        message: "a second YAML document; a spec is one document (remove the `---` line and what follows, or merge it into the first)".into(),
                    });
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_values_keep_their_line_and_column() {
        let doc = parse("a:\n  b: [1, 2]\n  c: 'x'\n").unwrap();
        let (k, v) = &doc.as_map().unwrap()[0];
        assert_eq!(k.as_str(), Some("a"));
        let inner = v.as_map().unwrap();
        assert_eq!(inner[0].1.pos, Pos { line: 2, column: 6 });
        assert_eq!(
            inner[0].1.as_seq().unwrap()[1].pos,
            Pos {
                line: 2,
                column: 10
            }
        );
        assert_eq!(inner[1].1.pos, Pos { line: 3, column: 6 });
    }

    #[test]
    fn plain_scalars_resolve_like_yaml_core_schema_and_quoted_stay_text() {
        let doc = parse("[3, 2.0e-4, true, ~, abc, '3', .inf, nan]").unwrap();
        let v = doc.to_value();
        let s = v.as_sequence().unwrap();
        assert_eq!(s[0].as_i64(), Some(3));
        assert_eq!(s[1].as_f64(), Some(2.0e-4));
        assert_eq!(s[2].as_bool(), Some(true));
        assert!(s[3].is_null());
        assert_eq!(s[4].as_str(), Some("abc"));
        assert_eq!(s[5].as_str(), Some("3"));
        assert_eq!(s[6].as_f64(), Some(f64::INFINITY));
        assert_eq!(s[7].as_str(), Some("nan"));
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        let doc = parse("a: &d [2, 2]\nb: *d\n").unwrap();
        let m = doc.as_map().unwrap();
        assert_eq!(m[0].1.to_value(), m[1].1.to_value());
        assert_eq!(m[1].1.pos.line, 2);
    }

    #[test]
    fn a_second_document_is_an_error_at_its_start() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.pos.line, 2, "{err:?}");
        assert!(err.message.contains("second YAML document"), "{err:?}");
        assert!(parse("---\na: 1\n").is_ok());
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1, "{err:?}");
        assert!(!err.message.is_empty());
    }
}
