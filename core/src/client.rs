//! [`Client`]: the one object an app holds. It ties the transport, the session, the on-disk
//! state, pushers and push-rule sync together.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use matrix_push::{Client, secret::Secret, session::LoginIdentifier, pushers::Pusher};
//! let client = Client::discover("@alice:example.org").await?.store_dir("/data/matrix-push").build()?;
//! client.login_password(&LoginIdentifier::User("alice".into()), &Secret::new("password")).await?;
//! client.ensure_pusher(&Pusher::new("fcm-token", "io.matrixpush.sample.android",
//!     "https://push.example.org/_matrix/push/v1/notify")).await?;
//! let rules = client.fetch_push_rules().await?;
//! # Ok(()) }
//! ```
//!
//! On later starts the saved session alone is enough: [`ClientBuilder::for_saved_session`] reads
//! the homeserver from it, so the app keeps no URL of its own.
//!
//! ```no_run
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use matrix_push::{ClientBuilder, session::FileSessionStore};
//! use std::sync::Arc;
//! let saved = Arc::new(FileSessionStore::new("/data/matrix-push/session"));
//! match ClientBuilder::for_saved_session(saved).store_dir("/data/matrix-push").restore()? {
//!     Some(client) => { /* signed in: the saved session is restored */ }
//!     None => { /* nothing saved: sign in */ }
//! }
//! # Ok(()) }
//! ```

use crate::actions::{self, ActionError, ReceiptVisibility};
use crate::http::{HttpConfig, HttpError, Transport};
use crate::ids::{EventId, RoomId, UserId};
use crate::media::{self, MediaError, Thumbnail};
use crate::notify::{self, EventDecryptor, Notifier, Outcome, RoomSummary, StoreWrite};
use crate::payload::PushPayload;
use crate::pushers::{self, EnsureOutcome, Pusher, PusherError};
use crate::rules::PushRules;
use crate::secret::Secret;
use crate::session::{
    self, KeyringSessionStore, LoginFlow, LoginIdentifier, MemorySessionStore, Session, SessionClient,
    SessionError, SessionStore, TokenProvider,
};
use crate::settings::{self, Position, RoomNotificationMode, SettingsError};
use crate::store::{StateStore, StoreError};
use crate::sync::{self, SyncError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Builds a [`Client`]: [`Client::builder`] for a known homeserver (then [`ClientBuilder::build`]),
/// [`ClientBuilder::for_saved_session`] for the account saved earlier (then
/// [`ClientBuilder::restore`]).
pub struct ClientBuilder {
    /// `None` for [`ClientBuilder::for_saved_session`]: the saved session names it.
    homeserver: Option<Url>,
    store_dir: Option<PathBuf>,
    session_store: Option<Arc<dyn SessionStore>>,
    http: HttpConfig,
    device_display_name: Option<String>,
    decryptor: Option<Arc<dyn EventDecryptor>>,
    /// The app's own session: user id, device id, and its tokens.
    app_session: Option<(UserId, String, Arc<dyn TokenProvider>)>,
    sliding_sync: bool,
    /// Built-in end-to-end encryption (feature `e2ee`).
    #[cfg(feature = "e2ee")]
    encryption: bool,
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The HTTP stack could not be set up.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The store folder could not be opened or created.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// [`ClientBuilder::build`] without [`ClientBuilder::store_dir`].
    #[error("a client needs a store folder (for the synced rules and the cross-process lock)")]
    NoStoreDir,
    /// The homeserver URL is not http(s) (the URL as given).
    #[error("the homeserver must be an http(s) URL, not {0:?}")]
    InvalidHomeserver(String),
    /// [`ClientBuilder::build`] on a builder from [`ClientBuilder::for_saved_session`], which
    /// learns its homeserver from the saved session: finish it with [`ClientBuilder::restore`].
    #[error("a client for a saved session is made by restore(), which reads the homeserver from it")]
    NoHomeserver,
    /// [`ClientBuilder::app_session`] together with built-in encryption
    /// (`ClientBuilder::encryption(true)`, feature `e2ee`). The app's device and its keys belong
    /// to the app's own SDK: built-in encryption would take that device's to-device messages in
    /// every push's sync (and the server then deletes them — room keys the app's SDK never sees)
    /// and could upload keys for the device from a second crypto machine, overwriting the app
    /// SDK's. Pick one: the app's session with an [`EventDecryptor`] on its SDK, or built-in
    /// encryption on a device of the SDK's own.
    #[error(
        "built-in encryption runs on a device of its own, not on the app's session: use an event decryptor there"
    )]
    EncryptionOnAppSession,
}

