//! Evaluator tests against the spec (push rules in the client-server API,
//! <https://spec.matrix.org/latest/client-server-api/#push-rules>): its worked examples, and each
//! place where Synapse's evaluator (`rust/src/push/evaluator.rs` and `rust/src/push/utils.rs` in
//! <https://github.com/element-hq/synapse>) departs from it. In every such case this crate follows
//! the spec, and the test says which way Synapse goes.

use super::*;
use serde_json::{Value, json};

const ME: &str = "@alice:example.org";

fn message(body: &str) -> Value {
    json!({
        "type": "m.room.message", "sender": "@bob:example.org", "room_id": "!room:example.org",
        "event_id": "$e", "content": {"msgtype": "m.text", "body": body}
    })
}

fn context() -> PushContext {
    let mut cx = PushContext::new(ME);
    cx.display_name = Some("Alice".into());
    cx.member_count = Some(5);
    cx.power_levels = Some(PowerLevels::from_content(
        &json!({"users": {"@boss:example.org": 100}}),
    ));
    cx
}

fn defaults() -> CompiledRuleset {
    CompiledRuleset::new(server_default_rules(ME))
}

/// The defaults plus user rules given as a bare ruleset JSON (prepended per kind, as servers list
/// user rules before server-default ones).
fn with_user_rules(user: Value) -> CompiledRuleset {
    let mut rules = server_default_rules(ME);
    let user = Ruleset::from_value(&user).unwrap();
    for kind in RuleKind::ALL {
        let mut merged = user.rules(kind).to_vec();
        let defaults = std::mem::take(rules.rules_mut(kind));
        let (master, rest): (Vec<_>, Vec<_>) =
            defaults.into_iter().partition(|r| r.rule_id == ".m.rule.master");
        merged.extend(rest);
        *rules.rules_mut(kind) = master.into_iter().chain(merged).collect();
    }
    CompiledRuleset::new(rules)
}

fn rule_of(rules: &CompiledRuleset, event: &Value, cx: &PushContext) -> Option<String> {
    rules.evaluate(event, cx).rule_id
}

#[test]
fn plain_messages_follow_the_underride_rules() {
    let rules = defaults();
    let mut cx = context();
    let result = rules.evaluate(&message("hello"), &cx);
    assert_eq!(result.rule_id.as_deref(), Some(".m.rule.message"));
    assert!(result.notify() && !result.highlight() && result.sound().is_none());
    cx.member_count = Some(2);
    let result = rules.evaluate(&message("hello"), &cx);
    assert_eq!(result.rule_id.as_deref(), Some(".m.rule.room_one_to_one"));
    assert_eq!(result.sound(), Some("default"));
    assert_eq!(result.kind, Some(RuleKind::Underride));
}

#[test]
fn own_events_never_notify() {
    let mut event = message("Alice, @room!");
    event["sender"] = json!(ME);
    let result = defaults().evaluate(&event, &context());
    assert_eq!(result, Evaluation::default());
    assert!(!result.notify());
    assert!(defaults().explain(&event, &context()).own_event);
}

#[test]
fn mentions_by_id_highlight() {
    let mut event = message("hi");
    event["content"]["m.mentions"] = json!({"user_ids": [ME]});
    let result = defaults().evaluate(&event, &context());
    assert_eq!(result.rule_id.as_deref(), Some(".m.rule.is_user_mention"));
    assert!(result.highlight());
}

#[test]
fn room_mentions_need_permission_and_creators_have_it() {
    let mut event = message("@room look");
    event["content"]["m.mentions"] = json!({"room": true});
    let rules = defaults();
    let mut cx = context();
    // Bob has level 0 < 50: no highlight, an ordinary message.
    assert_eq!(rule_of(&rules, &event, &cx).as_deref(), Some(".m.rule.message"));
    cx.creators = vec!["@bob:example.org".into()];
    cx.room_version = Some("12".into());
    assert_eq!(
        rule_of(&rules, &event, &cx).as_deref(),
        Some(".m.rule.is_room_mention")
    );
    cx.room_version = Some("10".into());
    assert_eq!(rule_of(&rules, &event, &cx).as_deref(), Some(".m.rule.message"));
}

