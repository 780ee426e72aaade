//! The push-rule data model: what `GET /pushrules/` returns, typed, and written back without
//! losing a field.
//!
//! Parsing is done by hand from [`serde_json::Value`] rather than with derived `Deserialize`, so
//! that a malformed rule gives an error naming the rule and the field ([`RuleError`]), and so that
//! everything this crate does not understand — unknown rule kinds, condition kinds, actions and
//! extra fields — is kept verbatim and serialized back unchanged.

use super::event::Field;
use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// Extra JSON fields this crate does not interpret, kept so that a rule round-trips unchanged.
pub type Extra = Map<String, Value>;

/// The body of `GET /_matrix/client/v3/pushrules/`: the `global` ruleset plus any other scope a
/// server might send (kept verbatim).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PushRules {
    /// The `global` ruleset: the only scope the spec defines, and the one evaluated.
    pub global: Ruleset,
    /// Scopes other than `global` (the spec has none today).
    pub other_scopes: Extra,
}

/// The five rule kinds of the spec, plus `postcontent` (MSC4306, served by Synapse), in
/// evaluation order. New kinds may be added in minor versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum RuleKind {
    /// Evaluated first: rules that must win over everything else (mute, invites, tombstones, …).
    Override,
    /// Rules matching a word in the message body (`pattern`), such as the user's keywords.
    Content,
    /// MSC4306: evaluated after content rules and before room rules; shaped like override rules.
    Postcontent,
    /// Rules for one room, whose `rule_id` is the room id (a room's "all messages" or "mute"
    /// mode).
    Room,
    /// Rules for one sender, whose `rule_id` is the sender's user id.
    Sender,
    /// Evaluated last: the defaults for what no other rule matched (one-to-one rooms, messages).
    Underride,
}

impl RuleKind {
    /// Every kind, in evaluation order.
    pub const ALL: [RuleKind; 6] = [
        RuleKind::Override,
        RuleKind::Content,
        RuleKind::Postcontent,
        RuleKind::Room,
        RuleKind::Sender,
        RuleKind::Underride,
    ];

    /// The kind's name in the REST API and in `GET /pushrules/` responses.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Override => "override",
            RuleKind::Content => "content",
            RuleKind::Postcontent => "postcontent",
            RuleKind::Room => "room",
            RuleKind::Sender => "sender",
            RuleKind::Underride => "underride",
        }
    }

    /// The kind for its name in the REST API (`override`, `content`, …), or `None` for a name
    /// this crate does not know.
    pub fn from_name(name: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A user's push rules, by kind, each list in priority order (first is highest).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ruleset {
    /// Override rules, in priority order. (`override` is a Rust keyword, hence the underscore.)
    pub override_: Vec<Rule>,
    /// Content rules (keywords), in priority order.
    pub content: Vec<Rule>,
    /// Postcontent rules (MSC4306), in priority order; empty on servers that do not send them.
    pub postcontent: Vec<Rule>,
    /// Room rules, one per room that has its own mode.
    pub room: Vec<Rule>,
    /// Sender rules, one per sender with a rule of their own.
    pub sender: Vec<Rule>,
    /// Underride rules, in priority order.
    pub underride: Vec<Rule>,
    /// Kinds this crate does not know, kept verbatim and never evaluated.
    pub other_kinds: Extra,
    /// Which known kinds were present in the parsed JSON, so an absent list stays absent when
    /// written back.
    present: KindSet,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct KindSet(u8);

impl KindSet {
    fn all() -> Self {
        KindSet(0b11_1111)
    }
    fn insert(&mut self, kind: RuleKind) {
        self.0 |= 1 << kind as u8;
    }
    fn contains(self, kind: RuleKind) -> bool {
        self.0 & (1 << kind as u8) != 0
    }
}

/// One push rule. Override, postcontent and underride rules have `conditions`; content rules
/// have a `pattern`; room and sender rules are keyed by their `rule_id`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The rule's id: unique within its kind; server defaults start with a dot (`.m.rule.master`).
    pub rule_id: String,
    /// Whether this is a server-default rule.
    pub default: bool,
    /// Whether the rule takes part in evaluation; a disabled rule is skipped as if absent.
    pub enabled: bool,
    /// What happens when the rule matches; an empty list means "do not notify".
    pub actions: Vec<Action>,
    /// The conditions that must all hold (override, postcontent and underride rules); `None` for
    /// kinds that have none.
    pub conditions: Option<Vec<Condition>>,
    /// The glob matched against words of the body (content rules only); `None` otherwise.
    pub pattern: Option<String>,
    /// Fields of the rule this crate does not interpret, written back unchanged.
    pub extra: Extra,
}

