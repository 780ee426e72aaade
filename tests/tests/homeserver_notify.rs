//! Pushes end to end: a real Synapse pushes to the project's test gateway, which hands the
//! "phone" the payload Sygnal would give FCM (v1 data map) or APNs (event_id_only userInfo); the
//! phone decodes it and resolves it with `Client::handle_push`, and the outcome is checked.

use matrix_push::Client;
use matrix_push::http::{HttpConfig, Method, Request};
use matrix_push::ids::UserId;
use matrix_push::notify::{EventDecryptor, NotificationKind, Outcome, SuppressReason};
use matrix_push::payload::{Provider, PushPayload, decode};
use matrix_push::pushers::Pusher;
use matrix_push::session::{MemorySessionStore, SessionStore};
use matrix_push::settings::RoomNotificationMode;
use matrix_push_tests::gateway::{Delivery, Gateway};
use matrix_push_tests::{
    Homeserver, create_room, join, room_id, send_event, set_display_name, set_power_level, temp_dir,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FCM: &str = "io.matrixpush.tests.fcm";
const APNS: &str = "io.matrixpush.tests.apns";
const WAIT: Duration = Duration::from_secs(10);
const DEADLINE: Duration = Duration::from_secs(10);

/// Bob's phone (with an FCM and an APNs pusher at the test gateway) and Alice, who writes.
struct Scene {
    hs: Homeserver,
    gateway: Gateway,
    bob: Client,
    bob_id: String,
    bob_password: String,
    alice: Client,
    alice_id: String,
}

impl Scene {
    async fn new(name: &str) -> Scene {
        let hs = Homeserver::main();
        let gateway = Gateway::start().await.unwrap();
        let (bob, bob_id, bob_password) = hs.signed_in(&format!("{name}bob")).await;
        let (alice, alice_id, _) = hs.signed_in(&format!("{name}alice")).await;
        set_display_name(&bob, &bob_id, "Bobby Tables").await.unwrap();
        set_display_name(&alice, &alice_id, "Alice Liddell")
            .await
            .unwrap();
        bob.set_pusher(&Pusher::new(format!("fcm-{bob_id}"), FCM, gateway.url()))
            .await
            .unwrap();
        bob.set_pusher(&Pusher::new(format!("apns-{bob_id}"), APNS, gateway.url()))
            .await
            .unwrap();
        // The phone keeps its rules synced; pushes are judged with them.
        bob.fetch_push_rules().await.unwrap();
        Scene {
            hs,
            gateway,
            bob,
            bob_id,
            bob_password,
            alice,
            alice_id,
        }
    }

    fn fcm_key(&self) -> String {
        format!("fcm-{}", self.bob_id)
    }

    fn apns_key(&self) -> String {
        format!("apns-{}", self.bob_id)
    }

    /// A room made by `creator` with `members` joined; `direct` makes it a DM.
    async fn room(
        &self,
        creator: &Client,
        members: &[(&Client, &str)],
        direct: bool,
        name: Option<&str>,
    ) -> String {
        let invites: Vec<&str> = members.iter().map(|(_, id)| *id).collect();
        let mut body = json!({"invite": invites, "is_direct": direct, "preset": "private_chat"});
        if let Some(name) = name {
            body["name"] = json!(name);
        }
        let room = create_room(creator, body).await;
        for (member, _) in members {
            join(member, &room).await;
        }
        // Invites and joins push too: start each test from a quiet gateway.
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.gateway.drain();
        room
    }

    async fn dm(&self) -> String {
        self.room(&self.alice, &[(&self.bob, &self.bob_id)], true, None)
            .await
    }

    /// Another client on Bob's phone session (its own store folder), with the app's decryptor.
    fn bob_with_decryptor(&self, decryptor: Arc<dyn EventDecryptor>) -> Client {
        let store: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
        store.save(&self.bob.session().unwrap()).unwrap();
        let client = Client::builder(self.hs.url.clone())
            .store_dir(temp_dir("crypto"))
            .session_store(store)
            .event_decryptor(decryptor)
            .build()
            .unwrap();
        client.restore_session().unwrap();
        client
    }

    /// Waits for the next push to Bob's phone through FCM and decodes it.
    async fn fcm_push(&self) -> PushPayload {
        let delivery = self
            .gateway
            .next_delivery_for(&self.fcm_key(), WAIT)
            .await
            .expect("an FCM push");
        decoded(Provider::Fcm, &delivery)
    }

    async fn apns_push(&self) -> PushPayload {
        let delivery = self
            .gateway
            .next_delivery_for(&self.apns_key(), WAIT)
            .await
            .expect("an APNs push");
        decoded(Provider::Apns, &delivery)
    }

    /// Sends, waits for the FCM push, and resolves it on Bob's phone.
    async fn message(&self, room: &str, content: Value) -> Outcome {
        self.message_from(&self.alice, room, "m.room.message", content)
            .await
    }

    async fn message_from(&self, from: &Client, room: &str, event_type: &str, content: Value) -> Outcome {
        let event_id = send_event(from, room, event_type, content).await;
        let payload = self.fcm_push().await;
        assert_eq!(payload.event_id.as_deref(), Some(event_id.as_str()));
        self.bob.handle_push(&payload, DEADLINE).await
    }

    /// Asserts that nothing is pushed to Bob's phone for a while.
    async fn no_push(&self) {
        if let Err(delivery) = self
            .gateway
            .no_delivery_for(&self.fcm_key(), Duration::from_secs(2))
            .await
        {
            panic!("unexpected push: {:?}", delivery.payload);
        }
    }
}

fn decoded(provider: Provider, delivery: &Delivery) -> PushPayload {
    decode(provider, &delivery.payload).unwrap_or_else(|e| panic!("{e}: {}", delivery.payload))
}

fn shown(outcome: Outcome) -> matrix_push::notify::Notification {
    match outcome {
        Outcome::Show(notification) => notification,
        other => panic!("expected a notification, got {other:?}"),
    }
}

fn text(body: &str) -> Value {
    json!({"msgtype": "m.text", "body": body})
}

#[tokio::test]
async fn a_dm_on_a_cold_store_is_noisy_and_named_after_the_sender() {
    let s = Scene::new("dm").await;
    let room = s.dm().await;
    let requests_before = s.bob.session_client().transport().requests_sent();
    let n = shown(s.message(&room, text("hello Bob")).await);
    let cold_requests = s.bob.session_client().transport().requests_sent() - requests_before;
    assert_eq!(n.body, "hello Bob");
    assert_eq!(n.room_id, room);
    assert!(n.is_dm, "two members, no name");
    assert_eq!(n.room_name, "Alice Liddell");
    assert_eq!(n.sender_name, "Alice Liddell");
    assert_eq!(n.sender_id, s.alice_id);
    assert!(
        n.is_noisy && n.sound.as_deref() == Some("default"),
        "a DM's first push sees member count 2"
    );
    assert!(!n.highlight);
    assert_eq!(
        n.kind,
        NotificationKind::Message {
            msgtype: "m.text".into()
        }
    );
    assert!(n.timestamp_ms > 0);
    assert!(
        cold_requests <= 4,
        "cold: room sync + create event + filter upload (+ context): {cold_requests}"
    );
    // Warm: the sync that brings the room and the rules up to date brings the event too.
    let before = s.bob.session_client().transport().requests_sent();
    let again = shown(s.message(&room, text("second")).await);
    assert_eq!(again.body, "second");
    assert_eq!(
        s.bob.session_client().transport().requests_sent() - before,
        1,
        "warm: one request"
    );
}

#[tokio::test]
async fn group_mentions_room_mentions_and_power() {
    let s = Scene::new("group").await;
    let (carol, carol_id, _) = s.hs.signed_in("groupcarol").await;
    let room = s
        .room(
            &s.alice,
            &[(&s.bob, &s.bob_id), (&carol, &carol_id)],
            false,
            Some("Lunch club"),
        )
        .await;
    let mention =
        json!({"msgtype": "m.text", "body": "Bobby: see this", "m.mentions": {"user_ids": [s.bob_id]}});
    let n = shown(s.message(&room, mention).await);
    assert!(n.highlight && n.is_noisy);
    assert_eq!(n.room_name, "Lunch club");
    assert!(!n.is_dm);
    assert_eq!(n.rule_id.as_deref(), Some(".m.rule.is_user_mention"));

    let at_room = json!({"msgtype": "m.text", "body": "@room lunch!", "m.mentions": {"room": true}});
    // Carol has power level 0: an ordinary message.
    let n = shown(
        s.message_from(&carol, &room, "m.room.message", at_room.clone())
            .await,
    );
    assert!(!n.highlight, "no permission for @room");
    // Alice created the room (v12): creators have unlimited power.
    let n = shown(s.message(&room, at_room.clone()).await);
    assert!(n.highlight, "the creator may @room");
    assert_eq!(n.rule_id.as_deref(), Some(".m.rule.is_room_mention"));
    // Carol gets power level 50.
    set_power_level(&s.alice, &room, &carol_id, 50).await;
    // The phone's cached power levels are old: a fresh store sees the new ones.
    let phone = fresh_phone(&s).await;
    let event_id = send_event(&carol, &room, "m.room.message", at_room).await;
    let payload = s.fcm_push().await;
    assert_eq!(payload.event_id.as_deref(), Some(event_id.as_str()));
    assert!(
        shown(phone.handle_push(&payload, DEADLINE).await).highlight,
        "power level 50 may @room"
    );
}

/// A second phone for Bob with an empty store (his session, a new device).
async fn fresh_phone(s: &Scene) -> Client {
    s.hs.another_device(&s.bob_id, &s.bob_password).await
}

#[tokio::test]
async fn legacy_display_name_mentions_and_keywords() {
    let s = Scene::new("legacy").await;
    let (carol, carol_id, _) = s.hs.signed_in("legacycarol").await;
    let room = s
        .room(
            &s.alice,
            &[(&s.bob, &s.bob_id), (&carol, &carol_id)],
            false,
            Some("Team"),
        )
        .await;
    let n = shown(s.message(&room, text("ping Bobby Tables")).await);
    assert!(n.highlight, "no m.mentions: the legacy display-name rule fires");
    assert_eq!(n.rule_id.as_deref(), Some(".m.rule.contains_display_name"));
    s.bob.add_keyword("pizza").await.unwrap();
    s.bob.fetch_push_rules().await.unwrap();
    let n = shown(
        s.message(
            &room,
            json!({"msgtype": "m.text", "body": "Pizza tonight?", "m.mentions": {}}),
        )
        .await,
    );
    assert_eq!(n.rule_id.as_deref(), Some("pizza"));
    assert!(n.is_noisy);
}

#[tokio::test]
async fn muted_and_mentions_only_rooms() {
    let s = Scene::new("muted").await;
    let (carol, carol_id, _) = s.hs.signed_in("mutedcarol").await;
    let room = s
        .room(
            &s.alice,
            &[(&s.bob, &s.bob_id), (&carol, &carol_id)],
            false,
            Some("Noisy"),
        )
        .await;
    s.bob
        .set_room_mode(&room_id(&room), RoomNotificationMode::MentionsAndKeywordsOnly)
        .await
        .unwrap();
    s.bob.fetch_push_rules().await.unwrap();
    send_event(&s.alice, &room, "m.room.message", text("chatter")).await;
    s.no_push().await;
    let mention = json!({"msgtype": "m.text", "body": "Bob?", "m.mentions": {"user_ids": [s.bob_id]}});
    let n = shown(s.message(&room, mention.clone()).await);
    assert!(n.highlight, "a mention in a mentions-only room still notifies");
    // The rules changed after the server decided: the phone judges with its own, newer rules.
    let event_id = send_event(&s.alice, &room, "m.room.message", mention).await;
    let payload = s.fcm_push().await;
    assert_eq!(payload.event_id.as_deref(), Some(event_id.as_str()));
    s.bob
        .set_room_mode(&room_id(&room), RoomNotificationMode::Mute)
        .await
        .unwrap();
    s.bob.fetch_push_rules().await.unwrap();
    assert!(matches!(
        s.bob.handle_push(&payload, DEADLINE).await,
        Outcome::Suppressed {
            reason: SuppressReason::Rules { .. },
            server_notified: true
        }
    ));
    send_event(&s.alice, &room, "m.room.message", text("more chatter")).await;
    s.no_push().await;
}

#[tokio::test]
async fn notices_edits_and_reactions_are_not_pushed() {
    let s = Scene::new("quiet").await;
    let room = s.dm().await;
    let original = send_event(&s.alice, &room, "m.room.message", text("first")).await;
    s.fcm_push().await;
    send_event(
        &s.alice,
        &room,
        "m.room.message",
        json!({"msgtype": "m.notice", "body": "bot says"}),
    )
    .await;
    send_event(
        &s.alice,
        &room,
        "m.room.message",
        json!({
            "msgtype": "m.text", "body": "* first!", "m.new_content": {"msgtype": "m.text", "body": "first!"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original}
        }),
    )
    .await;
    send_event(
        &s.alice,
        &room,
        "m.reaction",
        json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": original, "key": "👍"}}),
    )
    .await;
    s.no_push().await;
}

#[tokio::test]
async fn emotes_images_long_bodies_threads_and_calls() {
    let s = Scene::new("kinds").await;
    let room = s.dm().await;
    assert_eq!(
        shown(
            s.message(&room, json!({"msgtype": "m.emote", "body": "waves"}))
                .await
        )
        .body,
        "* Alice Liddell waves"
    );
    let image = json!({"msgtype": "m.image", "body": "cat.jpg", "url": "mxc://localhost/cat", "info": {"mimetype": "image/jpeg"}});
    let n = shown(s.message(&room, image).await);
    assert_eq!(
        (n.body.as_str(), &n.kind),
        (
            "📷 Image",
            &NotificationKind::Message {
                msgtype: "m.image".into()
            }
        )
    );
    let long = "word ".repeat(1000);
    assert_eq!(
        shown(s.message(&room, text(&long)).await).body,
        long,
        "the full body, not the provider's cut"
    );
    let root = send_event(&s.alice, &room, "m.room.message", text("thread root")).await;
    s.fcm_push().await;
    let reply = json!({"msgtype": "m.text", "body": "in the thread",
        "m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": true, "m.in_reply_to": {"event_id": root}}});
    let n = shown(s.message(&room, reply).await);
    assert_eq!(n.thread_id.as_deref(), Some(root.as_str()));
    let call = json!({"call_id": "c1", "version": "1", "lifetime": 60000, "party_id": "p",
        "offer": {"type": "offer", "sdp": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"}});
    let n = shown(s.message_from(&s.alice, &room, "m.call.invite", call).await);
    assert_eq!(n.kind, NotificationKind::Call { video: true });
    assert_eq!(n.sound.as_deref(), Some("ring"));
}

#[tokio::test]
async fn invites_come_from_the_stripped_state() {
    let s = Scene::new("invite").await;
    let room = create_room(
        &s.alice,
        json!({"invite": [s.bob_id], "name": "Secret plans", "preset": "private_chat"}),
    )
    .await;
    let payload = s.fcm_push().await;
    assert_eq!(payload.room_id.as_deref(), Some(room.as_str()));
    let n = shown(s.bob.handle_push(&payload, DEADLINE).await);
    assert_eq!(
        n.kind,
        NotificationKind::Invite {
            inviter: UserId::parse(s.alice_id.clone()).unwrap()
        }
    );
    assert_eq!(n.room_name, "Secret plans");
    // Stripped state has no time: the push's arrival stands in (never 1970).
    assert!(n.timestamp_ms > 1_700_000_000_000, "{}", n.timestamp_ms);
    assert_eq!(n.body, "Alice Liddell invited you to Secret plans");
    assert!(n.is_noisy);
}

/// Decrypts the test's "encrypted" events: the ciphertext is the cleartext JSON.
struct PlainDecryptor;

#[async_trait::async_trait]
impl EventDecryptor for PlainDecryptor {
    async fn decrypt(&self, _room_id: &str, event: &Value, _time_left: Duration) -> Option<Value> {
        let clear: Value = serde_json::from_str(event.pointer("/content/ciphertext")?.as_str()?).ok()?;
        let mut decrypted = event.clone();
        decrypted["type"] = clear["type"].clone();
        decrypted["content"] = clear["content"].clone();
        Some(decrypted)
    }
}

#[tokio::test]
async fn encrypted_events_with_and_without_a_decryptor() {
    let s = Scene::new("e2ee").await;
    let room = s.dm().await;
    let clear = json!({"type": "m.room.message", "content": {"msgtype": "m.text", "body": "secret hi", "m.mentions": {"user_ids": [s.bob_id]}}});
    let encrypted = json!({"algorithm": "m.megolm.v1.aes-sha2", "sender_key": "k", "session_id": "s", "device_id": "D",
        "ciphertext": clear.to_string()});
    let event_id = send_event(&s.alice, &room, "m.room.encrypted", encrypted).await;
    let delivery = s.gateway.next_delivery_for(&s.fcm_key(), WAIT).await.unwrap();
    let payload = decoded(Provider::Fcm, &delivery);
    assert_eq!(payload.event_id.as_deref(), Some(event_id.as_str()));
    let n = shown(s.bob.handle_push(&payload, DEADLINE).await);
    assert_eq!(
        (n.kind.clone(), n.body.as_str()),
        (NotificationKind::Encrypted, "Encrypted message")
    );
    assert!(n.is_noisy && !n.highlight, "encrypted DM rule");
    // With the app's decryptor the cleartext decides: a mention.
    let with_crypto = s.bob_with_decryptor(Arc::new(PlainDecryptor));
    let n = shown(with_crypto.handle_push(&payload, DEADLINE).await);
    assert_eq!(n.body, "secret hi");
    assert!(n.highlight, "rules evaluated again on the cleartext");

    // A decryptor that outlives the deadline (a key fetch that hangs) costs the cleartext, not
    // the notification: it is shown as encrypted, with its room and sender, in time.
    let hanging = s.bob_with_decryptor(Arc::new(HangingDecryptor));
    let deadline = Duration::from_secs(2);
    let started = Instant::now();
    let n = shown(hanging.handle_push(&payload, deadline).await);
    assert!(started.elapsed() < deadline, "{:?}", started.elapsed());
    assert_eq!(
        (n.kind, n.body.as_str(), n.sender_name.as_str()),
        (NotificationKind::Encrypted, "Encrypted message", "Alice Liddell")
    );
}

/// Never answers (after checking it was given what remains of a 2 s deadline).
struct HangingDecryptor;

#[async_trait::async_trait]
impl EventDecryptor for HangingDecryptor {
    async fn decrypt(&self, _room_id: &str, _event: &Value, time_left: Duration) -> Option<Value> {
        assert!(time_left < Duration::from_secs(2) && time_left > Duration::from_millis(500));
        std::future::pending().await
    }
}

#[tokio::test]
async fn badge_only_pushes_dismiss_the_rooms_read_elsewhere_and_only_those() {
    let s = Scene::new("badge").await;
    // A room notified about that stays unread: its notification must stay too.
    let unread_room = s.dm().await;
    send_event(&s.alice, &unread_room, "m.room.message", text("still unread")).await;
    let payload = s.apns_push().await;
    assert!(matches!(
        s.bob.handle_push(&payload, DEADLINE).await,
        Outcome::Show(_)
    ));
    let room = s.dm().await;
    let event_id = send_event(&s.alice, &room, "m.room.message", text("unread one")).await;
    let payload = s.apns_push().await;
    assert_eq!(payload.unread, Some(2));
    assert!(matches!(
        s.bob.handle_push(&payload, DEADLINE).await,
        Outcome::Show(_)
    ));
    s.gateway.drain();
    // Bob reads the room on another device: Synapse sends a badge-only push with 0.
    let url = s
        .bob
        .session_client()
        .url_of(&["rooms", &room, "receipt", "m.read", &event_id]);
    s.bob
        .session_client()
        .send_request(Request::new(Method::Post, url).json(json!({})))
        .await
        .unwrap();
    let badge = s.apns_push().await;
    assert!(badge.badge_only, "{badge:?}");
    assert_eq!(badge.unread, Some(1));
    match s.bob.handle_push(&badge, DEADLINE).await {
        Outcome::BadgeUpdate { unread, read_rooms } => {
            assert_eq!(unread, 1);
            assert_eq!(
                read_rooms,
                vec![room.clone()],
                "the read room's notification can go, the unread one's stays"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_same_push_twice_is_a_duplicate() {
    let s = Scene::new("dup").await;
    let room = s.dm().await;
    send_event(&s.alice, &room, "m.room.message", text("once")).await;
    let payload = s.fcm_push().await;
    assert!(matches!(
        s.bob.handle_push(&payload, DEADLINE).await,
        Outcome::Show(_)
    ));
    assert_eq!(s.bob.handle_push(&payload, DEADLINE).await, Outcome::Duplicate);
    // The APNs copy of the same event, handled by the same phone: also a duplicate.
    let apns = s.apns_push().await;
    assert_eq!(s.bob.handle_push(&apns, DEADLINE).await, Outcome::Duplicate);
}

/// A server that accepts connections and never answers.
fn black_hole() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

#[tokio::test]
async fn an_unreachable_homeserver_gives_a_fallback_within_the_deadline() {
    let s = Scene::new("down").await;
    let room = s.dm().await;
    send_event(&s.alice, &room, "m.room.message", text("are you there")).await;
    let payload = s.fcm_push().await;
    for (name, port) in [
        (
            "stopped",
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port(),
        ),
        ("hanging", black_hole()),
    ] {
        let store: Arc<dyn SessionStore> = Arc::new(MemorySessionStore::default());
        store.save(&s.bob.session().unwrap()).unwrap();
        let phone = Client::builder(format!("http://127.0.0.1:{port}/").parse().unwrap())
            .store_dir(temp_dir(name))
            .session_store(store)
            .http_config(HttpConfig {
                request_timeout: Duration::from_secs(30),
                ..HttpConfig::default()
            })
            .build()
            .unwrap();
        phone.restore_session().unwrap();
        let started = Instant::now();
        let outcome = phone.handle_push(&payload, Duration::from_secs(2)).await;
        let waited = started.elapsed();
        match outcome {
            Outcome::Fallback(fallback) => {
                assert_eq!(
                    fallback.event_id.as_deref(),
                    payload.event_id.as_deref(),
                    "{name}"
                );
                assert_eq!(fallback.room_id.as_deref(), Some(room.as_str()));
                assert_eq!(fallback.body, "New message");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(
            waited < Duration::from_secs(4),
            "{name}: the deadline holds ({waited:?})"
        );
    }
}
