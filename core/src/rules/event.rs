//! The event as the rules see it: the values at the key paths a ruleset reads, taken from the
//! event in one pass.
//!
//! At compile time every key path of the ruleset goes into a [`KeyTree`]. Flattening an event
//! walks its JSON once, descending only into fields some path names and skipping everything else
//! without building it (bodies of other fields, signatures, `unsigned`, …). The same walk serves
//! JSON text ([`Flattened::from_json`], no intermediate tree, strings borrowed when they have no
//! escapes) and an already parsed [`serde_json::Value`] ([`Flattened::from_value`]).
//! serde_json's nesting limit applies to the whole document, skipped parts included, so hostile
//! nesting is an error rather than a stack overflow.

use super::path::KeyPath;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// What a rule can see of one event field.
#[derive(Clone, Debug, PartialEq)]
pub enum Field<'e> {
    String(Cow<'e, str>),
    Integer(i64),
    Bool(bool),
    Null,
    /// An array's elements; nested arrays and objects inside it show as [`Field::Other`] /
    /// [`Field::Object`].
    Array(Vec<Field<'e>>),
    /// An object (its named fields, if any rule reads them, have slots of their own).
    Object,
    /// A float or an integer outside `i64`: never equal to anything a rule compares with.
    Other,
}

impl Field<'_> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::String(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::String(s) => write!(f, "{:?}", s.as_ref()),
            Field::Integer(i) => write!(f, "{i}"),
            Field::Bool(b) => write!(f, "{b}"),
            Field::Null => f.write_str("null"),
            Field::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Field::Object => f.write_str("an object"),
            Field::Other => f.write_str("a number out of range"),
        }
    }
}

/// Why an event's JSON could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The text is not JSON; the parser's message.
    #[error("the event is not valid JSON: {0}")]
    Json(String),
    /// The JSON is not an object.
    #[error("an event must be a JSON object")]
    NotAnObject,
}

/// Every key path a ruleset reads, as a tree of field names; each path ends at a slot.
#[derive(Clone, Debug, Default)]
pub struct KeyTree {
    nodes: Vec<Node>,
    names: Vec<String>,
    by_name: HashMap<String, usize>,
}

#[derive(Clone, Debug, Default)]
struct Node {
    /// Few children per node, so a list beats a hash map.
    children: Vec<(Box<str>, usize)>,
    slot: Option<usize>,
}

impl KeyTree {
    pub fn new() -> KeyTree {
        KeyTree {
            nodes: vec![Node::default()],
            ..KeyTree::default()
        }
    }

    /// The slot for a key path (`content.m\.mentions`), added on first use.
    pub fn slot(&mut self, key: &str) -> usize {
        if let Some(slot) = self.by_name.get(key) {
            return *slot;
        }
        let mut node = 0;
        for segment in KeyPath::parse(key).segments() {
            node = match self.nodes[node]
                .children
                .iter()
                .find(|(name, _)| **name == **segment)
            {
                Some((_, child)) => *child,
                None => {
                    self.nodes.push(Node::default());
                    let child = self.nodes.len() - 1;
                    self.nodes[node].children.push((segment.as_str().into(), child));
                    child
                }
            };
        }
        let slot = self.names.len();
        self.nodes[node].slot = Some(slot);
        self.names.push(key.to_owned());
        self.by_name.insert(key.to_owned(), slot);
        slot
    }

    /// The key path of a slot as the rules wrote it.
    pub fn name(&self, slot: usize) -> &str {
        &self.names[slot]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    fn child(&self, node: usize, name: &str) -> Option<usize> {
        self.nodes[node]
            .children
            .iter()
            .find(|(child, _)| **child == *name)
            .map(|(_, index)| *index)
    }
}

/// One event's fields, by slot.
#[derive(Debug)]
pub struct Flattened<'e> {
    pub fields: Vec<Option<Field<'e>>>,
}

