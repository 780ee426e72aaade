//! Signing in: homeserver discovery, login flows, password and token login, the saved session
//! and where it is kept, and [`SessionClient`] — the signed-in connection that sends
//! authenticated requests and refreshes its access token when the server says it expired.
//!
//! Refresh is shared: concurrent requests that hit an expired token wait for one refresh, and two
//! processes sharing one session store (an app and its notification extension) take a
//! cross-process lock and re-read the store first, so a refresh token is never spent twice.

use crate::http::{Answer, HttpError, Method, Request, Transport};
use crate::ids::{UserId, server_name};
use crate::secret::Secret;
use crate::store::{StateStore, StoreError};
use crate::urls::{is_loopback, versions_url, well_known_client_url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// A signed-in device: what is saved, and what restores the sign-in later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The client-server API base URL, e.g. `https://matrix.example.org/`.
    pub homeserver: String,
    /// The signed-in user (`@alice:example.org`); a saved session whose user id is not one reads
    /// as corrupt (no session), like any other damage.
    pub user_id: UserId,
    /// The device this sign-in created (or reused after a soft logout).
    pub device_id: String,
    /// The token every request is authorized with; never shown in logs or `Debug`.
    pub access_token: Secret,
    /// The token that renews `access_token` when it expires; `None` when the server hands out
    /// tokens that do not expire.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// The server ended the session but the device may be kept (`soft_logout`): the tokens are
    /// void, and signing in again reuses the device id (and its data). Saved, so that another
    /// process (an extension) knows without asking the server.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub soft_logged_out: bool,
}

/// Where the session is kept between runs. Implementations save atomically: a reader never sees
/// half a session.
pub trait SessionStore: Send + Sync {
    /// The saved session, or `None` when nothing is saved.
    fn load(&self) -> Result<Option<Session>, StoreError>;
    /// Saves `session`, replacing whatever was saved.
    fn save(&self, session: &Session) -> Result<(), StoreError>;
    /// Removes the saved session (no error if there is none).
    fn clear(&self) -> Result<(), StoreError>;
}

/// The access token of a session that another Matrix SDK in the app owns (the app's own device,
/// with its keys): requests use the app's current token, and after `M_UNKNOWN_TOKEN` the app's
/// SDK hands a fresh one. This crate never refreshes such a session, so the app's SDK stays its
/// only refresher (no second device, no race for a single-use refresh token).
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    /// The app's current access token for the session; `None` once it is signed out.
    fn access_token(&self) -> Option<Secret>;
    /// The homeserver refused `failed` (`M_UNKNOWN_TOKEN`): the token to use now (refreshed by
    /// the app's SDK, or the one it refreshed meanwhile), or `None` when the session has ended.
    async fn refreshed_token(&self, failed: &Secret) -> Option<Secret>;
}

/// Shown every `/sync` answer that comes from a position before that answer's own position is
/// used: the next sync from it acknowledges the answer's to-device messages, and the server
/// deletes them (built-in encryption takes its room keys from them).
#[async_trait::async_trait]
pub trait SyncObserver: Send + Sync {
    /// Takes the answer in; its position is not used when this fails.
    async fn observe(&self, session: &SessionClient, sync: &Value) -> Result<(), SessionError>;
    /// Sends what the observed answers asked for (key uploads, …), within `time_left`: after
    /// the answer has been used, off a push's critical path.
    async fn settle(&self, _session: &SessionClient, _time_left: Duration) {}
}

/// Keeps the session in memory only (tests, short-lived tools).
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    session: Mutex<Option<Session>>,
}

impl SessionStore for MemorySessionStore {
    fn load(&self) -> Result<Option<Session>, StoreError> {
        Ok(lock(&self.session).clone())
    }
    fn save(&self, session: &Session) -> Result<(), StoreError> {
        *lock(&self.session) = Some(session.clone());
        Ok(())
    }
    fn clear(&self) -> Result<(), StoreError> {
        *lock(&self.session) = None;
        Ok(())
    }
}

