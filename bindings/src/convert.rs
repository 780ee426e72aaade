//! The records whose FFI shape must differ from the core's, and their conversions.
//!
//! Every other type the bindings use is the core's own, exported by its `uniffi` derives
//! (`Outcome`, `PushNotification`, `NotificationKind`, `RoomSummary`, `AccountRoute`, …), so it
//! cannot drift. What stays here has a reason to differ:
//! - JSON values (`serde_json::Value`, a map of them) cross as JSON text: [`Pusher`],
//!   [`PushPayload`], and the values of [`PushAction`]s that are not interpreted;
//! - [`Evaluation`] also carries what its methods compute (`notify`, `highlight`, `sound`);
//! - [`SessionInfo`] is the session without its tokens, which stay inside the library.
//!
//! Each conversion goes both ways and is tested to be lossless (`tests` below); JSON text from
//! the app that does not parse is an `InvalidInput` error, never silently dropped.

use crate::{MatrixPushError, invalid};
use matrix_push::{payload, pushers, rules, session};
use serde_json::{Map, Value};

/// Who is signed in (the tokens stay inside the library).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SessionInfo {
    /// The client-server API base URL, e.g. `https://matrix.example.org/`.
    pub homeserver: String,
    /// The signed-in user, `@alice:example.org`.
    pub user_id: String,
    /// This device's id.
    pub device_id: String,
    /// The server ended the session but the device may be kept: sign in again (the same
    /// device id is reused).
    pub soft_logged_out: bool,
}

impl From<session::Session> for SessionInfo {
    fn from(s: session::Session) -> Self {
        // Destructured, so that a new field in the core is a compile error here.
        let session::Session {
            homeserver,
            user_id,
            device_id,
            access_token: _,
            refresh_token: _,
            soft_logged_out,
        } = s;
        SessionInfo {
            homeserver,
            user_id: user_id.into(),
            device_id,
            soft_logged_out,
        }
    }
}

/// An HTTP pusher (the core's `pushers::Pusher`, with its JSON as text).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Pusher {
    /// The FCM registration token or the APNs device token (base64).
    pub pushkey: String,
    /// Reverse-DNS, with the platform as a suffix: `io.matrixpush.sample.android`.
    pub app_id: String,
    /// The app's name, shown in the user's list of pushers.
    pub app_display_name: String,
    /// The device's name, shown in the user's list of pushers.
    pub device_display_name: String,
    /// The profile tag (a rarely used way to select a ruleset).
    pub profile_tag: Option<String>,
    /// The language of the notifications, e.g. `en`.
    pub lang: String,
    /// The push gateway, ending in `/_matrix/push/v1/notify`.
    pub gateway_url: String,
    /// `event_id_only` (recommended) or null for the full format.
    pub format: Option<String>,
    /// JSON object the gateway merges into every push, e.g. `{"cs": "…"}` or the APNs `aps`.
    pub default_payload_json: Option<String>,
    /// Every other field of the pusher's `data`, as a JSON object. Keep what `pushers()` returned
    /// when passing a pusher back: the homeserver stores the pusher as given.
    #[uniffi(default = "{}")]
    pub extra_data_json: String,
}

/// A JSON object from the app's text; `what` names it in the error.
fn json_object(what: &str, json: &str) -> Result<Map<String, Value>, MatrixPushError> {
    match serde_json::from_str(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid(format!("{what}: not a JSON object"))),
        Err(e) => Err(invalid(format!("{what}: {e}"))),
    }
}

/// A JSON value from the app's text; `what` names it in the error.
fn json_value(what: &str, json: &str) -> Result<Value, MatrixPushError> {
    serde_json::from_str(json).map_err(|e| invalid(format!("{what}: {e}")))
}

