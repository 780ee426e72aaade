//! The evaluator: a [`Ruleset`] compiled once into a [`CompiledRuleset`], then evaluated against
//! events.
//!
//! Compiling interns every key path the rules read, compiles every glob, parses member-count
//! comparisons and strips the obsolete actions, so that evaluating an event does no parsing and
//! no pattern compilation. Each event is flattened once per evaluation into the fields the rules
//! read (see `event.rs`), and each string is case-folded at most once, however many rules read it.

use super::context::{Power, PushContext};
use super::event::{EventError, Field, Flattened, KeyTree};
use super::glob::{self, Glob};
use super::model::{Action, Condition, MemberCountTest, RuleKind, Ruleset, ScalarValue, Tweak};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::OnceCell;

/// The legacy mention rules (removed from the spec in v1.17, still served by Synapse). They are
/// skipped for events whose content has an `m.mentions` object (intentional mentions, v1.7).
pub const LEGACY_MENTION_RULES: [&str; 3] = [
    ".m.rule.contains_display_name",
    ".m.rule.roomnotif",
    ".m.rule.contains_user_name",
];

/// The outcome of evaluating one event: the actions of the rule that matched (without the
/// obsolete `dont_notify` / `coalesce`), and which rule it was. No match means no notification.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Evaluation {
    /// The actions of the rule that matched, obsolete ones left out; empty when no rule matched.
    pub actions: Vec<Action>,
    /// The id of the rule that matched; `None` when none did.
    pub rule_id: Option<String>,
    /// The kind of the rule that matched; `None` when none did.
    pub kind: Option<RuleKind>,
    /// Enabled rules ranked above the one that decided (all of them when none matched) that this
    /// engine cannot evaluate — a condition kind it does not know (MSC4306's
    /// `thread_subscription`, say) with every other condition of the rule passing, or a rule of
    /// a kind it does not know. The spec says such a condition never matches, and so does this
    /// engine; but the homeserver may know it, and then one of these rules may have decided
    /// there. A caller holding the server's decision defers to it when this is not empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<String>,
}

impl Evaluation {
    /// Whether the event should notify at all.
    pub fn notify(&self) -> bool {
        self.actions.contains(&Action::Notify)
    }

    /// Whether the notification should be highlighted (a `highlight` tweak without a value, or
    /// with `true`).
    pub fn highlight(&self) -> bool {
        self.actions.iter().find_map(|action| match action {
            Action::SetTweak(Tweak::Highlight(value)) => Some(value.unwrap_or(true)),
            _ => None,
        }) == Some(true)
    }

    /// The sound to play (`default` or a client-specific name), if any.
    pub fn sound(&self) -> Option<&str> {
        self.actions.iter().find_map(|action| match action {
            Action::SetTweak(Tweak::Sound(sound)) => Some(sound.as_str()),
            _ => None,
        })
    }
}

/// A ruleset ready to evaluate events.
#[derive(Clone, Debug)]
pub struct CompiledRuleset {
    ruleset: Ruleset,
    pub(super) rules: Vec<CompiledRule>,
    keys: KeyTree,
    slots: WellKnownSlots,
    /// The enabled rules of kinds this engine does not know (see [`Evaluation::undecided`]).
    unknown_kind_rules: Vec<String>,
}

/// Key paths the evaluator itself reads.
#[derive(Clone, Copy, Debug)]
struct WellKnownSlots {
    body: usize,
    sender: usize,
    room_id: usize,
    mentions: usize,
}

#[derive(Clone, Debug)]
pub(super) struct CompiledRule {
    pub(super) kind: RuleKind,
    /// Position in its kind's list in the source ruleset.
    pub(super) index: usize,
    pub(super) rule_id: String,
    pub(super) enabled: bool,
    pub(super) legacy_mention: bool,
    /// Has a condition of a kind this engine does not know (which the server may know).
    unknown_conditions: bool,
    actions: Vec<Action>,
    pub(super) tests: Vec<Test>,
}

/// One compiled condition. Content, room and sender rules compile to a single test too.
#[derive(Clone, Debug)]
pub(super) enum Test {
    /// A glob against a string field; `words` for `content.body`.
    Match {
        slot: usize,
        glob: Glob,
        words: bool,
    },
    /// Exact, case-sensitive equality with a string field (room and sender rules).
    Equals {
        slot: usize,
        value: String,
    },
    PropertyIs {
        slot: usize,
        value: ScalarValue,
    },
    PropertyContains {
        slot: usize,
        value: ScalarValue,
    },
    DisplayName,
    MemberCount(MemberCountTest),
    SenderPermission {
        key: String,
    },
    /// An unknown condition kind, or one that cannot be understood: never matches.
    Never,
}

