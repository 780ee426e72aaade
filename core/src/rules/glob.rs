//! Push-rule glob patterns, compiled once per ruleset and matched in linear time.
//!
//! The spec's globs have two wildcards: `*` (any run of characters) and `?` (exactly one
//! character); both match newlines too. Matching is case-insensitive with full Unicode case
//! folding (so `STRASSE` matches `straße`). A pattern is split at its `*`s into segments that are
//! placed left to right, each at its earliest possible position: for globs with only `*` and `?`
//! that greedy placement is exact, and it never backtracks, so `*a*a*a…` against a long body costs
//! one pass per segment rather than exponential time.
//!
//! Two ways to match:
//! - [`Glob::matches_whole`]: the pattern must cover the entire value (every key but
//!   `content.body`).
//! - [`Glob::matches_words`]: some substring bounded by word boundaries must match (the
//!   `content.body` rule). Word characters are ASCII `[A-Za-z0-9_]` as the spec says; a match
//!   starts at the start of the value, after a non-word character, or with a non-word character
//!   (and likewise at its end).

use caseless::Caseless;
use memchr::memmem;
use std::borrow::Cow;

/// Folds text for case-insensitive comparison: ASCII lowercase, and full Unicode case folding
/// for other characters. Borrows when nothing changes, which is the common case for event types,
/// ids and lowercase text.
pub fn fold(text: &str) -> Cow<'_, str> {
    let Some(first_change) = text
        .char_indices()
        .find(|&(_, c)| !folds_to_itself(c))
        .map(|(i, _)| i)
    else {
        return Cow::Borrowed(text);
    };
    let mut folded = String::with_capacity(text.len() + 8);
    folded.push_str(&text[..first_change]);
    for c in text[first_change..].chars() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
        } else {
            folded.extend(std::iter::once(c).default_case_fold());
        }
    }
    Cow::Owned(folded)
}

fn folds_to_itself(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_uppercase();
    }
    let mut folded = std::iter::once(c).default_case_fold();
    folded.next() == Some(c) && folded.next().is_none()
}

/// A compiled glob pattern.
#[derive(Clone, Debug)]
pub struct Glob {
    shape: Shape,
}

#[derive(Clone, Debug)]
enum Shape {
    /// No wildcard: plain equality / substring search on the folded text.
    Literal(String, Box<memmem::Finder<'static>>),
    /// Only `*`s (or empty between them): matches any string.
    Anything,
    Wild {
        segments: Vec<Segment>,
        /// The pattern does not start with `*`: the first segment is tied to the start.
        anchored_start: bool,
        /// The pattern does not end with `*`: the last segment is tied to the end.
        anchored_end: bool,
    },
}

/// The text between two `*`s: literal runs and runs of `?`.
#[derive(Clone, Debug)]
struct Segment {
    tokens: Vec<Token>,
    /// Finds candidates for the leading literal quickly, when the segment starts with one.
    leading: Option<memmem::Finder<'static>>,
}

#[derive(Clone, Debug)]
enum Token {
    Literal(String),
    /// `n` consecutive `?`.
    AnyChars(usize),
}

impl Glob {
    /// Compiles a glob; `*` and `?` are wildcards.
    pub fn new(pattern: &str) -> Glob {
        let folded = fold(pattern);
        if !folded.contains(['*', '?']) {
            return Glob::literal_folded(folded.into_owned());
        }
        let anchored_start = !folded.starts_with('*');
        let anchored_end = !folded.ends_with('*');
        let segments: Vec<Segment> = folded
            .split('*')
            .filter(|part| !part.is_empty())
            .map(Segment::new)
            .collect();
        let shape = if segments.is_empty() {
            Shape::Anything
        } else {
            Shape::Wild {
                segments,
                anchored_start,
                anchored_end,
            }
        };
        Glob { shape }
    }

    /// A pattern taken literally: `*` and `?` are ordinary characters (display names).
    pub fn literal(text: &str) -> Glob {
        Glob::literal_folded(fold(text).into_owned())
    }

    fn literal_folded(folded: String) -> Glob {
        let finder = Box::new(memmem::Finder::new(folded.as_bytes()).into_owned());
        Glob {
            shape: Shape::Literal(folded, finder),
        }
    }

