//! Unit tests of the decoders and of routing, on hand-written payloads shaped like the real ones
//! (the captured payloads are checked in `tests/tests/payload_fixtures.rs`).

use super::*;
use serde_json::json;

fn ok(provider: Provider, payload: Value) -> PushPayload {
    decode(provider, &payload).unwrap_or_else(|e| panic!("{provider:?} {payload}: {e}"))
}

fn string_map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn fcm_v1_full_gathers_content_and_reads_string_counts() {
    let p = ok(
        Provider::Fcm,
        json!({
            "event_id": "$e", "type": "m.room.message", "sender": "@alice:example.org",
            "sender_display_name": "Alice", "room_name": "Lunch", "room_id": "!r:example.org",
            "content_body": "pizza?", "content_msgtype": "m.text", "prio": "normal",
            "unread": "6", "missed_calls": "1"
        }),
    );
    assert_eq!(p.event_id.as_deref(), Some("$e"));
    assert_eq!(p.room_id.as_deref(), Some("!r:example.org"));
    assert_eq!(p.event_type.as_deref(), Some("m.room.message"));
    assert_eq!(p.sender.as_deref(), Some("@alice:example.org"));
    assert_eq!(p.sender_display_name.as_deref(), Some("Alice"));
    assert_eq!(p.room_name.as_deref(), Some("Lunch"));
    assert_eq!((p.unread, p.missed_calls), (Some(6), Some(1)));
    assert_eq!(p.prio, Some(Priority::Low));
    assert_eq!(p.body.as_deref(), Some("pizza?"));
    assert_eq!(p.content, Some(json!({"body": "pizza?", "msgtype": "m.text"})));
    assert!(!p.badge_only);
    assert!(p.extra.is_empty());
    assert_eq!(p.provider, Some(Provider::Fcm));
}

#[test]
fn fcm_badge_push_is_badge_only_and_drops_the_empty_sender() {
    for unread in [json!("7"), json!(7)] {
        let p = ok(
            Provider::Fcm,
            json!({"sender": "", "prio": "high", "unread": unread}),
        );
        assert!(p.badge_only);
        assert_eq!(p.unread, Some(7));
        assert_eq!(p.sender, None);
        assert_eq!(p.prio, Some(Priority::High));
        assert_eq!(p.event_id, None);
    }
    let zero = ok(Provider::FcmLegacy, json!({"unread": "0"}));
    assert!(zero.badge_only && zero.unread == Some(0));
}

#[test]
fn fcm_legacy_keeps_nested_content_from_json_and_from_a_string_map() {
    let content = json!({"body": "{not json} hi", "msgtype": "m.text", "m.mentions": {"user_ids": []}});
    let p = ok(
        Provider::FcmLegacy,
        json!({"event_id": "$e", "room_id": "!r", "content": content, "unread": 2, "prio": "high"}),
    );
    assert_eq!(p.content.as_ref(), Some(&content));
    assert_eq!(p.body.as_deref(), Some("{not json} hi"));
    assert_eq!(p.unread, Some(2));

    // On Android, getData() hands everything over as strings.
    let map = string_map(&[
        ("event_id", "$e"),
        ("room_id", "!r"),
        ("content", &content.to_string()),
        ("unread", "2"),
        ("prio", "high"),
    ]);
    let from_map = decode_string_map(Provider::FcmLegacy, &map).unwrap();
    assert_eq!(from_map, p);
}

#[test]
fn string_maps_do_not_parse_text_fields_that_look_like_json() {
    let map = string_map(&[
        ("event_id", "$e"),
        ("content_body", "{\"a\": 1}"),
        ("sender_display_name", "[bot]"),
        ("cs", "k"),
        ("nested", "{\"x\": [1, 2]}"),
    ]);
    let p = decode_string_map(Provider::Fcm, &map).unwrap();
    assert_eq!(p.body.as_deref(), Some("{\"a\": 1}"));
    assert_eq!(p.sender_display_name.as_deref(), Some("[bot]"));
    assert_eq!(p.extra["cs"], "k");
    assert_eq!(p.extra["nested"], json!({"x": [1, 2]}));
}

