//! Push rules: the spec's model, the server-default rules, and a compiled evaluator with
//! explanations. Pure: no I/O.
//!
//! ```
//! use matrix_push::rules::{server_default_rules, CompiledRuleset, PushContext};
//! use serde_json::json;
//!
//! let rules = CompiledRuleset::new(server_default_rules("@alice:example.org"));
//! let event = json!({
//!     "type": "m.room.message", "sender": "@bob:example.org", "room_id": "!r:example.org",
//!     "content": {"msgtype": "m.text", "body": "lunch?", "m.mentions": {"user_ids": ["@alice:example.org"]}}
//! });
//! let mut cx = PushContext::new("@alice:example.org");
//! cx.member_count = Some(5);
//! let result = rules.evaluate(&event, &cx);
//! assert!(result.notify() && result.highlight());
//! assert_eq!(result.sound(), Some("default"));
//! assert_eq!(result.rule_id.as_deref(), Some(".m.rule.is_user_mention"));
//! ```

mod case;
mod context;
mod defaults;
mod eval;
mod event;
mod explain;
pub mod glob;
mod model;
mod path;

pub use case::Case;
pub use context::{DEFAULT_ROOM_NOTIFICATION_LEVEL, Power, PowerLevels, PushContext};
pub use defaults::server_default_rules;
pub use eval::{CompiledRuleset, Evaluation, LEGACY_MENTION_RULES};
pub use event::EventError;
pub use explain::{Explanation, RuleExplanation, RuleOutcome};
pub use model::{
    Action, Condition, CountOperator, Extra, MAX_SAFE_INTEGER, MemberCountTest, ParseError, PushRules, Rule,
    RuleError, RuleKind, Ruleset, ScalarValue, Tweak,
};
pub use path::KeyPath;

#[cfg(test)]
mod spec_tests;
