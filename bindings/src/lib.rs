//! matrix-push-ffi: the uniffi layer over the `matrix-push` core, for Kotlin (package
//! `io.matrixpush`) and Swift (module `MatrixPush`).
//!
//! Everything here is a thin wrapper: a [`Client`] object whose async methods run on a small
//! tokio runtime owned by this crate, free functions for restoring a saved client
//! ([`restore_client`]), payload decoding, routing a push to its account ([`route_push`]) and
//! rule evaluation, foreign traits the app implements ([`SessionStore`], [`MatrixPushLogger`],
//! [`EventDecryptor`], [`PushRulesListener`]), and one error type, [`MatrixPushError`], that
//! Kotlin sees as a sealed exception class and Swift as an `Error` enum. The records mirror the
//! core's types field for field; they exist because uniffi exports one crate as one Kotlin
//! package / Swift module. Two names keep clear of platform types an app imports anyway:
//! `PushNotification` (the core's `Notification`; Foundation has one) and `MatrixPushLogger`
//! (`os.Logger`).
//!
//! No panic crosses the boundary: uniffi turns a panic into an exception, and every input from
//! the app goes through the core's typed parsers first.

mod convert;
mod logging;

pub use convert::*;
pub use logging::{LogLevel, MatrixPushLogger, set_logger};

use matrix_push::client::{BuildError, RestoreError};
use matrix_push::http::HttpError;
use matrix_push::payload;
use matrix_push::pushers::PusherError;
use matrix_push::rules::{CompiledRuleset, PushContext, PushRules};
use matrix_push::session::SessionError;
use matrix_push::sync::SyncError;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

uniffi::setup_scaffolding!("matrix_push");

/// The runtime every async call runs on. Two worker threads: pushes resolve with a few parallel
/// requests that are network-bound, so more threads buy nothing but memory (each thread's stack
/// counts against an iOS extension's budget), and two keep one request's JSON parsing from
/// stalling another's I/O.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("matrix-push")
            .thread_stack_size(512 * 1024)
            .enable_all()
            .build()
            .expect("the tokio runtime starts")
    })
}

/// Runs a future on the crate's runtime (uniffi polls it from the foreign side; the work itself
/// needs tokio's reactor and timers).
async fn on_runtime<T: Send + 'static>(future: impl std::future::Future<Output = T> + Send + 'static) -> T {
    match runtime().spawn(future).await {
        Ok(value) => value,
        Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
    }
}

/// Every error the library reports. (Text fields are called `detail`: Kotlin exceptions already
/// have a `message`, and uniffi would declare it twice.)
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum MatrixPushError {
    /// The homeserver said no: `errcode` is `M_FORBIDDEN`, `M_LIMIT_EXCEEDED`, …
    #[error("{errcode} ({status}): {detail}")]
    Matrix {
        errcode: String,
        detail: String,
        status: u16,
        soft_logout: bool,
        retry_after_ms: Option<u64>,
    },
    /// The server could not be reached, or the connection broke.
    #[error("network: {detail}")]
    Network { detail: String },
    #[error("timed out: {detail}")]
    Timeout { detail: String },
    #[error("not a Matrix homeserver: {detail}")]
    NotAMatrixServer { detail: String },
    #[error("not signed in")]
    NotSignedIn,
    /// Sign in again: the device (and its data) is kept.
    #[error("the session was logged out by the server; sign in again to keep this device")]
    SoftLoggedOut,
    /// The session ended for good; its saved state was removed.
    #[error("the session was logged out by the server")]
    LoggedOut,
    /// Something the app passed in is not valid (a pusher, a rule id, a server name, JSON).
    #[error("invalid input: {detail}")]
    InvalidInput { detail: String },
    /// A push payload that cannot be used.
    #[error("invalid payload: {detail}")]
    InvalidPayload { detail: String },
    #[error("storage: {detail}")]
    Storage { detail: String },
    #[error("unexpected answer from the server: {detail}")]
    UnexpectedResponse { detail: String },
}