impl TryFrom<Pusher> for pushers::Pusher {
    type Error = MatrixPushError;
    fn try_from(p: Pusher) -> Result<Self, MatrixPushError> {
        let Pusher {
            pushkey,
            app_id,
            app_display_name,
            device_display_name,
            profile_tag,
            lang,
            gateway_url,
            format,
            default_payload_json,
            extra_data_json,
        } = p;
        Ok(pushers::Pusher {
            pushkey,
            app_id,
            app_display_name,
            device_display_name,
            profile_tag,
            lang,
            gateway_url,
            format,
            default_payload: default_payload_json
                .map(|json| json_value("default_payload", &json))
                .transpose()?,
            extra_data: json_object("extra_data", &extra_data_json)?,
        })
    }
}

impl From<pushers::Pusher> for Pusher {
    fn from(p: pushers::Pusher) -> Self {
        let pushers::Pusher {
            pushkey,
            app_id,
            app_display_name,
            device_display_name,
            profile_tag,
            lang,
            gateway_url,
            format,
            default_payload,
            extra_data,
        } = p;
        Pusher {
            pushkey,
            app_id,
            app_display_name,
            device_display_name,
            profile_tag,
            lang,
            gateway_url,
            format,
            default_payload_json: default_payload.map(|v| v.to_string()),
            extra_data_json: Value::Object(extra_data).to_string(),
        }
    }
}

/// A decoded push (the core's `payload::PushPayload`, with its JSON as text). Fields are null
/// when the payload does not carry them, which depends on the provider and the pusher's format.
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct PushPayload {
    /// The event the push is for.
    pub event_id: Option<String>,
    /// The event's room.
    pub room_id: Option<String>,
    /// The unread count the homeserver sent (the badge).
    pub unread: Option<u64>,
    /// Missed calls, when the homeserver counts them.
    pub missed_calls: Option<u64>,
    /// The priority the homeserver gave the push.
    pub prio: Option<payload::Priority>,
    /// No event: only the unread count changed (read receipts elsewhere). `unread` may be 0.
    pub badge_only: bool,
    /// The event's type, in the full format.
    pub event_type: Option<String>,
    /// The event's sender, in the full format.
    pub sender: Option<String>,
    /// The sender's display name, in the full format.
    pub sender_display_name: Option<String>,
    /// The room's name, in the full format.
    pub room_name: Option<String>,
    /// The room's canonical alias, in the full format.
    pub room_alias: Option<String>,
    /// The membership an `m.room.member` event sets.
    pub membership: Option<String>,
    /// Whether the user is the target of a membership event.
    pub user_is_target: Option<bool>,
    /// `content.body` when the payload carries it (may be truncated by the provider).
    pub body: Option<String>,
    /// The event content as far as the payload carries it, as JSON.
    pub content_json: Option<String>,
    /// Every other key, as a JSON object (e.g. the `cs` routing secret).
    #[uniffi(default = "{}")]
    pub extra_json: String,
    /// The provider the payload was decoded as.
    pub provider: Option<payload::Provider>,
}

impl From<payload::PushPayload> for PushPayload {
    fn from(p: payload::PushPayload) -> Self {
        let payload::PushPayload {
            event_id,
            room_id,
            unread,
            missed_calls,
            prio,
            badge_only,
            event_type,
            sender,
            sender_display_name,
            room_name,
            room_alias,
            membership,
            user_is_target,
            body,
            content,
            extra,
            provider,
        } = p;
        PushPayload {
            event_id,
            room_id,
            unread,
            missed_calls,
            prio,
            badge_only,
            event_type,
            sender,
            sender_display_name,
            room_name,
            room_alias,
            membership,
            user_is_target,
            body,
            content_json: content.map(|c| c.to_string()),
            extra_json: Value::Object(extra).to_string(),
            provider,
        }
    }
}