/// Why [`ClientBuilder::restore`] could not restore a client. (Nothing saved is not an error:
/// `restore` returns `Ok(None)`.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The session store could not be read.
    #[error("the saved session cannot be read: {0}")]
    Store(#[from] StoreError),
    /// The saved session names a homeserver that is not an http(s) URL (a damaged or foreign
    /// entry): the app should sign in again.
    #[error("the saved session's homeserver is not an http(s) URL: {0:?}")]
    InvalidSavedHomeserver(String),
    /// The client could not be built (no store folder, the state store cannot be opened, …).
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The session was found but could not be restored.
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl ClientBuilder {
    /// A builder for the account whose session `session_store` holds: [`ClientBuilder::restore`]
    /// reads the session, builds the client for the session's homeserver and restores the
    /// session, so the app need not keep the homeserver URL itself. Set the other options
    /// (store folder, display name, decryptor) as for [`Client::builder`].
    pub fn for_saved_session(session_store: Arc<dyn SessionStore>) -> ClientBuilder {
        ClientBuilder::new(None).session_store(session_store)
    }

    /// The defaults: no store folder yet, an in-memory session store, default HTTP settings.
    fn new(homeserver: Option<Url>) -> ClientBuilder {
        ClientBuilder {
            homeserver,
            store_dir: None,
            session_store: None,
            http: HttpConfig::default(),
            device_display_name: None,
            decryptor: None,
            app_session: None,
            sliding_sync: true,
            #[cfg(feature = "e2ee")]
            encryption: false,
        }
    }

    /// The folder for synced state, shared by the app and its extension.
    pub fn store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.store_dir = Some(dir.into());
        self
    }

    /// Where the session is saved; the default keeps it in memory only.
    pub fn session_store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.session_store = Some(store);
        self
    }

    /// Keeps the session in the platform keyring under `service` / `account`.
    pub fn keyring(self, service: &str, account: &str) -> Self {
        self.session_store(Arc::new(KeyringSessionStore::new(service, account)))
    }

    /// The transport's timeouts, retries and body cap (the defaults suit a phone).
    pub fn http_config(mut self, config: HttpConfig) -> Self {
        self.http = config;
        self
    }

    /// The name the new device gets at sign-in (shown in the user's device list).
    pub fn device_display_name(mut self, name: impl Into<String>) -> Self {
        self.device_display_name = Some(name.into());
        self
    }

    /// With `false`, pushes sync by `/sync` even where the server serves sliding sync
    /// (MSC4186), which they use by default: it answers faster, and a first push in a room
    /// takes one request. Servers without it get `/sync` either way.
    pub fn sliding_sync(mut self, enabled: bool) -> Self {
        self.sliding_sync = enabled;
        self
    }

    /// Decrypts encrypted events for notifications (without it they show as "Encrypted
    /// message").
    pub fn event_decryptor(mut self, decryptor: Arc<dyn EventDecryptor>) -> Self {
        self.decryptor = Some(decryptor);
        self
    }

    /// Runs on the session of the app's own Matrix SDK instead of signing in a device of its
    /// own: `user_id` and `device_id` are that SDK's, and every request takes its access token
    /// from `tokens`, which hands a fresh one when the server refuses it (see
    /// [`TokenProvider`]). The client is signed in as soon as it is built; sign-in, sign-out and
    /// the session store are the app SDK's business (they fail with `OwnedByApp` here). With an
    /// [`EventDecryptor`] on the same SDK, encrypted pushes show their cleartext.
    pub fn app_session(mut self, user_id: UserId, device_id: &str, tokens: Arc<dyn TokenProvider>) -> Self {
        self.app_session = Some((user_id, device_id.to_owned(), tokens));
        self
    }

    /// Built-in end-to-end encryption: the SDK's device becomes a full E2EE device (its keys
    /// uploaded at sign-in, room keys taken from every sync), and encrypted pushes show their
    /// cleartext. Its crypto store lives in the store folder, shared with the extension. Not with
    /// [`ClientBuilder::app_session`] ([`BuildError::EncryptionOnAppSession`]).
    #[cfg(feature = "e2ee")]
    pub fn encryption(mut self, on: bool) -> Self {
        self.encryption = on;
        self
    }

    /// Builds the client (signed out: restore or sign in next). Fails with
    /// [`BuildError::NoHomeserver`] for a builder from [`ClientBuilder::for_saved_session`], and
    /// with [`BuildError::EncryptionOnAppSession`] for the app's session with built-in encryption.
    pub fn build(self) -> Result<Client, BuildError> {
        #[cfg(feature = "e2ee")]
        if self.encryption && self.app_session.is_some() {
            return Err(BuildError::EncryptionOnAppSession);
        }
        let given = self.homeserver.ok_or(BuildError::NoHomeserver)?;
        let homeserver = crate::urls::api_base(given.clone())
            .ok_or_else(|| BuildError::InvalidHomeserver(given.to_string()))?;
        let state = StateStore::open(self.store_dir.ok_or(BuildError::NoStoreDir)?)?;
        let transport = Transport::new(self.http)?;
        let store = self
            .session_store
            .unwrap_or_else(|| Arc::new(MemorySessionStore::default()));
        let session = SessionClient::new(
            transport,
            homeserver,
            store,
            Some(state.clone()),
            self.device_display_name,
        );
        let session = match self.app_session {
            Some((user_id, device_id, tokens)) => session.with_app_session(user_id, &device_id, tokens),
            None => session,
        };
        #[cfg(feature = "e2ee")]
        let (session, encryption) = match self.encryption {
            true => {
                let encryption = Arc::new(crate::crypto::Encryption::new(state.clone()));
                (session.with_sync_observer(encryption.clone()), Some(encryption))
            }
            false => (session, None),
        };
        Ok(Client {
            session,
            state,
            decryptor: self.decryptor,
            sliding_sync: self.sliding_sync,
            #[cfg(feature = "e2ee")]
            encryption,
        })
    }

    /// Builds the client and restores the saved session; `Ok(None)` when nothing is saved. No
    /// request is made (an expired token is refreshed on first use).
    ///
    /// For a builder from [`ClientBuilder::for_saved_session`] the homeserver is the one the
    /// saved session names; a session whose homeserver is not an http(s) URL is
    /// [`RestoreError::InvalidSavedHomeserver`]. For one from [`Client::builder`] it is the given
    /// homeserver, as with [`ClientBuilder::build`] then [`Client::restore_session`].
    pub fn restore(mut self) -> Result<Option<Client>, RestoreError> {
        if self.homeserver.is_none() {
            let store = self
                .session_store
                .as_ref()
                .ok_or(RestoreError::Build(BuildError::NoHomeserver))?;
            let Some(saved) = store.load()? else {
                return Ok(None);
            };
            let homeserver = Url::parse(&saved.homeserver)
                .ok()
                .and_then(crate::urls::api_base)
                .ok_or_else(|| RestoreError::InvalidSavedHomeserver(saved.homeserver.clone()))?;
            self.homeserver = Some(homeserver);
        }
        let client = self.build()?;
        // The store is read again here: if another process signed out in between, that is
        // "nothing saved" too.
        Ok(client.restore_session()?.map(|_| client))
    }
}

