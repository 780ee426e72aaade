//! The Matrix client-server transport: JSON requests over reqwest (rustls), a timeout on every
//! request, typed Matrix errors, and retries with capped exponential backoff where a retry is safe.
//!
//! Retry policy:
//! - idempotent requests (GET, PUT, DELETE and POSTs marked idempotent) are retried on 429,
//!   502/503/504 and network errors;
//! - other requests only when the failure proves the server did not act on them: 429, or a
//!   connection that was never established;
//! - a server asking to wait longer than [`HttpConfig::max_retry_after`] is not waited for: the
//!   error goes back to the caller with its retry-after.
//!
//! Every answer is bounded, whatever the server sends: bodies are read as a stream against a
//! size cap (per request, [`Request::max_body`], else [`HttpConfig::max_body`]); a declared
//! `Content-Length` above the cap fails at once, before anything is read, and a body that grows
//! past it stops being read at the cap — both as [`HttpError::TooLarge`], which is not retried.
//! A notification extension is killed at a few tens of MB, so one push must never hold more than
//! its caps (see [`EVENT_MAX_BODY`], [`SYNC_MAX_BODY`], [`RULES_MAX_BODY`]). Time is bounded by
//! the request timeout, which covers the body as well as the headers.
//!
//! Redirects are followed only within the request's origin (same scheme, host and port), at most
//! [`MAX_REDIRECTS`] times: a token is never replayed to another server, and a redirect loop ends
//! at once. A redirect that is not followed comes back as [`HttpError::UnexpectedResponse`] with
//! its 3xx status.
//!
//! Nothing secret is logged: requests are traced by method and path only (tokens travel in the
//! `Authorization` header, never in the query), bodies never.

use crate::secret::Secret;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use url::Url;

/// The body cap of a request that names none ([`HttpConfig::max_body`]'s default): far above any
/// answer the SDK asks for outside the push path, far below what would hurt a phone.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// The body cap for `GET /rooms/{id}/event/{id}`. The spec caps an event at 64 KiB (its federation
/// form), but the client form adds `unsigned`, where the server bundles aggregations — a whole
/// replacing edit (`m.relations.m.replace`, itself up to 64 KiB), a thread's latest event, and
/// so on — so a legitimate event can be a few times larger: 192 KiB.
pub const EVENT_MAX_BODY: usize = 192 * 1024;

/// The body cap for the push path's `/sync` filtered to one room (its state, summary, counts and
/// a short timeline): 1 MiB, room for the state of a large room without allowing a runaway answer.
pub const SYNC_MAX_BODY: usize = 1024 * 1024;

/// The body cap for `GET /pushrules/`: 1 MiB, a few thousand rules — far more than any account
/// has (hundreds of room and sender rules make tens of KiB).
pub const RULES_MAX_BODY: usize = 1024 * 1024;

/// How many same-origin redirects one request follows; more is treated as a loop.
pub const MAX_REDIRECTS: usize = 3;

/// Tunables of the transport.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Upper bound for one request, start to finish.
    pub request_timeout: Duration,
    /// Upper bound for opening a connection (TCP and TLS), within `request_timeout`.
    pub connect_timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The wait before the first retry; doubled for each retry after it, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest wait between two retries.
    pub max_backoff: Duration,
    /// The longest server-requested wait (`Retry-After`) the transport sleeps through itself.
    pub max_retry_after: Duration,
    /// The `User-Agent` header of every request.
    pub user_agent: String,
    /// The largest body read for a request that sets no [`Request::max_body`].
    pub max_body: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            max_retries: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(5),
            user_agent: format!("matrix-push/{}", env!("CARGO_PKG_VERSION")),
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// An error response from a Matrix server (`{"errcode", "error"}`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{errcode} ({status}): {message}")]
pub struct MatrixError {
    /// The HTTP status code of the answer.
    pub status: u16,
    /// `M_FORBIDDEN`, `M_UNKNOWN_TOKEN`, `M_LIMIT_EXCEEDED`, … (`M_UNKNOWN` when the body had
    /// none).
    pub errcode: String,
    /// The server's human-readable `error` text (empty when it sent none); not for display as is.
    pub message: String,
    /// With `M_UNKNOWN_TOKEN`: the device and its data can be kept; log in again.
    pub soft_logout: bool,
    /// How long the server asks to wait (the `Retry-After` header, else `retry_after_ms`).
    pub retry_after: Option<Duration>,
}