impl From<HttpError> for MatrixPushError {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Matrix(e) => MatrixPushError::Matrix {
                errcode: e.errcode,
                detail: e.message,
                status: e.status,
                soft_logout: e.soft_logout,
                retry_after_ms: e.retry_after.map(|d| d.as_millis() as u64),
            },
            HttpError::Network { .. } => MatrixPushError::Network {
                detail: error.to_string(),
            },
            HttpError::Timeout { .. } => MatrixPushError::Timeout {
                detail: error.to_string(),
            },
            HttpError::UnexpectedResponse { .. } => MatrixPushError::UnexpectedResponse {
                detail: error.to_string(),
            },
            HttpError::InvalidUrl(detail) => MatrixPushError::InvalidInput { detail },
            HttpError::TooLarge { .. } => MatrixPushError::UnexpectedResponse {
                detail: error.to_string(),
            },
        }
    }
}

impl From<SessionError> for MatrixPushError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Http(e) => e.into(),
            SessionError::Store(e) => MatrixPushError::Storage {
                detail: e.to_string(),
            },
            SessionError::InvalidServer { .. } => MatrixPushError::InvalidInput {
                detail: error.to_string(),
            },
            SessionError::NotAMatrixServer { .. } => MatrixPushError::NotAMatrixServer {
                detail: error.to_string(),
            },
            SessionError::NotSignedIn => MatrixPushError::NotSignedIn,
            SessionError::SoftLoggedOut => MatrixPushError::SoftLoggedOut,
            SessionError::LoggedOut => MatrixPushError::LoggedOut,
            SessionError::MalformedResponse(_) => MatrixPushError::UnexpectedResponse {
                detail: error.to_string(),
            },
        }
    }
}

impl From<PusherError> for MatrixPushError {
    fn from(error: PusherError) -> Self {
        match error {
            PusherError::Session(e) => e.into(),
            other => MatrixPushError::InvalidInput {
                detail: other.to_string(),
            },
        }
    }
}

impl From<SyncError> for MatrixPushError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Session(e) => e.into(),
            SyncError::Store(e) => MatrixPushError::Storage {
                detail: e.to_string(),
            },
            SyncError::InvalidRules(e) => MatrixPushError::UnexpectedResponse {
                detail: e.to_string(),
            },
            SyncError::InvalidRuleId { .. } => MatrixPushError::InvalidInput {
                detail: error.to_string(),
            },
        }
    }
}

impl From<RestoreError> for MatrixPushError {
    fn from(error: RestoreError) -> Self {
        match error {
            RestoreError::Session(e) => e.into(),
            // A damaged saved session is a storage problem for the app: it signs in again.
            RestoreError::Store(_) | RestoreError::InvalidSavedHomeserver(_) => MatrixPushError::Storage {
                detail: error.to_string(),
            },
            RestoreError::Build(BuildError::Store(_)) => MatrixPushError::Storage {
                detail: error.to_string(),
            },
            RestoreError::Build(e) => invalid(e),
        }
    }
}

impl From<payload::PayloadError> for MatrixPushError {
    fn from(error: payload::PayloadError) -> Self {
        MatrixPushError::InvalidPayload {
            detail: error.to_string(),
        }
    }
}

fn invalid(detail: impl std::fmt::Display) -> MatrixPushError {
    MatrixPushError::InvalidInput {
        detail: detail.to_string(),
    }
}

/// Where the app keeps the session (Keychain, EncryptedSharedPreferences). The session is an
/// opaque JSON string holding the access and refresh tokens: store it as a secret.
#[uniffi::export(with_foreign)]
pub trait SessionStore: Send + Sync {
    fn load(&self) -> Option<String>;
    fn save(&self, session: String);
    fn clear(&self);
}

/// Decrypts an encrypted event for a notification: the event as JSON in, the decrypted event
/// (cleartext `type` and `content`) out, or null.
#[uniffi::export(with_foreign)]
pub trait EventDecryptor: Send + Sync {
    fn decrypt(&self, room_id: String, event_json: String) -> Option<String>;
}

/// Told about every new push-rule set while a sync runs.
#[uniffi::export(with_foreign)]
pub trait PushRulesListener: Send + Sync {
    /// `keywords` are the user's keywords in the new rules; `rules_json` the whole ruleset.
    fn on_rules_changed(&self, keywords: Vec<String>, rules_json: String);
}

/// Adapts the app's store to the core's.
struct ForeignSessionStore(Arc<dyn SessionStore>);

