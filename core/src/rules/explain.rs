//! Why an event did or did not notify: every rule in evaluation order with the first condition
//! that failed and why, or "matched". Uses the evaluator's own checks, so an explanation cannot
//! disagree with [`CompiledRuleset::evaluate`].

use super::context::PushContext;
use super::eval::{CompiledRuleset, Evaluation, EventView, Failure, Test};
use super::model::{Condition, RuleKind};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt;

/// The explanation of one evaluation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The result, exactly what `evaluate` returns.
    pub evaluation: Evaluation,
    /// The event was sent by the user: no rule is looked at.
    pub own_event: bool,
    /// The content carries `m.mentions`, so the legacy mention rules are skipped.
    pub intentional_mentions: bool,
    /// Every rule of the ruleset, in evaluation order, with what happened to it.
    pub rules: Vec<RuleExplanation>,
}

/// What happened to one rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleExplanation {
    /// The rule's kind.
    pub kind: RuleKind,
    /// The rule's id.
    pub rule_id: String,
    /// This rule decided the outcome (the first enabled rule that matched).
    pub winner: bool,
    /// Whether it matched, and if not, why.
    #[serde(flatten)]
    pub outcome: RuleOutcome,
}

/// What the evaluation did with one rule. New outcomes may be added in minor versions.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleOutcome {
    /// Every condition held.
    Matched,
    /// The rule is disabled, so it was skipped.
    Disabled,
    /// A legacy mention rule, switched off by the event's `m.mentions`.
    SkippedLegacyMention,
    /// The first condition that failed: its position, the condition as JSON, and why.
    Failed {
        /// The failed condition's position among the rule's conditions (from 0).
        condition_index: usize,
        /// The condition as the server sent it.
        condition: Value,
        /// Why it did not hold, in words.
        reason: String,
    },
    /// Not looked at: the user's own event.
    NotEvaluated,
}

impl CompiledRuleset {
    /// Explains the evaluation of `event` for the user in `cx`.
    pub fn explain(&self, event: &Value, cx: &PushContext) -> Explanation {
        let view = self.view(event, cx);
        let own_event = view.is_own_event(cx);
        let intentional_mentions = view.has_intentional_mentions();
        let mut winner_found = false;
        let rules =
            self.rules
                .iter()
                .map(|rule| {
                    let outcome = if own_event {
                        RuleOutcome::NotEvaluated
                    } else if !rule.enabled {
                        RuleOutcome::Disabled
                    } else if rule.legacy_mention && intentional_mentions {
                        RuleOutcome::SkippedLegacyMention
                    } else {
                        let failed = rule.tests.iter().enumerate().find_map(|(i, test)| {
                            view.check(test, cx).err().map(|failure| (i, test, failure))
                        });
                        match failed {
                            None => RuleOutcome::Matched,
                            Some((index, test, failure)) => RuleOutcome::Failed {
                                condition_index: index,
                                condition: self.condition_json(rule.kind, rule.index, index),
                                reason: describe(self, &view, test, failure, cx),
                            },
                        }
                    };
                    let winner = outcome == RuleOutcome::Matched && !winner_found;
                    winner_found |= winner;
                    RuleExplanation {
                        kind: rule.kind,
                        rule_id: rule.rule_id.clone(),
                        winner,
                        outcome,
                    }
                })
                .collect();
        Explanation {
            evaluation: self.evaluate(event, cx),
            own_event,
            intentional_mentions,
            rules,
        }
    }

    /// The condition as the rule has it, or the implicit one of a content, room or sender rule.
    fn condition_json(&self, kind: RuleKind, index: usize, condition_index: usize) -> Value {
        let rule = &self.ruleset().rules(kind)[index];
        match kind {
            RuleKind::Content => {
                json!({"kind": "event_match", "key": "content.body", "pattern": rule.pattern})
            }
            RuleKind::Room => json!({"kind": "room_id equals", "value": rule.rule_id}),
            RuleKind::Sender => json!({"kind": "sender equals", "value": rule.rule_id}),
            _ => rule
                .conditions
                .as_ref()
                .and_then(|conditions| conditions.get(condition_index))
                .map(Condition::to_value)
                .unwrap_or(Value::Null),
        }
    }
}

