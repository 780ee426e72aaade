//! Decisions on the truth, end to end: every push is judged on room state and rules current as
//! of the push, not as of the first push in the room or the app's last sync.
//!
//! Bob has four phones, each with a **warm** store (the first push in the room handled):
//! - `in-process`: a `Client` in this test process that only handles pushes (by sliding sync);
//! - `in-process by /sync`: the same with sliding sync off, as on a server without it;
//! - `app`: a `Client` whose push-rule sync loop runs, as an open app's does;
//! - `extension`: a fresh `matrix-push handle` process per push, as a notification extension.
//!
//! Between pushes the room, its members and Bob's settings change — from Alice's side, from
//! Carol's, and from Bob's laptop (another device of his) — and every phone must decide on the
//! new state: rename, alias and topic, room avatar, display name and avatar, a member joining (DM → group)
//! and leaving (group → DM), power levels, a keyword added and removed, the room's mode, the
//! sender ignored and un-ignored, Bob's own display name (the legacy display-name mention).
//! And none of it makes Bob look online to others (the server runs with presence on).

use matrix_push::Client;
use matrix_push::http::{Method, Request};
use matrix_push::notify::{Notification, Outcome, SuppressReason};
use matrix_push::payload::{Provider, PushPayload, decode};
use matrix_push::pushers::Pusher;
use matrix_push::settings::RoomNotificationMode;
use matrix_push_tests::gateway::Gateway;
use matrix_push_tests::{
    Homeserver, cli, create_room, join, room_id, send_event, send_state, set_display_name, set_power_level,
    temp_dir,
};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const FCM: &str = "io.matrixpush.tests.fcm";
const DEADLINE: Duration = Duration::from_secs(10);

/// What a phone decided, in the terms the checks use (the CLI's JSON and the API alike).
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    Show {
        room_name: String,
        sender_name: String,
        avatar: Option<String>,
        room_avatar: Option<String>,
        body: String,
        rule: Option<String>,
        sound: Option<String>,
        highlight: bool,
    },
    Suppressed {
        reason: String,
        rule: Option<String>,
    },
    Other(String),
}

fn from_outcome(outcome: Outcome) -> Decision {
    match outcome {
        Outcome::Show(n) => shown(n),
        Outcome::Suppressed { reason, .. } => {
            let (reason, rule) = match reason {
                SuppressReason::Rules { rule_id } => ("rules", rule_id),
                SuppressReason::IgnoredSender => ("ignored_sender", None),
                SuppressReason::OwnEvent => ("own_event", None),
                SuppressReason::Edit => ("edit", None),
                SuppressReason::Redacted => ("redacted", None),
                other => unreachable!("a new reason: {other:?}"),
            };
            Decision::Suppressed {
                reason: reason.into(),
                rule,
            }
        }
        other => Decision::Other(format!("{other:?}")),
    }
}

fn shown(n: Notification) -> Decision {
    Decision::Show {
        room_name: n.room_name,
        sender_name: n.sender_name,
        avatar: n.sender_avatar_url,
        room_avatar: n.room_avatar_url,
        body: n.body,
        rule: n.rule_id,
        sound: n.sound,
        highlight: n.highlight,
    }
}

fn from_cli(json: &Value) -> Decision {
    let text = |value: &Value| value.as_str().map(str::to_owned);
    match json["outcome"].as_str() {
        Some("show") => {
            let n = &json["notification"];
            Decision::Show {
                room_name: text(&n["room_name"]).unwrap_or_default(),
                sender_name: text(&n["sender_name"]).unwrap_or_default(),
                avatar: text(&n["sender_avatar_url"]),
                room_avatar: text(&n["room_avatar_url"]),
                body: text(&n["body"]).unwrap_or_default(),
                rule: text(&n["rule_id"]),
                sound: text(&n["sound"]),
                highlight: n["highlight"].as_bool().unwrap_or_default(),
            }
        }
        Some("suppressed") => Decision::Suppressed {
            reason: text(&json["reason"]).unwrap_or_default(),
            rule: text(&json["rule_id"]),
        },
        _ => Decision::Other(json.to_string()),
    }
}

/// Bob's four phones.
struct Phones {
    in_process: Client,
    /// In process, with sliding sync off: pushes sync by `/sync`, as on servers without it.
    by_sync: Client,
    app: Client,
    app_sync: tokio::task::JoinHandle<()>,
    /// How many rule changes the app's sync loop has seen.
    app_rule_changes: Arc<AtomicUsize>,
    extension_store: PathBuf,
}