impl matrix_push::session::SessionStore for ForeignSessionStore {
    fn load(&self) -> Result<Option<matrix_push::session::Session>, matrix_push::store::StoreError> {
        Ok(self.0.load().and_then(|json| serde_json::from_str(&json).ok()))
    }
    fn save(&self, session: &matrix_push::session::Session) -> Result<(), matrix_push::store::StoreError> {
        self.0
            .save(serde_json::to_string(session).expect("a session serializes"));
        Ok(())
    }
    fn clear(&self) -> Result<(), matrix_push::store::StoreError> {
        self.0.clear();
        Ok(())
    }
}

struct ForeignDecryptor(Arc<dyn EventDecryptor>);

impl matrix_push::notify::EventDecryptor for ForeignDecryptor {
    fn decrypt(&self, room_id: &str, event: &serde_json::Value) -> Option<serde_json::Value> {
        let clear = self.0.decrypt(room_id.to_owned(), event.to_string())?;
        serde_json::from_str(&clear).ok()
    }
}

/// A running push-rule sync; stops when cancelled or dropped.
#[derive(uniffi::Object)]
pub struct SyncTask {
    handle: tokio::task::JoinHandle<()>,
}

#[uniffi::export]
impl SyncTask {
    pub fn cancel(&self) {
        self.handle.abort();
    }

    pub fn is_running(&self) -> bool {
        !self.handle.is_finished()
    }
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// One Matrix account: sign-in, pushers, push rules, and handling pushes.
#[derive(uniffi::Object)]
pub struct Client {
    inner: Arc<matrix_push::Client>,
}

impl Client {
    fn wrap(inner: matrix_push::Client) -> Arc<Client> {
        Arc::new(Client {
            inner: Arc::new(inner),
        })
    }
}

/// The builder options `Client(…)` and `restoreClient(…)` share.
fn with_options(
    builder: matrix_push::ClientBuilder,
    store_dir: String,
    device_display_name: Option<String>,
    event_decryptor: Option<Arc<dyn EventDecryptor>>,
) -> matrix_push::ClientBuilder {
    let mut builder = builder.store_dir(store_dir);
    if let Some(name) = device_display_name {
        builder = builder.device_display_name(name);
    }
    if let Some(decryptor) = event_decryptor {
        builder = builder.event_decryptor(Arc::new(ForeignDecryptor(decryptor)));
    }
    builder
}

/// The client for the account saved in `session_store`, signed in again without a request;
/// null when nothing is saved (then sign in with `Client(…)`). The homeserver is the one the
/// saved session names, so the app need not keep it. Throws `Storage` when the store cannot be
/// read or the saved session is damaged (its homeserver is no http(s) URL): sign in again.
/// (A free function, not a constructor: uniffi constructors cannot return null.)
#[uniffi::export]
pub fn restore_client(
    store_dir: String,
    session_store: Arc<dyn SessionStore>,
    device_display_name: Option<String>,
    event_decryptor: Option<Arc<dyn EventDecryptor>>,
) -> Result<Option<Arc<Client>>, MatrixPushError> {
    let builder = matrix_push::ClientBuilder::for_saved_session(Arc::new(ForeignSessionStore(session_store)));
    let builder = with_options(builder, store_dir, device_display_name, event_decryptor);
    Ok(builder.restore()?.map(Client::wrap))
}

#[uniffi::export]
impl Client {
    /// A client for the homeserver at `homeserver_url`, keeping its state in `store_dir` (shared
    /// with the notification extension) and its session in `session_store` (in memory when null).
    #[uniffi::constructor]
    pub fn new(
        homeserver_url: String,
        store_dir: String,
        session_store: Option<Arc<dyn SessionStore>>,
        device_display_name: Option<String>,
        event_decryptor: Option<Arc<dyn EventDecryptor>>,
    ) -> Result<Arc<Client>, MatrixPushError> {
        let url =
            url::Url::parse(&homeserver_url).map_err(|e| invalid(format!("{homeserver_url:?}: {e}")))?;
        let mut builder = matrix_push::Client::builder(url);
        if let Some(store) = session_store {
            builder = builder.session_store(Arc::new(ForeignSessionStore(store)));
        }
        let builder = with_options(builder, store_dir, device_display_name, event_decryptor);
        Ok(Client::wrap(builder.build().map_err(invalid)?))
    }

    /// Restores the saved session; null when there is none. No request is made.
    pub fn restore_session(&self) -> Result<Option<SessionInfo>, MatrixPushError> {
        Ok(self.inner.restore_session()?.map(SessionInfo::from))
    }

