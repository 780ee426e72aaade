//! Pushers: telling the homeserver where to send pushes for this device (the FCM or APNs token
//! and the push gateway), checked before any request is made.
//!
//! [`ensure`] is the call an app makes on every start: it reads `GET /pushers` and sets the pusher
//! only when it is missing or different, so it also restores a pusher the server dropped (a
//! gateway rejection, a logout elsewhere). [`rotate`] moves to a new FCM/APNs token (or another
//! registration kind or transport) without leaving the old one behind. [`unified_push_gateway`]
//! finds the push gateway for a UnifiedPush endpoint.

use crate::http::{Method, Request, Transport};
use crate::session::{SessionClient, SessionError};
use crate::urls::is_loopback;
use serde_json::{Map, Value, json};
use std::time::Duration;
use url::Url;

/// The path every push gateway serves (the Push Gateway API).
pub const GATEWAY_PATH: &str = "/_matrix/push/v1/notify";
/// Longest pushkey the spec allows, in bytes.
pub const MAX_PUSHKEY_BYTES: usize = 512;
/// Longest app id the spec allows, in characters.
pub const MAX_APP_ID_CHARS: usize = 64;

/// An HTTP pusher.
#[derive(Clone, Debug, PartialEq)]
pub struct Pusher {
    /// The FCM registration token or the APNs device token (base64).
    pub pushkey: String,
    /// Reverse-DNS, with the platform as a suffix: `io.matrixpush.sample.android`.
    pub app_id: String,
    /// The app's name as the user's device list and the server's admin tools show it.
    pub app_display_name: String,
    /// This device's name, as the user's pusher list shows it.
    pub device_display_name: String,
    /// A tag for per-device rule sets (unused by today's servers); `None` to send none.
    pub profile_tag: Option<String>,
    /// The language of the notifications, e.g. `en`.
    pub lang: String,
    /// The push gateway, ending in `/_matrix/push/v1/notify`.
    pub gateway_url: String,
    /// `Some("event_id_only")` (the default): the push carries ids, the phone fetches the rest.
    pub format: Option<String>,
    /// Passed through to the device by Sygnal (e.g. `{"aps": {"mutable-content": 1}}` on iOS).
    pub default_payload: Option<Value>,
    /// Any other `data` fields, passed through by the homeserver.
    pub extra_data: Map<String, Value>,
}

impl Pusher {
    /// A pusher with the defaults a mobile app wants: `event_id_only`, language `en`.
    pub fn new(
        pushkey: impl Into<String>,
        app_id: impl Into<String>,
        gateway_url: impl Into<String>,
    ) -> Pusher {
        Pusher {
            pushkey: pushkey.into(),
            app_id: app_id.into(),
            app_display_name: "matrix-push".into(),
            device_display_name: "phone".into(),
            profile_tag: None,
            lang: "en".into(),
            gateway_url: gateway_url.into(),
            format: Some("event_id_only".into()),
            default_payload: None,
            extra_data: Map::new(),
        }
    }

    /// Checks what the spec and the homeserver require, before anything is sent.
    pub fn validate(&self) -> Result<(), PusherError> {
        if self.pushkey.is_empty() || self.pushkey.len() > MAX_PUSHKEY_BYTES {
            return Err(PusherError::InvalidPushkey {
                bytes: self.pushkey.len(),
            });
        }
        let app_id_chars = self.app_id.chars().count();
        if app_id_chars == 0 || app_id_chars > MAX_APP_ID_CHARS {
            return Err(PusherError::InvalidAppId {
                app_id: self.app_id.clone(),
            });
        }
        let url = Url::parse(&self.gateway_url).map_err(|e| self.bad_url(e.to_string()))?;
        check_gateway_url(&url).map_err(|problem| self.bad_url(problem.to_string()))
    }

    fn bad_url(&self, reason: String) -> PusherError {
        PusherError::InvalidGatewayUrl {
            url: self.gateway_url.clone(),
            reason,
        }
    }

    /// The `data` the homeserver passes on to the gateway with each push for this device
    /// (`format`, `default_payload`, other fields): the pusher's `data` without `url`.
    pub fn device_data(&self) -> Map<String, Value> {
        let mut data = self.extra_data.clone();
        if let Some(format) = &self.format {
            data.insert("format".into(), json!(format));
        }
        if let Some(payload) = &self.default_payload {
            data.insert("default_payload".into(), payload.clone());
        }
        data
    }

