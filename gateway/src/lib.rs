//! The project's own push gateway, standing in for Sygnal + FCM v1 + APNs on a developer's machine
//! (crate `matrix-push-gateway`, never in the mobile library; `matrix-push gateway`, the demo and
//! the end-to-end suites use it; the crates' map: the repository's `ARCHITECTURE.md`).
//!
//! A homeserver sends `POST /_matrix/push/v1/notify` to it; for every device of the notification
//! it builds what the phone would receive — the FCM v1 **data map** (`RemoteMessage.getData()`) or
//! the APNs **payload** (`userInfo`) — and queues it as a [`Delivery`] to wait for, and hands
//! every answered request to [`Gateway::subscribe`]rs. The conversion is a pure function
//! ([`convert`], [`device_payload`]) checked against the captures of real Sygnal deliveries in
//! `fixtures/payloads/` (`tests/tests/gateway.rs`). `GET` on the notify path answers 405, as
//! Sygnal does, so a client can check that a gateway is there.
//!
//! Written from the Push Gateway API of the Matrix spec
//! (<https://spec.matrix.org/latest/push-gateway-api/>), from what Sygnal documents and does
//! (<https://github.com/element-hq/sygnal>: `sygnal/gcmpushkin.py` for FCM, `sygnal/apnspushkin.py`
//! and `sygnal/apnstruncate.py` for APNs, `docs/applications.md`), and from the captured deliveries
//! in `fixtures/payloads/`; no Sygnal code is used. Where none of them settles a detail, the choice
//! made here is marked *(inference)*.
//!
//! Which provider a device gets is decided by its app id: ids registered with
//! [`Gateway::route_app_id`] first, then the suffix (`….fcm` → FCM v1, `….apns` → APNs). Like
//! Sygnal with an unknown app id, the gateway puts any other device's pushkey in `rejected`.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};
use tokio::task::{JoinHandle, JoinSet};

/// The one path the gateway serves.
pub const NOTIFY_PATH: &str = "/_matrix/push/v1/notify";
/// Larger request bodies are refused (400), as Sygnal does.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// FCM v1: longest string value in the data map, in bytes.
pub const FCM_MAX_FIELD_BYTES: usize = 1024;
/// APNs: longest payload, in bytes of Python's `json.dumps(payload, ensure_ascii=False)`.
pub const APNS_MAX_PAYLOAD_BYTES: usize = 4096;
/// Deliveries kept for [`Gateway::next_delivery`] and friends; older ones are dropped, so a
/// long-running gateway nobody drains keeps a bounded memory.
const MAX_QUEUED: usize = 10_000;

/// The notification fields copied into the FCM data map, in Sygnal's order (`content` is
/// flattened to `content_<key>` after them).
const FCM_FIELDS: [&str; 8] = [
    "event_id",
    "type",
    "sender",
    "room_name",
    "room_alias",
    "membership",
    "sender_display_name",
    "room_id",
];

/// The push service a device is reached through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceProvider {
    /// Firebase Cloud Messaging, HTTP v1 API (Android).
    Fcm,
    /// Apple Push Notification service (iOS).
    Apns,
    /// UnifiedPush through a push server with a Matrix gateway built in (as ntfy has): the
    /// notify request's body goes to the endpoint (the pushkey) as it came, and the distributor
    /// app hands those bytes to the phone's app.
    UnifiedPush,
}

impl DeviceProvider {
    /// By the app id's suffix: `….fcm`, `….apns` or `….up`.
    pub fn for_app_id(app_id: &str) -> Option<DeviceProvider> {
        if app_id.ends_with(".fcm") {
            Some(DeviceProvider::Fcm)
        } else if app_id.ends_with(".apns") {
            Some(DeviceProvider::Apns)
        } else if app_id.ends_with(".up") {
            Some(DeviceProvider::UnifiedPush)
        } else {
            None
        }
    }
}