/// A push condition. Every known kind keeps unexpected fields in `extra`; an unknown kind is kept
/// whole and never matches. New variants may be added in minor versions: a kind kept as `Unknown`
/// today may get one of its own.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Condition {
    /// Glob match of an event field (whole value; `content.body` matches words).
    EventMatch {
        /// The event field, as a dotted path (`content.body`, `type`); a dot within a name is
        /// escaped as `\.`.
        key: String,
        /// The glob (`*` any run, `?` one character), matched case-insensitively.
        pattern: String,
        /// Fields of the condition this crate does not interpret, written back unchanged.
        extra: Extra,
    },
    /// Exact match of an event field against a scalar.
    EventPropertyIs {
        /// The event field, as a dotted path.
        key: String,
        /// The value the field must equal (same type, no coercion).
        value: ScalarValue,
        /// Fields of the condition this crate does not interpret, written back unchanged.
        extra: Extra,
    },
    /// An array event field contains a scalar.
    EventPropertyContains {
        /// The event field holding an array, as a dotted path.
        key: String,
        /// The value one of the array's elements must equal.
        value: ScalarValue,
        /// Fields of the condition this crate does not interpret, written back unchanged.
        extra: Extra,
    },
    /// `content.body` contains the user's display name in the room (deprecated in v1.17).
    ContainsDisplayName {
        /// Fields of the condition this crate does not interpret, written back unchanged.
        extra: Extra,
    },
    /// The room's joined member count compares with `is` (`2`, `==2`, `<10`, `>=3`, …).
    RoomMemberCount {
        /// The comparison as the server sent it; see [`MemberCountTest::parse`].
        is: String,
        /// Fields of the condition this crate does not interpret, written back unchanged.
        extra: Extra,
    },
    /// The sender's power level reaches `notifications[key]` of the power levels.
    SenderNotificationPermission {
        /// The entry of the power levels' `notifications` object, such as `room` for @room.
        key: String,
        /// Fields of the condition this crate does not interpret, written back unchanged.
        extra: Extra,
    },
    /// A condition kind this crate does not know (the whole JSON object). Never matches.
    Unknown(Extra),
}

/// A value `event_property_is` / `event_property_contains` compare with: the spec allows only
/// strings, integers in the canonical JSON range, booleans and null.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ScalarValue {
    /// A string, compared exactly (case matters).
    String(String),
    /// An integer within ±(2^53 - 1), the range canonical JSON allows.
    Integer(i64),
    /// A boolean.
    Bool(bool),
    /// JSON `null`.
    Null,
}

/// Largest integer canonical JSON allows (2^53 - 1).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

impl ScalarValue {
    /// The scalar for a JSON value, or `None` for floats, out-of-range integers, arrays and
    /// objects (which never take part in a comparison).
    pub fn from_value(value: &Value) -> Option<ScalarValue> {
        match value {
            Value::String(s) => Some(ScalarValue::String(s.clone())),
            Value::Bool(b) => Some(ScalarValue::Bool(*b)),
            Value::Null => Some(ScalarValue::Null),
            Value::Number(n) => n
                .as_i64()
                .filter(|i| i.abs() <= MAX_SAFE_INTEGER)
                .map(ScalarValue::Integer),
            _ => None,
        }
    }

    /// Whether an event field equals this scalar, without coercion.
    pub fn equals_field(&self, field: &Field<'_>) -> bool {
        match (self, field) {
            (ScalarValue::String(a), Field::String(b)) => a == b,
            (ScalarValue::Bool(a), Field::Bool(b)) => a == b,
            (ScalarValue::Null, Field::Null) => true,
            (ScalarValue::Integer(a), Field::Integer(b)) => a == b,
            _ => false,
        }
    }

    /// The scalar as JSON.
    pub fn to_value(&self) -> Value {
        match self {
            ScalarValue::String(s) => Value::String(s.clone()),
            ScalarValue::Integer(i) => Value::from(*i),
            ScalarValue::Bool(b) => Value::Bool(*b),
            ScalarValue::Null => Value::Null,
        }
    }
}

