//! A client on the session of the app's own Matrix SDK (`ClientBuilder::app_session`), against a
//! real Synapse: the app's device and tokens are used, the app's SDK alone refreshes (here another
//! `Client` plays that SDK, with its refresh token, and an `OlmMachine` its crypto), encrypted
//! pushes decrypt with the app's own keys, and signing in or out is refused.

use matrix_push::Client;
use matrix_push::http::Method;
use matrix_push::ids::UserId;
use matrix_push::notify::{EventDecryptor, NotificationKind, Outcome};
use matrix_push::payload::{Provider, decode_string_map};
use matrix_push::secret::Secret;
use matrix_push::session::{SessionError, TokenProvider};
use matrix_push_tests::e2ee::{CryptoDevice, create_encrypted_dm};
use matrix_push_tests::{Homeserver, create_room, join, send_event, temp_dir, unique};
use matrix_sdk_crypto::CollectStrategy;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Access tokens from the test server live 15 s (`refreshable_access_token_lifetime`).
const TOKEN_LIFETIME: Duration = Duration::from_secs(15);

/// The app's SDK as matrix-push sees it: its device (a crypto device, as a Matrix SDK's is), its
/// current token and a refresh on request, and decryption with its own room keys.
struct AppSdk {
    device: CryptoDevice,
    refresh_requests: AtomicU32,
    /// Answer "the session has ended" to a refresh request.
    ended: bool,
    /// Syncs the app's SDK made to find a room key a push needed.
    key_syncs: AtomicU32,
}

impl AppSdk {
    /// `ended`: answer every refresh request with "the session has ended".
    async fn new(client: Client, ended: bool) -> Arc<AppSdk> {
        Arc::new(AppSdk {
            device: CryptoDevice::new(client).await,
            refresh_requests: AtomicU32::new(0),
            ended,
            key_syncs: AtomicU32::new(0),
        })
    }

    /// The app's SDK's connection (its session, with its refresh token).
    fn client(&self) -> &Client {
        &self.device.client
    }
}

#[async_trait::async_trait]
impl TokenProvider for AppSdk {
    fn access_token(&self) -> Option<Secret> {
        self.client().session().map(|session| session.access_token)
    }

    async fn refreshed_token(&self, _failed: &Secret) -> Option<Secret> {
        self.refresh_requests.fetch_add(1, Ordering::SeqCst);
        if self.ended {
            return None;
        }
        // Any request refreshes an expired token inside the app's SDK.
        self.client().whoami().await.ok()?;
        self.access_token()
    }
}

/// What an app's SDK does for a notification: decrypt with the keys it has; without the key,
/// sync its device (the room key may have come by to-device since the app last ran) and try
/// again — all within the time the push has left.
#[async_trait::async_trait]
impl EventDecryptor for AppSdk {
    async fn decrypt(&self, room_id: &str, event: &Value, time_left: Duration) -> Option<Value> {
        let decrypt = self.device.decrypt_syncing_once(room_id, event, || {
            self.key_syncs.fetch_add(1, Ordering::SeqCst);
        });
        tokio::time::timeout(time_left, decrypt).await.ok().flatten()
    }
}

/// A client on the app's session, decrypting with the app's SDK.
fn push_client(hs: &Homeserver, sdk: &Arc<AppSdk>) -> Client {
    let session = sdk.client().session().unwrap();
    Client::builder(hs.url.clone())
        .store_dir(temp_dir("app-session"))
        .app_session(session.user_id.clone(), &session.device_id, sdk.clone())
        .event_decryptor(sdk.clone())
        .build()
        .unwrap()
}

/// What `push` makes of the push of `event_id` in `room` (it must be shown).
async fn shown(push: &Client, room: &str, event_id: &str) -> matrix_push::notify::Notification {
    let data = HashMap::from([
        ("event_id".to_owned(), event_id.to_owned()),
        ("room_id".to_owned(), room.to_owned()),
        ("prio".to_owned(), "high".to_owned()),
    ]);
    let payload = decode_string_map(Provider::Fcm, &data).unwrap();
    match push.handle_push(&payload, Duration::from_secs(10)).await {
        Outcome::Show(n) => n,
        other => panic!("{other:?}"),
    }
}