impl MatrixError {
    /// Whether the server's error code is `errcode` (`M_FORBIDDEN`, …).
    pub fn is(&self, errcode: &str) -> bool {
        self.errcode == errcode
    }
}

/// Why a request failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The server answered with a Matrix error.
    #[error(transparent)]
    Matrix(#[from] MatrixError),
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach {url}: {message}")]
    Network {
        /// The URL requested, without its query.
        url: String,
        /// What the network layer said.
        message: String,
    },
    /// No complete answer within the request's timeout (retries included).
    #[error("no answer from {url} within {timeout:?}")]
    Timeout {
        /// The URL requested, without its query.
        url: String,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// An answer that is not the JSON the API promises (a web page, a proxy error, …).
    #[error("unexpected answer from {url} (HTTP {status}): {message}")]
    UnexpectedResponse {
        /// The URL requested, without its query.
        url: String,
        /// The HTTP status code of the answer.
        status: u16,
        /// What was wrong with it (not JSON, or not the shape expected).
        message: String,
    },
    /// A URL could not be built or parsed (a malformed homeserver address, for instance).
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The answer's body is larger than the request allows (declared or as it arrived); reading
    /// stopped at `limit` bytes. Not retried: the same request would get the same answer.
    #[error("the answer from {url} is larger than {limit} bytes")]
    TooLarge {
        /// The URL requested, without its query.
        url: String,
        /// The cap that was reached, in bytes.
        limit: usize,
    },
}

impl HttpError {
    /// The Matrix error, if the server sent one.
    pub fn matrix(&self) -> Option<&MatrixError> {
        match self {
            HttpError::Matrix(error) => Some(error),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// An HTTP method the client-server API uses.
pub enum Method {
    /// `GET`: reads; safe to retry.
    Get,
    /// `POST`: not retried unless the request is marked idempotent.
    Post,
    /// `PUT`: idempotent by the API's design; retried.
    Put,
    /// `DELETE`: idempotent; retried.
    Delete,
}

/// One request to send. Its `Debug` shows neither the body (logins carry passwords) nor the
/// token.
#[derive(Clone)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// The JSON body, or `None` to send none.
    pub body: Option<Value>,
    /// The access token sent as `Authorization: Bearer`, or `None` for an unauthenticated request.
    pub access_token: Option<Secret>,
    /// Safe to send twice (GET, PUT and DELETE are; a POST only when the endpoint says so).
    pub idempotent: bool,
    /// Overrides [`HttpConfig::request_timeout`] (long-polling `/sync`).
    pub timeout: Option<Duration>,
    /// Overrides [`HttpConfig::max_body`]: the largest body read for this request.
    pub max_body: Option<usize>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &redacted_url(&self.url))
            .field("body", &self.body.as_ref().map(|_| "<not shown>"))
            .field("access_token", &self.access_token)
            .field("idempotent", &self.idempotent)
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl Request {
    /// A request without body or token; idempotent unless it is a `POST`.
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            body: None,
            access_token: None,
            idempotent: method != Method::Post,
            timeout: None,
            max_body: None,
        }
    }

    /// Sends `body` as the JSON body.
    pub fn json(mut self, body: Value) -> Request {
        self.body = Some(body);
        self
    }

    /// Sends `token` as the bearer token (`None`: no `Authorization` header).
    pub fn bearer(mut self, token: Option<Secret>) -> Request {
        self.access_token = token;
        self
    }

    /// Marks the request as safe (or not) to send twice, which decides whether it is retried.
    pub fn idempotent(mut self, idempotent: bool) -> Request {
        self.idempotent = idempotent;
        self
    }

    /// A timeout for this request, in place of [`HttpConfig::request_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Request {
        self.timeout = Some(timeout);
        self
    }

    /// The largest body to read for this request, in bytes (see [`EVENT_MAX_BODY`] and its
    /// siblings); a larger answer fails with [`HttpError::TooLarge`].
    pub fn max_body(mut self, bytes: usize) -> Request {
        self.max_body = Some(bytes);
        self
    }
}

