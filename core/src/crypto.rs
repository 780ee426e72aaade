//! Built-in end-to-end encryption (cargo feature `e2ee`): this SDK's own device as a full E2EE
//! device, on the field's own crates — matrix-sdk-crypto's `OlmMachine` and its SQLite store
//! (matrix-sdk-sqlite), kept in the store folder the app shares with its extension.
//!
//! - At sign-in the device's identity, one-time and fallback keys are uploaded.
//! - Every `/sync` answer this SDK receives is shown to the machine before its position is used
//!   ([`SyncObserver`]): its to-device messages (room keys among them), device-list changes and
//!   one-time key counts. The next sync from that position acknowledges the to-device messages
//!   and the server deletes them, so none may go unseen. What the answer makes the machine ask
//!   for (new one-time keys, key queries, backups of new keys) is sent afterwards
//!   ([`SyncObserver::settle`]): after a push's decision, within its deadline.
//! - A push's encrypted event is decrypted with the keys the machine has then, which includes a
//!   key that arrived in the push's own sync; a key still missing is fetched from the account's
//!   server-side backup (that one session) when the device knows the backup key. Otherwise the
//!   reason ([`UndecryptableReason`]) goes with the "Encrypted message" notification.
//! - [`Encryption::recover`] opens secret storage with the user's recovery key: the device is
//!   signed with the account's cross-signing keys (senders that share only with verified devices
//!   share with it) and takes the backup key.
//!
//! Two processes (the app and its extension) share the store: everything that advances the Olm
//! state runs under the store's cross-process lock. A process keeps the machine it opened while
//! the lock's counter (the generation, bumped by every use) says no other process used the
//! store since; otherwise it opens the machine again, so it never acts on a stale account (a
//! one-time key spent twice, a room key overwritten). Requests the machine asks for go through
//! the signed-in [`SessionClient`].

use crate::decryption::{Recovery, UndecryptableReason};
use crate::secret::Secret;
use crate::session::{SessionClient, SessionError, SyncObserver};
use crate::store::StateStore;
use matrix_sdk_common::deserialized_responses::UnableToDecryptReason;
use matrix_sdk_common::ruma;
use matrix_sdk_crypto::olm::ExportedRoomKey;
use matrix_sdk_crypto::secret_storage::{AesHmacSha2EncryptedData, SecretStorageKey};
use matrix_sdk_crypto::store::types::{BackupDecryptionKey, CrossSigningKeyExport};
use matrix_sdk_crypto::types::RoomKeyBackupInfo;
use matrix_sdk_crypto::types::requests::{AnyOutgoingRequest, ToDeviceRequest};
use matrix_sdk_crypto::{
    DecryptionSettings, EncryptionSyncChanges, OlmMachine, RoomEventDecryptionResult, TrustRequirement,
};
use matrix_sdk_sqlite::SqliteCryptoStore;
use ruma::api::auth_scheme::{AccessToken, SendAccessToken};
use ruma::api::client::backup::{add_backup_keys, get_backup_keys_for_session, get_latest_backup_info};
use ruma::api::path_builder::VersionHistory;
use ruma::api::{IncomingResponse, MatrixVersion, OutgoingRequest, SupportedVersions};
use ruma::events::secret::request::SecretName;
use ruma::serde::Raw;
use ruma::{OwnedDeviceId, OwnedRoomId, OwnedUserId, TransactionId};
use serde_json::Value;
use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

/// The crypto store's folder inside the shared store folder.
const CRYPTO_DIR: &str = "crypto";
/// How long a process waits for the other's hold on the crypto store.
const LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// Rounds of requests per call: an answer can make new requests (a key query after an upload).
const MAX_ROUNDS: usize = 4;
/// The cross-process lock of the crypto store; its counter counts the store's uses, so a
/// process knows when the other one changed it.
const LOCK: &str = "crypto";

/// Why the crypto machine could not do its part.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The crypto store could not be opened, read or written (its message).
    #[error("the crypto store: {0}")]
    Store(String),
    /// A request failed, or there is no session.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The machine's request could not be turned into an HTTP request (its message).
    #[error("a crypto request could not be made: {0}")]
    Request(String),
    /// The server's answer to a crypto request is not what the API promises (its message).
    #[error("the server's answer to a crypto request is malformed: {0}")]
    Response(String),
    /// A user, device or room id the machine needs is not valid (its message).
    #[error("the session's user or device id is not one: {0}")]
    Id(String),
    /// The account has no secret storage to recover from: set up recovery on another device first.
    #[error("the account has no secret storage (set up recovery on another device first)")]
    NoSecretStorage,
    /// The recovery key (or passphrase) does not open the account's secret storage.
    #[error("the recovery key does not open the account's secret storage")]
    WrongRecoveryKey,
    /// The client was built without built-in encryption.
    #[error("built-in encryption is off for this client")]
    Off,
}