#[test]
fn nested_content_wins_over_flattened_keys() {
    let p = ok(
        Provider::Fcm,
        json!({"event_id": "$e", "content": {"body": "full"}, "content_body": "cut…", "content_x": "y"}),
    );
    assert_eq!(p.content, Some(json!({"body": "full", "x": "y"})));
    assert_eq!(p.body.as_deref(), Some("full"));
}

#[test]
fn default_payload_keys_go_to_extra() {
    let p = ok(
        Provider::Fcm,
        json!({"cs": "secret-123", "app": {"v": 2}, "event_id": "$e", "room_id": "!r", "unread": "1"}),
    );
    assert_eq!(
        Value::Object(p.extra),
        json!({"cs": "secret-123", "app": {"v": 2}})
    );
}

#[test]
fn malformed_fields_stay_in_extra_and_do_not_fail_the_push() {
    let p = ok(
        Provider::Fcm,
        json!({"event_id": "$e", "sender": 5, "unread": "many", "prio": "urgent", "user_is_target": "yes",
               "room_id": ["!r"], "content": "not an object", "missed_calls": -1}),
    );
    assert_eq!(p.event_id.as_deref(), Some("$e"));
    assert_eq!(
        (p.sender, p.unread, p.prio, p.user_is_target),
        (None, None, None, None)
    );
    assert_eq!((p.room_id, p.content, p.missed_calls), (None, None, None));
    for key in [
        "sender",
        "unread",
        "prio",
        "user_is_target",
        "room_id",
        "content",
        "missed_calls",
    ] {
        assert!(p.extra.contains_key(key), "{key}");
    }
}

#[test]
fn counts_accept_numbers_digit_strings_and_whole_floats() {
    for (value, expected) in [
        (json!(3), Some(3)),
        (json!("3"), Some(3)),
        (json!(" 3 "), Some(3)),
        (json!(3.0), Some(3)),
        (json!(3.5), None),
        (json!(-3), None),
        (json!("-3"), None),
        (json!(true), None),
        (json!(u64::MAX), Some(u64::MAX)),
        (json!("18446744073709551616"), None),
        (json!(1e300), None),
    ] {
        let p = ok(Provider::Fcm, json!({"event_id": "$e", "unread": value}));
        assert_eq!(p.unread, expected, "{value}");
    }
}

#[test]
fn a_malformed_event_id_is_an_error() {
    let err = decode(Provider::Fcm, &json!({"event_id": 12, "unread": "1"})).unwrap_err();
    assert_eq!(
        err,
        PayloadError::InvalidField {
            field: "event_id".into(),
            reason: "expected a string, found a number".into()
        }
    );
}

#[test]
fn unusable_and_malformed_input_are_typed_errors() {
    assert!(matches!(
        decode_json(Provider::Fcm, "{"),
        Err(PayloadError::NotJson(_))
    ));
    assert!(matches!(
        decode_json(Provider::Fcm, ""),
        Err(PayloadError::NotJson(_))
    ));
    for provider in Provider::ALL {
        assert_eq!(decode(provider, &json!([1])), Err(PayloadError::NotAnObject));
        assert_eq!(decode(provider, &json!("x")), Err(PayloadError::NotAnObject));
        assert_eq!(decode(provider, &json!(null)), Err(PayloadError::NotAnObject));
    }
    for provider in [
        Provider::Fcm,
        Provider::FcmLegacy,
        Provider::Apns,
        Provider::UnifiedPush,
    ] {
        let err = decode(provider, &json!({"sender": "@a:b", "prio": "high"})).unwrap_err();
        assert!(matches!(err, PayloadError::Unusable(_)), "{provider:?}: {err}");
    }
    let err = decode(Provider::Fcm, &json!({"unread": "lots"})).unwrap_err();
    assert!(err.to_string().contains("unreadable: unread"), "{err}");
    assert_eq!(
        decode(Provider::Gateway, &json!({"event_id": "$e"})),
        Err(PayloadError::MissingNotification)
    );
    assert_eq!(
        decode(Provider::Gateway, &json!({"notification": [1]})),
        Err(PayloadError::MissingNotification)
    );
    assert!(matches!(
        decode(Provider::Gateway, &json!({"notification": {"devices": []}})),
        Err(PayloadError::Unusable(_))
    ));
    assert!(matches!(
        decode(Provider::Apns, &json!({"aps": {"alert": "hi"}})),
        Err(PayloadError::Unusable(_))
    ));
}

