//! A notification's buttons against a real Synapse: mark read (public and private receipts, the
//! fully-read marker, the unread count that the badge follows), accept and decline an invite.

use matrix_push::Client;
use matrix_push::actions::ReceiptVisibility;
use matrix_push::http::{Method, Request};
use matrix_push::media::MediaError;
use matrix_push_tests::{Homeserver, create_room, event_id, join, room_id, send_event};
use serde_json::{Value, json};

/// `room` in a `/sync` (from scratch) of `who`, with its receipts.
async fn synced_room(who: &Client, room: &str) -> Value {
    let filter = json!({"room": {"rooms": [room], "timeline": {"limit": 1}},
                        "presence": {"types": []}, "account_data": {"types": []}});
    let url = matrix_push::notify::sync_url(who.session_client(), filter, None);
    let sync = who
        .session_client()
        .send_request(Request::new(Method::Get, url))
        .await
        .unwrap();
    sync["rooms"]["join"][room].clone()
}

/// The room's notification count. Tests only compare it with zero or a floor: once Synapse's
/// background task has summarised the room's push actions, the count also holds the invite that
/// came before the join, so an exact count before the receipt would test Synapse's timing, not ours.
fn unread(room: &Value) -> u64 {
    room["unread_notifications"]["notification_count"]
        .as_u64()
        .unwrap()
}