/// Keeps the session in the platform's secret store through the `keyring` crate: the Keychain
/// on iOS and macOS, the kernel keyring on Linux. One entry holds the whole session as JSON, so a
/// save replaces it at once.
#[derive(Debug, Clone)]
pub struct KeyringSessionStore {
    service: String,
    account: String,
}

impl KeyringSessionStore {
    /// `service` names the app (`io.matrixpush.sample`); `account` tells sessions apart.
    ///
    /// On Linux the secrets live in the kernel's session keyring; a process started outside a
    /// login session (a service, a container) has none, so one is created — and processes this
    /// one starts afterwards share it.
    pub fn new(service: impl Into<String>, account: impl Into<String>) -> KeyringSessionStore {
        #[cfg(target_os = "linux")]
        if let Err(e) =
            linux_keyutils::KeyRing::from_special_id(linux_keyutils::KeyRingIdentifier::Session, true)
        {
            tracing::warn!("no session keyring: {e}");
        }
        KeyringSessionStore {
            service: service.into(),
            account: account.into(),
        }
    }

    fn entry(&self) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(&self.service, &self.account).map_err(|e| self.error(e))
    }

    fn error(&self, error: keyring::Error) -> StoreError {
        StoreError::Io {
            path: format!("keyring {}/{}", self.service, self.account),
            message: error.to_string(),
        }
    }
}

impl SessionStore for KeyringSessionStore {
    fn load(&self) -> Result<Option<Session>, StoreError> {
        match self.entry()?.get_password() {
            Ok(json) => Ok(serde_json::from_str(&json).ok()),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }
    fn save(&self, session: &Session) -> Result<(), StoreError> {
        let json = serde_json::to_string(session).expect("a session serializes");
        self.entry()?.set_password(&json).map_err(|e| self.error(e))
    }
    fn clear(&self) -> Result<(), StoreError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }
}

/// A session the server soft-logged out: kept for its device id, with no usable token. (Before
/// the state was saved explicitly, an empty access token said so.)
fn is_soft_logged_out(session: &Session) -> bool {
    session.soft_logged_out || session.access_token.expose().is_empty()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Why signing in or an authenticated request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A request failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The session or the on-disk state could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The text given as the account's server is neither a user id, a server name nor a URL.
    #[error("{input:?} is not a user id, server name or URL")]
    InvalidServer {
        /// The text as given.
        input: String,
    },
    /// The server found does not answer as a Matrix homeserver.
    #[error("{url} is not a Matrix homeserver: {reason}")]
    NotAMatrixServer {
        /// The URL asked.
        url: String,
        /// What it answered instead.
        reason: String,
    },
    /// No session: sign in (or restore the saved session) first.
    #[error("not signed in")]
    NotSignedIn,
    /// The client runs on a session the app's own Matrix SDK owns (see [`TokenProvider`]):
    /// signing in and out happens there, not here.
    #[error("the app's Matrix SDK owns this session: sign in and out with it")]
    OwnedByApp,
    /// The server ended the session but the device may be kept: sign in again with the same
    /// device (see [`SessionClient::login_password`], which reuses it).
    #[error("the session was logged out by the server; sign in again to keep this device")]
    SoftLoggedOut,
    /// The server ended the session for good; local state tied to it was removed.
    #[error("the session was logged out by the server")]
    LoggedOut,
    /// The server's answer lacks a field it must have (named).
    #[error("the server's answer is missing {0}")]
    MalformedResponse(&'static str),
    /// A [`SyncObserver`] could not take a sync's answer (its position is not used then).
    #[error("a sync answer could not be taken in: {0}")]
    Observer(String),
}

/// How the user names themselves for password login.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum LoginIdentifier {
    /// A full user id (`@alice:example.org`) or just the localpart (`alice`).
    User(#[cfg_attr(feature = "uniffi", uniffi(name = "user"))] String),
    /// An email address bound to the account.
    Email(#[cfg_attr(feature = "uniffi", uniffi(name = "address"))] String),
    /// A phone number with its country (`GB`, `+44…`).
    Phone {
        /// The country the number belongs to, as a two-letter ISO 3166 code (`GB`).
        country: String,
        /// The number, as the user typed it (the server normalises it for `country`).
        number: String,
    },
}

impl LoginIdentifier {
    fn to_json(&self) -> Value {
        match self {
            LoginIdentifier::User(user) => json!({"type": "m.id.user", "user": user}),
            LoginIdentifier::Email(address) => {
                json!({"type": "m.id.thirdparty", "medium": "email", "address": address})
            }
            LoginIdentifier::Phone { country, number } => {
                json!({"type": "m.id.phone", "country": country, "phone": number})
            }
        }
    }
}

/// A login method the server offers (`GET /login`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginFlow {
    /// `m.login.password`, `m.login.token`, `m.login.sso`, …
    pub kind: String,
    /// With `m.login.token`: whether a signed-in device may mint tokens (`POST /login/get_token`).
    pub get_login_token: bool,
}

/// Finds the client-server API for what a user typed: a user id (`@alice:example.org`), a server
/// name (`example.org`, `localhost:8008`) or a URL. Server names go through
/// `/.well-known/matrix/client`; the result is checked with `GET /_matrix/client/versions`.
/// Loopback servers are reached over plain http, everything else over https.
pub async fn discover_homeserver(transport: &Transport, input: &str) -> Result<Url, SessionError> {
    let input = input.trim();
    let invalid = || SessionError::InvalidServer {
        input: input.to_owned(),
    };
    let base = if input.starts_with("https://") || input.starts_with("http://") {
        Url::parse(input).map_err(|_| invalid())?
    } else {
        let server_name = match input.starts_with('@') {
            true => server_name(input).ok_or_else(invalid)?,
            false => input,
        };
        if server_name.is_empty() || server_name.contains(['/', ' ', '@']) {
            return Err(invalid());
        }
        let host = server_name.rsplit_once(':').map_or(server_name, |(host, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                host
            } else {
                server_name
            }
        });
        let scheme = if is_loopback(host) { "http" } else { "https" };
        let origin = Url::parse(&format!("{scheme}://{server_name}/")).map_err(|_| invalid())?;
        well_known_base_url(transport, &origin).await?.unwrap_or(origin)
    };
    validate_homeserver(transport, &base).await?;
    Ok(base)
}

