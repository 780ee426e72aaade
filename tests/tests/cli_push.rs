//! The `matrix-push` push commands against the harness Synapse: `gateway` receiving Synapse's
//! notify requests and resolving them with the CLI's session (`--handle`), and `handle` on an APNs
//! payload and on a push it cannot resolve (the generic fallback, never silence).

use matrix_push::secret::Secret;
use matrix_push::session::LoginIdentifier;
use matrix_push_tests::cli::{Running, login, ok, ok_json};
use matrix_push_tests::{Homeserver, create_room, join, send_event, temp_dir, unique};
use serde_json::json;
use std::time::Duration;

const APNS_APP: &str = "io.matrixpush.tests.cligateway.apns";
const WAIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_command_receives_and_resolves_a_live_push() {
    let hs = Homeserver::main();
    let (bob_id, bob_password) = hs.register("gwbob", false).await;
    let store = temp_dir("cli-gateway");
    login(&store, &bob_id, &bob_password);
    let saved = store.join("pushes");

    let gateway = Running::start(
        &store,
        &[
            "--json",
            "gateway",
            "--listen",
            "127.0.0.1:0",
            "--handle",
            "--count",
            "2",
            "--save",
            saved.to_str().unwrap(),
        ],
    );
    let url = gateway.next_json(WAIT)["listening"]
        .as_str()
        .expect("the first line says where the gateway listens")
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/_matrix/push/v1/notify"),
        "{url}"
    );

    let pushkey = unique("apns-key");
    let ensured = ok_json(
        &store,
        &[
            "pushers",
            "ensure",
            "--pushkey",
            &pushkey,
            "--app-id",
            APNS_APP,
            "--gateway",
            &url,
        ],
    );
    assert_eq!(ensured["outcome"], json!("created"), "{ensured}");

    // Alice writes to Bob in a direct chat; Bob joined from another device.
    let (alice, _, _) = hs.signed_in("gwalice").await;
    let bob_elsewhere = hs.client();
    bob_elsewhere
        .login_password(
            &LoginIdentifier::User(bob_id.clone()),
            &Secret::new(bob_password.as_str()),
        )
        .await
        .unwrap();
    let room = create_room(
        &alice,
        json!({"invite": [bob_id], "is_direct": true, "preset": "trusted_private_chat"}),
    )
    .await;
    join(&bob_elsewhere, &room).await;
    let event_id = send_event(
        &alice,
        &room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": "through the CLI gateway"}),
    )
    .await;

    // First the invite (Bob is invited before he joins), then the message.
    let invite = gateway.next_json(WAIT);
    assert_eq!(invite["handled"]["outcome"], json!("show"), "{invite}");
    assert_eq!(
        invite["handled"]["notification"]["kind"]["type"],
        json!("invite"),
        "{invite}"
    );
    let line = gateway.next_json(WAIT);
    assert_eq!(line["provider"], json!("apns"), "{line}");
    assert_eq!(line["pushkey"], json!(pushkey), "{line}");
    assert_eq!(line["payload"]["event_id"], json!(event_id), "{line}");
    assert_eq!(line["payload"]["room_id"], json!(room), "{line}");
    let handled = &line["handled"];
    assert_eq!(handled["outcome"], json!("show"), "{line}");
    assert_eq!(handled["notification"]["body"], json!("through the CLI gateway"));
    assert_eq!(handled["notification"]["is_dm"], json!(true));
    assert_eq!(handled["notification"]["sound"], json!("default"), "{line}");
    assert_eq!(gateway.wait(), Some(0), "--count 2 stops after two payloads");

    // The saved payload is what `handle` reads; the event was handled by the gateway already.
    let file = saved.join("0002-apns.json");
    let again = ok_json(&store, &["handle", file.to_str().unwrap(), "--provider", "apns"]);
    assert_eq!(again["outcome"], json!("duplicate"), "{again}");

    // A push for an event the server does not have: a generic notification, not silence.
    let missing = store.join("missing.json");
    std::fs::write(
        &missing,
        json!({"event_id": "$notthere", "room_id": room, "unread_count": 2}).to_string(),
    )
    .unwrap();
    let fallback = ok_json(
        &store,
        &["handle", missing.to_str().unwrap(), "--provider", "apns"],
    );
    assert_eq!(fallback["outcome"], json!("fallback"), "{fallback}");
    assert_eq!(fallback["notification"]["event_id"], json!("$notthere"));
    // Handled once, like any push: the same one again is a duplicate.
    let again = ok(
        &store,
        &["handle", missing.to_str().unwrap(), "--provider", "apns"],
    );
    assert_eq!(again.trim(), "silent: this event was handled before");
    std::fs::write(
        &missing,
        json!({"event_id": "$notthere2", "room_id": room, "unread_count": 2}).to_string(),
    )
    .unwrap();
    let human = ok(
        &store,
        &["handle", missing.to_str().unwrap(), "--provider", "apns"],
    );
    assert!(human.contains("(generic: "), "{human}");
}