    /// Whether the pattern has no wildcard.
    pub fn is_literal(&self) -> bool {
        matches!(self.shape, Shape::Literal(..))
    }

    /// Whether the pattern matches the whole of `folded` (already passed through [`fold`]).
    pub fn matches_whole(&self, folded: &str) -> bool {
        match &self.shape {
            Shape::Literal(literal, _) => literal == folded,
            Shape::Anything => true,
            Shape::Wild {
                segments,
                anchored_start,
                anchored_end,
            } => whole_match(segments, *anchored_start, *anchored_end, folded),
        }
    }

    /// Whether some substring of `folded` bounded by word boundaries matches the pattern.
    /// An empty pattern matches nothing: there is no word to find.
    pub fn matches_words(&self, folded: &str) -> bool {
        match &self.shape {
            Shape::Literal(literal, finder) => contains_word_with(folded, literal, finder),
            Shape::Anything => true,
            Shape::Wild {
                segments,
                anchored_start,
                anchored_end,
            } => words_match(segments, *anchored_start, *anchored_end, folded),
        }
    }
}

/// Whether `needle` occurs in `haystack` bounded by word boundaries (never, for an empty needle).
pub fn contains_word(haystack: &str, needle: &str) -> bool {
    contains_word_with(haystack, needle, &memmem::Finder::new(needle))
}

fn contains_word_with(haystack: &str, needle: &str, finder: &memmem::Finder<'_>) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(found) = finder.find(&haystack.as_bytes()[from..]) {
        let start = from + found;
        let end = start + needle.len();
        if starts_word(haystack, start) && ends_word(haystack, end) {
            return true;
        }
        from = next_char(haystack, start);
    }
    false
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// A non-empty match starting at `start` begins at a word boundary. Works on bytes: every byte
/// of a multi-byte character is a non-word byte, as the ASCII definition wants.
fn starts_word(text: &str, start: usize) -> bool {
    let bytes = text.as_bytes();
    start == 0 || !is_word_byte(bytes[start - 1]) || !is_word_byte(bytes[start])
}

/// A non-empty match ending at `end` finishes at a word boundary.
fn ends_word(text: &str, end: usize) -> bool {
    let bytes = text.as_bytes();
    end == bytes.len() || !is_word_byte(bytes[end]) || !is_word_byte(bytes[end - 1])
}

/// The byte index of the character after the one at `index`.
fn next_char(text: &str, index: usize) -> usize {
    index + text[index..].chars().next().map_or(1, char::len_utf8)
}

impl Segment {
    fn new(part: &str) -> Segment {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut any = 0;
        for c in part.chars() {
            if c == '?' {
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal)));
                }
                any += 1;
            } else {
                if any > 0 {
                    tokens.push(Token::AnyChars(std::mem::take(&mut any)));
                }
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        if any > 0 {
            tokens.push(Token::AnyChars(any));
        }
        let leading = match tokens.first() {
            Some(Token::Literal(literal)) => Some(memmem::Finder::new(literal.as_bytes()).into_owned()),
            _ => None,
        };
        Segment { tokens, leading }
    }

    /// Matches the segment exactly at `start`; returns where it ends.
    fn match_at(&self, text: &str, start: usize) -> Option<usize> {
        let mut pos = start;
        for token in &self.tokens {
            match token {
                Token::Literal(literal) => {
                    if !text.as_bytes()[pos..].starts_with(literal.as_bytes()) {
                        return None;
                    }
                    pos += literal.len();
                }
                Token::AnyChars(n) => {
                    let mut chars = text[pos..].char_indices();
                    pos += match chars.nth(*n) {
                        Some((offset, _)) => offset,
                        None if text[pos..].chars().count() == *n => text.len() - pos,
                        None => return None,
                    };
                }
            }
        }
        Some(pos)
    }

    /// The number of characters the segment always spans.
    fn char_len(&self) -> usize {
        self.tokens
            .iter()
            .map(|token| match token {
                Token::Literal(literal) => literal.chars().count(),
                Token::AnyChars(n) => *n,
            })
            .sum()
    }

    /// The first occurrence at or after `from` for which `accept(start, end)` holds.
    fn find_from(
        &self,
        text: &str,
        mut from: usize,
        accept: impl Fn(usize, usize) -> bool,
    ) -> Option<(usize, usize)> {
        while from <= text.len() {
            let start = match &self.leading {
                Some(finder) => from + finder.find(&text.as_bytes()[from..])?,
                None => from,
            };
            if let Some(end) = self.match_at(text, start)
                && accept(start, end)
            {
                return Some((start, end));
            }
            if start == text.len() {
                return None;
            }
            from = next_char(text, start);
        }
        None
    }
}

