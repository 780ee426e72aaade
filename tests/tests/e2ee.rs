//! Built-in encryption against a real Synapse, with real crypto clients: Alice's device and
//! Bob's laptop are `OlmMachine`s of the same crates (no canned ciphertext). Alice shares a
//! Megolm room key with Bob's SDK device by to-device while his app is not running, then sends
//! an encrypted message; the push is resolved by a fresh, extension-like client on Bob's store,
//! which takes the key from the push's own sync (or, after recovery, from the key backup his
//! laptop keeps) and shows the cleartext.

use matrix_push::Client;
use matrix_push::crypto::CryptoError;
use matrix_push::decryption::UndecryptableReason;
use matrix_push::http::Method;
use matrix_push::notify::{Notification, NotificationKind, Outcome};
use matrix_push::payload::{Provider, decode_string_map};
use matrix_push::secret::Secret;
use matrix_push::session::{KeyringSessionStore, SessionStore};
use matrix_push_tests::e2ee::{CryptoDevice, create_encrypted_dm};
use matrix_push_tests::{Homeserver, create_room, join, send_event, send_state, temp_dir};
use matrix_sdk_crypto::CollectStrategy;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Alice, Bob (his laptop a crypto client, his phone an app with built-in encryption that signed
/// in — publishing its device's keys — and stopped), and an encrypted DM between them that Bob
/// joined on his laptop.
struct Scene {
    hs: Homeserver,
    alice: CryptoDevice,
    laptop: CryptoDevice,
    alice_id: String,
    bob_id: String,
    store_dir: PathBuf,
    sessions: Arc<dyn SessionStore>,
    /// Where the phone's session is kept (`KeyringSessionStore`), for a process of its own.
    keyring_account: String,
    alice_password: String,
    room: String,
}

impl Scene {
    async fn new(name: &str) -> Scene {
        let hs = Homeserver::main();
        let (alice, _, alice_password) = hs.signed_in(&format!("{name}alice")).await;
        let alice = CryptoDevice::new(alice).await;
        let alice_id = alice.user_id();
        let (laptop, bob_id, password) = hs.signed_in(&format!("{name}bob")).await;
        let store_dir = temp_dir("e2ee-phone");
        let keyring_account = matrix_push_tests::unique("e2ee-phone");
        let sessions: Arc<dyn SessionStore> =
            Arc::new(KeyringSessionStore::new(KEYRING_SERVICE, &keyring_account));
        let app = phone_client(&hs, &store_dir, &sessions);
        app.login_password(
            &matrix_push::session::LoginIdentifier::User(bob_id.clone()),
            &Secret::new(password),
        )
        .await
        .unwrap();
        let room = create_encrypted_dm(&alice.client, &bob_id).await;
        join(&laptop, &room).await;
        Scene {
            hs,
            alice,
            laptop: CryptoDevice::new(laptop).await,
            alice_id,
            bob_id,
            store_dir,
            sessions,
            keyring_account,
            alice_password,
            room,
        }
    }

    /// Alice sends `text` encrypted, sharing the room key with every device of `users`.
    async fn send(&self, users: &[&str], text: &str) -> String {
        self.alice
            .send_encrypted(&self.room, users, text, CollectStrategy::AllDevices)
            .await
    }

    /// A new device of Alice sends `text` to Bob: it claims one of the phone's one-time keys and
    /// shares a Megolm session of its own.
    async fn send_from_a_new_device(&self, text: &str) -> String {
        let device = self.hs.another_device(&self.alice_id, &self.alice_password).await;
        CryptoDevice::new(device)
            .await
            .send_encrypted(&self.room, &[&self.bob_id], text, CollectStrategy::AllDevices)
            .await
    }

    /// Alice sends `text` encrypted to Bob and herself, sharing the room key only with devices
    /// their owner cross-signed (MSC4153's "exclude insecure devices").
    async fn send_to_verified(&self, text: &str) -> String {
        self.alice
            .send_encrypted(
                &self.room,
                &[&self.alice_id, &self.bob_id],
                text,
                CollectStrategy::IdentityBasedStrategy,
            )
            .await
    }

    /// Alice claims `n` of the one-time keys of Bob's device `device_id` (as that many new
    /// senders would); the keys the server handed out (`None` when it had none left).
    async fn claim_one_time_keys(&self, device_id: &str, n: usize) -> Vec<Option<serde_json::Value>> {
        let mut claimed = Vec::new();
        for _ in 0..n {
            let answer = self
                .alice
                .client
                .session_client()
                .send(
                    Method::Post,
                    "keys/claim",
                    Some(json!({"one_time_keys": {&self.bob_id: {device_id: "signed_curve25519"}}})),
                )
                .await
                .unwrap();
            let keys = answer["one_time_keys"][&self.bob_id][device_id].as_object();
            claimed.push(keys.and_then(|keys| keys.values().next().cloned()));
        }
        claimed
    }

    /// A fresh client on the phone's store: what a notification extension starts with.
    fn extension(&self) -> Client {
        let client = phone_client(&self.hs, &self.store_dir, &self.sessions);
        client.restore_session().unwrap().unwrap();
        client
    }

    /// The push of `event_id` handled by a process of its own (an extension's launch): the
    /// child, which prints one JSON line with its outcome (`show:<body>`).
    fn extension_process(&self, event_id: &str) -> std::process::Child {
        let payload = json!({"event_id": event_id, "room_id": self.room, "prio": "high"});
        std::process::Command::new(env!("CARGO_BIN_EXE_nse-launch"))
            .args([
                self.hs.url.as_str(),
                self.store_dir.to_str().unwrap(),
                KEYRING_SERVICE,
                &self.keyring_account,
                &payload.to_string(),
                "e2ee",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
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

const KEYRING_SERVICE: &str = "io.matrixpush.tests.e2ee";

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

#[tokio::test]
async fn after_recovery_a_key_only_in_the_backup_decrypts_and_senders_excluding_unverified_devices_share() {
    let s = Scene::new("e2eerecover").await;
    // Bob set up recovery on his laptop; Alice shares only with devices their owner verified.
    let recovery_key = s.laptop.set_up_recovery().await;
    s.alice.set_up_cross_signing().await;
    let before = s
        .send_to_verified(&format!("before {}", matrix_push_tests::unique("t")))
        .await;
    let in_backup = format!("kept in the backup {}", matrix_push_tests::unique("t"));
    let backed_up = s.send_to_verified(&in_backup).await;
    // The laptop receives the key and backs it up.
    s.laptop.sync().await;

    // Not verified yet: the phone was left out, and says so.
    let n = s.shown(&before).await;
    assert_eq!(n.kind, NotificationKind::Encrypted);
    assert_eq!(
        n.undecryptable,
        Some(UndecryptableReason::MissingRoomKey {
            withheld_code: Some("m.unverified".into())
        })
    );

    let app = s.extension();
    let wrong = app.recover(&Secret::new("EsTc not the key")).await;
    assert!(matches!(wrong, Err(CryptoError::WrongRecoveryKey)), "{wrong:?}");
    let recovery = app.recover(&Secret::new(recovery_key)).await.unwrap();
    assert!(recovery.cross_signed, "{recovery:?}");
    assert!(recovery.backup_version.is_some(), "{recovery:?}");

    // The key never came to the phone: it is read from the backup for the push.
    assert_eq!(s.shown(&backed_up).await.body, in_backup);

    // Now cross-signed, the phone is one of the devices Alice shares with.
    let after = format!("after recovery {}", matrix_push_tests::unique("t"));
    let event_id = s.send_to_verified(&after).await;
    assert_eq!(s.shown(&event_id).await.body, after);
}

#[tokio::test]
async fn recovery_on_an_account_without_secret_storage_says_so() {
    let s = Scene::new("e2eenostorage").await;
    let outcome = s.extension().recover(&Secret::new("EsTc whatever")).await;
    assert!(
        matches!(outcome, Err(CryptoError::NoSecretStorage)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_app_and_extensions_at_once_lose_no_room_key_and_reuse_no_one_time_key() {
    let s = Scene::new("e2eeprocs").await;
    let app = s.extension();
    let phone_device = app.session().unwrap().device_id;
    let log = matrix_push_tests::synapse_log("main");
    let log_from = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    for round in 0..2 {
        // Most of the phone's one-time keys claimed (as many new senders would): every process
        // that sees the low count next uploads new ones.
        s.claim_one_time_keys(&phone_device, 30).await;
        // New devices of Alice: each claims one of the phone's one-time keys and shares a
        // Megolm session of its own, so each push brings a new Olm session and a new room key.
        let mut sent = Vec::new();
        for device in 0..3 {
            let text = format!("round {round} device {device} {}", matrix_push_tests::unique("t"));
            sent.push((s.send_from_a_new_device(&text).await, text));
        }
        // Every push in a process of its own, while the app syncs in this one: all take the
        // same to-device messages in, and all may upload one-time keys.
        let children: Vec<_> = sent
            .iter()
            .map(|(event_id, _)| s.extension_process(event_id))
            .collect();
        app.sync_push_rules_once(Duration::ZERO).await.unwrap();
        let outputs: Vec<_> = children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect();
        // And once more after them, with what the app opened before they wrote.
        app.sync_push_rules_once(Duration::ZERO).await.unwrap();
        for (output, (_, text)) in outputs.into_iter().zip(&sent) {
            let line = String::from_utf8(output.stdout).unwrap();
            let report: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
            assert_eq!(
                report["outcome"].as_str(),
                Some(format!("show:{text}").as_str()),
                "round {round}: {report}"
            );
        }
    }
    // Synapse refuses a one-time key whose id it holds with other key material (a process that
    // generated keys from a stale account): every upload of the phone's was accepted.
    let phone_user = app.session().unwrap().user_id.to_string();
    let written = std::fs::read(&log).unwrap();
    let uploads: Vec<String> = String::from_utf8_lossy(&written[log_from as usize..])
        .lines()
        .filter(|line| line.contains(&format!("{{{phone_user}}}")) && line.contains("/keys/upload"))
        .map(str::to_owned)
        .collect();
    assert!(
        uploads.len() >= 2,
        "the phone's key uploads in {}: {uploads:?}",
        log.display()
    );
    let refused: Vec<&String> = uploads.iter().filter(|l| !l.contains(" 200 \"POST")).collect();
    assert!(refused.is_empty(), "uploads refused: {refused:#?}");
    // Had a process uploaded one-time keys from a stale account (or saved one over the other's),
    // a claim would get a key the phone no longer has, and that Olm session (and its room key)
    // would fail: the newest keys are claimed next.
    for late in 0..3 {
        let text = format!("after the crowd {late} {}", matrix_push_tests::unique("t"));
        let event_id = s.send_from_a_new_device(&text).await;
        assert_eq!(s.shown(&event_id).await.body, text);
    }
}

/// Senders use up the phone's one-time keys by starting Olm sessions with it, which arrive as
/// to-device messages: the push after such messages asks for the key counts and tops them up. A
/// push in a quiet stretch (no to-device messages, counts asked minutes ago) does not ask: on
/// Synapse that part of the answer costs a quarter of a round trip. The app's sync asks always.
#[tokio::test]
async fn claimed_one_time_keys_are_topped_up_after_to_device_messages_and_by_the_app() {
    let s = &Scene::new("e2eeotk").await;
    let phone = s.extension();
    let phone_device = &phone.session().unwrap().device_id;
    let keys_left = || one_time_keys_left(&phone);
    let claim = |n: usize| s.claim_one_time_keys(phone_device, n);
    let push = |text: &'static str| async move {
        let event_id = s.send(&[&s.alice_id, &s.bob_id], text).await;
        assert_eq!(s.shown(&event_id).await.body, text);
    };
    // The first push asks; its room key came by to-device, so the next one asks too.
    claim(10).await;
    push("first").await;
    assert_eq!(keys_left().await, 50, "the first push asks for the counts");
    push("second").await;
    // A quiet stretch: the room key is known, nothing arrives by to-device.
    claim(30).await;
    push("third").await;
    assert_eq!(
        keys_left().await,
        20,
        "no to-device messages since the counts were asked"
    );
    // A new sender's Olm session arrives by to-device: the push after it tops the keys up.
    let event_id = s.send_from_a_new_device("from a new device").await;
    assert_eq!(s.shown(&event_id).await.body, "from a new device");
    push("after the new device").await;
    assert_eq!(keys_left().await, 50, "asked after to-device messages");
    // The app's own sync asks every time.
    claim(5).await;
    s.extension().sync_push_rules_once(Duration::ZERO).await.unwrap();
    assert_eq!(keys_left().await, 50, "the app's sync asks every time");
}

/// How many one-time keys of `phone`'s device the server has left to hand out.
async fn one_time_keys_left(phone: &Client) -> u64 {
    // An upload of nothing answers the counts and changes nothing.
    let counts = phone
        .session_client()
        .send(Method::Post, "keys/upload", Some(json!({})))
        .await
        .unwrap();
    counts["one_time_key_counts"]["signed_curve25519"]
        .as_u64()
        .unwrap_or(0)
}

/// Sign-in uploads a fallback key with the one-time keys: a sender who finds every one-time key
/// claimed before the phone synced again (many new senders while it was off) still starts an
/// Olm session with it — through the fallback key — and its room key arrives.
#[tokio::test]
async fn after_sign_in_a_sender_finding_the_one_time_keys_used_up_gets_the_fallback_key() {
    let s = Scene::new("e2eefallback").await;
    let phone = s.extension();
    let phone_device = phone.session().unwrap().device_id;
    // Nothing of the phone's has synced since it signed in: every key is the sign-in's.
    let left = one_time_keys_left(&phone).await;
    assert!(left > 0, "sign-in uploads one-time keys");
    let claimed = s.claim_one_time_keys(&phone_device, left as usize).await;
    assert!(
        claimed
            .iter()
            .all(|key| key.as_ref().is_some_and(|key| key.get("fallback").is_none())),
        "one-time keys first: {claimed:?}"
    );
    let fallback = s.claim_one_time_keys(&phone_device, 1).await.remove(0);
    assert_eq!(
        fallback.as_ref().and_then(|key| key["fallback"].as_bool()),
        Some(true),
        "with the one-time keys used up, the fallback key: {fallback:?}"
    );
    // A new device of Alice claims the fallback key too, and its room key decrypts the push.
    let text = format!("through the fallback key {}", matrix_push_tests::unique("t"));
    let event_id = s.send_from_a_new_device(&text).await;
    assert_eq!(s.shown(&event_id).await.body, text);
}

/// A push in a room the phone knows to be unencrypted leaves the crypto store closed (an
/// extension's memory); should the room turn encrypted, the next push learns it from its own
/// sync, takes the room key from its to-device messages and decrypts all the same.
#[tokio::test]
async fn a_room_that_turns_encrypted_decrypts_after_pushes_that_left_the_crypto_store_closed() {
    let s = Scene::new("e2eeturns").await;
    let room = create_room(
        &s.alice.client,
        json!({"invite": [&s.bob_id], "preset": "private_chat"}),
    )
    .await;
    join(&s.laptop.client, &room).await;
    let shown = async |event_id: &str| {
        let data = HashMap::from([
            ("event_id".to_owned(), event_id.to_owned()),
            ("room_id".to_owned(), room.clone()),
        ]);
        let payload = decode_string_map(Provider::Fcm, &data).unwrap();
        let extension = s.extension();
        let outcome = extension.handle_push(&payload, Duration::from_secs(10)).await;
        let opened = extension.encryption().unwrap().is_open();
        match outcome {
            Outcome::Show(n) => (n.body, opened),
            other => panic!("{other:?}"),
        }
    };
    let plain = |text: &'static str| {
        send_event(
            &s.alice.client,
            &room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": text}),
        )
    };
    // The first push in the room does not know yet: it opens the store ahead.
    let (body, _) = shown(&plain("first, in the clear").await).await;
    assert_eq!(body, "first, in the clear");
    let (body, opened) = shown(&plain("second, in the clear").await).await;
    assert_eq!(body, "second, in the clear");
    assert!(
        !opened,
        "a push in a room known to be unencrypted leaves the crypto store closed"
    );
    // Alice turns encryption on and sends; the room key reaches the phone by to-device.
    send_state(
        &s.alice.client,
        &room,
        "m.room.encryption",
        "",
        json!({"algorithm": "m.megolm.v1.aes-sha2"}),
    )
    .await;
    let text = format!("now encrypted {}", matrix_push_tests::unique("t"));
    let event_id = s
        .alice
        .send_encrypted(
            &room,
            &[&s.alice_id, &s.bob_id],
            &text,
            CollectStrategy::AllDevices,
        )
        .await;
    let (body, opened) = shown(&event_id).await;
    assert_eq!(body, text);
    assert!(opened);
}

/// Kotlin's `close()`, a garbage collector or Swift's last release frees a client on a thread of
/// the app's, outside any runtime; the crypto store it opened must close there too.
#[test]
fn a_client_whose_crypto_store_is_open_can_be_dropped_outside_any_runtime() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = runtime.block_on(async {
        let s = Scene::new("e2eedrop").await;
        let event_id = s.send(&[&s.alice_id, &s.bob_id], "dropped after").await;
        let client = s.extension();
        let payload = decode_string_map(
            Provider::Fcm,
            &HashMap::from([
                ("event_id".to_owned(), event_id),
                ("room_id".to_owned(), s.room.clone()),
            ]),
        )
        .unwrap();
        let outcome = client.handle_push(&payload, Duration::from_secs(10)).await;
        assert!(matches!(outcome, Outcome::Show(_)), "{outcome:?}");
        client
    });
    drop(client);
    drop(runtime);
}