impl DeviceProvider {
    /// The provider's name for people: `FCM v1`, `APNs`, `UnifiedPush`.
    pub fn display_name(self) -> &'static str {
        match self {
            DeviceProvider::Fcm => "FCM v1",
            DeviceProvider::Apns => "APNs",
            DeviceProvider::UnifiedPush => "UnifiedPush",
        }
    }
}

/// The phone reads what this provider hands it with the payload decoder of the same name.
impl From<DeviceProvider> for matrix_push::payload::Provider {
    fn from(provider: DeviceProvider) -> matrix_push::payload::Provider {
        match provider {
            DeviceProvider::Fcm => matrix_push::payload::Provider::Fcm,
            DeviceProvider::Apns => matrix_push::payload::Provider::Apns,
            DeviceProvider::UnifiedPush => matrix_push::payload::Provider::UnifiedPush,
        }
    }
}

/// What the provider would do with one device of a notification.
#[derive(Clone, Debug, PartialEq)]
pub enum Conversion {
    /// The phone receives this: the FCM v1 data map or the APNs payload.
    Deliver(Value),
    /// Nothing is sent and nothing is rejected (FCM: a badge-only push with count 0; APNs: a
    /// push with neither alert nor badge).
    Nothing,
    /// The pushkey goes into `rejected` (e.g. a `default_payload` that is not an object).
    Reject(String),
    /// The provider would refuse the message; the gateway answers 502, as Sygnal does when a
    /// dispatch fails (so Synapse retries with backoff).
    Fail(String),
}

impl Conversion {
    /// The payload, when the phone receives one.
    pub fn payload(self) -> Option<Value> {
        match self {
            Conversion::Deliver(payload) => Some(payload),
            _ => None,
        }
    }
}

/// What the phone would receive for `device` (one entry of `notification.devices`), the provider
/// chosen by the device's app id suffix; `None` when the app id has neither suffix or the phone
/// would receive nothing. `notification` is the `notification` object, or the whole request body.
pub fn device_payload(notification: &Value, device: &Value) -> Option<(DeviceProvider, Value)> {
    let provider = DeviceProvider::for_app_id(device.get("app_id")?.as_str()?)?;
    convert(provider, notification, device)
        .payload()
        .map(|payload| (provider, payload))
}

/// What `provider` would hand the phone for `device`. The format (event_id_only or full) is read
/// from the notification itself, as Sygnal does: an `event_id` without a `type` is event_id_only.
pub fn convert(provider: DeviceProvider, notification: &Value, device: &Value) -> Conversion {
    let notification = match notification.get("notification") {
        Some(inner) if inner.is_object() => inner,
        _ => notification,
    };
    match provider {
        DeviceProvider::Fcm => fcm_v1_data(notification, device),
        DeviceProvider::Apns => apns_payload(notification, device),
        // A Matrix gateway for UnifiedPush forwards the request body untouched.
        DeviceProvider::UnifiedPush => Conversion::Deliver(json!({ "notification": notification })),
    }
}