fn whole_match(segments: &[Segment], anchored_start: bool, anchored_end: bool, text: &str) -> bool {
    let mut pos = 0;
    let mut middle = segments;
    if anchored_start {
        let (first, rest) = middle.split_first().expect("a wild glob has a segment");
        match first.match_at(text, 0) {
            Some(end) => pos = end,
            None => return false,
        }
        if rest.is_empty() && anchored_end {
            return pos == text.len();
        }
        middle = rest;
    }
    let mut limit = text.len();
    if anchored_end {
        let (last, rest) = middle.split_last().expect("checked above");
        // The last segment spans a fixed number of characters, so it can only start here.
        let Some(start) = nth_char_from_end(text, last.char_len()) else {
            return false;
        };
        if start < pos || last.match_at(text, start) != Some(text.len()) {
            return false;
        }
        limit = start;
        middle = rest;
    }
    for segment in middle {
        match segment.find_from(text, pos, |_, _| true) {
            Some((_, end)) if end <= limit => pos = end,
            _ => return false,
        }
    }
    true
}

fn words_match(segments: &[Segment], anchored_start: bool, anchored_end: bool, text: &str) -> bool {
    let last = segments.len() - 1;
    let mut pos = 0;
    for (i, segment) in segments.iter().enumerate() {
        let need_start = i == 0 && anchored_start;
        let need_end = i == last && anchored_end;
        let accept = |start: usize, end: usize| {
            (!need_start || starts_word(text, start)) && (!need_end || (end > start && ends_word(text, end)))
        };
        match segment.find_from(text, pos, accept) {
            Some((_, end)) => pos = end,
            None => return false,
        }
    }
    true
}