#[test]
fn legacy_rules_fire_without_m_mentions_and_are_skipped_with_it() {
    let rules = defaults();
    let cx = context();
    assert_eq!(
        rule_of(&rules, &message("Hi Alice!"), &cx).as_deref(),
        Some(".m.rule.contains_display_name")
    );
    let mut cx_no_name = context();
    cx_no_name.display_name = None;
    assert_eq!(
        rule_of(&rules, &message("Hi alice!"), &cx_no_name).as_deref(),
        Some(".m.rule.contains_user_name")
    );
    let mut event = message("Hi Alice!");
    event["content"]["m.mentions"] = json!({});
    assert_eq!(rule_of(&rules, &event, &cx).as_deref(), Some(".m.rule.message"));
    let explanation = rules.explain(&event, &cx);
    assert!(explanation.intentional_mentions);
    let skipped = explanation
        .rules
        .iter()
        .filter(|r| r.outcome == RuleOutcome::SkippedLegacyMention)
        .count();
    assert_eq!(skipped, 3);
}

#[test]
fn obsolete_actions_are_stripped_from_the_result() {
    let rules = with_user_rules(json!({"override": [{
        "rule_id": "old", "default": false, "enabled": true, "actions": ["dont_notify"],
        "conditions": [{"kind": "event_match", "key": "content.body", "pattern": "quiet"}]
    }, {
        "rule_id": "older", "default": false, "enabled": true, "actions": ["notify", "coalesce"],
        "conditions": [{"kind": "event_match", "key": "content.body", "pattern": "loud"}]
    }]}));
    let quiet = rules.evaluate(&message("quiet please"), &context());
    assert_eq!(quiet.rule_id.as_deref(), Some("old"));
    assert!(quiet.actions.is_empty(), "[\"dont_notify\"] is the same as []");
    assert_eq!(
        rules.evaluate(&message("loud"), &context()).actions,
        vec![Action::Notify]
    );
}

#[test]
fn event_property_is_does_not_coerce() {
    let rules = with_user_rules(json!({"override": [{
        "rule_id": "flag", "default": false, "enabled": true, "actions": ["notify"],
        "conditions": [{"kind": "event_property_is", "key": "content.flag", "value": true}]
    }]}));
    let cx = context();
    for (flag, matches) in [
        (json!(true), true),
        (json!("true"), false),
        (json!(1), false),
        (json!(null), false),
    ] {
        let mut event = message("x");
        event["content"]["flag"] = flag.clone();
        assert_eq!(
            rule_of(&rules, &event, &cx).as_deref() == Some("flag"),
            matches,
            "{flag}"
        );
    }
}

#[test]
fn event_property_contains_ignores_non_scalars() {
    let rules = with_user_rules(json!({"override": [{
        "rule_id": "tag", "default": false, "enabled": true, "actions": ["notify"],
        "conditions": [{"kind": "event_property_contains", "key": "content.tags", "value": 3}]
    }]}));
    let cx = context();
    for (tags, matches) in [
        (json!([1, {"a": 3}, [3], 3]), true),
        (json!([[3], "3"]), false),
        (json!(3), false),
    ] {
        let mut event = message("x");
        event["content"]["tags"] = tags.clone();
        assert_eq!(
            rule_of(&rules, &event, &cx).as_deref() == Some("tag"),
            matches,
            "{tags}"
        );
    }
}

#[test]
fn event_match_needs_a_string_even_for_star() {
    let rules = with_user_rules(json!({"override": [{
        "rule_id": "any", "default": false, "enabled": true, "actions": ["notify"],
        "conditions": [{"kind": "event_match", "key": "content.n", "pattern": "*"}]
    }]}));
    let cx = context();
    let mut event = message("x");
    assert_ne!(rule_of(&rules, &event, &cx).as_deref(), Some("any"));
    event["content"]["n"] = json!(5);
    assert_ne!(rule_of(&rules, &event, &cx).as_deref(), Some("any"));
    event["content"]["n"] = json!("");
    assert_eq!(rule_of(&rules, &event, &cx).as_deref(), Some("any"));
}

#[test]
fn unknown_conditions_never_match() {
    let rules = with_user_rules(json!({"override": [{
        "rule_id": "future", "default": false, "enabled": true, "actions": ["notify", {"set_tweak": "highlight"}],
        "conditions": [{"kind": "org.example.always"}]
    }]}));
    assert_eq!(
        rule_of(&rules, &message("x"), &context()).as_deref(),
        Some(".m.rule.message")
    );
}

#[test]
fn empty_conditions_always_match() {
    let rules = with_user_rules(json!({"override": [{
        "rule_id": "all", "default": false, "enabled": true, "actions": [], "conditions": []
    }]}));
    assert_eq!(rule_of(&rules, &message("x"), &context()).as_deref(), Some("all"));
}

#[test]
fn user_rules_come_before_defaults_and_master_before_all() {
    let mut rules = server_default_rules(ME);
    rules.override_[0].enabled = true;
    let rules = CompiledRuleset::new(rules);
    let result = rules.evaluate(&message("Alice"), &context());
    assert_eq!(result.rule_id.as_deref(), Some(".m.rule.master"));
    assert!(result.actions.is_empty());
}