/// The FCM v1 data map, as Sygnal's FCM pushkin (`sygnal/gcmpushkin.py`, API v1) builds it:
/// `default_payload`, then the non-null string fields of `FCM_FIELDS`, the string values of
/// `content` as `content_<key>`, `prio` (`high`, or `normal` for Synapse's `low`), then `unread`
/// and `missed_calls` as strings when non-zero. Strings from the notification are cut to
/// [`FCM_MAX_FIELD_BYTES`].
pub fn fcm_v1_data(notification: &Value, device: &Value) -> Conversion {
    let default_payload = match default_payload(device) {
        Ok(payload) => payload,
        Err(reason) => return Conversion::Reject(reason),
    };
    let unread = count(notification, "unread").unwrap_or(0);
    let missed_calls = count(notification, "missed_calls").unwrap_or(0);
    // A badge-only push with nothing to count: dropped, so Android never hears a badge reset.
    if truthy_str(notification, "room_id").is_none()
        && truthy_str(notification, "event_id").is_none()
        && unread == 0
        && missed_calls == 0
    {
        return Conversion::Nothing;
    }
    let mut data = Map::new();
    for (key, value) in default_payload {
        // FCM v1 takes only string values in `data` (a `map<string, string>`); it answers 400 to
        // anything else, which Sygnal turns into 502 (inference: Sygnal does not convert them).
        // `default_payload` values are passed as they are, not truncated (inference).
        match value {
            Value::String(_) => {
                data.insert(key, value);
            }
            other => {
                return Conversion::Fail(format!(
                    "FCM v1 refuses the non-string default_payload value {key:?}: {other}"
                ));
            }
        }
    }
    for field in FCM_FIELDS {
        if let Some(Value::String(text)) = notification.get(field) {
            data.insert(field.to_owned(), Value::String(truncate_fcm(text)));
        }
    }
    if let Some(Value::Object(content)) = notification.get("content") {
        for (key, value) in content {
            if let Value::String(text) = value {
                data.insert(format!("content_{key}"), Value::String(truncate_fcm(text)));
            }
        }
    }
    let prio = if notification.get("prio").and_then(Value::as_str) == Some("low") {
        "normal"
    } else {
        "high"
    };
    data.insert("prio".into(), json!(prio));
    if unread != 0 {
        data.insert("unread".into(), json!(unread.to_string()));
    }
    if missed_calls != 0 {
        data.insert("missed_calls".into(), json!(missed_calls.to_string()));
    }
    Conversion::Deliver(Value::Object(data))
}