fn store_error(error: impl std::fmt::Display) -> CryptoError {
    CryptoError::Store(error.to_string())
}

/// The machine this process opened, and the store generation it matches.
struct OpenMachine {
    generation: u64,
    machine: OlmMachine,
}

/// The device's crypto: where its store is, and the machine this process last opened on it.
/// The machine is reused while no other process has changed the store (see the module docs).
pub struct Encryption {
    state: StateStore,
    open: tokio::sync::Mutex<Option<OpenMachine>>,
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryption")
            .field("store", &self.dir())
            .finish_non_exhaustive()
    }
}

impl Encryption {
    /// The device's crypto, with its store in `state`'s folder; nothing is opened until first used.
    pub fn new(state: StateStore) -> Encryption {
        Encryption {
            state,
            open: tokio::sync::Mutex::new(None),
        }
    }

    fn dir(&self) -> PathBuf {
        self.state.dir().join(CRYPTO_DIR)
    }

    /// Whether this process has the machine open (or in use right now).
    pub fn is_open(&self) -> bool {
        self.open.try_lock().map_or(true, |open| open.is_some())
    }

    /// Runs `work` on the device's machine under the cross-process lock. The machine this
    /// process has open is used when the store's generation says no other process wrote since;
    /// otherwise it is opened again from the store. Every use counts as a write.
    async fn with_machine<T>(
        &self,
        session: &SessionClient,
        work: impl AsyncFnOnce(&OlmMachine) -> Result<T, CryptoError>,
    ) -> Result<T, CryptoError> {
        let (user_id, device_id) = device_of(session)?;
        let lock = self.state.lock(LOCK, LOCK_TIMEOUT).await.map_err(store_error)?;
        let generation = lock.count();
        let mut open = self.open.lock().await;
        let machine = self.current(&open, generation, &user_id, &device_id).await?;
        // Counted before `work` runs: should it be cut short (a push's deadline) after writing,
        // the other process still reloads, and so does this one (nothing stays open).
        *open = None;
        let next = lock.bump().map_err(store_error)?;
        let result = work(&machine).await;
        *open = Some(OpenMachine {
            generation: next,
            machine,
        });
        result
    }

    /// Opens the machine, unless the one this process has open is current: from the store when
    /// no other process changed it since (the generation read), else opened again.
    async fn current(
        &self,
        open: &Option<OpenMachine>,
        generation: u64,
        user_id: &OwnedUserId,
        device_id: &OwnedDeviceId,
    ) -> Result<OlmMachine, CryptoError> {
        let current = open.as_ref().filter(|open| {
            open.generation == generation
                && open.machine.user_id() == *user_id
                && open.machine.device_id() == *device_id
        });
        if let Some(open) = current {
            return Ok(open.machine.clone());
        }
        let store = SqliteCryptoStore::open(self.dir(), None)
            .await
            .map_err(store_error)?;
        OlmMachine::with_store(user_id, device_id, store, None)
            .await
            .map_err(store_error)
    }

    /// Opens the machine ahead of its use, writing nothing: a push calls it while its sync is
    /// in flight, so that a process just started (an extension) reads its store and unpickles
    /// its account meanwhile rather than after the answer. Kept while no other process writes.
    pub async fn prepare(&self, session: &SessionClient) {
        let Ok((user_id, device_id)) = device_of(session) else {
            return;
        };
        let Ok(lock) = self.state.lock(LOCK, LOCK_TIMEOUT).await else {
            return;
        };
        let generation = lock.count();
        let mut open = self.open.lock().await;
        match self.current(&open, generation, &user_id, &device_id).await {
            Ok(machine) => *open = Some(OpenMachine { generation, machine }),
            Err(error) => tracing::info!(%error, "the crypto store could not be opened ahead"),
        }
    }