// --- Where Synapse's evaluator departs from the spec. We follow the spec. ---

#[test]
fn divergence_word_boundaries_are_ascii() {
    // Synapse's boundaries are Unicode (é is a word character there), so it would not match.
    let rules = with_user_rules(json!({"content": [{
        "rule_id": "kw", "default": false, "enabled": true, "actions": ["notify"], "pattern": "bob"
    }]}));
    assert_eq!(
        rule_of(&rules, &message("ébob"), &context()).as_deref(),
        Some("kw")
    );
}

#[test]
fn divergence_wildcards_match_newlines() {
    // Synapse's `*` and `?` do not cross a newline.
    let rules = with_user_rules(json!({"content": [{
        "rule_id": "kw", "default": false, "enabled": true, "actions": ["notify"], "pattern": "lunch*time"
    }]}));
    assert_eq!(
        rule_of(&rules, &message("lunch\ntime"), &context()).as_deref(),
        Some("kw")
    );
}

#[test]
fn divergence_one_to_many_case_folds_match() {
    // Synapse lowercases character by character, so ß never equals SS.
    let rules = with_user_rules(json!({"content": [{
        "rule_id": "kw", "default": false, "enabled": true, "actions": ["notify"], "pattern": "STRASSE"
    }]}));
    assert_eq!(
        rule_of(&rules, &message("die straße"), &context()).as_deref(),
        Some("kw")
    );
}

#[test]
fn divergence_an_empty_body_pattern_matches_nothing() {
    // Synapse matches every message with an empty content.body pattern.
    let rules = with_user_rules(json!({"content": [{
        "rule_id": "kw", "default": false, "enabled": true, "actions": ["notify"], "pattern": ""
    }]}));
    assert_eq!(
        rule_of(&rules, &message("anything"), &context()).as_deref(),
        Some(".m.rule.message")
    );
}

#[test]
fn divergence_display_names_are_literal_text() {
    // Synapse turns the display name into a glob, so "A*" would match "Abc".
    let rules = defaults();
    let mut cx = context();
    cx.display_name = Some("A*".into());
    assert_eq!(
        rule_of(&rules, &message("Abc"), &cx).as_deref(),
        Some(".m.rule.message")
    );
    assert_eq!(
        rule_of(&rules, &message("hey A* !"), &cx).as_deref(),
        Some(".m.rule.contains_display_name")
    );
}

#[test]
fn divergence_backslash_before_other_characters_is_literal() {
    // Synapse cannot reach a field named `m\x` through `content.m\x`.
    let rules = with_user_rules(json!({"override": [{
        "rule_id": "slash", "default": false, "enabled": true, "actions": ["notify"],
        "conditions": [{"kind": "event_match", "key": "content.m\\x", "pattern": "yes"}]
    }]}));
    let mut event = message("x");
    event["content"]["m\\x"] = json!("yes");
    assert_eq!(rule_of(&rules, &event, &context()).as_deref(), Some("slash"));
}

#[test]
fn divergence_sender_rules_match() {
    // Synapse stores sender rules keyed on user_id and never matches them.
    let rules = with_user_rules(json!({"sender": [{
        "rule_id": "@bob:example.org", "default": false, "enabled": true, "actions": []
    }]}));
    let result = rules.evaluate(&message("hi"), &context());
    assert_eq!(result.rule_id.as_deref(), Some("@bob:example.org"));
    assert_eq!(result.kind, Some(RuleKind::Sender));
    assert!(!result.notify());
}

#[test]
fn divergence_room_rules_match_the_room_id_exactly() {
    // Synapse compares room ids case-insensitively.
    let rules = with_user_rules(json!({"room": [{
        "rule_id": "!ROOM:example.org", "default": false, "enabled": true, "actions": []
    }]}));
    assert_eq!(
        rule_of(&rules, &message("hi"), &context()).as_deref(),
        Some(".m.rule.message")
    );
    let rules = with_user_rules(json!({"room": [{
        "rule_id": "!room:example.org", "default": false, "enabled": true, "actions": []
    }]}));
    assert_eq!(
        rule_of(&rules, &message("hi"), &context()).as_deref(),
        Some("!room:example.org")
    );
}

#[test]
fn divergence_a_null_m_mentions_is_not_intentional_mentions() {
    // Synapse switches the legacy rules off for any `m.mentions` key, even `null`.
    let mut event = message("Hi Alice!");
    event["content"]["m.mentions"] = Value::Null;
    assert_eq!(
        rule_of(&defaults(), &event, &context()).as_deref(),
        Some(".m.rule.contains_display_name")
    );
}

