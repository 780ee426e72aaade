//! A hostile proxy: it stands in front of a real homeserver (the harness Synapse), passes every
//! request through — so a phone signs in, warms its store and gets real rooms, events and sync
//! positions — and, once told to, answers the requests of one endpoint ([`Endpoint`]) as a hostile
//! server would: in any [`Mode`], or with the real answer's types made wrong
//! ([`Misbehaviour::WrongTypes`] everywhere at once, [`Misbehaviour::WrongTypeAt`] in one field).
//! So every request the push path makes — a warm incremental sync as well as a cold one, `/sync`
//! where sliding sync is missing, `/context` for an old event, an avatar's thumbnail — can be
//! made to misbehave, on answers that are otherwise exactly what Synapse sends.

use super::{Answers, Loopback, Mode, RawRequest, Shared, misbehave, read_request};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The requests that misbehave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Simplified sliding sync (MSC4186): how a push syncs its room where the server serves it.
    SlidingSync,
    /// `GET /_matrix/client/v3/sync`: how it syncs where sliding sync is missing.
    Sync,
    /// `GET /rooms/{room}/context/{event}`: an event older than the room's latest.
    Context,
    /// `GET /_matrix/client/v1/media/thumbnail/…`: an avatar for the notification.
    Thumbnail,
}

impl Endpoint {
    fn matches(self, request: &RawRequest) -> bool {
        let path = request.path();
        match self {
            Endpoint::SlidingSync => path.ends_with("/org.matrix.simplified_msc3575/sync"),
            Endpoint::Sync => path.ends_with("/client/v3/sync"),
            Endpoint::Context => path.contains("/context/"),
            Endpoint::Thumbnail => path.contains("/media/thumbnail/"),
        }
    }
}

/// How the requests of the chosen endpoint are answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Misbehaviour {
    /// As the hostile server's mode says ([`Mode::WrongTypes`] and [`Mode::SlowDrip`] on the
    /// real answer; [`Mode::SyncNeverEnds`] never finishes any request of the endpoint).
    Hostile(Mode),
    /// The real answer with every scalar given a wrong type (strings become numbers, numbers and
    /// booleans strings, nulls objects), its objects and arrays kept so that every field is
    /// reached.
    WrongTypes,
    /// The real answer with the value at this JSON pointer given a wrong type (an object becomes
    /// an array, an array an object, a scalar as in [`Misbehaviour::WrongTypes`]).
    WrongTypeAt(String),
}

#[derive(Default)]
struct State {
    rule: Option<(Endpoint, Misbehaviour)>,
    /// The last real answer of each endpoint seen (its JSON body).
    last_real: Vec<(Endpoint, Value)>,
    /// Requests answered by misbehaving.
    misbehaved: usize,
}

/// A running proxy; stopped when dropped.
pub struct HostileProxy {
    state: Arc<Mutex<State>>,
    shared: Arc<Shared>,
    loopback: Loopback,
}

impl HostileProxy {
    /// Starts a proxy to `upstream` (a homeserver's base URL) on 127.0.0.1, passing everything
    /// through until [`HostileProxy::misbehave`].
    pub fn start(upstream: &url::Url) -> HostileProxy {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::new(Shared::default());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let upstream = upstream.as_str().trim_end_matches('/').to_owned();
        let (served_state, served_shared) = (state.clone(), shared.clone());
        let loopback = Loopback::start("hostile-proxy".into(), move |stream, port| {
            let connection = Connection {
                http: http.clone(),
                upstream: upstream.clone(),
                port,
                state: served_state.clone(),
                shared: served_shared.clone(),
            };
            async move {
                // A client hanging up mid-answer is an expected end.
                let _ = connection.serve(stream).await;
            }
        });
        HostileProxy {
            state,
            shared,
            loopback,
        }
    }

    /// The proxy's base URL, `http://127.0.0.1:PORT/`: what the phone takes for its homeserver.
    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://127.0.0.1:{}/", self.loopback.port())).expect("a URL")
    }

    /// From now on, answers the requests of `endpoint` as `how` says.
    pub fn misbehave(&self, endpoint: Endpoint, how: Misbehaviour) {
        let mut state = self.lock();
        state.rule = Some((endpoint, how));
        state.misbehaved = 0;
    }

    /// From now on, passes every request through.
    pub fn pass_through(&self) {
        self.lock().rule = None;
    }

    /// How many requests were answered by misbehaving since the last [`HostileProxy::misbehave`].
    pub fn misbehaved(&self) -> usize {
        self.lock().misbehaved
    }

    /// The last real answer of `endpoint` that went through (or that a misbehaviour was made
    /// from).
    pub fn last_real(&self, endpoint: Endpoint) -> Option<Value> {
        let state = self.lock();
        state
            .last_real
            .iter()
            .find(|(e, _)| *e == endpoint)
            .map(|(_, body)| body.clone())
    }

    /// The request targets received so far (path and query).
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One accepted connection and what it needs to answer.
struct Connection {
    http: reqwest::Client,
    upstream: String,
    port: u16,
    state: Arc<Mutex<State>>,
    shared: Arc<Shared>,
}