/// Who has a `receipt_type` receipt on `event_id`, as the room's receipts in a sync show them.
fn readers(room: &Value, event_id: &str, receipt_type: &str) -> Vec<String> {
    let receipts = room["ephemeral"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    receipts
        .iter()
        .filter(|event| event["type"] == "m.receipt")
        .filter_map(|event| event["content"][event_id][receipt_type].as_object())
        .flat_map(|users| users.keys().cloned())
        .collect()
}

async fn dm(hs: &Homeserver) -> (Client, String, Client, String) {
    let (alice, _, _) = hs.signed_in("actionsalice").await;
    let (bob, bob_id, _) = hs.signed_in("actionsbob").await;
    let room = create_room(&alice, json!({"invite": [bob_id], "is_direct": true})).await;
    join(&bob, &room).await;
    (alice, room, bob, bob_id)
}

fn text(body: &str) -> Value {
    json!({"msgtype": "m.text", "body": body})
}

#[tokio::test]
async fn mark_read_sets_the_receipt_and_the_fully_read_marker_and_the_count_drops() {
    let hs = Homeserver::main();
    let (alice, room, bob, bob_id) = dm(&hs).await;
    send_event(&alice, &room, "m.room.message", text("one")).await;
    let last = send_event(&alice, &room, "m.room.message", text("two")).await;
    assert!(unread(&synced_room(&bob, &room).await) >= 2);

    bob.mark_read(&room_id(&room), &event_id(&last), ReceiptVisibility::Public)
        .await
        .unwrap();
    assert_eq!(unread(&synced_room(&bob, &room).await), 0, "the badge follows");
    assert_eq!(
        readers(&synced_room(&alice, &room).await, &last, "m.read"),
        std::slice::from_ref(&bob_id),
        "Alice sees Bob's receipt"
    );
    let url = bob
        .session_client()
        .url_of(&["user", &bob_id, "rooms", &room, "account_data", "m.fully_read"]);
    let marker = bob
        .session_client()
        .send_request(Request::new(Method::Get, url))
        .await
        .unwrap();
    assert_eq!(marker["event_id"], json!(last), "the fully-read marker moved");
}

#[tokio::test]
async fn a_private_receipt_clears_the_count_and_nobody_else_sees_it() {
    let hs = Homeserver::main();
    let (alice, room, bob, bob_id) = dm(&hs).await;
    let last = send_event(&alice, &room, "m.room.message", text("quiet")).await;
    assert!(unread(&synced_room(&bob, &room).await) >= 1);
    bob.mark_read(&room_id(&room), &event_id(&last), ReceiptVisibility::Private)
        .await
        .unwrap();
    assert_eq!(unread(&synced_room(&bob, &room).await), 0);
    let alice_view = synced_room(&alice, &room).await;
    assert!(readers(&alice_view, &last, "m.read").is_empty());
    assert!(readers(&alice_view, &last, "m.read.private").is_empty());
    assert_eq!(
        readers(&synced_room(&bob, &room).await, &last, "m.read.private"),
        [bob_id],
        "Bob's own devices see it"
    );
}

#[tokio::test]
async fn invites_are_accepted_and_declined() {
    let hs = Homeserver::main();
    let (alice, _, _) = hs.signed_in("inviter").await;
    let (bob, bob_id, _) = hs.signed_in("invitee").await;
    let membership = |room: String| {
        let (alice, bob_id) = (&alice, &bob_id);
        async move {
            let url = alice
                .session_client()
                .url_of(&["rooms", &room, "state", "m.room.member", bob_id]);
            alice
                .session_client()
                .send_request(Request::new(Method::Get, url))
                .await
                .unwrap()["membership"]
                .clone()
        }
    };
    let accepted = create_room(&alice, json!({"invite": [bob_id], "name": "Yes"})).await;
    bob.accept_invite(&room_id(&accepted)).await.unwrap();
    assert_eq!(membership(accepted.clone()).await, "join");
    let declined = create_room(&alice, json!({"invite": [bob_id], "name": "No"})).await;
    bob.decline_invite(&room_id(&declined)).await.unwrap();
    assert_eq!(membership(declined).await, "leave");
}

/// Uploads `bytes` as `who`; the mxc URL.
async fn upload(hs: &Homeserver, who: &Client, bytes: Vec<u8>) -> String {
    // The upload takes raw bytes, which the SDK's JSON transport does not send.
    let token = who.session().unwrap().access_token;
    matrix_push_tests::upload_media(hs, &token, "image/png", bytes).await
}

#[tokio::test]
async fn avatars_come_as_thumbnails_cached_for_the_next_push_and_never_late() {
    let hs = Homeserver::main();
    let (alice, alice_id, _) = hs.signed_in("avataralice").await;
    let (bob, _, _) = hs.signed_in("avatarbob").await;
    let mxc = upload(&hs, &alice, matrix_push_tests::tiny_png()).await;
    let url = alice
        .session_client()
        .url_of(&["profile", &alice_id, "avatar_url"]);
    alice
        .session_client()
        .send_request(Request::new(Method::Put, url).json(json!({"avatar_url": mxc})))
        .await
        .unwrap();

    let thumbnail = bob.avatar(&mxc, std::time::Duration::from_secs(5)).await.unwrap();
    assert!(
        thumbnail.content_type.starts_with("image/"),
        "{}",
        thumbnail.content_type
    );
    assert!(
        thumbnail.bytes.starts_with(&[0x89, b'P', b'N', b'G']) || thumbnail.bytes.starts_with(&[0xff, 0xd8])
    );
    // The next push in the app or its extension takes it from the shared store.
    let before = bob.session_client().transport().requests_sent();
    let again = bob.avatar(&mxc, std::time::Duration::from_secs(5)).await.unwrap();
    assert_eq!(again, thumbnail);
    assert_eq!(bob.session_client().transport().requests_sent(), before, "cached");
    // With no time left, the cache only: a cached face at once, else none — and no request.
    let zero = std::time::Duration::ZERO;
    assert_eq!(bob.avatar(&mxc, zero).await.unwrap(), thumbnail);
    let uncached = upload(&hs, &alice, matrix_push_tests::tiny_png()).await;
    assert!(matches!(
        bob.avatar(&uncached, zero).await,
        Err(MediaError::Deadline(_))
    ));
    assert_eq!(
        bob.session_client().transport().requests_sent(),
        before,
        "no request"
    );

    // Never past the deadline; and media that does not exist, or a URL that is not mxc, is an error.
    let other = upload(&hs, &alice, matrix_push_tests::tiny_png()).await;
    let started = std::time::Instant::now();
    let late = bob.avatar(&other, std::time::Duration::from_millis(1)).await;
    assert!(matches!(late, Err(MediaError::Deadline(_))), "{late:?}");
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
    let missing = format!("mxc://{}/doesnotexist", hs.server_name);
    assert!(matches!(
        bob.avatar(&missing, std::time::Duration::from_secs(5)).await,
        Err(MediaError::Session(_))
    ));
    assert!(matches!(
        bob.avatar("https://example.org/x.png", std::time::Duration::from_secs(5))
            .await,
        Err(MediaError::InvalidMxc(_))
    ));
}