/// Why a test did not pass. Cheap to produce; turned into prose only by `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failure {
    Absent,
    NotAString,
    NoMatch,
    NotEqual,
    NotAnArray,
    NotInArray,
    NoDisplayName,
    MemberCountUnknown,
    MemberCount(u64),
    NoSender,
    NoRequiredLevel,
    PowerTooLow(i64, i64),
    UnknownCondition,
}

impl CompiledRuleset {
    /// Compiles a ruleset. Never fails: a condition that cannot be understood never matches.
    pub fn new(ruleset: Ruleset) -> CompiledRuleset {
        let mut keys = KeyTree::new();
        let slots = WellKnownSlots {
            body: keys.slot("content.body"),
            sender: keys.slot("sender"),
            room_id: keys.slot("room_id"),
            mentions: keys.slot(r"content.m\.mentions"),
        };
        let mut rules = Vec::new();
        for kind in RuleKind::ALL {
            for (index, rule) in ruleset.rules(kind).iter().enumerate() {
                let tests = match kind {
                    RuleKind::Content => vec![match &rule.pattern {
                        Some(pattern) => Test::Match {
                            slot: slots.body,
                            glob: Glob::new(pattern),
                            words: true,
                        },
                        None => Test::Never,
                    }],
                    RuleKind::Room => vec![Test::Equals {
                        slot: slots.room_id,
                        value: rule.rule_id.clone(),
                    }],
                    RuleKind::Sender => vec![Test::Equals {
                        slot: slots.sender,
                        value: rule.rule_id.clone(),
                    }],
                    RuleKind::Override | RuleKind::Postcontent | RuleKind::Underride => rule
                        .conditions
                        .iter()
                        .flatten()
                        .map(|condition| compile_condition(condition, &mut keys))
                        .collect(),
                };
                rules.push(CompiledRule {
                    kind,
                    index,
                    rule_id: rule.rule_id.clone(),
                    enabled: rule.enabled,
                    legacy_mention: LEGACY_MENTION_RULES.contains(&rule.rule_id.as_str()),
                    unknown_conditions: rule
                        .conditions
                        .iter()
                        .flatten()
                        .any(|condition| matches!(condition, Condition::Unknown(_))),
                    actions: rule
                        .actions
                        .iter()
                        .filter(|a| !a.is_obsolete())
                        .cloned()
                        .collect(),
                    tests,
                });
            }
        }
        let unknown_kind_rules = ruleset
            .other_kinds
            .values()
            .filter_map(Value::as_array)
            .flatten()
            .filter(|rule| rule.get("enabled").and_then(Value::as_bool) != Some(false))
            .map(|rule| {
                let id = rule.get("rule_id").and_then(Value::as_str);
                id.unwrap_or("(a rule without an id)").to_owned()
            })
            .collect();
        CompiledRuleset {
            ruleset,
            rules,
            keys,
            slots,
            unknown_kind_rules,
        }
    }

    /// The ruleset this was compiled from.
    pub fn ruleset(&self) -> &Ruleset {
        &self.ruleset
    }

    /// Evaluates one event, given as JSON text the way it arrives from the server: the fields
    /// the rules read are taken in one pass, without building the event.
    pub fn evaluate_json(&self, event: &str, cx: &PushContext) -> Result<Evaluation, EventError> {
        let flattened = Flattened::from_json(&self.keys, event)?;
        Ok(self.evaluate_flattened(EventView::new(self, flattened, cx), cx))
    }

    /// Evaluates one event already parsed into JSON. A non-object event matches no condition.
    pub fn evaluate(&self, event: &Value, cx: &PushContext) -> Evaluation {
        self.evaluate_flattened(self.view(event, cx), cx)
    }

    fn evaluate_flattened(&self, view: EventView<'_, '_>, cx: &PushContext) -> Evaluation {
        if view.is_own_event(cx) {
            return Evaluation::default();
        }
        // Rules of kinds this engine does not know have no place in the order: any may rank
        // above the winner.
        let mut undecided = self.unknown_kind_rules.clone();
        let winner = self.rules.iter().find(|rule| {
            if !view.is_candidate(rule) {
                return false;
            }
            let mut unknown = false;
            for test in &rule.tests {
                match view.check(test, cx) {
                    Ok(()) => {}
                    Err(Failure::UnknownCondition) if rule.unknown_conditions => unknown = true,
                    Err(_) => return false,
                }
            }
            if unknown {
                undecided.push(rule.rule_id.clone());
            }
            !unknown
        });
        let mut evaluation = match winner {
            Some(rule) => Evaluation {
                actions: rule.actions.clone(),
                rule_id: Some(rule.rule_id.clone()),
                kind: Some(rule.kind),
                undecided: Vec::new(),
            },
            None => Evaluation::default(),
        };
        evaluation.undecided = undecided;
        evaluation
    }