    /// The pusher's `data` as the homeserver stores it.
    fn data(&self) -> Value {
        let mut data = self.extra_data.clone();
        data.insert("url".into(), json!(self.gateway_url));
        if let Some(format) = &self.format {
            data.insert("format".into(), json!(format));
        }
        if let Some(payload) = &self.default_payload {
            data.insert("default_payload".into(), payload.clone());
        }
        Value::Object(data)
    }

    fn set_body(&self) -> Value {
        let mut body = json!({
            "kind": "http",
            "app_id": self.app_id,
            "pushkey": self.pushkey,
            "app_display_name": self.app_display_name,
            "device_display_name": self.device_display_name,
            "lang": self.lang,
            "data": self.data(),
            "append": false,
        });
        if let Some(tag) = &self.profile_tag {
            body["profile_tag"] = json!(tag);
        }
        body
    }

    /// The fields of a pusher from `GET /pushers`, whatever its kind (see [`ListedPusher`]).
    fn from_server(value: &Value) -> Option<Pusher> {
        let text = |field: &str| value.get(field).and_then(Value::as_str).map(str::to_owned);
        let mut data = value
            .get("data")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let take_text = |data: &mut Map<String, Value>, field: &str| match data.remove(field) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        Some(Pusher {
            pushkey: text("pushkey")?,
            app_id: text("app_id")?,
            app_display_name: text("app_display_name").unwrap_or_default(),
            device_display_name: text("device_display_name").unwrap_or_default(),
            profile_tag: text("profile_tag").filter(|tag| !tag.is_empty()),
            lang: text("lang").unwrap_or_default(),
            gateway_url: take_text(&mut data, "url").unwrap_or_default(),
            format: take_text(&mut data, "format"),
            default_payload: data.remove("default_payload"),
            extra_data: data,
        })
    }
}

/// Why a pusher could not be set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PusherError {
    /// The pushkey is empty or longer than [`MAX_PUSHKEY_BYTES`].
    #[error("a pushkey must be 1 to {MAX_PUSHKEY_BYTES} bytes, this one has {bytes}")]
    InvalidPushkey {
        /// The pushkey's length, in bytes.
        bytes: usize,
    },
    /// The app id is empty or longer than [`MAX_APP_ID_CHARS`].
    #[error("an app id must be 1 to {MAX_APP_ID_CHARS} characters: {app_id:?}")]
    InvalidAppId {
        /// The app id as given.
        app_id: String,
    },
    /// The push gateway URL is not one (see [`check_gateway_url`]).
    #[error("invalid push gateway URL {url:?}: {reason}")]
    InvalidGatewayUrl {
        /// The URL as given.
        url: String,
        /// Why it cannot be a gateway's.
        reason: String,
    },
    /// A UnifiedPush endpoint that is not an http(s) URL (shown by its origin only).
    #[error("a UnifiedPush endpoint must be an http(s) URL: {endpoint}")]
    InvalidEndpoint {
        /// The endpoint's origin (its path is the push server's secret for the app).
        endpoint: String,
    },
    /// The request failed: no session, the server refused, or the network.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Why a URL cannot be a pusher's push gateway (see [`check_gateway_url`]). New problems may be
/// added in minor versions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayUrlProblem {
    /// Not `https` (nor `http`): the homeserver cannot post to it.
    #[error("it must be https (plain http only on loopback), not {scheme}")]
    NotHttp {
        /// The URL's scheme.
        scheme: String,
    },
    /// The path is not [`GATEWAY_PATH`]: the homeserver posts to the URL as given.
    #[error("the path must be {GATEWAY_PATH}")]
    WrongPath {
        /// The URL's path.
        path: String,
    },
    /// Plain `http` to a host other than this machine: the homeserver would send the pushes
    /// (with their pushkeys) unencrypted. Homeservers accept it; this crate does not set it.
    #[error("it must be https (plain http only on loopback)")]
    PlainHttp,
}

/// Checks that `url` can be a push gateway's: `https` (plain `http` only on loopback) and the
/// path [`GATEWAY_PATH`]. [`Pusher::validate`] requires it; the command line's `doctor` uses it
/// on the pushers a server lists (where [`GatewayUrlProblem::PlainHttp`] still delivers).
pub fn check_gateway_url(url: &Url) -> Result<(), GatewayUrlProblem> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(GatewayUrlProblem::NotHttp {
            scheme: url.scheme().to_owned(),
        });
    }
    if url.path() != GATEWAY_PATH {
        return Err(GatewayUrlProblem::WrongPath {
            path: url.path().to_owned(),
        });
    }
    if url.scheme() == "http" && !url.host_str().is_some_and(is_loopback) {
        return Err(GatewayUrlProblem::PlainHttp);
    }
    Ok(())
}