/// A string longer than [`FCM_MAX_FIELD_BYTES`] is cut at 1021 bytes, back to the last whole
/// code point (a grapheme may be split), and "…" is appended.
pub fn truncate_fcm(text: &str) -> String {
    if text.len() <= FCM_MAX_FIELD_BYTES {
        return text.to_owned();
    }
    let mut end = FCM_MAX_FIELD_BYTES - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The APNs payload, as Sygnal's APNs pushkin (`sygnal/apnspushkin.py`, trimming in
/// `sygnal/apnstruncate.py`) builds it:
/// - event_id_only (an `event_id`, no `type`): `default_payload` plus `room_id`, `event_id`,
///   `unread_count` and `missed_calls` (each count when the notification has it, zero included);
///   no `aps` unless `default_payload` brings one;
/// - otherwise: `aps.alert` with `loc-key`/`loc-args` when the notification has a type, `aps.badge`
///   = unread + missed_calls when it has counts, `room_id`/`event_id` at the top level only with an
///   alert, all on top of `default_payload` when the notification has a type. A badge-only push is
///   `{"aps":{"badge":N}}`, N = 0 included; with neither alert nor badge nothing is sent.
///
/// Payloads over [`APNS_MAX_PAYLOAD_BYTES`] are trimmed as Sygnal does: one code point at a time
/// off the longest of `aps.alert` (a string), `aps.alert.body` and `aps.alert.loc-args[i]`.
pub fn apns_payload(notification: &Value, device: &Value) -> Conversion {
    // Sygnal rejects a non-object default_payload for FCM; the same is assumed here (inference).
    let default_payload = match default_payload(device) {
        Ok(payload) => payload,
        Err(reason) => return Conversion::Reject(reason),
    };
    let event_id = truthy_str(notification, "event_id");
    let kind = truthy_str(notification, "type");
    let unread = count(notification, "unread");
    let missed_calls = count(notification, "missed_calls");
    let payload = if event_id.is_some() && kind.is_none() {
        let mut payload = default_payload;
        if let Some(room_id) = truthy_str(notification, "room_id") {
            payload.insert("room_id".into(), json!(room_id));
        }
        payload.insert("event_id".into(), json!(event_id));
        if let Some(unread) = unread {
            payload.insert("unread_count".into(), json!(unread));
        }
        if let Some(missed_calls) = missed_calls {
            payload.insert("missed_calls".into(), json!(missed_calls));
        }
        payload
    } else {
        let alert = apns_alert(notification);
        let badge = match (unread, missed_calls) {
            (None, None) => None,
            (unread, missed_calls) => Some(unread.unwrap_or(0) + missed_calls.unwrap_or(0)),
        };
        if alert.is_none() && badge.is_none() {
            return Conversion::Nothing;
        }
        let mut payload = if kind.is_some() {
            default_payload
        } else {
            Map::new()
        };
        // On top of a default_payload's `aps` (e.g. `mutable-content`), keeping its other keys
        // (inference: the reference only says the base is default_payload).
        let aps = payload.entry("aps").or_insert_with(|| json!({}));
        if !aps.is_object() {
            *aps = json!({});
        }
        if let Some((loc_key, loc_args)) = &alert {
            let mut alert = json!({"loc-key": loc_key});
            if !loc_args.is_empty() {
                alert["loc-args"] = json!(loc_args);
            }
            aps["alert"] = alert;
        }
        if let Some(badge) = badge {
            aps["badge"] = json!(badge);
        }
        if alert.is_some() {
            if let Some(room_id) = truthy_str(notification, "room_id") {
                payload.insert("room_id".into(), json!(room_id));
            }
            if let Some(event_id) = event_id {
                payload.insert("event_id".into(), json!(event_id));
            }
        }
        payload
    };
    match truncate_apns(payload) {
        Ok(payload) => Conversion::Deliver(Value::Object(payload)),
        Err(reason) => Conversion::Fail(reason),
    }
}

/// The localised alert of a full-format APNs push: `(loc-key, loc-args)`, or `None` for a push
/// without a type (badge-only).
fn apns_alert(notification: &Value) -> Option<(&'static str, Vec<String>)> {
    let kind = truthy_str(notification, "type")?;
    let from = truthy_str(notification, "sender_display_name")
        .or_else(|| truthy_str(notification, "sender"))
        .unwrap_or(" ")
        .to_owned();
    let room = truthy_str(notification, "room_name")
        .or_else(|| truthy_str(notification, "room_alias"))
        .map(str::to_owned);
    let content = notification.get("content");
    let content_str = |key: &str| content.and_then(|c| c.get(key)).and_then(Value::as_str);
    Some(match kind {
        "m.room.message" | "m.room.encrypted" => {
            let (mut text, mut action, mut image) = (None, None, false);
            if let (Some(msgtype), Some(body)) = (content_str("msgtype"), content_str("body")) {
                if msgtype == "m.emote" {
                    action = Some(body.to_owned());
                } else {
                    text = Some(body.to_owned());
                    image = msgtype == "m.image";
                }
            }
            match (room, text, action) {
                (Some(room), Some(body), _) if image => ("IMAGE_FROM_USER_IN_ROOM", vec![from, body, room]),
                (Some(room), Some(body), _) => ("MSG_FROM_USER_IN_ROOM_WITH_CONTENT", vec![from, room, body]),
                (Some(room), None, Some(action)) => ("ACTION_FROM_USER_IN_ROOM", vec![room, from, action]),
                (Some(room), None, None) => ("MSG_FROM_USER_IN_ROOM", vec![from, room]),
                (None, Some(body), _) if image => ("IMAGE_FROM_USER", vec![from, body]),
                (None, Some(body), _) => ("MSG_FROM_USER_WITH_CONTENT", vec![from, body]),
                (None, None, Some(action)) => ("ACTION_FROM_USER", vec![from, action]),
                (None, None, None) => ("MSG_FROM_USER", vec![from]),
            }
        }
        "m.call.invite" => {
            let sdp = content
                .and_then(|c| c.pointer("/offer/sdp"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if sdp.contains("m=video") {
                ("VIDEO_CALL_FROM_USER", vec![from])
            } else {
                ("VOICE_CALL_FROM_USER", vec![from])
            }
        }
        _ if notification.get("membership").and_then(Value::as_str) == Some("invite")
            && notification.get("user_is_target").and_then(Value::as_bool) == Some(true) =>
        {
            match room {
                Some(room) => ("USER_INVITE_TO_NAMED_ROOM", vec![from, room]),
                None => ("USER_INVITE_TO_CHAT", vec![from]),
            }
        }
        _ => ("MSG_FROM_USER", vec![from]),
    })
}

/// Where a trimmable string sits in an APNs payload.
#[derive(Clone, Copy)]
enum Choppable {
    Alert,
    AlertBody,
    LocArg(usize),
}

/// Trims the payload to [`APNS_MAX_PAYLOAD_BYTES`]; an error when it is too long and nothing is
/// left to trim (Sygnal's `BodyTooLongException`).
fn truncate_apns(mut payload: Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut length = apns_payload_bytes(&Value::Object(payload.clone()));
    if length <= APNS_MAX_PAYLOAD_BYTES {
        return Ok(payload);
    }
    let too_long = |length| format!("the APNs payload is {length} bytes and nothing is left to trim");
    let Some(alert) = payload.get_mut("aps").and_then(|aps| aps.get_mut("alert")) else {
        return Err(too_long(length));
    };
    let mut choppables: Vec<(Choppable, Vec<char>)> = Vec::new();
    match alert {
        Value::String(text) => choppables.push((Choppable::Alert, text.chars().collect())),
        Value::Object(alert) => {
            if let Some(Value::String(body)) = alert.get("body") {
                choppables.push((Choppable::AlertBody, body.chars().collect()));
            }
            if let Some(Value::Array(args)) = alert.get("loc-args") {
                for (i, arg) in args.iter().enumerate() {
                    if let Value::String(arg) = arg {
                        choppables.push((Choppable::LocArg(i), arg.chars().collect()));
                    }
                }
            }
        }
        _ => {}
    }
    while length > APNS_MAX_PAYLOAD_BYTES {
        // The first of the longest (in code points), as Python's `max` would pick.
        let mut longest: Option<usize> = None;
        for (i, (_, chars)) in choppables.iter().enumerate() {
            if longest.is_none_or(|l| chars.len() > choppables[l].1.len()) {
                longest = Some(i);
            }
        }
        let Some(chopped) = longest.and_then(|i| choppables[i].1.pop()) else {
            return Err(too_long(length));
        };
        length -= json_char_bytes(chopped);
    }
    for (place, chars) in choppables {
        let text = Value::String(chars.into_iter().collect());
        match place {
            Choppable::Alert => *alert = text,
            Choppable::AlertBody => alert["body"] = text,
            Choppable::LocArg(i) => alert["loc-args"][i] = text,
        }
    }
    Ok(payload)
}

/// The size APNs limits: the bytes of Python's `json.dumps(payload, ensure_ascii=False)` (UTF-8,
/// `", "` and `": "` separators), which is what Sygnal and aioapns send.
pub fn apns_payload_bytes(payload: &Value) -> usize {
    match payload {
        Value::String(text) => 2 + text.chars().map(json_char_bytes).sum::<usize>(),
        Value::Array(items) => {
            2 + items.iter().map(apns_payload_bytes).sum::<usize>() + 2 * items.len().saturating_sub(1)
        }
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(key, value)| apns_payload_bytes(&json!(key)) + 2 + apns_payload_bytes(value))
                .sum::<usize>()
                + 2 * map.len().saturating_sub(1)
        }
        other => other.to_string().len(),
    }
}

/// Bytes of one character inside a JSON string, escaped as Python's `json` (and serde_json) do.
fn json_char_bytes(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// `device.data.default_payload` as a map (empty when absent); an error when it is not an object.
fn default_payload(device: &Value) -> Result<Map<String, Value>, String> {
    match device.get("data").and_then(|data| data.get("default_payload")) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(payload)) => Ok(payload.clone()),
        Some(other) => Err(format!("default_payload is not an object: {other}")),
    }
}