#[test]
fn apns_full_recovers_names_and_body_from_loc_args() {
    let cases = [
        (
            "MSG_FROM_USER_IN_ROOM_WITH_CONTENT",
            json!(["Alice", "Lunch", "pizza?"]),
            (Some("Alice"), Some("Lunch"), Some("pizza?")),
        ),
        (
            "MSG_FROM_USER_IN_ROOM",
            json!(["Alice", "Lunch"]),
            (Some("Alice"), Some("Lunch"), None),
        ),
        (
            "IMAGE_FROM_USER_IN_ROOM",
            json!(["Alice", "cat.png", "Lunch"]),
            (Some("Alice"), Some("Lunch"), Some("cat.png")),
        ),
        (
            "ACTION_FROM_USER_IN_ROOM",
            json!(["Lunch", "Alice", "waves"]),
            (Some("Alice"), Some("Lunch"), Some("waves")),
        ),
        (
            "MSG_FROM_USER_WITH_CONTENT",
            json!(["Alice", "hi"]),
            (Some("Alice"), None, Some("hi")),
        ),
        (
            "IMAGE_FROM_USER",
            json!(["Alice", "cat.png"]),
            (Some("Alice"), None, Some("cat.png")),
        ),
        (
            "ACTION_FROM_USER",
            json!(["Alice", "waves"]),
            (Some("Alice"), None, Some("waves")),
        ),
        ("MSG_FROM_USER", json!(["Alice"]), (Some("Alice"), None, None)),
        ("MSG_FROM_USER", json!([" "]), (None, None, None)),
        // Not laid out as the key says: nothing is guessed.
        (
            "MSG_FROM_USER_IN_ROOM_WITH_CONTENT",
            json!(["Alice", "hi"]),
            (None, None, None),
        ),
        ("SOMETHING_ELSE", json!(["Alice"]), (None, None, None)),
        // A null argument (an image without a body) leaves just that field out.
        (
            "IMAGE_FROM_USER_IN_ROOM",
            json!(["Alice", null, "Lunch"]),
            (Some("Alice"), Some("Lunch"), None),
        ),
    ];
    for (key, args, (from, room, body)) in cases {
        let p = ok(
            Provider::Apns,
            json!({"aps": {"alert": {"loc-key": key, "loc-args": args}, "badge": 4},
                   "room_id": "!r", "event_id": "$e"}),
        );
        let got = (
            p.sender_display_name.as_deref(),
            p.room_name.as_deref(),
            p.body.as_deref(),
        );
        assert_eq!(got, (from, room, body), "{key} {args}");
        assert_eq!((p.unread, p.missed_calls, p.prio), (Some(4), None, None));
        assert_eq!(p.event_type, None, "{key}: a message key does not tell the type");
        assert!(p.extra.is_empty(), "aps does not go to extra");
    }
}

