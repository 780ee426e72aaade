//! Built-in encryption against a real Synapse, with a real crypto sender: Alice's device is an
//! `OlmMachine` of the same crates (no canned ciphertext). She shares a Megolm room key with
//! Bob's SDK device by to-device while his app is not running, then sends an encrypted message;
//! the push is resolved by a fresh, extension-like client on Bob's store, which takes the key
//! from the push's own sync and shows the cleartext.

use matrix_push::Client;
use matrix_push::crypto::{send_outgoing, send_request, send_to_device};
use matrix_push::decryption::UndecryptableReason;
use matrix_push::notify::{Notification, NotificationKind, Outcome};
use matrix_push::payload::{Provider, decode_string_map};
use matrix_push::session::{MemorySessionStore, SessionStore};
use matrix_push_tests::{Homeserver, create_room, join, temp_dir};
use matrix_sdk_common::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk_common::ruma::{OwnedRoomId, OwnedUserId};
use matrix_sdk_crypto::types::requests::AnyOutgoingRequest;
use matrix_sdk_crypto::{EncryptionSettings, OlmMachine};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Alice: a signed-in client and her device's crypto.
struct Sender {
    client: Client,
    machine: OlmMachine,
}

impl Sender {
    async fn new(hs: &Homeserver, name: &str) -> Sender {
        let (client, _, _) = hs.signed_in(name).await;
        let session = client.session().unwrap();
        let user_id = OwnedUserId::try_from(session.user_id.as_str()).unwrap();
        let machine = OlmMachine::new(&user_id, session.device_id.as_str().into()).await;
        send_outgoing(&machine, client.session_client()).await.unwrap();
        Sender { client, machine }
    }

    /// Shares the room's Megolm key with every device of `users`, then sends `text` encrypted.
    async fn send_encrypted(&self, room_id: &str, users: &[&str], text: &str) -> String {
        let room = OwnedRoomId::try_from(room_id).unwrap();
        let users: Vec<OwnedUserId> = users.iter().map(|u| OwnedUserId::try_from(*u).unwrap()).collect();
        let session = self.client.session_client();
        self.machine
            .update_tracked_users(users.iter().map(|u| u.as_ref()))
            .await
            .unwrap();
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
        let shares = self
            .machine
            .share_room_key(
                &room,
                users.iter().map(|u| u.as_ref()),
                EncryptionSettings::default(),
            )
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
        matrix_push_tests::send_event(&self.client, room_id, "m.room.encrypted", content).await
    }
}

/// Alice, Bob (his laptop a plain client, his phone an app with built-in encryption that signed
/// in — publishing its device's keys — and stopped), and an encrypted DM between them that Bob
/// joined on his laptop.
struct Scene {
    hs: Homeserver,
    alice: Sender,
    alice_id: String,
    bob_id: String,
    store_dir: PathBuf,
    sessions: Arc<dyn SessionStore>,
    room: String,
}