impl TryFrom<PushPayload> for payload::PushPayload {
    type Error = MatrixPushError;
    fn try_from(p: PushPayload) -> Result<Self, MatrixPushError> {
        let PushPayload {
            event_id,
            room_id,
            unread,
            missed_calls,
            prio,
            badge_only,
            event_type,
            sender,
            sender_display_name,
            room_name,
            room_alias,
            membership,
            user_is_target,
            body,
            content_json,
            extra_json,
            provider,
        } = p;
        Ok(payload::PushPayload {
            event_id,
            room_id,
            unread,
            missed_calls,
            prio,
            badge_only,
            event_type,
            sender,
            sender_display_name,
            room_name,
            room_alias,
            membership,
            user_is_target,
            body,
            content: content_json
                .map(|json| json_value("content", &json))
                .transpose()?,
            extra: json_object("extra", &extra_json)?,
            provider,
        })
    }
}

/// A push rule action (the core's `rules::Action`; a value this library does not interpret crosses
/// as JSON text).
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
#[non_exhaustive]
pub enum PushAction {
    /// Notify the user.
    Notify,
    /// Removed from the spec in v1.7: kept as the rule has it, ignored when evaluating.
    DontNotify,
    /// Removed from the spec in v1.7: kept as the rule has it, ignored when evaluating.
    Coalesce,
    /// Play a sound: `default` or a client-specific name.
    Sound {
        /// The sound's name.
        name: String,
    },
    /// Highlight the notification.
    Highlight {
        /// The tweak's value; null when the action had none, which means `true`.
        value: Option<bool>,
    },
    /// Another tweak, passed through.
    OtherTweak {
        /// The tweak's name (`set_tweak`).
        name: String,
        /// Its value as JSON text; null when the action had none.
        value_json: Option<String>,
    },
    /// An action this library does not know, as JSON text.
    Unknown {
        /// The action as the rule has it.
        json: String,
    },
}

impl From<rules::Action> for PushAction {
    fn from(action: rules::Action) -> Self {
        use rules::{Action, Tweak};
        match action {
            Action::Notify => PushAction::Notify,
            Action::DontNotify => PushAction::DontNotify,
            Action::Coalesce => PushAction::Coalesce,
            Action::SetTweak(Tweak::Sound(name)) => PushAction::Sound { name },
            Action::SetTweak(Tweak::Highlight(value)) => PushAction::Highlight { value },
            Action::SetTweak(Tweak::Other { name, value }) => PushAction::OtherTweak {
                name,
                value_json: value.map(|value| value.to_string()),
            },
            // `Action::Unknown`, and any action or tweak a later core knows: its JSON, which
            // reads back as the same action.
            other => PushAction::Unknown {
                json: other.to_value().to_string(),
            },
        }
    }
}

impl TryFrom<PushAction> for rules::Action {
    type Error = MatrixPushError;
    fn try_from(action: PushAction) -> Result<Self, MatrixPushError> {
        use rules::{Action, Tweak};
        Ok(match action {
            PushAction::Notify => Action::Notify,
            PushAction::DontNotify => Action::DontNotify,
            PushAction::Coalesce => Action::Coalesce,
            PushAction::Sound { name } => Action::SetTweak(Tweak::Sound(name)),
            PushAction::Highlight { value } => Action::SetTweak(Tweak::Highlight(value)),
            PushAction::OtherTweak { name, value_json } => Action::SetTweak(Tweak::Other {
                name,
                value: value_json
                    .map(|json| json_value("tweak value", &json))
                    .transpose()?,
            }),
            PushAction::Unknown { json } => Action::from_value(&json_value("action", &json)?),
        })
    }
}

/// The result of evaluating push rules (the core's `rules::Evaluation`, with what its methods
/// compute).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Evaluation {
    /// The matched rule's actions (obsolete `dont_notify`/`coalesce` removed).
    pub actions: Vec<PushAction>,
    /// The rule that matched; null when none did (no notification).
    pub rule_id: Option<String>,
    /// The matched rule's kind.
    pub kind: Option<rules::RuleKind>,
    /// Whether the event notifies.
    pub notify: bool,
    /// Whether the notification is highlighted.
    pub highlight: bool,
    /// The sound to play (`default` or a client-specific name).
    pub sound: Option<String>,
    /// Enabled rules ranked above the one that decided that this engine cannot evaluate (a
    /// condition kind it does not know): the homeserver may have decided otherwise.
    pub undecided: Vec<String>,
}