#[test]
fn divergence_unknown_notification_keys_have_no_default_level() {
    // Synapse gives every unset `notifications` key the level 50.
    let rules = with_user_rules(json!({"override": [{
        "rule_id": "alert", "default": false, "enabled": true, "actions": ["notify"],
        "conditions": [{"kind": "sender_notification_permission", "key": "org.example.alert"}]
    }]}));
    let mut cx = context();
    let mut event = message("x");
    event["sender"] = json!("@boss:example.org");
    assert_eq!(rule_of(&rules, &event, &cx).as_deref(), Some(".m.rule.message"));
    cx.power_levels = Some(PowerLevels::from_content(&json!({
        "users": {"@boss:example.org": 100}, "notifications": {"org.example.alert": 60}
    })));
    assert_eq!(rule_of(&rules, &event, &cx).as_deref(), Some("alert"));
}

// --- Hostile input ---

#[test]
fn deeply_nested_events_are_rejected_without_overflow() {
    let depth = 10_000;
    let json = format!(
        "{}{}",
        "{\"a\":".repeat(depth),
        "1".to_owned() + "}".repeat(depth).as_str()
    );
    let error = serde_json::from_str::<Value>(&json).unwrap_err();
    assert!(error.to_string().contains("recursion limit"), "{error}");
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(serde_json::from_str::<Value>(&arrays).is_err());
    // Rules documents go through the same parser.
    assert!(matches!(Ruleset::from_json(&json), Err(ParseError::Json(_))));
}

#[test]
fn hostile_patterns_against_long_bodies() {
    let pattern = "*a".repeat(200);
    let rules = with_user_rules(json!({
        "content": [{"rule_id": "kw", "default": false, "enabled": true, "actions": ["notify"], "pattern": pattern}],
        "override": [{"rule_id": "ov", "default": false, "enabled": true, "actions": ["notify"],
            "conditions": [{"kind": "event_match", "key": "content.other", "pattern": pattern}]}]
    }));
    let mut event = message(&"ab ".repeat(3_400));
    event["content"]["other"] = json!("b".repeat(10_000));
    assert_eq!(
        rule_of(&rules, &event, &context()).as_deref(),
        Some(".m.rule.message")
    );
}

#[test]
fn explain_agrees_with_evaluate() {
    let rules = defaults();
    let cx = context();
    let explanation = rules.explain(&message("hello"), &cx);
    let winners: Vec<_> = explanation.rules.iter().filter(|r| r.winner).collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(winners[0].rule_id, ".m.rule.message");
    assert_eq!(explanation.evaluation, rules.evaluate(&message("hello"), &cx));
    let suppress = &explanation.rules[1];
    assert_eq!(suppress.rule_id, ".m.rule.suppress_notices");
    match &suppress.outcome {
        RuleOutcome::Failed {
            condition_index,
            reason,
            ..
        } => {
            assert_eq!(*condition_index, 0);
            assert!(reason.contains("content.msgtype"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(explanation.rules[0].outcome, RuleOutcome::Disabled);
    let json = serde_json::to_value(&explanation).unwrap();
    assert_eq!(json["rules"][1]["outcome"], "failed");
    assert!(explanation.to_string().contains("=> underride"));
}

#[test]
fn sync_events_without_room_id_use_the_contexts_room() {
    let rules = with_user_rules(json!({"room": [{
        "rule_id": "!room:example.org", "default": false, "enabled": true, "actions": []
    }]}));
    let mut event = message("hi");
    event.as_object_mut().unwrap().remove("room_id");
    let mut cx = context();
    assert_eq!(rule_of(&rules, &event, &cx).as_deref(), Some(".m.rule.message"));
    cx.room_id = Some("!room:example.org".into());
    assert_eq!(rule_of(&rules, &event, &cx).as_deref(), Some("!room:example.org"));
    let text = event.to_string();
    assert_eq!(
        rules.evaluate_json(&text, &cx).unwrap().rule_id.as_deref(),
        Some("!room:example.org")
    );
    // An event that names its room is judged by it.
    cx.room_id = Some("!elsewhere:example.org".into());
    assert_eq!(
        rule_of(&rules, &message("hi"), &cx).as_deref(),
        Some("!room:example.org")
    );
}

#[test]
fn malformed_event_text_is_a_typed_error() {
    let rules = defaults();
    let cx = context();
    assert_eq!(rules.evaluate_json("[]", &cx), Err(EventError::NotAnObject));
    assert!(matches!(
        rules.evaluate_json("{\"type\":", &cx),
        Err(EventError::Json(_))
    ));
    assert!(matches!(rules.evaluate_json("", &cx), Err(EventError::Json(_))));
}