impl<'e> Flattened<'e> {
    /// Reads the fields from JSON text in one pass, without building the event.
    pub fn from_json(tree: &KeyTree, json: &'e str) -> Result<Flattened<'e>, EventError> {
        if !json.trim_start().starts_with('{') {
            return match serde_json::from_str::<IgnoredAny>(json) {
                Ok(_) => Err(EventError::NotAnObject),
                Err(e) => Err(EventError::Json(e.to_string())),
            };
        }
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let fields = Self::read(tree, &mut deserializer)
            .and_then(|fields| deserializer.end().map(|()| fields))
            .map_err(|e| EventError::Json(e.to_string()))?;
        Ok(Flattened { fields })
    }

    /// Reads the fields from a parsed event. A non-object event has no fields.
    pub fn from_value(tree: &KeyTree, event: &'e Value) -> Flattened<'e> {
        let fields = match event.is_object() {
            true => Self::read(tree, event).unwrap_or_else(|_| vec![None; tree.len()]),
            false => vec![None; tree.len()],
        };
        Flattened { fields }
    }

    fn read<D: Deserializer<'e>>(
        tree: &KeyTree,
        deserializer: D,
    ) -> Result<Vec<Option<Field<'e>>>, D::Error> {
        let mut fields = vec![None; tree.len()];
        deserializer.deserialize_any(NodeSeed {
            tree,
            node: 0,
            fields: &mut fields,
        })?;
        Ok(fields)
    }
}

/// Walks one JSON value at a node of the key tree.
struct NodeSeed<'t, 'f, 'e> {
    tree: &'t KeyTree,
    node: usize,
    fields: &'f mut Vec<Option<Field<'e>>>,
}

impl NodeSeed<'_, '_, '_> {
    fn slot(&self) -> Option<usize> {
        self.tree.nodes[self.node].slot
    }
}

impl<'e> DeserializeSeed<'e> for NodeSeed<'_, '_, 'e> {
    type Value = ();
    fn deserialize<D: Deserializer<'e>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'e> NodeSeed<'_, '_, 'e> {
    fn record<E: de::Error>(self, field: Field<'e>) -> Result<(), E> {
        if let Some(slot) = self.slot() {
            self.fields[slot] = Some(field);
        }
        Ok(())
    }
}