/// A pusher's kind, as `GET /pushers` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PusherKind {
    /// Pushes go to a push gateway (`data.url`): the phones' kind.
    Http,
    /// The homeserver sends e-mails itself.
    Email,
    /// A kind this crate does not know, as the server named it.
    Other(String),
}

impl PusherKind {
    /// The kind `GET /pushers` names (`http`, `email`, anything else).
    pub fn from_name(name: &str) -> PusherKind {
        match name {
            "http" => PusherKind::Http,
            "email" => PusherKind::Email,
            other => PusherKind::Other(other.to_owned()),
        }
    }

    /// The name the server uses.
    pub fn as_str(&self) -> &str {
        match self {
            PusherKind::Http => "http",
            PusherKind::Email => "email",
            PusherKind::Other(name) => name,
        }
    }
}

/// A pusher as `GET /pushers` lists it, of any kind (see [`list_all`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ListedPusher {
    /// Whether the server pushes through a gateway (`http`, the phones' kind), by e-mail, or
    /// otherwise.
    pub kind: PusherKind,
    /// When the pushkey was last updated, as the server gives it (it hands this to the gateway
    /// as the device's `pushkey_ts`); `None` when the server does not say.
    pub pushkey_ts: Option<u64>,
    /// The pusher's fields. For kinds other than http, `gateway_url` is empty unless the
    /// server lists a `data.url`; for http an empty one means the pusher has no gateway URL.
    pub pusher: Pusher,
}

impl ListedPusher {
    /// A pusher from `GET /pushers`; `None` without a kind, an app id or a pushkey.
    fn from_server(value: &Value) -> Option<ListedPusher> {
        Some(ListedPusher {
            kind: PusherKind::from_name(value.get("kind")?.as_str()?),
            pushkey_ts: value.get("pushkey_ts").and_then(Value::as_u64),
            pusher: Pusher::from_server(value)?,
        })
    }
}

/// What [`ensure`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum EnsureOutcome {
    /// The server already had this exact pusher: no request was made to change it.
    Unchanged,
    /// The server had no pusher for this app id and pushkey: it was set.
    Created,
    /// The server had this pusher with other values: it was set again.
    Updated,
}

/// Sets (creates or replaces) a pusher. `append: false`, so the same token registered by another
/// account on this server is taken over, as the spec recommends for a device that changed hands.
pub async fn set(client: &SessionClient, pusher: &Pusher) -> Result<(), PusherError> {
    pusher.validate()?;
    // Setting the same pusher twice leaves the same state: safe to retry.
    let request = Request::new(Method::Post, client.url("pushers/set"))
        .json(pusher.set_body())
        .idempotent(true);
    client.send_request(request).await?;
    Ok(())
}

/// This user's HTTP pushers (the ones a phone sets; [`list_all`] has every kind).
pub async fn list(client: &SessionClient) -> Result<Vec<Pusher>, PusherError> {
    let all = list_all(client).await?;
    Ok(all
        .into_iter()
        .filter(|listed| listed.kind == PusherKind::Http)
        .map(|listed| listed.pusher)
        .collect())
}

/// Every pusher of this user, whatever its kind (http, email, others), with its `pushkey_ts`.
pub async fn list_all(client: &SessionClient) -> Result<Vec<ListedPusher>, PusherError> {
    let body = client.send(Method::Get, "pushers", None).await?;
    let pushers = body
        .get("pushers")
        .and_then(Value::as_array)
        .ok_or(SessionError::MalformedResponse("pushers"))?;
    Ok(pushers.iter().filter_map(ListedPusher::from_server).collect())
}

/// Removes the pusher `app_id` + `pushkey` (no error if there is none).
pub async fn remove(client: &SessionClient, app_id: &str, pushkey: &str) -> Result<(), PusherError> {
    let body = json!({"kind": null, "app_id": app_id, "pushkey": pushkey});
    let request = Request::new(Method::Post, client.url("pushers/set"))
        .json(body)
        .idempotent(true);
    client.send_request(request).await?;
    Ok(())
}