/// The account's device ids, sorted.
async fn devices(client: &Client) -> Vec<String> {
    let body = client
        .session_client()
        .send(Method::Get, "devices", None)
        .await
        .unwrap();
    let mut ids: Vec<String> = body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|device| device["device_id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_apps_session_is_used_and_refreshed_only_by_the_app() {
    let hs = Homeserver::main();
    let (client, user_id, _) = hs.signed_in("appsdk").await;
    let sdk = AppSdk::new(client, false).await;
    let device_id = sdk.client().session().unwrap().device_id;
    let devices_before = devices(sdk.client()).await;
    let push = push_client(&hs, &sdk);

    // The app's device, not one of its own.
    assert_eq!(
        push.whoami().await.unwrap(),
        (UserId::parse(user_id.clone()).unwrap(), Some(device_id))
    );
    assert_eq!(devices(&push).await, devices_before, "no device of its own");

    // The token expires: the app's SDK is asked once, for requests in parallel too, and
    // refreshes; matrix-push never does.
    tokio::time::sleep(TOKEN_LIFETIME + Duration::from_secs(1)).await;
    let (a, b, c) = tokio::join!(push.whoami(), push.whoami(), push.whoami());
    for answer in [a, b, c] {
        assert_eq!(answer.unwrap().0, user_id);
    }
    assert_eq!(sdk.refresh_requests.load(Ordering::SeqCst), 1);
    assert_eq!(
        sdk.client().session_client().refresh_count(),
        1,
        "the app's SDK refreshed"
    );
    assert_eq!(push.session_client().refresh_count(), 0);

    // Signing out here would delete the app's device: refused, and the device lives on.
    assert!(matches!(push.logout().await, Err(SessionError::OwnedByApp)));
    sdk.client().whoami().await.unwrap();
    let password = Secret::new("irrelevant");
    let identifier = matrix_push::session::LoginIdentifier::User(user_id);
    assert!(matches!(
        push.login_password(&identifier, &password).await,
        Err(SessionError::OwnedByApp)
    ));
}

#[tokio::test]
async fn a_session_the_app_ended_is_logged_out_here_too() {
    let hs = Homeserver::main();
    let (client, _, _) = hs.signed_in("appended").await;
    let sdk = AppSdk::new(client, true).await;
    let push = push_client(&hs, &sdk);
    push.whoami().await.unwrap();
    tokio::time::sleep(TOKEN_LIFETIME + Duration::from_secs(1)).await;
    assert!(matches!(push.whoami().await, Err(SessionError::LoggedOut)));
    assert_eq!(sdk.refresh_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn pushes_and_rule_syncs_leave_the_apps_to_device_messages_to_the_app() {
    let hs = Homeserver::main();
    let (client, user_id, _) = hs.signed_in("apptodevice").await;
    let (alice, _, _) = hs.signed_in("apptodevicealice").await;
    let sdk = AppSdk::new(client, false).await;
    let device_id = sdk.client().session().unwrap().device_id;
    let room = create_room(&alice, json!({"invite": [user_id], "is_direct": true})).await;
    join(sdk.client(), &room).await;
    // The app's SDK has synced up to here.
    let app_sync = |since: Option<String>| {
        let sdk = sdk.clone();
        async move {
            let mut url = sdk.client().session_client().url("sync");
            url.query_pairs_mut().append_pair("timeout", "0");
            if let Some(since) = since {
                url.query_pairs_mut().append_pair("since", &since);
            }
            let request = matrix_push::http::Request::new(Method::Get, url);
            sdk.client().session_client().send_request(request).await.unwrap()
        }
    };
    let position = app_sync(None).await["next_batch"].as_str().unwrap().to_owned();

    // A room key (any to-device message) for the app's device, then two pushes and a rules
    // sync on the app's session: each would acknowledge it from a position.
    let to_device = json!({"messages": {user_id.clone(): {device_id.clone(): {"key": "for the app"}}}});
    alice
        .session_client()
        .send(
            Method::Put,
            "sendToDevice/io.matrixpush.test/app-todevice-1",
            Some(to_device),
        )
        .await
        .unwrap();
    let push = push_client(&hs, &sdk);
    for text in ["one", "two"] {
        let event_id = send_event(
            &alice,
            &room,
            "m.room.message",
            json!({"msgtype": "m.text", "body": text}),
        )
        .await;
        assert_eq!(shown(&push, &room, &event_id).await.body, text);
        push.sync_push_rules_once(Duration::ZERO).await.unwrap();
    }

    // The app's SDK still receives it.
    let answer = app_sync(Some(position)).await;
    let events = answer["to_device"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        events
            .iter()
            .any(|event| event["content"]["key"] == "for the app"),
        "the app's to-device message was acknowledged by matrix-push: {answer}"
    );
}

/// The app's own crypto, end to end: Alice's real crypto client sends Megolm messages while the
/// app is not running; the pushes are resolved on the app's session, whose token has expired
/// meanwhile, and decrypted by the app's SDK (an `OlmMachine` device that takes the room key
/// from its own sync). The rules are judged on the cleartext; the app's SDK alone refreshes,
/// once; the user has no device but the app's.
#[tokio::test]
async fn encrypted_pushes_decrypt_with_the_apps_crypto_on_its_refreshed_session() {
    let hs = Homeserver::main();
    let (alice, _, _) = hs.signed_in("appcryptoalice").await;
    let alice = CryptoDevice::new(alice).await;
    let alice_id = alice.user_id();
    let (client, bob_id, _) = hs.signed_in("appcryptobob").await;
    let sdk = AppSdk::new(client, false).await;
    let device_id = sdk.client().session().unwrap().device_id;
    let room = create_encrypted_dm(&alice.client, &bob_id).await;
    join(sdk.client(), &room).await;
    // The app's device, and the one the test server's admin registration left.
    let devices_before = devices(sdk.client()).await;
    assert!(devices_before.contains(&device_id));
    let push = push_client(&hs, &sdk);

    // The app is not running: its access token expires, and what Alice sends waits on the
    // server — the room key by to-device for the app's device.
    tokio::time::sleep(TOKEN_LIFETIME + Duration::from_secs(1)).await;
    let send = |text: String| {
        let (alice, room, users) = (&alice, &room, [alice_id.as_str(), bob_id.as_str()]);
        async move {
            let event_id = alice
                .send_encrypted(room, &users, &text, CollectStrategy::AllDevices)
                .await;
            (event_id, text)
        }
    };
    let (plain_id, plain) = send(format!("the app's own crypto {}", unique("t"))).await;
    // A mention only the cleartext shows (the body names Bob): the server cannot see it.
    let (mention_id, mention) = send(format!("{bob_id}, look at this")).await;

    let n = shown(&push, &room, &plain_id).await;
    assert_eq!(n.body, plain);
    assert_eq!(
        n.kind,
        NotificationKind::Message {
            msgtype: "m.text".into()
        }
    );
    assert!(!n.highlight, "{n:?}");
    assert_eq!(
        sdk.key_syncs.load(Ordering::SeqCst),
        1,
        "the room key came with the app SDK's own sync"
    );
    let n = shown(&push, &room, &mention_id).await;
    assert_eq!(n.body, mention);
    assert!(n.highlight, "judged on the cleartext: {n:?}");

    // One refresh, asked of the app's SDK and made by it; none here.
    assert_eq!(sdk.refresh_requests.load(Ordering::SeqCst), 1);
    assert_eq!(sdk.client().session_client().refresh_count(), 1);
    assert_eq!(push.session_client().refresh_count(), 0);
    // No device of matrix-push's own: the user's devices are the ones they had.
    assert_eq!(devices(&push).await, devices_before);
}