#[test]
fn apns_calls_and_invites_tell_the_event_type() {
    for key in ["VOICE_CALL_FROM_USER", "VIDEO_CALL_FROM_USER"] {
        let p = ok(
            Provider::Apns,
            json!({"aps": {"alert": {"loc-key": key, "loc-args": ["Alice"]}},
                   "event_id": "$e", "room_id": "!r"}),
        );
        assert_eq!(p.event_type.as_deref(), Some("m.call.invite"));
        assert_eq!(p.sender_display_name.as_deref(), Some("Alice"));
        assert_eq!(p.unread, None);
    }
    let named = ok(
        Provider::Apns,
        json!({"aps": {"alert": {"loc-key": "USER_INVITE_TO_NAMED_ROOM", "loc-args": ["Alice", "Party"]},
                       "badge": 1},
               "event_id": "$e", "room_id": "!r"}),
    );
    assert_eq!(named.event_type.as_deref(), Some("m.room.member"));
    assert_eq!(named.membership.as_deref(), Some("invite"));
    assert_eq!(named.user_is_target, Some(true));
    assert_eq!(named.room_name.as_deref(), Some("Party"));
    let unnamed = ok(
        Provider::Apns,
        json!({"aps": {"alert": {"loc-key": "USER_INVITE_TO_CHAT", "loc-args": ["Alice"]}},
               "event_id": "$e"}),
    );
    assert_eq!(
        (unnamed.room_name, unnamed.membership.as_deref()),
        (None, Some("invite"))
    );
}

#[test]
fn apns_explicit_fields_win_over_loc_args() {
    let p = ok(
        Provider::Apns,
        json!({"aps": {"alert": {"loc-key": "MSG_FROM_USER_WITH_CONTENT", "loc-args": ["Alice", "trimmed"]}},
               "event_id": "$e", "sender_display_name": "Alice L.", "content": {"body": "whole"}}),
    );
    assert_eq!(p.sender_display_name.as_deref(), Some("Alice L."));
    assert_eq!(p.body.as_deref(), Some("whole"));
}

#[test]
fn apns_alert_text_is_a_body_of_last_resort() {
    let p = ok(
        Provider::Apns,
        json!({"aps": {"alert": "New message"}, "event_id": "$e"}),
    );
    assert_eq!(p.body.as_deref(), Some("New message"));
    let p = ok(
        Provider::Apns,
        json!({"aps": {"alert": {"title": "T", "body": "B"}}, "event_id": "$e"}),
    );
    assert_eq!(p.body.as_deref(), Some("B"));
}

#[test]
fn apns_event_id_only_and_badge_only() {
    let p = ok(
        Provider::Apns,
        json!({"aps": {"alert": {"loc-key": "Notification"}, "mutable-content": 1}, "room_id": "!r",
               "event_id": "$e", "unread_count": 6, "missed_calls": 2, "cs": "k"}),
    );
    assert_eq!(
        (p.event_id.as_deref(), p.room_id.as_deref()),
        (Some("$e"), Some("!r"))
    );
    assert_eq!((p.unread, p.missed_calls), (Some(6), Some(2)));
    assert_eq!((p.sender_display_name, p.body), (None, None));
    assert_eq!(Value::Object(p.extra), json!({"cs": "k"}));

    for n in [0, 5] {
        let p = ok(Provider::Apns, json!({"aps": {"badge": n}}));
        assert!(p.badge_only);
        assert_eq!(p.unread, Some(n));
        assert_eq!((p.room_id, p.event_id), (None, None));
    }
}

#[test]
fn apns_unread_count_wins_over_badge() {
    let p = ok(
        Provider::Apns,
        json!({"aps": {"badge": 9}, "event_id": "$e", "unread_count": 3}),
    );
    assert_eq!(p.unread, Some(3));
}