    /// Uploads the device's keys (identity, one-time, fallback) and answers whatever else the
    /// machine waits for. Call after signing in; pushes keep it up after that.
    pub async fn publish_device(&self, session: &SessionClient) -> Result<(), CryptoError> {
        self.with_machine(session, async |machine| {
            // The machine makes a fallback key only once a sync says the server keeps them
            // (`device_unused_fallback_key_types`), and a new device has not synced: said here
            // (none unused yet, which is true of a new device), so the fallback key goes up with
            // the first upload. Without it, a sender who finds the one-time keys used up before
            // the device's first sync (many new senders, a quiet phone) cannot start an Olm
            // session with it, and the room keys it would have sent are lost.
            let no_counts = std::collections::BTreeMap::new();
            let sign_in = EncryptionSyncChanges {
                to_device_events: Vec::new(),
                changed_devices: &Default::default(),
                one_time_keys_counts: &no_counts,
                unused_fallback_keys: Some(&[]),
                next_batch_token: None,
            };
            machine
                .receive_sync_changes(sign_in, &NOTIFICATION_DECRYPTION)
                .await
                .map_err(store_error)?;
            send_outgoing(machine, session).await
        })
        .await
    }

    /// The cleartext of `event`, an encrypted event of `room_id`, with the keys the device has;
    /// when the key is missing and the account's backup is known here, with that one key
    /// fetched from the backup. Else why not. Bounded by `time_left`.
    pub async fn decrypt(
        &self,
        session: &SessionClient,
        room_id: &str,
        event: &Value,
        time_left: Duration,
    ) -> Result<Value, UndecryptableReason> {
        let work = self.with_machine(session, async |machine| {
            Ok(decrypt_or_restore(machine, session, room_id, event).await)
        });
        match tokio::time::timeout(time_left, work).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(error)) => {
                tracing::warn!(%error, "the crypto store could not be used");
                Err(UndecryptableReason::Unavailable {
                    message: error.to_string(),
                })
            }
            Err(_) => Err(UndecryptableReason::OutOfTime),
        }
    }

    /// Sends what the machine has waiting (new one-time keys, key queries and claims, backups
    /// of new room keys), for at most `time_left`. After a push's decision: none of it changes
    /// what this push shows, and what is not sent now is asked for again next time.
    pub async fn send_pending(&self, session: &SessionClient, time_left: Duration) {
        let work = self.with_machine(session, async |machine| send_outgoing(machine, session).await);
        match tokio::time::timeout(time_left, work).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::info!(%error, "the device's crypto requests wait for next time"),
            Err(_) => tracing::info!("the device's crypto requests ran out of time; next time"),
        }
    }

    /// Recovers the account's encryption on this device with the user's recovery key (the
    /// secret-storage key, base58 as clients show it, or its passphrase): imports the
    /// cross-signing keys and signs this device with them, and takes the key backup's key so
    /// room keys missing here are read from the backup.
    pub async fn recover(
        &self,
        session: &SessionClient,
        recovery_key: &Secret,
    ) -> Result<Recovery, CryptoError> {
        let secrets = read_secret_storage(session, recovery_key.expose()).await?;
        self.with_machine(session, async |machine| recover(machine, session, secrets).await)
            .await
    }
}

impl Drop for Encryption {
    /// The crypto store's connection pool closes through a Tokio runtime (deadpool hands each
    /// connection's close to `spawn_blocking`), so it must be dropped inside one. The mobile
    /// library always drops its client inside its own runtime, whatever thread the app frees it
    /// on. A Rust program may drop a client outside any runtime (after its runtime shut down,
    /// or from plain threads); only then does a small runtime of its own close the store,
    /// waiting for the close (dropping that runtime waits for its blocking threads), so nothing
    /// is cut short and the program needs no runtime just to free a client.
    fn drop(&mut self) {
        let Some(open) = self.open.get_mut().take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            return drop(open);
        }
        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => {
                let _entered = runtime.enter();
                drop(open);
            }
            Err(error) => {
                // Leaking the pool beats aborting the app; the OS closes the files.
                tracing::warn!(%error, "no runtime to close the crypto store on; left open");
                std::mem::forget(open);
            }
        }
    }
}

#[async_trait::async_trait]
impl SyncObserver for Encryption {
    async fn observe(&self, session: &SessionClient, sync: &Value) -> Result<(), SessionError> {
        if nothing_for_the_machine(sync, |_| true) {
            return Ok(());
        }
        self.with_machine(session, async |machine| {
            // Servers list users whose devices changed that this device does not track (it
            // sends nothing to them): the machine would only store the answer's position.
            let tracked = machine.tracked_users().await.map_err(store_error)?;
            if nothing_for_the_machine(sync, |user| tracked.iter().any(|t| t.as_str() == user)) {
                return Ok(());
            }
            receive_sync(machine, sync).await
        })
        .await
        .map_err(|e| SessionError::Observer(e.to_string()))
    }

