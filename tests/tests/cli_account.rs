//! The `matrix-push` CLI's account commands, run as a user would run them (the built binary)
//! against the harness Synapse, with the session in a file store (`--store DIR`): login, whoami,
//! pushers, rule edits, handling a live push, logout — and the exit codes of failures.

use matrix_push_tests::cli::{cli, fails, ok, ok_json, stderr, stdout};
use matrix_push_tests::gateway::Gateway;
use matrix_push_tests::{Homeserver, create_room, join, send_event, temp_dir, unique};
use serde_json::{Value, json};
use std::time::Duration;

const FCM_APP: &str = "io.matrixpush.tests.cli.fcm";
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread")]
async fn account_pushers_rules_and_a_live_push_through_the_cli() {
    let hs = Homeserver::main();
    let gateway = Gateway::start().await.unwrap();
    let (bob_id, bob_password) = hs.register("clibob", false).await;
    let store = temp_dir("cli-store");

    // Sign-in: the password through stdin, the homeserver discovered from the user id.
    let output = cli(
        &store,
        &["login", &bob_id, "--password-stdin"],
        &format!("{bob_password}\n"),
    );
    assert_eq!(output.status.code(), Some(0), "login: {}", stderr(&output));
    assert!(stdout(&output).contains(&bob_id), "{}", stdout(&output));
    assert!(store.join("session.json").is_file());
    assert!(!stdout(&output).contains(&bob_password));

    let human = ok(&store, &["whoami"]);
    assert!(human.contains(&bob_id), "{human}");
    let who = ok_json(&store, &["whoami"]);
    assert_eq!(who["user_id"], json!(bob_id));
    assert!(who["device_id"].as_str().is_some_and(|d| !d.is_empty()), "{who}");
    assert_eq!(
        who["homeserver"]
            .as_str()
            .map(|h| h.trim_end_matches('/').to_owned()),
        Some(format!("http://{}", hs.server_name))
    );

    // Pushers: ensure twice (the second is a no-op), list, remove later.
    let pushkey = format!("fcm-{}", unique("cli"));
    let ensure = [
        "pushers",
        "ensure",
        "--pushkey",
        &pushkey,
        "--app-id",
        FCM_APP,
        "--gateway",
        &gateway.url(),
    ];
    let ensure = ensure.to_vec();
    assert_eq!(ok_json(&store, &ensure)["outcome"], json!("created"));
    assert_eq!(ok_json(&store, &ensure)["outcome"], json!("unchanged"));
    let list = ok_json(&store, &["pushers", "list"]);
    let ours: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["pushkey"] == json!(pushkey))
        .collect();
    assert_eq!(ours.len(), 1, "{list}");
    assert_eq!(ours[0]["app_id"], json!(FCM_APP));
    assert_eq!(ours[0]["format"], json!("event_id_only"));
    assert_eq!(ours[0]["gateway_url"], json!(gateway.url()));
    // Every kind is listed, with its kind; Synapse's GET /pushers gives no pushkey_ts (null).
    assert_eq!(ours[0]["kind"], json!("http"));
    assert!(ours[0]["pushkey_ts"].is_null(), "{}", ours[0]);
    assert!(ok(&store, &["pushers", "list"]).contains(&pushkey));

    // Keywords.
    ok(&store, &["rules", "keyword", "add", "deploy"]);
    let keywords = ok_json(&store, &["rules", "keyword", "list"]);
    assert!(
        keywords.as_array().unwrap().contains(&json!("deploy")),
        "{keywords}"
    );
    assert!(
        ok(&store, &["rules", "keyword", "list"])
            .lines()
            .any(|l| l == "deploy")
    );

    // A room with Alice, who writes; Bob joins from another device.
    let (alice, _alice_id, _) = hs.signed_in("clialice").await;
    let bob_elsewhere = hs.another_device(&bob_id, &bob_password).await;
    let room = create_room(
        &alice,
        json!({"invite": [bob_id], "preset": "private_chat", "name": "CLI room"}),
    )
    .await;
    join(&bob_elsewhere, &room).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    gateway.drain();

    // A live message, pushed to the CLI's pusher, handled with --json.
    let event_id = send_event(
        &alice,
        &room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": "hello bob"}),
    )
    .await;
    let delivery = gateway
        .next_delivery_matching(WAIT, |d| {
            d.pushkey == pushkey && d.payload["event_id"] == json!(event_id)
        })
        .await
        .expect("an FCM push for the message");
    let push_file = store.join("push1.json");
    std::fs::write(&push_file, delivery.payload.to_string()).unwrap();
    let push_path = push_file.to_str().unwrap();
    let outcome = ok_json(&store, &["handle", push_path, "--provider", "fcm"]);
    assert_eq!(outcome["outcome"], json!("show"), "{outcome}");
    assert_eq!(outcome["notification"]["body"], json!("hello bob"));
    assert_eq!(outcome["notification"]["event_id"], json!(event_id));
    assert_eq!(outcome["notification"]["room_name"], json!("CLI room"));
    assert_eq!(outcome["notification"]["highlight"], json!(false));
    // The same push again is a duplicate.
    let again = ok(&store, &["handle", push_path, "--provider", "fcm"]);
    assert!(again.starts_with("silent:"), "{again}");

    // A keyword message (keywords notify with a sound, no highlight); human output.
    let event_id = send_event(
        &alice,
        &room,
        "m.room.message",
        json!({"msgtype": "m.text", "body": "deploy now please"}),
    )
    .await;
    let delivery = gateway
        .next_delivery_matching(WAIT, |d| {
            d.pushkey == pushkey && d.payload["event_id"] == json!(event_id)
        })
        .await
        .expect("an FCM push for the keyword message");
    let push_file = store.join("push2.json");
    std::fs::write(&push_file, delivery.payload.to_string()).unwrap();
    let shown = ok(
        &store,
        &["handle", push_file.to_str().unwrap(), "--provider", "fcm"],
    );
    assert!(shown.contains("body: deploy now please"), "{shown}");
    assert!(shown.contains("highlight: no"), "{shown}");
    assert!(shown.contains("title: ") && shown.contains("CLI room"), "{shown}");
    assert!(shown.contains("sound: default"), "{shown}");

    // Room modes.
    assert_eq!(
        ok(&store, &["rules", "room-mode", "get", &room]).trim(),
        "all (the account's defaults)"
    );
    ok(&store, &["rules", "room-mode", "set", &room, "mentions"]);
    assert_eq!(
        ok(&store, &["rules", "room-mode", "get", &room]).trim(),
        "mentions"
    );
    let mode = ok_json(&store, &["rules", "room-mode", "get", &room]);
    assert_eq!(mode["mode"], json!("mentions"));
    assert_eq!(mode["own_rule"], json!(true));

    // The rules, fetched then stored, and a rule switched off.
    let shown = ok(&store, &["rules", "show", "--fetch"]);
    let lines: Vec<&str> = shown.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("content deploy enabled")),
        "{shown}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("room {room} enabled"))),
        "{shown}"
    );
    assert!(lines.last().unwrap().contains("user rules"), "{shown}");
    ok(&store, &["rules", "disable", "content", "deploy"]);
    let fetched = ok_json(&store, &["rules", "show", "--fetch"]);
    let deploy = fetched["global"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == json!("deploy"))
        .unwrap();
    assert_eq!(deploy["enabled"], json!(false));
    assert!(ok(&store, &["rules", "show"]).contains("content deploy disabled"));
    let synced = ok_json(&store, &["rules", "sync", "--once"]);
    assert_eq!(synced["event"], json!("rules"));
    ok(&store, &["rules", "keyword", "remove", "deploy"]);
    assert!(!ok(&store, &["rules", "keyword", "list"]).contains("deploy"));

    // Removing the pusher.
    ok(
        &store,
        &["pushers", "remove", "--app-id", FCM_APP, "--pushkey", &pushkey],
    );
    let list = ok_json(&store, &["pushers", "list"]);
    assert!(!list.to_string().contains(&pushkey), "{list}");

    // Bad usage: exit 2, one line.
    fails(
        &cli(&store, &["rules", "room-mode", "set", &room, "loud"], ""),
        2,
        "bad mode",
    );
    let alias = fails(
        &cli(&store, &["rules", "room-mode", "get", "#alias:localhost"], ""),
        2,
        "an alias for a room id",
    );
    assert!(alias.contains("is not a room id"), "{alias}");
    fails(
        &cli(&store, &["pushers", "ensure", "--pushkey", "k"], ""),
        2,
        "missing options",
    );
    fails(&cli(&store, &["frobnicate"], ""), 2, "unknown command");
    fails(&cli(&store, &["login"], ""), 2, "login without a user");
    fails(&cli(&store, &["whoami", "--bogus"], ""), 2, "unknown option");
    fails(
        &cli(&store, &["rules", "enable", "kind", "x"], ""),
        2,
        "unknown kind",
    );

    // Logout: the session is gone, and commands say so (exit 1).
    let out = ok_json(&store, &["logout"]);
    assert_eq!(out["logged_out"], json!(true));
    assert!(!store.join("session.json").exists());
    let err = fails(&cli(&store, &["whoami"], ""), 1, "whoami after logout");
    assert!(err.contains("not signed in"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_fails_with_exit_1_and_no_session() {
    let hs = Homeserver::main();
    let (bob_id, _password) = hs.register("cliwrong", false).await;
    let store = temp_dir("cli-wrong");
    let output = cli(
        &store,
        &["login", &bob_id, "--password-stdin"],
        "not-the-password\n",
    );
    let err = fails(&output, 1, "wrong password");
    assert!(
        err.contains("M_FORBIDDEN") || err.to_lowercase().contains("password"),
        "{err}"
    );
    assert!(!err.contains("not-the-password"), "{err}");
    assert!(!store.join("session.json").exists());

    // A localpart needs --homeserver; with it, the login is attempted (and fails the same way).
    let localpart = bob_id.trim_start_matches('@').split(':').next().unwrap();
    fails(
        &cli(&store, &["login", localpart, "--password-stdin"], "x\n"),
        2,
        "localpart alone",
    );
    let output = cli(
        &store,
        &[
            "login",
            localpart,
            "--homeserver",
            hs.url.as_str(),
            "--password-stdin",
        ],
        "not-the-password\n",
    );
    fails(&output, 1, "wrong password with --homeserver");
    // No password at all (no stdin flag, no environment variable): usage.
    fails(&cli(&store, &["login", &bob_id], ""), 2, "no password");
}

/// Without `--store` the session lives in the OS keyring (here the kernel's session keyring) and
/// the synced state under `$XDG_STATE_HOME/matrix-push`; `--account` keeps accounts apart.
#[tokio::test(flavor = "multi_thread")]
async fn the_keyring_keeps_the_session_between_commands() {
    use matrix_push_tests::cli::{cli_command, run};
    // The CLI processes must share a session keyring: make sure this process has one (a
    // container's test process may not), so every child inherits it.
    let _ = matrix_push::session::KeyringSessionStore::new("io.matrixpush.tests", "probe");
    let hs = Homeserver::main();
    let (user_id, password) = hs.register("keyringuser", false).await;
    let state = temp_dir("cli-xdg");
    let account = unique("acct");
    let command = |args: &[&str]| {
        let mut command = cli_command(&["--account", &account]);
        command.args(args).env("XDG_STATE_HOME", &state);
        command
    };

    // The password from the environment this time.
    let mut login = command(&["login", &user_id]);
    login.env("MATRIX_PUSH_PASSWORD", &password);
    let output = run(login, "");
    assert_eq!(output.status.code(), Some(0), "login: {}", stderr(&output));
    let output = run(command(&["--json", "whoami"]), "");
    assert_eq!(output.status.code(), Some(0), "whoami: {}", stderr(&output));
    let who: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(who["user_id"], json!(user_id));

    // The state folder is the account's; the secret is not in it.
    let dir = state.join("matrix-push/accounts").join(&account);
    let output = run(command(&["rules", "show", "--fetch"]), "");
    assert_eq!(output.status.code(), Some(0), "rules show: {}", stderr(&output));
    assert!(dir.join("account.json").is_file(), "{}", dir.display());
    assert!(!dir.join("session.json").exists());
    let files: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(!files.contains(&password));

    // Signed out: the keyring entry is gone.
    let output = run(command(&["logout"]), "");
    assert_eq!(output.status.code(), Some(0), "logout: {}", stderr(&output));
    let output = run(command(&["whoami"]), "");
    fails(&output, 1, "whoami after logout");
    assert!(stderr(&output).contains("not signed in"), "{}", stderr(&output));

    // Bad account names and a store with an account are usage errors.
    fails(
        &run(cli_command(&["--account", "../x", "whoami"]), ""),
        2,
        "a path as account",
    );
    let output = run(
        cli_command(&["--account", "a", "--store", "/tmp/x", "whoami"]),
        "",
    );
    fails(&output, 2, "--store with --account");
}

/// `rules sync` keeps running and prints the rules again when another device changes them.
#[tokio::test(flavor = "multi_thread")]
async fn rules_sync_prints_each_change_made_elsewhere() {
    use matrix_push_tests::cli::{Running, login};
    let hs = Homeserver::main();
    let (user_id, password) = hs.register("syncwatcher", false).await;
    let store = temp_dir("cli-sync");
    login(&store, &user_id, &password);
    let syncing = Running::start(&store, &["--json", "rules", "sync"]);
    let first = syncing.next_json(WAIT);
    assert_eq!(first["event"], json!("rules"), "{first}");

    // Another device of the same user adds a keyword.
    let elsewhere = hs.another_device(&user_id, &password).await;
    elsewhere.add_keyword("kestrel").await.unwrap();
    let has_keyword = |line: &Value| {
        line["rules"]["global"]["content"]
            .as_array()
            .is_some_and(|rules| rules.iter().any(|r| r["rule_id"] == json!("kestrel")))
    };
    assert!(!has_keyword(&first));
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let line = syncing.next_json(deadline.saturating_duration_since(std::time::Instant::now()));
        if has_keyword(&line) {
            break;
        }
    }
    // And the store the push path brings up to date has it too.
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("account.json")).unwrap()).unwrap();
    assert!(has_keyword(&json!({"rules": stored["push_rules"]})), "{stored}");
}
