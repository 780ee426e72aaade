//! Pushers against a real Synapse: set, list, remove, `ensure` (idempotent, restores a pusher
//! removed behind the app's back), `rotate` (no stale pusher, also across registration kinds),
//! and validation before any request.

use matrix_push::Client;
use matrix_push::http::Method;
use matrix_push::pushers::{EnsureOutcome, Pusher, PusherError};
use matrix_push_tests::{Homeserver, temp_dir};
use serde_json::json;

const APP_ID: &str = "io.matrixpush.sample.android";
const GATEWAY: &str = "http://127.0.0.1:5000/_matrix/push/v1/notify";

fn pusher(token: &str) -> Pusher {
    let mut pusher = Pusher::new(token, APP_ID, GATEWAY);
    pusher.app_display_name = "matrix-push sample".into();
    pusher.device_display_name = "Pixel 9".into();
    pusher.profile_tag = Some("phone".into());
    pusher.lang = "en-GB".into();
    pusher.default_payload = Some(json!({"aps": {"mutable-content": 1}}));
    pusher
}

async fn pushkeys(client: &Client) -> Vec<String> {
    client
        .pushers()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.pushkey)
        .collect()
}

#[tokio::test]
async fn set_list_and_remove() {
    let (client, _, _) = Homeserver::main().signed_in("pushers").await;
    assert!(client.pushers().await.unwrap().is_empty());
    let wanted = pusher("fcm-token-1");
    client.set_pusher(&wanted).await.unwrap();
    let listed = client.pushers().await.unwrap();
    assert_eq!(
        listed,
        vec![wanted.clone()],
        "the server keeps every field, event_id_only included"
    );
    assert_eq!(listed[0].format.as_deref(), Some("event_id_only"));
    client.remove_pusher(APP_ID, "fcm-token-1").await.unwrap();
    assert!(client.pushers().await.unwrap().is_empty());
    client.remove_pusher(APP_ID, "fcm-token-1").await.unwrap();
}

#[tokio::test]
async fn ensure_is_idempotent_and_restores_a_dropped_pusher() {
    let hs = Homeserver::main();
    let (client, _, _) = hs.signed_in("ensure").await;
    let wanted = pusher("fcm-token-2");
    assert_eq!(
        client.ensure_pusher(&wanted).await.unwrap(),
        EnsureOutcome::Created
    );
    assert_eq!(
        client.ensure_pusher(&wanted).await.unwrap(),
        EnsureOutcome::Unchanged
    );
    let mut renamed = wanted.clone();
    renamed.device_display_name = "Pixel 10".into();
    assert_eq!(
        client.ensure_pusher(&renamed).await.unwrap(),
        EnsureOutcome::Updated
    );
    assert_eq!(client.pushers().await.unwrap(), vec![renamed.clone()]);
    // Another program (or the server after a gateway rejection) removes the pusher.
    let token = client.session().unwrap().access_token;
    hs.raw(
        Method::Post,
        "_matrix/client/v3/pushers/set",
        &token,
        Some(json!({"kind": null, "app_id": APP_ID, "pushkey": "fcm-token-2"})),
    )
    .await
    .unwrap();
    assert!(client.pushers().await.unwrap().is_empty());
    assert_eq!(
        client.ensure_pusher(&renamed).await.unwrap(),
        EnsureOutcome::Created
    );
    assert_eq!(client.pushers().await.unwrap(), vec![renamed]);
}

#[tokio::test]
async fn rotate_leaves_no_stale_pusher() {
    let (client, _, _) = Homeserver::main().signed_in("rotate").await;
    client.ensure_pusher(&pusher("old-token")).await.unwrap();
    client
        .rotate_pusher(APP_ID, "old-token", &pusher("new-token"))
        .await
        .unwrap();
    assert_eq!(pushkeys(&client).await, ["new-token"]);
    // Rotating from a token the server no longer has is fine too.
    client
        .rotate_pusher(APP_ID, "gone-token", &pusher("newer-token"))
        .await
        .unwrap();
    let mut keys = pushkeys(&client).await;
    keys.sort();
    assert_eq!(
        keys,
        ["new-token", "newer-token"],
        "only the named old token is removed"
    );
}

#[tokio::test]
async fn rotate_across_registration_kinds_removes_the_old_app_ids_pusher() {
    let (client, _, _) = Homeserver::main().signed_in("rotate-kinds").await;
    let token = pusher("fcm-token");
    client.ensure_pusher(&token).await.unwrap();
    // FCM token → Firebase installation id: same device, another app id (the gateway sends
    // FCM v1 `message.fid` instead of `message.token`).
    let mut fid = pusher("fid-cXk3");
    fid.app_id = format!("{APP_ID}.fid");
    client.rotate_pusher(APP_ID, "fcm-token", &fid).await.unwrap();
    let listed = client.pushers().await.unwrap();
    assert_eq!(listed, vec![fid.clone()], "the token's pusher is gone");
    // FCM → UnifiedPush: the endpoint is the pushkey, under its own app id again.
    let mut unified = pusher("https://ntfy.example.org/upAbC?up=1");
    unified.app_id = format!("{APP_ID}.up");
    client
        .rotate_pusher(&fid.app_id, &fid.pushkey, &unified)
        .await
        .unwrap();
    assert_eq!(client.pushers().await.unwrap(), vec![unified.clone()]);
    // The same pushkey under a new app id is a move too, not a no-op.
    let mut renamed = unified.clone();
    renamed.app_id = format!("{APP_ID}.up2");
    client
        .rotate_pusher(&unified.app_id, &unified.pushkey, &renamed)
        .await
        .unwrap();
    assert_eq!(client.pushers().await.unwrap(), vec![renamed]);
}

#[tokio::test]
async fn invalid_pushers_are_refused_before_any_request() {
    // A client for a server that does not exist: validation must answer first.
    let client = Client::builder("http://127.0.0.1:9/".parse().unwrap())
        .store_dir(temp_dir("invalid"))
        .build()
        .unwrap();
    let mut too_long = pusher("x");
    too_long.pushkey = "k".repeat(513);
    let mut long_app = pusher("x");
    long_app.app_id = "a".repeat(65);
    let mut wrong_path = pusher("x");
    wrong_path.gateway_url = "https://push.example.org/notify".into();
    let mut plain_http = pusher("x");
    plain_http.gateway_url = "http://push.example.org/_matrix/push/v1/notify".into();
    for (bad, expected) in [
        (too_long, "pushkey"),
        (long_app, "app id"),
        (wrong_path, "path"),
        (plain_http, "https"),
    ] {
        let error = client.ensure_pusher(&bad).await.unwrap_err();
        assert!(!matches!(error, PusherError::Session(_)), "{error}");
        assert!(error.to_string().contains(expected), "{error}");
        let error = client.set_pusher(&bad).await.unwrap_err();
        assert!(!matches!(error, PusherError::Session(_)), "{error}");
    }
}
