//! Built-in end-to-end encryption (cargo feature `e2ee`): this SDK's own device as a full E2EE
//! device, on the field's own crates — matrix-sdk-crypto's `OlmMachine` and its SQLite store
//! (matrix-sdk-sqlite), kept in the store folder the app shares with its extension.
//!
//! - At sign-in the device's identity, one-time and fallback keys are uploaded.
//! - Every `/sync` answer this SDK receives is shown to the machine before its position is used
//!   ([`SyncObserver`]): its to-device messages (room keys among them), device-list changes and
//!   one-time key counts. The next sync from that position acknowledges the to-device messages
//!   and the server deletes them, so none may go unseen.
//! - A push's encrypted event is decrypted with the keys the machine has then ([`EventDecryptor`]),
//!   which includes a key that arrived in the push's own sync.
//!
//! Two processes (the app and its extension) share the store: everything that advances the Olm
//! state runs under the store's cross-process lock, on a machine opened from the store for that
//! use, so each process sees what the other wrote. Requests the machine asks for (key uploads,
//! queries, claims, to-device) go through the signed-in [`SessionClient`].

use crate::session::{SessionClient, SessionError, SyncObserver};
use crate::store::StateStore;
use matrix_sdk_common::ruma;
use matrix_sdk_crypto::types::requests::{AnyOutgoingRequest, ToDeviceRequest};
use matrix_sdk_crypto::{
    DecryptionSettings, EncryptionSyncChanges, OlmMachine, RoomEventDecryptionResult, TrustRequirement,
};
use matrix_sdk_sqlite::SqliteCryptoStore;
use ruma::api::auth_scheme::{AccessToken, SendAccessToken};
use ruma::api::path_builder::VersionHistory;
use ruma::api::{IncomingResponse, MatrixVersion, OutgoingRequest, SupportedVersions};
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

/// Why the crypto machine could not do its part.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("the crypto store: {0}")]
    Store(String),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("a crypto request could not be made: {0}")]
    Request(String),
    #[error("the server's answer to a crypto request is malformed: {0}")]
    Response(String),
    #[error("the session's user or device id is not one: {0}")]
    Id(String),
}

fn store_error(error: impl std::fmt::Display) -> CryptoError {
    CryptoError::Store(error.to_string())
}

/// The device's crypto: where its store is. Cheap to keep; the machine itself is opened for each
/// use (see the module docs), for the account signed in on the session it is given.
pub struct Encryption {
    state: StateStore,
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryption")
            .field("store", &self.dir())
            .finish_non_exhaustive()
    }
}

impl Encryption {
    pub fn new(state: StateStore) -> Encryption {
        Encryption { state }
    }

    fn dir(&self) -> PathBuf {
        self.state.dir().join(CRYPTO_DIR)
    }

    /// Runs `work` on the device's machine, opened from the store under the cross-process lock.
    async fn with_machine<T>(
        &self,
        session: &SessionClient,
        work: impl AsyncFnOnce(&OlmMachine) -> Result<T, CryptoError>,
    ) -> Result<T, CryptoError> {
        let session = session.session().ok_or(SessionError::NotSignedIn)?;
        let user_id =
            OwnedUserId::try_from(session.user_id.as_str()).map_err(|e| CryptoError::Id(e.to_string()))?;
        let device_id = OwnedDeviceId::from(session.device_id.as_str());
        let _lock = self
            .state
            .lock("crypto", LOCK_TIMEOUT)
            .await
            .map_err(store_error)?;
        let store = SqliteCryptoStore::open(self.dir(), None)
            .await
            .map_err(store_error)?;
        let machine = OlmMachine::with_store(&user_id, &device_id, store, None)
            .await
            .map_err(store_error)?;
        work(&machine).await
    }

    /// Uploads the device's keys (identity, one-time, fallback) and answers whatever else the
    /// machine waits for. Call after signing in; pushes keep it up after that.
    pub async fn publish_device(&self, session: &SessionClient) -> Result<(), CryptoError> {
        self.with_machine(session, async |machine| send_outgoing(machine, session).await)
            .await
    }

    /// The cleartext of `event`, an encrypted event of `room_id`, with the keys the device has;
    /// `None` (logged with the reason) when it cannot be decrypted.
    pub async fn decrypt(&self, session: &SessionClient, room_id: &str, event: &Value) -> Option<Value> {
        let outcome = self
            .with_machine(
                session,
                async |machine| Ok(decrypt(machine, room_id, event).await),
            )
            .await;
        match outcome {
            Ok(Ok(clear)) => Some(clear),
            Ok(Err(reason)) => {
                tracing::info!(%reason, "the event could not be decrypted");
                None
            }
            Err(error) => {
                tracing::warn!(%error, "the crypto store could not be used");
                None
            }
        }
    }
}

#[async_trait::async_trait]
impl SyncObserver for Encryption {
    async fn observe(&self, session: &SessionClient, sync: &Value) -> Result<(), SessionError> {
        self.with_machine(session, async |machine| {
            receive_sync(machine, sync).await?;
            send_outgoing(machine, session).await
        })
        .await
        .map_err(|e| SessionError::Observer(e.to_string()))
    }
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
pub async fn decrypt(machine: &OlmMachine, room_id: &str, event: &Value) -> Result<Value, String> {
    let room_id = OwnedRoomId::try_from(room_id).map_err(|e| e.to_string())?;
    let raw = serde_json::from_str(&event.to_string()).map_err(|e| e.to_string())?;
    match machine
        .try_decrypt_room_event(&raw, &room_id, &NOTIFICATION_DECRYPTION)
        .await
        .map_err(|e| e.to_string())?
    {
        RoomEventDecryptionResult::Decrypted(decrypted) => {
            let clear: Value =
                serde_json::from_str(decrypted.event.json().get()).map_err(|e| e.to_string())?;
            let mut shown = event.clone();
            shown["type"] = clear.get("type").cloned().unwrap_or(Value::Null);
            shown["content"] = clear.get("content").cloned().unwrap_or(Value::Null);
            Ok(shown)
        }
        RoomEventDecryptionResult::UnableToDecrypt(info) => Err(format!("{:?}", info.reason)),
    }
}

/// Sends every request the machine has waiting and hands it the answers, for a few rounds.
pub async fn send_outgoing(machine: &OlmMachine, session: &SessionClient) -> Result<(), CryptoError> {
    for _ in 0..MAX_ROUNDS {
        let requests = machine.outgoing_requests().await.map_err(store_error)?;
        if requests.is_empty() {
            return Ok(());
        }
        for request in requests {
            send_request(machine, session, request.request_id(), request.request()).await?;
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