/// Makes sure the server has exactly this pusher; sets it only when missing or different.
pub async fn ensure(client: &SessionClient, pusher: &Pusher) -> Result<EnsureOutcome, PusherError> {
    pusher.validate()?;
    let existing = list(client).await?;
    let same_key = existing
        .iter()
        .find(|p| p.app_id == pusher.app_id && p.pushkey == pusher.pushkey);
    let outcome = match same_key {
        Some(current) if current == pusher => return Ok(EnsureOutcome::Unchanged),
        Some(_) => EnsureOutcome::Updated,
        None => EnsureOutcome::Created,
    };
    set(client, pusher).await?;
    tracing::info!(app_id = %pusher.app_id, ?outcome, "pusher ensured");
    Ok(outcome)
}

/// Moves from the pusher (`old_app_id`, `old_pushkey`) to `pusher`: a new FCM/APNs token, or a
/// change of registration kind or transport (an FCM token → a Firebase installation id, FCM →
/// UnifiedPush), which comes with an app id of its own so the gateway knows how to deliver. The
/// new pusher is set first, so pushes never stop, then the old one is removed.
pub async fn rotate(
    client: &SessionClient,
    old_app_id: &str,
    old_pushkey: &str,
    pusher: &Pusher,
) -> Result<(), PusherError> {
    set(client, pusher).await?;
    if (old_app_id, old_pushkey) != (pusher.app_id.as_str(), pusher.pushkey.as_str()) {
        remove(client, old_app_id, old_pushkey).await?;
    }
    Ok(())
}

/// The public Matrix gateway of UnifiedPush, for endpoints whose push server has none of its own.
pub const UNIFIED_PUSH_DEFAULT_GATEWAY: &str =
    "https://matrix.gateway.unifiedpush.org/_matrix/push/v1/notify";
/// The discovery answer is a few bytes; anything much larger is not one.
const DISCOVERY_MAX_BODY: usize = 4 * 1024;

/// Finds the push gateway for a UnifiedPush `endpoint` (the pusher's pushkey), by UnifiedPush's
/// Matrix gateway discovery: `GET` the endpoint's origin with the path [`GATEWAY_PATH`] (path and
/// query replaced); a push server with a Matrix gateway of its own answers
/// `{"unifiedpush":{"gateway":"matrix"}}`, and that URL is the gateway. Anything else — another
/// answer, an error status, no answer within `timeout`, a URL [`check_gateway_url`] refuses —
/// means `fallback` (the app's own gateway, or [`UNIFIED_PUSH_DEFAULT_GATEWAY`]), as UnifiedPush
/// prescribes. Fails only when `endpoint` is not an http(s) URL or `fallback` cannot be a gateway.
pub async fn unified_push_gateway(
    transport: &Transport,
    endpoint: &str,
    fallback: &str,
    timeout: Duration,
) -> Result<Url, PusherError> {
    let fallback_url = Url::parse(fallback).map_err(|e| PusherError::InvalidGatewayUrl {
        url: fallback.to_owned(),
        reason: e.to_string(),
    })?;
    check_gateway_url(&fallback_url).map_err(|problem| PusherError::InvalidGatewayUrl {
        url: fallback.to_owned(),
        reason: problem.to_string(),
    })?;
    let candidate = Url::parse(endpoint)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
        .map(|mut url| {
            url.set_path(GATEWAY_PATH);
            url.set_query(None);
            url.set_fragment(None);
            url
        })
        .ok_or_else(|| PusherError::InvalidEndpoint {
            endpoint: redacted_url_text(endpoint),
        })?;
    if let Err(problem) = check_gateway_url(&candidate) {
        tracing::info!(%problem, "the UnifiedPush endpoint cannot host a gateway: using the fallback");
        return Ok(fallback_url);
    }
    let request = Request::new(Method::Get, candidate.clone())
        .timeout(timeout)
        .max_body(DISCOVERY_MAX_BODY);
    let answer = tokio::time::timeout(timeout, transport.send(&request)).await;
    match answer {
        Ok(Ok(body)) if body.pointer("/unifiedpush/gateway").and_then(Value::as_str) == Some("matrix") => {
            Ok(candidate)
        }
        Ok(Ok(_)) => {
            tracing::info!("the UnifiedPush push server has no Matrix gateway: using the fallback");
            Ok(fallback_url)
        }
        Ok(Err(error)) => {
            tracing::info!(%error, "UnifiedPush gateway discovery failed: using the fallback");
            Ok(fallback_url)
        }
        Err(_) => {
            tracing::info!(
                ?timeout,
                "UnifiedPush gateway discovery timed out: using the fallback"
            );
            Ok(fallback_url)
        }
    }
}

