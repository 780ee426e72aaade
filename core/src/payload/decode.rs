//! The decoders behind [`super::decode`]: one per payload shape, sharing the field reader.

use super::{APP_ID_KEY, PUSHKEY_KEY, PayloadError, Priority, Provider, PushPayload, TWEAKS_KEY};
use serde_json::{Map, Value};

/// The notification fields every decoder reads at the top level of its object.
const FIELDS: [&str; 12] = [
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
];

/// Fields that are text by nature: never parsed as JSON when they come in a string map.
const TEXT_FIELDS: [&str; 10] = [
    "event_id",
    "room_id",
    "type",
    "sender",
    "sender_display_name",
    "room_name",
    "room_alias",
    "membership",
    "prio",
    "id",
];

/// A field's value, read.
enum Read<T> {
    Absent,
    Value(T),
    /// Present but of the wrong type or shape.
    Malformed,
}

fn text(value: &Value) -> Read<String> {
    match value {
        Value::Null => Read::Absent,
        Value::String(s) if s.is_empty() => Read::Absent,
        Value::String(s) => Read::Value(s.clone()),
        _ => Read::Malformed,
    }
}

fn count(value: &Value) -> Read<u64> {
    match value {
        Value::Null => Read::Absent,
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(n), _) => Read::Value(n),
            // `6.0`: a whole number that came through a float somewhere. `as` saturates.
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64 => Read::Value(f as u64),
            _ => Read::Malformed,
        },
        Value::String(s) => match s.trim().parse() {
            Ok(n) => Read::Value(n),
            Err(_) => Read::Malformed,
        },
        _ => Read::Malformed,
    }
}

fn flag(value: &Value) -> Read<bool> {
    match value {
        Value::Null => Read::Absent,
        Value::Bool(b) => Read::Value(*b),
        Value::String(s) if s == "true" => Read::Value(true),
        Value::String(s) if s == "false" => Read::Value(false),
        _ => Read::Malformed,
    }
}

fn priority(value: &Value) -> Read<Priority> {
    match value {
        Value::Null => Read::Absent,
        Value::String(s) => match Priority::from_wire(s) {
            Some(prio) => Read::Value(prio),
            None => Read::Malformed,
        },
        _ => Read::Malformed,
    }
}

/// An object, or a string holding one (a nested value that went through a string map).
fn object(value: &Value) -> Read<Map<String, Value>> {
    match value {
        Value::Null => Read::Absent,
        Value::Object(map) => Read::Value(map.clone()),
        Value::String(s) => match serde_json::from_str(s) {
            Ok(Value::Object(map)) => Read::Value(map),
            _ => Read::Malformed,
        },
        _ => Read::Malformed,
    }
}

