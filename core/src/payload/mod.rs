//! Push payloads: decode what the phone receives from a push provider into one [`PushPayload`].
//! Pure: no I/O.
//!
//! **Never panics.** Every function here takes untrusted input (a push can be forged or mangled by
//! anything between the homeserver and the phone) and returns a typed [`PayloadError`] instead;
//! the property tests in this module feed arbitrary JSON and string maps to every decoder.
//!
//! ```
//! use matrix_push::payload::{Priority, Provider, decode_json};
//!
//! // What `RemoteMessage.getData()` holds for an FCM v1 push from Sygnal (event_id_only format).
//! let push = decode_json(Provider::Fcm, r#"{"event_id": "$e", "room_id": "!r:example.org",
//!     "prio": "normal", "unread": "3", "cs": "k7f2"}"#)?;
//! assert_eq!(push.event_id.as_deref(), Some("$e"));
//! assert_eq!((push.unread, push.prio, push.badge_only), (Some(3), Some(Priority::Low), false));
//! assert_eq!(push.extra["cs"], "k7f2");
//!
//! // A read receipt elsewhere: only the badge changes.
//! let badge = decode_json(Provider::Apns, r#"{"aps": {"badge": 0}}"#)?;
//! assert!(badge.badge_only && badge.unread == Some(0));
//! # Ok::<(), matrix_push::payload::PayloadError>(())
//! ```
//!
//! # What each provider delivers
//! Synapse POSTs a Push Gateway notification (`{"notification": {…}}`) to the gateway (Sygnal), which
//! reshapes it for the provider. The fields are the spec's: `event_id`, `room_id`, `type`, `sender`,
//! `sender_display_name`, `room_name`, `room_alias`, `membership`, `user_is_target`, `prio`,
//! `content`, `counts {unread, missed_calls}`. With the `event_id_only` pusher format only
//! `event_id`, `room_id`, `prio` and the counts are sent. A *badge-only* push (a read receipt elsewhere
//! changed the unread count) has no `event_id`.
//!
//! - [`Provider::Fcm`] (FCM HTTP v1; the `data` map, what `RemoteMessage.getData()` returns): every
//!   value is a string, counts included (`"unread": "6"`). `content` is flattened to `content_<key>`
//!   strings, non-string content fields are dropped by Sygnal, and each string is cut at 1024 bytes
//!   with "…" appended — so [`PushPayload::body`] may be truncated. `prio` is `high` or `normal`
//!   (`normal` ⇒ [`Priority::Low`]). Zero counts are left out; a badge push is
//!   `{"sender": "", "prio": "high", "unread": "N"}`, and a badge reset to 0 never arrives.
//! - [`Provider::FcmLegacy`] (the legacy FCM API): as above, but `content` stays a nested object
//!   (untruncated) and counts are numbers. On Android `getData()` turns them into strings, so
//!   [`decode_string_map`] parses a `content` value that holds a JSON object. Both FCM decoders
//!   accept both shapes.
//! - [`Provider::Apns`] (the `userInfo` dictionary / APNs JSON):
//!   - full format: `{"aps": {"alert": {"loc-key", "loc-args"}, "badge": N}, "room_id", "event_id"}`,
//!     where `badge` = unread + missed_calls. The sender's name, the room name and the message body
//!     are recovered from `loc-args` by the loc-key's argument order (for example
//!     `MSG_FROM_USER_IN_ROOM_WITH_CONTENT` = [sender, room, body], `ACTION_FROM_USER_IN_ROOM` =
//!     [room, sender, body]); calls and invites also give the event type. Sygnal trims the longest
//!     argument until the payload fits 4 KiB (no "…"), so the body may be cut. The sender argument
//!     is the display name when there is one, else the user ID; the room argument is the room name,
//!     else its alias. A plain `alert` string or `alert.body` serves as the body when nothing else
//!     gives one.
//!   - event_id_only: `{…default_payload, "room_id", "event_id", "unread_count", "missed_calls"}`;
//!     there is no `aps` unless the pusher's `default_payload` has one.
//!   - badge-only: `{"aps": {"badge": N}}`, N may be 0.
//!
//!   `aps` is the APNs envelope: only `alert` and `badge` are read from it, and (when it is an
//!   object) it does not go into [`PushPayload::extra`]. Priority is an APNs header, not part of
//!   the payload: `prio` stays `None`.
//! - [`Provider::Gateway`]: the Push Gateway body itself, `{"notification": {…}}` as Synapse POSTs
//!   it. `counts.unread` / `counts.missed_calls` give the counts (a badge push may carry
//!   `unread: 0`), the deprecated `id` stands in for a missing `event_id`, and `devices[0]` (Synapse
//!   sends one device per request) adds to `extra`: its `pushkey` ([`PUSHKEY_KEY`]), `app_id`
//!   ([`APP_ID_KEY`]), `tweaks` ([`TWEAKS_KEY`], which no provider forwards) and the keys of its
//!   `data.default_payload` (except `aps`), as a gateway would have merged them into the push.
//!   `prio` is `None` when absent (the spec's default is `high`).
//! - [`Provider::UnifiedPush`]: the body of the push as JSON. Both the raw Push Gateway body
//!   (`{"notification": {…}}`, what a Matrix-to-UnifiedPush gateway forwards; decoded as for
//!   `Gateway`) and a bare notification object (`{"event_id", …}`, possibly with flat `unread` /
//!   `missed_calls` as Sygnal's WebPush sends them) are accepted.
//!
//! # Decoding rules common to all providers
//! - Empty strings count as absent: Synapse's badge pushes carry `sender: ""` (and `id: ""`).
//!   JSON `null` counts as absent too (Synapse sends `type: null`).
//! - Counts are non-negative integers, given as JSON numbers or as strings of digits.
//! - A known field whose value has the wrong type (a numeric `sender`, `"unread": "many"`, an
//!   unknown `prio`) is left in `extra` under its own key, and the typed field stays `None`: a push
//!   is never rejected for a detail.
//! - A malformed `event_id` (present but not a string) is the one exception, a
//!   [`PayloadError::InvalidField`]: `event_id` alone decides whether the push is about an event,
//!   and guessing would either drop a message (as badge-only) or announce nothing.
//! - Every key the decoder does not know goes to [`PushPayload::extra`], in the order received:
//!   that is where the pusher's `default_payload` keys end up (for example [`ROUTING_SECRET_KEY`]).
//! - A payload with neither an `event_id` nor a count is [`PayloadError::Unusable`].
//!
//! # Several accounts on one phone
//! One FCM or APNs token serves every account signed in on the phone, so a push must say which
//! account it is for. The app gives each account's pusher a random token of its own in the pusher's
//! `data.default_payload`, under the short key [`ROUTING_SECRET_KEY`] (`"cs"`; short because payloads
//! are capped at 4 KiB), and stores it with the account:
//!
//! ```text
//! pusher.default_payload = {"cs": "<random per account>"}             // FCM
//! pusher.default_payload = {"cs": "<random>", "aps": {"mutable-content": 1, "alert": {…}}}  // APNs
//! ```
//!
//! Sygnal copies `default_payload` into every FCM data message (badge pushes included) and every
//! APNs event push, and a decoded payload has it in `extra["cs"]`. On a push the app passes all its
//! accounts as [`AccountRoute`]s to [`route`], which picks:
//! 1. the route whose `secret` equals `extra["cs"]`;
//! 2. else, when there is exactly one route, that one — unless both carry a secret and they differ:
//!    that push was meant for a pusher the app no longer knows (an account that signed out, say);
//! 3. else, among the routes that contradict the payload in none of secret, pushkey and app ID
//!    (a value missing on either side contradicts nothing), the only one whose `pushkey` equals the
//!    payload's `extra["pushkey"]`, else the only one whose `app_id` equals `extra["app_id"]`
//!    (Gateway and UnifiedPush payloads carry both);
//! 4. else `None`.
//!
//! The token is a routing key, not a credential: the homeserver and the gateway see it. APNs badge-only
//! pushes carry no `default_payload` (the OS sets the badge itself without waking the app), so with
//! several accounts they cannot be routed.

