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
//! Nothing secret is logged: requests are traced by method and path only (tokens travel in the
//! `Authorization` header, never in the query), bodies never.

use crate::secret::Secret;
use serde_json::Value;
use std::time::Duration;
use url::Url;

/// Tunables of the transport.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Upper bound for one request, start to finish.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest server-requested wait (`Retry-After`) the transport sleeps through itself.
    pub max_retry_after: Duration,
    pub user_agent: String,
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
        }
    }
}

/// An error response from a Matrix server (`{"errcode", "error"}`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{errcode} ({status}): {message}")]
pub struct MatrixError {
    pub status: u16,
    /// `M_FORBIDDEN`, `M_UNKNOWN_TOKEN`, `M_LIMIT_EXCEEDED`, … (`M_UNKNOWN` when the body had none).
    pub errcode: String,
    pub message: String,
    /// With `M_UNKNOWN_TOKEN`: the device and its data can be kept; log in again.
    pub soft_logout: bool,
    /// How long the server asks to wait (the `Retry-After` header, else `retry_after_ms`).
    pub retry_after: Option<Duration>,
}

impl MatrixError {
    pub fn is(&self, errcode: &str) -> bool {
        self.errcode == errcode
    }
}

/// Why a request failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Matrix(#[from] MatrixError),
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach {url}: {message}")]
    Network { url: String, message: String },
    #[error("no answer from {url} within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    /// An answer that is not the JSON the API promises (a web page, a proxy error, …).
    #[error("unexpected answer from {url} (HTTP {status}): {message}")]
    UnexpectedResponse {
        url: String,
        status: u16,
        message: String,
    },
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
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
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// One request to send. Its `Debug` shows neither the body (logins carry passwords) nor the
/// token.
#[derive(Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub body: Option<Value>,
    pub access_token: Option<Secret>,
    /// Safe to send twice (GET, PUT and DELETE are; a POST only when the endpoint says so).
    pub idempotent: bool,
    /// Overrides [`HttpConfig::request_timeout`] (long-polling `/sync`).
    pub timeout: Option<Duration>,
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
            .finish()
    }
}

impl Request {
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            body: None,
            access_token: None,
            idempotent: method != Method::Post,
            timeout: None,
        }
    }

    pub fn json(mut self, body: Value) -> Request {
        self.body = Some(body);
        self
    }

    pub fn bearer(mut self, token: Option<Secret>) -> Request {
        self.access_token = token;
        self
    }

    pub fn idempotent(mut self, idempotent: bool) -> Request {
        self.idempotent = idempotent;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Request {
        self.timeout = Some(timeout);
        self
    }
}

/// Sends requests to Matrix servers.
#[derive(Clone, Debug)]
pub struct Transport {
    client: reqwest::Client,
    config: HttpConfig,
    /// HTTP requests sent (each attempt counts), for tests and benchmarks.
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Transport {
    pub fn new(config: HttpConfig) -> Result<Transport, HttpError> {
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| HttpError::Network {
                url: String::new(),
                message: format!("cannot set up HTTP: {e}"),
            })?;
        Ok(Transport {
            client,
            config,
            sent: Default::default(),
        })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// How many HTTP requests this transport has sent (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sends a request, retrying as the module documentation says; returns the JSON body (an
    /// empty object for an empty body).
    pub async fn send(&self, request: &Request) -> Result<Value, HttpError> {
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

    async fn send_once(&self, request: &Request) -> Result<Value, HttpError> {
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
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(&url_text, timeout, e))?;
        let status = response.status().as_u16();
        let retry_after_header = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport_error(&url_text, timeout, e))?;
        tracing::debug!(
            method = ?request.method, path = request.url.path(), status,
            elapsed_ms = started.elapsed().as_millis() as u64, "matrix request"
        );
        let body: Option<Value> = if bytes.is_empty() {
            Some(Value::Object(Default::default()))
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        if (200..300).contains(&status) {
            return body.ok_or_else(|| HttpError::UnexpectedResponse {
                url: url_text,
                status,
                message: "the body is not JSON".into(),
            });
        }
        match body
            .as_ref()
            .and_then(|b| b.get("errcode"))
            .and_then(Value::as_str)
        {
            Some(errcode) => {
                let body = body.as_ref().expect("checked above");
                Err(HttpError::Matrix(MatrixError {
                    status,
                    errcode: errcode.to_owned(),
                    message: body
                        .get("error")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    soft_logout: body.get("soft_logout").and_then(Value::as_bool).unwrap_or(false),
                    retry_after: retry_after_header.or_else(|| {
                        body.get("retry_after_ms")
                            .and_then(Value::as_u64)
                            .map(Duration::from_millis)
                    }),
                }))
            }
            None => Err(HttpError::UnexpectedResponse {
                url: url_text,
                status,
                message: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
            }),
        }
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