    pub fn session(&self) -> Option<SessionInfo> {
        self.inner.session().map(SessionInfo::from)
    }

    /// The push rules saved by the last sync, as JSON (what the push path evaluates with).
    pub fn stored_push_rules_json(&self) -> Option<String> {
        self.inner
            .stored_push_rules()
            .map(|rules| rules.to_value().to_string())
    }

    /// Starts keeping the push rules in sync (`poll_timeout_ms` long-polls); `listener` hears of
    /// every new ruleset. Stop it with `cancel()`.
    pub fn start_push_rules_sync(
        &self,
        poll_timeout_ms: u64,
        listener: Arc<dyn PushRulesListener>,
    ) -> Arc<SyncTask> {
        let client = self.inner.clone();
        let handle = runtime().spawn(async move {
            let error = client
                .run_push_rules_sync(Duration::from_millis(poll_timeout_ms), |rules| {
                    let keywords = matrix_push::settings::keywords(&rules.global);
                    listener.on_rules_changed(keywords, rules.to_value().to_string());
                })
                .await;
            tracing::warn!("push-rule sync stopped: {error}");
        });
        Arc::new(SyncTask { handle })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Client {
    pub async fn login_password(
        &self,
        identifier: LoginIdentifier,
        password: String,
    ) -> Result<SessionInfo, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move {
            let password = matrix_push::secret::Secret::new(password);
            Ok(client.login_password(&identifier.into(), &password).await?.into())
        })
        .await
    }

    pub async fn login_token(&self, token: String) -> Result<SessionInfo, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.login_token(&token.into()).await?.into()) }).await
    }

    pub async fn whoami(&self) -> Result<String, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.whoami().await?.0) }).await
    }

    pub async fn logout(&self) -> Result<(), MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.logout().await?) }).await
    }

    pub async fn ensure_pusher(&self, pusher: Pusher) -> Result<EnsureOutcome, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.ensure_pusher(&pusher.try_into()?).await?.into()) }).await
    }

    pub async fn pushers(&self) -> Result<Vec<Pusher>, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.pushers().await?.into_iter().map(Pusher::from).collect()) }).await
    }

    pub async fn remove_pusher(&self, app_id: String, pushkey: String) -> Result<(), MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.remove_pusher(&app_id, &pushkey).await?) }).await
    }

    pub async fn rotate_pusher(&self, old_pushkey: String, pusher: Pusher) -> Result<(), MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.rotate_pusher(&old_pushkey, &pusher.try_into()?).await?) }).await
    }

    /// Fetches the push rules (and saves them); returns the user's keywords.
    pub async fn fetch_push_rules(&self) -> Result<Vec<String>, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move {
            Ok(matrix_push::settings::keywords(
                &client.fetch_push_rules().await?.global,
            ))
        })
        .await
    }

    pub async fn add_keyword(&self, keyword: String) -> Result<(), MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.add_keyword(&keyword).await?) }).await
    }

    pub async fn remove_keyword(&self, keyword: String) -> Result<(), MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.remove_keyword(&keyword).await?) }).await
    }

    pub async fn keywords(&self) -> Result<Vec<String>, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.keywords().await?) }).await
    }

    pub async fn room_mode(&self, room_id: String) -> Result<Option<RoomNotificationMode>, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.room_mode(&room_id).await?.map(Into::into)) }).await
    }

    /// Every joined room with its display name, DM flag, member count and own mode, sorted by
    /// name (invites are left out): one `/sync`, and the modes from the stored rules (fetched in
    /// parallel only when none are stored).
    pub async fn rooms(&self) -> Result<Vec<RoomSummary>, MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.rooms().await?.into_iter().map(RoomSummary::from).collect()) })
            .await
    }

    pub async fn set_room_mode(
        &self,
        room_id: String,
        mode: RoomNotificationMode,
    ) -> Result<(), MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.set_room_mode(&room_id, mode.into()).await?) }).await
    }

    pub async fn mute_sender(&self, user_id: String, muted: bool) -> Result<(), MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.mute_sender(&user_id, muted).await?) }).await
    }

    pub async fn set_rule_enabled(
        &self,
        kind: RuleKind,
        rule_id: String,
        enabled: bool,
    ) -> Result<(), MatrixPushError> {
        let client = self.inner.clone();
        on_runtime(async move { Ok(client.set_rule_enabled(kind.into(), &rule_id, enabled).await?) }).await
    }

    /// Resolves a push into what to show, within `deadline_ms`. Never fails: what cannot be
    /// resolved in time is a `Fallback`.
    pub async fn handle_push(&self, payload: PushPayload, deadline_ms: u64) -> Outcome {
        let client = self.inner.clone();
        on_runtime(async move {
            let payload = payload.into();
            client
                .handle_push(&payload, Duration::from_millis(deadline_ms))
                .await
                .into()
        })
        .await
    }
}