impl<'e> Visitor<'e> for NodeSeed<'_, '_, 'e> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'e>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(child) = map.next_key_seed(ChildSeed {
            tree: self.tree,
            node: self.node,
        })? {
            match child {
                Some(node) => map.next_value_seed(NodeSeed {
                    tree: self.tree,
                    node,
                    fields: self.fields,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Some(slot) = self.slot() {
            self.fields[slot] = Some(Field::Object);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'e>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.slot().is_none() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ElementSeed)? {
            items.push(item);
        }
        self.record(Field::Array(items))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'e str) -> Result<(), E> {
        self.record(Field::String(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.record(Field::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.record(Field::String(Cow::Owned(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.record(Field::Integer(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.record(i64::try_from(v).map_or(Field::Other, Field::Integer))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.record(Field::Other)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.record(Field::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.record(Field::Null)
    }
}

/// Resolves a map key to the child node it names, without allocating.
struct ChildSeed<'t> {
    tree: &'t KeyTree,
    node: usize,
}

impl<'e> DeserializeSeed<'e> for ChildSeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'e>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'e> Visitor<'e> for ChildSeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.tree.child(self.node, v))
    }
}

/// One array element: kept if it is a scalar, otherwise only its sort.
struct ElementSeed;

impl<'e> DeserializeSeed<'e> for ElementSeed {
    type Value = Field<'e>;
    fn deserialize<D: Deserializer<'e>>(self, deserializer: D) -> Result<Field<'e>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'e> Visitor<'e> for ElementSeed {
    type Value = Field<'e>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'e>>(self, mut map: A) -> Result<Field<'e>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Object)
    }
    fn visit_seq<A: SeqAccess<'e>>(self, mut seq: A) -> Result<Field<'e>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'e str) -> Result<Field<'e>, E> {
        Ok(Field::String(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field<'e>, E> {
        Ok(Field::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Field<'e>, E> {
        Ok(Field::String(Cow::Owned(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Field<'e>, E> {
        Ok(Field::Integer(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Field<'e>, E> {
        Ok(i64::try_from(v).map_or(Field::Other, Field::Integer))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Field<'e>, E> {
        Ok(Field::Other)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Field<'e>, E> {
        Ok(Field::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Field<'e>, E> {
        Ok(Field::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree(keys: &[&str]) -> KeyTree {
        let mut tree = KeyTree::new();
        for key in keys {
            tree.slot(key);
        }
        tree
    }

    #[test]
    fn reads_only_named_fields_from_text_and_values_alike() {
        let tree = tree(&[
            "type",
            "content.body",
            r"content.m\.mentions",
            r"content.m\.mentions.user_ids",
            r"content.m\x",
            "content.n",
            "content.big",
            "content.list",
            "missing.field",
        ]);
        let event = json!({
            "type": "m.room.message",
            "content": {"body": "hi \"there\"", "m.mentions": {"user_ids": ["@a:x", 3, [1], {"b": 1}]},
                        "m\\x": true, "n": null, "big": 1.5, "list": [1, "two", null], "other": {"deep": [1, 2]}},
            "unsigned": {"age": 5}
        });
        let text = event.to_string();
        let from_text = Flattened::from_json(&tree, &text).unwrap();
        let from_value = Flattened::from_value(&tree, &event);
        assert_eq!(from_text.fields, from_value.fields);
        let f = &from_text.fields;
        assert_eq!(f[0], Some(Field::String("m.room.message".into())));
        assert_eq!(f[1], Some(Field::String("hi \"there\"".into())));
        assert_eq!(f[2], Some(Field::Object));
        assert_eq!(
            f[3],
            Some(Field::Array(vec![
                Field::String("@a:x".into()),
                Field::Integer(3),
                Field::Other,
                Field::Object
            ]))
        );
        assert_eq!(f[4], Some(Field::Bool(true)));
        assert_eq!(f[5], Some(Field::Null));
        assert_eq!(f[6], Some(Field::Other));
        assert_eq!(
            f[7],
            Some(Field::Array(vec![
                Field::Integer(1),
                Field::String("two".into()),
                Field::Null
            ]))
        );
        assert_eq!(f[8], None);
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let tree = tree(&["content.body"]);
        let text = r#"{"content": {"body": "plain"}}"#;
        let flattened = Flattened::from_json(&tree, text).unwrap();
        assert!(matches!(
            flattened.fields[0],
            Some(Field::String(Cow::Borrowed("plain")))
        ));
    }

    #[test]
    fn bad_documents_are_typed_errors() {
        let tree = tree(&["type"]);
        assert_eq!(
            Flattened::from_json(&tree, "[1]").unwrap_err(),
            EventError::NotAnObject
        );
        assert_eq!(
            Flattened::from_json(&tree, "\"x\"").unwrap_err(),
            EventError::NotAnObject
        );
        assert!(matches!(
            Flattened::from_json(&tree, "{\"type\": ").unwrap_err(),
            EventError::Json(_)
        ));
        assert!(matches!(
            Flattened::from_json(&tree, "{} {}").unwrap_err(),
            EventError::Json(_)
        ));
        assert_eq!(Flattened::from_value(&tree, &json!([1])).fields, vec![None]);
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursion() {
        // Parts no rule reads are skipped by serde_json's iterative skipper, and the parts a rule
        // reads are at most a key path deep plus one array level: 10 000 levels cost no stack.
        let tree = tree(&["type", "content.body"]);
        let deep = |inner: &str| format!("{}{inner}{}", "[".repeat(10_000), "]".repeat(10_000));
        let text = format!(
            r#"{{"type": "x", "unsigned": {}, "content": {{"body": {}}}}}"#,
            deep("1"),
            deep("")
        );
        let flattened = Flattened::from_json(&tree, &text).unwrap();
        assert_eq!(flattened.fields[0], Some(Field::String("x".into())));
        assert_eq!(flattened.fields[1], Some(Field::Array(vec![Field::Other])));
        let unbalanced = format!(r#"{{"type": "x", "unsigned": {}}}"#, "[".repeat(10_000));
        assert!(matches!(
            Flattened::from_json(&tree, &unbalanced),
            Err(EventError::Json(_))
        ));
    }
}