/// What a matching rule asks for. New actions may be added in minor versions.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Notify the user (the spec's only notifying action).
    Notify,
    /// Removed from the spec in v1.7; accepted, kept for round-trips, ignored when evaluating.
    DontNotify,
    /// Removed from the spec in v1.7; accepted, kept for round-trips, ignored when evaluating.
    Coalesce,
    /// Change how the notification is presented: its sound or highlight.
    SetTweak(Tweak),
    /// Any other action (a string or object), kept verbatim and not interpreted.
    Unknown(Value),
}

/// A `set_tweak` action. New variants may be added in minor versions: a tweak kept as `Other`
/// today may get one of its own.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Tweak {
    /// The sound to play: `default` or a client-specific name.
    Sound(String),
    /// Highlight; `None` is the spec's omitted value, which means `true`.
    Highlight(Option<bool>),
    /// Any other tweak, passed through.
    Other {
        /// The tweak's name (`set_tweak`).
        name: String,
        /// Its value as sent, or `None` when the action had no `value`.
        value: Option<Value>,
    },
}

impl Action {
    /// Parses one action. Never fails: anything not understood becomes [`Action::Unknown`].
    pub fn from_value(value: &Value) -> Action {
        match value {
            Value::String(s) => match s.as_str() {
                "notify" => Action::Notify,
                "dont_notify" => Action::DontNotify,
                "coalesce" => Action::Coalesce,
                _ => Action::Unknown(value.clone()),
            },
            Value::Object(object) => Tweak::from_object(object)
                .map(Action::SetTweak)
                .unwrap_or_else(|| Action::Unknown(value.clone())),
            _ => Action::Unknown(value.clone()),
        }
    }

    /// Whether evaluation ignores this action (`dont_notify` and `coalesce`, removed in v1.7).
    pub fn is_obsolete(&self) -> bool {
        matches!(self, Action::DontNotify | Action::Coalesce)
    }

    /// The action as the server's JSON would spell it.
    pub fn to_value(&self) -> Value {
        match self {
            Action::Notify => Value::from("notify"),
            Action::DontNotify => Value::from("dont_notify"),
            Action::Coalesce => Value::from("coalesce"),
            Action::SetTweak(tweak) => tweak.to_value(),
            Action::Unknown(value) => value.clone(),
        }
    }
}

impl Tweak {
    /// A tweak from a `{"set_tweak": …, "value": …}` object; `None` when the object has other
    /// fields or a value of the wrong type (it is then kept as an unknown action).
    fn from_object(object: &Map<String, Value>) -> Option<Tweak> {
        let name = object.get("set_tweak")?.as_str()?;
        if object.keys().any(|k| k != "set_tweak" && k != "value") {
            return None;
        }
        let value = object.get("value");
        Some(match name {
            "sound" => Tweak::Sound(value?.as_str()?.to_owned()),
            "highlight" => Tweak::Highlight(match value {
                None => None,
                Some(v) => Some(v.as_bool()?),
            }),
            _ => Tweak::Other {
                name: name.to_owned(),
                value: value.cloned(),
            },
        })
    }

    /// The tweak as a `set_tweak` action object.
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        let (name, value) = match self {
            Tweak::Sound(sound) => ("sound", Some(Value::from(sound.as_str()))),
            Tweak::Highlight(value) => ("highlight", value.map(Value::Bool)),
            Tweak::Other { name, value } => (name.as_str(), value.clone()),
        };
        object.insert("set_tweak".into(), Value::from(name));
        if let Some(value) = value {
            object.insert("value".into(), value);
        }
        Value::Object(object)
    }
}

/// A rule that could not be parsed: which one, which field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} rule {rule}: field `{field}`: {problem}")]
pub struct RuleError {
    /// The rule kind (`override`, `content`, …).
    pub kind: String,
    /// The rule's id in quotes when it has one, otherwise its position (`#3`).
    pub rule: String,
    /// The field at fault, as a path within the rule (`conditions[1].pattern`).
    pub field: String,
    /// What is wrong with the field, in words.
    pub problem: String,
}

/// Why a push-rules document could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("push rules are not valid JSON: {0}")]
    /// The text is not JSON; the parser's message.
    Json(String),
    #[error("push rules must be a JSON object, with `global` or the rule kinds at the top")]
    /// The document is JSON but not an object.
    NotAnObject,
    #[error("push rule kind `{kind}` must be an array of rules")]
    /// A known rule kind whose value is not an array.
    KindNotArray {
        /// The kind's name, as in the document.
        kind: String,
    },
    #[error(transparent)]
    /// A rule in the document is malformed.
    Rule(#[from] RuleError),
}