mod decode;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};
use std::collections::HashMap;

/// The key of the per-account routing token that the app puts into its pusher's
/// `data.default_payload`, and which [`route`] looks up in [`PushPayload::extra`].
pub const ROUTING_SECRET_KEY: &str = "cs";
/// The `extra` key of the pushkey of the device a Gateway / UnifiedPush notification was for.
pub const PUSHKEY_KEY: &str = "pushkey";
/// The `extra` key of the app ID of the device a Gateway / UnifiedPush notification was for.
pub const APP_ID_KEY: &str = "app_id";
/// The `extra` key of the device's `tweaks` (sound, highlight) in a Gateway / UnifiedPush
/// notification. FCM and APNs never carry them.
pub const TWEAKS_KEY: &str = "tweaks";

/// Which provider (and format) a payload came through.
/// New providers may be added in minor versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum Provider {
    /// Firebase Cloud Messaging, HTTP v1 (Sygnal's `fcm` with `api_version: v1`).
    Fcm,
    /// Firebase Cloud Messaging, the legacy HTTP API (nested `content`).
    FcmLegacy,
    /// Apple Push Notification service (`userInfo`).
    Apns,
    /// A UnifiedPush message (a Push Gateway notification, or its body).
    UnifiedPush,
    /// A Push Gateway request body (`{"notification": {…}}`).
    Gateway,
}

