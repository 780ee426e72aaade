//! Push-rule sync and edits against a real Synapse: the initial fetch, filtered `/sync` with the
//! token kept in the store, the sync loop's callback, keywords, room modes (Element's encoding),
//! muted senders, enable/disable, actions, positions, and rule-id validation. Every edit is
//! checked through sync afterwards, and the stored rules evaluate offline. Also the room list a
//! settings screen shows (`Client::rooms`): names, DMs and each room's mode.

use matrix_push::Client;
use matrix_push::ids::RoomId;
use matrix_push::rules::{Action, CompiledRuleset, PushContext, RuleKind, Tweak};
use matrix_push::settings::{Position, RoomNotificationMode, SettingsError};
use matrix_push_tests::{Homeserver, create_room, join, room_id, set_display_name, user_id};
use serde_json::json;
use std::time::Duration;

/// Syncs until a ruleset arrives that satisfies `check` (an edit may land in a later batch).
async fn synced_until(
    client: &Client,
    check: impl Fn(&matrix_push::rules::Ruleset) -> bool,
) -> matrix_push::rules::Ruleset {
    for _ in 0..5 {
        if let Some(rules) = client.sync_push_rules_once(Duration::from_secs(5)).await.unwrap()
            && check(&rules.global)
        {
            return rules.global;
        }
    }
    panic!("the edit never showed up in /sync");
}

#[tokio::test]
async fn fetch_then_sync_keeps_rules_and_token_in_the_store() {
    let (client, user_id, _) = Homeserver::main().signed_in("sync").await;
    assert!(client.stored_push_rules().is_none());
    let rules = client.fetch_push_rules().await.unwrap();
    assert!(rules.global.get(RuleKind::Override, ".m.rule.master").is_some());
    assert_eq!(client.stored_push_rules(), Some(rules.clone()));
    // The first /sync (no token) carries the current rules; later ones only changes.
    let first = client.sync_push_rules_once(Duration::from_secs(0)).await.unwrap();
    assert!(first.is_some());
    assert!(client.state().sync_token().is_some(), "next_batch is stored");
    let quiet = client
        .sync_push_rules_once(Duration::from_millis(200))
        .await
        .unwrap();
    assert!(quiet.is_none(), "the stored token is used: nothing changed since");
    // The stored rules evaluate without the network.
    let compiled = CompiledRuleset::new(client.stored_push_rules().unwrap().global);
    let mut cx = PushContext::new(&user_id);
    cx.member_count = Some(2);
    let event = json!({"type": "m.room.message", "sender": "@bob:localhost", "content": {"msgtype": "m.text", "body": "hi"}});
    assert!(compiled.evaluate(&event, &cx).notify());
}

#[tokio::test]
async fn keywords_are_added_listed_and_removed() {
    let (client, _, _) = Homeserver::main().signed_in("keywords").await;
    client.fetch_push_rules().await.unwrap();
    client.sync_push_rules_once(Duration::from_secs(0)).await.unwrap();
    client.add_keyword("pizza").await.unwrap();
    client.add_keyword("deploy*").await.unwrap();
    let mut keywords = client.keywords().await.unwrap();
    keywords.sort();
    assert_eq!(keywords, ["deploy*", "pizza"]);
    let synced = synced_until(&client, |rules| rules.get(RuleKind::Content, "pizza").is_some()).await;
    let rule = synced.get(RuleKind::Content, "pizza").unwrap();
    assert_eq!(rule.pattern.as_deref(), Some("pizza"));
    assert_eq!(
        rule.actions,
        [Action::Notify, Action::SetTweak(Tweak::Sound("default".into()))]
    );
    client.remove_keyword("pizza").await.unwrap();
    assert_eq!(client.keywords().await.unwrap(), ["deploy*"]);
    synced_until(&client, |rules| rules.get(RuleKind::Content, "pizza").is_none()).await;
}