/// Stores a read value in its slot; a malformed one goes to `extra` under its own key.
fn put<T>(slot: &mut Option<T>, read: Read<T>, key: &str, value: &Value, extra: &mut Map<String, Value>) {
    match read {
        Read::Absent => {}
        Read::Value(v) => *slot = Some(v),
        Read::Malformed => {
            extra.insert(key.to_owned(), value.clone());
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads one top-level field of the notification shape, or keeps an unknown key in `extra`.
fn field(out: &mut PushPayload, key: &str, value: &Value) -> Result<(), PayloadError> {
    let extra = &mut out.extra;
    match key {
        "event_id" => match text(value) {
            Read::Absent => {}
            Read::Value(id) => out.event_id = Some(id),
            Read::Malformed => {
                return Err(PayloadError::InvalidField {
                    field: "event_id".into(),
                    reason: format!("expected a string, found {}", kind(value)),
                });
            }
        },
        "room_id" => put(&mut out.room_id, text(value), key, value, extra),
        "type" => put(&mut out.event_type, text(value), key, value, extra),
        "sender" => put(&mut out.sender, text(value), key, value, extra),
        "sender_display_name" => put(&mut out.sender_display_name, text(value), key, value, extra),
        "room_name" => put(&mut out.room_name, text(value), key, value, extra),
        "room_alias" => put(&mut out.room_alias, text(value), key, value, extra),
        "membership" => put(&mut out.membership, text(value), key, value, extra),
        "user_is_target" => put(&mut out.user_is_target, flag(value), key, value, extra),
        "prio" => put(&mut out.prio, priority(value), key, value, extra),
        "unread" => put(&mut out.unread, count(value), key, value, extra),
        "missed_calls" => put(&mut out.missed_calls, count(value), key, value, extra),
        "content" => match object(value) {
            Read::Absent => {}
            Read::Value(content) => out.content = Some(Value::Object(content)),
            Read::Malformed => {
                extra.insert(key.to_owned(), value.clone());
            }
        },
        _ => {
            extra.insert(key.to_owned(), value.clone());
        }
    }
    Ok(())
}

/// FCM, v1 or legacy: the data map.
pub(super) fn fcm(map: &Map<String, Value>) -> Result<PushPayload, PayloadError> {
    let mut out = PushPayload::default();
    let mut flattened = Map::new();
    for (key, value) in map {
        match key.strip_prefix("content_") {
            Some(name) if !name.is_empty() => {
                flattened.insert(name.to_owned(), value.clone());
            }
            _ => field(&mut out, key, value)?,
        }
    }
    if !flattened.is_empty() {
        // FCM v1's `content_<key>` strings; a nested (legacy, untruncated) `content` wins.
        let mut content = match out.content.take() {
            Some(Value::Object(nested)) => nested,
            _ => Map::new(),
        };
        for (key, value) in flattened {
            content.entry(key).or_insert(value);
        }
        out.content = Some(Value::Object(content));
    }
    Ok(out)
}

/// APNs: the payload (`userInfo`), full, event_id_only or badge-only.
pub(super) fn apns(map: &Map<String, Value>) -> Result<PushPayload, PayloadError> {
    let mut out = PushPayload::default();
    let mut badge = None;
    let mut unread_count = None;
    let mut alert = None;
    for (key, value) in map {
        match key.as_str() {
            "aps" => match value {
                Value::Object(aps) => {
                    if let Some(Read::Value(n)) = aps.get("badge").map(count) {
                        badge = Some(n);
                    }
                    alert = aps.get("alert");
                }
                Value::Null => {}
                _ => {
                    out.extra.insert(key.clone(), value.clone());
                }
            },
            "unread_count" => put(&mut unread_count, count(value), key, value, &mut out.extra),
            _ => field(&mut out, key, value)?,
        }
    }
    out.unread = unread_count.or(out.unread).or(badge);
    if let Some(alert) = alert {
        apply_alert(&mut out, alert);
    }
    Ok(out)
}

/// What a `loc-args` argument holds.
#[derive(Clone, Copy)]
enum Arg {
    /// Display name, else user ID, else " ".
    Sender,
    /// Room name, else alias.
    Room,
    Body,
}

/// What an alert tells beyond its arguments.
#[derive(Clone, Copy)]
enum Implies {
    Nothing,
    Call,
    Invite,
}

/// Recovers names and body from a Sygnal alert (`apnspushkin.py`, `_get_payload_full`).
fn apply_alert(out: &mut PushPayload, alert: &Value) {
    let object = match alert {
        Value::String(body) => {
            fill(&mut out.body, body);
            return;
        }
        Value::Object(object) => object,
        _ => return,
    };
    let args: Vec<Option<&str>> = match object.get("loc-args") {
        Some(Value::Array(args)) => args.iter().map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    use {Arg::*, Implies::*};
    let (layout, implies): (&[Arg], Implies) = match object.get("loc-key").and_then(Value::as_str) {
        Some("MSG_FROM_USER_IN_ROOM_WITH_CONTENT") => (&[Sender, Room, Body], Nothing),
        Some("MSG_FROM_USER_IN_ROOM") => (&[Sender, Room], Nothing),
        Some("IMAGE_FROM_USER_IN_ROOM") => (&[Sender, Body, Room], Nothing),
        Some("ACTION_FROM_USER_IN_ROOM") => (&[Room, Sender, Body], Nothing),
        Some("MSG_FROM_USER_WITH_CONTENT" | "IMAGE_FROM_USER" | "ACTION_FROM_USER") => {
            (&[Sender, Body], Nothing)
        }
        Some("MSG_FROM_USER") => (&[Sender], Nothing),
        Some("VOICE_CALL_FROM_USER" | "VIDEO_CALL_FROM_USER") => (&[Sender], Call),
        Some("USER_INVITE_TO_NAMED_ROOM") => (&[Sender, Room], Invite),
        Some("USER_INVITE_TO_CHAT") => (&[Sender], Invite),
        _ => (&[], Nothing),
    };
    // Arguments count only when they are laid out as the loc-key says.
    if !layout.is_empty() && args.len() == layout.len() {
        for (arg, value) in layout.iter().zip(args) {
            let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            match arg {
                Sender => fill(&mut out.sender_display_name, value),
                Room => fill(&mut out.room_name, value),
                Body => fill(&mut out.body, value),
            }
        }
    }
    match implies {
        Nothing => {}
        Call => fill(&mut out.event_type, "m.call.invite"),
        Invite => {
            fill(&mut out.event_type, "m.room.member");
            fill(&mut out.membership, "invite");
            out.user_is_target.get_or_insert(true);
        }
    }
    if let Some(Value::String(body)) = object.get("body") {
        fill(&mut out.body, body);
    }
}

/// Sets a field the payload did not already give explicitly.
fn fill(slot: &mut Option<String>, value: &str) {
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value.to_owned());
    }
}

/// A Push Gateway notification object (Gateway, UnifiedPush, Sygnal's WebPush payload).
pub(super) fn notification(map: &Map<String, Value>) -> Result<PushPayload, PayloadError> {
    let mut out = PushPayload::default();
    let mut counts = None;
    let mut device = None;
    let mut deprecated_id = None;
    for (key, value) in map {
        match (key.as_str(), value) {
            ("counts", Value::Object(c)) => counts = Some(c),
            ("devices", Value::Array(devices)) => device = devices.first().and_then(Value::as_object),
            ("id", _) => {
                if let Read::Value(id) = text(value) {
                    deprecated_id = Some(id);
                }
            }
            ("counts" | "devices", Value::Null) => {}
            _ => field(&mut out, key, value)?,
        }
    }
    if let Some(counts) = counts {
        let (unread, missed) = (counts.get("unread"), counts.get("missed_calls"));
        let mut malformed = false;
        for (slot, value) in [(&mut out.unread, unread), (&mut out.missed_calls, missed)] {
            match value.map(count) {
                Some(Read::Value(n)) => *slot = Some(n),
                Some(Read::Malformed) => malformed = true,
                _ => {}
            }
        }
        if malformed {
            out.extra.insert("counts".into(), Value::Object(counts.clone()));
        }
    }
    if out.event_id.is_none() {
        out.event_id = deprecated_id;
    }
    if let Some(device) = device {
        for (key, name) in [("pushkey", PUSHKEY_KEY), ("app_id", APP_ID_KEY)] {
            if let Some(Value::String(s)) = device.get(key) {
                out.extra.entry(name).or_insert_with(|| Value::String(s.clone()));
            }
        }
        if let Some(tweaks @ Value::Object(_)) = device.get("tweaks") {
            out.extra.entry(TWEAKS_KEY).or_insert_with(|| tweaks.clone());
        }
        let default_payload = device.get("data").and_then(|data| data.get("default_payload"));
        if let Some(Value::Object(default_payload)) = default_payload {
            for (key, value) in default_payload {
                let known = FIELDS.contains(&key.as_str()) || matches!(key.as_str(), "content" | "aps");
                if !known {
                    out.extra.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
        }
    }
    Ok(out)
}

/// Completes a decoded payload: body from the content, badge-only, and usability.
pub(super) fn finish(mut out: PushPayload, provider: Provider) -> Result<PushPayload, PayloadError> {
    out.provider = Some(provider);
    if let Some(Value::String(body)) = out.content.as_ref().and_then(|c| c.get("body"))
        && !body.is_empty()
    {
        out.body = Some(body.clone());
    }
    out.badge_only = out.event_id.is_none();
    if out.badge_only && out.unread.is_none() && out.missed_calls.is_none() {
        let unreadable: Vec<&str> = ["unread", "missed_calls", "unread_count", "counts", "aps"]
            .into_iter()
            .filter(|key| out.extra.contains_key(*key))
            .collect();
        let mut reason = String::from("it has neither an event_id nor an unread or missed-call count");
        if !unreadable.is_empty() {
            reason.push_str(&format!(" (unreadable: {})", unreadable.join(", ")));
        }
        return Err(PayloadError::Unusable(reason));
    }
    Ok(out)
}

/// A string-map value as JSON: objects and arrays are parsed, except in text fields.
pub(super) fn string_map_value(key: &str, value: &str) -> Value {
    let textual = TEXT_FIELDS.contains(&key) || key.starts_with("content_");
    let looks_nested = matches!(value.trim_start().as_bytes().first(), Some(b'{' | b'['));
    if !textual
        && looks_nested
        && let Ok(parsed @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str(value)
    {
        return parsed;
    }
    Value::String(value.to_owned())
}