impl Provider {
    /// Every provider, in the order the command line lists them.
    pub const ALL: [Provider; 5] = [
        Provider::Fcm,
        Provider::FcmLegacy,
        Provider::Apns,
        Provider::UnifiedPush,
        Provider::Gateway,
    ];

    /// The provider's name on the command line: `fcm`, `fcm-legacy`, `apns`, `unifiedpush`,
    /// `gateway`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Fcm => "fcm",
            Provider::FcmLegacy => "fcm-legacy",
            Provider::Apns => "apns",
            Provider::UnifiedPush => "unifiedpush",
            Provider::Gateway => "gateway",
        }
    }

    /// The provider for a name, case-insensitively: the names of [`Provider::as_str`], plus
    /// `fcm-v1`, `fcm_v1`, `fcm_legacy` (the fixtures' spelling) and `unified-push`.
    pub fn from_name(name: &str) -> Option<Provider> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "fcm" | "fcm-v1" => Some(Provider::Fcm),
            "fcm-legacy" => Some(Provider::FcmLegacy),
            "apns" => Some(Provider::Apns),
            "unifiedpush" | "unified-push" => Some(Provider::UnifiedPush),
            "gateway" => Some(Provider::Gateway),
            _ => None,
        }
    }
}

/// The push's priority, as the homeserver chose it: `high` for encrypted events and for events
/// whose push rules ask for a sound or a highlight, else `low`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Priority {
    /// Synapse's `high`.
    High,
    /// Synapse's `low`, which Sygnal sends to FCM as `normal`.
    Low,
}

impl Priority {
    /// `high` or `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Low => "low",
        }
    }

    /// `high` ⇒ High; `low` or FCM's `normal` ⇒ Low; anything else ⇒ `None`.
    pub fn from_wire(value: &str) -> Option<Priority> {
        match value {
            "high" => Some(Priority::High),
            "low" | "normal" => Some(Priority::Low),
            _ => None,
        }
    }
}

/// What a push says, whichever provider brought it. Fields are `None` when the payload does not
/// carry them (which depends on the provider and on the pusher's format, see the [module
/// docs](self)).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PushPayload {
    /// The pushed event's id; `None` for a badge-only push, or a pusher of format
    /// `event_id_only` that sent nothing else.
    pub event_id: Option<String>,
    /// The room the event was sent in, when the payload names it.
    pub room_id: Option<String>,
    /// The unread count (FCM `unread`, APNs `aps.badge` or `unread_count`, Gateway
    /// `counts.unread`). For APNs full format it is `aps.badge`, which Sygnal computes as unread +
    /// missed_calls (Synapse never sends missed_calls, so it is the homeserver's unread count).
    pub unread: Option<u64>,
    /// The missed-call count, when the gateway sent one (Synapse never does).
    pub missed_calls: Option<u64>,
    /// The push's priority as the homeserver chose it, when the payload says.
    pub prio: Option<Priority>,
    /// No event: only the unread count changed (read receipts elsewhere). unread may be 0.
    pub badge_only: bool,
    /// The event's type (`m.room.message`, `m.room.encrypted`, …), when the payload carries it.
    pub event_type: Option<String>,
    /// The sender's user id, when the payload carries it.
    pub sender: Option<String>,
    /// The sender's display name in the room, when the payload carries it.
    pub sender_display_name: Option<String>,
    /// The room's name, when the payload carries it.
    pub room_name: Option<String>,
    /// The room's canonical alias, when the payload carries it.
    pub room_alias: Option<String>,
    /// For a member event: the membership it sets (`invite`, `join`, …).
    pub membership: Option<String>,
    /// For a member event: whether the user is the one whose membership changed (an invite to
    /// them).
    pub user_is_target: Option<bool>,
    /// content.body when the payload carries it (may be truncated by the provider).
    pub body: Option<String>,
    /// The event content as far as the payload carries it (legacy FCM nested content; FCM v1
    /// `content_<key>` strings gathered back into an object; gateway/UnifiedPush content).
    pub content: Option<Value>,
    /// Every other key, e.g. a `cs` routing secret that the pusher's default_payload added.
    pub extra: Map<String, Value>,
    /// The provider the payload was decoded as (always set by the decoders). `None` marks a
    /// payload the app built itself, for an event no push announced: then a silent outcome says
    /// the server had not notified (`Outcome::Suppressed::server_notified`).
    pub provider: Option<Provider>,
}

impl PushPayload {
    /// Whether the push names an event to notify about: not a badge-only push, and with an
    /// event id (a push without one can only update the badge).
    pub fn names_event(&self) -> bool {
        !self.badge_only && self.event_id.is_some()
    }
}