impl PushRules {
    /// Parses a `GET /pushrules/` body. A bare ruleset (the `GET /pushrules/global/` body) is
    /// accepted too and becomes `global`.
    pub fn from_json(json: &str) -> Result<PushRules, ParseError> {
        Self::from_value(&parse_json(json)?)
    }

    /// Parses a `GET /pushrules/` body already read as JSON; the first malformed rule fails it.
    pub fn from_value(value: &Value) -> Result<PushRules, ParseError> {
        let (rules, mut errors) = Self::parse(value, false)?;
        match errors.is_empty() {
            true => Ok(rules),
            false => Err(errors.swap_remove(0).into()),
        }
    }

    /// Like [`PushRules::from_value`], but a malformed rule is left out (and reported) instead
    /// of failing the whole document (see [`Ruleset::from_value_lenient`]).
    pub fn from_value_lenient(value: &Value) -> Result<(PushRules, Vec<RuleError>), ParseError> {
        Self::parse(value, true)
    }

    fn parse(value: &Value, lenient: bool) -> Result<(PushRules, Vec<RuleError>), ParseError> {
        let object = value.as_object().ok_or(ParseError::NotAnObject)?;
        let (global, other_scopes) = match object.get("global") {
            Some(global) => {
                let other_scopes = object
                    .iter()
                    .filter(|(scope, _)| *scope != "global")
                    .map(|(scope, rules)| (scope.clone(), rules.clone()))
                    .collect();
                (global, other_scopes)
            }
            None => (value, Extra::new()),
        };
        let (global, errors) = Ruleset::parse(global, lenient)?;
        Ok((PushRules { global, other_scopes }, errors))
    }

    /// The document as JSON, fields this crate does not know included.
    pub fn to_value(&self) -> Value {
        let mut object = self.other_scopes.clone();
        object.insert("global".into(), self.global.to_value());
        Value::Object(object)
    }
}

impl Ruleset {
    /// Parses a bare ruleset (`{"override": [...], "content": [...], ...}`).
    pub fn from_json(json: &str) -> Result<Ruleset, ParseError> {
        Self::from_value(&parse_json(json)?)
    }

    /// Parses a bare ruleset already read as JSON; the first malformed rule fails it.
    pub fn from_value(value: &Value) -> Result<Ruleset, ParseError> {
        let (ruleset, mut errors) = Self::parse(value, false)?;
        match errors.is_empty() {
            true => Ok(ruleset),
            false => Err(errors.swap_remove(0).into()),
        }
    }

    /// Like [`Ruleset::from_value`], but a malformed rule is left out (and reported) instead of
    /// failing the whole ruleset — what a push path wants from a server it does not control.
    pub fn from_value_lenient(value: &Value) -> Result<(Ruleset, Vec<RuleError>), ParseError> {
        Self::parse(value, true)
    }

    fn parse(value: &Value, lenient: bool) -> Result<(Ruleset, Vec<RuleError>), ParseError> {
        let object = value.as_object().ok_or(ParseError::NotAnObject)?;
        let mut ruleset = Ruleset::default();
        let mut errors = Vec::new();
        for (name, rules) in object {
            let Some(kind) = RuleKind::from_name(name) else {
                ruleset.other_kinds.insert(name.clone(), rules.clone());
                continue;
            };
            let rules = rules
                .as_array()
                .ok_or_else(|| ParseError::KindNotArray { kind: name.clone() })?;
            ruleset.present.insert(kind);
            for (index, rule) in rules.iter().enumerate() {
                match Rule::from_value(kind, index, rule) {
                    Ok(rule) => ruleset.rules_mut(kind).push(rule),
                    Err(error) if lenient => errors.push(error),
                    Err(error) => return Ok((ruleset, vec![error])),
                }
            }
        }
        Ok((ruleset, errors))
    }

    /// The ruleset as JSON: kinds absent when parsed stay absent, unknown kinds are kept.
    pub fn to_value(&self) -> Value {
        let mut object = self.other_kinds.clone();
        for kind in RuleKind::ALL {
            let rules = self.rules(kind);
            if self.present.contains(kind) || !rules.is_empty() {
                let rules = rules.iter().map(Rule::to_value).collect();
                object.insert(kind.as_str().into(), Value::Array(rules));
            }
        }
        Value::Object(object)
    }