/// Finds the homeserver for a user id (`@alice:example.org`), server name or URL, through
/// `.well-known` and `/versions`; returns its base URL.
#[uniffi::export(async_runtime = "tokio")]
pub async fn discover_homeserver(user_or_server: String) -> Result<String, MatrixPushError> {
    on_runtime(async move {
        let transport = matrix_push::http::Transport::new(Default::default())?;
        Ok(
            matrix_push::session::discover_homeserver(&transport, &user_or_server)
                .await?
                .to_string(),
        )
    })
    .await
}

/// Decodes an FCM data message (`RemoteMessage.getData()`), v1 or legacy.
#[uniffi::export]
pub fn decode_fcm(data: HashMap<String, String>) -> Result<PushPayload, MatrixPushError> {
    Ok(payload::decode_string_map(payload::Provider::Fcm, &data)?.into())
}

/// Decodes an APNs payload (`userInfo` as JSON).
#[uniffi::export]
pub fn decode_apns(user_info_json: String) -> Result<PushPayload, MatrixPushError> {
    Ok(payload::decode_json(payload::Provider::Apns, &user_info_json)?.into())
}

/// Decodes a UnifiedPush message body.
#[uniffi::export]
pub fn decode_unified_push(body: String) -> Result<PushPayload, MatrixPushError> {
    Ok(payload::decode_json(payload::Provider::UnifiedPush, &body)?.into())
}

/// Decodes a Push Gateway request body (`{"notification": {…}}`).
#[uniffi::export]
pub fn decode_gateway(body: String) -> Result<PushPayload, MatrixPushError> {
    Ok(payload::decode_json(payload::Provider::Gateway, &body)?.into())
}

/// The account a push is for, among the phone's signed-in accounts; null when that cannot be
/// told. Matches the push's `cs` routing token (from the pusher's `default_payload`) to
/// `AccountRoute.secret`, then a lone account, then the pushkey or app id a Gateway or
/// UnifiedPush push carries (the core's `payload::route` documents every rule).
#[uniffi::export]
pub fn route_push(payload: PushPayload, routes: Vec<AccountRoute>) -> Option<AccountRoute> {
    let payload = payload.into();
    let routes: Vec<payload::AccountRoute> = routes.into_iter().map(Into::into).collect();
    payload::route(&payload, &routes).cloned().map(Into::into)
}

fn compile(rules_json: &str) -> Result<CompiledRuleset, MatrixPushError> {
    let rules = PushRules::from_json(rules_json).map_err(invalid)?;
    Ok(CompiledRuleset::new(rules.global))
}

fn parse_event(event_json: &str) -> Result<serde_json::Value, MatrixPushError> {
    serde_json::from_str(event_json).map_err(|e| invalid(format!("event: {e}")))
}

/// Evaluates push rules (`GET /pushrules/` JSON) against an event (JSON) for a context.
#[uniffi::export]
pub fn evaluate_push_rules(
    rules_json: String,
    event_json: String,
    context: RuleContext,
) -> Result<Evaluation, MatrixPushError> {
    let context: PushContext = context.try_into()?;
    Ok(compile(&rules_json)?
        .evaluate(&parse_event(&event_json)?, &context)
        .into())
}

/// Explains an evaluation, rule by rule: readable text, or JSON when `as_json`.
#[uniffi::export]
pub fn explain_push_rules(
    rules_json: String,
    event_json: String,
    context: RuleContext,
    as_json: bool,
) -> Result<String, MatrixPushError> {
    let context: PushContext = context.try_into()?;
    let explanation = compile(&rules_json)?.explain(&parse_event(&event_json)?, &context);
    Ok(if as_json {
        serde_json::to_string(&explanation).map_err(invalid)?
    } else {
        explanation.to_string()
    })
}