/// A string field that is present and not empty (Python truthiness).
fn truthy_str<'a>(notification: &'a Value, field: &str) -> Option<&'a str> {
    notification
        .get(field)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

/// `notification.counts.<name>`, when present and an integer.
fn count(notification: &Value, name: &str) -> Option<i64> {
    notification.get("counts")?.get(name)?.as_i64()
}

/// One payload handed to a "phone".
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The device's app id (which decided the provider).
    pub app_id: String,
    /// The device's pushkey (the FCM or APNs token).
    pub pushkey: String,
    /// Which push service the payload is shaped for.
    pub provider: DeviceProvider,
    /// The FCM v1 data map or the APNs payload (userInfo).
    pub payload: Value,
    /// The `notification` object Synapse posted.
    pub notification: Value,
    /// When the gateway received Synapse's request.
    pub received_at: Instant,
}

impl Delivery {
    /// The payload as the phone's SDK reads it (the decoder of the delivery's provider).
    pub fn decode(&self) -> Result<matrix_push::payload::PushPayload, matrix_push::payload::PayloadError> {
        matrix_push::payload::decode(self.provider.into(), &self.payload)
    }
}

/// One `POST /_matrix/push/v1/notify` the gateway answered (valid or not).
#[derive(Clone, Debug)]
pub struct NotifyRecord {
    /// The request body (`Value::Null` when it was not JSON).
    pub body: Value,
    /// When the request arrived.
    pub received_at: Instant,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The pushkeys answered as `rejected`.
    pub rejected: Vec<String>,
}