/// The byte index where the last `n` characters of `text` start.
fn nth_char_from_end(text: &str, n: usize) -> Option<usize> {
    if n == 0 {
        return Some(text.len());
    }
    text.char_indices().rev().nth(n - 1).map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(pattern: &str, value: &str) -> bool {
        Glob::new(pattern).matches_whole(&fold(value))
    }

    fn words(pattern: &str, value: &str) -> bool {
        Glob::new(pattern).matches_words(&fold(value))
    }

    #[test]
    fn spec_glob_examples() {
        // The spec's example: `lunc?*` matches "LUNCH" but not " lunch" or "lunc".
        assert!(whole("lunc?*", "LUNCH"));
        assert!(!whole("lunc?*", " lunch"));
        assert!(!whole("lunc?*", "lunc"));
        // `ex*ple` on content.body: "An example event." and "An exciting triple-whammy".
        assert!(words("ex*ple", "An example event."));
        assert!(words("ex*ple", "An exciting triple-whammy"));
    }

    #[test]
    fn whole_value_globs() {
        assert!(whole("m.room.*", "m.room.message"));
        assert!(!whole("m.room.*", "m.roomy"));
        assert!(whole("*", ""));
        assert!(whole("", ""));
        assert!(!whole("", "x"));
        assert!(whole("a*b*c", "abc"));
        assert!(whole("a*b*c", "a__b__c"));
        assert!(!whole("a*b*c", "a__c__b"));
        assert!(whole("?", "é"));
        assert!(!whole("??", "é"));
        assert!(whole("*?", "x"));
        assert!(!whole("a*a", "a"));
        assert!(whole("a*a", "aa"));
        assert!(whole("*ab", "aab"));
        assert!(whole("M.ROOM.MESSAGE", "m.room.message"));
        assert!(whole("a?c", "a\nc"), "? matches a newline");
        assert!(whole("a*c", "a\n\nc"), "* matches newlines");
    }

    #[test]
    fn word_globs() {
        assert!(words("cake", "I like cake!"));
        assert!(words("cake", "CAKE"));
        assert!(!words("cake", "cupcake"));
        assert!(!words("cake", "cakes"));
        assert!(words("cake*", "cakes"));
        assert!(words("*cake", "cupcake"));
        assert!(words("@room", "hey @room"));
        assert!(
            words("@room", "x@room"),
            "a match that starts with a non-word character is bounded"
        );
        assert!(!words("@room", "@roomy"));
        assert!(words("c?ke", "a coke please"));
        assert!(!words("c?ke", "a cooke please"));
        assert!(words("a*b", "x a y b z"));
        assert!(!words("a*b", "x a y bz"));
        assert!(words("a*b", "x a y bz b"));
        assert!(!words("", "anything"));
        assert!(!words("", ""));
    }

    #[test]
    fn word_boundaries_are_ascii() {
        // Spec: a boundary is any character outside [A-Za-z0-9_]; é is such a character.
        assert!(words("bob", "ébob"));
        assert!(words("bob", "bobé"));
        assert!(!words("bob", "_bob"));
    }

    #[test]
    fn case_folding_is_full_unicode() {
        assert!(whole("STRASSE", "straße"));
        assert!(words("strasse", "Die STRAẞE ist lang"));
        assert!(whole("ΣΊΣΥΦΟΣ", "σίσυφος"));
    }

    #[test]
    fn literal_text_is_not_a_glob() {
        let name = Glob::literal("A*");
        assert!(name.is_literal());
        assert!(!name.matches_words(&fold("Abc")));
        assert!(name.matches_words(&fold("hi a* there")));
    }

    #[test]
    fn hostile_patterns_finish() {
        // 200 alternating `*a` against 10 kB: greedy placement makes this one pass per segment.
        let glob = Glob::new(&"*a".repeat(200));
        let body = "ab".repeat(5_000) + "a";
        assert!(glob.matches_whole(&body));
        assert!(glob.matches_words(&body));
        assert!(!glob.matches_whole(&"ab".repeat(5_000)));
        assert!(!glob.matches_words(&"b".repeat(10_000)));
        assert!(!Glob::new(&"?a".repeat(200)).matches_words(&"a".repeat(10_000)));
        assert!(!Glob::new(&"a*".repeat(200)).matches_whole(&"a".repeat(199)));
    }

    /// A plain dynamic-programming glob matcher over characters, obviously correct and
    /// quadratic: the reference the greedy matcher is checked against.
    fn reference_whole(pattern: &[char], text: &[char]) -> bool {
        let mut reachable = vec![vec![false; text.len() + 1]; pattern.len() + 1];
        reachable[0][0] = true;
        for (p, &pc) in pattern.iter().enumerate() {
            for t in 0..=text.len() {
                if !reachable[p][t] {
                    continue;
                }
                match pc {
                    '*' => (t..=text.len()).for_each(|u| reachable[p + 1][u] = true),
                    '?' if t < text.len() => reachable[p + 1][t + 1] = true,
                    c if t < text.len() && text[t] == c => reachable[p + 1][t + 1] = true,
                    _ => {}
                }
            }
        }
        reachable[pattern.len()][text.len()]
    }

    fn reference_words(pattern: &[char], text: &[char]) -> bool {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if pattern.is_empty() {
            return false;
        }
        (0..=text.len()).any(|start| {
            (start..=text.len()).any(|end| {
                let starts = start == 0 || start == end || !word(text[start - 1]) || !word(text[start]);
                let ends = end == text.len() || end == start || !word(text[end]) || !word(text[end - 1]);
                starts && ends && reference_whole(pattern, &text[start..end])
            })
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn greedy_matching_agrees_with_the_reference(pattern in "[abAé*? _-]{0,8}", text in "[abAÉéß _\\-]{0,12}") {
            let p: Vec<char> = fold(&pattern).chars().collect();
            let folded = fold(&text);
            let t: Vec<char> = folded.chars().collect();
            let glob = Glob::new(&pattern);
            proptest::prop_assert_eq!(glob.matches_whole(&folded), reference_whole(&p, &t));
            // An all-wildcard pattern matches any body; the reference needs a non-empty match.
            if pattern.chars().any(|c| c != '*') {
                proptest::prop_assert_eq!(glob.matches_words(&folded), reference_words(&p, &t));
            }
        }
    }
}