    /// A ruleset whose every known kind is written out, even when empty.
    pub(crate) fn with_all_kinds(mut self) -> Ruleset {
        self.present = KindSet::all();
        self
    }

    /// The rules of one kind, in priority order.
    pub fn rules(&self, kind: RuleKind) -> &[Rule] {
        match kind {
            RuleKind::Override => &self.override_,
            RuleKind::Content => &self.content,
            RuleKind::Postcontent => &self.postcontent,
            RuleKind::Room => &self.room,
            RuleKind::Sender => &self.sender,
            RuleKind::Underride => &self.underride,
        }
    }

    /// The rules of one kind, to edit in place.
    pub fn rules_mut(&mut self, kind: RuleKind) -> &mut Vec<Rule> {
        match kind {
            RuleKind::Override => &mut self.override_,
            RuleKind::Content => &mut self.content,
            RuleKind::Postcontent => &mut self.postcontent,
            RuleKind::Room => &mut self.room,
            RuleKind::Sender => &mut self.sender,
            RuleKind::Underride => &mut self.underride,
        }
    }

    /// Every rule with its kind, in evaluation order.
    pub fn iter(&self) -> impl Iterator<Item = (RuleKind, &Rule)> {
        RuleKind::ALL
            .into_iter()
            .flat_map(move |kind| self.rules(kind).iter().map(move |rule| (kind, rule)))
    }

    /// Finds a rule by kind and id.
    pub fn get(&self, kind: RuleKind, rule_id: &str) -> Option<&Rule> {
        self.rules(kind).iter().find(|rule| rule.rule_id == rule_id)
    }
}

/// Reads JSON into a value; serde_json's recursion limit rejects hostile nesting.
fn parse_json(json: &str) -> Result<Value, ParseError> {
    serde_json::from_str(json).map_err(|e| ParseError::Json(e.to_string()))
}

/// Builds [`RuleError`]s for one rule.
struct RuleContext {
    kind: RuleKind,
    rule: String,
}

impl RuleContext {
    fn error(&self, field: impl Into<String>, problem: impl Into<String>) -> RuleError {
        RuleError {
            kind: self.kind.as_str().into(),
            rule: self.rule.clone(),
            field: field.into(),
            problem: problem.into(),
        }
    }
}

impl Rule {
    /// Parses one rule of `kind` found at position `index` of its list.
    pub fn from_value(kind: RuleKind, index: usize, value: &Value) -> Result<Rule, RuleError> {
        let rule_id = value.get("rule_id").and_then(Value::as_str);
        let cx = RuleContext {
            kind,
            rule: match rule_id {
                Some(id) => format!("{id:?}"),
                None => format!("#{index}"),
            },
        };
        let object = value
            .as_object()
            .ok_or_else(|| cx.error("", "a rule must be a JSON object"))?;
        let rule_id = match object.get("rule_id") {
            Some(Value::String(id)) => id.clone(),
            Some(_) => return Err(cx.error("rule_id", "must be a string")),
            None => return Err(cx.error("rule_id", "is missing")),
        };
        let default = required_bool(&cx, object, "default")?;
        let enabled = required_bool(&cx, object, "enabled")?;
        let actions = match object.get("actions") {
            Some(Value::Array(actions)) => actions.iter().map(Action::from_value).collect(),
            Some(_) => return Err(cx.error("actions", "must be an array")),
            None => return Err(cx.error("actions", "is missing")),
        };
        let conditions = match object.get("conditions") {
            None => None,
            Some(Value::Array(conditions)) => Some(
                conditions
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        Condition::from_value(c).map_err(|(f, p)| cx.error(format!("conditions[{i}]{f}"), p))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err(cx.error("conditions", "must be an array")),
        };
        let pattern = match object.get("pattern") {
            None => None,
            Some(Value::String(pattern)) => Some(pattern.clone()),
            Some(_) => return Err(cx.error("pattern", "must be a string")),
        };
        if kind == RuleKind::Content && pattern.is_none() {
            return Err(cx.error("pattern", "is missing (content rules match a pattern)"));
        }
        let mut extra = object.clone();
        for known in [
            "rule_id",
            "default",
            "enabled",
            "actions",
            "conditions",
            "pattern",
        ] {
            extra.remove(known);
        }
        Ok(Rule {
            rule_id,
            default,
            enabled,
            actions,
            conditions,
            pattern,
            extra,
        })
    }

    /// The rule as the REST API writes it: known fields first, then the extra ones.
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        object.insert("rule_id".into(), Value::from(self.rule_id.as_str()));
        object.insert("default".into(), Value::Bool(self.default));
        object.insert("enabled".into(), Value::Bool(self.enabled));
        if let Some(conditions) = &self.conditions {
            let conditions = conditions.iter().map(Condition::to_value).collect();
            object.insert("conditions".into(), Value::Array(conditions));
        }
        if let Some(pattern) = &self.pattern {
            object.insert("pattern".into(), Value::from(pattern.as_str()));
        }
        object.insert(
            "actions".into(),
            Value::Array(self.actions.iter().map(Action::to_value).collect()),
        );
        object.extend(self.extra.clone());
        Value::Object(object)
    }
}

