//! A real crypto client for the encryption suites: an `OlmMachine` of the same crates the SDK
//! uses, on a signed-in [`Client`]'s session. It sends encrypted messages (sharing the room key
//! by to-device as mainstream clients do), takes room keys in from its own syncs, and sets up
//! what another client's "set up recovery" does: cross-signing, secret storage, key backup.

use matrix_push::Client;
use matrix_push::crypto::{receive_sync, send_outgoing, send_request, send_to_device};
use matrix_push::http::{Method, Request};
use matrix_sdk_common::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk_common::ruma::events::secret::request::SecretName;
use matrix_sdk_common::ruma::{OwnedRoomId, OwnedUserId};
use matrix_sdk_crypto::secret_storage::SecretStorageKey;
use matrix_sdk_crypto::store::types::BackupDecryptionKey;
use matrix_sdk_crypto::types::requests::AnyOutgoingRequest;
use matrix_sdk_crypto::{
    CollectStrategy, DecryptionSettings, EncryptionSettings, OlmMachine, RoomEventDecryptionResult,
    TrustRequirement,
};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// Creates an encrypted direct chat (Megolm from its first event) as `creator`, inviting
/// `invitee`; its room id.
pub async fn create_encrypted_dm(creator: &Client, invitee: &str) -> String {
    crate::create_room(
        creator,
        json!({"invite": [invitee], "is_direct": true, "preset": "private_chat",
               "initial_state": [{"type": "m.room.encryption", "state_key": "",
                                  "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]}),
    )
    .await
}

/// A signed-in client and its device's crypto (kept in memory).
pub struct CryptoDevice {
    /// The signed-in client.
    pub client: Client,
    /// Its device's crypto machine, on an in-memory store.
    pub machine: OlmMachine,
    since: Mutex<Option<String>>,
}

impl CryptoDevice {
    /// Makes `client`'s device a crypto device: its keys are uploaded.
    pub async fn new(client: Client) -> CryptoDevice {
        let session = client.session().unwrap();
        let user_id = OwnedUserId::try_from(session.user_id.as_str()).unwrap();
        let machine = OlmMachine::new(&user_id, session.device_id.as_str().into()).await;
        send_outgoing(&machine, client.session_client()).await.unwrap();
        CryptoDevice {
            client,
            machine,
            since: Mutex::new(None),
        }
    }

    /// The device's user id.
    pub fn user_id(&self) -> String {
        self.machine.user_id().to_string()
    }

    /// Shares the room's Megolm key with the devices of `users` that `strategy` allows (the
    /// others get a withheld notice), then sends `text` encrypted; the event id.
    pub async fn send_encrypted(
        &self,
        room_id: &str,
        users: &[&str],
        text: &str,
        strategy: CollectStrategy,
    ) -> String {
        let room = OwnedRoomId::try_from(room_id).unwrap();
        let users: Vec<OwnedUserId> = users.iter().map(|u| OwnedUserId::try_from(*u).unwrap()).collect();
        let session = self.client.session_client();
        self.machine
            .update_tracked_users(users.iter().map(|u| u.as_ref()))
            .await
            .unwrap();
        // What the recipients' devices and signatures are now (a client learns it by /sync).
        self.machine.mark_all_tracked_users_as_dirty().await.unwrap();
        send_outgoing(&self.machine, session).await.unwrap();
        if let Some((id, claim)) = self
            .machine
            .get_missing_sessions(users.iter().map(|u| u.as_ref()))
            .await
            .unwrap()
        {
            send_request(&self.machine, session, &id, &AnyOutgoingRequest::KeysClaim(claim))
                .await
                .unwrap();
        }
        let settings = EncryptionSettings {
            sharing_strategy: strategy,
            ..EncryptionSettings::default()
        };
        let shares = self
            .machine
            .share_room_key(&room, users.iter().map(|u| u.as_ref()), settings)
            .await
            .unwrap();
        for share in shares {
            let answer = send_to_device(session, &share).await.unwrap();
            self.machine
                .mark_request_as_sent(&share.txn_id, &answer)
                .await
                .unwrap();
        }
        let encrypted = self
            .machine
            .encrypt_room_event(&room, RoomMessageEventContent::text_plain(text))
            .await
            .unwrap();
        let content: Value = serde_json::from_str(encrypted.content.json().get()).unwrap();
        crate::send_event(&self.client, room_id, "m.room.encrypted", content).await
    }

    /// The cleartext of `event`, an encrypted event of `room_id`, with the room keys this device
    /// has (the event with the decrypted `type` and `content`, as an `EventDecryptor` answers);
    /// `None` without the key.
    pub async fn decrypt(&self, room_id: &str, event: &Value) -> Option<Value> {
        let room = OwnedRoomId::try_from(room_id).ok()?;
        let raw = serde_json::from_str(&event.to_string()).ok()?;
        let settings = DecryptionSettings {
            sender_device_trust_requirement: TrustRequirement::Untrusted,
        };
        let result = self
            .machine
            .try_decrypt_room_event(&raw, &room, &settings)
            .await
            .ok()?;
        match result {
            RoomEventDecryptionResult::Decrypted(decrypted) => {
                let clear: Value = serde_json::from_str(decrypted.event.json().get()).ok()?;
                let mut shown = event.clone();
                shown["type"] = clear["type"].clone();
                shown["content"] = clear["content"].clone();
                Some(shown)
            }
            RoomEventDecryptionResult::UnableToDecrypt(_) => None,
        }
    }

    /// What an app's SDK does for a push: [`CryptoDevice::decrypt`], and without the key, one
    /// sync (calling `syncing` first) and once more.
    pub async fn decrypt_syncing_once(
        &self,
        room_id: &str,
        event: &Value,
        syncing: impl FnOnce(),
    ) -> Option<Value> {
        if let Some(clear) = self.decrypt(room_id, event).await {
            return Some(clear);
        }
        syncing();
        self.sync().await;
        self.decrypt(room_id, event).await
    }

    /// One sync: the room keys sent to this device are taken in (and, with a backup enabled,
    /// backed up).
    pub async fn sync(&self) {
        let session = self.client.session_client();
        let mut since = self.since.lock().await;
        let mut url = session.url("sync");
        url.query_pairs_mut().append_pair("timeout", "0");
        if let Some(since) = since.as_deref() {
            url.query_pairs_mut().append_pair("since", since);
        }
        let answer = session
            .send_request(Request::new(Method::Get, url))
            .await
            .unwrap();
        receive_sync(&self.machine, &answer).await.unwrap();
        send_outgoing(&self.machine, session).await.unwrap();
        *since = answer["next_batch"].as_str().map(str::to_owned);
    }

    /// Creates the account's cross-signing identity and signs this device with it.
    pub async fn set_up_cross_signing(&self) {
        let session = self.client.session_client();
        let requests = self.machine.bootstrap_cross_signing(false).await.unwrap();
        if let Some(upload) = requests.upload_keys_req {
            send_request(&self.machine, session, upload.request_id(), upload.request())
                .await
                .unwrap();
        }
        let keys = requests.upload_signing_keys_req;
        // A first upload needs no interactive auth (MSC3967).
        session
            .send(
                Method::Post,
                "keys/device_signing/upload",
                Some(json!({
                    "master_key": keys.master_key,
                    "self_signing_key": keys.self_signing_key,
                    "user_signing_key": keys.user_signing_key,
                })),
            )
            .await
            .unwrap();
        matrix_push::crypto::send_ruma(session, requests.upload_signatures_req)
            .await
            .unwrap();
    }

    /// What "set up recovery" does in another client: cross-signing, a key backup that this
    /// device backs its room keys up to, and secret storage holding both; the recovery key
    /// (base58, as clients show it).
    pub async fn set_up_recovery(&self) -> String {
        self.set_up_cross_signing().await;
        let session = self.client.session_client();
        let backup = BackupDecryptionKey::new();
        let public = backup.megolm_v1_public_key();
        let created = session
            .send(
                Method::Post,
                "room_keys/version",
                Some(json!({
                    "algorithm": "m.megolm_backup.v1.curve25519-aes-sha2",
                    "auth_data": {"public_key": public.to_base64()},
                })),
            )
            .await
            .unwrap();
        let version = created["version"].as_str().unwrap().to_owned();
        public.set_version(version);
        self.machine
            .backup_machine()
            .enable_backup_v1(public)
            .await
            .unwrap();

        let storage = SecretStorageKey::new();
        let key_id = storage.key_id().to_owned();
        self.put_account_data(
            &format!("m.secret_storage.key.{key_id}"),
            serde_json::to_value(storage.event_content()).unwrap(),
        )
        .await;
        self.put_account_data("m.secret_storage.default_key", json!({"key": key_id}))
            .await;
        let cross_signing = self.machine.export_cross_signing_keys().await.unwrap().unwrap();
        let secrets = [
            (
                SecretName::CrossSigningMasterKey,
                cross_signing.master_key.clone(),
            ),
            (
                SecretName::CrossSigningSelfSigningKey,
                cross_signing.self_signing_key.clone(),
            ),
            (
                SecretName::CrossSigningUserSigningKey,
                cross_signing.user_signing_key.clone(),
            ),
            (SecretName::RecoveryKey, Some(backup.to_base64())),
        ];
        for (name, secret) in secrets {
            let encrypted = storage.encrypt(secret.unwrap().into_bytes(), &name);
            self.put_account_data(name.as_str(), json!({"encrypted": {key_id.as_str(): encrypted}}))
                .await;
        }
        storage.to_base58()
    }

    async fn put_account_data(&self, event_type: &str, content: Value) {
        let session = self.client.session_client();
        let user_id = self.user_id();
        let url = session.url_of(&["user", &user_id, "account_data", event_type]);
        session
            .send_request(Request::new(Method::Put, url).json(content))
            .await
            .unwrap();
    }
}