    async fn settle(&self, session: &SessionClient, time_left: Duration) {
        self.send_pending(session, time_left).await;
    }
}

/// The signed-in device's user and device ids.
fn device_of(session: &SessionClient) -> Result<(OwnedUserId, OwnedDeviceId), CryptoError> {
    let session = session.session().ok_or(SessionError::NotSignedIn)?;
    let user_id =
        OwnedUserId::try_from(session.user_id.as_str()).map_err(|e| CryptoError::Id(e.to_string()))?;
    Ok((user_id, OwnedDeviceId::from(session.device_id.as_str())))
}

/// A notification decrypts from any sender's device (MSC4153's checks are the app's to show).
const NOTIFICATION_DECRYPTION: DecryptionSettings = DecryptionSettings {
    sender_device_trust_requirement: TrustRequirement::Untrusted,
};

/// The part of a `/sync` answer at `pointer` as `T`; `None` when the answer has none. Read from
/// its text: ruma's `Raw` keeps JSON as text and cannot be read from a `Value`.
fn sync_part<T: serde::de::DeserializeOwned>(sync: &Value, pointer: &str) -> Result<Option<T>, CryptoError> {
    sync.pointer(pointer)
        .map(|part| {
            serde_json::from_str(&part.to_string())
                .map_err(|e| CryptoError::Response(format!("{pointer}: {e}")))
        })
        .transpose()
}

/// One-time keys the device keeps on the server (vodozemac's maximum): fewer means some were
/// claimed, and the machine tops them up.
const ONE_TIME_KEYS: u64 = 50;

/// Whether a `/sync` answer has nothing the machine must take in: no to-device messages, no
/// device-list changes of a user `tracked` says it follows, every one-time key still on the
/// server and the fallback key unused. Most pushes' answers are like this; taking one in costs
/// a few milliseconds of store writes.
pub fn nothing_for_the_machine(sync: &Value, tracked: impl Fn(&str) -> bool) -> bool {
    let is_empty = |pointer: &str| {
        sync.pointer(pointer)
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    };
    let none_tracked = |pointer: &str| {
        sync.pointer(pointer)
            .and_then(Value::as_array)
            .is_none_or(|users| !users.iter().filter_map(Value::as_str).any(&tracked))
    };
    let keys_left = sync
        .pointer("/device_one_time_keys_count/signed_curve25519")
        .and_then(Value::as_u64);
    let fallback_unused = match sync.get("device_unused_fallback_key_types") {
        None => true,
        Some(types) => types
            .as_array()
            .is_some_and(|types| types.iter().any(|t| t == "signed_curve25519")),
    };
    is_empty("/to_device/events")
        && none_tracked("/device_lists/changed")
        && none_tracked("/device_lists/left")
        && keys_left.is_none_or(|left| left >= ONE_TIME_KEYS)
        && fallback_unused
}

/// Takes the encryption parts of a `/sync` answer into the machine: to-device messages (room
/// keys), device-list changes and one-time key counts.
pub async fn receive_sync(machine: &OlmMachine, sync: &Value) -> Result<(), CryptoError> {
    let to_device: Vec<Raw<ruma::events::AnyToDeviceEvent>> =
        sync_part(sync, "/to_device/events")?.unwrap_or_default();
    let device_lists: ruma::api::client::sync::sync_events::DeviceLists =
        sync_part(sync, "/device_lists")?.unwrap_or_default();
    let counts: std::collections::BTreeMap<ruma::OneTimeKeyAlgorithm, ruma::UInt> =
        sync_part(sync, "/device_one_time_keys_count")?.unwrap_or_default();
    let fallback: Option<Vec<ruma::OneTimeKeyAlgorithm>> =
        sync_part(sync, "/device_unused_fallback_key_types")?;
    let changes = EncryptionSyncChanges {
        to_device_events: to_device,
        changed_devices: &device_lists,
        one_time_keys_counts: &counts,
        unused_fallback_keys: fallback.as_deref(),
        next_batch_token: sync.get("next_batch").and_then(Value::as_str).map(str::to_owned),
    };
    let (events, keys) = machine
        .receive_sync_changes(changes, &NOTIFICATION_DECRYPTION)
        .await
        .map_err(store_error)?;
    if !events.is_empty() || !keys.is_empty() {
        tracing::debug!(
            to_device = events.len(),
            room_keys = keys.len(),
            "took the sync's encryption changes"
        );
    }
    Ok(())
}