fn required_bool(cx: &RuleContext, object: &Map<String, Value>, field: &str) -> Result<bool, RuleError> {
    match object.get(field) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(cx.error(field, "must be true or false")),
        None => Err(cx.error(field, "is missing")),
    }
}

impl Condition {
    /// Parses one condition. On error returns the field (as a suffix such as `.pattern`) and the
    /// problem.
    fn from_value(value: &Value) -> Result<Condition, (String, String)> {
        let object = value
            .as_object()
            .ok_or_else(|| (String::new(), "a condition must be a JSON object".to_owned()))?;
        let kind = match object.get("kind") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(_) => return Err((".kind".into(), "must be a string".into())),
            None => return Err((".kind".into(), "is missing".into())),
        };
        let mut extra = object.clone();
        extra.remove("kind");
        let mut take_string = |field: &str| -> Result<String, (String, String)> {
            match extra.remove(field) {
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err((
                    format!(".{field}"),
                    format!("must be a string in a {kind} condition"),
                )),
                None => Err((format!(".{field}"), format!("is missing in a {kind} condition"))),
            }
        };
        let condition = match kind {
            "event_match" => {
                let key = take_string("key")?;
                let pattern = take_string("pattern")?;
                Condition::EventMatch { key, pattern, extra }
            }
            "event_property_is" | "event_property_contains" => {
                let key = take_string("key")?;
                let value = match extra.remove("value") {
                    Some(value) => ScalarValue::from_value(&value).ok_or_else(|| {
                        (
                            ".value".to_owned(),
                            "must be a string, an integer within ±(2^53-1), a boolean or null".to_owned(),
                        )
                    })?,
                    None => return Err((".value".into(), format!("is missing in a {kind} condition"))),
                };
                if kind == "event_property_is" {
                    Condition::EventPropertyIs { key, value, extra }
                } else {
                    Condition::EventPropertyContains { key, value, extra }
                }
            }
            "contains_display_name" => Condition::ContainsDisplayName { extra },
            "room_member_count" => {
                let is = take_string("is")?;
                if MemberCountTest::parse(&is).is_none() {
                    return Err((
                        ".is".into(),
                        format!("{is:?} is not a member count such as \"2\", \"==2\", \"<10\" or \">=3\""),
                    ));
                }
                Condition::RoomMemberCount { is, extra }
            }
            "sender_notification_permission" => {
                let key = take_string("key")?;
                Condition::SenderNotificationPermission { key, extra }
            }
            _ => Condition::Unknown(object.clone()),
        };
        Ok(condition)
    }

    /// The condition as JSON: `kind` first, then its fields, then the extra ones.
    pub fn to_value(&self) -> Value {
        let (fields, extra): (Vec<(&str, Value)>, &Extra) = match self {
            Condition::Unknown(object) => return Value::Object(object.clone()),
            Condition::EventMatch { key, pattern, extra } => (
                vec![
                    ("key", Value::from(key.as_str())),
                    ("pattern", Value::from(pattern.as_str())),
                ],
                extra,
            ),
            Condition::EventPropertyIs { key, value, extra }
            | Condition::EventPropertyContains { key, value, extra } => (
                vec![("key", Value::from(key.as_str())), ("value", value.to_value())],
                extra,
            ),
            Condition::ContainsDisplayName { extra } => (vec![], extra),
            Condition::RoomMemberCount { is, extra } => (vec![("is", Value::from(is.as_str()))], extra),
            Condition::SenderNotificationPermission { key, extra } => {
                (vec![("key", Value::from(key.as_str()))], extra)
            }
        };
        let mut object = Map::new();
        object.insert("kind".into(), Value::from(self.kind_name()));
        object.extend(fields.into_iter().map(|(name, value)| (name.to_owned(), value)));
        object.extend(extra.clone());
        Value::Object(object)
    }

    /// The condition's `kind` as written in JSON.
    pub fn kind_name(&self) -> &str {
        match self {
            Condition::EventMatch { .. } => "event_match",
            Condition::EventPropertyIs { .. } => "event_property_is",
            Condition::EventPropertyContains { .. } => "event_property_contains",
            Condition::ContainsDisplayName { .. } => "contains_display_name",
            Condition::RoomMemberCount { .. } => "room_member_count",
            Condition::SenderNotificationPermission { .. } => "sender_notification_permission",
            Condition::Unknown(object) => object.get("kind").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

macro_rules! serialize_via_value {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.to_value().serialize(serializer)
            }
        }
    )*};
}
serialize_via_value!(PushRules, Ruleset, Action);