impl From<rules::Evaluation> for Evaluation {
    fn from(e: rules::Evaluation) -> Self {
        let (notify, highlight, sound) = (e.notify(), e.highlight(), e.sound().map(str::to_owned));
        let rules::Evaluation {
            actions,
            rule_id,
            kind,
            undecided,
        } = e;
        Evaluation {
            actions: actions.into_iter().map(PushAction::from).collect(),
            rule_id,
            kind,
            notify,
            highlight,
            sound,
            undecided,
        }
    }
}

impl TryFrom<Evaluation> for rules::Evaluation {
    type Error = MatrixPushError;
    /// The computed fields (`notify`, `highlight`, `sound`) follow from the actions.
    fn try_from(e: Evaluation) -> Result<Self, MatrixPushError> {
        Ok(rules::Evaluation {
            actions: e
                .actions
                .into_iter()
                .map(rules::Action::try_from)
                .collect::<Result<_, _>>()?,
            rule_id: e.rule_id,
            kind: e.kind,
            undecided: e.undecided,
        })
    }
}

#[cfg(test)]
mod tests {
    //! Core → FFI → core is lossless for every mirrored type.
    use super::*;
    use serde_json::json;

    #[test]
    fn pusher_round_trips_with_its_extra_data() {
        let mut core = pushers::Pusher::new(
            "key",
            "io.example.android",
            "https://p.example.org/_matrix/push/v1/notify",
        );
        core.profile_tag = Some("tag".into());
        core.default_payload = Some(json!({"cs": "secret", "aps": {"mutable-content": 1}}));
        core.extra_data = json!({"brand": "x", "nested": {"a": [1, 2]}})
            .as_object()
            .unwrap()
            .clone();
        let ffi = Pusher::from(core.clone());
        assert_eq!(pushers::Pusher::try_from(ffi).unwrap(), core);
        let bare = pushers::Pusher::new("k", "a", "https://x/_matrix/push/v1/notify");
        assert_eq!(
            pushers::Pusher::try_from(Pusher::from(bare.clone())).unwrap(),
            bare
        );
    }

    #[test]
    fn pusher_json_that_does_not_parse_is_an_error() {
        let ffi = Pusher::from(pushers::Pusher::new("k", "a", "https://x/_matrix/push/v1/notify"));
        for (extra, default_payload) in [("nope", None), ("[1]", None), ("{}", Some("{"))] {
            let bad = Pusher {
                extra_data_json: extra.into(),
                default_payload_json: default_payload.map(Into::into),
                ..ffi.clone()
            };
            assert!(matches!(
                pushers::Pusher::try_from(bad),
                Err(MatrixPushError::InvalidInput { .. })
            ));
        }
    }

    #[test]
    fn push_payload_round_trips() {
        let core = payload::PushPayload {
            event_id: Some("$e".into()),
            room_id: Some("!r:x".into()),
            unread: Some(3),
            missed_calls: Some(1),
            prio: Some(payload::Priority::Low),
            badge_only: true,
            event_type: Some("m.room.message".into()),
            sender: Some("@b:x".into()),
            sender_display_name: Some("Bob".into()),
            room_name: Some("Room".into()),
            room_alias: Some("#r:x".into()),
            membership: Some("invite".into()),
            user_is_target: Some(true),
            body: Some("hi".into()),
            content: Some(json!({"body": "hi", "msgtype": "m.text"})),
            extra: json!({"cs": "s", "n": 1}).as_object().unwrap().clone(),
            provider: Some(payload::Provider::FcmLegacy),
        };
        let ffi = PushPayload::from(core.clone());
        assert_eq!(payload::PushPayload::try_from(ffi).unwrap(), core);
        let empty = payload::PushPayload::default();
        assert_eq!(
            payload::PushPayload::try_from(PushPayload::from(empty.clone())).unwrap(),
            empty
        );
    }