    pub(super) fn view<'a, 'e>(&'a self, event: &'e Value, cx: &PushContext) -> EventView<'a, 'e> {
        EventView::new(self, Flattened::from_value(&self.keys, event), cx)
    }

    pub(super) fn key_name(&self, slot: usize) -> &str {
        self.keys.name(slot)
    }
}

fn compile_condition(condition: &Condition, keys: &mut KeyTree) -> Test {
    match condition {
        Condition::EventMatch { key, pattern, .. } => Test::Match {
            slot: keys.slot(key),
            glob: Glob::new(pattern),
            words: key == "content.body",
        },
        Condition::EventPropertyIs { key, value, .. } => Test::PropertyIs {
            slot: keys.slot(key),
            value: value.clone(),
        },
        Condition::EventPropertyContains { key, value, .. } => Test::PropertyContains {
            slot: keys.slot(key),
            value: value.clone(),
        },
        Condition::ContainsDisplayName { .. } => Test::DisplayName,
        Condition::RoomMemberCount { is, .. } => match MemberCountTest::parse(is) {
            Some(test) => Test::MemberCount(test),
            None => Test::Never,
        },
        Condition::SenderNotificationPermission { key, .. } => Test::SenderPermission { key: key.clone() },
        Condition::Unknown(_) => Test::Never,
    }
}

/// One event as the rules see it: its flattened fields, and their case-folded forms made on
/// first use.
pub(super) struct EventView<'a, 'e> {
    rules: &'a CompiledRuleset,
    fields: Vec<Option<Field<'e>>>,
    /// Per slot: `Some` holds the folded string when folding changed it; `None` means the
    /// field's own string is already folded.
    folded: Vec<OnceCell<Option<String>>>,
    folded_display_name: OnceCell<Option<String>>,
}

impl<'a, 'e> EventView<'a, 'e> {
    /// Events from `/sync` carry no `room_id`; the context's room id stands in for it.
    fn new(rules: &'a CompiledRuleset, mut flattened: Flattened<'e>, cx: &PushContext) -> Self {
        let room_id = &mut flattened.fields[rules.slots.room_id];
        if room_id.is_none() {
            *room_id = cx.room_id.clone().map(|id| Field::String(Cow::Owned(id)));
        }
        EventView {
            rules,
            folded: (0..flattened.fields.len()).map(|_| OnceCell::new()).collect(),
            fields: flattened.fields,
            folded_display_name: OnceCell::new(),
        }
    }