impl Phones {
    /// Every phone's decision on one push.
    async fn decide(&self, payload: &PushPayload, data: &Value) -> [(&'static str, Decision); 4] {
        let in_process = from_outcome(self.in_process.handle_push(payload, DEADLINE).await);
        let by_sync = from_outcome(self.by_sync.handle_push(payload, DEADLINE).await);
        let app = from_outcome(self.app.handle_push(payload, DEADLINE).await);
        let file = self
            .extension_store
            .join(format!("push-{}.json", matrix_push_tests::unique("p")));
        std::fs::write(&file, data.to_string()).unwrap();
        let store = self.extension_store.clone();
        let extension = tokio::task::spawn_blocking(move || {
            cli::ok_json(&store, &["handle", file.to_str().unwrap(), "--provider", "fcm"])
        })
        .await
        .unwrap();
        [
            ("in-process", in_process),
            ("in-process by /sync", by_sync),
            ("app", app),
            ("extension", from_cli(&extension)),
        ]
    }
}

struct Scene {
    hs: Homeserver,
    gateway: Gateway,
    alice: Client,
    alice_id: String,
    bob_id: String,
    /// Bob's laptop: where he changes his settings (not a phone).
    laptop: Client,
    phones: Phones,
    room: String,
}

impl Scene {
    async fn new() -> Scene {
        let hs = Homeserver::main();
        let gateway = Gateway::start().await.unwrap();
        let (in_process, bob_id, password) = hs.signed_in("freshbob").await;
        let (alice, alice_id, _) = hs.signed_in("freshalice").await;
        set_display_name(&alice, &alice_id, "Alice").await.unwrap();
        set_display_name(&in_process, &bob_id, "Bobby Tables")
            .await
            .unwrap();
        in_process
            .set_pusher(&Pusher::new(format!("fcm-{bob_id}"), FCM, gateway.url()))
            .await
            .unwrap();
        let laptop = hs.another_device(&bob_id, &password).await;
        let by_sync = Client::builder(hs.url.clone())
            .store_dir(temp_dir("fresh-by-sync"))
            .sliding_sync(false)
            .build()
            .unwrap();
        matrix_push_tests::log_in(&by_sync, &bob_id, &password).await;
        let app = hs.another_device(&bob_id, &password).await;
        let sync_client = hs.another_device(&bob_id, &password).await;
        // The app's phone and its sync loop share one store, as an app's process does.
        let app_dir = app.state().dir().to_owned();
        let app_rule_changes = Arc::new(AtomicUsize::new(0));
        let changes = app_rule_changes.clone();
        let app_sync = tokio::spawn(async move {
            let looping = Client::builder(sync_client.session_client().homeserver().clone())
                .store_dir(&app_dir)
                .session_store({
                    let store = Arc::new(matrix_push::session::MemorySessionStore::default());
                    matrix_push::session::SessionStore::save(&*store, &sync_client.session().unwrap())
                        .unwrap();
                    store
                })
                .build()
                .unwrap();
            looping.restore_session().unwrap();
            let ended = looping
                .run_push_rules_sync(Duration::from_secs(5), move |_| {
                    changes.fetch_add(1, Ordering::Relaxed);
                })
                .await;
            panic!("the app's rule sync loop ended: {ended:?}");
        });
        let extension_store = temp_dir("fresh-extension");
        cli::login(&extension_store, &bob_id, &password);

        let room = create_room(
            &alice,
            json!({"invite": [bob_id], "is_direct": true, "preset": "private_chat"}),
        )
        .await;
        join(&in_process, &room).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        gateway.drain();
        let scene = Scene {
            hs,
            gateway,
            alice,
            alice_id,
            bob_id,
            laptop,
            phones: Phones {
                in_process,
                by_sync,
                app,
                app_sync,
                app_rule_changes,
                extension_store,
            },
            room,
        };
        // Warm every store: the first push in the room is handled.
        scene
            .expect(
                &scene.alice,
                text("first"),
                |d| matches!(d, Decision::Show { body, .. } if body == "first"),
            )
            .await;
        scene
    }

    /// Sends `content` as `from`, waits for the push, and checks every phone's decision.
    async fn expect(&self, from: &Client, content: Value, check: impl Fn(&Decision) -> bool) {
        let event_id = send_event(from, &self.room, "m.room.message", content).await;
        let delivery = self
            .gateway
            .next_delivery_for(&format!("fcm-{}", self.bob_id), Duration::from_secs(10))
            .await
            .expect("a push");
        let payload = decode(Provider::Fcm, &delivery.payload).unwrap();
        assert_eq!(payload.event_id.as_deref(), Some(event_id.as_str()));
        self.check_all(&payload, &delivery.payload, &check).await;
    }