#[tokio::test]
async fn room_modes_use_elements_encoding() {
    let (client, user_id, _) = Homeserver::main().signed_in("modes").await;
    let room = &room_id("!someroom:localhost");
    assert_eq!(client.room_mode(room).await.unwrap(), None);

    client
        .set_room_mode(room, RoomNotificationMode::MentionsAndKeywordsOnly)
        .await
        .unwrap();
    let rules = client.fetch_push_rules().await.unwrap().global;
    let room_rule = rules.get(RuleKind::Room, room).expect("a room rule");
    assert!(room_rule.actions.is_empty());
    assert!(rules.get(RuleKind::Override, room).is_none());
    assert_eq!(
        client.room_mode(room).await.unwrap(),
        Some(RoomNotificationMode::MentionsAndKeywordsOnly)
    );

    client
        .set_room_mode(room, RoomNotificationMode::Mute)
        .await
        .unwrap();
    let rules = client.fetch_push_rules().await.unwrap().global;
    let mute = rules.get(RuleKind::Override, room).expect("an override rule");
    assert!(mute.actions.is_empty());
    assert_eq!(
        mute.conditions.as_ref().unwrap()[0].to_value(),
        json!({"kind": "event_match", "key": "room_id", "pattern": room})
    );
    assert!(
        rules.get(RuleKind::Room, room).is_none(),
        "one encoding at a time"
    );
    assert_eq!(
        client.room_mode(room).await.unwrap(),
        Some(RoomNotificationMode::Mute)
    );

    // Muted means muted, even for a mention; mentions-only keeps mentions.
    let compiled = CompiledRuleset::new(rules);
    let mut cx = PushContext::new(&user_id);
    cx.member_count = Some(5);
    let mention = json!({"type": "m.room.message", "sender": "@bob:localhost", "room_id": room,
        "content": {"body": "hey", "m.mentions": {"user_ids": [user_id]}}});
    assert!(!compiled.evaluate(&mention, &cx).notify());

    client
        .set_room_mode(room, RoomNotificationMode::AllMessages)
        .await
        .unwrap();
    let rules = client.fetch_push_rules().await.unwrap().global;
    assert!(rules.get(RuleKind::Override, room).is_none() && rules.get(RuleKind::Room, room).is_none());
    assert_eq!(client.room_mode(room).await.unwrap(), None);
}

#[tokio::test]
async fn muted_senders_enable_disable_actions_and_positions() {
    let (client, _, _) = Homeserver::main().signed_in("edits").await;
    client
        .mute_sender(&user_id("@spammer:localhost"), true)
        .await
        .unwrap();
    let rules = client.fetch_push_rules().await.unwrap().global;
    assert!(
        rules
            .get(RuleKind::Sender, "@spammer:localhost")
            .unwrap()
            .actions
            .is_empty()
    );
    client
        .mute_sender(&user_id("@spammer:localhost"), false)
        .await
        .unwrap();
    assert!(
        client
            .fetch_push_rules()
            .await
            .unwrap()
            .global
            .get(RuleKind::Sender, "@spammer:localhost")
            .is_none()
    );

    client
        .set_rule_enabled(RuleKind::Override, ".m.rule.master", true)
        .await
        .unwrap();
    assert!(
        client
            .fetch_push_rules()
            .await
            .unwrap()
            .global
            .get(RuleKind::Override, ".m.rule.master")
            .unwrap()
            .enabled
    );
    client
        .set_rule_enabled(RuleKind::Override, ".m.rule.master", false)
        .await
        .unwrap();

    let loud = [
        Action::Notify,
        Action::SetTweak(Tweak::Sound("ring".into())),
        Action::SetTweak(Tweak::Highlight(None)),
    ];
    client
        .set_rule_actions(RuleKind::Underride, ".m.rule.message", &loud)
        .await
        .unwrap();
    let synced = client.fetch_push_rules().await.unwrap().global;
    assert_eq!(
        synced
            .get(RuleKind::Underride, ".m.rule.message")
            .unwrap()
            .actions,
        loud
    );

    let condition =
        |pattern: &str| Some(json!([{"kind": "event_match", "key": "content.body", "pattern": pattern}]));
    client
        .put_rule(
            RuleKind::Override,
            "a",
            &[Action::Notify],
            condition("a"),
            None,
            &Position::Top,
        )
        .await
        .unwrap();
    client
        .put_rule(
            RuleKind::Override,
            "c",
            &[Action::Notify],
            condition("c"),
            None,
            &Position::After("a".into()),
        )
        .await
        .unwrap();
    client
        .put_rule(
            RuleKind::Override,
            "b",
            &[Action::Notify],
            condition("b"),
            None,
            &Position::Before("c".into()),
        )
        .await
        .unwrap();
    let order: Vec<String> = client
        .fetch_push_rules()
        .await
        .unwrap()
        .global
        .override_
        .iter()
        .filter(|r| !r.rule_id.starts_with('.'))
        .map(|r| r.rule_id.clone())
        .collect();
    assert_eq!(order, ["a", "b", "c"]);
    client.delete_rule(RuleKind::Override, "b").await.unwrap();
    synced_until(&client, |rules| {
        rules.get(RuleKind::Override, "b").is_none() && rules.get(RuleKind::Override, "a").is_some()
    })
    .await;
}