    #[test]
    fn push_payload_json_that_does_not_parse_is_an_error() {
        for (extra, content) in [("not json", None), ("[]", None), ("{}", Some("{"))] {
            let bad = PushPayload {
                extra_json: extra.into(),
                content_json: content.map(Into::into),
                ..PushPayload::default()
            };
            assert!(matches!(
                payload::PushPayload::try_from(bad),
                Err(MatrixPushError::InvalidInput { .. })
            ));
        }
    }

    #[test]
    fn action_json_that_does_not_parse_is_an_error() {
        for bad in [
            PushAction::Unknown { json: "{".into() },
            PushAction::OtherTweak {
                name: "led".into(),
                value_json: Some("not json".into()),
            },
        ] {
            assert!(matches!(
                rules::Action::try_from(bad),
                Err(MatrixPushError::InvalidInput { .. })
            ));
        }
    }

    #[test]
    fn evaluation_round_trips() {
        let ruleset = rules::server_default_rules("@a:x");
        let compiled = rules::CompiledRuleset::new(ruleset);
        let event = json!({"type": "m.room.message", "sender": "@b:x", "room_id": "!r:x",
            "content": {"body": "hello @a:x", "msgtype": "m.text",
                        "m.mentions": {"user_ids": ["@a:x"]}}});
        let mut core = compiled.evaluate(&event, &rules::PushContext::new("@a:x"));
        assert!(core.notify() && core.highlight(), "{core:?}");
        core.undecided = vec!["custom".into()];
        for action in [
            json!({"something": "new"}),
            json!("dont_notify"),
            json!("coalesce"),
            json!(6),
            json!({"set_tweak": "highlight"}),
            json!({"set_tweak": "highlight", "value": false}),
            json!({"set_tweak": "sound", "value": "ring"}),
            json!({"set_tweak": "org.example.led", "value": {"colour": "blue"}}),
            json!({"set_tweak": "org.example.quiet"}),
        ] {
            core.actions.push(rules::Action::from_value(&action));
        }
        let ffi = Evaluation::from(core.clone());
        assert!(ffi.notify && ffi.highlight && ffi.sound.is_some());
        assert!(ffi.actions.contains(&PushAction::Highlight { value: None }));
        assert!(ffi.actions.contains(&PushAction::Coalesce));
        assert!(ffi.actions.contains(&PushAction::DontNotify));
        assert!(ffi.actions.contains(&PushAction::Unknown { json: "6".into() }));
        assert!(ffi.actions.contains(&PushAction::OtherTweak {
            name: "org.example.led".into(),
            value_json: Some(r#"{"colour":"blue"}"#.into())
        }));
        assert_eq!(rules::Evaluation::try_from(ffi).unwrap(), core);
        let none = rules::Evaluation::default();
        assert_eq!(
            rules::Evaluation::try_from(Evaluation::from(none.clone())).unwrap(),
            none
        );
    }

    #[test]
    fn session_info_keeps_everything_but_the_tokens() {
        let json = json!({"homeserver": "https://h/", "user_id": "@a:x", "device_id": "D",
            "access_token": "syt_secret", "refresh_token": "syr_secret", "soft_logged_out": true});
        let core: session::Session = serde_json::from_value(json).unwrap();
        let info = SessionInfo::from(core.clone());
        assert_eq!(
            (
                info.homeserver,
                info.user_id,
                info.device_id,
                info.soft_logged_out
            ),
            (core.homeserver, core.user_id.into(), core.device_id, true)
        );
    }
}
