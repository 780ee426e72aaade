//! matrix-push-ffi: the uniffi layer over the `matrix-push` core, for Kotlin (package
//! `io.matrixpush`) and Swift (module `MatrixPush`); where it sits among the crates: the
//! repository's `ARCHITECTURE.md`.
//!
//! Everything here is a thin wrapper: a [`Client`] object whose async methods run on a small
//! tokio runtime owned by this crate, free functions for restoring a saved client
//! ([`restore_client`]), payload decoding, routing a push to its account ([`route_push`]) and
//! rule evaluation, foreign traits the app implements ([`SessionStore`], [`MatrixPushLogger`],
//! [`EventDecryptor`], [`PushRulesListener`]), and one error type, [`MatrixPushError`], that
//! Kotlin sees as a sealed exception class and Swift as an `Error` enum.
//!
//! The records and enums are the core's own where Kotlin and Swift can take them as they are
//! (its `uniffi` feature derives them: `Outcome`, `PushNotification`, `NotificationKind`,
//! `SuppressReason`, `FallbackNotification`, `RoomSummary`, `RoomNotificationMode`, `RuleKind`,
//! `ReceiptVisibility`, `RuleContext` (the core's `PushContext`), `PowerLevels`,
//! `EnsureOutcome`, `LoginIdentifier`, `AccountRoute`, `Provider`, `Priority`), so they cannot
//! drift from it. uniffi generates them in a second namespace, `matrix_push_core`: the Kotlin
//! package `io.matrixpush.core`, and the same Swift module `MatrixPush`. Only records whose
//! shape must differ are mirrored here (the `convert` module: JSON as text, rule actions with
//! their uninterpreted values as text, the session without tokens).
//! The core's typed ids (`UserId`, `RoomId`, `EventId`) cross as uniffi custom types: Kotlin
//! and Swift see type aliases of `String`, and an id coming back from them is checked as it
//! crosses. The `Client` methods that address a room, an event or a user take text and check it
//! here, before any request (`InvalidInput` naming the id and what is wrong), because the core's
//! methods take them typed.
//! Two names keep clear of platform types an app imports anyway: `PushNotification` (the core's
//! `Notification`; Foundation has one) and `MatrixPushLogger` (`os.Logger`).
//!
//! **Enums may grow.** `Outcome`, `SuppressReason`, `NotificationKind`, `UndecryptableReason`,
//! `RuleKind`, [`PushAction`], `Provider` and [`MatrixPushError`] may get new cases in minor
//! versions (in Rust they are `#[non_exhaustive]`, as are the Rust-only `Condition`, `Action`,
//! `Tweak`, `RuleOutcome`, `MediaError` and `GatewayUrlProblem`). uniffi 0.32 generates them as plain
//! Kotlin sealed classes and Swift enums, so a `when` or `switch` that names every case stops
//! compiling when one is added. Decide per match: an `else` / `default` branch where a generic
//! answer is right (a notification's category, a hint), or every case by name where a new one
//! must be looked at before shipping (the Android sample's outcome mapping, the Swift
//! `PushResponse`). In Swift write `default`, not `@unknown default`: the generated enums are
//! not resilient, so Swift 6 still requires every known case by name beside an
//! `@unknown default` (and a `default` beside every case warns that it never runs).
//!
//! No panic crosses the boundary: uniffi turns a panic into an exception, and every input from
//! the app goes through the core's typed parsers first.

mod convert;
mod logging;

pub use convert::*;
pub use logging::{LogLevel, MatrixPushLogger, set_logger};
pub use matrix_push::actions::ReceiptVisibility;
pub use matrix_push::media::Thumbnail;
pub use matrix_push::notify::{
    FallbackNotification, Notification as PushNotification, NotificationKind, Outcome, RoomSummary,
    SuppressReason,
};
pub use matrix_push::payload::{AccountRoute, Priority, Provider};
pub use matrix_push::pushers::EnsureOutcome;
pub use matrix_push::rules::RuleKind;
pub use matrix_push::session::LoginIdentifier;
pub use matrix_push::settings::RoomNotificationMode;

use matrix_push::actions::ActionError;
use matrix_push::client::{BuildError, RestoreError};
use matrix_push::decryption::Recovery;
use matrix_push::http::HttpError;
use matrix_push::ids::{EventId, IdError, RoomId, UserId};
use matrix_push::payload;
use matrix_push::pushers::PusherError;
use matrix_push::rules::{CompiledRuleset, PushContext, PushRules};
use matrix_push::session::SessionError;
use matrix_push::settings::SettingsError;
use matrix_push::store::StoreError;
use matrix_push::sync::SyncError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

uniffi::setup_scaffolding!("matrix_push");

/// The one runtime every async call runs on. The async methods are exported without uniffi's
/// `async_runtime = "tokio"`: that wraps each future in `async-compat`, whose fallback runtime
/// this crate cannot size (default thread count and 2 MiB stacks). Here the foreign side polls
/// a plain future that awaits a task spawned on this runtime (a `JoinHandle` needs no tokio
/// context to be polled), so an iOS notification extension's memory budget is set in one
/// place: two worker threads. Pushes resolve with a few parallel requests that are
/// network-bound, so more threads buy nothing but memory, and two keep one request's JSON
/// parsing from stalling another's I/O. A stack is address space, resident only as far as it is
/// touched: 2 MiB (tokio's default; decrypting an Olm message with built-in encryption overflows
/// 512 KiB in a debug build), 8 MiB in debug builds, whose frames are many times larger.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("matrix-push")
            .thread_stack_size(if cfg!(debug_assertions) { 8 << 20 } else { 2 << 20 })
            .enable_all()
            .build()
            .expect("the tokio runtime starts")
    })
}

