//! Dotted key paths (`content.m\.relates_to.rel_type`) and looking them up in an event.
//!
//! Segments are separated by `.`; `\.` is a literal dot and `\\` a literal backslash inside a
//! segment; a backslash before any other character stays as it is (so `content.m\x` names the
//! field `m\x`). Arrays are not indexed: a path only walks through objects.

use serde_json::Value;

/// A parsed key path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyPath {
    segments: Vec<String>,
}

impl KeyPath {
    pub fn parse(key: &str) -> KeyPath {
        let mut segments = Vec::new();
        let mut current = String::new();
        let mut chars = key.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&escaped @ ('.' | '\\')) => {
                        current.push(escaped);
                        chars.next();
                    }
                    _ => current.push('\\'),
                },
                '.' => segments.push(std::mem::take(&mut current)),
                _ => current.push(c),
            }
        }
        segments.push(current);
        KeyPath { segments }
    }

    /// The value at this path in `event`, if every step is an object that has the field.
    pub fn lookup<'e>(&self, event: &'e Value) -> Option<&'e Value> {
        self.segments
            .iter()
            .try_fold(event, |value, segment| value.as_object()?.get(segment))
    }

    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segments(key: &str) -> Vec<String> {
        KeyPath::parse(key).segments
    }

    #[test]
    fn escapes() {
        assert_eq!(segments("content.body"), ["content", "body"]);
        assert_eq!(
            segments(r"content.m\.relates_to.rel_type"),
            ["content", "m.relates_to", "rel_type"]
        );
        assert_eq!(segments(r"content.m\\foo"), ["content", r"m\foo"]);
        assert_eq!(segments(r"content.m\x"), ["content", r"m\x"]);
        assert_eq!(segments(r"a\"), [r"a\"]);
        assert_eq!(segments(r"a\\\.b"), [r"a\.b"]);
        assert_eq!(segments("a..b"), ["a", "", "b"]);
    }

    #[test]
    fn lookup_walks_objects_only() {
        let event = json!({
            "content": {"m.mentions": {"user_ids": ["@a:x"], "room": true}, "m\\x": 1, "list": [{"a": 1}]},
            "type": "m.room.message"
        });
        assert_eq!(
            KeyPath::parse(r"content.m\.mentions.room").lookup(&event),
            Some(&json!(true))
        );
        assert_eq!(KeyPath::parse(r"content.m\x").lookup(&event), Some(&json!(1)));
        assert_eq!(KeyPath::parse("content.m.mentions").lookup(&event), None);
        assert_eq!(KeyPath::parse("content.list.0.a").lookup(&event), None);
        assert_eq!(
            KeyPath::parse("type").lookup(&event),
            Some(&json!("m.room.message"))
        );
    }
}