    /// Sends `content` as `from`; the server must not push it. The phones are handed the event
    /// anyway (as a push the server would have sent) and must judge it the same way.
    async fn expect_no_push(&self, from: &Client, content: Value, check: impl Fn(&Decision) -> bool) {
        let event_id = send_event(from, &self.room, "m.room.message", content).await;
        if let Err(delivery) = self
            .gateway
            .no_delivery_for(&format!("fcm-{}", self.bob_id), Duration::from_millis(1500))
            .await
        {
            panic!("the server pushed: {}", delivery.payload);
        }
        let data = json!({"event_id": event_id, "room_id": self.room, "prio": "high"});
        let payload = decode(Provider::Fcm, &data).unwrap();
        self.check_all(&payload, &data, &check).await;
    }

    async fn check_all(&self, payload: &PushPayload, data: &Value, check: &impl Fn(&Decision) -> bool) {
        for (phone, decision) in self.phones.decide(payload, data).await {
            assert!(check(&decision), "{phone}: {decision:?}");
        }
    }

    async fn put_state(&self, who: &Client, event_type: &str, state_key: &str, content: Value) {
        send_state(who, &self.room, event_type, state_key, content).await;
    }

    /// Waits until `user_id`'s member event in the room says `check`.
    async fn member_updated(&self, user_id: &str, check: impl Fn(&Value) -> bool) {
        member_event_says(&self.alice, &self.room, user_id, check).await;
    }

    async fn set_profile(&self, who: &Client, user_id: &str, field: &str, value: &str) {
        let url = who.session_client().url_of(&["profile", user_id, field]);
        who.session_client()
            .send_request(Request::new(Method::Put, url).json(json!({field: value})))
            .await
            .unwrap();
        let value = value.to_owned();
        self.member_updated(user_id, |content| content[field] == value.as_str())
            .await;
    }