/// The cleartext of an encrypted room event: the event with the decrypted `type` and `content`,
/// or why it cannot be decrypted.
pub async fn decrypt(
    machine: &OlmMachine,
    room_id: &str,
    event: &Value,
) -> Result<Value, UndecryptableReason> {
    let room_id = OwnedRoomId::try_from(room_id).map_err(|_| UndecryptableReason::Malformed)?;
    let raw = serde_json::from_str(&event.to_string()).map_err(|_| UndecryptableReason::Malformed)?;
    let result = machine
        .try_decrypt_room_event(&raw, &room_id, &NOTIFICATION_DECRYPTION)
        .await
        .map_err(|e| UndecryptableReason::Unavailable {
            message: e.to_string(),
        })?;
    match result {
        RoomEventDecryptionResult::Decrypted(decrypted) => {
            let clear: Value = serde_json::from_str(decrypted.event.json().get())
                .map_err(|_| UndecryptableReason::Malformed)?;
            let mut shown = event.clone();
            shown["type"] = clear.get("type").cloned().unwrap_or(Value::Null);
            shown["content"] = clear.get("content").cloned().unwrap_or(Value::Null);
            Ok(shown)
        }
        RoomEventDecryptionResult::UnableToDecrypt(info) => Err(undecryptable(info.reason)),
    }
}

/// The notification's reason for the machine's.
fn undecryptable(reason: UnableToDecryptReason) -> UndecryptableReason {
    match reason {
        UnableToDecryptReason::MissingMegolmSession { withheld_code } => {
            UndecryptableReason::MissingRoomKey {
                withheld_code: withheld_code.map(|code| code.as_str().to_owned()),
            }
        }
        UnableToDecryptReason::UnknownMegolmMessageIndex => UndecryptableReason::UnknownMessageIndex,
        UnableToDecryptReason::SenderIdentityNotTrusted(_)
        | UnableToDecryptReason::MismatchedIdentityKeys => UndecryptableReason::UntrustedSender,
        UnableToDecryptReason::MalformedEncryptedEvent
        | UnableToDecryptReason::PayloadDeserializationFailure
        | UnableToDecryptReason::MegolmDecryptionFailure => UndecryptableReason::Malformed,
        other => UndecryptableReason::Unavailable {
            message: format!("{other:?}"),
        },
    }
}

/// [`decrypt`], and when the key is missing and this device knows the account's key backup,
/// once more after fetching that one room key from the backup.
async fn decrypt_or_restore(
    machine: &OlmMachine,
    session: &SessionClient,
    room_id: &str,
    event: &Value,
) -> Result<Value, UndecryptableReason> {
    let reason = match decrypt(machine, room_id, event).await {
        Ok(clear) => return Ok(clear),
        Err(reason) if reason.key_may_be_in_backup() => reason,
        Err(reason) => return Err(reason),
    };
    let Some(session_id) = event.pointer("/content/session_id").and_then(Value::as_str) else {
        return Err(reason);
    };
    match restore_room_key(machine, session, room_id, session_id).await {
        Ok(true) => decrypt(machine, room_id, event).await,
        Ok(false) => Err(reason),
        Err(error) => {
            tracing::info!(%error, "the room key could not be read from the key backup");
            Err(reason)
        }
    }
}

