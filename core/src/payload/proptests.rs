//! Property tests: no input makes a decoder panic, and what they return is consistent.

use super::*;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::json;

/// Keys the decoders look at, so that arbitrary objects reach their code paths often.
const KEYS: &[&str] = &[
    "event_id",
    "room_id",
    "type",
    "sender",
    "sender_display_name",
    "room_name",
    "room_alias",
    "membership",
    "user_is_target",
    "prio",
    "unread",
    "missed_calls",
    "content",
    "content_body",
    "content_msgtype",
    "body",
    "counts",
    "devices",
    "data",
    "default_payload",
    "pushkey",
    "app_id",
    "tweaks",
    "id",
    "aps",
    "alert",
    "badge",
    "loc-key",
    "loc-args",
    "unread_count",
    "notification",
    "cs",
];

/// Strings the decoders give meaning to.
const WORDS: &[&str] = &[
    "",
    " ",
    "high",
    "low",
    "normal",
    "true",
    "false",
    "0",
    "7",
    "-1",
    "1.5",
    "18446744073709551616",
    "$event",
    "!room:example.org",
    "{\"body\": \"x\"}",
    "[1, 2]",
    "{",
    "MSG_FROM_USER",
    "MSG_FROM_USER_IN_ROOM_WITH_CONTENT",
    "IMAGE_FROM_USER_IN_ROOM",
    "ACTION_FROM_USER_IN_ROOM",
    "VOICE_CALL_FROM_USER",
    "USER_INVITE_TO_NAMED_ROOM",
    "USER_INVITE_TO_CHAT",
    "…",
    "👨‍👩‍👧",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(KEYS).prop_map(str::to_owned),
        1 => "content_[a-z]{0,4}",
        1 => "\\PC{0,8}",
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![select(WORDS).prop_map(str::to_owned), "\\PC{0,12}", "[0-9]{1,22}"]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (0u64..20).prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null
        string().prop_map(Value::String),
    ]
}

/// Arbitrary JSON of moderate size.
fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn object_with(fixed: Vec<(&'static str, Value)>, more: Vec<(String, Value)>) -> Value {
    let mut map: Map<String, Value> = more.into_iter().collect();
    for (key, value) in fixed {
        map.insert(key.to_owned(), value);
    }
    Value::Object(map)
}

/// Payloads with the providers' own structure and arbitrary values inside it.
fn shaped() -> impl Strategy<Value = Value> {
    let apns = (
        select(WORDS),
        prop::collection::vec(prop_oneof![string().prop_map(Value::String), leaf()], 0..4),
        json(),
        prop::collection::vec((key(), json()), 0..4),
    )
        .prop_map(|(loc_key, args, badge, more)| {
            let alert = json!({"loc-key": loc_key, "loc-args": args});
            object_with(vec![("aps", json!({"alert": alert, "badge": badge}))], more)
        });
    let gateway = (
        json(),
        json(),
        json(),
        prop::collection::vec((key(), json()), 0..6),
    )
        .prop_map(|(unread, data, tweaks, more)| {
            let device = json!({"pushkey": "p", "app_id": "a", "data": data, "tweaks": tweaks});
            let notification = object_with(
                vec![
                    ("counts", json!({"unread": unread})),
                    ("devices", json!([device])),
                ],
                more,
            );
            json!({ "notification": notification })
        });
    prop_oneof![apns, gateway, json()]
}

/// What every successful decode promises.
fn check(provider: Provider, result: &Result<PushPayload, PayloadError>) -> Result<(), TestCaseError> {
    match result {
        Ok(p) => {
            prop_assert_eq!(p.provider, Some(provider));
            prop_assert_eq!(p.badge_only, p.event_id.is_none());
            prop_assert!(!p.badge_only || p.unread.is_some() || p.missed_calls.is_some());
            for text in [&p.event_id, &p.room_id, &p.sender, &p.event_type, &p.body] {
                prop_assert!(text.as_deref() != Some(""));
            }
            if let Some(content) = &p.content {
                prop_assert!(content.is_object());
            }
        }
        Err(error) => {
            let message = error.to_string();
            prop_assert!(!message.is_empty() && !message.contains('\n'), "{:?}", message);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoding_any_json_never_panics(value in shaped()) {
        for provider in Provider::ALL {
            let result = decode(provider, &value);
            check(provider, &result)?;
            // The text path agrees with the value path (compared on the parsed text, because
            // serde_json may read a float back one bit off).
            let text = value.to_string();
            let parsed: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(decode_json(provider, &text), decode(provider, &parsed));
        }
    }

    #[test]
    fn decoding_any_string_map_never_panics(
        pairs in prop::collection::vec(
            (key(), prop_oneof![string(), json().prop_map(|v| v.to_string())]),
            0..10,
        )
    ) {
        let map: HashMap<String, String> = pairs.into_iter().collect();
        for provider in Provider::ALL {
            check(provider, &decode_string_map(provider, &map))?;
        }
    }

    #[test]
    fn decoding_any_text_never_panics(text in prop_oneof!["\\PC{0,40}", json().prop_map(|v| v.to_string())]) {
        for provider in Provider::ALL {
            check(provider, &decode_json(provider, &text))?;
        }
    }

    #[test]
    fn routing_never_panics(
        extra in prop::collection::vec((select(&["cs", "pushkey", "app_id"][..]), json()), 0..4),
        routes in prop::collection::vec(
            (
                prop::option::of(select(&["a", "b"][..])),
                prop::option::of(select(&["a", "b"][..])),
                prop::option::of(select(&["a", "b"][..])),
            ),
            0..4,
        ),
    ) {
        let payload = PushPayload {
            extra: extra.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            ..PushPayload::default()
        };
        let routes: Vec<AccountRoute> = routes
            .into_iter()
            .enumerate()
            .map(|(i, (secret, app_id, pushkey))| AccountRoute {
                account: i.to_string(),
                secret: secret.map(str::to_owned),
                app_id: app_id.map(str::to_owned),
                pushkey: pushkey.map(str::to_owned),
            })
            .collect();
        if let Some(found) = route(&payload, &routes) {
            // Whatever is picked never contradicts the payload's secret.
            let theirs =
                payload.extra.get(ROUTING_SECRET_KEY).and_then(Value::as_str).filter(|s| !s.is_empty());
            if let (Some(theirs), Some(ours)) = (theirs, found.secret.as_deref()) {
                prop_assert_eq!(theirs, ours);
            }
        }
    }
}
