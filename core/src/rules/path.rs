//! Dotted key paths (`content.m\.relates_to.rel_type`) split into field names.
//!
//! Segments are separated by `.`; `\.` is a literal dot and `\\` a literal backslash inside a
//! segment; a backslash before any other character stays as it is (so `content.m\x` names the
//! field `m\x`). Arrays are not indexed: a path only walks through objects.

/// A parsed key path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyPath {
    segments: Vec<String>,
}

impl KeyPath {
    /// Splits a dotted key into field names, unescaping `\.` and `\\`. Never fails: any text is a
    /// path (an empty key is one empty segment).
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

    /// The field names, outermost first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