/// Runs a future on [`runtime`] and waits for it from whatever polls the caller (uniffi's
/// foreign executor). A panic in the task resumes here, where uniffi turns it into an exception.
async fn on_runtime<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> T {
    match runtime().spawn(future).await {
        Ok(value) => value,
        Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
    }
}

/// Every error the library reports. New cases may be added in minor versions. (Text fields are
/// called `detail`: Kotlin exceptions already have a `message`, and uniffi would declare it
/// twice.)
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum MatrixPushError {
    /// The homeserver said no: `errcode` is `M_FORBIDDEN`, `M_LIMIT_EXCEEDED`, …
    #[error("{errcode} ({status}): {detail}")]
    Matrix {
        /// The Matrix error code, `M_FORBIDDEN`, …
        errcode: String,
        /// The server's error message.
        detail: String,
        /// The HTTP status.
        status: u16,
        /// With `M_UNKNOWN_TOKEN`: the device is kept, sign in again.
        soft_logout: bool,
        /// With `M_LIMIT_EXCEEDED`: when to try again.
        retry_after_ms: Option<u64>,
    },
    /// The server could not be reached, or the connection broke.
    #[error("network: {detail}")]
    Network {
        /// What went wrong.
        detail: String,
    },
    /// The server did not answer in time.
    #[error("timed out: {detail}")]
    Timeout {
        /// What timed out.
        detail: String,
    },
    /// The address answers, but not as a Matrix homeserver.
    #[error("not a Matrix homeserver: {detail}")]
    NotAMatrixServer {
        /// Why not.
        detail: String,
    },
    /// The call needs a signed-in session.
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
    InvalidInput {
        /// What is wrong with it.
        detail: String,
    },
    /// A push payload that cannot be used.
    #[error("invalid payload: {detail}")]
    InvalidPayload {
        /// What is wrong with it.
        detail: String,
    },
    /// The store folder or the saved session cannot be read or written (for a saved session:
    /// sign in again).
    #[error("storage: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
    /// The server answered something this library cannot use.
    #[error("unexpected answer from the server: {detail}")]
    UnexpectedResponse {
        /// What was wrong with it.
        detail: String,
    },
    /// `recover`: the recovery key does not open the account's secret storage, or the account
    /// has none (recovery is set up on another client first).
    #[error("recovery: {detail}")]
    RecoveryKeyRejected {
        /// Which of the two.
        detail: String,
    },
}

// One `From` per error source of the core; the wrapping errors defer to the ones they wrap, so
// each source maps the same whichever call it came through. The core's error enums are
// `#[non_exhaustive]`: a case added there lands in the `_` arm with its message until it gets
// its own mapping.

impl From<HttpError> for MatrixPushError {
    fn from(error: HttpError) -> Self {
        let detail = error.to_string();
        match error {
            HttpError::Matrix(e) => MatrixPushError::Matrix {
                errcode: e.errcode,
                detail: e.message,
                status: e.status,
                soft_logout: e.soft_logout,
                retry_after_ms: e.retry_after.map(|d| d.as_millis() as u64),
            },
            HttpError::Network { .. } => MatrixPushError::Network { detail },
            HttpError::Timeout { .. } => MatrixPushError::Timeout { detail },
            HttpError::InvalidUrl(detail) => MatrixPushError::InvalidInput { detail },
            HttpError::UnexpectedResponse { .. } | HttpError::TooLarge { .. } => {
                MatrixPushError::UnexpectedResponse { detail }
            }
            _ => MatrixPushError::UnexpectedResponse { detail },
        }
    }
}

impl From<ActionError> for MatrixPushError {
    fn from(error: ActionError) -> Self {
        match error {
            ActionError::Session(e) => e.into(),
            other => invalid(other.to_string()),
        }
    }
}

impl From<StoreError> for MatrixPushError {
    fn from(error: StoreError) -> Self {
        MatrixPushError::Storage {
            detail: error.to_string(),
        }
    }
}

impl From<SessionError> for MatrixPushError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Http(e) => e.into(),
            SessionError::Store(e) => e.into(),
            SessionError::InvalidServer { .. } => invalid(error),
            SessionError::NotAMatrixServer { .. } => MatrixPushError::NotAMatrixServer {
                detail: error.to_string(),
            },
            SessionError::NotSignedIn => MatrixPushError::NotSignedIn,
            SessionError::SoftLoggedOut => MatrixPushError::SoftLoggedOut,
            SessionError::LoggedOut => MatrixPushError::LoggedOut,
            // Signing in or out on a client that runs on the app's own session.
            SessionError::OwnedByApp => invalid(error),
            SessionError::MalformedResponse(_) => MatrixPushError::UnexpectedResponse {
                detail: error.to_string(),
            },
            _ => MatrixPushError::UnexpectedResponse {
                detail: error.to_string(),
            },
        }
    }
}

impl From<PusherError> for MatrixPushError {
    fn from(error: PusherError) -> Self {
        match error {
            PusherError::Session(e) => e.into(),
            // The pushkey, app id or gateway URL the app passed.
            other => invalid(other),
        }
    }
}

impl From<SyncError> for MatrixPushError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Session(e) => e.into(),
            SyncError::Store(e) => e.into(),
            // The server's rules (the app's rules JSON goes through `From<ParseError>`).
            SyncError::InvalidRules(e) => MatrixPushError::UnexpectedResponse {
                detail: e.to_string(),
            },
            _ => MatrixPushError::UnexpectedResponse {
                detail: error.to_string(),
            },
        }
    }
}

impl From<SettingsError> for MatrixPushError {
    fn from(error: SettingsError) -> Self {
        match error {
            SettingsError::Session(e) => e.into(),
            SettingsError::Rules(e) => e.into(),
            // A rule id, room id or user id the app passed.
            SettingsError::InvalidRuleId { .. } => invalid(error),
            _ => MatrixPushError::UnexpectedResponse {
                detail: error.to_string(),
            },
        }
    }
}