/// One answered notify request and what it handed to phones, as sent to subscribers.
#[derive(Clone, Debug)]
pub struct Answered {
    /// The request and its answer.
    pub record: NotifyRecord,
    /// The payloads it handed to phones (none when the request was refused).
    pub deliveries: Vec<Delivery>,
}

#[derive(Default)]
struct Shared {
    deliveries: Mutex<VecDeque<Delivery>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<Answered>>>,
    arrived: Notify,
    reject: Mutex<HashSet<String>>,
    routes: Mutex<HashMap<String, DeviceProvider>>,
    requests: Mutex<Vec<NotifyRecord>>,
    /// Answer UnifiedPush's Matrix gateway discovery instead of Sygnal's 405.
    unified_push_discovery: std::sync::atomic::AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The push gateway: serves `POST /_matrix/push/v1/notify` until dropped.
pub struct Gateway {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // Its connections live in the task's JoinSet, so they end with it.
        self.server.abort();
    }
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Binds 127.0.0.1 on a free port and starts serving (on the current tokio runtime).
    pub async fn start() -> std::io::Result<Gateway> {
        Gateway::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr` and starts serving (on the current tokio runtime).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Gateway> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let server = tokio::spawn(serve(listener, shared.clone()));
        Ok(Gateway { addr, shared, server })
    }

    /// Every request answered from now on, with its deliveries (they are queued as well).
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<Answered> {
        let (sender, receiver) = mpsc::unbounded_channel();
        lock(&self.shared.subscribers).push(sender);
        receiver
    }

    /// `http://127.0.0.1:PORT/_matrix/push/v1/notify`: the pusher's `data.url`.
    pub fn url(&self) -> String {
        format!("http://{}{NOTIFY_PATH}", self.addr)
    }

    /// The address the gateway listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, answers this pushkey as `rejected` (Synapse then deletes the pusher).
    pub fn reject(&self, pushkey: &str) {
        lock(&self.shared.reject).insert(pushkey.to_owned());
    }

    /// Stops rejecting this pushkey.
    pub fn accept(&self, pushkey: &str) {
        lock(&self.shared.reject).remove(pushkey);
    }

    /// Sends devices with exactly this app id to `provider`, whatever its suffix.
    pub fn route_app_id(&self, app_id: &str, provider: DeviceProvider) {
        lock(&self.shared.routes).insert(app_id.to_owned(), provider);
    }

    /// From now on, answers `GET` on the notify path as a UnifiedPush push server with a Matrix
    /// gateway built in does (`{"unifiedpush":{"gateway":"matrix"}}`), so that
    /// `pushers::unified_push_gateway` finds this gateway for endpoints on its origin. Without
    /// it, `GET` answers 405, as Sygnal does.
    pub fn serve_unified_push_discovery(&self) {
        self.shared
            .unified_push_discovery
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// An endpoint URL on this gateway's origin, as a UnifiedPush push server hands a phone:
    /// the pushkey of a UnifiedPush pusher (its app id ending in `.up`, or routed there).
    pub fn unified_push_endpoint(&self, topic: &str) -> String {
        format!("http://{}/up/{topic}", self.addr)
    }

    /// Every notify request answered so far, oldest first.
    pub fn requests(&self) -> Vec<NotifyRecord> {
        lock(&self.shared.requests).clone()
    }

    /// The deliveries queued and not yet taken, oldest first (they stay queued).
    pub fn pending(&self) -> Vec<Delivery> {
        lock(&self.shared.deliveries).iter().cloned().collect()
    }

    /// Takes every queued delivery.
    pub fn drain(&self) -> Vec<Delivery> {
        lock(&self.shared.deliveries).drain(..).collect()
    }

    /// The oldest queued delivery, waiting up to `timeout` for one.
    pub async fn next_delivery(&self, timeout: Duration) -> Option<Delivery> {
        self.next_delivery_matching(timeout, |_| true).await
    }

    /// The oldest queued delivery to this pushkey (others stay queued), waiting up to `timeout`.
    pub async fn next_delivery_for(&self, pushkey: &str, timeout: Duration) -> Option<Delivery> {
        self.next_delivery_matching(timeout, |d| d.pushkey == pushkey)
            .await
    }

    /// The oldest queued delivery that `wanted` accepts (others stay queued), waiting up to
    /// `timeout`.
    pub async fn next_delivery_matching(
        &self,
        timeout: Duration,
        mut wanted: impl FnMut(&Delivery) -> bool,
    ) -> Option<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before looking, so a delivery queued in between still wakes us.
            let mut arrived = std::pin::pin!(self.shared.arrived.notified());
            arrived.as_mut().enable();
            {
                let mut queue = lock(&self.shared.deliveries);
                if let Some(i) = queue.iter().position(&mut wanted) {
                    return queue.remove(i);
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return None;
            }
        }
    }

    /// Up to `count` deliveries to this pushkey, oldest first, waiting up to `timeout` in all.
    pub async fn deliveries_for(&self, pushkey: &str, count: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + timeout;
        let mut found = Vec::new();
        while found.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_delivery_for(pushkey, left).await {
                Some(delivery) => found.push(delivery),
                None => break,
            }
        }
        found
    }