#[tokio::test]
async fn invalid_rule_ids_are_refused_before_any_request() {
    let (client, _, _) = Homeserver::main().signed_in("invalid").await;
    for bad in [".m.rule.mine", "a/b", "a\\b", ""] {
        let error = client
            .put_rule(
                RuleKind::Override,
                bad,
                &[],
                Some(json!([])),
                None,
                &Position::Top,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, SettingsError::InvalidRuleId { .. }),
            "{bad:?}: {error}"
        );
    }
    assert!(matches!(
        client.add_keyword("a/b").await,
        Err(SettingsError::InvalidRuleId { .. })
    ));
}

#[tokio::test]
async fn the_sync_loop_reports_every_change() {
    let (client, _, _) = Homeserver::main().signed_in("loop").await;
    // A warm store (the app ran before): the loop's first round reports the ruleset anyway.
    client.fetch_push_rules().await.unwrap();
    let client = std::sync::Arc::new(client);
    let (changes, mut received) = tokio::sync::mpsc::unbounded_channel();
    let looping = client.clone();
    let task = tokio::spawn(async move {
        looping
            .run_push_rules_sync(Duration::from_secs(5), move |rules| {
                let _ = changes.send(rules.global.clone());
            })
            .await
    });
    let first = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(first.get(RuleKind::Content, "lasagne").is_none());
    client.add_keyword("lasagne").await.unwrap();
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let rules = received.recv().await.unwrap();
            if rules.get(RuleKind::Content, "lasagne").is_some() {
                return rules;
            }
        }
    })
    .await
    .expect("the change arrives through the long poll");
    assert!(found.get(RuleKind::Content, "lasagne").is_some());
    assert_eq!(client.stored_push_rules().unwrap().global, found);
    task.abort();
}

/// The app's own edits reach the stored rules at once (pushes are judged by them, also in an
/// extension that never syncs), without waiting for the background sync.
#[tokio::test]
async fn the_apps_own_edits_update_the_stored_rules() {
    let hs = Homeserver::main();
    let (client, _, _) = hs.signed_in("owneditor").await;
    assert!(client.stored_push_rules().is_none(), "nothing fetched yet");
    client.add_keyword("heron").await.unwrap();
    let stored = client.stored_push_rules().expect("rules stored after the edit");
    assert!(stored.global.get(RuleKind::Content, "heron").is_some());

    client
        .set_rule_enabled(RuleKind::Underride, ".m.rule.message", false)
        .await
        .unwrap();
    let stored = client.stored_push_rules().unwrap();
    assert!(
        !stored
            .global
            .get(RuleKind::Underride, ".m.rule.message")
            .unwrap()
            .enabled
    );

    client.remove_keyword("heron").await.unwrap();
    let stored = client.stored_push_rules().unwrap();
    assert!(stored.global.get(RuleKind::Content, "heron").is_none());
}