/// The `m.homeserver.base_url` of `/.well-known/matrix/client`, or `None` when the server has
/// no such document.
async fn well_known_base_url(transport: &Transport, origin: &Url) -> Result<Option<Url>, SessionError> {
    let url = well_known_client_url(origin);
    match transport.send(&Request::new(Method::Get, url.clone())).await {
        Ok(document) => {
            let base = document
                .pointer("/m.homeserver/base_url")
                .and_then(Value::as_str)
                .ok_or_else(|| SessionError::NotAMatrixServer {
                    url: url.to_string(),
                    reason: "its .well-known document has no m.homeserver.base_url".into(),
                })?;
            let base = if base.ends_with('/') {
                base.to_owned()
            } else {
                format!("{base}/")
            };
            Url::parse(&base)
                .map(Some)
                .map_err(|e| SessionError::NotAMatrixServer {
                    url: url.to_string(),
                    reason: format!("its .well-known base_url {base:?} is not a URL: {e}"),
                })
        }
        // No usable document (404, an error page, a web site's HTML): use the server name
        // itself; `/versions` then tells whether a Matrix server is there.
        Err(HttpError::Matrix(_) | HttpError::UnexpectedResponse { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Checks that `base` answers `GET /_matrix/client/versions` like a Matrix server.
pub async fn validate_homeserver(transport: &Transport, base: &Url) -> Result<(), SessionError> {
    let url = versions_url(base);
    let not_matrix = |reason: String| SessionError::NotAMatrixServer {
        url: base.to_string(),
        reason,
    };
    match transport.send(&Request::new(Method::Get, url)).await {
        Ok(body) if body.get("versions").is_some_and(Value::is_array) => Ok(()),
        Ok(_) => Err(not_matrix("/versions has no list of versions".into())),
        Err(HttpError::UnexpectedResponse { status, message, .. }) => {
            Err(not_matrix(format!("/versions answered HTTP {status}: {message}")))
        }
        Err(HttpError::Matrix(e)) => Err(not_matrix(format!("/versions answered {e}"))),
        Err(e) => Err(e.into()),
    }
}

/// How long a refresh waits for another process that is refreshing.
const REFRESH_LOCK_TIMEOUT: Duration = Duration::from_secs(15);

/// The signed-in connection to a homeserver.
pub struct SessionClient {
    transport: Transport,
    homeserver: Url,
    store: Arc<dyn SessionStore>,
    /// Folder for the cross-process refresh lock; without one, refresh is only shared within
    /// this process.
    state: Option<StateStore>,
    session: Mutex<Option<Session>>,
    refreshing: tokio::sync::Mutex<()>,
    /// How many refreshes this client made itself (not counting ones it adopted).
    refreshes: std::sync::atomic::AtomicU64,
    device_display_name: Option<String>,
    /// Set when the app's own SDK owns the session: its tokens, never refreshed here.
    app_tokens: Option<Arc<dyn TokenProvider>>,
    sync_observer: Option<Arc<dyn SyncObserver>>,
}

impl std::fmt::Debug for SessionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionClient")
            .field("homeserver", &self.homeserver.as_str())
            .field("session", &*lock(&self.session))
            .finish_non_exhaustive()
    }
}

impl SessionClient {
    /// A client for `homeserver` with no session yet: restore one or sign in. `state`, the on-disk
    /// state shared with the app's other process, gives token refreshes a lock across processes and
    /// is cleared at sign-out (`None`: neither); `device_display_name` names the device a sign-in
    /// creates.
    pub fn new(
        transport: Transport,
        homeserver: Url,
        store: Arc<dyn SessionStore>,
        state: Option<StateStore>,
        device_display_name: Option<String>,
    ) -> SessionClient {
        SessionClient {
            transport,
            homeserver,
            store,
            state,
            session: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            refreshes: Default::default(),
            device_display_name,
            app_tokens: None,
            sync_observer: None,
        }
    }

    /// Shows every `/sync` answer from a position to `observer` (see [`SyncObserver`]).
    pub fn with_sync_observer(mut self, observer: Arc<dyn SyncObserver>) -> SessionClient {
        self.sync_observer = Some(observer);
        self
    }

    /// Shows a `/sync` answer to the observer, if there is one; call before using its position.
    pub async fn observe_sync(&self, sync: &Value) -> Result<(), SessionError> {
        match &self.sync_observer {
            Some(observer) => observer.observe(self, sync).await,
            None => Ok(()),
        }
    }

    /// Whether an observer takes the answers in (then they must carry its to-device messages).
    pub fn has_sync_observer(&self) -> bool {
        self.sync_observer.is_some()
    }

    /// Lets the observer send what the answers it saw asked for (see [`SyncObserver::settle`]).
    pub async fn settle_sync(&self, time_left: Duration) {
        if let Some(observer) = &self.sync_observer {
            observer.settle(self, time_left).await;
        }
    }

    /// Runs on a session the app's own Matrix SDK owns: `user_id` and `device_id` are its
    /// device's, and every request takes its token from `tokens` (see [`TokenProvider`]).
    /// Nothing is saved to the session store.
    pub fn with_app_session(
        mut self,
        user_id: UserId,
        device_id: &str,
        tokens: Arc<dyn TokenProvider>,
    ) -> SessionClient {
        let session = Session {
            homeserver: self.homeserver.to_string(),
            user_id,
            device_id: device_id.to_owned(),
            // Never sent: requests take the provider's token.
            access_token: Secret::new("<owned by the app>"),
            refresh_token: None,
            soft_logged_out: false,
        };
        self.session = Mutex::new(Some(session));
        self.app_tokens = Some(tokens);
        self
    }

    /// The homeserver's client-server API base URL.
    pub fn homeserver(&self) -> &Url {
        &self.homeserver
    }

    /// The transport requests are sent with.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Whether `/sync` may be sent from a position (`since`). Not on the app's own session
    /// ([`TokenProvider`]): an incremental sync acknowledges the device's to-device messages up
    /// to that position, and the server deletes them — room keys the app's SDK has to receive.
    /// There every sync starts from scratch (which acknowledges nothing).
    pub fn may_sync_incrementally(&self) -> bool {
        self.app_tokens.is_none()
    }

    /// How many times this client spent a refresh token itself.
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The current session, if signed in.
    pub fn session(&self) -> Option<Session> {
        lock(&self.session).clone()
    }

    /// The signed-in user's id.
    pub fn user_id(&self) -> Result<UserId, SessionError> {
        self.session().map(|s| s.user_id).ok_or(SessionError::NotSignedIn)
    }

    /// `/_matrix/client/v3/` + `path` (a fixed path; use [`SessionClient::url_of`] for paths
    /// with ids in them).
    pub fn url(&self, path: &str) -> Url {
        crate::urls::client_api_url(&self.homeserver, path)
    }

    /// `/_matrix/client/v3/sync` that never marks the user online (`set_presence=offline`): the
    /// SDK syncs in the background — for a push in the pocket, for the rules — and only the app
    /// the user has open may say they are there.
    pub fn sync_url(&self) -> Url {
        let mut url = self.url("sync");
        url.query_pairs_mut().append_pair("set_presence", "offline");
        url
    }

    /// `/_matrix/client/v3/` + the segments, each percent-encoded (room ids, rule ids, …).
    pub fn url_of(&self, segments: &[&str]) -> Url {
        crate::urls::client_api_url_of(&self.homeserver, segments)
    }

    /// Restores the saved session, if there is one. No request is made: an expired token is
    /// refreshed on first use.
    pub fn restore(&self) -> Result<Option<Session>, SessionError> {
        if self.app_tokens.is_some() {
            return Ok(self.session());
        }
        let session = self.store.load()?;
        *lock(&self.session) = session.clone();
        Ok(session)
    }

    /// The login methods the server offers.
    pub async fn login_flows(&self) -> Result<Vec<LoginFlow>, SessionError> {
        let body = self
            .transport
            .send(&Request::new(Method::Get, self.url("login")))
            .await?;
        let flows = body
            .get("flows")
            .and_then(Value::as_array)
            .ok_or(SessionError::MalformedResponse("flows"))?;
        Ok(flows
            .iter()
            .filter_map(|flow| {
                Some(LoginFlow {
                    kind: flow.get("type")?.as_str()?.to_owned(),
                    get_login_token: flow
                        .get("get_login_token")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
            })
            .collect())
    }

    /// Signs in with a password. After a soft logout the saved device id is reused, so the
    /// device keeps its data.
    pub async fn login_password(
        &self,
        identifier: &LoginIdentifier,
        password: &Secret,
    ) -> Result<Session, SessionError> {
        let body = json!({
            "type": "m.login.password",
            "identifier": identifier.to_json(),
            "password": password.expose(),
        });
        self.login(body).await
    }

    /// Signs in with a login token (`m.login.token`), as SSO and QR sign-in hand out.
    pub async fn login_token(&self, token: &Secret) -> Result<Session, SessionError> {
        self.login(json!({"type": "m.login.token", "token": token.expose()}))
            .await
    }

    async fn login(&self, mut body: Value) -> Result<Session, SessionError> {
        if self.app_tokens.is_some() {
            return Err(SessionError::OwnedByApp);
        }
        body["refresh_token"] = json!(true);
        if let Some(name) = &self.device_display_name {
            body["initial_device_display_name"] = json!(name);
        }
        if let Some(soft_logged_out) = self.session().filter(is_soft_logged_out) {
            body["device_id"] = json!(soft_logged_out.device_id);
        }
        // Not idempotent: a retried login would create a second device.
        let request = Request::new(Method::Post, self.url("login")).json(body);
        let response = self.transport.send(&request).await?;
        let text = |field: &'static str| {
            response
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(SessionError::MalformedResponse(field))
        };
        // Checked here, where it comes in: the rest of the SDK builds URLs and rules from it.
        let user_id = UserId::parse(text("user_id")?)
            .map_err(|_| SessionError::MalformedResponse("user_id (a user id of the spec's shape)"))?;
        let session = Session {
            homeserver: self.homeserver.to_string(),
            user_id,
            device_id: text("device_id")?,
            access_token: Secret::new(text("access_token")?),
            refresh_token: response
                .get("refresh_token")
                .and_then(Value::as_str)
                .map(Secret::from),
            soft_logged_out: false,
        };
        self.store.save(&session)?;
        *lock(&self.session) = Some(session.clone());
        tracing::info!(user_id = %session.user_id, device_id = %session.device_id, "signed in");
        Ok(session)
    }

    /// Asks the server who the token belongs to: `(user_id, device_id)`.
    pub async fn whoami(&self) -> Result<(UserId, Option<String>), SessionError> {
        let body = self.send(Method::Get, "account/whoami", None).await?;
        let user_id = body
            .get("user_id")
            .and_then(Value::as_str)
            .and_then(|id| UserId::parse(id).ok())
            .ok_or(SessionError::MalformedResponse("user_id"))?;
        let device_id = body.get("device_id").and_then(Value::as_str).map(str::to_owned);
        Ok((user_id, device_id))
    }

    /// Signs out: the server deletes the device (and its pushers); the saved session is removed.
    pub async fn logout(&self) -> Result<(), SessionError> {
        if self.app_tokens.is_some() {
            // Logging out would delete the app's own device.
            return Err(SessionError::OwnedByApp);
        }
        let result = self.send(Method::Post, "logout", None).await;
        match result {
            Ok(_) | Err(SessionError::LoggedOut | SessionError::SoftLoggedOut) => {}
            Err(e) => return Err(e),
        }
        self.forget()?;
        Ok(())
    }

    fn forget(&self) -> Result<(), SessionError> {
        *lock(&self.session) = None;
        self.store.clear()?;
        if let Some(state) = &self.state {
            state.clear_account_state()?;
        }
        Ok(())
    }

    /// Sends an authenticated request to `/_matrix/client/v3/{path}`.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, SessionError> {
        let mut request = Request::new(method, self.url(path));
        request.body = body;
        self.send_request(request).await
    }

    /// Sends an authenticated request; on `M_UNKNOWN_TOKEN` refreshes once and sends it again.
    pub async fn send_request(&self, request: Request) -> Result<Value, SessionError> {
        Ok(self.send_request_for_answer(request).await?.json()?)
    }

    /// Like [`SessionClient::send_request`], for an answer that is not JSON (media): the body
    /// and its `Content-Type`.
    pub async fn send_request_for_answer(&self, mut request: Request) -> Result<Answer, SessionError> {
        if let Some(tokens) = &self.app_tokens {
            return self.send_with_app_tokens(tokens.as_ref(), request).await;
        }
        for attempt in 0..2 {
            let session = self.session().ok_or(SessionError::NotSignedIn)?;
            if is_soft_logged_out(&session) {
                return Err(SessionError::SoftLoggedOut);
            }
            request.access_token = Some(session.access_token.clone());
            match self.transport.send_for_answer(&request).await {
                Err(HttpError::Matrix(e)) if e.is("M_UNKNOWN_TOKEN") && attempt == 0 => {
                    self.refresh_after(&session.access_token, e.soft_logout).await?;
                }
                Err(HttpError::Matrix(e)) if e.is("M_UNKNOWN_TOKEN") => {
                    return Err(self.logged_out(e.soft_logout));
                }
                result => return Ok(result?),
            }
        }
        unreachable!("the loop returns on its second pass")
    }

    /// [`SessionClient::send_request_for_answer`] on the app's session: its current token, and
    /// once more with the one its SDK hands after `M_UNKNOWN_TOKEN`.
    async fn send_with_app_tokens(
        &self,
        tokens: &dyn TokenProvider,
        mut request: Request,
    ) -> Result<Answer, SessionError> {
        let mut token = tokens.access_token().ok_or(SessionError::NotSignedIn)?;
        for attempt in 0..2 {
            request.access_token = Some(token.clone());
            match self.transport.send_for_answer(&request).await {
                Err(HttpError::Matrix(e)) if e.is("M_UNKNOWN_TOKEN") && attempt == 0 => {
                    // Requests in parallel (a push sends several) ask the app once between them:
                    // the ones behind the first find its new token.
                    let _one_at_a_time = self.refreshing.lock().await;
                    token = match tokens.access_token() {
                        Some(current) if current != token => current,
                        _ => {
                            tracing::debug!(
                                "the app's access token was refused: asking the app for a fresh one"
                            );
                            tokens
                                .refreshed_token(&token)
                                .await
                                .ok_or(SessionError::LoggedOut)?
                        }
                    };
                }
                Err(HttpError::Matrix(e)) if e.is("M_UNKNOWN_TOKEN") => return Err(SessionError::LoggedOut),
                result => return Ok(result?),
            }
        }
        unreachable!("the loop returns on its second pass")
    }

    /// Replaces the access token that just failed, unless someone already has: another task of
    /// this process (the in-process mutex), or another process (the store lock + a re-read).
    async fn refresh_after(&self, failed: &Secret, soft_logout: bool) -> Result<(), SessionError> {
        let _in_process = self.refreshing.lock().await;
        if self.session().is_some_and(|s| &s.access_token != failed) {
            return Ok(());
        }
        let _across_processes = match &self.state {
            Some(state) => Some(state.lock("session", REFRESH_LOCK_TIMEOUT).await?),
            None => None,
        };
        if let Some(stored) = self.store.load()?
            && &stored.access_token != failed
        {
            tracing::debug!("another process refreshed the session");
            *lock(&self.session) = Some(stored);
            return Ok(());
        }
        let session = self.session().ok_or(SessionError::NotSignedIn)?;
        let Some(refresh_token) = &session.refresh_token else {
            return Err(self.logged_out(soft_logout));
        };
        let request = Request::new(Method::Post, self.url("refresh"))
            .json(json!({"refresh_token": refresh_token.expose()}))
            .idempotent(false);
        let response = match self.transport.send(&request).await {
            Ok(response) => response,
            Err(HttpError::Matrix(e)) if e.is("M_UNKNOWN_TOKEN") || e.is("M_FORBIDDEN") => {
                return Err(self.logged_out(e.soft_logout));
            }
            Err(e) => return Err(e.into()),
        };
        let access_token = response
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or(SessionError::MalformedResponse("access_token"))?;
        let refreshed = Session {
            access_token: Secret::new(access_token),
            refresh_token: response
                .get("refresh_token")
                .and_then(Value::as_str)
                .map(Secret::from)
                .or(session.refresh_token.clone()),
            ..session
        };
        self.store.save(&refreshed)?;
        *lock(&self.session) = Some(refreshed);
        self.refreshes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!("access token refreshed");
        Ok(())
    }

    /// The session is over: a soft logout is saved as such (the device id is reused when
    /// signing in again); a hard one forgets the session.
    fn logged_out(&self, soft_logout: bool) -> SessionError {
        if soft_logout {
            let mut ended = lock(&self.session);
            if let Some(session) = ended.as_mut() {
                session.access_token = Secret::new("");
                session.refresh_token = None;
                session.soft_logged_out = true;
                if let Err(e) = self.store.save(session) {
                    tracing::warn!("cannot save the soft logout: {e}");
                }
            }
            return SessionError::SoftLoggedOut;
        }
        if let Err(e) = self.forget() {
            tracing::warn!("cannot remove the ended session: {e}");
        }
        SessionError::LoggedOut
    }
}

/// Keeps the session as JSON in `session.json` inside a folder (tools, tests, platforms without
/// a keyring). Every save goes to a temporary file unique to that write and is renamed over the
/// old one, so a reader sees the old session or the new; on unix the file is readable by its
/// owner only (mode 0600), from its creation on.
#[derive(Debug, Clone)]
pub struct FileSessionStore {
    dir: std::path::PathBuf,
}

impl FileSessionStore {
    /// The file's name inside the folder.
    pub const FILE_NAME: &'static str = "session.json";

    /// A store in `dir` (created on the first save).
    pub fn new(dir: impl Into<std::path::PathBuf>) -> FileSessionStore {
        FileSessionStore { dir: dir.into() }
    }

    /// The session file's path.
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.join(Self::FILE_NAME)
    }
}

impl SessionStore for FileSessionStore {
    fn load(&self) -> Result<Option<Session>, StoreError> {
        // A corrupt file reads as no session (and is set aside by the store).
        Ok(StateStore::open(&self.dir)?.read(Self::FILE_NAME))
    }

    fn save(&self, session: &Session) -> Result<(), StoreError> {
        StateStore::open(&self.dir)?.write_private(Self::FILE_NAME, session)
    }

    fn clear(&self) -> Result<(), StoreError> {
        StateStore::open(&self.dir)?.remove(Self::FILE_NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_session_hides_the_tokens() {
        let session = Session {
            homeserver: "https://example.org/".into(),
            user_id: UserId::parse("@a:example.org").unwrap(),
            device_id: "DEV".into(),
            access_token: Secret::new("syt_access_secret"),
            refresh_token: Some(Secret::new("syr_refresh_secret")),
            soft_logged_out: false,
        };
        let shown = format!("{session:?}");
        assert!(
            !shown.contains("access_secret") && !shown.contains("refresh_secret"),
            "{shown}"
        );
        assert!(shown.contains("@a:example.org"));
    }

    #[test]
    fn memory_store_round_trips() {
        let store = MemorySessionStore::default();
        assert_eq!(store.load().unwrap(), None);
        let session = Session {
            homeserver: "h".into(),
            user_id: UserId::parse("@u:h").unwrap(),
            device_id: "d".into(),
            access_token: Secret::new("a"),
            refresh_token: None,
            soft_logged_out: false,
        };
        store.save(&session).unwrap();
        assert_eq!(store.load().unwrap(), Some(session));
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
    }
}

#[cfg(test)]
mod file_session_store_tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("matrix-push-session-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn session(token: &str) -> Session {
        Session {
            homeserver: "https://example.org/".into(),
            user_id: UserId::parse("@a:example.org").unwrap(),
            device_id: "DEV".into(),
            access_token: Secret::new(token),
            refresh_token: Some(Secret::new("syr_refresh")),
            soft_logged_out: false,
        }
    }

    #[test]
    fn file_store_round_trips_and_leaves_no_temporary_files() {
        let dir = temp_dir("round-trip");
        let store = FileSessionStore::new(dir.join("nested"));
        assert_eq!(store.load().unwrap(), None);
        store.save(&session("first")).unwrap();
        assert_eq!(store.load().unwrap(), Some(session("first")));
        store.save(&session("second")).unwrap();
        assert_eq!(store.load().unwrap(), Some(session("second")));
        // Another store on the same folder (another process) reads the same session.
        assert_eq!(
            FileSessionStore::new(dir.join("nested")).load().unwrap(),
            Some(session("second"))
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("nested"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name != FileSessionStore::FILE_NAME)
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn file_store_clear_removes_the_file_and_is_idempotent() {
        let store = FileSessionStore::new(temp_dir("clear"));
        store.clear().unwrap();
        store.save(&session("token")).unwrap();
        assert!(store.path().exists());
        store.clear().unwrap();
        assert!(!store.path().exists());
        assert_eq!(store.load().unwrap(), None);
        store.clear().unwrap();
    }

    #[test]
    fn file_store_corrupt_file_reads_as_no_session() {
        let store = FileSessionStore::new(temp_dir("corrupt"));
        store.save(&session("token")).unwrap();
        std::fs::write(store.path(), b"{not json").unwrap();
        assert_eq!(store.load().unwrap(), None);
        // A user id that is not one is damage too: checked as the session is read, so nothing
        // after builds URLs or rules from it.
        let saved = serde_json::to_string(&session("token")).unwrap();
        std::fs::write(store.path(), saved.replace("@a:example.org", "alice")).unwrap();
        assert_eq!(store.load().unwrap(), None);
        std::fs::write(store.path(), saved).unwrap();
        assert_eq!(
            store.load().unwrap(),
            Some(session("token")),
            "the same, undamaged"
        );
    }

    #[cfg(unix)]
    #[test]
    fn file_store_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let store = FileSessionStore::new(temp_dir("permissions"));
        store.save(&session("token")).unwrap();
        let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        store.save(&session("again")).unwrap();
        let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
}
