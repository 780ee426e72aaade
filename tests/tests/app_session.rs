//! A client on the session of the app's own Matrix SDK (`ClientBuilder::app_session`), against a
//! real Synapse: the app's device and tokens are used, the app's SDK alone refreshes (here another
//! `Client` plays that SDK, with its refresh token), and signing in or out is refused.

use matrix_push::Client;
use matrix_push::http::Method;
use matrix_push::notify::Outcome;
use matrix_push::payload::{Provider, decode_string_map};
use matrix_push::secret::Secret;
use matrix_push::session::{SessionError, TokenProvider};
use matrix_push_tests::{Homeserver, create_room, join, send_event, temp_dir};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Access tokens from the test server live 15 s (`refreshable_access_token_lifetime`).
const TOKEN_LIFETIME: Duration = Duration::from_secs(15);

/// The app's SDK as matrix-push sees it: its current token, and a refresh on request.
struct AppSdk {
    client: Client,
    refresh_requests: AtomicU32,
    /// Answer "the session has ended" to a refresh request.
    ended: bool,
}

impl AppSdk {
    /// `ended`: answer every refresh request with "the session has ended".
    fn new(client: Client, ended: bool) -> Arc<AppSdk> {
        Arc::new(AppSdk {
            client,
            refresh_requests: AtomicU32::new(0),
            ended,
        })
    }
}

#[async_trait::async_trait]
impl TokenProvider for AppSdk {
    fn access_token(&self) -> Option<Secret> {
        self.client.session().map(|session| session.access_token)
    }

    async fn refreshed_token(&self, _failed: &Secret) -> Option<Secret> {
        self.refresh_requests.fetch_add(1, Ordering::SeqCst);
        if self.ended {
            return None;
        }
        // Any request refreshes an expired token inside the app's SDK.
        self.client.whoami().await.ok()?;
        self.access_token()
    }
}

fn push_client(hs: &Homeserver, sdk: &Arc<AppSdk>) -> Client {
    let session = sdk.client.session().unwrap();
    Client::builder(hs.url.clone())
        .store_dir(temp_dir("app-session"))
        .app_session(&session.user_id, &session.device_id, sdk.clone())
        .build()
        .unwrap()
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
    let sdk = AppSdk::new(client, false);
    let device_id = sdk.client.session().unwrap().device_id;
    let devices_before = devices(&sdk.client).await;
    let push = push_client(&hs, &sdk);

    // The app's device, not one of its own.
    assert_eq!(push.whoami().await.unwrap(), (user_id.clone(), Some(device_id)));
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
        sdk.client.session_client().refresh_count(),
        1,
        "the app's SDK refreshed"
    );
    assert_eq!(push.session_client().refresh_count(), 0);

    // Signing out here would delete the app's device: refused, and the device lives on.
    assert!(matches!(push.logout().await, Err(SessionError::OwnedByApp)));
    sdk.client.whoami().await.unwrap();
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
    let sdk = AppSdk::new(client, true);
    let push = push_client(&hs, &sdk);
    push.whoami().await.unwrap();
    tokio::time::sleep(TOKEN_LIFETIME + Duration::from_secs(1)).await;
    assert!(matches!(push.whoami().await, Err(SessionError::LoggedOut)));
    assert_eq!(sdk.refresh_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_user_id_that_is_not_one_is_refused_when_building() {
    let hs = Homeserver::main();
    let (client, _, _) = hs.signed_in("appbadid").await;
    let sdk = AppSdk::new(client, false);
    let built = Client::builder(hs.url.clone())
        .store_dir(temp_dir("app-session-bad"))
        .app_session("alice", "DEVICE", sdk)
        .build();
    assert!(matches!(
        built,
        Err(matrix_push::client::BuildError::InvalidUserId(_))
    ));
}

#[tokio::test]
async fn pushes_and_rule_syncs_leave_the_apps_to_device_messages_to_the_app() {
    let hs = Homeserver::main();
    let (client, user_id, _) = hs.signed_in("apptodevice").await;
    let (alice, _, _) = hs.signed_in("apptodevicealice").await;
    let sdk = AppSdk::new(client, false);
    let device_id = sdk.client.session().unwrap().device_id;
    let room = create_room(&alice, json!({"invite": [user_id], "is_direct": true})).await;
    join(&sdk.client, &room).await;
    // The app's SDK has synced up to here.
    let app_sync = |since: Option<String>| {
        let sdk = sdk.clone();
        async move {
            let mut url = sdk.client.session_client().url("sync");
            url.query_pairs_mut().append_pair("timeout", "0");
            if let Some(since) = since {
                url.query_pairs_mut().append_pair("since", &since);
            }
            let request = matrix_push::http::Request::new(Method::Get, url);
            sdk.client.session_client().send_request(request).await.unwrap()
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
        let data = HashMap::from([
            ("event_id".to_owned(), event_id),
            ("room_id".to_owned(), room.clone()),
            ("prio".to_owned(), "high".to_owned()),
        ]);
        let payload = decode_string_map(Provider::Fcm, &data).unwrap();
        match push.handle_push(&payload, Duration::from_secs(10)).await {
            Outcome::Show(n) => assert_eq!(n.body, text),
            other => panic!("{other:?}"),
        }
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