/// Fetches one room key from the account's server-side backup into the machine. `false` when
/// this device has no backup key, or the backup does not hold that key.
async fn restore_room_key(
    machine: &OlmMachine,
    session: &SessionClient,
    room_id: &str,
    session_id: &str,
) -> Result<bool, CryptoError> {
    let keys = machine
        .backup_machine()
        .get_backup_keys()
        .await
        .map_err(store_error)?;
    let (Some(key), Some(version)) = (keys.decryption_key, keys.backup_version) else {
        return Ok(false);
    };
    let room = OwnedRoomId::try_from(room_id).map_err(|e| CryptoError::Id(e.to_string()))?;
    let request =
        get_backup_keys_for_session::v3::Request::new(version.clone(), room.clone(), session_id.to_owned());
    let response = match send_ruma(session, request).await {
        Ok(response) => response,
        Err(CryptoError::Session(SessionError::Http(crate::http::HttpError::Matrix(e))))
            if e.status == 404 =>
        {
            return Ok(false);
        }
        Err(error) => return Err(error),
    };
    let data = response
        .key_data
        .deserialize()
        .map_err(|e| CryptoError::Response(e.to_string()))?;
    let backed_up = key
        .decrypt_session_data(data.session_data)
        .map_err(|e| CryptoError::Response(format!("the backed-up key does not decrypt: {e}")))?;
    let exported = ExportedRoomKey::from_backed_up_room_key(room, session_id.to_owned(), backed_up);
    let imported = machine
        .store()
        .import_room_keys(vec![exported], Some(&version), |_, _| {})
        .await
        .map_err(store_error)?;
    tracing::debug!(
        imported = imported.imported_count,
        "took a room key from the key backup"
    );
    Ok(imported.imported_count > 0)
}

/// The secrets the account keeps in secret storage (base64, as stored), opened with the
/// recovery key.
struct StoredSecrets {
    master: Option<String>,
    self_signing: Option<String>,
    user_signing: Option<String>,
    backup: Option<String>,
}

