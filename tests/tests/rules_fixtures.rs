//! The real rule sets captured from Synapse (`fixtures/rules/`): they parse, write back
//! unchanged, and agree with this crate's own server defaults where the spec and Synapse agree.

use matrix_push::rules::{CompiledRuleset, PushContext, PushRules, RuleKind, server_default_rules};
use matrix_push_tests::fixtures_dir;
use serde_json::{Value, json};

fn load(name: &str) -> Value {
    let path = fixtures_dir().join("rules").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn synapse_rule_sets_round_trip_unchanged() {
    for name in [
        "default_pushrules.json",
        "default_pushrules_carol.json",
        "recipient_pushrules.json",
    ] {
        let raw = load(name);
        let rules = PushRules::from_value(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rules.to_value(), raw, "{name}");
    }
}

#[test]
fn synapse_defaults_have_the_spec_rules_in_the_spec_order() {
    let synapse = PushRules::from_value(&load("default_pushrules.json"))
        .unwrap()
        .global;
    let user_id = "@alice:localhost";
    let ours = server_default_rules(user_id);
    for kind in RuleKind::ALL {
        let theirs: Vec<&str> = synapse.rules(kind).iter().map(|r| r.rule_id.as_str()).collect();
        let ours: Vec<&str> = ours.rules(kind).iter().map(|r| r.rule_id.as_str()).collect();
        let common: Vec<&str> = theirs.iter().copied().filter(|id| ours.contains(id)).collect();
        assert_eq!(
            common, ours,
            "{kind}: Synapse serves every spec rule, in the spec's order"
        );
    }
}

#[test]
fn synapse_defaults_and_ours_decide_alike_on_everyday_events() {
    let synapse = PushRules::from_value(&load("default_pushrules.json"))
        .unwrap()
        .global;
    let user_id = synapse.content[0]
        .pattern
        .clone()
        .map(|localpart| format!("@{localpart}:localhost"))
        .unwrap();
    let theirs = CompiledRuleset::new(synapse);
    let ours = CompiledRuleset::new(server_default_rules(&user_id));
    let mut cx = PushContext::new(&user_id);
    cx.display_name = Some("Alice".into());
    let events = [
        json!({"type": "m.room.message", "sender": "@bob:localhost", "content": {"msgtype": "m.text", "body": "hi"}}),
        json!({"type": "m.room.message", "sender": "@bob:localhost", "content": {"msgtype": "m.notice", "body": "bot"}}),
        json!({"type": "m.room.message", "sender": "@bob:localhost", "content": {"body": "hey Alice", "msgtype": "m.text"}}),
        json!({"type": "m.room.message", "sender": "@bob:localhost",
            "content": {"body": "x", "m.mentions": {"user_ids": [user_id]}}}),
        json!({"type": "m.room.encrypted", "sender": "@bob:localhost", "content": {"ciphertext": "..."}}),
        json!({"type": "m.call.invite", "sender": "@bob:localhost", "content": {}}),
        json!({"type": "m.reaction", "sender": "@bob:localhost", "content": {}}),
        json!({"type": "m.room.member", "sender": "@bob:localhost", "state_key": user_id, "content": {"membership": "invite"}}),
    ];
    for members in [2, 7] {
        cx.member_count = Some(members);
        for event in &events {
            let (a, b) = (theirs.evaluate(event, &cx), ours.evaluate(event, &cx));
            assert_eq!(
                (
                    a.rule_id.clone(),
                    a.notify(),
                    a.highlight(),
                    a.sound().map(str::to_owned)
                ),
                (
                    b.rule_id.clone(),
                    b.notify(),
                    b.highlight(),
                    b.sound().map(str::to_owned)
                ),
                "{event}"
            );
        }
    }
}
