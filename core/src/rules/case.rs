//! One evaluation case in the shape of the push-rule conformance corpus: an `id`, the `rules` as
//! `GET /pushrules/` returns them, the `event`, and the `context`. The CLI reads this shape.

use super::context::PushContext;
use super::eval::{CompiledRuleset, Evaluation};
use super::model::PushRules;
use serde_json::Value;

/// A parsed case.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's `id`, any JSON value (`null` when absent).
    pub id: Value,
    /// The case's `rules`, as `GET /pushrules/` returns them.
    pub rules: PushRules,
    /// The event to evaluate, in the client-server API's format.
    pub event: Value,
    /// Who the event is evaluated for, and the room's state the rules read.
    pub context: PushContext,
}

impl Case {
    /// Parses a case from one JSON document. On failure returns the `id` (when it could be read)
    /// and a message.
    pub fn from_json(json: &str) -> Result<Case, (Value, String)> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| (Value::Null, format!("invalid JSON: {e}")))?;
        Case::from_value(value)
    }

    /// Like [`Case::from_json`], from a document already read as JSON.
    pub fn from_value(mut value: Value) -> Result<Case, (Value, String)> {
        let Some(object) = value.as_object_mut() else {
            return Err((Value::Null, "a case must be a JSON object".into()));
        };
        let id = object.remove("id").unwrap_or(Value::Null);
        let fail = |message: String| Err((id.clone(), message));
        let rules = match object.get("rules") {
            Some(rules) => match PushRules::from_value(rules) {
                Ok(rules) => rules,
                Err(e) => return fail(format!("rules: {e}")),
            },
            None => return fail("`rules` is missing".into()),
        };
        let event = match object.remove("event") {
            Some(event @ Value::Object(_)) => event,
            Some(_) => return fail("`event` must be a JSON object".into()),
            None => return fail("`event` is missing".into()),
        };
        let context = match object.remove("context") {
            Some(context) => match serde_json::from_value::<PushContext>(context) {
                Ok(context) => context,
                Err(e) => return fail(format!("context: {e}")),
            },
            None => return fail("`context` is missing".into()),
        };
        Ok(Case {
            id,
            rules,
            event,
            context,
        })
    }

    /// Compiles the case's rules.
    pub fn compile(&self) -> CompiledRuleset {
        CompiledRuleset::new(self.rules.global.clone())
    }

    /// Evaluates the case.
    pub fn evaluate(&self) -> Evaluation {
        self.compile().evaluate(&self.event, &self.context)
    }
}