/// Reading room modes and keywords answers from the stored rules: a settings screen listing many
/// rooms makes one request (when nothing is stored yet), not one per room, and still sees the
/// app's own edits at once.
#[tokio::test]
async fn room_modes_and_keywords_are_read_from_the_stored_rules() {
    let (client, _, _) = Homeserver::main().signed_in("storedreads").await;
    let requests = || client.session_client().transport().requests_sent();
    let rooms: Vec<RoomId> = (0..5).map(|i| room_id(&format!("!room{i}:localhost"))).collect();
    assert!(client.stored_push_rules().is_none());

    let before = requests();
    for room in &rooms {
        assert_eq!(client.room_mode(room).await.unwrap(), None);
    }
    assert_eq!(client.keywords().await.unwrap(), Vec::<String>::new());
    assert_eq!(requests() - before, 1, "one fetch, then the stored rules");
    assert!(client.stored_push_rules().is_some(), "the fetch was stored");

    // The app's own edit refetches the stored rules, so the next read sees it without a request.
    client
        .set_room_mode(&rooms[2], RoomNotificationMode::Mute)
        .await
        .unwrap();
    client.add_keyword("osprey").await.unwrap();
    let before = requests();
    assert_eq!(
        client.room_mode(&rooms[2]).await.unwrap(),
        Some(RoomNotificationMode::Mute)
    );
    assert_eq!(client.room_mode(&rooms[3]).await.unwrap(), None);
    assert_eq!(client.keywords().await.unwrap(), ["osprey"]);
    assert_eq!(requests(), before, "answered from the stored rules");

    // Without stored rules (dropped when a refetch after an edit failed) the read fetches again.
    client.state().remove_account().unwrap();
    assert_eq!(
        client.room_mode(&rooms[2]).await.unwrap(),
        Some(RoomNotificationMode::Mute)
    );
    assert_eq!(requests(), before + 1);
}

/// The room list for a settings screen: every joined room's display name (heroes for a DM), DM
/// flag, member count and mode, sorted by name, from one `/sync` when the rules are stored.
#[tokio::test]
async fn the_room_list_names_every_joined_room_with_its_mode() {
    let hs = Homeserver::main();
    let (bob, bob_id, bob_password) = hs.signed_in("roomlistbob").await;
    let (alice, alice_id, _) = hs.signed_in("roomlistalice").await;
    set_display_name(&alice, &alice_id, "Alice Liddell")
        .await
        .unwrap();
    let room = |name: Option<&str>, direct: bool| {
        let mut body = json!({"invite": [bob_id], "is_direct": direct, "preset": "private_chat"});
        if let Some(name) = name {
            body["name"] = json!(name);
        }
        body
    };
    let dm = create_room(&alice, room(None, true)).await;
    let lunch = create_room(&alice, room(Some("lunch club"), false)).await;
    let quiet = create_room(&alice, room(Some("Quiet corner"), false)).await;
    let _invite_only = create_room(&alice, room(Some("Not joined yet"), false)).await;
    for joined in [&dm, &lunch, &quiet] {
        join(&bob, joined).await;
    }
    bob.set_room_mode(&room_id(&quiet), RoomNotificationMode::Mute)
        .await
        .unwrap();

    let requests = || bob.session_client().transport().requests_sent();
    let before = requests();
    let rooms = bob.rooms().await.unwrap();
    assert_eq!(
        requests() - before,
        1,
        "one /sync; the modes come from the stored rules"
    );
    let listed: Vec<(&str, &str, bool, u64, Option<RoomNotificationMode>)> = rooms
        .iter()
        .map(|r| {
            (
                r.room_id.as_str(),
                r.name.as_str(),
                r.is_dm,
                r.joined_members,
                r.mode,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (dm.as_str(), "Alice Liddell", true, 2, None),
            (lunch.as_str(), "lunch club", false, 2, None),
            (
                quiet.as_str(),
                "Quiet corner",
                false,
                2,
                Some(RoomNotificationMode::Mute)
            ),
        ],
        "sorted by name ignoring case; the invite is left out"
    );

    // A new device with nothing stored fetches the rules alongside the sync (and stores them).
    let phone = hs.another_device(&bob_id, &bob_password).await;
    assert!(phone.stored_push_rules().is_none());
    let before = phone.session_client().transport().requests_sent();
    assert_eq!(phone.rooms().await.unwrap(), rooms);
    assert_eq!(phone.session_client().transport().requests_sent() - before, 2);
    assert!(phone.stored_push_rules().is_some());
}
