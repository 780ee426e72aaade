//! The server-default push rules for a user, in the order of spec v1.19, plus the legacy mention
//! rules Synapse still serves.
//!
//! A homeserver sends its own defaults with `GET /pushrules/`; these are for when the phone has
//! no synced rules yet (first push after sign-in, a server that cannot be reached).

use super::model::Ruleset;
use serde_json::json;

/// The spec's predefined rules for `user_id`, with the legacy rules
/// `.m.rule.contains_display_name`, `.m.rule.roomnotif` (override) and
/// `.m.rule.contains_user_name` (content) where spec v1.16 had them. The evaluator skips those
/// three for events that carry `m.mentions`.
pub fn server_default_rules(user_id: &str) -> Ruleset {
    let localpart = user_id
        .strip_prefix('@')
        .unwrap_or(user_id)
        .split(':')
        .next()
        .unwrap_or_default();
    let notify_sound_highlight =
        json!(["notify", {"set_tweak": "sound", "value": "default"}, {"set_tweak": "highlight"}]);
    let notify_highlight = json!(["notify", {"set_tweak": "highlight"}]);
    let notify_sound = json!(["notify", {"set_tweak": "sound", "value": "default"}]);
    let type_is = |event_type: &str| json!({"kind": "event_match", "key": "type", "pattern": event_type});
    let state_key_empty = json!({"kind": "event_match", "key": "state_key", "pattern": ""});
    let room_permission = json!({"kind": "sender_notification_permission", "key": "room"});
    let one_to_one = json!({"kind": "room_member_count", "is": "2"});
    let rule = |rule_id: &str, conditions: serde_json::Value, actions: &serde_json::Value| json!({"rule_id": rule_id, "default": true, "enabled": true, "conditions": conditions, "actions": actions});
    let mut master = rule(".m.rule.master", json!([]), &json!([]));
    master["enabled"] = json!(false);
    let rules = json!({
        "override": [
            master,
            rule(".m.rule.suppress_notices",
                json!([{"kind": "event_match", "key": "content.msgtype", "pattern": "m.notice"}]), &json!([])),
            rule(".m.rule.invite_for_me", json!([
                type_is("m.room.member"),
                {"kind": "event_match", "key": "content.membership", "pattern": "invite"},
                {"kind": "event_match", "key": "state_key", "pattern": user_id}
            ]), &notify_sound),
            rule(".m.rule.member_event", json!([type_is("m.room.member")]), &json!([])),
            rule(".m.rule.is_user_mention", json!([
                {"kind": "event_property_contains", "key": "content.m\\.mentions.user_ids", "value": user_id}
            ]), &notify_sound_highlight),
            rule(".m.rule.contains_display_name", json!([{"kind": "contains_display_name"}]), &notify_sound_highlight),
            rule(".m.rule.is_room_mention", json!([
                {"kind": "event_property_is", "key": "content.m\\.mentions.room", "value": true},
                room_permission
            ]), &notify_highlight),
            rule(".m.rule.roomnotif", json!([
                {"kind": "event_match", "key": "content.body", "pattern": "@room"},
                room_permission
            ]), &notify_highlight),
            rule(".m.rule.tombstone", json!([type_is("m.room.tombstone"), state_key_empty]), &notify_highlight),
            rule(".m.rule.reaction", json!([type_is("m.reaction")]), &json!([])),
            rule(".m.rule.room.server_acl", json!([type_is("m.room.server_acl"), state_key_empty]), &json!([])),
            rule(".m.rule.suppress_edits", json!([
                {"kind": "event_property_is", "key": "content.m\\.relates_to.rel_type", "value": "m.replace"}
            ]), &json!([])),
        ],
        "content": [{
            "rule_id": ".m.rule.contains_user_name", "default": true, "enabled": true,
            "pattern": localpart, "actions": notify_sound_highlight
        }],
        "room": [],
        "sender": [],
        "underride": [
            rule(".m.rule.call", json!([type_is("m.call.invite")]),
                &json!(["notify", {"set_tweak": "sound", "value": "ring"}])),
            rule(".m.rule.encrypted_room_one_to_one", json!([one_to_one, type_is("m.room.encrypted")]), &notify_sound),
            rule(".m.rule.room_one_to_one", json!([one_to_one, type_is("m.room.message")]), &notify_sound),
            rule(".m.rule.message", json!([type_is("m.room.message")]), &json!(["notify"])),
            rule(".m.rule.encrypted", json!([type_is("m.room.encrypted")]), &json!(["notify"])),
        ],
    });
    Ruleset::from_value(&rules)
        .expect("the built-in default rules are well-formed")
        .with_all_kinds()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleKind;

    fn ids(ruleset: &Ruleset, kind: RuleKind) -> Vec<&str> {
        ruleset.rules(kind).iter().map(|r| r.rule_id.as_str()).collect()
    }

    #[test]
    fn spec_order_with_legacy_rules() {
        let rules = server_default_rules("@alice:example.org");
        assert_eq!(
            ids(&rules, RuleKind::Override),
            [
                ".m.rule.master",
                ".m.rule.suppress_notices",
                ".m.rule.invite_for_me",
                ".m.rule.member_event",
                ".m.rule.is_user_mention",
                ".m.rule.contains_display_name",
                ".m.rule.is_room_mention",
                ".m.rule.roomnotif",
                ".m.rule.tombstone",
                ".m.rule.reaction",
                ".m.rule.room.server_acl",
                ".m.rule.suppress_edits",
            ]
        );
        assert_eq!(ids(&rules, RuleKind::Content), [".m.rule.contains_user_name"]);
        assert_eq!(rules.content[0].pattern.as_deref(), Some("alice"));
        assert_eq!(
            ids(&rules, RuleKind::Underride),
            [
                ".m.rule.call",
                ".m.rule.encrypted_room_one_to_one",
                ".m.rule.room_one_to_one",
                ".m.rule.message",
                ".m.rule.encrypted",
            ]
        );
        assert!(!rules.override_[0].enabled, "the master rule starts disabled");
        assert!(rules.iter().all(|(_, rule)| rule.default));
    }

    #[test]
    fn round_trips_and_writes_every_kind() {
        let rules = server_default_rules("@bob:x");
        let value = rules.to_value();
        for kind in ["override", "content", "room", "sender", "underride"] {
            assert!(value.get(kind).is_some(), "{kind}");
        }
        assert_eq!(Ruleset::from_value(&value).unwrap().to_value(), value);
    }
}