impl Scene {
    async fn new(name: &str) -> Scene {
        let hs = Homeserver::main();
        let alice = Sender::new(&hs, &format!("{name}alice")).await;
        let alice_id = alice.client.session().unwrap().user_id;
        let (laptop, bob_id, password) = hs.signed_in(&format!("{name}bob")).await;
        let store_dir = temp_dir("e2ee-phone");
        let sessions: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
        let app = phone_client(&hs, &store_dir, &sessions);
        app.login_password(
            &matrix_push::session::LoginIdentifier::User(bob_id.clone()),
            &matrix_push::secret::Secret::new(password),
        )
        .await
        .unwrap();
        let room = create_room(
            &alice.client,
            json!({"invite": [bob_id], "is_direct": true, "preset": "private_chat",
                   "initial_state": [{"type": "m.room.encryption", "state_key": "",
                                      "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]}),
        )
        .await;
        join(&laptop, &room).await;
        Scene {
            hs,
            alice,
            alice_id,
            bob_id,
            store_dir,
            sessions,
            room,
        }
    }

    /// Alice sends `text` encrypted, sharing the room key with the devices of `users`.
    async fn send(&self, users: &[&str], text: &str) -> String {
        self.alice.send_encrypted(&self.room, users, text).await
    }

    /// A fresh client on the phone's store: what a notification extension starts with.
    fn extension(&self) -> Client {
        let client = phone_client(&self.hs, &self.store_dir, &self.sessions);
        client.restore_session().unwrap().unwrap();
        client
    }

    /// What a fresh extension shows for the push of `event_id`.
    async fn shown(&self, event_id: &str) -> Notification {
        let data = HashMap::from([
            ("event_id".to_owned(), event_id.to_owned()),
            ("room_id".to_owned(), self.room.clone()),
            ("prio".to_owned(), "high".to_owned()),
        ]);
        let payload = decode_string_map(Provider::Fcm, &data).unwrap();
        match self
            .extension()
            .handle_push(&payload, Duration::from_secs(10))
            .await
        {
            Outcome::Show(n) => n,
            other => panic!("{other:?}"),
        }
    }
}

/// A client on the phone's store and session store, with built-in encryption.
fn phone_client(hs: &Homeserver, store_dir: &PathBuf, sessions: &Arc<dyn SessionStore>) -> Client {
    Client::builder(hs.url.clone())
        .store_dir(store_dir)
        .session_store(sessions.clone())
        .encryption(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_key_sent_while_the_app_was_not_running_decrypts_the_push_in_a_fresh_extension() {
    let s = Scene::new("e2ee").await;
    let text = format!("the falcon lands at dawn {}", matrix_push_tests::unique("t"));
    let event_id = s.send(&[&s.alice_id, &s.bob_id], &text).await;
    let n = s.shown(&event_id).await;
    assert_eq!(n.body, text);
    assert_eq!(
        n.kind,
        NotificationKind::Message {
            msgtype: "m.text".into()
        }
    );
}

#[tokio::test]
async fn a_key_the_app_already_took_in_decrypts_from_the_shared_store() {
    let s = Scene::new("e2eewarm").await;
    let text = format!("warm {}", matrix_push_tests::unique("t"));
    let event_id = s.send(&[&s.alice_id, &s.bob_id], &text).await;

    // The app is open: its rules sync takes the to-device key in (and its position acknowledges
    // it, so the server will not hand it out again).
    let app = s.extension();
    app.sync_push_rules_once(Duration::ZERO).await.unwrap();
    app.sync_push_rules_once(Duration::ZERO).await.unwrap();

    // The extension finds the key in the store both processes share.
    assert_eq!(s.shown(&event_id).await.body, text);
}

#[tokio::test]
async fn a_mention_inside_the_ciphertext_is_decided_on_the_cleartext() {
    let s = Scene::new("e2eemention").await;
    // The legacy display-name mention: the server cannot see it, the phone can.
    let text = format!("{}, look at this", s.bob_id);
    let event_id = s.send(&[&s.alice_id, &s.bob_id], &text).await;
    let n = s.shown(&event_id).await;
    assert_eq!(n.body, text);
    assert!(n.highlight, "judged on the cleartext: {n:?}");
}

#[tokio::test]
async fn a_key_never_shared_shows_the_encrypted_notification_never_silence() {
    let s = Scene::new("e2eewithheld").await;
    // Shared with Alice's own devices only.
    let event_id = s.send(&[&s.alice_id], "not for the phone").await;
    let n = s.shown(&event_id).await;
    assert_eq!(
        (n.kind, n.body.as_str()),
        (NotificationKind::Encrypted, "Encrypted message")
    );
    assert_eq!(
        n.undecryptable,
        Some(UndecryptableReason::MissingRoomKey { withheld_code: None })
    );
    assert!(n.is_noisy, "an encrypted DM still rings");
}