/// What to do with a redirect to `next`, `previous` being the URLs requested so far (the
/// original first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Redirect {
    Follow,
    /// To another scheme, host or port: the request (and its token) stays where it was sent.
    CrossOrigin,
    /// More than [`MAX_REDIRECTS`]: a loop, or a chain not worth following.
    TooMany,
}

fn redirect_decision(next: &Url, previous: &[Url]) -> Redirect {
    let Some(original) = previous.first() else {
        return Redirect::CrossOrigin;
    };
    if next.origin() != original.origin() || !next.origin().is_tuple() {
        Redirect::CrossOrigin
    } else if previous.len() > MAX_REDIRECTS {
        Redirect::TooMany
    } else {
        Redirect::Follow
    }
}

/// Sends requests to Matrix servers.
#[derive(Clone, Debug)]
pub struct Transport {
    client: reqwest::Client,
    config: HttpConfig,
    /// HTTP requests sent (each attempt counts), for tests and benchmarks.
    sent: Arc<AtomicU64>,
    /// Body bytes received (every attempt, error answers too), for the benchmark's bytes per push.
    received: Arc<AtomicU64>,
}

impl Transport {
    /// A transport with these tunables. Fails only if the HTTP stack cannot be set up (TLS roots).
    pub fn new(config: HttpConfig) -> Result<Transport, HttpError> {
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                match redirect_decision(attempt.url(), attempt.previous()) {
                    Redirect::Follow => attempt.follow(),
                    // The 3xx itself comes back; `send_once` says why it was not followed.
                    Redirect::CrossOrigin | Redirect::TooMany => attempt.stop(),
                }
            }))
            .build()
            .map_err(|e| HttpError::Network {
                url: String::new(),
                message: format!("cannot set up HTTP: {e}"),
            })?;
        Ok(Transport {
            client,
            config,
            sent: Default::default(),
            received: Default::default(),
        })
    }

    /// The tunables this transport was made with.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// How many HTTP requests this transport has sent (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// How many body bytes this transport has received (retries and error answers included;
    /// headers not counted). Shared by clones, like [`Transport::requests_sent`].
    pub fn bytes_received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Sends a request, retrying as the module documentation says; returns the JSON body (an
    /// empty object for an empty body).
    pub async fn send(&self, request: &Request) -> Result<Value, HttpError> {
        self.send_for_answer(request).await?.json()
    }

    /// Sends a request, retrying as the module documentation says; returns a successful answer
    /// as it came (media is not JSON), its body read within the request's cap.
    pub async fn send_for_answer(&self, request: &Request) -> Result<Answer, HttpError> {
        let mut attempt = 0;
        loop {
            let result = self.send_once(request).await;
            let Err(error) = &result else { return result };
            let Some(wait) = self.retry_delay(request, error, attempt) else {
                return result;
            };
            tracing::debug!(
                method = ?request.method, path = request.url.path(), attempt, ?wait,
                "retrying after {error}"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// How long to wait before retrying, or `None` to give up.
    fn retry_delay(&self, request: &Request, error: &HttpError, attempt: u32) -> Option<Duration> {
        let rate_limited = matches!(error, HttpError::Matrix(e) if e.status == 429);
        let never_connected =
            matches!(error, HttpError::Network { message, .. } if message.starts_with(NOT_CONNECTED));
        let safe_to_repeat = request.idempotent || rate_limited || never_connected;
        if attempt >= self.config.max_retries || !safe_to_repeat {
            return None;
        }
        let backoff = self
            .config
            .initial_backoff
            .saturating_mul(1 << attempt.min(16))
            .min(self.config.max_backoff);
        match error {
            HttpError::Matrix(e) if rate_limited => match e.retry_after {
                Some(wait) if wait > self.config.max_retry_after => None,
                Some(wait) => Some(wait),
                None => Some(backoff),
            },
            HttpError::Matrix(MatrixError { status, .. }) | HttpError::UnexpectedResponse { status, .. }
                if matches!(status, 502..=504) =>
            {
                Some(backoff)
            }
            HttpError::Network { .. } => Some(backoff),
            _ => None,
        }
    }

    /// One attempt: the answer when it is a success, else the error it means.
    async fn send_once(&self, request: &Request) -> Result<Answer, HttpError> {
        let exchange = self.exchange(request).await?;
        if !(200..300).contains(&exchange.status) {
            return Err(exchange.error());
        }
        Ok(Answer {
            url_text: exchange.url_text,
            status: exchange.status,
            content_type: exchange.content_type,
            body: exchange.body,
        })
    }

    /// One request and its answer, the body read within its cap.
    async fn exchange(&self, request: &Request) -> Result<Exchange, HttpError> {
        let url_text = redacted_url(&request.url);
        let timeout = request.timeout.unwrap_or(self.config.request_timeout);
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, request.url.clone()).timeout(timeout);
        if let Some(token) = &request.access_token {
            builder = builder.bearer_auth(token.expose());
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        } else if request.method != Method::Get {
            builder = builder.json(&serde_json::json!({}));
        }
        let started = std::time::Instant::now();
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut response = builder
            .send()
            .await
            .map_err(|e| transport_error(&url_text, timeout, e))?;
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let content_type = header(reqwest::header::CONTENT_TYPE);
        // The redirects reqwest follows, which the policy stopped.
        let redirect =
            matches!(status, 301 | 302 | 303 | 307 | 308).then(|| redirect_message(&request.url, &response));
        let limit = request.max_body.unwrap_or(self.config.max_body);
        let body = self.read_body(&mut response, limit, &url_text, timeout).await?;
        tracing::debug!(
            method = ?request.method, path = request.url.path(), status,
            elapsed_ms = started.elapsed().as_millis() as u64, "matrix request"
        );
        Ok(Exchange {
            url_text,
            status,
            retry_after,
            content_type,
            redirect,
            body,
        })
    }

    /// Reads the body chunk by chunk, never more than `limit` bytes: a declared length above it
    /// fails before reading, a body that grows past it stops being read there.
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        limit: usize,
        url_text: &str,
        timeout: Duration,
    ) -> Result<Vec<u8>, HttpError> {
        let too_large = || HttpError::TooLarge {
            url: url_text.to_owned(),
            limit,
        };
        // The header itself, not only hyper's size hint, so that nothing in between can hide it.
        let declared = response
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .or_else(|| response.content_length());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(too_large());
        }
        // A declared length is reserved at once; otherwise the buffer grows with what arrives.
        let mut body = Vec::with_capacity(declared.map_or(0, |length| length as usize));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(url_text, timeout, e))?
        {
            self.received.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if chunk.len() > limit - body.len() {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A successful answer, read within its cap.
#[derive(Debug)]
pub struct Answer {
    url_text: String,
    status: u16,
    /// Its `Content-Type`, if the server sent one.
    pub content_type: Option<String>,
    /// The body's bytes, at most the request's cap.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (an empty object for an empty body).
    pub fn json(self) -> Result<Value, HttpError> {
        if self.body.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(|_| HttpError::UnexpectedResponse {
            url: self.url_text,
            status: self.status,
            message: "the body is not JSON".into(),
        })
    }
}

/// A request's answer, read.
struct Exchange {
    url_text: String,
    status: u16,
    retry_after: Option<Duration>,
    content_type: Option<String>,
    /// Why a 3xx came back instead of being followed.
    redirect: Option<String>,
    body: Vec<u8>,
}

impl Exchange {
    /// The error a non-2xx answer means: the Matrix error it carries, else what it was.
    fn error(self) -> HttpError {
        let body: Option<Value> = serde_json::from_slice(&self.body).ok();
        if let Some(errcode) = body
            .as_ref()
            .and_then(|b| b.get("errcode"))
            .and_then(Value::as_str)
        {
            let body = body.as_ref().expect("checked above");
            return HttpError::Matrix(MatrixError {
                status: self.status,
                errcode: errcode.to_owned(),
                message: body
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                soft_logout: body.get("soft_logout").and_then(Value::as_bool).unwrap_or(false),
                retry_after: self.retry_after.or_else(|| {
                    body.get("retry_after_ms")
                        .and_then(Value::as_u64)
                        .map(Duration::from_millis)
                }),
            });
        }
        let message = match self.redirect {
            Some(redirect) => redirect,
            // One line: an HTML error page's line breaks would spill into logs and reasons.
            None => String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        };
        HttpError::UnexpectedResponse {
            url: self.url_text,
            status: self.status,
            message,
        }
    }
}

/// Why a 3xx came back instead of being followed.
fn redirect_message(requested: &Url, response: &reqwest::Response) -> String {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| response.url().join(v).ok());
    let Some(location) = location else {
        return "a redirect without a usable Location".into();
    };
    // `response.url()` is the last URL requested; the chain before it is not kept by reqwest,
    // but a same-origin target can only have stopped at the redirect limit.
    match redirect_decision(&location, std::slice::from_ref(requested)) {
        Redirect::CrossOrigin => format!(
            "a redirect to another origin ({}), not followed so that the request stays with its server",
            redacted_url(&location)
        ),
        _ => format!("more than {MAX_REDIRECTS} redirects (a loop?), not followed further"),
    }
}

const NOT_CONNECTED: &str = "could not connect";

fn transport_error(url: &str, timeout: Duration, error: reqwest::Error) -> HttpError {
    if error.is_timeout() {
        return HttpError::Timeout {
            url: url.to_owned(),
            timeout,
        };
    }
    let prefix = if error.is_connect() {
        NOT_CONNECTED
    } else {
        "connection failed"
    };
    HttpError::Network {
        url: url.to_owned(),
        message: format!("{prefix}: {}", error_chain(&error.without_url())),
    }
}

/// The error with its causes (reqwest's own message is terse; the cause says what happened).
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.dedup();
    parts.join(": ")
}

/// A URL for messages: scheme, host, port and path; the query (which could carry anything) is
/// left out.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport() -> Transport {
        Transport::new(HttpConfig::default()).unwrap()
    }

    fn matrix(status: u16, retry_after: Option<Duration>) -> HttpError {
        HttpError::Matrix(MatrixError {
            status,
            errcode: "M_X".into(),
            message: String::new(),
            soft_logout: false,
            retry_after,
        })
    }

    #[test]
    fn retries_only_where_safe() {
        let t = transport();
        let url = Url::parse("http://127.0.0.1:1/x").unwrap();
        let get = Request::new(Method::Get, url.clone());
        let post = Request::new(Method::Post, url);
        let network = HttpError::Network {
            url: String::new(),
            message: "connection reset".into(),
        };
        let refused = HttpError::Network {
            url: String::new(),
            message: format!("{NOT_CONNECTED}: refused"),
        };
        assert!(t.retry_delay(&get, &matrix(503, None), 0).is_some());
        assert!(t.retry_delay(&post, &matrix(503, None), 0).is_none());
        assert!(t.retry_delay(&get, &network, 0).is_some());
        assert!(t.retry_delay(&post, &network, 0).is_none());
        assert!(
            t.retry_delay(&post, &refused, 0).is_some(),
            "never sent, so safe to send again"
        );
        assert_eq!(
            t.retry_delay(&post, &matrix(429, Some(Duration::from_secs(1))), 0),
            Some(Duration::from_secs(1))
        );
        assert!(
            t.retry_delay(&get, &matrix(429, Some(Duration::from_secs(60))), 0)
                .is_none()
        );
        assert!(t.retry_delay(&get, &matrix(400, None), 0).is_none());
        assert!(t.retry_delay(&get, &matrix(503, None), 3).is_none());
        let waits: Vec<_> = (0..3)
            .map(|n| t.retry_delay(&get, &matrix(502, None), n).unwrap())
            .collect();
        assert_eq!(
            waits,
            [
                Duration::from_millis(250),
                Duration::from_millis(500),
                Duration::from_secs(1)
            ]
        );
    }

    #[test]
    fn an_answer_too_large_is_not_retried() {
        let t = transport();
        let url = Url::parse("http://127.0.0.1:1/x").unwrap();
        let too_large = HttpError::TooLarge {
            url: url.to_string(),
            limit: EVENT_MAX_BODY,
        };
        // Even for a GET, first attempt: the same request would get the same answer.
        assert!(
            t.retry_delay(&Request::new(Method::Get, url.clone()), &too_large, 0)
                .is_none()
        );
        assert!(
            t.retry_delay(&Request::new(Method::Post, url), &too_large, 0)
                .is_none()
        );
        assert_eq!(
            too_large.to_string(),
            format!("the answer from http://127.0.0.1:1/x is larger than {EVENT_MAX_BODY} bytes")
        );
    }

    #[test]
    fn the_body_cap_is_per_request_with_a_default() {
        let url = Url::parse("https://example.org/_matrix/client/v3/sync").unwrap();
        assert_eq!(HttpConfig::default().max_body, 1024 * 1024);
        assert_eq!(Request::new(Method::Get, url.clone()).max_body, None);
        let request = Request::new(Method::Get, url).max_body(EVENT_MAX_BODY);
        assert_eq!(request.max_body, Some(192 * 1024));
        assert!(format!("{request:?}").contains("max_body: Some(196608)"));
        // The push path's caps: an event is far smaller than a sync or the rules.
        const { assert!(EVENT_MAX_BODY < SYNC_MAX_BODY && SYNC_MAX_BODY <= RULES_MAX_BODY) };
    }

    #[test]
    fn only_same_origin_redirects_are_followed_and_only_a_few() {
        let url = |s: &str| Url::parse(s).unwrap();
        let start = url("https://matrix.example.org/_matrix/client/v3/rooms/r/event/e");
        let same = url("https://matrix.example.org/elsewhere");
        assert_eq!(
            redirect_decision(&same, std::slice::from_ref(&start)),
            Redirect::Follow
        );
        // The default port is the same origin.
        assert_eq!(
            redirect_decision(
                &url("https://matrix.example.org:443/x"),
                std::slice::from_ref(&start)
            ),
            Redirect::Follow
        );
        for other in [
            "http://matrix.example.org/elsewhere",       // scheme
            "https://evil.example.org/elsewhere",        // host
            "https://matrix.example.org:8448/elsewhere", // port
            "https://example.org/elsewhere",             // parent domain
            "data:text/plain,hello",                     // no origin at all
        ] {
            assert_eq!(
                redirect_decision(&url(other), std::slice::from_ref(&start)),
                Redirect::CrossOrigin,
                "{other}"
            );
        }
        // A chain is judged against where the request was first sent, not the last hop.
        let hop = url("https://evil.example.org/a");
        assert_eq!(
            redirect_decision(&url("https://evil.example.org/b"), &[start.clone(), hop]),
            Redirect::CrossOrigin
        );
        // A loop (302 to itself): three redirects are followed, the fourth is not.
        let mut previous = vec![start.clone()];
        let mut followed = 0;
        while redirect_decision(&start, &previous) == Redirect::Follow {
            followed += 1;
            previous.push(start.clone());
            assert!(followed <= 10, "the loop never ends");
        }
        assert_eq!(followed, MAX_REDIRECTS);
        assert_eq!(redirect_decision(&start, &previous), Redirect::TooMany);
        assert_eq!(redirect_decision(&start, &[]), Redirect::CrossOrigin);
    }

    #[test]
    fn a_new_transport_counts_nothing_and_clones_share_the_counters() {
        let t = transport();
        let clone = t.clone();
        t.received.fetch_add(42, Ordering::Relaxed);
        t.sent.fetch_add(1, Ordering::Relaxed);
        assert_eq!((clone.bytes_received(), clone.requests_sent()), (42, 1));
        assert_eq!(transport().bytes_received(), 0);
    }

    #[test]
    fn debug_of_a_request_hides_body_and_token() {
        let request = Request::new(
            Method::Post,
            Url::parse("https://example.org/_matrix/client/v3/login").unwrap(),
        )
        .json(serde_json::json!({"password": "hunter2"}))
        .bearer(Some(Secret::new("syt_token")));
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("syt_token"),
            "{shown}"
        );
    }

    #[test]
    fn urls_in_messages_drop_the_query() {
        let url =
            Url::parse("https://u:p@example.org/_matrix/client/v3/sync?since=s1&access_token=x").unwrap();
        assert_eq!(redacted_url(&url), "https://u@example.org/_matrix/client/v3/sync");
    }
}