impl From<BuildError> for MatrixPushError {
    fn from(error: BuildError) -> Self {
        match error {
            BuildError::Http(e) => e.into(),
            BuildError::Store(e) => e.into(),
            // No store folder, a homeserver that is no http(s) URL, built-in encryption on the
            // app's session (`EncryptionOnAppSession`; `forAppSession` takes no `encryption`, so
            // only a future option could ask for it): the app's options.
            other => invalid(other),
        }
    }
}

impl From<RestoreError> for MatrixPushError {
    fn from(error: RestoreError) -> Self {
        match error {
            RestoreError::Session(e) => e.into(),
            RestoreError::Build(e) => e.into(),
            // A damaged saved session is a storage problem for the app: it signs in again.
            RestoreError::Store(_) | RestoreError::InvalidSavedHomeserver(_) => MatrixPushError::Storage {
                detail: error.to_string(),
            },
            _ => MatrixPushError::Storage {
                detail: error.to_string(),
            },
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

#[cfg(feature = "e2ee")]
impl From<matrix_push::crypto::CryptoError> for MatrixPushError {
    fn from(error: matrix_push::crypto::CryptoError) -> Self {
        use matrix_push::crypto::CryptoError;
        match error {
            CryptoError::Session(e) => e.into(),
            CryptoError::Store(_) => MatrixPushError::Storage {
                detail: error.to_string(),
            },
            CryptoError::NoSecretStorage | CryptoError::WrongRecoveryKey => {
                MatrixPushError::RecoveryKeyRejected {
                    detail: error.to_string(),
                }
            }
            CryptoError::Off | CryptoError::Id(_) => invalid(error),
            _ => MatrixPushError::UnexpectedResponse {
                detail: error.to_string(),
            },
        }
    }
}

/// A room, event or user id the app passed that is not one: checked as it crosses, so the core
/// takes ids typed.
impl From<IdError> for MatrixPushError {
    fn from(error: IdError) -> Self {
        invalid(error)
    }
}

/// Push rules the app passed in (`evaluatePushRules`, `explainPushRules`).
impl From<matrix_push::rules::ParseError> for MatrixPushError {
    fn from(error: matrix_push::rules::ParseError) -> Self {
        invalid(error)
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
    /// The saved session, or null when there is none.
    fn load(&self) -> Option<String>;
    /// Saves the session, replacing the one before (atomically: a reader never sees half).
    fn save(&self, session: String);
    /// Removes the saved session.
    fn clear(&self);
}

/// Decrypts an encrypted event for a notification with the app's own crypto (the Matrix SDK the
/// app is built on, which owns the device and its keys): the event as JSON in, the decrypted
/// event (cleartext `type` and `content`) out, or null. A `suspend` function in Kotlin, `async`
/// in Swift: it may fetch a missing key, within `time_left_ms` (what remains of the push's
/// deadline; past it the notification says "Encrypted message").
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait EventDecryptor: Send + Sync {
    /// The decrypted event as JSON, or null when it cannot be decrypted.
    async fn decrypt(&self, room_id: String, event_json: String, time_left_ms: u64) -> Option<String>;
}

/// The access token of the session the app's own Matrix SDK owns (for `Client.forAppSession`):
/// matrix-push never refreshes it, so that SDK stays the session's only refresher.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    /// The app's current access token; null once the app is signed out.
    fn access_token(&self) -> Option<String>;
    /// The homeserver refused `failed_token` (`M_UNKNOWN_TOKEN`): the token to use now,
    /// refreshed by the app's SDK (or the one it refreshed meanwhile); null when the session has
    /// ended. A `suspend` function in Kotlin, `async` in Swift.
    async fn refreshed_access_token(&self, failed_token: String) -> Option<String>;
}

/// Adapts the app's token provider to the core's.
struct ForeignTokenProvider(Arc<dyn TokenProvider>);

#[async_trait::async_trait]
impl matrix_push::session::TokenProvider for ForeignTokenProvider {
    fn access_token(&self) -> Option<matrix_push::secret::Secret> {
        self.0.access_token().map(matrix_push::secret::Secret::new)
    }
    async fn refreshed_token(
        &self,
        failed: &matrix_push::secret::Secret,
    ) -> Option<matrix_push::secret::Secret> {
        let fresh = self.0.refreshed_access_token(failed.expose().to_owned()).await?;
        Some(matrix_push::secret::Secret::new(fresh))
    }
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
    fn load(&self) -> Result<Option<matrix_push::session::Session>, StoreError> {
        Ok(self.0.load().and_then(|json| serde_json::from_str(&json).ok()))
    }
    fn save(&self, session: &matrix_push::session::Session) -> Result<(), StoreError> {
        self.0
            .save(serde_json::to_string(session).expect("a session serializes"));
        Ok(())
    }
    fn clear(&self) -> Result<(), StoreError> {
        self.0.clear();
        Ok(())
    }
}

struct ForeignDecryptor(Arc<dyn EventDecryptor>);

#[async_trait::async_trait]
impl matrix_push::notify::EventDecryptor for ForeignDecryptor {
    async fn decrypt(
        &self,
        room_id: &str,
        event: &serde_json::Value,
        time_left: Duration,
    ) -> Option<serde_json::Value> {
        let time_left_ms = u64::try_from(time_left.as_millis()).unwrap_or(u64::MAX);
        let clear = self
            .0
            .decrypt(room_id.to_owned(), event.to_string(), time_left_ms)
            .await?;
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
    /// Stops the sync (the listener hears of no more rulesets). Cancelling twice is harmless.
    pub fn cancel(&self) {
        self.handle.abort();
    }

    /// Whether the sync still runs: false once cancelled, or once it stopped for good (signed
    /// out: the session ended, see the log).
    pub fn is_running(&self) -> bool {
        !self.handle.is_finished()
    }
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// One Matrix account: sign-in, pushers, push rules, and handling pushes. Closing it (`close()`
/// in Kotlin, the last reference in Swift) first finishes what its last push left to do (the
/// store write, the crypto's requests; within that push's deadline).
#[derive(uniffi::Object)]
pub struct Client {
    /// The core client; `None` only once `Drop` has taken it to drop it on the runtime.
    inner: Option<Arc<matrix_push::Client>>,
    /// What the last push left to do (its store write, then the crypto's requests), running
    /// after its outcome went back to the app; the next push waits for it (see `handle_push`).
    store_write: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Closing a client (`close()` in Kotlin, the last reference in Swift) finishes what its last
/// push left to do — the store write, the crypto's requests, bounded by that push's deadline —
/// so that nothing writes to the store folder after it (an app removing the folder at sign-out,
/// a test's temporary folder). Dropped on the runtime's own threads, it cannot wait: the work
/// goes on there.
///
/// The core client is dropped inside the crate's runtime, whichever thread closes it (the app's,
/// a garbage collector's). Its crypto store hands each connection's close to the runtime it is
/// dropped in (deadpool's `spawn_blocking`): entered here, that is this one, so the core never
/// starts a runtime of its own for it (its fallback for Rust programs dropping a client outside
/// any runtime). The connections then close on this runtime's blocking threads, moments after.
impl Drop for Client {
    fn drop(&mut self) {
        let pending = self
            .store_write
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(pending) = pending
            && tokio::runtime::Handle::try_current().is_err()
        {
            let _ = runtime().block_on(pending);
        }
        let _entered = runtime().enter();
        drop(self.inner.take());
    }
}

impl Client {
    fn wrap(inner: matrix_push::Client) -> Arc<Client> {
        Arc::new(Client {
            inner: Some(Arc::new(inner)),
            store_write: std::sync::Mutex::new(None),
        })
    }

    /// Runs `call` with the core client on the crate's runtime (see [`runtime`]).
    async fn run<T, F>(&self, call: impl FnOnce(Arc<matrix_push::Client>) -> F) -> T
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        on_runtime(call(self.core().clone())).await
    }

    /// The core client (taken only by `Drop`, so always there before).
    fn core(&self) -> &Arc<matrix_push::Client> {
        self.inner
            .as_ref()
            .expect("the core client is taken only when the client is dropped")
    }
}

/// The builder options `Client(…)` and `restoreClient(…)` share.
fn with_options(
    builder: matrix_push::ClientBuilder,
    store_dir: String,
    device_display_name: Option<String>,
    event_decryptor: Option<Arc<dyn EventDecryptor>>,
    encryption: bool,
) -> Result<matrix_push::ClientBuilder, MatrixPushError> {
    let mut builder = builder.store_dir(store_dir);
    if let Some(name) = device_display_name {
        builder = builder.device_display_name(name);
    }
    if let Some(decryptor) = event_decryptor {
        builder = builder.event_decryptor(Arc::new(ForeignDecryptor(decryptor)));
    }
    #[cfg(feature = "e2ee")]
    {
        builder = builder.encryption(encryption);
    }
    #[cfg(not(feature = "e2ee"))]
    if encryption {
        return Err(invalid(
            "this build of the library has no built-in encryption (cargo feature e2ee)",
        ));
    }
    Ok(builder)
}

/// The client for the account saved in `session_store`, signed in again without a request;
/// null when nothing is saved (then sign in with `Client(…)`). The homeserver is the one the
/// saved session names, so the app need not keep it. Throws `Storage` when the store cannot be
/// read or the saved session is damaged (its homeserver is no http(s) URL): sign in again.
/// (A free function, not a constructor: uniffi constructors cannot return null.)
/// `encryption`: as for `Client(…)`.
#[uniffi::export(default(encryption = false))]
pub fn restore_client(
    store_dir: String,
    session_store: Arc<dyn SessionStore>,
    device_display_name: Option<String>,
    event_decryptor: Option<Arc<dyn EventDecryptor>>,
    encryption: bool,
) -> Result<Option<Arc<Client>>, MatrixPushError> {
    let builder = matrix_push::ClientBuilder::for_saved_session(Arc::new(ForeignSessionStore(session_store)));
    let builder = with_options(
        builder,
        store_dir,
        device_display_name,
        event_decryptor,
        encryption,
    )?;
    Ok(builder.restore()?.map(Client::wrap))
}

#[uniffi::export]
impl Client {
    /// A client for the homeserver at `homeserver_url`, keeping its state in `store_dir` (shared
    /// with the notification extension) and its session in `session_store` (in memory when null).
    /// With `encryption`, the built-in end-to-end encryption: this device becomes a full E2EE
    /// device (its keys uploaded at sign-in, room keys taken from every sync; its crypto store
    /// in `store_dir`, shared with the extension) and encrypted pushes show their cleartext —
    /// in a library built with the `e2ee` feature (else `InvalidInput`).
    /// Throws `InvalidInput` for a URL that is not http(s), `Storage` when the store folder
    /// cannot be opened.
    #[uniffi::constructor(default(encryption = false))]
    pub fn new(
        homeserver_url: String,
        store_dir: String,
        session_store: Option<Arc<dyn SessionStore>>,
        device_display_name: Option<String>,
        event_decryptor: Option<Arc<dyn EventDecryptor>>,
        encryption: bool,
    ) -> Result<Arc<Client>, MatrixPushError> {
        let url =
            url::Url::parse(&homeserver_url).map_err(|e| invalid(format!("{homeserver_url:?}: {e}")))?;
        let mut builder = matrix_push::Client::builder(url);
        if let Some(store) = session_store {
            builder = builder.session_store(Arc::new(ForeignSessionStore(store)));
        }
        let builder = with_options(
            builder,
            store_dir,
            device_display_name,
            event_decryptor,
            encryption,
        )?;
        Ok(Client::wrap(builder.build()?))
    }

    /// A client on the session of the app's own Matrix SDK (its user id, device id and tokens)
    /// instead of a device of its own: no second device in the user's list, no refresh race, and
    /// with `event_decryptor` on the same SDK, encrypted pushes show their cleartext. Signed in as
    /// built; `loginPassword`/`logout` throw `InvalidInput` (the app's SDK signs in and out).
    /// Throws `InvalidInput` for a homeserver URL or user id that is not one, `Storage` when the
    /// store folder cannot be opened.
    #[uniffi::constructor]
    pub fn for_app_session(
        homeserver_url: String,
        user_id: String,
        device_id: String,
        token_provider: Arc<dyn TokenProvider>,
        store_dir: String,
        event_decryptor: Option<Arc<dyn EventDecryptor>>,
    ) -> Result<Arc<Client>, MatrixPushError> {
        let url =
            url::Url::parse(&homeserver_url).map_err(|e| invalid(format!("{homeserver_url:?}: {e}")))?;
        let builder = matrix_push::Client::builder(url).app_session(
            UserId::parse(user_id)?,
            &device_id,
            Arc::new(ForeignTokenProvider(token_provider)),
        );
        let builder = with_options(builder, store_dir, None, event_decryptor, false)?;
        Ok(Client::wrap(builder.build()?))
    }

    /// Restores the saved session; null when there is none. No request is made.
    pub fn restore_session(&self) -> Result<Option<SessionInfo>, MatrixPushError> {
        Ok(self.core().restore_session()?.map(SessionInfo::from))
    }

    /// Who is signed in; null when nobody is.
    pub fn session(&self) -> Option<SessionInfo> {
        self.core().session().map(SessionInfo::from)
    }

    /// The push rules saved by the last sync, as JSON (what the push path evaluates with).
    pub fn stored_push_rules_json(&self) -> Option<String> {
        self.core()
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
        let client = self.core().clone();
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

    /// Signs in with a password and saves the session. Signing in again after a soft logout
    /// keeps the device.
    pub async fn login_password(
        &self,
        identifier: LoginIdentifier,
        password: String,
    ) -> Result<SessionInfo, MatrixPushError> {
        self.run(|client| async move {
            let password = matrix_push::secret::Secret::new(password);
            Ok(client.login_password(&identifier, &password).await?.into())
        })
        .await
    }

    /// Signs in with an `m.login.token` (from SSO or a QR code) and saves the session.
    pub async fn login_token(&self, token: String) -> Result<SessionInfo, MatrixPushError> {
        self.run(|client| async move { Ok(client.login_token(&token.into()).await?.into()) })
            .await
    }

    /// Asks the homeserver who the session belongs to; returns the user id.
    pub async fn whoami(&self) -> Result<String, MatrixPushError> {
        self.run(|client| async move { Ok(client.whoami().await?.0.into()) })
            .await
    }

    /// Signs out: the server ends the session and the saved session is removed.
    pub async fn logout(&self) -> Result<(), MatrixPushError> {
        self.run(|client| async move { Ok(client.logout().await?) }).await
    }

    /// Sets the pusher only when the server lacks it or has it with other values; call it on
    /// every start. Throws `InvalidInput` (before any request) for a pusher the spec or the
    /// homeserver would refuse, or JSON fields that do not parse.
    pub async fn ensure_pusher(&self, pusher: Pusher) -> Result<EnsureOutcome, MatrixPushError> {
        let pusher = pusher.try_into()?;
        self.run(|client| async move { Ok(client.ensure_pusher(&pusher).await?) })
            .await
    }

    /// This user's HTTP pushers, with every `data` field (pass one back to `ensurePusher` as it
    /// is, and nothing changes).
    pub async fn pushers(&self) -> Result<Vec<Pusher>, MatrixPushError> {
        self.run(|client| async move { Ok(client.pushers().await?.into_iter().map(Pusher::from).collect()) })
            .await
    }

    /// Removes the pusher with this app id and pushkey (nothing happens when there is none).
    pub async fn remove_pusher(&self, app_id: String, pushkey: String) -> Result<(), MatrixPushError> {
        self.run(|client| async move { Ok(client.remove_pusher(&app_id, &pushkey).await?) })
            .await
    }

    /// Moves to a new FCM/APNs token, registration kind or transport: sets `pusher`, then
    /// removes the one with `old_app_id` and `old_pushkey` (the old app id differs when the kind
    /// changed, e.g. an FCM token → a Firebase installation id, or FCM → UnifiedPush).
    pub async fn rotate_pusher(
        &self,
        old_app_id: String,
        old_pushkey: String,
        pusher: Pusher,
    ) -> Result<(), MatrixPushError> {
        let pusher = pusher.try_into()?;
        self.run(|client| async move { Ok(client.rotate_pusher(&old_app_id, &old_pushkey, &pusher).await?) })
            .await
    }

    /// Fetches the push rules (and saves them); returns the user's keywords.
    pub async fn fetch_push_rules(&self) -> Result<Vec<String>, MatrixPushError> {
        self.run(|client| async move {
            Ok(matrix_push::settings::keywords(
                &client.fetch_push_rules().await?.global,
            ))
        })
        .await
    }

    /// Adds a keyword (a content rule that notifies with a highlight; `*` and `?` are globs).
    pub async fn add_keyword(&self, keyword: String) -> Result<(), MatrixPushError> {
        self.run(|client| async move { Ok(client.add_keyword(&keyword).await?) })
            .await
    }

    /// Removes a keyword (nothing happens when there is none).
    pub async fn remove_keyword(&self, keyword: String) -> Result<(), MatrixPushError> {
        self.run(|client| async move { Ok(client.remove_keyword(&keyword).await?) })
            .await
    }

    /// The user's keywords, from the server's current rules.
    pub async fn keywords(&self) -> Result<Vec<String>, MatrixPushError> {
        self.run(|client| async move { Ok(client.keywords().await?) })
            .await
    }

    /// The room's own notification mode; null when the account's defaults apply.
    pub async fn room_mode(&self, room_id: String) -> Result<Option<RoomNotificationMode>, MatrixPushError> {
        let room = RoomId::parse(room_id)?;
        self.run(|client| async move { Ok(client.room_mode(&room).await?) })
            .await
    }

    /// Every joined room with its display name, DM flag, member count and own mode, sorted by
    /// name (invites are left out): one `/sync`, and the modes from the stored rules (fetched in
    /// parallel only when none are stored).
    pub async fn rooms(&self) -> Result<Vec<RoomSummary>, MatrixPushError> {
        self.run(|client| async move { Ok(client.rooms().await?) }).await
    }

    /// Sets how a room notifies, as Element clients do (`ALL_MESSAGES` removes the room's own
    /// rules).
    pub async fn set_room_mode(
        &self,
        room_id: String,
        mode: RoomNotificationMode,
    ) -> Result<(), MatrixPushError> {
        let room = RoomId::parse(room_id)?;
        self.run(|client| async move { Ok(client.set_room_mode(&room, mode).await?) })
            .await
    }

    /// Mutes (`muted`) or unmutes a sender: a sender rule with no actions.
    pub async fn mute_sender(&self, user_id: String, muted: bool) -> Result<(), MatrixPushError> {
        let user = UserId::parse(user_id)?;
        self.run(|client| async move { Ok(client.mute_sender(&user, muted).await?) })
            .await
    }

    /// Enables or disables a rule, e.g. `.m.rule.master` (override) to silence everything.
    pub async fn set_rule_enabled(
        &self,
        kind: RuleKind,
        rule_id: String,
        enabled: bool,
    ) -> Result<(), MatrixPushError> {
        self.run(|client| async move { Ok(client.set_rule_enabled(kind, &rule_id, enabled).await?) })
            .await
    }

    /// Marks `room_id` read up to `event_id` — what a notification's "Mark as read" does: the
    /// read receipt (`m.read.private` with `Private`, which only the user's devices see)
    /// and the fully-read marker, in one request. The server's unread counts, and so the badge
    /// on every device, drop.
    pub async fn mark_read(
        &self,
        room_id: String,
        event_id: String,
        visibility: ReceiptVisibility,
    ) -> Result<(), MatrixPushError> {
        let (room, event) = (RoomId::parse(room_id)?, EventId::parse(event_id)?);
        self.run(|client| async move { Ok(client.mark_read(&room, &event, visibility).await?) })
            .await
    }

    /// Accepts the invite to `room_id` (joins it): an invite notification's "Accept".
    pub async fn accept_invite(&self, room_id: String) -> Result<(), MatrixPushError> {
        let room = RoomId::parse(room_id)?;
        self.run(|client| async move { Ok(client.accept_invite(&room).await?) })
            .await
    }

    /// Declines the invite to `room_id` (leaves it): an invite notification's "Decline".
    pub async fn decline_invite(&self, room_id: String) -> Result<(), MatrixPushError> {
        let room = RoomId::parse(room_id)?;
        self.run(|client| async move { Ok(client.decline_invite(&room).await?) })
            .await
    }

    /// Recovers the account's encryption on this device with the user's recovery key (as
    /// another client shows it, or its passphrase): imports the cross-signing keys from secret
    /// storage and signs this device with them — so senders that share keys only with verified
    /// devices share with it — and takes the key-backup key, so a room key this device missed
    /// is read from the server-side backup when a push needs it. Needs a client built with
    /// `encryption = true`. Throws `RecoveryKeyRejected` for a wrong key or an account without
    /// secret storage. The key is not logged or kept: only what it opens is stored.
    pub async fn recover(&self, recovery_key: String) -> Result<Recovery, MatrixPushError> {
        #[cfg(feature = "e2ee")]
        {
            let key = matrix_push::secret::Secret::new(recovery_key);
            self.run(|client| async move { Ok(client.recover(&key).await?) })
                .await
        }
        #[cfg(not(feature = "e2ee"))]
        {
            drop(recovery_key);
            Err(invalid(
                "this build of the library has no built-in encryption (cargo feature e2ee)",
            ))
        }
    }

    /// A small thumbnail of the avatar at `mxc` (a notification's `senderAvatarUrl`) for the
    /// notification's person icon: from the cache the app and its extension share, else from
    /// the server within `deadlineMs` (give it what is left of the push's deadline; 0 asks the
    /// cache only, at once). Null when it cannot be had in time: show the notification without
    /// it.
    pub async fn avatar(&self, mxc: String, deadline_ms: u64) -> Option<Thumbnail> {
        self.run(|client| async move {
            match client.avatar(&mxc, Duration::from_millis(deadline_ms)).await {
                Ok(thumbnail) => Some(thumbnail),
                Err(e) => {
                    tracing::info!("no avatar for the notification: {e}");
                    None
                }
            }
        })
        .await
    }

    /// Resolves a push into what to show, within `deadline_ms`. Resolving never fails: what
    /// cannot be resolved in time is a `Fallback`. It returns as soon as the outcome is decided:
    /// what the push brought (the room, the account's position) is stored right after, and the
    /// device's crypto requests it asked for are sent, on the library's own threads, within the
    /// deadline; the next push waits for that. Throws only `InvalidInput` for
    /// a payload record whose JSON fields (`contentJson`, `extraJson`) do not parse (the
    /// decoders never make one).
    pub async fn handle_push(
        &self,
        payload: PushPayload,
        deadline_ms: u64,
    ) -> Result<Outcome, MatrixPushError> {
        let payload = payload.try_into()?;
        // The outcome goes back as soon as it is decided; what the push brought is stored
        // meanwhile, on the runtime (and the crypto's requests sent), and the next push waits
        // for it so that it builds on it.
        let previous = self.store_write.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (outcome, store_write) = self
            .run(|client| async move {
                if let Some(previous) = previous {
                    let _ = previous.await;
                }
                let (outcome, store_write) = client
                    .handle_push_deferred(&payload, Duration::from_millis(deadline_ms))
                    .await;
                let after =
                    store_write.map(|write| tokio::spawn(async move { client.after_push(write).await }));
                (outcome, after)
            })
            .await;
        *self.store_write.lock().unwrap_or_else(|e| e.into_inner()) = store_write;
        Ok(outcome)
    }
}

/// Finds the homeserver for a user id (`@alice:example.org`), server name or URL, through
/// `.well-known` and `/versions`; returns its base URL.
#[uniffi::export]
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

/// The push gateway for a UnifiedPush endpoint (the pusher's pushkey), by UnifiedPush's Matrix
/// gateway discovery: the endpoint's push server when it answers that it has a Matrix gateway,
/// else `fallback_gateway` (the app's own, or
/// `https://matrix.gateway.unifiedpush.org/_matrix/push/v1/notify`). Waits at most `deadline_ms`
/// for the push server; fails only on an endpoint that is not a URL or an unusable fallback.
#[uniffi::export]
pub async fn discover_unified_push_gateway(
    endpoint: String,
    fallback_gateway: String,
    deadline_ms: u64,
) -> Result<String, MatrixPushError> {
    on_runtime(async move {
        let transport = matrix_push::http::Transport::new(Default::default())?;
        let deadline = Duration::from_millis(deadline_ms);
        Ok(
            matrix_push::pushers::unified_push_gateway(&transport, &endpoint, &fallback_gateway, deadline)
                .await?
                .to_string(),
        )
    })
    .await
}

/// Decodes an FCM data message (`RemoteMessage.getData()`), v1 or legacy.
#[uniffi::export]
pub fn decode_fcm(data: HashMap<String, String>) -> Result<PushPayload, MatrixPushError> {
    Ok(payload::decode_string_map(Provider::Fcm, &data)?.into())
}

/// Decodes an APNs payload (`userInfo` as JSON).
#[uniffi::export]
pub fn decode_apns(user_info_json: String) -> Result<PushPayload, MatrixPushError> {
    Ok(payload::decode_json(Provider::Apns, &user_info_json)?.into())
}

/// Decodes a UnifiedPush message body.
#[uniffi::export]
pub fn decode_unified_push(body: String) -> Result<PushPayload, MatrixPushError> {
    Ok(payload::decode_json(Provider::UnifiedPush, &body)?.into())
}

/// Decodes a Push Gateway request body (`{"notification": {…}}`).
#[uniffi::export]
pub fn decode_gateway(body: String) -> Result<PushPayload, MatrixPushError> {
    Ok(payload::decode_json(Provider::Gateway, &body)?.into())
}

/// The account a push is for, among the phone's signed-in accounts; null when that cannot be
/// told. Matches the push's `cs` routing token (from the pusher's `default_payload`) to
/// `AccountRoute.secret`, then a lone account, then the pushkey or app id a Gateway or
/// UnifiedPush push carries (the core's `payload::route` documents every rule). Throws
/// `InvalidInput` for a payload record whose JSON fields do not parse.
#[uniffi::export]
pub fn route_push(
    payload: PushPayload,
    routes: Vec<AccountRoute>,
) -> Result<Option<AccountRoute>, MatrixPushError> {
    let payload = payload.try_into()?;
    Ok(payload::route(&payload, &routes).cloned())
}

/// The generic notification for a push that could not be resolved (the one `handlePush` falls
/// back to), made from the payload alone with no network: for an app's own timeout. Null for a
/// badge-only push, which has nothing to show. Throws `InvalidInput` for a payload record whose
/// JSON fields do not parse.
#[uniffi::export]
pub fn fallback_notification(
    payload: PushPayload,
    reason: String,
) -> Result<Option<FallbackNotification>, MatrixPushError> {
    let payload: payload::PushPayload = payload.try_into()?;
    Ok(matrix_push::notify::fallback(&payload, reason))
}

fn compile(rules_json: &str) -> Result<CompiledRuleset, MatrixPushError> {
    Ok(CompiledRuleset::new(PushRules::from_json(rules_json)?.global))
}

fn parse_event(event_json: &str) -> Result<serde_json::Value, MatrixPushError> {
    serde_json::from_str(event_json).map_err(|e| invalid(format!("event: {e}")))
}

/// Evaluates push rules (`GET /pushrules/` JSON) against an event (JSON) for a context.
#[uniffi::export]
pub fn evaluate_push_rules(
    rules_json: String,
    event_json: String,
    context: PushContext,
) -> Result<Evaluation, MatrixPushError> {
    Ok(compile(&rules_json)?
        .evaluate(&parse_event(&event_json)?, &context)
        .into())
}

/// Explains an evaluation, rule by rule: readable text, or JSON when `as_json`.
#[uniffi::export]
pub fn explain_push_rules(
    rules_json: String,
    event_json: String,
    context: PushContext,
    as_json: bool,
) -> Result<String, MatrixPushError> {
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

    /// A store folder of this test process's own, as the text the FFI takes.
    fn temp_dir(name: &str) -> String {
        std::env::temp_dir()
            .join(format!("matrix-push-ffi-{name}-{}", std::process::id()))
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn restore_client_reads_the_homeserver_from_the_saved_session() {
        let dir = temp_dir("restore");
        let restore = |store: Arc<SavedJson>| restore_client(dir.clone(), store, None, None, false);
        assert!(matches!(restore(Arc::new(SavedJson::default())), Ok(None)));
        let garbage = Arc::new(SavedJson(std::sync::Mutex::new(Some("{not json".into()))));
        assert!(
            matches!(restore(garbage), Ok(None)),
            "unreadable JSON is no session"
        );
        let not_a_user = serde_json::json!({"homeserver": "https://example.org/", "user_id": "alice",
            "device_id": "DEV", "access_token": "syt_secret"});
        let not_a_user = Arc::new(SavedJson(std::sync::Mutex::new(Some(not_a_user.to_string()))));
        assert!(
            matches!(restore(not_a_user), Ok(None)),
            "a user id that is not one is damage, read as no session like any other"
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
        let route = |payload, routes| route_push(payload, routes).unwrap();
        assert_eq!(route(push(r#"{"cs": "s-bob"}"#), both.clone()), Some(bob));
        assert_eq!(route(push("{}"), both.clone()), None, "two accounts, no secret");
        assert_eq!(route(push("{}"), vec![alice.clone()]), Some(alice.clone()));
        assert_eq!(route(push(r#"{"cs": "gone"}"#), vec![alice]), None);
        assert!(
            matches!(
                route_push(push("not json"), both),
                Err(MatrixPushError::InvalidInput { .. })
            ),
            "bad extra JSON is an error, like bad power levels"
        );
    }

    #[test]
    fn settings_errors_map_as_their_sources_do() {
        let bad_id = matrix_push::settings::validate_rule_id(".m.rule.master").unwrap_err();
        assert!(matches!(
            MatrixPushError::from(bad_id),
            MatrixPushError::InvalidInput { .. }
        ));
        let no_session = || SessionError::NotSignedIn;
        assert!(matches!(
            MatrixPushError::from(SettingsError::Session(no_session())),
            MatrixPushError::NotSignedIn
        ));
        assert!(matches!(
            MatrixPushError::from(SettingsError::Rules(SyncError::Session(no_session()))),
            MatrixPushError::NotSignedIn
        ));
        let unparsed = PushRules::from_json("[]").unwrap_err();
        assert!(matches!(
            MatrixPushError::from(SettingsError::Rules(SyncError::InvalidRules(unparsed))),
            MatrixPushError::UnexpectedResponse { .. }
        ));
    }

    /// Ids are checked where they cross, before anything is sent: the client is signed in to a
    /// port nothing listens on, so a request would fail as `Network`, not `InvalidInput`.
    #[test]
    fn ids_of_the_wrong_shape_are_refused_as_they_cross() {
        let dir = temp_dir("ids");
        let client = restore_client(dir.clone(), saved("http://127.0.0.1:9/"), None, None, false)
            .unwrap()
            .expect("a restored client");
        let refused = |result: Result<(), MatrixPushError>| matches!(result, Err(MatrixPushError::InvalidInput { ref detail }) if detail.contains("is not a"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let public = ReceiptVisibility::Public;
            for (room, event) in [("#alias:x", "$e"), ("!r:x", "e"), ("", "$e")] {
                assert!(
                    refused(client.mark_read(room.into(), event.into(), public).await),
                    "{room} {event}"
                );
            }
            assert!(refused(client.accept_invite("not a room".into()).await));
            assert!(refused(client.decline_invite("#alias:x".into()).await));
            let mute = RoomNotificationMode::Mute;
            assert!(refused(client.set_room_mode("room".into(), mute).await));
            assert!(refused(client.room_mode("room".into()).await.map(|_| ())));
            assert!(refused(client.mute_sender("alice".into(), true).await));
        });
        assert_eq!(client.core().session_client().transport().requests_sent(), 0);
        struct NoTokens;
        #[async_trait::async_trait]
        impl TokenProvider for NoTokens {
            fn access_token(&self) -> Option<String> {
                None
            }
            async fn refreshed_access_token(&self, _failed_token: String) -> Option<String> {
                None
            }
        }
        let app = Client::for_app_session(
            "https://example.org/".into(),
            "alice".into(),
            "DEV".into(),
            Arc::new(NoTokens),
            dir,
            None,
        );
        assert!(refused(app.map(|_| ())));
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
        let cx = PushContext::new("@a:x");
        assert!(evaluate_push_rules(deep.clone(), "{}".into(), cx.clone()).is_err());
        assert!(evaluate_push_rules("{}".into(), deep, cx).is_err());
        assert!(matches!(
            Client::new("not a url".into(), "/tmp".into(), None, None, None, false),
            Err(MatrixPushError::InvalidInput { .. })
        ));
        assert!(matches!(
            Client::new("mailto:a@b".into(), "/tmp".into(), None, None, None, false),
            Err(MatrixPushError::InvalidInput { .. })
        ));
    }

    #[test]
    fn encryption_is_there_exactly_when_the_library_is_built_with_it() {
        let dir = std::env::temp_dir().join(format!("matrix-push-ffi-e2ee-{}", std::process::id()));
        let built = Client::new(
            "https://matrix.example.org".into(),
            dir.to_string_lossy().into_owned(),
            None,
            None,
            None,
            true,
        );
        #[cfg(feature = "e2ee")]
        assert!(built.is_ok());
        #[cfg(not(feature = "e2ee"))]
        assert!(matches!(built, Err(MatrixPushError::InvalidInput { .. })));
        let _ = std::fs::remove_dir_all(dir);
    }
}