    /// `Ok` when no delivery is queued or arrives within `within`; otherwise the first one.
    pub async fn no_delivery_within(&self, within: Duration) -> Result<(), Box<Delivery>> {
        match self.next_delivery(within).await {
            None => Ok(()),
            Some(delivery) => Err(Box::new(delivery)),
        }
    }

    /// Like [`Gateway::no_delivery_within`], for one pushkey (others stay queued).
    pub async fn no_delivery_for(&self, pushkey: &str, within: Duration) -> Result<(), Box<Delivery>> {
        match self.next_delivery_for(pushkey, within).await {
            None => Ok(()),
            Some(delivery) => Err(Box::new(delivery)),
        }
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = service_fn(move |request| handle(shared.clone(), request));
                    // A connection that breaks is the client's business.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

fn answer(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a static response")
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let received_at = Instant::now();
    let discovery = shared
        .unified_push_discovery
        .load(std::sync::atomic::Ordering::Relaxed);
    if request.uri().path() == NOTIFY_PATH && request.method() == Method::GET && discovery {
        return Ok(answer(
            StatusCode::OK,
            json!({"unifiedpush": {"gateway": "matrix"}}),
        ));
    }
    if request.uri().path() == NOTIFY_PATH && request.method() != Method::POST {
        return Ok(answer(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"errcode": "M_UNRECOGNIZED", "error": "only POST is served here"}),
        ));
    }
    if request.uri().path() != NOTIFY_PATH {
        return Ok(answer(
            StatusCode::NOT_FOUND,
            json!({"errcode": "M_UNRECOGNIZED", "error": "not found"}),
        ));
    }
    let bytes = Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .map(|body| body.to_bytes());
    let body: Value = match bytes.as_deref().map(serde_json::from_slice) {
        Ok(Ok(body)) => body,
        _ => Value::Null,
    };
    let record = |status: StatusCode, rejected: Vec<String>, deliveries: Vec<Delivery>| {
        let record = NotifyRecord {
            body: body.clone(),
            received_at,
            status: status.as_u16(),
            rejected,
        };
        lock(&shared.requests).push(record.clone());
        if !deliveries.is_empty() {
            let mut queue = lock(&shared.deliveries);
            queue.extend(deliveries.iter().cloned());
            let excess = queue.len().saturating_sub(MAX_QUEUED);
            queue.drain(..excess);
        }
        // A subscriber that went away is forgotten.
        lock(&shared.subscribers).retain(|subscriber| {
            subscriber
                .send(Answered {
                    record: record.clone(),
                    deliveries: deliveries.clone(),
                })
                .is_ok()
        });
        shared.arrived.notify_waiters();
    };
    let bad_request = |reason: &str| {
        record(StatusCode::BAD_REQUEST, Vec::new(), Vec::new());
        Ok(answer(
            StatusCode::BAD_REQUEST,
            json!({"errcode": "M_BAD_JSON", "error": reason}),
        ))
    };
    let Some(notification) = body.get("notification").filter(|n| n.is_object()) else {
        return bad_request("expected a JSON object with a `notification` object");
    };
    let devices = match notification.get("devices").and_then(Value::as_array) {
        Some(devices) if !devices.is_empty() => devices,
        _ => return bad_request("`notification.devices` must be a non-empty array"),
    };
    if let Some(counts) = notification.get("counts").filter(|c| !c.is_null()) {
        let integer = |name| counts.get(name).is_none_or(|v| v.is_null() || v.is_i64());
        if !counts.is_object() || !integer("unread") || !integer("missed_calls") {
            return bad_request("counts must be integers");
        }
    }
    let mut rejected = Vec::new();
    let mut failure = None;
    let mut delivered = Vec::new();
    for device in devices {
        let (Some(app_id), Some(pushkey)) = (
            device.get("app_id").and_then(Value::as_str),
            device.get("pushkey").and_then(Value::as_str),
        ) else {
            return bad_request("each device needs a string `app_id` and `pushkey`");
        };
        if lock(&shared.reject).contains(pushkey) {
            rejected.push(pushkey.to_owned());
            continue;
        }
        let routed = lock(&shared.routes).get(app_id).copied();
        let Some(provider) = routed.or_else(|| DeviceProvider::for_app_id(app_id)) else {
            // Sygnal answers an unknown app id by rejecting the pushkey.
            rejected.push(pushkey.to_owned());
            continue;
        };
        match convert(provider, notification, device) {
            Conversion::Deliver(payload) => delivered.push(Delivery {
                app_id: app_id.to_owned(),
                pushkey: pushkey.to_owned(),
                provider,
                payload,
                notification: notification.clone(),
                received_at,
            }),
            Conversion::Nothing => {}
            Conversion::Reject(_) => rejected.push(pushkey.to_owned()),
            Conversion::Fail(reason) => failure = Some(reason),
        }
    }
    if let Some(reason) = failure {
        record(StatusCode::BAD_GATEWAY, rejected, delivered);
        return Ok(answer(StatusCode::BAD_GATEWAY, json!({"error": reason})));
    }
    record(StatusCode::OK, rejected.clone(), delivered);
    Ok(answer(StatusCode::OK, json!({"rejected": rejected})))
}