/// A Matrix account's push setup: sign-in, pushers, push rules, and handling pushes.
pub struct Client {
    session: SessionClient,
    state: StateStore,
    decryptor: Option<Arc<dyn EventDecryptor>>,
    sliding_sync: bool,
    #[cfg(feature = "e2ee")]
    encryption: Option<Arc<crate::crypto::Encryption>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.session)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder for the client-server API at `homeserver` (a base URL).
    pub fn builder(homeserver: Url) -> ClientBuilder {
        ClientBuilder::new(Some(homeserver))
    }

    /// A builder for the homeserver found from a user id, server name or URL.
    pub async fn discover(user_or_server: &str) -> Result<ClientBuilder, SessionError> {
        let transport = Transport::new(HttpConfig::default())?;
        let homeserver = session::discover_homeserver(&transport, user_or_server).await?;
        Ok(Client::builder(homeserver))
    }

    /// The signed-in connection (authenticated requests, for the modules below).
    pub fn session_client(&self) -> &SessionClient {
        &self.session
    }

    /// The on-disk state this client shares with the app's other process (its extension).
    pub fn state(&self) -> &StateStore {
        &self.state
    }

    /// The current session, or `None` when signed out (or not yet restored).
    pub fn session(&self) -> Option<Session> {
        self.session.session()
    }

    /// Restores the saved session, if there is one (`None`: nothing saved). No request is made: an
    /// expired token is refreshed on first use.
    pub fn restore_session(&self) -> Result<Option<Session>, SessionError> {
        self.session.restore()
    }

    /// The login methods the server offers (password, SSO, token, …).
    pub async fn login_flows(&self) -> Result<Vec<LoginFlow>, SessionError> {
        self.session.login_flows().await
    }

    /// Signs in with a password, saves the session and (with built-in encryption) uploads the new
    /// device's keys. After a soft logout the saved device id is reused, so the device keeps its
    /// data.
    pub async fn login_password(
        &self,
        identifier: &LoginIdentifier,
        password: &Secret,
    ) -> Result<Session, SessionError> {
        let session = self.session.login_password(identifier, password).await?;
        self.publish_device().await;
        Ok(session)
    }

    /// Signs in with a login token (`m.login.token`, as SSO and QR sign-in hand out), saves the
    /// session and (with built-in encryption) uploads the new device's keys.
    pub async fn login_token(&self, token: &Secret) -> Result<Session, SessionError> {
        let session = self.session.login_token(token).await?;
        self.publish_device().await;
        Ok(session)
    }

    /// With built-in encryption, uploads the new device's keys. Should that fail, the next push
    /// or sync does it (the machine keeps asking until the server has them).
    async fn publish_device(&self) {
        #[cfg(feature = "e2ee")]
        if let Some(encryption) = &self.encryption
            && let Err(error) = encryption.publish_device(&self.session).await
        {
            tracing::warn!(%error, "the device's encryption keys are not uploaded yet");
        }
    }

    /// The built-in encryption, when it is on (feature `e2ee`).
    #[cfg(feature = "e2ee")]
    pub fn encryption(&self) -> Option<&crate::crypto::Encryption> {
        self.encryption.as_deref()
    }

    /// Recovers the account's encryption on this device with the user's recovery key (or its
    /// passphrase), as set up by another client: the device is cross-signed and reads room keys
    /// it missed from the key backup. Needs built-in encryption.
    #[cfg(feature = "e2ee")]
    pub async fn recover(
        &self,
        recovery_key: &Secret,
    ) -> Result<crate::decryption::Recovery, crate::crypto::CryptoError> {
        let encryption = self
            .encryption
            .as_deref()
            .ok_or(crate::crypto::CryptoError::Off)?;
        encryption.recover(&self.session, recovery_key).await
    }

    /// Asks the server who the token belongs to: the user id and, when the server says, the device
    /// id. A cheap way to check that the session still works.
    pub async fn whoami(&self) -> Result<(UserId, Option<String>), SessionError> {
        self.session.whoami().await
    }

    /// Signs out: the server deletes the device (and with it its pushers), and the saved session is
    /// removed.
    pub async fn logout(&self) -> Result<(), SessionError> {
        self.session.logout().await
    }

    /// Sets (creates or replaces) a pusher, taking the pushkey over from any other account on the
    /// server (see [`pushers::set`]).
    pub async fn set_pusher(&self, pusher: &Pusher) -> Result<(), PusherError> {
        pushers::set(&self.session, pusher).await
    }

    /// Every pusher of this user, whatever its kind (http, email, others), with when its pushkey
    /// was last updated: what a diagnosis needs (`pushers` is what an app passes back to
    /// `ensure_pusher`).
    pub async fn all_pushers(&self) -> Result<Vec<pushers::ListedPusher>, PusherError> {
        pushers::list_all(&self.session).await
    }

    /// This user's HTTP pushers (the kind phones set); [`Client::all_pushers`] lists every kind.
    pub async fn pushers(&self) -> Result<Vec<Pusher>, PusherError> {
        pushers::list(&self.session).await
    }

    /// Removes the pusher `app_id` + `pushkey`; no error if there is none.
    pub async fn remove_pusher(&self, app_id: &str, pushkey: &str) -> Result<(), PusherError> {
        pushers::remove(&self.session, app_id, pushkey).await
    }

    /// Makes sure the server has exactly this pusher: sets it only when it is missing or different,
    /// and says which it was. Call it at every app start.
    pub async fn ensure_pusher(&self, pusher: &Pusher) -> Result<EnsureOutcome, PusherError> {
        pushers::ensure(&self.session, pusher).await
    }

    /// Moves from the pusher (`old_app_id`, `old_pushkey`) to `pusher` (a new token, or a new
    /// registration kind): the new one is set first so pushes never stop, then the old one removed.
    pub async fn rotate_pusher(
        &self,
        old_app_id: &str,
        old_pushkey: &str,
        pusher: &Pusher,
    ) -> Result<(), PusherError> {
        pushers::rotate(&self.session, old_app_id, old_pushkey, pusher).await
    }

    /// The rules saved by the last sync: what the push path evaluates with, offline.
    pub fn stored_push_rules(&self) -> Option<PushRules> {
        self.state.push_rules()
    }

    /// Fetches the whole ruleset from the server and stores it for the push path.
    pub async fn fetch_push_rules(&self) -> Result<PushRules, SyncError> {
        sync::fetch_push_rules(&self.session, &self.state).await
    }

    /// One rules-sync round from the stored position, waiting up to `timeout` for a change; the new
    /// rules when they changed, `None` when they did not.
    pub async fn sync_push_rules_once(&self, timeout: Duration) -> Result<Option<PushRules>, SyncError> {
        sync::sync_once(&self.session, &self.state, timeout).await
    }

    /// Keeps the rules in sync until the future is dropped or the session ends.
    pub async fn run_push_rules_sync(
        &self,
        poll_timeout: Duration,
        on_change: impl FnMut(&PushRules),
    ) -> SyncError {
        sync::run_push_rules_sync(&self.session, &self.state, poll_timeout, on_change).await
    }

    /// Adds a keyword: a content rule (id and pattern the keyword, trimmed) that notifies with a
    /// sound, as Element does. The stored rules are refetched after the edit.
    pub async fn add_keyword(&self, keyword: &str) -> Result<(), SettingsError> {
        let edited = settings::add_keyword(&self.session, keyword).await;
        self.after_rule_edit(edited).await
    }

    /// Removes the keyword (trimmed) added by [`Client::add_keyword`] or another client.
    pub async fn remove_keyword(&self, keyword: &str) -> Result<(), SettingsError> {
        let edited = settings::remove_keyword(&self.session, keyword).await;
        self.after_rule_edit(edited).await
    }

    /// The user's keywords, read like [`Client::room_mode`]: from the stored rules when there
    /// are any, else from the server's (which are then stored).
    pub async fn keywords(&self) -> Result<Vec<String>, SyncError> {
        Ok(settings::keywords(&self.rules_to_read().await?.global))
    }

    /// The room's own notification mode (`None`: the account's defaults apply).
    ///
    /// Answered from the stored rules when there are any, so that a settings screen listing N
    /// rooms makes one request at most, not N. The stored rules are current as far as this
    /// device can tell: the app's own edits refetch them ([`Client::set_room_mode`] and the
    /// other edits), and the push-rule sync stores every change made elsewhere. Without a
    /// running sync, call [`Client::fetch_push_rules`] first to see other devices' changes.
    pub async fn room_mode(&self, room: &RoomId) -> Result<Option<RoomNotificationMode>, SyncError> {
        Ok(settings::room_mode(&self.rules_to_read().await?.global, room))
    }

    /// Every room the user has joined, for a settings screen: its display name (the spec's
    /// algorithm, as notifications name it), whether it is a DM, its joined member count and its
    /// own notification mode (`None`: the account's defaults apply). Sorted by name, ignoring
    /// case (then by room id). Invites are left out: a room's mode can be set once joined.
    ///
    /// One `/sync` (no waiting, nothing but names: no timeline, presence or account data). The
    /// modes are read like [`Client::room_mode`]: from the stored rules when there are any, else
    /// from the server's, fetched in parallel with the sync (and stored).
    pub async fn rooms(&self) -> Result<Vec<RoomSummary>, SyncError> {
        let (rooms, rules) = tokio::join!(notify::joined_rooms(&self.session), self.rules_to_read());
        let (rooms, rules) = (rooms?, rules?.global);
        let user_id = self.session.user_id()?;
        let mut summaries: Vec<RoomSummary> = rooms
            .into_iter()
            .map(|room| RoomSummary {
                name: room.display_name(&user_id),
                is_dm: room.is_dm(),
                joined_members: room.joined_members,
                mode: settings::room_mode(&rules, &room.room_id),
                room_id: room.room_id,
            })
            .collect();
        summaries.sort_by_cached_key(|room| (room.name.to_lowercase(), room.room_id.clone()));
        Ok(summaries)
    }

    /// The rules that reads of the settings ([`Client::room_mode`], [`Client::keywords`]) answer
    /// from: the stored ones, fetched (and stored) only when nothing is stored. Edits do not use
    /// this: they start from the server's current rules.
    async fn rules_to_read(&self) -> Result<PushRules, SyncError> {
        match self.state.push_rules() {
            Some(stored) => Ok(stored),
            None => self.fetch_push_rules().await,
        }
    }

    /// Sets the room's notification mode, encoded as Element encodes it (so both read each other's
    /// settings); a room id that cannot name a rule (one with a `/`) is
    /// [`SettingsError::InvalidRuleId`]. The stored rules are refetched after the edit.
    pub async fn set_room_mode(
        &self,
        room: &RoomId,
        mode: RoomNotificationMode,
    ) -> Result<(), SettingsError> {
        settings::validate_rule_id(room)?;
        let current = self.fetch_push_rules().await?;
        let edited = settings::set_room_mode(&self.session, &current.global, room, mode).await;
        self.after_rule_edit(edited).await
    }

    /// Mutes (`true`) or unmutes a sender: a sender rule with no actions, keyed by the user id.
    pub async fn mute_sender(&self, user: &UserId, muted: bool) -> Result<(), SettingsError> {
        let edited = settings::mute_sender(&self.session, user, muted).await;
        self.after_rule_edit(edited).await
    }

    /// Enables or disables any rule, server-default ones included.
    pub async fn set_rule_enabled(
        &self,
        kind: crate::rules::RuleKind,
        rule_id: &str,
        enabled: bool,
    ) -> Result<(), SettingsError> {
        let edited = settings::set_enabled(&self.session, kind, rule_id, enabled).await;
        self.after_rule_edit(edited).await
    }

    /// Replaces the actions of any rule, server-default ones included.
    pub async fn set_rule_actions(
        &self,
        kind: crate::rules::RuleKind,
        rule_id: &str,
        actions: &[crate::rules::Action],
    ) -> Result<(), SettingsError> {
        let edited = settings::set_actions(&self.session, kind, rule_id, actions).await;
        self.after_rule_edit(edited).await
    }

    /// Creates or replaces a user rule at `position` among the user rules of its kind.
    pub async fn put_rule(
        &self,
        kind: crate::rules::RuleKind,
        rule_id: &str,
        actions: &[crate::rules::Action],
        conditions: Option<serde_json::Value>,
        pattern: Option<&str>,
        position: &Position,
    ) -> Result<(), SettingsError> {
        let edited = settings::put_rule(
            &self.session,
            kind,
            rule_id,
            actions,
            conditions,
            pattern,
            position,
        )
        .await;
        self.after_rule_edit(edited).await
    }

    /// After the app changed a rule, the stored copy (what the settings read, and the base
    /// pushes bring up to date) is refetched at once rather than left stale until the
    /// background sync sees the change. If that fails, the stored copy is dropped so that the
    /// next reader fetches the rules itself. The edit's own result is returned either way.
    async fn after_rule_edit(&self, edited: Result<(), SettingsError>) -> Result<(), SettingsError> {
        if edited.is_ok()
            && self.fetch_push_rules().await.is_err()
            && let Err(e) = self.state.remove_account()
        {
            tracing::warn!("the stored push rules may be stale: {e}");
        }
        edited
    }

    /// Resolves a push into what to show, within `deadline` (see [`crate::notify`]).
    pub async fn handle_push(&self, payload: &PushPayload, deadline: Duration) -> Outcome {
        let (outcome, store_write) = self.handle_push_deferred(payload, deadline).await;
        if let Some(store_write) = store_write {
            self.after_push(store_write).await;
        }
        outcome
    }

    /// What follows a push's outcome (see [`Client::handle_push_deferred`]): stores what it
    /// brought, then sends what its sync asked of the device's crypto (new one-time keys, key
    /// queries), within the push's deadline; what is not sent in time is asked for again.
    pub async fn after_push(&self, store_write: StoreWrite) {
        let settle_until = store_write.settle_until();
        store_write.apply().await;
        if let Some(until) = settle_until {
            let time_left = until.saturating_duration_since(std::time::Instant::now());
            self.session.settle_sync(time_left).await;
        }
    }

    /// [`Client::handle_push`], returning as soon as the outcome is decided, with what follows
    /// it: pass the [`StoreWrite`] to [`Client::after_push`] after showing the notification
    /// (spawn it), and before this client handles the next push, so pushes in one process build
    /// on each other. The mobile library does this; it takes the disk and the device's crypto
    /// requests off the notification's path.
    pub async fn handle_push_deferred(
        &self,
        payload: &PushPayload,
        deadline: Duration,
    ) -> (Outcome, Option<StoreWrite>) {
        let notifier = Notifier::new(&self.session, &self.state, self.decryptor.clone())
            .with_sliding_sync(self.sliding_sync);
        #[cfg(feature = "e2ee")]
        let notifier = notifier.with_encryption(self.encryption.as_deref());
        let outcome = notifier.handle(payload, deadline).await;
        (outcome, notifier.take_store_write())
    }

    /// Marks `room` read up to `event`: the read receipt (`m.read.private` with
    /// [`ReceiptVisibility::Private`]) and the fully-read marker, in one request. The server's
    /// unread counts drop, and with them the badge on every device.
    pub async fn mark_read(
        &self,
        room: &RoomId,
        event: &EventId,
        visibility: ReceiptVisibility,
    ) -> Result<(), ActionError> {
        actions::mark_read(&self.session, room, event, visibility).await
    }

    /// A thumbnail of the avatar at `mxc` (a notification's `sender_avatar_url`), at most
    /// [`media::AVATAR_PIXELS`] square: from the store's cache, else from the server within
    /// `deadline` — give it what is left of the push's deadline, and show the notification
    /// without an avatar when this fails.
    pub async fn avatar(&self, mxc: &str, deadline: Duration) -> Result<Thumbnail, MediaError> {
        media::thumbnail(&self.session, &self.state, mxc, media::AVATAR_PIXELS, deadline).await
    }

    /// Accepts the invite to `room` (joins it).
    pub async fn accept_invite(&self, room: &RoomId) -> Result<(), ActionError> {
        actions::accept_invite(&self.session, room).await
    }

    /// Declines the invite to `room` (leaves it).
    pub async fn decline_invite(&self, room: &RoomId) -> Result<(), ActionError> {
        actions::decline_invite(&self.session, room).await
    }

    /// Deletes a user rule (server-default rules cannot be deleted, only disabled).
    pub async fn delete_rule(
        &self,
        kind: crate::rules::RuleKind,
        rule_id: &str,
    ) -> Result<(), SettingsError> {
        let edited = settings::delete_rule(&self.session, kind, rule_id).await;
        self.after_rule_edit(edited).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homeserver_urls_are_checked_and_normalised() {
        let dir = std::env::temp_dir().join(format!("matrix-push-client-{}", std::process::id()));
        let build = |url: &str| Client::builder(Url::parse(url).unwrap()).store_dir(&dir).build();
        assert!(matches!(
            build("mailto:a@b.c"),
            Err(BuildError::InvalidHomeserver(_))
        ));
        assert!(matches!(
            build("ftp://example.org/"),
            Err(BuildError::InvalidHomeserver(_))
        ));
        let client = build("https://example.org/matrix").unwrap();
        assert_eq!(
            client.session_client().url("login").as_str(),
            "https://example.org/matrix/_matrix/client/v3/login"
        );
        assert_eq!(
            client
                .session_client()
                .url_of(&["pushrules", "global", "room", "!a:b/c"])
                .as_str(),
            "https://example.org/matrix/_matrix/client/v3/pushrules/global/room/!a:b%2Fc"
        );
        assert!(matches!(
            Client::builder(Url::parse("https://x/").unwrap()).build(),
            Err(BuildError::NoStoreDir)
        ));
    }

    fn saved_session(homeserver: &str) -> Session {
        Session {
            homeserver: homeserver.into(),
            user_id: UserId::parse("@alice:example.org").unwrap(),
            device_id: "DEVICE".into(),
            access_token: Secret::new("syt_saved_access"),
            refresh_token: None,
            soft_logged_out: false,
        }
    }

    fn temp_store_dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("matrix-push-client-{name}-{}", std::process::id()))
    }

    /// A session store whose every call fails, as a locked keychain would.
    struct BrokenSessionStore;

    impl SessionStore for BrokenSessionStore {
        fn load(&self) -> Result<Option<Session>, StoreError> {
            Err(StoreError::Io {
                path: "keychain".into(),
                message: "locked".into(),
            })
        }
        fn save(&self, _: &Session) -> Result<(), StoreError> {
            self.load().map(|_| ())
        }
        fn clear(&self) -> Result<(), StoreError> {
            self.load().map(|_| ())
        }
    }

    #[test]
    fn restoring_from_a_saved_session_uses_its_homeserver() {
        let store = Arc::new(MemorySessionStore::default());
        let restore = |store: Arc<dyn SessionStore>| {
            ClientBuilder::for_saved_session(store)
                .store_dir(temp_store_dir("restore"))
                .restore()
        };
        assert!(
            matches!(restore(store.clone()), Ok(None)),
            "nothing saved: nothing to restore"
        );

        store.save(&saved_session("https://example.org/matrix")).unwrap();
        let client = restore(store.clone())
            .unwrap()
            .expect("the saved session is restored");
        assert_eq!(
            client.session().map(|s| s.user_id.to_string()),
            Some("@alice:example.org".to_owned())
        );
        assert_eq!(
            client.session_client().url("login").as_str(),
            "https://example.org/matrix/_matrix/client/v3/login"
        );

        for damaged in ["not a url", "mailto:a@b.c", "ftp://example.org/", ""] {
            store.save(&saved_session(damaged)).unwrap();
            let restored = restore(store.clone());
            assert!(
                matches!(&restored, Err(RestoreError::InvalidSavedHomeserver(url)) if url == damaged),
                "{damaged:?}"
            );
        }

        assert!(matches!(
            restore(Arc::new(BrokenSessionStore)),
            Err(RestoreError::Store(_))
        ));
        store.save(&saved_session("https://example.org/")).unwrap();
        assert!(matches!(
            ClientBuilder::for_saved_session(store.clone()).restore(),
            Err(RestoreError::Build(BuildError::NoStoreDir))
        ));
        assert!(matches!(
            ClientBuilder::for_saved_session(store)
                .store_dir(temp_store_dir("build"))
                .build(),
            Err(BuildError::NoHomeserver)
        ));
    }

    #[cfg(feature = "e2ee")]
    #[test]
    fn the_apps_session_with_built_in_encryption_is_refused() {
        /// The app's SDK keeps its tokens; building asks for none.
        struct NoTokens;

        #[async_trait::async_trait]
        impl TokenProvider for NoTokens {
            fn access_token(&self) -> Option<Secret> {
                None
            }
            async fn refreshed_token(&self, _failed: &Secret) -> Option<Secret> {
                None
            }
        }

        let builder = || {
            Client::builder(Url::parse("https://example.org/").unwrap())
                .store_dir(temp_store_dir("app-e2ee"))
                .app_session(
                    UserId::parse("@alice:example.org").unwrap(),
                    "APPDEVICE",
                    Arc::new(NoTokens),
                )
        };
        assert!(matches!(
            builder().encryption(true).build(),
            Err(BuildError::EncryptionOnAppSession)
        ));
        // Either alone builds.
        let app = builder().encryption(false).build().unwrap();
        assert_eq!(app.session().unwrap().device_id, "APPDEVICE");
        assert!(app.encryption().is_none());
        let own = Client::builder(Url::parse("https://example.org/").unwrap())
            .store_dir(temp_store_dir("own-e2ee"))
            .encryption(true)
            .build()
            .unwrap();
        assert!(own.encryption().is_some());
    }

    #[test]
    fn restore_with_a_given_homeserver_is_build_then_restore_session() {
        let store = Arc::new(MemorySessionStore::default());
        let restore = || {
            Client::builder(Url::parse("https://example.org/").unwrap())
                .store_dir(temp_store_dir("given"))
                .session_store(store.clone())
                .restore()
        };
        assert!(matches!(restore(), Ok(None)));
        store.save(&saved_session("https://example.org/")).unwrap();
        let client = restore().unwrap().expect("restored");
        assert_eq!(client.session(), Some(saved_session("https://example.org/")));
    }
}