/// The version of the matrix-push library the bindings were built from.
#[uniffi::export]
pub fn matrix_push_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The app's session store, as a foreign implementation would be.
    #[derive(Default)]
    struct SavedJson(std::sync::Mutex<Option<String>>);

    impl SessionStore for SavedJson {
        fn load(&self) -> Option<String> {
            self.0.lock().unwrap().clone()
        }
        fn save(&self, session: String) {
            *self.0.lock().unwrap() = Some(session);
        }
        fn clear(&self) {
            *self.0.lock().unwrap() = None;
        }
    }

    fn saved(homeserver: &str) -> Arc<SavedJson> {
        let json = serde_json::json!({"homeserver": homeserver, "user_id": "@a:example.org",
            "device_id": "DEV", "access_token": "syt_secret"});
        Arc::new(SavedJson(std::sync::Mutex::new(Some(json.to_string()))))
    }

    #[test]
    fn restore_client_reads_the_homeserver_from_the_saved_session() {
        let dir = std::env::temp_dir()
            .join(format!("matrix-push-ffi-restore-{}", std::process::id()))
            .to_string_lossy()
            .into_owned();
        let restore = |store: Arc<SavedJson>| restore_client(dir.clone(), store, None, None);
        assert!(matches!(restore(Arc::new(SavedJson::default())), Ok(None)));
        let garbage = Arc::new(SavedJson(std::sync::Mutex::new(Some("{not json".into()))));
        assert!(
            matches!(restore(garbage), Ok(None)),
            "unreadable JSON is no session"
        );
        let client = restore(saved("https://example.org/"))
            .unwrap()
            .expect("a restored client");
        let session = client.session().expect("signed in");
        assert_eq!(
            (session.homeserver.as_str(), session.user_id.as_str()),
            ("https://example.org/", "@a:example.org")
        );
        for damaged in ["not a url", "mailto:a@b"] {
            assert!(
                matches!(restore(saved(damaged)), Err(MatrixPushError::Storage { .. })),
                "{damaged}"
            );
        }
    }

    #[test]
    fn route_push_picks_the_account_by_its_secret() {
        let push = |extra: &str| PushPayload {
            event_id: Some("$e".into()),
            extra_json: extra.into(),
            ..PushPayload::default()
        };
        let alice = AccountRoute {
            account: "@alice:x".into(),
            secret: Some("s-alice".into()),
            ..AccountRoute::default()
        };
        let bob = AccountRoute {
            account: "@bob:x".into(),
            secret: Some("s-bob".into()),
            ..AccountRoute::default()
        };
        let both = vec![alice.clone(), bob.clone()];
        assert_eq!(route_push(push(r#"{"cs": "s-bob"}"#), both.clone()), Some(bob));
        assert_eq!(
            route_push(push("{}"), both.clone()),
            None,
            "two accounts, no secret"
        );
        assert_eq!(route_push(push("{}"), vec![alice.clone()]), Some(alice.clone()));
        assert_eq!(route_push(push(r#"{"cs": "gone"}"#), vec![alice]), None);
        assert_eq!(
            route_push(push("not json"), both),
            None,
            "hostile extra is no secret"
        );
    }

    #[test]
    fn version_is_the_crate_version() {
        assert_eq!(matrix_push_version(), env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        assert!(matches!(
            decode_apns("not json".into()),
            Err(MatrixPushError::InvalidPayload { .. })
        ));
        assert!(matches!(
            decode_gateway("{\"notification\": 5}".into()),
            Err(MatrixPushError::InvalidPayload { .. })
        ));
        let deep = "[".repeat(100_000);
        assert!(decode_apns(deep.clone()).is_err());
        let cx = RuleContext {
            user_id: "@a:x".into(),
            ..RuleContext::default()
        };
        assert!(evaluate_push_rules(deep.clone(), "{}".into(), cx.clone()).is_err());
        assert!(evaluate_push_rules("{}".into(), deep, cx.clone()).is_err());
        let bad_context = RuleContext {
            power_levels_json: Some("nope".into()),
            ..cx
        };
        assert!(evaluate_push_rules("{}".into(), "{}".into(), bad_context).is_err());
        assert!(matches!(
            Client::new("not a url".into(), "/tmp".into(), None, None, None),
            Err(MatrixPushError::InvalidInput { .. })
        ));
        assert!(matches!(
            Client::new("mailto:a@b".into(), "/tmp".into(), None, None, None),
            Err(MatrixPushError::InvalidInput { .. })
        ));
    }
}