impl Connection {
    async fn serve(self, mut stream: TcpStream) -> std::io::Result<()> {
        let Some(request) = read_request(&mut stream).await? else {
            return Ok(());
        };
        self.shared.record(&request.target);
        let rule = self.lock().rule.clone();
        let Some((endpoint, how)) = rule.filter(|(endpoint, _)| endpoint.matches(&request)) else {
            let (status, content_type, body) = self.forward(&request).await;
            return answer(stream, status, &content_type, &body).await;
        };
        self.lock().misbehaved += 1;
        let needs_real = matches!(
            how,
            Misbehaviour::WrongTypes
                | Misbehaviour::WrongTypeAt(_)
                | Misbehaviour::Hostile(Mode::SlowDrip | Mode::WrongTypes { .. })
        );
        let real = if needs_real {
            let (status, _, body) = self.forward(&request).await;
            let json = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
            self.remember(endpoint, &json);
            Some((status, json))
        } else {
            None
        };
        match how {
            Misbehaviour::Hostile(mode) => {
                let (status, json) = real.unwrap_or((200, Value::Null));
                let status = status_line(status);
                let answers = Answers {
                    target: request.target,
                    port: self.port,
                    normal: (status, json.to_string()),
                    wrong: (status, with_wrong_types(&json).to_string()),
                    never_ends: true,
                };
                misbehave(stream, mode, answers, &self.shared).await
            }
            Misbehaviour::WrongTypes => {
                let (status, json) = real.unwrap_or((200, Value::Null));
                let body = with_wrong_types(&json).to_string();
                answer(stream, status, "application/json", body.as_bytes()).await
            }
            Misbehaviour::WrongTypeAt(pointer) => {
                let (status, mut json) = real.unwrap_or((200, Value::Null));
                if let Some(value) = json.pointer_mut(&pointer) {
                    *value = wrong_type(value);
                }
                answer(stream, status, "application/json", json.to_string().as_bytes()).await
            }
        }
    }

    /// The upstream's answer to `request`: status, content type and body.
    async fn forward(&self, request: &RawRequest) -> (u16, String, Vec<u8>) {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut upstream = self
            .http
            .request(method, format!("{}{}", self.upstream, request.target))
            .body(request.body.clone());
        for name in ["authorization", "content-type"] {
            if let Some(value) = request.header(name) {
                upstream = upstream.header(name, value);
            }
        }
        let Ok(response) = upstream.send().await else {
            return (502, "text/plain".into(), b"upstream unreachable".to_vec());
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        let body = response.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        if let Some(endpoint) = [Endpoint::SlidingSync, Endpoint::Sync, Endpoint::Context]
            .into_iter()
            .find(|e| e.matches(request))
            && let Ok(json) = serde_json::from_slice::<Value>(&body)
        {
            self.remember(endpoint, &json);
        }
        (status, content_type, body)
    }

    fn remember(&self, endpoint: Endpoint, json: &Value) {
        let mut state = self.lock();
        state.last_real.retain(|(e, _)| *e != endpoint);
        state.last_real.push((endpoint, json.clone()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Writes a whole answer and closes the connection.
async fn answer(mut stream: TcpStream, status: u16, content_type: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        status_line(status),
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}

/// The status line's code and a reason phrase (clients read the code only).
fn status_line(status: u16) -> &'static str {
    match status {
        200 => "200 OK",
        400 => "400 Bad Request",
        401 => "401 Unauthorized",
        403 => "403 Forbidden",
        404 => "404 Not Found",
        429 => "429 Too Many Requests",
        502 => "502 Bad Gateway",
        _ => "500 Internal Server Error",
    }
}

/// `value` with a type it does not have: an object becomes an array, an array an object, a
/// string a number, a number or boolean a string, null an object.
pub fn wrong_type(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Array(object.values().cloned().collect()),
        Value::Array(items) => Value::Object(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (i.to_string(), item.clone()))
                .collect(),
        ),
        Value::String(text) => Value::from(text.len()),
        Value::Number(number) => Value::String(number.to_string()),
        Value::Bool(flag) => Value::String(flag.to_string()),
        Value::Null => Value::Object(Default::default()),
    }
}

/// `value` with every scalar inside it given a wrong type ([`wrong_type`]); objects and arrays
/// are kept, so that a reader gets to every field.
pub fn with_wrong_types(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(key, inner)| (key.clone(), with_wrong_types(inner)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(with_wrong_types).collect()),
        scalar => wrong_type(scalar),
    }
}

/// The JSON pointer of every value inside `value` (not the root), depth first.
pub fn pointers(value: &Value) -> Vec<String> {
    fn walk(value: &Value, at: &str, out: &mut Vec<String>) {
        let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
        match value {
            Value::Object(object) => {
                for (key, inner) in object {
                    let pointer = format!("{at}/{}", escape(key));
                    out.push(pointer.clone());
                    walk(inner, &pointer, out);
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    let pointer = format!("{at}/{i}");
                    out.push(pointer.clone());
                    walk(inner, &pointer, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_value_gets_a_type_it_did_not_have() {
        let sample = json!({"a": "x", "b": 1, "c": true, "d": null, "e": [1], "f": {"g": "h"}});
        let kind = |v: &Value| std::mem::discriminant(v);
        for pointer in pointers(&sample) {
            let value = sample.pointer(&pointer).unwrap();
            assert_ne!(kind(value), kind(&wrong_type(value)), "{pointer}");
        }
        let swapped = with_wrong_types(&sample);
        assert_eq!(swapped["a"], json!(1));
        assert_eq!(swapped["b"], json!("1"));
        assert_eq!(swapped["e"], json!(["1"]));
        assert_eq!(swapped["f"]["g"], json!(1));
        assert_eq!(
            pointers(&json!({"a/b": [{"c": 1}]})),
            ["/a~1b", "/a~1b/0", "/a~1b/0/c"]
        );
    }
}