    async fn ignore(&self, users: Value) {
        let url = self.laptop.session_client().url_of(&[
            "user",
            &self.bob_id,
            "account_data",
            "m.ignored_user_list",
        ]);
        self.laptop
            .session_client()
            .send_request(Request::new(Method::Put, url).json(json!({"ignored_users": users})))
            .await
            .unwrap();
    }
}

/// Waits until `user_id`'s member event in `room`, as `reader` sees it, says `check` (Synapse
/// updates the member events of a profile change in the background).
async fn member_event_says(reader: &Client, room: &str, user_id: &str, check: impl Fn(&Value) -> bool) {
    let url = reader
        .session_client()
        .url_of(&["rooms", room, "state", "m.room.member", user_id]);
    for _ in 0..100 {
        let content = reader
            .session_client()
            .send_request(Request::new(Method::Get, url.clone()))
            .await
            .unwrap();
        if check(&content) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the member event of {user_id} was not updated");
}

fn text(body: &str) -> Value {
    json!({"msgtype": "m.text", "body": body, "m.mentions": {}})
}

fn show_with(
    check: impl Fn(&str, &str, Option<&str>, Option<&str>, bool) -> bool,
) -> impl Fn(&Decision) -> bool {
    move |decision| match decision {
        Decision::Show {
            room_name,
            sender_name,
            rule,
            sound,
            highlight,
            ..
        } => check(
            room_name,
            sender_name,
            rule.as_deref(),
            sound.as_deref(),
            *highlight,
        ),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_push_is_judged_on_state_and_rules_as_of_the_push() {
    let s = Scene::new().await;
    let one_to_one = |rule: Option<&str>| rule == Some(".m.rule.room_one_to_one");

    // The room's name: an alias first, then a name; a topic changes neither.
    let alias = format!("#fresh{}:{}", matrix_push_tests::unique("a"), s.hs.server_name);
    let url = s.alice.session_client().url_of(&["directory", "room", &alias]);
    s.alice
        .session_client()
        .send_request(Request::new(Method::Put, url).json(json!({"room_id": s.room})))
        .await
        .unwrap();
    s.put_state(&s.alice, "m.room.canonical_alias", "", json!({"alias": alias}))
        .await;
    s.expect(
        &s.alice,
        text("alias"),
        show_with(|room, _, _, _, _| room == alias),
    )
    .await;
    s.put_state(&s.alice, "m.room.name", "", json!({"name": "Lunch plans"}))
        .await;
    s.put_state(&s.alice, "m.room.topic", "", json!({"topic": "where and when"}))
        .await;
    s.expect(
        &s.alice,
        text("renamed"),
        show_with(|room, _, _, _, _| room == "Lunch plans"),
    )
    .await;

    // The room's avatar.
    s.put_state(
        &s.alice,
        "m.room.avatar",
        "",
        json!({"url": "mxc://localhost/lunch"}),
    )
    .await;
    s.expect(&s.alice, text("pictured"), |d| {
        matches!(d, Decision::Show { room_avatar, .. } if room_avatar.as_deref() == Some("mxc://localhost/lunch"))
    })
    .await;

    // The sender's display name and avatar.
    s.set_profile(&s.alice, &s.alice_id, "displayname", "Alice Liddell")
        .await;
    s.set_profile(&s.alice, &s.alice_id, "avatar_url", "mxc://localhost/alice-new")
        .await;
    s.expect(&s.alice, text("new face"), |d| {
        matches!(d, Decision::Show { sender_name, avatar, .. }
            if sender_name == "Alice Liddell" && avatar.as_deref() == Some("mxc://localhost/alice-new"))
    })
    .await;
    s.expect(
        &s.alice,
        text("one to one"),
        show_with(|_, _, rule, sound, _| one_to_one(rule) && sound == Some("default")),
    )
    .await;

    // Carol joins: a group now, no longer a one-to-one ring.
    let (carol, carol_id, _) = s.hs.signed_in("freshcarol").await;
    set_display_name(&carol, &carol_id, "Carol").await.unwrap();
    let url = s.alice.session_client().url_of(&["rooms", &s.room, "invite"]);
    s.alice
        .session_client()
        .send_request(Request::new(Method::Post, url).json(json!({"user_id": carol_id})))
        .await
        .unwrap();
    join(&carol, &s.room).await;
    s.expect(
        &s.alice,
        text("three of us"),
        show_with(|_, _, rule, sound, _| rule == Some(".m.rule.message") && sound.is_none()),
    )
    .await;

    // Power: Carol's @room does not highlight, then it does.
    let at_room = json!({"msgtype": "m.text", "body": "@room lunch!", "m.mentions": {"room": true}});
    s.expect(
        &carol,
        at_room.clone(),
        show_with(|_, sender, _, _, highlight| sender == "Carol" && !highlight),
    )
    .await;
    set_power_level(&s.alice, &s.room, &carol_id, 50).await;
    s.expect(
        &carol,
        at_room,
        show_with(|_, _, rule, _, highlight| highlight && rule == Some(".m.rule.is_room_mention")),
    )
    .await;

    // Carol leaves: one to one again.
    let url = carol.session_client().url_of(&["rooms", &s.room, "leave"]);
    carol
        .session_client()
        .send_request(Request::new(Method::Post, url).json(json!({})))
        .await
        .unwrap();
    s.expect(
        &s.alice,
        text("just us"),
        show_with(|_, _, rule, _, _| one_to_one(rule)),
    )
    .await;

    // Bob's laptop: the room to mentions & keywords, then a keyword. The server pushes the
    // keyword, and no phone may silence it with rules older than the keyword.
    s.laptop
        .set_room_mode(&room_id(&s.room), RoomNotificationMode::MentionsAndKeywordsOnly)
        .await
        .unwrap();
    s.expect_no_push(&s.alice, text("chatter"), |d| {
        matches!(d, Decision::Suppressed { reason, rule } if reason == "rules" && rule.as_deref() == Some(s.room.as_str()))
    })
    .await;
    s.laptop.add_keyword("pineapple").await.unwrap();
    s.expect(
        &s.alice,
        text("pineapple pizza?"),
        show_with(|_, _, rule, sound, _| rule == Some("pineapple") && sound == Some("default")),
    )
    .await;
    s.laptop.remove_keyword("pineapple").await.unwrap();
    s.expect_no_push(
        &s.alice,
        text("pineapple again"),
        |d| matches!(d, Decision::Suppressed { rule, .. } if rule.as_deref() == Some(s.room.as_str())),
    )
    .await;
    s.laptop
        .set_room_mode(&room_id(&s.room), RoomNotificationMode::AllMessages)
        .await
        .unwrap();
    s.expect(
        &s.alice,
        text("all messages again"),
        show_with(|_, _, rule, _, _| one_to_one(rule)),
    )
    .await;

    // Alice ignored, then not.
    s.ignore(json!({s.alice_id.clone(): {}})).await;
    s.expect_no_push(
        &s.alice,
        text("ignored"),
        |d| matches!(d, Decision::Suppressed { reason, .. } if reason == "ignored_sender"),
    )
    .await;
    s.ignore(json!({})).await;
    s.expect(
        &s.alice,
        text("heard again"),
        show_with(|_, _, rule, _, _| one_to_one(rule)),
    )
    .await;

    // Bob's own display name: the legacy display-name mention follows it.
    s.set_profile(&s.laptop, &s.bob_id, "displayname", "Robert Tables")
        .await;
    let legacy = json!({"msgtype": "m.text", "body": "ping Robert Tables"});
    s.expect(
        &s.alice,
        legacy,
        show_with(|_, _, rule, _, highlight| highlight && rule == Some(".m.rule.contains_display_name")),
    )
    .await;

    // The app's phone had its rule sync loop running all along: it is still running, and saw
    // the keyword and room-mode changes made on the laptop.
    assert!(
        !s.phones.app_sync.is_finished(),
        "the app's rule sync loop stopped"
    );
    let changes = s.phones.app_rule_changes.load(Ordering::Relaxed);
    assert!(
        changes >= 4,
        "the app's rule sync loop saw {changes} rule changes"
    );
}

#[tokio::test]
async fn a_rule_the_phone_cannot_evaluate_defers_to_the_server() {
    let hs = Homeserver::main();
    let (bob, bob_id, _) = hs.signed_in("deferbob").await;
    let (alice, _, _) = hs.signed_in("deferalice").await;
    let room = create_room(&alice, json!({"invite": [bob_id], "preset": "private_chat"})).await;
    join(&bob, &room).await;
    // A rule of a condition kind this engine does not know (the server keeps it as it is),
    // above a room rule that silences the room.
    let url = bob
        .session_client()
        .url_of(&["pushrules", "global", "override", "thread-subscribed"]);
    let rule = json!({"actions": ["notify"],
        "conditions": [{"kind": "io.element.msc4306.thread_subscription", "subscribed": true}]});
    bob.session_client()
        .send_request(Request::new(Method::Put, url).json(rule))
        .await
        .unwrap();
    bob.set_room_mode(&room_id(&room), RoomNotificationMode::MentionsAndKeywordsOnly)
        .await
        .unwrap();
    // The server counts what it notified (a mention), so the room is unread when Bob's phone
    // handles the next event.
    let mention = json!({"msgtype": "m.text", "body": "Bob?", "m.mentions": {"user_ids": [bob_id]}});
    send_event(&alice, &room, "m.room.message", mention).await;
    let event_id = send_event(&alice, &room, "m.room.message", text("in a thread, say")).await;
    let pushed = PushPayload {
        provider: Some(Provider::Fcm), // as a push delivers it
        event_id: Some(event_id.clone()),
        room_id: Some(room.clone()),
        prio: Some(matrix_push::payload::Priority::High),
        ..PushPayload::default()
    };
    match bob.handle_push(&pushed, DEADLINE).await {
        Outcome::Show(n) => {
            assert_eq!(n.rule_id.as_deref(), Some("thread-subscribed"));
            assert_eq!(n.sound.as_deref(), Some("default"), "high priority: a sound");
        }
        other => panic!("the server notified; an undecidable rule ranks above: {other:?}"),
    }
    // Without the undecidable rule, the same phone's rules may keep it silent, and say the
    // server had notified.
    bob.delete_rule(matrix_push::rules::RuleKind::Override, "thread-subscribed")
        .await
        .unwrap();
    let event_id = send_event(&alice, &room, "m.room.message", text("chatter")).await;
    let pushed = PushPayload {
        event_id: Some(event_id),
        ..pushed
    };
    assert_eq!(
        bob.handle_push(&pushed, DEADLINE).await,
        Outcome::Suppressed {
            reason: SuppressReason::Rules {
                rule_id: Some(room.clone())
            },
            server_notified: true
        }
    );
}

/// Handling pushes and syncing the rules never make Bob look online to the people he shares
/// rooms with: the phone syncs in his pocket (`set_presence=offline`). The main test server runs
/// with presence on.
#[tokio::test]
async fn pushes_and_rule_syncs_leave_the_user_offline() {
    let hs = Homeserver::main();
    let (bob, bob_id, _) = hs.signed_in("pocketbob").await;
    let (alice, _, _) = hs.signed_in("pocketalice").await;
    let room = create_room(&alice, json!({"invite": [bob_id], "preset": "private_chat"})).await;
    join(&bob, &room).await;
    let presence_of_bob = async || -> Value {
        let url = alice.session_client().url_of(&["presence", &bob_id, "status"]);
        let request = Request::new(Method::Get, url);
        alice.session_client().send_request(request).await.unwrap()
    };
    // Cold, then warm.
    for i in 0..2 {
        let event_id = send_event(&alice, &room, "m.room.message", text(&format!("psst {i}"))).await;
        let pushed = PushPayload {
            provider: Some(Provider::Fcm), // as a push delivers it
            event_id: Some(event_id),
            room_id: Some(room.clone()),
            ..PushPayload::default()
        };
        let outcome = bob.handle_push(&pushed, DEADLINE).await;
        assert!(matches!(outcome, Outcome::Show(_)), "{outcome:?}");
    }
    bob.sync_push_rules_once(Duration::ZERO).await.unwrap();
    let status = presence_of_bob().await;
    assert_eq!(status["presence"], "offline", "{status}");

    // The server does track presence: a sync that does not ask otherwise marks Bob online.
    let mut url = bob.session_client().url("sync");
    url.query_pairs_mut().append_pair("timeout", "0");
    bob.session_client()
        .send_request(Request::new(Method::Get, url))
        .await
        .unwrap();
    let status = presence_of_bob().await;
    assert_eq!(status["presence"], "online", "{status}");
}

/// The mobile library answers with the outcome and stores what the push brought after it
/// (`handle_push_deferred`). A store write applied late builds the next push on it; one never
/// applied (a process killed first) costs the next push only an older position, never a wrong
/// answer.
#[tokio::test]
async fn a_store_write_after_the_outcome_or_never_keeps_decisions_current() {
    let hs = Homeserver::main();
    let (bob, bob_id, _) = hs.signed_in("laterbob").await;
    let (alice, _, _) = hs.signed_in("lateralice").await;
    let room = create_room(
        &alice,
        json!({"invite": [bob_id], "preset": "private_chat", "name": "Before"}),
    )
    .await;
    join(&bob, &room).await;
    let requests = || bob.session_client().transport().requests_sent();
    let push = async |body: &str| {
        let event_id = send_event(&alice, &room, "m.room.message", text(body)).await;
        let pushed = PushPayload {
            provider: Some(Provider::Fcm), // as a push delivers it
            event_id: Some(event_id),
            room_id: Some(room.clone()),
            ..PushPayload::default()
        };
        bob.handle_push_deferred(&pushed, DEADLINE).await
    };
    let room_name = |outcome: &Outcome| match outcome {
        Outcome::Show(n) => n.room_name.clone(),
        other => panic!("{other:?}"),
    };

    // Cold: nothing is stored until the write is applied.
    let (outcome, write) = push("one").await;
    assert_eq!(room_name(&outcome), "Before");
    assert!(bob.state().read_room::<Value>(&room).is_none());
    write.expect("a cold push brings a room").apply().await;
    let cached: Option<Value> = bob.state().read_room(&room);
    assert!(cached.is_some(), "the room is cached");

    // Warm from the stored room: one request. Its write is dropped, as in a killed process.
    let before = requests();
    let (outcome, dropped) = push("two").await;
    assert_eq!(room_name(&outcome), "Before");
    assert_eq!(requests() - before, 1, "warm: the sync alone");
    drop(dropped);

    // The room renamed; the next push syncs from the older position and still sees it.
    send_state(&alice, &room, "m.room.name", "", json!({"name": "After"})).await;
    let before = requests();
    let (outcome, write) = push("three").await;
    assert_eq!(room_name(&outcome), "After");
    assert_eq!(requests() - before, 1, "still warm, from the older position");
    if let Some(write) = write {
        write.apply().await;
    }
}

/// Bob's phone and Alice in a new room on `hs`: a push for each message Alice sends, its
/// outcome, and the requests it took.
struct OneRoom {
    bob: Client,
    alice: Client,
    room: String,
}

impl OneRoom {
    async fn new(hs: &Homeserver, name: &str) -> OneRoom {
        let (bob, bob_id, _) = hs.signed_in(&format!("{name}bob")).await;
        let (alice, _, _) = hs.signed_in(&format!("{name}alice")).await;
        let room = create_room(
            &alice,
            json!({"invite": [bob_id], "preset": "private_chat", "name": "Before"}),
        )
        .await;
        join(&bob, &room).await;
        OneRoom { bob, alice, room }
    }

    /// The room name the push of a new message shows, and the requests handling it took.
    async fn push(&self, body: &str) -> (String, u64) {
        let (notification, requests) = self.push_from(&self.alice, body).await;
        (notification.room_name, requests)
    }

    /// The notification of a new message `from` someone, and the requests handling it took.
    async fn push_from(&self, from: &Client, body: &str) -> (Notification, u64) {
        let event_id = send_event(from, &self.room, "m.room.message", text(body)).await;
        let pushed = PushPayload {
            provider: Some(Provider::Fcm), // as a push delivers it
            event_id: Some(event_id),
            room_id: Some(self.room.clone()),
            ..PushPayload::default()
        };
        let before = self.bob.session_client().transport().requests_sent();
        let outcome = self.bob.handle_push(&pushed, DEADLINE).await;
        let requests = self.bob.session_client().transport().requests_sent() - before;
        match outcome {
            Outcome::Show(n) if n.body == body => (n, requests),
            other => panic!("{other:?}"),
        }
    }

    /// Invites `user_id` to the room, as Alice.
    async fn invite(&self, user_id: &str) {
        let url = self
            .alice
            .session_client()
            .url_of(&["rooms", &self.room, "invite"]);
        let request = Request::new(Method::Post, url).json(json!({"user_id": user_id}));
        self.alice.session_client().send_request(request).await.unwrap();
    }

    /// The room as Bob's push path cached it.
    fn cached(&self) -> Value {
        self.bob.state().read_room(&self.room).unwrap()
    }

    /// How many members the cached room knows by name.
    fn cached_members(&self) -> usize {
        self.cached()["members"].as_object().unwrap().len()
    }

    /// Sets `who`'s display name and waits until their member event in the room carries it
    /// (Synapse updates member events of a profile change in the background).
    async fn rename_member(&self, who: &Client, name: &str) {
        let user_id = who.session().unwrap().user_id.to_string();
        set_display_name(who, &user_id, name).await.unwrap();
        member_event_says(&self.alice, &self.room, &user_id, |content| {
            content["displayname"] == name
        })
        .await;
    }

    async fn rename(&self, name: &str) {
        send_state(&self.alice, &self.room, "m.room.name", "", json!({"name": name})).await;
    }
}

/// A sliding-sync position the server dropped — another process of the same device started the
/// room's connection over (or used another of its positions), or it went unused for a week —
/// is heard as `M_UNKNOWN_POS`: the push starts the room over at once and decides on what is
/// current, one request more; the next push is warm again.
#[tokio::test]
async fn a_dropped_sliding_sync_position_starts_the_room_over() {
    let hs = Homeserver::main();
    let scene = OneRoom::new(&hs, "droppedpos").await;
    assert_eq!(
        scene.push("one").await,
        ("Before".to_owned(), 1),
        "cold: one sliding sync"
    );
    assert_eq!(scene.push("two").await, ("Before".to_owned(), 1));

    // Another process of Bob's device starts the room's connection over.
    let session = scene.bob.session_client();
    let restart = matrix_push::notify::sliding_sync_request(
        session,
        &scene.room,
        None,
        matrix_push::notify::Members::Lazy,
        None,
    );
    session.send_request(restart).await.unwrap();
    scene.rename("After").await;
    assert_eq!(
        scene.push("three").await,
        ("After".to_owned(), 2),
        "M_UNKNOWN_POS, then from scratch"
    );
    assert_eq!(scene.push("four").await, ("After".to_owned(), 1), "warm again");
}

/// A room of at most `ALL_MEMBERS_UP_TO` members syncs every member's changes: from its second
/// push on, the cache knows each member — one who never wrote, named neither among the room's
/// heroes nor in the latest events, too — so a sender is told apart from a silent member of the
/// same name, and a member who leaves is forgotten; still one request a push.
#[tokio::test]
async fn a_small_room_knows_every_member() {
    let hs = Homeserver::main();
    let scene = OneRoom::new(&hs, "smallroom").await;
    let alice_id = scene.alice.session().unwrap().user_id.to_string();
    scene.rename_member(&scene.alice, "Alice").await;
    // Five members before the namesake: the server's heroes (at most five) leave them out.
    for _ in 0..5 {
        let (member, member_id, _) = hs.signed_in("smallmember").await;
        scene.invite(&member_id).await;
        join(&member, &scene.room).await;
    }
    let (silent, silent_id, _) = hs.signed_in("smallsilent").await;
    set_display_name(&silent, &silent_id, "Alice").await.unwrap();
    scene.invite(&silent_id).await;
    join(&silent, &scene.room).await;
    // The cold push's timeline (its latest events) then names no one but Alice.
    for i in 0..matrix_push::notify::PUSH_TIMELINE_LIMIT {
        send_event(
            &scene.alice,
            &scene.room,
            "m.room.message",
            text(&format!("chatter {i}")),
        )
        .await;
    }

    let (cold, requests) = scene.push_from(&scene.alice, "cold").await;
    assert_eq!(
        (cold.sender_name.as_str(), requests),
        ("Alice", 1),
        "cold: lazily, the namesake is not known yet"
    );
    let (warm, requests) = scene.push_from(&scene.alice, "warm").await;
    assert_eq!(requests, 1);
    assert_eq!(
        warm.sender_name,
        format!("Alice ({alice_id})"),
        "the silent namesake is known"
    );
    assert_eq!(scene.cached_members(), 8, "{}", scene.cached());

    let leave = silent.session_client().url_of(&["rooms", &scene.room, "leave"]);
    silent
        .session_client()
        .send_request(Request::new(Method::Post, leave).json(json!({})))
        .await
        .unwrap();
    let (after, requests) = scene.push_from(&scene.alice, "after").await;
    assert_eq!((after.sender_name.as_str(), requests), ("Alice", 1));
    assert_eq!(scene.cached_members(), 7, "{}", scene.cached());
}

/// A room of more members lazy-loads them: the senders (with their current names), Bob, and
/// whoever the answer names; one request a push all the same.
#[tokio::test]
async fn a_large_room_loads_its_senders() {
    let hs = Homeserver::main();
    let scene = OneRoom::new(&hs, "largeroom").await;
    let mut crowd = Vec::new();
    for _ in 0..matrix_push::notify::ALL_MEMBERS_UP_TO {
        crowd.push(hs.register("largecrowd", false).await.0);
    }
    for user_id in &crowd {
        scene.invite(user_id).await;
    }
    let (carol, carol_id, _) = hs.signed_in("largecarol").await;
    scene.invite(&carol_id).await;
    join(&carol, &scene.room).await;

    assert_eq!(scene.push("cold").await.1, 1);
    scene.rename_member(&scene.alice, "Alice Renamed").await;
    let (renamed, requests) = scene.push_from(&scene.alice, "renamed").await;
    assert_eq!((renamed.sender_name.as_str(), requests), ("Alice Renamed", 1));
    scene.rename_member(&carol, "Carol").await;
    let (from_carol, requests) = scene.push_from(&carol, "hello").await;
    assert_eq!((from_carol.sender_name.as_str(), requests), ("Carol", 1));
    // Lazily: the senders, Bob, the heroes and the members of the latest events, not all 53.
    assert!(scene.cached_members() < 20, "{}", scene.cached());
}

/// A small room whose member events are too many for a push's answer to carry (here 20 members
/// with 60 kB member events each; in the field, years of members who left): the push that would
/// sync them all hears the answer is over its cap, asks again lazily from the same position
/// (one request more, once) and shows the message; the room lazy-loads from then on.
#[tokio::test]
async fn a_room_with_too_many_member_events_lazy_loads_them() {
    let hs = Homeserver::main();
    let scene = OneRoom::new(&hs, "heavymembers").await;
    let settings =
        scene
            .alice
            .session_client()
            .url_of(&["rooms", &scene.room, "state", "m.room.join_rules", ""]);
    scene
        .alice
        .session_client()
        .send_request(Request::new(Method::Put, settings).json(json!({"join_rule": "public"})))
        .await
        .unwrap();
    let padding = "x".repeat(60_000);
    for _ in 0..20 {
        let (member, member_id, _) = hs.signed_in("heavymember").await;
        join(&member, &scene.room).await;
        let content = json!({"membership": "join", "displayname": "Heavy", "padding": padding});
        send_state(&member, &scene.room, "m.room.member", &member_id, content).await;
    }

    assert_eq!(scene.push("cold").await.1, 1, "cold: lazily");
    assert_eq!(
        scene.push("over the cap").await.1,
        2,
        "every member asked for, over the cap, then lazily"
    );
    assert_eq!(scene.cached()["lazy_members"], true);
    assert_eq!(scene.push("lazily").await.1, 1);
}

/// A server without sliding sync (the `legacy` instance): the first push hears it refused and
/// syncs by `/sync` within the same push (with the room's creation, which the sliding sync would
/// have brought); later pushes go to `/sync` straight away (for a day, then ask again), on state
/// as current as ever.
#[tokio::test]
async fn a_server_without_sliding_sync_gets_sync_from_the_first_push() {
    let hs = Homeserver::legacy();
    let scene = OneRoom::new(&hs, "legacy").await;
    assert_eq!(
        scene.push("one").await,
        ("Before".to_owned(), 3),
        "refused, then /sync and the creation"
    );
    scene.rename("After").await;
    assert_eq!(
        scene.push("two").await,
        ("After".to_owned(), 2),
        "/sync from the room's position, its filter uploaded meanwhile"
    );
    assert_eq!(scene.push("three").await, ("After".to_owned(), 1), "by filter id");
    let cached: Value = scene.bob.state().read_room(&scene.room).unwrap();
    assert!(cached["connection_pos"].is_null(), "{cached}");
    assert!(
        cached["room_version"].is_string(),
        "the creation was fetched: {cached}"
    );
}