/// A sentence for a failed test.
fn describe(
    rules: &CompiledRuleset,
    view: &EventView<'_, '_>,
    test: &Test,
    failure: Failure,
    cx: &PushContext,
) -> String {
    let field = |slot: usize| rules.key_name(slot);
    let shown = |slot: usize| match view.value(slot) {
        Some(value) => shorten(&value.to_string()),
        None => "nothing".to_owned(),
    };
    match (test, failure) {
        (
            Test::Match { slot, .. }
            | Test::Equals { slot, .. }
            | Test::PropertyIs { slot, .. }
            | Test::PropertyContains { slot, .. },
            Failure::Absent,
        ) => {
            format!("the event has no `{}`", field(*slot))
        }
        (Test::DisplayName, Failure::Absent) => "the event has no `content.body`".to_owned(),
        (Test::Match { slot, .. }, Failure::NotAString) => {
            format!("`{}` is {}, not a string", field(*slot), shown(*slot))
        }
        (Test::DisplayName, Failure::NotAString) => "`content.body` is not a string".to_owned(),
        (
            Test::Match {
                slot, words: true, ..
            },
            Failure::NoMatch,
        ) => {
            format!(
                "no word of `{}` ({}) matches the pattern",
                field(*slot),
                shown(*slot)
            )
        }
        (Test::Match { slot, .. }, Failure::NoMatch) => {
            format!(
                "`{}` is {}, which the pattern does not match",
                field(*slot),
                shown(*slot)
            )
        }
        (Test::DisplayName, Failure::NoMatch) => format!(
            "`content.body` does not contain the display name {:?} as a word",
            cx.display_name.as_deref().unwrap_or_default()
        ),
        (Test::Equals { slot, value }, Failure::NotEqual) => {
            format!("`{}` is {}, not {:?}", field(*slot), shown(*slot), value)
        }
        (Test::PropertyIs { slot, value }, Failure::NotEqual) => {
            format!("`{}` is {}, not {}", field(*slot), shown(*slot), value.to_value())
        }
        (Test::PropertyContains { slot, .. }, Failure::NotAnArray) => {
            format!("`{}` is {}, not an array", field(*slot), shown(*slot))
        }
        (Test::PropertyContains { slot, value }, Failure::NotInArray) => {
            format!(
                "`{}` ({}) does not contain {}",
                field(*slot),
                shown(*slot),
                value.to_value()
            )
        }
        (_, Failure::NoDisplayName) => "the user has no display name in this room".to_owned(),
        (_, Failure::MemberCountUnknown) => "the room's member count is not known".to_owned(),
        (Test::MemberCount(test), Failure::MemberCount(members)) => {
            format!(
                "the room has {members} joined members; the rule wants {:?} {}",
                test.operator, test.count
            )
        }
        (_, Failure::NoSender) => "the event has no sender".to_owned(),
        (Test::SenderPermission { key }, Failure::NoRequiredLevel) => {
            format!("the power levels set no level for the `{key}` notification")
        }
        (Test::SenderPermission { key }, Failure::PowerTooLow(level, required)) => {
            format!("the sender's power level {level} is below the {required} needed for `{key}`")
        }
        (_, Failure::UnknownCondition) => "this condition is not understood, so it never matches".to_owned(),
        (_, failure) => format!("{failure:?}"),
    }
}

/// Long event values are cut for display.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 80;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let result = &self.evaluation;
        match (&result.kind, &result.rule_id) {
            (Some(kind), Some(rule_id)) => writeln!(f, "result: {kind} rule {rule_id:?} matched")?,
            _ => writeln!(f, "result: no rule matched")?,
        }
        let actions: Vec<Value> = result.actions.iter().map(|a| a.to_value()).collect();
        writeln!(
            f,
            "actions: {}  (notify: {}, highlight: {}, sound: {})",
            Value::Array(actions),
            result.notify(),
            result.highlight(),
            result.sound().unwrap_or("none")
        )?;
        if self.own_event {
            writeln!(f, "the event was sent by the user themselves: it never notifies")?;
        }
        if self.intentional_mentions {
            writeln!(
                f,
                "the event has m.mentions: the legacy mention rules are skipped"
            )?;
        }
        writeln!(f)?;
        for rule in &self.rules {
            let marker = if rule.winner { "=>" } else { "  " };
            let what = match &rule.outcome {
                RuleOutcome::Matched if rule.winner => "MATCHED (decides)".to_owned(),
                RuleOutcome::Matched => "matched (a rule before it decided)".to_owned(),
                RuleOutcome::Disabled => "disabled".to_owned(),
                RuleOutcome::SkippedLegacyMention => {
                    "skipped (legacy mention rule, event has m.mentions)".to_owned()
                }
                RuleOutcome::NotEvaluated => "not evaluated".to_owned(),
                RuleOutcome::Failed {
                    condition_index,
                    condition,
                    reason,
                } => format!("condition {condition_index} failed: {reason}\n      condition: {condition}"),
            };
            writeln!(
                f,
                "{marker} {:<10} {:<45} {what}",
                rule.kind.as_str(),
                rule.rule_id
            )?;
        }
        Ok(())
    }
}