    pub(super) fn value(&self, slot: usize) -> Option<&Field<'e>> {
        self.fields[slot].as_ref()
    }

    fn string(&self, slot: usize) -> Option<&str> {
        self.value(slot).and_then(Field::as_str)
    }

    fn folded(&self, slot: usize) -> Option<&str> {
        let original = self.string(slot)?;
        let folded = self.folded[slot].get_or_init(|| match glob::fold(original) {
            Cow::Borrowed(_) => None,
            Cow::Owned(folded) => Some(folded),
        });
        Some(folded.as_deref().unwrap_or(original))
    }

    pub(super) fn is_own_event(&self, cx: &PushContext) -> bool {
        self.string(self.rules.slots.sender) == Some(cx.user_id.as_str())
    }

    /// Intentional mentions (v1.7): an `m.mentions` object in the content switches the legacy
    /// mention rules off. Only an object counts; `null` or another type is not `m.mentions`.
    pub(super) fn has_intentional_mentions(&self) -> bool {
        matches!(self.value(self.rules.slots.mentions), Some(Field::Object))
    }

    /// Whether the rule takes part at all: enabled, and not a legacy mention rule switched off.
    fn is_candidate(&self, rule: &CompiledRule) -> bool {
        rule.enabled && !(rule.legacy_mention && self.has_intentional_mentions())
    }

    pub(super) fn check(&self, test: &Test, cx: &PushContext) -> Result<(), Failure> {
        let pass = |ok: bool, failure: Failure| if ok { Ok(()) } else { Err(failure) };
        match test {
            Test::Match { slot, glob, words } => {
                let value = self.value(*slot).ok_or(Failure::Absent)?;
                value.as_str().ok_or(Failure::NotAString)?;
                let folded = self.folded(*slot).unwrap_or_default();
                let matched = if *words {
                    glob.matches_words(folded)
                } else {
                    glob.matches_whole(folded)
                };
                pass(matched, Failure::NoMatch)
            }
            Test::Equals { slot, value } => {
                let actual = self.value(*slot).ok_or(Failure::Absent)?;
                pass(actual.as_str() == Some(value.as_str()), Failure::NotEqual)
            }
            Test::PropertyIs { slot, value } => {
                let actual = self.value(*slot).ok_or(Failure::Absent)?;
                pass(value.equals_field(actual), Failure::NotEqual)
            }
            Test::PropertyContains { slot, value } => {
                let actual = self.value(*slot).ok_or(Failure::Absent)?;
                let Field::Array(items) = actual else {
                    return Err(Failure::NotAnArray);
                };
                pass(
                    items.iter().any(|item| value.equals_field(item)),
                    Failure::NotInArray,
                )
            }
            Test::DisplayName => {
                let name = self.folded_display_name.get_or_init(|| {
                    cx.display_name
                        .as_deref()
                        .filter(|n| !n.is_empty())
                        .map(|n| glob::fold(n).into_owned())
                });
                let name = name.as_deref().ok_or(Failure::NoDisplayName)?;
                self.value(self.rules.slots.body).ok_or(Failure::Absent)?;
                let body = self.folded(self.rules.slots.body).ok_or(Failure::NotAString)?;
                pass(glob::contains_word(body, name), Failure::NoMatch)
            }
            Test::MemberCount(test) => {
                let members = cx.member_count.ok_or(Failure::MemberCountUnknown)?;
                pass(test.accepts(members), Failure::MemberCount(members))
            }
            Test::SenderPermission { key } => {
                let sender = self.string(self.rules.slots.sender).ok_or(Failure::NoSender)?;
                let required = cx.notification_level(key).ok_or(Failure::NoRequiredLevel)?;
                match cx.power_of(sender) {
                    Power::Unlimited => Ok(()),
                    Power::Level(level) => pass(level >= required, Failure::PowerTooLow(level, required)),
                }
            }
            Test::Never => Err(Failure::UnknownCondition),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_the_engine_cannot_evaluate_are_reported_above_the_winner() {
        let rules = Ruleset::from_value(&json!({
            "override": [
                {"rule_id": "unknown-fails-anyway", "default": false, "enabled": true, "actions": ["notify"],
                 "conditions": [{"kind": "org.example.new"}, {"kind": "event_match", "key": "type", "pattern": "m.call.*"}]},
                {"rule_id": "thread-subscribed", "default": false, "enabled": true, "actions": ["notify"],
                 "conditions": [{"kind": "io.element.msc4306.thread_subscription", "subscribed": true}]},
                {"rule_id": "disabled-unknown", "default": false, "enabled": false, "actions": ["notify"],
                 "conditions": [{"kind": "org.example.new"}]}
            ],
            "room": [{"rule_id": "!quiet:x", "default": false, "enabled": true, "actions": []}],
            "underride": [
                {"rule_id": "after-the-winner", "default": false, "enabled": true, "actions": ["notify"],
                 "conditions": [{"kind": "org.example.new"}]}
            ],
            "org.example.kind": [{"rule_id": "new-kind", "default": false, "enabled": true, "actions": ["notify"]}]
        }))
        .unwrap();
        let compiled = CompiledRuleset::new(rules);
        let event = json!({"type": "m.room.message", "sender": "@a:x", "room_id": "!quiet:x",
                           "content": {"body": "hi"}});
        let evaluation = compiled.evaluate(&event, &PushContext::new("@me:x"));
        assert_eq!(evaluation.rule_id.as_deref(), Some("!quiet:x"));
        assert!(!evaluation.notify(), "an unknown condition never matches here");
        assert_eq!(evaluation.undecided, ["new-kind", "thread-subscribed"]);
        let elsewhere = json!({"type": "m.room.message", "sender": "@a:x", "room_id": "!other:x",
                               "content": {"body": "hi"}});
        let evaluation = compiled.evaluate(&elsewhere, &PushContext::new("@me:x"));
        assert_eq!(
            evaluation.undecided,
            ["new-kind", "thread-subscribed", "after-the-winner"],
            "no rule matched: every undecidable one counts"
        );
    }

    #[test]
    fn member_count_comparisons() {
        let parse = |s| MemberCountTest::parse(s);
        assert!(parse("2").unwrap().accepts(2));
        assert!(parse("==2").unwrap().accepts(2));
        assert!(parse("<10").unwrap().accepts(9));
        assert!(!parse("<10").unwrap().accepts(10));
        assert!(parse("<=10").unwrap().accepts(10));
        assert!(parse(">2").unwrap().accepts(3));
        assert!(parse(">=2").unwrap().accepts(2));
        for bad in [
            "",
            "=2",
            "=>2",
            "2a",
            "x",
            " 2",
            "-1",
            "<",
            "99999999999999999999999",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