fn gateway_body() -> Value {
    json!({"notification": {
        "event_id": "$e", "id": "$e", "room_id": "!r", "type": "m.room.member",
        "sender": "@alice:example.org",
        "sender_display_name": "Alice", "room_name": "Party", "membership": "invite", "user_is_target": true,
        "prio": "low", "content": {"membership": "invite", "displayname": "Bob"},
        "counts": {"unread": 2, "missed_calls": 1},
        "devices": [{"app_id": "org.example.app", "pushkey": "token-1", "pushkey_ts": 1,
                     "data": {"format": "event_id_only",
                              "default_payload": {"cs": "k", "aps": {"mutable-content": 1}}},
                     "tweaks": {"sound": "default"}}]
    }})
}

#[test]
fn gateway_reads_counts_and_the_device() {
    let p = ok(Provider::Gateway, gateway_body());
    assert_eq!(p.event_id.as_deref(), Some("$e"));
    assert_eq!(p.event_type.as_deref(), Some("m.room.member"));
    assert_eq!(
        (p.unread, p.missed_calls, p.prio),
        (Some(2), Some(1), Some(Priority::Low))
    );
    assert_eq!(
        (p.membership.as_deref(), p.user_is_target),
        (Some("invite"), Some(true))
    );
    assert_eq!(
        p.content,
        Some(json!({"membership": "invite", "displayname": "Bob"}))
    );
    assert_eq!(p.body, None);
    assert_eq!(
        Value::Object(p.extra),
        json!({"pushkey": "token-1", "app_id": "org.example.app", "tweaks": {"sound": "default"}, "cs": "k"})
    );
}

#[test]
fn gateway_badge_push_as_synapse_sends_it() {
    let body = json!({"notification": {"id": "", "type": null, "sender": "", "counts": {"unread": 0},
                      "devices": [{"app_id": "a", "pushkey": "p", "pushkey_ts": 1, "data": {}}]}});
    let p = ok(Provider::Gateway, body);
    assert!(p.badge_only);
    assert_eq!(
        (p.unread, p.event_id, p.sender, p.event_type, p.prio),
        (Some(0), None, None, None, None)
    );
}

#[test]
fn gateway_uses_the_deprecated_id_when_event_id_is_missing() {
    let p = ok(
        Provider::Gateway,
        json!({"notification": {"id": "$old", "room_id": "!r", "devices": []}}),
    );
    assert_eq!(p.event_id.as_deref(), Some("$old"));
    assert!(!p.badge_only);
}

#[test]
fn unified_push_accepts_the_gateway_body_and_a_bare_notification() {
    let wrapped = ok(Provider::UnifiedPush, gateway_body());
    let mut gateway = ok(Provider::Gateway, gateway_body());
    gateway.provider = Some(Provider::UnifiedPush);
    assert_eq!(wrapped, gateway);
    let bare = ok(Provider::UnifiedPush, gateway_body()["notification"].clone());
    assert_eq!(bare, wrapped);
    // Sygnal's WebPush payload: flat counts and the default_payload's keys.
    let webpush = ok(
        Provider::UnifiedPush,
        json!({"cs": "k", "room_id": "!r", "event_id": "$e", "unread": 3, "content": {"body": "hi"}}),
    );
    assert_eq!((webpush.unread, webpush.body.as_deref()), (Some(3), Some("hi")));
    assert_eq!(webpush.extra["cs"], "k");
}

#[test]
fn provider_names_round_trip() {
    for provider in Provider::ALL {
        assert_eq!(Provider::from_name(provider.as_str()), Some(provider));
    }
    assert_eq!(Provider::from_name("fcm_v1"), Some(Provider::Fcm));
    assert_eq!(Provider::from_name("FCM_LEGACY"), Some(Provider::FcmLegacy));
    assert_eq!(Provider::from_name("webpush"), None);
    assert_eq!(Priority::from_wire("normal"), Some(Priority::Low));
    assert_eq!(Priority::High.as_str(), "high");
}

fn account(name: &str, secret: Option<&str>, app_id: Option<&str>, pushkey: Option<&str>) -> AccountRoute {
    AccountRoute {
        account: name.into(),
        secret: secret.map(Into::into),
        app_id: app_id.map(Into::into),
        pushkey: pushkey.map(Into::into),
    }
}