/// A parsed `room_member_count` `is`: an operator and a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberCountTest {
    /// How the room's member count is compared.
    pub operator: CountOperator,
    /// The number it is compared with.
    pub count: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The comparison in a [`MemberCountTest`].
pub enum CountOperator {
    /// Exactly (`2` or `==2`).
    Eq,
    /// Fewer than (`<`).
    Lt,
    /// More than (`>`).
    Gt,
    /// At most (`<=`).
    Le,
    /// At least (`>=`).
    Ge,
}

impl MemberCountTest {
    /// Parses `2`, `==2`, `<2`, `>2`, `<=2` or `>=2`; anything else is `None`.
    pub fn parse(is: &str) -> Option<MemberCountTest> {
        let digits_at = is.find(|c: char| c.is_ascii_digit()).unwrap_or(is.len());
        let (prefix, digits) = is.split_at(digits_at);
        let operator = match prefix {
            "" | "==" => CountOperator::Eq,
            "<" => CountOperator::Lt,
            ">" => CountOperator::Gt,
            "<=" => CountOperator::Le,
            ">=" => CountOperator::Ge,
            _ => return None,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(MemberCountTest {
            operator,
            count: digits.parse().ok()?,
        })
    }

    /// Whether a room with `members` joined members passes the test.
    pub fn accepts(&self, members: u64) -> bool {
        match self.operator {
            CountOperator::Eq => members == self.count,
            CountOperator::Lt => members < self.count,
            CountOperator::Gt => members > self.count,
            CountOperator::Le => members <= self.count,
            CountOperator::Ge => members >= self.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn highlight_without_value_round_trips_without_value() {
        let actions =
            json!(["notify", {"set_tweak": "highlight"}, {"set_tweak": "highlight", "value": false}]);
        let parsed: Vec<Action> = actions
            .as_array()
            .unwrap()
            .iter()
            .map(Action::from_value)
            .collect();
        assert_eq!(parsed[1], Action::SetTweak(Tweak::Highlight(None)));
        assert_eq!(parsed[2], Action::SetTweak(Tweak::Highlight(Some(false))));
        let back: Vec<Value> = parsed.iter().map(Action::to_value).collect();
        assert_eq!(Value::Array(back), actions);
    }

    #[test]
    fn unknown_actions_and_odd_tweaks_are_kept_verbatim() {
        for raw in [
            json!("org.example.buzz"),
            json!({"set_tweak": "sound", "value": 3}),
            json!({"set_tweak": "highlight", "value": "yes"}),
            json!({"set_tweak": "sound", "value": "x", "extra": 1}),
            json!({"something": "else"}),
            json!(42),
        ] {
            let action = Action::from_value(&raw);
            assert_eq!(action, Action::Unknown(raw.clone()));
            assert_eq!(action.to_value(), raw);
        }
        let vibrate = json!({"set_tweak": "org.example.vibrate", "value": [1, 2]});
        assert!(matches!(
            Action::from_value(&vibrate),
            Action::SetTweak(Tweak::Other { .. })
        ));
        assert_eq!(Action::from_value(&vibrate).to_value(), vibrate);
    }

    #[test]
    fn obsolete_actions_are_accepted_and_kept() {
        assert_eq!(Action::from_value(&json!("dont_notify")), Action::DontNotify);
        assert_eq!(Action::from_value(&json!("coalesce")), Action::Coalesce);
        assert!(Action::DontNotify.is_obsolete() && Action::Coalesce.is_obsolete());
        assert_eq!(Action::Coalesce.to_value(), json!("coalesce"));
    }

    #[test]
    fn a_ruleset_round_trips_every_field() {
        let doc = json!({
            "global": {
                "override": [{
                    "rule_id": "x", "default": false, "enabled": true, "actions": ["notify", "org.x"],
                    "conditions": [
                        {"kind": "event_match", "key": "type", "pattern": "m.*", "org.extra": [1]},
                        {"kind": "org.example.new", "weird": {"a": 1}},
                        {"kind": "event_property_is", "key": "content.n", "value": null},
                        {"kind": "room_member_count", "is": ">=3"},
                        {"kind": "contains_display_name"},
                        {"kind": "sender_notification_permission", "key": "room"},
                        {"kind": "event_property_contains", "key": "content.tags", "value": 7}
                    ],
                    "org.rule.extra": "kept"
                }],
                "content": [{"rule_id": "c", "default": false, "enabled": false, "actions": [], "pattern": "cake*"}],
                "room": [],
                "org.future.kind": [{"anything": true}]
            },
            "device": {"whatever": 1}
        });
        let parsed = PushRules::from_value(&doc).unwrap();
        assert_eq!(parsed.to_value(), doc);
        assert!(matches!(
            parsed.global.override_[0].conditions.as_ref().unwrap()[1],
            Condition::Unknown(_)
        ));
        let bare = doc["global"].clone();
        assert_eq!(Ruleset::from_value(&bare).unwrap().to_value(), bare);
        assert_eq!(PushRules::from_value(&bare).unwrap().global.to_value(), bare);
    }

    #[test]
    fn a_malformed_rule_names_the_rule_and_the_field() {
        let cases = [
            (
                json!({"override": [{"rule_id": "a", "default": false, "enabled": true}]}),
                "override rule \"a\": field `actions`: is missing",
            ),
            (
                json!({"content": [{"rule_id": "kw", "default": false, "enabled": true, "actions": []}]}),
                "content rule \"kw\": field `pattern`",
            ),
            (
                json!({"underride": [{"default": false, "enabled": true, "actions": []}]}),
                "underride rule #0: field `rule_id`: is missing",
            ),
            (
                json!({"override": [{"rule_id": "b", "default": false, "enabled": "yes", "actions": []}]}),
                "override rule \"b\": field `enabled`: must be true or false",
            ),
            (
                json!({"override": [{"rule_id": "c", "default": false, "enabled": true, "actions": [],
                "conditions": [{"kind": "event_match", "key": "type"}]}]}),
                "override rule \"c\": field `conditions[0].pattern`: is missing",
            ),
            (
                json!({"override": [{"rule_id": "d", "default": false, "enabled": true, "actions": [],
                "conditions": [{"kind": "room_member_count", "is": "lots"}]}]}),
                "override rule \"d\": field `conditions[0].is`",
            ),
            (
                json!({"override": [{"rule_id": "e", "default": false, "enabled": true, "actions": [],
                "conditions": [{"kind": "event_property_is", "key": "k", "value": 1.5}]}]}),
                "override rule \"e\": field `conditions[0].value`",
            ),
        ];
        for (doc, expected) in cases {
            let error = Ruleset::from_value(&doc).unwrap_err().to_string();
            assert!(
                error.starts_with(expected),
                "{error} does not start with {expected}"
            );
        }
    }

    #[test]
    fn lenient_parsing_skips_and_reports_bad_rules() {
        let doc = json!({"override": [
            {"rule_id": "bad", "default": false, "enabled": true},
            {"rule_id": "good", "default": false, "enabled": true, "actions": ["notify"], "conditions": []}
        ]});
        let (ruleset, errors) = Ruleset::from_value_lenient(&doc).unwrap();
        assert_eq!(ruleset.override_.len(), 1);
        assert_eq!(ruleset.override_[0].rule_id, "good");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "actions");
    }

    #[test]
    fn non_object_documents_are_rejected() {
        assert_eq!(Ruleset::from_json("[]"), Err(ParseError::NotAnObject));
        assert!(matches!(
            Ruleset::from_json("{\"override\": {}}"),
            Err(ParseError::KindNotArray { .. })
        ));
        assert!(matches!(Ruleset::from_json("{"), Err(ParseError::Json(_))));
    }
}