/// One global account-data event's content; `None` when the account has none of that type.
async fn account_data(session: &SessionClient, event_type: &str) -> Result<Option<Value>, CryptoError> {
    let user_id = session.user_id()?;
    let url = session.url_of(&["user", user_id.as_str(), "account_data", event_type]);
    match session
        .send_request(crate::http::Request::new(crate::http::Method::Get, url))
        .await
    {
        Ok(content) => Ok(Some(content)),
        Err(SessionError::Http(crate::http::HttpError::Matrix(e))) if e.status == 404 => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Opens the account's secret storage (its default key) with `recovery_key` and reads the
/// cross-signing and backup secrets from it.
async fn read_secret_storage(
    session: &SessionClient,
    recovery_key: &str,
) -> Result<StoredSecrets, CryptoError> {
    let default = account_data(session, "m.secret_storage.default_key")
        .await?
        .ok_or(CryptoError::NoSecretStorage)?;
    let key_id = default
        .get("key")
        .and_then(Value::as_str)
        .ok_or(CryptoError::NoSecretStorage)?
        .to_owned();
    let description = account_data(session, &format!("m.secret_storage.key.{key_id}"))
        .await?
        .ok_or(CryptoError::NoSecretStorage)?;
    let event = serde_json::json!({"type": format!("m.secret_storage.key.{key_id}"), "content": description});
    let content = match serde_json::from_value::<ruma::events::AnyGlobalAccountDataEvent>(event) {
        Ok(ruma::events::AnyGlobalAccountDataEvent::SecretStorageKey(event)) => event.content,
        _ => {
            return Err(CryptoError::Response(
                "the secret storage key's description".into(),
            ));
        }
    };
    let key = SecretStorageKey::from_account_data(recovery_key.trim(), content)
        .map_err(|_| CryptoError::WrongRecoveryKey)?;
    let secret = async |name: SecretName| -> Result<Option<String>, CryptoError> {
        let Some(stored) = account_data(session, name.as_str()).await? else {
            return Ok(None);
        };
        let Some(encrypted) = stored.pointer(&format!("/encrypted/{key_id}")) else {
            return Ok(None);
        };
        let encrypted: AesHmacSha2EncryptedData = serde_json::from_value(encrypted.clone())
            .map_err(|e| CryptoError::Response(format!("{}: {e}", name.as_str())))?;
        let clear = key
            .decrypt(&encrypted, &name)
            .map_err(|_| CryptoError::WrongRecoveryKey)?;
        String::from_utf8(clear)
            .map(Some)
            .map_err(|e| CryptoError::Response(format!("{}: {e}", name.as_str())))
    };
    Ok(StoredSecrets {
        master: secret(SecretName::CrossSigningMasterKey).await?,
        self_signing: secret(SecretName::CrossSigningSelfSigningKey).await?,
        user_signing: secret(SecretName::CrossSigningUserSigningKey).await?,
        backup: secret(SecretName::RecoveryKey).await?,
    })
}

/// Takes the secrets into the machine: cross-signs this device, and enables the backup whose
/// public key matches the stored backup key.
async fn recover(
    machine: &OlmMachine,
    session: &SessionClient,
    secrets: StoredSecrets,
) -> Result<Recovery, CryptoError> {
    let mut recovery = Recovery {
        cross_signed: false,
        backup_version: None,
    };
    if secrets.master.is_some() || secrets.self_signing.is_some() {
        // The imported keys are checked against the account's published identity: fetch it.
        machine
            .update_tracked_users([machine.user_id()])
            .await
            .map_err(store_error)?;
        machine
            .mark_all_tracked_users_as_dirty()
            .await
            .map_err(store_error)?;
        send_outgoing(machine, session).await?;
        let status = machine
            .import_cross_signing_keys(CrossSigningKeyExport {
                master_key: secrets.master,
                self_signing_key: secrets.self_signing,
                user_signing_key: secrets.user_signing,
            })
            .await
            .map_err(|e| CryptoError::Response(format!("the stored cross-signing keys: {e}")))?;
        if status.has_self_signing {
            let device = machine
                .get_device(machine.user_id(), machine.device_id(), None)
                .await
                .map_err(store_error)?
                .ok_or_else(|| CryptoError::Store("this device is not in its own store".into()))?;
            let signature = device
                .verify()
                .await
                .map_err(|e| CryptoError::Request(format!("signing this device: {e}")))?;
            send_ruma(session, signature).await?;
            recovery.cross_signed = true;
        }
    }
    if let Some(backup) = secrets.backup {
        let key = BackupDecryptionKey::from_base64(&backup)
            .map_err(|e| CryptoError::Response(format!("the stored backup key: {e}")))?;
        let latest = match send_ruma(session, get_latest_backup_info::v3::Request::new()).await {
            Ok(latest) => Some(latest),
            Err(CryptoError::Session(SessionError::Http(crate::http::HttpError::Matrix(e))))
                if e.status == 404 =>
            {
                None
            }
            Err(error) => return Err(error),
        };
        if let Some(latest) = latest {
            let info: RoomKeyBackupInfo = serde_json::from_str(latest.algorithm.json().get())
                .map_err(|e| CryptoError::Response(e.to_string()))?;
            if key.backup_key_matches(&info) {
                let public = key.megolm_v1_public_key();
                public.set_version(latest.version.clone());
                machine
                    .backup_machine()
                    .save_decryption_key(Some(key), Some(latest.version.clone()))
                    .await
                    .map_err(store_error)?;
                machine
                    .backup_machine()
                    .enable_backup_v1(public)
                    .await
                    .map_err(store_error)?;
                recovery.backup_version = Some(latest.version);
            } else {
                tracing::warn!("the stored backup key is not the current backup's: backup left off");
            }
        }
    }
    send_outgoing(machine, session).await?;
    Ok(recovery)
}

/// Sends every request the machine has waiting and hands it the answers, for a few rounds.
pub async fn send_outgoing(machine: &OlmMachine, session: &SessionClient) -> Result<(), CryptoError> {
    for _ in 0..MAX_ROUNDS {
        let requests = machine.outgoing_requests().await.map_err(store_error)?;
        let backup = machine.backup_machine().backup().await.map_err(store_error)?;
        if requests.is_empty() && backup.is_none() {
            return Ok(());
        }
        for request in requests {
            send_request(machine, session, request.request_id(), request.request()).await?;
        }
        if let Some((request_id, backup)) = backup {
            let upload = add_backup_keys::v3::Request::new(backup.version.clone(), backup.rooms.clone());
            let response = send_ruma(session, upload).await?;
            machine
                .mark_request_as_sent(&request_id, &response)
                .await
                .map_err(store_error)?;
        }
    }
    Ok(())
}

/// Sends one of the machine's requests and hands it the answer.
pub async fn send_request(
    machine: &OlmMachine,
    session: &SessionClient,
    request_id: &TransactionId,
    request: &AnyOutgoingRequest,
) -> Result<(), CryptoError> {
    let marked = match request {
        AnyOutgoingRequest::KeysUpload(r) => {
            let response = send_ruma(session, r.clone()).await?;
            machine.mark_request_as_sent(request_id, &response).await
        }
        AnyOutgoingRequest::KeysQuery(r) => {
            let mut query = ruma::api::client::keys::get_keys::v3::Request::new();
            query.device_keys = r.device_keys.clone();
            query.timeout = r.timeout;
            let response = send_ruma(session, query).await?;
            machine.mark_request_as_sent(request_id, &response).await
        }
        AnyOutgoingRequest::KeysClaim(r) => {
            let response = send_ruma(session, r.clone()).await?;
            machine.mark_request_as_sent(request_id, &response).await
        }
        AnyOutgoingRequest::ToDeviceRequest(r) => {
            let response = send_to_device(session, r).await?;
            machine.mark_request_as_sent(request_id, &response).await
        }
        AnyOutgoingRequest::SignatureUpload(r) => {
            let response = send_ruma(session, r.clone()).await?;
            machine.mark_request_as_sent(request_id, &response).await
        }
        // In-room verification messages: this device does not verify interactively.
        AnyOutgoingRequest::RoomMessage(_) => return Ok(()),
    };
    marked.map_err(store_error)
}

/// Sends a to-device request (room keys a sender shares, key requests).
pub async fn send_to_device(
    session: &SessionClient,
    request: &ToDeviceRequest,
) -> Result<ruma::api::client::to_device::send_event_to_device::v3::Response, CryptoError> {
    let send = ruma::api::client::to_device::send_event_to_device::v3::Request::new_raw(
        request.event_type.clone(),
        request.txn_id.clone(),
        request.messages.clone(),
    );
    send_ruma(session, send).await
}

/// Sends a ruma request through the signed-in session (its token, timeouts and body caps) and
/// reads ruma's response from the answer.
pub async fn send_ruma<R>(session: &SessionClient, request: R) -> Result<R::IncomingResponse, CryptoError>
where
    R: OutgoingRequest<Authentication = AccessToken, PathBuilder = VersionHistory>,
{
    let versions = SupportedVersions {
        versions: [MatrixVersion::V1_1].into(),
        features: Default::default(),
    };
    let base = session.homeserver().as_str().trim_end_matches('/').to_owned();
    // The session adds its own token; ruma only needs one to build the request.
    let http: http::Request<Vec<u8>> = request
        .try_into_http_request(&base, SendAccessToken::Always("-"), Cow::Owned(versions))
        .map_err(|e| CryptoError::Request(e.to_string()))?;
    let method = match *http.method() {
        http::Method::GET => crate::http::Method::Get,
        http::Method::POST => crate::http::Method::Post,
        http::Method::PUT => crate::http::Method::Put,
        http::Method::DELETE => crate::http::Method::Delete,
        ref other => return Err(CryptoError::Request(format!("unexpected method {other}"))),
    };
    let url = url::Url::parse(&http.uri().to_string()).map_err(|e| CryptoError::Request(e.to_string()))?;
    let mut outgoing = crate::http::Request::new(method, url);
    if !http.body().is_empty() {
        let body: Value =
            serde_json::from_slice(http.body()).map_err(|e| CryptoError::Request(e.to_string()))?;
        outgoing = outgoing.json(body);
    }
    let answer = session.send_request(outgoing).await?;
    let bytes = serde_json::to_vec(&answer).map_err(|e| CryptoError::Response(e.to_string()))?;
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(bytes)
        .map_err(|e| CryptoError::Response(e.to_string()))?;
    R::IncomingResponse::try_from_http_response(response).map_err(|e| CryptoError::Response(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::nothing_for_the_machine;
    use serde_json::json;

    #[test]
    fn only_an_answer_without_anything_for_the_machine_skips_it() {
        let quiet = json!({"next_batch": "s2", "to_device": {"events": []},
                           "device_lists": {"changed": ["@stranger:x"], "left": []},
                           "device_one_time_keys_count": {"signed_curve25519": 50},
                           "device_unused_fallback_key_types": ["signed_curve25519"]});
        let tracked = |user: &str| user == "@a:x";
        assert!(nothing_for_the_machine(&quiet, tracked));
        assert!(
            !nothing_for_the_machine(&quiet, |_| true),
            "every listed user may be tracked"
        );
        assert!(nothing_for_the_machine(&json!({"next_batch": "s2"}), |_| true));
        let with = |pointer: &str, value| {
            let mut answer = quiet.clone();
            *answer.pointer_mut(pointer).unwrap() = value;
            nothing_for_the_machine(&answer, tracked)
        };
        assert!(!with("/to_device/events", json!([{"type": "m.room.encrypted"}])));
        assert!(!with("/device_lists/changed", json!(["@stranger:x", "@a:x"])));
        assert!(!with("/device_lists/left", json!(["@a:x"])));
        assert!(!with("/device_one_time_keys_count/signed_curve25519", json!(49)));
        assert!(!with("/device_unused_fallback_key_types", json!([])));
    }
}