fn with_extra(extra: Value) -> PushPayload {
    PushPayload {
        event_id: Some("$e".into()),
        extra: extra.as_object().cloned().unwrap_or_default(),
        ..PushPayload::default()
    }
}

#[test]
fn routing_prefers_the_secret() {
    let routes = [
        account("@a:x", Some("sa"), Some("app"), Some("tok")),
        account("@b:y", Some("sb"), Some("app"), Some("tok")),
    ];
    let pick = |extra| route(&with_extra(extra), &routes).map(|r| r.account.as_str());
    assert_eq!(pick(json!({"cs": "sb"})), Some("@b:y"));
    assert_eq!(pick(json!({"cs": "sa", "pushkey": "tok"})), Some("@a:x"));
    // Same token for both accounts: the pushkey cannot tell them apart.
    assert_eq!(pick(json!({"pushkey": "tok", "app_id": "app"})), None);
    assert_eq!(pick(json!({"cs": "unknown"})), None);
    assert_eq!(pick(json!({})), None);
}

#[test]
fn routing_with_one_account() {
    let routes = [account("@a:x", Some("sa"), None, None)];
    let pick = |extra| route(&with_extra(extra), &routes).map(|r| r.account.as_str());
    assert_eq!(pick(json!({})), Some("@a:x"));
    assert_eq!(pick(json!({"cs": "sa"})), Some("@a:x"));
    // A push for a pusher with another secret (an account that signed out) is nobody's.
    assert_eq!(pick(json!({"cs": "old"})), None);
    let no_secret = [account("@a:x", None, None, None)];
    assert_eq!(
        route(&with_extra(json!({"cs": "old"})), &no_secret).map(|r| r.account.as_str()),
        Some("@a:x")
    );
    assert_eq!(route(&with_extra(json!({})), &[]), None);
}

#[test]
fn routing_by_pushkey_and_app_id() {
    let routes = [
        account("@a:x", None, Some("app.one"), Some("tok-a")),
        account("@b:y", None, Some("app.two"), Some("tok-b")),
        account("@c:z", Some("sc"), Some("app.two"), Some("tok-c")),
    ];
    let pick = |extra| route(&with_extra(extra), &routes).map(|r| r.account.as_str());
    assert_eq!(
        pick(json!({"pushkey": "tok-b", "app_id": "app.two"})),
        Some("@b:y")
    );
    assert_eq!(pick(json!({"pushkey": "tok-b", "app_id": "app.one"})), None);
    assert_eq!(
        pick(json!({"pushkey": "tok-x", "app_id": "app.one"})),
        None,
        "tok-a contradicts tok-x"
    );
    assert_eq!(pick(json!({"app_id": "app.one"})), Some("@a:x"));
    assert_eq!(pick(json!({"pushkey": "tok-c"})), Some("@c:z"));
    assert_eq!(pick(json!({"app_id": "app.two"})), None);
    assert_eq!(pick(json!({"app_id": "app.two", "cs": "other"})), Some("@b:y"));
    // A routing key that is not a string is ignored.
    assert_eq!(pick(json!({"pushkey": 5, "app_id": "app.one"})), Some("@a:x"));
}

#[test]
fn error_messages_are_one_line() {
    let errors = [
        decode_json(Provider::Fcm, "{\n\"a\":").unwrap_err(),
        decode(Provider::Fcm, &json!(1)).unwrap_err(),
        decode(Provider::Gateway, &json!({})).unwrap_err(),
        decode(Provider::Fcm, &json!({"event_id": {}})).unwrap_err(),
        decode(Provider::Fcm, &json!({})).unwrap_err(),
    ];
    for error in errors {
        let message = error.to_string();
        assert!(!message.contains('\n') && !message.is_empty(), "{message:?}");
    }
}
