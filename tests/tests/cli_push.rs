//! The `matrix-push` push commands against the harness Synapse: `gateway` receiving Synapse's
//! notify requests and resolving them with the CLI's session (`--handle`), and `handle` on an APNs
//! payload and on a push it cannot resolve (the generic fallback, never silence); `pushers set`
//! with a default payload, and `gateway --exec` handing payloads on to a command.

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

    // Every payload is also handed on to a command (as to `xcrun simctl push`).
    let handed = store.join("handed");
    std::fs::create_dir_all(&handed).unwrap();
    let exec = format!(
        "cat > '{}'/\"$MATRIX_PUSH_PROVIDER-$MATRIX_PUSH_APP_ID-$MATRIX_PUSH_PUSHKEY.json\"",
        handed.display()
    );
    let saved_arg = saved.to_str().unwrap();
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
            saved_arg,
            "--exec",
            &exec,
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
    // `pushers set` with what an iOS app sets: the extension must be woken.
    let set = ok_json(
        &store,
        &[
            "pushers",
            "set",
            "--pushkey",
            &pushkey,
            "--app-id",
            APNS_APP,
            "--gateway",
            &url,
            "--default-payload",
            r#"{"aps":{"mutable-content":1}}"#,
            "--device-name",
            "Bob's iPhone",
        ],
    );
    assert_eq!(set["outcome"], json!("set"), "{set}");
    let listed = ok_json(&store, &["pushers", "list"]);
    assert_eq!(
        listed[0]["device_display_name"],
        json!("Bob's iPhone"),
        "{listed}"
    );

    // Alice writes to Bob in a direct chat; Bob joined from another device.
    let (alice, _, _) = hs.signed_in("gwalice").await;
    let bob_elsewhere = hs.another_device(&bob_id, &bob_password).await;
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
    assert_eq!(line["payload"]["aps"], json!({"mutable-content": 1}), "{line}");
    assert_eq!(line["exec"], json!({"exit_code": 0}), "{line}");
    let handled = &line["handled"];
    assert_eq!(handled["outcome"], json!("show"), "{line}");
    assert_eq!(handled["notification"]["body"], json!("through the CLI gateway"));
    assert_eq!(handled["notification"]["is_dm"], json!(true));
    assert_eq!(handled["notification"]["sound"], json!("default"), "{line}");
    assert_eq!(gateway.wait(), Some(0), "--count 2 stops after two payloads");

    // The command got the payload on stdin, and the delivery in its environment.
    let handed_file = handed.join(format!("apns-{APNS_APP}-{pushkey}.json"));
    let handed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&handed_file).unwrap()).unwrap();
    assert_eq!(handed, line["payload"]);

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