/// Why a payload cannot be used. Each message is one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The text is not JSON (or not UTF-8).
    #[error("the payload is not JSON: {0}")]
    NotJson(String),
    /// The JSON is not an object.
    #[error("the payload is not a JSON object")]
    NotAnObject,
    /// A Push Gateway body without a `notification` object.
    #[error("the Push Gateway body has no \"notification\" object")]
    MissingNotification,
    /// A field whose value cannot be read, where guessing would mislead (only `event_id`).
    #[error("the payload's {field} is invalid: {reason}")]
    InvalidField {
        /// The field's name in the payload.
        field: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// Well-formed, but neither an event nor a count: nothing to notify about.
    #[error("the payload is unusable: {0}")]
    Unusable(String),
}

/// Decodes a payload given as JSON (see the [module docs](self) for each provider's shape).
pub fn decode(provider: Provider, payload: &Value) -> Result<PushPayload, PayloadError> {
    let Value::Object(map) = payload else {
        return Err(PayloadError::NotAnObject);
    };
    let decoded = match provider {
        Provider::Fcm | Provider::FcmLegacy => decode::fcm(map)?,
        Provider::Apns => decode::apns(map)?,
        Provider::Gateway => match map.get("notification") {
            Some(Value::Object(notification)) => decode::notification(notification)?,
            _ => return Err(PayloadError::MissingNotification),
        },
        Provider::UnifiedPush => match map.get("notification") {
            Some(Value::Object(notification)) => decode::notification(notification)?,
            _ => decode::notification(map)?,
        },
    };
    decode::finish(decoded, provider)
}

/// Decodes a payload given as JSON text.
pub fn decode_json(provider: Provider, text: &str) -> Result<PushPayload, PayloadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    decode(provider, &value)
}

/// Decodes a payload given as a map of strings, as Android's `RemoteMessage.getData()` hands it
/// over. A value that holds a JSON object or array (legacy FCM's nested `content`, or an object in
/// the pusher's `default_payload`) is parsed, except in the fields that are text by nature
/// (`event_id`, `sender`, `content_<key>`, …), where a message body may well look like JSON.
pub fn decode_string_map(
    provider: Provider,
    map: &HashMap<String, String>,
) -> Result<PushPayload, PayloadError> {
    let mut entries: Vec<(&String, &String)> = map.iter().collect();
    entries.sort();
    let object = entries
        .into_iter()
        .map(|(key, value)| (key.clone(), decode::string_map_value(key, value)))
        .collect();
    decode(provider, &Value::Object(object))
}

/// One account signed in on the phone, as [`route`] matches pushes to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AccountRoute {
    /// The app's name for the account (typically the user ID).
    pub account: String,
    /// The routing token in the account pusher's `default_payload` under [`ROUTING_SECRET_KEY`].
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub secret: Option<String>,
    /// The account pusher's app ID.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub app_id: Option<String>,
    /// The account pusher's pushkey.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub pushkey: Option<String>,
}

/// The account a push is for, or `None` when that cannot be told (see "Several accounts on one
/// phone" in the [module docs](self)).
pub fn route<'a>(payload: &PushPayload, routes: &'a [AccountRoute]) -> Option<&'a AccountRoute> {
    let text = |key: &str| {
        payload
            .extra
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let (secret, pushkey, app_id) = (text(ROUTING_SECRET_KEY), text(PUSHKEY_KEY), text(APP_ID_KEY));
    // Two values disagree only when both are known.
    let agree = |ours: Option<&str>, theirs: Option<&str>| match (ours, theirs) {
        (Some(ours), Some(theirs)) => ours == theirs,
        _ => true,
    };
    if let Some(secret) = secret
        && let Some(found) = routes.iter().find(|r| r.secret.as_deref() == Some(secret))
    {
        return Some(found);
    }
    if let [only] = routes {
        return agree(only.secret.as_deref(), secret).then_some(only);
    }
    let eligible: Vec<&'a AccountRoute> = routes
        .iter()
        .filter(|r| {
            agree(r.secret.as_deref(), secret)
                && agree(r.pushkey.as_deref(), pushkey)
                && agree(r.app_id.as_deref(), app_id)
        })
        .collect();
    let the_one = |wanted: Option<&str>, field: fn(&AccountRoute) -> Option<&str>| {
        let wanted = wanted?;
        let mut found = eligible.iter().copied().filter(|r| field(r) == Some(wanted));
        match (found.next(), found.next()) {
            (Some(route), None) => Some(route),
            _ => None,
        }
    };
    the_one(pushkey, |r| r.pushkey.as_deref()).or_else(|| the_one(app_id, |r| r.app_id.as_deref()))
}