/// An endpoint for an error message: its origin only (the path is the push server's secret
/// for this app instance, and anyone holding it can push to the phone).
fn redacted_url_text(endpoint: &str) -> String {
    match Url::parse(endpoint) {
        Ok(url) => format!("{}/…", url.origin().ascii_serialization()),
        Err(_) => "<not a URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pusher() -> Pusher {
        Pusher::new(
            "token",
            "io.matrixpush.sample.android",
            "https://push.example.org/_matrix/push/v1/notify",
        )
    }

    #[test]
    fn validation() {
        assert!(pusher().validate().is_ok());
        let mut p = pusher();
        p.pushkey = "x".repeat(513);
        assert!(matches!(
            p.validate(),
            Err(PusherError::InvalidPushkey { bytes: 513 })
        ));
        p.pushkey = "é".repeat(256);
        assert!(p.validate().is_ok(), "512 bytes is the limit");
        let mut p = pusher();
        p.app_id = "a".repeat(65);
        assert!(matches!(p.validate(), Err(PusherError::InvalidAppId { .. })));
        for (url, ok) in [
            ("https://push.example.org/_matrix/push/v1/notify", true),
            ("http://127.0.0.1:5000/_matrix/push/v1/notify", true),
            ("http://localhost:5000/_matrix/push/v1/notify", true),
            ("http://push.example.org/_matrix/push/v1/notify", false),
            ("https://push.example.org/notify", false),
            ("not a url", false),
        ] {
            let mut p = pusher();
            p.gateway_url = url.into();
            assert_eq!(p.validate().is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn gateway_urls_are_checked() {
        let check = |url: &str| check_gateway_url(&Url::parse(url).unwrap());
        assert_eq!(check("https://push.example.org/_matrix/push/v1/notify"), Ok(()));
        assert_eq!(check("http://[::1]:5000/_matrix/push/v1/notify"), Ok(()));
        assert_eq!(
            check("http://push.example.org/_matrix/push/v1/notify"),
            Err(GatewayUrlProblem::PlainHttp)
        );
        assert_eq!(
            check("https://push.example.org/notify"),
            Err(GatewayUrlProblem::WrongPath {
                path: "/notify".into()
            })
        );
        assert!(matches!(
            check("ftp://push.example.org/_matrix/push/v1/notify"),
            Err(GatewayUrlProblem::NotHttp { .. })
        ));
    }

    #[test]
    fn every_kind_is_listed_with_its_pushkey_ts() {
        let email = ListedPusher::from_server(&json!({
            "kind": "email", "app_id": "m.email", "pushkey": "alice@example.org",
            "pushkey_ts": 1_700_000_000_000u64, "data": {"brand": "Example"},
        }))
        .unwrap();
        assert_eq!(email.kind, PusherKind::Email);
        assert_eq!(email.pushkey_ts, Some(1_700_000_000_000));
        assert_eq!(email.pusher.gateway_url, "");
        let other = ListedPusher::from_server(&json!({"kind": "carrier", "app_id": "a", "pushkey": "k"}));
        assert_eq!(other.unwrap().kind, PusherKind::Other("carrier".into()));
        assert_eq!(
            ListedPusher::from_server(&json!({"app_id": "a", "pushkey": "k"})),
            None
        );

        let mut p = pusher();
        p.default_payload = Some(json!({"cs": "x"}));
        let listed = ListedPusher::from_server(&p.set_body()).unwrap();
        assert_eq!((listed.kind, listed.pushkey_ts), (PusherKind::Http, None));
        assert_eq!(
            Value::Object(listed.pusher.device_data()),
            json!({"format": "event_id_only", "default_payload": {"cs": "x"}})
        );
    }

    #[test]
    fn server_form_round_trips() {
        let mut p = pusher();
        p.profile_tag = Some("tag".into());
        p.default_payload = Some(json!({"aps": {"mutable-content": 1}}));
        p.extra_data.insert("org.example".into(), json!(1));
        let mut server = p.set_body();
        server.as_object_mut().unwrap().remove("append");
        assert_eq!(Pusher::from_server(&server), Some(p));
    }
}
